//! The command table: one row per command, and the handlers grouped by family.
//!
//! A row (`CommandDef`) says everything about a command that is not its behaviour: name,
//! arity (Redis's convention: N exact, -N at least N, the name counted), flags, key
//! positions, documentation group. The dispatcher (`server::call`) checks arity,
//! authentication, MULTI queueing and the like from the row before any handler runs,
//! feeds writes to the AOF, and COMMAND INFO/DOCS/LIST/GETKEYS read the same rows. A
//! handler only does its command's work and writes its reply.
//!
//! Nothing decides on a command's name or text: what the dispatcher, blocking and AOF
//! loading need to know is a property of the row. Redis's own flags are the bits
//! `flags::NAMES` lists (COMMAND INFO shows them); the internal ones (`SUBSCRIBED_OK`,
//! `NO_QUEUE`, `ENDS_MULTI`, `EXEC`, `MULTI_MARKER`, `MISCONF`, `HASH_FIELD`) are not
//! shown; a blocking command says which value type it waits for (`blocks_on`).
//!
//! A row, in its family's `COMMANDS`:
//!
//! ```text
//! cmd("lpush", -3, WRITE | DENYOOM | FAST, lpush)   // name, arity, flags, handler
//!     .docs(&docs::LPUSH)                            // COMMAND DOCS, generated
//!     .keys(1, 1, 1)                                 // first key, last key, step
//!     .group(Group::List)                            // COMMAND DOCS group, ACL categories
//! ```
//!
//! plus `.keys_fn(f)` for keys at variable positions, `.key_specs(&[...])` for key specs
//! COMMAND INFO cannot derive from the positions, `.blocks_on(BlockOn::List)` for a
//! blocking command, `.subs(&[...])` for a container (its subcommands' rows name their
//! docs by full name: `docs::CONFIG_GET`). The `docs` constants (summary, since,
//! complexity, history, arguments: see `docs`) live in a generated `mod docs` at the end
//! of the family file, written by `scripts/gen_command_docs.py` from a redis-server 7.0.
//! A new family is one file: its `COMMANDS` and handlers, listed in `FAMILIES`; then run
//! the script to give it its `mod docs`.
//!
//! A handler, `fn(&mut Ctx, &Args) -> CmdResult`:
//! - reads the positions its arity guarantees with `a.get(i)`, and everything after them
//!   with a cursor (`a.cursor(i)`: `eat`, `keyword`, `i64`, `f64`, `timeout`, `numkeys`,
//!   `limit`, `mpop_count`, and `ScanOpts` for the SCAN family), so a missing or bad
//!   argument is Redis's error, never a panic (`args`);
//! - reaches keys only through `ctx.store` (`lookup_read`, `lookup_write`, `set`, `add`,
//!   `take`...) and reports every write with one `ctx.store.modified(key, class, event)`,
//!   which does the dirty count (and so propagation), WATCH and blocked-client signals and
//!   the keyspace event together (`store`);
//! - returns an `Error` (its `Display` is the wire text) or writes its reply to
//!   `ctx.reply`; may ask for a deterministic form to be propagated (`rewrite_as`);
//! - reads the configuration with `ctx.config()`; server-wide state is the business of the
//!   server family's handlers, through `Core`'s methods;
//! - runs another command inside itself with `ctx.run_nested`/`ctx.call_nested` (EXEC's
//!   queue, a script's `redis.call`), through the same checks and `call` as a client's.
//!
//! Tests beside each family call handlers through `test_kit::Kit`, which records the
//! replies, the AOF feed, the keyspace events and the signalled keys.

#![deny(clippy::indexing_slicing)]

pub mod args;
pub mod bitops;
pub mod connection;
pub mod docs;
pub mod geo;
pub mod hashes;
pub mod hll;
pub mod keys;
pub mod lists;
pub mod multi;
pub mod persistence;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod strings;
#[cfg(test)]
pub mod test_kit;
pub mod zsets;

use crate::error::CmdResult;
use crate::resp::reply::Reply;
use crate::server::client::Client;
use crate::server::Core;
use crate::store::bytes::Sds;
use crate::store::Store;
use docs::Docs;
use std::sync::LazyLock;

pub use args::{Args, Cursor, OwnedArgs, ScanOpts};

