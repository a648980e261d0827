//! The list value type: a deque of chunks, each chunk one contiguous byte buffer of
//! encoded entries (the role Redis's quicklist of listpacks plays).
//!
//! An entry is a header, a payload and a trailer. The header says what follows: a small
//! non-negative integer held in the header byte itself, an integer of 1 to 8 bytes, or a
//! string with its length; the trailer is the size of header + payload written so that it
//! can be read from its last byte backwards, which lets a chunk be walked in both
//! directions. Strings that are canonical integers ("12", "-7", never "012") are stored
//! as integers, as a listpack does, and read back as the same bytes. A chunk keeps its
//! entries in `buf[head..]`: popping at the front only moves `head`, and pushing at the
//! front writes into the room before `head` (grown geometrically when needed), so both
//! ends are O(1) amortised and memory per element is a few bytes of overhead, not a
//! pointer and an allocation. How full a chunk may get follows `list-max-listpack-size`
//! as Redis applies it to quicklist nodes: a negative value is a byte size (-1 4 KB ...
//! -5 64 KB), a positive one an entry count (with an 8 KB safety limit). Redis 7.0 always
//! reports such a list as "quicklist".

use crate::store::bytes::Sds;
use crate::util::num::parse_i64;
use std::collections::VecDeque;

/// Header: an integer 0..=127 in the header byte.
const UINT7_MAX: u8 = 0x7f;
/// Header `10llllll`: a string of up to 63 bytes.
const STR6: u8 = 0x80;
/// Header `110lllll llllllll`: a string of up to 8191 bytes.
const STR13: u8 = 0xc0;
/// Header `1110nnnn` (n = 1..=8): an integer of n little-endian bytes follows.
const INT_N: u8 = 0xe0;
/// Header 0xf0: a string whose length is the 4 little-endian bytes that follow.
const STR32: u8 = 0xf0;
/// Header 0xf1: a string whose length is the 8 little-endian bytes that follow.
const STR64: u8 = 0xf1;

/// Byte sizes of the `list-max-listpack-size` levels -1 .. -5.
const SIZE_LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// With a count limit, a chunk still never grows past this many bytes.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// The smallest buffer a chunk allocates.
const MIN_ALLOC: usize = 16;

/// How full a chunk may get (`list-max-listpack-size`, clamped to -5..=32768 as Redis
/// clamps the quicklist fill factor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill(i32);

impl Fill {
    pub fn new(list_max_listpack_size: i64) -> Fill {
        Fill(list_max_listpack_size.clamp(-5, 1 << 15) as i32)
    }

    /// The byte size a chunk aims at.
    fn bytes(self) -> usize {
        if self.0 < 0 {
            SIZE_LEVELS[(-self.0 - 1) as usize]
        } else {
            SIZE_SAFETY_LIMIT
        }
    }

    /// Whether a chunk of `used` bytes and `count` entries may take `add` more bytes.
    fn allows(self, used: usize, count: u32, add: usize) -> bool {
        let total = used.saturating_add(add);
        if self.0 < 0 {
            total <= self.bytes()
        } else {
            total <= SIZE_SAFETY_LIMIT && (count as i64) < self.0 as i64
        }
    }
}

impl Default for Fill {
    fn default() -> Fill {
        Fill(-2)
    }
}

/// One element as stored: bytes, or an integer that reads back as its decimal form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    /// Calls `f` with the element's bytes (an integer is formatted on the stack).
    #[inline]
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Elem::Str(s) => f(s),
            Elem::Int(v) => f(itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    pub fn to_vec(self) -> Vec<u8> {
        self.with_bytes(|b| b.to_vec())
    }

    pub fn to_sds(self) -> Sds {
        self.with_bytes(|b| Sds::from(b))
    }

    /// Whether the element equals `n` (compared as Redis's listpack compares).
    #[inline]
    pub fn matches(self, n: &Needle) -> bool {
        match self {
            Elem::Str(s) => s == n.bytes,
            Elem::Int(v) => n.int == Some(v),
        }
    }
}

/// A value searched for in a list, with its integer form worked out once.
#[derive(Clone, Copy, Debug)]
pub struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    pub fn new(bytes: &'a [u8]) -> Needle<'a> {
        Needle {
            bytes,
            int: parse_i64(bytes),
        }
    }
}

/// An entry ready to be written: header, payload, trailer.
struct Encoded<'a> {
    hdr: [u8; 9],
    hlen: usize,
    payload: &'a [u8],
    tail: [u8; 10],
    tlen: usize,
}

impl Encoded<'_> {
    #[inline]
    fn size(&self) -> usize {
        self.hlen + self.payload.len() + self.tlen
    }

    #[inline]
    fn write(&self, out: &mut [u8]) {
        let (h, rest) = out.split_at_mut(self.hlen);
        h.copy_from_slice(&self.hdr[..self.hlen]);
        let (p, t) = rest.split_at_mut(self.payload.len());
        p.copy_from_slice(self.payload);
        t.copy_from_slice(&self.tail[..self.tlen]);
    }

    #[inline]
    fn extend(&self, v: &mut Vec<u8>) {
        v.extend_from_slice(&self.hdr[..self.hlen]);
        v.extend_from_slice(self.payload);
        v.extend_from_slice(&self.tail[..self.tlen]);
    }

    fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.size());
        self.extend(&mut v);
        v
    }
}

/// Encodes one element.
#[inline]
fn encode(v: &[u8]) -> Encoded<'_> {
    let mut hdr = [0u8; 9];
    let hlen;
    let mut payload: &[u8] = &[];
    match parse_i64(v) {
        Some(i) if (0..=UINT7_MAX as i64).contains(&i) => {
            hdr[0] = i as u8;
            hlen = 1;
        }
        Some(i) => {
            let n = int_width(i);
            hdr[0] = INT_N | n as u8;
            hdr[1..=n].copy_from_slice(&i.to_le_bytes()[..n]);
            hlen = 1 + n;
        }
        None => {
            let len = v.len();
            if len < 64 {
                hdr[0] = STR6 | len as u8;
                hlen = 1;
            } else if len < 8192 {
                hdr[0] = STR13 | (len >> 8) as u8;
                hdr[1] = len as u8;
                hlen = 2;
            } else if let Ok(l32) = u32::try_from(len) {
                hdr[0] = STR32;
                hdr[1..5].copy_from_slice(&l32.to_le_bytes());
                hlen = 5;
            } else {
                hdr[0] = STR64;
                hdr[1..9].copy_from_slice(&(len as u64).to_le_bytes());
                hlen = 9;
            }
            payload = v;
        }
    }
    let (tail, tlen) = backlen(hlen + payload.len());
    Encoded {
        hdr,
        hlen,
        payload,
        tail,
        tlen,
    }
}

