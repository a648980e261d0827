//! TIME, LASTSAVE, SHUTDOWN, MONITOR, SLOWLOG and MEMORY (DEBUG is in `debug`).
//!
//! MEMORY USAGE estimates a key's footprint the way Redis counts it:
//! the value's allocation, the key string, and the table entry, with allocations rounded
//! up to jemalloc's size classes.

#![deny(clippy::indexing_slicing)]

use super::{help_reply, subcommand_syntax_error};
use crate::commands::{Args, Ctx};
use crate::error::{CmdResult, Error};
use crate::server::Shutdown;
use crate::store::Value;
use crate::util::num::parse_i64;

/// TIME
pub fn time(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let us = crate::store::now_us();
    let r = &mut ctx.reply;
    r.array(2);
    r.bulk_i64(us / 1_000_000);
    r.bulk_i64(us % 1_000_000);
    Ok(())
}

/// LASTSAVE
pub fn lastsave(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.reply.int(ctx.srv.last_save());
    Ok(())
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
pub fn shutdown(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (mut nosave, mut save, mut abort) = (false, false, false);
    let (mut now, mut force) = (false, false);
    for i in 1..a.len() {
        if a.is(i, "nosave") {
            nosave = true;
        } else if a.is(i, "save") {
            save = true;
        } else if a.is(i, "now") {
            now = true;
        } else if a.is(i, "force") {
            force = true;
        } else if a.is(i, "abort") {
            abort = true;
        } else {
            return Err(Error::Syntax);
        }
    }
    if (abort && (nosave || save || now || force)) || (nosave && save) {
        return Err(Error::Syntax);
    }
    if abort {
        // A shutdown here never waits (there are no replicas to wait for).
        return Err(Error::msg("ERR No shutdown in progress."));
    }
    // From inside a busy script only SHUTDOWN NOSAVE may stop the server.
    if let Some(busy) = ctx.srv.busy().filter(|_| !nosave) {
        return Err(Error::msg(busy.error()));
    }
    ctx.srv.request_shutdown(Shutdown {
        nosave,
        save,
        now,
        force,
        by: Some(ctx.client.cref()),
    });
    Ok(())
}

/// MONITOR
pub fn monitor(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    if ctx.client.in_exec {
        return Err(Error::msg(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    if ctx.client.monitor {
        // Redis ignores a second MONITOR, reply included.
        return Ok(());
    }
    ctx.client.monitor = true;
    ctx.srv.add_monitor(ctx.client.cref());
    ctx.reply.ok();
    Ok(())
}

/// SLOWLOG GET [count]
pub fn slowlog_get(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() > 3 {
        return Err(subcommand_syntax_error(a.get(1), "SLOWLOG"));
    }
    let count = if a.len() == 3 {
        match parse_i64(a.get(2)) {
            Some(n) if n >= -1 => n,
            _ => {
                return Err(Error::msg(
                    "ERR count should be greater than or equal to -1",
                ))
            }
        }
    } else {
        10
    };
    let log = ctx.srv.slowlog_entries();
    let n = if count == -1 {
        log.len()
    } else {
        log.len().min(count as usize)
    };
    let r = &mut ctx.reply;
    r.array(n);
    for e in log.take(n) {
        r.array(6);
        r.int(e.id as i64);
        r.int(e.time);
        r.int(e.usec as i64);
        r.array(e.args.len());
        for x in &e.args {
            r.bulk(x);
        }
        r.bulk(e.addr.as_bytes());
        r.bulk(e.name.as_bytes());
    }
    Ok(())
}

/// SLOWLOG LEN
pub fn slowlog_len(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.reply.int(ctx.srv.slowlog_entries().len() as i64);
    Ok(())
}

/// SLOWLOG RESET
pub fn slowlog_reset(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.srv.slowlog_reset();
    ctx.reply.ok();
    Ok(())
}

/// SLOWLOG HELP
pub fn slowlog_help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    help_reply(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// jemalloc's size class for an allocation of `n` bytes.
fn size_class(n: usize) -> usize {
    if n <= 8 {
        8
    } else if n <= 128 {
        n.div_ceil(16) * 16
    } else {
        let step = n.next_power_of_two() / 8;
        n.div_ceil(step) * step
    }
}

/// Bytes of an sds header for a string of `len` bytes (`short` allows the 1-byte type
/// Redis uses for keys under 32 bytes).
fn sds_header(len: usize, short: bool) -> usize {
    match len {
        0..32 if short => 1,
        0..256 => 3,
        256..65536 => 5,
        _ if len as u64 <= u32::MAX as u64 => 9,
        _ => 17,
    }
}

/// Redis's object header.
const ROBJ: usize = 16;
/// A main-table entry.
const DICT_ENTRY: usize = 24;

/// The estimated bytes of a value. Strings follow Redis's encodings; collections are
/// estimated from their length and encoding (`samples` is accepted for compatibility:
/// the estimate does not walk the elements).
fn value_usage(v: &Value, _samples: usize) -> usize {
    match v {
        Value::Str(s) => match v.encoding() {
            "int" => ROBJ,
            "embstr" => size_class(ROBJ + 3 + s.len() + 1),
            _ => ROBJ + size_class(sds_header(s.len(), false) + s.len() + 1),
        },
        _ => {
            let (len, per) = match v {
                Value::Hash(h) => (h.len(), 2),
                Value::List(l) => (l.len(), 1),
                Value::Set(s) => (s.len(), 1),
                Value::ZSet(z) => (z.len(), 2),
                Value::Str(_) => (0, 0),
            };
            // A listpack/intset entry of a short element takes a few bytes; a hash-table
            // element an entry, its strings and their headers.
            let compact = matches!(v.encoding(), "listpack" | "intset" | "quicklist");
            let (head, elem) = if compact { (7, 4) } else { (16, 40) };
            ROBJ + size_class(head + len * per * elem)
        }
    }
}

/// MEMORY USAGE key [SAMPLES count]
pub fn memory_usage(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut samples = 5usize;
    let mut i = 3;
    while i < a.len() {
        if a.is(i, "samples") && i + 1 < a.len() {
            let n = parse_i64(a.get(i + 1)).ok_or(Error::NotInteger)?;
            if n < 0 {
                return Err(Error::Syntax);
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let key = a.get(2);
    match ctx.store.db().keys.get_entry(key) {
        None => ctx.reply.null(),
        Some((k, v)) => {
            let total = value_usage(v, samples)
                + size_class(sds_header(k.len(), true) + k.len() + 1)
                + DICT_ENTRY;
            ctx.reply.int(total as i64);
        }
    }
    Ok(())
}

/// The RDB length of a string: as an integer when it is one that fits 32 bits, else
/// its length prefix and bytes (without compression).
pub(super) fn serialized_string_len(s: &[u8]) -> usize {
    if s.len() <= 11 {
        if let Some(n) = parse_i64(s) {
            if (-128..=127).contains(&n) {
                return 2;
            } else if (-32768..=32767).contains(&n) {
                return 3;
            } else if (i32::MIN as i64..=i32::MAX as i64).contains(&n) {
                return 5;
            }
        }
    }
    let prefix = match s.len() {
        0..64 => 1,
        64..16384 => 2,
        _ => 5,
    };
    prefix + s.len()
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::testutil::Env;
    use super::*;
    use crate::store::bytes::Sds;

    #[test]
    fn size_classes() {
        assert_eq!(size_class(3), 8);
        assert_eq!(size_class(23), 32);
        assert_eq!(size_class(104), 112);
        assert_eq!(size_class(129), 160);
        assert_eq!(size_class(300), 320);
        assert_eq!(size_class(1100), 1280);
    }

    fn put(e: &mut Env, k: &str, v: &str) {
        e.store.cur = 0;
        e.store
            .set(k.as_bytes(), Value::Str(Sds::from(v.as_bytes())), false);
    }

    #[test]
    fn memory_usage_like_redis_for_strings() {
        let mut e = Env::new();
        put(&mut e, "a", "1");
        put(&mut e, "foo", "bar");
        assert_eq!(e.run(&["memory", "usage", "a"]), ":48\r\n");
        assert_eq!(e.run(&["memory", "usage", "foo"]), ":64\r\n");
        assert_eq!(e.run(&["memory", "usage", "nokey"]), "$-1\r\n");
        assert_eq!(
            e.run(&["memory", "usage", "a", "samples"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            e.run(&["memory", "usage", "a", "samples", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            e.run(&["memory", "usage", "a", "samples", "-1"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(e.run(&["memory", "usage", "a", "samples", "0"]), ":48\r\n");
    }

    #[test]
    fn slowlog_and_shutdown() {
        let mut e = Env::new();
        assert_eq!(
            e.run(&["slowlog", "get", "abc"]),
            "-ERR count should be greater than or equal to -1\r\n"
        );
        assert_eq!(
            e.run(&["slowlog", "get", "1", "2"]),
            "-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n"
        );
        e.core.config_mut().slowlog_log_slower_than = 0;
        e.run(&["time"]);
        assert_eq!(e.run(&["slowlog", "len"]), ":1\r\n");
        let r = e.run(&["slowlog", "get", "-1"]);
        assert!(r.starts_with("*2\r\n*6\r\n:1\r\n:"), "{r}");
        assert!(r.contains("*1\r\n$4\r\ntime\r\n$15\r\n127.0.0.1:50000\r\n$0\r\n\r\n"));
        assert_eq!(e.run(&["slowlog", "reset"]), "+OK\r\n");
        assert_eq!(
            e.run(&["shutdown", "nosave", "save"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            e.run(&["shutdown", "abort", "now"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            e.run(&["shutdown", "abort"]),
            "-ERR No shutdown in progress.\r\n"
        );
        assert_eq!(e.run(&["shutdown", "foo"]), "-ERR syntax error\r\n");
        assert!(e.core.shutdown_requested().is_none());
        assert_eq!(e.run(&["shutdown", "nosave", "now"]), "");
        assert!(e
            .core
            .shutdown_requested()
            .is_some_and(|s| Shutdown { by: None, ..s }
                == Shutdown {
                    nosave: true,
                    now: true,
                    ..Default::default()
                }));
    }

    #[test]
    fn time_and_monitor() {
        let mut e = Env::new();
        let r = e.run(&["time"]);
        assert!(r.starts_with("*2\r\n$10\r\n"));
        assert_eq!(e.run(&["monitor"]), "+OK\r\n");
        let me = crate::server::client::ClientRef { key: 3, id: 7 };
        assert_eq!(e.core.monitors(), &[me]);
        assert_eq!(e.run(&["monitor"]), "");
        assert_eq!(e.core.monitors(), &[me]);
    }
}
