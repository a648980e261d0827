//! The hashes family: HSET HSETNX HGET HMGET HMSET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS
//! HGETALL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, as Redis 7.0 runs them.
//!
//! The value type lives in `store::hash`; this file only parses arguments, applies
//! changes and replies. Two rules hold for every write: a key never holds an empty hash
//! (a new hash is stored only once something is in it, and HDEL deletes the key when it
//! removes the last field), and every write reports itself with one `Store::modified`
//! call (dirty count, WATCH signal and keyspace event together). HINCRBYFLOAT is fed to
//! the AOF as `HSET key field new-value`.

#![deny(clippy::indexing_slicing)]

use super::args::parse_cursor;
use super::flags::*;
use super::{cmd, sds_cmd, Args, CommandDef, Ctx, Group, ScanOpts};
use crate::error::{CmdResult, Error};
use crate::resp::reply::Reply;
use crate::server::obuf;
use crate::store::hash::{random_below, Hash, Limits};
use crate::store::{notify, Store, Value};
use crate::util::glob::glob_match;
use crate::util::num::{check_incr_float_arg, incr_by_float, parse_i64, FloatIncr};

pub const COMMANDS: &[CommandDef] = &[
    cmd("hset", -4, WRITE | DENYOOM | FAST | HASH_FIELD, hset)
        .docs(&docs::HSET)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hsetnx", 4, WRITE | DENYOOM | FAST | HASH_FIELD, hsetnx)
        .docs(&docs::HSETNX)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hget", 3, READONLY | FAST | HASH_FIELD, hget)
        .docs(&docs::HGET)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hmget", -3, READONLY | FAST | HASH_FIELD, hmget)
        .docs(&docs::HMGET)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hmset", -4, WRITE | DENYOOM | FAST | HASH_FIELD, hmset)
        .docs(&docs::HMSET)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hdel", -3, WRITE | FAST | HASH_FIELD, hdel)
        .docs(&docs::HDEL)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hexists", 3, READONLY | FAST | HASH_FIELD, hexists)
        .docs(&docs::HEXISTS)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hlen", 2, READONLY | FAST, hlen)
        .docs(&docs::HLEN)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hstrlen", 3, READONLY | FAST | HASH_FIELD, hstrlen)
        .docs(&docs::HSTRLEN)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hkeys", 2, READONLY, hkeys)
        .docs(&docs::HKEYS)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hvals", 2, READONLY, hvals)
        .docs(&docs::HVALS)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hgetall", 2, READONLY, hgetall)
        .docs(&docs::HGETALL)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hincrby", 4, WRITE | DENYOOM | FAST | HASH_FIELD, hincrby)
        .docs(&docs::HINCRBY)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST | HASH_FIELD,
        hincrbyfloat,
    )
    .docs(&docs::HINCRBYFLOAT)
    .keys(1, 1, 1)
    .group(Group::Hash),
    cmd("hrandfield", -2, READONLY, hrandfield)
        .docs(&docs::HRANDFIELD)
        .keys(1, 1, 1)
        .group(Group::Hash),
    cmd("hscan", -3, READONLY, hscan)
        .docs(&docs::HSCAN)
        .keys(1, 1, 1)
        .group(Group::Hash),
];

/// The hash at `key` for a read: None when the key is absent.
#[inline]
fn read<'a>(store: &'a mut Store, key: &[u8]) -> Result<Option<&'a Hash>, Error> {
    match store.lookup_read(key) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(Error::WrongType),
    }
}

/// Runs `f` on the hash at `key`, or on a new hash that is stored only if `f` succeeds
/// and left something in it (with the `new` event). Returns `f`'s result; the caller
/// reports the write with `modified`.
#[inline]
fn update<R>(
    store: &mut Store,
    key: &[u8],
    f: impl FnOnce(&mut Hash) -> Result<R, Error>,
) -> Result<R, Error> {
    if let Some(v) = store.lookup_write(key) {
        let Value::Hash(h) = v else {
            return Err(Error::WrongType);
        };
        return f(h);
    }
    let mut h = Hash::new();
    let r = f(&mut h)?;
    if !h.is_empty() {
        store.add(key, Value::Hash(Box::new(h)));
    }
    Ok(r)
}

/// The common part of HSET and HMSET; returns how many fields were new.
#[inline]
fn set_pairs(ctx: &mut Ctx, a: &Args) -> Result<i64, Error> {
    if !a.len().is_multiple_of(2) {
        return Err(Error::Arity(ctx.cmd.name.to_string()));
    }
    let lim = Limits::from_config(ctx.config());
    let key = a.get(1);
    let pairs = (a.len() - 2) / 2;
    let added = update(ctx.store, key, |h| {
        let mut added = 0;
        let mut c = a.cursor(2);
        while let (Some(f), Some(v)) = (c.next(), c.next()) {
            added += h.set(f, v, lim) as i64;
        }
        Ok(added)
    })?;
    // Every pair counts as a change, new field or not, as in Redis.
    ctx.store
        .modified_by(key, notify::HASH, "hset", pairs as u64);
    Ok(added)
}

/// HSET key field value [field value ...]
fn hset(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let added = set_pairs(ctx, a)?;
    ctx.reply.int(added);
    Ok(())
}

