//! Glob patterns matched exactly as Redis 7.0's `stringmatchlen` matches them (KEYS,
//! SCAN MATCH, PSUBSCRIBE, CONFIG GET, COMMAND LIST FILTERBY PATTERN, ACL patterns).
//!
//! Redis matches recursively: every '*' tries the rest of the pattern at each later
//! string position. Two protections bound the work. Once a '*' has tried every position
//! without success the whole match fails at once (a match for an earlier '*' would need
//! the same rest of the pattern to match later in the string, which was just ruled out),
//! and no match may nest more than 1000 '*' deep (a trailing '*' still matches at that
//! depth). The first rule means only the innermost '*' ever moves on to a later position,
//! so here the recursion is a loop that remembers just that '*': no stack growth, no
//! panics, and time bounded by pattern length times string length.
//!
//! Quirks kept on purpose, because clients can observe them:
//! - `*` does not match the empty string (and neither does `**`). KEYS and SCAN never
//!   run the matcher for the pattern "*", so callers with such a shortcut should keep it.
//! - Inside `[...]`, `\x` compares `x` case-sensitively even when matching without case.
//! - Ranges compare bytes as C's signed `char` (bytes 0x80-0xFF sort before 0x00), the
//!   ends are swapped when reversed (`[z-a]` is `[a-z]`), and without case the ends and
//!   the byte go through glibc's `tolower` after that swap, which also turns bytes
//!   0x80-0xFE back into 128-254 (but leaves 0xFF at -1).
//! - An unterminated `[` takes the rest of the pattern as its set; `[]` matches nothing
//!   and `[^]` any byte; a trailing `\` matches a literal backslash.
//! - The pattern is treated as if a NUL byte followed it, as Redis' strings do.

#![deny(clippy::indexing_slicing)]

/// Redis' limit on how deeply '*' may nest.
const MAX_NESTING: usize = 1000;

/// Byte `i` of the pattern, or the terminating NUL past its end.
#[inline]
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

/// A byte as C promotes a signed `char` to `int`.
#[inline]
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

/// glibc's `tolower` in the "C" locale, on a promoted `char`: ASCII letters are
/// lowered, and the negative values -128..=-2 come back as 128..=254 (the table glibc
/// indexes them with holds the unsigned byte); -1 is EOF and stays -1. The latter only
/// shows in case-insensitive ranges, where it moves high bytes from below 0 to above 127.
#[inline]
fn lower(c: i32) -> i32 {
    match c {
        65..=90 => c + 32,
        -128..=-2 => c + 256,
        _ => c,
    }
}

#[inline]
fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        lower(signed(a)) == lower(signed(b))
    } else {
        a == b
    }
}

/// Redis `stringmatchlen`: `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    match_nested(pattern, s, nocase, MAX_NESTING)
}

