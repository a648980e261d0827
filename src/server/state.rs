//! The server state other than the keyspace (`Core`): configuration, connections, the
//! lists of clients waiting for something (MONITOR, blocked, paused, output to write),
//! statistics and the AOF feed. Commands reach it as `ctx.srv`.

use super::client::ClientRef;
use super::conn::Conn;
use super::stats::{CmdStats, SlowEntry, Stats};
use super::{evict, pubsub};
use crate::config::Config;
use crate::persistence::AofFeed;
use slab::Slab;
use std::collections::VecDeque;
use std::io::Read;
use std::time::Instant;

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
    /// MONITOR clients.
    pub monitors: Vec<ClientRef>,
    pub pubsub: pubsub::PubSub,
    /// Clients blocked on keys.
    pub blocked: Vec<ClientRef>,
    /// Clients just unblocked whose pending input must be processed.
    pub unblocked: Vec<ClientRef>,
    /// CLIENT PAUSE in force, if any.
    pub pause: Option<Pause>,
    /// Clients whose next command waits for the pause to end (in arrival order).
    pub paused: Vec<ClientRef>,
    /// Connections with output to write at the end of this iteration.
    pub pending_writes: Vec<ClientRef>,
    /// Connections whose reading was capped (or that were just accepted) and must be
    /// read on next iteration.
    pub pending_reads: Vec<ClientRef>,
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

    /// The connection a list entry names, if it is still open (not one that took over its
    /// slab key since).
    #[inline]
    pub fn conn(&self, r: ClientRef) -> Option<&Conn> {
        self.conns.get(r.key).filter(|c| c.id == r.id)
    }

    /// `conn`, mutably.
    #[inline]
    pub fn conn_mut(&mut self, r: ClientRef) -> Option<&mut Conn> {
        self.conns.get_mut(r.key).filter(|c| c.id == r.id)
    }

    /// Marks the connection now at slab key `token` as having output to write this
    /// iteration.
    pub fn queue_write(&mut self, token: usize) {
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
    pub fn forget_conn(&mut self, r: ClientRef, queued_write: bool) {
        self.monitors.retain(|&m| m != r);
        self.blocked.retain(|&m| m != r);
        self.unblocked.retain(|&m| m != r);
        self.paused.retain(|&m| m != r);
        self.pending_reads.retain(|&m| m != r);
        // Only a connection with `queued_write` set is in these two (up to its key's
        // reuse): the flag spares a scan of long lists at each close.
        if queued_write {
            self.pending_writes.retain(|&m| m != r);
            self.aof.held.retain(|&m| m != r);
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
