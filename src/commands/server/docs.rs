//! COMMAND DOCS argument descriptions, derived from each row's documentation syntax.
//!
//! A row carries its arguments the way Redis's documentation writes them: `key value
//! [NX | XX] [EX seconds | PX milliseconds] field value [field value ...]`. This module
//! reads that text into Redis's nested argument description: each argument has a name,
//! a type (key, string, integer, double, pattern, unix-time, pure-token, oneof, block),
//! an optional token (the literal word before it) and the optional / multiple /
//! multiple_token flags. Brackets make a group optional, angle brackets group
//! alternatives that are required, `|` separates alternatives, `...` repeats, and a word
//! without lower-case letters is a literal token. `X [X ...]` is read as "X, one or
//! more times". Types of named arguments come from their names (`count` is an integer,
//! `score` a double, `key` a key when the command has keys); nothing is written per
//! command.

/// One argument of a command, as COMMAND DOCS describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocArg {
    pub name: String,
    pub kind: &'static str,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    /// Sub-arguments of a oneof or a block.
    pub args: Vec<DocArg>,
}

impl DocArg {
    fn leaf(name: String, kind: &'static str) -> DocArg {
        DocArg {
            name,
            kind,
            token: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            args: Vec::new(),
        }
    }

    fn group(kind: &'static str, args: Vec<DocArg>) -> DocArg {
        let name = group_name(&args);
        DocArg {
            args,
            ..DocArg::leaf(name, kind)
        }
    }
}

/// What the type of a named argument is guessed from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hints {
    /// The command has key arguments: key-like names are keys.
    pub has_keys: bool,
    /// The command blocks: a `timeout` is a double (seconds with decimals).
    pub blocking: bool,
}

/// The syntax tree before it becomes arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Word(String),
    Ellipsis,
    Group {
        optional: bool,
        alts: Vec<Vec<Node>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open(bool),
    Close,
    Bar,
    Word(String),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let flush = |cur: &mut String, out: &mut Vec<Tok>| {
        if !cur.is_empty() {
            out.push(Tok::Word(std::mem::take(cur)));
        }
    };
    for ch in s.chars() {
        if in_quotes {
            cur.push(ch);
            if ch == '"' {
                in_quotes = false;
            }
            continue;
        }
        match ch {
            '"' => {
                cur.push(ch);
                in_quotes = true;
            }
            '[' | '<' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Open(ch == '['));
            }
            ']' | '>' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Close);
            }
            '|' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Bar);
            }
            c if c.is_whitespace() => flush(&mut cur, &mut out),
            c => cur.push(c),
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// `A | B | C [A | B | C ...]` (a choice followed by its own repetition, the way
/// redis-cli prints a repeated oneof) becomes `<A | B | C> ...`.
fn fold_repeated_alts(mut alts: Vec<Vec<Node>>) -> Vec<Vec<Node>> {
    let n = alts.len();
    if n < 2 {
        return alts;
    }
    let Some(Node::Group {
        optional: true,
        alts: rep,
    }) = alts[n - 1].last()
    else {
        return alts;
    };
    let mut rep = rep.clone();
    if rep.len() != n || rep[n - 1].last() != Some(&Node::Ellipsis) {
        return alts;
    }
    rep[n - 1].pop();
    alts[n - 1].pop();
    if rep == alts {
        vec![vec![
            Node::Group {
                optional: false,
                alts,
            },
            Node::Ellipsis,
        ]]
    } else {
        alts[n - 1].push(Node::Group {
            optional: true,
            alts: {
                rep[n - 1].push(Node::Ellipsis);
                rep
            },
        });
        alts
    }
}

