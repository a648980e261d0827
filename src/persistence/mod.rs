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
//! `always` no reply leaves before what it acknowledges is on disk.

pub mod check;
pub mod fsync;
pub mod load;
pub mod manifest;
pub mod reader;
pub mod rewrite;
pub mod test_hooks;

use crate::commands::Args;
use crate::config::AppendFsync;
use crate::server::Core;
use crate::store::bytes::Sds;
use crate::store::Store;
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
    /// `always` after a failure: replies wait until the data is on disk.
    hold: bool,
    last_retry: Option<Instant>,
    /// Connections whose replies wait for the AOF (see `hold`).
    pub held: Vec<crate::server::client::ClientRef>,
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
        if !self.enabled {
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
        if !self.enabled {
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
    pub fn deny_writes_error(&self) -> Option<String> {
        if self.state == AofState::Off {
            return None;
        }
        let errno = if self.write_failed {
            self.last_write_errno
        } else {
            self.bio.as_ref().and_then(|b| b.last_error())?
        };
        Some(format!(
            "MISCONF Errors writing to the AOF file: {}",
            strerror(errno)
        ))
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
pub fn aof_dir(core: &Core) -> PathBuf {
    core.config.dir.join(&core.config.appenddirname)
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
    while done < buf.len() {
        // SAFETY: valid descriptor and buffer.
        let n = unsafe {
            libc::write(
                f.as_raw_fd(),
                buf[done..].as_ptr() as *const libc::c_void,
                buf.len() - done,
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

/// Writes the iteration's buffer (one write call), fsyncs as the policy says. Returns
/// whether replies may go out now: false only under `always` while the data they
/// acknowledge is not on disk.
pub fn flush(core: &mut Core, force: bool) -> bool {
    let policy = core.config.appendfsync;
    let no_fsync_now = core.config.no_appendfsync_on_rewrite && core.aof.child.is_some();
    let aof = &mut core.aof;
    let Some(file) = aof.file.clone() else {
        aof.buf.clear();
        aof.hold = false;
        return true;
    };
    let now = unix_now();
    if aof.write_failed || aof.hold {
        // Retrying a failed write: not more often than RETRY_PERIOD.
        if !force && aof.last_retry.is_some_and(|t| t.elapsed() < RETRY_PERIOD) {
            return !aof.hold;
        }
        aof.last_retry = Some(Instant::now());
    }
    if aof.buf.is_empty() {
        if aof.hold && policy == AppendFsync::Always {
            // The data is in the file but its fsync failed: try again.
            return fsync_always(aof, &file, 0);
        }
        if policy == AppendFsync::EverySec && !no_fsync_now {
            everysec_fsync(aof, &file, now);
        }
        return true;
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
            aof.hold = true;
            return false;
        }
        return true;
    }
    if policy == AppendFsync::Always && !no_fsync_now {
        return fsync_always(aof, &file, len);
    }
    written_ok(aof, len);
    if policy == AppendFsync::EverySec && !no_fsync_now {
        everysec_fsync(aof, &file, now);
    }
    true
}

/// The buffer reached the file.
fn written_ok(aof: &mut AofFeed, len: usize) {
    aof.hold = false;
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

/// `always`: fsync what was just written (`len` bytes of the buffer, 0 when retrying an
/// fsync alone). On failure the unsynced bytes are cut from the file and kept in the
/// buffer to be written again, and replies are held.
fn fsync_always(aof: &mut AofFeed, file: &Arc<File>, len: usize) -> bool {
    let e = fsync::fdatasync(file);
    if e == 0 {
        written_ok(aof, len);
        if aof.hold {
            aof.hold = false;
        }
        aof.fsync_offset = aof.current_size;
        aof.last_fsync = unix_now();
        return true;
    }
    let now = unix_now();
    if now - aof.last_error_log > WRITE_ERROR_LOG_RATE || !aof.write_failed {
        aof.last_error_log = now;
        log::warn!(
            "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Replies wait and writes are refused until it succeeds.",
            strerror(e)
        );
    }
    aof.last_write_errno = e;
    aof.write_failed = true;
    aof.hold = true;
    if len > 0 {
        // After a failed fsync the kernel may have dropped the dirty pages: cut the bytes
        // and write them again later.
        // SAFETY: valid descriptor.
        let cut = unsafe { libc::ftruncate(file.as_raw_fd(), aof.last_incr_size as libc::off_t) };
        if cut == -1 {
            // They stay in the file; only the fsync is retried.
            aof.current_size += len as u64;
            aof.last_incr_size += len as u64;
            aof.buf.clear();
        }
    }
    false
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
pub fn open_on_start(store: &Store, core: &mut Core) -> Result<(), String> {
    if !core.config.appendonly {
        return Ok(());
    }
    let dir = aof_dir(core);
    let filename = core.config.appendfilename.clone();
    create_dir(&dir).map_err(|e| {
        format!(
            "Can't open or create append-only dir {}: {e}",
            core.config.appenddirname
        )
    })?;
    let aof = &mut core.aof;
    aof.dir = dir;
    aof.filename = filename.clone();
    let mut persist = false;
    if aof.manifest.is_empty() {
        let name = aof.manifest.new_base(&filename);
        let path = aof.path(&name);
        rewrite::write_base_sync(store, &core.config, &path)
            .map_err(|e| format!("Can't create the AOF base file {name}: {e}"))?;
        log::info!("Creating AOF base file {name} on server start");
        persist = true;
    }
    let aof = &mut core.aof;
    let had_incr = !aof.manifest.incrs.is_empty();
    let name = aof.manifest.last_incr(&filename);
    persist |= !had_incr;
    let path = aof.path(&name);
    let f = open_append(&path, false)
        .map_err(|e| format!("Can't open the append-only file {name}: {e}"))?;
    if persist {
        aof.manifest
            .persist(&aof.dir, &filename)
            .map_err(|e| format!("Can't persist the AOF manifest: {e}"))?;
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
    aof.timestamps = core.config.aof_timestamp_enabled;
    aof.update_enabled();
    delete_history_files(core, true);
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
pub fn delete_history_files(core: &mut Core, sync: bool) {
    if core.config.aof_disable_auto_gc || core.aof.manifest.history.is_empty() {
        return;
    }
    let aof = &mut core.aof;
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
pub fn start(store: &Store, core: &mut Core) -> Result<(), String> {
    if core.aof.state != AofState::Off {
        return Ok(());
    }
    let dir = aof_dir(core);
    core.aof.dir = dir;
    core.aof.filename = core.config.appendfilename.clone();
    if core.aof.manifest.is_empty() && core.aof.manifest.history.is_empty() {
        // Continue the sequence numbers of what is on disk, as Redis does.
        if let Ok(Some(m)) = Manifest::load(&core.aof.dir, &core.aof.filename) {
            core.aof.manifest = m;
        }
    }
    core.aof.state = AofState::WaitRewrite;
    if core.aof.child.is_some() {
        log::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
        rewrite::kill_child(core);
    }
    if let Err(e) = rewrite::start_background(store, core) {
        core.aof.state = AofState::Off;
        core.aof.update_enabled();
        log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        return Err(e);
    }
    core.aof.last_fsync = unix_now();
    core.aof.timestamps = core.config.aof_timestamp_enabled;
    if let Some(b) = core.aof.bio.as_ref() {
        if b.last_error().is_some() {
            log::warn!("AOF reopen, just ignore the AOF fsync error in bio job");
            b.clear_error();
        }
    }
    if core.aof.write_failed {
        log::warn!("AOF reopen, just ignore the last error.");
        core.aof.write_failed = false;
    }
    Ok(())
}

/// CONFIG SET appendonly no: writes and fsyncs what is buffered, closes the file, stops a
/// running rewrite.
pub fn stop(core: &mut Core) {
    if core.aof.state == AofState::Off {
        return;
    }
    flush(core, true);
    let aof = &mut core.aof;
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
    aof.hold = false;
    rewrite::kill_child(core);
    core.aof.buf = Vec::new();
    core.aof.update_enabled();
}

/// CONFIG SET appendfsync: switching to `always` first makes what was written durable.
pub fn fsync_policy_changed(core: &mut Core) {
    if core.config.appendfsync == AppendFsync::Always {
        if let Some(f) = core.aof.file.clone() {
            if let Some(b) = core.aof.bio.as_ref() {
                b.drain();
            }
            let e = fsync::fdatasync(&f);
            if e != 0 {
                log::warn!("Fail to fsync the AOF file: {}", strerror(e));
            } else {
                core.aof.fsync_offset = core.aof.current_size;
                core.aof.last_fsync = unix_now();
            }
        }
    }
}

/// Applies a changed directive (called from CONFIG SET). Errors are for CONFIG SET.
pub fn config_changed(store: &Store, core: &mut Core, name: &str) -> Result<(), String> {
    match name {
        "appendonly" => {
            if core.config.appendonly && core.aof.state == AofState::Off {
                start(store, core)?;
            } else if !core.config.appendonly && core.aof.state != AofState::Off {
                stop(core);
            }
        }
        "appendfsync" => fsync_policy_changed(core),
        "aof-timestamp-enabled" => core.aof.timestamps = core.config.aof_timestamp_enabled,
        _ => {}
    }
    Ok(())
}

/// BGREWRITEAOF: the reply text, or the error.
pub fn bgrewriteaof(store: &Store, core: &mut Core, in_exec: bool) -> Result<&'static str, String> {
    if core.aof.child.is_some() {
        return Err("ERR Background append only file rewriting already in progress".into());
    }
    if in_exec {
        core.aof.rewrite_scheduled = true;
        core.aof.rewrites_consecutive_failures = 0;
        return Ok("Background append only file rewriting scheduled");
    }
    match rewrite::start_background(store, core) {
        Ok(()) => Ok("Background append only file rewriting started"),
        Err(_) => Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".into()),
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
pub fn cron(store: &Store, core: &mut Core) {
    rewrite::check_child(core);
    if !core.aof.manifest.history.is_empty() {
        delete_history_files(core, false);
    }
    if core.aof.write_failed || core.aof.hold {
        flush(core, false);
    } else if core.aof.file.is_some() && core.aof.buf.is_empty() {
        // everysec: data written in the last second gets its fsync even without new writes.
        flush(core, false);
    }
    if core.aof.child.is_some() {
        return;
    }
    if core.aof.rewrite_scheduled && !rewrite_limited(&mut core.aof) {
        let _ = rewrite::start_background(store, core);
        return;
    }
    let perc = core.config.auto_aof_rewrite_percentage;
    let aof = &mut core.aof;
    if aof.state == AofState::On
        && perc > 0
        && aof.current_size > core.config.auto_aof_rewrite_min_size
    {
        let base = aof.base_size.max(1);
        let growth = (aof.current_size * 100 / base) as i64 - 100;
        if growth >= perc as i64 && !rewrite_limited(aof) {
            log::info!("Starting automatic rewriting of AOF on {growth}% growth");
            let _ = rewrite::start_background(store, core);
        }
    }
}

/// Shutdown: stops a rewrite, writes and fsyncs what is buffered. Returns false if the
/// AOF could not be written (replies that acknowledge it must not go out).
pub fn shutdown(core: &mut Core) -> bool {
    if core.aof.child.is_some() {
        log::warn!("There is a child rewriting the AOF. Killing it!");
        rewrite::kill_child(core);
    }
    if core.aof.file.is_none() {
        if let Some(b) = core.aof.bio.as_ref() {
            b.drain();
        }
        return true;
    }
    let ok = flush(core, true) && core.aof.buf.is_empty();
    if let Some(b) = core.aof.bio.as_ref() {
        b.drain();
    }
    if let Some(f) = core.aof.file.as_ref() {
        let e = fsync::fdatasync(f);
        if e != 0 {
            log::warn!("Fail to fsync the AOF file: {}", strerror(e));
            return false;
        }
    }
    ok
}

/// INFO fields: (name, value).
pub type InfoFields = Vec<(&'static str, String)>;

/// The `# Persistence` fields about the AOF, in Redis 7.0's order: the always-present
/// ones (aof_enabled ... aof_last_cow_size), then, when the AOF is on, the size fields.
/// `module_fork_*` (which Redis prints between the two groups) are left to the caller.
pub fn info_fields(core: &Core) -> (InfoFields, InfoFields) {
    let a = &core.aof;
    let status = |failed: bool| if failed { "err" } else { "ok" }.to_string();
    let first = vec![
        (
            "aof_enabled",
            ((a.state != AofState::Off) as u8).to_string(),
        ),
        (
            "aof_rewrite_in_progress",
            (a.child.is_some() as u8).to_string(),
        ),
        (
            "aof_rewrite_scheduled",
            (a.rewrite_scheduled as u8).to_string(),
        ),
        (
            "aof_last_rewrite_time_sec",
            a.last_rewrite_time_sec.unwrap_or(-1).to_string(),
        ),
        (
            "aof_current_rewrite_time_sec",
            a.current_rewrite_time_sec().unwrap_or(-1).to_string(),
        ),
        ("aof_last_bgrewrite_status", status(a.last_bgrewrite_failed)),
        ("aof_rewrites", a.rewrites.to_string()),
        (
            "aof_rewrites_consecutive_failures",
            a.rewrites_consecutive_failures.to_string(),
        ),
        ("aof_last_write_status", status(!a.last_write_ok())),
        ("aof_last_cow_size", a.last_cow_size.to_string()),
    ];
    let mut second = Vec::new();
    if a.state != AofState::Off {
        second = vec![
            ("aof_current_size", a.current_size.to_string()),
            ("aof_base_size", a.base_size.to_string()),
            (
                "aof_pending_rewrite",
                (a.rewrite_scheduled as u8).to_string(),
            ),
            ("aof_buffer_length", a.buf.len().to_string()),
            ("aof_pending_bio_fsync", a.pending_bio_fsync().to_string()),
            ("aof_delayed_fsync", a.delayed_fsync.to_string()),
        ];
    }
    (first, second)
}

/// The `loading_*` fields Redis adds while loading.
pub fn loading_fields(store: &Store, core: &Core) -> InfoFields {
    if !store.loading {
        return Vec::new();
    }
    let l = &core.aof.loading;
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
    vec![
        ("loading_start_time", l.start_time.to_string()),
        ("loading_total_bytes", l.total_bytes.to_string()),
        ("loading_rdb_used_mem", "0".to_string()),
        ("loading_loaded_bytes", l.loaded_bytes.to_string()),
        ("loading_loaded_perc", format!("{perc:.2}")),
        ("loading_eta_seconds", eta.to_string()),
    ]
}
