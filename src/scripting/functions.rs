//! FUNCTION's libraries: a Lua state of their own (as in Redis), the libraries loaded
//! into it and the functions they registered.
//!
//! A library is loaded as Redis 7.0 loads it: its metadata line (`#!lua name=lib`) is
//! checked, the code is compiled as `@user_function` (the metadata line stays an empty
//! first line, so line numbers are the user's), and run once with a restricted view of
//! the globals: only `redis` with `register_function`, `log`, `setresp` and the
//! constants. The functions it registers run later with the full runtime globals. The
//! view is switched by pointing the globals proxy's `__index` at one table or the other,
//! so the callbacks, created during the load, see the runtime globals when they run.

use super::run::{push_error_table, ErrorInfo};
use super::script_flags;
use super::vm::{push_bytes, push_registry, rawset_str, to_bytes, State, Vm};
use mlua::ffi;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::ffi::c_int;

/// A registered function.
pub struct Function {
    pub name: String,
    pub library: String,
    pub description: Option<Vec<u8>>,
    pub flags: u32,
    pub func_ref: c_int,
}

/// How FUNCTION RESTORE treats the libraries already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    Flush,
    Append,
    Replace,
}

/// A loaded library.
pub struct Library {
    pub code: Vec<u8>,
    /// Its functions' names, in registration order.
    pub functions: Vec<String>,
}

/// The libraries and their functions.
#[derive(Default)]
pub struct Functions {
    vm: Option<Vm>,
    pub libraries: BTreeMap<String, Library>,
    pub functions: BTreeMap<String, Function>,
}

/// Registry key of the table the globals proxy reads through while a library loads.
const REG_LOAD_API: &str = "__ferrokv_library_api";

/// What `redis.register_function` collects while a library loads.
struct Loading {
    functions: Vec<Function>,
}

thread_local! {
    static LOADING: Cell<*mut Loading> = const { Cell::new(std::ptr::null_mut()) };
    /// When the library being loaded must have finished (FUNCTION LOAD's time limit).
    static LOAD_DEADLINE: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
}

/// How long a library's code may run while it loads (Redis's 500 ms).
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// The hook while a library loads: past the time limit the load fails.
unsafe extern "C-unwind" fn load_hook(l: State, _ar: *mut ffi::lua_Debug) {
    let late = LOAD_DEADLINE
        .with(Cell::get)
        .is_some_and(|d| std::time::Instant::now() > d);
    if late {
        ffi::lua_sethook(l, Some(load_hook), ffi::LUA_MASKLINE, 0);
        push_error_table(l, b"FUNCTION LOAD timeout");
        ffi::lua_error(l);
    }
}

/// A name Redis accepts for a library or a function.
fn valid_name(n: &[u8]) -> bool {
    !n.is_empty() && n.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// Parses the metadata line: the library's name and where the code after it starts.
pub fn parse_metadata(code: &[u8]) -> Result<(String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let len = memchr::memchr(b'\n', code).unwrap_or(code.len());
    let line = code.get(..len).unwrap_or(code);
    let parts = crate::util::split::split_args(line)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| "ERR Invalid library metadata".to_string())?;
    let mut it = parts.iter();
    let engine = it.next().map(Vec::as_slice).unwrap_or_default();
    let engine = engine.get(2..).unwrap_or_default();
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!(
            "ERR Engine '{}' not found",
            String::from_utf8_lossy(engine)
        ));
    }
    let mut name = None;
    for p in it {
        match p.strip_prefix(b"name=") {
            Some(n) => name = Some(n.to_vec()),
            None => {
                return Err(format!(
                    "ERR Invalid metadata value given: {}",
                    String::from_utf8_lossy(p)
                ))
            }
        }
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".into());
    };
    if !valid_name(&name) {
        return Err(format!("ERR {BAD_NAME}"));
    }
    Ok((String::from_utf8_lossy(&name).into_owned(), len))
}

impl Functions {
    /// The flags of a function, if it exists.
    pub fn function_flags(&self, name: &[u8]) -> Option<u32> {
        let name = std::str::from_utf8(name).ok()?;
        self.functions.get(name).map(|f| f.flags)
    }

