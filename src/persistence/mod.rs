//! Persistence: the append-only file, in Redis 7.0's multi-part layout.
//!
//! `AofFeed` is the one place commands enter the AOF: the dispatcher feeds every command
//! that changed the data (in its deterministic form) here, as RESP multibulk, with a
//! SELECT whenever the database changes. The loop writes the buffer once per iteration,
//! before any reply of that iteration goes out (`flush`): one write call, then under
//! `appendfsync always` one fdatasync covering every client of the iteration (group
//! commit); under `everysec` a background thread fsyncs at most once a second; under `no`
//! the OS decides.
//!
//! The files: `dir/appenddirname/` holds a manifest (`manifest`), one base file and the
//! incremental files. Start-up replays them (`load`); a rewrite (`rewrite`) forks a child
//! that writes a new base from its copy-on-write view while the parent appends to a new
//! incremental file, then the manifest is replaced atomically.
//!
//! Failures are never silent: a failed write or fsync is logged, writes are refused with
//! `-MISCONF` until the AOF can be written again (retried from the cron), and under
//! `always` no reply leaves before what it acknowledges is on disk: when the data of an
//! iteration cannot be written or fsynced, the server exits (status 1) with Redis's log
//! line before any of its replies goes out, as redis-server does.
//!
//! The boundary with the server: persistence owns `AofFeed` (kept by the server as
//! `Core::aof`): the feed buffer, the open file, the manifest, the rewrite child, the
//! background fsync thread, and the counters INFO reports (rewrites, forks, fsync delays,
//! load progress). The server hands it `&Config` for the directives and the `Store` when
//! the data is needed (a rewrite's snapshot, a base written at start-up); nothing here
//! knows the event loop, its clients or its statistics. Loading replays commands through
//! a `load::Replay` the server implements. Errors are `AofError`s, whose `Display` is the
//! text the caller logs or replies; INFO gets plain numbers (`info`, `loading_progress`)
//! and formats them itself.

pub mod check;
pub mod error;
pub mod fsync;
pub mod load;
pub mod manifest;
pub mod reader;
pub mod rewrite;
pub mod test_hooks;

use crate::commands::Args;
use crate::config::{AppendFsync, Config};
use crate::store::bytes::Sds;
use crate::store::Store;
pub use error::AofError;
use manifest::Manifest;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether the AOF is off, on, or being turned on (waiting for the first rewrite).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AofState {
    #[default]
    Off,
    On,
    WaitRewrite,
}

/// Progress of the start-up load (INFO loading_* fields).
#[derive(Debug, Default, Clone)]
pub struct LoadingInfo {
    pub start_time: i64,
    pub started: Option<Instant>,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
}

/// The AOF: the feed buffer of the running iteration and everything about the files.
#[derive(Default)]
pub struct AofFeed {
    /// Commands are recorded (AOF on, or being turned on with a rewrite running).
    pub enabled: bool,
    /// Commands of this loop iteration, not yet written.
    pub buf: Vec<u8>,
    /// The database the file is at, as far as the last SELECT written says.
    pub selected_db: Option<usize>,
    /// Inside EXEC: the first command fed opens a MULTI.
    in_exec: bool,
    multi_written: bool,
    /// Where the running EXEC's part of `buf` starts.
    exec_mark: usize,
    /// Nothing is fed while set (a script's `redis.set_repl(redis.REPL_NONE)`).
    pub muted: bool,
    /// `#TS:` annotations (aof-timestamp-enabled): the last second written.
    pub timestamps: bool,
    last_ts: i64,

