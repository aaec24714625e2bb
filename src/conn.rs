//! One connection: its state machine, from request bytes to response bytes.
//!
//! The loop (`server.rs`) calls `on_ready` when poll says the socket is ready;
//! each state has one function; after a transition the next step is tried at
//! once, until the socket would block. Buffers are lent by the server: every
//! connection has a small request-head buffer, a response-head buffer and a
//! copy of the request line for the access log; a head that outgrows the small
//! buffer borrows one of a few large ones, and gives it back as soon as its
//! response is planned (a slow download must not hold it).

use crate::access_log::AccessLog;
use crate::bufs::LargePool;
use crate::date::{DateCache, Millis};
use crate::error::HttpError;
use crate::filecache::{FileCache, Lookup, Source};
use crate::io::{self, Io, Sendfile};
use crate::limits::{LINGER_MS, MAX_REQUESTS_PER_CONNECTION, SEND_CHUNK};
use crate::path;
use crate::request::{self, Method, Parsed, Request};
use crate::response::{self, Common, Representation};
use crate::{encoding, mime};
use std::fs::File;
use std::net::{IpAddr, Shutdown, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};

/// Settings the connection code reads; fixed at start-up.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Slots in the connection table (≤ `limits::MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// File served for a directory path ending in `/`.
    pub index: Vec<u8>,
    /// `Cache-Control` value for file responses, if any.
    pub cache_control: Option<Vec<u8>>,
    pub idle_timeout_ms: Millis,
    pub header_timeout_ms: Millis,
    pub write_timeout_ms: Millis,
    /// Send bodies with sendfile(2); `false` uses the read/send fallback for
    /// every file (for file systems whose sendfile misbehaves).
    pub sendfile: bool,
}

/// What a connection uses that is shared by all: borrowed per call.
pub struct Shared<'a> {
    pub root: BorrowedFd<'a>,
    pub cfg: &'a ServeConfig,
    pub now: Millis,
    pub date: &'a DateCache,
    pub pool: &'a mut LargePool,
    pub files: &'a mut FileCache,
    pub fallback: &'a mut [u8],
    pub log: &'a AccessLog,
    /// Shutting down: finish what is in flight, start nothing new.
    pub draining: bool,
}

/// The read-only part of `Shared`, for planning a response while the request
/// still borrows a buffer from the pool.
struct Ctx<'a> {
    root: BorrowedFd<'a>,
    cfg: &'a ServeConfig,
    now: Millis,
    date: &'a DateCache,
    draining: bool,
}

/// A slot's own buffers.
pub struct SlotBufs<'a> {
    /// `HEAD_BUF_SMALL` bytes.
    pub small: &'a mut [u8],
    /// `RESPONSE_HEAD_CAP` bytes.
    pub resp: &'a mut [u8],
    /// `REQUEST_LINE_BUF` bytes: the request line being answered, for the access log.
    pub line: &'a mut [u8],
}

/// A response body being sent: bytes `offset..end` of `source`'s file.
struct Body {
    source: Source,
    offset: u64,
    end: u64,
    /// sendfile refused this file; use pread + send through the shared buffer.
    fallback: bool,
}

/// The connection's state, named after what it is doing; each holds its deadline.
enum State {
    /// Waiting for (more of) a request head. The deadline is the idle timeout
    /// while the buffer is empty, then the header deadline set by the first
    /// byte, which later bytes do not extend (slowloris).
    Reading { deadline: Millis },
    /// Sending the response head (`sent` of `len` bytes of the response buffer).
    Writing {
        len: usize,
        sent: usize,
        body: Option<Body>,
        deadline: Millis,
    },
    /// Sending the body with sendfile, a chunk per wake-up.
    Sending { body: Body, deadline: Millis },
    /// Write side shut after a response that ends the connection; input is
    /// drained briefly so the client sees the response, not a reset.
    Closing { deadline: Millis },
}

/// What poll should wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    Read,
    Write,
}

/// Whether the connection lives on after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Open,
    Closed,
}

/// The result of one state function.
enum Step {
    /// State changed or more work is ready: run the next step now.
    Again,
    /// Blocked: wait for poll.
    Wait,
    /// Done with this connection.
    Close,
}

