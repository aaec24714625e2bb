//! Thin wrappers over recv / send / sendfile / pread that answer in the three
//! ways the state machine cares about. They keep no state.

use nix::errno::Errno;
use nix::sys::socket::{MsgFlags, recv as nix_recv, send as nix_send};
use std::fs::File;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::fs::FileExt;

/// The outcome of one nonblocking transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Io {
    /// `n` bytes moved (never 0 for sends; for recv, 0 becomes `Closed`).
    Done(usize),
    /// Nothing can move now; wait for poll.
    WouldBlock,
    /// The peer is gone (EOF, reset, broken pipe) or the socket failed.
    Closed,
}

fn classify(r: nix::Result<usize>) -> Option<Io> {
    match r {
        Ok(n) => Some(Io::Done(n)),
        Err(Errno::EINTR) => None,
        Err(Errno::EAGAIN) => Some(Io::WouldBlock),
        Err(_) => Some(Io::Closed),
    }
}

/// Receives into `buf`; EOF is `Closed`.
pub fn recv(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Io {
    loop {
        match classify(nix_recv(sock.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT)) {
            Some(Io::Done(0)) => return Io::Closed,
            Some(io) => return io,
            None => continue,
        }
    }
}

/// Whether more bytes of the same response follow a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A body follows (MSG_MORE): a head and the first body bytes leave in one
    /// TCP segment instead of a small one for the head.
    More,
    /// The last bytes of the response: push them out now.
    Last,
}

/// Sends `buf`. MSG_NOSIGNAL: a gone peer is an error value, not SIGPIPE.
pub fn send(sock: BorrowedFd<'_>, buf: &[u8], segment: Segment) -> Io {
    let mut flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
    if segment == Segment::More {
        // nix has no name for MSG_MORE; the bit is Linux's.
        flags |= MsgFlags::from_bits_retain(nix::libc::MSG_MORE);
    }
    loop {
        if let Some(io) = classify(nix_send(sock.as_raw_fd(), buf, flags)) {
            return io;
        }
    }
}

/// The outcome of one sendfile call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sendfile {
    /// Like `Io`; `Done(0)` means the file ended early (it shrank).
    Io(Io),
    /// sendfile cannot move this file (EINVAL/ENOSYS): use the read/send fallback.
    Unsupported,
}

/// sendfile(2) with a 64-bit offset, so 32-bit boards serve files past 2 GiB.
/// The kernel advances `offset` by the bytes sent.
pub fn sendfile(sock: BorrowedFd<'_>, file: BorrowedFd<'_>, offset: &mut u64, count: usize) -> Sendfile {
    loop {
        let mut off = match i64::try_from(*offset) {
            Ok(o) => o,
            Err(_) => return Sendfile::Unsupported,
        };
        let r = nix::sys::sendfile::sendfile64(sock, file, Some(&mut off), count);
        // off is never negative after a successful call.
        *offset = u64::try_from(off).unwrap_or(*offset);
        match r {
            Err(Errno::EINVAL | Errno::ENOSYS | Errno::EOVERFLOW) => return Sendfile::Unsupported,
            Ok(n) => return Sendfile::Io(Io::Done(n)),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Sendfile::Io(Io::WouldBlock),
            Err(_) => return Sendfile::Io(Io::Closed),
        }
    }
}

/// Reads at a 64-bit offset (std uses pread64 where off_t is 32-bit);
/// `Done(0)` is end of file, `Closed` a read error.
pub fn pread(file: &File, buf: &mut [u8], offset: u64) -> Io {
    loop {
        match file.read_at(buf, offset) {
            Ok(n) => return Io::Done(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Io::WouldBlock,
            Err(_) => return Io::Closed,
        }
    }
}
