//! Running one command: Redis's processCommand and call().
//!
//! Everything that holds for every command happens here and only here: lookup, arity,
//! authentication, the RESP2 Pub/Sub restrictions, the LOADING state, timing for
//! SLOWLOG and INFO commandstats, and feeding the AOF with what changed the data.

#![deny(clippy::indexing_slicing)]

use super::client::{Client, ReplyMode};
use super::pubsub::Current;
use super::Core;
use crate::commands::{flags, Args, CommandDef, Ctx, Propagate, Table, TABLE};
use crate::error::Error;
use crate::resp::reply::Reply;
use crate::store::bytes::Sds;
use crate::store::dict::Dict;
use crate::store::{Store, Value};

/// Client bytes as Redis's `%.*s` shows them: up to `max` bytes, stopping at a NUL.
fn c_str(b: &[u8], max: usize) -> &[u8] {
    let b = b.get(..max).unwrap_or(b);
    match memchr::memchr(0, b) {
        Some(i) => b.get(..i).unwrap_or(b),
        None => b,
    }
}

/// The "unknown command" error, in Redis 7.0's words, with the client's bytes raw.
fn unknown_command(args: &Args) -> Vec<u8> {
    let mut list: Vec<u8> = Vec::new();
    for a in args.from(1) {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        list.push(b'\'');
        list.extend_from_slice(c_str(a, room));
        list.extend_from_slice(b"' ");
    }
    let mut e = b"ERR unknown command '".to_vec();
    e.extend_from_slice(c_str(args.get(0), 128));
    e.extend_from_slice(b"', with args beginning with: ");
    e.extend_from_slice(&list);
    e
}

/// Resolves the command row of a call, or the error to reply.
pub fn resolve(args: &Args) -> Result<&'static CommandDef, Vec<u8>> {
    let Some(base) = TABLE.get(args.get(0)) else {
        return Err(unknown_command(args));
    };
    let cmd = if !base.subcommands.is_empty() && args.len() >= 2 {
        match Table::sub(base, args.get(1)) {
            Some(s) => s,
            None => {
                let mut e = b"ERR unknown subcommand '".to_vec();
                e.extend_from_slice(c_str(args.get(1), 128));
                e.extend_from_slice(b"'. Try ");
                e.extend_from_slice(base.name.to_ascii_uppercase().as_bytes());
                e.extend_from_slice(b" HELP.");
                return Err(e);
            }
        }
    } else {
        base
    };
    if !cmd.arity_ok(args.len()) {
        return Err(Error::Arity(full_name(args, cmd)).to_string().into_bytes());
    }
    Ok(cmd)
}

/// "get", or "config|get" for a subcommand.
pub fn full_name(args: &Args, cmd: &'static CommandDef) -> String {
    if std::ptr::eq(cmd, TABLE.get(args.get(0)).unwrap_or(cmd)) {
        cmd.name.to_string()
    } else {
        format!(
            "{}|{}",
            String::from_utf8_lossy(args.get(0)).to_ascii_lowercase(),
            cmd.name
        )
    }
}

/// Asks the CPU to start loading what a batch of pipelined commands will touch, before
/// the first of them runs, so that their cache misses overlap instead of adding up:
/// the keyspace slots of each command's keys (at most the first four), then the entries
/// in them, then for hash commands on a hash in table form the slot of the field.
/// Nothing here changes any state; `scratch` only lends its allocation.
pub fn prefetch_batch<'a>(
    store: &Store,
    db: usize,
    batch: impl Iterator<Item = Args<'a>> + Clone,
    scratch: &mut Vec<u64>,
) {
    let Some(d) = store.db_at(db) else {
        return;
    };
    scratch.clear();
    let mut fields = false;
    for args in batch.clone() {
        let Some(cmd) = keyed_command(&args) else {
            continue;
        };
        fields |= names_a_field(cmd);
        for i in cmd.fixed_keys(args.len()).take(4) {
            scratch.push(d.keys.prefetch(args.get(i)));
        }
    }
    for &h in scratch.iter() {
        d.keys.prefetch_entry(h);
    }
    if !fields {
        return;
    }
    // The keys' entries are (being) loaded: find the hashes and start on their fields.
    let mut tables: [(Option<&Dict<Sds>>, u64); 32] = [(None, 0); 32];
    let mut n = 0;
    for args in batch {
        let Some(slot) = tables.get_mut(n) else {
            break;
        };
        let Some(cmd) = keyed_command(&args) else {
            continue;
        };
        if args.len() < 3 || !names_a_field(cmd) {
            continue;
        }
        if let Some(Value::Hash(h)) = d.keys.get(args.get(1)) {
            if let Some(t) = h.table() {
                *slot = (Some(t), t.prefetch(args.get(2)));
                n += 1;
            }
        }
    }
    for &(t, h) in tables.iter().take(n) {
        if let Some(t) = t {
            t.prefetch_entry(h);
        }
    }
}

