//! Incremental request parser.
//!
//! A connection hands `Parser::parse` the bytes from the start of the current frame to
//! the end of what it has received, and calls again with the same frame start and more
//! bytes after it whenever the answer is `Incomplete`. Everything the parser remembers
//! between calls is an offset relative to that frame start (never a pointer or an
//! absolute index), so the caller is free to move or compact its buffer in between. The
//! state is a small machine: which line of a multibulk frame comes next (the `*` count,
//! a `$` length, or a payload of known length), how many bulks are still owed, the spans
//! of the arguments already read, and how far the search for the current line's
//! terminator has gone, so a header line is searched once and a large payload is never
//! rescanned (waiting for it costs one comparison per call). The rules are those of
//! Redis 7.0 `processMultibulkBuffer` and `processInlineBuffer`, checked against a real
//! 7.0 server: numbers follow `string2ll`, a count above `INT_MAX` or a length above
//! `proto-max-bulk-len` is refused, unauthenticated clients get at most 10 arguments of
//! 16 KiB, a header or inline line still unterminated with more than 64 KiB pending is
//! an error, and, like the C `strchr` Redis uses, the search for a line end stops at a
//! NUL byte, so such a line never completes. The byte after a header's `\r` and the two
//! bytes after a payload are skipped without being checked, as Redis does. Inline
//! requests are split with `sdssplitargs` rules; since unquoting only ever shrinks the
//! text, the arguments are rewritten in place inside the caller's buffer and returned as
//! spans there. After a whole frame or an error the state resets for the next frame.

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

/// Most bytes Redis keeps pending while the current inline request or header line has
/// no terminator yet (`PROTO_INLINE_MAX_SIZE`); one byte more is an error.
const LINE_MAX: usize = 64 * 1024;
/// Largest multibulk count Redis 7.0 accepts (`INT_MAX`).
const MAX_MULTIBULK: i64 = i32::MAX as i64;
/// Largest multibulk count an unauthenticated client may send.
const UNAUTH_MAX_MULTIBULK: i64 = 10;
/// Largest bulk length an unauthenticated client may send.
const UNAUTH_MAX_BULK: u64 = 16 * 1024;
/// Cap on the argument slots reserved up front from an announced count, so a count
/// of `INT_MAX` costs nothing until the arguments actually arrive.
const ARGS_PREALLOC: usize = 1024;

/// Where the parser is inside the current frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Stage {
    /// No byte of the frame examined yet.
    #[default]
    Start,
    /// An inline request: waiting for its `\n`.
    Inline,
    /// A multibulk frame: waiting for the `*<count>` line.
    Count,
    /// A multibulk frame: waiting for the next `$<len>` line.
    BulkHeader,
    /// A multibulk frame: waiting for a payload of this length (plus two bytes) at `pos`.
    BulkBody(u64),
}

