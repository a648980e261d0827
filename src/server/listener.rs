//! Listening sockets and new connections: binding with the configured backlog, accepting
//! (maxclients, protected mode), and the socket options set on each side.

use super::client::Client;
use super::conn::Conn;
use super::event_loop::Lp;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Token};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

impl Lp<'_> {
    pub(super) fn accept(&mut self, idx: usize) {
        loop {
            let Some(listener) = self.core.io.listeners.get(idx) else {
                return;
            };
            let (sock, addr) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            };
            self.core.stats.total_connections_received += 1;
            if let Err(e) = sock.set_nodelay(true) {
                log::warn!("Warning: setsockopt TCP_NODELAY for client {addr}: {e}");
            }
            if self.core.config.tcp_keepalive > 0 {
                if let Err((name, e)) = set_keepalive(&sock, self.core.config.tcp_keepalive) {
                    log::warn!("Warning: setsockopt {name} for client {addr}: {e}");
                }
            }
            let laddr = sock.local_addr().map(|a| a.to_string()).unwrap_or_default();
            let mut client = Client {
                id: self.core.next_client_id,
                addr: addr.to_string(),
                laddr,
                authenticated: !self.core.auth_required(),
                ..Default::default()
            };
            self.core.next_client_id += 1;
            if self.core.conns.len() >= self.core.config.maxclients {
                self.core.stats.rejected_connections += 1;
                let mut s = sock;
                let _ = s.write_all(b"-ERR max number of clients reached\r\n");
                continue;
            }
            if let Some(msg) = self.protected_mode_denial(&addr) {
                let mut s = sock;
                let _ = s.write_all(msg.as_bytes());
                continue;
            }
            let entry = self.core.conns.vacant_entry();
            let token = entry.key();
            client.token = token;
            let me = client.cref();
            let mut conn = Conn::new(sock, client);
            let registered = match self.core.io.registry() {
                Some(r) => r.register(&mut conn.sock, Token(token), Interest::READABLE),
                None => Err(io::Error::other("no poll")),
            };
            if let Err(e) = registered {
                log::warn!("Error registering fd event for the new client: {e}");
                continue;
            }
            entry.insert(conn);
            // Data may already be waiting; edge-triggered polling would not tell us again.
            self.core.pending_reads.push(me);
        }
    }

    /// Redis's protected mode: with no password and the default bind, only loopback
    /// clients may connect.
    fn protected_mode_denial(&self, addr: &SocketAddr) -> Option<String> {
        let c = &self.core.config;
        if !c.protected_mode || c.requirepass.is_some() || addr.ip().is_loopback() {
            return None;
        }
        let default_bind = c
            .bind
            .iter()
            .all(|b| matches!(b.trim_start_matches('-'), "127.0.0.1" | "::1" | "localhost"));
        if default_bind {
            return None;
        }
        Some("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n".to_string())
    }
}

/// A listening socket on `addr` with the configured backlog.
///
/// std's bind uses a fixed backlog and neither std nor mio sets socket options before
/// bind, so the socket is built by hand: to honour tcp-backlog, and to keep IPv6 listeners
/// IPv6-only (so "127.0.0.1 ::1" binds both). A socket option that cannot be set is
/// logged with the OS error and the listener goes on without it.
pub(super) fn bind_listener(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // SAFETY: socket(2) takes no pointers and has no preconditions.
    let raw = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a descriptor socket(2) just created and nothing else owns; the
    // OwnedFd closes it on every early return below.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    if let Err(e) = set_int_option(fd.as_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1) {
        log::warn!("Warning: setsockopt SO_REUSEADDR on {addr}: {e}");
    }
    if addr.is_ipv6() {
        if let Err(e) = set_int_option(fd.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 1) {
            log::warn!("Warning: setsockopt IPV6_V6ONLY on {addr}: {e}");
        }
    }
    let (storage, len) = sockaddr_of(&addr);
    // SAFETY: `fd` is open; `storage` is a live sockaddr_in or sockaddr_in6 whose size is
    // exactly `len` (see sockaddr_of), and bind(2) reads it only during the call.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &storage as *const libc::sockaddr_storage as *const libc::sockaddr,
            len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: listen(2) takes no pointers; `fd` is an open, bound socket.
    if unsafe { libc::listen(fd.as_raw_fd(), backlog as libc::c_int) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let std_listener = std::net::TcpListener::from(fd);
    std_listener.set_nonblocking(true)?;
    Ok(TcpListener::from_std(std_listener))
}

/// setsockopt(2) for an option whose value is a C int; the OS error on failure.
fn set_int_option(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    option: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `fd` is a borrowed, hence open, descriptor. The value pointer is to a live
    // c_int on this stack frame and the length passed is exactly its size, so the kernel
    // reads only memory we own, and only during the call. For a wrong option or a
    // descriptor that is not a socket the call fails with an error, which we return.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            option,
            &value as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn sockaddr_of(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; zeroed is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            (
                storage,
                std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        }
    }
}

/// TCP keepalive as Redis sets it (anetKeepAlive): probes after `secs` idle, then every
/// `secs / 3` (at least 1), dropped after 3 unanswered. Returns the name of the option
/// that could not be set with the OS error.
fn set_keepalive(sock: &TcpStream, secs: u64) -> Result<(), (&'static str, io::Error)> {
    let fd = sock.as_fd();
    let secs = secs.min(i32::MAX as u64) as libc::c_int;
    let options = [
        ("SO_KEEPALIVE", libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        ("TCP_KEEPIDLE", libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs),
        (
            "TCP_KEEPINTVL",
            libc::IPPROTO_TCP,
            libc::TCP_KEEPINTVL,
            (secs / 3).max(1),
        ),
        ("TCP_KEEPCNT", libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ];
    for (name, level, option, value) in options {
        set_int_option(fd, level, option, value).map_err(|e| (name, e))?;
    }
    Ok(())
}