/// Command flags, as Redis names them in COMMAND INFO.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const ASKING: u32 = 1 << 11;
    pub const FAST: u32 = 1 << 12;
    pub const NO_AUTH: u32 = 1 << 13;
    pub const MAY_REPLICATE: u32 = 1 << 14;
    pub const NO_MULTI: u32 = 1 << 15;
    pub const MOVABLE_KEYS: u32 = 1 << 16;
    pub const ALLOW_BUSY: u32 = 1 << 17;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 18;

    // Internal properties: what the dispatcher and the AOF loader decide from the row
    // instead of from the name. Not in `NAMES`, so COMMAND INFO never shows them.

    /// Allowed while the client is subscribed in RESP2 (PING, (P|S)(UN)SUBSCRIBE, QUIT,
    /// RESET).
    pub const SUBSCRIBED_OK: u32 = 1 << 24;
    /// Runs at once instead of being queued inside MULTI (EXEC, DISCARD, MULTI, WATCH,
    /// QUIT, RESET).
    pub const NO_QUEUE: u32 = 1 << 25;
    /// Ends a transaction (EXEC, DISCARD, QUIT, RESET): not refused for memory inside MULTI.
    pub const ENDS_MULTI: u32 = 1 << 26;
    /// The transaction runner (EXEC): checks that hold for a queued command hold for it.
    pub const EXEC: u32 = 1 << 27;
    /// Opens a transaction (MULTI): where the AOF loader may cut a truncated file back to.
    pub const MULTI_MARKER: u32 = 1 << 28;
    /// Refused like a write while the AOF cannot be written (PING, so monitoring notices).
    pub const MISCONF: u32 = 1 << 29;
    /// The argument after the key is a hash field (HGET, HSET...): prefetched with the key.
    pub const HASH_FIELD: u32 = 1 << 30;
    /// Runs a script (EVAL, FCALL...): the flags the dispatcher applies depend on the
    /// script's own (`commands::scripting::command_flags`).
    pub const SCRIPT_FLAGS: u32 = 1 << 31;
    /// Every internal bit.
    pub const INTERNAL: u32 = SUBSCRIBED_OK
        | NO_QUEUE
        | ENDS_MULTI
        | EXEC
        | MULTI_MARKER
        | MISCONF
        | HASH_FIELD
        | SCRIPT_FLAGS;

    /// (flag, name) in the order COMMAND INFO lists them.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        // MAY_REPLICATE is kept (CLIENT PAUSE WRITE holds such commands) but, as in
        // redis-server 7.0, COMMAND INFO does not list it.
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

pub type Handler = fn(&mut Ctx, &Args) -> CmdResult;

/// Finds the key arguments of a command whose keys are not at fixed positions
/// (e.g. ZUNIONSTORE's numkeys). Returns argument indexes.
pub type KeysFn = fn(&Args) -> Vec<usize>;

/// One row of the command table.
#[derive(Clone, Copy)]
pub struct CommandDef {
    /// Lower case; for subcommands, the subcommand alone ("get" of "config|get").
    pub name: &'static str,
    /// The row's number in `TABLE` (0 in the family lists, numbered when the table is
    /// built); indexes per-command statistics.
    pub id: u16,
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub key_step: i32,
    /// Redis's documentation group; also gives the ACL categories of the type families.
    pub group: Group,
    pub handler: Handler,
    pub subcommands: &'static [CommandDef],
    pub keys_fn: Option<KeysFn>,
    /// For a blocking command, the value type whose arrival on a key wakes it.
    pub blocks_on: Option<BlockOn>,
    /// COMMAND DOCS (generated from Redis into the family file's `mod docs`).
    pub docs: &'static Docs,
    /// Key specs written out, for rows whose specs the key positions do not give (COMMAND
    /// INFO derives them from the positions when this is empty).
    pub key_specs: &'static [KeySpecDef],
}

/// One key spec as COMMAND INFO shows it: flags, where the search begins, and a range of
/// keys from there (last key relative to the first, step).
#[derive(Clone, Copy, Debug)]
pub struct KeySpecDef {
    pub flags: &'static [&'static str],
    pub begin: BeginSearch,
    pub last: i64,
    pub step: i64,
}

