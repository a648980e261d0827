//! FUNCTION DUMP and FUNCTION RESTORE's payload: for each library the opcode
//! `RDB_OPCODE_FUNCTION2` (245) and the library's code as an RDB string, sealed in the
//! DUMP envelope (RDB version, CRC-64). Redis writes exactly this for the libraries of an
//! RDB file too.
//!
//! Reading also accepts the format of Redis 7.0's release candidates (opcode 246: name,
//! engine, optional description, body), which 7.0 turns into `#!<engine> name=<name>\n`
//! followed by the body. Errors are Redis 7.0's replies, word for word. Reading goes
//! through the whole payload, footer included, and stops when ten bytes or fewer are
//! left, as Redis's loop does (so an entry that runs into the footer is read from it).

#![deny(clippy::indexing_slicing)]

use crate::rdb::dump::{verify, wrap, BadPayload, FOOTER_LEN};
use crate::rdb::encoding::{write_string, Length, Reader};

/// A library: its code, the whole `FUNCTION LOAD` text.
pub const OPCODE_FUNCTION2: u8 = 245;
/// A library as 7.0's release candidates wrote it.
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;

/// The FUNCTION DUMP payload of the libraries `codes` (`compress`: rdbcompression).
pub fn dump_libraries(codes: &[&[u8]], compress: bool) -> Vec<u8> {
    let mut body = Vec::with_capacity(codes.iter().map(|c| c.len() + 6).sum());
    for code in codes {
        body.push(OPCODE_FUNCTION2);
        write_string(&mut body, code, compress);
    }
    wrap(&body)
}

/// The library codes in a FUNCTION RESTORE payload, in payload order.
pub fn restore_libraries(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut codes = Vec::new();
    for_each_library(payload, |code| {
        codes.push(code);
        Ok(())
    })?;
    Ok(codes)
}

/// Hands each library code of `payload` to `load` as soon as it is read, stopping at the
/// first error (`load`'s own or the payload's). Redis creates each library as it reads
/// it, so a library that fails to load is reported before a corrupt entry after it.
pub fn for_each_library(
    payload: &[u8],
    mut load: impl FnMut(Vec<u8>) -> Result<(), String>,
) -> Result<(), String> {
    verify(payload).map_err(|BadPayload| BadPayload.to_string())?;
    let mut r = Reader::new(payload);
    while r.remaining() > FOOTER_LEN {
        let code = match r.u8() {
            Ok(OPCODE_FUNCTION2) => r
                .string()
                .map_err(|_| "ERR Failed loading library payload".to_string())?,
            Ok(OPCODE_FUNCTION_PRE_GA) => pre_ga_library(&mut r)?,
            Ok(_) => return Err("ERR given type is not a function".into()),
            Err(_) => return Err("ERR can not read data type".into()),
        };
        load(code)?;
    }
    Ok(())
}

