//! LZF, the compression Redis applies to RDB strings (liblzf 3.6 as Redis ships it).
//!
//! Compression makes exactly the choices Redis's `lzf_compress` makes (hash of three
//! bytes into a 2^16-slot table, the same match test and extension, the same rehash
//! after a match, 32-byte literal runs, the same output-size checks), so a payload we
//! write is byte-identical to Redis's: DUMP output can be compared and checksummed.
//! Redis leaves its table uninitialised; ours starts empty, which is what Redis's
//! output is in practice (a stale slot rarely points at a matching earlier byte).
//!
//! Decompression checks every read and write: corrupt input is an error, never a panic
//! or a write outside the output.
//!
//! The format: `000LLLLL` + L+1 literal bytes; `LLLooooo oooooooo` a back reference of
//! L+2 bytes at distance o+1; `111ooooo LLLLLLLL oooooooo` the same with length L+9.

#![deny(clippy::indexing_slicing)]

use std::cell::RefCell;
use std::fmt;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// Why a stream did not decompress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The output would be longer than the length it was declared with.
    TooLong,
    /// The output is shorter than declared.
    TooShort,
    /// A literal run or a back reference reads past the end of the input.
    Truncated,
    /// A back reference points before the start of the output.
    BadReference,
}

impl fmt::Display for LzfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LzfError::TooLong => "LZF output longer than declared",
            LzfError::TooShort => "LZF output shorter than declared",
            LzfError::Truncated => "LZF input truncated",
            LzfError::BadReference => "LZF back reference out of range",
        })
    }
}

impl std::error::Error for LzfError {}

/// liblzf's hash slot for the three bytes in the low 24 bits of `h` (its `VERY_FAST`
/// variant). Only the low 24 bits of `h` influence the slot.
#[inline(always)]
fn slot(h: u32) -> usize {
    ((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5)) & (HSIZE as u32 - 1)) as usize
}

/// The hash table, reused between calls: a slot holds `epoch << 32 | position` and is
/// empty unless its epoch is the current one, so a call costs no clearing of the table
/// (Redis's would cost nothing either: it leaves the table uninitialised).
struct Table {
    epoch: u32,
    slots: Vec<u64>,
}

impl Table {
    fn new() -> Table {
        Table {
            epoch: 0,
            slots: vec![0; HSIZE],
        }
    }

    fn start(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.slots.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
    }

    /// Stores `pos` in `slot`, returning what was there.
    fn swap(&mut self, slot: usize, pos: usize) -> Option<usize> {
        let entry = self.slots.get_mut(slot)?;
        let old = *entry;
        *entry = (u64::from(self.epoch) << 32) | pos as u64;
        ((old >> 32) as u32 == self.epoch).then_some((old & 0xffff_ffff) as usize)
    }
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::new());
}

/// Compresses `input` with no limit on the output (empty for empty input).
pub fn compress(input: &[u8]) -> Vec<u8> {
    compress_bounded(input, usize::MAX).unwrap_or_default()
}

/// Compresses `input` as `lzf_compress(in, len, out, out_len)` does: `None` when it
/// gives up because the output would not fit in `out_len` bytes (checked at the same
/// points as liblzf, so it gives up exactly when Redis does), when either length is 0,
/// or when `input` is 4 GiB or more (liblzf's lengths are 32-bit).
pub fn compress_bounded(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_len == 0 || input.len() >= u32::MAX as usize {
        return None;
    }
    TABLE.with(|t| match t.try_borrow_mut() {
        Ok(mut table) => compress_with(&mut table, input, out_len),
        Err(_) => compress_with(&mut Table::new(), input, out_len),
    })
}

/// The output under construction: literal runs get a placeholder header byte that is
/// filled in (or dropped when the run stays empty) when the run ends.
struct Out {
    bytes: Vec<u8>,
    /// Index of the current run's header.
    header: usize,
    /// Literal bytes in the current run.
    lit: usize,
}

impl Out {
    fn start_run(&mut self) {
        self.lit = 0;
        self.header = self.bytes.len();
        self.bytes.push(0);
    }

    /// Ends the current run: writes its header, or removes it when the run is empty.
    fn stop_run(&mut self) {
        if self.lit == 0 {
            self.bytes.pop();
        } else if let Some(h) = self.bytes.get_mut(self.header) {
            *h = (self.lit - 1) as u8;
        }
    }

    fn literal(&mut self, b: u8) {
        self.lit += 1;
        self.bytes.push(b);
        if self.lit == MAX_LIT {
            self.stop_run();
            self.start_run();
        }
    }
}