/// The row of a command with keys at fixed positions.
#[inline]
fn keyed_command(args: &Args) -> Option<&'static CommandDef> {
    if args.is_empty() {
        return None;
    }
    let cmd = TABLE.get(args.get(0))?;
    (cmd.first_key > 0 && cmd.subcommands.is_empty() && cmd.keys_fn.is_none()).then_some(cmd)
}

/// Hash commands whose third argument is a field name, as their row says.
fn names_a_field(cmd: &CommandDef) -> bool {
    cmd.is(flags::HASH_FIELD)
}

/// Runs one command from a client and appends its reply to `out`.
pub fn process_command(
    store: &mut Store,
    core: &mut Core,
    client: &mut Client,
    out: &mut Vec<u8>,
    args: Args,
) {
    client.last_interaction = core.loop_now;
    let mode = client.reply_mode;
    // CLIENT REPLY SKIP applies to the command after it.
    match client.reply_mode {
        ReplyMode::SkipNext => client.reply_mode = ReplyMode::Skip,
        ReplyMode::Skip => client.reply_mode = ReplyMode::On,
        _ => {}
    }
    let silent = client.reply_mode != ReplyMode::On;
    let mark = out.len();
    run(store, core, client, out, args);
    if client.postponed {
        // It runs again, whole, when the pause ends.
        client.reply_mode = mode;
        return;
    }
    if silent && client.reply_mode != ReplyMode::On && !client.reply_is_push {
        // Pushes the command caused (RESP3 messages to itself) are not replies.
        if client.resp3 {
            crate::resp::reply::keep_pushes(out, mark);
        } else {
            out.truncate(mark);
        }
    }
    client.reply_is_push = false;
}

/// A command refused before running: the error, and a pending transaction is doomed.
fn reject(
    core: &mut Core,
    client: &mut Client,
    out: &mut Vec<u8>,
    text: &[u8],
    cmd: Option<&'static CommandDef>,
) {
    core.stats.rejected_calls += 1;
    if let Some(c) = cmd {
        core.cmd_stats.row(c).rejected_calls += 1;
    }
    crate::commands::server::record_error(core, &String::from_utf8_lossy(text));
    if let Some(m) = client.multi.as_mut() {
        m.abort = true;
    }
    Reply::new(out, client.resp3).error_bytes(text);
}

