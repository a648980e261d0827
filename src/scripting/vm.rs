//! One Lua 5.1 state set up as Redis 7.0 sets up its scripting states: the libraries
//! it loads (base without `print`, `dofile`, `loadfile`, `setfenv`, `getfenv`; table,
//! string, math; `cjson`, `cmsgpack`, `bit`, `struct`), and its sandbox.
//!
//! Redis protects tables with a flag of its patched Lua VM. Our Lua is stock 5.1, so the
//! same behaviour comes from proxies: the globals every script sees are an empty table
//! whose metatable reads through to the real globals and refuses every write
//! ("Attempt to modify a readonly table"); reading a global that does not exist is an
//! error ("Script attempted to access nonexistent global variable"). Each library table
//! is reached through a proxy of its own, and `rawset`, `setmetatable` refuse the
//! protected tables, so no script can leave anything behind for the next one. The real
//! globals stay reachable only from here (KEYS and ARGV are set in them for EVAL).
//!
//! The state is created by `mlua` (which builds Lua from source and gives the libraries
//! a safe API); what runs per call (the redis.* functions, conversions, the error
//! handler, the hook) uses the raw C API, because those must raise plain Lua values as
//! errors (tables for `redis.call`), which only the C API can do. Every raw function
//! keeps what it owns outside its own frame (in the run context) before calling anything
//! that may raise, so a Lua error never skips a destructor.

use mlua::ffi;
use std::ffi::{c_char, c_int};

pub type State = *mut ffi::lua_State;

/// Registry keys.
pub const REG_REAL_GLOBALS: &str = "__ferrokv_globals";
const REG_PROTECTED: &str = "__ferrokv_protected";
/// The metatable of the globals proxy (its `__index` is the view scripts read through).
const REG_GLOBALS_MT: &str = "__ferrokv_globals_mt";
/// The error handler given to lua_pcall.
pub const REG_ERR_HANDLER: &str = "__ferrokv_err_handler";

/// A Lua state and what is needed to use it raw.
pub struct Vm {
    lua: mlua::Lua,
    pub l: State,
}

/// Pushes a Rust byte string.
///
/// # Safety
/// `l` is a valid state with room on its stack.
#[inline]
pub unsafe fn push_bytes(l: State, b: &[u8]) {
    ffi::lua_pushlstring(l, b.as_ptr() as *const c_char, b.len());
}

/// The bytes of the string (or number, converted in place) at `idx`, if it is one.
///
/// # Safety
/// `l` is a valid state; the slice lives as long as the value stays on the stack.
#[inline]
pub unsafe fn to_bytes<'a>(l: State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(p as *const u8, len))
    }
}

/// `t[name] = value on top` for the table at `idx`, raw (the value is popped).
///
/// # Safety
/// `l` is valid, a value is on top and `idx` is a table (absolute index).
pub unsafe fn rawset_str(l: State, idx: c_int, name: &str) {
    // A relative index moves when the key is pushed; pseudo-indices do not.
    let idx = if idx < 0 && idx > ffi::LUA_REGISTRYINDEX {
        ffi::lua_gettop(l) + idx + 1
    } else {
        idx
    };
    push_bytes(l, name.as_bytes());
    ffi::lua_insert(l, -2);
    ffi::lua_rawset(l, idx);
}

/// Pushes `registry[name]`.
///
/// # Safety
/// `l` is valid.
pub unsafe fn push_registry(l: State, name: &str) {
    push_bytes(l, name.as_bytes());
    ffi::lua_rawget(l, ffi::LUA_REGISTRYINDEX);
}

/// `where` (the caller's `source:line: ` as luaL_where(1) gives) followed by `msg`,
/// pushed as one string.
///
/// # Safety
/// `l` is valid.
pub unsafe fn push_where_msg(l: State, msg: &[u8]) {
    ffi::luaL_where(l, 1);
    push_bytes(l, msg);
    ffi::lua_concat(l, 2);
}

/// `__newindex` of a protected table, and `rawset`/`setmetatable` on one.
unsafe extern "C-unwind" fn readonly_error(l: State) -> c_int {
    push_where_msg(l, b"Attempt to modify a readonly table");
    ffi::lua_error(l)
}

