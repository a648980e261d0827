//! Server commands: COMMAND, INFO, CLIENT, CONFIG, TIME, LASTSAVE, SHUTDOWN, MONITOR,
//! SLOWLOG, LATENCY, DEBUG and MEMORY.
//!
//! The rows are here; the handlers live in submodules by theme: `command` (the command
//! table introspection, with `docs` reading the documentation syntax), `info`, `client`,
//! `config`, `latency`, and `admin` for the rest. `Diagnostics` is the state these
//! commands keep on the server (latency events, memory peak, error counts).

mod admin;
mod client;
mod command;
mod config;
pub mod docs;
pub mod info;
pub mod latency;

use super::flags::*;
use super::{cmd, CommandDef, Ctx, Group, TABLE};
use crate::error::CmdResult;
use crate::server::Core;
use std::collections::BTreeMap;

pub use config::apply_config_change;

/// Flags shared by most administrative subcommands.
const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
/// Flags of per-connection CLIENT subcommands.
const CONN: u32 = NOSCRIPT | LOADING | STALE;
/// Flags of the HELP subcommands.
const HELP: u32 = LOADING | STALE;

const HELP_SUMMARY: &str = "Show helpful text about the different subcommands";

const COMMAND_SUBS: &[CommandDef] = &[
    cmd("count", 2, HELP, command::count)
        .doc(
            Group::Server,
            "2.8.13",
            "Get total number of Redis commands",
            "",
        )
        .complexity("O(1)"),
    cmd("docs", -2, HELP, command::docs)
        .doc(
            Group::Server,
            "7.0.0",
            "Get array of specific Redis command documentation",
            "[command-name [command-name ...]]",
        )
        .complexity("O(N) where N is the number of commands to look up"),
    cmd("getkeys", -4, HELP, command::getkeys)
        .doc(
            Group::Server,
            "2.8.13",
            "Extract keys given a full Redis command",
            "command [arg [arg ...]]",
        )
        .complexity("O(N) where N is the number of arguments to the command"),
    cmd("getkeysandflags", -4, HELP, command::getkeysandflags)
        .doc(
            Group::Server,
            "7.0.0",
            "Extract keys and access flags given a full Redis command",
            "command [arg [arg ...]]",
        )
        .complexity("O(N) where N is the number of arguments to the command"),
    cmd("help", 2, HELP, command::help)
        .doc(Group::Server, "5.0.0", HELP_SUMMARY, "")
        .complexity("O(1)"),
    cmd("info", -2, HELP, command::info)
        .doc(
            Group::Server,
            "2.8.13",
            "Get array of specific Redis command details, or all when no argument is given.",
            "[command-name [command-name ...]]",
        )
        .complexity("O(N) where N is the number of commands to look up"),
    cmd("list", -2, HELP, command::list)
        .doc(
            Group::Server,
            "7.0.0",
            "Get an array of Redis command names",
            "[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]",
        )
        .complexity("O(N) where N is the total number of Redis commands"),
];