/// Where a key spec's search begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument.
    Index(i64),
    /// After the first occurrence of the keyword, looking from the argument given on.
    Keyword(&'static str, i64),
}

impl KeySpecDef {
    /// One key at argument `i`.
    pub const fn index(flags: &'static [&'static str], i: i64) -> KeySpecDef {
        KeySpecDef {
            flags,
            begin: BeginSearch::Index(i),
            last: 0,
            step: 1,
        }
    }
    /// One key after `word`, searched from argument `from` on.
    pub const fn keyword(
        flags: &'static [&'static str],
        word: &'static str,
        from: i64,
    ) -> KeySpecDef {
        KeySpecDef {
            flags,
            begin: BeginSearch::Keyword(word, from),
            last: 0,
            step: 1,
        }
    }
}

/// Redis's documentation groups (COMMAND DOCS `group`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    String,
    List,
    Set,
    SortedSet,
    Hash,
    Generic,
    Connection,
    Server,
    PubSub,
    Transactions,
    Bitmap,
    HyperLogLog,
    Geo,
    Stream,
    Scripting,
    Cluster,
    Sentinel,
}

impl Group {
    /// The name COMMAND DOCS gives.
    pub const fn name(self) -> &'static str {
        match self {
            Group::String => "string",
            Group::List => "list",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Hash => "hash",
            Group::Generic => "generic",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::PubSub => "pubsub",
            Group::Transactions => "transactions",
            Group::Bitmap => "bitmap",
            Group::HyperLogLog => "hyperloglog",
            Group::Geo => "geo",
            Group::Stream => "stream",
            Group::Scripting => "scripting",
            Group::Cluster => "cluster",
            Group::Sentinel => "sentinel",
        }
    }
}

/// The value type a blocking command waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockOn {
    List,
    ZSet,
    Stream,
}

impl BlockOn {
    /// The value's TYPE name.
    pub const fn type_name(self) -> &'static str {
        match self {
            BlockOn::List => "list",
            BlockOn::ZSet => "zset",
            BlockOn::Stream => "stream",
        }
    }
}

/// A row with no keys, no docs and no subcommands; refine with the builder methods.
pub const fn cmd(name: &'static str, arity: i32, flags: u32, handler: Handler) -> CommandDef {
    CommandDef {
        name,
        id: 0,
        arity,
        flags,
        first_key: 0,
        last_key: 0,
        key_step: 0,
        group: Group::Generic,
        handler,
        subcommands: &[],
        keys_fn: None,
        blocks_on: None,
        docs: &Docs::NONE,
        key_specs: &[],
    }
}

impl std::fmt::Debug for CommandDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CommandDef({})", self.name)
    }
}

impl CommandDef {
    /// Key positions: first, last (negative counts from the end), step.
    pub const fn keys(mut self, first: i32, last: i32, step: i32) -> Self {
        self.first_key = first;
        self.last_key = last;
        self.key_step = step;
        self
    }
    /// The documentation group (Generic when not given).
    pub const fn group(mut self, group: Group) -> Self {
        self.group = group;
        self
    }
    /// Its COMMAND DOCS entry.
    pub const fn docs(mut self, d: &'static Docs) -> Self {
        self.docs = d;
        self
    }
    /// Key specs written out (see `KeySpecDef`).
    pub const fn key_specs(mut self, specs: &'static [KeySpecDef]) -> Self {
        self.key_specs = specs;
        self
    }
    /// A blocking command: the value type it waits for.
    pub const fn blocks_on(mut self, t: BlockOn) -> Self {
        self.blocks_on = Some(t);
        self
    }
    pub const fn subs(mut self, s: &'static [CommandDef]) -> Self {
        self.subcommands = s;
        self
    }
    pub const fn keys_fn(mut self, f: KeysFn) -> Self {
        self.keys_fn = Some(f);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }
    pub fn is(&self, f: u32) -> bool {
        self.flags & f != 0
    }
    /// Whether `argc` arguments (the name counted) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc as i32 == a) || (a < 0 && argc as i32 >= -a)
    }
    /// The key argument indexes of a call.
    pub fn key_indexes(&self, args: &Args) -> Vec<usize> {
        match self.keys_fn {
            Some(f) => f(args),
            None => self.fixed_keys(args.len()).collect(),
        }
    }

    /// The key indexes given by the row's first/last/step for `argc` arguments (the name
    /// counted); nothing for rows without fixed key positions.
    pub fn fixed_keys(&self, argc: usize) -> impl Iterator<Item = usize> {
        let argc = argc as i32;
        let last = if self.last_key < 0 {
            argc + self.last_key
        } else {
            self.last_key.min(argc - 1)
        };
        let (start, end) = if self.first_key > 0 {
            (self.first_key, last)
        } else {
            (1, 0)
        };
        (start..=end)
            .step_by(self.key_step.max(1) as usize)
            .map(|i| i as usize)
    }
}

