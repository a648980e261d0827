//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL, FCALL_RO, FUNCTION.
//!
//! The Lua side (states, sandbox, the `redis` table, conversions) is `crate::scripting`;
//! this file is the commands: argument parsing, the checks Redis makes before a script
//! runs (scriptPrepareForRun), and the run itself (`run_script`), shared by EVAL and
//! FCALL. A script's effects reach the AOF as the commands it ran (wrapped in
//! MULTI/EXEC), never as the script: the handler propagates nothing itself.

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group, Propagate};
use crate::error::{CmdResult, Error};
use crate::scripting::run::{CallSpec, RunCtx, Running};
use crate::scripting::{script_flags, RunInfo};
use crate::server::client::Client;
use crate::util::num::parse_i64;
use std::ffi::c_int;
use std::time::Instant;

const EVAL_FLAGS: u32 = NOSCRIPT
    | STALE
    | SKIP_MONITOR
    | MAY_REPLICATE
    | NO_MANDATORY_KEYS
    | MOVABLE_KEYS
    | SCRIPT_FLAGS;
const EVAL_RO_FLAGS: u32 =
    READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MOVABLE_KEYS | SCRIPT_FLAGS;

const SCRIPT_SUBS: &[CommandDef] = &[
    cmd("debug", 3, NOSCRIPT, script_debug)
        .docs(&docs::SCRIPT_DEBUG)
        .group(Group::Scripting),
    cmd("exists", -3, NOSCRIPT, script_exists)
        .docs(&docs::SCRIPT_EXISTS)
        .group(Group::Scripting),
    cmd("flush", -2, NOSCRIPT, script_flush)
        .docs(&docs::SCRIPT_FLUSH)
        .group(Group::Scripting),
    cmd("help", 2, LOADING | STALE, script_help)
        .docs(&docs::SCRIPT_HELP)
        .group(Group::Scripting),
    cmd("kill", 2, NOSCRIPT | ALLOW_BUSY, script_kill)
        .docs(&docs::SCRIPT_KILL)
        .group(Group::Scripting),
    cmd("load", 3, NOSCRIPT | STALE, script_load)
        .docs(&docs::SCRIPT_LOAD)
        .group(Group::Scripting),
];

const FUNCTION_SUBS: &[CommandDef] = &[
    cmd("delete", 3, WRITE | NOSCRIPT, function_delete)
        .docs(&docs::FUNCTION_DELETE)
        .group(Group::Scripting),
    cmd("dump", 2, NOSCRIPT, function_dump)
        .docs(&docs::FUNCTION_DUMP)
        .group(Group::Scripting),
    cmd("flush", -2, WRITE | NOSCRIPT, function_flush)
        .docs(&docs::FUNCTION_FLUSH)
        .group(Group::Scripting),
    cmd("help", 2, LOADING | STALE, function_help)
        .docs(&docs::FUNCTION_HELP)
        .group(Group::Scripting),
    cmd("kill", 2, NOSCRIPT | ALLOW_BUSY, function_kill)
        .docs(&docs::FUNCTION_KILL)
        .group(Group::Scripting),
    cmd("list", -2, NOSCRIPT, function_list)
        .docs(&docs::FUNCTION_LIST)
        .group(Group::Scripting),
    cmd("load", -3, WRITE | DENYOOM | NOSCRIPT, function_load)
        .docs(&docs::FUNCTION_LOAD)
        .group(Group::Scripting),
    cmd("restore", -3, WRITE | DENYOOM | NOSCRIPT, function_restore)
        .docs(&docs::FUNCTION_RESTORE)
        .group(Group::Scripting),
    cmd("stats", 2, NOSCRIPT | ALLOW_BUSY, function_stats)
        .docs(&docs::FUNCTION_STATS)
        .group(Group::Scripting),
];

