//! Numbers parsed and printed byte-for-byte the way Redis 7.0 does it.
//!
//! Each function names the Redis routine whose behaviour it reproduces, because Redis
//! applies different rules in different places: `parse_i64` is `string2ll` (every
//! integer argument and INCR on a stored value), `parse_f64` is `string2d` /
//! `getDoubleFromObject` (ZADD scores, ZINCRBY, GEOADD, weights...), `parse_f64_lax` is
//! the bare `strtod` check of `zslParseRange` (ZRANGEBYSCORE / ZCOUNT bounds),
//! `parse_u64` is `string2ull` (stream ID parts), and `incr_by_float` is the long double
//! arithmetic of INCRBYFLOAT / HINCRBYFLOAT (`string2ld` + `ld2string(LD_STR_HUMAN)`).
//! For output, `fmt_double` is `addReplyDouble` ("%.17g") and `fmt_long_double_human`
//! is `addReplyHumanLongDouble` (GEOPOS coordinates). Floating point parsing and
//! printing go through the C library (`strtod`, `snprintf`, and for long double the
//! helper in `ld.c`), as Redis does, so rounding and the accepted syntax (hex floats,
//! "inf", "infinity", ...) are the C library's; the process must stay in the "C"
//! numeric locale, which a Rust program does unless it calls `setlocale`.

#![deny(clippy::indexing_slicing)]

use std::os::raw::{c_char, c_int};

/// Redis' `LONG_STR_SIZE`: `string2ll` rejects inputs this long or longer outright.
const LONG_STR_SIZE: usize = 21;

/// Redis' `MAX_LONG_DOUBLE_CHARS`: long double inputs must be shorter than this, and it
/// is the size of the buffer long doubles are formatted into.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Inputs up to this length are NUL-terminated in a stack buffer before calling into
/// the C library; longer ones (legal for `strtod`, but rare) use a heap copy.
const STACK_NUM_BUF: usize = 128;

