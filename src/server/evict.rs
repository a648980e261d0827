//! maxmemory: measuring used memory cheaply and evicting keys until it is under the
//! limit, as Redis's performEvictions does.
//!
//! Used memory is jemalloc's count of the loop thread's allocations: the thread's
//! lifetime allocated and deallocated byte counters (`thread.allocatedp` and
//! `thread.deallocatedp`, read through pointers, so a reading is two loads), plus an
//! offset re-anchored on the allocator's global `stats.allocated` in every cron, which
//! takes in whatever other threads did and keeps INFO's `used_memory` and the limit
//! check in agreement. Nothing here runs while `maxmemory` is 0.
//!
//! Before each command (and in the cron, and when CONFIG SET lowers the limit) the
//! server evicts while used memory, minus what Redis does not count (the AOF buffer), is
//! over the limit: it frees the excess measured at the start, with a time limit set by
//! `maxmemory-eviction-tenacity`; past it, the cron carries on. When nothing can be
//! evicted (noeviction, or no key qualifies) the dispatcher refuses DENYOOM commands.

use super::Core;
use crate::config::MaxmemoryPolicy;
use crate::store::Store;
use std::time::Instant;

/// The reply to a command refused for memory (Redis shared.oomerr).
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// What an eviction pass achieved (Redis EVICT_OK, EVICT_RUNNING, EVICT_FAIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Memory is under the limit.
    Ok,
    /// Still over after the time limit: evicting goes on in the cron.
    Running,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

/// Eviction state kept by the server.
#[derive(Debug, Default)]
pub struct Evict {
    /// Used memory = offset + the loop thread's net allocated bytes.
    offset: i64,
    anchored: bool,
    /// Since when memory has been over the limit without an eviction pass bringing it
    /// back under (INFO current_eviction_exceeded_time).
    exceeded_since: Option<Instant>,
    /// Sum of the closed periods over the limit, µs (INFO total_eviction_exceeded_time).
    pub total_exceeded_us: u64,
    /// The last pass stopped at its time limit with memory still over.
    pub running: bool,
}

/// Bytes the loop thread allocated minus bytes it freed, over its lifetime; None when
/// the allocator cannot say.
#[cfg(not(target_env = "msvc"))]
#[inline]
fn thread_net() -> Option<i64> {
    use std::cell::Cell;
    use tikv_jemalloc_ctl::thread::{allocatedp, deallocatedp, ThreadLocal};
    type Counters = Option<(ThreadLocal<u64>, ThreadLocal<u64>)>;
    thread_local! {
        static COUNTERS: Cell<Counters> = const { Cell::new(None) };
    }
    let (a, d) = match COUNTERS.with(Cell::get) {
        Some(p) => p,
        None => {
            let p = (allocatedp::read().ok()?, deallocatedp::read().ok()?);
            COUNTERS.with(|c| c.set(Some(p)));
            p
        }
    };
    Some(a.get().wrapping_sub(d.get()) as i64)
}

#[cfg(target_env = "msvc")]
fn thread_net() -> Option<i64> {
    None
}

impl Evict {
    /// Re-anchors the cheap count on the allocator's global figure (`stats.allocated`,
    /// just read by the caller).
    pub fn anchor(&mut self, global: u64) {
        if let Some(n) = thread_net() {
            self.offset = global as i64 - n;
            self.anchored = true;
        }
    }

    /// Used memory as the limit sees it before subtracting what is not counted.
    #[inline]
    pub fn used(&mut self) -> u64 {
        if !self.anchored {
            self.anchor(crate::commands::server::info::used_memory());
        }
        match thread_net() {
            Some(n) if self.anchored => (self.offset + n).max(0) as u64,
            _ => crate::commands::server::info::used_memory(),
        }
    }

    /// The per-command fast path: under `max` and no pass left memory over it, so
    /// there is nothing to evict or refuse.
    #[inline]
    pub fn fits(&mut self, max: u64) -> bool {
        self.exceeded_since.is_none() && self.anchored && self.used() <= max
    }

    fn exceeded(&mut self, over: bool) {
        match (over, self.exceeded_since) {
            (true, None) => self.exceeded_since = Some(Instant::now()),
            (false, Some(t)) => {
                self.total_exceeded_us += t.elapsed().as_micros() as u64;
                self.exceeded_since = None;
            }
            _ => {}
        }
    }

