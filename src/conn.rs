//! One connection: its state machine, from request bytes to response bytes,
//! and nothing else.
//!
//! The loop (`server.rs`) calls `on_ready` when poll says the socket is ready;
//! each state has one function; after a transition the next step is tried at
//! once, until the socket would block. What a state needs lives in it: a
//! request in flight is an `Exchange` inside `Writing` and `Sending`, so no
//! state can read another's leftovers. The steps a request goes through are
//! other modules' (`request` parses, `route` finds the file, `response`
//! plans); the bytes travel through `transport`; what all connections share
//! is lent per call (`Services`), and the slot's buffers with it (`SlotBufs`).
//!
//! Seams: an access decision (login, Host allowlist) goes between parse and
//! route in `Reading::read`, with a `Verifying` state while a password hash
//! advances in slices; a proxied exchange adds `Forwarding`/`Relaying` states
//! whose upstream socket and body pump live in their own module.

use crate::access;
use crate::auth::{Decision, Ticket, basic};
use crate::body::Body;
use crate::clock::Instant;
use crate::config::ServeConfig;
use crate::error::HttpError;
use crate::input::InputBuf;
use crate::io::{Io, Segment};
use crate::limits::{LINGER, MAX_REQUESTS_PER_CONNECTION};
use crate::path;
use crate::proxy::head::{self as proxy_head, Framing};
use crate::proxy::pump::{Forward, Forwarded, Relay, Relayed, Side, Want};
use crate::proxy::{self, Upstream};
use crate::request::{self, BodyFraming, Method, Parsed, Request, Version};
use crate::response::{self, Answer, Common, Connection, Plan, Reply};
use crate::route;
use crate::services::Services;
use crate::transport::Transport;
use std::net::IpAddr;
use std::os::fd::{AsFd, BorrowedFd};

/// A slot's own buffers, lent with each call.
pub struct SlotBufs<'a> {
    /// `HEAD_BUF_SMALL` bytes: request bytes (`InputBuf`).
    pub small: &'a mut [u8],
    /// `RESPONSE_HEAD_CAP` bytes: the response head and any short text body.
    pub resp: &'a mut [u8],
    /// `REQUEST_LINE_BUF` bytes: the request line being answered, for the access log.
    pub line: &'a mut [u8],
}

/// The request being answered, for its access-log line.
#[derive(Clone, Copy)]
struct LogEntry {
    /// Bytes of the request line copied into the slot's line buffer.
    line_len: usize,
    status: u16,
    /// Body bytes sent (file bytes, and an inline body once it is all out).
    sent: u64,
}

/// One request in flight, from its plan to its last byte.
#[derive(Clone, Copy)]
struct Exchange {
    /// Bytes of the response buffer to send: the head and any inline body.
    len: usize,
    /// Length of the short text body within `len` (error texts).
    inline_body: usize,
    /// Whether the connection stays open after the last byte.
    then: Connection,
    log: LogEntry,
}

/// Waiting for (more of) a request head. The deadline is the idle timeout
/// while nothing is held, then the header deadline set by the first byte,
/// which later bytes do not extend (slowloris).
struct Reading {
    deadline: Instant,
}

/// A complete head to a protected prefix whose password is being verified
/// (a slice per poll turn, `auth`); the head stays held until the verdict.
struct Verifying {
    ticket: Ticket,
    deadline: Instant,
}

/// Sending the response buffer (`sent` of `ex.len` bytes), then the body.
struct Writing {
    ex: Exchange,
    sent: usize,
    body: Option<Body>,
    deadline: Instant,
}

/// Sending the file body, a chunk per wake-up (sendfile, or read/send).
struct Sending {
    ex: Exchange,
    body: Body,
    deadline: Instant,
}

/// A proxied request on its way to the backend (`proxy::pump::Forward`):
/// head and body out, then the wait for the response head. The backend
/// socket and channel are the link's (`Link::upstream`).
struct Forwarding {
    fwd: Forward,
    wait: (Side, Want),
    ex: Exchange,
    version: Version,
    /// What an error of warden's may carry (no body after HEAD).
    reply: Reply,
    deadline: Instant,
}