/// The request in flight, for its access-log line.
struct LogEntry {
    /// Bytes of the request line copied into the slot's line buffer.
    line_len: usize,
    status: u16,
    /// File body bytes sent.
    sent: u64,
    /// Length of a body sent inside the response-head buffer.
    inline_body: u64,
}

pub struct Conn {
    sock: TcpStream,
    peer: IpAddr,
    state: State,
    /// Bytes held in the head buffer (the small one, or the borrowed large one).
    /// Once a head is planned, only the bytes after it (a pipelined request).
    in_len: usize,
    /// Bytes at the start of the buffer already searched for the head's end.
    scanned: usize,
    /// The large head buffer borrowed while a head outgrows the small one.
    large: Option<u8>,
    served: u32,
    close_after: bool,
    log: Option<LogEntry>,
}

/// Finds the blank line ending a head (CRLF CRLF, or bare LF LF, RFC 9112 §2.2),
/// searching from `from` so a head trickling in is scanned once, not per read
/// (lighttpd CVE-2022-30780 looped re-parsing split heads).
fn head_end(buf: &[u8], from: usize) -> bool {
    let start = from.saturating_sub(3);
    buf[start..]
        .windows(2)
        .enumerate()
        .any(|(i, w)| w == b"\n\n" || (w == b"\r\n" && start + i > 0 && buf[start + i - 1] == b'\n'))
}

/// The first line of a head for the log, skipping the empty lines RFC 9112 §2.2 allows.
fn first_line(buf: &[u8]) -> (usize, usize) {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let rest = &buf[start..];
    let mut len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    if len > 0 && rest[len - 1] == b'\r' {
        len -= 1;
    }
    (start, len)
}

/// Sends the head and, when the whole body fits the shared scratch buffer
/// after it, the body too, in one send(2): for small files a pread and one
/// send cost the kernel less than a send and a sendfile, and the response
/// leaves in one segment. Whatever the socket does not take continues through
/// the ordinary path (the head from `sent`, the body by sendfile from its
/// offset), so nothing is kept in the scratch buffer between calls.
/// Returns bytes sent counting head then body; larger bodies send the head only.
fn send_with_small_body(sock: BorrowedFd<'_>, head: &[u8], body: &Body, file: &File, scratch: &mut [u8]) -> Io {
    // Compared in u64: on a 32-bit board `head.len() + blen as usize` wraps for
    // a body just under 4 GiB, and the slice below would panic (abort).
    let room = scratch.len().saturating_sub(head.len()) as u64;
    let blen = body.end.saturating_sub(body.offset);
    let fits = |b: &usize| blen <= room && head.len() <= scratch.len() && *b > 0;
    let Some(total) = usize::try_from(blen).ok().filter(fits).map(|b| head.len() + b) else {
        return io::send(sock, head, true);
    };
    scratch[..head.len()].copy_from_slice(head);
    match io::pread(file, &mut scratch[head.len()..total], body.offset) {
        Io::Done(k) if head.len() + k == total => io::send(sock, &scratch[..total], false),
        // Short read (the file shrank) or an error: the ordinary path finds out.
        _ => io::send(sock, head, true),
    }
}

impl Conn {
    /// A freshly accepted connection, waiting for its first request.
    pub fn new(sock: TcpStream, peer: IpAddr, now: Millis, cfg: &ServeConfig) -> Conn {
        Conn {
            sock,
            peer,
            state: State::Reading {
                deadline: now + cfg.idle_timeout_ms,
            },
            in_len: 0,
            scanned: 0,
            large: None,
            served: 0,
            close_after: false,
            log: None,
        }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// Waiting for a request with nothing received yet (an idle keep-alive).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Reading { .. }) && self.in_len == 0
    }

    /// What to poll for, and by when something must happen.
    pub fn interest(&self) -> (Interest, Millis) {
        match self.state {
            State::Reading { deadline } | State::Closing { deadline } => (Interest::Read, deadline),
            State::Writing { deadline, .. } | State::Sending { deadline, .. } => (Interest::Write, deadline),
        }
    }

