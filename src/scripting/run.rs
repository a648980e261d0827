//! Running a script: the context of the running call, the `redis` table's functions,
//! and the conversions between Lua values and RESP, as Redis 7.0 does them.
//!
//! A script's `redis.call` runs its command through `server::call::call_nested`, as the
//! script's own client (address "lua", RESP2 unless `redis.setresp(3)`), so the
//! dispatcher's checks, statistics, MONITOR, keyspace events and propagation are those
//! of any command. The reply bytes are then read back into Lua values (Redis does the
//! same: it parses the reply buffer of its script client).
//!
//! The running call's context (`RunCtx`) is reached from the C functions through a
//! thread-local pointer, set for the duration of the call only. It holds raw pointers to
//! the keyspace and the server state, taken from the EVAL/FCALL handler's own borrows,
//! which the handler does not touch while Lua runs.

use super::vm::{push_bytes, push_registry, rawset_str, to_bytes, State};
use crate::commands::{flags, OwnedArgs, TABLE};
use crate::resp::reply::Reply;
use crate::server::call::NestedRules;
use crate::server::client::Client;
use crate::server::Core;
use crate::store::Store;
use mlua::ffi;
use std::cell::Cell;
use std::ffi::c_int;
use std::time::Instant;

/// The running script call.
pub struct RunCtx {
    pub store: *mut Store,
    pub core: *mut Core,
    /// The script's client.
    pub client: Box<Client>,
    /// Reply of the last `redis.call`, and its arguments (reused).
    pub out: Vec<u8>,
    pub args: OwnedArgs,
    /// The reply to the caller, built at the end of the call.
    pub reply: Vec<u8>,
    pub caller_resp3: bool,
    /// Writes are refused (EVAL_RO, FCALL_RO, `no-writes`).
    pub read_only: bool,
    /// Write commands may run over maxmemory (`allow-oom`).
    pub allow_oom: bool,
    /// Commands executed are propagated to the AOF (redis.set_repl).
    pub repl_aof: bool,
    pub started: Instant,
    /// busy-reply-threshold in ms (0: never busy).
    pub busy_after_ms: u64,
    pub is_eval: bool,
    /// The name reported in errors: the SHA1 for EVAL, the function's name for FCALL.
    pub name: String,
    /// Whether the call ended in an error that was already counted (inner command).
    pub error_counted: bool,
    /// The final reply is an error.
    pub failed: bool,
    /// The EVAL/FCALL command's arguments (valid for the whole call).
    pub command: *const crate::commands::Args<'static>,
}

thread_local! {
    static RUN: Cell<*mut RunCtx> = const { Cell::new(std::ptr::null_mut()) };
}

/// Makes `ctx` the running call until the guard drops.
pub struct Running(*mut RunCtx);

impl Running {
    pub fn enter(ctx: &mut RunCtx) -> Running {
        let prev = RUN.with(|r| r.replace(ctx as *mut RunCtx));
        Running(prev)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUN.with(|r| r.set(self.0));
    }
}

fn current() -> *mut RunCtx {
    RUN.with(|r| r.get())
}

/// Whether a script call is running (a nested EVAL is impossible: EVAL is `noscript`).
pub fn in_script() -> bool {
    !current().is_null()
}

// --- errors as Redis's scripting shapes them ---

/// Pushes Redis's error table for `text` (luaPushErrorBuff): "-CODE msg" keeps its code,
/// a text without a leading '-' gets "ERR"; the message loses trailing CR/LF.
///
/// # Safety
/// `l` is valid.
pub unsafe fn push_error_table(l: State, text: &[u8]) {
    let (code, msg): (&[u8], &[u8]) = match text.strip_prefix(b"-") {
        Some(rest) => match memchr::memchr(b' ', rest) {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (b"ERR", rest),
        },
        None => (b"ERR", text),
    };
    let mut end = msg.len();
    while end > 0 && matches!(msg.get(end - 1), Some(b'\r' | b'\n')) {
        end -= 1;
    }
    let mut start = 0;
    while start < end && matches!(msg.get(start), Some(b'\r' | b'\n')) {
        start += 1;
    }
    let msg = msg.get(start..end).unwrap_or_default();
    ffi::lua_createtable(l, 0, 2);
    push_bytes(l, code);
    push_bytes(l, b" ");
    push_bytes(l, msg);
    ffi::lua_concat(l, 3);
    rawset_str(l, -2, "err");
}

// --- RESP -> Lua (Redis's redisProtocolToLuaType) ---

fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let rest = buf.get(*pos..)?;
    let end = memchr::memchr(b'\r', rest)?;
    let l = rest.get(..end)?;
    *pos += end + 2;
    Some(l)
}

