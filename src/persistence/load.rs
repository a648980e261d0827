//! Loading the AOF at start-up: the manifest, then the base and incremental files replayed
//! through the same command path clients use.
//!
//! Persistence owns the files: it reads the entries, tracks how far a file is valid
//! (whole commands, whole transactions), cuts a torn tail and records the progress in
//! `AofFeed::loading`. The server runs the commands: it hands the loader a `Replay`, which
//! executes one command at a time as a client of its own (queueing inside MULTI) and sets
//! aside the statistics loaded commands must not count in.
//!
//! Loading runs in steps of a few megabytes so the server can answer in between (`-LOADING`
//! to everything but the commands allowed while loading). While loading, keys are not
//! expired (the file carries the DELs) and nothing is fed back to the AOF.
//!
//! A torn last command (a crash mid-write) is cut off with a warning when
//! `aof-load-truncated yes`; so is a MULTI without its EXEC at the end of the last file.
//! Any other damage stops start-up with the file name and byte offset, and nothing is
//! modified. A base file in RDB form is refused (RDB loading does not exist yet), naming
//! the file, before anything is read.

use super::error::AofError;
use super::manifest::{FileInfo, FileKind, Manifest};
use super::reader::{read_entry, Entry, ReadError};
use super::AofFeed;
use crate::commands::Args;
use crate::config::Config;
use crate::resp::parse::Span;
use crate::store::Store;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Instant;

const READ_CHUNK: usize = 4 * 1024 * 1024;

/// The server's side of replaying the AOF (implemented by the server, which owns the
/// clients, the command path and its statistics).
pub trait Replay {
    /// The AOF state: the loader records its progress there, and keeps the feed off while
    /// commands replay (nothing loaded is written back).
    fn aof(&mut self) -> &mut AofFeed;
    /// Before the first command: sets aside the statistics loaded commands must not count
    /// in (command stats, slowlog, keyspace stats, commands processed).
    fn save_stats(&mut self, store: &mut Store);
    /// After the last command: puts them back.
    fn restore_stats(&mut self, store: &mut Store);
    /// A file starts: its commands run as a fresh client does, in database 0 and with no
    /// transaction open (as in Redis).
    fn start_file(&mut self);
    /// Runs one command read from the file, or queues it while a MULTI is open.
    fn replay(&mut self, store: &mut Store, args: Args<'_>) -> Result<Replayed, ReplayError>;
    /// Whether a MULTI is open (its commands are queued, not run yet).
    fn in_multi(&self) -> bool;
    /// Drops an open MULTI and its queued commands; whether one was open.
    fn discard_multi(&mut self) -> bool;
}

/// What `Replay::replay` did with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// The command was MULTI (run or, inside a transaction, queued).
    pub multi: bool,
    /// It ran (rather than being queued).
    pub executed: bool,
}

/// Why a command read from the file cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// No such command; its name, sanitized for a log line.
    Unknown(String),
    /// A wrong arity or subcommand: the command error without its `ERR ` prefix.
    Bad(String),
}

/// The file being replayed.
struct Cursor {
    f: File,
    name: String,
    path: PathBuf,
    last: bool,
    buf: Vec<u8>,
    /// Next unread byte of `buf`.
    pos: usize,
    /// File offset of `buf[0]`.
    base_off: u64,
    eof: bool,
    /// End of the last complete command (what a torn tail is cut back to).
    valid_up_to: u64,
    /// Where the pending MULTI started.
    before_multi: u64,
    started: Instant,
}

/// A load in progress.
pub struct Loader {
    dir: PathBuf,
    files: Vec<(FileInfo, bool)>,
    next: usize,
    cur: Option<Cursor>,
    spans: Vec<Span>,
    manifest: Manifest,
    total_size: u64,
    base_size: u64,
    truncated_bytes: u64,
    truncate_ok: bool,
    commands: u64,
    started: Instant,
    /// The statistics were set aside (`Replay::save_stats`).
    saved: bool,
    /// key-load-delay (tests): a pause after each command.
    key_load_delay: i32,
    rng: u64,
}

