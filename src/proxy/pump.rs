//! The bytes of one proxied exchange, moved through its channel's buffer
//! with backpressure: a side is read only when the buffer is empty, and
//! only as much as the other side has taken. Nothing is ever buffered past
//! `PROXY_BUF`, whatever the body size or the peers' speeds.
//!
//! `Forward`: the rewritten request head and the held body bytes, then the
//! rest of the body from the client, to the backend; then the backend's
//! response head, read into the first half of the buffer. `Relay`: the
//! rewritten head (second half), the body bytes that came with the head,
//! then the rest of the body, checked against its framing, to the client.

use super::chunked::ChunkScanner;
use super::head::{self, Framing, ResponseHead};
use crate::error::HttpError;
use crate::io::{self, Io, Segment};
use crate::request::Version;
use crate::transport::Transport;
use std::net::TcpStream;
use std::os::fd::AsFd;

/// Which socket a proxied exchange waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Backend,
}

/// What poll must report on that side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    Read,
    Write,
}

/// The outcome of a `Forward` step.
#[derive(Debug, PartialEq, Eq)]
pub enum Forwarded {
    Wait(Side, Want),
    /// The backend's response head is in the buffer's first half: `got`
    /// bytes were read, the head and then body bytes. `body_unread`: the
    /// backend answered before the whole request body was sent (it closed
    /// its side), so the client's connection cannot be reused.
    Answered {
        head: ResponseHead,
        got: usize,
        body_unread: bool,
    },
    /// Answer the client with this error instead (502).
    Failed(HttpError),
    /// The client went away.
    ClientGone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `buf[sent..fill]` goes to the backend; then `body_left` more bytes
    /// come from the client.
    Sending,
    /// Reading the response head; `got` bytes so far.
    Awaiting,
}

/// The request's way to the backend, and the wait for its answer.
#[derive(Debug)]
pub struct Forward {
    phase: Phase,
    fill: usize,
    sent: usize,
    body_left: u64,
    got: usize,
    /// Anything reached the backend (else a failed send is a refused connect).
    sent_any: bool,
    head_request: bool,
    version: Version,
}

impl Forward {
    /// `fill`: bytes already in the buffer (head and held body bytes);
    /// `body_left`: body bytes still to come from the client.
    pub fn new(fill: usize, body_left: u64, head_request: bool, version: Version) -> Forward {
        Forward {
            phase: Phase::Sending,
            fill,
            sent: 0,
            body_left,
            got: 0,
            sent_any: false,
            head_request,
            version,
        }
    }

    /// Whether the exchange is waiting on the backend (a deadline then
    /// means 504), rather than on the client's body.
    pub fn waits_for_backend(&self, wait: Side) -> bool {
        wait == Side::Backend
    }

    pub fn step(&mut self, client: &mut Transport, backend: &TcpStream, buf: &mut [u8]) -> Forwarded {
        loop {
            match self.phase {
                Phase::Sending if self.sent < self.fill => {
                    match io::send(backend.as_fd(), &buf[self.sent..self.fill], Segment::Last) {
                        Io::Done(n) => {
                            self.sent += n;
                            self.sent_any = true;
                        }
                        Io::WouldBlock => return Forwarded::Wait(Side::Backend, Want::Write),
                        // Refused (connect failed), or the backend closed early:
                        // it may have answered already (a 413 of its own, say).
                        Io::Closed if !self.sent_any => return Forwarded::Failed(HttpError::BadGateway),
                        Io::Closed => self.phase = Phase::Awaiting,
                    }
                }
                Phase::Sending if self.body_left > 0 => {
                    let want = usize::try_from(self.body_left).unwrap_or(usize::MAX).min(buf.len());
                    match client.recv(&mut buf[..want]) {
                        Io::Done(n) => {
                            self.body_left -= n as u64;
                            self.fill = n;
                            self.sent = 0;
                        }
                        Io::WouldBlock => return Forwarded::Wait(Side::Client, Want::Read),
                        Io::Closed => return Forwarded::ClientGone,
                    }
                }
                Phase::Sending => self.phase = Phase::Awaiting,
                Phase::Awaiting => return self.await_head(backend, buf),
            }
        }
    }

    fn await_head(&mut self, backend: &TcpStream, buf: &mut [u8]) -> Forwarded {
        let region = buf.len() / 2;
        loop {
            match io::recv(backend.as_fd(), &mut buf[self.got..region]) {
                Io::Done(n) => self.got += n,
                Io::WouldBlock => return Forwarded::Wait(Side::Backend, Want::Read),
                Io::Closed => return Forwarded::Failed(HttpError::BadGateway),
            }
            loop {
                match head::parse_response(&buf[..self.got], self.head_request, self.version) {
                    Err(_) => return Forwarded::Failed(HttpError::BadGateway),
                    Ok(None) if self.got == region => {
                        log::warn!("proxy: backend response head over {region} bytes");
                        return Forwarded::Failed(HttpError::BadGateway);
                    }
                    Ok(None) => break,
                    // Nothing was asked to switch protocols: a 101 cannot be relayed.
                    Ok(Some(h)) if h.status == 101 => return Forwarded::Failed(HttpError::BadGateway),
                    // Interim responses (100, 102, 103) are dropped; the final one follows.
                    Ok(Some(h)) if h.status < 200 => {
                        buf.copy_within(h.len..self.got, 0);
                        self.got -= h.len;
                    }
                    Ok(Some(head)) => {
                        return Forwarded::Answered {
                            head,
                            got: self.got,
                            body_unread: self.body_left > 0 || self.sent < self.fill,
                        };
                    }
                }
            }
        }
    }
}

