//! Redis's argument splitter (`sdssplitargs`) and its inverse (`sdscatrepr`), shared by
//! everything that reads a line of arguments: inline requests (`resp::parse`), config
//! files and the command line (`config`), and the AOF manifest (`persistence`).
//!
//! The grammar: blanks between arguments are the C `isspace` set; an unquoted argument
//! ends at a space, tab, `\r` or `\n`. "Double quotes" understand `\n \r \t \b \a`,
//! `\xHH` and a backslash before any other byte (which stands for that byte); 'single
//! quotes' understand only `\'`. A quote may start in the middle of an argument
//! (`a"b c"` is `ab c`), and a closing quote must be followed by a blank or the end of
//! the line. An unterminated quote makes the whole line invalid.

#![deny(clippy::indexing_slicing)]

/// How a NUL byte in the line reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nul {
    /// It ends the line, as the end of a C string would (what Redis does with an
    /// inline request).
    EndsLine,
    /// It is a byte like any other inside quotes and separates arguments outside them;
    /// only the end of the slice ends the line (config lines and the manifest).
    Byte,
}

/// One argument found by `split_in_place`: after the call its bytes are
/// `line[start..end]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg {
    pub start: usize,
    pub end: usize,
    /// Some of it was written in quotes (so `""` is an argument, and `"#"` is not a
    /// comment marker for a reader that has them).
    pub quoted: bool,
}

/// C `isspace` in the "C" locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_value(c: Option<u8>) -> Option<u8> {
    match c? {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c @ b'a'..=b'f' => Some(c - b'a' + 10),
        c @ b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits `line` the way Redis `sdssplitargs` does, writing each unquoted argument in
/// place (every output byte consumes at least one input byte, so writing never
/// overtakes reading) and handing `push` its range. Returns false on unbalanced quotes
/// (arguments already pushed are then meaningless).
#[inline]
pub fn split_in_place(line: &mut [u8], nul: Nul, mut push: impl FnMut(Arg)) -> bool {
    let at = |line: &[u8], i: usize| match line.get(i) {
        Some(0) if nul == Nul::EndsLine => None,
        other => other.copied(),
    };
    fn put(line: &mut [u8], w: &mut usize, b: u8) {
        if let Some(slot) = line.get_mut(*w) {
            *slot = b;
        }
        *w += 1;
    }

    let mut r = 0;
    let mut w = 0;
    loop {
        while at(line, r).is_some_and(is_space) {
            r += 1;
        }
        if at(line, r).is_none() {
            return true;
        }
        let start = w;
        let mut quote = None;
        let mut quoted = false;
        loop {
            let c = at(line, r);
            match quote {
                Some(b'"') => match c {
                    None => return false,
                    Some(b'\\') if at(line, r + 1).is_some() => {
                        let e = at(line, r + 1);
                        if e == Some(b'x') {
                            if let (Some(hi), Some(lo)) =
                                (hex_value(at(line, r + 2)), hex_value(at(line, r + 3)))
                            {
                                put(line, &mut w, hi << 4 | lo);
                                r += 4;
                                continue;
                            }
                        }
                        let b = match e {
                            Some(b'n') => b'\n',
                            Some(b'r') => b'\r',
                            Some(b't') => b'\t',
                            Some(b'b') => 0x08,
                            Some(b'a') => 0x07,
                            other => other.unwrap_or(0),
                        };
                        put(line, &mut w, b);
                        r += 2;
                    }
                    Some(b'"') => {
                        if at(line, r + 1).is_some_and(|n| !is_space(n)) {
                            return false;
                        }
                        r += 1;
                        break;
                    }
                    Some(c) => {
                        put(line, &mut w, c);
                        r += 1;
                    }
                },
                Some(_) => match c {
                    None => return false,
                    Some(b'\\') if at(line, r + 1) == Some(b'\'') => {
                        put(line, &mut w, b'\'');
                        r += 2;
                    }
                    Some(b'\'') => {
                        if at(line, r + 1).is_some_and(|n| !is_space(n)) {
                            return false;
                        }
                        r += 1;
                        break;
                    }
                    Some(c) => {
                        put(line, &mut w, c);
                        r += 1;
                    }
                },
                None => match c {
                    None => break,
                    Some(b' ' | b'\t' | b'\r' | b'\n' | 0) => {
                        r += 1;
                        break;
                    }
                    Some(q @ (b'"' | b'\'')) => {
                        quote = Some(q);
                        quoted = true;
                        r += 1;
                    }
                    Some(c) => {
                        put(line, &mut w, c);
                        r += 1;
                    }
                },
            }
        }
        push(Arg {
            start,
            end: w,
            quoted,
        });
    }
}

/// Splits a config or manifest line into arguments (`split_in_place` with a NUL byte
/// read as a byte). None on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut buf = line.to_vec();
    let mut ranges = Vec::new();
    if !split_in_place(&mut buf, Nul::Byte, |a| ranges.push(a.start..a.end)) {
        return None;
    }
    Some(
        ranges
            .into_iter()
            .map(|r| buf.get(r).unwrap_or_default().to_vec())
            .collect(),
    )
}

/// Appends `s` as a double-quoted string that `split_args` reads back (Redis
/// `sdscatrepr`).
pub fn repr_into(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => {
                out.push(b'\\');
                out.push(c);
            }
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(format!("\\x{:02x}", c).as_bytes()),
        }
    }
    out.push(b'"');
}

