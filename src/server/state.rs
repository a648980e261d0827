//! The server state other than the keyspace (`Core`): configuration, connections, the
//! lists of clients waiting for something (MONITOR, blocked, paused, output to write),
//! statistics, the AOF feed, and the poll loop's handles (`io`). Commands reach it as
//! `ctx.srv`.
//!
//! The boundary: `Core`'s fields are private to `crate::server` (`pub(super)`), so the
//! loop, the dispatcher and the other files of `src/server/` use them directly and the
//! hot path pays nothing. Everything else goes through methods, grouped by concern in
//! the second `impl Core` below (and in `blocking.rs`, `pubsub.rs`); they do an
//! operation rather than hand out a collection. The loop's own operations (`conn`,
//! `queue_write`, `forget_conn`, `begin_running`/`end_running`/`take_deferred_close`
//! (see `io.rs`), `block_client`, `unblock_with`, `slowlog_push`, `feed_monitors`,
//! `publish_events`...) are `pub(super)` as well. The loop's handles (`io`: poll,
//! listeners, signals) are here too, so that the loop runs on a borrowed `Store` and
//! `Core` alone (`event_loop.rs`, `while_blocked.rs`). For commands:
//! - configuration: `config`, `set_config` (CONFIG SET), `rewrite_config`,
//!   `apply_aof_config`, `auth_required`;
//! - statistics: `stats`, `cmd_stats`, `reset_stats` (CONFIG RESETSTAT), `diag` and
//!   `diag_mut` (latency events, memory peak, error counts: the server commands own
//!   `Diagnostics`), `evict` (INFO);
//! - SLOWLOG: `slowlog_entries`, `slowlog_reset`, `slowlog_trim`;
//! - clients: `clients`, `client_at`, `client_count`, `kill_client`, `blocked_count`,
//!   `blocked_with_timeout`; MONITOR: `add_monitor`, `remove_monitor`, `monitors`;
//!   CLIENT PAUSE: `pause_clients` and `resume_paused`; CLIENT UNBLOCK: `unblock_by_id`
//!   (`blocking.rs`);
//! - Pub/Sub: `pubsub` to read, `subscribe`/`unsubscribe`/`publish`/`spublish`
//!   (`pubsub.rs`);
//! - persistence: `aof` (to read), `aof_enabled`, `aof_begin_exec`/`aof_end_exec`
//!   (EXEC), `bgrewriteaof`, `last_save`;
//! - the process: `request_shutdown`, `shutdown_requested`, `set_busy` and `busy` (a
//!   script past busy-reply-threshold), `set_active_expire`, `active_expire_enabled`,
//!   `run_id`, `port`, `started`, `executable`;
//! - replication ids: `replid`, `change_replid` (DEBUG CHANGE-REPL-ID);
//! - DEBUG's switches: `debug_switches`, `debug_switches_mut`; DEBUG LOADAOF:
//!   `debug_loadaof` (`aof_replay.rs`).
//!
//! Handlers of the data families read only `Ctx::config` and `Ctx::propagates`. Unit
//! tests set the configuration and the AOF switch with `config_mut` and
//! `set_aof_enabled` (test builds only).

use super::client::{Client, ClientRef};
use super::conn::{Conn, Session};
use super::stats::{CmdStats, SlowEntry, Stats};
use super::{evict, pubsub};
use crate::config::Config;
use crate::persistence::{AofError, AofFeed};
use crate::store::Store;
use slab::Slab;
use std::collections::VecDeque;
use std::io::Read;
use std::time::Instant;

/// Why and how the server stops: SHUTDOWN's flags, or those of `shutdown-on-sigint` /
/// `shutdown-on-sigterm` for a signal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shutdown {
    pub nosave: bool,
    pub save: bool,
    /// Do not wait for replicas (there are none to wait for).
    pub now: bool,
    /// Exit even when what should be written cannot be (the initial AOF still being
    /// written).
    pub force: bool,
    /// The client whose SHUTDOWN asked for it, which hears the error if the shutdown
    /// fails; None for a signal.
    pub by: Option<ClientRef>,
}

