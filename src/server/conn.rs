//! One client connection: the socket, its buffers and the parser state.
//!
//! The part commands need (`Session`: buffers, parser, client state) is moved out of the
//! slab while the connection's commands run, so handlers can borrow the rest of the
//! server freely; it is put back afterwards. Meanwhile the slab entry holds an empty
//! `Session` and `running` is set: the loop, when a command runs it from inside
//! (`while_blocked.rs`), neither reads, runs, writes nor closes that connection.

use super::client::{Client, ClientRef};
use crate::resp::parse::{Parser, Span};
use mio::net::TcpStream;

#[derive(Default)]
pub struct Session {
    pub rbuf: Vec<u8>,
    /// Start of the first unparsed frame in `rbuf`.
    pub rpos: usize,
    /// The most `rbuf` held since the client cron last looked (Redis's querybuf_peak):
    /// how much of its capacity the client recently needed.
    pub rbuf_peak: usize,
    pub wbuf: Vec<u8>,
    /// How much of `wbuf` is already written.
    pub wpos: usize,
    pub parser: Parser,
    pub spans: Vec<Span>,
    /// The batch of parsed frames `process_input` runs, and their argument spans (kept
    /// here only to reuse their allocations).
    pub frames: Vec<super::Frame>,
    pub batch_spans: Vec<Span>,
    pub batch_hashes: Vec<u64>,
    /// The inline requests of the batch as they were before parsing rewrote them in
    /// place (start in `rbuf`, bytes), put back when the batch stops before running them
    /// so that they parse the same again.
    pub inline_orig: Vec<(usize, Vec<u8>)>,
    pub client: Client,
}

pub struct Conn {
    pub sock: TcpStream,
    /// The client id, kept here because `s` is moved out while the client's commands run;
    /// what `Core::conn` compares a `ClientRef` with.
    pub id: u64,
    pub s: Session,
    /// Queued in the server's list of connections with output to write.
    pub queued_write: bool,
    /// WRITABLE interest is registered.
    pub want_write: bool,
    /// Its `Session` is moved out: one of its commands is running (see the top).
    pub running: bool,
    /// Its memory as last counted in `Core::clients_mem` (see `obuf.rs`).
    pub mem: usize,
}

impl Conn {
    pub fn new(sock: TcpStream, client: Client) -> Conn {
        Conn {
            sock,
            id: client.id,
            s: Session {
                client,
                ..Default::default()
            },
            queued_write: false,
            want_write: false,
            running: false,
            mem: 0,
        }
    }

    /// This connection's identity, given its slab key.
    #[inline]
    pub fn cref(&self, key: usize) -> ClientRef {
        ClientRef { key, id: self.id }
    }

    pub fn has_output(&self) -> bool {
        self.s.wpos < self.s.wbuf.len()
    }
}