/// Parser state kept per connection between reads, so a large bulk string is not
/// rescanned on every read.
#[derive(Default, Debug)]
pub struct Parser {
    stage: Stage,
    /// Offset of the next unread line or payload, relative to the frame start.
    pos: usize,
    /// Offset up to which the current line has been searched for its terminator.
    scan: usize,
    /// Bulks announced by the count line and not read yet.
    remaining: u64,
    /// Length of the slice at the last `Incomplete`; a shorter slice means the caller
    /// started over, and so does the parser.
    seen: usize,
    /// Arguments of the current frame read so far.
    spans: Vec<Span>,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Parses one frame from the start of `buf` (which may be rewritten in place: inline
    /// arguments are unquoted there). On `Command`, `args` holds the argument spans; on
    /// any other outcome it is left empty.
    pub fn parse(
        &mut self,
        buf: &mut [u8],
        args: &mut Vec<Span>,
        limits: &Limits,
    ) -> Result<Parsed, ParseError> {
        args.clear();
        if buf.len() < self.seen {
            self.reset();
        }
        if self.stage == Stage::Start {
            match buf.first() {
                None => return Ok(Parsed::Incomplete),
                Some(b'*') => self.stage = Stage::Count,
                Some(_) => self.stage = Stage::Inline,
            }
        }
        let result = if self.stage == Stage::Inline {
            self.inline(buf)
        } else {
            self.multibulk(buf, limits)
        };
        match result {
            Ok(Parsed::Incomplete) => self.seen = buf.len(),
            Ok(Parsed::Command(_)) => {
                std::mem::swap(args, &mut self.spans);
                self.reset();
            }
            _ => self.reset(),
        }
        result
    }

    /// Forgets any partly read frame: the next `parse` starts a new one.
    pub fn reset(&mut self) {
        self.stage = Stage::Start;
        self.pos = 0;
        self.scan = 0;
        self.remaining = 0;
        self.seen = 0;
        self.spans.clear();
    }

    /// While a bulk payload is awaited, the frame length (from the frame start) at which
    /// it will be complete, so the caller can size its buffer once for a large argument.
    pub fn frame_len_hint(&self) -> Option<usize> {
        match self.stage {
            Stage::BulkBody(len) => {
                let end = (self.pos as u64).saturating_add(len).saturating_add(2);
                Some(usize::try_from(end).unwrap_or(usize::MAX))
            }
            _ => None,
        }
    }

    /// Searches the current line (from `pos`) for `term`, resuming where the previous
    /// search stopped. As with the C `strchr` Redis uses, a NUL byte ends the search:
    /// the line then never completes. Returns the terminator's offset.
    fn find(&mut self, buf: &[u8], term: u8) -> Option<usize> {
        let from = self.scan.max(self.pos);
        let hay = buf.get(from..)?;
        match memchr::memchr2(term, 0, hay) {
            Some(off) => {
                // Stay on the hit: the next search finds it again at once.
                self.scan = from + off;
                (hay[off] == term).then_some(from + off)
            }
            None => {
                self.scan = buf.len();
                None
            }
        }
    }

    /// Finds the end of the header line at `pos`: the offset of its `\r`, once at least
    /// one more byte (normally the `\n`, not checked) has arrived.
    fn header_line(
        &mut self,
        buf: &[u8],
        too_big: ParseError,
    ) -> Result<Option<usize>, ParseError> {
        match self.find(buf, b'\r') {
            Some(cr) => Ok((cr + 1 < buf.len()).then_some(cr)),
            None if buf.len().saturating_sub(self.pos) > LINE_MAX => Err(too_big),
            None => Ok(None),
        }
    }

    fn multibulk(&mut self, buf: &[u8], limits: &Limits) -> Result<Parsed, ParseError> {
        loop {
            match self.stage {
                Stage::Count => {
                    let Some(cr) = self.header_line(buf, ParseError::TooBigMbulkCount)? else {
                        return Ok(Parsed::Incomplete);
                    };
                    let count = match buf.get(self.pos + 1..cr).and_then(string2ll) {
                        Some(n) if n <= MAX_MULTIBULK => n,
                        _ => return Err(ParseError::InvalidMultibulkLength),
                    };
                    if count > UNAUTH_MAX_MULTIBULK && !limits.authenticated {
                        return Err(ParseError::UnauthenticatedMultibulk);
                    }
                    self.pos = cr + 2;
                    if count <= 0 {
                        return Ok(Parsed::Empty(self.pos));
                    }
                    self.remaining = count as u64;
                    self.spans.reserve((count as usize).min(ARGS_PREALLOC));
                    self.stage = Stage::BulkHeader;
                }
                Stage::BulkHeader => {
                    let Some(cr) = self.header_line(buf, ParseError::TooBigBulkCount)? else {
                        return Ok(Parsed::Incomplete);
                    };
                    match buf.get(self.pos) {
                        Some(b'$') => {}
                        Some(&c) => return Err(ParseError::ExpectedDollar(c)),
                        None => return Ok(Parsed::Incomplete),
                    }
                    let len = match buf.get(self.pos + 1..cr).and_then(string2ll) {
                        Some(n) if n >= 0 && n as u64 <= limits.proto_max_bulk_len as u64 => {
                            n as u64
                        }
                        _ => return Err(ParseError::InvalidBulkLength),
                    };
                    if len > UNAUTH_MAX_BULK && !limits.authenticated {
                        return Err(ParseError::UnauthenticatedBulk);
                    }
                    self.pos = cr + 2;
                    self.stage = Stage::BulkBody(len);
                }
                Stage::BulkBody(len) => {
                    let avail = buf.len().saturating_sub(self.pos) as u64;
                    if avail < len + 2 {
                        return Ok(Parsed::Incomplete);
                    }
                    // len + 2 <= avail, so these fit in usize and in `buf`.
                    let start = self.pos;
                    let end = start + len as usize;
                    self.spans.push(Span { start, end });
                    self.pos = end + 2;
                    self.remaining -= 1;
                    if self.remaining == 0 {
                        return Ok(Parsed::Command(self.pos));
                    }
                    self.stage = Stage::BulkHeader;
                }
                Stage::Start | Stage::Inline => return Ok(Parsed::Incomplete),
            }
        }
    }

    fn inline(&mut self, buf: &mut [u8]) -> Result<Parsed, ParseError> {
        let Some(nl) = self.find(buf, b'\n') else {
            return if buf.len() > LINE_MAX {
                Err(ParseError::TooBigInline)
            } else {
                Ok(Parsed::Incomplete)
            };
        };
        let end = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        if !split_args(&mut buf[..end], &mut self.spans) {
            return Err(ParseError::UnbalancedQuotes);
        }
        if self.spans.is_empty() {
            Ok(Parsed::Empty(nl + 1))
        } else {
            Ok(Parsed::Command(nl + 1))
        }
    }
}

/// Redis `string2ll`: optional `-`, then digits without a leading zero (except "0"
/// itself), nothing else, within i64.
fn string2ll(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        // Down to i64::MIN, whose magnitude is one more than i64::MAX.
        (v <= i64::MAX as u64 + 1).then(|| 0u64.wrapping_sub(v) as i64)
    } else {
        i64::try_from(v).ok()
    }
}

