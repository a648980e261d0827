//! The poll loop: one iteration polls, accepts, reads and runs commands, then runs the
//! cron when due and `before_sleep` (the AOF first, then replies). Also start-up loading
//! of the AOF between polls, signals and the orderly shutdown.
//!
//! The shape: `Server` is only the keyspace and `Core`; the loop's handles (the poll,
//! listeners, signals, when the cron last ran) are `Core::io` (`Io` below), so that
//! everything the loop does can run from a borrowed `Lp { store, core }`, which is all a
//! command's handler holds (`ctx.store`, `ctx.srv`). The loop's methods (here, and in
//! `io.rs`, `listener.rs`, `blocking.rs`) are `Lp`'s; `Server` builds one per call
//! (`Server::lp`). `while_blocked.rs` runs one step of the same loop from inside a command.

use super::client::Client;
use super::listener::{listen_to_port, register_all, Bound};
use super::{busy_poll, evict, Core, Shutdown};
use crate::config::Config;
use crate::store::Store;
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Registry, Token};
use std::io;
use std::time::{Duration, Instant};

/// Tokens at and above this are listeners and signals, below it connections.
pub(super) const LISTENER_BASE: usize = usize::MAX / 2;
const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);

/// The whole server: the keyspace and the rest of the state (the loop's handles are
/// `core.io`).
pub struct Server {
    pub store: Store,
    pub core: Core,
}

/// The loop's view of the server, borrowed: what its methods work on. A command's
/// handler can build one from `ctx.store` and `ctx.srv` (`while_blocked.rs`).
pub(super) struct Lp<'a> {
    pub(super) store: &'a mut Store,
    pub(super) core: &'a mut Core,
}

/// The poll loop's handles, kept in `Core` (`Core::io`).
pub(super) struct Io {
    /// None only for a `Core` built without a server (unit tests of commands).
    pub(super) poll: Option<Poll>,
    pub(super) listeners: Vec<TcpListener>,
    pub(super) signals: Option<signal_hook_mio::v1_0::Signals>,
    pub(super) last_cron: Instant,
    /// The event buffer of `process_events_while_blocked`, kept between calls (taken
    /// while a call runs).
    pub(super) tick_events: Option<Events>,
}

impl Io {
    /// No poll and no listeners: what `Core::new` starts with until `Server::new` binds.
    pub(super) fn detached() -> Io {
        Io {
            poll: None,
            listeners: Vec::new(),
            signals: None,
            last_cron: Instant::now(),
            tick_events: None,
        }
    }

    /// The poll's registry, to (de)register sockets.
    #[inline]
    pub(super) fn registry(&self) -> Option<&Registry> {
        self.poll.as_ref().map(Poll::registry)
    }
}

impl Server {
    /// Binds the listeners and prepares the loop.
    pub fn new(config: Config) -> io::Result<Server> {
        let poll = Poll::new()?;
        let (bound, warnings) = listen_to_port(&config.bind, config.port, config.tcp_backlog, &[]);
        warnings.iter().for_each(|w| log::warn!("{w}"));
        let (bound, port) = bound.map_err(|_| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("Failed listening on port {} (tcp), aborting.", config.port),
            )
        })?;
        let mut listeners: Vec<TcpListener> = bound
            .into_iter()
            .filter_map(|b| match b {
                Bound::New(l) => Some(l),
                Bound::Kept(_) => None,
            })
            .collect();
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Configured to not listen anywhere, exiting.",
            ));
        }
        register_all(poll.registry(), &mut listeners);
        let mut signals = signal_hook_mio::v1_0::Signals::new([
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
        ])?;
        poll.registry()
            .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        let mut store = Store::new(config.databases);
        store.notify_flags = config.notify_keyspace_events;
        store.access = crate::store::AccessPolicy::from_config(&config);
        // After `--port 0`, CONFIG GET port says which port the kernel picked (and
        // CONFIG SET bind listens there).
        let mut config = config;
        config.port = port;
        let mut core = Core::new(config);
        core.port = port;
        core.io = Io {
            poll: Some(poll),
            listeners,
            signals: Some(signals),
            last_cron: Instant::now(),
            tick_events: None,
        };
        Ok(Server { store, core })
    }

    pub fn port(&self) -> u16 {
        self.core.port
    }

    /// The loop's view of this server.
    #[inline]
    pub(super) fn lp(&mut self) -> Lp<'_> {
        Lp {
            store: &mut self.store,
            core: &mut self.core,
        }
    }

    /// Runs until shutdown; returns the exit status.
    pub fn run(&mut self) -> i32 {
        self.lp().run()
    }

    /// Loads the AOF at start-up (see `Lp::load_data`).
    pub fn load_data(&mut self) -> Result<(), crate::persistence::AofError> {
        self.lp().load_data()
    }
}

