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
//! requests are split by `util::split` with `sdssplitargs` rules (a NUL byte ends the
//! line); since unquoting only ever shrinks the text, the arguments are rewritten in
//! place inside the caller's buffer and returned as spans there. After a whole frame or
//! an error the state resets for the next frame.
//!
//! Most requests are multibulk frames that arrive whole, with every count and length
//! spelt plainly (no sign, no leading zero, at most 17 digits). `parse` first tries to
//! read such a frame in one pass, header by header and payload by payload, straight into
//! the caller's argument list, without the stage machine's bookkeeping; it gives exactly
//! what the stage machine would. At the first line it cannot take that way (an error, a
//! count <= 0, an unusual number, a limit, an unauthenticated client, a line or payload
//! not all there yet) it hands the stage machine the state it would itself have reached
//! at that line, so the stage machine judges everything from there and nothing is read
//! twice. The tests run both ways side by side on every cut of many edited frames.

#![deny(clippy::indexing_slicing)]

use std::fmt;

use crate::util::split::{split_in_place, Arg, Nul};

/// One argument: a byte range of the frame (relative to the slice given to `parse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Per-client limits the parser enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        if self.stage == Stage::Start && buf.first() == Some(&b'*') {
            args.clear();
            if let Some(n) = self.plain_multibulk(buf, args, limits) {
                return Ok(Parsed::Command(n));
            }
        }
        self.stage_machine(buf, args, limits)
    }

    /// `parse` without `plain_multibulk`: the stage machine alone, from wherever the state
    /// stands. Every outcome other than a plain frame read at once comes from here. Kept
    /// out of line, so that `parse` itself stays small.
    #[inline(never)]
    fn stage_machine(
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

    /// Reads a whole multibulk frame in one pass when every header in it is plain: the
    /// count and each length as `plain_header` reads them, each within the client's
    /// limits, and the whole frame present. That is the usual request; for it the outcome is exactly the
    /// stage machine's (`string2ll` reads a plain number alike, and no header of such a
    /// frame holds a `\r` or NUL before its terminator), without the per-line
    /// bookkeeping. The spans go straight into `args`; the state is not touched.
    ///
    /// At the first line that is not plain (an error, a count <= 0, a line or payload not
    /// all there yet, a number spelt unusually, a limit reached) it returns `None` and
    /// leaves the state where the stage machine would stand at the start of that line,
    /// holding the arguments read so far: that line and everything after it are judged by
    /// the stage machine alone, and no header is read twice. Called at `Stage::Start`
    /// only, so the state is that of a new frame.
    #[inline(always)]
    fn plain_multibulk(
        &mut self,
        buf: &[u8],
        args: &mut Vec<Span>,
        limits: &Limits,
    ) -> Option<usize> {
        if !limits.authenticated {
            // Unauthenticated clients are rare; the stage machine applies their limits.
            return None;
        }
        let max_len = limits.proto_max_bulk_len as u64;
        let (count, cr) =
            plain_header(buf, 0, b'*').filter(|&(n, _)| n > 0 && n <= MAX_MULTIBULK as u64)?;
        // Where the next header starts. Right after the count line this may be one past
        // the end (no byte after its `\r` yet): the header test below then fails.
        let mut pos = cr + 2;
        let mut left = count;
        loop {
            let Some((len, cr)) = plain_header(buf, pos, b'$') else {
                return self.hand_over(buf, args, pos, left);
            };
            // The payload starts after the `\r` and the byte after it, and two bytes follow
            // it: the next header starts at `next`. `next <= buf.len()` also says that the
            // header line is complete. `cr < buf.len()` and `len < 10^17`: no overflow.
            let next = cr as u64 + 4 + len;
            if len > max_len || next > buf.len() as u64 {
                return self.hand_over(buf, args, pos, left);
            }
            let next = next as usize;
            args.push(Span {
                start: cr + 2,
                end: next - 2,
            });
            pos = next;
            left -= 1;
            if left == 0 {
                return Some(pos);
            }
        }
    }

    /// Leaves a multibulk frame read by `plain_multibulk` up to the header at `pos` (with
    /// `left` bulks still owed and their predecessors in `args`) to the stage machine,
    /// in the state it would itself have reached there.
    #[cold]
    fn hand_over(
        &mut self,
        buf: &[u8],
        args: &mut Vec<Span>,
        pos: usize,
        left: u64,
    ) -> Option<usize> {
        if pos > buf.len() {
            // The count line lacks the byte after its `\r`: the stage machine is still
            // waiting for that line, so it starts over from the frame start.
            return None;
        }
        self.stage = Stage::BulkHeader;
        self.pos = pos;
        self.remaining = left;
        std::mem::swap(&mut self.spans, args);
        None
    }

    /// Whether the next `parse` starts a new frame (nothing of one is pending).
    pub fn at_frame_start(&self) -> bool {
        self.stage == Stage::Start
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
                (hay.get(off) == Some(&term)).then_some(from + off)
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
        // The line without its `\n` and an optional `\r` before it; `find` gave an
        // offset inside `buf`, so the `None` arm never runs.
        let line = match buf.get_mut(..nl) {
            Some([line @ .., b'\r']) => line,
            Some(line) => line,
            None => return Ok(Parsed::Incomplete),
        };
        let spans = &mut self.spans;
        let push = |a: Arg| {
            spans.push(Span {
                start: a.start,
                end: a.end,
            })
        };
        if !split_in_place(line, Nul::EndsLine, push) {
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

/// Most digits of a plain header number: its value stays far below `i64::MAX`.
const PLAIN_DIGITS: usize = 17;

/// Reads a header line spelt plainly at `buf[at..]`: the `kind` byte (`*` or `$`), then
/// `0` or 1 to `PLAIN_DIGITS` digits without a leading zero, then a `\r`. Returns the
/// number and the offset of the `\r`. Anything else (another byte, more digits, a sign,
/// the end of `buf`) is `None`, left for the stage machine to judge. `string2ll` reads
/// the same value from such digits.
#[inline(always)]
fn plain_header(buf: &[u8], at: usize, kind: u8) -> Option<(u64, usize)> {
    let line = buf.get(at..)?;
    // One and two digits, the usual lengths, here; longer numbers in `plain_long`.
    let [k, c0, c1, ref rest @ ..] = *line else {
        return None;
    };
    let d0 = c0.wrapping_sub(b'0');
    if k != kind || d0 > 9 {
        return None;
    }
    if c1 == b'\r' {
        return Some((u64::from(d0), at + 2));
    }
    let d1 = c1.wrapping_sub(b'0');
    if d0 == 0 || d1 > 9 {
        return None;
    }
    if rest.first() == Some(&b'\r') {
        return Some((u64::from(d0 * 10 + d1), at + 3));
    }
    let (value, cr) = plain_long(line, kind)?;
    Some((value, at + cr))
}

/// `plain_header` for numbers of three digits and more, on the line alone.
#[inline(never)]
fn plain_long(line: &[u8], kind: u8) -> Option<(u64, usize)> {
    let (&k, digits) = line.split_first()?;
    if k != kind || !matches!(digits.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let mut value = 0u64;
    for (n, &c) in digits.iter().enumerate() {
        if c == b'\r' {
            return Some((value, 1 + n));
        }
        let d = c.wrapping_sub(b'0');
        if d > 9 || n == PLAIN_DIGITS {
            return None;
        }
        value = value * 10 + u64::from(d);
    }
    None
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const AUTH: Limits = Limits {
        proto_max_bulk_len: 512 << 20,
        authenticated: true,
    };
    const UNAUTH: Limits = Limits {
        proto_max_bulk_len: 512 << 20,
        authenticated: false,
    };

    /// One outcome seen by a connection, with the argument bytes copied out.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Cmd(Vec<Vec<u8>>, usize),
        Empty(usize),
        Err(ParseError),
    }

    fn cmd(args: &[&[u8]], n: usize) -> Ev {
        Ev::Cmd(args.iter().map(|a| a.to_vec()).collect(), n)
    }

    /// Plays a connection: the bytes of `input` arrive in pieces ending at `cuts`; after
    /// each piece the frames are parsed from the current frame start until `Incomplete`.
    /// With `compact`, consumed bytes are dropped from the front of the buffer after each
    /// piece, so a partial frame moves to a new offset between calls. Stops at the first
    /// error, as the connection would close. Returns the outcomes and how many bytes were
    /// left pending. Checks on every call that spans and lengths stay inside the slice.
    fn feed(input: &[u8], cuts: &[usize], limits: &Limits, compact: bool) -> (Vec<Ev>, usize) {
        let mut parser = Parser::new();
        let mut args = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        let mut start = 0;
        let mut events = Vec::new();
        let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
        ends.push(input.len());
        let mut sent = 0;
        for end in ends {
            if end < sent {
                continue;
            }
            if compact {
                data.drain(..start);
                start = 0;
            }
            data.extend_from_slice(&input[sent..end]);
            sent = end;
            loop {
                let frame = &mut data[start..];
                let len = frame.len();
                let got = parser.parse(frame, &mut args, limits);
                match got {
                    Ok(Parsed::Command(n)) => {
                        assert!(n > 0 && n <= len, "{n} of {len}");
                        assert!(!args.is_empty());
                        let mut out = Vec::new();
                        for s in &args {
                            assert!(s.start <= s.end && s.end <= n, "{s:?} in {n}");
                            out.push(frame[s.start..s.end].to_vec());
                        }
                        events.push(Ev::Cmd(out, n));
                        start += n;
                    }
                    Ok(Parsed::Empty(n)) => {
                        assert!(n > 0 && n <= len, "{n} of {len}");
                        assert!(args.is_empty());
                        events.push(Ev::Empty(n));
                        start += n;
                    }
                    Ok(Parsed::Incomplete) => {
                        assert!(args.is_empty());
                        break;
                    }
                    Err(e) => {
                        assert!(args.is_empty());
                        // The connection closes: what else arrived does not matter.
                        events.push(Ev::Err(e));
                        return (events, 0);
                    }
                }
            }
        }
        (events, data.len() - start)
    }

    fn one_shot(input: &[u8], limits: &Limits) -> (Vec<Ev>, usize) {
        feed(input, &[], limits, false)
    }

    fn parse_all(input: &[u8]) -> Vec<Ev> {
        one_shot(input, &AUTH).0
    }

    fn mbulk(args: &[&[u8]]) -> Vec<u8> {
        let mut v = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            v.extend_from_slice(a);
            v.extend_from_slice(b"\r\n");
        }
        v
    }

    fn parse_err(input: &[u8], limits: &Limits) -> ParseError {
        let mut p = Parser::new();
        let mut buf = input.to_vec();
        match p.parse(&mut buf, &mut Vec::new(), limits) {
            Err(e) => e,
            other => panic!("{input:?}: expected an error, got {other:?}"),
        }
    }

    fn incomplete(input: &[u8], limits: &Limits) -> bool {
        let mut buf = input.to_vec();
        Parser::new().parse(&mut buf, &mut Vec::new(), limits) == Ok(Parsed::Incomplete)
    }

    #[test]
    fn error_texts() {
        let cases = [
            (
                ParseError::InvalidMultibulkLength,
                "Protocol error: invalid multibulk length",
            ),
            (
                ParseError::InvalidBulkLength,
                "Protocol error: invalid bulk length",
            ),
            (
                ParseError::ExpectedDollar(b'f'),
                "Protocol error: expected '$', got 'f'",
            ),
            (
                ParseError::UnbalancedQuotes,
                "Protocol error: unbalanced quotes in request",
            ),
            (
                ParseError::TooBigInline,
                "Protocol error: too big inline request",
            ),
            (
                ParseError::TooBigMbulkCount,
                "Protocol error: too big mbulk count string",
            ),
            (
                ParseError::TooBigBulkCount,
                "Protocol error: too big bulk count string",
            ),
            (
                ParseError::UnauthenticatedMultibulk,
                "Protocol error: unauthenticated multibulk length",
            ),
            (
                ParseError::UnauthenticatedBulk,
                "Protocol error: unauthenticated bulk length",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn multibulk_basic() {
        assert_eq!(
            parse_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"),
            [cmd(&[b"SET", b"k", b"value"], 31)]
        );
        // Payloads are taken by length: CR, LF and NUL inside are data.
        assert_eq!(
            parse_all(b"*1\r\n$4\r\na\r\n\0\r\n"),
            [cmd(&[b"a\r\n\0"], 14)]
        );
        assert_eq!(parse_all(b"*1\r\n$0\r\n\r\n"), [cmd(&[b""], 10)]);
    }

    #[test]
    fn multibulk_counts() {
        // Confirmed against redis-server 7.0: counts <= 0 are skipped silently, any
        // string2ll value down to i64::MIN included; INT_MAX is the largest count.
        assert_eq!(parse_all(b"*0\r\n"), [Ev::Empty(4)]);
        assert_eq!(parse_all(b"*-1\r\n"), [Ev::Empty(5)]);
        assert_eq!(parse_all(b"*-9223372036854775808\r\n"), [Ev::Empty(23)]);
        assert_eq!(
            parse_all(b"*-10\r\n*0\r\nPING\r\n"),
            [Ev::Empty(6), Ev::Empty(4), cmd(&[b"PING"], 6)]
        );
        assert!(incomplete(b"*2147483647\r\n", &AUTH));
        assert!(incomplete(b"*2000000\r\n", &AUTH));
        for bad in [
            &b"*2147483648\r\n"[..],
            b"*-9223372036854775809\r\n",
            b"*9223372036854775808\r\n",
            b"*01\r\n",
            b"*+1\r\n",
            b"*-0\r\n",
            b"*-\r\n",
            b"*\r\n",
            b"*1 \r\n",
            b"* 1\r\n",
            b"*1x\r\n",
            b"*00000000000000000000001\r\n",
        ] {
            assert_eq!(
                parse_err(bad, &AUTH),
                ParseError::InvalidMultibulkLength,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bulk_lengths() {
        for bad in [
            &b"*1\r\n$-1\r\n"[..],
            b"*1\r\n$04\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$4x\r\n",
            b"*1\r\n$-0\r\n",
        ] {
            assert_eq!(
                parse_err(bad, &AUTH),
                ParseError::InvalidBulkLength,
                "{bad:?}"
            );
        }
        // Confirmed: 512 MB (the default proto-max-bulk-len) is accepted, one more is not.
        assert!(incomplete(b"*1\r\n$536870912\r\n", &AUTH));
        assert_eq!(
            parse_err(b"*1\r\n$536870913\r\n", &AUTH),
            ParseError::InvalidBulkLength
        );
        let small = Limits {
            proto_max_bulk_len: 3,
            authenticated: true,
        };
        assert_eq!(
            one_shot(b"*1\r\n$3\r\nabc\r\n", &small).0,
            [cmd(&[b"abc"], 13)]
        );
        assert_eq!(
            parse_err(b"*1\r\n$4\r\nabcd\r\n", &small),
            ParseError::InvalidBulkLength
        );
    }

    #[test]
    fn expected_dollar() {
        assert_eq!(
            parse_err(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", &AUTH),
            ParseError::ExpectedDollar(b'f')
        );
        assert_eq!(
            parse_err(b"*1\r\n:4\r\n", &AUTH),
            ParseError::ExpectedDollar(b':')
        );
        // An empty header line: the byte reported is its own CR.
        assert_eq!(
            parse_err(b"*1\r\n\r\n", &AUTH),
            ParseError::ExpectedDollar(b'\r')
        );
        assert_eq!(
            parse_err(b"*1\r\n\xe9\r\n", &AUTH),
            ParseError::ExpectedDollar(0xe9)
        );
        // The header line must be complete before its first byte is judged.
        assert!(incomplete(b"*1\r\nx", &AUTH));
        assert!(incomplete(b"*1\r\nx\r", &AUTH));
    }

    #[test]
    fn unchecked_line_ends() {
        // Confirmed against redis-server 7.0: the byte after a header's CR and the two
        // bytes after a payload are skipped unread.
        assert_eq!(
            parse_all(b"*1\r\n$4\r\nPINGab*1\r\n$4\r\nPING\r\n"),
            [cmd(&[b"PING"], 14), cmd(&[b"PING"], 14)]
        );
        assert_eq!(parse_all(b"*1\rx$4\r\nPING\r\n"), [cmd(&[b"PING"], 14)]);
        assert_eq!(parse_all(b"*1\r\n$4\rxPING\r\n"), [cmd(&[b"PING"], 14)]);
        // A header needs at least one byte after its CR, a payload two.
        assert!(incomplete(b"*1\r", &AUTH));
        assert!(incomplete(b"*1\r\n$4\r", &AUTH));
        assert!(incomplete(b"*1\r\n$4\r\nPING\r", &AUTH));
    }

    #[test]
    fn unauthenticated_limits() {
        // Confirmed against redis-server 7.0 with requirepass set.
        assert!(incomplete(b"*10\r\n", &UNAUTH));
        assert_eq!(
            parse_err(b"*11\r\n", &UNAUTH),
            ParseError::UnauthenticatedMultibulk
        );
        assert!(incomplete(b"*11\r\n", &AUTH));
        // The count is validated first, and non-positive counts pass.
        assert_eq!(
            parse_err(b"*2147483648\r\n", &UNAUTH),
            ParseError::InvalidMultibulkLength
        );
        assert_eq!(one_shot(b"*-5\r\n", &UNAUTH).0, [Ev::Empty(5)]);
        assert!(incomplete(b"*1\r\n$16384\r\n", &UNAUTH));
        assert_eq!(
            parse_err(b"*1\r\n$16385\r\n", &UNAUTH),
            ParseError::UnauthenticatedBulk
        );
        assert!(incomplete(b"*1\r\n$16385\r\n", &AUTH));
        assert_eq!(
            parse_err(b"*1\r\n$536870913\r\n", &UNAUTH),
            ParseError::InvalidBulkLength
        );
        assert_eq!(
            parse_err(b"*1\r\n$-5\r\n", &UNAUTH),
            ParseError::InvalidBulkLength
        );
        // Inline requests have no such limits beyond the line length.
        let mut line = b"PING ".to_vec();
        line.resize(line.len() + 60000, b'x');
        line.extend_from_slice(b"\r\n");
        assert!(matches!(one_shot(&line, &UNAUTH).0[..], [Ev::Cmd(ref a, _)] if a.len() == 2));
    }

    #[test]
    fn too_big_lines() {
        // Confirmed against redis-server 7.0: up to 64 KiB may be pending after the start
        // of an unterminated line; one byte more is an error.
        let long = |prefix: &[u8], fill: u8, total: usize| {
            let mut v = prefix.to_vec();
            v.resize(total, fill);
            v
        };
        assert!(incomplete(&long(b"", b'x', 65536), &AUTH));
        assert_eq!(
            parse_err(&long(b"", b'x', 65537), &AUTH),
            ParseError::TooBigInline
        );
        assert!(incomplete(&long(b"*", b'1', 65536), &AUTH));
        assert_eq!(
            parse_err(&long(b"*", b'1', 65537), &AUTH),
            ParseError::TooBigMbulkCount
        );
        // For a bulk header the count starts at that header's line, not the frame.
        assert!(incomplete(&long(b"*1\r\n", b'x', 4 + 65536), &AUTH));
        assert_eq!(
            parse_err(&long(b"*1\r\n", b'$', 4 + 65537), &AUTH),
            ParseError::TooBigBulkCount
        );
        let mut v = b"*2\r\n$3\r\nfoo\r\n".to_vec();
        let at = v.len();
        v.resize(at + 65536, b'x');
        assert!(incomplete(&v, &AUTH));
        v.push(b'x');
        assert_eq!(parse_err(&v, &AUTH), ParseError::TooBigBulkCount);
        // Found terminators are not "too big", however long the line is.
        let mut v = long(b"", b'x', 70000);
        v.push(b'\n');
        assert_eq!(one_shot(&v, &AUTH).0, [cmd(&[&v[..70000]], 70001)]);
    }

    #[test]
    fn nul_stops_line_search() {
        // Confirmed against redis-server 7.0 (strchr): a NUL before the line end means
        // the line never ends; the client waits until the line is too big.
        assert!(incomplete(b"*1\0\r\n$4\r\nPING\r\n", &AUTH));
        assert!(incomplete(b"PI\0NG\r\nPING\r\n", &AUTH));
        assert!(incomplete(b"\0PING\r\n", &AUTH));
        assert!(incomplete(b"*1\r\n$4\0\r\nPING\r\n", &AUTH));
        assert!(incomplete(b"*1\r\n\0\r\n", &AUTH));
        let with_tail = |head: &[u8], total: usize| {
            let mut v = head.to_vec();
            v.resize(total, b'\n');
            v
        };
        assert!(incomplete(&with_tail(b"*1\0\r\n", 65536), &AUTH));
        assert_eq!(
            parse_err(&with_tail(b"*1\0\r\n", 65537), &AUTH),
            ParseError::TooBigMbulkCount
        );
        assert_eq!(
            parse_err(&with_tail(b"PI\0NG\r\n", 65537), &AUTH),
            ParseError::TooBigInline
        );
        assert_eq!(
            parse_err(&with_tail(b"*1\r\n$4\0\r\n", 65541), &AUTH),
            ParseError::TooBigBulkCount
        );
        // Earlier frames are unaffected.
        assert_eq!(
            one_shot(b"PING\r\n\0PING\r\n", &AUTH),
            (vec![cmd(&[b"PING"], 6)], 7)
        );
    }

    #[test]
    fn inline_lines() {
        assert_eq!(parse_all(b"PING\r\n"), [cmd(&[b"PING"], 6)]);
        assert_eq!(parse_all(b"PING\n"), [cmd(&[b"PING"], 5)]);
        assert_eq!(
            parse_all(b"SET k v\r\nGET k\n"),
            [cmd(&[b"SET", b"k", b"v"], 9), cmd(&[b"GET", b"k"], 6)]
        );
        // Confirmed: empty and blank lines are skipped.
        assert_eq!(parse_all(b"\r\n"), [Ev::Empty(2)]);
        assert_eq!(parse_all(b"\n"), [Ev::Empty(1)]);
        assert_eq!(parse_all(b"   \r\n"), [Ev::Empty(5)]);
        assert_eq!(parse_all(b" \t\x0b\x0c\r\r\n"), [Ev::Empty(7)]);
        // Only one CR is stripped; any other CR separates arguments.
        assert_eq!(parse_all(b"PING\r\r\n"), [cmd(&[b"PING"], 7)]);
        assert_eq!(parse_all(b"PING\rx\r\n"), [cmd(&[b"PING", b"x"], 8)]);
        assert!(incomplete(b"PING\r", &AUTH));
        assert!(incomplete(b"PING", &AUTH));
    }

    fn split(line: &[u8]) -> Result<Vec<Vec<u8>>, ParseError> {
        let mut buf = line.to_vec();
        buf.extend_from_slice(b"\r\n");
        let mut args = Vec::new();
        let n = buf.len();
        match Parser::new().parse(&mut buf, &mut args, &AUTH)? {
            Parsed::Command(m) => {
                assert_eq!(m, n);
                Ok(args.iter().map(|s| buf[s.start..s.end].to_vec()).collect())
            }
            Parsed::Empty(m) => {
                assert_eq!(m, n);
                Ok(Vec::new())
            }
            Parsed::Incomplete => panic!("incomplete"),
        }
    }

    #[test]
    fn inline_quoting_matches_redis() {
        // Each line was sent to redis-server 7.0 as `RPUSH k <line>` and the list read
        // back with LRANGE (or the error noted).
        let ok: &[(&[u8], &[&[u8]])] = &[
            (br#""a b" 'c d'"#, &[b"a b", b"c d"]),
            (
                br#""a\x41\x4g\n\r\t\b\a\\\"\q""#,
                &[b"aAx4g\n\r\t\x08\x07\\\"q"],
            ),
            (br"'it\'s' '\n'", &[b"it's", b"\\n"]),
            (br#"ab"cd ef""#, &[b"abcd ef"]),
            (br#""""#, &[b""]),
            (b"''", &[b""]),
            (b"a\x0bb", &[b"a\x0bb"]),
            (b"\"a\"\x0b", &[b"a"]),
            (b"\x0ba", &[b"a"]),
            (br"a'b c' d", &[b"ab c", b"d"]),
            (br#""\xZZ" "\xaF" "\x4""#, &[b"xZZ", b"\xaf", b"x4"]),
            (b"\"a\rb\"", &[b"a\rb"]),
            (b"'a'\r", &[b"a"]),
            (b"x\ty\tz", &[b"x", b"y", b"z"]),
            (b"a\x0cb", &[b"a\x0cb"]),
            (b"\"a\xffb\" \xfe", &[b"a\xffb", b"\xfe"]),
            (b"\"a\"\t\"b\"", &[b"a", b"b"]),
            (b"a\xa0b", &[b"a\xa0b"]),
            (b"\xa0 b", &[b"\xa0", b"b"]),
            (b"\x85a \x1cb", &[b"\x85a", b"\x1cb"]),
        ];
        for (line, want) in ok {
            let want: Vec<Vec<u8>> = want.iter().map(|a| a.to_vec()).collect();
            assert_eq!(split(line), Ok(want), "{:?}", String::from_utf8_lossy(line));
        }
        let unbalanced: &[&[u8]] = &[
            br#""a"b"#,
            br#""a"#,
            br"'a'b",
            br#"ab"cd"ef"#,
            br#""\x"#,
            br#""a\""#,
            br"'a\\'",
            br"a'b c'd",
            b"\"abc\\",
            br#""" ""x"#,
            b"\"a\"\xa0",
            b"\"a\"\x1c",
        ];
        for line in unbalanced {
            assert_eq!(
                split(line),
                Err(ParseError::UnbalancedQuotes),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn inline_rewrites_in_place() {
        let mut buf = b"SET \"a b\" 'c\\'d' e\r\nrest".to_vec();
        let mut args = Vec::new();
        assert_eq!(
            Parser::new().parse(&mut buf, &mut args, &AUTH),
            Ok(Parsed::Command(20))
        );
        let got: Vec<&[u8]> = args.iter().map(|s| &buf[s.start..s.end]).collect();
        assert_eq!(got, [&b"SET"[..], b"a b", b"c'd", b"e"]);
        assert!(args.iter().all(|s| s.end <= 20));
        assert_eq!(&buf[20..], b"rest");
    }

    #[test]
    fn args_are_replaced_per_frame() {
        let mut p = Parser::new();
        let mut args = vec![Span {
            start: 99,
            end: 100,
        }];
        let mut buf = b"*2\r\n$1\r\na\r\n$1\r\nb\r\n*0\r\n".to_vec();
        assert_eq!(p.parse(&mut buf, &mut args, &AUTH), Ok(Parsed::Command(18)));
        assert_eq!(
            args,
            [Span { start: 8, end: 9 }, Span { start: 15, end: 16 }]
        );
        assert_eq!(
            p.parse(&mut buf[18..], &mut args, &AUTH),
            Ok(Parsed::Empty(4))
        );
        assert!(args.is_empty());
        // Empty input, and the same incomplete input twice.
        assert_eq!(p.parse(&mut [], &mut args, &AUTH), Ok(Parsed::Incomplete));
        let mut part = b"*2\r\n$1\r\na\r\n$1".to_vec();
        assert_eq!(p.parse(&mut part, &mut args, &AUTH), Ok(Parsed::Incomplete));
        assert_eq!(p.parse(&mut part, &mut args, &AUTH), Ok(Parsed::Incomplete));
        assert!(args.is_empty());
    }

    #[test]
    fn state_resets_after_error() {
        let mut p = Parser::new();
        let mut args = Vec::new();
        let mut bad = b"*1\r\n$x\r\n".to_vec();
        assert_eq!(
            p.parse(&mut bad, &mut args, &AUTH),
            Err(ParseError::InvalidBulkLength)
        );
        let mut good = b"PING\r\n".to_vec();
        assert_eq!(p.parse(&mut good, &mut args, &AUTH), Ok(Parsed::Command(6)));
    }

    #[test]
    fn shorter_slice_restarts_the_frame() {
        // Not how a connection behaves, but it must not panic or misreport.
        let mut p = Parser::new();
        let mut args = Vec::new();
        let mut long = b"*2\r\n$1\r\na\r\n$3\r\nb".to_vec();
        assert_eq!(p.parse(&mut long, &mut args, &AUTH), Ok(Parsed::Incomplete));
        let mut other = b"GET k\n".to_vec();
        assert_eq!(
            p.parse(&mut other, &mut args, &AUTH),
            Ok(Parsed::Command(6))
        );
        assert_eq!(args.len(), 2);
    }

    fn samples() -> Vec<Vec<u8>> {
        let mut pipeline = mbulk(&[b"PING"]);
        pipeline.extend(mbulk(&[b"ECHO", b""]));
        pipeline.extend_from_slice(b"*0\r\n*-1\r\nPING\r\n\r\nSET \"a b\" 'c d'\r\n\nGET x\n");
        pipeline.extend(mbulk(&[b"SET", b"key", b"a\r\nb\r\r\n"]));
        let mut then_error = mbulk(&[b"PING"]);
        then_error.extend_from_slice(b"*1\r\nx\r\n");
        let mut then_unbalanced = b"PING\r\n".to_vec();
        then_unbalanced.extend_from_slice(b"SET \"a\"b c\r\nPING\r\n");
        vec![
            mbulk(&[b"SET", b"key", b"value"]),
            pipeline,
            b"RPUSH k \"\\x41\\n\" 'it\\'s'\r\nECHO \"\"\r\n".to_vec(),
            b"*1\rx$4\r\nPINGab*1\r\n$4\r\nPING\r\n".to_vec(),
            then_error,
            then_unbalanced,
            b"PING\r\n\0PING\r\n".to_vec(),
            b"*12\r\n".to_vec(),
            b"*2\r\n$10\r\n0123456789\r\n$-3\r\n".to_vec(),
        ]
    }

    #[test]
    fn split_in_two_at_every_offset() {
        for sample in samples() {
            for limits in [AUTH, UNAUTH] {
                let whole = one_shot(&sample, &limits);
                for i in 0..=sample.len() {
                    for compact in [false, true] {
                        assert_eq!(
                            feed(&sample, &[i], &limits, compact),
                            whole,
                            "{sample:?} cut at {i}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn split_in_three_at_every_offset() {
        for sample in samples() {
            let whole = one_shot(&sample, &AUTH);
            for i in 0..=sample.len() {
                for j in i..=sample.len() {
                    let compact = (i + j) % 2 == 0;
                    assert_eq!(
                        feed(&sample, &[i, j], &AUTH, compact),
                        whole,
                        "{sample:?} cut at {i}, {j}"
                    );
                }
            }
        }
    }

    #[test]
    fn byte_at_a_time() {
        for sample in samples() {
            let cuts: Vec<usize> = (0..sample.len()).collect();
            assert_eq!(feed(&sample, &cuts, &AUTH, true), one_shot(&sample, &AUTH));
        }
    }

    #[test]
    fn sample_outcomes() {
        let s = samples();
        assert_eq!(
            parse_all(&s[1]),
            [
                cmd(&[b"PING"], 14),
                cmd(&[b"ECHO", b""], 20),
                Ev::Empty(4),
                Ev::Empty(5),
                cmd(&[b"PING"], 6),
                Ev::Empty(2),
                cmd(&[b"SET", b"a b", b"c d"], 17),
                Ev::Empty(1),
                cmd(&[b"GET", b"x"], 6),
                cmd(&[b"SET", b"key", b"a\r\nb\r\r\n"], 35),
            ]
        );
        assert_eq!(
            parse_all(&s[2]),
            [
                cmd(&[b"RPUSH", b"k", b"A\n", b"it's"], 26),
                cmd(&[b"ECHO", b""], 9)
            ]
        );
        assert_eq!(
            parse_all(&s[4]),
            [
                cmd(&[b"PING"], 14),
                Ev::Err(ParseError::ExpectedDollar(b'x'))
            ]
        );
        assert_eq!(
            parse_all(&s[5]),
            [cmd(&[b"PING"], 6), Ev::Err(ParseError::UnbalancedQuotes)]
        );
        assert_eq!(
            one_shot(&s[7], &UNAUTH).0,
            [Ev::Err(ParseError::UnauthenticatedMultibulk)]
        );
        assert_eq!(parse_all(&s[8]), [Ev::Err(ParseError::InvalidBulkLength)]);
    }

    #[test]
    fn huge_bulk_in_64k_pieces() {
        const SIZE: usize = 100 << 20;
        const PIECE: usize = 64 << 10;
        let mut data = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${SIZE}\r\n").into_bytes();
        let header = data.len();
        let mut p = Parser::new();
        let mut args = Vec::new();
        assert_eq!(p.parse(&mut data, &mut args, &AUTH), Ok(Parsed::Incomplete));
        let want = p.frame_len_hint().expect("waiting for a payload");
        assert_eq!(want, header + SIZE + 2);
        data.reserve(want - data.len());
        let piece = vec![b'v'; PIECE];
        let mut sent = 0;
        while sent < SIZE {
            let k = PIECE.min(SIZE - sent);
            data.extend_from_slice(&piece[..k]);
            sent += k;
            assert_eq!(p.parse(&mut data, &mut args, &AUTH), Ok(Parsed::Incomplete));
        }
        data.extend_from_slice(b"\r\n");
        assert_eq!(
            p.parse(&mut data, &mut args, &AUTH),
            Ok(Parsed::Command(data.len()))
        );
        assert_eq!(
            args[2],
            Span {
                start: header,
                end: header + SIZE
            }
        );
        assert_eq!(p.frame_len_hint(), None);
    }

    #[test]
    fn many_small_args_byte_at_a_time() {
        let arg: &[u8] = b"a";
        let frame = mbulk(&vec![arg; 20000]);
        let cuts: Vec<usize> = (0..frame.len()).collect();
        let (events, pending) = feed(&frame, &cuts, &AUTH, false);
        assert_eq!(pending, 0);
        assert!(matches!(&events[..], [Ev::Cmd(a, n)] if a.len() == 20000 && *n == frame.len()));
    }

    #[test]
    fn long_unterminated_line_byte_at_a_time() {
        for head in [&b""[..], b"*", b"*1\r\n", b"*1\0"] {
            let mut input = head.to_vec();
            // Past the limit however the line starts (a bulk header's is at offset 4).
            input.resize(4 + 65537, b'7');
            let cuts: Vec<usize> = (0..input.len()).collect();
            let (events, _) = feed(&input, &cuts, &AUTH, false);
            assert_eq!(events.len(), 1, "{head:?}");
            assert!(matches!(events[0], Ev::Err(_)));
        }
    }

    #[test]
    fn string2ll_rules() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"00",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"1e3",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
        assert_eq!(string2ll(b"-9223372036854775809"), None);
        assert_eq!(string2ll(b"99999999999999999999"), None);
    }

    // ---- one-pass reading of plain frames against the stage machine ----

    /// What the stage machine resumes from: everything but the search offset `scan`,
    /// which only records how far a line was searched without finding its end.
    fn state(p: &Parser) -> (Stage, usize, u64, usize, Vec<Span>, Option<usize>) {
        (
            p.stage,
            p.pos,
            p.remaining,
            p.seen,
            p.spans.clone(),
            p.frame_len_hint(),
        )
    }

    /// Plays a connection like `feed` with two parsers side by side, one through `parse`
    /// and one through the stage machine alone, and checks after every call that both
    /// give the same outcome, the same spans, the same state and the same buffer.
    /// Returns the outcomes and how many bytes were left pending.
    fn lockstep(input: &[u8], cuts: &[usize], limits: &Limits, compact: bool) -> (Vec<Ev>, usize) {
        let (mut fast, mut slow) = (Parser::new(), Parser::new());
        let (mut fast_args, mut slow_args) = (Vec::new(), Vec::new());
        let (mut fast_data, mut slow_data): (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
        let mut start = 0;
        let mut events = Vec::new();
        let mut ends: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
        ends.push(input.len());
        let mut sent = 0;
        for end in ends {
            if end < sent {
                continue;
            }
            if compact {
                fast_data.drain(..start);
                slow_data.drain(..start);
                start = 0;
            }
            fast_data.extend_from_slice(&input[sent..end]);
            slow_data.extend_from_slice(&input[sent..end]);
            sent = end;
            loop {
                let got = fast.parse(&mut fast_data[start..], &mut fast_args, limits);
                let want = slow.stage_machine(&mut slow_data[start..], &mut slow_args, limits);
                let same = got == want
                    && fast_args == slow_args
                    && state(&fast) == state(&slow)
                    && fast_data == slow_data;
                assert!(
                    same,
                    "{input:?} {limits:?} cuts {cuts:?}, frame at {start}: \
                     {got:?} {want:?} {fast_args:?} {slow_args:?} {:?} {:?}",
                    state(&fast),
                    state(&slow)
                );
                match got {
                    Ok(Parsed::Command(n)) => {
                        let frame = &fast_data[start..start + n];
                        let args = fast_args.iter().map(|s| frame[s.start..s.end].to_vec());
                        events.push(Ev::Cmd(args.collect(), n));
                        start += n;
                    }
                    Ok(Parsed::Empty(n)) => {
                        events.push(Ev::Empty(n));
                        start += n;
                    }
                    Ok(Parsed::Incomplete) => break,
                    Err(e) => {
                        events.push(Ev::Err(e));
                        return (events, 0);
                    }
                }
            }
        }
        (events, fast_data.len() - start)
    }

    /// `lockstep` with the input whole, cut once at every offset, and byte by byte.
    fn lockstep_all_ways(input: &[u8], limits: &Limits) -> (Vec<Ev>, usize) {
        let whole = lockstep(input, &[], limits, false);
        for i in 0..=input.len() {
            assert_eq!(
                lockstep(input, &[i], limits, i % 2 == 0),
                whole,
                "cut at {i}"
            );
        }
        let bytes: Vec<usize> = (0..input.len()).collect();
        assert_eq!(lockstep(input, &bytes, limits, true), whole);
        whole
    }

    fn limits(proto_max_bulk_len: usize, authenticated: bool) -> Limits {
        Limits {
            proto_max_bulk_len,
            authenticated,
        }
    }

    #[test]
    fn plain_frames_agree_with_stage_machine_under_every_edit() {
        // Every single-byte replacement, deletion and insertion in the first 48 bytes of
        // some plain frames, under limits around their lengths, cut once anywhere there
        // or near the end: `parse` must go exactly as the stage machine alone goes.
        let long = [b'v'; 120];
        let samples: Vec<Vec<u8>> = vec![
            mbulk(&[b"INCR", b"counter:000000123"]),
            mbulk(&[b"SET", b"key", b"value"]),
            mbulk(&[b"", b"x"]),
            mbulk(&[&long[..10], &long[..100]]),
            b"*1\r\n$4\r\nPING\r\n*0\r\n*-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n".to_vec(),
            b"*1\r\n$4\r\nPINGab*1\rx$4\rxPING\r\n".to_vec(),
        ];
        let edits = b"0129\r\n$*- \0x";
        let all_limits = [AUTH, limits(16, true), limits(17, false), limits(0, true)];
        for sample in &samples {
            let mut inputs = vec![sample.clone()];
            for i in 0..=sample.len().min(48) {
                for &b in edits {
                    if i < sample.len() {
                        let mut v = sample.clone();
                        v[i] = b;
                        inputs.push(v);
                    }
                    let mut v = sample.clone();
                    v.insert(i, b);
                    inputs.push(v);
                }
                if i < sample.len() {
                    let mut v = sample.clone();
                    v.remove(i);
                    inputs.push(v);
                }
            }
            for input in &inputs {
                let n = input.len();
                let cuts = (0..n.min(48)).chain(n.saturating_sub(8).max(48)..n);
                for l in &all_limits {
                    let whole = lockstep(input, &[], l, false);
                    for i in cuts.clone() {
                        assert_eq!(lockstep(input, &[i], l, i % 2 == 0), whole);
                    }
                }
            }
        }
    }

    #[test]
    fn plain_frame_boundaries() {
        let huge = limits(usize::MAX, true);
        let waits = |input: &[u8], limits: Limits| (input.to_vec(), limits, (vec![], input.len()));
        let fails = |e: ParseError| (vec![Ev::Err(e)], 0);
        let whole = |input: &[u8], args: &[&[u8]]| (vec![cmd(args, input.len())], 0);
        let big = vec![b'b'; 16385];
        type Case = (Vec<u8>, Limits, (Vec<Ev>, usize));
        let cases: Vec<Case> = vec![
            // Lengths of 17 digits are read in one pass, longer ones by the stage machine.
            waits(b"*1\r\n$10000000000000000\r\n", huge),
            waits(b"*1\r\n$100000000000000000\r\n", huge),
            waits(b"*1\r\n$9223372036854775807\r\n", huge),
            (
                b"*1\r\n$9223372036854775808\r\n".to_vec(),
                huge,
                fails(ParseError::InvalidBulkLength),
            ),
            (
                b"*1\r\n$10000000000000000\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidBulkLength),
            ),
            // Leading zeros and `$0`.
            (
                b"*1\r\n$00000000000000000001\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidBulkLength),
            ),
            (
                b"*1\r\n$01\r\na\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidBulkLength),
            ),
            (
                b"*1\r\n$00\r\n\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidBulkLength),
            ),
            (
                b"*2\r\n$0\r\n\r\n$0\r\n\r\n".to_vec(),
                AUTH,
                whole(b"*2\r\n$0\r\n\r\n$0\r\n\r\n", &[b"", b""]),
            ),
            // Counts.
            (b"*0\r\n".to_vec(), AUTH, (vec![Ev::Empty(4)], 0)),
            (b"*-1\r\n".to_vec(), AUTH, (vec![Ev::Empty(5)], 0)),
            (
                b"*01\r\n$1\r\na\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidMultibulkLength),
            ),
            waits(b"*2147483647\r\n$1\r\na\r\n", AUTH),
            (
                b"*2147483648\r\n$1\r\na\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidMultibulkLength),
            ),
            (
                b"*10000000000000000\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidMultibulkLength),
            ),
            (
                b"*100000000000000000\r\n".to_vec(),
                AUTH,
                fails(ParseError::InvalidMultibulkLength),
            ),
            // A length exactly at proto-max-bulk-len, and one more, after a good bulk.
            (
                mbulk(&[b"a", b"abcde"]),
                limits(5, true),
                whole(&mbulk(&[b"a", b"abcde"]), &[b"a", b"abcde"]),
            ),
            (
                mbulk(&[b"a", b"abcdef"]),
                limits(5, true),
                fails(ParseError::InvalidBulkLength),
            ),
            // Unauthenticated limits.
            (
                mbulk(&[&b"a"[..]; 10]),
                UNAUTH,
                whole(&mbulk(&[&b"a"[..]; 10]), &[&b"a"[..]; 10]),
            ),
            (
                mbulk(&[&b"a"[..]; 11]),
                UNAUTH,
                fails(ParseError::UnauthenticatedMultibulk),
            ),
            (
                mbulk(&[&b"a"[..]; 11]),
                AUTH,
                whole(&mbulk(&[&b"a"[..]; 11]), &[&b"a"[..]; 11]),
            ),
            (
                mbulk(&[b"SET", &big[..16384]]),
                UNAUTH,
                whole(&mbulk(&[b"SET", &big[..16384]]), &[b"SET", &big[..16384]]),
            ),
            (
                mbulk(&[b"SET", &big]),
                UNAUTH,
                fails(ParseError::UnauthenticatedBulk),
            ),
            (
                mbulk(&[b"SET", &big]),
                AUTH,
                whole(&mbulk(&[b"SET", &big]), &[b"SET", &big]),
            ),
            // Three-digit counts and lengths.
            (
                mbulk(&[&b"a"[..]; 100]),
                AUTH,
                whole(&mbulk(&[&b"a"[..]; 100]), &[&b"a"[..]; 100]),
            ),
            (
                mbulk(&[&big[..100], &big[..999], &big[..1000]]),
                AUTH,
                whole(
                    &mbulk(&[&big[..100], &big[..999], &big[..1000]]),
                    &[&big[..100], &big[..999], &big[..1000]],
                ),
            ),
        ];
        for (input, limits, want) in &cases {
            if input.len() < 2000 {
                assert_eq!(&lockstep_all_ways(input, limits), want, "{input:?}");
            } else {
                // Too long to cut everywhere: around the headers and the end.
                let cuts: Vec<usize> = (0..30).chain(input.len() - 30..input.len()).collect();
                assert_eq!(&lockstep(input, &[], limits, false), want);
                for &i in &cuts {
                    assert_eq!(&lockstep(input, &[i], limits, true), want, "cut at {i}");
                }
                assert_eq!(&lockstep(input, &cuts, limits, false), want);
            }
        }
    }

    #[test]
    fn plain_frame_left_half_read() {
        // A frame cut inside its last payload: the one-pass reading hands the stage
        // machine the arguments read so far and the header to go on from, which then
        // waits for the payload without reading anything again.
        let mut p = Parser::new();
        let mut args = Vec::new();
        let frame = mbulk(&[b"SET", b"k", b"0123456789"]);
        let mut part = frame[..frame.len() - 4].to_vec();
        assert_eq!(p.parse(&mut part, &mut args, &AUTH), Ok(Parsed::Incomplete));
        assert_eq!(p.stage, Stage::BulkBody(10));
        assert_eq!(p.spans.len(), 2);
        assert_eq!(p.frame_len_hint(), Some(frame.len()));
        let mut all = frame.clone();
        assert_eq!(
            p.parse(&mut all, &mut args, &AUTH),
            Ok(Parsed::Command(frame.len()))
        );
        let got: Vec<&[u8]> = args.iter().map(|s| &all[s.start..s.end]).collect();
        assert_eq!(got, [&b"SET"[..], b"k", b"0123456789"]);
    }

    // ---- property tests ----

    /// A well-formed frame and what parsing it must give.
    fn frame() -> impl Strategy<Value = (Vec<u8>, Ev)> {
        let arg = prop::collection::vec(any::<u8>(), 0..24);
        let args = prop::collection::vec(arg, 1..6);
        let word = prop::collection::vec(prop::sample::select(b"abcXYZ019_-+.:$*".to_vec()), 1..8);
        let words = prop::collection::vec(word, 1..5);
        prop_oneof![
            args.clone().prop_map(|a| {
                let refs: Vec<&[u8]> = a.iter().map(|x| x.as_slice()).collect();
                let bytes = mbulk(&refs);
                let n = bytes.len();
                (bytes, Ev::Cmd(a, n))
            }),
            (args, any::<bool>()).prop_map(|(a, crlf)| {
                let mut bytes = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        bytes.push(b' ');
                    }
                    crate::util::split::repr_into(x, &mut bytes);
                }
                bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                let n = bytes.len();
                (bytes, Ev::Cmd(a, n))
            }),
            words.prop_map(|w| {
                let mut bytes = w.join(&b'\t');
                if bytes[0] == b'*' {
                    bytes.insert(0, b' ');
                }
                bytes.extend_from_slice(b"\r\n");
                let n = bytes.len();
                (bytes, Ev::Cmd(w, n))
            }),
            prop::sample::select(vec![
                &b"*0\r\n"[..],
                b"*-1\r\n",
                b"\r\n",
                b"\n",
                b" \t \r\n"
            ])
            .prop_map(|b| (b.to_vec(), Ev::Empty(b.len()))),
        ]
    }

    fn frames() -> impl Strategy<Value = (Vec<u8>, Vec<Ev>)> {
        prop::collection::vec(frame(), 1..6).prop_map(|fs| {
            let mut bytes = Vec::new();
            let mut evs = Vec::new();
            for (b, e) in fs {
                bytes.extend(b);
                evs.push(e);
            }
            (bytes, evs)
        })
    }

    fn protocol_bytes() -> impl Strategy<Value = Vec<u8>> {
        let alphabet = b"*$\r\n0123456789-+ \t\"'\\xaF\0\x0b".to_vec();
        prop::collection::vec(prop::sample::select(alphabet), 0..200)
    }

    fn any_limits() -> impl Strategy<Value = Limits> {
        (
            prop::sample::select(vec![0usize, 1, 5, 16, 512 << 20]),
            any::<bool>(),
        )
            .prop_map(|(m, a)| Limits {
                proto_max_bulk_len: m,
                authenticated: a,
            })
    }

    fn cuts(max: usize) -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(0..=max, 0..5).prop_map(|mut c| {
            c.sort_unstable();
            c
        })
    }

    proptest! {
        #[test]
        fn random_bytes_are_handled(
            input in prop::collection::vec(any::<u8>(), 0..300),
            limits in any_limits(),
            cuts in cuts(300),
            compact in any::<bool>(),
        ) {
            // Below 64 KiB no "too big" error depends on how the bytes arrive, so any
            // split must agree with the one-shot parse.
            let whole = one_shot(&input, &limits);
            prop_assert_eq!(feed(&input, &cuts, &limits, compact), whole);
        }

        #[test]
        fn protocol_like_bytes_are_handled(
            input in protocol_bytes(),
            limits in any_limits(),
            cuts in cuts(200),
            compact in any::<bool>(),
        ) {
            let whole = one_shot(&input, &limits);
            prop_assert_eq!(feed(&input, &cuts, &limits, compact), whole);
        }

        #[test]
        fn well_formed_frames_parse_alike_when_cut(
            (input, want) in frames(),
            cuts in cuts(400),
            compact in any::<bool>(),
        ) {
            prop_assert_eq!(one_shot(&input, &AUTH), (want.clone(), 0));
            prop_assert_eq!(feed(&input, &cuts, &AUTH, compact), (want, 0));
        }

        #[test]
        fn mutated_frames_are_handled(
            (input, _) in frames(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..5),
            limits in any_limits(),
            cuts in cuts(400),
        ) {
            let mut input = input;
            for (at, op, byte) in edits {
                let i = at.index(input.len() + 1);
                match op {
                    0 if i < input.len() => input[i] = byte,
                    1 if i < input.len() => { input.remove(i); }
                    _ => input.insert(i, byte),
                }
            }
            let whole = one_shot(&input, &limits);
            prop_assert_eq!(feed(&input, &cuts, &limits, true), whole);
        }

        #[test]
        fn plain_reading_agrees_on_frames(
            (input, want) in frames(),
            limits in any_limits(),
            cuts in cuts(400),
            compact in any::<bool>(),
        ) {
            let got = lockstep(&input, &cuts, &limits, compact);
            if limits.authenticated && limits.proto_max_bulk_len == AUTH.proto_max_bulk_len {
                prop_assert_eq!(got, (want, 0));
            }
        }

        #[test]
        fn plain_reading_agrees_on_large_frames(
            args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..1200), 1..4),
            count in prop::sample::select(vec![0usize, 1, 9, 10, 11, 99, 100, 101]),
            limits in any_limits(),
            cuts in cuts(4000),
            compact in any::<bool>(),
        ) {
            let mut refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            refs.extend(std::iter::repeat_n(&b"x"[..], count));
            lockstep(&mbulk(&refs), &cuts, &limits, compact);
        }

        #[test]
        fn plain_reading_agrees_on_mutated_frames(
            (input, _) in frames(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..5),
            limits in any_limits(),
            cuts in cuts(400),
            compact in any::<bool>(),
        ) {
            let mut input = input;
            for (at, op, byte) in edits {
                let i = at.index(input.len() + 1);
                match op {
                    0 if i < input.len() => input[i] = byte,
                    1 if i < input.len() => { input.remove(i); }
                    _ => input.insert(i, byte),
                }
            }
            lockstep(&input, &cuts, &limits, compact);
        }

        #[test]
        fn plain_reading_agrees_on_protocol_like_bytes(
            input in protocol_bytes(),
            limits in any_limits(),
            cuts in cuts(200),
            compact in any::<bool>(),
        ) {
            lockstep(&input, &cuts, &limits, compact);
        }
    }
}
