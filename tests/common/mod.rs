//! Shared support for the integration tests: server guards and a raw RESP client.
//!
//! `Server` starts the `ferrokv-server` binary Cargo built for this test run on a port
//! the kernel picks (`--port 0`), learns the port from the `Running mode=standalone,
//! port=N.` log line, and kills the process when dropped. `RedisRef` does the same for
//! the real `redis-server` (the reference the differential tests compare against), when
//! it is installed. `RawConn` is a plain TCP client that sends bytes as given and reads
//! back whole RESP2/RESP3 replies as bytes, so tests can check the wire format exactly.
//!
//! Nothing here sleeps to synchronise: readiness comes from the servers' logs and every
//! wait has a deadline, so a hung server fails a test instead of hanging it.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to start (a debug build on a busy 2-core machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one reply may take before a read fails the test.
pub fn io_timeout() -> Duration {
    let secs = std::env::var("FERROKV_TEST_IO_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// Writes straight to the process's stderr, past the test harness's output capture, so
/// skip notices and pending reports are seen even when the test passes.
pub fn loud(msg: &str) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "{msg}");
    let _ = e.flush();
}

/// Prints a boxed notice that cannot be missed in the test output.
pub fn loud_banner(title: &str, lines: &[String]) {
    let bar = "!".repeat(78);
    let mut s = format!("\n{bar}\n!!! {title}\n");
    for l in lines {
        s.push_str("!!!   ");
        s.push_str(l);
        s.push('\n');
    }
    s.push_str(&bar);
    loud(&s);
}

// ---------------------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------------------

/// A directory removed (with its contents) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "ferrokv-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir { path }
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

// ---------------------------------------------------------------------------------------
// Child processes whose output is collected
// ---------------------------------------------------------------------------------------

/// The lines a child printed so far (stdout and stderr, interleaved as read).
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, line: String) {
        if let Ok(mut v) = self.0.lock() {
            v.push(line);
        }
    }
    /// Everything logged so far, one line per line.
    pub fn text(&self) -> String {
        self.0.lock().map(|v| v.join("\n")).unwrap_or_default()
    }
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
    /// Whether some line contains `needle` within a few seconds: output is collected by
    /// a reader thread, which may still hold the last lines of a child that just exited.
    #[allow(dead_code)]
    pub fn eventually_contains(&self, needle: &str) -> bool {
        let t0 = std::time::Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if self.contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }
    /// Whether some line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.0
            .lock()
            .map(|v| v.iter().any(|l| l.contains(needle)))
            .unwrap_or(false)
    }
}

/// Starts `cmd` with piped output and waits until a stdout line satisfies `ready`
/// (returning that line), the child exits, or `timeout` passes. Output keeps being
/// collected into the returned `Log` for the child's whole life.
fn spawn_until(
    mut cmd: Command,
    what: &str,
    ready: impl Fn(&str) -> bool + Send + 'static,
    timeout: Duration,
) -> Result<(Child, Log, String), String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let log = Log::default();
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let mut readers = Vec::new();
    if let Some(out) = stdout {
        let log = log.clone();
        readers.push(thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(t) = &tx {
                    if ready(&line) {
                        let _ = t.send(line.clone());
                        tx = None;
                    }
                }
                log.push(line);
            }
        }));
    }
    if let Some(err) = stderr {
        let log = log.clone();
        readers.push(thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                log.push(format!("[stderr] {line}"));
            }
        }));
    }
    match rx.recv_timeout(timeout) {
        Ok(line) => Ok((child, log, line)),
        Err(e) => {
            let _ = child.kill();
            let status = child.wait();
            let why = match e {
                mpsc::RecvTimeoutError::Timeout => format!("no ready line within {timeout:?}"),
                mpsc::RecvTimeoutError::Disconnected => format!("it exited ({status:?})"),
            };
            // The child is gone: its pipes are at end of file once the readers copied all.
            for r in readers {
                let _ = r.join();
            }
            let text = log.text();
            Err(format!(
                "{what} did not become ready: {why}\n--- its output ---\n{text}"
            ))
        }
    }
}