/// A backend's response on its way to the client (`proxy::pump::Relay`).
struct Relaying {
    relay: Relay,
    wait: (Side, Want),
    ex: Exchange,
    deadline: Instant,
}

/// Write side shut after a response that ends the connection; input is
/// drained briefly so the client sees the response, not a reset.
struct Closing {
    deadline: Instant,
}

/// The connection's state, named after what it is doing; each holds its deadline.
enum State {
    Reading(Reading),
    Verifying(Verifying),
    Writing(Writing),
    Sending(Sending),
    Forwarding(Forwarding),
    Relaying(Relaying),
    Closing(Closing),
}

impl State {
    /// States that use the link's backend connection.
    fn is_proxied(&self) -> bool {
        matches!(self, State::Forwarding(_) | State::Relaying(_))
    }
}

/// What poll should wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    Read,
    Write,
    /// Neither: waiting for a verification (hang-ups are still reported).
    Nothing,
}

/// Whether the connection lives on after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Open,
    Closed,
}

/// The result of one state function.
enum Step {
    /// More work is ready in this state: run it now.
    Again,
    /// Blocked: wait for poll.
    Wait,
    /// Done with this connection.
    Close,
    /// Move to this state and run it now.
    To(State),
    /// Move to this state and wait for poll (nothing is expected yet).
    Rest(State),
}

/// What a connection keeps across states.
struct Link {
    transport: Transport,
    peer: IpAddr,
    input: InputBuf,
    served: u32,
    /// The backend connection of a proxied request in flight; given back
    /// as soon as the connection leaves the proxied states (`settle`).
    upstream: Option<Upstream>,
}

pub struct Conn {
    link: Link,
    state: State,
}

impl Conn {
    /// A freshly accepted connection, waiting for its first request.
    /// A TLS handshake must end, and the first request head arrive, within
    /// the header timeout (a handshake is a head's first bytes).
    pub fn new(transport: Transport, peer: IpAddr, now: Instant, cfg: &ServeConfig) -> Conn {
        let wait = if transport.is_handshaking() {
            cfg.header_timeout
        } else {
            cfg.idle_timeout
        };
        Conn {
            link: Link {
                transport,
                peer,
                input: InputBuf::new(),
                served: 0,
                upstream: None,
            },
            state: State::Reading(Reading { deadline: now + wait }),
        }
    }

