//! The latency monitor: LATENCY LATEST / HISTORY / RESET / DOCTOR / GRAPH / HISTOGRAM /
//! HELP.
//!
//! When `latency-monitor-threshold` is set (milliseconds), events that take at least that
//! long are recorded per event class, as Redis does: "command" for slow commands,
//! "fast-command" for commands flagged fast, "expire-cycle" for the active expiry cycle.
//! Each class keeps its last 160 samples, at most one per second (the largest), and the
//! all-time maximum.
//!
//! LATENCY HISTOGRAM reads the per-command latency histograms the dispatcher records
//! while `latency-tracking` is on (`util::histogram`; INFO latencystats shows their
//! percentiles).

#![deny(clippy::indexing_slicing)]

use super::help_reply;
use crate::commands::{flags, Args, CommandDef, Ctx, TABLE};
use crate::error::{CmdResult, Error};
use crate::server::Core;
use crate::util::histogram::Histogram;
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

/// LATENCY HISTOGRAM [command ...]: per command (all with data when none is named), its
/// calls and cumulative latency distribution; unknown names are skipped, a container
/// stands for its subcommands.
pub fn histogram(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let stats = ctx.srv.cmd_stats();
    let mut rows: Vec<(&'static str, &Histogram)> = Vec::new();
    let add = |row: &'static CommandDef, rows: &mut Vec<_>| {
        if let Some(h) = stats.get(row).and_then(|st| st.latency.as_deref()) {
            rows.push((TABLE.full_name(row), h));
        }
    };
    let with_subs = |c: &'static CommandDef, rows: &mut Vec<_>| {
        add(c, rows);
        for s in c.subcommands {
            add(s, rows);
        }
    };
    if a.len() == 2 {
        for &c in &TABLE.all {
            with_subs(c, &mut rows);
        }
    } else {
        for name in a.from(2) {
            if let Some(c) = lookup(name) {
                with_subs(c, &mut rows);
            }
        }
    }
    let r = &mut ctx.reply;
    r.map(rows.len());
    for (name, h) in rows {
        r.bulk(name.as_bytes());
        r.map(2);
        r.bulk(b"calls");
        r.int(h.total() as i64);
        r.bulk(b"histogram_usec");
        let buckets = h.log_buckets();
        r.map(buckets.len());
        for (usec, n) in buckets {
            r.int(usec as i64);
            r.int(n as i64);
        }
    }
    Ok(())
}

/// A command by name, "config|set" naming a subcommand.
fn lookup(name: &[u8]) -> Option<&'static CommandDef> {
    let mut parts = name.splitn(2, |&b| b == b'|');
    let top = TABLE.get(parts.next()?)?;
    match parts.next() {
        None => Some(top),
        Some(sub) => crate::commands::Table::sub(top, sub),
    }
}

/// Statistics of one event class for DOCTOR: (samples, average, mean deviation, period).
fn analyze(s: &EventSeries, now: i64) -> (u64, u64, u64, i64) {
    let n = s.samples.len() as u64;
    if n == 0 {
        return (0, 0, 0, 0);
    }
    let sum: u64 = s.samples.iter().map(|x| x.1).sum();
    let oldest = s.samples.iter().map(|x| x.0).min().unwrap_or(now);
    let avg = sum / n;
    let period = match now - oldest {
        0 => 1,
        p => p,
    };
    let dev: u64 = s.samples.iter().map(|x| avg.abs_diff(x.1)).sum();
    (n, avg, dev / n, period)
}

