//! The directive table: `DIRECTIVES`, one row per directive with its name and alias,
//! flags, type, default and field accessors, and everything a row relies on: the value
//! syntaxes (yes/no, numbers with memory/percent/octal forms, enums and flag sets), the
//! validity checks, the generic set/get/rewrite per type, and the special directives
//! (`dir`, `save`, `client-output-buffer-limit`, `notify-keyspace-events`, `bind`, ...)
//! with their own parser, renderer and rewrite rule.

#![deny(clippy::indexing_slicing)]

use super::rewrite::RewriteState;
use super::*;
use crate::util::num::{parse_f64, parse_i64};
use crate::util::split::repr_into;

// ---------------------------------------------------------------------------------------
// The directive table.
// ---------------------------------------------------------------------------------------

/// CONFIG SET refuses it: "can't set immutable config".
pub(super) const IMMUTABLE: u8 = 1 << 0;
/// CONFIG SET needs `enable-protected-configs`: "can't set protected config".
pub(super) const PROTECTED: u8 = 1 << 1;
/// Takes several arguments (space separated in CONFIG SET).
pub(super) const MULTI_ARG: u8 = 1 << 2;
/// Not listed by CONFIG GET patterns, only by its exact name.
pub(super) const HIDDEN: u8 = 1 << 3;
/// The value is a secret (redacted from logs and monitors).
pub(super) const SENSITIVE: u8 = 1 << 4;
/// CONFIG SET refuses it while the dataset is loading.
pub(super) const DENY_LOADING: u8 = 1 << 5;

/// How an integer directive is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NumFmt {
    /// A plain base-10 integer.
    Plain,
    /// Bytes with optional unit (1k, 1kb, 1m, 1mb, 1g, 1gb).
    Memory,
    /// Memory, or `N%` stored as -N.
    MemoryPercent,
    /// Base 8.
    Octal,
}

pub(super) type BoolGet = fn(&Config) -> bool;
pub(super) type BoolSet = fn(&mut Config, bool);
pub(super) type BoolCheck = fn(bool) -> Result<(), ConfigError>;
pub(super) type NumGet = fn(&Config) -> i64;
pub(super) type NumSet = fn(&mut Config, i64);
pub(super) type EnumGet = fn(&Config) -> i32;
pub(super) type EnumSet = fn(&mut Config, i32);
pub(super) type EnumCheck = fn(i32) -> Result<(), ConfigError>;
pub(super) type StrGet = fn(&Config) -> Option<Vec<u8>>;
pub(super) type StrSet = fn(&mut Config, Option<Vec<u8>>);
pub(super) type StrCheck = fn(&Config, &[u8]) -> Result<(), ConfigError>;
pub(super) type SpecialSet = fn(&mut Config, &[Vec<u8>], &mut SetCtx) -> Result<(), ConfigError>;
pub(super) type SpecialGet = fn(&Config) -> String;
pub(super) type SpecialRewrite = fn(&Config, &'static str, &mut RewriteState);

pub(super) enum Ty {
    Bool {
        def: bool,
        get: BoolGet,
        set: BoolSet,
        check: Option<BoolCheck>,
    },
    Num {
        def: i64,
        min: i64,
        max: i64,
        /// Bounds compared as unsigned (C unsigned int, size_t, unsigned long long).
        unsigned: bool,
        fmt: NumFmt,
        get: NumGet,
        set: NumSet,
    },
    Enum {
        def: i32,
        names: &'static [(&'static str, i32)],
        /// Several names OR-ed together (a flag set).
        flags: bool,
        get: EnumGet,
        set: EnumSet,
        check: Option<EnumCheck>,
    },
    Str {
        /// None: no default (empty/unset).
        def: Option<&'static str>,
        /// An empty value unsets it (reads back as "").
        empty_is_none: bool,
        get: StrGet,
        set: StrSet,
        check: Option<StrCheck>,
    },
    Special {
        /// The default, parsed like a CONFIG SET value (None: set up by `blank`).
        def: Option<&'static str>,
        set: SpecialSet,
        get: SpecialGet,
        rewrite: SpecialRewrite,
    },
}

pub(super) struct Directive {
    pub(super) name: &'static str,
    pub(super) alias: Option<&'static str>,
    pub(super) flags: u8,
    pub(super) ty: Ty,
}

/// State shared by the setters while a file is read (the `save` quirk).
#[derive(Default)]
pub(super) struct SetCtx {
    pub(super) reading_file: bool,
    pub(super) save_loaded: bool,
}

macro_rules! boolean {
    ($name:expr, $alias:expr, $flags:expr, $field:ident, $def:expr) => {
        boolean!($name, $alias, $flags, $field, $def, None)
    };
    ($name:expr, $alias:expr, $flags:expr, $field:ident, $def:expr, $check:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            ty: Ty::Bool {
                def: $def,
                get: |c| c.$field,
                set: |c, v| c.$field = v,
                check: $check,
            },
        }
    };
}

macro_rules! number {
    ($name:expr, $alias:expr, $flags:expr, $min:expr, $max:expr, $unsigned:expr, $fmt:expr,
     $field:ident, $def:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            ty: Ty::Num {
                def: $def,
                min: $min,
                max: $max,
                unsigned: $unsigned,
                fmt: $fmt,
                get: |c| c.$field as i64,
                set: |c, v| c.$field = v as _,
            },
        }
    };
}

/// A C `int` directive: signed bounds, plain integer.
macro_rules! int {
    ($name:expr, $alias:expr, $flags:expr, $min:expr, $max:expr, $field:ident, $def:expr) => {
        number!(
            $name,
            $alias,
            $flags,
            $min,
            $max,
            false,
            NumFmt::Plain,
            $field,
            $def
        )
    };
}

/// An enum stored as its canonical name (`&'static str`).
macro_rules! enum_name {
    ($name:expr, $alias:expr, $flags:expr, $names:expr, $field:ident, $def:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            ty: Ty::Enum {
                def: $def,
                names: $names,
                flags: false,
                get: |c| enum_value_of($names, c.$field),
                set: |c, v| c.$field = enum_name_of($names, v),
                check: None,
            },
        }
    };
}

/// A string kept as `String` (never unset).
macro_rules! string {
    ($name:expr, $flags:expr, $field:ident, $def:expr, $check:expr) => {
        Directive {
            name: $name,
            alias: None,
            flags: $flags,
            ty: Ty::Str {
                def: Some($def),
                empty_is_none: false,
                get: |c| Some(c.$field.as_bytes().to_vec()),
                set: |c, v| c.$field = lossy(&v.unwrap_or_default()),
                check: $check,
            },
        }
    };
}

/// A string kept as `Option<String>`, unset by an empty value.
macro_rules! opt_string {
    ($name:expr, $alias:expr, $flags:expr, $field:ident) => {
        opt_string!($name, $alias, $flags, $field, None)
    };
    ($name:expr, $alias:expr, $flags:expr, $field:ident, $check:expr) => {
        Directive {
            name: $name,
            alias: $alias,
            flags: $flags,
            ty: Ty::Str {
                def: None,
                empty_is_none: true,
                get: |c| c.$field.as_ref().map(|s| s.as_bytes().to_vec()),
                set: |c, v| c.$field = v.map(|b| lossy(&b)),
                check: $check,
            },
        }
    };
}

/// Binary-safe secret kept as `Option<Vec<u8>>`, unset by an empty value.
macro_rules! opt_bytes {
    ($name:expr, $flags:expr, $field:ident) => {
        Directive {
            name: $name,
            alias: None,
            flags: $flags,
            ty: Ty::Str {
                def: None,
                empty_is_none: true,
                get: |c| c.$field.clone(),
                set: |c, v| c.$field = v,
                check: None,
            },
        }
    };
}

