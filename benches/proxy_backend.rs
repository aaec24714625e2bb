//! Backend for `benches/run --proxy`: the one small, fast HTTP/1.1 server that warden,
//! nginx and lighttpd all proxy to (and that wrk also loads directly, as context).
//! Rust std only. Threads are pooled: each waits in `accept`, serves its connection to
//! the end (keep-alive) and goes back to `accept`; the last idle thread to take a
//! connection starts another first, so the pool grows to the connections in flight
//! and no thread is started per request once it has.
//!
//! Usage: proxy_backend [ADDR:PORT] [SLOW_MS]   (default 127.0.0.1:0 and 2000)
//!
//! Prints `listening on http://ADDR` like warden. Answers:
//!
//! - `GET /api/status`: 200, a fixed JSON body of 200 bytes, with Content-Length;
//! - `GET /api/slow`: the same after SLOW_MS milliseconds (the held requests);
//! - `GET /api/held`: 200 `{"held": N}`, N the `/api/slow` requests asleep now;
//! - anything else: 404. HEAD gets the head alone.
//!
//! Keep-alive unless the request says `Connection: close` (or is HTTP/1.0 without
//! `Connection: keep-alive`); a request body (Content-Length) is read and dropped.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// What `GET /api/status` answers: 200 bytes, like a small router status API.
const STATUS_BODY: &[u8] = br#"{"hostname":"bench-router","uptime_s":86400012,"load":[0.08,0.03,0.01],"mem_total_kib":126976,"mem_available_kib":84512,"user":null,"settings_saved":0,"wan_up":true,"clients":12345,"fw":"1.0.0-bench"}"#;
const _: () = assert!(STATUS_BODY.len() == 200);

const HEAD_MAX: usize = 8192;
const IDLE: Duration = Duration::from_secs(60);
const STACK: usize = 64 * 1024;
const FIRST_THREADS: usize = 4;

struct Shared {
    listener: TcpListener,
    slow: Duration,
    /// Threads waiting in `accept`.
    idle: AtomicUsize,
    /// `/api/slow` requests asleep now.
    held: AtomicUsize,
}

fn spawn_worker(shared: &Arc<Shared>) -> io::Result<()> {
    let shared = Arc::clone(shared);
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || worker(&shared))
        .map(|_| ())
}

fn worker(shared: &Arc<Shared>) {
    loop {
        shared.idle.fetch_add(1, Ordering::SeqCst);
        let accepted = shared.listener.accept();
        if shared.idle.fetch_sub(1, Ordering::SeqCst) == 1 {
            // The last one waiting: another waits before this one gets busy.
            if let Err(e) = spawn_worker(shared) {
                eprintln!("proxy_backend: cannot start a thread: {e}");
            }
        }
        match accepted {
            Ok((stream, _)) => {
                let _ = serve(stream, shared);
            }
            Err(e) => {
                eprintln!("proxy_backend: accept: {e}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// One request's head, as far as this server cares.
struct Head {
    head_only: bool,
    path: Vec<u8>,
    keep_alive: bool,
    body: usize,
    len: usize,
}

fn find_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn parse(buf: &[u8], len: usize) -> Option<Head> {
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    let mut lines = text.split("\r\n");
    let mut words = lines.next()?.split(' ');
    let (method, target, version) = (words.next()?, words.next()?, words.next()?);
    let mut keep_alive = version == "HTTP/1.1";
    let mut body = 0;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case("keep-alive") {
                    keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            body = value.parse().ok()?;
        }
    }
    let path = target.split('?').next().unwrap_or("").as_bytes().to_vec();
    Some(Head {
        head_only: method == "HEAD",
        path,
        keep_alive,
        body,
        len,
    })
}

/// One whole response in one write: head (and body unless `head_only`).
fn respond(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    status: &str,
    body: &[u8],
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    out.clear();
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_bytes());
    out.extend_from_slice(b"\r\nContent-Type: application/json\r\nContent-Length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    if !keep_alive {
        out.extend_from_slice(b"\r\nConnection: close");
    }
    out.extend_from_slice(b"\r\n\r\n");
    if !head_only {
        out.extend_from_slice(body);
    }
    stream.write_all(out)
}

fn serve(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut buf = vec![0u8; HEAD_MAX];
    let mut out = Vec::with_capacity(512);
    let mut filled = 0;
    loop {
        let end = loop {
            if let Some(end) = find_end(&buf[..filled]) {
                break end;
            }
            if filled == buf.len() {
                return Err(io::Error::other("request head too long"));
            }
            let n = stream.read(&mut buf[filled..])?;
            if n == 0 {
                return Ok(());
            }
            filled += n;
        };
        let Some(head) = parse(&buf, end) else {
            return respond(&mut stream, &mut out, "400 Bad Request", b"{}", false, false);
        };
        // Drop the body: what is buffered, then the rest from the socket.
        let buffered = (filled - head.len).min(head.body);
        buf.copy_within(head.len + buffered..filled, 0);
        filled -= head.len + buffered;
        let mut rest = head.body - buffered;
        while rest > 0 {
            // Only body bytes are left to read (filled is 0 here): read no further.
            let n = stream.read(&mut buf[..rest.min(HEAD_MAX)])?;
            if n == 0 {
                return Ok(());
            }
            rest -= n;
        }
        let held;
        let (status, body): (&str, &[u8]) = match head.path.as_slice() {
            b"/api/status" => ("200 OK", STATUS_BODY),
            b"/api/slow" => {
                shared.held.fetch_add(1, Ordering::SeqCst);
                thread::sleep(shared.slow);
                shared.held.fetch_sub(1, Ordering::SeqCst);
                ("200 OK", STATUS_BODY)
            }
            b"/api/held" => {
                held = format!("{{\"held\": {}}}", shared.held.load(Ordering::SeqCst));
                ("200 OK", held.as_bytes())
            }
            _ => ("404 Not Found", b"{\"error\": \"not found\"}"),
        };
        respond(&mut stream, &mut out, status, body, head.keep_alive, head.head_only)?;
        if !head.keep_alive {
            return Ok(());
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() > 2 || args.iter().any(|a| a.starts_with('-')) {
        eprintln!("usage: proxy_backend [ADDR:PORT] [SLOW_MS]");
        return ExitCode::from(2);
    }
    let addr = args.first().map_or("127.0.0.1:0", String::as_str);
    let slow = match args.get(1).map(|s| s.parse::<u64>()) {
        None => Duration::from_millis(2000),
        Some(Ok(ms)) => Duration::from_millis(ms),
        Some(Err(_)) => {
            eprintln!("proxy_backend: SLOW_MS: not a number of milliseconds");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("proxy_backend: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(a) => println!("listening on http://{a}"),
        Err(e) => eprintln!("proxy_backend: {e}"),
    }
    let _ = io::stdout().flush();
    let shared = Arc::new(Shared {
        listener,
        slow,
        idle: AtomicUsize::new(0),
        held: AtomicUsize::new(0),
    });
    for _ in 0..FIRST_THREADS {
        if let Err(e) = spawn_worker(&shared) {
            eprintln!("proxy_backend: cannot start a thread: {e}");
            return ExitCode::FAILURE;
        }
    }
    // The main thread only waits; the workers run until the process is signalled.
    loop {
        thread::park();
    }
}
