//! Raw Lua C-API plumbing for the C libraries Redis links into its Lua (`bit`, `struct`).
//!
//! Their functions are plain C functions in Redis, and scripts can see it in the errors:
//! lauxlib names the function the way the caller spelled it ("bad argument #1 to 'tobit'",
//! "to 'f'" after `local f = bit.tobit`, "to '?'" under `pcall(bit.tobit, ...)`, "calling
//! 'band' on bad self" after `bit:band()`), prefixes the caller's position ("user_script:1:")
//! and raises a plain string. An mlua callback can do none of this (its errors are userdata and
//! its frame hides the call site), so these libraries register C functions and use lauxlib's own
//! `luaL_argerror` / `luaL_where` to raise. Everything else stays in safe Rust: a function body
//! returns `Result<_, Failure>`, and only once every Rust value is dropped is the error raised
//! (Lua's errors `longjmp`, which must not skip destructors).
//!
//! Arguments are read with the raw API too: mlua's `Value` conversion rounds numbers within
//! `f64::EPSILON` of an integer, which would change what `struct.pack('d', 1e-20)` packs.
#![deny(clippy::indexing_slicing)]

use std::ffi::{c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use mlua::ffi;

/// The state a C function is called with.
pub(crate) type State = *mut ffi::lua_State;

/// Why a library function fails; raised the way lauxlib raises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `luaL_argerror(narg, msg)`: "bad argument #narg to 'name' (msg)".
    Arg(c_int, Vec<u8>),
    /// `luaL_error(msg)`: the caller's position, then the message.
    Error(Vec<u8>),
}

impl Failure {
    pub(crate) fn arg(narg: c_int, msg: impl Into<Vec<u8>>) -> Self {
        Failure::Arg(narg, msg.into())
    }

    pub(crate) fn error(msg: impl Into<Vec<u8>>) -> Self {
        Failure::Error(msg.into())
    }

    /// The message lauxlib would build, without the name and position it adds (for tests).
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        match self {
            Failure::Arg(n, m) => format!("#{n} {}", String::from_utf8_lossy(m)),
            Failure::Error(m) => String::from_utf8_lossy(m).into_owned(),
        }
    }
}

/// Runs a library function's body and raises its failure as a Lua error. A panic (a bug) is
/// caught here too: it must not unwind into Lua's C frames.
///
/// # Safety
/// `state` must be the state Lua called the C function with, and `body` must not keep Rust
/// values with destructors alive across calls that can raise a Lua error.
pub(crate) unsafe fn run(
    state: State,
    body: impl FnOnce(State) -> Result<c_int, Failure>,
) -> c_int {
    let args = ffi::lua_gettop(state);
    let failure = match catch_unwind(AssertUnwindSafe(|| body(state))) {
        Ok(Ok(results)) => return results,
        Ok(Err(failure)) => failure,
        Err(_) => Failure::error("internal error"),
    };
    // Partial results are dropped so that raising has room on the stack even when the body
    // failed for lack of it ("stack overflow (too many results)").
    ffi::lua_settop(state, args);
    raise(state, failure)
}

/// Raises `failure`; never returns. The message is copied onto the Lua stack and the Rust
/// buffer dropped before lauxlib longjmps out of this frame.
unsafe fn raise(state: State, failure: Failure) -> c_int {
    match failure {
        Failure::Arg(narg, msg) => {
            push_bytes(state, &msg);
            drop(msg);
            // The copy on the stack stays alive (and NUL-terminated) while lauxlib formats it.
            let extramsg = ffi::lua_tolstring(state, -1, std::ptr::null_mut());
            ffi::luaL_argerror(state, narg, extramsg)
        }
        Failure::Error(msg) => {
            ffi::luaL_where(state, 1);
            push_bytes(state, &msg);
            drop(msg);
            ffi::lua_concat(state, 2);
            ffi::lua_error(state)
        }
    }
}

