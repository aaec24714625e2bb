//! What carries a connection's bytes: a plain TCP socket now, TLS later.
//!
//! Every read and write of a connection goes through here, so a transport can
//! be put under the state machine without touching it. A TLS transport will
//! hold its record buffers here (fixed, allocated per slot at start-up) and
//! answer `sendfile` with `Unsupported`, which sends file bodies through the
//! bounded read/send path (`conn.rs`); its handshake may need to read while
//! the connection wants to write, which `interest` will then report.

use crate::io::{self, Io, Segment, Sendfile};
use std::fs::File;
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};

/// The byte stream under one connection.
pub enum Transport {
    /// A TCP socket, nonblocking.
    Plain(TcpStream),
}

impl Transport {
    /// The descriptor poll(2) watches.
    pub fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Transport::Plain(s) => s.as_fd(),
        }
    }

    /// Receives into `buf` (`Closed` on end of stream).
    pub fn recv(&self, buf: &mut [u8]) -> Io {
        match self {
            Transport::Plain(s) => io::recv(s.as_fd(), buf),
        }
    }

    /// Sends from `buf`.
    pub fn send(&self, buf: &[u8], segment: Segment) -> Io {
        match self {
            Transport::Plain(s) => io::send(s.as_fd(), buf, segment),
        }
    }

    /// Moves file bytes from `offset` straight to the peer, advancing `offset`.
    pub fn sendfile(&self, file: &File, offset: &mut u64, count: usize) -> Sendfile {
        match self {
            Transport::Plain(s) => io::sendfile(s.as_fd(), file.as_fd(), offset, count),
        }
    }

    /// Ends the sending direction after a last response (RFC 9112 §9.6), so
    /// the peer sees the end while its remaining input is still drained.
    pub fn shutdown_write(&self) {
        match self {
            Transport::Plain(s) => {
                let _ = s.shutdown(Shutdown::Write);
            }
        }
    }
}
