//! LDB, Redis's Lua debugger (`SCRIPT DEBUG YES|SYNC` then `EVAL`), as Redis 7.0 has it.
//!
//! A session owns the client's socket for the length of one EVAL: it is made blocking
//! (with a 5 s send timeout) and the debugger talks on it directly from the Lua line hook,
//! without going back to the loop. While the script is stopped, the log lines gathered
//! since the last stop go out as one RESP array of status replies, and the debugger reads
//! one command at a time (RESP multibulk, parsed as forgivingly as Redis does). At the end
//! the remaining logs and an `<endsession>` mark are sent, then the EVAL's reply.
//!
//! In forked mode (`SCRIPT DEBUG YES`) the session runs in a child process (see
//! `commands::scripting`): its changes die with it. In sync mode (`SCRIPT DEBUG SYNC`) it
//! runs in the server, which serves nobody else meanwhile, and the changes are kept.
//!
//! The session is reached from the hook and from `redis.debug`/`redis.breakpoint`/
//! `redis.call` through a thread-local pointer, set only while a session runs.

use super::vm::{push_bytes, push_registry, to_bytes, State, REG_REAL_GLOBALS};
use crate::util::split::repr_into;
use mlua::ffi;
use std::cell::Cell;
use std::ffi::{c_char, c_int, CStr};
use std::os::fd::RawFd;
use std::time::Instant;

/// SCRIPT DEBUG's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// YES: the session runs in a forked child.
    Forked,
    /// SYNC: the session runs in the server, blocking it.
    Sync,
}

const BREAKPOINTS_MAX: usize = 64;
const MAX_LEN_DEFAULT: usize = 256;
/// Nesting shown when printing a table (Redis's LUA_MINSTACK/2).
const MAX_VALUES_DEPTH: u32 = 10;
/// A debugger command buffer past this aborts the script.
const MAX_CBUF: usize = 1 << 20;

/// One debugging session.
pub struct Session {
    fd: RawFd,
    pub forked: bool,
    step: bool,
    luabp: bool,
    /// Breakpoint lines, kept as Redis keeps them (an int array, removal included).
    bp: [i32; BREAKPOINTS_MAX],
    bpcount: usize,
    src: Vec<Vec<u8>>,
    currentline: i32,
    cbuf: Vec<u8>,
    maxlen: usize,
    maxlen_hint_sent: bool,
    logs: Vec<Vec<u8>>,
    /// lua-time-limit, for the "infinite loop?" stop.
    time_limit_ms: u64,
    started: Instant,
}

thread_local! {
    static ACTIVE: Cell<*mut Session> = const { Cell::new(std::ptr::null_mut()) };
}

/// The running session, if any.
fn active() -> Option<&'static mut Session> {
    let p = ACTIVE.with(Cell::get);
    // SAFETY: set only by `Active::enter` for the lifetime of the session it points to,
    // and only used on this thread, one borrow at a time (hooks and C functions do not
    // nest with each other while one of them holds it).
    unsafe { p.as_mut() }
}

/// Whether a session runs (the hook to install, what `redis.breakpoint` answers).
pub fn is_active() -> bool {
    !ACTIVE.with(Cell::get).is_null()
}

/// Redis's ldbIsEnabled: a session runs and is stepping (commands and replies logged).
pub fn logging() -> bool {
    active().is_some_and(|s| s.step)
}

/// Makes a session the running one until dropped.
pub struct Active(*mut Session);

impl Active {
    pub fn enter(s: &mut Session) -> Active {
        Active(ACTIVE.with(|a| a.replace(s as *mut Session)))
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.0));
    }
}

