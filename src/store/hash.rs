//! The hash value type, with Redis 7.0's two representations.
//!
//! A small hash is a *pack* (Redis's "listpack"): one contiguous byte buffer holding the
//! field/value pairs back to back, each string preceded by its length as a LEB128 varint,
//! in insertion order. Lookups scan it linearly, which is what makes it compact and, for
//! a few dozen entries, fast. Once the hash holds more than `hash-max-listpack-entries`
//! fields, or a field or value longer than `hash-max-listpack-value` bytes is stored (or
//! the buffer would pass 1 GB), it is converted once to a `Dict<Sds>` (the "hashtable"
//! encoding) and never back, as in Redis. OBJECT ENCODING reports "listpack" or
//! "hashtable" accordingly.

use super::bytes::Sds;
use super::dict::Dict;
use std::cell::Cell;

/// The size a pack may not reach (Redis's listpack safety limit, `LISTPACK_MAX_SAFETY_SIZE`).
const PACK_MAX_BYTES: usize = 1 << 30;

/// The limits a compact hash must stay within (`hash-max-listpack-entries` and
/// `hash-max-listpack-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    /// The limits configured on the server.
    pub fn from_config(c: &crate::config::Config) -> Limits {
        Limits {
            entries: c.hash_max_listpack_entries,
            value: c.hash_max_listpack_value,
        }
    }
}

/// A hash value.
pub struct Hash {
    repr: Repr,
}

enum Repr {
    Pack(Pack),
    Table(Box<Dict<Sds>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

impl Hash {
    /// The table of a hash in table form (to prefetch from), or None in compact form.
    pub fn table(&self) -> Option<&Dict<Sds>> {
        match &self.repr {
            Repr::Table(t) => Some(t),
            Repr::Pack(_) => None,
        }
    }

    /// An empty hash in the compact encoding (allocates nothing).
    pub fn new() -> Hash {
        Hash {
            repr: Repr::Pack(Pack::default()),
        }
    }

    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.len,
            Repr::Table(d) => d.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Pack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Whether the hash is in the compact ("listpack") encoding.
    #[inline]
    pub fn is_compact(&self) -> bool {
        matches!(self.repr, Repr::Pack(_))
    }

    /// The value of `field`.
    #[inline]
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Pack(p) => p.find(field).map(|e| &p.buf[e.val..e.end]),
            Repr::Table(d) => d.get(field).map(|v| v.as_slice()),
        }
    }

    /// Whether `field` is present.
    #[inline]
    pub fn contains(&self, field: &[u8]) -> bool {
        match &self.repr {
            Repr::Pack(p) => p.find(field).is_some(),
            Repr::Table(d) => d.contains_key(field),
        }
    }

