//! The keyspace: databases, values and their expiry, and the one write path into them.
//!
//! `Store` is everything a data command touches: the databases, the command's time
//! snapshot and selected database, and the side effects every write has. Handlers reach
//! keys only through `Store`'s methods:
//! - reads: `lookup_read` (counts a hit or a miss), `lookup_write` (for a read-modify-write),
//!   `lookup_quiet`, `exists`, and `db()`/`db_at()` for read-only walks (SCAN, KEYS, DBSIZE);
//! - writes: `set`, `add`, `add_vacant` put values, `take` removes one, `set_expire` and
//!   `persist` change expiry; a value found with `lookup_write` is changed in place;
//! - after every write, one call says what happened: `modified(key, class, event)` (or
//!   `modified_by` with the number of changes) does all of a write's side effects together:
//!   the dirty counter that decides propagation, the WATCH and blocked-client signal, and
//!   the keyspace event. `delete` is a DEL (removal and all of that); `remove_emptied`
//!   removes a collection a write left empty, with its `del` event; `event` raises a
//!   further event of a write already reported (SET's `expire`); `modified_in` reports a
//!   key of another database (MOVE, COPY); `count_changes` counts changes that signal
//!   their keys themselves (flushes, SWAPDB); `modified_quietly` is a change Redis raises
//!   no event for (PFCOUNT caching its count);
//! - operations on several keys or databases: `rename`, `copy_to`, `move_to`,
//!   `flush`/`flush_selected`, `swap_dbs`, `random_key`.
//!
//! The server drains what the writes left (`take_touched`, `take_events`,
//! `drain_propagate`) after each command; handlers never see those queues.

pub mod bytes;
pub mod dict;
pub mod evict;
pub mod expire;
pub mod geohash;
pub mod hash;
pub mod list;
pub mod set;
pub mod zset;

use crate::server::client::ClientRef;
use bytes::Sds;
use std::collections::{HashMap, VecDeque};

/// Keyspace notification classes (the letters of notify-keyspace-events).
pub use crate::config::notify_flags as notify;
use dict::Dict;

/// A value in the keyspace.
#[derive(Debug, Clone)]
pub enum Value {
    Str(Sds),
    Hash(Box<hash::Hash>),
    List(Box<list::List>),
    Set(Box<set::Set>),
    ZSet(Box<zset::ZSet>),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
        }
    }

    /// The name OBJECT ENCODING reports for a value with no history.
    pub fn encoding(&self) -> &'static str {
        self.encoding_with(0)
    }

    /// The name OBJECT ENCODING reports, given the key's access word (whose high bits
    /// keep a string's encoding history).
    pub fn encoding_with(&self, meta: u32) -> &'static str {
        match self {
            Value::Str(_) if meta & ENC_RAW != 0 => "raw",
            Value::Str(s) => {
                if meta & ENC_NOINT == 0
                    && s.len() <= 20
                    && crate::util::num::parse_i64(s).is_some()
                {
                    "int"
                } else if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::Hash(h) => h.encoding(),
            Value::List(l) => l.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }
}

/// One database: keys and, apart, the expiry times of the keys that have one (ms since
/// the Unix epoch), as Redis keeps them.
#[derive(Default)]
pub struct Db {
    /// Each key carries its access word (see `AccessPolicy`).
    pub keys: Dict<Value, u32>,
    pub expires: Dict<i64>,
    /// Average TTL of keys sampled by active expiry (INFO keyspace avg_ttl).
    pub avg_ttl: i64,
    /// Where active expiry resumes its scan of `expires`.
    pub expire_cursor: u64,
}

impl Db {
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }
    pub fn set_expire(&mut self, key: &[u8], when: i64) {
        match self.expires.get_mut(key) {
            Some(w) => *w = when,
            None => {
                self.expires.insert(Sds::from(key), when);
            }
        }
    }
    pub fn remove_expire(&mut self, key: &[u8]) -> bool {
        !self.expires.is_empty() && self.expires.remove(key).is_some()
    }
    /// Removes a key and its expiry; returns the value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let (_, v) = self.keys.remove(key)?;
        self.remove_expire(key);
        Some(v)
    }
    pub fn clear(&mut self) {
        self.keys.clear();
        self.expires.clear();
        self.avg_ttl = 0;
    }
}

