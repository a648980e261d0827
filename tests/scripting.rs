//! Scripting against the real binary: what a script writes reaches the AOF as its
//! effects and comes back after a restart; functions survive restarts and rewrites;
//! busy scripts let other clients in (BUSY), SCRIPT KILL / FUNCTION KILL stop them,
//! UNKILLABLE protects a script that wrote, SHUTDOWN NOSAVE works meanwhile.

mod common;

use common::Server;
use std::time::{Duration, Instant};

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn aof_text(srv: &Server) -> String {
    let dir = srv.dir().join("appendonlydir");
    let mut out = String::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        names.sort();
        for p in names {
            if p.extension().is_some_and(|e| e == "aof") {
                out.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&p).unwrap_or_default(),
                ));
            }
        }
    }
    out
}

#[test]
fn script_effects_are_replayed_after_restart() {
    let mut srv = Server::with_args(&["--appendonly", "yes", "--appendfsync", "always"]);
    // Effects, not the script: a non-deterministic value is written as it was.
    let r = srv.call(&[
        "EVAL",
        "redis.call('set', KEYS[1], tostring(math.random())) redis.call('incr', 'n') return redis.call('get', KEYS[1])",
        "1",
        "k",
    ]);
    let value = s(&r);
    assert!(value.starts_with('$'), "{value}");
    assert_eq!(
        srv.call(&["EVAL", "return redis.call('incr', 'n')", "0"]),
        b":2\r\n"
    );
    // A script that changes nothing propagates nothing; set_repl(REPL_NONE) hides.
    srv.call(&["EVAL", "return redis.call('get', 'n')", "0"]);
    srv.call(&[
        "EVAL",
        "redis.set_repl(redis.REPL_NONE) redis.call('set', 'hidden', '1') return 1",
        "0",
    ]);
    let aof = aof_text(&srv);
    assert!(!aof.contains("EVAL") && !aof.contains("eval"), "{aof}");
    assert!(aof.contains("MULTI") && aof.contains("EXEC"), "{aof}");
    assert!(!aof.contains("hidden"), "{aof}");
    let mut srv = srv.restart();
    assert_eq!(s(&srv.call(&["GET", "k"])), value);
    assert_eq!(srv.call(&["GET", "n"]), b"$1\r\n2\r\n");
    assert_eq!(srv.call(&["EXISTS", "hidden"]), b":0\r\n");
}

