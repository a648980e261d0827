//! The DUMP payload envelope: `body + RDB version (u16 LE) + CRC-64 (u64 LE)`, the CRC
//! covering the body and the version. DUMP and FUNCTION DUMP write it; RESTORE and
//! FUNCTION RESTORE check it as Redis's `verifyDumpPayload` does.

#![deny(clippy::indexing_slicing)]

use super::crc64::crc64;
use std::fmt;

/// Redis 7.0's RDB_VERSION: what we write, and the newest we accept.
pub const RDB_VERSION: u16 = 10;

/// Version and CRC.
pub const FOOTER_LEN: usize = 10;

/// A payload that is too short, from a newer RDB version, or whose CRC does not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPayload;

impl fmt::Display for BadPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ERR DUMP payload version or checksum are wrong")
    }
}

impl std::error::Error for BadPayload {}

/// Seals `body` into a payload of version `RDB_VERSION`.
pub fn wrap(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + FOOTER_LEN);
    out.extend_from_slice(body);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks `payload` (at least the footer, a version no newer than ours, a matching CRC)
/// and returns its RDB version.
pub fn verify(payload: &[u8]) -> Result<u16, BadPayload> {
    let body_len = payload.len().checked_sub(FOOTER_LEN).ok_or(BadPayload)?;
    let (sealed, crc) = payload.split_at(body_len + 2);
    let version = sealed
        .get(body_len..)
        .and_then(|v| <[u8; 2]>::try_from(v).ok())
        .map(u16::from_le_bytes)
        .ok_or(BadPayload)?;
    if version > RDB_VERSION {
        return Err(BadPayload);
    }
    let crc = <[u8; 8]>::try_from(crc)
        .map(u64::from_le_bytes)
        .map_err(|_| BadPayload)?;
    if crc64(0, sealed) != crc {
        return Err(BadPayload);
    }
    Ok(version)
}

/// The body of a payload that passes `verify`.
pub fn unwrap(payload: &[u8]) -> Result<&[u8], BadPayload> {
    verify(payload)?;
    payload.get(..payload.len() - FOOTER_LEN).ok_or(BadPayload)
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn redis_dump_of_a_small_string() {
        // `SET k hello` then `DUMP k` on redis-server 7.0.
        let payload = b"\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a";
        assert_eq!(unwrap(payload), Ok(&b"\x00\x05hello"[..]));
        assert_eq!(wrap(b"\x00\x05hello"), payload);
    }

    #[test]
    fn rejects_as_redis() {
        let good = wrap(b"body");
        assert_eq!(verify(&good), Ok(10));
        assert_eq!(unwrap(&good[1..]), Err(BadPayload));
        assert_eq!(unwrap(&good[..9]), Err(BadPayload));
        assert_eq!(unwrap(b""), Err(BadPayload));
        let mut flipped = good.clone();
        flipped[0] ^= 1;
        assert_eq!(unwrap(&flipped), Err(BadPayload));
        // A newer version is refused even with a valid CRC; an older one is accepted.
        for (v, ok) in [(11u16, false), (9, true)] {
            let mut p = b"body".to_vec();
            p.extend_from_slice(&v.to_le_bytes());
            let crc = crc64(0, &p);
            p.extend_from_slice(&crc.to_le_bytes());
            assert_eq!(verify(&p).is_ok(), ok);
        }
        assert_eq!(
            BadPayload.to_string(),
            "ERR DUMP payload version or checksum are wrong"
        );
        // The footer alone is a valid, empty payload.
        assert_eq!(unwrap(&wrap(b"")), Ok(&b""[..]));
    }

    proptest! {
        #[test]
        fn round_trips(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let payload = wrap(&body);
            prop_assert_eq!(unwrap(&payload), Ok(&body[..]));
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = unwrap(&data);
        }
    }
}