    pub state: AofState,
    /// `dir/appenddirname`, fixed when the AOF is opened.
    pub dir: PathBuf,
    /// `appendfilename`, fixed when the AOF is opened.
    pub filename: String,
    pub manifest: Manifest,
    /// The incremental file being appended to.
    file: Option<Arc<File>>,
    /// Bytes of the base and incremental files (INFO aof_current_size).
    pub current_size: u64,
    /// Size right after the last rewrite (INFO aof_base_size, auto-rewrite growth base).
    pub base_size: u64,
    /// Size of the incremental file being appended to.
    pub last_incr_size: u64,
    /// `current_size` as of the last fsync requested.
    fsync_offset: u64,
    /// Unix time of the last fsync requested.
    last_fsync: i64,
    /// The last write failed (INFO aof_last_write_status:err); writes are refused.
    pub write_failed: bool,
    pub last_write_errno: i32,
    last_error_log: i64,
    last_retry: Option<Instant>,
    /// everysec: when an fsync came due while the previous one was still running.
    fsync_busy_since: Option<Instant>,
    pub delayed_fsync: u64,
    bio: Option<fsync::Bio>,

    pub child: Option<rewrite::Child>,
    pub rewrite_scheduled: bool,
    pub rewrites: u64,
    pub rewrites_consecutive_failures: u64,
    pub last_bgrewrite_failed: bool,
    /// Seconds the last rewrite took; None before the first.
    pub last_rewrite_time_sec: Option<i64>,
    pub last_cow_size: u64,
    /// History files whose deletion was handed to the background thread.
    unlinking: Vec<String>,
    /// How long the last fork took (INFO latest_fork_usec), and how many there were.
    pub latest_fork_usec: u64,
    pub total_forks: u64,
    /// Back-off after repeated failures: (delay in minutes, unix time of the next try).
    limit: (i64, i64),

    pub loading: LoadingInfo,
}

impl AofFeed {
    /// EXEC starts: what it feeds is wrapped in MULTI ... EXEC.
    pub fn begin_exec(&mut self) {
        self.in_exec = true;
        self.multi_written = false;
        self.exec_mark = self.buf.len();
    }

    /// Takes out of `buf` what the running EXEC fed so far (nothing outside EXEC), so a
    /// write in the middle of it (DEBUG LOADAOF inside a transaction) leaves no MULTI
    /// without its EXEC in the file. `put_back_exec` returns it.
    pub fn hold_exec(&mut self) -> Vec<u8> {
        if !self.in_exec {
            return Vec::new();
        }
        self.buf.split_off(self.exec_mark.min(self.buf.len()))
    }

    /// See `hold_exec`.
    pub fn put_back_exec(&mut self, held: Vec<u8>) {
        if self.in_exec {
            self.exec_mark = self.buf.len();
            self.buf.extend_from_slice(&held);
        }
    }

    /// Drops what was fed from `mark` on and ends a transaction without its EXEC (a
    /// script cut short by SHUTDOWN NOSAVE); the next command selects its database again.
    pub fn discard_from(&mut self, mark: usize) {
        self.buf.truncate(mark);
        self.in_exec = false;
        self.multi_written = false;
        self.selected_db = None;
    }

    /// Whether a transaction is being fed.
    pub fn in_exec(&self) -> bool {
        self.in_exec
    }

    /// EXEC ends: closes the MULTI if one was opened.
    pub fn end_exec(&mut self) {
        if self.multi_written {
            self.buf.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
        }
        self.in_exec = false;
        self.multi_written = false;
    }

