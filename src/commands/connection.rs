//! Connection commands: PING ECHO QUIT SELECT HELLO AUTH RESET.

#![deny(clippy::indexing_slicing)]

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group};
use crate::config::REDIS_VERSION;
use crate::error::{CmdResult, Error};
use crate::server::pubsub::SubKind;
use crate::store::bytes::Sds;
use crate::util::num::parse_i64;

pub const COMMANDS: &[CommandDef] = &[
    cmd("ping", -1, FAST | STALE | SUBSCRIBED_OK | MISCONF, ping)
        .docs(&docs::PING)
        .group(Group::Connection),
    cmd("echo", 2, FAST, echo)
        .docs(&docs::ECHO)
        .group(Group::Connection),
    cmd(
        "quit",
        -1,
        ALLOW_BUSY
            | NOSCRIPT
            | LOADING
            | STALE
            | FAST
            | NO_AUTH
            | SUBSCRIBED_OK
            | NO_QUEUE
            | ENDS_MULTI,
        quit,
    )
    .docs(&docs::QUIT)
    .group(Group::Connection),
    cmd("select", 2, LOADING | STALE | FAST, select)
        .docs(&docs::SELECT)
        .group(Group::Connection),
    cmd(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        hello,
    )
    .docs(&docs::HELLO)
    .group(Group::Connection),
    cmd(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        auth,
    )
    .docs(&docs::AUTH)
    .group(Group::Connection),
    cmd(
        "reset",
        1,
        NOSCRIPT
            | LOADING
            | STALE
            | FAST
            | NO_AUTH
            | ALLOW_BUSY
            | SUBSCRIBED_OK
            | NO_QUEUE
            | ENDS_MULTI,
        reset,
    )
    .docs(&docs::RESET)
    .group(Group::Connection),
];