fn run(store: &mut Store, core: &mut Core, client: &mut Client, out: &mut Vec<u8>, args: Args) {
    let cmd = match resolve(&args) {
        Ok(c) => c,
        Err(e) => {
            // A known command with the wrong arity still counts in its statistics.
            let known = TABLE.get(args.get(0)).and_then(|b| {
                if !b.subcommands.is_empty() && args.len() >= 2 {
                    Table::sub(b, args.get(1))
                } else {
                    Some(b)
                }
            });
            return reject(core, client, out, &e, known);
        }
    };
    if !client.authenticated && core.auth_required() && !cmd.is(flags::NO_AUTH) {
        return reject(
            core,
            client,
            out,
            Error::NoAuth.to_string().as_bytes(),
            Some(cmd),
        );
    }
    if client.multi.is_some() && cmd.is(flags::NO_MULTI) {
        return reject(
            core,
            client,
            out,
            b"ERR Command not allowed inside a transaction",
            Some(cmd),
        );
    }
    // A script's flags replace its command's (Redis's getCommandFlags).
    let cflags = if cmd.is(flags::SCRIPT_FLAGS) {
        crate::commands::scripting::command_flags(&core.scripting, cmd, &args)
    } else {
        cmd.flags
    };
    // Not while a busy script runs: its effects would mix with the evictions' DELs.
    if core.config.maxmemory != 0
        && core.busy.is_none()
        && !core.evict.fits(core.config.maxmemory)
        && refused_for_memory(store, core, client, out, cmd, cflags)
    {
        return;
    }
    if client.subscriptions > 0 && !client.resp3 && !cmd.is(flags::SUBSCRIBED_OK) {
        let text = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            full_name(&args, cmd)
        );
        return reject(core, client, out, text.as_bytes(), Some(cmd));
    }
    if store.loading && !cmd.is(flags::LOADING) {
        return reject(
            core,
            client,
            out,
            b"LOADING Redis is loading the dataset in memory",
            Some(cmd),
        );
    }
    // The AOF cannot be written: writes (and PING, so monitoring notices) are refused
    // until it can, as Redis's MISCONF.
    if cflags & (flags::WRITE | flags::MISCONF) != 0
        || (cmd.is(flags::EXEC)
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.cmds.iter().any(|(_, c)| c.is(flags::WRITE))))
    {
        if let Some(e) = core.aof.deny_writes_error() {
            let text = e.to_string();
            if cmd.is(flags::EXEC) {
                // Redis's execCommandAbort: the transaction is discarded.
                discard_transaction(store, client);
                let text = format!("EXECABORT Transaction discarded because of: {text}");
                return reject(core, client, out, text.as_bytes(), Some(cmd));
            }
            return reject(core, client, out, text.as_bytes(), Some(cmd));
        }
    }
    // A script runs past busy-reply-threshold and we are serving from inside it: only
    // ALLOW_BUSY commands run (MULTI among them, so a pipelined transaction is doomed
    // rather than half refused; EXEC is refused with EXECABORT), as in Redis.
    if let Some(busy) = core.busy {
        if !cmd.is(flags::ALLOW_BUSY) {
            let text = busy.error();
            if cmd.is(flags::EXEC) {
                discard_transaction(store, client);
                let text = format!("EXECABORT Transaction discarded because of: {text}");
                return reject(core, client, out, text.as_bytes(), Some(cmd));
            }
            return reject(core, client, out, text.as_bytes(), Some(cmd));
        }
    }
    // CLIENT PAUSE holds the command back (before MULTI queues it, as in Redis).
    if core
        .pause
        .is_some_and(|p| p.end > core.loop_now && (p.all || may_replicate(cmd, cflags, client)))
    {
        client.postponed = true;
        return;
    }
    if let Some(m) = client.multi.as_mut() {
        if !cmd.is(flags::NO_QUEUE) {
            m.cmds.push((args.to_owned(), cmd));
            Reply::new(out, client.resp3).simple("QUEUED");
            return;
        }
    }
    call(store, core, client, out, args, cmd);
}

/// Whether a command may change data or propagate (what CLIENT PAUSE WRITE holds back):
/// write commands, the may-replicate ones (PUBLISH, PFCOUNT), and an EXEC of either.
fn may_replicate(cmd: &CommandDef, cflags: u32, client: &Client) -> bool {
    let writes = |c: &CommandDef| c.is(flags::WRITE) || c.is(flags::MAY_REPLICATE);
    cflags & (flags::WRITE | flags::MAY_REPLICATE) != 0
        || (cmd.is(flags::EXEC)
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.cmds.iter().any(|(_, c)| writes(c))))
}

/// Redis's execCommandAbort: the transaction and the client's WATCHes are dropped.
fn discard_transaction(store: &mut Store, client: &mut Client) {
    client.multi = None;
    let me = client.cref();
    for w in client.watched.drain(..) {
        let k = (w.db, w.key);
        if let Some(v) = store.watched_keys.get_mut(&k) {
            v.retain(|&t| t != me);
            if v.is_empty() {
                store.watched_keys.remove(&k);
            }
        }
    }
    client.dirty_cas = false;
    store.update_tracking();
}

