//! SORT and SORT_RO: sorting the elements of a list, set or sorted set, numerically or
//! lexicographically, by their own value or by keys and hash fields they name (BY), with
//! LIMIT, GET projections and STORE, as Redis 7.0 does it.

#![deny(clippy::indexing_slicing)]

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::store::list::{Fill, List};
use crate::store::{notify, Value};
use std::cmp::Ordering;

pub const COMMANDS: &[CommandDef] = &[
    cmd("sort", -2, WRITE | DENYOOM, sort)
        .docs(&docs::SORT)
        .keys(1, 1, 1)
        .keys_fn(sort_keys)
        .group(Group::Generic),
    cmd("sort_ro", -2, READONLY, sort_ro)
        .docs(&docs::SORT_RO)
        .keys(1, 1, 1)
        .group(Group::Generic),
];

/// The key and, with STORE, the destination.
fn sort_keys(a: &Args) -> Vec<usize> {
    // The last STORE names the destination, as Redis's sortGetKeys decides.
    let mut store = None;
    let mut c = a.cursor(2);
    while !c.is_done() {
        if c.eat("limit") {
            c.next();
            c.next();
        } else if c.eat("get") || c.eat("by") {
            c.next();
        } else if c.eat_with("store", 1) {
            store = Some(c.pos());
            c.next();
        } else {
            c.next();
        }
    }
    std::iter::once(1).chain(store).collect()
}

/// Redis's lookupKeyByPattern: `#` is the element itself; otherwise the first `*` is
/// replaced by the element, and `->field` reads a hash field. Missing → None.
fn by_pattern(ctx: &mut Ctx, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(elem.to_vec());
    }
    let star = memchr::memchr(b'*', pattern)?;
    let (prefix, rest) = pattern.split_at_checked(star)?;
    let after = rest.get(1..).unwrap_or_default();
    // A `->` with nothing after it is part of the key.
    let arrow = memchr::memmem::find(after, b"->").filter(|&i| i + 2 < after.len());
    let (postfix, field) = match arrow.and_then(|i| Some((after.get(..i)?, after.get(i + 2..)?))) {
        Some((postfix, field)) => (postfix, Some(field)),
        None => (after, None),
    };
    let mut key = Vec::with_capacity(star + elem.len() + postfix.len());
    key.extend_from_slice(prefix);
    key.extend_from_slice(elem);
    key.extend_from_slice(postfix);
    match (ctx.store.lookup_read(&key)?, field) {
        (Value::Hash(h), Some(f)) => h.get(f).map(|v| v.to_vec()),
        (Value::Str(s), None) => Some(s.to_vec()),
        _ => None,
    }
}

/// A value read as a sort score (Redis reads it with strtod and refuses leftovers,
/// overflow and NaN).
fn score_of(b: &[u8]) -> Option<f64> {
    crate::util::num::parse_f64(b)
}