    /// The descriptor to poll: the client's, or the backend's while a
    /// proxied exchange waits for it.
    pub fn fd(&self) -> BorrowedFd<'_> {
        match &self.link.upstream {
            Some(up) if !self.polls_client() => up.sock.as_fd(),
            _ => self.link.transport.fd(),
        }
    }

    /// The transport holds bytes for the peer the socket did not take (TLS):
    /// poll for POLLOUT as well, whatever the state waits for.
    pub fn wants_write(&self) -> bool {
        self.polls_client() && self.link.transport.wants_write()
    }

    /// Whether `fd` is the client's (not the backend's of a proxied exchange).
    fn polls_client(&self) -> bool {
        let wait = match &self.state {
            State::Forwarding(f) => f.wait.0,
            State::Relaying(r) => r.wait.0,
            _ => Side::Client,
        };
        wait == Side::Client || self.link.upstream.is_none()
    }

    /// Waiting to read from the client while the transport already holds
    /// input (TLS plaintext decrypted ahead): run now, not after poll.
    pub fn has_input(&self) -> bool {
        let reads_client = match &self.state {
            State::Reading(_) | State::Closing(_) => true,
            State::Forwarding(Forwarding { wait, .. }) | State::Relaying(Relaying { wait, .. }) => {
                *wait == (Side::Client, Want::Read)
            }
            State::Verifying(_) | State::Writing(_) | State::Sending(_) => false,
        };
        reads_client && self.link.transport.has_input()
    }

    /// Waiting for a password verification (the loop wakes it each turn).
    pub fn is_verifying(&self) -> bool {
        matches!(self.state, State::Verifying(_))
    }

    /// Waiting for a request with nothing received yet (an idle keep-alive).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Reading(_)) && self.link.input.is_empty()
    }

    /// What to poll for, and by when something must happen.
    pub fn interest(&self) -> (Interest, Instant) {
        match &self.state {
            State::Reading(Reading { deadline }) | State::Closing(Closing { deadline }) => (Interest::Read, *deadline),
            State::Writing(Writing { deadline, .. }) | State::Sending(Sending { deadline, .. }) => {
                (Interest::Write, *deadline)
            }
            State::Verifying(Verifying { deadline, .. }) => (Interest::Nothing, *deadline),
            State::Forwarding(Forwarding { wait, deadline, .. }) | State::Relaying(Relaying { wait, deadline, .. }) => {
                let interest = match wait.1 {
                    Want::Read => Interest::Read,
                    Want::Write => Interest::Write,
                };
                (interest, *deadline)
            }
        }
    }

    /// Runs the state machine until it blocks or the connection ends. After
    /// `Closed` the caller ends the connection with `end`.
    pub fn on_ready(&mut self, bufs: SlotBufs<'_>, sh: &mut Services) -> Fate {
        let SlotBufs { small, resp, line } = bufs;
        // Bytes the transport queued before (TLS records) go first.
        if self.link.transport.flush() == Io::Closed {
            return Fate::Closed;
        }
        loop {
            let link = &mut self.link;
            let step = match &mut self.state {
                State::Reading(r) => r.read(link, small, resp, line, sh),
                State::Verifying(v) => v.wait(link, small, resp, line, sh),
                State::Writing(w) => w.write(link, resp, line, sh),
                State::Sending(s) => s.send(link, line, sh),
                State::Forwarding(f) => f.forward(link, resp, sh),
                State::Relaying(r) => r.relay(link, line, sh),
                State::Closing(_) => drain(link, small),
            };
            match step {
                Step::Again => {}
                Step::To(next) => self.enter(next, sh),
                Step::Rest(next) => {
                    self.enter(next, sh);
                    return self.park(sh);
                }
                Step::Wait => return self.park(sh),
                Step::Close => return Fate::Closed,
            }
        }
    }

    /// Moves to `next`; leaving the proxied states gives the backend
    /// connection and its channel back (one place, so none is forgotten).
    fn enter(&mut self, next: State, sh: &mut Services) {
        self.state = next;
        if !self.state.is_proxied() {
            if let Some(up) = self.link.upstream.take() {
                sh.upstreams.give_back(up.chan);
            }
        }
    }

    /// A deadline passed. A proxied request still waiting for its backend
    /// is answered 504 (nothing of a response was sent yet); everything
    /// else is given up on (`Closed`: the caller ends it).
    pub fn on_deadline(&mut self, bufs: SlotBufs<'_>, sh: &mut Services) -> Fate {
        let State::Forwarding(f) = &self.state else {
            return Fate::Closed;
        };
        if f.wait.0 != Side::Backend {
            return Fate::Closed;
        }
        log::warn!("proxy: no answer from the backend within --proxy-timeout");
        let next = proxy_error(HttpError::GatewayTimeout, f.ex, (f.version, f.reply), bufs.resp, sh);
        self.enter(next, sh);
        self.on_ready(bufs, sh)
    }

    /// The connection is about to wait for poll. A body must not keep a loan
    /// of the file cache's descriptor (lent for one call): it takes its own,
    /// and without one the response cannot go on.
    fn park(&mut self, sh: &Services) -> Fate {
        let body = match &mut self.state {
            State::Writing(Writing { body: Some(b), .. }) | State::Sending(Sending { body: b, .. }) => b,
            State::Writing(Writing { body: None, .. })
            | State::Reading(_)
            | State::Verifying(_)
            | State::Forwarding(_)
            | State::Relaying(_)
            | State::Closing(_) => return Fate::Open,
        };
        match body.source.make_own(&sh.files) {
            Ok(()) => Fate::Open,
            Err(_) => Fate::Closed,
        }
    }

    /// Shutdown began: idle and half-read connections end now; responses in
    /// flight finish (and then close: `Services::draining`).
    pub fn begin_drain(&self) -> Fate {
        match self.state {
            State::Reading(_) => Fate::Closed,
            State::Verifying(_)
            | State::Writing(_)
            | State::Sending(_)
            | State::Forwarding(_)
            | State::Relaying(_)
            | State::Closing(_) => Fate::Open,
        }
    }

    /// Ends the connection, by itself or given up on (deadline, shutdown):
    /// logs a response cut short and gives back what it borrowed. The socket
    /// closes as the returned transport drops. `line` is the slot's request-line buffer.
    pub fn end(mut self, line: &[u8], sh: &mut Services) -> Transport {
        let ex = match &self.state {
            State::Writing(w) => Some(w.ex),
            State::Sending(s) => Some(s.ex),
            State::Forwarding(f) => Some(f.ex),
            State::Relaying(r) => {
                let mut ex = r.ex;
                ex.log.sent = r.relay.body_sent;
                Some(ex)
            }
            State::Verifying(v) => {
                sh.logins.abandon(v.ticket);
                None
            }
            State::Reading(_) | State::Closing(_) => None,
        };
        if let Some(ex) = ex {
            write_log(self.link.peer, ex.log, line, sh);
        }
        // Between requests (idle timeout, shutdown, the peer's own close): TLS
        // says close_notify (RFC 8446 §6.1), best effort. Never mid-response,
        // where it would make a cut-off body look complete.
        if self.is_idle() {
            self.link.transport.shutdown_write();
        }
        self.link.input.release(&mut sh.pool);
        if let Some(up) = self.link.upstream.take() {
            sh.upstreams.give_back(up.chan);
        }
        // The caller closes the socket, and gives a TLS buffer back.
        self.link.transport
    }
}

