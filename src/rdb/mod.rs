//! Byte-level building blocks of Redis's RDB format: the CRC-64 that seals a payload,
//! LZF (de)compression, the length and string encodings, and the DUMP payload envelope.
//!
//! FUNCTION DUMP/RESTORE use them now; the full snapshot format (SAVE, BGSAVE, key
//! DUMP/RESTORE, object types) comes later and builds on the same pieces. Everything that
//! reads is bounds-checked: corrupt or hostile bytes give an error, never a panic.
//!
//! - `crc64`: Redis's CRC-64 (Jones polynomial, reflected);
//! - `lzf`: LZF as liblzf does it, byte-identical compression output;
//! - `encoding`: lengths, integer-encoded and LZF strings, and a `Reader`;
//! - `dump`: `body + version + crc64`, as DUMP and FUNCTION DUMP write it.

pub mod crc64;
pub mod dump;
pub mod encoding;
pub mod lzf;
