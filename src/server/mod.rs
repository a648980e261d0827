//! The server: one `mio` poll loop that owns every socket, and the state commands share.
//!
//! An iteration of the loop: poll; accept on listeners; for each readable connection read
//! until WouldBlock (capped, so one client cannot starve the others), parse every complete
//! frame and run it, appending replies to the connection's write buffer. After the events:
//! the cron when due (active expiry, rehashing, idle timeouts, statistics), then
//! `before_sleep`: the AOF gets the whole iteration's writes in one write call (and an
//! fsync under `appendfsync always`), and only then are replies written out. WRITABLE
//! interest is registered only while a connection has output left.

pub mod aof_replay;
pub mod blocking;
pub mod busy_poll;
pub mod call;
pub mod client;
pub mod conn;
pub mod evict;
pub mod logging;
pub mod pubsub;

use crate::commands::{Args, CommandDef, TABLE};
use crate::config::Config;
use crate::persistence::AofFeed;
use crate::resp::parse::{Limits, ParseError, Parsed};
use crate::resp::reply::Reply;
use crate::store::Store;
use client::Client;
use conn::Conn;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Tokens at and above this are listeners and signals, below it connections.
const LISTENER_BASE: usize = usize::MAX / 2;
const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);
/// Bytes read from one connection per event before others get their turn.
const MAX_READ_PER_EVENT: usize = 1024 * 1024;
/// Bytes written to one connection per iteration before others get their turn.
const MAX_WRITE_PER_EVENT: usize = 1024 * 1024;
/// Most frames `process_input` parses ahead of running them (see there).
const BATCH: usize = 32;

/// One parsed frame of a batch: its bytes in the read buffer and its argument spans
/// (relative to `start`) in the batch's span list; no spans for a frame without command.
#[derive(Clone, Debug)]
pub struct Frame {
    start: usize,
    end: usize,
    spans: std::ops::Range<usize>,
}

const READ_CHUNK: usize = 16 * 1024;
/// Redis's PROTO_IOBUF_LEN-style threshold: a read buffer larger than this with nothing
/// pending is given back.
const IDLE_BUF_KEEP: usize = 64 * 1024;

/// Server-wide counters INFO reports.
#[derive(Default, Debug)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Samples of (commands processed, time) for instantaneous_ops_per_sec.
    pub ops_samples: VecDeque<(u64, Instant)>,
    pub instantaneous_ops_per_sec: u64,
}

/// Per-command counters (INFO commandstats).
#[derive(Default, Debug, Clone)]
pub struct CmdStat {
    pub calls: u64,
    pub usec: u64,
    pub failed_calls: u64,
    pub rejected_calls: u64,
}

/// Per-command statistics, indexed by the table's row number (`CommandDef::id`).
#[derive(Default, Debug, Clone)]
pub struct CmdStats(Vec<CmdStat>);

impl CmdStats {
    #[inline]
    pub fn row(&mut self, cmd: &CommandDef) -> &mut CmdStat {
        let i = cmd.id as usize;
        if i >= self.0.len() {
            self.0
                .resize(TABLE.id_count().max(i + 1), CmdStat::default());
        }
        &mut self.0[i]
    }
    pub fn get(&self, cmd: &CommandDef) -> Option<&CmdStat> {
        self.0.get(cmd.id as usize)
    }
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// One SLOWLOG entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    pub time: i64,
    pub usec: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: String,
}

/// Why and how the server stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    pub nosave: bool,
    pub save: bool,
}

/// A CLIENT PAUSE: until when, and whether every command waits or only those that
/// may write (write commands, PUBLISH, PFCOUNT, an EXEC of such).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub end: Instant,
    pub all: bool,
}

