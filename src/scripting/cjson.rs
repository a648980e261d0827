//! The `cjson` library Redis 7.0 bundles into its Lua state (lua-cjson 2.1.0): `cjson.encode`,
//! `cjson.decode`, `cjson.null`, `cjson.new` and the configuration functions, with the same
//! output bytes, the same error texts (including the `user_script:1:` position prefix that
//! `luaL_error` adds) and the same limits, down to where the C code runs out of Lua stack.
#![deny(clippy::indexing_slicing)]

use std::cell::RefCell;
use std::os::raw::c_int;
use std::rc::Rc;

use mlua::{ffi, Function, Lua, MultiValue, RegistryKey, Table, Value};

/// `LUAI_MAXCSTACK` of Lua 5.1: `lua_checkstack` refuses to grow a C function's frame past
/// this many slots. lua-cjson checks the stack at every nesting level, so this (and not only
/// the configured depth) bounds how deep it encodes or decodes.
const MAX_C_STACK: i64 = 8000;

/// Levels up to this depth hold their table directly; deeper ones park it in the registry,
/// because every live handle takes a slot of mlua's reference stack, which is bounded too.
const DIRECT_LEVELS: usize = 64;

const NAME: &str = "cjson";
const VERSION: &str = "2.1.0";

/// One `cjson` table's settings (each `cjson.new()` table has its own, as in C).
#[derive(Clone, Debug)]
struct Config {
    sparse_convert: i32,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0 refuse, 1 allow ("nan"/"inf"), 2 write `null`.
    encode_invalid_numbers: i32,
    decode_invalid_numbers: i32,
    encode_keep_buffer: i32,
    encode_number_precision: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: 0,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: 1,
            encode_keep_buffer: 1,
            encode_number_precision: 14,
        }
    }
}

/// How a library function fails: `luaL_error` (position prefix + text) or `luaL_argerror`
/// ("bad argument #n to 'name' (text)"), both raised by [`trampoline`] so that Lua itself
/// composes the prefix and the function name.
enum Fail {
    Error(Vec<u8>),
    Arg(i32, Vec<u8>),
}

impl Fail {
    fn msg(text: impl Into<Vec<u8>>) -> Self {
        Fail::Error(text.into())
    }
}

type Outcome = Result<Vec<Value>, Fail>;

/// Creates the global `cjson` table.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let module = new_module(lua)?;
    lua.globals().raw_set(NAME, module)
}

/// Builds one `cjson` table with a fresh configuration (what `cjson.new()` returns).
fn new_module(lua: &Lua) -> mlua::Result<Table> {
    let cfg = Rc::new(RefCell::new(Config::default()));
    let module = lua.create_table()?;
    let next = unsafe { lua.create_c_function(raw_next)? };
    type Impl = fn(&Lua, &RefCell<Config>, &Function, &[Value], i64) -> mlua::Result<Outcome>;
    let entries: [(&str, Impl); 10] = [
        ("encode", |lua, cfg, next, args, mask| {
            encode(lua, cfg, next, args, mask)
        }),
        ("decode", |lua, cfg, _, args, _| decode(lua, cfg, args)),
        ("encode_sparse_array", |lua, cfg, _, args, _| {
            cfg_sparse_array(lua, args, cfg)
        }),
        ("encode_max_depth", |lua, cfg, _, args, _| {
            cfg_integer(lua, args, |c| &mut c.encode_max_depth, cfg, 1, i32::MAX)
        }),
        ("decode_max_depth", |lua, cfg, _, args, _| {
            cfg_integer(lua, args, |c| &mut c.decode_max_depth, cfg, 1, i32::MAX)
        }),
        ("encode_number_precision", |lua, cfg, _, args, _| {
            cfg_integer(lua, args, |c| &mut c.encode_number_precision, cfg, 1, 14)
        }),
        ("encode_keep_buffer", |lua, cfg, _, args, _| {
            cfg_enum(lua, args, |c| &mut c.encode_keep_buffer, cfg, BOOL_OPTIONS)
        }),
        ("encode_invalid_numbers", |lua, cfg, _, args, _| {
            cfg_enum(
                lua,
                args,
                |c| &mut c.encode_invalid_numbers,
                cfg,
                &["off", "on", "null"],
            )
        }),
        ("decode_invalid_numbers", |lua, cfg, _, args, _| {
            cfg_enum(
                lua,
                args,
                |c| &mut c.decode_invalid_numbers,
                cfg,
                BOOL_OPTIONS,
            )
        }),
        // Arguments are ignored, as in C.
        ("new", |lua, _, _, _, _| {
            Ok(Ok(vec![Value::Table(new_module(lua)?)]))
        }),
    ];
    for (name, imp) in entries {
        let cfg = cfg.clone();
        let next = next.clone();
        let inner = lua.create_function(move |lua, args: MultiValue| {
            let mut args = args.into_iter();
            // The trampoline passes its negative-zero mask first.
            let mask = match args.next() {
                Some(Value::Integer(m)) => m,
                _ => 0,
            };
            let args: Vec<Value> = args.collect();
            let outcome = imp(lua, &cfg, &next, &args, mask)?;
            let mut out = Vec::new();
            match outcome {
                Ok(values) => {
                    out.push(Value::Boolean(true));
                    out.extend(values);
                }
                Err(Fail::Error(text)) => {
                    out.push(Value::Boolean(false));
                    out.push(Value::String(lua.create_string(text)?));
                }
                Err(Fail::Arg(narg, text)) => {
                    out.push(Value::Number(f64::from(narg)));
                    out.push(Value::String(lua.create_string(text)?));
                }
            }
            Ok(MultiValue::from_iter(out))
        })?;
        // SAFETY: pushcclosure takes the function exec_raw pushed as its one upvalue and
        // leaves the closure as the only result.
        let outer: Function = unsafe {
            lua.exec_raw(inner, |state| {
                ffi::lua_pushcclosure(state, trampoline, 1);
            })?
        };
        module.raw_set(name, outer)?;
    }
    module.raw_set("null", Value::NULL)?;
    module.raw_set("_NAME", NAME)?;
    module.raw_set("_VERSION", VERSION)?;
    Ok(module)
}

/// The C function Lua scripts actually call: it runs the Rust implementation (its upvalue)
/// and turns a reported failure into a Lua error from this C frame, as lua-cjson does with
/// `luaL_error` / `luaL_argerror`: the message then carries the caller's position and the
/// name the function was called by, and the error value is a plain string.
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    let nargs = ffi::lua_gettop(state);
    // mlua hands numbers over as integers when they are integral, which loses the sign of
    // a zero; `cjson.encode(-0)` must still print "-0".
    let mut mask: i64 = 0;
    for i in 1..=nargs.min(62) {
        if ffi::lua_type(state, i) == ffi::LUA_TNUMBER {
            let n = ffi::lua_tonumber(state, i);
            if n == 0.0 && n.is_sign_negative() {
                mask |= 1 << (i - 1);
            }
        }
    }
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_pushinteger(state, mask as ffi::lua_Integer);
    ffi::lua_insert(state, 2);
    ffi::lua_call(state, nargs + 1, ffi::LUA_MULTRET);
    let nres = ffi::lua_gettop(state);
    if nres >= 1 && ffi::lua_type(state, 1) == ffi::LUA_TBOOLEAN {
        if ffi::lua_toboolean(state, 1) != 0 {
            return nres - 1;
        }
        ffi::luaL_where(state, 1);
        ffi::lua_pushvalue(state, 2);
        ffi::lua_concat(state, 2);
        ffi::lua_error(state);
    }
    if nres >= 2 && ffi::lua_type(state, 1) == ffi::LUA_TNUMBER {
        let narg = ffi::lua_tointeger(state, 1) as c_int;
        let text = ffi::lua_tolstring(state, 2, std::ptr::null_mut());
        return ffi::luaL_argerror(state, narg, text);
    }
    0
}

/// `next` without going through the (replaceable) global of that name, over a cursor:
/// `raw_next(t, cursor)` continues after the key kept in `cursor[1]`, stores the new key
/// there, and returns the key, the value and, for a number key, its exact bits (8 bytes).
/// The key never makes a round trip through a Rust value, which would round a number
/// within an epsilon of an integer to that integer (and `next` would then fail).
unsafe extern "C-unwind" fn raw_next(state: *mut ffi::lua_State) -> c_int {
    ffi::lua_settop(state, 2);
    ffi::lua_rawgeti(state, 2, 1);
    if ffi::lua_next(state, 1) != 0 {
        // Stack: t, cursor, key, value.
        ffi::lua_pushvalue(state, 3);
        ffi::lua_rawseti(state, 2, 1);
        if ffi::lua_type(state, 3) == ffi::LUA_TNUMBER {
            let bits = ffi::lua_tonumber(state, 3).to_le_bytes();
            ffi::lua_pushlstring(state, bits.as_ptr().cast(), bits.len());
            3
        } else {
            2
        }
    } else {
        ffi::lua_pushnil(state);
        1
    }
}

// ===== Arguments and configuration =====

const BOOL_OPTIONS: &[&str] = &["off", "on"];

/// `lua_typename` of a value (light and full userdata are both "userdata").
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// Lua 5.1's `lua_Number` to `lua_Integer` cast on x86-64 (out of range gives the minimum).
fn c_long(n: f64) -> i64 {
    if n.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// The number a value reads as for `lua_tonumber` (numeric strings included).
fn to_number(lua: &Lua, v: &Value) -> mlua::Result<Option<f64>> {
    Ok(match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(_) => lua.coerce_number(v.clone())?,
        _ => None,
    })
}

/// `lua_tolstring` of a string or number argument.
fn to_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(format_g(*i as f64, 14).into_bytes()),
        Value::Number(n) => Some(format_g(*n, 14).into_bytes()),
        _ => None,
    }
}

fn type_error(narg: i32, expected: &str, v: &Value) -> Fail {
    Fail::Arg(
        narg,
        format!("{expected} expected, got {}", type_name(v)).into_bytes(),
    )
}

/// `json_arg_init`: too many arguments is an error on the first extra one; missing ones read
/// as nil.
fn arg_init(args: &[Value], count: usize) -> Result<Vec<Value>, Fail> {
    if args.len() > count {
        return Err(Fail::Arg(
            count as i32 + 1,
            b"found too many arguments".to_vec(),
        ));
    }
    let mut padded = args.to_vec();
    padded.resize(count, Value::Nil);
    Ok(padded)
}