    /// The state functions run in, and a function's registry reference.
    pub fn target(&self, name: &[u8]) -> Option<(State, c_int, u32)> {
        let name = std::str::from_utf8(name).ok()?;
        let f = self.functions.get(name)?;
        Some((self.vm.as_ref()?.l, f.func_ref, f.flags))
    }

    /// Bytes of the libraries and functions bookkeeping (INFO used_memory_functions).
    pub fn overhead_memory(&self) -> usize {
        let libs: usize = self
            .libraries
            .iter()
            .map(|(n, l)| n.len() + l.code.len() + std::mem::size_of::<Library>() + 32)
            .sum();
        let funcs: usize = self
            .functions
            .values()
            .map(|f| {
                f.name.len()
                    + f.description.as_ref().map_or(0, Vec::len)
                    + std::mem::size_of::<Function>()
                    + 32
            })
            .sum();
        libs + funcs
    }

    /// Caps the memory of the functions' state.
    pub fn set_memory_limit(&self, bytes: usize) {
        if let Some(vm) = &self.vm {
            vm.set_memory_limit(bytes);
        }
    }

    /// Bytes used by the functions' Lua state.
    pub fn vm_memory(&self) -> usize {
        self.vm.as_ref().map_or(0, Vm::used_memory)
    }

    fn vm(&mut self) -> Result<&Vm, String> {
        if self.vm.is_none() {
            let vm = Vm::new()?;
            unsafe {
                let l = vm.l;
                // Runtime `redis`.
                ffi::lua_createtable(l, 0, 32);
                super::run::fill_redis_table(l, true);
                rawset_str(l, ffi::LUA_GLOBALSINDEX, "redis");
                vm.seal();
                // The library API: `redis` without call, with register_function.
                ffi::lua_createtable(l, 0, 1);
                let api = ffi::lua_gettop(l);
                ffi::lua_createtable(l, 0, 16);
                let red = ffi::lua_gettop(l);
                super::run::fill_redis_table(l, false);
                ffi::lua_pushcfunction(l, register_function);
                rawset_str(l, red, "register_function");
                vm.protect_table(red);
                rawset_str(l, api, "redis");
                vm.protect_table(api);
                push_bytes(l, REG_LOAD_API.as_bytes());
                ffi::lua_insert(l, -2);
                ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
                ffi::lua_settop(l, api - 1);
            }
            self.vm = Some(vm);
        }
        self.vm.as_ref().ok_or_else(|| "no Lua".to_string())
    }

