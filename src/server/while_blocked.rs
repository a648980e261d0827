//! Serving the other clients from inside a command that runs long: Redis 7.0's
//! processEventsWhileBlocked, for a script past busy-reply-threshold.
//!
//! The script runner calls `process_events_while_blocked(ctx.store, ctx.srv)` now and
//! then while `Core::busy` is set. One call is one step of the loop without its timers:
//! a poll that does not wait; signals (SIGTERM/SIGINT request the shutdown, which the
//! loop carries out after the command); new connections; the complete commands of every
//! connection but the running ones (the dispatcher answers BUSY to all but ALLOW_BUSY
//! commands); then, as `before_sleep`, the AOF buffer and the replies (held when
//! appendfsync always cannot write). Not the cron, blocked-client timeouts, the end of a
//! CLIENT PAUSE, nor serving unblocked or key-blocked clients: those wait for the loop.
//! The running connection is neither read, run, written nor closed (see `io.rs`).

use super::event_loop::Lp;
use super::Core;
use crate::store::Store;
use mio::Events;
use std::time::Duration;

/// Events one call takes from the poll at most (the rest come on the next call).
const TICK_EVENTS: usize = 256;

/// Called once when a command starts serving others from inside itself: the iteration
/// that runs it may have taken readiness events from the poll that it has not handled
/// yet (edge-triggered: the poll will not report them again), so every other connection
/// is read, and every listener accepted from, on the next step.
pub fn enter_blocked(store: &mut Store, core: &mut Core) {
    let others: Vec<_> = core
        .conns
        .iter()
        .filter(|(_, c)| !c.running)
        .map(|(k, c)| c.cref(k))
        .collect();
    core.pending_reads.extend(others);
    let mut lp = Lp { store, core };
    for i in 0..lp.core.io.listeners.len() {
        lp.accept(i);
    }
}