impl Session {
    /// A session on the socket `fd` for the script `body` (EVAL's first argument).
    /// Makes the socket blocking with a 5 s send timeout, as Redis does.
    pub fn start(fd: RawFd, forked: bool, body: &[u8], time_limit_ms: u64) -> Session {
        set_blocking(fd, true);
        set_send_timeout(fd, 5000);
        let mut end = body.len();
        while end > 0 && matches!(body.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        let body = body.get(..end).unwrap_or_default();
        let src = if body.is_empty() {
            Vec::new()
        } else {
            body.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect()
        };
        Session {
            fd,
            forked,
            step: true,
            luabp: false,
            bp: [0; BREAKPOINTS_MAX],
            bpcount: 0,
            src,
            currentline: 0,
            cbuf: Vec::new(),
            maxlen: MAX_LEN_DEFAULT,
            maxlen_hint_sent: false,
            logs: Vec::new(),
            time_limit_ms: if time_limit_ms > 0 {
                time_limit_ms
            } else {
                5000
            },
            started: Instant::now(),
        }
    }

    /// Sends the remaining logs and the `<endsession>` mark, then `reply` (the EVAL's);
    /// gives the socket back its non-blocking mode.
    pub fn end(&mut self, reply: &[u8]) {
        self.log(b"<endsession>".to_vec());
        self.send_logs();
        write_all(self.fd, reply);
        set_send_timeout(self.fd, 0);
        set_blocking(self.fd, false);
    }

    fn log(&mut self, entry: Vec<u8>) {
        self.logs.push(entry);
    }

    /// ldbLogWithMaxLen: trims to maxlen (with " ...") and hints once about `maxlen 0`.
    fn log_max(&mut self, mut entry: Vec<u8>) {
        let mut trimmed = false;
        if self.maxlen != 0 && entry.len() > self.maxlen {
            entry.truncate(self.maxlen);
            entry.extend_from_slice(b" ...");
            trimmed = true;
        }
        self.log(entry);
        if trimmed && !self.maxlen_hint_sent {
            self.maxlen_hint_sent = true;
            self.log(
                b"<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.".to_vec(),
            );
        }
    }

    /// Sends the gathered logs as one array of status replies (CR and LF become spaces).
    fn send_logs(&mut self) {
        let mut out = format!("*{}\r\n", self.logs.len()).into_bytes();
        for e in self.logs.drain(..) {
            out.push(b'+');
            out.extend(
                e.iter()
                    .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
            );
            out.extend_from_slice(b"\r\n");
        }
        // An error shows up at the next read, which ends the session.
        write_all(self.fd, &out);
    }

    fn source_line(&self, line: i32) -> &[u8] {
        usize::try_from(line - 1)
            .ok()
            .and_then(|i| self.src.get(i))
            .map_or(b"<out of range source code line>".as_slice(), Vec::as_slice)
    }

    fn is_breakpoint(&self, line: i32) -> bool {
        self.bp.iter().take(self.bpcount).any(|&b| b == line)
    }

    fn add_breakpoint(&mut self, line: i64) -> bool {
        if line <= 0 || line > self.src.len() as i64 {
            return false;
        }
        let line = line as i32;
        if !self.is_breakpoint(line) && self.bpcount != BREAKPOINTS_MAX {
            if let Some(slot) = self.bp.get_mut(self.bpcount) {
                *slot = line;
            }
            self.bpcount += 1;
            return true;
        }
        false
    }

    /// Removes a breakpoint the way Redis 7.0 does: its memmove moves `bpcount - j`
    /// bytes (not ints), so the breakpoints after the removed one are not all kept.
    fn del_breakpoint(&mut self, line: i64) -> bool {
        let Some(j) = self
            .bp
            .iter()
            .take(self.bpcount)
            .position(|&b| i64::from(b) == line)
        else {
            return false;
        };
        self.bpcount -= 1;
        let mut bytes: Vec<u8> = self.bp.iter().flat_map(|b| b.to_ne_bytes()).collect();
        let n = self.bpcount - j;
        let (from, to) = ((j + 1) * 4, j * 4);
        if from + n <= bytes.len() {
            bytes.copy_within(from..from + n, to);
        }
        for (slot, chunk) in self.bp.iter_mut().zip(bytes.chunks_exact(4)) {
            *slot = i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        true
    }

    fn log_source_line(&mut self, lnum: i32) {
        let bp = self.is_breakpoint(lnum);
        let current = self.currentline == lnum;
        let prefix = match (current, bp) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            (false, false) => "   ",
        };
        let mut s = format!("{prefix}{lnum:<3} ").into_bytes();
        s.extend_from_slice(self.source_line(lnum));
        self.log(s);
    }

    fn list(&mut self, around: i32, context: i32) {
        for j in 1..=self.src.len() as i32 {
            if around != 0 && (i64::from(around) - i64::from(j)).abs() > i64::from(context) {
                continue;
            }
            self.log_source_line(j);
        }
    }

    fn maxlen_cmd(&mut self, argv: &[Vec<u8>]) {
        if let Some(v) = argv.get(1).filter(|_| argv.len() == 2) {
            let mut n = atoi(v);
            self.maxlen_hint_sent = true;
            if n != 0 && n <= 60 {
                n = 60;
            }
            self.maxlen = n as usize;
        }
        let text = if self.maxlen != 0 {
            format!("<value> replies are truncated at {} bytes.", self.maxlen)
        } else {
            "<value> replies are unlimited.".to_string()
        };
        self.log(text.into_bytes());
    }

    fn break_cmd(&mut self, argv: &[Vec<u8>]) {
        if argv.len() == 1 {
            if self.bpcount == 0 {
                self.log(b"No breakpoints set. Use 'b <line>' to add one.".to_vec());
                return;
            }
            self.log(format!("{} breakpoints set:", self.bpcount).into_bytes());
            for j in 0..self.bpcount {
                let line = self.bp.get(j).copied().unwrap_or(0);
                self.log_source_line(line);
            }
            return;
        }
        for arg in argv.iter().skip(1) {
            let Some(line) = crate::util::num::parse_i64(arg).filter(|n| i32::try_from(*n).is_ok())
            else {
                let mut s = b"Invalid argument:'".to_vec();
                s.extend_from_slice(arg);
                s.push(b'\'');
                self.log(s);
                continue;
            };
            if line == 0 {
                self.bpcount = 0;
                self.log(b"All breakpoints removed.".to_vec());
            } else if line > 0 {
                if self.bpcount == BREAKPOINTS_MAX {
                    self.log(b"Too many breakpoints set.".to_vec());
                } else if self.add_breakpoint(line) {
                    self.list(line as i32, 1);
                } else {
                    self.log(b"Wrong line number.".to_vec());
                }
            } else if self.del_breakpoint(-line) {
                self.log(b"Breakpoint removed.".to_vec());
            } else {
                self.log(b"No breakpoint in the specified line.".to_vec());
            }
        }
    }

    /// ldbReplParseCommand: the next command from `cbuf`, `Ok(None)` to read more,
    /// `Err` on a protocol error.
    fn parse_command(&self) -> Result<Option<Vec<Vec<u8>>>, ()> {
        if self.cbuf.is_empty() {
            return Ok(None);
        }
        // Redis works on a C string: it ends at the first NUL.
        let buf = match memchr::memchr(0, &self.cbuf) {
            Some(n) => self.cbuf.get(..n).unwrap_or_default(),
            None => &self.cbuf,
        };
        let Some(star) = memchr::memchr(b'*', buf) else {
            return Err(());
        };
        let Some(crlf) = find_crlf(buf, star) else {
            return Ok(None);
        };
        let argc = atoi(buf.get(star + 1..crlf).unwrap_or_default());
        if argc <= 0 || argc > 1024 {
            return Err(());
        }
        let mut p = crlf + 2;
        let mut argv = Vec::with_capacity(argc as usize);
        while (argv.len() as i64) < argc {
            let Some(&c) = buf.get(p) else {
                return Ok(None);
            };
            if c != b'$' {
                return Err(());
            }
            let Some(crlf) = find_crlf(buf, p) else {
                return Ok(None);
            };
            let slen = atoi(buf.get(p + 1..crlf).unwrap_or_default());
            p = crlf + 2;
            if slen <= 0 || slen > 1024 {
                return Err(());
            }
            let slen = slen as usize;
            if p + slen + 2 > buf.len() {
                return Ok(None);
            }
            argv.push(buf.get(p..p + slen).unwrap_or_default().to_vec());
            p += slen;
            if buf.get(p..p + 2) != Some(b"\r\n") {
                return Err(());
            }
            p += 2;
        }
        Ok(Some(argv))
    }
}

/// Where "\r\n" starts at or after `from`.
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let rest = buf.get(from..)?;
    memchr::memmem::find(rest, b"\r\n").map(|i| i + from)
}

