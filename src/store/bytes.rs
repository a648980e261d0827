//! `Sds`: the byte string used for every key and every string value.
//!
//! Most keys and many values are short, so an `Sds` is three machine words (24 bytes on
//! 64-bit targets) and stores strings of up to 23 bytes inline, with no allocation at all.
//! Longer strings live in a heap buffer that is owned exactly like a `Vec<u8>` (pointer,
//! length, capacity), so converting from and into `Vec<u8>` never copies.
//!
//! Layout (64-bit, `repr(C)`):
//!
//! ```text
//! bytes  0..8    8..16   16..23      23
//! heap:  ptr     len     cap (7 B)   tag = HEAP
//! inline: ------ data (23 B) ------  tag = length (0..=23)
//! ```
//!
//! The last byte is a `Tag` enum whose only valid values are the inline lengths and the
//! heap marker; the remaining bit patterns are a niche, so `Option<Sds>` (and enums that
//! wrap an `Sds`) stay 24 bytes.
//!
//! Growth follows Redis's `sdsMakeRoomFor`: an empty string grows to exactly the size
//! asked for, otherwise the capacity doubles up to 1 MiB and then grows by 1 MiB at a time,
//! so `push_slice` / `set_range` in a loop (APPEND, SETRANGE) are amortised O(1). A string
//! that has moved to the heap stays there when it shrinks; `clone()` produces a compact copy.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::mem::{size_of, ManuallyDrop};
use std::ops::Deref;
use std::ptr;
use std::slice;

/// Bytes that fit inline: the whole struct minus the tag byte.
const INLINE_CAP: usize = 3 * size_of::<usize>() - 1;

/// Bytes of the heap capacity stored in the struct (the word minus the tag byte).
const CAP_BYTES: usize = size_of::<usize>() - 1;

/// Largest heap capacity representable in `CAP_BYTES` bytes.
const MAX_CAP: usize = usize::MAX >> 8;

/// Above this size the capacity grows linearly instead of doubling (Redis SDS_MAX_PREALLOC).
const MAX_PREALLOC: usize = 1024 * 1024;

/// The last byte of an `Sds`: the inline length, or the heap marker.
///
/// Every value `0..=INLINE_CAP` must be a variant (see `Tag::inline`).
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[rustfmt::skip]
#[allow(dead_code)] // inline variants are only created through `Tag::inline`
enum Tag {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11,
    L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22, L23,
    Heap,
}

impl Tag {
    /// The tag for an inline string of `len` bytes.
    #[inline(always)]
    fn inline(len: usize) -> Tag {
        assert!(len <= INLINE_CAP);
        // SAFETY: `Tag` is `repr(u8)` with variants numbered 0..=23 consecutively, and
        // `len <= INLINE_CAP <= 23` was just checked, so `len as u8` is a valid variant.
        unsafe { std::mem::transmute::<u8, Tag>(len as u8) }
    }
}

// The enum must cover every inline length.
const _: () = assert!(Tag::Heap as usize == 24 && INLINE_CAP <= 23);

/// A byte string: inline when short (up to 23 bytes on 64-bit), on the heap otherwise.
///
/// Compares, orders and hashes exactly like the `[u8]` it holds, so a `Dict` keyed by
/// `Sds` can be queried with `&[u8]`.
#[repr(C)]
pub struct Sds {
    /// Heap: start of the buffer. Inline: the first data bytes.
    ptr: *mut u8,
    /// Heap: length in bytes. Inline: data bytes.
    len: usize,
    /// Heap: capacity, little-endian in `CAP_BYTES` bytes. Inline: data bytes.
    cap: [u8; CAP_BYTES],
    tag: Tag,
}

// The layout promised above (and relied on by `size_of::<Option<Sds>>()`).
const _: () = assert!(size_of::<Sds>() == 3 * size_of::<usize>());
const _: () = assert!(size_of::<Option<Sds>>() == size_of::<Sds>());

// SAFETY: an `Sds` uniquely owns its heap buffer, exactly like a `Vec<u8>`; the raw pointer
// is never shared with another `Sds`, and `&Sds` only gives out shared access to the bytes.
unsafe impl Send for Sds {}
// SAFETY: as above; there is no interior mutability.
unsafe impl Sync for Sds {}