    /// FUNCTION LOAD: loads (or with `replace`, replaces) the library; its name, or the
    /// error text.
    pub fn load(&mut self, code: &[u8], replace: bool) -> Result<String, String> {
        let (name, meta_len) = parse_metadata(code)?;
        if self.libraries.contains_key(&name) && !replace {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        let vm = self.vm()?;
        let l = vm.l;
        // The metadata line stays as an empty line.
        let body = code.get(meta_len..).unwrap_or_default();
        let mut loading = Loading {
            functions: Vec::new(),
        };
        let res = unsafe { run_library(vm, l, body, &mut loading) };
        if let Err(e) = res {
            unsafe { release(l, &loading.functions) };
            return Err(e);
        }
        if loading.functions.is_empty() {
            return Err("ERR No functions registered".into());
        }
        for f in &loading.functions {
            if let Some(other) = self.functions.get(&f.name) {
                if other.library != name {
                    let e = format!("ERR Function {} already exists", f.name);
                    unsafe { release(l, &loading.functions) };
                    return Err(e);
                }
            }
        }
        self.delete(&name);
        let mut names = Vec::new();
        for mut f in loading.functions {
            f.library = name.clone();
            names.push(f.name.clone());
            self.functions.insert(f.name.clone(), f);
        }
        self.libraries.insert(
            name.clone(),
            Library {
                code: code.to_vec(),
                functions: names,
            },
        );
        Ok(name)
    }

    /// FUNCTION RESTORE: loads the libraries of `payload` (a FUNCTION DUMP) with Redis's
    /// policies: `Flush` replaces everything, `Append` refuses a library that exists,
    /// `Replace` replaces such libraries. Nothing changes when any part fails.
    pub fn restore(&mut self, payload: &[u8], policy: RestorePolicy) -> Result<(), String> {
        // The libraries are loaded into a new state, with the kept ones, and the new
        // state replaces the current one only when everything loaded.
        let mut restored = Functions::default();
        super::dump::for_each_library(payload, |code| restored.load(&code, false).map(|_| ()))
            .map_err(|e| {
                if e.starts_with("ERR ") {
                    e
                } else {
                    format!("ERR {e}")
                }
            })?;
        let mut next = Functions::default();
        if policy != RestorePolicy::Flush {
            for (name, lib) in &self.libraries {
                if restored.libraries.contains_key(name) {
                    if policy == RestorePolicy::Append {
                        return Err(format!("ERR Library {name} already exists"));
                    }
                    continue;
                }
                next.load(&lib.code, false)?;
            }
        }
        for lib in restored.libraries.values() {
            next.load(&lib.code, false)?;
        }
        *self = next;
        Ok(())
    }

    /// FUNCTION DUMP's payload of every library.
    pub fn dump(&self, compress: bool) -> Vec<u8> {
        let codes: Vec<&[u8]> = self.libraries.values().map(|l| l.code.as_slice()).collect();
        super::dump::dump_libraries(&codes, compress)
    }

    /// FUNCTION DELETE: false when there is no such library.
    pub fn delete(&mut self, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(name) else {
            return false;
        };
        let l = self.vm.as_ref().map(|v| v.l);
        for f in lib.functions {
            if let (Some(func), Some(l)) = (self.functions.remove(&f), l) {
                unsafe { ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, func.func_ref) };
            }
        }
        true
    }

    /// FUNCTION FLUSH: no libraries, and a new state.
    pub fn flush(&mut self) {
        self.libraries.clear();
        self.functions.clear();
        self.vm = None;
    }
}

/// Drops the registry references of functions that will not be kept.
unsafe fn release(l: State, fs: &[Function]) {
    for f in fs {
        ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, f.func_ref);
    }
}

/// Compiles and runs a library's code with the library API as globals.
unsafe fn run_library(vm: &Vm, l: State, body: &[u8], loading: &mut Loading) -> Result<(), String> {
    let top = ffi::lua_gettop(l);
    let rc = ffi::luaL_loadbuffer(
        l,
        body.as_ptr() as *const std::ffi::c_char,
        body.len(),
        c"@user_function".as_ptr(),
    );
    if rc != 0 {
        let msg = to_bytes(l, -1).map(<[u8]>::to_vec).unwrap_or_default();
        ffi::lua_settop(l, top);
        return Err(format!(
            "ERR Error compiling function: {}",
            String::from_utf8_lossy(&msg)
        ));
    }
    push_registry(l, super::vm::REG_ERR_HANDLER);
    ffi::lua_insert(l, -2);
    vm.set_globals_view(Some(REG_LOAD_API));
    let prev = LOADING.with(|c| c.replace(loading as *mut Loading));
    LOAD_DEADLINE.with(|d| d.set(Some(std::time::Instant::now() + LOAD_TIMEOUT)));
    ffi::lua_sethook(
        l,
        Some(load_hook),
        ffi::LUA_MASKCOUNT,
        super::run::HOOK_EVERY,
    );
    let rc = ffi::lua_pcall(l, 0, 0, top + 1);
    ffi::lua_sethook(l, None, 0, 0);
    LOAD_DEADLINE.with(|d| d.set(None));
    LOADING.with(|c| c.set(prev));
    vm.set_globals_view(None);
    if rc != 0 {
        let msg = if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
            ErrorInfo::read(l).msg
        } else {
            to_bytes(l, -1).map(<[u8]>::to_vec).unwrap_or_default()
        };
        ffi::lua_settop(l, top);
        return Err(format!(
            "ERR Error registering functions: {}",
            String::from_utf8_lossy(&msg)
        ));
    }
    ffi::lua_settop(l, top);
    Ok(())
}