/// A keyspace event waiting to be published (see `Store::notify`).
#[derive(Debug, Clone)]
pub struct KeyEvent {
    pub db: usize,
    pub class: u32,
    pub event: &'static str,
    pub key: Sds,
}

/// How each key's access word is kept: Redis's LRU clock (seconds, 24 bits), or under
/// an LFU maxmemory-policy its LFU data (minutes in the high 16 bits, a logarithmic
/// access counter in the low 8).
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessPolicy {
    pub lfu: bool,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
}

const LRU_CLOCK_MAX: i64 = (1 << 24) - 1;
/// The access data proper; the high byte of the word is the string encoding history.
const ACCESS_MASK: u32 = 0x00ff_ffff;
/// The string was modified in place (APPEND, SETRANGE, SETBIT...): Redis reports "raw".
pub const ENC_RAW: u32 = 1 << 31;
/// The string was stored as text that Redis does not turn into an integer
/// (INCRBYFLOAT's result): never "int".
pub const ENC_NOINT: u32 = 1 << 30;
/// Every encoding-history bit.
pub const ENC_MASK: u32 = !ACCESS_MASK;
const LFU_INIT_VAL: u32 = 5;

fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) & LRU_CLOCK_MAX) as u32
}

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) & 65535) as u32
}

impl AccessPolicy {
    /// The policy the configuration asks for.
    pub fn from_config(c: &crate::config::Config) -> AccessPolicy {
        use crate::config::MaxmemoryPolicy::{AllkeysLfu, VolatileLfu};
        AccessPolicy {
            lfu: matches!(c.maxmemory_policy, AllkeysLfu | VolatileLfu),
            lfu_log_factor: c.lfu_log_factor,
            lfu_decay_time: c.lfu_decay_time,
        }
    }

    /// The access word of a key just created.
    fn fresh(&self, now_ms: i64) -> u32 {
        if self.lfu {
            (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
        } else {
            lru_clock(now_ms)
        }
    }

    /// The LFU counter of an access word, decayed by the minutes since its last access.
    pub fn lfu_counter(&self, meta: u32, now_ms: i64) -> u32 {
        let last = (meta >> 8) & 0xffff;
        let counter = meta & 255;
        let now = lfu_minutes(now_ms);
        let elapsed = if now >= last {
            now - last
        } else {
            65535 - last + now
        };
        let periods = elapsed.checked_div(self.lfu_decay_time).unwrap_or(0);
        counter.saturating_sub(periods)
    }

    /// The access word after an access.
    fn touched(&self, meta: u32, now_ms: i64, rng: &mut u64) -> u32 {
        let flags = meta & !ACCESS_MASK;
        if !self.lfu {
            return lru_clock(now_ms) | flags;
        }
        let mut counter = self.lfu_counter(meta, now_ms);
        if counter < 255 {
            // Logarithmic increment: the higher the counter, the less likely it grows.
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            let r = (*rng >> 11) as f64 / (1u64 << 53) as f64;
            let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
            if r < 1.0 / (base * self.lfu_log_factor as f64 + 1.0) {
                counter += 1;
            }
        }
        (lfu_minutes(now_ms) << 8) | counter | flags
    }

    /// Milliseconds since the last access recorded in an LRU access word.
    pub fn idle_ms(&self, meta: u32, now_ms: i64) -> u64 {
        let clock = lru_clock(now_ms) as u64;
        let meta = (meta & ACCESS_MASK) as u64;
        let secs = if clock >= meta {
            clock - meta
        } else {
            clock + (LRU_CLOCK_MAX as u64 - meta)
        };
        secs * 1000
    }
}

/// Keyspace statistics INFO reports.
#[derive(Debug, Default, Clone)]
pub struct KeyStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
    pub evicted: u64,
    pub expired_stale_perc: f64,
    pub expired_time_cap_reached: u64,
}

/// A key found absent by `lookup_write_meta_or_vacant`: its hash, for `add_vacant`.
#[derive(Clone, Copy, Debug)]
pub struct Vacant(u64);