impl Sds {
    /// An empty string (inline, no allocation).
    #[inline]
    pub const fn new() -> Sds {
        Sds {
            ptr: ptr::null_mut(),
            len: 0,
            cap: [0; CAP_BYTES],
            tag: Tag::L0,
        }
    }

    /// Takes ownership of `v` without copying when it is too long to store inline.
    ///
    /// Like Redis's `trimStringObjectIfNeeded`, a buffer with more than 10% spare
    /// capacity is shrunk first, so a value built in an oversized buffer does not waste
    /// memory for the rest of its life.
    pub fn from_vec(mut v: Vec<u8>) -> Sds {
        if v.len() <= INLINE_CAP {
            return Sds::inline_from(&v);
        }
        if v.capacity() - v.len() > v.len() / 10 {
            v.shrink_to_fit();
        }
        Sds::heap_from_vec(v)
    }

    /// The bytes of the string.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        if self.tag == Tag::Heap {
            // SAFETY: heap form: `ptr` is a live allocation of `cap >= len` bytes owned by
            // `self`, with the first `len` bytes initialised.
            unsafe { slice::from_raw_parts(self.ptr, self.len) }
        } else {
            // SAFETY: inline form: the first `tag` (<= INLINE_CAP) bytes of `self` are the
            // data; all bytes of `self` are initialised integers, and the borrow of `self`
            // covers them.
            unsafe { slice::from_raw_parts(self as *const Sds as *const u8, self.tag as usize) }
        }
    }

    /// The bytes of the string, mutably (for in-place edits such as SETBIT).
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        if self.tag == Tag::Heap {
            // SAFETY: as in `as_slice`; `&mut self` gives exclusive access to the buffer.
            unsafe { slice::from_raw_parts_mut(self.ptr, self.len) }
        } else {
            let len = self.tag as usize;
            // SAFETY: as in `as_slice`. Writing any byte into the data area keeps every
            // field valid (they are plain integers / a raw pointer), and the tag byte at
            // offset INLINE_CAP is outside the `len <= INLINE_CAP` bytes handed out.
            unsafe { slice::from_raw_parts_mut(self as *mut Sds as *mut u8, len) }
        }
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        if self.tag == Tag::Heap {
            self.len
        } else {
            self.tag as usize
        }
    }

    /// True for the empty string.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes that can be held without reallocating (the inline size for inline strings).
    pub fn capacity(&self) -> usize {
        if self.tag == Tag::Heap {
            self.heap_cap()
        } else {
            INLINE_CAP
        }
    }

    /// Appends bytes, growing geometrically so repeated appends are amortised O(1).
    pub fn push_slice(&mut self, b: &[u8]) {
        let old = self.len();
        let new_len = old.checked_add(b.len()).expect("Sds length overflow");
        self.reserve_total(new_len);
        // SAFETY: `reserve_total` guarantees room for `new_len` bytes; the destination
        // range `old..new_len` is inside it and cannot overlap `b`, which is borrowed
        // shared while `self` is borrowed mutably.
        unsafe {
            ptr::copy_nonoverlapping(b.as_ptr(), self.data_ptr_mut().add(old), b.len());
            self.set_len(new_len);
        }
    }

    /// Overwrites `b` at `offset`, zero-padding the string first if it is shorter.
    pub fn set_range(&mut self, offset: usize, b: &[u8]) {
        let end = offset.checked_add(b.len()).expect("Sds length overflow");
        if end > self.len() {
            self.resize(end, 0);
        }
        self.as_mut_slice()[offset..end].copy_from_slice(b);
    }

    /// Shortens the string to `len` bytes; does nothing if it is not longer than that.
    /// The capacity is kept.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            // SAFETY: shrinking the length keeps `len <= capacity` and the bytes initialised.
            unsafe { self.set_len(len) }
        }
    }

    /// Sets the length to `new_len`, filling new bytes with `fill` or truncating.
    pub fn resize(&mut self, new_len: usize, fill: u8) {
        let old = self.len();
        if new_len <= old {
            self.truncate(new_len);
            return;
        }
        self.reserve_total(new_len);
        // SAFETY: room for `new_len` bytes was just reserved; the bytes `old..new_len` are
        // written before the length covers them.
        unsafe {
            ptr::write_bytes(self.data_ptr_mut().add(old), fill, new_len - old);
            self.set_len(new_len);
        }
    }

    /// Converts into a `Vec<u8>` (no copy for heap strings).
    pub fn into_vec(self) -> Vec<u8> {
        if self.tag != Tag::Heap {
            return self.as_slice().to_vec();
        }
        let this = ManuallyDrop::new(self);
        // SAFETY: heap form: `ptr`/`len`/`cap` came from a `Vec<u8>` (see `heap_from_vec`)
        // and are handed back exactly once; `ManuallyDrop` stops `Sds::drop` freeing it too.
        unsafe { Vec::from_raw_parts(this.ptr, this.len, this.heap_cap()) }
    }

    /// Bytes this value occupies on the heap (0 when inline).
    pub fn heap_size(&self) -> usize {
        if self.tag == Tag::Heap {
            self.heap_cap()
        } else {
            0
        }
    }

    // ---- internals ----

    fn inline_from(b: &[u8]) -> Sds {
        debug_assert!(b.len() <= INLINE_CAP);
        let mut s = Sds::new();
        // SAFETY: `b.len() <= INLINE_CAP`, the size of the inline data area at the start of
        // `s`; `s` is a fresh local so the ranges cannot overlap.
        unsafe { ptr::copy_nonoverlapping(b.as_ptr(), &mut s as *mut Sds as *mut u8, b.len()) };
        s.tag = Tag::inline(b.len());
        s
    }

    fn heap_from_vec(v: Vec<u8>) -> Sds {
        assert!(v.capacity() <= MAX_CAP, "Sds capacity overflow");
        debug_assert!(v.capacity() > INLINE_CAP);
        let mut v = ManuallyDrop::new(v);
        let cap = v.capacity().to_le_bytes();
        Sds {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            cap: cap[..CAP_BYTES].try_into().unwrap(),
            tag: Tag::Heap,
        }
    }

    #[inline]
    fn heap_cap(&self) -> usize {
        let mut b = [0u8; size_of::<usize>()];
        b[..CAP_BYTES].copy_from_slice(&self.cap);
        usize::from_le_bytes(b)
    }

    #[inline]
    fn data_ptr_mut(&mut self) -> *mut u8 {
        if self.tag == Tag::Heap {
            self.ptr
        } else {
            self as *mut Sds as *mut u8
        }
    }

    /// # Safety
    /// `len` must not exceed `capacity()` and the first `len` bytes must be initialised.
    #[inline]
    unsafe fn set_len(&mut self, len: usize) {
        debug_assert!(len <= self.capacity());
        if self.tag == Tag::Heap {
            self.len = len;
        } else {
            self.tag = Tag::inline(len);
        }
    }

    /// Makes room for a total length of `total` bytes (Redis `sdsMakeRoomFor` policy).
    fn reserve_total(&mut self, total: usize) {
        if total <= self.capacity() {
            return;
        }
        let len = self.len();
        let target = if len == 0 {
            total
        } else if total < MAX_PREALLOC {
            total.saturating_mul(2)
        } else {
            total.saturating_add(MAX_PREALLOC)
        };
        if self.tag != Tag::Heap {
            let mut v = Vec::with_capacity(target);
            v.extend_from_slice(self.as_slice());
            *self = Sds::heap_from_vec(v);
            return;
        }
        // Move the buffer into a Vec for the reallocation. If anything panics (capacity
        // overflow) the Vec is dropped during unwinding and `self` is left empty.
        let mut v = std::mem::take(self).into_vec();
        v.reserve_exact(target - len);
        *self = Sds::heap_from_vec(v);
    }
}