/// `s` quoted by `repr_into`, as a string (it is all printable ASCII).
pub fn repr(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    repr_into(s, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inline(line: &[u8]) -> Option<Vec<(Vec<u8>, bool)>> {
        let mut buf = line.to_vec();
        let mut ranges = Vec::new();
        if !split_in_place(&mut buf, Nul::EndsLine, |a| ranges.push(a)) {
            return None;
        }
        Some(
            ranges
                .into_iter()
                .map(|a| (buf[a.start..a.end].to_vec(), a.quoted))
                .collect(),
        )
    }

    #[test]
    fn split_args_and_repr() {
        let s = |l: &str| split_args(l.as_bytes());
        let v = |x: &[&str]| Some(x.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>());
        assert_eq!(s("  a  b\tc "), v(&["a", "b", "c"]));
        assert_eq!(s("a \"b c\" 'd e'"), v(&["a", "b c", "d e"]));
        assert_eq!(s("\"\\x41\\n\\\"\""), v(&["A\n\""]));
        assert_eq!(s("'it\\'s'"), v(&["it's"]));
        assert_eq!(s("x\"y z\""), v(&["xy z"]));
        assert_eq!(s("\"\""), v(&[""]));
        assert_eq!(s("\"a\"b"), None);
        assert_eq!(s("'a"), None);
        let mut out = Vec::new();
        repr_into(b"a\"b\\\n\x01\x7f", &mut out);
        assert_eq!(out, b"\"a\\\"b\\\\\\n\\x01\\x7f\"");
        assert_eq!(
            split_args(&out).unwrap(),
            vec![b"a\"b\\\n\x01\x7f".to_vec()]
        );
        assert_eq!(repr(b"a b\x07"), "\"a b\\a\"");
    }

    #[test]
    fn nul_ends_an_inline_line_and_is_a_byte_in_a_config_line() {
        // Unquoted: NUL separates in a config line, ends an inline one.
        assert_eq!(
            split_args(b"a\0b"),
            Some(vec![b"a".to_vec(), b"b".to_vec()])
        );
        assert_eq!(inline(b"a\0b"), Some(vec![(b"a".to_vec(), false)]));
        // Quoted: kept in a config line, an unbalanced quote inline.
        assert_eq!(split_args(b"\"a\0b\""), Some(vec![b"a\0b".to_vec()]));
        assert_eq!(inline(b"\"a\0b\""), None);
        // After a closing quote: refused in a config line, the end inline.
        assert_eq!(split_args(b"\"a\"\0"), None);
        assert_eq!(inline(b"\"a\"\0x"), Some(vec![(b"a".to_vec(), true)]));
    }

    #[test]
    fn quoted_flag_and_escapes() {
        assert_eq!(
            inline(b"x \"\" '#' a\"b\"c"),
            None,
            "a closing quote must be followed by a blank"
        );
        assert_eq!(
            inline(b"x \"\" '#' a\"b c\""),
            Some(vec![
                (b"x".to_vec(), false),
                (Vec::new(), true),
                (b"#".to_vec(), true),
                (b"ab c".to_vec(), true),
            ])
        );
        // \x needs two hex digits, else it is an escaped `x`; a trailing backslash in
        // quotes is unbalanced.
        assert_eq!(
            inline(b"\"\\x4g\" \"\\xAf\""),
            Some(vec![(b"x4g".to_vec(), true), (vec![0xaf], true)])
        );
        assert_eq!(inline(b"\"a\\"), None);
        assert_eq!(inline(b"'a\\'"), None);
        assert_eq!(inline(b"'a\\n'"), Some(vec![(b"a\\n".to_vec(), true)]));
        // Blanks: the isspace set between arguments, vertical tab and form feed included.
        assert_eq!(inline(b"\x0b a \x0c"), Some(vec![(b"a".to_vec(), false)]));
    }

    /// Bytes a line of arguments is made of: the ones the grammar treats specially
    /// (quotes, backslash, blanks, NUL, `x` and hex digits) often, any byte sometimes.
    fn line_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        let special = prop::sample::select(&b"\"'\\ \t\r\n\x0b\x0c\0xa0F#"[..]);
        proptest::collection::vec(prop_oneof![3 => special, 1 => any::<u8>()], 0..max)
    }

    proptest! {
        #[test]
        fn split_never_panics_and_stays_in_the_line(line in line_bytes(64)) {
            for nul in [Nul::EndsLine, Nul::Byte] {
                let mut buf = line.clone();
                let mut args = Vec::new();
                split_in_place(&mut buf, nul, |a| args.push(a));
                let mut prev_end = 0;
                for a in args {
                    prop_assert!(prev_end <= a.start && a.start <= a.end && a.end <= buf.len());
                    prev_end = a.end;
                }
            }
            let _ = split_args(&line);
        }

        #[test]
        fn repr_reads_back_as_one_argument(arg in line_bytes(48)) {
            let mut out = Vec::new();
            repr_into(&arg, &mut out);
            prop_assert_eq!(split_args(&out), Some(vec![arg.clone()]));
        }

        #[test]
        fn split_repr_split_round_trips(line in line_bytes(64)) {
            if let Some(args) = split_args(&line) {
                let mut joined = Vec::new();
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        joined.push(b' ');
                    }
                    repr_into(a, &mut joined);
                }
                prop_assert_eq!(split_args(&joined), Some(args));
            }
        }
    }
}