#[test]
fn functions_survive_restart_and_rewrite() {
    let mut srv = Server::with_args(&["--appendonly", "yes"]);
    let lib = "#!lua name=lib\nredis.register_function('incr2', function(keys) return redis.call('incrby', keys[1], 2) end)";
    assert_eq!(srv.call(&["FUNCTION", "LOAD", lib]), b"$3\r\nlib\r\n");
    assert_eq!(srv.call(&["FCALL", "incr2", "1", "c"]), b":2\r\n");
    let mut srv = srv.restart();
    assert_eq!(srv.call(&["FCALL", "incr2", "1", "c"]), b":4\r\n");
    assert_eq!(srv.call(&["BGREWRITEAOF"])[0], b'+');
    let deadline = Instant::now() + Duration::from_secs(20);
    while s(&srv.call(&["INFO", "persistence"])).contains("aof_rewrite_in_progress:1") {
        assert!(Instant::now() < deadline, "rewrite did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut srv = srv.restart();
    assert_eq!(srv.call(&["FCALL", "incr2", "1", "c"]), b":6\r\n");
    let info = s(&srv.call(&["INFO", "memory"]));
    assert!(info.contains("number_of_functions:1"), "{info}");
    assert!(info.contains("number_of_libraries:1"), "{info}");
}

#[test]
fn scripts_count_in_commandstats_and_monitor() {
    let mut srv = Server::start();
    let mut mon = srv.connect();
    assert_eq!(mon.call(&["MONITOR"]), b"+OK\r\n");
    srv.call(&[
        "EVAL",
        "redis.call('set','a','1') return redis.call('get','a')",
        "0",
    ]);
    let eval_line = s(&mon.read_reply());
    assert!(eval_line.contains("\"EVAL\""), "{eval_line}");
    let set_line = s(&mon.read_reply());
    assert!(
        set_line.contains("[0 lua] \"set\" \"a\" \"1\""),
        "{set_line}"
    );
    let stats = s(&srv.call(&["INFO", "commandstats"]));
    assert!(stats.contains("cmdstat_set:calls=1"), "{stats}");
    assert!(stats.contains("cmdstat_eval:calls=1"), "{stats}");
}

/// Waits until `conn` answers PING with BUSY (the script went past the threshold).
fn wait_busy(srv: &Server) -> common::RawConn {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut c = srv.connect();
        let r = s(&c.call(&["PING"]));
        if r.starts_with("-BUSY") {
            return c;
        }
        assert!(Instant::now() < deadline, "never BUSY: {r}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn busy_script_lets_others_in_and_script_kill_stops_it() {
    let srv = Server::with_args(&["--busy-reply-threshold", "50"]);
    let mut runner = srv.connect();
    runner.send_cmd(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"]);
    let mut other = wait_busy(&srv);
    assert_eq!(
        s(&other.call(&["GET", "x"])),
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    );
    // MULTI is allowed while busy; what it queues is refused, and EXEC aborts.
    assert_eq!(other.call(&["MULTI"]), b"+OK\r\n");
    assert!(s(&other.call(&["PING"])).starts_with("-BUSY"));
    assert_eq!(other.call(&["DISCARD"]), b"+OK\r\n");
    assert!(s(&other.call(&["FUNCTION", "KILL"])).starts_with("-BUSY"));
    assert!(s(&other.call(&["FUNCTION", "STATS"])).starts_with("-BUSY"));
    assert!(s(&other.call(&["SHUTDOWN"])).starts_with("-BUSY"));
    assert_eq!(other.call(&["SCRIPT", "KILL"]), b"+OK\r\n");
    let reply = s(&runner.read_reply());
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL... script:"),
        "{reply}"
    );
    // Served normally again, the killed script's client too.
    assert_eq!(other.call(&["PING"]), b"+PONG\r\n");
    assert_eq!(runner.call(&["PING"]), b"+PONG\r\n");
    assert!(srv.log().eventually_contains("Slow script detected"));
}

#[test]
fn pcall_cannot_swallow_script_kill() {
    let srv = Server::with_args(&["--busy-reply-threshold", "50"]);
    let mut runner = srv.connect();
    runner.send_cmd(&[
        "EVAL",
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
        "0",
    ]);
    let mut other = wait_busy(&srv);
    assert_eq!(other.call(&["SCRIPT", "KILL"]), b"+OK\r\n");
    let reply = s(&runner.read_reply());
    assert!(reply.starts_with("-ERR Script killed"), "{reply}");
}

#[test]
fn a_script_that_wrote_is_unkillable_and_shutdown_nosave_works() {
    let mut srv = Server::with_args(&["--busy-reply-threshold", "50", "--appendonly", "yes"]);
    assert_eq!(srv.call(&["SET", "before", "1"]), b"+OK\r\n");
    let mut runner = srv.connect();
    runner.send_cmd(&["EVAL", "redis.call('set', 'k', 'v') while true do end", "0"]);
    let mut other = wait_busy(&srv);
    let r = s(&other.call(&["SCRIPT", "KILL"]));
    assert!(
        r.starts_with("-UNKILLABLE Sorry the script already executed write commands"),
        "{r}"
    );
    other.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while srv.is_running() {
        assert!(
            Instant::now() < deadline,
            "SHUTDOWN NOSAVE did not stop the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The script never finished: none of its effects were persisted, what came before was.
    let mut srv = srv.restart();
    assert_eq!(srv.call(&["GET", "before"]), b"$1\r\n1\r\n");
    assert_eq!(srv.call(&["EXISTS", "k"]), b":0\r\n");
}

#[test]
fn function_kill_stops_a_busy_function() {
    let mut srv = Server::with_args(&["--busy-reply-threshold", "50"]);
    let lib = "#!lua name=spin\nredis.register_function('spin', function() while true do end end)";
    assert_eq!(srv.call(&["FUNCTION", "LOAD", lib]), b"$4\r\nspin\r\n");
    let mut runner = srv.connect();
    runner.send_cmd(&["FCALL", "spin", "0"]);
    let mut other = wait_busy(&srv);
    assert_eq!(
        s(&other.call(&["GET", "x"])),
        "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n"
    );
    let stats = s(&other.call(&["FUNCTION", "STATS"]));
    assert!(
        stats.contains("spin") && stats.contains("duration_ms"),
        "{stats}"
    );
    assert!(s(&other.call(&["SCRIPT", "KILL"])).starts_with("-BUSY"));
    assert_eq!(other.call(&["FUNCTION", "KILL"]), b"+OK\r\n");
    let reply = s(&runner.read_reply());
    assert!(reply.starts_with("-ERR Script killed"), "{reply}");
}

#[test]
fn client_pause_write_holds_scripts_that_may_write() {
    let mut srv = Server::start();
    assert_eq!(srv.call(&["CLIENT", "PAUSE", "400", "WRITE"]), b"+OK\r\n");
    let mut c = srv.connect();
    // Declared read-only: runs at once.
    let t = Instant::now();
    assert_eq!(
        c.call(&[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get', 'k')",
            "0"
        ]),
        b"$-1\r\n"
    );
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    // Without a shebang (may write) and with one that may write: held until the end.
    for script in ["return redis.call('set', 'k', 'v')", "#!lua\nreturn 1"] {
        assert_eq!(srv.call(&["CLIENT", "PAUSE", "400", "WRITE"]), b"+OK\r\n");
        let t = Instant::now();
        let r = c.call(&["EVAL", script, "0"]);
        assert!(r == b"+OK\r\n" || r == b":1\r\n", "{}", s(&r));
        assert!(
            t.elapsed() >= Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
    }
}
