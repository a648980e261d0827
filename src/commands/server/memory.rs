//! MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP (MEMORY USAGE is in `admin`).
//!
//! The figures come from `info::MemOverhead`, the accounting INFO memory reports, so the
//! two agree. Ratios are computed in single precision as Redis does, so they print with
//! the same digits.

#![deny(clippy::indexing_slicing)]

use super::help_reply;
use super::info::MemOverhead;
use crate::commands::{Args, Ctx};
use crate::error::CmdResult;

/// `a / b` in single precision (0 when `b` is 0).
fn ratio32(a: u64, b: u64) -> f32 {
    if b == 0 {
        0.0
    } else {
        a as f32 / b as f32
    }
}

/// MEMORY STATS
pub fn stats(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let m = MemOverhead::measure(ctx.store, ctx.srv);
    let net = m.net_usage();
    let r = &mut ctx.reply;
    r.map(27 + m.dbs.len());
    let int = |r: &mut crate::resp::reply::Reply, k: &str, v: i64| {
        r.bulk_str(k);
        r.int(v);
    };
    int(r, "peak.allocated", m.peak as i64);
    int(r, "total.allocated", m.used as i64);
    int(r, "startup.allocated", m.startup as i64);
    int(r, "replication.backlog", 0);
    int(r, "clients.slaves", 0);
    int(r, "clients.normal", m.clients_normal as i64);
    int(r, "cluster.links", 0);
    int(r, "aof.buffer", m.aof_buffer as i64);
    int(r, "lua.caches", m.lua_caches as i64);
    int(r, "functions.caches", m.functions_caches as i64);
    for &(db, main, expires) in &m.dbs {
        r.bulk_str(&format!("db.{db}"));
        r.map(3);
        int(r, "overhead.hashtable.main", main as i64);
        int(r, "overhead.hashtable.expires", expires as i64);
        int(r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(r, "overhead.total", m.overhead_total as i64);
    int(r, "keys.count", m.total_keys as i64);
    let per_key = net.checked_div(m.total_keys).unwrap_or(0);
    int(r, "keys.bytes-per-key", per_key as i64);
    int(r, "dataset.bytes", m.dataset as i64);
    let double = |r: &mut crate::resp::reply::Reply, k: &str, v: f32| {
        r.bulk_str(k);
        r.double(v as f64);
    };
    double(
        r,
        "dataset.percentage",
        m.dataset as f32 * 100.0 / net as f32,
    );
    let peak_perc = if m.peak == 0 {
        0.0
    } else {
        m.used as f32 * 100.0 / m.peak as f32
    };
    double(r, "peak.percentage", peak_perc);
    int(r, "allocator.allocated", m.used as i64);
    int(r, "allocator.active", m.active as i64);
    int(r, "allocator.resident", m.resident as i64);
    double(
        r,
        "allocator-fragmentation.ratio",
        ratio32(m.active, m.used),
    );
    int(
        r,
        "allocator-fragmentation.bytes",
        m.active as i64 - m.used as i64,
    );
    double(r, "allocator-rss.ratio", ratio32(m.resident, m.active));
    int(
        r,
        "allocator-rss.bytes",
        m.resident as i64 - m.active as i64,
    );
    double(r, "rss-overhead.ratio", ratio32(m.rss, m.resident));
    int(r, "rss-overhead.bytes", m.rss as i64 - m.resident as i64);
    double(r, "fragmentation", ratio32(m.rss, m.used));
    int(r, "fragmentation.bytes", m.rss as i64 - m.used as i64);
    Ok(())
}

const EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const HEALTHY: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const ISSUES: &str = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const BIG_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const HIGH_FRAG: &str = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n";
const HIGH_ALLOC_FRAG: &str = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const HIGH_ALLOC_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const HIGH_PROC_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const BIG_CLIENT_BUF: &str = " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";
const MANY_SCRIPTS: &str = " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n";
const SIGN_OFF: &str = "I'm here to keep you safe, Sam. I want to help you.\n";

/// What MEMORY DOCTOR looks at, measured.
#[derive(Debug, Default, Clone, Copy)]
struct DoctorInput {
    used: u64,
    peak: u64,
    active: u64,
    resident: u64,
    rss: u64,
    clients_normal: u64,
    clients: u64,
    cached_scripts: u64,
}

/// Redis's getMemoryDoctorReport: the checks and their texts.
fn doctor_report(d: DoctorInput) -> String {
    const TEN_MB: i64 = 10 << 20;
    // A ratio above `limit` with more than 10MB behind it.
    let over = |a: u64, b: u64, limit: f32| ratio32(a, b) > limit && a as i64 - b as i64 > TEN_MB;
    if d.used < 5 * 1024 * 1024 {
        return EMPTY.to_string();
    }
    let mut found: Vec<&str> = Vec::new();
    if ratio32(d.peak, d.used) > 1.5 {
        found.push(BIG_PEAK);
    }
    if over(d.rss, d.used, 1.4) {
        found.push(HIGH_FRAG);
    }
    if over(d.active, d.used, 1.1) {
        found.push(HIGH_ALLOC_FRAG);
    }
    if over(d.resident, d.active, 1.1) {
        found.push(HIGH_ALLOC_RSS);
    }
    if over(d.rss, d.resident, 1.1) {
        found.push(HIGH_PROC_RSS);
    }
    if d.clients > 0 && d.clients_normal / d.clients > 200 * 1024 {
        found.push(BIG_CLIENT_BUF);
    }
    if d.cached_scripts > 1000 {
        found.push(MANY_SCRIPTS);
    }
    if found.is_empty() {
        return HEALTHY.to_string();
    }
    let mut s = String::from(ISSUES);
    for f in found {
        s.push_str(f);
    }
    s.push_str(SIGN_OFF);
    s
}

/// MEMORY DOCTOR
pub fn doctor(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let m = MemOverhead::measure(ctx.store, ctx.srv);
    let d = DoctorInput {
        used: m.used,
        peak: m.peak,
        active: m.active,
        resident: m.resident,
        rss: m.rss,
        clients_normal: m.clients_normal,
        clients: ctx.srv.clients().count() as u64,
        cached_scripts: ctx.srv.scripting().cached_scripts() as u64,
    };
    ctx.reply.verbatim("txt", doctor_report(d).as_bytes());
    Ok(())
}

/// Appends one piece of jemalloc's statistics print to the `Vec<u8>` behind `out`.
#[cfg(not(target_env = "msvc"))]
unsafe extern "C" fn append_stats(out: *mut libc::c_void, text: *const libc::c_char) {
    if out.is_null() || text.is_null() {
        return;
    }
    // SAFETY: `out` is the `&mut Vec<u8>` passed to malloc_stats_print below, and jemalloc
    // hands us a NUL-terminated string.
    let (buf, s) = unsafe { (&mut *(out as *mut Vec<u8>), std::ffi::CStr::from_ptr(text)) };
    buf.extend_from_slice(s.to_bytes());
}

/// jemalloc's `malloc_stats_print` text, as Redis returns it.
fn malloc_stats_text() -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    #[cfg(not(target_env = "msvc"))]
    // SAFETY: the callback only appends to `out`, which outlives the call; no options.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(append_stats),
            &mut out as *mut Vec<u8> as *mut libc::c_void,
            std::ptr::null(),
        );
    }
    #[cfg(target_env = "msvc")]
    out.extend_from_slice(b"Stats not supported for the current allocator");
    out
}

