//! The AOF manifest: which files make up the append-only file, in Redis 7.0's format.
//!
//! `dir/appenddirname/appendfilename.manifest` lists one file a line:
//! `file <name> seq <n> type <b|h|i>` — at most one base (`b`), history files (`h`, left
//! over from a finished rewrite, deleted soon after) and the incremental files (`i`) in
//! sequence order. Base files are named `<appendfilename>.<seq>.base.<aof|rdb>`, incremental
//! ones `<appendfilename>.<seq>.incr.aof`. The manifest is replaced atomically: written to
//! `temp-<appendfilename>.manifest`, fsynced, renamed over the old one, and the directory
//! fsynced.
//!
//! A manifest that does not parse is a `ManifestError` (Redis's texts, with the line);
//! reading one from the disk wraps it in an `AofError` naming the file.
//!
//! New files are numbered from the manifest's last base or incremental sequence number.
//! A manifest may carry any number up to i64::MAX; when there is no next one, naming a
//! file is an error (`AofError::SeqOverflow`) and the manifest is left as it was: the
//! rewrite that needed the file fails (logged, `aof_last_bgrewrite_status:err`), and at
//! start-up the server refuses to start.

use super::error::{AofError, LineError, ManifestError, SeqKind};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: i64,
    pub kind: FileKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Base,
    History,
    Incr,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

/// The parsed manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    pub incrs: Vec<FileInfo>,
    pub history: Vec<FileInfo>,
    pub cur_base_seq: i64,
    pub cur_incr_seq: i64,
}

pub const BASE_SUFFIX: &str = ".base";
pub const INCR_SUFFIX: &str = ".incr";
pub const AOF_FORMAT_SUFFIX: &str = ".aof";
pub const RDB_FORMAT_SUFFIX: &str = ".rdb";
pub const MANIFEST_SUFFIX: &str = ".manifest";
pub const TEMP_PREFIX: &str = "temp-";

/// `appendonly.aof.manifest`
pub fn manifest_name(aof_filename: &str) -> String {
    format!("{aof_filename}{MANIFEST_SUFFIX}")
}

/// `temp-appendonly.aof.manifest`
pub fn temp_manifest_name(aof_filename: &str) -> String {
    format!("{TEMP_PREFIX}{aof_filename}{MANIFEST_SUFFIX}")
}

/// `temp-appendonly.aof.incr`: where writes go while the AOF is being turned on.
pub fn temp_incr_name(aof_filename: &str) -> String {
    format!("{TEMP_PREFIX}{aof_filename}{INCR_SUFFIX}")
}

/// Whether a file name must be quoted in the manifest (Redis's sdsneedsrepr).
fn needs_repr(s: &str) -> bool {
    s.bytes().any(|b| {
        matches!(b, b'\\' | b'"' | b'\n' | b'\r' | b'\t' | 7 | 8)
            || !(0x20..0x7f).contains(&b)
            || b == b' '
    })
}

/// Quotes a name the way Redis's sdscatrepr does.
fn repr(s: &str) -> String {
    crate::util::split::repr(s.as_bytes())
}