impl Reading {
    fn read(&mut self, link: &mut Link, small: &mut [u8], resp: &mut [u8], line: &mut [u8], sh: &mut Services) -> Step {
        loop {
            if link.input.has_head(small, &sh.pool) {
                if let Some(step) = respond(link, small, resp, line, sh, Gate::Ask) {
                    return step;
                }
            }
            if link.input.is_full(small, &sh.pool) {
                // The head does not fit what we hold.
                if let Err(e) = link.input.grow(small, &mut sh.pool) {
                    return fail(e, link, small, resp, line, sh);
                }
                continue;
            }
            if sh.draining {
                return Step::Close;
            }
            let first = link.input.is_empty();
            match link.input.recv(&mut link.transport, small, &mut sh.pool) {
                Io::Done(_) if first => self.deadline = sh.now + sh.cfg.header_timeout,
                Io::Done(_) => {}
                Io::WouldBlock => return Step::Wait,
                Io::Closed => return Step::Close,
            }
        }
    }
}

impl Verifying {
    fn wait(&mut self, link: &mut Link, small: &mut [u8], resp: &mut [u8], line: &mut [u8], sh: &mut Services) -> Step {
        match sh.logins.outcome(self.ticket) {
            None => Step::Wait,
            // The head is still held, unchanged: answered now with the verdict.
            Some(granted) => respond(link, small, resp, line, sh, Gate::Verified(granted)).unwrap_or(Step::Close),
        }
    }
}

/// What the access step has said of the held request already.
#[derive(Clone, Copy)]
enum Gate {
    /// Nothing yet: ask (Host check, then logins).
    Ask,
    /// A verification finished with this verdict.
    Verified(bool),
}

/// Answers the complete head held in the input: parse, access step, route,
/// plan. `None` if the head is not complete after all (parse says Partial).
fn respond(
    link: &mut Link,
    small: &mut [u8],
    resp: &mut [u8],
    line: &mut [u8],
    sh: &mut Services,
    gate: Gate,
) -> Option<Step> {
    match plan_held(link, small, resp, line, sh, gate) {
        Held::Partial => None,
        Held::Invalid(e) => Some(fail(e, link, small, resp, line, sh)),
        // The head stays held; it is answered when the verification ends.
        Held::Verify(ticket) => Some(Step::To(State::Verifying(Verifying {
            ticket,
            deadline: sh.now + sh.cfg.write_timeout,
        }))),
        Held::Planned(next, used) => {
            link.input.consume(used, small, &mut sh.pool);
            Some(Step::To(next))
        }
    }
}

