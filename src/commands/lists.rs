//! The lists family: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT
//! LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH
//! BLMPOP, as Redis 7.0 runs them.
//!
//! The value type lives in `store::list`; this file parses arguments, applies changes and
//! replies. Every write reports itself with one `Store::modified` call (dirty count,
//! WATCH and blocked-client signal, and the keyspace event under Redis's name), and a list
//! that loses its last element is deleted (`Store::remove_emptied`, with a "del" event). A
//! blocking command is its non-blocking form plus `Ctx::block` when every key is empty;
//! what it did is fed to the AOF in the non-blocking form Redis 7.0 uses (BLPOP → LPOP
//! key, BLMPOP → LPOP key count, BLMOVE → LMOVE, BRPOPLPUSH → RPOPLPUSH). LMPOP too is
//! fed as LPOP/RPOP key count.

#![deny(clippy::indexing_slicing)]

use super::args::numkeys_keys;
use super::flags::*;
use super::{cmd, sds_cmd, Args, BlockOn, CommandDef, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::resp::reply::{Agg, Reply};
use crate::server::blocking::parse_timeout;
use crate::store::list::{Elem, Fill, List, Needle};
use crate::store::{notify, Store, Value};
use crate::util::num::parse_i64;

pub const COMMANDS: &[CommandDef] = &[
    cmd("lpush", -3, WRITE | DENYOOM | FAST, lpush)
        .docs(&docs::LPUSH)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("rpush", -3, WRITE | DENYOOM | FAST, rpush)
        .docs(&docs::RPUSH)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lpushx", -3, WRITE | DENYOOM | FAST, lpushx)
        .docs(&docs::LPUSHX)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("rpushx", -3, WRITE | DENYOOM | FAST, rpushx)
        .docs(&docs::RPUSHX)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lpop", -2, WRITE | FAST, lpop)
        .docs(&docs::LPOP)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("rpop", -2, WRITE | FAST, rpop)
        .docs(&docs::RPOP)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("llen", 2, READONLY | FAST, llen)
        .docs(&docs::LLEN)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lrange", 4, READONLY, lrange)
        .docs(&docs::LRANGE)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lindex", 3, READONLY, lindex)
        .docs(&docs::LINDEX)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lset", 4, WRITE | DENYOOM, lset)
        .docs(&docs::LSET)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("linsert", 5, WRITE | DENYOOM, linsert)
        .docs(&docs::LINSERT)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lrem", 4, WRITE, lrem)
        .docs(&docs::LREM)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("ltrim", 4, WRITE, ltrim)
        .docs(&docs::LTRIM)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lpos", -3, READONLY, lpos)
        .docs(&docs::LPOS)
        .keys(1, 1, 1)
        .group(Group::List),
    cmd("lmove", 5, WRITE | DENYOOM, lmove)
        .docs(&docs::LMOVE)
        .keys(1, 2, 1)
        .group(Group::List),
    cmd("rpoplpush", 3, WRITE | DENYOOM, rpoplpush)
        .docs(&docs::RPOPLPUSH)
        .keys(1, 2, 1)
        .group(Group::List),
    cmd("lmpop", -4, WRITE, lmpop)
        .docs(&docs::LMPOP)
        .keys_fn(lmpop_keys)
        .group(Group::List),
    cmd("blpop", -3, WRITE | NOSCRIPT | BLOCKING, blpop)
        .docs(&docs::BLPOP)
        .blocks_on(BlockOn::List)
        .keys(1, -2, 1)
        .group(Group::List),
    cmd("brpop", -3, WRITE | NOSCRIPT | BLOCKING, brpop)
        .docs(&docs::BRPOP)
        .blocks_on(BlockOn::List)
        .keys(1, -2, 1)
        .group(Group::List),
    cmd("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, blmove)
        .docs(&docs::BLMOVE)
        .blocks_on(BlockOn::List)
        .keys(1, 2, 1)
        .group(Group::List),
    cmd(
        "brpoplpush",
        4,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        brpoplpush,
    )
    .docs(&docs::BRPOPLPUSH)
    .blocks_on(BlockOn::List)
    .keys(1, 2, 1)
    .group(Group::List),
    cmd("blmpop", -5, WRITE | BLOCKING, blmpop)
        .docs(&docs::BLMPOP)
        .blocks_on(BlockOn::List)
        .keys_fn(blmpop_keys)
        .group(Group::List),
];

/// The chunk fill factor from `list-max-listpack-size`.
#[inline]
fn fill(ctx: &Ctx) -> Fill {
    Fill::new(ctx.config().list_max_listpack_size)
}

/// One element as a bulk string.
#[inline]
fn bulk(r: &mut Reply, e: Elem) {
    match e {
        Elem::Str(s) => r.bulk(s),
        Elem::Int(v) => r.bulk_i64(v),
    }
}

/// The list at `key` for a read: None when the key is absent.
#[inline]
fn read<'a>(store: &'a mut Store, key: &[u8]) -> Result<Option<&'a List>, Error> {
    match store.lookup_read(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(Error::WrongType),
    }
}

/// The list at `key` for a write: None when the key is absent.
#[inline]
fn write<'a>(store: &'a mut Store, key: &[u8]) -> Result<Option<&'a mut List>, Error> {
    match store.lookup_write(key) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(Error::WrongType),
    }
}

/// A Redis "long" argument.
#[inline]
fn long(b: &[u8]) -> Result<i64, Error> {
    parse_i64(b).ok_or(Error::NotInteger)
}

/// LEFT (true, the head) or RIGHT (false, the tail).
fn side(b: &[u8]) -> Result<bool, Error> {
    if b.eq_ignore_ascii_case(b"left") {
        Ok(true)
    } else if b.eq_ignore_ascii_case(b"right") {
        Ok(false)
    } else {
        Err(Error::Syntax)
    }
}

