//! Incremental request parser (placeholder body).

use std::fmt;

/// One argument: a byte range of the frame (relative to the slice given to `parse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Per-client limits the parser enforces.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub proto_max_bulk_len: usize,
    /// Redis limits unauthenticated clients to small frames.
    pub authenticated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    InvalidMultibulkLength,
    InvalidBulkLength,
    ExpectedDollar(u8),
    UnbalancedQuotes,
    TooBigInline,
    TooBigMbulkCount,
    TooBigBulkCount,
    UnauthenticatedMultibulk,
    UnauthenticatedBulk,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::InvalidMultibulkLength => {
                f.write_str("Protocol error: invalid multibulk length")
            }
            ParseError::InvalidBulkLength => f.write_str("Protocol error: invalid bulk length"),
            ParseError::ExpectedDollar(c) => {
                write!(f, "Protocol error: expected '$', got '{}'", *c as char)
            }
            ParseError::UnbalancedQuotes => {
                f.write_str("Protocol error: unbalanced quotes in request")
            }
            ParseError::TooBigInline => f.write_str("Protocol error: too big inline request"),
            ParseError::TooBigMbulkCount => {
                f.write_str("Protocol error: too big mbulk count string")
            }
            ParseError::TooBigBulkCount => f.write_str("Protocol error: too big bulk count string"),
            ParseError::UnauthenticatedMultibulk => {
                f.write_str("Protocol error: unauthenticated multibulk length")
            }
            ParseError::UnauthenticatedBulk => {
                f.write_str("Protocol error: unauthenticated bulk length")
            }
        }
    }
}

/// What one call to `parse` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command: its arguments are in `args`; the frame used this many bytes.
    Command(usize),
    /// A frame that carries no command (empty inline line, `*0`, `*-1`): skip this many bytes.
    Empty(usize),
    /// More bytes are needed. Call again with the same frame start and more bytes after it.
    Incomplete,
}

/// Parser state kept per connection between reads, so a large bulk string is not
/// rescanned on every read.
#[derive(Default, Debug)]
pub struct Parser {}

impl Parser {
    pub fn new() -> Parser {
        Parser {}
    }
    /// Parses one frame from the start of `buf` (which may be rewritten in place: inline
    /// arguments are unquoted there). On `Command`, `args` holds the argument spans.
    pub fn parse(
        &mut self,
        _buf: &mut [u8],
        _args: &mut Vec<Span>,
        _limits: &Limits,
    ) -> Result<Parsed, ParseError> {
        todo!()
    }
}