    /// Runs the state machine until it blocks or the connection ends.
    pub fn on_ready(&mut self, bufs: SlotBufs<'_>, sh: &mut Shared<'_>) -> Fate {
        let SlotBufs { small, resp, line } = bufs;
        loop {
            let step = match self.state {
                State::Reading { .. } => self.read(small, resp, line, sh),
                State::Writing { .. } => self.write_head(resp, line, sh),
                State::Sending { .. } => self.send_body(line, sh),
                State::Closing { .. } => self.drain(small),
            };
            match step {
                Step::Again => continue,
                Step::Wait if self.own_body(sh) => return Fate::Open,
                Step::Wait => {
                    // No descriptor to keep the response's file with: end it.
                    self.release(line, sh);
                    return Fate::Closed;
                }
                Step::Close => {
                    self.release(line, sh);
                    return Fate::Closed;
                }
            }
        }
    }

    /// A response that waits for poll must not borrow the file cache's
    /// descriptor (filecache.rs: lent for one call only): it takes its own.
    fn own_body(&mut self, sh: &Shared<'_>) -> bool {
        let body = match &mut self.state {
            State::Writing { body: Some(b), .. } | State::Sending { body: b, .. } => b,
            State::Writing { body: None, .. } | State::Reading { .. } | State::Closing { .. } => return true,
        };
        body.source.make_own(sh.files).is_ok()
    }

    /// The connection is being dropped by the loop (deadline passed, or shutdown):
    /// log what was in flight and give back what it borrowed. `line` is the
    /// slot's request-line buffer.
    pub fn abandon(&mut self, line: &[u8], sh: &mut Shared<'_>) {
        self.release(line, sh);
    }

    /// Shutdown began: idle and half-read connections end now; responses in
    /// flight finish and then close.
    pub fn begin_drain(&mut self) -> Fate {
        self.close_after = true;
        match self.state {
            State::Reading { .. } => Fate::Closed,
            State::Writing { .. } | State::Sending { .. } | State::Closing { .. } => Fate::Open,
        }
    }

    /// Logs a response cut short and returns a borrowed large buffer.
    fn release(&mut self, line: &[u8], sh: &mut Shared<'_>) {
        self.write_log(line, sh);
        if let Some(i) = self.large.take() {
            sh.pool.give_back(i);
        }
    }

    fn input<'x>(large: Option<u8>, small: &'x mut [u8], pool: &'x mut LargePool) -> &'x mut [u8] {
        match large {
            Some(i) => pool.get_mut(i),
            None => small,
        }
    }

    fn input_ref<'x>(large: Option<u8>, small: &'x [u8], pool: &'x LargePool) -> &'x [u8] {
        match large {
            Some(i) => pool.get(i),
            None => small,
        }
    }

    fn read(&mut self, small: &mut [u8], resp: &mut [u8], line: &mut [u8], sh: &mut Shared<'_>) -> Step {
        loop {
            let input = Self::input_ref(self.large, small, sh.pool);
            if self.in_len > 0 && head_end(&input[..self.in_len], self.scanned) {
                // Bytes held from the first byte after the answered head, or the error.
                let outcome = match request::parse(&input[..self.in_len]) {
                    Ok(Parsed::Complete(req, head_len)) => {
                        // Bytes pipelined behind a large head must fit the small
                        // buffer, where they move once the head is planned; if
                        // more came, this response ends the connection.
                        let keep_rest = self.large.is_none() || self.in_len - head_len <= small.len();
                        self.start_log(&input[..self.in_len], line);
                        let ctx = Ctx {
                            root: sh.root,
                            cfg: sh.cfg,
                            now: sh.now,
                            date: sh.date,
                            draining: sh.draining,
                        };
                        let (len, body) = self.plan(&req, resp, sh.files, &ctx, keep_rest);
                        self.state = State::Writing {
                            len,
                            sent: 0,
                            body,
                            deadline: sh.now + sh.cfg.write_timeout_ms,
                        };
                        Some(Ok(if keep_rest { head_len } else { self.in_len }))
                    }
                    Ok(Parsed::Partial) => None,
                    Err(e) => Some(Err(e)),
                };
                match outcome {
                    Some(Ok(rest)) => {
                        self.consume(rest, small, sh.pool);
                        return Step::Again;
                    }
                    Some(Err(e)) => return self.fail(e, small, resp, line, sh),
                    None => {}
                }
            }
            self.scanned = self.in_len;
            if self.in_len == input.len() {
                // The head does not fit what we hold.
                if self.large.is_some() {
                    let has_line = input.contains(&b'\n');
                    let e = if has_line {
                        HttpError::HeaderFieldsTooLarge
                    } else {
                        HttpError::UriTooLong
                    };
                    return self.fail(e, small, resp, line, sh);
                }
                let Some(i) = sh.pool.borrow() else {
                    return self.fail(HttpError::ServiceUnavailable, small, resp, line, sh);
                };
                sh.pool.get_mut(i)[..self.in_len].copy_from_slice(&small[..self.in_len]);
                self.large = Some(i);
                continue;
            }
            if sh.draining {
                return Step::Close;
            }
            let input = Self::input(self.large, small, sh.pool);
            match io::recv(self.sock.as_fd(), &mut input[self.in_len..]) {
                Io::Done(n) => {
                    if self.in_len == 0 {
                        self.state = State::Reading {
                            deadline: sh.now + sh.cfg.header_timeout_ms,
                        };
                    }
                    self.in_len += n;
                }
                Io::WouldBlock => return Step::Wait,
                Io::Closed => return Step::Close,
            }
        }
    }

