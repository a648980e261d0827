//! `ferrokv-check-aof [--fix] <manifest or file>`: finds the first bad byte of an AOF, and
//! with `--fix` truncates there after asking, as redis-check-aof 7.0 does.
//!
//! Given a manifest, the base and incremental files it lists are checked in order; only
//! the last file may be truncated (earlier damage cannot be repaired by cutting). Given a
//! single file, it is checked alone. The output follows redis-check-aof's lines so that
//! scripts written for one work with the other.
//!
//! The file's bytes are only reached through checked accesses, so a damaged or changing
//! file gives a report, never a panic.

use super::manifest::Manifest;
use super::reader::{read_entry, Entry, ReadError};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

/// The outcome of checking one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub size: u64,
    /// Offset up to which the file is valid (a prefix of whole commands and transactions).
    pub ok_up_to: u64,
    /// Lines up to `ok_up_to`.
    pub ok_lines: u64,
    /// The first problem: offset and description.
    pub error: Option<(u64, String)>,
}

/// Checks one AOF file (RESP form).
pub fn check_file(path: &Path) -> io::Result<FileCheck> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut base_off = 0u64;
    let mut pos = 0usize;
    let mut eof = false;
    let mut spans = Vec::new();
    let mut multi = false;
    let mut ok_up_to = 0u64;
    let mut lines = 0u64;
    let mut ok_lines = 0u64;
    loop {
        match read_entry(&buf, pos, &mut spans) {
            Ok(e) => {
                let end = match e {
                    Entry::Annotation { end } | Entry::Command { end } => end,
                };
                let entry = buf.get(pos..end).unwrap_or_default();
                lines += memchr::memchr_iter(b'\n', entry).count() as u64;
                if let Entry::Command { .. } = e {
                    let name = spans
                        .first()
                        .and_then(|s| buf.get(s.start..s.end))
                        .unwrap_or_default();
                    if name.eq_ignore_ascii_case(b"multi") {
                        if multi {
                            return Ok(FileCheck {
                                size,
                                ok_up_to,
                                ok_lines,
                                error: Some((base_off + pos as u64, "Unexpected MULTI".into())),
                            });
                        }
                        multi = true;
                    } else if name.eq_ignore_ascii_case(b"exec") {
                        if !multi {
                            return Ok(FileCheck {
                                size,
                                ok_up_to,
                                ok_lines,
                                error: Some((base_off + pos as u64, "Unexpected EXEC".into())),
                            });
                        }
                        multi = false;
                    }
                }
                pos = end;
                if !multi {
                    ok_up_to = base_off + end as u64;
                    ok_lines = lines;
                }
            }
            Err(ReadError::Bad { offset, msg }) => {
                return Ok(FileCheck {
                    size,
                    ok_up_to,
                    ok_lines,
                    error: Some((base_off + offset as u64, msg)),
                });
            }
            Err(ReadError::Incomplete { need }) => {
                if eof {
                    let error = if pos < buf.len() {
                        Some((
                            base_off + pos as u64,
                            format!(
                                "Unexpected end of file: an incomplete command of {} bytes",
                                buf.len() - pos
                            ),
                        ))
                    } else if multi {
                        Some((
                            base_off + pos as u64,
                            "Reached EOF before reading EXEC for MULTI".into(),
                        ))
                    } else {
                        None
                    };
                    return Ok(FileCheck {
                        size,
                        ok_up_to,
                        ok_lines,
                        error,
                    });
                }
                buf.drain(..pos);
                base_off += pos as u64;
                pos = 0;
                let want = need.unwrap_or(0).max(buf.len() + (1 << 20));
                let len = buf.len();
                buf.resize(want, 0);
                let mut filled = 0;
                while let Some(dst) = buf.get_mut(len + filled..).filter(|d| !d.is_empty()) {
                    match f.read(dst) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                buf.truncate(len + filled);
            }
        }
    }
}

fn is_rdb(path: &Path) -> bool {
    let mut sig = [0u8; 5];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut sig))
        .is_ok()
        && &sig == b"REDIS"
}

/// What to do after a file was found damaged.
enum Verdict {
    Valid,
    Fixed,
    Exit(i32),
}