/// `json_integer_option`: a non-nil argument must be an integer in range (the range error
/// names argument #1 whatever the position, as lua-cjson does); returns the current value.
fn integer_option(
    lua: &Lua,
    arg: &Value,
    narg: i32,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> mlua::Result<Result<Value, Fail>> {
    if !matches!(arg, Value::Nil) {
        let Some(n) = to_number(lua, arg)? else {
            return Ok(Err(type_error(narg, "number", arg)));
        };
        // lua_Integer truncated to a C int.
        let value = c_long(n) as i32;
        if value < min || value > max {
            let text = format!("expected integer between {min} and {max}");
            return Ok(Err(Fail::Arg(1, text.into_bytes())));
        }
        *setting = value;
    }
    Ok(Ok(Value::Number(f64::from(*setting))))
}

/// `json_enum_option` with `bool_true` 1: booleans or one of `options` set it; the current
/// value reads back as a boolean for 0/1 and as the option's name otherwise.
fn enum_option(
    lua: &Lua,
    arg: &Value,
    narg: i32,
    setting: &mut i32,
    options: &[&str],
) -> mlua::Result<Result<Value, Fail>> {
    match arg {
        Value::Nil => {}
        Value::Boolean(b) => *setting = i32::from(*b),
        other => {
            let Some(bytes) = to_bytes(other) else {
                return Ok(Err(type_error(narg, "string", other)));
            };
            match options
                .iter()
                .position(|o| o.as_bytes() == bytes.as_slice())
            {
                Some(i) => *setting = i as i32,
                None => {
                    // The message is built with %s: it stops at a NUL.
                    let shown = bytes.split(|&b| b == 0).next().unwrap_or_default();
                    let mut text = b"invalid option '".to_vec();
                    text.extend_from_slice(shown);
                    text.push(b'\'');
                    return Ok(Err(Fail::Arg(narg, text)));
                }
            }
        }
    }
    if *setting == 0 || *setting == 1 {
        return Ok(Ok(Value::Boolean(*setting == 1)));
    }
    let name = options.get(*setting as usize).copied().unwrap_or("");
    Ok(Ok(Value::String(lua.create_string(name)?)))
}

fn cfg_integer(
    lua: &Lua,
    args: &[Value],
    field: fn(&mut Config) -> &mut i32,
    cfg: &RefCell<Config>,
    min: i32,
    max: i32,
) -> mlua::Result<Outcome> {
    let args = match arg_init(args, 1) {
        Ok(a) => a,
        Err(f) => return Ok(Err(f)),
    };
    let mut cfg = cfg.borrow_mut();
    let arg = args.first().unwrap_or(&Value::Nil);
    Ok(integer_option(lua, arg, 1, field(&mut cfg), min, max)?.map(|v| vec![v]))
}

fn cfg_enum(
    lua: &Lua,
    args: &[Value],
    field: fn(&mut Config) -> &mut i32,
    cfg: &RefCell<Config>,
    options: &[&str],
) -> mlua::Result<Outcome> {
    let args = match arg_init(args, 1) {
        Ok(a) => a,
        Err(f) => return Ok(Err(f)),
    };
    let mut cfg = cfg.borrow_mut();
    let arg = args.first().unwrap_or(&Value::Nil);
    Ok(enum_option(lua, arg, 1, field(&mut cfg), options)?.map(|v| vec![v]))
}

/// `encode_sparse_array([convert[, ratio[, safe]]])`: each given argument is applied in turn
/// (an error in a later one keeps the earlier ones), and all three current values return.
fn cfg_sparse_array(lua: &Lua, args: &[Value], cfg: &RefCell<Config>) -> mlua::Result<Outcome> {
    let args = match arg_init(args, 3) {
        Ok(a) => a,
        Err(f) => return Ok(Err(f)),
    };
    let nil = Value::Nil;
    let mut cfg = cfg.borrow_mut();
    let convert = enum_option(
        lua,
        args.first().unwrap_or(&nil),
        1,
        &mut cfg.sparse_convert,
        BOOL_OPTIONS,
    )?;
    let convert = match convert {
        Ok(v) => v,
        Err(f) => return Ok(Err(f)),
    };
    let ratio_arg = args.get(1).unwrap_or(&nil);
    let ratio = match integer_option(lua, ratio_arg, 2, &mut cfg.sparse_ratio, 0, i32::MAX)? {
        Ok(v) => v,
        Err(f) => return Ok(Err(f)),
    };
    let safe_arg = args.get(2).unwrap_or(&nil);
    let safe = match integer_option(lua, safe_arg, 3, &mut cfg.sparse_safe, 0, i32::MAX)? {
        Ok(v) => v,
        Err(f) => return Ok(Err(f)),
    };
    Ok(Ok(vec![convert, ratio, safe]))
}

// ===== Number formatting =====

/// C's `printf("%.<precision>g", n)` (glibc spelling of inf and nan).
fn format_g(n: f64, precision: i32) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let p = precision.max(1) as usize;
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // The exponent %g decides with is the one of the value rounded to p digits.
    let sci = format!("{:.*e}", p - 1, n);
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (sci.clone(), 0),
    };
    if exp < -4 || exp >= p as i32 {
        let mantissa = strip_fraction_zeros(&mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{n:.decimals$}"))
    }
}

fn strip_fraction_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

// ===== Encoding =====

/// A Lua value kept across nesting levels: directly near the top, in the registry deeper.
enum Held {
    Direct(Value),
    Registry(RegistryKey),
}

impl Held {
    fn new(lua: &Lua, v: Value, deep: bool) -> mlua::Result<Held> {
        if deep {
            Ok(Held::Registry(lua.create_registry_value(v)?))
        } else {
            Ok(Held::Direct(v))
        }
    }

    fn get(&self, lua: &Lua) -> mlua::Result<Value> {
        match self {
            Held::Direct(v) => Ok(v.clone()),
            Held::Registry(k) => lua.registry_value(k),
        }
    }

    fn table(&self, lua: &Lua) -> mlua::Result<Table> {
        match self.get(lua)? {
            Value::Table(t) => Ok(t),
            other => Err(mlua::Error::runtime(format!(
                "cjson: expected a table, found {}",
                type_name(&other)
            ))),
        }
    }
}

enum EncodeFrame {
    Array { table: Held, next: i64, len: i64 },
    Object { table: Held, key: Held, first: bool },
}

impl EncodeFrame {
    /// Lua stack slots the C encoder keeps on its frame while inside this level's children:
    /// the element for an array, the key and value for an object.
    fn slots(&self) -> i64 {
        match self {
            EncodeFrame::Array { .. } => 1,
            EncodeFrame::Object { .. } => 2,
        }
    }
}

struct Encoder<'a> {
    lua: &'a Lua,
    cfg: Config,
    next: &'a Function,
    out: Vec<u8>,
    stack: Vec<EncodeFrame>,
    /// Slots in use on the C encoder's frame (the argument, then per open level).
    used: i64,
}

fn encode(
    lua: &Lua,
    cfg: &RefCell<Config>,
    next: &Function,
    args: &[Value],
    mask: i64,
) -> mlua::Result<Outcome> {
    let [value] = args else {
        return Ok(Err(Fail::Arg(1, b"expected 1 argument".to_vec())));
    };
    let value = if mask & 1 != 0 {
        Value::Number(-0.0)
    } else {
        value.clone()
    };
    let mut enc = Encoder {
        lua,
        cfg: cfg.borrow().clone(),
        next,
        out: Vec::new(),
        stack: Vec::new(),
        used: 1,
    };
    if let Err(f) = enc.run(value)? {
        return Ok(Err(f));
    }
    Ok(Ok(vec![Value::String(lua.create_string(&enc.out)?)]))
}

