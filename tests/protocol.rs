//! Wire-protocol tests over real sockets: frames split at every offset, deep pipelines,
//! inline commands and their quoting, protocol errors (exact text, then the connection is
//! closed), unknown-command and arity texts, and isolation between clients.
//!
//! Expected bytes were taken from redis-server 7.0. Splitting is made deterministic with a
//! barrier instead of sleeps: after the first piece of a frame is written on connection A,
//! a PING round trip on connection B guarantees the server has already read (and parsed
//! as far as it could) that piece, because the server handles every readable socket of a
//! poll iteration before it writes any reply, and A's bytes were queued before B's.

mod common;

use common::{
    assert_bytes_eq, encode, escape, has_command, has_commands, loud_banner, RawConn, Server,
};

/// A round trip on another connection: the server has consumed what was sent before.
fn barrier(other: &mut RawConn) {
    assert_bytes_eq(&other.call(&["PING"]), b"+PONG\r\n", "barrier PING");
}

/// A frame (or several) and the replies it must produce, in order.
struct Sample {
    name: &'static str,
    bytes: Vec<u8>,
    replies: Vec<Vec<u8>>,
}

fn sample(name: &'static str, bytes: &[u8], replies: &[&[u8]]) -> Sample {
    Sample {
        name,
        bytes: bytes.to_vec(),
        replies: replies.iter().map(|r| r.to_vec()).collect(),
    }
}

fn samples() -> Vec<Sample> {
    vec![
        sample("multibulk PING", b"*1\r\n$4\r\nPING\r\n", &[b"+PONG\r\n"]),
        sample(
            "multibulk ECHO",
            b"*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n",
            &[b"$11\r\nhello world\r\n"],
        ),
        sample(
            "multibulk empty argument",
            b"*2\r\n$4\r\necho\r\n$0\r\n\r\n",
            &[b"$0\r\n\r\n"],
        ),
        sample(
            "binary argument with CRLF inside",
            b"*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\x00\xffb\r\n",
            &[b"$6\r\na\r\n\x00\xffb\r\n"],
        ),
        sample("inline PING", b"PING\r\n", &[b"+PONG\r\n"]),
        sample("inline with LF only", b"PING\n", &[b"+PONG\r\n"]),
        sample(
            "inline with quoting",
            b"PING \"hello \\x41\\n\"\r\n",
            &[b"$8\r\nhello A\n\r\n"],
        ),
        sample(
            "inline single quotes",
            b"ECHO 'a b'\r\n",
            &[b"$3\r\na b\r\n"],
        ),
        sample(
            "empty frames skipped",
            b"\r\n*0\r\n*-1\r\nPING\r\n",
            &[b"+PONG\r\n"],
        ),
        sample(
            "pipeline of mixed frames",
            b"*1\r\n$4\r\nPING\r\nECHO x\r\n*2\r\n$4\r\nECHO\r\n$2\r\nyz\r\nPING\r\n",
            &[b"+PONG\r\n", b"$1\r\nx\r\n", b"$2\r\nyz\r\n", b"+PONG\r\n"],
        ),
    ]
}

/// A sentinel sent after each sample: any stray reply would show up before its reply.
const SENTINEL: &[u8] = b"*2\r\n$4\r\nECHO\r\n$3\r\nEND\r\n";
const SENTINEL_REPLY: &[u8] = b"$3\r\nEND\r\n";

fn check_replies(a: &mut RawConn, s: &Sample, how: &str) {
    for (i, want) in s.replies.iter().enumerate() {
        let got = a.read_reply();
        assert_bytes_eq(
            &got,
            want,
            &format!("{} ({how}): reply {i} to \"{}\"", s.name, escape(&s.bytes)),
        );
    }
    let got = a.read_reply();
    assert_bytes_eq(
        &got,
        SENTINEL_REPLY,
        &format!("{} ({how}): unexpected extra reply", s.name),
    );
}