pub const COMMANDS: &[CommandDef] = &[
    cmd("eval", -3, EVAL_FLAGS, eval)
        .docs(&docs::EVAL)
        .keys_fn(script_keys)
        .group(Group::Scripting),
    cmd("evalsha", -3, EVAL_FLAGS, evalsha)
        .docs(&docs::EVALSHA)
        .keys_fn(script_keys)
        .group(Group::Scripting),
    cmd("eval_ro", -3, EVAL_RO_FLAGS, eval_ro)
        .docs(&docs::EVAL_RO)
        .keys_fn(script_keys)
        .group(Group::Scripting),
    cmd("evalsha_ro", -3, EVAL_RO_FLAGS, evalsha_ro)
        .docs(&docs::EVALSHA_RO)
        .keys_fn(script_keys)
        .group(Group::Scripting),
    cmd("fcall", -3, EVAL_FLAGS, fcall)
        .docs(&docs::FCALL)
        .keys_fn(script_keys)
        .group(Group::Scripting),
    cmd("fcall_ro", -3, EVAL_RO_FLAGS, fcall_ro)
        .docs(&docs::FCALL_RO)
        .keys_fn(script_keys)
        .group(Group::Scripting),
    cmd("function", -2, 0, super::server::no_subcommand)
        .docs(&docs::FUNCTION)
        .group(Group::Scripting)
        .subs(FUNCTION_SUBS),
    cmd("script", -2, 0, super::server::no_subcommand)
        .docs(&docs::SCRIPT)
        .group(Group::Scripting)
        .subs(SCRIPT_SUBS),
];

/// Key positions of EVAL and FCALL: `numkeys` at 2, the keys after it.
fn script_keys(a: &Args) -> Vec<usize> {
    super::args::numkeys_keys(a, 2)
}

