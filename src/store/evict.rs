//! Choosing and removing keys to evict under maxmemory, as Redis's evict.c does.
//!
//! The LRU, LFU and TTL policies keep an eviction pool: the best candidates seen so far,
//! ordered by a score (idle time, 255 minus the LFU counter, or how soon the key
//! expires). Each choice samples `maxmemory-samples` keys of every database into the pool
//! and takes the best entry that still exists; what is left stays for the next choice, so
//! the approximation improves over successive evictions. The random policies take a
//! random key, visiting the databases in turn. Volatile policies only look at keys with
//! an expire, and choose nothing when there are none. How much to evict and when is the
//! server's business (src/server/evict.rs); removing a key here has every side effect an
//! eviction has: the `evicted_keys` count, a DEL for the AOF, the `evicted` keyspace
//! event and the WATCH signal.

use super::bytes::Sds;
use super::{notify, Store};
use crate::config::MaxmemoryPolicy;

/// Candidates the pool keeps (Redis EVPOOL_SIZE).
pub const POOL_SIZE: usize = 16;
/// Rounds of sampling one choice may take before giving up (each round samples every
/// database; only a keyspace whose sampled keys vanish as ghosts needs more than one).
const MAX_ROUNDS: usize = 64;

#[derive(Debug, Clone)]
struct Candidate {
    score: u64,
    db: usize,
    key: Sds,
}

/// The eviction pool and the rotation of the random policies.
#[derive(Debug, Default)]
pub struct Evictor {
    /// Ascending by score: the last entry is the best to evict.
    pool: Vec<Candidate>,
    /// The policy whose scores the pool holds.
    policy: Option<MaxmemoryPolicy>,
    /// The database the random policies tried last.
    next_db: usize,
}

/// Whether the policy chooses among all keys (else among keys with an expire).
fn allkeys(p: MaxmemoryPolicy) -> bool {
    use MaxmemoryPolicy::*;
    matches!(p, AllkeysLru | AllkeysLfu | AllkeysRandom)
}

impl Evictor {
    /// Offers a sampled key with its score (higher = better to evict). A full pool only
    /// takes it in place of its lowest-scored entry, when it scores higher than that.
    fn offer(&mut self, score: u64, db: usize, key: &Sds) {
        let k = self.pool.partition_point(|c| c.score < score);
        let full = self.pool.len() >= POOL_SIZE;
        if k == 0 && full {
            return;
        }
        // A key sampled again is already in (checked only for keys that would enter).
        if self
            .pool
            .iter()
            .any(|c| c.db == db && c.key.as_slice() == key.as_slice())
        {
            return;
        }
        self.pool.insert(
            k,
            Candidate {
                score,
                db,
                key: key.clone(),
            },
        );
        if full {
            // Drop the weakest candidate.
            self.pool.remove(0);
        }
    }

    /// Number of candidates held (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.pool.len()
    }
}

impl Store {
    /// Samples `samples` keys of every database into the pool; returns how many keys the
    /// sampled tables hold in all (0: nothing to evict).
    fn populate_pool(&mut self, policy: MaxmemoryPolicy, samples: usize) -> usize {
        let now = self.now;
        let access = self.access;
        let mut total = 0;
        let ev = &mut self.evictor;
        for (i, d) in self.dbs.iter().enumerate() {
            match policy {
                MaxmemoryPolicy::AllkeysLru | MaxmemoryPolicy::AllkeysLfu => {
                    total += d.keys.len();
                    let lfu = policy == MaxmemoryPolicy::AllkeysLfu;
                    d.keys.sample_meta(samples, |k, _, meta| {
                        ev.offer(score_of(&access, lfu, meta, now), i, k);
                    });
                }
                MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::VolatileLfu => {
                    total += d.expires.len();
                    let lfu = policy == MaxmemoryPolicy::VolatileLfu;
                    d.expires.sample(samples, |k, _| {
                        if let Some(meta) = d.keys.get_meta(k) {
                            ev.offer(score_of(&access, lfu, meta, now), i, k);
                        }
                    });
                }
                MaxmemoryPolicy::VolatileTtl => {
                    total += d.expires.len();
                    d.expires.sample(samples, |k, &when| {
                        // The sooner it expires, the better to evict.
                        ev.offer(u64::MAX - when.max(0) as u64, i, k);
                    });
                }
                _ => {}
            }
        }
        total
    }

