//! maxmemory and eviction against the real binary: for each policy, writing well past a
//! limit of a few MB keeps used memory near it and evicts the keys the policy names;
//! noeviction refuses writes with Redis's OOM error but serves reads and deletes;
//! evictions raise the `evicted` keyspace event and reach the AOF as DELs.

mod common;

use common::Server;
use redis::Connection;

const LIMIT: u64 = 4 << 20;
const VALUE_LEN: usize = 1000;

fn info_field(con: &mut Connection, section: &str, name: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg(section).query(con).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO {section} has no {name}:\n{info}"))
}

fn start(policy: &str, extra: &[&str]) -> Server {
    let mut args = vec![
        "--save",
        "",
        "--maxmemory-policy",
        policy,
        "--maxmemory",
        "4mb",
    ];
    args.extend_from_slice(extra);
    Server::with_args(&args)
}

/// Writes keys `prefix:from..prefix:to` with 1000-byte values (and a TTL in seconds
/// when given), in pipelines; every reply must be OK.
fn write(con: &mut Connection, prefix: &str, range: std::ops::Range<usize>, ttl: Option<u64>) {
    let value = vec![b'x'; VALUE_LEN];
    let keys: Vec<usize> = range.collect();
    for chunk in keys.chunks(200) {
        let mut p = redis::pipe();
        for i in chunk {
            let c = p.cmd("SET").arg(format!("{prefix}:{i}")).arg(&value[..]);
            if let Some(t) = ttl {
                c.arg("EX").arg(t);
            }
            c.ignore();
        }
        p.query::<()>(con).expect("pipelined SETs");
    }
}

fn count_existing(con: &mut Connection, prefix: &str, range: std::ops::Range<usize>) -> usize {
    let mut n = 0;
    for i in range {
        let e: bool = redis::cmd("EXISTS")
            .arg(format!("{prefix}:{i}"))
            .query(con)
            .expect("EXISTS");
        n += e as usize;
    }
    n
}

/// used_memory stays near the limit (client buffers and the last command's allocations
/// may go a little past it) and keys were evicted.
fn assert_bounded(con: &mut Connection) -> u64 {
    let used = info_field(con, "memory", "used_memory");
    assert!(
        used <= LIMIT + LIMIT / 4,
        "used_memory {used} far above maxmemory {LIMIT}"
    );
    let evicted = info_field(con, "stats", "evicted_keys");
    assert!(evicted > 0, "nothing evicted");
    evicted
}

fn touch_hot(con: &mut Connection) {
    let mut p = redis::pipe();
    for i in 0..20 {
        p.cmd("GET").arg(format!("hot:{i}")).ignore();
    }
    p.query::<()>(con).expect("GETs");
}

#[test]
fn allkeys_policies_stay_under_the_limit_and_keep_hot_keys() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let srv = start(policy, &[]);
        let mut con = srv.redis_conn();
        write(&mut con, "hot", 0..20, None);
        let mut last = 0;
        for round in 0..12 {
            for chunk in 0..5 {
                let from = round * 500 + chunk * 100;
                write(&mut con, "bulk", from..from + 100, None);
                // The hot keys are read all the time.
                touch_hot(&mut con);
            }
            if policy == "allkeys-lru" {
                // The LRU clock counts seconds, as Redis's does: the rounds must be
                // told apart by it.
                std::thread::sleep(std::time::Duration::from_millis(1000));
                touch_hot(&mut con);
            }
            if round >= 10 {
                let evicted = assert_bounded(&mut con);
                assert!(evicted >= last, "{policy}: evicted_keys went down");
                last = evicted;
            }
        }
        let dbsize: u64 = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
        assert!(dbsize < 6000, "{policy}: dbsize {dbsize}");
        if policy != "allkeys-random" {
            assert_eq!(
                count_existing(&mut con, "hot", 0..20),
                20,
                "{policy} evicted hot keys"
            );
        }
    }
}

#[test]
fn volatile_policies_never_evict_keys_without_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let srv = start(policy, &[]);
        let mut con = srv.redis_conn();
        write(&mut con, "keep", 0..500, None);
        write(&mut con, "vol", 0..8000, Some(10_000));
        assert_bounded(&mut con);
        assert_eq!(count_existing(&mut con, "keep", 0..500), 500, "{policy}");
        // With no volatile key left, writes past the limit are refused.
        let mut refused = None;
        for i in 0..10_000 {
            let r: redis::RedisResult<()> = redis::cmd("SET")
                .arg(format!("more:{i}"))
                .arg(vec![b'y'; VALUE_LEN])
                .query(&mut con);
            if let Err(e) = r {
                refused = Some(e);
                break;
            }
        }
        let e = refused.unwrap_or_else(|| panic!("{policy}: no write was refused"));
        assert_eq!(e.code(), Some("OOM"), "{policy}: {e}");
        assert_eq!(count_existing(&mut con, "keep", 0..500), 500, "{policy}");
    }
}

#[test]
fn volatile_ttl_evicts_the_shortest_ttls_first() {
    let srv = start("volatile-ttl", &[]);
    let mut con = srv.redis_conn();
    // Interleaved batches: short TTLs (1000..1200 s) and long ones (90000.. s).
    for round in 0..8 {
        write(
            &mut con,
            "short",
            round * 500..(round + 1) * 500,
            Some(1000 + round as u64 * 25),
        );
        write(
            &mut con,
            "long",
            round * 500..(round + 1) * 500,
            Some(90_000 + round as u64),
        );
    }
    assert_bounded(&mut con);
    let short = count_existing(&mut con, "short", 0..4000);
    let long = count_existing(&mut con, "long", 0..4000);
    assert!(
        long > 2 * short + 500,
        "short TTLs left {short}, long TTLs left {long}"
    );
}