impl Drop for Sds {
    fn drop(&mut self) {
        if self.tag == Tag::Heap {
            // SAFETY: heap form: the buffer came from a `Vec<u8>` with exactly this pointer,
            // length and capacity, and is freed only here.
            unsafe { drop(Vec::from_raw_parts(self.ptr, self.len, self.heap_cap())) }
        }
    }
}

impl Clone for Sds {
    /// A compact copy: inline when it fits, otherwise a heap buffer of exactly `len` bytes.
    fn clone(&self) -> Sds {
        if self.tag == Tag::Heap {
            Sds::from(self.as_slice())
        } else {
            Sds {
                ptr: self.ptr,
                len: self.len,
                cap: self.cap,
                tag: self.tag,
            }
        }
    }
}

impl Default for Sds {
    fn default() -> Sds {
        Sds::new()
    }
}

impl From<&[u8]> for Sds {
    fn from(b: &[u8]) -> Sds {
        if b.len() <= INLINE_CAP {
            Sds::inline_from(b)
        } else {
            Sds::heap_from_vec(b.to_vec())
        }
    }
}

impl From<Vec<u8>> for Sds {
    fn from(v: Vec<u8>) -> Sds {
        Sds::from_vec(v)
    }
}

impl Deref for Sds {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Sds {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for Sds {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Sds {
    #[inline]
    fn eq(&self, other: &Sds) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Sds {}

impl PartialOrd for Sds {
    fn partial_cmp(&self, other: &Sds) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sds {
    fn cmp(&self, other: &Sds) -> Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for Sds {
    /// Hashes like the `[u8]` it holds (required by `Borrow<[u8]>`).
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl std::fmt::Debug for Sds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn bytes(n: usize, seed: u8) -> Vec<u8> {
        (0..n).map(|i| seed.wrapping_add(i as u8)).collect()
    }

    fn is_inline(s: &Sds) -> bool {
        s.heap_size() == 0
    }

    #[test]
    fn sizes() {
        assert_eq!(size_of::<Sds>(), 24);
        assert_eq!(size_of::<Option<Sds>>(), 24);
        assert_eq!(INLINE_CAP, 23);
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Sds>();
    }

    #[test]
    fn empty() {
        let s = Sds::new();
        assert_eq!(s.as_slice(), b"");
        assert!(s.is_empty());
        assert!(is_inline(&s));
        assert_eq!(s.capacity(), INLINE_CAP);
        assert_eq!(Sds::default(), s);
        assert_eq!(s.into_vec(), Vec::<u8>::new());
    }

    #[test]
    fn from_every_length_round_trips() {
        for n in 0..100 {
            let b = bytes(n, n as u8);
            let a = Sds::from(&b[..]);
            let v = Sds::from_vec(b.clone());
            let w = Sds::from(b.clone());
            assert_eq!(a.as_slice(), &b[..]);
            assert_eq!(v.as_slice(), &b[..]);
            assert_eq!(&*w, &b[..]);
            assert_eq!(a.len(), n);
            assert_eq!(is_inline(&a), n <= 23, "len {n}");
            assert_eq!(is_inline(&v), n <= 23, "len {n}");
            assert_eq!(a.clone(), a);
            assert_eq!(a.clone().into_vec(), b);
            assert_eq!(v.into_vec(), b);
        }
    }

    #[test]
    fn from_vec_reuses_buffer_and_trims_slack() {
        let mut v = Vec::with_capacity(100);
        v.extend_from_slice(&bytes(95, 1));
        let p = v.as_ptr();
        let s = Sds::from_vec(v);
        assert_eq!(s.as_slice().as_ptr(), p);
        assert_eq!(s.heap_size(), 100);
        let back = s.into_vec();
        assert_eq!(back.as_ptr(), p);
        assert_eq!(back.capacity(), 100);

        let mut v = Vec::with_capacity(4096);
        v.extend_from_slice(&bytes(30, 1));
        let s = Sds::from_vec(v);
        assert!(s.heap_size() < 40, "{}", s.heap_size());
        assert_eq!(s.as_slice(), &bytes(30, 1)[..]);

        // Short vectors become inline whatever their capacity.
        let mut v = Vec::with_capacity(1000);
        v.extend_from_slice(b"abc");
        let s = Sds::from_vec(v);
        assert!(is_inline(&s));
        assert_eq!(&*s, b"abc");
    }

    #[test]
    fn push_across_inline_boundary() {
        let mut s = Sds::new();
        let mut model = Vec::new();
        for i in 0..40u8 {
            s.push_slice(&[i]);
            model.push(i);
            assert_eq!(s.as_slice(), &model[..]);
            assert_eq!(is_inline(&s), model.len() <= 23);
            assert!(s.capacity() >= s.len());
        }
        // A multi-byte push that straddles the boundary.
        let mut s = Sds::from(&b"0123456789abcdefghij"[..]);
        assert!(is_inline(&s));
        s.push_slice(b"KLMNOPQRSTUVWXYZ");
        assert!(!is_inline(&s));
        assert_eq!(&*s, b"0123456789abcdefghijKLMNOPQRSTUVWXYZ");
        // Filling inline exactly stays inline.
        let mut s = Sds::from(&b"0123456789"[..]);
        s.push_slice(b"0123456789abc");
        assert_eq!(s.len(), 23);
        assert!(is_inline(&s));
        s.push_slice(b"");
        assert!(is_inline(&s));
        s.push_slice(b"!");
        assert!(!is_inline(&s));
        assert_eq!(&*s, b"01234567890123456789abc!");
    }

    #[test]
    fn push_is_amortised() {
        let mut s = Sds::new();
        let mut reallocs = 0;
        let mut last_cap = s.capacity();
        for i in 0..100_000u32 {
            s.push_slice(&i.to_le_bytes()[..3]);
            if s.capacity() != last_cap {
                reallocs += 1;
                last_cap = s.capacity();
            }
        }
        assert_eq!(s.len(), 300_000);
        assert!(reallocs < 30, "{reallocs} reallocations");
        for (i, c) in s.chunks(3).enumerate() {
            assert_eq!(c, &(i as u32).to_le_bytes()[..3]);
        }
    }

    #[test]
    fn growth_policy() {
        // Empty strings grow exactly.
        let mut s = Sds::new();
        s.push_slice(&[7; 100]);
        assert_eq!(s.capacity(), 100);
        // Non-empty strings double below 1 MiB...
        s.push_slice(&[7; 10]);
        assert_eq!(s.capacity(), 220);
        // ...and grow by 1 MiB above it.
        let mut big = Sds::from_vec(vec![1; 2 * MAX_PREALLOC]);
        big.push_slice(b"x");
        assert_eq!(big.capacity(), 3 * MAX_PREALLOC + 1);
    }

    #[test]
    fn set_range_cases() {
        // Beyond the end of an empty string: zero padded, inline.
        let mut s = Sds::new();
        s.set_range(3, b"ab");
        assert_eq!(&*s, b"\0\0\0ab");
        assert!(is_inline(&s));
        // Overwrite inside.
        s.set_range(0, b"X");
        assert_eq!(&*s, b"X\0\0ab");
        // Straddling the end and the inline boundary.
        s.set_range(4, &[b'z'; 30]);
        assert_eq!(s.len(), 34);
        assert!(!is_inline(&s));
        assert_eq!(&s[..5], b"X\0\0az");
        assert!(s[4..].iter().all(|&c| c == b'z'));
        // Far beyond the end of a heap string.
        s.set_range(1000, b"end");
        assert_eq!(s.len(), 1003);
        assert!(s[34..1000].iter().all(|&c| c == 0));
        assert_eq!(&s[1000..], b"end");
        // Empty value past the end still pads (like the placeholder).
        let mut t = Sds::from(&b"ab"[..]);
        t.set_range(5, b"");
        assert_eq!(&*t, b"ab\0\0\0");
        // Empty value inside changes nothing.
        t.set_range(1, b"");
        assert_eq!(&*t, b"ab\0\0\0");
        // A new key written at a large offset gets an exact allocation.
        let mut u = Sds::new();
        u.set_range(10_000, b"x");
        assert_eq!(u.capacity(), 10_001);
    }

    #[test]
    fn truncate_resize_and_mut_slice() {
        let mut s = Sds::from(&b"hello world"[..]);
        s.as_mut_slice()[0] = b'H';
        assert_eq!(&*s, b"Hello world");
        s.truncate(5);
        assert_eq!(&*s, b"Hello");
        s.truncate(50);
        assert_eq!(&*s, b"Hello");
        s.resize(8, b'!');
        assert_eq!(&*s, b"Hello!!!");
        s.resize(2, 0);
        assert_eq!(&*s, b"He");
        s.resize(40, b'-');
        assert!(!is_inline(&s));
        assert_eq!(&s[..3], b"He-");
        assert_eq!(s.len(), 40);
        s.as_mut_slice()[39] = b'$';
        assert_eq!(s[39], b'$');
        // Shrinking a heap string keeps it on the heap with its capacity...
        let cap = s.capacity();
        s.truncate(3);
        assert_eq!(&*s, b"He-");
        assert_eq!(s.capacity(), cap);
        s.push_slice(b"abc");
        assert_eq!(&*s, b"He-abc");
        // ...but a clone is compact again.
        let c = s.clone();
        assert!(is_inline(&c));
        assert_eq!(c, s);
        s.truncate(0);
        assert!(s.is_empty());
        assert_eq!(s.into_vec(), b"");
    }

    #[test]
    fn clone_is_independent() {
        let mut a = Sds::from(&bytes(50, 3)[..]);
        let b = a.clone();
        a.as_mut_slice()[0] = 0xFF;
        a.push_slice(b"more");
        assert_eq!(&*b, &bytes(50, 3)[..]);
        assert_eq!(b.heap_size(), 50);
        drop(a);
        assert_eq!(&*b, &bytes(50, 3)[..]);

        let mut x = Sds::from(&b"short"[..]);
        let y = x.clone();
        x.push_slice(b" and now long enough for the heap");
        assert_eq!(&*y, b"short");
    }

    #[test]
    fn ordering_and_hash_match_slices() {
        let items: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"ab".to_vec(),
            b"b".to_vec(),
            bytes(23, 0),
            bytes(24, 0),
            bytes(100, 0),
            bytes(100, 1),
        ];
        let h = |x: &dyn Fn(&mut DefaultHasher)| {
            let mut s = DefaultHasher::new();
            x(&mut s);
            s.finish()
        };
        for a in &items {
            let sa = Sds::from(&a[..]);
            assert_eq!(h(&|st| sa.hash(st)), h(&|st| a.as_slice().hash(st)));
            for b in &items {
                let sb = Sds::from(&b[..]);
                assert_eq!(sa.cmp(&sb), a.cmp(b));
                assert_eq!(sa == sb, a == b);
                assert_eq!(sa.partial_cmp(&sb), Some(a.cmp(b)));
            }
        }
        let mut set = std::collections::HashSet::new();
        set.insert(Sds::from(&b"key"[..]));
        assert!(set.contains(&b"key"[..]));
    }

    #[test]
    fn debug_format() {
        assert_eq!(format!("{:?}", Sds::from(&b"hi"[..])), "\"hi\"");
    }

    #[test]
    fn option_niche_and_moves() {
        let mut v: Vec<Option<Sds>> = Vec::new();
        for n in 0..60 {
            v.push(Some(Sds::from(&bytes(n, 9)[..])));
            v.push(None);
        }
        for (i, x) in v.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(x.as_deref(), Some(&bytes(i / 2, 9)[..]));
            } else {
                assert!(x.is_none());
            }
        }
        let taken: Vec<Sds> = v.into_iter().flatten().collect();
        assert_eq!(taken.len(), 60);
    }

    #[test]
    fn many_drops() {
        // Exercise alloc/free paths; leaks or double frees would show up under a checker.
        for round in 0..200 {
            let mut s = Sds::new();
            for i in 0..round {
                s.push_slice(&[i as u8; 3]);
                if i % 7 == 0 {
                    let c = s.clone();
                    assert_eq!(c, s);
                }
            }
            let v = s.clone().into_vec();
            assert_eq!(&v[..], &*s);
            let back = Sds::from(v);
            assert_eq!(back, s);
        }
    }
}
