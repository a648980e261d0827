//! Lua scripting as Redis 7.0 embeds it: a Lua 5.1 state with Redis's libraries
//! (`cjson`, `cmsgpack`, `bit`, `struct`) and sandbox, the `redis` table, EVAL's script
//! cache and FUNCTION's libraries.
//!
//! - `vm`: one Lua state, its libraries and its sandbox (read-only globals);
//! - `run`: the running call's context, the `redis.*` functions, Lua <-> RESP;
//! - `functions`: FUNCTION's libraries (a second state, as in Redis);
//! - `dump`: FUNCTION DUMP/RESTORE's payload (built on `crate::rdb`);
//! - `ldb`: the Lua debugger (SCRIPT DEBUG);
//! - the commands themselves are in `commands::scripting`.
//!
//! The server keeps one `Scripting` in `Core`. A call (EVAL, FCALL) takes what it needs
//! from it (the raw state, the function's registry reference), then runs with the
//! keyspace and `Core` reachable from the C functions through the run context; what
//! other clients may see while a script runs (SCRIPT KILL, FUNCTION STATS) is in
//! `Scripting::running`.

pub mod bit;
mod capi;
pub mod cjson;
pub mod cmsgpack;
pub mod dump;
pub mod functions;
pub mod ldb;
pub mod run;
pub mod structlib;
pub mod vm;

use mlua::ffi;
use std::collections::HashMap;
use std::ffi::c_int;
use std::time::Instant;
use vm::{push_bytes, rawset_str, Vm};

/// The libraries Redis loads besides Lua's own, each opening its global table.
pub const LIBRARIES: &[fn(&mlua::Lua) -> mlua::Result<()>] =
    &[cjson::open, cmsgpack::open, bit::open, structlib::open];

/// Script flags (the shebang's `flags=`, a function's `flags`).
pub mod script_flags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 4;
    /// An EVAL script without a shebang: Redis's backwards-compatible rules.
    pub const EVAL_COMPAT: u32 = 1 << 5;

    /// (flag, name) as Redis spells them.
    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];

    pub fn parse(name: &[u8]) -> Option<u32> {
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == name)
            .map(|&(f, _)| f)
    }
}

/// REDIS_VERSION_NUM: 0x00MMmmpp.
pub fn redis_version_num() -> u32 {
    let mut parts = crate::config::REDIS_VERSION
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (a << 16) | (b << 8) | c
}

/// How much memory a Lua state may use: maxmemory when it is set, otherwise half of the
/// machine's memory, so that a script allocating without bound fails with Lua's "not
/// enough memory" instead of taking the process down.
pub fn lua_memory_limit(maxmemory: u64) -> usize {
    if maxmemory != 0 {
        return maxmemory as usize;
    }
    static HALF_RAM: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *HALF_RAM.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let (pages, size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && size > 0 {
            (pages as usize).saturating_mul(size as usize) / 2
        } else {
            usize::MAX
        }
    })
}

/// Lower-case hex SHA1 of `s`.
pub fn sha1_hex(s: &[u8]) -> [u8; 40] {
    let digest = sha1_smol::Sha1::from(s).digest().bytes();
    let mut out = [0u8; 40];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in digest.iter().enumerate() {
        if let Some(o) = out.get_mut(i * 2..i * 2 + 2) {
            o[0] = HEX[(b >> 4) as usize];
            o[1] = HEX[(b & 15) as usize];
        }
    }
    out
}