/// The maxmemory check before a command (Redis processCommand): evicts what the policy
/// allows, delivers the evictions' effects, and when memory is still over the limit
/// refuses a DENYOOM command (EXEC when a queued command is one), or anything but
/// EXEC/DISCARD/QUIT/RESET inside MULTI. True when the command was refused.
#[inline(never)]
fn refused_for_memory(
    store: &mut Store,
    core: &mut Core,
    client: &mut Client,
    out: &mut Vec<u8>,
    cmd: &'static CommandDef,
    cflags: u32,
) -> bool {
    use super::evict::{perform_evictions, Outcome};
    let evicted = store.stats.evicted;
    let oom = perform_evictions(store, core) == Outcome::Fail;
    if store.stats.evicted != evicted {
        deliver_effects(store, core, client, out);
    }
    if !oom {
        return false;
    }
    let is_exec = cmd.is(flags::EXEC);
    let denyoom = cflags & flags::DENYOOM != 0
        || (is_exec
            && client
                .multi
                .as_ref()
                .is_some_and(|m| m.cmds.iter().any(|(_, c)| c.is(flags::DENYOOM))));
    let queuing = client.multi.is_some() && !cmd.is(flags::ENDS_MULTI);
    if !denyoom && !queuing {
        return false;
    }
    let text = super::evict::OOM_ERROR;
    if is_exec {
        discard_transaction(store, client);
        let text = format!("EXECABORT Transaction discarded because of: {text}");
        reject(core, client, out, text.as_bytes(), Some(cmd));
    } else {
        reject(core, client, out, text.as_bytes(), Some(cmd));
    }
    true
}

/// Delivers what changes made outside a handler left in `store`: DELs for the AOF,
/// then the signals (`deliver_signals`).
fn deliver_effects(store: &mut Store, core: &mut Core, client: &mut Client, out: &mut Vec<u8>) {
    for (d, c) in store.drain_propagate() {
        core.aof.feed_sds(d, &c);
    }
    deliver_signals(store, core, client, out);
}

/// WATCH and blocked-client signals of the keys touched, and keyspace events, after a
/// command (or an eviction before one) changed data.
#[inline]
fn deliver_signals(store: &mut Store, core: &mut Core, client: &mut Client, out: &mut Vec<u8>) {
    if store.has_touched() {
        core.process_touched(store, client);
    }
    if store.has_events() {
        let mut events = store.take_events();
        core.publish_events(&mut events, Some(Current { client, out }));
        store.recycle_events(events);
    }
}

/// What a command run inside another one may not do, beyond what any command must pass.
/// EXEC's queued commands run with no extra rule; a script's `redis.call` with
/// `deny_noscript`, and with `deny_writes` / `deny_oom` as its flags decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NestedRules {
    /// Refuse commands flagged `noscript`.
    pub deny_noscript: bool,
    /// Refuse write commands (read-only scripts).
    pub deny_writes: bool,
    /// Refuse `denyoom` commands while used memory is over maxmemory.
    pub deny_oom: bool,
}

/// Why a nested command was refused before it ran; `Display` gives Redis's words as a
/// script sees them (without the script decorations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Arity,
    NoScript,
    ReadOnly,
    Oom,
    /// The AOF cannot be written (MISCONF); the text is the whole error.
    Misconf(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refused::Unknown => "ERR Unknown Redis command called from script",
            Refused::Arity => "ERR Wrong number of args calling Redis command from script",
            Refused::NoScript => "ERR This Redis command is not allowed from script",
            Refused::ReadOnly => "ERR Write commands are not allowed from read-only scripts.",
            Refused::Oom => super::evict::OOM_ERROR,
            Refused::Misconf(text) => text,
        })
    }
}

/// Runs `args` as a command inside the running one (a script's `redis.call`): looks it
/// up, checks its arity and `rules`, then runs it through `call`, so MONITOR, statistics,
/// SLOWLOG, propagation, keyspace events and WATCH/blocked-client signals are those of a
/// client's command. `client` is the nested command's client (not necessarily a socket's:
/// a script has its own); its reply is appended to `out`. A refusal writes nothing: it
/// counts as a rejected call and an error reply (once), and the caller words it.
pub fn call_nested(
    store: &mut Store,
    core: &mut Core,
    client: &mut Client,
    out: &mut Vec<u8>,
    args: Args,
    rules: NestedRules,
) -> Result<(), Refused> {
    let cmd = match (args.is_empty(), args.opt(0).and_then(|n| TABLE.get(n))) {
        (false, Some(base)) => match args.opt(1) {
            Some(sub) if !base.subcommands.is_empty() => {
                Table::sub(base, sub).ok_or(Refused::Unknown)?
            }
            _ => base,
        },
        _ => return Err(Refused::Unknown),
    };
    if !cmd.arity_ok(args.len()) {
        return Err(refuse_nested(core, cmd, Refused::Arity));
    }
    run_nested(store, core, client, out, args, cmd, rules)
}

