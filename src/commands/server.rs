//! Server commands: COMMAND, INFO, CLIENT, CONFIG, TIME, LASTSAVE, SHUTDOWN, MONITOR,
//! SLOWLOG, LATENCY, DEBUG and MEMORY.
//!
//! The rows are here; the handlers live in submodules by theme: `command` (the command
//! table introspection), `info`, `client`,
//! `config`, `latency`, and `admin` for the rest. `Diagnostics` is the state these
//! commands keep on the server (latency events, memory peak, error counts).

#![deny(clippy::indexing_slicing)]

mod admin;
mod client;
mod command;
mod config;
mod debug;
pub mod info;
pub mod latency;
mod lolwut;
mod memory;

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
    cmd("count", 2, HELP, command::count)
        .docs(&docs::COMMAND_COUNT)
        .group(Group::Server),
    cmd("docs", -2, HELP, command::docs)
        .docs(&docs::COMMAND_DOCS)
        .group(Group::Server),
    cmd("getkeys", -4, HELP, command::getkeys)
        .docs(&docs::COMMAND_GETKEYS)
        .group(Group::Server),
    cmd("getkeysandflags", -4, HELP, command::getkeysandflags)
        .docs(&docs::COMMAND_GETKEYSANDFLAGS)
        .group(Group::Server),
    cmd("help", 2, HELP, command::help)
        .docs(&docs::COMMAND_HELP)
        .group(Group::Server),
    cmd("info", -2, HELP, command::info)
        .docs(&docs::COMMAND_INFO)
        .group(Group::Server),
    cmd("list", -2, HELP, command::list)
        .docs(&docs::COMMAND_LIST)
        .group(Group::Server),
];

const CLIENT_SUBS: &[CommandDef] = &[
    cmd("getname", 2, CONN, client::getname)
        .docs(&docs::CLIENT_GETNAME)
        .group(Group::Connection),
    cmd("help", 2, HELP, client::help)
        .docs(&docs::CLIENT_HELP)
        .group(Group::Connection),
    cmd("id", 2, CONN, client::id)
        .docs(&docs::CLIENT_ID)
        .group(Group::Connection),
    cmd("info", 2, CONN, client::info)
        .docs(&docs::CLIENT_INFO)
        .group(Group::Connection),
    cmd("kill", -3, ADM, client::kill)
        .docs(&docs::CLIENT_KILL)
        .group(Group::Connection),
    cmd("list", -2, ADM, client::list)
        .docs(&docs::CLIENT_LIST)
        .group(Group::Connection),
    cmd("no-evict", 3, ADM, client::no_evict)
        .docs(&docs::CLIENT_NO_EVICT)
        .group(Group::Connection),
    cmd("pause", -3, ADM, client::pause)
        .docs(&docs::CLIENT_PAUSE)
        .group(Group::Connection),
    cmd("reply", 3, CONN, client::reply)
        .docs(&docs::CLIENT_REPLY)
        .group(Group::Connection),
    cmd("setinfo", 4, CONN, client::setinfo)
        .docs(&docs::CLIENT_SETINFO)
        .group(Group::Connection),
    cmd("setname", 3, CONN, client::setname)
        .docs(&docs::CLIENT_SETNAME)
        .group(Group::Connection),
    cmd("unblock", -3, ADM, client::unblock)
        .docs(&docs::CLIENT_UNBLOCK)
        .group(Group::Connection),
    cmd("unpause", 2, ADM, client::unpause)
        .docs(&docs::CLIENT_UNPAUSE)
        .group(Group::Connection),
];

const CONFIG_SUBS: &[CommandDef] = &[
    cmd("get", -3, ADM, config::get)
        .docs(&docs::CONFIG_GET)
        .group(Group::Server),
    cmd("help", 2, HELP, config::help)
        .docs(&docs::CONFIG_HELP)
        .group(Group::Server),
    cmd("resetstat", 2, ADM, config::resetstat)
        .docs(&docs::CONFIG_RESETSTAT)
        .group(Group::Server),
    cmd("rewrite", 2, ADM, config::rewrite)
        .docs(&docs::CONFIG_REWRITE)
        .group(Group::Server),
    cmd("set", -4, ADM, config::set)
        .docs(&docs::CONFIG_SET)
        .group(Group::Server),
];

