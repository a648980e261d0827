//! Differential tests: every case of the corpus (`tests/corpus/*.txt`) is run against
//! ferrokv and against the real redis-server, in RESP2, again after `HELLO 3`, and (once
//! it passes those) as one pipelined write, and the replies are compared byte for byte.
//!
//! The corpus format is described in `tests/corpus/README.md`. In short: one command per
//! line with redis-cli quoting, a blank line between independent cases (each case runs on
//! fresh connections after FLUSHALL), `# marker` at the end of a line to relax the
//! comparison of that reply (`unordered`, `pairs`, `ignore`, `type`, `range LO HI`,
//! `anyint`, `replies N`), and `#pending: reason` lines for cases (or, before the first
//! case, `#pending-file: reason` for files) that are known not to pass yet: those still
//! run and are reported, but do not fail the test.
//!
//! Environment: `FERROKV_CORPUS=strings,keys` runs only those files;
//! `FERROKV_CORPUS_SELFTEST=1` compares redis-server with a second redis-server instead of
//! ferrokv (to check that a corpus is deterministic and its markers are right);
//! `FERROKV_REQUIRE_REDIS=1` turns a missing redis-server into a failure.

mod common;

use common::{
    encode, escape, loud, loud_banner, reply_len, split_aggregate, RawConn, ReadError, RedisRef,
    Server,
};
use ferrokv::util::split::{split_in_place, Nul};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------
// Corpus parsing
// ---------------------------------------------------------------------------------------

/// How one reply is compared.
#[derive(Clone, Debug, Default, PartialEq)]
struct Markers {
    unordered: bool,
    pairs: bool,
    ignore: bool,
    type_only: bool,
    anyint: bool,
    range: Option<(i64, i64)>,
    replies: usize,
}

impl Markers {
    fn describe(&self) -> String {
        let mut v = Vec::new();
        if self.unordered {
            v.push("unordered".to_string());
        }
        if self.pairs {
            v.push("pairs".into());
        }
        if self.ignore {
            v.push("ignore".into());
        }
        if self.type_only {
            v.push("type".into());
        }
        if self.anyint {
            v.push("anyint".into());
        }
        if let Some((lo, hi)) = self.range {
            v.push(format!("range {lo} {hi}"));
        }
        if self.replies != 1 {
            v.push(format!("replies {}", self.replies));
        }
        v.join(", ")
    }
}

#[derive(Clone, Debug)]
struct Line {
    lineno: usize,
    text: String,
    args: Vec<Vec<u8>>,
    markers: Markers,
}

#[derive(Clone, Debug)]
struct Case {
    file: String,
    lineno: usize,
    lines: Vec<Line>,
    pending: Option<String>,
    /// Which protocols to run: RESP2, RESP3.
    resp2: bool,
    resp3: bool,
}

impl Case {
    fn id(&self) -> String {
        format!("{}:{}", self.file, self.lineno)
    }
    fn title(&self) -> String {
        let first = self.lines.first().map(|l| l.text.as_str()).unwrap_or("");
        format!("{} `{}`", self.id(), first)
    }
}

/// Splits a line the way redis-cli does, with the server's own `sdssplitargs`
/// (`ferrokv::util::split`). Returns each argument and whether any of it was quoted.
fn split_args(line: &str) -> Result<Vec<(Vec<u8>, bool)>, String> {
    let mut buf = line.as_bytes().to_vec();
    let mut args = Vec::new();
    if !split_in_place(&mut buf, Nul::EndsLine, |a| args.push(a)) {
        return Err("unbalanced quotes".into());
    }
    Ok(args
        .into_iter()
        .map(|a| (buf[a.start..a.end].to_vec(), a.quoted))
        .collect())
}

/// `s` cut to about `max` characters for display, saying how much was left out.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{} ...({} more bytes)", &s[..cut], s.len() - cut)
}