#[test]
fn every_split_offset() {
    let srv = Server::start();
    let mut a = srv.connect();
    let mut b = srv.connect();
    for s in samples() {
        // Whole.
        let mut whole = s.bytes.clone();
        whole.extend_from_slice(SENTINEL);
        a.send(&whole);
        check_replies(&mut a, &s, "whole");
        // Two pieces, at every offset.
        for cut in 1..s.bytes.len() {
            a.send(&s.bytes[..cut]);
            barrier(&mut b);
            let mut rest = s.bytes[cut..].to_vec();
            rest.extend_from_slice(SENTINEL);
            a.send(&rest);
            check_replies(&mut a, &s, &format!("split at {cut}"));
        }
        // One byte at a time.
        for byte in &s.bytes {
            a.send(std::slice::from_ref(byte));
            barrier(&mut b);
        }
        a.send(SENTINEL);
        check_replies(&mut a, &s, "byte by byte");
    }
}

#[test]
fn every_pair_of_split_offsets() {
    let srv = Server::start();
    let mut a = srv.connect();
    let mut b = srv.connect();
    for s in samples().into_iter().filter(|s| s.bytes.len() <= 40) {
        let n = s.bytes.len();
        for i in 1..n {
            for j in i + 1..n {
                a.send(&s.bytes[..i]);
                barrier(&mut b);
                a.send(&s.bytes[i..j]);
                barrier(&mut b);
                let mut rest = s.bytes[j..].to_vec();
                rest.extend_from_slice(SENTINEL);
                a.send(&rest);
                check_replies(&mut a, &s, &format!("split at {i} and {j}"));
            }
        }
    }
}

#[test]
fn large_bulk_split_across_reads() {
    let srv = Server::start();
    let mut a = srv.connect();
    let mut b = srv.connect();
    // Past Redis's 32 KiB "big argument" threshold and past one 16 KiB read.
    for size in [16 * 1024 - 1, 32 * 1024, 100_000, 1024 * 1024] {
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let frame = encode(&[&b"ECHO"[..], &payload]);
        let mut want = format!("${size}\r\n").into_bytes();
        want.extend_from_slice(&payload);
        want.extend_from_slice(b"\r\n");
        let cuts = [
            1,
            10,
            frame.len() / 3,
            frame.len() / 2,
            frame.len() - 3,
            frame.len() - 2,
            frame.len() - 1,
        ];
        for cut in cuts {
            a.send(&frame[..cut]);
            barrier(&mut b);
            a.send(&frame[cut..]);
            let got = a.read_reply();
            if got != want {
                panic!(
                    "ECHO of {size} bytes split at {cut}: reply of {} bytes differs (starts \"{}\")",
                    got.len(),
                    escape(&got[..got.len().min(64)])
                );
            }
        }
    }
}

#[test]
fn ten_thousand_pings_in_one_write() {
    let srv = Server::start();
    let mut a = srv.connect();
    let mut buf = Vec::new();
    for i in 0..10_000 {
        if i % 2 == 0 {
            buf.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        } else {
            buf.extend_from_slice(b"PING\r\n");
        }
    }
    // Written from another thread so the replies can be read while the write proceeds.
    let mut writer = a.stream().try_clone().expect("clone socket");
    let t = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(&buf)
    });
    for i in 0..10_000 {
        let r = a.read_reply();
        assert_bytes_eq(&r, b"+PONG\r\n", &format!("reply {i} of 10000"));
    }
    t.join().expect("writer thread").expect("write");
    assert_bytes_eq(&a.call(&["ECHO", "done"]), b"$4\r\ndone\r\n", "after");
}

#[test]
fn ten_thousand_sets_and_gets_in_one_write() {
    let srv = Server::start();
    let mut a = srv.connect();
    let probes: &[&[&str]] = &[
        &["SET", "probe", "1"],
        &["GET", "probe"],
        &["DEL", "probe"],
        &["DBSIZE"],
    ];
    if !has_commands(&mut a, probes, "ten_thousand_sets_and_gets_in_one_write") {
        return;
    }
    let mut buf = Vec::new();
    for i in 0..10_000 {
        buf.extend_from_slice(&encode(&[
            "SET",
            &format!("key:{i}"),
            &format!("value:{i}"),
        ]));
    }
    for i in 0..10_000 {
        buf.extend_from_slice(&encode(&["GET", &format!("key:{i}")]));
    }
    let mut writer = a.stream().try_clone().expect("clone socket");
    let t = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(&buf)
    });
    for i in 0..10_000 {
        assert_bytes_eq(&a.read_reply(), b"+OK\r\n", &format!("SET reply {i}"));
    }
    for i in 0..10_000 {
        let v = format!("value:{i}");
        let want = format!("${}\r\n{v}\r\n", v.len());
        assert_bytes_eq(&a.read_reply(), want.as_bytes(), &format!("GET reply {i}"));
    }
    t.join().expect("writer thread").expect("write");
    assert_bytes_eq(&a.call(&["DBSIZE"]), b":10000\r\n", "DBSIZE");
}