/// `call_nested` for a command already looked up (EXEC's queue holds resolved rows).
pub fn run_nested(
    store: &mut Store,
    core: &mut Core,
    client: &mut Client,
    out: &mut Vec<u8>,
    args: Args,
    cmd: &'static CommandDef,
    rules: NestedRules,
) -> Result<(), Refused> {
    if rules.deny_noscript && cmd.is(flags::NOSCRIPT) {
        return Err(refuse_nested(core, cmd, Refused::NoScript));
    }
    if cmd.is(flags::WRITE) {
        if rules.deny_writes {
            return Err(refuse_nested(core, cmd, Refused::ReadOnly));
        }
        if let Some(text) = core.aof.deny_writes_error() {
            return Err(refuse_nested(core, cmd, Refused::Misconf(text.to_string())));
        }
    }
    if rules.deny_oom
        && cmd.is(flags::DENYOOM)
        && core.config.maxmemory != 0
        && !core.evict.fits(core.config.maxmemory)
    {
        return Err(refuse_nested(core, cmd, Refused::Oom));
    }
    call(store, core, client, out, args, cmd);
    Ok(())
}

/// Counts a nested refusal (the row's rejected calls, the error statistics).
fn refuse_nested(core: &mut Core, cmd: &'static CommandDef, why: Refused) -> Refused {
    core.stats.rejected_calls += 1;
    core.cmd_stats.row(cmd).rejected_calls += 1;
    crate::commands::server::record_error(core, &why.to_string());
    why
}

