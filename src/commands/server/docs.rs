//! COMMAND DOCS: what the documentation of a command is made of, and its encoding.
//!
//! The data itself is in `docs_data` (generated from redis-server 7.0 by
//! `scripts/gen_command_docs.py`), one entry per row keyed by its full name: summary,
//! since, complexity, doc flags, deprecation, history and the argument tree. The group
//! comes from the row (it also gives ACL categories). A row without an entry documents
//! nothing but its group (a unit test makes sure every row has one).
//!
//! The encoding follows Redis 7.0's addReplyCommandDocs and addReplyCommandArgList field
//! for field and in the same order, so replies are equal byte for byte in RESP2 and RESP3.

use super::docs_data::DOCS;
use crate::commands::{CommandDef, TABLE};
use crate::resp::reply::Reply;

/// An argument's type, as COMMAND DOCS names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    Str,
    Int,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl ArgType {
    pub const fn name(self) -> &'static str {
        match self {
            ArgType::Str => "string",
            ArgType::Int => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

const OPTIONAL: u8 = 1;
const MULTIPLE: u8 = 2;
const MULTIPLE_TOKEN: u8 = 4;

/// One argument of a command. Empty strings mean "absent".
#[derive(Clone, Copy, Debug)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgType,
    /// Which key spec of the command the argument is a key of; -1 for none.
    pub key_spec_index: i32,
    pub token: &'static str,
    pub since: &'static str,
    pub deprecated_since: &'static str,
    flags: u8,
    /// The parts of a oneof or a block.
    pub args: &'static [Arg],
}

/// An argument with only a name and a type; refine with the builder methods.
pub const fn arg(name: &'static str, kind: ArgType) -> Arg {
    Arg {
        name,
        kind,
        key_spec_index: -1,
        token: "",
        since: "",
        deprecated_since: "",
        flags: 0,
        args: &[],
    }
}

impl Arg {
    pub const fn key_spec(mut self, i: i32) -> Arg {
        self.key_spec_index = i;
        self
    }
    pub const fn token(mut self, t: &'static str) -> Arg {
        self.token = t;
        self
    }
    pub const fn since(mut self, v: &'static str) -> Arg {
        self.since = v;
        self
    }
    pub const fn deprecated_since(mut self, v: &'static str) -> Arg {
        self.deprecated_since = v;
        self
    }
    /// May be left out.
    pub const fn opt(mut self) -> Arg {
        self.flags |= OPTIONAL;
        self
    }
    /// May repeat.
    pub const fn multi(mut self) -> Arg {
        self.flags |= MULTIPLE;
        self
    }
    /// Repeats together with its token.
    pub const fn multi_token(mut self) -> Arg {
        self.flags |= MULTIPLE_TOKEN;
        self
    }
    pub const fn args(mut self, a: &'static [Arg]) -> Arg {
        self.args = a;
        self
    }
    pub fn optional(&self) -> bool {
        self.flags & OPTIONAL != 0
    }
    pub fn multiple(&self) -> bool {
        self.flags & MULTIPLE != 0
    }
    pub fn multiple_token(&self) -> bool {
        self.flags & MULTIPLE_TOKEN != 0
    }
}

/// A command's documentation, all but its group. Empty strings mean "absent".
#[derive(Debug)]
pub struct Docs {
    pub summary: &'static str,
    pub since: &'static str,
    pub complexity: &'static str,
    /// "deprecated", "syscmd".
    pub doc_flags: &'static [&'static str],
    pub deprecated_since: &'static str,
    pub replaced_by: &'static str,
    /// (version, what changed).
    pub history: &'static [(&'static str, &'static str)],
    pub args: &'static [Arg],
}

const NONE: Docs = Docs {
    summary: "",
    since: "",
    complexity: "",
    doc_flags: &[],
    deprecated_since: "",
    replaced_by: "",
    history: &[],
    args: &[],
};

/// The documentation of a row, by its full name ("get", "config|get").
pub fn docs_of(full_name: &str) -> Option<&'static Docs> {
    DOCS.binary_search_by(|(n, _)| (*n).cmp(full_name))
        .ok()
        .map(|i| &DOCS[i].1)
}