#[test]
fn inline_commands_and_quoting() {
    let srv = Server::start();
    let mut a = srv.connect();
    let cases: &[(&[u8], &[u8])] = &[
        (b"PING\r\n", b"+PONG\r\n"),
        (b"ping\r\n", b"+PONG\r\n"),
        (b"PING\n", b"+PONG\r\n"),
        (b"   PING   \r\n", b"+PONG\r\n"),
        (b"ECHO  a   \r\n", b"$1\r\na\r\n"),
        (b"ECHO \"hello world\"\r\n", b"$11\r\nhello world\r\n"),
        (b"ECHO 'a b'\r\n", b"$3\r\na b\r\n"),
        (b"ECHO \"\\x41\\n\"\r\n", b"$2\r\nA\n\r\n"),
        (b"ECHO \"\\xzz\"\r\n", b"$3\r\nxzz\r\n"),
        (b"ECHO \"a\\tb\\\"c\"\r\n", b"$5\r\na\tb\"c\r\n"),
        (
            b"ECHO \"\\r\\n\\a\\b\\\\\"\r\n",
            b"$5\r\n\r\n\x07\x08\\\r\n",
        ),
        (b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n"),
        (b"ECHO 'no\\nescape'\r\n", b"$10\r\nno\\nescape\r\n"),
        (b"ECHO \"\"\r\n", b"$0\r\n\r\n"),
        (b"ECHO ''\r\n", b"$0\r\n\r\n"),
        (b"PING\rPING\r\n", b"$4\r\nPING\r\n"),
        (b"\r\n\r\nPING\r\n", b"+PONG\r\n"),
        (
            b"ECHO\r\n",
            b"-ERR wrong number of arguments for 'echo' command\r\n",
        ),
        (
            b"echo a b\r\n",
            b"-ERR wrong number of arguments for 'echo' command\r\n",
        ),
        (
            b"FOO a b\r\n",
            b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n",
        ),
    ];
    for (input, want) in cases {
        a.send(input);
        let got = a.read_reply();
        assert_bytes_eq(&got, want, &format!("inline \"{}\"", escape(input)));
    }
    // Several inline commands in one write.
    a.send(b"PING\r\nECHO a\nPING x\r\n");
    assert_bytes_eq(&a.read_reply(), b"+PONG\r\n", "pipelined inline 1");
    assert_bytes_eq(&a.read_reply(), b"$1\r\na\r\n", "pipelined inline 2");
    assert_bytes_eq(&a.read_reply(), b"$1\r\nx\r\n", "pipelined inline 3");
}

/// Sends `input` on a new connection, expects `replies` then the connection closed.
fn expect_error_then_close(srv: &Server, input: &[u8], replies: &[&[u8]]) {
    let mut c = srv.connect();
    c.send(input);
    for want in replies {
        let got = c.read_reply();
        assert_bytes_eq(&got, want, &format!("reply to \"{}\"", escape(input)));
    }
    c.expect_closed();
}

const INVALID_MBULK: &[u8] = b"-ERR Protocol error: invalid multibulk length\r\n";
const INVALID_BULK: &[u8] = b"-ERR Protocol error: invalid bulk length\r\n";

#[test]
fn protocol_errors_close_the_connection() {
    let srv = Server::start();
    let big = |prefix: &[u8], fill: u8| {
        let mut v = prefix.to_vec();
        v.extend(std::iter::repeat_n(fill, 70_000));
        v
    };
    let cases: Vec<(Vec<u8>, Vec<&[u8]>)> = vec![
        (b"*abc\r\n".to_vec(), vec![INVALID_MBULK]),
        (b"*\r\n".to_vec(), vec![INVALID_MBULK]),
        (b"* 1\r\n".to_vec(), vec![INVALID_MBULK]),
        (b"*+1\r\n$4\r\nPING\r\n".to_vec(), vec![INVALID_MBULK]),
        (b"*2147483648\r\n".to_vec(), vec![INVALID_MBULK]),
        (b"*1\r\n$abc\r\n".to_vec(), vec![INVALID_BULK]),
        (b"*1\r\n$\r\n".to_vec(), vec![INVALID_BULK]),
        (b"*1\r\n$-1\r\n".to_vec(), vec![INVALID_BULK]),
        (b"*1\r\n$536870913\r\n".to_vec(), vec![INVALID_BULK]),
        (
            b"*1\r\nfoo\r\n".to_vec(),
            vec![b"-ERR Protocol error: expected '$', got 'f'\r\n"],
        ),
        (
            b"*1\r\n+PING\r\n".to_vec(),
            vec![b"-ERR Protocol error: expected '$', got '+'\r\n"],
        ),
        (
            b"ECHO \"a\"b\r\n".to_vec(),
            vec![b"-ERR Protocol error: unbalanced quotes in request\r\n"],
        ),
        (
            b"ECHO 'a'b\r\n".to_vec(),
            vec![b"-ERR Protocol error: unbalanced quotes in request\r\n"],
        ),
        (
            b"ECHO \"abc\r\n".to_vec(),
            vec![b"-ERR Protocol error: unbalanced quotes in request\r\n"],
        ),
        (
            big(b"", b'a'),
            vec![b"-ERR Protocol error: too big inline request\r\n"],
        ),
        (
            big(b"*", b'1'),
            vec![b"-ERR Protocol error: too big mbulk count string\r\n"],
        ),
        (
            big(b"*1\r\n$", b'1'),
            vec![b"-ERR Protocol error: too big bulk count string\r\n"],
        ),
        // Replies to the commands before the bad frame still arrive, nothing after it runs.
        (
            b"PING\r\n*1\r\n$4\r\nPING\r\n*abc\r\nPING\r\n".to_vec(),
            vec![b"+PONG\r\n", b"+PONG\r\n", INVALID_MBULK],
        ),
    ];
    for (input, replies) in &cases {
        expect_error_then_close(&srv, input, replies);
    }
    // The server is still fine.
    let mut c = srv.connect();
    assert_bytes_eq(&c.call(&["PING"]), b"+PONG\r\n", "after protocol errors");
}

#[test]
fn unauthenticated_frame_limits() {
    let srv = Server::with_args(&["--requirepass", "secret"]);
    let mut probe = srv.connect();
    let r = probe.call(&["PING"]);
    if r == b"+PONG\r\n" {
        loud_banner(
            "NOT RUN YET: unauthenticated_frame_limits",
            &["the server ignored --requirepass (configuration not landed yet)".into()],
        );
        return;
    }
    assert_bytes_eq(
        &r,
        b"-NOAUTH Authentication required.\r\n",
        "PING before AUTH",
    );
    let mbulk: &[u8] = b"-ERR Protocol error: unauthenticated multibulk length\r\n";
    let bulk: &[u8] = b"-ERR Protocol error: unauthenticated bulk length\r\n";
    expect_error_then_close(&srv, b"*11\r\n", &[mbulk]);
    expect_error_then_close(&srv, b"*2147483647\r\n", &[mbulk]);
    expect_error_then_close(&srv, b"*1\r\n$16385\r\n", &[bulk]);
    expect_error_then_close(&srv, b"*2147483648\r\n", &[INVALID_MBULK]);
    // Within the limits nothing happens until the frame is complete.
    let mut c = srv.connect();
    c.send(b"*10\r\n");
    let mut b = srv.connect();
    barrier_noauth(&mut b);
    c.send(b"$4\r\nECHO\r\n");
    for _ in 0..9 {
        c.send(b"$1\r\nx\r\n");
    }
    // Redis checks arity before authentication.
    assert_bytes_eq(
        &c.read_reply(),
        b"-ERR wrong number of arguments for 'echo' command\r\n",
        "*10 frame",
    );
    // After AUTH the limits are the normal ones.
    assert_bytes_eq(&c.call(&["AUTH", "secret"]), b"+OK\r\n", "AUTH");
    let mut frame = b"*11\r\n$4\r\nPING\r\n".to_vec();
    for _ in 0..10 {
        frame.extend_from_slice(b"$1\r\nx\r\n");
    }
    c.send(&frame);
    assert_bytes_eq(
        &c.read_reply(),
        b"-ERR wrong number of arguments for 'ping' command\r\n",
        "*11 after AUTH",
    );
}

fn barrier_noauth(other: &mut RawConn) {
    assert_bytes_eq(
        &other.call(&["PING"]),
        b"-NOAUTH Authentication required.\r\n",
        "barrier",
    );
}

#[test]
fn unknown_command_and_arity_texts() {
    let srv = Server::start();
    let mut a = srv.connect();
    let long = "x".repeat(200);
    let ten: Vec<&str> = std::iter::once("FOO")
        .chain(std::iter::repeat_n("abcdefghij", 20))
        .collect();
    let f200 = "F".repeat(200);
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["foo"],
            "-ERR unknown command 'foo', with args beginning with: \r\n".into(),
        ),
        (
            vec!["FOO", "a", "b"],
            "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n".into(),
        ),
        (
            vec!["FOO", &long, "y"],
            format!(
                "-ERR unknown command 'FOO', with args beginning with: '{}' \r\n",
                "x".repeat(128)
            ),
        ),
        (
            vec!["FOO", "a\r\nb", "c"],
            "-ERR unknown command 'FOO', with args beginning with: 'a  b' 'c' \r\n".into(),
        ),
        (
            vec![&f200],
            format!(
                "-ERR unknown command '{}', with args beginning with: \r\n",
                "F".repeat(128)
            ),
        ),
        (
            ten.clone(),
            format!(
                "-ERR unknown command 'FOO', with args beginning with: {}\r\n",
                "'abcdefghij' ".repeat(10)
            ),
        ),
        (
            vec!["ECHO"],
            "-ERR wrong number of arguments for 'echo' command\r\n".into(),
        ),
        (
            vec!["ECHO", "a", "b"],
            "-ERR wrong number of arguments for 'echo' command\r\n".into(),
        ),
        (
            vec!["PING", "a", "b"],
            "-ERR wrong number of arguments for 'ping' command\r\n".into(),
        ),
        (
            vec!["select"],
            "-ERR wrong number of arguments for 'select' command\r\n".into(),
        ),
    ];
    for (cmd, want) in &cases {
        let got = a.call(cmd);
        assert_bytes_eq(&got, want.as_bytes(), &format!("{cmd:?}"));
    }
    // The connection stays open after command errors.
    assert_bytes_eq(&a.call(&["PING"]), b"+PONG\r\n", "after errors");
}