/// C's atoi: leading spaces, a sign, digits; 0 when there are none.
fn atoi(s: &[u8]) -> i64 {
    let mut it = s.iter().skip_while(|c| c.is_ascii_whitespace()).peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut n: i64 = 0;
    for c in it.take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
    }
    let n = if neg { n.wrapping_neg() } else { n };
    // atoi returns an int.
    i64::from(n as i32)
}

fn set_blocking(fd: RawFd, blocking: bool) {
    // SAFETY: fcntl on a descriptor the session owns for its duration.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags == -1 {
            return;
        }
        let flags = if blocking {
            flags & !libc::O_NONBLOCK
        } else {
            flags | libc::O_NONBLOCK
        };
        libc::fcntl(fd, libc::F_SETFL, flags);
    }
}

fn set_send_timeout(fd: RawFd, ms: i64) {
    let tv = libc::timeval {
        tv_sec: (ms / 1000) as libc::time_t,
        tv_usec: ((ms % 1000) * 1000) as libc::suseconds_t,
    };
    // SAFETY: setsockopt with a timeval of the right size.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            std::ptr::from_ref(&tv).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
    }
}

/// Writes all of `buf` (blocking socket); gives up on an error.
fn write_all(fd: RawFd, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: writing from a live slice.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if n == 0 {
            return;
        }
        buf = buf.get(n as usize..).unwrap_or_default();
    }
}

// --- forked sessions, seen from the server ---

