//! client-output-buffer-limit, maxmemory-clients, and how much memory client buffers use.
//!
//! Redis keeps a client's replies in a 16 KB buffer and, past it, in a list of blocks;
//! its limits (and CLIENT LIST `omem`) count the list only. Ours is one buffer per
//! connection, so its pending bytes are shown and limited the same way: the first
//! `REPLY_CHUNK` bytes are `obl`, the rest is `omem` in `oll` blocks.
//!
//! A client is checked against the limits of its class (normal, or pubsub while it has
//! subscriptions) after each of its commands (so a pipeline stops at the command that
//! went over, and nothing of it is written), when a message is queued for it from
//! elsewhere, and from the cron (a soft limit runs out while nothing happens). Past the
//! hard limit, or past the soft limit for longer than its seconds, the client is closed
//! without another byte written, as Redis closes it.
//!
//! What each connection takes is counted (`Conn::mem`, summed in `Core::clients_mem`)
//! when its commands have run, when output is queued for it or written, and by the cron;
//! while the sum is over maxmemory-clients, the largest evictable clients are closed at
//! the end of the loop iteration, before replies go out (`client_to_evict`).

use super::client::Client;
use super::conn::{Conn, Session};
use super::Core;
use std::time::Instant;

/// Redis's static reply buffer (PROTO_REPLY_CHUNK_BYTES).
pub const REPLY_CHUNK: usize = 16 * 1024;

/// What CLIENT LIST shows of pending output.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct OutputUse {
    /// Bytes in the first block.
    pub obl: usize,
    /// Blocks past the first.
    pub oll: usize,
    /// Bytes past the first block: what the limits count.
    pub omem: usize,
}

pub fn output_use(pending: usize) -> OutputUse {
    let obl = pending.min(REPLY_CHUNK);
    let omem = pending - obl;
    OutputUse {
        obl,
        oll: omem.div_ceil(REPLY_CHUNK),
        omem,
    }
}

/// The limits of a client's class: (hard, soft, soft seconds).
fn class_limits(config: &crate::config::Config, client: &Client) -> (u64, u64, u64) {
    if client.subscriptions > 0 || !client.shard_channels.is_empty() {
        config.client_output_buffer_limit_pubsub
    } else {
        config.client_output_buffer_limit_normal
    }
}

/// What a connection takes: its buffers as allocated, and itself (CLIENT LIST tot-mem
/// without the MULTI queue; what maxmemory-clients counts).
pub fn session_memory(s: &Session) -> usize {
    s.rbuf.capacity() + s.wbuf.capacity() + std::mem::size_of::<Conn>()
}

/// The largest reply a command builds when the client chose its size (random picks with
/// repeats), whatever the limits: past it the client is closed.
const MAX_BUILT_REPLY: u64 = 512 << 20;

/// For a reply whose size the client chose, checked as it grows to `len` bytes of pending
/// output: true once it is past the client's hard limit (or `MAX_BUILT_REPLY`), with the
/// client marked to be closed; the command stops building it there, as Redis stops such a
/// command mid-run.
pub fn reply_too_big(config: &crate::config::Config, client: &mut Client, len: usize) -> bool {
    let hard = class_limits(config, client).0;
    let cap = if hard == 0 {
        MAX_BUILT_REPLY
    } else {
        hard.saturating_add(REPLY_CHUNK as u64).min(MAX_BUILT_REPLY)
    };
    if len as u64 > cap {
        log::warn!(
            "Client id={} addr={} closed: its reply went over the output buffer limits while being built.",
            client.id,
            client.addr
        );
        client.close_asap = true;
        return true;
    }
    false
}

/// Checks `client`, whose pending output is `pending` bytes, against `limits`; true if
/// it must be closed (logged here). Tracks when the soft limit was first passed.
fn over_limit(limits: (u64, u64, u64), client: &mut Client, pending: usize) -> bool {
    let (hard, soft, soft_secs) = limits;
    let used = output_use(pending).omem as u64;
    let over_hard = hard > 0 && used >= hard;
    let mut over_soft = false;
    if soft > 0 && used >= soft {
        let since = *client.obuf_soft_since.get_or_insert_with(Instant::now);
        over_soft = since.elapsed().as_secs() >= soft_secs;
    } else {
        client.obuf_soft_since = None;
    }
    if over_hard || over_soft {
        log::warn!(
            "Client id={} addr={} laddr={} name={} scheduled to be closed ASAP for overcoming of output buffer limits.",
            client.id,
            client.addr,
            client.laddr,
            client.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default()
        );
    }
    over_hard || over_soft
}

/// Marks `client` to be closed and drops its pending output when it is over its limits.
fn enforce(limits: (u64, u64, u64), client: &mut Client, wbuf: &mut Vec<u8>, wpos: &mut usize) {
    let pending = wbuf.len().saturating_sub(*wpos);
    if pending <= REPLY_CHUNK {
        client.obuf_soft_since = None;
        return;
    }
    if client.close_asap || limits == (0, 0, 0) {
        return;
    }
    if over_limit(limits, client, pending) {
        client.close_asap = true;
        *wbuf = Vec::new();
        *wpos = 0;
    }
}

