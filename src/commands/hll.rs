//! HyperLogLog: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.
//!
//! The value is a string in Redis's HLL layout, so it is interchangeable with redis-server
//! (AOF, DUMP, GET/SET): a 16-byte header ("HYLL", the encoding, three unused bytes, a
//! little-endian cached cardinality whose top bit marks it stale) and the registers, in
//! one of two encodings. Sparse (what a new key gets): run-length opcodes ZERO `00xxxxxx`
//! (1-64 zero registers), XZERO `01xxxxxx yyyyyyyy` (1-16384 zero registers) and VAL
//! `1vvvvvxx` (1-4 registers holding 1-32), updated in place with the same splits and
//! merges as Redis so the bytes match redis-server's after the same commands. Dense: 16384
//! six-bit registers (12 KB), which a sparse value becomes once it would outgrow
//! `hll-sparse-max-bytes` or needs a register above 32. Elements are hashed with
//! MurmurHash64A (Redis's seed) and counted with Redis's estimator, so counts are equal.
//!
//! Any string can reach this code (a client may SET any bytes and then PFCOUNT them), so
//! nothing here indexes: `check` proves the header before the registers are read, and
//! every read past it goes through `get` or fixed-size chunks.

#![deny(clippy::indexing_slicing)]

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::store::bytes::Sds;
use crate::store::{notify, Value, ENC_RAW};

pub const COMMANDS: &[CommandDef] = &[
    cmd("pfadd", -2, WRITE | DENYOOM | FAST, pfadd)
        .docs(&docs::PFADD)
        .keys(1, 1, 1)
        .group(Group::HyperLogLog),
    cmd("pfcount", -2, READONLY | MAY_REPLICATE, pfcount)
        .docs(&docs::PFCOUNT)
        .keys(1, -1, 1)
        .group(Group::HyperLogLog),
    cmd("pfdebug", 3, WRITE | DENYOOM | ADMIN, pfdebug)
        .docs(&docs::PFDEBUG)
        .keys(2, 2, 1)
        .group(Group::HyperLogLog),
    cmd("pfmerge", -2, WRITE | DENYOOM, pfmerge)
        .docs(&docs::PFMERGE)
        .keys(1, -1, 1)
        .group(Group::HyperLogLog),
    cmd("pfselftest", 1, ADMIN, pfselftest)
        .docs(&docs::PFSELFTEST)
        .group(Group::HyperLogLog),
];

const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTERS: usize = 1 << P;
const HDR: usize = 16;
const DENSE_SIZE: usize = HDR + REGISTERS * 6 / 8;
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
/// Largest value a sparse VAL opcode holds; a larger register needs the dense encoding.
const SPARSE_VAL_MAX: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