impl Encoder<'_> {
    fn run(&mut self, value: Value) -> mlua::Result<Result<(), Fail>> {
        let lua = self.lua;
        if let Err(f) = self.value(value)? {
            return Ok(Err(f));
        }
        enum Step {
            Close,
            Value(Value),
            Member(Table, Value, bool),
        }
        while let Some(frame) = self.stack.last_mut() {
            let step = match frame {
                EncodeFrame::Array { table, next, len } => {
                    if *next > *len {
                        Step::Close
                    } else {
                        let i = *next;
                        *next += 1;
                        if i > 1 {
                            self.out.push(b',');
                        }
                        let t = table.table(lua)?;
                        Step::Value(element(&t, Value::Number(i as f64))?)
                    }
                }
                EncodeFrame::Object { table, key, first } => {
                    let was_first = *first;
                    *first = false;
                    Step::Member(table.table(lua)?, key.get(lua)?, was_first)
                }
            };
            let value = match step {
                Step::Close => None,
                Step::Value(v) => Some(v),
                Step::Member(t, cursor, was_first) => {
                    let (k, v, bits): (Value, Value, Option<mlua::String>) =
                        self.next.call((t.clone(), cursor))?;
                    if matches!(k, Value::Nil) {
                        None
                    } else {
                        if !was_first {
                            self.out.push(b',');
                        }
                        // A number key as Lua holds it (the conversion may have rounded).
                        let k = match bits.and_then(|b| <[u8; 8]>::try_from(&*b.as_bytes()).ok()) {
                            Some(b) => Value::Number(f64::from_le_bytes(b)),
                            None => k,
                        };
                        if let Err(f) = self.key(&k)? {
                            return Ok(Err(f));
                        }
                        // A zero value may be a negative zero that the conversion lost.
                        if matches!(v, Value::Integer(0)) {
                            Some(element(&t, k)?)
                        } else {
                            Some(v)
                        }
                    }
                }
            };
            match value {
                Some(v) => {
                    if let Err(f) = self.value(v)? {
                        return Ok(Err(f));
                    }
                }
                None => {
                    if let Some(done) = self.stack.pop() {
                        self.used -= done.slots();
                        self.out.push(match done {
                            EncodeFrame::Array { .. } => b']',
                            EncodeFrame::Object { .. } => b'}',
                        });
                    }
                }
            }
        }
        Ok(Ok(()))
    }

    fn key(&mut self, k: &Value) -> mlua::Result<Result<(), Fail>> {
        match k {
            Value::Integer(_) | Value::Number(_) => {
                self.out.push(b'"');
                if let Err(f) = self.number(number_of(k)) {
                    return Ok(Err(f));
                }
                self.out.extend_from_slice(b"\":");
            }
            Value::String(s) => {
                append_string(&mut self.out, &s.as_bytes());
                self.out.push(b':');
            }
            other => {
                return Ok(Err(serialise_error(
                    other,
                    "table key must be a number or string",
                )))
            }
        }
        Ok(Ok(()))
    }

    fn number(&mut self, n: f64) -> Result<(), Fail> {
        if !n.is_finite() {
            match self.cfg.encode_invalid_numbers {
                0 => return Err(Fail::msg("Cannot serialise number: must not be NaN or Inf")),
                1 if n.is_nan() => {
                    self.out.extend_from_slice(b"nan");
                    return Ok(());
                }
                1 => {}
                _ => {
                    self.out.extend_from_slice(b"null");
                    return Ok(());
                }
            }
        }
        let text = format_g(n, self.cfg.encode_number_precision);
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// Writes a scalar, or opens a table (pushing its frame).
    fn value(&mut self, v: Value) -> mlua::Result<Result<(), Fail>> {
        match v {
            Value::String(s) => append_string(&mut self.out, &s.as_bytes()),
            Value::Integer(_) | Value::Number(_) => {
                if let Err(f) = self.number(number_of(&v)) {
                    return Ok(Err(f));
                }
            }
            Value::Boolean(b) => {
                self.out
                    .extend_from_slice(if b { b"true" as &[u8] } else { b"false" });
            }
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(ud) if ud.0.is_null() => self.out.extend_from_slice(b"null"),
            Value::Table(t) => {
                let depth = self.stack.len() as i64 + 1;
                if depth > i64::from(self.cfg.encode_max_depth) || self.used + 3 > MAX_C_STACK {
                    let text = format!("Cannot serialise, excessive nesting ({depth})");
                    return Ok(Err(Fail::msg(text)));
                }
                let len = match array_length(&t, &self.cfg)? {
                    Ok(len) => len,
                    Err(f) => return Ok(Err(f)),
                };
                let deep = self.stack.len() >= DIRECT_LEVELS;
                let table = Held::new(self.lua, Value::Table(t), deep)?;
                let frame = if len > 0 {
                    self.out.push(b'[');
                    EncodeFrame::Array {
                        table,
                        next: 1,
                        len: i64::from(len),
                    }
                } else {
                    self.out.push(b'{');
                    EncodeFrame::Object {
                        table,
                        key: Held::new(self.lua, Value::Table(self.lua.create_table()?), deep)?,
                        first: true,
                    }
                };
                self.used += frame.slots();
                self.stack.push(frame);
            }
            other => return Ok(Err(serialise_error(&other, "type not supported"))),
        }
        Ok(Ok(()))
    }
}

fn serialise_error(v: &Value, reason: &str) -> Fail {
    Fail::msg(format!("Cannot serialise {}: {reason}", type_name(v)))
}

fn number_of(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        _ => 0.0,
    }
}

/// `t[k]` without metamethods, reading numbers exactly (negative zero included).
fn element(t: &Table, k: Value) -> mlua::Result<Value> {
    let v: Value = t.raw_get(k.clone())?;
    if matches!(v, Value::Integer(0)) {
        return Ok(Value::Number(t.raw_get::<f64>(k)?));
    }
    Ok(v)
}

/// lua-cjson's array test: every key a number >= 1 with no fraction. The largest one is kept
/// in a C int (values past its range land on INT_MIN, so such tables become objects), and a
/// table sparser than the configured ratio is an error or an object.
fn array_length(t: &Table, cfg: &Config) -> mlua::Result<Result<i32, Fail>> {
    let mut max: i32 = 0;
    let mut items: i32 = 0;
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        let k = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(Ok(-1)),
        };
        if k == 0.0 || k.floor() != k || k < 1.0 {
            return Ok(Ok(-1));
        }
        if k > f64::from(max) {
            max = if k < 2_147_483_648.0 {
                k as i32
            } else {
                i32::MIN
            };
        }
        items = items.wrapping_add(1);
    }
    if cfg.sparse_ratio > 0 && max > items.wrapping_mul(cfg.sparse_ratio) && max > cfg.sparse_safe {
        if cfg.sparse_convert == 0 {
            return Ok(Err(Fail::msg(
                "Cannot serialise table: excessively sparse array",
            )));
        }
        return Ok(Ok(-1));
    }
    Ok(Ok(max))
}

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
                out.push(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0'));
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

// ===== Decoding =====

#[derive(Debug, Clone, PartialEq)]
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Token {
    fn found(&self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::Str(_) => "T_STRING",
            Token::Num(_) => "T_NUMBER",
            Token::Bool(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(what) => what,
        }
    }
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    invalid_numbers: bool,
}

impl Parser<'_> {
    /// The byte at `i`; the text reads as NUL-terminated, as the C parser sees it.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// Next token and the index where it starts.
    fn next_token(&mut self) -> (Token, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let single = match self.at(start) {
            0 => return (Token::End, start),
            b'{' => Some(Token::ObjBegin),
            b'}' => Some(Token::ObjEnd),
            b'[' => Some(Token::ArrBegin),
            b']' => Some(Token::ArrEnd),
            b',' => Some(Token::Comma),
            b':' => Some(Token::Colon),
            _ => None,
        };
        if let Some(tok) = single {
            self.pos += 1;
            return (tok, start);
        }
        let ch = self.at(start);
        if ch == b'"' {
            return self.string_token();
        }
        if ch == b'-' || ch.is_ascii_digit() {
            if !self.invalid_numbers && self.is_invalid_number() {
                return (Token::Error("invalid number"), start);
            }
            return self.number_token();
        }
        let rest = self.data.get(start..).unwrap_or_default();
        if rest.starts_with(b"true") {
            self.pos += 4;
            return (Token::Bool(true), start);
        }
        if rest.starts_with(b"false") {
            self.pos += 5;
            return (Token::Bool(false), start);
        }
        if rest.starts_with(b"null") {
            self.pos += 4;
            return (Token::Null, start);
        }
        if matches!(ch, b'+' | b'i' | b'I' | b'n' | b'N')
            && self.invalid_numbers
            && self.is_invalid_number()
        {
            return self.number_token();
        }
        (Token::Error("invalid token"), start)
    }

    /// Numbers strict JSON refuses but strtod takes: a leading '+', hex, leading zeros,
    /// inf and nan.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        // C compares a (signed) char: bytes from 0x80 count as "<= '9'".
        if c <= b'9' || c >= 0x80 {
            return false;
        }
        self.starts_with_ci(p, b"inf") || self.starts_with_ci(p, b"nan")
    }

    fn starts_with_ci(&self, p: usize, word: &[u8]) -> bool {
        word.iter()
            .enumerate()
            .all(|(i, w)| self.at(p + i).to_ascii_lowercase() == *w)
    }

    fn number_token(&mut self) -> (Token, usize) {
        let start = self.pos;
        match strtod(self.data.get(start..).unwrap_or_default()) {
            Some((n, used)) if used > 0 => {
                self.pos += used;
                (Token::Num(n), start)
            }
            _ => (Token::Error("invalid number"), start),
        }
    }

    fn string_token(&mut self) -> (Token, usize) {
        let start = self.pos;
        self.pos += 1;
        let mut buf = Vec::new();
        loop {
            let ch = self.at(self.pos);
            match ch {
                b'"' => break,
                0 => return (Token::Error("unexpected end of string"), self.pos),
                b'\\' => {
                    let mapped = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => 0x0c,
                        b'r' => b'\r',
                        b'u' => {
                            if self.unicode_escape(&mut buf) {
                                continue;
                            }
                            return (Token::Error("invalid unicode escape code"), self.pos);
                        }
                        _ => return (Token::Error("invalid escape code"), self.pos),
                    };
                    buf.push(mapped);
                    self.pos += 2;
                }
                _ => {
                    buf.push(ch);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        (Token::Str(buf), start)
    }

    fn hex4(&self, p: usize) -> Option<u32> {
        let mut v = 0u32;
        for i in 0..4 {
            let d = char::from(self.at(p + i)).to_digit(16)?;
            v = (v << 4) | d;
        }
        Some(v)
    }

    /// `\uXXXX` (a surrogate pair takes two) at `pos`, appended as UTF-8.
    fn unicode_escape(&mut self, buf: &mut Vec<u8>) -> bool {
        let Some(mut cp) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return false;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        if cp <= 0x7F {
            buf.push(cp as u8);
        } else if cp <= 0x7FF {
            buf.push((cp >> 6) as u8 | 0xC0);
            buf.push((cp & 0x3F) as u8 | 0x80);
        } else if cp <= 0xFFFF {
            buf.push((cp >> 12) as u8 | 0xE0);
            buf.push(((cp >> 6) & 0x3F) as u8 | 0x80);
            buf.push((cp & 0x3F) as u8 | 0x80);
        } else {
            buf.push((cp >> 18) as u8 | 0xF0);
            buf.push(((cp >> 12) & 0x3F) as u8 | 0x80);
            buf.push(((cp >> 6) & 0x3F) as u8 | 0x80);
            buf.push((cp & 0x3F) as u8 | 0x80);
        }
        self.pos += len;
        true
    }
}

/// C `strtod` in the "C" locale, reading up to the first NUL: decimal and hexadecimal
/// floats, inf/infinity and nan/nan(chars), with an optional sign. Returns the value and
/// the bytes consumed, or None when nothing forms a number.
fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let ci = |p: usize, word: &[u8]| {
        word.iter()
            .enumerate()
            .all(|(i, w)| at(p + i).to_ascii_lowercase() == *w)
    };
    let mut i = 0;
    let negative = match at(0) {
        b'-' => {
            i = 1;
            true
        }
        b'+' => {
            i = 1;
            false
        }
        _ => false,
    };
    let signed = |v: f64| if negative { -v } else { v };
    if ci(i, b"inf") {
        let used = if ci(i + 3, b"inity") { i + 8 } else { i + 3 };
        return Some((signed(f64::INFINITY), used));
    }
    if ci(i, b"nan") {
        let mut used = i + 3;
        if at(used) == b'(' {
            let mut j = used + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            if at(j) == b')' {
                used = j + 1;
            }
        }
        return Some((signed(f64::NAN), used));
    }
    if at(i) == b'0' && (at(i + 1) | 0x20) == b'x' {
        if let Some((v, used)) = hex_float(s, i + 2) {
            return Some((signed(v), used));
        }
        // "0x" with no hex digits: only the "0" is a number.
        return Some((signed(0.0), i + 1));
    }
    let mut text = String::from("0");
    let mut digits = 0;
    while at(i).is_ascii_digit() {
        text.push(char::from(at(i)));
        i += 1;
        digits += 1;
    }
    text.push('.');
    if at(i) == b'.' {
        i += 1;
        while at(i).is_ascii_digit() {
            text.push(char::from(at(i)));
            i += 1;
            digits += 1;
        }
    }
    text.push('0');
    if digits == 0 {
        return None;
    }
    if at(i) | 0x20 == b'e' {
        let mut j = i + 1;
        let mut exp = String::from("e");
        if matches!(at(j), b'+' | b'-') {
            exp.push(char::from(at(j)));
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                exp.push(char::from(at(j)));
                j += 1;
            }
            text.push_str(&exp);
            i = j;
        }
    }
    let v: f64 = text.parse().ok()?;
    Some((signed(v), i))
}

