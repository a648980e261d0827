//! The sorted set value type, in Redis's two encodings.
//!
//! A small sorted set ("listpack": at most zset-max-listpack-entries elements, none longer
//! than zset-max-listpack-value bytes) is one byte buffer of (member, score) entries kept
//! in order (`Compact`), where lookups are linear scans as in Redis's listpack. A larger one is a `SkipList` (spans
//! for O(log n) ranks, plus a member index). The switch happens on the insert that crosses
//! a threshold; like Redis, a set never goes back to the small form except when a command
//! builds a new result (ZUNIONSTORE, ZRANGESTORE...) that fits it.
//!
//! Both forms answer the same rank-based questions, so the commands are written once:
//! every range (by rank, score or lex) becomes a span of ranks found with `count_while`,
//! then read with `iter_ranks` or removed with `remove_range`.
//!
//! One Redis quirk is kept on purpose: the small form stores scores the way a listpack
//! does, where -0 reads back as 0, while the skiplist keeps -0.

mod listpack;
mod skiplist;

pub use listpack::Compact;
pub use skiplist::{before, SkipList, NIL};

use super::bytes::Sds;
use std::cell::Cell;

/// The encoding thresholds (zset-max-listpack-entries / -value).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    pub fn from_config(c: &crate::config::Config) -> Limits {
        Limits {
            entries: c.zset_max_listpack_entries,
            value: c.zset_max_listpack_value,
        }
    }

    /// Whether a set of `len` elements, none longer than `max_len`, fits the small form.
    pub fn fits(&self, len: usize, max_len: usize) -> bool {
        len <= self.entries && max_len <= self.value
    }
}

/// A sorted set value.
#[derive(Debug, Clone)]
pub enum ZSet {
    Listpack(Compact),
    Skiplist(Box<SkipList>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Compact::default())
    }
}

/// A score as the small form stores it: -0 becomes 0.
#[inline]
fn lp_score(s: f64) -> f64 {
    s + 0.0
}

impl ZSet {
    /// An empty set in the encoding Redis's zsetTypeCreate picks for the expected size and
    /// longest member.
    pub fn with_hint(size: usize, max_len: usize, lim: Limits) -> ZSet {
        if lim.fits(size, max_len) {
            ZSet::Listpack(Compact::default())
        } else {
            ZSet::Skiplist(Box::new(SkipList::with_capacity(size)))
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(c) => c.len(),
            ZSet::Skiplist(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    /// The score of `member`.
    #[inline]
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(c) => c.score(member),
            ZSet::Skiplist(s) => s.score(member),
        }
    }

    /// Inserts a member known to be absent, converting to the skiplist first when the set
    /// would outgrow the small form.
    pub fn insert(&mut self, member: &[u8], score: f64, lim: Limits) {
        if let ZSet::Listpack(c) = self {
            if !lim.fits(c.len() + 1, member.len()) {
                self.convert_to_skiplist();
            }
        }
        match self {
            ZSet::Listpack(c) => c.insert(member, lp_score(score)),
            ZSet::Skiplist(s) => s.insert(Sds::from(member), score),
        }
    }

    /// Changes the score of a present member.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        match self {
            ZSet::Listpack(c) => {
                if c.remove(member).is_some() {
                    c.insert(member, lp_score(score));
                }
            }
            ZSet::Skiplist(s) => s.set_score(member, score),
        }
    }

    /// Removes `member`; whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(c) => c.remove(member).is_some(),
            ZSet::Skiplist(s) => s.remove(member).is_some(),
        }
    }

    /// How many leading elements (in ascending order) satisfy `pred`, which must hold for
    /// a prefix of the order only.
    pub fn count_while(&self, pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        match self {
            // A linear walk, as Redis walks a listpack: the first element failing `pred`.
            ZSet::Listpack(c) => c.count_while(pred),
            ZSet::Skiplist(s) => s.count_while(pred),
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.count_while(|s, m| before(s, m, score, member)))
    }

    /// The element at 0-based ascending `rank`.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        match self {
            ZSet::Listpack(c) => c.get(rank),
            ZSet::Skiplist(s) => {
                let x = s.at(rank);
                (x != NIL).then(|| s.entry(x))
            }
        }
    }

    /// Up to `count` elements from ascending rank `from`, going up, or down when `rev`.
    pub fn iter_ranks(&self, from: usize, count: usize, rev: bool) -> ZIter<'_> {
        match self {
            ZSet::Listpack(c) => {
                if rev {
                    if from >= c.len() {
                        return ZIter::LpRev(c, Vec::new());
                    }
                    ZIter::LpRev(c, c.offsets_down(from, count))
                } else {
                    ZIter::Lp(c.iter_from(from), count)
                }
            }
            ZSet::Skiplist(s) => ZIter::Sl {
                sl: s,
                x: s.at(from),
                left: count,
                rev,
            },
        }
    }

    /// Every element in ascending order.
    pub fn iter(&self) -> ZIter<'_> {
        self.iter_ranks(0, self.len(), false)
    }

    /// Removes `count` elements from ascending rank `start` on, handing each to `f`.
    pub fn remove_range(&mut self, start: usize, count: usize, f: impl FnMut(Sds, f64)) {
        match self {
            ZSet::Listpack(c) => c.remove_range(start, count, f),
            ZSet::Skiplist(s) => s.remove_range(start, count, f),
        }
    }

    /// One ZSCAN step: the small form is returned whole (cursor 0).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match self {
            ZSet::Listpack(c) => {
                for (m, s) in c.iter() {
                    f(m, s);
                }
                0
            }
            ZSet::Skiplist(s) => s.scan(cursor, f),
        }
    }

    /// Moves to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSet::Listpack(c) = self {
            let mut s = SkipList::with_capacity(c.len() + 1);
            for (m, score) in c.drain() {
                s.push_back(m, score);
            }
            *self = ZSet::Skiplist(Box::new(s));
        }
    }

    /// Moves a skiplist back to the small form when it fits (Redis's
    /// zsetConvertToListpackIfNeeded, for newly built results).
    pub fn shrink_if_fits(&mut self, lim: Limits) {
        if let ZSet::Skiplist(s) = self {
            if s.len() > lim.entries {
                return;
            }
            let max_len = s.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            if max_len > lim.value {
                return;
            }
            let c = Compact::from_sorted(s.iter().map(|(m, sc)| (m, lp_score(sc))));
            *self = ZSet::Listpack(c);
        }
    }

    /// Builds a set from elements in ascending order, in the encoding their count and
    /// longest member call for (the result of a store command).
    pub fn from_sorted(items: Vec<(Sds, f64)>, lim: Limits) -> ZSet {
        let max_len = items.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if lim.fits(items.len(), max_len) {
            ZSet::Listpack(Compact::from_sorted(
                items.iter().map(|(m, s)| (m.as_slice(), lp_score(*s))),
            ))
        } else {
            let mut s = SkipList::with_capacity(items.len());
            for (m, sc) in items {
                s.push_back(m, sc);
            }
            ZSet::Skiplist(Box::new(s))
        }
    }

    /// Approximate bytes used (for MEMORY USAGE-style estimates).
    pub fn heap_bytes(&self) -> usize {
        match self {
            ZSet::Listpack(c) => c.heap_bytes(),
            ZSet::Skiplist(s) => s.heap_bytes(),
        }
    }
}

