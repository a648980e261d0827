//! INFO: the server's state as `field:value` lines under `# Section` headers.
//!
//! The field names and their order are Redis 7.0's, so tools that parse INFO find what
//! they look for; values ferrokv has no counterpart for (forks, replication, I/O
//! threads) are reported as an idle Redis reports them. Memory figures come from
//! jemalloc's statistics and /proc; the peak is kept in `Diagnostics` and refreshed by
//! the cron and by every INFO. The AOF's fields come from `persistence::info` and
//! `persistence::loading_progress` as numbers and flags, and are formatted here.

#![deny(clippy::indexing_slicing)]

use crate::commands::server::{full_name, Diagnostics};
use crate::commands::{Args, Ctx, TABLE};
use crate::config::{MaxmemoryPolicy, REDIS_VERSION};
use crate::error::CmdResult;
use crate::server::Core;
use crate::store::Store;
use std::fmt::Write;

/// Sections in output order; `true` for those in the default set.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// Bytes the allocator handed out (jemalloc `stats.allocated`), after refreshing its
/// statistics.
pub fn used_memory() -> u64 {
    #[cfg(not(target_env = "msvc"))]
    {
        let _ = tikv_jemalloc_ctl::epoch::advance();
        tikv_jemalloc_ctl::stats::allocated::read().unwrap_or(0) as u64
    }
    #[cfg(target_env = "msvc")]
    {
        0
    }
}

/// (active, resident) bytes from jemalloc; call after `used_memory` refreshed the epoch.
pub(super) fn allocator_active_resident() -> (u64, u64) {
    #[cfg(not(target_env = "msvc"))]
    {
        (
            tikv_jemalloc_ctl::stats::active::read().unwrap_or(0) as u64,
            tikv_jemalloc_ctl::stats::resident::read().unwrap_or(0) as u64,
        )
    }
    #[cfg(target_env = "msvc")]
    {
        (0, 0)
    }
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

/// Resident set size from /proc/self/statm.
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * page_size())
        .unwrap_or(0)
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as u64 * page_size()
    } else {
        0
    }
}

/// Refreshes the memory peak (and records the startup figure the first time); returns
/// the current used_memory.
pub fn update_memory_peak(d: &mut Diagnostics) -> u64 {
    let used = used_memory();
    if d.mem_startup == 0 {
        d.mem_startup = used;
    }
    d.mem_peak = d.mem_peak.max(used);
    used
}

/// Redis's bytesToHuman: "991.30K", "1.50M", "12B".
pub fn human_bytes(n: u64) -> String {
    let f = n as f64;
    const K: f64 = 1024.0;
    if n < 1024 {
        format!("{n}B")
    } else if f < K * K {
        format!("{:.2}K", f / K)
    } else if f < K * K * K {
        format!("{:.2}M", f / (K * K))
    } else if f < K * K * K * K {
        format!("{:.2}G", f / (K * K * K))
    } else if f < K * K * K * K * K {
        format!("{:.2}T", f / (K * K * K * K))
    } else if f < K * K * K * K * K * K {
        format!("{:.2}P", f / (K * K * K * K * K))
    } else {
        format!("{n}B")
    }
}

/// The name CONFIG GET and INFO use for a maxmemory policy.
pub fn policy_name(p: MaxmemoryPolicy) -> &'static str {
    match p {
        MaxmemoryPolicy::VolatileLru => "volatile-lru",
        MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
        MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
        MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
        MaxmemoryPolicy::VolatileRandom => "volatile-random",
        MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
        MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
        MaxmemoryPolicy::NoEviction => "noeviction",
    }
}

fn uname() -> String {
    // SAFETY: uname fills the struct we own; the fields are NUL-terminated C strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        let f = |s: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(s.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!(
            "{} {} {}",
            f(&u.sysname[..]),
            f(&u.release[..]),
            f(&u.machine[..])
        )
    }
}

/// CPU time as "seconds.microseconds".
fn cpu_times(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage fills the struct we own.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    };
    let t = |tv: libc::timeval| format!("{}.{:06}", tv.tv_sec, tv.tv_usec);
    (t(ru.ru_stime), t(ru.ru_utime))
}

