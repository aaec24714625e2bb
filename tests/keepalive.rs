//! Connection management: RFC 9112 §9.3 (persistence), §9.3.2 (pipelining), §9.5 (timeouts),
//! §9.6 (tear-down), §2.2 (parsing a message delivered in pieces).

mod common;

use common::*;
use std::io::BufReader;
use std::time::Duration;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed as u32) as u8)
        .collect()
}

fn site(extra: &[&str]) -> (WebRoot, Server) {
    let w = WebRoot::new();
    w.file("a.txt", b"first file\n");
    w.file("b.html", b"<p>second</p>\n");
    w.file("c.json", b"{\"third\":true}\n");
    w.file("big.bin", pattern(1 << 20, 7));
    let s = Server::start(&w, extra);
    (w, s)
}

// RFC 9112 §9.3: HTTP/1.1 connections persist by default.
#[test]
fn rfc9112_9_3_http11_persistent_by_default() {
    let (_w, s) = site(&[]);
    let mut c = s.connect();
    for i in 0..10 {
        let t = ["/a.txt", "/b.html", "/c.json", "/missing"][i % 4];
        send_raw(&mut c, &req("GET", t, &[]));
        let r = read_response(&mut c, false);
        assert_common_headers(&r);
        assert!(
            !r.connection_has("close"),
            "request {i} ({t}) closes a 1.1 connection: {r:?}"
        );
    }
    send_raw(&mut c, &req("GET", "/a.txt", &[]));
    assert_eq!(read_response(&mut c, false).body, b"first file\n");
}

// RFC 9112 §9.3 / §9.6: `Connection: close` → `Connection: close` in the response, then EOF.
#[test]
fn rfc9112_9_6_connection_close_request() {
    let (_w, s) = site(&[]);
    for v in ["close", "CLOSE", "Close", "foo, close", "close, x-other"] {
        let mut c = s.connect();
        send_raw(&mut c, &req("GET", "/a.txt", &[&format!("Connection: {v}")]));
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 200, "Connection: {v}: {r:?}");
        assert_eq!(r.body, b"first file\n");
        assert_connection_close(&r);
        assert_closed(&mut c);
    }
    // After a keep-alive request, a later `close` ends the connection.
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/a.txt", &[]));
    assert!(!read_response(&mut c, false).connection_has("close"));
    send_raw(&mut c, &req("HEAD", "/b.html", &["Connection: close"]));
    let r = read_response(&mut c, true);
    assert_connection_close(&r);
    assert_closed(&mut c);
}