fn pop_event(front: bool) -> &'static str {
    if front {
        "lpop"
    } else {
        "rpop"
    }
}

fn push_event(front: bool) -> &'static str {
    if front {
        "lpush"
    } else {
        "rpush"
    }
}

fn pop_name(front: bool) -> &'static [u8] {
    if front {
        b"LPOP"
    } else {
        b"RPOP"
    }
}

/// Reports the removal of `n` elements from one end of the list at `key` (the pop event,
/// `n` changes), and deletes the key when the list is left empty.
fn popped(store: &mut Store, key: &[u8], front: bool, n: usize, empty: bool) {
    store.modified_by(key, notify::LIST, pop_event(front), n as u64);
    if empty {
        store.remove_emptied(key);
    }
}

/// Replies with the `n` elements at one end (the tail ones from the tail inwards) and
/// removes them.
fn pop_range(r: &mut Reply, l: &mut List, front: bool, n: usize) {
    r.array(n);
    if front {
        for e in l.iter().take(n) {
            bulk(r, e);
        }
        l.remove_front(n);
    } else {
        for e in l.iter_rev().take(n) {
            bulk(r, e);
        }
        l.remove_back(n);
    }
}

/// The common part of LPUSH RPUSH LPUSHX RPUSHX.
fn push_generic(ctx: &mut Ctx, a: &Args, front: bool, xx: bool) -> CmdResult {
    let key = a.get(1);
    let fill = fill(ctx);
    let len = match write(ctx.store, key)? {
        Some(l) => {
            for v in a.from(2) {
                l.push(v, front, fill);
            }
            l.len()
        }
        None => {
            if xx {
                ctx.reply.int(0);
                return Ok(());
            }
            let mut l = List::new();
            for v in a.from(2) {
                l.push(v, front, fill);
            }
            let len = l.len();
            ctx.store.add(key, Value::List(Box::new(l)));
            len
        }
    };
    ctx.reply.int(len as i64);
    ctx.store
        .modified_by(key, notify::LIST, push_event(front), (a.len() - 2) as u64);
    Ok(())
}

/// LPUSH key element [element ...]
fn lpush(ctx: &mut Ctx, a: &Args) -> CmdResult {
    push_generic(ctx, a, true, false)
}

/// RPUSH key element [element ...]
fn rpush(ctx: &mut Ctx, a: &Args) -> CmdResult {
    push_generic(ctx, a, false, false)
}

/// LPUSHX key element [element ...]
fn lpushx(ctx: &mut Ctx, a: &Args) -> CmdResult {
    push_generic(ctx, a, true, true)
}

/// RPUSHX key element [element ...]
fn rpushx(ctx: &mut Ctx, a: &Args) -> CmdResult {
    push_generic(ctx, a, false, true)
}

/// The common part of LPOP and RPOP.
fn pop_generic(ctx: &mut Ctx, a: &Args, front: bool) -> CmdResult {
    let mut c = a.cursor(2);
    if c.remaining() > 1 {
        return Err(Error::Arity(ctx.cmd.name.to_string()));
    }
    let count = if c.is_done() {
        None
    } else {
        Some(c.i64_min(0, Error::NotPositive)?)
    };
    let key = a.get(1);
    let Some(l) = write(ctx.store, key)? else {
        match count {
            Some(_) => ctx.reply.null_array(),
            None => ctx.reply.null(),
        }
        return Ok(());
    };
    let n = match count {
        None => {
            match l.end(front) {
                Some(e) => bulk(&mut ctx.reply, e),
                None => {
                    ctx.reply.null();
                    return Ok(());
                }
            }
            if front {
                l.drop_front()
            } else {
                l.drop_back()
            }
            1
        }
        Some(0) => {
            ctx.reply.array(0);
            return Ok(());
        }
        Some(c) => {
            let n = (c as u64).min(l.len() as u64) as usize;
            pop_range(&mut ctx.reply, l, front, n);
            n
        }
    };
    let empty = l.is_empty();
    popped(ctx.store, key, front, n, empty);
    Ok(())
}

/// LPOP key [count]
fn lpop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    pop_generic(ctx, a, true)
}

/// RPOP key [count]
fn rpop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    pop_generic(ctx, a, false)
}

/// LLEN key
fn llen(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let n = read(ctx.store, a.get(1))?.map_or(0, |l| l.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// Redis's range rule (LRANGE, LTRIM): the first position and the element count, or
/// None for an empty range.
fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, (end - start + 1) as usize))
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let start = long(a.get(2))?;
    let end = long(a.get(3))?;
    let Some(l) = read(ctx.store, a.get(1))? else {
        ctx.reply.array(0);
        return Ok(());
    };
    match range(start, end, l.len()) {
        None => ctx.reply.array(0),
        Some((first, n)) => {
            ctx.reply.array(n);
            l.write_bulks(first, n, ctx.reply.buf);
        }
    }
    Ok(())
}

