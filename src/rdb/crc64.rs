//! Redis's CRC-64: the Jones polynomial (0xad93d23594c935a9), reflected input and output,
//! initial value and final xor 0 (`crc64(0, "123456789") == 0xe9c6d914c4b8d9ca`). It seals
//! RDB files and DUMP payloads.
//!
//! Table-driven, eight bytes per step (slicing-by-8) so that multi-megabyte payloads
//! check quickly; the tables are built at compile time.

/// The Jones polynomial, bit-reversed (the reflected form the byte-wise loop uses).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// `TABLES[0]` is the classic byte table; `TABLES[k][b]` is the CRC of byte `b`
/// followed by `k` zero bytes, so eight table lookups advance the CRC by eight bytes.
static TABLES: [[u64; 256]; 8] = build_tables();

const fn build_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// The low byte of `v`, as a table index (always < 256).
#[inline(always)]
fn lo(v: u64) -> usize {
    (v & 0xff) as usize
}

/// Continues the CRC `crc` over `data` (start with 0), as Redis's `crc64(crc, s, l)`.
#[allow(clippy::indexing_slicing)] // every index is a byte (`lo`) into 256-entry tables
pub fn crc64(crc: u64, data: &[u8]) -> u64 {
    let t = &TABLES;
    let mut crc = crc;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = crc ^ u64::from_le_bytes(word);
        crc = t[7][lo(v)]
            ^ t[6][lo(v >> 8)]
            ^ t[5][lo(v >> 16)]
            ^ t[4][lo(v >> 24)]
            ^ t[3][lo(v >> 32)]
            ^ t[2][lo(v >> 40)]
            ^ t[1][lo(v >> 48)]
            ^ t[0][lo(v >> 56)];
    }
    for &b in chunks.remainder() {
        crc = t[0][lo(crc ^ u64::from(b))] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bit at a time, straight from the definition: the reference the tables must match.
    fn crc64_bitwise(mut crc: u64, data: &[u8]) -> u64 {
        for &b in data {
            crc ^= u64::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn known_vectors() {
        assert_eq!(crc64(0, b""), 0);
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        let lorem: &[u8] = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";
        assert_eq!(crc64(0, lorem), crc64_bitwise(0, lorem));
    }

    #[test]
    fn continues_across_calls() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let (a, b) = data.split_at(333);
        assert_eq!(crc64(crc64(0, a), b), crc64(0, &data));
    }

    #[test]
    fn megabytes() {
        let data: Vec<u8> = (0..4_000_000u32).map(|i| (i ^ (i >> 9)) as u8).collect();
        assert_eq!(crc64(0, &data), crc64_bitwise(0, &data));
    }

    proptest! {
        #[test]
        fn matches_bitwise(data in proptest::collection::vec(any::<u8>(), 0..200), seed: u64) {
            prop_assert_eq!(crc64(seed, &data), crc64_bitwise(seed, &data));
        }
    }
}