/// LATENCY DOCTOR: Redis's report on the recorded events.
pub fn doctor(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let text = doctor_report(ctx);
    ctx.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

fn doctor_report(ctx: &Ctx) -> String {
    let cfg = ctx.config();
    let ev = &ctx.srv.diag().latency.events;
    let threshold = cfg.latency_monitor_threshold;
    if ev.is_empty() && threshold == 0 {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into();
    }
    let now = crate::store::now_ms() / 1000;
    let mut out = String::new();
    let (mut slowlog_enabled, mut slowlog_tuning, mut slowlog_inspect) = (false, false, false);
    let (mut scheduler, mut hz, mut large, mut mass_eviction) = (false, false, false, false);
    let mut advices = 0;
    for (i, (name, s)) in ev.iter().enumerate() {
        if i == 0 {
            out.push_str("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        }
        let (n, avg, mad, period) = analyze(s, now);
        out.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            i + 1,
            name,
            n,
            avg,
            mad,
            period as f64 / n.max(1) as f64,
            s.max
        ));
        match *name {
            "command" => {
                if cfg.slowlog_log_slower_than < 0 {
                    slowlog_enabled = true;
                    advices += 1;
                } else if (cfg.slowlog_log_slower_than / 1000) as u64 > threshold {
                    slowlog_tuning = true;
                    advices += 1;
                }
                slowlog_inspect = true;
                large = true;
                advices += 2;
            }
            "fast-command" => {
                scheduler = true;
                advices += 1;
            }
            "expire-cycle" => {
                hz = true;
                large = true;
                advices += 2;
            }
            "eviction-cycle" => {
                mass_eviction = true;
                advices += 1;
            }
            _ => {}
        }
        out.push('\n');
    }
    if ev.is_empty() && advices == 0 {
        out.push_str("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return out;
    }
    if advices == 0 {
        out.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return out;
    }
    out.push_str("\nI have a few advices for you:\n\n");
    if slowlog_enabled {
        out.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold * 1000));
    }
    if slowlog_tuning {
        out.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold * 1000));
    }
    if slowlog_inspect {
        out.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    }
    if scheduler {
        out.push_str("- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n");
    }
    if hz && cfg.hz < 100 {
        out.push_str("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n");
    }
    if large {
        out.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    }
    if mass_eviction {
        out.push_str("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
    }
    out
}

/// LATENCY GRAPH event
pub fn graph(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let name = a.get(2);
    let ev = &ctx.srv.diag().latency.events;
    let Some((event, s)) = ev.iter().find(|(n, _)| n.as_bytes() == name) else {
        return Err(Error::msg(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(name)
        )));
    };
    let now = crate::store::now_ms() / 1000;
    let text = graph_text(event, s, now);
    ctx.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

/// Redis's sparkline of an event's samples: a header, 80 dashes, then 4 rows of the
/// graph and the labels (how long ago) written vertically.
fn graph_text(event: &str, s: &EventSeries, now: i64) -> String {
    let min = s.samples.iter().map(|x| x.1).min().unwrap_or(0);
    let max = s.samples.iter().map(|x| x.1).max().unwrap_or(0);
    let mut out = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n{}\n",
        s.max,
        "-".repeat(80)
    );
    let labels: Vec<String> = s
        .samples
        .iter()
        .map(|&(t, _)| {
            let e = now - t;
            if e < 60 {
                format!("{e}s")
            } else if e < 3600 {
                format!("{}m", e / 60)
            } else if e < 86400 {
                format!("{}h", e / 3600)
            } else {
                format!("{}d", e / 86400)
            }
        })
        .collect();
    let values: Vec<u64> = s.samples.iter().map(|x| x.1).collect();
    sparkline(&mut out, &values, &labels, 80, 4);
    out
}

