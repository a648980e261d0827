//! Listening sockets and new connections: binding the `bind` addresses with the
//! configured backlog (at start-up, and again when CONFIG SET changes `port` or `bind`),
//! accepting (maxclients, protected mode), and the socket options set on each side.

use super::client::Client;
use super::conn::Conn;
use super::event_loop::{Lp, LISTENER_BASE};
use super::Core;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};
use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
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

/// Listens on every address of `bind` at `port`, as Redis's listenToPort: a leading `-`
/// marks an address that may be unavailable (EADDRNOTAVAIL skips it), an address family
/// the host lacks is skipped, any other failure fails the whole set (each failure is
/// logged as Redis does). `port` 0 lets the kernel pick one for the first address, and
/// the others use the same. An address one of `keep` already listens on (same address
/// and port) reuses that socket: the answer names it by its index in `keep`.
/// Returns the listeners in `bind` order and the port they are on, or the errno of the
/// failure; beside it the warnings to log (the caller logs them, or not when it tries
/// again).
pub(super) fn listen_to_port(
    bind: &[String],
    port: u16,
    backlog: u32,
    keep: &[Option<TcpListener>],
) -> (Listened, Vec<String>) {
    let mut warnings = Vec::new();
    let mut port = port;
    let mut out = Vec::new();
    for b in bind {
        let (optional, host) = match b.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, b.as_str()),
        };
        let result = resolve(host, port).and_then(|addr| {
            let reused = keep.iter().position(|l| {
                l.as_ref()
                    .and_then(|l| l.local_addr().ok())
                    .is_some_and(|a| a == addr)
            });
            match reused {
                Some(i) => Ok(Bound::Kept(i)),
                None => bind_listener(addr, backlog).map(Bound::New),
            }
        });
        match result {
            Ok(l) => {
                if port == 0 {
                    if let Bound::New(l) = &l {
                        port = l.local_addr().map(|a| a.port()).unwrap_or(0);
                    }
                }
                out.push(l);
            }
            Err((stage, e)) => {
                let errno = e.raw_os_error().unwrap_or(0);
                warnings.push(format!(
                    "Warning: Could not create server TCP listening socket {host}:{port}: {stage}: {}",
                    crate::persistence::strerror(errno)
                ));
                if errno == libc::EADDRNOTAVAIL && optional {
                    continue;
                }
                if matches!(
                    errno,
                    libc::ENOPROTOOPT
                        | libc::EPROTONOSUPPORT
                        | libc::ESOCKTNOSUPPORT
                        | libc::EPFNOSUPPORT
                        | libc::EAFNOSUPPORT
                ) {
                    continue;
                }
                return (Err(errno), warnings);
            }
        }
    }
    (Ok((out, port)), warnings)
}

/// What `listen_to_port` bound: the listeners and their port, or the failure's errno.
pub(super) type Listened = Result<(Vec<Bound>, u16), i32>;

/// A listener of a new set: one already open (its index in the old set) or a new one.
pub(super) enum Bound {
    Kept(usize),
    New(TcpListener),
}

/// The socket address of one `bind` entry (without its `-`): `*` and `::*` are the
/// wildcards, other names are looked up (the first IPv4 address, as Redis binds an
/// address without `:` as IPv4). The error is the failed step with its OS error.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, (&'static str, io::Error)> {
    let host = match host {
        "*" => "0.0.0.0",
        "::*" => "::",
        h => h,
    };
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let not_found = || {
        (
            "getaddrinfo",
            io::Error::from_raw_os_error(libc::EADDRNOTAVAIL),
        )
    };
    let v6 = host.contains(':');
    (host, port)
        .to_socket_addrs()
        .map_err(|_| not_found())?
        .find(|a| a.is_ipv6() == v6)
        .ok_or_else(not_found)
}