/// Executes a resolved command: the handler, statistics, propagation.
pub fn call(
    store: &mut Store,
    core: &mut Core,
    client: &mut Client,
    out: &mut Vec<u8>,
    args: Args,
    cmd: &'static CommandDef,
) {
    // EVAL, FCALL... are skip_monitor, yet Redis shows them first thing, before any of
    // their checks and the commands they run.
    if cmd.is(flags::SCRIPT_FLAGS) && !core.monitors.is_empty() && !store.loading {
        core.feed_monitors(client, &args);
    }
    let saved_db = store.cur;
    store.cur = client.db;
    // The end of the previous command of a pipelined batch is this one's start: one
    // clock read per command instead of two.
    let start = match std::mem::take(&mut core.clock_carry) {
        0 => crate::util::clock::mono_ns(),
        t => t,
    };
    store.now = core.anchor.real_ms(start);
    let dirty = store.dirty();
    let resp3 = client.resp3;
    let mut ctx = Ctx {
        store,
        srv: core,
        client,
        reply: Reply::new(out, resp3),
        cmd,
        propagate: Propagate::AsIs,
    };
    let res = (cmd.handler)(&mut ctx, &args);
    let failed = res.is_err();
    if let Err(e) = res {
        let text = e.to_string();
        crate::commands::server::record_error(ctx.srv, &text);
        ctx.reply.error(&text);
    }
    let propagate = std::mem::take(&mut ctx.propagate);
    let db = ctx.client.db;
    let end = crate::util::clock::mono_ns();
    let usec = end.saturating_sub(start) / 1000;
    let (store, core, client, out) = (ctx.store, ctx.srv, ctx.client, ctx.reply.buf);
    client.last_cmd = TABLE.full_name(cmd);
    // MONITOR sees a command once it ran, as in Redis: EXEC after the commands it ran,
    // SELECT with the database it selected. Commands replayed from the AOF (DEBUG
    // LOADAOF) are not shown; scripts were shown before they ran (above).
    if !core.monitors.is_empty() && !store.loading && !cmd.is(flags::SKIP_MONITOR | flags::ADMIN) {
        core.feed_monitors(client, &args);
    }

    // Feed the AOF: deletions found on the way first, then the command if it changed data.
    if store.has_propagate() {
        for (d, c) in store.drain_propagate() {
            core.aof.feed_sds(d, &c);
        }
    }
    if store.dirty() != dirty {
        match propagate {
            Propagate::AsIs => core.aof.feed_args(db, &args),
            Propagate::Never => {}
            Propagate::Rewrite(cmds) => {
                for c in cmds {
                    core.aof.feed_sds(db, &c);
                }
            }
        }
    }

    core.stats.total_commands_processed += 1;
    let st = core.cmd_stats.row(cmd);
    st.calls += 1;
    st.usec += usec;
    // A command that blocks is timed when it is served, not now (as in Redis).
    if core.config.latency_tracking && client.block_request.is_none() {
        st.latency
            .get_or_insert_with(Default::default)
            .record(end.saturating_sub(start));
    }
    if failed {
        st.failed_calls += 1;
        core.stats.failed_calls += 1;
    }
    if !cmd.is(flags::SKIP_SLOWLOG) {
        core.slowlog_push(client, &args, usec);
    }
    crate::commands::server::latency::record_command(core, cmd, usec);
    core.clock_carry = end;
    if let Some((keys, timeout)) = client.block_request.take() {
        core.block_client(store, client, keys, timeout, args, cmd);
    }
    deliver_signals(store, core, client, out);
    store.cur = saved_db;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::OwnedArgs;
    use crate::config::Config;

    fn nested(
        store: &mut Store,
        core: &mut Core,
        client: &mut Client,
        words: &str,
        rules: NestedRules,
    ) -> Result<String, Refused> {
        let owned: OwnedArgs = words.split(' ').map(str::as_bytes).collect();
        let mut out = Vec::new();
        call_nested(store, core, client, &mut out, owned.args(), rules)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn nested_commands_run_through_call_with_their_own_client() {
        let mut store = Store::new(16);
        let mut core = Core::new(Config::default());
        let mut script = Client {
            addr: "lua".into(),
            db: 3,
            ..Client::default()
        };
        let none = NestedRules::default();
        let s = &mut store;
        assert_eq!(
            nested(s, &mut core, &mut script, "SET k v", none).as_deref(),
            Ok("+OK\r\n")
        );
        assert_eq!(
            nested(s, &mut core, &mut script, "get k", none).as_deref(),
            Ok("$1\r\nv\r\n")
        );
        // The script's database, not the caller's; changes and statistics as for a client.
        assert!(store.db_at(3).is_some_and(|d| d.keys.contains_key(b"k")));
        assert_eq!(store.dirty(), 1);
        let set = TABLE.get(b"set").expect("set");
        assert_eq!(core.cmd_stats.get(set).map(|st| st.calls), Some(1));
        assert_eq!(script.last_cmd, "get");
    }

    #[test]
    fn nested_refusals_are_counted_and_worded_as_redis() {
        let mut store = Store::new(16);
        let mut core = Core::new(Config::default());
        let mut c = Client::default();
        let script = NestedRules {
            deny_noscript: true,
            ..NestedRules::default()
        };
        let read_only = NestedRules {
            deny_writes: true,
            ..script
        };
        let cases = [
            ("nosuch x", script, Refused::Unknown),
            ("", script, Refused::Unknown),
            ("get", script, Refused::Arity),
            ("get a b", script, Refused::Arity),
            ("config get maxmemory", script, Refused::NoScript),
            ("multi", script, Refused::NoScript),
            ("set a b", read_only, Refused::ReadOnly),
        ];
        for (words, rules, want) in cases {
            assert_eq!(
                nested(&mut store, &mut core, &mut c, words, rules),
                Err(want),
                "{words}"
            );
        }
        assert_eq!(
            Refused::Arity.to_string(),
            "ERR Wrong number of args calling Redis command from script"
        );
        let get = TABLE.get(b"get").expect("get");
        let st = core.cmd_stats.get(get).expect("stats");
        assert_eq!((st.calls, st.rejected_calls), (0, 2));
        assert!(store.db_at(0).is_some_and(|d| d.is_empty()));
        // Without the script's rules the same commands run.
        let none = NestedRules::default();
        assert_eq!(
            nested(&mut store, &mut core, &mut c, "set a b", none).as_deref(),
            Ok("+OK\r\n")
        );
    }

    #[test]
    fn field_commands_are_marked() {
        let mut found: Vec<&str> = TABLE
            .all
            .iter()
            .filter(|c| names_a_field(c))
            .map(|c| c.name)
            .collect();
        found.sort_unstable();
        assert_eq!(
            found,
            [
                "hdel",
                "hexists",
                "hget",
                "hincrby",
                "hincrbyfloat",
                "hmget",
                "hmset",
                "hset",
                "hsetnx",
                "hstrlen"
            ]
        );
    }
}
