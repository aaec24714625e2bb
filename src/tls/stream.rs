//! One TLS connection seen as a byte stream: the state machine above reads
//! and writes plaintext through `recv` and `send` exactly as over TCP, and
//! this module turns them into records with rustls's unbuffered (sans-IO)
//! API over one fixed buffer per connection.
//!
//! The buffer has three parts, sized in `limits.rs`:
//! - **in** (`TLS_IN_CAP`): ciphertext received. rustls is shown only a prefix
//!   of whole records (`exposed`), one more record each time it needs input
//!   and the plaintext part is empty, so it never decrypts more than one
//!   record (≤ 16 KiB) ahead of the reader: without that, a client pipelining
//!   records would leave rustls holding plaintext that must be taken before it
//!   lets anything be written (its `ReadTraffic` comes before `WriteTraffic`).
//! - **plain** (`TLS_PLAIN_CAP`): one decrypted record waiting for `recv`.
//! - **out** (`TLS_OUT_CAP`): ciphertext waiting for the socket, a queue. rustls
//!   runs only when it is empty, because a handshake record it hands over
//!   (`EncodeTlsData`) is lost if it does not fit; an empty queue holds any one
//!   record (rustls hands a flight over a record at a time, and a long
//!   certificate chain is several records) and a full application-data record.
//!
//! What the loop must know: `wants_write` (ciphertext is queued: poll for
//! POLLOUT too, whatever the state waits for) and `has_input` (plaintext is
//! ready without the socket: do not wait for poll).

use crate::io::{self, Io, Segment};
use crate::limits::{TLS_IN_CAP, TLS_PLAIN_CAP};
use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{ConnectionState, UnbufferedStatus};
use std::net::{Shutdown, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};

/// Largest plaintext encrypted per `send`: one full record (RFC 8446 §5.1).
const SEND_PLAIN_MAX: usize = 16384;
/// Largest record body accepted: TLS 1.2's ciphertext limit (RFC 5246 §6.2.3),
/// which is above TLS 1.3's 2^14 + 256 (RFC 8446 §5.2).
const MAX_RECORD_BODY: usize = 16384 + 2048;
const RECORD_HEADER: usize = 5;
/// rustls calls in one step before it is given up on as a loop (a step
/// handles at most a handful of states: encode, transmit, read, write).
const MAX_STATES_PER_STEP: usize = 64;

/// One TLS connection over a nonblocking TCP socket.
pub struct TlsStream {
    sock: TcpStream,
    conn: UnbufferedServerConnection,
    /// `TLS_BUF_LEN` bytes: in | plain | out.
    buf: Box<[u8]>,
    /// Ciphertext bytes held in `in`, and how many of them rustls may see.
    in_len: usize,
    exposed: usize,
    plain: (usize, usize),
    out: (usize, usize),
    /// rustls said the peer sent close_notify: no more plaintext comes.
    peer_closed: bool,
    /// A close was asked for (`shutdown_write`); close_notify is queued once
    /// the out queue is empty, and the TCP write side shut once it is sent.
    want_close: bool,
    close_queued: bool,
    tcp_shut: bool,
    /// rustls reported an error: the connection is over.
    failed: bool,
    established: bool,
}

/// What the state machine asks of rustls in one step.
#[derive(Clone, Copy)]
enum Goal<'a> {
    Read,
    Write(&'a [u8]),
    Close,
}

/// Where a step left off.
enum Progress {
    /// rustls can go on at once.
    Again,
    /// rustls needs more ciphertext from the peer.
    NeedInput,
    /// `n` bytes of plaintext were encrypted into the out queue.
    Sent(usize),
    /// close_notify is queued.
    CloseQueued,
    /// Nothing more will happen on this connection.
    Over,
}

impl TlsStream {
    /// A connection just accepted, with the buffer lent for its life.
    pub fn new(sock: TcpStream, conn: UnbufferedServerConnection, buf: Box<[u8]>) -> TlsStream {
        TlsStream {
            sock,
            conn,
            buf,
            in_len: 0,
            exposed: 0,
            plain: (0, 0),
            out: (0, 0),
            peer_closed: false,
            want_close: false,
            close_queued: false,
            tcp_shut: false,
            failed: false,
            established: false,
        }
    }