impl Shutdown {
    /// The shutdown a signal asks for, from its directive's flags (0 is `default`).
    pub fn from_flags(flags: u32) -> Shutdown {
        use crate::config::shutdown_flags as f;
        Shutdown {
            nosave: flags & f::NOSAVE != 0,
            save: flags & f::SAVE != 0,
            now: flags & f::NOW != 0,
            force: flags & f::FORCE != 0,
            by: None,
        }
    }
}

/// A CLIENT PAUSE: until when, and whether every command waits or only those that
/// may write (write commands, PUBLISH, PFCOUNT, an EXEC of such).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub end: Instant,
    pub all: bool,
}

/// Settings only DEBUG changes (Redis keeps them as server globals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebugSwitches {
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE and RDB loading skip the checksum.
    pub skip_checksum_validation: bool,
    /// DEBUG QUICKLIST-PACKED-THRESHOLD: list elements of this size or more go in
    /// nodes of their own (Redis's plain nodes; default 1GB).
    pub quicklist_packed_threshold: u64,
}

impl Default for DebugSwitches {
    fn default() -> DebugSwitches {
        DebugSwitches {
            skip_checksum_validation: false,
            quicklist_packed_threshold: 1 << 30,
        }
    }
}

/// The server state other than the keyspace.
pub struct Core {
    pub(super) config: Config,
    pub(super) conns: Slab<Conn>,
    pub(super) stats: Stats,
    pub(super) cmd_stats: CmdStats,
    /// Within a batch of pipelined commands, when the last one ended (`mono_ns`); the
    /// next one's start. 0 outside a batch.
    pub(super) clock_carry: u64,
    pub(super) aof: AofFeed,
    pub(super) started: Instant,
    pub(super) run_id: String,
    pub(super) next_client_id: u64,
    pub(super) shutdown: Option<Shutdown>,
    pub(super) slowlog: VecDeque<SlowEntry>,
    pub(super) slowlog_next_id: u64,
    /// MONITOR clients.
    pub(super) monitors: Vec<ClientRef>,
    pub(super) pubsub: pubsub::PubSub,
    /// Clients blocked on keys.
    pub(super) blocked: Vec<ClientRef>,
    /// Clients just unblocked whose pending input must be processed.
    pub(super) unblocked: Vec<ClientRef>,
    /// CLIENT PAUSE in force, if any.
    pub(super) pause: Option<Pause>,
    /// Clients whose next command waits for the pause to end (in arrival order).
    pub(super) paused: Vec<ClientRef>,
    /// Connections with output to write at the end of this iteration.
    pub(super) pending_writes: Vec<ClientRef>,
    /// Connections whose reading was capped (or that were just accepted) and must be
    /// read on next iteration.
    pub(super) pending_reads: Vec<ClientRef>,
    /// The TCP port actually bound.
    pub(super) port: u16,
    pub(super) last_save: i64,
    pub(super) executable: String,
    /// Latency events, memory peak and error counts (INFO, LATENCY).
    pub(super) diag: crate::commands::server::Diagnostics,
    /// The cron expires keys nobody reads (DEBUG SET-ACTIVE-EXPIRE turns it off).
    pub(super) active_expire_enabled: bool,
    /// The replication id INFO reports (random; DEBUG CHANGE-REPL-ID draws a new one).
    pub(super) replid: String,
    /// Settings only DEBUG changes.
    pub(super) debug_switches: DebugSwitches,
    /// Clock readings taken once per loop iteration.
    pub(super) loop_now: Instant,
    pub(super) anchor: crate::util::clock::Anchor,
    /// maxmemory: used-memory gauge and eviction state.
    pub(super) evict: evict::Evict,
    /// Lua scripting: EVAL's cache, FUNCTION's libraries, the running script.
    pub(super) scripting: crate::scripting::Scripting,
    /// The poll loop's handles (poll, listeners, signals, cron time).
    pub(super) io: super::event_loop::Io,
    /// The connection whose command runs now (the innermost, when the loop runs from
    /// inside a command: see `while_blocked.rs`); its `Conn::running` is set.
    pub(super) running: Option<ClientRef>,
    /// Running connections to close when their command ends (CLIENT KILL or an error
    /// meanwhile), as Redis's protected clients.
    pub(super) deferred_close: Vec<ClientRef>,
    /// A script runs past busy-reply-threshold: only ALLOW_BUSY commands are served.
    pub(super) busy: Option<Busy>,
    /// Recent peak input and output buffer sizes (INFO clients).
    pub(super) obuf_peaks: super::obuf::Peaks,
    /// What the connections take, as last counted (maxmemory-clients).
    pub(super) clients_mem: usize,
}

