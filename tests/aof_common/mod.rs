//! Support for the AOF integration tests: servers started in a directory of the test's
//! choosing (so the files outlive the process), kill -9, a small RESP client, and a full
//! dump of the data for comparisons.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "ferrokv-aof-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn aof_dir(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a directory tree (files only, one level of subdirectories is enough here).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let p = e.path();
        let dst = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dst);
        } else {
            std::fs::copy(&p, &dst).expect("copy");
        }
    }
}

/// A running server (ferrokv or redis-server) whose log is collected.
pub struct Srv {
    pub child: Child,
    pub port: u16,
    pub log: Arc<Mutex<String>>,
}

fn collect_log(child: &mut Child, log: Arc<Mutex<String>>) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut l) = log.lock() {
                l.push_str(&line);
                l.push('\n');
            }
            let _ = tx.send(line);
        }
    });
    rx
}

impl Srv {
    /// Starts ferrokv-server in `dir`; waits until it accepts connections (after loading).
    /// Err(log) when it exits first.
    pub fn try_start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Srv, String> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrokv-server"));
        cmd.args(["--port", "0", "--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn ferrokv-server");
        let log = Arc::new(Mutex::new(String::new()));
        let rx = collect_log(&mut child, log.clone());
        let deadline = Instant::now() + START_TIMEOUT;
        let mut port = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    if let Some(rest) = line.split("port=").nth(1) {
                        port = rest.trim_end_matches('.').parse().unwrap_or(0);
                    }
                    if line.contains("Ready to accept connections") {
                        break;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = child.wait();
                    return Err(log.lock().map(|l| l.clone()).unwrap_or_default());
                }
                Err(_) => {
                    if Instant::now() >= deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err("timeout starting".into());
                    }
                }
            }
        }
        Ok(Srv { child, port, log })
    }

    pub fn start(dir: &Path, args: &[&str]) -> Srv {
        Srv::try_start(dir, args, &[])
            .unwrap_or_else(|log| panic!("server failed to start:\n{log}"))
    }

    /// Starts ferrokv and returns as soon as the port is known (loading may go on).
    pub fn start_early(dir: &Path, args: &[&str]) -> Srv {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrokv-server"))
            .args(["--port", "0", "--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn");
        let log = Arc::new(Mutex::new(String::new()));
        let rx = collect_log(&mut child, log.clone());
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                if let Some(rest) = line.split("port=").nth(1) {
                    let port = rest.trim_end_matches('.').parse().unwrap_or(0);
                    return Srv { child, port, log };
                }
            }
        }
        panic!("no port");
    }

    /// Starts the real redis-server in `dir`, if installed.
    pub fn redis(dir: &Path, args: &[&str]) -> Option<Srv> {
        let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .into_iter()
            .find(|p| Path::new(p).exists())?;
        let port = free_port();
        let mut child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let log = Arc::new(Mutex::new(String::new()));
        let rx = collect_log(&mut child, log.clone());
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) if line.contains("Ready to accept connections") => {
                    return Some(Srv { child, port, log })
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("redis-server exited:\n{}", log.lock().unwrap());
                }
                _ => {}
            }
        }
        panic!("redis-server did not start");
    }

    pub fn conn(&self) -> Conn {
        Conn::new(self.port)
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Waits until the log holds `needle`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// kill -9 and reap.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end (e.g. after SHUTDOWN or an injected crash).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// SHUTDOWN and wait.
    pub fn shutdown(mut self) {
        let mut c = self.conn();
        let _ = c.send(&[b"SHUTDOWN"]);
        let _ = self.wait_exit(Duration::from_secs(30));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Bulk(Some(b)) => b.clone(),
            Reply::Status(s) => s.as_bytes().to_vec(),
            other => panic!("not a bulk: {other:?}"),
        }
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }
    pub fn array(&self) -> Vec<Reply> {
        match self {
            Reply::Array(Some(v)) => v.clone(),
            other => panic!("not an array: {other:?}"),
        }
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}