#[derive(Default)]
pub struct Store {
    /// The databases: read with `db`/`db_at`/`dbs`, changed only through the write path.
    dbs: Vec<Db>,
    /// The database of the client whose command is running.
    pub cur: usize,
    /// The running command's time snapshot, ms since the Unix epoch.
    pub now: i64,
    /// Changes since the last save (Redis's `server.dirty`): counted by `modified_by`,
    /// read with `dirty()`.
    dirty: u64,
    pub stats: KeyStats,
    /// While loading the AOF, keys are not expired (the file carries the DELs).
    pub loading: bool,
    /// The code of the FUNCTION libraries (they are part of the dataset: an AOF rewrite
    /// writes them first). Kept in step by the FUNCTION commands.
    pub function_libraries: Vec<Vec<u8>>,
    /// While a CLIENT PAUSE is in force the data stays as it is: an expired key reads as
    /// absent but is not deleted (nor propagated) until the pause ends, as in Redis.
    pub keep_expired: bool,
    /// Enabled keyspace-notification classes (config notify-keyspace-events).
    pub notify_flags: u32,
    /// Keyspace events the writes raised, for the server to publish (`take_events`).
    events: Vec<KeyEvent>,
    /// Commands to feed to the AOF before the running one (e.g. DEL of lazily expired keys),
    /// with the database they apply to.
    also_propagate: Vec<(usize, Vec<Sds>)>,
    /// Keys signalled as modified by the running command, when someone is interested
    /// (`track_touched`): WATCHers and clients blocked on keys.
    touched: Vec<(usize, Sds)>,
    pub track_touched: bool,
    /// How keys' access words are kept (from maxmemory-policy).
    pub access: AccessPolicy,
    /// The eviction pool of the maxmemory policies (see `evict`).
    pub evictor: evict::Evictor,
    rng: u64,
    /// WATCHed keys: (db, key) → the watching connections.
    pub watched_keys: HashMap<(usize, Sds), Vec<ClientRef>>,
    /// Keys clients are blocked on: (db, key) → the clients, in the order they blocked.
    pub blocking_keys: HashMap<(usize, Sds), VecDeque<ClientRef>>,
    /// Keys with blocked clients that a write may have made ready, in signal order.
    pub ready_keys: Vec<(usize, Sds)>,
}

impl Store {
    pub fn new(databases: usize) -> Store {
        Store {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            now: now_ms(),
            rng: 0x9e37_79b9_7f4a_7c15 ^ now_us() as u64,
            ..Default::default()
        }
    }

    /// The current database, to read.
    #[inline]
    pub fn db(&self) -> &Db {
        &self.dbs[self.cur]
    }

    /// Database `i`, to read.
    #[inline]
    pub fn db_at(&self, i: usize) -> Option<&Db> {
        self.dbs.get(i)
    }

    /// Every database, to read (INFO keyspace, the AOF rewrite).
    #[inline]
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// How many databases there are.
    #[inline]
    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    /// Changes since the last save (Redis's `server.dirty`); a command whose run moved it
    /// is propagated.
    #[inline]
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// Puts a value in database `db` with no side effect at all (test set-ups).
    #[cfg(test)]
    pub fn put_raw(&mut self, db: usize, key: &[u8], v: Value) {
        self.dbs[db].keys.insert(Sds::from(key), v);
    }

    /// Whether writes left keyspace events to publish.
    #[inline]
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The keyspace events the writes raised, in order; give the emptied vector back with
    /// `recycle_events` to keep its allocation.
    #[inline]
    pub fn take_events(&mut self) -> Vec<KeyEvent> {
        std::mem::take(&mut self.events)
    }

    /// Gives back the vector `take_events` lent, emptied.
    #[inline]
    pub fn recycle_events(&mut self, mut v: Vec<KeyEvent>) {
        if self.events.is_empty() {
            v.clear();
            self.events = v;
        }
    }

    /// Whether writes signalled keys (for WATCH and blocked clients).
    #[inline]
    pub fn has_touched(&self) -> bool {
        !self.touched.is_empty()
    }

    /// The keys the writes signalled, as (database, key), in order.
    #[inline]
    pub fn take_touched(&mut self) -> Vec<(usize, Sds)> {
        std::mem::take(&mut self.touched)
    }