/// What keeps the server busy (the BUSY error names the command that stops it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// EVAL / EVALSHA: SCRIPT KILL stops it.
    Eval,
    /// FCALL: FUNCTION KILL stops it.
    Function,
}

impl Busy {
    /// The error refused commands get, as Redis words it.
    pub fn error(self) -> &'static str {
        match self {
            Busy::Eval => "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
            Busy::Function => "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
        }
    }
}

impl Core {
    /// Scripting state (EVAL cache, FUNCTION libraries, the running script).
    pub fn scripting(&self) -> &crate::scripting::Scripting {
        &self.scripting
    }

    pub fn scripting_mut(&mut self) -> &mut crate::scripting::Scripting {
        &mut self.scripting
    }

    /// Used memory is over maxmemory (Redis's pre-command OOM state).
    pub fn over_maxmemory(&mut self) -> bool {
        self.config.maxmemory != 0 && !self.evict.fits(self.config.maxmemory)
    }

    /// A script went past busy-reply-threshold: other clients get BUSY from now on.
    pub fn script_busy_started(&mut self, store: &mut Store, is_eval: bool) {
        self.busy = Some(if is_eval { Busy::Eval } else { Busy::Function });
        super::enter_blocked(store, self);
    }

    /// Serves other clients while a script runs past busy-reply-threshold (called from
    /// the script's hook). The script's own effects, fed to the AOF buffer as its
    /// commands ran, are held back from the write: the AOF gets a script whole, as
    /// Redis, which propagates a script's effects when it ends.
    pub fn serve_while_busy(&mut self, store: &mut Store) {
        let mark = self
            .scripting
            .running
            .as_ref()
            .map_or(0, |r| r.aof_mark)
            .min(self.aof.buf.len());
        let held = self.aof.buf.split_off(mark);
        super::process_events_while_blocked(store, self);
        let mark = self.aof.buf.len();
        self.aof.buf.extend_from_slice(&held);
        if let Some(r) = self.scripting.running.as_mut() {
            r.aof_mark = mark;
        }
    }

    /// A script that went past busy-reply-threshold has ended.
    pub fn script_busy_ended(&mut self) {
        self.busy = None;
    }

    /// A busy script stopped by SHUTDOWN NOSAVE: its effects never reach the AOF (Redis
    /// exits before propagating them).
    pub fn aof_discard_script(&mut self, mark: usize) {
        self.aof.discard_from(mark);
    }

    /// Where the running script's effects start in the AOF buffer.
    pub fn aof_buffer_len(&self) -> usize {
        self.aof.buf.len()
    }

