//! A command's arguments, and the cursor handlers read them with.
//!
//! `Args` are spans into a buffer (the connection's read buffer, or an owned copy for
//! queued and blocked commands); index 0 is the command name. The positions the row's
//! arity guarantees are read with `Args::get`; everything after them is read with a
//! `Cursor`, whose typed getters turn a missing argument or a bad token into the error
//! Redis gives, never a panic. The option grammars several commands share (SCAN's
//! MATCH/COUNT/TYPE, `numkeys key [key ...]`, `LIMIT offset count`, the MPOP family's
//! `COUNT`) are parsed here, once.

#![deny(clippy::indexing_slicing)]

use crate::error::Error;
use crate::resp::parse::Span;
use crate::store::bytes::Sds;
use crate::util::num::{parse_f64, parse_i64};
use std::time::Duration;

/// The arguments of one command: spans into a buffer (the connection's read buffer, or an
/// owned copy for queued and blocked commands). Index 0 is the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    spans: &'a [Span],
    /// `buf` is exactly the frame as the client sent it (see `wire_frame`).
    wire: bool,
}

impl<'a> Args<'a> {
    pub fn new(buf: &'a [u8], spans: &'a [Span]) -> Args<'a> {
        Args {
            buf,
            spans,
            wire: false,
        }
    }

    /// The arguments of a frame as the parser found it in a connection's read buffer:
    /// `frame` is the whole frame and nothing else.
    pub fn from_wire(frame: &'a [u8], spans: &'a [Span]) -> Args<'a> {
        Args {
            buf: frame,
            spans,
            wire: true,
        }
    }

    /// The frame as received, when it is exactly the canonical RESP multibulk encoding of
    /// these arguments (what the AOF would write for them), so it can be copied as is.
    /// None for inline commands, for frames with other line terminators than CRLF
    /// (the parser does not insist on the byte after `\r`), and for owned arguments.
    pub fn wire_frame(&self) -> Option<&'a [u8]> {
        if !self.wire || self.buf.first() != Some(&b'*') {
            return None;
        }
        let crlf = |at: usize| self.buf.get(at..at + 2) == Some(b"\r\n");
        let digits = |n: usize| if n < 10 { 1 } else { n.ilog10() as usize + 1 };
        let mut len = 1 + digits(self.spans.len()) + 2;
        if !crlf(len - 2) {
            return None;
        }
        for s in self.spans {
            let n = s.end - s.start;
            len += 1 + digits(n) + 2 + n + 2;
            if s.start < 2 || !crlf(s.start - 2) || !crlf(s.end) {
                return None;
            }
        }
        (len == self.buf.len()).then_some(self.buf)
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    /// Argument `i`, for the positions the row's arity guarantees; past the end (a bug of
    /// the caller) it is empty rather than a panic.
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        match self.spans.get(i) {
            Some(s) => self.buf.get(s.start..s.end).unwrap_or_default(),
            None => {
                debug_assert!(false, "argument {i} of {}", self.spans.len());
                &[]
            }
        }
    }
    /// Argument `i`, if there is one.
    #[inline]
    pub fn opt(&self, i: usize) -> Option<&'a [u8]> {
        let s = self.spans.get(i)?;
        self.buf.get(s.start..s.end)
    }
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + '_ {
        self.spans
            .iter()
            .map(|s| self.buf.get(s.start..s.end).unwrap_or_default())
    }
    /// Arguments from `i` on.
    pub fn from(&self, i: usize) -> impl ExactSizeIterator<Item = &'a [u8]> + '_ {
        self.spans
            .get(i..)
            .unwrap_or_default()
            .iter()
            .map(|s| self.buf.get(s.start..s.end).unwrap_or_default())
    }
    /// Arguments `range` (clamped to those there are), as arguments of their own.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Args<'a> {
        let end = range.end.min(self.spans.len());
        let start = range.start.min(end);
        Args::new(self.buf, self.spans.get(start..end).unwrap_or_default())
    }
    /// Whether argument `i` equals `word`, ignoring ASCII case.
    #[inline]
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.opt(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(word.as_bytes()))
    }
    /// A cursor over the arguments from `i` on.
    #[inline]
    pub fn cursor(&self, i: usize) -> Cursor<'a> {
        Cursor {
            args: *self,
            pos: i,
        }
    }
    pub fn to_owned(&self) -> OwnedArgs {
        OwnedArgs::from_iter(self.iter())
    }
    pub fn to_sds(&self) -> Vec<Sds> {
        self.iter().map(Sds::from).collect()
    }
}

