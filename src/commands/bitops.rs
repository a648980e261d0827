//! Bitmaps: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
//!
//! Bitmaps are strings; bit 0 is the most significant bit of the first byte. Writing
//! past the end grows the string with zero bytes, up to proto-max-bulk-len.
//!
//! A bitmap is whatever string a client stored, of any length: every read of it goes
//! through `get` or a range checked once.

#![deny(clippy::indexing_slicing)]

use super::flags::*;
use super::{cmd, Args, CommandDef, Ctx, Cursor, Group};
use crate::error::{CmdResult, Error};
use crate::store::bytes::Sds;
use crate::store::{notify, Value, ENC_RAW};
use crate::util::num::parse_i64;

pub const COMMANDS: &[CommandDef] = &[
    cmd("setbit", 4, WRITE | DENYOOM, setbit)
        .docs(&docs::SETBIT)
        .keys(1, 1, 1)
        .group(Group::Bitmap),
    cmd("getbit", 3, READONLY | FAST, getbit)
        .docs(&docs::GETBIT)
        .keys(1, 1, 1)
        .group(Group::Bitmap),
    cmd("bitcount", -2, READONLY, bitcount)
        .docs(&docs::BITCOUNT)
        .keys(1, 1, 1)
        .group(Group::Bitmap),
    cmd("bitpos", -3, READONLY, bitpos)
        .docs(&docs::BITPOS)
        .keys(1, 1, 1)
        .group(Group::Bitmap),
    cmd("bitop", -4, WRITE | DENYOOM, bitop)
        .docs(&docs::BITOP)
        .keys(2, -1, 1)
        .group(Group::Bitmap),
    cmd("bitfield", -2, WRITE | DENYOOM, bitfield)
        .docs(&docs::BITFIELD)
        .keys(1, 1, 1)
        .group(Group::Bitmap),
    cmd("bitfield_ro", -2, READONLY | FAST, bitfield_ro)
        .docs(&docs::BITFIELD_RO)
        .keys(1, 1, 1)
        .group(Group::Bitmap),
];

fn bad_offset() -> Error {
    Error::msg("ERR bit offset is not an integer or out of range")
}

/// A bit offset argument; with `hash_bits`, a `#n` offset means n times the field width.
fn parse_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, Error> {
    let (digits, mult) = match (arg.split_first(), hash_bits) {
        (Some((b'#', rest)), Some(bits)) => (rest, bits as i64),
        _ => (arg, 1),
    };
    let v = parse_i64(digits).ok_or_else(bad_offset)?;
    let v = v.checked_mul(mult).ok_or_else(bad_offset)?;
    if v < 0 || (v as u64 >> 3) >= ctx.config().proto_max_bulk_len {
        return Err(bad_offset());
    }
    Ok(v as u64)
}

/// The string at `key` for a bit write, created or grown to hold `max_bit`.
fn string_for_write<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    max_bit: u64,
) -> Result<(&'a mut Sds, bool), Error> {
    let need = (max_bit >> 3) as usize + 1;
    let mut grown = false;
    if ctx.store.lookup_write(key).is_none() {
        ctx.store.add(key, Value::Str(Sds::new()));
        grown = true;
    }
    match ctx.store.lookup_write(key) {
        Some(Value::Str(s)) => {
            if s.len() < need {
                s.resize(need, 0);
                grown = true;
            }
            Ok((s, grown))
        }
        Some(_) => Err(Error::WrongType),
        None => Err(Error::NoSuchKey),
    }
}

/// Reads a key that must be a string (or absent) for a bit read.
fn read_string<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a [u8]>, Error> {
    match ctx.store.lookup_read(key) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.as_slice())),
        Some(_) => Err(Error::WrongType),
    }
}

