//! One connection's input and output: reading the socket, parsing and running the
//! commands it sent in batches, writing replies back with a fairness cap, and closing.
//!
//! A connection whose command is running (`Conn::running`, set by `process_input` while
//! its `Session` is moved out; `Core::running` names the innermost) is left alone when
//! the loop runs from inside that command (`while_blocked.rs`): it is not read (it is
//! queued in `pending_reads` to be read afterwards: the poll is edge-triggered), not run,
//! not written, and closing it (CLIENT KILL, errors) is deferred to the end of the
//! command (`Core::deferred_close`), as Redis's protected clients.

#![deny(clippy::indexing_slicing)]

use super::blocking::unregister;
use super::call;
use super::client::Client;
use super::conn::Session;
use super::event_loop::Lp;
use super::obuf;
use crate::commands::Args;
use crate::resp::parse::{Limits, ParseError, Parsed};
use crate::resp::reply::Reply;
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::io;

/// Bytes read from one connection per event before others get their turn.
const MAX_READ_PER_EVENT: usize = 1024 * 1024;
/// Bytes written to one connection per iteration before others get their turn.
const MAX_WRITE_PER_EVENT: usize = 1024 * 1024;
/// Most frames `process_input` parses ahead of running them (see there).
const BATCH: usize = 32;

/// One parsed frame of a batch: its bytes in the read buffer and its argument spans
/// (relative to `start`) in the batch's span list; no spans for a frame without command.
#[derive(Clone, Debug)]
pub struct Frame {
    start: usize,
    end: usize,
    spans: std::ops::Range<usize>,
}

const READ_CHUNK: usize = 16 * 1024;
/// Redis's PROTO_IOBUF_LEN-style threshold: a read buffer larger than this with nothing
/// pending is given back. One that still holds part of a request, or a smaller one, is
/// trimmed by the client cron while the client idles (`Lp::resize_query_buffer`).
const IDLE_BUF_KEEP: usize = 64 * 1024;