fn sort_generic(ctx: &mut Ctx, a: &Args, read_only: bool) -> CmdResult {
    let key = a.get(1);
    let (mut desc, mut alpha) = (false, false);
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut sort_by: Option<&[u8]> = None;
    let mut dont_sort = false;
    let mut gets: Vec<&[u8]> = Vec::new();
    let mut store: Option<&[u8]> = None;
    let mut c = a.cursor(2);
    while !c.is_done() {
        if c.eat("asc") {
            desc = false;
        } else if c.eat("desc") {
            desc = true;
        } else if c.eat("alpha") {
            alpha = true;
        } else if c.eat_with("limit", 2) {
            (limit_start, limit_count) = c.limit()?;
        } else if !read_only && c.eat_with("store", 1) {
            store = Some(c.arg()?);
        } else if c.eat_with("by", 1) {
            let p = c.arg()?;
            // A pattern with no '*' names no key per element: "don't sort".
            if memchr::memchr(b'*', p).is_none() {
                dont_sort = true;
            }
            sort_by = Some(p);
        } else if c.eat_with("get", 1) {
            gets.push(c.arg()?);
        } else {
            return Err(Error::Syntax);
        }
    }

    // The elements, in the value's own order.
    let is_set;
    let mut elems: Vec<Vec<u8>> = match ctx.store.lookup_read(key) {
        None => {
            is_set = false;
            Vec::new()
        }
        Some(Value::List(l)) => {
            is_set = false;
            l.iter().map(|e| e.to_vec()).collect()
        }
        Some(Value::Set(s)) => {
            is_set = true;
            s.iter().map(|m| m.with_bytes(|b| b.to_vec())).collect()
        }
        Some(Value::ZSet(z)) => {
            is_set = false;
            z.iter().map(|(m, _)| m.to_vec()).collect()
        }
        Some(_) => return Err(Error::WrongType),
    };
    // A set has no order of its own: a stored or replicated result must not depend on it.
    if dont_sort && is_set && store.is_some() {
        dont_sort = false;
        alpha = true;
        sort_by = None;
    }

    let len = elems.len() as i64;
    let mut start = limit_start.max(0);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(limit_count) - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    if dont_sort {
        // Lists and sorted sets keep their order, reversed for DESC.
        if desc && !is_set {
            elems.reverse();
        }
    } else {
        // Sort keys first (they may read other keys), then sort.
        let mut keyed: Vec<(Vec<u8>, Option<Vec<u8>>, f64)> = Vec::with_capacity(elems.len());
        for e in elems.drain(..) {
            let by = match sort_by {
                Some(p) => by_pattern(ctx, p, &e),
                None => None,
            };
            let score = if alpha {
                0.0
            } else {
                let src = if sort_by.is_some() {
                    by.as_deref()
                } else {
                    Some(&e[..])
                };
                match src {
                    Some(b) => score_of(b).ok_or_else(|| {
                        Error::msg("ERR One or more scores can't be converted into double")
                    })?,
                    None => 0.0,
                }
            };
            keyed.push((e, by, score));
        }
        let by_pattern_used = sort_by.is_some();
        keyed.sort_by(|x, y| {
            let c = if !alpha {
                x.2.partial_cmp(&y.2)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| x.0.cmp(&y.0))
            } else if by_pattern_used {
                match (&x.1, &y.1) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(p), Some(q)) => p.cmp(q),
                }
            } else {
                x.0.cmp(&y.0)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        });
        elems = keyed.into_iter().map(|k| k.0).collect();
    }

    // start and end were clamped to the elements above.
    let range: &[Vec<u8>] = if end >= start && start >= 0 {
        elems.get(start as usize..=end as usize).unwrap_or_default()
    } else {
        &[]
    };
    let range = range.to_vec();

    match store {
        None => {
            let per = gets.len().max(1);
            ctx.reply.array(range.len() * per);
            for e in &range {
                if gets.is_empty() {
                    ctx.reply.bulk(e);
                }
                for g in &gets {
                    match by_pattern(ctx, g, e) {
                        Some(v) => ctx.reply.bulk(&v),
                        None => ctx.reply.null(),
                    }
                }
            }
        }
        Some(dest) => {
            let fill = Fill::new(ctx.config().list_max_listpack_size);
            let mut out = List::new();
            for e in &range {
                if gets.is_empty() {
                    out.push_back(e, fill);
                }
                for g in &gets {
                    let v = by_pattern(ctx, g, e).unwrap_or_default();
                    out.push_back(&v, fill);
                }
            }
            let n = out.len();
            if n > 0 {
                ctx.store.set(dest, Value::List(Box::new(out)), false);
                ctx.store
                    .modified_by(dest, notify::LIST, "sortstore", n as u64);
            } else {
                ctx.store.delete(dest);
            }
            ctx.reply.int(n as i64);
        }
    }
    Ok(())
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
fn sort(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sort_generic(ctx, a, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
fn sort_ro(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sort_generic(ctx, a, true)
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const SORT: Docs = Docs {
        name: "sort",
        summary: "Sort the elements in a list, set or sorted set",
        since: "1.0.0",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("pattern", Pattern).key_spec(1).token("BY").opt(),
            arg("offset_count", Block).token("LIMIT").opt().args(&[
                arg("offset", Int),
                arg("count", Int),
            ]),
            arg("pattern", Pattern).key_spec(1).token("GET").opt().multi().multi_token(),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
            arg("sorting", PureToken).token("ALPHA").opt(),
            arg("destination", Key).key_spec(2).token("STORE").opt(),
        ],
    };

    pub const SORT_RO: Docs = Docs {
        name: "sort_ro",
        summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        since: "7.0.0",
        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("pattern", Pattern).key_spec(1).token("BY").opt(),
            arg("offset_count", Block).token("LIMIT").opt().args(&[
                arg("offset", Int),
                arg("count", Int),
            ]),
            arg("pattern", Pattern).key_spec(1).token("GET").opt().multi().multi_token(),
            arg("order", OneOf).opt().args(&[
                arg("asc", PureToken).token("ASC"),
                arg("desc", PureToken).token("DESC"),
            ]),
            arg("sorting", PureToken).token("ALPHA").opt(),
        ],
    };
}
// @generated end: COMMAND DOCS