/// Arguments that own their bytes.
#[derive(Clone, Default, Debug)]
pub struct OwnedArgs {
    buf: Vec<u8>,
    spans: Vec<Span>,
}

impl OwnedArgs {
    /// Empties it, keeping the allocations.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }
    pub fn args(&self) -> Args<'_> {
        Args::new(&self.buf, &self.spans)
    }
    pub fn push(&mut self, a: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(a);
        self.spans.push(Span {
            start,
            end: self.buf.len(),
        });
    }
}

impl<'b> FromIterator<&'b [u8]> for OwnedArgs {
    fn from_iter<I: IntoIterator<Item = &'b [u8]>>(it: I) -> Self {
        let mut o = OwnedArgs::default();
        for a in it {
            o.push(a);
        }
        o
    }
}

/// Reads the arguments after a command's fixed positions, one at a time.
///
/// Running out of arguments where one is needed is `ERR syntax error`; a number that does
/// not parse is the error Redis gives for that kind of number.
#[derive(Clone, Copy)]
pub struct Cursor<'a> {
    args: Args<'a>,
    pos: usize,
}

impl<'a> Iterator for Cursor<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let a = self.args.opt(self.pos)?;
        self.pos += 1;
        Some(a)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Cursor<'_> {}

impl<'a> Cursor<'a> {
    /// The index of the next argument.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// How many arguments are left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.args.len().saturating_sub(self.pos)
    }
    #[inline]
    pub fn is_done(&self) -> bool {
        self.remaining() == 0
    }
    /// The next argument, not consumed.
    #[inline]
    pub fn peek(&self) -> Option<&'a [u8]> {
        self.args.opt(self.pos)
    }
    /// The next argument; a syntax error when there is none.
    #[inline]
    pub fn arg(&mut self) -> Result<&'a [u8], Error> {
        self.next().ok_or(Error::Syntax)
    }
    /// Consumes the next argument when it is `word` (ASCII case ignored).
    #[inline]
    pub fn eat(&mut self, word: &str) -> bool {
        let hit = self.args.is(self.pos, word);
        self.pos += usize::from(hit);
        hit
    }
    /// Consumes the next argument when it is `word` and at least `values` arguments
    /// follow it (the word then starts an option with values, as Redis's option loops
    /// decide: `COUNT` as the last argument is a syntax error, not a `COUNT` option).
    #[inline]
    pub fn eat_with(&mut self, word: &str, values: usize) -> bool {
        self.remaining() > values && self.eat(word)
    }
    /// Consumes the next argument when it is one of `words`, giving its value.
    pub fn keyword<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<T> {
        let a = self.peek()?;
        let &(_, v) = words
            .iter()
            .find(|(w, _)| a.eq_ignore_ascii_case(w.as_bytes()))?;
        self.pos += 1;
        Some(v)
    }
    /// The next argument as a 64-bit integer (`ERR value is not an integer or out of
    /// range`).
    pub fn i64(&mut self) -> Result<i64, Error> {
        parse_i64(self.arg()?).ok_or(Error::NotInteger)
    }
    /// The next argument as an integer of at least `min`; `err` when it is not one.
    pub fn i64_min(&mut self, min: i64, err: Error) -> Result<i64, Error> {
        match parse_i64(self.arg()?) {
            Some(n) if n >= min => Ok(n),
            _ => Err(err),
        }
    }
    /// The next argument as a double (`ERR value is not a valid float`).
    pub fn f64(&mut self) -> Result<f64, Error> {
        parse_f64(self.arg()?).ok_or(Error::NotFloat)
    }
    /// The next argument as a blocking timeout in seconds (0: forever).
    pub fn timeout(&mut self) -> Result<Option<Duration>, Error> {
        crate::server::blocking::parse_timeout(self.arg()?)
    }
    /// The rest of the arguments, as arguments of their own; the cursor ends.
    pub fn rest(&mut self) -> Args<'a> {
        let r = self.args.slice(self.pos..self.args.len());
        self.pos = self.args.len();
        r
    }
    /// The next `n` arguments, as arguments of their own; a syntax error when fewer are
    /// left.
    pub fn next_n(&mut self, n: usize) -> Result<Args<'a>, Error> {
        if n > self.remaining() {
            return Err(Error::Syntax);
        }
        let r = self.args.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(r)
    }
    /// `numkeys key [key ...]`: a count of at least 1 (`bad` when it is not a number or
    /// below 1), then that many keys (a syntax error when they are not all there).
    pub fn numkeys(&mut self, bad: Error) -> Result<Args<'a>, Error> {
        let n = self.i64_min(1, bad)?;
        if n as u64 > self.remaining() as u64 {
            return Err(Error::Syntax);
        }
        self.next_n(n as usize)
    }
    /// `LIMIT offset count`, the word already consumed: two integers.
    pub fn limit(&mut self) -> Result<(i64, i64), Error> {
        Ok((self.i64()?, self.i64()?))
    }
    /// The optional `[COUNT count]` that closes LMPOP, ZMPOP and their blocking forms:
    /// at least 1 (`ERR count should be greater than 0`); anything else after it is a
    /// syntax error. 1 when absent.
    pub fn mpop_count(&mut self) -> Result<u64, Error> {
        let mut count = None;
        while !self.is_done() {
            if count.is_none() && self.eat_with("count", 1) {
                let n = self.i64_min(1, Error::msg("ERR count should be greater than 0"))?;
                count = Some(n as u64);
            } else {
                return Err(Error::Syntax);
            }
        }
        Ok(count.unwrap_or(1))
    }
}