/// Reaps the forked sessions that ended (from the cron).
pub fn reap_children(children: &mut Vec<libc::pid_t>) {
    children.retain(|&pid| {
        let mut status = 0;
        // SAFETY: waitpid on our own child, without blocking.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid || r == -1 {
            log::debug!("Lua debugging session child {pid} reaped");
            false
        } else {
            true
        }
    });
}

/// Kills the forked sessions (at shutdown), as Redis does.
pub fn kill_children(children: &mut Vec<libc::pid_t>) {
    for pid in children.drain(..) {
        log::warn!("Killing debugging session {pid}");
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
        }
    }
}

// --- showing values ---

/// C's "%g".
fn fmt_g(d: f64) -> Vec<u8> {
    let mut buf = [0u8; 64];
    // SAFETY: snprintf into a local buffer of the given size.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr().cast::<c_char>(),
            buf.len(),
            c"%g".as_ptr(),
            d,
        )
    };
    buf.get(..n.clamp(0, 63) as usize)
        .unwrap_or_default()
        .to_vec()
}

/// ldbCatStackValue: the value at `idx` in Redis's debugger notation.
///
/// # Safety
/// `l` is valid, `idx` a valid index.
pub unsafe fn cat_value(out: &mut Vec<u8>, l: State, idx: c_int) {
    cat_value_rec(out, l, idx, 0)
}