/// Reports on one file and fixes it if asked (and allowed). `line_base`: lines of the
/// files checked before (redis-check-aof counts lines across files).
fn check_and_report(
    display: &str,
    path: &Path,
    last: bool,
    fix: bool,
    line_base: &mut u64,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<Verdict> {
    let c = match check_file(path) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "Cannot open file {}: {e}", path.display())?;
            return Ok(Verdict::Exit(1));
        }
    };
    if let Some((off, msg)) = &c.error {
        writeln!(out, "0x{off:16x}: {msg}")?;
    }
    // (Saturating: the file may have grown while it was read.)
    let diff = c.size.saturating_sub(c.ok_up_to);
    writeln!(
        out,
        "AOF analyzed: filename={display}, size={}, ok_up_to={}, ok_up_to_line={}, diff={diff}",
        c.size,
        c.ok_up_to,
        *line_base + c.ok_lines
    )?;
    *line_base += c.ok_lines;
    if diff == 0 {
        return Ok(Verdict::Valid);
    }
    if !fix {
        writeln!(
            out,
            "AOF {display} is not valid. Use the --fix option to try fixing it."
        )?;
        return Ok(Verdict::Exit(1));
    }
    if !last {
        writeln!(
            out,
            "Failed to truncate AOF {display} because it is not the last file"
        )?;
        return Ok(Verdict::Exit(1));
    }
    writeln!(
        out,
        "This will shrink the AOF {display} from {} bytes, with {diff} bytes, to {} bytes",
        c.size, c.ok_up_to
    )?;
    write!(out, "Continue? [y/N]: ")?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    if !answer.trim_start().starts_with(['y', 'Y']) {
        writeln!(out, "Aborting...")?;
        return Ok(Verdict::Exit(1));
    }
    let r = OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(c.ok_up_to).and_then(|_| f.sync_all()));
    match r {
        Ok(()) => {
            writeln!(out, "Successfully truncated AOF {display}")?;
            Ok(Verdict::Fixed)
        }
        Err(e) => {
            writeln!(out, "Failed to truncate AOF {display}: {e}")?;
            Ok(Verdict::Exit(1))
        }
    }
}

fn usage(prog: &str, out: &mut dyn Write) -> io::Result<i32> {
    writeln!(out, "Usage: {prog} [--fix] <file.manifest|file.aof>")?;
    Ok(1)
}

/// The tool's main: arguments after the program name. Returns the exit code.
pub fn run(prog: &str, args: &[String], input: &mut dyn BufRead, out: &mut dyn Write) -> i32 {
    run_io(prog, args, input, out).unwrap_or(1)
}

