//! Server commands against the real binary: what needs the event loop and real sockets
//! (INFO over the wire, listing and killing other connections, MONITOR, CLIENT REPLY,
//! SHUTDOWN ending the process).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrokv-server"))
            .args(["--port", "0", "--bind", "127.0.0.1", "--appendonly", "no"])
            .args(["--save", ""])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ferrokv-server");
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        let mut port = 0;
        for line in lines.by_ref() {
            let line = line.expect("log line");
            if let Some(rest) = line.split("port=").nth(1) {
                port = rest.trim_end_matches('.').parse().expect("port number");
                break;
            }
        }
        assert!(port > 0, "server did not report its port");
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, port }
    }

    fn connect(&self) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        Conn {
            r: BufReader::new(s.try_clone().expect("clone")),
            w: s,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

/// A reply, flattened to text: "+OK", ":1", "$hello", "*2", ... one element per entry.
fn read_reply(r: &mut BufReader<TcpStream>, out: &mut Vec<String>) -> std::io::Result<()> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches("\r\n").to_string();
    let (t, rest) = line.split_at(1);
    match t {
        "$" | "=" => {
            let n: i64 = rest.parse().unwrap_or(-1);
            if n < 0 {
                out.push("(nil)".into());
            } else {
                let mut buf = vec![0; n as usize + 2];
                r.read_exact(&mut buf)?;
                buf.truncate(n as usize);
                out.push(format!("${}", String::from_utf8_lossy(&buf)));
            }
        }
        "*" | "%" | "~" | ">" => {
            let n: i64 = rest.parse().unwrap_or(-1);
            out.push(line.clone());
            let n = if t == "%" { n * 2 } else { n };
            for _ in 0..n.max(0) {
                read_reply(r, out)?;
            }
        }
        _ => out.push(line),
    }
    Ok(())
}

impl Conn {
    fn send(&mut self, args: &[&str]) {
        let mut b = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            b.extend_from_slice(format!("${}\r\n{}\r\n", a.len(), a).as_bytes());
        }
        self.w.write_all(&b).expect("write");
    }

    fn read(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        read_reply(&mut self.r, &mut out).expect("read reply");
        out
    }

    fn call(&mut self, args: &[&str]) -> Vec<String> {
        self.send(args);
        self.read()
    }

    fn text(&mut self, args: &[&str]) -> String {
        self.call(args).concat()
    }

    /// Whether the server closed the connection within a second.
    fn closed(&mut self) -> bool {
        self.w.set_read_timeout(Some(Duration::from_secs(1))).ok();
        let mut b = [0u8; 64];
        matches!(self.r.read(&mut b), Ok(0))
    }
}

#[test]
fn info_and_client_list_over_the_wire() {
    let srv = Server::start();
    let mut a = srv.connect();
    let mut b = srv.connect();
    assert_eq!(b.text(&["client", "setname", "second"]), "+OK");
    let info = a.text(&["info"]);
    assert!(info.contains(&format!("tcp_port:{}\r\n", srv.port)));
    assert!(info.contains("connected_clients:2\r\n"));
    assert!(info.contains("# Keyspace\r\n"));
    let list = a.text(&["client", "list"]);
    let lines: Vec<&str> = list.trim_start_matches('$').lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[0].contains(" cmd=client|list "), "{list}");
    assert!(lines[1].contains(" name=second ") && lines[1].contains(" cmd=client|setname "));
    let fd = lines[1]
        .split(' ')
        .find_map(|f| f.strip_prefix("fd="))
        .expect("fd field");
    assert!(fd.parse::<i32>().expect("fd number") > 0);
}

#[test]
fn client_kill_closes_the_other_connection() {
    let srv = Server::start();
    let mut a = srv.connect();
    let mut b = srv.connect();
    let id = b.text(&["client", "id"]);
    let id = id.trim_start_matches(':');
    assert_eq!(a.text(&["client", "kill", "id", id]), ":1");
    assert!(b.closed());
    let info = a.text(&["info", "clients"]);
    assert!(info.contains("connected_clients:1\r\n"), "{info}");
    // The old form, on itself: OK, then the connection closes.
    let me = a.text(&["client", "info"]);
    let addr = me
        .split(' ')
        .find_map(|f| f.strip_prefix("addr="))
        .expect("addr field")
        .to_string();
    assert_eq!(a.text(&["client", "kill", &addr]), "+OK");
    assert!(a.closed());
}

