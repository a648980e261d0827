//! The Lua debugger against the real binary: SCRIPT DEBUG SYNC and YES sessions driven over
//! a raw socket (the transcripts are redis-server 7.0.15's, byte for byte), forked
//! sessions rolled back while the server keeps serving, bad input, and `redis-cli --ldb`.

mod common;

use common::{RawConn, Server};
use std::io::Write;
use std::time::{Duration, Instant};

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A connection with a debugging session open on `script` (stopped at its first line).
fn session(srv: &Server, mode: &str, script: &str, keys: &[&str], args: &[&str]) -> RawConn {
    let mut c = srv.connect();
    assert_eq!(c.call(&["SCRIPT", "DEBUG", mode]), b"+OK\r\n");
    let nkeys = keys.len().to_string();
    let mut cmd = vec!["EVAL", script, nkeys.as_str()];
    cmd.extend_from_slice(keys);
    cmd.extend_from_slice(args);
    c.send_cmd(&cmd);
    c
}

/// Sends a debugger command and returns what comes back (one array of log lines).
fn dbg(c: &mut RawConn, cmd: &[&str]) -> String {
    s(&c.call(cmd))
}

fn lines(v: &[&str]) -> String {
    let mut out = format!("*{}\r\n", v.len());
    for l in v {
        out.push('+');
        out.push_str(l);
        out.push_str("\r\n");
    }
    out
}

/// Whether the peer closed the connection (within a second).
fn closed(c: &mut RawConn) -> bool {
    c.try_read_reply().is_err()
}

const SCRIPT: &str = "local a = 1\nlocal b = {1,2,'x',{y=3}}\nredis.call('set','k','v')\nredis.debug('hi', a, b)\nredis.breakpoint()\nlocal c = redis.call('get','k')\nreturn c\n";