/// MEMORY MALLOC-STATS
pub fn malloc_stats(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let text = malloc_stats_text();
    ctx.reply.verbatim("txt", &text);
    Ok(())
}

/// MEMORY PURGE
pub fn purge(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    crate::util::mem::purge();
    ctx.reply.ok();
    Ok(())
}

/// MEMORY HELP
pub fn help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    help_reply(
        ctx,
        "MEMORY",
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
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

    const MB: u64 = 1024 * 1024;

    fn healthy() -> DoctorInput {
        DoctorInput {
            used: 100 * MB,
            peak: 100 * MB,
            active: 100 * MB,
            resident: 100 * MB,
            rss: 100 * MB,
            clients_normal: 1000,
            clients: 1,
            cached_scripts: 0,
        }
    }

    #[test]
    fn doctor_texts() {
        let mut d = healthy();
        assert_eq!(doctor_report(d), HEALTHY);
        d.used = 4 * MB;
        assert!(doctor_report(d).starts_with("Hi Sam, this instance is empty"));
        let mut d = healthy();
        d.peak = 200 * MB;
        d.clients_normal = 300 * 1024;
        d.cached_scripts = 1001;
        let r = doctor_report(d);
        assert!(r.starts_with(ISSUES));
        assert!(r.contains(BIG_PEAK));
        assert!(r.contains(BIG_CLIENT_BUF));
        assert!(r.ends_with(&format!("{MANY_SCRIPTS}{SIGN_OFF}")));
        let mut d = healthy();
        d.rss = 150 * MB;
        assert_eq!(
            doctor_report(d),
            format!("{ISSUES}{HIGH_FRAG}{HIGH_PROC_RSS}{SIGN_OFF}")
        );
        // Above the ratio but not by 10MB: nothing to report.
        let mut d = healthy();
        d.used = 6 * MB;
        d.active = 8 * MB;
        d.resident = 8 * MB;
        d.rss = 8 * MB;
        d.peak = 6 * MB;
        assert_eq!(doctor_report(d), HEALTHY);
    }

    #[test]
    fn stats_shape() {
        let mut e = Env::new();
        let r = e.run(&["memory", "stats"]);
        assert!(r.starts_with("*54\r\n$14\r\npeak.allocated\r\n:"), "{r}");
        assert!(r.contains("$10\r\nlua.caches\r\n:"));
        assert!(r.contains("$13\r\nfragmentation\r\n$"));
        e.client.resp3 = true;
        let r = e.run(&["memory", "stats"]);
        assert!(r.starts_with("%27\r\n"), "{r}");
        assert!(r.contains("$15\r\npeak.percentage\r\n,"));
    }

    #[test]
    fn malloc_stats_and_purge() {
        let text = malloc_stats_text();
        assert!(text.starts_with(b"___ Begin jemalloc statistics ___\n"));
        assert!(text.ends_with(b"--- End jemalloc statistics ---\n"));
        let mut e = Env::new();
        assert_eq!(e.run(&["memory", "purge"]), "+OK\r\n");
        let h = e.run(&["memory", "help"]);
        assert!(h.starts_with("*14\r\n+MEMORY <subcommand>"));
    }
}