/// `__index` of the real globals: reading a global that does not exist.
unsafe extern "C-unwind" fn missing_global(l: State) -> c_int {
    if ffi::lua_gettop(l) != 2 {
        push_where_msg(l, b"Wrong number of arguments to luaProtectedTableError");
        ffi::lua_error(l)
    }
    if ffi::lua_isstring(l, 2) == 0 {
        push_where_msg(
            l,
            b"Second argument to luaProtectedTableError must be a string or number",
        );
        ffi::lua_error(l)
    }
    ffi::luaL_where(l, 1);
    push_bytes(
        l,
        b"Script attempted to access nonexistent global variable '",
    );
    ffi::lua_pushvalue(l, 2);
    push_bytes(l, b"'");
    ffi::lua_concat(l, 4);
    ffi::lua_error(l)
}

/// Replaces the protected proxy at `idx` (if it is one) by the table it protects, so the
/// reading functions of the base library (`pairs`, `next`, `ipairs`, `rawget`) see the
/// contents as Redis's read-only tables show them.
unsafe fn unwrap_proxy(l: State, idx: c_int) {
    if ffi::lua_type(l, idx) != ffi::LUA_TTABLE {
        return;
    }
    push_registry(l, REG_PROTECTED);
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget(l, -2);
    if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        ffi::lua_replace(l, idx);
        ffi::lua_pop(l, 1);
    } else {
        ffi::lua_pop(l, 2);
    }
}

/// `pairs`, `next`, `ipairs`, `rawget` over a proxy read the real table (the original
/// function is the upvalue).
unsafe extern "C-unwind" fn through_proxy(l: State) -> c_int {
    if ffi::lua_gettop(l) >= 1 {
        unwrap_proxy(l, 1);
    }
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    let n = ffi::lua_gettop(l) - 1;
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    ffi::lua_gettop(l)
}

/// Whether the table at `idx` is protected.
unsafe fn is_protected(l: State, idx: c_int) -> bool {
    if ffi::lua_type(l, idx) != ffi::LUA_TTABLE {
        return false;
    }
    let idx = if idx < 0 {
        ffi::lua_gettop(l) + idx + 1
    } else {
        idx
    };
    push_registry(l, REG_PROTECTED);
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget(l, -2);
    let yes = ffi::lua_toboolean(l, -1) != 0;
    ffi::lua_pop(l, 2);
    yes
}

/// The error of `rawset` and `setmetatable` on a protected table (raised as Redis's VM
/// raises it there: without a position).
unsafe fn readonly_error_plain(l: State) -> c_int {
    push_bytes(l, b"Attempt to modify a readonly table");
    ffi::lua_error(l)
}

/// `rawset`, refusing protected tables; otherwise the base library's.
unsafe extern "C-unwind" fn guarded_rawset(l: State) -> c_int {
    if is_protected(l, 1) {
        return readonly_error_plain(l);
    }
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    let n = ffi::lua_gettop(l) - 1;
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    ffi::lua_gettop(l)
}

/// Error handler of every script call (Redis's `__redis__err__handler`): turns the error
/// into a table `{err=..., source=..., line=...}`, with the position of the Lua code
/// that raised it (the caller's, when a C function raised it).
unsafe extern "C-unwind" fn error_handler(l: State) -> c_int {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut found =
        ffi::lua_getstack(l, 1, &mut ar) != 0 && ffi::lua_getinfo(l, c"nSl".as_ptr(), &mut ar) != 0;
    if found && !ar.what.is_null() && *ar.what == b'C' as c_char {
        ar = std::mem::zeroed();
        found = ffi::lua_getstack(l, 2, &mut ar) != 0
            && ffi::lua_getinfo(l, c"nSl".as_ptr(), &mut ar) != 0;
    }
    if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
        // {err = 'ERR ' .. tostring(err)}
        ffi::lua_settop(l, 1);
        push_bytes(l, b"ERR ");
        tostring(l, 1);
        ffi::lua_concat(l, 2);
        ffi::lua_createtable(l, 0, 3);
        ffi::lua_insert(l, -2);
        rawset_str(l, 2, "err");
        ffi::lua_replace(l, 1);
    }
    ffi::lua_settop(l, 1);
    if found {
        if !ar.source.is_null() {
            ffi::lua_pushstring(l, ar.source);
            rawset_str(l, 1, "source");
        }
        ffi::lua_pushnumber(l, ar.currentline as ffi::lua_Number);
        rawset_str(l, 1, "line");
    }
    1
}

