//! The keyspace family: commands on keys whatever their type, and on whole databases.
//!
//! DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME RENAMENX COPY MOVE DBSIZE FLUSHDB
//! FLUSHALL SWAPDB, the EXPIRE family with its NX/XX/GT/LT conditions, TTL and friends,
//! PERSIST, TOUCH and OBJECT. Replies and error texts are Redis 7.0's. An expiry set in the
//! past deletes the key at once and is fed to the AOF as DEL; relative expiries are fed as
//! PEXPIREAT with the absolute time, so replaying the file gives the same keyspace.

#![deny(clippy::indexing_slicing)]

use super::args::parse_cursor;
use super::flags::*;
use super::{cmd, sds_cmd, Args, CommandDef, Ctx, Group, ScanOpts};
use crate::config::MaxmemoryPolicy;
use crate::error::{sanitize, CmdResult, Error};
use crate::store::bytes::Sds;
use crate::store::{notify, Value};
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

pub const COMMANDS: &[CommandDef] = &[
    cmd("del", -2, WRITE, del)
        .docs(&docs::DEL)
        .keys(1, -1, 1)
        .group(Group::Generic),
    cmd("unlink", -2, WRITE | FAST, unlink)
        .docs(&docs::UNLINK)
        .keys(1, -1, 1)
        .group(Group::Generic),
    cmd("exists", -2, READONLY | FAST, exists)
        .docs(&docs::EXISTS)
        .keys(1, -1, 1)
        .group(Group::Generic),
    cmd("type", 2, READONLY | FAST, type_)
        .docs(&docs::TYPE)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("keys", 2, READONLY, keys)
        .docs(&docs::KEYS)
        .group(Group::Generic),
    cmd("scan", -2, READONLY, scan)
        .docs(&docs::SCAN)
        .group(Group::Generic),
    cmd("randomkey", 1, READONLY, randomkey)
        .docs(&docs::RANDOMKEY)
        .group(Group::Generic),
    cmd("rename", 3, WRITE, rename)
        .docs(&docs::RENAME)
        .keys(1, 2, 1)
        .group(Group::Generic),
    cmd("renamenx", 3, WRITE | FAST, renamenx)
        .docs(&docs::RENAMENX)
        .keys(1, 2, 1)
        .group(Group::Generic),
    cmd("copy", -3, WRITE | DENYOOM, copy)
        .docs(&docs::COPY)
        .keys(1, 2, 1)
        .group(Group::Generic),
    cmd("move", 3, WRITE | FAST, move_)
        .docs(&docs::MOVE)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("dbsize", 1, READONLY | FAST, dbsize)
        .docs(&docs::DBSIZE)
        .group(Group::Server),
    cmd("flushdb", -1, WRITE, flushdb)
        .docs(&docs::FLUSHDB)
        .group(Group::Server),
    cmd("flushall", -1, WRITE, flushall)
        .docs(&docs::FLUSHALL)
        .group(Group::Server),
    cmd("swapdb", 3, WRITE | FAST, swapdb)
        .docs(&docs::SWAPDB)
        .group(Group::Server),
    cmd("expire", -3, WRITE | FAST, expire)
        .docs(&docs::EXPIRE)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("pexpire", -3, WRITE | FAST, pexpire)
        .docs(&docs::PEXPIRE)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("expireat", -3, WRITE | FAST, expireat)
        .docs(&docs::EXPIREAT)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("pexpireat", -3, WRITE | FAST, pexpireat)
        .docs(&docs::PEXPIREAT)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("ttl", 2, READONLY | FAST, ttl)
        .docs(&docs::TTL)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("pttl", 2, READONLY | FAST, pttl)
        .docs(&docs::PTTL)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("expiretime", 2, READONLY | FAST, expiretime)
        .docs(&docs::EXPIRETIME)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("pexpiretime", 2, READONLY | FAST, pexpiretime)
        .docs(&docs::PEXPIRETIME)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("persist", 2, WRITE | FAST, persist)
        .docs(&docs::PERSIST)
        .keys(1, 1, 1)
        .group(Group::Generic),
    cmd("touch", -2, READONLY | FAST, touch)
        .docs(&docs::TOUCH)
        .keys(1, -1, 1)
        .group(Group::Generic),
    cmd("object", -2, 0, object)
        .docs(&docs::OBJECT)
        .group(Group::Generic)
        .subs(OBJECT_SUBCOMMANDS),
];

const OBJECT_SUBCOMMANDS: &[CommandDef] = &[
    cmd("encoding", 3, READONLY, object_encoding)
        .docs(&docs::OBJECT_ENCODING)
        .keys(2, 2, 1)
        .group(Group::Generic),
    cmd("refcount", 3, READONLY, object_refcount)
        .docs(&docs::OBJECT_REFCOUNT)
        .keys(2, 2, 1)
        .group(Group::Generic),
    cmd("idletime", 3, READONLY, object_idletime)
        .docs(&docs::OBJECT_IDLETIME)
        .keys(2, 2, 1)
        .group(Group::Generic),
    cmd("freq", 3, READONLY, object_freq)
        .docs(&docs::OBJECT_FREQ)
        .keys(2, 2, 1)
        .group(Group::Generic),
    cmd("help", 2, LOADING | STALE, object_help)
        .docs(&docs::OBJECT_HELP)
        .group(Group::Generic),
];

/// DEL and UNLINK: deletes the keys that exist, replies how many.
fn delete_keys(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut n = 0;
    for key in a.from(1) {
        if ctx.store.delete(key) {
            n += 1;
        }
    }
    ctx.reply.int(n);
    Ok(())
}

/// DEL key [key ...]
fn del(ctx: &mut Ctx, a: &Args) -> CmdResult {
    delete_keys(ctx, a)
}

/// UNLINK key [key ...]
fn unlink(ctx: &mut Ctx, a: &Args) -> CmdResult {
    delete_keys(ctx, a)
}

/// EXISTS key [key ...]
fn exists(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut n = 0;
    for key in a.from(1) {
        // Not an access (LRU/LFU), as in Redis.
        if ctx.store.lookup_quiet(key).is_some() {
            n += 1;
        }
    }
    ctx.reply.int(n);
    Ok(())
}

/// TYPE key
fn type_(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let t = match ctx.store.lookup_quiet(a.get(1)) {
        Some((v, _)) => v.type_name(),
        None => "none",
    };
    ctx.reply.simple(t);
    Ok(())
}

