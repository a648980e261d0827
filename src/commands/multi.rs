//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//!
//! Queueing itself happens in the dispatcher (`server::call`), which sees MULTI state
//! before any handler; EXEC runs the queued commands through the same `call` as any
//! command, so statistics, propagation and keyspace events behave the same. The AOF gets
//! the transaction wrapped in MULTI ... EXEC.

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group, Propagate};
use crate::error::{CmdResult, Error};
use crate::server::call::NestedRules;
use crate::server::client::{MultiState, Watched};
use crate::store::bytes::Sds;

const TX_FLAGS: u32 = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY;

pub const COMMANDS: &[CommandDef] = &[
    cmd("multi", 1, TX_FLAGS | NO_QUEUE | MULTI_MARKER, multi)
        .docs(&docs::MULTI)
        .group(Group::Transactions),
    cmd(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG | NO_QUEUE | ENDS_MULTI | EXEC,
        exec,
    )
    .docs(&docs::EXEC)
    .group(Group::Transactions),
    cmd("discard", 1, TX_FLAGS | NO_QUEUE | ENDS_MULTI, discard)
        .docs(&docs::DISCARD)
        .group(Group::Transactions),
    cmd("watch", -2, TX_FLAGS | NO_QUEUE, watch)
        .docs(&docs::WATCH)
        .keys(1, -1, 1)
        .group(Group::Transactions),
    cmd("unwatch", 1, TX_FLAGS, unwatch)
        .docs(&docs::UNWATCH)
        .group(Group::Transactions),
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
            && ctx
                .store
                .db_at(w.db)
                .and_then(|d| d.expire_at(&w.key))
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
    ctx.srv.aof_begin_exec();
    for (args, cmd) in &m.cmds {
        // Checked when queued: the nested path adds no rule of its own.
        if let Err(refused) = ctx.run_nested(args.args(), cmd, NestedRules::default()) {
            ctx.reply.error(&refused.to_string());
        }
        // A command in the transaction may have switched protocol (HELLO).
        ctx.reply.resp3 = ctx.client.resp3;
    }
    ctx.srv.aof_end_exec();
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
        let expired = ctx
            .store
            .db_at(db)
            .and_then(|d| d.expire_at(key))
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

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const DISCARD: Docs = Docs {
        name: "discard",
        summary: "Discard all commands issued after MULTI",
        since: "2.0.0",
        complexity: "O(N), when N is the number of queued commands",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const EXEC: Docs = Docs {
        name: "exec",
        summary: "Execute all commands issued after MULTI",
        since: "1.2.0",
        complexity: "Depends on commands in the transaction",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const MULTI: Docs = Docs {
        name: "multi",
        summary: "Mark the start of a transaction block",
        since: "1.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const UNWATCH: Docs = Docs {
        name: "unwatch",
        summary: "Forget about all watched keys",
        since: "2.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const WATCH: Docs = Docs {
        name: "watch",
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        since: "2.2.0",
        complexity: "O(1) for every key.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0).multi()],
    };
}
// @generated end: COMMAND DOCS
