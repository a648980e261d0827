//! The small form of a sorted set: every (member, score) in one byte buffer, in order.
//!
//! Like Redis's listpack, a small set is a single allocation scanned linearly: an entry is
//! the member's length (LEB128), the member's bytes, then the score as 8 bytes. The
//! buffer is kept at its exact size, so a set of ten short members costs a couple of
//! hundred bytes instead of a vector slot and a string header per member. Sets stay small
//! (zset-max-listpack-entries, 128 by default), so linear scans are cheap.

use crate::store::bytes::Sds;

#[derive(Clone, Default)]
pub struct Compact {
    buf: Vec<u8>,
    len: u32,
}

impl std::fmt::Debug for Compact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Decodes the entry at `off`: (member, score, offset of the next entry).
#[inline]
fn entry(buf: &[u8], off: usize) -> (&[u8], f64, usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut p = off;
    loop {
        let b = buf[p];
        p += 1;
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let member = &buf[p..p + len];
    let mut sc = [0u8; 8];
    sc.copy_from_slice(&buf[p + len..p + len + 8]);
    (member, f64::from_le_bytes(sc), p + len + 8)
}

fn encode(member: &[u8], score: f64, out: &mut Vec<u8>) {
    let mut n = member.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(member);
    out.extend_from_slice(&score.to_le_bytes());
}

impl Compact {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            off: 0,
        }
    }

    /// (offset, rank, score) of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        let mut off = 0;
        let mut rank = 0;
        while off < self.buf.len() {
            let (m, s, next) = entry(&self.buf, off);
            if m == member {
                return Some((off, rank, s));
            }
            off = next;
            rank += 1;
        }
        None
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.find(member).map(|(_, _, s)| s)
    }

    /// The byte offset of the entry at `rank` (the buffer's end past the last one).
    fn offset_of(&self, rank: usize) -> usize {
        let mut off = 0;
        for _ in 0..rank {
            if off >= self.buf.len() {
                break;
            }
            off = entry(&self.buf, off).2;
        }
        off
    }

    /// Inserts a member known to be absent at its place; `score` as stored.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let mut off = 0;
        while off < self.buf.len() {
            let (m, s, next) = entry(&self.buf, off);
            if !super::before(s, m, score, member) {
                break;
            }
            off = next;
        }
        let mut e = Vec::with_capacity(member.len() + 10);
        encode(member, score, &mut e);
        self.buf.reserve_exact(e.len());
        self.buf.splice(off..off, e);
        self.len += 1;
    }

    /// Removes `member`; its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (off, _, s) = self.find(member)?;
        let next = entry(&self.buf, off).2;
        self.buf.drain(off..next);
        self.len -= 1;
        self.trim();
        Some(s)
    }

    /// Gives memory back once the buffer has shrunk well below its allocation.
    fn trim(&mut self) {
        if self.buf.capacity() > 64 && self.buf.capacity() >= self.buf.len() * 2 {
            self.buf.shrink_to_fit();
        }
    }

    /// How many entries from the start satisfy `pred`, up to the first that does not.
    pub fn count_while(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> usize {
        self.iter().take_while(|&(m, s)| pred(s, m)).count()
    }

    /// The rank of the last entry satisfying `pred` (a walk from the tail would find it
    /// first).
    pub fn rposition(&self, mut pred: impl FnMut(f64, &[u8]) -> bool) -> Option<usize> {
        let mut found = None;
        for (i, (m, s)) in self.iter().enumerate() {
            if pred(s, m) {
                found = Some(i);
            }
        }
        found
    }

    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        if rank >= self.len() {
            return None;
        }
        let (m, s, _) = entry(&self.buf, self.offset_of(rank));
        Some((m, s))
    }

    /// Iterates from rank `from` up (at most `count`).
    pub fn iter_from(&self, from: usize) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            off: self.offset_of(from),
        }
    }

    /// The offsets of the `count` entries ending at rank `last` (inclusive), for walking
    /// down.
    pub fn offsets_down(&self, last: usize, count: usize) -> Vec<u32> {
        if self.is_empty() || count == 0 {
            return Vec::new();
        }
        let last = last.min(self.len() - 1);
        let first = (last + 1).saturating_sub(count);
        let mut off = self.offset_of(first);
        let mut v = Vec::with_capacity(last + 1 - first);
        for _ in first..=last {
            v.push(off as u32);
            off = entry(&self.buf, off).2;
        }
        v
    }

    /// The entry at a byte offset from `offsets_down`.
    pub fn at_offset(&self, off: u32) -> (&[u8], f64) {
        let (m, s, _) = entry(&self.buf, off as usize);
        (m, s)
    }

    /// Removes `count` entries from rank `start` on, handing each to `f`.
    pub fn remove_range(&mut self, start: usize, count: usize, mut f: impl FnMut(Sds, f64)) {
        let from = self.offset_of(start);
        let mut off = from;
        let mut n = 0;
        while n < count && off < self.buf.len() {
            let (m, s, next) = entry(&self.buf, off);
            f(Sds::from(m), s);
            off = next;
            n += 1;
        }
        self.buf.drain(from..off);
        self.len -= n as u32;
        self.trim();
    }

    /// Takes every entry out, in order.
    pub fn drain(&mut self) -> Vec<(Sds, f64)> {
        let v = self.iter().map(|(m, s)| (Sds::from(m), s)).collect();
        *self = Compact::default();
        v
    }

    /// Builds from entries already in order (scores as stored).
    pub fn from_sorted<'a>(items: impl Iterator<Item = (&'a [u8], f64)>) -> Compact {
        let mut c = Compact::default();
        for (m, s) in items {
            encode(m, s, &mut c.buf);
            c.len += 1;
        }
        c.buf.shrink_to_fit();
        c
    }

    /// Bytes allocated.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }
}

/// Forward iterator over a compact set.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    off: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.off >= self.buf.len() {
            return None;
        }
        let (m, s, next) = entry(self.buf, self.off);
        self.off = next;
        Some((m, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove_in_order() {
        let mut c = Compact::default();
        let long = vec![b'x'; 300];
        c.insert(b"b", 2.0);
        c.insert(b"a", 2.0);
        c.insert(&long, -1.0);
        c.insert(b"", 5.5);
        let v: Vec<_> = c.iter().map(|(m, s)| (m.len(), s)).collect();
        assert_eq!(v, [(300, -1.0), (1, 2.0), (1, 2.0), (0, 5.5)]);
        assert_eq!(c.get(1), Some((&b"a"[..], 2.0)));
        assert_eq!(c.score(&long), Some(-1.0));
        assert_eq!(c.remove(b"a"), Some(2.0));
        assert_eq!(c.remove(b"a"), None);
        assert_eq!(c.len(), 3);
        let offs = c.offsets_down(2, 2);
        assert_eq!(c.at_offset(offs[0]).0, b"b");
        let mut got = Vec::new();
        c.remove_range(0, 2, |m, _| got.push(m.len()));
        assert_eq!(got, [300, 1]);
        assert_eq!(c.len(), 1);
        assert_eq!(c.drain().len(), 1);
        assert!(c.is_empty());
    }
}