    /// Copies the request line out of the held bytes for the access log, so
    /// the head buffer is free while the response is sent.
    fn start_log(&mut self, held: &[u8], line: &mut [u8]) {
        let (start, len) = first_line(held);
        let n = len.min(line.len());
        line[..n].copy_from_slice(&held[start..start + n]);
        self.log = Some(LogEntry {
            line_len: n,
            status: 0,
            sent: 0,
            inline_body: 0,
        });
    }

    /// The head is answered: drops the held bytes before `from`, moves the
    /// rest (a pipelined request) to the front of the small buffer and gives
    /// a borrowed large buffer back. The caller made sure the rest fits.
    fn consume(&mut self, from: usize, small: &mut [u8], pool: &mut LargePool) {
        let rest = self.in_len - from;
        match self.large.take() {
            Some(i) => {
                small[..rest].copy_from_slice(&pool.get(i)[from..self.in_len]);
                pool.give_back(i);
            }
            None => small.copy_within(from..self.in_len, 0),
        }
        self.in_len = rest;
        self.scanned = 0;
    }

    /// Answers a request that cannot be served with an error, then closes.
    fn fail(&mut self, e: HttpError, small: &mut [u8], resp: &mut [u8], line: &mut [u8], sh: &mut Shared<'_>) -> Step {
        let input = Self::input_ref(self.large, small, sh.pool);
        self.start_log(&input[..self.in_len], line);
        self.close_after = true;
        let common = Common {
            date: &sh.date.imf,
            keep_alive: false,
            http10: false,
            cache_control: None,
        };
        // The method may be all that parsed; a HEAD response never has a body (RFC 9110 §9.3.2).
        let (line_start, _) = first_line(&input[..self.in_len]);
        let head = input[line_start..self.in_len].starts_with(b"HEAD ");
        let len = response::error(resp, e, head, &common);
        // Nothing held is answered after this: the connection closes.
        self.consume(self.in_len, small, sh.pool);
        self.set_status(e.status());
        self.set_inline_body(if head { 0 } else { e.body().len() });
        self.state = State::Writing {
            len,
            sent: 0,
            body: None,
            deadline: sh.now + sh.cfg.write_timeout_ms,
        };
        Step::Again
    }

    fn set_status(&mut self, status: u16) {
        if let Some(entry) = self.log.as_mut() {
            entry.status = status;
        }
    }

    /// A body carried inside the response-head buffer (error texts), counted
    /// as sent in the access log once the whole buffer is out.
    fn set_inline_body(&mut self, len: usize) {
        if let Some(entry) = self.log.as_mut() {
            entry.inline_body = len as u64;
        }
    }

