//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//!
//! Queueing itself happens in the dispatcher (`server::call`), which sees MULTI state
//! before any handler; EXEC runs the queued commands through the same `call` as any
//! command, so statistics, propagation and keyspace events behave the same. The AOF gets
//! the transaction wrapped in MULTI ... EXEC.

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Propagate};
use crate::error::{CmdResult, Error};
use crate::server::client::{MultiState, Watched};
use crate::store::bytes::Sds;

const TX_FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

pub const COMMANDS: &[CommandDef] = &[
    cmd("multi", 1, TX_FLAGS, multi).doc("transactions", "1.2.0", "Starts a transaction.", ""),
    cmd("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG, exec).doc(
        "transactions",
        "1.2.0",
        "Executes all commands in a transaction.",
        "",
    ),
    cmd("discard", 1, TX_FLAGS, discard).doc(
        "transactions",
        "2.0.0",
        "Discards a transaction.",
        "",
    ),
    cmd("watch", -2, TX_FLAGS, watch).keys(1, -1, 1).doc(
        "transactions",
        "2.2.0",
        "Monitors changes to keys to determine the execution of a transaction.",
        "key [key ...]",
    ),
    cmd("unwatch", 1, TX_FLAGS, unwatch).doc(
        "transactions",
        "2.2.0",
        "Forgets about watched keys of a transaction.",
        "",
    ),
];

/// MULTI
fn multi(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(Error::msg("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(MultiState::default());
    ctx.reply.ok();
    Ok(())
}

/// Forgets every key the client watches.
pub fn unwatch_all(ctx: &mut Ctx) {
    let me = ctx.client.cref();
    for w in ctx.client.watched.drain(..) {
        let k = (w.db, w.key);
        if let Some(v) = ctx.store.watched_keys.get_mut(&k) {
            v.retain(|&t| t != me);
            if v.is_empty() {
                ctx.store.watched_keys.remove(&k);
            }
        }
    }
    ctx.client.dirty_cas = false;
    ctx.store.update_tracking();
}

/// Whether a watched key has logically expired since it was watched.
fn watched_key_expired(ctx: &mut Ctx) -> bool {
    let now = ctx.store.now;
    ctx.client.watched.iter().any(|w| {
        !w.expired_at_watch
            && ctx.store.dbs[w.db]
                .expire_at(&w.key)
                .is_some_and(|when| when < now)
    })
}

/// EXEC
fn exec(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.propagate = Propagate::Never;
    let Some(m) = ctx.client.multi.take() else {
        return Err(Error::msg("ERR EXEC without MULTI"));
    };
    if m.abort {
        unwatch_all(ctx);
        return Err(Error::msg(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if ctx.client.dirty_cas || watched_key_expired(ctx) {
        unwatch_all(ctx);
        ctx.reply.null_array();
        return Ok(());
    }
    unwatch_all(ctx);
    ctx.reply.array(m.cmds.len());
    ctx.client.in_exec = true;
    ctx.srv.aof.begin_exec();
    for (args, cmd) in &m.cmds {
        crate::server::call::call(
            ctx.store,
            ctx.srv,
            ctx.client,
            ctx.reply.buf,
            args.args(),
            cmd,
        );
        // A command in the transaction may have switched protocol (HELLO).
        ctx.reply.resp3 = ctx.client.resp3;
    }
    ctx.srv.aof.end_exec();
    ctx.client.in_exec = false;
    Ok(())
}

/// DISCARD
fn discard(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    if ctx.client.multi.take().is_none() {
        return Err(Error::msg("ERR DISCARD without MULTI"));
    }
    unwatch_all(ctx);
    ctx.reply.ok();
    Ok(())
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(Error::msg("ERR WATCH inside MULTI is not allowed"));
    }
    let db = ctx.client.db;
    let now = ctx.store.now;
    for key in a.from(1) {
        if ctx
            .client
            .watched
            .iter()
            .any(|w| w.db == db && w.key.as_slice() == key)
        {
            continue;
        }
        let expired = ctx.store.dbs[db]
            .expire_at(key)
            .is_some_and(|when| when < now);
        ctx.client.watched.push(Watched {
            db,
            key: Sds::from(key),
            expired_at_watch: expired,
        });
        ctx.store
            .watched_keys
            .entry((db, Sds::from(key)))
            .or_default()
            .push(ctx.client.cref());
    }
    ctx.store.update_tracking();
    ctx.reply.ok();
    Ok(())
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    unwatch_all(ctx);
    ctx.reply.ok();
    Ok(())
}