const CLIENT_SUBS: &[CommandDef] = &[
    cmd("getname", 2, CONN, client::getname)
        .doc(
            Group::Connection,
            "2.6.9",
            "Get the current connection name",
            "",
        )
        .complexity("O(1)"),
    cmd("help", 2, HELP, client::help)
        .doc(Group::Connection, "5.0.0", HELP_SUMMARY, "")
        .complexity("O(1)"),
    cmd("id", 2, CONN, client::id)
        .doc(
            Group::Connection,
            "5.0.0",
            "Returns the client ID for the current connection",
            "",
        )
        .complexity("O(1)"),
    cmd("info", 2, CONN, client::info)
        .doc(
            Group::Connection,
            "6.2.0",
            "Returns information about the current client connection.",
            "",
        )
        .complexity("O(1)"),
    cmd("kill", -3, ADM, client::kill)
        .doc(
            Group::Connection,
            "2.4.0",
            "Kill the connection of a client",
            "<ip:port | [ID client-id] [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME <YES | NO>]>",
        )
        .complexity("O(N) where N is the number of client connections"),
    cmd("list", -2, ADM, client::list)
        .doc(
            Group::Connection,
            "2.4.0",
            "Get the list of client connections",
            "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]",
        )
        .complexity("O(N) where N is the number of client connections"),
    cmd("no-evict", 3, ADM, client::no_evict)
        .doc(
            Group::Connection,
            "7.0.0",
            "Set client eviction mode for the current connection",
            "<ON | OFF>",
        )
        .complexity("O(1)"),
    cmd("pause", -3, ADM, client::pause)
        .doc(
            Group::Connection,
            "2.9.50",
            "Stop processing commands from clients for some time",
            "timeout [WRITE | ALL]",
        )
        .complexity("O(1)"),
    cmd("reply", 3, CONN, client::reply)
        .doc(
            Group::Connection,
            "3.2.0",
            "Instruct the server whether to reply to commands",
            "<ON | OFF | SKIP>",
        )
        .complexity("O(1)"),
    cmd("setinfo", 4, CONN, client::setinfo)
        .doc(
            Group::Connection,
            "7.2.0",
            "Set client or connection specific info",
            "<LIB-NAME libname | LIB-VER libver>",
        )
        .complexity("O(1)"),
    cmd("setname", 3, CONN, client::setname)
        .doc(
            Group::Connection,
            "2.6.9",
            "Set the current connection name",
            "connection-name",
        )
        .complexity("O(1)"),
    cmd("unblock", -3, ADM, client::unblock)
        .doc(
            Group::Connection,
            "5.0.0",
            "Unblock a client blocked in a blocking command from a different connection",
            "client-id [TIMEOUT | ERROR]",
        )
        .complexity("O(log N) where N is the number of client connections"),
    cmd("unpause", 2, ADM, client::unpause)
        .doc(
            Group::Connection,
            "6.2.0",
            "Resume processing of clients that were paused",
            "",
        )
        .complexity("O(N) Where N is the number of paused clients"),
];

const CONFIG_SUBS: &[CommandDef] = &[
    cmd("get", -3, ADM, config::get)
        .doc(
            Group::Server,
            "2.0.0",
            "Get the values of configuration parameters",
            "parameter [parameter ...]",
        )
        .complexity("O(N) when N is the number of configuration parameters provided"),
    cmd("help", 2, HELP, config::help)
        .doc(Group::Server, "5.0.0", HELP_SUMMARY, "")
        .complexity("O(1)"),
    cmd("resetstat", 2, ADM, config::resetstat)
        .doc(
            Group::Server,
            "2.0.0",
            "Reset the stats returned by INFO",
            "",
        )
        .complexity("O(1)"),
    cmd("rewrite", 2, ADM, config::rewrite)
        .doc(
            Group::Server,
            "2.8.0",
            "Rewrite the configuration file with the in memory configuration",
            "",
        )
        .complexity("O(1)"),
    cmd("set", -4, ADM, config::set)
        .doc(
            Group::Server,
            "2.0.0",
            "Set configuration parameters to the given values",
            "parameter value [parameter value ...]",
        )
        .complexity("O(N) when N is the number of configuration parameters provided"),
];

const SLOWLOG_SUBS: &[CommandDef] = &[
    cmd("get", -2, ADMIN | LOADING | STALE, admin::slowlog_get)
        .doc(
            Group::Server,
            "2.2.12",
            "Get the slow log's entries",
            "[count]",
        )
        .complexity("O(N) where N is the number of entries returned"),
    cmd("help", 2, HELP, admin::slowlog_help)
        .doc(Group::Server, "6.2.0", HELP_SUMMARY, "")
        .complexity("O(1)"),
    cmd("len", 2, ADMIN | LOADING | STALE, admin::slowlog_len)
        .doc(Group::Server, "2.2.12", "Get the slow log's length", "")
        .complexity("O(1)"),
    cmd("reset", 2, ADMIN | LOADING | STALE, admin::slowlog_reset)
        .doc(
            Group::Server,
            "2.2.12",
            "Clear all entries from the slow log",
            "",
        )
        .complexity("O(N) where N is the number of entries in the slowlog"),
];

const LATENCY_SUBS: &[CommandDef] = &[
    cmd("help", 2, HELP, latency::help)
        .doc(
            Group::Server,
            "2.8.13",
            "Show helpful text about the different subcommands.",
            "",
        )
        .complexity("O(1)"),
    cmd("history", 3, ADM, latency::history)
        .doc(
            Group::Server,
            "2.8.13",
            "Return timestamp-latency samples for the event.",
            "event",
        )
        .complexity("O(1)"),
    cmd("latest", 2, ADM, latency::latest)
        .doc(
            Group::Server,
            "2.8.13",
            "Return the latest latency samples for all events.",
            "",
        )
        .complexity("O(1)"),
    cmd("reset", -2, ADM, latency::reset)
        .doc(
            Group::Server,
            "2.8.13",
            "Reset latency data for one or more events.",
            "[event [event ...]]",
        )
        .complexity("O(1)"),
];