fn int_of(b: &[u8]) -> Option<i64> {
    crate::util::num::parse_i64(b)
}

/// Pushes the reply at `buf[*pos..]` as one Lua value (RESP2 or RESP3 as written).
/// Returns false (with nothing pushed) on malformed input or no stack room.
///
/// # Safety
/// `l` is valid; may raise a Lua memory error (no owned values live in this frame).
pub unsafe fn push_reply(l: State, buf: &[u8], pos: &mut usize) -> bool {
    if ffi::lua_checkstack(l, 5) == 0 {
        return false;
    }
    let Some(&t) = buf.get(*pos) else {
        return false;
    };
    *pos += 1;
    let Some(head) = line(buf, pos) else {
        return false;
    };
    match t {
        b':' => {
            let Some(n) = int_of(head) else { return false };
            ffi::lua_pushnumber(l, n as f64);
        }
        b'$' | b'=' => {
            let Some(n) = int_of(head) else { return false };
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return true;
            }
            let n = n as usize;
            let Some(body) = buf.get(*pos..*pos + n) else {
                return false;
            };
            *pos += n + 2;
            if t == b'$' {
                push_bytes(l, body);
            } else {
                // {verbatim_string = {format = 'txt', string = '...'}}
                let (fmt, s) = (
                    body.get(..3).unwrap_or_default(),
                    body.get(4..).unwrap_or_default(),
                );
                ffi::lua_createtable(l, 0, 1);
                ffi::lua_createtable(l, 0, 2);
                push_bytes(l, fmt);
                rawset_str(l, -2, "format");
                push_bytes(l, s);
                rawset_str(l, -2, "string");
                rawset_str(l, -2, "verbatim_string");
            }
        }
        b'+' => {
            ffi::lua_createtable(l, 0, 1);
            push_bytes(l, head);
            rawset_str(l, -2, "ok");
        }
        b'-' => {
            let mut text = Vec::with_capacity(head.len() + 1);
            text.push(b'-');
            text.extend_from_slice(head);
            push_error_table(l, &text);
            drop(text);
            ffi::lua_pushboolean(l, 1);
            rawset_str(l, -2, "ignore_err_stats_update");
        }
        b'*' | b'~' | b'>' => {
            let Some(n) = int_of(head) else { return false };
            if n < 0 {
                ffi::lua_pushboolean(l, 0);
                return true;
            }
            let n = n as usize;
            if t == b'~' {
                ffi::lua_createtable(l, 0, 1);
                ffi::lua_createtable(l, 0, n.min(1 << 16) as c_int);
                for _ in 0..n {
                    if !push_reply(l, buf, pos) {
                        ffi::lua_pop(l, 2);
                        return false;
                    }
                    // A nil key cannot be stored (raw sets would raise).
                    if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
                        ffi::lua_pop(l, 1);
                        continue;
                    }
                    ffi::lua_pushboolean(l, 1);
                    ffi::lua_rawset(l, -3);
                }
                rawset_str(l, -2, "set");
            } else {
                ffi::lua_createtable(l, n.min(1 << 16) as c_int, 0);
                for i in 0..n {
                    if !push_reply(l, buf, pos) {
                        ffi::lua_pop(l, 1);
                        return false;
                    }
                    ffi::lua_rawseti(l, -2, (i + 1) as _);
                }
            }
        }
        b'%' => {
            let Some(n) = int_of(head) else { return false };
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_createtable(l, 0, n.clamp(0, 1 << 16) as c_int);
            for _ in 0..n.max(0) {
                if !push_reply(l, buf, pos) {
                    ffi::lua_pop(l, 2);
                    return false;
                }
                if !push_reply(l, buf, pos) {
                    ffi::lua_pop(l, 3);
                    return false;
                }
                if ffi::lua_type(l, -2) == ffi::LUA_TNIL {
                    ffi::lua_pop(l, 2);
                    continue;
                }
                ffi::lua_rawset(l, -3);
            }
            rawset_str(l, -2, "map");
        }
        b'_' => ffi::lua_pushnil(l),
        b'#' => ffi::lua_pushboolean(l, c_int::from(head == b"t")),
        b',' => {
            let d = crate::util::num::parse_f64_lax(head).unwrap_or(0.0);
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_pushnumber(l, d);
            rawset_str(l, -2, "double");
        }
        b'(' => {
            ffi::lua_createtable(l, 0, 1);
            push_bytes(l, head);
            rawset_str(l, -2, "big_number");
        }
        b'|' => {
            // An attribute: skipped, the value follows.
            let Some(n) = int_of(head) else { return false };
            for _ in 0..n.max(0) * 2 {
                if !push_reply(l, buf, pos) {
                    return false;
                }
                ffi::lua_pop(l, 1);
            }
            return push_reply(l, buf, pos);
        }
        _ => return false,
    }
    true
}