#[test]
fn noeviction_refuses_writes_with_oom_but_serves_reads() {
    let mut srv = start("noeviction", &[]);
    let mut con = srv.redis_conn();
    let mut refused = false;
    for i in 0..10_000 {
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("k:{i}"))
            .arg(vec![b'z'; VALUE_LEN])
            .query(&mut con);
        if r.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "no write was refused");
    assert_eq!(info_field(&mut con, "stats", "evicted_keys"), 0);
    // Exact wire texts, as redis-server 7.0 gives them.
    assert_eq!(
        srv.call(&["SET", "x", "y"]),
        b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    let got = srv.call(&["GET", "k:0"]);
    assert!(got.starts_with(b"$1000\r\n"), "{got:?}");
    assert_eq!(srv.call(&["DEL", "k:0"]), b":1\r\n");
    assert_eq!(srv.call(&["MULTI"]), b"+OK\r\n");
    assert_eq!(
        srv.call(&["GET", "k:1"]),
        b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    assert_eq!(
        srv.call(&["EXEC"]),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // A transaction queued before memory ran out: EXEC itself is refused.
    let mut other = srv.connect();
    assert_eq!(other.call(&["CONFIG", "SET", "maxmemory", "0"]), b"+OK\r\n");
    assert_eq!(srv.call(&["MULTI"]), b"+OK\r\n");
    assert_eq!(srv.call(&["SET", "a", "b"]), b"+QUEUED\r\n");
    assert_eq!(other.call(&["CONFIG", "SET", "maxmemory", "1"]), b"+OK\r\n");
    assert_eq!(
        srv.call(&["EXEC"]),
        &b"-EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.\r\n"[..]
    );
    assert_eq!(srv.call(&["EXEC"]), b"-ERR EXEC without MULTI\r\n");
    let errors: String = redis::cmd("INFO")
        .arg("errorstats")
        .query(&mut con)
        .unwrap();
    assert!(errors.contains("errorstat_OOM:count="), "{errors}");
}

#[test]
fn config_set_maxmemory_evicts_at_once() {
    let mut srv = Server::with_args(&["--save", "", "--maxmemory-policy", "allkeys-random"]);
    let mut con = srv.redis_conn();
    write(&mut con, "k", 0..8000, None);
    assert_eq!(srv.call(&["CONFIG", "SET", "maxmemory", "4mb"]), b"+OK\r\n");
    // The reply to CONFIG SET comes after the first pass; the loop finishes the job.
    let deadline = std::time::Instant::now() + common::io_timeout();
    while info_field(&mut con, "memory", "used_memory") > LIMIT + LIMIT / 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "memory never went down"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let dbsize: u64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
    assert!(dbsize < 8000);
    assert!(info_field(&mut con, "stats", "evicted_keys") >= 8000 - dbsize);
}

#[test]
fn evictions_raise_the_evicted_event() {
    let srv = start("allkeys-random", &["--notify-keyspace-events", "Ee"]);
    let mut sub = srv.connect();
    let r = sub.call(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    assert!(r.starts_with(b"*3\r\n$9\r\nsubscribe\r\n"), "{r:?}");
    let mut con = srv.redis_conn();
    write(&mut con, "k", 0..8000, None);
    assert_bounded(&mut con);
    let msg = sub.read_reply();
    let text = String::from_utf8_lossy(&msg);
    assert!(
        text.starts_with("*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n$"),
        "{text}"
    );
    assert!(text.contains("k:"), "{text}");
}

#[test]
fn evicted_keys_reach_the_aof_as_del() {
    let mut srv = Server::with_args(&[
        "--save",
        "",
        "--appendonly",
        "yes",
        "--maxmemory-policy",
        "allkeys-lru",
    ]);
    let mut con = srv.redis_conn();
    assert_eq!(srv.call(&["CONFIG", "SET", "maxmemory", "4mb"]), b"+OK\r\n");
    write(&mut con, "k", 0..8000, None);
    assert!(assert_bounded(&mut con) > 0);
    // Stop evicting, and note what is there.
    assert_eq!(srv.call(&["CONFIG", "SET", "maxmemory", "0"]), b"+OK\r\n");
    let present: Vec<bool> = (0..8000)
        .map(|i| {
            redis::cmd("EXISTS")
                .arg(format!("k:{i}"))
                .query(&mut con)
                .unwrap()
        })
        .collect();
    let kept = present.iter().filter(|p| **p).count();
    assert!(kept > 0 && kept < 8000, "kept {kept}");
    drop(con);
    let aof_dir = srv.dir().join("appendonlydir");
    let mut aof = Vec::new();
    for e in std::fs::read_dir(&aof_dir).expect("AOF directory") {
        let p = e.expect("entry").path();
        if p.to_string_lossy().ends_with(".incr.aof") {
            aof.extend(std::fs::read(&p).expect("AOF file"));
        }
    }
    let dels = aof.windows(9).filter(|w| w == b"$3\r\nDEL\r\n").count();
    assert_eq!(dels, 8000 - kept, "DELs in the AOF");

    let srv = srv.restart();
    let mut con = srv.redis_conn();
    let deadline = std::time::Instant::now() + common::io_timeout();
    while redis::cmd("PING").query::<String>(&mut con).is_err() {
        assert!(std::time::Instant::now() < deadline, "still loading");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for (i, p) in present.iter().enumerate() {
        let e: bool = redis::cmd("EXISTS")
            .arg(format!("k:{i}"))
            .query(&mut con)
            .unwrap();
        assert_eq!(e, *p, "k:{i} after restart");
    }
}
