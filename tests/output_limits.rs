//! client-output-buffer-limit against the real binary, with clients that never read:
//! the hard limit closes a normal client at the command that goes over it (nothing of its
//! pipeline after that runs, nothing of its output is written), a transaction runs whole
//! first, the soft limit closes a client once it has been over for its seconds even when
//! nothing else happens, Pub/Sub clients have their own class, and CLIENT LIST / INFO show
//! what the buffers hold.

mod common;

use common::Server;
use redis::Connection;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn client_line(con: &mut Connection, name: &str) -> Option<String> {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(con)
        .expect("CLIENT LIST");
    list.lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .map(String::from)
}

fn field(line: &str, name: &str) -> u64 {
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

fn info_field(con: &mut Connection, name: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg("clients").query(con).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO has no {name}:\n{info}"))
}

/// A raw connection named `name` (its CLIENT SETNAME reply read), that then never reads.
fn named(server: &Server, name: &str) -> TcpStream {
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("CLIENT SETNAME {name}\r\n").as_bytes())
        .unwrap();
    let mut ok = [0u8; 5];
    s.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"+OK\r\n");
    s
}

/// Everything the server sends until it closes the connection.
fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("the server closes the connection");
    out
}

fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn limit(con: &mut Connection, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("client-output-buffer-limit")
        .arg(value)
        .query(con)
        .expect("CONFIG SET");
}

#[test]
fn hard_limit_closes_a_normal_client_without_a_byte_written() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    limit(&mut con, "normal 100000 0 0");
    let items = vec![vec![b'x'; 1000]; 150];
    let _: () = redis::cmd("RPUSH")
        .arg("l")
        .arg(items)
        .query(&mut con)
        .unwrap();

    let mut victim = named(&server, "victim");
    victim.write_all(&b"LRANGE l 0 -1\r\n".repeat(3)).unwrap();
    assert_eq!(read_to_close(&mut victim), b"");
    assert_eq!(client_line(&mut con, "victim"), None);
    assert!(server
        .log()
        .eventually_contains("scheduled to be closed ASAP for overcoming of output buffer limits"));

    // Under the limit, the same reply is delivered.
    limit(&mut con, "normal 200000 0 0");
    let mut ok = named(&server, "reader");
    ok.write_all(b"LRANGE l 0 -1\r\n").unwrap();
    let mut reply = vec![0u8; 6 + 150 * (7 + 1000 + 2)];
    ok.read_exact(&mut reply).unwrap();
    assert!(reply.starts_with(b"*150\r\n$1000\r\nxxx"));
    assert!(client_line(&mut con, "reader").is_some());
}

#[test]
fn a_pipeline_stops_at_the_command_that_went_over() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    limit(&mut con, "normal 100000 0 0");
    let _: () = redis::cmd("SET")
        .arg("bigkey")
        .arg(vec![b'y'; 200_000])
        .query(&mut con)
        .unwrap();

    let mut victim = named(&server, "victim");
    victim
        .write_all(&b"SET x 1\r\nGET bigkey\r\nDEL x\r\nGET x\r\n".repeat(15))
        .unwrap();
    assert_eq!(read_to_close(&mut victim), b"");
    // SET ran, the DEL after the GET that went over did not.
    let x: Option<String> = redis::cmd("GET").arg("x").query(&mut con).unwrap();
    assert_eq!(x.as_deref(), Some("1"));
}

#[test]
fn a_transaction_runs_whole_before_its_client_is_closed() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    limit(&mut con, "normal 100000 0 0");
    let _: () = redis::cmd("SET")
        .arg("bigkey")
        .arg(vec![b'y'; 200_000])
        .query(&mut con)
        .unwrap();

    let mut victim = named(&server, "victim");
    victim
        .write_all(
            b"MULTI\r\nSET k v\r\nGET bigkey\r\nDEL k\r\nSET after 1\r\nEXEC\r\nSET never 1\r\n",
        )
        .unwrap();
    let got = read_to_close(&mut victim);
    assert!(
        got.len() < 100,
        "no large reply is written: {} bytes",
        got.len()
    );
    let exists: u64 = redis::cmd("EXISTS")
        .arg("k")
        .arg("after")
        .arg("never")
        .query(&mut con)
        .unwrap();
    assert_eq!(
        exists, 1,
        "the transaction ran whole (k deleted, after set), nothing after it"
    );
    let after: Option<String> = redis::cmd("GET").arg("after").query(&mut con).unwrap();
    assert_eq!(after.as_deref(), Some("1"));
}

#[test]
fn soft_limit_closes_an_idle_client_after_its_seconds() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    // Far above what the sockets can take, so that the reply stays queued.
    limit(&mut con, "normal 0 4mb 2");
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(vec![b'z'; 1 << 20])
        .query(&mut con)
        .unwrap();

    let mut victim = named(&server, "victim");
    victim.write_all(&b"GET big\r\n".repeat(30)).unwrap();
    // Over the soft limit but not yet for 2 seconds: still there, with its output
    // reported.
    let line = client_line(&mut con, "victim").expect("kept until the soft limit runs out");
    assert!(field(&line, "omem") >= 4 << 20, "{line}");
    // Then closed by the server's own timer: the client sends nothing more.
    assert!(eventually(|| client_line(&mut con, "victim").is_none()));
    assert!(server
        .log()
        .eventually_contains("overcoming of output buffer limits"));
}