// --- Lua -> RESP (Redis's luaReplyToRedisReply) ---

/// Writes the Lua value on top of the stack (and pops it) to `r`. `script_resp3` is the
/// script client's protocol (booleans depend on it, as in Redis).
///
/// # Safety
/// `l` is valid, a value is on top; may raise a Lua memory error.
pub unsafe fn write_reply(l: State, r: &mut Reply, script_resp3: bool) {
    write_value(l, r, script_resp3, 0);
}

/// Nesting beyond this is answered as Lua's stack limit (also keeps the native stack
/// bounded for self-referencing tables).
const MAX_REPLY_DEPTH: u32 = 1000;

unsafe fn write_value(l: State, r: &mut Reply, script_resp3: bool, depth: u32) {
    if depth > MAX_REPLY_DEPTH || ffi::lua_checkstack(l, 4) == 0 {
        r.error("ERR reached lua stack limit");
        ffi::lua_pop(l, 1);
        return;
    }
    match ffi::lua_type(l, -1) {
        ffi::LUA_TSTRING => r.bulk(to_bytes(l, -1).unwrap_or_default()),
        ffi::LUA_TBOOLEAN => {
            let b = ffi::lua_toboolean(l, -1) != 0;
            if !script_resp3 {
                if b {
                    r.int(1);
                } else {
                    r.null();
                }
            } else {
                r.boolean(b);
            }
        }
        ffi::LUA_TNUMBER => r.int(ffi::lua_tonumber(l, -1) as i64),
        ffi::LUA_TTABLE => {
            write_table(l, r, script_resp3, depth + 1);
            return;
        }
        _ => r.null(),
    }
    ffi::lua_pop(l, 1);
}

/// Pushes `t[name]` (raw) for the table on top.
unsafe fn field(l: State, name: &str) -> c_int {
    push_bytes(l, name.as_bytes());
    ffi::lua_rawget(l, -2);
    ffi::lua_type(l, -1)
}

unsafe fn write_table(l: State, r: &mut Reply, script_resp3: bool, depth: u32) {
    // {err = ...}
    if field(l, "err") == ffi::LUA_TSTRING {
        ffi::lua_pop(l, 1);
        let e = ErrorInfo::read(l);
        ffi::lua_pop(l, 1);
        let mut text = b"".to_vec();
        text.extend_from_slice(&e.msg);
        r.error_bytes(&text);
        return;
    }
    ffi::lua_pop(l, 1);
    if field(l, "ok") == ffi::LUA_TSTRING {
        let s = to_bytes(l, -1).unwrap_or_default();
        let s: Vec<u8> = s
            .iter()
            .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
            .collect();
        r.buf.push(b'+');
        r.buf.extend_from_slice(&s);
        r.buf.extend_from_slice(b"\r\n");
        ffi::lua_pop(l, 2);
        return;
    }
    ffi::lua_pop(l, 1);
    if field(l, "double") == ffi::LUA_TNUMBER {
        r.double(ffi::lua_tonumber(l, -1));
        ffi::lua_pop(l, 2);
        return;
    }
    ffi::lua_pop(l, 1);
    if field(l, "big_number") == ffi::LUA_TSTRING {
        let s: Vec<u8> = to_bytes(l, -1)
            .unwrap_or_default()
            .iter()
            .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
            .collect();
        if r.resp3 {
            r.buf.push(b'(');
            r.buf.extend_from_slice(&s);
            r.buf.extend_from_slice(b"\r\n");
        } else {
            r.bulk(&s);
        }
        ffi::lua_pop(l, 2);
        return;
    }
    ffi::lua_pop(l, 1);
    if field(l, "verbatim_string") == ffi::LUA_TTABLE {
        if field(l, "format") == ffi::LUA_TSTRING {
            if field(l, "string") == ffi::LUA_TSTRING {
                let fmt = to_bytes(l, -2).unwrap_or_default();
                let s = to_bytes(l, -1).unwrap_or_default();
                let fmt = String::from_utf8_lossy(fmt.get(..3).unwrap_or(fmt)).into_owned();
                r.verbatim(&fmt, s);
                ffi::lua_pop(l, 4);
                return;
            }
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pop(l, 1);
    }
    ffi::lua_pop(l, 1);
    if field(l, "map") == ffi::LUA_TTABLE {
        let mut n = 0;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            n += 1;
            ffi::lua_pop(l, 1);
        }
        r.map(n);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pushvalue(l, -2);
            write_value(l, r, script_resp3, depth);
            write_value(l, r, script_resp3, depth);
        }
        ffi::lua_pop(l, 2);
        return;
    }
    ffi::lua_pop(l, 1);
    if field(l, "set") == ffi::LUA_TTABLE {
        let mut n = 0;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            n += 1;
            ffi::lua_pop(l, 1);
        }
        r.set(n);
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pop(l, 1);
            ffi::lua_pushvalue(l, -1);
            write_value(l, r, script_resp3, depth);
        }
        ffi::lua_pop(l, 2);
        return;
    }
    ffi::lua_pop(l, 1);
    // An array, up to the first nil.
    let mut n = 0;
    loop {
        ffi::lua_rawgeti(l, -1, (n + 1) as _);
        let nil = ffi::lua_type(l, -1) == ffi::LUA_TNIL;
        ffi::lua_pop(l, 1);
        if nil {
            break;
        }
        n += 1;
    }
    r.array(n as usize);
    for i in 1..=n {
        ffi::lua_rawgeti(l, -1, i as _);
        write_value(l, r, script_resp3, depth);
    }
    ffi::lua_pop(l, 1);
}