impl Lp<'_> {
    /// Reads what a connection sent and runs the complete commands in it.
    ///
    /// The poll is edge-triggered, so the socket must be read until it is empty. A read
    /// that fills less than the space offered already proves that (TCP hands over all it
    /// has queued), so the usual request costs one read(2), not a second one that only
    /// returns EAGAIN. Data that arrives later raises a new edge. `to_end` reads on until
    /// EAGAIN or end of file regardless, for a hang-up whose end of file may sit behind
    /// the data, and for connections resumed after the per-event cap.
    pub(super) fn readable(&mut self, token: usize, to_end: bool) {
        let limit = self.core.config.client_query_buffer_limit as usize;
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        let me = conn.cref(token);
        if conn.running {
            // Read once its command ends: no new edge will say the data is there.
            if !self.core.pending_reads.contains(&me) {
                self.core.pending_reads.push(me);
            }
            return;
        }
        if conn.s.client.close_after_reply || conn.s.client.close_asap {
            return;
        }
        let mut total = 0;
        let mut closed = false;
        loop {
            let s = &mut conn.s;
            // A large bulk in progress: size the buffer once for the whole frame.
            if let Some(frame) = s.parser.frame_len_hint() {
                let want = s.rpos + frame;
                if want > s.rbuf.capacity() && frame <= limit {
                    s.rbuf.reserve(want - s.rbuf.len());
                }
            }
            if s.rbuf.capacity() - s.rbuf.len() < READ_CHUNK {
                s.rbuf.reserve(READ_CHUNK);
            }
            let offered = s.rbuf.capacity() - s.rbuf.len();
            match read_into_spare(&conn.sock, &mut s.rbuf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    total += n;
                    if total >= MAX_READ_PER_EVENT {
                        self.core.pending_reads.push(me);
                        break;
                    }
                    if n < offered && !to_end {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        self.core.stats.net_input_bytes += total as u64;
        if total > 0 {
            // Reading counts as interaction (idle time, `timeout`), as in Redis.
            conn.s.client.last_interaction = self.core.loop_now;
            conn.s.rbuf_peak = conn.s.rbuf_peak.max(conn.s.rbuf.len());
            self.process_input(token);
        }
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        if conn.s.rbuf.len().saturating_sub(conn.s.rpos) > limit {
            log::warn!(
                "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                conn.s.client.id,
                conn.s.client.addr,
                conn.s.rbuf.len()
            );
            self.close_conn(token);
            return;
        }
        if closed {
            // Replies to what it sent before closing still go out if the peer reads, but
            // only after the AOF got this iteration's writes (before_sleep).
            conn.s.client.close_after_reply = true;
            self.core.queue_write(token);
        }
    }

    /// Parses and runs every complete command in the connection's read buffer.
    ///
    /// Frames are parsed in batches of up to `BATCH` before any of them runs, so that the
    /// hash-table slots of their keys can be prefetched together: with pipelining and a
    /// keyspace larger than the CPU caches, waiting on those memory loads one command at a
    /// time is the largest single cost of a request. The parsed frames then run in order,
    /// exactly as if each had been parsed just before it ran; whatever changes how the rest
    /// must be parsed or whether it may run (AUTH or RESET changing the limits, CONFIG SET
    /// proto-max-bulk-len, a blocked or closing client, shutdown) discards the rest of the
    /// batch, which is parsed again from where execution stopped.
    pub(super) fn process_input(&mut self, token: usize) {
        // None when it is running already (we are inside one of its commands): the batch
        // that holds its session goes on with its input afterwards.
        let Some((mut s, outer)) = self.core.begin_running(token) else {
            return;
        };
        let mut frames = std::mem::take(&mut s.frames);
        let mut flat = std::mem::take(&mut s.batch_spans);
        let mut limits = self.limits_for(&s.client);
        'batches: loop {
            // Parsing a batch takes time that belongs to no command.
            self.core.clock_carry = 0;
            if s.client.close_after_reply
                || s.client.close_asap
                || s.client.blocked.is_some()
                || s.client.postponed
                || s.rpos >= s.rbuf.len()
            {
                break;
            }
            // Unauthenticated clients go one frame at a time: AUTH changes the limits.
            let max = if limits.authenticated { BATCH } else { 1 };
            frames.clear();
            flat.clear();
            let mut pos = s.rpos;
            let mut error = None;
            s.inline_orig.clear();
            while frames.len() < max {
                let rest = match s.rbuf.get_mut(pos..) {
                    Some(rest) if !rest.is_empty() => rest,
                    _ => break,
                };
                let avail = rest.len();
                if rest.first() != Some(&b'*') && s.parser.at_frame_start() {
                    // Inline: parsing unquotes it in place; keep the line as sent.
                    if let Some(nl) = rest.iter().position(|&b| b == b'\n') {
                        let line = rest.get(..nl).unwrap_or_default().to_vec();
                        s.inline_orig.push((pos, line));
                    }
                }
                // The parser never reports more than it was given; clamping keeps every
                // frame inside `rbuf` by construction here.
                match s.parser.parse(rest, &mut s.spans, &limits) {
                    Ok(Parsed::Command(n)) => {
                        let n = n.min(avail);
                        let lo = flat.len();
                        flat.extend_from_slice(&s.spans);
                        frames.push(Frame {
                            start: pos,
                            end: pos + n,
                            spans: lo..flat.len(),
                        });
                        pos += n;
                    }
                    Ok(Parsed::Empty(n)) => {
                        let n = n.min(avail);
                        frames.push(Frame {
                            start: pos,
                            end: pos + n,
                            spans: 0..0,
                        });
                        pos += n;
                    }
                    Ok(Parsed::Incomplete) => break,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            let full = frames.len() == max;
            // Every frame lies inside `rbuf` and its spans inside `flat` (both were built
            // above and neither changes while the batch runs): the fallbacks never apply.
            let frame_buf = |f: &Frame| s.rbuf.get(f.start..f.end).unwrap_or_default();
            let frame_spans = |f: &Frame| flat.get(f.spans.clone()).unwrap_or_default();
            if frames.len() > 1 {
                let mut hashes = std::mem::take(&mut s.batch_hashes);
                let batch = frames
                    .iter()
                    .map(|f| Args::new(frame_buf(f), frame_spans(f)));
                call::prefetch_batch(self.store, s.client.db, batch, &mut hashes);
                s.batch_hashes = hashes;
            }
            for (i, f) in frames.iter().enumerate() {
                if !f.spans.is_empty() {
                    let args = Args::from_wire(frame_buf(f), frame_spans(f));
                    call::process_command(self.store, self.core, &mut s.client, &mut s.wbuf, args);
                    if s.wbuf.len() - s.wpos > obuf::REPLY_CHUNK
                        || s.client.obuf_soft_since.is_some()
                    {
                        self.core
                            .enforce_output_limit(&mut s.client, &mut s.wbuf, &mut s.wpos);
                    }
                    if s.client.postponed {
                        // CLIENT PAUSE: the frame stays unconsumed and runs when the
                        // pause ends; nothing after it runs before it.
                        s.parser.reset();
                        restore_inline(&mut s, f.start);
                        self.core.paused.push(s.client.cref());
                        break 'batches;
                    }
                }
                s.rpos = f.end;
                // Not from inside a busy script: blocked clients would see its writes
                // half done (Redis skips it there too).
                if !self.store.ready_keys.is_empty() && self.core.busy.is_none() {
                    self.handle_ready_keys();
                }
                if !self.core.deferred_close.is_empty() {
                    self.core.take_deferred_close(&mut s.client);
                }
                let now = self.limits_for(&s.client);
                let changed = now != limits;
                let stop = self.core.shutdown.is_some()
                    || s.client.close_after_reply
                    || s.client.close_asap
                    || s.client.blocked.is_some();
                if stop || changed {
                    if changed || i + 1 < frames.len() || error.is_some() {
                        // What was parsed after this frame is parsed again later.
                        s.parser.reset();
                        restore_inline(&mut s, f.end);
                    }
                    limits = now;
                    if stop {
                        break 'batches;
                    }
                    continue 'batches;
                }
            }
            if let Some(e) = error {
                protocol_error(&mut s.wbuf, s.client.resp3, &e, &s.client);
                s.client.close_after_reply = true;
                break;
            }
            if !full {
                break;
            }
        }
        self.core.clock_carry = 0;
        s.frames = frames;
        s.batch_spans = flat;
        // Drop the consumed prefix once per read, not once per command.
        if s.rpos > 0 {
            if s.rpos >= s.rbuf.len() {
                s.rbuf.clear();
                if s.rbuf.capacity() > IDLE_BUF_KEEP {
                    // Seen here, not by the cron: a large request's buffer goes now.
                    let now = (crate::store::now_ms() / 1000) as u64;
                    self.core.obuf_peaks.record(now, s.rbuf.capacity(), 0);
                    s.rbuf = Vec::new();
                }
            } else {
                s.rbuf.drain(..s.rpos);
            }
            s.rpos = 0;
        }
        self.core.end_running(token, s, outer);
    }

    /// The parser limits for a client as things stand.
    fn limits_for(&self, client: &Client) -> Limits {
        Limits {
            proto_max_bulk_len: self.core.config.proto_max_bulk_len as usize,
            authenticated: client.authenticated || !self.core.auth_required(),
        }
    }

    /// Writes as much pending output as the socket takes (up to the fairness cap).
    pub(super) fn flush_conn(&mut self, token: usize) {
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        if conn.running {
            // Its output is in the running command's session (see before_sleep).
            return;
        }
        if conn.s.client.close_asap {
            self.close_conn(token);
            return;
        }
        let mut written = 0;
        let mut broken = false;
        while let Some(out) = conn.s.wbuf.get(conn.s.wpos..).filter(|o| !o.is_empty()) {
            match write_fd(&conn.sock, out) {
                Ok(0) => {
                    broken = true;
                    break;
                }
                Ok(n) => {
                    conn.s.wpos += n;
                    written += n;
                    if written >= MAX_WRITE_PER_EVENT {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        self.core.stats.net_output_bytes += written as u64;
        if broken {
            self.close_conn(token);
            return;
        }
        let Some(conn) = self.core.conns.get_mut(token) else {
            return;
        };
        if conn.s.wpos >= conn.s.wbuf.len() {
            conn.s.wbuf.clear();
            conn.s.wpos = 0;
            if conn.s.wbuf.capacity() > IDLE_BUF_KEEP {
                conn.s.wbuf = Vec::new();
                self.core.account_memory(token);
            }
            let Some(conn) = self.core.conns.get_mut(token) else {
                return;
            };
            if conn.s.client.close_after_reply {
                self.close_conn(token);
                return;
            }
            if conn.want_write {
                conn.want_write = false;
                if let Some(r) = self.core.io.registry() {
                    let _ = r.reregister(&mut conn.sock, Token(token), Interest::READABLE);
                }
            }
        } else {
            if written >= MAX_WRITE_PER_EVENT {
                // The socket may still take more: come back next iteration.
                self.core.queue_write(token);
            }
            let Some(conn) = self.core.conns.get_mut(token) else {
                return;
            };
            if !conn.want_write {
                conn.want_write = true;
                if let Some(r) = self.core.io.registry() {
                    let _ = r.reregister(
                        &mut conn.sock,
                        Token(token),
                        Interest::READABLE | Interest::WRITABLE,
                    );
                }
            }
        }
    }

    /// Closes a connection and forgets everything the server keeps about it: afterwards
    /// no list, registry or map names it (the lists through `Core::forget_conn`; WATCHes,
    /// blocking keys and subscriptions from what its client records).
    /// A connection whose command is running is only marked, and closed once it ends.
    pub(super) fn close_conn(&mut self, token: usize) {
        if self.core.conns.get(token).is_some_and(|c| c.running) {
            self.core.kill_client(token);
            return;
        }
        let Some(mut c) = self.core.conns.try_remove(token) else {
            return;
        };
        let me = c.cref(token);
        self.core.clients_mem -= c.mem;
        if let Some(r) = self.core.io.registry() {
            let _ = r.deregister(&mut c.sock);
        }
        self.core.forget_conn(me, c.queued_write);
        let client = &mut c.s.client;
        self.core.pubsub_forget(client);
        if let Some(b) = client.blocked.take() {
            unregister(self.store, self.core, me, &b);
        }
        for w in client.watched.drain(..) {
            let k = (w.db, w.key);
            if let Some(v) = self.store.watched_keys.get_mut(&k) {
                v.retain(|&t| t != me);
                if v.is_empty() {
                    self.store.watched_keys.remove(&k);
                }
            }
        }
        self.store.update_tracking();
    }
}

/// Puts back the inline requests of the batch from `from` on as they were sent, for them
/// to be parsed again.
fn restore_inline(s: &mut Session, from: usize) {
    for (start, line) in s.inline_orig.drain(..) {
        if start >= from {
            if let Some(dst) = s.rbuf.get_mut(start..start + line.len()) {
                dst.copy_from_slice(&line);
            }
        }
    }
}

/// A protocol error: reply, log at verbose level as Redis does, close after the reply.
fn protocol_error(out: &mut Vec<u8>, resp3: bool, e: &ParseError, client: &Client) {
    log::debug!(
        "Protocol error ({e}) from client: id={} addr={}",
        client.id,
        client.addr
    );
    Reply::new(out, resp3).error(&format!("ERR {e}"));
}

/// Reads from the socket into the spare capacity of `buf` (which the caller reserved),
/// without zero-filling it first.
fn read_into_spare(sock: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let spare = buf.spare_capacity_mut();
    // SAFETY: read(2) writes at most `spare.len()` bytes into memory we own; exactly the
    // `n` bytes it reports are initialised before the length is extended over them.
    let n = unsafe {
        libc::read(
            sock.as_raw_fd(),
            spare.as_mut_ptr() as *mut libc::c_void,
            spare.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let n = n as usize;
    // SAFETY: see above; n <= spare.len().
    unsafe { buf.set_len(buf.len() + n) };
    Ok(n)
}

/// write(2) on the socket, as Redis writes replies. The standard library uses send(2) with
/// MSG_NOSIGNAL instead; the Rust runtime ignores SIGPIPE for the whole process, so a
/// closed peer still comes back as EPIPE here.
fn write_fd(sock: &TcpStream, buf: &[u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: write(2) reads at most `buf.len()` bytes from a live slice.
    let n = unsafe {
        libc::write(
            sock.as_raw_fd(),
            buf.as_ptr() as *const libc::c_void,
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
pub(super) mod tests {
    use super::super::client::ClientRef;
    use super::super::Server;
    use crate::config::Config;
    use crate::store::bytes::Sds;
    use std::net::TcpStream;
    use std::time::Duration;

    /// A server on an ephemeral loopback port, without persistence.
    pub(in crate::server) fn server() -> Server {
        let config = Config {
            port: 0,
            bind: vec!["127.0.0.1".into()],
            appendonly: false,
            ..Default::default()
        };
        Server::new(config).expect("server")
    }

    /// Connects a client and has the server accept it.
    pub(in crate::server) fn open(srv: &mut Server) -> (TcpStream, ClientRef) {
        let sock = TcpStream::connect(("127.0.0.1", srv.port())).expect("connect");
        let id = srv.core.next_client_id;
        for _ in 0..2000 {
            srv.lp().accept(0);
            if srv.core.next_client_id > id {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let (key, c) = srv
            .core
            .conns
            .iter()
            .find(|(_, c)| c.id == id)
            .expect("accepted");
        (sock, c.cref(key))
    }

    /// Runs one command as if the client had sent it.
    fn run(srv: &mut Server, who: ClientRef, args: &[&str]) {
        let mut b = format!("*{}\r\n", args.len());
        for a in args {
            b.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        let conn = srv.core.conn_mut(who).expect("open");
        conn.s.rbuf.extend_from_slice(b.as_bytes());
        srv.lp().process_input(who.key);
    }

    fn output(srv: &Server, who: ClientRef) -> String {
        String::from_utf8_lossy(&srv.core.conn(who).expect("open").s.wbuf).into_owned()
    }

    fn flat<K>(m: &std::collections::HashMap<K, Vec<ClientRef>>) -> Vec<ClientRef> {
        m.values().flatten().copied().collect()
    }

    /// Every list that remembers clients, as (name, entries).
    fn lists(srv: &Server) -> Vec<(&'static str, Vec<ClientRef>)> {
        let c = &srv.core;
        let s = &srv.store;
        vec![
            ("monitors", c.monitors.clone()),
            ("blocked", c.blocked.clone()),
            ("unblocked", c.unblocked.clone()),
            ("paused", c.paused.clone()),
            ("pending_writes", c.pending_writes.clone()),
            ("pending_reads", c.pending_reads.clone()),
            ("watched_keys", flat(&s.watched_keys)),
            (
                "blocking_keys",
                s.blocking_keys.values().flatten().copied().collect(),
            ),
            ("pubsub.channels", flat(&c.pubsub.channels)),
            ("pubsub.patterns", flat(&c.pubsub.patterns)),
            ("pubsub.shard_channels", flat(&c.pubsub.shard_channels)),
        ]
    }

    #[test]
    fn a_closed_connection_leaves_no_entry_and_its_slot_reuser_is_untouched() {
        let mut srv = server();
        let (_se, e) = open(&mut srv);
        let (_sa, a) = open(&mut srv);
        let (_sb1, b1) = open(&mut srv);
        let (_sb2, b2) = open(&mut srv);
        let (_sm, m) = open(&mut srv);
        let (_sp, p) = open(&mut srv);
        run(&mut srv, a, &["WATCH", "k"]);
        run(&mut srv, a, &["SUBSCRIBE", "ch"]);
        run(&mut srv, a, &["PSUBSCRIBE", "c*"]);
        run(&mut srv, a, &["SSUBSCRIBE", "sh"]);
        run(&mut srv, b1, &["BLPOP", "l", "0"]);
        run(&mut srv, b2, &["BLPOP", "l", "0"]);
        run(&mut srv, m, &["MONITOR"]);
        run(&mut srv, e, &["CLIENT", "PAUSE", "100000", "WRITE"]);
        run(&mut srv, p, &["SET", "x", "1"]);
        run(&mut srv, e, &["CLIENT", "UNBLOCK", &b2.id.to_string()]);
        let gone = [a, b1, b2, m, p];
        for (name, entries) in lists(&srv) {
            assert!(
                entries.iter().any(|r| gone.contains(r)),
                "{name} holds none of the clients: {entries:?}"
            );
        }
        for r in gone {
            srv.lp().close_conn(r.key);
        }
        for (name, entries) in lists(&srv) {
            assert!(
                entries.iter().all(|&r| r == e),
                "{name} after close: {entries:?}"
            );
        }
        assert!(srv.store.watched_keys.is_empty() && srv.store.blocking_keys.is_empty());
        assert!(srv.core.pubsub.channels.is_empty() && srv.core.pubsub.patterns.is_empty());
        assert!(srv.core.pubsub.shard_channels.is_empty());
        assert!(!srv.store.track_touched);

        // A new connection takes over a freed slab key; entries naming the old owner
        // (say a copy a loop step still iterates over) do not reach it.
        let (_sn, n) = open(&mut srv);
        let old = *gone
            .iter()
            .find(|r| r.key == n.key)
            .expect("slab key reused");
        assert!(srv.core.conn(old).is_none());
        srv.core.monitors.push(old);
        srv.core.blocked.push(old);
        srv.core.paused.push(old);
        srv.core.unblocked.push(old);
        srv.core
            .pubsub
            .channels
            .insert(Sds::from(&b"ch"[..]), vec![old]);
        srv.store
            .watched_keys
            .insert((0, Sds::from(&b"k"[..])), vec![old]);
        srv.store
            .blocking_keys
            .insert((0, Sds::from(&b"l"[..])), [old].into());
        srv.store.update_tracking();
        run(&mut srv, e, &["CLIENT", "UNPAUSE"]);
        run(&mut srv, e, &["SET", "k", "v"]);
        run(&mut srv, e, &["RPUSH", "l", "v"]);
        run(&mut srv, e, &["PUBLISH", "ch", "hi"]);
        srv.lp().process_unblocked();
        srv.lp().check_blocked_timeouts();
        assert_eq!(output(&srv, n), "");
        let c = &srv.core.conn(n).unwrap().s.client;
        assert!(!c.dirty_cas && !c.monitor && c.blocked.is_none() && !c.postponed);
        // x was never set; l kept its element.
        assert_eq!(srv.store.dbs()[0].len(), 2);
        assert!(output(&srv, e).ends_with("+OK\r\n:1\r\n:1\r\n"));
    }
}
