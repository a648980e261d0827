//! The `struct` library Redis loads into its Lua: Roberto Ierusalimschy's struct 1.7 with
//! Redis's fixes (`struct.pack`, `struct.unpack`, `struct.size`), byte for byte as Redis 7.0
//! on x86-64 behaves.
//!
//! Formats: `<` `>` endianness (native, little, by default), `![n]` maximum alignment (default
//! 8, a power of 2), `x` a zero byte, `b/B h/H l/L T` 1-, 2-, 8-, 8-byte integers (lowercase
//! signed), `i[n]/I[n]` n-byte integers (default 4, at most 32), `f d` floats, `s` a
//! zero-terminated string, `c[n]` n bytes (`c0`: the whole string when packing, the previously
//! unpacked number as the length when unpacking), spaces ignored. The format ends at its first
//! NUL byte, as a C string would. The quirks of the C code on x86-64 are kept because scripts
//! can see them: doubles become integers through C casts (out-of-range values give
//! 0x8000000000000000, 2^64 and up give 0 for unsigned), integers wider than 8 bytes keep only
//! 8 bytes of value (the rest packs as zeros, and the sign bit unpacked is found by a shift the
//! CPU masks to 6 bits), and pack's "string too short" names the argument after the string.
//! Every read of the data string is bounds-checked.
#![deny(clippy::indexing_slicing)]

use std::ffi::c_int;

use mlua::ffi;

use super::capi::{self, Failure, State};

/// Largest `i`/`I` size.
const MAXINTSIZE: i32 = 32;
/// Default of `!`: the alignment of a double on x86-64.
const MAXALIGN: i32 = 8;