/// The fewest bytes holding `i` in two's complement.
#[inline]
fn int_width(i: i64) -> usize {
    let mut n = 1;
    while n < 8 {
        let bits = 8 * n as u32;
        let lo = -(1i64 << (bits - 1));
        let hi = (1i64 << (bits - 1)) - 1;
        if (lo..=hi).contains(&i) {
            return n;
        }
        n += 1;
    }
    8
}

/// The trailer for an entry whose header + payload is `l` bytes: 7 bits per byte, most
/// significant group first; every byte but the first has its high bit set, so reading
/// from the last byte backwards continues while the high bit is set.
#[inline]
fn backlen(mut l: usize) -> ([u8; 10], usize) {
    let mut groups = [0u8; 10];
    let mut n = 0;
    loop {
        groups[n] = (l & 0x7f) as u8;
        n += 1;
        l >>= 7;
        if l == 0 {
            break;
        }
    }
    // groups holds least significant first; write most significant first.
    let mut out = [0u8; 10];
    for i in 0..n {
        let g = groups[n - 1 - i];
        out[i] = if i == 0 { g } else { g | 0x80 };
    }
    (out, n)
}

/// Bytes a trailer takes for header + payload of `l` bytes.
#[inline]
fn backlen_size(l: usize) -> usize {
    let mut n = 1;
    let mut l = l >> 7;
    while l != 0 {
        n += 1;
        l >>= 7;
    }
    n
}

/// Decodes the entry starting at `p`: the element and the entry's whole size.
#[inline]
fn decode(d: &[u8], p: usize) -> (Elem<'_>, usize) {
    let h = d[p];
    let (elem, hp) = if h <= UINT7_MAX {
        (Elem::Int(h as i64), 1)
    } else if h & 0xc0 == STR6 {
        let len = (h & 0x3f) as usize;
        (Elem::Str(&d[p + 1..p + 1 + len]), 1 + len)
    } else if h & 0xe0 == STR13 {
        let len = (((h & 0x1f) as usize) << 8) | d[p + 1] as usize;
        (Elem::Str(&d[p + 2..p + 2 + len]), 2 + len)
    } else if h & 0xf0 == INT_N {
        let n = (h & 0x0f) as usize;
        let src = &d[p + 1..p + 1 + n];
        let fill = if src[n - 1] & 0x80 != 0 { 0xff } else { 0 };
        let mut b = [fill; 8];
        b[..n].copy_from_slice(src);
        (Elem::Int(i64::from_le_bytes(b)), 1 + n)
    } else if h == STR32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&d[p + 1..p + 5]);
        let len = u32::from_le_bytes(b) as usize;
        (Elem::Str(&d[p + 5..p + 5 + len]), 5 + len)
    } else {
        let mut b = [0u8; 8];
        b.copy_from_slice(&d[p + 1..p + 9]);
        let len = u64::from_le_bytes(b) as usize;
        (Elem::Str(&d[p + 9..p + 9 + len]), 9 + len)
    };
    (elem, hp + backlen_size(hp))
}

/// The start of the entry that ends at `end`.
#[inline]
fn start_before(d: &[u8], end: usize) -> usize {
    let mut p = end - 1;
    let mut l = (d[p] & 0x7f) as usize;
    let mut shift = 7;
    let mut n = 1;
    while d[p] & 0x80 != 0 {
        p -= 1;
        l |= ((d[p] & 0x7f) as usize) << shift;
        shift += 7;
        n += 1;
    }
    end - n - l
}

/// One run of entries in one buffer: the entries are `buf[head..]`.
#[derive(Clone, Debug, Default)]
struct Chunk {
    buf: Vec<u8>,
    head: u32,
    count: u32,
}

impl Chunk {
    fn with(e: &Encoded) -> Chunk {
        let mut buf = Vec::with_capacity(e.size().max(MIN_ALLOC));
        e.extend(&mut buf);
        Chunk {
            buf,
            head: 0,
            count: 1,
        }
    }

    #[inline]
    fn data(&self) -> &[u8] {
        &self.buf[self.head as usize..]
    }

    #[inline]
    fn used(&self) -> usize {
        self.buf.len() - self.head as usize
    }

    /// Moves the entries to the start of the buffer.
    fn compact(&mut self) {
        if self.head > 0 {
            self.buf.drain(..self.head as usize);
            self.head = 0;
        }
    }

    /// Gives memory back once three quarters of the buffer are unused (after pops), so
    /// a list that shrank does not keep its peak size.
    #[inline]
    fn maybe_shrink(&mut self) {
        let cap = self.buf.capacity();
        let used = self.used();
        if cap >= 256 && used * 4 < cap {
            self.compact();
            self.buf.shrink_to(used * 2);
        }
    }

    /// Drops the first `n` bytes of the entries.
    #[inline]
    fn advance(&mut self, n: usize) {
        let h = self.head as usize + n;
        match u32::try_from(h) {
            Ok(h) => self.head = h,
            Err(_) => {
                self.buf.drain(..h);
                self.head = 0;
            }
        }
    }

    /// Makes room for `n` more bytes at the back.
    fn reserve_back(&mut self, n: usize, hint: usize) {
        if self.buf.capacity() - self.buf.len() >= n {
            return;
        }
        let used = self.used();
        if self.head as usize >= used.max(n) {
            // The dead room at the front is at least as large as what is live.
            self.compact();
            if self.buf.capacity() - self.buf.len() >= n {
                return;
            }
        }
        let need = self.buf.len() + n;
        let target = need.max((self.buf.capacity() * 2).min(self.head as usize + hint));
        self.buf.reserve_exact(target - self.buf.len());
    }

    #[inline]
    fn push_back(&mut self, e: &Encoded, hint: usize) {
        self.reserve_back(e.size(), hint);
        e.extend(&mut self.buf);
        self.count += 1;
    }