/// An iterator over (member, score) pairs of a range.
pub enum ZIter<'a> {
    /// Upward over the small form, with how many are left.
    Lp(listpack::Iter<'a>, usize),
    /// Downward over the small form: the entries' offsets, the next one last.
    LpRev(&'a Compact, Vec<u32>),
    Sl {
        sl: &'a SkipList,
        x: u32,
        left: usize,
        rev: bool,
    },
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            ZIter::Lp(it, left) => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                it.next()
            }
            ZIter::LpRev(c, offs) => offs.pop().map(|o| c.at_offset(o)),
            ZIter::Sl { sl, x, left, rev } => {
                if *left == 0 || *x == NIL {
                    return None;
                }
                let e = sl.entry(*x);
                *x = if *rev { sl.prev(*x) } else { sl.next(*x) };
                *left -= 1;
                Some(e)
            }
        }
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed_from_clock());
}

fn seed_from_clock() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    (t ^ 0x9e37_79b9_7f4a_7c15) | 1
}

/// A fast pseudo-random number (xorshift64*), for skiplist levels and ZRANDMEMBER.
pub fn rand_u64() -> u64 {
    RNG.with(|c| {
        let mut x = c.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// A non-zero seed for a new skiplist's level generator.
fn seed() -> u64 {
    rand_u64() | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: Limits = Limits {
        entries: 4,
        value: 8,
    };

    fn members(z: &ZSet) -> Vec<(String, f64)> {
        z.iter()
            .map(|(m, s)| (String::from_utf8_lossy(m).into_owned(), s))
            .collect()
    }

    #[test]
    fn both_encodings_agree() {
        let mut small = ZSet::default();
        let big = Limits {
            entries: 1000,
            value: 1000,
        };
        let mut large = ZSet::Skiplist(Box::default());
        for (i, m) in ["d", "a", "c", "b", "e", "f"].iter().enumerate() {
            let s = (i % 3) as f64;
            small.insert(m.as_bytes(), s, big);
            large.insert(m.as_bytes(), s, big);
        }
        assert_eq!(small.encoding(), "listpack");
        assert_eq!(members(&small), members(&large));
        for m in ["a", "b", "c", "d", "e", "f", "x"] {
            assert_eq!(small.rank(m.as_bytes()), large.rank(m.as_bytes()));
            assert_eq!(small.score(m.as_bytes()), large.score(m.as_bytes()));
        }
        let a: Vec<_> = small.iter_ranks(4, 3, true).map(|e| e.0.to_vec()).collect();
        let b: Vec<_> = large.iter_ranks(4, 3, true).map(|e| e.0.to_vec()).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
        small.set_score(b"a", 9.0);
        large.set_score(b"a", 9.0);
        assert_eq!(members(&small), members(&large));
        let mut x = Vec::new();
        let mut y = Vec::new();
        small.remove_range(1, 2, |m, _| x.push(m));
        large.remove_range(1, 2, |m, _| y.push(m));
        assert_eq!(x, y);
        assert_eq!(members(&small), members(&large));
    }

    #[test]
    fn converts_on_thresholds_and_keeps_the_zero_quirk() {
        let mut z = ZSet::default();
        z.insert(b"a", -0.0, LIM);
        assert!(z.score(b"a").unwrap().is_sign_positive());
        for m in ["b", "c", "d"] {
            z.insert(m.as_bytes(), 1.0, LIM);
        }
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"e", 1.0, LIM);
        assert_eq!(z.encoding(), "skiplist");
        z.set_score(b"e", -0.0);
        assert!(z.score(b"e").unwrap().is_sign_negative());
        let mut w = ZSet::default();
        w.insert(b"123456789", 1.0, LIM);
        assert_eq!(w.encoding(), "skiplist");
        w.remove(b"123456789");
        w.insert(b"x", 1.0, LIM);
        w.shrink_if_fits(LIM);
        assert_eq!(w.encoding(), "listpack");
    }
}