#[test]
fn subcommand_errors() {
    let srv = Server::start();
    let mut a = srv.connect();
    if !has_command(&mut a, &["CONFIG", "GET", "hz"], "subcommand_errors") {
        return;
    }
    let cases: &[(&[&str], &[u8])] = &[
        (
            &["CONFIG", "GET"],
            b"-ERR wrong number of arguments for 'config|get' command\r\n",
        ),
        (
            &["CONFIG", "FOO"],
            b"-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n",
        ),
        (
            &["CONFIG"],
            b"-ERR wrong number of arguments for 'config' command\r\n",
        ),
    ];
    for (cmd, want) in cases {
        assert_bytes_eq(&a.call(cmd), want, &format!("{cmd:?}"));
    }
}

/// A deterministic byte generator (xorshift), so garbage is the same on every run.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn garbage_from_one_client_does_not_affect_another() {
    let srv = Server::start();
    // B is in the middle of a frame while A misbehaves.
    let mut b = srv.connect();
    b.send(b"*2\r\n$4\r\nECHO\r\n$5\r\nhe");
    let mut a = srv.connect();
    a.send(b"*1\r\nxyz\r\n");
    assert_bytes_eq(
        &a.read_reply(),
        b"-ERR Protocol error: expected '$', got 'x'\r\n",
        "garbage reply",
    );
    a.expect_closed();
    b.send(b"llo\r\n");
    assert_bytes_eq(&b.read_reply(), b"$5\r\nhello\r\n", "B's frame completed");

    // Random bytes, and random bytes after a valid prefix: whatever the replies, the
    // connection ends cleanly when the client stops writing and others are unaffected.
    let mut c = srv.connect();
    c.send(b"*3\r\n$4\r\nECHO\r\n");
    for seed in 0..64u64 {
        let mut g = srv.connect();
        let mut bytes = if seed % 2 == 0 {
            b"*2\r\n$4\r\nECHO\r\n".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend(garbage(seed, 1 + (seed as usize * 37) % 3000));
        g.send(&bytes);
        g.shutdown_write();
        // Drain whatever it gets until the server closes it.
        loop {
            match g.try_read_reply() {
                Ok(_) => continue,
                Err(common::ReadError::Closed { .. }) => break,
                Err(e) => panic!("garbage seed {seed}: {e}"),
            }
        }
        barrier(&mut b);
    }
    // C's pending frame is still intact (it is an arity error once complete).
    c.send(b"$1\r\na\r\n$1\r\nb\r\n");
    assert_bytes_eq(
        &c.read_reply(),
        b"-ERR wrong number of arguments for 'echo' command\r\n",
        "C's frame completed",
    );
    let mut d = srv.connect();
    assert_bytes_eq(&d.call(&["PING"]), b"+PONG\r\n", "new client");
}