/// Every family's rows.
pub const FAMILIES: &[&[CommandDef]] = &[
    strings::COMMANDS,
    keys::COMMANDS,
    hashes::COMMANDS,
    bitops::COMMANDS,
    hll::COMMANDS,
    connection::COMMANDS,
    server::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    sort::COMMANDS,
    lists::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    geo::COMMANDS,
    persistence::COMMANDS,
    scripting::COMMANDS,
];

/// The table: every row (commands and subcommands) numbered, and an open-addressing
/// index of the top-level names for the lookup every request makes.
///
/// The rows are copied out of the family lists once, at start-up, so that each carries its
/// number (`CommandDef::id`); per-command statistics are then a plain vector indexed by it.
pub struct Table {
    /// Slot -> (name key, row number); row 0 marks an empty slot. A power of two, at most
    /// a quarter full.
    slots: Box<[([u64; 3], u16)]>,
    /// Row number -> row; row 0 is unused, so that `id` 0 means "not from the table".
    rows: Vec<Row>,
    /// Every top-level command, in family order.
    pub all: Vec<&'static CommandDef>,
}

/// A numbered row: the command, its full name ("config|get") and its container.
struct Row {
    def: &'static CommandDef,
    full_name: &'static str,
    parent: Option<&'static CommandDef>,
}

pub static TABLE: LazyLock<Table> = LazyLock::new(Table::build);

/// A command name of at most 24 bytes, lower-cased and zero-padded into three words: the
/// lookup key. Longer names match no command (the longest, GEORADIUSBYMEMBER_RO, has 20).
#[inline]
fn name_key(name: &[u8]) -> Option<[u64; 3]> {
    let mut buf = [[0u8; 8]; 3];
    // None for a name longer than 24 bytes.
    buf.as_flattened_mut()
        .get_mut(..name.len())?
        .copy_from_slice(name);
    Some(buf.map(|w| ascii_lower8(u64::from_le_bytes(w))))
}

/// ASCII lower case of eight bytes at once: bit 5 is set on exactly the bytes in 'A'..='Z'.
#[inline]
fn ascii_lower8(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low7 = x & (0x7f * ONES);
    // Per byte, bit 7 of `ge_a` says low7 >= 'A', of `gt_z` that low7 > 'Z'.
    let ge_a = low7 + (0x80 - b'A' as u64) * ONES;
    let gt_z = low7 + (0x7f - b'Z' as u64) * ONES;
    let upper = (ge_a ^ gt_z) & !x & (0x80 * ONES);
    x | (upper >> 2)
}

#[inline]
fn key_slot(k: &[u64; 3], mask: usize) -> usize {
    let h =
        (k[0] ^ k[1].rotate_left(29) ^ k[2].rotate_left(47)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 40) as usize & mask
}