/// The number of keys of an EVAL/FCALL, checked against the arguments as Redis does.
fn numkeys(a: &Args) -> Result<usize, Error> {
    let n = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
    if n > (a.len() as i64 - 3) {
        return Err(Error::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if n < 0 {
        return Err(Error::msg("ERR Number of keys can't be negative"));
    }
    Ok(n as usize)
}

/// The flags the dispatcher applies to an EVAL/FCALL (Redis's getCommandFlags): a script
/// with a shebang or a function declares whether it writes, may run over maxmemory or on
/// a stale replica; a script without one keeps the command's own flags.
pub fn command_flags(scripting: &crate::scripting::Scripting, cmd: &CommandDef, a: &Args) -> u32 {
    let base = cmd.flags;
    let script = if cmd.name.starts_with("fcall") {
        scripting.functions.function_flags(a.get(1))
    } else {
        let by_sha = cmd.name.starts_with("evalsha");
        let body = a.get(1);
        if by_sha {
            if body.len() != 40 {
                return base;
            }
            scripting
                .eval
                .as_ref()
                .and_then(|e| e.scripts.get(&lower_sha(body)?))
                .map(|s| s.flags)
        } else {
            let sha = crate::scripting::sha1_hex(body);
            match scripting.eval.as_ref().and_then(|e| e.scripts.get(&sha)) {
                Some(s) => Some(s.flags),
                None => crate::scripting::parse_shebang(body).ok().map(|(f, _)| f),
            }
        }
    };
    match script {
        Some(f) if f & script_flags::EVAL_COMPAT == 0 => flags_from_script(base, f),
        _ => base,
    }
}

/// Redis's scriptFlagsToCmdFlags.
fn flags_from_script(cmd_flags: u32, f: u32) -> u32 {
    let mut out = cmd_flags & !(STALE | DENYOOM | WRITE | MAY_REPLICATE);
    if f & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0 {
        out |= DENYOOM;
    }
    if f & script_flags::NO_WRITES == 0 {
        out |= WRITE;
    }
    if f & script_flags::ALLOW_STALE != 0 {
        out |= STALE;
    }
    out
}

fn lower_sha(b: &[u8]) -> Option<[u8; 40]> {
    let mut out = [0u8; 40];
    if b.len() != 40 {
        return None;
    }
    for (o, c) in out.iter_mut().zip(b) {
        *o = c.to_ascii_lowercase();
    }
    Some(out)
}

fn eval(ctx: &mut Ctx, a: &Args) -> CmdResult {
    match ctx.client.lua_debug {
        Some(mode) => eval_with_debugging(ctx, a, false, mode),
        None => eval_generic(ctx, a, false, false),
    }
}

fn evalsha(ctx: &mut Ctx, a: &Args) -> CmdResult {
    evalsha_checked(ctx, a, false)
}

fn eval_ro(ctx: &mut Ctx, a: &Args) -> CmdResult {
    match ctx.client.lua_debug {
        Some(mode) => eval_with_debugging(ctx, a, true, mode),
        None => eval_generic(ctx, a, false, true),
    }
}

fn evalsha_ro(ctx: &mut Ctx, a: &Args) -> CmdResult {
    evalsha_checked(ctx, a, true)
}

/// EVALSHA: a SHA1 of the wrong length cannot match; a debugging client must use EVAL.
fn evalsha_checked(ctx: &mut Ctx, a: &Args, ro: bool) -> CmdResult {
    if a.get(1).len() != 40 {
        return Err(Error::msg(NOSCRIPT_ERR));
    }
    if ctx.client.lua_debug.is_some() {
        return Err(Error::msg(
            "ERR Please use EVAL instead of EVALSHA for debugging",
        ));
    }
    eval_generic(ctx, a, true, ro)
}

/// EVAL of a client that asked for SCRIPT DEBUG (Redis's
/// evalGenericCommandWithDebugging): the session starts before anything is checked,
/// in a forked child (YES) or here (SYNC); see `scripting::ldb`.
fn eval_with_debugging(
    ctx: &mut Ctx,
    a: &Args,
    ro: bool,
    mode: crate::scripting::ldb::Mode,
) -> CmdResult {
    use crate::scripting::ldb::{Active, Mode, Session};
    let Some(fd) = ctx.srv.client_socket_fd(ctx.client.cref()) else {
        ctx.client.lua_debug = None;
        return eval_generic(ctx, a, false, ro);
    };
    let forked = mode == Mode::Forked;
    if forked {
        // SAFETY: the child runs the script on its copy of the data, talks on the
        // client's socket only, and _exits at the end of the session.
        let pid = unsafe { libc::fork() };
        if pid == -1 {
            ctx.client.lua_debug = None;
            return Err(Error::msg(format!(
                "ERR Fork() failed: can't run EVAL in debugging mode: {}",
                std::io::Error::last_os_error()
            )));
        }
        if pid > 0 {
            // The parent: the child owns the client now; its side is closed.
            ctx.srv.scripting_mut().ldb_children.push(pid);
            ctx.client.lua_debug = None;
            ctx.client.close_asap = true;
            ctx.propagate = Propagate::Never;
            return Ok(());
        }
        // SAFETY: signal dispositions in the single-threaded child.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_IGN);
            libc::signal(libc::SIGINT, libc::SIG_IGN);
        }
        ctx.srv.close_listeners_in_child();
        log::warn!("Redis forked for debugging eval");
    } else {
        log::warn!("Redis synchronous debugging eval session started");
    }
    let limit = ctx.config().busy_reply_threshold.max(0) as u64;
    let mut session = Session::start(fd, forked, a.get(1), limit);
    let start = ctx.reply.buf.len();
    let res = {
        let _active = Active::enter(&mut session);
        eval_generic(ctx, a, false, ro)
    };
    // The reply goes out after the session's last logs.
    let mut reply = ctx.reply.buf.split_off(start);
    let res = match res {
        Err(e) if forked => {
            super::Reply::new(&mut reply, ctx.client.resp3).error(&e.to_string());
            Ok(())
        }
        r => r,
    };
    if forked {
        session.end(&reply);
        log::warn!("Lua debugging session child exiting");
        // SAFETY: leave without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(0) }
    }
    session.end(b"");
    log::warn!("Redis synchronous debugging eval session ended");
    ctx.reply.buf.extend_from_slice(&reply);
    ctx.client.close_after_reply = true;
    res
}

const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

fn eval_generic(ctx: &mut Ctx, a: &Args, by_sha: bool, ro: bool) -> CmdResult {
    ctx.propagate = Propagate::Never;
    let nkeys = numkeys(a)?;
    let limit = crate::scripting::lua_memory_limit(ctx.config().maxmemory);
    let engine = ctx
        .srv
        .scripting_mut()
        .eval_engine()
        .map_err(|e| Error::msg(format!("ERR {e}")))?;
    let sha = if by_sha {
        match lower_sha(a.get(1)) {
            Some(s) if engine.scripts.contains_key(&s) => s,
            _ => return Err(Error::msg(NOSCRIPT_ERR)),
        }
    } else {
        engine
            .load(a.get(1))
            .map_err(|e| Error::msg(format!("ERR {e}")))?
    };
    let Some(script) = engine.scripts.get(&sha) else {
        return Err(Error::msg(NOSCRIPT_ERR));
    };
    let (func_ref, flags, l) = (script.func_ref, script.flags, engine.vm.l);
    engine.vm.set_memory_limit(limit);
    let name = std::str::from_utf8(&sha).unwrap_or_default().to_owned();
    let target = Target {
        l,
        func_ref,
        flags,
        ro,
        is_eval: true,
        name,
        nkeys,
    };
    let res = run_script(ctx, a, target);
    if let Some(e) = ctx.srv.scripting_mut().eval.as_mut() {
        e.after_call();
    }
    res
}

/// What to run.
pub(crate) struct Target {
    pub l: crate::scripting::vm::State,
    pub func_ref: c_int,
    pub flags: u32,
    /// EVAL_RO / FCALL_RO.
    pub ro: bool,
    pub is_eval: bool,
    pub name: String,
    pub nkeys: usize,
}

/// Redis's scriptPrepareForRun checks, then the call, then the reply.
pub(crate) fn run_script(ctx: &mut Ctx, a: &Args, t: Target) -> CmdResult {
    let compat = t.flags & script_flags::EVAL_COMPAT != 0;
    if !compat {
        if t.flags & script_flags::NO_WRITES == 0 {
            if let Some(e) = ctx.srv.aof().deny_writes_error() {
                return Err(Error::msg(e.to_string()));
            }
            if t.ro {
                return Err(Error::msg(
                    "ERR Can not execute a script with write flag using *_ro command.",
                ));
            }
        }
        if t.flags & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0
            && ctx.srv.over_maxmemory()
        {
            return Err(Error::msg(
                "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
            ));
        }
    }
    let read_only = t.ro || (!compat && t.flags & script_flags::NO_WRITES != 0);
    let allow_oom = !compat && t.flags & script_flags::ALLOW_OOM != 0;

    let mut client = ctx
        .srv
        .scripting_mut()
        .client
        .take()
        .unwrap_or_else(|| Box::new(script_client()));
    client.db = ctx.client.db;
    client.resp3 = false;
    let busy_after_ms = ctx.config().busy_reply_threshold.max(0) as u64;
    // Buffers reused from call to call.
    let mut scratch = std::mem::take(&mut ctx.srv.scripting_mut().scratch);
    let started = Instant::now();
    ctx.srv.scripting_mut().running = Some(RunInfo {
        // Copied when the script goes past busy-reply-threshold (FUNCTION STATS).
        name: String::new(),
        is_eval: t.is_eval,
        command: Vec::new(),
        started,
        wrote: false,
        killed: false,
        timed_out: false,
        aof_mark: ctx.srv.aof_buffer_len(),
    });
    let wrap = !ctx.srv.aof_in_exec();
    if wrap {
        ctx.srv.aof_begin_exec();
    }
    let mut run = RunCtx {
        store: ctx.store as *mut _,
        core: ctx.srv as *mut _,
        client,
        out: std::mem::take(&mut scratch.out),
        args: std::mem::take(&mut scratch.args),
        reply: std::mem::take(&mut scratch.reply),
        command: std::ptr::from_ref(a).cast::<Args<'static>>(),
        caller_resp3: ctx.client.resp3,
        read_only,
        allow_oom,
        repl_aof: true,
        started,
        busy_after_ms,
        is_eval: t.is_eval,
        name: t.name,
        error_counted: false,
        failed: false,
    };
    let spec = CallSpec {
        func_ref: t.func_ref,
        as_arguments: !t.is_eval,
        args: a,
        first: 3,
        nkeys: t.nkeys,
    };
    {
        let _running = Running::enter(&mut run);
        // SAFETY: `t.l` is the live state of the engine the function belongs to; no
        // command that could drop it (SCRIPT FLUSH, FUNCTION FLUSH...) can run while a
        // script runs (they are `noscript` and not `allow_busy`). `run` holds the only
        // pointers to the keyspace and Core that are used until it returns, derived
        // from this handler's borrows, which are not touched meanwhile.
        unsafe { crate::scripting::run::call_function(t.l, &mut run, &spec) };
    }
    let stopped_by_shutdown = ctx.srv.shutdown_requested().is_some_and(|s| s.by.is_some())
        && ctx
            .srv
            .scripting()
            .running
            .as_ref()
            .is_some_and(|r| r.timed_out);
    if stopped_by_shutdown {
        let mark = ctx
            .srv
            .scripting()
            .running
            .as_ref()
            .map_or(0, |r| r.aof_mark);
        ctx.srv.aof_discard_script(mark);
    } else if wrap {
        ctx.srv.aof_end_exec();
    }
    let info = ctx.srv.scripting_mut().running.take();
    if info.as_ref().is_some_and(|i| i.timed_out) {
        ctx.srv.script_busy_ended();
    }
    let RunCtx {
        client,
        mut out,
        mut args,
        mut reply,
        failed,
        error_counted,
        ..
    } = run;
    let res = if failed && !error_counted {
        // Counted as this command's error (errorstats, failed_calls), as Redis does.
        Err(Error::msg(error_text(&reply)))
    } else {
        ctx.reply.buf.extend_from_slice(&reply);
        Ok(())
    };
    reply.clear();
    out.clear();
    args.clear();
    let sc = ctx.srv.scripting_mut();
    sc.client = Some(client);
    sc.scratch = crate::scripting::Scratch { out, args, reply };
    res
}

/// The text of an error reply ("-TEXT\r\n").
fn error_text(reply: &[u8]) -> String {
    let body = reply.strip_prefix(b"-").unwrap_or(reply);
    let body = body.strip_suffix(b"\r\n").unwrap_or(body);
    String::from_utf8_lossy(body).into_owned()
}

/// The client scripts run their commands as.
pub(crate) fn script_client() -> Client {
    Client {
        addr: "lua".into(),
        authenticated: true,
        // Blocking commands called from a script do not block.
        in_exec: true,
        ..Client::default()
    }
}

// --- SCRIPT ---

fn script_help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    super::server::help_reply(
        ctx,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

/// SCRIPT DEBUG YES|SYNC|NO: how this client's next EVALs run (see `scripting::ldb`).
fn script_debug(ctx: &mut Ctx, a: &Args) -> CmdResult {
    use crate::scripting::ldb::Mode;
    if !ctx.reply.buf.is_empty() {
        return Err(Error::msg(
            "ERR SCRIPT DEBUG must be called outside a pipeline",
        ));
    }
    let mode = a.get(2);
    ctx.client.lua_debug = if mode.eq_ignore_ascii_case(b"no") {
        None
    } else if mode.eq_ignore_ascii_case(b"yes") {
        Some(Mode::Forked)
    } else if mode.eq_ignore_ascii_case(b"sync") {
        Some(Mode::Sync)
    } else {
        return Err(Error::msg("ERR Use SCRIPT DEBUG YES/SYNC/NO"));
    };
    ctx.reply.ok();
    Ok(())
}

fn script_load(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let engine = ctx
        .srv
        .scripting_mut()
        .eval_engine()
        .map_err(|e| Error::msg(format!("ERR {e}")))?;
    let sha = engine
        .load(a.get(2))
        .map_err(|e| Error::msg(format!("ERR {e}")))?;
    ctx.reply.bulk(&sha);
    Ok(())
}

fn script_exists(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let n = a.len() - 2;
    ctx.reply.array(n);
    for i in 2..a.len() {
        let found = lower_sha(a.get(i)).is_some_and(|s| {
            ctx.srv
                .scripting()
                .eval
                .as_ref()
                .is_some_and(|e| e.scripts.contains_key(&s))
        });
        ctx.reply.int(i64::from(found));
    }
    Ok(())
}

/// The `[ASYNC|SYNC]` of SCRIPT FLUSH and FUNCTION FLUSH.
pub(crate) fn flush_mode(a: &Args, what: &str) -> CmdResult {
    match a.len() {
        2 => Ok(()),
        3 if a.get(2).eq_ignore_ascii_case(b"sync") || a.get(2).eq_ignore_ascii_case(b"async") => {
            Ok(())
        }
        _ => Err(Error::msg(format!(
            "ERR {what} FLUSH only support SYNC|ASYNC option"
        ))),
    }
}

fn script_flush(ctx: &mut Ctx, a: &Args) -> CmdResult {
    flush_mode(a, "SCRIPT")?;
    ctx.srv.scripting_mut().flush_eval();
    ctx.reply.ok();
    Ok(())
}

/// SCRIPT KILL and FUNCTION KILL (Redis's scriptKill).
pub(crate) fn kill(ctx: &mut Ctx, is_eval: bool) -> CmdResult {
    let Some(r) = ctx.srv.scripting_mut().running.as_mut() else {
        return Err(Error::msg("NOTBUSY No scripts in execution right now."));
    };
    if r.wrote {
        return Err(Error::msg(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        ));
    }
    if is_eval && !r.is_eval {
        return Err(Error::msg(
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        ));
    }
    if !is_eval && r.is_eval {
        return Err(Error::msg(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        ));
    }
    r.killed = true;
    ctx.reply.ok();
    Ok(())
}

fn script_kill(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    kill(ctx, true)
}

// --- FCALL and FUNCTION ---

fn fcall(ctx: &mut Ctx, a: &Args) -> CmdResult {
    fcall_generic(ctx, a, false)
}

fn fcall_ro(ctx: &mut Ctx, a: &Args) -> CmdResult {
    fcall_generic(ctx, a, true)
}

fn fcall_generic(ctx: &mut Ctx, a: &Args, ro: bool) -> CmdResult {
    ctx.propagate = Propagate::Never;
    let limit = crate::scripting::lua_memory_limit(ctx.config().maxmemory);
    ctx.srv.scripting().functions.set_memory_limit(limit);
    let Some((l, func_ref, flags)) = ctx.srv.scripting().functions.target(a.get(1)) else {
        return Err(Error::msg("ERR Function not found"));
    };
    let nkeys = numkeys(a)?;
    let target = Target {
        l,
        func_ref,
        flags,
        ro,
        is_eval: false,
        name: String::from_utf8_lossy(a.get(1)).into_owned(),
        nkeys,
    };
    run_script(ctx, a, target)
}

/// The libraries' code, kept with the dataset for AOF rewrites.
fn sync_libraries(ctx: &mut Ctx) {
    let codes = ctx
        .srv
        .scripting()
        .functions
        .libraries
        .values()
        .map(|lib| lib.code.clone())
        .collect();
    ctx.store.function_libraries = codes;
}

fn function_load(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut replace = false;
    let mut code = None;
    for i in 2..a.len() {
        let arg = a.get(i);
        if i + 1 == a.len() {
            code = Some(arg);
        } else if arg.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else {
            return Err(Error::msg(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(arg)
            )));
        }
    }
    let Some(code) = code else {
        return Err(Error::msg("ERR Function code is missing"));
    };
    let name = ctx
        .srv
        .scripting_mut()
        .functions
        .load(code, replace)
        .map_err(Error::msg)?;
    sync_libraries(ctx);
    ctx.store.count_changes(1);
    ctx.reply.bulk(name.as_bytes());
    Ok(())
}

fn function_delete(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let name = String::from_utf8_lossy(a.get(2)).into_owned();
    if !ctx.srv.scripting_mut().functions.delete(&name) {
        return Err(Error::msg("ERR Library not found"));
    }
    sync_libraries(ctx);
    ctx.store.count_changes(1);
    ctx.reply.ok();
    Ok(())
}

fn function_flush(ctx: &mut Ctx, a: &Args) -> CmdResult {
    flush_mode(a, "FUNCTION")?;
    ctx.srv.scripting_mut().functions.flush();
    sync_libraries(ctx);
    ctx.store.count_changes(1);
    ctx.reply.ok();
    Ok(())
}

fn function_dump(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let compress = ctx.config().rdbcompression;
    let payload = ctx.srv.scripting().functions.dump(compress);
    ctx.reply.bulk(&payload);
    Ok(())
}

fn function_restore(ctx: &mut Ctx, a: &Args) -> CmdResult {
    use crate::scripting::functions::RestorePolicy;
    if a.len() > 4 {
        return Err(super::server::subcommand_syntax_error(a.get(1), "FUNCTION"));
    }
    let policy =
        match a.opt(3) {
            None => RestorePolicy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"append") => RestorePolicy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => RestorePolicy::Replace,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => RestorePolicy::Flush,
            Some(_) => return Err(Error::msg(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )),
        };
    ctx.srv
        .scripting_mut()
        .functions
        .restore(a.get(2), policy)
        .map_err(Error::msg)?;
    sync_libraries(ctx);
    ctx.store.count_changes(1);
    ctx.reply.ok();
    Ok(())
}