/// The options of SCAN, SSCAN, HSCAN and ZSCAN: `[MATCH pattern] [COUNT count]`, and for
/// SCAN `[TYPE type]`, in any order, the last of each winning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOpts<'a> {
    pub count: i64,
    /// None for no pattern or `*` (which is not run through the matcher).
    pub pattern: Option<&'a [u8]>,
    pub type_name: Option<&'a [u8]>,
}

impl<'a> ScanOpts<'a> {
    /// Parses the options from the cursor on; `with_type` admits TYPE (SCAN's).
    pub fn parse(c: &mut Cursor<'a>, with_type: bool) -> Result<ScanOpts<'a>, Error> {
        let mut o = ScanOpts {
            count: 10,
            pattern: None,
            type_name: None,
        };
        while !c.is_done() {
            if c.eat_with("count", 1) {
                o.count = c.i64()?;
                if o.count < 1 {
                    return Err(Error::Syntax);
                }
            } else if c.eat_with("match", 1) {
                let p = c.arg()?;
                o.pattern = if p == b"*" { None } else { Some(p) };
            } else if with_type && c.eat_with("type", 1) {
                o.type_name = Some(c.arg()?);
            } else {
                return Err(Error::Syntax);
            }
        }
        Ok(o)
    }
}

/// The key positions of a command whose `numkeys` argument is at `idx` (the keys follow
/// it); none when the count is not a positive number. For the rows' `keys_fn`.
pub fn numkeys_keys(a: &Args, idx: usize) -> Vec<usize> {
    let Some(n) = a.opt(idx).and_then(parse_i64).filter(|&n| n > 0) else {
        return Vec::new();
    };
    let end = (idx as u64 + 1)
        .saturating_add(n as u64)
        .min(a.len() as u64) as usize;
    (idx + 1..end).collect()
}

/// A cursor argument of SCAN and friends, read as Redis reads it (C's `strtoul` on the
/// argument as a C string): the text ends at a NUL byte, an empty text is 0, a leading
/// sign is allowed (a negative value wraps); leading blanks, any other trailing text and
/// overflow are `ERR invalid cursor`.
pub fn parse_cursor(b: &[u8]) -> Result<u64, Error> {
    parse_cursor_digits(b).ok_or_else(|| Error::msg("ERR invalid cursor"))
}

fn parse_cursor_digits(b: &[u8]) -> Option<u64> {
    let b = match memchr::memchr(0, b) {
        Some(nul) => b.get(..nul).unwrap_or(b),
        None => b,
    };
    let Some(&first) = b.first() else {
        return Some(0);
    };
    let (neg, digits) = match first {
        b'-' => (true, b.get(1..)?),
        b'+' => (false, b.get(1..)?),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(s: &str) -> OwnedArgs {
        s.split(' ').map(str::as_bytes).collect()
    }

    #[test]
    fn cursor_getters_and_errors() {
        let o = owned("CMD 12 x 1.5 0.1 AbC");
        let a = o.args();
        let mut c = a.cursor(1);
        assert_eq!(c.remaining(), 5);
        assert_eq!(c.i64(), Ok(12));
        assert_eq!(c.i64(), Err(Error::NotInteger));
        assert_eq!(c.f64(), Ok(1.5));
        assert_eq!(c.timeout(), Ok(Some(Duration::from_millis(100))));
        assert!(!c.eat("abd"));
        assert_eq!(c.keyword(&[("x", 1), ("abc", 2)]), Some(2));
        assert!(c.is_done());
        assert_eq!(c.arg(), Err(Error::Syntax));
        assert_eq!(c.i64(), Err(Error::Syntax));
        assert_eq!(c.next_n(1).map(|a| a.len()), Err(Error::Syntax));
        // Out-of-range reads give nothing, never a panic.
        assert_eq!(a.opt(9), None);
        assert!(!a.is(9, "x"));
        assert_eq!(a.slice(4..99).len(), 2);
        assert_eq!(a.slice(99..100).len(), 0);
    }

    #[test]
    fn eat_with_needs_the_values() {
        let o = owned("CMD count");
        let mut c = o.args().cursor(1);
        assert!(!c.eat_with("count", 1));
        assert!(c.eat_with("count", 0));
    }

    #[test]
    fn numkeys_and_mpop_count() {
        let bad = || Error::msg("ERR numkeys should be greater than 0");
        let o = owned("LMPOP 2 a b LEFT COUNT 3");
        let mut c = o.args().cursor(1);
        let keys = c.numkeys(bad()).expect("keys");
        assert_eq!(keys.iter().collect::<Vec<_>>(), [b"a", b"b"]);
        assert!(c.eat("left"));
        assert_eq!(c.mpop_count(), Ok(3));
        for (s, want) in [
            ("X 0 a", Err(bad())),
            ("X -1 a", Err(bad())),
            ("X y a", Err(bad())),
            ("X 3 a b", Err(Error::Syntax)),
            ("X 9223372036854775807 a", Err(Error::Syntax)),
        ] {
            let o = owned(s);
            assert_eq!(
                o.args().cursor(1).numkeys(bad()).map(|a| a.len()),
                want,
                "{s}"
            );
        }
        for (s, want) in [
            ("X", Ok(1)),
            ("X COUNT", Err(Error::Syntax)),
            (
                "X COUNT 0",
                Err(Error::msg("ERR count should be greater than 0")),
            ),
            ("X COUNT 2 COUNT 3", Err(Error::Syntax)),
            ("X FOO", Err(Error::Syntax)),
        ] {
            let o = owned(s);
            assert_eq!(o.args().cursor(1).mpop_count(), want, "{s}");
        }
    }

    #[test]
    fn scan_options() {
        let o = owned("SCAN 0 MATCH a* COUNT 5 TYPE zset MATCH *");
        let mut c = o.args().cursor(2);
        let s = ScanOpts::parse(&mut c, true).expect("opts");
        assert_eq!(s.count, 5);
        assert_eq!(s.pattern, None);
        assert_eq!(s.type_name, Some(&b"zset"[..]));
        for (s, with_type, want) in [
            ("SCAN 0 COUNT 0", true, Error::Syntax),
            ("SCAN 0 COUNT x", true, Error::NotInteger),
            ("SCAN 0 MATCH", true, Error::Syntax),
            ("SSCAN 0 TYPE set", false, Error::Syntax),
            ("SCAN 0 FOO bar", true, Error::Syntax),
        ] {
            let o = owned(s);
            let mut c = o.args().cursor(2);
            assert_eq!(ScanOpts::parse(&mut c, with_type), Err(want), "{s}");
        }
    }

    #[test]
    fn cursors_parse_like_strtoul() {
        for (s, want) in [
            (&b"0"[..], 0),
            (b"+7", 7),
            (b"007", 7),
            (b"-0", 0),
            (b"-1", u64::MAX),
            (b"-18446744073709551615", 1),
            (b"18446744073709551615", u64::MAX),
            // Redis reads the argument as a C string: empty is 0, a NUL ends it.
            (b"", 0),
            (b"5\0junk", 5),
            (b"\0", 0),
        ] {
            assert_eq!(parse_cursor(s), Ok(want), "{s:?}");
        }
        for bad in [
            &b"-"[..],
            b"+",
            b"1x",
            b" 1",
            b"1 ",
            b"\t1",
            b"+ 1",
            b"x",
            b"18446744073709551616",
            b"-18446744073709551616",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numkeys_key_positions() {
        let o = owned("LMPOP 2 a b LEFT");
        assert_eq!(numkeys_keys(&o.args(), 1), vec![2, 3]);
        let o = owned("LMPOP 5 a");
        assert_eq!(numkeys_keys(&o.args(), 1), vec![2]);
        let o = owned("LMPOP x a");
        assert!(numkeys_keys(&o.args(), 1).is_empty());
        assert!(numkeys_keys(&o.args(), 7).is_empty());
    }
}
