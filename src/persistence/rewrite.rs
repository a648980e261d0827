//! AOF rewrite: a base file that rebuilds the whole dataset, written by a forked child
//! from its copy-on-write view while the server keeps serving.
//!
//! The sequence, as in Redis 7.0 (every step leaves a directory that loads completely):
//! 1. the buffer is written out and a new incremental file opened; the manifest listing it
//!    is persisted (a crash here: the new file is empty or listed and empty);
//! 2. fork: the child writes `dir/temp-rewriteaof-bg-<pid>.aof` (SELECT, then per key a
//!    SET / RPUSH / SADD / ZADD / HMSET of at most 64 items each, and a PEXPIREAT), fsyncs
//!    it and exits 0; the parent keeps appending to the new incremental file;
//! 3. the parent reaps the child, renames the temporary file to the next base name,
//!    marks the old base and the incremental files before the new one as history and
//!    persists the manifest atomically (until then the old base and files are complete);
//! 4. the history files are deleted and the manifest persisted again without them.
//!
//! A failed rewrite only costs the temporary file; automatic rewrites retry with back-off.
//!
//! Everything here works on the `AofFeed` and the `Config` the server hands in. A failure
//! is an `AofError`: logged where Redis logs it (the failed step, or the reaping of the
//! child), and returned so that BGREWRITEAOF and CONFIG SET can answer.

use super::error::AofError;
use super::manifest::Manifest;
use super::{test_hooks, AofFeed, AofState};
use crate::config::Config;
use crate::store::{Store, Value};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Items per RPUSH/SADD/ZADD/HMSET, Redis's AOF_REWRITE_ITEMS_PER_CMD.
pub const ITEMS_PER_CMD: usize = 64;
/// Incremental fsync while writing a base (aof-rewrite-incremental-fsync), in bytes.
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;
const WRITE_CHUNK: usize = 1 << 20;
/// How much lower the rewrite child's CPU priority is than the server's.
const REWRITE_NICE: libc::c_int = 10;

/// A running rewrite child.
pub struct Child {
    pub pid: libc::pid_t,
    pub started: Instant,
    /// The child reports its copy-on-write size here before exiting.
    pipe: OwnedFd,
    tmpfile: PathBuf,
}

/// A buffered writer over a file that counts bytes and fsyncs incrementally.
struct BaseWriter {
    f: File,
    buf: Vec<u8>,
    written: u64,
    synced: u64,
    autosync: bool,
}

impl BaseWriter {
    fn new(f: File, autosync: bool) -> BaseWriter {
        BaseWriter {
            f,
            buf: Vec::with_capacity(WRITE_CHUNK + 64 * 1024),
            written: 0,
            synced: 0,
            autosync,
        }
    }