impl Manifest {
    /// Parses a manifest, with Redis's error texts. Lines starting with `#` are comments;
    /// unknown keys are ignored (forward compatibility).
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut maxseq = 0;
        let mut lines = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    let (line, nl) = rest.split_at(i);
                    (line, nl.get(1..).unwrap_or_default())
                }
                None => {
                    // Redis reads lines with fgets; a last line without a newline is only
                    // accepted when short enough, like any other.
                    (rest, &[][..])
                }
            };
            rest = next;
            lines += 1;
            if line.first() == Some(&b'#') {
                continue;
            }
            if line.len() > 1024 {
                return Err(ManifestError::LineTooLong);
            }
            let trimmed = trim(line);
            let at = |kind| ManifestError::Line {
                kind,
                line: lines,
                text: String::from_utf8_lossy(trimmed).into_owned(),
            };
            if trimmed.is_empty() {
                return Err(at(LineError::InvalidFormat));
            }
            let argv = match crate::util::split::split_args(trimmed) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(at(LineError::InvalidFormat)),
            };
            let mut name: Option<String> = None;
            let mut seq: i64 = 0;
            let mut kind: u8 = 0;
            for kv in argv.chunks(2) {
                let [k, v] = kv else {
                    continue; // argv has an even length
                };
                if k.eq_ignore_ascii_case(b"file") {
                    let n = String::from_utf8_lossy(v).into_owned();
                    if n.contains('/') {
                        return Err(at(LineError::FileIsPath));
                    }
                    name = Some(n);
                } else if k.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(v);
                } else if k.eq_ignore_ascii_case(b"type") {
                    kind = v.first().copied().unwrap_or(0);
                }
            }
            // An empty name (`file ""`) names no file and could not be written back.
            let name = name.filter(|n| !n.is_empty());
            let (Some(name), true, true) = (name, seq != 0, kind != 0) else {
                return Err(at(LineError::InvalidFormat));
            };
            match kind {
                b'b' => {
                    if m.base.is_some() {
                        return Err(at(LineError::DuplicateBase));
                    }
                    m.cur_base_seq = seq;
                    m.base = Some(FileInfo {
                        name,
                        seq,
                        kind: FileKind::Base,
                    });
                }
                b'h' => m.history.push(FileInfo {
                    name,
                    seq,
                    kind: FileKind::History,
                }),
                b'i' => {
                    if seq <= maxseq {
                        return Err(at(LineError::NonMonotonic));
                    }
                    maxseq = seq;
                    m.cur_incr_seq = seq;
                    m.incrs.push(FileInfo {
                        name,
                        seq,
                        kind: FileKind::Incr,
                    });
                }
                _ => return Err(at(LineError::UnknownType)),
            }
        }
        if lines == 0 {
            return Err(ManifestError::Empty);
        }
        Ok(m)
    }

    /// The manifest's text: base first, then history, then incremental files.
    pub fn format(&self) -> String {
        let mut s = String::new();
        let all = self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incrs.iter());
        for f in all {
            let name = if needs_repr(&f.name) {
                repr(&f.name)
            } else {
                f.name.clone()
            };
            s.push_str(&format!(
                "file {name} seq {} type {}\n",
                f.seq,
                f.kind.letter()
            ));
        }
        s
    }

    /// Names a new base file (`<aof>.<seq>.base.aof`) and turns the previous base, if any,
    /// into a history file. Returns the new name; when the sequence is exhausted, an error
    /// and nothing changed.
    pub fn new_base(&mut self, aof_filename: &str) -> Result<String, AofError> {
        let seq = next_seq(self.cur_base_seq, SeqKind::Base)?;
        if let Some(mut old) = self.base.take() {
            old.kind = FileKind::History;
            self.history.insert(0, old);
        }
        self.cur_base_seq = seq;
        let name = format!(
            "{aof_filename}.{}{BASE_SUFFIX}{AOF_FORMAT_SUFFIX}",
            self.cur_base_seq
        );
        self.base = Some(FileInfo {
            name: name.clone(),
            seq: self.cur_base_seq,
            kind: FileKind::Base,
        });
        Ok(name)
    }

    /// Adds a new incremental file (`<aof>.<seq>.incr.aof`) at the end; returns its name
    /// (or, when the sequence is exhausted, an error and nothing changed).
    pub fn new_incr(&mut self, aof_filename: &str) -> Result<String, AofError> {
        self.cur_incr_seq = next_seq(self.cur_incr_seq, SeqKind::Incr)?;
        let name = format!(
            "{aof_filename}.{}{INCR_SUFFIX}{AOF_FORMAT_SUFFIX}",
            self.cur_incr_seq
        );
        self.incrs.push(FileInfo {
            name: name.clone(),
            seq: self.cur_incr_seq,
            kind: FileKind::Incr,
        });
        Ok(name)
    }

    /// The last incremental file, or a new one when there is none.
    pub fn last_incr(&mut self, aof_filename: &str) -> Result<String, AofError> {
        match self.incrs.last() {
            Some(f) => Ok(f.name.clone()),
            None => self.new_incr(aof_filename),
        }
    }

    /// After a rewrite: the incremental files it covers become history. With `keep_last`,
    /// the last one (the file being written now) stays.
    pub fn mark_rewritten_incrs_as_history(&mut self, keep_last: bool) {
        let keep = if keep_last && !self.incrs.is_empty() {
            self.incrs.pop()
        } else {
            None
        };
        for mut f in std::mem::take(&mut self.incrs).into_iter().rev() {
            f.kind = FileKind::History;
            self.history.insert(0, f);
        }
        self.incrs.extend(keep);
    }

    /// The files to load, in order: the base (if any), then the incremental files.
    pub fn files_to_load(&self) -> Vec<&FileInfo> {
        self.base.iter().chain(self.incrs.iter()).collect()
    }

    /// Whether the manifest lists nothing to load.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }

    /// Reads `<dir>/<aof>.manifest`; `Ok(None)` when the directory or the file is missing.
    pub fn load(dir: &Path, aof_filename: &str) -> Result<Option<Manifest>, AofError> {
        let path = dir.join(manifest_name(aof_filename));
        match fs::read(&path) {
            Ok(text) => match Manifest::parse(&text) {
                Ok(m) => Ok(Some(m)),
                Err(err) => Err(AofError::Manifest { path, err }),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(AofError::ManifestOpen { path, err }),
        }
    }

    /// Replaces `<dir>/<aof>.manifest` atomically: temporary file, fsync, rename, fsync of
    /// the directory.
    pub fn persist(&self, dir: &Path, aof_filename: &str) -> io::Result<()> {
        self.persist_tagged(dir, aof_filename, "manifest")
    }

    /// `persist`, with the crash-injection steps named `<tag>:temp-written` and
    /// `<tag>:renamed`.
    pub fn persist_tagged(&self, dir: &Path, aof_filename: &str, tag: &str) -> io::Result<()> {
        let tmp = dir.join(temp_manifest_name(aof_filename));
        let dst = dir.join(manifest_name(aof_filename));
        let text = self.format();
        let res = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o644)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            Ok::<(), io::Error>(())
        })();
        if let Err(e) = res {
            log::warn!(
                "Error trying to write the temporary AOF manifest file {}: {e}",
                tmp.display()
            );
            return Err(e);
        }
        super::test_hooks::crash_point(&format!("{tag}:temp-written"));
        if let Err(e) = fs::rename(&tmp, &dst) {
            log::warn!(
                "Error trying to rename the temporary AOF manifest file {} into {}: {e}",
                tmp.display(),
                dst.display()
            );
            return Err(e);
        }
        super::test_hooks::crash_point(&format!("{tag}:renamed"));
        if let Err(e) = fsync_dir(dir) {
            log::warn!("Fail to fsync AOF directory {}: {e}.", dir.display());
            return Err(e);
        }
        Ok(())
    }
}