fn parse_markers(words: &[(Vec<u8>, bool)]) -> Result<Markers, String> {
    let mut m = Markers {
        replies: 1,
        ..Default::default()
    };
    let words: Vec<String> = words
        .iter()
        .map(|(w, _)| String::from_utf8_lossy(w).into_owned())
        .collect();
    let mut i = 0;
    let num = |i: usize| -> Result<i64, String> {
        words
            .get(i)
            .and_then(|w| w.parse::<i64>().ok())
            .ok_or_else(|| format!("marker `{}` needs a number", words[i - 1]))
    };
    while i < words.len() {
        match words[i].as_str() {
            "unordered" => m.unordered = true,
            "pairs" => m.pairs = true,
            "ignore" => m.ignore = true,
            "type" => m.type_only = true,
            "anyint" => m.anyint = true,
            "range" => {
                m.range = Some((num(i + 1)?, num(i + 2)?));
                i += 2;
            }
            "replies" => {
                m.replies = num(i + 1)?.max(0) as usize;
                i += 1;
            }
            other => return Err(format!("unknown marker `{other}`")),
        }
        i += 1;
    }
    Ok(m)
}

fn parse_corpus(file: &str, text: &str) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    let mut file_pending: Option<String> = None;
    let mut cur: Option<Case> = None;
    let new_case = |lineno: usize| Case {
        file: file.to_string(),
        lineno,
        lines: Vec::new(),
        pending: None,
        resp2: true,
        resp3: true,
    };
    let flush = |cur: &mut Option<Case>, cases: &mut Vec<Case>| {
        if let Some(c) = cur.take() {
            if !c.lines.is_empty() {
                cases.push(c);
            }
        }
    };
    for (n, raw) in text.lines().enumerate() {
        let lineno = n + 1;
        let t = raw.trim();
        if t.is_empty() {
            flush(&mut cur, &mut cases);
            continue;
        }
        if let Some(d) = t.strip_prefix('#') {
            let d = d.trim_start();
            if let Some(reason) = d.strip_prefix("pending-file:") {
                if !cases.is_empty() || cur.as_ref().is_some_and(|c| !c.lines.is_empty()) {
                    return Err(format!(
                        "{file}:{lineno}: #pending-file must come before the first case"
                    ));
                }
                file_pending = Some(reason.trim().to_string());
            } else if let Some(reason) = d.strip_prefix("pending:") {
                cur.get_or_insert_with(|| new_case(lineno)).pending =
                    Some(reason.trim().to_string());
            } else if d == "resp2-only" {
                cur.get_or_insert_with(|| new_case(lineno)).resp3 = false;
            } else if d == "resp3-only" {
                cur.get_or_insert_with(|| new_case(lineno)).resp2 = false;
            }
            continue;
        }
        let words = split_args(t).map_err(|e| format!("{file}:{lineno}: {e}: {t}"))?;
        let cut = words
            .iter()
            .position(|(w, q)| !q && w.first() == Some(&b'#'))
            .unwrap_or(words.len());
        let mut mwords = words[cut..].to_vec();
        if let Some(first) = mwords.first_mut() {
            // "#unordered" (no space) is accepted too.
            first.0.remove(0);
            if first.0.is_empty() {
                mwords.remove(0);
            }
        }
        let markers = parse_markers(&mwords).map_err(|e| format!("{file}:{lineno}: {e}"))?;
        let args: Vec<Vec<u8>> = words[..cut].iter().map(|(w, _)| w.clone()).collect();
        if args.is_empty() {
            return Err(format!("{file}:{lineno}: markers without a command"));
        }
        let text = shorten(t, 100);
        let case = cur.get_or_insert_with(|| new_case(lineno));
        if case.lines.is_empty() {
            case.lineno = case.lineno.min(lineno);
        }
        case.lines.push(Line {
            lineno,
            text,
            args,
            markers,
        });
    }
    flush(&mut cur, &mut cases);
    if let Some(reason) = file_pending {
        for c in cases.iter_mut() {
            c.pending.get_or_insert_with(|| reason.clone());
        }
    }
    Ok(cases)
}

// ---------------------------------------------------------------------------------------
// Normalising replies for comparison
// ---------------------------------------------------------------------------------------

/// Replaces the value of every integer reply (at any depth) by `?`.
fn mask_ints(reply: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(reply.len());
    let mut i = 0;
    while i < reply.len() {
        let Ok(Some(n)) = reply_len(&reply[i..]) else {
            out.extend_from_slice(&reply[i..]);
            break;
        };
        let item = &reply[i..i + n];
        match item[0] {
            b':' => out.extend_from_slice(b":?\r\n"),
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                // Header, then the elements (handled by continuing the scan inside).
                let hl = item.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
                out.extend_from_slice(&item[..hl]);
                out.extend(mask_ints(&item[hl..]));
            }
            _ => out.extend_from_slice(item),
        }
        i += n;
    }
    out
}

