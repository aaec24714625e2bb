//! The shared large head buffers (`LARGE_HEAD_BUFS` of `HEAD_BUF_LARGE` bytes)
//! are lent to a head only while it is read and planned: a slow download must
//! not hold one, or a few clients with big cookies lock every other big-head
//! request out (503) for as long as their downloads last.

mod common;

use common::*;
use std::io::Read;
use std::net::TcpStream;
use warden::limits::{HEAD_BUF_SMALL, LARGE_HEAD_BUFS};

/// A cookie that makes a head outgrow the small buffer (1.1 KiB, as a real admin UI's can).
fn big_cookie() -> String {
    format!("Cookie: session={}", "c".repeat(HEAD_BUF_SMALL + 100))
}

fn web_root_with_big_file() -> WebRoot {
    let root = WebRoot::new();
    let f = std::fs::File::create(root.join("big.bin")).expect("create");
    // Sparse: far more than loopback socket buffers hold, costs no disk.
    f.set_len(64 << 20).expect("set_len");
    root
}

/// Starts a download with a big-cookie head and reads only its response head:
/// the response then waits on a client that does not read.
fn stalled_download(srv: &Server) -> TcpStream {
    let mut s = srv.connect();
    send_raw(&mut s, &req("GET", "/big.bin", &[&big_cookie()]));
    let r = read_response(&mut s, true);
    assert_eq!(r.status, 200, "{r:?}");
    s
}

/// RFC 9110 §15.6.4 (503) must not come from buffers held by slow downloads:
/// with as many stalled big-head downloads as there are large buffers, another
/// big-head request is still served.
#[test]
fn slow_downloads_do_not_hold_large_head_buffers() {
    let root = web_root_with_big_file();
    let srv = Server::start(root.path(), &[]);
    let stalled: Vec<TcpStream> = (0..LARGE_HEAD_BUFS).map(|_| stalled_download(&srv)).collect();
    for i in 0..3 {
        let r = srv.get_h("/health.txt", &[&big_cookie()]);
        assert_eq!(
            r.status, 200,
            "big-head request {i} with {LARGE_HEAD_BUFS} downloads stalled: {r:?}"
        );
        assert_eq!(r.body, HEALTH_BODY);
    }
    // The stalled downloads are still alive and get their bytes when they read.
    let mut first = stalled.into_iter().next().expect("one download");
    let mut buf = [0u8; 65536];
    let n = first.read(&mut buf).expect("read body");
    assert!(n > 0);
}

/// RFC 9112 §9.3.2: a request pipelined behind a big head is answered in turn
/// (its bytes move to the connection's own buffer when the large one goes back).
#[test]
fn rfc9112_9_3_2_request_pipelined_behind_a_big_head_is_answered() {
    let root = WebRoot::new();
    let srv = Server::start(root.path(), &[]);
    let mut s = srv.connect();
    let mut bytes = req("GET", "/health.txt", &[&big_cookie()]);
    bytes.extend(req("GET", "/health.txt", &[]));
    send_raw(&mut s, &bytes);
    for i in 0..2 {
        let r = read_response(&mut s, false);
        assert_eq!(r.status, 200, "response {i}: {r:?}");
        assert_eq!(r.body, HEALTH_BODY);
    }
    // And the connection goes on.
    send_raw(&mut s, &req("GET", "/health.txt", &[&big_cookie()]));
    assert_eq!(read_response(&mut s, false).status, 200);
}

/// More pipelined bytes behind a big head than the connection's own buffer
/// holds: the response says `Connection: close` (RFC 9112 §9.6) and the
/// connection ends after it, so no large buffer is held for them; the client
/// retries the unanswered requests on a new connection.
#[test]
fn rfc9112_9_6_too_much_pipelined_behind_a_big_head_closes_after_the_response() {
    let root = WebRoot::new();
    let srv = Server::start(root.path(), &[]);
    let mut s = srv.connect();
    let mut bytes = req("GET", "/health.txt", &[&big_cookie()]);
    let filler = format!("X-Filler: {}", "f".repeat(HEAD_BUF_SMALL));
    bytes.extend(req("GET", "/health.txt", &[&filler]));
    send_raw(&mut s, &bytes);
    let r = read_response(&mut s, false);
    assert_eq!(r.status, 200, "{r:?}");
    assert_connection_close(&r);
    assert_closed(&mut s);
    srv.assert_healthy();
}
