//! Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB and the
//! shard variants SSUBSCRIBE SUNSUBSCRIBE SPUBLISH.

#![deny(clippy::indexing_slicing)]

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group};
use crate::error::CmdResult;
use crate::server::pubsub::{Current, SubKind};
use crate::store::bytes::Sds;
use crate::util::glob::glob_match;

const SUBSCRIBE_FLAGS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;

pub const COMMANDS: &[CommandDef] = &[
    cmd("subscribe", -2, SUBSCRIBE_FLAGS | SUBSCRIBED_OK, subscribe)
        .docs(&docs::SUBSCRIBE)
        .group(Group::PubSub),
    cmd(
        "unsubscribe",
        -1,
        SUBSCRIBE_FLAGS | SUBSCRIBED_OK,
        unsubscribe,
    )
    .docs(&docs::UNSUBSCRIBE)
    .group(Group::PubSub),
    cmd(
        "psubscribe",
        -2,
        SUBSCRIBE_FLAGS | SUBSCRIBED_OK,
        psubscribe,
    )
    .docs(&docs::PSUBSCRIBE)
    .group(Group::PubSub),
    cmd(
        "punsubscribe",
        -1,
        SUBSCRIBE_FLAGS | SUBSCRIBED_OK,
        punsubscribe,
    )
    .docs(&docs::PUNSUBSCRIBE)
    .group(Group::PubSub),
    cmd(
        "ssubscribe",
        -2,
        SUBSCRIBE_FLAGS | SUBSCRIBED_OK,
        ssubscribe,
    )
    .docs(&docs::SSUBSCRIBE)
    .keys(1, -1, 1)
    .group(Group::PubSub),
    cmd(
        "sunsubscribe",
        -1,
        SUBSCRIBE_FLAGS | SUBSCRIBED_OK,
        sunsubscribe,
    )
    .docs(&docs::SUNSUBSCRIBE)
    .keys(1, -1, 1)
    .group(Group::PubSub),
    cmd(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        publish,
    )
    .docs(&docs::PUBLISH)
    .group(Group::PubSub),
    cmd(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        spublish,
    )
    .docs(&docs::SPUBLISH)
    .keys(1, 1, 1)
    .group(Group::PubSub),
    cmd("pubsub", -2, 0, pubsub_help)
        .docs(&docs::PUBSUB)
        .group(Group::PubSub)
        .subs(PUBSUB_SUBS),
];

const PUBSUB_SUBS: &[CommandDef] = &[
    cmd("channels", -2, PUBSUB | LOADING | STALE, pubsub_channels)
        .docs(&docs::PUBSUB_CHANNELS)
        .group(Group::PubSub),
    cmd("numsub", -2, PUBSUB | LOADING | STALE, pubsub_numsub)
        .docs(&docs::PUBSUB_NUMSUB)
        .group(Group::PubSub),
    cmd("numpat", 2, PUBSUB | LOADING | STALE, pubsub_numpat)
        .docs(&docs::PUBSUB_NUMPAT)
        .group(Group::PubSub),
    cmd(
        "shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        pubsub_shardchannels,
    )
    .docs(&docs::PUBSUB_SHARDCHANNELS)
    .group(Group::PubSub),
    cmd(
        "shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        pubsub_shardnumsub,
    )
    .docs(&docs::PUBSUB_SHARDNUMSUB)
    .group(Group::PubSub),
    cmd("help", 2, LOADING | STALE, pubsub_help)
        .docs(&docs::PUBSUB_HELP)
        .group(Group::PubSub),
];

/// The confirmation each (un)subscription gets: [kind, name, count].
fn confirm(ctx: &mut Ctx, what: &[u8], name: Option<&[u8]>, count: usize) {
    ctx.client.reply_is_push = true;
    ctx.reply.push(3);
    ctx.reply.bulk(what);
    match name {
        Some(n) => ctx.reply.bulk(n),
        None => ctx.reply.null(),
    }
    ctx.reply.int(count as i64);
}

