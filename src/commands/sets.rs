//! The sets family: SADD SREM SISMEMBER SMISMEMBER SMEMBERS SCARD SPOP SRANDMEMBER SMOVE
//! SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN, as Redis 7.0
//! runs them.
//!
//! The value type lives in `store::set` (intset or hash table). Every write reports itself
//! with one `Store::modified` call (dirty count, WATCH and blocked-client signal, and the
//! keyspace event under Redis's name); a set that loses its last member is deleted
//! (`Store::remove_emptied`). SPOP is fed to the AOF as what it did: SREM of the popped member
//! (several members per SREM, up to 1024, when a count is given), or DEL when it took the
//! whole set. Results of the STORE forms follow the same encoding rules as SADD.

#![deny(clippy::indexing_slicing)]

use super::args::parse_cursor;
use super::flags::*;
use super::{cmd, sds_cmd, Args, CommandDef, Ctx, Group, ScanOpts};
use crate::error::{CmdResult, Error};
use crate::resp::reply::{Agg, Reply};
use crate::server::obuf;
use crate::store::bytes::Sds;
use crate::store::set::{random_below, Member, Set};
use crate::store::{notify, Db, Store, Value};
use crate::util::glob::glob_match;
use std::collections::HashSet;

pub const COMMANDS: &[CommandDef] = &[
    cmd("sadd", -3, WRITE | DENYOOM | FAST, sadd)
        .docs(&docs::SADD)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("srem", -3, WRITE | FAST, srem)
        .docs(&docs::SREM)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("sismember", 3, READONLY | FAST, sismember)
        .docs(&docs::SISMEMBER)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("smismember", -3, READONLY | FAST, smismember)
        .docs(&docs::SMISMEMBER)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("smembers", 2, READONLY, smembers)
        .docs(&docs::SMEMBERS)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("scard", 2, READONLY | FAST, scard)
        .docs(&docs::SCARD)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("spop", -2, WRITE | FAST, spop)
        .docs(&docs::SPOP)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("srandmember", -2, READONLY, srandmember)
        .docs(&docs::SRANDMEMBER)
        .keys(1, 1, 1)
        .group(Group::Set),
    cmd("smove", 4, WRITE | FAST, smove)
        .docs(&docs::SMOVE)
        .keys(1, 2, 1)
        .group(Group::Set),
    cmd("sinter", -2, READONLY, sinter)
        .docs(&docs::SINTER)
        .keys(1, -1, 1)
        .group(Group::Set),
    cmd("sintercard", -3, READONLY, sintercard)
        .docs(&docs::SINTERCARD)
        .keys_fn(sintercard_keys)
        .group(Group::Set),
    cmd("sinterstore", -3, WRITE | DENYOOM, sinterstore)
        .docs(&docs::SINTERSTORE)
        .keys(1, -1, 1)
        .group(Group::Set),
    cmd("sunion", -2, READONLY, sunion)
        .docs(&docs::SUNION)
        .keys(1, -1, 1)
        .group(Group::Set),
    cmd("sunionstore", -3, WRITE | DENYOOM, sunionstore)
        .docs(&docs::SUNIONSTORE)
        .keys(1, -1, 1)
        .group(Group::Set),
    cmd("sdiff", -2, READONLY, sdiff)
        .docs(&docs::SDIFF)
        .keys(1, -1, 1)
        .group(Group::Set),
    cmd("sdiffstore", -3, WRITE | DENYOOM, sdiffstore)
        .docs(&docs::SDIFFSTORE)
        .keys(1, -1, 1)
        .group(Group::Set),
    cmd("sscan", -3, READONLY, sscan)
        .docs(&docs::SSCAN)
        .keys(1, 1, 1)
        .group(Group::Set),
];

/// SPOP with a count switches strategy when fewer than count/5 members would remain.
const SPOP_MOVE_STRATEGY_MUL: usize = 5;
/// SRANDMEMBER with a count copies the set when count * 3 exceeds its size.
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;
/// Members per SREM when SPOP with a count is fed to the AOF.
const SPOP_PROPAGATE_BATCH: usize = 1024;

/// One member as a bulk string.
#[inline]
fn bulk(r: &mut Reply, m: Member) {
    match m {
        Member::Str(s) => r.bulk(s),
        Member::Int(v) => r.bulk_i64(v),
    }
}

/// The set at `key` for a read: None when the key is absent.
#[inline]
fn read<'a>(store: &'a mut Store, key: &[u8]) -> Result<Option<&'a Set>, Error> {
    match store.lookup_read(key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

/// The set at `key` for a write: None when the key is absent.
#[inline]
fn write<'a>(store: &'a mut Store, key: &[u8]) -> Result<Option<&'a mut Set>, Error> {
    match store.lookup_write(key) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

