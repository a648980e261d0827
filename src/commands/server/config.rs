//! CONFIG GET / SET / RESETSTAT / REWRITE.
//!
//! Parsing, validation and the values themselves belong to `crate::config`; this module
//! replies, and after a successful SET applies the changes the server keeps outside the
//! configuration (`apply_config_change`).

#![deny(clippy::indexing_slicing)]

use super::help_reply;
use crate::commands::{Args, Ctx};
use crate::config::{ConfigError, LogLevel};
use crate::error::{CmdResult, Error};

/// A configuration error as this command's error reply: its `Display` is the whole
/// reply text (`ERR ...`, `LOADING ...`).
fn reply_error(e: ConfigError) -> Error {
    Error::msg(e.to_string())
}

/// CONFIG GET parameter [parameter ...]
pub fn get(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pat in a.from(2) {
        for (k, v) in ctx.config().get(pat) {
            if !pairs.iter().any(|(n, _)| *n == k) {
                pairs.push((k, v));
            }
        }
    }
    ctx.reply.map(pairs.len());
    for (k, v) in pairs {
        ctx.reply.bulk(k.as_bytes());
        ctx.reply.bulk(v.as_bytes());
    }
    Ok(())
}

/// CONFIG SET parameter value [parameter value ...]
pub fn set(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if !a.len().is_multiple_of(2) {
        return Err(Error::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = (2..a.len())
        .step_by(2)
        .map(|i| (a.get(i), a.get(i + 1)))
        .collect();
    let before = ctx.srv.config().clone();
    let changed = ctx.srv.set_config(&pairs).map_err(reply_error)?;
    for (i, &name) in changed.iter().enumerate() {
        if let Err(e) = apply_config_change(ctx, name) {
            // All or nothing, as in Redis: the previous values come back, and what the
            // directives applied before this one did is undone (this one changed nothing).
            log::warn!(
                "Failed applying new configuration. Possibly related to new {name} setting. Restoring previous settings."
            );
            ctx.srv.restore_config(before);
            let applied = changed.get(..i).unwrap_or_default();
            for &n in applied.iter().filter(|n| !matches!(**n, "port" | "bind")) {
                if let Err(e) = apply_config_change(ctx, n) {
                    log::warn!("Failed applying restored failed CONFIG SET command: {e}");
                }
            }
            if applied.iter().any(|n| matches!(*n, "port" | "bind"))
                && ctx.srv.rebind_listeners().is_err()
            {
                log::warn!(
                    "Failed applying restored failed CONFIG SET command: Unable to listen on this port. Check server logs."
                );
            }
            return Err(e);
        }
    }
    ctx.reply.ok();
    Ok(())
}

/// Applies what a changed directive means for state kept outside `Config` (everything
/// the server reads from `Config` directly needs nothing). `name` is the canonical
/// directive name. An error leaves that state as it was and becomes CONFIG SET's reply
/// (CONFIG SET then restores the previous values).
pub fn apply_config_change(ctx: &mut Ctx, name: &str) -> CmdResult {
    // The listeners move (Redis's updatePort and applyBind), both to the new `bind` at
    // the new `port`, whichever the CONFIG SET changed. Port 0 closes them.
    if name == "port" && ctx.srv.rebind_listeners().is_err() {
        return Err(reply_error(ConfigError::set_failed(
            "port",
            "Unable to listen on this port. Check server logs.",
        )));
    }
    if name == "bind" && ctx.srv.rebind_listeners().is_err() {
        log::warn!("Failed to bind");
        return Err(reply_error(ConfigError::set_failed(
            "bind",
            "Failed to bind to specified addresses.",
        )));
    }
    // The append-only file: turning it on starts a rewrite that writes its base.
    // (`apply_aof_config` turns appendonly back off when that fails.)
    if matches!(name, "appendonly" | "appendfsync" | "aof-timestamp-enabled")
        && ctx.srv.apply_aof_config(ctx.store, name).is_err()
    {
        return Err(reply_error(ConfigError::set_failed(
            "appendonly",
            "Unable to turn on AOF. Check server logs.",
        )));
    }
    let c = ctx.srv.config();
    match name {
        "notify-keyspace-events" => ctx.store.notify_flags = c.notify_keyspace_events,
        "loglevel" => log::set_max_level(match c.loglevel {
            LogLevel::Debug => log::LevelFilter::Trace,
            LogLevel::Verbose => log::LevelFilter::Debug,
            LogLevel::Notice => log::LevelFilter::Info,
            LogLevel::Warning => log::LevelFilter::Warn,
            LogLevel::Nothing => log::LevelFilter::Off,
        }),
        // Clients already authenticated stay so, as in Redis; new ones must AUTH.
        "requirepass" => {}
        // New connections are checked against the limit as they arrive.
        "maxclients" => {}
        "maxmemory-policy" | "lfu-log-factor" | "lfu-decay-time" => {
            ctx.store.access = crate::store::AccessPolicy::from_config(c);
        }
        // A lower limit evicts right away (Redis's updateMaxmemory).
        "maxmemory" if c.maxmemory != 0 => {
            let max = c.maxmemory;
            let used = crate::server::evict::used_minus_not_counted(ctx.srv);
            if max < used {
                log::warn!(
                    "WARNING: the new maxmemory value set via CONFIG SET ({max}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
                );
            }
            crate::server::evict::perform_evictions(ctx.store, ctx.srv);
        }
        "slowlog-max-len" => ctx.srv.slowlog_trim(),
        _ => {}
    }
    Ok(())
}

/// CONFIG RESETSTAT
pub fn resetstat(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.srv.reset_stats();
    ctx.store.stats = Default::default();
    ctx.reply.ok();
    Ok(())
}

/// CONFIG REWRITE
pub fn rewrite(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    match ctx.srv.rewrite_config() {
        Ok(()) => {
            log::info!("CONFIG REWRITE executed with success.");
            ctx.reply.ok();
            Ok(())
        }
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {e}");
            Err(reply_error(e))
        }
    }
}

/// CONFIG HELP
pub fn help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    help_reply(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::testutil::Env;

    #[test]
    fn set_arity_and_errors() {
        let mut e = Env::new();
        assert_eq!(
            e.run(&["config", "set", "a"]),
            "-ERR wrong number of arguments for 'config|set' command\r\n"
        );
        assert_eq!(
            e.run(&["config", "set", "a", "b", "c"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            e.run(&["config", "get"]),
            "-ERR wrong number of arguments for 'config|get' command\r\n"
        );
        assert_eq!(
            e.run(&["config", "foo"]),
            "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"
        );
    }

    #[test]
    fn resetstat_clears_counters() {
        let mut e = Env::new();
        e.run(&["time"]);
        e.run(&["config", "foo"]);
        e.store.stats.hits = 5;
        assert_eq!(e.run(&["config", "resetstat"]), "+OK\r\n");
        assert_eq!(e.core.stats().total_commands_processed, 1);
        assert!(e.core.diag().errors.is_empty());
        assert_eq!(e.store.stats.hits, 0);
        let r = e.run(&["info", "commandstats"]);
        assert!(!r.contains("cmdstat_time"));
    }
}
