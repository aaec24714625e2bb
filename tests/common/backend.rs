//! A scripted HTTP/1.1 backend for the proxy tests (std only): a `TcpListener` on
//! `127.0.0.1:0` with one thread per backend connection. Each connection's request is read
//! (head up to its blank line, then the Content-Length body, nothing more), recorded as
//! [`Received`] exactly as the bytes arrived, and then the test's handler answers it.
//!
//! * [`Backend::echo`]: 200 whose body is the raw request (head and body) as received.
//! * [`Backend::sink`]: the body is counted and checksummed ([`Sum`]) but not kept; 200 with
//!   `len=N sum=HEX`.
//! * [`Backend::canned`]: raw bytes written as given, then the connection is closed;
//!   [`Backend::canned_keep_open`]: the same, then held open until warden hangs up.
//! * [`Backend::silent`]: reads the request and never answers (held until warden hangs up).
//! * [`Backend::start`]: any handler.
//!
//! [`Backend::accepted`] counts connections, so "the backend saw nothing" is checked on
//! connections, not only on complete requests. [`Gate`] holds answers until a test opens it.
//! [`fill`] and [`Sum`] make and check large bodies on the fly (nothing held whole).
#![allow(dead_code)]

use super::IO_TIMEOUT;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Largest request head the backend reads (warden's own limit is far lower).
const MAX_HEAD: usize = 1 << 20;

/// One request as the backend received it.
#[derive(Clone, Default)]
pub struct Received {
    /// The head, exactly as received, through its blank line.
    pub head: Vec<u8>,
    /// The body bytes (empty when the backend does not keep bodies).
    pub body: Vec<u8>,
    /// Body bytes received (at most the announced Content-Length).
    pub body_len: u64,
    /// [`Sum`] of the body bytes received.
    pub body_sum: u64,
    /// The announced Content-Length (0 when absent or unparsable).
    pub content_length: u64,
    /// All announced body bytes arrived.
    pub complete: bool,
    /// Bytes after the body that arrived in the same reads (a second request would show here).
    pub extra: Vec<u8>,
}

impl Received {
    /// Head and body, as received.
    pub fn raw(&self) -> Vec<u8> {
        let mut v = self.head.clone();
        v.extend_from_slice(&self.body);
        v
    }

    pub fn head_text(&self) -> String {
        String::from_utf8_lossy(&self.head).into_owned()
    }

    /// The request line (without CRLF).
    pub fn request_line(&self) -> String {
        let t = self.head_text();
        t.split("\r\n").next().unwrap_or("").to_string()
    }

    /// The field lines: (lower-case name, value trimmed), in order.
    pub fn fields(&self) -> Vec<(String, String)> {
        let t = self.head_text();
        t.split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once(':') {
                Some((n, v)) => (n.to_ascii_lowercase(), v.trim().to_string()),
                None => (l.to_ascii_lowercase(), String::new()),
            })
            .collect()
    }

    pub fn count(&self, name: &str) -> usize {
        let n = name.to_ascii_lowercase();
        self.fields().iter().filter(|(k, _)| *k == n).count()
    }

    pub fn values(&self, name: &str) -> Vec<String> {
        let n = name.to_ascii_lowercase();
        self.fields()
            .into_iter()
            .filter(|(k, _)| *k == n)
            .map(|(_, v)| v)
            .collect()
    }

    pub fn value(&self, name: &str) -> Option<String> {
        self.values(name).into_iter().next()
    }
}

impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "head {:?}; body {} of {} bytes (complete: {}), sum {:016x}; extra {:?}",
            self.head_text(),
            self.body_len,
            self.content_length,
            self.complete,
            self.body_sum,
            super::show(&self.extra)
        )
    }
}

type Handler = Arc<dyn Fn(&mut TcpStream, &Received) + Send + Sync>;

