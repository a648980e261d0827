//! The `bit` library Redis loads into its Lua: LuaBitOp 1.0.2 (tobit, tohex, bnot, band, bor,
//! bxor, lshift, rshift, arshift, rol, ror, bswap) on 32-bit integers.
//!
//! Every argument is reduced to 32 bits as LuaBitOp does on a double-number Lua: add 2^52+2^51
//! and keep the low 32 bits of the sum's representation. That rounds non-integers to nearest
//! (ties to even), wraps values modulo 2^32, gives 0 for NaN and the infinities, and, for
//! magnitudes past 2^51, whatever low bits survive the addition. Results are signed (-2^31 ..
//! 2^31-1). Arguments go through `lua_tonumber`, so numeric strings are accepted; anything else
//! is "number expected, got <type>" with lauxlib's naming (see `capi`).
#![deny(clippy::indexing_slicing)]

use std::ffi::c_int;

use mlua::ffi;

use super::capi::{self, Failure, State};

/// 2^52 + 2^51: adding it leaves the integer part (rounded) in the low mantissa bits.
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// LuaBitOp's number normalisation: the low 32 bits of `n + 2^52 + 2^51`.
pub fn to_bits(n: f64) -> u32 {
    // Truncation to the low 32 bits is the point.
    (n + MAGIC).to_bits() as u32
}

/// `bit.tobit(n)` as a Rust value.
pub fn tobit(n: f64) -> i32 {
    to_bits(n) as i32
}