/// A blocking RESP2 client.
pub struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    pub fn new(port: u16) -> Conn {
        Conn::try_new(port).expect("connect")
    }
    pub fn try_new(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(Conn {
            r: BufReader::new(s.try_clone()?),
            w: s,
        })
    }
    pub fn set_timeout(&self, d: Duration) {
        let _ = self.w.set_read_timeout(Some(d));
    }
    pub fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.w.write_all(&buf)
    }
    /// Sends several commands in one write (a pipeline).
    pub fn send_pipeline(&mut self, cmds: &[&[&[u8]]]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for c in cmds {
            buf.extend(resp(c));
        }
        self.w.write_all(&buf)
    }
    pub fn read(&mut self) -> std::io::Result<Reply> {
        let mut line = String::new();
        if self.r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end_matches("\r\n");
        let (t, rest) = line.split_at(1);
        Ok(match t {
            "+" => Reply::Status(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(rest.parse().unwrap_or(0)),
            "$" => {
                let n: i64 = rest.parse().unwrap_or(-1);
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut b = vec![0; n as usize + 2];
                    self.r.read_exact(&mut b)?;
                    b.truncate(n as usize);
                    Reply::Bulk(Some(b))
                }
            }
            "*" => {
                let n: i64 = rest.parse().unwrap_or(-1);
                if n < 0 {
                    Reply::Array(None)
                } else {
                    let mut v = Vec::new();
                    for _ in 0..n {
                        v.push(self.read()?);
                    }
                    Reply::Array(Some(v))
                }
            }
            _ => Reply::Error(format!("bad reply line {line:?}")),
        })
    }
    pub fn try_call(&mut self, args: &[&[u8]]) -> std::io::Result<Reply> {
        self.send(args)?;
        self.read()
    }
    pub fn call(&mut self, args: &[&str]) -> Reply {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.try_call(&a).expect("call")
    }
    /// One field of INFO.
    pub fn info_field(&mut self, name: &str) -> String {
        let text = self.call(&["INFO", "persistence"]).text();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or("")
            .trim()
            .to_string()
    }
    /// Waits until an INFO field has a value.
    pub fn wait_info(&mut self, name: &str, want: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.info_field(name) == want {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// (db, key) -> (type, value parts, absolute expiry or -1).
pub type Dump = BTreeMap<(i64, Vec<u8>), (String, Vec<Vec<u8>>, i64)>;

/// Every key of every database with its type, value and expiry (absolute ms), sorted:
/// what two servers must agree on.
pub fn dump(c: &mut Conn) -> Dump {
    let mut all = BTreeMap::new();
    for db in 0..16 {
        c.call(&["SELECT", &db.to_string()]);
        let keys = c.call(&["KEYS", "*"]).array();
        for k in keys {
            let k = k.bytes();
            let ty = c.try_call(&[b"TYPE", &k]).expect("type").bytes();
            let ty = String::from_utf8_lossy(&ty).into_owned();
            let mut val: Vec<Vec<u8>> = match ty.as_str() {
                "string" => vec![c.try_call(&[b"GET", &k]).expect("get").bytes()],
                "hash" => pairs(c.try_call(&[b"HGETALL", &k]).expect("hgetall")),
                "list" => c
                    .try_call(&[b"LRANGE", &k, b"0", b"-1"])
                    .expect("lrange")
                    .array()
                    .iter()
                    .map(|r| r.bytes())
                    .collect(),
                "set" => {
                    let mut v: Vec<Vec<u8>> = c
                        .try_call(&[b"SMEMBERS", &k])
                        .expect("smembers")
                        .array()
                        .iter()
                        .map(|r| r.bytes())
                        .collect();
                    v.sort();
                    v
                }
                "zset" => c
                    .try_call(&[b"ZRANGE", &k, b"0", b"-1", b"WITHSCORES"])
                    .expect("zrange")
                    .array()
                    .iter()
                    .map(|r| r.bytes())
                    .collect(),
                other => vec![other.as_bytes().to_vec()],
            };
            if ty == "hash" {
                val.sort();
            }
            let exp = c
                .try_call(&[b"PEXPIRETIME", &k])
                .expect("pexpiretime")
                .int();
            all.insert((db, k), (ty, val, exp));
        }
    }
    c.call(&["SELECT", "0"]);
    all
}

fn pairs(r: Reply) -> Vec<Vec<u8>> {
    let a = r.array();
    let mut v: Vec<Vec<u8>> = a
        .chunks(2)
        .map(|p| {
            let mut x = p[0].bytes();
            x.push(0);
            x.extend(p[1].bytes());
            x
        })
        .collect();
    v.sort();
    v
}

/// The files of the AOF directory with their contents.
pub fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            m.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            );
        }
    }
    m
}

/// Waits until the AOF directory holds `n` files (history files go in the background).
pub fn wait_files(dir: &Path, n: usize) -> BTreeMap<String, Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = snapshot_dir(dir);
        if s.len() == n || Instant::now() >= deadline {
            return s;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The RESP encoding of a command.
pub fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut buf = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        buf.extend_from_slice(a);
        buf.extend_from_slice(b"\r\n");
    }
    buf
}

/// The incremental file the manifest lists last.
pub fn last_incr(aof_dir: &Path) -> PathBuf {
    let m = std::fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).expect("manifest");
    let name = m
        .lines()
        .rfind(|l| l.ends_with("type i"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("an incr file")
        .to_string();
    aof_dir.join(name)
}
