//! Loading damaged AOF directories: a torn last command is cut away (every cut point), a
//! garbage byte anywhere else stops start-up naming the file and offset without touching
//! anything, an RDB base is refused, and ferrokv-check-aof finds and fixes the same.

mod aof_common;
use aof_common::*;
use std::time::Duration;

/// A directory with a base and an incremental file holding k0..k9, written by the server.
fn prepared() -> TempDir {
    let d = TempDir::new("prep");
    let s = Srv::start(d.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    for i in 0..10 {
        assert_eq!(
            c.call(&["SET", &format!("k{i}"), &format!("v{i}")]),
            Reply::Status("OK".into())
        );
    }
    c.call(&["HSET", "h", "f", "v"]);
    s.shutdown();
    d
}

fn count_keys(c: &mut Conn) -> i64 {
    c.call(&["DBSIZE"]).int()
}

#[test]
fn torn_last_command_every_cut_loads_the_prefix() {
    let base = prepared();
    let tail = resp(&[b"SET", b"last", b"value"]);
    let incr_name = last_incr(&base.aof_dir())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let orig_len = std::fs::metadata(base.aof_dir().join(&incr_name))
        .unwrap()
        .len();
    let n0 = {
        let d = TempDir::new("n0");
        copy_dir(base.path(), d.path());
        let s = Srv::start(d.path(), &["--appendonly", "yes"]);
        let mut c = s.conn();
        count_keys(&mut c)
    };
    for cut in 0..=tail.len() {
        let d = TempDir::new("cut");
        copy_dir(base.path(), d.path());
        let incr = d.aof_dir().join(&incr_name);
        let mut data = std::fs::read(&incr).unwrap();
        data.extend_from_slice(&tail[..cut]);
        std::fs::write(&incr, &data).unwrap();
        let s = Srv::start(d.path(), &["--appendonly", "yes"]);
        let mut c = s.conn();
        let want_last = cut == tail.len();
        assert_eq!(count_keys(&mut c), n0 + want_last as i64, "cut at {cut}");
        assert_eq!(c.call(&["GET", "k9"]).text(), "v9");
        let len = std::fs::metadata(&incr).unwrap().len();
        if cut == 0 || want_last {
            assert_eq!(len, orig_len + cut as u64, "cut at {cut}: file untouched");
        } else {
            assert!(
                s.wait_log("Truncating the AOF", Duration::from_secs(5)),
                "cut at {cut}: no warning in\n{}",
                s.log()
            );
            assert_eq!(len, orig_len, "cut at {cut}: torn tail truncated");
        }
        // Appending after the cut works and survives a restart.
        c.call(&["SET", "after", "1"]);
        s.shutdown();
        let s = Srv::start(d.path(), &["--appendonly", "yes"]);
        let mut c = s.conn();
        assert_eq!(c.call(&["GET", "after"]).text(), "1", "cut at {cut}");
        assert_eq!(count_keys(&mut c), n0 + 1 + want_last as i64);
    }
}

#[test]
fn torn_tail_with_aof_load_truncated_no_stops() {
    let d = prepared();
    let incr = last_incr(&d.aof_dir());
    let mut data = std::fs::read(&incr).unwrap();
    data.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nx");
    std::fs::write(&incr, &data).unwrap();
    let before = snapshot_dir(&d.aof_dir());
    let err = Srv::try_start(
        d.path(),
        &["--appendonly", "yes", "--aof-load-truncated", "no"],
        &[],
    )
    .err()
    .expect("must refuse");
    assert!(err.contains("Unexpected end of file"), "{err}");
    assert!(
        err.contains(incr.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
    assert_eq!(snapshot_dir(&d.aof_dir()), before, "nothing modified");
}

#[test]
fn open_multi_at_the_end_is_reverted() {
    let d = prepared();
    let incr = last_incr(&d.aof_dir());
    let orig = std::fs::read(&incr).unwrap();
    let mut data = orig.clone();
    data.extend(resp(&[b"MULTI"]));
    data.extend(resp(&[b"SET", b"tx1", b"1"]));
    data.extend(resp(&[b"SET", b"tx2", b"2"]));
    std::fs::write(&incr, &data).unwrap();
    let s = Srv::start(d.path(), &["--appendonly", "yes"]);
    let mut c = s.conn();
    assert_eq!(c.call(&["EXISTS", "tx1", "tx2"]).int(), 0);
    assert_eq!(std::fs::read(&incr).unwrap(), orig);
    drop(s);
    // A complete transaction is applied.
    let mut data = orig.clone();
    data.extend(resp(&[b"MULTI"]));
    data.extend(resp(&[b"SET", b"tx1", b"1"]));
    data.extend(resp(&[b"EXEC"]));
    std::fs::write(&incr, &data).unwrap();
    let s = Srv::start(d.path(), &["--appendonly", "yes"]);
    assert_eq!(s.conn().call(&["GET", "tx1"]).text(), "1");
}

#[test]
fn garbage_in_the_middle_is_refused_with_file_and_offset() {
    let d = prepared();
    let base = d.aof_dir();
    let incr = last_incr(&base);
    let name = incr.file_name().unwrap().to_string_lossy().into_owned();
    let orig = std::fs::read(&incr).unwrap();
    let before = snapshot_dir(&base);
    // Every position in the first half of the file: an extra byte breaks the framing.
    let half = orig.len() / 2;
    let positions: Vec<usize> = (0..half).step_by(7).collect();
    for &pos in &positions {
        let mut data = orig.clone();
        data.insert(pos, b'!');
        std::fs::write(&incr, &data).unwrap();
        let err = Srv::try_start(d.path(), &["--appendonly", "yes"], &[])
            .err()
            .unwrap_or_else(|| panic!("garbage at {pos} was accepted"));
        assert!(err.contains(&name), "pos {pos}: {err}");
        assert!(err.contains("at offset"), "pos {pos}: {err}");
        assert_eq!(
            std::fs::read(&incr).unwrap(),
            data,
            "pos {pos}: file modified"
        );
        // The offset reported is where the damage is seen (at or after the byte).
        let off: usize = err
            .split("at offset ")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse().ok())
            .expect("offset");
        assert!(
            off >= pos.saturating_sub(20) && off <= pos + 20,
            "pos {pos} reported {off}"
        );
    }
    std::fs::write(&incr, &orig).unwrap();
    assert_eq!(snapshot_dir(&base), before);
}

#[test]
fn rdb_base_is_refused_naming_the_file() {
    let d = TempDir::new("rdb");
    let dir = d.aof_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("appendonly.aof.1.base.rdb"),
        b"REDIS0010\xfa\x09redis-ver",
    )
    .unwrap();
    std::fs::write(
        dir.join("appendonly.aof.1.incr.aof"),
        resp(&[b"SET", b"a", b"1"]),
    )
    .unwrap();
    let before = snapshot_dir(&dir);
    let err = Srv::try_start(d.path(), &["--appendonly", "yes"], &[])
        .err()
        .expect("refused");
    assert!(err.contains("appendonly.aof.1.base.rdb"), "{err}");
    assert!(err.contains("RDB"), "{err}");
    assert_eq!(snapshot_dir(&dir), before);
}

#[test]
fn missing_listed_file_is_fatal() {
    let d = prepared();
    let incr = last_incr(&d.aof_dir());
    std::fs::remove_file(&incr).unwrap();
    let err = Srv::try_start(d.path(), &["--appendonly", "yes"], &[])
        .err()
        .expect("refused");
    assert!(
        err.contains(incr.file_name().unwrap().to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn check_aof_reports_and_fixes() {
    let d = prepared();
    let incr = last_incr(&d.aof_dir());
    let manifest = d.aof_dir().join("appendonly.aof.manifest");
    let good_len = std::fs::metadata(&incr).unwrap().len();
    let mut data = std::fs::read(&incr).unwrap();
    data.extend_from_slice(b"*2\r\n$3\r\nDEL\r\n$2\r\nk");
    std::fs::write(&incr, &data).unwrap();
    let tool = env!("CARGO_BIN_EXE_ferrokv-check-aof");
    let out = std::process::Command::new(tool)
        .arg(&manifest)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("ok_up_to={good_len}")), "{text}");
    assert!(text.contains("is not valid"), "{text}");
    // --fix, answering no: nothing changes.
    let run_fix = |answer: &str| {
        let mut child = std::process::Command::new(tool)
            .args(["--fix", manifest.to_str().unwrap()])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, text) = run_fix("n\n");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Aborting"), "{text}");
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), data.len() as u64);
    let (code, text) = run_fix("y\n");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Successfully truncated"), "{text}");
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), good_len);
    let out = std::process::Command::new(tool)
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // The same files pass redis-check-aof 7.0 when it is installed.
    if std::path::Path::new("/usr/bin/redis-check-aof").exists() {
        let o = std::process::Command::new("/usr/bin/redis-check-aof")
            .arg(&manifest)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn clients_get_loading_while_the_aof_loads() {
    let d = TempDir::new("loading");
    let dir = d.aof_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("appendonly.aof.manifest"),
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    )
    .unwrap();
    let mut data = Vec::new();
    for i in 0..1500 {
        data.extend(resp(&[b"SET", format!("key:{i}").as_bytes(), b"v"]));
    }
    std::fs::write(dir.join("appendonly.aof.1.base.aof"), &data).unwrap();
    std::fs::write(dir.join("appendonly.aof.1.incr.aof"), b"").unwrap();
    // 1 ms per command: about 1.5 s of loading, with events served every 1 KB.
    let s = Srv::start_early(
        d.path(),
        &[
            "--appendonly",
            "yes",
            "--key-load-delay",
            "1000",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut c = loop {
        if let Ok(c) = Conn::try_new(s.port) {
            break c;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let r = c.call(&["GET", "key:1"]);
    assert_eq!(
        r,
        Reply::Error("LOADING Redis is loading the dataset in memory".into())
    );
    assert_eq!(c.info_field("loading"), "1");
    assert!(!c.info_field("loading_total_bytes").is_empty());
    assert!(c.wait_info("loading", "0", Duration::from_secs(60)));
    assert_eq!(c.call(&["DBSIZE"]).int(), 1500);
}
