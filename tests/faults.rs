//! The fault suite: the server against a full disk, thousands of connections, and many
//! connections sending malformed and oversized requests while a well-behaved client checks
//! every reply. Each test is bounded in time. (A client that never reads is in
//! `output_limits.rs`; kill -9 during writes and rewrites in `aof_crash.rs`.)

mod common;

use common::{loud, Server, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A small tmpfs mounted for the test's lifetime.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// None (with a loud notice) where this machine does not let us mount.
    fn mount(under: &Path, size: &str, test: &str) -> Option<Tmpfs> {
        let dir = under.join("disk");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            loud(&format!(
                "{test} SKIPPED: cannot mount a tmpfs here (needs privileges); the injected-fault tests in aof_rewrite.rs cover the same paths"
            ));
            return None;
        }
        Some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

/// Waits until the server has loaded its data (it answers LOADING meanwhile).
fn wait_loaded(con: &mut redis::Connection) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while redis::cmd("DBSIZE").query::<u64>(con).is_err() {
        assert!(Instant::now() < deadline, "never finished loading");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn redis_err(r: &redis::RedisResult<()>) -> String {
    match r {
        Ok(()) => String::new(),
        Err(e) => format!("{e}"),
    }
}

#[test]
fn full_disk_under_everysec_refuses_writes_serves_reads_and_recovers() {
    let dir = TempDir::new("full-everysec");
    let Some(disk) = Tmpfs::mount(dir.path(), "8m", "full_disk_under_everysec") else {
        return;
    };
    // Room the test gives back once the disk is full.
    let ballast = disk.0.join("ballast");
    std::fs::write(&ballast, vec![0u8; 3 << 20]).unwrap();
    let disk_s = disk.0.display().to_string();
    let srv = Server::try_start_in(
        TempDir::new("full-everysec-srv"),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--dir",
            &disk_s,
        ],
    )
    .expect("start");
    let mut con = srv.redis_conn();
    let value = vec![b'v'; 64 << 10];
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..400 {
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(&value)
            .query(&mut con);
        match r {
            Ok(()) => acked.push(i),
            Err(e) => {
                refused = Some(format!("{e}"));
                break;
            }
        }
    }
    let refused = refused.expect("the disk never filled");
    assert!(refused.contains("MISCONF"), "{refused}");
    assert!(refused.contains("No space left on device"), "{refused}");
    // Reads are served meanwhile.
    let got: Vec<u8> = redis::cmd("GET").arg("k0").query(&mut con).unwrap();
    assert_eq!(got.len(), value.len());
    assert!(srv.log().eventually_contains("writing to the AOF file"));
    // Space comes back: writes are accepted again.
    std::fs::remove_file(&ballast).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r: redis::RedisResult<()> = redis::cmd("SET").arg("after").arg("1").query(&mut con);
        if r.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes never resumed: {}",
            redis_err(&r)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Everything acknowledged is in the AOF: a restart on the same directory has it.
    let _: () = redis::cmd("SHUTDOWN").query(&mut con).unwrap_or(());
    drop(srv);
    let srv = Server::try_start_in(
        TempDir::new("full-everysec-srv2"),
        &["--appendonly", "yes", "--dir", &disk_s],
    )
    .expect("restart");
    let mut con = srv.redis_conn();
    wait_loaded(&mut con);
    for i in &acked {
        let n: u64 = redis::cmd("EXISTS")
            .arg(format!("k{i}"))
            .query(&mut con)
            .unwrap();
        assert_eq!(n, 1, "acknowledged k{i} lost");
    }
    let n: u64 = redis::cmd("EXISTS").arg("after").query(&mut con).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn full_disk_under_always_exits_without_acknowledging() {
    let dir = TempDir::new("full-always");
    let Some(disk) = Tmpfs::mount(dir.path(), "4m", "full_disk_under_always") else {
        return;
    };
    let disk_s = disk.0.display().to_string();
    let mut srv = Server::try_start_in(
        TempDir::new("full-always-srv"),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            &disk_s,
        ],
    )
    .expect("start");
    let mut con = srv.redis_conn();
    let value = vec![b'v'; 64 << 10];
    let mut acked = Vec::new();
    let mut failed = false;
    for i in 0..200 {
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("k{i}"))
            .arg(&value)
            .query(&mut con);
        match r {
            Ok(()) => acked.push(i),
            Err(e) => {
                assert!(!format!("{e}").contains("OK"));
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the disk never filled");
    let deadline = Instant::now() + Duration::from_secs(10);
    while srv.is_running() {
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(srv.log().eventually_contains(
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
    ));
    // Make room and restart: every acknowledged write is there, the directory loads.
    drop(srv);
    let big = disk.0.join("appendonlydir");
    assert!(big.exists());
    let srv = Server::try_start_in(
        TempDir::new("full-always-srv2"),
        &[
            "--appendonly",
            "yes",
            "--appendfsync",
            "no",
            "--dir",
            &disk_s,
        ],
    )
    .expect("restart on the full disk");
    let mut con = srv.redis_conn();
    wait_loaded(&mut con);
    for i in &acked {
        let n: u64 = redis::cmd("EXISTS")
            .arg(format!("k{i}"))
            .query(&mut con)
            .unwrap();
        assert_eq!(n, 1, "acknowledged k{i} lost");
    }
}

#[test]
fn thousands_of_connections_and_maxclients() {
    let srv = Server::with_args(&["--save", "", "--maxclients", "3000"]);
    let mut conns: Vec<TcpStream> = (0..2500)
        .map(|_| {
            let s = TcpStream::connect(srv.addr()).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s
        })
        .collect();
    for c in conns.iter_mut() {
        c.write_all(b"PING\r\n").unwrap();
    }
    for c in conns.iter_mut() {
        let mut pong = [0u8; 7];
        c.read_exact(&mut pong).unwrap();
        assert_eq!(&pong, b"+PONG\r\n");
    }
    let mut con = srv.redis_conn();
    let info: String = redis::cmd("INFO").arg("clients").query(&mut con).unwrap();
    assert!(info.contains("connected_clients:2501"), "{info}");
    // Past maxclients: Redis's error, then the connection is closed; the others go on.
    let mut refused = 0;
    let mut extra = Vec::new();
    for _ in 0..600 {
        let mut s = TcpStream::connect(srv.addr()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(b"PING\r\n").unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 64];
        loop {
            match s.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                    if buf.ends_with(b"\r\n") {
                        break;
                    }
                }
                Err(e) => panic!("read: {e}"),
            }
        }
        if buf == b"-ERR max number of clients reached\r\n" {
            refused += 1;
        } else {
            assert_eq!(buf, b"+PONG\r\n");
            extra.push(s);
        }
    }
    assert_eq!(extra.len() + 2501, 3000, "exactly maxclients are served");
    assert_eq!(refused, 600 - extra.len());
    drop(conns);
    drop(extra);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info: String = redis::cmd("INFO").arg("clients").query(&mut con).unwrap();
        if info.contains("connected_clients:1\r\n") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "connections not released: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Requests that are wrong in every way the parser can see, or too large.
fn junk(i: u64) -> Vec<u8> {
    let mut x = i
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    match i % 10 {
        0 => b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-5\r\n".to_vec(),
        1 => b"*1\r\n$2147483648\r\n".to_vec(),
        2 => b"*99999999999\r\n".to_vec(),
        3 => b"$5\r\nhello\r\n".to_vec(),
        4 => {
            let mut v = b"*2\r\n$3\r\nGET\r\n$100000000\r\n".to_vec();
            v.extend(std::iter::repeat_n(b'a', 300_000));
            v
        }
        5 => std::iter::repeat_n(b'x', 70 * 1024).collect(),
        6 => b"\"unbalanced quotes\r\n".to_vec(),
        7 => b"*-1\r\n*0\r\n*1\r\n$4\r\nPING\r\n*1\r\n:4\r\n".to_vec(),
        _ => (0..(rnd() % 4096)).map(|_| rnd() as u8).collect(),
    }
}

#[test]
fn malformed_and_oversized_requests_do_not_disturb_other_clients() {
    let srv = Server::with_args(&["--save", ""]);
    let stop = Arc::new(AtomicBool::new(false));
    let addr = srv.addr();
    let workers: Vec<_> = (0..6u64)
        .map(|w| {
            let stop = stop.clone();
            let addr = addr.clone();
            std::thread::spawn(move || {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(mut s) = TcpStream::connect(&addr) {
                        let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                        let _ = s.write_all(&junk(i));
                        let mut sink = [0u8; 4096];
                        while let Ok(n) = s.read(&mut sink) {
                            if n == 0 {
                                break;
                            }
                        }
                    }
                    i += 6;
                }
            })
        })
        .collect();
    let mut con = srv.redis_conn();
    let start = Instant::now();
    let mut n = 0i64;
    while start.elapsed() < Duration::from_secs(4) {
        n += 1;
        let got: i64 = redis::cmd("INCR").arg("counter").query(&mut con).unwrap();
        assert_eq!(got, n, "a reply out of order or lost");
        if n % 100 == 0 {
            let v: Vec<u8> = redis::cmd("GET").arg("counter").query(&mut con).unwrap();
            assert_eq!(v, n.to_string().into_bytes());
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    assert!(
        n > 100,
        "the well-behaved client was starved: {n} replies in 4 s"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info: String = redis::cmd("INFO").arg("clients").query(&mut con).unwrap();
        if info.contains("connected_clients:1\r\n") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "connections not released: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pages: u64 = std::fs::read_to_string(format!("/proc/{}/statm", srv.pid().unwrap()))
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        pages * 4096 < 256 << 20,
        "resident {} MB after the storm",
        (pages * 4096) >> 20
    );
}
