//! The per-connection state commands see (Redis's `client` minus the socket and buffers).

use crate::commands::{CommandDef, OwnedArgs};
use crate::store::bytes::Sds;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Who a connection is, as the lists that remember clients keep it (MONITOR, blocked,
/// paused, output or input pending, WATCHers, subscribers, replies held for the AOF).
///
/// The slab key alone is not enough: a closed connection's key is given to the next one
/// accepted, and an entry left behind would then reach that stranger. Client ids are never
/// reused, so a `ClientRef` whose id no longer matches the connection in its slot is stale
/// (`Core::conn` and `Core::conn_mut` check both). Closing a connection also removes its
/// entries from every list; the check covers the copies a loop step is iterating over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientRef {
    /// The slab key (and mio token) of the connection.
    pub key: usize,
    /// Its client id (CLIENT ID).
    pub id: u64,
}

/// A transaction being queued (MULTI ... EXEC).
#[derive(Debug, Default)]
pub struct MultiState {
    pub cmds: Vec<(OwnedArgs, &'static CommandDef)>,
    /// A command failed to queue: EXEC answers EXECABORT.
    pub abort: bool,
}

/// A WATCHed key.
#[derive(Debug, Clone)]
pub struct Watched {
    pub db: usize,
    pub key: Sds,
    /// The key was already logically expired when WATCHed (its expiry then does not count).
    pub expired_at_watch: bool,
}

/// A client waiting on keys (BLPOP and friends).
#[derive(Debug)]
pub struct Blocked {
    pub db: usize,
    pub keys: Vec<Sds>,
    pub deadline: Option<Instant>,
    /// The command to run again when a key is ready.
    pub args: OwnedArgs,
    pub cmd: &'static CommandDef,
}

/// CLIENT REPLY modes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Skipping the reply of this command.
    Skip,
}

#[derive(Debug)]
pub struct Client {
    pub id: u64,
    /// The slab key of the connection (its mio token).
    pub token: usize,
    pub db: usize,
    pub resp3: bool,
    pub name: Option<Sds>,
    pub lib_name: Option<Sds>,
    pub lib_ver: Option<Sds>,
    pub authenticated: bool,
    pub addr: String,
    pub laddr: String,
    pub created: Instant,
    pub last_interaction: Instant,
    /// The full name of the last command run ("config|get").
    pub last_cmd: &'static str,
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    /// Close once the pending replies are written (QUIT, protocol errors, CLIENT KILL).
    pub close_after_reply: bool,
    /// Close without writing anything more.
    pub close_asap: bool,
    /// Pub/Sub: how many channels and patterns this client is subscribed to (shard
    /// channels counted apart).
    pub subscriptions: usize,
    pub channels: HashSet<Sds>,
    pub patterns: Vec<Sds>,
    pub shard_channels: HashSet<Sds>,
    pub monitor: bool,
    pub multi: Option<MultiState>,
    /// Running the commands of an EXEC: blocking commands do not block.
    pub in_exec: bool,
    pub watched: Vec<Watched>,
    /// A watched key was touched: the next EXEC fails.
    pub dirty_cas: bool,
    pub blocked: Option<Blocked>,
    /// Its next command waits for a CLIENT PAUSE to end (it is left unconsumed in the
    /// read buffer and runs again, from the start of its checks, when the pause ends).
    pub postponed: bool,
    /// Set by a handler that wants to block: (keys, timeout). `call` turns it into `blocked`.
    pub block_request: Option<(Vec<Sds>, Option<Duration>)>,
    /// When the output buffer went over the soft limit (client-output-buffer-limit).
    pub obuf_soft_since: Option<Instant>,
    /// The running command's output is Pub/Sub confirmations, which Redis sends even
    /// under CLIENT REPLY OFF/SKIP (they are pushes, whatever the protocol).
    pub reply_is_push: bool,
    /// SCRIPT DEBUG YES|SYNC: its next EVAL runs in a debugging session.
    pub lua_debug: Option<crate::scripting::ldb::Mode>,
}

impl Client {
    /// This client's identity in the server's lists.
    #[inline]
    pub fn cref(&self) -> ClientRef {
        ClientRef {
            key: self.token,
            id: self.id,
        }
    }
}

impl Default for Client {
    fn default() -> Self {
        let now = Instant::now();
        Client {
            id: 0,
            token: usize::MAX,
            db: 0,
            resp3: false,
            name: None,
            lib_name: None,
            lib_ver: None,
            authenticated: false,
            addr: String::new(),
            laddr: String::new(),
            created: now,
            last_interaction: now,
            last_cmd: "NULL",
            reply_mode: ReplyMode::On,
            no_evict: false,
            close_after_reply: false,
            close_asap: false,
            subscriptions: 0,
            channels: HashSet::new(),
            patterns: Vec::new(),
            shard_channels: HashSet::new(),
            monitor: false,
            multi: None,
            in_exec: false,
            watched: Vec::new(),
            dirty_cas: false,
            blocked: None,
            postponed: false,
            block_request: None,
            obuf_soft_since: None,
            reply_is_push: false,
            lua_debug: None,
        }
    }
}
