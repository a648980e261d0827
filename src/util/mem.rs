//! Talking to the allocator.

#![deny(clippy::indexing_slicing)]

/// Gives freed memory back to the operating system now. jemalloc otherwise keeps dirty
/// pages until its decay timer runs, and without allocation traffic that may be never;
/// Redis purges after a synchronous FLUSHALL/FLUSHDB for the same reason.
pub fn purge() {
    #[cfg(not(target_env = "msvc"))]
    {
        // "arena.<MALLCTL_ARENAS_ALL>.purge": every arena.
        let name = b"arena.4096.purge\0";
        // SAFETY: a NUL-terminated control name that takes and returns nothing.
        unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr() as *const libc::c_char,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
            );
        }
    }
}
