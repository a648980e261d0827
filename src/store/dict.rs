//! `Dict<V>`: the hash table behind the keyspace, hashes and sets.
//!
//! This is our own table rather than `std::collections::HashMap` because the server needs
//! three things an open-addressing map cannot give: SCAN's guarantee that a full cursor
//! iteration returns every key that was present the whole time even if the table grew or
//! shrank in between; resizing without a latency spike (a 1M-key table must not stop the
//! event loop while it doubles); and cheap random sampling of entries for active expiry,
//! eviction and RANDOMKEY.
//!
//! The design follows Redis's `dict`:
//!
//! * Buckets are a power-of-two array of singly linked chains; each entry is one boxed
//!   node holding the next link, the key and the value. Keys are hashed with foldhash,
//!   seeded randomly once per process.
//! * There are two tables. When an insert finds `len >= buckets` (load factor 1) a table
//!   twice the size is allocated and entries migrate from the old table to the new one a
//!   bucket at a time: every `insert`, `remove`, `get_mut` and `get_or_insert_with` moves
//!   one bucket, and the server cron can move more with `rehash_steps`. While rehashing,
//!   lookups check both tables and new entries go to the new one. `shrink_if_needed`
//!   starts the same process towards a smaller table when fill drops under 10%.
//! * `scan` uses the reverse-binary cursor: the cursor's bits are incremented from the
//!   most significant end, so the buckets already visited in a table of one size map to
//!   exactly the buckets already visited in a table of any other power-of-two size.
//! * `random_entry` and `sample` pick a random bucket and walk from there with bounded
//!   work, like `dictGetFairRandomKey` and `dictGetSomeKeys`.
//!
//! Shared borrows (`get`, `iter`, `scan`, `random_entry`, `sample`) never move entries, so
//! the borrow checker gives the guarantees Redis gets from "safe iterators".

use super::bytes::Sds;
use std::hash::{BuildHasher, Hasher};
use std::iter::FusedIterator;
use std::mem;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Smallest non-empty table (Redis DICT_HT_INITIAL_SIZE).
const INITIAL_SIZE: usize = 4;
/// Shrink when fewer than this percentage of buckets would be used (HASHTABLE_MIN_FILL).
const MIN_FILL_PERCENT: usize = 10;
/// Entries `random_entry` samples before choosing one (Redis GETFAIR_NUM_ENTRIES).
const FAIR_SAMPLE: usize = 15;
/// `rehash_idx` value when no rehash is in progress.
const NOT_REHASHING: usize = usize::MAX;

type Link<V, M> = Option<Box<Node<V, M>>>;

struct Node<V, M> {
    next: Link<V, M>,
    key: Sds,
    value: V,
    /// Per-entry metadata for the owner (the keyspace keeps each key's access clock
    /// here, where it fills what would otherwise be padding of the node); `()` elsewhere.
    meta: M,
}

struct Table<V, M> {
    buckets: Box<[Link<V, M>]>,
    used: usize,
}

impl<V, M> Table<V, M> {
    fn empty() -> Self {
        Table {
            buckets: Box::new([]),
            used: 0,
        }
    }

    fn with_size(size: usize) -> Self {
        debug_assert!(size.is_power_of_two());
        let mut v = Vec::with_capacity(size);
        v.resize_with(size, || None);
        Table {
            buckets: v.into_boxed_slice(),
            used: 0,
        }
    }

    #[inline(always)]
    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// Only meaningful for a non-empty table.
    #[inline(always)]
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    #[inline(always)]
    fn bucket(&self, hash: u64) -> &Link<V, M> {
        &self.buckets[hash as usize & self.mask()]
    }

    #[inline(always)]
    fn bucket_mut(&mut self, hash: u64) -> &mut Link<V, M> {
        let m = self.mask();
        &mut self.buckets[hash as usize & m]
    }

    /// Frees every chain iteratively (a recursive Box drop could be deep on a long chain).
    fn free_chains(&mut self) {
        for b in self.buckets.iter_mut() {
            let mut cur = b.take();
            while let Some(mut node) = cur {
                cur = node.next.take();
            }
        }
        self.used = 0;
    }
}

impl<V, M> Drop for Table<V, M> {
    fn drop(&mut self) {
        self.free_chains();
    }
}

/// Hash of a key, with a seed chosen randomly once per process.
///
/// Buckets are picked with the low bits of the hash, so this uses foldhash's `quality`
/// variant: the `fast` one leaves the low bits of structured keys such as `key:000123`
/// visibly non-uniform (up to ~15% fewer occupied buckets than a random function, i.e.
/// longer chains), and the extra final multiply costs a few cycles.
#[inline]
fn hash_key(key: &[u8]) -> u64 {
    static STATE: OnceLock<foldhash::quality::RandomState> = OnceLock::new();
    let mut h = STATE.get_or_init(Default::default).build_hasher();
    h.write(key);
    h.finish()
}

/// Key comparison for chain walks. Most keys are short, so lengths 8..=32 compare word by
/// word (the last word overlapping) instead of calling `memcmp`.
#[inline(always)]
fn key_eq(stored: &Sds, key: &[u8]) -> bool {
    let a = stored.as_slice();
    let n = key.len();
    if a.len() != n {
        return false;
    }
    if (8..=32).contains(&n) {
        let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap());
        let mut i = 0;
        while i + 8 < n {
            if word(a, i) != word(key, i) {
                return false;
            }
            i += 8;
        }
        return word(a, n - 8) == word(key, n - 8);
    }
    a == key
}