/// Reads alternatives until a closing bracket (consumed) or the end.
fn parse_alts(toks: &[Tok], pos: &mut usize) -> Vec<Vec<Node>> {
    let mut alts = vec![Vec::new()];
    while *pos < toks.len() {
        let t = &toks[*pos];
        *pos += 1;
        match t {
            Tok::Close => break,
            Tok::Bar => alts.push(Vec::new()),
            Tok::Open(optional) => {
                let inner = fold_repeated_alts(parse_alts(toks, pos));
                if let Some(last) = alts.last_mut() {
                    last.push(Node::Group {
                        optional: *optional,
                        alts: inner,
                    });
                }
            }
            Tok::Word(w) => {
                if let Some(last) = alts.last_mut() {
                    last.push(if w == "..." {
                        Node::Ellipsis
                    } else {
                        Node::Word(w.clone())
                    });
                }
            }
        }
    }
    alts.retain(|a| !a.is_empty());
    alts
}

/// A literal word: no lower-case letter (`NX`, `LIB-NAME`, `*`, `0`), or quoted.
fn is_token(w: &str) -> bool {
    w.starts_with('"') || !w.chars().any(|c| c.is_lowercase())
}

fn token_text(w: &str) -> String {
    w.trim_matches('"').to_string()
}

fn leaf_kind(name: &str, h: Hints) -> &'static str {
    let keyish = matches!(
        name,
        "key" | "destination" | "source" | "dst" | "src" | "newkey" | "destkey" | "srckey"
    ) || name.ends_with("key")
        || name.ends_with("-key");
    if h.has_keys && keyish {
        return "key";
    }
    if name == "pattern" {
        return "pattern";
    }
    if name.starts_with("unix-time") || name == "timestamp" {
        return "unix-time";
    }
    match name {
        "timeout" if h.blocking => "double",
        "score" | "longitude" | "latitude" | "radius" | "width" | "height" => "double",
        "count" | "offset" | "seconds" | "milliseconds" | "microseconds" | "index" | "start"
        | "end" | "stop" | "numkeys" | "numreplicas" | "db" | "port" | "cursor" | "increment"
        | "decrement" | "rank" | "len" | "limit" | "num-matches" | "timeout" | "client-id"
        | "destination-db" | "min-idle-time" | "numsub" | "samples" | "protover" => "integer",
        _ => "string",
    }
}

fn group_name(args: &[DocArg]) -> String {
    let names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
    names.join("_")
}

/// One element of a sequence after repetition was resolved.
struct Item {
    node: Node,
    multiple: bool,
    /// The repeated unit began with a token (`GET pattern [GET pattern ...]`).
    multiple_token: bool,
}

/// Resolves `...` and `X [X ...]` in a sequence.
fn collapse(seq: Vec<Node>) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    for node in seq {
        match node {
            Node::Ellipsis => {
                if let Some(last) = items.last_mut() {
                    last.multiple = true;
                }
            }
            Node::Group {
                optional: true,
                ref alts,
            } if alts.len() == 1 && alts[0].last() == Some(&Node::Ellipsis) => {
                let unit = &alts[0][..alts[0].len() - 1];
                let k = unit.len();
                let repeats = k > 0
                    && items.len() >= k
                    && items[items.len() - k..]
                        .iter()
                        .zip(unit)
                        .all(|(it, n)| &it.node == n && !it.multiple);
                if repeats {
                    let start = items.len() - k;
                    let tail: Vec<Node> = items.drain(start..).map(|it| it.node).collect();
                    let starts_with_token =
                        matches!(tail.first(), Some(Node::Word(w)) if is_token(w));
                    let node = if k == 1 {
                        tail.into_iter().next().unwrap_or(Node::Ellipsis)
                    } else {
                        Node::Group {
                            optional: false,
                            alts: vec![tail],
                        }
                    };
                    items.push(Item {
                        node,
                        multiple: true,
                        multiple_token: starts_with_token,
                    });
                } else {
                    // "[x ...]": zero or more.
                    let inner: Vec<Node> = unit.to_vec();
                    items.push(Item {
                        node: Node::Group {
                            optional: true,
                            alts: vec![inner],
                        },
                        multiple: true,
                        multiple_token: false,
                    });
                }
            }
            other => items.push(Item {
                node: other,
                multiple: false,
                multiple_token: false,
            }),
        }
    }
    items
}