/// Pushes `tostring(v)` for the value at `idx` (as the base library's tostring).
///
/// # Safety
/// `l` is valid.
pub unsafe fn tostring(l: State, idx: c_int) {
    let idx = if idx < 0 {
        ffi::lua_gettop(l) + idx + 1
    } else {
        idx
    };
    if matches!(ffi::lua_type(l, idx), ffi::LUA_TSTRING | ffi::LUA_TNUMBER) {
        ffi::lua_pushvalue(l, idx);
        return;
    }
    // From the real globals: what scripts see as globals may be a restricted view.
    push_registry(l, REG_REAL_GLOBALS);
    if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        push_bytes(l, b"tostring");
        ffi::lua_rawget(l, -2);
        ffi::lua_remove(l, -2);
    } else {
        ffi::lua_pop(l, 1);
        ffi::lua_getfield(l, ffi::LUA_GLOBALSINDEX, c"tostring".as_ptr());
    }
    if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
        ffi::lua_pop(l, 1);
        push_bytes(l, b"?");
        return;
    }
    ffi::lua_pushvalue(l, idx);
    ffi::lua_call(l, 1, 1);
}

impl Vm {
    /// A new state with Redis's libraries, before the sandbox closes it (`seal`): the
    /// caller adds its `redis` table first.
    pub fn new() -> Result<Vm, String> {
        use mlua::{LuaOptions, StdLib};
        // The debug library is needed for the error handler's positions only; it is
        // removed from the globals below.
        let lua = unsafe {
            mlua::Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        for open in super::LIBRARIES {
            open(&lua).map_err(|e| e.to_string())?;
        }
        let mut l: State = std::ptr::null_mut();
        unsafe {
            lua.exec_raw::<()>((), |s| l = s)
                .map_err(|e| e.to_string())?;
        }
        if l.is_null() {
            return Err("no Lua state".into());
        }
        let vm = Vm { lua, l };
        unsafe {
            let l = vm.l;
            for name in [
                "print", "dofile", "loadfile", "setfenv", "getfenv", "newproxy", "debug", "module",
                "require", "package", "os", "io",
            ] {
                ffi::lua_pushnil(l);
                rawset_str(l, ffi::LUA_GLOBALSINDEX, name);
            }
            push_bytes(l, REG_ERR_HANDLER.as_bytes());
            ffi::lua_pushcfunction(l, error_handler);
            ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
            // Redis keeps its handler as a global too (scripts can see it in _G).
            ffi::lua_pushcfunction(l, error_handler);
            rawset_str(l, ffi::LUA_GLOBALSINDEX, "__redis__err__handler");
            push_bytes(l, REG_PROTECTED.as_bytes());
            ffi::lua_createtable(l, 0, 16);
            ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
            // Redis's math.random and math.randomseed (its own lrand48).
            ffi::lua_getfield(l, ffi::LUA_GLOBALSINDEX, c"math".as_ptr());
            if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
                ffi::lua_pushcfunction(l, math_random);
                rawset_str(l, -2, "random");
                ffi::lua_pushcfunction(l, math_randomseed);
                rawset_str(l, -2, "randomseed");
            }
            ffi::lua_pop(l, 1);
        }
        Ok(vm)
    }

    /// The mlua handle (for the libraries' API and memory accounting).
    pub fn lua(&self) -> &mlua::Lua {
        &self.lua
    }