/// Peak buffer sizes over the last seconds (INFO client_recent_max_input_buffer and
/// client_recent_max_output_buffer), one slot per second as Redis keeps them.
#[derive(Debug, Default)]
pub struct Peaks {
    input: [usize; 8],
    output: [usize; 8],
    /// The second of the slot being filled.
    second: u64,
}

impl Peaks {
    /// Records one client's buffers at unix second `now`.
    pub fn record(&mut self, now: u64, input: usize, output: usize) {
        if now != self.second {
            // Slots of the seconds skipped (and the one now starting) are stale.
            let gap = now.saturating_sub(self.second).min(8);
            for s in 1..=gap {
                let i = ((self.second + s) % 8) as usize;
                self.input[i] = 0;
                self.output[i] = 0;
            }
            self.second = now;
        }
        let i = (now % 8) as usize;
        self.input[i] = self.input[i].max(input);
        self.output[i] = self.output[i].max(output);
    }

    pub fn recent_max(&self) -> (usize, usize) {
        let m = |a: &[usize; 8]| a.iter().copied().max().unwrap_or(0);
        (m(&self.input), m(&self.output))
    }
}

impl Core {
    /// The largest input and output buffers of the last seconds (INFO clients).
    pub fn client_buffer_peaks(&self) -> (usize, usize) {
        self.obuf_peaks.recent_max()
    }

    /// The check for a client whose session is at hand: over a limit, it is marked to
    /// close and its pending output dropped, so that nothing more is written to it.
    pub(super) fn enforce_output_limit(
        &self,
        client: &mut Client,
        wbuf: &mut Vec<u8>,
        wpos: &mut usize,
    ) {
        enforce(class_limits(&self.config, client), client, wbuf, wpos);
    }

    /// The same for the connection at slab key `token`, unless its commands are running;
    /// its memory is counted again.
    pub(super) fn enforce_output_limit_at(&mut self, token: usize) {
        let config = &self.config;
        if let Some(conn) = self.conns.get_mut(token).filter(|c| !c.running) {
            let s = &mut conn.s;
            enforce(
                class_limits(config, &s.client),
                &mut s.client,
                &mut s.wbuf,
                &mut s.wpos,
            );
        }
        self.account_memory(token);
    }

    /// Counts again what the connection at `token` takes (unless its commands run: its
    /// session is counted when it comes back).
    pub(super) fn account_memory(&mut self, token: usize) {
        if let Some(conn) = self.conns.get_mut(token).filter(|c| !c.running) {
            let mem = session_memory(&conn.s);
            self.clients_mem = self.clients_mem - conn.mem + mem;
            conn.mem = mem;
        }
    }

    /// maxmemory-clients in bytes (a negative setting is a percentage of maxmemory), if
    /// set.
    fn clients_memory_limit(&self) -> Option<usize> {
        let v = self.config.maxmemory_clients;
        let limit = if v < 0 {
            self.config.maxmemory.saturating_mul(v.unsigned_abs()) / 100
        } else {
            v as u64
        };
        (limit > 0).then_some(limit as usize)
    }

    /// maxmemory-clients: while the connections take more than the limit, the largest
    /// one that may be evicted (not CLIENT NO-EVICT, not running) is
    /// returned to be closed, as Redis evicts its largest clients first. Each one returned
    /// is counted in INFO evicted_clients.
    pub(super) fn client_to_evict(&mut self) -> Option<usize> {
        let limit = self.clients_memory_limit()?;
        if self.clients_mem <= limit {
            return None;
        }
        let (t, conn) = self
            .conns
            .iter()
            .filter(|(_, c)| !c.running && !c.s.client.no_evict && !c.s.client.close_asap)
            .max_by_key(|(_, c)| c.mem)?;
        let c = &conn.s.client;
        log::info!(
            "Evicting client: id={} addr={} laddr={} name={} tot-mem={}",
            c.id,
            c.addr,
            c.laddr,
            c.name
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default(),
            conn.mem
        );
        self.stats.evicted_clients += 1;
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_counts_past_the_first_block() {
        assert_eq!(output_use(0), OutputUse::default());
        assert_eq!(
            output_use(100),
            OutputUse {
                obl: 100,
                oll: 0,
                omem: 0
            }
        );
        assert_eq!(
            output_use(REPLY_CHUNK + 1),
            OutputUse {
                obl: REPLY_CHUNK,
                oll: 1,
                omem: 1
            }
        );
        assert_eq!(output_use(REPLY_CHUNK * 3).oll, 2);
    }

    #[test]
    fn peaks_forget_after_eight_seconds() {
        let mut p = Peaks::default();
        p.record(100, 10, 500);
        p.record(101, 20, 5);
        assert_eq!(p.recent_max(), (20, 500));
        p.record(107, 0, 0);
        assert_eq!(p.recent_max(), (20, 500));
        // Second 100 is forgotten, 101 is not yet.
        p.record(108, 0, 0);
        assert_eq!(p.recent_max(), (20, 5));
        p.record(109, 0, 0);
        assert_eq!(p.recent_max(), (0, 0));
        p.record(200, 1, 1);
        assert_eq!(p.recent_max(), (1, 1));
    }
}