/// `glob_match` with the nesting limit as a parameter.
fn match_nested(pattern: &[u8], s: &[u8], nocase: bool, max_nesting: usize) -> bool {
    let plen = pattern.len();
    let slen = s.len();
    let mut p = 0; // next pattern byte
    let mut i = 0; // next string byte
    let mut depth = 0; // how many '*' the current attempt is nested in
                       // The innermost '*': where the rest of the pattern starts, and the string position
                       // the current attempt started from.
    let mut star: Option<(usize, usize)> = None;

    loop {
        // One attempt: match pattern[p..] against s[i..].
        let mut failed = false;
        while let (Some(&pc), Some(&c)) = (pattern.get(p), s.get(i)) {
            match pc {
                b'*' => {
                    while at(pattern, p + 1) == b'*' {
                        p += 1;
                    }
                    if p + 1 == plen {
                        return true;
                    }
                    if depth >= max_nesting {
                        // Every nested attempt would be refused, so this '*' runs out
                        // of positions, which ends the whole match.
                        return false;
                    }
                    depth += 1;
                    p += 1;
                    star = Some((p, i));
                    continue;
                }
                b'?' => i += 1,
                b'[' => {
                    p += 1;
                    let negate = at(pattern, p) == b'^';
                    if negate {
                        p += 1;
                    }
                    let mut hit = false;
                    loop {
                        let left = plen - p;
                        let b = at(pattern, p);
                        if b == b'\\' && left >= 2 {
                            p += 1;
                            if at(pattern, p) == c {
                                hit = true;
                            }
                        } else if b == b']' {
                            break;
                        } else if left == 0 {
                            // Unterminated: step back so the common advance below
                            // lands exactly on the end of the pattern.
                            p -= 1;
                            break;
                        } else if left >= 3 && at(pattern, p + 1) == b'-' {
                            let mut start = signed(b);
                            let mut end = signed(at(pattern, p + 2));
                            let mut ch = signed(c);
                            if start > end {
                                std::mem::swap(&mut start, &mut end);
                            }
                            if nocase {
                                start = lower(start);
                                end = lower(end);
                                ch = lower(ch);
                            }
                            p += 2;
                            if ch >= start && ch <= end {
                                hit = true;
                            }
                        } else if same(b, c, nocase) {
                            hit = true;
                        }
                        p += 1;
                    }
                    if hit == negate {
                        failed = true;
                        break;
                    }
                    i += 1;
                }
                b => {
                    let b = if b == b'\\' && plen - p >= 2 {
                        p += 1;
                        at(pattern, p)
                    } else {
                        b
                    };
                    if !same(b, c, nocase) {
                        failed = true;
                        break;
                    }
                    i += 1;
                }
            }
            p += 1;
            if i == slen {
                while at(pattern, p) == b'*' {
                    p += 1;
                }
                break;
            }
        }
        if !failed && p == plen && i == slen {
            return true;
        }
        // This attempt failed: the innermost '*' moves on by one byte, and once it has
        // no byte left to give up, nothing can match.
        match star {
            Some((sp, si)) if si + 1 < slen => {
                star = Some((sp, si + 1));
                p = sp;
                i = si + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    /// Model of the documented semantics, written as plain recursion (one call per
    /// '*' attempt, a shared "give up" flag, a nesting limit) to cross-check the loop.
    fn model(p: &[u8], s: &[u8], nocase: bool, limit: usize) -> bool {
        fn go(
            p: &[u8],
            s: &[u8],
            nc: bool,
            limit: usize,
            depth: usize,
            give_up: &mut bool,
        ) -> bool {
            if depth > limit {
                return false;
            }
            let (mut pi, mut si) = (0, 0);
            while pi < p.len() && si < s.len() {
                match p[pi] {
                    b'*' => {
                        while at(p, pi + 1) == b'*' {
                            pi += 1;
                        }
                        if pi + 1 == p.len() {
                            return true;
                        }
                        for start in si..s.len() {
                            if go(&p[pi + 1..], &s[start..], nc, limit, depth + 1, give_up) {
                                return true;
                            }
                            if *give_up {
                                return false;
                            }
                        }
                        *give_up = true;
                        return false;
                    }
                    b'?' => {}
                    b'[' => {
                        pi += 1;
                        let neg = at(p, pi) == b'^';
                        if neg {
                            pi += 1;
                        }
                        let mut hit = false;
                        loop {
                            let b = at(p, pi);
                            if b == b'\\' && p.len() - pi >= 2 {
                                pi += 1;
                                hit |= p[pi] == s[si];
                            } else if b == b']' {
                                break;
                            } else if pi == p.len() {
                                pi -= 1;
                                break;
                            } else if p.len() - pi >= 3 && p[pi + 1] == b'-' {
                                let (lo, hi) = {
                                    let (a, z) = (signed(b), signed(p[pi + 2]));
                                    (a.min(z), a.max(z))
                                };
                                let c = signed(s[si]);
                                hit |= if nc {
                                    (lower(lo)..=lower(hi)).contains(&lower(c))
                                } else {
                                    (lo..=hi).contains(&c)
                                };
                                pi += 2;
                            } else {
                                hit |= same(b, s[si], nc);
                            }
                            pi += 1;
                        }
                        if hit == neg {
                            return false;
                        }
                    }
                    b => {
                        let lit = if b == b'\\' && p.len() - pi >= 2 {
                            pi += 1;
                            p[pi]
                        } else {
                            b
                        };
                        if !same(lit, s[si], nc) {
                            return false;
                        }
                    }
                }
                pi += 1;
                si += 1;
                if si == s.len() {
                    while at(p, pi) == b'*' {
                        pi += 1;
                    }
                    break;
                }
            }
            pi == p.len() && si == s.len()
        }
        go(p, s, nocase, limit, 0, &mut false)
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hellO"));
        assert!(mi("hello", "HeLLo"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("*", "anything"));
        assert!(m("**", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b*", "xxbxxaxx"));
        assert!(m("user:*:name", "user:42:name"));
        assert!(!m("?", ""));
        assert!(!m("a?", "a"));
    }

    #[test]
    fn star_does_not_match_the_empty_string() {
        // Redis 7.0 checked: PUBLISH "" reaches no PSUBSCRIBE "*" subscriber, and
        // KEYS "**" does not list the key "".
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?*", ""));
        assert!(!m("*?", ""));
    }

    #[test]
    fn bracket_sets() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        // Reversed ranges are swapped.
        assert!(m("[z-a]", "m"));
        assert!(m("[9-0]", "5"));
        assert!(!m("[z-a]", "A"));
        // Escapes inside a set.
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[a\\-z]", "-"));
        assert!(!m("[a\\-z]", "m"));
        // "[]" matches nothing, "[^]" any byte.
        assert!(!m("[]", "]"));
        assert!(!m("[]a]", "a"));
        assert!(m("[^]", "]"));
        assert!(m("[^]x", "ax"));
        // An unterminated set runs to the end of the pattern.
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        assert!(!m("[", "["));
        assert!(m("[^", "x"));
        assert!(m("[a-", "-"));
        assert!(m("[a-", "a"));
        assert!(!m("[a-", "b"));
        assert!(m("[\\", "\\"));
        assert!(m("[^\\", "x"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?", "?"));
        assert!(m("\\[a]", "[a]"));
        assert!(m("a\\\\b", "a\\b"));
        // A trailing backslash is a literal backslash.
        assert!(m("a\\", "a\\"));
        assert!(!m("a\\", "a"));
        assert!(m("\\", "\\"));
    }

    #[test]
    fn case_folding() {
        assert!(mi("[A-C]", "b"));
        assert!(mi("[a-c]", "B"));
        assert!(!m("[a-c]", "B"));
        // Ends are lowered after the swap: [A-z] without case is [a-z], so '_' is out.
        assert!(m("[A-z]", "_"));
        assert!(!mi("[A-z]", "_"));
        // An escaped byte in a set is compared with case even without case.
        assert!(mi("[\\A]", "A"));
        assert!(!mi("[\\A]", "a"));
        assert!(mi("\\A", "a"));
    }

    #[test]
    fn high_bytes_are_signed_chars() {
        // As C's signed char, 0x80-0xFF sort below 0x00.
        assert!(glob_match(b"[\x80-a]", b"0", false));
        assert!(glob_match(b"[\x80-a]", b"\xff", false));
        assert!(!glob_match(b"[\x80-a]", b"b", false));
        assert!(!glob_match(b"[a-\xff]", b"\x80", false));
        // Without case glibc's tolower lifts 0x80-0xFE to 128-254 after the ends were
        // ordered, so the same set becomes 128..=97 and matches nothing (Redis 7.0
        // checked with COMMAND LIST FILTERBY PATTERN "[\x80-a]et").
        for c in [&b"0"[..], b"a", b"z", b"\x80", b"\xff"] {
            assert!(!glob_match(b"[\x80-a]", c, true));
        }
        assert!(glob_match(b"[\x80-\xfe]", b"\x90", true));
        assert!(!glob_match(b"[\x80-\xfe]", b"a", true));
        // 0xFF is EOF to tolower and stays -1 ("[\xff-h]et" finds "get").
        assert!(glob_match(b"[\xff-h]et", b"get", true));
        assert!(glob_match(b"[\xff-a]", b"\xff", true));
        assert!(!glob_match(b"[\xff-a]", b"\x80", true));
        assert!(glob_match(b"\xff", b"\xff", true));
        // NUL bytes are ordinary bytes.
        assert!(glob_match(b"a\0*", b"a\0bc", false));
        assert!(glob_match(b"[\0-a]", b"\0", false));
    }

    #[test]
    fn nesting_limit() {
        // Redis 7.0 checked: 1000 nested '*' still match, 1001 never do, except that a
        // trailing '*' is accepted at the limit.
        for n in [999usize, 1000, 1001, 1002] {
            let key = [vec![b'a'; n], b"b".to_vec()].concat();
            let pat = [b"*a".repeat(n), b"b".to_vec()].concat();
            assert_eq!(glob_match(&pat, &key, false), n <= 1000, "{n}");
            let trailing = [b"*a".repeat(n), b"*".to_vec()].concat();
            assert_eq!(glob_match(&trailing, &key, false), n <= 1000, "{n}");
        }
        let pat = [b"*a".repeat(1000), b"*".to_vec()].concat();
        assert!(glob_match(&pat, &vec![b'a'; 1000], false));
    }

    #[test]
    fn abusive_patterns_are_cheap() {
        let stars = vec![b'*'; 100 * 1024];
        assert!(glob_match(&stars, b"x", false));
        assert!(!glob_match(&stars, b"", false));
        let stars_x = [stars.clone(), b"x".to_vec()].concat();
        assert!(glob_match(&stars_x, b"yx", false));
        assert!(!glob_match(&stars_x, b"xy", false));
        // Exponential for naive backtracking; linear-ish here.
        let pat = [b"a*".repeat(30), b"b".to_vec()].concat();
        assert!(!glob_match(&pat, &vec![b'a'; 5000], false));
        let pat = b"*a".repeat(50 * 1024);
        assert!(!glob_match(&pat, &vec![b'a'; 100 * 1024], false));
        // An unterminated set of '[' bytes: matches "[" (as KEYS does).
        let brackets = vec![b'['; 100 * 1024];
        assert!(glob_match(&brackets, b"[", false));
        assert!(!glob_match(&brackets, b"]", false));
        let slashes = vec![b'\\'; 100 * 1024 + 1];
        assert!(glob_match(&slashes, &vec![b'\\'; 50 * 1024 + 1], false));
    }

    fn glob_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'*'),
                Just(b'?'),
                Just(b'['),
                Just(b']'),
                Just(b'^'),
                Just(b'-'),
                Just(b'\\'),
                Just(b'a'),
                Just(b'B'),
                Just(0u8),
                Just(0x80u8),
                Just(0xffu8),
                any::<u8>(),
            ],
            0..14,
        )
    }

    proptest! {
        #[test]
        fn never_panics(p in proptest::collection::vec(any::<u8>(), 0..64),
                        s in proptest::collection::vec(any::<u8>(), 0..64),
                        nocase in any::<bool>()) {
            let _ = glob_match(&p, &s, nocase);
            let _ = glob_match(&s, &p, nocase);
        }

        /// Patterns built of '*', '?' and a few literals (the shapes that make naive
        /// backtracking exponential, such as `a*a*a*...b`) against long strings of the
        /// same literals: each match finishes, in at most pattern times string steps.
        #[test]
        fn star_heavy_patterns_finish(
            p in proptest::collection::vec(prop::sample::select(&b"**?ab["[..]), 0..48),
            s in proptest::collection::vec(prop::sample::select(&b"aab"[..]), 0..3000),
            nocase in any::<bool>(),
        ) {
            let _ = glob_match(&p, &s, nocase);
            let mut tail = p.clone();
            tail.push(b'b');
            let _ = glob_match(&tail, &s, nocase);
        }

        #[test]
        fn star_matches_every_non_empty_string(s in proptest::collection::vec(any::<u8>(), 1..64),
                                               stars in 1usize..5,
                                               nocase in any::<bool>()) {
            prop_assert!(glob_match(&vec![b'*'; stars], &s, nocase));
        }

        #[test]
        fn literal_pattern_matches_itself(s in "[a-zA-Z0-9:_.-]{0,32}") {
            prop_assert!(glob_match(s.as_bytes(), s.as_bytes(), false));
            prop_assert!(glob_match(s.as_bytes(), s.to_ascii_uppercase().as_bytes(), true));
        }

        #[test]
        fn agrees_with_recursive_model(p in glob_bytes(), s in glob_bytes(), nocase in any::<bool>()) {
            prop_assert_eq!(glob_match(&p, &s, nocase), model(&p, &s, nocase, MAX_NESTING));
        }

        #[test]
        fn agrees_with_recursive_model_at_small_limits(p in glob_bytes(), s in glob_bytes(),
                                                       nocase in any::<bool>(), limit in 0usize..3) {
            prop_assert_eq!(match_nested(&p, &s, nocase, limit), model(&p, &s, nocase, limit));
        }
    }
}
