//! Login throttling through the real binary (issue 12 item 4): after
//! `THROTTLE_FAILURES` (5) failed logins within a minute an address gets 429 with
//! Retry-After (RFC 6585 §4), the right password included; another address still
//! logs in; every failure is logged at warn with the address and the user name,
//! control bytes escaped. The clock-driven parts (window, doubling, cap, the global
//! budget, a full table) are unit tests in src/auth/throttle.rs with an injected clock.

mod common;

use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::os::fd::{FromRawFd, IntoRawFd};

/// SHA-crypt's published `$6$` test vector: `Hello world!`.
const HASH: &str =
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";

fn server(w: &WebRoot) -> Server {
    w.dir("admin");
    w.file("admin/index.html", b"admin\n");
    let creds = w.outside().join("creds");
    std::fs::write(&creds, format!("admin:{HASH}\n")).unwrap();
    let creds = creds.to_string_lossy().into_owned();
    Server::start(w, &["--auth-file", &creds, "--protect", "/admin"])
}

/// A connection to the server from source address 127.0.0.2 (another client).
fn connect_from_127_0_0_2(s: &Server) -> TcpStream {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};
    let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None).expect("socket");
    bind(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrIn::new(127, 0, 0, 2, 0)).expect("bind 127.0.0.2");
    let addr = s.addr;
    let std::net::SocketAddr::V4(v4) = addr else {
        panic!("IPv4 listener expected: {addr}");
    };
    connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrIn::from(v4)).expect("connect");
    // SAFETY: `fd` is a connected socket we own; the stream takes it over.
    let stream = unsafe { TcpStream::from_raw_fd(fd.into_raw_fd()) };
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

fn login(c: &mut TcpStream, auth: &str) -> Response {
    send_raw(c, &req("GET", "/admin/", &[auth]));
    read_response(c, false)
}

#[test]
fn rfc6585_4_five_failures_then_429_for_that_address_only() {
    let w = WebRoot::new();
    let s = server(&w);
    for i in 0..5 {
        let r = s.roundtrip(&req("GET", "/admin/", &[&http1::authorization(b"admin", b"wrong")]));
        assert_eq!(r.status, 401, "failure {i}: {r:?}");
    }
    // Blocked: even the right password waits, for Retry-After seconds (10 at first).
    let r = s.roundtrip(&req(
        "GET",
        "/admin/",
        &[&http1::authorization(b"admin", b"Hello world!")],
    ));
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.header("retry-after"), Some("10"), "{r:?}");
    // Static files are not throttled.
    assert_eq!(s.get("/health.txt").status, 200);
    // Another address logs in (the real admin while an attacker is throttled).
    let mut c = connect_from_127_0_0_2(&s);
    let r = login(&mut c, &http1::authorization(b"admin", b"Hello world!"));
    assert_eq!((r.status, &r.body[..]), (200, &b"admin\n"[..]), "{r:?}");
    // Every failure was logged with address and user.
    let lines = s.log_lines();
    let failures = lines
        .iter()
        .filter(|l| l.contains("login failed: user \"admin\" from 127.0.0.1"))
        .count();
    assert_eq!(failures, 5, "{lines:#?}");
}

#[test]
fn failure_log_escapes_c1_controls_and_non_utf8_in_the_user_name() {
    let w = WebRoot::new();
    let s = server(&w);
    // C0 and DEL are refused in Basic credentials (RFC 7617 §2) before any
    // verification; a C1 control (U+009B, CSI) and a byte that is not UTF-8 get
    // through to the log, escaped.
    let r = s.roundtrip(&req(
        "GET",
        "/admin/",
        &[&http1::authorization(b"ad\xc2\x9b31mmin\xff", b"x")],
    ));
    assert_eq!(r.status, 401, "{r:?}");
    let line = s
        .wait_for_log(|l| l.contains("login failed"))
        .expect("a login-failure line");
    assert!(line.contains("from 127.0.0.1"), "{line}");
    // Nothing a terminal would act on, nothing that is not UTF-8.
    assert!(!line.contains('\u{9b}') && !line.contains('\u{fffd}'), "{line:?}");
    assert!(line.contains("ad\\x") && line.contains("31mmin\\x"), "escaped: {line}");
    let mut c = s.connect();
    c.write_all(&req("GET", "/health.txt", &[])).unwrap();
    assert_eq!(read_response(&mut c, false).status, 200);
}
