//! CLIENT subcommands: the connection's own settings, and listing and killing clients.
//!
//! While a command runs, its client's state is `ctx.client`; its slab entry in
//! `ctx.srv.clients()` then holds an empty session (the socket stays there). Listing and
//! killing therefore treat the running client apart from the others.

#![deny(clippy::indexing_slicing)]

use super::help_reply;
use crate::commands::connection::valid_client_name;
use crate::commands::{Args, Ctx};
use crate::error::{sanitize, CmdResult, Error};
use crate::server::client::{Client, ReplyMode};
use crate::server::conn::Conn;
use crate::store::bytes::Sds;
use crate::util::num::parse_i64;
use std::fmt::Write;

/// Redis's client types, as CLIENT LIST TYPE and CLIENT KILL TYPE name them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

fn parse_type(name: &[u8]) -> Result<ClientType, Error> {
    let t = match name.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"pubsub" => ClientType::PubSub,
        b"master" => ClientType::Master,
        _ => {
            return Err(Error::msg(format!(
                "ERR Unknown client type '{}'",
                sanitize(name, 128)
            )))
        }
    };
    Ok(t)
}

fn type_of(c: &Client) -> ClientType {
    if c.subscriptions > 0 {
        ClientType::PubSub
    } else {
        ClientType::Normal
    }
}

/// The connection-level facts CLIENT LIST shows beside the client state.
#[derive(Default)]
struct ConnInfo {
    fd: i32,
    qbuf: usize,
    qbuf_free: usize,
    rbs: usize,
    obl: usize,
    oll: usize,
    omem: usize,
    events: &'static str,
    tot_mem: usize,
}

fn conn_info(conn: Option<&Conn>, running: bool) -> ConnInfo {
    use std::os::fd::AsRawFd;
    let Some(conn) = conn else {
        return ConnInfo {
            fd: -1,
            events: "r",
            ..Default::default()
        };
    };
    let s = &conn.s;
    let mut info = ConnInfo {
        fd: conn.sock.as_raw_fd(),
        events: if conn.want_write { "rw" } else { "r" },
        ..Default::default()
    };
    if !running {
        info.qbuf = s.rbuf.len().saturating_sub(s.rpos);
        info.qbuf_free = s.rbuf.capacity() - s.rbuf.len();
        info.rbs = s.rbuf.capacity();
        let out = crate::server::obuf::output_use(s.wbuf.len().saturating_sub(s.wpos));
        info.obl = out.obl;
        info.oll = out.oll;
        info.omem = out.omem;
        info.tot_mem = s.rbuf.capacity() + s.wbuf.capacity();
    }
    info.tot_mem += std::mem::size_of::<Conn>();
    info
}

/// One line of CLIENT LIST / CLIENT INFO (without the newline), in Redis's field order.
fn client_line(out: &mut String, c: &Client, ci: &ConnInfo, cmd: &str) {
    let mut flags = String::new();
    if c.monitor {
        flags.push('O');
    }
    if c.subscriptions > 0 {
        flags.push('P');
    }
    if c.multi.is_some() {
        flags.push('x');
    }
    if c.blocked.is_some() || c.postponed {
        flags.push('b');
    }
    if c.dirty_cas {
        flags.push('d');
    }
    if c.close_after_reply {
        flags.push('c');
    }
    if c.close_asap {
        flags.push('A');
    }
    if c.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = |v: &Option<Sds>| {
        v.as_ref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default()
    };
    let (multi, multi_mem) = match &c.multi {
        Some(m) => (
            m.cmds.len() as i64,
            m.cmds
                .iter()
                .map(|(a, _)| a.args().iter().map(|x| x.len()).sum::<usize>())
                .sum(),
        ),
        None => (-1, 0usize),
    };
    let _ = write!(
        out,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} \
         multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs={} rbp=0 obl={} oll={} omem={} \
         tot-mem={} events={} cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
        c.id,
        c.addr,
        c.laddr,
        ci.fd,
        name(&c.name),
        c.created.elapsed().as_secs(),
        c.last_interaction.elapsed().as_secs(),
        flags,
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.shard_channels.len(),
        multi,
        ci.qbuf,
        ci.qbuf_free,
        multi_mem,
        ci.rbs,
        ci.obl,
        ci.oll,
        ci.omem,
        ci.tot_mem + multi_mem,
        ci.events,
        cmd,
        if c.resp3 { 3 } else { 2 },
        name(&c.lib_name),
        name(&c.lib_ver),
    );
}

