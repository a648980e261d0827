//! Fault injection for the crash-safety tests. Inert unless the environment asks for it.
//!
//! - `FERROKV_TEST_AOF_CRASH_AT=<step>`: the process kills itself with SIGKILL when the
//!   named step of a rewrite is reached (see `crash_point` calls). Steps run in the
//!   rewrite child kill the server too, so that a crash "while the child writes" is a
//!   crash of the server.
//! - `FERROKV_TEST_AOF_FAULT=<path>`: while `<path>` exists, AOF writes fail (ENOSPC) if
//!   it contains `write`, and fsyncs fail (EIO) if it contains `fsync`.

use std::sync::OnceLock;

fn crash_step() -> Option<&'static str> {
    static STEP: OnceLock<Option<String>> = OnceLock::new();
    STEP.get_or_init(|| std::env::var("FERROKV_TEST_AOF_CRASH_AT").ok())
        .as_deref()
}

/// Dies here (SIGKILL) when the tests asked for a crash at `step`.
pub fn crash_point(step: &str) {
    if crash_step() == Some(step) {
        log::warn!("Test hook: crashing at AOF rewrite step {step}");
        // SAFETY: plain signal syscalls.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Like `crash_point`, for a step reached in the rewrite child: kills the server (the
/// parent) first, then the child.
pub fn crash_point_child(step: &str) {
    if crash_step() == Some(step) {
        // SAFETY: plain signal syscalls.
        unsafe {
            libc::kill(libc::getppid(), libc::SIGKILL);
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Whether a crash was requested at `step` (to shape the data written before it).
pub fn crash_requested(step: &str) -> bool {
    crash_step() == Some(step)
}

/// The fault the tests inject right now, if any: `Some(errno)` for writes or fsyncs.
pub fn injected_fault(what: &str) -> Option<i32> {
    static PATH: OnceLock<Option<String>> = OnceLock::new();
    let path = PATH
        .get_or_init(|| std::env::var("FERROKV_TEST_AOF_FAULT").ok())
        .as_deref()?;
    let content = std::fs::read_to_string(path).ok()?;
    if !content.contains(what) {
        return None;
    }
    Some(if what == "write" {
        libc::ENOSPC
    } else {
        libc::EIO
    })
}