    /// Sets `field` to `value`; true when the field is new. Converts to the hashtable
    /// encoding first when either string is longer than `lim.value` (or the pack would
    /// grow past its safety size), and after inserting when the hash holds more than
    /// `lim.entries` fields.
    #[inline]
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: Limits) -> bool {
        if let Repr::Pack(p) = &self.repr {
            if field.len() > lim.value
                || value.len() > lim.value
                || p.buf.len() + field.len() + value.len() + 20 > PACK_MAX_BYTES
            {
                self.convert();
            }
        }
        match &mut self.repr {
            Repr::Pack(p) => {
                let created = p.set(field, value);
                if created && p.len > lim.entries {
                    self.convert();
                }
                created
            }
            Repr::Table(d) => {
                let (v, created) = d.get_or_insert_with(field, || Sds::from(value));
                if !created {
                    // Reuse a heap buffer that fits snugly; otherwise a fresh string
                    // (inline when short, and no large buffer kept for a small value).
                    let cap = v.heap_size();
                    if cap >= value.len() && cap - value.len() <= value.len() / 8 {
                        v.truncate(0);
                        v.push_slice(value);
                    } else {
                        *v = Sds::from(value);
                    }
                }
                created
            }
        }
    }

    /// Removes `field`; true if it was present. The encoding never changes back.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Pack(p) => p.remove(field),
            Repr::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Converts to the hashtable encoding (no-op when already there).
    pub fn convert(&mut self) {
        if let Repr::Pack(p) = &self.repr {
            let mut d = Dict::new();
            for (f, v) in p.iter() {
                d.insert(Sds::from(f), Sds::from(v));
            }
            self.repr = Repr::Table(Box::new(d));
        }
    }

    /// Every (field, value) pair: insertion order for the compact encoding, table order
    /// otherwise.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let (p, t) = match &self.repr {
            Repr::Pack(p) => (Some(p.iter()), None),
            Repr::Table(d) => (
                None,
                Some(d.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))),
            ),
        };
        p.into_iter().flatten().chain(t.into_iter().flatten())
    }

    /// A random (field, value) pair, close to uniform; None when empty.
    pub fn random_pair(&self) -> Option<(&[u8], &[u8])> {
        match &self.repr {
            Repr::Pack(p) => {
                if p.len == 0 {
                    return None;
                }
                p.iter().nth(random_below(p.len))
            }
            Repr::Table(d) => d.random_entry().map(|(k, v)| (k.as_slice(), v.as_slice())),
        }
    }

    /// One step of HSCAN: calls `f` for some pairs and returns the next cursor (0 when
    /// done). The compact encoding is reported whole in one step, with cursor 0, whatever
    /// the cursor given (as Redis does for listpacks).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.repr {
            Repr::Pack(p) => {
                for (k, v) in p.iter() {
                    f(k, v);
                }
                0
            }
            Repr::Table(d) => d.scan(cursor, |k, v| f(k, v)),
        }
    }

    /// Approximate heap bytes owned by the hash (for MEMORY USAGE and the like).
    pub fn heap_bytes(&self) -> usize {
        match &self.repr {
            Repr::Pack(p) => p.buf.capacity(),
            Repr::Table(d) => {
                std::mem::size_of::<Dict<Sds>>()
                    + d.table_bytes()
                    + d.iter()
                        .map(|(k, v)| k.heap_size() + v.heap_size())
                        .sum::<usize>()
            }
        }
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match &self.repr {
            Repr::Pack(p) => Hash {
                repr: Repr::Pack(p.clone()),
            },
            Repr::Table(d) => {
                let mut n = Dict::new();
                for (k, v) in d.iter() {
                    n.insert(k.clone(), v.clone());
                }
                Hash {
                    repr: Repr::Table(Box::new(n)),
                }
            }
        }
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({}) ", self.encoding())?;
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

/// The compact encoding: `[len field][len value]...` with LEB128 lengths.
#[derive(Clone, Default)]
struct Pack {
    buf: Vec<u8>,
    len: usize,
}

/// Where one entry of a pack lies: its start, the start of the value's length, the value
/// bytes, and the end of the entry.
struct Entry {
    start: usize,
    val_hdr: usize,
    val: usize,
    end: usize,
}

/// Bytes the varint encoding of `n` takes.
#[inline]
fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

#[inline]
fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Writes the varint of `n` at the start of `out` (which is exactly `varint_len(n)` long).
#[inline]
fn write_varint(out: &mut [u8], mut n: usize) {
    for b in out.iter_mut() {
        *b = if n >= 0x80 { (n as u8) | 0x80 } else { n as u8 };
        n >>= 7;
    }
}

/// Reads a varint at `pos`; returns (value, position after it).
#[inline]
fn get_varint(buf: &[u8], mut pos: usize) -> (usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    while let Some(&b) = buf.get(pos) {
        pos += 1;
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    (n, pos)
}

impl Pack {
    /// Locates `field`.
    #[inline]
    fn find(&self, field: &[u8]) -> Option<Entry> {
        let buf = &self.buf[..];
        let mut pos = 0;
        while pos < buf.len() {
            let start = pos;
            let (flen, p) = get_varint(buf, pos);
            let fend = p + flen;
            let (vlen, v) = get_varint(buf, fend);
            let end = v + vlen;
            if flen == field.len() && buf.get(p..fend) == Some(field) {
                return Some(Entry {
                    start,
                    val_hdr: fend,
                    val: v,
                    end,
                });
            }
            pos = end;
        }
        None
    }

    fn iter(&self) -> PackIter<'_> {
        PackIter {
            buf: &self.buf,
            pos: 0,
        }
    }

    /// Sets a field; true when it is new.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        match self.find(field) {
            Some(e) => {
                let old = e.end - e.val_hdr;
                let hdr = varint_len(value.len());
                let new = hdr + value.len();
                if new > old {
                    let grow = new - old;
                    self.buf.reserve_exact(grow);
                    let tail = self.buf.len();
                    self.buf.resize(tail + grow, 0);
                    self.buf.copy_within(e.end..tail, e.end + grow);
                } else if new < old {
                    self.buf.drain(e.val_hdr + new..e.end);
                }
                let slot = &mut self.buf[e.val_hdr..e.val_hdr + new];
                let (h, v) = slot.split_at_mut(hdr);
                write_varint(h, value.len());
                v.copy_from_slice(value);
                false
            }
            None => {
                let need =
                    varint_len(field.len()) + field.len() + varint_len(value.len()) + value.len();
                // Exact growth: the allocator's size classes bound the slack, as for
                // Redis's listpacks, instead of doubling the buffer.
                self.buf.reserve_exact(need);
                put_varint(&mut self.buf, field.len());
                self.buf.extend_from_slice(field);
                put_varint(&mut self.buf, value.len());
                self.buf.extend_from_slice(value);
                self.len += 1;
                true
            }
        }
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        let Some(e) = self.find(field) else {
            return false;
        };
        self.buf.drain(e.start..e.end);
        self.len -= 1;
        if self.len == 0 {
            self.buf = Vec::new();
        } else if self.buf.capacity() > 2 * self.buf.len() + 64 {
            self.buf.shrink_to_fit();
        }
        true
    }
}

