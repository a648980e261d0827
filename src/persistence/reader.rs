//! Reading AOF files: one entry (a RESP multibulk command or a `#` annotation line) at a
//! time, with byte offsets.
//!
//! The framing is checked strictly (digits and CRLF exactly where they belong), so damage
//! shows up at the first byte that breaks the format. What a crash mid-write leaves is a
//! clean prefix of an entry at the end of the file: that is reported as `Incomplete`, apart
//! from `Bad` (a byte that can never start or continue a valid entry), so the loader can
//! tell a torn tail from corruption.
//!
//! Whatever the bytes, the reader answers with an entry or an error and never panics:
//! numbers are accumulated with checked arithmetic (a count or length above i64::MAX is
//! "Number too large"), and every access to the buffer is checked. Property tests feed
//! it random and mutated files.

use crate::resp::parse::Span;

/// Longest `*<count>` or `$<len>` line accepted (Redis's loader reads them into a 128-byte
/// buffer; annotations are limited to 1024 bytes).
const MAX_NUMBER_LINE: usize = 32;
pub const MAX_ANNOTATION_LINE: usize = 1024;
/// Sanity caps on a count and a length, far above anything Redis writes.
const MAX_ARGC: i64 = 1 << 30;
const MAX_BULK: i64 = 1 << 40;

/// One entry read from the file.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    /// A command; its arguments are in the spans. `end` is the offset just after it.
    Command { end: usize },
    /// A `#...` annotation line (e.g. `#TS:1700000000`), skipped by the loader.
    Annotation { end: usize },
}

/// Why no entry could be read.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The bytes so far are a valid beginning of an entry; more are needed. At the end of
    /// a file this is a torn tail. `need` is how many bytes the entry needs at least
    /// (from the start of the entry), when known.
    Incomplete { need: Option<usize> },
    /// The byte at `offset` breaks the format.
    Bad { offset: usize, msg: String },
}

fn bad(offset: usize, msg: impl Into<String>) -> ReadError {
    ReadError::Bad {
        offset,
        msg: msg.into(),
    }
}

/// Reads `<prefix><decimal>\r\n` at `pos`; returns the number and the offset after it.
fn number_line(buf: &[u8], pos: usize, prefix: u8) -> Result<(i64, usize), ReadError> {
    match buf.get(pos) {
        None => return Err(ReadError::Incomplete { need: None }),
        Some(&b) if b != prefix => {
            return Err(bad(
                pos,
                format!(
                    "Expected prefix '{}', got: '{}'",
                    prefix as char,
                    printable(b)
                ),
            ))
        }
        _ => {}
    }
    let mut i = pos + 1;
    let mut n: i64 = 0;
    let mut neg = false;
    let mut digits = 0;
    loop {
        let Some(&b) = buf.get(i) else {
            if i - pos > MAX_NUMBER_LINE {
                return Err(bad(i, "Number line too long"));
            }
            return Err(ReadError::Incomplete { need: None });
        };
        match b {
            b'-' if i == pos + 1 => neg = true,
            b'0'..=b'9' => {
                digits += 1;
                // Leading zeros aside, 19 digits may still exceed i64::MAX.
                let next = n
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(i64::from(b - b'0')));
                match next {
                    Some(v) if digits <= 19 => n = v,
                    _ => return Err(bad(i, "Number too large")),
                }
            }
            b'\r' => {
                if digits == 0 {
                    return Err(bad(i, "Expected a number"));
                }
                match buf.get(i + 1) {
                    None => return Err(ReadError::Incomplete { need: None }),
                    Some(b'\n') => return Ok((if neg { -n } else { n }, i + 2)),
                    Some(&o) => return Err(bad(i + 1, format!("Expected \\r\\n, got: 0d{o:02x}"))),
                }
            }
            other => {
                return Err(bad(
                    i,
                    format!("Invalid character '{}' in a number", printable(other)),
                ))
            }
        }
        i += 1;
        if i - pos > MAX_NUMBER_LINE {
            return Err(bad(i, "Number line too long"));
        }
    }
}

fn printable(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        (b as char).to_string()
    } else {
        format!("\\x{b:02x}")
    }
}

