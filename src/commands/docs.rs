//! What a command's documentation (COMMAND DOCS) is made of: summary, since, complexity,
//! doc flags, deprecation, history and the argument tree of Redis 7.0.
//!
//! Every family file ends with a generated `mod docs` holding one `Docs` per row, written
//! by `scripts/gen_command_docs.py` from what a redis-server 7.0 answers to COMMAND DOCS;
//! its rows point at their entry with `.docs(&docs::NAME)` (NAME: the full name in upper
//! case, `|` and `-` as `_`). `server::command` encodes them.

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
    pub flags: u8,
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
    /// The full name of the row it documents ("get", "config|get"), for a check.
    pub name: &'static str,
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

impl Docs {
    /// The documentation of a row that has none.
    pub const NONE: Docs = Docs {
        name: "",
        summary: "",
        since: "",
        complexity: "",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::TABLE;

    #[test]
    fn every_row_has_its_own_docs() {
        for &c in &TABLE.all {
            for row in std::iter::once(c).chain(c.subcommands.iter()) {
                assert_eq!(
                    row.docs.name,
                    TABLE.full_name(row),
                    "the row points at another row's docs, or at none \
                     (give it `.docs(&docs::NAME)` and run scripts/gen_command_docs.py)"
                );
            }
        }
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
        for &c in &TABLE.all {
            for row in std::iter::once(c).chain(c.subcommands.iter()) {
                let d = row.docs;
                assert!(!d.summary.is_empty() && !d.since.is_empty(), "{}", d.name);
                for a in d.args {
                    check(a, d.name);
                }
            }
        }
    }
}