/// Iterator over the pairs of a pack.
struct PackIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (flen, p) = get_varint(self.buf, self.pos);
        let f = self.buf.get(p..p + flen)?;
        let (vlen, q) = get_varint(self.buf, p + flen);
        let v = self.buf.get(q..q + vlen)?;
        self.pos = q + vlen;
        Some((f, v))
    }
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A pseudo-random u64 (xorshift64*, seeded from the clock and a stack address).
pub fn random_u64() -> u64 {
    RNG.with(|s| {
        let mut x = s.get();
        if x == 0 {
            let local = 0u8;
            x = (super::now_us() as u64) ^ ((&local as *const u8 as u64) << 16) | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// A pseudo-random number in `0..n` (`n > 0`).
#[inline]
pub fn random_below(n: usize) -> usize {
    ((random_u64() as u128 * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// redis.conf's values (the built-in entry limit is 512).
    const CONF: Limits = Limits {
        entries: 128,
        value: 64,
    };

    fn lim(entries: usize, value: usize) -> Limits {
        Limits { entries, value }
    }

    fn pairs(h: &Hash) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut v: Vec<_> = h.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
        v.sort();
        v
    }

    #[test]
    fn varints_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 16383, 16384, 1 << 21, 1 << 35] {
            let mut b = Vec::new();
            put_varint(&mut b, n);
            assert_eq!(b.len(), varint_len(n));
            assert_eq!(get_varint(&b, 0), (n, b.len()));
            let mut c = vec![0u8; varint_len(n)];
            write_varint(&mut c, n);
            assert_eq!(b, c);
        }
    }

    #[test]
    fn compact_set_get_update_remove() {
        let l = CONF;
        let mut h = Hash::new();
        assert!(h.is_empty());
        assert_eq!(h.encoding(), "listpack");
        assert!(h.set(b"a", b"1", l));
        assert!(h.set(b"b", b"22", l));
        assert!(h.set(b"", b"", l));
        assert!(!h.set(b"a", b"111", l)); // grows in place
        assert!(!h.set(b"b", b"", l)); // shrinks
        assert!(!h.set(b"", b"empty", l));
        assert_eq!(h.len(), 3);
        assert_eq!(h.get(b"a"), Some(&b"111"[..]));
        assert_eq!(h.get(b"b"), Some(&b""[..]));
        assert_eq!(h.get(b""), Some(&b"empty"[..]));
        assert_eq!(h.get(b"c"), None);
        // Insertion order is kept.
        let order: Vec<_> = h.iter().map(|(k, _)| k.to_vec()).collect();
        assert_eq!(order, vec![b"a".to_vec(), b"b".to_vec(), b"".to_vec()]);
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert!(!h.contains(b"b"));
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(b"a"), Some(&b"111"[..]));
        assert!(h.remove(b"a"));
        assert!(h.remove(b""));
        assert!(h.is_empty());
        assert_eq!(h.encoding(), "listpack");
    }

    #[test]
    fn field_prefix_is_not_a_match() {
        let l = CONF;
        let mut h = Hash::new();
        h.set(b"abc", b"1", l);
        h.set(b"ab", b"2", l);
        assert_eq!(h.get(b"ab"), Some(&b"2"[..]));
        assert_eq!(h.get(b"abc"), Some(&b"1"[..]));
        assert_eq!(h.get(b"a"), None);
    }

    #[test]
    fn value_length_crossing_a_varint_boundary() {
        let l = lim(128, 1000);
        let mut h = Hash::new();
        h.set(b"x", b"before", l);
        h.set(b"f", &[b'v'; 127], l);
        h.set(b"z", b"after", l);
        h.set(b"f", &[b'w'; 200], l);
        assert_eq!(h.get(b"f"), Some(&[b'w'; 200][..]));
        h.set(b"f", b"s", l);
        assert_eq!(h.get(b"f"), Some(&b"s"[..]));
        assert_eq!(h.get(b"x"), Some(&b"before"[..]));
        assert_eq!(h.get(b"z"), Some(&b"after"[..]));
        assert_eq!(h.len(), 3);
        assert!(h.is_compact());
    }

    #[test]
    fn converts_past_the_entry_limit() {
        let l = CONF;
        let mut h = Hash::new();
        for i in 0..128 {
            assert!(h.set(format!("f{i}").as_bytes(), b"v", l));
        }
        assert_eq!(h.encoding(), "listpack");
        assert!(!h.set(b"f0", b"other", l)); // updates never convert
        assert_eq!(h.encoding(), "listpack");
        assert!(h.set(b"f128", b"v", l));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 129);
        assert_eq!(h.get(b"f0"), Some(&b"other"[..]));
        for i in 1..129 {
            assert_eq!(h.get(format!("f{i}").as_bytes()), Some(&b"v"[..]));
        }
        // Never back, even when small again.
        for i in 0..128 {
            assert!(h.remove(format!("f{i}").as_bytes()));
        }
        assert_eq!(h.len(), 1);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn converts_on_long_field_or_value() {
        let l = CONF;
        let mut h = Hash::new();
        h.set(b"f", &[b'x'; 64], l);
        h.set(&[b'k'; 64], b"v", l);
        assert_eq!(h.encoding(), "listpack");
        let mut h2 = h.clone();
        h.set(b"g", &[b'x'; 65], l);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 3);
        h2.set(&[b'k'; 65], b"v", l);
        assert_eq!(h2.encoding(), "hashtable");
        assert_eq!(h2.get(b"f"), Some(&[b'x'; 64][..]));
        // An update with a long value converts too.
        let mut h3 = Hash::new();
        h3.set(b"f", b"1", l);
        h3.set(b"f", &[b'y'; 100], l);
        assert_eq!(h3.encoding(), "hashtable");
        assert_eq!(h3.len(), 1);
    }

    #[test]
    fn zero_entry_limit_converts_at_once() {
        let mut h = Hash::new();
        h.set(b"a", b"1", lim(0, 64));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"a"), Some(&b"1"[..]));
    }

    #[test]
    fn hashtable_set_get_remove() {
        let l = lim(0, 0);
        let mut h = Hash::new();
        assert!(h.set(b"a", b"1", l));
        assert!(!h.set(b"a", b"2", l));
        assert!(h.set(b"b", b"3", l));
        assert_eq!(h.get(b"a"), Some(&b"2"[..]));
        assert!(h.contains(b"b"));
        assert_eq!(
            pairs(&h),
            vec![
                (b"a".to_vec(), b"2".to_vec()),
                (b"b".to_vec(), b"3".to_vec())
            ]
        );
        let c = h.clone();
        assert!(h.remove(b"a"));
        assert!(!h.remove(b"a"));
        assert_eq!(h.len(), 1);
        assert_eq!(c.len(), 2);
        assert_eq!(c.encoding(), "hashtable");
        // Updates with long values, same size, larger and smaller.
        for n in [100, 100, 90, 300, 30, 5, 100] {
            let v = vec![b'z'; n];
            assert!(!h.set(b"b", &v, l));
            assert_eq!(h.get(b"b"), Some(&v[..]));
        }
    }

    #[test]
    fn scan_both_encodings() {
        let mut h = Hash::new();
        for i in 0..10 {
            h.set(format!("f{i}").as_bytes(), b"v", CONF);
        }
        let mut n = 0;
        assert_eq!(h.scan(12345, |_, _| n += 1), 0);
        assert_eq!(n, 10);
        h.convert();
        let mut seen = std::collections::HashSet::new();
        let mut cur = 0;
        loop {
            cur = h.scan(cur, |k, _| {
                seen.insert(k.to_vec());
            });
            if cur == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 10);
    }

    #[test]
    fn random_pair_covers_the_compact_hash() {
        let mut h = Hash::new();
        assert!(h.random_pair().is_none());
        for i in 0..5 {
            h.set(format!("f{i}").as_bytes(), b"v", CONF);
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            let (k, v) = h.random_pair().unwrap();
            assert_eq!(v, b"v");
            seen.insert(k.to_vec());
        }
        assert_eq!(seen.len(), 5);
        for _ in 0..1000 {
            assert!(random_below(3) < 3);
        }
    }

    #[test]
    fn compact_form_is_small() {
        let mut h = Hash::new();
        for i in 0..10 {
            h.set(format!("field:{i}").as_bytes(), b"value", CONF);
        }
        // 10 * (1 + 7 + 1 + 5) bytes of payload, no per-field node.
        assert_eq!(h.heap_bytes(), 140);
        assert_eq!(std::mem::size_of::<Hash>(), 32);
    }

    #[test]
    fn matches_a_model_under_random_operations() {
        use std::collections::BTreeMap;
        for limits in [lim(1000, 1000), lim(40, 200)] {
            let mut h = Hash::new();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            for step in 0..5000 {
                let field = format!("f{}", random_below(60)).into_bytes();
                if random_below(3) == 0 {
                    assert_eq!(h.remove(&field), model.remove(&field).is_some());
                } else {
                    let n = [0, 1, 5, 127, 128, 129, 190][random_below(7)];
                    let value = vec![b'a' + (step % 26) as u8; n];
                    let new = h.set(&field, &value, limits);
                    assert_eq!(new, model.insert(field.clone(), value).is_none());
                }
                assert_eq!(h.len(), model.len());
                if step % 97 == 0 {
                    let mut got: Vec<_> = h.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
                    got.sort();
                    let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    assert_eq!(got, want);
                    for (k, v) in &model {
                        assert_eq!(h.get(k), Some(&v[..]));
                    }
                }
            }
        }
    }
}