    /// Plans the response to a parsed request: writes its head into `resp` and
    /// returns the head length and the body to send.
    fn plan(
        &mut self,
        req: &Request<'_>,
        resp: &mut [u8],
        files: &mut FileCache,
        sh: &Ctx<'_>,
        keep_rest: bool,
    ) -> (usize, Option<Body>) {
        self.served += 1;
        let keep_alive = req.keep_alive && keep_rest && self.served < MAX_REQUESTS_PER_CONNECTION && !sh.draining;
        let head = req.method == Method::Head;
        let mut common = Common {
            date: &sh.date.imf,
            keep_alive,
            http10: response::is_http10(req),
            cache_control: sh.cfg.cache_control.as_deref(),
        };
        let outcome = path::clean(req.path).and_then(|clean| {
            let gzip_ok = encoding::accepts_gzip(&req.accept_encoding);
            let found = files.lookup(sh.root, &clean, &sh.cfg.index, gzip_ok, sh.now)?;
            Ok((clean, found))
        });
        let planned = match outcome {
            Ok((_, Lookup::AddSlash)) => response::add_slash(resp, req, &common).map(|n| (301, n, None, 0)),
            Ok((
                clean,
                Lookup::File {
                    source,
                    meta,
                    gzip,
                    has_gzip_variant,
                },
            )) => {
                let name = if clean.trailing_slash || clean.as_bytes() == b"/" {
                    &sh.cfg.index[..]
                } else {
                    clean.segments().last().unwrap_or(b"")
                };
                let rep = Representation {
                    meta,
                    gzip,
                    has_gzip_variant,
                    content_type: mime::content_type(name),
                };
                response::file(resp, req, &rep, &common).map(|plan| {
                    let body = plan.body.map(|(offset, len)| Body {
                        source,
                        offset,
                        // offset + len = last + 1 <= the file's size: no overflow.
                        end: offset + len,
                        fallback: !sh.cfg.sendfile,
                    });
                    (plan.status, plan.head_len, body, plan.inline_body)
                })
            }
            Err(e) => {
                if e.closes_connection() {
                    common.keep_alive = false;
                }
                let inline = if head { 0 } else { e.body().len() };
                Some((e.status(), response::error(resp, e, head, &common), None, inline))
            }
        };
        let (status, len, body, inline) = planned.unwrap_or_else(|| {
            // A head that does not fit the response buffer (a very long redirect).
            common.keep_alive = false;
            let e = HttpError::UriTooLong;
            let inline = if head { 0 } else { e.body().len() };
            (e.status(), response::error(resp, e, head, &common), None, inline)
        });
        self.close_after = !common.keep_alive;
        self.set_status(status);
        self.set_inline_body(inline);
        (len, body)
    }

    fn write_head(&mut self, resp: &mut [u8], line: &[u8], sh: &mut Shared<'_>) -> Step {
        let State::Writing {
            len,
            sent,
            body,
            deadline,
        } = &mut self.state
        else {
            return Step::Close;
        };
        let io = match body.as_ref().map(|b| (b, b.source.file(sh.files))) {
            Some((_, None)) => return Step::Close,
            Some((b, Some(file))) if *sent == 0 => {
                send_with_small_body(self.sock.as_fd(), &resp[..*len], b, file, sh.fallback)
            }
            _ => io::send(self.sock.as_fd(), &resp[*sent..*len], body.is_some()),
        };
        match io {
            Io::Done(n) => {
                // Bytes past the head were body bytes sent along with it.
                let body_sent = (*sent + n).saturating_sub(*len);
                let n = n - body_sent;
                if let Some(b) = body.as_mut() {
                    b.offset += body_sent as u64;
                }
                if let Some(entry) = self.log.as_mut() {
                    entry.sent += body_sent as u64;
                }
                *sent += n;
                *deadline = sh.now + sh.cfg.write_timeout_ms;
                if *sent < *len {
                    return Step::Again;
                }
                if let Some(entry) = self.log.as_mut() {
                    entry.sent += entry.inline_body;
                }
                match body.take() {
                    Some(body) if body.offset >= body.end => self.finish(line, sh),
                    Some(body) => {
                        self.state = State::Sending {
                            body,
                            deadline: sh.now + sh.cfg.write_timeout_ms,
                        };
                        Step::Again
                    }
                    None => self.finish(line, sh),
                }
            }
            Io::WouldBlock => Step::Wait,
            Io::Closed => Step::Close,
        }
    }

