//! Cheap clocks for the per-command path.
//!
//! Every command needs its time snapshot (ms since the epoch, for expiry) and its
//! duration (µs, for SLOWLOG and INFO commandstats). Reading CLOCK_MONOTONIC directly is a
//! vDSO call with no conversion work; the wall clock is derived from an anchor taken once
//! per loop iteration, so a command costs two clock reads in all.

#![deny(clippy::indexing_slicing)]

/// Nanoseconds of CLOCK_MONOTONIC.
#[inline]
pub fn mono_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Wall-clock milliseconds matched to a monotonic instant.
#[derive(Debug, Clone, Copy)]
pub struct Anchor {
    mono_ns: u64,
    real_ms: i64,
}

impl Anchor {
    pub fn now() -> Anchor {
        Anchor {
            mono_ns: mono_ns(),
            real_ms: crate::store::now_ms(),
        }
    }

    /// Wall-clock ms at monotonic time `t` (taken after the anchor).
    #[inline]
    pub fn real_ms(&self, t: u64) -> i64 {
        self.real_ms + (t.saturating_sub(self.mono_ns) / 1_000_000) as i64
    }
}

impl Default for Anchor {
    fn default() -> Self {
        Anchor::now()
    }
}