/// What an error table says (Redis's luaExtractErrorInformation).
pub struct ErrorInfo {
    pub msg: Vec<u8>,
    pub source: Option<Vec<u8>>,
    pub line: Option<Vec<u8>>,
    pub ignore_stats: bool,
}

impl ErrorInfo {
    /// Reads the error table on top of the stack (leaves it there).
    ///
    /// # Safety
    /// `l` is valid and a table is on top.
    pub unsafe fn read(l: State) -> ErrorInfo {
        let get = |name: &str| -> Option<Vec<u8>> {
            field(l, name);
            let v = if ffi::lua_isstring(l, -1) != 0 {
                to_bytes(l, -1).map(<[u8]>::to_vec)
            } else {
                None
            };
            ffi::lua_pop(l, 1);
            v
        };
        let msg = get("err").unwrap_or_default();
        let source = get("source");
        let line = get("line");
        field(l, "ignore_err_stats_update");
        let ignore_stats = ffi::lua_toboolean(l, -1) != 0;
        ffi::lua_pop(l, 1);
        ErrorInfo {
            msg,
            source,
            line,
            ignore_stats,
        }
    }
}

// --- the redis.* functions ---

/// Converts the call's arguments into `run.args`; false (with an error table pushed)
/// when one is neither a string nor a number.
unsafe fn collect_args(l: State, run: &mut RunCtx) -> bool {
    let argc = ffi::lua_gettop(l);
    run.args.clear();
    let mut num = Vec::new();
    for i in 1..=argc {
        match ffi::lua_type(l, i) {
            ffi::LUA_TNUMBER => {
                num.clear();
                crate::util::num::fmt_double(ffi::lua_tonumber(l, i), &mut num);
                run.args.push(&num);
            }
            ffi::LUA_TSTRING => run.args.push(to_bytes(l, i).unwrap_or_default()),
            _ => {
                drop(num);
                ffi::lua_settop(l, 0);
                push_error_table(
                    l,
                    b"Lua redis lib command arguments must be strings or integers",
                );
                return false;
            }
        }
    }
    true
}