/// A release-candidate library (name, engine, description flag and description, body),
/// as the code 7.0 makes of it.
fn pre_ga_library(r: &mut Reader) -> Result<Vec<u8>, String> {
    let fail = |what: &str| format!("ERR Failed loading library {what}");
    let name = r.string().map_err(|_| fail("name"))?;
    let engine = r
        .string()
        .map_err(|_| "ERR Failed loading engine name".to_string())?;
    // Redis reads the flag as a length and does not mind a special encoding there.
    let has_desc = match r
        .len_or_encoding()
        .map_err(|_| fail("description indicator"))?
    {
        Length::Plain(n) => n != 0,
        Length::Encoded(e) => e != 0,
    };
    if has_desc {
        r.string().map_err(|_| fail("description"))?;
    }
    let body = r.string().map_err(|_| fail("blob"))?;
    let mut code = Vec::with_capacity(engine.len() + name.len() + body.len() + 9);
    code.extend_from_slice(b"#!");
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&body);
    Ok(code)
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const MYLIB: &[u8] = b"#!lua name=mylib\nredis.register_function('knockknock', function() return 'Who\\'s there?' end)\nredis.register_function('knockknock2', function() return 'Who\\'s there?' end)";
    const X: &[u8] = b"#!lua name=x\nredis.register_function('f',function() return 1 end)";

    // FUNCTION DUMP from redis-server 7.0.15 after FUNCTION LOAD of MYLIB (stored LZF
    // compressed), of X (stored verbatim: compression would not save 4 bytes), and of both.
    const MYLIB_DUMP: &str = "f5c3406340ab1f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0e66756e6374696f6e28276b6e6f636b600402272c20e000161c292072657475726e202757686f5c27732074686572653f2720656e6429e01b4c0032e01e4d0164290a0045bbf975984d3e28";
    const X_DUMP: &str = "f5404123216c7561206e616d653d780a72656469732e72656769737465725f66756e6374696f6e282766272c66756e6374696f6e28292072657475726e203120656e64290a00a068f187ba035fc5";
    const BOTH_DUMP: &str = "f5c3406340ab1f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0e66756e6374696f6e28276b6e6f636b600402272c20e000161c292072657475726e202757686f5c27732074686572653f2720656e6429e01b4c0032e01e4d016429f5404123216c7561206e616d653d780a72656469732e72656769737465725f66756e6374696f6e282766272c66756e6374696f6e28292072657475726e203120656e64290a00049dc5068c214f99";

    /// A payload sealed around `body`, whatever it holds.
    fn sealed(body: &[u8]) -> Vec<u8> {
        wrap(body)
    }

    fn s(x: &[u8]) -> Vec<u8> {
        let mut v = vec![x.len() as u8];
        v.extend_from_slice(x);
        v
    }

    #[test]
    fn reads_redis_dumps() {
        assert_eq!(
            restore_libraries(&hex(MYLIB_DUMP)),
            Ok(vec![MYLIB.to_vec()])
        );
        assert_eq!(restore_libraries(&hex(X_DUMP)), Ok(vec![X.to_vec()]));
        assert_eq!(
            restore_libraries(&hex(BOTH_DUMP)),
            Ok(vec![MYLIB.to_vec(), X.to_vec()])
        );
    }

    #[test]
    fn writes_what_redis_writes() {
        assert_eq!(dump_libraries(&[MYLIB], true), hex(MYLIB_DUMP));
        assert_eq!(dump_libraries(&[X], true), hex(X_DUMP));
        assert_eq!(dump_libraries(&[MYLIB, X], true), hex(BOTH_DUMP));
        assert_eq!(dump_libraries(&[], true), wrap(b""));
        let plain = dump_libraries(&[MYLIB], false);
        assert_eq!(restore_libraries(&plain), Ok(vec![MYLIB.to_vec()]));
        assert!(plain.len() > hex(MYLIB_DUMP).len());
    }

    #[test]
    fn errors_as_redis() {
        // Each text checked against FUNCTION RESTORE on redis-server 7.0.15.
        let bad = "ERR DUMP payload version or checksum are wrong";
        assert_eq!(restore_libraries(b"short"), Err(bad.into()));
        let mut flipped = hex(X_DUMP);
        flipped[3] ^= 1;
        assert_eq!(restore_libraries(&flipped), Err(bad.into()));
        // A key's DUMP (`SET k hello`): type 0, a string.
        assert_eq!(
            restore_libraries(&sealed(b"\x00\x05hello")),
            Err("ERR given type is not a function".into())
        );
        assert_eq!(
            restore_libraries(&sealed(b"\xf5")),
            Err("ERR Failed loading library payload".into())
        );
        assert_eq!(
            restore_libraries(&sealed(b"\xf5\xc3\x02\x05\x00a")),
            Err("ERR Failed loading library payload".into())
        );
        assert_eq!(restore_libraries(&sealed(b"")), Ok(vec![]));
        // An entry running into the footer is read from it: Redis then fails to load
        // `#!lua name=\n` ("Library names can only contain ...").
        assert_eq!(
            restore_libraries(&sealed(b"\xf5\x0c#!lua name=")),
            Ok(vec![b"#!lua name=\n".to_vec()])
        );
    }

    #[test]
    fn pre_ga_libraries() {
        let body = b"redis.register_function('f', function() return 1 end)";
        let code = [&b"#!LUA name=mylib\n"[..], body].concat();
        let mut p = vec![OPCODE_FUNCTION_PRE_GA];
        p.extend(s(b"mylib"));
        p.extend(s(b"LUA"));
        let head = p.clone();
        p.push(0);
        p.extend(s(body));
        assert_eq!(restore_libraries(&sealed(&p)), Ok(vec![code.clone()]));
        let mut p = head.clone();
        p.push(1);
        p.extend(s(b"desc"));
        p.extend(s(body));
        assert_eq!(restore_libraries(&sealed(&p)), Ok(vec![code]));
        // Truncated entries read on into the footer, failing where Redis fails.
        let err = |body: &[u8]| restore_libraries(&sealed(body)).unwrap_err();
        assert_eq!(
            err(&[&[OPCODE_FUNCTION_PRE_GA][..], &s(b"mylib")].concat()),
            "ERR Failed loading engine name"
        );
        assert_eq!(err(&head), "ERR Failed loading library blob");
        assert_eq!(
            err(&[&head[..], b"\x01"].concat()),
            "ERR Failed loading library description"
        );
        assert_eq!(
            err(&[&head[..], b"\x00"].concat()),
            "ERR Failed loading library blob"
        );
        assert_eq!(
            err(&[&head[..], b"\x82"].concat()),
            "ERR Failed loading library description indicator"
        );
    }

    #[test]
    fn load_errors_stop_the_restore() {
        let p = dump_libraries(&[MYLIB, X], true);
        let mut seen = 0;
        let r = for_each_library(&p, |_| {
            seen += 1;
            Err("ERR Library 'mylib' already exists".into())
        });
        assert_eq!(r, Err("ERR Library 'mylib' already exists".into()));
        assert_eq!(seen, 1);
    }

    proptest! {
        #[test]
        fn round_trips(codes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..4), compress: bool) {
            let refs: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(restore_libraries(&dump_libraries(&refs, compress)), Ok(codes));
        }

        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = restore_libraries(&sealed(&body));
            let _ = restore_libraries(&body);
        }

        #[test]
        fn arbitrary_entries_never_panic(entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..30), 0..6)) {
            let mut body = Vec::new();
            for e in &entries {
                body.push(if e.len() % 2 == 0 { OPCODE_FUNCTION2 } else { OPCODE_FUNCTION_PRE_GA });
                body.extend_from_slice(e);
            }
            let _ = restore_libraries(&sealed(&body));
        }
    }
}