fn reply_args(r: &mut Reply, args: &[Arg]) {
    r.array(args.len());
    for a in args {
        let strs = [
            ("token", a.token),
            ("since", a.since),
            ("deprecated_since", a.deprecated_since),
        ];
        let nested = matches!(a.kind, ArgType::OneOf | ArgType::Block);
        let n = 2
            + (a.key_spec_index >= 0) as usize
            + strs.iter().filter(|(_, v)| !v.is_empty()).count()
            + (a.flags != 0) as usize
            + nested as usize;
        r.map(n);
        r.bulk(b"name");
        r.bulk(a.name.as_bytes());
        r.bulk(b"type");
        r.bulk(a.kind.name().as_bytes());
        if a.key_spec_index >= 0 {
            r.bulk(b"key_spec_index");
            r.int(i64::from(a.key_spec_index));
        }
        for (k, v) in strs {
            if !v.is_empty() {
                r.bulk(k.as_bytes());
                r.bulk(v.as_bytes());
            }
        }
        if a.flags != 0 {
            let fl = [
                (a.optional(), "optional"),
                (a.multiple(), "multiple"),
                (a.multiple_token(), "multiple_token"),
            ];
            r.bulk(b"flags");
            r.set(fl.iter().filter(|(on, _)| *on).count());
            for (on, f) in fl {
                if on {
                    r.simple(f);
                }
            }
        }
        if nested {
            r.bulk(b"arguments");
            reply_args(r, a.args);
        }
    }
}

/// One COMMAND DOCS value (the map after the name).
pub fn reply_docs(r: &mut Reply, c: &'static CommandDef) {
    let d = docs_of(TABLE.full_name(c)).unwrap_or(&NONE);
    let strs = [("summary", d.summary), ("since", d.since)];
    let later = [
        ("deprecated_since", d.deprecated_since),
        ("replaced_by", d.replaced_by),
    ];
    let n = 1
        + strs.iter().filter(|(_, v)| !v.is_empty()).count()
        + !d.complexity.is_empty() as usize
        + !d.doc_flags.is_empty() as usize
        + later.iter().filter(|(_, v)| !v.is_empty()).count()
        + !d.history.is_empty() as usize
        + !d.args.is_empty() as usize
        + !c.subcommands.is_empty() as usize;
    r.map(n);
    for (k, v) in strs {
        if !v.is_empty() {
            r.bulk(k.as_bytes());
            r.bulk(v.as_bytes());
        }
    }
    r.bulk(b"group");
    r.bulk(c.group.name().as_bytes());
    if !d.complexity.is_empty() {
        r.bulk(b"complexity");
        r.bulk(d.complexity.as_bytes());
    }
    if !d.doc_flags.is_empty() {
        r.bulk(b"doc_flags");
        r.set(d.doc_flags.len());
        for f in d.doc_flags {
            r.simple(f);
        }
    }
    for (k, v) in later {
        if !v.is_empty() {
            r.bulk(k.as_bytes());
            r.bulk(v.as_bytes());
        }
    }
    if !d.history.is_empty() {
        r.bulk(b"history");
        // A set, as Redis 7.0 writes it (addReplyCommandHistory).
        r.set(d.history.len());
        for (version, text) in d.history {
            r.array(2);
            r.bulk(version.as_bytes());
            r.bulk(text.as_bytes());
        }
    }
    if !d.args.is_empty() {
        r.bulk(b"arguments");
        reply_args(r, d.args);
    }
    if !c.subcommands.is_empty() {
        r.bulk(b"subcommands");
        r.map(c.subcommands.len());
        for s in c.subcommands {
            r.bulk(TABLE.full_name(s).as_bytes());
            reply_docs(r, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_exactly_one_entry() {
        assert!(
            DOCS.windows(2).all(|w| w[0].0 < w[1].0),
            "entries sorted and unique"
        );
        let mut rows: Vec<&str> = TABLE
            .all
            .iter()
            .flat_map(|&c| std::iter::once(c).chain(c.subcommands.iter()))
            .map(|c| TABLE.full_name(c))
            .collect();
        rows.sort_unstable();
        let names: Vec<&str> = DOCS.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            rows, names,
            "run scripts/gen_command_docs.py after adding or removing a row"
        );
    }

    #[test]
    fn arguments_are_well_formed() {
        fn check(a: &Arg, cmd: &str) {
            assert!(!a.name.is_empty(), "{cmd}: unnamed argument");
            let nested = matches!(a.kind, ArgType::OneOf | ArgType::Block);
            assert_eq!(nested, !a.args.is_empty(), "{cmd}: {}", a.name);
            if a.kind == ArgType::PureToken {
                assert!(!a.token.is_empty(), "{cmd}: {} has no token", a.name);
            }
            for s in a.args {
                check(s, cmd);
            }
        }
        for (name, d) in DOCS {
            assert!(!d.summary.is_empty() && !d.since.is_empty(), "{name}");
            for a in d.args {
                check(a, name);
            }
        }
    }
}
