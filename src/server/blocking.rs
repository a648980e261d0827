//! Blocking commands (BLPOP and friends) and WATCH invalidation.
//!
//! A handler that finds nothing to serve calls `Ctx::block(keys, timeout)` and writes no
//! reply. The dispatcher then parks the client: its command is kept, its keys are
//! registered in `Store::blocking_keys` in arrival order, and its further pipelined input
//! waits. A write signals the key (`Store::signal_modified`); after the command the loop
//! re-runs each parked command on that key, oldest first, while the key still holds a
//! value of the awaited type. A re-run that finds nothing parks the client again with its
//! original deadline. Deadlines are checked every iteration, and the poll never sleeps
//! past the nearest one.

use super::client::{Blocked, Client, ClientRef};
use super::event_loop::Lp;
use super::Core;
use crate::commands::{Args, BlockOn, CommandDef, Ctx};
use crate::error::Error;
use crate::resp::reply::Reply;
use crate::store::bytes::Sds;
use crate::store::Store;
use crate::util::num::parse_f64;
use std::time::{Duration, Instant};

/// Parses a blocking timeout in seconds (fractions allowed; 0 = forever), with Redis's
/// error texts.
pub fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, Error> {
    let secs =
        parse_f64(arg).ok_or_else(|| Error::msg("ERR timeout is not a float or out of range"))?;
    // Redis converts seconds*1000 to a 64-bit integer; a value outside that range (an
    // infinity, 1e30) comes out as the most negative integer, hence "negative".
    let ms = secs * 1000.0;
    let ms = if ms.is_finite() && ms > -9.2e18 && ms < 9.2e18 {
        ms as i64
    } else {
        i64::MIN
    };
    if ms < 0 {
        return Err(Error::msg("ERR timeout is negative"));
    }
    Ok(if ms == 0 {
        None
    } else {
        Some(Duration::from_millis(ms as u64))
    })
}

impl Ctx<'_> {
    /// Asks to block the client on `keys` until one is ready or `timeout` passes. Returns
    /// false when blocking is not allowed (inside MULTI/EXEC): the handler then replies as
    /// on a timeout.
    pub fn block(&mut self, keys: &[&[u8]], timeout: Option<Duration>) -> bool {
        if self.client.in_exec {
            return false;
        }
        let keys = keys.iter().map(|k| Sds::from(*k)).collect();
        self.client.block_request = Some((keys, timeout));
        true
    }
}

/// The value type a blocked command waits for, as its row says (a list for a row that
/// does not say).
fn awaited_type(cmd: &CommandDef) -> &'static str {
    cmd.blocks_on.unwrap_or(BlockOn::List).type_name()
}

impl Core {
    /// Ends the CLIENT PAUSE (its time is up, or CLIENT UNPAUSE): every client it held
    /// goes back to its input, oldest first, starting with the command that waited.
    pub fn resume_paused(&mut self, store: &mut Store) {
        self.pause = None;
        store.keep_expired = false;
        for t in std::mem::take(&mut self.paused) {
            if let Some(c) = self.conn_mut(t) {
                if c.s.client.postponed {
                    c.s.client.postponed = false;
                    self.unblocked.push(t);
                }
            }
        }
    }

    /// Unblocks the client now at slab key `token` (blocked on keys) with the timeout
    /// reply, or with an error (CLIENT UNBLOCK ERROR); false if it was not blocked on keys.
    pub(super) fn unblock_with(
        &mut self,
        store: &mut Store,
        token: usize,
        error: Option<&str>,
    ) -> bool {
        let Some(conn) = self.conns.get_mut(token) else {
            return false;
        };
        let me = conn.cref(token);
        let Some(b) = conn.s.client.blocked.take() else {
            return false;
        };
        let resp3 = conn.s.client.resp3;
        match error {
            Some(e) => Reply::new(&mut conn.s.wbuf, resp3).error(e),
            None => Reply::new(&mut conn.s.wbuf, resp3).null_array(),
        }
        if let Some(e) = error {
            crate::commands::server::record_error(self, e);
            self.cmd_stats.row(b.cmd).failed_calls += 1;
            self.stats.failed_calls += 1;
        }
        unregister(store, self, me, &b);
        self.unblocked.push(me);
        self.queue_write(token);
        true
    }

    /// CLIENT UNBLOCK: `unblock_with` for the client with this id, if it is blocked on
    /// keys (one held by CLIENT PAUSE stays held); false if there is no such client.
    pub fn unblock_by_id(&mut self, store: &mut Store, id: i64, error: Option<&str>) -> bool {
        let target = self
            .conns
            .iter()
            .find(|(_, c)| c.s.client.id as i64 == id && c.s.client.blocked.is_some())
            .map(|(t, _)| t);
        target.is_some_and(|t| self.unblock_with(store, t, error))
    }

    /// Parks a client whose handler asked to block.
    pub(super) fn block_client(
        &mut self,
        store: &mut Store,
        client: &mut Client,
        keys: Vec<Sds>,
        timeout: Option<Duration>,
        args: Args,
        cmd: &'static CommandDef,
    ) {
        let db = client.db;
        let me = client.cref();
        for k in &keys {
            let q = store.blocking_keys.entry((db, k.clone())).or_default();
            if !q.contains(&me) {
                q.push_back(me);
            }
        }
        store.update_tracking();
        client.blocked = Some(Blocked {
            db,
            keys,
            // A deadline too far to represent is as good as none.
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
            args: args.to_owned(),
            cmd,
        });
        if !self.blocked.contains(&me) {
            self.blocked.push(me);
        }
    }

