//! DEBUG against the binary: the dataset digest survives DEBUG LOADAOF and a restart
//! (the round trip a persistence test checks), equals redis-server's for the same
//! commands, and DEBUG LOADAOF without an AOF ends the process as Redis 7.0 does.

mod common;

use common::{RawConn, RedisRef, Server};
use std::time::{Duration, Instant};

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// Data of every type, compact and large encodings, expires and another database.
fn write_everything(c: &mut RawConn) {
    let cmds: &[&[&str]] = &[
        &["SET", "s", "hello"],
        &["SET", "n", "12345"],
        &["SET", "e", ""],
        &["SETEX", "ttl", "100000", "expires"],
        &[
            "RPUSH",
            "l",
            "a",
            "b",
            "c",
            "1",
            "-2",
            "9223372036854775807",
        ],
        &["SADD", "si", "1", "2", "3", "-100"],
        &["SADD", "ss", "a", "b", "c"],
        &[
            "ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "0.1", "d", "1e300", "e",
        ],
        &["HSET", "h", "f1", "v1", "f2", "v2", "num", "10"],
        &["PEXPIRE", "h", "100000000"],
        &["PFADD", "hll", "a", "b", "c"],
        &["SETBIT", "bits", "100", "1"],
        &["SELECT", "3"],
        &["SET", "other", "db3"],
        &["ZADD", "z3", "3", "x"],
        &["SELECT", "0"],
    ];
    for cmd in cmds {
        let r = c.call(cmd);
        assert!(
            !r.starts_with(b"-"),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&r)
        );
    }
    let script = "for i=1,700 do redis.call('rpush','bl','e'..i, i) end \
        for i=1,600 do redis.call('sadd','bs','m'..i) redis.call('sadd','bi',i*7-300) end \
        for i=1,300 do redis.call('zadd','bz',i/7,'m'..i) end \
        for i=1,600 do redis.call('hset','bh','f'..i,string.rep('v',i%100)) end return 1";
    assert_eq!(c.call(&["EVAL", script, "0"]), b":1\r\n");
}

fn digest(c: &mut RawConn) -> String {
    let r = c.call_str(&["DEBUG", "DIGEST"]);
    assert!(r.starts_with('+') && r.len() == 43, "{r:?}");
    r
}

fn wait_rewrite_done(c: &mut RawConn) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let info = c.call_str(&["INFO", "persistence"]);
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the AOF rewrite did not finish");
}

#[test]
fn digest_survives_loadaof_and_restart() {
    let s = Server::with_args(&["--appendonly", "yes", DEBUG_ON[0], DEBUG_ON[1]]);
    let mut c = s.connect();
    assert_eq!(
        c.call_str(&["DEBUG", "DIGEST"]),
        format!("+{}\r\n", "0".repeat(40))
    );
    write_everything(&mut c);
    let before = digest(&mut c);
    assert_ne!(before, format!("+{}\r\n", "0".repeat(40)));
    let keys = c.call_str(&["DBSIZE"]);

    assert_eq!(c.call_str(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(digest(&mut c), before);
    assert_eq!(c.call_str(&["DBSIZE"]), keys);
    assert!(s
        .log()
        .eventually_contains("Append Only File loaded by DEBUG LOADAOF"));

    // The reload wrote nothing to the AOF: a second one loads the same data.
    assert_eq!(c.call_str(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(digest(&mut c), before);

    // After a rewrite (base + a new incremental file) and more writes.
    assert!(c.call_str(&["BGREWRITEAOF"]).starts_with('+'));
    wait_rewrite_done(&mut c);
    assert_eq!(c.call_str(&["SET", "after", "rewrite"]), "+OK\r\n");
    assert_eq!(c.call_str(&["LPUSH", "l", "front"]), ":7\r\n");
    let after = digest(&mut c);
    assert_ne!(after, before);
    assert_eq!(c.call_str(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(digest(&mut c), after);

    // Writes after the reload reach the file too.
    assert_eq!(c.call_str(&["DEL", "s"]), ":1\r\n");
    let last = digest(&mut c);
    drop(c);
    let s = s.restart();
    let mut c = s.connect();
    assert_eq!(digest(&mut c), last);

    // The same commands give the same digest in redis-server.
    if let Some(r) = RedisRef::with_args(DEBUG_ON) {
        let mut rc = r.connect();
        write_everything(&mut rc);
        assert_eq!(digest(&mut rc), before, "redis-server's digest differs");
    }
}

#[test]
fn loadaof_without_an_aof_exits_as_redis_does() {
    let mut s = Server::with_args(DEBUG_ON);
    let mut c = s.connect();
    assert_eq!(c.call_str(&["SET", "k", "v"]), "+OK\r\n");
    c.send_cmd(&["DEBUG", "LOADAOF"]);
    c.expect_closed();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!s.is_running());
    assert!(s
        .log()
        .contains("DEBUG LOADAOF: there is no append only file to load. Exiting..."));
}

/// Inside EXEC, LOADAOF writes what came before the transaction and loads it; the
/// transaction reaches the file whole when it ends (as in Redis, where the keys written
/// before LOADAOF in the same EXEC are gone until the file is loaded again).
#[test]
fn loadaof_inside_multi_keeps_the_transaction_whole() {
    let s = Server::with_args(&["--appendonly", "yes", DEBUG_ON[0], DEBUG_ON[1]]);
    let mut c = s.connect();
    assert_eq!(c.call_str(&["SET", "x", "1"]), "+OK\r\n");
    assert_eq!(c.call_str(&["MULTI"]), "+OK\r\n");
    assert_eq!(c.call_str(&["SET", "a", "1"]), "+QUEUED\r\n");
    assert_eq!(c.call_str(&["DEBUG", "LOADAOF"]), "+QUEUED\r\n");
    assert_eq!(c.call_str(&["SET", "b", "2"]), "+QUEUED\r\n");
    assert_eq!(c.call_str(&["EXEC"]), "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
    assert_eq!(c.call_str(&["EXISTS", "x", "a", "b"]), ":2\r\n");
    assert_eq!(c.call_str(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(c.call_str(&["EXISTS", "x", "a", "b"]), ":3\r\n");
    let s = s.restart();
    let mut c = s.connect();
    assert_eq!(c.call_str(&["EXISTS", "x", "a", "b"]), ":3\r\n");
}

/// MONITOR does not show the commands DEBUG LOADAOF replays (nor DEBUG itself).
#[test]
fn loadaof_is_not_shown_on_monitor() {
    let s = Server::with_args(&["--appendonly", "yes", DEBUG_ON[0], DEBUG_ON[1]]);
    let mut c = s.connect();
    assert_eq!(c.call_str(&["SET", "k", "v"]), "+OK\r\n");
    let mut m = s.connect();
    assert_eq!(m.call_str(&["MONITOR"]), "+OK\r\n");
    assert_eq!(c.call_str(&["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(c.call_str(&["PING"]), "+PONG\r\n");
    let line = m.read_reply();
    assert!(
        String::from_utf8_lossy(&line).ends_with("\"PING\"\r\n"),
        "{}",
        String::from_utf8_lossy(&line)
    );
}