/// Redis `string2ll`: a strict base-10 i64.
///
/// Accepted: "0", or an optional '-' followed by a digit 1-9 and more digits, with the
/// value inside i64. Rejected: empty input, "-" alone, a leading '+', leading zeros
/// ("01", "-0", "00"), any space or other byte, overflow in either direction, and any
/// input of 21 bytes or more.
#[inline]
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() >= LONG_STR_SIZE {
        return None;
    }
    if b == b"0" {
        return Some(0);
    }
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v = u64::from(first - b'0');
    for &c in rest {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        // Twenty digits can exceed u64, so every step is checked.
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    if negative {
        if v > i64::MIN.unsigned_abs() {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Redis `string2ull` (stream ID parts): `string2ll`, and when that fails, `strtoull`
/// base 10 on the whole input.
///
/// Like Redis, the input is read as a C string: it ends at the first NUL byte. The
/// `strtoull` fallback brings its own rules: leading white space and a '+' are allowed,
/// leading zeros are fine, and out of range is rejected. A negative number that
/// `string2ll` accepts ("-1") is rejected, but one it refuses goes to `strtoull`, which
/// negates modulo 2^64: "-0" is 0 and " -1" is u64::MAX. (Stream IDs split on the first
/// '-', so that corner cannot be reached through them.)
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    let b = match memchr::memchr(0, b) {
        Some(nul) => b.get(..nul).unwrap_or(b),
        None => b,
    };
    if let Some(v) = parse_i64(b) {
        return u64::try_from(v).ok();
    }
    if b.is_empty() {
        return None;
    }
    with_c_string(b, |text| {
        let mut end: *mut c_char = std::ptr::null_mut();
        // SAFETY: `text` is NUL-terminated and outlives the call; `end` is a valid out pointer.
        let (v, err) = unsafe {
            set_errno(0);
            let v = libc::strtoull(text, &mut end, 10);
            (v, errno())
        };
        // SAFETY: strtoull sets `end` to a position inside `text`, whose NUL is included.
        let at_end = unsafe { *end == 0 };
        if err == libc::EINVAL || err == libc::ERANGE || !at_end {
            return None;
        }
        Some(v)
    })
}

/// Redis `string2d`, which is what `getDoubleFromObject` applies to a string: ZADD and
/// ZINCRBY scores, ZINTERSTORE weights, GEOADD coordinates, and so on.
///
/// `strtod` must consume every byte (so an embedded NUL or trailing space fails), the
/// first byte must not be white space, the value must not be NaN, and an overflow to
/// infinity or an underflow to zero is rejected (a subnormal result is fine). "inf",
/// "-inf", "+inf", "infinity" (any case) are accepted as infinities, and hex floats
/// such as "0x10" are accepted. There is no length limit.
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    match b.first() {
        Some(&c) if !is_c_space(c) => {}
        _ => return None,
    }
    with_c_string(b, |text| {
        let mut end: *mut c_char = std::ptr::null_mut();
        // SAFETY: `text` is NUL-terminated and outlives the call; `end` is a valid out pointer.
        let (v, err) = unsafe {
            set_errno(0);
            let v = libc::strtod(text, &mut end);
            (v, errno())
        };
        let consumed = end as usize - text as usize;
        if consumed != b.len() || v.is_nan() {
            return None;
        }
        if err == libc::ERANGE && (v.is_infinite() || v == 0.0) {
            return None;
        }
        Some(v)
    })
}

/// The check `zslParseRange` applies to a ZRANGEBYSCORE / ZCOUNT / ZREMRANGEBYSCORE
/// bound, after the caller has stripped an optional leading '(' (exclusive bound).
///
/// Much looser than `parse_f64`: the input is read as a C string (it ends at the first
/// NUL byte), `strtod` only has to reach that end, and only NaN is refused. So the
/// empty string is 0, leading white space is skipped, and out-of-range values become
/// ±infinity or 0.
pub fn parse_f64_lax(b: &[u8]) -> Option<f64> {
    let b = match memchr::memchr(0, b) {
        Some(nul) => b.get(..nul).unwrap_or(b),
        None => b,
    };
    if b.is_empty() {
        return Some(0.0);
    }
    with_c_string(b, |text| {
        let mut end: *mut c_char = std::ptr::null_mut();
        // SAFETY: `text` is NUL-terminated and outlives the call; `end` is a valid out pointer.
        let v = unsafe { libc::strtod(text, &mut end) };
        let consumed = end as usize - text as usize;
        if consumed != b.len() || v.is_nan() {
            return None;
        }
        Some(v)
    })
}

/// Appends a double as Redis 7.0's `addReplyDouble` prints it, without any RESP
/// framing: "inf" / "-inf" for infinities, otherwise C's "%.17g" ("-0" for negative
/// zero, "1e+308", "0.10000000000000001"; NaN prints as the C library does, "nan" or
/// "-nan"). Integral values below 2^53 take an integer fast path with identical output.
pub fn fmt_double(d: f64, out: &mut Vec<u8>) {
    if d.is_infinite() {
        out.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // Every integer of magnitude below 2^53 has at most 16 digits, which "%.17g" prints
    // in full and without an exponent or a decimal point.
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if d.trunc() == d && d.abs() < EXACT && !(d == 0.0 && d.is_sign_negative()) {
        fmt_i64(d as i64, out);
        return;
    }
    fmt_double_printf(d, out);
}

/// "%.17g" through the C library's `snprintf`.
fn fmt_double_printf(d: f64, out: &mut Vec<u8>) {
    // "%.17g" is at most 24 bytes ("-1.2345678901234567e-308"); NaN forms are shorter.
    let mut buf = [0u8; 32];
    // SAFETY: the buffer is writable for its full length, the format string is
    // NUL-terminated, and "%.17g" takes exactly one double.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr().cast::<c_char>(),
            buf.len(),
            c"%.17g".as_ptr(),
            d,
        )
    };
    let n = usize::try_from(n).unwrap_or(0).min(buf.len() - 1);
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
}

