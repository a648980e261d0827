//! Active expiry: reclaiming expired keys nobody reads, as Redis's activeExpireCycle does.
//!
//! Each database's `expires` table is walked with a SCAN cursor that persists between
//! cycles, a few buckets at a time. A cycle keeps going in a database while more than 10%
//! of the keys it looked at had expired, and stops at its time budget, so the work is
//! adaptive: a keyspace full of stale keys gets cleaned fast, a healthy one costs almost
//! nothing, and no cycle ever walks the whole keyspace in one go.

use super::bytes::Sds;
use super::Store;
use std::time::{Duration, Instant};

/// Keys looked at per round in one database.
const KEYS_PER_ROUND: usize = 20;
/// Keep going in a database while more than this percentage of looked-at keys expired.
const ACCEPTABLE_STALE: usize = 10;

impl Store {
    /// Runs one cycle for at most `budget`. Returns how many keys it expired.
    pub fn active_expire_cycle(&mut self, budget: Duration) -> usize {
        if self.loading {
            return 0;
        }
        let start = Instant::now();
        let saved_cur = self.cur;
        let mut total = 0;
        let mut due: Vec<Sds> = Vec::new();
        let (mut sampled_all, mut expired_all) = (0usize, 0usize);
        'dbs: for db in 0..self.dbs.len() {
            loop {
                if self.dbs[db].expires.is_empty() {
                    break;
                }
                self.now = super::now_ms();
                let now = self.now;
                let (mut sampled, mut ttl_sum, mut ttl_n) = (0usize, 0i64, 0i64);
                due.clear();
                let d = &mut self.dbs[db];
                let mut cursor = d.expire_cursor;
                // Walk buckets until enough keys were looked at or the table was covered.
                let mut buckets = 0;
                loop {
                    cursor = d.expires.scan(cursor, |k, &when| {
                        sampled += 1;
                        if when < now {
                            due.push(k.clone());
                        } else {
                            ttl_sum += when - now;
                            ttl_n += 1;
                        }
                    });
                    buckets += 1;
                    if cursor == 0 || sampled >= KEYS_PER_ROUND || buckets >= KEYS_PER_ROUND * 20 {
                        break;
                    }
                }
                d.expire_cursor = cursor;
                if ttl_n > 0 {
                    let avg = ttl_sum / ttl_n;
                    // A running estimate, as Redis keeps it.
                    d.avg_ttl = if d.avg_ttl == 0 {
                        avg
                    } else {
                        (d.avg_ttl / 50) * 49 + (avg / 50)
                    };
                }
                let mut expired = 0;
                for k in due.drain(..) {
                    if self.expire_if_needed_in(db, &k) {
                        expired += 1;
                    }
                }
                total += expired;
                expired_all += expired;
                sampled_all += sampled;
                if start.elapsed() >= budget {
                    self.stats.expired_time_cap_reached += 1;
                    break 'dbs;
                }
                if sampled == 0 || expired * 100 <= sampled * ACCEPTABLE_STALE {
                    break;
                }
            }
        }
        if sampled_all > 0 {
            let perc = expired_all as f64 / sampled_all as f64;
            self.stats.expired_stale_perc = perc * 0.05 + self.stats.expired_stale_perc * 0.95;
        }
        self.cur = saved_cur;
        total
    }
}
