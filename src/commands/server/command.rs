//! COMMAND and its subcommands: the command table as clients see it.
//!
//! Everything is read from the table rows: flags, key positions, group. What a row does
//! not say is derived the same way for every command: ACL categories from the flags and
//! the documentation group (as Redis adds its implicit categories), key specs from the
//! first/last/step positions. COMMAND DOCS encodes each row's `docs` (generated from
//! Redis, see `commands::docs`).

#![deny(clippy::indexing_slicing)]

use super::{full_name, help_reply};
use crate::commands::docs::{Arg, ArgType};
use crate::commands::{flags, Args, BeginSearch, CommandDef, Ctx, Group, OwnedArgs, Table, TABLE};
use crate::error::{CmdResult, Error};
use crate::resp::reply::Reply;
use crate::util::glob::glob_match;

/// ACL categories in the order Redis lists them, with the test that puts a command in
/// each. `container` rows only get what their (empty) flags give.
const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

fn in_category(c: &CommandDef, cat: &str) -> bool {
    // A container's group says nothing about its subcommands' categories.
    let group = (c.subcommands.is_empty()).then_some(c.group);
    let is = |g: Group| group == Some(g);
    match cat {
        "keyspace" => is(Group::Generic),
        "read" => c.is(flags::READONLY) && !is(Group::Scripting),
        "write" => c.is(flags::WRITE),
        "set" => is(Group::Set),
        "sortedset" => is(Group::SortedSet),
        "list" => is(Group::List),
        "hash" => is(Group::Hash),
        "string" => is(Group::String),
        "bitmap" => is(Group::Bitmap),
        "hyperloglog" => is(Group::HyperLogLog),
        "geo" => is(Group::Geo),
        "stream" => is(Group::Stream),
        "pubsub" => is(Group::PubSub) || c.is(flags::PUBSUB),
        "admin" | "dangerous" => c.is(flags::ADMIN),
        "fast" => c.is(flags::FAST),
        "slow" => !c.is(flags::FAST),
        "blocking" => c.is(flags::BLOCKING),
        "connection" => is(Group::Connection),
        "transaction" => is(Group::Transactions),
        "scripting" => is(Group::Scripting),
        _ => false,
    }
}

/// The ACL categories of a row, without the '@'.
pub fn acl_categories(c: &CommandDef) -> Vec<&'static str> {
    CATEGORIES
        .iter()
        .copied()
        .filter(|cat| in_category(c, cat))
        .collect()
}

/// A key spec derived from a row.
struct KeySpec {
    flags: &'static [&'static str],
    /// (index of the first key, last key relative to it or negative from the end, step);
    /// None when the keys are found by a function (an "unknown" spec).
    range: Option<(i64, i64, i64)>,
    /// A script's keys: the key count at this index, the keys after it (a "keynum"
    /// spec), with Redis's note.
    keynum: Option<(i64, Option<&'static str>)>,
    /// A "keyword" begin search (the keyword, where the search starts) instead of the
    /// index of `range`.
    keyword: Option<(&'static str, i64)>,
}

fn key_flags(c: &CommandDef) -> &'static [&'static str] {
    // A script's keys may be written unless the command is a read-only variant.
    if c.is(flags::WRITE) || (c.is(flags::SCRIPT_FLAGS) && !c.is(flags::READONLY)) {
        &["RW", "access", "update"]
    } else if c.is(flags::READONLY) {
        &["RO", "access"]
    } else {
        &["RO"]
    }
}