/// Converts one sequence (a group's alternative, or the whole syntax) into arguments.
/// `leading` says the sequence is a group's alternative: a token at its start then owns
/// everything up to the next token, optional parts included.
fn convert_seq(seq: Vec<Node>, h: Hints, leading: bool) -> Vec<DocArg> {
    let items = collapse(seq);
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let it = &items[i];
        match &it.node {
            Node::Word(w) if is_token(w) && !(it.multiple && it.multiple_token) => {
                let token = token_text(w);
                let greedy = leading && i == 0;
                let mut j = i + 1;
                let mut bound = Vec::new();
                while j < items.len() {
                    let next = &items[j];
                    let take = match &next.node {
                        Node::Word(nw) => !is_token(nw),
                        Node::Group { optional, .. } => !*optional || greedy,
                        Node::Ellipsis => false,
                    };
                    if !take {
                        break;
                    }
                    bound.push(convert_item(next, h));
                    j += 1;
                }
                let mut arg = match bound.len() {
                    0 => DocArg::leaf(token.to_lowercase(), "pure-token"),
                    1 if bound[0].token.is_none() => {
                        let mut a = bound
                            .pop()
                            .unwrap_or_else(|| DocArg::leaf(token.to_lowercase(), "pure-token"));
                        if a.kind == "oneof" || a.kind == "block" {
                            a.name = token.to_lowercase();
                        }
                        a
                    }
                    _ => DocArg {
                        name: token.to_lowercase(),
                        ..DocArg::group("block", bound)
                    },
                };
                arg.token = Some(token);
                if it.multiple {
                    arg.multiple = true;
                }
                out.push(arg);
                i = j;
            }
            _ => {
                out.push(convert_item(it, h));
                i += 1;
            }
        }
    }
    out
}

fn convert_item(it: &Item, h: Hints) -> DocArg {
    let mut arg = match &it.node {
        Node::Word(w) if is_token(w) => {
            // A repeated unit made of a lone token.
            let t = token_text(w);
            DocArg {
                token: Some(t.clone()),
                ..DocArg::leaf(t.to_lowercase(), "pure-token")
            }
        }
        Node::Word(w) => DocArg::leaf(w.clone(), leaf_kind(w, h)),
        Node::Ellipsis => DocArg::leaf("arg".into(), "string"),
        Node::Group { optional, alts } => {
            let mut arg = convert_group(alts, h);
            arg.optional |= *optional;
            arg
        }
    };
    if it.multiple {
        arg.multiple = true;
        if it.multiple_token {
            // The unit repeats together with its token: the token belongs to the argument.
            arg.multiple_token = arg.token.is_some();
        }
    }
    arg
}

fn convert_group(alts: &[Vec<Node>], h: Hints) -> DocArg {
    let mut choices: Vec<DocArg> = alts
        .iter()
        .map(|alt| {
            let mut args = convert_seq(alt.clone(), h, true);
            if args.len() == 1 {
                args.pop()
                    .unwrap_or_else(|| DocArg::leaf(String::new(), "block"))
            } else {
                DocArg::group("block", args)
            }
        })
        .collect();
    if choices.len() == 1 {
        choices
            .pop()
            .unwrap_or_else(|| DocArg::leaf(String::new(), "block"))
    } else {
        DocArg::group("oneof", choices)
    }
}