    pub fn new(config: Config) -> Core {
        Core {
            config,
            conns: Slab::new(),
            stats: Stats::default(),
            cmd_stats: CmdStats::default(),
            clock_carry: 0,
            aof: AofFeed::default(),
            started: Instant::now(),
            run_id: random_hex(40),
            next_client_id: 1,
            shutdown: None,
            slowlog: VecDeque::new(),
            slowlog_next_id: 0,
            monitors: Vec::new(),
            pubsub: Default::default(),
            blocked: Vec::new(),
            unblocked: Vec::new(),
            pause: None,
            paused: Vec::new(),
            pending_writes: Vec::new(),
            pending_reads: Vec::new(),
            port: 0,
            last_save: crate::store::now_ms() / 1000,
            loop_now: Instant::now(),
            anchor: Default::default(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            diag: Default::default(),
            active_expire_enabled: true,
            replid: random_hex(40),
            debug_switches: DebugSwitches::default(),
            evict: Default::default(),
            scripting: Default::default(),
            io: super::event_loop::Io::detached(),
            running: None,
            deferred_close: Vec::new(),
            busy: None,
            obuf_peaks: Default::default(),
            clients_mem: 0,
        }
    }

    /// Whether clients must AUTH first.
    pub fn auth_required(&self) -> bool {
        self.config.requirepass.is_some()
    }

    /// The connection a list entry names, if it is still open (not one that took over its
    /// slab key since).
    #[inline]
    pub(super) fn conn(&self, r: ClientRef) -> Option<&Conn> {
        self.conns.get(r.key).filter(|c| c.id == r.id)
    }

    /// The socket of a client's connection (a debugging session talks on it directly).
    pub fn client_socket_fd(&self, r: ClientRef) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        self.conn(r).map(|c| c.sock.as_raw_fd())
    }

    /// In a forked child: closes the listening sockets, so that only the parent accepts
    /// (and a client connecting after a parent crash is refused).
    pub fn close_listeners_in_child(&self) {
        use std::os::fd::AsRawFd;
        for l in &self.io.listeners {
            // SAFETY: the child never uses the listeners again (it exits at the end of
            // its work without dropping them).
            unsafe { libc::close(l.as_raw_fd()) };
        }
    }

    /// `conn`, mutably.
    #[inline]
    pub(super) fn conn_mut(&mut self, r: ClientRef) -> Option<&mut Conn> {
        self.conns.get_mut(r.key).filter(|c| c.id == r.id)
    }

    /// Marks the connection now at slab key `token` as having output to write this
    /// iteration.
    pub(super) fn queue_write(&mut self, token: usize) {
        if let Some(c) = self.conns.get_mut(token) {
            if !c.queued_write {
                c.queued_write = true;
                self.pending_writes.push(c.cref(token));
            }
        }
    }

    /// Removes every entry of a closing connection from the lists above and from the
    /// replies held for the AOF (the keyspace's WATCH and blocking registries, and the
    /// Pub/Sub maps, are cleared by `Server::close_conn` from what the client holds).
    pub(super) fn forget_conn(&mut self, r: ClientRef, queued_write: bool) {
        self.monitors.retain(|&m| m != r);
        self.blocked.retain(|&m| m != r);
        self.unblocked.retain(|&m| m != r);
        self.paused.retain(|&m| m != r);
        self.pending_reads.retain(|&m| m != r);
        self.deferred_close.retain(|&m| m != r);
        // Only a connection with `queued_write` set is in this one (up to its key's
        // reuse): the flag spares a scan of long lists at each close.
        if queued_write {
            self.pending_writes.retain(|&m| m != r);
        }
    }

    /// Moves the session of the connection at `token` out to run its commands (see
    /// conn.rs), marking it running; with the running connection it replaces, for
    /// `end_running`. None if there is no such connection or it is running already.
    #[inline]
    pub(super) fn begin_running(&mut self, token: usize) -> Option<(Session, Option<ClientRef>)> {
        let conn = self.conns.get_mut(token).filter(|c| !c.running)?;
        conn.running = true;
        let s = std::mem::take(&mut conn.s);
        let outer = self.running.replace(conn.cref(token));
        Some((s, outer))
    }