/// The server state other than the keyspace.
pub struct Core {
    pub config: Config,
    pub conns: Slab<Conn>,
    pub stats: Stats,
    pub cmd_stats: CmdStats,
    /// Within a batch of pipelined commands, when the last one ended (`mono_ns`); the
    /// next one's start. 0 outside a batch.
    pub clock_carry: u64,
    pub aof: AofFeed,
    pub started: Instant,
    pub started_unix: i64,
    pub run_id: String,
    pub next_client_id: u64,
    pub shutdown: Option<Shutdown>,
    pub slowlog: VecDeque<SlowEntry>,
    pub slowlog_next_id: u64,
    /// Tokens of MONITOR clients.
    pub monitors: Vec<usize>,
    pub pubsub: pubsub::PubSub,
    /// Tokens of clients blocked on keys.
    pub blocked: Vec<usize>,
    /// Clients just unblocked whose pending input must be processed.
    pub unblocked: Vec<usize>,
    /// CLIENT PAUSE in force, if any.
    pub pause: Option<Pause>,
    /// Clients whose next command waits for the pause to end (in arrival order).
    pub paused: Vec<usize>,
    /// Tokens with output to write at the end of this iteration.
    pub pending_writes: Vec<usize>,
    /// Tokens whose reading was capped and must continue next iteration.
    pub pending_reads: Vec<usize>,
    /// The TCP port actually bound.
    pub port: u16,
    pub last_save: i64,
    pub executable: String,
    /// Latency events, memory peak and error counts (INFO, LATENCY).
    pub diag: crate::commands::server::Diagnostics,
    /// The cron expires keys nobody reads (DEBUG SET-ACTIVE-EXPIRE turns it off).
    pub active_expire_enabled: bool,
    /// Clock readings taken once per loop iteration.
    pub loop_now: Instant,
    pub anchor: crate::util::clock::Anchor,
    /// maxmemory: used-memory gauge and eviction state.
    pub evict: evict::Evict,
}

impl Core {
    pub fn new(config: Config) -> Core {
        Core {
            config,
            conns: Slab::new(),
            stats: Stats::default(),
            cmd_stats: CmdStats::default(),
            clock_carry: 0,
            aof: AofFeed::default(),
            started: Instant::now(),
            started_unix: crate::store::now_ms() / 1000,
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
            evict: Default::default(),
        }
    }

    /// Whether clients must AUTH first.
    pub fn auth_required(&self) -> bool {
        self.config.requirepass.is_some()
    }

    /// Marks a connection as having output to write this iteration.
    pub fn queue_write(&mut self, token: usize) {
        if let Some(c) = self.conns.get_mut(token) {
            if !c.queued_write {
                c.queued_write = true;
                self.pending_writes.push(token);
            }
        }
    }

    /// Sends a command to every MONITOR client, as Redis formats it.
    pub fn feed_monitors(&mut self, client: &Client, args: &Args) {
        let now = crate::store::now_us();
        let mut line = format!(
            "{}.{:06} [{} {}]",
            now / 1_000_000,
            now % 1_000_000,
            client.db,
            client.addr
        );
        for a in args.iter() {
            line.push_str(" \"");
            for &b in a {
                match b {
                    b'\\' => line.push_str("\\\\"),
                    b'"' => line.push_str("\\\""),
                    b'\n' => line.push_str("\\n"),
                    b'\r' => line.push_str("\\r"),
                    b'\t' => line.push_str("\\t"),
                    7 => line.push_str("\\a"),
                    8 => line.push_str("\\b"),
                    0x20..=0x7e => line.push(b as char),
                    _ => line.push_str(&format!("\\x{b:02x}")),
                }
            }
            line.push('"');
        }
        let monitors = self.monitors.clone();
        for t in monitors {
            if t == client.token {
                continue;
            }
            if let Some(c) = self.conns.get_mut(t) {
                let resp3 = c.s.client.resp3;
                Reply::new(&mut c.s.wbuf, resp3).simple(&line);
                self.queue_write(t);
            }
        }
    }