/// `bit.tohex(b, n)`: the low `|n|` hex digits of `b` (at most 8), uppercase when `n < 0`.
pub fn tohex(b: u32, n: i32) -> String {
    // -(-2^31) overflows in C and comes out as 8 uppercase digits on Redis; unsigned_abs
    // followed by the clamp gives the same.
    let digits: &[u8; 16] = if n < 0 {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let width = n.unsigned_abs().min(8);
    (0..width)
        .rev()
        .map(|i| {
            let nibble = (b >> (4 * i)) & 15;
            digits.get(nibble as usize).map_or('0', |&d| char::from(d))
        })
        .collect()
}

/// Reads argument `narg` as LuaBitOp's `barg` does.
unsafe fn barg(state: State, narg: c_int) -> Result<u32, Failure> {
    let b = to_bits(ffi::lua_tonumber(state, narg));
    // lua_tonumber gives 0 for a non-number, which normalises to 0: only then can it be one.
    if b == 0 && ffi::lua_isnumber(state, narg) == 0 {
        return Err(capi::type_error(state, narg, "number"));
    }
    Ok(b)
}

/// Pushes a result as the signed number LuaBitOp returns.
unsafe fn ret(state: State, b: u32) -> Result<c_int, Failure> {
    capi::push_number(state, f64::from(b as i32));
    Ok(1)
}

unsafe extern "C-unwind" fn bit_tobit(state: State) -> c_int {
    capi::run(state, |l| ret(l, barg(l, 1)?))
}

unsafe extern "C-unwind" fn bit_bnot(state: State) -> c_int {
    capi::run(state, |l| ret(l, !barg(l, 1)?))
}

/// The variadic operations read argument 1, then the others from the last one down (so a bad
/// argument is reported by its highest index, as LuaBitOp does).
unsafe fn fold(state: State, op: fn(u32, u32) -> u32) -> Result<c_int, Failure> {
    let mut b = barg(state, 1)?;
    let mut i = ffi::lua_gettop(state);
    while i > 1 {
        b = op(b, barg(state, i)?);
        i -= 1;
    }
    ret(state, b)
}

unsafe extern "C-unwind" fn bit_band(state: State) -> c_int {
    capi::run(state, |l| fold(l, |a, b| a & b))
}

unsafe extern "C-unwind" fn bit_bor(state: State) -> c_int {
    capi::run(state, |l| fold(l, |a, b| a | b))
}

unsafe extern "C-unwind" fn bit_bxor(state: State) -> c_int {
    capi::run(state, |l| fold(l, |a, b| a ^ b))
}

/// The shifts and rotations use only the low 5 bits of the count.
unsafe fn shift(state: State, op: fn(u32, u32) -> u32) -> Result<c_int, Failure> {
    let b = barg(state, 1)?;
    let n = barg(state, 2)? & 31;
    ret(state, op(b, n))
}

unsafe extern "C-unwind" fn bit_lshift(state: State) -> c_int {
    capi::run(state, |l| shift(l, |b, n| b << n))
}

unsafe extern "C-unwind" fn bit_rshift(state: State) -> c_int {
    capi::run(state, |l| shift(l, |b, n| b >> n))
}

unsafe extern "C-unwind" fn bit_arshift(state: State) -> c_int {
    capi::run(state, |l| shift(l, |b, n| ((b as i32) >> n) as u32))
}

unsafe extern "C-unwind" fn bit_rol(state: State) -> c_int {
    capi::run(state, |l| shift(l, u32::rotate_left))
}

unsafe extern "C-unwind" fn bit_ror(state: State) -> c_int {
    capi::run(state, |l| shift(l, u32::rotate_right))
}

unsafe extern "C-unwind" fn bit_bswap(state: State) -> c_int {
    capi::run(state, |l| ret(l, barg(l, 1)?.swap_bytes()))
}

unsafe extern "C-unwind" fn bit_tohex(state: State) -> c_int {
    capi::run(state, |l| {
        let b = barg(l, 1)?;
        let n = if ffi::lua_type(l, 2) == ffi::LUA_TNONE {
            8
        } else {
            barg(l, 2)? as i32
        };
        let hex = tohex(b, n);
        capi::push_bytes(l, hex.as_bytes());
        Ok(1)
    })
}

/// Creates the global `bit` table.
pub fn open(lua: &mlua::Lua) -> mlua::Result<()> {
    capi::register(
        lua,
        "bit",
        &[
            ("tobit", bit_tobit),
            ("bnot", bit_bnot),
            ("band", bit_band),
            ("bor", bit_bor),
            ("bxor", bit_bxor),
            ("lshift", bit_lshift),
            ("rshift", bit_rshift),
            ("arshift", bit_arshift),
            ("rol", bit_rol),
            ("ror", bit_ror),
            ("bswap", bit_bswap),
            ("tohex", bit_tohex),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::super::capi::testing::eval;
    use super::*;

    fn lua() -> mlua::Lua {
        let lua = mlua::Lua::new();
        open(&lua).expect("open bit");
        lua
    }

    #[test]
    fn normalisation_of_doubles() {
        assert_eq!(tobit(1.5), 2);
        assert_eq!(tobit(2.5), 2);
        assert_eq!(tobit(-2.5), -2);
        assert_eq!(tobit(2f64.powi(31)), i32::MIN);
        assert_eq!(tobit(2f64.powi(32) + 5.0), 5);
        assert_eq!(tobit(2f64.powi(53) + 3.0), 2);
        assert_eq!(tobit(1e300), -2013235812);
        assert_eq!(tobit(f64::NAN), 0);
        assert_eq!(tobit(f64::INFINITY), 0);
    }

    #[test]
    fn tohex_widths() {
        assert_eq!(tohex(1, 8), "00000001");
        assert_eq!(tohex(0xff, -2), "FF");
        assert_eq!(tohex(0x12345678, -4), "5678");
        assert_eq!(tohex(1, 0), "");
        assert_eq!(tohex(0xabcdef, i32::MIN), "00ABCDEF");
        assert_eq!(tohex(0xabcdef, i32::MAX), "00abcdef");
    }

    /// Expressions and the exact encoded results redis-server 7.0.15 gave for them (see
    /// `capi::testing::SERIALIZER`).
    const CAPTURED: &[(&str, &str)] = include!("bit_captured.in");

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

    #[test]
    fn library_has_redis_fields() {
        let lua = lua();
        let keys: String = lua
            .load("local t={} for k in pairs(bit) do t[#t+1]=k end table.sort(t) return table.concat(t, ',')")
            .eval()
            .expect("keys");
        assert_eq!(
            keys,
            "arshift,band,bnot,bor,bswap,bxor,lshift,rol,ror,rshift,tobit,tohex"
        );
    }
}