/// Bytes the connections' buffers hold (INFO mem_clients_normal, used_memory_overhead).
fn clients_memory(core: &Core) -> u64 {
    core.clients()
        .map(|(_, c)| (c.s.rbuf.capacity() + c.s.wbuf.capacity() + std::mem::size_of_val(c)) as u64)
        .sum()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Which sections the arguments ask for.
fn selected(a: &Args) -> [bool; SECTIONS.len()] {
    let mut sel = [false; SECTIONS.len()];
    if a.len() == 1 {
        for (s, (_, default)) in sel.iter_mut().zip(SECTIONS) {
            *s = *default;
        }
        return sel;
    }
    for arg in a.from(1) {
        let arg = arg.to_ascii_lowercase();
        match arg.as_slice() {
            b"default" => {
                for (s, (_, default)) in sel.iter_mut().zip(SECTIONS) {
                    *s |= *default;
                }
            }
            b"all" | b"everything" => sel = [true; SECTIONS.len()],
            name => {
                for (s, (n, _)) in sel.iter_mut().zip(SECTIONS) {
                    if n.as_bytes() == name {
                        *s = true;
                    }
                }
            }
        }
    }
    sel
}

/// Builds the INFO text for the given sections.
pub fn gen_info(store: &Store, core: &mut Core, sel: &[bool]) -> String {
    let mut s = String::with_capacity(4096);
    let mut first = true;
    for (i, (name, _)) in SECTIONS.iter().enumerate() {
        if !sel.get(i).copied().unwrap_or(false) {
            continue;
        }
        if !first {
            s.push_str("\r\n");
        }
        first = false;
        section(&mut s, name, store, core);
    }
    s
}

macro_rules! field {
    ($s:expr, $name:expr, $($arg:tt)*) => {{
        let _ = write!($s, "{}:", $name);
        let _ = write!($s, $($arg)*);
        $s.push_str("\r\n");
    }};
}

fn section(s: &mut String, name: &str, store: &Store, core: &mut Core) {
    let now_us = crate::store::now_us();
    match name {
        "server" => {
            s.push_str("# Server\r\n");
            let uptime = core.started().elapsed().as_secs();
            field!(s, "redis_version", "{REDIS_VERSION}");
            field!(s, "redis_git_sha1", "00000000");
            field!(s, "redis_git_dirty", "0");
            field!(s, "redis_build_id", "0");
            field!(s, "redis_mode", "standalone");
            field!(s, "os", "{}", uname());
            field!(s, "arch_bits", "{}", usize::BITS);
            field!(s, "monotonic_clock", "POSIX clock_gettime");
            field!(s, "multiplexing_api", "epoll");
            field!(s, "atomicvar_api", "c11-builtin");
            field!(s, "gcc_version", "0.0.0");
            field!(s, "process_id", "{}", std::process::id());
            field!(s, "process_supervised", "no");
            field!(s, "run_id", "{}", core.run_id());
            field!(s, "tcp_port", "{}", core.port());
            field!(s, "server_time_usec", "{now_us}");
            field!(s, "uptime_in_seconds", "{uptime}");
            field!(s, "uptime_in_days", "{}", uptime / 86400);
            field!(s, "hz", "{}", core.config().hz);
            field!(s, "configured_hz", "{}", core.config().hz);
            field!(s, "lru_clock", "{}", (now_us / 1_000_000) & ((1 << 24) - 1));
            field!(s, "executable", "{}", core.executable());
            let cf = core
                .config()
                .config_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            field!(s, "config_file", "{cf}");
            field!(s, "io_threads_active", "0");
        }
        "clients" => {
            s.push_str("# Clients\r\n");
            let in_timeout = core.blocked_with_timeout();
            field!(s, "connected_clients", "{}", core.client_count());
            field!(s, "cluster_connections", "0");
            field!(s, "maxclients", "{}", core.config().maxclients);
            let (max_in, max_out) = core.client_buffer_peaks();
            field!(s, "client_recent_max_input_buffer", "{max_in}");
            field!(s, "client_recent_max_output_buffer", "{max_out}");
            field!(s, "blocked_clients", "{}", core.blocked_count());
            field!(s, "tracking_clients", "0");
            field!(s, "clients_in_timeout_table", "{in_timeout}");
        }
        "memory" => memory_section(s, store, core),
        "persistence" => {
            s.push_str("# Persistence\r\n");
            field!(s, "loading", "{}", store.loading as u8);
            field!(s, "async_loading", "0");
            field!(s, "current_cow_peak", "0");
            field!(s, "current_cow_size", "0");
            field!(s, "current_cow_size_age", "0");
            field!(s, "current_fork_perc", "0.00");
            field!(s, "current_save_keys_processed", "0");
            field!(s, "current_save_keys_total", "0");
            field!(s, "rdb_changes_since_last_save", "{}", store.dirty());
            field!(s, "rdb_bgsave_in_progress", "0");
            field!(s, "rdb_last_save_time", "{}", core.last_save());
            field!(s, "rdb_last_bgsave_status", "ok");
            field!(s, "rdb_last_bgsave_time_sec", "-1");
            field!(s, "rdb_current_bgsave_time_sec", "-1");
            field!(s, "rdb_saves", "0");
            field!(s, "rdb_last_cow_size", "0");
            field!(s, "rdb_last_load_keys_expired", "0");
            field!(s, "rdb_last_load_keys_loaded", "0");
            aof_fields(s, store, core.aof());
        }
        "stats" => {
            s.push_str("# Stats\r\n");
            let st = core.stats();
            let ks = &store.stats;
            field!(
                s,
                "total_connections_received",
                "{}",
                st.total_connections_received
            );
            field!(
                s,
                "total_commands_processed",
                "{}",
                st.total_commands_processed
            );
            field!(
                s,
                "instantaneous_ops_per_sec",
                "{}",
                st.instantaneous_ops_per_sec
            );
            field!(s, "total_net_input_bytes", "{}", st.net_input_bytes);
            field!(s, "total_net_output_bytes", "{}", st.net_output_bytes);
            field!(s, "total_net_repl_input_bytes", "0");
            field!(s, "total_net_repl_output_bytes", "0");
            field!(s, "instantaneous_input_kbps", "0.00");
            field!(s, "instantaneous_output_kbps", "0.00");
            field!(s, "instantaneous_input_repl_kbps", "0.00");
            field!(s, "instantaneous_output_repl_kbps", "0.00");
            field!(s, "rejected_connections", "{}", st.rejected_connections);
            field!(s, "sync_full", "0");
            field!(s, "sync_partial_ok", "0");
            field!(s, "sync_partial_err", "0");
            field!(s, "expired_keys", "{}", ks.expired);
            field!(
                s,
                "expired_stale_perc",
                "{:.2}",
                ks.expired_stale_perc * 100.0
            );
            field!(
                s,
                "expired_time_cap_reached_count",
                "{}",
                ks.expired_time_cap_reached
            );
            field!(s, "expire_cycle_cpu_milliseconds", "0");
            field!(s, "evicted_keys", "{}", ks.evicted);
            field!(s, "evicted_clients", "{}", core.stats().evicted_clients);
            let current = core.evict().current_exceeded_ms();
            field!(
                s,
                "total_eviction_exceeded_time",
                "{}",
                core.evict().total_exceeded_us / 1000 + current
            );
            field!(s, "current_eviction_exceeded_time", "{current}");
            field!(s, "keyspace_hits", "{}", ks.hits);
            field!(s, "keyspace_misses", "{}", ks.misses);
            field!(s, "pubsub_channels", "{}", core.pubsub().channels.len());
            field!(s, "pubsub_patterns", "{}", core.pubsub().patterns.len());
            field!(
                s,
                "pubsubshard_channels",
                "{}",
                core.pubsub().shard_channels.len()
            );
            field!(s, "latest_fork_usec", "{}", core.aof().latest_fork_usec);
            field!(s, "total_forks", "{}", core.aof().total_forks);
            field!(s, "migrate_cached_sockets", "0");
            field!(s, "slave_expires_tracked_keys", "0");
            field!(s, "active_defrag_hits", "0");
            field!(s, "active_defrag_misses", "0");
            field!(s, "active_defrag_key_hits", "0");
            field!(s, "active_defrag_key_misses", "0");
            field!(s, "total_active_defrag_time", "0");
            field!(s, "current_active_defrag_time", "0");
            field!(s, "tracking_total_keys", "0");
            field!(s, "tracking_total_items", "0");
            field!(s, "tracking_total_prefixes", "0");
            field!(s, "unexpected_error_replies", "0");
            field!(s, "total_error_replies", "{}", core.diag().total_errors);
            field!(s, "dump_payload_sanitizations", "0");
            field!(s, "total_reads_processed", "0");
            field!(s, "total_writes_processed", "0");
            field!(s, "io_threaded_reads_processed", "0");
            field!(s, "io_threaded_writes_processed", "0");
            field!(s, "reply_buffer_shrinks", "0");
            field!(s, "reply_buffer_expands", "0");
        }
        "replication" => {
            s.push_str("# Replication\r\n");
            field!(s, "role", "master");
            field!(s, "connected_slaves", "0");
            field!(s, "master_failover_state", "no-failover");
            field!(s, "master_replid", "{}", core.replid());
            field!(s, "master_replid2", "{}", "0".repeat(40));
            field!(s, "master_repl_offset", "0");
            field!(s, "second_repl_offset", "-1");
            field!(s, "repl_backlog_active", "0");
            field!(s, "repl_backlog_size", "1048576");
            field!(s, "repl_backlog_first_byte_offset", "0");
            field!(s, "repl_backlog_histlen", "0");
        }
        "cpu" => {
            s.push_str("# CPU\r\n");
            let (sys, user) = cpu_times(libc::RUSAGE_SELF);
            let (csys, cuser) = cpu_times(libc::RUSAGE_CHILDREN);
            let (tsys, tuser) = cpu_times(libc::RUSAGE_THREAD);
            field!(s, "used_cpu_sys", "{sys}");
            field!(s, "used_cpu_user", "{user}");
            field!(s, "used_cpu_sys_children", "{csys}");
            field!(s, "used_cpu_user_children", "{cuser}");
            field!(s, "used_cpu_sys_main_thread", "{tsys}");
            field!(s, "used_cpu_user_main_thread", "{tuser}");
        }
        "modules" => s.push_str("# Modules\r\n"),
        "commandstats" => {
            s.push_str("# Commandstats\r\n");
            for &c in &TABLE.all {
                for row in std::iter::once(c).chain(c.subcommands.iter()) {
                    let Some(st) = core.cmd_stats().get(row) else {
                        continue;
                    };
                    if st.calls == 0 && st.failed_calls == 0 && st.rejected_calls == 0 {
                        continue;
                    }
                    let per = if st.calls > 0 {
                        st.usec as f64 / st.calls as f64
                    } else {
                        0.0
                    };
                    let _ = write!(
                        s,
                        "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                        full_name(row),
                        st.calls,
                        st.usec,
                        per,
                        st.rejected_calls,
                        st.failed_calls
                    );
                }
            }
        }
        "latencystats" => {
            s.push_str("# Latencystats\r\n");
            if core.config().latency_tracking {
                let pct = &core.config().latency_tracking_info_percentiles;
                for &c in &TABLE.all {
                    for row in std::iter::once(c).chain(c.subcommands.iter()) {
                        let Some(h) = core
                            .cmd_stats()
                            .get(row)
                            .and_then(|st| st.latency.as_deref())
                        else {
                            continue;
                        };
                        let _ = write!(s, "latency_percentiles_usec_{}:", full_name(row));
                        for (i, &p) in pct.iter().enumerate() {
                            if i > 0 {
                                s.push(',');
                            }
                            let v = h.value_at_percentile(p) as f64 / 1000.0;
                            let _ = write!(s, "p{}={v:.3}", crate::config::format_percentile(p));
                        }
                        s.push_str("\r\n");
                    }
                }
            }
        }
        "errorstats" => {
            s.push_str("# Errorstats\r\n");
            for (code, n) in &core.diag().errors {
                let _ = write!(s, "errorstat_{code}:count={n}\r\n");
            }
        }
        "cluster" => {
            s.push_str("# Cluster\r\n");
            field!(s, "cluster_enabled", "0");
        }
        "keyspace" => {
            s.push_str("# Keyspace\r\n");
            for (i, db) in store.dbs().iter().enumerate() {
                if db.is_empty() {
                    continue;
                }
                let _ = write!(
                    s,
                    "db{i}:keys={},expires={},avg_ttl={}\r\n",
                    db.len(),
                    db.expires.len(),
                    db.avg_ttl
                );
            }
        }
        _ => {}
    }
}

/// The AOF fields of `# Persistence`, in Redis 7.0's order: the always-present ones,
/// `module_fork_*`, the sizes while the AOF is on, and `loading_*` while loading.
fn aof_fields(s: &mut String, store: &Store, aof: &crate::persistence::AofFeed) {
    let a = crate::persistence::info(aof);
    let status = |ok: bool| if ok { "ok" } else { "err" };
    field!(s, "aof_enabled", "{}", a.enabled as u8);
    field!(
        s,
        "aof_rewrite_in_progress",
        "{}",
        a.rewrite_in_progress as u8
    );
    field!(s, "aof_rewrite_scheduled", "{}", a.rewrite_scheduled as u8);
    field!(
        s,
        "aof_last_rewrite_time_sec",
        "{}",
        a.last_rewrite_time_sec
    );
    field!(
        s,
        "aof_current_rewrite_time_sec",
        "{}",
        a.current_rewrite_time_sec
    );
    field!(
        s,
        "aof_last_bgrewrite_status",
        "{}",
        status(a.last_bgrewrite_ok)
    );
    field!(s, "aof_rewrites", "{}", a.rewrites);
    field!(
        s,
        "aof_rewrites_consecutive_failures",
        "{}",
        a.rewrites_consecutive_failures
    );
    field!(s, "aof_last_write_status", "{}", status(a.last_write_ok));
    field!(s, "aof_last_cow_size", "{}", a.last_cow_size);
    field!(s, "module_fork_in_progress", "0");
    field!(s, "module_fork_last_cow_size", "0");
    if let Some(z) = &a.sizes {
        field!(s, "aof_current_size", "{}", z.current_size);
        field!(s, "aof_base_size", "{}", z.base_size);
        field!(s, "aof_pending_rewrite", "{}", z.pending_rewrite as u8);
        field!(s, "aof_buffer_length", "{}", z.buffer_length);
        field!(s, "aof_pending_bio_fsync", "{}", z.pending_bio_fsync);
        field!(s, "aof_delayed_fsync", "{}", z.delayed_fsync);
    }
    if store.loading {
        let l = crate::persistence::loading_progress(aof);
        field!(s, "loading_start_time", "{}", l.start_time);
        field!(s, "loading_total_bytes", "{}", l.total_bytes);
        field!(s, "loading_rdb_used_mem", "0");
        field!(s, "loading_loaded_bytes", "{}", l.loaded_bytes);
        field!(s, "loading_loaded_perc", "{:.2}", l.loaded_perc);
        field!(s, "loading_eta_seconds", "{}", l.eta_seconds);
    }
}

/// What memory is spent on, as Redis's `getMemoryOverheadData` splits it: shared by
/// INFO memory, MEMORY STATS and MEMORY DOCTOR.
#[derive(Debug, Default)]
pub struct MemOverhead {
    pub peak: u64,
    pub used: u64,
    pub startup: u64,
    pub clients_normal: u64,
    pub aof_buffer: u64,
    pub lua_caches: u64,
    pub functions_caches: u64,
    /// (db index, main table bytes, expires table bytes) of each non-empty database.
    pub dbs: Vec<(usize, u64, u64)>,
    pub overhead_total: u64,
    pub total_keys: u64,
    pub dataset: u64,
    pub active: u64,
    pub resident: u64,
    pub rss: u64,
}

impl MemOverhead {
    /// Refreshes the peak and measures.
    pub fn measure(store: &Store, core: &mut Core) -> MemOverhead {
        let used = update_memory_peak(core.diag_mut());
        let (active, resident) = allocator_active_resident();
        let sc = core.scripting();
        let lua_caches = sc.eval_scripts_memory() as u64;
        let functions_caches = sc.functions.overhead_memory() as u64;
        let mut m = MemOverhead {
            peak: core.diag().mem_peak,
            used,
            startup: core.diag().mem_startup,
            clients_normal: clients_memory(core),
            aof_buffer: core.aof().buf.capacity() as u64,
            lua_caches,
            functions_caches,
            active,
            resident,
            rss: rss(),
            ..Default::default()
        };
        let mut tables = 0;
        for (i, d) in store.dbs().iter().enumerate() {
            let (main, exp) = (d.keys.table_bytes() as u64, d.expires.table_bytes() as u64);
            tables += main + exp;
            if !d.is_empty() {
                m.total_keys += d.len() as u64;
                m.dbs.push((i, main, exp));
            }
        }
        m.overhead_total = m.startup
            + m.clients_normal
            + m.aof_buffer
            + m.lua_caches
            + m.functions_caches
            + tables;
        m.dataset = used.saturating_sub(m.overhead_total);
        m
    }

    /// Memory allocated since startup (1 when there is none, as Redis divides by it).
    pub fn net_usage(&self) -> u64 {
        if self.used > self.startup {
            self.used - self.startup
        } else {
            1
        }
    }
}

fn memory_section(s: &mut String, store: &Store, core: &mut Core) {
    let m = MemOverhead::measure(store, core);
    let (used, active, resident, rss) = (m.used, m.active, m.resident, m.rss);
    let (peak, startup) = (m.peak, m.startup);
    let clients = m.clients_normal;
    let aof_buf = m.aof_buffer;
    let overhead = m.overhead_total;
    let dataset = m.dataset;
    let net = used.saturating_sub(startup);
    let sysmem = total_system_memory();
    let maxmem = core.config().maxmemory;
    s.push_str("# Memory\r\n");
    field!(s, "used_memory", "{used}");
    field!(s, "used_memory_human", "{}", human_bytes(used));
    field!(s, "used_memory_rss", "{rss}");
    field!(s, "used_memory_rss_human", "{}", human_bytes(rss));
    field!(s, "used_memory_peak", "{peak}");
    field!(s, "used_memory_peak_human", "{}", human_bytes(peak));
    field!(
        s,
        "used_memory_peak_perc",
        "{:.2}%",
        ratio(used, peak) * 100.0
    );
    field!(s, "used_memory_overhead", "{overhead}");
    field!(s, "used_memory_startup", "{startup}");
    field!(s, "used_memory_dataset", "{dataset}");
    field!(
        s,
        "used_memory_dataset_perc",
        "{:.2}%",
        ratio(dataset, net) * 100.0
    );
    field!(s, "allocator_allocated", "{used}");
    field!(s, "allocator_active", "{active}");
    field!(s, "allocator_resident", "{resident}");
    field!(s, "total_system_memory", "{sysmem}");
    field!(s, "total_system_memory_human", "{}", human_bytes(sysmem));
    let sc = core.scripting();
    let vm_eval = sc.eval_vm_memory() as u64;
    let vm_functions = sc.functions.vm_memory() as u64;
    let scripts_eval = sc.eval_scripts_memory() as u64;
    let functions_mem = sc.functions.overhead_memory() as u64;
    field!(s, "used_memory_lua", "{vm_eval}");
    field!(s, "used_memory_vm_eval", "{vm_eval}");
    field!(s, "used_memory_lua_human", "{}", human_bytes(vm_eval));
    field!(s, "used_memory_scripts_eval", "{scripts_eval}");
    field!(s, "number_of_cached_scripts", "{}", sc.cached_scripts());
    field!(s, "number_of_functions", "{}", sc.functions.functions.len());
    field!(s, "number_of_libraries", "{}", sc.functions.libraries.len());
    field!(s, "used_memory_vm_functions", "{vm_functions}");
    field!(s, "used_memory_vm_total", "{}", vm_eval + vm_functions);
    field!(
        s,
        "used_memory_vm_total_human",
        "{}",
        human_bytes(vm_eval + vm_functions)
    );
    field!(s, "used_memory_functions", "{functions_mem}");
    field!(s, "used_memory_scripts", "{}", scripts_eval + functions_mem);
    field!(
        s,
        "used_memory_scripts_human",
        "{}",
        human_bytes(scripts_eval + functions_mem)
    );
    field!(s, "maxmemory", "{maxmem}");
    field!(s, "maxmemory_human", "{}", human_bytes(maxmem));
    field!(
        s,
        "maxmemory_policy",
        "{}",
        policy_name(core.config().maxmemory_policy)
    );
    field!(s, "allocator_frag_ratio", "{:.2}", ratio(active, used));
    field!(s, "allocator_frag_bytes", "{}", active as i64 - used as i64);
    field!(s, "allocator_rss_ratio", "{:.2}", ratio(resident, active));
    field!(
        s,
        "allocator_rss_bytes",
        "{}",
        resident as i64 - active as i64
    );
    field!(s, "rss_overhead_ratio", "{:.2}", ratio(rss, resident));
    field!(s, "rss_overhead_bytes", "{}", rss as i64 - resident as i64);
    field!(s, "mem_fragmentation_ratio", "{:.2}", ratio(rss, used));
    field!(s, "mem_fragmentation_bytes", "{}", rss as i64 - used as i64);
    field!(
        s,
        "mem_not_counted_for_evict",
        "{}",
        crate::server::evict::not_counted(core)
    );
    field!(s, "mem_replication_backlog", "0");
    field!(s, "mem_total_replication_buffers", "0");
    field!(s, "mem_clients_slaves", "0");
    field!(s, "mem_clients_normal", "{clients}");
    field!(s, "mem_cluster_links", "0");
    field!(s, "mem_aof_buffer", "{aof_buf}");
    field!(s, "mem_allocator", "jemalloc-5.3.0");
    field!(s, "active_defrag_running", "0");
    field!(s, "lazyfree_pending_objects", "0");
    field!(s, "lazyfreed_objects", "0");
}

/// INFO [section [section ...]]
pub fn info(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let sel = selected(a);
    let text = gen_info(ctx.store, ctx.srv, &sel);
    ctx.reply.verbatim("txt", text.as_bytes());
    Ok(())
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::testutil::Env;
    use super::*;

    #[test]
    fn human_format() {
        assert_eq!(human_bytes(0), "0B");
        assert_eq!(human_bytes(1023), "1023B");
        assert_eq!(human_bytes(1015088), "991.30K");
        assert_eq!(human_bytes(7090176), "6.76M");
        assert_eq!(human_bytes(25276510208), "23.54G");
    }

    #[test]
    fn sections_and_framing() {
        let mut e = Env::new();
        let r = e.run(&["info"]);
        assert!(r.starts_with('$'));
        for h in [
            "# Server\r\n",
            "# Clients\r\n",
            "# Memory\r\n",
            "# Persistence\r\n",
            "# Stats\r\n",
            "# Replication\r\n",
            "# CPU\r\n",
            "# Modules\r\n",
            "# Errorstats\r\n",
            "# Cluster\r\n",
            "# Keyspace\r\n",
        ] {
            assert!(r.contains(h), "{h}");
        }
        assert!(!r.contains("# Commandstats"));
        assert!(r.contains("\r\nredis_version:7.0.15\r\n"));
        assert!(r.contains("\r\n\r\n# Clients\r\n"));
        assert!(r.contains("mem_allocator:jemalloc-5.3.0\r\n"));
        assert_eq!(e.run(&["info", "nosuch"]), "$0\r\n\r\n");
        let cpu = e.run(&["info", "CPU", "cluster"]);
        assert!(cpu.contains("# CPU\r\nused_cpu_sys:"));
        assert!(cpu.ends_with("\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"));
        e.client.resp3 = true;
        assert_eq!(
            e.run(&["info", "cluster"]),
            "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
        );
    }

    #[test]
    fn commandstats_and_errorstats() {
        let mut e = Env::new();
        e.run(&["time"]);
        e.run(&["config", "foo"]);
        e.run(&["client", "reply", "bad"]);
        e.run(&["lastsave", "extra"]);
        let r = e.run(&["info", "commandstats", "errorstats"]);
        assert!(r.contains(
            "cmdstat_lastsave:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"
        ));
        assert!(r.contains("cmdstat_time:calls=1,usec="));
        assert!(r.contains("cmdstat_client|reply:calls=1,"));
        assert!(r.contains(",rejected_calls=0,failed_calls=1\r\n"));
        assert!(r.contains("errorstat_ERR:count=3\r\n"));
    }
}
