//! RDB's length and string encodings, as Redis's rdb.c writes and reads them.
//!
//! A length is 1, 2, 5 or 9 bytes: `00xxxxxx` (6 bits), `01xxxxxx xxxxxxxx` (14 bits,
//! big-endian), `0x80` + u32 big-endian, `0x81` + u64 big-endian. A first byte
//! `11xxxxxx` is not a length but a special string encoding: 0xC0/0xC1/0xC2 an integer in
//! 1/2/4 little-endian bytes, 0xC3 an LZF blob (compressed length, original length, data).
//!
//! `write_string` makes the choices `rdbSaveRawString` makes, so what we write is
//! byte-identical to Redis's; `Reader` reads untrusted bytes with every access checked,
//! its errors carrying the offset where reading failed.

#![deny(clippy::indexing_slicing)]

use super::lzf;
use std::fmt;

/// A first byte `11xxxxxx`: the low six bits name a special encoding.
pub const ENCVAL: u8 = 0xC0;
pub const ENC_INT8: u8 = 0;
pub const ENC_INT16: u8 = 1;
pub const ENC_INT32: u8 = 2;
pub const ENC_LZF: u8 = 3;

const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;

/// Appends the encoding of `len`.
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push((LEN_6BIT << 6) | len as u8);
    } else if len < 1 << 14 {
        out.push((LEN_14BIT << 6) | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(LEN_32BIT);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(LEN_64BIT);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// The integer `s` spells, when it spells one the way Redis prints integers (no sign
/// other than a leading `-`, no leading zeros, no spaces, within i64): Redis's
/// string2ll followed by the round-trip comparison of `rdbTryIntegerEncoding`.
fn canonical_integer(s: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(s).ok()?;
    let v: i64 = text.parse().ok()?;
    let mut buf = itoa::Buffer::new();
    (buf.format(v).as_bytes() == s).then_some(v)
}

/// The integer encoding of `s` (Redis's `rdbTryIntegerEncoding`): its canonical decimal
/// form fits in 32 bits.
fn integer_encoding(s: &[u8], out: &mut Vec<u8>) -> bool {
    let Some(v) = canonical_integer(s) else {
        return false;
    };
    if let Ok(v) = i8::try_from(v) {
        out.push(ENCVAL | ENC_INT8);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i16::try_from(v) {
        out.push(ENCVAL | ENC_INT16);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(v) {
        out.push(ENCVAL | ENC_INT32);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends the LZF form of `s` when compressing saves at least four bytes (Redis's
/// `rdbSaveLzfStringObject`: the compressor gets `len - 4` bytes of room).
fn lzf_encoding(s: &[u8], out: &mut Vec<u8>) -> bool {
    if s.len() <= 4 {
        return false;
    }
    let Some(compressed) = lzf::compress_bounded(s, s.len() - 4) else {
        return false;
    };
    out.push(ENCVAL | ENC_LZF);
    write_len(out, compressed.len() as u64);
    write_len(out, s.len() as u64);
    out.extend_from_slice(&compressed);
    true
}

/// Appends `s` as Redis's `rdbSaveRawString` does: integer-encoded when it is a short
/// canonical integer (up to 11 characters), else LZF-compressed when `compress`
/// (rdbcompression) and it is longer than 20 bytes and compression saves at least four
/// bytes, else its length and bytes.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 && integer_encoding(s, out) {
        return;
    }
    if compress && s.len() > 20 && lzf_encoding(s, out) {
        return;
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// What went wrong while reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The data ends before what is being read.
    UnexpectedEnd,
    /// A first byte `10xxxxxx` other than 0x80 and 0x81.
    BadLength(u8),
    /// A special encoding where a plain length was expected.
    UnexpectedEncoding(u8),
    /// A special string encoding Redis does not know.
    UnknownEncoding(u8),
    /// An LZF blob that does not decompress to its declared length.
    Lzf(lzf::LzfError),
}

/// A read failure and the offset (from the start of the reader's data) where the item
/// that failed begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub offset: usize,
    pub kind: ErrorKind,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::UnexpectedEnd => write!(f, "unexpected end of data")?,
            ErrorKind::BadLength(b) => write!(f, "unknown length encoding {b}")?,
            ErrorKind::UnexpectedEncoding(e) => {
                write!(f, "encoded value (type {e}) where a length was expected")?
            }
            ErrorKind::UnknownEncoding(e) => write!(f, "unknown string encoding {e}")?,
            ErrorKind::Lzf(e) => write!(f, "invalid LZF compressed string: {e}")?,
        }
        write!(f, " at byte {}", self.offset)
    }
}

impl std::error::Error for Error {}

/// A length, or the special encoding that stands in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Plain(u64),
    /// The low six bits of a `11xxxxxx` byte (`ENC_INT8` ... `ENC_LZF`).
    Encoded(u8),
}

/// Reads RDB items from a byte slice, every access bounds-checked.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Offset of the next byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub fn is_at_end(&self) -> bool {
        self.remaining() == 0
    }

    fn err(&self, offset: usize, kind: ErrorKind) -> Error {
        Error { offset, kind }
    }

    pub fn u8(&mut self) -> Result<u8, Error> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| self.err(self.pos, ErrorKind::UnexpectedEnd))?;
        self.pos += 1;
        Ok(b)
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: u64) -> Result<&'a [u8], Error> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|&end| end <= self.data.len());
        let slice = end
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| self.err(self.pos, ErrorKind::UnexpectedEnd))?;
        self.pos += slice.len();
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N as u64)?);
        Ok(a)
    }

    /// A length or a special encoding (Redis's `rdbLoadLenByRef`).
    pub fn len_or_encoding(&mut self) -> Result<Length, Error> {
        let start = self.pos;
        let first = self.u8()?;
        match first >> 6 {
            0 => Ok(Length::Plain(u64::from(first & 0x3f))),
            1 => {
                let low = self.u8()?;
                Ok(Length::Plain(
                    (u64::from(first & 0x3f) << 8) | u64::from(low),
                ))
            }
            3 => Ok(Length::Encoded(first & 0x3f)),
            _ => match first {
                LEN_32BIT => Ok(Length::Plain(u64::from(u32::from_be_bytes(self.array()?)))),
                LEN_64BIT => Ok(Length::Plain(u64::from_be_bytes(self.array()?))),
                _ => Err(self.err(start, ErrorKind::BadLength(first))),
            },
        }
    }

    /// A plain length; a special encoding here is an error.
    #[allow(clippy::len_without_is_empty)] // reads a length; it is not the reader's size
    pub fn len(&mut self) -> Result<u64, Error> {
        let start = self.pos;
        match self.len_or_encoding()? {
            Length::Plain(n) => Ok(n),
            Length::Encoded(e) => Err(self.err(start, ErrorKind::UnexpectedEncoding(e))),
        }
    }

    /// A string in any of its encodings, as its bytes (integers as their decimal text,
    /// LZF blobs decompressed).
    pub fn string(&mut self) -> Result<Vec<u8>, Error> {
        let start = self.pos;
        let enc = match self.len_or_encoding()? {
            Length::Plain(n) => return Ok(self.bytes(n)?.to_vec()),
            Length::Encoded(e) => e,
        };
        let v: i64 = match enc {
            ENC_INT8 => i64::from(i8::from_le_bytes(self.array()?)),
            ENC_INT16 => i64::from(i16::from_le_bytes(self.array()?)),
            ENC_INT32 => i64::from(i32::from_le_bytes(self.array()?)),
            ENC_LZF => {
                let clen = self.len()?;
                let len = self.len()?;
                let data = self.bytes(clen)?;
                // Redis's decompressor reports 0 bytes for anything it cannot expand,
                // which an empty declared length accepts.
                if len == 0 {
                    return Ok(Vec::new());
                }
                let len = usize::try_from(len)
                    .map_err(|_| self.err(start, ErrorKind::Lzf(lzf::LzfError::TooLong)))?;
                return lzf::decompress(data, len).map_err(|e| self.err(start, ErrorKind::Lzf(e)));
            }
            other => return Err(self.err(start, ErrorKind::UnknownEncoding(other))),
        };
        Ok(itoa::Buffer::new().format(v).as_bytes().to_vec())
    }
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encoded(s: &[u8], compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_string(&mut out, s, compress);
        out
    }

    fn len_bytes(n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_len(&mut out, n);
        out
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// `SET k <value>` then `DUMP k` on redis-server 7.0.15 (value, payload), in hex. The
    /// payload is type 0 (string), the string, then the footer. About 2,600 such strings
    /// (1,650 of them LZF: tails, long and far matches, literal runs, up to 300 kB) were
    /// compared the same way while writing this; these few stay as a check.
    const REDIS_DUMPS: &[(&str, &str)] = &[
        (
            "616161616161616161616161616161616161616161",
            "00c30615016161e00a000a00fd0cb36807413f68",
        ),
        (
            "616161616262616261626162626261616162626262616262",
            "00c31318066161616162626160012007400c20060162620a007066ef4276b0a878",
        ),
        (
            "62626262626261626262616161616162616262626261616161",
            "00c31419016262400000612004006140006009200a0161610a008579a994eadc6427",
        ),
        (
            "616262626262616262626262616161626261626261626261616162626261",
            "00c3161e016162400000614004026261612007a002400a0162610a00ccbec17b894ef977",
        ),
        (
            "62616261626262626162616261626261616261616162616261626162626262616162",
            "00c3182204626162616220004006200800612005400360012000200b0a00e29ac30ee00d15e0",
        ),
    ];

    #[test]
    fn byte_identical_to_redis() {
        let abc = b"abc".repeat(100);
        let mut cases: Vec<(Vec<u8>, Vec<u8>)> = vec![(
            abc.clone(),
            hex("00c30e412c0361626361e0ff02e115070162630a00d25733cec044e12b"),
        )];
        cases.push((
            [&abc[..], b"\n"].concat(),
            hex("00c30e412d0361626361e0ff02e1160701630a0a009cf5195593b10003"),
        ));
        cases.extend(REDIS_DUMPS.iter().map(|(v, d)| (hex(v), hex(d))));
        for (value, payload) in cases {
            let mut body = vec![0u8];
            write_string(&mut body, &value, true);
            assert_eq!(crate::rdb::dump::wrap(&body), payload);
            let theirs = crate::rdb::dump::unwrap(&payload).unwrap();
            assert_eq!(Reader::new(&theirs[1..]).string(), Ok(value));
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(len_bytes(0), [0]);
        assert_eq!(len_bytes(63), [63]);
        assert_eq!(len_bytes(64), [0x40, 64]);
        assert_eq!(len_bytes(16383), [0x7f, 0xff]);
        assert_eq!(len_bytes(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(
            len_bytes(u64::from(u32::MAX)),
            [0x80, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(len_bytes(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
        for n in [0, 1, 63, 64, 300, 16383, 16384, 1 << 31, 1 << 32, u64::MAX] {
            let b = len_bytes(n);
            let mut r = Reader::new(&b);
            assert_eq!(r.len(), Ok(n));
            assert!(r.is_at_end());
        }
    }

    #[test]
    fn integer_strings() {
        assert_eq!(encoded(b"0", true), [0xc0, 0]);
        assert_eq!(encoded(b"-1", true), [0xc0, 0xff]);
        assert_eq!(encoded(b"127", true), [0xc0, 127]);
        assert_eq!(encoded(b"128", true), [0xc1, 128, 0]);
        assert_eq!(encoded(b"-32768", true), [0xc1, 0, 0x80]);
        assert_eq!(encoded(b"32768", true), [0xc2, 0, 0x80, 0, 0]);
        assert_eq!(encoded(b"-2147483648", true), [0xc2, 0, 0, 0, 0x80]);
        // Out of 32 bits, not canonical, or too long: stored as text.
        assert_eq!(encoded(b"2147483648", true), b"\x0a2147483648");
        assert_eq!(encoded(b"01", true), b"\x0201");
        assert_eq!(encoded(b"+1", true), b"\x02+1");
        assert_eq!(encoded(b"-0", true), b"\x02-0");
        assert_eq!(encoded(b" 1", true), b"\x02 1");
        assert_eq!(encoded(b"", true), b"\x00");
        for s in [
            &b"0"[..],
            b"-1",
            b"128",
            b"-32768",
            b"32768",
            b"-2147483648",
        ] {
            assert_eq!(Reader::new(&encoded(s, true)).string(), Ok(s.to_vec()));
        }
    }

    #[test]
    fn lzf_strings() {
        let s = b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let c = encoded(s, true);
        assert_eq!(c[0], 0xc3);
        assert_eq!(Reader::new(&c).string(), Ok(s.to_vec()));
        // Not compressed: rdbcompression off, 20 bytes or fewer, or saving < 4 bytes.
        assert_eq!(encoded(s, false)[0], s.len() as u8);
        assert_eq!(encoded(&s[..20], true)[0], 20);
        let noise: Vec<u8> = (0..40u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
            .collect();
        assert_eq!(encoded(&noise, true)[0], 40);
    }

    #[test]
    fn reader_errors_carry_offsets() {
        let mut r = Reader::new(b"\x01a\x05ab");
        assert_eq!(r.string(), Ok(b"a".to_vec()));
        assert_eq!(
            r.string(),
            Err(Error {
                offset: 3,
                kind: ErrorKind::UnexpectedEnd
            })
        );
        let e = Reader::new(b"\x82").len().unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadLength(0x82));
        assert_eq!(e.to_string(), "unknown length encoding 130 at byte 0");
        assert_eq!(
            Reader::new(b"\xc0\x01").len().unwrap_err().kind,
            ErrorKind::UnexpectedEncoding(0)
        );
        assert_eq!(
            Reader::new(b"\xc4").string().unwrap_err().kind,
            ErrorKind::UnknownEncoding(4)
        );
        // A 64-bit length far past the data: an error, not an allocation.
        assert_eq!(
            Reader::new(b"\x81\xff\xff\xff\xff\xff\xff\xff\xff")
                .string()
                .unwrap_err()
                .kind,
            ErrorKind::UnexpectedEnd
        );
        assert_eq!(
            Reader::new(b"\xc3\x02\x05\x00a").string().unwrap_err().kind,
            ErrorKind::Lzf(lzf::LzfError::TooShort)
        );
    }

    proptest! {
        #[test]
        fn strings_round_trip(s in proptest::collection::vec(any::<u8>(), 0..400), compress: bool) {
            let b = encoded(&s, compress);
            let mut r = Reader::new(&b);
            prop_assert_eq!(r.string(), Ok(s));
            prop_assert!(r.is_at_end());
        }

        #[test]
        fn repetitive_strings_round_trip(s in proptest::collection::vec(b'a'..b'd', 0..400)) {
            let b = encoded(&s, true);
            prop_assert_eq!(Reader::new(&b).string(), Ok(s));
        }

        #[test]
        fn integers_round_trip(v: i64) {
            let s = v.to_string().into_bytes();
            let b = encoded(&s, true);
            prop_assert_eq!(Reader::new(&b).string(), Ok(s));
        }

        #[test]
        fn lengths_round_trip(n: u64) {
            let b = len_bytes(n);
            prop_assert_eq!(Reader::new(&b).len(), Ok(n));
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut r = Reader::new(&data);
            while !r.is_at_end() {
                let before = r.pos();
                match r.string() {
                    Ok(_) => prop_assert!(r.pos() > before && r.pos() <= data.len()),
                    Err(e) => {
                        prop_assert!(e.offset <= data.len());
                        break;
                    }
                }
            }
            let mut r = Reader::new(&data);
            while r.len().is_ok() {}
        }
    }
}