    #[inline]
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= WRITE_CHUNK {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.f.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        if self.autosync && self.written - self.synced >= AUTOSYNC_BYTES {
            let e = super::fsync::fdatasync(&self.f);
            if e != 0 {
                return Err(io::Error::from_raw_os_error(e));
            }
            self.synced = self.written;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<File> {
        self.flush_buf()?;
        self.f.sync_all()?;
        Ok(self.f)
    }

    #[inline]
    fn count(&mut self, prefix: u8, n: usize) {
        self.buf.push(prefix);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    fn bulk(&mut self, b: &[u8]) {
        self.count(b'$', b.len());
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    fn bulk_i64(&mut self, v: i64) {
        let mut n = itoa::Buffer::new();
        self.bulk(n.format(v).as_bytes());
    }

    fn bulk_f64(&mut self, d: f64) {
        let mut out = Vec::with_capacity(32);
        crate::util::num::fmt_double(d, &mut out);
        self.bulk(&out);
    }
}

/// Commands of at most ITEMS_PER_CMD items (`name key item...`), as Redis's rewrite
/// emits RPUSH / SADD / ZADD / HMSET. `per_item`: arguments per item (2 for field-value
/// and score-member pairs).
struct Batch<'a> {
    name: &'static [u8],
    key: &'a [u8],
    per_item: usize,
    left: usize,
    in_cmd: usize,
}

impl<'a> Batch<'a> {
    fn new(name: &'static [u8], key: &'a [u8], total: usize, per_item: usize) -> Batch<'a> {
        Batch {
            name,
            key,
            per_item,
            left: total,
            in_cmd: 0,
        }
    }

    /// Before an item: opens a command when needed.
    #[inline]
    fn begin(&mut self, w: &mut BaseWriter) {
        if self.in_cmd == 0 {
            let n = self.left.clamp(1, ITEMS_PER_CMD);
            w.count(b'*', 2 + n * self.per_item);
            w.bulk(self.name);
            w.bulk(self.key);
        }
    }

    /// After an item.
    #[inline]
    fn end(&mut self, w: &mut BaseWriter) -> io::Result<()> {
        self.in_cmd += 1;
        self.left = self.left.saturating_sub(1);
        if self.in_cmd == ITEMS_PER_CMD {
            self.in_cmd = 0;
            w.maybe_flush()?;
        }
        Ok(())
    }
}

/// Redis's debugDelay: a positive value sleeps that many microseconds; a negative one
/// sleeps 1 µs with probability 1/-n.
pub(crate) fn debug_delay(usec: i32, rng: &mut u64) {
    let us = if usec < 0 {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        if (*rng).is_multiple_of((-(usec as i64)) as u64) {
            1
        } else {
            0
        }
    } else {
        usec as u64
    };
    if us > 0 {
        std::thread::sleep(std::time::Duration::from_micros(us));
    }
}

/// Writes the commands that rebuild every database into `w`.
fn write_dataset(
    store: &Store,
    w: &mut BaseWriter,
    key_delay: i32,
    in_child: bool,
) -> io::Result<()> {
    let total_keys: usize = store.dbs().iter().map(|d| d.len()).sum();
    let crash_half = in_child && test_hooks::crash_requested("child-writing");
    let mut done_keys = 0usize;
    let mut rng = 0x2545_f491_4f6c_dd1du64 ^ std::process::id() as u64;
    // Functions first, as Redis's rewrite does: keys never depend on them, but a
    // reloaded AOF must have them before anything calls them.
    for code in &store.function_libraries {
        w.buf
            .extend_from_slice(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n");
        w.bulk(code);
        w.maybe_flush()?;
    }
    for (j, db) in store.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.buf.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n");
        w.bulk_i64(j as i64);
        for (key, value) in db.keys.iter() {
            match value {
                Value::Str(s) => {
                    w.buf.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
                    w.bulk(key);
                    w.bulk(s);
                }
                Value::Hash(h) => write_hash(w, key, h)?,
                Value::List(l) => write_list(w, key, l)?,
                Value::Set(s) => write_set(w, key, s)?,
                Value::ZSet(z) => write_zset(w, key, z)?,
            }
            if let Some(when) = db.expire_at(key) {
                w.buf.extend_from_slice(b"*3\r\n$9\r\nPEXPIREAT\r\n");
                w.bulk(key);
                w.bulk_i64(when);
            }
            w.maybe_flush()?;
            done_keys += 1;
            if crash_half && done_keys * 2 >= total_keys {
                w.flush_buf()?;
                test_hooks::crash_point_child("child-writing");
            }
            if key_delay != 0 {
                debug_delay(key_delay, &mut rng);
            }
        }
    }
    Ok(())
}

fn write_hash(w: &mut BaseWriter, key: &[u8], h: &crate::store::hash::Hash) -> io::Result<()> {
    let mut b = Batch::new(b"HMSET", key, h.len(), 2);
    for (f, v) in h.iter() {
        b.begin(w);
        w.bulk(f);
        w.bulk(v);
        b.end(w)?;
    }
    Ok(())
}

fn write_list(w: &mut BaseWriter, key: &[u8], l: &crate::store::list::List) -> io::Result<()> {
    let mut b = Batch::new(b"RPUSH", key, l.len(), 1);
    for e in l.iter() {
        b.begin(w);
        e.with_bytes(|x| w.bulk(x));
        b.end(w)?;
    }
    Ok(())
}

fn write_set(w: &mut BaseWriter, key: &[u8], s: &crate::store::set::Set) -> io::Result<()> {
    let mut b = Batch::new(b"SADD", key, s.len(), 1);
    for m in s.iter() {
        b.begin(w);
        m.with_bytes(|x| w.bulk(x));
        b.end(w)?;
    }
    Ok(())
}

fn write_zset(w: &mut BaseWriter, key: &[u8], z: &crate::store::zset::ZSet) -> io::Result<()> {
    let mut b = Batch::new(b"ZADD", key, z.len(), 2);
    for (m, score) in z.iter() {
        b.begin(w);
        w.bulk_f64(score);
        w.bulk(m);
        b.end(w)?;
    }
    Ok(())
}

/// Writes a complete base file to `path` (through a temporary file in `dir` and a rename),
/// in the calling process: the base written at start-up.
pub fn write_base_sync(store: &Store, config: &Config, path: &Path) -> io::Result<()> {
    let tmp = config
        .dir
        .join(format!("temp-rewriteaof-{}.aof", std::process::id()));
    let res = (|| {
        let f = create_file(&tmp)?;
        let mut w = BaseWriter::new(f, config.aof_rewrite_incremental_fsync);
        write_dataset(store, &mut w, 0, false)?;
        w.finish()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = &res {
        log::warn!("Write error writing append only file on disk: {e}");
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

fn create_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
}

/// The temporary base a child with this pid writes.
fn temp_file(config_dir: &Path, pid: libc::pid_t) -> PathBuf {
    config_dir.join(format!("temp-rewriteaof-bg-{pid}.aof"))
}

/// Opens a new incremental file for the writes that follow a rewrite's snapshot and
/// persists a manifest listing it (only then is it switched to). While the AOF is being
/// turned on, a temporary incremental file takes the writes instead.
fn open_new_incr(aof: &mut AofFeed, config: &Config) -> Result<(), AofError> {
    if aof.state == AofState::Off {
        return Ok(());
    }
    let mut temp_am: Option<Manifest> = None;
    let name = if aof.state == AofState::WaitRewrite {
        super::manifest::temp_incr_name(&aof.filename)
    } else {
        let mut m = aof.manifest.clone();
        let n = m
            .new_incr(&aof.filename)
            .inspect_err(|e| log::warn!("{e}"))?;
        temp_am = Some(m);
        n
    };
    let f = super::open_append(&aof.path(&name), true).map_err(|err| {
        let e = AofError::OpenAppend {
            name: name.clone(),
            err,
        };
        log::warn!("{e}");
        e
    })?;
    test_hooks::crash_point("incr-opened");
    if let Some(m) = &temp_am {
        m.persist_tagged(&aof.dir, &aof.filename, "open-incr")
            .map_err(AofError::PersistManifest)?;
    }
    test_hooks::crash_point("incr-persisted");
    log::info!("Creating AOF incr file {name} on background rewrite");
    // The old file gets its last fsync in the background (under always it had it).
    if let Some(old) = aof.file.take() {
        if config.appendfsync != crate::config::AppendFsync::No {
            if let Some(b) = aof.bio() {
                b.submit(old);
            }
        }
        aof.fsync_offset = aof.current_size;
        aof.last_fsync = super::unix_now();
    }
    aof.file = Some(Arc::new(f));
    aof.last_incr_size = 0;
    if let Some(m) = temp_am {
        aof.manifest = m;
    }
    Ok(())
}

/// Starts a background rewrite (BGREWRITEAOF, automatic rewrite, turning the AOF on).
pub fn start_background(store: &Store, aof: &mut AofFeed, config: &Config) -> Result<(), AofError> {
    let held = Instant::now();
    if aof.child.is_some() {
        return Err(AofError::RewriteInProgress);
    }
    if aof.dir.as_os_str().is_empty() {
        aof.dir = super::aof_dir(config);
        aof.filename = config.appendfilename.clone();
    }
    if aof.state == AofState::Off && aof.manifest.is_empty() {
        if let Ok(Some(m)) = Manifest::load(&aof.dir, &aof.filename) {
            aof.manifest = m;
        }
    }
    if let Err(err) = super::create_dir(&aof.dir) {
        aof.last_bgrewrite_failed = true;
        let e = AofError::CreateDir {
            dir: aof.dir.clone(),
            err,
        };
        log::warn!("{e}");
        return Err(e);
    }
    // The next command fed gets a SELECT: the new incremental file starts without one.
    aof.selected_db = None;
    super::flush(aof, config, true);
    if let Err(e) = open_new_incr(aof, config) {
        aof.last_bgrewrite_failed = true;
        return Err(e);
    }
    aof.rewrites += 1;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } == -1 {
        aof.last_bgrewrite_failed = true;
        let e = AofError::Spawn {
            what: "pipe",
            err: io::Error::last_os_error(),
        };
        log::warn!("{e}");
        return Err(e);
    }
    // SAFETY: fresh descriptors we own.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let parent = unsafe { libc::getpid() };
    let fork_start = Instant::now();
    // SAFETY: the child only reads its copy of the data, writes a file and _exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(rd);
        run_child(store, config, parent, wr);
    }
    drop(wr);
    if pid == -1 {
        aof.last_bgrewrite_failed = true;
        let e = AofError::Spawn {
            what: "fork",
            err: io::Error::last_os_error(),
        };
        log::warn!("{e}");
        return Err(e);
    }
    aof.latest_fork_usec = fork_start.elapsed().as_micros() as u64;
    aof.total_forks += 1;
    log::info!(
        "Background append only file rewriting started by pid {pid} (fork took {:.3} ms, the loop was held {:.3} ms)",
        aof.latest_fork_usec as f64 / 1000.0,
        held.elapsed().as_secs_f64() * 1000.0
    );
    aof.child = Some(Child {
        pid,
        started: Instant::now(),
        pipe: rd,
        tmpfile: temp_file(&config.dir, pid),
    });
    aof.rewrite_scheduled = false;
    aof.update_enabled();
    Ok(())
}

/// The rewrite child: writes the temporary base and exits (never returns).
fn run_child(store: &Store, config: &Config, parent: libc::pid_t, report: OwnedFd) -> ! {
    // SAFETY: signal/prctl calls in the single-threaded child.
    unsafe {
        libc::signal(libc::SIGTERM, libc::SIG_DFL);
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        libc::signal(libc::SIGUSR1, libc::SIG_DFL);
        // Die with the server rather than finish a rewrite nobody will use.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        // The serving loop comes first when they compete for a core: the rewrite takes
        // a little longer instead of the clients waiting.
        libc::nice(REWRITE_NICE);
        if libc::getppid() != parent {
            libc::_exit(1);
        }
    }
    let pid = std::process::id() as libc::pid_t;
    let tmp = temp_file(&config.dir, pid);
    let res = (|| {
        let f = create_file(&tmp)?;
        let mut w = BaseWriter::new(f, config.aof_rewrite_incremental_fsync);
        write_dataset(store, &mut w, config.rdb_key_save_delay, true)?;
        w.finish()?;
        Ok::<(), io::Error>(())
    })();
    let code = match res {
        Ok(()) => {
            test_hooks::crash_point_child("child-done");
            if test_hooks::crash_requested("child-fail") {
                log::warn!("Test hook: failing the AOF rewrite child");
                1
            } else {
                log::info!(
                    "Successfully created the temporary AOF base file {}",
                    tmp.display()
                );
                let cow = private_dirty_bytes();
                log::info!(
                    "Fork CoW for AOF rewrite: current {} MB, peak {} MB, average {} MB",
                    cow >> 20,
                    cow >> 20,
                    cow >> 20
                );
                let b = cow.to_le_bytes();
                // SAFETY: writing 8 bytes from a local buffer to our pipe end.
                unsafe {
                    libc::write(report.as_raw_fd(), b.as_ptr() as *const libc::c_void, 8);
                }
                0
            }
        }
        Err(e) => {
            log::warn!("Write error writing append only file on disk: {e}");
            1
        }
    };
    // SAFETY: leave without running destructors or atexit handlers of the parent's state.
    unsafe { libc::_exit(code) }
}

/// Private dirty memory of this process: what copy-on-write cost (Redis reads the same).
fn private_dirty_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup")
        .or_else(|_| std::fs::read_to_string("/proc/self/smaps"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// Reaps a finished child (from the cron) and completes or abandons its rewrite.
pub fn check_child(aof: &mut AofFeed, config: &Config) {
    let Some(child) = aof.child.as_ref() else {
        return;
    };
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid on our own child.
    let r = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
    if r == 0 {
        return;
    }
    if r == -1 {
        let e = io::Error::last_os_error();
        log::warn!(
            "waitpid() returned an error: {e}. child_type: AOF, child_pid = {}",
            child.pid
        );
        done(aof, config, false, None);
        return;
    }
    let (ok, sig) = if libc::WIFSIGNALED(status) {
        (false, Some(libc::WTERMSIG(status)))
    } else {
        (libc::WEXITSTATUS(status) == 0, None)
    };
    done(aof, config, ok, sig);
}

/// Stops a running rewrite (AOF turned off, shutdown, restart of the rewrite).
pub fn kill_child(aof: &mut AofFeed) {
    let Some(child) = aof.child.as_ref() else {
        return;
    };
    log::info!("Killing running AOF rewrite child: {}", child.pid);
    // SAFETY: signalling and reaping our own child.
    unsafe {
        if libc::kill(child.pid, libc::SIGUSR1) != -1 {
            let mut st = 0;
            while libc::waitpid(child.pid, &mut st, 0) == -1
                && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
            {}
        }
    }
    let _ = std::fs::remove_file(&child.tmpfile);
    aof.child = None;
    aof.update_enabled();
}

/// A rewrite child finished: install its base on success.
fn done(aof: &mut AofFeed, config: &Config, ok: bool, signal: Option<i32>) {
    let Some(child) = aof.child.take() else {
        return;
    };
    let held = Instant::now();
    let elapsed = child.started.elapsed().as_secs() as i64;
    if ok {
        log::info!("Background AOF rewrite terminated with success");
        let mut b = [0u8; 8];
        // SAFETY: reading up to 8 bytes into a local buffer from our pipe end.
        let n = unsafe {
            libc::read(
                child.pipe.as_raw_fd(),
                b.as_mut_ptr() as *mut libc::c_void,
                8,
            )
        };
        if n == 8 {
            aof.last_cow_size = u64::from_le_bytes(b);
        }
        if let Err(e) = install(aof, config, &child) {
            log::warn!("{e}");
            aof.last_bgrewrite_failed = true;
            aof.rewrites_consecutive_failures += 1;
        } else {
            aof.last_bgrewrite_failed = false;
            aof.rewrites_consecutive_failures = 0;
            log::info!("Background AOF rewrite finished successfully");
            if aof.state == AofState::WaitRewrite {
                aof.state = AofState::On;
            }
        }
    } else if let Some(sig) = signal {
        if sig != libc::SIGUSR1 {
            aof.last_bgrewrite_failed = true;
            aof.rewrites_consecutive_failures += 1;
        }
        log::warn!("Background AOF rewrite terminated by signal {sig}");
    } else {
        aof.last_bgrewrite_failed = true;
        aof.rewrites_consecutive_failures += 1;
        log::warn!("Background AOF rewrite terminated with error");
    }
    let _ = std::fs::remove_file(&child.tmpfile);
    if aof.state == AofState::WaitRewrite {
        // Turning the AOF on failed: drop what the temporary file collected, try again.
        aof.buf.clear();
        aof.file = None;
        let _ = std::fs::remove_file(aof.path(&super::manifest::temp_incr_name(&aof.filename)));
        aof.rewrite_scheduled = true;
    }
    aof.last_rewrite_time_sec = Some(elapsed);
    aof.update_enabled();
    log::info!(
        "Background AOF rewrite signal handler took {}us",
        held.elapsed().as_micros()
    );
}

/// Steps 3 and 4 of a successful rewrite: rename the base into place, persist the new
/// manifest, delete the history files.
fn install(aof: &mut AofFeed, config: &Config, child: &Child) -> Result<(), AofError> {
    let mut temp_am = aof.manifest.clone();
    let base_name = temp_am.new_base(&aof.filename)?;
    let base_path = aof.path(&base_name);
    test_hooks::crash_point("before-base-rename");
    std::fs::rename(&child.tmpfile, &base_path).map_err(|err| AofError::RenameBase {
        tmp: child.tmpfile.clone(),
        name: base_name.clone(),
        err,
    })?;
    log::info!(
        "Successfully renamed the temporary AOF base file {} into {base_name}",
        child.tmpfile.display()
    );
    test_hooks::crash_point("base-renamed");
    let mut new_incr_path = None;
    if aof.state == AofState::WaitRewrite {
        let tmp_name = super::manifest::temp_incr_name(&aof.filename);
        let incr_name = match temp_am.new_incr(&aof.filename) {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&base_path);
                return Err(e);
            }
        };
        let p = aof.path(&incr_name);
        if let Err(err) = std::fs::rename(aof.path(&tmp_name), &p) {
            let _ = std::fs::remove_file(&base_path);
            return Err(AofError::RenameIncr {
                tmp: tmp_name,
                name: incr_name,
                err,
            });
        }
        log::info!("Successfully renamed the temporary AOF incr file {tmp_name} into {incr_name}");
        new_incr_path = Some(p);
    }
    temp_am.mark_rewritten_incrs_as_history(aof.file.is_some());
    if let Err(e) = temp_am.persist_tagged(&aof.dir, &aof.filename, "install") {
        let _ = std::fs::remove_file(&base_path);
        if let Some(p) = new_incr_path {
            let _ = std::fs::remove_file(p);
        }
        return Err(AofError::PersistManifest(e));
    }
    aof.manifest = temp_am;
    if aof.file.is_some() {
        aof.selected_db = None;
        let base_size = std::fs::metadata(&base_path).map(|m| m.len()).unwrap_or(0);
        aof.current_size = base_size + aof.last_incr_size;
        aof.base_size = aof.current_size;
        aof.fsync_offset = aof.current_size;
        aof.last_fsync = super::unix_now();
    }
    super::delete_history_files(aof, config, false);
    Ok(())
}

impl AofFeed {
    /// The pid of the running rewrite child, if any.
    pub fn child_pid(&self) -> Option<libc::pid_t> {
        self.child.as_ref().map(|c| c.pid)
    }
}

#[cfg(test)]
mod tests {
    use super::super::reader::{read_entry, Entry};
    use super::*;
    use crate::store::bytes::Sds;

    /// The commands of a base, as argument lists.
    fn parse_all(data: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut spans = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            match read_entry(data, pos, &mut spans) {
                Ok(Entry::Command { end }) => {
                    out.push(
                        spans
                            .iter()
                            .map(|s| data[s.start..s.end].to_vec())
                            .collect(),
                    );
                    pos = end;
                }
                other => panic!("bad base at {pos}: {other:?}"),
            }
        }
        out
    }

    #[test]
    fn base_rebuilds_strings_hashes_and_expiries() {
        let mut store = Store::new(16);
        store.cur = 3;
        store.add(b"s", Value::Str(Sds::from(&b"v\r\n"[..])));
        store.set_expire(b"s", 1_700_000_000_123);
        let mut h = crate::store::hash::Hash::new();
        let lim = crate::store::hash::Limits::from_config(&crate::config::Config::default());
        for i in 0..150 {
            h.set(format!("f{i}").as_bytes(), b"x", lim);
        }
        store.add(b"h", Value::Hash(Box::new(h)));
        let mut l = crate::store::list::List::new();
        for i in 0..130 {
            l.push_back(i.to_string().as_bytes(), crate::store::list::Fill::new(-2));
        }
        store.add(b"l", Value::List(Box::new(l)));
        let mut set = crate::store::set::Set::new();
        for i in 0..70 {
            set.add(i.to_string().as_bytes(), 512);
        }
        store.add(b"set", Value::Set(Box::new(set)));
        let zlim = crate::store::zset::Limits::from_config(&crate::config::Config::default());
        let mut z = crate::store::zset::ZSet::with_hint(3, 1, zlim);
        z.insert(b"a", 1.5, zlim);
        z.insert(b"b", f64::NEG_INFINITY, zlim);
        z.insert(b"c", 0.1 + 0.2, zlim);
        store.add(b"z", Value::ZSet(Box::new(z)));
        let dir = std::env::temp_dir().join(format!("ferrokv-rw-unit-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("base.aof");
        let config = crate::config::Config {
            dir: dir.clone(),
            ..Default::default()
        };
        write_base_sync(&store, &config, &path).unwrap();
        let cmds = parse_all(&std::fs::read(&path).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(cmds[0], vec![b"SELECT".to_vec(), b"3".to_vec()]);
        let set = cmds.iter().position(|c| c[0] == b"SET").unwrap();
        assert_eq!(
            cmds[set],
            vec![b"SET".to_vec(), b"s".to_vec(), b"v\r\n".to_vec()]
        );
        assert_eq!(
            cmds[set + 1],
            vec![
                b"PEXPIREAT".to_vec(),
                b"s".to_vec(),
                b"1700000000123".to_vec()
            ]
        );
        let hm: Vec<usize> = cmds
            .iter()
            .filter(|c| c[0] == b"HMSET")
            .map(|c| (c.len() - 2) / 2)
            .collect();
        assert_eq!(hm, vec![64, 64, 22]);
        let sizes = |name: &[u8], per: usize| -> Vec<usize> {
            cmds.iter()
                .filter(|c| c[0] == name)
                .map(|c| (c.len() - 2) / per)
                .collect()
        };
        assert_eq!(sizes(b"RPUSH", 1), vec![64, 64, 2]);
        assert_eq!(sizes(b"SADD", 1), vec![64, 6]);
        let rpush: Vec<Vec<u8>> = cmds
            .iter()
            .filter(|c| c[0] == b"RPUSH")
            .flat_map(|c| c[2..].to_vec())
            .collect();
        let want: Vec<Vec<u8>> = (0..130).map(|i: i32| i.to_string().into_bytes()).collect();
        assert_eq!(rpush, want, "list order kept");
        let zadd = cmds.iter().find(|c| c[0] == b"ZADD").unwrap();
        assert_eq!(zadd.len(), 8);
        let scores: Vec<f64> = zadd[2..]
            .chunks(2)
            .map(|p| crate::util::num::parse_f64(&p[0]).unwrap())
            .collect();
        assert!(scores.contains(&f64::NEG_INFINITY));
        assert!(
            scores.contains(&(0.1 + 0.2)),
            "exact double round trip: {scores:?}"
        );
    }

    #[test]
    fn rewrite_fails_cleanly_when_the_incr_sequence_is_exhausted() {
        let dir = std::env::temp_dir().join(format!("ferrokv-rw-seq-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = Config {
            dir: dir.clone(),
            ..Default::default()
        };
        let mut aof = AofFeed {
            state: AofState::On,
            dir: super::super::aof_dir(&config),
            filename: config.appendfilename.clone(),
            manifest: Manifest::parse(
                b"file a.1.base.aof seq 1 type b\nfile a.max.incr.aof seq 9223372036854775807 type i\n",
            )
            .unwrap(),
            ..Default::default()
        };
        let before = aof.manifest.clone();
        let r = start_background(&Store::new(16), &mut aof, &config);
        let _ = std::fs::remove_dir_all(&dir);
        let e = r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("Invalid AOF file sequence"), "{e}");
        assert!(aof.last_bgrewrite_failed);
        assert!(aof.child.is_none());
        assert_eq!(aof.manifest, before);
    }

    #[test]
    fn feed_wraps_exec_and_selects() {
        let mut f = AofFeed {
            enabled: true,
            ..Default::default()
        };
        f.feed_sds(0, &[Sds::from(&b"SET"[..]), Sds::from(&b"a"[..])]);
        f.begin_exec();
        f.feed_sds(2, &[Sds::from(&b"DEL"[..]), Sds::from(&b"b"[..])]);
        f.end_exec();
        f.begin_exec();
        f.end_exec();
        let cmds = parse_all(&f.buf);
        let names: Vec<String> = cmds
            .iter()
            .map(|c| String::from_utf8_lossy(&c[0]).into_owned())
            .collect();
        assert_eq!(names, ["SELECT", "SET", "SELECT", "MULTI", "DEL", "EXEC"]);
    }
}