    /// Prepends an entry. Callers only do this when the fill allows it, so the room
    /// made before the entries stays chunk-sized.
    #[inline]
    fn push_front(&mut self, e: &Encoded, hint: usize) {
        let n = e.size();
        if (self.head as usize) < n {
            // Grow the room before the entries geometrically (bounded by the chunk
            // size the fill aims at) so that repeated front pushes are amortised O(1).
            let used = self.used();
            let room = n.max(used.max(MIN_ALLOC).min(hint.saturating_sub(used)));
            let old_len = self.buf.len();
            let shift = room - self.head as usize;
            self.buf.reserve_exact(shift);
            self.buf.resize(old_len + shift, 0);
            self.buf
                .copy_within(self.head as usize..old_len, self.head as usize + shift);
            self.head = room as u32;
        }
        let start = self.head as usize - n;
        e.write(&mut self.buf[start..start + n]);
        self.head = start as u32;
        self.count += 1;
    }

    /// Inserts raw entry bytes at `off` (relative to the entries).
    fn insert_at(&mut self, off: usize, bytes: &[u8]) {
        let at = self.head as usize + off;
        self.buf.splice(at..at, bytes.iter().copied());
        self.count += 1;
    }

    /// Offset of entry `i` (0-based) of this chunk, walking from the nearer end.
    fn offset_of(&self, i: usize) -> usize {
        let d = self.data();
        let count = self.count as usize;
        if i <= count / 2 {
            let mut p = 0;
            for _ in 0..i {
                p += decode(d, p).1;
            }
            p
        } else {
            let mut p = d.len();
            for _ in 0..count - i {
                p = start_before(d, p);
            }
            p
        }
    }

    /// Splits off the entries from `off` on (entry index `i`) into a new chunk.
    fn split_off(&mut self, off: usize, i: usize) -> Chunk {
        let at = self.head as usize + off;
        let right = self.buf[at..].to_vec();
        self.buf.truncate(at);
        let rc = self.count - i as u32;
        self.count = i as u32;
        self.compact();
        self.buf.shrink_to_fit();
        Chunk {
            buf: right,
            head: 0,
            count: rc,
        }
    }
}

/// A list value.
#[derive(Clone, Debug, Default)]
pub struct List {
    chunks: VecDeque<Chunk>,
    len: usize,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name OBJECT ENCODING reports (Redis 7.0 has no other list encoding).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Bytes allocated for the list's contents.
    pub fn allocated_bytes(&self) -> usize {
        self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self.chunks.iter().map(|c| c.buf.capacity()).sum::<usize>()
    }

    /// Appends an element at the tail.
    #[inline]
    pub fn push_back(&mut self, v: &[u8], fill: Fill) {
        let e = encode(v);
        match self.chunks.back_mut() {
            Some(c) if fill.allows(c.used(), c.count, e.size()) => c.push_back(&e, fill.bytes()),
            _ => {
                if self.chunks.is_empty() && self.chunks.capacity() == 0 {
                    self.chunks.reserve_exact(1);
                }
                self.chunks.push_back(Chunk::with(&e))
            }
        }
        self.len += 1;
    }

    /// Prepends an element at the head.
    #[inline]
    pub fn push_front(&mut self, v: &[u8], fill: Fill) {
        let e = encode(v);
        match self.chunks.front_mut() {
            Some(c) if fill.allows(c.used(), c.count, e.size()) => c.push_front(&e, fill.bytes()),
            _ => {
                if self.chunks.is_empty() && self.chunks.capacity() == 0 {
                    self.chunks.reserve_exact(1);
                }
                self.chunks.push_front(Chunk::with(&e))
            }
        }
        self.len += 1;
    }

    /// Gives back the chunk slots of a list that shrank a lot.
    #[inline]
    fn chunks_shrunk(&mut self) {
        let cap = self.chunks.capacity();
        if cap >= 8 && self.chunks.len() * 4 < cap {
            self.chunks.shrink_to(self.chunks.len() * 2);
        }
    }

    /// Pushes at the head or the tail.
    #[inline]
    pub fn push(&mut self, v: &[u8], front: bool, fill: Fill) {
        if front {
            self.push_front(v, fill)
        } else {
            self.push_back(v, fill)
        }
    }