/// Sorts the elements (or key/value pairs) of an aggregate reply; with `deep`, nested
/// aggregates are sorted too.
fn sort_aggregate(reply: &[u8], pairs: bool, deep: bool) -> Vec<u8> {
    let Some((head, elems)) = split_aggregate(reply) else {
        return reply.to_vec();
    };
    let by_pairs = pairs || head.first() == Some(&b'%');
    let elems: Vec<Vec<u8>> = elems
        .iter()
        .map(|e| {
            if deep {
                sort_aggregate(e, false, true)
            } else {
                e.to_vec()
            }
        })
        .collect();
    let mut groups: Vec<Vec<u8>> = if by_pairs {
        elems.chunks(2).map(|c| c.concat()).collect()
    } else {
        elems
    };
    groups.sort();
    let mut out = head.to_vec();
    for g in groups {
        out.extend(g);
    }
    out
}

fn int_value(reply: &[u8]) -> Option<i64> {
    let body = match reply.first()? {
        b':' => &reply[1..],
        b'$' => {
            let p = reply.windows(2).position(|w| w == b"\r\n")? + 2;
            &reply[p..]
        }
        _ => return None,
    };
    let end = body.windows(2).position(|w| w == b"\r\n")?;
    std::str::from_utf8(&body[..end]).ok()?.parse().ok()
}

/// What is compared of one reply under `m`.
fn normalize(reply: &[u8], m: &Markers) -> Vec<u8> {
    if m.ignore {
        return b"(ignored)".to_vec();
    }
    if m.type_only {
        return reply.first().map(|c| vec![*c]).unwrap_or_default();
    }
    if let Some((lo, hi)) = m.range {
        return match int_value(reply) {
            Some(v) if v >= lo && v <= hi => format!("(integer in [{lo}, {hi}])").into_bytes(),
            _ => reply.to_vec(),
        };
    }
    let mut r = reply.to_vec();
    if m.anyint {
        r = mask_ints(&r);
    }
    if m.unordered || m.pairs {
        r = sort_aggregate(&r, m.pairs, m.unordered);
    }
    r
}

// ---------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------

/// Both servers of the corpus run with DEBUG enabled (DEBUG DIGEST, PROTOCOL...).
const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// The server under test: ferrokv normally, a second redis-server in self-test mode.
enum Subject {
    Ferrokv(Server),
    Redis(RedisRef),
}

impl Subject {
    fn start(selftest: bool) -> Subject {
        if selftest {
            Subject::Redis(RedisRef::with_args(DEBUG_ON).expect("redis-server for the self-test"))
        } else {
            Subject::Ferrokv(Server::with_args(&["--save", "", DEBUG_ON[0], DEBUG_ON[1]]))
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Subject::Ferrokv(_) => "ferrokv",
            Subject::Redis(_) => "redis#2",
        }
    }
    fn connect(&self) -> std::io::Result<RawConn> {
        match self {
            Subject::Ferrokv(s) => RawConn::connect(&s.addr()),
            Subject::Redis(r) => RawConn::connect(&r.addr()),
        }
    }
    /// Whether it still answers a PING on a new connection (a crashed or wedged server
    /// does not; it is then restarted so later cases are unaffected).
    fn healthy(&self) -> bool {
        let Ok(mut c) = self.connect() else {
            return false;
        };
        if c.try_send(b"*1\r\n$4\r\nPING\r\n").is_err() {
            return false;
        }
        matches!(c.try_read_reply(), Ok(r) if r == b"+PONG\r\n")
    }
    fn log_tail(&self) -> String {
        let lines = match self {
            Subject::Ferrokv(s) => s.log().lines(),
            Subject::Redis(r) => r.log().lines(),
        };
        let from = lines.len().saturating_sub(30);
        lines[from..].join("\n")
    }
}

/// How a case is run: in RESP2, in RESP3 (after HELLO 3), or in RESP2 with all its
/// commands written at once (a pipeline; replies are still compared one by one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Resp2,
    Resp3,
    Pipelined,
}

impl Mode {
    fn proto(self) -> u8 {
        if self == Mode::Resp3 {
            3
        } else {
            2
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Resp2 => "RESP2",
            Mode::Resp3 => "RESP3",
            Mode::Pipelined => "RESP2 pipelined",
        })
    }
}

struct Failure {
    case: String,
    mode: Mode,
    text: String,
}