    /// Acts on the keys the last command signalled: WATCHers are invalidated, keys with
    /// blocked clients become ready.
    pub(super) fn process_touched(&mut self, store: &mut Store, cur: &mut Client) {
        for (db, key) in store.take_touched() {
            let k = (db, key);
            if let Some(watchers) = store.watched_keys.get(&k) {
                let me = cur.cref();
                for &t in watchers {
                    if t == me {
                        cur.dirty_cas = true;
                    } else if let Some(c) = self.conn_mut(t) {
                        c.s.client.dirty_cas = true;
                    }
                }
            }
            if store.blocking_keys.contains_key(&k) && !store.ready_keys.contains(&k) {
                store.ready_keys.push(k);
            }
        }
    }
}

/// Removes a client from the blocking registry.
pub(super) fn unregister(store: &mut Store, core: &mut Core, me: ClientRef, b: &Blocked) {
    for k in &b.keys {
        let key = (b.db, k.clone());
        if let Some(q) = store.blocking_keys.get_mut(&key) {
            q.retain(|&t| t != me);
            if q.is_empty() {
                store.blocking_keys.remove(&key);
            }
        }
    }
    core.blocked.retain(|&t| t != me);
    store.update_tracking();
}

impl Lp<'_> {
    /// Serves clients blocked on keys that became ready, oldest first.
    pub(super) fn handle_ready_keys(&mut self) {
        while !self.store.ready_keys.is_empty() {
            let ready = std::mem::take(&mut self.store.ready_keys);
            for (db, key) in ready {
                // Each client is tried once per readiness signal.
                let waiting: Vec<ClientRef> = match self.store.blocking_keys.get(&(db, key.clone()))
                {
                    Some(q) => q.iter().copied().collect(),
                    None => continue,
                };
                for t in waiting {
                    let want = match self.core.conn(t).and_then(|c| c.s.client.blocked.as_ref()) {
                        Some(b) => awaited_type(b.cmd),
                        None => continue,
                    };
                    let holds = self
                        .store
                        .db_at(db)
                        .and_then(|d| d.keys.get(&key))
                        .is_some_and(|v| v.type_name() == want);
                    if !holds {
                        break;
                    }
                    self.rerun_blocked(t);
                }
            }
        }
    }

    /// Runs a parked command again; it either replies or parks again.
    fn rerun_blocked(&mut self, me: ClientRef) {
        let Some(conn) = self.core.conn_mut(me) else {
            return;
        };
        let Some(b) = conn.s.client.blocked.take() else {
            return;
        };
        let mut s = std::mem::take(&mut conn.s);
        unregister(self.store, self.core, me, &b);
        let saved_db = s.client.db;
        s.client.db = b.db;
        super::call::call(
            self.store,
            self.core,
            &mut s.client,
            &mut s.wbuf,
            b.args.args(),
            b.cmd,
        );
        s.client.db = saved_db;
        if let Some(nb) = s.client.blocked.as_mut() {
            nb.deadline = b.deadline;
        } else {
            self.core.unblocked.push(me);
        }
        if let Some(conn) = self.core.conn_mut(me) {
            conn.s = s;
        }
        self.core.queue_write(me.key);
    }

    /// Times out blocked clients whose deadline passed.
    pub(super) fn check_blocked_timeouts(&mut self) {
        if self.core.blocked.is_empty() {
            return;
        }
        let now = Instant::now();
        let due: Vec<ClientRef> = self
            .core
            .blocked
            .iter()
            .copied()
            .filter(|&t| {
                self.core
                    .conn(t)
                    .and_then(|c| c.s.client.blocked.as_ref())
                    .and_then(|b| b.deadline)
                    .is_some_and(|d| d <= now)
            })
            .collect();
        for t in due {
            self.core.unblock_with(self.store, t.key, None);
        }
    }

    /// The nearest deadline of a blocked client, if any.
    pub(super) fn nearest_deadline(&self) -> Option<Instant> {
        let blocked = self
            .core
            .blocked
            .iter()
            .filter_map(|&t| self.core.conn(t)?.s.client.blocked.as_ref()?.deadline)
            .min();
        let pause = self.core.pause.map(|p| p.end);
        blocked.into_iter().chain(pause).min()
    }

    /// Ends a CLIENT PAUSE whose time is up: the clients it held run their commands.
    pub(super) fn check_pause_end(&mut self) {
        if self.core.pause.is_some_and(|p| p.end <= Instant::now()) {
            self.core.resume_paused(self.store);
        }
    }

    /// Processes the pending input of clients that were just unblocked.
    pub(super) fn process_unblocked(&mut self) {
        while !self.core.unblocked.is_empty() {
            for t in std::mem::take(&mut self.core.unblocked) {
                if self.core.conn(t).is_some() {
                    self.process_input(t.key);
                }
            }
        }
    }
}