    /// Commands to feed before the running one's (the DEL of a lazily expired or evicted
    /// key), with their database; drained.
    #[inline]
    pub fn drain_propagate(&mut self) -> std::vec::Drain<'_, (usize, Vec<Sds>)> {
        self.also_propagate.drain(..)
    }

    /// Whether there are commands to feed before the running one's.
    #[inline]
    pub fn has_propagate(&self) -> bool {
        !self.also_propagate.is_empty()
    }

    /// Drops the events, signals and extra commands writes left (while loading the AOF
    /// nobody is there to receive them).
    pub fn discard_effects(&mut self) {
        self.events.clear();
        self.touched.clear();
        self.also_propagate.clear();
    }

    /// Starts counting changes from zero (after loading the data).
    pub fn reset_dirty(&mut self) {
        self.dirty = 0;
    }

    /// Background upkeep of the main tables for at most `budget`: shrinks those that are
    /// mostly empty and moves incremental rehashing on (Redis's databasesCron).
    pub fn rehash_tables(&mut self, budget: std::time::Duration) {
        let t0 = std::time::Instant::now();
        for db in self.dbs.iter_mut() {
            db.keys.shrink_if_needed();
            db.expires.shrink_if_needed();
            while db.keys.rehash_steps(100) || db.expires.rehash_steps(100) {
                if t0.elapsed() > budget {
                    break;
                }
            }
        }
    }

    /// Deletes `key` of database `db` if its time has come; true if it was expired (and,
    /// unless `keep_expired`, is now gone).
    pub fn expire_if_needed_in(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        let when = match d.expire_at(key) {
            Some(w) => w,
            None => return false,
        };
        // Expired once the time is past the deadline, as Redis's keyIsExpired decides.
        if when >= self.now || self.loading {
            return false;
        }
        if self.keep_expired {
            return true;
        }
        d.remove(key);
        self.stats.expired += 1;
        self.also_propagate
            .push((db, vec![Sds::from(&b"DEL"[..]), Sds::from(key)]));
        self.notify_in(db, notify::EXPIRED, "expired", key);
        self.signal_modified_in(db, key);
        true
    }

    #[inline]
    pub fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        self.expire_if_needed_in(self.cur, key)
    }

    /// Expiry before a write that may create the key: an expired key must be gone even
    /// under `keep_expired` (writes wait out a pause, so this is only a safeguard).
    #[inline]
    fn expire_for_write(&mut self, key: &[u8]) {
        let keep = std::mem::replace(&mut self.keep_expired, false);
        self.expire_if_needed(key);
        self.keep_expired = keep;
    }

    /// Looks a key up for reading: expires it if due, records the access, counts a hit
    /// or a miss.
    #[inline]
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Value> {
        if self.expire_if_needed(key) {
            self.stats.misses += 1;
            return None;
        }
        let cur = self.cur;
        match self.dbs[cur].keys.get_mut_meta(key) {
            Some((v, meta)) => {
                *meta = self.access.touched(*meta, self.now, &mut self.rng);
                self.stats.hits += 1;
                Some(v)
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// Looks a key up for writing: expires it if due, records the access; no statistics.
    #[inline]
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Value> {
        if self.expire_if_needed(key) {
            return None;
        }
        let cur = self.cur;
        let (v, meta) = self.dbs[cur].keys.get_mut_meta(key)?;
        *meta = self.access.touched(*meta, self.now, &mut self.rng);
        Some(v)
    }

    /// Like `lookup_write`, also giving the key's access word (to update its encoding
    /// history without a second lookup).
    #[inline]
    pub fn lookup_write_meta(&mut self, key: &[u8]) -> Option<(&mut Value, &mut u32)> {
        self.lookup_write_meta_or_vacant(key).ok()
    }

    /// `lookup_write_meta`, and on a miss the key's hash, which `add_vacant` takes so a
    /// read-modify-write that creates the key hashes it once.
    #[inline]
    pub fn lookup_write_meta_or_vacant(
        &mut self,
        key: &[u8],
    ) -> Result<(&mut Value, &mut u32), Vacant> {
        self.expire_for_write(key);
        let cur = self.cur;
        let h = Dict::<Value, u32>::hash(key);
        match self.dbs[cur].keys.get_mut_meta_hashed(key, h) {
            Some((v, meta)) => {
                *meta = self.access.touched(*meta, self.now, &mut self.rng);
                Ok((v, meta))
            }
            None => Err(Vacant(h)),
        }
    }

    /// Adds a key that `lookup_write_meta_or_vacant` just found absent (the `new` event;
    /// the caller reports the write with `modified`).
    pub fn add_vacant(&mut self, key: &[u8], v: Value, vacant: Vacant) {
        let cur = self.cur;
        let fresh = self.access.fresh(self.now);
        self.dbs[cur]
            .keys
            .insert_new_meta_hashed(Sds::from(key), v, fresh, vacant.0);
        self.notify(notify::NEW, "new", key);
    }

    /// Looks a key up without recording an access (TYPE, EXISTS, TTL..., OBJECT, DEBUG
    /// OBJECT, as Redis's LOOKUP_NOTOUCH): the value and its access word. Expires the key
    /// if due and counts a hit or a miss.
    pub fn lookup_quiet(&mut self, key: &[u8]) -> Option<(&mut Value, u32)> {
        if self.expire_if_needed(key) {
            self.stats.misses += 1;
            return None;
        }
        let cur = self.cur;
        match self.dbs[cur].keys.get_mut_meta(key) {
            Some((v, meta)) => {
                self.stats.hits += 1;
                Some((v, *meta))
            }
            None => {
                self.stats.misses += 1;
                None
            }
        }
    }

    /// Whether the key exists (after expiry), without touching statistics.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.lookup_write(key).is_some()
    }

    /// Sets a key to a value (Redis setKey): the old value and, unless `keep_ttl`, its
    /// expiry are gone (an expired old key counts as absent). Raises the `new` event when
    /// the key did not exist; the caller reports the write with `modified`.
    pub fn set(&mut self, key: &[u8], v: Value, keep_ttl: bool) {
        self.expire_for_write(key);
        let cur = self.cur;
        let fresh = self.access.fresh(self.now);
        let lfu = self.access.lfu;
        let db = &mut self.dbs[cur];
        let h = Dict::<Value, u32>::hash(key);
        match db.keys.get_mut_meta_hashed(key, h) {
            Some((slot, meta)) => {
                *slot = v;
                // A new value starts a new LRU life and encoding history; LFU keeps the
                // key's counter.
                *meta = if lfu { *meta & ACCESS_MASK } else { fresh };
                if !keep_ttl {
                    db.remove_expire(key);
                }
            }
            None => {
                db.keys.insert_new_meta_hashed(Sds::from(key), v, fresh, h);
                self.notify(notify::NEW, "new", key);
            }
        }
    }

    /// Records string encoding history (`ENC_RAW`, `ENC_NOINT`) for OBJECT ENCODING.
    pub fn mark_encoding(&mut self, key: &[u8], flag: u32) {
        let cur = self.cur;
        if let Some((_, meta)) = self.dbs[cur].keys.get_mut_meta(key) {
            *meta |= flag;
        }
    }

    /// Adds a key known to be absent (after `lookup_write` said so); the caller reports
    /// the write with `modified`.
    pub fn add(&mut self, key: &[u8], v: Value) {
        self.add_vacant(key, v, Vacant(Dict::<Value, u32>::hash(key)));
    }

    /// DEL of one key (after expiry): true if it existed, and then the write is reported
    /// (dirty, signal, `del` event).
    pub fn delete(&mut self, key: &[u8]) -> bool {
        if self.expire_if_needed(key) {
            return false;
        }
        let cur = self.cur;
        if self.dbs[cur].remove(key).is_some() {
            self.modified(key, notify::GENERIC, "del");
            true
        } else {
            false
        }
    }

    /// Removes a key and its expiry, giving its value, with no side effect: the caller
    /// reports the write (`modified`) as the command it is part of sees it.
    pub fn take(&mut self, key: &[u8]) -> Option<Value> {
        let cur = self.cur;
        self.dbs[cur].remove(key)
    }

    /// Moves the value and expiry of `src` to `dst` (an existing `dst` is replaced), with
    /// the `new` event of `dst`; the caller reports the write on both keys.
    pub fn rename(&mut self, src: &[u8], dst: &[u8]) {
        let cur = self.cur;
        let db = &mut self.dbs[cur];
        let expire = db.expire_at(src);
        db.remove(dst);
        if let Some(v) = db.remove(src) {
            db.keys.insert(Sds::from(dst), v);
            if let Some(w) = expire {
                db.set_expire(dst, w);
            }
        }
        self.notify(notify::NEW, "new", dst);
    }

    /// Removes a collection that the write just reported left empty, with its `del`
    /// event (Redis deletes an emptied key as part of the write).
    pub fn remove_emptied(&mut self, key: &[u8]) {
        let cur = self.cur;
        self.dbs[cur].remove(key);
        self.notify(notify::GENERIC, "del", key);
    }

    /// Sets the expiry of an existing key (ms since the Unix epoch); the caller reports
    /// the write.
    pub fn set_expire(&mut self, key: &[u8], when: i64) {
        let cur = self.cur;
        self.dbs[cur].set_expire(key, when);
    }

    /// Removes the expiry of a key; true if it had one. The caller reports the write.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let cur = self.cur;
        self.dbs[cur].remove_expire(key)
    }

    /// The write path's one report: a write changed `key` (in the current database).
    /// Counts one change in the dirty counter (which decides that the command is
    /// propagated), signals the key to WATCHers and blocked clients, and raises the
    /// keyspace event `event` of `class`.
    #[inline]
    pub fn modified(&mut self, key: &[u8], class: u32, event: &'static str) {
        self.modified_by(key, class, event, 1);
    }

    /// `modified` for a write that made `changes` changes (SADD of three new members
    /// counts three, as Redis's dirty counter does; 0 propagates nothing).
    #[inline]
    pub fn modified_by(&mut self, key: &[u8], class: u32, event: &'static str, changes: u64) {
        self.dirty += changes;
        self.signal_modified(key);
        self.notify(class, event, key);
    }

    /// A further keyspace event of a write already reported with `modified` (SET's
    /// `expire`, a pop's `del`...).
    #[inline]
    pub fn event(&mut self, key: &[u8], class: u32, event: &'static str) {
        self.notify(class, event, key);
    }

    /// Records that `key` changed, for WATCH and for clients blocked on it (the write
    /// path's: handlers report writes with `modified`).
    #[inline]
    fn signal_modified(&mut self, key: &[u8]) {
        self.signal_modified_in(self.cur, key)
    }

    /// A key signalled twice in a row (MSET k 1 k 2, a write reported in two steps) is
    /// recorded once.
    #[inline]
    pub(super) fn signal_modified_in(&mut self, db: usize, key: &[u8]) {
        if self.track_touched
            && self
                .touched
                .last()
                .is_none_or(|(d, k)| *d != db || k.as_slice() != key)
        {
            self.touched.push((db, Sds::from(key)));
        }
    }

    /// Queues a keyspace notification when its class is enabled.
    #[inline]
    fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        self.notify_in(self.cur, class, event, key)
    }

    pub(super) fn notify_in(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        if self.notify_flags & class != 0 {
            self.events.push(KeyEvent {
                db,
                class,
                event,
                key: Sds::from(key),
            });
        }
    }

    /// Re-evaluates whether signals must be recorded (someone watches or blocks).
    pub fn update_tracking(&mut self) {
        self.track_touched = !self.watched_keys.is_empty() || !self.blocking_keys.is_empty();
    }

    /// Signals the WATCHed keys of database `db` that exist in `db` or in `other`
    /// (what a flush or a swap changes, as Redis's touchAllWatchedKeysInDb decides).
    fn touch_watched_in_db(&mut self, db: usize, other: Option<usize>) {
        let keys: Vec<Sds> = self
            .watched_keys
            .keys()
            .filter(|(d, k)| {
                *d == db
                    && (self.dbs[db].keys.contains_key(k)
                        || other.is_some_and(|o| self.dbs[o].keys.contains_key(k)))
            })
            .map(|(_, k)| k.clone())
            .collect();
        for k in keys {
            self.touched.push((db, k));
        }
    }

    /// Empties one database, or all of them; returns how many keys were removed.
    pub fn flush(&mut self, db: Option<usize>) -> usize {
        let mut n = 0;
        for i in 0..self.dbs.len() {
            if db.is_none_or(|x| x == i) {
                if !self.watched_keys.is_empty() {
                    self.touch_watched_in_db(i, None);
                }
                n += self.dbs[i].len();
                self.dbs[i].clear();
            }
        }
        n
    }

    /// SWAPDB: exchanges two databases. WATCHers of keys in either are signalled, and
    /// clients blocked on keys that now exist are woken.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        if !self.watched_keys.is_empty() {
            self.touch_watched_in_db(a, Some(b));
            self.touch_watched_in_db(b, Some(a));
        }
        self.dbs.swap(a, b);
        if !self.blocking_keys.is_empty() {
            let ready: Vec<(usize, Sds)> = self
                .blocking_keys
                .keys()
                .filter(|(d, k)| (*d == a || *d == b) && self.dbs[*d].keys.contains_key(k))
                .cloned()
                .collect();
            self.ready_keys.extend(ready);
        }
    }

    // Keyspace operations beyond one key (MOVE, COPY, the flushes, SWAPDB, RANDOMKEY).

    /// The index of the selected database (the running command's).
    #[inline]
    pub fn selected(&self) -> usize {
        self.cur
    }

    /// `modified` for a key of database `db` (MOVE's and COPY's destination).
    pub fn modified_in(&mut self, db: usize, key: &[u8], class: u32, event: &'static str) {
        self.dirty += 1;
        self.signal_modified_in(db, key);
        self.notify_in(db, class, event, key);
    }

    /// Counts `changes` in the dirty counter (so that the command is propagated) for a
    /// write that signals no key and raises no event: a flush or a swap (which signal
    /// the keys they change themselves), PFDEBUG's change of encoding.
    #[inline]
    pub fn count_changes(&mut self, changes: u64) {
        self.dirty += changes;
    }

    /// `modified` for a write Redis reports without a keyspace event (PFCOUNT caching
    /// its count in the string): one change, and the key's signal.
    pub fn modified_quietly(&mut self, key: &[u8]) {
        self.dirty += 1;
        self.signal_modified(key);
    }

    /// Whether `key` exists in database `db`, after expiring it if due.
    pub fn exists_in(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed_in(db, key);
        self.dbs[db].keys.contains_key(key)
    }

    /// Copies the value and expiry of `src` (current database) to `dst` in database `db`
    /// (an existing `dst` is replaced, with no event), with the `new` event of `dst`;
    /// false when `src` is absent. The caller reports the write (`modified_in`).
    pub fn copy_to(&mut self, src: &[u8], db: usize, dst: &[u8]) -> bool {
        let from = &self.dbs[self.cur];
        let Some(v) = from.keys.get(src).cloned() else {
            return false;
        };
        let expire = from.expire_at(src);
        let to = &mut self.dbs[db];
        to.remove(dst);
        to.keys.insert(Sds::from(dst), v);
        if let Some(w) = expire {
            to.set_expire(dst, w);
        }
        self.notify_in(db, notify::NEW, "new", dst);
        true
    }

    /// Moves `key` with its expiry from the current database to database `db` (where it
    /// is absent), with the `new` event there; false when `key` is absent. The caller
    /// reports the write on both sides.
    pub fn move_to(&mut self, key: &[u8], db: usize) -> bool {
        let from = &mut self.dbs[self.cur];
        let expire = from.expire_at(key);
        let Some((k, v)) = from.keys.remove(key) else {
            return false;
        };
        from.remove_expire(key);
        let to = &mut self.dbs[db];
        to.keys.insert(k, v);
        if let Some(w) = expire {
            to.set_expire(key, w);
        }
        self.notify_in(db, notify::NEW, "new", key);
        true
    }

    /// Empties the selected database; returns how many keys were removed.
    pub fn flush_selected(&mut self) -> usize {
        self.flush(Some(self.cur))
    }

    /// A random key of the current database (not checked for expiry).
    pub fn random_key(&self) -> Option<Sds> {
        self.db().keys.random_entry().map(|(k, _)| k.clone())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
