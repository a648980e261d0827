//! Logging in Redis's format: `pid:M 24 Nov 2026 11:20:49.123 * message`.
//!
//! Levels map as: warning → `#` (log::warn/error), notice → `*` (log::info),
//! verbose → `-` and debug → `.` (log::debug / log::trace). `loglevel` and `logfile`
//! come from the config; RUST_LOG, when set, overrides the level.

use crate::config::{Config, LogLevel};
use std::io::Write;

fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes into the tm we own; strftime into our buffer.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        let mut buf = [0u8; 64];
        let n = libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%d %b %Y %H:%M:%S".as_ptr(),
            &tm,
        );
        format!(
            "{}.{:03}",
            String::from_utf8_lossy(&buf[..n]),
            now.subsec_millis()
        )
    }
}

/// Installs the logger. Safe to call once per process; later calls are ignored.
pub fn init(config: &Config) {
    let level = match config.loglevel {
        LogLevel::Debug => log::LevelFilter::Trace,
        LogLevel::Verbose => log::LevelFilter::Debug,
        LogLevel::Notice => log::LevelFilter::Info,
        LogLevel::Warning => log::LevelFilter::Warn,
        LogLevel::Nothing => log::LevelFilter::Off,
    };
    let mut b = env_logger::Builder::new();
    // The logger lets everything through and `log::set_max_level` decides, so CONFIG SET
    // loglevel can raise the level as well as lower it.
    b.filter_level(log::LevelFilter::Trace);
    let from_env = std::env::var("RUST_LOG").ok();
    if let Some(spec) = &from_env {
        b.parse_filters(spec);
    }
    let pid = std::process::id();
    b.format(move |f, r| {
        let c = match r.level() {
            log::Level::Error | log::Level::Warn => '#',
            log::Level::Info => '*',
            log::Level::Debug => '-',
            log::Level::Trace => '.',
        };
        // A forked child (AOF rewrite, debugging session) logs as Redis's do: its own pid,
        // role C.
        let me = std::process::id();
        let role = if me == pid { 'M' } else { 'C' };
        writeln!(f, "{me}:{role} {} {c} {}", timestamp(), r.args())
    });
    if !config.logfile.is_empty() {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
        {
            Ok(file) => {
                b.target(env_logger::Target::Pipe(Box::new(file)));
            }
            Err(e) => eprintln!("Can't open the log file: {e}"),
        }
    } else {
        b.target(env_logger::Target::Stdout);
    }
    if b.try_init().is_ok() && from_env.is_none() {
        log::set_max_level(level);
    }
}
