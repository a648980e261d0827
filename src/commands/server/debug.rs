//! DEBUG: the subcommands test suites and persistence tooling drive, answered as
//! redis-server 7.0 answers them.
//!
//! DEBUG is refused unless `enable-debug-command` allows it (`yes`, or `local` for
//! loopback clients). Subcommands: CHANGE-REPL-ID, DIGEST, DIGEST-VALUE, ERROR, LOG,
//! LOADAOF, OBJECT, PROTOCOL, SET-ACTIVE-EXPIRE, QUICKLIST-PACKED-THRESHOLD,
//! SET-SKIP-CHECKSUM-VALIDATION, SLEEP, STRINGMATCH-TEST and HELP; any other name, or a
//! known one with the wrong number of arguments, is Redis's "unknown subcommand" error.
//!
//! DIGEST is Redis's dataset digest (debug.c `computeDatasetDigest`), bit for bit, so the
//! same data gives the same 40 hex digits here and in redis-server: a test can compare a
//! reloaded AOF or a replica with the original. For each key, a 20-byte digest is built
//! by `mix` (SHA1 of the running digest xored with SHA1 of the data: order matters) over
//! the key, the type number and the value, where unordered collections (set members,
//! hash fields, sorted-set entries) are combined with `xor` (order does not matter);
//! `!!expire!!` is xored in for a key with a TTL (its time is not part of the digest).
//! The keys' digests are xored together, after mixing in each non-empty database's
//! number. Keys are read as they are stored: logically expired keys count, as in Redis.

#![deny(clippy::indexing_slicing)]

use super::{help_reply, subcommand_syntax_error};
use crate::commands::{Args, Ctx, Propagate};
use crate::error::{CmdResult, Error};
use crate::server::aof_replay::Reloaded;
use crate::store::{Db, Value};
use crate::util::num::parse_i64;

/// A 20-byte SHA1-sized digest.
type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    sha1_smol::Sha1::from(data).digest().bytes()
}

/// Redis `xorDigest`: digest ^= SHA1(data). Used where order must not matter.
fn xor_digest(d: &mut Digest, data: &[u8]) {
    for (a, b) in d.iter_mut().zip(sha1(data)) {
        *a ^= b;
    }
}

/// Redis `mixDigest`: digest = SHA1(digest ^ SHA1(data)). Used where order matters.
fn mix_digest(d: &mut Digest, data: &[u8]) {
    xor_digest(d, data);
    *d = sha1(d);
}

/// Redis's type numbers (OBJ_STRING...OBJ_HASH), which enter the digest.
fn type_number(v: &Value) -> u32 {
    match v {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
    }
}

/// Redis `xorObjectDigest`: mixes a value (its type, its contents, whether it expires)
/// into `d`. Integers stored compactly enter as their decimal text, as Redis decodes
/// them; sorted-set scores as "%.17g" text.
///
/// Streams (type 6 in Redis) do not exist here yet: when they do, their digest is
/// Redis's too (each listpack node's bytes mixed in, then the last id, as `xorObjectDigest`
/// does for OBJ_STREAM).
fn value_digest(d: &mut Digest, v: &Value, expires: bool) {
    mix_digest(d, &type_number(v).to_be_bytes());
    match v {
        Value::Str(s) => mix_digest(d, s),
        Value::List(l) => {
            for e in l.iter() {
                e.with_bytes(|b| mix_digest(d, b));
            }
        }
        Value::Set(s) => {
            for m in s.iter() {
                m.with_bytes(|b| xor_digest(d, b));
            }
        }
        Value::ZSet(z) => {
            let mut score = Vec::with_capacity(32);
            for (member, s) in z.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, member);
                score.clear();
                crate::util::num::fmt_double(s, &mut score);
                mix_digest(&mut ele, &score);
                xor_digest(d, &ele);
            }
        }
        Value::Hash(h) => {
            for (field, value) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, field);
                mix_digest(&mut ele, value);
                xor_digest(d, &ele);
            }
        }
    }
    if expires {
        xor_digest(d, b"!!expire!!");
    }
}

