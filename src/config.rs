//! The configuration: one table of directives shared by `redis.conf`, the command line
//! and CONFIG GET/SET/REWRITE (placeholder body).

use std::path::PathBuf;

/// The Redis version ferrokv is compatible with, as INFO and the logs report it.
pub const REDIS_VERSION: &str = "7.0.15";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendFsync {
    Always,
    EverySec,
    No,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    AllkeysLru,
    VolatileLfu,
    AllkeysLfu,
    VolatileRandom,
    AllkeysRandom,
    VolatileTtl,
    NoEviction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    Nothing,
}

/// Every directive's current value. Fields are read directly by the server; changes go
/// through `set` so CONFIG SET stays atomic and validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// The config file given on the command line, absolute, if any (CONFIG REWRITE target).
    pub config_file: Option<PathBuf>,
    pub bind: Vec<String>,
    pub port: u16,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub databases: usize,
    pub dir: PathBuf,
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub tcp_backlog: u32,
    pub maxclients: usize,
    pub loglevel: LogLevel,
    pub logfile: String,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    pub appendonly: bool,
    pub appendfsync: AppendFsync,
    pub appenddirname: String,
    pub appendfilename: String,
    pub aof_load_truncated: bool,
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    pub save: Vec<(u64, u64)>,
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: u32,
    /// Keyspace notification class flags (bit set, see `notify_flags`).
    pub notify_keyspace_events: u32,
    pub enable_debug_command: String,
    pub hz: u32,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_monitor_threshold: u64,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub list_max_listpack_size: i64,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// client-output-buffer-limit for pubsub clients: (hard, soft, soft seconds).
    pub client_output_buffer_limit_pubsub: (u64, u64, u64),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            config_file: None,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            port: 6379,
            protected_mode: true,
            requirepass: None,
            databases: 16,
            dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            timeout: 0,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            maxclients: 10000,
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            appendonly: true,
            appendfsync: AppendFsync::EverySec,
            appenddirname: "appendonlydir".into(),
            appendfilename: "appendonly.aof".into(),
            aof_load_truncated: true,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            notify_keyspace_events: 0,
            enable_debug_command: "no".into(),
            hz: 10,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            hash_max_listpack_entries: 128,
            hash_max_listpack_value: 64,
            list_max_listpack_size: -2,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            client_output_buffer_limit_pubsub: (32 * 1024 * 1024, 8 * 1024 * 1024, 60),
        }
    }
}

impl Config {
    /// Builds the configuration from `argv[1..]`: an optional config file path first, then
    /// `--directive value ...`. On error returns the full text to print before exiting 1.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut c = Config::default();
        let mut i = 0;
        while i < args.len() {
            if args[i] == "--port" && i + 1 < args.len() {
                c.port = args[i + 1].parse().map_err(|_| "bad port".to_string())?;
                i += 1;
            }
            if args[i] == "--appendonly" && i + 1 < args.len() {
                c.appendonly = args[i + 1] == "yes";
                i += 1;
            }
            i += 1;
        }
        Ok(c)
    }

    /// CONFIG GET: every (name, value) whose name matches the glob `pattern`.
    pub fn get(&self, pattern: &[u8]) -> Vec<(String, String)> {
        let _ = pattern;
        Vec::new()
    }

    /// CONFIG SET name value [name value ...]: all or nothing. Returns the names that were
    /// changed (canonical) so the server can apply side effects, or the exact error text
    /// (without the leading "-").
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        let _ = pairs;
        Err("ERR not yet".into())
    }

    /// CONFIG REWRITE: rewrites the config file with the current values.
    pub fn rewrite(&self) -> Result<(), String> {
        Err("ERR The server is running without a config file".into())
    }
}
