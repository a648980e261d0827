//! Loading the AOF at start-up: the manifest, then the base and incremental files replayed
//! through the same command path clients use (`call`), with a client of its own.
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

use super::manifest::{FileInfo, FileKind, Manifest};
use super::reader::{read_entry, Entry, ReadError};
use crate::commands::flags;
use crate::resp::parse::Span;
use crate::server::call;
use crate::server::client::Client;
use crate::server::Core;
use crate::store::Store;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Instant;

const READ_CHUNK: usize = 4 * 1024 * 1024;

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
    client: Client,
    out: Vec<u8>,
    spans: Vec<Span>,
    manifest: Manifest,
    total_size: u64,
    base_size: u64,
    truncated_bytes: u64,
    truncate_ok: bool,
    commands: u64,
    started: Instant,
    saved: Option<SavedStats>,
    /// key-load-delay (tests): a pause after each command.
    key_load_delay: i32,
    rng: u64,
}

/// Statistics the loaded commands must not count in.
struct SavedStats {
    cmd_stats: crate::server::CmdStats,
    slowlog: std::collections::VecDeque<crate::server::SlowEntry>,
    keyspace: crate::store::KeyStats,
    total_commands: u64,
}

fn size_of(dir: &std::path::Path, name: &str) -> Result<u64, String> {
    match std::fs::metadata(dir.join(name)) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(format!(
            "The append log file {name} doesn't exist: {e}. Fatal error: an AOF file listed in the manifest is missing"
        )),
        Err(e) => Err(format!(
            "Fatal error: can't open the append log file {name} for reading: {e}"
        )),
    }
}

/// Redis 7.0's upgrade from a single `appendonly.aof` in `dir`: the file moves into the
/// AOF directory as the base of a new manifest.
fn upgrade_old_style(core: &Core, dir: &std::path::Path, m: &mut Manifest) -> Result<(), String> {
    let filename = &core.config.appendfilename;
    let old = core.config.dir.join(filename);
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
    super::create_dir(dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            core.config.appenddirname
        )
    })?;
    m.base = Some(FileInfo {
        name: filename.clone(),
        seq: 1,
        kind: FileKind::Base,
    });
    m.cur_base_seq = 1;
    m.persist(dir, filename)
        .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
    std::fs::rename(&old, dir.join(filename)).map_err(|e| {
        format!(
            "Error trying to move the old AOF file {filename} into dir {}: {e}",
            core.config.appenddirname
        )
    })?;
    log::info!(
        "Successfully migrated an old-style AOF file ({filename}) into the AOF directory ({}).",
        core.config.appenddirname
    );
    Ok(())
}

