//! The small form of a sorted set: every (member, score) in one byte buffer, in order.
//!
//! Like Redis's listpack, a small set is a single allocation scanned linearly: an entry is
//! the member's length (LEB128), the member's bytes, then the score: a tag byte, followed
//! by 1 to 8 bytes of integer when the score is a whole number below 2^53 in magnitude
//! (tag = byte count), or by the 8 bytes of the double (tag 0). The buffer is kept at its
//! exact size, so a set of ten short members costs about a hundred bytes instead of a
//! vector slot and a string header per member. Sets stay small (zset-max-listpack-entries,
//! 128 by default), so linear scans are cheap. The small form never holds -0 (see the
//! parent module), so a zero is stored as the integer 0.

use crate::store::bytes::Sds;

#[derive(Clone, Default)]
pub struct Compact {
    buf: Box<[u8]>,
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
    p += len;
    let tag = buf[p] as usize;
    p += 1;
    if tag == 0 {
        let mut sc = [0u8; 8];
        sc.copy_from_slice(&buf[p..p + 8]);
        (member, f64::from_le_bytes(sc), p + 8)
    } else {
        let mut v = [0u8; 8];
        v[..tag].copy_from_slice(&buf[p..p + tag]);
        // Sign-extend from `tag` bytes.
        let shift = 64 - 8 * tag as u32;
        let i = (i64::from_le_bytes(v) << shift) >> shift;
        (member, i as f64, p + tag)
    }
}

/// Encodes an entry into a stack buffer for the header and score; returns
/// (header bytes, header length, score bytes, score length).
fn encode_parts(member_len: usize, score: f64) -> ([u8; 10], usize, [u8; 9], usize) {
    let mut head = [0u8; 10];
    let mut hn = 0;
    let mut n = member_len;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            head[hn] = b;
            hn += 1;
            break;
        }
        head[hn] = b | 0x80;
        hn += 1;
    }
    let mut sc = [0u8; 9];
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if score.trunc() == score && score.abs() < EXACT {
        let i = score as i64;
        let mut t = 1;
        while t < 8 {
            let lim = 1i64 << (8 * t - 1);
            if (-lim..lim).contains(&i) {
                break;
            }
            t += 1;
        }
        sc[0] = t as u8;
        sc[1..=t].copy_from_slice(&i.to_le_bytes()[..t]);
        (head, hn, sc, t + 1)
    } else {
        sc[1..9].copy_from_slice(&score.to_le_bytes());
        (head, hn, sc, 9)
    }
}

fn encode(member: &[u8], score: f64, out: &mut Vec<u8>) {
    let (head, hn, sc, sn) = encode_parts(member.len(), score);
    out.extend_from_slice(&head[..hn]);
    out.extend_from_slice(member);
    out.extend_from_slice(&sc[..sn]);
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
        // Open a gap of the entry's size at `off` and write the entry into it.
        let (head, hn, sc, sn) = encode_parts(member.len(), score);
        let size = hn + member.len() + sn;
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        let old = buf.len();
        buf.reserve_exact(size);
        buf.resize(old + size, 0);
        buf.copy_within(off..old, off + size);
        let gap = &mut buf[off..off + size];
        gap[..hn].copy_from_slice(&head[..hn]);
        gap[hn..hn + member.len()].copy_from_slice(member);
        gap[hn + member.len()..].copy_from_slice(&sc[..sn]);
        self.buf = buf.into_boxed_slice();
        self.len += 1;
    }

    /// Removes `member`; its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (off, _, s) = self.find(member)?;
        let next = entry(&self.buf, off).2;
        self.cut(off, next);
        self.len -= 1;
        Some(s)
    }

    /// Removes the bytes `from..to`, keeping the buffer at its exact size.
    fn cut(&mut self, from: usize, to: usize) {
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.drain(from..to);
        self.buf = buf.into_boxed_slice();
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
        self.cut(from, off);
        self.len -= n as u32;
    }

    /// Takes every entry out, in order.
    pub fn drain(&mut self) -> Vec<(Sds, f64)> {
        let v = self.iter().map(|(m, s)| (Sds::from(m), s)).collect();
        *self = Compact::default();
        v
    }

    /// Builds from entries already in order (scores as stored).
    pub fn from_sorted<'a>(items: impl Iterator<Item = (&'a [u8], f64)>) -> Compact {
        let mut buf = Vec::new();
        let mut len = 0;
        for (m, s) in items {
            encode(m, s, &mut buf);
            len += 1;
        }
        Compact {
            buf: buf.into_boxed_slice(),
            len,
        }
    }

    /// Bytes allocated.
    pub fn heap_bytes(&self) -> usize {
        self.buf.len()
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

    #[test]
    fn scores_round_trip_in_every_width() {
        let mut c = Compact::default();
        let scores = [
            0.0,
            1.0,
            -1.0,
            127.0,
            128.0,
            -128.0,
            -129.0,
            65535.0,
            1.7e9,
            -1.7e12,
            9_007_199_254_740_991.0,
            -9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            1e300,
            0.5,
            -2.25,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        for (i, s) in scores.iter().enumerate() {
            c.insert(format!("m{i}").as_bytes(), *s);
        }
        for (i, s) in scores.iter().enumerate() {
            assert_eq!(c.score(format!("m{i}").as_bytes()), Some(*s), "{s}");
        }
        let v: Vec<f64> = c.iter().map(|e| e.1).collect();
        let mut sorted = v.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(v, sorted);
    }
}
