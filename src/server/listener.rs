//! Listening sockets and new connections: binding with the configured backlog, accepting
//! (maxclients, protected mode), and the socket options set on each side.

use super::client::Client;
use super::conn::Conn;
use super::Server;
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Token};
use std::io::{self, Write};
use std::net::SocketAddr;

impl Server {
    pub(super) fn accept(&mut self, idx: usize) {
        loop {
            let (sock, addr) = match self.listeners[idx].accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            };
            self.core.stats.total_connections_received += 1;
            let _ = sock.set_nodelay(true);
            if self.core.config.tcp_keepalive > 0 {
                set_keepalive(&sock, self.core.config.tcp_keepalive);
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
            let mut conn = Conn::new(sock, client);
            if let Err(e) =
                self.poll
                    .registry()
                    .register(&mut conn.sock, Token(token), Interest::READABLE)
            {
                log::warn!("Error registering fd event for the new client: {e}");
                continue;
            }
            entry.insert(conn);
            // Data may already be waiting; edge-triggered polling would not tell us again.
            self.core.pending_reads.push(token);
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

pub(super) fn bind_listener(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let domain = if addr.is_ipv6() {
        libc::AF_INET6
    } else {
        libc::AF_INET
    };
    // std's bind uses a fixed backlog; build the socket by hand to honour tcp-backlog and
    // to keep IPv6 listeners IPv6-only (so "127.0.0.1 ::1" binds both).
    let std_listener = unsafe {
        let fd = libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        use std::os::fd::FromRawFd;
        let listener = std::net::TcpListener::from_raw_fd(fd);
        let one: libc::c_int = 1;
        let optp = &one as *const libc::c_int as *const libc::c_void;
        let optl = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, optp, optl);
        if addr.is_ipv6() {
            libc::setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, optp, optl);
        }
        let (storage, len) = sockaddr_of(&addr);
        if libc::bind(fd, &storage as *const _ as *const libc::sockaddr, len) < 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::listen(fd, backlog as libc::c_int) < 0 {
            return Err(io::Error::last_os_error());
        }
        listener
    };
    std_listener.set_nonblocking(true)?;
    Ok(TcpListener::from_std(std_listener))
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

fn set_keepalive(sock: &TcpStream, secs: u64) {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    let set = |level, opt, val: libc::c_int| {
        // SAFETY: setsockopt with a valid fd and an int option.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                opt,
                &val as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    };
    let secs = secs.min(i32::MAX as u64) as libc::c_int;
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (secs / 3).max(1));
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}
