//! Rewrites: a crash injected at each step leaves a directory that loads with every
//! acknowledged write; failed rewrites are retried with back-off; automatic rewrites;
//! turning the AOF on and off at runtime; write and fsync errors refused with MISCONF and
//! retried, never silently dropped.

mod aof_common;
use aof_common::*;
use std::time::{Duration, Instant};

/// Every step a crash can be injected at (see src/persistence/test_hooks.rs).
const STEPS: &[&str] = &[
    "incr-opened",
    "open-incr:temp-written",
    "open-incr:renamed",
    "incr-persisted",
    "child-writing",
    "child-done",
    "before-base-rename",
    "base-renamed",
    "install:temp-written",
    "install:renamed",
    "history-deleted",
    "history:temp-written",
    "history:renamed",
];

fn set_many(c: &mut Conn, prefix: &str, n: usize, acked: &mut Vec<(String, String)>) -> bool {
    for i in 0..n {
        let k = format!("{prefix}{i}");
        let v = format!("value-{i}");
        match c.try_call(&[b"SET", k.as_bytes(), v.as_bytes()]) {
            Ok(Reply::Status(_)) => acked.push((k, v)),
            _ => return false,
        }
    }
    true
}

fn check_all(c: &mut Conn, acked: &[(String, String)], ctx: &str) {
    for (k, v) in acked {
        let got = c
            .try_call(&[b"GET", k.as_bytes()])
            .unwrap_or_else(|e| panic!("{ctx}: GET {k}: {e}"));
        assert_eq!(
            got,
            Reply::Bulk(Some(v.clone().into_bytes())),
            "{ctx}: key {k}"
        );
    }
}

#[test]
fn crash_at_each_rewrite_step_leaves_a_loadable_directory() {
    for step in STEPS {
        let d = TempDir::new("step");
        let mut acked = Vec::new();
        // Some history first: a base and an incremental file with data, and a manifest
        // that a rewrite will turn into history.
        {
            let s = Srv::start(
                d.path(),
                &["--appendonly", "yes", "--appendfsync", "always"],
            );
            let mut c = s.conn();
            assert!(set_many(&mut c, "old:", 50, &mut acked));
            s.shutdown();
        }
        let mut s = Srv::try_start(
            d.path(),
            &["--appendonly", "yes", "--appendfsync", "always"],
            &[("FERROKV_TEST_AOF_CRASH_AT", step)],
        )
        .expect("start with crash hook");
        let mut c = s.conn();
        c.set_timeout(Duration::from_secs(10));
        assert!(set_many(&mut c, "before:", 50, &mut acked));
        let _ = c.try_call(&[b"BGREWRITEAOF"]);
        // Keep writing until the server dies (the crash may come from the cron, after the
        // child finished).
        let t0 = Instant::now();
        let mut i = 0;
        while t0.elapsed() < Duration::from_secs(20) {
            if !set_many(&mut c, &format!("after{i}:"), 5, &mut acked) {
                break;
            }
            i += 1;
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            s.wait_exit(Duration::from_secs(20)).is_some(),
            "{step}: the injected crash did not happen\n{}",
            s.log()
        );
        drop(s);
        // The directory loads, with everything acknowledged.
        let s = Srv::try_start(d.path(), &["--appendonly", "yes"], &[])
            .unwrap_or_else(|log| panic!("{step}: does not load:\n{log}"));
        let mut c = s.conn();
        check_all(&mut c, &acked, step);
        // And it keeps working: a rewrite, more writes, another restart.
        assert!(!c.call(&["BGREWRITEAOF"]).is_error());
        assert!(c.wait_info("aof_rewrite_in_progress", "0", Duration::from_secs(60)));
        assert_eq!(c.info_field("aof_last_bgrewrite_status"), "ok", "{step}");
        assert!(set_many(&mut c, "final:", 10, &mut acked));
        s.shutdown();
        let s = Srv::start(d.path(), &["--appendonly", "yes"]);
        check_all(&mut s.conn(), &acked, step);
        let files = wait_files(&d.aof_dir(), 3);
        assert_eq!(files.len(), 3, "{step}: {:?}", files.keys());
        // Leftover temporary files of the crashed rewrite are harmless; a clean rewrite
        // removes none of the data.
    }
}

