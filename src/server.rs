//! The poll loop: a fixed connection table, deadlines, accept, shutdown.
//!
//! One thread. Every iteration reads the clock once, handles what poll
//! reported, closes what expired, and polls again with the earliest deadline
//! as timeout. Knows no HTTP: connections do that (`conn.rs`).

use crate::access_log::AccessLog;
use crate::auth::Logins;
use crate::bufs::Buffers;
use crate::clock::{self, Instant};
use crate::config::ServeConfig;
use crate::conn::{Conn, Fate, Interest, SlotBufs};
use crate::date::unix_now;
use crate::io::{self, Segment};
use crate::limits::{
    ACCEPT_BACKOFF, ACCEPT_BATCH, HEAD_BUF_SMALL, LARGE_HEAD_BUFS, MAX_CONNECTIONS, REQUEST_LINE_BUF,
    RESPONSE_HEAD_CAP, SHUTDOWN_GRACE, VERIFY_SLICE,
};
use crate::listen::{Accepted, Reserve};
use crate::response;
use crate::services::Services;
use crate::transport::Transport;
use nix::libc;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// Everything the loop owns; allocated once in `new`. The table and the
/// poll list grow by push within the capacity reserved here, never beyond.
pub struct Server {
    /// What the connections share, lent to one per call.
    services: Services,
    listeners: Vec<TcpListener>,
    /// The control descriptor: a signalfd in the binary (SIGTERM/SIGINT stop,
    /// SIGHUP is logged, SIGUSR1 asks for the status line), a pipe in tests
    /// (anything readable on it means stop). See `read_control`.
    stop: OwnedFd,
    reserve: Reserve,
    /// The table: grows by push up to `slots` (within its capacity, so without
    /// reallocating), so entries never used are never touched (not resident).
    conns: Vec<Option<Conn>>,
    /// Slots used before and free again.
    free: Vec<usize>,
    slots: usize,
    small: Buffers,
    resp: Buffers,
    /// Each slot's copy of the request line it is answering (access log).
    line: Buffers,
    pollfds: Vec<libc::pollfd>,
    /// For each pollfd after the fixed ones, the slot it belongs to.
    poll_slots: Vec<usize>,
    accept_paused_until: Instant,
    /// Set when shutdown began: the time by which the loop ends regardless.
    drain_deadline: Option<Instant>,
    /// Listeners from this index on are HTTPS (`--listen-tls`).
    first_tls: usize,
    /// The TLS configuration and buffers, with `--listen-tls`.
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::Tls>,
    /// Some connection holds input its transport decrypted ahead: the next
    /// poll does not sleep, and that connection runs whatever poll says.
    input_waiting: bool,
}

/// Why a connection's state machine runs.
#[derive(Clone, Copy)]
enum Wake {
    /// poll reported its socket (or a verification it waits for advanced).
    Ready,
    /// Its deadline passed.
    Deadline,
}

/// pollfd entries before the connections: the stop descriptor, then listeners.
const STOP_INDEX: usize = 0;

impl Server {
    /// Builds the server with all its memory: buffers are allocated zeroed, so
    /// their pages are not touched (and not resident) until a connection uses them.
    pub fn new(
        cfg: ServeConfig,
        root: OwnedFd,
        listeners: Vec<TcpListener>,
        stop: OwnedFd,
        access_log: AccessLog,
        logins: Logins,
    ) -> Server {
        let slots = cfg.max_connections.clamp(1, MAX_CONNECTIONS);
        let reserve = Reserve::new(&root);
        let fixed = 1 + listeners.len();
        let now = clock::now();
        Server {
            services: Services {
                logins,
                ..Services::new(cfg, root, access_log, now, unix_now())
            },
            conns: Vec::with_capacity(slots),
            free: Vec::with_capacity(slots),
            slots,
            small: Buffers::new(slots, HEAD_BUF_SMALL),
            resp: Buffers::new(slots, RESPONSE_HEAD_CAP),
            line: Buffers::new(slots, REQUEST_LINE_BUF),
            pollfds: Vec::with_capacity(fixed + slots),
            poll_slots: Vec::with_capacity(slots),
            accept_paused_until: now,
            drain_deadline: None,
            first_tls: listeners.len(),
            #[cfg(feature = "tls")]
            tls: None,
            input_waiting: false,
            listeners,
            stop,
            reserve,
        }
    }

