//! The latency monitor: LATENCY LATEST / HISTORY / RESET / HELP.
//!
//! When `latency-monitor-threshold` is set (milliseconds), events that take at least that
//! long are recorded per event class, as Redis does: "command" for slow commands,
//! "fast-command" for commands flagged fast, "expire-cycle" for the active expiry cycle.
//! Each class keeps its last 160 samples, at most one per second (the largest), and the
//! all-time maximum.

#![deny(clippy::indexing_slicing)]

use super::help_reply;
use crate::commands::{flags, Args, CommandDef, Ctx};
use crate::error::CmdResult;
use crate::server::Core;
use std::collections::{BTreeMap, VecDeque};

/// Samples kept per event class.
const HISTORY_LEN: usize = 160;

#[derive(Debug, Default, Clone)]
pub struct EventSeries {
    /// (unix seconds, latency ms), oldest first.
    pub samples: VecDeque<(i64, u64)>,
    pub max: u64,
}

#[derive(Debug, Default)]
pub struct LatencyMonitor {
    pub events: BTreeMap<&'static str, EventSeries>,
}

impl LatencyMonitor {
    /// Records a sample of `ms` milliseconds for `event` at `now` (unix seconds).
    pub fn add_sample(&mut self, event: &'static str, ms: u64, now: i64) {
        let ts = self.events.entry(event).or_default();
        ts.max = ts.max.max(ms);
        if let Some(last) = ts.samples.back_mut() {
            if last.0 == now {
                last.1 = last.1.max(ms);
                return;
            }
        }
        ts.samples.push_back((now, ms));
        while ts.samples.len() > HISTORY_LEN {
            ts.samples.pop_front();
        }
    }
}

/// Records `event` when it took at least the configured threshold.
pub fn sample_if_needed(core: &mut Core, event: &'static str, usec: u64) {
    let threshold = core.config().latency_monitor_threshold;
    let ms = usec / 1000;
    if threshold > 0 && ms >= threshold {
        let now = crate::store::now_ms() / 1000;
        core.diag_mut().latency.add_sample(event, ms, now);
    }
}

/// Called by the dispatcher after each command with its duration.
#[inline]
pub fn record_command(core: &mut Core, cmd: &CommandDef, usec: u64) {
    if core.config().latency_monitor_threshold > 0 && !cmd.is(flags::BLOCKING) {
        let event = if cmd.is(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        sample_if_needed(core, event, usec);
    }
}

/// LATENCY LATEST
pub fn latest(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let ev = &ctx.srv.diag().latency.events;
    let r = &mut ctx.reply;
    r.array(ev.len());
    for (name, ts) in ev {
        let (t, l) = ts.samples.back().copied().unwrap_or((0, 0));
        r.array(4);
        r.bulk(name.as_bytes());
        r.int(t);
        r.int(l as i64);
        r.int(ts.max as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event
pub fn history(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let ev = &ctx.srv.diag().latency.events;
    let name = a.get(2);
    let series = ev
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, s)| s);
    let r = &mut ctx.reply;
    match series {
        None => r.array(0),
        Some(s) => {
            r.array(s.samples.len());
            for (t, l) in &s.samples {
                r.array(2);
                r.int(*t);
                r.int(*l as i64);
            }
        }
    }
    Ok(())
}

/// LATENCY RESET [event [event ...]]
pub fn reset(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let ev = &mut ctx.srv.diag_mut().latency.events;
    let n = if a.len() == 2 {
        let n = ev.len();
        ev.clear();
        n
    } else {
        let mut n = 0;
        for name in a.from(2) {
            let key = ev.keys().copied().find(|k| k.as_bytes() == name);
            if let Some(k) = key {
                ev.remove(k);
                n += 1;
            }
        }
        n
    };
    ctx.reply.int(n as i64);
    Ok(())
}

/// LATENCY HELP
pub fn help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    help_reply(
        ctx,
        "LATENCY",
        &[
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
        ],
    );
    Ok(())
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::testutil::Env;
    use super::*;

    #[test]
    fn one_sample_per_second_keeps_the_largest() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 5, 100);
        m.add_sample("command", 9, 100);
        m.add_sample("command", 3, 100);
        m.add_sample("command", 4, 101);
        let s = &m.events["command"];
        assert_eq!(s.samples, VecDeque::from(vec![(100, 9), (101, 4)]));
        assert_eq!(s.max, 9);
        for t in 0..500 {
            m.add_sample("x", 1, t);
        }
        assert_eq!(m.events["x"].samples.len(), HISTORY_LEN);
    }

    #[test]
    fn commands_reply() {
        let mut e = Env::new();
        assert_eq!(e.run(&["latency", "latest"]), "*0\r\n");
        e.core.config_mut().latency_monitor_threshold = 1;
        sample_if_needed(&mut e.core, "command", 2500);
        sample_if_needed(&mut e.core, "fast-command", 500);
        let r = e.run(&["latency", "latest"]);
        assert!(r.starts_with("*1\r\n*4\r\n$7\r\ncommand\r\n:"));
        assert!(r.ends_with(":2\r\n:2\r\n"));
        let h = e.run(&["latency", "history", "command"]);
        assert!(h.starts_with("*1\r\n*2\r\n:"));
        assert_eq!(e.run(&["latency", "history", "nosuch"]), "*0\r\n");
        assert_eq!(e.run(&["latency", "reset", "nosuch", "command"]), ":1\r\n");
        assert_eq!(e.run(&["latency", "reset"]), ":0\r\n");
    }
}