/// redis.call / redis.pcall: 1 value pushed; `Err` means an error table was pushed.
unsafe fn call_command(l: State) -> Result<(), ()> {
    let run = current();
    if run.is_null() {
        push_error_table(
            l,
            b"redis.call() can only be called inside a script invocation",
        );
        return Err(());
    }
    let run = &mut *run;
    if ffi::lua_gettop(l) == 0 {
        push_error_table(
            l,
            b"Please specify at least one argument for this redis lib call",
        );
        return Err(());
    }
    if !collect_args(l, run) {
        return Err(());
    }
    if super::ldb::logging() {
        super::ldb::log_command(&run.args.args());
    }
    let writes = run
        .args
        .args()
        .opt(0)
        .and_then(|n| TABLE.get(n))
        .is_some_and(|c| c.is(flags::WRITE));
    let core = &mut *run.core;
    let rules = NestedRules {
        deny_noscript: true,
        deny_writes: run.read_only,
        deny_oom: !run.allow_oom && !core.scripting().wrote(),
    };
    run.out.clear();
    let repl = run.repl_aof;
    if !repl {
        core.set_aof_muted(true);
    }
    let res = crate::server::call::call_nested(
        &mut *run.store,
        core,
        &mut run.client,
        &mut run.out,
        run.args.args(),
        rules,
    );
    if !repl {
        core.set_aof_muted(false);
    }
    match res {
        Err(refused) => {
            let why = refused.to_string();
            if super::ldb::logging() {
                // Redis's own texts for a refused call, as its luaPushError logs them.
                match why.strip_prefix("ERR ") {
                    Some(t) => super::ldb::log_error(t.as_bytes()),
                    None => super::ldb::log_error(format!("-{why}").as_bytes()),
                }
            }
            let mut text = b"-".to_vec();
            text.extend_from_slice(why.as_bytes());
            ffi::lua_settop(l, 0);
            push_error_table(l, &text);
            drop(text);
            Err(())
        }
        Ok(()) => {
            if writes {
                core.scripting_mut().set_wrote();
            }
            ffi::lua_settop(l, 0);
            let mut pos = 0;
            let is_err = run.out.first() == Some(&b'-');
            if !push_reply(l, &run.out, &mut pos) {
                push_error_table(l, b"reached lua stack limit");
                return Err(());
            }
            if super::ldb::logging() {
                if is_err {
                    let line = run.out.split(|&c| c == b'\r').next().unwrap_or_default();
                    super::ldb::log_error(line);
                }
                super::ldb::log_reply(&run.out);
            }
            if is_err {
                Err(())
            } else {
                Ok(())
            }
        }
    }
}

unsafe extern "C-unwind" fn redis_call(l: State) -> c_int {
    match call_command(l) {
        Ok(()) => 1,
        Err(()) => ffi::lua_error(l),
    }
}

unsafe extern "C-unwind" fn redis_pcall(l: State) -> c_int {
    let _ = call_command(l);
    1
}

/// redis.sha1hex(s)
unsafe extern "C-unwind" fn redis_sha1hex(l: State) -> c_int {
    if ffi::lua_gettop(l) != 1 {
        push_error_table(l, b"wrong number of arguments");
        ffi::lua_error(l)
    }
    let s = to_bytes(l, 1).unwrap_or_default();
    let hex = super::sha1_hex(s);
    push_bytes(l, &hex);
    1
}

/// redis.error_reply(s) / redis.status_reply(s)
unsafe fn single_field(l: State, err: bool) -> c_int {
    if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
        push_error_table(l, b"wrong number or type of arguments");
        return 1;
    }
    if err {
        let s = to_bytes(l, 1).unwrap_or_default();
        let mut text = Vec::with_capacity(s.len() + 1);
        if s.first() != Some(&b'-') {
            text.push(b'-');
        }
        text.extend_from_slice(s);
        push_error_table(l, &text);
        return 1;
    }
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushvalue(l, 1);
    rawset_str(l, -2, "ok");
    1
}

unsafe extern "C-unwind" fn redis_error_reply(l: State) -> c_int {
    single_field(l, true)
}

unsafe extern "C-unwind" fn redis_status_reply(l: State) -> c_int {
    single_field(l, false)
}

/// redis.log(level, ...)
unsafe extern "C-unwind" fn redis_log(l: State) -> c_int {
    let argc = ffi::lua_gettop(l);
    if argc < 2 {
        push_error_table(l, b"redis.log() requires two arguments or more.");
        ffi::lua_error(l)
    }
    if ffi::lua_isnumber(l, 1) == 0 {
        push_error_table(l, b"First argument must be a number (log level).");
        ffi::lua_error(l)
    }
    let level = ffi::lua_tonumber(l, 1) as i64;
    if !(0..=3).contains(&level) {
        push_error_table(l, b"Invalid debug level.");
        ffi::lua_error(l)
    }
    let mut msg = String::new();
    for i in 2..=argc {
        if let Some(b) = to_bytes(l, i) {
            if i > 2 {
                msg.push(' ');
            }
            msg.push_str(&String::from_utf8_lossy(b));
        }
    }
    match level {
        0 => log::debug!("{msg}"),
        1 => log::info!("{msg}"),
        2 => log::info!("{msg}"),
        _ => log::warn!("{msg}"),
    }
    0
}

/// redis.setresp(2|3)
unsafe extern "C-unwind" fn redis_setresp(l: State) -> c_int {
    if ffi::lua_gettop(l) != 1 {
        push_error_table(l, b"redis.setresp() requires one argument.");
        ffi::lua_error(l)
    }
    let v = ffi::lua_tonumber(l, 1) as i64;
    if v != 2 && v != 3 {
        push_error_table(l, b"RESP version must be 2 or 3.");
        ffi::lua_error(l)
    }
    let run = current();
    if !run.is_null() {
        (*run).client.resp3 = v == 3;
    }
    0
}