    /// Adds HTTPS listeners and the TLS configuration their connections use.
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, listeners: Vec<TcpListener>, tls: crate::tls::Tls) -> Server {
        self.pollfds.reserve_exact(listeners.len());
        self.first_tls = self.listeners.len();
        self.listeners.extend(listeners);
        self.tls = Some(tls);
        self
    }

    /// Connections open now.
    pub fn active(&self) -> usize {
        self.conns.len() - self.free.len()
    }

    /// A free slot: one used before, or the next never-used one; `None` when full.
    fn take_slot(&mut self) -> Option<usize> {
        if let Some(slot) = self.free.pop() {
            return Some(slot);
        }
        if self.conns.len() < self.slots {
            self.conns.push(None);
            return Some(self.conns.len() - 1);
        }
        None
    }

    /// Serves until the stop descriptor becomes readable and the responses in
    /// flight have finished (or `SHUTDOWN_GRACE_MS` passed).
    pub fn run(&mut self) -> std::io::Result<()> {
        let mut ready = false;
        loop {
            let now = clock::now();
            self.services.now = now;
            self.services.date.update(unix_now());
            if ready {
                self.services.files.new_turn();
                self.dispatch(now);
            }
            self.verify(now);
            self.expire(now);
            // Between calls no connection holds a loan (filecache.rs, Lending:
            // a response that waits for poll has its own dup), so closing is safe.
            self.services.files.expire(now);
            if let Some(deadline) = self.drain_deadline {
                if self.active() == 0 || now >= deadline {
                    return Ok(());
                }
            }
            let timeout = self.build_pollfds(now);
            // SAFETY: `pollfds` is a live, initialised Vec of `pollfd`, and its
            // length is passed as the count; poll only writes `revents`.
            let n = unsafe { libc::poll(self.pollfds.as_mut_ptr(), self.pollfds.len() as libc::nfds_t, timeout) };
            if n < 0 {
                let err = std::io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(libc::EINTR) => {}
                    // More descriptors polled than RLIMIT_NOFILE allows (the limit was
                    // lowered from outside): shed connections instead of dying.
                    Some(libc::EINVAL) => self.shed(clock::now()),
                    _ => return Err(err),
                }
            }
            ready = n > 0 || self.input_waiting;
        }
    }

    /// Fills `pollfds` for this iteration and returns the poll timeout in ms.
    fn build_pollfds(&mut self, now: Instant) -> i32 {
        self.pollfds.clear();
        self.poll_slots.clear();
        let draining = self.drain_deadline.is_some();
        let mut next = self.drain_deadline.unwrap_or(Instant::NEVER);
        // Cached files are closed TTL after their walk; nothing cached: no wake-up.
        next = next.min(self.services.files.next_expiry().unwrap_or(Instant::NEVER));
        let entry = |fd: i32, events: i16| libc::pollfd { fd, events, revents: 0 };
        // A negative fd is ignored by poll: that is how a source is switched off.
        let stop_fd = if draining { -1 } else { self.stop.as_raw_fd() };
        self.pollfds.push(entry(stop_fd, libc::POLLIN));
        let accepting = !draining && now >= self.accept_paused_until;
        if !accepting && !draining {
            next = next.min(self.accept_paused_until);
        }
        // With every TLS buffer lent, a TLS client waits in the listen backlog
        // until a connection ends, rather than being accepted and closed.
        let tls_full = self.tls_full();
        for (i, l) in self.listeners.iter().enumerate() {
            let fd = if accepting && !(tls_full && i >= self.first_tls) {
                l.as_raw_fd()
            } else {
                -1
            };
            self.pollfds.push(entry(fd, libc::POLLIN));
        }
        self.input_waiting = false;
        for (slot, conn) in self.conns.iter().enumerate() {
            if let Some(conn) = conn {
                let (interest, deadline) = conn.interest();
                let mut events = match interest {
                    Interest::Read => libc::POLLIN,
                    Interest::Write => libc::POLLOUT,
                    Interest::Nothing => 0,
                };
                if conn.wants_write() {
                    events |= libc::POLLOUT;
                }
                self.input_waiting |= conn.has_input();
                self.pollfds.push(entry(conn.fd().as_raw_fd(), events));
                self.poll_slots.push(slot);
                next = next.min(deadline);
            }
        }
        if self.services.logins.in_progress() || self.input_waiting {
            // A verification advances a slice per turn, and input held by a
            // transport needs no wake-up: poll without sleeping.
            return 0;
        }
        if next == Instant::NEVER {
            return -1;
        }
        (next - now).poll_timeout()
    }

    /// Handles what the last poll reported.
    fn dispatch(&mut self, now: Instant) {
        let fixed = 1 + self.listeners.len();
        if self.pollfds[STOP_INDEX].revents != 0 && self.drain_deadline.is_none() {
            match read_control(&self.stop) {
                Control::Stop => {
                    self.begin_drain(now);
                    return;
                }
                Control::Reload => {
                    log::warn!("SIGHUP: nothing to reload; restart warden to apply changes")
                }
                Control::Status => self.log_status(now),
                Control::Nothing => {}
            }
        }
        // Connections before listeners: a client that closed and reconnects at
        // once finds its old slot (and TLS buffer) free, not a full table.
        for k in 0..self.poll_slots.len() {
            let slot = self.poll_slots[k];
            let held = self.input_waiting && self.conns[slot].as_ref().is_some_and(Conn::has_input);
            if self.pollfds[fixed + k].revents == 0 && !held {
                continue;
            }
            self.drive(slot, Wake::Ready);
        }
        for i in 0..self.listeners.len() {
            if self.pollfds.get(1 + i).is_some_and(|p| p.revents != 0) {
                self.accept_from(i, now);
            }
        }
    }

    /// Runs one connection's state machine (poll reported its socket, or
    /// its deadline passed) and frees its slot if it ended.
    fn drive(&mut self, slot: usize, wake: Wake) {
        let Some(conn) = self.conns[slot].as_mut() else {
            return;
        };
        let bufs = SlotBufs {
            small: self.small.get_mut(slot),
            line: self.line.get_mut(slot),
            resp: self.resp.get_mut(slot),
        };
        let fate = match wake {
            Wake::Ready => conn.on_ready(bufs, &mut self.services),
            Wake::Deadline => conn.on_deadline(bufs, &mut self.services),
        };
        if fate == Fate::Closed {
            self.close(slot);
        }
    }

    /// Ends the connection in `slot` (it finished, or is given up on): it logs
    /// what it had in flight and gives back what it borrowed; the slot is free.
    fn close(&mut self, slot: usize) {
        if let Some(conn) = self.conns[slot].take() {
            let transport = conn.end(self.line.get(slot), &mut self.services);
            #[cfg(feature = "tls")]
            if let (Transport::Tls(stream), Some(tls)) = (transport, self.tls.as_mut()) {
                tls.give_back(*stream);
            }
            #[cfg(not(feature = "tls"))]
            drop(transport);
            self.free.push(slot);
        }
    }

    /// Advances the password verifications in progress by a slice each and
    /// lets the connections waiting for them look (one whose verdict came
    /// answers now).
    fn verify(&mut self, now: Instant) {
        if !self.services.logins.in_progress() {
            return;
        }
        self.services.logins.advance(VERIFY_SLICE, now);
        for slot in 0..self.conns.len() {
            if self.conns[slot].as_ref().is_some_and(Conn::is_verifying) {
                self.drive(slot, Wake::Ready);
            }
        }
    }

    /// Lets every connection whose deadline has passed act on it (a proxied
    /// request answers 504), or closes it.
    fn expire(&mut self, now: Instant) {
        for slot in 0..self.conns.len() {
            if self.conns[slot].as_ref().is_some_and(|c| c.interest().1 <= now) {
                self.drive(slot, Wake::Deadline);
            }
        }
    }

    /// Every TLS buffer is lent (`--max-tls-connections` open).
    fn tls_full(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.as_ref().is_some_and(crate::tls::Tls::is_full);
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Accepts up to `ACCEPT_BATCH` connections from listener `i`; from a TLS
    /// listener only while a TLS buffer is free (the rest wait in the backlog).
    fn accept_from(&mut self, i: usize, now: Instant) {
        for _ in 0..ACCEPT_BATCH {
            if i >= self.first_tls && self.tls_full() {
                return;
            }
            match self.reserve.accept(&self.listeners[i]) {
                Accepted::Stream(stream, peer) => match self.take_slot() {
                    Some(slot) => {
                        let Some(transport) = self.transport(i, stream) else {
                            self.free.push(slot);
                            continue;
                        };
                        self.conns[slot] = Some(Conn::new(transport, peer, now, &self.services.cfg));
                        // The request often arrives with the handshake: try it now,
                        // in a turn of its own (filecache.rs: it may postdate poll).
                        self.services.files.new_turn();
                        self.drive(slot, Wake::Ready);
                    }
                    // HTTPS: nothing can be said before a handshake; just close.
                    None if i >= self.first_tls => drop(stream),
                    None => self.refuse(stream),
                },
                Accepted::Empty => return,
                Accepted::Retry => continue,
                Accepted::OutOfDescriptors => {
                    let ms = ACCEPT_BACKOFF.millis();
                    log::warn!("out of file descriptors: not accepting for {ms} ms");
                    self.accept_paused_until = now + ACCEPT_BACKOFF;
                    return;
                }
            }
        }
    }

    /// The transport for a connection accepted on listener `i`; `None` when
    /// rustls refuses to start one (the socket closes: nothing can be said
    /// before a handshake).
    fn transport(&mut self, i: usize, stream: TcpStream) -> Option<Transport> {
        if i < self.first_tls {
            return Some(Transport::Plain(stream));
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.as_mut() {
            let stream = tls.accept(stream);
            if stream.is_none() {
                log::warn!("tls: a new connection could not be set up; closed");
            }
            return stream.map(|s| Transport::Tls(Box::new(s)));
        }
        None
    }

    /// The table is full: answer 503 with Retry-After and close, without a slot.
    /// Best effort: one nonblocking send; input is read first so that closing
    /// does not turn into a reset that destroys the response.
    fn refuse(&self, stream: TcpStream) {
        let mut buf = [0u8; RESPONSE_HEAD_CAP];
        let len = response::refusal(&mut buf, &self.services.date.imf, &self.services.cfg.headers);
        let mut sink = [0u8; 512];
        let _ = io::recv(stream.as_fd(), &mut sink);
        let _ = io::send(stream.as_fd(), &buf[..len], Segment::Last);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let _ = io::recv(stream.as_fd(), &mut sink);
    }

    /// poll refused the descriptor count: close the idle connections (all of them
    /// if none is idle) and pause accepting, so the next poll fits the limit.
    fn shed(&mut self, now: Instant) {
        let idle = self.conns.iter().flatten().filter(|c| c.is_idle()).count();
        log::warn!("poll: too many descriptors for RLIMIT_NOFILE; closing {idle} idle connections");
        for slot in 0..self.conns.len() {
            if self.conns[slot].as_ref().is_some_and(|c| idle == 0 || c.is_idle()) {
                self.close(slot);
            }
        }
        self.accept_paused_until = now + ACCEPT_BACKOFF;
    }

    /// SIGUSR1's one line: what the fixed capacities hold now. Printed even when
    /// the log level hides info (the operator asked for it).
    fn log_status(&self, now: Instant) {
        let s = &self.services;
        let level = if log::log_enabled!(log::Level::Info) {
            log::Level::Info
        } else {
            log::Level::Warn
        };
        #[cfg(feature = "tls")]
        let tls = self.tls.as_ref().map(|t| (t.in_use(), t.cap()));
        #[cfg(not(feature = "tls"))]
        let tls: Option<(usize, usize)> = None;
        let tls = tls.map_or(String::new(), |(used, cap)| {
            format!(", {used} of {cap} TLS connections")
        });
        log::log!(
            level,
            "status: {} of {} connections in use{tls}, {} of {} large head buffers lent, {} files cached, \
             {} proxied requests, {} log lines dropped, {} addresses' logins throttled",
            self.active(),
            self.slots,
            LARGE_HEAD_BUFS - s.pool.available(),
            LARGE_HEAD_BUFS,
            s.files.open_files(),
            s.upstreams.in_use(),
            crate::sink::dropped_total(),
            s.logins.throttled(now),
        );
    }

    /// Stops accepting and lets the responses in flight finish.
    fn begin_drain(&mut self, now: Instant) {
        log::info!("shutting down: finishing responses in flight");
        self.drain_deadline = Some(now + SHUTDOWN_GRACE);
        self.services.draining = true;
        self.listeners.clear();
        for slot in 0..self.conns.len() {
            if self.conns[slot]
                .as_ref()
                .is_some_and(|c| c.begin_drain() == Fate::Closed)
            {
                self.close(slot);
            }
        }
    }
}

/// What the control descriptor said.
enum Control {
    /// SIGTERM, SIGINT, or (a pipe in tests) any byte or end of file.
    Stop,
    /// SIGHUP: nothing is reloaded (warden reads its configuration once, before
    /// the jail, where it could not read it again).
    Reload,
    /// SIGUSR1: log the status line.
    Status,
    /// Nothing to read after all.
    Nothing,
}

/// Reads one record from the control descriptor: a `signalfd_siginfo` from a
/// signalfd; from a pipe (tests), whatever was written.
fn read_control(fd: &OwnedFd) -> Control {
    // SAFETY: an all-zero signalfd_siginfo is a valid value (plain integers).
    let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::signalfd_siginfo>();
    // SAFETY: reads at most `size` bytes into `info`, which is that large.
    let n = unsafe { libc::read(fd.as_raw_fd(), (&mut info as *mut libc::signalfd_siginfo).cast(), size) };
    if n < 0 {
        return match std::io::Error::last_os_error().kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted => Control::Nothing,
            _ => Control::Stop,
        };
    }
    if n as usize != size {
        return Control::Stop;
    }
    match info.ssi_signo as i32 {
        libc::SIGHUP => Control::Reload,
        libc::SIGUSR1 => Control::Status,
        _ => Control::Stop,
    }
}