    /// The next key to evict under `policy` (database and key), or None when no key
    /// qualifies.
    pub fn evict_candidate(
        &mut self,
        policy: MaxmemoryPolicy,
        samples: usize,
    ) -> Option<(usize, Sds)> {
        if self.evictor.policy != Some(policy) {
            self.evictor.pool.clear();
            self.evictor.policy = Some(policy);
        }
        match policy {
            MaxmemoryPolicy::NoEviction => None,
            MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom => {
                let n = self.dbs.len();
                for _ in 0..n {
                    self.evictor.next_db = (self.evictor.next_db + 1) % n;
                    let i = self.evictor.next_db;
                    let d = &self.dbs[i];
                    let key = if allkeys(policy) {
                        d.keys.random_entry().map(|(k, _)| k.clone())
                    } else {
                        d.expires.random_entry().map(|(k, _)| k.clone())
                    };
                    if let Some(k) = key {
                        return Some((i, k));
                    }
                }
                None
            }
            _ => {
                for _ in 0..MAX_ROUNDS {
                    if self.populate_pool(policy, samples.max(1)) == 0 {
                        return None;
                    }
                    // From the best down: the first candidate still there is the pick;
                    // the others were deleted since they were sampled.
                    while let Some(c) = self.evictor.pool.pop() {
                        let Some(d) = self.dbs.get(c.db) else {
                            continue;
                        };
                        let present = if allkeys(policy) {
                            d.keys.contains_key(&c.key)
                        } else {
                            d.expires.contains_key(&c.key)
                        };
                        if present {
                            return Some((c.db, c.key));
                        }
                    }
                }
                None
            }
        }
    }

    /// Removes a key chosen for eviction; returns whether it existed. The value is
    /// freed before this returns, so a caller measuring memory around the call sees
    /// what the eviction gave back.
    pub fn evict_remove(&mut self, db: usize, key: &[u8]) -> bool {
        match self.dbs.get_mut(db) {
            Some(d) => d.remove(key).is_some(),
            None => false,
        }
    }

    /// The side effects of an eviction `evict_remove` did: counted in `evicted_keys`,
    /// a DEL fed to the AOF in the key's database, the `evicted` event, WATCH.
    pub fn note_evicted(&mut self, db: usize, key: &[u8]) {
        self.stats.evicted += 1;
        self.signal_modified_in(db, key);
        self.notify_in(db, notify::EVICTED, "evicted", key);
        self.also_propagate
            .push((db, vec![Sds::from(&b"DEL"[..]), Sds::from(key)]));
    }
}