/// redis.set_repl(flags)
unsafe extern "C-unwind" fn redis_set_repl(l: State) -> c_int {
    let run = current();
    if run.is_null() {
        push_error_table(
            l,
            b"redis.set_repl can only be called inside a script invocation",
        );
        ffi::lua_error(l)
    }
    if ffi::lua_gettop(l) != 1 {
        push_error_table(l, b"redis.set_repl() requires one argument.");
        ffi::lua_error(l)
    }
    let f = ffi::lua_tonumber(l, 1) as i64;
    if f & !3 != 0 {
        push_error_table(
            l,
            b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
        ffi::lua_error(l)
    }
    (*run).repl_aof = f & 1 != 0;
    0
}

/// redis.replicate_commands(): always true since 7.0 (effects replication is the only mode).
unsafe extern "C-unwind" fn redis_replicate_commands(l: State) -> c_int {
    ffi::lua_pushboolean(l, 1);
    1
}

/// Adds what only EVAL's `redis` table has (Redis registers them for EVAL's state, not
/// for FUNCTION's): `replicate_commands` and the debugger's `breakpoint` and `debug`.
///
/// # Safety
/// `l` is valid, the `redis` table is on top.
pub unsafe fn fill_eval_only(l: State) {
    type F = unsafe extern "C-unwind" fn(State) -> c_int;
    let t = ffi::lua_gettop(l);
    for (name, f) in [
        ("replicate_commands", redis_replicate_commands as F),
        ("breakpoint", super::ldb::redis_breakpoint),
        ("debug", super::ldb::redis_debug),
    ] {
        ffi::lua_pushcfunction(l, f);
        rawset_str(l, t, name);
    }
}

/// redis.acl_check_cmd(cmd, ...): whether the current user may run it (every user may
/// run every command until ACLs exist).
unsafe extern "C-unwind" fn redis_acl_check_cmd(l: State) -> c_int {
    if ffi::lua_gettop(l) == 0 {
        push_error_table(
            l,
            b"Please specify at least one argument for this redis lib call",
        );
        ffi::lua_error(l)
    }
    let run = current();
    let ok = true;
    if !run.is_null() {
        if !collect_args(l, &mut *run) {
            ffi::lua_error(l)
        }
        let args = (*run).args.args();
        let cmd = args
            .opt(0)
            .and_then(|n| TABLE.get(n))
            .and_then(|base| match args.opt(1) {
                Some(sub) if !base.subcommands.is_empty() => crate::commands::Table::sub(base, sub),
                _ => Some(base),
            });
        if cmd.is_none() {
            ffi::lua_settop(l, 0);
            push_error_table(l, b"Invalid command passed to redis.acl_check_cmd()");
            ffi::lua_error(l)
        }
    }
    ffi::lua_pushboolean(l, c_int::from(ok));
    1
}

/// Adds the `redis` table's functions and constants to the table on top of the stack.
///
/// # Safety
/// `l` is valid, a table is on top.
pub unsafe fn fill_redis_table(l: State, with_call: bool) {
    let t = ffi::lua_gettop(l);
    type F = unsafe extern "C-unwind" fn(State) -> c_int;
    let mut fns: Vec<(&str, F)> = vec![
        ("log", redis_log),
        ("setresp", redis_setresp),
        ("sha1hex", redis_sha1hex),
        ("error_reply", redis_error_reply),
        ("status_reply", redis_status_reply),
    ];
    if with_call {
        fns.extend_from_slice(&[
            ("call", redis_call as F),
            ("pcall", redis_pcall),
            ("set_repl", redis_set_repl),
            ("acl_check_cmd", redis_acl_check_cmd),
        ]);
    }
    for (name, f) in fns {
        ffi::lua_pushcfunction(l, f);
        rawset_str(l, t, name);
    }
    for (name, v) in [
        ("LOG_DEBUG", 0),
        ("LOG_VERBOSE", 1),
        ("LOG_NOTICE", 2),
        ("LOG_WARNING", 3),
        ("REPL_NONE", 0),
        ("REPL_AOF", 1),
        ("REPL_SLAVE", 2),
        ("REPL_REPLICA", 2),
        ("REPL_ALL", 3),
    ] {
        ffi::lua_pushnumber(l, v as f64);
        rawset_str(l, t, name);
    }
    push_bytes(l, crate::config::REDIS_VERSION.as_bytes());
    rawset_str(l, t, "REDIS_VERSION");
    ffi::lua_pushnumber(l, super::redis_version_num() as f64);
    rawset_str(l, t, "REDIS_VERSION_NUM");
}

// --- running the function ---

/// The protected body of a call: `registry[func_key]` is called with the arguments
/// pushed by `push_args`, and its result (or error) becomes `run.reply`. Runs inside
/// lua_pcall so that a memory error while converting is caught too.
pub struct CallSpec<'a> {
    pub func_ref: c_int,
    /// FCALL: the function gets (KEYS, ARGV) as arguments; EVAL: as globals.
    pub as_arguments: bool,
    /// The command's arguments: keys from `first`, `nkeys` of them, then ARGV.
    pub args: &'a crate::commands::Args<'a>,
    pub first: usize,
    pub nkeys: usize,
}

