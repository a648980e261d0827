//! The harness of the families' handler tests: runs commands through the table (arity
//! and subcommand checks included) on a private keyspace with a controllable clock, and
//! records what each command asked of the server: its reply, AOF feed, dirty count,
//! keyspace events, signalled keys and blocking request.
//!
//! Two views of the side effects: `aof`, `events` and `touched` accumulate over the
//! kit's life (as "db event key" and "db key" strings; `clear` forgets them), while
//! `dirty`, `propagate`, `events()`, `touched_keys()` and `blocked` are the last
//! command's.

use crate::commands::{Ctx, OwnedArgs, Propagate};
use crate::config::Config;
use crate::resp::reply::Reply;
use crate::server::call::resolve;
use crate::server::client::Client;
use crate::server::Core;
use crate::store::bytes::Sds;
use crate::store::hash::Hash;
use crate::store::{notify, KeyEvent, Store, Value};

pub struct Kit {
    pub store: Store,
    pub core: Core,
    pub client: Client,
    /// The command time; tests move it to make keys expire.
    pub now: i64,
    /// Commands fed to the AOF, each as its words joined by spaces.
    pub aof: Vec<String>,
    /// Keyspace events as "db event key".
    pub events: Vec<String>,
    /// Keys signalled as modified, as "db key".
    pub touched: Vec<String>,
    /// How the last command asked to be propagated.
    pub propagate: Propagate,
    /// What the last command added to the dirty counter.
    pub dirty: u64,
    /// The keys the last command asked to block on.
    pub blocked: Option<Vec<String>>,
    /// The last command's keyspace events, as (event, key).
    last_events: Vec<(&'static str, String)>,
    /// The keys the last command signalled.
    last_touched: Vec<String>,
}

impl Default for Kit {
    fn default() -> Kit {
        Kit::new()
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn words<'a>(c: impl IntoIterator<Item = &'a [u8]>) -> String {
    c.into_iter().map(lossy).collect::<Vec<_>>().join(" ")
}

impl Kit {
    /// Every event class enabled (`new` included), signals recorded, the AOF on (what
    /// commands feed it is part of what the tests check).
    pub fn new() -> Kit {
        let mut store = Store::new(16);
        store.notify_flags = notify::ALL | notify::NEW | notify::KEYEVENT;
        store.track_touched = true;
        let mut core = Core::new(Config::default());
        core.set_aof_enabled(true);
        Kit {
            store,
            core,
            client: Client::default(),
            now: 1_700_000_000_000,
            aof: Vec::new(),
            events: Vec::new(),
            touched: Vec::new(),
            propagate: Propagate::AsIs,
            dirty: 0,
            blocked: None,
            last_events: Vec::new(),
            last_touched: Vec::new(),
        }
    }

    /// A kit whose client speaks RESP3.
    pub fn resp3() -> Kit {
        let mut k = Kit::new();
        k.client.resp3 = true;
        k
    }

    /// Moves what the store queued (by the last command, or by a helper since) to the
    /// accumulated records; returns the events and signals moved.
    fn drain(&mut self) -> (Vec<KeyEvent>, Vec<(usize, Sds)>) {
        let events: Vec<KeyEvent> = self.store.take_events();
        let touched: Vec<(usize, Sds)> = self.store.take_touched();
        for e in &events {
            self.events
                .push(format!("{} {} {}", e.db, e.event, lossy(&e.key)));
        }
        for (db, k) in &touched {
            self.touched.push(format!("{} {}", db, lossy(k)));
        }
        (events, touched)
    }

    /// Runs one command given as its arguments; returns the raw reply.
    pub fn call(&mut self, args: &[&[u8]]) -> String {
        self.drain();
        let owned: OwnedArgs = args.iter().copied().collect();
        let a = owned.args();
        let mut out = Vec::new();
        let cmd = match resolve(&a) {
            Ok(c) => c,
            Err(e) => {
                Reply::new(&mut out, self.client.resp3).error_bytes(&e);
                return lossy(&out);
            }
        };
        // What the dispatcher does with a blocking request is left to the test (the
        // request stays on the client until the next command).
        self.client.block_request = None;
        self.store.cur = self.client.db;
        self.store.now = self.now;
        let dirty = self.store.dirty();
        let resp3 = self.client.resp3;
        let mut ctx = Ctx {
            store: &mut self.store,
            srv: &mut self.core,
            client: &mut self.client,
            reply: Reply::new(&mut out, resp3),
            cmd,
            propagate: Propagate::AsIs,
        };
        let res = (cmd.handler)(&mut ctx, &a);
        if let Err(e) = res {
            assert!(ctx.reply.buf.is_empty(), "reply written before an error");
            ctx.reply.error(&e.to_string());
        }
        self.propagate = std::mem::take(&mut ctx.propagate);
        for (_, c) in self.store.drain_propagate() {
            self.aof.push(words(c.iter().map(|w| w.as_slice())));
        }
        self.dirty = self.store.dirty() - dirty;
        if self.dirty != 0 {
            match &self.propagate {
                Propagate::AsIs => self.aof.push(words(a.iter())),
                Propagate::Never => {}
                Propagate::Rewrite(cmds) => {
                    for c in cmds {
                        self.aof.push(words(c.iter().map(|w| w.as_slice())));
                    }
                }
            }
        }
        let (events, touched) = self.drain();
        self.last_events = events.iter().map(|e| (e.event, lossy(&e.key))).collect();
        self.last_touched = touched.iter().map(|(_, k)| lossy(k)).collect();
        self.blocked = self
            .client
            .block_request
            .as_ref()
            .map(|(keys, _)| keys.iter().map(|k| lossy(k)).collect());
        lossy(&out)
    }