/// What became of a held head (no borrow of it survives).
enum Held {
    Partial,
    Invalid(HttpError),
    Verify(Ticket),
    /// The response's state, and the held bytes it answered.
    Planned(State, usize),
}

fn plan_held(link: &mut Link, small: &[u8], resp: &mut [u8], line: &mut [u8], sh: &mut Services, gate: Gate) -> Held {
    let held = link.input.held(small, &sh.pool);
    let (req, head_len) = match request::parse(held) {
        Ok(Parsed::Complete(req, head_len)) => (req, head_len),
        Ok(Parsed::Partial) => return Held::Partial,
        Err(e) => return Held::Invalid(e),
    };
    // The access step comes first: a refused request opens no file. Over
    // plain HTTP with --redirect-https, a request the Host guard passes goes
    // to HTTPS before any login is asked for (no password in clear).
    let mut to_https = None;
    let decision = match gate {
        Gate::Ask => match access::check(&req, &sh.cfg.hosts) {
            Ok(()) if sh.cfg.redirect_https.is_some() && link.transport.is_plain() => {
                to_https = sh.cfg.redirect_https;
                Decision::Open
            }
            Ok(()) => sh.logins.decide(&req, link.peer, sh.now),
            Err(e) => Decision::Refused(e),
        },
        Gate::Verified(true) => Decision::Granted,
        Gate::Verified(false) => Decision::Refused(HttpError::Unauthorized),
    };
    let routed = match (decision, to_https) {
        (_, Some(port)) => route::to_https(&req, port),
        (Decision::Open | Decision::Granted, None) => match proxied(&req, &sh.cfg) {
            Some((addr, limit)) => match start_proxy(
                link,
                &req,
                (held, head_len, small),
                line,
                (&mut sh.upstreams, &sh.cfg, sh.now, sh.draining),
                (addr, limit, decision),
            ) {
                Ok((next, used)) => return Held::Planned(next, used),
                Err(e) => route::refused(&req, e),
            },
            None => route::resolve(&req, sh.root.as_fd(), &sh.cfg, &mut sh.files, sh.now),
        },
        (Decision::Refused(e), None) => route::refused(&req, e),
        (Decision::Verify(ticket), None) => return Held::Verify(ticket),
    };
    let routed = if sh.cfg.error_pages.is_empty() {
        routed
    } else {
        route::with_error_page(routed, sh.root.as_fd(), &sh.cfg, &mut sh.files, sh.now)
    };
    // Bytes pipelined behind a large head must fit the small buffer, where
    // they move once the head is planned; if more came, this response ends
    // the connection.
    let keep_rest = link.input.rest_fits(head_len, small);
    link.served += 1;
    // A redirected request's body is not read (RFC 9112 §6.3: it would be
    // taken for the next request): the connection ends after the 308.
    let body_unread = to_https.is_some() && !matches!(req.body, BodyFraming::None | BodyFraming::Length(0));
    let persist = req.keep_alive && keep_rest && link.served < MAX_REQUESTS_PER_CONNECTION && !body_unread;
    let common = Common {
        date: &sh.date.imf,
        connection: if persist && !sh.draining {
            Connection::KeepAlive
        } else {
            Connection::Close
        },
        version: req.version,
        // What a login let through is for no cache, the browser's included.
        cache_control: if decision == Decision::Granted {
            Some(&b"no-store"[..])
        } else {
            sh.cfg.cache_control.as_deref()
        },
        headers: &sh.cfg.headers,
    };
    let plan = response::plan(resp, routed.answer, &common);
    let body = plan.body.zip(routed.source);
    let body = body.map(|(span, source)| Body::new(source, span, sh.cfg.body_copy));
    let next = writing(plan, start_log(held, line, plan.status), body, sh);
    Held::Planned(next, if keep_rest { head_len } else { held.len() })
}

/// The backend and body limit for a request under a `--proxy` prefix.
fn proxied(req: &Request<'_>, cfg: &ServeConfig) -> Option<(std::net::SocketAddr, u64)> {
    if cfg.proxy.routes.is_empty() {
        return None;
    }
    // A path that does not clean is no route's: the file route answers it (400/404).
    let clean = path::clean(req.path).ok()?;
    let route = cfg.proxy.route(clean.as_bytes())?;
    Some((route.addr, cfg.proxy.body_limit(clean.as_bytes())))
}