unsafe extern "C-unwind" fn protected_call(l: State) -> c_int {
    let spec = ffi::lua_touserdata(l, 1) as *const CallSpec<'_>;
    let run = current();
    if spec.is_null() || run.is_null() {
        return 0;
    }
    let spec = &*spec;
    let run = &mut *run;
    ffi::lua_settop(l, 0);
    push_registry(l, super::vm::REG_ERR_HANDLER);
    ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, spec.func_ref as _);
    let mut nargs = 0;
    let total = spec.args.len();
    let split = (spec.first + spec.nkeys).min(total);
    for (from, to) in [(spec.first, split), (split, total)] {
        ffi::lua_createtable(l, to.saturating_sub(from) as c_int, 0);
        for (i, at) in (from..to).enumerate() {
            push_bytes(l, spec.args.get(at));
            ffi::lua_rawseti(l, -2, (i + 1) as _);
        }
    }
    if spec.as_arguments {
        nargs = 2;
    } else {
        push_registry(l, super::vm::REG_REAL_GLOBALS);
        ffi::lua_insert(l, -2);
        rawset_str(l, -2, "ARGV");
        ffi::lua_insert(l, -2);
        rawset_str(l, -2, "KEYS");
        ffi::lua_pop(l, 1);
    }
    let rc = ffi::lua_pcall(l, nargs, 1, 1);
    let mut reply = Reply::new(&mut run.reply, run.caller_resp3);
    if rc == 0 {
        write_reply(l, &mut reply, run.client.resp3);
        run.failed = reply.buf.first() == Some(&b'-');
        return 0;
    }
    run.failed = true;
    if ffi::lua_type(l, -1) != ffi::LUA_TTABLE {
        let msg = to_bytes(l, -1).unwrap_or(b"execution failure").to_vec();
        let text = format!(
            "ERR Error running script {}, {:.100}",
            run.name,
            String::from_utf8_lossy(&msg)
        );
        reply.error(&text);
        return 0;
    }
    let e = ErrorInfo::read(l);
    let mut text = e.msg;
    if let (Some(src), Some(line)) = (e.source, e.line) {
        text.extend_from_slice(b" script: ");
        text.extend_from_slice(run.name.as_bytes());
        text.extend_from_slice(b", on ");
        text.extend_from_slice(&src);
        text.push(b':');
        text.extend_from_slice(&line);
        text.push(b'.');
    }
    run.error_counted = e.ignore_stats;
    reply.error_bytes(&text);
    0
}

/// Calls the function at `spec.func_ref` as the running call (`run` must be entered).
/// The reply ends in `run.reply`.
///
/// # Safety
/// `l` is the state the function belongs to; `run` is the entered context.
pub unsafe fn call_function(l: State, run: &mut RunCtx, spec: &CallSpec) {
    let top = ffi::lua_gettop(l);
    if super::ldb::is_active() {
        // A debugged script: the debugger's hook only (as in Redis, no SCRIPT KILL).
        ffi::lua_sethook(
            l,
            Some(super::ldb::line_hook),
            ffi::LUA_MASKLINE | ffi::LUA_MASKCOUNT,
            HOOK_EVERY,
        );
    } else {
        ffi::lua_sethook(l, Some(count_hook), ffi::LUA_MASKCOUNT, HOOK_EVERY);
    }
    ffi::lua_pushcfunction(l, protected_call);
    ffi::lua_pushlightuserdata(l, spec as *const CallSpec as *mut std::ffi::c_void);
    let rc = ffi::lua_pcall(l, 1, 0, 0);
    if rc != 0 {
        // Only a memory error while building the reply gets here.
        let msg = to_bytes(l, -1).map(<[u8]>::to_vec).unwrap_or_default();
        run.reply.clear();
        run.failed = true;
        let text = format!(
            "ERR Error running script {}, {:.100}",
            run.name,
            String::from_utf8_lossy(&msg)
        );
        Reply::new(&mut run.reply, run.caller_resp3).error(&text);
    }
    ffi::lua_settop(l, top);
}

