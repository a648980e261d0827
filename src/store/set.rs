//! The set value type: an intset while every member is an integer and there are at most
//! `set-max-intset-entries` of them, a hash table (`Dict<()>`) otherwise.
//!
//! The intset is Redis's: the members sorted in one byte buffer, all of one width (2, 4
//! or 8 bytes, little endian), the width growing when a member needs it. Membership is a
//! binary search, iteration is in ascending order. A member is an integer when it is the
//! canonical decimal form of an i64 (`string2ll`: "12", "-3", never "012" or "+1"), so it
//! reads back as the same bytes. Like Redis 7.0, the conversion to a hash table is one
//! way: a set that grew into a table stays one.

use crate::store::bytes::Sds;
use crate::store::dict::Dict;
use crate::util::num::parse_i64;
use std::cell::Cell;

/// A member as stored: an integer of an intset, or bytes of a hash table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's bytes (an integer is formatted on the stack).
    #[inline]
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Str(s) => f(s),
            Member::Int(v) => f(itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    pub fn to_sds(self) -> Sds {
        self.with_bytes(|b| Sds::from(b))
    }
}

/// Sorted integers of one width.
#[derive(Clone, Debug)]
pub struct IntSet {
    /// 2, 4 or 8.
    width: u8,
    data: Vec<u8>,
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet {
            width: 2,
            data: Vec::new(),
        }
    }
}

