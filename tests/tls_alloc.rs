//! What HTTPS allocates (issue: a TLS handshake may allocate, bounded per
//! connection and measured; steady state as little as the TLS library allows).
//!
//! The server runs in-process on a thread whose allocations a counting global
//! allocator counts (number, bytes live, peak); the client is Python's `ssl`
//! (OpenSSL) in another process, paced through its stdin and stdout so each
//! figure covers exactly one phase. For TLS 1.3 with an ECDSA certificate and
//! TLS 1.2 with an RSA one: allocations and peak heap of one connection's
//! handshake and first request, heap kept while it is open, allocations per
//! request on an established keep-alive connection, and that closing gives
//! everything back (nothing grows with connections). Run with `--nocapture`
//! to see the figures (README, "HTTPS").
#![cfg(feature = "tls")]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use warden::access_log::AccessLog;
use warden::auth::Logins;
use warden::config::{HostPolicy, ServeConfig};
use warden::server::Server;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn grew(by: isize) {
    if COUNTED.with(Cell::get) {
        let live = LIVE.fetch_add(by, Ordering::SeqCst) + by;
        PEAK.fetch_max(live, Ordering::SeqCst);
    }
}

fn counted() -> bool {
    let on = COUNTED.with(Cell::get);
    if on {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
    on
}

// SAFETY: delegates every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            grew(layout.size() as isize);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counted() {
            grew(layout.size() as isize);
        }
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            grew(new_size as isize - layout.size() as isize);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        grew(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The client: handshake and one request, "handshake" on stdout; then on each
/// stdin line N, N keep-alive requests and "done"; on an empty line, close.
const CLIENT: &str = r#"
import socket, ssl, sys
port, ver = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if ver == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
else:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
c = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
pending = b""
def get():
    global pending
    c.sendall(b"GET /page.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
    while b"\r\n\r\n" not in pending:
        got = c.recv(65536)
        assert got, "closed before a response"
        pending += got
    head, _, rest = pending.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(rest) < n:
        got = c.recv(65536)
        assert got, "closed in a body"
        rest += got
    pending = rest[n:]
get()
print("handshake", c.version(), flush=True)
for line in sys.stdin:
    if not line.strip():
        break
    for _ in range(int(line)):
        get()
    print("done", flush=True)
c.close()
"#;

fn cert(dir: &std::path::Path, kind: &str) -> (Vec<u8>, Vec<u8>) {
    let (crt, key) = (dir.join(format!("{kind}.crt")), dir.join(format!("{kind}.key")));
    let algo: &[&str] = if kind == "ec" {
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    } else {
        &["-newkey", "rsa:2048"]
    };
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-nodes", "-days", "30", "-subj", "/CN=localhost"])
        .args(algo)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "openssl req failed");
    (std::fs::read(crt).unwrap(), std::fs::read(key).unwrap())
}

/// What one connection cost the server thread.
struct Figures {
    handshake_allocations: usize,
    handshake_peak: isize,
    kept_while_open: isize,
    per_request: f64,
    after_close: isize,
}

fn measure(kind: &str, version: &str) -> Figures {
    let root = common::WebRoot::new();
    root.file("page.html", vec![b'x'; 2000]);
    let (chain, key) = cert(root.outside(), kind);
    let (tls, _) = warden::tls::Tls::new(&chain, &key, 4).unwrap();
    let root_fd: OwnedFd = File::open(root.path()).unwrap().into();
    let plain = warden::listen::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let plain_addr = plain.local_addr().unwrap();
    let tls_listener = warden::listen::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = tls_listener.local_addr().unwrap().port();
    let (stop_read, stop_write) = nix::unistd::pipe().unwrap();
    let cfg = ServeConfig {
        hosts: HostPolicy::Any,
        ..ServeConfig::with_defaults(16)
    };
    let log = File::create("/dev/null").unwrap();
    warden::sink::install(log.as_fd()).unwrap();
    let server = Server::new(cfg, root_fd, vec![plain], stop_read, AccessLog::Off, Logins::none());
    let mut server = server.with_tls(vec![tls_listener], tls);
    let thread = std::thread::spawn(move || {
        COUNTED.with(|c| c.set(true));
        server.run()
    });

    let snapshot = || (ALLOCATIONS.load(Ordering::SeqCst), LIVE.load(Ordering::SeqCst));
    let mut client = Command::new("python3")
        .args(["-c", CLIENT, &port.to_string(), version])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut to_client = client.stdin.take().unwrap();
    let mut from_client = BufReader::new(client.stdout.take().unwrap());
    let mut line = String::new();

    // Phase 1: handshake and the first request (the pool's buffer is made here).
    let (a0, live0) = snapshot();
    PEAK.store(live0, Ordering::SeqCst);
    from_client.read_line(&mut line).unwrap();
    assert!(line.starts_with("handshake"), "client: {line:?}");
    let (a1, live1) = snapshot();
    let handshake_peak = PEAK.load(Ordering::SeqCst) - live0 - warden::limits::TLS_BUF_LEN as isize;

    // Phase 2: requests on the established connection.
    // Fewer than MAX_REQUESTS_PER_CONNECTION (1,000), which ends a connection.
    const REQUESTS: usize = 500;
    writeln!(to_client, "{REQUESTS}").unwrap();
    line.clear();
    from_client.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "done");
    let (a2, _) = snapshot();

    // Phase 3: close; the server thread gives back all but the pooled buffer.
    // Two plain requests after the client is gone, each on a connection of its
    // own: the second is accepted in a later loop turn than the TLS close.
    writeln!(to_client).unwrap();
    assert!(client.wait().unwrap().success());
    for _ in 0..2 {
        let mut c = std::net::TcpStream::connect(plain_addr).unwrap();
        c.write_all(b"GET /page.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut response = Vec::new();
        std::io::Read::read_to_end(&mut c, &mut response).unwrap();
        assert!(response.starts_with(b"HTTP/1.1 200"));
    }
    let (_, live3) = snapshot();
    let mut stop_write = File::from(stop_write);
    stop_write.write_all(b"x").unwrap();
    thread.join().unwrap().unwrap();
    Figures {
        handshake_allocations: a1 - a0,
        handshake_peak,
        kept_while_open: live1 - live0 - warden::limits::TLS_BUF_LEN as isize,
        per_request: (a2 - a1) as f64 / REQUESTS as f64,
        after_close: live3 - live0,
    }
}

/// The counters are the process's: one measurement at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn check(kind: &str, version: &str) {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let f = measure(kind, version);
    println!(
        "TLS {version} {kind}: handshake + first request {} allocations, peak +{} B besides the \
         {} B buffer; kept while open {} B besides it; {:.2} allocations per request; after close {} B (the pooled buffer)",
        f.handshake_allocations,
        f.handshake_peak,
        warden::limits::TLS_BUF_LEN,
        f.kept_while_open,
        f.per_request,
        f.after_close
    );
    // Bounds with room over what was measured (README): a change in rustls that
    // allocates much more per connection or per request shows here.
    assert!(
        f.handshake_allocations <= 200,
        "{} allocations",
        f.handshake_allocations
    );
    assert!(f.handshake_peak <= 48 * 1024, "peak {} B", f.handshake_peak);
    assert!(f.kept_while_open <= 8 * 1024, "kept {} B", f.kept_while_open);
    assert!(f.per_request <= 3.0, "{} allocations per request", f.per_request);
    // Nothing is kept after the connection but its buffer, pooled for the next
    // one (and a few bytes rustls and ring set up once per process).
    let kept = f.after_close - warden::limits::TLS_BUF_LEN as isize;
    assert!((0..=1024).contains(&kept), "{} B kept after close", f.after_close);
}

#[test]
fn tls13_ecdsa_handshake_and_requests_allocate_a_bounded_amount() {
    check("ec", "1.3");
}

#[test]
fn tls12_rsa_handshake_and_requests_allocate_a_bounded_amount() {
    check("rsa", "1.2");
}