    /// Runs a command written as words separated by single spaces.
    pub fn run(&mut self, line: &str) -> String {
        let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.call(&words)
    }

    /// `run`, for short.
    pub fn r(&mut self, line: &str) -> String {
        self.run(line)
    }

    /// Runs each line and checks its reply.
    pub fn expect(&mut self, cases: &[(&str, &str)]) {
        for (line, want) in cases {
            assert_eq!(self.run(line), *want, "command: {line}");
        }
    }

    /// Forgets the AOF feeds, events and signals recorded so far.
    pub fn clear(&mut self) {
        self.drain();
        self.aof.clear();
        self.events.clear();
        self.touched.clear();
    }

    /// The names of the last command's keyspace events, `new` aside.
    pub fn events(&self) -> Vec<&str> {
        self.last_events
            .iter()
            .map(|e| e.0)
            .filter(|&e| e != "new")
            .collect()
    }

    /// The keys the last command signalled as modified.
    pub fn touched_keys(&self) -> &[String] {
        &self.last_touched
    }

    /// What the last command feeds to the AOF: None for "as received".
    pub fn propagated(&self) -> Option<Vec<String>> {
        match &self.propagate {
            Propagate::AsIs => None,
            Propagate::Never => Some(Vec::new()),
            Propagate::Rewrite(cmds) => Some(
                cmds.iter()
                    .map(|c| words(c.iter().map(|w| w.as_slice())))
                    .collect(),
            ),
        }
    }

    /// Stores an empty list under `key` in the client's database, with no side effect.
    pub fn put_list(&mut self, key: &str) {
        self.store
            .put_raw(self.client.db, key.as_bytes(), Value::List(Box::default()));
    }

    /// Stores the string "x" under an absent `key`.
    pub fn set_string(&mut self, key: &str) {
        self.store
            .add(key.as_bytes(), Value::Str(Sds::from(&b"x"[..])));
    }

    /// Stores the string `v` under `key`.
    pub fn put(&mut self, key: &str, v: &[u8]) {
        self.store
            .set(key.as_bytes(), Value::Str(Sds::from(v)), false);
    }

    /// The string at `key`; panics when there is none.
    pub fn get(&mut self, key: &str) -> Vec<u8> {
        match self.store.lookup_write(key.as_bytes()) {
            Some(Value::Str(s)) => s.to_vec(),
            _ => panic!("no string at {key}"),
        }
    }

    /// The hash at `key`, if there is one.
    pub fn hash(&mut self, key: &str) -> Option<&Hash> {
        match self.store.db().keys.get(key.as_bytes()) {
            Some(Value::Hash(h)) => Some(h),
            _ => None,
        }
    }

    /// The encoding of the value at `key` ("none" without one).
    pub fn encoding(&mut self, key: &str) -> &'static str {
        self.store
            .db()
            .keys
            .get(key.as_bytes())
            .map_or("none", |v| v.encoding())
    }

    pub fn exists(&mut self, key: &str) -> bool {
        self.store.db().keys.contains_key(key.as_bytes())
    }
}

pub fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// The bulk strings of a reply, in order, whatever their nesting.
pub fn bulks(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = s.split("\r\n");
    while let Some(l) = lines.next() {
        if l.starts_with('$') && l != "$-1" {
            out.push(lines.next().unwrap_or_default().to_string());
        }
    }
    out
}

pub const NIL: &str = "$-1\r\n";
pub const NIL_ARRAY: &str = "*-1\r\n";
pub const NULL3: &str = "_\r\n";
pub const OK: &str = "+OK\r\n";
pub const EMPTY: &str = "*0\r\n";
pub const WRONGTYPE: &str =
    "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
pub const NOTINT: &str = "-ERR value is not an integer or out of range\r\n";
pub const SYNTAX: &str = "-ERR syntax error\r\n";
pub const NOTPOS: &str = "-ERR value is out of range, must be positive\r\n";