/// The width an integer needs.
#[inline]
fn width_of(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

impl IntSet {
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len() / self.width as usize
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width as usize;
        let b = &self.data[i * w..(i + 1) * w];
        match w {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                i64::from_le_bytes(a)
            }
        }
    }

    #[inline]
    fn put(&mut self, i: usize, v: i64) {
        let w = self.width as usize;
        self.data[i * w..(i + 1) * w].copy_from_slice(&v.to_le_bytes()[..w]);
    }

    /// Binary search: Ok(position) or Err(insertion point).
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let n = self.len();
        if n == 0 {
            return Err(0);
        }
        // Values outside the width cannot be present (and sort at one end).
        if width_of(v) > self.width {
            return Err(if v < 0 { 0 } else { n });
        }
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let m = self.get(mid);
            if m == v {
                return Ok(mid);
            }
            if m < v {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    /// Adds `v`; false when already present.
    pub fn insert(&mut self, v: i64) -> bool {
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let w = width_of(v);
        if w > self.width {
            self.upgrade(w);
        }
        let ws = self.width as usize;
        let at = pos * ws;
        self.data.splice(at..at, std::iter::repeat_n(0u8, ws));
        self.put(pos, v);
        true
    }

    /// Re-encodes every member with a larger width.
    fn upgrade(&mut self, w: u8) {
        let old = std::mem::replace(
            self,
            IntSet {
                width: w,
                data: Vec::new(),
            },
        );
        let n = old.len();
        self.data = vec![0u8; n * w as usize];
        for i in 0..n {
            self.put(i, old.get(i));
        }
    }

    /// Removes `v`; false when absent.
    pub fn remove(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(p) => {
                let ws = self.width as usize;
                self.data.drain(p * ws..(p + 1) * ws);
                if self.data.capacity() > 2 * self.data.len() + 64 {
                    self.data.shrink_to(self.data.len() + self.data.len() / 2);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

enum Repr {
    Ints(IntSet),
    Table(Dict<()>),
}

/// A set value.
pub struct Set {
    repr: Repr,
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl Clone for Set {
    fn clone(&self) -> Self {
        let repr = match &self.repr {
            Repr::Ints(s) => Repr::Ints(s.clone()),
            Repr::Table(d) => {
                let mut n = Dict::new();
                for (k, _) in d.iter() {
                    n.insert(k.clone(), ());
                }
                Repr::Table(n)
            }
        };
        Set { repr }
    }
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Set({}, {} members)", self.encoding(), self.len())
    }
}

impl Set {
    /// An empty set (an intset until a member says otherwise).
    pub fn new() -> Set {
        Set {
            repr: Repr::Ints(IntSet::default()),
        }
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(s) => s.len(),
            Repr::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Ints(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn is_intset(&self) -> bool {
        matches!(self.repr, Repr::Ints(_))
    }

    /// Turns an intset into a hash table.
    fn convert(&mut self) {
        if let Repr::Ints(s) = &self.repr {
            let mut d = Dict::new();
            let mut buf = itoa::Buffer::new();
            for v in s.iter() {
                d.insert(Sds::from(buf.format(v).as_bytes()), ());
            }
            self.repr = Repr::Table(d);
        }
    }

    /// Adds a member; false when already present. `max_intset` is
    /// `set-max-intset-entries`.
    #[inline]
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        if let Repr::Ints(s) = &mut self.repr {
            match parse_i64(m) {
                Some(v) => {
                    if !s.insert(v) {
                        return false;
                    }
                    if s.len() > max_intset {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match &mut self.repr {
            Repr::Table(d) => d.get_or_insert_with(m, || ()).1,
            Repr::Ints(_) => false,
        }
    }

    /// Adds a member read from another set.
    pub fn add_member(&mut self, m: Member, max_intset: usize) -> bool {
        match (m, &mut self.repr) {
            (Member::Int(v), Repr::Ints(s)) => {
                if !s.insert(v) {
                    return false;
                }
                if s.len() > max_intset {
                    self.convert();
                }
                true
            }
            (m, _) => m.with_bytes(|b| self.add(b, max_intset)),
        }
    }

    /// Removes a member; false when absent.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Ints(s) => parse_i64(m).is_some_and(|v| s.remove(v)),
            Repr::Table(d) => {
                let removed = d.remove(m).is_some();
                if removed {
                    // As Redis resizes a set's table after a deletion: a sparse table
                    // wastes memory and makes random picks slow.
                    d.shrink_if_needed();
                }
                removed
            }
        }
    }

    pub fn remove_member(&mut self, m: Member) -> bool {
        match (m, &mut self.repr) {
            (Member::Int(v), Repr::Ints(s)) => s.remove(v),
            (m, _) => m.with_bytes(|b| self.remove(b)),
        }
    }

    #[inline]
    pub fn contains(&self, m: &[u8]) -> bool {
        match &self.repr {
            Repr::Ints(s) => parse_i64(m).is_some_and(|v| s.contains(v)),
            Repr::Table(d) => d.contains_key(m),
        }
    }

    #[inline]
    pub fn contains_member(&self, m: Member) -> bool {
        match (m, &self.repr) {
            (Member::Int(v), Repr::Ints(s)) => s.contains(v),
            (Member::Str(b), _) => self.contains(b),
            (Member::Int(v), Repr::Table(d)) => {
                d.contains_key(itoa::Buffer::new().format(v).as_bytes())
            }
        }
    }

    /// Members in the set's own order (ascending for an intset).
    pub fn iter(&self) -> SetIter<'_> {
        match &self.repr {
            Repr::Ints(s) => SetIter::Ints(s, 0),
            Repr::Table(d) => SetIter::Table(Box::new(d.iter())),
        }
    }

    /// A random member (close to uniform).
    pub fn random(&self) -> Option<Member<'_>> {
        match &self.repr {
            Repr::Ints(s) => {
                if s.is_empty() {
                    None
                } else {
                    Some(Member::Int(s.get(random_below(s.len()))))
                }
            }
            Repr::Table(d) => d.random_entry().map(|(k, _)| Member::Str(k.as_slice())),
        }
    }

    /// Removes and returns a random member.
    pub fn pop_random(&mut self) -> Option<Sds> {
        match &mut self.repr {
            Repr::Ints(s) => {
                if s.is_empty() {
                    return None;
                }
                let v = s.get(random_below(s.len()));
                s.remove(v);
                Some(Sds::from(itoa::Buffer::new().format(v).as_bytes()))
            }
            Repr::Table(d) => {
                let k = d.random_entry().map(|(k, _)| k.clone())?;
                d.remove(&k);
                d.shrink_if_needed();
                Some(k)
            }
        }
    }

    /// One step of SSCAN: calls `f` for some members and returns the next cursor. An
    /// intset is reported whole in one step with cursor 0, whatever the cursor (as Redis
    /// does).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(Member)) -> u64 {
        match &self.repr {
            Repr::Ints(s) => {
                for v in s.iter() {
                    f(Member::Int(v));
                }
                0
            }
            Repr::Table(d) => d.scan(cursor, |k, _| f(Member::Str(k.as_slice()))),
        }
    }

    /// The commands that rebuild this set (AOF rewrite): SADD with up to 64 members.
    pub fn rewrite_commands(&self, key: &[u8], mut emit: impl FnMut(Vec<Sds>)) {
        let mut it = self.iter().peekable();
        while it.peek().is_some() {
            let mut cmd = vec![Sds::from(&b"SADD"[..]), Sds::from(key)];
            for m in it.by_ref().take(64) {
                cmd.push(m.to_sds());
            }
            emit(cmd);
        }
    }
}

/// Iterator over a set's members.
pub enum SetIter<'a> {
    Ints(&'a IntSet, usize),
    Table(Box<dyn Iterator<Item = (&'a Sds, &'a ())> + 'a>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = Member<'a>;

    #[inline]
    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            SetIter::Ints(s, i) => {
                if *i < s.len() {
                    let v = s.get(*i);
                    *i += 1;
                    Some(Member::Int(v))
                } else {
                    None
                }
            }
            SetIter::Table(it) => it.next().map(|(k, _)| Member::Str(k.as_slice())),
        }
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let local = 0u8;
    t ^ (&local as *const u8 as u64).rotate_left(32) ^ 0x9e37_79b9_7f4a_7c15
}

/// A pseudo-random number (wyrand).
pub fn random_u64() -> u64 {
    RNG.with(|s| {
        let x = s.get().wrapping_add(0xa076_1d64_78bd_642f);
        s.set(x);
        let t = (x as u128).wrapping_mul((x ^ 0xe703_7ed1_a0b4_28db) as u128);
        ((t >> 64) as u64) ^ (t as u64)
    })
}

/// A uniform number in 0..n (n > 0).
pub fn random_below(n: usize) -> usize {
    ((random_u64() as u128 * n as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = s.iter().map(|m| m.to_sds().to_vec()).collect();
        v.sort();
        v
    }

    #[test]
    fn intset_widths_and_order() {
        let mut s = IntSet::default();
        for v in [5i64, -3, 100, 7, -3] {
            s.insert(v);
        }
        assert_eq!(s.width, 2);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![-3, 5, 7, 100]);
        assert!(s.insert(70000));
        assert_eq!(s.width, 4);
        assert!(s.insert(-5_000_000_000));
        assert_eq!(s.width, 8);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            vec![-5_000_000_000, -3, 5, 7, 100, 70000]
        );
        assert!(s.contains(70000) && !s.contains(70001) && !s.contains(i64::MAX));
        assert!(s.remove(5) && !s.remove(5));
        assert_eq!(s.len(), 5);
        assert!(s.insert(i64::MIN) && s.insert(i64::MAX));
        assert_eq!(s.get(0), i64::MIN);
        assert_eq!(s.get(s.len() - 1), i64::MAX);
    }

    #[test]
    fn search_outside_width() {
        let mut s = IntSet::default();
        s.insert(1);
        s.insert(2);
        assert_eq!(s.search(100_000), Err(2));
        assert_eq!(s.search(-100_000), Err(0));
    }

    #[test]
    fn conversion_rules() {
        let mut s = Set::new();
        assert!(s.add(b"1", 3));
        assert!(s.add(b"2", 3));
        assert!(!s.add(b"2", 3));
        assert!(s.add(b"3", 3));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"4", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(
            members(&s),
            vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec(), b"4".to_vec()]
        );

        for non_int in [&b"a"[..], b"007", b"-0", b"+1", b" 1", b"1.0", b""] {
            let mut s = Set::new();
            s.add(b"1", 512);
            assert!(s.add(non_int, 512));
            assert_eq!(s.encoding(), "hashtable", "{non_int:?}");
            assert!(s.contains(non_int) && s.contains(b"1"));
            assert!(s.contains_member(Member::Int(1)));
        }
        // Zero entries allowed: the first integer converts.
        let mut s = Set::new();
        s.add(b"1", 0);
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn remove_contains_members() {
        let mut s = Set::new();
        for m in ["1", "2", "3"] {
            s.add(m.as_bytes(), 512);
        }
        assert!(!s.remove(b"01"));
        assert!(!s.remove(b"x"));
        assert!(s.remove(b"2"));
        assert!(!s.contains(b"2"));
        assert!(s.contains_member(Member::Str(b"3")));
        assert!(!s.contains_member(Member::Str(b"03")));
        s.add(b"x", 512);
        assert!(s.remove_member(Member::Int(3)));
        assert_eq!(members(&s), vec![b"1".to_vec(), b"x".to_vec()]);
    }

    #[test]
    fn pop_and_random_cover_members() {
        let mut s = Set::new();
        for i in 0..50 {
            s.add(format!("{i}").as_bytes(), 512);
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            if let Some(Member::Int(v)) = s.random() {
                seen.insert(v);
            }
        }
        assert_eq!(seen.len(), 50);
        let mut popped = Vec::new();
        while let Some(m) = s.pop_random() {
            popped.push(m.to_vec());
        }
        popped.sort();
        popped.dedup();
        assert_eq!(popped.len(), 50);
        assert!(s.is_empty());
    }

    #[test]
    fn scan_intset_is_whole() {
        let mut s = Set::new();
        s.add(b"3", 512);
        s.add(b"1", 512);
        let mut got = Vec::new();
        assert_eq!(s.scan(12345, |m| got.push(m.to_sds().to_vec())), 0);
        assert_eq!(got, vec![b"1".to_vec(), b"3".to_vec()]);
    }

    #[test]
    fn rewrite_batches() {
        let mut s = Set::new();
        for i in 0..65 {
            s.add(format!("{i}").as_bytes(), 512);
        }
        let mut cmds = Vec::new();
        s.rewrite_commands(b"k", |c| cmds.push(c));
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].len(), 66);
        assert_eq!(&cmds[1][2][..], b"64");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn behaves_like_a_set(
            max in 0usize..40,
            ops in proptest::collection::vec(
                (proptest::bool::ANY, proptest::prop_oneof![
                    (-70000i64..70000).prop_map(|i| i.to_string()),
                    proptest::num::i64::ANY.prop_map(|i| i.to_string()),
                    proptest::sample::select(vec!["a".to_string(), "01".to_string(), "".to_string()]),
                ]),
                1..200,
            ),
        ) {
            use proptest::{prop_assert, prop_assert_eq};
            let mut s = Set::new();
            let mut m = std::collections::BTreeSet::new();
            for (add, v) in ops {
                if add {
                    prop_assert_eq!(s.add(v.as_bytes(), max), m.insert(v.clone()));
                } else {
                    prop_assert_eq!(s.remove(v.as_bytes()), m.remove(&v));
                }
                prop_assert_eq!(s.len(), m.len());
                prop_assert!(s.contains(v.as_bytes()) == m.contains(&v));
                if s.is_intset() {
                    prop_assert!(s.len() <= max);
                }
            }
            let mut got: Vec<String> = s
                .iter()
                .map(|x| String::from_utf8(x.to_sds().to_vec()).unwrap_or_default())
                .collect();
            if s.is_intset() {
                let ints: Vec<i64> = got.iter().map(|x| x.parse().unwrap_or(0)).collect();
                prop_assert!(ints.windows(2).all(|w| w[0] < w[1]));
            }
            got.sort();
            prop_assert_eq!(got, m.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn random_below_is_in_range() {
        for n in [1usize, 2, 7, 1000] {
            for _ in 0..100 {
                assert!(random_below(n) < n);
            }
        }
    }
}