/// The outcome of a `Relay` step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relayed {
    Wait(Side, Want),
    /// The whole response reached the client.
    Done,
    /// The response cannot be completed (the backend closed mid-body, or
    /// its chunked framing broke, or the client left): close the client
    /// connection, so a cut body is never taken for a whole one.
    Cut,
}

/// Where the response body stands.
#[derive(Clone, Copy, Debug)]
enum Body {
    Length(u64),
    Chunked(ChunkScanner),
    UntilClose,
    /// All of it is in the buffer or sent.
    Complete,
}

/// The response's way back to the client.
#[derive(Debug)]
pub struct Relay {
    /// `buf[start..end]` goes to the client next.
    start: usize,
    end: usize,
    /// After it: body bytes that came with the head (`buf[a..b]`).
    then: Option<(usize, usize)>,
    /// Bytes of the head still in `start..end` (not counted as body).
    head_left: usize,
    body: Body,
    /// Body bytes sent to the client, for the access log.
    pub body_sent: u64,
}

impl Relay {
    /// `head_at..head_end`: the rewritten head in the buffer's second half;
    /// `rest`: bytes read after the backend's head (`got` of them from
    /// `head.len`), checked against the framing here.
    pub fn new(
        buf: &[u8],
        head_at: usize,
        head_end: usize,
        head: &ResponseHead,
        got: usize,
    ) -> Result<Relay, HttpError> {
        let mut body = match head.framing {
            Framing::Empty => Body::Complete,
            Framing::Length(n) => Body::Length(n),
            Framing::Chunked => Body::Chunked(ChunkScanner::new()),
            Framing::UntilClose => Body::UntilClose,
        };
        let take = admit(&mut body, &buf[head.len..got]).map_err(|_| HttpError::BadGateway)?;
        Ok(Relay {
            start: head_at,
            end: head_end,
            then: (take > 0).then_some((head.len, head.len + take)),
            head_left: head_end - head_at,
            body,
            body_sent: 0,
        })
    }

    pub fn step(&mut self, client: &mut Transport, backend: &TcpStream, buf: &mut [u8]) -> Relayed {
        loop {
            if self.start < self.end {
                match client.send(&buf[self.start..self.end], Segment::Last) {
                    Io::Done(n) => {
                        self.start += n;
                        let head = n.min(self.head_left);
                        self.head_left -= head;
                        self.body_sent += (n - head) as u64;
                    }
                    Io::WouldBlock => return Relayed::Wait(Side::Client, Want::Write),
                    Io::Closed => return Relayed::Cut,
                }
                continue;
            }
            if let Some((a, b)) = self.then.take() {
                (self.start, self.end) = (a, b);
                continue;
            }
            let room = match self.body {
                Body::Complete => return Relayed::Done,
                Body::Length(0) => return Relayed::Done,
                Body::Chunked(s) if s.is_done() => return Relayed::Done,
                Body::Length(n) => usize::try_from(n).unwrap_or(usize::MAX).min(buf.len()),
                Body::Chunked(_) | Body::UntilClose => buf.len(),
            };
            match io::recv(backend.as_fd(), &mut buf[..room]) {
                Io::Done(n) => match admit(&mut self.body, &buf[..n]) {
                    Ok(take) => (self.start, self.end) = (0, take),
                    Err(()) => {
                        log::warn!("proxy: backend sent malformed chunked framing");
                        return Relayed::Cut;
                    }
                },
                Io::WouldBlock => return Relayed::Wait(Side::Backend, Want::Read),
                Io::Closed => {
                    return match self.body {
                        Body::UntilClose => Relayed::Done,
                        _ => Relayed::Cut,
                    };
                }
            }
        }
    }
}

/// How many of `bytes` (just read from the backend) belong to the body, and
/// the body's state after them; bytes past a complete body are dropped.
fn admit(body: &mut Body, bytes: &[u8]) -> Result<usize, ()> {
    match body {
        Body::Complete => Ok(0),
        Body::Length(left) => {
            let take = usize::try_from(*left).unwrap_or(usize::MAX).min(bytes.len());
            *left -= take as u64;
            Ok(take)
        }
        Body::Chunked(s) => s.feed(bytes).map_err(|_| ()),
        Body::UntilClose => Ok(bytes.len()),
    }
}