/// A prefetch hint for the cache line at `p`.
#[inline(always)]
fn prefetch_read(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints the cache; it never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A cheap process-wide PRNG (xorshift64*) for sampling; not for anything secret.
fn next_random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        // Seeded from the random hash seed; `| 1` keeps the state non-zero.
        x = hash_key(b"ferrokv dict sampling seed") | 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    STATE.store(x, Ordering::Relaxed);
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A random number in `0..n` (`n > 0`), taken from the well-mixed high bits.
#[inline]
fn random_below(n: usize) -> usize {
    ((next_random() as u128 * n as u128) >> 64) as usize
}

/// The hash table of the keyspace: `Sds` keys looked up by `&[u8]`, incremental rehashing,
/// SCAN cursors and random sampling (see the module documentation).
pub struct Dict<V, M: Copy + Default = ()> {
    ht: [Table<V, M>; 2],
    /// Next bucket of `ht[0]` to migrate, or `NOT_REHASHING`.
    rehash_idx: usize,
}

impl<V, M: Copy + Default> Default for Dict<V, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, M: Copy + Default> Dict<V, M> {
    /// An empty dict; allocates nothing until the first insert.
    pub fn new() -> Self {
        Dict {
            ht: [Table::empty(), Table::empty()],
            rehash_idx: NOT_REHASHING,
        }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.ht[0].used + self.ht[1].used
    }

    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value stored under `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|n| &n.value)
    }

    /// The value stored under `key`, mutably. Performs one incremental rehash step.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.rehash_step();
        if self.is_empty() {
            return None;
        }
        let h = hash_key(key);
        let tables = self.table_count();
        for t in &mut self.ht[..tables] {
            let mut cur = t.bucket_mut(h).as_deref_mut();
            while let Some(n) = cur {
                if key_eq(&n.key, key) {
                    return Some(&mut n.value);
                }
                cur = n.next.as_deref_mut();
            }
        }
        None
    }

    /// The value under `key` and its metadata word, mutably. Performs one incremental
    /// rehash step.
    #[inline]
    pub fn get_mut_meta(&mut self, key: &[u8]) -> Option<(&mut V, &mut M)> {
        self.get_mut_meta_hashed(key, hash_key(key))
    }

    /// `get_mut_meta` with the key's hash already computed (`Dict::hash`), so that a miss
    /// followed by `insert_new_meta_hashed` hashes the key once.
    #[inline]
    pub fn get_mut_meta_hashed(&mut self, key: &[u8], h: u64) -> Option<(&mut V, &mut M)> {
        self.rehash_step();
        if self.is_empty() {
            return None;
        }
        let tables = self.table_count();
        for t in &mut self.ht[..tables] {
            let mut cur = t.bucket_mut(h).as_deref_mut();
            while let Some(n) = cur {
                if key_eq(&n.key, key) {
                    return Some((&mut n.value, &mut n.meta));
                }
                cur = n.next.as_deref_mut();
            }
        }
        None
    }

    /// Starts loading the bucket slot where `key` would be (a hint to the CPU; nothing
    /// is read) and returns the key's hash, for `prefetch_entry`.
    #[inline]
    pub fn prefetch(&self, key: &[u8]) -> u64 {
        let h = hash_key(key);
        if !self.is_empty() {
            for t in &self.ht[..self.table_count()] {
                prefetch_read(t.bucket(h) as *const Link<V, M> as *const u8);
            }
        }
        h
    }

    /// After `prefetch` had time to bring the bucket slot in: starts loading the first
    /// entry of the bucket (reads the slot).
    #[inline]
    pub fn prefetch_entry(&self, h: u64) {
        if !self.is_empty() {
            for t in &self.ht[..self.table_count()] {
                if let Some(n) = t.bucket(h).as_deref() {
                    prefetch_read(n as *const Node<V, M> as *const u8);
                }
            }
        }
    }

    /// The hash this dict files `key` under (for the `_hashed` methods).
    #[inline]
    pub fn hash(key: &[u8]) -> u64 {
        hash_key(key)
    }

    /// The metadata word of `key`.
    #[inline]
    pub fn get_meta(&self, key: &[u8]) -> Option<M> {
        self.find(key).map(|n| n.meta)
    }

    /// Inserts or replaces like `insert`, and sets the entry's metadata word.
    pub fn insert_meta(&mut self, key: Sds, value: V, meta: M) -> Option<V> {
        self.rehash_step();
        self.expand_if_needed();
        let h = hash_key(&key);
        match self.locate(h, &key) {
            Some(pos) => {
                let n = self.node_at_mut(pos);
                n.meta = meta;
                Some(mem::replace(&mut n.value, value))
            }
            None => {
                self.add_new(h, key, value, meta);
                None
            }
        }
    }

    /// Inserts an entry whose key the caller knows is absent (it just looked it up), with
    /// its metadata word and its hash (`Dict::hash`): no second search of the chain.
    pub fn insert_new_meta_hashed(&mut self, key: Sds, value: V, meta: M, h: u64) {
        self.rehash_step();
        self.expand_if_needed();
        debug_assert_eq!(h, hash_key(&key));
        debug_assert!(
            self.locate(h, &key).is_none(),
            "insert_new_meta_hashed of a present key"
        );
        self.add_new(h, key, value, meta);
    }

    /// The stored key object and value for `key`.
    #[inline]
    pub fn get_entry(&self, key: &[u8]) -> Option<(&Sds, &V)> {
        self.find(key).map(|n| (&n.key, &n.value))
    }

    /// True when `key` is present.
    #[inline]
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Inserts or replaces; returns the old value. An existing key object is kept.
    /// Performs one incremental rehash step and may start a resize.
    pub fn insert(&mut self, key: Sds, value: V) -> Option<V> {
        self.rehash_step();
        self.expand_if_needed();
        let h = hash_key(&key);
        match self.locate(h, &key) {
            Some(pos) => Some(mem::replace(&mut self.node_at_mut(pos).value, value)),
            None => {
                self.add_new(h, key, value, M::default());
                None
            }
        }
    }

    /// Returns the value for `key`, inserting `f()` (and copying the key) when absent.
    /// The flag says whether it was inserted. Performs one incremental rehash step.
    pub fn get_or_insert_with(&mut self, key: &[u8], f: impl FnOnce() -> V) -> (&mut V, bool) {
        self.rehash_step();
        self.expand_if_needed();
        let h = hash_key(key);
        match self.locate(h, key) {
            Some(pos) => (&mut self.node_at_mut(pos).value, false),
            None => (self.add_new(h, Sds::from(key), f(), M::default()), true),
        }
    }

    /// Removes `key`, returning the stored key object and value. Performs one incremental
    /// rehash step. The table is not shrunk here; see `shrink_if_needed`.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Sds, V)> {
        self.rehash_step();
        if self.is_empty() {
            return None;
        }
        let h = hash_key(key);
        let tables = self.table_count();
        for t in &mut self.ht[..tables] {
            let mut link = t.bucket_mut(h);
            while link.as_ref().is_some_and(|n| !key_eq(&n.key, key)) {
                link = &mut link.as_mut().unwrap().next;
            }
            if let Some(mut node) = link.take() {
                *link = node.next.take();
                t.used -= 1;
                let Node { key, value, .. } = *node;
                return Some((key, value));
            }
        }
        None
    }

    /// Removes every entry and frees all memory of the table.
    pub fn clear(&mut self) {
        self.ht = [Table::empty(), Table::empty()];
        self.rehash_idx = NOT_REHASHING;
    }

    /// Iterates over all entries in table order.
    pub fn iter(&self) -> Iter<'_, V, M> {
        let [t0, t1] = &self.ht;
        Iter {
            buckets: t0.buckets.iter().chain(t1.buckets.iter()),
            cur: None,
            remaining: self.len(),
        }
    }

    /// Iterates over all entries with mutable values in table order.
    pub fn iter_mut(&mut self) -> IterMut<'_, V, M> {
        let remaining = self.len();
        let [t0, t1] = &mut self.ht;
        IterMut {
            buckets: t0.buckets.iter_mut().chain(t1.buckets.iter_mut()),
            cur: None,
            remaining,
        }
    }

    /// One step of a Redis-style SCAN: calls `f` for the entries of one bucket (both tables
    /// while rehashing) and returns the next cursor; 0 when the iteration is complete.
    ///
    /// Start with cursor 0. Every entry present from the first call to the last is
    /// reported at least once, however the table is resized in between; entries may be
    /// reported more than once.
    pub fn scan<'a>(&'a self, cursor: u64, mut f: impl FnMut(&'a Sds, &'a V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        if !self.is_rehashing() {
            let t = &self.ht[0];
            let m = t.mask() as u64;
            visit_chain(t.bucket(v), &mut f);
            // Set the bits outside the mask so the increment carries straight through them,
            // then increment the reversed cursor.
            v |= !m;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, large) = if self.ht[0].size() <= self.ht[1].size() {
                (&self.ht[0], &self.ht[1])
            } else {
                (&self.ht[1], &self.ht[0])
            };
            let m0 = small.mask() as u64;
            let m1 = large.mask() as u64;
            visit_chain(small.bucket(v), &mut f);
            // Then every bucket of the larger table that expands this small-table bucket.
            loop {
                visit_chain(large.bucket(v), &mut f);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// A random entry, close to uniform (Redis `dictGetFairRandomKey`): samples a few
    /// entries from a random position and picks one of them, which corrects most of the
    /// bias towards entries in short chains.
    pub fn random_entry(&self) -> Option<(&Sds, &V)> {
        if self.is_empty() {
            return None;
        }
        let mut picked: [Option<(&Sds, &V)>; FAIR_SAMPLE] = [None; FAIR_SAMPLE];
        let mut n = 0;
        self.sample(FAIR_SAMPLE, |k, v| {
            picked[n] = Some((k, v));
            n += 1;
        });
        if n == 0 {
            return self.random_entry_by_bucket();
        }
        picked[random_below(n)]
    }

    /// Up to `count` entries from a random position (Redis dictGetSomeKeys): cheap sampling
    /// for active expiry and eviction. Calls `f` per sampled entry.
    ///
    /// Walks consecutive buckets from a random one (jumping elsewhere after a run of
    /// empty buckets), doing at most `10 * count` bucket visits, so it may report fewer
    /// than `count` entries, and after a jump it may report an entry twice.
    pub fn sample<'a>(&'a self, count: usize, mut f: impl FnMut(&'a Sds, &'a V)) {
        self.sample_meta(count, |k, v, _| f(k, v));
    }

    /// `sample`, also giving each sampled entry's metadata (eviction reads the keys'
    /// access words).
    pub fn sample_meta<'a>(&'a self, count: usize, mut f: impl FnMut(&'a Sds, &'a V, M)) {
        let count = count.min(self.len());
        if count == 0 {
            return;
        }
        let rehashing = self.is_rehashing();
        let tables = self.table_count();
        let mut max_mask = self.ht[0].mask();
        if rehashing && self.ht[1].mask() > max_mask {
            max_mask = self.ht[1].mask();
        }
        let mut i = random_below(max_mask + 1);
        let mut stored = 0;
        let mut empty_run = 0;
        let mut steps = count.saturating_mul(10);
        while stored < count && steps > 0 {
            steps -= 1;
            for j in 0..tables {
                if rehashing && j == 0 && i < self.rehash_idx {
                    // Buckets of the old table below the rehash index are empty. When the
                    // new table is smaller and `i` is past its end, nothing is left below
                    // the rehash index in either table, so jump there.
                    if i >= self.ht[1].size() {
                        i = self.rehash_idx;
                    } else {
                        continue;
                    }
                }
                let t = &self.ht[j];
                if i >= t.size() {
                    continue;
                }
                let mut cur = t.buckets[i].as_deref();
                if cur.is_none() {
                    empty_run += 1;
                    if empty_run >= 5 && empty_run > count {
                        i = random_below(max_mask + 1);
                        empty_run = 0;
                    }
                    continue;
                }
                empty_run = 0;
                while let Some(n) = cur {
                    f(&n.key, &n.value, n.meta);
                    stored += 1;
                    if stored == count {
                        return;
                    }
                    cur = n.next.as_deref();
                }
            }
            i = (i + 1) & max_mask;
        }
    }

    /// Does up to `n` buckets of incremental rehashing; returns true while more is left.
    ///
    /// Like Redis's `dictRehash`, it also gives up after visiting `10 * n` empty buckets,
    /// so the work per call is bounded even in a sparse table.
    pub fn rehash_steps(&mut self, n: usize) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        let mut empty_visits = n.saturating_mul(10);
        let mut n = n;
        let [t0, t1] = &mut self.ht;
        while n > 0 && t0.used != 0 {
            n -= 1;
            // `used != 0` guarantees a non-empty bucket at or after `rehash_idx`.
            while t0.buckets[self.rehash_idx].is_none() {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return true;
                }
            }
            let mut chain = t0.buckets[self.rehash_idx].take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                let dst = t1.bucket_mut(hash_key(&node.key));
                node.next = dst.take();
                *dst = Some(node);
                t0.used -= 1;
                t1.used += 1;
            }
            self.rehash_idx += 1;
        }
        if t0.used == 0 {
            *t0 = mem::replace(t1, Table::empty());
            self.rehash_idx = NOT_REHASHING;
            return false;
        }
        true
    }

    /// Shrinks the table when it is under 10% full (called from the server cron).
    ///
    /// The new size is the smallest power of two holding every entry (at least 4); the
    /// entries move over incrementally like any other rehash. Does nothing while a
    /// rehash is already in progress.
    pub fn shrink_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.ht[0].size();
        let used = self.ht[0].used;
        if size > INITIAL_SIZE && used * 100 / size < MIN_FILL_PERCENT {
            self.resize_to(used.max(INITIAL_SIZE));
        }
    }

    /// Approximate bytes used by the table itself (buckets and nodes, not key/value heap).
    pub fn table_bytes(&self) -> usize {
        let buckets = self.ht[0].size() + self.ht[1].size();
        buckets * mem::size_of::<Link<V, M>>() + self.len() * mem::size_of::<Node<V, M>>()
    }

    // ---- internals ----

    #[inline(always)]
    fn is_rehashing(&self) -> bool {
        self.rehash_idx != NOT_REHASHING
    }

    /// How many of `ht` hold entries: 2 while rehashing, else 1.
    #[inline(always)]
    fn table_count(&self) -> usize {
        if self.is_rehashing() {
            2
        } else {
            1
        }
    }

    #[inline(always)]
    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash_steps(1);
        }
    }

    #[inline]
    fn find(&self, key: &[u8]) -> Option<&Node<V, M>> {
        if self.is_empty() {
            return None;
        }
        let h = hash_key(key);
        for t in &self.ht[..self.table_count()] {
            let mut cur = t.bucket(h).as_deref();
            while let Some(n) = cur {
                if key_eq(&n.key, key) {
                    return Some(n);
                }
                cur = n.next.as_deref();
            }
        }
        None
    }

    /// Where `key` is: (table, bucket, position in the chain).
    #[inline]
    fn locate(&self, h: u64, key: &[u8]) -> Option<(usize, usize, usize)> {
        if self.is_empty() {
            return None;
        }
        for (ti, t) in self.ht[..self.table_count()].iter().enumerate() {
            let b = h as usize & t.mask();
            let mut cur = t.buckets[b].as_deref();
            let mut depth = 0;
            while let Some(n) = cur {
                if key_eq(&n.key, key) {
                    return Some((ti, b, depth));
                }
                cur = n.next.as_deref();
                depth += 1;
            }
        }
        None
    }

    /// The node found by `locate` (no rehashing may happen in between).
    #[inline]
    fn node_at_mut(&mut self, (t, b, depth): (usize, usize, usize)) -> &mut Node<V, M> {
        let mut node = self.ht[t].buckets[b].as_deref_mut().unwrap();
        for _ in 0..depth {
            node = node.next.as_deref_mut().unwrap();
        }
        node
    }

    /// Links a new entry at the head of its bucket in the table receiving inserts.
    fn add_new(&mut self, h: u64, key: Sds, value: V, meta: M) -> &mut V {
        let t = &mut self.ht[if self.is_rehashing() { 1 } else { 0 }];
        t.used += 1;
        let link = t.bucket_mut(h);
        let next = link.take();
        &mut link
            .insert(Box::new(Node {
                next,
                key,
                value,
                meta,
            }))
            .value
    }

    /// Grows at load factor 1 (Redis `_dictExpandIfNeeded`).
    #[inline]
    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let t = &self.ht[0];
        if t.size() == 0 {
            self.resize_to(INITIAL_SIZE);
        } else if t.used >= t.size() {
            self.resize_to(t.used + 1);
        }
    }

    /// Starts moving to a table of the smallest power of two >= `size` (Redis `dictExpand`).
    fn resize_to(&mut self, size: usize) {
        if self.is_rehashing() || self.ht[0].used > size {
            return;
        }
        let new_size = size
            .max(INITIAL_SIZE)
            .checked_next_power_of_two()
            .expect("dict size overflow");
        if new_size == self.ht[0].size() {
            return;
        }
        let table = Table::with_size(new_size);
        if self.ht[0].size() == 0 {
            // First allocation: nothing to migrate.
            self.ht[0] = table;
        } else {
            self.ht[1] = table;
            self.rehash_idx = 0;
        }
    }

    /// Redis `dictGetRandomKey`: a random non-empty bucket, then a random chain element.
    fn random_entry_by_bucket(&self) -> Option<(&Sds, &V)> {
        if self.is_empty() {
            return None;
        }
        let head = if self.is_rehashing() {
            // Old-table buckets below the rehash index are empty: pick among the rest of
            // the old table followed by the whole new table.
            let s0 = self.ht[0].size();
            let span = s0 + self.ht[1].size() - self.rehash_idx;
            loop {
                let h = self.rehash_idx + random_below(span);
                let b = if h >= s0 {
                    &self.ht[1].buckets[h - s0]
                } else {
                    &self.ht[0].buckets[h]
                };
                if let Some(n) = b.as_deref() {
                    break n;
                }
            }
        } else {
            let t = &self.ht[0];
            loop {
                if let Some(n) = t.buckets[random_below(t.size())].as_deref() {
                    break n;
                }
            }
        };
        let mut len = 0;
        let mut cur = Some(head);
        while let Some(n) = cur {
            len += 1;
            cur = n.next.as_deref();
        }
        let mut n = head;
        for _ in 0..random_below(len) {
            n = n.next.as_deref().unwrap();
        }
        Some((&n.key, &n.value))
    }
}

fn visit_chain<'a, V, M>(mut link: &'a Link<V, M>, f: &mut impl FnMut(&'a Sds, &'a V)) {
    while let Some(n) = link {
        f(&n.key, &n.value);
        link = &n.next;
    }
}

type Buckets<'a, V, M> =
    std::iter::Chain<std::slice::Iter<'a, Link<V, M>>, std::slice::Iter<'a, Link<V, M>>>;
type BucketsMut<'a, V, M> =
    std::iter::Chain<std::slice::IterMut<'a, Link<V, M>>, std::slice::IterMut<'a, Link<V, M>>>;

/// Iterator over the entries of a `Dict`, from `Dict::iter`.
pub struct Iter<'a, V, M = ()> {
    buckets: Buckets<'a, V, M>,
    cur: Option<&'a Node<V, M>>,
    remaining: usize,
}

impl<'a, V, M> Iterator for Iter<'a, V, M> {
    type Item = (&'a Sds, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.cur {
                self.cur = n.next.as_deref();
                self.remaining -= 1;
                return Some((&n.key, &n.value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.cur = self.buckets.next()?.as_deref();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<V, M> ExactSizeIterator for Iter<'_, V, M> {}
impl<V, M> FusedIterator for Iter<'_, V, M> {}

/// Iterator over the entries of a `Dict` with mutable values, from `Dict::iter_mut`.
pub struct IterMut<'a, V, M = ()> {
    buckets: BucketsMut<'a, V, M>,
    cur: Option<&'a mut Node<V, M>>,
    remaining: usize,
}

impl<'a, V, M> Iterator for IterMut<'a, V, M> {
    type Item = (&'a Sds, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(n) = self.cur.take() {
                let Node {
                    next, key, value, ..
                } = n;
                self.cur = next.as_deref_mut();
                self.remaining -= 1;
                return Some((&*key, value));
            }
            if self.remaining == 0 {
                return None;
            }
            self.cur = self.buckets.next()?.as_deref_mut();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<V, M> ExactSizeIterator for IterMut<'_, V, M> {}
impl<V, M> FusedIterator for IterMut<'_, V, M> {}

impl<'a, V, M: Copy + Default> IntoIterator for &'a Dict<V, M> {
    type Item = (&'a Sds, &'a V);
    type IntoIter = Iter<'a, V, M>;
    fn into_iter(self) -> Iter<'a, V, M> {
        self.iter()
    }
}

impl<'a, V, M: Copy + Default> IntoIterator for &'a mut Dict<V, M> {
    type Item = (&'a Sds, &'a mut V);
    type IntoIter = IterMut<'a, V, M>;
    fn into_iter(self) -> IterMut<'a, V, M> {
        self.iter_mut()
    }
}

impl<V: std::fmt::Debug, M: Copy + Default> std::fmt::Debug for Dict<V, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::{HashMap, HashSet};
    use std::rc::Rc;

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i:012}").into_bytes()
    }

    fn sds(i: usize) -> Sds {
        Sds::from(key(i))
    }

    fn buckets(d: &Dict<impl Sized>) -> (usize, usize) {
        (d.ht[0].size(), d.ht[1].size())
    }

    /// Checks the structural invariants: counts, bucket placement, rehash index.
    fn check<V>(d: &Dict<V>) {
        for (ti, t) in d.ht.iter().enumerate() {
            let mut n = 0;
            for (b, link) in t.buckets.iter().enumerate() {
                let mut cur = link.as_deref();
                while let Some(node) = cur {
                    assert_eq!(hash_key(&node.key) as usize & t.mask(), b);
                    if ti == 0 && d.is_rehashing() {
                        assert!(b >= d.rehash_idx);
                    }
                    n += 1;
                    cur = node.next.as_deref();
                }
            }
            assert_eq!(n, t.used);
        }
        if !d.is_rehashing() {
            assert_eq!(d.ht[1].size(), 0);
        }
        assert_eq!(d.iter().count(), d.len());
    }

    #[test]
    fn basic_operations() {
        let mut d: Dict<u32> = Dict::new();
        assert!(d.is_empty());
        assert_eq!(d.get(b"a"), None);
        assert_eq!(d.remove(b"a"), None);
        assert_eq!(d.table_bytes(), 0);
        assert_eq!(d.insert(Sds::from(&b"a"[..]), 1), None);
        assert_eq!(d.insert(Sds::from(&b"b"[..]), 2), None);
        assert_eq!(d.insert(Sds::from(&b"a"[..]), 3), Some(1));
        assert_eq!(d.len(), 2);
        assert_eq!(d.get(b"a"), Some(&3));
        assert!(d.contains_key(b"b"));
        assert!(!d.contains_key(b"c"));
        *d.get_mut(b"b").unwrap() += 10;
        assert_eq!(
            d.get_entry(b"b").map(|(k, v)| (k.as_slice(), *v)),
            Some((&b"b"[..], 12))
        );
        let (v, inserted) = d.get_or_insert_with(b"c", || 7);
        assert!(inserted);
        *v += 1;
        let (v, inserted) = d.get_or_insert_with(b"c", || unreachable!());
        assert!(!inserted);
        assert_eq!(*v, 8);
        assert_eq!(
            d.remove(b"a").map(|(k, v)| (k.into_vec(), v)),
            Some((b"a".to_vec(), 3))
        );
        assert_eq!(d.remove(b"a"), None);
        assert_eq!(d.len(), 2);
        let mut all: Vec<_> = d.iter().map(|(k, v)| (k.to_vec(), *v)).collect();
        all.sort();
        assert_eq!(all, vec![(b"b".to_vec(), 12), (b"c".to_vec(), 8)]);
        for (_, v) in d.iter_mut() {
            *v *= 2;
        }
        assert_eq!(d.get(b"c"), Some(&16));
        assert_eq!(format!("{d:?}").len(), "{\"b\": 24, \"c\": 16}".len());
        d.clear();
        assert!(d.is_empty());
        assert_eq!(d.table_bytes(), 0);
        assert_eq!(d.get(b"b"), None);
        d.insert(Sds::from(&b"z"[..]), 1);
        assert_eq!(d.get(b"z"), Some(&1));
    }

    #[test]
    fn insert_keeps_existing_key_object() {
        let mut d: Dict<_> = Dict::new();
        let long = vec![b'k'; 40];
        let first = Sds::from(long.clone());
        let p = first.as_ptr();
        d.insert(first, 1);
        let second = Sds::from(long.clone());
        assert_ne!(second.as_ptr(), p);
        assert_eq!(d.insert(second, 2), Some(1));
        assert_eq!(d.get_entry(&long).unwrap().0.as_ptr(), p);
        assert_eq!(d.get(&long), Some(&2));
    }

    #[test]
    fn grows_at_load_factor_one() {
        let mut d: Dict<_> = Dict::new();
        d.insert(sds(0), 0);
        assert_eq!(buckets(&d), (4, 0));
        for i in 1..4 {
            d.insert(sds(i), i);
        }
        assert_eq!(buckets(&d), (4, 0));
        // The fifth insert sees used == size and starts a rehash to 8 buckets.
        d.insert(sds(4), 4);
        assert!(d.is_rehashing());
        assert_eq!(buckets(&d), (4, 8));
        assert_eq!(d.ht[1].used, 1); // new entries go to the new table
        check(&d);
        for i in 0..5 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        while d.rehash_steps(1) {}
        assert_eq!(buckets(&d), (8, 0));
        check(&d);
    }

    #[test]
    fn many_keys_with_rehash_in_progress() {
        let n = 100_000;
        let mut d: Dict<_> = Dict::new();
        let mut saw_rehash = 0;
        for i in 0..n {
            assert_eq!(d.insert(sds(i), i), None);
            if d.is_rehashing() {
                saw_rehash += 1;
            }
            if i % 9973 == 0 {
                check(&d);
            }
        }
        assert!(saw_rehash > 1000);
        assert_eq!(d.len(), n);
        for i in 0..n {
            assert_eq!(d.get(&key(i)), Some(&i), "key {i}");
        }
        assert_eq!(d.get(&key(n)), None);
        // Stop in the middle of a rehash and check every lookup path against both tables.
        let mut extra = n;
        while !d.is_rehashing() {
            d.insert(sds(extra), extra);
            extra += 1;
        }
        d.insert(sds(extra), extra);
        extra += 1;
        assert!(d.is_rehashing());
        check(&d);
        for i in 0..extra {
            assert!(d.contains_key(&key(i)));
            assert_eq!(d.get_entry(&key(i)).unwrap().0.as_slice(), &key(i)[..]);
        }
        assert_eq!(d.iter().count(), extra);
        // Mutations while rehashing.
        for i in (0..extra).step_by(2) {
            let (k, v) = d.remove(&key(i)).unwrap();
            assert_eq!((k.as_slice(), v), (&key(i)[..], i));
        }
        for i in (1..extra).step_by(2) {
            *d.get_mut(&key(i)).unwrap() += 1;
        }
        check(&d);
        for i in 0..extra {
            if i % 2 == 0 {
                assert_eq!(d.get(&key(i)), None);
            } else {
                assert_eq!(d.get(&key(i)), Some(&(i + 1)));
            }
        }
        assert_eq!(d.len(), extra / 2);
        for i in 0..extra {
            d.remove(&key(i));
        }
        assert!(d.is_empty());
        check(&d);
    }

    #[test]
    fn matches_hashmap_model() {
        // A mixed workload against std's HashMap, with cron-style rehash and shrink.
        let mut d: Dict<_> = Dict::new();
        let mut model = HashMap::new();
        let mut x = 12345u64;
        for round in 0..200_000usize {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = key((x % 5000) as usize);
            match x % 7 {
                0..=2 => assert_eq!(d.insert(Sds::from(&k[..]), round), model.insert(k, round)),
                3 | 4 => assert_eq!(d.remove(&k).map(|(_, v)| v), model.remove(&k)),
                5 => assert_eq!(d.get_mut(&k).copied(), model.get(&k).copied()),
                _ => {
                    let (v, ins) = d.get_or_insert_with(&k, || round);
                    assert_eq!(ins, !model.contains_key(&k));
                    assert_eq!(*v, *model.entry(k).or_insert(round));
                }
            }
            if round % 1000 == 0 {
                d.shrink_if_needed();
                d.rehash_steps(10);
            }
            if round % 20_000 == 0 {
                // Phase change: delete most keys so shrinking kicks in.
                let doomed: Vec<_> = model.keys().filter(|k| k[10] != b'0').cloned().collect();
                for k in doomed {
                    assert!(d.remove(&k).is_some());
                    model.remove(&k);
                }
                check(&d);
            }
        }
        assert_eq!(d.len(), model.len());
        for (k, v) in &model {
            assert_eq!(d.get(k), Some(v));
        }
        check(&d);
    }

    #[test]
    fn shrink_when_sparse() {
        let mut d: Dict<_> = Dict::new();
        for i in 0..10_000 {
            d.insert(sds(i), i);
        }
        while d.rehash_steps(100) {}
        assert_eq!(buckets(&d), (16384, 0));
        d.shrink_if_needed();
        assert!(!d.is_rehashing(), "no shrink above 10% fill");
        for i in 10..10_000 {
            d.remove(&key(i));
        }
        d.shrink_if_needed();
        assert!(d.is_rehashing());
        assert_eq!(buckets(&d), (16384, 16));
        check(&d);
        for i in 0..10 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        // Bounded work per step: 16384 mostly empty buckets take several calls.
        let mut calls = 0;
        while d.rehash_steps(1) {
            calls += 1;
        }
        assert!(calls > 10);
        assert_eq!(buckets(&d), (16, 0));
        check(&d);
        for i in 0..10 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        // The minimum size is 4.
        for i in 0..10 {
            d.remove(&key(i));
        }
        d.shrink_if_needed();
        while d.rehash_steps(1) {}
        assert_eq!(buckets(&d), (4, 0));
        d.shrink_if_needed();
        assert!(!d.is_rehashing());
    }

    /// Runs a full SCAN, calling `between` after every step, and returns every key seen.
    fn scan_all(
        d: &mut Dict<usize>,
        mut between: impl FnMut(&mut Dict<usize>, usize),
    ) -> HashSet<Vec<u8>> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            if cursor == 0 {
                return seen;
            }
            between(d, step);
            step += 1;
            assert!(step < 10_000_000, "scan does not terminate");
        }
    }

    #[test]
    fn scan_stable_table_sees_each_key_once() {
        let mut d: Dict<_> = Dict::new();
        for i in 0..5000 {
            d.insert(sds(i), i);
        }
        for rehash_first in [false, true] {
            // First pass: probably mid-rehash (4096 -> 8192 started at the 4097th insert).
            if rehash_first {
                while d.rehash_steps(100) {}
            }
            let mut count = 0;
            let mut seen = HashSet::new();
            let mut cursor = 0;
            loop {
                cursor = d.scan(cursor, |k, _| {
                    count += 1;
                    seen.insert(k.to_vec());
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen.len(), 5000);
            if !d.is_rehashing() {
                assert_eq!(count, 5000);
            }
        }
        assert_eq!(Dict::<u8>::new().scan(0, |_, _| panic!()), 0);
    }

    #[test]
    fn scan_complete_under_growth() {
        // Keys 0..1000 stay for the whole scan; thousands are added between calls, so the
        // table grows several times and is often mid-rehash when `scan` runs.
        let mut d: Dict<_> = Dict::new();
        for i in 0..1000 {
            d.insert(sds(i), i);
        }
        let mut next = 1_000_000;
        // (Growth must stop at some point: a table that grows in proportion to the
        // number of calls would never let the cursor finish.)
        let seen = scan_all(&mut d, |d, step| {
            if step < 150 {
                for _ in 0..300 {
                    d.insert(sds(next), next);
                    next += 1;
                }
            }
        });
        assert!(d.len() > 20_000, "table grew: {}", d.len());
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "missed key {i}");
        }
    }

    #[test]
    fn scan_complete_under_shrink() {
        // Start big, delete the extra keys in the middle of the scan and shrink, with
        // the shrink rehash in progress across scan calls.
        let mut d: Dict<_> = Dict::new();
        for i in 0..200 {
            d.insert(sds(i), i);
        }
        for i in 1_000_000..1_060_000 {
            d.insert(sds(i), i);
        }
        while d.rehash_steps(1000) {}
        let mut victims = (1_000_000..1_060_000).collect::<Vec<_>>().into_iter();
        let mut saw_rehash = false;
        let seen = scan_all(&mut d, |d, step| {
            for k in victims.by_ref().take(5000) {
                d.remove(&key(k));
            }
            d.shrink_if_needed();
            // Advance the shrink slowly so some scans see two tables.
            d.rehash_steps(if step % 3 == 0 { 1 } else { 0 });
            saw_rehash |= d.is_rehashing();
        });
        assert!(saw_rehash);
        for i in 0..200 {
            assert!(seen.contains(&key(i)), "missed key {i}");
        }
    }

    #[test]
    fn scan_complete_under_grow_and_shrink_cycles() {
        let mut d: Dict<_> = Dict::new();
        let stable = 100;
        for i in 0..stable {
            d.insert(sds(i), i);
        }
        for seed in 0..8usize {
            let mut next = 10_000_000 * (seed + 1);
            let mut added = Vec::new();
            let (mut grew, mut shrank) = (false, false);
            let seen = scan_all(&mut d, |d, step| {
                if step > 400 {
                    return;
                }
                let before = d.ht[0].size();
                if (step / 3 + seed) % 2 == 0 {
                    for _ in 0..300 + 100 * seed {
                        d.insert(sds(next), next);
                        added.push(next);
                        next += 1;
                    }
                } else {
                    for k in added.drain(..) {
                        d.remove(&key(k));
                    }
                    d.shrink_if_needed();
                }
                d.rehash_steps(seed % 3);
                grew |= d.ht[1].size() > before;
                shrank |= d.is_rehashing() && d.ht[1].size() < before;
            });
            assert!(grew && shrank, "seed {seed}: grew {grew} shrank {shrank}");
            for i in 0..stable {
                assert!(seen.contains(&key(i)), "seed {seed}: missed key {i}");
            }
            for k in added.drain(..) {
                d.remove(&key(k));
            }
            check(&d);
        }
    }

    #[test]
    fn random_entry_reaches_every_key() {
        let mut d: Dict<_> = Dict::new();
        assert!(d.random_entry().is_none());
        for i in 0..20 {
            d.insert(sds(i), i);
        }
        for rehashing in [true, false] {
            if rehashing {
                // 20 inserts leave a rehash from 16 to 32 buckets underway.
                assert!(d.is_rehashing());
            } else {
                while d.rehash_steps(10) {}
            }
            let mut hits = HashMap::new();
            for _ in 0..20_000 {
                let (k, v) = d.random_entry().unwrap();
                assert_eq!(d.get(k), Some(v));
                *hits.entry(*v).or_insert(0) += 1;
            }
            assert_eq!(hits.len(), 20);
            // Roughly uniform: every key well above a tenth of its fair share.
            assert!(hits.values().all(|&h| h > 100), "{hits:?}");
        }
        // The bucket-based fallback alone also reaches everything.
        let mut seen = HashSet::new();
        for _ in 0..5000 {
            seen.insert(*d.random_entry_by_bucket().unwrap().1);
        }
        assert_eq!(seen.len(), 20);
        // A single key.
        let mut one: Dict<_> = Dict::new();
        one.insert(sds(7), 7);
        assert_eq!(one.random_entry().map(|(_, v)| *v), Some(7));
    }

    #[test]
    fn random_entry_on_sparse_table() {
        let mut d: Dict<_> = Dict::new();
        for i in 0..5000 {
            d.insert(sds(i), i);
        }
        for i in 3..5000 {
            d.remove(&key(i));
        }
        let mut seen = HashSet::new();
        for _ in 0..3000 {
            seen.insert(*d.random_entry().unwrap().1);
        }
        assert_eq!(seen.len(), 3);
    }

    #[test]
    fn sample_returns_existing_entries() {
        let mut d: Dict<usize> = Dict::new();
        let mut n = 0;
        d.sample(5, |_, _| n += 1);
        assert_eq!(n, 0);
        for i in 0..1000 {
            d.insert(sds(i), i);
        }
        for state in 0..3 {
            match state {
                0 => assert!(d.is_rehashing() || d.len() == 1000),
                1 => while d.rehash_steps(100) {},
                _ => {
                    for i in 50..1000 {
                        d.remove(&key(i));
                    }
                    d.shrink_if_needed();
                    d.rehash_steps(3);
                    assert!(d.is_rehashing());
                }
            }
            let mut total = 0;
            for _ in 0..500 {
                let mut got = Vec::new();
                d.sample(20, |k, v| {
                    assert_eq!(k.as_slice(), &key(*v)[..]);
                    got.push(*v);
                });
                assert!(got.len() <= 20);
                for v in &got {
                    assert!(d.contains_key(&key(*v)));
                }
                total += got.len();
            }
            // A sparse table (state 2: 50 keys, ~2% fill) yields fewer per call.
            let expect = if state == 2 { 500 * 3 } else { 500 * 15 };
            assert!(total > expect, "state {state}: sampled {total}");
        }
        // Asking for more than there is returns at most everything.
        let mut small: Dict<_> = Dict::new();
        for i in 0..3 {
            small.insert(sds(i), i);
        }
        let mut got = Vec::new();
        small.sample(100, |_, v| got.push(*v));
        assert!(got.len() <= 3);
        // References outlive the callback.
        let mut refs: Vec<&Sds> = Vec::new();
        d.sample(3, |k, _| refs.push(k));
        assert!(refs.iter().all(|k| d.contains_key(k)));
    }

    #[test]
    fn iterators_cover_both_tables() {
        let mut d: Dict<_> = Dict::new();
        // The 2049th insert starts growing 2048 -> 4096 buckets; 50 steps later the
        // entries are spread over both tables.
        let n = 2100;
        for i in 0..n {
            d.insert(sds(i), i);
        }
        assert!(d.is_rehashing());
        let it = d.iter();
        assert_eq!(it.len(), n);
        let mut seen: Vec<usize> = it.map(|(_, v)| *v).collect();
        seen.sort();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
        for (k, v) in &mut d {
            assert_eq!(k.as_slice(), &key(*v)[..]);
            *v += 1;
        }
        assert_eq!(d.iter_mut().len(), n);
        for i in 0..n {
            assert_eq!(d.get(&key(i)), Some(&(i + 1)));
        }
        let mut total = 0;
        for (_, v) in &d {
            total += v;
        }
        assert_eq!(total, (1..=n).sum());
    }

    #[test]
    fn values_dropped_exactly_once() {
        struct Counted(Rc<Cell<usize>>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let drops = Rc::new(Cell::new(0));
        let mut d: Dict<_> = Dict::new();
        for i in 0..1000 {
            d.insert(sds(i), Counted(drops.clone()));
        }
        assert_eq!(drops.get(), 0);
        d.insert(sds(0), Counted(drops.clone())); // replaced value is returned...
        assert_eq!(drops.get(), 1); // ...and dropped here by the caller
        drop(d.remove(&key(1)));
        assert_eq!(drops.get(), 2);
        d.clear();
        assert_eq!(drops.get(), 1001);
        for i in 0..500 {
            d.insert(sds(i), Counted(drops.clone()));
        }
        drop(d);
        assert_eq!(drops.get(), 1501);
    }

    #[test]
    fn memory_is_reasonable() {
        let mut d: Dict<u64> = Dict::new();
        for i in 0..100_000 {
            d.insert(sds(i), i as u64);
        }
        while d.rehash_steps(1000) {}
        // Node: next (8) + key (24) + value (8); buckets: 131072 * 8 for 100k keys.
        assert_eq!(mem::size_of::<Node<u64, ()>>(), 40);
        assert_eq!(mem::size_of::<Node<Sds, ()>>(), 56);
        assert_eq!(mem::size_of::<Node<(), ()>>(), 32);
        // The access word of keyspace entries fills padding: still 64 bytes.
        assert_eq!(mem::size_of::<Node<crate::store::Value, u32>>(), 64);
        assert_eq!(mem::size_of::<Link<u64, ()>>(), 8);
        let per_key = d.table_bytes() / d.len();
        assert!(per_key <= 52, "{per_key} bytes per key");
        assert!(mem::size_of::<Dict<u64>>() <= 64);
        d.clear();
        assert_eq!(d.table_bytes(), 0);
        assert_eq!(buckets(&d), (0, 0));
    }

    #[test]
    fn dict_is_send() {
        fn send<T: Send>() {}
        send::<Dict<Sds>>();
    }

    /// Rough lookup/insert timings against std's HashMap (same hash family); run with
    /// `cargo test --release --lib store::dict::tests::bench -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn bench() {
        use std::hint::black_box;
        use std::time::{Duration, Instant};
        let ns = |d: Duration, ops: usize| d.as_nanos() as f64 / ops as f64;
        for n in [1_000usize, 10_000, 1_000_000] {
            let rounds = 2_000_000 / n;
            let keys: Vec<Vec<u8>> = (0..n)
                .map(|i| format!("key:{i:012}").into_bytes())
                .collect();
            let mut order: Vec<usize> = (0..n).collect();
            let mut x = 99u64;
            for i in (1..n).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                order.swap(i, (x % (i as u64 + 1)) as usize);
            }

            let t = Instant::now();
            let mut d: Dict<_> = Dict::new();
            for (i, k) in keys.iter().enumerate() {
                d.insert(Sds::from(&k[..]), i);
            }
            let dict_insert = t.elapsed();
            let t = Instant::now();
            let mut sum = 0;
            for _ in 0..rounds {
                for &i in &order {
                    sum += *d.get(black_box(&keys[i])).unwrap();
                }
            }
            let dict_get = t.elapsed();
            let t = Instant::now();
            for _ in 0..rounds {
                for &i in &order {
                    sum += d.get(black_box(&keys[i][..15])).is_some() as usize;
                }
            }
            let dict_miss = t.elapsed();
            black_box(sum);

            let t = Instant::now();
            let mut m: HashMap<Sds, usize, foldhash::quality::RandomState> = HashMap::default();
            for (i, k) in keys.iter().enumerate() {
                m.insert(Sds::from(&k[..]), i);
            }
            let map_insert = t.elapsed();
            let t = Instant::now();
            let mut sum = 0;
            for _ in 0..rounds {
                for &i in &order {
                    sum += *m.get(black_box(&keys[i][..])).unwrap();
                }
            }
            let map_get = t.elapsed();
            black_box(sum);

            let t = Instant::now();
            let mut c = 0;
            let mut cursor = 0;
            loop {
                cursor = d.scan(cursor, |_, _| c += 1);
                if cursor == 0 {
                    break;
                }
            }
            let scan = t.elapsed();
            let t = Instant::now();
            let mut s = 0;
            for _ in 0..100_000 {
                d.sample(20, |_, v| s += v);
            }
            let sample = t.elapsed();
            black_box(s);

            let ops = n * rounds;
            println!(
                "n={n}: dict insert {:.1} ns, get {:.1} ns, miss {:.1} ns | std insert {:.1} ns, get {:.1} ns | scan {:.1} ns/key, sample(20) {:.0} ns",
                ns(dict_insert, n),
                ns(dict_get, ops),
                ns(dict_miss, ops),
                ns(map_insert, n),
                ns(map_get, ops),
                ns(scan, c),
                ns(sample, 100_000)
            );
        }
    }
}