impl Loader {
    /// Reads the manifest. `Ok(None)`: nothing to load (AOF off, no files, or all empty);
    /// the manifest found, if any, is kept in `core.aof`.
    pub fn open(core: &mut Core) -> Result<Option<Loader>, String> {
        let dir = super::aof_dir(core);
        let filename = core.config.appendfilename.clone();
        let mut m = Manifest::load(&dir, &filename)?.unwrap_or_default();
        core.aof.dir = dir.clone();
        core.aof.filename = filename.clone();
        if !core.config.appendonly {
            core.aof.manifest = m;
            return Ok(None);
        }
        upgrade_old_style(core, &dir, &mut m)?;
        if m.is_empty() {
            core.aof.manifest = m;
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
        core.aof.manifest = m.clone();
        if total == 0 {
            core.aof.current_size = 0;
            core.aof.base_size = 0;
            return Ok(None);
        }
        core.aof.loading = super::LoadingInfo {
            start_time: super::unix_now(),
            started: Some(Instant::now()),
            total_bytes: total,
            loaded_bytes: 0,
        };
        let client = Client {
            authenticated: true,
            addr: String::new(),
            ..Default::default()
        };
        Ok(Some(Loader {
            dir,
            files,
            next: 0,
            cur: None,
            client,
            out: Vec::new(),
            spans: Vec::with_capacity(16),
            manifest: m,
            total_size: total,
            base_size,
            truncated_bytes: 0,
            truncate_ok: core.config.aof_load_truncated,
            commands: 0,
            started: Instant::now(),
            saved: None,
            key_load_delay: core.config.key_load_delay,
            rng: 0x9e37_79b9_7f4a_7c15,
        }))
    }

    /// Replays about `budget` bytes. Ok(true) when everything is loaded.
    pub fn step(
        &mut self,
        store: &mut Store,
        core: &mut Core,
        budget: u64,
    ) -> Result<bool, String> {
        if self.saved.is_none() {
            self.saved = Some(SavedStats {
                cmd_stats: std::mem::take(&mut core.cmd_stats),
                slowlog: std::mem::take(&mut core.slowlog),
                keyspace: std::mem::take(&mut store.stats),
                total_commands: core.stats.total_commands_processed,
            });
        }
        let was_enabled = core.aof.enabled;
        core.aof.enabled = false;
        let r = self.step_inner(store, core, budget);
        core.aof.enabled = was_enabled;
        r
    }

    fn open_next(&mut self) -> Result<bool, String> {
        let Some((info, last)) = self.files.get(self.next).cloned() else {
            return Ok(false);
        };
        self.next += 1;
        let path = self.dir.join(&info.name);
        // Each file is replayed by a fresh client, as Redis does: it starts in database 0.
        self.client.db = 0;
        self.client.multi = None;
        let f = File::open(&path).map_err(|e| {
            format!(
                "Fatal error: can't open the append log file {} for reading: {e}",
                info.name
            )
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
        core: &mut Core,
        budget: u64,
    ) -> Result<bool, String> {
        let mut used = 0u64;
        loop {
            if self.cur.is_none() && !self.open_next()? {
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
                    if self.client.multi.is_none() {
                        cur.valid_up_to = cur.base_off + end as u64;
                    }
                }
                Ok(Entry::Command { end }) => {
                    let start = cur.pos;
                    used += (end - start) as u64;
                    let args = crate::commands::Args::new(&cur.buf, &self.spans);
                    let cmd = match call::resolve(&args) {
                        Ok(c) => c,
                        Err(e) => {
                            let off = cur.base_off + start as u64;
                            if crate::commands::TABLE.get(args.get(0)).is_none() {
                                return Err(format!(
                                    "Unknown command '{}' reading the append only file {} at offset {off}",
                                    crate::error::sanitize(args.get(0), 128),
                                    cur.name
                                ));
                            }
                            return Err(format!(
                                "Bad command in the append only file {} at offset {off}: {}",
                                cur.name,
                                String::from_utf8_lossy(e.strip_prefix(b"ERR ").unwrap_or(&e))
                            ));
                        }
                    };
                    if cmd.is(flags::MULTI_MARKER) {
                        cur.before_multi = cur.valid_up_to;
                    }
                    if self.client.multi.is_some() && !cmd.is(flags::EXEC) {
                        if let Some(m) = self.client.multi.as_mut() {
                            m.cmds.push((args.to_owned(), cmd));
                        }
                    } else {
                        // Blocking commands never block here (EXEC sets this itself).
                        self.client.in_exec = cmd.is(flags::BLOCKING);
                        call::call(store, core, &mut self.client, &mut self.out, args, cmd);
                        self.client.in_exec = false;
                        self.commands += 1;
                        if self.key_load_delay != 0 {
                            super::rewrite::debug_delay(self.key_load_delay, &mut self.rng);
                        }
                        if self.out.len() > 64 * 1024 {
                            self.out.clear();
                        }
                    }
                    cur.pos = end;
                    if self.client.multi.is_none() {
                        cur.valid_up_to = cur.base_off + end as u64;
                    }
                    store.events.clear();
                    store.touched.clear();
                }
                Err(ReadError::Bad { offset, msg }) => {
                    return Err(format!(
                        "Bad file format reading the append only file {} at offset {}: {msg}. Make a backup of your AOF file, then use ferrokv-check-aof --fix <filename.manifest>",
                        cur.name,
                        cur.base_off + offset as u64
                    ));
                }
                Err(ReadError::Incomplete { need }) => {
                    if !cur.eof {
                        refill(cur, need).map_err(|e| {
                            format!(
                                "Unrecoverable error reading the append only file {}: {e}",
                                cur.name
                            )
                        })?;
                        continue;
                    }
                    // End of file.
                    let torn = cur.pos < cur.buf.len();
                    if torn || self.client.multi.is_some() {
                        self.handle_torn_tail()?;
                    }
                    self.finish_file(core);
                }
            }
            if used >= budget {
                core.aof.loading.loaded_bytes = self.loaded_bytes();
                return Ok(false);
            }
        }
    }

    fn loaded_bytes(&self) -> u64 {
        let done: u64 = self.files[..self.next.saturating_sub(1)]
            .iter()
            .map(|(f, _)| size_of(&self.dir, &f.name).unwrap_or(0))
            .sum();
        done + self.cur.as_ref().map_or(0, |c| c.base_off + c.pos as u64)
    }

    /// The end of the last file is a torn command or an open MULTI.
    fn handle_torn_tail(&mut self) -> Result<(), String> {
        let Some(cur) = self.cur.as_mut() else {
            return Ok(());
        };
        let in_multi = self.client.multi.take().is_some();
        if in_multi {
            log::warn!(
                "Revert incomplete MULTI/EXEC transaction in AOF file {}",
                cur.name
            );
            cur.valid_up_to = cur.before_multi;
        }
        let size = cur.base_off + cur.buf.len() as u64;
        if !self.truncate_ok {
            return Err(format!(
                "Unexpected end of file reading the append only file {} (the last complete command ends at offset {}, the file is {size} bytes). You can: 1) Make a backup of your AOF file, then use ferrokv-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                cur.name, cur.valid_up_to
            ));
        }
        if !cur.last {
            return Err(format!(
                "Fatal error: the truncated file {} is not the last file (it ends with an incomplete command after offset {})",
                cur.name, cur.valid_up_to
            ));
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
        if let Err(e) = f {
            return Err(format!("Error truncating the AOF file {}: {e}", cur.name));
        }
        self.truncated_bytes += size - cur.valid_up_to;
        log::warn!(
            "AOF {} loaded anyway because aof-load-truncated is enabled",
            cur.name
        );
        Ok(())
    }

    fn finish_file(&mut self, core: &mut Core) {
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
            core.aof.loading.loaded_bytes = self.loaded_bytes();
        }
    }

    /// Loading is complete: sizes for INFO and auto-rewrite; statistics as before.
    pub fn finish(mut self, store: &mut Store, core: &mut Core) {
        if let Some(s) = self.saved.take() {
            core.cmd_stats = s.cmd_stats;
            core.slowlog = s.slowlog;
            store.stats = s.keyspace;
            core.stats.total_commands_processed = s.total_commands;
        }
        store.dirty = 0;
        store.also_propagate.clear();
        core.aof.current_size = self.total_size - self.truncated_bytes;
        core.aof.base_size = self.base_size;
        core.aof.loading.loaded_bytes = core.aof.current_size;
        log::info!(
            "DB loaded from append only file: {:.3} seconds ({} commands)",
            self.started.elapsed().as_secs_f64(),
            self.commands
        );
    }
}

/// Refuses a base in RDB form ("REDIS" magic) before anything is loaded.
fn check_not_rdb(dir: &std::path::Path, name: &str) -> Result<(), String> {
    let mut sig = [0u8; 5];
    let mut f = File::open(dir.join(name)).map_err(|e| {
        format!("Fatal error: can't open the append log file {name} for reading: {e}")
    })?;
    let mut got = 0;
    while got < 5 {
        match f.read(&mut sig[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(format!(
                    "Unrecoverable error reading the append only file {name}: {e}"
                ))
            }
        }
    }
    if got == 5 && &sig == b"REDIS" {
        return Err(format!(
            "The AOF base file {} is in RDB format (written with aof-use-rdb-preamble yes), which this server cannot load yet. Nothing was modified. Convert it by loading it in redis-server with aof-use-rdb-preamble no and running BGREWRITEAOF.",
            dir.join(name).display()
        ));
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
        match cur.f.read(&mut cur.buf[len + filled..]) {
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
