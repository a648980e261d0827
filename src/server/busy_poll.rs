//! Adaptive busy polling: the loop polls without sleeping for a short while after work.
//!
//! When the loop's thread sleeps in epoll_wait, its CPU goes idle, and the next client
//! that sends a request pays to wake it up: its send(2) runs the wake-up of a halted CPU
//! (an inter-processor interrupt; in a virtual machine, an exit to the hypervisor as
//! well). Without pipelining, requests of 50 connections arrive a few microseconds
//! apart, and a loop that serves each quickly falls asleep between most of them, so the
//! clients spend more time waking the server than the server spends serving them.
//!
//! After an iteration that did work the loop therefore keeps polling with a zero timeout
//! for a window of up to `busy-poll-usec` microseconds before it blocks. The window adapts
//! to the idle stretches it sees, as the kernel's haltpoll idle governor does for a CPU:
//! - the next event came while polling: nothing to change;
//! - it came after the loop had blocked, but within `busy-poll-usec`: a longer window
//!   would have caught it, so the window doubles (starting from a quarter of the limit);
//! - it came later than `busy-poll-usec`: polling was wasted, so the window halves, down
//!   to nothing. An idle or lightly loaded server so stops polling after a few requests.
//!
//! Polling is also paid for by work: each idle stretch may poll for at most as long as
//! the loop has worked since the last one (a credit, capped at `busy-poll-usec`). Under
//! a moderate load whose gaps the window still covers (a client sending a request every
//! 100 µs) polling cannot go beyond doubling the loop's CPU, where an unbounded window
//! would keep the CPU busy all the time for a few thousand requests a second.
//!
//! A machine with one CPU never polls: there the poller would only take the CPU from
//! the process that sends it work.

use std::time::{Duration, Instant};

/// Below this a halved window is dropped to zero.
const MIN_WINDOW: Duration = Duration::from_micros(1);

#[derive(Debug)]
pub struct BusyPoll {
    /// The machine has more than one CPU (otherwise polling stays off).
    parallel: bool,
    /// The longest window (`busy-poll-usec`); zero turns polling off.
    limit: Duration,
    /// The current window.
    window: Duration,
    /// Since when the loop has had nothing to do; None while it is working.
    idle_since: Option<Instant>,
    /// Since when the loop has been working; None while it is idle.
    working_since: Option<Instant>,
    /// Polling time earned by work (at most `limit`).
    credit: Duration,
    /// How long the current idle stretch may poll: the window, within the credit.
    budget: Duration,
}

impl BusyPoll {
    pub fn new(limit: Duration) -> BusyPoll {
        let mut p = BusyPoll {
            parallel: std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
            limit: Duration::ZERO,
            window: Duration::ZERO,
            idle_since: None,
            working_since: None,
            credit: Duration::ZERO,
            budget: Duration::ZERO,
        };
        p.set_limit(limit);
        p
    }

    /// Sets the longest window (`busy-poll-usec`, which CONFIG SET may change).
    pub fn set_limit(&mut self, limit: Duration) {
        if limit == self.limit {
            return;
        }
        let limit = if self.parallel { limit } else { Duration::ZERO };
        self.limit = limit;
        self.window = self.window.min(limit);
        self.credit = self.credit.min(limit);
    }

    /// The timeout of the next poll: zero while within the window of the current idle
    /// stretch, otherwise `blocking` (the loop's own timeout; zero when it has work
    /// pending, which is not idleness).
    pub fn timeout(&mut self, now: Instant, blocking: Option<Duration>) -> Option<Duration> {
        if blocking == Some(Duration::ZERO) {
            self.idle_since = None;
            return blocking;
        }
        let since = match self.idle_since {
            Some(t) => t,
            None => {
                // A new idle stretch: the work just done earns polling time.
                if let Some(w) = self.working_since.take() {
                    self.credit = (self.credit + now.saturating_duration_since(w)).min(self.limit);
                }
                self.budget = self.window.min(self.credit);
                *self.idle_since.insert(now)
            }
        };
        if now.saturating_duration_since(since) < self.budget {
            Some(Duration::ZERO)
        } else {
            blocking
        }
    }

    /// After a poll: whether it returned events. Ends an idle stretch and adapts the
    /// window to its length.
    pub fn polled(&mut self, now: Instant, events: bool) {
        if !events {
            return;
        }
        self.working_since.get_or_insert(now);
        let Some(since) = self.idle_since.take() else {
            return;
        };
        let idle = now.saturating_duration_since(since);
        self.credit = self.credit.saturating_sub(idle.min(self.budget));
        if idle <= self.window {
            return;
        }
        if idle <= self.limit {
            self.window = (self.window * 2).max(self.limit / 4).min(self.limit);
        } else {
            self.window /= 2;
            if self.window < MIN_WINDOW {
                self.window = Duration::ZERO;
            }
        }
    }