/// Redis `computeDatasetDigest`: every database's keys and values (zeros when empty).
pub fn dataset_digest(dbs: &[Db]) -> Digest {
    let mut fin = [0u8; 20];
    for (j, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut fin, &(j as u32).to_be_bytes());
        for (key, v) in &db.keys {
            let mut d = [0u8; 20];
            mix_digest(&mut d, key);
            value_digest(&mut d, v, db.expire_at(key).is_some());
            xor_digest(&mut fin, &d);
        }
    }
    fin
}

/// The digest of one key's value (DEBUG DIGEST-VALUE): zeros for a missing key. The
/// key's name does not enter it.
pub fn key_digest(db: &Db, key: &[u8]) -> Digest {
    let mut d = [0u8; 20];
    if let Some(v) = db.keys.get(key) {
        value_digest(&mut d, v, db.expire_at(key).is_some());
    }
    d
}

fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether DEBUG may run for this client under `enable-debug-command`.
fn debug_allowed(ctx: &Ctx) -> bool {
    match ctx.config().enable_debug_command.as_str() {
        "yes" => true,
        "local" => ctx
            .client
            .addr
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback()),
        _ => false,
    }
}

/// A number the way C's strtod reads it: the longest valid prefix, else 0.
fn lenient_f64(b: &[u8]) -> f64 {
    let b = b.get(..64).unwrap_or(b);
    let s = std::str::from_utf8(b).unwrap_or("").trim_start();
    // `get` is None off a char boundary.
    (1..=s.len())
        .rev()
        .find_map(|i| s.get(..i)?.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// C's atoi: optional blanks and sign, then the digits there are (0 without any).
fn atoi(b: &[u8]) -> i64 {
    let b = b.trim_ascii_start();
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(i64::from(c - b'0'));
    }
    if neg {
        n.wrapping_neg()
    } else {
        n
    }
}

/// DEBUG QUICKLIST-PACKED-THRESHOLD's argument: a memory value (Redis `memtoull`) of
/// at most 4GB less 1MB, as Redis's quicklistisSetPackedThreshold accepts.
fn packed_threshold(b: &[u8]) -> Option<u64> {
    const LIMIT: u64 = (1 << 32) - (1 << 20);
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    // A number within the limit cannot overflow once its unit (at most 1024^3) applies;
    // one beyond it is refused whatever the unit (Redis refuses an overflow too).
    let number = crate::config::parse_memory(b.get(..digits)?)?;
    let size = crate::config::parse_memory(b)?;
    (number <= LIMIT && size <= LIMIT).then_some(size)
}

/// DEBUG OBJECT key: Redis's one-line description of a value.
fn debug_object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.store.now;
    let access = ctx.store.access;
    let Some((v, lru)) = ctx.store.lookup_quiet(key) else {
        return Err(Error::NoSuchKey);
    };
    let idle = access.idle_ms(lru, now) / 1000;
    let enc = v.encoding_with(lru);
    let (refcount, serialized) = match &*v {
        Value::Str(s) => {
            let shared = enc == "int" && parse_i64(s).is_some_and(|n| (0..10000).contains(&n));
            (
                if shared { i32::MAX } else { 1 },
                super::admin::serialized_string_len(s),
            )
        }
        Value::Hash(h) => (1, 1 + h.len() * 2),
        Value::List(l) => (1, 1 + l.len()),
        Value::Set(s) => (1, 1 + s.len()),
        Value::ZSet(z) => (1, 1 + z.len() * 2),
    };
    let line = format!(
        "Value at:{:p} refcount:{refcount} encoding:{enc} serializedlength:{serialized} lru:{} lru_seconds_idle:{idle}",
        v as *const Value,
        lru & 0x00ff_ffff
    );
    ctx.reply.simple(&line);
    Ok(())
}

