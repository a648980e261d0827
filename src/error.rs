//! Command errors: every error reply a handler can produce, with Redis's exact wording.
//!
//! Handlers return `Result<(), Error>`; the dispatcher writes `-{Display}\r\n`. Texts that
//! carry the error code (ERR, WRONGTYPE, NOAUTH...) include it, so Display is the whole
//! line without the leading '-'.

#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    WrongType,
    NotInteger,
    NotFloat,
    Syntax,
    NoSuchKey,
    Overflow,
    IndexOutOfRange,
    NotPositive,
    InvalidExpire(&'static str),
    InvalidDbIndex,
    DbIndexOutOfRange,
    NoAuth,
    WrongPass,
    /// `ERR wrong number of arguments for '<name>' command`.
    Arity(String),
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand(String, String),
    /// Any other text, complete with its code (e.g. "ERR timeout is negative").
    Msg(Cow<'static, str>),
}

pub type CmdResult = Result<(), Error>;

impl Error {
    pub fn msg(s: impl Into<Cow<'static, str>>) -> Error {
        Error::Msg(s.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            Error::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            Error::NotFloat => f.write_str("ERR value is not a valid float"),
            Error::Syntax => f.write_str("ERR syntax error"),
            Error::NoSuchKey => f.write_str("ERR no such key"),
            Error::Overflow => f.write_str("ERR increment or decrement would overflow"),
            Error::IndexOutOfRange => f.write_str("ERR index out of range"),
            Error::NotPositive => f.write_str("ERR value is out of range, must be positive"),
            Error::InvalidExpire(cmd) => write!(f, "ERR invalid expire time in '{cmd}' command"),
            Error::InvalidDbIndex => f.write_str("ERR invalid DB index"),
            Error::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            Error::NoAuth => f.write_str("NOAUTH Authentication required."),
            Error::WrongPass => {
                f.write_str("WRONGPASS invalid username-password pair or user is disabled.")
            }
            Error::Arity(name) => {
                write!(f, "ERR wrong number of arguments for '{name}' command")
            }
            Error::UnknownSubcommand(sub, cmd) => {
                write!(f, "ERR unknown subcommand '{sub}'. Try {cmd} HELP.")
            }
            Error::Msg(s) => f.write_str(s),
        }
    }
}

/// Redis shows client-supplied bytes in error texts after replacing CR/LF by spaces and
/// capping the length (so a reply line can never be broken by the client's data).
pub fn sanitize(b: &[u8], max: usize) -> String {
    let cut = b.get(..max).unwrap_or(b);
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if s.contains(['\r', '\n']) {
        s = s.replace(['\r', '\n'], " ");
    }
    s
}
