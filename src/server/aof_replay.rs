//! The server's side of loading the AOF: `persistence::load` reads the files and hands
//! each command here, where it runs through `call` as a client of its own, the way Redis
//! replays the AOF with a fake client.

use super::call;
use super::client::Client;
use super::{CmdStats, Core, SlowEntry};
use crate::commands::{flags, Args, TABLE};
use crate::persistence::load::{Replay, ReplayError, Replayed};
use crate::persistence::AofFeed;
use crate::store::{KeyStats, Store};
use std::collections::VecDeque;

/// What lasts across the steps of a load: the client the commands run as, its replies
/// (dropped), and the statistics set aside while loading.
pub struct ReplaySession {
    client: Client,
    out: Vec<u8>,
    saved: Option<SavedStats>,
}

/// Statistics the loaded commands must not count in.
struct SavedStats {
    cmd_stats: CmdStats,
    slowlog: VecDeque<SlowEntry>,
    keyspace: KeyStats,
    total_commands: u64,
}

impl Default for ReplaySession {
    fn default() -> ReplaySession {
        ReplaySession {
            client: Client {
                authenticated: true,
                addr: String::new(),
                ..Default::default()
            },
            out: Vec::new(),
            saved: None,
        }
    }
}

/// A `Replay` for one step of the load.
pub struct AofReplay<'a> {
    pub core: &'a mut Core,
    pub session: &'a mut ReplaySession,
}

impl Replay for AofReplay<'_> {
    fn aof(&mut self) -> &mut AofFeed {
        &mut self.core.aof
    }

    fn save_stats(&mut self, store: &mut Store) {
        let core = &mut *self.core;
        self.session.saved = Some(SavedStats {
            cmd_stats: std::mem::take(&mut core.cmd_stats),
            slowlog: std::mem::take(&mut core.slowlog),
            keyspace: std::mem::take(&mut store.stats),
            total_commands: core.stats.total_commands_processed,
        });
    }

    fn restore_stats(&mut self, store: &mut Store) {
        if let Some(s) = self.session.saved.take() {
            self.core.cmd_stats = s.cmd_stats;
            self.core.slowlog = s.slowlog;
            store.stats = s.keyspace;
            self.core.stats.total_commands_processed = s.total_commands;
        }
    }

    fn start_file(&mut self) {
        self.session.client.db = 0;
        self.session.client.multi = None;
    }

    fn replay(&mut self, store: &mut Store, args: Args<'_>) -> Result<Replayed, ReplayError> {
        let cmd = match call::resolve(&args) {
            Ok(c) => c,
            Err(e) => {
                if TABLE.get(args.get(0)).is_none() {
                    return Err(ReplayError::Unknown(crate::error::sanitize(
                        args.get(0),
                        128,
                    )));
                }
                return Err(ReplayError::Bad(
                    String::from_utf8_lossy(e.strip_prefix(b"ERR ").unwrap_or(&e)).into_owned(),
                ));
            }
        };
        let multi = cmd.is(flags::MULTI_MARKER);
        let client = &mut self.session.client;
        if !cmd.is(flags::EXEC) {
            if let Some(m) = client.multi.as_mut() {
                m.cmds.push((args.to_owned(), cmd));
                return Ok(Replayed {
                    multi,
                    executed: false,
                });
            }
        }
        // Blocking commands never block here (EXEC sets this itself).
        client.in_exec = cmd.is(flags::BLOCKING);
        call::call(store, self.core, client, &mut self.session.out, args, cmd);
        client.in_exec = false;
        if self.session.out.len() > 64 * 1024 {
            self.session.out.clear();
        }
        Ok(Replayed {
            multi,
            executed: true,
        })
    }

    fn in_multi(&self) -> bool {
        self.session.client.multi.is_some()
    }

    fn discard_multi(&mut self) -> bool {
        self.session.client.multi.take().is_some()
    }
}

/// What DEBUG LOADAOF found.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// The files were loaded (or all of them were empty).
    Loaded,
    /// There is no AOF (no manifest, or one naming no file).
    NoAof,
}

impl Core {
    /// DEBUG LOADAOF (Redis's debugCommand "loadaof"): writes what is buffered for the
    /// AOF, empties every database and loads the files back, in one go, through the same
    /// `Loader` and `AofReplay` as at start-up. The load changes nothing that counts as a
    /// write (the dirty counter starts again from zero).
    pub fn debug_loadaof(
        &mut self,
        store: &mut Store,
    ) -> Result<Reloaded, crate::persistence::AofError> {
        use crate::persistence::{self, load::Loader, AofState};
        if self.aof.state == AofState::On {
            // Inside EXEC, the transaction's part waits for its end, as in Redis (which
            // propagates a transaction when it ends).
            let held = self.aof.hold_exec();
            persistence::flush(&mut self.aof, &self.config, true);
            self.aof.put_back_exec(held);
        }
        store.flush(None);
        let loader = Loader::open_for_reload(&mut self.aof, &self.config);
        persistence::delete_history_files(&mut self.aof, &self.config, true);
        let Some(mut loader) = loader? else {
            store.reset_dirty();
            return Ok(if self.aof.manifest.is_empty() {
                Reloaded::NoAof
            } else {
                Reloaded::Loaded
            });
        };
        let mut session = ReplaySession::default();
        let was_loading = std::mem::replace(&mut store.loading, true);
        let saved_db = store.cur;
        let r = loop {
            let mut replay = AofReplay {
                core: self,
                session: &mut session,
            };
            match loader.step(store, &mut replay, u64::MAX) {
                Ok(true) => {
                    loader.finish(store, &mut replay);
                    break Ok(Reloaded::Loaded);
                }
                Ok(false) => {}
                Err(e) => break Err(e),
            }
        };
        store.loading = was_loading;
        store.cur = saved_db;
        r
    }
}
