//! Listening sockets: bind, listen, nonblocking + close-on-exec, and accept
//! with a reserve descriptor so EMFILE cannot spin the loop. Knows no HTTP.

use crate::limits::LISTEN_BACKLOG;
use nix::sys::socket::{
    AddressFamily, Backlog, SockFlag, SockType, SockaddrStorage, bind as nix_bind, listen, setsockopt, socket, sockopt,
};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// Binds a nonblocking, close-on-exec listener. IPv6 sockets are v6-only, so
/// `[::]:80` and `0.0.0.0:80` can both be given; SO_REUSEADDR lets a restart
/// bind while old connections sit in TIME_WAIT.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )?;
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    if family == AddressFamily::Inet6 {
        setsockopt(&fd, sockopt::Ipv6V6Only, &true)?;
    }
    nix_bind(fd.as_raw_fd(), &SockaddrStorage::from(addr))?;
    let backlog = Backlog::new(LISTEN_BACKLOG).unwrap_or(Backlog::MAXCONN);
    listen(&fd, backlog)?;
    Ok(TcpListener::from(fd))
}

/// One descriptor held back so that, when the process runs out, a pending
/// connection can still be accepted and closed instead of waking poll forever.
pub struct Reserve {
    fd: Option<OwnedFd>,
}

/// What one accept attempt produced.
pub enum Accepted {
    /// A new nonblocking connection.
    Stream(TcpStream, IpAddr),
    /// Nothing pending.
    Empty,
    /// A transient failure (the peer left before accept): try the next one.
    Retry,
    /// Out of descriptors and the reserve is gone: stop accepting for a while.
    OutOfDescriptors,
}

impl Reserve {
    /// Takes the reserve by duplicating `like` (any open descriptor).
    pub fn new(like: &impl AsFd) -> Reserve {
        Reserve {
            fd: like.as_fd().try_clone_to_owned().ok(),
        }
    }

    /// Accepts one connection from `listener`.
    pub fn accept(&mut self, listener: &TcpListener) -> Accepted {
        if self.fd.is_none() {
            // Lost earlier (the process was out of descriptors): take it back as
            // soon as one is free, or EMFILE would only ever pause accepting.
            self.fd = listener.as_fd().try_clone_to_owned().ok();
        }
        match listener.accept() {
            Ok((stream, peer)) => {
                if stream.set_nonblocking(true).is_err() {
                    return Accepted::Retry;
                }
                // Heads go out with MSG_MORE and bodies with sendfile, so Nagle
                // only adds delayed-ACK stalls between keep-alive responses.
                let _ = stream.set_nodelay(true);
                Accepted::Stream(stream, peer.ip())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Accepted::Empty,
            Err(e) if matches!(e.raw_os_error(), Some(nix::libc::EMFILE | nix::libc::ENFILE)) => {
                // Free the reserve, take the pending connection and close it,
                // then take the reserve again (the client sees a close, not a hang).
                if self.fd.take().is_some() {
                    drop(listener.accept());
                    self.fd = listener.as_fd().try_clone_to_owned().ok();
                }
                if self.fd.is_none() {
                    return Accepted::OutOfDescriptors;
                }
                Accepted::Retry
            }
            Err(_) => Accepted::Retry,
        }
    }
}