    #[cfg(test)]
    fn window(&self) -> Duration {
        self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: Duration = Duration::from_micros(1);

    fn poller(limit_us: u64) -> BusyPoll {
        BusyPoll {
            parallel: true,
            limit: US * limit_us as u32,
            window: Duration::ZERO,
            idle_since: None,
            working_since: None,
            credit: US * limit_us as u32,
            budget: Duration::ZERO,
        }
    }

    /// One idle stretch: the loop finishes work at `t0`, polls at the given offsets (µs)
    /// and the last poll returns events. Returns the timeouts it was given.
    fn stretch(p: &mut BusyPoll, t0: Instant, polls_us: &[u64]) -> Vec<Option<Duration>> {
        let block = Some(Duration::from_millis(100));
        let mut out = vec![];
        for (i, &at) in polls_us.iter().enumerate() {
            let now = t0 + US * at as u32;
            out.push(p.timeout(now, block));
            p.polled(now, i + 1 == polls_us.len());
        }
        out
    }

    #[test]
    fn starts_without_polling_and_grows_on_short_sleeps() {
        let mut p = poller(40);
        let t0 = Instant::now();
        // The window is zero: the first poll blocks; the event came 5 µs later.
        assert_eq!(
            stretch(&mut p, t0, &[0, 5]),
            vec![Some(Duration::from_millis(100)); 2]
        );
        assert_eq!(p.window(), US * 10);
        stretch(&mut p, t0 + US * 100, &[0, 15]);
        assert_eq!(p.window(), US * 20);
        stretch(&mut p, t0 + US * 200, &[0, 30]);
        assert_eq!(p.window(), US * 40);
        stretch(&mut p, t0 + US * 300, &[0, 35]);
        assert_eq!(p.window(), US * 40, "never beyond the limit");
    }

    #[test]
    fn polls_within_the_window_then_blocks() {
        let mut p = poller(40);
        p.window = US * 20;
        let t0 = Instant::now();
        let t = stretch(&mut p, t0, &[0, 10, 19, 20, 25]);
        let z = Some(Duration::ZERO);
        let b = Some(Duration::from_millis(100));
        assert_eq!(t, vec![z, z, z, b, b]);
        // Caught after the window but within the limit: grows.
        assert_eq!(p.window(), US * 40);
        // Caught while polling: unchanged.
        stretch(&mut p, t0 + US * 100, &[0, 3]);
        assert_eq!(p.window(), US * 40);
    }

    #[test]
    fn long_idle_shrinks_to_nothing() {
        let mut p = poller(40);
        p.window = US * 40;
        let t0 = Instant::now();
        let mut at = 0;
        let mut windows = vec![];
        for _ in 0..7 {
            stretch(&mut p, t0 + US * at, &[0, 1000]);
            windows.push(p.window().as_micros());
            at += 2000;
        }
        assert_eq!(windows, vec![20, 10, 5, 2, 1, 0, 0]);
    }

    #[test]
    fn pending_work_is_not_idleness() {
        let mut p = poller(40);
        p.window = US * 20;
        let t0 = Instant::now();
        assert_eq!(p.timeout(t0, Some(Duration::ZERO)), Some(Duration::ZERO));
        p.polled(t0, false);
        // Still working at +30 µs: the idle stretch starts only now.
        assert_eq!(
            p.timeout(t0 + US * 30, Some(Duration::ZERO)),
            Some(Duration::ZERO)
        );
        assert_eq!(p.timeout(t0 + US * 31, None), Some(Duration::ZERO));
        assert_eq!(p.timeout(t0 + US * 45, None), Some(Duration::ZERO));
        assert_eq!(p.timeout(t0 + US * 51, None), None);
    }

    #[test]
    fn polling_is_paid_for_by_work() {
        let mut p = poller(200);
        p.window = US * 200;
        p.credit = Duration::ZERO;
        let t0 = Instant::now();
        let z = Some(Duration::ZERO);
        let b = Some(Duration::from_millis(100));
        // Nothing earned yet: the loop sleeps at once.
        assert_eq!(stretch(&mut p, t0, &[0, 100]), vec![b, b]);
        // 5 µs of work (the stretch's end until the next one starts) buys 5 µs of polling.
        let t1 = t0 + US * 105;
        assert_eq!(stretch(&mut p, t1, &[0, 4, 5, 100]), vec![z, z, b, b]);
        assert_eq!(p.credit, Duration::ZERO);
        // Long work earns at most the limit.
        let t2 = t1 + US * 100 + US * 10_000;
        assert_eq!(stretch(&mut p, t2, &[0, 199, 200]), vec![z, z, b]);
    }

    #[test]
    fn zero_limit_never_polls() {
        let mut p = poller(0);
        let t0 = Instant::now();
        for i in 0..5 {
            let t = stretch(&mut p, t0 + US * (i * 100), &[0, 3]);
            assert_eq!(t, vec![Some(Duration::from_millis(100)); 2]);
        }
        assert_eq!(p.window(), Duration::ZERO);
    }
}
