//! kill -9 under load: clients keep a log of every write the server acknowledged, the
//! server is killed mid-stream many times, and after each restart every acknowledged
//! write must be there (and the directory must always load).
//!
//! With `appendfsync always` that is the durability promise itself. With `everysec` the
//! promise is weaker (up to about a second of writes may be lost on a power failure), but
//! kill -9 does not lose the page cache and ferrokv writes the AOF before any reply, so
//! nothing acknowledged may be missing there either; the test checks the stronger
//! property and reports the loss window it would have allowed.

mod aof_common;
use aof_common::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the clients saw acknowledged: key -> value, and counter -> last INCR reply.
#[derive(Default)]
struct Acked {
    sets: HashMap<String, String>,
    counters: HashMap<String, i64>,
}

fn load(
    port: u16,
    round: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Acked>>,
    clients: usize,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..clients)
        .map(|t| {
            let stop = stop.clone();
            let acked = acked.clone();
            std::thread::spawn(move || {
                let Ok(mut c) = Conn::try_new(port) else {
                    return;
                };
                let counter = format!("ctr:{t}");
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("k:{round}:{t}:{i}");
                    let val = format!("v{i}-{}", "x".repeat((i % 50) as usize));
                    match c.try_call(&[b"SET", key.as_bytes(), val.as_bytes()]) {
                        Ok(Reply::Status(s)) if s == "OK" => {
                            acked.lock().unwrap().sets.insert(key, val);
                        }
                        _ => return,
                    }
                    match c.try_call(&[b"INCR", counter.as_bytes()]) {
                        Ok(Reply::Int(n)) => {
                            acked.lock().unwrap().counters.insert(counter.clone(), n);
                        }
                        _ => return,
                    }
                    // A small pipeline too: two writes, two replies.
                    let k2 = format!("p:{round}:{t}:{i}");
                    let k2b = k2.as_bytes();
                    let pipeline: [&[&[u8]]; 2] = [&[b"SET", k2b, b"a"], &[b"APPEND", k2b, b"b"]];
                    if c.send_pipeline(&pipeline).is_err() {
                        return;
                    }
                    match (c.read(), c.read()) {
                        (Ok(Reply::Status(_)), Ok(Reply::Int(2))) => {
                            acked.lock().unwrap().sets.insert(k2, "ab".into());
                        }
                        (Ok(Reply::Status(_)), _) => {
                            // Only the SET is known to be acknowledged.
                            acked
                                .lock()
                                .unwrap()
                                .sets
                                .entry(k2)
                                .or_insert_with(|| "a|ab".into());
                            return;
                        }
                        _ => return,
                    }
                    i += 1;
                }
            })
        })
        .collect()
}

fn verify(c: &mut Conn, acked: &Acked) -> usize {
    let mut missing = 0;
    for (k, v) in &acked.sets {
        let got = c.try_call(&[b"GET", k.as_bytes()]).expect("get");
        let ok = match (&got, v.as_str()) {
            (Reply::Bulk(Some(b)), "a|ab") => b == b"a" || b == b"ab",
            (Reply::Bulk(Some(b)), want) => b == want.as_bytes(),
            _ => false,
        };
        if !ok {
            missing += 1;
            if missing < 5 {
                eprintln!("missing or wrong: {k} = {got:?}, acknowledged {v}");
            }
        }
    }
    for (k, n) in &acked.counters {
        let got = c.try_call(&[b"GET", k.as_bytes()]).expect("get");
        let v: i64 = match got {
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(&b).parse().unwrap_or(-1),
            _ => -1,
        };
        // The last INCR may have reached the file without its reply reaching us.
        if v < *n || v > *n + 1 {
            missing += 1;
            eprintln!("counter {k} = {v}, acknowledged {n}");
        }
    }
    missing
}

fn kill9_rounds(policy: &str, rounds: usize, run_for: Duration) {
    let d = TempDir::new(&format!("kill9-{policy}"));
    let acked = Arc::new(Mutex::new(Acked::default()));
    let args = ["--appendonly", "yes", "--appendfsync", policy];
    let mut writes_per_sec = 0.0f64;
    for round in 0..rounds {
        let s = Srv::start(d.path(), &args);
        let mut c = s.conn();
        let missing = verify(&mut c, &acked.lock().unwrap());
        assert_eq!(
            missing, 0,
            "{policy}: round {round}: acknowledged writes lost"
        );
        let stop = Arc::new(AtomicBool::new(false));
        let before = acked.lock().unwrap().sets.len();
        let t0 = Instant::now();
        let threads = load(s.port, round, stop.clone(), acked.clone(), 6);
        std::thread::sleep(run_for);
        s.kill9();
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            let _ = t.join();
        }
        let n = acked.lock().unwrap().sets.len() - before;
        writes_per_sec = writes_per_sec.max(n as f64 / t0.elapsed().as_secs_f64());
        assert!(n > 0, "round {round}: no write acknowledged");
    }
    let s = Srv::start(d.path(), &args);
    let mut c = s.conn();
    let acked = acked.lock().unwrap();
    let missing = verify(&mut c, &acked);
    eprintln!(
        "{policy}: {rounds} kill -9 rounds, {} acknowledged keys, {missing} missing (about {:.0} writes/s; one second would be that many)",
        acked.sets.len(),
        writes_per_sec
    );
    assert_eq!(missing, 0);
}

#[test]
fn kill9_under_load_appendfsync_always() {
    kill9_rounds("always", 6, Duration::from_millis(700));
}

#[test]
fn kill9_under_load_appendfsync_everysec() {
    kill9_rounds("everysec", 6, Duration::from_millis(700));
}

#[test]
fn kill9_under_load_during_rewrites() {
    // Rewrites run back to back (slowed by a per-key delay) while clients write and the
    // server is killed at arbitrary points of them.
    let d = TempDir::new("kill9-rw");
    let acked = Arc::new(Mutex::new(Acked::default()));
    let args = [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--rdb-key-save-delay",
        "-10",
    ];
    for round in 0..5 {
        let s = Srv::start(d.path(), &args);
        let mut c = s.conn();
        assert_eq!(verify(&mut c, &acked.lock().unwrap()), 0, "round {round}");
        let stop = Arc::new(AtomicBool::new(false));
        let threads = load(s.port, round, stop.clone(), acked.clone(), 4);
        let t0 = Instant::now();
        let mut rewrites = 0;
        while t0.elapsed() < Duration::from_millis(400 + 150 * round as u64) {
            let r = c.call(&["BGREWRITEAOF"]);
            if !r.is_error() {
                rewrites += 1;
            }
            std::thread::sleep(Duration::from_millis(60));
        }
        assert!(rewrites > 0);
        s.kill9();
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            let _ = t.join();
        }
    }
    let s = Srv::start(d.path(), &args);
    let mut c = s.conn();
    assert_eq!(verify(&mut c, &acked.lock().unwrap()), 0);
    // No temporary or orphan files survive a clean rewrite afterwards.
    assert!(!c.call(&["BGREWRITEAOF"]).is_error());
    assert!(c.wait_info("aof_rewrite_in_progress", "0", Duration::from_secs(60)));
    let files: Vec<String> = wait_files(&d.aof_dir(), 3).into_keys().collect();
    assert_eq!(files.len(), 3, "{files:?}");
}