/// DEBUG PROTOCOL <type>: a sample reply of each RESP type.
fn protocol(ctx: &mut Ctx, name: &[u8]) -> CmdResult {
    let r = &mut ctx.reply;
    match name.to_ascii_lowercase().as_slice() {
        b"string" => r.bulk(b"Hello World"),
        b"integer" => r.int(12345),
        // Redis's sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => r.double(3.141),
        b"bignum" => r.bignum("1234567999999999999999999999999999999"),
        b"null" => r.null(),
        b"array" | b"set" => {
            if name.eq_ignore_ascii_case(b"set") {
                r.set(3);
            } else {
                r.array(3);
            }
            for j in 0..3 {
                r.int(j);
            }
        }
        b"map" => {
            r.map(3);
            for j in 0..3 {
                r.int(j);
                r.boolean(j == 1);
            }
        }
        b"attrib" => {
            if r.resp3 {
                r.attribute(1);
                r.bulk(b"key-popularity");
                r.array(2);
                r.bulk(b"key:123");
                r.int(90);
            }
            // An attribute is not a reply: a real one follows it.
            r.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !r.resp3 {
                return Err(Error::msg("ERR RESP2 is not supported by this command"));
            }
            r.push(2);
            r.bulk(b"server-cpu-usage");
            r.int(42);
            // A push is not a reply: a real one follows it.
            r.bulk(b"Some real reply following the push reply");
        }
        b"true" => r.boolean(true),
        b"false" => r.boolean(false),
        b"verbatim" => r.verbatim("txt", b"This is a verbatim\nstring"),
        _ => {
            return Err(Error::msg(
                "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    }
    Ok(())
}

/// DEBUG LOADAOF: the AOF written out, the data emptied and loaded back. As in Redis 7.0,
/// a load that fails (damaged files, or no AOF at all) ends the process with status 1:
/// the data is gone from memory by then.
fn loadaof(ctx: &mut Ctx) -> CmdResult {
    // Nothing about the reload is propagated, whatever the dirty counter did.
    ctx.propagate = Propagate::Never;
    match ctx.srv.debug_loadaof(ctx.store) {
        Ok(Reloaded::Loaded) => {
            log::warn!("Append Only File loaded by DEBUG LOADAOF");
            ctx.reply.ok();
            Ok(())
        }
        Ok(Reloaded::NoAof) => {
            log::warn!("DEBUG LOADAOF: there is no append only file to load. Exiting...");
            std::process::exit(1);
        }
        Err(e) => {
            log::warn!("{e}");
            std::process::exit(1);
        }
    }
}

/// Redis's `stringmatchlen_fuzz_test`: random patterns against random strings, to show
/// the glob matcher survives any input.
fn stringmatch_fuzz() -> usize {
    let mut matches = 0;
    let mut s = [0u8; 32];
    let mut p = [0u8; 32];
    for _ in 0..1_000_000 {
        let slen = crate::store::set::random_below(s.len());
        let plen = crate::store::set::random_below(p.len());
        for b in s.iter_mut().take(slen) {
            *b = crate::store::set::random_below(128) as u8;
        }
        for b in p.iter_mut().take(plen) {
            *b = crate::store::set::random_below(128) as u8;
        }
        let (Some(pat), Some(text)) = (p.get(..plen), s.get(..slen)) else {
            continue;
        };
        matches += usize::from(crate::util::glob::glob_match(pat, text, false));
    }
    matches
}

/// DEBUG <subcommand> [arg ...]
pub fn debug(ctx: &mut Ctx, a: &Args) -> CmdResult {
    if !debug_allowed(ctx) {
        return Err(Error::msg(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        ));
    }
    let sub = a.get(1);
    let n = a.len();
    if a.is(1, "help") && n == 2 {
        help_reply(
            ctx,
            "DEBUG",
            &[
                "CHANGE-REPL-ID",
                "    Change the replication IDs of the instance.",
                "    Dangerous: should be used only for testing the replication subsystem.",
                "DIGEST",
                "    Output a hex signature representing the current DB content.",
                "DIGEST-VALUE <key> [<key> ...]",
                "    Output a hex signature of the values of all the specified keys.",
                "ERROR <string>",
                "    Return a Redis protocol error with <string> as message. Useful for clients",
                "    unit tests to simulate Redis errors.",
                "LOG <message>",
                "    Write <message> to the server log.",
                "LOADAOF",
                "    Flush the AOF buffers on disk and reload the AOF in memory.",
                "OBJECT <key>",
                "    Show low level info about `key` and associated value.",
                "PROTOCOL <type>",
                "    Reply with a test value of the specified type. <type> can be: string,",
                "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
                "    true, false.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "QUICKLIST-PACKED-THRESHOLD <size>",
                "    Sets the threshold for elements to be inserted as plain vs packed nodes",
                "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
                "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
                "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
                "STRINGMATCH-TEST",
                "    Run a fuzz tester against the stringmatchlen() function.",
            ],
        );
        Ok(())
    } else if a.is(1, "loadaof") {
        // (Redis does not look at the argument count here.)
        loadaof(ctx)
    } else if a.is(1, "object") && n == 3 {
        debug_object(ctx, a.get(2))
    } else if a.is(1, "digest") && n == 2 {
        let d = dataset_digest(ctx.store.dbs());
        ctx.reply.simple(&hex(&d));
        Ok(())
    } else if a.is(1, "digest-value") {
        ctx.reply.array(n - 2);
        for key in a.from(2) {
            let d = key_digest(ctx.store.db(), key);
            ctx.reply.simple(&hex(&d));
        }
        Ok(())
    } else if a.is(1, "protocol") && n == 3 {
        protocol(ctx, a.get(2))
    } else if a.is(1, "sleep") && n == 3 {
        let secs = lenient_f64(a.get(2));
        if secs > 0.0 && secs.is_finite() {
            std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(1e9)));
        }
        ctx.reply.ok();
        Ok(())
    } else if a.is(1, "set-active-expire") && n == 3 {
        ctx.srv.set_active_expire(atoi(a.get(2)) != 0);
        ctx.reply.ok();
        Ok(())
    } else if a.is(1, "quicklist-packed-threshold") && n == 3 {
        // Up to 4GB less 1MB; 0 restores the default (1GB).
        match packed_threshold(a.get(2)) {
            Some(sz) => {
                ctx.srv.debug_switches_mut().quicklist_packed_threshold =
                    if sz == 0 { 1 << 30 } else { sz };
                ctx.reply.ok();
                Ok(())
            }
            _ => Err(Error::msg(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            )),
        }
    } else if a.is(1, "set-skip-checksum-validation") && n == 3 {
        ctx.srv.debug_switches_mut().skip_checksum_validation = atoi(a.get(2)) != 0;
        ctx.reply.ok();
        Ok(())
    } else if a.is(1, "change-repl-id") && n == 2 {
        log::info!("Changing replication IDs after receiving DEBUG change-repl-id");
        ctx.srv.change_replid();
        ctx.reply.ok();
        Ok(())
    } else if a.is(1, "stringmatch-test") && n == 2 {
        stringmatch_fuzz();
        ctx.reply
            .simple("Apparently Redis did not crash: test passed");
        Ok(())
    } else if a.is(1, "log") && n == 3 {
        log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(a.get(2)));
        ctx.reply.ok();
        Ok(())
    } else if a.is(1, "error") && n == 3 {
        Err(Error::msg(String::from_utf8_lossy(a.get(2)).into_owned()))
    } else {
        Err(subcommand_syntax_error(sub, "DEBUG"))
    }
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::testutil::Env;
    use super::*;
    use crate::store::bytes::Sds;

    fn put(e: &mut Env, k: &str, v: &str) {
        e.store.cur = 0;
        e.store
            .set(k.as_bytes(), Value::Str(Sds::from(v.as_bytes())), false);
    }

    #[test]
    fn debug_gate_and_subcommands() {
        let mut e = Env::new();
        assert!(e.run(&["debug", "help"]).starts_with("-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\""));
        e.core.config_mut().enable_debug_command = "local".into();
        assert!(e.run(&["debug", "help"]).starts_with("*"));
        e.client.addr = "10.0.0.1:5000".into();
        assert!(e
            .run(&["debug", "help"])
            .starts_with("-ERR DEBUG command not allowed"));
        e.core.config_mut().enable_debug_command = "yes".into();
        assert_eq!(
            e.run(&["debug", "foo"]),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(
            e.run(&["debug", "sleep"]),
            "-ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(e.run(&["debug", "sleep", "abc"]), "+OK\r\n");
        assert_eq!(e.run(&["debug", "sleep", "0.01"]), "+OK\r\n");
        assert_eq!(e.run(&["debug", "error", "FOO bar"]), "-FOO bar\r\n");
        assert_eq!(e.run(&["debug", "object", "nokey"]), "-ERR no such key\r\n");
        put(&mut e, "foo", "bar");
        let r = e.run(&["debug", "object", "foo"]);
        assert!(r.starts_with("+Value at:0x"));
        assert!(r.contains(" refcount:1 encoding:embstr serializedlength:4 lru:"));
        put(&mut e, "n", "100000");
        assert!(e
            .run(&["debug", "object", "n"])
            .contains("encoding:int serializedlength:5 "));
        assert_eq!(e.run(&["debug", "set-active-expire", "0"]), "+OK\r\n");
        assert!(!e.core.active_expire_enabled());
        assert_eq!(e.run(&["debug", "set-active-expire", "1"]), "+OK\r\n");
        assert!(e.core.active_expire_enabled());
    }

    fn enabled() -> Env {
        let mut e = Env::new();
        e.core.config_mut().enable_debug_command = "yes".into();
        e
    }

    /// Digests obtained from redis-server 7.0.15 for the same commands.
    #[test]
    fn digests_equal_redis() {
        let mut e = enabled();
        assert_eq!(
            e.run(&["debug", "digest"]),
            "+0000000000000000000000000000000000000000\r\n"
        );
        let data: &[&[&str]] = &[
            &["set", "s1", "hello"],
            &["set", "s2", "12345"],
            &["set", "s3", "-7"],
            &["setex", "s4", "1000", "withttl"],
            &["rpush", "l1", "a", "b", "c", "1", "2", "3"],
            &["lpush", "l2", "x"],
            &["sadd", "set1", "a", "b", "c"],
            &["sadd", "set2", "1", "2", "3", "100"],
            &["zadd", "z1", "1", "a", "2.5", "b", "-3", "c", "0.1", "d"],
            &[
                "zadd",
                "z2",
                "inf",
                "x",
                "-inf",
                "y",
                "1e300",
                "w",
                "3.141592653589793",
                "v",
            ],
            &["hset", "h1", "f1", "v1", "f2", "v2", "n", "10"],
            &["hset", "h2", "big", "123456789012345678"],
            &["pexpire", "h2", "100000"],
            &["select", "3"],
            &["set", "other", "db3"],
            &["select", "0"],
        ];
        for c in data {
            e.run(c);
        }
        assert_eq!(
            e.run(&["debug", "digest"]),
            "+1774f4797b2f32138b412b68af4f231e9b9e4c9f\r\n"
        );
        assert_eq!(
            e.run(&[
                "debug",
                "digest-value",
                "s1",
                "l1",
                "set1",
                "z1",
                "h1",
                "h2",
                "missing"
            ]),
            "*7\r\n+36b23a1456b2dce2c3ed252c456761301dba8060\r\n\
             +28150a3b2cc0efbc98d23e7962f278329e3b583b\r\n\
             +593c2414786d75446e97f4ea5d4b731f3313da72\r\n\
             +3dc7f8b21da75976eeba6d13045a9515124b6c33\r\n\
             +736d254745065f23a0625cf4c1581b4b628aaea3\r\n\
             +d0c563e80979ab9b7e0bce09af93f303eaaec53d\r\n\
             +0000000000000000000000000000000000000000\r\n"
        );
        assert_eq!(e.run(&["debug", "digest-value"]), "*0\r\n");
        assert_eq!(
            e.run(&["debug", "digest", "x"]),
            "-ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.\r\n"
        );
    }

    #[test]
    fn protocol_replies() {
        let mut e = enabled();
        let both = |e: &mut Env, t: &str| {
            e.client.resp3 = false;
            let two = e.run(&["debug", "protocol", t]);
            e.client.resp3 = true;
            let three = e.run(&["debug", "protocol", t]);
            (two, three)
        };
        assert_eq!(
            both(&mut e, "double"),
            ("$5\r\n3.141\r\n".into(), ",3.141\r\n".into())
        );
        assert_eq!(
            both(&mut e, "bignum"),
            (
                "$37\r\n1234567999999999999999999999999999999\r\n".into(),
                "(1234567999999999999999999999999999999\r\n".into()
            )
        );
        assert_eq!(
            both(&mut e, "MAP"),
            (
                "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n".into(),
                "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n".into()
            )
        );
        assert_eq!(
            both(&mut e, "attrib"),
            (
                "$39\r\nSome real reply following the attribute\r\n".into(),
                "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n\
                 $39\r\nSome real reply following the attribute\r\n"
                    .into()
            )
        );
        assert_eq!(
            both(&mut e, "push"),
            (
                "-ERR RESP2 is not supported by this command\r\n".into(),
                ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n\
                 $40\r\nSome real reply following the push reply\r\n"
                    .into()
            )
        );
        assert_eq!(
            both(&mut e, "verbatim"),
            (
                "$25\r\nThis is a verbatim\nstring\r\n".into(),
                "=29\r\ntxt:This is a verbatim\nstring\r\n".into()
            )
        );
        assert_eq!(both(&mut e, "null"), ("$-1\r\n".into(), "_\r\n".into()));
        assert!(e.run(&["debug", "protocol", "foo"]).starts_with(
            "-ERR Wrong protocol type name. Please use one of the following: string|"
        ));
    }

    #[test]
    fn switches() {
        let mut e = enabled();
        let err = "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n";
        for bad in [
            "abc",
            "-1",
            "4gb",
            "4294967295",
            "5000000000",
            "18446744073709551615kb",
        ] {
            assert_eq!(
                e.run(&["debug", "quicklist-packed-threshold", bad]),
                err,
                "{bad}"
            );
        }
        assert_eq!(
            e.run(&["debug", "quicklist-packed-threshold", "1k"]),
            "+OK\r\n"
        );
        assert_eq!(e.core.debug_switches().quicklist_packed_threshold, 1000);
        assert_eq!(
            e.run(&["debug", "quicklist-packed-threshold", "0"]),
            "+OK\r\n"
        );
        assert_eq!(e.core.debug_switches().quicklist_packed_threshold, 1 << 30);
        assert_eq!(
            e.run(&["debug", "set-skip-checksum-validation", "1"]),
            "+OK\r\n"
        );
        assert!(e.core.debug_switches().skip_checksum_validation);
        assert_eq!(
            e.run(&["debug", "set-skip-checksum-validation", "x"]),
            "+OK\r\n"
        );
        assert!(!e.core.debug_switches().skip_checksum_validation);
        let before = e.core.replid().to_string();
        assert_eq!(e.run(&["debug", "change-repl-id"]), "+OK\r\n");
        assert_ne!(e.core.replid(), before);
        assert_eq!(
            e.run(&["debug", "stringmatch-len"]),
            "-ERR unknown subcommand or wrong number of arguments for 'stringmatch-len'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(atoi(b"  -12x"), -12);
        assert_eq!(atoi(b"x"), 0);
    }
}
