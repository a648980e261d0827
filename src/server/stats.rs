//! What the server observes about commands: INFO's counters, per-command statistics
//! (INFO commandstats), the SLOWLOG, and the MONITOR feed with Redis's formatting.

use super::client::Client;
use super::Core;
use crate::commands::{Args, CommandDef, TABLE};
use crate::resp::reply::Reply;
use std::collections::VecDeque;
use std::time::Instant;

/// Server-wide counters INFO reports.
#[derive(Default, Debug)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    /// Clients closed by maxmemory-clients.
    pub evicted_clients: u64,
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
    /// Latency distribution (LATENCY HISTOGRAM, INFO latencystats), made at the first
    /// call recorded while `latency-tracking` is on.
    pub latency: Option<Box<crate::util::histogram::Histogram>>,
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

impl Core {
    /// Sends a command to every MONITOR client, as Redis formats it.
    pub(super) fn feed_monitors(&mut self, client: &Client, args: &Args) {
        let now = crate::store::now_us();
        let mut line = format!(
            "{}.{:06} [{} {}]",
            now / 1_000_000,
            now % 1_000_000,
            client.db,
            client.addr
        )
        .into_bytes();
        for a in args.iter() {
            line.push(b' ');
            crate::util::split::repr_into(a, &mut line);
        }
        // All printable ASCII (the quoting escapes everything else).
        let line = String::from_utf8_lossy(&line);
        let monitors = self.monitors.clone();
        let me = client.cref();
        for t in monitors {
            if t == me {
                continue;
            }
            if let Some(c) = self.conn_mut(t) {
                let resp3 = c.s.client.resp3;
                Reply::new(&mut c.s.wbuf, resp3).simple(&line);
                self.queue_write(t.key);
            }
        }
    }

    /// Records a command in the slow log when it took long enough.
    pub(super) fn slowlog_push(&mut self, client: &Client, args: &Args, usec: u64) {
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