#[derive(Default)]
struct Outcome {
    cases: usize,
    commands: usize,
    failures: Vec<Failure>,
    /// (case title, reason, None if it passes now or the first difference).
    pending: Vec<(String, String, Option<String>)>,
    /// (case title, the command ferrokv does not know yet).
    unimplemented: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Outcome {
    fn note(&mut self, n: String) {
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }
}

fn read_n(c: &mut RawConn, n: usize) -> Result<Vec<Vec<u8>>, ReadError> {
    (0..n).map(|_| c.try_read_reply()).collect()
}

/// Opens a connection in the given protocol and flushes the keyspace. Returns the
/// connection and whether FLUSHALL worked.
fn open(
    connect: impl Fn() -> std::io::Result<RawConn>,
    proto: u8,
    who: &str,
) -> Result<(RawConn, bool), String> {
    let mut c = connect().map_err(|e| format!("{who}: cannot connect: {e}"))?;
    if proto == 3 {
        c.send(&encode(&["HELLO", "3"]));
        let r = c
            .try_read_reply()
            .map_err(|e| format!("{who}: HELLO 3: {e}"))?;
        if !r.starts_with(b"%") {
            return Err(format!("{who}: HELLO 3 replied \"{}\"", escape(&r)));
        }
    }
    c.send(&encode(&["FLUSHALL"]));
    let r = c
        .try_read_reply()
        .map_err(|e| format!("{who}: FLUSHALL: {e}"))?;
    Ok((c, r == b"+OK\r\n"))
}

const UNKNOWN_COMMAND: &[u8] = b"-ERR unknown command '";
const UNKNOWN_SUBCOMMAND: &[u8] = b"-ERR unknown subcommand '";

/// Whether the subject's reply says it lacks a command (or subcommand) that the
/// reference has: the feature is not implemented yet, as opposed to misbehaving.
fn is_unimplemented(got: &[u8], want: &[u8]) -> bool {
    let unknown = |r: &[u8]| r.starts_with(UNKNOWN_COMMAND) || r.starts_with(UNKNOWN_SUBCOMMAND);
    (got.starts_with(UNKNOWN_COMMAND) && !want.starts_with(UNKNOWN_COMMAND))
        || (got.starts_with(UNKNOWN_SUBCOMMAND) && !unknown(want))
}

/// What running one case in one protocol found.
#[derive(Default)]
struct CaseRun {
    /// Every difference, described (empty: the case passed).
    diffs: Vec<String>,
    /// The first command ferrokv does not know but redis-server does (the run stopped there).
    unimplemented: Option<String>,
    /// FLUSHALL did not work on the subject (cases are then isolated by restarting it).
    no_flushall: bool,
}

/// Replies longer than this are shown around their first difference only.
const SHOW_MAX: usize = 240;

/// Both replies, escaped; long ones cut to the region of their first difference.
fn show_pair(name: &str, got: &[u8], want: &[u8]) -> String {
    if got.len() <= SHOW_MAX && want.len() <= SHOW_MAX {
        return format!(
            "    {name}: \"{}\"\n    redis:   \"{}\"",
            escape(got),
            escape(want)
        );
    }
    let first = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let from = first.saturating_sub(SHOW_MAX / 3);
    let cut = |r: &[u8]| {
        let end = (from + SHOW_MAX).min(r.len());
        let start = from.min(end);
        format!(
            "{}\"{}\"{} ({} bytes)",
            if start > 0 { "..." } else { "" },
            escape(&r[start..end]),
            if end < r.len() { "..." } else { "" },
            r.len()
        )
    };
    format!(
        "    first difference at byte {first}\n    {name}: {}\n    redis:   {}",
        cut(got),
        cut(want)
    )
}

/// Runs one case in one mode.
fn run_case(
    case: &Case,
    mode: Mode,
    subject: &Subject,
    reference: &RedisRef,
    commands: &mut usize,
) -> CaseRun {
    let mut run = CaseRun::default();
    let name = subject.name();
    let proto = mode.proto();
    let mut s = match open(|| subject.connect(), proto, name) {
        Ok((c, flushed)) => {
            run.no_flushall = !flushed;
            c
        }
        Err(e) => {
            run.diffs.push(e);
            return run;
        }
    };
    let mut r = match open(|| RawConn::connect(&reference.addr()), proto, "redis") {
        Ok((c, _)) => c,
        Err(e) => {
            run.diffs.push(e);
            return run;
        }
    };
    let listing: String = case
        .lines
        .iter()
        .map(|l| format!("      {:>4} | {}\n", l.lineno, l.text))
        .collect();
    let strict = std::env::var("FERROKV_CORPUS_STRICT").is_ok_and(|v| v == "1");
    let pipelined = mode == Mode::Pipelined;
    let mut writers = Vec::new();
    if pipelined {
        let all: Vec<u8> = case.lines.iter().flat_map(|l| encode(&l.args)).collect();
        // From other threads: neither side reads its replies before all is written.
        let writer = |c: &RawConn| {
            let mut w = c.stream().try_clone();
            let all = all.clone();
            std::thread::spawn(move || {
                use std::io::Write;
                if let Ok(w) = w.as_mut() {
                    let _ = w.write_all(&all);
                }
            })
        };
        writers.push(writer(&r));
        writers.push(writer(&s));
    }
    for line in &case.lines {
        *commands += 1;
        let frame = encode(&line.args);
        if !pipelined {
            r.send(&frame);
        }
        let want = match read_n(&mut r, line.markers.replies) {
            Ok(v) => v,
            Err(e) => {
                run.diffs.push(format!(
                    "  line {}: {}\n    redis-server itself failed: {e}\n    (a command whose reply never comes, or a wrong `replies N` marker?)",
                    line.lineno, line.text
                ));
                break;
            }
        };
        let sent = if pipelined {
            Ok(())
        } else {
            s.try_send(&frame)
        };
        let got = match sent {
            Ok(()) => read_n(&mut s, line.markers.replies),
            Err(e) => Err(ReadError::Io(e)),
        };
        let got = match got {
            Ok(v) => v,
            Err(e) => {
                run.diffs.push(format!(
                    "  line {}: {}\n    {name}: {e}\n    redis:   \"{}\"",
                    line.lineno,
                    line.text,
                    escape(&want.concat())
                ));
                break;
            }
        };
        if !strict
            && got
                .first()
                .zip(want.first())
                .is_some_and(|(g, w)| is_unimplemented(g, w))
        {
            run.unimplemented = Some(line.text.clone());
            break;
        }
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            if normalize(g, &line.markers) != normalize(w, &line.markers) {
                let which = if line.markers.replies > 1 {
                    format!(" (reply {} of {})", k + 1, line.markers.replies)
                } else {
                    String::new()
                };
                let m = line.markers.describe();
                let m = if m.is_empty() {
                    String::new()
                } else {
                    format!("\n    compared as: {m}")
                };
                run.diffs.push(format!(
                    "  line {}: {}{which}\n{}{m}",
                    line.lineno,
                    line.text,
                    show_pair(name, g, w)
                ));
            }
        }
    }
    // A writer still blocked (replies not read after a difference) ends with the sockets.
    for c in [&r, &s] {
        let _ = c.stream().shutdown(std::net::Shutdown::Both);
    }
    for w in writers {
        let _ = w.join();
    }
    if !run.diffs.is_empty() {
        run.diffs.insert(0, format!("    case:\n{listing}"));
    }
    run
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    let only: Option<Vec<String>> = std::env::var("FERROKV_CORPUS").ok().map(|s| {
        s.split(',')
            .map(|x| x.trim().trim_end_matches(".txt").to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .filter(|p| {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            only.as_ref().is_none_or(|o| o.contains(&stem))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_parses() {
    let mut n = 0;
    for f in corpus_files() {
        let name = f.file_name().map(|s| s.to_string_lossy().into_owned());
        let text = std::fs::read_to_string(&f).expect("read corpus file");
        let cases =
            parse_corpus(&name.unwrap_or_default(), &text).unwrap_or_else(|e| panic!("{e}"));
        n += cases.len();
    }
    assert!(n > 0, "the corpus has no case");
}

#[test]
fn split_args_follows_redis_cli() {
    let t = |s: &str| -> Vec<Vec<u8>> {
        split_args(s)
            .expect("parses")
            .into_iter()
            .map(|(w, _)| w)
            .collect()
    };
    assert_eq!(
        t("SET a b"),
        vec![b"SET".to_vec(), b"a".to_vec(), b"b".to_vec()]
    );
    assert_eq!(t("  x   \"a b\"  "), vec![b"x".to_vec(), b"a b".to_vec()]);
    assert_eq!(t(r#""\x41\n\"\\""#), vec![b"A\n\"\\".to_vec()]);
    assert_eq!(t(r"'it\'s' '\n'"), vec![b"it's".to_vec(), b"\\n".to_vec()]);
    assert_eq!(t("\"\" ''"), vec![Vec::new(), Vec::new()]);
    assert!(split_args("\"abc").is_err());
    assert!(split_args("\"a\"b").is_err());
    let m =
        parse_corpus("t", "GET k # unordered\nGET \"#\" #range 1 5\nX '#' a#b\n").expect("parses");
    assert_eq!(m[0].lines[0].args, vec![b"GET".to_vec(), b"k".to_vec()]);
    assert!(m[0].lines[0].markers.unordered);
    assert_eq!(m[0].lines[1].args[1], b"#".to_vec());
    assert_eq!(m[0].lines[1].markers.range, Some((1, 5)));
    assert_eq!(m[0].lines[2].args.len(), 3);
}

#[test]
fn normalize_markers() {
    let m = |s: &str| parse_markers(&split_args(s).expect("split")).expect("markers");
    let a = b"*3\r\n$1\r\nb\r\n$1\r\na\r\n:1\r\n";
    let b = b"*3\r\n:1\r\n$1\r\na\r\n$1\r\nb\r\n";
    assert_eq!(normalize(a, &m("unordered")), normalize(b, &m("unordered")));
    assert_ne!(normalize(a, &m("")), normalize(b, &m("")));
    let p1 = b"*4\r\n$1\r\nk\r\n$1\r\n1\r\n$1\r\nj\r\n$1\r\n2\r\n";
    let p2 = b"*4\r\n$1\r\nj\r\n$1\r\n2\r\n$1\r\nk\r\n$1\r\n1\r\n";
    let p3 = b"*4\r\n$1\r\nj\r\n$1\r\n1\r\n$1\r\nk\r\n$1\r\n2\r\n";
    assert_eq!(normalize(p1, &m("pairs")), normalize(p2, &m("pairs")));
    assert_ne!(normalize(p1, &m("pairs")), normalize(p3, &m("pairs")));
    assert_eq!(
        normalize(b":5\r\n", &m("range 0 10")),
        normalize(b":9\r\n", &m("range 0 10"))
    );
    assert_ne!(
        normalize(b":11\r\n", &m("range 0 10")),
        normalize(b":9\r\n", &m("range 0 10"))
    );
    assert_eq!(
        normalize(b"%1\r\n$2\r\nid\r\n:7\r\n", &m("anyint")),
        normalize(b"%1\r\n$2\r\nid\r\n:12\r\n", &m("anyint"))
    );
    assert_eq!(
        normalize(b"-ERR a\r\n", &m("type")),
        normalize(b"-ERR b\r\n", &m("type"))
    );
}

#[test]
fn corpus_matches_redis() {
    let selftest = std::env::var("FERROKV_CORPUS_SELFTEST").is_ok_and(|v| v == "1");
    let Some(mut reference) = RedisRef::with_args_or_skip("corpus_matches_redis", DEBUG_ON) else {
        return;
    };
    let mut subject = Subject::start(selftest);
    // Without FLUSHALL on the subject, each case gets a freshly started one instead.
    let mut restart_each_case = false;
    let mut out = Outcome::default();
    for path in corpus_files() {
        let file = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        let cases = parse_corpus(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        for case in &cases {
            out.cases += 1;
            let mut first_diff: Option<String> = None;
            let mut unimplemented: Option<String> = None;
            let mut clean = true;
            for mode in [Mode::Resp2, Mode::Resp3, Mode::Pipelined] {
                let skip = match mode {
                    Mode::Resp2 => !case.resp2,
                    Mode::Resp3 => !case.resp3,
                    // Only once the case passes one command at a time.
                    Mode::Pipelined => !case.resp2 || !clean || case.pending.is_some(),
                };
                if skip {
                    continue;
                }
                if restart_each_case {
                    subject = Subject::start(selftest);
                }
                let run = run_case(case, mode, &subject, &reference, &mut out.commands);
                clean &= run.diffs.is_empty() && run.unimplemented.is_none();
                if run.no_flushall && !restart_each_case {
                    out.note(format!(
                        "{} has no FLUSHALL: every case runs on a freshly started server",
                        subject.name()
                    ));
                    restart_each_case = true;
                }
                let mut diffs = run.diffs;
                if !diffs.is_empty() && !subject.healthy() {
                    out.note(format!(
                        "{} stopped answering during {} ({mode}); restarted",
                        subject.name(),
                        case.id()
                    ));
                    diffs.push(format!(
                        "    {} stopped answering; its last output:\n{}",
                        subject.name(),
                        subject.log_tail()
                    ));
                    subject = Subject::start(selftest);
                } else if !diffs.is_empty() || run.unimplemented.is_some() {
                    // The case stopped early or went its own way: state it set outside
                    // the keyspace (CONFIG SET...) may not have been restored. Start over.
                    subject = Subject::start(selftest);
                    reference = RedisRef::with_args(DEBUG_ON).expect("redis-server restart");
                }
                if let Some(cmd) = run.unimplemented {
                    if case.pending.is_some() {
                        first_diff
                            .get_or_insert(format!("{mode}: ferrokv does not know `{cmd}` yet"));
                    }
                    unimplemented.get_or_insert(cmd);
                }
                if diffs.is_empty() {
                    continue;
                }
                let text = diffs.join("\n");
                if case.pending.is_some() || unimplemented.is_some() {
                    first_diff.get_or_insert(format!("{mode}:\n{text}"));
                } else {
                    out.failures.push(Failure {
                        case: case.title(),
                        mode,
                        text,
                    });
                }
            }
            if let Some(reason) = &case.pending {
                out.pending.push((case.title(), reason.clone(), first_diff));
            } else if let Some(cmd) = unimplemented {
                out.unimplemented.push((case.title(), cmd));
            }
        }
    }

    // The report: always printed (past the output capture) and written to a file.
    let mut rep = String::new();
    let still: Vec<_> = out.pending.iter().filter(|p| p.2.is_some()).collect();
    let fixed: Vec<_> = out.pending.iter().filter(|p| p.2.is_none()).collect();
    let _ = writeln!(
        rep,
        "differential corpus ({} vs redis-server): {} cases, {} command runs, {} failures, {} pending ({} still differ, {} now pass), {} not implemented yet",
        subject.name(),
        out.cases,
        out.commands,
        out.failures.len(),
        out.pending.len(),
        still.len(),
        fixed.len(),
        out.unimplemented.len()
    );
    for n in &out.notes {
        let _ = writeln!(rep, "note: {n}");
    }
    let verbose = std::env::var("FERROKV_CORPUS_VERBOSE").is_ok_and(|v| v == "1");
    if !still.is_empty() {
        let _ = writeln!(rep, "\nPENDING cases that still differ (not failures):");
        for (title, reason, diff) in &still {
            let _ = writeln!(rep, "  - {title}  [{reason}]");
            if verbose {
                let _ = writeln!(rep, "{}", diff.as_deref().unwrap_or(""));
            }
        }
    }
    if !fixed.is_empty() {
        let _ = writeln!(
            rep,
            "\nPENDING cases that now PASS (remove their #pending marker):"
        );
        for (title, reason, _) in &fixed {
            let _ = writeln!(rep, "  - {title}  [{reason}]");
        }
    }
    if !out.unimplemented.is_empty() {
        let _ = writeln!(
            rep,
            "\nNOT IMPLEMENTED YET (ferrokv answers 'unknown command/subcommand'; not failures, FERROKV_CORPUS_STRICT=1 makes them failures):"
        );
        for (title, cmd) in &out.unimplemented {
            let _ = writeln!(rep, "  - {title}  (stopped at `{cmd}`)");
        }
    }
    for f in &out.failures {
        let _ = writeln!(rep, "\nFAILED {} [{}]\n{}", f.case, f.mode, f.text);
    }
    let report_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-report.txt");
    let _ = std::fs::write(&report_path, &rep);
    if out.pending.is_empty() && out.failures.is_empty() && out.unimplemented.is_empty() {
        loud(rep.lines().next().unwrap_or(""));
    } else {
        let head: Vec<String> = rep
            .lines()
            .take_while(|l| !l.starts_with("FAILED"))
            .map(str::to_string)
            .collect();
        loud_banner("DIFFERENTIAL CORPUS REPORT", &head);
        loud(&format!("(full report: {})", report_path.display()));
    }
    if !out.failures.is_empty() {
        panic!(
            "{} corpus case runs differ from redis-server:\n{}",
            out.failures.len(),
            rep
        );
    }
}

// ---------------------------------------------------------------------------------------
// COMMAND DOCS of every row
// ---------------------------------------------------------------------------------------

/// Rows ferrokv has that redis-server 7.0 does not (their docs are written by hand in
/// `scripts/gen_command_docs.py`).
const NOT_IN_REDIS_7_0: &[&str] = &["client|setinfo"];

/// The text of a bulk string reply.
fn bulk_text(reply: &[u8]) -> String {
    let start = reply
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(0, |p| p + 2);
    String::from_utf8_lossy(&reply[start..reply.len().saturating_sub(2)]).into_owned()
}

/// An aggregate header (`*3\r\n`, `%2\r\n`) of the type of `head` with `pairs` entries
/// (counted as elements unless it is a RESP3 map).
fn map_head(head: &[u8], pairs: usize) -> Vec<u8> {
    let n = if head.first() == Some(&b'%') {
        pairs
    } else {
        pairs * 2
    };
    format!("{}{n}\r\n", head[0] as char).into_bytes()
}

/// A COMMAND DOCS reply for one name with its `subcommands` map (if any) reduced to the
/// names in `keep` and sorted: Redis lists subcommands in hash order, and has some that
/// ferrokv does not.
fn comparable_docs(reply: &[u8], keep: &[String]) -> Vec<u8> {
    let Some((head, top)) = split_aggregate(reply) else {
        return reply.to_vec();
    };
    let [name, value] = top[..] else {
        return reply.to_vec();
    };
    let Some((vhead, fields)) = split_aggregate(value) else {
        return reply.to_vec();
    };
    let mut out = head.to_vec();
    out.extend_from_slice(name);
    out.extend_from_slice(vhead);
    for kv in fields.chunks(2) {
        out.extend_from_slice(kv[0]);
        let subs = match (bulk_text(kv[0]) == "subcommands", split_aggregate(kv[1])) {
            (true, Some(s)) => s,
            _ => {
                out.extend_from_slice(kv[1]);
                continue;
            }
        };
        let (shead, entries) = subs;
        let mut pairs: Vec<Vec<u8>> = entries
            .chunks(2)
            .filter(|p| keep.contains(&bulk_text(p[0])))
            .map(|p| p.concat())
            .collect();
        pairs.sort();
        out.extend(map_head(shead, pairs.len()));
        out.extend(pairs.concat());
    }
    out
}

/// COMMAND DOCS of every row ferrokv has (commands, containers and subcommands) equals
/// redis-server's, in RESP2 and in RESP3. Containers are compared on the subcommands
/// both have, in name order.
#[test]
fn command_docs_match_redis_for_every_row() {
    let Some(redis) = RedisRef::with_args_or_skip("command_docs_match_redis_for_every_row", &[])
    else {
        return;
    };
    let ferrokv = Server::with_args(&["--save", ""]);
    let (mut f, mut r) = (ferrokv.connect(), redis.connect());
    let list = f.call(&["COMMAND", "LIST"]);
    let (_, names) = split_aggregate(&list).expect("COMMAND LIST is an array");
    let names: Vec<String> = names.iter().map(|b| bulk_text(b)).collect();
    assert!(names.len() > 100, "{}", escape(&list));
    let mut missing = Vec::new();
    let mut diffs = Vec::new();
    for proto in ["2", "3"] {
        f.call(&["HELLO", proto]);
        r.call(&["HELLO", proto]);
        let keep: Vec<String> = names
            .iter()
            .filter(|n| !NOT_IN_REDIS_7_0.contains(&n.as_str()))
            .cloned()
            .collect();
        for n in &names {
            let want = r.call(&["COMMAND", "DOCS", n]);
            if want == b"*0\r\n" || want == b"%0\r\n" {
                if proto == "2" {
                    missing.push(n.clone());
                }
                continue;
            }
            let got = f.call(&["COMMAND", "DOCS", n]);
            let (got, want) = (comparable_docs(&got, &keep), comparable_docs(&want, &keep));
            if got != want {
                let at = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
                let from = at.saturating_sub(80);
                diffs.push(format!(
                    "RESP{proto} COMMAND DOCS {n}: differs at byte {at}\n  ferrokv: ...{}\n  redis:   ...{}",
                    escape(&got[from..(at + 120).min(got.len())]),
                    escape(&want[from..(at + 120).min(want.len())])
                ));
            }
        }
    }
    assert_eq!(
        missing, NOT_IN_REDIS_7_0,
        "rows redis-server 7.0 does not document"
    );
    assert!(
        diffs.is_empty(),
        "{} COMMAND DOCS replies differ from redis-server:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