unsafe fn cat_value_rec(out: &mut Vec<u8>, l: State, idx: c_int, level: u32) {
    if level == MAX_VALUES_DEPTH {
        out.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    let level = level + 1;
    let t = ffi::lua_type(l, idx);
    match t {
        ffi::LUA_TSTRING => {
            let s = to_bytes(l, idx).unwrap_or_default();
            repr_into(s, out);
        }
        ffi::LUA_TBOOLEAN => out.extend_from_slice(if ffi::lua_toboolean(l, idx) != 0 {
            b"true"
        } else {
            b"false"
        }),
        ffi::LUA_TNUMBER => out.extend_from_slice(&fmt_g(ffi::lua_tonumber(l, idx))),
        ffi::LUA_TNIL => out.extend_from_slice(b"nil"),
        ffi::LUA_TTABLE => {
            if ffi::lua_checkstack(l, 3) == 0 {
                out.extend_from_slice(b"{}");
                return;
            }
            let abs = if idx < 0 && idx > ffi::LUA_REGISTRYINDEX {
                ffi::lua_gettop(l) + idx + 1
            } else {
                idx
            };
            let mut expected = 1.0;
            let mut is_array = true;
            let mut repr1 = Vec::new();
            let mut repr2 = Vec::new();
            ffi::lua_pushnil(l);
            while ffi::lua_next(l, abs) != 0 {
                if is_array
                    && (ffi::lua_type(l, -2) != ffi::LUA_TNUMBER
                        || ffi::lua_tonumber(l, -2) != expected)
                {
                    is_array = false;
                }
                cat_value_rec(&mut repr1, l, -1, level);
                repr1.extend_from_slice(b"; ");
                repr2.push(b'[');
                cat_value_rec(&mut repr2, l, -2, level);
                repr2.extend_from_slice(b"]=");
                cat_value_rec(&mut repr2, l, -1, level);
                repr2.extend_from_slice(b"; ");
                ffi::lua_pop(l, 1);
                expected += 1.0;
            }
            for r in [&mut repr1, &mut repr2] {
                if !r.is_empty() {
                    r.truncate(r.len() - 2);
                }
            }
            out.push(b'{');
            out.extend_from_slice(if is_array { &repr1 } else { &repr2 });
            out.push(b'}');
        }
        ffi::LUA_TFUNCTION | ffi::LUA_TUSERDATA | ffi::LUA_TTHREAD | ffi::LUA_TLIGHTUSERDATA => {
            let p = ffi::lua_topointer(l, idx);
            let name = match t {
                ffi::LUA_TFUNCTION => "function",
                ffi::LUA_TUSERDATA => "userdata",
                ffi::LUA_TTHREAD => "thread",
                _ => "light-userdata",
            };
            let ptr = if p.is_null() {
                "(nil)".to_string()
            } else {
                format!("{p:p}")
            };
            out.extend_from_slice(format!("\"{name}@{ptr}\"").as_bytes());
        }
        _ => out.extend_from_slice(b"\"<unknown-lua-type>\""),
    }
}

/// ldbRedisProtocolToHuman: a reply in the debugger's notation; returns the position
/// after it (None on malformed input).
pub fn reply_to_human(out: &mut Vec<u8>, buf: &[u8], pos: usize) -> Option<usize> {
    let t = *buf.get(pos)?;
    let cr = memchr::memchr(b'\r', buf.get(pos + 1..)?)? + pos + 1;
    let head = buf.get(pos + 1..cr)?;
    let next = cr + 2;
    let count = || crate::util::num::parse_i64(head).unwrap_or(0);
    match t {
        b':' => out.extend_from_slice(head),
        b'$' => {
            let n = count();
            if n == -1 {
                out.extend_from_slice(b"NULL");
                return Some(next);
            }
            let n = usize::try_from(n).ok()?;
            repr_into(buf.get(next..next + n)?, out);
            return Some(next + n + 2);
        }
        b'+' | b'-' => repr_into(buf.get(pos..cr)?, out),
        b'*' | b'~' => {
            let n = count();
            if t == b'*' && n == -1 {
                out.extend_from_slice(b"NULL");
                return Some(next);
            }
            out.extend_from_slice(if t == b'*' { b"[" } else { b"~(" });
            let mut p = next;
            for j in 0..n.max(0) {
                p = reply_to_human(out, buf, p)?;
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(if t == b'*' { b']' } else { b')' });
            return Some(p);
        }
        b'%' => {
            let n = count();
            out.push(b'{');
            let mut p = next;
            for j in 0..n.max(0) {
                p = reply_to_human(out, buf, p)?;
                out.extend_from_slice(b" => ");
                p = reply_to_human(out, buf, p)?;
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(b'}');
            return Some(p);
        }
        b'_' => out.extend_from_slice(b"(null)"),
        b'#' => out.extend_from_slice(if head.first() == Some(&b't') {
            b"#true"
        } else {
            b"#false"
        }),
        b',' => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(head);
        }
        _ => return None,
    }
    Some(next)
}

// --- what the scripting side calls ---

/// `redis.call` logging a command (ldb enabled): `<redis> args...`.
pub fn log_command(args: &crate::commands::Args) {
    let Some(s) = active().filter(|s| s.step) else {
        return;
    };
    let mut e = b"<redis>".to_vec();
    let argc = args.len();
    for (j, a) in args.iter().enumerate() {
        if j == 10 {
            // Redis's count (one short).
            e.extend_from_slice(format!(" ... ({} more)", argc - j - 1).as_bytes());
            break;
        }
        e.push(b' ');
        e.extend_from_slice(a);
    }
    s.log(e);
}

/// An error raised for a Redis call (ldb enabled): `<error> text`.
pub fn log_error(text: &[u8]) {
    if let Some(s) = active().filter(|s| s.step) {
        let mut e = b"<error> ".to_vec();
        e.extend_from_slice(text);
        s.log(e);
    }
}

/// The reply of a Redis call (ldb enabled): `<reply> human form`.
pub fn log_reply(reply: &[u8]) {
    if let Some(s) = active().filter(|s| s.step) {
        let mut e = b"<reply> ".to_vec();
        let _ = reply_to_human(&mut e, reply, 0);
        s.log_max(e);
    }
}

/// redis.breakpoint()
///
/// # Safety
/// Called by Lua.
pub unsafe extern "C-unwind" fn redis_breakpoint(l: State) -> c_int {
    match active() {
        Some(s) => {
            s.luabp = true;
            ffi::lua_pushboolean(l, 1);
        }
        None => ffi::lua_pushboolean(l, 0),
    }
    1
}

/// redis.debug(...)
///
/// # Safety
/// Called by Lua.
pub unsafe extern "C-unwind" fn redis_debug(l: State) -> c_int {
    let Some(s) = active() else {
        return 0;
    };
    let argc = ffi::lua_gettop(l);
    let mut e = format!("<debug> line {}: ", s.currentline).into_bytes();
    for i in 1..=argc {
        cat_value(&mut e, l, i);
        if i != argc {
            e.extend_from_slice(b", ");
        }
    }
    s.log(e);
    0
}

/// Pushes a string and raises it.
unsafe fn raise(l: State, msg: &str) -> ! {
    push_bytes(l, msg.as_bytes());
    ffi::lua_error(l)
}

/// The line hook of a debugged script (LINE and COUNT events).
///
/// # Safety
/// Installed by `run::call_function` while a session is active.
pub unsafe extern "C-unwind" fn line_hook(l: State, ar: *mut ffi::lua_Debug) {
    let sp = ACTIVE.with(Cell::get);
    if sp.is_null() || ar.is_null() {
        return;
    }
    let s = &mut *sp;
    let event = (*ar).event;
    ffi::lua_getstack(l, 0, ar);
    ffi::lua_getinfo(l, c"Sl".as_ptr(), ar);
    s.currentline = (*ar).currentline;
    let bp = s.is_breakpoint(s.currentline) || s.luabp;
    let short_src = CStr::from_ptr((*ar).short_src.as_ptr());
    if memchr::memmem::find(short_src.to_bytes(), b"user_script").is_none() {
        return;
    }
    let mut timeout = false;
    if event == ffi::LUA_HOOKCOUNT && !s.step && !bp {
        if s.started.elapsed().as_millis() as u64 >= s.time_limit_ms {
            timeout = true;
            s.step = true;
        } else {
            return;
        }
    }
    if s.step || bp {
        let reason = if bp {
            if s.luabp {
                "redis.breakpoint() called"
            } else {
                "break point"
            }
        } else if timeout {
            "timeout reached, infinite loop?"
        } else {
            "step over"
        };
        s.step = false;
        s.luabp = false;
        let line = s.currentline;
        s.log(format!("* Stopped at {line}, stop reason = {reason}").into_bytes());
        s.log_source_line(line);
        s.send_logs();
        let closed = repl(l, sp).is_err();
        if closed && timeout {
            raise(
                l,
                "timeout during Lua debugging with client closing connection",
            );
        }
        (*sp).started = Instant::now();
    }
}

/// ldbRepl: reads and runs debugger commands until one resumes the script. `Err` when
/// the client went away (the script then runs to its end without stopping).
///
/// `sp` is the active session: only short borrows of it are made, none held while Lua
/// runs (an `eval` or `redis` command re-enters the hook and the `redis.*` functions).
unsafe fn repl(l: State, sp: *mut Session) -> Result<(), ()> {
    loop {
        let s = &mut *sp;
        let argv = loop {
            match s.parse_command() {
                Ok(Some(argv)) => break argv,
                Err(()) => raise(l, "protocol error"),
                Ok(None) => {}
            }
            let mut buf = [0u8; 1024];
            // SAFETY: reading into a local buffer.
            let n = libc::read(s.fd, buf.as_mut_ptr().cast(), buf.len());
            if n <= 0 {
                if n < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                s.step = false;
                s.bpcount = 0;
                return Err(());
            }
            s.cbuf
                .extend_from_slice(buf.get(..n as usize).unwrap_or_default());
            if s.cbuf.len() > MAX_CBUF {
                s.cbuf = Vec::new();
                raise(l, "max client buffer reached");
            }
        };
        s.cbuf.clear();
        let name = argv
            .first()
            .map(|a| a.to_ascii_lowercase())
            .unwrap_or_default();
        let argc = argv.len();
        if name == b"a" || name == b"abort" {
            // Nothing owned may be left in this frame when the error unwinds it.
            drop((argv, name));
            raise(l, "script aborted for user request");
        }
        match name.as_slice() {
            b"h" | b"help" => {
                for line in HELP {
                    s.log(line.as_bytes().to_vec());
                }
                s.send_logs();
            }
            b"s" | b"step" | b"n" | b"next" => {
                s.step = true;
                return Ok(());
            }
            b"c" | b"continue" => return Ok(()),
            b"t" | b"trace" => {
                trace(l, s);
                s.send_logs();
            }
            b"m" | b"maxlen" => {
                s.maxlen_cmd(&argv);
                s.send_logs();
            }
            b"b" | b"break" => {
                s.break_cmd(&argv);
                s.send_logs();
            }
            b"e" | b"eval" => {
                eval(l, sp, &argv);
                (*sp).send_logs();
            }
            b"r" | b"redis" if argc > 1 => {
                redis(l, sp, &argv);
                (*sp).send_logs();
            }
            b"p" | b"print" => {
                match argv.get(1).filter(|_| argc == 2) {
                    Some(var) => print(l, s, var),
                    None => print_all(l, s),
                }
                s.send_logs();
            }
            b"l" | b"list" => {
                let mut around = s.currentline;
                let mut ctx = 5;
                if let Some(a) = argv.get(1) {
                    let n = atoi(a);
                    if n > 0 {
                        around = n as i32;
                    }
                }
                if let Some(c) = argv.get(2) {
                    ctx = atoi(c) as i32;
                }
                s.list(around, ctx);
                s.send_logs();
            }
            b"w" | b"whole" => {
                s.list(1, 1_000_000);
                s.send_logs();
            }
            _ => {
                s.log(
                    b"<error> Unknown Redis Lua debugger command or wrong number of arguments."
                        .to_vec(),
                );
                s.send_logs();
            }
        }
    }
}

const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

/// The value on top, logged with `prefix` (trimmed to maxlen).
unsafe fn log_stack_value(l: State, s: &mut Session, prefix: &[u8]) {
    let mut e = prefix.to_vec();
    cat_value(&mut e, l, -1);
    s.log_max(e);
}

/// The text of the error value on top (a string, or an error table's `err`).
unsafe fn error_text(l: State) -> Vec<u8> {
    if let Some(b) = to_bytes(l, -1) {
        return b.to_vec();
    }
    if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        push_bytes(l, b"err");
        ffi::lua_rawget(l, -2);
        let t = to_bytes(l, -1).map(<[u8]>::to_vec);
        ffi::lua_pop(l, 1);
        if let Some(t) = t {
            return t;
        }
    }
    b"(error object is not a string)".to_vec()
}

/// ldbEval: runs the code as an expression (`return ...`), else as a statement.
unsafe fn eval(l: State, sp: *mut Session, argv: &[Vec<u8>]) {
    let code = argv.get(1..).unwrap_or_default().join(&b' ');
    let mut expr = b"return ".to_vec();
    expr.extend_from_slice(&code);
    let load =
        |c: &[u8]| ffi::luaL_loadbuffer(l, c.as_ptr().cast(), c.len(), c"@ldb_eval".as_ptr());
    if load(&expr) != 0 {
        ffi::lua_pop(l, 1);
        if load(&code) != 0 {
            let mut e = b"<error> ".to_vec();
            e.extend_from_slice(&error_text(l));
            (*sp).log(e);
            ffi::lua_pop(l, 1);
            return;
        }
    }
    if ffi::lua_pcall(l, 0, 1, 0) != 0 {
        let mut e = b"<error> ".to_vec();
        e.extend_from_slice(&error_text(l));
        (*sp).log(e);
        ffi::lua_pop(l, 1);
        return;
    }
    log_stack_value(l, &mut *sp, b"<retval> ");
    ffi::lua_pop(l, 1);
}

/// ldbRedis: calls `redis.call` with logging forced on.
unsafe fn redis(l: State, sp: *mut Session, argv: &[Vec<u8>]) {
    if ffi::lua_checkstack(l, argv.len() as c_int + 1) == 0 {
        let mut e = b"<reply> ".to_vec();
        e.extend_from_slice(b"max lua stack reached");
        (*sp).log_max(e);
        return;
    }
    push_registry(l, REG_REAL_GLOBALS);
    push_bytes(l, b"redis");
    ffi::lua_rawget(l, -2);
    ffi::lua_remove(l, -2);
    push_bytes(l, b"call");
    ffi::lua_gettable(l, -2);
    for a in argv.iter().skip(1) {
        push_bytes(l, a);
    }
    (*sp).step = true;
    ffi::lua_pcall(l, argv.len() as c_int - 1, 1, 0);
    (*sp).step = false;
    ffi::lua_pop(l, 2);
}

/// ldbTrace
unsafe fn trace(l: State, s: &mut Session) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut level = 0;
    while ffi::lua_getstack(l, level, &mut ar) != 0 {
        ffi::lua_getinfo(l, c"Snl".as_ptr(), &mut ar);
        let short_src = CStr::from_ptr(ar.short_src.as_ptr());
        if memchr::memmem::find(short_src.to_bytes(), b"user_script").is_some() {
            let name = if ar.name.is_null() {
                "top level".to_string()
            } else {
                CStr::from_ptr(ar.name).to_string_lossy().into_owned()
            };
            let which = if level == 0 { "In" } else { "From" };
            s.log(format!("{which} {name}:").into_bytes());
            s.log_source_line(ar.currentline);
        }
        level += 1;
    }
    if level == 0 {
        s.log(b"<error> Can't retrieve Lua stack.".to_vec());
    }
}