/// Runs one step of the loop from inside the running command (see the top); returns how
/// many events the poll reported.
pub fn process_events_while_blocked(store: &mut Store, core: &mut Core) -> usize {
    // A nested call (a command run by this one ticks too) finds the buffer taken.
    let mut events = core
        .io
        .tick_events
        .take()
        .unwrap_or_else(|| Events::with_capacity(TICK_EVENTS));
    let mut lp = Lp { store, core };
    let n = lp.poll_and_handle(&mut events, Some(Duration::ZERO));
    lp.before_sleep();
    lp.core.io.tick_events = Some(events);
    n
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failed test, not a server fault.
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::io::tests::{open, server};
    use super::super::{Busy, Server};
    use super::process_events_while_blocked;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    const BUSY: &str =
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";

    /// Calls `process_events_while_blocked` until `sock` received something ending with
    /// `want`; returns all it received.
    fn tick_until(srv: &mut Server, sock: &mut TcpStream, want: &str) -> String {
        sock.set_read_timeout(Some(Duration::from_millis(2)))
            .expect("timeout");
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !got.ends_with(want.as_bytes()) {
            let text = String::from_utf8_lossy(&got);
            assert!(
                Instant::now() < deadline,
                "waiting for {want:?}, got {text:?}"
            );
            process_events_while_blocked(&mut srv.store, &mut srv.core);
            let mut buf = [0u8; 4096];
            match sock.read(&mut buf) {
                Ok(0) => panic!("closed, got {text:?}"),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => {}
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    }

    /// Nothing arrives on `sock` within a few milliseconds.
    fn silent(sock: &mut TcpStream) -> bool {
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        sock.read(&mut [0u8; 64]).is_err()
    }

    #[test]
    fn while_busy_others_are_served_and_the_running_client_is_left_alone() {
        let mut srv = server();
        let (mut sr, r) = open(&mut srv);
        let (mut sa, _a) = open(&mut srv);
        // R's command (a script) starts, writes part of its reply, and runs long.
        let (mut s, outer) = srv.core.begin_running(r.key).expect("open");
        s.wbuf.extend_from_slice(b"+done\r\n");
        srv.core.queue_write(r.key);
        srv.core.set_busy(Some(Busy::Eval));
        let rejected = srv.core.stats().rejected_calls;

        sr.write_all(b"PING\r\n").expect("write");
        sa.write_all(
            b"PING\r\nMULTI\r\nPING\r\nEXEC\r\nDISCARD\r\nSHUTDOWN\r\nSHUTDOWN SAVE\r\nCLIENT ID\r\nHELLO 2\r\nRESET\r\n",
        )
        .expect("write");
        let got = tick_until(&mut srv, &mut sa, "+RESET\r\n");
        let (head, hello) = got.split_at(got.find("*14\r\n").expect("HELLO reply"));
        let busy = BUSY.trim_start_matches('-');
        assert_eq!(
            head,
            format!(
                "{BUSY}+OK\r\n{BUSY}-EXECABORT Transaction discarded because of: {busy}-ERR DISCARD without MULTI\r\n{BUSY}{BUSY}{BUSY}"
            )
        );
        assert!(hello.contains("$5\r\nproto\r\n:2\r\n") && hello.ends_with("+RESET\r\n"));

        // A new connection is accepted and served.
        let mut sn = TcpStream::connect(("127.0.0.1", srv.port())).expect("connect");
        sn.write_all(b"PING\r\n").expect("write");
        assert_eq!(tick_until(&mut srv, &mut sn, BUSY), BUSY);
        assert_eq!(srv.core.client_count(), 3);
        // PING twice, EXEC and CLIENT ID from A, PING from N (SHUTDOWN fails, no rejection).
        assert_eq!(srv.core.stats().rejected_calls, rejected + 5);

        // R was neither read, run, written nor closed.
        assert_eq!(srv.core.running, Some(r));
        let conn = srv.core.conn(r).expect("open");
        assert!(conn.running && conn.s.rbuf.is_empty() && conn.s.wbuf.is_empty());
        assert!(s.rbuf.is_empty() && s.wbuf == b"+done\r\n");
        assert!(srv.core.pending_reads.contains(&r) && srv.core.pending_writes.contains(&r));
        assert!(silent(&mut sr));
        assert_eq!(srv.core.shutdown_requested(), None);

        // The command ends: its reply goes out, then its pending input runs.
        srv.core.set_busy(None);
        srv.core.end_running(r.key, s, outer);
        assert_eq!(srv.core.running, None);
        assert_eq!(
            tick_until(&mut srv, &mut sr, "+PONG\r\n"),
            "+done\r\n+PONG\r\n"
        );

        // SHUTDOWN NOSAVE is allowed while busy.
        srv.core.set_busy(Some(Busy::Function));
        sa.write_all(b"PING\r\nSHUTDOWN\r\nSHUTDOWN NOSAVE\r\n")
            .expect("write");
        let f = "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
        assert_eq!(tick_until(&mut srv, &mut sa, &f.repeat(2)), f.repeat(2));
        for _ in 0..1000 {
            if srv.core.shutdown_requested().is_some() {
                break;
            }
            process_events_while_blocked(&mut srv.store, &mut srv.core);
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(srv.core.shutdown_requested().is_some_and(|s| s.nosave));
    }

    #[test]
    fn closing_the_running_client_waits_for_its_command() {
        let mut srv = server();
        let (mut sr, r) = open(&mut srv);
        let (mut sa, _a) = open(&mut srv);
        let (mut s, outer) = srv.core.begin_running(r.key).expect("open");
        // Not busy here, so CLIENT KILL runs: it names R by id although R's slab entry
        // holds an empty session.
        sa.write_all(format!("CLIENT KILL ID {}\r\n", r.id).as_bytes())
            .expect("write");
        assert_eq!(tick_until(&mut srv, &mut sa, ":1\r\n"), ":1\r\n");
        // An error closing it is deferred the same way.
        srv.lp().close_conn(r.key);
        process_events_while_blocked(&mut srv.store, &mut srv.core);
        let conn = srv.core.conn(r).expect("still open");
        assert!(conn.running && !conn.s.client.close_asap);
        assert_eq!(srv.core.deferred_close, vec![r]);

        // When its command ends it is closed, without its reply, as Redis's CLOSE_ASAP.
        s.wbuf.extend_from_slice(b"+done\r\n");
        srv.core.end_running(r.key, s, outer);
        process_events_while_blocked(&mut srv.store, &mut srv.core);
        assert!(srv.core.conn(r).is_none() && srv.core.deferred_close.is_empty());
        sr.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut rest = Vec::new();
        assert_eq!(sr.read_to_end(&mut rest).ok(), Some(0));
    }

    #[test]
    fn a_nested_run_restores_the_running_client_and_pipelined_input_stops_at_a_kill() {
        let mut srv = server();
        let (_sr, r) = open(&mut srv);
        let (mut sa, a) = open(&mut srv);
        // R is running; A runs a command inside it (the tick), which is running meanwhile.
        let (s_r, outer_r) = srv.core.begin_running(r.key).expect("open");
        let (s_a, outer_a) = srv.core.begin_running(a.key).expect("open");
        assert_eq!((outer_r, outer_a), (None, Some(r)));
        assert!(srv.core.begin_running(a.key).is_none());
        srv.core.end_running(a.key, s_a, outer_a);
        assert_eq!(srv.core.running, Some(r));
        srv.core.end_running(r.key, s_r, outer_r);
        assert_eq!(srv.core.running, None);

        // A kill that lands while a pipelined batch runs stops the rest of it.
        sa.write_all(b"PING\r\n").expect("write");
        tick_until(&mut srv, &mut sa, "+PONG\r\n");
        srv.core.deferred_close.push(a);
        sa.write_all(b"SET k v\r\nSET k2 v\r\n").expect("write");
        for _ in 0..200 {
            process_events_while_blocked(&mut srv.store, &mut srv.core);
            if srv.core.conn(a).is_none() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(srv.core.conn(a).is_none());
        assert_eq!(srv.store.dbs()[0].len(), 1, "only the first SET ran");
    }
}
