//! The background thread for slow file work (Redis's BIO): the `everysec` fsync, and the
//! deletion of history files after a rewrite (unlinking a large file can take
//! milliseconds the loop must not spend).
//!
//! The loop hands the thread a shared handle of the open AOF file; the thread runs
//! `fdatasync` on it and records the outcome. A file replaced by a rewrite stays open
//! until its last fsync finished (the job holds an `Arc`), so a descriptor is never
//! reused under the thread's feet. The thread never logs: the loop reads the outcome and
//! reports it.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

/// Shared state between the loop and the thread.
#[derive(Default)]
struct Shared {
    /// fsync jobs submitted and not finished yet.
    pending: AtomicUsize,
    /// Deletions queued and not done yet.
    unlinks: AtomicUsize,
    /// errno of the last failed fsync, 0 after a successful one.
    status: AtomicI32,
}

/// A job for the thread.
enum Job {
    Fsync(Arc<File>),
    Unlink(std::path::PathBuf),
}

pub struct Bio {
    tx: Sender<Job>,
    shared: Arc<Shared>,
}

impl Bio {
    /// Starts the thread.
    pub fn start() -> std::io::Result<Bio> {
        let (tx, rx) = channel::<Job>();
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    match job {
                        Job::Fsync(f) => {
                            let r = fdatasync(&f);
                            sh.status.store(r, Ordering::Release);
                            drop(f);
                            sh.pending.fetch_sub(1, Ordering::AcqRel);
                        }
                        Job::Unlink(p) => {
                            let _ = std::fs::remove_file(p);
                            sh.unlinks.fetch_sub(1, Ordering::AcqRel);
                        }
                    }
                }
            })?;
        Ok(Bio { tx, shared })
    }

    /// Queues an fsync of `f`.
    pub fn submit(&self, f: Arc<File>) {
        self.shared.pending.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(Job::Fsync(f)).is_err() {
            self.shared.pending.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Deletes a file in the background.
    pub fn unlink(&self, p: std::path::PathBuf) {
        self.shared.unlinks.fetch_add(1, Ordering::AcqRel);
        if let Err(std::sync::mpsc::SendError(Job::Unlink(p))) = self.tx.send(Job::Unlink(p)) {
            let _ = std::fs::remove_file(p);
            self.shared.unlinks.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Jobs not finished yet (INFO aof_pending_bio_fsync).
    pub fn pending(&self) -> usize {
        self.shared.pending.load(Ordering::Acquire)
    }

    /// errno of the last background fsync if it failed.
    pub fn last_error(&self) -> Option<i32> {
        match self.shared.status.load(Ordering::Acquire) {
            0 => None,
            e => Some(e),
        }
    }

    /// Forgets a past error (the AOF was reopened).
    pub fn clear_error(&self) {
        self.shared.status.store(0, Ordering::Release);
    }

    /// Waits until every queued job is done (shutdown, switching to `always`).
    pub fn drain(&self) {
        while self.pending() > 0 || self.shared.unlinks.load(Ordering::Acquire) > 0 {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

/// `fdatasync(2)`; returns 0 or the errno.
pub fn fdatasync(f: &File) -> i32 {
    if let Some(e) = super::test_hooks::injected_fault("fsync") {
        return e;
    }
    loop {
        // SAFETY: a valid open descriptor.
        let r = unsafe { libc::fdatasync(f.as_raw_fd()) };
        if r == 0 {
            return 0;
        }
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        if e != libc::EINTR {
            return e;
        }
    }
}
