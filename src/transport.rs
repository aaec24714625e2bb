//! What carries a connection's bytes: a plain TCP socket, or TLS over one.
//!
//! Every read and write of a connection goes through here, so the state
//! machine is the same over both. TLS (`tls::TlsStream`, feature `tls`)
//! answers `sendfile` with `Unsupported`, which sends file bodies through the
//! bounded read/send path (`body.rs`); it may hold ciphertext the socket has
//! not taken yet (`wants_write`: poll for POLLOUT whatever the state waits
//! for) and plaintext already decrypted (`has_input`: do not wait for poll).

use crate::io::{self, Io, Segment, Sendfile};
use std::fs::File;
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};

/// The byte stream under one connection.
pub enum Transport {
    /// A TCP socket, nonblocking.
    Plain(TcpStream),
    /// TLS over a nonblocking TCP socket, with its fixed record buffers.
    #[cfg(feature = "tls")]
    Tls(Box<crate::tls::TlsStream>),
}

impl Transport {
    /// The descriptor poll(2) watches.
    pub fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Transport::Plain(s) => s.as_fd(),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.fd(),
        }
    }

    /// Receives into `buf` (`Closed` on end of stream).
    pub fn recv(&mut self, buf: &mut [u8]) -> Io {
        match self {
            Transport::Plain(s) => io::recv(s.as_fd(), buf),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.recv(buf),
        }
    }

    /// Sends from `buf`.
    pub fn send(&mut self, buf: &[u8], segment: Segment) -> Io {
        match self {
            Transport::Plain(s) => io::send(s.as_fd(), buf, segment),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.send(buf, segment),
        }
    }

    /// Moves file bytes from `offset` straight to the peer, advancing `offset`.
    pub fn sendfile(&mut self, file: &File, offset: &mut u64, count: usize) -> Sendfile {
        match self {
            Transport::Plain(s) => io::sendfile(s.as_fd(), file.as_fd(), offset, count),
            // The kernel cannot encrypt: file → buffer → rustls → socket.
            #[cfg(feature = "tls")]
            Transport::Tls(_) => Sendfile::Unsupported,
        }
    }

    /// Ends the sending direction after a last response (RFC 9112 §9.6), so
    /// the peer sees the end while its remaining input is still drained.
    pub fn shutdown_write(&mut self) {
        match self {
            Transport::Plain(s) => {
                let _ = s.shutdown(Shutdown::Write);
            }
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.shutdown_write(),
        }
    }

    /// Bytes are queued for the peer that the socket has not taken yet.
    pub fn wants_write(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.wants_write(),
        }
    }

    /// Sends what is queued: `Done(0)` when nothing is left.
    pub fn flush(&mut self) -> Io {
        match self {
            Transport::Plain(_) => Io::Done(0),
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.flush(),
        }
    }

    /// `recv` would return bytes without waiting for the socket.
    pub fn has_input(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.has_input(),
        }
    }

    /// Plain TCP (what `--redirect-https` sends to the TLS port).
    pub fn is_plain(&self) -> bool {
        matches!(self, Transport::Plain(_))
    }

    /// A TLS handshake is still under way (bounded by the header timeout).
    pub fn is_handshaking(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            #[cfg(feature = "tls")]
            Transport::Tls(t) => t.is_handshaking(),
        }
    }
}