impl Table {
    fn build() -> Table {
        // Row 0 is a placeholder; ids start at 1.
        let mut rows = vec![Row {
            def: FAMILIES
                .first()
                .and_then(|f| f.first())
                .expect("the command table has rows"),
            full_name: "",
            parent: None,
        }];
        let mut all = Vec::new();
        for &fam in FAMILIES {
            for c in fam {
                // Subcommands are numbered first, then their container.
                let first_sub = rows.len();
                let subs: &'static [CommandDef] = Box::leak(
                    c.subcommands
                        .iter()
                        .enumerate()
                        .map(|(i, s)| CommandDef {
                            id: (first_sub + i) as u16,
                            ..*s
                        })
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                );
                let top: &'static CommandDef = Box::leak(Box::new(CommandDef {
                    id: (first_sub + subs.len()) as u16,
                    subcommands: subs,
                    ..*c
                }));
                for s in subs {
                    rows.push(Row {
                        def: s,
                        full_name: Box::leak(format!("{}|{}", c.name, s.name).into_boxed_str()),
                        parent: Some(top),
                    });
                }
                rows.push(Row {
                    def: top,
                    full_name: top.name,
                    parent: None,
                });
                all.push(top);
            }
        }
        assert!(rows.len() < u16::MAX as usize, "too many command rows");
        debug_assert!(rows
            .iter()
            .enumerate()
            .skip(1)
            .all(|(i, r)| r.def.id as usize == i));
        let size = (all.len() * 4).next_power_of_two();
        let mut slots = vec![([0u64; 3], 0u16); size].into_boxed_slice();
        for c in &all {
            let key = name_key(c.name.as_bytes()).expect("command names fit 24 bytes");
            let mut i = key_slot(&key, size - 1);
            // `& (size - 1)` keeps i within the slots, which outnumber the commands.
            while slots.get(i).is_some_and(|s| s.1 != 0) {
                i = (i + 1) & (size - 1);
            }
            if let Some(slot) = slots.get_mut(i) {
                *slot = (key, c.id);
            }
        }
        Table { slots, rows, all }
    }

    /// Case-insensitive lookup of a top-level command.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<&'static CommandDef> {
        let key = name_key(name)?;
        let mask = self.slots.len() - 1;
        let mut i = key_slot(&key, mask);
        loop {
            // `& mask` keeps i within the slots (a power of two long).
            let &(k, id) = self.slots.get(i)?;
            if id == 0 {
                return None;
            }
            // Equal keys and lengths: equal names but for case (padding is all zeros).
            if k == key {
                let def = self.rows.get(id as usize)?.def;
                if def.name.len() == name.len() {
                    return Some(def);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Looks a subcommand up in a container command.
    pub fn sub(parent: &'static CommandDef, name: &[u8]) -> Option<&'static CommandDef> {
        parent
            .subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }

    /// Number of row ids (one more than the largest): the size of per-command arrays.
    pub fn id_count(&self) -> usize {
        self.rows.len()
    }

    /// "get", or "config|get" for a subcommand row.
    pub fn full_name(&self, cmd: &'static CommandDef) -> &'static str {
        match self.rows.get(cmd.id as usize) {
            Some(r) if cmd.id != 0 => r.full_name,
            _ => cmd.name,
        }
    }

    /// The container of a subcommand row.
    pub fn parent_of(&self, cmd: &'static CommandDef) -> Option<&'static CommandDef> {
        self.rows.get(cmd.id as usize).and_then(|r| r.parent)
    }
}

/// How the running command is fed to the AOF when it changed the data.
#[derive(Default, Debug)]
pub enum Propagate {
    /// As received.
    #[default]
    AsIs,
    /// Not at all (e.g. the handler already queued what to write in `also_propagate`).
    Never,
    /// As these commands instead (deterministic forms: SET EX becomes SET PXAT...).
    Rewrite(Vec<Vec<Sds>>),
}

/// What a handler works with.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub srv: &'a mut Core,
    pub client: &'a mut Client,
    pub reply: Reply<'a>,
    pub cmd: &'static CommandDef,
    pub propagate: Propagate,
}

impl Ctx<'_> {
    /// The server's configuration, to read.
    #[inline]
    pub fn config(&self) -> &crate::config::Config {
        self.srv.config()
    }

    /// Whether what the command changes is fed anywhere (the AOF today, replicas later):
    /// a handler may skip building a rewritten form nobody reads.
    #[inline]
    pub fn propagates(&self) -> bool {
        self.srv.aof_enabled()
    }

    /// Runs a command inside this one, as this command's client, its reply appended to
    /// this command's reply (EXEC's queued commands): see `server::call::run_nested`.
    pub fn run_nested(
        &mut self,
        args: Args,
        cmd: &'static CommandDef,
        rules: crate::server::call::NestedRules,
    ) -> Result<(), crate::server::call::Refused> {
        crate::server::call::run_nested(
            self.store,
            self.srv,
            self.client,
            self.reply.buf,
            args,
            cmd,
            rules,
        )
    }

    /// Runs `args` as a command inside this one on behalf of `client` (a client that is
    /// not this command's, e.g. a script's), its reply appended to `out`: see
    /// `server::call::call_nested`.
    pub fn call_nested(
        &mut self,
        client: &mut Client,
        out: &mut Vec<u8>,
        args: Args,
        rules: crate::server::call::NestedRules,
    ) -> Result<(), crate::server::call::Refused> {
        crate::server::call::call_nested(self.store, self.srv, client, out, args, rules)
    }

    /// Feeds `cmds` to the AOF instead of the command as received.
    pub fn rewrite_as(&mut self, cmds: Vec<Vec<Sds>>) {
        self.propagate = Propagate::Rewrite(cmds);
    }
}

/// Builds a command for `Propagate::Rewrite` from byte strings.
pub fn sds_cmd(parts: &[&[u8]]) -> Vec<Sds> {
    parts.iter().map(|p| Sds::from(*p)).collect()
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::resp::parse::Span;

    #[test]
    fn lookup_ignores_ascii_case_only() {
        for &c in &TABLE.all {
            let upper = c.name.to_ascii_uppercase();
            assert!(std::ptr::eq(TABLE.get(upper.as_bytes()).expect("upper"), c));
            assert!(std::ptr::eq(
                TABLE.get(c.name.as_bytes()).expect("lower"),
                c
            ));
            let mut mixed = c.name.as_bytes().to_vec();
            mixed[0] = mixed[0].to_ascii_uppercase();
            assert!(std::ptr::eq(TABLE.get(&mixed).expect("mixed"), c));
            // One byte more or less, a NUL pad, bit 5 flipped on a non-letter: no match.
            let mut longer = c.name.as_bytes().to_vec();
            longer.push(0);
            assert!(TABLE.get(&longer).is_none(), "{}", c.name);
            assert!(TABLE
                .get(&c.name.as_bytes()[..c.name.len() - 1])
                .is_none_or(|d| d.name.len() == c.name.len() - 1));
        }
        assert!(TABLE.get(b"").is_none());
        assert!(TABLE.get(b"get\xc7").is_none());
        assert!(TABLE.get(b"G\x05T").is_none());
        assert!(TABLE.get(b"an-unknown-command-with-a-long-name").is_none());
        // '_' | 0x20 is DEL; 'Z'+1 ('[') and 'A'-1 ('@') are not letters.
        assert!(TABLE.get(b"GET\x7f").is_none());
        assert!(TABLE.get(b"[ET").is_none());
        assert!(TABLE.get(b"@ET").is_none());
    }

    #[test]
    fn rows_are_numbered_once() {
        let mut seen = vec![false; TABLE.id_count()];
        for &c in &TABLE.all {
            for row in std::iter::once(c).chain(c.subcommands.iter()) {
                let id = row.id as usize;
                assert!(id > 0 && !seen[id], "{}", row.name);
                seen[id] = true;
                assert!(std::ptr::eq(TABLE.rows[id].def, row));
            }
            for s in c.subcommands {
                assert_eq!(TABLE.full_name(s), format!("{}|{}", c.name, s.name));
                assert!(std::ptr::eq(TABLE.parent_of(s).expect("parent"), c));
            }
            assert_eq!(TABLE.full_name(c), c.name);
            assert!(TABLE.parent_of(c).is_none());
        }
        assert!(seen[1..].iter().all(|&s| s));
    }

    /// The rows (full names, sorted) that have flag `f`.
    fn rows_with(f: u32) -> Vec<&'static str> {
        let mut v: Vec<&str> = TABLE
            .all
            .iter()
            .flat_map(|&c| std::iter::once(c).chain(c.subcommands.iter()))
            .filter(|c| c.is(f))
            .map(|c| TABLE.full_name(c))
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn internal_properties_are_on_the_expected_rows() {
        assert_eq!(
            rows_with(flags::SUBSCRIBED_OK),
            [
                "ping",
                "psubscribe",
                "punsubscribe",
                "quit",
                "reset",
                "ssubscribe",
                "subscribe",
                "sunsubscribe",
                "unsubscribe"
            ]
        );
        assert_eq!(
            rows_with(flags::NO_QUEUE),
            ["discard", "exec", "multi", "quit", "reset", "watch"]
        );
        assert_eq!(
            rows_with(flags::ENDS_MULTI),
            ["discard", "exec", "quit", "reset"]
        );
        assert_eq!(rows_with(flags::EXEC), ["exec"]);
        assert_eq!(rows_with(flags::MULTI_MARKER), ["multi"]);
        assert_eq!(rows_with(flags::MISCONF), ["ping"]);
        // The field-name list is checked next to its user (server::call).
        assert!(rows_with(flags::HASH_FIELD).contains(&"hget"));
    }

    #[test]
    fn internal_flags_are_not_named() {
        assert_eq!(flags::INTERNAL & flags::MAY_REPLICATE, 0);
        for &(f, n) in flags::NAMES {
            assert_eq!(f & flags::INTERNAL, 0, "{n}");
        }
        // No two properties share a bit.
        let all: u32 = flags::NAMES.iter().map(|&(f, _)| f).sum::<u32>()
            + flags::MAY_REPLICATE
            + flags::INTERNAL;
        let or = flags::NAMES
            .iter()
            .fold(flags::MAY_REPLICATE | flags::INTERNAL, |a, &(f, _)| a | f);
        assert_eq!(all, or);
    }

    #[test]
    fn blocking_rows_say_what_they_wait_for() {
        let mut found: Vec<(&str, &str)> = Vec::new();
        for &c in &TABLE.all {
            for row in std::iter::once(c).chain(c.subcommands.iter()) {
                assert_eq!(
                    row.is(flags::BLOCKING),
                    row.blocks_on.is_some(),
                    "{}",
                    row.name
                );
                if let Some(t) = row.blocks_on {
                    found.push((row.name, t.type_name()));
                }
            }
        }
        found.sort_unstable();
        assert_eq!(
            found,
            [
                ("blmove", "list"),
                ("blmpop", "list"),
                ("blpop", "list"),
                ("brpop", "list"),
                ("brpoplpush", "list"),
                ("bzmpop", "zset"),
                ("bzpopmax", "zset"),
                ("bzpopmin", "zset")
            ]
        );
    }

    fn parse_one(frame: &[u8]) -> Vec<Span> {
        use crate::resp::parse::{Limits, Parsed, Parser};
        let mut buf = frame.to_vec();
        let mut spans = Vec::new();
        let limits = Limits {
            proto_max_bulk_len: 512 << 20,
            authenticated: true,
        };
        let r = Parser::new().parse(&mut buf, &mut spans, &limits);
        assert_eq!(r, Ok(Parsed::Command(frame.len())), "{frame:?}");
        spans
    }

    #[test]
    fn wire_frames_are_copied_only_when_canonical() {
        let f: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n";
        let spans = parse_one(f);
        assert_eq!(Args::from_wire(f, &spans).wire_frame(), Some(f));
        assert_eq!(Args::new(f, &spans).wire_frame(), None);
        let long: Vec<u8> = [&b"*1\r\n$12\r\n"[..], b"abcdefghijkl", b"\r\n"].concat();
        let spans = parse_one(&long);
        assert_eq!(Args::from_wire(&long, &spans).wire_frame(), Some(&long[..]));
        // Terminators the parser lets through but the AOF must not copy.
        for odd in [
            &b"*1\rX$4\r\nPING\r\n"[..],
            b"*1\r\n$4\rXPING\r\n",
            b"*1\r\n$4\r\nPINGXY",
        ] {
            let spans = parse_one(odd);
            assert_eq!(Args::from_wire(odd, &spans).wire_frame(), None, "{odd:?}");
        }
        let inline: &[u8] = b"SET k v\r\n";
        let spans = parse_one(inline);
        assert_eq!(Args::from_wire(inline, &spans).wire_frame(), None);
    }

    #[test]
    fn ascii_lower8_matches_std() {
        for b in 0..=255u8 {
            let x = u64::from_le_bytes([b, b'A', b'z', b'Z', b'@', b'[', 0x80 | b'A', b]);
            let want = u64::from_le_bytes(
                [b, b'A', b'z', b'Z', b'@', b'[', 0x80 | b'A', b].map(|c| c.to_ascii_lowercase()),
            );
            assert_eq!(ascii_lower8(x), want, "{b}");
        }
    }
}