/// The pool score of a key from its access word: LRU idle milliseconds, or for LFU 255
/// minus the decayed counter.
fn score_of(access: &super::AccessPolicy, lfu: bool, meta: u32, now: i64) -> u64 {
    if lfu {
        255 - access.lfu_counter(meta, now).min(255) as u64
    } else {
        access.idle_ms(meta, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AccessPolicy, Value};

    fn sds(s: &str) -> Sds {
        Sds::from(s.as_bytes())
    }

    fn store_with(n: usize, lfu: bool) -> Store {
        let mut st = Store::new(2);
        st.access = AccessPolicy {
            lfu,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
        };
        st.now = 1_000_000_000_000;
        for i in 0..n {
            st.set(format!("k{i}").as_bytes(), Value::Str(sds("v")), false);
        }
        st
    }

    #[test]
    fn pool_keeps_the_best_candidates_in_order() {
        let mut ev = Evictor::default();
        for i in 0..40u64 {
            // Scores in a scrambled order.
            let score = (i * 17) % 40;
            ev.offer(score, 0, &sds(&format!("s{score}")));
        }
        assert_eq!(ev.len(), POOL_SIZE);
        let scores: Vec<u64> = ev.pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, (24..40).collect::<Vec<_>>());
        // A weaker candidate than all of a full pool is refused; a duplicate too.
        ev.offer(3, 0, &sds("weak"));
        ev.offer(100, 0, &sds("s39"));
        assert_eq!(ev.pool.first().map(|c| c.score), Some(24));
        assert_eq!(ev.pool.last().map(|c| c.score), Some(39));
        // A stronger one pushes the weakest out.
        ev.offer(100, 1, &sds("strong"));
        assert_eq!(ev.pool.first().map(|c| c.score), Some(25));
        assert_eq!(
            ev.pool.last().map(|c| c.key.as_slice()),
            Some(&b"strong"[..])
        );
    }

    #[test]
    fn lru_picks_the_longest_idle() {
        let mut st = store_with(10, false);
        // k3 was last touched an hour before the others.
        st.now -= 3_600_000;
        st.lookup_read(b"k3");
        st.now += 3_600_000;
        for i in 0..10 {
            if i != 3 {
                st.lookup_read(format!("k{i}").as_bytes());
            }
        }
        let got = st.evict_candidate(MaxmemoryPolicy::AllkeysLru, 20);
        assert_eq!(got.map(|(d, k)| (d, k.to_vec())), Some((0, b"k3".to_vec())));
    }

    #[test]
    fn lfu_picks_the_least_used() {
        let mut st = store_with(8, true);
        st.access.lfu_log_factor = 0;
        for i in 0..8 {
            if i != 5 {
                for _ in 0..20 {
                    st.lookup_read(format!("k{i}").as_bytes());
                }
            }
        }
        let got = st.evict_candidate(MaxmemoryPolicy::AllkeysLfu, 20);
        assert_eq!(got.map(|(_, k)| k.to_vec()), Some(b"k5".to_vec()));
    }

    #[test]
    fn volatile_ttl_picks_the_nearest_expiry() {
        let mut st = store_with(10, false);
        let now = st.now;
        for (i, ttl) in [(1, 50_000), (4, 10_000), (7, 90_000)] {
            st.dbs[0].set_expire(format!("k{i}").as_bytes(), now + ttl);
        }
        let mut order = Vec::new();
        while let Some((db, k)) = st.evict_candidate(MaxmemoryPolicy::VolatileTtl, 20) {
            assert!(st.evict_remove(db, &k));
            order.push(String::from_utf8_lossy(&k).into_owned());
        }
        assert_eq!(order, ["k4", "k1", "k7"]);
    }

    #[test]
    fn volatile_policies_only_take_keys_with_an_expire() {
        use MaxmemoryPolicy::*;
        for policy in [VolatileLru, VolatileLfu, VolatileRandom, VolatileTtl] {
            let mut st = store_with(50, policy == VolatileLfu);
            assert!(st.evict_candidate(policy, 5).is_none(), "{policy:?}");
            let when = st.now + 1000;
            st.dbs[0].set_expire(b"k10", when);
            st.dbs[0].set_expire(b"k20", when);
            let mut got = Vec::new();
            while let Some((db, k)) = st.evict_candidate(policy, 5) {
                assert!(st.evict_remove(db, &k));
                got.push(k.to_vec());
            }
            got.sort();
            assert_eq!(got, [b"k10".to_vec(), b"k20".to_vec()], "{policy:?}");
            assert_eq!(st.dbs[0].len(), 48);
        }
    }

    #[test]
    fn allkeys_policies_empty_every_database() {
        use MaxmemoryPolicy::*;
        for policy in [AllkeysLru, AllkeysLfu, AllkeysRandom] {
            let mut st = store_with(30, policy == AllkeysLfu);
            st.cur = 1;
            st.set(b"other", Value::Str(sds("v")), false);
            st.cur = 0;
            let mut n = 0;
            while let Some((db, k)) = st.evict_candidate(policy, 5) {
                assert!(st.evict_remove(db, &k));
                st.note_evicted(db, &k);
                n += 1;
            }
            assert_eq!(n, 31, "{policy:?}");
            assert_eq!(st.stats.evicted, 31);
            assert_eq!(st.also_propagate.len(), 31);
            assert!(st.dbs.iter().all(|d| d.is_empty()));
        }
        assert!(store_with(3, false)
            .evict_candidate(NoEviction, 5)
            .is_none());
    }

    #[test]
    fn eviction_notifies_and_propagates() {
        let mut st = store_with(1, false);
        st.notify_flags = notify::KEYEVENT | notify::EVICTED;
        assert!(st.evict_remove(0, b"k0"));
        st.note_evicted(0, b"k0");
        assert_eq!(st.events.len(), 1);
        assert_eq!(st.events[0].event, "evicted");
        let (db, cmd) = &st.also_propagate[0];
        assert_eq!(*db, 0);
        assert_eq!(cmd[0].as_slice(), b"DEL");
        assert_eq!(cmd[1].as_slice(), b"k0");
        assert!(!st.evict_remove(0, b"k0"));
    }
}
