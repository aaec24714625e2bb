//! No heap allocation per request after start-up (issue: fixed memory).
//!
//! A counting global allocator counts allocations made on the server's thread
//! only. The server runs in-process; after a warm-up, 1,200 requests of every
//! kind (keep-alive and not; 200, 304, 206, 404, 301, 400, HEAD, gzip,
//! pipelined, a large head that borrows a large buffer, proxied requests and
//! bodies, a backend that is down) must not allocate, their access lines sent
//! to a syslog socket (`--syslog`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use warden::access_log::AccessLog;
use warden::auth::{Logins, credentials};
use warden::config::{HostPolicy, ServeConfig};
use warden::proxy::{ProxyConfig, Route};
use warden::server::Server;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: delegates every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn temp_root() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("warden-alloc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("index.html"), b"<h1>hello</h1>\n").unwrap();
    std::fs::write(dir.join("app.js"), vec![b'x'; 10_000]).unwrap();
    std::fs::write(dir.join("app.js.gz"), vec![b'z'; 300]).unwrap();
    std::fs::write(dir.join("sub/index.html"), b"sub\n").unwrap();
    std::fs::create_dir_all(dir.join("admin")).unwrap();
    std::fs::write(dir.join("admin/index.html"), b"admin\n").unwrap();
    dir
}

/// A client connection that keeps bytes read past one response for the next.
struct Client {
    s: TcpStream,
    pending: Vec<u8>,
}

/// Sends `req` and reads one response; returns (status, the whole response).
fn exchange(c: &mut Client, req: &[u8], head: bool) -> (u16, Vec<u8>) {
    c.s.write_all(req).unwrap();
    read_response(c, head)
}

fn read_response(c: &mut Client, head: bool) -> (u16, Vec<u8>) {
    let mut got = std::mem::take(&mut c.pending);
    let mut buf = [0u8; 16384];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&got[..end]).to_string();
            let status: u16 = text[9..12].parse().unwrap();
            let len = text
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map_or(0, |v| v.parse::<usize>().unwrap());
            let mut body = if head || status == 304 { 0 } else { len };
            if text.contains("Transfer-Encoding: chunked") {
                // The test backend's chunked bodies end in the first last-chunk.
                match got[end + 4..].windows(5).position(|w| w == b"0\r\n\r\n") {
                    Some(p) => body = p + 5,
                    None => body = usize::MAX / 2,
                }
            }
            if got.len() >= end + 4 + body {
                c.pending = got.split_off(end + 4 + body);
                return (status, got);
            }
        }
        let n =
            c.s.read(&mut buf)
                .unwrap_or_else(|e| panic!("{e} after {:?}", String::from_utf8_lossy(&got)));
        assert!(n > 0, "server closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
}

fn connect(addr: SocketAddr) -> Client {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    Client { s, pending: Vec::new() }
}

/// A backend on its own threads (not counted): reads a head and its
/// Content-Length body, answers `/api/chunked` chunked, everything else with
/// a Content-Length body, then closes (warden asked `Connection: close`).
fn backend() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut got = Vec::new();
                let mut buf = [0u8; 4096];
                let end = loop {
                    if let Some(p) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                        break p + 4;
                    }
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |v| v.trim().parse().unwrap());
                while got.len() < end + len {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let resp: &[u8] = if head.starts_with("get /api/chunked") {
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                } else {
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"
                };
                let _ = s.write_all(resp);
            });
        }
    });
    addr
}

/// `admin:Hello world!` may see /admin (SHA-crypt's published $6$ test vector).
fn logins() -> Logins {
    let hash = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
    let creds = credentials::parse(&format!("admin:{hash}\n"), |_| Err(String::new())).unwrap();
    Logins::new(Some(creds), vec![b"/admin".to_vec()], [5; 32])
}

/// Rounds so far (varies one request's Authorization value).
static ROUND: AtomicUsize = AtomicUsize::new(0);