    /// Puts the session back after its commands ran, applying a close asked for
    /// meanwhile, and queues its output.
    #[inline]
    pub(super) fn end_running(&mut self, token: usize, mut s: Session, outer: Option<ClientRef>) {
        self.running = outer;
        if !self.deferred_close.is_empty() {
            self.take_deferred_close(&mut s.client);
        }
        let has_out = s.wpos < s.wbuf.len() || s.client.close_after_reply || s.client.close_asap;
        let Some(conn) = self.conns.get_mut(token) else {
            return;
        };
        conn.running = false;
        conn.s = s;
        let mem = super::obuf::session_memory(&conn.s);
        self.clients_mem = self.clients_mem - conn.mem + mem;
        conn.mem = mem;
        if has_out {
            self.queue_write(token);
        }
    }

    /// If the running `client` was to be closed meanwhile (`deferred_close`), it is now:
    /// marked to close, so its batch stops and the loop drops it without replying.
    pub(super) fn take_deferred_close(&mut self, client: &mut Client) {
        let me = client.cref();
        if let Some(i) = self.deferred_close.iter().position(|&r| r == me) {
            self.deferred_close.swap_remove(i);
            client.close_asap = true;
        }
    }
}

/// What commands need of the server state, grouped by concern. Commands (in
/// `src/commands/`) reach `Core` only through these and the operations beside them
/// (`blocking.rs`, `pubsub.rs`, `evict.rs`); code in `src/server/` uses the fields.
impl Core {
    // Configuration.

