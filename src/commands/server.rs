//! Server commands: COMMAND, INFO, CLIENT, CONFIG, TIME, LASTSAVE, SHUTDOWN, MONITOR,
//! SLOWLOG, LATENCY, DEBUG and MEMORY.
//!
//! The rows are here; the handlers live in submodules by theme: `command` (the command
//! table introspection, with `docs` encoding COMMAND DOCS from `docs_data`, generated
//! from Redis by `scripts/gen_command_docs.py`), `info`, `client`,
//! `config`, `latency`, and `admin` for the rest. `Diagnostics` is the state these
//! commands keep on the server (latency events, memory peak, error counts).

mod admin;
mod client;
mod command;
mod config;
pub mod docs;
mod docs_data;
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

const COMMAND_SUBS: &[CommandDef] = &[
    cmd("count", 2, HELP, command::count).group(Group::Server),
    cmd("docs", -2, HELP, command::docs).group(Group::Server),
    cmd("getkeys", -4, HELP, command::getkeys).group(Group::Server),
    cmd("getkeysandflags", -4, HELP, command::getkeysandflags).group(Group::Server),
    cmd("help", 2, HELP, command::help).group(Group::Server),
    cmd("info", -2, HELP, command::info).group(Group::Server),
    cmd("list", -2, HELP, command::list).group(Group::Server),
];

const CLIENT_SUBS: &[CommandDef] = &[
    cmd("getname", 2, CONN, client::getname).group(Group::Connection),
    cmd("help", 2, HELP, client::help).group(Group::Connection),
    cmd("id", 2, CONN, client::id).group(Group::Connection),
    cmd("info", 2, CONN, client::info).group(Group::Connection),
    cmd("kill", -3, ADM, client::kill).group(Group::Connection),
    cmd("list", -2, ADM, client::list).group(Group::Connection),
    cmd("no-evict", 3, ADM, client::no_evict).group(Group::Connection),
    cmd("pause", -3, ADM, client::pause).group(Group::Connection),
    cmd("reply", 3, CONN, client::reply).group(Group::Connection),
    cmd("setinfo", 4, CONN, client::setinfo).group(Group::Connection),
    cmd("setname", 3, CONN, client::setname).group(Group::Connection),
    cmd("unblock", -3, ADM, client::unblock).group(Group::Connection),
    cmd("unpause", 2, ADM, client::unpause).group(Group::Connection),
];

const CONFIG_SUBS: &[CommandDef] = &[
    cmd("get", -3, ADM, config::get).group(Group::Server),
    cmd("help", 2, HELP, config::help).group(Group::Server),
    cmd("resetstat", 2, ADM, config::resetstat).group(Group::Server),
    cmd("rewrite", 2, ADM, config::rewrite).group(Group::Server),
    cmd("set", -4, ADM, config::set).group(Group::Server),
];

const SLOWLOG_SUBS: &[CommandDef] = &[
    cmd("get", -2, ADMIN | LOADING | STALE, admin::slowlog_get).group(Group::Server),
    cmd("help", 2, HELP, admin::slowlog_help).group(Group::Server),
    cmd("len", 2, ADMIN | LOADING | STALE, admin::slowlog_len).group(Group::Server),
    cmd("reset", 2, ADMIN | LOADING | STALE, admin::slowlog_reset).group(Group::Server),
];

const LATENCY_SUBS: &[CommandDef] = &[
    cmd("help", 2, HELP, latency::help).group(Group::Server),
    cmd("history", 3, ADM, latency::history).group(Group::Server),
    cmd("latest", 2, ADM, latency::latest).group(Group::Server),
    cmd("reset", -2, ADM, latency::reset).group(Group::Server),
];

const MEMORY_SUBS: &[CommandDef] = &[
    cmd("help", 2, HELP, admin::memory_help).group(Group::Server),
    cmd("usage", -3, READONLY, admin::memory_usage)
        .keys(2, 2, 1)
        .group(Group::Server),
];

/// A container row: no flags of its own, dispatch goes to the subcommands.
const fn container(name: &'static str, group: Group, subs: &'static [CommandDef]) -> CommandDef {
    cmd(name, -2, 0, no_subcommand).group(group).subs(subs)
}

pub const COMMANDS: &[CommandDef] = &[
    cmd("command", -1, LOADING | STALE, command::command)
        .group(Group::Server)
        .subs(COMMAND_SUBS),
    cmd("info", -1, LOADING | STALE, info::info).group(Group::Server),
    container("client", Group::Connection, CLIENT_SUBS),
    container("config", Group::Server, CONFIG_SUBS),
    cmd("time", 1, LOADING | STALE | FAST, admin::time).group(Group::Server),
    cmd("lastsave", 1, LOADING | STALE | FAST, admin::lastsave).group(Group::Server),
    cmd("shutdown", -1, ADM | NO_MULTI | ALLOW_BUSY, admin::shutdown).group(Group::Server),
    cmd("monitor", 1, ADM, admin::monitor).group(Group::Server),
    container("slowlog", Group::Server, SLOWLOG_SUBS),
    container("latency", Group::Server, LATENCY_SUBS),
    cmd("debug", -2, ADM, admin::debug).group(Group::Server),
    container("memory", Group::Server, MEMORY_SUBS),
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