/// Starts a proxied exchange for the held head: admission, a channel, the
/// backend connection, the rewritten head and the body bytes already held
/// in the channel's buffer. The state, and the held bytes it took.
/// (What is lent apart because the held bytes borrow the services' pool.)
fn start_proxy(
    link: &mut Link,
    req: &Request<'_>,
    (held, head_len, small): (&[u8], usize, &[u8]),
    line: &mut [u8],
    (upstreams, cfg, now, draining): (&mut proxy::Upstreams, &ServeConfig, Instant, bool),
    (addr, limit, decision): (std::net::SocketAddr, u64, Decision),
) -> Result<(State, usize), HttpError> {
    let admitted = proxy::admit(req, limit, &cfg.hosts)?;
    let chan = upstreams.take().ok_or(HttpError::ServiceUnavailable)?;
    let sock = match proxy::connect_to(addr) {
        Ok(sock) => sock,
        Err(e) => {
            upstreams.give_back(chan);
            return Err(e);
        }
    };
    // Granted means the path is protected and the credentials were checked:
    // the backend learns who, never the password.
    let granted = decision == Decision::Granted;
    let creds = if granted {
        req.authorization.and_then(basic::parse)
    } else {
        None
    };
    let fw = proxy_head::Forwarding {
        version: req.version,
        peer: link.peer,
        user: creds.as_ref().map(|c| c.user()),
        drop_authorization: granted,
    };
    let buf = upstreams.buf_mut(&chan);
    let held_body = (held.len() - head_len).min(usize::try_from(admitted.body).unwrap_or(usize::MAX));
    let out = proxy_head::forward_request(&held[..head_len], buf, &fw).filter(|n| n + held_body <= buf.len());
    let Some(out) = out else {
        upstreams.give_back(chan);
        return Err(HttpError::HeaderFieldsTooLarge);
    };
    buf[out..out + held_body].copy_from_slice(&held[head_len..head_len + held_body]);
    let used = head_len + held_body;
    let keep_rest = link.input.rest_fits(used, small);
    link.served += 1;
    let persist = req.keep_alive && keep_rest && link.served < MAX_REQUESTS_PER_CONNECTION && !draining;
    let body_left = admitted.body - held_body as u64;
    if admitted.expects_continue && held_body == 0 {
        // RFC 9110 §10.1.1: the client waits for this before sending the
        // body. A fresh response buffer takes 25 bytes; if it does not, the
        // client sends the body after its own wait anyway.
        const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
        let _ = link.transport.send(CONTINUE, Segment::Last);
    }
    link.upstream = Some(Upstream { sock, chan });
    let log = start_log(held, line, 0);
    let next = State::Forwarding(Forwarding {
        fwd: Forward::new(out + held_body, body_left, req.method == Method::Head, req.version),
        wait: (Side::Backend, Want::Write),
        ex: Exchange {
            len: 0,
            inline_body: 0,
            then: if persist {
                Connection::KeepAlive
            } else {
                Connection::Close
            },
            log,
        },
        version: req.version,
        reply: Reply::to(req.method),
        deadline: now + cfg.proxy.timeout,
    });
    Ok((next, if keep_rest { used } else { held.len() }))
}

/// A proxied request answered with an error of warden's (502, 504) before
/// any of a response went out; the connection then closes.
fn proxy_error(
    e: HttpError,
    mut ex: Exchange,
    (version, reply): (Version, Reply),
    resp: &mut [u8],
    sh: &Services,
) -> State {
    let common = Common {
        version,
        ..Common::closing(&sh.date.imf, &sh.cfg.headers)
    };
    let plan = response::plan(resp, Answer::Error(e, reply), &common);
    ex.log.status = plan.status;
    writing(plan, ex.log, None, sh)
}