/// C's `(long)d` on x86-64 (`cvttsd2si`): truncation, and the "integer indefinite" value
/// 0x8000000000000000 for NaN and anything out of range.
pub(crate) fn c_double_to_i64(d: f64) -> i64 {
    // 2^63 as a double; -2^63 itself converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    // NaN is in no range.
    if (-LIMIT..LIMIT).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// C's `(unsigned long)d` as gcc compiles it for x86-64: values from 2^63 are converted after
/// subtracting 2^63 and get the top bit back by xor, everything else (NaN and negatives
/// included) goes through `cvttsd2si`. So 2^64 and above give 0, and -1.0 gives 2^64-1.
pub(crate) fn c_double_to_u64(d: f64) -> u64 {
    const TOP: f64 = 9_223_372_036_854_775_808.0;
    if d >= TOP {
        (c_double_to_i64(d - TOP) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(d) as u64
    }
}

/// Endianness and maximum alignment, changed by the control options.
#[derive(Debug, Clone, Copy)]
struct Header {
    little: bool,
    align: usize,
}

impl Header {
    fn new() -> Self {
        // Native order on the platforms Redis runs on (x86-64, aarch64) is little-endian.
        Header {
            little: true,
            align: 1,
        }
    }
}

/// A format string being read option by option.
struct Format<'a> {
    rest: &'a [u8],
}

impl<'a> Format<'a> {
    fn new(fmt: &'a [u8]) -> Self {
        // The C code walks a NUL-terminated string.
        let end = fmt.iter().position(|&b| b == 0).unwrap_or(fmt.len());
        Format {
            rest: fmt.get(..end).unwrap_or_default(),
        }
    }

    fn next_opt(&mut self) -> Option<u8> {
        let (&opt, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(opt)
    }

    /// `getnum`: a decimal count after an option, or `default` when there is none.
    fn number(&mut self, default: i32) -> Result<i32, Failure> {
        let mut digits = 0;
        let mut a: i32 = 0;
        while let Some(&c) = self.rest.get(digits) {
            if !c.is_ascii_digit() {
                break;
            }
            let d = i32::from(c - b'0');
            a = a
                .checked_mul(10)
                .and_then(|a| a.checked_add(d))
                .ok_or_else(|| Failure::error("integral size overflow"))?;
            digits += 1;
        }
        if digits == 0 {
            return Ok(default);
        }
        self.rest = self.rest.get(digits..).unwrap_or_default();
        Ok(a)
    }
}

/// `optsize`: how many bytes an option takes (0 for the control options and `s`).
fn option_size(opt: u8, fmt: &mut Format<'_>) -> Result<usize, Failure> {
    Ok(match opt {
        b'b' | b'B' | b'x' => 1,
        b'h' | b'H' => 2,
        b'l' | b'L' | b'T' | b'd' => 8,
        b'f' => 4,
        b'c' => count(fmt.number(1)?),
        b'i' | b'I' => {
            let size = fmt.number(4)?;
            if size > MAXINTSIZE {
                return Err(Failure::error(format!(
                    "integral size {size} is larger than limit of {MAXINTSIZE}"
                )));
            }
            count(size)
        }
        _ => 0,
    })
}

/// A count from `Format::number` (never negative) as a size.
fn count(n: i32) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// `gettoalign`: padding before an item of `size` bytes at offset `len`. The C formula, with
/// its wrapping arithmetic, also for the sizes that are not powers of 2 (`i3`).
fn padding(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    let mask = size.wrapping_sub(1);
    size.wrapping_sub(len & mask) & mask
}

/// `controloptions`: spaces, endianness, alignment; anything else is an invalid option.
fn control(opt: u8, fmt: &mut Format<'_>, h: &mut Header) -> Result<(), Failure> {
    match opt {
        b' ' => {}
        b'>' => h.little = false,
        b'<' => h.little = true,
        b'!' => {
            let a = fmt.number(MAXALIGN)?;
            if a <= 0 || a & (a - 1) != 0 {
                return Err(Failure::error(format!("alignment {a} is not a power of 2")));
            }
            h.align = count(a);
        }
        _ => {
            let mut msg = b"invalid format option '".to_vec();
            msg.push(opt);
            msg.push(b'\'');
            return Err(Failure::Arg(1, msg));
        }
    }
    Ok(())
}

/// Where `pack` takes its values from (Lua arguments; a vector in tests).
pub(crate) trait PackArgs {
    /// `luaL_checknumber(narg)`.
    fn number(&mut self, narg: c_int) -> Result<f64, Failure>;
    /// `luaL_checklstring(narg)`, copied.
    fn bytes(&mut self, narg: c_int) -> Result<Vec<u8>, Failure>;
}

/// Appends the low `size` bytes of `value` (zeros past the eighth) in the given order.
fn put_integer(out: &mut Vec<u8>, value: u64, little: bool, size: usize) {
    let start = out.len();
    for i in 0..size {
        out.push(if i < 8 { (value >> (8 * i)) as u8 } else { 0 });
    }
    if !little {
        if let Some(field) = out.get_mut(start..) {
            field.reverse();
        }
    }
}

/// `struct.pack(fmt, ...)`: the packed bytes.
pub(crate) fn pack(fmt: &[u8], args: &mut impl PackArgs) -> Result<Vec<u8>, Failure> {
    let mut fmt = Format::new(fmt);
    let mut h = Header::new();
    let mut out = Vec::new();
    let mut arg: c_int = 2;
    let mut total: usize = 0;
    while let Some(opt) = fmt.next_opt() {
        let mut size = option_size(opt, &mut fmt)?;
        let pad = padding(total, &h, opt, size);
        total = total.wrapping_add(pad);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = args.number(arg)?;
                arg += 1;
                let value = if n < 0.0 {
                    c_double_to_i64(n) as u64
                } else {
                    c_double_to_u64(n)
                };
                put_integer(&mut out, value, h.little, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = args.number(arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    f.to_le_bytes()
                } else {
                    f.to_be_bytes()
                });
            }
            b'd' => {
                let d = args.number(arg)?;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    d.to_le_bytes()
                } else {
                    d.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = args.bytes(arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                // The C code checks after moving on to the next argument, and names that one.
                let part = s
                    .get(..size)
                    .ok_or_else(|| Failure::arg(arg, "string too short"))?;
                out.extend_from_slice(part);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => control(opt, &mut fmt, &mut h)?,
        }
        total = total.wrapping_add(size);
    }
    Ok(out)
}

/// Where `unpack` puts its results (the Lua stack; a vector in tests).
pub(crate) trait Results {
    /// `luaL_checkstack(2, "too many results")`.
    fn reserve(&mut self) -> Result<(), Failure>;
    fn number(&mut self, n: f64);
    fn bytes(&mut self, b: &[u8]);
    /// The last result as a number, if Lua sees it as one (`lua_isnumber`/`lua_tonumber`).
    fn last_number(&mut self) -> Option<f64>;
    /// Drops the last result.
    fn pop(&mut self);
}

/// `getinteger`: `size` bytes as a number. Only the low 8 bytes of a wider field count; the
/// sign bit is at `(size*8 - 1) mod 64`, as the C shift on x86-64 finds it.
fn get_integer(field: &[u8], little: bool, signed: bool) -> f64 {
    let fold = |l: u64, &b: &u8| (l << 8) | u64::from(b);
    let l = if little {
        field.iter().rev().fold(0, fold)
    } else {
        field.iter().fold(0, fold)
    };
    if !signed {
        return l as f64;
    }
    let shift = (field.len() as u32).wrapping_mul(8).wrapping_sub(1) & 63;
    let mask = u64::MAX << shift;
    let l = if l & mask != 0 { l | mask } else { l };
    l as i64 as f64
}

/// `struct.unpack(fmt, data, start)`: pushes the values and returns the next position.
/// `start` is the Lua integer given (1 when absent); like the C code it is taken as an
/// unsigned offset, so only 0 is refused and negative values are simply too far.
pub(crate) fn unpack(
    fmt: &[u8],
    data: &[u8],
    start: i64,
    out: &mut impl Results,
) -> Result<i64, Failure> {
    let too_short = || Failure::arg(2, "data string too short");
    let fits = |pos: usize, size: usize| size <= data.len() && pos <= data.len() - size;
    let mut pos = start as u64 as usize;
    if pos == 0 {
        return Err(Failure::arg(3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let mut fmt = Format::new(fmt);
    let mut h = Header::new();
    let mut results = 0usize;
    while let Some(opt) = fmt.next_opt() {
        let mut size = option_size(opt, &mut fmt)?;
        pos = pos.wrapping_add(padding(pos, &h, opt, size));
        if !fits(pos, size) {
            return Err(too_short());
        }
        out.reserve()?;
        let field = data.get(pos..pos + size).ok_or_else(too_short)?;
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                out.number(get_integer(field, h.little, opt.is_ascii_lowercase()));
                results += 1;
            }
            b'x' => {}
            b'f' => {
                let bytes: [u8; 4] = field.try_into().map_err(|_| too_short())?;
                let f = if h.little {
                    f32::from_le_bytes(bytes)
                } else {
                    f32::from_be_bytes(bytes)
                };
                out.number(f64::from(f));
                results += 1;
            }
            b'd' => {
                let bytes: [u8; 8] = field.try_into().map_err(|_| too_short())?;
                out.number(if h.little {
                    f64::from_le_bytes(bytes)
                } else {
                    f64::from_be_bytes(bytes)
                });
                results += 1;
            }
            b'c' => {
                let mut field = field;
                if size == 0 {
                    let previous = if results == 0 {
                        None
                    } else {
                        out.last_number()
                    };
                    let n = previous
                        .ok_or_else(|| Failure::error("format 'c0' needs a previous size"))?;
                    size = usize::try_from(c_double_to_u64(n)).unwrap_or(usize::MAX);
                    out.pop();
                    results -= 1;
                    if !fits(pos, size) {
                        return Err(too_short());
                    }
                    field = data.get(pos..pos + size).ok_or_else(too_short)?;
                }
                out.bytes(field);
                results += 1;
            }
            b's' => {
                let rest = data.get(pos..).unwrap_or_default();
                let len = rest
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or_else(|| Failure::error("unfinished string in data"))?;
                out.bytes(rest.get(..len).unwrap_or_default());
                results += 1;
                size = len + 1;
            }
            _ => control(opt, &mut fmt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos.wrapping_add(1) as i64)
}

/// `struct.size(fmt)`: the packed size of a format without variable-length items. Unknown
/// letters and digits are skipped here (only other bytes are checked as control options).
pub(crate) fn size(fmt: &[u8]) -> Result<i64, Failure> {
    let mut fmt = Format::new(fmt);
    let mut h = Header::new();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next_opt() {
        let size = option_size(opt, &mut fmt)?;
        pos = pos.wrapping_add(padding(pos, &h, opt, size));
        if opt == b's' {
            return Err(Failure::arg(1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(Failure::arg(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            control(opt, &mut fmt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos as i64)
}

/// `pack`'s values, read from the Lua stack.
struct LuaArgs(State);

impl PackArgs for LuaArgs {
    fn number(&mut self, narg: c_int) -> Result<f64, Failure> {
        // SAFETY: self.0 is the state of the running C function.
        unsafe { capi::check_number(self.0, narg) }
    }

    fn bytes(&mut self, narg: c_int) -> Result<Vec<u8>, Failure> {
        // SAFETY: as above; the bytes are copied before anything else touches the stack.
        unsafe { capi::check_bytes(self.0, narg).map(<[u8]>::to_vec) }
    }
}

/// `unpack`'s results, pushed on the Lua stack above the arguments.
struct LuaResults {
    state: State,
    pushed: c_int,
}

impl Results for LuaResults {
    fn reserve(&mut self) -> Result<(), Failure> {
        // SAFETY: self.state is the state of the running C function.
        if unsafe { ffi::lua_checkstack(self.state, 2) } == 0 {
            return Err(Failure::error("stack overflow (too many results)"));
        }
        Ok(())
    }

    fn number(&mut self, n: f64) {
        // SAFETY: room was reserved for this result.
        unsafe { capi::push_number(self.state, n) };
        self.pushed += 1;
    }

    fn bytes(&mut self, b: &[u8]) {
        // SAFETY: room was reserved for this result.
        unsafe { capi::push_bytes(self.state, b) };
        self.pushed += 1;
    }

    fn last_number(&mut self) -> Option<f64> {
        // SAFETY: only called when a result is on the top of the stack.
        unsafe {
            (ffi::lua_isnumber(self.state, -1) != 0).then(|| ffi::lua_tonumber(self.state, -1))
        }
    }

    fn pop(&mut self) {
        // SAFETY: only called when a result is on the top of the stack.
        unsafe { ffi::lua_settop(self.state, -2) };
        self.pushed -= 1;
    }
}

/// `luaL_optinteger(narg, 1)`: C's `(ptrdiff_t)` cast of the number.
unsafe fn opt_integer(state: State, narg: c_int) -> Result<i64, Failure> {
    if ffi::lua_type(state, narg) <= ffi::LUA_TNIL {
        return Ok(1);
    }
    if ffi::lua_isnumber(state, narg) == 0 {
        return Err(capi::type_error(state, narg, "number"));
    }
    Ok(c_double_to_i64(ffi::lua_tonumber(state, narg)))
}

unsafe extern "C-unwind" fn struct_pack(state: State) -> c_int {
    capi::run(state, |l| {
        let fmt = capi::check_bytes(l, 1)?;
        // The C code pushes a marker before its buffer, so an argument missing right after the
        // last one reads as nil ("number expected, got nil"), not "no value".
        ffi::lua_pushnil(l);
        let packed = pack(fmt, &mut LuaArgs(l))?;
        capi::push_bytes(l, &packed);
        Ok(1)
    })
}

unsafe extern "C-unwind" fn struct_unpack(state: State) -> c_int {
    capi::run(state, |l| {
        let fmt = capi::check_bytes(l, 1)?;
        let data = capi::check_bytes(l, 2)?;
        let start = opt_integer(l, 3)?;
        let mut results = LuaResults {
            state: l,
            pushed: 0,
        };
        let next = unpack(fmt, data, start, &mut results)?;
        capi::push_number(l, next as f64);
        Ok(results.pushed + 1)
    })
}

unsafe extern "C-unwind" fn struct_size(state: State) -> c_int {
    capi::run(state, |l| {
        let fmt = capi::check_bytes(l, 1)?;
        let n = size(fmt)?;
        capi::push_number(l, n as f64);
        Ok(1)
    })
}

/// Creates the global `struct` table.
pub fn open(lua: &mlua::Lua) -> mlua::Result<()> {
    capi::register(
        lua,
        "struct",
        &[
            ("pack", struct_pack),
            ("unpack", struct_unpack),
            ("size", struct_size),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::super::capi::testing::eval;
    use super::*;
    use proptest::prelude::*;

    fn lua() -> mlua::Lua {
        let lua = mlua::Lua::new();
        open(&lua).expect("open struct");
        lua
    }

    /// Values for `pack` without Lua.
    struct Args(Vec<ArgValue>);

    #[derive(Debug, Clone)]
    enum ArgValue {
        Num(f64),
        Str(Vec<u8>),
    }

    impl PackArgs for Args {
        fn number(&mut self, narg: c_int) -> Result<f64, Failure> {
            match self.0.get(usize::try_from(narg - 2).unwrap_or(usize::MAX)) {
                Some(ArgValue::Num(n)) => Ok(*n),
                _ => Err(Failure::arg(narg, "number expected")),
            }
        }

        fn bytes(&mut self, narg: c_int) -> Result<Vec<u8>, Failure> {
            match self.0.get(usize::try_from(narg - 2).unwrap_or(usize::MAX)) {
                Some(ArgValue::Str(s)) => Ok(s.clone()),
                _ => Err(Failure::arg(narg, "string expected")),
            }
        }
    }

    /// Results of `unpack` without Lua (strings are never numbers here).
    #[derive(Default)]
    struct Out(Vec<ArgValue>);

    impl Results for Out {
        fn reserve(&mut self) -> Result<(), Failure> {
            Ok(())
        }
        fn number(&mut self, n: f64) {
            self.0.push(ArgValue::Num(n));
        }
        fn bytes(&mut self, b: &[u8]) {
            self.0.push(ArgValue::Str(b.to_vec()));
        }
        fn last_number(&mut self) -> Option<f64> {
            match self.0.last() {
                Some(ArgValue::Num(n)) => Some(*n),
                _ => None,
            }
        }
        fn pop(&mut self) {
            self.0.pop();
        }
    }

    #[test]
    fn c_casts_as_on_x86_64() {
        assert_eq!(c_double_to_i64(-1.9), -1);
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(-1e300), i64::MIN);
        assert_eq!(c_double_to_u64(2f64.powi(64)), 0);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(2f64.powi(63)), 1 << 63);
        assert_eq!(c_double_to_u64(f64::NAN), 1 << 63);
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(-0.5), 0);
    }

    #[test]
    fn core_errors() {
        let mut none = Args(vec![]);
        let err = |r: Result<Vec<u8>, Failure>| r.map_err(|e| e.text()).unwrap_err();
        assert_eq!(
            err(pack(b"i33", &mut none)),
            "integral size 33 is larger than limit of 32"
        );
        assert_eq!(err(pack(b"Q", &mut none)), "#1 invalid format option 'Q'");
        assert_eq!(
            err(pack(b"!6", &mut none)),
            "alignment 6 is not a power of 2"
        );
        assert_eq!(
            err(pack(b"c2147483648", &mut none)),
            "integral size overflow"
        );
        let mut short = Args(vec![ArgValue::Str(b"ab".to_vec())]);
        assert_eq!(err(pack(b"c3", &mut short)), "#3 string too short");
        let mut out = Out::default();
        assert_eq!(
            unpack(b"i", b"abc", 1, &mut out).unwrap_err().text(),
            "#2 data string too short"
        );
        assert_eq!(
            unpack(b"i", b"abcd", 0, &mut out).unwrap_err().text(),
            "#3 offset must be 1 or greater"
        );
        assert_eq!(
            unpack(b"s", b"ab", 1, &mut out).unwrap_err().text(),
            "unfinished string in data"
        );
        assert_eq!(
            unpack(b"c0", b"ab", 1, &mut out).unwrap_err().text(),
            "format 'c0' needs a previous size"
        );
        assert_eq!(
            size(b"s").unwrap_err().text(),
            "#1 option 's' has no fixed size"
        );
        assert_eq!(size(b"!8bd"), Ok(16));
    }

    /// Expressions and the exact encoded results redis-server 7.0.15 gave for them (see
    /// `capi::testing::SERIALIZER`).
    const CAPTURED: &[(&str, &str)] = include!("struct_captured.in");

    #[test]
    fn matches_redis() {
        let lua = lua();
        let mut bad = Vec::new();
        for (expr, want) in CAPTURED {
            let got = eval(&lua, expr);
            if got != *want {
                bad.push(format!("{expr}\n  got  {got}\n  want {want}"));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    /// One packable item: its format and a value that survives the round trip.
    fn item() -> impl Strategy<Value = (String, ArgValue)> {
        prop_oneof![
            any::<i8>().prop_map(|v| ("b".to_owned(), ArgValue::Num(f64::from(v)))),
            any::<u8>().prop_map(|v| ("B".to_owned(), ArgValue::Num(f64::from(v)))),
            any::<i16>().prop_map(|v| ("h".to_owned(), ArgValue::Num(f64::from(v)))),
            any::<u16>().prop_map(|v| ("H".to_owned(), ArgValue::Num(f64::from(v)))),
            any::<i32>().prop_map(|v| ("l".to_owned(), ArgValue::Num(f64::from(v)))),
            any::<u32>().prop_map(|v| ("T".to_owned(), ArgValue::Num(f64::from(v)))),
            (1usize..=7, any::<i64>()).prop_map(|(n, v)| {
                // Keep the value inside n bytes (signed) so it comes back unchanged.
                let bits = 8 * n as u32;
                let v = (v << (64 - bits)) >> (64 - bits);
                (format!("i{n}"), ArgValue::Num(v as f64))
            }),
            (1usize..=6, any::<u64>()).prop_map(|(n, v)| {
                let v = v >> (64 - 8 * n as u32);
                (format!("I{n}"), ArgValue::Num(v as f64))
            }),
            any::<f32>()
                .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
                .prop_map(|f| ("f".to_owned(), ArgValue::Num(f64::from(f)))),
            any::<f64>()
                .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
                .prop_map(|d| ("d".to_owned(), ArgValue::Num(d))),
            proptest::collection::vec(1u8..=255, 0..8)
                .prop_map(|s| ("s".to_owned(), ArgValue::Str(s))),
            proptest::collection::vec(any::<u8>(), 1..8)
                .prop_map(|s| (format!("c{}", s.len()), ArgValue::Str(s))),
        ]
    }

    fn same(a: &ArgValue, b: &ArgValue) -> bool {
        match (a, b) {
            // Bit equality keeps -0.0 apart from 0.0.
            (ArgValue::Num(x), ArgValue::Num(y)) => {
                x.to_bits() == y.to_bits() || x == y && *x != 0.0
            }
            (ArgValue::Str(x), ArgValue::Str(y)) => x == y,
            _ => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn unpack_never_panics(fmt in proptest::collection::vec(any::<u8>(), 0..24),
                               data in proptest::collection::vec(any::<u8>(), 0..48),
                               start in -3i64..60) {
            let _ = unpack(&fmt, &data, start, &mut Out::default());
            let _ = size(&fmt);
        }

        #[test]
        fn unpack_of_format_like_bytes_never_panics(
            fmt in "[<>!0-9 xbBhHlLTiIfdscz]{0,16}",
            data in proptest::collection::vec(any::<u8>(), 0..64),
            start in 1i64..8,
        ) {
            let _ = unpack(fmt.as_bytes(), &data, start, &mut Out::default());
            let pair = [ArgValue::Num(1.0), ArgValue::Str(data.clone())];
            let mut args = Args(pair.iter().cycle().take(16).cloned().collect());
            let _ = pack(fmt.as_bytes(), &mut args);
            let _ = size(fmt.as_bytes());
        }

        #[test]
        fn pack_unpack_round_trip(items in proptest::collection::vec(item(), 0..12),
                                  big in any::<bool>(), align in 0u32..4) {
            let mut fmt = format!("{}!{}", if big { ">" } else { "<" }, 1u32 << align);
            let mut values = Vec::new();
            for (f, v) in &items {
                fmt.push(' ');
                fmt.push_str(f);
                values.push(v.clone());
            }
            let packed = pack(fmt.as_bytes(), &mut Args(values.clone())).expect("pack");
            let mut out = Out::default();
            let next = unpack(fmt.as_bytes(), &packed, 1, &mut out).expect("unpack");
            prop_assert_eq!(next, packed.len() as i64 + 1);
            prop_assert_eq!(out.0.len(), values.len());
            for (got, want) in out.0.iter().zip(&values) {
                prop_assert!(same(got, want), "{:?} != {:?} in {}", got, want, fmt);
            }
            if !items.iter().any(|(f, _)| f == "s") {
                prop_assert_eq!(size(fmt.as_bytes()), Ok(packed.len() as i64));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The same through Lua: the raw C-API side must never crash or escape as a Rust panic.
        #[test]
        fn lua_unpack_never_panics(fmt in proptest::collection::vec(any::<u8>(), 0..16),
                                   data in proptest::collection::vec(any::<u8>(), 0..32),
                                   start in -2i64..40) {
            let lua = lua();
            let f: mlua::Function = lua
                .load("return function(f, d, p) return pcall(struct.unpack, f, d, p) end")
                .eval()
                .expect("load");
            let fmt = lua.create_string(&fmt).expect("fmt");
            let data = lua.create_string(&data).expect("data");
            let r: mlua::MultiValue = f.call((fmt.clone(), data.clone(), start)).expect("call");
            prop_assert!(r.front().is_some());
            let g: mlua::Function = lua
                .load("return function(f, d) return pcall(struct.pack, f, 1, d, 2, d), pcall(struct.size, f) end")
                .eval()
                .expect("load");
            let _: mlua::MultiValue = g.call((fmt, data)).expect("call");
        }
    }
}