fn run_io(
    prog: &str,
    args: &[String],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> io::Result<i32> {
    let (fix, target) = match args {
        [f] if f != "--fix" => (false, f),
        [opt, f] if opt == "--fix" => (true, f),
        [opt, _] => {
            writeln!(out, "Invalid argument: {opt}")?;
            return Ok(1);
        }
        [] | [_] => return usage(prog, out),
        _ => {
            writeln!(out, "Invalid arguments")?;
            return Ok(1);
        }
    };
    let path = PathBuf::from(target);
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(_) => {
            writeln!(out, "Cannot open file: {target}")?;
            return Ok(1);
        }
    };
    let mut lines = 0u64;
    if target.ends_with(super::manifest::MANIFEST_SUFFIX) {
        writeln!(out, "Start checking Multi Part AOF")?;
        let text = std::fs::read(&path)?;
        let m = match Manifest::parse(&text) {
            Ok(m) => m,
            Err(e) => {
                writeln!(out, "Invalid AOF manifest {target}: {e}")?;
                return Ok(1);
            }
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let files = m.files_to_load();
        if files.is_empty() {
            writeln!(out, "The AOF manifest {target} lists no file")?;
            return Ok(1);
        }
        let n = files.len();
        let mut fixed = false;
        let mut printed_incr = false;
        for (i, f) in files.iter().enumerate() {
            let fp = dir.join(&f.name);
            let last = i + 1 == n;
            let what = if m.base.as_ref() == Some(*f) {
                "BASE AOF"
            } else {
                if !printed_incr {
                    writeln!(out, "Start to check INCR files.")?;
                    printed_incr = true;
                }
                "INCR AOF"
            };
            if what == "BASE AOF" {
                if is_rdb(&fp) {
                    writeln!(out, "Start to check BASE AOF (RDB format).")?;
                    writeln!(
                        out,
                        "BASE AOF {} is in RDB format, which this tool cannot check: skipped",
                        f.name
                    )?;
                    continue;
                }
                writeln!(out, "Start to check BASE AOF (RESP format).")?;
            }
            match check_and_report(&f.name, &fp, last, fix, &mut lines, input, out)? {
                Verdict::Valid => writeln!(out, "{what} {} is valid", f.name)?,
                Verdict::Fixed => fixed = true,
                Verdict::Exit(code) => return Ok(code),
            }
        }
        let _ = fixed;
        writeln!(out, "All AOF files and manifest are valid")?;
        return Ok(0);
    }
    if meta.len() == 0 {
        writeln!(out, "Empty file: {target}")?;
        return Ok(1);
    }
    if is_rdb(&path) {
        writeln!(
            out,
            "{target} is in RDB format (RDB preamble), which this tool cannot check"
        )?;
        return Ok(1);
    }
    writeln!(out, "Start checking Old-Style AOF")?;
    match check_and_report(target, &path, true, fix, &mut lines, input, out)? {
        Verdict::Valid => writeln!(out, "AOF {target} is valid")?,
        Verdict::Fixed => {}
        Verdict::Exit(code) => return Ok(code),
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ferrokv-check-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    const SET: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";

    #[test]
    fn finds_torn_tail_and_fixes_it() {
        let d = tmpdir("torn");
        let mut data = SET.to_vec();
        data.extend_from_slice(&SET[..10]);
        let p = d.join("a.aof");
        std::fs::write(&p, &data).unwrap();
        let c = check_file(&p).unwrap();
        assert_eq!(c.ok_up_to, SET.len() as u64);
        assert_eq!(c.error.as_ref().unwrap().0, SET.len() as u64);
        let mut out = Vec::new();
        let code = run(
            "x",
            &["--fix".into(), p.display().to_string()],
            &mut &b"y\n"[..],
            &mut out,
        );
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&out));
        assert_eq!(std::fs::read(&p).unwrap(), SET);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn multi_without_exec_is_cut_before_multi() {
        let d = tmpdir("multi");
        let mut data = SET.to_vec();
        data.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        data.extend_from_slice(SET);
        let p = d.join("a.aof");
        std::fs::write(&p, &data).unwrap();
        let c = check_file(&p).unwrap();
        assert_eq!(c.ok_up_to, SET.len() as u64);
        assert!(c.error.unwrap().1.contains("EXEC"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn manifest_only_last_file_fixable() {
        let d = tmpdir("manifest");
        std::fs::write(
            d.join("x.aof.manifest"),
            "file x.aof.1.base.aof seq 1 type b\nfile x.aof.1.incr.aof seq 1 type i\n",
        )
        .unwrap();
        let mut bad = SET.to_vec();
        bad[5] = b'X';
        std::fs::write(d.join("x.aof.1.base.aof"), &bad).unwrap();
        std::fs::write(d.join("x.aof.1.incr.aof"), SET).unwrap();
        let m = d.join("x.aof.manifest").display().to_string();
        let mut out = Vec::new();
        let code = run(
            "x",
            &["--fix".into(), m.clone()],
            &mut &b"y\n"[..],
            &mut out,
        );
        let text = String::from_utf8_lossy(&out);
        assert_eq!(code, 1, "{text}");
        assert!(text.contains("not the last file"), "{text}");
        assert_eq!(std::fs::read(d.join("x.aof.1.base.aof")).unwrap(), bad);
        let mut out = Vec::new();
        std::fs::write(d.join("x.aof.1.base.aof"), SET).unwrap();
        assert_eq!(run("x", &[m], &mut &b""[..], &mut out), 0);
        assert!(String::from_utf8_lossy(&out).contains("All AOF files and manifest are valid"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