    /// Closes the sandbox: globals and every table in them become read-only proxies;
    /// the real globals are kept in the registry. After this, the state's global table
    /// (LUA_GLOBALSINDEX, what loaded chunks see) is the protected proxy.
    pub fn seal(&self) {
        unsafe {
            let l = self.l;
            ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
            let real = ffi::lua_gettop(l);
            // rawset guarded.
            ffi::lua_getfield(l, real, c"rawset".as_ptr());
            ffi::lua_pushcclosure(l, guarded_rawset, 1);
            rawset_str(l, real, "rawset");
            // setmetatable guarded.
            ffi::lua_getfield(l, real, c"setmetatable".as_ptr());
            ffi::lua_pushcclosure(l, guarded_rawset_setmt, 1);
            rawset_str(l, real, "setmetatable");
            for name in [c"pairs", c"next", c"ipairs", c"rawget"] {
                ffi::lua_getfield(l, real, name.as_ptr());
                ffi::lua_pushcclosure(l, through_proxy, 1);
                ffi::lua_setfield(l, real, name.as_ptr());
            }
            // Library tables become proxies.
            let mut names: Vec<Vec<u8>> = Vec::new();
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, real) != 0 {
                if ffi::lua_type(l, -1) == ffi::LUA_TTABLE
                    && ffi::lua_type(l, -2) == ffi::LUA_TSTRING
                {
                    if let Some(k) = to_bytes(l, -2) {
                        if k != b"_G" {
                            names.push(k.to_vec());
                        }
                    }
                }
                ffi::lua_pop(l, 1);
            }
            for n in &names {
                push_bytes(l, n);
                ffi::lua_rawget(l, real);
                let t = ffi::lua_gettop(l);
                self.push_proxy(t);
                push_bytes(l, n);
                ffi::lua_insert(l, -2);
                ffi::lua_rawset(l, real);
                ffi::lua_pop(l, 1);
            }
            // The real globals: reading a missing one is an error.
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_pushcfunction(l, missing_global);
            rawset_str(l, -2, "__index");
            ffi::lua_setmetatable(l, real);
            // The proxy scripts see.
            self.push_proxy(real);
            let proxy = ffi::lua_gettop(l);
            push_bytes(l, REG_GLOBALS_MT.as_bytes());
            ffi::lua_getmetatable(l, proxy);
            ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
            ffi::lua_pushvalue(l, proxy);
            rawset_str(l, real, "_G");
            push_bytes(l, REG_REAL_GLOBALS.as_bytes());
            ffi::lua_pushvalue(l, real);
            ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
            ffi::lua_pushvalue(l, proxy);
            ffi::lua_replace(l, ffi::LUA_GLOBALSINDEX);
            ffi::lua_settop(l, real - 1);
        }
    }

    /// Pushes a read-only proxy of the table at absolute index `t` (and records it as
    /// protected).
    unsafe fn push_proxy(&self, t: c_int) {
        let l = self.l;
        ffi::lua_createtable(l, 0, 0);
        let p = ffi::lua_gettop(l);
        ffi::lua_createtable(l, 0, 3);
        let mt = ffi::lua_gettop(l);
        ffi::lua_pushvalue(l, t);
        rawset_str(l, mt, "__index");
        ffi::lua_pushcfunction(l, readonly_error);
        rawset_str(l, mt, "__newindex");
        // getmetatable() gives a read-only view of the metatable, so the protection
        // cannot be taken off through it.
        ffi::lua_createtable(l, 0, 0);
        let view = ffi::lua_gettop(l);
        ffi::lua_createtable(l, 0, 2);
        ffi::lua_pushvalue(l, mt);
        rawset_str(l, -2, "__index");
        ffi::lua_pushcfunction(l, readonly_error);
        rawset_str(l, -2, "__newindex");
        ffi::lua_setmetatable(l, view);
        push_registry(l, REG_PROTECTED);
        ffi::lua_pushvalue(l, view);
        ffi::lua_pushvalue(l, mt);
        ffi::lua_rawset(l, -3);
        ffi::lua_pop(l, 1);
        rawset_str(l, mt, "__metatable");
        ffi::lua_setmetatable(l, p);
        push_registry(l, REG_PROTECTED);
        ffi::lua_pushvalue(l, p);
        ffi::lua_pushvalue(l, t);
        ffi::lua_rawset(l, -3);
        ffi::lua_pop(l, 1);
    }

    /// Makes the table at absolute index `t` refuse new fields and error on missing
    /// ones, as Redis's protected tables do.
    ///
    /// # Safety
    /// `t` is a table on the stack.
    pub unsafe fn protect_table(&self, t: c_int) {
        let l = self.l;
        ffi::lua_createtable(l, 0, 2);
        ffi::lua_pushcfunction(l, missing_global);
        rawset_str(l, -2, "__index");
        ffi::lua_pushcfunction(l, readonly_error);
        rawset_str(l, -2, "__newindex");
        ffi::lua_setmetatable(l, t);
    }

    /// Points what scripts read as globals at `registry[view]`, or back at the real
    /// globals with None (FUNCTION LOAD runs a library with the library API only).
    pub fn set_globals_view(&self, view: Option<&str>) {
        let l = self.l;
        unsafe {
            push_registry(l, REG_GLOBALS_MT);
            if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
                ffi::lua_pop(l, 1);
                return;
            }
            push_registry(l, view.unwrap_or(REG_REAL_GLOBALS));
            rawset_str(l, -2, "__index");
            ffi::lua_pop(l, 1);
        }
    }

    /// Caps the memory the state may allocate (an allocation past it fails in Lua).
    pub fn set_memory_limit(&self, bytes: usize) {
        let _ = self.lua.set_memory_limit(bytes);
    }

    /// Bytes of Lua memory in use.
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