const SLOWLOG_SUBS: &[CommandDef] = &[
    cmd("get", -2, ADMIN | LOADING | STALE, admin::slowlog_get)
        .docs(&docs::SLOWLOG_GET)
        .group(Group::Server),
    cmd("help", 2, HELP, admin::slowlog_help)
        .docs(&docs::SLOWLOG_HELP)
        .group(Group::Server),
    cmd("len", 2, ADMIN | LOADING | STALE, admin::slowlog_len)
        .docs(&docs::SLOWLOG_LEN)
        .group(Group::Server),
    cmd("reset", 2, ADMIN | LOADING | STALE, admin::slowlog_reset)
        .docs(&docs::SLOWLOG_RESET)
        .group(Group::Server),
];

const LATENCY_SUBS: &[CommandDef] = &[
    cmd("help", 2, HELP, latency::help)
        .docs(&docs::LATENCY_HELP)
        .group(Group::Server),
    cmd("doctor", 2, ADM, latency::doctor)
        .docs(&docs::LATENCY_DOCTOR)
        .group(Group::Server),
    cmd("graph", 3, ADM, latency::graph)
        .docs(&docs::LATENCY_GRAPH)
        .group(Group::Server),
    cmd("histogram", -2, ADM, latency::histogram)
        .docs(&docs::LATENCY_HISTOGRAM)
        .group(Group::Server),
    cmd("history", 3, ADM, latency::history)
        .docs(&docs::LATENCY_HISTORY)
        .group(Group::Server),
    cmd("latest", 2, ADM, latency::latest)
        .docs(&docs::LATENCY_LATEST)
        .group(Group::Server),
    cmd("reset", -2, ADM, latency::reset)
        .docs(&docs::LATENCY_RESET)
        .group(Group::Server),
];

const MEMORY_SUBS: &[CommandDef] = &[
    cmd("doctor", 2, 0, memory::doctor)
        .docs(&docs::MEMORY_DOCTOR)
        .group(Group::Server),
    cmd("help", 2, HELP, memory::help)
        .docs(&docs::MEMORY_HELP)
        .group(Group::Server),
    cmd("malloc-stats", 2, 0, memory::malloc_stats)
        .docs(&docs::MEMORY_MALLOC_STATS)
        .group(Group::Server),
    cmd("purge", 2, 0, memory::purge)
        .docs(&docs::MEMORY_PURGE)
        .group(Group::Server),
    cmd("stats", 2, 0, memory::stats)
        .docs(&docs::MEMORY_STATS)
        .group(Group::Server),
    cmd("usage", -3, READONLY, admin::memory_usage)
        .docs(&docs::MEMORY_USAGE)
        .keys(2, 2, 1)
        .group(Group::Server),
];

/// A container row: no flags of its own, dispatch goes to the subcommands.
const fn container(name: &'static str, group: Group, subs: &'static [CommandDef]) -> CommandDef {
    cmd(name, -2, 0, no_subcommand).group(group).subs(subs)
}

pub const COMMANDS: &[CommandDef] = &[
    cmd("command", -1, LOADING | STALE, command::command)
        .docs(&docs::COMMAND)
        .group(Group::Server)
        .subs(COMMAND_SUBS),
    cmd("info", -1, LOADING | STALE, info::info)
        .docs(&docs::INFO)
        .group(Group::Server),
    container("client", Group::Connection, CLIENT_SUBS).docs(&docs::CLIENT),
    container("config", Group::Server, CONFIG_SUBS).docs(&docs::CONFIG),
    cmd("time", 1, LOADING | STALE | FAST, admin::time)
        .docs(&docs::TIME)
        .group(Group::Server),
    cmd("lastsave", 1, LOADING | STALE | FAST, admin::lastsave)
        .docs(&docs::LASTSAVE)
        .group(Group::Server),
    cmd("shutdown", -1, ADM | NO_MULTI | ALLOW_BUSY, admin::shutdown)
        .docs(&docs::SHUTDOWN)
        .group(Group::Server),
    cmd("monitor", 1, ADM, admin::monitor)
        .docs(&docs::MONITOR)
        .group(Group::Server),
    container("slowlog", Group::Server, SLOWLOG_SUBS).docs(&docs::SLOWLOG),
    container("latency", Group::Server, LATENCY_SUBS).docs(&docs::LATENCY),
    cmd("debug", -2, ADM, debug::debug)
        .docs(&docs::DEBUG)
        .group(Group::Server),
    container("memory", Group::Server, MEMORY_SUBS).docs(&docs::MEMORY),
    cmd("lolwut", -1, READONLY | FAST, lolwut::lolwut)
        .docs(&docs::LOLWUT)
        .group(Group::Server),
];