#[test]
fn quit_closes_after_reply() {
    let srv = Server::start();
    let mut a = srv.connect();
    a.send(b"PING\r\nQUIT\r\nPING\r\n");
    assert_bytes_eq(&a.read_reply(), b"+PONG\r\n", "PING");
    assert_bytes_eq(&a.read_reply(), b"+OK\r\n", "QUIT");
    a.expect_closed();
}

#[test]
fn resp3_hello_switches_encoding() {
    let srv = Server::start();
    let mut a = srv.connect();
    let r = a.call(&["HELLO", "3"]);
    assert!(r.starts_with(b"%7\r\n"), "HELLO 3: \"{}\"", escape(&r));
    let r = a.call(&["HELLO", "2"]);
    assert!(r.starts_with(b"*14\r\n"), "HELLO 2: \"{}\"", escape(&r));
    assert_bytes_eq(
        &a.call(&["HELLO", "4"]),
        b"-NOPROTO unsupported protocol version\r\n",
        "HELLO 4",
    );
}

#[test]
fn graceful_stop_exits_zero() {
    let mut srv = Server::start();
    assert_bytes_eq(&srv.call(&["PING"]), b"+PONG\r\n", "PING");
    let st = srv.stop_gracefully().expect("server exits after SIGTERM");
    assert!(
        st.success(),
        "exit status after SIGTERM: {st:?}\n{}",
        srv.log().text()
    );
    assert!(
        srv.log().eventually_contains("Received SIGTERM"),
        "log:\n{}",
        srv.log().text()
    );
}