impl Lp<'_> {
    /// Runs until shutdown; returns the exit status.
    fn run(&mut self) -> i32 {
        let mut events = Events::with_capacity(1024);
        let mut busy =
            busy_poll::BusyPoll::new(Duration::from_micros(self.core.config.busy_poll_usec));
        loop {
            busy.set_limit(Duration::from_micros(self.core.config.busy_poll_usec));
            let timeout = if self.core.pending_reads.is_empty()
                && self.core.pending_writes.is_empty()
                && !self.core.evict.running
            {
                let period = Duration::from_millis(1000 / self.core.config.hz.clamp(1, 500) as u64);
                let mut t = period.saturating_sub(self.core.io.last_cron.elapsed());
                if let Some(d) = self.nearest_deadline() {
                    t = t.min(d.saturating_duration_since(Instant::now()));
                }
                Some(t)
            } else {
                Some(Duration::ZERO)
            };
            let timeout = busy.timeout(Instant::now(), timeout);
            self.poll_and_handle(&mut events, timeout);
            busy.polled(self.core.loop_now, !events.is_empty());
            self.check_blocked_timeouts();
            self.check_pause_end();
            self.process_unblocked();
            if self.core.io.last_cron.elapsed()
                >= Duration::from_millis(1000 / self.core.config.hz.clamp(1, 500) as u64)
            {
                self.cron();
            } else if self.core.evict.running {
                // A pass stopped at its time limit over maxmemory: carry on each
                // iteration until under it (Redis's eviction timer).
                evict::perform_evictions(self.store, self.core);
                self.after_background_changes();
            }
            self.before_sleep();
            if let Some(sd) = self.core.shutdown {
                if let Some(code) = self.finish(sd) {
                    return code;
                }
            }
        }
    }

    /// Polls once and handles what is ready: signals, new connections, input. Returns
    /// how many events the poll reported.
    pub(super) fn poll_and_handle(
        &mut self,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> usize {
        let Some(poll) = self.core.io.poll.as_mut() else {
            return 0;
        };
        if let Err(e) = poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                log::warn!("poll failed: {e}");
            }
        }
        self.core.loop_now = Instant::now();
        self.core.anchor = crate::util::clock::Anchor::now();
        for ev in events.iter() {
            let t = ev.token();
            if t == SIGNAL_TOKEN {
                self.handle_signals();
            } else if t.0 >= LISTENER_BASE {
                self.accept(t.0 - LISTENER_BASE);
            } else {
                if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                    // After a hang-up or an error, read to the end to see it; otherwise a
                    // short read already says the socket is drained.
                    self.readable(t.0, ev.is_read_closed() || ev.is_error());
                }
                if ev.is_writable() {
                    self.core.queue_write(t.0);
                }
            }
        }
        for t in std::mem::take(&mut self.core.pending_reads) {
            if self.core.conn(t).is_some() {
                self.readable(t.key, true);
            }
        }
        events.iter().count()
    }

    // --- persistence hooks (the AOF itself lives in crate::persistence) ---

    /// Loads the AOF at start-up, answering clients (`-LOADING`) between steps, then opens
    /// it for appending. An error stops start-up.
    fn load_data(&mut self) -> Result<(), crate::persistence::AofError> {
        use crate::persistence::load::Loader;
        let mut session = super::aof_replay::ReplaySession::default();
        if let Some(mut loader) = Loader::open(&mut self.core.aof, &self.core.config)? {
            self.store.loading = true;
            let step = self
                .core
                .config
                .loading_process_events_interval_bytes
                .max(1024) as u64;
            let mut events = Events::with_capacity(256);
            loop {
                let mut replay = super::aof_replay::AofReplay {
                    core: self.core,
                    session: &mut session,
                };
                match loader.step(self.store, &mut replay, step) {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => {
                        self.store.loading = false;
                        return Err(e);
                    }
                }
                self.poll_and_handle(&mut events, Some(Duration::ZERO));
                self.before_sleep();
                if self.core.shutdown.is_some() {
                    // Stopped while loading: nothing is opened or written.
                    self.store.loading = false;
                    return Ok(());
                }
            }
            let mut replay = super::aof_replay::AofReplay {
                core: self.core,
                session: &mut session,
            };
            loader.finish(self.store, &mut replay);
            self.store.loading = false;
        }
        crate::persistence::open_on_start(self.store, &mut self.core.aof, &self.core.config)
    }

    /// SIGINT and SIGTERM schedule a shutdown with the flags of `shutdown-on-sigint` /
    /// `shutdown-on-sigterm`, as Redis's signal handler and cron do. A second SIGINT
    /// while that shutdown is still pending (a busy script, loading) exits at once.
    fn handle_signals(&mut self) {
        let Some(signals) = self.core.io.signals.as_mut() else {
            return;
        };
        let pending: Vec<i32> = signals.pending().collect();
        for s in pending {
            let sigint = s == signal_hook::consts::SIGINT;
            if sigint && self.core.shutdown.is_some_and(|sd| sd.by.is_none()) {
                log::warn!("You insist... exiting now.");
                std::process::exit(1);
            }
            if self.store.loading {
                log::warn!("Received shutdown signal during loading, scheduling shutdown.");
            } else if sigint {
                log::warn!("Received SIGINT scheduling shutdown...");
            } else {
                log::warn!("Received SIGTERM scheduling shutdown...");
            }
            let flags = if sigint {
                self.core.config.shutdown_on_sigint
            } else {
                self.core.config.shutdown_on_sigterm
            };
            self.core.shutdown = Some(Shutdown::from_flags(flags));
        }
    }

    /// The orderly shutdown (Redis's prepareForShutdown and finishShutdown). Returns the
    /// exit status, or None when the shutdown failed and the server goes on: the AOF
    /// being turned on has not written its first base yet and FORCE was not given (the
    /// client of SHUTDOWN, if any, hears the error).
    fn finish(&mut self, sd: Shutdown) -> Option<i32> {
        log::warn!("User requested shutdown...");
        if self.core.aof.state == crate::persistence::AofState::WaitRewrite
            && self.core.aof.child.is_some()
        {
            if sd.force {
                log::warn!("Writing initial AOF. Exit anyway.");
            } else {
                log::warn!("Writing initial AOF, can't exit.");
                log::warn!(
                    "Errors trying to shut down the server. Check the logs for more information."
                );
                self.core.shutdown = None;
                if let Some(by) = sd.by {
                    if let Some(conn) = self.core.conn_mut(by) {
                        let resp3 = conn.s.client.resp3;
                        let e = "ERR Errors trying to SHUTDOWN. Check logs.";
                        crate::resp::reply::Reply::new(&mut conn.s.wbuf, resp3).error(e);
                        crate::commands::server::record_error(self.core, e);
                        self.core.queue_write(by.key);
                    }
                }
                return None;
            }
        }
        crate::scripting::ldb::kill_children(&mut self.core.scripting_mut().ldb_children);
        // Write out (and fsync) what the AOF holds before leaving; replies that
        // acknowledge writes go out only if that worked.
        if crate::persistence::shutdown(&mut self.core.aof, &self.core.config) {
            for t in self.core.conns.iter().map(|(k, _)| k).collect::<Vec<_>>() {
                self.flush_conn(t);
            }
        }
        log::warn!("Redis is now ready to exit, bye bye...");
        Some(0)
    }

    /// Everything that runs `hz` times a second.
    fn cron(&mut self) {
        self.core.io.last_cron = Instant::now();
        let hz = self.core.config.hz.clamp(1, 500) as u64;
        // Active expiry gets up to 25% of the cron period, as in Redis.
        let budget = Duration::from_micros(1_000_000 * 25 / hz / 100);
        // A CLIENT PAUSE keeps the data as it is: expired keys wait for its end.
        if self.core.active_expire_enabled && self.core.pause.is_none() {
            let t = Instant::now();
            self.store.active_expire_cycle(budget);
            let usec = t.elapsed().as_micros() as u64;
            crate::commands::server::latency::sample_if_needed(self.core, "expire-cycle", usec);
        }
        let used = crate::commands::server::info::update_memory_peak(&mut self.core.diag);
        if self.core.config.maxmemory != 0 {
            // Re-anchor the cheap gauge, and go on with evictions a command's pass left
            // unfinished or that memory growth outside commands made necessary.
            self.core.evict.anchor(used);
            evict::perform_evictions(self.store, self.core);
        }
        self.after_background_changes();
        // AOF: rewrite child, retries after write errors, everysec fsync, auto rewrite.
        crate::persistence::cron(self.store, &mut self.core.aof, &self.core.config);
        // Forked debugging sessions that ended.
        crate::scripting::ldb::reap_children(&mut self.core.scripting_mut().ldb_children);
        // Incremental rehashing and shrinking of the main tables (about 1 ms).
        self.store.rehash_tables(Duration::from_millis(1));
        self.clients_cron();
        // Idle clients.
        let timeout = self.core.config.timeout;
        if timeout > 0 {
            let idle: Vec<usize> = self
                .core
                .conns
                .iter()
                .filter(|(_, c)| {
                    // Blocked and paused clients wait on purpose, as in Redis.
                    !c.s.client.monitor
                        && c.s.client.subscriptions == 0
                        && c.s.client.blocked.is_none()
                        && !c.s.client.postponed
                        && c.s.client.last_interaction.elapsed().as_secs() > timeout
                })
                .map(|(k, _)| k)
                .collect();
            for t in idle {
                log::debug!("Closing idle client");
                self.close_conn(t);
            }
        }
        // instantaneous_ops_per_sec over the last few samples.
        let st = &mut self.core.stats;
        st.ops_samples
            .push_back((st.total_commands_processed, Instant::now()));
        while st.ops_samples.len() > 16 {
            st.ops_samples.pop_front();
        }
        if let (Some(a), Some(b)) = (st.ops_samples.front(), st.ops_samples.back()) {
            let dt = b.1.duration_since(a.1).as_secs_f64();
            if dt > 0.0 {
                st.instantaneous_ops_per_sec = ((b.0 - a.0) as f64 / dt) as u64;
            }
        }
    }

    /// Per-client upkeep: output-buffer limits (a soft limit runs out while the client
    /// sends nothing), query buffers given back while idle or far larger than the recent
    /// peak, and the recent peaks of buffer sizes INFO reports.
    fn clients_cron(&mut self) {
        let now = (crate::store::now_ms() / 1000) as u64;
        let mut closing = Vec::new();
        for t in 0..self.core.conns.capacity() {
            let Some(c) = self.core.conns.get_mut(t).filter(|c| !c.running) else {
                continue;
            };
            resize_query_buffer(&mut c.s);
            let input = c.s.rbuf.capacity();
            let output = super::obuf::output_use(c.s.wbuf.len() - c.s.wpos).omem;
            let check = output > 0 || c.s.client.obuf_soft_since.is_some();
            self.core.obuf_peaks.record(now, input, output);
            self.core.account_memory(t);
            if check {
                self.core.enforce_output_limit_at(t);
                if self
                    .core
                    .conns
                    .get(t)
                    .is_some_and(|c| c.s.client.close_asap)
                {
                    closing.push(t);
                }
            }
        }
        for t in closing {
            self.core.queue_write(t);
        }
    }

    /// Delivers the effects of changes made outside any command (active expiry):
    /// keyspace events, WATCH invalidation, blocked clients.
    pub(super) fn after_background_changes(&mut self) {
        if self.store.has_touched() {
            let mut nobody = Client::default();
            self.core.process_touched(self.store, &mut nobody);
        }
        if self.store.has_events() {
            let mut events = self.store.take_events();
            self.core.publish_events(&mut events, None);
        }
        if self.store.has_propagate() {
            for (db, c) in self.store.drain_propagate() {
                self.core.aof.feed_sds(db, &c);
            }
        }
        if !self.store.ready_keys.is_empty() {
            self.handle_ready_keys();
        }
    }

    /// The AOF gets this iteration's writes, then replies go out.
    pub(super) fn before_sleep(&mut self) {
        // Under appendfsync always this returns only once the data is on disk.
        crate::persistence::flush(&mut self.core.aof, &self.core.config, false);
        while let Some(t) = self.core.client_to_evict() {
            self.close_conn(t);
        }
        let pending = std::mem::take(&mut self.core.pending_writes);
        let mut running = None;
        for t in pending {
            match self.core.conn_mut(t) {
                // A connection whose command is running (we are inside it: see
                // while_blocked.rs) stays queued for after it.
                Some(c) if c.running => {
                    running.get_or_insert_with(Vec::new).push(t);
                    continue;
                }
                Some(c) => c.queued_write = false,
                None => continue,
            }
            self.flush_conn(t.key);
        }
        if let Some(r) = running {
            self.core.pending_writes.extend(r);
        }
    }
}

