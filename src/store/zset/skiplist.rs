//! The large form of a sorted set: a skiplist with spans plus a member index.
//!
//! Nodes live in one arena (`Vec<Node>`) and link to each other by 32-bit index, so a node
//! costs one slot of the arena rather than an allocation, and the links are half the size
//! of pointers. Level 0 (the forward link every node has, with its span) is stored in the
//! node itself; the higher levels of the roughly one node in four that has them live in a
//! second arena, in a block of `height - 1` consecutive entries. Freed nodes and freed
//! level blocks (one free list per height) are reused, and the arenas are compacted when
//! most of their slots are free.
//!
//! Ordering is Redis's: by score, then by member bytes. Every level carries the span
//! (how many level-0 steps it jumps), which makes rank queries and access by rank
//! O(log n) exactly as in Redis's zskiplist.
//!
//! The member index is an open-addressing hash table of node indexes (linear probing,
//! backward-shift deletion) keyed by the member bytes stored in the node, so each member
//! is stored once. SCAN walks it by home bucket with Redis's reverse-binary cursor, which
//! keeps SCAN's guarantee (an element present for the whole iteration is returned at
//! least once) across growth and shrinking.

use crate::store::bytes::Sds;
use std::hash::BuildHasher;

/// Highest node height, as Redis's ZSKIPLIST_MAXLEVEL.
pub const MAX_LEVEL: usize = 32;
/// "No node".
pub const NIL: u32 = u32::MAX;
/// The header, which is not in the arena.
const HEAD: u32 = u32::MAX - 1;
/// `Node::upper` of a node of height 1.
const NO_UPPER: u32 = u32::MAX;
/// Bits of `Node::upper` holding the block index; the bits above hold `height - 2`.
const UPPER_SHIFT: u32 = 27;
const UPPER_MASK: u32 = (1 << UPPER_SHIFT) - 1;

#[derive(Clone, Copy, Default, Debug)]
struct Level {
    fwd: u32,
    span: u32,
}

const EMPTY_LEVEL: Level = Level { fwd: NIL, span: 0 };

/// A link above level 0 (and the header's links). Besides the target and the span it
/// caches the target's score and the index of the target's level block, so a search
/// walks the upper levels reading only level blocks, one cache miss per step, and looks
/// at a node itself only on a score tie or when it drops to level 0.
#[derive(Clone, Copy, Debug)]
struct Up {
    fwd: u32,
    span: u32,
    blk: u32,
    score: f64,
}

const EMPTY_UP: Up = Up {
    fwd: NIL,
    span: 0,
    blk: 0,
    score: 0.0,
};

struct Node {
    member: Sds,
    score: f64,
    /// The previous node at level 0 (NIL for the first).
    back: u32,
    l0: Level,
    /// NO_UPPER, or `(height - 2) << UPPER_SHIFT | block index`.
    upper: u32,
}