/// HMSET key field value [field value ...]
fn hmset(ctx: &mut Ctx, a: &Args) -> CmdResult {
    set_pairs(ctx, a)?;
    ctx.reply.ok();
    Ok(())
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let lim = Limits::from_config(ctx.config());
    let (key, field, value) = (a.get(1), a.get(2), a.get(3));
    let set = update(ctx.store, key, |h| {
        if h.contains(field) {
            return Ok(false);
        }
        h.set(field, value, lim);
        Ok(true)
    })?;
    if set {
        ctx.store.modified(key, notify::HASH, "hset");
    }
    ctx.reply.int(set as i64);
    Ok(())
}

/// HGET key field
fn hget(ctx: &mut Ctx, a: &Args) -> CmdResult {
    match read(ctx.store, a.get(1))?.and_then(|h| h.get(a.get(2))) {
        Some(v) => ctx.reply.bulk(v),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let h = read(ctx.store, a.get(1))?;
    ctx.reply.array(a.len() - 2);
    for f in a.from(2) {
        match h.and_then(|h| h.get(f)) {
            Some(v) => ctx.reply.bulk(v),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// HDEL key field [field ...]
fn hdel(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let Some(v) = ctx.store.lookup_write(key) else {
        ctx.reply.int(0);
        return Ok(());
    };
    let Value::Hash(h) = v else {
        return Err(Error::WrongType);
    };
    let mut deleted = 0u64;
    let mut emptied = false;
    for f in a.from(2) {
        if h.remove(f) {
            deleted += 1;
            if h.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.store.modified_by(key, notify::HASH, "hdel", deleted);
        if emptied {
            ctx.store.remove_emptied(key);
        }
    }
    ctx.reply.int(deleted as i64);
    Ok(())
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let found = read(ctx.store, a.get(1))?.is_some_and(|h| h.contains(a.get(2)));
    ctx.reply.int(found as i64);
    Ok(())
}

/// HLEN key
fn hlen(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let n = read(ctx.store, a.get(1))?.map_or(0, |h| h.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let n = read(ctx.store, a.get(1))?
        .and_then(|h| h.get(a.get(2)))
        .map_or(0, |v| v.len());
    ctx.reply.int(n as i64);
    Ok(())
}

/// HKEYS, HVALS and HGETALL: fields, values, or both (a map).
fn get_all(ctx: &mut Ctx, a: &Args, fields: bool, values: bool) -> CmdResult {
    let both = fields && values;
    let h = read(ctx.store, a.get(1))?;
    let n = h.map_or(0, |h| h.len());
    if both {
        ctx.reply.map(n);
    } else {
        ctx.reply.array(n);
    }
    if let Some(h) = h {
        for (f, v) in h.iter() {
            if fields {
                ctx.reply.bulk(f);
            }
            if values {
                ctx.reply.bulk(v);
            }
        }
    }
    Ok(())
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx, a: &Args) -> CmdResult {
    get_all(ctx, a, true, false)
}

/// HVALS key
fn hvals(ctx: &mut Ctx, a: &Args) -> CmdResult {
    get_all(ctx, a, false, true)
}

/// HGETALL key
fn hgetall(ctx: &mut Ctx, a: &Args) -> CmdResult {
    get_all(ctx, a, true, true)
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let incr = parse_i64(a.get(3)).ok_or(Error::NotInteger)?;
    let lim = Limits::from_config(ctx.config());
    let (key, field) = (a.get(1), a.get(2));
    let value = update(ctx.store, key, |h| {
        let old = match h.get(field) {
            Some(v) => parse_i64(v).ok_or(Error::msg("ERR hash value is not an integer"))?,
            None => 0,
        };
        let new = old.checked_add(incr).ok_or(Error::Overflow)?;
        h.set(field, itoa::Buffer::new().format(new).as_bytes(), lim);
        Ok(new)
    })?;
    ctx.store.modified(key, notify::HASH, "hincrby");
    ctx.reply.int(value);
    Ok(())
}

/// HINCRBYFLOAT key field increment
fn hincrbyfloat(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let incr = a.get(3);
    match check_incr_float_arg(incr) {
        Ok(()) => {}
        Err(FloatIncr::NanOrInf) => return Err(Error::msg("ERR value is NaN or Infinity")),
        Err(_) => return Err(Error::NotFloat),
    }
    let lim = Limits::from_config(ctx.config());
    let (key, field) = (a.get(1), a.get(2));
    let value = update(ctx.store, key, |h| {
        match incr_by_float(h.get(field), incr) {
            FloatIncr::Value(v) => {
                h.set(field, &v, lim);
                Ok(v)
            }
            FloatIncr::NotFloat => Err(Error::msg("ERR hash value is not a float")),
            FloatIncr::NanOrInf => Err(Error::msg("ERR increment would produce NaN or Infinity")),
        }
    })?;
    ctx.store.modified(key, notify::HASH, "hincrbyfloat");
    ctx.reply.bulk(&value);
    // Replicas and the AOF get the result, never the float arithmetic.
    ctx.rewrite_as(vec![sds_cmd(&[b"HSET", key, field, &value])]);
    Ok(())
}

/// One HRANDFIELD element: the field, or (field, value) as a pair in RESP3 and flat in
/// RESP2.
#[inline]
fn put_pick(r: &mut Reply, f: &[u8], v: &[u8], withvalues: bool) {
    if withvalues && r.resp3 {
        r.array(2);
    }
    r.bulk(f);
    if withvalues {
        r.bulk(v);
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let mut c = a.cursor(2);
    if !c.is_done() {
        let count = c.i64()?;
        if count == i64::MIN {
            return Err(Error::msg(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            ));
        }
        let withvalues = c.eat("withvalues");
        if !c.is_done() {
            return Err(Error::Syntax);
        }
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
            return Err(Error::msg("ERR value is out of range"));
        }
        return hrandfield_count(ctx, a.get(1), count, withvalues);
    }
    match read(ctx.store, a.get(1))?.and_then(|h| h.random_pair()) {
        Some((f, _)) => ctx.reply.bulk(f),
        None => ctx.reply.null(),
    }
    Ok(())
}

/// HRANDFIELD with a count, by Redis's four cases: repeats allowed (negative count, or 1);
/// the whole hash (count >= size); drop random fields from a copy (count close to size);
/// draw distinct random fields (count small against size).
fn hrandfield_count(ctx: &mut Ctx, key: &[u8], count: i64, withvalues: bool) -> CmdResult {
    let Some(h) = read(ctx.store, key)? else {
        ctx.reply.array(0);
        return Ok(());
    };
    let r = &mut ctx.reply;
    let flat = withvalues && !r.resp3;
    let uniq = count >= 0;
    let count = count.unsigned_abs() as usize;
    if count == 0 {
        r.array(0);
        return Ok(());
    }

    // Case 1: independent picks, in random order.
    if !uniq || count == 1 {
        r.array(if flat { count * 2 } else { count });
        let pairs: Vec<(&[u8], &[u8])> = if h.is_compact() {
            h.iter().collect()
        } else {
            Vec::new()
        };
        for _ in 0..count {
            let pick = if pairs.is_empty() {
                h.random_pair()
            } else {
                pairs.get(random_below(pairs.len())).copied()
            };
            let Some((f, v)) = pick else { break };
            put_pick(r, f, v, withvalues);
            if obuf::reply_too_big(ctx.srv.config(), ctx.client, r.buf.len()) {
                break;
            }
        }
        return Ok(());
    }

    let size = h.len();
    let n = count.min(size);
    r.array(if flat { n * 2 } else { n });

    // Case 2: everything.
    if count >= size {
        for (f, v) in h.iter() {
            put_pick(r, f, v, withvalues);
        }
        return Ok(());
    }

    // Case 3: remove random entries from a copy until `count` are left.
    if count.saturating_mul(3) > size {
        let mut all: Vec<(&[u8], &[u8])> = h.iter().collect();
        while all.len() > count {
            all.swap_remove(random_below(all.len()));
        }
        for (f, v) in all {
            put_pick(r, f, v, withvalues);
        }
        return Ok(());
    }

    // Case 4: few distinct picks from a large hash.
    if h.is_compact() {
        // Selection sampling: each entry is taken with probability needed/left, which
        // yields exactly `count` distinct entries in the pack's order.
        let mut need = count;
        let mut left = size;
        for (f, v) in h.iter() {
            if random_below(left) < need {
                put_pick(r, f, v, withvalues);
                need -= 1;
                if need == 0 {
                    break;
                }
            }
            left -= 1;
        }
        return Ok(());
    }
    let mut seen = std::collections::HashSet::with_capacity(count);
    let mut tries = 0usize;
    let max_tries = count.saturating_mul(64).saturating_add(1024);
    while seen.len() < count && tries < max_tries {
        tries += 1;
        let Some((f, v)) = h.random_pair() else { break };
        if seen.insert(f.as_ptr() as usize) {
            put_pick(r, f, v, withvalues);
        }
    }
    // Should the random picks keep missing, complete with fields not yet given.
    if seen.len() < count {
        for (f, v) in h.iter() {
            if seen.len() == count {
                break;
            }
            if seen.insert(f.as_ptr() as usize) {
                put_pick(r, f, v, withvalues);
            }
        }
    }
    Ok(())
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
fn hscan(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let cursor = parse_cursor(a.get(2))?;
    let Some(h) = read(ctx.store, a.get(1))? else {
        ctx.reply.array(2);
        ctx.reply.bulk(b"0");
        ctx.reply.array(0);
        return Ok(());
    };
    // The options are read once the hash is found, as Redis does.
    let ScanOpts { count, pattern, .. } = ScanOpts::parse(&mut a.cursor(3), false)?;

    let mut items = Vec::new();
    let mut out = Reply::new(&mut items, ctx.reply.resp3);
    let mut n = 0usize;
    let mut emit = |f: &[u8], v: &[u8]| {
        if pattern.is_none_or(|p| glob_match(p, f, false)) {
            out.bulk(f);
            out.bulk(v);
            n += 2;
        }
    };
    let next = if h.is_compact() {
        h.scan(cursor, &mut emit)
    } else {
        // Redis doubles COUNT for hashes (fields and values are both elements) and then
        // visits up to 10 * that many buckets, stopping once that many elements were
        // gathered, matching or not: about COUNT fields per call.
        let limit = count.saturating_mul(2);
        let mut budget = limit.saturating_mul(10);
        let mut gathered: i64 = 0;
        let mut cur = cursor;
        loop {
            cur = h.scan(cur, |f, v| {
                gathered += 2;
                emit(f, v);
            });
            if cur == 0 || budget == 0 || gathered >= limit {
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

    pub const HDEL: Docs = Docs {
        name: "hdel",
        summary: "Delete one or more hash fields",
        since: "2.0.0",
        complexity: "O(N) where N is the number of fields to be removed.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("2.4.0", "Accepts multiple `field` arguments.")],
        args: &[arg("key", Key).key_spec(0), arg("field", Str).multi()],
    };

    pub const HEXISTS: Docs = Docs {
        name: "hexists",
        summary: "Determine if a hash field exists",
        since: "2.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("field", Str)],
    };

    pub const HGET: Docs = Docs {
        name: "hget",
        summary: "Get the value of a hash field",
        since: "2.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("field", Str)],
    };

    pub const HGETALL: Docs = Docs {
        name: "hgetall",
        summary: "Get all the fields and values in a hash",
        since: "2.0.0",
        complexity: "O(N) where N is the size of the hash.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const HINCRBY: Docs = Docs {
        name: "hincrby",
        summary: "Increment the integer value of a hash field by the given number",
        since: "2.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("field", Str),
            arg("increment", Int),
        ],
    };

    pub const HINCRBYFLOAT: Docs = Docs {
        name: "hincrbyfloat",
        summary: "Increment the float value of a hash field by the given amount",
        since: "2.6.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("field", Str),
            arg("increment", Double),
        ],
    };

    pub const HKEYS: Docs = Docs {
        name: "hkeys",
        summary: "Get all the fields in a hash",
        since: "2.0.0",
        complexity: "O(N) where N is the size of the hash.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const HLEN: Docs = Docs {
        name: "hlen",
        summary: "Get the number of fields in a hash",
        since: "2.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };

    pub const HMGET: Docs = Docs {
        name: "hmget",
        summary: "Get the values of all the given hash fields",
        since: "2.0.0",
        complexity: "O(N) where N is the number of fields being requested.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("field", Str).multi()],
    };

    pub const HMSET: Docs = Docs {
        name: "hmset",
        summary: "Set multiple hash fields to multiple values",
        since: "2.0.0",
        complexity: "O(N) where N is the number of fields being set.",
        doc_flags: &["deprecated"],
        deprecated_since: "4.0.0",
        replaced_by: "`HSET` with multiple field-value pairs",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("field_value", Block)
                .multi()
                .args(&[arg("field", Str), arg("value", Str)]),
        ],
    };

    pub const HRANDFIELD: Docs = Docs {
        name: "hrandfield",
        summary: "Get one or multiple random fields from a hash",
        since: "6.2.0",
        complexity: "O(N) where N is the number of fields returned",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("options", Block).opt().args(&[
                arg("count", Int),
                arg("withvalues", PureToken).token("WITHVALUES").opt(),
            ]),
        ],
    };

    pub const HSCAN: Docs = Docs {
        name: "hscan",
        summary: "Incrementally iterate hash fields and associated values",
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

    pub const HSET: Docs = Docs {
        name: "hset",
        summary: "Set the string value of a hash field",
        since: "2.0.0",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[
            ("4.0.0", "Accepts multiple `field` and `value` arguments."),
        ],
        args: &[
            arg("key", Key).key_spec(0),
            arg("field_value", Block).multi().args(&[
                arg("field", Str),
                arg("value", Str),
            ]),
        ],
    };

    pub const HSETNX: Docs = Docs {
        name: "hsetnx",
        summary: "Set the value of a hash field, only if the field does not exist",
        since: "2.0.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("field", Str),
            arg("value", Str),
        ],
    };

    pub const HSTRLEN: Docs = Docs {
        name: "hstrlen",
        summary: "Get the length of the value of a hash field",
        since: "3.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("field", Str)],
    };

    pub const HVALS: Docs = Docs {
        name: "hvals",
        summary: "Get all the values in a hash",
        since: "2.0.0",
        complexity: "O(N) where N is the size of the hash.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0)],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use crate::commands::test_kit::Kit;
    use crate::commands::Propagate;
    use crate::store::hash::Limits;

    const NIL: &str = "$-1\r\n";
    const OK: &str = "+OK\r\n";
    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const NOTINT: &str = "-ERR value is not an integer or out of range\r\n";
    const SYNTAX: &str = "-ERR syntax error\r\n";

    fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    fn int(n: i64) -> String {
        format!(":{n}\r\n")
    }

    /// Parses a RESP2 flat array of bulk strings.
    fn bulks(s: &str) -> Vec<String> {
        let mut lines = s.split("\r\n");
        let head = lines.next().unwrap();
        assert!(head.starts_with('*'), "{s}");
        let mut out = Vec::new();
        while let Some(l) = lines.next() {
            if l.starts_with('$') {
                out.push(lines.next().unwrap().to_string());
            }
        }
        out
    }

    #[test]
    fn hset_counts_new_fields_and_notifies() {
        let mut k = Kit::new();
        assert_eq!(k.r("HSET h a 1 b 2"), int(2));
        assert_eq!(k.dirty, 2);
        assert_eq!(k.events(), vec!["hset"]);
        assert_eq!(k.touched_keys().len(), 1);
        assert_eq!(k.r("HSET h a 3 c 4 a 5"), int(1));
        assert_eq!(k.dirty, 3);
        assert_eq!(k.touched_keys().len(), 1);
        assert_eq!(k.r("HGET h a"), bulk("5"));
        assert_eq!(k.r("HLEN h"), int(3));
        assert!(matches!(k.propagate, Propagate::AsIs));
        assert_eq!(k.encoding("h"), "listpack");
    }

    #[test]
    fn hset_arity_and_type_errors() {
        let mut k = Kit::new();
        let arity = "-ERR wrong number of arguments for 'hset' command\r\n";
        assert_eq!(k.r("HSET h a"), arity);
        assert_eq!(k.r("HSET h a 1 b"), arity);
        assert_eq!(k.dirty, 0);
        assert!(k.hash("h").is_none());
        assert_eq!(
            k.r("HMSET h a 1 b"),
            "-ERR wrong number of arguments for 'hmset' command\r\n"
        );
        assert_eq!(k.r("HMSET h a 1 b 2"), OK);
        assert_eq!(k.dirty, 2);
        k.set_string("s");
        assert_eq!(k.r("HSET s a 1"), WRONGTYPE);
        assert_eq!(k.r("HMSET s a 1"), WRONGTYPE);
        assert_eq!(k.r("HSETNX s a 1"), WRONGTYPE);
        assert_eq!(k.dirty, 0);
    }

    #[test]
    fn read_commands_on_missing_and_wrong_type() {
        let mut k = Kit::new();
        k.set_string("s");
        for c in [
            "HGET s a",
            "HMGET s a",
            "HLEN s",
            "HEXISTS s a",
            "HSTRLEN s a",
            "HKEYS s",
            "HVALS s",
            "HGETALL s",
            "HDEL s a",
            "HINCRBY s a 1",
            "HINCRBYFLOAT s a 1",
            "HRANDFIELD s",
            "HRANDFIELD s 2",
            "HSCAN s 0",
        ] {
            assert_eq!(k.r(c), WRONGTYPE, "{c}");
        }
        assert_eq!(k.r("HGET n a"), NIL);
        assert_eq!(k.r("HMGET n a b"), format!("*2\r\n{NIL}{NIL}"));
        assert_eq!(k.r("HLEN n"), int(0));
        assert_eq!(k.r("HEXISTS n a"), int(0));
        assert_eq!(k.r("HSTRLEN n a"), int(0));
        assert_eq!(k.r("HKEYS n"), "*0\r\n");
        assert_eq!(k.r("HVALS n"), "*0\r\n");
        assert_eq!(k.r("HGETALL n"), "*0\r\n");
        assert_eq!(k.r("HDEL n a"), int(0));
        assert_eq!(k.r("HRANDFIELD n"), NIL);
        assert_eq!(k.r("HRANDFIELD n 3 WITHVALUES"), "*0\r\n");
        assert_eq!(k.r("HSCAN n 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(k.dirty, 0);
        assert_eq!(k.store.db().len(), 1);
    }

    #[test]
    fn resp3_shapes() {
        let mut k = Kit::resp3();
        assert_eq!(k.r("HGETALL n"), "%0\r\n");
        assert_eq!(k.r("HRANDFIELD n"), "_\r\n");
        assert_eq!(k.r("HGET n a"), "_\r\n");
        k.r("HSET h a 1");
        assert_eq!(k.r("HGETALL h"), "%1\r\n$1\r\na\r\n$1\r\n1\r\n");
        assert_eq!(k.r("HKEYS h"), "*1\r\n$1\r\na\r\n");
        assert_eq!(
            k.r("HRANDFIELD h 1 WITHVALUES"),
            "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            k.r("HRANDFIELD h -2 WITHVALUES"),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            k.r("HRANDFIELD h 5 WITHVALUES"),
            "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        // HSCAN stays a flat array.
        assert_eq!(
            k.r("HSCAN h 0"),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
    }

    #[test]
    fn hsetnx() {
        let mut k = Kit::new();
        assert_eq!(k.r("HSETNX h a 1"), int(1));
        assert_eq!((k.dirty, k.events()), (1, vec!["hset"]));
        assert_eq!(k.r("HSETNX h a 2"), int(0));
        assert_eq!(
            (k.dirty, k.events().len(), k.touched_keys().len()),
            (0, 0, 0)
        );
        assert_eq!(k.r("HGET h a"), bulk("1"));
        assert_eq!(k.r("HSETNX h b 2"), int(1));
        assert_eq!(k.touched_keys().len(), 1);
        assert_eq!(k.r("HLEN h"), int(2));
        let long = "v".repeat(65);
        assert_eq!(k.call(&[b"HSETNX", b"h", b"c", long.as_bytes()]), int(1));
        assert_eq!(k.encoding("h"), "hashtable");
    }

    #[test]
    fn hmget_hexists_hstrlen() {
        let mut k = Kit::new();
        k.r("HSET h a 1 b hello");
        assert_eq!(
            k.r("HMGET h a x b"),
            format!("*3\r\n{}{NIL}{}", bulk("1"), bulk("hello"))
        );
        assert_eq!(k.r("HEXISTS h b"), int(1));
        assert_eq!(k.r("HEXISTS h x"), int(0));
        assert_eq!(k.r("HSTRLEN h b"), int(5));
        assert_eq!(k.r("HSTRLEN h x"), int(0));
        assert_eq!(k.call(&[b"HSET", b"h", b"", b""]), int(1));
        assert_eq!(k.call(&[b"HEXISTS", b"h", b""]), int(1));
        assert_eq!(k.call(&[b"HGET", b"h", b""]), bulk(""));
    }

    #[test]
    fn hdel_deletes_the_emptied_key() {
        let mut k = Kit::new();
        k.r("HSET h a 1 b 2 c 3");
        assert_eq!(k.r("HDEL h a x a"), int(1));
        assert_eq!((k.dirty, k.events()), (1, vec!["hdel"]));
        assert_eq!(k.r("HDEL h x y"), int(0));
        assert_eq!(
            (k.dirty, k.events().len(), k.touched_keys().len()),
            (0, 0, 0)
        );
        assert_eq!(k.r("HDEL h b c b"), int(2));
        assert_eq!(k.events(), vec!["hdel", "del"]);
        assert_eq!(k.dirty, 2);
        assert!(!k.touched_keys().is_empty());
        assert!(k.hash("h").is_none());
        assert_eq!(k.store.db().len(), 0);
        // Same from the hashtable encoding.
        let long = "v".repeat(100);
        k.call(&[b"HSET", b"t", b"a", long.as_bytes(), b"b", b"1"]);
        assert_eq!(k.encoding("t"), "hashtable");
        assert_eq!(k.r("HDEL t a b"), int(2));
        assert_eq!(k.store.db().len(), 0);
    }

    #[test]
    fn hkeys_hvals_hgetall_in_both_encodings() {
        let mut k = Kit::new();
        k.r("HSET h a 1 b 2 c 3");
        assert_eq!(bulks(&k.r("HKEYS h")), vec!["a", "b", "c"]);
        assert_eq!(bulks(&k.r("HVALS h")), vec!["1", "2", "3"]);
        assert_eq!(bulks(&k.r("HGETALL h")), vec!["a", "1", "b", "2", "c", "3"]);
        let long = "x".repeat(65);
        k.call(&[b"HSET", b"h", b"d", long.as_bytes()]);
        assert_eq!(k.encoding("h"), "hashtable");
        let all = bulks(&k.r("HGETALL h"));
        assert_eq!(all.len(), 8);
        let mut pairs: Vec<(String, String)> = all
            .chunks(2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect();
        pairs.sort();
        assert_eq!(pairs[0], ("a".into(), "1".into()));
        assert_eq!(pairs[3], ("d".into(), long));
        let mut keys = bulks(&k.r("HKEYS h"));
        keys.sort();
        assert_eq!(keys, vec!["a", "b", "c", "d"]);
        assert_eq!(bulks(&k.r("HVALS h")).len(), 4);
    }

    #[test]
    fn encoding_thresholds_follow_the_config() {
        let mut k = Kit::new();
        k.core.config_mut().hash_max_listpack_entries = 128;
        k.core.config_mut().hash_max_listpack_value = 64;
        for i in 0..128 {
            k.r(&format!("HSET h f{i} v"));
        }
        assert_eq!(k.encoding("h"), "listpack");
        k.r("HSET h f128 v");
        assert_eq!(k.encoding("h"), "hashtable");
        k.r("HDEL h f0 f1 f2 f3");
        assert_eq!(k.encoding("h"), "hashtable");

        let v64 = "x".repeat(64);
        let v65 = "x".repeat(65);
        k.call(&[b"HSET", b"a", b"f", v64.as_bytes()]);
        assert_eq!(k.encoding("a"), "listpack");
        k.call(&[b"HSET", b"a", v64.as_bytes(), b"v"]);
        assert_eq!(k.encoding("a"), "listpack");
        k.call(&[b"HSET", b"a", b"g", v65.as_bytes()]);
        assert_eq!(k.encoding("a"), "hashtable");
        k.call(&[b"HSET", b"b", v65.as_bytes(), b"v"]);
        assert_eq!(k.encoding("b"), "hashtable");
        // HINCRBY on a long field name converts too.
        k.call(&[b"HINCRBY", b"c", v65.as_bytes(), b"1"]);
        assert_eq!(k.encoding("c"), "hashtable");

        k.core.config_mut().hash_max_listpack_entries = 0;
        k.r("HSET z a 1");
        assert_eq!(k.encoding("z"), "hashtable");
        k.core.config_mut().hash_max_listpack_entries = 2;
        k.core.config_mut().hash_max_listpack_value = 3;
        k.r("HSET y a 1 b 2");
        assert_eq!(k.encoding("y"), "listpack");
        k.r("HINCRBYFLOAT y a 0.25");
        assert_eq!(k.encoding("y"), "hashtable");
    }

    #[test]
    fn hincrby() {
        let mut k = Kit::new();
        assert_eq!(k.r("HINCRBY h a 5"), int(5));
        assert_eq!((k.dirty, k.events()), (1, vec!["hincrby"]));
        assert_eq!(k.r("HINCRBY h a -7"), int(-2));
        assert_eq!(k.r("HGET h a"), bulk("-2"));
        assert_eq!(k.r("HINCRBY h a x"), NOTINT);
        assert_eq!(k.r("HINCRBY h a 1.5"), NOTINT);
        assert_eq!(k.r("HINCRBY n a x"), NOTINT);
        k.call(&[b"HSET", b"h", b"s", b"abc", b"f", b"1.5", b"sp", b"1 "]);
        assert_eq!(
            k.r("HINCRBY h sp 1"),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            k.r("HINCRBY h s 1"),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            k.r("HINCRBY h f 1"),
            "-ERR hash value is not an integer\r\n"
        );
        k.r("HSET h big 9223372036854775807 small -9223372036854775808");
        let overflow = "-ERR increment or decrement would overflow\r\n";
        assert_eq!(k.r("HINCRBY h big 1"), overflow);
        assert_eq!(k.r("HINCRBY h small -1"), overflow);
        assert_eq!(k.dirty, 0);
        assert_eq!(k.r("HINCRBY h big -1"), int(9223372036854775806));
        assert_eq!(k.r("HINCRBY h small 0"), int(i64::MIN));
        assert_eq!(k.r("HINCRBY n2 a 9223372036854775807"), int(i64::MAX));
        // A failed increment never leaves an empty hash behind.
        assert!(k.hash("n").is_none());
    }

    #[test]
    fn hincrbyfloat() {
        let mut k = Kit::new();
        assert_eq!(k.r("HINCRBYFLOAT h a 10.5"), bulk("10.5"));
        assert_eq!((k.dirty, k.events()), (1, vec!["hincrbyfloat"]));
        match &k.propagate {
            Propagate::Rewrite(cmds) => {
                assert_eq!(cmds.len(), 1);
                let parts: Vec<&[u8]> = cmds[0].iter().map(|s| &s[..]).collect();
                assert_eq!(parts, vec![&b"HSET"[..], b"h", b"a", b"10.5"]);
            }
            p => panic!("expected a rewrite, got {p:?}"),
        }
        assert_eq!(k.r("HINCRBYFLOAT h a 0.1"), bulk("10.6"));
        assert_eq!(
            k.r("HINCRBYFLOAT h a -5.0e3"),
            bulk("-4989.39999999999999991")
        );
        k.r("HSET h i 5");
        assert_eq!(k.r("HINCRBYFLOAT h i 1"), bulk("6"));
        let notfloat = "-ERR value is not a valid float\r\n";
        assert_eq!(k.r("HINCRBYFLOAT h a x"), notfloat);
        assert_eq!(k.r("HINCRBYFLOAT h a nan"), notfloat);
        assert_eq!(k.r("HINCRBYFLOAT n a x"), notfloat);
        assert_eq!(
            k.r("HINCRBYFLOAT h a inf"),
            "-ERR value is NaN or Infinity\r\n"
        );
        k.r("HSET h s abc");
        assert_eq!(
            k.r("HINCRBYFLOAT h s 1"),
            "-ERR hash value is not a float\r\n"
        );
        k.r("HSET h m 1e308");
        k.r("HINCRBYFLOAT h m 1e308");
        let mut last = String::new();
        for _ in 0..200 {
            last = k.r("HINCRBYFLOAT h m 1e4932");
            if last.starts_with('-') {
                break;
            }
        }
        assert_eq!(last, "-ERR increment would produce NaN or Infinity\r\n");
        assert_eq!(k.dirty, 0);
        assert!(matches!(k.propagate, Propagate::AsIs));
        assert!(k.hash("n").is_none());
    }

    #[test]
    fn hrandfield_argument_errors() {
        let mut k = Kit::new();
        k.r("HSET h a 1");
        assert_eq!(k.r("HRANDFIELD h x"), NOTINT);
        assert_eq!(
            k.r("HRANDFIELD h -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(k.r("HRANDFIELD h 1 withvalue"), SYNTAX);
        assert_eq!(k.r("HRANDFIELD h 1 withvalues x"), SYNTAX);
        assert_eq!(
            k.r("HRANDFIELD h 4611686018427387904 withvalues"),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            k.r("HRANDFIELD h -4611686018427387904 WITHVALUES"),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            k.r("HRANDFIELD h 4611686018427387903 WITHVALUES"),
            "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        // Argument errors come before the type check.
        k.set_string("s");
        assert_eq!(k.r("HRANDFIELD s x"), NOTINT);
        assert_eq!(k.r("HRANDFIELD s 1 x"), SYNTAX);
        assert_eq!(k.r("HRANDFIELD h 0"), "*0\r\n");
        assert_eq!(k.r("HRANDFIELD h 0 WITHVALUES"), "*0\r\n");
    }

    fn check_hrandfield_cases(k: &mut Kit, key: &str, size: usize) {
        let count = |s: &str| bulks(s).len();
        // Case 1: repeats, exact count.
        let r = k.r(&format!("HRANDFIELD {key} -{}", size * 3));
        assert_eq!(count(&r), size * 3);
        let r = k.r(&format!("HRANDFIELD {key} -5 WITHVALUES"));
        let items = bulks(&r);
        assert_eq!(items.len(), 10);
        for p in items.chunks(2) {
            assert_eq!(p[1], format!("v{}", &p[0][1..]));
        }
        assert_eq!(count(&k.r(&format!("HRANDFIELD {key} 1"))), 1);
        // Case 2: the whole hash.
        let mut all = bulks(&k.r(&format!("HRANDFIELD {key} {}", size + 10)));
        all.sort();
        all.dedup();
        assert_eq!(all.len(), size);
        // Case 3 and 4: distinct fields, exact count.
        for n in [size - 1, size / 2, size / 3, size / 4, 2] {
            let r = k.r(&format!("HRANDFIELD {key} {n} WITHVALUES"));
            let items = bulks(&r);
            assert_eq!(items.len(), 2 * n, "count {n}");
            let mut fields: Vec<_> = items.chunks(2).map(|p| p[0].clone()).collect();
            for p in items.chunks(2) {
                assert_eq!(p[1], format!("v{}", &p[0][1..]));
            }
            fields.sort();
            fields.dedup();
            assert_eq!(fields.len(), n, "count {n}");
        }
        // Without a count, any field.
        let r = k.r(&format!("HRANDFIELD {key}"));
        assert!(r.starts_with("$"));
    }

    #[test]
    fn hrandfield_cases_compact() {
        let mut k = Kit::new();
        for i in 0..40 {
            k.r(&format!("HSET h f{i} v{i}"));
        }
        assert_eq!(k.encoding("h"), "listpack");
        check_hrandfield_cases(&mut k, "h", 40);
        // Negative counts eventually show every field.
        let mut seen: Vec<String> = bulks(&k.r("HRANDFIELD h -2000"));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 40);
        assert_eq!(k.dirty, 0);
    }

    #[test]
    fn hrandfield_cases_hashtable() {
        let mut k = Kit::new();
        k.core.config_mut().hash_max_listpack_entries = 16;
        for i in 0..200 {
            k.r(&format!("HSET h f{i} v{i}"));
        }
        assert_eq!(k.encoding("h"), "hashtable");
        check_hrandfield_cases(&mut k, "h", 200);
    }

    #[test]
    fn hscan_options_and_errors() {
        let mut k = Kit::new();
        k.r("HSET h a 1 b 2 ab 3");
        let invalid = "-ERR invalid cursor\r\n";
        assert_eq!(k.r("HSCAN h x"), invalid);
        assert_eq!(k.r("HSCAN n x"), invalid);
        assert_eq!(k.r("HSCAN h 0 COUNT 0"), SYNTAX);
        assert_eq!(k.r("HSCAN h 0 COUNT -1"), SYNTAX);
        assert_eq!(k.r("HSCAN h 0 COUNT x"), NOTINT);
        assert_eq!(k.r("HSCAN h 0 MATCH"), SYNTAX);
        assert_eq!(k.r("HSCAN h 0 TYPE string"), SYNTAX);
        assert_eq!(k.r("HSCAN h 0 NOVALUES"), SYNTAX);
        // Options are not looked at when the key is missing.
        assert_eq!(k.r("HSCAN n 0 COUNT 0 bogus"), "*2\r\n$1\r\n0\r\n*0\r\n");
        // The compact encoding comes whole, cursor 0, whatever the cursor.
        assert_eq!(
            bulks(&k.r("HSCAN h 99 COUNT 1")),
            vec!["0", "a", "1", "b", "2", "ab", "3"]
        );
        assert_eq!(
            bulks(&k.r("HSCAN h 0 MATCH a*")),
            vec!["0", "a", "1", "ab", "3"]
        );
        assert_eq!(
            bulks(&k.r("HSCAN h 0 match b count 5")),
            vec!["0", "b", "2"]
        );
    }

    #[test]
    fn hscan_hashtable_iterates_everything() {
        let mut k = Kit::new();
        k.core.config_mut().hash_max_listpack_entries = 8;
        for i in 0..500 {
            k.r(&format!("HSET h f{i} v{i}"));
        }
        assert_eq!(k.encoding("h"), "hashtable");
        // COUNT bounds one call: about COUNT fields (at least COUNT here, where buckets
        // are dense enough for the bucket budget).
        for count in [1usize, 3, 10, 33] {
            let items = bulks(&k.r(&format!("HSCAN h 0 COUNT {count}")));
            assert_ne!(items[0], "0");
            let fields = (items.len() - 1) / 2;
            assert!(fields >= count && fields < count + 10, "{count}: {fields}");
        }
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        let mut calls = 0;
        let mut matched = std::collections::HashSet::new();
        loop {
            let items = bulks(&k.r(&format!("HSCAN h {cursor} COUNT 20")));
            calls += 1;
            for p in items[1..].chunks(2) {
                assert_eq!(p[1], format!("v{}", &p[0][1..]));
                seen.insert(p[0].clone());
            }
            cursor = items[0].clone();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 500);
        assert!(calls > 10, "{calls}");
        loop {
            let items = bulks(&k.r(&format!("HSCAN h {cursor} MATCH f1?")));
            for p in items[1..].chunks(2) {
                matched.insert(p[0].clone());
            }
            cursor = items[0].clone();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(matched.len(), 10);
    }

    #[test]
    fn new_hash_is_stored_only_when_written() {
        let mut k = Kit::new();
        assert_eq!(k.r("HSETNX h a 1"), int(1));
        assert_eq!(k.touched_keys().len(), 1);
        assert_eq!(k.r("HDEL h a"), int(1));
        assert_eq!(k.store.db().len(), 0);
        let lim = Limits::from_config(k.core.config());
        assert_eq!(lim.value, k.core.config().hash_max_listpack_value);
    }
}