pub(super) const INT_MAX: i64 = i32::MAX as i64;
pub(super) const INT_MIN: i64 = i32::MIN as i64;
pub(super) const UINT_MAX: i64 = u32::MAX as i64;
pub(super) const LONG_MAX: i64 = i64::MAX;
/// `unsigned long long` max, as the bit pattern Redis keeps in a `long long`.
pub(super) const ULLONG_MAX: i64 = -1;

pub(super) const MIN_HZ: u32 = 1;
pub(super) const MAX_HZ: u32 = 500;
pub(super) const BINDADDR_MAX: usize = 16;
/// ferrokv's embedded default is a local development server's (redis.conf's), not
/// the all-interfaces built-in of a bare redis-server.
pub(super) const DEFAULT_BIND: &str = "127.0.0.1 -::1";
pub(super) const OBUF_DEFAULTS: [(u64, u64, u64); 3] = [
    (0, 0, 0),
    (256 * 1024 * 1024, 64 * 1024 * 1024, 60),
    (32 * 1024 * 1024, 8 * 1024 * 1024, 60),
];
pub(super) const OOM_SCORE_DEFAULTS: [i32; 3] = [0, 200, 800];

pub(super) const LOGLEVEL_NAMES: &[(&str, i32)] =
    &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
pub(super) const POLICY_NAMES: &[(&str, i32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
pub(super) const FSYNC_NAMES: &[(&str, i32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
pub(super) const SUPERVISED_NAMES: &[(&str, i32)] =
    &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
pub(super) const SYSLOG_FACILITY_NAMES: &[(&str, i32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
pub(super) const DISKLESS_LOAD_NAMES: &[(&str, i32)] =
    &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
pub(super) const OOM_SCORE_ADJ_NAMES: &[(&str, i32)] =
    &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
pub(super) const ACL_PUBSUB_NAMES: &[(&str, i32)] = &[("allchannels", 1), ("resetchannels", 0)];
pub(super) const SANITIZE_NAMES: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
pub(super) const PROTECTED_ACTION_NAMES: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
pub(super) const ENDPOINT_TYPE_NAMES: &[(&str, i32)] =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
pub(super) const PROPAGATION_ERROR_NAMES: &[(&str, i32)] =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];
pub(super) const SHUTDOWN_NAMES: &[(&str, i32)] = &[
    ("default", 0),
    ("save", shutdown_flags::SAVE as i32),
    ("nosave", shutdown_flags::NOSAVE as i32),
    ("now", shutdown_flags::NOW as i32),
    ("force", shutdown_flags::FORCE as i32),
];

/// Every directive ferrokv knows, with its alias. Kept one row per line, like a table.
#[rustfmt::skip]
pub(super) static DIRECTIVES: &[Directive] = &[
    // --- yes/no: name, alias, flags, field, default[, check] ---
    boolean!("rdbchecksum", None, IMMUTABLE, rdbchecksum, true),
    boolean!("daemonize", None, IMMUTABLE, daemonize, false, Some(check_daemonize)),
    boolean!("io-threads-do-reads", None, IMMUTABLE, io_threads_do_reads, false),
    boolean!("always-show-logo", None, IMMUTABLE, always_show_logo, false),
    boolean!("protected-mode", None, 0, protected_mode, true),
    boolean!("rdbcompression", None, 0, rdbcompression, true),
    boolean!("rdb-del-sync-files", None, 0, rdb_del_sync_files, false),
    boolean!("activerehashing", None, 0, activerehashing, true),
    boolean!("stop-writes-on-bgsave-error", None, 0, stop_writes_on_bgsave_error, true),
    boolean!("set-proc-title", None, IMMUTABLE, set_proc_title, true),
    boolean!("dynamic-hz", None, 0, dynamic_hz, true),
    boolean!("lazyfree-lazy-eviction", None, 0, lazyfree_lazy_eviction, false),
    boolean!("lazyfree-lazy-expire", None, 0, lazyfree_lazy_expire, false),
    boolean!("lazyfree-lazy-server-del", None, 0, lazyfree_lazy_server_del, false),
    boolean!("lazyfree-lazy-user-del", None, 0, lazyfree_lazy_user_del, false),
    boolean!("lazyfree-lazy-user-flush", None, 0, lazyfree_lazy_user_flush, false),
    boolean!("repl-disable-tcp-nodelay", None, 0, repl_disable_tcp_nodelay, false),
    boolean!("repl-diskless-sync", None, 0, repl_diskless_sync, true),
    boolean!("aof-rewrite-incremental-fsync", None, 0, aof_rewrite_incremental_fsync, true),
    boolean!("no-appendfsync-on-rewrite", None, 0, no_appendfsync_on_rewrite, false),
    boolean!("cluster-require-full-coverage", None, 0, cluster_require_full_coverage, true),
    boolean!("rdb-save-incremental-fsync", None, 0, rdb_save_incremental_fsync, true),
    boolean!("aof-load-truncated", None, 0, aof_load_truncated, true),
    boolean!("aof-use-rdb-preamble", None, 0, aof_use_rdb_preamble, true),
    boolean!("aof-timestamp-enabled", None, 0, aof_timestamp_enabled, false),
    boolean!("cluster-replica-no-failover", Some("cluster-slave-no-failover"), 0, cluster_replica_no_failover, false),
    boolean!("replica-lazy-flush", Some("slave-lazy-flush"), 0, replica_lazy_flush, false),
    boolean!("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, replica_serve_stale_data, true),
    boolean!("replica-read-only", Some("slave-read-only"), 0, replica_read_only, true),
    boolean!("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), 0, replica_ignore_maxmemory, true),
    boolean!("jemalloc-bg-thread", None, 0, jemalloc_bg_thread, true),
    boolean!("activedefrag", None, 0, activedefrag, false, Some(check_activedefrag)),
    boolean!("syslog-enabled", None, IMMUTABLE, syslog_enabled, false),
    boolean!("cluster-enabled", None, IMMUTABLE, cluster_enabled, false, Some(check_cluster_enabled)),
    // Durable by default: ferrokv is a database first.
    boolean!("appendonly", None, DENY_LOADING, appendonly, true),
    boolean!("cluster-allow-reads-when-down", None, 0, cluster_allow_reads_when_down, false),
    boolean!("cluster-allow-pubsubshard-when-down", None, 0, cluster_allow_pubsubshard_when_down, true),
    boolean!("crash-log-enabled", None, 0, crash_log_enabled, true),
    boolean!("crash-memcheck-enabled", None, 0, crash_memcheck_enabled, true),
    boolean!("use-exit-on-panic", None, HIDDEN, use_exit_on_panic, false),
    boolean!("disable-thp", None, IMMUTABLE, disable_thp, true),
    boolean!("cluster-allow-replica-migration", None, 0, cluster_allow_replica_migration, true),
    boolean!("replica-announced", None, 0, replica_announced, true),
    boolean!("latency-tracking", None, 0, latency_tracking, true),
    boolean!("aof-disable-auto-gc", None, 0, aof_disable_auto_gc, false),
    boolean!("replica-ignore-disk-write-errors", None, 0, replica_ignore_disk_write_errors, false),

    // --- strings: name, [alias,] flags, field[, default][, check] ---
    string!("aclfile", IMMUTABLE, aclfile, "", None),
    opt_string!("unixsocket", None, IMMUTABLE, unixsocket),
    opt_string!("pidfile", None, IMMUTABLE, pidfile),
    opt_string!("replica-announce-ip", Some("slave-announce-ip"), 0, replica_announce_ip),
    opt_string!("masteruser", None, SENSITIVE, masteruser),
    opt_string!("cluster-announce-ip", None, 0, cluster_announce_ip),
    string!("cluster-config-file", IMMUTABLE, cluster_config_file, "nodes.conf", None),
    opt_string!("cluster-announce-hostname", None, 0, cluster_announce_hostname, Some(check_hostname)),
    string!("syslog-ident", IMMUTABLE, syslog_ident, "redis", None),
    string!("dbfilename", PROTECTED, dbfilename, "dump.rdb", Some(check_dbfilename)),
    string!("appendfilename", IMMUTABLE, appendfilename, "appendonly.aof", Some(check_aof_filename)),
    string!("appenddirname", IMMUTABLE, appenddirname, "appendonlydir", Some(check_aof_dirname)),
    opt_string!("server_cpulist", None, IMMUTABLE, server_cpulist),
    opt_string!("bio_cpulist", None, IMMUTABLE, bio_cpulist),
    opt_string!("aof_rewrite_cpulist", None, IMMUTABLE, aof_rewrite_cpulist),
    opt_string!("bgsave_cpulist", None, IMMUTABLE, bgsave_cpulist),
    string!("ignore-warnings", 0, ignore_warnings, "", None),
    string!("proc-title-template", 0, proc_title_template, "{title} {listen-addr} {server-mode}", Some(check_proc_title)),
    opt_string!("bind-source-addr", None, 0, bind_source_addr),
    string!("logfile", IMMUTABLE, logfile, "", None),
    opt_bytes!("masterauth", SENSITIVE, masterauth),
    opt_bytes!("requirepass", SENSITIVE, requirepass),

    // --- enums: name, alias, flags, values, field, default value ---
    enum_name!("supervised", None, IMMUTABLE, SUPERVISED_NAMES, supervised, 3),
    enum_name!("syslog-facility", None, IMMUTABLE, SYSLOG_FACILITY_NAMES, syslog_facility, 1),
    enum_name!("repl-diskless-load", None, DENY_LOADING, DISKLESS_LOAD_NAMES, repl_diskless_load, 0),
    Directive { name: "loglevel", alias: None, flags: 0, ty: Ty::Enum {
        def: 2, names: LOGLEVEL_NAMES, flags: false, check: None,
        get: |c| c.loglevel as i32,
        set: |c, v| c.loglevel = match v {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            2 => LogLevel::Notice,
            _ => LogLevel::Warning,
        },
    } },
    Directive { name: "maxmemory-policy", alias: None, flags: 0, ty: Ty::Enum {
        def: 7, names: POLICY_NAMES, flags: false, check: None,
        get: |c| match c.maxmemory_policy {
            MaxmemoryPolicy::VolatileLru => 0,
            MaxmemoryPolicy::VolatileLfu => 1,
            MaxmemoryPolicy::VolatileRandom => 2,
            MaxmemoryPolicy::VolatileTtl => 3,
            MaxmemoryPolicy::AllkeysLru => 4,
            MaxmemoryPolicy::AllkeysLfu => 5,
            MaxmemoryPolicy::AllkeysRandom => 6,
            MaxmemoryPolicy::NoEviction => 7,
        },
        set: |c, v| c.maxmemory_policy = match v {
            0 => MaxmemoryPolicy::VolatileLru,
            1 => MaxmemoryPolicy::VolatileLfu,
            2 => MaxmemoryPolicy::VolatileRandom,
            3 => MaxmemoryPolicy::VolatileTtl,
            4 => MaxmemoryPolicy::AllkeysLru,
            5 => MaxmemoryPolicy::AllkeysLfu,
            6 => MaxmemoryPolicy::AllkeysRandom,
            _ => MaxmemoryPolicy::NoEviction,
        },
    } },
    Directive { name: "appendfsync", alias: None, flags: 0, ty: Ty::Enum {
        def: 0, names: FSYNC_NAMES, flags: false, check: None,
        get: |c| match c.appendfsync {
            AppendFsync::EverySec => 0,
            AppendFsync::Always => 1,
            AppendFsync::No => 2,
        },
        set: |c, v| c.appendfsync = match v {
            1 => AppendFsync::Always,
            2 => AppendFsync::No,
            _ => AppendFsync::EverySec,
        },
    } },
    enum_name!("oom-score-adj", None, 0, OOM_SCORE_ADJ_NAMES, oom_score_adj, 0),
    enum_name!("acl-pubsub-default", None, 0, ACL_PUBSUB_NAMES, acl_pubsub_default, 0),
    enum_name!("sanitize-dump-payload", None, 0, SANITIZE_NAMES, sanitize_dump_payload, 0),
    enum_name!("enable-protected-configs", None, IMMUTABLE, PROTECTED_ACTION_NAMES, enable_protected_configs, 0),
    Directive { name: "enable-debug-command", alias: None, flags: IMMUTABLE, ty: Ty::Enum {
        def: 0, names: PROTECTED_ACTION_NAMES, flags: false, check: None,
        get: |c| enum_value_of(PROTECTED_ACTION_NAMES, &c.enable_debug_command),
        set: |c, v| c.enable_debug_command = enum_name_of(PROTECTED_ACTION_NAMES, v).to_string(),
    } },
    enum_name!("enable-module-command", None, IMMUTABLE, PROTECTED_ACTION_NAMES, enable_module_command, 0),
    enum_name!("cluster-preferred-endpoint-type", None, 0, ENDPOINT_TYPE_NAMES, cluster_preferred_endpoint_type, 0),
    enum_name!("propagation-error-behavior", None, 0, PROPAGATION_ERROR_NAMES, propagation_error_behavior, 0),
    Directive { name: "shutdown-on-sigint", alias: None, flags: MULTI_ARG, ty: Ty::Enum {
        def: 0, names: SHUTDOWN_NAMES, flags: true, check: Some(check_shutdown_flags),
        get: |c| c.shutdown_on_sigint as i32,
        set: |c, v| c.shutdown_on_sigint = v as u32,
    } },
    Directive { name: "shutdown-on-sigterm", alias: None, flags: MULTI_ARG, ty: Ty::Enum {
        def: 0, names: SHUTDOWN_NAMES, flags: true, check: Some(check_shutdown_flags),
        get: |c| c.shutdown_on_sigterm as i32,
        set: |c, v| c.shutdown_on_sigterm = v as u32,
    } },

    // --- C int: name, alias, flags, min, max, field, default ---
    int!("databases", None, IMMUTABLE, 1, INT_MAX, databases, 16),
    int!("port", None, 0, 0, 65535, port, 6379),
    int!("io-threads", None, IMMUTABLE, 1, 128, io_threads, 1),
    int!("auto-aof-rewrite-percentage", None, 0, 0, INT_MAX, auto_aof_rewrite_percentage, 100),
    int!("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, 0, INT_MAX, cluster_replica_validity_factor, 10),
    int!("list-max-listpack-size", Some("list-max-ziplist-size"), 0, INT_MIN, INT_MAX, list_max_listpack_size, -2),
    int!("tcp-keepalive", None, 0, 0, INT_MAX, tcp_keepalive, 300),
    int!("cluster-migration-barrier", None, 0, 0, INT_MAX, cluster_migration_barrier, 1),
    int!("active-defrag-cycle-min", None, 0, 1, 99, active_defrag_cycle_min, 1),
    int!("active-defrag-cycle-max", None, 0, 1, 99, active_defrag_cycle_max, 25),
    int!("active-defrag-threshold-lower", None, 0, 0, 1000, active_defrag_threshold_lower, 10),
    int!("active-defrag-threshold-upper", None, 0, 0, 1000, active_defrag_threshold_upper, 100),
    int!("lfu-log-factor", None, 0, 0, INT_MAX, lfu_log_factor, 10),
    int!("lfu-decay-time", None, 0, 0, INT_MAX, lfu_decay_time, 1),
    int!("replica-priority", Some("slave-priority"), 0, 0, INT_MAX, replica_priority, 100),
    int!("repl-diskless-sync-delay", None, 0, 0, INT_MAX, repl_diskless_sync_delay, 5),
    int!("maxmemory-samples", None, 0, 1, INT_MAX, maxmemory_samples, 5),
    int!("maxmemory-eviction-tenacity", None, 0, 0, 100, maxmemory_eviction_tenacity, 10),
    int!("timeout", None, 0, 0, INT_MAX, timeout, 0),
    int!("replica-announce-port", Some("slave-announce-port"), 0, 0, 65535, replica_announce_port, 0),
    int!("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, tcp_backlog, 511),
    int!("cluster-port", None, IMMUTABLE, 0, 65535, cluster_port, 0),
    int!("cluster-announce-bus-port", None, 0, 0, 65535, cluster_announce_bus_port, 0),
    int!("cluster-announce-port", None, 0, 0, 65535, cluster_announce_port, 0),
    int!("cluster-announce-tls-port", None, 0, 0, 65535, cluster_announce_tls_port, 0),
    int!("repl-timeout", None, 0, 1, INT_MAX, repl_timeout, 60),
    int!("repl-ping-replica-period", Some("repl-ping-slave-period"), 0, 1, INT_MAX, repl_ping_replica_period, 10),
    int!("list-compress-depth", None, 0, 0, INT_MAX, list_compress_depth, 0),
    int!("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, rdb_key_save_delay, 0),
    int!("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, key_load_delay, 0),
    int!("active-expire-effort", None, 0, 1, 10, active_expire_effort, 1),
    int!("hz", None, 0, 0, INT_MAX, hz, 10),
    // ferrokv's own: see server/busy_poll.rs.
    int!("busy-poll-usec", None, 0, 0, 1000000, busy_poll_usec, 200),
    int!("min-replicas-to-write", Some("min-slaves-to-write"), 0, 0, INT_MAX, min_replicas_to_write, 0),
    int!("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, 0, INT_MAX, min_replicas_max_lag, 10),
    int!("watchdog-period", None, HIDDEN, 0, INT_MAX, watchdog_period, 0),
    int!("shutdown-timeout", None, 0, 0, INT_MAX, shutdown_timeout, 10),
    int!("repl-diskless-sync-max-replicas", None, 0, 0, INT_MAX, repl_diskless_sync_max_replicas, 0),
    // --- C long / long long / time_t (signed bounds) ---
    int!("active-defrag-max-scan-fields", None, 0, 1, LONG_MAX, active_defrag_max_scan_fields, 1000),
    int!("slowlog-max-len", None, 0, 0, LONG_MAX, slowlog_max_len, 128),
    int!("acllog-max-len", None, 0, 0, LONG_MAX, acllog_max_len, 128),
    int!("busy-reply-threshold", Some("lua-time-limit"), 0, 0, LONG_MAX, busy_reply_threshold, 5000),
    int!("cluster-node-timeout", None, 0, 0, LONG_MAX, cluster_node_timeout, 15000),
    int!("slowlog-log-slower-than", None, 0, -1, LONG_MAX, slowlog_log_slower_than, 10000),
    int!("latency-monitor-threshold", None, 0, 0, LONG_MAX, latency_monitor_threshold, 0),
    int!("stream-node-max-entries", None, 0, 0, LONG_MAX, stream_node_max_entries, 100),
    int!("repl-backlog-ttl", None, 0, 0, LONG_MAX, repl_backlog_ttl, 3600),
    int!("loading-process-events-interval-bytes", None, HIDDEN, 1024, INT_MAX, loading_process_events_interval_bytes, 2 * 1024 * 1024),
    // --- other numbers: name, alias, flags, min, max, unsigned bounds, syntax, field, default ---
    number!("maxclients", None, 0, 1, UINT_MAX, true, NumFmt::Plain, maxclients, 10000),
    number!("unixsocketperm", None, IMMUTABLE, 0, 0o777, true, NumFmt::Octal, unixsocketperm, 0),
    number!("socket-mark-id", None, IMMUTABLE, 0, UINT_MAX, true, NumFmt::Plain, socket_mark_id, 0),
    number!("proto-max-bulk-len", None, 0, 1024 * 1024, LONG_MAX, false, NumFmt::Memory, proto_max_bulk_len, 512 * 1024 * 1024),
    number!("repl-backlog-size", None, 0, 1, LONG_MAX, false, NumFmt::Memory, repl_backlog_size, 1024 * 1024),
    number!("auto-aof-rewrite-min-size", None, 0, 0, LONG_MAX, false, NumFmt::Memory, auto_aof_rewrite_min_size, 64 * 1024 * 1024),
    number!("maxmemory-clients", None, 0, -100, LONG_MAX, false, NumFmt::MemoryPercent, maxmemory_clients, 0),
    number!("maxmemory", None, 0, 0, ULLONG_MAX, true, NumFmt::Memory, maxmemory, 0),
    number!("cluster-link-sendbuf-limit", None, 0, 0, ULLONG_MAX, true, NumFmt::Memory, cluster_link_sendbuf_limit, 0),
    number!("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), 0, 0, LONG_MAX, true, NumFmt::Plain, hash_max_listpack_entries, 512),
    number!("set-max-intset-entries", None, 0, 0, LONG_MAX, true, NumFmt::Plain, set_max_intset_entries, 512),
    number!("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), 0, 0, LONG_MAX, true, NumFmt::Plain, zset_max_listpack_entries, 128),
    number!("active-defrag-ignore-bytes", None, 0, 1, LONG_MAX, true, NumFmt::Memory, active_defrag_ignore_bytes, 100 << 20),
    number!("hash-max-listpack-value", Some("hash-max-ziplist-value"), 0, 0, LONG_MAX, true, NumFmt::Memory, hash_max_listpack_value, 64),
    number!("stream-node-max-bytes", None, 0, 0, LONG_MAX, true, NumFmt::Memory, stream_node_max_bytes, 4096),
    number!("zset-max-listpack-value", Some("zset-max-ziplist-value"), 0, 0, LONG_MAX, true, NumFmt::Memory, zset_max_listpack_value, 64),
    number!("hll-sparse-max-bytes", None, 0, 0, LONG_MAX, true, NumFmt::Memory, hll_sparse_max_bytes, 3000),
    number!("tracking-table-max-keys", None, 0, 0, LONG_MAX, true, NumFmt::Plain, tracking_table_max_keys, 1000000),
    number!("client-query-buffer-limit", None, 0, 1024 * 1024, LONG_MAX, true, NumFmt::Memory, client_query_buffer_limit, 1024 * 1024 * 1024),

    // --- special: own parser, renderer and rewrite; default given as a CONFIG SET value ---
    Directive { name: "dir", alias: None, flags: PROTECTED | DENY_LOADING, ty: Ty::Special {
        def: None, set: set_dir, get: get_dir, rewrite: rewrite_dir } },
    Directive { name: "save", alias: None, flags: MULTI_ARG, ty: Ty::Special {
        def: Some("3600 1 300 100 60 10000"), set: set_save, get: get_save, rewrite: rewrite_save } },
    Directive { name: "client-output-buffer-limit", alias: None, flags: MULTI_ARG, ty: Ty::Special {
        def: Some("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        set: set_obuf_limits, get: get_obuf_limits, rewrite: rewrite_obuf_limits } },
    Directive { name: "oom-score-adj-values", alias: None, flags: MULTI_ARG, ty: Ty::Special {
        def: Some("0 200 800"), set: set_oom_values, get: get_oom_values, rewrite: rewrite_oom_values } },
    Directive { name: "notify-keyspace-events", alias: None, flags: 0, ty: Ty::Special {
        def: Some(""), set: set_notify, get: get_notify, rewrite: rewrite_notify } },
    Directive { name: "bind", alias: None, flags: MULTI_ARG, ty: Ty::Special {
        def: Some(DEFAULT_BIND), set: set_bind, get: get_bind, rewrite: rewrite_bind } },
    Directive { name: "replicaof", alias: Some("slaveof"), flags: IMMUTABLE | MULTI_ARG, ty: Ty::Special {
        def: None, set: set_replicaof, get: get_replicaof, rewrite: rewrite_replicaof } },
    Directive { name: "latency-tracking-info-percentiles", alias: None, flags: MULTI_ARG, ty: Ty::Special {
        def: Some("50 99 99.9"), set: set_percentiles, get: get_percentiles, rewrite: rewrite_percentiles } },
];

/// Directives Redis 7.0 still accepts in a file and ignores: (name, min argc, max argc).
pub(super) const DEPRECATED: &[(&str, usize, usize)] = &[
    ("list-max-ziplist-entries", 2, 2),
    ("list-max-ziplist-value", 2, 2),
    ("lua-replicate-commands", 2, 2),
];

/// One name CONFIG GET/SET knows: a directive under its own name or its alias.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub(super) d: &'static Directive,
    /// The name this entry answers to (the alias for alias entries).
    pub(super) name: &'static str,
}

pub(super) fn entries() -> impl Iterator<Item = Entry> {
    DIRECTIVES.iter().flat_map(|d| {
        std::iter::once(Entry { d, name: d.name }).chain(d.alias.map(|a| Entry { d, name: a }))
    })
}

/// The entry for `name` (case-insensitive), canonical or alias.
pub(super) fn lookup(name: &[u8]) -> Option<Entry> {
    entries().find(|e| e.name.as_bytes().eq_ignore_ascii_case(name))
}

pub(super) fn enum_value_of(names: &[(&str, i32)], name: &str) -> i32 {
    names
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(-1, |&(_, v)| v)
}

pub(super) fn enum_name_of(names: &[(&'static str, i32)], v: i32) -> &'static str {
    names
        .iter()
        .find(|&&(_, x)| x == v)
        .map_or("unknown", |&(n, _)| n)
}

// ---------------------------------------------------------------------------------------
// Validity checks.
// ---------------------------------------------------------------------------------------

pub(super) fn check_daemonize(v: bool) -> Result<(), ConfigError> {
    if v {
        return Err(
            "daemonize yes is not supported: this server always runs in the foreground \
                    (use a process supervisor)"
                .into(),
        );
    }
    Ok(())
}

pub(super) fn check_cluster_enabled(v: bool) -> Result<(), ConfigError> {
    if v {
        return Err("cluster mode is not supported by this server".into());
    }
    Ok(())
}

pub(super) fn check_activedefrag(v: bool) -> Result<(), ConfigError> {
    if v {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with the \
                    Redis source distribution"
                .into(),
        );
    }
    Ok(())
}

pub(super) fn check_shutdown_flags(v: i32) -> Result<(), ConfigError> {
    let v = v as u32;
    if v & shutdown_flags::SAVE != 0 && v & shutdown_flags::NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(())
}

pub(super) fn is_base_name(v: &[u8]) -> bool {
    !v.contains(&b'/') && !v.contains(&b'\\')
}

pub(super) fn check_dbfilename(_: &Config, v: &[u8]) -> Result<(), ConfigError> {
    if !is_base_name(v) {
        return Err("dbfilename can't be a path, just a filename".into());
    }
    Ok(())
}

pub(super) fn check_aof_filename(_: &Config, v: &[u8]) -> Result<(), ConfigError> {
    if v.is_empty() {
        return Err("appendfilename can't be empty".into());
    }
    if !is_base_name(v) {
        return Err("appendfilename can't be a path, just a filename".into());
    }
    Ok(())
}

pub(super) fn check_aof_dirname(_: &Config, v: &[u8]) -> Result<(), ConfigError> {
    if v.is_empty() {
        return Err("appenddirname can't be empty".into());
    }
    if !is_base_name(v) {
        return Err("appenddirname can't be a path, just a dirname".into());
    }
    Ok(())
}

pub(super) fn check_hostname(_: &Config, v: &[u8]) -> Result<(), ConfigError> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters".into());
    }
    if !v
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots".into());
    }
    Ok(())
}

/// A process title template must expand (`{{` is a literal brace, variables are known) to
/// something that is not blank.
pub(super) fn check_proc_title(c: &Config, v: &[u8]) -> Result<(), ConfigError> {
    const ERR: &str = "template format is invalid or contains unknown variables";
    let mut out: Vec<u8> = Vec::new();
    let mut rest = v;
    while let Some((&b, tail)) = rest.split_first() {
        if b != b'{' {
            out.push(b);
            rest = tail;
            continue;
        }
        match tail.split_first() {
            None => return Err(ERR.into()),
            Some((b'{', after)) => {
                out.push(b'{');
                rest = after;
                continue;
            }
            Some(_) => {}
        }
        let mut parts = tail.splitn(2, |&b| b == b'}');
        let (Some(var), Some(after)) = (parts.next(), parts.next()) else {
            return Err(ERR.into());
        };
        // What each variable can expand to while validating: the title is not known yet
        // and the server mode is empty for a standalone server.
        match var {
            b"title" | b"server-mode" => {}
            b"unixsocket" => {
                out.extend_from_slice(c.unixsocket.as_deref().unwrap_or("").as_bytes())
            }
            b"listen-addr" | b"port" | b"tls-port" | b"config-file" => out.push(b'x'),
            _ => return Err(ERR.into()),
        }
        rest = after;
    }
    if out.iter().all(|&b| b == b' ') {
        return Err(ERR.into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Number syntax.
// ---------------------------------------------------------------------------------------

/// Redis `memtoull`: digits with an optional unit (b, k, kb, m, mb, g, gb; any case).
/// k/m/g are powers of 1000, kb/mb/gb powers of 1024. Like Redis, an empty number counts
/// as 0 and an overflowing one saturates before the unit is applied.
pub fn parse_memory(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let (number, unit) = s.split_at_checked(digits)?;
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &b in number {
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(b - b'0')))
            .unwrap_or(u64::MAX);
        if v == u64::MAX {
            break;
        }
    }
    Some(v.wrapping_mul(mul))
}

/// C `strtoll(s, &end, base)` requiring `*end == '\0'`: optional leading white space and
/// sign; an empty string is 0. Returns the value and whether it overflowed (saturated).
pub(super) fn strtoll_all(s: &[u8], base: u32) -> Option<(i64, bool)> {
    let blanks = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .count();
    let mut t = s.get(blanks..).unwrap_or_default();
    let mut neg = false;
    if let Some((&sign @ (b'+' | b'-'), rest)) = t.split_first() {
        neg = sign == b'-';
        t = rest;
    }
    let mut v: i128 = 0;
    let mut overflow = false;
    let mut digits = 0;
    for &b in t {
        let Some(d) = (b as char).to_digit(base) else {
            break;
        };
        if !overflow {
            v = v * i128::from(base) + i128::from(d);
            if v > i128::from(i64::MAX) + 1 {
                overflow = true;
            }
        }
        digits += 1;
    }
    if digits == 0 {
        // No digits: strtoll leaves the end pointer at the start of the string.
        return if s.is_empty() { Some((0, false)) } else { None };
    }
    if digits != t.len() {
        return None;
    }
    let v = if neg { -v } else { v };
    if v > i128::from(i64::MAX) {
        return Some((i64::MAX, true));
    }
    if overflow || v < i128::from(i64::MIN) {
        return Some((if neg { i64::MIN } else { i64::MAX }, true));
    }
    Some((v as i64, false))
}

pub(super) fn parse_number(fmt: NumFmt, s: &[u8]) -> Result<i64, ConfigError> {
    if matches!(fmt, NumFmt::Memory | NumFmt::MemoryPercent) {
        if let Some(v) = parse_memory(s) {
            return Ok(v as i64);
        }
    }
    let percent = s.strip_suffix(b"%").filter(|n| !n.is_empty());
    if let (NumFmt::MemoryPercent, Some(number)) = (fmt, percent) {
        if let Some(v) = parse_i64(number) {
            if v >= 0 {
                return Ok(-v);
            }
        }
    }
    if fmt == NumFmt::Octal {
        if let Some((v, false)) = strtoll_all(s, 8) {
            return Ok(v);
        }
    }
    if fmt == NumFmt::Plain {
        if let Some(v) = parse_i64(s) {
            return Ok(v);
        }
    }
    Err(match fmt {
        NumFmt::MemoryPercent => "argument must be a memory or percent value",
        NumFmt::Memory => "argument must be a memory value",
        NumFmt::Octal => "argument couldn't be parsed as an octal number",
        NumFmt::Plain => "argument couldn't be parsed into an integer",
    }
    .into())
}

pub(super) fn check_bounds(
    fmt: NumFmt,
    min: i64,
    max: i64,
    unsigned: bool,
    v: i64,
) -> Result<(), ConfigError> {
    if unsigned {
        let (u, lo, hi) = (v as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(ConfigError::OutOfRange {
                min: lo.into(),
                max: hi.into(),
                octal: fmt == NumFmt::Octal,
            });
        }
    } else if fmt == NumFmt::MemoryPercent && v < 0 {
        if v < min {
            return Err(ConfigError::PercentTooBig(-min));
        }
    } else if v > max || v < min {
        return Err(ConfigError::OutOfRange {
            min: min.into(),
            max: max.into(),
            octal: false,
        });
    }
    Ok(())
}

pub(super) fn render_number(fmt: NumFmt, v: i64) -> String {
    match fmt {
        NumFmt::MemoryPercent if v < 0 => format!("{}%", -(v as i128)),
        NumFmt::Memory | NumFmt::MemoryPercent => (v as u64).to_string(),
        NumFmt::Octal => format!("{:o}", v),
        NumFmt::Plain => v.to_string(),
    }
}

/// CONFIG REWRITE's memory notation: the largest of gb/mb/kb that divides the value.
pub(super) fn format_memory(v: i64) -> String {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    if v != 0 && v % GB == 0 {
        format!("{}gb", v / GB)
    } else if v != 0 && v % MB == 0 {
        format!("{}mb", v / MB)
    } else if v != 0 && v % KB == 0 {
        format!("{}kb", v / KB)
    } else {
        v.to_string()
    }
}

pub(super) fn parse_yes_no(s: &[u8]) -> Option<bool> {
    if s.eq_ignore_ascii_case(b"yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case(b"no") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------------------
// Generic set / get / rewrite per type.
// ---------------------------------------------------------------------------------------

impl Directive {
    /// Sets the value from its arguments (already split). Errors are Redis's reason texts.
    pub(super) fn set(
        &self,
        c: &mut Config,
        args: &[Vec<u8>],
        ctx: &mut SetCtx,
    ) -> Result<(), ConfigError> {
        match &self.ty {
            Ty::Bool { set, check, .. } => {
                let v = parse_yes_no(single(args)).ok_or("argument must be 'yes' or 'no'")?;
                if let Some(check) = check {
                    check(v)?;
                }
                set(c, v);
            }
            Ty::Num {
                min,
                max,
                unsigned,
                fmt,
                set,
                ..
            } => {
                let v = parse_number(*fmt, single(args))?;
                check_bounds(*fmt, *min, *max, *unsigned, v)?;
                set(c, v);
            }
            Ty::Enum {
                names,
                flags,
                set,
                check,
                ..
            } => {
                let find = |a: &[u8]| {
                    names
                        .iter()
                        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(a))
                        .map(|&(_, v)| v)
                };
                let mut v = 0;
                let mut ok = !args.is_empty() && (*flags || args.len() == 1);
                for a in args {
                    match find(a) {
                        Some(x) => v |= x,
                        None => ok = false,
                    }
                }
                if !ok {
                    return Err(ConfigError::NotOneOf(names));
                }
                if let Some(check) = check {
                    check(v)?;
                }
                set(c, v);
            }
            Ty::Str {
                empty_is_none,
                set,
                check,
                ..
            } => {
                let value = single(args);
                if let Some(check) = check {
                    check(c, value)?;
                }
                let v = if *empty_is_none && value.is_empty() {
                    None
                } else {
                    Some(value.to_vec())
                };
                set(c, v);
            }
            Ty::Special { set, .. } => set(c, args, ctx)?,
        }
        if self.name == "hz" {
            c.hz = c.hz.clamp(MIN_HZ, MAX_HZ);
        }
        Ok(())
    }

    /// The CONFIG GET value.
    pub(super) fn get(&self, c: &Config) -> String {
        match &self.ty {
            Ty::Bool { get, .. } => yes_no(get(c)).into(),
            Ty::Num { fmt, get, .. } => render_number(*fmt, get(c)),
            Ty::Enum {
                names, flags, get, ..
            } => render_enum(names, *flags, get(c)),
            Ty::Str { get, .. } => get(c).map(|v| lossy(&v)).unwrap_or_default(),
            Ty::Special { get, .. } => get(c),
        }
    }

    /// Puts the default value in place.
    pub(super) fn init(&self, c: &mut Config, ctx: &mut SetCtx) {
        match &self.ty {
            Ty::Bool { def, set, .. } => set(c, *def),
            Ty::Num { def, set, .. } => set(c, *def),
            Ty::Enum { def, set, .. } => set(c, *def),
            Ty::Str { def, set, .. } => set(c, def.map(|d| d.as_bytes().to_vec())),
            Ty::Special {
                def: Some(d), set, ..
            } => {
                let args = split_set_value(d.as_bytes(), self.flags & MULTI_ARG != 0);
                set(c, &args, ctx).expect("built-in default must parse");
            }
            Ty::Special { def: None, .. } => {}
        }
    }

    pub(super) fn rewrite(&self, c: &Config, st: &mut RewriteState) {
        let name = self.name;
        match &self.ty {
            Ty::Bool { def, get, .. } => {
                let v = get(c);
                st.rewrite_line(
                    name,
                    format!("{} {}", name, yes_no(v)).into_bytes(),
                    v != *def,
                );
            }
            Ty::Num { def, fmt, get, .. } => {
                let v = get(c);
                let (text, force) = match fmt {
                    NumFmt::MemoryPercent if v < 0 => (format!("{}%", -v), -v != *def),
                    NumFmt::Memory | NumFmt::MemoryPercent => (format_memory(v), v != *def),
                    NumFmt::Octal => (format!("{:o}", v), v != *def),
                    NumFmt::Plain => (v.to_string(), v != *def),
                };
                st.rewrite_line(name, format!("{} {}", name, text).into_bytes(), force);
            }
            Ty::Enum {
                def,
                names,
                flags,
                get,
                ..
            } => {
                let v = get(c);
                let line = format!("{} {}", name, render_enum(names, *flags, v));
                st.rewrite_line(name, line.into_bytes(), v != *def);
            }
            Ty::Str { def, get, .. } => match get(c) {
                None => st.mark_processed(name),
                Some(v) => {
                    let force = def.is_none_or(|d| d.as_bytes() != v.as_slice());
                    let mut line = format!("{} ", name).into_bytes();
                    repr_into(&v, &mut line);
                    st.rewrite_line(name, line, force);
                }
            },
            Ty::Special { rewrite, .. } => rewrite(c, name, st),
        }
    }
}

pub(super) fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

pub(super) fn render_enum(names: &[(&str, i32)], flags: bool, v: i32) -> String {
    if flags && v != 0 {
        let parts: Vec<&str> = names
            .iter()
            .filter(|&&(_, x)| x != 0 && v & x == x)
            .map(|&(n, _)| n)
            .collect();
        return parts.join(" ");
    }
    names
        .iter()
        .find(|&&(_, x)| x == v)
        .map_or("unknown", |&(n, _)| n)
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Special directives.
// ---------------------------------------------------------------------------------------

pub(super) fn set_dir(c: &mut Config, args: &[Vec<u8>], _: &mut SetCtx) -> Result<(), ConfigError> {
    let [dir] = args else {
        return Err("wrong number of arguments".into());
    };
    if dir.is_empty() {
        return Err("No such file or directory".into());
    }
    let p = c.dir.join(lossy(dir));
    let abs = std::fs::canonicalize(&p).map_err(ConfigError::Os)?;
    if !abs.is_dir() {
        return Err("Not a directory".into());
    }
    c.dir = abs;
    Ok(())
}

pub(super) fn get_dir(c: &Config) -> String {
    c.dir.to_string_lossy().into_owned()
}

pub(super) fn rewrite_dir(c: &Config, name: &'static str, st: &mut RewriteState) {
    let mut line = format!("{} ", name).into_bytes();
    repr_into(c.dir.to_string_lossy().as_bytes(), &mut line);
    st.rewrite_line(name, line, true);
}

pub(super) fn set_save(
    c: &mut Config,
    args: &[Vec<u8>],
    ctx: &mut SetCtx,
) -> Result<(), ConfigError> {
    let args = no_values_if_empty(args);
    if !args.len().is_multiple_of(2) {
        return Err("Invalid save parameters".into());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks_exact(2) {
        let [secs, changes] = pair else {
            return Err("Invalid save parameters".into());
        };
        let secs = strtoll_all(secs, 10).map(|(v, _)| v);
        let changes = strtoll_all(changes, 10).map(|(v, _)| v);
        match (secs, changes) {
            (Some(s), Some(ch)) if s >= 1 && ch >= 0 => points.push((s as u64, ch as u64)),
            _ => return Err("Invalid save parameters".into()),
        }
    }
    // While reading a file, the first `save` line replaces the defaults and later ones
    // add to it, except `save ""` which clears; CONFIG SET replaces the whole list.
    if !ctx.reading_file || !ctx.save_loaded || points.is_empty() {
        c.save.clear();
    }
    ctx.save_loaded |= ctx.reading_file;
    c.save.extend(points);
    Ok(())
}

pub(super) fn get_save(c: &Config) -> String {
    let parts: Vec<String> = c
        .save
        .iter()
        .map(|(s, ch)| format!("{} {}", s, ch))
        .collect();
    parts.join(" ")
}

pub(super) fn rewrite_save(c: &Config, name: &'static str, st: &mut RewriteState) {
    if c.save.is_empty() {
        st.rewrite_line(name, b"save \"\"".to_vec(), true);
    } else {
        for (s, ch) in &c.save {
            st.rewrite_line(name, format!("save {} {}", s, ch).into_bytes(), true);
        }
    }
    st.mark_processed(name);
}

/// Client classes of client-output-buffer-limit, in Redis's order.
pub(super) const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

pub(super) fn obuf(c: &Config, class: usize) -> (u64, u64, u64) {
    match class {
        0 => c.client_output_buffer_limit_normal,
        1 => c.client_output_buffer_limit_replica,
        _ => c.client_output_buffer_limit_pubsub,
    }
}

pub(super) fn set_obuf_limits(
    c: &mut Config,
    args: &[Vec<u8>],
    _: &mut SetCtx,
) -> Result<(), ConfigError> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut values: [Option<(u64, u64, u64)>; 3] = [None; 3];
    const BAD_LIMITS: &str =
        "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    for group in args.chunks_exact(4) {
        let [class, hard, soft, secs] = group else {
            return Err(BAD_LIMITS.into());
        };
        let class = match class.to_ascii_lowercase().as_slice() {
            b"normal" => 0,
            b"slave" | b"replica" => 1,
            b"pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = parse_memory(hard);
        let soft = parse_memory(soft);
        let secs = strtoll_all(secs, 10).map(|(v, _)| v);
        match (hard, soft, secs, values.get_mut(class)) {
            (Some(h), Some(s), Some(t), Some(slot)) if t >= 0 => *slot = Some((h, s, t as u64)),
            _ => return Err(BAD_LIMITS.into()),
        }
    }
    if let Some(v) = values[0] {
        c.client_output_buffer_limit_normal = v;
    }
    if let Some(v) = values[1] {
        c.client_output_buffer_limit_replica = v;
    }
    if let Some(v) = values[2] {
        c.client_output_buffer_limit_pubsub = v;
    }
    Ok(())
}

pub(super) fn get_obuf_limits(c: &Config) -> String {
    let parts: Vec<String> = OBUF_CLASSES
        .iter()
        .enumerate()
        .map(|(i, class)| {
            let (h, s, t) = obuf(c, i);
            format!("{} {} {} {}", class, h, s, t)
        })
        .collect();
    parts.join(" ")
}

pub(super) fn rewrite_obuf_limits(c: &Config, name: &'static str, st: &mut RewriteState) {
    let classes = ["normal", "replica", "pubsub"].iter().zip(OBUF_DEFAULTS);
    for (i, (class, default)) in classes.enumerate() {
        let (h, s, t) = obuf(c, i);
        let force = (h, s, t) != default;
        let line = format!(
            "{} {} {} {} {}",
            name,
            class,
            format_memory(h as i64),
            format_memory(s as i64),
            t
        );
        st.rewrite_line(name, line.into_bytes(), force);
    }
}

pub(super) fn set_oom_values(
    c: &mut Config,
    args: &[Vec<u8>],
    _: &mut SetCtx,
) -> Result<(), ConfigError> {
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut v = [0i32; 3];
    for (slot, a) in v.iter_mut().zip(args) {
        match strtoll_all(a, 10) {
            Some((x, _)) if (-2000..=2000).contains(&x) => *slot = x as i32,
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                )
            }
        }
    }
    c.oom_score_adj_values = v;
    Ok(())
}

pub(super) fn get_oom_values(c: &Config) -> String {
    let v = c.oom_score_adj_values;
    format!("{} {} {}", v[0], v[1], v[2])
}

pub(super) fn rewrite_oom_values(c: &Config, name: &'static str, st: &mut RewriteState) {
    let force = c.oom_score_adj_values != OOM_SCORE_DEFAULTS;
    st.rewrite_line(
        name,
        format!("{} {}", name, get_oom_values(c)).into_bytes(),
        force,
    );
}

/// Parses a `notify-keyspace-events` class string (`KEg$lshzxetmdnA`); None on an
/// unknown character.
pub fn parse_notify_flags(s: &[u8]) -> Option<u32> {
    use notify_flags::*;
    let mut flags = 0;
    for &ch in s {
        flags |= match ch {
            b'A' => ALL,
            b'g' => GENERIC,
            b'$' => STRING,
            b'l' => LIST,
            b's' => SET,
            b'h' => HASH,
            b'z' => ZSET,
            b'x' => EXPIRED,
            b'e' => EVICTED,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b't' => STREAM,
            b'm' => KEY_MISS,
            b'd' => MODULE,
            b'n' => NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// Renders notification flags the way CONFIG GET shows them. Like Redis, `A` replaces
/// the class letters when all of `A` is set (so a set `n` is then not shown).
pub fn notify_flags_to_string(flags: u32) -> String {
    use notify_flags::*;
    let mut s = String::new();
    if flags & ALL == ALL {
        s.push('A');
    } else {
        for (bit, ch) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(ch);
            }
        }
    }
    for (bit, ch) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            s.push(ch);
        }
    }
    s
}

pub(super) fn set_notify(
    c: &mut Config,
    args: &[Vec<u8>],
    _: &mut SetCtx,
) -> Result<(), ConfigError> {
    let [flags] = args else {
        return Err("wrong number of arguments".into());
    };
    c.notify_keyspace_events =
        parse_notify_flags(flags).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
    Ok(())
}

pub(super) fn get_notify(c: &Config) -> String {
    notify_flags_to_string(c.notify_keyspace_events)
}

pub(super) fn rewrite_notify(c: &Config, name: &'static str, st: &mut RewriteState) {
    let mut line = format!("{} ", name).into_bytes();
    repr_into(get_notify(c).as_bytes(), &mut line);
    st.rewrite_line(name, line, c.notify_keyspace_events != 0);
}

pub(super) fn set_bind(
    c: &mut Config,
    args: &[Vec<u8>],
    _: &mut SetCtx,
) -> Result<(), ConfigError> {
    if args.len() > BINDADDR_MAX {
        return Err("Too many bind addresses specified.".into());
    }
    let args = no_values_if_empty(args);
    c.bind = args.iter().map(|a| lossy(a)).collect();
    Ok(())
}

pub(super) fn get_bind(c: &Config) -> String {
    c.bind.join(" ")
}

pub(super) fn rewrite_bind(c: &Config, name: &'static str, st: &mut RewriteState) {
    if get_bind(c) == DEFAULT_BIND {
        st.mark_processed(name);
        return;
    }
    let addresses = if c.bind.is_empty() {
        "\"\"".to_string()
    } else {
        get_bind(c)
    };
    st.rewrite_line(name, format!("{} {}", name, addresses).into_bytes(), true);
}

pub(super) fn set_replicaof(
    c: &mut Config,
    args: &[Vec<u8>],
    _: &mut SetCtx,
) -> Result<(), ConfigError> {
    let [host, port] = args else {
        return Err("wrong number of arguments".into());
    };
    c.replicaof = None;
    if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
        return Ok(());
    }
    match strtoll_all(port, 10) {
        Some((p, false)) if (0..=65535).contains(&p) => {
            c.replicaof = Some((lossy(host), p as u16));
            Ok(())
        }
        _ => Err("Invalid master port".into()),
    }
}

pub(super) fn get_replicaof(c: &Config) -> String {
    match &c.replicaof {
        Some((h, p)) => format!("{} {}", h, p),
        None => String::new(),
    }
}

pub(super) fn rewrite_replicaof(c: &Config, name: &'static str, st: &mut RewriteState) {
    match &c.replicaof {
        None => st.mark_processed(name),
        Some((h, p)) => st.rewrite_line(name, format!("{} {} {}", name, h, p).into_bytes(), true),
    }
}

pub(super) fn set_percentiles(
    c: &mut Config,
    args: &[Vec<u8>],
    _: &mut SetCtx,
) -> Result<(), ConfigError> {
    let args = no_values_if_empty(args);
    let mut v = Vec::with_capacity(args.len());
    for a in args {
        let p = parse_f64(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        v.push(p);
    }
    c.latency_tracking_info_percentiles = v;
    Ok(())
}

/// "%f" with trailing zeros (and a trailing dot) removed.
pub fn format_percentile(p: f64) -> String {
    let s = format!("{:.6}", p);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub(super) fn get_percentiles(c: &Config) -> String {
    let parts: Vec<String> = c
        .latency_tracking_info_percentiles
        .iter()
        .map(|&p| format_percentile(p))
        .collect();
    parts.join(" ")
}

pub(super) fn rewrite_percentiles(c: &Config, name: &'static str, st: &mut RewriteState) {
    let line = if c.latency_tracking_info_percentiles.is_empty() {
        format!("{} \"\"", name)
    } else {
        format!("{} {}", name, get_percentiles(c))
    };
    st.rewrite_line(name, line.into_bytes(), true);
}

/// A CONFIG SET value as arguments: multi-argument directives split it on single spaces
/// (an empty value is no arguments), others take it whole.
/// A directive's value given as one empty argument (`save ""`, `bind ""`) means no
/// values at all.
fn no_values_if_empty(args: &[Vec<u8>]) -> &[Vec<u8>] {
    match args {
        [only] if only.is_empty() => &[],
        _ => args,
    }
}

/// The value of a one-argument directive. Callers pass exactly one (the config file
/// checks the count, CONFIG SET passes its value whole); none reads as an empty value.
fn single(args: &[Vec<u8>]) -> &[u8] {
    args.first().map_or(&[], Vec::as_slice)
}

pub(super) fn split_set_value(v: &[u8], multi: bool) -> Vec<Vec<u8>> {
    if !multi {
        return vec![v.to_vec()];
    }
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&b| b == b' ').map(|p| p.to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_unique_and_lowercase() {
        let mut seen = HashSet::new();
        for e in entries() {
            assert_eq!(e.name, e.name.to_ascii_lowercase());
            assert!(seen.insert(e.name), "duplicate {}", e.name);
        }
        assert!(seen.len() > 170);
    }

    #[test]
    fn memory_and_notify_helpers() {
        assert_eq!(parse_memory(b"1gb"), Some(1 << 30));
        assert_eq!(parse_memory(b"1GB"), Some(1 << 30));
        assert_eq!(parse_memory(b"100mb"), Some(100 << 20));
        assert_eq!(parse_memory(b"1k"), Some(1000));
        assert_eq!(parse_memory(b"1kb"), Some(1024));
        assert_eq!(parse_memory(b"5b"), Some(5));
        assert_eq!(parse_memory(b"kb"), Some(0));
        assert_eq!(parse_memory(b"-1"), None);
        assert_eq!(parse_memory(b" 1"), None);
        assert_eq!(parse_memory(b"1x"), None);
        assert_eq!(format_memory(2 << 30), "2gb");
        assert_eq!(format_memory(1536), "1536");
        assert_eq!(format_memory(3072), "3kb");
        assert_eq!(format_memory(0), "0");
        assert_eq!(
            parse_notify_flags(b"Ex"),
            Some(notify_flags::KEYEVENT | notify_flags::EXPIRED)
        );
        assert_eq!(parse_notify_flags(b"Q"), None);
        assert_eq!(
            notify_flags_to_string(notify_flags::ALL | notify_flags::NEW),
            "A"
        );
        assert_eq!(notify_flags_to_string(0), "");
        assert_eq!(strtoll_all(b"", 10), Some((0, false)));
        assert_eq!(strtoll_all(b" +5", 10), Some((5, false)));
        assert_eq!(strtoll_all(b"5x", 10), None);
        assert_eq!(strtoll_all(b"777", 8), Some((511, false)));
        assert_eq!(strtoll_all(b"8", 8), None);
    }

    #[test]
    fn number_and_template_edges() {
        assert_eq!(strtoll_all(b"  ", 10), None);
        assert_eq!(strtoll_all(b"-", 10), None);
        assert_eq!(strtoll_all(b"\t-12", 10), Some((-12, false)));
        assert_eq!(strtoll_all(b"12 ", 10), None);
        assert_eq!(
            strtoll_all(b"-9223372036854775808", 10),
            Some((i64::MIN, false))
        );
        assert_eq!(
            strtoll_all(b"9223372036854775808", 10),
            Some((i64::MAX, true))
        );
        assert_eq!(
            strtoll_all(b"-99999999999999999999", 10),
            Some((i64::MIN, true))
        );
        assert_eq!(strtoll_all(b"\xff", 10), None);
        let pct = |s: &[u8]| parse_number(NumFmt::MemoryPercent, s).ok();
        assert_eq!(pct(b"50%"), Some(-50));
        assert_eq!(pct(b"%"), None);
        assert_eq!(pct(b"-5%"), None);
        assert_eq!(pct(b"5"), Some(5));
        let c = Config::default();
        let ok = |t: &[u8]| check_proc_title(&c, t).is_ok();
        assert!(ok(b"{title} {port}"));
        assert!(ok(b"{{x"));
        assert!(ok(b"a"));
        assert!(!ok(b"{"));
        assert!(!ok(b"x{"));
        assert!(!ok(b"{title"));
        assert!(!ok(b"{nope}"));
        assert!(!ok(b"   "));
        assert!(!ok(b"{title}"));
        assert!(ok(b"{title}}"));
        assert!(ok(b"\xff"));
    }
}