/// ldbPrint: a local variable (innermost frame first), or KEYS/ARGV.
unsafe fn print(l: State, s: &mut Session, var: &[u8]) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut level = 0;
    while ffi::lua_getstack(l, level, &mut ar) != 0 {
        level += 1;
        let mut i = 1;
        loop {
            let name = ffi::lua_getlocal(l, &ar, i);
            if name.is_null() {
                break;
            }
            i += 1;
            if CStr::from_ptr(name).to_bytes() == var {
                log_stack_value(l, s, b"<value> ");
                ffi::lua_pop(l, 1);
                return;
            }
            ffi::lua_pop(l, 1);
        }
    }
    if var == b"ARGV" || var == b"KEYS" {
        push_registry(l, REG_REAL_GLOBALS);
        push_bytes(l, var);
        ffi::lua_rawget(l, -2);
        ffi::lua_remove(l, -2);
        log_stack_value(l, s, b"<value> ");
        ffi::lua_pop(l, 1);
    } else {
        s.log(b"No such variable.".to_vec());
    }
}

/// ldbPrintAll: the locals of the current frame.
unsafe fn print_all(l: State, s: &mut Session) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut vars = 0;
    if ffi::lua_getstack(l, 0, &mut ar) != 0 {
        let mut i = 1;
        loop {
            let name = ffi::lua_getlocal(l, &ar, i);
            if name.is_null() {
                break;
            }
            i += 1;
            let name = CStr::from_ptr(name).to_bytes();
            if memchr::memmem::find(name, b"(*temporary)").is_none() {
                let mut prefix = b"<value> ".to_vec();
                prefix.extend_from_slice(name);
                prefix.extend_from_slice(b" = ");
                log_stack_value(l, s, &prefix);
                vars += 1;
            }
            ffi::lua_pop(l, 1);
        }
    }
    if vars == 0 {
        s.log(b"No local variables in the current context.".to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(src: &[u8]) -> Session {
        Session {
            fd: -1,
            forked: false,
            step: true,
            luabp: false,
            bp: [0; BREAKPOINTS_MAX],
            bpcount: 0,
            src: src.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect(),
            currentline: 0,
            cbuf: Vec::new(),
            maxlen: MAX_LEN_DEFAULT,
            maxlen_hint_sent: false,
            logs: Vec::new(),
            time_limit_ms: 5000,
            started: Instant::now(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever a debugging client sends, reading it never panics, and a command
        /// read has 1..=1024 arguments of 1..=1024 bytes, as ldbReplParseCommand allows.
        #[test]
        fn any_client_bytes_parse_without_a_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            framed in proptest::prelude::any::<bool>(),
        ) {
            let mut s = session(b"return 1");
            s.cbuf = if framed {
                let mut v = b"*2\r\n$1\r\np\r\n$".to_vec();
                v.extend_from_slice(&bytes);
                v
            } else {
                bytes.clone()
            };
            if let Ok(Some(argv)) = s.parse_command() {
                proptest::prop_assert!(!argv.is_empty() && argv.len() <= 1024);
                proptest::prop_assert!(argv.iter().all(|a| !a.is_empty() && a.len() <= 1024));
            }
        }

        /// Any reply bytes shown to the debugging client never panic.
        #[test]
        fn any_reply_bytes_print_without_a_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let mut o = Vec::new();
            let _ = reply_to_human(&mut o, &bytes, 0);
            log_reply(&bytes);
        }
    }

    #[test]
    fn commands_parse_as_redis_parses_them() {
        let mut s = session(b"return 1");
        s.cbuf = b"*2\r\n$1\r\np\r\n$1\r\nx\r\n".to_vec();
        assert_eq!(
            s.parse_command(),
            Ok(Some(vec![b"p".to_vec(), b"x".to_vec()]))
        );
        s.cbuf = b"*2\r\n$1\r\np\r\n".to_vec();
        assert_eq!(s.parse_command(), Ok(None));
        s.cbuf = b"garbage\r\n".to_vec();
        assert_eq!(s.parse_command(), Err(()));
        s.cbuf = b"*1\r\n$0\r\n\r\n".to_vec();
        assert_eq!(s.parse_command(), Err(()));
        s.cbuf = b"*1\r\n$3\r\nabcd\r\n".to_vec();
        assert_eq!(s.parse_command(), Err(()));
    }

    #[test]
    fn replies_read_as_redis_shows_them() {
        let mut o = Vec::new();
        reply_to_human(&mut o, b"*3\r\n:1\r\n$-1\r\n+OK\r\n", 0);
        assert_eq!(o, b"[1,NULL,\"+OK\"]");
        o.clear();
        reply_to_human(&mut o, b"%1\r\n$1\r\na\r\n,1.5\r\n", 0);
        assert_eq!(o, b"{\"a\" => (double) 1.5}");
        o.clear();
        reply_to_human(&mut o, b"~1\r\n#t\r\n", 0);
        assert_eq!(o, b"~(#true)");
    }

    #[test]
    fn breakpoints_are_removed_as_redis_removes_them() {
        let mut s = session(b"a\nb\nc\nd\ne\nf\ng");
        for l in [3, 5, 7] {
            assert!(s.add_breakpoint(l));
        }
        assert!(s.del_breakpoint(3));
        // Redis's memmove moves 2 bytes: [5, 5], the 7 is lost.
        assert_eq!(s.bp.get(..s.bpcount), Some([5, 5].as_slice()));
        assert!(!s.add_breakpoint(8));
    }

    #[test]
    fn values_print_like_c() {
        assert_eq!(fmt_g(1.0), b"1");
        assert_eq!(fmt_g(0.1), b"0.1");
        assert_eq!(fmt_g(1e20), b"1e+20");
        let mut o = Vec::new();
        repr_into(b"a\"\n\x01", &mut o);
        assert_eq!(o, b"\"a\\\"\\n\\x01\"");
        assert_eq!(atoi(b" 12x"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x"), 0);
    }
}
