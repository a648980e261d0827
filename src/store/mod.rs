//! The keyspace: databases, values and their expiry.

pub mod bytes;
pub mod dict;