#[test]
fn failed_rewrites_are_reported_and_retried_with_backoff() {
    let d = TempDir::new("fail");
    let s = Srv::try_start(
        d.path(),
        &[
            "--appendonly",
            "yes",
            "--auto-aof-rewrite-percentage",
            "1",
            "--auto-aof-rewrite-min-size",
            "1",
        ],
        &[("FERROKV_TEST_AOF_CRASH_AT", "child-fail")],
    )
    .expect("start");
    let mut c = s.conn();
    let mut acked = Vec::new();
    assert!(set_many(&mut c, "k", 100, &mut acked));
    // The automatic rewrite keeps failing: three tries, then the limiter waits a minute.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(30) && !s.log().contains("triggered the limit") {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(s.log().contains("triggered the limit"), "{}", s.log());
    assert_eq!(c.info_field("aof_last_bgrewrite_status"), "err");
    let failures: u64 = c
        .info_field("aof_rewrites_consecutive_failures")
        .parse()
        .unwrap();
    assert!(failures >= 3);
    let attempts: u64 = c.info_field("aof_rewrites").parse().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let later: u64 = c.info_field("aof_rewrites").parse().unwrap();
    assert_eq!(attempts, later, "no retry during the back-off");
    // Writes still work and are durable; incremental files piled up meanwhile.
    assert!(set_many(&mut c, "more", 10, &mut acked));
    s.shutdown();
    let s = Srv::start(d.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    check_all(&mut c, &acked, "after failures");
    assert!(snapshot_dir(&d.aof_dir()).len() > 3);
    // A working rewrite compacts them again.
    assert!(!c.call(&["BGREWRITEAOF"]).is_error());
    assert!(c.wait_info("aof_rewrite_in_progress", "0", Duration::from_secs(60)));
    assert_eq!(c.info_field("aof_last_bgrewrite_status"), "ok");
    assert_eq!(wait_files(&d.aof_dir(), 3).len(), 3);
}

#[test]
fn automatic_rewrite_on_growth() {
    let d = TempDir::new("auto");
    let s = Srv::start(
        d.path(),
        &[
            "--appendonly",
            "yes",
            "--auto-aof-rewrite-percentage",
            "100",
            "--auto-aof-rewrite-min-size",
            "20kb",
        ],
    );
    let mut c = s.conn();
    let big = "x".repeat(1000);
    for i in 0..60 {
        c.call(&["SET", "same", &format!("{i}{big}")]);
    }
    assert!(c.wait_info("aof_rewrites", "1", Duration::from_secs(30)));
    assert!(c.wait_info("aof_rewrite_in_progress", "0", Duration::from_secs(30)));
    let size: u64 = c.info_field("aof_current_size").parse().unwrap();
    assert!(size < 5000, "compacted: {size}");
    assert!(s.wait_log(
        "Starting automatic rewriting of AOF",
        Duration::from_secs(5)
    ));
    assert!(c.call(&["GET", "same"]).text().starts_with("59x"));
}

#[test]
fn bgrewriteaof_replies_like_redis() {
    let d = TempDir::new("bgrw");
    let s = Srv::start(
        d.path(),
        &["--appendonly", "yes", "--rdb-key-save-delay", "2000"],
    );
    let mut c = s.conn();
    for i in 0..200 {
        c.call(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(
        c.call(&["BGREWRITEAOF"]),
        Reply::Status("Background append only file rewriting started".into())
    );
    assert_eq!(c.info_field("aof_rewrite_in_progress"), "1");
    assert_eq!(
        c.call(&["BGREWRITEAOF"]),
        Reply::Error("ERR Background append only file rewriting already in progress".into())
    );
    // Writes while the child works land in the new incremental file.
    c.call(&["SET", "during", "1"]);
    c.call(&["MULTI"]);
    c.call(&["BGREWRITEAOF"]);
    let r = c.call(&["EXEC"]).array();
    assert_eq!(
        r[0],
        Reply::Error("ERR Background append only file rewriting already in progress".into())
    );
    assert!(c.wait_info("aof_rewrite_in_progress", "0", Duration::from_secs(60)));
    c.call(&["MULTI"]);
    c.call(&["BGREWRITEAOF"]);
    let r = c.call(&["EXEC"]).array();
    assert_eq!(
        r[0],
        Reply::Status("Background append only file rewriting scheduled".into())
    );
    assert!(c.wait_info("aof_rewrites", "2", Duration::from_secs(10)));
    assert!(c.wait_info("aof_rewrite_in_progress", "0", Duration::from_secs(60)));
    s.shutdown();
    let s = Srv::start(d.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    assert_eq!(c.call(&["DBSIZE"]).int(), 201);
    assert_eq!(c.call(&["GET", "during"]).text(), "1");
}

#[test]
fn config_set_appendonly_at_runtime() {
    let d = TempDir::new("cfg");
    let s = Srv::start(
        d.path(),
        &["--appendonly", "no", "--rdb-key-save-delay", "1000"],
    );
    let mut c = s.conn();
    for i in 0..300 {
        c.call(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.info_field("aof_enabled"), "0");
    assert_eq!(
        c.call(&["CONFIG", "SET", "appendonly", "yes"]),
        Reply::Status("OK".into())
    );
    assert_eq!(c.info_field("aof_enabled"), "1");
    assert_eq!(c.info_field("aof_rewrite_in_progress"), "1");
    // Written while the base is being produced: kept in the temporary incremental file.
    c.call(&["SET", "during", "1"]);
    assert!(c.wait_info("aof_rewrite_in_progress", "0", Duration::from_secs(60)));
    assert_eq!(c.info_field("aof_last_bgrewrite_status"), "ok");
    c.call(&["SET", "after", "1"]);
    assert_eq!(
        c.call(&["CONFIG", "SET", "appendfsync", "always"]),
        Reply::Status("OK".into())
    );
    c.call(&["SET", "always", "1"]);
    assert_eq!(
        c.call(&["CONFIG", "SET", "appendonly", "no"]),
        Reply::Status("OK".into())
    );
    assert_eq!(c.info_field("aof_enabled"), "0");
    c.call(&["SET", "off", "1"]);
    s.shutdown();
    let s = Srv::start(d.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    assert_eq!(c.call(&["DBSIZE"]).int(), 303);
    assert_eq!(
        c.call(&["EXISTS", "during", "after", "always", "off"])
            .int(),
        3
    );
    let names: Vec<String> = wait_files(&d.aof_dir(), 3).into_keys().collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn write_errors_refuse_writes_with_misconf_until_solved() {
    let d = TempDir::new("werr");
    let fault = d.path().join("fault");
    let fault_s = fault.to_str().unwrap().to_string();
    let s = Srv::try_start(
        d.path(),
        &["--appendonly", "yes", "--appendfsync", "everysec"],
        &[("FERROKV_TEST_AOF_FAULT", &fault_s)],
    )
    .expect("start");
    let mut c = s.conn();
    c.call(&["SET", "a", "1"]);
    std::fs::write(&fault, "write").unwrap();
    // The write of this command fails after it ran: its reply still goes out (everysec
    // promises no more), the data stays in the buffer for the retry.
    assert_eq!(c.call(&["SET", "b", "2"]), Reply::Status("OK".into()));
    let r = c.call(&["SET", "c", "3"]);
    assert_eq!(
        r,
        Reply::Error("MISCONF Errors writing to the AOF file: No space left on device".into())
    );
    assert!(
        c.call(&["PING"]).is_error(),
        "PING is refused too, as in Redis"
    );
    c.call(&["MULTI"]);
    let r = c.call(&["SET", "c", "3"]);
    assert!(r.is_error());
    assert!(c.call(&["EXEC"]).is_error());
    assert_eq!(c.call(&["GET", "b"]).text(), "2");
    assert_eq!(c.info_field("aof_last_write_status"), "err");
    assert!(s.wait_log("Error writing to the AOF file", Duration::from_secs(5)));
    std::fs::remove_file(&fault).unwrap();
    assert!(c.wait_info("aof_last_write_status", "ok", Duration::from_secs(10)));
    assert_eq!(c.call(&["SET", "c", "3"]), Reply::Status("OK".into()));
    s.kill9();
    let s = Srv::start(d.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    assert_eq!(c.call(&["MGET", "a", "b", "c"]).array().len(), 3);
    for k in ["a", "b", "c"] {
        assert!(
            !matches!(c.call(&["GET", k]), Reply::Bulk(None)),
            "{k} lost"
        );
    }
}

/// Under `always` a write or fsync that fails ends the process before the reply of what
/// it would acknowledge goes out (redis-server does the same): the client sees the
/// connection close, never an OK for data that is not on disk, and the directory loads.
#[test]
fn always_exits_rather_than_acknowledge_what_is_not_on_disk() {
    for (what, line) in [
        (
            "write",
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
        ),
        (
            "fsync",
            "Can't persist AOF for fsync error when the AOF fsync policy is 'always': Input/output error. Exiting...",
        ),
    ] {
        let d = TempDir::new("always-fault");
        let fault = d.path().join("fault");
        let fault_s = fault.to_str().unwrap().to_string();
        let mut s = Srv::try_start(
            d.path(),
            &["--appendonly", "yes", "--appendfsync", "always"],
            &[("FERROKV_TEST_AOF_FAULT", &fault_s)],
        )
        .expect("start");
        let mut c = s.conn();
        assert_eq!(c.call(&["SET", "a", "1"]), Reply::Status("OK".into()));
        std::fs::write(&fault, what).unwrap();
        c.send(&[b"SET", b"b", b"2"]).unwrap();
        c.set_timeout(Duration::from_secs(10));
        assert!(c.read().is_err(), "{what}: a reply went out for data not on disk");
        let status = s.wait_exit(Duration::from_secs(10)).expect("the server exits");
        assert_eq!(status.code(), Some(1), "{what}");
        assert!(s.log().contains(line), "{what}: {}", s.log());
        std::fs::remove_file(&fault).unwrap();
        let s = Srv::start(d.path(), &["--appendonly", "yes"]);
        let mut c = s.conn();
        assert_eq!(c.call(&["GET", "a"]).text(), "1", "{what}");
        if what == "write" {
            // The failed write was cut from the file.
            assert_eq!(c.call(&["GET", "b"]), Reply::Bulk(None));
        }
    }
}