/// The sequence number after `seq`. A manifest may carry any number up to i64::MAX (a
/// larger one reads as i64::MAX, as with Redis's atoll); past it there is none.
fn next_seq(seq: i64, kind: SeqKind) -> Result<i64, AofError> {
    seq.checked_add(1)
        .ok_or(AofError::SeqOverflow { kind, seq })
}

/// fsyncs a directory so that renames and new files in it are durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn trim(mut b: &[u8]) -> &[u8] {
    let is_ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    while let [first, rest @ ..] = b {
        if !is_ws(first) {
            break;
        }
        b = rest;
    }
    while let [rest @ .., last] = b {
        if !is_ws(last) {
            break;
        }
        b = rest;
    }
    b
}

/// C's atoll: leading digits, 0 when none.
fn atoll(b: &[u8]) -> i64 {
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg || b.first() == Some(&b'+') {
        i = 1;
    }
    let mut n: i64 = 0;
    while let Some(&c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add((c - b'0') as i64);
        i += 1;
    }
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_redis_format() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.4.incr.aof seq 4 type i\n\
                    file appendonly.aof.5.incr.aof seq 5 type i\n";
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.cur_incr_seq, 5);
        assert_eq!(m.format(), text);
    }

    #[test]
    fn rejects_bad_manifests() {
        assert!(Manifest::parse(b"").is_err());
        assert!(Manifest::parse(b"file a seq 1\n").is_err());
        assert!(Manifest::parse(b"file a/b seq 1 type b\n").is_err());
        assert!(Manifest::parse(b"file a seq 1 type x\n").is_err());
        assert!(Manifest::parse(b"file a seq 2 type i\nfile b seq 2 type i\n").is_err());
        assert!(Manifest::parse(b"file a seq 1 type b\nfile b seq 2 type b\n").is_err());
        assert!(Manifest::parse(b"\n").is_err());
        // Comments and extra keys are fine.
        let m = Manifest::parse(b"# hi\nfile a seq 1 type b extra x\n").unwrap();
        assert_eq!(m.base.unwrap().name, "a");
    }

    #[test]
    fn sequence_numbers_at_i64_max_do_not_overflow() {
        // Like Redis's atoll, a seq beyond i64 reads as i64::MAX.
        let text = "file b seq 99999999999999999999 type b\n\
                    file i seq 9223372036854775807 type i\n";
        let mut m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!((m.cur_base_seq, m.cur_incr_seq), (i64::MAX, i64::MAX));
        let before = m.clone();
        let _ = m.new_incr("a");
        let _ = m.new_base("a");
        assert_eq!(m, before, "a file that cannot be numbered changes nothing");
        assert!(matches!(
            m.new_incr("a"),
            Err(AofError::SeqOverflow {
                kind: SeqKind::Incr,
                seq: i64::MAX
            })
        ));
        assert_eq!(
            m.new_base("a").map_err(|e| e.to_string()),
            Err("Invalid AOF file sequence: the AOF manifest's base sequence number 9223372036854775807 leaves no room for a new base file".to_string())
        );
    }

    #[test]
    fn quoted_names() {
        let mut m = Manifest::default();
        m.new_base("my file.aof").unwrap();
        let t = m.format();
        assert_eq!(t, "file \"my file.aof.1.base.aof\" seq 1 type b\n");
        assert_eq!(Manifest::parse(t.as_bytes()).unwrap(), m);
    }

    #[test]
    fn rewrite_bookkeeping() {
        let mut m = Manifest::default();
        m.new_base("a.aof").unwrap();
        m.new_incr("a.aof").unwrap();
        m.new_incr("a.aof").unwrap();
        m.new_base("a.aof").unwrap();
        m.mark_rewritten_incrs_as_history(true);
        assert_eq!(m.base.as_ref().unwrap().name, "a.aof.2.base.aof");
        assert_eq!(
            m.history
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            vec!["a.aof.1.incr.aof", "a.aof.1.base.aof"]
        );
        assert_eq!(m.incrs[0].name, "a.aof.2.incr.aof");
    }

    #[test]
    fn an_empty_file_name_is_an_invalid_line() {
        assert!(Manifest::parse(b"file \"\" seq 1 type b\n").is_err());
    }

    /// Parses `text` and, when it parses, names new files from it the way a rewrite
    /// does: neither may panic, whatever the text.
    fn parse_and_use(text: &[u8]) {
        if let Ok(mut m) = Manifest::parse(text) {
            let _ = m.format();
            let _ = m.files_to_load();
            let _ = m.last_incr("a.aof");
            let _ = m.new_incr("a.aof");
            let _ = m.new_base("a.aof");
            m.mark_rewritten_incrs_as_history(true);
            // What is written back parses again.
            if !m.is_empty() || !m.history.is_empty() {
                assert!(Manifest::parse(m.format().as_bytes()).is_ok());
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn random_manifests_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            parse_and_use(&data);
        }

        #[test]
        fn manifest_like_lines_never_panic(
            lines in proptest::collection::vec(
                (
                    "[a-z./\" \\\\]{0,12}",
                    "-?[0-9]{1,22}",
                    "[bhix]?",
                    "( [a-z]{1,4} [a-z0-9]{0,4})?",
                ),
                0..6,
            ),
        ) {
            let mut text = String::new();
            for (name, seq, kind, extra) in lines {
                text.push_str(&format!("file {name} seq {seq} type {kind}{extra}\n"));
            }
            parse_and_use(text.as_bytes());
        }
    }
}