    pub fn front(&self) -> Option<Elem<'_>> {
        let c = self.chunks.front()?;
        Some(decode(c.data(), 0).0)
    }

    pub fn back(&self) -> Option<Elem<'_>> {
        let c = self.chunks.back()?;
        let d = c.data();
        Some(decode(d, start_before(d, d.len())).0)
    }

    /// The element at the head or the tail.
    pub fn end(&self, front: bool) -> Option<Elem<'_>> {
        if front {
            self.front()
        } else {
            self.back()
        }
    }

    /// Removes the head element (nothing when empty).
    pub fn drop_front(&mut self) {
        let Some(c) = self.chunks.front_mut() else {
            return;
        };
        if c.count == 1 {
            self.chunks.pop_front();
            self.chunks_shrunk();
        } else {
            let size = decode(c.data(), 0).1;
            c.advance(size);
            c.count -= 1;
            c.maybe_shrink();
        }
        self.len -= 1;
    }

    /// Removes the tail element (nothing when empty).
    pub fn drop_back(&mut self) {
        let Some(c) = self.chunks.back_mut() else {
            return;
        };
        if c.count == 1 {
            self.chunks.pop_back();
            self.chunks_shrunk();
        } else {
            let d = c.data();
            let start = start_before(d, d.len());
            let at = c.head as usize + start;
            c.buf.truncate(at);
            c.count -= 1;
            c.maybe_shrink();
        }
        self.len -= 1;
    }

    /// Pops the head or tail element as bytes.
    pub fn pop(&mut self, front: bool) -> Option<Vec<u8>> {
        let v = self.end(front)?.to_vec();
        if front {
            self.drop_front()
        } else {
            self.drop_back()
        }
        Some(v)
    }

    /// Removes the first `n` elements.
    pub fn remove_front(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(c) = self.chunks.front_mut() else {
                break;
            };
            if c.count as usize <= n {
                n -= c.count as usize;
                self.chunks.pop_front();
            } else {
                let off = c.offset_of(n);
                c.advance(off);
                c.count -= n as u32;
                c.maybe_shrink();
                n = 0;
            }
        }
        self.chunks_shrunk();
    }

    /// Removes the last `n` elements.
    pub fn remove_back(&mut self, mut n: usize) {
        n = n.min(self.len);
        self.len -= n;
        while n > 0 {
            let Some(c) = self.chunks.back_mut() else {
                break;
            };
            if c.count as usize <= n {
                n -= c.count as usize;
                self.chunks.pop_back();
            } else {
                let keep = c.count as usize - n;
                let off = c.offset_of(keep);
                let at = c.head as usize + off;
                c.buf.truncate(at);
                c.count = keep as u32;
                c.maybe_shrink();
                n = 0;
            }
        }
        self.chunks_shrunk();
    }

    /// Resolves a Redis index (negative counts from the tail) to a position.
    pub fn resolve(&self, index: i64) -> Option<usize> {
        let len = self.len as i64;
        let i = if index < 0 { len + index } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// (chunk, offset of the entry in the chunk's data, index in the chunk) of element `i`
    /// (which must be < len), walking from the nearer end.
    fn locate(&self, i: usize) -> (usize, usize, usize) {
        let mut ci;
        let mut local;
        if i < self.len / 2 {
            ci = 0;
            local = i;
            while local >= self.chunks[ci].count as usize {
                local -= self.chunks[ci].count as usize;
                ci += 1;
            }
        } else {
            ci = self.chunks.len() - 1;
            let mut from_end = self.len - 1 - i;
            while from_end >= self.chunks[ci].count as usize {
                from_end -= self.chunks[ci].count as usize;
                ci -= 1;
            }
            local = self.chunks[ci].count as usize - 1 - from_end;
        }
        (ci, self.chunks[ci].offset_of(local), local)
    }

    /// The element at a Redis index.
    pub fn get(&self, index: i64) -> Option<Elem<'_>> {
        let i = self.resolve(index)?;
        let (ci, off, _) = self.locate(i);
        Some(decode(self.chunks[ci].data(), off).0)
    }

    /// Replaces the element at a Redis index; false when out of range.
    pub fn set(&mut self, index: i64, v: &[u8], fill: Fill) -> bool {
        let Some(i) = self.resolve(index) else {
            return false;
        };
        let (ci, off, local) = self.locate(i);
        let e = encode(v);
        let c = &mut self.chunks[ci];
        let old = decode(c.data(), off).1;
        let at = c.head as usize + off;
        if old == e.size() {
            e.write(&mut c.buf[at..at + old]);
        } else {
            c.buf.splice(at..at + old, e.to_vec());
        }
        if c.count > 1 && !fill.allows(c.used(), 0, 0) {
            // Too big now: the replaced entry goes to a chunk of its own.
            let right = c.split_off(off + e.size(), local + 1);
            let mid = c.split_off(off, local);
            let mut at = ci + 1;
            for part in [mid, right] {
                if part.count > 0 {
                    self.chunks.insert(at, part);
                    at += 1;
                }
            }
            if self.chunks[ci].count == 0 {
                self.chunks.remove(ci);
            }
        }
        true
    }

    /// Inserts `v` so that it becomes element `i` (0 ..= len).
    pub fn insert(&mut self, i: usize, v: &[u8], fill: Fill) {
        if i == 0 {
            return self.push_front(v, fill);
        }
        if i >= self.len {
            return self.push_back(v, fill);
        }
        let (ci, off, local) = self.locate(i);
        let e = encode(v);
        let allows = |c: &Chunk| fill.allows(c.used(), c.count, e.size());
        if allows(&self.chunks[ci]) {
            self.chunks[ci].insert_at(off, &e.to_vec());
        } else if off == 0 && ci > 0 && allows(&self.chunks[ci - 1]) {
            self.chunks[ci - 1].push_back(&e, fill.bytes());
        } else if off == 0 {
            self.chunks.insert(ci, Chunk::with(&e));
        } else {
            // Split at the insertion point; the new entry joins whichever side has room,
            // or gets a chunk of its own between them.
            let mut right = self.chunks[ci].split_off(off, local);
            if allows(&self.chunks[ci]) {
                self.chunks[ci].push_back(&e, fill.bytes());
                self.chunks.insert(ci + 1, right);
            } else if allows(&right) {
                right.push_front(&e, fill.bytes());
                self.chunks.insert(ci + 1, right);
            } else {
                self.chunks.insert(ci + 1, right);
                self.chunks.insert(ci + 1, Chunk::with(&e));
            }
        }
        self.len += 1;
    }

    /// The position of the first element equal to `v`, from the head.
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        let n = Needle::new(v);
        self.iter().position(|e| e.matches(&n))
    }

    /// Removes elements equal to `v`: the first `count` from the head (count > 0), the
    /// last `-count` from the tail (count < 0), or all (0). Returns how many.
    pub fn remove_matching(&mut self, v: &[u8], count: i64, fill: Fill) -> usize {
        let n = Needle::new(v);
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs().min(usize::MAX as u64) as usize
        };
        let backwards = count < 0;
        let mut removed = 0;
        let mut spans: Vec<(usize, usize, bool)> = Vec::new();
        let nchunks = self.chunks.len();
        for k in 0..nchunks {
            if removed >= limit {
                break;
            }
            let ci = if backwards { nchunks - 1 - k } else { k };
            let c = &mut self.chunks[ci];
            spans.clear();
            let d = c.data();
            let mut p = 0;
            while p < d.len() {
                let (e, size) = decode(d, p);
                spans.push((p, size, e.matches(&n)));
                p += size;
            }
            let mut hits = 0;
            let mut mark = |s: &mut (usize, usize, bool)| {
                if s.2 {
                    if removed < limit {
                        removed += 1;
                        hits += 1;
                    } else {
                        s.2 = false;
                    }
                }
            };
            if backwards {
                spans.iter_mut().rev().for_each(&mut mark);
            } else {
                spans.iter_mut().for_each(&mut mark);
            }
            if hits == 0 {
                continue;
            }
            let mut out = Vec::with_capacity(c.used());
            for &(p, size, gone) in &spans {
                if !gone {
                    out.extend_from_slice(&d[p..p + size]);
                }
            }
            c.buf = out;
            c.head = 0;
            c.count -= hits;
        }
        if removed > 0 {
            self.len -= removed;
            self.chunks.retain(|c| c.count > 0);
            self.merge_small(fill);
            self.chunks_shrunk();
        }
        removed
    }

    /// Joins neighbouring chunks that fit together (after removals in the middle).
    fn merge_small(&mut self, fill: Fill) {
        let mut i = 1;
        while i < self.chunks.len() {
            let (a, b) = (&self.chunks[i - 1], &self.chunks[i]);
            let fits = if fill.0 < 0 {
                a.used() + b.used() <= fill.bytes()
            } else {
                a.used() + b.used() <= SIZE_SAFETY_LIMIT
                    && (a.count + b.count) as i64 <= fill.0 as i64
            };
            if fits {
                if let Some(b) = self.chunks.remove(i) {
                    let a = &mut self.chunks[i - 1];
                    a.compact();
                    a.buf.extend_from_slice(b.data());
                    a.count += b.count;
                }
            } else {
                i += 1;
            }
        }
    }

    /// Keeps only the elements from `ltrim` to `len - rtrim`.
    pub fn trim(&mut self, ltrim: usize, rtrim: usize) {
        self.remove_front(ltrim);
        self.remove_back(rtrim);
    }

    /// Elements from the head.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            list: self,
            ci: 0,
            off: 0,
            left: self.len,
        }
    }

    /// Elements from position `i` towards the tail.
    pub fn iter_from(&self, i: usize) -> Iter<'_> {
        if i >= self.len {
            return Iter {
                list: self,
                ci: self.chunks.len(),
                off: 0,
                left: 0,
            };
        }
        let (ci, off, _) = self.locate(i);
        Iter {
            list: self,
            ci,
            off,
            left: self.len - i,
        }
    }

    /// Elements from position `i` towards the head.
    pub fn iter_rev_from(&self, i: usize) -> RevIter<'_> {
        if i >= self.len {
            return RevIter {
                list: self,
                ci: 0,
                end: 0,
                left: 0,
            };
        }
        let (ci, off, _) = self.locate(i);
        let end = off + decode(self.chunks[ci].data(), off).1;
        RevIter {
            list: self,
            ci,
            end,
            left: i + 1,
        }
    }

    /// Elements from the tail.
    pub fn iter_rev(&self) -> RevIter<'_> {
        self.iter_rev_from(self.len.wrapping_sub(1))
    }

    /// Appends up to `n` elements from position `i` towards the tail to `out` as RESP bulk
    /// strings (`$<len>\r\n<bytes>\r\n`, the same in RESP2 and RESP3): the body of an
    /// LRANGE reply.
    ///
    /// This is what `iter_from` plus one encoder call per element produce, byte for
    /// byte, written straight from the chunks. Short strings and small integers (the
    /// common case) are written in runs into a zero-filled room past the end of `out`,
    /// through a local slice: a short string's header is stored whole and its payload
    /// copied as one fixed-size block when the chunk has that many bytes left, so an
    /// element costs a few moves and bounds checks instead of several `Vec` appends.
    pub fn write_bulks(&self, i: usize, n: usize, out: &mut Vec<u8>) {
        if i >= self.len || n == 0 {
            return;
        }
        let mut left = n.min(self.len - i);
        let (mut ci, mut off, _) = self.locate(i);
        // `out[..pos]` is the reply so far; `out[pos..]` is zero-filled room.
        let mut pos = out.len();
        while left > 0 {
            let Some(c) = self.chunks.get(ci) else {
                break;
            };
            let d = c.data();
            while left > 0 && off < d.len() {
                let run = left.min(BULK_RUN);
                if out.len() - pos < run * BULK_MAX_SHORT {
                    out.resize(pos + run * BULK_MAX_SHORT, 0);
                }
                let o = &mut out[pos..];
                let mut q = 0;
                let mut k = 0;
                while k < run && off < d.len() {
                    let h = d[off];
                    let Some(room) = o.get_mut(q..q + BULK_MAX_SHORT) else {
                        break;
                    };
                    let Ok(room) = <&mut [u8; BULK_MAX_SHORT]>::try_from(room) else {
                        break;
                    };
                    if h & 0xc0 == STR6 {
                        // A string of up to 63 bytes: header, payload, a 1-byte trailer.
                        let len = (h & 0x3f) as usize;
                        q += put_short(room, &d[off + 1..], len);
                        off += len + 2;
                    } else if h <= UINT7_MAX {
                        // An integer 0..=127: header and trailer, 2 bytes.
                        q += put_small_int(room, h);
                        off += 2;
                    } else {
                        break;
                    }
                    k += 1;
                }
                pos += q;
                left -= k;
                if k < run && off < d.len() {
                    // Any other entry, appended the plain way.
                    let (e, size) = decode(d, off);
                    out.truncate(pos);
                    match e {
                        Elem::Str(s) => put_bulk(out, s),
                        Elem::Int(v) => put_bulk(out, itoa::Buffer::new().format(v).as_bytes()),
                    }
                    pos = out.len();
                    off += size;
                    left -= 1;
                }
            }
            ci += 1;
            off = 0;
        }
        out.truncate(pos);
    }

    /// Builds a list from elements (tests, loading).
    pub fn from_iter<'a>(items: impl IntoIterator<Item = &'a [u8]>, fill: Fill) -> List {
        let mut l = List::new();
        for v in items {
            l.push_back(v, fill);
        }
        l
    }

    /// The commands that rebuild this list (AOF rewrite): RPUSH with up to 64 elements.
    pub fn rewrite_commands(&self, key: &[u8], mut emit: impl FnMut(Vec<Sds>)) {
        let mut it = self.iter().peekable();
        while it.peek().is_some() {
            let mut cmd = vec![Sds::from(&b"RPUSH"[..]), Sds::from(key)];
            for e in it.by_ref().take(64) {
                cmd.push(e.to_sds());
            }
            emit(cmd);
        }
    }
}