/// Redis's clientsCronResizeQueryBuffer, for a query buffer wasting more than 4 KB: a
/// client idle for over 2 seconds keeps only what it holds; otherwise a buffer over
/// 32 KB and more than twice the recent peak is cut down to that peak, to what it holds,
/// or to the end of the bulk being read, whichever is largest. The peak then starts over
/// from what the buffer holds (or the bulk in progress).
fn resize_query_buffer(s: &mut super::conn::Session) {
    const WASTE: usize = 4 * 1024;
    const RESIZE_THRESHOLD: usize = 32 * 1024;
    let len = s.rbuf.len();
    let cap = s.rbuf.capacity();
    let bulk_end = s.parser.frame_len_hint().map(|f| s.rpos.saturating_add(f));
    if cap - len > WASTE {
        if s.client.last_interaction.elapsed() > Duration::from_secs(2) {
            if len == 0 {
                s.rbuf = Vec::new();
            } else {
                s.rbuf.shrink_to_fit();
            }
        } else if cap > RESIZE_THRESHOLD && cap / 2 > s.rbuf_peak {
            let keep = len.max(s.rbuf_peak).max(bulk_end.unwrap_or(0));
            s.rbuf.shrink_to(keep);
        }
    }
    s.rbuf_peak = len.max(bulk_end.unwrap_or(0));
}
