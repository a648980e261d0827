//! Settings that take effect while the server runs, against the real binary: CONFIG SET
//! port and bind move the listeners (existing connections stay; a port or address that
//! cannot be bound leaves the old listeners and answers Redis's error, and the other
//! directives of that CONFIG SET are restored); `shutdown-on-sigint` / `shutdown-on-sigterm`
//! decide what a signal does; and an idle client's query buffer is given back by the
//! client cron.

mod common;

use common::{free_port, RawConn, Server};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

fn s(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

fn ok(c: &mut RawConn, args: &[&str]) {
    assert_eq!(s(&c.call(args)), "+OK\r\n", "{args:?}");
}

fn accepts(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn ping_on(port: u16) -> String {
    let mut c = RawConn::connect(&format!("127.0.0.1:{port}")).expect("connect");
    s(&c.call(&["PING"]))
}

fn info_field(c: &mut RawConn, section: &str, name: &str) -> String {
    let info = s(&c.call(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("INFO has no {name}:\n{info}"))
}

fn config_get(c: &mut RawConn, name: &str) -> String {
    let r = s(&c.call(&["CONFIG", "GET", name]));
    r.lines().nth(4).unwrap_or_default().to_string()
}

const PORT_ERR: &str = "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n";
const BIND_ERR: &str = "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n";

#[test]
fn config_set_port_moves_the_listeners_and_keeps_connections() {
    let srv = Server::start();
    let old = srv.port();
    let mut c = srv.connect();
    let new = free_port();
    ok(&mut c, &["CONFIG", "SET", "port", &new.to_string()]);
    assert_eq!(s(&c.call(&["PING"])), "+PONG\r\n");
    assert_eq!(ping_on(new), "+PONG\r\n");
    assert!(!accepts(old), "the old port still accepts");
    assert_eq!(info_field(&mut c, "server", "tcp_port"), new.to_string());
    assert_eq!(config_get(&mut c, "port"), new.to_string());
}

#[test]
fn config_set_port_that_cannot_be_bound_keeps_the_old_one_and_rolls_back() {
    let srv = Server::start();
    let old = srv.port();
    let mut c = srv.connect();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken_port = taken.local_addr().expect("addr").port().to_string();
    assert_eq!(
        s(&c.call(&["CONFIG", "SET", "port", &taken_port])),
        PORT_ERR
    );
    assert_eq!(ping_on(old), "+PONG\r\n");
    assert_eq!(info_field(&mut c, "server", "tcp_port"), old.to_string());
    // The other directives of the same CONFIG SET are restored, in either order.
    for args in [
        ["CONFIG", "SET", "hz", "20", "port", &taken_port],
        ["CONFIG", "SET", "port", &taken_port, "hz", "20"],
    ] {
        assert_eq!(s(&c.call(&args)), PORT_ERR);
        assert_eq!(config_get(&mut c, "hz"), "10");
    }
    // Each change applies with the other new values (as in Redis): here the bind fails
    // on the new port.
    assert_eq!(
        s(&c.call(&["CONFIG", "SET", "bind", "*", "port", &taken_port])),
        BIND_ERR
    );
    let new = free_port().to_string();
    assert_eq!(
        s(&c.call(&["CONFIG", "SET", "port", &new, "bind", "10.255.255.1"])),
        PORT_ERR
    );
    let ok_bind = "127.0.0.1 -10.255.255.1";
    assert_eq!(
        s(&c.call(&["CONFIG", "SET", "bind", ok_bind, "port", &taken_port])),
        BIND_ERR
    );
    assert_eq!(config_get(&mut c, "bind"), "127.0.0.1 -::1");
    assert_eq!(ping_on(old), "+PONG\r\n");
    assert_eq!(config_get(&mut c, "port"), old.to_string());
    assert_eq!(info_field(&mut c, "server", "tcp_port"), old.to_string());
    assert!(srv.log().eventually_contains(
        "Failed applying new configuration. Possibly related to new port setting. Restoring previous settings."
    ));
    drop(taken);
}

#[test]
fn config_set_port_0_closes_the_listeners() {
    let srv = Server::start();
    let old = srv.port();
    let mut c = srv.connect();
    ok(&mut c, &["CONFIG", "SET", "port", "0"]);
    assert!(!accepts(old));
    assert_eq!(s(&c.call(&["PING"])), "+PONG\r\n");
    assert_eq!(info_field(&mut c, "server", "tcp_port"), "0");
    assert_eq!(config_get(&mut c, "port"), "0");
    // A new bind list has no port to listen on either.
    ok(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1"]);
    assert!(!accepts(old));
    let new = free_port();
    ok(&mut c, &["CONFIG", "SET", "port", &new.to_string()]);
    assert_eq!(ping_on(new), "+PONG\r\n");
}

#[test]
fn config_set_bind_rebinds_or_fails_keeping_the_old_listeners() {
    let srv = Server::start();
    let port = srv.port();
    let mut c = srv.connect();
    assert_eq!(
        s(&c.call(&["CONFIG", "SET", "bind", "10.255.255.1"])),
        BIND_ERR
    );
    assert_eq!(config_get(&mut c, "bind"), "127.0.0.1 -::1");
    assert_eq!(ping_on(port), "+PONG\r\n");
    assert!(srv.log().eventually_contains(
        "Warning: Could not create server TCP listening socket 10.255.255.1:"
    ));
    assert!(srv.log().eventually_contains("Failed to bind"));
    // An optional address that is not there is skipped.
    ok(
        &mut c,
        &["CONFIG", "SET", "bind", "127.0.0.1 -10.255.255.1"],
    );
    assert_eq!(ping_on(port), "+PONG\r\n");
    // The wildcard, then back to a specific address on the same port (which the
    // wildcard socket holds until it closes).
    ok(&mut c, &["CONFIG", "SET", "bind", "*"]);
    assert_eq!(ping_on(port), "+PONG\r\n");
    ok(&mut c, &["CONFIG", "SET", "bind", "127.0.0.1"]);
    assert_eq!(ping_on(port), "+PONG\r\n");
    // Another setting is restored with a failing bind.
    assert_eq!(
        s(&c.call(&["CONFIG", "SET", "maxmemory", "1mb", "bind", "10.255.255.1"])),
        BIND_ERR
    );
    assert_eq!(config_get(&mut c, "maxmemory"), "0");
    assert_eq!(config_get(&mut c, "bind"), "127.0.0.1");
    assert_eq!(s(&c.call(&["PING"])), "+PONG\r\n");
}

#[test]
fn shutdown_on_signal_flags_are_accepted_like_redis() {
    let srv = Server::with_args(&[
        "--shutdown-on-sigint",
        "now force",
        "--shutdown-on-sigterm",
        "nosave",
        "FORCE",
    ]);
    let mut c = srv.connect();
    assert_eq!(config_get(&mut c, "shutdown-on-sigint"), "now force");
    assert_eq!(config_get(&mut c, "shutdown-on-sigterm"), "nosave force");
    ok(
        &mut c,
        &["CONFIG", "SET", "shutdown-on-sigint", "default now"],
    );
    assert_eq!(config_get(&mut c, "shutdown-on-sigint"), "now");
    ok(&mut c, &["CONFIG", "SET", "shutdown-on-sigint", "default"]);
    assert_eq!(config_get(&mut c, "shutdown-on-sigint"), "default");
    assert_eq!(
        s(&c.call(&["CONFIG", "SET", "shutdown-on-sigterm", "save nosave"])),
        "-ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigterm') - shutdown options SAVE and NOSAVE can't be used simultaneously\r\n"
    );
    let e = Server::try_with_args(&["--shutdown-on-sigterm", "save nosave"])
        .err()
        .expect("save nosave refused at start-up");
    assert!(
        e.contains("shutdown options SAVE and NOSAVE can't be used simultaneously"),
        "{e}"
    );
    let e = Server::try_with_args(&["--shutdown-on-sigint", ""])
        .err()
        .expect("an empty value refused at start-up");
    assert!(
        e.contains("argument(s) must be one of the following: default, save, nosave, now, force"),
        "{e}"
    );
}

fn signal(srv: &Server, sig: libc::c_int) {
    let pid = srv.pid().expect("running") as libc::pid_t;
    // SAFETY: kill(2) on our own child process.
    unsafe {
        libc::kill(pid, sig);
    }
}

fn exits_within(srv: &mut Server, d: Duration) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < d {
        if !srv.is_running() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_signal_shuts_down_with_its_directives_flags() {
    let mut srv = Server::start();
    let mut c = srv.connect();
    for k in ["a", "b", "c", "d"] {
        ok(&mut c, &["SET", k, "v"]);
    }
    // The AOF is being turned on and its first rewrite is slow: without FORCE the server
    // cannot exit, as in Redis.
    ok(&mut c, &["CONFIG", "SET", "rdb-key-save-delay", "2000000"]);
    ok(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    assert_eq!(
        s(&c.call(&["SHUTDOWN"])),
        "-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    signal(&srv, libc::SIGTERM);
    assert!(srv
        .log()
        .eventually_contains("Received SIGTERM scheduling shutdown..."));
    assert!(!exits_within(&mut srv, Duration::from_millis(300)));
    assert_eq!(s(&c.call(&["PING"])), "+PONG\r\n");
    assert!(srv
        .log()
        .eventually_contains("Writing initial AOF, can't exit."));
    ok(&mut c, &["CONFIG", "SET", "shutdown-on-sigint", "nosave"]);
    signal(&srv, libc::SIGINT);
    assert!(srv
        .log()
        .eventually_contains("Received SIGINT scheduling shutdown..."));
    assert!(!exits_within(&mut srv, Duration::from_millis(300)));
    ok(
        &mut c,
        &["CONFIG", "SET", "shutdown-on-sigterm", "nosave force"],
    );
    signal(&srv, libc::SIGTERM);
    assert!(exits_within(&mut srv, Duration::from_secs(10)));
    assert!(srv
        .log()
        .eventually_contains("Writing initial AOF. Exit anyway."));
}

#[test]
fn a_second_sigint_while_the_shutdown_waits_exits_at_once() {
    let mut srv = Server::with_args(&["--busy-reply-threshold", "50"]);
    let mut c = srv.connect();
    c.send_cmd(&["EVAL", "while true do end", "0"]);
    thread::sleep(Duration::from_millis(200));
    signal(&srv, libc::SIGINT);
    assert!(srv
        .log()
        .eventually_contains("Received SIGINT scheduling shutdown..."));
    assert!(srv.is_running());
    signal(&srv, libc::SIGINT);
    assert!(exits_within(&mut srv, Duration::from_secs(10)));
    assert!(srv.log().eventually_contains("You insist... exiting now."));
}

fn qbuf(c: &mut RawConn, name: &str) -> (u64, u64) {
    let list = s(&c.call(&["CLIENT", "LIST"]));
    let line = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("no client {name} in {list}"))
        .to_string();
    let field = |f: &str| -> u64 {
        line.split(' ')
            .find_map(|x| x.strip_prefix(&format!("{f}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {f} in {line}"))
    };
    (field("qbuf"), field("qbuf-free"))
}

#[test]
fn an_idle_clients_query_buffer_is_given_back() {
    let srv = Server::start();
    let mut obs = srv.connect();
    let mut a = srv.connect();
    ok(&mut a, &["CLIENT", "SETNAME", "a"]);
    let (_, free) = qbuf(&mut obs, "a");
    assert!(free > 4096, "a fresh read buffer: {free}");
    // One large request, then the start of another: the large buffer is cut down to
    // what the client recently needed at the next cron ticks.
    let big = "x".repeat(1 << 20);
    let mut bytes = common::encode(&["SET", "k", big.as_str()]);
    bytes.extend_from_slice(b"*1\r\n$4\r\nPI");
    a.send(&bytes);
    assert_eq!(s(&a.read_reply()), "+OK\r\n");
    let t0 = Instant::now();
    loop {
        let (q, free) = qbuf(&mut obs, "a");
        if q == 10 && free < 4096 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "qbuf={q} qbuf-free={free}"
        );
        thread::sleep(Duration::from_millis(50));
    }
    a.send(b"NG\r\n");
    assert_eq!(s(&a.read_reply()), "+PONG\r\n");
    // Idle for more than 2 seconds: nothing is kept.
    thread::sleep(Duration::from_millis(3200));
    assert_eq!(qbuf(&mut obs, "a"), (0, 0));
    // A large request still arriving is kept while the client idles with its part.
    let bytes = common::encode(&["SET", "k", big.as_str()]);
    let (head, tail) = bytes.split_at(300_000);
    a.send(head);
    thread::sleep(Duration::from_millis(3200));
    let (q, free) = qbuf(&mut obs, "a");
    assert_eq!((q, free), (300_000, 0));
    a.send(tail);
    assert_eq!(s(&a.read_reply()), "+OK\r\n");
    assert_eq!(s(&a.call(&["STRLEN", "k"])), ":1048576\r\n");
}