fn sub_generic(ctx: &mut Ctx, a: &Args, kind: SubKind, what: &[u8]) -> CmdResult {
    for name in a.from(1) {
        ctx.srv.subscribe(ctx.client, kind, name);
        let n = if kind == SubKind::Shard {
            ctx.client.shard_channels.len()
        } else {
            ctx.client.subscriptions
        };
        confirm(ctx, what, Some(name), n);
    }
    Ok(())
}

fn unsub_generic(ctx: &mut Ctx, a: &Args, kind: SubKind, what: &[u8]) -> CmdResult {
    let names: Vec<Sds> = if a.len() > 1 {
        a.from(1).map(Sds::from).collect()
    } else {
        match kind {
            SubKind::Channel => ctx.client.channels.iter().cloned().collect(),
            SubKind::Pattern => ctx.client.patterns.clone(),
            SubKind::Shard => ctx.client.shard_channels.iter().cloned().collect(),
        }
    };
    let count = |ctx: &Ctx| {
        if kind == SubKind::Shard {
            ctx.client.shard_channels.len()
        } else {
            ctx.client.subscriptions
        }
    };
    if names.is_empty() {
        let n = count(ctx);
        confirm(ctx, what, None, n);
        return Ok(());
    }
    for name in names {
        ctx.srv.unsubscribe(ctx.client, kind, &name);
        let n = count(ctx);
        confirm(ctx, what, Some(&name), n);
    }
    Ok(())
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sub_generic(ctx, a, SubKind::Channel, b"subscribe")
}