fn key_specs(c: &CommandDef) -> Vec<KeySpec> {
    if !c.key_specs.is_empty() {
        return c
            .key_specs
            .iter()
            .map(|k| match k.begin {
                BeginSearch::Index(i) => KeySpec {
                    flags: k.flags,
                    range: Some((i, k.last, k.step)),
                    keynum: None,
                    keyword: None,
                },
                BeginSearch::Keyword(word, from) => KeySpec {
                    flags: k.flags,
                    range: Some((0, k.last, k.step)),
                    keynum: None,
                    keyword: Some((word, from)),
                },
            })
            .collect();
    }
    let mut out = Vec::new();
    if c.first_key > 0 {
        let first = c.first_key as i64;
        let last = if c.last_key < 0 {
            c.last_key as i64
        } else {
            c.last_key as i64 - first
        };
        out.push(KeySpec {
            flags: key_flags(c),
            range: Some((first, last, c.key_step.max(1) as i64)),
            keynum: None,
            keyword: None,
        });
    }
    if c.is(flags::SCRIPT_FLAGS) {
        let note = if c.is(flags::READONLY) {
            "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
        } else {
            "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
        };
        out.push(KeySpec {
            flags: key_flags(c),
            range: None,
            // Redis's EVALSHA rows carry no note.
            keynum: Some((2, (!c.name.starts_with("evalsha")).then_some(note))),
            keyword: None,
        });
    } else if c.keys_fn.is_some() {
        out.push(KeySpec {
            flags: key_flags(c),
            range: None,
            keynum: None,
            keyword: None,
        });
    }
    out
}

fn has_keys(c: &CommandDef) -> bool {
    c.first_key > 0 || c.keys_fn.is_some()
}

/// Finds a row by name: "get", or "config|get" for a subcommand.
fn lookup(name: &[u8]) -> Option<&'static CommandDef> {
    match name.iter().position(|&b| b == b'|') {
        Some(p) => {
            let (parent, sub) = name.split_at_checked(p)?;
            let parent = TABLE.get(parent)?;
            Table::sub(parent, sub.get(1..)?)
        }
        None => TABLE.get(name),
    }
}

fn reply_key_spec(r: &mut Reply, ks: &KeySpec) {
    if let Some((index, note)) = ks.keynum {
        r.map(if note.is_some() { 4 } else { 3 });
        if let Some(note) = note {
            r.bulk(b"notes");
            r.bulk(note.as_bytes());
        }
        r.bulk(b"flags");
        r.set(ks.flags.len());
        for f in ks.flags {
            r.simple(f);
        }
        r.bulk(b"begin_search");
        r.map(2);
        r.bulk(b"type");
        r.bulk(b"index");
        r.bulk(b"spec");
        r.map(1);
        r.bulk(b"index");
        r.int(index);
        r.bulk(b"find_keys");
        r.map(2);
        r.bulk(b"type");
        r.bulk(b"keynum");
        r.bulk(b"spec");
        r.map(3);
        r.bulk(b"keynumidx");
        r.int(0);
        r.bulk(b"firstkey");
        r.int(1);
        r.bulk(b"keystep");
        r.int(1);
        return;
    }
    r.map(3);
    r.bulk(b"flags");
    r.set(ks.flags.len());
    for f in ks.flags {
        r.simple(f);
    }
    r.bulk(b"begin_search");
    match (ks.range, ks.keyword) {
        (Some(_), Some((word, from))) => {
            r.map(2);
            r.bulk(b"type");
            r.bulk(b"keyword");
            r.bulk(b"spec");
            r.map(2);
            r.bulk(b"keyword");
            r.bulk(word.as_bytes());
            r.bulk(b"startfrom");
            r.int(from);
        }
        (Some((first, _, _)), None) => {
            r.map(2);
            r.bulk(b"type");
            r.bulk(b"index");
            r.bulk(b"spec");
            r.map(1);
            r.bulk(b"index");
            r.int(first);
        }
        (None, _) => {
            r.map(2);
            r.bulk(b"type");
            r.bulk(b"unknown");
            r.bulk(b"spec");
            r.map(0);
        }
    }
    r.bulk(b"find_keys");
    match ks.range {
        Some((_, last, step)) => {
            r.map(2);
            r.bulk(b"type");
            r.bulk(b"range");
            r.bulk(b"spec");
            r.map(3);
            r.bulk(b"lastkey");
            r.int(last);
            r.bulk(b"keystep");
            r.int(step);
            r.bulk(b"limit");
            r.int(0);
        }
        None => {
            r.map(2);
            r.bulk(b"type");
            r.bulk(b"unknown");
            r.bulk(b"spec");
            r.map(0);
        }
    }
}