fn ping(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() > 2 {
        return Err(Error::Arity("ping".into()));
    }
    if ctx.client.subscriptions > 0 && !ctx.client.resp3 {
        ctx.reply.array(2);
        ctx.reply.bulk(b"pong");
        ctx.reply.bulk(if a.len() == 2 { a.get(1) } else { b"" });
    } else if a.len() == 2 {
        ctx.reply.bulk(a.get(1));
    } else {
        ctx.reply.simple("PONG");
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, a: &Args) -> CmdResult {
    ctx.reply.bulk(a.get(1));
    Ok(())
}

fn quit(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.reply.ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

fn select(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let idx = parse_i64(a.get(1)).ok_or(Error::NotInteger)?;
    if idx < 0 || idx as usize >= ctx.store.databases() {
        return Err(Error::DbIndexOutOfRange);
    }
    ctx.client.db = idx as usize;
    ctx.store.cur = idx as usize;
    ctx.reply.ok();
    Ok(())
}

/// Checks a username/password pair against requirepass (the default user).
fn check_password(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    match &ctx.config().requirepass {
        None => true,
        Some(p) => p.as_slice() == pass,
    }
}

fn auth(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() > 3 {
        return Err(Error::Syntax);
    }
    let (user, pass) = if a.len() == 2 {
        if ctx.config().requirepass.is_none() {
            return Err(Error::msg(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        (&b"default"[..], a.get(1))
    } else {
        (a.get(1), a.get(2))
    };
    if check_password(ctx, user, pass) {
        ctx.client.authenticated = true;
        ctx.reply.ok();
        Ok(())
    } else {
        Err(Error::WrongPass)
    }
}

/// Client names may not hold spaces, newlines or other special characters.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn hello(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut ver = if ctx.client.resp3 { 3 } else { 2 };
    let mut i = 1;
    if a.len() >= 2 {
        let v = parse_i64(a.get(1))
            .ok_or_else(|| Error::msg("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&v) {
            return Err(Error::msg("NOPROTO unsupported protocol version"));
        }
        ver = v;
        i = 2;
    }
    let mut setname: Option<&[u8]> = None;
    let mut creds: Option<(&[u8], &[u8])> = None;
    while i < a.len() {
        let more = a.len() - i - 1;
        if a.is(i, "auth") && more >= 2 {
            creds = Some((a.get(i + 1), a.get(i + 2)));
            i += 3;
        } else if a.is(i, "setname") && more >= 1 {
            setname = Some(a.get(i + 1));
            i += 2;
        } else {
            return Err(Error::msg(format!(
                "ERR Syntax error in HELLO option '{}'",
                crate::error::sanitize(a.get(i), 128)
            )));
        }
    }
    if let Some((u, p)) = creds {
        if !check_password(ctx, u, p) {
            return Err(Error::WrongPass);
        }
        ctx.client.authenticated = true;
    }
    if !ctx.client.authenticated && ctx.srv.auth_required() {
        return Err(Error::msg(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(n) = setname {
        if !valid_client_name(n) {
            return Err(Error::msg(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            ));
        }
        ctx.client.name = if n.is_empty() {
            None
        } else {
            Some(Sds::from(n))
        };
    }
    ctx.client.resp3 = ver == 3;
    ctx.reply.resp3 = ver == 3;
    let r = &mut ctx.reply;
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(ver);
    r.bulk(b"id");
    r.int(ctx.client.id as i64);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array(0);
    Ok(())
}

fn reset(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.client.multi = None;
    super::multi::unwatch_all(ctx);
    let subs: Vec<(SubKind, Sds)> = (ctx
        .client
        .channels
        .iter()
        .map(|c| (SubKind::Channel, c.clone())))
    .chain(
        ctx.client
            .patterns
            .iter()
            .map(|p| (SubKind::Pattern, p.clone())),
    )
    .chain(
        ctx.client
            .shard_channels
            .iter()
            .map(|c| (SubKind::Shard, c.clone())),
    )
    .collect();
    for (kind, name) in subs {
        ctx.srv.unsubscribe(ctx.client, kind, &name);
    }
    let c = &mut *ctx.client;
    c.db = 0;
    c.resp3 = false;
    c.name = None;
    c.reply_mode = Default::default();
    c.no_evict = false;
    c.authenticated = !ctx.srv.auth_required();
    if c.monitor {
        c.monitor = false;
        let me = c.cref();
        ctx.srv.remove_monitor(me);
    }
    ctx.reply.resp3 = false;
    ctx.reply.simple("RESET");
    Ok(())
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const AUTH: Docs = Docs {
        name: "auth",
        summary: "Authenticate to the server",
        since: "1.0.0",
        complexity: "O(N) where N is the number of passwords defined for the user",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("6.0.0", "Added ACL style (username and password).")],
        args: &[
            arg("username", Str).since("6.0.0").opt(),
            arg("password", Str),
        ],
    };

    pub const ECHO: Docs = Docs {
        name: "echo",
        summary: "Echo the given string",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("message", Str)],
    };

    pub const HELLO: Docs = Docs {
        name: "hello",
        summary: "Handshake with Redis",
        since: "6.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context."),
        ],
        args: &[
            arg("arguments", Block).opt().args(&[
                arg("protover", Int),
                arg("username_password", Block).token("AUTH").opt().args(&[
                    arg("username", Str),
                    arg("password", Str),
                ]),
                arg("clientname", Str).token("SETNAME").opt(),
            ]),
        ],
    };

    pub const PING: Docs = Docs {
        name: "ping",
        summary: "Ping the server",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("message", Str).opt()],
    };

    pub const QUIT: Docs = Docs {
        name: "quit",
        summary: "Close the connection",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const RESET: Docs = Docs {
        name: "reset",
        summary: "Reset the connection",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const SELECT: Docs = Docs {
        name: "select",
        summary: "Change the selected database for the current connection",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("index", Int)],
    };
}
// @generated end: COMMAND DOCS