/// `luaL_typename`: "no value" for an argument past the last one.
pub(crate) unsafe fn type_name(state: State, narg: c_int) -> String {
    let name = ffi::lua_typename(state, ffi::lua_type(state, narg));
    if name.is_null() {
        return "?".to_owned();
    }
    CStr::from_ptr(name).to_string_lossy().into_owned()
}

/// `luaL_typerror`: "<expected> expected, got <type>".
pub(crate) unsafe fn type_error(state: State, narg: c_int, expected: &str) -> Failure {
    let got = type_name(state, narg);
    Failure::arg(narg, format!("{expected} expected, got {got}"))
}

/// `luaL_checknumber`: a number, or a string Lua converts to one.
pub(crate) unsafe fn check_number(state: State, narg: c_int) -> Result<f64, Failure> {
    let n = ffi::lua_tonumber(state, narg);
    if n == 0.0 && ffi::lua_isnumber(state, narg) == 0 {
        return Err(type_error(state, narg, "number"));
    }
    Ok(n)
}

/// `luaL_checklstring`: a string, or a number (converted in place to its `%.14g` text, as Lua
/// does). The bytes belong to the Lua string in that stack slot, which the caller must leave
/// there while it uses them.
pub(crate) unsafe fn check_bytes<'a>(state: State, narg: c_int) -> Result<&'a [u8], Failure> {
    let mut len = 0usize;
    let ptr = ffi::lua_tolstring(state, narg, &mut len);
    if ptr.is_null() {
        return Err(type_error(state, narg, "string"));
    }
    Ok(std::slice::from_raw_parts(ptr.cast::<u8>(), len))
}

/// Pushes a Lua string holding `bytes`.
pub(crate) unsafe fn push_bytes(state: State, bytes: &[u8]) {
    ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len());
}

/// Pushes a Lua number.
pub(crate) unsafe fn push_number(state: State, n: f64) {
    ffi::lua_pushnumber(state, n);
}

/// Registers C functions as the fields of a new global table, as `luaL_register` does.
pub(crate) fn register(
    lua: &mlua::Lua,
    name: &str,
    funcs: &[(&str, ffi::lua_CFunction)],
) -> mlua::Result<()> {
    let table = lua.create_table()?;
    for (field, func) in funcs {
        // SAFETY: each function follows the C-function protocol (reads its arguments, pushes
        // its results, returns their count) and raises only through `run`.
        let f = unsafe { lua.create_c_function(*func)? };
        table.set(*field, f)?;
    }
    lua.globals().set(name, table)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Runs a Lua expression the way the captured Redis replies were produced, so that the
    //! unit tests compare exactly the same text.

    /// Encodes every result of `expr` (or its error) as one line: `n:<%.17g>`, `s:<hex>`,
    /// `E:<message>` with non-printable bytes as `\xNN`.
    pub(crate) const SERIALIZER: &str = r#"
local function enc(v)
  if type(v) == 'string' then
    return 's:' .. (v:gsub('.', function(c) return string.format('%02x', c:byte()) end))
  elseif type(v) == 'number' then
    return 'n:' .. string.format('%.17g', v)
  end
  return type(v) .. ':' .. tostring(v)
end
local function esc(s)
  return (tostring(s):gsub('[^ -~]', function(c) return string.format('\\x%02x', c:byte()) end))
end
local r = {n = 0}
local function keep(ok, ...) r.ok = ok r.n = select('#', ...) for i = 1, r.n do r[i] = (select(i, ...)) end end
keep(pcall(function() return EXPR end))
if not r.ok then return 'E:' .. esc(r[1]) end
local out = {}
for i = 1, r.n do out[#out + 1] = enc(r[i]) end
return table.concat(out, ' ')
"#;

    /// Runs `expr` in `lua` under the chunk name Redis gives scripts.
    pub(crate) fn eval(lua: &mlua::Lua, expr: &str) -> String {
        let code = SERIALIZER.replace("EXPR", expr);
        match lua.load(&code).set_name("@user_script").eval::<String>() {
            Ok(s) => s,
            Err(e) => format!("RUST ERROR: {e}"),
        }
    }
}