/// KEYS pattern
fn keys(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let pattern = a.get(1);
    let all = pattern == b"*";
    let (now, loading) = (ctx.store.now, ctx.store.loading);
    let db = ctx.store.db();
    let live = |k: &[u8]| loading || db.expire_at(k).is_none_or(|w| w >= now);
    let r = &mut ctx.reply;
    let d = r.begin(crate::resp::reply::Agg::Array);
    let mut n = 0;
    for (k, _) in db.keys.iter() {
        if (all || glob_match(pattern, k, false)) && live(k) {
            r.bulk(k);
            n += 1;
        }
    }
    r.end(d, n);
    Ok(())
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut cursor = parse_cursor(a.get(1))?;
    let ScanOpts {
        count,
        pattern,
        type_name,
    } = ScanOpts::parse(&mut a.cursor(2), true)?;
    let mut found: Vec<Sds> = Vec::new();
    {
        let db = ctx.store.db();
        let mut budget = count.saturating_mul(10);
        loop {
            cursor = db.keys.scan(cursor, |k, _| found.push(k.clone()));
            if cursor == 0 || budget == 0 {
                break;
            }
            budget -= 1;
            if found.len() as i64 >= count {
                break;
            }
        }
    }
    let store = &mut *ctx.store;
    found.retain(|k| {
        if let Some(p) = pattern {
            if !glob_match(p, k, false) {
                return false;
            }
        }
        let expired = store.expire_if_needed(k);
        match type_name {
            // Redis checks the type before the expiry: an expired key is of type "none".
            Some(t) => {
                let name = match store.db().keys.get(k) {
                    Some(v) => v.type_name(),
                    None => "none",
                };
                name.as_bytes().eq_ignore_ascii_case(t)
            }
            None => !expired,
        }
    });
    let r = &mut ctx.reply;
    r.array(2);
    r.bulk(itoa::Buffer::new().format(cursor).as_bytes());
    r.array(found.len());
    for k in &found {
        r.bulk(k);
    }
    Ok(())
}

/// RANDOMKEY
fn randomkey(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    // Under CLIENT PAUSE expired keys stay: when every key is expired, give up after a
    // while and return one of them (as Redis 7.2 does).
    let mut tries = 100u32;
    loop {
        let key = match ctx.store.random_key() {
            Some(k) => k,
            None => {
                ctx.reply.null();
                return Ok(());
            }
        };
        if ctx.store.expire_if_needed(&key) {
            tries = tries.saturating_sub(1);
            let db = ctx.store.db();
            let all_volatile = db.expires.len() == db.keys.len();
            if !(ctx.store.keep_expired && all_volatile && tries == 0) {
                continue;
            }
        }
        ctx.reply.bulk(&key);
        return Ok(());
    }
}

/// RENAME and RENAMENX.
fn rename_generic(ctx: &mut Ctx, a: &Args, nx: bool) -> CmdResult {
    let (src, dst) = (a.get(1), a.get(2));
    if ctx.store.lookup_write(src).is_none() {
        return Err(Error::NoSuchKey);
    }
    if src == dst {
        if nx {
            ctx.reply.int(0);
        } else {
            ctx.reply.ok();
        }
        return Ok(());
    }
    let dst_exists = ctx.store.lookup_write(dst).is_some();
    if dst_exists && nx {
        ctx.reply.int(0);
        return Ok(());
    }
    ctx.store.rename(src, dst);
    ctx.store
        .modified_by(src, notify::GENERIC, "rename_from", 0);
    ctx.store.modified(dst, notify::GENERIC, "rename_to");
    if nx {
        ctx.reply.int(1);
    } else {
        ctx.reply.ok();
    }
    Ok(())
}

/// RENAME key newkey
fn rename(ctx: &mut Ctx, a: &Args) -> CmdResult {
    rename_generic(ctx, a, false)
}

/// RENAMENX key newkey
fn renamenx(ctx: &mut Ctx, a: &Args) -> CmdResult {
    rename_generic(ctx, a, true)
}

