//! The per-connection state commands see (Redis's `client` minus the socket and buffers).

use crate::store::bytes::Sds;
use std::time::Instant;

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
    /// Pub/Sub: channels and patterns this client is subscribed to.
    pub subscriptions: usize,
    pub monitor: bool,
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
            monitor: false,
        }
    }
}
