//! Glob patterns as Redis matches them (placeholder body).

/// Redis `stringmatchlen`: `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let _ = nocase;
    pattern == b"*" || pattern == s
}