#[test]
fn redis_crate_client_works() {
    let srv = Server::start();
    let mut con = srv.redis_conn();
    let pong: String = redis::cmd("PING").query(&mut con).expect("PING");
    assert_eq!(pong, "PONG");
    let echo: Vec<u8> = redis::cmd("ECHO")
        .arg(&b"bin\x00ary"[..])
        .query(&mut con)
        .expect("ECHO");
    assert_eq!(echo, b"bin\x00ary");
}

/// Sends raw bytes then a sentinel command; collects every reply until the sentinel's
/// (or until the server closes the connection).
fn replies_until_sentinel(mut c: RawConn, input: &[u8], who: &str) -> Vec<u8> {
    let mut bytes = input.to_vec();
    bytes.extend_from_slice(SENTINEL);
    c.send(&bytes);
    let mut out = Vec::new();
    loop {
        match c.try_read_reply() {
            Ok(r) if r == SENTINEL_REPLY => return out,
            Ok(r) => out.extend(r),
            Err(common::ReadError::Closed { .. }) => {
                out.extend_from_slice(b"<closed>");
                return out;
            }
            Err(e) => panic!("{who}, input \"{}\": {e}", escape(input)),
        }
    }
}

#[test]
fn raw_inputs_match_reference() {
    let Some(reference) = common::RedisRef::start_or_skip("raw_inputs_match_reference") else {
        return;
    };
    let srv = Server::start();
    let inputs: &[&[u8]] = &[
        b"PING\r\n",
        b"PING\n",
        b"\r\n\r\n\n",
        b"   \r\n",
        b"ECHO \"a b\" \r\n",
        b"ECHO 'a\\'b'\r\n",
        b"ECHO \"\\x4\"\r\n",
        b"ECHO \"\\x41\\x4a\\x4A\"\r\n",
        b"ECHO \"\\q\"\r\n",
        b"ECHO \"a\"b\r\n",
        b"ECHO \"\r\n",
        b"ECHO '\r\n",
        b"*0\r\n*-1\r\n*-10\r\n",
        b"*1\r\n$4\r\nPINGxx",
        b"*1\r\n$0\r\n\r\n",
        b"*2\r\n$4\r\nECHO\r\n$-0\r\n",
        b"*-0\r\n",
        b"*01\r\n$4\r\nPING\r\n",
        b"*1\r\n$04\r\nPING\r\n",
        b"*1\r\n$+4\r\nPING\r\n",
        b"*1\r\n$ 4\r\nPING\r\n",
        b"*1\r\n:4\r\nPING\r\n",
        b"*1\r\n\r\n",
        b"*1\n$4\nPING\n",
        b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nping\r\n",
        b"PING\r\n*x\r\n",
        b"*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n",
        // (Inline lines holding a NUL byte are left out: Redis looks for the newline with
        // strchr, so it waits for more input until the inline size limit.)
        b"ECHO \xff\xfe\r\n",
        b"\"\"\r\n",
        b"''\r\n",
        b"SELECT 99\r\nPING\r\n",
    ];
    for input in inputs {
        let want = replies_until_sentinel(reference.connect(), input, "redis-server");
        let got = replies_until_sentinel(srv.connect(), input, "ferrokv");
        assert_bytes_eq(
            &got,
            &want,
            &format!(
                "replies to \"{}\" (redis-server's are `want`)",
                escape(input)
            ),
        );
    }
}

