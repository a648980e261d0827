//! Numbers the way Redis parses and prints them (placeholder body).

/// Redis `string2ll`: a strict base-10 i64 (no spaces, no '+', no leading zeros, fits i64).
pub fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Redis `string2d` (strtod semantics; no leading space, no trailing bytes, no NaN).
pub fn parse_f64(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Appends a double as Redis 7.0 prints it in replies ("%.17g", "inf", "-inf").
pub fn fmt_double(d: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{}", d).as_bytes())
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
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> FloatIncr {
    let c = match current {
        Some(c) => match parse_f64(c) {
            Some(v) => v,
            None => return FloatIncr::NotFloat,
        },
        None => 0.0,
    };
    let i = match parse_f64(incr) {
        Some(v) => v,
        None => return FloatIncr::NotFloat,
    };
    let r = c + i;
    if !r.is_finite() {
        return FloatIncr::NanOrInf;
    }
    FloatIncr::Value(format!("{}", r).into_bytes())
}