    fn select(&mut self, db: usize) {
        if self.timestamps {
            let now = crate::store::now_ms() / 1000;
            if now > self.last_ts {
                self.last_ts = now;
                self.buf
                    .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
            }
        }
        if self.selected_db != Some(db) {
            let mut n = itoa::Buffer::new();
            let d = n.format(db);
            self.buf.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n$");
            self.buf
                .extend_from_slice(itoa::Buffer::new().format(d.len()).as_bytes());
            self.buf.extend_from_slice(b"\r\n");
            self.buf.extend_from_slice(d.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
            self.selected_db = Some(db);
        }
        if self.in_exec && !self.multi_written {
            self.multi_written = true;
            self.buf.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        }
    }

    fn part(&mut self, p: &[u8]) {
        self.buf.push(b'$');
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(p.len()).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(p);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Appends a command as received.
    pub fn feed_args(&mut self, db: usize, args: &Args) {
        if !self.enabled || self.muted {
            return;
        }
        self.select(db);
        if let Some(frame) = args.wire_frame() {
            self.buf.extend_from_slice(frame);
            return;
        }
        self.buf.push(b'*');
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(args.len()).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        for a in args.iter() {
            self.part(a);
        }
    }

    /// Appends a command built by the server (a rewritten form, a DEL of an expired key).
    pub fn feed_sds(&mut self, db: usize, parts: &[Sds]) {
        if !self.enabled || self.muted {
            return;
        }
        self.select(db);
        self.buf.push(b'*');
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(parts.len()).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        for p in parts {
            self.part(p);
        }
    }

    /// Recomputes whether commands are recorded: AOF on, or being turned on while the
    /// rewrite that will produce its base runs (what happens before the fork is in the
    /// snapshot).
    fn update_enabled(&mut self) {
        self.enabled = match self.state {
            AofState::On => true,
            AofState::WaitRewrite => self.child.is_some(),
            AofState::Off => false,
        };
    }

    /// The error writes get while the AOF cannot be written (Redis's MISCONF for AOF).
    pub fn deny_writes_error(&self) -> Option<AofError> {
        if self.state == AofState::Off {
            return None;
        }
        let errno = if self.write_failed {
            self.last_write_errno
        } else {
            self.bio.as_ref().and_then(|b| b.last_error())?
        };
        Some(AofError::WriteDenied { errno })
    }

    /// Whether the last write (or background fsync) failed (INFO aof_last_write_status).
    pub fn last_write_ok(&self) -> bool {
        !self.write_failed && self.bio.as_ref().is_none_or(|b| b.last_error().is_none())
    }

    /// Background fsyncs not finished (INFO aof_pending_bio_fsync).
    pub fn pending_bio_fsync(&self) -> usize {
        self.bio.as_ref().map_or(0, |b| b.pending())
    }

    pub fn rewrite_in_progress(&self) -> bool {
        self.child.is_some()
    }

    /// Seconds the running rewrite has taken so far, if one runs.
    pub fn current_rewrite_time_sec(&self) -> Option<i64> {
        self.child
            .as_ref()
            .map(|c| c.started.elapsed().as_secs() as i64)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn bio(&mut self) -> Option<&fsync::Bio> {
        if self.bio.is_none() {
            match fsync::Bio::start() {
                Ok(b) => self.bio = Some(b),
                Err(e) => log::warn!("Can't start the AOF fsync thread: {e}"),
            }
        }
        self.bio.as_ref()
    }
}

/// The C library's text for an errno, as Redis prints it.
pub fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a pointer to a NUL-terminated static or thread-local string.
    unsafe {
        let p = libc::strerror(errno);
        if p.is_null() {
            return format!("errno {errno}");
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

fn unix_now() -> i64 {
    crate::store::now_ms() / 1000
}

/// Opens an AOF file for appending (created if missing).
fn open_append(path: &Path, truncate: bool) -> io::Result<File> {
    // Always O_APPEND: after an ftruncate that removes a failed write, the next write
    // lands at the new end, not past it.
    let mut o = OpenOptions::new();
    o.append(true).create(true).mode(0o644);
    if truncate {
        o.custom_flags(libc::O_TRUNC);
    }
    o.open(path)
}

/// The AOF directory of the configuration.
pub fn aof_dir(config: &Config) -> PathBuf {
    config.dir.join(&config.appenddirname)
}

/// Creates the AOF directory if needed.
fn create_dir(dir: &Path) -> io::Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => {
            // The new directory's own entry must survive a crash too.
            if let Some(parent) = dir.parent() {
                manifest::fsync_dir(parent)?;
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes all of `buf` with as few calls as the kernel allows (retrying short writes and
/// EINTR). Returns the bytes written and the error that stopped it, if any.
fn write_all_fd(f: &File, buf: &[u8]) -> (usize, Option<i32>) {
    if let Some(e) = test_hooks::injected_fault("write") {
        return (0, Some(e));
    }
    let mut done = 0;
    while let Some(rest) = buf.get(done..).filter(|r| !r.is_empty()) {
        // SAFETY: valid descriptor and buffer.
        let n = unsafe {
            libc::write(
                f.as_raw_fd(),
                rest.as_ptr() as *const libc::c_void,
                rest.len(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO);
            if e == libc::EINTR {
                continue;
            }
            return (done, Some(e));
        }
        if n == 0 {
            return (done, Some(libc::ENOSPC));
        }
        done += n as usize;
    }
    (done, None)
}

/// Seconds between two logs of the same AOF write error.
const WRITE_ERROR_LOG_RATE: i64 = 30;
/// How often a failed write is retried.
const RETRY_PERIOD: Duration = Duration::from_millis(100);

/// Writes the iteration's buffer (one write call), fsyncs as the policy says. Under
/// `always` a failure ends the process (`cannot_keep_always`): the replies of the
/// iteration are not written, so nothing that is not on disk is acknowledged.
pub fn flush(aof: &mut AofFeed, config: &Config, force: bool) {
    let policy = config.appendfsync;
    let no_fsync_now = config.no_appendfsync_on_rewrite && aof.child.is_some();
    let Some(file) = aof.file.clone() else {
        aof.buf.clear();
        return;
    };
    let now = unix_now();
    if aof.write_failed {
        // Retrying a failed write: not more often than RETRY_PERIOD.
        if !force && aof.last_retry.is_some_and(|t| t.elapsed() < RETRY_PERIOD) {
            return;
        }
        aof.last_retry = Some(Instant::now());
    }
    if aof.buf.is_empty() {
        if policy == AppendFsync::EverySec && !no_fsync_now {
            everysec_fsync(aof, &file, now);
        }
        return;
    }
    let len = aof.buf.len();
    let (n, err) = write_all_fd(&file, &aof.buf);
    if let Some(errno) = err {
        let can_log = now - aof.last_error_log > WRITE_ERROR_LOG_RATE || !aof.write_failed;
        if can_log {
            aof.last_error_log = now;
        }
        let mut written = n;
        if n == 0 {
            if can_log {
                log::warn!("Error writing to the AOF file: {}", strerror(errno));
            }
        } else {
            if can_log {
                log::warn!(
                    "Short write while writing to the AOF file: (nwritten={n}, expected={len})"
                );
            }
            // SAFETY: valid descriptor.
            if unsafe { libc::ftruncate(file.as_raw_fd(), aof.last_incr_size as libc::off_t) } == -1
            {
                if can_log {
                    log::warn!(
                        "Could not remove short write from the append-only file. The AOF may need redis-check-aof --fix. ftruncate: {}",
                        strerror(io::Error::last_os_error().raw_os_error().unwrap_or(0))
                    );
                }
            } else {
                written = 0;
            }
        }
        aof.last_write_errno = errno;
        aof.write_failed = true;
        if written > 0 {
            aof.current_size += written as u64;
            aof.last_incr_size += written as u64;
            aof.buf.drain(..written);
        }
        if policy == AppendFsync::Always {
            cannot_keep_always(
                aof,
                "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
            );
        }
        return;
    }
    if policy == AppendFsync::Always && !no_fsync_now {
        fsync_always(aof, &file, len);
        return;
    }
    written_ok(aof, len);
    if policy == AppendFsync::EverySec && !no_fsync_now {
        everysec_fsync(aof, &file, now);
    }
}

/// `appendfsync always` cannot be kept: the server exits at once, before the replies of
/// what was not persisted go out, as redis-server does (a rewrite child goes with it).
fn cannot_keep_always(aof: &mut AofFeed, why: &str) -> ! {
    log::warn!("{why}");
    rewrite::kill_child(aof);
    std::process::exit(1);
}

/// The buffer reached the file.
fn written_ok(aof: &mut AofFeed, len: usize) {
    if aof.write_failed {
        log::warn!("AOF write error looks solved, Redis can write again.");
        aof.write_failed = false;
    }
    aof.current_size += len as u64;
    aof.last_incr_size += len as u64;
    if aof.buf.capacity() > 4 * 1024 * 1024 {
        aof.buf = Vec::new();
    } else {
        aof.buf.clear();
    }
}

/// `always`: fsync what was just written (`len` bytes of the buffer); a failure ends the
/// process.
fn fsync_always(aof: &mut AofFeed, file: &Arc<File>, len: usize) {
    let e = fsync::fdatasync(file);
    if e != 0 {
        cannot_keep_always(
            aof,
            &format!(
                "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                strerror(e)
            ),
        );
    }
    written_ok(aof, len);
    aof.fsync_offset = aof.current_size;
    aof.last_fsync = unix_now();
}

/// `everysec`: asks the background thread for an fsync when a second has passed.
fn everysec_fsync(aof: &mut AofFeed, file: &Arc<File>, now: i64) {
    if aof.fsync_offset == aof.current_size || now <= aof.last_fsync {
        return;
    }
    let Some(pending) = aof.bio().map(|b| b.pending()) else {
        return;
    };
    if pending > 0 {
        // The previous fsync is still running (slow disk): count it once it is late.
        match aof.fsync_busy_since {
            None => aof.fsync_busy_since = Some(Instant::now()),
            Some(t) if t.elapsed() >= Duration::from_secs(2) => {
                aof.delayed_fsync += 1;
                aof.fsync_busy_since = Some(Instant::now());
                log::info!("Asynchronous AOF fsync is taking too long (disk is busy?).");
            }
            _ => {}
        }
        return;
    }
    aof.fsync_busy_since = None;
    if let Some(b) = aof.bio.as_ref() {
        b.submit(file.clone());
    }
    aof.fsync_offset = aof.current_size;
    aof.last_fsync = now;
}

/// After loading at start-up, with `appendonly yes`: creates the directory, writes a base
/// of the current data if there is neither base nor incremental file, opens the last
/// incremental file (or a new one) and persists the manifest.
pub fn open_on_start(store: &Store, aof: &mut AofFeed, config: &Config) -> Result<(), AofError> {
    if !config.appendonly {
        return Ok(());
    }
    let dir = aof_dir(config);
    let filename = config.appendfilename.clone();
    create_dir(&dir).map_err(|err| AofError::CreateDir {
        dir: PathBuf::from(&config.appenddirname),
        err,
    })?;
    aof.dir = dir;
    aof.filename = filename.clone();
    let mut persist = false;
    if aof.manifest.is_empty() {
        let name = aof.manifest.new_base(&filename)?;
        let path = aof.path(&name);
        rewrite::write_base_sync(store, config, &path).map_err(|err| AofError::CreateBase {
            name: name.clone(),
            err,
        })?;
        log::info!("Creating AOF base file {name} on server start");
        persist = true;
    }
    let had_incr = !aof.manifest.incrs.is_empty();
    let name = aof.manifest.last_incr(&filename)?;
    persist |= !had_incr;
    let path = aof.path(&name);
    let f = open_append(&path, false).map_err(|err| AofError::OpenAppend {
        name: name.clone(),
        err,
    })?;
    if persist {
        aof.manifest
            .persist(&aof.dir, &filename)
            .map_err(AofError::PersistManifest)?;
    }
    aof.last_incr_size = f.metadata().map(|m| m.len()).unwrap_or(0);
    aof.file = Some(Arc::new(f));
    if had_incr {
        log::info!("Opening AOF incr file {name} on server start");
    } else {
        log::info!("Creating AOF incr file {name} on server start");
    }
    if aof.current_size == 0 {
        aof.current_size = sizes_of(aof).0;
    }
    aof.fsync_offset = aof.current_size;
    aof.last_fsync = unix_now();
    aof.state = AofState::On;
    aof.selected_db = None;
    aof.timestamps = config.aof_timestamp_enabled;
    aof.update_enabled();
    delete_history_files(aof, config, true);
    Ok(())
}

/// (total size of base + incremental files, size of the base).
fn sizes_of(aof: &AofFeed) -> (u64, u64) {
    let size = |n: &str| std::fs::metadata(aof.path(n)).map(|m| m.len()).unwrap_or(0);
    let base = aof.manifest.base.as_ref().map_or(0, |b| size(&b.name));
    let incr: u64 = aof.manifest.incrs.iter().map(|f| size(&f.name)).sum();
    (base + incr, base)
}

/// Deletes the history files left by a rewrite (unless aof-disable-auto-gc). They leave
/// the manifest only once they are gone from the disk, so a crash in between leaves no
/// file behind that the manifest does not name. In the loop the deletions run in the
/// background and the cron finishes the job (`sync`: delete here, at start-up).
pub fn delete_history_files(aof: &mut AofFeed, config: &Config, sync: bool) {
    if config.aof_disable_auto_gc || aof.manifest.history.is_empty() {
        return;
    }
    let mut all_gone = true;
    for f in aof.manifest.history.clone() {
        let p = aof.path(&f.name);
        if !p.exists() {
            continue;
        }
        all_gone = false;
        if aof.unlinking.contains(&f.name) && !sync {
            continue;
        }
        log::info!("Removing the history file {} in the background", f.name);
        match aof.bio().filter(|_| !sync) {
            Some(b) => {
                b.unlink(p);
                aof.unlinking.push(f.name.clone());
            }
            None => {
                all_gone &= std::fs::remove_file(&p).is_ok();
            }
        }
    }
    test_hooks::crash_point("history-deleted");
    if !all_gone && !sync {
        return;
    }
    aof.unlinking.clear();
    aof.manifest.history.clear();
    if let Err(e) = aof
        .manifest
        .persist_tagged(&aof.dir, &aof.filename, "history")
    {
        log::warn!("Can't persist the AOF manifest after removing history files: {e}");
    }
}

/// CONFIG SET appendonly yes: starts a rewrite whose result becomes the base; commands
/// are recorded in a temporary incremental file meanwhile.
pub fn start(store: &Store, aof: &mut AofFeed, config: &Config) -> Result<(), AofError> {
    if aof.state != AofState::Off {
        return Ok(());
    }
    let dir = aof_dir(config);
    aof.dir = dir;
    aof.filename = config.appendfilename.clone();
    if aof.manifest.is_empty() && aof.manifest.history.is_empty() {
        // Continue the sequence numbers of what is on disk, as Redis does.
        if let Ok(Some(m)) = Manifest::load(&aof.dir, &aof.filename) {
            aof.manifest = m;
        }
    }
    aof.state = AofState::WaitRewrite;
    if aof.child.is_some() {
        log::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
        rewrite::kill_child(aof);
    }
    if let Err(e) = rewrite::start_background(store, aof, config) {
        aof.state = AofState::Off;
        aof.update_enabled();
        log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        return Err(e);
    }
    aof.last_fsync = unix_now();
    aof.timestamps = config.aof_timestamp_enabled;
    if let Some(b) = aof.bio.as_ref() {
        if b.last_error().is_some() {
            log::warn!("AOF reopen, just ignore the AOF fsync error in bio job");
            b.clear_error();
        }
    }
    if aof.write_failed {
        log::warn!("AOF reopen, just ignore the last error.");
        aof.write_failed = false;
    }
    Ok(())
}

/// CONFIG SET appendonly no: writes and fsyncs what is buffered, closes the file, stops a
/// running rewrite.
pub fn stop(aof: &mut AofFeed, config: &Config) {
    if aof.state == AofState::Off {
        return;
    }
    flush(aof, config, true);
    if let Some(f) = aof.file.take() {
        let e = fsync::fdatasync(&f);
        if e != 0 {
            log::warn!("Fail to fsync the AOF file: {}", strerror(e));
        }
    }
    aof.selected_db = None;
    if aof.state == AofState::WaitRewrite {
        // What the temporary incremental file collected has no base to go with.
        let _ = std::fs::remove_file(aof.path(&manifest::temp_incr_name(&aof.filename)));
    }
    aof.state = AofState::Off;
    aof.rewrite_scheduled = false;
    aof.last_incr_size = 0;
    rewrite::kill_child(aof);
    aof.buf = Vec::new();
    aof.update_enabled();
}

/// CONFIG SET appendfsync: switching to `always` first makes what was written durable.
pub fn fsync_policy_changed(aof: &mut AofFeed, config: &Config) {
    if config.appendfsync == AppendFsync::Always {
        if let Some(f) = aof.file.clone() {
            if let Some(b) = aof.bio.as_ref() {
                b.drain();
            }
            let e = fsync::fdatasync(&f);
            if e != 0 {
                log::warn!("Fail to fsync the AOF file: {}", strerror(e));
            } else {
                aof.fsync_offset = aof.current_size;
                aof.last_fsync = unix_now();
            }
        }
    }
}

/// Applies a changed directive (called from CONFIG SET). An error means the AOF could not
/// be turned on (the cause was logged).
pub fn config_changed(
    store: &Store,
    aof: &mut AofFeed,
    config: &Config,
    name: &str,
) -> Result<(), AofError> {
    match name {
        "appendonly" => {
            if config.appendonly && aof.state == AofState::Off {
                start(store, aof, config)?;
            } else if !config.appendonly && aof.state != AofState::Off {
                stop(aof, config);
            }
        }
        "appendfsync" => fsync_policy_changed(aof, config),
        "aof-timestamp-enabled" => aof.timestamps = config.aof_timestamp_enabled,
        _ => {}
    }
    Ok(())
}

/// BGREWRITEAOF: the reply text, or the error (its `Display` is the reply).
pub fn bgrewriteaof(
    store: &Store,
    aof: &mut AofFeed,
    config: &Config,
    in_exec: bool,
) -> Result<&'static str, AofError> {
    if aof.child.is_some() {
        return Err(AofError::RewriteInProgress);
    }
    if in_exec {
        aof.rewrite_scheduled = true;
        aof.rewrites_consecutive_failures = 0;
        return Ok("Background append only file rewriting scheduled");
    }
    match rewrite::start_background(store, aof, config) {
        Ok(()) => Ok("Background append only file rewriting started"),
        Err(_) => Err(AofError::BgRewriteFailed),
    }
}

/// After repeated failures, automatic rewrites wait 1, 2, 4 ... up to 60 minutes.
fn rewrite_limited(aof: &mut AofFeed) -> bool {
    const THRESHOLD: u64 = 3;
    const MAX_MINUTES: i64 = 60;
    if aof.rewrites_consecutive_failures < THRESHOLD {
        aof.limit = (0, 0);
        return false;
    }
    let now = unix_now();
    if aof.limit.1 != 0 {
        if now < aof.limit.1 {
            return true;
        }
        aof.limit.1 = 0;
        return false;
    }
    aof.limit.0 = if aof.limit.0 == 0 {
        1
    } else {
        (aof.limit.0 * 2).min(MAX_MINUTES)
    };
    aof.limit.1 = now + aof.limit.0 * 60;
    log::warn!(
        "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
        aof.limit.0
    );
    true
}

/// The persistence part of the server cron: reaps a finished rewrite, retries failed
/// writes, runs scheduled and automatic rewrites, and the everysec fsync when idle.
pub fn cron(store: &Store, aof: &mut AofFeed, config: &Config) {
    rewrite::check_child(aof, config);
    if !aof.manifest.history.is_empty() {
        delete_history_files(aof, config, false);
    }
    if aof.write_failed {
        flush(aof, config, false);
    } else if aof.file.is_some() && aof.buf.is_empty() {
        // everysec: data written in the last second gets its fsync even without new writes.
        flush(aof, config, false);
    }
    if aof.child.is_some() {
        return;
    }
    if aof.rewrite_scheduled && !rewrite_limited(aof) {
        let _ = rewrite::start_background(store, aof, config);
        return;
    }
    let perc = config.auto_aof_rewrite_percentage;
    if aof.state == AofState::On && perc > 0 && aof.current_size > config.auto_aof_rewrite_min_size
    {
        let base = aof.base_size.max(1);
        let growth = (aof.current_size * 100 / base) as i64 - 100;
        if growth >= perc as i64 && !rewrite_limited(aof) {
            log::info!("Starting automatic rewriting of AOF on {growth}% growth");
            let _ = rewrite::start_background(store, aof, config);
        }
    }
}

/// Shutdown: stops a rewrite, writes and fsyncs what is buffered. Returns false if the
/// AOF could not be written (replies that acknowledge it must not go out).
pub fn shutdown(aof: &mut AofFeed, config: &Config) -> bool {
    if aof.child.is_some() {
        log::warn!("There is a child rewriting the AOF. Killing it!");
        rewrite::kill_child(aof);
    }
    if aof.file.is_none() {
        if let Some(b) = aof.bio.as_ref() {
            b.drain();
        }
        return true;
    }
    flush(aof, config, true);
    let ok = aof.buf.is_empty();
    if let Some(b) = aof.bio.as_ref() {
        b.drain();
    }
    if let Some(f) = aof.file.as_ref() {
        let e = fsync::fdatasync(f);
        if e != 0 {
            log::warn!("Fail to fsync the AOF file: {}", strerror(e));
            return false;
        }
    }
    ok
}

/// The AOF's part of INFO's `# Persistence` section, as numbers and flags (the INFO
/// command formats them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofInfo {
    /// The AOF is on or being turned on.
    pub enabled: bool,
    pub rewrite_in_progress: bool,
    pub rewrite_scheduled: bool,
    /// -1 before the first rewrite.
    pub last_rewrite_time_sec: i64,
    /// -1 when no rewrite runs.
    pub current_rewrite_time_sec: i64,
    pub last_bgrewrite_ok: bool,
    pub rewrites: u64,
    pub rewrites_consecutive_failures: u64,
    pub last_write_ok: bool,
    pub last_cow_size: u64,
    /// Only while the AOF is on (or being turned on).
    pub sizes: Option<AofSizes>,
}

/// The size fields of INFO, present while the AOF is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofSizes {
    pub current_size: u64,
    pub base_size: u64,
    pub pending_rewrite: bool,
    pub buffer_length: usize,
    pub pending_bio_fsync: usize,
    pub delayed_fsync: u64,
}

/// Progress of the start-up load (INFO `loading_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadingProgress {
    pub start_time: i64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    /// 0 to 100.
    pub loaded_perc: f64,
    pub eta_seconds: i64,
}

/// The AOF's INFO data. Redis 7.0 prints the always-present fields (aof_enabled ...
/// aof_last_cow_size), then `module_fork_*`, then the sizes when the AOF is on.
pub fn info(aof: &AofFeed) -> AofInfo {
    let a = aof;
    AofInfo {
        enabled: a.state != AofState::Off,
        rewrite_in_progress: a.child.is_some(),
        rewrite_scheduled: a.rewrite_scheduled,
        last_rewrite_time_sec: a.last_rewrite_time_sec.unwrap_or(-1),
        current_rewrite_time_sec: a.current_rewrite_time_sec().unwrap_or(-1),
        last_bgrewrite_ok: !a.last_bgrewrite_failed,
        rewrites: a.rewrites,
        rewrites_consecutive_failures: a.rewrites_consecutive_failures,
        last_write_ok: a.last_write_ok(),
        last_cow_size: a.last_cow_size,
        sizes: (a.state != AofState::Off).then(|| AofSizes {
            current_size: a.current_size,
            base_size: a.base_size,
            pending_rewrite: a.rewrite_scheduled,
            buffer_length: a.buf.len(),
            pending_bio_fsync: a.pending_bio_fsync(),
            delayed_fsync: a.delayed_fsync,
        }),
    }
}

/// Progress of the load (for INFO while `loading` is set).
pub fn loading_progress(aof: &AofFeed) -> LoadingProgress {
    let l = &aof.loading;
    let elapsed = l.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
    let perc = if l.total_bytes > 0 {
        l.loaded_bytes as f64 * 100.0 / l.total_bytes as f64
    } else {
        0.0
    };
    let eta = if l.loaded_bytes > 0 {
        ((l.total_bytes.saturating_sub(l.loaded_bytes)) as f64 * elapsed / l.loaded_bytes as f64)
            as i64
    } else {
        1
    };
    LoadingProgress {
        start_time: l.start_time,
        total_bytes: l.total_bytes,
        loaded_bytes: l.loaded_bytes,
        loaded_perc: perc,
        eta_seconds: eta,
    }
}