fn size_of(dir: &std::path::Path, name: &str) -> Result<u64, AofError> {
    let name = name.to_string();
    match std::fs::metadata(dir.join(&name)) {
        Ok(m) => Ok(m.len()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err(AofError::Missing { name, err }),
        Err(err) => Err(AofError::OpenRead { name, err }),
    }
}

/// Redis 7.0's upgrade from a single `appendonly.aof` in `dir`: the file moves into the
/// AOF directory as the base of a new manifest.
fn upgrade_old_style(
    config: &Config,
    dir: &std::path::Path,
    m: &mut Manifest,
) -> Result<(), AofError> {
    let filename = &config.appendfilename;
    let old = config.dir.join(filename);
    if !old.is_file() {
        return Ok(());
    }
    let in_dir_missing = !dir.join(filename).exists();
    let upgrade = !dir.is_dir()
        || m.is_empty()
        || (m.incrs.is_empty()
            && m.base.as_ref().is_some_and(|b| &b.name == filename)
            && in_dir_missing);
    if !upgrade {
        return Ok(());
    }
    super::create_dir(dir).map_err(|err| AofError::CreateDir {
        dir: PathBuf::from(&config.appenddirname),
        err,
    })?;
    m.base = Some(FileInfo {
        name: filename.clone(),
        seq: 1,
        kind: FileKind::Base,
    });
    m.cur_base_seq = 1;
    m.persist(dir, filename)
        .map_err(AofError::PersistManifest)?;
    std::fs::rename(&old, dir.join(filename)).map_err(|err| AofError::MigrateOld {
        filename: filename.clone(),
        dir: config.appenddirname.clone(),
        err,
    })?;
    log::info!(
        "Successfully migrated an old-style AOF file ({filename}) into the AOF directory ({}).",
        config.appenddirname
    );
    Ok(())
}

impl Loader {
    /// Reads the manifest. `Ok(None)`: nothing to load (AOF off, no files, or all empty);
    /// the manifest found, if any, is kept in `aof`.
    pub fn open(aof: &mut AofFeed, config: &Config) -> Result<Option<Loader>, AofError> {
        let dir = super::aof_dir(config);
        let filename = config.appendfilename.clone();
        let mut m = Manifest::load(&dir, &filename)?.unwrap_or_default();
        aof.dir = dir.clone();
        aof.filename = filename.clone();
        if !config.appendonly {
            aof.manifest = m;
            return Ok(None);
        }
        upgrade_old_style(config, &dir, &mut m)?;
        Loader::from_manifest(aof, config, dir, m)
    }

    /// DEBUG LOADAOF: like `open`, but reads whatever the manifest on disk names, with the
    /// AOF on or off (as Redis does), and without upgrading an old-style file. `Ok(None)`
    /// with an empty `aof.manifest`: there is no AOF; otherwise its files are all empty.
    pub fn open_for_reload(aof: &mut AofFeed, config: &Config) -> Result<Option<Loader>, AofError> {
        let dir = super::aof_dir(config);
        let m = Manifest::load(&dir, &config.appendfilename)?.unwrap_or_default();
        aof.dir = dir.clone();
        aof.filename = config.appendfilename.clone();
        Loader::from_manifest(aof, config, dir, m)
    }

    fn from_manifest(
        aof: &mut AofFeed,
        config: &Config,
        dir: PathBuf,
        m: Manifest,
    ) -> Result<Option<Loader>, AofError> {
        if m.is_empty() {
            aof.manifest = m;
            return Ok(None);
        }
        let mut files = Vec::new();
        let list = m.files_to_load();
        let n = list.len();
        let mut total = 0;
        let mut base_size = 0;
        for (i, f) in list.into_iter().enumerate() {
            let sz = size_of(&dir, &f.name)?;
            if f.kind == FileKind::Base {
                base_size = sz;
            }
            total += sz;
            files.push((f.clone(), i + 1 == n));
        }
        if let Some(b) = &m.base {
            check_not_rdb(&dir, &b.name)?;
        }
        aof.manifest = m.clone();
        if total == 0 {
            aof.current_size = 0;
            aof.base_size = 0;
            return Ok(None);
        }
        aof.loading = super::LoadingInfo {
            start_time: super::unix_now(),
            started: Some(Instant::now()),
            total_bytes: total,
            loaded_bytes: 0,
        };
        Ok(Some(Loader {
            dir,
            files,
            next: 0,
            cur: None,
            spans: Vec::with_capacity(16),
            manifest: m,
            total_size: total,
            base_size,
            truncated_bytes: 0,
            truncate_ok: config.aof_load_truncated,
            commands: 0,
            started: Instant::now(),
            saved: false,
            key_load_delay: config.key_load_delay,
            rng: 0x9e37_79b9_7f4a_7c15,
        }))
    }

    /// Replays about `budget` bytes. Ok(true) when everything is loaded.
    pub fn step(
        &mut self,
        store: &mut Store,
        replay: &mut dyn Replay,
        budget: u64,
    ) -> Result<bool, AofError> {
        if !self.saved {
            replay.save_stats(store);
            self.saved = true;
        }
        let was_enabled = replay.aof().enabled;
        replay.aof().enabled = false;
        let r = self.step_inner(store, replay, budget);
        replay.aof().enabled = was_enabled;
        r
    }

    fn open_next(&mut self, replay: &mut dyn Replay) -> Result<bool, AofError> {
        let Some((info, last)) = self.files.get(self.next).cloned() else {
            return Ok(false);
        };
        self.next += 1;
        let path = self.dir.join(&info.name);
        // Each file is replayed by a fresh client, as Redis does: it starts in database 0.
        replay.start_file();
        let f = File::open(&path).map_err(|err| AofError::OpenRead {
            name: info.name.clone(),
            err,
        })?;
        self.cur = Some(Cursor {
            f,
            name: info.name.clone(),
            path,
            last,
            buf: Vec::with_capacity(READ_CHUNK),
            pos: 0,
            base_off: 0,
            eof: false,
            valid_up_to: 0,
            before_multi: 0,
            started: Instant::now(),
        });
        Ok(true)
    }

    fn step_inner(
        &mut self,
        store: &mut Store,
        replay: &mut dyn Replay,
        budget: u64,
    ) -> Result<bool, AofError> {
        let mut used = 0u64;
        loop {
            if self.cur.is_none() && !self.open_next(replay)? {
                return Ok(true);
            }
            let Some(cur) = self.cur.as_mut() else {
                return Ok(true);
            };
            // Refill when what is left of the buffer may not hold a whole entry.
            match read_entry(&cur.buf, cur.pos, &mut self.spans) {
                Ok(Entry::Annotation { end }) => {
                    used += (end - cur.pos) as u64;
                    cur.pos = end;
                    if !replay.in_multi() {
                        cur.valid_up_to = cur.base_off + end as u64;
                    }
                }
                Ok(Entry::Command { end }) => {
                    let start = cur.pos;
                    used += (end - start) as u64;
                    let args = Args::new(&cur.buf, &self.spans);
                    let done = replay.replay(store, args).map_err(|e| {
                        let (file, offset) = (cur.name.clone(), cur.base_off + start as u64);
                        match e {
                            ReplayError::Unknown(name) => {
                                AofError::UnknownCommand { name, file, offset }
                            }
                            ReplayError::Bad(msg) => AofError::BadCommand { file, offset, msg },
                        }
                    })?;
                    if done.multi {
                        cur.before_multi = cur.valid_up_to;
                    }
                    if done.executed {
                        self.commands += 1;
                        if self.key_load_delay != 0 {
                            super::rewrite::debug_delay(self.key_load_delay, &mut self.rng);
                        }
                    }
                    cur.pos = end;
                    if !replay.in_multi() {
                        cur.valid_up_to = cur.base_off + end as u64;
                    }
                    store.discard_effects();
                }
                Err(ReadError::Bad { offset, msg }) => {
                    return Err(AofError::BadFormat {
                        file: cur.name.clone(),
                        offset: cur.base_off + offset as u64,
                        msg,
                    });
                }
                Err(ReadError::Incomplete { need }) => {
                    if !cur.eof {
                        refill(cur, need).map_err(|err| AofError::Read {
                            name: cur.name.clone(),
                            err,
                        })?;
                        continue;
                    }
                    // End of file.
                    let torn = cur.pos < cur.buf.len();
                    if torn || replay.in_multi() {
                        self.handle_torn_tail(replay)?;
                    }
                    self.finish_file(replay.aof());
                }
            }
            if used >= budget {
                replay.aof().loading.loaded_bytes = self.loaded_bytes();
                return Ok(false);
            }
        }
    }

    fn loaded_bytes(&self) -> u64 {
        let done: u64 = self
            .files
            .iter()
            .take(self.next.saturating_sub(1))
            .map(|(f, _)| size_of(&self.dir, &f.name).unwrap_or(0))
            .sum();
        done + self.cur.as_ref().map_or(0, |c| c.base_off + c.pos as u64)
    }

    /// The end of the last file is a torn command or an open MULTI.
    fn handle_torn_tail(&mut self, replay: &mut dyn Replay) -> Result<(), AofError> {
        let Some(cur) = self.cur.as_mut() else {
            return Ok(());
        };
        let in_multi = replay.discard_multi();
        if in_multi {
            log::warn!(
                "Revert incomplete MULTI/EXEC transaction in AOF file {}",
                cur.name
            );
            cur.valid_up_to = cur.before_multi;
        }
        let size = cur.base_off + cur.buf.len() as u64;
        if !self.truncate_ok {
            return Err(AofError::UnexpectedEof {
                file: cur.name.clone(),
                valid_up_to: cur.valid_up_to,
                size,
            });
        }
        if !cur.last {
            return Err(AofError::TruncatedNotLast {
                file: cur.name.clone(),
                valid_up_to: cur.valid_up_to,
            });
        }
        log::warn!(
            "!!! Warning: short read while loading the AOF file {}!!!",
            cur.name
        );
        log::warn!(
            "!!! Truncating the AOF {} at offset {} !!!",
            cur.name,
            cur.valid_up_to
        );
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&cur.path)
            .and_then(|f| f.set_len(cur.valid_up_to).map(|_| f))
            .and_then(|f| f.sync_all());
        if let Err(err) = f {
            return Err(AofError::Truncate {
                file: cur.name.clone(),
                err,
            });
        }
        self.truncated_bytes += size - cur.valid_up_to;
        log::warn!(
            "AOF {} loaded anyway because aof-load-truncated is enabled",
            cur.name
        );
        Ok(())
    }

    fn finish_file(&mut self, aof: &mut AofFeed) {
        if let Some(cur) = self.cur.take() {
            let kind = if self.next == 1 && self.manifest.base.is_some() {
                "base"
            } else {
                "incr"
            };
            log::info!(
                "DB loaded from {kind} file {}: {:.3} seconds",
                cur.name,
                cur.started.elapsed().as_secs_f64()
            );
            aof.loading.loaded_bytes = self.loaded_bytes();
        }
    }

    /// Loading is complete: sizes for INFO and auto-rewrite; statistics as before.
    pub fn finish(self, store: &mut Store, replay: &mut dyn Replay) {
        if self.saved {
            replay.restore_stats(store);
        }
        store.reset_dirty();
        store.discard_effects();
        let aof = replay.aof();
        // (Saturating: a file may have changed size since it was measured.)
        aof.current_size = self.total_size.saturating_sub(self.truncated_bytes);
        aof.base_size = self.base_size;
        aof.loading.loaded_bytes = aof.current_size;
        log::info!(
            "DB loaded from append only file: {:.3} seconds ({} commands)",
            self.started.elapsed().as_secs_f64(),
            self.commands
        );
    }
}