#[test]
fn monitor_and_reply_modes() {
    let srv = Server::start();
    let mut m = srv.connect();
    assert_eq!(m.text(&["monitor"]), "+OK");
    let mut c = srv.connect();
    c.send(&["client", "reply", "off"]);
    c.send(&["echo", "hidden"]);
    assert_eq!(c.text(&["client", "reply", "on"]), "+OK");
    assert_eq!(c.text(&["echo", "shown"]), "$shown");
    let fed: Vec<String> = (0..4).map(|_| m.read().concat()).collect();
    assert!(fed[0].ends_with(r#" "client" "reply" "off""#), "{fed:?}");
    assert!(fed[1].ends_with(r#" "echo" "hidden""#), "{fed:?}");
    assert!(fed[3].ends_with(r#" "echo" "shown""#), "{fed:?}");
}

/// MONITOR shows a command once it ran (EXEC after the commands it ran, SELECT with the
/// database it selected), and a script first, before its checks and its commands; as
/// redis-server 7.0 does.
#[test]
fn monitor_order_and_databases_follow_redis() {
    let srv = Server::start();
    let mut m = srv.connect();
    assert_eq!(m.text(&["monitor"]), "+OK");
    let mut c = srv.connect();
    assert_eq!(c.text(&["select", "2"]), "+OK");
    assert_eq!(c.text(&["multi"]), "+OK");
    assert_eq!(c.text(&["select", "3"]), "+QUEUED");
    assert_eq!(c.text(&["set", "q", "1"]), "+QUEUED");
    c.text(&["exec"]);
    c.text(&["eval", "redis.call('set','x',1)", "0"]);
    c.text(&["fcall", "nosuch", "x"]);
    let fed: Vec<String> = (0..8).map(|_| m.read().concat()).collect();
    let want = [
        r#"[2 "#,
        r#"[2 "#,
        r#"[3 "#,
        r#"[3 "#,
        r#"[3 "#,
        r#"[3 "#,
        r#"[3 lua] "set" "x" "1""#,
        r#"[3 "#,
    ];
    let ends = [
        r#""select" "2""#,
        r#""multi""#,
        r#""select" "3""#,
        r#""set" "q" "1""#,
        r#""exec""#,
        r#""eval" "redis.call('set','x',1)" "0""#,
        r#""set" "x" "1""#,
        r#""fcall" "nosuch" "x""#,
    ];
    for ((line, db), end) in fed.iter().zip(want).zip(ends) {
        assert!(line.contains(db) && line.ends_with(end), "{fed:#?}");
    }
}

#[test]
fn shutdown_ends_the_process() {
    let mut srv = Server::start();
    let mut c = srv.connect();
    assert_eq!(
        c.text(&["shutdown", "abort"]),
        "-ERR No shutdown in progress."
    );
    c.send(&["shutdown", "nosave"]);
    let start = Instant::now();
    loop {
        if let Ok(Some(st)) = srv.child.try_wait() {
            assert!(st.success());
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a reply arrives within `ms` milliseconds.
fn replied_within(c: &mut Conn, ms: u64) -> bool {
    c.w.set_read_timeout(Some(Duration::from_millis(ms))).ok();
    let mut b = [0u8; 1];
    let got =
        c.r.get_mut().peek(&mut b).map(|n| n > 0).unwrap_or(false) || !c.r.buffer().is_empty();
    c.w.set_read_timeout(Some(Duration::from_secs(10))).ok();
    got
}

#[test]
fn client_pause_holds_writes_or_everything_until_it_ends() {
    let srv = Server::start();
    let mut admin = srv.connect();
    let mut c = srv.connect();
    assert_eq!(c.text(&["set", "k", "1"]), "+OK");
    assert_eq!(c.text(&["set", "gone", "x", "px", "50"]), "+OK");

    // WRITE: reads run, writes and PUBLISH wait; the pipeline behind a held write waits too.
    assert_eq!(admin.text(&["client", "pause", "60000", "write"]), "+OK");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(c.text(&["get", "k"]), "$1");
    // Expired during the pause: reads as absent, but stays until the pause ends.
    assert_eq!(c.text(&["get", "gone"]), "(nil)");
    assert_eq!(c.text(&["dbsize"]), ":2");
    c.send(&["incr", "k"]);
    c.send(&["get", "k"]);
    assert!(
        !replied_within(&mut c, 300),
        "a write ran during CLIENT PAUSE WRITE"
    );
    let list = admin.text(&["client", "list"]);
    assert!(list.lines().any(|l| l.contains(" flags=b ")), "{list}");
    let info = admin.text(&["info", "clients"]);
    assert!(info.contains("blocked_clients:1\r\n"), "{info}");
    // A paused client is not one CLIENT UNBLOCK can release.
    let id = list
        .lines()
        .find(|l| l.contains(" flags=b "))
        .and_then(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
        .expect("paused client id")
        .to_string();
    assert_eq!(admin.text(&["client", "unblock", &id]), ":0");
    assert_eq!(admin.text(&["client", "unpause"]), "+OK");
    assert_eq!(c.read().concat(), ":2");
    assert_eq!(c.read().concat(), "$2");
    // After the pause, expiry deletes again.
    assert_eq!(c.text(&["get", "gone"]), "(nil)");
    assert_eq!(c.text(&["dbsize"]), ":1");

    // ALL, with a timeout: even PING waits, and runs once the time is up.
    assert_eq!(admin.text(&["client", "pause", "300"]), "+OK");
    let t = Instant::now();
    assert_eq!(c.text(&["ping"]), "+PONG");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );

    // A second pause only extends and tightens the one in force.
    assert_eq!(admin.text(&["client", "pause", "400", "write"]), "+OK");
    assert_eq!(admin.text(&["client", "pause", "10", "all"]), "+OK");
    let t = Instant::now();
    assert_eq!(c.text(&["get", "k"]), "$2");
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );

    // PFCOUNT may rewrite its key's cached count: WRITE holds it, as Redis does.
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(admin.text(&["client", "pause", "60000", "write"]), "+OK");
    c.send(&["pfcount", "h"]);
    assert!(
        !replied_within(&mut c, 200),
        "PFCOUNT ran during CLIENT PAUSE WRITE"
    );
    assert_eq!(admin.text(&["client", "unpause"]), "+OK");
    assert_eq!(c.read().concat(), ":0");

    assert_eq!(
        admin.text(&["client", "pause", "-1"]),
        "-ERR timeout is negative"
    );
    assert_eq!(
        admin.text(&["client", "pause", "1", "read"]),
        "-ERR CLIENT PAUSE mode must be WRITE or ALL"
    );
}

#[test]
fn client_unblock_releases_a_blocked_pop() {
    let srv = Server::start();
    let mut admin = srv.connect();
    let mut c = srv.connect();
    let id = c.text(&["client", "id"]);
    let id = id.trim_start_matches(':').to_string();
    c.send(&["blpop", "q", "0"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(admin.text(&["client", "unblock", &id, "error"]), ":1");
    assert_eq!(
        c.read().concat(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK"
    );
    c.send(&["blpop", "q", "0"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(admin.text(&["client", "unblock", &id]), ":1");
    assert_eq!(c.read().concat(), "*-1");
    assert_eq!(admin.text(&["client", "unblock", &id]), ":0");
    assert_eq!(admin.text(&["client", "unblock", "999"]), ":0");
    assert_eq!(
        admin.text(&["client", "unblock", &id, "later"]),
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    // The connection goes on normally.
    assert_eq!(c.text(&["ping"]), "+PONG");
}

/// Asks `c` for `args` until `ok` holds for the reply text (within ten seconds).
fn wait_for(c: &mut Conn, args: &[&str], ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let t = c.text(args);
        if ok(&t) {
            return t;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still {t:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn disconnected_clients_leave_nothing_behind() {
    let srv = Server::start();
    let mut ctl = srv.connect();
    let mut w = srv.connect();
    assert_eq!(w.text(&["watch", "k"]), "+OK");
    assert_eq!(w.text(&["subscribe", "ch"]), "*3$subscribe$ch:1");
    assert_eq!(w.text(&["psubscribe", "c*"]), "*3$psubscribe$c*:2");
    let mut b = srv.connect();
    b.send(&["blpop", "l", "0"]);
    let mut m = srv.connect();
    assert_eq!(m.text(&["monitor"]), "+OK");
    assert_eq!(ctl.text(&["client", "pause", "100000", "write"]), "+OK");
    let mut p = srv.connect();
    p.send(&["set", "x", "1"]);
    wait_for(&mut ctl, &["info", "clients"], |t| {
        t.contains("blocked_clients:2\r\n")
    });
    assert_eq!(ctl.text(&["pubsub", "numsub", "ch"]), "*2$ch:1");
    drop((w, b, m, p));
    wait_for(&mut ctl, &["info", "clients"], |t| {
        t.contains("connected_clients:1\r\n")
    });
    let list = ctl.text(&["client", "list"]);
    assert_eq!(list.trim_start_matches('$').lines().count(), 1, "{list}");
    let info = ctl.text(&["info", "clients"]);
    assert!(info.contains("blocked_clients:0\r\n"), "{info}");
    let info = ctl.text(&["info", "stats"]);
    assert!(info.contains("pubsub_channels:0\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:0\r\n"), "{info}");
    assert_eq!(ctl.text(&["pubsub", "numsub", "ch"]), "*2$ch:0");
    assert_eq!(ctl.text(&["pubsub", "numpat"]), ":0");
    // A new client, likely in a freed slot, gets nothing meant for those that left.
    let mut n = srv.connect();
    assert_eq!(n.text(&["ping"]), "+PONG");
    assert_eq!(ctl.text(&["client", "unpause"]), "+OK");
    assert_eq!(ctl.text(&["set", "k", "v"]), "+OK");
    assert_eq!(ctl.text(&["rpush", "l", "v"]), ":1");
    assert_eq!(ctl.text(&["publish", "ch", "hi"]), ":0");
    assert_eq!(ctl.text(&["exists", "x"]), ":0");
    assert_eq!(ctl.text(&["llen", "l"]), ":1");
    assert!(!replied_within(&mut n, 100));
    assert_eq!(n.text(&["ping"]), "+PONG");
}

/// MEMORY STATS as pairs (name, value) with the databases' maps flattened to
/// "db.N.field".
fn memory_stats(c: &mut Conn) -> Vec<(String, String)> {
    let r = c.call(&["memory", "stats"]);
    let mut out = Vec::new();
    let mut it = r.into_iter().skip(1);
    while let Some(k) = it.next() {
        let k = k.trim_start_matches('$').to_string();
        let v = it.next().expect("value");
        if v.starts_with('*') || v.starts_with('%') {
            let n: usize = v[1..].parse().expect("length");
            let n = if v.starts_with('*') { n / 2 } else { n };
            for _ in 0..n {
                let f = it.next().expect("field");
                let x = it.next().expect("field value");
                out.push((format!("{k}.{}", f.trim_start_matches('$')), x));
            }
        } else {
            out.push((k, v));
        }
    }
    out
}

#[test]
fn memory_stats_fields_and_values() {
    let srv = Server::start();
    let mut c = srv.connect();
    assert_eq!(c.text(&["set", "a", "1"]), "+OK");
    assert_eq!(c.text(&["select", "3"]), "+OK");
    assert_eq!(c.text(&["set", "b", "2", "ex", "100"]), "+OK");
    let stats = memory_stats(&mut c);
    let names: Vec<&str> = stats.iter().map(|(k, _)| k.as_str()).collect();
    let expected = [
        "peak.allocated",
        "total.allocated",
        "startup.allocated",
        "replication.backlog",
        "clients.slaves",
        "clients.normal",
        "cluster.links",
        "aof.buffer",
        "lua.caches",
        "functions.caches",
        "db.0.overhead.hashtable.main",
        "db.0.overhead.hashtable.expires",
        "db.0.overhead.hashtable.slot-to-keys",
        "db.3.overhead.hashtable.main",
        "db.3.overhead.hashtable.expires",
        "db.3.overhead.hashtable.slot-to-keys",
        "overhead.total",
        "keys.count",
        "keys.bytes-per-key",
        "dataset.bytes",
        "dataset.percentage",
        "peak.percentage",
        "allocator.allocated",
        "allocator.active",
        "allocator.resident",
        "allocator-fragmentation.ratio",
        "allocator-fragmentation.bytes",
        "allocator-rss.ratio",
        "allocator-rss.bytes",
        "rss-overhead.ratio",
        "rss-overhead.bytes",
        "fragmentation",
        "fragmentation.bytes",
    ];
    assert_eq!(names, expected);
    let get = |k: &str| -> String {
        stats
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .expect(k)
    };
    let int = |k: &str| -> i64 { get(k)[1..].parse().expect(k) };
    assert_eq!(get("keys.count"), ":2");
    assert!(int("total.allocated") > 0);
    assert!(int("peak.allocated") >= int("total.allocated"));
    assert!(int("clients.normal") > 0);
    assert!(int("db.3.overhead.hashtable.expires") > 0);
    assert_eq!(
        int("dataset.bytes"),
        (int("total.allocated") - int("overhead.total")).max(0)
    );
    let ratio: f64 = get("fragmentation")[1..].parse().expect("a double");
    assert!(ratio > 0.0);
    // The same accounting as INFO memory.
    let info = c.text(&["info", "memory"]);
    assert!(info.contains("used_memory_overhead:"));
    // RESP3: a map, the ratios as doubles.
    c.call(&["hello", "3"]);
    let r = c.call(&["memory", "stats"]);
    assert_eq!(r[0], "%29");
    assert!(r.iter().any(|x| x.starts_with(',')));
    let doctor = c.text(&["memory", "doctor"]);
    assert!(
        doctor.starts_with("$") && doctor.contains("Sam"),
        "{doctor}"
    );
}

/// The `histogram_usec` map of one command in a LATENCY HISTOGRAM reply (flattened by
/// `read_reply`): (calls, [(usec, cumulative count)]).
fn histogram_of(reply: &[String], name: &str) -> Option<(i64, Vec<(i64, i64)>)> {
    let at = reply.iter().position(|e| *e == format!("${name}"))?;
    let int = |i: usize| -> i64 { reply[i].trim_start_matches(':').parse().expect("integer") };
    // "$name", "*4" (RESP2 map), "$calls", ":N", "$histogram_usec", "*2k", pairs...
    assert_eq!(reply[at + 2], "$calls");
    let calls = int(at + 3);
    let n: usize = reply[at + 5][1..].parse().expect("length");
    let pairs = (0..n / 2)
        .map(|k| (int(at + 6 + 2 * k), int(at + 7 + 2 * k)))
        .collect();
    Some((calls, pairs))
}

#[test]
fn latency_histograms_and_latencystats() {
    let srv = Server::start();
    let mut c = srv.connect();
    for i in 0..5 {
        c.call(&["set", "k", &i.to_string()]);
    }
    c.call(&["get", "k"]);
    c.call(&["config", "set", "maxmemory", "0"]);
    let h = c.call(&["latency", "histogram", "set", "get", "nosuch", "config|set"]);
    assert_eq!(h[0], "*6", "{h:?}");
    let (calls, buckets) = histogram_of(&h, "set").expect("set histogram");
    assert_eq!(calls, 5);
    // Cumulative counts grow to the number of calls, at power-of-two-like bounds.
    assert_eq!(buckets.last().map(|b| b.1), Some(5), "{buckets:?}");
    assert!(buckets
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    assert_eq!(histogram_of(&h, "get").map(|x| x.0), Some(1));
    assert_eq!(histogram_of(&h, "config|set").map(|x| x.0), Some(1));
    // A container stands for its subcommands.
    let all_config = c.call(&["latency", "histogram", "config"]);
    assert!(histogram_of(&all_config, "config|set").is_some());

    let info = c.text(&["info", "latencystats"]);
    assert!(info.contains("# Latencystats\r\n"), "{info}");
    let line = info
        .split("\r\n")
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .expect("set line");
    let fields: Vec<&str> = line.split(':').nth(1).expect("values").split(',').collect();
    assert_eq!(fields.len(), 3, "{line}");
    for (f, p) in fields.iter().zip(["p50=", "p99=", "p99.9="]) {
        let v = f.strip_prefix(p).expect("percentile name");
        assert_eq!(v.split('.').nth(1).map(str::len), Some(3), "{line}");
    }
    assert!(info.contains("latency_percentiles_usec_config|set:"));
    // Not in the default INFO, but in INFO all.
    assert!(!c.text(&["info"]).contains("Latencystats"));
    assert!(c
        .text(&["info", "all"])
        .contains("latency_percentiles_usec_get:"));

    // Other percentiles; then tracking off: the section is empty and nothing is recorded.
    c.call(&[
        "config",
        "set",
        "latency-tracking-info-percentiles",
        "0 100",
    ]);
    let info = c.text(&["info", "latencystats"]);
    assert!(info.contains("latency_percentiles_usec_get:p0="), "{info}");
    assert!(info.contains(",p100="), "{info}");
    c.call(&["config", "set", "latency-tracking", "no"]);
    assert_eq!(c.text(&["info", "latencystats"]), "$# Latencystats\r\n");
    c.call(&["get", "k"]);
    let h = c.call(&["latency", "histogram", "get"]);
    assert_eq!(histogram_of(&h, "get").map(|x| x.0), Some(1));
    c.call(&["config", "set", "latency-tracking", "yes"]);

    // CONFIG RESETSTAT forgets them.
    c.call(&["config", "resetstat"]);
    assert_eq!(c.call(&["latency", "histogram", "set", "get"]), ["*0"]);
}