/// SETBIT key offset value
fn setbit(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let key = a.get(1);
    let offset = parse_offset(ctx, a.get(2), None)?;
    let on = match parse_i64(a.get(3)) {
        Some(v @ (0 | 1)) => v as u8,
        _ => return Err(Error::msg("ERR bit is not an integer or out of range")),
    };
    if matches!(ctx.store.lookup_write(key), Some(v) if !matches!(v, Value::Str(_))) {
        return Err(Error::WrongType);
    }
    let (s, grown) = string_for_write(ctx, key, offset)?;
    let byte = (offset >> 3) as usize;
    let bit = 7 - (offset & 7) as u8;
    // string_for_write grew the string to hold the byte.
    let Some(b) = s.as_mut_slice().get_mut(byte) else {
        return Err(bad_offset());
    };
    let old = (*b >> bit) & 1;
    *b = (*b & !(1 << bit)) | (on << bit);
    ctx.store.mark_encoding(key, ENC_RAW);
    // A change only when the key was created or grown or the bit flipped, as in Redis.
    if grown || old != on {
        ctx.store.modified(key, notify::STRING, "setbit");
    }
    ctx.reply.int(old as i64);
    Ok(())
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let offset = parse_offset(ctx, a.get(2), None)?;
    let bit = match read_string(ctx, a.get(1))? {
        Some(s) => {
            let byte = (offset >> 3) as usize;
            s.get(byte).map_or(0, |b| (b >> (7 - (offset & 7))) & 1)
        }
        None => 0,
    };
    ctx.reply.int(bit as i64);
    Ok(())
}

/// A byte range from start/end arguments, normalised as Redis does. For BIT ranges the
/// masks clear the bits of the edge bytes that lie outside the range.
struct Range {
    start: i64,
    end: i64,
    first_mask: u8,
    last_mask: u8,
}

