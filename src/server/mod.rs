//! The server: one `mio` poll loop that owns every socket, and the state commands share.
//!
//! An iteration of the loop: poll; accept on listeners; for each readable connection read
//! until WouldBlock (capped, so one client cannot starve the others), parse every complete
//! frame and run it, appending replies to the connection's write buffer. After the events:
//! the cron when due (active expiry, rehashing, idle timeouts, statistics), then
//! `before_sleep`: the AOF gets the whole iteration's writes in one write call (and an
//! fsync under `appendfsync always`), and only then are replies written out. WRITABLE
//! interest is registered only while a connection has output left.
//!
//! Everything but the keyspace is in `Core`, the loop's handles included, and the loop
//! runs on a borrowed `(Store, Core)` pair (`event_loop::Lp`). So a command that runs
//! long (a script past busy-reply-threshold) can serve the other clients from inside,
//! with only its `ctx.store` and `ctx.srv`: `process_events_while_blocked`, Redis's
//! processEventsWhileBlocked. Its own connection is protected meanwhile (`io.rs`), and
//! `Core::set_busy` makes the dispatcher refuse all but ALLOW_BUSY commands.
//!
//! Files: `state.rs` the shared state (`Core`); `stats.rs` INFO counters, command stats,
//! SLOWLOG and the MONITOR feed; `event_loop.rs` the loop, cron, signals and shutdown;
//! `while_blocked.rs` one step of the loop from inside a command; `listener.rs`
//! binding, accepting and socket options; `io.rs` reading, running and writing one
//! connection's commands, and closing it; `entry.rs` the process entry.
//! Beside them: `call.rs` the dispatcher, `conn.rs` and `client.rs` the per-connection
//! state, `blocking.rs`, `pubsub.rs`, `evict.rs`, `busy_poll.rs`, `logging.rs`.

pub mod aof_replay;
pub mod blocking;
pub mod busy_poll;
pub mod call;
pub mod client;
pub mod conn;
mod entry;
mod event_loop;
pub mod evict;
mod io;
mod listener;
pub mod logging;
pub mod obuf;
pub mod pubsub;
mod state;
mod stats;
mod while_blocked;

pub use entry::main_entry;
pub use event_loop::Server;
pub use io::Frame;
pub use state::{random_hex, Busy, Core, DebugSwitches, Pause, Shutdown};
pub use stats::{CmdStat, CmdStats, SlowEntry, Stats};
pub use while_blocked::{enter_blocked, process_events_while_blocked};