/// C `isspace` in the "C" locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits an inline request the way Redis `sdssplitargs` does, writing each unquoted
/// argument in place (every output byte consumes at least one input byte, so writing
/// never overtakes reading) and pushing its span. Returns false on unbalanced quotes.
///
/// Blanks between arguments are the C `isspace` set; an unquoted argument ends only at
/// a space, tab, `\r` or `\n`. Double quotes understand `\n \r \t \b \a`, `\xHH` and a
/// backslash before any other byte (which stands for that byte); single quotes only
/// `\'`. A closing quote must be followed by a blank or the end of the line. A NUL byte
/// ends the line, as the end of a C string would.
fn split_args(line: &mut [u8], out: &mut Vec<Span>) -> bool {
    fn at(line: &[u8], i: usize) -> u8 {
        line.get(i).copied().unwrap_or(0)
    }
    fn put(line: &mut [u8], w: &mut usize, b: u8) {
        if let Some(slot) = line.get_mut(*w) {
            *slot = b;
        }
        *w += 1;
    }

    let mut r = 0;
    let mut w = 0;
    loop {
        while is_space(at(line, r)) {
            r += 1;
        }
        if at(line, r) == 0 {
            return true;
        }
        let start = w;
        let mut quote = None;
        loop {
            let c = at(line, r);
            match quote {
                Some(b'"') => match c {
                    0 => return false,
                    b'\\' if at(line, r + 1) != 0 => {
                        let e = at(line, r + 1);
                        if e == b'x' {
                            if let (Some(hi), Some(lo)) =
                                (hex_value(at(line, r + 2)), hex_value(at(line, r + 3)))
                            {
                                put(line, &mut w, hi << 4 | lo);
                                r += 4;
                                continue;
                            }
                        }
                        let b = match e {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        };
                        put(line, &mut w, b);
                        r += 2;
                    }
                    b'"' => {
                        let next = at(line, r + 1);
                        if next != 0 && !is_space(next) {
                            return false;
                        }
                        r += 1;
                        break;
                    }
                    _ => {
                        put(line, &mut w, c);
                        r += 1;
                    }
                },
                Some(_) => match c {
                    0 => return false,
                    b'\\' if at(line, r + 1) == b'\'' => {
                        put(line, &mut w, b'\'');
                        r += 2;
                    }
                    b'\'' => {
                        let next = at(line, r + 1);
                        if next != 0 && !is_space(next) {
                            return false;
                        }
                        r += 1;
                        break;
                    }
                    _ => {
                        put(line, &mut w, c);
                        r += 1;
                    }
                },
                None => match c {
                    0 => break,
                    b' ' | b'\t' | b'\r' | b'\n' => {
                        r += 1;
                        break;
                    }
                    b'"' | b'\'' => {
                        quote = Some(c);
                        r += 1;
                    }
                    _ => {
                        put(line, &mut w, c);
                        r += 1;
                    }
                },
            }
        }
        out.push(Span { start, end: w });
    }
}