fn compress_with(table: &mut Table, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let n = input.len();
    let at = |i: usize| input.get(i).copied().unwrap_or(0);
    let first = |i: usize| (u32::from(at(i)) << 8) | u32::from(at(i + 1));
    let next = |h: u32, i: usize| (h << 8) | u32::from(at(i + 2));
    table.start();
    let mut out = Out {
        bytes: Vec::with_capacity(n.min(out_len).saturating_add(8).min(1 << 20)),
        header: 0,
        lit: 0,
    };
    out.start_run();
    let mut ip = 0usize;
    let mut hval = first(0);
    while ip + 2 < n {
        hval = next(hval, ip);
        let candidate = table.swap(slot(hval), ip);
        // liblzf's test: strictly after the input's first byte, at most MAX_OFF back,
        // and the same three bytes.
        let reference = candidate.filter(|&r| {
            r > 0
                && r < ip
                && ip - r - 1 < MAX_OFF
                && at(r) == at(ip)
                && at(r + 1) == at(ip + 1)
                && at(r + 2) == at(ip + 2)
        });
        let Some(r) = reference else {
            if out.bytes.len() >= out_len {
                return None;
            }
            out.literal(at(ip));
            ip += 1;
            continue;
        };
        let off = ip - r - 1;
        let maxlen = (n - ip - 2).min(MAX_REF);
        if out.bytes.len() - usize::from(out.lit == 0) + 4 >= out_len {
            return None;
        }
        out.stop_run();
        // `len` ends as the number of matching bytes. liblzf first compares 16 bytes
        // unrolled when more than 16 may match (which can take the match up to two
        // bytes past `maxlen`), then one at a time up to `maxlen`.
        let mut len = 2;
        let mut mismatch = false;
        if maxlen > 16 {
            for _ in 0..16 {
                len += 1;
                if at(r + len) != at(ip + len) {
                    mismatch = true;
                    break;
                }
            }
        }
        if !mismatch {
            loop {
                len += 1;
                if !(len < maxlen && at(r + len) == at(ip + len)) {
                    break;
                }
            }
        }
        let code = len - 2;
        if code < 7 {
            out.bytes.push(((off >> 8) + (code << 5)) as u8);
        } else {
            out.bytes.push(((off >> 8) + (7 << 5)) as u8);
            out.bytes.push((code - 7) as u8);
        }
        out.bytes.push(off as u8);
        out.start_run();
        ip += len;
        if ip + 2 >= n {
            break;
        }
        // Rehash the match's last two positions (liblzf's VERY_FAST mode).
        ip -= 2;
        hval = next(first(ip), ip);
        table.swap(slot(hval), ip);
        ip += 1;
        hval = next(hval, ip);
        table.swap(slot(hval), ip);
        ip += 1;
    }
    // At most three more bytes: up to two literals and a run header.
    if out.bytes.len() + 3 > out_len {
        return None;
    }
    while ip < n {
        out.literal(at(ip));
        ip += 1;
    }
    out.stop_run();
    Some(out.bytes)
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    // `out_len` comes from the data: grow as bytes arrive instead of trusting it.
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(1 << 20));
    let mut ip = 0usize;
    while let Some(&ctrl) = input.get(ip) {
        ip += 1;
        let ctrl = usize::from(ctrl);
        if ctrl < 1 << 5 {
            let run = ctrl + 1;
            if out.len() + run > out_len {
                return Err(LzfError::TooLong);
            }
            let bytes = input.get(ip..ip + run).ok_or(LzfError::Truncated)?;
            out.extend_from_slice(bytes);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
                ip += 1;
            }
            let low = usize::from(*input.get(ip).ok_or(LzfError::Truncated)?);
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if out.len() + len > out_len {
                return Err(LzfError::TooLong);
            }
            let start = out.len().checked_sub(back).ok_or(LzfError::BadReference)?;
            // Byte by byte: the source may overlap what this copy writes.
            for k in start..start + len {
                let b = *out.get(k).ok_or(LzfError::BadReference)?;
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::TooShort);
    }
    Ok(out)
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_inputs() {
        assert_eq!(compress(b""), b"");
        assert_eq!(compress(b"a"), b"\x00a");
        assert_eq!(compress(b"ab"), b"\x01ab");
        assert_eq!(compress(b"abc"), b"\x02abc");
        assert_eq!(decompress(b"", 0), Ok(vec![]));
        assert_eq!(decompress(b"\x00a", 1), Ok(b"a".to_vec()));
    }

    #[test]
    fn corrupt_input_is_an_error() {
        assert_eq!(decompress(b"\x05ab", 6), Err(LzfError::Truncated));
        assert_eq!(decompress(b"\x01ab", 1), Err(LzfError::TooLong));
        assert_eq!(decompress(b"\x01ab", 3), Err(LzfError::TooShort));
        assert_eq!(decompress(b"\x00a\x20\x01", 5), Err(LzfError::BadReference));
        assert_eq!(decompress(b"\x00a\xe0", 12), Err(LzfError::Truncated));
        assert_eq!(decompress(b"\x00a\x20", 3), Err(LzfError::Truncated));
        // An overlapping reference repeats the last byte.
        assert_eq!(decompress(b"\x00a\x20\x00", 4), Ok(b"aaaa".to_vec()));
    }

    #[test]
    fn bounded_gives_up_as_redis() {
        let data = b"abcabcabcabcabcabcabcabc";
        let full = compress(data);
        // liblzf's checks are conservative: it wants a few bytes of slack.
        assert_eq!(compress_bounded(data, full.len() + 4), Some(full.clone()));
        assert_eq!(compress_bounded(data, full.len()), None);
        assert_eq!(compress_bounded(data, 0), None);
        let random: Vec<u8> = (0..100u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert_eq!(compress_bounded(&random, random.len() - 4), None);
    }

    proptest! {
        #[test]
        fn round_trips(data in proptest::collection::vec(0u8..4, 0..3000)) {
            let c = compress(&data);
            prop_assert_eq!(decompress(&c, data.len()), Ok(data));
        }

        #[test]
        fn round_trips_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let c = compress(&data);
            prop_assert_eq!(decompress(&c, data.len()), Ok(data));
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300), n in 0usize..2000) {
            if let Ok(out) = decompress(&data, n) {
                prop_assert_eq!(out.len(), n);
            }
        }
    }
}