/// The part of a hex float after "0x": digits, an optional fraction and a binary exponent.
fn hex_float(s: &[u8], start: usize) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = start;
    let mut mant: u64 = 0;
    let mut exp2: i64 = 0;
    let mut sticky = false;
    let mut any = false;
    let mut add = |d: u32, fraction: bool, mant: &mut u64, exp2: &mut i64| {
        if *mant < (1 << 60) {
            *mant = *mant * 16 + u64::from(d);
            if fraction {
                *exp2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !fraction {
                *exp2 += 4;
            }
        }
    };
    while let Some(d) = char::from(at(i)).to_digit(16) {
        add(d, false, &mut mant, &mut exp2);
        any = true;
        i += 1;
    }
    if at(i) == b'.' {
        let mut j = i + 1;
        let mut frac_any = false;
        while let Some(d) = char::from(at(j)).to_digit(16) {
            add(d, true, &mut mant, &mut exp2);
            frac_any = true;
            j += 1;
        }
        if any || frac_any {
            i = j;
            any = true;
        }
    }
    if !any {
        return None;
    }
    if at(i) | 0x20 == b'p' {
        let mut j = i + 1;
        let neg = match at(j) {
            b'-' => {
                j += 1;
                true
            }
            b'+' => {
                j += 1;
                false
            }
            _ => false,
        };
        if at(j).is_ascii_digit() {
            let mut e: i64 = 0;
            while at(j).is_ascii_digit() {
                e = (e * 10 + i64::from(at(j) - b'0')).min(1 << 20);
                j += 1;
            }
            exp2 += if neg { -e } else { e };
            i = j;
        }
    }
    if sticky {
        mant |= 1;
    }
    let mut v = mant as f64;
    // Scale by powers of two in steps that stay exact until the result over/underflows.
    while exp2 > 0 && v != 0.0 && v.is_finite() {
        let step = exp2.min(1000);
        v *= 2f64.powi(step as i32);
        exp2 -= step;
    }
    while exp2 < 0 && v != 0.0 {
        let step = (-exp2).min(1000);
        v /= 2f64.powi(step as i32);
        exp2 += step;
    }
    Some((v, i))
}

/// An open container of the decoder.
enum Open {
    Array { table: Held, next: i64 },
    Object { table: Held, key: Vec<u8> },
}

impl Open {
    /// Lua stack slots the C decoder holds while inside this container: the table, plus
    /// the pending key for an object.
    fn slots(&self) -> i64 {
        match self {
            Open::Array { .. } => 1,
            Open::Object { .. } => 2,
        }
    }
}

fn parse_error(expected: &str, tok: &Token, index: usize) -> Fail {
    Fail::msg(format!(
        "Expected {expected} but found {} at character {}",
        tok.found(),
        index + 1
    ))
}

fn decode(lua: &Lua, cfg: &RefCell<Config>, args: &[Value]) -> mlua::Result<Outcome> {
    let [arg] = args else {
        return Ok(Err(Fail::Arg(1, b"expected 1 argument".to_vec())));
    };
    let Some(text) = to_bytes(arg) else {
        return Ok(Err(type_error(1, "string", arg)));
    };
    if text.len() >= 2 && (text.first() == Some(&0) || text.get(1) == Some(&0)) {
        return Ok(Err(Fail::msg(
            "JSON parser does not support UTF-16 or UTF-32",
        )));
    }
    let cfg = cfg.borrow().clone();
    let mut parser = Parser {
        data: &text,
        pos: 0,
        invalid_numbers: cfg.decode_invalid_numbers != 0,
    };
    let value = match parse_value(lua, &cfg, &mut parser)? {
        Ok(v) => v,
        Err(f) => return Ok(Err(f)),
    };
    let (tok, at) = parser.next_token();
    if tok != Token::End {
        return Ok(Err(parse_error("the end", &tok, at)));
    }
    Ok(Ok(vec![value]))
}

/// Parses one value with an explicit stack of open containers (no recursion, so nesting
/// is bounded only by the same limits lua-cjson has).
fn parse_value(lua: &Lua, cfg: &Config, p: &mut Parser) -> mlua::Result<Result<Value, Fail>> {
    let mut stack: Vec<Open> = Vec::new();
    let mut used: i64 = 1;
    let (mut tok, mut at) = p.next_token();
    loop {
        // Process `tok` as a value: a scalar completes at once; a container opens.
        let mut value = match tok {
            Token::Str(s) => Value::String(lua.create_string(s)?),
            Token::Num(n) => Value::Number(n),
            Token::Bool(b) => Value::Boolean(b),
            Token::Null => Value::NULL,
            Token::ArrBegin | Token::ObjBegin => {
                let is_array = tok == Token::ArrBegin;
                let depth = stack.len() as i64 + 1;
                let need = if is_array { 2 } else { 3 };
                if depth > i64::from(cfg.decode_max_depth) || used + need > MAX_C_STACK {
                    return Ok(Err(Fail::msg(format!(
                        "Found too many nested data structures ({depth}) at character {}",
                        p.pos
                    ))));
                }
                let table = lua.create_table()?;
                let (next, next_at) = p.next_token();
                let closing = if is_array {
                    Token::ArrEnd
                } else {
                    Token::ObjEnd
                };
                if next == closing {
                    Value::Table(table)
                } else {
                    let deep = stack.len() >= DIRECT_LEVELS;
                    let held = Held::new(lua, Value::Table(table), deep)?;
                    if is_array {
                        stack.push(Open::Array {
                            table: held,
                            next: 1,
                        });
                        used += 1;
                        tok = next;
                        at = next_at;
                    } else {
                        let key = match object_key(p, next, next_at) {
                            Ok(k) => k,
                            Err(f) => return Ok(Err(f)),
                        };
                        stack.push(Open::Object { table: held, key });
                        used += 2;
                        (tok, at) = p.next_token();
                    }
                    continue;
                }
            }
            other => return Ok(Err(parse_error("value", &other, at))),
        };
        // Attach the completed value to its parent, closing every container that ends.
        loop {
            let Some(open) = stack.last_mut() else {
                return Ok(Ok(value));
            };
            let closing = match open {
                Open::Array { table, next } => {
                    table.table(lua)?.raw_set(*next as f64, value)?;
                    *next += 1;
                    Token::ArrEnd
                }
                Open::Object { table, key } => {
                    let k = lua.create_string(&*key)?;
                    table.table(lua)?.raw_set(k, value)?;
                    Token::ObjEnd
                }
            };
            let (t, t_at) = p.next_token();
            if t == closing {
                let Some(done) = stack.pop() else {
                    return Ok(Err(Fail::msg("cjson: decoder stack underflow")));
                };
                used -= done.slots();
                value = match done {
                    Open::Array { table, .. } | Open::Object { table, .. } => table.get(lua)?,
                };
                continue;
            }
            let is_array = closing == Token::ArrEnd;
            if t != Token::Comma {
                let expected = if is_array {
                    "comma or array end"
                } else {
                    "comma or object end"
                };
                return Ok(Err(parse_error(expected, &t, t_at)));
            }
            (tok, at) = p.next_token();
            if !is_array {
                let key = match object_key(p, tok, at) {
                    Ok(k) => k,
                    Err(f) => return Ok(Err(f)),
                };
                if let Some(Open::Object { key: slot, .. }) = stack.last_mut() {
                    *slot = key;
                }
                (tok, at) = p.next_token();
            }
            break;
        }
    }
}