/// How often (in Lua instructions) the hook looks at the clock, as Redis does.
pub const HOOK_EVERY: c_int = 100_000;

/// The count hook of every script: past busy-reply-threshold it lets the loop serve other
/// clients (who get BUSY), and it stops a script that SCRIPT KILL or FUNCTION KILL
/// asked to stop (or a SHUTDOWN NOSAVE), by raising an error it keeps raising on every
/// line, so `pcall` cannot swallow it.
unsafe extern "C-unwind" fn count_hook(l: State, _ar: *mut ffi::lua_Debug) {
    let run = current();
    if run.is_null() {
        return;
    }
    let stop = script_interrupt(&mut *run);
    if let Some(text) = stop {
        ffi::lua_sethook(l, Some(count_hook), ffi::LUA_MASKLINE, 0);
        push_error_table(l, text);
        ffi::lua_error(l);
    }
}

/// Redis's scriptInterrupt: the error text to stop with, if the script must stop.
unsafe fn script_interrupt(run: &mut RunCtx) -> Option<&'static [u8]> {
    let core = &mut *run.core;
    let info = core.scripting_mut().running.as_mut()?;
    if !info.timed_out {
        let elapsed = run.started.elapsed().as_millis() as u64;
        if elapsed < run.busy_after_ms {
            return None;
        }
        info.timed_out = true;
        info.name.clone_from(&run.name);
        if !run.command.is_null() {
            info.command = (*run.command).iter().map(<[u8]>::to_vec).collect();
        }
        log::warn!(
            "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
            if run.is_eval { "SCRIPT KILL" } else { "FUNCTION KILL" },
            run.name
        );
        core.script_busy_started(&mut *run.store, run.is_eval);
    }
    core.serve_while_busy(&mut *run.store);
    let info = core.scripting().running.as_ref()?;
    if info.killed {
        log::warn!("Lua script killed by user with SCRIPT KILL.");
        return Some(b"Script killed by user with SCRIPT KILL...");
    }
    // SHUTDOWN NOSAVE stops the script; a signal's shutdown waits for it, as in Redis
    // (a second SIGINT exits at once).
    if core.shutdown_requested().is_some_and(|s| s.by.is_some()) {
        return Some(b"Script killed by user with SCRIPT KILL...");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scripting::vm::Vm;
    use proptest::prelude::*;

    /// A Lua expression for a value a script may return: scalars, arrays, the special
    /// one-field tables Redis recognises, and nesting.
    fn lua_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            any::<i32>().prop_map(|n| n.to_string()),
            (-1e6f64..1e6).prop_map(|d| format!("{d:?}")),
            "[a-z\\r\\n ]{0,8}".prop_map(|s| format!("{s:?}")),
            Just("true".to_string()),
            Just("false".to_string()),
            Just("nil".to_string()),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("{{{}}}", v.join(","))),
                inner.clone().prop_map(|v| format!("{{err={v}}}")),
                inner.clone().prop_map(|v| format!("{{ok={v}}}")),
                inner.clone().prop_map(|v| format!("{{double={v}}}")),
                inner.clone().prop_map(|v| format!("{{map={{k={v}}}}}")),
                inner
                    .clone()
                    .prop_map(|v| format!("{{set={{[{v}]=true}}}}")),
                inner.prop_map(|v| format!("{{big_number={v}}}")),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn reply_bytes_of_any_kind_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let vm = Vm::new().expect("vm");
            unsafe {
                let top = ffi::lua_gettop(vm.l);
                let mut pos = 0;
                let _ = push_reply(vm.l, &bytes, &mut pos);
                ffi::lua_settop(vm.l, top);
            }
        }

        #[test]
        fn any_script_value_becomes_one_reply(expr in lua_value(), resp3 in any::<bool>(), script3 in any::<bool>()) {
            let vm = Vm::new().expect("vm");
            let code = format!("return {expr}");
            let mut out = Vec::new();
            unsafe {
                let l = vm.l;
                let rc = ffi::luaL_loadbuffer(l, code.as_ptr().cast(), code.len(), c"=t".as_ptr());
                prop_assume!(rc == 0);
                prop_assume!(ffi::lua_pcall(l, 0, 1, 0) == 0);
                write_reply(l, &mut Reply::new(&mut out, resp3), script3);
                prop_assert_eq!(ffi::lua_gettop(l), 0);
                // The reply is one complete RESP value: it reads back whole.
                let mut pos = 0;
                prop_assert!(push_reply(l, &out, &mut pos), "{:?}", String::from_utf8_lossy(&out));
                prop_assert_eq!(pos, out.len());
            }
        }
    }
}