/// LINDEX key index
fn lindex(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let Some(l) = read(ctx.store, a.get(1))? else {
        ctx.reply.null();
        return Ok(());
    };
    let index = long(a.get(2))?;
    match l.get(index) {
        Some(e) => bulk(&mut ctx.reply, e),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// LSET key index element
fn lset(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let fill = fill(ctx);
    let Some(l) = write(ctx.store, key)? else {
        return Err(Error::NoSuchKey);
    };
    let index = long(a.get(2))?;
    if !l.set(index, a.get(3), fill) {
        return Err(Error::IndexOutOfRange);
    }
    ctx.reply.ok();
    ctx.store.modified(key, notify::LIST, "lset");
    Ok(())
}

/// LINSERT key <BEFORE | AFTER> pivot element
fn linsert(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let before = if a.is(2, "before") {
        true
    } else if a.is(2, "after") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let key = a.get(1);
    let fill = fill(ctx);
    let Some(l) = write(ctx.store, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let Some(pos) = l.position(a.get(3)) else {
        ctx.reply.int(-1);
        return Ok(());
    };
    l.insert(if before { pos } else { pos + 1 }, a.get(4), fill);
    let len = l.len();
    ctx.store.modified(key, notify::LIST, "linsert");
    ctx.reply.int(len as i64);
    Ok(())
}

/// LREM key count element
fn lrem(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let count = long(a.get(2))?;
    let key = a.get(1);
    let fill = fill(ctx);
    let Some(l) = write(ctx.store, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let removed = l.remove_matching(a.get(3), count, fill);
    let empty = l.is_empty();
    if removed > 0 {
        ctx.store
            .modified_by(key, notify::LIST, "lrem", removed as u64);
        if empty {
            ctx.store.remove_emptied(key);
        }
    }
    ctx.reply.int(removed as i64);
    Ok(())
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let start = long(a.get(2))?;
    let end = long(a.get(3))?;
    let key = a.get(1);
    let Some(l) = write(ctx.store, key)? else {
        ctx.reply.ok();
        return Ok(());
    };
    let len = l.len();
    let (ltrim, rtrim) = match range(start, end, len) {
        None => (len, 0),
        Some((first, n)) => (first, len - first - n),
    };
    l.trim(ltrim, rtrim);
    let empty = l.is_empty();
    // Trimming nothing is still the write Redis reports (event and signal, no change).
    ctx.store
        .modified_by(key, notify::LIST, "ltrim", (ltrim + rtrim) as u64);
    if empty {
        ctx.store.remove_emptied(key);
    }
    ctx.reply.ok();
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: i64 = -1;
    let mut maxlen: i64 = 0;
    let mut c = a.cursor(3);
    while !c.is_done() {
        if c.eat_with("rank", 1) {
            rank = c.i64()?;
            if rank == 0 {
                return Err(Error::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if c.eat_with("count", 1) {
            count = c.i64_min(0, Error::msg("ERR COUNT can't be negative"))?;
        } else if c.eat_with("maxlen", 1) {
            maxlen = c.i64_min(0, Error::msg("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(Error::Syntax);
        }
    }
    // A negative rank searches from the tail (Redis negates it in a C long, so
    // LONG_MIN stays negative and every match qualifies).
    let backwards = rank < 0;
    if backwards {
        rank = rank.wrapping_neg();
    }
    let Some(l) = read(ctx.store, a.get(1))? else {
        if count != -1 {
            ctx.reply.array(0);
        } else {
            ctx.reply.null();
        }
        return Ok(());
    };
    let needle = Needle::new(a.get(2));
    let llen = l.len() as i64;
    let r = &mut ctx.reply;
    let d = (count != -1).then(|| r.begin(Agg::Array));
    let search = |it: &mut dyn Iterator<Item = Elem>, r: &mut Reply| -> (i64, usize) {
        let mut matches: i64 = 0;
        let mut found: i64 = -1;
        let mut listed = 0;
        for (index, e) in (0i64..).zip(it) {
            if maxlen != 0 && index >= maxlen {
                break;
            }
            if e.matches(&needle) {
                matches += 1;
                found = if backwards { llen - index - 1 } else { index };
                if matches >= rank {
                    if count == -1 {
                        return (found, 0);
                    }
                    listed += 1;
                    r.int(found);
                    if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                        return (found, listed);
                    }
                }
            }
            found = -1;
        }
        (found, listed)
    };
    let (found, listed) = if backwards {
        search(&mut l.iter_rev(), r)
    } else {
        search(&mut l.iter(), r)
    };
    match d {
        Some(d) => r.end(d, listed),
        None if found != -1 => r.int(found),
        None => r.null(),
    }
    Ok(())
}

/// Moves one element from the list at `src` to the list at `dst` (LMOVE and friends);
/// the source must have been checked to exist by the caller or is checked here. True
/// when an element moved.
fn lmove_generic(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: bool,
    to: bool,
) -> Result<bool, Error> {
    let fill = fill(ctx);
    if write(ctx.store, src)?.is_none() {
        ctx.reply.null();
        return Ok(false);
    }
    write(ctx.store, dst)?;
    let value;
    let mut src_empty = false;
    if src == dst {
        let Some(l) = write(ctx.store, src)? else {
            ctx.reply.null();
            return Ok(false);
        };
        value = l.pop(from).unwrap_or_default();
        l.push(&value, to, fill);
    } else {
        let Some(l) = write(ctx.store, src)? else {
            ctx.reply.null();
            return Ok(false);
        };
        value = l.pop(from).unwrap_or_default();
        src_empty = l.is_empty();
        match write(ctx.store, dst)? {
            Some(d) => d.push(&value, to, fill),
            None => {
                let mut d = List::new();
                d.push(&value, to, fill);
                ctx.store.add(dst, Value::List(Box::new(d)));
            }
        }
    }
    // One change in all: the push counts it, the pop is reported with none.
    ctx.store.modified(dst, notify::LIST, push_event(to));
    ctx.reply.bulk(&value);
    ctx.store.modified_by(src, notify::LIST, pop_event(from), 0);
    if src_empty {
        ctx.store.remove_emptied(src);
    }
    Ok(true)
}

/// LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
fn lmove(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let from = side(a.get(3))?;
    let to = side(a.get(4))?;
    lmove_generic(ctx, a.get(1), a.get(2), from, to)?;
    Ok(())
}

/// RPOPLPUSH source destination
fn rpoplpush(ctx: &mut Ctx, a: &Args) -> CmdResult {
    lmove_generic(ctx, a.get(1), a.get(2), false, true)?;
    Ok(())
}

/// Parsed LMPOP/BLMPOP arguments: the keys, the side, the count.
struct MPop<'a> {
    keys: Args<'a>,
    front: bool,
    count: u64,
}

/// Parses `numkeys key [key ...] <LEFT | RIGHT> [COUNT count]` from `numkeys_idx`.
fn parse_mpop<'a>(a: &Args<'a>, numkeys_idx: usize) -> Result<MPop<'a>, Error> {
    let mut c = a.cursor(numkeys_idx);
    let keys = c.numkeys(Error::msg("ERR numkeys should be greater than 0"))?;
    let front = side(c.arg()?)?;
    let count = c.mpop_count()?;
    Ok(MPop { keys, front, count })
}

/// Pops from the first non-empty list of an LMPOP/BLMPOP; false when all are empty.
fn mpop_serve(ctx: &mut Ctx, p: &MPop) -> Result<bool, Error> {
    for key in p.keys.iter() {
        let Some(l) = write(ctx.store, key)? else {
            continue;
        };
        if l.is_empty() {
            continue;
        }
        let n = p.count.min(l.len() as u64) as usize;
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        pop_range(&mut ctx.reply, l, p.front, n);
        let empty = l.is_empty();
        popped(ctx.store, key, p.front, n, empty);
        let count = itoa::Buffer::new().format(n).as_bytes().to_vec();
        ctx.rewrite_as(vec![sds_cmd(&[pop_name(p.front), key, &count])]);
        return Ok(true);
    }
    Ok(false)
}

/// LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
fn lmpop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let p = parse_mpop(a, 1)?;
    if !mpop_serve(ctx, &p)? {
        ctx.reply.null_array();
    }
    Ok(())
}

fn lmpop_keys(a: &Args) -> Vec<usize> {
    numkeys_keys(a, 1)
}

fn blmpop_keys(a: &Args) -> Vec<usize> {
    numkeys_keys(a, 2)
}

/// The common part of BLPOP and BRPOP.
fn bpop_generic(ctx: &mut Ctx, a: &Args, front: bool) -> CmdResult {
    let mut c = a.cursor(1);
    let keys = c.next_n(a.len() - 2)?;
    let timeout = c.timeout()?;
    for key in keys.iter() {
        let Some(l) = write(ctx.store, key)? else {
            continue;
        };
        let Some(e) = l.end(front) else {
            continue;
        };
        ctx.reply.array(2);
        ctx.reply.bulk(key);
        bulk(&mut ctx.reply, e);
        if front {
            l.drop_front()
        } else {
            l.drop_back()
        }
        let empty = l.is_empty();
        popped(ctx.store, key, front, 1, empty);
        ctx.rewrite_as(vec![sds_cmd(&[pop_name(front), key])]);
        return Ok(());
    }
    let keys: Vec<&[u8]> = keys.iter().collect();
    if !ctx.block(&keys, timeout) {
        ctx.reply.null_array();
    }
    Ok(())
}

/// BLPOP key [key ...] timeout
fn blpop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    bpop_generic(ctx, a, true)
}

/// BRPOP key [key ...] timeout
fn brpop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    bpop_generic(ctx, a, false)
}

/// The common part of BLMOVE and BRPOPLPUSH once the arguments are parsed.
fn blmove_generic(
    ctx: &mut Ctx,
    a: &Args,
    from: bool,
    to: bool,
    timeout: Option<std::time::Duration>,
) -> CmdResult {
    let (src, dst) = (a.get(1), a.get(2));
    if write(ctx.store, src)?.is_none() {
        if !ctx.block(&[src], timeout) {
            // Inside MULTI/EXEC: a null bulk, as Redis replies there.
            ctx.reply.null();
        }
        return Ok(());
    }
    if lmove_generic(ctx, src, dst, from, to)? {
        let cmd = if ctx.cmd.name == "blmove" {
            sds_cmd(&[b"LMOVE", src, dst, a.get(3), a.get(4)])
        } else {
            sds_cmd(&[b"RPOPLPUSH", src, dst])
        };
        ctx.rewrite_as(vec![cmd]);
    }
    Ok(())
}

/// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
fn blmove(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let from = side(a.get(3))?;
    let to = side(a.get(4))?;
    let timeout = parse_timeout(a.get(5))?;
    blmove_generic(ctx, a, from, to, timeout)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let timeout = parse_timeout(a.get(3))?;
    blmove_generic(ctx, a, false, true, timeout)
}

/// BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
fn blmpop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let p = parse_mpop(a, 2)?;
    let timeout = parse_timeout(a.get(1))?;
    if mpop_serve(ctx, &p)? {
        return Ok(());
    }
    let keys: Vec<&[u8]> = p.keys.iter().collect();
    if !ctx.block(&keys, timeout) {
        ctx.reply.null_array();
    }
    Ok(())
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const BLMOVE: Docs = Docs {
        name: "blmove",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("source", Key).key_spec(0),
            arg("destination", Key).key_spec(1),
            arg("wherefrom", OneOf).args(&[
                arg("left", PureToken).token("LEFT"),
                arg("right", PureToken).token("RIGHT"),
            ]),
            arg("whereto", OneOf).args(&[
                arg("left", PureToken).token("LEFT"),
                arg("right", PureToken).token("RIGHT"),
            ]),
            arg("timeout", Double),
        ],
    };

    pub const BLMPOP: Docs = Docs {
        name: "blmpop",
        summary: "Pop elements from a list, or block until one is available",
        since: "7.0.0",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("timeout", Double),
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).multi(),
            arg("where", OneOf).args(&[
                arg("left", PureToken).token("LEFT"),
                arg("right", PureToken).token("RIGHT"),
            ]),
            arg("count", Int).token("COUNT").opt(),
        ],
    };

    pub const BLPOP: Docs = Docs {
        name: "blpop",
        summary: "Remove and get the first element in a list, or block until one is available",
        since: "2.0.0",
        complexity: "O(N) where N is the number of provided keys.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )],
        args: &[arg("key", Key).key_spec(0).multi(), arg("timeout", Double)],
    };

    pub const BRPOP: Docs = Docs {
        name: "brpop",
        summary: "Remove and get the last element in a list, or block until one is available",
        since: "2.0.0",
        complexity: "O(N) where N is the number of provided keys.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )],
        args: &[arg("key", Key).key_spec(0).multi(), arg("timeout", Double)],
    };

    pub const BRPOPLPUSH: Docs = Docs {
        name: "brpoplpush",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        since: "2.2.0",
        complexity: "O(1)",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
        history: &[
            ("6.0.0", "`timeout` is interpreted as a double instead of an integer."),
        ],
        args: &[
            arg("source", Key).key_spec(0),
            arg("destination", Key).key_spec(1),
            arg("timeout", Double),
        ],
    };

    pub const LINDEX: Docs = Docs {
        name: "lindex",
        summary: "Get an element from a list by its index",
        since: "1.0.0",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("index", Int),
        ],
    };

    pub const LINSERT: Docs = Docs {
        name: "linsert",
        summary: "Insert an element before or after another element in a list",
        since: "2.2.0",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("where", OneOf).args(&[
                arg("before", PureToken).token("BEFORE"),
                arg("after", PureToken).token("AFTER"),
            ]),
            arg("pivot", Str),
            arg("element", Str),
        ],
    };

    pub const LLEN: Docs = Docs {
        name: "llen",
        summary: "Get the length of a list",
        since: "1.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const LMOVE: Docs = Docs {
        name: "lmove",
        summary: "Pop an element from a list, push it to another list and return it",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("source", Key).key_spec(0),
            arg("destination", Key).key_spec(1),
            arg("wherefrom", OneOf).args(&[
                arg("left", PureToken).token("LEFT"),
                arg("right", PureToken).token("RIGHT"),
            ]),
            arg("whereto", OneOf).args(&[
                arg("left", PureToken).token("LEFT"),
                arg("right", PureToken).token("RIGHT"),
            ]),
        ],
    };

    pub const LMPOP: Docs = Docs {
        name: "lmpop",
        summary: "Pop elements from a list",
        since: "7.0.0",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("numkeys", Int),
            arg("key", Key).key_spec(0).multi(),
            arg("where", OneOf).args(&[
                arg("left", PureToken).token("LEFT"),
                arg("right", PureToken).token("RIGHT"),
            ]),
            arg("count", Int).token("COUNT").opt(),
        ],
    };

    pub const LPOP: Docs = Docs {
        name: "lpop",
        summary: "Remove and get the first elements in a list",
        since: "1.0.0",
        complexity: "O(N) where N is the number of elements returned",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("6.2.0", "Added the `count` argument.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("count", Int).since("6.2.0").opt(),
        ],
    };

    pub const LPOS: Docs = Docs {
        name: "lpos",
        summary: "Return the index of matching elements on a list",
        since: "6.0.6",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("element", Str),
            arg("rank", Int).token("RANK").opt(),
            arg("num-matches", Int).token("COUNT").opt(),
            arg("len", Int).token("MAXLEN").opt(),
        ],
    };

    pub const LPUSH: Docs = Docs {
        name: "lpush",
        summary: "Prepend one or multiple elements to a list",
        since: "1.0.0",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("2.4.0", "Accepts multiple `element` arguments."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("element", Str).multi(),
        ],
    };

    pub const LPUSHX: Docs = Docs {
        name: "lpushx",
        summary: "Prepend an element to a list, only if the list exists",
        since: "2.2.0",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("4.0.0", "Accepts multiple `element` arguments."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("element", Str).multi(),
        ],
    };

    pub const LRANGE: Docs = Docs {
        name: "lrange",
        summary: "Get a range of elements from a list",
        since: "1.0.0",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("start", Int),
            arg("stop", Int),
        ],
    };

    pub const LREM: Docs = Docs {
        name: "lrem",
        summary: "Remove elements from a list",
        since: "1.0.0",
        complexity:
            "O(N+M) where N is the length of the list and M is the number of elements removed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("count", Int),
            arg("element", Str),
        ],
    };

    pub const LSET: Docs = Docs {
        name: "lset",
        summary: "Set the value of an element in a list by its index",
        since: "1.0.0",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("index", Int),
            arg("element", Str),
        ],
    };

    pub const LTRIM: Docs = Docs {
        name: "ltrim",
        summary: "Trim a list to the specified range",
        since: "1.0.0",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("start", Int),
            arg("stop", Int),
        ],
    };

    pub const RPOP: Docs = Docs {
        name: "rpop",
        summary: "Remove and get the last elements in a list",
        since: "1.0.0",
        complexity: "O(N) where N is the number of elements returned",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("6.2.0", "Added the `count` argument.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("count", Int).since("6.2.0").opt(),
        ],
    };

    pub const RPOPLPUSH: Docs = Docs {
        name: "rpoplpush",
        summary: "Remove the last element in a list, prepend it to another list and return it",
        since: "1.2.0",
        complexity: "O(1)",
        doc_flags: &["deprecated"],
        deprecated_since: "6.2.0",
        replaced_by: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
        history: &[],
        args: &[
            arg("source", Key).key_spec(0),
            arg("destination", Key).key_spec(1),
        ],
    };

    pub const RPUSH: Docs = Docs {
        name: "rpush",
        summary: "Append one or multiple elements to a list",
        since: "1.0.0",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("2.4.0", "Accepts multiple `element` arguments."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("element", Str).multi(),
        ],
    };

    pub const RPUSHX: Docs = Docs {
        name: "rpushx",
        summary: "Append an element to a list, only if the list exists",
        since: "2.2.0",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("4.0.0", "Accepts multiple `element` arguments."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("element", Str).multi(),
        ],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use crate::commands::test_kit::*;

    fn arr(items: &[&str]) -> String {
        let mut s = format!("*{}\r\n", items.len());
        for i in items {
            s.push_str(&bulk(i));
        }
        s
    }

    #[test]
    fn push_and_range() {
        let mut k = Kit::new();
        assert_eq!(k.r("LPUSH l a b c"), int(3));
        assert_eq!(k.dirty, 3);
        assert_eq!(k.events(), vec!["lpush"]);
        assert_eq!(k.touched_keys(), ["l"]);
        assert_eq!(k.r("RPUSH l d"), int(4));
        assert_eq!(k.touched_keys(), ["l"]);
        assert_eq!(k.r("LRANGE l 0 -1"), arr(&["c", "b", "a", "d"]));
        assert_eq!(k.r("LPUSHX nosuch a"), int(0));
        assert_eq!(k.dirty, 0);
        assert!(k.events().is_empty() && k.touched_keys().is_empty());
        assert!(!k.exists("nosuch"));
        assert_eq!(k.r("RPUSHX l e f"), int(6));
        assert_eq!(k.events(), vec!["rpush"]);
        assert_eq!(k.r("LLEN l"), int(6));
        assert_eq!(k.r("LLEN nosuch"), int(0));
        assert_eq!(k.encoding("l"), "quicklist");
        k.set_string("s");
        for c in [
            "LPUSH s a",
            "RPUSHX s a",
            "LLEN s",
            "LRANGE s 0 1",
            "LINDEX s 0",
        ] {
            assert_eq!(k.r(c), WRONGTYPE, "{c}");
        }
    }

    #[test]
    fn pop_reply_shapes() {
        let mut k = Kit::new();
        k.r("RPUSH l a b c d e");
        assert_eq!(k.r("LPOP l"), bulk("a"));
        assert_eq!(k.events(), vec!["lpop"]);
        assert_eq!(k.r("RPOP l"), bulk("e"));
        assert_eq!(k.r("LPOP l 0"), EMPTY);
        assert_eq!(k.dirty, 0);
        assert_eq!(k.r("RPOP l 2"), arr(&["d", "c"]));
        assert_eq!(k.dirty, 2);
        assert_eq!(k.r("LPOP l 5"), arr(&["b"]));
        assert_eq!(k.events(), vec!["lpop", "del"]);
        assert!(!k.exists("l"));
        assert_eq!(k.r("LPOP l"), NIL);
        assert_eq!(k.r("LPOP l 0"), NIL_ARRAY);
        assert_eq!(k.r("RPOP l 3"), NIL_ARRAY);
        assert_eq!(k.r("LPOP l -1"), NOTPOS);
        assert_eq!(k.r("LPOP l x"), NOTPOS);
        assert_eq!(
            k.r("LPOP l 1 2"),
            "-ERR wrong number of arguments for 'lpop' command\r\n"
        );
        let mut k = Kit::resp3();
        assert_eq!(k.r("LPOP l"), NULL3);
        assert_eq!(k.r("LPOP l 1"), NULL3);
        assert_eq!(k.propagated(), None);
    }

    #[test]
    fn index_set_insert() {
        let mut k = Kit::new();
        k.r("RPUSH l a b c");
        assert_eq!(k.r("LINDEX l -1"), bulk("c"));
        assert_eq!(k.r("LINDEX l 3"), NIL);
        assert_eq!(k.r("LINDEX l x"), NOTINT);
        assert_eq!(k.r("LINDEX nosuch x"), NIL);
        assert_eq!(k.r("LSET l 1 B"), OK);
        assert_eq!(k.events(), vec!["lset"]);
        assert_eq!(k.r("LSET l 5 B"), "-ERR index out of range\r\n");
        assert_eq!(k.r("LSET nosuch x B"), "-ERR no such key\r\n");
        assert_eq!(k.r("LSET l x B"), NOTINT);
        assert_eq!(k.r("LINSERT l before B x"), int(4));
        assert_eq!(k.events(), vec!["linsert"]);
        assert_eq!(k.r("LINSERT l AFTER c y"), int(5));
        assert_eq!(k.r("LINSERT l AFTER zz y"), int(-1));
        assert_eq!(k.dirty, 0);
        assert_eq!(k.r("LINSERT l middle c y"), SYNTAX);
        assert_eq!(k.r("LINSERT nosuch before c y"), int(0));
        assert_eq!(k.r("LRANGE l 0 -1"), arr(&["a", "x", "B", "c", "y"]));
    }

    #[test]
    fn rem_and_trim() {
        let mut k = Kit::new();
        k.r("RPUSH l a b a c a");
        assert_eq!(k.r("LREM l -2 a"), int(2));
        assert_eq!(k.events(), vec!["lrem"]);
        assert_eq!(k.r("LRANGE l 0 -1"), arr(&["a", "b", "c"]));
        assert_eq!(k.r("LREM l 0 z"), int(0));
        assert!(k.events().is_empty());
        assert_eq!(k.r("LREM l x a"), NOTINT);
        assert_eq!(k.r("LTRIM l 1 1"), OK);
        assert_eq!(k.dirty, 2);
        assert_eq!(k.events(), vec!["ltrim"]);
        assert_eq!(k.r("LTRIM l 0 -1"), OK);
        assert_eq!(k.events(), vec!["ltrim"]);
        assert_eq!(k.dirty, 0);
        assert_eq!(k.r("LTRIM l 2 1"), OK);
        assert_eq!(k.events(), vec!["ltrim", "del"]);
        assert!(!k.exists("l"));
        assert_eq!(k.r("LTRIM l x 1"), NOTINT);
        assert_eq!(k.r("LTRIM nosuch 0 1"), OK);
        k.r("RPUSH l q");
        assert_eq!(k.r("LREM l 1 q"), int(1));
        assert_eq!(k.events(), vec!["lrem", "del"]);
    }

    #[test]
    fn lpos_options() {
        let mut k = Kit::new();
        k.r("RPUSH l a b c d a b c d a");
        assert_eq!(k.r("LPOS l a"), int(0));
        assert_eq!(k.r("LPOS l a RANK 2"), int(4));
        assert_eq!(k.r("LPOS l a RANK -1"), int(8));
        assert_eq!(k.r("LPOS l a RANK -3"), int(0));
        assert_eq!(k.r("LPOS l a RANK 4"), NIL);
        assert_eq!(k.r("LPOS l a COUNT 0"), "*3\r\n:0\r\n:4\r\n:8\r\n");
        assert_eq!(k.r("LPOS l a RANK -1 COUNT 2"), "*2\r\n:8\r\n:4\r\n");
        assert_eq!(k.r("LPOS l a MAXLEN 4 COUNT 0"), "*1\r\n:0\r\n");
        assert_eq!(k.r("LPOS l z COUNT 2"), EMPTY);
        assert_eq!(
            k.r("LPOS l a RANK -9223372036854775808 COUNT 1"),
            "*3\r\n:8\r\n:4\r\n:0\r\n"
        );
        assert!(k
            .r("LPOS l a RANK 0")
            .starts_with("-ERR RANK can't be zero"));
        assert_eq!(k.r("LPOS l a COUNT x"), "-ERR COUNT can't be negative\r\n");
        assert_eq!(
            k.r("LPOS l a MAXLEN -1"),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(k.r("LPOS l a RANK"), SYNTAX);
        assert_eq!(k.r("LPOS nosuch a"), NIL);
        assert_eq!(k.r("LPOS nosuch a COUNT 1"), EMPTY);
    }

    #[test]
    fn lmove_between_and_within() {
        let mut k = Kit::new();
        k.r("RPUSH src a b");
        assert_eq!(k.r("LMOVE src dst LEFT RIGHT"), bulk("a"));
        assert_eq!(k.events(), vec!["rpush", "lpop"]);
        assert_eq!(k.dirty, 1);
        assert_eq!(k.touched_keys(), ["dst", "src"]);
        assert_eq!(k.r("RPOPLPUSH src dst"), bulk("b"));
        assert_eq!(k.events(), vec!["lpush", "rpop", "del"]);
        assert!(!k.exists("src"));
        assert_eq!(k.r("LRANGE dst 0 -1"), arr(&["b", "a"]));
        assert_eq!(k.r("LMOVE dst dst LEFT RIGHT"), bulk("b"));
        assert_eq!(k.r("LRANGE dst 0 -1"), arr(&["a", "b"]));
        assert_eq!(k.r("LMOVE nosuch dst LEFT RIGHT"), NIL);
        assert_eq!(k.r("LMOVE dst x UP RIGHT"), SYNTAX);
        k.set_string("s");
        assert_eq!(k.r("LMOVE dst s LEFT LEFT"), WRONGTYPE);
        assert_eq!(k.r("LMOVE s dst LEFT LEFT"), WRONGTYPE);
        assert_eq!(k.r("LLEN dst"), int(2));
        k.r("RPUSH one x");
        assert_eq!(k.r("LMOVE one one LEFT LEFT"), bulk("x"));
        assert!(k.exists("one"));
    }

    #[test]
    fn lmpop_parsing_and_propagation() {
        let mut k = Kit::new();
        k.r("RPUSH b 1 2 3");
        assert_eq!(
            k.r("LMPOP 2 a b RIGHT COUNT 2"),
            "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
        );
        assert_eq!(k.propagated(), Some(vec!["RPOP b 2".to_string()]));
        assert_eq!(
            k.r("LMPOP 1 b LEFT COUNT 9"),
            "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n"
        );
        assert_eq!(k.propagated(), Some(vec!["LPOP b 1".to_string()]));
        assert_eq!(k.events(), vec!["lpop", "del"]);
        assert_eq!(k.r("LMPOP 1 b LEFT"), NIL_ARRAY);
        let numkeys = "-ERR numkeys should be greater than 0\r\n";
        assert_eq!(k.r("LMPOP 0 a LEFT"), numkeys);
        assert_eq!(k.r("LMPOP x a LEFT"), numkeys);
        assert_eq!(k.r("LMPOP 2 a LEFT"), SYNTAX);
        assert_eq!(k.r("LMPOP 9223372036854775807 a LEFT"), SYNTAX);
        assert_eq!(
            k.r("LMPOP 1 a LEFT COUNT 0"),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(k.r("LMPOP 1 a LEFT COUNT 1 COUNT 1"), SYNTAX);
        assert_eq!(k.r("LMPOP 1 a UP"), SYNTAX);
    }

    #[test]
    fn keys_of_numkeys_commands() {
        use crate::commands::OwnedArgs;
        let o: OwnedArgs = [&b"LMPOP"[..], b"2", b"a", b"b", b"LEFT"]
            .into_iter()
            .collect();
        assert_eq!(super::numkeys_keys(&o.args(), 1), vec![2, 3]);
        let o: OwnedArgs = [&b"LMPOP"[..], b"9", b"a"].into_iter().collect();
        assert_eq!(super::numkeys_keys(&o.args(), 1), vec![2]);
        let o: OwnedArgs = [&b"LMPOP"[..], b"x", b"a"].into_iter().collect();
        assert!(super::numkeys_keys(&o.args(), 1).is_empty());
        let o: OwnedArgs = [&b"BLMPOP"[..], b"0", b"1", b"k", b"LEFT"]
            .into_iter()
            .collect();
        assert_eq!(super::blmpop_keys(&o.args()), vec![3]);
    }

    #[test]
    fn blocking_forms_serve_or_block() {
        let mut k = Kit::new();
        k.r("RPUSH a x y");
        assert_eq!(k.r("BLPOP nosuch a 0"), "*2\r\n$1\r\na\r\n$1\r\nx\r\n");
        assert_eq!(k.propagated(), Some(vec!["LPOP a".to_string()]));
        assert_eq!(k.r("BRPOP a 0"), "*2\r\n$1\r\na\r\n$1\r\ny\r\n");
        assert_eq!(k.propagated(), Some(vec!["RPOP a".to_string()]));
        assert_eq!(k.events(), vec!["rpop", "del"]);
        // Nothing to pop: no reply, a block request on every key.
        assert_eq!(k.r("BLPOP a b 0"), "");
        assert_eq!(k.blocked, Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(k.r("BLMOVE a b LEFT LEFT 1.5"), "");
        assert_eq!(k.blocked, Some(vec!["a".to_string()]));
        assert_eq!(k.r("BLMPOP 0 2 a b LEFT"), "");
        assert_eq!(k.blocked, Some(vec!["a".to_string(), "b".to_string()]));
        // Inside EXEC they answer as on a timeout.
        k.client.in_exec = true;
        assert_eq!(k.r("BLPOP a 0"), NIL_ARRAY);
        assert_eq!(k.r("BLMPOP 0 1 a LEFT"), NIL_ARRAY);
        assert_eq!(k.r("BLMOVE a b LEFT LEFT 0"), NIL);
        assert_eq!(k.r("BRPOPLPUSH a b 0"), NIL);
        assert_eq!(k.blocked, None);
        k.client.in_exec = false;
        assert_eq!(k.r("BLPOP a -1"), "-ERR timeout is negative\r\n");
        assert_eq!(
            k.r("BLPOP a x"),
            "-ERR timeout is not a float or out of range\r\n"
        );
        assert_eq!(
            k.r("BLMPOP x 0 a LEFT"),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(
            k.r("BLMPOP x 1 a LEFT"),
            "-ERR timeout is not a float or out of range\r\n"
        );
        assert_eq!(k.r("BLMOVE a b UP LEFT x"), SYNTAX);
    }

    #[test]
    fn blocking_moves_propagate_as_moves() {
        let mut k = Kit::new();
        k.r("RPUSH src a b c");
        assert_eq!(k.r("BLMOVE src dst RIGHT LEFT 0"), bulk("c"));
        assert_eq!(
            k.propagated(),
            Some(vec!["LMOVE src dst RIGHT LEFT".to_string()])
        );
        assert_eq!(k.r("BRPOPLPUSH src dst 0"), bulk("b"));
        assert_eq!(k.propagated(), Some(vec!["RPOPLPUSH src dst".to_string()]));
        assert_eq!(
            k.r("BLMPOP 0 1 src LEFT COUNT 3"),
            "*2\r\n$3\r\nsrc\r\n*1\r\n$1\r\na\r\n"
        );
        assert_eq!(k.propagated(), Some(vec!["LPOP src 1".to_string()]));
        k.set_string("s");
        k.r("RPUSH src q");
        assert_eq!(k.r("BLMOVE src s LEFT LEFT 0"), WRONGTYPE);
        assert_eq!(k.r("LLEN src"), int(1));
        assert_eq!(k.r("BLPOP s 0"), WRONGTYPE);
    }

    #[test]
    fn big_lists_through_commands() {
        let mut k = Kit::new();
        for chunk in 0..100 {
            let mut cmd = vec![b"RPUSH".to_vec(), b"l".to_vec()];
            for i in 0..100 {
                cmd.push(format!("{}", chunk * 100 + i).into_bytes());
            }
            let parts: Vec<&[u8]> = cmd.iter().map(|v| v.as_slice()).collect();
            k.call(&parts);
        }
        assert_eq!(k.r("LLEN l"), int(10000));
        assert_eq!(k.r("LINDEX l 5000"), bulk("5000"));
        assert_eq!(k.r("LINDEX l -1"), bulk("9999"));
        assert_eq!(bulks(&k.r("LRANGE l 9990 10005")).len(), 10);
        assert_eq!(k.r("LPOS l 7777"), int(7777));
        assert_eq!(k.r("LINSERT l BEFORE 5000 x"), int(10001));
        assert_eq!(k.r("LINDEX l 5000"), bulk("x"));
        assert_eq!(k.r("LREM l 0 x"), int(1));
        assert_eq!(k.r("LTRIM l 100 -101"), OK);
        assert_eq!(k.r("LLEN l"), int(9800));
        assert_eq!(k.r("LINDEX l 0"), bulk("100"));
        assert_eq!(bulks(&k.r("RPOP l 3")), vec!["9899", "9898", "9897"]);
    }
}