/// One COMMAND INFO entry, Redis 7.0's ten fields.
fn reply_info(r: &mut Reply, c: &'static CommandDef) {
    r.array(10);
    r.bulk(full_name(c).as_bytes());
    r.int(c.arity as i64);
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(f, _)| c.is(*f))
        .map(|(_, n)| *n)
        .collect();
    r.set(names.len());
    for n in names {
        r.simple(n);
    }
    r.int(c.first_key as i64);
    r.int(c.last_key as i64);
    r.int(c.key_step as i64);
    let cats = acl_categories(c);
    r.set(cats.len());
    for cat in cats {
        r.simple(&format!("@{cat}"));
    }
    // Tips.
    r.set(0);
    let specs = key_specs(c);
    r.set(specs.len());
    for ks in &specs {
        reply_key_spec(r, ks);
    }
    if c.subcommands.is_empty() {
        r.set(0);
    } else {
        r.array(c.subcommands.len());
        for s in c.subcommands {
            reply_info(r, s);
        }
    }
}

fn reply_args(r: &mut Reply, args: &[Arg]) {
    r.array(args.len());
    for a in args {
        let strs = [
            ("token", a.token),
            ("since", a.since),
            ("deprecated_since", a.deprecated_since),
        ];
        let nested = matches!(a.kind, ArgType::OneOf | ArgType::Block);
        let n = 2
            + (a.key_spec_index >= 0) as usize
            + strs.iter().filter(|(_, v)| !v.is_empty()).count()
            + (a.flags != 0) as usize
            + nested as usize;
        r.map(n);
        r.bulk(b"name");
        r.bulk(a.name.as_bytes());
        r.bulk(b"type");
        r.bulk(a.kind.name().as_bytes());
        if a.key_spec_index >= 0 {
            r.bulk(b"key_spec_index");
            r.int(i64::from(a.key_spec_index));
        }
        for (k, v) in strs {
            if !v.is_empty() {
                r.bulk(k.as_bytes());
                r.bulk(v.as_bytes());
            }
        }
        if a.flags != 0 {
            let fl = [
                (a.optional(), "optional"),
                (a.multiple(), "multiple"),
                (a.multiple_token(), "multiple_token"),
            ];
            r.bulk(b"flags");
            r.set(fl.iter().filter(|(on, _)| *on).count());
            for (on, f) in fl {
                if on {
                    r.simple(f);
                }
            }
        }
        if nested {
            r.bulk(b"arguments");
            reply_args(r, a.args);
        }
    }
}

/// One COMMAND DOCS value (the map after the name), field for field and in the order of
/// Redis 7.0's addReplyCommandDocs and addReplyCommandArgList.
fn reply_docs(r: &mut Reply, c: &'static CommandDef) {
    let d = c.docs;
    let strs = [("summary", d.summary), ("since", d.since)];
    let later = [
        ("deprecated_since", d.deprecated_since),
        ("replaced_by", d.replaced_by),
    ];
    let n = 1
        + strs.iter().filter(|(_, v)| !v.is_empty()).count()
        + !d.complexity.is_empty() as usize
        + !d.doc_flags.is_empty() as usize
        + later.iter().filter(|(_, v)| !v.is_empty()).count()
        + !d.history.is_empty() as usize
        + !d.args.is_empty() as usize
        + !c.subcommands.is_empty() as usize;
    r.map(n);
    for (k, v) in strs {
        if !v.is_empty() {
            r.bulk(k.as_bytes());
            r.bulk(v.as_bytes());
        }
    }
    r.bulk(b"group");
    r.bulk(c.group.name().as_bytes());
    if !d.complexity.is_empty() {
        r.bulk(b"complexity");
        r.bulk(d.complexity.as_bytes());
    }
    if !d.doc_flags.is_empty() {
        r.bulk(b"doc_flags");
        r.set(d.doc_flags.len());
        for f in d.doc_flags {
            r.simple(f);
        }
    }
    for (k, v) in later {
        if !v.is_empty() {
            r.bulk(k.as_bytes());
            r.bulk(v.as_bytes());
        }
    }
    if !d.history.is_empty() {
        r.bulk(b"history");
        // A set, as Redis 7.0 writes it (addReplyCommandHistory).
        r.set(d.history.len());
        for (version, text) in d.history {
            r.array(2);
            r.bulk(version.as_bytes());
            r.bulk(text.as_bytes());
        }
    }
    if !d.args.is_empty() {
        r.bulk(b"arguments");
        reply_args(r, d.args);
    }
    if !c.subcommands.is_empty() {
        r.bulk(b"subcommands");
        r.map(c.subcommands.len());
        for s in c.subcommands {
            r.bulk(TABLE.full_name(s).as_bytes());
            reply_docs(r, s);
        }
    }
}