#[test]
fn server_guard_passes_directives_and_restarts() {
    let mut srv = Server::with_args(&["--databases", "4"]);
    assert_bytes_eq(&srv.call(&["SELECT", "3"]), b"+OK\r\n", "SELECT 3");
    assert_bytes_eq(
        &srv.call(&["SELECT", "4"]),
        b"-ERR DB index is out of range\r\n",
        "SELECT 4 with --databases 4",
    );
    let dir = srv.dir().to_path_buf();
    let mut srv = srv.restart();
    assert_eq!(srv.dir(), dir, "a restart keeps the directory");
    assert_bytes_eq(
        &srv.call(&["SELECT", "4"]),
        b"-ERR DB index is out of range\r\n",
        "SELECT 4 after a restart",
    );
    // A bad directive makes startup fail with the server's own words.
    let err = match Server::try_with_args(&["--no-such-directive", "1"]) {
        Ok(_) => panic!("the server started with an unknown directive"),
        Err(e) => e,
    };
    assert!(err.contains("no-such-directive"), "startup failure: {err}");
}

/// Frames after a command that changes how the rest must be parsed, sent in the same
/// write: each frame is parsed under the limits in force when its turn comes, as Redis
/// does (AUTH lifts the unauthenticated limits, RESET restores them, CONFIG SET
/// proto-max-bulk-len applies to the next frame).
#[test]
fn limits_change_between_pipelined_frames() {
    let srv = Server::with_args(&["--requirepass", "pw"]);
    let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    let mut mset = vec!["MSET".to_string()];
    mset.extend(keys.iter().cloned());
    let big = encode(&mset);

    let mut input = encode(&["AUTH", "pw"]);
    input.extend_from_slice(&big);
    let mut c = srv.connect();
    c.send(&input);
    assert_bytes_eq(&c.read_reply(), b"+OK\r\n", "AUTH");
    assert_bytes_eq(
        &c.read_reply(),
        b"+OK\r\n",
        "MSET of 21 arguments after AUTH",
    );

    let mut input = encode(&["AUTH", "pw"]);
    input.extend_from_slice(&encode(&["RESET"]));
    input.extend_from_slice(&big);
    expect_error_then_close(
        &srv,
        &input,
        &[
            b"+OK\r\n",
            b"+RESET\r\n",
            b"-ERR Protocol error: unauthenticated multibulk length\r\n",
        ],
    );

    let mut input = encode(&["AUTH", "pw"]);
    input.extend_from_slice(&encode(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]));
    input.extend_from_slice(&encode(&["SET", "x", &"y".repeat(1024 * 1024 + 1)]));
    input.extend_from_slice(&encode(&["PING"]));
    expect_error_then_close(&srv, &input, &[b"+OK\r\n", b"+OK\r\n", INVALID_BULK]);
}