/// A member's key token followed by its colon; the value token comes next.
fn object_key(p: &mut Parser, tok: Token, at: usize) -> Result<Vec<u8>, Fail> {
    let Token::Str(key) = tok else {
        return Err(parse_error("object key string", &tok, at));
    };
    let (colon, colon_at) = p.next_token();
    if colon != Token::Colon {
        return Err(parse_error("colon", &colon, colon_at));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn state() -> Lua {
        let lua = Lua::new();
        open(&lua).unwrap();
        lua
    }

    /// Runs a chunk named as Redis names scripts and renders the result the way Redis
    /// replies to it (strings as such, numbers truncated to integers, true as 1, false as
    /// nil), or "ERR <message>" for an error.
    fn run(lua: &Lua, code: &str) -> String {
        match lua.load(code).set_name("@user_script").eval::<Value>() {
            Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Ok(Value::Integer(i)) => format!("number:{i}"),
            Ok(Value::Number(n)) => format!("number:{}", n as i64),
            Ok(Value::Boolean(true)) => "number:1".to_string(),
            Ok(Value::Boolean(false) | Value::Nil) => "nil".to_string(),
            Ok(Value::Table(_)) => "array".to_string(),
            Ok(other) => type_name(&other).to_string(),
            Err(mlua::Error::RuntimeError(m)) => {
                let m = m.split("\nstack traceback:").next().unwrap_or_default();
                format!("ERR {m}")
            }
            Err(e) => format!("OTHER {e}"),
        }
    }

    /// (script, reply of redis-server 7.0.15 to `EVAL script 0`; errors as "ERR <message>"
    /// without Redis's " script: <sha>, on @user_script:1." suffix).
    const REDIS_CASES: &[(&str, &str)] = &[
        (r#"return cjson.encode({1,2,3})"#, r#"[1,2,3]"#),
        (r#"return cjson.encode({a=1})"#, r#"{"a":1}"#),
        (r#"return cjson.encode({})"#, r#"{}"#),
        (r#"return cjson.encode({{},{{}}})"#, r#"[{},[{}]]"#),
        (r#"return cjson.encode('a/b"c\\d')"#, r#""a\/b\"c\\d""#),
        (
            r#"return cjson.encode('\0\1\8\9\10\11\12\13\31\127')"#,
            r#""\u0000\u0001\b\t\n\u000b\f\r\u001f\u007f""#,
        ),
        (
            r#"return (cjson.encode('\200\255'):gsub('.', function(c) return string.format('%02x', c:byte()) end))"#,
            r#"22c8ff22"#,
        ),
        (r#"return cjson.encode(0.1)"#, r#"0.1"#),
        (r#"return cjson.encode(1/3)"#, r#"0.33333333333333"#),
        (r#"return cjson.encode(100000000000000)"#, r#"1e+14"#),
        (
            r#"return cjson.encode(12345678901234)"#,
            r#"12345678901234"#,
        ),
        (
            r#"return cjson.encode(123456789012345678)"#,
            r#"1.2345678901235e+17"#,
        ),
        (r#"return cjson.encode(1e-5)"#, r#"1e-05"#),
        (r#"return cjson.encode(0.0001)"#, r#"0.0001"#),
        (r#"return cjson.encode(-1.5e300)"#, r#"-1.5e+300"#),
        (r#"return cjson.encode(2^53)"#, r#"9.007199254741e+15"#),
        (r#"return cjson.encode(-0.0)"#, r#"-0"#),
        (r#"return cjson.encode({-0.0})"#, r#"[-0]"#),
        (
            r#"return cjson.encode(1/0)"#,
            r#"ERR user_script:1: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode(-1/0)"#,
            r#"ERR user_script:1: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode(0/0)"#,
            r#"ERR user_script:1: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode({1, 1/0})"#,
            r#"ERR user_script:1: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0})"#,
            r#"[inf,-inf,nan]"#,
        ),
        (
            r#"cjson.encode_invalid_numbers('null') return cjson.encode({1/0, -1/0, 0/0})"#,
            r#"[null,null,null]"#,
        ),
        (
            r#"cjson.encode_invalid_numbers(true) return cjson.encode({[1/0]=1})"#,
            r#"{"inf":1}"#,
        ),
        (
            r#"return cjson.encode({[1/0]=1})"#,
            r#"ERR user_script:1: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode(true) .. cjson.encode(false) .. cjson.encode(nil) .. cjson.encode(cjson.null)"#,
            r#"truefalsenullnull"#,
        ),
        (r#"return cjson.encode({1,nil,3})"#, r#"[1,null,3]"#),
        (
            r#"return cjson.encode({[1]=1,[2]=2,[20]=3})"#,
            r#"ERR user_script:1: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"return cjson.encode({[11]=1})"#,
            r#"ERR user_script:1: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"return cjson.encode({[10]=1})"#,
            r#"[null,null,null,null,null,null,null,null,null,1]"#,
        ),
        (
            r#"return cjson.encode({[1]=1,[3]=1,[5]=1,[7]=1,[9]=1,[11]=1,[13]=1})"#,
            r#"[1,null,1,null,1,null,1,null,1,null,1,null,1]"#,
        ),
        (
            r#"cjson.encode_sparse_array(true) return cjson.encode({[1]=1,[2]=2,[20]=3})"#,
            r#"{"1":1,"2":2,"20":3}"#,
        ),
        (
            r#"cjson.encode_sparse_array(false, 0) return cjson.encode({[12]=1})"#,
            r#"[null,null,null,null,null,null,null,null,null,null,null,1]"#,
        ),
        (
            r#"cjson.encode_sparse_array(false, 3, 1) return cjson.encode({[4]=1,[1]=1})"#,
            r#"[1,null,null,1]"#,
        ),
        (
            r#"cjson.encode_sparse_array(false, 3, 1) return cjson.encode({[3]=1})"#,
            r#"[null,null,1]"#,
        ),
        (r#"return cjson.encode({[0.5]=1})"#, r#"{"0.5":1}"#),
        (r#"return cjson.encode({[0]=1})"#, r#"{"0":1}"#),
        (r#"return cjson.encode({[-1]=1})"#, r#"{"-1":1}"#),
        (
            r#"return cjson.encode({[2^31-1]=1})"#,
            r#"ERR user_script:1: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"return cjson.encode({[2^32+3]=1})"#,
            r#"{"4294967299":1}"#,
        ),
        (r#"return cjson.encode({[1e300]=1})"#, r#"{"1e+300":1}"#),
        (r#"return cjson.encode({[1.5]='x'})"#, r#"{"1.5":"x"}"#),
        (
            r#"return cjson.encode({[true]=1})"#,
            r#"ERR user_script:1: Cannot serialise boolean: table key must be a number or string"#,
        ),
        (
            r#"return cjson.encode({[{}]=1})"#,
            r#"ERR user_script:1: Cannot serialise table: table key must be a number or string"#,
        ),
        (
            r#"return cjson.encode({a=function() end})"#,
            r#"ERR user_script:1: Cannot serialise function: type not supported"#,
        ),
        (
            r#"return cjson.encode(function() end)"#,
            r#"ERR user_script:1: Cannot serialise function: type not supported"#,
        ),
        (
            r#"return cjson.encode(coroutine.create(function() end))"#,
            r#"ERR user_script:1: Cannot serialise thread: type not supported"#,
        ),
        (
            r#"return cjson.encode()"#,
            r#"ERR user_script:1: bad argument #1 to 'encode' (expected 1 argument)"#,
        ),
        (
            r#"return cjson.encode(1, 2)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode' (expected 1 argument)"#,
        ),
        (
            r#"local t = {} t[1] = t return cjson.encode(t)"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (1001)"#,
        ),
        (
            r#"local t = {} t.a = t return cjson.encode(t)"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (1001)"#,
        ),
        (
            r#"local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)"#,
            r#"number:2000"#,
        ),
        (
            r#"local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return cjson.encode(t)"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (1001)"#,
        ),
        (
            r#"cjson.encode_max_depth(3) return cjson.encode({{{1}}})"#,
            r#"[[[1]]]"#,
        ),
        (
            r#"cjson.encode_max_depth(3) return cjson.encode({{{{1}}}})"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (4)"#,
        ),
        (
            r#"cjson.encode_max_depth(100000) local t = {} t[1] = t return cjson.encode(t)"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (7998)"#,
        ),
        (
            r#"cjson.encode_max_depth(100000) local t = {} t.a = t return cjson.encode(t)"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (4000)"#,
        ),
        (
            r#"cjson.encode_max_depth(100000) local t = {} t[1] = {x = t} return cjson.encode(t)"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (5333)"#,
        ),
        (
            r#"cjson.encode_number_precision(3) return cjson.encode({3.14159, 1234567, 0.5})"#,
            r#"[3.14,1.23e+06,0.5]"#,
        ),
        (
            r#"cjson.encode_number_precision(1) return cjson.encode({2.5, 3.5, 0.25})"#,
            r#"[2,4,0.2]"#,
        ),
        (r#"return cjson.decode('[1,2,3]')[3]"#, r#"number:3"#),
        (
            r#"return cjson.decode('{"a":{"b":[true,false]}}').a.b[2] == false"#,
            r#"number:1"#,
        ),
        (r#"return type(cjson.decode('null'))"#, r#"userdata"#),
        (
            r#"return cjson.decode('null') == cjson.null"#,
            r#"number:1"#,
        ),
        (
            r#"return tostring(cjson.decode('[null]')[1] == cjson.null)"#,
            r#"true"#,
        ),
        (
            r#"return cjson.encode(cjson.decode('[null,true,false,{},[],"x",1.5]'))"#,
            r#"[null,true,false,{},{},"x",1.5]"#,
        ),
        (
            r#"return cjson.decode('"\\u00e9\\u4e2d\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\"\\\\"'):gsub('.', function(c) return string.format('%02x', c:byte()) end)"#,
            r#"c3a9e4b8adf09f98802f080c0a0d09225c"#,
        ),
        (r#"return cjson.decode('"\\u0000"'):len()"#, r#"number:1"#),
        (
            r#"return cjson.decode('"\\udc00"')"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\ud83d"')"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\ud83d\\u0041"')"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\u12"')"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\uZZZZ"')"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\q"')"#,
            r#"ERR user_script:1: Expected value but found invalid escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"abc')"#,
            r#"ERR user_script:1: Expected value but found unexpected end of string at character 5"#,
        ),
        (
            r#"return cjson.decode('"a\\')"#,
            r#"ERR user_script:1: Expected value but found invalid escape code at character 3"#,
        ),
        (
            r#"return cjson.decode('')"#,
            r#"ERR user_script:1: Expected value but found T_END at character 1"#,
        ),
        (
            r#"return cjson.decode('   ')"#,
            r#"ERR user_script:1: Expected value but found T_END at character 4"#,
        ),
        (
            r#"return cjson.decode('[1,2')"#,
            r#"ERR user_script:1: Expected comma or array end but found T_END at character 5"#,
        ),
        (
            r#"return cjson.decode('[1 2]')"#,
            r#"ERR user_script:1: Expected comma or array end but found T_NUMBER at character 4"#,
        ),
        (
            r#"return cjson.decode('[1,]')"#,
            r#"ERR user_script:1: Expected value but found T_ARR_END at character 4"#,
        ),
        (
            r#"return cjson.decode('[,]')"#,
            r#"ERR user_script:1: Expected value but found T_COMMA at character 2"#,
        ),
        (
            r#"return cjson.decode(']')"#,
            r#"ERR user_script:1: Expected value but found T_ARR_END at character 1"#,
        ),
        (
            r#"return cjson.decode('{"a" 1}')"#,
            r#"ERR user_script:1: Expected colon but found T_NUMBER at character 6"#,
        ),
        (
            r#"return cjson.decode('{1:2}')"#,
            r#"ERR user_script:1: Expected object key string but found T_NUMBER at character 2"#,
        ),
        (
            r#"return cjson.decode('{"a":1,}')"#,
            r#"ERR user_script:1: Expected object key string but found T_OBJ_END at character 8"#,
        ),
        (
            r#"return cjson.decode('{"a":1 "b":2}')"#,
            r#"ERR user_script:1: Expected comma or object end but found T_STRING at character 8"#,
        ),
        (
            r#"return cjson.decode('{"a"')"#,
            r#"ERR user_script:1: Expected colon but found T_END at character 5"#,
        ),
        (
            r#"return cjson.decode('{')"#,
            r#"ERR user_script:1: Expected object key string but found T_END at character 2"#,
        ),
        (
            r#"return cjson.decode('1 x')"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 3"#,
        ),
        (
            r#"return cjson.decode('[1] [2]')"#,
            r#"ERR user_script:1: Expected the end but found T_ARR_BEGIN at character 5"#,
        ),
        (
            r#"return cjson.decode('tru')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode('nul')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode('truex')"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 5"#,
        ),
        (
            r#"return cjson.decode('@')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode('\1')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode('a\0')"#,
            r#"ERR user_script:1: JSON parser does not support UTF-16 or UTF-32"#,
        ),
        (
            r#"return cjson.decode('\0a')"#,
            r#"ERR user_script:1: JSON parser does not support UTF-16 or UTF-32"#,
        ),
        (r#"return cjson.decode('12\0xx')"#, r#"number:12"#),
        (r#"return cjson.decode(12)"#, r#"number:12"#),
        (
            r#"return cjson.decode(nil)"#,
            r#"ERR user_script:1: bad argument #1 to 'decode' (string expected, got nil)"#,
        ),
        (
            r#"return cjson.decode({})"#,
            r#"ERR user_script:1: bad argument #1 to 'decode' (string expected, got table)"#,
        ),
        (
            r#"return cjson.decode()"#,
            r#"ERR user_script:1: bad argument #1 to 'decode' (expected 1 argument)"#,
        ),
        (
            r#"return cjson.decode('1', '2')"#,
            r#"ERR user_script:1: bad argument #1 to 'decode' (expected 1 argument)"#,
        ),
        (r#"return tostring(cjson.decode('1e999'))"#, r#"inf"#),
        (r#"return tostring(cjson.decode('-1e999'))"#, r#"-inf"#),
        (r#"return tostring(cjson.decode('1e-400'))"#, r#"0"#),
        (
            r#"return tostring(cjson.decode('12345678901234567890'))"#,
            r#"1.2345678901235e+19"#,
        ),
        (r#"return tostring(cjson.decode('0x10'))"#, r#"16"#),
        (r#"return tostring(cjson.decode('0x1p4'))"#, r#"16"#),
        (r#"return tostring(cjson.decode('0x1.8p1'))"#, r#"3"#),
        (
            r#"return cjson.decode('0x')"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 2"#,
        ),
        (r#"return tostring(cjson.decode('-0x10'))"#, r#"-16"#),
        (r#"return tostring(cjson.decode('0123'))"#, r#"123"#),
        (r#"return tostring(cjson.decode('+5'))"#, r#"5"#),
        (
            r#"return cjson.decode('+')"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"return cjson.decode('-')"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"return cjson.decode('.5')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode('1.5e')"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 4"#,
        ),
        (r#"return tostring(cjson.decode('1.'))"#, r#"1"#),
        (r#"return tostring(cjson.decode('1.e5'))"#, r#"100000"#),
        (r#"return tostring(cjson.decode('nan'))"#, r#"nan"#),
        (r#"return tostring(cjson.decode('NaN'))"#, r#"nan"#),
        (r#"return tostring(cjson.decode('nan(abc)'))"#, r#"nan"#),
        (
            r#"return cjson.decode('nano')"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 4"#,
        ),
        (r#"return tostring(cjson.decode('inf'))"#, r#"inf"#),
        (r#"return tostring(cjson.decode('-Infinity'))"#, r#"-inf"#),
        (r#"return tostring(cjson.decode('INFINITY'))"#, r#"inf"#),
        (
            r#"return cjson.decode('infinit')"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 4"#,
        ),
        (
            r#"return cjson.decode('Inx')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode('0x10')"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode('+1')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode('nan')"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode('-inf')"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode('012')"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return tostring(cjson.decode('-0.5e3'))"#,
            r#"-500"#,
        ),
        (
            r#"return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))"#,
            r#"number:1"#,
        ),
        (
            r#"return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))"#,
            r#"ERR user_script:1: Found too many nested data structures (1001) at character 1001"#,
        ),
        (
            r#"return cjson.decode(string.rep('{"a":', 1001))"#,
            r#"ERR user_script:1: Found too many nested data structures (1001) at character 5001"#,
        ),
        (
            r#"cjson.decode_max_depth(2) return cjson.decode('[[[1]]]')"#,
            r#"ERR user_script:1: Found too many nested data structures (3) at character 3"#,
        ),
        (
            r#"cjson.decode_max_depth(2) return cjson.encode(cjson.decode('[[1]]'))"#,
            r#"[[1]]"#,
        ),
        (
            r#"cjson.decode_max_depth(100000) return cjson.decode(string.rep('[', 20000))"#,
            r#"ERR user_script:1: Found too many nested data structures (7999) at character 7999"#,
        ),
        (
            r#"cjson.decode_max_depth(100000) return cjson.decode(string.rep('{"a":', 20000))"#,
            r#"ERR user_script:1: Found too many nested data structures (4000) at character 19996"#,
        ),
        (
            r#"cjson.decode_max_depth(100000) return cjson.decode(string.rep('[{"a":', 5000))"#,
            r#"ERR user_script:1: Found too many nested data structures (5333) at character 15997"#,
        ),
        (r#"return cjson.decode('{"a":1,"a":2}').a"#, r#"number:2"#),
        (
            r#"return cjson.decode(' \t\r\n[ 1 , 2 ] \n')[2]"#,
            r#"number:2"#,
        ),
        (
            r#"return table.concat({tostring(cjson.encode_sparse_array())}, ',')"#,
            r#"false"#,
        ),
        (
            r#"return table.concat({tostring(select(1, cjson.encode_sparse_array())), select(2, cjson.encode_sparse_array())}, ',')"#,
            r#"false,2,10"#,
        ),
        (
            r#"return table.concat({tostring(select(1, cjson.encode_sparse_array(true, 5, 20))), select(2, cjson.encode_sparse_array())}, ',')"#,
            r#"true,5,20"#,
        ),
        (
            r#"return tostring(cjson.encode_invalid_numbers())"#,
            r#"false"#,
        ),
        (
            r#"return tostring(cjson.encode_invalid_numbers('null'))"#,
            r#"null"#,
        ),
        (
            r#"return tostring(cjson.encode_invalid_numbers('on'))"#,
            r#"true"#,
        ),
        (
            r#"return tostring(cjson.encode_invalid_numbers(false))"#,
            r#"false"#,
        ),
        (
            r#"return tostring(cjson.decode_invalid_numbers())"#,
            r#"true"#,
        ),
        (
            r#"return tostring(cjson.decode_invalid_numbers('off'))"#,
            r#"false"#,
        ),
        (r#"return tostring(cjson.encode_keep_buffer())"#, r#"true"#),
        (
            r#"return tostring(cjson.encode_keep_buffer(false))"#,
            r#"false"#,
        ),
        (r#"return tostring(cjson.encode_max_depth())"#, r#"1000"#),
        (r#"return tostring(cjson.encode_max_depth(5.7))"#, r#"5"#),
        (r#"return tostring(cjson.encode_max_depth('12'))"#, r#"12"#),
        (
            r#"return tostring(cjson.encode_max_depth(2^32 + 7))"#,
            r#"7"#,
        ),
        (r#"return tostring(cjson.decode_max_depth())"#, r#"1000"#),
        (
            r#"return tostring(cjson.encode_number_precision())"#,
            r#"14"#,
        ),
        (
            r#"return tostring(cjson.encode_number_precision(nil))"#,
            r#"14"#,
        ),
        (
            r#"return cjson.encode_number_precision(0)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"#,
        ),
        (
            r#"return cjson.encode_number_precision(15)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"#,
        ),
        (
            r#"return cjson.encode_number_precision('x')"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_number_precision' (number expected, got string)"#,
        ),
        (
            r#"return cjson.encode_number_precision({})"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_number_precision' (number expected, got table)"#,
        ),
        (
            r#"return cjson.encode_number_precision(1, 2)"#,
            r#"ERR user_script:1: bad argument #2 to 'encode_number_precision' (found too many arguments)"#,
        ),
        (
            r#"return cjson.encode_max_depth(0)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"#,
        ),
        (
            r#"return cjson.encode_max_depth(-1)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"#,
        ),
        (
            r#"return cjson.decode_max_depth(0)"#,
            r#"ERR user_script:1: bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)"#,
        ),
        (
            r#"return cjson.encode_sparse_array(true, -1)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"#,
        ),
        (
            r#"return cjson.encode_sparse_array(true, 1, -1)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"#,
        ),
        (
            r#"return cjson.encode_sparse_array(true, 'x')"#,
            r#"ERR user_script:1: bad argument #2 to 'encode_sparse_array' (number expected, got string)"#,
        ),
        (
            r#"return cjson.encode_sparse_array(1)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_sparse_array' (invalid option '1')"#,
        ),
        (
            r#"return cjson.encode_sparse_array(true, 1, 1, 1)"#,
            r#"ERR user_script:1: bad argument #4 to 'encode_sparse_array' (found too many arguments)"#,
        ),
        (
            r#"return cjson.encode_invalid_numbers('xyz')"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_invalid_numbers' (invalid option 'xyz')"#,
        ),
        (
            r#"return cjson.encode_invalid_numbers({})"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_invalid_numbers' (string expected, got table)"#,
        ),
        (
            r#"return cjson.encode_keep_buffer(5)"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_keep_buffer' (invalid option '5')"#,
        ),
        (
            r#"return cjson.encode_keep_buffer('on', 1)"#,
            r#"ERR user_script:1: bad argument #2 to 'encode_keep_buffer' (found too many arguments)"#,
        ),
        (
            r#"return cjson.decode_invalid_numbers('null')"#,
            r#"ERR user_script:1: bad argument #1 to 'decode_invalid_numbers' (invalid option 'null')"#,
        ),
        (
            r#"return cjson._NAME .. ' ' .. cjson._VERSION"#,
            r#"cjson 2.1.0"#,
        ),
        (r#"return type(cjson.new)"#, r#"function"#),
        (
            r#"local c = cjson.new() c.encode_max_depth(1) return cjson.encode({{1}}) .. ' ' .. tostring(c.encode_max_depth()) .. ' ' .. tostring(cjson.encode_max_depth())"#,
            r#"[[1]] 1 1000"#,
        ),
        (
            r#"local c = cjson.new() return c.encode({1}) .. c._VERSION .. tostring(c.null == cjson.null) .. type(c.new)"#,
            r#"[1]2.1.0truefunction"#,
        ),
        (
            r#"local c = cjson.new() c.encode_max_depth(1) return c.encode({{1}})"#,
            r#"ERR user_script:1: Cannot serialise, excessive nesting (2)"#,
        ),
        (
            r#"local ok, e = pcall(cjson.encode, 1/0) return e"#,
            r#"Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"local ok, e = pcall(cjson.decode, '[') return e"#,
            r#"Expected value but found T_END at character 2"#,
        ),
        (
            r#"local ok, e = pcall(cjson.encode) return e"#,
            r#"bad argument #1 to '?' (expected 1 argument)"#,
        ),
        (
            r#"local f = cjson.encode return f()"#,
            r#"ERR user_script:1: bad argument #1 to 'f' (expected 1 argument)"#,
        ),
        (
            r#"local ok, e = pcall(function() return cjson.decode('{') end) return e"#,
            r#"user_script:1: Expected object key string but found T_END at character 2"#,
        ),
        (r#"return cjson.encode({cjson.decode('"x"')})"#, r#"["x"]"#),
        (
            r#"return cjson.encode(cjson.decode('{"k":[1,{"z":null}]}'))"#,
            r#"{"k":[1,{"z":null}]}"#,
        ),
        (r#"return cjson.encode({["\0"]=1})"#, r#"{"\u0000":1}"#),
        (
            r#"return cjson.encode({a={b={c={1,2,{d='e'}}}}})"#,
            r#"{"a":{"b":{"c":[1,2,{"d":"e"}]}}}"#,
        ),
        (
            r#"local function f() local t = {} for k, v in pairs(cjson) do t[#t+1] = k .. "=" .. type(v) end table.sort(t) return t end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"_NAME=string|_VERSION=string|decode=function|decode_invalid_numbers=function|decode_max_depth=function|encode=function|encode_invalid_numbers=function|encode_keep_buffer=function|encode_max_depth=function|encode_number_precision=function|encode_sparse_array=function|new=function|null=userdata"#,
        ),
        (
            r#"return cjson._NAME .. " " .. cjson._VERSION"#,
            r#"cjson 2.1.0"#,
        ),
        (
            r#"local function f() return {type(cjson.null), tostring(cjson.null == cjson.decode("null"))} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"userdata|true"#,
        ),
        (
            r#"return cjson.encode({1, 2, 3, {}, {{}}})"#,
            r#"[1,2,3,{},[{}]]"#,
        ),
        (
            r#"return cjson.encode({a = {b = {c = {1, 2, {d = "e"}}}}})"#,
            r#"{"a":{"b":{"c":[1,2,{"d":"e"}]}}}"#,
        ),
        (r#"return cjson.encode("a/b\"c\\d")"#, r#""a\/b\"c\\d""#),
        (r#"return cjson.encode({["\0"] = 1})"#, r#"{"\u0000":1}"#),
        (
            r#"local function f() return {cjson.encode(0.1), cjson.encode(1/3), cjson.encode(100000000000000), cjson.encode(12345678901234)} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"0.1|0.33333333333333|1e+14|12345678901234"#,
        ),
        (
            r#"local function f() return {cjson.encode(123456789012345678), cjson.encode(1e-5), cjson.encode(0.0001), cjson.encode(-1.5e300), cjson.encode(2^53)} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"1.2345678901235e+17|1e-05|0.0001|-1.5e+300|9.007199254741e+15"#,
        ),
        (
            r#"local function f() return {cjson.encode(-0.0), cjson.encode({-0.0}), cjson.encode(true), cjson.encode(false), cjson.encode(nil), cjson.encode(cjson.null)} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"-0|[-0]|true|false|null|null"#,
        ),
        (
            r#"return cjson.encode({1, -1/0})"#,
            r#"ERR user_script:1: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode({[1/0] = 1})"#,
            r#"ERR user_script:1: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"cjson.encode_invalid_numbers("null") return cjson.encode({1/0, -1/0, 0/0})"#,
            r#"[null,null,null]"#,
        ),
        (
            r#"local function f() return {cjson.encode({1, nil, 3}), cjson.encode({[10] = 1}), cjson.encode({[1] = 1, [3] = 1, [5] = 1, [7] = 1, [9] = 1, [11] = 1, [13] = 1})} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"[1,null,3]|[null,null,null,null,null,null,null,null,null,1]|[1,null,1,null,1,null,1,null,1,null,1,null,1]"#,
        ),
        (
            r#"return cjson.encode({[1] = 1, [2] = 2, [20] = 3})"#,
            r#"ERR user_script:1: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"return cjson.encode({[11] = 1})"#,
            r#"ERR user_script:1: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"return cjson.encode({[2^31-1] = 1})"#,
            r#"ERR user_script:1: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"local function f() return {cjson.encode({[0.5] = 1}), cjson.encode({[0] = 1}), cjson.encode({[-1] = 1}), cjson.encode({[2^32+3] = 1}), cjson.encode({[1e300] = 1})} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"{"0.5":1}|{"0":1}|{"-1":1}|{"4294967299":1}|{"1e+300":1}"#,
        ),
        (
            r#"cjson.encode_sparse_array(true) return cjson.encode({[1] = 1, [2] = 2, [20] = 3})"#,
            r#"{"1":1,"2":2,"20":3}"#,
        ),
        (
            r#"cjson.encode_sparse_array(false, 0) return cjson.encode({[12] = 1})"#,
            r#"[null,null,null,null,null,null,null,null,null,null,null,1]"#,
        ),
        (
            r#"local function f() cjson.encode_sparse_array(false, 3, 1) return {cjson.encode({[4] = 1, [1] = 1}), cjson.encode({[3] = 1})} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"[1,null,null,1]|[null,null,1]"#,
        ),
        (
            r#"local function f() return {tostring(select(1, cjson.encode_sparse_array(false, 2, 10))), select(2, cjson.encode_sparse_array())} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"false|2|10"#,
        ),
        (
            r#"return cjson.encode({[true] = 1})"#,
            r#"ERR user_script:1: Cannot serialise boolean: table key must be a number or string"#,
        ),
        (
            r#"return cjson.encode({[{}] = 1})"#,
            r#"ERR user_script:1: Cannot serialise table: table key must be a number or string"#,
        ),
        (
            r#"return cjson.encode({a = function() end})"#,
            r#"ERR user_script:1: Cannot serialise function: type not supported"#,
        ),
        (r#"return cjson.encode_max_depth(1000)"#, r#"number:1000"#),
        (r#"return cjson.encode_max_depth(1000)"#, r#"number:1000"#),
        (
            r#"return cjson.encode_number_precision(14)"#,
            r#"number:14"#,
        ),
        (
            r#"local function f() local v = cjson.decode([[{"a":{"b":[true,false,null,1.5,"x"]}}]]) return {v.a.b[1], tostring(v.a.b[2]), tostring(v.a.b[3] == cjson.null), tostring(v.a.b[4]), v.a.b[5], #v.a.b} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"true|false|true|1.5|x|5"#,
        ),
        (
            r#"return cjson.encode(cjson.decode([[ {"k":[1,{"z":null}],"e":[],"o":{}} ]]))"#,
            r#"{"e":{},"k":[1,{"z":null}],"o":{}}"#,
        ),
        (
            r#"local function f() return {cjson.decode([["\u0000"]]):len(), cjson.decode([[{"a":1,"a":2}]]).a, cjson.decode(" \t\r\n[ 1 , 2 ] \n")[2], cjson.decode(12)} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"1|2|2|12"#,
        ),
        (
            r#"return cjson.decode([["\udc00"]])"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode([["\ud83d\u0041"]])"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode([["\u12"]])"#,
            r#"ERR user_script:1: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode([["\q"]])"#,
            r#"ERR user_script:1: Expected value but found invalid escape code at character 2"#,
        ),
        (
            r#"return cjson.decode([["abc]])"#,
            r#"ERR user_script:1: Expected value but found unexpected end of string at character 5"#,
        ),
        (
            r#"return cjson.decode("")"#,
            r#"ERR user_script:1: Expected value but found T_END at character 1"#,
        ),
        (
            r#"return cjson.decode("   ")"#,
            r#"ERR user_script:1: Expected value but found T_END at character 4"#,
        ),
        (
            r#"return cjson.decode("[1,2")"#,
            r#"ERR user_script:1: Expected comma or array end but found T_END at character 5"#,
        ),
        (
            r#"return cjson.decode("[1 2]")"#,
            r#"ERR user_script:1: Expected comma or array end but found T_NUMBER at character 4"#,
        ),
        (
            r#"return cjson.decode("[1,]")"#,
            r#"ERR user_script:1: Expected value but found T_ARR_END at character 4"#,
        ),
        (
            r#"return cjson.decode("]")"#,
            r#"ERR user_script:1: Expected value but found T_ARR_END at character 1"#,
        ),
        (
            r#"return cjson.decode([[{"a" 1}]])"#,
            r#"ERR user_script:1: Expected colon but found T_NUMBER at character 6"#,
        ),
        (
            r#"return cjson.decode("{1:2}")"#,
            r#"ERR user_script:1: Expected object key string but found T_NUMBER at character 2"#,
        ),
        (
            r#"return cjson.decode([[{"a":1,}]])"#,
            r#"ERR user_script:1: Expected object key string but found T_OBJ_END at character 8"#,
        ),
        (
            r#"return cjson.decode([[{"a":1 "b":2}]])"#,
            r#"ERR user_script:1: Expected comma or object end but found T_STRING at character 8"#,
        ),
        (
            r#"return cjson.decode("{")"#,
            r#"ERR user_script:1: Expected object key string but found T_END at character 2"#,
        ),
        (
            r#"return cjson.decode("1 x")"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 3"#,
        ),
        (
            r#"return cjson.decode("[1] [2]")"#,
            r#"ERR user_script:1: Expected the end but found T_ARR_BEGIN at character 5"#,
        ),
        (
            r#"return cjson.decode("truex")"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 5"#,
        ),
        (
            r#"return cjson.decode("nul")"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode("@")"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode("a\0")"#,
            r#"ERR user_script:1: JSON parser does not support UTF-16 or UTF-32"#,
        ),
        (r#"return cjson.decode("12\0xx")"#, r#"number:12"#),
        (
            r#"local ok, e = pcall(cjson.decode, "[") return e"#,
            r#"Expected value but found T_END at character 2"#,
        ),
        (
            r#"local function f() return {tostring(cjson.decode("1e999")), tostring(cjson.decode("-1e999")), tostring(cjson.decode("1e-400")), tostring(cjson.decode("12345678901234567890"))} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"inf|-inf|0|1.2345678901235e+19"#,
        ),
        (
            r#"local function f() return {tostring(cjson.decode("0x10")), tostring(cjson.decode("0x1.8p1")), tostring(cjson.decode("-0x10")), tostring(cjson.decode("0123")), tostring(cjson.decode("+5")), tostring(cjson.decode("1.e5"))} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"16|3|-16|123|5|100000"#,
        ),
        (
            r#"local function f() return {tostring(cjson.decode("nan")), tostring(cjson.decode("NaN")), tostring(cjson.decode("nan(abc)")), tostring(cjson.decode("-Infinity")), tostring(cjson.decode("INFINITY"))} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"nan|nan|nan|-inf|inf"#,
        ),
        (
            r#"return cjson.decode("0x")"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 2"#,
        ),
        (
            r#"return cjson.decode("-")"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"return cjson.decode(".5")"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode("1.5e")"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 4"#,
        ),
        (
            r#"return cjson.decode("infinit")"#,
            r#"ERR user_script:1: Expected the end but found invalid token at character 4"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode("0x10")"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode("+1")"#,
            r#"ERR user_script:1: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return cjson.decode("-inf")"#,
            r#"ERR user_script:1: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"cjson.decode_invalid_numbers(false) return tostring(cjson.decode("-0.5e3"))"#,
            r#"-500"#,
        ),
        (
            r#"return tostring(cjson.decode_invalid_numbers(true))"#,
            r#"true"#,
        ),
        (
            r#"return #cjson.decode(string.rep("[", 1000) .. string.rep("]", 1000))"#,
            r#"number:1"#,
        ),
        (
            r#"return cjson.decode(string.rep("[", 1001) .. string.rep("]", 1001))"#,
            r#"ERR user_script:1: Found too many nested data structures (1001) at character 1001"#,
        ),
        (
            r#"return cjson.decode(string.rep([[{"a":]], 1001))"#,
            r#"ERR user_script:1: Found too many nested data structures (1001) at character 5001"#,
        ),
        (
            r#"cjson.decode_max_depth(2) return cjson.decode("[[[1]]]")"#,
            r#"ERR user_script:1: Found too many nested data structures (3) at character 3"#,
        ),
        (
            r#"cjson.decode_max_depth(100000) return cjson.decode(string.rep("[", 20000))"#,
            r#"ERR user_script:1: Found too many nested data structures (7999) at character 7999"#,
        ),
        (
            r#"cjson.decode_max_depth(100000) return cjson.decode(string.rep([[[{"a":]], 5000))"#,
            r#"ERR user_script:1: Found too many nested data structures (5333) at character 15997"#,
        ),
        (r#"return cjson.decode_max_depth(1000)"#, r#"number:1000"#),
        (
            r#"local function f() return {tostring(cjson.encode_invalid_numbers()), tostring(cjson.decode_invalid_numbers()), tostring(cjson.encode_keep_buffer()), cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision()} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"false|true|true|1000|1000|14"#,
        ),
        (
            r#"local function f() return {tostring(cjson.encode_invalid_numbers("null")), tostring(cjson.encode_invalid_numbers("on")), tostring(cjson.encode_invalid_numbers(false)), tostring(cjson.encode_keep_buffer(false)), tostring(cjson.encode_keep_buffer("on"))} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"null|true|false|false|true"#,
        ),
        (
            r#"local function f() return {cjson.encode_max_depth(5.7), cjson.encode_max_depth("12"), cjson.encode_max_depth(2^32 + 7), cjson.encode_max_depth(1000)} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"5|12|7|1000"#,
        ),
        (
            r#"return cjson.encode_number_precision("x")"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_number_precision' (number expected, got string)"#,
        ),
        (
            r#"return cjson.decode_max_depth(-1)"#,
            r#"ERR user_script:1: bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)"#,
        ),
        (
            r#"return cjson.encode_sparse_array(true, "x")"#,
            r#"ERR user_script:1: bad argument #2 to 'encode_sparse_array' (number expected, got string)"#,
        ),
        (
            r#"local function f() return {tostring(select(1, cjson.encode_sparse_array(false, 2, 10))), select(2, cjson.encode_sparse_array())} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"false|2|10"#,
        ),
        (
            r#"return cjson.encode_invalid_numbers("xyz")"#,
            r#"ERR user_script:1: bad argument #1 to 'encode_invalid_numbers' (invalid option 'xyz')"#,
        ),
        (
            r#"return cjson.decode_invalid_numbers("null")"#,
            r#"ERR user_script:1: bad argument #1 to 'decode_invalid_numbers' (invalid option 'null')"#,
        ),
        (
            r#"local function f() local c = cjson.new() c.encode_max_depth(1) return {cjson.encode({{1}}), c.encode_max_depth(), cjson.encode_max_depth(), c._VERSION, tostring(c.null == cjson.null), type(c.new)} end local r = f() local o = {} for i, v in ipairs(r) do o[i] = tostring(v) end return table.concat(o, '|')"#,
            r#"[[1]]|1|1000|2.1.0|true|function"#,
        ),
    ];

    #[test]
    fn matches_redis() {
        let mut failures = Vec::new();
        for (code, expected) in REDIS_CASES {
            // Each case on a fresh state: the settings persist per state.
            let got = run(&state(), code);
            if got != *expected {
                failures.push(format!("{code}\n   redis: {expected}\n     got: {got}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn binary_strings_pass_through() {
        let lua = state();
        let out: mlua::String = lua
            .load(r#"return cjson.encode('\200\255\0')"#)
            .eval()
            .unwrap();
        assert_eq!(&out.as_bytes()[..], b"\"\xc8\xff\\u0000\"");
        let back: mlua::String = lua
            .load(r#"return cjson.decode(cjson.encode('\200\255\0x'))"#)
            .eval()
            .unwrap();
        assert_eq!(&back.as_bytes()[..], b"\xc8\xff\0x");
    }

    #[test]
    fn format_g_matches_printf() {
        assert_eq!(format_g(0.1, 14), "0.1");
        assert_eq!(format_g(1e15, 14), "1e+15");
        assert_eq!(format_g(123456.0, 14), "123456");
        assert_eq!(format_g(9.99999999999999e5, 3), "1e+06");
        assert_eq!(format_g(0.000123456, 14), "0.000123456");
        assert_eq!(format_g(-2.5e-7, 14), "-2.5e-07");
        assert_eq!(format_g(f64::MAX, 14), "1.7976931348623e+308");
        assert_eq!(format_g(5e-324, 14), "4.9406564584125e-324");
    }

    #[test]
    fn strtod_forms() {
        assert_eq!(strtod(b"1.5e3x"), Some((1500.0, 5)));
        assert_eq!(strtod(b"1e+"), Some((1.0, 1)));
        assert_eq!(strtod(b"0x1.8p1"), Some((3.0, 7)));
        assert_eq!(strtod(b"0xg"), Some((0.0, 1)));
        assert_eq!(strtod(b"0x.8"), Some((0.5, 4)));
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b"."), None);
        assert_eq!(strtod(b"infinity!"), Some((f64::INFINITY, 8)));
        assert_eq!(strtod(b"0xFFFFFFFFFFFFFFFFF"), Some((2f64.powi(68), 19)));
    }

    /// JSON texts for arbitrary nested values made of what decode produces.
    fn json_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            (-1.0e15f64..1.0e15).prop_map(|n| format_g(n, 14)),
            any::<i32>().prop_map(|n| n.to_string()),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(|b| {
                let mut out = Vec::new();
                append_string(&mut out, &b);
                String::from_utf8_lossy(&out).into_owned()
            }),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..6)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 1..6).prop_map(|m| {
                    let members: Vec<String> =
                        m.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    /// A value's structure with object members sorted, for comparisons.
    fn canonical(v: &Value) -> String {
        match v {
            Value::Table(t) => {
                let mut items: Vec<String> = t
                    .pairs::<Value, Value>()
                    .map(|p| {
                        let (k, v) = p.unwrap();
                        format!("{}={}", canonical(&k), canonical(&v))
                    })
                    .collect();
                items.sort();
                format!("{{{}}}", items.join(","))
            }
            Value::String(s) => format!("{:?}", s.as_bytes()),
            Value::Integer(i) => format!("n{}", *i as f64),
            Value::Number(n) => format!("n{n}"),
            other => format!("{other:?}"),
        }
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let lua = state();
            let decode: Function = lua.globals().get::<Table>("cjson").unwrap().get("decode").unwrap();
            let s = lua.create_string(&bytes).unwrap();
            let _ = decode.call::<Value>(s);
        }

        #[test]
        fn decode_never_panics_on_json_like(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("["), Just("]"), Just("{"), Just("}"), Just(","), Just(":"),
                    Just("\"a\""), Just("1"), Just("-0x1p3"), Just("nan"), Just("\"\\u"),
                    Just("\\ud800"), Just("true"), Just("n"), Just(" "), Just("\0"),
                ],
                0..40,
            )
        ) {
            let lua = state();
            let decode: Function = lua.globals().get::<Table>("cjson").unwrap().get("decode").unwrap();
            let _ = decode.call::<Value>(parts.concat());
        }

        #[test]
        fn decode_encode_round_trip(text in json_value()) {
            // encode(decode(text)) decodes to the same value (member order may differ, as it
            // does in Redis: it is the Lua table's).
            let lua = state();
            let cjson: Table = lua.globals().get("cjson").unwrap();
            let decode: Function = cjson.get("decode").unwrap();
            let encode: Function = cjson.get("encode").unwrap();
            let v: Value = decode.call(text.as_str()).unwrap();
            let once: mlua::String = encode.call(v.clone()).unwrap();
            let v2: Value = decode.call(once).unwrap();
            prop_assert_eq!(canonical(&v), canonical(&v2));
        }
    }
}