/// Sends SIGTERM and waits (up to `timeout`) for the exit status; SIGKILL on timeout
/// (then None).
fn terminate(mut child: Child, timeout: Duration) -> Option<ExitStatus> {
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    // SAFETY: kill(2) on our own child, which cannot be reaped before the waiter runs.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(timeout) {
        Ok(st) => st.ok(),
        Err(_) => {
            // SAFETY: the waiter has not reaped it (it would have sent the status).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
            let _ = rx.recv_timeout(Duration::from_secs(10));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------
// ferrokv
// ---------------------------------------------------------------------------------------

/// Path of the server binary Cargo built for these tests.
pub fn server_bin() -> &'static str {
    env!("CARGO_BIN_EXE_ferrokv-server")
}

/// A running `ferrokv-server`, killed on drop.
pub struct Server {
    child: Option<Child>,
    port: u16,
    log: Log,
    dir: TempDir,
    args: Vec<String>,
    conn: Option<RawConn>,
}

impl Server {
    /// Starts a server with the test defaults (`--port 0 --appendonly no --dir <tmp>`).
    pub fn start() -> Server {
        Server::with_args(&[])
    }

    /// Starts a server with the test defaults followed by `extra` (later directives win).
    pub fn with_args(extra: &[&str]) -> Server {
        Server::try_with_args(extra).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like `with_args`, but returns the startup failure (with the server's output).
    pub fn try_with_args(extra: &[&str]) -> Result<Server, String> {
        let dir = TempDir::new("srv");
        Server::try_start_in(dir, extra)
    }

    /// Starts in an existing directory (e.g. to restart on the files a previous server left).
    pub fn try_start_in(dir: TempDir, extra: &[&str]) -> Result<Server, String> {
        let mut args: Vec<String> = vec![
            "--port".into(),
            "0".into(),
            "--appendonly".into(),
            "no".into(),
            "--dir".into(),
            dir.path().display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Server::try_raw(dir, args)
    }

    /// Starts the binary with exactly `args` (no defaults added) in `dir`.
    pub fn try_raw(dir: TempDir, args: Vec<String>) -> Result<Server, String> {
        let mut cmd = Command::new(server_bin());
        cmd.args(&args).current_dir(dir.path());
        let (child, log, line) = spawn_until(
            cmd,
            "ferrokv-server",
            |l| l.contains("Running mode=standalone, port="),
            START_TIMEOUT,
        )?;
        let port = line
            .split("port=")
            .nth(1)
            .and_then(|s| {
                s.trim_end()
                    .trim_end_matches('.')
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
            })
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("cannot read the port from {line:?}"))?;
        Ok(Server {
            child: Some(child),
            port,
            log,
            dir,
            args,
            conn: None,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// The directory the server runs in (its `--dir`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the server printed so far.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// A client of the `redis` crate for this server.
    pub fn redis_client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap_or_else(|e| panic!("redis client for {}: {e}", self.addr()))
    }

    /// A connection of the `redis` crate.
    pub fn redis_conn(&self) -> redis::Connection {
        self.redis_client()
            .get_connection_with_timeout(io_timeout())
            .unwrap_or_else(|e| panic!("connect to {}: {e}\n{}", self.addr(), self.log.text()))
    }

    /// A new raw connection.
    pub fn connect(&self) -> RawConn {
        RawConn::connect(&self.addr())
            .unwrap_or_else(|e| panic!("connect to {}: {e}\n{}", self.addr(), self.log.text()))
    }

    fn default_conn(&mut self) -> &mut RawConn {
        if self.conn.is_none() {
            self.conn = Some(self.connect());
        }
        self.conn.as_mut().expect("set above")
    }

    /// Sends bytes as they are on the server's default raw connection.
    pub fn send(&mut self, bytes: &[u8]) {
        self.default_conn().send(bytes)
    }

    /// Reads one complete reply from the default raw connection.
    pub fn read_reply(&mut self) -> Vec<u8> {
        self.default_conn().read_reply()
    }

    /// Sends one command (as a multibulk) on the default connection and returns its reply.
    pub fn call(&mut self, args: &[&str]) -> Vec<u8> {
        self.default_conn().call(args)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Sends SIGTERM and waits for the exit status (None if it had to be killed).
    pub fn stop_gracefully(&mut self) -> Option<ExitStatus> {
        self.conn = None;
        let child = self.child.take()?;
        terminate(child, Duration::from_secs(30))
    }

    /// Stops (SIGTERM) and starts again with the same arguments in the same directory.
    pub fn restart(mut self) -> Server {
        self.stop_gracefully();
        let dir = std::mem::replace(&mut self.dir, TempDir::new("placeholder"));
        let args = std::mem::take(&mut self.args);
        drop(self);
        Server::try_raw(dir, args).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.conn = None;
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// The reference redis-server
// ---------------------------------------------------------------------------------------

/// Where `redis-server` is, if installed (`FERROKV_REDIS_SERVER` overrides the search).
pub fn find_redis_server() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FERROKV_REDIS_SERVER") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let usr = PathBuf::from("/usr/bin/redis-server");
    if usr.is_file() {
        return Some(usr);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file())
}

/// Whether the environment demands the reference (CI): then its absence fails tests.
pub fn redis_required() -> bool {
    std::env::var("FERROKV_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free port: {e}"))
}

/// A running real `redis-server` (persistence off), killed on drop.
pub struct RedisRef {
    child: Option<Child>,
    port: u16,
    log: Log,
    _dir: TempDir,
}

impl RedisRef {
    /// Starts the reference with `--save '' --appendonly no` on a free port, or returns
    /// None when `redis-server` is not installed. Panics if it is installed but fails.
    pub fn start() -> Option<RedisRef> {
        RedisRef::with_args(&[])
    }

    /// Like `start`, with extra directives appended.
    pub fn with_args(extra: &[&str]) -> Option<RedisRef> {
        let bin = find_redis_server()?;
        let mut last_err = String::new();
        // The free port may be taken between the probe and redis binding it: retry.
        for _ in 0..5 {
            let dir = TempDir::new("redis");
            let port = free_port();
            let mut cmd = Command::new(&bin);
            cmd.args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1", "-::1"])
                .args(["--save", ""])
                .args(["--appendonly", "no"])
                .args(["--daemonize", "no"])
                .args(["--logfile", ""])
                .arg("--dir")
                .arg(dir.path())
                .args(extra)
                .current_dir(dir.path());
            match spawn_until(
                cmd,
                "redis-server",
                |l| l.contains("Ready to accept connections"),
                START_TIMEOUT,
            ) {
                Ok((child, log, _)) => {
                    return Some(RedisRef {
                        child: Some(child),
                        port,
                        log,
                        _dir: dir,
                    })
                }
                Err(e) => last_err = e,
            }
            if !last_err.contains("Address already in use") {
                break;
            }
        }
        panic!("{last_err}");
    }

    /// `start`, or None after a loud skip notice naming `test`; fails the test instead
    /// when `FERROKV_REQUIRE_REDIS=1`.
    pub fn start_or_skip(test: &str) -> Option<RedisRef> {
        RedisRef::with_args_or_skip(test, &[])
    }

    /// `with_args`, with the skip handling of `start_or_skip`.
    pub fn with_args_or_skip(test: &str, extra: &[&str]) -> Option<RedisRef> {
        match RedisRef::with_args(extra) {
            Some(r) => Some(r),
            None => {
                if redis_required() {
                    panic!(
                        "{test}: redis-server is not installed but FERROKV_REQUIRE_REDIS=1 \
                         (install it: apt-get install redis-server)"
                    );
                }
                loud_banner(
                    &format!("SKIPPED: {test}"),
                    &[
                        "redis-server was not found (/usr/bin/redis-server or on PATH),".into(),
                        "so nothing was compared against the reference.".into(),
                        "Install it (apt-get install redis-server) or set FERROKV_REDIS_SERVER;"
                            .into(),
                        "set FERROKV_REQUIRE_REDIS=1 to make this a failure.".into(),
                    ],
                );
                None
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn connect(&self) -> RawConn {
        RawConn::connect(&self.addr())
            .unwrap_or_else(|e| panic!("connect to redis-server {}: {e}", self.addr()))
    }

    pub fn redis_client(&self) -> redis::Client {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap_or_else(|e| panic!("redis client for {}: {e}", self.addr()))
    }
}

impl Drop for RedisRef {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Raw RESP connections
// ---------------------------------------------------------------------------------------

/// Encodes a command as a RESP multibulk.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, args);
    out
}

/// Appends a command encoded as a RESP multibulk to `out`.
pub fn encode_into<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// A plain TCP connection speaking RESP by hand.
pub struct RawConn {
    sock: TcpStream,
    buf: Vec<u8>,
    addr: String,
}

/// What reading found instead of a reply.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection (`partial` holds bytes of an incomplete reply).
    Closed {
        partial: Vec<u8>,
    },
    /// No complete reply within the timeout.
    Timeout {
        partial: Vec<u8>,
    },
    /// The bytes are not RESP.
    Malformed {
        bytes: Vec<u8>,
        why: String,
    },
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Closed { partial } => {
                write!(
                    f,
                    "connection closed (pending bytes: \"{}\")",
                    escape(partial)
                )
            }
            ReadError::Timeout { partial } => write!(
                f,
                "no complete reply within {:?} (pending bytes: \"{}\")",
                io_timeout(),
                escape(partial)
            ),
            ReadError::Malformed { bytes, why } => {
                write!(f, "malformed reply ({why}): \"{}\"", escape(bytes))
            }
            ReadError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl RawConn {
    pub fn connect(addr: &str) -> io::Result<RawConn> {
        let sock = TcpStream::connect(addr)?;
        sock.set_nodelay(true)?;
        sock.set_read_timeout(Some(io_timeout()))?;
        sock.set_write_timeout(Some(io_timeout()))?;
        Ok(RawConn {
            sock,
            buf: Vec::new(),
            addr: addr.to_string(),
        })
    }

    pub fn stream(&self) -> &TcpStream {
        &self.sock
    }

    /// Writes all of `bytes` (one write call where the kernel takes it all).
    pub fn send(&mut self, bytes: &[u8]) {
        if let Err(e) = self.try_send(bytes) {
            panic!("send to {}: {e}", self.addr);
        }
    }

    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sock.write_all(bytes)?;
        self.sock.flush()
    }

    /// Sends one command as a multibulk.
    pub fn send_cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.send(&encode(args));
    }

    /// Sends one command and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.send_cmd(args);
        self.read_reply()
    }

    /// Sends one command and returns its reply as text (lossy), for assertions.
    pub fn call_str<A: AsRef<[u8]>>(&mut self, args: &[A]) -> String {
        String::from_utf8_lossy(&self.call(args)).into_owned()
    }

    /// Reads one complete reply (its exact bytes); panics on close, timeout or garbage.
    pub fn read_reply(&mut self) -> Vec<u8> {
        match self.try_read_reply() {
            Ok(r) => r,
            Err(e) => panic!("reading a reply from {}: {e}", self.addr),
        }
    }

    /// Reads `n` replies.
    pub fn read_replies(&mut self, n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|_| self.read_reply()).collect()
    }

    /// Reads one complete reply or says why there is none.
    pub fn try_read_reply(&mut self) -> Result<Vec<u8>, ReadError> {
        let deadline = Instant::now() + io_timeout();
        loop {
            match reply_len(&self.buf) {
                Ok(Some(n)) => return Ok(self.buf.drain(..n).collect()),
                Ok(None) => {}
                Err(why) => {
                    return Err(ReadError::Malformed {
                        bytes: std::mem::take(&mut self.buf),
                        why,
                    })
                }
            }
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(ReadError::Closed {
                        partial: std::mem::take(&mut self.buf),
                    })
                }
                Err(e) if is_timeout(&e) => {
                    return Err(ReadError::Timeout {
                        partial: std::mem::take(&mut self.buf),
                    })
                }
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
    }

    /// Reads into the buffer once; Ok(false) on end of stream.
    fn fill(&mut self, deadline: Instant) -> io::Result<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline"));
        }
        self.sock.set_read_timeout(Some(left))?;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.sock.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A reset after the server closed is the same end of stream for a client.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(false),
                Err(e) => return Err(e),
            }
        }
    }

    /// Asserts that the server closes the connection without sending anything more.
    pub fn expect_closed(&mut self) {
        let deadline = Instant::now() + io_timeout();
        loop {
            if !self.buf.is_empty() {
                panic!(
                    "{}: expected the connection to be closed, got more bytes: \"{}\"",
                    self.addr,
                    escape(&self.buf)
                );
            }
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => panic!(
                    "{}: expected the connection to be closed, but: {e}",
                    self.addr
                ),
            }
        }
    }

    /// Bytes received but not yet returned as a reply.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Half-closes the writing side (the server sees end of stream after what was sent).
    pub fn shutdown_write(&self) {
        let _ = self.sock.shutdown(Shutdown::Write);
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

// ---------------------------------------------------------------------------------------
// RESP framing of replies
// ---------------------------------------------------------------------------------------

/// The line at the start of `buf` (without CRLF) and the bytes it took with CRLF.
fn line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let pos = buf.windows(2).position(|w| w == b"\r\n")?;
    Some((&buf[..pos], pos + 2))
}

fn parse_len(s: &[u8], what: &str) -> Result<i64, String> {
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| format!("bad {what} length \"{}\"", escape(s)))
}