#[test]
fn sync_session_steps_prints_lists_and_breaks_like_redis() {
    let srv = Server::start();
    let mut c = session(&srv, "SYNC", SCRIPT, &["k1"], &["a1"]);
    assert_eq!(
        s(&c.read_reply()),
        lines(&[
            "* Stopped at 1, stop reason = step over",
            "-> 1   local a = 1"
        ])
    );
    dbg(&mut c, &["s"]);
    assert_eq!(
        dbg(&mut c, &["s"]),
        lines(&[
            "* Stopped at 3, stop reason = step over",
            "-> 3   redis.call('set','k','v')"
        ])
    );
    assert_eq!(
        dbg(&mut c, &["p"]),
        lines(&["<value> a = 1", "<value> b = {1; 2; \"x\"; {[\"y\"]=3}}"])
    );
    assert_eq!(dbg(&mut c, &["p", "KEYS"]), lines(&["<value> {\"k1\"}"]));
    assert_eq!(dbg(&mut c, &["p", "zz"]), lines(&["No such variable."]));
    assert_eq!(
        dbg(&mut c, &["l", "2", "1"]),
        lines(&[
            "   1   local a = 1",
            "   2   local b = {1,2,'x',{y=3}}",
            "-> 3   redis.call('set','k','v')"
        ])
    );
    assert_eq!(
        dbg(&mut c, &["b", "6"]),
        lines(&[
            "   5   redis.breakpoint()",
            "  #6   local c = redis.call('get','k')",
            "   7   return c"
        ])
    );
    assert_eq!(
        dbg(&mut c, &["b"]),
        lines(&[
            "1 breakpoints set:",
            "  #6   local c = redis.call('get','k')"
        ])
    );
    assert_eq!(dbg(&mut c, &["b", "-6"]), lines(&["Breakpoint removed."]));
    assert_eq!(dbg(&mut c, &["b", "x"]), lines(&["Invalid argument:'x'"]));
    assert_eq!(
        dbg(&mut c, &["t"]),
        lines(&["In top level:", "-> 3   redis.call('set','k','v')"])
    );
    assert_eq!(
        dbg(&mut c, &["e", "a+1"]),
        lines(&["<error> ldb_eval:1: Script attempted to access nonexistent global variable 'a'"])
    );
    assert_eq!(
        dbg(&mut c, &["e", "{1,'a',true,nil,false}"]),
        lines(&["<retval> {[1]=1; [2]=\"a\"; [3]=true; [5]=false}"])
    );
    assert_eq!(
        dbg(&mut c, &["r", "get", "k"]),
        lines(&["<redis> get k", "<reply> NULL"])
    );
    assert_eq!(
        dbg(
            &mut c,
            &["r", "set", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"]
        ),
        lines(&[
            "<redis> set a b c d e f g h i ... (3 more)",
            "<error> -ERR syntax error",
            "<reply> \"-ERR syntax error\""
        ])
    );
    assert_eq!(
        dbg(&mut c, &["m"]),
        lines(&["<value> replies are truncated at 256 bytes."])
    );
    assert_eq!(
        dbg(&mut c, &["m", "10"]),
        lines(&["<value> replies are truncated at 60 bytes."])
    );
    assert_eq!(
        dbg(&mut c, &["e", "string.rep('a',100)"]),
        lines(&["<retval> \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ..."])
    );
    assert_eq!(
        dbg(&mut c, &["m", "0"]),
        lines(&["<value> replies are unlimited."])
    );
    assert!(dbg(&mut c, &["h"]).starts_with("*30\r\n+Redis Lua debugger help:\r\n"));
    assert_eq!(
        dbg(&mut c, &["bogus"]),
        lines(&["<error> Unknown Redis Lua debugger command or wrong number of arguments."])
    );
    assert_eq!(
        dbg(&mut c, &["s"]),
        lines(&[
            "<redis> set k v",
            "<reply> \"+OK\"",
            "* Stopped at 4, stop reason = step over",
            "-> 4   redis.debug('hi', a, b)"
        ])
    );
    assert_eq!(
        dbg(&mut c, &["s"]),
        lines(&[
            "<debug> line 4: \"hi\", 1, {1; 2; \"x\"; {[\"y\"]=3}}",
            "* Stopped at 5, stop reason = step over",
            "-> 5   redis.breakpoint()"
        ])
    );
    assert_eq!(
        dbg(&mut c, &["c"]),
        lines(&[
            "* Stopped at 6, stop reason = redis.breakpoint() called",
            "-> 6   local c = redis.call('get','k')"
        ])
    );
    assert_eq!(dbg(&mut c, &["c"]), lines(&["<endsession>"]));
    assert_eq!(c.read_reply(), b"$1\r\nv\r\n");
    // As in Redis, the connection is closed after the reply; the changes are kept.
    assert!(closed(&mut c));
    let mut other = srv.connect();
    assert_eq!(other.call(&["GET", "k"]), b"$1\r\nv\r\n");
    assert!(srv
        .log()
        .contains("Redis synchronous debugging eval session started"));
    assert!(srv
        .log()
        .eventually_contains("Redis synchronous debugging eval session ended"));
}

#[test]
fn abort_and_protocol_errors_end_the_script_with_redis_errors() {
    let srv = Server::start();
    let script = "redis.call('set','x','1')\nreturn redis.call('get','x')\n";
    let mut c = session(&srv, "SYNC", script, &[], &[]);
    c.read_reply();
    assert_eq!(dbg(&mut c, &["a"]), lines(&["<endsession>"]));
    assert_eq!(
        s(&c.read_reply()),
        "-ERR script aborted for user request script: 890cd67ff94848f734b231d0cc577a858c727c8d, on @user_script:1.\r\n"
    );
    assert!(closed(&mut c));

    let mut c = session(&srv, "SYNC", "return 1", &[], &[]);
    c.read_reply();
    c.send(b"garbage\r\n");
    assert_eq!(s(&c.read_reply()), lines(&["<endsession>"]));
    assert_eq!(
        s(&c.read_reply()),
        "-ERR protocol error script: e0e1f9fabfc9d4800c877a703b823ac0578ff8db, on @user_script:1.\r\n"
    );

    // Checks made after the session started end it at once.
    let mut c = srv.connect();
    assert_eq!(c.call(&["SCRIPT", "DEBUG", "SYNC"]), b"+OK\r\n");
    c.send_cmd(&["EVAL", "return 1", "x"]);
    assert_eq!(s(&c.read_reply()), lines(&["<endsession>"]));
    assert_eq!(
        s(&c.read_reply()),
        "-ERR value is not an integer or out of range\r\n"
    );

    // A debugger client that goes away lets the script run to its end.
    let mut c = session(
        &srv,
        "SYNC",
        "redis.call('set','gone','1')\nreturn 1",
        &[],
        &[],
    );
    c.read_reply();
    drop(c);
    let mut other = srv.connect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while other.call(&["GET", "gone"]) != b"$1\r\n1\r\n" {
        assert!(Instant::now() < deadline, "the script did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn script_debug_errors_are_redis_texts() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.send(b"MULTI\r\nSCRIPT DEBUG YES\r\nEXEC\r\n");
    assert_eq!(
        c.read_replies(3).concat(),
        b"+OK\r\n+QUEUED\r\n*1\r\n-ERR SCRIPT DEBUG must be called outside a pipeline\r\n"
    );
    assert_eq!(
        c.call(&["SCRIPT", "DEBUG", "maybe"]),
        b"-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n"
    );
    assert_eq!(
        c.call(&["SCRIPT", "DEBUG"]),
        b"-ERR wrong number of arguments for 'script|debug' command\r\n"
    );
    assert_eq!(c.call(&["SCRIPT", "DEBUG", "SYNC"]), b"+OK\r\n");
    assert_eq!(
        c.call(&["EVALSHA", "0123456789012345678901234567890123456789", "0"]),
        b"-ERR Please use EVAL instead of EVALSHA for debugging\r\n"
    );
    assert_eq!(
        c.call(&["EVALSHA", "01", "0"]),
        b"-NOSCRIPT No matching script. Please use EVAL.\r\n"
    );
    assert_eq!(c.call(&["SCRIPT", "DEBUG", "NO"]), b"+OK\r\n");
    // Outside a session: breakpoint answers false, debug logs nothing.
    assert_eq!(
        c.call(&["EVAL", "return {redis.breakpoint(), redis.debug('x')}", "0"]),
        b"*1\r\n$-1\r\n"
    );
    // FUNCTION's `redis` has none of EVAL's debugging helpers (as Redis 7.0).
    let lib = "#!lua name=lib\nredis.register_function('f1', function() return type(redis.breakpoint) end)\nredis.register_function('f2', function() return type(redis.debug)..type(redis.replicate_commands) end)";
    assert_eq!(c.call(&["FUNCTION", "LOAD", lib]), b"$3\r\nlib\r\n");
    assert_eq!(c.call(&["FCALL", "f1", "0"]), b"$3\r\nnil\r\n");
    assert_eq!(c.call(&["FCALL", "f2", "0"]), b"$6\r\nnilnil\r\n");
}

#[test]
fn forked_session_is_rolled_back_while_the_server_serves_others() {
    let srv = Server::start();
    let mut c = session(
        &srv,
        "YES",
        "redis.call('set','fk','1')\nreturn redis.call('get','fk')\n",
        &[],
        &[],
    );
    assert_eq!(
        s(&c.read_reply()),
        lines(&[
            "* Stopped at 1, stop reason = step over",
            "-> 1   redis.call('set','fk','1')"
        ])
    );
    assert_eq!(
        dbg(&mut c, &["s"]),
        lines(&[
            "<redis> set fk 1",
            "<reply> \"+OK\"",
            "* Stopped at 2, stop reason = step over",
            "-> 2   return redis.call('get','fk')"
        ])
    );
    // The session is stopped in the child: the server answers everyone meanwhile.
    let mut other = srv.connect();
    assert_eq!(other.call(&["PING"]), b"+PONG\r\n");
    assert_eq!(other.call(&["SET", "parent", "1"]), b"+OK\r\n");
    assert_eq!(other.call(&["GET", "fk"]), b"$-1\r\n");
    assert_eq!(
        dbg(&mut c, &["c"]),
        // Not stepping: the commands are not logged.
        lines(&["<endsession>"])
    );
    assert_eq!(c.read_reply(), b"$1\r\n1\r\n");
    assert!(closed(&mut c));
    // What the session wrote died with the child.
    assert_eq!(other.call(&["GET", "fk"]), b"$-1\r\n");
    assert!(srv
        .log()
        .eventually_contains("Redis forked for debugging eval"));
    assert!(srv
        .log()
        .eventually_contains("Lua debugging session child exiting"));
}

#[test]
fn shutdown_kills_open_forked_sessions() {
    let mut srv = Server::start();
    let mut c = session(&srv, "YES", "return 1", &[], &[]);
    c.read_reply();
    let mut other = srv.connect();
    other.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while srv.is_running() {
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(srv.log().eventually_contains("Killing debugging session"));
    // The child is gone too: its socket is closed.
    assert!(closed(&mut c));
}

#[test]
fn redis_cli_ldb_sync_mode() {
    let Some(cli) = ["/usr/bin/redis-cli", "/usr/local/bin/redis-cli"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        common::loud("redis_cli_ldb_sync_mode SKIPPED: redis-cli is not installed");
        return;
    };
    let srv = Server::start();
    let file = srv.dir().join("f.lua");
    std::fs::write(
        &file,
        "local v = ARGV[1]\nredis.call('set', KEYS[1], v)\nredis.debug('set', v)\nreturn redis.call('get', KEYS[1])\n",
    )
    .expect("write the script");
    let port = srv.port().to_string();
    let mut child = std::process::Command::new(cli)
        .args(["-p", &port, "--no-raw", "--ldb-sync-mode", "--eval"])
        .arg(&file)
        .args(["mykey", ",", "hello"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run redis-cli");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"s\np v\nr get mykey\nc\n")
        .expect("feed redis-cli");
    let out = child.wait_with_output().expect("redis-cli output");
    let text = s(&out.stdout);
    for needle in [
        "Lua debugging session started",
        "* Stopped at 1, stop reason = step over",
        "-> 2   redis.call('set', KEYS[1], v)",
        "<value> \"hello\"",
        "<redis> get mykey",
        "<reply> NULL",
        "<debug> line 3: \"set\", \"hello\"",
        "\"hello\"",
        "(Lua debugging session ended)",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
    let mut c = srv.connect();
    assert_eq!(c.call(&["GET", "mykey"]), b"$5\r\nhello\r\n");
}