const MEMORY_SUBS: &[CommandDef] = &[
    cmd("help", 2, HELP, admin::memory_help)
        .doc(Group::Server, "4.0.0", HELP_SUMMARY, "")
        .complexity("O(1)"),
    cmd("usage", -3, READONLY, admin::memory_usage)
        .keys(2, 2, 1)
        .doc(
            Group::Server,
            "4.0.0",
            "Estimate the memory usage of a key",
            "key [SAMPLES count]",
        )
        .complexity("O(N) where N is the number of samples."),
];

/// A container row: no flags of its own, dispatch goes to the subcommands.
const fn container(
    name: &'static str,
    group: Group,
    since: &'static str,
    summary: &'static str,
    subs: &'static [CommandDef],
) -> CommandDef {
    cmd(name, -2, 0, no_subcommand)
        .doc(group, since, summary, "")
        .complexity("Depends on subcommand.")
        .subs(subs)
}

pub const COMMANDS: &[CommandDef] = &[
    cmd("command", -1, LOADING | STALE, command::command)
        .doc(Group::Server, "2.8.13", "Get array of Redis command details", "")
        .complexity("O(N) where N is the total number of Redis commands")
        .subs(COMMAND_SUBS),
    cmd("info", -1, LOADING | STALE, info::info)
        .doc(
            Group::Server,
            "1.0.0",
            "Get information and statistics about the server",
            "[section [section ...]]",
        )
        .complexity("O(1)"),
    container(
        "client",
        Group::Connection,
        "2.4.0",
        "A container for client connection commands",
        CLIENT_SUBS,
    ),
    container(
        "config",
        Group::Server,
        "2.0.0",
        "A container for server configuration commands",
        CONFIG_SUBS,
    ),
    cmd("time", 1, LOADING | STALE | FAST, admin::time)
        .doc(Group::Server, "2.6.0", "Return the current server time", "")
        .complexity("O(1)"),
    cmd("lastsave", 1, LOADING | STALE | FAST, admin::lastsave)
        .doc(
            Group::Server,
            "1.0.0",
            "Get the UNIX time stamp of the last successful save to disk",
            "",
        )
        .complexity("O(1)"),
    cmd("shutdown", -1, ADM | NO_MULTI | ALLOW_BUSY, admin::shutdown)
        .doc(
            Group::Server,
            "1.0.0",
            "Synchronously save the dataset to disk and then shut down the server",
            "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]",
        )
        .complexity("O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)"),
    cmd("monitor", 1, ADM, admin::monitor).doc(
        Group::Server,
        "1.0.0",
        "Listen for all requests received by the server in real time",
        "",
    ),
    container(
        "slowlog",
        Group::Server,
        "2.2.12",
        "A container for slow log commands",
        SLOWLOG_SUBS,
    ),
    container(
        "latency",
        Group::Server,
        "2.8.13",
        "A container for latency diagnostics commands",
        LATENCY_SUBS,
    ),
    cmd("debug", -2, ADM, admin::debug)
        .doc(Group::Server, "1.0.0", "A container for debugging commands", "")
        .complexity("Depends on subcommand."),
    container(
        "memory",
        Group::Server,
        "4.0.0",
        "A container for memory diagnostics commands",
        MEMORY_SUBS,
    ),
];

/// A container without its subcommand: the dispatcher's arity check answers before this
/// runs, so it only repeats that answer.
fn no_subcommand(ctx: &mut Ctx, _a: &super::Args) -> CmdResult {
    Err(crate::error::Error::Arity(ctx.cmd.name.to_string()))
}