/// Elements `write_bulks` writes per room check.
const BULK_RUN: usize = 16;
/// The most room a short element may use: a 2-digit header, a 64-byte block copy and the
/// CRLF after the payload all fit.
const BULK_MAX_SHORT: usize = 80;

/// Writes a bulk string of `len` < 64 bytes found at the start of `src` (which may go on
/// past it) to the start of `o`, of which bytes past the element may be overwritten;
/// returns the element's size.
#[inline(always)]
fn put_short(o: &mut [u8; BULK_MAX_SHORT], src: &[u8], len: usize) -> usize {
    let len = len & 0x3f;
    // "$<len>\r\n" as one little-endian word.
    let hl = if len < 10 {
        let w = 0x0a0d_0024 | (b'0' as u32 + len as u32) << 8;
        o[..4].copy_from_slice(&w.to_le_bytes());
        4
    } else {
        let (t, u) = ((len / 10) as u64, (len % 10) as u64);
        let w = 0x0a_0d00_0024 | (b'0' as u64 + t) << 8 | (b'0' as u64 + u) << 16;
        o[..8].copy_from_slice(&w.to_le_bytes());
        5
    };
    // Copy a whole block when the source has one: a fixed-size copy is a couple of
    // moves, a variable one a call. What lands past `len` is overwritten or cut off.
    if len <= 16 && src.len() >= 16 {
        o[hl..hl + 16].copy_from_slice(&src[..16]);
    } else if src.len() >= 64 {
        o[hl..hl + 64].copy_from_slice(&src[..64]);
    } else {
        o[hl..hl + len].copy_from_slice(&src[..len]);
    }
    o[hl + len..hl + len + 2].copy_from_slice(b"\r\n");
    hl + len + 2
}