/// Appends a double widened to long double and printed as Redis 7.0's
/// `addReplyHumanLongDouble` does (GEOPOS and the WITHCOORD coordinates): "%.17Lf" with
/// the trailing zeros after the point (and a bare trailing point) removed, "-0" turned
/// into "0", and "inf" / "-inf" / "nan" for the special values.
pub fn fmt_long_double_human(d: f64, out: &mut Vec<u8>) {
    // The largest double prints as 309 integer digits, a point and 17 decimals.
    let mut buf = [0u8; 512];
    // SAFETY: the buffer is writable for its full length; the C side writes at most
    // `len` bytes (including its NUL) and returns how many it used, or 0.
    let n = unsafe { ferrokv_ld_fmt_human(d, buf.as_mut_ptr().cast::<c_char>(), buf.len()) };
    out.extend_from_slice(buf.get(..n).unwrap_or(buf.as_slice()));
}

/// Appends an i64 in decimal.
pub fn fmt_i64(v: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes())
}

/// Outcome of `incr_by_float`.
#[derive(Debug, PartialEq, Eq)]
pub enum FloatIncr {
    /// The new value, formatted as Redis stores it (long double, "%.17Lf", trailing zeros trimmed).
    Value(Vec<u8>),
    /// The current value or the increment is not a valid float.
    NotFloat,
    /// The result would be NaN or infinite.
    NanOrInf,
}

/// INCRBYFLOAT / HINCRBYFLOAT arithmetic in long double, exactly as Redis does it.
/// `current` is None when the key or field is absent (treated as 0).
///
/// Both inputs follow Redis `string2ld`: shorter than `MAX_LONG_DOUBLE_CHARS` bytes,
/// no leading white space, fully consumed by `strtold`, not NaN, and no overflow to
/// infinity or underflow to zero. "inf" itself parses, so it ends up as `NanOrInf`.
/// The result is Redis' `ld2string(LD_STR_HUMAN)`: "10.6" for 10.5 + 0.1, "3000" for
/// 3.0e3, "0" for -0. INCRBYFLOAT reports either `NotFloat` as "value is not a valid
/// float"; HINCRBYFLOAT first runs `check_incr_float_arg` on the increment, so a
/// `NotFloat` from here then means the stored field ("hash value is not a float").
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> FloatIncr {
    let mut buf = [0u8; MAX_LONG_DOUBLE_CHARS];
    let mut len = 0usize;
    let (cur_ptr, cur_len, has_cur) = match current {
        Some(c) => (c.as_ptr(), c.len(), 1),
        None => (std::ptr::null(), 0, 0),
    };
    // SAFETY: each pointer is valid for the length passed with it (the C side reads
    // `current` only when `has_current` is 1), and the output buffer is writable for
    // `buf.len()` bytes; `len` is a valid out pointer.
    let status = unsafe {
        ferrokv_ld_incr(
            cur_ptr,
            cur_len,
            has_cur,
            incr.as_ptr(),
            incr.len(),
            buf.as_mut_ptr().cast::<c_char>(),
            buf.len(),
            &mut len,
        )
    };
    match status {
        LD_OK => FloatIncr::Value(buf.get(..len).unwrap_or(buf.as_slice()).to_vec()),
        LD_NAN_OR_INF => FloatIncr::NanOrInf,
        // LD_NO_ROOM cannot happen: the largest finite long double prints in under
        // 5,000 bytes. Report it as a parse failure rather than panicking.
        _ => FloatIncr::NotFloat,
    }
}