impl Forwarding {
    fn forward(&mut self, link: &mut Link, resp: &mut [u8], sh: &mut Services) -> Step {
        let Some(up) = link.upstream.as_ref() else {
            return Step::Close;
        };
        let buf = sh.upstreams.buf_mut(&up.chan);
        match self.fwd.step(&mut link.transport, &up.sock, buf) {
            Forwarded::Wait(side, want) => {
                self.wait = (side, want);
                self.deadline = sh.now + wait_limit(side, &sh.cfg);
                Step::Wait
            }
            Forwarded::Answered { head, got, body_unread } => {
                let close = self.ex.then == Connection::Close
                    || body_unread
                    || head.framing == Framing::UntilClose
                    || sh.draining;
                let half = buf.len() / 2;
                let (backend_head, client_head) = buf.split_at_mut(half);
                let relaying = proxy_head::Relaying {
                    close,
                    version: self.version,
                    headers: &sh.cfg.headers,
                };
                let relay = proxy_head::relay_response(&backend_head[..head.len], client_head, &relaying)
                    .ok_or(HttpError::BadGateway)
                    .and_then(|n| Relay::new(buf, half, half + n, &head, got));
                let relay = match relay {
                    Ok(relay) => relay,
                    Err(e) => return Step::To(proxy_error(e, self.ex, (self.version, self.reply), resp, sh)),
                };
                let mut ex = self.ex;
                ex.log.status = head.status;
                ex.then = if close {
                    Connection::Close
                } else {
                    Connection::KeepAlive
                };
                Step::To(State::Relaying(Relaying {
                    relay,
                    wait: (Side::Client, Want::Write),
                    ex,
                    deadline: sh.now + sh.cfg.write_timeout,
                }))
            }
            Forwarded::Failed(e) => Step::To(proxy_error(e, self.ex, (self.version, self.reply), resp, sh)),
            Forwarded::ClientGone => Step::Close,
        }
    }
}

impl Relaying {
    fn relay(&mut self, link: &mut Link, line: &[u8], sh: &mut Services) -> Step {
        let Some(up) = link.upstream.as_ref() else {
            return Step::Close;
        };
        let buf = sh.upstreams.buf_mut(&up.chan);
        let progress = self.relay.step(&mut link.transport, &up.sock, buf);
        self.ex.log.sent = self.relay.body_sent;
        match progress {
            Relayed::Wait(side, want) => {
                self.wait = (side, want);
                self.deadline = sh.now + wait_limit(side, &sh.cfg);
                Step::Wait
            }
            Relayed::Done => finish(self.ex, link, line, sh),
            // `end` logs what was sent; the client sees the connection close.
            Relayed::Cut => Step::Close,
        }
    }
}

/// How long a proxied exchange waits for one side to make progress.
fn wait_limit(side: Side, cfg: &ServeConfig) -> crate::clock::Duration {
    match side {
        Side::Client => cfg.write_timeout,
        Side::Backend => cfg.proxy.timeout,
    }
}

/// Answers bytes that cannot be served with an error, then closes.
fn fail(e: HttpError, link: &mut Link, small: &[u8], resp: &mut [u8], line: &mut [u8], sh: &mut Services) -> Step {
    let held = link.input.held(small, &sh.pool);
    let answer = Answer::Error(e, request::sniff_reply(held));
    let plan = response::plan(resp, answer, &Common::closing(&sh.date.imf, &sh.cfg.headers));
    let next = writing(plan, start_log(held, line, plan.status), None, sh);
    // Nothing held is answered after this: the connection closes.
    link.input.release(&mut sh.pool);
    Step::To(next)
}

/// The state that sends a planned response.
fn writing(plan: Plan, log: LogEntry, body: Option<Body>, sh: &Services) -> State {
    State::Writing(Writing {
        ex: Exchange {
            len: plan.len,
            inline_body: plan.inline_body,
            then: plan.connection,
            log,
        },
        sent: 0,
        body,
        deadline: sh.now + sh.cfg.write_timeout,
    })
}

/// Copies the request line out of the held bytes for the access log, so
/// the head buffer is free while the response is sent.
fn start_log(held: &[u8], line: &mut [u8], status: u16) -> LogEntry {
    let (start, len) = request::request_line(held);
    let n = len.min(line.len());
    line[..n].copy_from_slice(&held[start..start + n]);
    LogEntry {
        line_len: n,
        status,
        sent: 0,
    }
}