/// A container without its subcommand: the dispatcher's arity check answers before this
/// runs, so it only repeats that answer.
pub(crate) fn no_subcommand(ctx: &mut Ctx, _a: &super::Args) -> CmdResult {
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

impl Diagnostics {
    /// CONFIG RESETSTAT: error counts and the memory peak start over (latency events
    /// stay: LATENCY RESET clears them).
    pub fn reset_stats(&mut self) {
        self.errors.clear();
        self.total_errors = 0;
        self.mem_peak = 0;
    }
}

/// Redis stops tracking new error codes past this many.
const ERROR_STATS_MAX: usize = 128;

/// Counts an error reply by its code (the first word, as Redis does it; "ERR" when
/// there is none). Called by the dispatcher for every error it sends.
pub fn record_error(core: &mut Core, text: &str) {
    let d = core.diag_mut();
    d.total_errors += 1;
    let head = text.as_bytes().get(..32).unwrap_or(text.as_bytes());
    // A space is ASCII: `..p` ends on a char boundary.
    let code = match head.iter().position(|&b| b == b' ') {
        Some(p) => text.get(..p).unwrap_or("ERR"),
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

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const CLIENT: Docs = Docs {
        name: "client",
        summary: "A container for client connection commands",
        since: "2.4.0",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CLIENT_GETNAME: Docs = Docs {
        name: "client|getname",
        summary: "Get the current connection name",
        since: "2.6.9",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CLIENT_HELP: Docs = Docs {
        name: "client|help",
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CLIENT_ID: Docs = Docs {
        name: "client|id",
        summary: "Returns the client ID for the current connection",
        since: "5.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CLIENT_INFO: Docs = Docs {
        name: "client|info",
        summary: "Returns information about the current client connection.",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CLIENT_KILL: Docs = Docs {
        name: "client|kill",
        summary: "Kill the connection of a client",
        since: "2.4.0",
        complexity: "O(N) where N is the number of client connections",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("2.8.12", "Added new filter format."),
            ("2.8.12", "`ID` option."),
            ("3.2.0", "Added `master` type in for `TYPE` option."),
            ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."),
            ("6.2.0", "`LADDR` option."),
        ],
        args: &[
            arg("filter", OneOf).args(&[
                arg("ip:port", Str).deprecated_since("2.8.12"),
                arg("new-format", OneOf).multi().args(&[
                    arg("client-id", Int).token("ID").since("2.8.12").opt(),
                    arg("normal_master_slave_pubsub", OneOf).token("TYPE").since("2.8.12").opt().args(&[
                        arg("normal", PureToken).token("NORMAL"),
                        arg("master", PureToken).token("MASTER").since("3.2.0"),
                        arg("slave", PureToken).token("SLAVE"),
                        arg("replica", PureToken).token("REPLICA").since("5.0.0"),
                        arg("pubsub", PureToken).token("PUBSUB"),
                    ]),
                    arg("username", Str).token("USER").opt(),
                    arg("ip:port", Str).token("ADDR").opt(),
                    arg("ip:port", Str).token("LADDR").since("6.2.0").opt(),
                    arg("yes/no", Str).token("SKIPME").opt(),
                ]),
            ]),
        ],
    };

    pub const CLIENT_LIST: Docs = Docs {
        name: "client|list",
        summary: "Get the list of client connections",
        since: "2.4.0",
        complexity: "O(N) where N is the number of client connections",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("2.8.12", "Added unique client `id` field."),
            ("5.0.0", "Added optional `TYPE` filter."),
            ("6.0.0", "Added `user` field."),
            ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."),
            ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
            ("7.0.3", "Added `ssub` field."),
        ],
        args: &[
            arg("normal_master_replica_pubsub", OneOf).token("TYPE").since("5.0.0").opt().args(&[
                arg("normal", PureToken).token("NORMAL"),
                arg("master", PureToken).token("MASTER"),
                arg("replica", PureToken).token("REPLICA"),
                arg("pubsub", PureToken).token("PUBSUB"),
            ]),
            arg("id", Block).token("ID").since("6.2.0").opt().args(&[
                arg("client-id", Int).multi(),
            ]),
        ],
    };

    pub const CLIENT_NO_EVICT: Docs = Docs {
        name: "client|no-evict",
        summary: "Set client eviction mode for the current connection",
        since: "7.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("enabled", OneOf).args(&[
            arg("on", PureToken).token("ON"),
            arg("off", PureToken).token("OFF"),
        ])],
    };

    pub const CLIENT_PAUSE: Docs = Docs {
        name: "client|pause",
        summary: "Stop processing commands from clients for some time",
        since: "2.9.50",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "6.2.0",
            "`CLIENT PAUSE WRITE` mode added along with the `mode` option.",
        )],
        args: &[
            arg("timeout", Int),
            arg("mode", OneOf).since("6.2.0").opt().args(&[
                arg("write", PureToken).token("WRITE"),
                arg("all", PureToken).token("ALL"),
            ]),
        ],
    };

    pub const CLIENT_REPLY: Docs = Docs {
        name: "client|reply",
        summary: "Instruct the server whether to reply to commands",
        since: "3.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("on_off_skip", OneOf).args(&[
            arg("on", PureToken).token("ON"),
            arg("off", PureToken).token("OFF"),
            arg("skip", PureToken).token("SKIP"),
        ])],
    };

    pub const CLIENT_SETINFO: Docs = Docs {
        name: "client|setinfo",
        summary: "Sets information specific to the client or connection.",
        since: "7.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("attr", OneOf).args(&[
            arg("libname", Str).token("LIB-NAME"),
            arg("libver", Str).token("LIB-VER"),
        ])],
    };

    pub const CLIENT_SETNAME: Docs = Docs {
        name: "client|setname",
        summary: "Set the current connection name",
        since: "2.6.9",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("connection-name", Str)],
    };

    pub const CLIENT_UNBLOCK: Docs = Docs {
        name: "client|unblock",
        summary: "Unblock a client blocked in a blocking command from a different connection",
        since: "5.0.0",
        complexity: "O(log N) where N is the number of client connections",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("client-id", Int),
            arg("timeout_error", OneOf).opt().args(&[
                arg("timeout", PureToken).token("TIMEOUT"),
                arg("error", PureToken).token("ERROR"),
            ]),
        ],
    };

    pub const CLIENT_UNPAUSE: Docs = Docs {
        name: "client|unpause",
        summary: "Resume processing of clients that were paused",
        since: "6.2.0",
        complexity: "O(N) Where N is the number of paused clients",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const COMMAND: Docs = Docs {
        name: "command",
        summary: "Get array of Redis command details",
        since: "2.8.13",
        complexity: "O(N) where N is the total number of Redis commands",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const COMMAND_COUNT: Docs = Docs {
        name: "command|count",
        summary: "Get total number of Redis commands",
        since: "2.8.13",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const COMMAND_DOCS: Docs = Docs {
        name: "command|docs",
        summary: "Get array of specific Redis command documentation",
        since: "7.0.0",
        complexity: "O(N) where N is the number of commands to look up",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("command-name", Str).opt().multi()],
    };

    pub const COMMAND_GETKEYS: Docs = Docs {
        name: "command|getkeys",
        summary: "Extract keys given a full Redis command",
        since: "2.8.13",
        complexity: "O(N) where N is the number of arguments to the command",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const COMMAND_GETKEYSANDFLAGS: Docs = Docs {
        name: "command|getkeysandflags",
        summary: "Extract keys and access flags given a full Redis command",
        since: "7.0.0",
        complexity: "O(N) where N is the number of arguments to the command",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const COMMAND_HELP: Docs = Docs {
        name: "command|help",
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const COMMAND_INFO: Docs = Docs {
        name: "command|info",
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        since: "2.8.13",
        complexity: "O(N) where N is the number of commands to look up",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "7.0.0",
            "Allowed to be called with no argument to get info on all commands.",
        )],
        args: &[arg("command-name", Str).opt().multi()],
    };

    pub const COMMAND_LIST: Docs = Docs {
        name: "command|list",
        summary: "Get an array of Redis command names",
        since: "7.0.0",
        complexity: "O(N) where N is the total number of Redis commands",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("filterby", OneOf).token("FILTERBY").opt().args(&[
            arg("module-name", Str).token("MODULE"),
            arg("category", Str).token("ACLCAT"),
            arg("pattern", Pattern).token("PATTERN"),
        ])],
    };

    pub const CONFIG: Docs = Docs {
        name: "config",
        summary: "A container for server configuration commands",
        since: "2.0.0",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CONFIG_GET: Docs = Docs {
        name: "config|get",
        summary: "Get the values of configuration parameters",
        since: "2.0.0",
        complexity: "O(N) when N is the number of configuration parameters provided",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "7.0.0",
            "Added the ability to pass multiple pattern parameters in one call",
        )],
        args: &[arg("parameter", Block)
            .multi()
            .args(&[arg("parameter", Str)])],
    };

    pub const CONFIG_HELP: Docs = Docs {
        name: "config|help",
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CONFIG_RESETSTAT: Docs = Docs {
        name: "config|resetstat",
        summary: "Reset the stats returned by INFO",
        since: "2.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CONFIG_REWRITE: Docs = Docs {
        name: "config|rewrite",
        summary: "Rewrite the configuration file with the in memory configuration",
        since: "2.8.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const CONFIG_SET: Docs = Docs {
        name: "config|set",
        summary: "Set configuration parameters to the given values",
        since: "2.0.0",
        complexity: "O(N) when N is the number of configuration parameters provided",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "7.0.0",
            "Added the ability to set multiple parameters in one call.",
        )],
        args: &[arg("parameter_value", Block)
            .multi()
            .args(&[arg("parameter", Str), arg("value", Str)])],
    };

    pub const DEBUG: Docs = Docs {
        name: "debug",
        summary: "A container for debugging commands",
        since: "1.0.0",
        complexity: "Depends on subcommand.",
        doc_flags: &["syscmd"],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const INFO: Docs = Docs {
        name: "info",
        summary: "Get information and statistics about the server",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "7.0.0",
            "Added support for taking multiple section arguments.",
        )],
        args: &[arg("section", Str).opt().multi()],
    };

    pub const LASTSAVE: Docs = Docs {
        name: "lastsave",
        summary: "Get the UNIX time stamp of the last successful save to disk",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const LATENCY: Docs = Docs {
        name: "latency",
        summary: "A container for latency diagnostics commands",
        since: "2.8.13",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const LATENCY_DOCTOR: Docs = Docs {
        name: "latency|doctor",
        summary: "Return a human readable latency analysis report.",
        since: "2.8.13",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const LATENCY_GRAPH: Docs = Docs {
        name: "latency|graph",
        summary: "Return a latency graph for the event.",
        since: "2.8.13",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("event", Str)],
    };

    pub const LATENCY_HELP: Docs = Docs {
        name: "latency|help",
        summary: "Show helpful text about the different subcommands.",
        since: "2.8.13",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const LATENCY_HISTOGRAM: Docs = Docs {
        name: "latency|histogram",
        summary: "Return the cumulative distribution of latencies of a subset of commands or all.",
        since: "7.0.0",
        complexity:
            "O(N) where N is the number of commands with latency information being retrieved.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("command", Str).opt().multi()],
    };

    pub const LATENCY_HISTORY: Docs = Docs {
        name: "latency|history",
        summary: "Return timestamp-latency samples for the event.",
        since: "2.8.13",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("event", Str)],
    };

    pub const LATENCY_LATEST: Docs = Docs {
        name: "latency|latest",
        summary: "Return the latest latency samples for all events.",
        since: "2.8.13",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const LATENCY_RESET: Docs = Docs {
        name: "latency|reset",
        summary: "Reset latency data for one or more events.",
        since: "2.8.13",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("event", Str).opt().multi()],
    };

    pub const LOLWUT: Docs = Docs {
        name: "lolwut",
        summary: "Display some computer art and the Redis version",
        since: "5.0.0",
        complexity: "",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("version", Int).token("VERSION").opt()],
    };

    pub const MEMORY: Docs = Docs {
        name: "memory",
        summary: "A container for memory diagnostics commands",
        since: "4.0.0",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const MEMORY_DOCTOR: Docs = Docs {
        name: "memory|doctor",
        summary: "Outputs memory problems report",
        since: "4.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const MEMORY_HELP: Docs = Docs {
        name: "memory|help",
        summary: "Show helpful text about the different subcommands",
        since: "4.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const MEMORY_MALLOC_STATS: Docs = Docs {
        name: "memory|malloc-stats",
        summary: "Show allocator internal stats",
        since: "4.0.0",
        complexity: "Depends on how much memory is allocated, could be slow",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const MEMORY_PURGE: Docs = Docs {
        name: "memory|purge",
        summary: "Ask the allocator to release memory",
        since: "4.0.0",
        complexity: "Depends on how much memory is allocated, could be slow",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const MEMORY_STATS: Docs = Docs {
        name: "memory|stats",
        summary: "Show memory usage details",
        since: "4.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const MEMORY_USAGE: Docs = Docs {
        name: "memory|usage",
        summary: "Estimate the memory usage of a key",
        since: "4.0.0",
        complexity: "O(N) where N is the number of samples.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("count", Int).token("SAMPLES").opt(),
        ],
    };

    pub const MONITOR: Docs = Docs {
        name: "monitor",
        summary: "Listen for all requests received by the server in real time",
        since: "1.0.0",
        complexity: "",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SHUTDOWN: Docs = Docs {
        name: "shutdown",
        summary: "Synchronously save the dataset to disk and then shut down the server",
        since: "1.0.0",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),
        ],
        args: &[
            arg("nosave_save", OneOf).opt().args(&[
                arg("nosave", PureToken).token("NOSAVE"),
                arg("save", PureToken).token("SAVE"),
            ]),
            arg("now", PureToken).token("NOW").since("7.0.0").opt(),
            arg("force", PureToken).token("FORCE").since("7.0.0").opt(),
            arg("abort", PureToken).token("ABORT").since("7.0.0").opt(),
        ],
    };

    pub const SLOWLOG: Docs = Docs {
        name: "slowlog",
        summary: "A container for slow log commands",
        since: "2.2.12",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SLOWLOG_GET: Docs = Docs {
        name: "slowlog|get",
        summary: "Get the slow log's entries",
        since: "2.2.12",
        complexity: "O(N) where N is the number of entries returned",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "4.0.0",
            "Added client IP address, port and name to the reply.",
        )],
        args: &[arg("count", Int).opt()],
    };

    pub const SLOWLOG_HELP: Docs = Docs {
        name: "slowlog|help",
        summary: "Show helpful text about the different subcommands",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SLOWLOG_LEN: Docs = Docs {
        name: "slowlog|len",
        summary: "Get the slow log's length",
        since: "2.2.12",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SLOWLOG_RESET: Docs = Docs {
        name: "slowlog|reset",
        summary: "Clear all entries from the slow log",
        since: "2.2.12",
        complexity: "O(N) where N is the number of entries in the slowlog",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const TIME: Docs = Docs {
        name: "time",
        summary: "Return the current server time",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
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
        assert_eq!(e.core.diag().errors.get("ERR"), Some(&2));
        assert_eq!(e.core.diag().errors.get("WRONGTYPE"), Some(&1));
        assert_eq!(e.core.diag().total_errors, 3);
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