/// Writes the integer `v` (0..=127) as a bulk string to the start of `o`; returns the
/// element's size.
#[inline(always)]
fn put_small_int(o: &mut [u8; BULK_MAX_SHORT], v: u8) -> usize {
    let (h, t, u) = ((v / 100) as u64, ((v / 10) % 10) as u64, (v % 10) as u64);
    // "$<digits>\r\n<v>\r\n" as one little-endian word.
    let (w, n) = if v < 10 {
        (0x0a_0d00_0a0d_3124 | (0x30 + u) << 32, 7)
    } else if v < 100 {
        (
            0x0a0d_0000_0a0d_3224 | (0x30 + t) << 32 | (0x30 + u) << 40,
            8,
        )
    } else {
        (
            0x0d00_0000_0a0d_3324 | (0x30 + h) << 32 | (0x30 + t) << 40 | (0x30 + u) << 48,
            9,
        )
    };
    o[..8].copy_from_slice(&u64::to_le_bytes(w));
    o[8] = b'\n';
    n
}

/// Appends any bulk string to `out`.
fn put_bulk(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(itoa::Buffer::new().format(s.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// Iterator from head to tail.
pub struct Iter<'a> {
    list: &'a List,
    ci: usize,
    off: usize,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        if self.left == 0 {
            return None;
        }
        loop {
            let c = self.list.chunks.get(self.ci)?;
            let d = c.data();
            if self.off < d.len() {
                let (e, size) = decode(d, self.off);
                self.off += size;
                self.left -= 1;
                return Some(e);
            }
            self.ci += 1;
            self.off = 0;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Iterator from tail to head.
pub struct RevIter<'a> {
    list: &'a List,
    ci: usize,
    end: usize,
    left: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        if self.left == 0 {
            return None;
        }
        loop {
            let c = self.list.chunks.get(self.ci)?;
            if self.end > 0 {
                let d = c.data();
                let start = start_before(d, self.end);
                self.end = start;
                self.left -= 1;
                return Some(decode(d, start).0);
            }
            self.ci = self.ci.checked_sub(1)?;
            self.end = self.list.chunks[self.ci].used();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for RevIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    fn all_rev(l: &List) -> Vec<Vec<u8>> {
        l.iter_rev().map(|e| e.to_vec()).collect()
    }

    /// Checks the structure against a model.
    fn check(l: &List, model: &VecDeque<Vec<u8>>) {
        assert_eq!(l.len(), model.len());
        assert_eq!(
            l.chunks.iter().map(|c| c.count as usize).sum::<usize>(),
            l.len()
        );
        assert!(l.chunks.iter().all(|c| c.count > 0));
        let m: Vec<Vec<u8>> = model.iter().cloned().collect();
        assert_eq!(all(l), m);
        let mut r = m.clone();
        r.reverse();
        assert_eq!(all_rev(l), r);
        for (i, v) in m.iter().enumerate() {
            assert_eq!(l.get(i as i64).map(|e| e.to_vec()).as_ref(), Some(v));
        }
    }

    #[test]
    fn entries_round_trip() {
        let samples: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-1".to_vec(),
            b"-128".to_vec(),
            b"-129".to_vec(),
            b"32767".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"9223372036854775808".to_vec(),
            b"007".to_vec(),
            b"-0".to_vec(),
            b"+1".to_vec(),
            b" 1".to_vec(),
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 8191],
            vec![b'w'; 8192],
            vec![0, 255, 13, 10],
        ];
        let mut l = List::new();
        for s in &samples {
            l.push_back(s, Fill::default());
        }
        let got = all(&l);
        assert_eq!(got, samples);
        let mut rev = samples.clone();
        rev.reverse();
        assert_eq!(all_rev(&l), rev);
    }

    #[test]
    fn integers_are_compact() {
        assert_eq!(encode(b"5").size(), 2);
        assert_eq!(encode(b"xxx").size(), 5);
        assert_eq!(encode(b"1000").size(), 4);
        assert_eq!(encode(b"-1").size(), 3);
        assert_eq!(int_width(127), 1);
        assert_eq!(int_width(128), 2);
        assert_eq!(int_width(-128), 1);
        assert_eq!(int_width(i64::MIN), 8);
    }

    #[test]
    fn backlen_reads_back() {
        for l in [0usize, 1, 127, 128, 16383, 16384, 1 << 30, usize::MAX >> 1] {
            let (b, n) = backlen(l);
            assert_eq!(n, backlen_size(l));
            let mut d = vec![0u8; 3];
            d.extend_from_slice(&b[..n]);
            // start_before returns end - n - l; here we only check the decoded length.
            let end = d.len();
            let mut p = end - 1;
            let mut v = (d[p] & 0x7f) as usize;
            let mut shift = 7;
            while d[p] & 0x80 != 0 {
                p -= 1;
                v |= ((d[p] & 0x7f) as usize) << shift;
                shift += 7;
            }
            assert_eq!(v, l);
        }
    }

    #[test]
    fn push_pop_both_ends_across_chunks() {
        let mut l = List::new();
        let mut m = VecDeque::new();
        for i in 0..5000 {
            let v = format!("v{i}").into_bytes();
            if i % 3 == 0 {
                l.push_front(&v, Fill::default());
                m.push_front(v);
            } else {
                l.push_back(&v, Fill::default());
                m.push_back(v);
            }
        }
        assert!(l.chunks.len() > 1);
        check(&l, &m);
        for i in 0..4000 {
            let front = i % 2 == 0;
            let got = l.pop(front);
            let want = if front { m.pop_front() } else { m.pop_back() };
            assert_eq!(got, want);
        }
        check(&l, &m);
        while let Some(v) = l.pop(true) {
            assert_eq!(Some(v), m.pop_front());
        }
        assert!(l.is_empty());
        assert!(l.chunks.is_empty());
    }

    #[test]
    fn queue_use_keeps_one_small_chunk() {
        let mut l = List::new();
        for i in 0..100_000 {
            l.push_back(format!("job{i}").as_bytes(), Fill::default());
            if i >= 10 {
                l.drop_front();
            }
        }
        assert_eq!(l.len(), 10);
        assert_eq!(l.chunks.len(), 1);
        assert!(l.chunks[0].buf.capacity() <= 16384);
    }

    #[test]
    fn shrinking_gives_memory_back() {
        let mut l = List::new();
        for i in 0..100_000 {
            l.push_back(format!("element-{i}").as_bytes(), Fill::default());
        }
        let peak = l.allocated_bytes();
        while l.len() > 3 {
            l.drop_back();
        }
        assert!(
            l.allocated_bytes() < 1024,
            "{} of {peak}",
            l.allocated_bytes()
        );
        for i in 0..5000 {
            l.push_front(format!("e{i}").as_bytes(), Fill::default());
        }
        l.remove_front(4990);
        assert!(l.allocated_bytes() < 1024, "{}", l.allocated_bytes());
        assert_eq!(l.len(), 13);
    }

    #[test]
    fn count_fill_limits_entries_per_chunk() {
        let mut l = List::new();
        for i in 0..10 {
            l.push_back(format!("{i}").as_bytes(), Fill::new(3));
        }
        assert_eq!(
            l.chunks.iter().map(|c| c.count).collect::<Vec<_>>(),
            vec![3, 3, 3, 1]
        );
        let mut l = List::new();
        for i in 0..10 {
            l.push_front(format!("{i}").as_bytes(), Fill::new(0));
        }
        assert_eq!(l.chunks.len(), 10);
        assert_eq!(Fill::new(-100), Fill::new(-5));
    }

    #[test]
    fn big_elements_get_their_own_chunk() {
        let mut l = List::new();
        l.push_back(b"a", Fill::default());
        l.push_back(&vec![b'b'; 10000], Fill::default());
        l.push_back(b"c", Fill::default());
        assert_eq!(l.chunks.len(), 3);
        l.push_front(&vec![b'd'; 10000], Fill::default());
        assert_eq!(l.chunks.len(), 4);
        assert_eq!(l.get(0).map(|e| e.to_vec().len()), Some(10000));
    }

    #[test]
    fn index_set_insert_against_model() {
        let fill = Fill::new(-1);
        let mut l = List::new();
        let mut m: VecDeque<Vec<u8>> = VecDeque::new();
        for i in 0..3000 {
            let v = format!("element-{i}").into_bytes();
            l.push_back(&v, fill);
            m.push_back(v);
        }
        let mut seed = 7u64;
        let mut rnd = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        for step in 0..2000 {
            let i = rnd(m.len());
            match step % 4 {
                0 => {
                    let v = format!("set{step}").into_bytes();
                    assert!(l.set(i as i64, &v, fill));
                    m[i] = v;
                }
                1 => {
                    let v = if step % 8 == 1 {
                        vec![b'L'; 5000]
                    } else {
                        format!("{step}").into_bytes()
                    };
                    assert!(l.set(-(i as i64) - 1, &v, fill));
                    let j = m.len() - 1 - i;
                    m[j] = v;
                }
                _ => {
                    let v = format!("ins{step}").into_bytes();
                    l.insert(i, &v, fill);
                    m.insert(i, v);
                }
            }
        }
        check(&l, &m);
        assert!(!l.set(m.len() as i64, b"x", fill));
        assert!(!l.set(-(m.len() as i64) - 1, b"x", fill));
        assert_eq!(l.get(m.len() as i64), None);
        for i in [0usize, 1, 700, m.len() - 1] {
            let fwd: Vec<Vec<u8>> = l.iter_from(i).map(|e| e.to_vec()).collect();
            assert_eq!(fwd, m.iter().skip(i).cloned().collect::<Vec<_>>());
            let back: Vec<Vec<u8>> = l.iter_rev_from(i).map(|e| e.to_vec()).collect();
            let mut want: Vec<Vec<u8>> = m.iter().take(i + 1).cloned().collect();
            want.reverse();
            assert_eq!(back, want);
        }
    }

    #[test]
    fn remove_matching_and_trim() {
        let fill = Fill::new(-1);
        let mut l = List::new();
        let mut m: VecDeque<Vec<u8>> = VecDeque::new();
        for i in 0..5000 {
            let v = if i % 5 == 0 {
                b"42".to_vec()
            } else {
                format!("e{i}").into_bytes()
            };
            l.push_back(&v, fill);
            m.push_back(v);
        }
        // The first 3 from the head.
        assert_eq!(l.remove_matching(b"42", 3, fill), 3);
        let mut left = 3;
        m.retain(|v| {
            if v == b"42" && left > 0 {
                left -= 1;
                false
            } else {
                true
            }
        });
        check(&l, &m);
        // The last 4 from the tail.
        assert_eq!(l.remove_matching(b"42", -4, fill), 4);
        let mut idx: Vec<usize> = m
            .iter()
            .enumerate()
            .filter(|(_, v)| v.as_slice() == b"42")
            .map(|(i, _)| i)
            .collect();
        idx.reverse();
        for i in idx.into_iter().take(4) {
            m.remove(i);
        }
        check(&l, &m);
        // "042" is not the integer 42.
        assert_eq!(l.remove_matching(b"042", 0, fill), 0);
        let all42 = m.iter().filter(|v| v.as_slice() == b"42").count();
        assert_eq!(l.remove_matching(b"42", 0, fill), all42);
        m.retain(|v| v != b"42");
        check(&l, &m);
        l.trim(100, 200);
        for _ in 0..100 {
            m.pop_front();
        }
        for _ in 0..200 {
            m.pop_back();
        }
        check(&l, &m);
        let n = l.len();
        l.trim(n, 0);
        assert!(l.is_empty() && l.chunks.is_empty());
    }

    #[test]
    fn position_and_needles() {
        let l = List::from_iter([&b"a"[..], b"10", b"-5", b"010", b"10"], Fill::default());
        assert_eq!(l.position(b"10"), Some(1));
        assert_eq!(l.position(b"010"), Some(3));
        assert_eq!(l.position(b"-5"), Some(2));
        assert_eq!(l.position(b"5"), None);
        assert_eq!(l.get(-1), Some(Elem::Int(10)));
        assert_eq!(l.get(0), Some(Elem::Str(b"a")));
    }

    /// One step of the random model test.
    #[derive(Debug, Clone)]
    enum Op {
        Push(bool, Vec<u8>),
        Pop(bool),
        Set(usize, Vec<u8>),
        Insert(usize, Vec<u8>),
        RemoveMatching(Vec<u8>, i64),
        Trim(usize, usize),
        RemoveEnd(bool, usize),
    }

    fn value() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            (0i64..300).prop_map(|i| i.to_string().into_bytes()),
            any::<i64>().prop_map(|i| i.to_string().into_bytes()),
            prop::sample::select(vec![
                b"a".to_vec(),
                b"bb".to_vec(),
                b"010".to_vec(),
                Vec::new()
            ]),
            (0usize..3000).prop_map(|n| vec![b'x'; n]),
        ]
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (any::<bool>(), value()).prop_map(|(f, v)| Op::Push(f, v)),
            2 => any::<bool>().prop_map(Op::Pop),
            1 => (any::<usize>(), value()).prop_map(|(i, v)| Op::Set(i, v)),
            2 => (any::<usize>(), value()).prop_map(|(i, v)| Op::Insert(i, v)),
            1 => (value(), -3i64..3).prop_map(|(v, c)| Op::RemoveMatching(v, c)),
            1 => (0usize..5, 0usize..5).prop_map(|(a, b)| Op::Trim(a, b)),
            1 => (any::<bool>(), 0usize..40).prop_map(|(f, n)| Op::RemoveEnd(f, n)),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn behaves_like_a_deque(
            fill in proptest::sample::select(vec![-5i64, -2, -1, 0, 1, 2, 7]),
            ops in proptest::collection::vec(op(), 1..300),
        ) {
            let fill = Fill::new(fill);
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(front, v) => {
                        l.push(&v, front, fill);
                        if front { m.push_front(v) } else { m.push_back(v) }
                    }
                    Op::Pop(front) => {
                        let want = if front { m.pop_front() } else { m.pop_back() };
                        assert_eq!(l.pop(front), want);
                    }
                    Op::Set(i, v) => {
                        if m.is_empty() {
                            assert!(!l.set(0, &v, fill));
                        } else {
                            let i = i % m.len();
                            assert!(l.set(i as i64, &v, fill));
                            m[i] = v;
                        }
                    }
                    Op::Insert(i, v) => {
                        let i = i % (m.len() + 1);
                        l.insert(i, &v, fill);
                        m.insert(i, v);
                    }
                    Op::RemoveMatching(v, count) => {
                        let mut idx: Vec<usize> =
                            (0..m.len()).filter(|&i| m[i] == v).collect();
                        if count < 0 {
                            idx.reverse();
                        }
                        if count != 0 {
                            idx.truncate(count.unsigned_abs() as usize);
                        }
                        idx.sort_unstable();
                        for &i in idx.iter().rev() {
                            m.remove(i);
                        }
                        assert_eq!(l.remove_matching(&v, count, fill), idx.len());
                    }
                    Op::Trim(a, b) => {
                        let a = a.min(m.len());
                        let b = b.min(m.len() - a);
                        l.trim(a, b);
                        m.drain(..a);
                        for _ in 0..b {
                            m.pop_back();
                        }
                    }
                    Op::RemoveEnd(front, n) => {
                        let n = n.min(m.len());
                        if front {
                            l.remove_front(n);
                            m.drain(..n);
                        } else {
                            l.remove_back(n);
                            for _ in 0..n {
                                m.pop_back();
                            }
                        }
                    }
                }
                assert_eq!(l.len(), m.len());
            }
            check(&l, &m);
        }
    }

    /// What `write_bulks` must produce: the reply encoder's bulk string per element.
    fn bulks_via_iter(l: &List, i: usize, n: usize, prefix: &[u8]) -> Vec<u8> {
        let mut out = prefix.to_vec();
        let mut r = crate::resp::reply::Reply::new(&mut out, false);
        for e in l.iter_from(i).take(n) {
            e.with_bytes(|b| r.bulk(b));
        }
        out
    }

    #[test]
    fn write_bulks_every_entry_kind() {
        let mut vals: Vec<Vec<u8>> = Vec::new();
        for len in [
            0usize, 1, 3, 9, 10, 15, 16, 17, 63, 64, 99, 100, 2048, 2049, 8191, 8192, 70000,
        ] {
            vals.push(vec![b'v'; len]);
        }
        for i in [
            0i64,
            5,
            9,
            10,
            99,
            100,
            127,
            128,
            -1,
            -128,
            255,
            65535,
            i64::MIN,
            i64::MAX,
        ] {
            vals.push(i.to_string().into_bytes());
        }
        vals.push(b"007".to_vec());
        for fill in [Fill::new(-2), Fill::new(2)] {
            let l = List::from_iter(vals.iter().map(|v| v.as_slice()), fill);
            for i in 0..=l.len() + 1 {
                for n in [0usize, 1, 2, 5, l.len(), usize::MAX] {
                    let mut out = b"*9\r\n".to_vec();
                    l.write_bulks(i, n, &mut out);
                    assert_eq!(out, bulks_via_iter(&l, i, n, b"*9\r\n"), "i={i} n={n}");
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn write_bulks_matches_the_encoder(
            fill in proptest::sample::select(vec![-5i64, -1, 1, 3]),
            vals in proptest::collection::vec(value(), 0..200),
            front in proptest::collection::vec(proptest::bool::ANY, 200),
            i in 0usize..210,
            n in 0usize..210,
        ) {
            let fill = Fill::new(fill);
            let mut l = List::new();
            for (v, f) in vals.iter().zip(front.iter()) {
                l.push(v, *f, fill);
            }
            let mut out = Vec::new();
            l.write_bulks(i, n, &mut out);
            proptest::prop_assert_eq!(out, bulks_via_iter(&l, i, n, b""));
        }
    }

    #[test]
    fn rewrite_in_batches_of_64() {
        let mut l = List::new();
        for i in 0..130 {
            l.push_back(format!("{i}").as_bytes(), Fill::default());
        }
        let mut cmds = Vec::new();
        l.rewrite_commands(b"k", |c| cmds.push(c));
        assert_eq!(
            cmds.iter().map(|c| c.len()).collect::<Vec<_>>(),
            vec![66, 66, 4]
        );
        assert_eq!(&cmds[2][3][..], b"129");
    }
}