/// Whether (s1, m1) sorts before (s2, m2).
#[inline]
pub fn before(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> bool {
    s1 < s2 || (s1 == s2 && m1 < m2)
}

pub struct SkipList {
    nodes: Vec<Node>,
    upper: Vec<Up>,
    free_node: u32,
    /// Free level blocks by `height - 2`, linked through their first entry's `fwd`.
    free_upper: [u32; MAX_LEVEL - 1],
    free_nodes: usize,
    head: [Up; MAX_LEVEL],
    level: usize,
    len: usize,
    tail: u32,
    index: Index,
    rng: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl Clone for SkipList {
    fn clone(&self) -> Self {
        let mut out = SkipList::with_capacity(self.len);
        let mut x = self.first();
        while x != NIL {
            let (m, s) = self.entry(x);
            out.push_back(Sds::from(m), s);
            x = self.next(x);
        }
        out
    }
}

impl std::fmt::Debug for SkipList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl SkipList {
    pub fn with_capacity(n: usize) -> SkipList {
        let mut s = SkipList {
            nodes: Vec::with_capacity(n),
            upper: Vec::new(),
            free_node: NIL,
            free_upper: [NIL; MAX_LEVEL - 1],
            free_nodes: 0,
            head: [EMPTY_UP; MAX_LEVEL],
            level: 1,
            len: 0,
            tail: NIL,
            index: Index::default(),
            rng: super::seed(),
        };
        s.index.reserve(n);
        s
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ---- node access -----------------------------------------------------------------

    #[inline]
    fn height(&self, x: u32) -> usize {
        let u = self.nodes[x as usize].upper;
        if u == NO_UPPER {
            1
        } else {
            (u >> UPPER_SHIFT) as usize + 2
        }
    }

    #[inline]
    fn lv(&self, x: u32, i: usize) -> Level {
        if x == HEAD {
            let u = self.head[i];
            Level {
                fwd: u.fwd,
                span: u.span,
            }
        } else {
            let n = &self.nodes[x as usize];
            if i == 0 {
                n.l0
            } else {
                let u = self.upper[(n.upper & UPPER_MASK) as usize + i - 1];
                Level {
                    fwd: u.fwd,
                    span: u.span,
                }
            }
        }
    }

    /// Level `i` of node `x` whose level block is `xblk`, without reading the node for
    /// i > 0 (the fast path of the walks). At level 0 `blk` and `score` are not set.
    #[inline]
    fn up_at(&self, x: u32, xblk: u32, i: usize) -> Up {
        if x == HEAD {
            self.head[i]
        } else if i == 0 {
            let l = self.nodes[x as usize].l0;
            Up {
                fwd: l.fwd,
                span: l.span,
                blk: 0,
                score: 0.0,
            }
        } else {
            self.upper[xblk as usize + i - 1]
        }
    }

    /// Sets level `i` of node `x`, refreshing the cached target score and block.
    #[inline]
    fn set_lv(&mut self, x: u32, i: usize, l: Level) {
        if x != HEAD && i == 0 {
            self.nodes[x as usize].l0 = l;
            return;
        }
        let (blk, score) = if l.fwd == NIL {
            (0, 0.0)
        } else {
            let f = &self.nodes[l.fwd as usize];
            (f.upper & UPPER_MASK, f.score)
        };
        let u = Up {
            fwd: l.fwd,
            span: l.span,
            blk,
            score,
        };
        if x == HEAD {
            self.head[i] = u;
        } else {
            let b = (self.nodes[x as usize].upper & UPPER_MASK) as usize;
            self.upper[b + i - 1] = u;
        }
    }

    /// Adds `d` to the span of level `i` of node `x`.
    #[inline]
    fn add_span(&mut self, x: u32, i: usize, d: i32) {
        let span = if x == HEAD {
            &mut self.head[i].span
        } else if i == 0 {
            &mut self.nodes[x as usize].l0.span
        } else {
            let b = (self.nodes[x as usize].upper & UPPER_MASK) as usize;
            &mut self.upper[b + i - 1].span
        };
        *span = span.wrapping_add_signed(d);
    }

    /// The member and score of node `x`.
    #[inline]
    pub fn entry(&self, x: u32) -> (&[u8], f64) {
        let n = &self.nodes[x as usize];
        (&n.member, n.score)
    }

    #[inline]
    pub fn first(&self) -> u32 {
        self.head[0].fwd
    }

    #[inline]
    pub fn last(&self) -> u32 {
        self.tail
    }

    #[inline]
    pub fn next(&self, x: u32) -> u32 {
        self.nodes[x as usize].l0.fwd
    }

    #[inline]
    pub fn prev(&self, x: u32) -> u32 {
        self.nodes[x as usize].back
    }

    /// Iterates in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut x = self.first();
        std::iter::from_fn(move || {
            if x == NIL {
                return None;
            }
            let e = self.entry(x);
            x = self.next(x);
            Some(e)
        })
    }

    // ---- allocation ------------------------------------------------------------------

    fn random_height(&mut self) -> usize {
        // Redis's zslRandomLevel: each further level with probability 1/4, that is one
        // per pair of zero bits at the bottom of a random word.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (1 + (self.rng.trailing_zeros() / 2) as usize).min(MAX_LEVEL)
    }

    fn alloc_node(&mut self, member: Sds, score: f64, height: usize) -> u32 {
        let mut upper = NO_UPPER;
        if height > 1 {
            let k = height - 2;
            let b = self.free_upper[k];
            if b != NIL {
                self.free_upper[k] = self.upper[b as usize].fwd;
                upper = b | ((k as u32) << UPPER_SHIFT);
            } else if self.upper.len() + height - 1 <= UPPER_MASK as usize {
                let b = self.upper.len() as u32;
                self.upper.extend(std::iter::repeat_n(EMPTY_UP, height - 1));
                upper = b | ((k as u32) << UPPER_SHIFT);
            }
            // Otherwise the level arena is full: the node gets height 1, which costs
            // speed, never correctness.
        }
        let node = Node {
            member,
            score,
            back: NIL,
            l0: EMPTY_LEVEL,
            upper,
        };
        if self.free_node != NIL {
            let x = self.free_node;
            self.free_node = self.nodes[x as usize].l0.fwd;
            self.free_nodes -= 1;
            self.nodes[x as usize] = node;
            x
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    /// Returns a node's slot (and its level block) to the free lists; gives its member back.
    fn free(&mut self, x: u32) -> (Sds, f64) {
        let n = &mut self.nodes[x as usize];
        let member = std::mem::take(&mut n.member);
        let score = n.score;
        let u = n.upper;
        n.upper = NO_UPPER;
        n.l0 = Level {
            fwd: self.free_node,
            span: 0,
        };
        n.back = NIL;
        self.free_node = x;
        self.free_nodes += 1;
        if u != NO_UPPER {
            let k = (u >> UPPER_SHIFT) as usize;
            let b = u & UPPER_MASK;
            self.upper[b as usize].fwd = self.free_upper[k];
            self.free_upper[k] = b;
        }
        (member, score)
    }

    // ---- linking ---------------------------------------------------------------------

    /// For each level, the last node before (score, member), and its rank.
    fn search(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        let mut xblk = 0;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let u = self.up_at(x, xblk, i);
                if u.fwd == NIL {
                    break;
                }
                let go = if i > 0 {
                    // The cached score decides unless it ties.
                    u.score < score
                        || (u.score == score && &*self.nodes[u.fwd as usize].member < member)
                } else {
                    let f = &self.nodes[u.fwd as usize];
                    before(f.score, &f.member, score, member)
                };
                if !go {
                    break;
                }
                rank[i] += u.span;
                x = u.fwd;
                xblk = u.blk;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Links an allocated node at its place (its score and member decide where).
    fn link(&mut self, x: u32) {
        let (mut update, mut rank) = {
            let n = &self.nodes[x as usize];
            self.search(n.score, &n.member)
        };
        let h = self.height(x);
        if h > self.level {
            for i in self.level..h {
                rank[i] = 0;
                update[i] = HEAD;
                self.head[i] = Up {
                    span: self.len as u32,
                    ..EMPTY_UP
                };
            }
            self.level = h;
        }
        for i in 0..h {
            let u = self.lv(update[i], i);
            let jumped = rank[0] - rank[i];
            self.set_lv(
                x,
                i,
                Level {
                    fwd: u.fwd,
                    span: u.span - jumped,
                },
            );
            self.set_lv(
                update[i],
                i,
                Level {
                    fwd: x,
                    span: jumped + 1,
                },
            );
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(h) {
            self.add_span(u, i, 1);
        }
        let back = if update[0] == HEAD { NIL } else { update[0] };
        self.nodes[x as usize].back = back;
        let f = self.nodes[x as usize].l0.fwd;
        if f != NIL {
            self.nodes[f as usize].back = x;
        } else {
            self.tail = x;
        }
        self.len += 1;
    }

    /// Takes node `x` out of the list; `update` holds, per level, the last node before it.
    fn unlink_with(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.lv(u, i);
            if ul.fwd == x {
                let xl = self.lv(x, i);
                self.set_lv(
                    u,
                    i,
                    Level {
                        fwd: xl.fwd,
                        span: ul.span + xl.span - 1,
                    },
                );
            } else {
                self.add_span(u, i, -1);
            }
        }
        let (f, b) = {
            let n = &self.nodes[x as usize];
            (n.l0.fwd, n.back)
        };
        if f != NIL {
            self.nodes[f as usize].back = b;
        } else {
            self.tail = b;
        }
        while self.level > 1 && self.head[self.level - 1].fwd == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    fn unlink(&mut self, x: u32) {
        let (update, _) = {
            let n = &self.nodes[x as usize];
            self.search(n.score, &n.member)
        };
        self.unlink_with(x, &update);
    }

    // ---- public operations -------------------------------------------------------------

    /// The score of `member`.
    #[inline]
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|x| self.nodes[x as usize].score)
    }

    /// The node holding `member`.
    #[inline]
    pub fn find(&self, member: &[u8]) -> Option<u32> {
        let h = self.index.hash(member);
        self.index
            .find(h, |x| &*self.nodes[x as usize].member == member)
    }

    /// Inserts a member known to be absent.
    pub fn insert(&mut self, member: Sds, score: f64) {
        let h = self.index.hash(&member);
        let height = self.random_height();
        let x = self.alloc_node(member, score, height);
        self.link(x);
        self.index.insert(h, x);
    }

    /// Appends a member that sorts after every present one (building from sorted input).
    pub fn push_back(&mut self, member: Sds, score: f64) {
        debug_assert!(
            self.tail == NIL || {
                let (m, s) = self.entry(self.tail);
                before(s, m, score, &member)
            }
        );
        let h = self.index.hash(&member);
        let height = self.random_height();
        let x = self.alloc_node(member, score, height);
        // The last node of each level is found walking down from the head; for appends
        // at the tail that is O(log n) and needs no comparisons.
        let h_x = self.height(x);
        if h_x > self.level {
            for i in self.level..h_x {
                self.head[i] = Up {
                    span: self.len as u32,
                    ..EMPTY_UP
                };
            }
            self.level = h_x;
        }
        let mut cur = HEAD;
        let mut rank = 0u32;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(cur, i);
                if l.fwd == NIL {
                    break;
                }
                rank += l.span;
                cur = l.fwd;
            }
            // `cur` is the last node at level i, at rank `rank`.
            if i < h_x {
                self.set_lv(x, i, EMPTY_LEVEL);
                self.set_lv(
                    cur,
                    i,
                    Level {
                        fwd: x,
                        span: self.len as u32 + 1 - rank,
                    },
                );
            } else {
                self.add_span(cur, i, 1);
            }
        }
        self.nodes[x as usize].back = self.tail;
        self.tail = x;
        self.len += 1;
        self.index.insert(h, x);
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let h = self.index.hash(member);
        let nodes = &self.nodes;
        let x = self
            .index
            .remove(h, |y| &*nodes[y as usize].member == member)?;
        self.unlink(x);
        let (_, score) = self.free(x);
        self.maybe_compact();
        Some(score)
    }

    /// Changes the score of a present member, moving its node only if its place changes.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        let Some(x) = self.find(member) else {
            return;
        };
        let (b, f) = {
            let n = &self.nodes[x as usize];
            (n.back, n.l0.fwd)
        };
        let stays = {
            let n = &self.nodes[x as usize];
            (b == NIL || {
                let p = &self.nodes[b as usize];
                before(p.score, &p.member, score, &n.member)
            }) && (f == NIL || {
                let q = &self.nodes[f as usize];
                before(score, &n.member, q.score, &q.member)
            })
        };
        // In place only when no upper link caches this node's score.
        if stays && self.height(x) == 1 {
            self.nodes[x as usize].score = score;
            return;
        }
        self.unlink(x);
        self.nodes[x as usize].score = score;
        self.link(x);
    }

    /// How many leading elements satisfy `pred` (which must hold for a prefix of the
    /// order and fail for the rest): the rank of the first element that fails it.
    pub fn count_while(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut xblk = 0;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let u = self.up_at(x, xblk, i);
                if u.fwd == NIL {
                    break;
                }
                let n = &self.nodes[u.fwd as usize];
                if !pred(n.score, &n.member) {
                    break;
                }
                rank += u.span as usize;
                x = u.fwd;
                xblk = u.blk;
            }
        }
        rank
    }

    /// The node at 0-based `rank`, or NIL.
    pub fn at(&self, rank: usize) -> u32 {
        if rank >= self.len {
            return NIL;
        }
        let target = rank + 1;
        let mut x = HEAD;
        let mut xblk = 0;
        let mut traversed = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let u = self.up_at(x, xblk, i);
                if u.fwd == NIL || traversed + u.span as usize > target {
                    break;
                }
                traversed += u.span as usize;
                x = u.fwd;
                xblk = u.blk;
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// Removes `count` elements from 0-based rank `start` on, handing each to `f`.
    pub fn remove_range(&mut self, start: usize, count: usize, mut f: impl FnMut(Sds, f64)) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        let mut xblk = 0;
        let mut traversed = 0usize;
        // From rank 0 (ZPOPMIN) the header precedes the range at every level: no walk.
        let levels = if start == 0 { 0 } else { self.level };
        for i in (0..levels).rev() {
            loop {
                let u = self.up_at(x, xblk, i);
                if u.fwd == NIL || traversed + u.span as usize > start {
                    break;
                }
                traversed += u.span as usize;
                x = u.fwd;
                xblk = u.blk;
            }
            update[i] = x;
        }
        let mut x = self.lv(update[0], 0).fwd;
        let mut left = count;
        while x != NIL && left > 0 {
            let next = self.nodes[x as usize].l0.fwd;
            self.unlink_with(x, &update);
            let h = self.index.hash(&self.nodes[x as usize].member);
            self.index.remove(h, |y| y == x);
            let (m, s) = self.free(x);
            f(m, s);
            x = next;
            left -= 1;
        }
        self.maybe_compact();
    }

    /// One SCAN step over the member index (see `Index::scan`).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        self.index.scan(cursor, |x| {
            let n = &self.nodes[x as usize];
            f(&n.member, n.score)
        })
    }

    /// Takes every element out, in order.
    pub fn drain_sorted(mut self) -> Vec<(Sds, f64)> {
        let mut out = Vec::with_capacity(self.len);
        let mut x = self.first();
        while x != NIL {
            let n = &mut self.nodes[x as usize];
            out.push((std::mem::take(&mut n.member), n.score));
            x = n.l0.fwd;
        }
        out
    }

    /// Rebuilds the arenas when three quarters of their slots are free.
    fn maybe_compact(&mut self) {
        let slots = self.nodes.len();
        if slots >= 1024 && self.free_nodes * 4 >= slots * 3 {
            let old = std::mem::take(self);
            let n = old.len;
            let mut fresh = SkipList::with_capacity(n);
            for (m, s) in old.drain_sorted() {
                fresh.push_back(m, s);
            }
            *self = fresh;
        } else {
            self.index.shrink_if_sparse();
        }
    }

    /// Approximate heap bytes (arenas and index; member heap not counted).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.upper.capacity() * std::mem::size_of::<Up>()
            + self.index.slots.capacity() * std::mem::size_of::<Slot>()
    }

    /// Checks every invariant (spans, back links, order, index); for tests.
    #[cfg(test)]
    pub fn check(&self) {
        let mut x = self.first();
        let mut prev = NIL;
        let mut n = 0;
        while x != NIL {
            assert_eq!(self.nodes[x as usize].back, prev);
            if prev != NIL {
                let (pm, ps) = self.entry(prev);
                let (m, s) = self.entry(x);
                assert!(before(ps, pm, s, m));
            }
            assert_eq!(self.find(self.entry(x).0), Some(x));
            prev = x;
            x = self.next(x);
            n += 1;
        }
        assert_eq!(self.tail, prev);
        assert_eq!(n, self.len);
        assert_eq!(self.index.len, self.len);
        // Spans: at every level, the span equals the rank difference.
        let mut rank_of = std::collections::HashMap::new();
        let mut x = self.first();
        let mut r = 1u32;
        while x != NIL {
            rank_of.insert(x, r);
            r += 1;
            x = self.next(x);
        }
        for i in 0..self.level {
            let mut x = HEAD;
            let mut rx = 0u32;
            loop {
                let l = self.lv(x, i);
                if l.fwd == NIL {
                    assert_eq!(l.span, self.len as u32 - rx, "tail span at level {i}");
                    break;
                }
                let rf = rank_of[&l.fwd];
                assert_eq!(l.span, rf - rx, "span at level {i}");
                if i > 0 {
                    let u = if x == HEAD {
                        self.head[i]
                    } else {
                        self.upper[(self.nodes[x as usize].upper & UPPER_MASK) as usize + i - 1]
                    };
                    let f = &self.nodes[l.fwd as usize];
                    assert_eq!(u.score.to_bits(), f.score.to_bits(), "cached score");
                    assert_eq!(u.blk, f.upper & UPPER_MASK, "cached block");
                }
                x = l.fwd;
                rx = rf;
            }
        }
    }
}

