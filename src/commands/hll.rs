//! HyperLogLog: PFADD PFCOUNT PFMERGE.
//!
//! The value is a string in Redis's HLL layout: a 16-byte header ("HYLL", encoding,
//! three unused bytes, a little-endian cached cardinality whose top bit marks it stale)
//! and 16384 six-bit registers. Elements are hashed with MurmurHash64A (Redis's seed),
//! and the cardinality uses Redis's estimator, so counts equal redis-server's for the same
//! elements. Both of Redis's encodings are read; ferrokv writes the dense one (a sparse
//! value is converted on its first write), which costs 12 KB per key but keeps every
//! update O(1).

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx};
use crate::error::{CmdResult, Error};
use crate::store::bytes::Sds;
use crate::store::{notify, Value};

pub const COMMANDS: &[CommandDef] = &[
    cmd("pfadd", -2, WRITE | DENYOOM | FAST, pfadd).keys(1, 1, 1).doc(
        "hyperloglog",
        "2.8.9",
        "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
        "key [element [element ...]]",
    ),
    cmd("pfcount", -2, READONLY | MAY_REPLICATE, pfcount).keys(1, -1, 1).doc(
        "hyperloglog",
        "2.8.9",
        "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
        "key [key ...]",
    ),
    cmd("pfmerge", -2, WRITE | DENYOOM, pfmerge).keys(1, -1, 1).doc(
        "hyperloglog",
        "2.8.9",
        "Merge N different HyperLogLogs into a single one.",
        "destkey sourcekey [sourcekey ...]",
    ),
];

const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTERS: usize = 1 << P;
const BITS: usize = 6;
const HDR: usize = 16;
const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

fn invalid() -> Error {
    Error::msg("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

/// Redis's MurmurHash64A with the seed HyperLogLog uses.
fn murmur64a(data: &[u8]) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h: u64 = 0xadc8_3b19u64 ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
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

fn get_reg(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = regs[byte] as u16;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> fb) | (b1 << (8 - fb))) & 63) as u8
}

fn set_reg(regs: &mut [u8], i: usize, v: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = v as u16;
    regs[byte] = ((regs[byte] as u16 & !(63u16 << fb)) | (v << fb)) as u8;
    if byte + 1 < regs.len() {
        let fb8 = 8 - fb;
        regs[byte + 1] = ((regs[byte + 1] as u16 & !(63u16 >> fb8)) | (v >> fb8)) as u8;
    }
}

/// Decodes any valid HLL string into one register value per register.
fn decode(s: &[u8]) -> Result<Vec<u8>, Error> {
    if s.len() < HDR || &s[..4] != b"HYLL" {
        return Err(invalid());
    }
    let mut regs = vec![0u8; REGISTERS];
    match s[4] {
        DENSE => {
            if s.len() != DENSE_SIZE {
                return Err(invalid());
            }
            for (i, r) in regs.iter_mut().enumerate() {
                *r = get_reg(&s[HDR..], i);
            }
        }
        SPARSE => {
            let mut idx = 0usize;
            let mut p = HDR;
            while p < s.len() {
                let op = s[p];
                let (run, val, used) = if op & 0xc0 == 0 {
                    ((op & 0x3f) as usize + 1, 0, 1)
                } else if op & 0xc0 == 0x40 {
                    let next = *s.get(p + 1).ok_or_else(invalid)? as usize;
                    ((((op & 0x3f) as usize) << 8 | next) + 1, 0, 2)
                } else {
                    ((op & 0x3) as usize + 1, ((op >> 2) & 0x1f) + 1, 1)
                };
                if idx + run > REGISTERS {
                    return Err(invalid());
                }
                regs[idx..idx + run].fill(val);
                idx += run;
                p += used;
            }
            if idx != REGISTERS {
                return Err(invalid());
            }
        }
        _ => return Err(invalid()),
    }
    Ok(regs)
}

/// Encodes registers as a dense HLL string with a stale cached cardinality.
fn encode_dense(regs: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; DENSE_SIZE];
    out[..4].copy_from_slice(b"HYLL");
    out[4] = DENSE;
    out[15] = 0x80;
    for (i, &r) in regs.iter().enumerate() {
        if r != 0 {
            set_reg(&mut out[HDR..], i, r);
        }
    }
    out
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