/// A running backend; its accept thread ends on drop.
pub struct Backend {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    active: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend {
    /// Starts a backend whose `handler` answers each request (after it was recorded); bodies
    /// are stored when `keep_body`, otherwise only counted and summed.
    pub fn start(keep_body: bool, handler: impl Fn(&mut TcpStream, &Received) + Send + Sync + 'static) -> Backend {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind the backend");
        let addr = l.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let active = Arc::new(AtomicUsize::new(0));
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Handler = Arc::new(handler);
        let (acc, act, rec, st) = (accepted.clone(), active.clone(), seen.clone(), stop.clone());
        let thread = thread::spawn(move || {
            for conn in l.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                acc.fetch_add(1, Ordering::SeqCst);
                act.fetch_add(1, Ordering::SeqCst);
                let (act, rec, handler) = (act.clone(), rec.clone(), handler.clone());
                thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
                    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
                    let _ = conn.set_nodelay(true);
                    if let Some(r) = read_request(&mut conn, keep_body) {
                        rec.lock().unwrap().push(r.clone());
                        handler(&mut conn, &r);
                    }
                    drop(conn);
                    act.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Backend {
            addr,
            accepted,
            active,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// Answers 200 with the raw request (head and body, as received) as its body.
    pub fn echo() -> Backend {
        Backend::start(true, |s, r| {
            let raw = r.raw();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
                raw.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&raw);
        })
    }

    /// Counts and sums the body without keeping it; answers 200 `len=N sum=HEX`.
    pub fn sink() -> Backend {
        Backend::start(false, |s, r| {
            let body = format!("len={} sum={:016x}", r.body_len, r.body_sum);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body.as_bytes());
        })
    }

    /// Writes `bytes` as given, then closes.
    pub fn canned(bytes: &[u8]) -> Backend {
        let bytes = bytes.to_vec();
        Backend::start(true, move |s, _| {
            let _ = s.write_all(&bytes);
        })
    }

    /// Writes `bytes` as given, then keeps the connection open until warden closes it
    /// (bounded by twice `IO_TIMEOUT`).
    pub fn canned_keep_open(bytes: &[u8]) -> Backend {
        let bytes = bytes.to_vec();
        Backend::start(true, move |s, _| {
            if s.write_all(&bytes).is_ok() {
                hold_until_closed(s);
            }
        })
    }

    /// Reads the request and never answers; holds the connection until warden closes it
    /// (bounded by twice `IO_TIMEOUT`).
    pub fn silent() -> Backend {
        Backend::start(true, |s, _| hold_until_closed(s))
    }

    /// `PREFIX=ADDR` for `--proxy`.
    pub fn route(&self, prefix: &str) -> String {
        format!("{prefix}={}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Connections whose handler has not finished yet.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Requests recorded so far, in arrival order.
    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (at most `IO_TIMEOUT`) until `n` requests were recorded; returns them all.
    pub fn wait_seen(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            let v = self.seen();
            if v.len() >= n {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "the backend recorded {} requests, expected {n}: {v:#?}",
                v.len()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// The last request recorded (waits for at least one).
    pub fn last(&self) -> Received {
        self.wait_seen(1).pop().unwrap()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which sees the flag and ends.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads until the peer closes (or errs), at most twice `IO_TIMEOUT`.
pub fn hold_until_closed(s: &mut TcpStream) {
    let deadline = Instant::now() + 2 * IO_TIMEOUT;
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => return,
        }
    }
}

/// One request: the head through its blank line, then exactly Content-Length body bytes;
/// `None` if the peer left (or stalled) before the head was complete.
fn read_request(s: &mut TcpStream, keep_body: bool) -> Option<Received> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let end = loop {
        if let Some(p) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if got.len() > MAX_HEAD {
            return None;
        }
        match s.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    };
    let mut r = Received {
        head: got[..end].to_vec(),
        ..Received::default()
    };
    r.content_length = r
        .values("content-length")
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut sum = Sum::new();
    let mut take = |r: &mut Received, bytes: &[u8]| -> usize {
        let want = r.content_length - r.body_len;
        let n = (bytes.len() as u64).min(want) as usize;
        sum.update(&bytes[..n]);
        if keep_body {
            r.body.extend_from_slice(&bytes[..n]);
        }
        r.body_len += n as u64;
        r.extra.extend_from_slice(&bytes[n..]);
        n
    };
    take(&mut r, &got[end..]);
    while r.body_len < r.content_length {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                take(&mut r, &buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    r.complete = r.body_len == r.content_length;
    r.body_sum = sum.finish();
    Some(r)
}

// ---------------------------------------------------------------------------------------------
// A gate: answers wait until the test opens it
// ---------------------------------------------------------------------------------------------

/// Handlers `wait` on it (at most `IO_TIMEOUT`) until the test calls `open`.
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    pub fn open(&self) {
        let (m, c) = &*self.0;
        *m.lock().unwrap() = true;
        c.notify_all();
    }

    pub fn wait(&self) {
        let (m, c) = &*self.0;
        let deadline = Instant::now() + IO_TIMEOUT;
        let mut open = m.lock().unwrap();
        while !*open {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            open = c.wait_timeout(open, left).unwrap().0;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Large bodies on the fly
// ---------------------------------------------------------------------------------------------

/// Word `k` of the test pattern (8 bytes, little-endian in the stream): differs at every
/// offset, so a lost, repeated or reordered piece changes the [`Sum`].
fn word(k: u64) -> u64 {
    (k + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (k >> 7)
}

/// Fills `buf` with the pattern's bytes from stream offset `offset`.
pub fn fill(offset: u64, buf: &mut [u8]) {
    let mut i = 0usize;
    let mut off = offset;
    // Up to the next word boundary, byte by byte.
    while i < buf.len() && off % 8 != 0 {
        buf[i] = word(off / 8).to_le_bytes()[(off % 8) as usize];
        i += 1;
        off += 1;
    }
    let mut k = off / 8;
    let mut words = buf[i..].chunks_exact_mut(8);
    for w in &mut words {
        w.copy_from_slice(&word(k).to_le_bytes());
        k += 1;
    }
    let rest = words.into_remainder();
    let n = rest.len();
    rest.copy_from_slice(&word(k).to_le_bytes()[..n]);
}

/// A checksum of a byte stream, fed in pieces of any size (8-byte words, position-mixed).
pub struct Sum {
    h: u64,
    len: u64,
    pending: [u8; 8],
    npending: usize,
}

impl Default for Sum {
    fn default() -> Self {
        Sum::new()
    }
}

impl Sum {
    pub fn new() -> Sum {
        Sum {
            h: 0xcbf2_9ce4_8422_2325,
            len: 0,
            pending: [0; 8],
            npending: 0,
        }
    }

    fn mix(&mut self, w: u64) {
        self.h = (self.h ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }

    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.npending > 0 {
            let n = (8 - self.npending).min(bytes.len());
            self.pending[self.npending..self.npending + n].copy_from_slice(&bytes[..n]);
            self.npending += n;
            bytes = &bytes[n..];
            if self.npending < 8 {
                return;
            }
            let w = u64::from_le_bytes(self.pending);
            self.mix(w);
            self.npending = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes(w.try_into().unwrap()));
        }
        let rest = words.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.npending = rest.len();
    }

    pub fn finish(mut self) -> u64 {
        if self.npending > 0 {
            let mut last = [0u8; 8];
            last[..self.npending].copy_from_slice(&self.pending[..self.npending]);
            self.mix(u64::from_le_bytes(last) ^ 0xff);
        }
        let len = self.len;
        self.mix(len);
        self.h
    }

    /// The sum of `len` pattern bytes from offset 0 (generated in pieces).
    pub fn of_pattern(len: u64) -> u64 {
        let mut s = Sum::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut off = 0u64;
        while off < len {
            let n = ((len - off) as usize).min(buf.len());
            fill(off, &mut buf[..n]);
            s.update(&buf[..n]);
            off += n as u64;
        }
        s.finish()
    }

    pub fn of(bytes: &[u8]) -> u64 {
        let mut s = Sum::new();
        s.update(bytes);
        s.finish()
    }
}