impl Core {
    /// Moves the listeners to the configured `bind` and `port` (CONFIG SET port / bind). The new set is
    /// bound before the old one closes, reusing the sockets of addresses that stay; when
    /// that fails because an old socket holds the port (a wildcard and a specific address),
    /// the old ones close first and come back if the new set still fails. Port 0 closes
    /// every listener, as in Redis. Connections stay. On failure the old listeners remain
    /// and the error was logged.
    pub(crate) fn rebind_listeners(&mut self) -> Result<(), ()> {
        let port = self.config.port;
        let bind = self.config.bind.clone();
        let backlog = self.config.tcp_backlog;
        let mut old: Vec<Option<TcpListener>> = std::mem::take(&mut self.io.listeners)
            .into_iter()
            .map(Some)
            .collect();
        if let Some(r) = self.io.registry() {
            for l in old.iter_mut().flatten() {
                let _ = r.deregister(l);
            }
        }
        let (wanted, warnings) = if port == 0 {
            (Ok((Vec::new(), 0)), Vec::new())
        } else {
            listen_to_port(&bind, port, backlog, &old)
        };
        let result = match wanted {
            Err(libc::EADDRINUSE) if old.iter().flatten().any(|l| same_port(l, port)) => {
                // An old socket may hold the address (a wildcard and a specific address on
                // one port): free the old set, then try again.
                let closed: Vec<String> = old
                    .iter_mut()
                    .filter_map(|l| {
                        let a = l.as_ref()?.local_addr().ok()?;
                        *l = None;
                        Some(a.to_string())
                    })
                    .collect();
                let (again, warnings) = listen_to_port(&bind, port, backlog, &old);
                warnings.iter().for_each(|w| log::warn!("{w}"));
                again.map_err(|_| closed)
            }
            r => {
                warnings.iter().for_each(|w| log::warn!("{w}"));
                r.map_err(|_| Vec::new())
            }
        };
        let listeners: Vec<TcpListener> = match result {
            Ok((set, bound_port)) => {
                self.port = bound_port;
                set.into_iter()
                    .filter_map(|b| match b {
                        Bound::Kept(i) => old.get_mut(i).and_then(Option::take),
                        Bound::New(l) => Some(l),
                    })
                    .collect()
            }
            Err(closed) => {
                // The old set, with the sockets closed for the second try opened again.
                let mut back: Vec<TcpListener> = old.into_iter().flatten().collect();
                for a in closed {
                    match a.parse::<SocketAddr>().map_err(|_| ("bind", io::Error::other(a.clone())))
                        .and_then(|addr| bind_listener(addr, backlog))
                    {
                        Ok(l) => back.push(l),
                        Err((stage, e)) => log::warn!(
                            "Warning: Could not create server TCP listening socket {a}: {stage}: {e}"
                        ),
                    }
                }
                self.io.listeners = back;
                self.register_listeners();
                return Err(());
            }
        };
        self.io.listeners = listeners;
        self.register_listeners();
        Ok(())
    }

    /// Registers every listener under its index's token. Registering (again) also reports
    /// a listener that already has connections waiting, which its old edge said before.
    pub(super) fn register_listeners(&mut self) {
        let Some(poll) = self.io.poll.as_ref() else {
            return;
        };
        register_all(poll.registry(), &mut self.io.listeners);
    }
}

/// Registers `listeners` for reading, each under `LISTENER_BASE` + its index.
pub(super) fn register_all(r: &Registry, listeners: &mut [TcpListener]) {
    for (i, l) in listeners.iter_mut().enumerate() {
        if let Err(e) = r.register(l, Token(LISTENER_BASE + i), Interest::READABLE) {
            log::warn!("Error registering fd event for the listening socket: {e}");
        }
    }
}

fn same_port(l: &TcpListener, port: u16) -> bool {
    l.local_addr().is_ok_and(|a| a.port() == port)
}

/// A listening socket on `addr` with the configured backlog.
///
/// std's bind uses a fixed backlog and neither std nor mio sets socket options before
/// bind, so the socket is built by hand: to honour tcp-backlog, and to keep IPv6 listeners
/// IPv6-only (so "127.0.0.1 ::1" binds both). A socket option that cannot be set is
/// logged with the OS error and the listener goes on without it.
/// The error names the step that failed (`socket`, `bind`, `listen`) with the OS error.
pub(super) fn bind_listener(
    addr: SocketAddr,
    backlog: u32,
) -> Result<TcpListener, (&'static str, io::Error)> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // SAFETY: socket(2) takes no pointers and has no preconditions.
    let raw = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(("socket", io::Error::last_os_error()));
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
        return Err(("bind", io::Error::last_os_error()));
    }
    // SAFETY: listen(2) takes no pointers; `fd` is an open, bound socket.
    if unsafe { libc::listen(fd.as_raw_fd(), backlog as libc::c_int) } < 0 {
        return Err(("listen", io::Error::last_os_error()));
    }
    let std_listener = std::net::TcpListener::from(fd);
    std_listener
        .set_nonblocking(true)
        .map_err(|e| ("fcntl", e))?;
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