/// The byte length of the complete RESP2/RESP3 reply at the start of `buf`: Ok(None) if
/// more bytes are needed, Err if the bytes cannot be a reply.
pub fn reply_len(buf: &[u8]) -> Result<Option<usize>, String> {
    let Some(&t) = buf.first() else {
        return Ok(None);
    };
    let Some((head, hl)) = line(buf) else {
        return Ok(None);
    };
    let body = &head[1..];
    match t {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(Some(hl)),
        b'$' | b'=' | b'!' => {
            let n = parse_len(body, "bulk")?;
            if n < 0 {
                return Ok(Some(hl));
            }
            let need = hl + n as usize + 2;
            if buf.len() < need {
                return Ok(None);
            }
            if &buf[need - 2..need] != b"\r\n" {
                return Err("bulk payload not followed by CRLF".into());
            }
            Ok(Some(need))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = parse_len(body, "aggregate")?;
            if n < 0 {
                return Ok(Some(hl));
            }
            let per = if t == b'%' || t == b'|' { 2 } else { 1 };
            let mut off = hl;
            for _ in 0..(n as usize * per) {
                match reply_len(&buf[off..])? {
                    Some(k) => off += k,
                    None => return Ok(None),
                }
            }
            if t == b'|' {
                // An attribute map is followed by the reply it describes.
                return Ok(reply_len(&buf[off..])?.map(|k| off + k));
            }
            Ok(Some(off))
        }
        other => Err(format!("unknown reply type byte '{}'", escape(&[other]))),
    }
}