fn normalize(mut start: i64, mut end: i64, len: i64, is_bit: bool) -> Range {
    let total = if is_bit { len << 3 } else { len };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if is_bit && start <= end {
        first_mask = !((1u16 << (8 - (start & 7))) - 1) as u8;
        last_mask = ((1u16 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    Range {
        start,
        end,
        first_mask,
        last_mask,
    }
}

/// The optional `BYTE | BIT` that closes a range (the last argument): true for BIT;
/// anything else there is a syntax error.
fn parse_unit(c: &mut Cursor) -> Result<bool, Error> {
    match c.next() {
        None => Ok(false),
        Some(w) if w.eq_ignore_ascii_case(b"bit") => Ok(true),
        Some(w) if w.eq_ignore_ascii_case(b"byte") => Ok(false),
        Some(_) => Err(Error::Syntax),
    }
}

fn popcount(b: &[u8]) -> i64 {
    b.iter().map(|x| x.count_ones() as i64).sum()
}

/// BITCOUNT key [start end [BYTE|BIT]]
fn bitcount(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let Some(s) = read_string(ctx, a.get(1))? else {
        ctx.reply.int(0);
        return Ok(());
    };
    let len = s.len() as i64;
    let mut c = a.cursor(2);
    let r = match c.remaining() {
        0 => Range {
            start: 0,
            end: len - 1,
            first_mask: 0,
            last_mask: 0,
        },
        2 | 3 => {
            let start = c.i64()?;
            let end = c.i64()?;
            let is_bit = parse_unit(&mut c)?;
            if start < 0 && end < 0 && start > end {
                ctx.reply.int(0);
                return Ok(());
            }
            normalize(start, end, len, is_bit)
        }
        _ => return Err(Error::Syntax),
    };
    if r.start > r.end {
        ctx.reply.int(0);
        return Ok(());
    }
    let (st, en) = (r.start as usize, r.end as usize);
    // normalize keeps the range within the string.
    let Some(span) = s.get(st..=en) else {
        ctx.reply.int(0);
        return Ok(());
    };
    let mut count = popcount(span);
    if let Some(&first) = span.first().filter(|_| r.first_mask != 0) {
        count -= (first & r.first_mask).count_ones() as i64;
    }
    if let Some(&last) = span.last().filter(|_| r.last_mask != 0) {
        count -= (last & r.last_mask).count_ones() as i64;
    }
    ctx.reply.int(count);
    Ok(())
}

/// Position of the first bit equal to `bit` in `b`; for bit 0 with none found, the
/// position just past the end; for bit 1 with none found, -1.
fn first_bit(b: &[u8], bit: u8) -> i64 {
    for (i, &x) in b.iter().enumerate() {
        let v = if bit == 1 { x } else { !x };
        if v != 0 {
            return (i as i64) * 8 + v.leading_zeros() as i64;
        }
    }
    if bit == 1 {
        -1
    } else {
        (b.len() as i64) * 8
    }
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
fn bitpos(ctx: &mut Ctx, a: &Args) -> CmdResult {
    let bit = match parse_i64(a.get(2)) {
        Some(v @ (0 | 1)) => v as u8,
        Some(_) => return Err(Error::msg("ERR The bit argument must be 1 or 0.")),
        None => return Err(Error::NotInteger),
    };
    let Some(s) = read_string(ctx, a.get(1))? else {
        ctx.reply.int(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    let len = s.len() as i64;
    let mut end_given = false;
    let mut c = a.cursor(3);
    let r = match c.remaining() {
        0 => Range {
            start: 0,
            end: len - 1,
            first_mask: 0,
            last_mask: 0,
        },
        1..=3 => {
            let start = c.i64()?;
            // The unit is checked before the end is parsed, as Redis does.
            let end_arg = c.next();
            let is_bit = parse_unit(&mut c)?;
            let end = if let Some(e) = end_arg {
                end_given = true;
                parse_i64(e).ok_or(Error::NotInteger)?
            } else if is_bit {
                (len << 3) + 7
            } else {
                len - 1
            };
            normalize(start, end, len, is_bit)
        }
        _ => return Err(Error::Syntax),
    };
    if r.start > r.end {
        ctx.reply.int(-1);
        return Ok(());
    }
    // Clear (looking for 1) or set (looking for 0) the edge bits outside a BIT range,
    // then search the range as one run of bytes.
    let (st, en) = (r.start as usize, r.end as usize);
    // normalize keeps the range within the string.
    let Some(range) = s.get(st..=en) else {
        ctx.reply.int(-1);
        return Ok(());
    };
    let mut span: Vec<u8>;
    let bytes: &[u8] = if r.first_mask != 0 || r.last_mask != 0 {
        span = range.to_vec();
        // The range is not empty: first and last exist (and are one byte when st == en).
        if let Some(b) = span.first_mut() {
            if bit == 1 {
                *b &= !r.first_mask;
            } else {
                *b |= r.first_mask;
            }
        }
        if let Some(b) = span.last_mut() {
            if bit == 1 {
                *b &= !r.last_mask;
            } else {
                *b |= r.last_mask;
            }
        }
        &span
    } else {
        range
    };
    let nbits = (bytes.len() as i64) * 8;
    let pos = first_bit(bytes, bit);
    if end_given && bit == 0 && pos == nbits {
        ctx.reply.int(-1);
        return Ok(());
    }
    ctx.reply
        .int(if pos == -1 { -1 } else { pos + (r.start << 3) });
    Ok(())
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
fn bitop(ctx: &mut Ctx, a: &Args) -> CmdResult {
    #[derive(PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = if a.is(1, "and") {
        Op::And
    } else if a.is(1, "or") {
        Op::Or
    } else if a.is(1, "xor") {
        Op::Xor
    } else if a.is(1, "not") {
        Op::Not
    } else {
        return Err(Error::Syntax);
    };
    if op == Op::Not && a.len() != 4 {
        return Err(Error::msg(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let dest = a.get(2);
    let mut srcs: Vec<Option<Vec<u8>>> = Vec::with_capacity(a.len() - 3);
    for k in a.from(3) {
        srcs.push(read_string(ctx, k)?.map(|s| s.to_vec()));
    }
    let maxlen = srcs
        .iter()
        .map(|s| s.as_ref().map_or(0, |v| v.len()))
        .max()
        .unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    for (i, out) in res.iter_mut().enumerate() {
        let byte = |s: &Option<Vec<u8>>| s.as_ref().and_then(|v| v.get(i)).copied().unwrap_or(0);
        *out = match op {
            Op::Not => !srcs.first().map_or(0, byte),
            Op::And => srcs.iter().fold(0xff, |acc, s| acc & byte(s)),
            Op::Or => srcs.iter().fold(0, |acc, s| acc | byte(s)),
            Op::Xor => srcs.iter().fold(0, |acc, s| acc ^ byte(s)),
        };
    }
    if maxlen > 0 {
        ctx.store.set(dest, Value::Str(Sds::from_vec(res)), false);
        ctx.store.mark_encoding(dest, ENC_RAW);
        ctx.store.modified(dest, notify::STRING, "set");
    } else {
        ctx.store.delete(dest);
    }
    ctx.reply.int(maxlen as i64);
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    Incr,
}

struct Field {
    op: FieldOp,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

fn parse_type(arg: &[u8]) -> Result<(bool, u32), Error> {
    let err = || {
        Error::msg("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
    };
    let (signed, digits) = match arg.split_first() {
        Some((b'i' | b'I', rest)) => (true, rest),
        Some((b'u' | b'U', rest)) => (false, rest),
        _ => return Err(err()),
    };
    let bits = parse_i64(digits).ok_or_else(err)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(err());
    }
    Ok((signed, bits as u32))
}

fn get_unsigned(p: &[u8], mut offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for _ in 0..bits {
        let byte = (offset >> 3) as usize;
        let b = p.get(byte).copied().unwrap_or(0);
        v = (v << 1) | ((b >> (7 - (offset & 7))) & 1) as u64;
        offset += 1;
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

fn set_bits(p: &mut [u8], mut offset: u64, bits: u32, value: u64) {
    for j in 0..bits {
        let bitval = ((value >> (bits - 1 - j)) & 1) as u8;
        let byte = (offset >> 3) as usize;
        let bit = 7 - (offset & 7) as u8;
        if let Some(b) = p.get_mut(byte) {
            *b = (*b & !(1 << bit)) | (bitval << bit);
        }
        offset += 1;
    }
}

/// Signed overflow handling: Some(new value) or None when FAIL applies.
fn signed_result(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = max.wrapping_sub(value);
    let minincr = min.wrapping_sub(value);
    let over =
        value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr);
    let under = !over
        && (value < min
            || (bits != 64 && incr < minincr)
            || (value < 0 && incr < 0 && incr < minincr));
    if !over && !under {
        return Some(value.wrapping_add(incr));
    }
    match ow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if over { max } else { min }),
        Overflow::Wrap => {
            let mut c = (value as u64).wrapping_add(incr as u64);
            if bits < 64 {
                let mask = u64::MAX << bits;
                if c & (1u64 << (bits - 1)) != 0 {
                    c |= mask;
                } else {
                    c &= !mask;
                }
            }
            Some(c as i64)
        }
    }
}

/// Unsigned overflow handling: Some(new value) or None when FAIL applies.
fn unsigned_result(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max: u64 = (1u64 << bits) - 1;
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let over = value > max || (incr > 0 && incr > maxincr);
    let under = !over && incr < 0 && incr < minincr;
    if !over && !under {
        return Some(value.wrapping_add(incr as u64));
    }
    match ow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if over { max } else { 0 }),
        Overflow::Wrap => Some(value.wrapping_add(incr as u64) & !(u64::MAX << bits)),
    }
}

fn bitfield_generic(ctx: &mut Ctx, a: &Args, read_only: bool) -> CmdResult {
    let key = a.get(1);
    let mut ops: Vec<Field> = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut highest: u64 = 0;
    let mut writes = false;
    let mut c = a.cursor(2);
    while !c.is_done() {
        let op = if c.eat_with("get", 2) {
            FieldOp::Get
        } else if c.eat_with("set", 3) {
            FieldOp::Set
        } else if c.eat_with("incrby", 3) {
            FieldOp::Incr
        } else if c.eat_with("overflow", 1) {
            const KINDS: &[(&str, Overflow)] = &[
                ("wrap", Overflow::Wrap),
                ("sat", Overflow::Sat),
                ("fail", Overflow::Fail),
            ];
            overflow = c
                .keyword(KINDS)
                .ok_or_else(|| Error::msg("ERR Invalid OVERFLOW type specified"))?;
            continue;
        } else {
            return Err(Error::Syntax);
        };
        let (signed, bits) = parse_type(c.arg()?)?;
        let offset = parse_offset(ctx, c.arg()?, Some(bits))?;
        let mut value = 0;
        if op != FieldOp::Get {
            writes = true;
            highest = highest.max(offset + bits as u64 - 1);
            value = c.i64()?;
        }
        ops.push(Field {
            op,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
    }

    // BITFIELD_RO refuses a write subcommand once all of them parsed, as Redis does.
    if read_only && writes {
        return Err(Error::msg(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    if !writes {
        let s = read_string(ctx, key)?.unwrap_or(&[]).to_vec();
        ctx.reply.array(ops.len());
        for f in &ops {
            if f.signed {
                ctx.reply.int(get_signed(&s, f.offset, f.bits));
            } else {
                ctx.reply.int(get_unsigned(&s, f.offset, f.bits) as i64);
            }
        }
        return Ok(());
    }

    if matches!(ctx.store.lookup_write(key), Some(v) if !matches!(v, Value::Str(_))) {
        return Err(Error::WrongType);
    }
    // Each SET or INCRBY counts as a change when the value differs or the key was created
    // or grown (Redis's rule, for dirty and the event alike).
    let (s, grown) = string_for_write(ctx, key, highest)?;
    let mut results: Vec<Option<i64>> = Vec::with_capacity(ops.len());
    let mut changes = 0;
    for f in &ops {
        let p = s.as_mut_slice();
        match f.op {
            FieldOp::Get => results.push(Some(if f.signed {
                get_signed(p, f.offset, f.bits)
            } else {
                get_unsigned(p, f.offset, f.bits) as i64
            })),
            FieldOp::Set | FieldOp::Incr => {
                let incr = f.op == FieldOp::Incr;
                if f.signed {
                    let old = get_signed(p, f.offset, f.bits);
                    let r = if incr {
                        signed_result(old, f.value, f.bits, f.overflow)
                    } else {
                        signed_result(f.value, 0, f.bits, f.overflow)
                    };
                    match r {
                        Some(new) => {
                            set_bits(p, f.offset, f.bits, new as u64);
                            results.push(Some(if incr { new } else { old }));
                            changes += u64::from(grown || new != old);
                        }
                        None => results.push(None),
                    }
                } else {
                    let old = get_unsigned(p, f.offset, f.bits);
                    let r = if incr {
                        unsigned_result(old, f.value, f.bits, f.overflow)
                    } else {
                        unsigned_result(f.value as u64, 0, f.bits, f.overflow)
                    };
                    match r {
                        Some(new) => {
                            set_bits(p, f.offset, f.bits, new);
                            results.push(Some(if incr { new as i64 } else { old as i64 }));
                            changes += u64::from(grown || new != old);
                        }
                        None => results.push(None),
                    }
                }
            }
        }
    }
    ctx.store.mark_encoding(key, ENC_RAW);
    if changes > 0 {
        ctx.store
            .modified_by(key, notify::STRING, "setbit", changes);
    }
    ctx.reply.array(results.len());
    for r in results {
        match r {
            Some(v) => ctx.reply.int(v),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset incr | OVERFLOW WRAP|SAT|FAIL ...]
fn bitfield(ctx: &mut Ctx, a: &Args) -> CmdResult {
    bitfield_generic(ctx, a, false)
}

/// BITFIELD_RO key [GET type offset ...]
fn bitfield_ro(ctx: &mut Ctx, a: &Args) -> CmdResult {
    bitfield_generic(ctx, a, true)
}

// @generated begin: COMMAND DOCS of this family's rows, from redis-server 7.0.15
// by scripts/gen_command_docs.py. Do not edit: run the script after adding a row.
mod docs {
    use crate::commands::docs::ArgType::*;
    use crate::commands::docs::{arg, Docs};

    pub const BITCOUNT: Docs = Docs {
        name: "bitcount",
        summary: "Count set bits in a string",
        since: "2.6.0",
        complexity: "O(N)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("index", Block).opt().args(&[
                arg("start", Int),
                arg("end", Int),
                arg("index_unit", OneOf).since("7.0.0").opt().args(&[
                    arg("byte", PureToken).token("BYTE"),
                    arg("bit", PureToken).token("BIT"),
                ]),
            ]),
        ],
    };

    pub const BITFIELD: Docs = Docs {
        name: "bitfield",
        summary: "Perform arbitrary bitfield integer operations on strings",
        since: "3.2.0",
        complexity: "O(1) for each subcommand specified",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("operation", OneOf).opt().multi().args(&[
                arg("encoding_offset", Block)
                    .token("GET")
                    .args(&[arg("encoding", Str), arg("offset", Int)]),
                arg("write", Block).args(&[
                    arg("wrap_sat_fail", OneOf).token("OVERFLOW").opt().args(&[
                        arg("wrap", PureToken).token("WRAP"),
                        arg("sat", PureToken).token("SAT"),
                        arg("fail", PureToken).token("FAIL"),
                    ]),
                    arg("write_operation", OneOf).args(&[
                        arg("encoding_offset_value", Block).token("SET").args(&[
                            arg("encoding", Str),
                            arg("offset", Int),
                            arg("value", Int),
                        ]),
                        arg("encoding_offset_increment", Block)
                            .token("INCRBY")
                            .args(&[
                                arg("encoding", Str),
                                arg("offset", Int),
                                arg("increment", Int),
                            ]),
                    ]),
                ]),
            ]),
        ],
    };

    pub const BITFIELD_RO: Docs = Docs {
        name: "bitfield_ro",
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        since: "6.0.0",
        complexity: "O(1) for each subcommand specified",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("encoding_offset", Block).token("GET").opt().multi().multi_token().args(&[
                arg("encoding", Str),
                arg("offset", Int),
            ]),
        ],
    };

    pub const BITOP: Docs = Docs {
        name: "bitop",
        summary: "Perform bitwise operations between strings",
        since: "2.6.0",
        complexity: "O(N)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("operation", Str),
            arg("destkey", Key).key_spec(0),
            arg("key", Key).key_spec(1).multi(),
        ],
    };

    pub const BITPOS: Docs = Docs {
        name: "bitpos",
        summary: "Find first bit set or clear in a string",
        since: "2.8.7",
        complexity: "O(N)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[("7.0.0", "Added the `BYTE|BIT` option.")],
        args: &[
            arg("key", Key).key_spec(0),
            arg("bit", Int),
            arg("index", Block).opt().args(&[
                arg("start", Int),
                arg("end_index", Block).opt().args(&[
                    arg("end", Int),
                    arg("index_unit", OneOf).since("7.0.0").opt().args(&[
                        arg("byte", PureToken).token("BYTE"),
                        arg("bit", PureToken).token("BIT"),
                    ]),
                ]),
            ]),
        ],
    };

    pub const GETBIT: Docs = Docs {
        name: "getbit",
        summary: "Returns the bit value at offset in the string value stored at key",
        since: "2.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[arg("key", Key).key_spec(0), arg("offset", Int)],
    };

    pub const SETBIT: Docs = Docs {
        name: "setbit",
        summary: "Sets or clears the bit at offset in the string value stored at key",
        since: "2.2.0",
        complexity: "O(1)",
        doc_flags: &[],
        deprecated_since: "",
        replaced_by: "",
        history: &[],
        args: &[
            arg("key", Key).key_spec(0),
            arg("offset", Int),
            arg("value", Int),
        ],
    };
}
// @generated end: COMMAND DOCS

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_changes_nothing_is_not_a_change() {
        use crate::commands::test_kit::Kit;
        let mut k = Kit::new();
        // (command, dirty, a setbit event and signal) as redis-server 7.0.15 counts them.
        for (cmd, dirty, changed) in [
            ("setbit b 3 1", 1, true),
            ("setbit b 3 1", 0, false),
            ("bitfield b set u8 0 17", 1, true),
            ("bitfield b set u8 0 17 set u8 0 17", 0, false),
            ("bitfield b set u8 0 18 set u8 0 17", 2, true),
            ("bitfield b set u8 8 0", 1, true),
            ("bitfield b incrby u8 0 0", 0, false),
            ("bitfield b overflow fail incrby u8 0 300", 0, false),
            ("setbit b 100 0", 1, true),
            ("bitfield b set u8 300 0 set u8 0 17", 2, true),
            ("bitfield nk set u8 0 0", 1, true),
        ] {
            k.run(cmd);
            assert_eq!(k.dirty, dirty, "{cmd}");
            assert_eq!(k.events().contains(&"setbit"), changed, "{cmd}");
            assert_eq!(!k.touched_keys().is_empty(), changed, "{cmd}");
        }
    }

    #[test]
    fn bitfield_reads_and_writes_big_endian_bits() {
        let mut p = vec![0u8; 4];
        set_bits(&mut p, 0, 8, 0xab);
        assert_eq!(p[0], 0xab);
        assert_eq!(get_unsigned(&p, 0, 4), 0xa);
        assert_eq!(get_signed(&p, 0, 4), -6);
        set_bits(&mut p, 5, 5, 0b10101);
        assert_eq!(get_unsigned(&p, 5, 5), 0b10101);
    }

    #[test]
    fn overflow_modes() {
        assert_eq!(signed_result(127, 1, 8, Overflow::Wrap), Some(-128));
        assert_eq!(signed_result(127, 1, 8, Overflow::Sat), Some(127));
        assert_eq!(signed_result(127, 1, 8, Overflow::Fail), None);
        assert_eq!(signed_result(-128, -1, 8, Overflow::Sat), Some(-128));
        assert_eq!(unsigned_result(255, 1, 8, Overflow::Wrap), Some(0));
        assert_eq!(unsigned_result(0, -1, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_result(300, 0, 8, Overflow::Wrap), Some(44));
        assert_eq!(
            signed_result(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
    }

    #[test]
    fn first_bit_positions() {
        assert_eq!(first_bit(&[0x00, 0x10], 1), 11);
        assert_eq!(first_bit(&[0xff], 0), 8);
        assert_eq!(first_bit(&[0x00], 1), -1);
    }
}