/// The arguments described by a documentation syntax string.
pub fn parse_syntax(syntax: &str, h: Hints) -> Vec<DocArg> {
    let toks = tokenize(syntax);
    let mut pos = 0;
    let mut alts = Vec::new();
    // Stray closing brackets end a parse early; keep reading what follows.
    while pos < toks.len() {
        let mut part = parse_alts(&toks, &mut pos);
        if alts.is_empty() {
            alts = part;
        } else if let (Some(last), Some(first)) = (alts.last_mut(), part.first_mut()) {
            last.append(first);
            alts.extend(part.into_iter().skip(1));
        }
    }
    match alts.len() {
        0 => Vec::new(),
        1 => convert_seq(alts.pop().unwrap_or_default(), h, false),
        _ => vec![convert_group(&alts, h)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Hints = Hints {
        has_keys: true,
        blocking: false,
    };

    fn show(args: &[DocArg]) -> String {
        let mut s = String::new();
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&a.name);
            s.push(':');
            s.push_str(a.kind);
            if let Some(t) = &a.token {
                s.push_str(&format!("({t})"));
            }
            if a.optional {
                s.push('?');
            }
            if a.multiple {
                s.push('*');
            }
            if a.multiple_token {
                s.push('T');
            }
            if !a.args.is_empty() {
                s.push('{');
                s.push_str(&show(&a.args));
                s.push('}');
            }
        }
        s
    }

    #[test]
    fn set_syntax() {
        let a = parse_syntax(
            "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
            H,
        );
        assert_eq!(
            show(&a),
            "key:key value:string nx_xx:oneof?{nx:pure-token(NX) xx:pure-token(XX)} get:pure-token(GET)? \
             seconds_milliseconds_unix-time-seconds_unix-time-milliseconds_keepttl:oneof?{seconds:integer(EX) \
             milliseconds:integer(PX) unix-time-seconds:unix-time(EXAT) unix-time-milliseconds:unix-time(PXAT) \
             keepttl:pure-token(KEEPTTL)}"
        );
    }

    #[test]
    fn repetitions() {
        assert_eq!(show(&parse_syntax("key [key ...]", H)), "key:key*");
        assert_eq!(
            show(&parse_syntax("key field value [field value ...]", H)),
            "key:key field_value:block*{field:string value:string}"
        );
        assert_eq!(
            show(&parse_syntax("[GET pattern [GET pattern ...]]", H)),
            "pattern:pattern(GET)?*T"
        );
        assert_eq!(
            show(&parse_syntax("[section [section ...]]", H)),
            "section:string?*"
        );
        assert_eq!(
            show(&parse_syntax("[KEYS key [key ...]]", H)),
            "key:key(KEYS)?*"
        );
    }

    #[test]
    fn repeated_choice() {
        assert_eq!(
            show(&parse_syntax(
                "key [GET x | SET x v [GET x | SET x v ...]]",
                H
            )),
            "key:key x_set:oneof?*{x:string(GET) set:block(SET){x:string v:string}}"
        );
    }

    #[test]
    fn tokens_with_blocks() {
        assert_eq!(
            show(&parse_syntax("[LIMIT offset count]", H)),
            "limit:block(LIMIT)?{offset:integer count:integer}"
        );
        assert_eq!(
            show(&parse_syntax(
                "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
                H
            )),
            "filterby:oneof(FILTERBY)?{module-name:string(MODULE) category:string(ACLCAT) pattern:pattern(PATTERN)}"
        );
        assert_eq!(
            show(&parse_syntax("GROUP group consumer [COUNT count] [NOACK]", H)),
            "group:block(GROUP){group:string consumer:string} count:integer(COUNT)? noack:pure-token(NOACK)?"
        );
        assert_eq!(
            show(&parse_syntax("<ON | OFF | SKIP>", H)),
            "on_off_skip:oneof{on:pure-token(ON) off:pure-token(OFF) skip:pure-token(SKIP)}"
        );
    }

    #[test]
    fn odd_input_never_panics() {
        for s in [
            "",
            "]",
            "[",
            "[[",
            "<",
            "| |",
            "...",
            "[...]",
            "a ] b",
            "\"",
            "[A | ] B",
            "x [y ...",
            "<a | [b ...]>",
        ] {
            let _ = parse_syntax(s, H);
        }
        assert_eq!(show(&parse_syntax("a ] b", H)), "a:string b:string");
    }
}