    /// Gives the buffer back (the connection ends).
    pub fn into_buf(self) -> Box<[u8]> {
        self.buf
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// The handshake has not finished yet.
    pub fn is_handshaking(&self) -> bool {
        !self.established && !self.failed
    }

    /// Ciphertext is waiting for the socket.
    pub fn wants_write(&self) -> bool {
        self.out.0 < self.out.1
    }

    /// `recv` would make progress without waiting for the socket: plaintext
    /// is held, or a whole record is waiting (and nothing queued blocks it).
    pub fn has_input(&self) -> bool {
        if self.failed || self.close_queued {
            return false;
        }
        self.plain.0 < self.plain.1 || (!self.wants_write() && !self.peer_closed && self.next_record().is_some())
    }

    /// Receives plaintext into `buf` (`Closed` at the peer's close_notify or
    /// end of stream, and on any TLS error, after its alert).
    pub fn recv(&mut self, buf: &mut [u8]) -> Io {
        if self.close_queued {
            return self.drop_input();
        }
        loop {
            if self.plain.0 < self.plain.1 {
                let (start, end) = self.plain;
                let n = (end - start).min(buf.len());
                let from = TLS_IN_CAP + start;
                buf[..n].copy_from_slice(&self.buf[from..from + n]);
                self.plain = if start + n == end { (0, 0) } else { (start + n, end) };
                return Io::Done(n);
            }
            if let Some(io) = self.blocked_on_output() {
                return io;
            }
            match self.step(Goal::Read) {
                Progress::Again | Progress::Sent(_) | Progress::CloseQueued => {}
                Progress::Over => return Io::Closed,
                Progress::NeedInput => {
                    if self.peer_closed {
                        return Io::Closed;
                    }
                    if let Some(len) = self.next_record() {
                        self.exposed += len;
                        continue;
                    }
                    if self.in_len == TLS_IN_CAP {
                        // Any one record fits; a full buffer is a handshake message
                        // that rustls is still joining from many small records (it
                        // keeps their bytes until the message is whole): a client
                        // that splits its ClientHello into more than ~18 KiB of them.
                        return self.fail("a fragmented handshake message larger than the input buffer");
                    }
                    match io::recv(self.sock.as_fd(), &mut self.buf[self.in_len..TLS_IN_CAP]) {
                        Io::Done(n) => self.in_len += n,
                        other => return other,
                    }
                }
            }
        }
    }

    /// After our close_notify (the connection drains): what the peer still sends
    /// is read and dropped, never shown to rustls, which counts close_notify as
    /// its one fatal alert and asserts it never sends another (a bad record now
    /// would make it try: a panic in builds with debug assertions, found by the
    /// tls_records fuzz target). `Done(0)`: bytes were dropped.
    fn drop_input(&mut self) -> Io {
        self.plain = (0, 0);
        self.in_len = 0;
        self.exposed = 0;
        match io::recv(self.sock.as_fd(), &mut self.buf[..TLS_IN_CAP]) {
            Io::Done(_) => Io::Done(0),
            other => other,
        }
    }

    /// Encrypts up to one record of `buf` and queues it; `Done(n)` counts
    /// plaintext bytes taken. Queued ciphertext goes out first.
    pub fn send(&mut self, buf: &[u8], segment: Segment) -> Io {
        if buf.is_empty() {
            return Io::Done(0);
        }
        for _ in 0..MAX_STATES_PER_STEP {
            if let Some(io) = self.blocked_on_output() {
                return io;
            }
            match self.step(Goal::Write(buf)) {
                Progress::Sent(n) => {
                    return match self.flush_segment(segment) {
                        Io::Closed => Io::Closed,
                        Io::Done(_) | Io::WouldBlock => Io::Done(n),
                    };
                }
                Progress::Again | Progress::CloseQueued => {}
                // Nothing is sent before a request was read, so before the
                // handshake ended; and nothing after a close.
                Progress::NeedInput | Progress::Over => return Io::Closed,
            }
        }
        self.fail("rustls did not settle")
    }

    /// Sends queued ciphertext: `Done(0)` when the queue is empty.
    pub fn flush(&mut self) -> Io {
        self.flush_segment(Segment::Last)
    }

    /// Ends the sending direction after a last response: close_notify, then
    /// the TCP write side (RFC 8446 §6.1), as soon as the queue before it is out.
    pub fn shutdown_write(&mut self) {
        self.want_close = true;
        let _ = self.flush();
    }

    /// `Some` while queued ciphertext keeps rustls from running.
    fn blocked_on_output(&mut self) -> Option<Io> {
        if self.failed {
            return Some(Io::Closed);
        }
        match self.flush() {
            Io::Done(_) => None,
            other => Some(other),
        }
    }

    fn flush_segment(&mut self, segment: Segment) -> Io {
        for _ in 0..MAX_STATES_PER_STEP {
            let (start, end) = self.out;
            if start < end {
                let from = TLS_IN_CAP + TLS_PLAIN_CAP;
                match io::send(self.sock.as_fd(), &self.buf[from + start..from + end], segment) {
                    Io::Done(n) => self.out.0 += n,
                    other => return other,
                }
                continue;
            }
            self.out = (0, 0);
            if self.want_close && !self.close_queued && !self.failed {
                match self.step(Goal::Close) {
                    // close_notify, or a message rustls had pending, is queued: send it.
                    Progress::CloseQueued | Progress::Again => continue,
                    // Mid-handshake, or over: no close_notify, TCP only.
                    Progress::NeedInput | Progress::Over | Progress::Sent(_) => self.close_queued = true,
                }
            }
            if self.close_queued && !self.tcp_shut {
                self.tcp_shut = true;
                let _ = self.sock.shutdown(Shutdown::Write);
            }
            return Io::Done(0);
        }
        self.fail("rustls did not settle")
    }

    /// The length of the next whole record after the exposed ones, if it is
    /// all here. Bytes that are no record header are exposed whole, so that
    /// rustls rejects them (with an alert) instead of waiting for more.
    fn next_record(&self) -> Option<usize> {
        let rest = &self.buf[self.exposed..self.in_len];
        if rest.is_empty() {
            return None;
        }
        if rest.len() < RECORD_HEADER {
            let plausible = (20..=24).contains(&rest[0]) && rest.get(1).is_none_or(|&major| major == 3);
            return if plausible { None } else { Some(rest.len()) };
        }
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if !(20..=24).contains(&rest[0]) || rest[1] != 3 || len > MAX_RECORD_BODY {
            return Some(rest.len());
        }
        (rest.len() >= RECORD_HEADER + len).then_some(RECORD_HEADER + len)
    }

    /// One call into rustls with the exposed records, and what its state asks.
    /// The out queue is empty when this runs (`blocked_on_output`).
    fn step(&mut self, goal: Goal<'_>) -> Progress {
        let (incoming, rest) = self.buf.split_at_mut(TLS_IN_CAP);
        let (plain, out) = rest.split_at_mut(TLS_PLAIN_CAP);
        let UnbufferedStatus { mut discard, state } = self.conn.process_tls_records(&mut incoming[..self.exposed]);
        let progress = match state {
            Err(e) => {
                log::debug!("tls: {e}");
                Err(())
            }
            Ok(ConnectionState::EncodeTlsData(mut s)) => match s.encode(&mut out[self.out.1..]) {
                Ok(n) => {
                    self.out.1 += n;
                    Ok(Progress::Again)
                }
                // Cannot happen: the queue is empty and holds any one record.
                Err(e) => {
                    log::warn!("tls: handshake message does not fit the output buffer: {e:?}");
                    Err(())
                }
            },
            Ok(ConnectionState::TransmitTlsData(s)) => {
                // The encoded bytes are ours now (the queue); sent by the caller.
                s.done();
                Ok(Progress::Again)
            }
            Ok(ConnectionState::BlockedHandshake) => Ok(Progress::NeedInput),
            Ok(ConnectionState::ReadTraffic(mut r)) => {
                let mut result = Ok(Progress::Again);
                while let Some(record) = r.next_record() {
                    let Ok(record) = record else {
                        result = Err(());
                        break;
                    };
                    discard += record.discard;
                    let (_, end) = self.plain;
                    let n = record.payload.len();
                    // One record at most is exposed while plain is empty.
                    if end + n > TLS_PLAIN_CAP {
                        log::debug!("tls: plaintext beyond its buffer");
                        result = Err(());
                        break;
                    }
                    plain[end..end + n].copy_from_slice(record.payload);
                    self.plain.1 = end + n;
                }
                result
            }
            Ok(ConnectionState::WriteTraffic(mut w)) => {
                if !self.established {
                    self.established = true;
                    ack_now(&self.sock);
                }
                match goal {
                    Goal::Read => Ok(Progress::NeedInput),
                    Goal::Write(data) => {
                        let n = data.len().min(SEND_PLAIN_MAX);
                        match w.encrypt(&data[..n], &mut out[self.out.1..]) {
                            Ok(k) => {
                                self.out.1 += k;
                                Ok(Progress::Sent(n))
                            }
                            Err(e) => {
                                log::debug!("tls: encrypt: {e:?}");
                                Err(())
                            }
                        }
                    }
                    Goal::Close => match w.queue_close_notify(&mut out[self.out.1..]) {
                        Ok(k) => {
                            self.out.1 += k;
                            self.close_queued = true;
                            Ok(Progress::CloseQueued)
                        }
                        Err(_) => Err(()),
                    },
                }
            }
            Ok(ConnectionState::PeerClosed) => {
                self.peer_closed = true;
                Ok(Progress::Again)
            }
            Ok(ConnectionState::Closed) => Ok(Progress::Over),
            // Early data is off; anything new is not understood.
            Ok(_) => Err(()),
        };
        if discard > 0 {
            // rustls is done with these bytes: drop them from the front.
            self.buf.copy_within(discard..self.in_len, 0);
            self.in_len -= discard;
            self.exposed -= discard;
        }
        match (progress, goal) {
            (Ok(p), _) => p,
            // A close wanted mid-handshake: no close_notify, TCP only.
            (Err(()), Goal::Close) if !self.established => Progress::Over,
            (Err(()), _) => {
                self.alert();
                Progress::Over
            }
        }
    }

    /// rustls failed: send the alert it queued (best effort), and stop.
    /// rustls is called once more, never twice: the alert is the first thing
    /// it hands over (queued records always go out before input is read), and
    /// a second call would read the bad input again and trip its assertion
    /// that one fatal alert is sent (a panic, which aborts the server).
    fn alert(&mut self) {
        self.failed = true;
        let (incoming, rest) = self.buf.split_at_mut(TLS_IN_CAP);
        let out = &mut rest[TLS_PLAIN_CAP..];
        let UnbufferedStatus { state, .. } = self.conn.process_tls_records(&mut incoming[..self.exposed]);
        if let Ok(ConnectionState::EncodeTlsData(mut s)) = state {
            if let Ok(n) = s.encode(&mut out[self.out.1..]) {
                self.out.1 += n;
            }
        }
        // What the socket takes now; the rest is dropped with the connection.
        let _ = self.flush();
        self.out = (0, 0);
        let _ = self.sock.shutdown(Shutdown::Write);
    }

    fn fail(&mut self, why: &str) -> Io {
        log::debug!("tls: {why}");
        self.failed = true;
        Io::Closed
    }
}

/// The handshake just ended on the client's Finished: acknowledge it now. A TLS
/// 1.3 server sends nothing after it (no tickets here), so the kernel would
/// delay the ACK (~40 ms), and a client without TCP_NODELAY holds its request
/// back until it comes (Nagle): measured 42 ms before the first response where
/// lighttpd and nginx, which send a ticket, took 0.2 ms. TCP_QUICKACK sends a
/// pending ACK at once (Linux; it is not sticky, nothing else changes).
fn ack_now(sock: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: nix::libc::c_int = 1;
    // SAFETY: a valid socket descriptor, and a pointer to a c_int with its size.
    let _ = unsafe {
        nix::libc::setsockopt(
            sock.as_raw_fd(),
            nix::libc::IPPROTO_TCP,
            nix::libc::TCP_QUICKACK,
            (&on as *const nix::libc::c_int).cast(),
            std::mem::size_of::<nix::libc::c_int>() as nix::libc::socklen_t,
        )
    };
}