/// One round of every kind of request; returns how many were sent.
fn round(addr: SocketAddr, etag: &str) -> usize {
    let mut n = 0;
    let mut ka = connect(addr);
    let r = ROUND.fetch_add(1, Ordering::SeqCst);
    let mut cases: Vec<(String, bool, u16)> = vec![
        ("GET / HTTP/1.1\r\nHost: router.lan\r\n\r\n".into(), false, 200),
        ("HEAD /app.js HTTP/1.1\r\nHost: router.lan\r\n\r\n".into(), true, 200),
        (
            "GET /app.js HTTP/1.1\r\nHost: router.lan\r\nRange: bytes=10-99\r\n\r\n".into(),
            false,
            206,
        ),
        (
            format!("GET /index.html HTTP/1.1\r\nHost: router.lan\r\nIf-None-Match: {etag}\r\n\r\n"),
            false,
            304,
        ),
        ("GET /missing HTTP/1.1\r\nHost: router.lan\r\n\r\n".into(), false, 404),
        ("GET /sub HTTP/1.1\r\nHost: router.lan\r\n\r\n".into(), false, 301),
        (
            "GET /app.js HTTP/1.1\r\nHost: router.lan\r\nAccept-Encoding: gzip\r\n\r\n".into(),
            false,
            200,
        ),
        (
            format!(
                "GET /sub/ HTTP/1.1\r\nHost: router.lan\r\nCookie: {}\r\n\r\n",
                "c".repeat(3000)
            ),
            false,
            200,
        ),
        (
            "GET /app.js HTTP/1.1\r\nHost: router.lan\r\nRange: bytes=99999-\r\n\r\n".into(),
            false,
            416,
        ),
        // A login: verified in slices in the warm-up round, then a cached success.
        (
            "GET /admin/ HTTP/1.1\r\nHost: router.lan\r\nAuthorization: Basic YWRtaW46SGVsbG8gd29ybGQh\r\n\r\n".into(),
            false,
            200,
        ),
        ("GET /admin/ HTTP/1.1\r\nHost: router.lan\r\n\r\n".into(), false, 401),
        // The right password under an Authorization value not seen for 20 rounds
        // (the spaces after "Basic" vary; 16 cache entries): a whole verification.
        (
            format!(
                "GET /admin/ HTTP/1.1\r\nHost: router.lan\r\nAuthorization: Basic{}YWRtaW46SGVsbG8gd29ybGQh\r\n\r\n",
                " ".repeat(1 + r % 20)
            ),
            false,
            200,
        ),
    ];
    // Proxied: a GET, a POST with a body (its Origin this device's), a
    // chunked response, and a backend that is down (502, then close).
    cases.push((
        "GET /api/status HTTP/1.1\r\nHost: router.lan\r\n\r\n".into(),
        false,
        200,
    ));
    cases.push((
        "POST /api/settings HTTP/1.1\r\nHost: router.lan\r\nOrigin: http://router.lan\r\nContent-Length: 9\r\n\r\n{\"a\":123}"
            .into(),
        false,
        200,
    ));
    cases.push((
        "GET /api/chunked HTTP/1.1\r\nHost: router.lan\r\n\r\n".into(),
        false,
        200,
    ));
    if r < 4 {
        // A wrong password: a verification and a 401 (4 of them, counted ones
        // included; a 5th failure would throttle this address).
        cases.push((
            "GET /admin/ HTTP/1.1\r\nHost: router.lan\r\nAuthorization: Basic YWRtaW46d3Jvbmc=\r\n\r\n".into(),
            false,
            401,
        ));
    }
    for (req, head, want) in &cases {
        let (status, resp) = exchange(&mut ka, req.as_bytes(), *head);
        assert_eq!(status, *want, "{req:.60} → {}", String::from_utf8_lossy(&resp));
        n += 1;
    }
    // Pipelined: three requests in one write, answered in order.
    ka.s.write_all(b"GET / HTTP/1.1\r\nHost: router.lan\r\n\r\nGET /app.js HTTP/1.1\r\nHost: router.lan\r\n\r\nGET /missing HTTP/1.1\r\nHost: router.lan\r\n\r\n")
        .unwrap();
    for want in [200, 200, 404] {
        let (status, resp) = read_response(&mut ka, false);
        assert_eq!(status, want, "{}", String::from_utf8_lossy(&resp));
        n += 1;
    }
    // Not keep-alive: HTTP/1.0 and Connection: close.
    for req in [
        &b"GET / HTTP/1.0\r\n\r\n"[..],
        b"GET /app.js HTTP/1.1\r\nHost: router.lan\r\nConnection: close\r\n\r\n",
    ] {
        let mut c = connect(addr);
        assert_eq!(exchange(&mut c, req, false).0, 200);
        n += 1;
    }
    // A Host the device does not answer for: 421 and close (the DNS-rebinding guard).
    let mut c = connect(addr);
    assert_eq!(
        exchange(&mut c, b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", false).0,
        421
    );
    n += 1;
    // The backend of /down is not listening: 502 and close.
    let mut c = connect(addr);
    assert_eq!(
        exchange(&mut c, b"GET /down/x HTTP/1.1\r\nHost: router.lan\r\n\r\n", false).0,
        502
    );
    n += 1;
    // A bad request: 400 and close.
    let mut c = connect(addr);
    assert_eq!(
        exchange(&mut c, b"GET /%00 HTTP/1.1\r\nHost: router.lan\r\n\r\n", false).0,
        400
    );
    n + 1
}

#[test]
fn no_allocation_per_request_after_warm_up() {
    let root = temp_root();
    let root_fd: OwnedFd = File::open(&root).unwrap().into();
    let listener = warden::listen::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_read, stop_write) = nix::unistd::pipe().unwrap();
    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut proxy = ProxyConfig::none();
    proxy.routes = vec![
        Route {
            prefix: b"/api".to_vec(),
            addr: backend(),
        },
        Route {
            prefix: b"/down".to_vec(),
            addr: down,
        },
    ];
    let cfg = ServeConfig {
        cache_control: Some(b"max-age=60".to_vec()),
        hosts: HostPolicy::Listed(vec![b"router.lan".to_vec()]),
        proxy,
        ..ServeConfig::with_defaults(64)
    };
    // Access-log lines go through the process's log sink (stderr: /dev/null here)
    // and, as with --syslog, to a syslog socket read by a thread of the test.
    let log = File::create("/dev/null").unwrap();
    warden::sink::install(log.as_fd()).unwrap();
    let syslog_path = root.with_extension("syslog");
    let syslogd = std::os::unix::net::UnixDatagram::bind(&syslog_path).unwrap();
    // The reader stays until told to stop: a reader that left at the first quiet
    // spell (a slow qemu run) would close the socket and send the lines to stderr.
    syslogd.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let received = std::sync::Arc::new(AtomicUsize::new(0));
    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (received2, reading2) = (std::sync::Arc::clone(&received), std::sync::Arc::clone(&reading));
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while reading2.load(Ordering::SeqCst) {
            if syslogd.recv(&mut buf).is_ok() {
                received2.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    warden::sink::install_syslog(warden::syslog::Syslog::connect(&syslog_path, 3).unwrap());
    let mut server = Server::new(cfg, root_fd, vec![listener], stop_read, AccessLog::On, logins());
    let thread = std::thread::spawn(move || {
        COUNTED.with(|c| c.set(true));
        // Proves the counter sees this thread's allocations.
        drop(std::hint::black_box(Vec::<u8>::with_capacity(16)));
        server.run()
    });

    // The ETag of index.html, for the 304 case.
    let mut c = connect(addr);
    let (_, resp) = exchange(&mut c, b"GET / HTTP/1.1\r\nHost: router.lan\r\n\r\n", false);
    let text = String::from_utf8_lossy(&resp).to_string();
    let etag = text.lines().find_map(|l| l.strip_prefix("ETag: ")).unwrap().to_string();
    drop(c);

    let mut served = round(addr, &etag); // warm-up
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    assert!(before >= 1, "the counting allocator saw nothing on the server thread");
    while served < 1_200 {
        served += round(addr, &etag);
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);

    let mut stop_write = File::from(stop_write);
    stop_write.write_all(b"x").unwrap();
    thread.join().unwrap().unwrap();
    reading.store(false, Ordering::SeqCst);
    reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_file(&syslog_path);
    // Every request's line was sent to the socket: received, or dropped and counted
    // because the reader (a thread under qemu, on a busy machine) was not keeping up.
    let received = received.load(Ordering::SeqCst) as u64;
    let dropped = warden::sink::dropped_total();
    assert!(received > 0, "the access log did not reach the syslog socket");
    assert!(
        received + dropped >= served as u64,
        "{served} requests, {received} lines received, {dropped} dropped"
    );
    assert!(served >= 1_000);
    assert_eq!(
        after - before,
        0,
        "the server thread allocated {} times while serving {served} requests",
        after - before
    );
}