/// COMMAND
pub fn command(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let all = &TABLE.all;
    ctx.reply.array(all.len());
    for &c in all {
        reply_info(&mut ctx.reply, c);
    }
    Ok(())
}

/// COMMAND COUNT
pub fn count(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.reply.int(TABLE.all.len() as i64);
    Ok(())
}

/// COMMAND INFO [command-name ...]
pub fn info(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() == 2 {
        return command(ctx, a);
    }
    ctx.reply.array(a.len() - 2);
    for name in a.from(2) {
        match lookup(name) {
            Some(c) => reply_info(&mut ctx.reply, c),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// COMMAND DOCS [command-name ...]
pub fn docs(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let found: Vec<&'static CommandDef> = if a.len() == 2 {
        TABLE.all.clone()
    } else {
        a.from(2).filter_map(lookup).collect()
    };
    ctx.reply.map(found.len());
    for c in found {
        ctx.reply.bulk(full_name(c).as_bytes());
        reply_docs(&mut ctx.reply, c);
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]
pub fn list(ctx: &mut Ctx, a: &Args) -> CmdResult {
    enum Filter<'a> {
        All,
        Module,
        Category(&'a [u8]),
        Pattern(&'a [u8]),
    }
    let filter = if a.len() == 2 {
        Filter::All
    } else if a.len() == 5 && a.is(2, "filterby") {
        if a.is(3, "module") {
            Filter::Module
        } else if a.is(3, "aclcat") {
            Filter::Category(a.get(4))
        } else if a.is(3, "pattern") {
            Filter::Pattern(a.get(4))
        } else {
            return Err(Error::Syntax);
        }
    } else {
        return Err(Error::Syntax);
    };
    let keep = |c: &'static CommandDef| match filter {
        Filter::All => true,
        Filter::Module => false,
        Filter::Category(cat) => acl_categories(c)
            .iter()
            .any(|n| n.as_bytes().eq_ignore_ascii_case(cat)),
        Filter::Pattern(p) => glob_match(p, full_name(c).as_bytes(), true),
    };
    let mut names: Vec<&'static str> = Vec::new();
    for &c in &TABLE.all {
        if keep(c) {
            names.push(full_name(c));
        }
        for s in c.subcommands {
            if keep(s) {
                names.push(full_name(s));
            }
        }
    }
    ctx.reply.array(names.len());
    for n in names {
        ctx.reply.bulk(n.as_bytes());
    }
    Ok(())
}

/// The row and key indexes of the command given to GETKEYS / GETKEYSANDFLAGS.
fn keys_of(a: &Args) -> Result<(&'static CommandDef, OwnedArgs, Vec<usize>), Error> {
    let sub: OwnedArgs = a.from(2).collect();
    let args = sub.args();
    let argc = args.len();
    let base = TABLE.get(args.get(0));
    let c = match base {
        Some(b) if !b.subcommands.is_empty() && argc >= 2 => Table::sub(b, args.get(1)),
        other => other,
    }
    .ok_or_else(|| Error::msg("ERR Invalid command specified"))?;
    if !has_keys(c) {
        return Err(Error::msg("ERR The command has no key arguments"));
    }
    if !c.arity_ok(argc) {
        return Err(Error::msg(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys: Vec<usize> = c
        .key_indexes(&args)
        .into_iter()
        .filter(|&i| i < argc)
        .collect();
    if keys.is_empty() && !c.is(flags::NO_MANDATORY_KEYS) {
        return Err(Error::msg("ERR Invalid arguments specified for command"));
    }
    Ok((c, sub, keys))
}

/// COMMAND GETKEYS command [arg ...]
pub fn getkeys(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (_, sub, keys) = keys_of(a)?;
    let args = sub.args();
    ctx.reply.array(keys.len());
    for i in keys {
        ctx.reply.bulk(args.get(i));
    }
    Ok(())
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub fn getkeysandflags(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let (c, sub, keys) = keys_of(a)?;
    let args = sub.args();
    let fl = key_flags(c);
    ctx.reply.array(keys.len());
    for i in keys {
        ctx.reply.array(2);
        ctx.reply.bulk(args.get(i));
        ctx.reply.set(fl.len());
        for f in fl {
            ctx.reply.simple(f);
        }
    }
    Ok(())
}

/// COMMAND HELP
pub fn help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    help_reply(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::testutil::Env;
    use super::*;

    #[test]
    fn info_of_a_subcommand_and_unknown() {
        let mut e = Env::new();
        let r = e.run(&["command", "info", "CONFIG|GET", "nosuch"]);
        assert_eq!(
            r,
            "*2\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n\
             :0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n$-1\r\n"
        );
    }

    #[test]
    fn info_with_key_spec() {
        let mut e = Env::new();
        let r = e.run(&["command", "info", "memory|usage"]);
        assert!(r.contains(
            "$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:2\r\n"
        ));
        assert!(r.contains("$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"));
    }

    #[test]
    fn getkeys_errors_and_keys() {
        let mut e = Env::new();
        assert_eq!(
            e.run(&["command", "getkeys", "nosuch", "a"]),
            "-ERR Invalid command specified\r\n"
        );
        assert_eq!(
            e.run(&["command", "getkeys", "config", "get", "x"]),
            "-ERR The command has no key arguments\r\n"
        );
        assert_eq!(
            e.run(&["command", "getkeys", "memory", "usage"]),
            "-ERR Invalid number of arguments specified for command\r\n"
        );
        assert_eq!(
            e.run(&["command", "getkeys", "memory", "usage", "k"]),
            "*1\r\n$1\r\nk\r\n"
        );
        assert_eq!(
            e.run(&["command", "getkeys", "ping"]),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n"
        );
    }

    #[test]
    fn list_filters() {
        let mut e = Env::new();
        assert_eq!(
            e.run(&["command", "list", "filterby", "pattern", "config|get"]),
            "*1\r\n$10\r\nconfig|get\r\n"
        );
        let all = e.run(&["command", "list"]);
        assert!(all.contains("$6\r\nconfig\r\n$10\r\nconfig|get\r\n"));
        assert_eq!(
            e.run(&["command", "list", "filterby", "module", "x"]),
            "*0\r\n"
        );
        assert_eq!(
            e.run(&["command", "list", "filterby", "x", "y"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            e.run(&["command", "list", "extra"]),
            "-ERR syntax error\r\n"
        );
        let r = e.run(&["command", "list", "filterby", "aclcat", "dangerous"]);
        assert!(r.contains("$11\r\nclient|kill\r\n"));
        assert!(!r.contains("$9\r\nclient|id\r\n"));
    }

    #[test]
    fn docs_shape() {
        let mut e = Env::new();
        e.client.resp3 = true;
        let r = e.run(&["command", "docs", "client|reply", "nosuch"]);
        assert_eq!(
            r,
            "%1\r\n$12\r\nclient|reply\r\n%5\r\n$7\r\nsummary\r\n$48\r\nInstruct the server whether to reply to commands\r\n\
             $5\r\nsince\r\n$5\r\n3.2.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n\
             $9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$11\r\non_off_skip\r\n$4\r\ntype\r\n$5\r\noneof\r\n\
             $9\r\narguments\r\n*3\r\n%3\r\n$4\r\nname\r\n$2\r\non\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$2\r\nON\r\n\
             %3\r\n$4\r\nname\r\n$3\r\noff\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$3\r\nOFF\r\n\
             %3\r\n$4\r\nname\r\n$4\r\nskip\r\n$4\r\ntype\r\n$10\r\npure-token\r\n$5\r\ntoken\r\n$4\r\nSKIP\r\n"
        );
    }

    #[test]
    fn count_matches_table() {
        let mut e = Env::new();
        assert_eq!(
            e.run(&["command", "count"]),
            format!(":{}\r\n", TABLE.all.len())
        );
    }
}
