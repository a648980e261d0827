//! The server state other than the keyspace (`Core`): configuration, connections, the
//! lists of clients waiting for something (MONITOR, blocked, paused, output to write),
//! statistics and the AOF feed. Commands reach it as `ctx.srv`.

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