/// `setmetatable`, refusing protected tables.
unsafe extern "C-unwind" fn guarded_rawset_setmt(l: State) -> c_int {
    if is_protected(l, 1) {
        return readonly_error_plain(l);
    }
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    let n = ffi::lua_gettop(l) - 1;
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    ffi::lua_gettop(l)
}

// --- math.random as Redis has it: an lrand48 of its own, in its initial state at start-up ---

thread_local! {
    static RAND48: std::cell::Cell<u64> = const { std::cell::Cell::new(RAND48_INIT) };
}

const RAND48_MAX: i64 = i32::MAX as i64;

/// lrand48's state before any seeding (Redis never seeds it at start-up).
const RAND48_INIT: u64 = 0x1234_ABCD_330E;

/// The next value of Redis's `redisLrand48` (the POSIX lrand48 sequence).
pub fn lrand48() -> i32 {
    RAND48.with(|x| {
        let next = (x.get().wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & 0xFFFF_FFFF_FFFF;
        x.set(next);
        (next >> 17) as i32
    })
}

/// `redisSrand48`.
pub fn srand48(seed: i32) {
    RAND48.with(|x| x.set((((seed as u32) as u64) << 16) | 0x330E));
}

unsafe extern "C-unwind" fn math_random(l: State) -> c_int {
    let r = (lrand48() as i64 % RAND48_MAX) as f64 / RAND48_MAX as f64;
    match ffi::lua_gettop(l) {
        0 => ffi::lua_pushnumber(l, r),
        1 => {
            let u = ffi::luaL_checkinteger(l, 1) as i32;
            if u < 1 {
                ffi::luaL_argerror(l, 1, c"interval is empty".as_ptr());
            }
            ffi::lua_pushnumber(l, (r * u as f64).floor() + 1.0);
        }
        2 => {
            let lo = ffi::luaL_checkinteger(l, 1) as i32;
            let up = ffi::luaL_checkinteger(l, 2) as i32;
            if lo > up {
                ffi::luaL_argerror(l, 2, c"interval is empty".as_ptr());
            }
            let span = (up as f64) - (lo as f64) + 1.0;
            ffi::lua_pushnumber(l, (r * span).floor() + lo as f64);
        }
        _ => {
            push_where_msg(l, b"wrong number of arguments");
            ffi::lua_error(l)
        }
    }
    1
}

unsafe extern "C-unwind" fn math_randomseed(l: State) -> c_int {
    srand48(ffi::luaL_checkinteger(l, 1) as i32);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lrand48_is_the_posix_sequence() {
        RAND48.with(|x| x.set(RAND48_INIT));
        // math.random(1000) on a fresh redis-server 7.0.
        let r = (lrand48() as i64 % RAND48_MAX) as f64 / RAND48_MAX as f64;
        assert_eq!((r * 1000.0).floor() as i64 + 1, 397);
        let r = (lrand48() as i64 % RAND48_MAX) as f64 / RAND48_MAX as f64;
        assert_eq!((r * 1000.0).floor() as i64 + 1, 841);
    }
}