fn function_kill(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    kill(ctx, false)
}

fn function_list(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (mut pattern, mut with_code) = (None, false);
    let mut i = 2;
    while i < a.len() {
        let arg = a.get(i);
        i += 1;
        if arg.eq_ignore_ascii_case(b"withcode") && !with_code {
            with_code = true;
        } else if arg.eq_ignore_ascii_case(b"libraryname") && pattern.is_none() {
            if i >= a.len() {
                return Err(Error::msg("ERR library name argument was not given"));
            }
            pattern = Some(a.get(i));
            i += 1;
        } else {
            return Err(Error::msg(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            )));
        }
    }
    let f = &ctx.srv.scripting().functions;
    let libs: Vec<_> = f
        .libraries
        .iter()
        .filter(|(name, _)| {
            pattern.is_none_or(|p| crate::util::glob::glob_match(p, name.as_bytes(), false))
        })
        .collect();
    let r = &mut ctx.reply;
    r.array(libs.len());
    for (name, lib) in libs {
        r.map(if with_code { 4 } else { 3 });
        r.bulk_str("library_name");
        r.bulk_str(name);
        r.bulk_str("engine");
        r.bulk_str("LUA");
        r.bulk_str("functions");
        r.array(lib.functions.len());
        for fname in &lib.functions {
            let Some(func) = f.functions.get(fname) else {
                r.null();
                continue;
            };
            r.map(3);
            r.bulk_str("name");
            r.bulk_str(fname);
            r.bulk_str("description");
            match &func.description {
                Some(d) => r.bulk(d),
                None => r.null(),
            }
            r.bulk_str("flags");
            let names: Vec<&str> = script_flags::NAMES
                .iter()
                .filter(|(bit, _)| func.flags & bit != 0)
                .map(|&(_, n)| n)
                .collect();
            r.set(names.len());
            for n in names {
                r.simple(n);
            }
        }
        if with_code {
            r.bulk_str("library_code");
            r.bulk(&lib.code);
        }
    }
    Ok(())
}