/// Refuses a base in RDB form ("REDIS" magic) before anything is loaded.
fn check_not_rdb(dir: &std::path::Path, name: &str) -> Result<(), AofError> {
    let f = File::open(dir.join(name)).map_err(|err| AofError::OpenRead {
        name: name.to_string(),
        err,
    })?;
    let mut sig = Vec::with_capacity(5);
    f.take(5)
        .read_to_end(&mut sig)
        .map_err(|err| AofError::Read {
            name: name.to_string(),
            err,
        })?;
    if sig == b"REDIS" {
        return Err(AofError::RdbBase {
            path: dir.join(name),
        });
    }
    Ok(())
}

/// Makes room and reads more of the file. `need`: bytes the pending entry needs at least.
fn refill(cur: &mut Cursor, need: Option<usize>) -> io::Result<()> {
    // Drop what was consumed.
    if cur.pos > 0 {
        cur.buf.drain(..cur.pos);
        cur.base_off += cur.pos as u64;
        cur.pos = 0;
    }
    let want = need.unwrap_or(0).max(cur.buf.len() + READ_CHUNK);
    if cur.buf.capacity() < want {
        cur.buf.reserve(want - cur.buf.len());
    }
    let len = cur.buf.len();
    let room = cur.buf.capacity() - len;
    cur.buf.resize(len + room, 0);
    let mut filled = 0;
    while filled < room {
        let Some(dst) = cur.buf.get_mut(len + filled..) else {
            break;
        };
        match cur.f.read(dst) {
            Ok(0) => {
                cur.eof = true;
                break;
            }
            Ok(n) => {
                filled += n;
                // Enough for now once the pending entry fits.
                if need.is_none_or(|n| len + filled >= n) && filled >= READ_CHUNK / 4 {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                cur.buf.truncate(len + filled);
                return Err(e);
            }
        }
    }
    cur.buf.truncate(len + filled);
    Ok(())
}