/// Redis's `sparklineRender` with SPARKLINE_FILL: blocks of `columns` samples, each
/// `rows` rows of graph, a blank line, then the labels written vertically.
fn sparkline(out: &mut String, values: &[u64], labels: &[String], columns: usize, rows: usize) {
    const FILL: &[u8] = b"_o#";
    let (mut min, mut max) = (0.0f64, 0.0f64);
    for (i, &v) in values.iter().enumerate() {
        let v = v as f64;
        if i == 0 {
            (min, max) = (v, v);
        } else if v < min {
            min = v;
        } else if v > max {
            max = v;
        }
    }
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let steps = (FILL.len() * rows) as i64;
    let mut start = 0;
    while start < values.len() {
        if start != 0 {
            out.push('\n');
        }
        let len = (values.len() - start).min(columns);
        let chunk = values.get(start..start + len).unwrap_or(&[]);
        let chunk_labels = labels.get(start..start + len).unwrap_or(&[]);
        let mut row = 0;
        loop {
            let mut more = false;
            let mut chars = vec![b' '; len];
            for (j, (&v, slot)) in chunk.iter().zip(chars.iter_mut()).enumerate() {
                let relval = v as f64 - min;
                let step =
                    ((((relval * steps as f64) as i64) as f64 / relmax) as i64).clamp(0, steps - 1);
                if row < rows {
                    more = true;
                    let charidx = step - ((rows - row - 1) * FILL.len()) as i64;
                    if charidx >= 0 && (charidx as usize) < FILL.len() {
                        if let Some(c) = FILL.get(charidx as usize) {
                            *slot = *c;
                        }
                    } else if charidx >= FILL.len() as i64 {
                        *slot = b'|';
                    }
                } else {
                    // One blank line between the graph and the labels.
                    if row == rows {
                        more = true;
                        break;
                    }
                    let k = row - rows - 1;
                    if let Some(&b) = chunk_labels.get(j).and_then(|l| l.as_bytes().get(k)) {
                        more = true;
                        *slot = b;
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&chars));
            out.push('\n');
        }
        start += len;
    }
}

/// LATENCY HELP
pub fn help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    help_reply(
        ctx,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
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

    #[test]
    fn graph_is_redis_sparkline() {
        let mut s = EventSeries::default();
        for (t, ms) in [(98, 300), (99, 150), (100, 200)] {
            s.samples.push_back((t, ms));
        }
        s.max = 300;
        let want = format!(
            "command - high 300 ms, low 150 ms (all time high 300 ms)\n{}\n\
             #  \n|  \n| o\n|_|\n   \n210\nsss\n",
            "-".repeat(80)
        );
        assert_eq!(graph_text("command", &s, 100), want);
        // Equal samples sit on the bottom row; labels in minutes past a minute.
        let mut s = EventSeries::default();
        s.samples.push_back((0, 5));
        s.samples.push_back((1, 5));
        let g = graph_text("x", &s, 121);
        assert!(g.ends_with("\n  \n  \n  \n__\n  \n22\nmm\n"), "{g:?}");
    }

    #[test]
    fn doctor_texts() {
        let mut e = Env::new();
        let r = e.run(&["latency", "doctor"]);
        assert!(r.contains("I'm sorry, Dave, I can't do that. Latency monitoring is disabled"));
        e.core.config_mut().latency_monitor_threshold = 100;
        let r = e.run(&["latency", "doctor"]);
        assert!(r.contains("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"));
        sample_if_needed(&mut e.core, "command", 300_000);
        let r = e.run(&["latency", "doctor"]);
        assert!(r.contains("1. command: 1 latency spikes (average 300ms, mean deviation 0ms, period 1.00 sec). Worst all time event 300ms.\n"), "{r}");
        assert!(r.contains("- Check your Slow Log"), "{r}");
        assert!(e
            .run(&["latency", "graph", "nosuch"])
            .starts_with("-ERR No samples available for event 'nosuch'"));
    }

    #[test]
    fn histogram_reply() {
        let mut e = Env::new();
        assert_eq!(e.run(&["latency", "histogram"]), "*0\r\n");
        assert!(e.core.config().latency_tracking, "on by default");
        e.run(&["get", "x"]);
        e.run(&["get", "x"]);
        let want = "*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*";
        let r = e.run(&["latency", "histogram", "GET", "nosuch", "set"]);
        assert!(r.starts_with(want), "{r}");
        assert!(r.ends_with(":2\r\n"), "{r}");
        // Tracking off: nothing more is recorded.
        e.core.config_mut().latency_tracking = false;
        e.run(&["get", "x"]);
        assert!(e
            .run(&["latency", "histogram", "get"])
            .contains(":2\r\n$14"));
    }
}