/// Parses an EVAL script's shebang line (`#!lua flags=no-writes,allow-oom`): the flags
/// and how many bytes the line takes (without its newline). A body without one gets
/// `EVAL_COMPAT` and 0.
pub fn parse_shebang(body: &[u8]) -> Result<(u32, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((script_flags::EVAL_COMPAT, 0));
    }
    let len = memchr::memchr(b'\n', body).unwrap_or(body.len());
    let line = body.get(..len).unwrap_or(body);
    let parts = match crate::util::split::split_args(line) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid script shebang".into()),
    };
    let mut it = parts.iter();
    let engine = it.next().map(Vec::as_slice).unwrap_or_default();
    if engine != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(engine)
        ));
    }
    let mut flags = 0;
    for p in it {
        let Some(list) = p.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(p)
            ));
        };
        if list.is_empty() {
            continue;
        }
        for f in list.split(|&c| c == b',') {
            match script_flags::parse(f) {
                Some(bit) => flags |= bit,
                None => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(f)
                    ))
                }
            }
        }
    }
    Ok((flags, len))
}

/// A cached EVAL script.
pub struct Script {
    pub func_ref: c_int,
    pub body: Vec<u8>,
    pub flags: u32,
}

/// EVAL's state: its Lua state and the scripts loaded into it.
pub struct EvalEngine {
    pub vm: Vm,
    pub scripts: HashMap<[u8; 40], Script, foldhash::fast::RandomState>,
    /// Bytes of script bodies (INFO used_memory_scripts_eval).
    pub bodies_bytes: usize,
    calls: u64,
}

/// The `redis` table of a state: `with_call` for the runtime (EVAL and functions when
/// they run); without it, what a library sees while it loads.
///
/// # Safety
/// `l` is valid.
unsafe fn push_redis_table(l: vm::State, with_call: bool) {
    ffi::lua_createtable(l, 0, 32);
    run::fill_redis_table(l, with_call);
}

impl EvalEngine {
    pub fn new() -> Result<EvalEngine, String> {
        let vm = Vm::new()?;
        unsafe {
            push_redis_table(vm.l, true);
            run::fill_eval_only(vm.l);
            rawset_str(vm.l, ffi::LUA_GLOBALSINDEX, "redis");
        }
        vm.seal();
        Ok(EvalEngine {
            vm,
            scripts: HashMap::default(),
            bodies_bytes: 0,
            calls: 0,
        })
    }

    /// Compiles and caches `body` under its SHA1 (nothing when it is there already).
    pub fn load(&mut self, body: &[u8]) -> Result<[u8; 40], String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang) = parse_shebang(body)?;
        let code = body.get(shebang..).unwrap_or_default();
        let l = self.vm.l;
        let func_ref = unsafe {
            let rc = ffi::luaL_loadbuffer(
                l,
                code.as_ptr() as *const std::ffi::c_char,
                code.len(),
                c"@user_script".as_ptr(),
            );
            if rc != 0 {
                let msg = vm::to_bytes(l, -1).map(<[u8]>::to_vec).unwrap_or_default();
                ffi::lua_pop(l, 1);
                return Err(format!(
                    "Error compiling script (new function): {}",
                    String::from_utf8_lossy(&msg)
                ));
            }
            ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX)
        };
        self.bodies_bytes += body.len();
        self.scripts.insert(
            sha,
            Script {
                func_ref,
                body: body.to_vec(),
                flags,
            },
        );
        Ok(sha)
    }

    /// Counts a call and runs a small GC step every 50 (as Redis does after scripts);
    /// a state grown past 64 MB (a script that ran out of memory) is collected whole.
    pub fn after_call(&mut self) {
        self.calls += 1;
        unsafe {
            if self.vm.used_memory() > 64 << 20 {
                ffi::lua_gc(self.vm.l, ffi::LUA_GCCOLLECT, 0);
            } else if self.calls.is_multiple_of(50) {
                ffi::lua_gc(self.vm.l, ffi::LUA_GCSTEP, 1);
            }
        }
    }
}

/// The script running now, as other clients see it (SCRIPT KILL, FUNCTION STATS, BUSY).
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// EVAL's SHA1 or the function's name.
    pub name: String,
    pub is_eval: bool,
    /// The command that runs it (FUNCTION STATS `command`), copied when the script
    /// goes past busy-reply-threshold (the only time another client can ask).
    pub command: Vec<Vec<u8>>,
    pub started: Instant,
    /// A write command ran (SCRIPT KILL answers UNKILLABLE).
    pub wrote: bool,
    /// SCRIPT KILL or FUNCTION KILL asked for it to stop.
    pub killed: bool,
    /// Past busy-reply-threshold: other clients get BUSY.
    pub timed_out: bool,
    /// Where the script's effects begin in the AOF buffer (held back from writes made
    /// while the script is busy).
    pub aof_mark: usize,
}