fn invalid() -> Error {
    Error::msg("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

fn corrupt() -> Error {
    Error::msg("INVALIDOBJ Corrupted HLL object detected")
}

/// Redis's MurmurHash64A with the seed HyperLogLog uses.
fn murmur64a(data: &[u8]) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h: u64 = 0xadc8_3b19u64 ^ (data.len() as u64).wrapping_mul(M);
    let (chunks, rest) = data.as_chunks::<8>();
    for &c in chunks {
        let mut k = u64::from_le_bytes(c);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls in and the run length of its hash (Redis hllPatLen).
fn pattern(elem: &[u8]) -> (usize, u8) {
    let h = murmur64a(elem);
    let index = (h & (REGISTERS as u64 - 1)) as usize;
    let rest = (h >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---- dense registers: 6 bits each, least significant bits first ----

fn get_reg(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = regs.get(byte).copied().unwrap_or(0) as u16;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

fn set_reg(regs: &mut [u8], i: usize, v: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = v as u16;
    if let Some(b) = regs.get_mut(byte) {
        *b = ((*b as u16 & !(63u16 << fb)) | (v << fb)) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        let fb8 = 8 - fb;
        *b = ((*b as u16 & !(63u16 >> fb8)) | (v >> fb8)) as u8;
    }
}

/// Calls `f(index, value)` for every dense register (three bytes hold four registers).
fn dense_each(regs: &[u8], mut f: impl FnMut(usize, u8)) {
    for (n, &[c0, c1, c2]) in regs.as_chunks::<3>().0.iter().enumerate() {
        let w = c0 as u32 | (c1 as u32) << 8 | (c2 as u32) << 16;
        f(4 * n, (w & 63) as u8);
        f(4 * n + 1, (w >> 6 & 63) as u8);
        f(4 * n + 2, (w >> 12 & 63) as u8);
        f(4 * n + 3, (w >> 18 & 63) as u8);
    }
}

/// Sets a dense register to `count` if that raises it; true if it did.
fn dense_set(s: &mut [u8], index: usize, count: u8) -> bool {
    let regs = s.get_mut(HDR..).unwrap_or_default();
    if get_reg(regs, index) < count {
        set_reg(regs, index, count);
        true
    } else {
        false
    }
}

// ---- sparse opcodes ----

fn is_val(op: u8) -> bool {
    op & 0x80 != 0
}

fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}

fn val_op(value: u8, len: usize) -> u8 {
    0x80 | (value - 1) << 2 | (len as u8 - 1)
}

/// The opcode at `p` (< s.len()): run length, register value, bytes. The second byte of an
/// XZERO cut off by the end of the string reads as 0 (Redis reads its string terminator).
fn opcode(s: &[u8], p: usize) -> (usize, u8, usize) {
    let op = s.get(p).copied().unwrap_or(0);
    if op & 0xc0 == 0 {
        ((op & 0x3f) as usize + 1, 0, 1)
    } else if is_val(op) {
        ((op & 3) as usize + 1, ((op >> 2) & 0x1f) + 1, 1)
    } else {
        let lo = s.get(p + 1).copied().unwrap_or(0) as usize;
        ((((op & 0x3f) as usize) << 8 | lo) + 1, 0, 2)
    }
}

/// Appends the opcode for `len` zero registers (ZERO up to 64, XZERO above) to `seq`.
fn push_zeros(seq: &mut [u8; 5], n: &mut usize, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        let l = len - 1;
        push_op(seq, n, 0x40 | (l >> 8) as u8);
        push_op(seq, n, (l & 0xff) as u8);
    } else {
        push_op(seq, n, (len - 1) as u8);
    }
}

/// Appends one byte to `seq`. A split writes at most five (XZERO, VAL, XZERO), so the
/// buffer never fills; were it full, the byte would be dropped rather than panic.
fn push_op(seq: &mut [u8; 5], n: &mut usize, b: u8) {
    if let Some(slot) = seq.get_mut(*n) {
        *slot = b;
        *n += 1;
    }
}

/// Calls `f(first, run, value)` for every run of a sparse HLL string; false when the runs
/// do not cover exactly the 16384 registers (a corrupted value).
fn sparse_runs(s: &[u8], mut f: impl FnMut(usize, usize, u8)) -> bool {
    let mut p = HDR;
    let mut idx = 0usize;
    while p < s.len() {
        let (run, val, used) = opcode(s, p);
        if idx + run > REGISTERS {
            return false;
        }
        f(idx, run, val);
        idx += run;
        p += used;
    }
    idx == REGISTERS
}

/// A new, empty HLL: sparse, one XZERO opcode covering every register.
fn new_sparse() -> Sds {
    const HI: u8 = 0x40 | ((REGISTERS - 1) >> 8) as u8;
    const LO: u8 = ((REGISTERS - 1) & 0xff) as u8;
    const EMPTY: [u8; HDR + 2] = [
        b'H', b'Y', b'L', b'L', SPARSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, HI, LO,
    ];
    Sds::from(EMPTY.as_slice())
}

/// Converts a sparse value to dense (header, cached cardinality included, kept). Err for
/// a corrupted sparse value, which is left as it was.
fn to_dense(s: &mut Sds) -> Result<(), ()> {
    if !is_sparse(s) {
        return Ok(());
    }
    let mut d = Vec::with_capacity(DENSE_SIZE);
    d.extend_from_slice(s.get(..HDR).ok_or(())?);
    if let Some(enc) = d.get_mut(4) {
        *enc = DENSE;
    }
    d.resize(DENSE_SIZE, 0);
    let regs = d.get_mut(HDR..).unwrap_or_default();
    let ok = sparse_runs(s, |first, run, val| {
        if val != 0 {
            for i in first..first + run {
                set_reg(regs, i, val);
            }
        }
    });
    if !ok {
        return Err(());
    }
    *s = Sds::from_vec(d);
    Ok(())
}

/// What setting a sparse register did.
#[derive(Debug, PartialEq)]
enum SparseSet {
    Unchanged,
    Updated,
    /// The change needs the dense encoding (value above 32, or too long a string).
    Promote,
    Corrupt,
}

/// Raises register `index` of a sparse value to `count` in place, splitting the run that
/// holds it and merging equal VAL neighbours afterwards, exactly as Redis does.
fn sparse_set(s: &mut Sds, index: usize, count: u8, max_bytes: usize) -> SparseSet {
    if count > SPARSE_VAL_MAX {
        return SparseSet::Promote;
    }
    // Step 1: find the opcode covering the register, and the one before it.
    let len = s.len();
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev = None;
    let mut found = None;
    while p < len {
        let (run, val, used) = opcode(s, p);
        if index < first + run {
            found = Some((run, val, used));
            break;
        }
        prev = Some(p);
        p += used;
        first += run;
    }
    let Some((run, old, oplen)) = found else {
        return SparseSet::Corrupt;
    };
    // `p < len`: the loop stopped on this opcode.
    let op = s.get(p).copied().unwrap_or(0);
    // Step 2: trivial updates in place, or the split sequence replacing the opcode.
    if is_val(op) && old >= count {
        return SparseSet::Unchanged;
    }
    if run == 1 && !is_xzero(op) {
        if let Some(b) = s.as_mut_slice().get_mut(p) {
            *b = val_op(count, 1);
        }
    } else {
        let last = first + run - 1;
        let mut seq = [0u8; 5];
        let mut n = 0;
        if is_val(op) {
            if index != first {
                push_op(&mut seq, &mut n, val_op(old, index - first));
            }
            push_op(&mut seq, &mut n, val_op(count, 1));
            if index != last {
                push_op(&mut seq, &mut n, val_op(old, last - index));
            }
        } else {
            if index != first {
                push_zeros(&mut seq, &mut n, index - first);
            }
            push_op(&mut seq, &mut n, val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, &mut n, last - index);
            }
        }
        // Step 3: put the sequence in place of the opcode, moving the tail.
        if n > oplen && len + (n - oplen) > max_bytes {
            return SparseSet::Promote;
        }
        let tail = (p + oplen).min(len);
        let spliced = p + n + (len - tail);
        if spliced > len {
            s.resize(spliced, 0);
        }
        // In bounds: tail <= len, and the string now holds p + n + (len - tail) bytes.
        s.as_mut_slice().copy_within(tail..len, p + n);
        if let (Some(dst), Some(src)) = (s.as_mut_slice().get_mut(p..p + n), seq.get(..n)) {
            dst.copy_from_slice(src);
        }
        // An XZERO cut off by the end counted two bytes: Redis's length drops one more.
        s.truncate((len + n).saturating_sub(oplen));
    }
    // Step 4: merge adjacent VAL opcodes of equal value, up to five opcodes from `prev`.
    let mut p = prev.unwrap_or(HDR);
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        let end = s.len();
        let Some(&op) = s.get(p) else {
            break;
        };
        if is_xzero(op) {
            p += 2;
            continue;
        }
        if !is_val(op) {
            p += 1;
            continue;
        }
        if s.get(p + 1).is_some_and(|&next| is_val(next)) {
            let (l1, v1, _) = opcode(s, p);
            let (l2, v2, _) = opcode(s, p + 1);
            if v1 == v2 && l1 + l2 <= SPARSE_VAL_MAX_LEN {
                let buf = s.as_mut_slice();
                if let Some(b) = buf.get_mut(p + 1) {
                    *b = val_op(v1, l1 + l2);
                }
                // In bounds: p + 1 < end, the string's length.
                buf.copy_within(p + 1..end, p);
                s.truncate(end - 1);
                continue;
            }
        }
        p += 1;
    }
    invalidate(s);
    SparseSet::Updated
}

fn invalidate(s: &mut Sds) {
    if let Some(b) = s.as_mut_slice().get_mut(15) {
        *b |= 0x80;
    }
}

/// Raises register `index` to `count` in either encoding, promoting a sparse value to
/// dense when needed. Ok(true) if the register changed; Err for a corrupted value.
fn set_register(s: &mut Sds, index: usize, count: u8, max_bytes: usize) -> Result<bool, ()> {
    if is_dense(s) {
        return Ok(dense_set(s.as_mut_slice(), index, count));
    }
    match sparse_set(s, index, count, max_bytes) {
        SparseSet::Unchanged => Ok(false),
        SparseSet::Updated => Ok(true),
        SparseSet::Corrupt => Err(()),
        SparseSet::Promote => {
            to_dense(s)?;
            Ok(dense_set(s.as_mut_slice(), index, count))
        }
    }
}

/// Checks that a string is an HLL (Redis isHLLObjectOrReply): magic, known encoding,
/// exact dense size. A sparse body is only checked when it is walked.
fn check(s: &[u8]) -> Result<(), Error> {
    match s.get(..HDR) {
        Some([b'H', b'Y', b'L', b'L', enc, ..]) if *enc <= SPARSE => {}
        _ => return Err(invalid()),
    }
    if is_dense(s) && s.len() != DENSE_SIZE {
        return Err(invalid());
    }
    Ok(())
}

/// Whether an HLL string (checked, or at least five bytes long) is dense.
fn is_dense(s: &[u8]) -> bool {
    s.get(4) == Some(&DENSE)
}

/// Whether an HLL string (checked, or at least five bytes long) is sparse.
fn is_sparse(s: &[u8]) -> bool {
    s.get(4) == Some(&SPARSE)
}

/// The registers (or opcodes) after the header: empty for a string shorter than one.
fn body(s: &[u8]) -> &[u8] {
    s.get(HDR..).unwrap_or_default()
}

/// The header's cached cardinality word, bytes 8..16 little-endian (its top bit, the
/// top bit of byte 15, marks it stale); None for a string shorter than a header.
fn cached_word(s: &[u8]) -> Option<u64> {
    let b: [u8; 8] = s.get(8..HDR)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// Raises `max[i]` to register i of a checked HLL string; Err if it is corrupted.
fn merge_into(max: &mut [u8; REGISTERS], s: &[u8]) -> Result<(), Error> {
    if is_dense(s) {
        dense_each(body(s), |i, v| {
            if let Some(m) = max.get_mut(i) {
                *m = (*m).max(v);
            }
        });
        return Ok(());
    }
    let ok = sparse_runs(s, |first, run, val| {
        if val != 0 {
            // In range: sparse_runs only reports runs within the 16384 registers.
            for m in max.get_mut(first..first + run).unwrap_or_default() {
                *m = (*m).max(val);
            }
        }
    });
    if ok {
        Ok(())
    } else {
        Err(corrupt())
    }
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// Redis's cardinality estimate from the histogram of register values.
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let top = histo.get(Q as usize + 1).copied().unwrap_or(0);
    let mut z = m * tau((m - top as f64) / m);
    for &h in histo.get(1..=Q as usize).unwrap_or_default().iter().rev() {
        z += h as f64;
        z *= 0.5;
    }
    z += m * sigma(histo.first().copied().unwrap_or(0) as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The cardinality of a checked HLL string; None if it is corrupted.
fn count(s: &[u8]) -> Option<u64> {
    let mut histo = [0u32; 64];
    // `& 63` keeps every value below 64, the histogram's length.
    let mut add = |v: u8, n: u32| {
        if let Some(h) = histo.get_mut(v as usize & 63) {
            *h += n;
        }
    };
    if is_dense(s) {
        dense_each(body(s), |_, v| add(v, 1));
    } else if !sparse_runs(s, |_, run, val| add(val, run as u32)) {
        return None;
    }
    Some(estimate(&histo))
}

fn count_regs(max: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in max {
        if let Some(h) = histo.get_mut(r as usize & 63) {
            *h += 1;
        }
    }
    estimate(&histo)
}

/// The string at `key` for reading, if any; WRONGTYPE for other types.
fn read_str<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Sds>, Error> {
    match ctx.store.lookup_read(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

/// PFADD key [element [element ...]]
fn pfadd(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let max_bytes = ctx.config().hll_sparse_max_bytes;
    let mut updated = 0u64;
    let mut failed = false;
    let mut add_all = |s: &mut Sds| -> u64 {
        let mut n = 0;
        for e in a.from(2) {
            let (index, c) = pattern(e);
            match set_register(s, index, c, max_bytes) {
                Ok(true) => n += 1,
                Ok(false) => {}
                Err(()) => {
                    failed = true;
                    break;
                }
            }
        }
        if n > 0 {
            invalidate(s);
        }
        n
    };
    match ctx.store.lookup_write_meta_or_vacant(key) {
        Ok((Value::Str(s), meta)) => {
            check(s)?;
            *meta |= ENC_RAW;
            updated += add_all(s);
        }
        Ok(_) => return Err(Error::WrongType),
        Err(vacant) => {
            let mut s = new_sparse();
            add_all(&mut s);
            invalidate(&mut s);
            ctx.store.add_vacant(key, Value::Str(s), vacant);
            ctx.store.mark_encoding(key, ENC_RAW);
            updated += 1;
        }
    }
    if failed {
        return Err(corrupt());
    }
    if updated > 0 {
        ctx.store.modified_by(key, notify::STRING, "pfadd", updated);
    }
    ctx.reply.int((updated > 0) as i64);
    Ok(())
}

/// PFCOUNT key [key ...]
fn pfcount(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() > 2 {
        let mut max = [0u8; REGISTERS];
        for k in a.from(1) {
            if let Some(s) = read_str(ctx, k)? {
                check(s)?;
                merge_into(&mut max, s)?;
            }
        }
        ctx.reply.int(count_regs(&max) as i64);
        return Ok(());
    }
    let key = a.get(1);
    let Some(s) = read_str(ctx, key)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    check(s)?;
    let cached = cached_word(s).ok_or_else(invalid)?;
    if cached >> 63 == 0 {
        let card = cached;
        ctx.store.mark_encoding(key, ENC_RAW);
        ctx.reply.int(card as i64);
        return Ok(());
    }
    let card = count(s).ok_or_else(corrupt)?;
    if let Some(word) = s.as_mut_slice().get_mut(8..HDR) {
        word.copy_from_slice(&card.to_le_bytes());
    }
    ctx.store.mark_encoding(key, ENC_RAW);
    // Caching the count changes the string: it is propagated like a write (with no
    // event), as in Redis.
    ctx.store.modified_quietly(key);
    ctx.reply.int(card as i64);
    Ok(())
}

/// PFMERGE destkey sourcekey [sourcekey ...]
fn pfmerge(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let dest = a.get(1);
    let max_bytes = ctx.config().hll_sparse_max_bytes;
    let mut max = [0u8; REGISTERS];
    // The destination is a source too; a dense source makes the result dense.
    let mut use_dense = false;
    for k in a.from(1) {
        if let Some(s) = read_str(ctx, k)? {
            check(s)?;
            use_dense |= is_dense(s);
            merge_into(&mut max, s)?;
        }
    }
    let fill = |s: &mut Sds| -> Result<(), Error> {
        if use_dense {
            to_dense(s).map_err(|()| corrupt())?;
        }
        for (i, &m) in max.iter().enumerate() {
            if m != 0 {
                // The registers were all read above: a failure here cannot happen.
                let _ = set_register(s, i, m, max_bytes);
            }
        }
        invalidate(s);
        Ok(())
    };
    match ctx.store.lookup_write_meta_or_vacant(dest) {
        Ok((Value::Str(s), meta)) => {
            *meta |= ENC_RAW;
            fill(s)?;
        }
        Ok(_) => return Err(Error::WrongType),
        Err(vacant) => {
            let mut s = new_sparse();
            fill(&mut s)?;
            ctx.store.add_vacant(dest, Value::Str(s), vacant);
            ctx.store.mark_encoding(dest, ENC_RAW);
        }
    }
    ctx.store.modified(dest, notify::STRING, "pfadd");
    ctx.reply.ok();
    Ok(())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
fn pfdebug(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(2);
    let Some((v, meta)) = ctx.store.lookup_write_meta(key) else {
        return Err(Error::msg("ERR The specified key does not exist"));
    };
    let Value::Str(s) = v else {
        return Err(Error::WrongType);
    };
    check(s)?;
    *meta |= ENC_RAW;
    let mut converted = false;
    if a.is(1, "getreg") {
        if is_sparse(s) {
            to_dense(s).map_err(|()| corrupt())?;
            // The encoding changed: propagate it.
            converted = true;
        }
        ctx.reply.array(REGISTERS);
        let regs = body(s);
        for i in 0..REGISTERS {
            ctx.reply.int(get_reg(regs, i) as i64);
        }
    } else if a.is(1, "decode") {
        if !is_sparse(s) {
            return Err(Error::msg("ERR HLL encoding is not sparse"));
        }
        let mut out = String::new();
        let mut p = HDR;
        while p < s.len() {
            let (run, val, used) = opcode(s, p);
            let op = s.get(p).copied().unwrap_or(0);
            if is_val(op) {
                out.push_str(&format!("v:{val},{run} "));
            } else if is_xzero(op) {
                out.push_str(&format!("Z:{run} "));
            } else {
                out.push_str(&format!("z:{run} "));
            }
            p += used;
        }
        ctx.reply.bulk(out.trim_end().as_bytes());
    } else if a.is(1, "encoding") {
        ctx.reply
            .simple(if is_dense(s) { "dense" } else { "sparse" });
    } else if a.is(1, "todense") {
        let conv = is_sparse(s);
        if conv {
            to_dense(s).map_err(|()| corrupt())?;
            converted = true;
        }
        ctx.reply.int(conv as i64);
    } else {
        // Redis formats the name as a C string: it ends at a NUL, and newlines become spaces.
        let name = a.get(1);
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        let name: String = String::from_utf8_lossy(name)
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        return Err(Error::msg(format!(
            "ERR Unknown PFDEBUG subcommand '{name}'"
        )));
    }
    if converted {
        // Propagated (the encoding changed), with neither signal nor event, as in Redis.
        ctx.store.count_changes(1);
    }
    Ok(())
}

/// PFSELFTEST
fn pfselftest(ctx: &mut Ctx, _a: &Args) -> CmdResult {
    let seed = (ctx.store.now as u64) ^ 0x9e37_79b9_7f4a_7c15;
    selftest(1000, 10_000_000, ctx.config().hll_sparse_max_bytes, seed).map_err(Error::msg)?;
    ctx.reply.ok();
    Ok(())
}

/// xorshift64*: the random source of the self test.
fn next_rand(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

/// Redis's HLL self test: register access over `cycles` rounds of random values, then
/// `elements` distinct elements added to a dense and a sparse HLL, checking at every
/// power of ten that the sparse one stays sparse while small, that both agree, and that
/// the error stays within six standard errors. Err is the error reply.
fn selftest(cycles: u32, elements: u64, max_bytes: usize, seed: u64) -> Result<(), String> {
    let mut rng = seed | 1;
    let mut dense = b"HYLL".to_vec();
    dense.resize(DENSE_SIZE, 0);
    let mut bytes = [0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = (next_rand(&mut rng) & 63) as u8;
            *b = r;
            set_reg(dense.get_mut(HDR..).unwrap_or_default(), i, r);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = get_reg(body(&dense), i);
            if v != b {
                return Err(format!("TESTFAILED Register {i} should be {b} but is {v}"));
            }
        }
    }
    dense.get_mut(HDR..).unwrap_or_default().fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint = 1u64;
    let seed = next_rand(&mut rng);
    for j in 1..=elements {
        let ele = (j ^ seed).to_le_bytes();
        let (index, c) = pattern(&ele);
        dense_set(&mut dense, index, c);
        set_register(&mut sparse, index, c, max_bytes)
            .map_err(|()| "TESTFAILED sparse HLL corrupted".to_string())?;
        if j != checkpoint {
            continue;
        }
        if j < (max_bytes / 2) as u64 && !is_sparse(&sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = count(&dense).unwrap_or(0);
        if count(&sparse) != Some(card) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = checkpoint.abs_diff(card);
        let mut maxerr = (relerr * 6.0 * checkpoint as f64).ceil() as u64;
        if j == 10 {
            maxerr = 1;
        }
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const PFADD: Docs = Docs {
        name: "pfadd",
        summary: "Adds the specified elements to the specified HyperLogLog.",
        since: "2.8.9",
        complexity: "O(1) to add every element.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("element", Str).opt().multi(),
        ],
    };

    pub const PFCOUNT: Docs = Docs {
        name: "pfcount",
        summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        since: "2.8.9",
        complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0).multi(),
        ],
    };

    pub const PFDEBUG: Docs = Docs {
        name: "pfdebug",
        summary: "Internal commands for debugging HyperLogLog values",
        since: "2.8.9",
        complexity: "N/A",
        doc_flags: &["syscmd"],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("subcommand", Str), arg("key", Key).key_spec(0)],
    };

    pub const PFMERGE: Docs = Docs {
        name: "pfmerge",
        summary: "Merge N different HyperLogLogs into a single one.",
        since: "2.8.9",
        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("destkey", Key).key_spec(0),
            arg("sourcekey", Key).key_spec(1).multi(),
        ],
    };

    pub const PFSELFTEST: Docs = Docs {
        name: "pfselftest",
        summary: "An internal command for testing HyperLogLog values",
        since: "2.8.9",
        complexity: "N/A",
        doc_flags: &["syscmd"],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::commands::test_kit::Kit;

    const REDIS_ABC: &str = "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603";

    fn decode_str(s: &[u8]) -> String {
        let mut out = Vec::new();
        let mut p = HDR;
        while p < s.len() {
            let (run, val, used) = opcode(s, p);
            out.push(if is_val(s[p]) {
                format!("v:{val},{run}")
            } else if is_xzero(s[p]) {
                format!("Z:{run}")
            } else {
                format!("z:{run}")
            });
            p += used;
        }
        out.join(" ")
    }

    fn sparse_regs(s: &[u8]) -> Option<Vec<u8>> {
        let mut regs = vec![0u8; REGISTERS];
        sparse_runs(s, |first, run, val| regs[first..first + run].fill(val)).then_some(regs)
    }

    fn dense_regs(s: &[u8]) -> Vec<u8> {
        (0..REGISTERS).map(|i| get_reg(&s[HDR..], i)).collect()
    }

    fn sparse_with(body: &[u8]) -> Vec<u8> {
        let mut s = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
        s.extend_from_slice(body);
        s
    }

    #[test]
    fn registers_round_trip() {
        let mut regs = vec![0u8; 12288];
        for i in [0, 1, 2, 3, 100, 16383] {
            set_reg(&mut regs, i, (i % 63) as u8 + 1);
        }
        for i in [0, 1, 2, 3, 100, 16383] {
            assert_eq!(get_reg(&regs, i), (i % 63) as u8 + 1);
        }
        assert_eq!(get_reg(&regs, 4), 0);
        let mut seen = Vec::new();
        dense_each(&regs, |i, v| {
            if v != 0 {
                seen.push(i)
            }
        });
        assert_eq!(seen, [0, 1, 2, 3, 100, 16383]);
    }

    #[test]
    fn estimates_are_close() {
        let mut regs = [0u8; REGISTERS];
        for n in 0..100_000u32 {
            let (i, c) = pattern(n.to_string().as_bytes());
            regs[i] = regs[i].max(c);
        }
        let e = count_regs(&regs) as f64;
        assert!((e - 100_000.0).abs() / 100_000.0 < 0.02, "{e}");
        assert_eq!(count_regs(&[0u8; REGISTERS]), 0);
    }

    #[test]
    fn opcode_boundaries() {
        for (len, bytes) in [
            (1usize, &[0x00u8][..]),
            (64, &[0x3f]),
            (65, &[0x40, 0x40]),
            (16384, &[0x7f, 0xff]),
        ] {
            let mut seq = [0u8; 5];
            let mut n = 0;
            push_zeros(&mut seq, &mut n, len);
            assert_eq!(&seq[..n], bytes, "{len}");
            assert_eq!(opcode(bytes, 0), (len, 0, bytes.len()));
        }
        for (v, l) in [(1u8, 1usize), (32, 4), (7, 2)] {
            let op = val_op(v, l);
            assert_eq!(opcode(&[op], 0), (l, v, 1));
        }
        // The first and the last register, each alone in its run.
        let mut s = new_sparse();
        assert_eq!(sparse_set(&mut s, 0, 3, 3000), SparseSet::Updated);
        assert_eq!(sparse_set(&mut s, 16383, 5, 3000), SparseSet::Updated);
        assert_eq!(decode_str(&s), "v:3,1 Z:16382 v:5,1");
        // Zero runs of exactly 64 and 65 around a value.
        let mut s = new_sparse();
        sparse_set(&mut s, 64, 1, 3000);
        assert_eq!(decode_str(&s), "z:64 v:1,1 Z:16319");
        sparse_set(&mut s, 130, 1, 3000);
        assert_eq!(decode_str(&s), "z:64 v:1,1 Z:65 v:1,1 Z:16253");
    }

    #[test]
    fn sparse_round_trips_and_merges_runs() {
        let mut s = new_sparse();
        assert_eq!(s.len(), 18);
        assert_eq!(decode_str(&s), "Z:16384");
        // Five equal neighbours: runs are merged up to four registers.
        for i in 10..15 {
            assert_eq!(sparse_set(&mut s, i, 3, 3000), SparseSet::Updated);
        }
        assert_eq!(decode_str(&s), "z:10 v:3,4 v:3,1 Z:16369");
        // Not raising a register changes nothing; raising one inside a run splits it.
        assert_eq!(sparse_set(&mut s, 11, 2, 3000), SparseSet::Unchanged);
        assert_eq!(sparse_set(&mut s, 12, 9, 3000), SparseSet::Updated);
        assert_eq!(decode_str(&s), "z:10 v:3,2 v:9,1 v:3,2 Z:16369");
        let mut want = vec![0u8; REGISTERS];
        want[10..15].fill(3);
        want[12] = 9;
        assert_eq!(sparse_regs(&s).unwrap(), want);
        // Random registers: the sparse form always decodes to what was set, and its
        // dense conversion holds the same registers.
        let mut state = 7u64;
        let mut s = new_sparse();
        let mut want = vec![0u8; REGISTERS];
        for _ in 0..300 {
            let i = (next_rand(&mut state) % REGISTERS as u64) as usize;
            let v = (next_rand(&mut state) % 32) as u8 + 1;
            let changed = v > want[i];
            want[i] = want[i].max(v);
            assert_eq!(
                sparse_set(&mut s, i, v, 100_000),
                if changed {
                    SparseSet::Updated
                } else {
                    SparseSet::Unchanged
                }
            );
            assert_eq!(sparse_regs(&s).as_deref(), Some(&want[..]));
        }
        let mut d = s.clone();
        to_dense(&mut d).unwrap();
        assert_eq!(d.len(), DENSE_SIZE);
        assert_eq!(dense_regs(&d), want);
        assert_eq!(count(&d), count(&s));
    }

    #[test]
    fn promotion_on_size_and_value() {
        let mut s = new_sparse();
        assert_eq!(sparse_set(&mut s, 5, 33, 3000), SparseSet::Promote);
        assert_eq!(set_register(&mut s, 5, 33, 3000), Ok(true));
        assert_eq!(s.len(), DENSE_SIZE);
        assert_eq!(get_reg(&s[HDR..], 5), 33);
        // 18 bytes, then XZERO split into XZERO VAL XZERO: 21 > 20.
        let mut s = new_sparse();
        assert_eq!(sparse_set(&mut s, 5000, 1, 20), SparseSet::Promote);
        assert_eq!(s.len(), 18);
        assert_eq!(set_register(&mut s, 5000, 1, 20), Ok(true));
        assert_eq!(s[4], DENSE);
        let mut s = new_sparse();
        assert_eq!(sparse_set(&mut s, 5000, 1, 21), SparseSet::Updated);
        assert_eq!(s.len(), 21);
        // An update that does not grow the string never promotes.
        assert_eq!(sparse_set(&mut s, 5000, 2, 0), SparseSet::Updated);
        // Through PFADD and CONFIG.
        let mut k = Kit::new();
        k.core.config_mut().hll_sparse_max_bytes = 30;
        assert_eq!(k.r("PFADD h a b c"), ":1\r\n");
        assert_eq!(k.r("PFDEBUG ENCODING h"), "+sparse\r\n");
        assert_eq!(k.r("PFADD h d e f g"), ":1\r\n");
        assert_eq!(k.r("PFDEBUG ENCODING h"), "+dense\r\n");
        assert_eq!(k.get("h").len(), DENSE_SIZE);
    }

    #[test]
    fn corrupt_values_are_rejected() {
        // Header checks.
        for bad in [
            &b"HYLL\x01\0\0\0\0\0\0\0\0\0\0"[..],
            b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff",
            b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff",
            b"HYLL\0\0\0\0\0\0\0\0\0\0\0\0\x7f\xff",
        ] {
            assert!(check(bad).is_err());
        }
        assert!(check(&sparse_with(&[0x7f, 0xff])).is_ok());
        // Bodies: truncated XZERO, runs past 16384, too few registers, extra opcode.
        for body in [
            &[0x7f][..],
            &[0x7f, 0xff, 0x00],
            &[0x7f, 0xfe, 0x81],
            &[0x7f, 0xfe],
            &[],
        ] {
            let s = sparse_with(body);
            assert_eq!(count(&s), None, "{body:?}");
            assert!(merge_into(&mut [0; REGISTERS], &s).is_err());
            let mut t = Sds::from(&s[..]);
            assert_eq!(to_dense(&mut t), Err(()));
            assert_eq!(&t[..], &s[..]);
        }
        // A register beyond the opcodes cannot be set.
        let mut t = Sds::from(&sparse_with(&[0x00])[..]);
        assert_eq!(sparse_set(&mut t, 5, 1, 3000), SparseSet::Corrupt);
        // Through the commands: Redis's errors, never a panic.
        let mut k = Kit::new();
        k.put("s", b"notanhll");
        assert_eq!(
            k.r("PFADD s a"),
            "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
        );
        k.put("c", &sparse_with(&[0x7f, 0xfe, 0x81]));
        assert_eq!(
            k.r("PFCOUNT c"),
            "-INVALIDOBJ Corrupted HLL object detected\r\n"
        );
        assert_eq!(
            k.r("PFMERGE d c"),
            "-INVALIDOBJ Corrupted HLL object detected\r\n"
        );
        assert_eq!(
            k.r("PFDEBUG GETREG c"),
            "-INVALIDOBJ Corrupted HLL object detected\r\n"
        );
        k.put("t", &sparse_with(&[0x00]));
        assert_eq!(
            k.r("PFADD t a"),
            "-INVALIDOBJ Corrupted HLL object detected\r\n"
        );
        assert_eq!(k.r("PFDEBUG DECODE t"), "$3\r\nz:1\r\n");
    }

    #[test]
    fn commands_match_redis_bytes() {
        let mut k = Kit::new();
        assert_eq!(k.r("PFADD h a b c"), ":1\r\n");
        assert_eq!(
            k.r("PFDEBUG DECODE h"),
            format!("${}\r\n{REDIS_ABC}\r\n", REDIS_ABC.len())
        );
        let h = k.get("h");
        assert_eq!(&h[..16], b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80");
        // PFCOUNT caches the count in the header (a write), then reads it back.
        assert_eq!(k.r("PFCOUNT h"), ":3\r\n");
        assert_eq!(k.dirty, 1);
        assert_eq!(&k.get("h")[8..16], &3u64.to_le_bytes());
        assert_eq!(k.r("PFCOUNT h"), ":3\r\n");
        assert_eq!(k.dirty, 0);
        assert_eq!(k.r("PFADD h a"), ":0\r\n");
        assert_eq!(k.dirty, 0);
        // An empty PFADD creates the key with a stale count.
        assert_eq!(k.r("PFADD e"), ":1\r\n");
        assert_eq!(k.get("e"), b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff");
        // PFMERGE of sparse sources stays sparse; a dense source makes it dense.
        assert_eq!(k.r("PFMERGE m h e"), "+OK\r\n");
        assert_eq!(k.r("PFDEBUG ENCODING m"), "+sparse\r\n");
        assert_eq!(k.get("m")[16..], h[16..]);
        assert_eq!(k.r("PFDEBUG TODENSE e"), ":1\r\n");
        assert_eq!(k.r("PFDEBUG TODENSE e"), ":0\r\n");
        assert_eq!(k.r("PFMERGE m2 h e"), "+OK\r\n");
        assert_eq!(k.r("PFDEBUG ENCODING m2"), "+dense\r\n");
        assert_eq!(k.r("PFCOUNT m2 m h"), ":3\r\n");
        assert_eq!(
            k.r("PFDEBUG DECODE m2"),
            "-ERR HLL encoding is not sparse\r\n"
        );
        assert_eq!(
            k.r("PFDEBUG FOO m2"),
            "-ERR Unknown PFDEBUG subcommand 'FOO'\r\n"
        );
        assert_eq!(
            k.r("PFDEBUG FOO nosuch"),
            "-ERR The specified key does not exist\r\n"
        );
        let regs = k.r("PFDEBUG GETREG h");
        assert!(regs.starts_with("*16384\r\n"));
        assert_eq!(regs.matches(":0\r\n").count(), 16381);
        assert_eq!(k.r("PFDEBUG ENCODING h"), "+dense\r\n");
    }

    #[test]
    fn self_test_passes() {
        assert_eq!(selftest(3, 20_000, 3000, 42), Ok(()));
    }
}