/// UNSUBSCRIBE [channel ...]
fn unsubscribe(ctx: &mut Ctx, a: &Args) -> CmdResult {
    unsub_generic(ctx, a, SubKind::Channel, b"unsubscribe")
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sub_generic(ctx, a, SubKind::Pattern, b"psubscribe")
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx, a: &Args) -> CmdResult {
    unsub_generic(ctx, a, SubKind::Pattern, b"punsubscribe")
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
fn ssubscribe(ctx: &mut Ctx, a: &Args) -> CmdResult {
    sub_generic(ctx, a, SubKind::Shard, b"ssubscribe")
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx, a: &Args) -> CmdResult {
    unsub_generic(ctx, a, SubKind::Shard, b"sunsubscribe")
}

/// PUBLISH channel message
fn publish(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let cur = Current {
        client: ctx.client,
        out: ctx.reply.buf,
    };
    let n = ctx.srv.publish(a.get(1), a.get(2), Some(cur));
    ctx.reply.int(n as i64);
    Ok(())
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let cur = Current {
        client: ctx.client,
        out: ctx.reply.buf,
    };
    let n = ctx.srv.spublish(a.get(1), a.get(2), Some(cur));
    ctx.reply.int(n as i64);
    Ok(())
}

fn list_channels(ctx: &mut Ctx, a: &Args, shard: bool) -> CmdResult {
    let pat = if a.len() > 2 { Some(a.get(2)) } else { None };
    let map = if shard {
        &ctx.srv.pubsub().shard_channels
    } else {
        &ctx.srv.pubsub().channels
    };
    let names: Vec<&Sds> = map
        .keys()
        .filter(|c| pat.is_none_or(|p| glob_match(p, c, false)))
        .collect();
    ctx.reply.array(names.len());
    for n in names {
        ctx.reply.bulk(n);
    }
    Ok(())
}

/// PUBSUB CHANNELS [pattern]
fn pubsub_channels(ctx: &mut Ctx, a: &Args) -> CmdResult {
    list_channels(ctx, a, false)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn pubsub_shardchannels(ctx: &mut Ctx, a: &Args) -> CmdResult {
    list_channels(ctx, a, true)
}

fn numsub(ctx: &mut Ctx, a: &Args, shard: bool) -> CmdResult {
    // A flat array of channel, count pairs in both protocols, as Redis 7.0 replies.
    ctx.reply.array(2 * (a.len() - 2));
    for ch in a.from(2) {
        let map = if shard {
            &ctx.srv.pubsub().shard_channels
        } else {
            &ctx.srv.pubsub().channels
        };
        let n = map.get(ch).map_or(0, |v| v.len());
        ctx.reply.bulk(ch);
        ctx.reply.int(n as i64);
    }
    Ok(())
}

/// PUBSUB NUMSUB [channel ...]
fn pubsub_numsub(ctx: &mut Ctx, a: &Args) -> CmdResult {
    numsub(ctx, a, false)
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
fn pubsub_shardnumsub(ctx: &mut Ctx, a: &Args) -> CmdResult {
    numsub(ctx, a, true)
}

/// PUBSUB NUMPAT
fn pubsub_numpat(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    ctx.reply.int(ctx.srv.pubsub().patterns.len() as i64);
    Ok(())
}

/// PUBSUB HELP
fn pubsub_help(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    ctx.reply.array(LINES.len());
    for l in LINES {
        ctx.reply.simple(l);
    }
    Ok(())
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const PSUBSCRIBE: Docs = Docs {
        name: "psubscribe",
        summary: "Listen for messages published to channels matching the given patterns",
        since: "2.0.0",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("pattern", Block)
            .multi()
            .args(&[arg("pattern", Pattern)])],
    };

    pub const PUBLISH: Docs = Docs {
        name: "publish",
        summary: "Post a message to a channel",
        since: "2.0.0",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("channel", Str),
            arg("message", Str),
        ],
    };

    pub const PUBSUB: Docs = Docs {
        name: "pubsub",
        summary: "A container for Pub/Sub commands",
        since: "2.8.0",
        complexity: "Depends on subcommand.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const PUBSUB_CHANNELS: Docs = Docs {
        name: "pubsub|channels",
        summary: "List active channels",
        since: "2.8.0",
        complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("pattern", Pattern).opt(),
        ],
    };

    pub const PUBSUB_HELP: Docs = Docs {
        name: "pubsub|help",
        summary: "Show helpful text about the different subcommands",
        since: "6.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const PUBSUB_NUMPAT: Docs = Docs {
        name: "pubsub|numpat",
        summary: "Get the count of unique patterns pattern subscriptions",
        since: "2.8.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };

    pub const PUBSUB_NUMSUB: Docs = Docs {
        name: "pubsub|numsub",
        summary: "Get the count of subscribers for channels",
        since: "2.8.0",
        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("channel", Str).opt().multi()],
    };

    pub const PUBSUB_SHARDCHANNELS: Docs = Docs {
        name: "pubsub|shardchannels",
        summary: "List active shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("pattern", Pattern).opt(),
        ],
    };

    pub const PUBSUB_SHARDNUMSUB: Docs = Docs {
        name: "pubsub|shardnumsub",
        summary: "Get the count of subscribers for shard channels",
        since: "7.0.0",
        complexity:
            "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("shardchannel", Str).opt().multi()],
    };

    pub const PUNSUBSCRIBE: Docs = Docs {
        name: "punsubscribe",
        summary: "Stop listening for messages posted to channels matching the given patterns",
        since: "2.0.0",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("pattern", Pattern).opt().multi(),
        ],
    };

    pub const SPUBLISH: Docs = Docs {
        name: "spublish",
        summary: "Post a message to a shard channel",
        since: "7.0.0",
        complexity:
            "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("shardchannel", Str), arg("message", Str)],
    };

    pub const SSUBSCRIBE: Docs = Docs {
        name: "ssubscribe",
        summary: "Listen for messages published to the given shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("shardchannel", Str).multi()],
    };

    pub const SUBSCRIBE: Docs = Docs {
        name: "subscribe",
        summary: "Listen for messages published to the given channels",
        since: "2.0.0",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("channel", Str).multi()],
    };

    pub const SUNSUBSCRIBE: Docs = Docs {
        name: "sunsubscribe",
        summary: "Stop listening for messages posted to the given shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("shardchannel", Str).opt().multi()],
    };

    pub const UNSUBSCRIBE: Docs = Docs {
        name: "unsubscribe",
        summary: "Stop listening for messages posted to the given channels",
        since: "2.0.0",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("channel", Str).opt().multi()],
    };
}
// @generated end: COMMAND DOCS