/// Buffers a script call uses, kept from call to call.
#[derive(Default)]
pub struct Scratch {
    pub out: Vec<u8>,
    pub args: crate::commands::OwnedArgs,
    pub reply: Vec<u8>,
}

/// Scripting state of the server.
#[derive(Default)]
pub struct Scripting {
    pub scratch: Scratch,
    pub eval: Option<EvalEngine>,
    pub functions: functions::Functions,
    pub running: Option<RunInfo>,
    /// The scripts' client (taken out while a script runs).
    pub client: Option<Box<crate::server::client::Client>>,
    /// Forked debugging sessions not reaped yet (`ldb`).
    pub ldb_children: Vec<libc::pid_t>,
}

impl Scripting {
    /// EVAL's engine, created on first use.
    pub fn eval_engine(&mut self) -> Result<&mut EvalEngine, String> {
        if self.eval.is_none() {
            self.eval = Some(EvalEngine::new()?);
        }
        self.eval.as_mut().ok_or_else(|| "no Lua".to_string())
    }

    pub fn wrote(&self) -> bool {
        self.running.as_ref().is_some_and(|r| r.wrote)
    }

    pub fn set_wrote(&mut self) {
        if let Some(r) = self.running.as_mut() {
            r.wrote = true;
        }
    }

    /// SCRIPT FLUSH: a new EVAL state (Redis recreates its Lua state too).
    pub fn flush_eval(&mut self) {
        self.eval = None;
    }

    /// Number of cached EVAL scripts.
    pub fn cached_scripts(&self) -> usize {
        self.eval.as_ref().map_or(0, |e| e.scripts.len())
    }

    /// Bytes used by EVAL's Lua state.
    pub fn eval_vm_memory(&self) -> usize {
        self.eval.as_ref().map_or(0, |e| e.vm.used_memory())
    }

    /// Bytes of cached script bodies and their dictionary.
    pub fn eval_scripts_memory(&self) -> usize {
        self.eval.as_ref().map_or(0, |e| {
            e.bodies_bytes + e.scripts.len() * (std::mem::size_of::<Script>() + 40 + 16)
        })
    }
}

/// Pushes a string field into the table at `t` (for the functions engine).
///
/// # Safety
/// `l` valid, `t` an absolute table index.
pub unsafe fn set_str_field(l: vm::State, t: c_int, name: &str, value: &[u8]) {
    push_bytes(l, value);
    rawset_str(l, t, name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_parse_as_redis() {
        assert_eq!(
            parse_shebang(b"return 1"),
            Ok((script_flags::EVAL_COMPAT, 0))
        );
        assert_eq!(parse_shebang(b"#!lua\nreturn 1"), Ok((0, 5)));
        assert_eq!(
            parse_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1"),
            Ok((script_flags::NO_WRITES | script_flags::ALLOW_OOM, 31))
        );
        assert_eq!(parse_shebang(b"#!lua flags="), Ok((0, 12)));
        assert_eq!(
            parse_shebang(b"#!py\n"),
            Err("Unexpected engine in script shebang: #!py".into())
        );
        assert_eq!(
            parse_shebang(b"#!lua name=x\n"),
            Err("Unknown lua shebang option: name=x".into())
        );
        assert_eq!(
            parse_shebang(b"#!lua flags=bad\n"),
            Err("Unexpected flag in script shebang: bad".into())
        );
    }

    #[test]
    fn sha1_is_lower_hex() {
        assert_eq!(
            &sha1_hex(b"return 1"),
            b"e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
        assert_eq!(redis_version_num(), 0x07000f);
    }
}