#[test]
fn pubsub_clients_have_their_own_class() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    limit(&mut con, "normal 0 0 0 pubsub 100000 0 0");
    let mut sub = named(&server, "sub");
    sub.write_all(b"SUBSCRIBE ch\r\n").unwrap();
    let mut confirm = [0u8; 31];
    sub.read_exact(&mut confirm).unwrap();
    assert!(confirm.starts_with(b"*3\r\n$9\r\nsubscribe"));

    let payload = vec![b'm'; 1000];
    let mut sent = 0;
    while client_line(&mut con, "sub").is_some() {
        // Enough to go past the limit even once the socket buffers are full.
        assert!(sent < 20_000, "the subscriber was never dropped");
        for _ in 0..200 {
            let _: u64 = redis::cmd("PUBLISH")
                .arg("ch")
                .arg(&payload)
                .query(&mut con)
                .unwrap();
            sent += 1;
        }
    }
    assert!(server
        .log()
        .eventually_contains("overcoming of output buffer limits"));
    // A normal client with the same backlog is not limited (its class has no limit).
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(vec![b'z'; 1 << 20])
        .query(&mut con)
        .unwrap();
    let mut reader = named(&server, "normal");
    reader.write_all(&b"GET big\r\n".repeat(10)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(client_line(&mut con, "normal").is_some());
}

#[test]
fn buffers_are_reported_in_client_list_and_info() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(vec![b'z'; 1 << 20])
        .query(&mut con)
        .unwrap();
    let mut victim = named(&server, "victim");
    victim.write_all(&b"GET big\r\n".repeat(20)).unwrap();
    let mut line = String::new();
    assert!(eventually(|| {
        line = client_line(&mut con, "victim").expect("no limit: kept");
        field(&line, "omem") > 8 << 20
    }));
    assert_eq!(field(&line, "obl"), 16384, "{line}");
    assert!(field(&line, "oll") >= (8 << 20) / 16384, "{line}");
    assert!(field(&line, "tot-mem") > field(&line, "omem"), "{line}");
    assert!(eventually(|| info_field(
        &mut con,
        "client_recent_max_output_buffer"
    ) > 8 << 20));
    // A large request shows in the input peak.
    let _: () = redis::cmd("SET")
        .arg("in")
        .arg(vec![b'i'; 3 << 20])
        .query(&mut con)
        .unwrap();
    assert!(eventually(|| info_field(
        &mut con,
        "client_recent_max_input_buffer"
    ) >= 3 << 20));
}

#[test]
fn replies_of_a_size_the_client_chose_stop_at_the_limit() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    limit(&mut con, "normal 1mb 0 0");
    let _: () = redis::cmd("SADD")
        .arg("s")
        .arg("a")
        .arg("b")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg("h")
        .arg("a")
        .arg("1")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("ZADD")
        .arg("z")
        .arg("1")
        .arg("a")
        .query(&mut con)
        .unwrap();
    for cmd in [
        "SRANDMEMBER s -4611686018427387903",
        "HRANDFIELD h -4611686018427387903",
        "HRANDFIELD h -2305843009213693951 WITHVALUES",
        "ZRANDMEMBER z -4611686018427387903",
        "ZRANDMEMBER z -2305843009213693951 WITHSCORES",
    ] {
        let mut victim = named(&server, "victim");
        victim.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        assert_eq!(read_to_close(&mut victim), b"", "{cmd}");
        let pong: String = redis::cmd("PING").query(&mut con).unwrap();
        assert_eq!(pong, "PONG");
    }
    let rss = std::fs::read_to_string(format!("/proc/{}/statm", server.pid().unwrap())).unwrap();
    let pages: u64 = rss.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        pages * 4096 < 256 << 20,
        "resident {} MB",
        (pages * 4096) >> 20
    );
}

#[test]
fn maxmemory_clients_evicts_the_largest_clients_first() {
    let server = Server::with_args(&["--save", ""]);
    let mut con = server.redis_conn();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(vec![b'z'; 1 << 20])
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("NO-EVICT")
        .arg("on")
        .query(&mut con)
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-clients")
        .arg("2mb")
        .query(&mut con)
        .unwrap();
    let alive = |con: &mut Connection, name: &str| client_line(con, name).is_some();
    let mut small = named(&server, "small");
    // A large request being received, then a large reply not being read.
    let mut qbuf = named(&server, "qbuf");
    qbuf.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n")
        .unwrap();
    qbuf.write_all(&vec![b'x'; 1_000_000]).unwrap();
    assert!(eventually(|| !alive(&mut con, "qbuf")));
    let mut obuf = named(&server, "obuf");
    obuf.write_all(&b"GET big\r\n".repeat(8)).unwrap();
    assert!(eventually(|| !alive(&mut con, "obuf")));
    small.write_all(b"PING\r\n").unwrap();
    let mut pong = [0u8; 7];
    small.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"+PONG\r\n", "a small client is left alone");
    let info: String = redis::cmd("INFO").arg("stats").query(&mut con).unwrap();
    assert!(info.contains("evicted_clients:2\r\n"), "{info}");
    assert!(server.log().eventually_contains("Evicting client: id="));
    // A client with NO-EVICT is kept however large.
    let mut kept = named(&server, "kept");
    kept.write_all(b"CLIENT NO-EVICT on\r\n").unwrap();
    let mut ok = [0u8; 5];
    kept.read_exact(&mut ok).unwrap();
    kept.write_all(&b"GET big\r\n".repeat(8)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(alive(&mut con, "kept"));
}