    /// CONFIG RESETSTAT: the exceeded-time counters start over.
    pub fn reset_stats(&mut self) {
        self.total_exceeded_us = 0;
        self.exceeded_since = None;
    }

    /// INFO current_eviction_exceeded_time, ms.
    pub fn current_exceeded_ms(&self) -> u64 {
        self.exceeded_since
            .map_or(0, |t| t.elapsed().as_millis() as u64)
    }
}

/// Memory Redis leaves out of the limit check: the AOF buffer (mem_not_counted_for_evict).
pub fn not_counted(core: &Core) -> u64 {
    if core.config.appendonly {
        core.aof.buf.capacity() as u64
    } else {
        0
    }
}

/// Used memory minus what is not counted for the limit.
pub fn used_minus_not_counted(core: &mut Core) -> u64 {
    core.evict.used().saturating_sub(not_counted(core))
}

/// How many bytes must go to be under the limit; 0 when under it (or no limit).
pub fn to_free(core: &mut Core) -> u64 {
    let max = core.config.maxmemory;
    if max == 0 {
        return 0;
    }
    let used = core.evict.used();
    if used <= max {
        return 0;
    }
    used.saturating_sub(not_counted(core)).saturating_sub(max)
}

/// How long one pass may evict, from maxmemory-eviction-tenacity (Redis's scale: linear
/// up to 500 µs at 10, then 15% more per step, unlimited at 100).
pub fn time_limit_us(tenacity: u32) -> u64 {
    match tenacity {
        0..=10 => 50 * tenacity as u64,
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

/// Evicts keys until used memory is under maxmemory or time is up (Redis
/// performEvictions). The evictions' side effects wait in `store` (AOF DELs, events,
/// WATCH signals) for the caller to deliver.
pub fn perform_evictions(store: &mut Store, core: &mut Core) -> Outcome {
    // While loading, and while a CLIENT PAUSE keeps the data as it is, nothing goes.
    if store.loading || store.keep_expired {
        return Outcome::Ok;
    }
    let need = to_free(core);
    let policy = core.config.maxmemory_policy;
    let outcome = if need == 0 {
        Outcome::Ok
    } else if policy == MaxmemoryPolicy::NoEviction {
        Outcome::Fail
    } else {
        evict_loop(store, core, need, policy)
    };
    core.evict.running = outcome == Outcome::Running;
    core.evict.exceeded(outcome != Outcome::Ok);
    outcome
}

fn evict_loop(store: &mut Store, core: &mut Core, need: u64, policy: MaxmemoryPolicy) -> Outcome {
    let start = Instant::now();
    let limit_us = time_limit_us(core.config.maxmemory_eviction_tenacity);
    let samples = core.config.maxmemory_samples as usize;
    let saved_now = store.now;
    store.now = crate::store::now_ms();
    let mut freed: i64 = 0;
    let mut keys = 0u64;
    let outcome = loop {
        if freed >= need as i64 {
            break Outcome::Ok;
        }
        let Some((db, key)) = store.evict_candidate(policy, samples) else {
            break Outcome::Fail;
        };
        let before = core.evict.used() as i64;
        let removed = store.evict_remove(db, &key);
        freed += before - core.evict.used() as i64;
        if removed {
            store.note_evicted(db, &key);
            keys += 1;
        }
        if keys.is_multiple_of(16) && start.elapsed().as_micros() as u64 > limit_us {
            break Outcome::Running;
        }
    };
    store.now = saved_now;
    let usec = start.elapsed().as_micros() as u64;
    crate::commands::server::latency::sample_if_needed(core, "eviction-cycle", usec);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_scale() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert!(time_limit_us(99) > 100_000_000);
        assert_eq!(time_limit_us(100), u64::MAX);
    }

    #[test]
    fn exceeded_time_accumulates_on_recovery() {
        let mut e = Evict::default();
        e.exceeded(true);
        assert!(e.exceeded_since.is_some());
        std::thread::sleep(std::time::Duration::from_millis(2));
        e.exceeded(false);
        assert!(e.exceeded_since.is_none());
        assert!(e.total_exceeded_us >= 2000);
        assert_eq!(e.current_exceeded_ms(), 0);
    }
}