    /// Records a command in the slow log when it took long enough.
    pub fn slowlog_push(&mut self, client: &Client, args: &Args, usec: u64) {
        let threshold = self.config.slowlog_log_slower_than;
        if threshold < 0 || (usec as i64) < threshold {
            return;
        }
        // Redis keeps at most 32 arguments and 128 bytes of each.
        let mut v: Vec<Vec<u8>> = Vec::new();
        let argc = args.len();
        for (i, a) in args.iter().enumerate() {
            if i == 31 && argc > 32 {
                v.push(format!("... ({} more arguments)", argc - 31).into_bytes());
                break;
            }
            if a.len() > 128 {
                let mut s = a[..128].to_vec();
                s.extend_from_slice(format!("... ({} more bytes)", a.len() - 128).as_bytes());
                v.push(s);
            } else {
                v.push(a.to_vec());
            }
        }
        let e = SlowEntry {
            id: self.slowlog_next_id,
            time: crate::store::now_ms() / 1000,
            usec,
            args: v,
            addr: client.addr.clone(),
            name: client
                .name
                .as_ref()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default(),
        };
        self.slowlog_next_id += 1;
        self.slowlog.push_front(e);
        while self.slowlog.len() as u64 > self.config.slowlog_max_len {
            self.slowlog.pop_back();
        }
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

/// The whole server: keyspace, shared state, and the poll loop's handles.
pub struct Server {
    pub store: Store,
    pub core: Core,
    poll: Poll,
    listeners: Vec<TcpListener>,
    signals: Option<signal_hook_mio::v1_0::Signals>,
    last_cron: Instant,
}

impl Server {
    /// Binds the listeners and prepares the loop.
    pub fn new(config: Config) -> io::Result<Server> {
        let poll = Poll::new()?;
        let mut listeners = Vec::new();
        let mut port = config.port;
        for (i, b) in config.bind.iter().enumerate() {
            let (optional, host) = match b.strip_prefix('-') {
                Some(h) => (true, h),
                None => (false, b.as_str()),
            };
            let host = match host {
                "*" => "0.0.0.0",
                "::*" => "::",
                h => h,
            };
            let addr: SocketAddr = match host.parse::<std::net::IpAddr>() {
                Ok(ip) => SocketAddr::new(ip, port),
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("Invalid bind address '{b}'"),
                    ))
                }
            };
            match bind_listener(addr, config.tcp_backlog) {
                Ok(mut l) => {
                    if port == 0 {
                        port = l.local_addr()?.port();
                    }
                    poll.registry().register(
                        &mut l,
                        Token(LISTENER_BASE + i),
                        Interest::READABLE,
                    )?;
                    listeners.push(l);
                }
                Err(e) if optional => {
                    log::warn!(
                        "Warning: Could not create server TCP listening socket {b}:{port}: {e}"
                    );
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("Could not create server TCP listening socket {host}:{port}: {e}"),
                    ))
                }
            }
        }
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Failed listening on port (tcp), aborting.",
            ));
        }
        let mut signals = signal_hook_mio::v1_0::Signals::new([
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGINT,
        ])?;
        poll.registry()
            .register(&mut signals, SIGNAL_TOKEN, Interest::READABLE)?;
        let mut store = Store::new(config.databases);
        store.notify_flags = config.notify_keyspace_events;
        store.access = crate::store::AccessPolicy::from_config(&config);
        let mut core = Core::new(config);
        core.port = port;
        Ok(Server {
            store,
            core,
            poll,
            listeners,
            signals: Some(signals),
            last_cron: Instant::now(),
        })
    }

    pub fn port(&self) -> u16 {
        self.core.port
    }

    /// Runs until shutdown; returns the exit status.
    pub fn run(&mut self) -> i32 {
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
                let mut t = period.saturating_sub(self.last_cron.elapsed());
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
            if self.last_cron.elapsed()
                >= Duration::from_millis(1000 / self.core.config.hz.clamp(1, 500) as u64)
            {
                self.cron();
            } else if self.core.evict.running {
                // A pass stopped at its time limit over maxmemory: carry on each
                // iteration until under it (Redis's eviction timer).
                evict::perform_evictions(&mut self.store, &mut self.core);
                self.after_background_changes();
            }
            self.before_sleep();
            if let Some(sd) = self.core.shutdown {
                return self.finish(sd);
            }
        }
    }

    /// Polls once and handles what is ready: signals, new connections, input.
    fn poll_and_handle(&mut self, events: &mut Events, timeout: Option<Duration>) {
        if let Err(e) = self.poll.poll(events, timeout) {
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
            self.readable(t, true);
        }
    }

    // --- persistence hooks (the AOF itself lives in crate::persistence) ---

    /// Loads the AOF at start-up, answering clients (`-LOADING`) between steps, then opens
    /// it for appending. An error stops start-up.
    pub fn load_data(&mut self) -> Result<(), crate::persistence::AofError> {
        use crate::persistence::load::Loader;
        let mut session = aof_replay::ReplaySession::default();
        if let Some(mut loader) = Loader::open(&mut self.core.aof, &self.core.config)? {
            self.store.loading = true;
            let step = self
                .core
                .config
                .loading_process_events_interval_bytes
                .max(1024) as u64;
            let mut events = Events::with_capacity(256);
            loop {
                let mut replay = aof_replay::AofReplay {
                    core: &mut self.core,
                    session: &mut session,
                };
                match loader.step(&mut self.store, &mut replay, step) {
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
            let mut replay = aof_replay::AofReplay {
                core: &mut self.core,
                session: &mut session,
            };
            loader.finish(&mut self.store, &mut replay);
            self.store.loading = false;
        }
        crate::persistence::open_on_start(&self.store, &mut self.core.aof, &self.core.config)
    }

    fn handle_signals(&mut self) {
        let Some(signals) = self.signals.as_mut() else {
            return;
        };
        for s in signals.pending() {
            let name = if s == signal_hook::consts::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            log::warn!("Received {name} scheduling shutdown...");
            self.core.shutdown = Some(Shutdown {
                nosave: false,
                save: false,
            });
        }
    }

    fn finish(&mut self, _sd: Shutdown) -> i32 {
        log::warn!("User requested shutdown...");
        // Write out (and fsync) what the AOF holds before leaving; replies that
        // acknowledge writes go out only if that worked.
        if crate::persistence::shutdown(&mut self.core.aof, &self.core.config) {
            for t in self.core.conns.iter().map(|(k, _)| k).collect::<Vec<_>>() {
                self.flush_conn(t);
            }
        }
        log::warn!("Redis is now ready to exit, bye bye...");
        0
    }

    fn accept(&mut self, idx: usize) {
        loop {
            let (sock, addr) = match self.listeners[idx].accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            };
            self.core.stats.total_connections_received += 1;
            let _ = sock.set_nodelay(true);
            if self.core.config.tcp_keepalive > 0 {
                set_keepalive(&sock, self.core.config.tcp_keepalive);
            }
            let laddr = sock.local_addr().map(|a| a.to_string()).unwrap_or_default();
            let mut client = Client {
                id: self.core.next_client_id,
                addr: addr.to_string(),
                laddr,
                authenticated: !self.core.auth_required(),
                ..Default::default()
            };
            self.core.next_client_id += 1;
            if self.core.conns.len() >= self.core.config.maxclients {
                self.core.stats.rejected_connections += 1;
                let mut s = sock;
                let _ = s.write_all(b"-ERR max number of clients reached\r\n");
                continue;
            }
            if let Some(msg) = self.protected_mode_denial(&addr) {
                let mut s = sock;
                let _ = s.write_all(msg.as_bytes());
                continue;
            }
            let entry = self.core.conns.vacant_entry();
            let token = entry.key();
            client.token = token;
            let mut conn = Conn::new(sock, client);
            if let Err(e) =
                self.poll
                    .registry()
                    .register(&mut conn.sock, Token(token), Interest::READABLE)
            {
                log::warn!("Error registering fd event for the new client: {e}");
                continue;
            }
            entry.insert(conn);
            // Data may already be waiting; edge-triggered polling would not tell us again.
            self.core.pending_reads.push(token);
        }
    }

    /// Redis's protected mode: with no password and the default bind, only loopback
    /// clients may connect.
    fn protected_mode_denial(&self, addr: &SocketAddr) -> Option<String> {
        let c = &self.core.config;
        if !c.protected_mode || c.requirepass.is_some() || addr.ip().is_loopback() {
            return None;
        }
        let default_bind = c
            .bind
            .iter()
            .all(|b| matches!(b.trim_start_matches('-'), "127.0.0.1" | "::1" | "localhost"));
        if default_bind {
            return None;
        }
        Some("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n".to_string())
    }

    /// Reads what a connection sent and runs the complete commands in it.
    ///
    /// The poll is edge-triggered, so the socket must be read until it is empty. A read
    /// that fills less than the space offered already proves that (TCP hands over all it
    /// has queued), so the usual request costs one read(2), not a second one that only
    /// returns EAGAIN. Data that arrives later raises a new edge. `to_end` reads on until
    /// EAGAIN or end of file regardless, for a hang-up whose end of file may sit behind
    /// the data, and for connections resumed after the per-event cap.
    fn readable(&mut self, token: usize, to_end: bool) {
        let limit = self.core.config.client_query_buffer_limit as usize;
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        if conn.s.client.close_after_reply || conn.s.client.close_asap {
            return;
        }
        let mut total = 0;
        let mut closed = false;
        loop {
            let s = &mut conn.s;
            // A large bulk in progress: size the buffer once for the whole frame.
            if let Some(frame) = s.parser.frame_len_hint() {
                let want = s.rpos + frame;
                if want > s.rbuf.capacity() && frame <= limit {
                    s.rbuf.reserve(want - s.rbuf.len());
                }
            }
            if s.rbuf.capacity() - s.rbuf.len() < READ_CHUNK {
                s.rbuf.reserve(READ_CHUNK);
            }
            let offered = s.rbuf.capacity() - s.rbuf.len();
            match read_into_spare(&conn.sock, &mut s.rbuf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    total += n;
                    if total >= MAX_READ_PER_EVENT {
                        self.core.pending_reads.push(token);
                        break;
                    }
                    if n < offered && !to_end {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        self.core.stats.net_input_bytes += total as u64;
        if total > 0 {
            self.process_input(token);
        }
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        if conn.s.rbuf.len() - conn.s.rpos > limit {
            log::warn!(
                "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                conn.s.client.id,
                conn.s.client.addr,
                conn.s.rbuf.len()
            );
            self.close_conn(token);
            return;
        }
        if closed {
            // Replies to what it sent before closing still go out if the peer reads, but
            // only after the AOF got this iteration's writes (before_sleep).
            conn.s.client.close_after_reply = true;
            self.core.queue_write(token);
        }
    }

    /// Parses and runs every complete command in the connection's read buffer.
    ///
    /// Frames are parsed in batches of up to `BATCH` before any of them runs, so that the
    /// hash-table slots of their keys can be prefetched together: with pipelining and a
    /// keyspace larger than the CPU caches, waiting on those memory loads one command at a
    /// time is the largest single cost of a request. The parsed frames then run in order,
    /// exactly as if each had been parsed just before it ran; whatever changes how the rest
    /// must be parsed or whether it may run (AUTH or RESET changing the limits, CONFIG SET
    /// proto-max-bulk-len, a blocked or closing client, shutdown) discards the rest of the
    /// batch, which is parsed again from where execution stopped.
    pub fn process_input(&mut self, token: usize) {
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        let mut s = std::mem::take(&mut conn.s);
        let mut frames = std::mem::take(&mut s.frames);
        let mut flat = std::mem::take(&mut s.batch_spans);
        let mut limits = self.limits_for(&s.client);
        'batches: loop {
            // Parsing a batch takes time that belongs to no command.
            self.core.clock_carry = 0;
            if s.client.close_after_reply
                || s.client.close_asap
                || s.client.blocked.is_some()
                || s.client.postponed
                || s.rpos >= s.rbuf.len()
            {
                break;
            }
            // Unauthenticated clients go one frame at a time: AUTH changes the limits.
            let max = if limits.authenticated { BATCH } else { 1 };
            frames.clear();
            flat.clear();
            let mut pos = s.rpos;
            let mut error = None;
            while frames.len() < max && pos < s.rbuf.len() {
                match s.parser.parse(&mut s.rbuf[pos..], &mut s.spans, &limits) {
                    Ok(Parsed::Command(n)) => {
                        let lo = flat.len();
                        flat.extend_from_slice(&s.spans);
                        frames.push(Frame {
                            start: pos,
                            end: pos + n,
                            spans: lo..flat.len(),
                        });
                        pos += n;
                    }
                    Ok(Parsed::Empty(n)) => {
                        frames.push(Frame {
                            start: pos,
                            end: pos + n,
                            spans: 0..0,
                        });
                        pos += n;
                    }
                    Ok(Parsed::Incomplete) => break,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            let full = frames.len() == max;
            if frames.len() > 1 {
                let mut hashes = std::mem::take(&mut s.batch_hashes);
                let batch = frames
                    .iter()
                    .map(|f| Args::new(&s.rbuf[f.start..f.end], &flat[f.spans.clone()]));
                call::prefetch_batch(&self.store, s.client.db, batch, &mut hashes);
                s.batch_hashes = hashes;
            }
            for (i, f) in frames.iter().enumerate() {
                if !f.spans.is_empty() {
                    let args = Args::from_wire(&s.rbuf[f.start..f.end], &flat[f.spans.clone()]);
                    call::process_command(
                        &mut self.store,
                        &mut self.core,
                        &mut s.client,
                        &mut s.wbuf,
                        args,
                    );
                    if s.client.postponed {
                        // CLIENT PAUSE: the frame stays unconsumed and runs when the
                        // pause ends; nothing after it runs before it.
                        s.parser.reset();
                        self.core.paused.push(token);
                        break 'batches;
                    }
                }
                s.rpos = f.end;
                if !self.store.ready_keys.is_empty() {
                    self.handle_ready_keys();
                }
                let now = self.limits_for(&s.client);
                let changed = now != limits;
                let stop = self.core.shutdown.is_some()
                    || s.client.close_after_reply
                    || s.client.close_asap
                    || s.client.blocked.is_some();
                if stop || changed {
                    if changed || i + 1 < frames.len() || error.is_some() {
                        // What was parsed after this frame is parsed again later.
                        s.parser.reset();
                    }
                    limits = now;
                    if stop {
                        break 'batches;
                    }
                    continue 'batches;
                }
            }
            if let Some(e) = error {
                protocol_error(&mut s.wbuf, s.client.resp3, &e, &s.client);
                s.client.close_after_reply = true;
                break;
            }
            if !full {
                break;
            }
        }
        self.core.clock_carry = 0;
        s.frames = frames;
        s.batch_spans = flat;
        // Drop the consumed prefix once per read, not once per command.
        if s.rpos > 0 {
            if s.rpos == s.rbuf.len() {
                s.rbuf.clear();
                if s.rbuf.capacity() > IDLE_BUF_KEEP {
                    s.rbuf = Vec::new();
                }
            } else {
                s.rbuf.drain(..s.rpos);
            }
            s.rpos = 0;
        }
        let has_out = s.wpos < s.wbuf.len() || s.client.close_after_reply;
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        conn.s = s;
        if has_out {
            self.core.queue_write(token);
        }
    }

    /// The parser limits for a client as things stand.
    fn limits_for(&self, client: &Client) -> Limits {
        Limits {
            proto_max_bulk_len: self.core.config.proto_max_bulk_len as usize,
            authenticated: client.authenticated || !self.core.auth_required(),
        }
    }

    /// Everything that runs `hz` times a second.
    fn cron(&mut self) {
        self.last_cron = Instant::now();
        let hz = self.core.config.hz.clamp(1, 500) as u64;
        // Active expiry gets up to 25% of the cron period, as in Redis.
        let budget = Duration::from_micros(1_000_000 * 25 / hz / 100);
        // A CLIENT PAUSE keeps the data as it is: expired keys wait for its end.
        if self.core.active_expire_enabled && self.core.pause.is_none() {
            let t = Instant::now();
            self.store.active_expire_cycle(budget);
            let usec = t.elapsed().as_micros() as u64;
            crate::commands::server::latency::sample_if_needed(
                &mut self.core,
                "expire-cycle",
                usec,
            );
        }
        let used = crate::commands::server::info::update_memory_peak(&mut self.core.diag);
        if self.core.config.maxmemory != 0 {
            // Re-anchor the cheap gauge, and go on with evictions a command's pass left
            // unfinished or that memory growth outside commands made necessary.
            self.core.evict.anchor(used);
            evict::perform_evictions(&mut self.store, &mut self.core);
        }
        self.after_background_changes();
        // AOF: rewrite child, retries after write errors, everysec fsync, auto rewrite.
        crate::persistence::cron(&self.store, &mut self.core.aof, &self.core.config);
        // Incremental rehashing and shrinking of the main tables (about 1 ms).
        let t0 = Instant::now();
        for db in self.store.dbs.iter_mut() {
            db.keys.shrink_if_needed();
            db.expires.shrink_if_needed();
            while db.keys.rehash_steps(100) || db.expires.rehash_steps(100) {
                if t0.elapsed() > Duration::from_millis(1) {
                    break;
                }
            }
        }
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

    /// Delivers the effects of changes made outside any command (active expiry):
    /// keyspace events, WATCH invalidation, blocked clients.
    pub fn after_background_changes(&mut self) {
        if !self.store.touched.is_empty() {
            let mut nobody = Client::default();
            self.core.process_touched(&mut self.store, &mut nobody);
        }
        if !self.store.events.is_empty() {
            let mut events = std::mem::take(&mut self.store.events);
            self.core.publish_events(&mut events, None);
        }
        if !self.store.also_propagate.is_empty() {
            for (db, c) in std::mem::take(&mut self.store.also_propagate) {
                self.core.aof.feed_sds(db, &c);
            }
        }
        if !self.store.ready_keys.is_empty() {
            self.handle_ready_keys();
        }
    }

    /// The AOF gets this iteration's writes, then replies go out.
    fn before_sleep(&mut self) {
        if !self.flush_aof() {
            // appendfsync always and the AOF could not be written: these replies would
            // acknowledge writes that are not on disk. They wait for the retry.
            let held = std::mem::take(&mut self.core.pending_writes);
            self.core.aof.held.extend(held);
            return;
        }
        if !self.core.aof.held.is_empty() {
            let held = std::mem::take(&mut self.core.aof.held);
            self.core.pending_writes.extend(held);
        }
        let pending = std::mem::take(&mut self.core.pending_writes);
        for t in pending {
            if let Some(c) = self.core.conns.get_mut(t) {
                c.queued_write = false;
            }
            self.flush_conn(t);
        }
    }

    /// Writes the iteration's AOF buffer; false when replies must wait (see before_sleep).
    fn flush_aof(&mut self) -> bool {
        crate::persistence::flush(&mut self.core.aof, &self.core.config, false)
    }

    /// Writes as much pending output as the socket takes (up to the fairness cap).
    fn flush_conn(&mut self, token: usize) {
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        if conn.s.client.close_asap {
            self.close_conn(token);
            return;
        }
        let mut written = 0;
        let mut broken = false;
        while conn.s.wpos < conn.s.wbuf.len() {
            match write_fd(&conn.sock, &conn.s.wbuf[conn.s.wpos..]) {
                Ok(0) => {
                    broken = true;
                    break;
                }
                Ok(n) => {
                    conn.s.wpos += n;
                    written += n;
                    if written >= MAX_WRITE_PER_EVENT {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        self.core.stats.net_output_bytes += written as u64;
        if broken {
            self.close_conn(token);
            return;
        }
        let conn = &mut self.core.conns[token];
        if conn.s.wpos >= conn.s.wbuf.len() {
            conn.s.wbuf.clear();
            conn.s.wpos = 0;
            if conn.s.wbuf.capacity() > IDLE_BUF_KEEP {
                conn.s.wbuf = Vec::new();
            }
            if conn.s.client.close_after_reply {
                self.close_conn(token);
                return;
            }
            if conn.want_write {
                conn.want_write = false;
                let _ = self.poll.registry().reregister(
                    &mut conn.sock,
                    Token(token),
                    Interest::READABLE,
                );
            }
        } else {
            if written >= MAX_WRITE_PER_EVENT {
                // The socket may still take more: come back next iteration.
                self.core.queue_write(token);
            }
            let conn = &mut self.core.conns[token];
            if !conn.want_write {
                conn.want_write = true;
                let _ = self.poll.registry().reregister(
                    &mut conn.sock,
                    Token(token),
                    Interest::READABLE | Interest::WRITABLE,
                );
            }
        }
    }
}

/// A protocol error: reply, log at verbose level as Redis does, close after the reply.
fn protocol_error(out: &mut Vec<u8>, resp3: bool, e: &ParseError, client: &Client) {
    log::debug!(
        "Protocol error ({e}) from client: id={} addr={}",
        client.id,
        client.addr
    );
    Reply::new(out, resp3).error(&format!("ERR {e}"));
}

/// Reads from the socket into the spare capacity of `buf` (which the caller reserved),
/// without zero-filling it first.
fn read_into_spare(sock: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let spare = buf.spare_capacity_mut();
    // SAFETY: read(2) writes at most `spare.len()` bytes into memory we own; exactly the
    // `n` bytes it reports are initialised before the length is extended over them.
    let n = unsafe {
        libc::read(
            sock.as_raw_fd(),
            spare.as_mut_ptr() as *mut libc::c_void,
            spare.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: see above; n <= spare.len().
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// write(2) on the socket, as Redis writes replies. The standard library uses send(2) with
/// MSG_NOSIGNAL instead; the Rust runtime ignores SIGPIPE for the whole process, so a
/// closed peer still comes back as EPIPE here.
fn write_fd(sock: &TcpStream, buf: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: write(2) reads at most `buf.len()` bytes from a live slice.
    let n = unsafe {
        libc::write(
            sock.as_raw_fd(),
            buf.as_ptr() as *const libc::c_void,
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

fn bind_listener(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // std's bind uses a fixed backlog; build the socket by hand to honour tcp-backlog and
    // to keep IPv6 listeners IPv6-only (so "127.0.0.1 ::1" binds both).
    let std_listener = unsafe {
        let fd = libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        use std::os::fd::FromRawFd;
        let listener = std::net::TcpListener::from_raw_fd(fd);
        let one: libc::c_int = 1;
        let optp = &one as *const libc::c_int as *const libc::c_void;
        let optl = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, optp, optl);
        if addr.is_ipv6() {
            libc::setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, optp, optl);
        }
        let (storage, len) = sockaddr_of(&addr);
        if libc::bind(fd, &storage as *const _ as *const libc::sockaddr, len) < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::listen(fd, backlog as libc::c_int) < 0 {
            return Err(io::Error::last_os_error());
        }
        listener
    };
    std_listener.set_nonblocking(true)?;
    Ok(TcpListener::from_std(std_listener))
}

fn sockaddr_of(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; zeroed is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        }
    }
}

fn set_keepalive(sock: &TcpStream, secs: u64) {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    let set = |level, opt, val: libc::c_int| {
        // SAFETY: setsockopt with a valid fd and an int option.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                opt,
                &val as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    };
    let secs = secs.min(i32::MAX as u64) as libc::c_int;
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (secs / 3).max(1));
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

/// The `ferrokv-server` entry point: configuration, logging, the loop. Returns the exit code.
pub fn main_entry() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Config::early_exit(&args) {
        Some(crate::config::EarlyExit::Version) => {
            println!("{}", crate::config::version_line());
            return 0;
        }
        Some(crate::config::EarlyExit::Help) => {
            eprint!("{}", crate::config::usage_text("./ferrokv-server"));
            return 1;
        }
        None => {}
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(msg) => {
            eprint!("{msg}");
            return 1;
        }
    };
    logging::init(&config);
    log::warn!("oO0OoO0OoO0Oo ferrokv is starting oO0OoO0OoO0Oo");
    log::warn!(
        "ferrokv version={}, redis_version={}, bits=64, pid={}, just started",
        env!("CARGO_PKG_VERSION"),
        crate::config::REDIS_VERSION,
        std::process::id()
    );
    match &config.config_file {
        Some(p) => log::warn!("Configuration loaded from {}", p.display()),
        None => log::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use ferrokv-server /path/to/redis.conf"
        ),
    }
    let mut server = match Server::new(config) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("{e}");
            return 1;
        }
    };
    log::info!("Running mode=standalone, port={}.", server.port());
    log::info!("Server initialized");
    if let Err(e) = server.load_data() {
        log::warn!("{e}");
        return 1;
    }
    log::info!("Ready to accept connections tcp");
    server.run()
}