/// A long pipeline of mixed frames (multibulk, inline, empty) in one write, run in
/// batches: every reply comes back, in order.
#[test]
fn long_mixed_pipeline_in_one_write() {
    let srv = Server::start();
    let mut input = Vec::new();
    let mut want = Vec::new();
    for i in 0..1000 {
        match i % 5 {
            0 => {
                input.extend_from_slice(&encode(&["SET", &format!("k{i}"), &i.to_string()]));
                want.push(b"+OK\r\n".to_vec());
            }
            1 => {
                input.extend_from_slice(format!("INCR k{}\r\n", i - 1).as_bytes());
                want.push(format!(":{}\r\n", i).into_bytes());
            }
            2 => {
                input.extend_from_slice(b"\r\n*0\r\n*-1\r\n");
                input.extend_from_slice(&encode(&["GET", &format!("k{}", i - 2)]));
                let v = (i - 1).to_string();
                want.push(format!("${}\r\n{v}\r\n", v.len()).into_bytes());
            }
            3 => {
                input.extend_from_slice(&encode(&["GET", "missing"]));
                want.push(b"$-1\r\n".to_vec());
            }
            _ => {
                input.extend_from_slice(&encode(&["NOSUCHCMD"]));
                want.push(
                    b"-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n".to_vec(),
                );
            }
        }
    }
    let mut c = srv.connect();
    c.send(&input);
    for (i, w) in want.iter().enumerate() {
        assert_bytes_eq(&c.read_reply(), w, &format!("reply {i}"));
    }
}

/// CLIENT REPLY OFF silences replies, not pushes: Pub/Sub confirmations and messages
/// still arrive (in RESP2 too, as redis-server 7.0 sends them), and a RESP3 client's
/// PUBLISH to itself gets the message but not the count.
#[test]
fn reply_off_still_delivers_pubsub_pushes() {
    let srv = Server::start();
    for resp3 in [false, true] {
        let mut c = srv.connect();
        let mut p = srv.connect();
        if resp3 {
            c.send_cmd(&["HELLO", "3"]);
            c.read_reply();
        }
        c.send_cmd(&["CLIENT", "REPLY", "OFF"]);
        c.send_cmd(&["SUBSCRIBE", "ch"]);
        let head: &[u8] = if resp3 { b">3\r\n" } else { b"*3\r\n" };
        let mut want = head.to_vec();
        want.extend_from_slice(b"$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
        assert_eq!(c.read_reply(), want);
        p.send_cmd(&["PUBLISH", "ch", "hi"]);
        assert_eq!(p.read_reply(), b":1\r\n");
        let mut want = head.to_vec();
        want.extend_from_slice(b"$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        assert_eq!(c.read_reply(), want);
        if resp3 {
            c.send_cmd(&["PUBLISH", "ch", "self"]);
            c.send_cmd(&["PING"]);
            assert_eq!(
                c.read_reply(),
                b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n"
            );
        }
        c.send_cmd(&["UNSUBSCRIBE", "ch"]);
        let mut want = head.to_vec();
        want.extend_from_slice(b"$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n");
        assert_eq!(c.read_reply(), want);
        c.send_cmd(&["CLIENT", "REPLY", "ON"]);
        assert_eq!(c.read_reply(), b"+OK\r\n");
    }
}

/// Inline requests are unquoted in place when parsed; when a batch stops before running
/// them (a blocking command, CLIENT PAUSE), they are parsed again as they were sent.
#[test]
fn inline_requests_after_a_stopped_batch_parse_the_same() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.send(b"BLPOP nol 0.01\r\nPING\r\nECHO \"a b\\x41\"\r\nECHO x  y\r\n");
    assert_eq!(c.read_reply(), b"*-1\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    assert_eq!(c.read_reply(), b"$4\r\na bA\r\n");
    assert_eq!(
        c.read_reply(),
        b"-ERR wrong number of arguments for 'echo' command\r\n"
    );
    let mut admin = srv.connect();
    admin.send(b"CLIENT PAUSE 200 WRITE\r\n");
    assert_eq!(admin.read_reply(), b"+OK\r\n");
    c.send(b"SET \"k x\" 'v w'\r\nGET \"k x\"\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$3\r\nv w\r\n");
}