/// The running client's line: its command is the one running now.
fn current_line(ctx: &Ctx) -> String {
    let mut s = String::new();
    let ci = conn_info(ctx.srv.client_at(ctx.client.token), true);
    client_line(&mut s, ctx.client, &ci, super::full_name(ctx.cmd));
    s
}

/// CLIENT ID
pub fn id(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.reply.int(ctx.client.id as i64);
    Ok(())
}

/// CLIENT SETNAME connection-name
pub fn setname(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let n = a.get(2);
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
    ctx.reply.ok();
    Ok(())
}

/// CLIENT GETNAME
pub fn getname(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    match &ctx.client.name {
        Some(n) => ctx.reply.bulk(n),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>
pub fn setinfo(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let attr = a.get(2);
    let val = a.get(3);
    let is_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !is_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        return Err(Error::msg(format!(
            "ERR Unrecognized option '{}'",
            sanitize(attr, 128)
        )));
    }
    if !valid_client_name(val) {
        return Err(Error::msg(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            sanitize(attr, 128)
        )));
    }
    let v = if val.is_empty() {
        None
    } else {
        Some(Sds::from(val))
    };
    if is_name {
        ctx.client.lib_name = v;
    } else {
        ctx.client.lib_ver = v;
    }
    ctx.reply.ok();
    Ok(())
}

/// CLIENT INFO
pub fn info(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let mut line = current_line(ctx);
    line.push('\n');
    ctx.reply.verbatim("txt", line.as_bytes());
    Ok(())
}

/// CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]
pub fn list(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut want_type = None;
    let mut ids: Option<Vec<u64>> = None;
    if a.len() == 4 && a.is(2, "type") {
        want_type = Some(parse_type(a.get(3))?);
    } else if a.len() > 3 && a.is(2, "id") {
        let mut v = Vec::new();
        for x in a.from(3) {
            match parse_i64(x) {
                Some(n) if n > 0 => v.push(n as u64),
                _ => return Err(Error::msg("ERR Invalid client ID")),
            }
        }
        ids = Some(v);
    } else if a.len() != 2 {
        return Err(Error::Syntax);
    }
    let me = ctx.client.token;
    let mut rows: Vec<(u64, usize)> = ctx
        .srv
        .clients()
        .map(|(t, c)| {
            let id = if t == me {
                ctx.client.id
            } else {
                c.s.client.id
            };
            (id, t)
        })
        .collect();
    if ctx.srv.client_at(me).is_none() {
        rows.push((ctx.client.id, me));
    }
    rows.sort_unstable();
    let mut out = String::new();
    for (id, t) in rows {
        if ids.as_ref().is_some_and(|v| !v.contains(&id)) {
            continue;
        }
        if t == me {
            if want_type.is_some_and(|w| w != type_of(ctx.client)) {
                continue;
            }
            out.push_str(&current_line(ctx));
        } else {
            let Some(conn) = ctx.srv.client_at(t) else {
                continue;
            };
            let c = &conn.s.client;
            if want_type.is_some_and(|w| w != type_of(c)) {
                continue;
            }
            let ci = conn_info(Some(conn), false);
            client_line(&mut out, c, &ci, c.last_cmd);
        }
        out.push('\n');
    }
    ctx.reply.verbatim("txt", out.as_bytes());
    Ok(())
}

/// What CLIENT KILL's filters select.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    ctype: Option<ClientType>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    skipme: bool,
}

impl KillFilter {
    /// `id` is the client's id (a connection whose command is running holds an empty
    /// session: its id is the connection's).
    fn matches(&self, c: &Client, id: u64, is_me: bool) -> bool {
        if is_me && self.skipme {
            return false;
        }
        self.id.is_none_or(|want| id == want)
            && self.ctype.is_none_or(|t| t == type_of(c))
            && self.addr.as_ref().is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.as_ref().is_none_or(|a| a == c.laddr.as_bytes())
    }
}