// RFC 9112 §9.3: HTTP/1.0 closes unless the request asks for keep-alive.
#[test]
fn rfc9112_9_3_http10_closes_by_default() {
    let (_w, s) = site(&[]);
    let mut c = s.connect();
    send_raw(&mut c, &req_v("GET", "/a.txt", "HTTP/1.0", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "{r:?}");
    assert_connection_close(&r);
    assert_closed(&mut c);
}

// RFC 9112 §9.3 / Appendix C.2.2: HTTP/1.0 with `Connection: keep-alive` stays open and the
// response carries `Connection: keep-alive`.
#[test]
fn rfc9112_9_3_http10_keep_alive() {
    let (_w, s) = site(&[]);
    let mut c = s.connect();
    for v in ["keep-alive", "Keep-Alive"] {
        send_raw(
            &mut c,
            &req_v("GET", "/a.txt", "HTTP/1.0", &[&format!("Connection: {v}")]),
        );
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 200, "{r:?}");
        assert!(
            r.connection_has("keep-alive"),
            "1.0 keep-alive response needs `Connection: keep-alive`: {r:?}"
        );
        assert!(!r.connection_has("close"), "{r:?}");
    }
    send_raw(
        &mut c,
        &req_v("HEAD", "/b.html", "HTTP/1.0", &["Connection: keep-alive"]),
    );
    let r = read_response(&mut c, true);
    assert!(r.connection_has("keep-alive"), "{r:?}");
    // A 1.0 request without keep-alive ends it.
    send_raw(&mut c, &req_v("GET", "/c.json", "HTTP/1.0", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.body, b"{\"third\":true}\n");
    assert_connection_close(&r);
    assert_closed(&mut c);
}

// RFC 9112 §9.3.2: pipelined requests in one write are answered in order, byte-exact.
#[test]
fn rfc9112_9_3_2_pipelining_in_order() {
    let (_w, s) = site(&[]);
    let big = pattern(1 << 20, 7);
    let mut c = s.connect();
    let mut reqs = Vec::new();
    reqs.extend(req("GET", "/a.txt", &[]));
    reqs.extend(req("GET", "/big.bin", &[]));
    reqs.extend(req("GET", "/c.json", &[]));
    reqs.extend(req("HEAD", "/b.html", &[]));
    reqs.extend(req("GET", "/b.html", &[]));
    send_raw(&mut c, &reqs);
    let mut rd = BufReader::new(c.try_clone().unwrap());
    let r1 = read_response(&mut rd, false);
    let r2 = read_response(&mut rd, false);
    let r3 = read_response(&mut rd, false);
    let r4 = read_response(&mut rd, true);
    let r5 = read_response(&mut rd, false);
    assert_eq!((r1.status, r1.body.as_slice()), (200, &b"first file\n"[..]));
    assert_eq!(r2.status, 200, "{r2:?}");
    assert!(r2.body == big, "1 MiB body differs");
    assert_eq!((r3.status, r3.body.as_slice()), (200, &b"{\"third\":true}\n"[..]));
    assert_eq!(r4.status, 200, "{r4:?}");
    assert_eq!(r4.content_length(), Some(14), "HEAD Content-Length");
    assert_eq!(r4.h("content-type"), "text/html; charset=utf-8");
    assert_eq!((r5.status, r5.body.as_slice()), (200, &b"<p>second</p>\n"[..]));
    // And the connection is still usable.
    send_raw(&mut c, &req("GET", "/a.txt", &["Connection: close"]));
    let r = read_response(&mut rd, false);
    assert_eq!(r.body, b"first file\n");
    assert_closed(&mut c);
}

// RFC 9112 §9.3.2 + §9.6: a pipelined `Connection: close` request is the last one answered.
#[test]
fn rfc9112_9_3_2_pipelined_close_is_last() {
    let (_w, s) = site(&[]);
    let mut c = s.connect();
    let mut reqs = req("GET", "/a.txt", &[]);
    reqs.extend(req("GET", "/c.json", &["Connection: close"]));
    send_raw(&mut c, &reqs);
    let r1 = read_response(&mut c, false);
    let r2 = read_response(&mut c, false);
    assert!(!r1.connection_has("close"), "{r1:?}");
    assert_eq!(r2.body, b"{\"third\":true}\n");
    assert_connection_close(&r2);
    assert_closed(&mut c);
}

// RFC 9112 §2.2: a request split byte by byte across many writes is still one request.
#[test]
fn rfc9112_2_2_request_split_byte_by_byte() {
    let (_w, s) = site(&[]);
    let mut c = s.connect();
    let raw = req("GET", "/b.html", &["Accept: */*", "X-Split: yes"]);
    for b in &raw {
        send_raw(&mut c, std::slice::from_ref(b));
        std::thread::sleep(Duration::from_millis(2));
    }
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"<p>second</p>\n");
    // A request and a half in one write, the rest in another.
    let mut two = req("GET", "/a.txt", &[]);
    let second = req("GET", "/c.json", &[]);
    let cut = second.len() / 2 + 3;
    two.extend_from_slice(&second[..cut]);
    send_raw(&mut c, &two);
    let r = read_response(&mut c, false);
    assert_eq!(r.body, b"first file\n");
    std::thread::sleep(Duration::from_millis(50));
    send_raw(&mut c, &second[cut..]);
    let r = read_response(&mut c, false);
    assert_eq!(r.body, b"{\"third\":true}\n");
    // Split exactly inside the final CRLFCRLF.
    let raw = req("GET", "/a.txt", &[]);
    let n = raw.len();
    for part in [&raw[..n - 3], &raw[n - 3..n - 1], &raw[n - 1..]] {
        send_raw(&mut c, part);
        std::thread::sleep(Duration::from_millis(20));
    }
    let r = read_response(&mut c, false);
    assert_eq!(r.body, b"first file\n");
}