/// The increment check HINCRBYFLOAT (Redis 7.0.11 and later) makes before it looks the
/// key up: `Err(FloatIncr::NotFloat)` is "value is not a valid float",
/// `Err(FloatIncr::NanOrInf)` is "value is NaN or Infinity". INCRBYFLOAT has no such
/// step; it goes straight to `incr_by_float`.
pub fn check_incr_float_arg(incr: &[u8]) -> Result<(), FloatIncr> {
    match incr_by_float(None, incr) {
        FloatIncr::Value(_) => Ok(()),
        other => Err(other),
    }
}

const LD_OK: c_int = 0;
const LD_NAN_OR_INF: c_int = 2;

extern "C" {
    fn ferrokv_ld_incr(
        current: *const u8,
        current_len: usize,
        has_current: c_int,
        incr: *const u8,
        incr_len: usize,
        out: *mut c_char,
        out_cap: usize,
        out_len: *mut usize,
    ) -> c_int;
    fn ferrokv_ld_fmt_human(d: f64, out: *mut c_char, out_cap: usize) -> usize;
}

/// C `isspace` in the "C" locale.
#[inline]
fn is_c_space(c: u8) -> bool {
    c == b' ' || (b'\t'..=b'\r').contains(&c)
}

/// Runs `f` on a NUL-terminated copy of `b`.
#[inline]
fn with_c_string<R>(b: &[u8], f: impl FnOnce(*const c_char) -> R) -> R {
    if b.len() < STACK_NUM_BUF {
        let mut buf = [0u8; STACK_NUM_BUF];
        // Always there (b.len() < STACK_NUM_BUF), leaving room for the NUL.
        if let Some(dst) = buf.get_mut(..b.len()) {
            dst.copy_from_slice(b);
            return f(buf.as_ptr().cast());
        }
    }
    let mut v = Vec::with_capacity(b.len() + 1);
    v.extend_from_slice(b);
    v.push(0);
    f(v.as_ptr().cast())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn errno_location() -> *mut c_int {
    libc::__errno_location()
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
unsafe fn errno_location() -> *mut c_int {
    libc::__error()
}

#[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
unsafe fn errno_location() -> *mut c_int {
    libc::__errno()
}

/// # Safety
/// Writes the calling thread's errno.
#[inline]
unsafe fn set_errno(v: c_int) {
    *errno_location() = v;
}

/// # Safety
/// Reads the calling thread's errno.
#[inline]
unsafe fn errno() -> c_int {
    *errno_location()
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dbl(d: f64) -> String {
        let mut out = Vec::new();
        fmt_double(d, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn human(d: f64) -> String {
        let mut out = Vec::new();
        fmt_long_double_human(d, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn incr(current: Option<&str>, by: &str) -> FloatIncr {
        incr_by_float(current.map(str::as_bytes), by.as_bytes())
    }

    fn value(s: &str) -> FloatIncr {
        FloatIncr::Value(s.as_bytes().to_vec())
    }

    /// `string2ll` restated from its description: "0", or an optional '-', a digit 1-9,
    /// more digits, fewer than 21 bytes, value within i64.
    fn reference_i64(b: &[u8]) -> Option<i64> {
        if b.is_empty() || b.len() > 20 {
            return None;
        }
        if b == b"0" {
            return Some(0);
        }
        let digits = b.strip_prefix(b"-").unwrap_or(b);
        let well_formed =
            !digits.is_empty() && digits[0] != b'0' && digits.iter().all(|c| c.is_ascii_digit());
        if !well_formed {
            return None;
        }
        let text = std::str::from_utf8(b).ok()?;
        let wide: i128 = text.parse().ok()?;
        i64::try_from(wide).ok()
    }

    #[test]
    fn parse_i64_matches_string2ll() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("1", 1),
            ("-1", -1),
            ("99", 99),
            ("-99", -99),
            ("10", 10),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_i64(s.as_bytes()), Some(v), "{s:?}");
        }
        let bad: &[&[u8]] = &[
            b"",
            b"-",
            b"+1",
            b"+0",
            b"01",
            b"00",
            b"-0",
            b"-01",
            b" 1",
            b"1 ",
            b"1\0",
            b"1a",
            b"0x10",
            b"1.0",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551615",
            b"18446744073709551616",
            b"99999999999999999999",
            b"-99999999999999999999",
            b"100000000000000000000",
        ];
        for &s in bad {
            assert_eq!(parse_i64(s), None, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn parse_u64_matches_string2ull() {
        let ok: &[(&[u8], u64)] = &[
            (b"0", 0),
            (b"5", 5),
            (b"18446744073709551615", u64::MAX),
            (b"9223372036854775808", 1 << 63),
            // Only strtoull accepts these.
            (b"+5", 5),
            (b"+0", 0),
            (b" 5", 5),
            (b"\t5", 5),
            (b"007", 7),
            // The input ends at the first NUL, as a C string would.
            (b"12\0junk", 12),
            // Negatives string2ll refuses are negated modulo 2^64 by strtoull.
            (b"-0", 0),
            (b" -1", u64::MAX),
            (b"-18446744073709551615", 1),
        ];
        for &(s, v) in ok {
            assert_eq!(parse_u64(s), Some(v), "{:?}", String::from_utf8_lossy(s));
        }
        let bad: &[&[u8]] = &[
            b"",
            b"\0",
            b"-1",
            b"5 ",
            b"5x",
            b"0x10",
            b"18446744073709551616",
            b"99999999999999999999999",
            b" ",
            b"+",
        ];
        for &s in bad {
            assert_eq!(parse_u64(s), None, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn parse_f64_matches_string2d() {
        let ok: &[(&str, f64)] = &[
            ("1", 1.0),
            ("1.5", 1.5),
            ("+1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("-0", -0.0),
            ("3.0e3", 3000.0),
            ("0x10", 16.0),
            ("0x1p3", 8.0),
            ("1e308", 1e308),
            ("1.7976931348623157e308", f64::MAX),
            ("inf", f64::INFINITY),
            ("+inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
            ("Inf", f64::INFINITY),
            ("INFINITY", f64::INFINITY),
            // Subnormal results set ERANGE but are kept.
            ("1e-310", 1e-310),
            ("4.9e-324", 5e-324),
            ("0e-400", 0.0),
        ];
        for &(s, v) in ok {
            let got = parse_f64(s.as_bytes()).unwrap_or_else(|| panic!("{s:?} rejected"));
            assert_eq!(got.to_bits(), v.to_bits(), "{s:?}");
        }
        let bad: &[&[u8]] = &[
            b"",
            b" 1",
            b"\t1",
            b"\n1",
            b"1 ",
            b"  ",
            b"1\0",
            b"\x001",
            b"nan",
            b"NaN",
            b"-nan",
            b"nan(123)",
            b"1e400",
            b"-1e400",
            b"1.7976931348623159e308",
            b"1e-400",
            b"2.4703282292062327e-324",
            b"abc",
            b"1_0",
            b"1e",
            b"e1",
            b"-",
            b".",
            b"0x",
            b"infinit",
        ];
        for &s in bad {
            assert_eq!(parse_f64(s), None, "{:?}", String::from_utf8_lossy(s));
        }
        // No length limit, unlike the long double parser.
        let long = format!("1.{}", "0".repeat(100_000));
        assert_eq!(parse_f64(long.as_bytes()), Some(1.0));
    }

    #[test]
    fn parse_f64_lax_matches_zsl_parse_range() {
        let ok: &[(&[u8], f64)] = &[
            (b"", 0.0),
            (b" 1", 1.0),
            (b"\t-2.5", -2.5),
            (b"1e400", f64::INFINITY),
            (b"-1e400", f64::NEG_INFINITY),
            (b"1e-400", 0.0),
            (b"+inf", f64::INFINITY),
            (b"-inf", f64::NEG_INFINITY),
            (b"0x1", 1.0),
            (b"1\0x", 1.0),
            (b"\0", 0.0),
        ];
        for &(s, v) in ok {
            let got = parse_f64_lax(s).unwrap_or_else(|| panic!("{s:?} rejected"));
            assert_eq!(
                got.to_bits(),
                v.to_bits(),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
        for s in [&b"1 "[..], b"nan", b"(1", b"abc", b" ", b"1x"] {
            assert_eq!(parse_f64_lax(s), None, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn fmt_double_matches_add_reply_double() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-3.0, "-3"),
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (1e308, "1e+308"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1e-310, "9.9999999999999694e-311"),
            (5e-324, "4.9406564584124654e-324"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (9_007_199_254_740_992.0, "9007199254740992"),
            (9_007_199_254_740_994.0, "9007199254740994"),
            (
                123_456_789_012_345_680_000_000_000_000.0,
                "1.2345678901234568e+29",
            ),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(d, s) in cases {
            assert_eq!(dbl(d), s, "{d:e}");
        }
        assert!(dbl(f64::NAN).ends_with("nan"));
    }

    #[test]
    fn incr_by_float_matches_redis() {
        // Each expectation was read from redis-server 7.0 (INCRBYFLOAT).
        assert_eq!(incr(Some("10.5"), "0.1"), value("10.6"));
        assert_eq!(incr(None, "3.0e3"), value("3000"));
        assert_eq!(incr(None, "5.0e3"), value("5000"));
        assert_eq!(incr(Some("3.0e3"), "5.0e3"), value("8000"));
        assert_eq!(incr(Some("-0"), "-0"), value("0"));
        assert_eq!(incr(None, "-0"), value("0"));
        assert_eq!(incr(Some("0"), "-1e-20"), value("0"));
        assert_eq!(incr(Some("1.1"), "2.2"), value("3.3"));
        assert_eq!(incr(Some("0.1"), "0.2"), value("0.3"));
        assert_eq!(incr(Some("5"), "-5"), value("0"));
        assert_eq!(incr(Some("2.5"), "2.5"), value("5"));
        assert_eq!(incr(Some("1e20"), "1"), value("100000000000000000000"));
        assert_eq!(incr(Some("1.5"), "1e-17"), value("1.50000000000000001"));
        assert_eq!(incr(Some("1"), "0.000000000000000005"), value("1"));
        assert_eq!(
            incr(Some("1"), "0.000000000000000015"),
            value("1.00000000000000001")
        );
        assert_eq!(incr(None, "0x10"), value("16"));
        assert_eq!(incr(None, "1e-4950"), value("0"));
        assert_eq!(
            incr(Some("123456789012345678901234567890"), "0"),
            value("123456789012345678899921813504")
        );
        // 1e308 * 10 overflows a double but not a long double.
        let big = concat!(
            "99999999999999999998634942458125645476630776324990604869972293366440736374211",
            "64316354271666004182454093987023823041527499719573284024231723411264840323703",
            "75772746974788657214625693651444984012739133113268869496442311034817571120406",
            "763557498021655642425941543468850939783228659030453659621446207643423114002432"
        );
        assert_eq!(incr(Some("1e308"), "9e308"), value(big));

        for (cur, by) in [
            (Some("abc"), "1"),
            (Some("1"), "abc"),
            (None, " 1"),
            (None, "1 "),
            (None, ""),
            (Some(""), "1"),
            (Some("1"), "nan"),
            (None, "1e4933"),
            (None, "1e-5000"),
            (None, "1\0"),
        ] {
            assert_eq!(incr(cur, by), FloatIncr::NotFloat, "{cur:?} + {by:?}");
        }
        for (cur, by) in [
            (None, "inf"),
            (None, "-inf"),
            (Some("1e4932"), "1e4932"),
            (Some("-1e4932"), "-1e4932"),
            (Some("inf"), "-inf"),
        ] {
            assert_eq!(incr(cur, by), FloatIncr::NanOrInf, "{cur:?} + {by:?}");
        }

        // string2ld refuses inputs of MAX_LONG_DOUBLE_CHARS bytes or more.
        let longest = format!("1.{}", "0".repeat(MAX_LONG_DOUBLE_CHARS - 3));
        let too_long = format!("1.{}", "0".repeat(MAX_LONG_DOUBLE_CHARS - 2));
        assert_eq!(incr(None, &longest), value("1"));
        assert_eq!(incr(None, &too_long), FloatIncr::NotFloat);
        assert_eq!(incr(Some(&too_long), "1"), FloatIncr::NotFloat);
    }

    #[test]
    fn incr_float_arg_check() {
        assert_eq!(check_incr_float_arg(b"1.5"), Ok(()));
        assert_eq!(check_incr_float_arg(b"abc"), Err(FloatIncr::NotFloat));
        assert_eq!(check_incr_float_arg(b"inf"), Err(FloatIncr::NanOrInf));
        assert_eq!(check_incr_float_arg(b"-inf"), Err(FloatIncr::NanOrInf));
        assert_eq!(check_incr_float_arg(b"nan"), Err(FloatIncr::NotFloat));
    }

    #[test]
    fn fmt_long_double_human_matches_redis() {
        // From redis-server 7.0: GEOPOS, and INCRBYFLOAT of the exact hex form.
        assert_eq!(human(13.361_389_338_970_184), "13.36138933897018433");
        assert_eq!(human(0.1), "0.10000000000000001");
        assert_eq!(human(-0.5), "-0.5");
        assert_eq!(human(3.0), "3");
        assert_eq!(human(12.3456789), "12.34567889999999935");
        assert_eq!(human(37.8), "37.79999999999999716");
        assert_eq!(human(-0.0), "0");
        assert_eq!(human(1e-30), "0");
        assert_eq!(human(f64::INFINITY), "inf");
        assert_eq!(human(f64::NEG_INFINITY), "-inf");
        assert_eq!(human(f64::NAN), "nan");
        assert_eq!(human(f64::MAX).len(), 309);
    }

    proptest! {
        #[test]
        fn parse_i64_agrees_with_reference(s in "-?[0-9+ -]{0,22}") {
            prop_assert_eq!(parse_i64(s.as_bytes()), reference_i64(s.as_bytes()));
        }

        #[test]
        fn parse_i64_agrees_near_the_limits(s in "-?[1-9][0-9]{16,20}") {
            prop_assert_eq!(parse_i64(s.as_bytes()), reference_i64(s.as_bytes()));
        }

        #[test]
        fn parse_i64_agrees_on_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..24)) {
            prop_assert_eq!(parse_i64(&b), reference_i64(&b));
        }

        #[test]
        fn parse_i64_round_trips(v in any::<i64>()) {
            let mut out = Vec::new();
            fmt_i64(v, &mut out);
            prop_assert_eq!(parse_i64(&out), Some(v));
        }

        #[test]
        fn fmt_double_fast_path_is_printf(bits in any::<u64>(), small in -1e16f64..1e16) {
            for d in [f64::from_bits(bits), small, small.trunc()] {
                let mut fast = Vec::new();
                let mut slow = Vec::new();
                fmt_double(d, &mut fast);
                fmt_double_printf(d, &mut slow);
                if !d.is_infinite() {
                    prop_assert_eq!(&fast, &slow);
                }
                // Whatever is printed reads back as the same double.
                if d.is_finite() {
                    let back = parse_f64(&fast).unwrap();
                    prop_assert_eq!(back.to_bits(), d.to_bits());
                }
            }
        }

        #[test]
        fn float_parsers_never_panic(b in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = parse_f64(&b);
            let _ = parse_f64_lax(&b);
            let _ = parse_u64(&b);
            let _ = incr_by_float(Some(&b), b"1");
            let _ = incr_by_float(None, &b);
        }
    }
}