/// redis.register_function(name, callback) or redis.register_function{function_name=,
/// callback=, flags=, description=}.
unsafe extern "C-unwind" fn register_function(l: State) -> c_int {
    match register(l) {
        Ok(()) => 0,
        Err(msg) => {
            ffi::lua_settop(l, 0);
            push_error_table(l, msg.as_bytes());
            ffi::lua_error(l)
        }
    }
}

unsafe fn register(l: State) -> Result<(), &'static str> {
    let loading = LOADING.with(|c| c.get());
    if loading.is_null() {
        return Err("redis.register_function can only be called on FUNCTION LOAD command");
    }
    let argc = ffi::lua_gettop(l);
    let (mut name, mut flags, mut desc) = (None::<Vec<u8>>, 0u32, None::<Vec<u8>>);
    let mut has_callback = false;
    match argc {
        1 => {
            if ffi::lua_type(l, 1) != ffi::LUA_TTABLE {
                return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
            }
            // Slot 2 receives the callback.
            ffi::lua_settop(l, 1);
            ffi::lua_pushnil(l);
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, 1) != 0 {
                if ffi::lua_type(l, -2) != ffi::LUA_TSTRING {
                    return Err(
                        "named argument key given to redis.register_function is not a string",
                    );
                }
                let key = to_bytes(l, -2).unwrap_or_default();
                match key {
                    b"function_name" => {
                        if ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
                            return Err("function_name argument given to redis.register_function must be a string");
                        }
                        name = to_bytes(l, -1).map(<[u8]>::to_vec);
                        ffi::lua_pop(l, 1);
                    }
                    b"description" => {
                        if ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
                            return Err("description argument given to redis.register_function must be a string");
                        }
                        desc = to_bytes(l, -1).map(<[u8]>::to_vec);
                        ffi::lua_pop(l, 1);
                    }
                    b"callback" => {
                        if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
                            return Err("callback argument given to redis.register_function must be a function");
                        }
                        has_callback = true;
                        ffi::lua_replace(l, 2);
                    }
                    b"flags" => {
                        if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
                            return Err("flags argument to redis.register_function must be a table representing function flags");
                        }
                        let t = ffi::lua_gettop(l);
                        let mut i = 1;
                        loop {
                            ffi::lua_rawgeti(l, t, i);
                            if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
                                ffi::lua_pop(l, 1);
                                break;
                            }
                            if ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
                                return Err("unknown flag given");
                            }
                            match script_flags::parse(to_bytes(l, -1).unwrap_or_default()) {
                                Some(f) => flags |= f,
                                None => return Err("unknown flag given"),
                            }
                            ffi::lua_pop(l, 1);
                            i += 1;
                        }
                        ffi::lua_pop(l, 1);
                    }
                    _ => return Err("unknown argument given to redis.register_function"),
                }
            }
            if !has_callback {
                return Err("redis.register_function must get a callback argument");
            }
        }
        2 => {
            if ffi::lua_type(l, 1) != ffi::LUA_TSTRING {
                return Err("first argument to redis.register_function must be a string");
            }
            if ffi::lua_type(l, 2) != ffi::LUA_TFUNCTION {
                return Err("second argument to redis.register_function must be a function");
            }
            name = to_bytes(l, 1).map(<[u8]>::to_vec);
        }
        _ => return Err("wrong number of arguments to redis.register_function"),
    }
    let Some(name) = name else {
        return Err("redis.register_function must get a function name argument");
    };
    if !valid_name(&name) {
        return Err(BAD_NAME);
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let loading = &mut *loading;
    if loading.functions.iter().any(|f| f.name == name) {
        return Err("Function already exists in the library");
    }
    // The callback is at index 2 in both forms.
    ffi::lua_settop(l, 2);
    let func_ref = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
    loading.functions.push(Function {
        name,
        library: String::new(),
        description: desc,
        flags,
        func_ref,
    });
    Ok(())
}