/// Redis's cardinality estimate from register values.
fn estimate(regs: &[u8]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs {
        histo[r as usize & 63] += 1;
    }
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The HLL string at `key`, if any; WRONGTYPE for other types.
fn lookup<'a>(ctx: &'a mut Ctx, key: &[u8], write: bool) -> Result<Option<&'a mut Sds>, Error> {
    let v = if write {
        ctx.store.lookup_write(key)
    } else {
        ctx.store.lookup_read(key)
    };
    match v {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(Error::WrongType),
    }
}

/// Makes sure the value is a dense HLL (converting a sparse one); returns it.
fn make_dense(s: &mut Sds) -> Result<(), Error> {
    let regs = decode(s)?;
    if s[4] != DENSE {
        *s = Sds::from_vec(encode_dense(&regs));
    }
    Ok(())
}

/// PFADD key [element ...]
fn pfadd(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let mut created = false;
    if lookup(ctx, key, true)?.is_none() {
        ctx.store.add(
            key,
            Value::Str(Sds::from_vec(encode_dense(&[0; REGISTERS]))),
        );
        created = true;
    }
    let Some(s) = lookup(ctx, key, true)? else {
        return Err(Error::NoSuchKey);
    };
    make_dense(s)?;
    let mut updated = false;
    {
        let regs = &mut s.as_mut_slice()[HDR..];
        for e in a.from(2) {
            let (i, count) = pattern(e);
            if get_reg(regs, i) < count {
                set_reg(regs, i, count);
                updated = true;
            }
        }
    }
    if updated {
        s.as_mut_slice()[15] |= 0x80;
    }
    if updated || created {
        ctx.store.signal_modified(key);
        ctx.store.notify(notify::STRING, "pfadd", key);
        ctx.store.dirty += 1;
    }
    ctx.reply.int((updated || created) as i64);
    Ok(())
}

/// PFCOUNT key [key ...]
fn pfcount(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if a.len() > 2 {
        let mut max = vec![0u8; REGISTERS];
        for k in a.from(1) {
            if let Some(s) = lookup(ctx, k, false)? {
                for (m, r) in max.iter_mut().zip(decode(s)?) {
                    *m = (*m).max(r);
                }
            }
        }
        ctx.reply.int(estimate(&max) as i64);
        return Ok(());
    }
    let key = a.get(1);
    let Some(s) = lookup(ctx, key, false)? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let regs = decode(s)?;
    if s[15] & 0x80 == 0 {
        let card = u64::from_le_bytes([s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]]);
        ctx.reply.int(card as i64);
        return Ok(());
    }
    let card = estimate(&regs);
    s.as_mut_slice()[8..16].copy_from_slice(&card.to_le_bytes());
    // Caching the count changes the string: it is propagated like a write, as in Redis.
    ctx.store.signal_modified(key);
    ctx.store.dirty += 1;
    ctx.reply.int(card as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]
fn pfmerge(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let dest = a.get(1);
    let mut max = vec![0u8; REGISTERS];
    for k in a.iter().skip(1) {
        if let Some(s) = lookup(ctx, k, true)? {
            for (m, r) in max.iter_mut().zip(decode(s)?) {
                *m = (*m).max(r);
            }
        }
    }
    ctx.store
        .set(dest, Value::Str(Sds::from_vec(encode_dense(&max))), true);
    ctx.store.notify(notify::STRING, "pfadd", dest);
    ctx.store.dirty += 1;
    ctx.reply.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn estimates_are_close() {
        let mut regs = vec![0u8; REGISTERS];
        for n in 0..100_000u32 {
            let (i, c) = pattern(n.to_string().as_bytes());
            regs[i] = regs[i].max(c);
        }
        let e = estimate(&regs) as f64;
        assert!((e - 100_000.0).abs() / 100_000.0 < 0.02, "{e}");
        assert_eq!(estimate(&[0u8; REGISTERS]), 0);
    }

    #[test]
    fn sparse_values_decode() {
        // HYLL sparse header + XZERO covering all registers.
        let mut s = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0".to_vec();
        s.extend_from_slice(&[0x7f, 0xff]);
        assert_eq!(decode(&s).unwrap(), vec![0u8; REGISTERS]);
        s.truncate(HDR);
        assert!(decode(&s).is_err());
    }
}