/// CLIENT KILL ip:port | CLIENT KILL <filter value> [<filter value> ...]
pub fn kill(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let old_form = a.len() == 3;
    let mut f = KillFilter {
        skipme: true,
        ..Default::default()
    };
    if old_form {
        f.addr = Some(a.get(2).to_vec());
        f.skipme = false;
    } else {
        let mut i = 2;
        while i < a.len() {
            if i + 1 >= a.len() {
                return Err(Error::Syntax);
            }
            let v = a.get(i + 1);
            if a.is(i, "id") {
                match parse_i64(v) {
                    Some(n) if n > 0 => f.id = Some(n as u64),
                    _ => return Err(Error::msg("ERR client-id should be greater than 0")),
                }
            } else if a.is(i, "type") {
                f.ctype = Some(parse_type(v)?);
            } else if a.is(i, "addr") {
                f.addr = Some(v.to_vec());
            } else if a.is(i, "laddr") {
                f.laddr = Some(v.to_vec());
            } else if a.is(i, "user") {
                if v != b"default" {
                    return Err(Error::msg(format!(
                        "ERR No such user '{}'",
                        sanitize(v, 128)
                    )));
                }
            } else if a.is(i, "skipme") {
                if v.eq_ignore_ascii_case(b"yes") {
                    f.skipme = true;
                } else if v.eq_ignore_ascii_case(b"no") {
                    f.skipme = false;
                } else {
                    return Err(Error::Syntax);
                }
            } else {
                return Err(Error::Syntax);
            }
            i += 2;
        }
    }
    let me = ctx.client.token;
    let mut killed = 0i64;
    let targets: Vec<usize> = ctx
        .srv
        .clients()
        .filter(|(t, c)| *t != me && !c.s.client.close_asap && f.matches(&c.s.client, c.id, false))
        .map(|(t, _)| t)
        .collect();
    for t in targets {
        // The loop closes it when it next flushes the connection.
        if ctx.srv.kill_client(t) {
            killed += 1;
        }
    }
    let kill_me = f.matches(ctx.client, ctx.client.id, true);
    if kill_me {
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Err(Error::msg("ERR No such client"));
        }
        ctx.reply.ok();
    } else {
        ctx.reply.int(killed);
    }
    if kill_me {
        ctx.client.close_after_reply = true;
    }
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE | ALL]
pub fn pause(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() > 4 {
        return Err(Error::msg(
            "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
        ));
    }
    let all = if a.len() < 4 || a.is(3, "all") {
        true
    } else if a.is(3, "write") {
        false
    } else {
        return Err(Error::msg("ERR CLIENT PAUSE mode must be WRITE or ALL"));
    };
    let ms = parse_i64(a.get(2))
        .ok_or_else(|| Error::msg("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(Error::msg("ERR timeout is negative"));
    }
    let now = std::time::Instant::now();
    // Redis adds the timeout to the current time in milliseconds; a sum past the 64-bit
    // range wraps into the past there, which is a pause that has already ended.
    let end = crate::store::now_ms()
        .checked_add(ms)
        .and_then(|_| now.checked_add(std::time::Duration::from_millis(ms as u64)))
        .unwrap_or(now);
    // A pause in force is only ever extended and made stricter, as in Redis.
    ctx.srv.pause_clients(ctx.store, end, all);
    ctx.reply.ok();
    Ok(())
}

/// CLIENT UNPAUSE
pub fn unpause(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.srv.resume_paused(ctx.store);
    ctx.reply.ok();
    Ok(())
}

/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
pub fn unblock(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() > 4 {
        return Err(Error::msg(
            "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
        ));
    }
    let id = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
    let error = if a.len() < 4 || a.is(3, "timeout") {
        false
    } else if a.is(3, "error") {
        true
    } else {
        return Err(Error::msg(
            "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
        ));
    };
    // Only clients blocked on keys: one held by CLIENT PAUSE stays held.
    let text = error.then_some("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    let done = ctx.srv.unblock_by_id(ctx.store, id, text);
    ctx.reply.int(done as i64);
    Ok(())
}

/// CLIENT NO-EVICT <ON | OFF>
pub fn no_evict(ctx: &mut Ctx, a: &Args) -> CmdResult {
    ctx.client.no_evict = if a.is(2, "on") {
        true
    } else if a.is(2, "off") {
        false
    } else {
        return Err(Error::Syntax);
    };
    ctx.reply.ok();
    Ok(())
}

/// CLIENT REPLY <ON | OFF | SKIP>
pub fn reply(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.is(2, "on") {
        ctx.client.reply_mode = ReplyMode::On;
        ctx.reply.ok();
    } else if a.is(2, "off") {
        ctx.client.reply_mode = ReplyMode::Off;
    } else if a.is(2, "skip") {
        if ctx.client.reply_mode == ReplyMode::On {
            ctx.client.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(Error::Syntax);
    }
    Ok(())
}

/// CLIENT HELP
pub fn help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    help_reply(
        ctx,
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
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
    fn names_and_ids() {
        let mut e = Env::new();
        assert_eq!(e.run(&["client", "id"]), ":7\r\n");
        assert_eq!(e.run(&["client", "getname"]), "$-1\r\n");
        assert_eq!(
            e.run(&["client", "setname", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(e.run(&["client", "setname", "foo"]), "+OK\r\n");
        assert_eq!(e.run(&["client", "getname"]), "$3\r\nfoo\r\n");
        assert_eq!(e.run(&["client", "setname", ""]), "+OK\r\n");
        assert_eq!(e.run(&["client", "getname"]), "$-1\r\n");
    }

    #[test]
    fn setinfo() {
        let mut e = Env::new();
        assert_eq!(
            e.run(&["client", "setinfo", "lib-name", "redis-py"]),
            "+OK\r\n"
        );
        assert_eq!(e.run(&["client", "setinfo", "LIB-VER", "5.0"]), "+OK\r\n");
        assert_eq!(
            e.run(&["client", "setinfo", "foo", "x"]),
            "-ERR Unrecognized option 'foo'\r\n"
        );
        assert_eq!(
            e.run(&["client", "setinfo", "lib-name", "a b"]),
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
        );
        let info = e.run(&["client", "info"]);
        assert!(
            info.contains(" lib-name=redis-py lib-ver=5.0\n\r\n"),
            "{info}"
        );
    }

    #[test]
    fn info_line_shape() {
        let mut e = Env::new();
        let r = e.run(&["client", "info"]);
        assert!(r.starts_with("$"));
        assert!(r.contains(
            "id=7 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=-1 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 "
        ), "{r}");
        assert!(r.contains(" cmd=client|info user=default redir=-1 resp=2 "));
    }

    #[test]
    fn list_filters_and_errors() {
        let mut e = Env::new();
        let r = e.run(&["client", "list"]);
        assert!(r.contains("id=7 "));
        assert!(r.contains("cmd=client|list"));
        assert_eq!(e.run(&["client", "list", "id", "1", "2"]), "$0\r\n\r\n");
        assert!(e.run(&["client", "list", "id", "7"]).contains("id=7 "));
        assert_eq!(e.run(&["client", "list", "type", "master"]), "$0\r\n\r\n");
        assert!(e
            .run(&["client", "list", "type", "normal"])
            .contains("id=7 "));
        assert_eq!(
            e.run(&["client", "list", "type", "foo"]),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(
            e.run(&["client", "list", "id", "abc"]),
            "-ERR Invalid client ID\r\n"
        );
        assert_eq!(e.run(&["client", "list", "id"]), "-ERR syntax error\r\n");
        assert_eq!(e.run(&["client", "list", "xx"]), "-ERR syntax error\r\n");
    }

    #[test]
    fn kill_forms() {
        let mut e = Env::new();
        assert_eq!(
            e.run(&["client", "kill", "1.2.3.4:5"]),
            "-ERR No such client\r\n"
        );
        assert_eq!(
            e.run(&["client", "kill", "id", "0"]),
            "-ERR client-id should be greater than 0\r\n"
        );
        assert_eq!(e.run(&["client", "kill", "id", "999"]), ":0\r\n");
        assert_eq!(
            e.run(&["client", "kill", "type", "foo"]),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(
            e.run(&["client", "kill", "type", "normal", "skipme"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            e.run(&["client", "kill", "user", "nobody"]),
            "-ERR No such user 'nobody'\r\n"
        );
        assert_eq!(e.run(&["client", "kill", "id", "7"]), ":0\r\n");
        assert!(!e.client.close_after_reply);
        assert_eq!(
            e.run(&["client", "kill", "id", "7", "skipme", "no"]),
            ":1\r\n"
        );
        assert!(e.client.close_after_reply);
        e.client.close_after_reply = false;
        assert_eq!(e.run(&["client", "kill", "127.0.0.1:50000"]), "+OK\r\n");
        assert!(e.client.close_after_reply);
    }

    #[test]
    fn reply_modes() {
        let mut e = Env::new();
        assert_eq!(e.run(&["client", "reply", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(e.run(&["client", "reply", "off"]), "");
        assert_eq!(e.run(&["time"]), "");
        assert_eq!(e.run(&["client", "reply", "on"]), "+OK\r\n");
        assert_eq!(e.run(&["client", "reply", "skip"]), "");
        assert_eq!(e.run(&["client", "id"]), "");
        assert_eq!(e.run(&["client", "id"]), ":7\r\n");
        assert_eq!(e.run(&["client", "no-evict", "on"]), "+OK\r\n");
        assert!(e.client.no_evict);
        assert_eq!(
            e.run(&["client", "no-evict", "maybe"]),
            "-ERR syntax error\r\n"
        );
    }
}