/// Reads the entry starting at `pos`. On `Command`, `spans` holds the arguments as
/// offsets into `buf`.
pub fn read_entry(buf: &[u8], pos: usize, spans: &mut Vec<Span>) -> Result<Entry, ReadError> {
    spans.clear();
    let rest = buf.get(pos..).unwrap_or_default();
    let Some(&first) = rest.first() else {
        return Err(ReadError::Incomplete { need: None });
    };
    if first == b'#' {
        return match memchr::memchr(b'\n', rest) {
            Some(nl) if nl < MAX_ANNOTATION_LINE => Ok(Entry::Annotation { end: pos + nl + 1 }),
            Some(_) => Err(bad(pos, "Annotation line too long")),
            None if buf.len() - pos >= MAX_ANNOTATION_LINE => {
                Err(bad(pos, "Annotation line too long"))
            }
            None => Err(ReadError::Incomplete { need: None }),
        };
    }
    let (argc, mut i) = number_line(buf, pos, b'*')?;
    if !(1..=MAX_ARGC).contains(&argc) {
        return Err(bad(pos, format!("Invalid argument count {argc}")));
    }
    for _ in 0..argc {
        let line_start = i;
        let (len, after) = number_line(buf, i, b'$')?;
        if !(0..=MAX_BULK).contains(&len) {
            return Err(bad(line_start, format!("Invalid bulk length {len}")));
        }
        // Where the bulk ends; room for its CRLF after it (only a bulk far larger than
        // memory could lack it).
        let Some(end) = usize::try_from(len)
            .ok()
            .and_then(|len| after.checked_add(len))
            .filter(|end| end.checked_add(2).is_some())
        else {
            return Err(bad(line_start, format!("Invalid bulk length {len}")));
        };
        match (buf.get(end), buf.get(end + 1)) {
            (Some(b'\r'), Some(b'\n')) => {}
            // Some of the CRLF may already be there and wrong.
            (None, _) | (Some(b'\r'), None) => {
                return Err(ReadError::Incomplete {
                    need: Some(end + 2 - pos),
                })
            }
            (Some(_), None) => return Err(bad(end, "Expected \\r\\n after a bulk string")),
            (Some(a), Some(b)) => {
                return Err(bad(end, format!("Expected \\r\\n, got: {a:02x}{b:02x}")))
            }
        }
        spans.push(Span { start: after, end });
        i = end + 2;
    }
    Ok(Entry::Command { end: i })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&[u8]]) -> Vec<u8> {
        let mut v = format!("*{}\r\n", parts.len()).into_bytes();
        for p in parts {
            v.extend_from_slice(format!("${}\r\n", p.len()).as_bytes());
            v.extend_from_slice(p);
            v.extend_from_slice(b"\r\n");
        }
        v
    }

    #[test]
    fn reads_commands_and_annotations() {
        let mut f = b"#TS:123\r\n".to_vec();
        f.extend(cmd(&[b"SET", b"k", b"v\r\nx"]));
        let mut spans = Vec::new();
        let e = read_entry(&f, 0, &mut spans).unwrap();
        assert_eq!(e, Entry::Annotation { end: 9 });
        let e = read_entry(&f, 9, &mut spans).unwrap();
        assert_eq!(e, Entry::Command { end: f.len() });
        let args: Vec<&[u8]> = spans.iter().map(|s| &f[s.start..s.end]).collect();
        assert_eq!(args, vec![&b"SET"[..], b"k", b"v\r\nx"]);
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let f = cmd(&[b"SET", b"key", b"value"]);
        let mut spans = Vec::new();
        for cut in 0..f.len() {
            match read_entry(&f[..cut], 0, &mut spans) {
                Err(ReadError::Incomplete { .. }) => {}
                other => panic!("cut {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn nineteen_digit_lengths_are_too_large_not_an_overflow() {
        let mut spans = Vec::new();
        // 19 digits: above i64::MAX, one digit short of the length cap.
        for line in [
            &b"*9999999999999999999\r\n"[..],
            b"*1\r\n$9223372036854775808\r\n",
            b"*-9999999999999999999\r\n",
        ] {
            match read_entry(line, 0, &mut spans) {
                Err(ReadError::Bad { msg, .. }) => assert_eq!(msg, "Number too large"),
                other => panic!("{other:?}"),
            }
        }
        // i64::MAX itself parses; the count cap rejects it afterwards.
        assert!(matches!(
            read_entry(b"*9223372036854775807\r\n", 0, &mut spans),
            Err(ReadError::Bad { offset: 0, .. })
        ));
    }

    #[test]
    fn damage_is_bad_with_offset() {
        let mut f = cmd(&[b"SET", b"key", b"value"]);
        f[9] = b'X'; // the 'S' of SET is fine to change; the \r after $3 is not
        let mut spans = Vec::new();
        assert!(read_entry(&f, 0, &mut spans).is_ok());
        let mut g = cmd(&[b"SET", b"key", b"value"]);
        g[6] = b'X'; // "$3\r\n" -> "$3X\n"
        match read_entry(&g, 0, &mut spans) {
            Err(ReadError::Bad { offset, .. }) => assert_eq!(offset, 6),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_entry(b"+OK\r\n", 0, &mut spans),
            Err(ReadError::Bad { offset: 0, .. })
        ));
        assert!(matches!(
            read_entry(b"*0\r\n", 0, &mut spans),
            Err(ReadError::Bad { .. })
        ));
        assert!(matches!(
            read_entry(b"*1\r\n$-1\r\n", 0, &mut spans),
            Err(ReadError::Bad { offset: 4, .. })
        ));
        // A bulk longer than its length says.
        assert!(matches!(
            read_entry(b"*1\r\n$1\r\nab\r\n", 0, &mut spans),
            Err(ReadError::Bad { offset: 9, .. })
        ));
    }

    /// Reads every entry from the start of `data` as the loader does (stopping at the
    /// first error) and checks what the reader returns stays inside `data`.
    fn walk(data: &[u8]) {
        let mut spans = Vec::new();
        let mut pos = 0;
        loop {
            match read_entry(data, pos, &mut spans) {
                Ok(Entry::Command { end }) => {
                    assert!(end > pos && end <= data.len());
                    for s in &spans {
                        assert!(pos <= s.start && s.start <= s.end && s.end <= end);
                    }
                    pos = end;
                }
                Ok(Entry::Annotation { end }) => {
                    assert!(end > pos && end <= data.len());
                    pos = end;
                }
                Err(ReadError::Bad { offset, .. }) => {
                    assert!(offset <= data.len());
                    return;
                }
                Err(ReadError::Incomplete { .. }) => return,
            }
        }
    }

    /// A few well-formed entries: commands with binary arguments and an annotation.
    fn valid_file() -> impl Strategy<Value = Vec<u8>> {
        let arg = proptest::collection::vec(any::<u8>(), 0..12);
        let command = proptest::collection::vec(arg, 1..5);
        proptest::collection::vec(command, 1..6).prop_map(|cmds| {
            let mut f = b"#TS:1700000000\r\n".to_vec();
            for c in cmds {
                let parts: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
                f.extend(cmd(&parts));
            }
            f
        })
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn random_bytes_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            pos in 0usize..320,
        ) {
            let mut spans = Vec::new();
            let _ = read_entry(&data, pos, &mut spans);
            walk(&data);
        }

        #[test]
        fn framing_like_bytes_never_panic(text in "[*$#0-9\r\n-]{0,80}") {
            walk(text.as_bytes());
        }

        #[test]
        fn mutated_files_never_panic(
            file in valid_file(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
            digits in proptest::collection::vec((any::<usize>(), "[0-9]{1,25}"), 0..2),
            cut in any::<usize>(),
        ) {
            walk(&file);
            let mut f = file;
            for (at, b) in edits {
                let i = at % f.len();
                f[i] = b;
            }
            // Long runs of digits where a count or length may be.
            for (at, d) in digits {
                let i = at % (f.len() + 1);
                f.splice(i..i, d.bytes());
            }
            f.truncate(cut % (f.len() + 1));
            walk(&f);
        }
    }
}