/// A complete reply split into its header line and top-level elements (for aggregates;
/// map entries count separately). None for a non-aggregate or a null aggregate.
pub fn split_aggregate(reply: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    let t = *reply.first()?;
    if !matches!(t, b'*' | b'~' | b'>' | b'%') {
        return None;
    }
    let (head, hl) = line(reply)?;
    let n = parse_len(&head[1..], "aggregate").ok()?;
    if n < 0 {
        return None;
    }
    let count = if t == b'%' {
        n as usize * 2
    } else {
        n as usize
    };
    let mut off = hl;
    let mut elems = Vec::with_capacity(count);
    for _ in 0..count {
        let k = reply_len(&reply[off..]).ok()??;
        elems.push(&reply[off..off + k]);
        off += k;
    }
    Some((&reply[..hl], elems))
}

/// Bytes as a readable string: printable ASCII as is, `\r` `\n` `\t` `\\` `\"` escaped,
/// others as `\xHH`.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

/// Asserts two byte strings are equal, showing both escaped on failure.
#[track_caller]
pub fn assert_bytes_eq(got: &[u8], want: &[u8], context: &str) {
    if got != want {
        panic!(
            "{context}\n   got: \"{}\"\n  want: \"{}\"",
            escape(got),
            escape(want)
        );
    }
}

/// Whether the server knows every one of some commands (each probe's reply is not
/// "unknown command"), for tests of families that may not have landed yet. Prints a loud
/// notice naming the first missing one when it does not.
pub fn has_commands(conn: &mut RawConn, probes: &[&[&str]], test: &str) -> bool {
    for probe in probes {
        let r = conn.call(probe);
        if r.starts_with(b"-ERR unknown command") || r.starts_with(b"-ERR unknown subcommand") {
            loud_banner(
                &format!("NOT RUN YET: {test}"),
                &[format!(
                    "the server does not know `{}` yet; this test starts checking once it does",
                    probe.join(" ")
                )],
            );
            return false;
        }
    }
    true
}

/// `has_commands` with one probe.
pub fn has_command(conn: &mut RawConn, probe: &[&str], test: &str) -> bool {
    has_commands(conn, &[probe], test)
}