fn function_stats(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let sc = ctx.srv.scripting();
    if sc.running.as_ref().is_some_and(|r| r.is_eval) {
        return Err(Error::msg(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
        ));
    }
    let running = sc.running.clone();
    let (libs, funcs) = (sc.functions.libraries.len(), sc.functions.functions.len());
    let r = &mut ctx.reply;
    r.map(2);
    r.bulk_str("running_script");
    match running {
        None => r.null(),
        Some(info) => {
            r.map(3);
            r.bulk_str("name");
            r.bulk_str(&info.name);
            r.bulk_str("command");
            r.array(info.command.len());
            for c in &info.command {
                r.bulk(c);
            }
            r.bulk_str("duration_ms");
            r.int(info.started.elapsed().as_millis() as i64);
        }
    }
    r.bulk_str("engines");
    r.map(1);
    r.bulk_str("LUA");
    r.map(2);
    r.bulk_str("libraries_count");
    r.int(libs as i64);
    r.bulk_str("functions_count");
    r.int(funcs as i64);
    Ok(())
}

fn function_help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    super::server::help_reply(
        ctx,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const EVAL: Docs = Docs {
        name: "eval",
        summary: "Execute a Lua script server side",
        since: "2.6.0",
        complexity: "Depends on the script that is executed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("script", Str),
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).opt().multi(),
            arg("arg", Str).opt().multi(),
        ],
    };

    pub const EVAL_RO: Docs = Docs {
        name: "eval_ro",
        summary: "Execute a read-only Lua script server side",
        since: "7.0.0",
        complexity: "Depends on the script that is executed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("script", Str),
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).opt().multi(),
            arg("arg", Str).opt().multi(),
        ],
    };

    pub const EVALSHA: Docs = Docs {
        name: "evalsha",
        summary: "Execute a Lua script server side",
        since: "2.6.0",
        complexity: "Depends on the script that is executed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("sha1", Str),
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).opt().multi(),
            arg("arg", Str).opt().multi(),
        ],
    };

    pub const EVALSHA_RO: Docs = Docs {
        name: "evalsha_ro",
        summary: "Execute a read-only Lua script server side",
        since: "7.0.0",
        complexity: "Depends on the script that is executed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("sha1", Str),
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).opt().multi(),
            arg("arg", Str).opt().multi(),
        ],
    };

    pub const FCALL: Docs = Docs {
        name: "fcall",
        summary: "Invoke a function",
        since: "7.0.0",
        complexity: "Depends on the function that is executed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("function", Str),
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).opt().multi(),
            arg("arg", Str).opt().multi(),
        ],
    };

    pub const FCALL_RO: Docs = Docs {
        name: "fcall_ro",
        summary: "Invoke a read-only function",
        since: "7.0.0",
        complexity: "Depends on the function that is executed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("function", Str),
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).opt().multi(),
            arg("arg", Str).opt().multi(),
        ],
    };

    pub const FUNCTION: Docs = Docs {
        name: "function",
        summary: "A container for function commands",
        since: "7.0.0",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const FUNCTION_DELETE: Docs = Docs {
        name: "function|delete",
        summary: "Delete a function by name",
        since: "7.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("library-name", Str)],
    };

    pub const FUNCTION_DUMP: Docs = Docs {
        name: "function|dump",
        summary: "Dump all functions into a serialized binary payload",
        since: "7.0.0",
        complexity: "O(N) where N is the number of functions",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const FUNCTION_FLUSH: Docs = Docs {
        name: "function|flush",
        summary: "Deleting all functions",
        since: "7.0.0",
        complexity: "O(N) where N is the number of functions deleted",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("async", OneOf).opt().args(&[
            arg("async", PureToken).token("ASYNC"),
            arg("sync", PureToken).token("SYNC"),
        ])],
    };

    pub const FUNCTION_HELP: Docs = Docs {
        name: "function|help",
        summary: "Show helpful text about the different subcommands",
        since: "7.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const FUNCTION_KILL: Docs = Docs {
        name: "function|kill",
        summary: "Kill the function currently in execution.",
        since: "7.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const FUNCTION_LIST: Docs = Docs {
        name: "function|list",
        summary: "List information about all the functions",
        since: "7.0.0",
        complexity: "O(N) where N is the number of functions",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("library-name-pattern", Str).token("LIBRARYNAME").opt(),
            arg("withcode", PureToken).token("WITHCODE").opt(),
        ],
    };

    pub const FUNCTION_LOAD: Docs = Docs {
        name: "function|load",
        summary: "Create a function with the given arguments (name, code, description)",
        since: "7.0.0",
        complexity: "O(1) (considering compilation time is redundant)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("replace", PureToken).token("REPLACE").opt(),
            arg("function-code", Str),
        ],
    };

    pub const FUNCTION_RESTORE: Docs = Docs {
        name: "function|restore",
        summary: "Restore all the functions on the given payload",
        since: "7.0.0",
        complexity: "O(N) where N is the number of functions on the payload",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("serialized-value", Str),
            arg("policy", OneOf).opt().args(&[
                arg("flush", PureToken).token("FLUSH"),
                arg("append", PureToken).token("APPEND"),
                arg("replace", PureToken).token("REPLACE"),
            ]),
        ],
    };

    pub const FUNCTION_STATS: Docs = Docs {
        name: "function|stats",
        summary:
            "Return information about the function currently running (name, description, duration)",
        since: "7.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SCRIPT: Docs = Docs {
        name: "script",
        summary: "A container for Lua scripts management commands",
        since: "2.6.0",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SCRIPT_DEBUG: Docs = Docs {
        name: "script|debug",
        summary: "Set the debug mode for executed scripts.",
        since: "3.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("mode", OneOf).args(&[
            arg("yes", PureToken).token("YES"),
            arg("sync", PureToken).token("SYNC"),
            arg("no", PureToken).token("NO"),
        ])],
    };

    pub const SCRIPT_EXISTS: Docs = Docs {
        name: "script|exists",
        summary: "Check existence of scripts in the script cache.",
        since: "2.6.0",
        complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("sha1", Str).multi(),
        ],
    };

    pub const SCRIPT_FLUSH: Docs = Docs {
        name: "script|flush",
        summary: "Remove all the scripts from the script cache.",
        since: "2.6.0",
        complexity: "O(N) with N being the number of scripts in cache",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "6.2.0",
            "Added the `ASYNC` and `SYNC` flushing mode modifiers.",
        )],
        args: &[arg("async", OneOf).since("6.2.0").opt().args(&[
            arg("async", PureToken).token("ASYNC"),
            arg("sync", PureToken).token("SYNC"),
        ])],
    };

    pub const SCRIPT_HELP: Docs = Docs {
        name: "script|help",
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SCRIPT_KILL: Docs = Docs {
        name: "script|kill",
        summary: "Kill the script currently in execution.",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SCRIPT_LOAD: Docs = Docs {
        name: "script|load",
        summary: "Load the specified Lua script into the script cache.",
        since: "2.6.0",
        complexity: "O(N) with N being the length in bytes of the script body.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("script", Str)],
    };
}
// @generated end: COMMAND DOCS