    fn send_body(&mut self, line: &[u8], sh: &mut Shared<'_>) -> Step {
        let State::Sending { body, deadline } = &mut self.state else {
            return Step::Close;
        };
        let chunk = usize::try_from(body.end.saturating_sub(body.offset))
            .unwrap_or(usize::MAX)
            .min(SEND_CHUNK);
        let before = body.offset;
        let Some(file) = body.source.file(sh.files) else {
            return Step::Close;
        };
        let io = if body.fallback {
            // Bounded fallback: read into the shared buffer, send what the socket
            // takes; the unsent rest is read again next time (no state kept).
            let want = chunk.min(sh.fallback.len());
            match io::pread(file, &mut sh.fallback[..want], body.offset) {
                Io::Done(0) => Io::Done(0),
                Io::Done(k) => match io::send(self.sock.as_fd(), &sh.fallback[..k], false) {
                    Io::Done(n) => {
                        body.offset += n as u64;
                        Io::Done(n)
                    }
                    other => other,
                },
                other => other,
            }
        } else {
            match io::sendfile(self.sock.as_fd(), file.as_fd(), &mut body.offset, chunk) {
                Sendfile::Io(io) => io,
                Sendfile::Unsupported => {
                    body.fallback = true;
                    return Step::Again;
                }
            }
        };
        match io {
            // The file ended before the length we announced: it shrank. The
            // response cannot be completed; close instead of spinning.
            Io::Done(0) => Step::Close,
            Io::Done(n) => {
                debug_assert_eq!(body.offset - before, n as u64);
                if let Some(entry) = self.log.as_mut() {
                    entry.sent += n as u64;
                }
                *deadline = sh.now + sh.cfg.write_timeout_ms;
                if body.offset >= body.end {
                    return self.finish(line, sh);
                }
                // One chunk per wake-up: let the other connections have a turn.
                Step::Wait
            }
            Io::WouldBlock => Step::Wait,
            Io::Closed => Step::Close,
        }
    }

    /// The response is complete: log it, then keep the connection for the next
    /// request (pipelined bytes wait in the small buffer) or close it.
    fn finish(&mut self, line: &[u8], sh: &mut Shared<'_>) -> Step {
        self.write_log(line, sh);
        if self.close_after || sh.draining {
            // Half-close so the response is delivered, then drain (RFC 9112 §9.6).
            let _ = self.sock.shutdown(Shutdown::Write);
            self.in_len = 0;
            self.state = State::Closing {
                deadline: sh.now + LINGER_MS,
            };
            return Step::Again;
        }
        if self.in_len > 0 {
            // A pipelined request is already here: answer it now, in a turn of its
            // own (filecache.rs: it may have been sent after poll returned).
            sh.files.new_turn();
            self.state = State::Reading {
                deadline: sh.now + sh.cfg.header_timeout_ms,
            };
            return Step::Again;
        }
        // The next request has rarely arrived yet: wait for poll instead of a
        // recv that would only say EAGAIN (one syscall less per request).
        self.state = State::Reading {
            deadline: sh.now + sh.cfg.idle_timeout_ms,
        };
        Step::Wait
    }

    fn drain(&mut self, small: &mut [u8]) -> Step {
        loop {
            match io::recv(self.sock.as_fd(), &mut small[..]) {
                Io::Done(_) => continue,
                Io::WouldBlock => return Step::Wait,
                Io::Closed => return Step::Close,
            }
        }
    }

    fn write_log(&mut self, line: &[u8], sh: &mut Shared<'_>) {
        let Some(entry) = self.log.take() else {
            return;
        };
        if !sh.log.enabled() {
            return;
        }
        let line = &line[..entry.line_len.min(line.len())];
        sh.log.write(self.peer, &sh.date.clf, line, entry.status, entry.sent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9112_2_2_head_end_detection() {
        assert!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0));
        assert!(head_end(b"GET / HTTP/1.1\nHost: a\n\n", 0));
        assert!(!head_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0));
        // Found across the boundary of an earlier scan.
        let b = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for from in 0..b.len() {
            assert!(head_end(b, from), "from {from}");
        }
        assert!(!head_end(b"\r\n", 0));
    }

    #[test]
    fn first_line_skips_leading_empty_lines() {
        let b = b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let (s, n) = first_line(b);
        assert_eq!(&b[s..s + n], b"GET / HTTP/1.1");
        assert_eq!(first_line(b"GARBAGE"), (0, 7));
    }
}
