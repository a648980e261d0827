//! The one reply encoder, for RESP2 and RESP3.
//!
//! `Reply` appends to a connection's output buffer. Every RESP3 type has a RESP2 fallback
//! chosen here and nowhere else: maps become flat arrays, sets arrays, doubles bulk
//! strings, booleans integers, nulls `$-1`/`*-1`, verbatim strings bulk strings, pushes
//! arrays. Lengths unknown in advance are written with a deferred header (`begin_*` /
//! `end_*`), which reserves nothing and inserts the header once the count is known.

#![deny(clippy::indexing_slicing)]

use crate::util::num;

/// Which aggregate a deferred header stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    Array,
    Map,
    Set,
    Push,
}

/// A deferred aggregate header: where it goes and what it is.
#[derive(Debug)]
#[must_use]
pub struct Deferred {
    pos: usize,
    agg: Agg,
}

pub struct Reply<'a> {
    pub buf: &'a mut Vec<u8>,
    pub resp3: bool,
}

impl<'a> Reply<'a> {
    pub fn new(buf: &'a mut Vec<u8>, resp3: bool) -> Reply<'a> {
        Reply { buf, resp3 }
    }

    /// A reply writer for the same buffer, shorter-lived (handy for helpers).
    pub fn reborrow(&mut self) -> Reply<'_> {
        Reply {
            buf: self.buf,
            resp3: self.resp3,
        }
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string (`+...`). The text must not contain CR or LF.
    #[inline]
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error line; `text` is the whole message including its code ("ERR ...").
    pub fn error(&mut self, text: &str) {
        self.error_bytes(text.as_bytes())
    }

    /// An error line from raw bytes (CR and LF become spaces, as Redis does).
    pub fn error_bytes(&mut self, text: &[u8]) {
        self.buf.push(b'-');
        for &b in text {
            // A reply line can never be broken by the text.
            self.buf
                .push(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        self.header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    /// An integer sent as a bulk string (e.g. INCRBYFLOAT-style replies, CONFIG values).
    pub fn bulk_i64(&mut self, n: i64) {
        self.bulk(itoa::Buffer::new().format(n).as_bytes());
    }

    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    #[inline]
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    #[inline]
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs (RESP2: an array of 2n elements).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set of `n` elements (RESP2: an array).
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// A push message of `n` elements (RESP2: an array).
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A double (RESP2: bulk string), formatted as Redis 7.0 formats it.
    pub fn double(&mut self, d: f64) {
        let mut tmp = Vec::with_capacity(32);
        num::fmt_double(d, &mut tmp);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&tmp);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&tmp);
        }
    }

    /// A boolean (RESP2: integer 1/0).
    pub fn boolean(&mut self, b: bool) {
        if self.resp3 {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A verbatim string with a three-letter format (RESP2: bulk string).
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        if self.resp3 {
            self.header(b'=', (text.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A big number given as its decimal digits (RESP2: bulk string).
    pub fn bignum(&mut self, digits: &str) {
        if self.resp3 {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits.as_bytes());
        }
    }

    /// An attribute of `n` pairs, placed before the reply it describes. RESP2 has no
    /// attributes: nothing is written and the caller omits the pairs too.
    pub fn attribute(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'|', n as i64);
        }
    }

    /// An array of bulk strings.
    pub fn bulks<'b, I>(&mut self, items: I)
    where
        I: IntoIterator<Item = &'b [u8]>,
        I::IntoIter: ExactSizeIterator,
    {
        let it = items.into_iter();
        self.array(it.len());
        for b in it {
            self.bulk(b);
        }
    }

    /// Starts an aggregate whose length is not known yet.
    pub fn begin(&mut self, agg: Agg) -> Deferred {
        Deferred {
            pos: self.buf.len(),
            agg,
        }
    }

    /// Ends a deferred aggregate: `n` elements (pairs for a map) were written since `begin`.
    pub fn end(&mut self, d: Deferred, n: usize) {
        let mut h = Vec::with_capacity(16);
        let (prefix, count) = match (d.agg, self.resp3) {
            (Agg::Array, _) => (b'*', n),
            (Agg::Map, true) => (b'%', n),
            (Agg::Map, false) => (b'*', 2 * n),
            (Agg::Set, true) => (b'~', n),
            (Agg::Push, true) => (b'>', n),
            (Agg::Set | Agg::Push, false) => (b'*', n),
        };
        h.push(prefix);
        h.extend_from_slice(itoa::Buffer::new().format(count).as_bytes());
        h.extend_from_slice(b"\r\n");
        // `d.pos` was the buffer's length at `begin` and the buffer only grows; the
        // clamp keeps a misused `Deferred` from panicking.
        let pos = d.pos.min(self.buf.len());
        self.buf.splice(pos..pos, h);
    }
}

/// The length of the first complete reply in `buf` (aggregates and attributes with all
/// they hold), or None if `buf` does not start with a complete, well-formed one.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    // Replies still to be read: one, plus the elements of the aggregates met on the way.
    let mut pending: u64 = 1;
    while pending > 0 {
        pending -= 1;
        let rest = buf.get(pos..)?;
        let nl = rest.windows(2).position(|w| w == b"\r\n")?;
        let kind = *rest.first()?;
        let head = rest.get(1..nl)?;
        pos += nl + 2;
        let n = || -> Option<i64> { std::str::from_utf8(head).ok()?.parse().ok() };
        match kind {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
            b'$' | b'=' | b'!' => {
                let len = n()?;
                if len >= 0 {
                    pos = pos.checked_add(usize::try_from(len).ok()?.checked_add(2)?)?;
                    if pos > buf.len() {
                        return None;
                    }
                }
            }
            b'*' | b'~' | b'>' => pending = pending.checked_add(n()?.max(0) as u64)?,
            b'%' => pending = pending.checked_add((n()?.max(0) as u64).checked_mul(2)?)?,
            // An attribute map, then the reply it is about.
            b'|' => {
                pending =
                    pending.checked_add((n()?.max(0) as u64).checked_mul(2)?.checked_add(1)?)?
            }
            _ => return None,
        }
    }
    Some(pos)
}

/// Drops from `buf[from..]` every reply but the RESP3 pushes (CLIENT REPLY OFF/SKIP
/// silences a command's replies, not the pushes it caused). Bytes that do not parse are
/// dropped.
pub fn keep_pushes(buf: &mut Vec<u8>, from: usize) {
    let mut read = from;
    let mut write = from;
    while let Some(len) = buf.get(read..).and_then(frame_len) {
        if buf.get(read) == Some(&b'>') {
            buf.copy_within(read..read + len, write);
            write += len;
        }
        read += len;
    }
    buf.truncate(write);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(resp3: bool, f: impl FnOnce(&mut Reply)) -> String {
        let mut v = Vec::new();
        f(&mut Reply::new(&mut v, resp3));
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn scalar_types_in_both_protocols() {
        assert_eq!(enc(false, |r| r.ok()), "+OK\r\n");
        assert_eq!(enc(false, |r| r.int(-12)), ":-12\r\n");
        assert_eq!(enc(false, |r| r.bulk(b"ab")), "$2\r\nab\r\n");
        assert_eq!(enc(false, |r| r.null()), "$-1\r\n");
        assert_eq!(enc(true, |r| r.null()), "_\r\n");
        assert_eq!(enc(false, |r| r.null_array()), "*-1\r\n");
        assert_eq!(enc(false, |r| r.boolean(true)), ":1\r\n");
        assert_eq!(enc(true, |r| r.boolean(false)), "#f\r\n");
        assert_eq!(enc(true, |r| r.verbatim("txt", b"hi")), "=6\r\ntxt:hi\r\n");
        assert_eq!(enc(false, |r| r.verbatim("txt", b"hi")), "$2\r\nhi\r\n");
        assert_eq!(enc(false, |r| r.error("ERR a\r\nb")), "-ERR a  b\r\n");
    }

    #[test]
    fn aggregates_fall_back_in_resp2() {
        assert_eq!(enc(false, |r| r.map(2)), "*4\r\n");
        assert_eq!(enc(true, |r| r.map(2)), "%2\r\n");
        assert_eq!(enc(true, |r| r.set(3)), "~3\r\n");
        assert_eq!(enc(true, |r| r.push(3)), ">3\r\n");
        assert_eq!(enc(false, |r| r.push(3)), "*3\r\n");
    }

    #[test]
    fn frames_are_measured_and_pushes_kept() {
        let frames: &[&[u8]] = &[
            b"+OK\r\n",
            b"$3\r\nabc\r\n",
            b"$-1\r\n",
            b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n",
            b"%1\r\n+k\r\n~2\r\n,1.5\r\n#t\r\n",
            b"|1\r\n+a\r\n:1\r\n(123\r\n",
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
            b"=6\r\ntxt:hi\r\n",
            b"*-1\r\n",
        ];
        let mut all = Vec::new();
        for f in frames {
            assert_eq!(
                frame_len(f),
                Some(f.len()),
                "{}",
                String::from_utf8_lossy(f)
            );
            assert_eq!(frame_len(f.get(..f.len() - 1).unwrap()), None);
            all.extend_from_slice(f);
        }
        let mut buf = b"kept".to_vec();
        buf.extend_from_slice(&all);
        keep_pushes(&mut buf, 4);
        assert_eq!(buf, b"kept>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        assert_eq!(frame_len(b"$99999999999999999999\r\n"), None);
        assert_eq!(frame_len(b"*9223372036854775807\r\n"), None);
        assert_eq!(frame_len(b"?\r\n"), None);
    }

    #[test]
    fn deferred_headers_are_inserted() {
        let s = enc(false, |r| {
            r.bulk(b"x");
            let d = r.begin(Agg::Map);
            r.bulk(b"k");
            r.int(1);
            r.end(d, 1);
        });
        assert_eq!(s, "$1\r\nx\r\n*2\r\n$1\r\nk\r\n:1\r\n");
    }
}
