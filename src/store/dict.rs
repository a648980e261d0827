//! `Dict<V>`: the hash table behind the keyspace, hashes and sets (placeholder body).

use super::bytes::Sds;
use std::collections::HashMap;

pub struct Dict<V> {
    map: HashMap<Sds, V>,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Dict<V> {
    pub fn new() -> Self {
        Dict {
            map: HashMap::new(),
        }
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.map.get(key)
    }
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.map.get_mut(key)
    }
    pub fn get_entry(&self, key: &[u8]) -> Option<(&Sds, &V)> {
        self.map.get_key_value(key)
    }
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.map.contains_key(key)
    }
    /// Inserts or replaces; returns the old value. An existing key object is kept.
    pub fn insert(&mut self, key: Sds, value: V) -> Option<V> {
        self.map.insert(key, value)
    }
    /// Returns the value for `key`, inserting `f()` (and copying the key) when absent.
    /// The flag says whether it was inserted.
    pub fn get_or_insert_with(&mut self, key: &[u8], f: impl FnOnce() -> V) -> (&mut V, bool) {
        let inserted = !self.map.contains_key(key);
        if inserted {
            self.map.insert(Sds::from(key), f());
        }
        (self.map.get_mut(key).unwrap(), inserted)
    }
    pub fn remove(&mut self, key: &[u8]) -> Option<(Sds, V)> {
        self.map.remove_entry(key)
    }
    pub fn clear(&mut self) {
        self.map = HashMap::new();
    }
    pub fn iter(&self) -> impl Iterator<Item = (&Sds, &V)> {
        self.map.iter()
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Sds, &mut V)> {
        self.map.iter_mut()
    }
    /// One step of a Redis-style SCAN: calls `f` for the entries of one bucket (both tables
    /// while rehashing) and returns the next cursor; 0 when the iteration is complete.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&Sds, &V)) -> u64 {
        if cursor == 0 {
            for (k, v) in self.map.iter() {
                f(k, v)
            }
        }
        0
    }
    /// A random entry, close to uniform.
    pub fn random_entry(&self) -> Option<(&Sds, &V)> {
        self.map.iter().next()
    }
    /// Up to `count` entries from a random position (Redis dictGetSomeKeys): cheap sampling
    /// for active expiry and eviction. Calls `f` per sampled entry.
    pub fn sample(&self, count: usize, mut f: impl FnMut(&Sds, &V)) {
        for (k, v) in self.map.iter().take(count) {
            f(k, v)
        }
    }
    /// Does up to `n` buckets of incremental rehashing; returns true while more is left.
    pub fn rehash_steps(&mut self, _n: usize) -> bool {
        false
    }
    /// Shrinks the table when it is under 10% full (called from the server cron).
    pub fn shrink_if_needed(&mut self) {}
    /// Approximate bytes used by the table itself (buckets and nodes, not key/value heap).
    pub fn table_bytes(&self) -> usize {
        self.map.capacity() * (std::mem::size_of::<(Sds, V)>() + 1)
    }
}