impl Writing {
    fn write(&mut self, link: &mut Link, resp: &[u8], line: &[u8], sh: &mut Services) -> Step {
        let len = self.ex.len;
        let io = match self.body.as_mut() {
            Some(b) if self.sent == 0 => {
                b.send_with_head(&mut link.transport, &resp[..len], &sh.files, &mut sh.scratch)
            }
            Some(_) => Some(link.transport.send(&resp[self.sent..len], Segment::More)),
            None => Some(link.transport.send(&resp[self.sent..len], Segment::Last)),
        };
        match io {
            Some(Io::Done(n)) => {
                // Bytes past the head were body bytes sent along with it.
                let body_sent = (self.sent + n).saturating_sub(len);
                self.sent += n - body_sent;
                self.ex.log.sent += body_sent as u64;
                self.deadline = sh.now + sh.cfg.write_timeout;
                if self.sent < len {
                    return Step::Again;
                }
                self.ex.log.sent += self.ex.inline_body as u64;
                match self.body.take() {
                    Some(body) if !body.is_sent() => Step::To(State::Sending(Sending {
                        ex: self.ex,
                        body,
                        deadline: sh.now + sh.cfg.write_timeout,
                    })),
                    Some(_) | None => finish(self.ex, link, line, sh),
                }
            }
            Some(Io::WouldBlock) => Step::Wait,
            // The peer is gone, or the loan went stale (the file cache's rule broken).
            Some(Io::Closed) | None => Step::Close,
        }
    }
}

impl Sending {
    fn send(&mut self, link: &mut Link, line: &[u8], sh: &mut Services) -> Step {
        match self.body.send_chunk(&mut link.transport, &sh.files, &mut sh.scratch) {
            // The file ended before the length we announced: it shrank. The
            // response cannot be completed; close instead of spinning.
            Some(Io::Done(0)) => Step::Close,
            Some(Io::Done(n)) => {
                self.ex.log.sent += n as u64;
                self.deadline = sh.now + sh.cfg.write_timeout;
                if self.body.is_sent() {
                    return finish(self.ex, link, line, sh);
                }
                // One chunk per wake-up: let the other connections have a turn.
                Step::Wait
            }
            Some(Io::WouldBlock) => Step::Wait,
            Some(Io::Closed) | None => Step::Close,
        }
    }
}

/// The response is complete: log it, then keep the connection for the next
/// request (pipelined bytes wait in the small buffer) or close it.
fn finish(ex: Exchange, link: &mut Link, line: &[u8], sh: &mut Services) -> Step {
    write_log(link.peer, ex.log, line, sh);
    if ex.then == Connection::Close || sh.draining {
        // Half-close so the response is delivered, then drain (RFC 9112 §9.6).
        link.transport.shutdown_write();
        link.input.release(&mut sh.pool);
        return Step::To(State::Closing(Closing {
            deadline: sh.now + LINGER,
        }));
    }
    if !link.input.is_empty() {
        // A pipelined request is already here: answer it now, in a turn of its
        // own (filecache.rs: it may have been sent after poll returned).
        sh.files.new_turn();
        return Step::To(State::Reading(Reading {
            deadline: sh.now + sh.cfg.header_timeout,
        }));
    }
    // The next request has rarely arrived yet: wait for poll instead of a
    // recv that would only say EAGAIN (one syscall less per request).
    Step::Rest(State::Reading(Reading {
        deadline: sh.now + sh.cfg.idle_timeout,
    }))
}

/// `Closing`: reads and drops whatever the client still sends.
fn drain(link: &mut Link, small: &mut [u8]) -> Step {
    loop {
        match link.transport.recv(small) {
            Io::Done(_) => continue,
            Io::WouldBlock => return Step::Wait,
            Io::Closed => return Step::Close,
        }
    }
}

fn write_log(peer: IpAddr, entry: LogEntry, line: &[u8], sh: &Services) {
    if !sh.log.enabled() {
        return;
    }
    let line = &line[..entry.line_len.min(line.len())];
    sh.log.write(peer, &sh.date.clf, line, entry.status, entry.sent);
}