/// A database index argument (Redis getIntFromObject, then the range check).
fn db_index(ctx: &Ctx, b: &[u8]) -> Result<usize, Error> {
    let v = parse_i64(b).ok_or(Error::NotInteger)?;
    if i32::try_from(v).is_err() {
        return Err(Error::msg(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    if v < 0 || v as usize >= ctx.store.databases() {
        return Err(Error::DbIndexOutOfRange);
    }
    Ok(v as usize)
}

fn same_object() -> Error {
    Error::msg("ERR source and destination objects are the same")
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (src, dst) = (a.get(1), a.get(2));
    let cur = ctx.store.selected();
    let mut target = cur;
    let mut replace = false;
    let mut c = a.cursor(3);
    while !c.is_done() {
        if c.eat("replace") {
            replace = true;
        } else if c.eat_with("db", 1) {
            target = db_index(ctx, c.arg()?)?;
        } else {
            return Err(Error::Syntax);
        }
    }
    if target == cur && src == dst {
        return Err(same_object());
    }
    if ctx.store.lookup_read(src).is_none() {
        ctx.reply.int(0);
        return Ok(());
    }
    if ctx.store.exists_in(target, dst) && !replace {
        ctx.reply.int(0);
        return Ok(());
    }
    if !ctx.store.copy_to(src, target, dst) {
        ctx.reply.int(0);
        return Ok(());
    }
    ctx.store
        .modified_in(target, dst, notify::GENERIC, "copy_to");
    ctx.reply.int(1);
    Ok(())
}

/// MOVE key db
fn move_(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let target = db_index(ctx, a.get(2))?;
    if target == ctx.store.selected() {
        return Err(same_object());
    }
    if ctx.store.lookup_write(key).is_none() {
        ctx.reply.int(0);
        return Ok(());
    }
    if ctx.store.exists_in(target, key) || !ctx.store.move_to(key, target) {
        ctx.reply.int(0);
        return Ok(());
    }
    // One change: the source side counts none.
    ctx.store.modified_by(key, notify::GENERIC, "move_from", 0);
    ctx.store
        .modified_in(target, key, notify::GENERIC, "move_to");
    ctx.reply.int(1);
    Ok(())
}

/// DBSIZE
fn dbsize(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let n = ctx.store.db().len();
    ctx.reply.int(n as i64);
    Ok(())
}

/// The optional [ASYNC | SYNC] of FLUSHDB and FLUSHALL (both free the memory at once).
fn flush_mode(a: &Args) -> CmdResult {
    let mut c = a.cursor(1);
    c.keyword(&[("sync", ()), ("async", ())]);
    if c.is_done() {
        Ok(())
    } else {
        Err(Error::Syntax)
    }
}

/// FLUSHDB [ASYNC | SYNC]
fn flushdb(ctx: &mut Ctx, a: &Args) -> CmdResult {
    flush_mode(a)?;
    let n = ctx.store.flush_selected();
    crate::util::mem::purge();
    // Always fed to the AOF, even when the database was already empty.
    ctx.store.count_changes(n.max(1) as u64);
    ctx.reply.ok();
    Ok(())
}

/// FLUSHALL [ASYNC | SYNC]
fn flushall(ctx: &mut Ctx, a: &Args) -> CmdResult {
    flush_mode(a)?;
    let n = ctx.store.flush(None);
    crate::util::mem::purge();
    ctx.store.count_changes(n as u64 + 1);
    ctx.reply.ok();
    Ok(())
}

/// SWAPDB index1 index2
fn swapdb(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let index = |b: &[u8], text: &'static str| {
        parse_i64(b)
            .filter(|v| i32::try_from(*v).is_ok())
            .ok_or_else(|| Error::msg(text))
    };
    let first = index(a.get(1), "ERR invalid first DB index")?;
    let second = index(a.get(2), "ERR invalid second DB index")?;
    let n = ctx.store.databases() as i64;
    if first < 0 || first >= n || second < 0 || second >= n {
        return Err(Error::DbIndexOutOfRange);
    }
    if first != second {
        ctx.store.swap_dbs(first as usize, second as usize);
    }
    ctx.store.count_changes(1);
    ctx.reply.ok();
    Ok(())
}

/// EXPIRE family conditions.
#[derive(Default)]
struct ExpireCond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_cond(a: &Args) -> Result<ExpireCond, Error> {
    let mut c = ExpireCond::default();
    for word in a.cursor(3) {
        if word.eq_ignore_ascii_case(b"nx") {
            c.nx = true;
        } else if word.eq_ignore_ascii_case(b"xx") {
            c.xx = true;
        } else if word.eq_ignore_ascii_case(b"gt") {
            c.gt = true;
        } else if word.eq_ignore_ascii_case(b"lt") {
            c.lt = true;
        } else {
            return Err(Error::msg(format!(
                "ERR Unsupported option {}",
                sanitize(word, usize::MAX)
            )));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(Error::msg(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(Error::msg(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// EXPIRE PEXPIRE EXPIREAT PEXPIREAT: `relative` adds the command time, `seconds` scales.
fn expire_generic(ctx: &mut Ctx, a: &Args, relative: bool, seconds: bool) -> CmdResult {
    let key = a.get(1);
    let cond = parse_expire_cond(a)?;
    let mut when = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
    let name = ctx.cmd.name;
    if seconds {
        when = when.checked_mul(1000).ok_or(Error::InvalidExpire(name))?;
    }
    if relative {
        when = when
            .checked_add(ctx.store.now)
            .ok_or(Error::InvalidExpire(name))?;
    }
    if ctx.store.lookup_write(key).is_none() {
        ctx.reply.int(0);
        return Ok(());
    }
    let current = ctx.store.db().expire_at(key);
    let refused = (cond.nx && current.is_some())
        || (cond.xx && current.is_none())
        || (cond.gt && current.is_none_or(|c| when <= c))
        || (cond.lt && current.is_some_and(|c| when >= c));
    if refused {
        ctx.reply.int(0);
        return Ok(());
    }
    if when <= ctx.store.now && !ctx.store.loading {
        ctx.store.take(key);
        ctx.store.modified(key, notify::GENERIC, "del");
        ctx.rewrite_as(vec![sds_cmd(&[b"DEL", key])]);
        ctx.reply.int(1);
        return Ok(());
    }
    ctx.store.set_expire(key, when);
    ctx.reply.int(1);
    if relative || seconds {
        // Fed as PEXPIREAT with the absolute time, keeping the condition arguments.
        let ms = itoa::Buffer::new().format(when).as_bytes().to_vec();
        let mut c = sds_cmd(&[b"PEXPIREAT", key, &ms]);
        c.extend(a.from(3).map(Sds::from));
        ctx.rewrite_as(vec![c]);
    }
    ctx.store.modified(key, notify::GENERIC, "expire");
    Ok(())
}

/// EXPIRE key seconds [NX | XX | GT | LT]
fn expire(ctx: &mut Ctx, a: &Args) -> CmdResult {
    expire_generic(ctx, a, true, true)
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
fn pexpire(ctx: &mut Ctx, a: &Args) -> CmdResult {
    expire_generic(ctx, a, true, false)
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
fn expireat(ctx: &mut Ctx, a: &Args) -> CmdResult {
    expire_generic(ctx, a, false, true)
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
fn pexpireat(ctx: &mut Ctx, a: &Args) -> CmdResult {
    expire_generic(ctx, a, false, false)
}

/// TTL PTTL EXPIRETIME PEXPIRETIME: -2 without the key, -1 without an expiry.
fn ttl_generic(ctx: &mut Ctx, a: &Args, ms: bool, absolute: bool) -> CmdResult {
    let key = a.get(1);
    if ctx.store.lookup_quiet(key).is_none() {
        ctx.reply.int(-2);
        return Ok(());
    }
    let Some(when) = ctx.store.db().expire_at(key) else {
        ctx.reply.int(-1);
        return Ok(());
    };
    let t = if absolute {
        when
    } else {
        when.saturating_sub(ctx.store.now).max(0)
    };
    // Seconds are rounded to the nearest, computed wide (PEXPIRETIME may be i64::MAX).
    let v = if ms {
        t
    } else {
        ((t as i128 + 500) / 1000) as i64
    };
    ctx.reply.int(v);
    Ok(())
}

/// TTL key
fn ttl(ctx: &mut Ctx, a: &Args) -> CmdResult {
    ttl_generic(ctx, a, false, false)
}

/// PTTL key
fn pttl(ctx: &mut Ctx, a: &Args) -> CmdResult {
    ttl_generic(ctx, a, true, false)
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx, a: &Args) -> CmdResult {
    ttl_generic(ctx, a, false, true)
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx, a: &Args) -> CmdResult {
    ttl_generic(ctx, a, true, true)
}

/// PERSIST key
fn persist(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    if ctx.store.lookup_write(key).is_none() || !ctx.store.persist(key) {
        ctx.reply.int(0);
        return Ok(());
    }
    ctx.store.modified(key, notify::GENERIC, "persist");
    ctx.reply.int(1);
    Ok(())
}

/// TOUCH key [key ...]
fn touch(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut n = 0;
    for key in a.from(1) {
        if ctx.store.lookup_read(key).is_some() {
            n += 1;
        }
    }
    ctx.reply.int(n);
    Ok(())
}

/// OBJECT <subcommand> [<arg> ...]: the dispatcher routes every call to a subcommand row.
fn object(_ctx: &mut Ctx, a: &Args) -> CmdResult {
    Err(Error::UnknownSubcommand(
        sanitize(a.get(1), 128),
        "OBJECT".into(),
    ))
}

/// OBJECT ENCODING key
fn object_encoding(ctx: &mut Ctx, a: &Args) -> CmdResult {
    match ctx.store.lookup_quiet(a.get(2)) {
        Some((v, meta)) => {
            let e = v.encoding_with(meta);
            ctx.reply.bulk(e.as_bytes());
        }
        None => ctx.reply.null(),
    }
    Ok(())
}

/// Redis shares the values 0..9999 between keys (refcount INT_MAX) unless an LRU/LFU
/// eviction policy with a memory limit needs per-key access data.
const OBJ_SHARED_INTEGERS: i64 = 10000;
const OBJ_SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// OBJECT REFCOUNT key
fn object_refcount(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let cfg = &ctx.config();
    let sharing = cfg.maxmemory == 0
        || !matches!(
            cfg.maxmemory_policy,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::AllkeysLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::AllkeysLfu
        );
    let n = match ctx.store.lookup_quiet(a.get(2)) {
        None => {
            ctx.reply.null();
            return Ok(());
        }
        Some((v, meta)) if sharing && v.encoding_with(meta) == "int" => match v {
            Value::Str(s) => match parse_i64(s) {
                Some(i) if (0..OBJ_SHARED_INTEGERS).contains(&i) => OBJ_SHARED_REFCOUNT,
                _ => 1,
            },
            _ => 1,
        },
        Some(_) => 1,
    };
    ctx.reply.int(n);
    Ok(())
}

fn lfu_policy(ctx: &Ctx) -> bool {
    matches!(
        ctx.config().maxmemory_policy,
        MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
    )
}

/// OBJECT IDLETIME key
fn object_idletime(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let Some((_, meta)) = ctx.store.lookup_quiet(a.get(2)) else {
        ctx.reply.null();
        return Ok(());
    };
    if lfu_policy(ctx) {
        return Err(Error::msg(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let idle = ctx.store.access.idle_ms(meta, ctx.store.now) / 1000;
    ctx.reply.int(idle as i64);
    Ok(())
}

/// OBJECT FREQ key
fn object_freq(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let Some((_, meta)) = ctx.store.lookup_quiet(a.get(2)) else {
        ctx.reply.null();
        return Ok(());
    };
    if !lfu_policy(ctx) {
        return Err(Error::msg(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    let freq = ctx.store.access.lfu_counter(meta, ctx.store.now);
    ctx.reply.int(freq as i64);
    Ok(())
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// OBJECT HELP
fn object_help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.reply.array(OBJECT_HELP.len());
    for line in OBJECT_HELP {
        ctx.reply.simple(line);
    }
    Ok(())
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const COPY: Docs = Docs {
        name: "copy",
        summary: "Copy a key",
        since: "6.2.0",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("source", Key).key_spec(0),
            arg("destination", Key).key_spec(1),
            arg("destination-db", Int).token("DB").opt(),
            arg("replace", PureToken).token("REPLACE").opt(),
        ],
    };

    pub const DBSIZE: Docs = Docs {
        name: "dbsize",
        summary: "Return the number of keys in the selected database",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const DEL: Docs = Docs {
        name: "del",
        summary: "Delete a key",
        since: "1.0.0",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0).multi(),
        ],
    };

    pub const EXISTS: Docs = Docs {
        name: "exists",
        summary: "Determine if a key exists",
        since: "1.0.0",
        complexity: "O(N) where N is the number of keys to check.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("3.0.3", "Accepts multiple `key` arguments.")],
        args: &[arg("key", Key).key_spec(0).multi()],
    };

    pub const EXPIRE: Docs = Docs {
        name: "expire",
        summary: "Set a key's time to live in seconds",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("seconds", Int),
            arg("condition", OneOf).since("7.0.0").opt().args(&[
                arg("nx", PureToken).token("NX"),
                arg("xx", PureToken).token("XX"),
                arg("gt", PureToken).token("GT"),
                arg("lt", PureToken).token("LT"),
            ]),
        ],
    };

    pub const EXPIREAT: Docs = Docs {
        name: "expireat",
        summary: "Set the expiration for a key as a UNIX timestamp",
        since: "1.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("unix-time-seconds", UnixTime),
            arg("condition", OneOf).since("7.0.0").opt().args(&[
                arg("nx", PureToken).token("NX"),
                arg("xx", PureToken).token("XX"),
                arg("gt", PureToken).token("GT"),
                arg("lt", PureToken).token("LT"),
            ]),
        ],
    };

    pub const EXPIRETIME: Docs = Docs {
        name: "expiretime",
        summary: "Get the expiration Unix timestamp for a key",
        since: "7.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const FLUSHALL: Docs = Docs {
        name: "flushall",
        summary: "Remove all keys from all databases",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of keys in all databases",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        args: &[arg("async", OneOf).opt().args(&[
            arg("async", PureToken).token("ASYNC").since("4.0.0"),
            arg("sync", PureToken).token("SYNC").since("6.2.0"),
        ])],
    };

    pub const FLUSHDB: Docs = Docs {
        name: "flushdb",
        summary: "Remove all keys from the current database",
        since: "1.0.0",
        complexity: "O(N) where N is the number of keys in the selected database",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ],
        args: &[arg("async", OneOf).opt().args(&[
            arg("async", PureToken).token("ASYNC").since("4.0.0"),
            arg("sync", PureToken).token("SYNC").since("6.2.0"),
        ])],
    };

    pub const KEYS: Docs = Docs {
        name: "keys",
        summary: "Find all keys matching the given pattern",
        since: "1.0.0",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("pattern", Pattern),
        ],
    };

    pub const MOVE: Docs = Docs {
        name: "move",
        summary: "Move a key to another database",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("db", Int)],
    };

    pub const OBJECT: Docs = Docs {
        name: "object",
        summary: "A container for object introspection commands",
        since: "2.2.3",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const OBJECT_ENCODING: Docs = Docs {
        name: "object|encoding",
        summary: "Inspect the internal encoding of a Redis object",
        since: "2.2.3",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const OBJECT_FREQ: Docs = Docs {
        name: "object|freq",
        summary: "Get the logarithmic access frequency counter of a Redis object",
        since: "4.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const OBJECT_HELP: Docs = Docs {
        name: "object|help",
        summary: "Show helpful text about the different subcommands",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const OBJECT_IDLETIME: Docs = Docs {
        name: "object|idletime",
        summary: "Get the time since a Redis object was last accessed",
        since: "2.2.3",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const OBJECT_REFCOUNT: Docs = Docs {
        name: "object|refcount",
        summary: "Get the number of references to the value of the key",
        since: "2.2.3",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const PERSIST: Docs = Docs {
        name: "persist",
        summary: "Remove the expiration from a key",
        since: "2.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const PEXPIRE: Docs = Docs {
        name: "pexpire",
        summary: "Set a key's time to live in milliseconds",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("milliseconds", Int),
            arg("condition", OneOf).since("7.0.0").opt().args(&[
                arg("nx", PureToken).token("NX"),
                arg("xx", PureToken).token("XX"),
                arg("gt", PureToken).token("GT"),
                arg("lt", PureToken).token("LT"),
            ]),
        ],
    };

    pub const PEXPIREAT: Docs = Docs {
        name: "pexpireat",
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("unix-time-milliseconds", UnixTime),
            arg("condition", OneOf).since("7.0.0").opt().args(&[
                arg("nx", PureToken).token("NX"),
                arg("xx", PureToken).token("XX"),
                arg("gt", PureToken).token("GT"),
                arg("lt", PureToken).token("LT"),
            ]),
        ],
    };

    pub const PEXPIRETIME: Docs = Docs {
        name: "pexpiretime",
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        since: "7.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const PTTL: Docs = Docs {
        name: "pttl",
        summary: "Get the time to live for a key in milliseconds",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("2.8.0", "Added the -2 reply.")],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const RANDOMKEY: Docs = Docs {
        name: "randomkey",
        summary: "Return a random key from the keyspace",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const RENAME: Docs = Docs {
        name: "rename",
        summary: "Rename a key",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("newkey", Key).key_spec(1)],
    };

    pub const RENAMENX: Docs = Docs {
        name: "renamenx",
        summary: "Rename a key, only if the new key does not exist",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("3.2.0", "The command no longer returns an error when source and destination names are the same."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("newkey", Key).key_spec(1),
        ],
    };

    pub const SCAN: Docs = Docs {
        name: "scan",
        summary: "Incrementally iterate the keys space",
        since: "2.8.0",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("6.0.0", "Added the `TYPE` subcommand."),
        ],
        args: &[
            arg("cursor", Int),
            arg("pattern", Pattern).token("MATCH").opt(),
            arg("count", Int).token("COUNT").opt(),
            arg("type", Str).token("TYPE").since("6.0.0").opt(),
        ],
    };

    pub const SWAPDB: Docs = Docs {
        name: "swapdb",
        summary: "Swaps two Redis databases",
        since: "4.0.0",
        complexity:
            "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("index1", Int), arg("index2", Int)],
    };

    pub const TOUCH: Docs = Docs {
        name: "touch",
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        since: "3.2.1",
        complexity: "O(N) where N is the number of keys that will be touched.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0).multi(),
        ],
    };

    pub const TTL: Docs = Docs {
        name: "ttl",
        summary: "Get the time to live for a key in seconds",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("2.8.0", "Added the -2 reply.")],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const TYPE: Docs = Docs {
        name: "type",
        summary: "Determine the type stored at key",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const UNLINK: Docs = Docs {
        name: "unlink",
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        since: "4.0.0",
        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0).multi(),
        ],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use crate::commands::test_kit::Kit;
    use crate::config::MaxmemoryPolicy;

    const NIL: &str = "$-1\r\n";
    const OK: &str = "+OK\r\n";
    const NOTINT: &str = "-ERR value is not an integer or out of range\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";
    const RANGE: &str = "-ERR DB index is out of range\r\n";
    const INT_RANGE: &str =
        "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n";
    const SAME: &str = "-ERR source and destination objects are the same\r\n";

    #[test]
    fn inspecting_a_key_is_not_an_access() {
        let mut k = Kit::new();
        k.expect(&[("set k v", OK), ("expire k 1000", ":1\r\n")]);
        k.now += 5_000;
        for cmd in [
            "ttl k",
            "pttl k",
            "expiretime k",
            "pexpiretime k",
            "type k",
            "exists k",
            "object encoding k",
            "object freq k",
        ] {
            k.run(cmd);
        }
        k.expect(&[("object idletime k", ":5\r\n"), ("get k", "$1\r\nv\r\n")]);
        k.expect(&[("object idletime k", ":0\r\n")]);
    }

    #[test]
    fn del_unlink_exists_type() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("mset a 1 b 2 c 3", OK),
            ("del a a b x", ":2\r\n"),
            ("exists c c x", ":2\r\n"),
            ("type c", "+string\r\n"),
            ("type l", "+list\r\n"),
            ("type nokey", "+none\r\n"),
            ("unlink c l", ":2\r\n"),
            ("del x", ":0\r\n"),
            (
                "del",
                "-ERR wrong number of arguments for 'del' command\r\n",
            ),
        ]);
        assert_eq!(k.aof, ["mset a 1 b 2 c 3", "del a a b x", "unlink c l"]);
        assert_eq!(k.events[6..], ["0 del a", "0 del b", "0 del c", "0 del l"]);
    }

    #[test]
    fn lazily_expired_keys_are_gone_and_fed_as_del() {
        let mut k = Kit::new();
        k.expect(&[("set k v px 100", OK)]);
        k.clear();
        k.now += 101;
        k.expect(&[
            ("exists k", ":0\r\n"),
            ("del k", ":0\r\n"),
            ("ttl k", ":-2\r\n"),
        ]);
        assert_eq!(k.aof, ["DEL k"]);
        assert_eq!(k.events, ["0 expired k"]);
        assert_eq!(k.store.stats.expired, 1);
    }

    #[test]
    fn keys_skips_expired_keys() {
        let mut k = Kit::new();
        k.expect(&[("mset a 1 b 2", OK), ("pexpire b 10", ":1\r\n")]);
        assert!(k.run("keys *").starts_with("*2\r\n"));
        k.now += 11;
        k.expect(&[
            ("keys *", "*1\r\n$1\r\na\r\n"),
            (
                "keys",
                "-ERR wrong number of arguments for 'keys' command\r\n",
            ),
            ("flushall", OK),
            ("keys *", "*0\r\n"),
        ]);
        // KEYS does not delete what it skips.
        assert_eq!(k.aof.last().map(String::as_str), Some("flushall"));
    }

    #[test]
    fn keys_sorted_matches() {
        let mut k = Kit::new();
        k.run("mset a 1 b 2");
        let r = k.run("keys *");
        assert!(r == "*2\r\n$1\r\na\r\n$1\r\nb\r\n" || r == "*2\r\n$1\r\nb\r\n$1\r\na\r\n");
        assert_eq!(k.run("keys a"), "*1\r\n$1\r\na\r\n");
    }

    #[test]
    fn scan_options_and_errors() {
        let mut k = Kit::new();
        let empty = "*2\r\n$1\r\n0\r\n*0\r\n";
        k.expect(&[
            ("scan 0", empty),
            ("scan x", "-ERR invalid cursor\r\n"),
            ("scan 18446744073709551616", "-ERR invalid cursor\r\n"),
            ("scan 0 count 0", SYNTAX),
            ("scan 0 count -1", SYNTAX),
            ("scan 0 count x", NOTINT),
            ("scan 0 count 9223372036854775808", NOTINT),
            ("scan 0 match", SYNTAX),
            ("scan 0 foo", SYNTAX),
            ("scan 0 type", SYNTAX),
            ("scan 0 type foo", empty),
            ("scan 0 count 1 count 2", empty),
            ("scan 0 count 9223372036854775807", empty),
            ("scan 0 count 10 match * type string", empty),
            (
                "scan",
                "-ERR wrong number of arguments for 'scan' command\r\n",
            ),
        ]);
        // The invalid cursor is reported before any option error.
        assert_eq!(k.run("scan x foo"), "-ERR invalid cursor\r\n");
    }

    #[test]
    fn scan_filters() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("mset a1 1 a2 2 b1 3", OK),
            ("pexpire a2 10", ":1\r\n"),
            ("scan 0 match b*", "*2\r\n$1\r\n0\r\n*1\r\n$2\r\nb1\r\n"),
            ("scan 0 type LIST", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nl\r\n"),
        ]);
        k.now += 11;
        let r = k.run("scan 0 match a*");
        assert_eq!(r, "*2\r\n$1\r\n0\r\n*1\r\n$2\r\na1\r\n");
        assert_eq!(k.run("dbsize"), ":3\r\n");
    }

    #[test]
    fn scan_walks_the_whole_keyspace() {
        let mut k = Kit::new();
        for i in 0..500 {
            k.run(&format!("set key:{i} v"));
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut rounds = 0;
        loop {
            let owned = k.run(&format!("scan {cursor} count 7"));
            let parts: Vec<&str> = owned.split("\r\n").collect();
            cursor = parts[2].to_string();
            for w in parts.iter().skip(5).step_by(2) {
                if w.starts_with("key:") {
                    seen.insert(w.to_string());
                }
            }
            rounds += 1;
            if cursor == "0" || rounds > 10_000 {
                break;
            }
        }
        assert_eq!(seen.len(), 500);
    }

    #[test]
    fn randomkey_and_dbsize() {
        let mut k = Kit::new();
        k.expect(&[
            ("randomkey", NIL),
            ("dbsize", ":0\r\n"),
            ("set a 1", OK),
            ("randomkey", "$1\r\na\r\n"),
            ("pexpire a 5", ":1\r\n"),
            ("set b 1", OK),
            ("dbsize", ":2\r\n"),
        ]);
        k.now += 6;
        k.clear();
        k.expect(&[("randomkey", "$1\r\nb\r\n"), ("randomkey", "$1\r\nb\r\n")]);
        assert!(k.aof.iter().all(|c| c == "DEL a"));
        k.run("pexpire b 1");
        k.now += 2;
        assert_eq!(k.run("randomkey"), NIL);
    }

    #[test]
    fn rename_and_renamenx() {
        let mut k = Kit::new();
        k.expect(&[
            ("set c 1", OK),
            ("rename c d", OK),
            ("rename nokey e", "-ERR no such key\r\n"),
            ("rename d d", OK),
            ("rename nokey nokey", "-ERR no such key\r\n"),
            ("renamenx d d", ":0\r\n"),
            ("renamenx nokey e", "-ERR no such key\r\n"),
            ("set e 1", OK),
            ("renamenx d e", ":0\r\n"),
            ("expire d 100", ":1\r\n"),
            ("rename d e", OK),
            ("ttl e", ":100\r\n"),
            ("exists d", ":0\r\n"),
            ("renamenx e f", ":1\r\n"),
            ("ttl f", ":100\r\n"),
        ]);
        assert_eq!(
            k.aof,
            [
                "set c 1",
                "rename c d",
                "set e 1",
                "PEXPIREAT d 1700000100000",
                "rename d e",
                "renamenx e f"
            ]
        );
        assert_eq!(
            k.events[2..5],
            ["0 new d", "0 rename_from c", "0 rename_to d"]
        );
    }

    #[test]
    fn copy_command() {
        let mut k = Kit::new();
        k.expect(&[
            ("set e 1", OK),
            ("expire e 100", ":1\r\n"),
            ("copy e f", ":1\r\n"),
            ("ttl f", ":100\r\n"),
            ("copy e f", ":0\r\n"),
            ("copy e f replace", ":1\r\n"),
            ("copy e e", SAME),
            ("copy nokey f", ":0\r\n"),
            ("copy e g db 1", ":1\r\n"),
            ("copy e g db 16", RANGE),
            ("copy e g db -1", RANGE),
            ("copy e g db 4294967296", INT_RANGE),
            ("copy e g db -4294967296", INT_RANGE),
            ("copy e g db x", NOTINT),
            ("copy e g db", SYNTAX),
            ("copy e g foo", SYNTAX),
            ("copy e g replace replace", ":1\r\n"),
            ("copy e e db 1", ":1\r\n"),
            ("copy e e db 1", ":0\r\n"),
        ]);
        k.client.db = 1;
        k.expect(&[("get g", "$1\r\n1\r\n"), ("ttl e", ":100\r\n")]);
        assert!(k.events.contains(&"1 copy_to g".to_string()));
        assert!(k.events.contains(&"1 new g".to_string()));
        assert!(k.touched.contains(&"1 g".to_string()));
    }

    #[test]
    fn move_and_copy_side_effects() {
        let mut k = Kit::new();
        k.expect(&[("set a 1", OK), ("set b 2", OK), ("select 1", OK)]);
        k.expect(&[("set b 9", OK), ("select 0", OK)]);
        k.client.db = 0;
        k.clear();
        k.expect(&[("move a 1", ":1\r\n")]);
        assert_eq!(k.dirty, 1);
        assert_eq!(k.events, ["1 new a", "0 move_from a", "1 move_to a"]);
        assert_eq!(k.touched, ["0 a", "1 a"]);
        k.clear();
        k.expect(&[("copy b c db 1", ":1\r\n"), ("copy b b db 1", ":0\r\n")]);
        k.expect(&[("copy b b db 1 replace", ":1\r\n")]);
        assert_eq!(
            k.events,
            ["1 new c", "1 copy_to c", "1 new b", "1 copy_to b"]
        );
        assert_eq!(k.touched, ["1 c", "1 b"]);
        assert_eq!(k.aof, ["copy b c db 1", "copy b b db 1 replace"]);
        k.clear();
        k.expect(&[("flushdb", OK), ("flushdb", OK), ("swapdb 0 1", OK)]);
        assert_eq!(k.aof, ["flushdb", "flushdb", "swapdb 0 1"]);
        assert!(k.events.is_empty());
    }

    #[test]
    fn copy_is_deep() {
        let mut k = Kit::new();
        k.expect(&[
            ("set a x", OK),
            ("copy a b", ":1\r\n"),
            ("append b y", ":2\r\n"),
            ("get a", "$1\r\nx\r\n"),
        ]);
    }

    #[test]
    fn move_command() {
        let mut k = Kit::new();
        k.expect(&[
            ("set f 1", OK),
            ("move f 0", SAME),
            ("move f 16", RANGE),
            ("move f x", NOTINT),
            ("move f -1", RANGE),
            ("move f 99999999999", INT_RANGE),
            ("move f 2147483647", RANGE),
            ("move nokey 1", ":0\r\n"),
            ("pexpire f 100000", ":1\r\n"),
            ("move f 1", ":1\r\n"),
            ("exists f", ":0\r\n"),
            ("set f 2", OK),
            ("move f 1", ":0\r\n"),
        ]);
        k.client.db = 1;
        k.expect(&[("get f", "$1\r\n1\r\n"), ("pttl f", ":100000\r\n")]);
        assert!(k.events.contains(&"0 move_from f".to_string()));
        assert!(k.events.contains(&"1 move_to f".to_string()));
        assert!(k.touched.contains(&"0 f".to_string()) && k.touched.contains(&"1 f".to_string()));
    }

    #[test]
    fn flush_and_swapdb() {
        let mut k = Kit::new();
        k.expect(&[
            ("mset a 1 b 2", OK),
            ("swapdb 0 1", OK),
            ("dbsize", ":0\r\n"),
            ("swapdb 0 16", RANGE),
            ("swapdb x 1", "-ERR invalid first DB index\r\n"),
            ("swapdb 0 x", "-ERR invalid second DB index\r\n"),
            ("swapdb 0 4294967296", "-ERR invalid second DB index\r\n"),
            ("swapdb -1 0", RANGE),
            ("swapdb 0 0", OK),
            ("swapdb 1 0", OK),
            ("dbsize", ":2\r\n"),
            ("flushdb foo", SYNTAX),
            ("flushdb async sync", SYNTAX),
            ("flushall foo", SYNTAX),
            ("flushall sync extra", SYNTAX),
            ("flushdb ASYNC", OK),
            ("dbsize", ":0\r\n"),
            ("flushdb sync", OK),
            ("flushall", OK),
            ("flushall async", OK),
        ]);
        assert_eq!(
            k.aof,
            [
                "mset a 1 b 2",
                "swapdb 0 1",
                "swapdb 0 0",
                "swapdb 1 0",
                "flushdb ASYNC",
                "flushdb sync",
                "flushall",
                "flushall async"
            ]
        );
        k.client.db = 3;
        k.run("set x 1");
        k.client.db = 0;
        k.run("flushdb");
        k.client.db = 3;
        assert_eq!(k.run("dbsize"), ":1\r\n");
        k.run("flushall");
        assert_eq!(k.run("dbsize"), ":0\r\n");
    }

    #[test]
    fn expire_conditions() {
        let mut k = Kit::new();
        k.expect(&[
            ("set k v", OK),
            ("expire k 100", ":1\r\n"),
            ("expire k 100 nx", ":0\r\n"),
            ("expire k 200 xx", ":1\r\n"),
            ("expire nokey 100", ":0\r\n"),
            ("expire k 50 gt", ":0\r\n"),
            ("expire k 500 gt", ":1\r\n"),
            ("expire k 50 lt", ":1\r\n"),
            ("expire k 50 LT xx", ":0\r\n"),
            ("expire k 100 xx gt", ":1\r\n"),
            ("persist k", ":1\r\n"),
            ("expire k 100 xx", ":0\r\n"),
            ("expire k 100 gt", ":0\r\n"),
            ("expire k 100 lt", ":1\r\n"),
            ("ttl k", ":100\r\n"),
            ("persist k", ":1\r\n"),
            ("expire k -1 gt", ":0\r\n"),
            ("exists k", ":1\r\n"),
            ("expire k -1 lt", ":1\r\n"),
            ("exists k", ":0\r\n"),
            ("set k v", OK),
            ("expire k -1 nx", ":1\r\n"),
            ("exists k", ":0\r\n"),
            ("expire nokey -1", ":0\r\n"),
        ]);
    }

    #[test]
    fn expire_errors() {
        let mut k = Kit::new();
        let both = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
        k.expect(&[
            ("set k v", OK),
            ("expire k 100 nx xx", both),
            ("expire k 100 nx gt", both),
            ("expire k 100 lt nx", both),
            (
                "expire k 100 gt lt",
                "-ERR GT and LT options at the same time are not compatible\r\n",
            ),
            ("expire k 100 foo", "-ERR Unsupported option foo\r\n"),
            ("expire nokey 100 foo", "-ERR Unsupported option foo\r\n"),
            ("expire k abc", NOTINT),
            ("expire k abc foo", "-ERR Unsupported option foo\r\n"),
            (
                "expire k 9223372036854775807",
                "-ERR invalid expire time in 'expire' command\r\n",
            ),
            (
                "expire k 9223372036854774",
                "-ERR invalid expire time in 'expire' command\r\n",
            ),
            (
                "expire k -9223372036854776",
                "-ERR invalid expire time in 'expire' command\r\n",
            ),
            (
                "pexpire k 9223372036854775000",
                "-ERR invalid expire time in 'pexpire' command\r\n",
            ),
            (
                "expireat k 9223372036854775807",
                "-ERR invalid expire time in 'expireat' command\r\n",
            ),
            ("expireat k 9223372036854775", ":1\r\n"),
            ("expiretime k", ":9223372036854775\r\n"),
            ("pexpireat k 9223372036854775807", ":1\r\n"),
            ("pexpiretime k", ":9223372036854775807\r\n"),
            ("expiretime k", ":9223372036854776\r\n"),
            (
                "expire k",
                "-ERR wrong number of arguments for 'expire' command\r\n",
            ),
        ]);
    }

    #[test]
    fn expire_propagation_and_events() {
        let mut k = Kit::new();
        k.expect(&[
            ("mset a 1 b 2", OK),
            ("expire a 100 nx", ":1\r\n"),
            ("pexpire a 100000 xx", ":1\r\n"),
            ("expireat a 99999999999 gt", ":1\r\n"),
            ("pexpireat a 99999999999000 lt", ":0\r\n"),
            ("pexpireat a 99999999990000 lt", ":1\r\n"),
            ("expire a -1", ":1\r\n"),
            ("expire b 0 gt", ":0\r\n"),
            ("persist b", ":0\r\n"),
            ("expire b 100", ":1\r\n"),
            ("persist b", ":1\r\n"),
            ("pexpireat b 1", ":1\r\n"),
        ]);
        assert_eq!(
            k.aof,
            [
                "mset a 1 b 2",
                "PEXPIREAT a 1700000100000 nx",
                "PEXPIREAT a 1700000100000 xx",
                "PEXPIREAT a 99999999999000 gt",
                "pexpireat a 99999999990000 lt",
                "DEL a",
                "PEXPIREAT b 1700000100000",
                "persist b",
                "DEL b"
            ]
        );
        assert_eq!(
            k.events[4..],
            [
                "0 expire a",
                "0 expire a",
                "0 expire a",
                "0 expire a",
                "0 del a",
                "0 expire b",
                "0 persist b",
                "0 del b"
            ]
        );
    }

    #[test]
    fn ttl_family() {
        let mut k = Kit::new();
        k.expect(&[
            ("ttl nokey", ":-2\r\n"),
            ("pttl nokey", ":-2\r\n"),
            ("expiretime nokey", ":-2\r\n"),
            ("pexpiretime nokey", ":-2\r\n"),
            ("set k v", OK),
            ("ttl k", ":-1\r\n"),
            ("pttl k", ":-1\r\n"),
            ("expiretime k", ":-1\r\n"),
            ("pexpiretime k", ":-1\r\n"),
            ("pexpire k 1499", ":1\r\n"),
            ("ttl k", ":1\r\n"),
            ("pttl k", ":1499\r\n"),
            ("pexpiretime k", ":1700000001499\r\n"),
            ("expiretime k", ":1700000001\r\n"),
            ("pexpire k 1500", ":1\r\n"),
            ("ttl k", ":2\r\n"),
        ]);
    }

    #[test]
    fn touch_counts_existing_keys() {
        let mut k = Kit::new();
        k.expect(&[
            ("touch a b", ":0\r\n"),
            ("mset a 1 b 2", OK),
            ("touch a b c a", ":3\r\n"),
        ]);
        assert_eq!(k.aof, ["mset a 1 b 2"]);
    }

    #[test]
    fn object_subcommands() {
        let mut k = Kit::new();
        k.expect(&[
            ("mset a 123 b abc d 10000 e -1", OK),
            ("set c 12345678901234567890123", OK),
            ("object encoding a", "$3\r\nint\r\n"),
            ("object encoding b", "$6\r\nembstr\r\n"),
            ("object encoding c", "$6\r\nembstr\r\n"),
            ("object encoding nokey", NIL),
            ("object refcount a", ":2147483647\r\n"),
            ("object refcount b", ":1\r\n"),
            ("object refcount d", ":1\r\n"),
            ("object refcount e", ":1\r\n"),
            ("object refcount nokey", NIL),
            ("object idletime nokey", NIL),
            ("object freq nokey", NIL),
            (
                "object freq a",
                "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n",
            ),
            ("object", "-ERR wrong number of arguments for 'object' command\r\n"),
            ("object foo", "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"),
            (
                "object encoding",
                "-ERR wrong number of arguments for 'object|encoding' command\r\n",
            ),
            (
                "object encoding a b",
                "-ERR wrong number of arguments for 'object|encoding' command\r\n",
            ),
            (
                "object help x",
                "-ERR wrong number of arguments for 'object|help' command\r\n",
            ),
        ]);
        k.core.config_mut().maxmemory_policy = MaxmemoryPolicy::AllkeysLfu;
        k.expect(&[(
            "object idletime a",
            "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n",
        )]);
        k.core.config_mut().maxmemory = 1 << 30;
        k.expect(&[("object refcount a", ":1\r\n")]);
    }

    #[test]
    fn object_help() {
        let mut k = Kit::new();
        let want = "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n+    Return the kind of internal representation used in order to store the value\r\n+    associated with a <key>.\r\n+FREQ <key>\r\n+    Return the access frequency index of the <key>. The returned integer is\r\n+    proportional to the logarithm of the recent access frequency of the key.\r\n+IDLETIME <key>\r\n+    Return the idle time of the <key>, that is the approximated number of\r\n+    seconds elapsed since the last access to the key.\r\n+REFCOUNT <key>\r\n+    Return the number of references of the value associated with the specified\r\n+    <key>.\r\n+HELP\r\n+    Prints this help.\r\n";
        assert_eq!(k.run("object help"), want);
        assert_eq!(k.run("OBJECT HELP"), want);
    }

    #[test]
    fn writes_signal_their_keys() {
        let mut k = Kit::new();
        k.run("set a 1");
        k.run("incr a");
        k.run("append a x");
        k.run("setrange a 0 y");
        k.run("expire a 10");
        k.run("persist a");
        k.run("rename a b");
        k.run("del b");
        assert_eq!(
            k.touched,
            ["0 a", "0 a", "0 a", "0 a", "0 a", "0 a", "0 a", "0 b", "0 b"]
        );
    }
}