    /// The configuration, to read.
    #[inline]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration, to change directly: for tests that set a directive without
    /// CONFIG SET (the server changes it only through `set_config`).
    #[cfg(test)]
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// CONFIG SET: sets the directives (all or none); the canonical names of those that
    /// changed, for the caller to apply what they mean beyond `Config`.
    pub fn set_config(
        &mut self,
        pairs: &[(&[u8], &[u8])],
    ) -> Result<Vec<&'static str>, crate::config::ConfigError> {
        self.config.set(pairs)
    }

    /// Puts back a whole configuration saved before a CONFIG SET whose changes could not
    /// all be applied (the caller undoes what was applied).
    pub fn restore_config(&mut self, config: Config) {
        self.config = config;
    }

    /// CONFIG REWRITE: writes the configuration back to its file.
    pub fn rewrite_config(&self) -> Result<(), crate::config::ConfigError> {
        self.config.rewrite()
    }

    /// Applies a changed `appendonly`, `appendfsync` or `aof-timestamp-enabled` to the
    /// AOF. When the AOF cannot be turned on, `appendonly` goes back to `no` and this
    /// fails (the cause was logged).
    pub fn apply_aof_config(&mut self, store: &Store, name: &str) -> Result<(), AofError> {
        let r = crate::persistence::config_changed(store, &mut self.aof, &self.config, name);
        if r.is_err() {
            self.config.appendonly = false;
        }
        r
    }

    // Statistics and diagnostics.

    /// INFO stats counters.
    #[inline]
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Per-command counters (INFO commandstats).
    #[inline]
    pub fn cmd_stats(&self) -> &CmdStats {
        &self.cmd_stats
    }

    /// CONFIG RESETSTAT (the server side of it): the counters, command statistics, error
    /// counts, memory peak and eviction times start over.
    pub fn reset_stats(&mut self) {
        self.stats = Stats::default();
        self.cmd_stats.clear();
        self.diag.reset_stats();
        self.evict.reset_stats();
    }

    /// Latency events, memory peak and error counts, to read.
    #[inline]
    pub fn diag(&self) -> &crate::commands::server::Diagnostics {
        &self.diag
    }

    /// The same, to record into: `Diagnostics` belongs to the server commands, which
    /// define what is recorded.
    #[inline]
    pub fn diag_mut(&mut self) -> &mut crate::commands::server::Diagnostics {
        &mut self.diag
    }

    /// Used-memory gauge and eviction times (INFO).
    #[inline]
    pub fn evict(&self) -> &evict::Evict {
        &self.evict
    }

    // SLOWLOG.

    /// The slow log, newest first.
    pub fn slowlog_entries(&self) -> impl ExactSizeIterator<Item = &SlowEntry> {
        self.slowlog.iter()
    }

    /// SLOWLOG RESET.
    pub fn slowlog_reset(&mut self) {
        self.slowlog.clear();
    }

    /// Drops the oldest entries past `slowlog-max-len` (after CONFIG SET lowers it).
    pub fn slowlog_trim(&mut self) {
        self.slowlog.truncate(self.config.slowlog_max_len as usize);
    }

    // Clients.

    /// The open connections with their slab keys. While a command runs, its client's
    /// entry holds an empty session (the state is the command's `Ctx::client`); so does
    /// that of a command the loop runs inside of (`Conn::running`; `Conn::id` is right).
    pub fn clients(&self) -> impl Iterator<Item = (usize, &Conn)> {
        self.conns.iter()
    }

    /// The connection at slab key `token`.
    pub fn client_at(&self, token: usize) -> Option<&Conn> {
        self.conns.get(token)
    }

    /// How many connections are open (INFO connected_clients).
    pub fn client_count(&self) -> usize {
        self.conns.len()
    }

    /// CLIENT KILL of the connection at slab key `token` (not the client of the command
    /// that kills): it is closed when the loop next flushes it; one whose command is
    /// running (the loop runs from inside it) when that command ends. False if there is
    /// none.
    pub fn kill_client(&mut self, token: usize) -> bool {
        let Some(c) = self.conns.get_mut(token) else {
            return false;
        };
        if c.running {
            let me = c.cref(token);
            if !self.deferred_close.contains(&me) {
                self.deferred_close.push(me);
            }
            return true;
        }
        c.s.client.close_asap = true;
        self.queue_write(token);
        true
    }

    /// Clients blocked on keys or held by CLIENT PAUSE (INFO blocked_clients).
    pub fn blocked_count(&self) -> usize {
        self.blocked.len() + self.paused.len()
    }

    /// Clients blocked on keys with a timeout (INFO clients_in_timeout_table).
    pub fn blocked_with_timeout(&self) -> usize {
        self.blocked
            .iter()
            .filter(|&&t| {
                self.conn(t).is_some_and(|c| {
                    c.s.client
                        .blocked
                        .as_ref()
                        .is_some_and(|b| b.deadline.is_some())
                })
            })
            .count()
    }

    /// MONITOR: the client gets every command from now on.
    pub fn add_monitor(&mut self, r: ClientRef) {
        self.monitors.push(r);
    }

    /// The client no longer monitors (RESET).
    pub fn remove_monitor(&mut self, r: ClientRef) {
        self.monitors.retain(|&m| m != r);
    }

    /// The MONITOR clients.
    pub fn monitors(&self) -> &[ClientRef] {
        &self.monitors
    }

    /// CLIENT PAUSE until `end` (every command if `all`, else those that may write). A
    /// pause in force is only ever extended and made stricter, as in Redis. Keys do not
    /// expire meanwhile. `resume_paused` ends it.
    pub fn pause_clients(&mut self, store: &mut Store, end: Instant, all: bool) {
        self.pause = Some(match self.pause {
            Some(old) => Pause {
                end: old.end.max(end),
                all: old.all || all,
            },
            None => Pause { end, all },
        });
        store.keep_expired = true;
    }

    /// Pub/Sub subscriptions, to read (PUBSUB, INFO).
    #[inline]
    pub fn pubsub(&self) -> &pubsub::PubSub {
        &self.pubsub
    }

    // Persistence.

    /// The AOF's state, to read (INFO persistence).
    #[inline]
    pub fn aof(&self) -> &AofFeed {
        &self.aof
    }

    /// Whether commands that change the data are fed to the AOF.
    #[inline]
    pub fn aof_enabled(&self) -> bool {
        self.aof.enabled
    }

    /// Turns the AOF feed on or off without starting anything: for tests that check what
    /// commands feed it.
    #[cfg(test)]
    pub fn set_aof_enabled(&mut self, on: bool) {
        self.aof.enabled = on;
    }

    /// EXEC starts: the AOF wraps what the transaction writes in MULTI/EXEC.
    /// Whether a transaction (EXEC, or a script) is being fed to the AOF now.
    pub fn aof_in_exec(&self) -> bool {
        self.aof.in_exec()
    }

    /// While muted, nothing is fed to the AOF (a script's `redis.set_repl`).
    pub fn set_aof_muted(&mut self, muted: bool) {
        self.aof.muted = muted;
    }

    pub fn aof_begin_exec(&mut self) {
        self.aof.begin_exec();
    }

    /// EXEC ends (see `aof_begin_exec`).
    pub fn aof_end_exec(&mut self) {
        self.aof.end_exec();
    }

    /// BGREWRITEAOF: the reply text, or the error (its `Display` is the reply); inside
    /// EXEC the rewrite is only scheduled.
    pub fn bgrewriteaof(&mut self, store: &Store, in_exec: bool) -> Result<&'static str, AofError> {
        crate::persistence::bgrewriteaof(store, &mut self.aof, &self.config, in_exec)
    }

    /// When the data was last saved, Unix seconds (LASTSAVE).
    pub fn last_save(&self) -> i64 {
        self.last_save
    }

    // The process.

    /// A script runner marks the server busy (`Some`) once a script has run longer than
    /// busy-reply-threshold, and clears it (`None`) when the script ends: meanwhile
    /// commands without ALLOW_BUSY get the BUSY error, SHUTDOWN needs NOSAVE, and
    /// `process_events_while_blocked` serves the other clients.
    pub fn set_busy(&mut self, busy: Option<Busy>) {
        self.busy = busy;
    }

    /// See `set_busy`.
    #[inline]
    pub fn busy(&self) -> Option<Busy> {
        self.busy
    }

    /// SHUTDOWN: the loop stops at the end of this iteration.
    pub fn request_shutdown(&mut self, how: Shutdown) {
        self.shutdown = Some(how);
    }

    /// The shutdown asked for, if any.
    pub fn shutdown_requested(&self) -> Option<Shutdown> {
        self.shutdown
    }

    /// DEBUG SET-ACTIVE-EXPIRE: whether the cron expires keys nobody reads.
    pub fn set_active_expire(&mut self, on: bool) {
        self.active_expire_enabled = on;
    }

    /// See `set_active_expire`.
    pub fn active_expire_enabled(&self) -> bool {
        self.active_expire_enabled
    }

    /// The replication id (INFO master_replid).
    pub fn replid(&self) -> &str {
        &self.replid
    }

    /// DEBUG CHANGE-REPL-ID: a new random replication id.
    pub fn change_replid(&mut self) {
        self.replid = random_hex(40);
    }

    /// Settings only DEBUG changes.
    pub fn debug_switches(&self) -> &DebugSwitches {
        &self.debug_switches
    }

    /// See `debug_switches`.
    pub fn debug_switches_mut(&mut self) -> &mut DebugSwitches {
        &mut self.debug_switches
    }

    /// This run's random id (INFO run_id).
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The TCP port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// When the server started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The path of the running binary (INFO executable).
    pub fn executable(&self) -> &str {
        &self.executable
    }
}

/// A hexadecimal string of `n` random digits (run_id, replication ids).
pub fn random_hex(n: usize) -> String {
    let mut seed = crate::store::now_us() as u64 ^ (std::process::id() as u64) << 32;
    let mut bytes = [0u8; 64];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = f.read_exact(&mut bytes);
    }
    let mut s = String::with_capacity(n);
    for i in 0..n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let v = (bytes[i % 64] as u64 ^ seed) & 15;
        s.push(char::from_digit(v as u32, 16).unwrap_or('0'));
    }
    s
}