// ---- the member index ----------------------------------------------------------------

#[derive(Clone, Copy)]
struct Slot {
    node: u32,
    hash: u32,
}

const EMPTY_SLOT: Slot = Slot { node: NIL, hash: 0 };

/// Open addressing with linear probing over node indexes; the table size is a power of
/// two, at most three quarters full. Each table hashes with its own random seed, so
/// colliding members cannot be prepared in advance.
struct Index {
    slots: Vec<Slot>,
    len: usize,
    seed: u64,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            slots: Vec::new(),
            len: 0,
            seed: super::rand_u64(),
        }
    }
}

impl Index {
    #[inline]
    fn hash(&self, member: &[u8]) -> u32 {
        foldhash::quality::FixedState::with_seed(self.seed).hash_one(member) as u32
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn reserve(&mut self, n: usize) {
        if n > 0 && (n + 1) * 4 > self.slots.len() * 3 {
            let want = ((n + 1) * 4 / 3 + 1).next_power_of_two().max(8);
            // Nothing to re-place yet when reserving on creation.
            if self.len == 0 {
                self.slots = vec![EMPTY_SLOT; want];
            }
        }
    }

    #[inline]
    fn find(&self, h: u32, eq: impl Fn(u32) -> bool) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s.node == NIL {
                return None;
            }
            if s.hash == h && eq(s.node) {
                return Some(s.node);
            }
            i = (i + 1) & mask;
        }
    }

    fn insert(&mut self, h: u32, node: u32) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let size = (self.slots.len() * 2).max(8);
            self.resize(size);
        }
        self.place(Slot { node, hash: h });
        self.len += 1;
    }

    fn place(&mut self, s: Slot) {
        let mask = self.mask();
        let mut i = s.hash as usize & mask;
        while self.slots[i].node != NIL {
            i = (i + 1) & mask;
        }
        self.slots[i] = s;
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY_SLOT; size]);
        for s in old {
            if s.node != NIL {
                self.place(s);
            }
        }
    }

    /// Removes the entry whose node satisfies `eq`; returns that node.
    fn remove(&mut self, h: u32, eq: impl Fn(u32) -> bool) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s.node == NIL {
                return None;
            }
            if s.hash == h && eq(s.node) {
                break;
            }
            i = (i + 1) & mask;
        }
        let found = self.slots[i].node;
        // Backward-shift deletion: pull later entries of the run into the hole when their
        // home bucket allows it, so no tombstones are needed.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s.node == NIL {
                break;
            }
            let home = s.hash as usize & mask;
            // The entry at j may move to the hole unless its home lies cyclically in
            // (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.slots[hole] = s;
                hole = j;
            }
        }
        self.slots[hole] = EMPTY_SLOT;
        self.len -= 1;
        Some(found)
    }

    /// Halves the table while it is under a tenth full (as Redis shrinks its dicts).
    fn shrink_if_sparse(&mut self) {
        let size = self.slots.len();
        if size > 64 && self.len * 10 < size {
            let want = ((self.len + 1) * 4 / 3 + 1).next_power_of_two().max(64);
            if want < size {
                self.resize(want);
            }
        }
    }

    /// One SCAN step: calls `f` for every entry whose home bucket is the cursor's bucket,
    /// and returns the next cursor in Redis's reverse-binary order (0 when done).
    fn scan(&self, cursor: u64, mut f: impl FnMut(u32)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        let mask = self.mask() as u64;
        let bucket = (cursor & mask) as usize;
        let mut j = bucket;
        loop {
            let s = self.slots[j];
            if s.node == NIL {
                break;
            }
            if s.hash as usize & mask as usize == bucket {
                f(s.node);
            }
            j = (j + 1) & mask as usize;
            if j == bucket {
                break;
            }
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sds(s: &str) -> Sds {
        Sds::from(s.as_bytes())
    }

    #[test]
    fn insert_remove_rank_and_spans() {
        let mut z = SkipList::default();
        for i in 0..2000u32 {
            // Scores collide on purpose so member order matters.
            z.insert(sds(&format!("m{i}")), (i % 37) as f64);
        }
        z.check();
        let sorted: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        for (r, (m, s)) in sorted.iter().enumerate() {
            let at = z.at(r);
            assert_eq!(z.entry(at), (&m[..], *s));
            let rank = z.count_while(|ss, mm| before(ss, mm, *s, m));
            assert_eq!(rank, r);
        }
        for i in (0..2000u32).step_by(3) {
            assert_eq!(z.remove(format!("m{i}").as_bytes()), Some((i % 37) as f64));
        }
        assert_eq!(z.remove(b"m0"), None);
        z.check();
        for i in (1..2000u32).step_by(3) {
            z.set_score(format!("m{i}").as_bytes(), -(i as f64));
        }
        z.check();
        assert_eq!(z.score(b"m1"), Some(-1.0));
        assert_eq!(z.entry(z.first()).0, b"m1999");
    }

    #[test]
    fn remove_ranges_compact_and_reuse() {
        let mut z = SkipList::default();
        for i in 0..5000u32 {
            z.insert(sds(&format!("{i:05}")), i as f64);
        }
        let mut got = Vec::new();
        z.remove_range(10, 5, |m, s| got.push((m, s)));
        assert_eq!(got.len(), 5);
        assert_eq!(&*got[0].0, b"00010");
        z.check();
        z.remove_range(0, 4900, |_, _| {});
        z.check();
        assert_eq!(z.len(), 95);
        assert!(z.nodes.len() < 1000, "compacted");
        for i in 0..3000u32 {
            z.insert(sds(&format!("n{i}")), (i % 7) as f64);
        }
        z.check();
        z.remove_range(z.len() - 1, 10, |_, _| {});
        z.check();
    }

    #[test]
    fn push_back_builds_a_valid_list() {
        let mut z = SkipList::default();
        for i in 0..3000u32 {
            z.push_back(sds(&format!("{i:05}")), 1.0);
        }
        z.check();
        z.insert(sds("zzz"), 0.5);
        z.check();
        assert_eq!(z.clone().drain_sorted().len(), 3001);
    }

    #[test]
    fn random_operations_keep_every_invariant() {
        let mut z = SkipList::default();
        let mut model = std::collections::BTreeMap::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for step in 0..20_000 {
            let m = format!("k{}", rnd(400));
            let s = (rnd(50) as f64) - 25.0;
            match rnd(5) {
                0 | 1 => {
                    if z.score(m.as_bytes()).is_none() {
                        z.insert(sds(&m), s);
                        model.insert(m, s);
                    }
                }
                2 => {
                    if z.score(m.as_bytes()).is_some() {
                        z.set_score(m.as_bytes(), s);
                        model.insert(m, s);
                    }
                }
                3 => {
                    assert_eq!(z.remove(m.as_bytes()), model.remove(&m));
                }
                _ => {
                    if !z.is_empty() {
                        let start = rnd(z.len() as u64) as usize;
                        let n = rnd(4) as usize;
                        z.remove_range(start, n, |m, _| {
                            model.remove(&String::from_utf8_lossy(&m).into_owned());
                        });
                    }
                }
            }
            if step % 500 == 0 {
                z.check();
            }
        }
        z.check();
        assert_eq!(z.len(), model.len());
    }

    #[test]
    fn scan_returns_everything_across_growth() {
        let mut z = SkipList::default();
        for i in 0..500u32 {
            z.insert(sds(&format!("a{i}")), i as f64);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut steps = 0;
        loop {
            cursor = z.scan(cursor, |m, _| {
                seen.insert(m.to_vec());
            });
            steps += 1;
            if steps == 20 {
                for i in 0..2000u32 {
                    z.insert(sds(&format!("b{i}")), 0.0);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500u32 {
            assert!(seen.contains(format!("a{i}").as_bytes()));
        }
    }
}
