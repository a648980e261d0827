//! ferrokv: a Redis-compatible in-memory database server.
//!
//! The crate is split by concern: `resp` speaks the wire protocol (parsing requests,
//! encoding replies), `store` holds the keyspace and its values, `commands` is the one
//! command table and the handlers grouped by family, `server` owns the `mio` event loop
//! and the connections, `persistence` the append-only file, `rdb` the byte-level pieces
//! of Redis's RDB format (CRC-64, LZF, string encodings, the DUMP envelope; the full
//! snapshot format comes later), and `config` the directive table shared by
//! `redis.conf`, the command line and CONFIG GET/SET.

pub mod commands;
pub mod config;
pub mod error;
pub mod persistence;
pub mod rdb;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod store;
pub mod util;