// RFC 9112 §9.5: an idle keep-alive connection is closed after the idle timeout (clean EOF).
#[test]
fn rfc9112_9_5_idle_timeout_closes() {
    let (_w, s) = site(&["--idle-timeout", "1"]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/a.txt", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200);
    assert!(!r.connection_has("close"), "{r:?}");
    // Within the idle time the connection is still usable.
    send_raw(&mut c, &req("GET", "/c.json", &[]));
    assert_eq!(read_response(&mut c, false).status, 200);
    assert_eq!(
        assert_closed(&mut c),
        CloseKind::Eof,
        "idle close should be a clean EOF"
    );
    s.assert_healthy();
}

// RFC 9112 §9.5: a connection that never sends anything is not kept forever either.
#[test]
fn rfc9112_9_5_silent_connection_closed() {
    let (_w, s) = site(&["--idle-timeout", "1", "--header-timeout", "1"]);
    let mut c = s.connect();
    assert_closed(&mut c);
    s.assert_healthy();
}

// Spec: at most 1000 requests per connection; the 1000th response carries `Connection: close`.
#[test]
fn rfc9112_9_3_max_1000_requests_per_connection() {
    let (_w, s) = site(&[]);
    let c = s.connect();
    let mut wr = c.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let one = req("GET", "/a.txt", &[]);
        let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 50).collect();
        for _ in 0..20 {
            // 20 × 50 = exactly 1000 requests.
            if std::io::Write::write_all(&mut wr, &batch).is_err() {
                return false;
            }
        }
        true
    });
    let mut rd = BufReader::new(c.try_clone().unwrap());
    for i in 1..=1000 {
        let r = try_read_response(&mut rd, false).unwrap_or_else(|e| panic!("response {i} of 1000: {e}"));
        assert_eq!(r.status, 200, "response {i}: {r:?}");
        assert_eq!(r.body, b"first file\n", "response {i}");
        if i < 1000 {
            assert!(!r.connection_has("close"), "response {i} closes early: {r:?}");
        } else {
            assert_connection_close(&r);
        }
    }
    let mut c2 = c;
    assert_closed(&mut c2);
    let _ = writer.join();
    s.assert_healthy();
}

// RFC 9112 §9.6: `Connection: close` is sent exactly when the server then closes.
#[test]
fn rfc9112_9_6_close_header_matches_behaviour() {
    let (w, s) = site(&[]);
    w.dir("dir");
    let etag = s.get("/a.txt").h("etag").to_string();
    // (request, is HEAD)
    let cases: Vec<(Vec<u8>, bool)> = vec![
        (req("GET", "/missing.txt", &[]), false),
        (req("GET", "/dir", &[]), false),
        (req("GET", "/a.txt", &[&format!("If-None-Match: {etag}")]), false),
        (req("GET", "/a.txt", &["If-Match: \"x\""]), false),
        (req("GET", "/a.txt", &["Range: bytes=0-1"]), false),
        (req("GET", "/a.txt", &["Range: bytes=99-"]), false),
        (req("HEAD", "/a.txt", &[]), true),
    ];
    for (raw, head) in cases {
        let mut c = s.connect();
        send_raw(&mut c, &raw);
        let r = read_response(&mut c, head);
        if r.connection_has("close") {
            assert_closed(&mut c);
        } else {
            send_raw(&mut c, &req("GET", "/a.txt", &[]));
            let r2 = read_response(&mut c, false);
            assert_eq!(r2.body, b"first file\n", "after {:?} -> {}", show(&raw), r.status);
        }
    }
}