/// "get", or "config|get" for a subcommand row.
pub fn full_name(cmd: &'static CommandDef) -> &'static str {
    TABLE.full_name(cmd)
}

/// The container of a subcommand row.
pub fn parent_of(cmd: &'static CommandDef) -> Option<&'static CommandDef> {
    TABLE.parent_of(cmd)
}

/// State the server commands keep: latency events, the memory peak, error counts.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub latency: latency::LatencyMonitor,
    /// used_memory_peak.
    pub mem_peak: u64,
    /// used_memory_startup: the first measurement.
    pub mem_startup: u64,
    /// INFO errorstats: replies per error code ("ERR", "WRONGTYPE"), sorted.
    pub errors: BTreeMap<String, u64>,
    /// Every error reply, also those past the errorstats cap.
    pub total_errors: u64,
}

/// Redis stops tracking new error codes past this many.
const ERROR_STATS_MAX: usize = 128;

/// Counts an error reply by its code (the first word, as Redis does it; "ERR" when
/// there is none). Called by the dispatcher for every error it sends.
pub fn record_error(core: &mut Core, text: &str) {
    let d = &mut core.diag;
    d.total_errors += 1;
    let head = &text.as_bytes()[..text.len().min(32)];
    let code = match head.iter().position(|&b| b == b' ') {
        Some(p) => &text[..p],
        None => "ERR",
    };
    if let Some(n) = d.errors.get_mut(code) {
        *n += 1;
    } else if d.errors.len() < ERROR_STATS_MAX {
        d.errors.insert(code.to_string(), 1);
    }
}

/// Replies to a HELP subcommand the way Redis does: a title line, the given lines, and
/// the HELP entry, each as a status string.
pub(crate) fn help_reply(ctx: &mut Ctx, command: &str, lines: &[&str]) {
    let r = &mut ctx.reply;
    r.array(lines.len() + 3);
    r.simple(&format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        r.simple(l);
    }
    r.simple("HELP");
    r.simple("    Prints this help.");
}

/// The "unknown subcommand or wrong number of arguments" error of a command that parses
/// its own subcommands.
pub(crate) fn subcommand_syntax_error(sub: &[u8], command: &str) -> crate::error::Error {
    crate::error::Error::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {command} HELP.",
        crate::error::sanitize(sub, 128)
    ))
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Runs commands through the dispatcher against a fresh server state.

    use crate::commands::Args;
    use crate::config::Config;
    use crate::resp::parse::Span;
    use crate::server::client::Client;
    use crate::server::{call, Core};
    use crate::store::Store;

    pub struct Env {
        pub store: Store,
        pub core: Core,
        pub client: Client,
    }

    impl Env {
        pub fn new() -> Env {
            let config = Config::default();
            let store = Store::new(config.databases);
            let core = Core::new(config);
            let client = Client {
                id: 7,
                token: 3,
                addr: "127.0.0.1:50000".into(),
                laddr: "127.0.0.1:6379".into(),
                authenticated: true,
                ..Default::default()
            };
            Env {
                store,
                core,
                client,
            }
        }

        /// Runs one command; returns the raw reply.
        pub fn run(&mut self, argv: &[&str]) -> String {
            let mut buf = Vec::new();
            let mut spans = Vec::new();
            for a in argv {
                let start = buf.len();
                buf.extend_from_slice(a.as_bytes());
                spans.push(Span {
                    start,
                    end: buf.len(),
                });
            }
            let mut out = Vec::new();
            call::process_command(
                &mut self.store,
                &mut self.core,
                &mut self.client,
                &mut out,
                Args::new(&buf, &spans),
            );
            String::from_utf8_lossy(&out).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::Env;
    use super::*;

    #[test]
    fn full_names_and_parents() {
        let config = TABLE.get(b"config").expect("config row");
        let get = crate::commands::Table::sub(config, b"get").expect("config|get row");
        assert_eq!(full_name(get), "config|get");
        assert_eq!(full_name(config), "config");
        assert!(std::ptr::eq(parent_of(get).expect("parent"), config));
    }

    #[test]
    fn error_codes_are_counted() {
        let mut e = Env::new();
        record_error(&mut e.core, "WRONGTYPE Operation against a key");
        record_error(&mut e.core, "ERR syntax error");
        record_error(&mut e.core, "nospace");
        assert_eq!(e.core.diag.errors.get("ERR"), Some(&2));
        assert_eq!(e.core.diag.errors.get("WRONGTYPE"), Some(&1));
        assert_eq!(e.core.diag.total_errors, 3);
    }

    #[test]
    fn help_texts() {
        let mut e = Env::new();
        let r = e.run(&["config", "help"]);
        assert!(r.starts_with(
            "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+GET <pattern>\r\n"
        ));
        assert!(r.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    }
}