/// `set-max-intset-entries`.
#[inline]
fn max_intset(ctx: &Ctx) -> usize {
    ctx.config().set_max_intset_entries
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let max = max_intset(ctx);
    let added = match write(ctx.store, key)? {
        Some(s) => {
            let mut added = 0;
            for m in a.from(2) {
                added += s.add(m, max) as i64;
            }
            added
        }
        None => {
            let mut s = Set::new();
            let mut added = 0;
            for m in a.from(2) {
                added += s.add(m, max) as i64;
            }
            ctx.store.add(key, Value::Set(Box::new(s)));
            added
        }
    };
    if added > 0 {
        ctx.store
            .modified_by(key, notify::SET, "sadd", added as u64);
    }
    ctx.reply.int(added);
    Ok(())
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let Some(s) = write(ctx.store, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    for m in a.from(2) {
        if s.remove(m) {
            deleted += 1;
            if s.is_empty() {
                break;
            }
        }
    }
    let empty = s.is_empty();
    if deleted > 0 {
        ctx.store
            .modified_by(key, notify::SET, "srem", deleted as u64);
        if empty {
            ctx.store.remove_emptied(key);
        }
    }
    ctx.reply.int(deleted);
    Ok(())
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let is = read(ctx.store, a.get(1))?.is_some_and(|s| s.contains(a.get(2)));
    ctx.reply.int(is as i64);
    Ok(())
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let s = read(ctx.store, a.get(1))?;
    ctx.reply.array(a.len() - 2);
    for m in a.from(2) {
        ctx.reply.int(s.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

/// Replies with every member of `s` as a set.
fn reply_members(r: &mut Reply, s: &Set) {
    r.set(s.len());
    for m in s.iter() {
        bulk(r, m);
    }
}

/// SMEMBERS key
fn smembers(ctx: &mut Ctx, a: &Args) -> CmdResult {
    match read(ctx.store, a.get(1))? {
        Some(s) => reply_members(&mut ctx.reply, s),
        None => ctx.reply.set(0),
    }
    Ok(())
}

/// SCARD key
fn scard(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let n = read(ctx.store, a.get(1))?.map_or(0, |s| s.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let mut c = a.cursor(2);
    match c.remaining() {
        0 => {}
        1 => {
            let count = c.i64_min(0, Error::NotPositive)? as u64;
            return spop_count(ctx, key, count);
        }
        _ => return Err(Error::Syntax),
    }
    let Some(s) = write(ctx.store, key)? else {
        ctx.reply.null();
        return Ok(());
    };
    let Some(m) = s.pop_random() else {
        ctx.reply.null();
        return Ok(());
    };
    let empty = s.is_empty();
    ctx.store.modified(key, notify::SET, "spop");
    if empty {
        ctx.store.remove_emptied(key);
    }
    if ctx.propagates() {
        // Only built when the AOF records commands: it is dropped unread otherwise.
        ctx.rewrite_as(vec![sds_cmd(&[b"SREM", key, &m])]);
    }
    ctx.reply.bulk(&m);
    Ok(())
}

/// SPOP key count
fn spop_count(ctx: &mut Ctx, key: &[u8], count: u64) -> CmdResult {
    let max = max_intset(ctx);
    let Some(s) = write(ctx.store, key)? else {
        ctx.reply.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.set(0);
        return Ok(());
    }
    let size = s.len();
    let r = &mut ctx.reply;
    if count >= size as u64 {
        // Everything: the set goes away, and that is what the AOF gets.
        reply_members(r, s);
        ctx.store.modified_by(key, notify::SET, "spop", size as u64);
        ctx.store.remove_emptied(key);
        ctx.rewrite_as(vec![sds_cmd(&[b"DEL", key])]);
        return Ok(());
    }
    let count = count as usize;
    r.set(count);
    let mut batches: Vec<Vec<Sds>> = Vec::new();
    let mut batch: Vec<Sds> = Vec::new();
    let mut record = |m: Sds, batches: &mut Vec<Vec<Sds>>| {
        if batch.is_empty() {
            batch.push(Sds::from(&b"SREM"[..]));
            batch.push(Sds::from(key));
        }
        batch.push(m);
        if batch.len() - 2 == SPOP_PROPAGATE_BATCH {
            batches.push(std::mem::take(&mut batch));
        }
    };
    let remaining = size - count;
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        // Few members asked for: pick them one by one.
        for _ in 0..count {
            let Some(m) = s.pop_random() else { break };
            r.bulk(&m);
            record(m, &mut batches);
        }
    } else {
        // Most of the set asked for: pick the members that stay, in a new set, and
        // hand out the rest of the old one.
        let mut kept = Set::new();
        for _ in 0..remaining {
            let Some(m) = s.pop_random() else { break };
            kept.add(&m, max);
        }
        for m in s.iter() {
            bulk(r, m);
            record(m.to_sds(), &mut batches);
        }
        *s = kept;
    }
    if batch.len() > 2 {
        batches.push(batch);
    }
    ctx.store
        .modified_by(key, notify::SET, "spop", count as u64);
    ctx.rewrite_as(batches);
    Ok(())
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let mut c = a.cursor(2);
    match c.remaining() {
        0 => {}
        1 => {
            let count = c.i64()?;
            return srandmember_count(ctx, key, count);
        }
        _ => return Err(Error::Syntax),
    }
    match read(ctx.store, key)?.and_then(|s| s.random()) {
        Some(m) => bulk(&mut ctx.reply, m),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// SRANDMEMBER key count
fn srandmember_count(ctx: &mut Ctx, key: &[u8], l: i64) -> CmdResult {
    if l == i64::MIN {
        return Err(Error::msg(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let (count, unique) = (l.unsigned_abs(), l >= 0);
    let Some(s) = read(ctx.store, key)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let r = &mut ctx.reply;
    if count == 0 {
        r.array(0);
        return Ok(());
    }
    // Repeats allowed (or a single member): independent picks.
    if !unique || count == 1 {
        r.array(count as usize);
        for _ in 0..count {
            let Some(m) = s.random() else { break };
            bulk(r, m);
            if obuf::reply_too_big(ctx.srv.config(), ctx.client, r.buf.len()) {
                break;
            }
        }
        return Ok(());
    }
    let size = s.len();
    // The whole set.
    if count >= size as u64 {
        r.array(size);
        for m in s.iter() {
            bulk(r, m);
        }
        return Ok(());
    }
    let count = count as usize;
    let pick_by_removal = |r: &mut Reply| {
        let mut all: Vec<Member> = s.iter().collect();
        while all.len() > count {
            let i = random_below(all.len());
            all.swap_remove(i);
        }
        r.array(all.len());
        for m in all {
            bulk(r, m);
        }
    };
    if count as u64 * SRANDMEMBER_SUB_STRATEGY_MUL > size as u64 {
        // Close to the whole set: drop random members from a copy.
        pick_by_removal(r);
        return Ok(());
    }
    // Far fewer than the set holds: distinct random picks.
    let mut picked: HashSet<Member> = HashSet::with_capacity(count);
    let mut tries = 0usize;
    let budget = count.saturating_mul(64).saturating_add(1024);
    while picked.len() < count && tries < budget {
        if let Some(m) = s.random() {
            picked.insert(m);
        }
        tries += 1;
    }
    if picked.len() < count {
        // The random source is too skewed to find enough distinct members.
        pick_by_removal(r);
        return Ok(());
    }
    r.array(count);
    for m in picked {
        bulk(r, m);
    }
    Ok(())
}

/// What a key holds, for commands that look at two keys before acting.
#[derive(PartialEq, Eq)]
enum Kind {
    Missing,
    Set,
    Other,
}

fn kind(v: Option<&mut Value>) -> Kind {
    match v {
        None => Kind::Missing,
        Some(Value::Set(_)) => Kind::Set,
        Some(_) => Kind::Other,
    }
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (src, dst, m) = (a.get(1), a.get(2), a.get(3));
    let max = max_intset(ctx);
    let sk = kind(ctx.store.lookup_write(src));
    let dk = kind(ctx.store.lookup_write(dst));
    if sk == Kind::Missing {
        ctx.reply.int(0);
        return Ok(());
    }
    if sk == Kind::Other || dk == Kind::Other {
        return Err(Error::WrongType);
    }
    if src == dst {
        let is = read(ctx.store, src)?.is_some_and(|s| s.contains(m));
        ctx.reply.int(is as i64);
        return Ok(());
    }
    let Some(s) = write(ctx.store, src)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    if !s.remove(m) {
        ctx.reply.int(0);
        return Ok(());
    }
    let empty = s.is_empty();
    ctx.store.modified(src, notify::SET, "srem");
    if empty {
        ctx.store.remove_emptied(src);
    }
    let added = match write(ctx.store, dst)? {
        Some(d) => d.add(m, max),
        None => {
            let mut d = Set::new();
            d.add(m, max);
            ctx.store.add(dst, Value::Set(Box::new(d)));
            true
        }
    };
    if added {
        ctx.store.modified(dst, notify::SET, "sadd");
    }
    ctx.reply.int(1);
    Ok(())
}

/// Looks every key up (expiring it if due, counting hits for reads) and checks that each
/// one present holds a set.
fn check_sets(store: &mut Store, keys: &[&[u8]], for_write: bool) -> CmdResult {
    for k in keys {
        let v = if for_write {
            store.lookup_write(k)
        } else {
            store.lookup_read(k)
        };
        if kind(v) == Kind::Other {
            return Err(Error::WrongType);
        }
    }
    Ok(())
}

/// The set at `key` of a database already checked by `check_sets`.
fn get_set<'a>(db: &'a Db, key: &[u8]) -> Option<&'a Set> {
    match db.keys.get(key) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// Stores the result of a STORE form at `dst` (or deletes `dst` when it is empty) and
/// replies with its size.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: Set, event: &'static str) {
    if result.is_empty() {
        ctx.reply.int(0);
        // Redis's dbDelete: the key goes even when its time is past (no expiry check).
        if ctx.store.take(dst).is_some() {
            ctx.store.modified(dst, notify::GENERIC, "del");
        }
        return;
    }
    let n = result.len();
    ctx.store.set(dst, Value::Set(Box::new(result)), false);
    ctx.reply.int(n as i64);
    ctx.store.modified(dst, notify::SET, event);
}

/// What an intersection produces.
enum InterOut<'k> {
    Reply,
    Card(usize),
    Store(&'k [u8]),
}

/// SINTER, SINTERCARD (limit 0 = none) and SINTERSTORE.
fn sinter_generic(ctx: &mut Ctx, keys: &[&[u8]], out: InterOut) -> CmdResult {
    let dst = match out {
        InterOut::Store(d) => Some(d),
        _ => None,
    };
    check_sets(ctx.store, keys, dst.is_some())?;
    let max = max_intset(ctx);
    let db = ctx.store.db();
    let mut sets: Vec<&Set> = Vec::with_capacity(keys.len());
    for k in keys {
        match get_set(db, k) {
            Some(s) => sets.push(s),
            None => {
                // An intersection with an empty set is empty.
                match out {
                    InterOut::Reply => ctx.reply.set(0),
                    InterOut::Card(_) => ctx.reply.int(0),
                    InterOut::Store(d) => store_result(ctx, d, Set::new(), "sinterstore"),
                }
                return Ok(());
            }
        }
    }
    sets.sort_by_key(|s| s.len());
    let (first, rest) = match sets.split_first() {
        Some((f, r)) => (*f, r),
        None => {
            ctx.reply.set(0);
            return Ok(());
        }
    };
    let in_all = |m: Member| {
        rest.iter()
            .all(|s| std::ptr::eq(*s, first) || s.contains_member(m))
    };
    match out {
        InterOut::Reply => {
            let r = &mut ctx.reply;
            let d = r.begin(Agg::Set);
            let mut n = 0;
            for m in first.iter() {
                if in_all(m) {
                    bulk(r, m);
                    n += 1;
                }
            }
            r.end(d, n);
        }
        InterOut::Card(limit) => {
            let mut n = 0;
            for m in first.iter() {
                if in_all(m) {
                    n += 1;
                    if limit != 0 && n >= limit {
                        break;
                    }
                }
            }
            ctx.reply.int(n as i64);
        }
        InterOut::Store(d) => {
            let mut result = Set::new();
            for m in first.iter() {
                if in_all(m) {
                    result.add_member(m, max);
                }
            }
            store_result(ctx, d, result, "sinterstore");
        }
    }
    Ok(())
}

/// SUNION, SDIFF and their STORE forms.
fn sunion_diff(ctx: &mut Ctx, keys: &[&[u8]], dst: Option<&[u8]>, diff: bool) -> CmdResult {
    check_sets(ctx.store, keys, dst.is_some())?;
    let max = max_intset(ctx);
    let db = ctx.store.db();
    let sets: Vec<Option<&Set>> = keys.iter().map(|k| get_set(db, k)).collect();
    let mut result = Set::new();
    if !diff {
        for s in sets.iter().flatten() {
            for m in s.iter() {
                result.add_member(m, max);
            }
        }
    } else if let (Some((&first_key, other_keys)), Some((&Some(first), other_sets))) =
        (keys.split_first(), sets.split_first())
    {
        // A later key naming the first set makes the difference empty.
        let same = other_keys.contains(&first_key);
        if !same {
            let others: Vec<&Set> = other_sets.iter().flatten().copied().collect();
            // Redis's choice between checking each member of the first set against the
            // others, and removing the others' members from a copy of the first.
            let mut one: u64 = first.len() as u64 * (others.len() as u64 + 1);
            let two: u64 = first.len() as u64 + others.iter().map(|s| s.len() as u64).sum::<u64>();
            one /= 2;
            if one <= two {
                for m in first.iter() {
                    if !others.iter().any(|s| s.contains_member(m)) {
                        result.add_member(m, max);
                    }
                }
            } else {
                for m in first.iter() {
                    result.add_member(m, max);
                }
                'sets: for s in &others {
                    for m in s.iter() {
                        result.remove_member(m);
                        if result.is_empty() {
                            break 'sets;
                        }
                    }
                }
            }
        }
    }
    match dst {
        None => reply_members(&mut ctx.reply, &result),
        Some(d) => store_result(
            ctx,
            d,
            result,
            if diff { "sdiffstore" } else { "sunionstore" },
        ),
    }
    Ok(())
}

fn keys_from<'a>(a: &Args<'a>, i: usize) -> Vec<&'a [u8]> {
    a.from(i).collect()
}

/// SINTER key [key ...]
fn sinter(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sinter_generic(ctx, &keys_from(a, 1), InterOut::Reply)
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sinter_generic(ctx, &keys_from(a, 2), InterOut::Store(a.get(1)))
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut c = a.cursor(1);
    let keys = match c.numkeys(Error::msg("ERR numkeys should be greater than 0")) {
        // With numkeys present (the arity guarantees it), the only syntax error of the
        // grammar is a count beyond the arguments, which SINTERCARD words its own way.
        Err(Error::Syntax) => {
            return Err(Error::msg(
                "ERR Number of keys can't be greater than number of args",
            ))
        }
        r => r?,
    };
    // A single-valued LIMIT (not the `LIMIT offset count` of `Cursor::limit`), the last
    // one winning.
    let mut limit = 0usize;
    while !c.is_done() {
        if c.eat_with("limit", 1) {
            limit = c.i64_min(0, Error::msg("ERR LIMIT can't be negative"))? as usize;
        } else {
            return Err(Error::Syntax);
        }
    }
    let keys: Vec<&[u8]> = keys.iter().collect();
    sinter_generic(ctx, &keys, InterOut::Card(limit))
}

fn sintercard_keys(a: &Args) -> Vec<usize> {
    super::args::numkeys_keys(a, 1)
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sunion_diff(ctx, &keys_from(a, 1), None, false)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sunion_diff(ctx, &keys_from(a, 2), Some(a.get(1)), false)
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sunion_diff(ctx, &keys_from(a, 1), None, true)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sunion_diff(ctx, &keys_from(a, 2), Some(a.get(1)), true)
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let cursor = parse_cursor(a.get(2))?;
    // As in Redis, a missing key answers before the options are looked at.
    let Some(s) = read(ctx.store, a.get(1))? else {
        ctx.reply.array(2);
        ctx.reply.bulk(b"0");
        ctx.reply.array(0);
        return Ok(());
    };
    let ScanOpts { count, pattern, .. } = ScanOpts::parse(&mut a.cursor(3), false)?;
    let mut items = Vec::new();
    let mut out = Reply::new(&mut items, ctx.reply.resp3);
    let mut n = 0usize;
    let mut emit = |m: Member| {
        m.with_bytes(|b| {
            if pattern.is_none_or(|p| glob_match(p, b, false)) {
                out.bulk(b);
                n += 1;
            }
        })
    };
    let next = if s.is_intset() {
        s.scan(cursor, &mut emit)
    } else {
        // Up to 10 * COUNT buckets, stopping once COUNT members (matching or not) were
        // gathered.
        let mut budget = count.saturating_mul(10);
        let mut gathered: i64 = 0;
        let mut cur = cursor;
        loop {
            cur = s.scan(cur, |m| {
                gathered += 1;
                emit(m);
            });
            if cur == 0 || budget == 0 || gathered >= count {
                break;
            }
            budget -= 1;
        }
        cur
    };
    ctx.reply.array(2);
    ctx.reply.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.reply.array(n);
    ctx.reply.buf.extend_from_slice(&items);
    Ok(())
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const SADD: Docs = Docs {
        name: "sadd",
        summary: "Add one or more members to a set",
        since: "1.0.0",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("2.4.0", "Accepts multiple `member` arguments."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("member", Str).multi(),
        ],
    };

    pub const SCARD: Docs = Docs {
        name: "scard",
        summary: "Get the number of members in a set",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const SDIFF: Docs = Docs {
        name: "sdiff",
        summary: "Subtract multiple sets",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0).multi()],
    };

    pub const SDIFFSTORE: Docs = Docs {
        name: "sdiffstore",
        summary: "Subtract multiple sets and store the resulting set in a key",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("destination", Key).key_spec(0),
            arg("key", Key).key_spec(1).multi(),
        ],
    };

    pub const SINTER: Docs = Docs {
        name: "sinter",
        summary: "Intersect multiple sets",
        since: "1.0.0",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0).multi(),
        ],
    };

    pub const SINTERCARD: Docs = Docs {
        name: "sintercard",
        summary: "Intersect multiple sets and return the cardinality of the result",
        since: "7.0.0",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).multi(),
            arg("limit", Int).token("LIMIT").opt(),
        ],
    };

    pub const SINTERSTORE: Docs = Docs {
        name: "sinterstore",
        summary: "Intersect multiple sets and store the resulting set in a key",
        since: "1.0.0",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("destination", Key).key_spec(0),
            arg("key", Key).key_spec(1).multi(),
        ],
    };

    pub const SISMEMBER: Docs = Docs {
        name: "sismember",
        summary: "Determine if a given value is a member of a set",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("member", Str)],
    };

    pub const SMEMBERS: Docs = Docs {
        name: "smembers",
        summary: "Get all the members in a set",
        since: "1.0.0",
        complexity: "O(N) where N is the set cardinality.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const SMISMEMBER: Docs = Docs {
        name: "smismember",
        summary: "Returns the membership associated with the given elements for a set",
        since: "6.2.0",
        complexity: "O(N) where N is the number of elements being checked for membership",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("member", Str).multi()],
    };

    pub const SMOVE: Docs = Docs {
        name: "smove",
        summary: "Move a member from one set to another",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("source", Key).key_spec(0),
            arg("destination", Key).key_spec(1),
            arg("member", Str),
        ],
    };

    pub const SPOP: Docs = Docs {
        name: "spop",
        summary: "Remove and return one or multiple random members from a set",
        since: "1.0.0",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("3.2.0", "Added the `count` argument."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("count", Int).since("3.2.0").opt(),
        ],
    };

    pub const SRANDMEMBER: Docs = Docs {
        name: "srandmember",
        summary: "Get one or multiple random members from a set",
        since: "1.0.0",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("2.6.0", "Added the optional `count` argument."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("count", Int).since("2.6.0").opt(),
        ],
    };

    pub const SREM: Docs = Docs {
        name: "srem",
        summary: "Remove one or more members from a set",
        since: "1.0.0",
        complexity: "O(N) where N is the number of members to be removed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("2.4.0", "Accepts multiple `member` arguments.")],
        args: &[arg("key", Key).key_spec(0), arg("member", Str).multi()],
    };

    pub const SSCAN: Docs = Docs {
        name: "sscan",
        summary: "Incrementally iterate Set elements",
        since: "2.8.0",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("cursor", Int),
            arg("pattern", Pattern).token("MATCH").opt(),
            arg("count", Int).token("COUNT").opt(),
        ],
    };

    pub const SUNION: Docs = Docs {
        name: "sunion",
        summary: "Add multiple sets",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0).multi()],
    };

    pub const SUNIONSTORE: Docs = Docs {
        name: "sunionstore",
        summary: "Add multiple sets and store the resulting set in a key",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("destination", Key).key_spec(0),
            arg("key", Key).key_spec(1).multi(),
        ],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use crate::commands::test_kit::*;

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    #[test]
    fn add_remove_and_encodings() {
        let mut k = Kit::new();
        assert_eq!(k.r("SADD s 3 1 2 1"), int(3));
        assert_eq!(k.dirty, 3);
        assert_eq!(k.events(), vec!["sadd"]);
        assert_eq!(k.encoding("s"), "intset");
        assert_eq!(k.r("SMEMBERS s"), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
        assert_eq!(k.r("SADD s 1"), int(0));
        assert!(k.events().is_empty() && k.touched_keys().is_empty());
        assert_eq!(k.r("SADD s x"), int(1));
        assert_eq!(k.encoding("s"), "hashtable");
        assert_eq!(k.r("SISMEMBER s x"), int(1));
        assert_eq!(k.r("SISMEMBER s 01"), int(0));
        assert_eq!(k.r("SMISMEMBER s 1 y x"), "*3\r\n:1\r\n:0\r\n:1\r\n");
        assert_eq!(k.r("SMISMEMBER nosuch a"), "*1\r\n:0\r\n");
        assert_eq!(k.r("SCARD s"), int(4));
        assert_eq!(k.r("SREM s x 9 1"), int(2));
        assert_eq!(k.events(), vec!["srem"]);
        assert_eq!(k.encoding("s"), "hashtable");
        assert_eq!(k.r("SREM s 2 3"), int(2));
        assert_eq!(k.events(), vec!["srem", "del"]);
        assert!(!k.exists("s"));
        assert_eq!(k.r("SREM s 2"), int(0));
        k.core.config_mut().set_max_intset_entries = 2;
        k.r("SADD t 1 2");
        assert_eq!(k.encoding("t"), "intset");
        k.r("SADD t 3");
        assert_eq!(k.encoding("t"), "hashtable");
        k.set_string("str");
        for c in [
            "SADD str a",
            "SREM str a",
            "SCARD str",
            "SMEMBERS str",
            "SPOP str",
            "SSCAN str 0",
        ] {
            assert_eq!(k.r(c), WRONGTYPE, "{c}");
        }
        let mut k = Kit::resp3();
        assert_eq!(k.r("SMEMBERS nosuch"), "~0\r\n");
        k.r("SADD s 1");
        assert_eq!(k.r("SMEMBERS s"), "~1\r\n$1\r\n1\r\n");
    }

    #[test]
    fn spop_single_and_counted() {
        let mut k = Kit::new();
        k.r("SADD s 7");
        assert_eq!(k.r("SPOP s"), bulk("7"));
        assert_eq!(k.propagated(), Some(vec!["SREM s 7".to_string()]));
        assert_eq!(k.events(), vec!["spop", "del"]);
        assert_eq!(k.r("SPOP s"), NIL);
        assert_eq!(k.r("SPOP s 3"), EMPTY);
        assert_eq!(k.r("SPOP s -1"), NOTPOS);
        assert_eq!(k.r("SPOP s 1 2"), SYNTAX);
        k.r("SADD s a b c");
        assert_eq!(k.r("SPOP s 0"), EMPTY);
        assert_eq!(k.dirty, 0);
        assert_eq!(sorted(bulks(&k.r("SPOP s 5"))), vec!["a", "b", "c"]);
        assert_eq!(k.propagated(), Some(vec!["DEL s".to_string()]));
        assert_eq!(k.events(), vec!["spop", "del"]);
        assert_eq!(k.dirty, 3);
        assert!(!k.exists("s"));
        let mut k3 = Kit::resp3();
        assert_eq!(k3.r("SPOP s 2"), "~0\r\n");
        // Without an AOF no SREM is built (call() would drop it unread).
        let mut k = Kit::new();
        k.core.set_aof_enabled(false);
        k.r("SADD s a b");
        assert_eq!(bulks(&k.r("SPOP s")).len(), 1);
        assert_eq!(k.propagated(), None);
        assert_eq!(k.dirty, 1);
    }

    /// Both SPOP strategies: members go out once, the AOF gets SREMs of exactly them.
    #[test]
    fn spop_count_strategies_propagate_srem_batches() {
        for (size, count) in [(3000usize, 100usize), (3000, 2900), (10, 9), (10, 2)] {
            let mut k = Kit::new();
            for i in 0..size {
                k.r(&format!("SADD s m{i}"));
            }
            let out = bulks(&k.r(&format!("SPOP s {count}")));
            assert_eq!(out.len(), count);
            let mut uniq = out.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), count);
            assert_eq!(k.dirty, count as u64);
            assert_eq!(k.events(), vec!["spop"]);
            let cmds = k.propagated().unwrap_or_default();
            let mut fed: Vec<String> = Vec::new();
            for c in &cmds {
                let words: Vec<&str> = c.split(' ').collect();
                assert_eq!(&words[..2], &["SREM", "s"]);
                assert!(words.len() - 2 <= 1024);
                fed.extend(words[2..].iter().map(|w| w.to_string()));
            }
            fed.sort();
            assert_eq!(fed, uniq);
            assert_eq!(k.r("SCARD s"), int((size - count) as i64));
            for m in &out {
                assert_eq!(k.r(&format!("SISMEMBER s {m}")), int(0));
            }
        }
    }

    #[test]
    fn spop_keeping_few_rebuilds_with_intset_rules() {
        let mut k = Kit::new();
        for i in 0..600 {
            k.r(&format!("SADD s {i}"));
        }
        assert_eq!(k.encoding("s"), "hashtable");
        k.r("SPOP s 598");
        assert_eq!(k.r("SCARD s"), int(2));
        // The members that stay were put in a new set, which starts as an intset.
        assert_eq!(k.encoding("s"), "intset");
    }

    #[test]
    fn srandmember_cases() {
        let mut k = Kit::new();
        assert_eq!(k.r("SRANDMEMBER nosuch"), NIL);
        assert_eq!(k.r("SRANDMEMBER nosuch 3"), EMPTY);
        assert_eq!(k.r("SRANDMEMBER nosuch x"), NOTINT);
        assert_eq!(
            k.r("SRANDMEMBER nosuch -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(k.r("SRANDMEMBER nosuch 1 2"), SYNTAX);
        for i in 0..100 {
            k.r(&format!("SADD s {i}"));
            k.r(&format!("SADD h h{i}"));
        }
        for key in ["s", "h"] {
            assert_eq!(k.r(&format!("SRANDMEMBER {key} 0")), EMPTY);
            assert_eq!(bulks(&k.r(&format!("SRANDMEMBER {key}"))).len(), 1);
            // Negative: repeats allowed, exactly |count| members.
            assert_eq!(bulks(&k.r(&format!("SRANDMEMBER {key} -250"))).len(), 250);
            // Positive: distinct, in each of the strategies.
            for count in [1usize, 10, 40, 90, 100, 150] {
                let got = bulks(&k.r(&format!("SRANDMEMBER {key} {count}")));
                let mut u = got.clone();
                u.sort();
                u.dedup();
                assert_eq!(got.len(), count.min(100), "{key} {count}");
                assert_eq!(u.len(), got.len(), "{key} {count}");
            }
        }
        assert_eq!(k.dirty, 0);
        assert_eq!(k.r("SCARD s"), int(100));
    }

    #[test]
    fn smove_rules() {
        let mut k = Kit::new();
        k.r("SADD s 1 2");
        assert_eq!(k.r("SMOVE s d 1"), int(1));
        assert_eq!(k.events(), vec!["srem", "sadd"]);
        assert_eq!(k.dirty, 2);
        assert_eq!(k.touched_keys(), ["s", "d"]);
        assert_eq!(k.encoding("d"), "intset");
        assert_eq!(k.r("SMOVE s d 9"), int(0));
        assert_eq!(k.r("SMOVE s s 2"), int(1));
        assert_eq!(k.dirty, 0);
        k.r("SADD d 2");
        assert_eq!(k.r("SMOVE s d 2"), int(1));
        assert_eq!(k.events(), vec!["srem", "del"]);
        assert_eq!(k.dirty, 1);
        assert!(!k.exists("s"));
        k.set_string("str");
        assert_eq!(k.r("SMOVE nosuch str 1"), int(0));
        assert_eq!(k.r("SMOVE d str 1"), WRONGTYPE);
        assert_eq!(k.r("SMOVE str d 1"), WRONGTYPE);
    }

    #[test]
    fn algebra_and_store_forms() {
        let mut k = Kit::new();
        k.r("SADD a 1 2 3 4");
        k.r("SADD b 2 3 4 5");
        k.r("SADD c 3 4 x");
        assert_eq!(bulks(&k.r("SINTER a b")), vec!["2", "3", "4"]);
        assert_eq!(sorted(bulks(&k.r("SINTER a b c"))), vec!["3", "4"]);
        assert_eq!(k.r("SINTER a nosuch"), EMPTY);
        assert_eq!(bulks(&k.r("SUNION a b")), vec!["1", "2", "3", "4", "5"]);
        assert_eq!(bulks(&k.r("SDIFF a b")), vec!["1"]);
        assert_eq!(sorted(bulks(&k.r("SDIFF c a"))), vec!["x"]);
        assert_eq!(k.r("SDIFF a b a"), EMPTY);
        assert_eq!(k.r("SDIFF nosuch a"), EMPTY);
        assert_eq!(k.r("SINTERCARD 2 a b"), int(3));
        assert_eq!(k.r("SINTERCARD 2 a b LIMIT 2"), int(2));
        assert_eq!(k.r("SINTERCARD 2 a nosuch"), int(0));
        assert_eq!(
            k.r("SINTERCARD 3 a b"),
            "-ERR Number of keys can't be greater than number of args\r\n"
        );
        assert_eq!(
            k.r("SINTERCARD 1 a LIMIT -1"),
            "-ERR LIMIT can't be negative\r\n"
        );
        k.set_string("str");
        assert_eq!(k.r("SINTER nosuch str"), WRONGTYPE);
        assert_eq!(k.r("SUNION str"), WRONGTYPE);

        assert_eq!(k.r("SINTERSTORE d a b"), int(3));
        assert_eq!(k.events(), vec!["sinterstore"]);
        assert_eq!(k.dirty, 1);
        assert_eq!(k.encoding("d"), "intset");
        assert_eq!(k.r("SUNIONSTORE d a c"), int(5));
        assert_eq!(k.events(), vec!["sunionstore"]);
        assert_eq!(k.encoding("d"), "hashtable");
        assert_eq!(k.r("SDIFFSTORE d a b"), int(1));
        assert_eq!(k.events(), vec!["sdiffstore"]);
        assert_eq!(k.r("SDIFFSTORE d a a"), int(0));
        assert_eq!(k.events(), vec!["del"]);
        assert!(!k.exists("d"));
        assert_eq!(k.r("SDIFFSTORE d a a"), int(0));
        assert!(k.events().is_empty());
        assert_eq!(k.dirty, 0);
        assert_eq!(k.r("SINTERSTORE str a nosuch"), int(0));
        assert_eq!(k.events(), vec!["del"]);
        // The destination may be one of the sources.
        assert_eq!(k.r("SUNIONSTORE a a b"), int(5));
        assert_eq!(k.r("SCARD a"), int(5));
    }

    #[test]
    fn sscan_intset_and_table() {
        let mut k = Kit::new();
        k.r("SADD s 1 2 3");
        assert_eq!(bulks(&k.r("SSCAN s 7")), vec!["0", "1", "2", "3"]);
        assert_eq!(bulks(&k.r("SSCAN s 0 MATCH 2")), vec!["0", "2"]);
        assert_eq!(k.r("SSCAN s 0 COUNT 0"), SYNTAX);
        assert_eq!(k.r("SSCAN s 0 COUNT x"), NOTINT);
        assert_eq!(k.r("SSCAN s 0 TYPE set"), SYNTAX);
        assert_eq!(k.r("SSCAN s x"), "-ERR invalid cursor\r\n");
        assert_eq!(k.r("SSCAN nosuch 0 COUNT 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        for i in 0..300 {
            k.r(&format!("SADD h m{i}"));
        }
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        loop {
            let got = bulks(&k.r(&format!("SSCAN h {cursor} COUNT 20")));
            cursor = got[0].clone();
            seen.extend(got[1..].iter().cloned());
            if cursor == "0" {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 300);
        let m: Vec<String> = bulks(&k.r("SSCAN h 0 MATCH m1? COUNT 1000"));
        assert_eq!(m.len(), 1 + 10);
    }
}
