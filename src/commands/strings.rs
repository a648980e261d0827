//! The strings family: GET SET and its variants, MGET MSET, APPEND, ranges, counters, LCS.
//!
//! Replies, error texts and option rules follow Redis 7.0: SET and GETEX share one option
//! parser with Redis's conflict rules (NX/XX, GET, KEEPTTL/PERSIST and the four expiry
//! forms); relative expiry times become absolute before anything is stored, and every
//! non-deterministic form is fed to the AOF rewritten (SET ... PXAT, PEXPIREAT, DEL,
//! SET ... KEEPTTL for INCRBYFLOAT). GET, SET and the counters are the hot paths: they do
//! one keyspace lookup where they can and allocate nothing beyond the stored value.

#![deny(clippy::indexing_slicing)]

use super::flags::*;
use super::{cmd, sds_cmd, Args, CommandDef, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::store::bytes::Sds;
use crate::store::{notify, Store, Value, ENC_MASK, ENC_NOINT, ENC_RAW};
use crate::util::num::{incr_by_float, parse_i64, FloatIncr};

pub const COMMANDS: &[CommandDef] = &[
    cmd("get", 2, READONLY | FAST, get)
        .docs(&docs::GET)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("set", -3, WRITE | DENYOOM, set)
        .docs(&docs::SET)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("setnx", 3, WRITE | DENYOOM | FAST, setnx)
        .docs(&docs::SETNX)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("setex", 4, WRITE | DENYOOM, setex)
        .docs(&docs::SETEX)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("psetex", 4, WRITE | DENYOOM, psetex)
        .docs(&docs::PSETEX)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("getset", 3, WRITE | DENYOOM | FAST, getset)
        .docs(&docs::GETSET)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("getdel", 2, WRITE | FAST, getdel)
        .docs(&docs::GETDEL)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("getex", -2, WRITE | FAST, getex)
        .docs(&docs::GETEX)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("mget", -2, READONLY | FAST, mget)
        .docs(&docs::MGET)
        .keys(1, -1, 1)
        .group(Group::String),
    cmd("mset", -3, WRITE | DENYOOM, mset)
        .docs(&docs::MSET)
        .keys(1, -1, 2)
        .group(Group::String),
    cmd("msetnx", -3, WRITE | DENYOOM, msetnx)
        .docs(&docs::MSETNX)
        .keys(1, -1, 2)
        .group(Group::String),
    cmd("append", 3, WRITE | DENYOOM | FAST, append)
        .docs(&docs::APPEND)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("strlen", 2, READONLY | FAST, strlen)
        .docs(&docs::STRLEN)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("getrange", 4, READONLY, getrange)
        .docs(&docs::GETRANGE)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("setrange", 4, WRITE | DENYOOM, setrange)
        .docs(&docs::SETRANGE)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("substr", 4, READONLY, getrange)
        .docs(&docs::SUBSTR)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("incr", 2, WRITE | DENYOOM | FAST, incr)
        .docs(&docs::INCR)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("decr", 2, WRITE | DENYOOM | FAST, decr)
        .docs(&docs::DECR)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("incrby", 3, WRITE | DENYOOM | FAST, incrby)
        .docs(&docs::INCRBY)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("decrby", 3, WRITE | DENYOOM | FAST, decrby)
        .docs(&docs::DECRBY)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("incrbyfloat", 3, WRITE | DENYOOM | FAST, incrbyfloat)
        .docs(&docs::INCRBYFLOAT)
        .keys(1, 1, 1)
        .group(Group::String),
    cmd("lcs", -3, READONLY, lcs)
        .docs(&docs::LCS)
        .keys(1, 2, 1)
        .group(Group::String),
];

/// `ERR string exceeds maximum allowed size (proto-max-bulk-len)` unless `len + add`
/// fits in `max`.
fn check_string_length(max: u64, len: usize, add: usize) -> CmdResult {
    match (len as u64).checked_add(add as u64) {
        Some(total) if total <= max => Ok(()),
        _ => Err(Error::msg(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// How an expiry argument is expressed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ExpireKind {
    /// EX: seconds from now.
    Ex,
    /// PX: milliseconds from now.
    Px,
    /// EXAT: Unix time in seconds.
    ExAt,
    /// PXAT: Unix time in milliseconds.
    PxAt,
}

/// Turns an expiry argument into an absolute time in ms, with Redis's checks: an integer,
/// positive, and no overflow on the way (`ERR invalid expire time in '<cmd>' command`).
pub(crate) fn expire_at_ms(
    arg: &[u8],
    kind: ExpireKind,
    now: i64,
    name: &'static str,
) -> Result<i64, Error> {
    let v = parse_i64(arg).ok_or(Error::NotInteger)?;
    let secs = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if v <= 0 || (secs && v > i64::MAX / 1000) {
        return Err(Error::InvalidExpire(name));
    }
    let ms = if secs { v * 1000 } else { v };
    let when = match kind {
        ExpireKind::Ex | ExpireKind::Px => ms.checked_add(now),
        ExpireKind::ExAt | ExpireKind::PxAt => Some(ms),
    };
    match when {
        Some(w) if w > 0 => Ok(w),
        _ => Err(Error::InvalidExpire(name)),
    }
}

/// The options of SET (`for_set`) or GETEX, as Redis's parser accepts them.
#[derive(Default)]
struct StrOpts<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

fn parse_str_opts<'a>(a: &Args<'a>, for_set: bool) -> Result<StrOpts<'a>, Error> {
    const EXPIRY: &[(&str, ExpireKind)] = &[
        ("ex", ExpireKind::Ex),
        ("px", ExpireKind::Px),
        ("exat", ExpireKind::ExAt),
        ("pxat", ExpireKind::PxAt),
    ];
    let mut o = StrOpts::default();
    let mut c = a.cursor(if for_set { 3 } else { 2 });
    while !c.is_done() {
        if let Some(k) = c.keyword(EXPIRY) {
            // An expiry form may repeat itself (the last one wins) but not mix with
            // another, and needs its value.
            let ok = !o.keepttl && !o.persist && o.expire.is_none_or(|(e, _)| e == k);
            match c.next() {
                Some(v) if ok => o.expire = Some((k, v)),
                _ => return Err(Error::Syntax),
            }
        } else if for_set && !o.xx && c.eat("nx") {
            o.nx = true;
        } else if for_set && !o.nx && c.eat("xx") {
            o.xx = true;
        } else if for_set && c.eat("get") {
            o.get = true;
        } else if for_set && !o.persist && o.expire.is_none() && c.eat("keepttl") {
            o.keepttl = true;
        } else if !for_set && !o.keepttl && o.expire.is_none() && c.eat("persist") {
            o.persist = true;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(o)
}

/// GET key
fn get(ctx: &mut Ctx, a: &Args) -> CmdResult {
    match ctx.store.lookup_read(a.get(1)) {
        None => ctx.reply.null(),
        Some(Value::Str(s)) => ctx.reply.bulk(s),
        Some(_) => return Err(Error::WrongType),
    }
    Ok(())
}

/// Stores a string value (Redis setKey), raising `new` for a created key. `keep_ttl`
/// keeps an existing expiry.
#[inline]
fn store_string(store: &mut Store, key: &[u8], val: &[u8], keep_ttl: bool) {
    store.set(key, Value::Str(Sds::from(val)), keep_ttl);
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
fn set(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (key, val) = (a.get(1), a.get(2));
    if a.len() == 3 {
        store_string(ctx.store, key, val, false);
        ctx.store.modified(key, notify::STRING, "set");
        ctx.reply.ok();
        return Ok(());
    }
    let o = parse_str_opts(a, true)?;
    let when = match o.expire {
        Some((k, arg)) => Some(expire_at_ms(arg, k, ctx.store.now, "set")?),
        None => None,
    };
    if o.get {
        match ctx.store.lookup_read(key) {
            None => ctx.reply.null(),
            Some(Value::Str(s)) => ctx.reply.bulk(s),
            Some(_) => return Err(Error::WrongType),
        }
    }
    let found = ctx.store.lookup_write(key).is_some();
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            ctx.reply.null();
        }
        return Ok(());
    }
    ctx.store.set(key, Value::Str(Sds::from(val)), o.keepttl);
    ctx.store.modified(key, notify::STRING, "set");
    if let Some(w) = when {
        ctx.store.set_expire(key, w);
        ctx.store.event(key, notify::GENERIC, "expire");
        let ms = itoa::Buffer::new().format(w).as_bytes().to_vec();
        ctx.rewrite_as(vec![sds_cmd(&[b"SET", key, val, b"PXAT", &ms])]);
    } else if o.get {
        // Fed to the AOF without its GET arguments.
        let kept: Vec<Sds> = a
            .iter()
            .enumerate()
            .filter(|&(j, arg)| j < 3 || !arg.eq_ignore_ascii_case(b"get"))
            .map(|(_, arg)| Sds::from(arg))
            .collect();
        ctx.rewrite_as(vec![kept]);
    }
    if !o.get {
        ctx.reply.ok();
    }
    Ok(())
}

/// SETNX key value
fn setnx(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    if ctx.store.lookup_write(key).is_some() {
        ctx.reply.int(0);
        return Ok(());
    }
    ctx.store.add(key, Value::Str(Sds::from(a.get(2))));
    ctx.store.modified(key, notify::STRING, "set");
    ctx.reply.int(1);
    Ok(())
}

/// SETEX and PSETEX: set with a relative expiry, fed to the AOF as SET ... PXAT.
fn set_with_expire(ctx: &mut Ctx, a: &Args, kind: ExpireKind) -> CmdResult {
    let (key, val) = (a.get(1), a.get(3));
    let when = expire_at_ms(a.get(2), kind, ctx.store.now, ctx.cmd.name)?;
    store_string(ctx.store, key, val, false);
    ctx.store.modified(key, notify::STRING, "set");
    ctx.store.set_expire(key, when);
    ctx.store.event(key, notify::GENERIC, "expire");
    let ms = itoa::Buffer::new().format(when).as_bytes().to_vec();
    ctx.rewrite_as(vec![sds_cmd(&[b"SET", key, val, b"PXAT", &ms])]);
    ctx.reply.ok();
    Ok(())
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx, a: &Args) -> CmdResult {
    set_with_expire(ctx, a, ExpireKind::Ex)
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx, a: &Args) -> CmdResult {
    set_with_expire(ctx, a, ExpireKind::Px)
}

/// GETSET key value
fn getset(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (key, val) = (a.get(1), a.get(2));
    match ctx.store.lookup_read(key) {
        None => ctx.reply.null(),
        Some(Value::Str(s)) => ctx.reply.bulk(s),
        Some(_) => return Err(Error::WrongType),
    };
    ctx.store.set(key, Value::Str(Sds::from(val)), false);
    ctx.store.modified(key, notify::STRING, "set");
    ctx.rewrite_as(vec![sds_cmd(&[b"SET", key, val])]);
    Ok(())
}

/// GETDEL key
fn getdel(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    match ctx.store.lookup_read(key) {
        None => {
            ctx.reply.null();
            return Ok(());
        }
        Some(Value::Str(_)) => {}
        Some(_) => return Err(Error::WrongType),
    }
    if let Some(Value::Str(s)) = ctx.store.take(key) {
        ctx.reply.bulk(&s);
    }
    ctx.store.modified(key, notify::GENERIC, "del");
    ctx.rewrite_as(vec![sds_cmd(&[b"DEL", key])]);
    Ok(())
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
fn getex(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let o = parse_str_opts(a, false)?;
    match ctx.store.lookup_read(key) {
        None => {
            ctx.reply.null();
            return Ok(());
        }
        Some(Value::Str(_)) => {}
        Some(_) => return Err(Error::WrongType),
    }
    let when = match o.expire {
        Some((k, arg)) => Some(expire_at_ms(arg, k, ctx.store.now, "getex")?),
        None => None,
    };
    if let Some(Value::Str(s)) = ctx.store.db().keys.get(key) {
        ctx.reply.bulk(s);
    }
    let absolute = matches!(o.expire, Some((ExpireKind::ExAt | ExpireKind::PxAt, _)));
    match when {
        Some(w) if absolute && w <= ctx.store.now && !ctx.store.loading => {
            ctx.store.take(key);
            ctx.store.modified(key, notify::GENERIC, "del");
            ctx.rewrite_as(vec![sds_cmd(&[b"DEL", key])]);
        }
        Some(w) => {
            ctx.store.set_expire(key, w);
            ctx.store.modified(key, notify::GENERIC, "expire");
            let ms = itoa::Buffer::new().format(w).as_bytes().to_vec();
            ctx.rewrite_as(vec![sds_cmd(&[b"PEXPIREAT", key, &ms])]);
        }
        None if o.persist && ctx.store.persist(key) => {
            ctx.store.modified(key, notify::GENERIC, "persist");
            ctx.rewrite_as(vec![sds_cmd(&[b"PERSIST", key])]);
        }
        None => {}
    }
    Ok(())
}

/// MGET key [key ...]
fn mget(ctx: &mut Ctx, a: &Args) -> CmdResult {
    ctx.reply.array(a.len() - 1);
    for key in a.from(1) {
        match ctx.store.lookup_read(key) {
            Some(Value::Str(s)) => ctx.reply.bulk(s),
            _ => ctx.reply.null(),
        }
    }
    Ok(())
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len().is_multiple_of(2) {
        return Err(Error::Arity("mset".into()));
    }
    for j in (1..a.len()).step_by(2) {
        store_string(ctx.store, a.get(j), a.get(j + 1), false);
        ctx.store.modified(a.get(j), notify::STRING, "set");
    }
    ctx.reply.ok();
    Ok(())
}

/// MSETNX key value [key value ...]
fn msetnx(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len().is_multiple_of(2) {
        return Err(Error::Arity("msetnx".into()));
    }
    for j in (1..a.len()).step_by(2) {
        if ctx.store.lookup_write(a.get(j)).is_some() {
            ctx.reply.int(0);
            return Ok(());
        }
    }
    for j in (1..a.len()).step_by(2) {
        store_string(ctx.store, a.get(j), a.get(j + 1), false);
        ctx.store.modified(a.get(j), notify::STRING, "set");
    }
    ctx.reply.int(1);
    Ok(())
}

/// APPEND key value
fn append(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (key, val) = (a.get(1), a.get(2));
    let max = ctx.config().proto_max_bulk_len;
    let total = match ctx.store.lookup_write_meta(key) {
        None => {
            ctx.store.add(key, Value::Str(Sds::from(val)));
            val.len()
        }
        Some((Value::Str(s), meta)) => {
            check_string_length(max, s.len(), val.len())?;
            s.push_slice(val);
            *meta |= ENC_RAW;
            s.len()
        }
        Some(_) => return Err(Error::WrongType),
    };
    ctx.store.modified(key, notify::STRING, "append");
    ctx.reply.int(total as i64);
    Ok(())
}

/// STRLEN key
fn strlen(ctx: &mut Ctx, a: &Args) -> CmdResult {
    match ctx.store.lookup_read(a.get(1)) {
        None => ctx.reply.int(0),
        Some(Value::Str(s)) => ctx.reply.int(s.len() as i64),
        Some(_) => return Err(Error::WrongType),
    }
    Ok(())
}

/// The byte range GETRANGE returns for `start..=end` of a string of `len` bytes, with
/// Redis's clamping; None when empty.
fn clamp_range(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

/// GETRANGE key start end (and SUBSTR, its old name)
fn getrange(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let start = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
    let end = parse_i64(a.get(3)).ok_or(Error::NotInteger)?;
    match ctx.store.lookup_read(a.get(1)) {
        None => ctx.reply.bulk(b""),
        Some(Value::Str(s)) => match clamp_range(start, end, s.len()) {
            // clamp_range keeps the range within the string.
            Some((from, to)) => ctx.reply.bulk(s.get(from..=to).unwrap_or_default()),
            None => ctx.reply.bulk(b""),
        },
        Some(_) => return Err(Error::WrongType),
    }
    Ok(())
}

/// SETRANGE key offset value
fn setrange(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (key, val) = (a.get(1), a.get(3));
    let offset = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
    if offset < 0 {
        return Err(Error::msg("ERR offset is out of range"));
    }
    let max = ctx.config().proto_max_bulk_len;
    let offset = offset as usize;
    let fits = || check_string_length(max, offset, val.len());
    let new_len = match ctx.store.lookup_write_meta(key) {
        None => {
            if val.is_empty() {
                ctx.reply.int(0);
                return Ok(());
            }
            fits()?;
            let mut s = Sds::new();
            s.set_range(offset, val);
            let n = s.len();
            ctx.store.add(key, Value::Str(s));
            ctx.store.mark_encoding(key, ENC_RAW);
            n
        }
        Some((Value::Str(s), meta)) => {
            if val.is_empty() {
                ctx.reply.int(s.len() as i64);
                return Ok(());
            }
            fits()?;
            s.set_range(offset, val);
            *meta |= ENC_RAW;
            s.len()
        }
        Some(_) => return Err(Error::WrongType),
    };
    ctx.store.modified(key, notify::STRING, "setrange");
    ctx.reply.int(new_len as i64);
    Ok(())
}

/// Adds `by` to the integer at `key` (created as 0), in place when the new value has the
/// length of the old one. Replies with the new value.
fn incr_decr(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let mut digits = itoa::Buffer::new();
    let store = &mut *ctx.store;
    let value = match store.lookup_write_meta_or_vacant(key) {
        Ok((Value::Str(s), meta)) => {
            let cur = parse_i64(s).ok_or(Error::NotInteger)?;
            let v = cur.checked_add(by).ok_or(Error::Overflow)?;
            let text = digits.format(v).as_bytes();
            if text.len() == s.len() {
                s.set_range(0, text);
            } else {
                *s = Sds::from(text);
            }
            // The result is a fresh integer object in Redis: no encoding history.
            *meta &= !ENC_MASK;
            v
        }
        Ok(_) => return Err(Error::WrongType),
        Err(vacant) => {
            let text = digits.format(by).as_bytes();
            store.add_vacant(key, Value::Str(Sds::from(text)), vacant);
            by
        }
    };
    store.modified(key, notify::STRING, "incrby");
    ctx.reply.int(value);
    Ok(())
}

/// INCR key
fn incr(ctx: &mut Ctx, a: &Args) -> CmdResult {
    incr_decr(ctx, a.get(1), 1)
}

/// DECR key
fn decr(ctx: &mut Ctx, a: &Args) -> CmdResult {
    incr_decr(ctx, a.get(1), -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let by = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
    incr_decr(ctx, a.get(1), by)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let by = parse_i64(a.get(2)).ok_or(Error::NotInteger)?;
    if by == i64::MIN {
        return Err(Error::msg("ERR decrement would overflow"));
    }
    incr_decr(ctx, a.get(1), -by)
}

/// INCRBYFLOAT key increment
fn incrbyfloat(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let result = match ctx.store.lookup_write(key) {
        None => incr_by_float(None, a.get(2)),
        Some(Value::Str(s)) => incr_by_float(Some(s), a.get(2)),
        Some(_) => return Err(Error::WrongType),
    };
    let v = match result {
        FloatIncr::Value(v) => v,
        FloatIncr::NotFloat => return Err(Error::NotFloat),
        FloatIncr::NanOrInf => {
            return Err(Error::msg("ERR increment would produce NaN or Infinity"))
        }
    };
    ctx.reply.bulk(&v);
    let rewrite = sds_cmd(&[b"SET", key, &v, b"KEEPTTL"]);
    ctx.store.set(key, Value::Str(Sds::from_vec(v)), true);
    ctx.store.mark_encoding(key, ENC_NOINT);
    ctx.store.modified(key, notify::STRING, "incrbyfloat");
    ctx.rewrite_as(vec![rewrite]);
    Ok(())
}

/// What LCS was asked to reply.
struct LcsOpts {
    len: bool,
    idx: bool,
    withmatchlen: bool,
    minmatchlen: i64,
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
fn lcs(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (k1, k2) = (a.get(1), a.get(2));
    let t1 = ctx
        .store
        .lookup_read(k1)
        .map(|v| matches!(v, Value::Str(_)));
    let t2 = ctx
        .store
        .lookup_read(k2)
        .map(|v| matches!(v, Value::Str(_)));
    if t1 == Some(false) || t2 == Some(false) {
        return Err(Error::msg(
            "ERR The specified keys must contain string values",
        ));
    }
    let mut o = LcsOpts {
        len: false,
        idx: false,
        withmatchlen: false,
        minmatchlen: 0,
    };
    let mut c = a.cursor(3);
    while !c.is_done() {
        if c.eat("idx") {
            o.idx = true;
        } else if c.eat("len") {
            o.len = true;
        } else if c.eat("withmatchlen") {
            o.withmatchlen = true;
        } else if c.eat_with("minmatchlen", 1) {
            o.minmatchlen = c.i64()?.max(0);
        } else {
            return Err(Error::Syntax);
        }
    }
    if o.idx && o.len {
        return Err(Error::msg(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let db = ctx.store.db();
    let text = |k: &[u8]| match db.keys.get(k) {
        Some(Value::Str(s)) => s.as_slice(),
        _ => &b""[..],
    };
    let max_bytes = ctx.config().proto_max_bulk_len;
    lcs_reply(&mut ctx.reply, text(k1), text(k2), &o, max_bytes)
}

/// Computes the longest common subsequence of `a` and `b` and writes the reply LCS's
/// options ask for (the string, its length, or the matching ranges).
/// The table may take at most `max_bytes` (proto-max-bulk-len, as Redis bounds it).
fn lcs_reply(
    r: &mut crate::resp::reply::Reply,
    a: &[u8],
    b: &[u8],
    o: &LcsOpts,
    max_bytes: u64,
) -> CmdResult {
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(Error::msg("ERR String too long for LCS"));
    }
    let (alen, blen) = (a.len(), b.len());
    let width = blen + 1;
    let cells = (alen + 1).checked_mul(width).ok_or_else(lcs_no_memory)?;
    if (cells as u64).saturating_mul(4) > max_bytes {
        return Err(lcs_no_memory());
    }
    let mut dp: Vec<u32> = Vec::new();
    dp.try_reserve_exact(cells).map_err(|_| lcs_no_memory())?;
    dp.resize(cells, 0);
    // dp[i * width + j]: LCS length of a[..i] and b[..j]. Row i is filled from row i - 1
    // (`up`: its cells j and j - 1) and from its own cell j - 1 (`left`).
    let mut rows = dp.chunks_exact_mut(width);
    if let Some(mut prev) = rows.next() {
        for (row, &ac) in rows.zip(a) {
            let mut left = 0u32;
            let cells = row
                .iter_mut()
                .skip(1)
                .zip(prev.iter().zip(prev.iter().skip(1)));
            for ((cell, (&diag, &up)), &bc) in cells.zip(b) {
                *cell = if ac == bc { diag + 1 } else { up.max(left) };
                left = *cell;
            }
            prev = row;
        }
    }
    let total = dp.last().copied().unwrap_or(0);
    let at = |i: usize, j: usize| dp.get(i * width + j).copied().unwrap_or(0);
    if o.len && !o.idx {
        r.int(total as i64);
        return Ok(());
    }
    // Walk back from the end, collecting the string and the matching ranges (as
    // (a_start, a_end, b_start, b_end), from the last match to the first).
    // Collected from the end, then reversed.
    let mut result = Vec::with_capacity(total as usize);
    let mut ranges: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut cur: Option<(usize, usize, usize, usize)> = None;
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit = false;
        let (Some(&ai), Some(&bj)) = (a.get(i - 1), b.get(j - 1)) else {
            break;
        };
        if ai == bj {
            result.push(ai);
            match cur.as_mut() {
                None => cur = Some((i - 1, i - 1, j - 1, j - 1)),
                Some(c) if c.0 == i && c.2 == j => {
                    c.0 -= 1;
                    c.2 -= 1;
                }
                Some(_) => emit = true,
            }
            if let Some(c) = cur {
                if c.0 == 0 || c.2 == 0 {
                    emit = true;
                }
            }
            i -= 1;
            j -= 1;
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            if cur.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(c) = cur.take() {
                let len = (c.1 - c.0 + 1) as i64;
                if o.minmatchlen == 0 || len >= o.minmatchlen {
                    ranges.push(c);
                }
            }
        }
    }
    result.reverse();
    if !o.idx {
        r.bulk(&result);
        return Ok(());
    }
    r.map(2);
    r.bulk(b"matches");
    r.array(ranges.len());
    for (a0, a1, b0, b1) in ranges {
        r.array(if o.withmatchlen { 3 } else { 2 });
        r.array(2);
        r.int(a0 as i64);
        r.int(a1 as i64);
        r.array(2);
        r.int(b0 as i64);
        r.int(b1 as i64);
        if o.withmatchlen {
            r.int((a1 - a0 + 1) as i64);
        }
    }
    r.bulk(b"len");
    r.int(total as i64);
    Ok(())
}

fn lcs_no_memory() -> Error {
    Error::msg("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const APPEND: Docs = Docs {
        name: "append",
        summary: "Append a value to a key",
        since: "2.0.0",
        complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("value", Str),
        ],
    };

    pub const DECR: Docs = Docs {
        name: "decr",
        summary: "Decrement the integer value of a key by one",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const DECRBY: Docs = Docs {
        name: "decrby",
        summary: "Decrement the integer value of a key by the given number",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("decrement", Int)],
    };

    pub const GET: Docs = Docs {
        name: "get",
        summary: "Get the value of a key",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const GETDEL: Docs = Docs {
        name: "getdel",
        summary: "Get the value of a key and delete the key",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const GETEX: Docs = Docs {
        name: "getex",
        summary: "Get the value of a key and optionally set its expiration",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("expiration", OneOf).opt().args(&[
                arg("seconds", Int).token("EX"),
                arg("milliseconds", Int).token("PX"),
                arg("unix-time-seconds", UnixTime).token("EXAT"),
                arg("unix-time-milliseconds", UnixTime).token("PXAT"),
                arg("persist", PureToken).token("PERSIST"),
            ]),
        ],
    };

    pub const GETRANGE: Docs = Docs {
        name: "getrange",
        summary: "Get a substring of the string stored at a key",
        since: "2.4.0",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("start", Int),
            arg("end", Int),
        ],
    };

    pub const GETSET: Docs = Docs {
        name: "getset",
        summary: "Set the string value of a key and return its old value",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`SET` with the `!GET` argument",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("value", Str)],
    };

    pub const INCR: Docs = Docs {
        name: "incr",
        summary: "Increment the integer value of a key by one",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const INCRBY: Docs = Docs {
        name: "incrby",
        summary: "Increment the integer value of a key by the given amount",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("increment", Int)],
    };

    pub const INCRBYFLOAT: Docs = Docs {
        name: "incrbyfloat",
        summary: "Increment the float value of a key by the given amount",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("increment", Double)],
    };

    pub const LCS: Docs = Docs {
        name: "lcs",
        summary: "Find longest common substring",
        since: "7.0.0",
        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key1", Key).key_spec(0),
            arg("key2", Key).key_spec(0),
            arg("len", PureToken).token("LEN").opt(),
            arg("idx", PureToken).token("IDX").opt(),
            arg("len", Int).token("MINMATCHLEN").opt(),
            arg("withmatchlen", PureToken).token("WITHMATCHLEN").opt(),
        ],
    };

    pub const MGET: Docs = Docs {
        name: "mget",
        summary: "Get the values of all the given keys",
        since: "1.0.0",
        complexity: "O(N) where N is the number of keys to retrieve.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0).multi()],
    };

    pub const MSET: Docs = Docs {
        name: "mset",
        summary: "Set multiple keys to multiple values",
        since: "1.0.1",
        complexity: "O(N) where N is the number of keys to set.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key_value", Block)
            .multi()
            .args(&[arg("key", Key).key_spec(0), arg("value", Str)])],
    };

    pub const MSETNX: Docs = Docs {
        name: "msetnx",
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        since: "1.0.1",
        complexity: "O(N) where N is the number of keys to set.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key_value", Block)
            .multi()
            .args(&[arg("key", Key).key_spec(0), arg("value", Str)])],
    };

    pub const PSETEX: Docs = Docs {
        name: "psetex",
        summary: "Set the value and expiration in milliseconds of a key",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("milliseconds", Int),
            arg("value", Str),
        ],
    };

    pub const SET: Docs = Docs {
        name: "set",
        summary: "Set the string value of a key",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
            ("6.0.0", "Added the `KEEPTTL` option."),
            ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
            (
                "7.0.0",
                "Allowed the `NX` and `GET` options to be used together.",
            ),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("value", Str),
            arg("condition", OneOf).since("2.6.12").opt().args(&[
                arg("nx", PureToken).token("NX"),
                arg("xx", PureToken).token("XX"),
            ]),
            arg("get", PureToken).token("GET").since("6.2.0").opt(),
            arg("expiration", OneOf).opt().args(&[
                arg("seconds", Int).token("EX").since("2.6.12"),
                arg("milliseconds", Int).token("PX").since("2.6.12"),
                arg("unix-time-seconds", UnixTime)
                    .token("EXAT")
                    .since("6.2.0"),
                arg("unix-time-milliseconds", UnixTime)
                    .token("PXAT")
                    .since("6.2.0"),
                arg("keepttl", PureToken).token("KEEPTTL").since("6.0.0"),
            ]),
        ],
    };

    pub const SETEX: Docs = Docs {
        name: "setex",
        summary: "Set the value and expiration of a key",
        since: "2.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("seconds", Int),
            arg("value", Str),
        ],
    };

    pub const SETNX: Docs = Docs {
        name: "setnx",
        summary: "Set the value of a key, only if the key does not exist",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("value", Str)],
    };

    pub const SETRANGE: Docs = Docs {
        name: "setrange",
        summary: "Overwrite part of a string at key starting at the specified offset",
        since: "2.2.0",
        complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("offset", Int),
            arg("value", Str),
        ],
    };

    pub const STRLEN: Docs = Docs {
        name: "strlen",
        summary: "Get the length of the value stored in a key",
        since: "2.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const SUBSTR: Docs = Docs {
        name: "substr",
        summary: "Get a substring of the string stored at a key",
        since: "1.0.0",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        doc_flags: &["deprecated"],
        deprecated_since: "2.0.0",
        replaced_by: "`GETRANGE`",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("start", Int),
            arg("end", Int),
        ],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use crate::commands::test_kit::Kit;

    const NIL: &str = "$-1\r\n";
    const OK: &str = "+OK\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const NOTINT: &str = "-ERR value is not an integer or out of range\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    #[test]
    fn get_and_set() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("get k", NIL),
            ("set k v", OK),
            ("get k", "$1\r\nv\r\n"),
            ("get l", WRONGTYPE),
            ("set l v", OK),
            ("get l", "$1\r\nv\r\n"),
            (
                "get",
                "-ERR wrong number of arguments for 'get' command\r\n",
            ),
            (
                "set k",
                "-ERR wrong number of arguments for 'set' command\r\n",
            ),
        ]);
        assert_eq!(k.call(&[b"set", b"", b""]), OK);
        assert_eq!(k.call(&[b"get", b""]), "$0\r\n\r\n");
        assert_eq!(k.aof, ["set k v", "set l v", "set  "]);
        assert_eq!(
            k.events,
            ["0 new k", "0 set k", "0 set l", "0 new ", "0 set "]
        );
        assert_eq!(k.touched, ["0 k", "0 l", "0 "]);
    }

    #[test]
    fn set_option_conflicts() {
        let mut k = Kit::new();
        k.expect(&[
            ("set k v nx xx", SYNTAX),
            ("set k v xx nx", SYNTAX),
            ("set k v nx nx", OK),
            ("set k v ex 10 px 100", SYNTAX),
            ("set k v ex 10 keepttl", SYNTAX),
            ("set k v keepttl ex 10", SYNTAX),
            ("set k v keepttl pxat 10", SYNTAX),
            ("set k v ex", SYNTAX),
            ("set k v persist", SYNTAX),
            ("set k v foo", SYNTAX),
            ("set k v exat 10 exat", SYNTAX),
            ("set k v keepttl keepttl", OK),
            ("set k v get get", "$1\r\nv\r\n"),
            ("set k v EX 10 ex 20", OK),
            ("pttl k", ":20000\r\n"),
        ]);
    }

    #[test]
    fn set_expire_errors() {
        let mut k = Kit::new();
        let inv = "-ERR invalid expire time in 'set' command\r\n";
        k.expect(&[
            ("set k v ex abc", NOTINT),
            ("set k v ex 1.5", NOTINT),
            ("set k v ex 0", inv),
            ("set k v ex -1", inv),
            ("set k v px 0", inv),
            ("set k v exat 0", inv),
            ("set k v pxat 0", inv),
            ("set k v ex 9223372036854775807", inv),
            ("set k v ex 9223372036854776", inv),
            // Fits once multiplied, overflows once the clock is added.
            ("set k v ex 9223372036854775", inv),
            ("set k v px 9223372036854775000", inv),
            ("set k v ex 9223372036854775808", NOTINT),
            ("exists k", ":0\r\n"),
            ("set k v pxat 9223372036854775807", OK),
            ("pexpiretime k", ":9223372036854775807\r\n"),
            ("set k v exat 9223372036854775", OK),
            ("pexpiretime k", ":9223372036854775000\r\n"),
        ]);
        // The expiry is checked before GET and before the type.
        k.put_list("l");
        k.expect(&[("set l v get ex 0", inv), ("set l v get", WRONGTYPE)]);
    }

    #[test]
    fn set_expiry_is_fed_as_pxat() {
        let mut k = Kit::new();
        k.expect(&[
            ("set k v ex 100", OK),
            ("pttl k", ":100000\r\n"),
            ("set k v px 1500", OK),
            ("set k v exat 1800000000", OK),
            ("set k v pxat 1800000000123", OK),
        ]);
        assert_eq!(
            k.aof,
            [
                "SET k v PXAT 1700000100000",
                "SET k v PXAT 1700000001500",
                "SET k v PXAT 1800000000000",
                "SET k v PXAT 1800000000123"
            ]
        );
        assert_eq!(
            k.events[..3],
            ["0 new k".to_string(), "0 set k".into(), "0 expire k".into()]
        );
    }

    #[test]
    fn set_in_the_past_is_kept_until_looked_up() {
        let mut k = Kit::new();
        k.expect(&[("set k v exat 1", OK)]);
        assert_eq!(k.aof, ["SET k v PXAT 1000"]);
        k.clear();
        k.expect(&[("set k w", OK)]);
        assert_eq!(k.aof, ["DEL k", "set k w"]);
        assert_eq!(k.events, ["0 expired k", "0 new k", "0 set k"]);
    }

    #[test]
    fn set_nx_xx_get_keepttl() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("set k v xx", NIL),
            ("set k v nx", OK),
            ("set k w nx", NIL),
            ("set k w xx", OK),
            ("get k", "$1\r\nw\r\n"),
            ("set n v nx get", NIL),
            ("get n", "$1\r\nv\r\n"),
            ("set n x nx get", "$1\r\nv\r\n"),
            ("set n y xx get", "$1\r\nv\r\n"),
            ("set m y xx get", NIL),
            ("exists m", ":0\r\n"),
            ("set l v get", WRONGTYPE),
            ("set l v nx get", WRONGTYPE),
            ("expire k 100", ":1\r\n"),
            ("set k v keepttl", OK),
            ("ttl k", ":100\r\n"),
            ("set k v", OK),
            ("ttl k", ":-1\r\n"),
        ]);
        k.clear();
        k.expect(&[("set n z GET keepttl get", "$1\r\ny\r\n")]);
        assert_eq!(k.aof, ["set n z keepttl"]);
        k.clear();
        k.expect(&[("set n z get ex 10", "$1\r\nz\r\n")]);
        assert_eq!(k.aof, ["SET n z PXAT 1700000010000"]);
    }

    #[test]
    fn setnx_setex_psetex() {
        let mut k = Kit::new();
        k.expect(&[
            ("setnx k v", ":1\r\n"),
            ("setnx k w", ":0\r\n"),
            ("get k", "$1\r\nv\r\n"),
            ("setex k 10 v", OK),
            ("ttl k", ":10\r\n"),
            (
                "setex k 0 v",
                "-ERR invalid expire time in 'setex' command\r\n",
            ),
            (
                "setex k -5 v",
                "-ERR invalid expire time in 'setex' command\r\n",
            ),
            ("setex k abc v", NOTINT),
            (
                "setex k 9223372036854775 v",
                "-ERR invalid expire time in 'setex' command\r\n",
            ),
            (
                "psetex k 0 v",
                "-ERR invalid expire time in 'psetex' command\r\n",
            ),
            ("psetex k 100000 v", OK),
            ("pttl k", ":100000\r\n"),
        ]);
        assert_eq!(
            k.aof,
            [
                "setnx k v",
                "SET k v PXAT 1700000010000",
                "SET k v PXAT 1700000100000"
            ]
        );
    }

    #[test]
    fn getset_getdel() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("getset k a", NIL),
            ("getset k b", "$1\r\na\r\n"),
            ("getset l x", WRONGTYPE),
            ("expire k 100", ":1\r\n"),
            ("getset k c", "$1\r\nb\r\n"),
            ("ttl k", ":-1\r\n"),
            ("getdel k", "$1\r\nc\r\n"),
            ("getdel k", NIL),
            ("getdel l", WRONGTYPE),
            ("type l", "+list\r\n"),
        ]);
        assert_eq!(
            k.aof,
            [
                "SET k a",
                "SET k b",
                "PEXPIREAT k 1700000100000",
                "SET k c",
                "DEL k"
            ]
        );
        assert!(k.events.contains(&"0 del k".to_string()));
    }

    #[test]
    fn getex_options_and_errors() {
        let mut k = Kit::new();
        k.put_list("l");
        let inv = "-ERR invalid expire time in 'getex' command\r\n";
        k.expect(&[
            // Options are parsed first; a missing key then answers nil; the type comes
            // before the expiry value.
            ("getex nokey foo", SYNTAX),
            ("getex nokey ex", SYNTAX),
            ("getex nokey ex abc", NIL),
            ("getex nokey ex 0", NIL),
            ("getex l", WRONGTYPE),
            ("getex l ex 0", WRONGTYPE),
            ("set k v", OK),
            ("getex k ex 0", inv),
            ("getex k ex -1", inv),
            ("getex k pxat 0", inv),
            ("getex k ex abc", NOTINT),
            ("getex k px 100 ex 10", SYNTAX),
            ("getex k persist ex 10", SYNTAX),
            ("getex k ex 10 persist", SYNTAX),
            ("getex k keepttl", SYNTAX),
            ("getex k nx", SYNTAX),
            ("getex k get", SYNTAX),
            ("getex k persist persist", "$1\r\nv\r\n"),
            ("getex k ex 10 ex 20", "$1\r\nv\r\n"),
            ("ttl k", ":20\r\n"),
        ]);
    }

    #[test]
    fn getex_propagation() {
        let mut k = Kit::new();
        k.expect(&[
            ("set k v", OK),
            ("getex k", "$1\r\nv\r\n"),
            ("getex k persist", "$1\r\nv\r\n"),
            ("getex k ex 100", "$1\r\nv\r\n"),
            ("getex k persist", "$1\r\nv\r\n"),
            ("ttl k", ":-1\r\n"),
            ("getex k px 100", "$1\r\nv\r\n"),
            ("getex k pxat 99999999999999", "$1\r\nv\r\n"),
            ("getex k exat 1", "$1\r\nv\r\n"),
            ("exists k", ":0\r\n"),
        ]);
        assert_eq!(
            k.aof,
            [
                "set k v",
                "PEXPIREAT k 1700000100000",
                "PERSIST k",
                "PEXPIREAT k 1700000000100",
                "PEXPIREAT k 99999999999999",
                "DEL k"
            ]
        );
        assert_eq!(
            k.events,
            [
                "0 new k",
                "0 set k",
                "0 expire k",
                "0 persist k",
                "0 expire k",
                "0 expire k",
                "0 del k"
            ]
        );
    }

    #[test]
    fn mget_mset_msetnx() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("mset a 1 b 2", OK),
            ("mget a b c l", "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$-1\r\n"),
            (
                "mset a 1 b",
                "-ERR wrong number of arguments for 'mset' command\r\n",
            ),
            (
                "msetnx a 1 b",
                "-ERR wrong number of arguments for 'msetnx' command\r\n",
            ),
            (
                "mset a",
                "-ERR wrong number of arguments for 'mset' command\r\n",
            ),
            ("msetnx a 1 c 2", ":0\r\n"),
            ("exists c", ":0\r\n"),
            ("msetnx c 1 d 2", ":1\r\n"),
            ("msetnx dup 1 dup 2", ":1\r\n"),
            ("get dup", "$1\r\n2\r\n"),
            ("mset l x", OK),
            ("get l", "$1\r\nx\r\n"),
        ]);
        assert_eq!(
            k.aof,
            [
                "mset a 1 b 2",
                "msetnx c 1 d 2",
                "msetnx dup 1 dup 2",
                "mset l x"
            ]
        );
        assert_eq!(k.events[..4], ["0 new a", "0 set a", "0 new b", "0 set b"]);
        assert_eq!(k.store.dirty(), 7);
    }

    #[test]
    fn append_and_strlen() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("append s abc", ":3\r\n"),
            ("append s def", ":6\r\n"),
            ("append s ", ":6\r\n"),
            ("get s", "$6\r\nabcdef\r\n"),
            ("strlen s", ":6\r\n"),
            ("strlen nokey", ":0\r\n"),
            ("strlen l", WRONGTYPE),
            ("append l x", WRONGTYPE),
            ("setex t 100 v", OK),
            ("append t x", ":2\r\n"),
            ("ttl t", ":100\r\n"),
        ]);
        assert_eq!(k.aof[..3], ["append s abc", "append s def", "append s "]);
        assert_eq!(
            k.events[..4],
            ["0 new s", "0 append s", "0 append s", "0 append s"]
        );
    }

    #[test]
    fn append_and_setrange_respect_proto_max_bulk_len() {
        let mut k = Kit::new();
        k.core.config_mut().proto_max_bulk_len = 10;
        let big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
        k.expect(&[
            ("append s 12345", ":5\r\n"),
            ("append s 12345", ":10\r\n"),
            ("append s x", big),
            ("setrange s 10 x", big),
            ("setrange s 9 x", ":10\r\n"),
            ("setrange n 10 x", big),
            ("setrange n 10 ", ":0\r\n"),
            ("setrange s 100 ", ":10\r\n"),
            ("setrange n 9223372036854775807 x", big),
        ]);
    }

    #[test]
    fn getrange_and_substr() {
        let mut k = Kit::new();
        k.put_list("l");
        k.call(&[b"set", b"k", b"Hello World"]);
        k.expect(&[
            ("getrange k 0 -100", "$1\r\nH\r\n"),
            ("getrange k -1 -5", "$0\r\n\r\n"),
            ("getrange k -5 -1", "$5\r\nWorld\r\n"),
            ("getrange k 5 3", "$0\r\n\r\n"),
            ("getrange k 0 1000", "$11\r\nHello World\r\n"),
            ("getrange k -1000 -1000", "$1\r\nH\r\n"),
            ("getrange k -50 -100", "$0\r\n\r\n"),
            ("getrange k 100 200", "$0\r\n\r\n"),
            (
                "getrange k 9223372036854775807 9223372036854775807",
                "$0\r\n\r\n",
            ),
            (
                "getrange k -9223372036854775808 -9223372036854775808",
                "$1\r\nH\r\n",
            ),
            ("getrange k 0 9223372036854775808", NOTINT),
            ("getrange k x 0", NOTINT),
            ("getrange k 0 x", NOTINT),
            ("getrange nokey x 0", NOTINT),
            ("getrange nokey 0 1", "$0\r\n\r\n"),
            ("getrange l 0 1", WRONGTYPE),
            ("substr k 0 3", "$4\r\nHell\r\n"),
            ("set e ", OK),
            ("getrange e 0 -1", "$0\r\n\r\n"),
            ("getrange e 0 0", "$0\r\n\r\n"),
            ("set n 12345", OK),
            ("getrange n 1 2", "$2\r\n23\r\n"),
        ]);
    }

    #[test]
    fn setrange() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("set s abcdef", OK),
            ("setrange s 1 X", ":6\r\n"),
            ("setrange s 1 ", ":6\r\n"),
            ("get s", "$6\r\naXcdef\r\n"),
            ("setrange t 0 ", ":0\r\n"),
            ("exists t", ":0\r\n"),
            ("setrange t 3 ab", ":5\r\n"),
            ("setrange s -1 x", "-ERR offset is out of range\r\n"),
            ("setrange s abc x", NOTINT),
            ("setrange l 0 x", WRONGTYPE),
            ("setrange l 0 ", WRONGTYPE),
            ("setrange l -1 ", "-ERR offset is out of range\r\n"),
        ]);
        assert_eq!(k.call(&[b"get", b"t"]), "$5\r\n\0\0\0ab\r\n");
        assert_eq!(k.aof[1..], ["setrange s 1 X", "setrange t 3 ab"]);
        assert_eq!(k.events[2..], ["0 setrange s", "0 new t", "0 setrange t"]);
    }

    #[test]
    fn incr_family() {
        let mut k = Kit::new();
        k.put_list("l");
        let overflow = "-ERR increment or decrement would overflow\r\n";
        k.expect(&[
            ("incr i", ":1\r\n"),
            ("incrby i 10", ":11\r\n"),
            ("decr i", ":10\r\n"),
            ("decrby i 5", ":5\r\n"),
            ("decrby i -5", ":10\r\n"),
            ("get i", "$2\r\n10\r\n"),
            ("incrby i -20", ":-10\r\n"),
            ("get i", "$3\r\n-10\r\n"),
            ("decr j", ":-1\r\n"),
            ("incrby k -9223372036854775808", ":-9223372036854775808\r\n"),
            ("set big 9223372036854775807", OK),
            ("incr big", overflow),
            ("incrby big 0", ":9223372036854775807\r\n"),
            ("decrby big -1", overflow),
            ("set small -9223372036854775808", OK),
            ("decr small", overflow),
            ("decrby small 1", overflow),
            (
                "decrby x -9223372036854775808",
                "-ERR decrement would overflow\r\n",
            ),
            ("incrby x abc", NOTINT),
            ("incrby x 1.5", NOTINT),
            ("incrby l abc", NOTINT),
            ("incr l", WRONGTYPE),
            ("set f 3.0", OK),
            ("incr f", NOTINT),
            ("set e ", OK),
            ("incr e", NOTINT),
            ("set w 123456789012345678901", OK),
            ("incr w", NOTINT),
            ("setex t 100 5", OK),
            ("incr t", ":6\r\n"),
            ("ttl t", ":100\r\n"),
        ]);
        assert_eq!(
            k.aof[..4],
            ["incr i", "incrby i 10", "decr i", "decrby i 5"]
        );
        assert_eq!(k.events[..3], ["0 new i", "0 incrby i", "0 incrby i"]);
    }

    #[test]
    fn incr_rejects_non_canonical_integers() {
        let mut k = Kit::new();
        assert_eq!(k.call(&[b"incrby", b"x", b" 1"]), NOTINT);
        k.expect(&[
            ("incrby x +1", NOTINT),
            ("set z 01", OK),
            ("incr z", NOTINT),
            ("set p +1", OK),
            ("incr p", NOTINT),
            ("set m -0", OK),
            ("incr m", NOTINT),
        ]);
    }

    #[test]
    fn incrbyfloat() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("incrbyfloat f 1", "$1\r\n1\r\n"),
            ("incrbyfloat f 1e3", "$4\r\n1001\r\n"),
            ("incrbyfloat f 0.5", "$6\r\n1001.5\r\n"),
            ("incrbyfloat f abc", "-ERR value is not a valid float\r\n"),
            ("incrbyfloat l 1", WRONGTYPE),
            ("set s abc", OK),
            ("incrbyfloat s 1", "-ERR value is not a valid float\r\n"),
            ("set s inf", OK),
            (
                "incrbyfloat s 1",
                "-ERR increment would produce NaN or Infinity\r\n",
            ),
            ("setex t 100 1", OK),
            ("incrbyfloat t 1", "$1\r\n2\r\n"),
            ("ttl t", ":100\r\n"),
        ]);
        assert_eq!(
            k.aof[..3],
            [
                "SET f 1 KEEPTTL",
                "SET f 1001 KEEPTTL",
                "SET f 1001.5 KEEPTTL"
            ]
        );
        assert_eq!(k.events[..2], ["0 new f", "0 incrbyfloat f"]);
    }

    #[test]
    fn lcs_replies() {
        let mut k = Kit::new();
        k.put_list("l");
        k.expect(&[
            ("mset key1 ohmytext key2 mynewtext", OK),
            ("lcs key1 key2", &bulk("mytext")),
            ("lcs key1 key2 len", ":6\r\n"),
            (
                "lcs key1 key2 idx",
                "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
            ),
            (
                "lcs key1 key2 idx minmatchlen 4",
                "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
            ),
            (
                "lcs key1 key2 idx minmatchlen 4 withmatchlen",
                "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
            ),
            (
                "lcs key1 key2 idx withmatchlen",
                "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n",
            ),
            (
                "lcs key1 key2 minmatchlen -5 idx",
                "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
            ),
            ("lcs key1 key2 len withmatchlen", ":6\r\n"),
            ("lcs key1 key2 withmatchlen", &bulk("mytext")),
            ("lcs key1 key2 minmatchlen 3", &bulk("mytext")),
            ("lcs nokey key2", "$0\r\n\r\n"),
            (
                "lcs nokey key2 idx",
                "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
            ),
            ("lcs nokey nokey2 len", ":0\r\n"),
        ]);
        k.client.resp3 = true;
        assert_eq!(
            k.run("lcs key1 key2 idx withmatchlen"),
            "%2\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"
        );
    }

    #[test]
    fn lcs_errors() {
        let mut k = Kit::new();
        k.put_list("l");
        let both = "-ERR If you want both the length and indexes, please just use IDX.\r\n";
        let types = "-ERR The specified keys must contain string values\r\n";
        k.expect(&[
            ("mset a x b y", OK),
            ("lcs a b len idx", both),
            ("lcs a b idx len", both),
            ("lcs a b minmatchlen", SYNTAX),
            ("lcs a b minmatchlen x", NOTINT),
            ("lcs a b foo", SYNTAX),
            ("lcs l a", types),
            ("lcs a l len idx", types),
            ("lcs a l foo", types),
            (
                "lcs a",
                "-ERR wrong number of arguments for 'lcs' command\r\n",
            ),
        ]);
    }

    #[test]
    fn lcs_matches_a_brute_force_length() {
        // LCS length by a different method (recursion with memo) on small inputs.
        fn slow(a: &[u8], b: &[u8]) -> usize {
            let mut m = vec![vec![0usize; b.len() + 1]; a.len() + 1];
            for i in (0..a.len()).rev() {
                for j in (0..b.len()).rev() {
                    m[i][j] = if a[i] == b[j] {
                        1 + m[i + 1][j + 1]
                    } else {
                        m[i + 1][j].max(m[i][j + 1])
                    };
                }
            }
            m[0][0]
        }
        let mut k = Kit::new();
        let samples: &[(&[u8], &[u8])] = &[
            (b"abcbdab", b"bdcaba"),
            (b"aaaa", b"aa"),
            (b"", b"abc"),
            (b"xyz", b"xyz"),
            (b"abcdefghij", b"acegi"),
        ];
        for (a, b) in samples {
            k.call(&[b"mset", b"a", a, b"b", b]);
            let want = slow(a, b);
            assert_eq!(k.run("lcs a b len"), format!(":{want}\r\n"));
            let s = k.run("lcs a b");
            assert!(s.starts_with(&format!("${want}\r\n")), "{s}");
        }
    }

    #[test]
    fn resp3_nulls() {
        let mut k = Kit::new();
        k.client.resp3 = true;
        k.expect(&[
            ("get k", "_\r\n"),
            ("mget k", "*1\r\n_\r\n"),
            ("set k v xx", "_\r\n"),
            ("getdel k", "_\r\n"),
        ]);
    }
}
