//! The reverse proxy (`--proxy PREFIX=ADDR`, issue 13) through the real binary over loopback,
//! against scripted backends on 127.0.0.1 (`common::backend`): each backend records every
//! request exactly as it arrived and counts the connections it accepted, so "the backend saw
//! nothing" is checked on connections, after a fence request that did reach it.
//!
//! Covered: methods and bodies byte-exact (RFC 9110 §9.3), body limits (§15.5.14), big bodies
//! streamed both ways with flat RSS, the target forwarded unchanged (§7.7), prefix matching at
//! segment boundaries, failures (502 §15.6.3, 504 §15.6.5, a cut body RFC 9112 §8, a flooded
//! head), response framing (RFC 9112 §6.3, §7.1), hop-by-hop fields both ways (RFC 9110
//! §7.6.1), the forwarding fields (RFC 7239), X-Remote-User and logins, the CSRF rule
//! (RFC 6454 §7, RFC 9110 §10.1.3), throttling (RFC 6585 §4), the Host guard (RFC 9110
//! §15.5.20), pipelining (RFC 9112 §9.3.2), the connection cap (RFC 9110 §15.6.4), Expect
//! (§10.1.1), Upgrade (§7.8), request smuggling shapes (RFC 9112 §2.2, §5.2, §6.1, §6.3) and the
//! start-up refusals of bad flags.
//!
//! Timeouts are safety bounds only; the big-body tests are bounded loops over fixed sizes.

mod common;

use common::backend::{Backend, Gate, Received, Sum, fill, hold_until_closed};
use common::http1::{self, authorization};
use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

const INDEX_BODY: &[u8] = b"<p>home</p>\n";
/// Largest RSS growth (KiB) allowed while a big body passes through warden.
const RSS_BUDGET_KIB: u64 = 1024;
/// A `$6$` hash of [`PASSWORD`] is made per test with this many rounds (fast in debug builds).
const HASH_ROUNDS: usize = 1_000;
const USER: &str = "admin";
const PASSWORD: &str = "router admin";

fn site() -> WebRoot {
    let w = WebRoot::new();
    w.file("index.html", INDEX_BODY);
    w
}

/// `warden --proxy /api=BACKEND EXTRA...`
fn start(w: &WebRoot, b: &Backend, extra: &[&str]) -> Server {
    let route = b.route("/api");
    let mut args = vec!["--proxy", route.as_str()];
    args.extend_from_slice(extra);
    Server::start(w, &args)
}

/// `127.0.0.1:PORT` of the server: the host a page served by it would name.
fn own_host(s: &Server) -> String {
    format!("127.0.0.1:{}", s.addr.port())
}

/// `METHOD TARGET HTTP/1.1` with `Host: 127.0.0.1:PORT`, the same-origin `Origin`, `extra`,
/// and, with `body`, its `Content-Length` and the body bytes.
fn request(s: &Server, method: &str, target: &str, extra: &[&str], body: Option<&[u8]>) -> Vec<u8> {
    let host = format!("Host: {}", own_host(s));
    let origin = format!("Origin: http://{}", own_host(s));
    let cl = body.map(|b| format!("Content-Length: {}", b.len()));
    let mut lines = vec![host.as_str(), origin.as_str()];
    lines.extend_from_slice(extra);
    if let Some(cl) = &cl {
        lines.push(cl);
    }
    let mut raw = req_v(method, target, "HTTP/1.1", &lines);
    raw.extend_from_slice(body.unwrap_or_default());
    raw
}

/// `METHOD TARGET` with `Host: 127.0.0.1:PORT` and exactly `extra` (no Origin), then `body`.
fn bare(s: &Server, method: &str, target: &str, extra: &[&str], body: &[u8]) -> Vec<u8> {
    let host = format!("Host: {}", own_host(s));
    let mut lines = vec![host.as_str()];
    lines.extend_from_slice(extra);
    let mut raw = req_v(method, target, "HTTP/1.1", &lines);
    raw.extend_from_slice(body);
    raw
}

/// `len` bytes of the test pattern.
fn pattern_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    fill(0, &mut v);
    v
}

/// Sends `raw` through the echo backend `b` and checks the round trip: 200, the request line
/// unchanged, the body byte-exact (with one matching Content-Length when the client sent
/// one), nothing after it, and the backend's answer (the request as it arrived) relayed
/// unchanged. Returns what the backend received.
fn round_trip(s: &Server, b: &Backend, method: &str, target: &str, extra: &[&str], body: Option<&[u8]>) -> Received {
    let before = b.seen().len();
    let r = s.roundtrip(&request(s, method, target, extra, body));
    assert_eq!(r.status, 200, "{method} {target}: {r:?}");
    let got = b.wait_seen(before + 1)[before].clone();
    assert_eq!(got.request_line(), format!("{method} {target} HTTP/1.1"), "{got:?}");
    let want = body.unwrap_or_default();
    assert!(got.complete, "{method}: body incomplete at the backend: {got:?}");
    assert_eq!(
        got.body_len,
        want.len() as u64,
        "{method}: body length at the backend: {got:?}"
    );
    assert!(got.body == want, "{method}: the body arrived changed: {got:?}");
    assert!(got.extra.is_empty(), "{method}: bytes after the body: {got:?}");
    if body.is_some() {
        assert_eq!(
            got.values("content-length"),
            vec![want.len().to_string()],
            "{method}: one Content-Length: {got:?}"
        );
    }
    assert_eq!(r.header("content-type"), Some("application/octet-stream"), "{r:?}");
    assert!(
        r.body == got.raw(),
        "{method}: the backend's answer arrived changed: {r:?}"
    );
    got
}

/// Sends `raw` and, pipelined behind it, `GET /health.txt`; the first answer must be `status`
/// (a warden error: common headers). Then either the connection closes (`Connection: close`,
/// nothing more sent) or, kept open, the next answer is the health file: a refused request's
/// body is never read as a request. A fresh connection gets 200 afterwards.
fn refused(s: &Server, raw: &[u8], status: u16) -> Response {
    let mut c = s.connect();
    let mut all = raw.to_vec();
    all.extend(req("GET", "/health.txt", &[]));
    send_lossy(&mut c, &all);
    let r = try_read_response(&mut c, raw.starts_with(b"HEAD "))
        .unwrap_or_else(|e| panic!("request {:?}: expected {status}, got no response: {e}", show(raw)));
    assert_eq!(r.status, status, "request {:?}: {r:?}", show(raw));
    assert_common_headers(&r);
    if r.connection_has("close") {
        assert_closed_ctx(&mut c, &format!("after the {status}"));
    } else {
        let next = read_response(&mut c, false);
        assert_eq!(
            (next.status, &next.body[..]),
            (200, HEALTH_BODY),
            "the request pipelined after the {status} (connection kept): {next:?}"
        );
    }
    s.assert_healthy();
    r
}

/// A GET of `target` (proxied to `b`, unprotected) gets 200, and it is the first and only
/// request and connection `b` ever saw: nothing sent before it reached the backend.
fn fence(s: &Server, b: &Backend, target: &str) {
    let r = s.get(target);
    assert_eq!(r.status, 200, "fence {target}: {r:?}");
    let seen = b.wait_seen(1);
    assert_eq!(seen.len(), 1, "the backend saw more than the fence: {seen:#?}");
    assert_eq!(seen[0].request_line(), format!("GET {target} HTTP/1.1"), "{seen:#?}");
    assert_eq!(
        b.accepted(),
        1,
        "the backend accepted connections before the fence: {seen:#?}"
    );
}

/// VmRSS of the server, KiB.
fn rss_kib(s: &Server) -> u64 {
    s.proc_status_field("VmRSS")
        .expect("VmRSS in /proc/PID/status")
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Reads a response head byte by byte (nothing after it is consumed).
fn read_head(c: &mut TcpStream) -> http1::Head {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if buf.ends_with(b"\r\n\r\n") {
            return http1::parse_head(&buf).unwrap().unwrap();
        }
        assert!(buf.len() < 65536, "response head over 64 KiB: {}", show(&buf));
        match c.read(&mut byte) {
            Ok(0) => panic!("closed after {} head bytes: {}", buf.len(), show(&buf)),
            Ok(_) => buf.push(byte[0]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("reading a head: {e}; got {}", show(&buf)),
        }
    }
}

/// Reads one line through its CRLF, appending the raw bytes to `raw`; returns the line.
fn read_line(c: &mut TcpStream, raw: &mut Vec<u8>) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        assert!(line.len() < 4096, "chunk line over 4 KiB: {}", show(&line));
        c.read_exact(&mut byte)
            .unwrap_or_else(|e| panic!("reading a chunk line: {e}; so far {}", show(raw)));
        line.push(byte[0]);
    }
    raw.extend_from_slice(&line);
    String::from_utf8_lossy(&line[..line.len() - 2]).into_owned()
}

/// Reads a chunked body (RFC 9112 §7.1) through its trailer section; returns its raw bytes.
fn read_chunked_raw(c: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    loop {
        let line = read_line(c, &mut raw);
        let hex = line.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("chunk size {line:?}: {e}"));
        if size == 0 {
            while !read_line(c, &mut raw).is_empty() {}
            return raw;
        }
        let mut data = vec![0u8; size as usize + 2];
        c.read_exact(&mut data)
            .unwrap_or_else(|e| panic!("reading a {size}-byte chunk: {e}"));
        assert!(data.ends_with(b"\r\n"), "chunk data not followed by CRLF");
        raw.extend_from_slice(&data);
    }
}

/// A `$6$` credentials file for [`USER`] in `outside/` (never servable); returns its path.
fn credentials(w: &WebRoot) -> String {
    let params = sha_crypt::Sha512Params::new(HASH_ROUNDS).unwrap();
    let hash = sha_crypt::sha512_simple(PASSWORD, &params).unwrap();
    assert!(hash.starts_with("$6$rounds=1000$"), "{hash}");
    let p = w.outside_file("users", format!("{USER}:{hash}\n"));
    p.to_str().expect("UTF-8 temp path").to_string()
}

/// A port with nothing listening on it (bound, then released).
fn dead_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// New connections until one gets 200 for `/health.txt` (bounded: 200 tries, 25 ms apart).
fn wait_for_slot(s: &Server) -> TcpStream {
    for _ in 0..200 {
        let mut c = s.connect();
        send_lossy(&mut c, &req("GET", "/health.txt", &[]));
        match try_read_response(&mut c, false) {
            Ok(r) if r.status == 200 => return c,
            Ok(r) if r.status == 503 => {}
            Ok(r) => panic!("unexpected answer while waiting for a slot: {r:?}"),
            Err(_) => {}
        }
        thread::sleep(Duration::from_millis(25));
    }
    panic!("no connection slot became free");
}

// =============================================================================================
// Methods and bodies (RFC 9110 §9.3), byte-exact both ways
// =============================================================================================

// RFC 9110 §9.3.1: GET, path and query unchanged, the client's fields in order.
#[test]
fn rfc9110_9_3_1_get_round_trips_byte_exact() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let got = round_trip(
        &s,
        &b,
        "GET",
        "/api/status?full=1",
        &["X-A: 1", "X-B: 2", "X-A: 3"],
        None,
    );
    assert_eq!(got.values("x-a"), vec!["1", "3"], "{got:?}");
    let order: Vec<String> = got
        .fields()
        .into_iter()
        .filter(|(n, _)| n.starts_with("x-a") || n.starts_with("x-b"))
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    assert_eq!(order, vec!["x-a=1", "x-b=2", "x-a=3"], "field order: {got:?}");
    assert_eq!(got.count("host"), 1, "{got:?}");
}

// RFC 9110 §9.3.3: POST with Content-Length; every byte value in the body.
#[test]
fn rfc9110_9_3_3_post_with_content_length_round_trips_byte_exact() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    round_trip(
        &s,
        &b,
        "POST",
        "/api/settings",
        &["Content-Type: application/octet-stream"],
        Some(&body),
    );
}

// RFC 9110 §9.3.4: PUT.
#[test]
fn rfc9110_9_3_4_put_round_trips_byte_exact() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    round_trip(&s, &b, "PUT", "/api/item/7", &[], Some(&pattern_bytes(5000)));
}

// RFC 9110 §9.3.5: DELETE (without and with a body).
#[test]
fn rfc9110_9_3_5_delete_round_trips_byte_exact() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    round_trip(&s, &b, "DELETE", "/api/item/7", &[], None);
    round_trip(&s, &b, "DELETE", "/api/item/8", &[], Some(b"why"));
}

// RFC 5789 §2: PATCH.
#[test]
fn rfc5789_2_patch_round_trips_byte_exact() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    round_trip(
        &s,
        &b,
        "PATCH",
        "/api/settings",
        &["Content-Type: application/json"],
        Some(br#"{"hostname":"r1"}"#),
    );
}

// RFC 9110 §9.1: a method token warden does not know is the backend's business.
#[test]
fn rfc9110_9_1_unknown_method_token_forwarded() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    round_trip(&s, &b, "BREW", "/api/pot", &[], Some(b"tea"));
    round_trip(&s, &b, "X-RESTART!", "/api/svc", &[], Some(b""));
}

// RFC 9112 §6.3 (rules 6 and 7): `Content-Length: 0`, and no framing field at all, are an
// empty body: forwarded with no body bytes.
#[test]
fn rfc9112_6_3_empty_bodies_forwarded_without_body_bytes() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    round_trip(&s, &b, "POST", "/api/apply", &[], Some(b""));
    let got = round_trip(&s, &b, "POST", "/api/apply", &[], None);
    assert_eq!(got.body_len, 0, "{got:?}");
}

// RFC 9110 §15.5.14: a body exactly at the limit is forwarded: `--max-body 1k` (1024) and
// the default (65536).
#[test]
fn rfc9110_15_5_14_body_exactly_at_max_body_forwarded() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &["--max-body", "1k"]);
    round_trip(&s, &b, "POST", "/api/x", &[], Some(&pattern_bytes(1024)));
    drop(s);
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    round_trip(&s, &b, "POST", "/api/x", &[], Some(&pattern_bytes(65536)));
}

// RFC 9110 §15.5.14: one byte over the limit -> 413 and the connection closes; the backend
// sees nothing (not even a connection).
#[test]
fn rfc9110_15_5_14_one_byte_over_max_body_413_and_backend_sees_nothing() {
    let w = site();
    for (flags, limit) in [(&["--max-body", "1k"][..], 1024usize), (&[][..], 65536)] {
        let b = Backend::echo();
        let s = start(&w, &b, flags);
        let r = s.expect_reject(
            &request(&s, "POST", "/api/x", &[], Some(&pattern_bytes(limit + 1))),
            413,
        );
        assert_error_body(&r);
        // Announced but not sent: refused on the head alone.
        let head = request(&s, "PUT", "/api/x", &[&format!("Content-Length: {}", limit + 1)], None);
        s.expect_reject(&head, 413);
        fence(&s, &b, "/api/fence");
    }
}

// RFC 9110 §15.5.14: `--proxy-max-body PREFIX=BYTES` gives a prefix its own limit, longest
// prefix winning; elsewhere `--max-body` holds.
#[test]
fn rfc9110_15_5_14_proxy_max_body_per_prefix() {
    let w = site();
    let b = Backend::echo();
    let other = b.route("/other");
    let s = start(
        &w,
        &b,
        &[
            "--proxy",
            &other,
            "--max-body",
            "1k",
            "--proxy-max-body",
            "/api/firmware=256k",
            "--proxy-max-body",
            "/api=4k",
        ],
    );
    let big = pattern_bytes(200 * 1024);
    // /other has no limit of its own: --max-body.
    round_trip(&s, &b, "POST", "/other/x", &[], Some(&pattern_bytes(1024)));
    round_trip(&s, &b, "POST", "/api/firmware", &[], Some(&big));
    round_trip(&s, &b, "POST", "/api/firmware/part2", &[], Some(&big));
    round_trip(&s, &b, "POST", "/api/firmware", &[], Some(&pattern_bytes(256 * 1024)));
    round_trip(&s, &b, "POST", "/api/settings", &[], Some(&pattern_bytes(4096)));
    let n = b.seen().len();
    s.expect_reject(
        &request(&s, "POST", "/api/firmware", &[], Some(&pattern_bytes(256 * 1024 + 1))),
        413,
    );
    s.expect_reject(
        &request(&s, "POST", "/api/settings", &[], Some(&pattern_bytes(4097))),
        413,
    );
    s.expect_reject(&request(&s, "POST", "/api/settings", &[], Some(&big)), 413);
    s.expect_reject(&request(&s, "POST", "/other/x", &[], Some(&pattern_bytes(1025))), 413);
    assert_eq!(b.seen().len(), n, "a 413 reached the backend: {:#?}", b.seen());
}

// A 50 MiB upload (under `--proxy-max-body /api/firmware=64m`, the default limit elsewhere)
// streams through warden's fixed buffer: RSS stays flat, and the backend counts and sums
// exactly the bytes sent (it keeps none of them).
#[test]
fn upload_50_mib_streams_with_flat_rss_and_arrives_byte_exact() {
    const LEN: u64 = 50 << 20;
    const PIECE: usize = 1 << 20;
    let w = site();
    let b = Backend::sink();
    let s = start(&w, &b, &["--max-body", "4k", "--proxy-max-body", "/api/firmware=64m"]);
    // Warm-up through the same path: lazily set-up state is in the baseline.
    let small = pattern_bytes(10_000);
    let r = s.roundtrip(&request(&s, "POST", "/api/firmware", &[], Some(&small)));
    assert_eq!(r.body_str(), format!("len=10000 sum={:016x}", Sum::of(&small)), "{r:?}");
    let before = rss_kib(&s);

    let mut c = s.connect();
    send_raw(
        &mut c,
        &request(
            &s,
            "POST",
            "/api/firmware",
            &[
                "Content-Type: application/octet-stream",
                &format!("Content-Length: {LEN}"),
            ],
            None,
        ),
    );
    let mut buf = vec![0u8; PIECE];
    let mut peak = before;
    for i in 0..(LEN / PIECE as u64) {
        fill(i * PIECE as u64, &mut buf);
        c.write_all(&buf)
            .unwrap_or_else(|e| panic!("upload stalled after {i} MiB: {e}"));
        peak = peak.max(rss_kib(&s));
    }
    let r = read_response(&mut c, false);
    peak = peak.max(rss_kib(&s));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body_str(),
        format!("len={LEN} sum={:016x}", Sum::of_pattern(LEN)),
        "{r:?}"
    );
    let got = b.wait_seen(2)[1].clone();
    assert!(got.complete && got.body_len == LEN && got.extra.is_empty(), "{got:?}");
    eprintln!("upload: VmRSS {before} KiB before, peak {peak} KiB");
    // Under qemu-user the RSS is the emulator's too (its code cache grows while it
    // translates): the bytes are checked there, the memory natively.
    if skip_under_emulator("RSS of a proxied upload") {
        return;
    }
    assert!(
        peak.saturating_sub(before) < RSS_BUDGET_KIB,
        "RSS grew from {before} KiB to {peak} KiB during a {LEN}-byte upload"
    );
}

// A 100 MiB backend response (Content-Length, generated on the fly) streams to the client
// with flat RSS, byte-exact, and the client connection stays open after it.
#[test]
fn download_100_mib_streams_with_flat_rss_and_arrives_byte_exact() {
    const LEN: u64 = 100 << 20;
    let w = site();
    let b = Backend::start(false, |s, r| {
        let len = if r.request_line().starts_with("GET /api/big ") {
            LEN
        } else {
            1000
        };
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\n\r\n");
        if s.write_all(head.as_bytes()).is_err() {
            return;
        }
        let mut buf = vec![0u8; 64 * 1024];
        let mut off = 0u64;
        while off < len {
            let n = ((len - off) as usize).min(buf.len());
            fill(off, &mut buf[..n]);
            if s.write_all(&buf[..n]).is_err() {
                return;
            }
            off += n as u64;
        }
    });
    let s = start(&w, &b, &[]);
    // Warm-up through the same path.
    let r = s.get("/api/small");
    assert_eq!((r.status, r.body.len()), (200, 1000), "{r:?}");
    let before = rss_kib(&s);

    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/api/big", &[]));
    let head = read_head(&mut c);
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(
        head.header("content-length"),
        Some(LEN.to_string().as_str()),
        "{head:?}"
    );
    let mut sum = Sum::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    let mut next_sample = 0u64;
    let mut peak = before;
    while total < LEN {
        let want = ((LEN - total) as usize).min(buf.len());
        let n = c
            .read(&mut buf[..want])
            .unwrap_or_else(|e| panic!("download stalled after {total} bytes: {e}"));
        assert!(n > 0, "closed after {total} of {LEN} bytes");
        sum.update(&buf[..n]);
        total += n as u64;
        if total >= next_sample {
            peak = peak.max(rss_kib(&s));
            next_sample += 1 << 20;
        }
    }
    assert_eq!(sum.finish(), Sum::of_pattern(LEN), "the 100 MiB body arrived changed");
    eprintln!("download: VmRSS {before} KiB before, peak {peak} KiB");
    // Under qemu-user the RSS is the emulator's too (its code cache grows while it
    // translates): the bytes are checked there, the memory natively.
    if skip_under_emulator("RSS of a proxied download") {
        return;
    }
    assert!(
        peak.saturating_sub(before) < RSS_BUDGET_KIB,
        "RSS grew from {before} KiB to {peak} KiB during a {LEN}-byte download"
    );
    // Content-Length framing: the connection goes on.
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    let r = read_response(&mut c, false);
    assert_eq!((r.status, &r.body[..]), (200, HEALTH_BODY), "{r:?}");
}

// =============================================================================================
// The target (RFC 9110 §7.7) and prefix matching
// =============================================================================================

// RFC 9110 §7.7: a proxy MUST NOT modify the absolute-path and query when forwarding:
// percent-encoding (even of unreserved characters), `+`, an empty query, all unchanged.
#[test]
fn rfc9110_7_7_path_and_query_forwarded_unchanged_with_percent_encoding() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    for target in [
        "/api/a%20b?x=%20y",
        "/api/caf%C3%A9/%7euser?q=a+b&r=%2F%3F%26&r=2",
        "/api/%41%42?%41=%42",
        "/api/x?",
        "/api/x/?y=/../z",
    ] {
        let r = s.get(target);
        assert_eq!(r.status, 200, "{target}: {r:?}");
        let got = b.last();
        assert_eq!(got.request_line(), format!("GET {target} HTTP/1.1"), "{got:?}");
    }
}

// A path that does not clean (an encoded slash, a `..` segment, a NUL) is refused as it
// is for files, never forwarded: the prefix rules (`--protect`, `--proxy`) judge the
// cleaned path, and a backend must not be handed a spelling they did not judge.
#[test]
fn rfc3986_3_3_paths_that_do_not_clean_are_refused_not_forwarded() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    for target in [
        "/api/a%2Fb?x=%20y",
        "/api/../admin",
        "/api/%2e%2e/x",
        "/api/a%00b",
        "/api/a%5cb",
    ] {
        s.expect_reject(&req("GET", target, &[]), 400);
    }
    fence(&s, &b, "/api");
}

// `/api` covers `/api` and `/api/...` only: `/apix`, `/apix/y`, `/ap` are static paths (404
// here), and the backend never sees them.
#[test]
fn prefix_matches_at_segment_boundaries_apix_is_static_404() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    for target in ["/apix", "/apix/y", "/ap", "/api.txt", "/x/api"] {
        let r = s.get(target);
        assert_eq!(r.status, 404, "{target} is not under /api: {r:?}");
        assert_common_headers(&r);
    }
    fence(&s, &b, "/api");
}

// The prefix matches on the normalised, decoded path, so `//api/x`, `/./api/x` and `/%61pi/x`
// are proxied, and forwarded exactly as sent.
#[test]
fn equivalent_spellings_of_the_prefix_proxied_and_forwarded_unchanged() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    for target in ["//api/x", "/./api/x", "/%61pi/x", "/%61%70%69/x?q=1", "/api/./x"] {
        let r = s.get(target);
        assert_eq!(r.status, 200, "{target}: {r:?}");
        let got = b.last();
        assert_eq!(got.request_line(), format!("GET {target} HTTP/1.1"), "{got:?}");
    }
}

// =============================================================================================
// Backend failures
// =============================================================================================

// RFC 9110 §15.6.3: nothing listening on the backend's port -> 502; the server goes on.
#[test]
fn rfc9110_15_6_3_backend_down_502() {
    let w = site();
    let route = format!("/api=127.0.0.1:{}", dead_port());
    let s = Server::start(&w, &["--proxy", &route]);
    let r = refused(&s, &req("GET", "/api/status", &[]), 502);
    assert_error_body(&r);
    refused(&s, &request(&s, "POST", "/api/settings", &[], Some(b"{}")), 502);
    // RFC 9110 §9.3.2: warden's own 502 to a HEAD carries no content either.
    s.expect_reject(&req("HEAD", "/api/status", &[]), 502);
}

// RFC 9110 §15.6.5: a backend that accepts and never answers -> 504 after --proxy-timeout.
#[test]
fn rfc9110_15_6_5_slow_backend_504() {
    let w = site();
    let b = Backend::silent();
    let s = start(&w, &b, &["--proxy-timeout", "1"]);
    let t = Instant::now();
    let r = refused(&s, &req("GET", "/api/status", &[]), 504);
    assert_error_body(&r);
    assert!(t.elapsed() < IO_TIMEOUT, "504 came after {:?}", t.elapsed());
    assert_eq!(b.wait_seen(1)[0].request_line(), "GET /api/status HTTP/1.1");
}

// RFC 9112 §8: a backend closing before its Content-Length is complete leaves the message
// incomplete: the client sees the head, fewer than Content-Length bytes, then the connection
// closed; no further response is sent.
#[test]
fn rfc9112_8_backend_closing_mid_body_closes_the_client_connection() {
    let w = site();
    let b = Backend::start(true, |s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n");
        let _ = s.write_all(&[b'x'; 50]);
        thread::sleep(Duration::from_millis(150));
        let _ = s.write_all(&[b'x'; 50]);
        thread::sleep(Duration::from_millis(50));
    });
    let s = start(&w, &b, &[]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/api/cut", &[]));
    let got = read_to_close(&mut c);
    let head = http1::parse_head(&got)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no response head: {}", show(&got)));
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.header("content-length"), Some("1000"), "{head:?}");
    let body = &got[head.len..];
    assert!(
        body.len() < 1000,
        "a cut body presented as complete: {} bytes",
        body.len()
    );
    assert!(
        body.len() <= 100 && body.iter().all(|&x| x == b'x'),
        "only the backend's bytes, then the close (no further response): {}",
        show(body)
    );
    s.assert_healthy();
}

// RFC 9110 §15.6.3: a backend that closes without sending a head -> 502.
#[test]
fn rfc9110_15_6_3_backend_closing_before_its_head_502() {
    let w = site();
    let b = Backend::start(true, |_, _| {});
    let half = Backend::canned(b"HTTP/1.1 200 OK\r\nContent-Le");
    let half_route = half.route("/half");
    let s = start(&w, &b, &["--proxy", &half_route]);
    refused(&s, &req("GET", "/api/status", &[]), 502);
    refused(&s, &req("GET", "/half/status", &[]), 502);
    assert_eq!(b.wait_seen(1)[0].request_line(), "GET /api/status HTTP/1.1");
}

// RFC 9112 §6.3 (rule 6): a Content-Length response is complete when its bytes have arrived,
// whether or not the backend closes: the client gets it (its read would otherwise hit the
// 10 s safety timeout), its connection goes on, and warden closes the backend connection
// itself (one backend connection per request, no pool).
#[test]
fn rfc9112_6_3_content_length_response_complete_without_the_backend_closing() {
    let w = site();
    let b = Backend::canned_keep_open(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
    let s = start(&w, &b, &[]);
    let mut c = s.connect();
    for i in 0..3 {
        send_raw(&mut c, &req("GET", &format!("/api/held/{i}"), &[]));
        let r = read_response(&mut c, false);
        assert_eq!((r.status, &r.body[..]), (200, &b"hello"[..]), "round {i}: {r:?}");
        assert!(!r.connection_has("close"), "round {i}: {r:?}");
    }
    assert_eq!(b.wait_seen(3).len(), 3);
    assert_eq!(b.accepted(), 3, "one backend connection per request");
    // Each backend connection is closed by warden (the handler ends when it sees EOF).
    let deadline = Instant::now() + IO_TIMEOUT;
    while b.active() > 0 {
        assert!(
            Instant::now() < deadline,
            "warden kept {} backend connections open",
            b.active()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

// The longest stall of a backend's response body is --proxy-timeout; then the client
// connection is closed (never presented as complete).
#[test]
fn backend_body_stall_past_proxy_timeout_closes_the_client_connection() {
    let w = site();
    let b = Backend::start(true, |s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        hold_until_closed(s);
    });
    let s = start(&w, &b, &["--proxy-timeout", "1"]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/api/stall", &[]));
    let got = read_to_close(&mut c);
    let head = http1::parse_head(&got).unwrap().unwrap();
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(&got[head.len..], b"0123456789", "{}", show(&got));
    s.assert_healthy();
}

// RFC 9110 §15.6.3: a backend head over 8 KiB (many fields, one long field, an endless head)
// -> 502; the server goes on serving, static and proxied.
#[test]
fn rfc9110_15_6_3_backend_header_flood_502_and_server_still_serves() {
    let w = site();
    let many = Backend::start(true, |s, _| {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        let mut i = 0;
        while head.len() < 100 * 1024 {
            head.extend_from_slice(format!("X-Flood-{i}: {}\r\n", "v".repeat(40)).as_bytes());
            i += 1;
        }
        head.extend_from_slice(b"Content-Length: 2\r\n\r\nok");
        let _ = s.write_all(&head);
    });
    let long = Backend::start(true, |s, _| {
        let mut head = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
        head.extend(std::iter::repeat_n(b'a', 100 * 1024));
        head.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\nok");
        let _ = s.write_all(&head);
    });
    let endless = Backend::start(true, |s, _| {
        if s.write_all(b"HTTP/1.1 200 OK\r\n").is_err() {
            return;
        }
        // Until warden hangs up (bounded: 64 MiB).
        for i in 0..(64 << 20) / 32 {
            if s.write_all(format!("X-E-{i:08}: {}\r\n", "e".repeat(16)).as_bytes())
                .is_err()
            {
                return;
            }
        }
    });
    let echo = Backend::echo();
    let routes = [
        many.route("/many"),
        long.route("/long"),
        endless.route("/endless"),
        echo.route("/api"),
    ];
    let mut args = vec!["--proxy-timeout", "5"];
    for r in &routes {
        args.extend(["--proxy", r.as_str()]);
    }
    let s = Server::start(&w, &args);
    for target in ["/many/x", "/long/x", "/endless/x"] {
        let r = refused(&s, &req("GET", target, &[]), 502);
        assert_error_body(&r);
    }
    let r = s.get("/index.html");
    assert_eq!((r.status, &r.body[..]), (200, INDEX_BODY));
    assert_eq!(s.get("/api/after").status, 200);
    assert_eq!(echo.last().request_line(), "GET /api/after HTTP/1.1");
}

// A backend head of more than 64 fields (each short, all under 8 KiB) -> 502; 40 are fine.
#[test]
fn backend_head_over_64_fields_502() {
    let w = site();
    let b = Backend::start(true, |s, r| {
        let n = if r.request_line().contains("/api/many") { 70 } else { 40 };
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..n {
            head.extend_from_slice(format!("X-F{i}: v\r\n").as_bytes());
        }
        head.extend_from_slice(b"Content-Length: 2\r\n\r\nok");
        let _ = s.write_all(&head);
    });
    let s = start(&w, &b, &[]);
    let r = s.get("/api/some");
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]), "{r:?}");
    assert_eq!(r.header("x-f39"), Some("v"), "{r:?}");
    refused(&s, &req("GET", "/api/many", &[]), 502);
}

// =============================================================================================
// Response framing (RFC 9112 §6.3, §7.1)
// =============================================================================================

// RFC 9112 §7.1: a chunked response is relayed as received (extensions, a chunk bigger than
// warden's buffer, trailers), and the client connection goes on: the next requests on it,
// static and proxied, are answered.
#[test]
fn rfc9112_7_1_chunked_response_relayed_and_keep_alive_continues() {
    fn chunked_body() -> Vec<u8> {
        let big = pattern_bytes(20_000);
        let mut v = b"5\r\nhello\r\n6;ext=1\r\n world\r\n".to_vec();
        v.extend_from_slice(format!("{:x}\r\n", big.len()).as_bytes());
        v.extend_from_slice(&big);
        v.extend_from_slice(b"\r\n0\r\nX-Trailer: t\r\n\r\n");
        v
    }
    let w = site();
    let b = Backend::start(true, |s, _| {
        let body = chunked_body();
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
        // In pieces, framing cut anywhere.
        for piece in body.chunks(7001) {
            if s.write_all(piece).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
    });
    let s = start(&w, &b, &[]);
    let mut c = s.connect();
    for round in 0..2 {
        send_raw(&mut c, &req("GET", &format!("/api/stream/{round}"), &[]));
        let head = read_head(&mut c);
        assert_eq!(head.status, 200, "{head:?}");
        assert_eq!(head.header("transfer-encoding"), Some("chunked"), "{head:?}");
        assert_eq!(head.header("content-length"), None, "{head:?}");
        assert!(!head.connection_has("close"), "{head:?}");
        let raw = read_chunked_raw(&mut c);
        assert!(raw == chunked_body(), "chunked body changed: {}", show(&raw));
        send_raw(&mut c, &req("GET", "/index.html", &[]));
        let r = read_response(&mut c, false);
        assert_eq!((r.status, &r.body[..]), (200, INDEX_BODY), "{r:?}");
    }
}

// RFC 9112 §6.3 (rule 8): a response with neither Content-Length nor Transfer-Encoding ends
// when the backend closes: relayed byte-exact, then the client connection is closed.
#[test]
fn rfc9112_6_3_close_delimited_response_ends_with_the_connection_closed() {
    let w = site();
    let b = Backend::start(true, |s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n");
        let _ = s.write_all(&pattern_bytes(100 * 1024));
    });
    let s = start(&w, &b, &[]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/api/until-close", &[]));
    let got = read_to_close(&mut c);
    let head = http1::parse_head(&got).unwrap().unwrap();
    assert_eq!(head.status, 200, "{head:?}");
    assert!(head.connection_has("close"), "Connection: close expected: {head:?}");
    assert_eq!(head.header("content-length"), None, "{head:?}");
    let body = &got[head.len..];
    assert_eq!(body.len(), 100 * 1024, "{head:?}");
    assert!(body == pattern_bytes(100 * 1024), "close-delimited body changed");
}

// =============================================================================================
// Hop-by-hop fields (RFC 9110 §7.6.1), both ways
// =============================================================================================

// RFC 9110 §7.6.1: Connection and the fields it names, Keep-Alive, TE, Trailer, Proxy-*
// never reach the backend; the backend gets one `Connection: close` of warden's. The
// client's `Connection: close` closes the client connection after the answer. Upgrade is
// refused (501), so it never reaches the backend either.
#[test]
fn rfc9110_7_6_1_hop_by_hop_request_fields_never_reach_the_backend() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let mut c = s.connect();
    send_raw(
        &mut c,
        &req(
            "GET",
            "/api/hop",
            &[
                "Connection: close, X-Foo",
                "X-Foo: secret-foo",
                "Connection: X-Bar",
                "X-Bar: secret-bar",
                "Keep-Alive: timeout=5, max=9",
                "TE: trailers",
                "Trailer: X-Checksum",
                "Proxy-Authorization: Basic eDp5",
                "Proxy-Connection: keep-alive",
                "X-Keep: yes",
            ],
        ),
    );
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.connection_has("close"), "the client asked to close: {r:?}");
    assert_closed_ctx(&mut c, "after Connection: close");
    let got = b.last();
    for gone in [
        "x-foo",
        "x-bar",
        "keep-alive",
        "te",
        "trailer",
        "proxy-authorization",
        "proxy-connection",
        "upgrade",
    ] {
        assert_eq!(got.count(gone), 0, "{gone} reached the backend: {got:?}");
    }
    let text = got.head_text();
    assert!(!text.contains("secret-"), "{got:?}");
    assert_eq!(got.values("connection"), vec!["close"], "{got:?}");
    assert_eq!(got.value("x-keep").as_deref(), Some("yes"), "{got:?}");
    assert_eq!(got.count("host"), 1, "{got:?}");
    // Upgrade: never forwarded (refused), and nothing reached the backend for it.
    refused(
        &s,
        &req(
            "GET",
            "/api/h2c",
            &["Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c"],
        ),
        501,
    );
    assert_eq!(b.seen().len(), 1, "{:#?}", b.seen());
    assert_eq!(b.accepted(), 1);
}

// RFC 9110 §7.6.1: the backend's Connection, the fields it names, Keep-Alive, TE, Trailer,
// Upgrade and Proxy-* never reach the client; end-to-end fields do; the backend's
// `Connection: close` is its own hop's business (Content-Length framing: the client
// connection goes on).
#[test]
fn rfc9110_7_6_1_hop_by_hop_response_fields_never_reach_the_client() {
    let w = site();
    let b = Backend::canned(
        b"HTTP/1.1 200 OK\r\n\
          Connection: X-Bar, close\r\n\
          X-Bar: secret-bar\r\n\
          Connection: X-Baz\r\n\
          X-Baz: secret-baz\r\n\
          Keep-Alive: timeout=5, max=100\r\n\
          TE: trailers\r\n\
          Trailer: X-Sum\r\n\
          Upgrade: h2c\r\n\
          Proxy-Authenticate: Basic realm=\"x\"\r\n\
          Proxy-Foo: 1\r\n\
          X-End: kept\r\n\
          Cache-Control: no-cache\r\n\
          Content-Type: text/plain\r\n\
          Content-Length: 2\r\n\
          \r\n\
          ok",
    );
    let s = start(&w, &b, &[]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/api/hop", &[]));
    let r = read_response(&mut c, false);
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]), "{r:?}");
    for gone in [
        "x-bar",
        "x-baz",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "proxy-foo",
    ] {
        assert!(!r.has(gone), "{gone} reached the client: {r:?}");
    }
    for token in ["x-bar", "x-baz", "close"] {
        assert!(
            !r.connection_has(token),
            "Connection: {token} reached the client: {r:?}"
        );
    }
    assert_eq!(r.header("x-end"), Some("kept"), "{r:?}");
    assert_eq!(r.header("cache-control"), Some("no-cache"), "{r:?}");
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    let next = read_response(&mut c, false);
    assert_eq!((next.status, &next.body[..]), (200, HEALTH_BODY), "{next:?}");
}

// =============================================================================================
// Forwarding fields, identity
// =============================================================================================

// RFC 7239 §4/§5.2 and the de-facto X-Forwarded-*: the client's X-Forwarded-For, Forwarded,
// X-Real-IP, X-Forwarded-Host and X-Forwarded-Proto are dropped, never appended to; the
// backend sees exactly one of each of warden's, from the real peer (127.0.0.1).
#[test]
fn rfc7239_4_forwarding_fields_set_from_the_peer_and_spoofs_dropped() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let r = s.get_h(
        "/api/who",
        &[
            "X-Forwarded-For: 6.6.6.6",
            "x-forwarded-for: 7.7.7.7, 8.8.8.8",
            "Forwarded: for=9.9.9.9;proto=https",
            "X-Real-IP: 10.6.6.6",
            "X-Forwarded-Host: evil.example",
            "X-Forwarded-Proto: https",
        ],
    );
    assert_eq!(r.status, 200, "{r:?}");
    let got = b.last();
    assert_eq!(got.values("x-forwarded-for"), vec!["127.0.0.1"], "{got:?}");
    assert_eq!(got.values("forwarded"), vec!["for=127.0.0.1;proto=http"], "{got:?}");
    assert_eq!(got.values("x-forwarded-proto"), vec!["http"], "{got:?}");
    assert_eq!(got.count("x-real-ip"), 0, "{got:?}");
    assert_eq!(got.count("x-forwarded-host"), 0, "{got:?}");
    let text = got.head_text();
    for spoof in [
        "6.6.6.6",
        "7.7.7.7",
        "8.8.8.8",
        "9.9.9.9",
        "10.6.6.6",
        "evil.example",
        "https",
    ] {
        assert!(!text.contains(spoof), "{spoof} reached the backend: {got:?}");
    }
}

// A client's X-Remote-User (any case, repeated) never reaches the backend; on an unprotected
// path the backend gets none at all.
#[test]
fn x_remote_user_sent_by_a_client_is_stripped() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let r = s.get_h("/api/who", &["X-Remote-User: admin", "x-remote-user: root"]);
    assert_eq!(r.status, 200, "{r:?}");
    let got = b.last();
    assert_eq!(got.count("x-remote-user"), 0, "{got:?}");
    let r = s.roundtrip(&request(&s, "POST", "/api/who", &["X-REMOTE-USER: root"], Some(b"x")));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(b.last().count("x-remote-user"), 0, "{:?}", b.last());
}

// Under `--protect /api` a request that passed a login reaches the backend with exactly one
// `X-Remote-User: <user>` (the client's own dropped) and without Authorization (warden
// consumed it). On an unprotected proxied prefix Authorization is the backend's business.
#[test]
fn x_remote_user_names_the_login_and_authorization_is_withheld_on_protected_paths() {
    let w = site();
    let creds = credentials(&w);
    let b = Backend::echo();
    let open = b.route("/open");
    let s = start(&w, &b, &["--proxy", &open, "--auth-file", &creds, "--protect", "/api"]);
    let auth = authorization(USER.as_bytes(), PASSWORD.as_bytes());
    let r = s.get_h("/api/who", &[&auth, "X-Remote-User: root"]);
    assert_eq!(r.status, 200, "{r:?}");
    let got = b.last();
    assert_eq!(got.values("x-remote-user"), vec![USER], "{got:?}");
    assert_eq!(
        got.count("authorization"),
        0,
        "the password reached the backend: {got:?}"
    );
    // A state-changing request with a login, too.
    let r = s.roundtrip(&request(
        &s,
        "POST",
        "/api/settings",
        &[&auth, "x-remote-user: root"],
        Some(b"{}"),
    ));
    assert_eq!(r.status, 200, "{r:?}");
    let got = b.last();
    assert_eq!(got.values("x-remote-user"), vec![USER], "{got:?}");
    assert_eq!(got.count("authorization"), 0, "{got:?}");
    assert_eq!(got.body, b"{}", "{got:?}");
    // Unprotected: Authorization passes, no X-Remote-User.
    let r = s.get_h("/open/x", &["Authorization: Bearer abc", "X-Remote-User: admin"]);
    assert_eq!(r.status, 200, "{r:?}");
    let got = b.last();
    assert_eq!(got.values("authorization"), vec!["Bearer abc"], "{got:?}");
    assert_eq!(got.count("x-remote-user"), 0, "{got:?}");
}

// =============================================================================================
// The CSRF rule (RFC 6454 §7 Origin, RFC 9110 §10.1.3 Referer)
// =============================================================================================

// A POST with neither Origin nor Referer -> 403; the backend sees nothing.
#[test]
fn rfc6454_7_csrf_post_without_origin_or_referer_403() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    refused(
        &s,
        &bare(&s, "POST", "/api/settings", &["Content-Length: 2"], b"{}"),
        403,
    );
    refused(&s, &bare(&s, "DELETE", "/api/item/1", &[], b""), 403);
    fence(&s, &b, "/api/fence");
}

// A POST whose Origin is a foreign site -> 403; the backend sees nothing.
#[test]
fn rfc6454_7_csrf_post_from_a_foreign_origin_403() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    for origin in [
        "Origin: http://evil.example",
        "Origin: https://evil.example:443",
        "Origin: not a url",
    ] {
        refused(
            &s,
            &bare(&s, "POST", "/api/settings", &[origin, "Content-Length: 2"], b"{}"),
            403,
        );
    }
    fence(&s, &b, "/api/fence");
}

// `Origin: null` (sandboxed frames, some redirects) -> 403, even with a good Referer.
#[test]
fn rfc6454_7_csrf_post_with_origin_null_403() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    refused(
        &s,
        &bare(
            &s,
            "POST",
            "/api/settings",
            &["Origin: null", "Content-Length: 2"],
            b"{}",
        ),
        403,
    );
    let referer = format!("Referer: http://{}/settings.html", own_host(&s));
    refused(
        &s,
        &bare(
            &s,
            "POST",
            "/api/settings",
            &["Origin: null", &referer, "Content-Length: 2"],
            b"{}",
        ),
        403,
    );
    fence(&s, &b, "/api/fence");
}

// `Origin: http://127.0.0.1:PORT` (the page warden served) -> forwarded, body intact.
#[test]
fn rfc6454_7_csrf_post_with_own_origin_forwarded() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let got = round_trip(&s, &b, "POST", "/api/settings", &[], Some(b"{\"a\":1}"));
    assert_eq!(got.value("origin"), Some(format!("http://{}", own_host(&s))), "{got:?}");
    round_trip(&s, &b, "PUT", "/api/item", &[], Some(b"v"));
}

// RFC 9110 §10.1.3: without Origin, a Referer on this device's own origin lets the request
// through; a foreign Referer is 403; an Origin, when present, decides (a foreign Origin with a
// good Referer is 403).
#[test]
fn rfc9110_10_1_3_csrf_referer_fallback() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let own = format!("Referer: http://{}/settings.html?tab=lan", own_host(&s));
    let r = s.roundtrip(&bare(&s, "POST", "/api/settings", &[&own, "Content-Length: 2"], b"{}"));
    assert_eq!(r.status, 200, "{r:?}");
    let got = b.last();
    assert_eq!(got.request_line(), "POST /api/settings HTTP/1.1");
    assert_eq!(got.body, b"{}", "{got:?}");
    let n = b.seen().len();
    refused(
        &s,
        &bare(
            &s,
            "POST",
            "/api/settings",
            &["Referer: http://evil.example/", "Content-Length: 2"],
            b"{}",
        ),
        403,
    );
    refused(
        &s,
        &bare(
            &s,
            "POST",
            "/api/settings",
            &["Origin: http://evil.example", &own, "Content-Length: 2"],
            b"{}",
        ),
        403,
    );
    assert_eq!(b.seen().len(), n, "{:#?}", b.seen());
    assert_eq!(b.accepted(), n);
}

// GET (and OPTIONS) need no Origin: forwarded as they are.
#[test]
fn rfc6454_7_csrf_get_without_origin_forwarded() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let r = s.get("/api/status");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(b.last().request_line(), "GET /api/status HTTP/1.1");
    let r = s.roundtrip(&bare(&s, "OPTIONS", "/api/status", &[], b""));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(b.last().request_line(), "OPTIONS /api/status HTTP/1.1");
    // A foreign Origin on a GET is not refused either (the rule is for state changes).
    let r = s.get_h("/api/status", &["Origin: http://evil.example"]);
    assert_eq!(r.status, 200, "{r:?}");
}

// =============================================================================================
// Logins, throttling and the Host guard come first
// =============================================================================================

// RFC 6585 §4: five wrong passwords on the proxied, protected prefix, then 429 with
// Retry-After, for the right password too; the backend never sees an unauthenticated request.
#[test]
fn rfc6585_4_proxy_auth_and_throttling_together() {
    let w = site();
    let creds = credentials(&w);
    let b = Backend::echo();
    let open = b.route("/open");
    let s = start(&w, &b, &["--proxy", &open, "--auth-file", &creds, "--protect", "/api"]);
    let r = s.get("/api/status");
    assert_eq!(r.status, 401, "no credentials: {r:?}");
    assert!(r.has("www-authenticate"), "{r:?}");
    let wrong = authorization(USER.as_bytes(), b"guess");
    for i in 0..5 {
        let r = s.get_h("/api/status", &[&wrong]);
        assert_eq!(r.status, 401, "wrong password {i}: {r:?}");
    }
    let r = s.get_h("/api/status", &[&wrong]);
    assert_eq!(r.status, 429, "{r:?}");
    assert!(r.has("retry-after"), "{r:?}");
    let right = authorization(USER.as_bytes(), PASSWORD.as_bytes());
    let r = s.get_h("/api/status", &[&right]);
    assert_eq!(r.status, 429, "throttled: the right password waits too: {r:?}");
    let r = s.roundtrip(&request(&s, "POST", "/api/settings", &[&right], Some(b"{}")));
    assert_eq!(r.status, 429, "{r:?}");
    fence(&s, &b, "/open/fence");
}

// RFC 9110 §15.5.20: a Host the guard does not answer -> 421 before the proxy; the backend
// sees nothing (GET, and a POST with a matching Origin).
#[test]
fn rfc9110_15_5_20_host_guard_421_before_the_backend() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    s.expect_reject(&req_v("GET", "/api/status", "HTTP/1.1", &["Host: evil.example"]), 421);
    let mut post = req_v(
        "POST",
        "/api/settings",
        "HTTP/1.1",
        &["Host: evil.example", "Origin: http://evil.example", "Content-Length: 2"],
    );
    post.extend_from_slice(b"{}");
    s.expect_reject(&post, 421);
    fence(&s, &b, "/api/fence");
}

// =============================================================================================
// Connections
// =============================================================================================

// RFC 9112 §9.3.2: pipelined requests, static and proxied (one with a body), sent at once, are
// answered in order; the backend gets each proxied request once, nothing more.
#[test]
fn rfc9112_9_3_2_pipelined_static_and_proxied_answered_in_order() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let mut c = s.connect();
    let mut all = req("GET", "/index.html", &[]);
    all.extend(req("GET", "/api/one", &[]));
    all.extend(request(
        &s,
        "POST",
        "/api/two",
        &[],
        Some(b"GET /api/not-a-request HTTP/1.1\r\n\r\n"),
    ));
    all.extend(req("GET", "/health.txt", &[]));
    all.extend(req("GET", "/api/three?x=1", &[]));
    all.extend(req("HEAD", "/index.html", &[]));
    send_raw(&mut c, &all);
    let r = read_response(&mut c, false);
    assert_eq!((r.status, &r.body[..]), (200, INDEX_BODY), "1st: {r:?}");
    let r = read_response(&mut c, false);
    assert!(r.body.starts_with(b"GET /api/one HTTP/1.1\r\n"), "2nd: {r:?}");
    let r = read_response(&mut c, false);
    assert!(r.body.starts_with(b"POST /api/two HTTP/1.1\r\n"), "3rd: {r:?}");
    assert!(
        r.body.ends_with(b"\r\n\r\nGET /api/not-a-request HTTP/1.1\r\n\r\n"),
        "3rd: {r:?}"
    );
    let r = read_response(&mut c, false);
    assert_eq!((r.status, &r.body[..]), (200, HEALTH_BODY), "4th: {r:?}");
    let r = read_response(&mut c, false);
    assert!(r.body.starts_with(b"GET /api/three?x=1 HTTP/1.1\r\n"), "5th: {r:?}");
    let r = read_response(&mut c, true);
    assert_eq!(r.status, 200, "6th: {r:?}");
    let seen = b.seen();
    let lines: Vec<String> = seen.iter().map(|r| r.request_line()).collect();
    assert_eq!(
        lines,
        vec![
            "GET /api/one HTTP/1.1",
            "POST /api/two HTTP/1.1",
            "GET /api/three?x=1 HTTP/1.1"
        ],
        "{seen:#?}"
    );
    assert!(seen.iter().all(|r| r.extra.is_empty()), "{seen:#?}");
    assert_eq!(b.accepted(), 3);
}

// RFC 9110 §15.6.4 / §10.2.3: with `--max-connections 4` and four proxied requests waiting on
// their backend, a fifth client gets 503 with Retry-After and close; the four are answered
// when the backend is, keep their connections, and slots free up afterwards.
#[test]
fn rfc9110_15_6_4_connection_cap_with_proxied_requests_in_flight() {
    let w = site();
    let gate = Gate::new();
    let g = gate.clone();
    let b = Backend::start(true, move |s, r| {
        g.wait();
        let body = r.request_line();
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    });
    let s = start(&w, &b, &["--max-connections", "4"]);
    let mut held: Vec<TcpStream> = (0..4)
        .map(|i| {
            let mut c = s.connect();
            send_raw(&mut c, &req("GET", &format!("/api/held/{i}"), &[]));
            c
        })
        .collect();
    b.wait_seen(4);
    for target in ["/health.txt", "/api/fifth"] {
        let mut c = s.connect();
        send_lossy(&mut c, &req("GET", target, &[]));
        let r = try_read_response(&mut c, false).unwrap_or_else(|e| panic!("table full: expected 503, got {e}"));
        assert_eq!(r.status, 503, "{target}: {r:?}");
        assert_common_headers(&r);
        assert!(r.has("retry-after"), "{r:?}");
        assert_connection_close(&r);
        assert_closed(&mut c);
    }
    gate.open();
    for (i, c) in held.iter_mut().enumerate() {
        let r = read_response(c, false);
        assert_eq!(r.status, 200, "held {i}: {r:?}");
        assert_eq!(r.body_str(), format!("GET /api/held/{i} HTTP/1.1"), "held {i}");
        send_raw(c, &req("GET", "/health.txt", &[]));
        assert_eq!(
            read_response(c, false).body,
            HEALTH_BODY,
            "held {i} kept its connection"
        );
    }
    assert_eq!(
        b.seen().len(),
        4,
        "the refused fifth reached the backend: {:#?}",
        b.seen()
    );
    drop(held);
    let again: Vec<TcpStream> = (0..4).map(|_| wait_for_slot(&s)).collect();
    assert_eq!(again.len(), 4);
    drop(again);
    drop(wait_for_slot(&s));
    // The closes above reach the server's loop in their own time (a loaded machine):
    // until they have, the table may still be full and the answer a 503.
    let mut after = s.get("/api/after").status;
    for _ in 0..200 {
        if after != 503 {
            break;
        }
        thread::sleep(Duration::from_millis(25));
        after = s.get("/api/after").status;
    }
    assert_eq!(after, 200);
}

// RFC 9110 §10.1.1: `Expect: 100-continue` gets `100 Continue` once the request passed every
// check, then the final response after the body; the backend never sees Expect. A request
// refused on its head gets its final status without a 100; another expectation is 417.
#[test]
fn rfc9110_10_1_1_expect_100_continue_then_the_final_response() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &["--max-body", "1k"]);
    let mut c = s.connect();
    send_raw(
        &mut c,
        &request(
            &s,
            "POST",
            "/api/upload",
            &["Expect: 100-continue", "Content-Length: 10"],
            None,
        ),
    );
    let interim = read_response(&mut c, false);
    assert_eq!(
        (interim.version.as_str(), interim.status),
        ("HTTP/1.1", 100),
        "{interim:?}"
    );
    assert_eq!(interim.reason, "Continue", "{interim:?}");
    send_raw(&mut c, b"0123456789");
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "{r:?}");
    let got = b.last();
    assert_eq!(got.count("expect"), 0, "Expect reached the backend: {got:?}");
    assert_eq!(got.body, b"0123456789", "{got:?}");
    // The connection goes on.
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    assert_eq!(read_response(&mut c, false).body, HEALTH_BODY);

    // Over the limit: 413 at once, no 100 first.
    let mut c = s.connect();
    send_raw(
        &mut c,
        &request(
            &s,
            "POST",
            "/api/upload",
            &["Expect: 100-continue", "Content-Length: 2000"],
            None,
        ),
    );
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 413, "{r:?}");
    // Cross-site: 403, no 100.
    let mut c = s.connect();
    send_raw(
        &mut c,
        &bare(
            &s,
            "POST",
            "/api/upload",
            &["Expect: 100-continue", "Content-Length: 10"],
            b"",
        ),
    );
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 403, "{r:?}");
    // Another expectation.
    refused(
        &s,
        &request(&s, "POST", "/api/upload", &["Expect: magic"], Some(b"x")),
        417,
    );
    assert_eq!(b.seen().len(), 1, "{:#?}", b.seen());
    assert_eq!(b.accepted(), 1);
}

// RFC 9110 §7.8: `Upgrade: websocket` is not tunnelled: 501, and the backend sees nothing.
#[test]
fn rfc9110_7_8_upgrade_websocket_501() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let ws = req(
        "GET",
        "/api/ws",
        &[
            "Connection: Upgrade",
            "Upgrade: websocket",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ],
    );
    let r = refused(&s, &ws, 501);
    assert_error_body(&r);
    fence(&s, &b, "/api/fence");
}

// =============================================================================================
// Request smuggling on the proxied path (RFC 9112 §2.2, §5.2, §6.1, §6.3; RFC 9110 §8.6)
// =============================================================================================

/// A request line and field lines a smuggler would hide in a body.
const HIDDEN: &str = "GET /api/hidden HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// `POST /api/x` with Host, Origin, `lines` (each without CRLF, used verbatim), then `body`.
fn smuggle(s: &Server, lines: &[&str], body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "POST /api/x HTTP/1.1\r\nHost: {h}\r\nOrigin: http://{h}\r\n",
        h = own_host(s)
    )
    .into_bytes();
    for l in lines {
        raw.extend_from_slice(l.as_bytes());
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"\r\n");
    raw.extend_from_slice(body);
    raw
}

/// The chunked body `0 CRLF CRLF` followed by [`HIDDEN`].
fn chunked_then_hidden() -> Vec<u8> {
    [&b"0\r\n\r\n"[..], HIDDEN.as_bytes()].concat()
}

// RFC 9112 §6.1: Content-Length with Transfer-Encoding (either order) -> 400, nothing forwarded.
#[test]
fn rfc9112_6_1_cl_and_te_never_reach_the_backend() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = chunked_then_hidden();
    let cl = format!("Content-Length: {}", body.len());
    s.expect_reject(&smuggle(&s, &[&cl, "Transfer-Encoding: chunked"], &body), 400);
    s.expect_reject(&smuggle(&s, &["Transfer-Encoding: chunked", &cl], &body), 400);
    s.expect_reject(
        &smuggle(&s, &["Content-Length: 5", "Transfer-Encoding: chunked"], &body),
        400,
    );
    fence(&s, &b, "/api/fence");
}

// RFC 9112 §6.3 (rule 5): two Content-Length fields, equal or not -> 400.
#[test]
fn rfc9112_6_3_duplicate_content_length_400() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = HIDDEN.as_bytes();
    let cl = format!("Content-Length: {}", body.len());
    s.expect_reject(&smuggle(&s, &[&cl, &cl], body), 400);
    s.expect_reject(&smuggle(&s, &["Content-Length: 0", &cl], body), 400);
    s.expect_reject(&smuggle(&s, &[&cl, "Content-Length: 0"], body), 400);
    fence(&s, &b, "/api/fence");
}

// RFC 9110 §8.6: a Content-Length list (`1, 1`), a sign or junk -> 400.
#[test]
fn rfc9110_8_6_content_length_list_400() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = [b"A", HIDDEN.as_bytes()].concat();
    for cl in [
        "Content-Length: 1, 1",
        "Content-Length: 1,1",
        "Content-Length: +1",
        "Content-Length: 1 1",
        "Content-Length: 0x1",
    ] {
        s.expect_reject(&smuggle(&s, &[cl], &body), 400);
    }
    fence(&s, &b, "/api/fence");
}

// RFC 9112 §5.2: obs-fold (a field line continued on the next line) -> 400, in any field and
// in Content-Length.
#[test]
fn rfc9112_5_2_obs_fold_400() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = HIDDEN.as_bytes();
    let cl = format!("Content-Length: {}", body.len());
    s.expect_reject(&smuggle(&s, &["X-A: a", " folded", &cl], body), 400);
    s.expect_reject(&smuggle(&s, &["X-A: a", "\tfolded", &cl], body), 400);
    s.expect_reject(
        &smuggle(&s, &["Content-Length:", &format!(" {}", body.len())], body),
        400,
    );
    fence(&s, &b, "/api/fence");
}

// RFC 9112 §2.2: a bare CR inside a field -> 400.
#[test]
fn rfc9112_2_2_bare_cr_in_a_field_400() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = HIDDEN.as_bytes();
    let cl = format!("Content-Length: {}", body.len());
    s.expect_reject(&smuggle(&s, &["X-A: a\rb", &cl], body), 400);
    s.expect_reject(&smuggle(&s, &[&format!("{cl}\r"), "X-B: 1"], body), 400);
    s.expect_reject(&smuggle(&s, &["X-A: a\rContent-Length: 0", &cl], body), 400);
    fence(&s, &b, "/api/fence");
}

// RFC 9112 §6.1 / RFC 9110 §15.5.12: a chunked request body is not forwarded -> 411.
#[test]
fn rfc9112_6_1_chunked_request_body_411() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = [&b"5\r\nhello\r\n"[..], &chunked_then_hidden()].concat();
    s.expect_reject(&smuggle(&s, &["Transfer-Encoding: chunked"], &body), 411);
    fence(&s, &b, "/api/fence");
}

// RFC 9112 §6.1: a transfer coding other than chunked alone -> 501.
#[test]
fn rfc9112_6_1_other_transfer_coding_501() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = chunked_then_hidden();
    s.expect_reject(&smuggle(&s, &["Transfer-Encoding: gzip"], &body), 501);
    s.expect_reject(&smuggle(&s, &["Transfer-Encoding: gzip, chunked"], &body), 501);
    fence(&s, &b, "/api/fence");
}

// RFC 9112 §6.3: a request inside a Content-Length body is body bytes: the backend receives
// exactly one request, with those bytes as its body and nothing after it.
#[test]
fn rfc9112_6_3_request_hidden_in_a_body_forwarded_as_body_bytes_only() {
    let w = site();
    let b = Backend::echo();
    let s = start(&w, &b, &[]);
    let body = HIDDEN.as_bytes();
    let cl = format!("Content-Length: {}", body.len());
    let mut c = s.connect();
    send_raw(&mut c, &smuggle(&s, &[&cl], body));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.ends_with(body), "{r:?}");
    // Nothing more is answered on the connection.
    assert!(
        is_open_for(&mut c, Duration::from_millis(300)),
        "a second response appeared"
    );
    drop(c);
    s.assert_healthy();
    let seen = b.seen();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert_eq!(b.accepted(), 1, "{seen:#?}");
    assert_eq!(seen[0].request_line(), "POST /api/x HTTP/1.1", "{seen:#?}");
    assert_eq!(seen[0].body, body, "{seen:#?}");
    assert!(seen[0].extra.is_empty(), "{seen:#?}");
}

// =============================================================================================
// Start-up refusals
// =============================================================================================

/// `warden --root ROOT --listen 127.0.0.1:0 ARGS...` exits 2 with one `warden: ` line that
/// mentions one of `mentions`.
fn assert_refused_at_start(args: &[&str], mentions: &[&str]) {
    let w = site();
    let root = w.path().to_str().unwrap();
    let mut full = vec!["--root", root, "--listen", "127.0.0.1:0"];
    full.extend_from_slice(args);
    let out = run_cli(&full);
    assert_eq!(out.status.code(), Some(2), "warden {args:?}: {out:?}");
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "warden {args:?}: one stderr line expected: {:?}",
        out.stderr
    );
    assert!(lines[0].starts_with("warden: "), "warden {args:?}: {:?}", lines[0]);
    let low = lines[0].to_ascii_lowercase();
    assert!(
        mentions.iter().any(|m| low.contains(&m.to_ascii_lowercase())),
        "warden {args:?}: {:?} should mention one of {mentions:?}",
        lines[0]
    );
}

// A backend that is not on loopback is refused at start (exit 2).
#[test]
fn start_refuses_non_loopback_backend_without_proxy_allow_remote() {
    assert_refused_at_start(&["--proxy", "/api=192.0.2.1:80"], &["loopback", "192.0.2.1"]);
    assert_refused_at_start(&["--proxy", "/api=[2001:db8::1]:80"], &["loopback", "2001:db8::1"]);
}

// `--proxy-allow-remote` lets a non-loopback backend through (no request is sent to it).
#[test]
fn start_allows_non_loopback_backend_with_proxy_allow_remote() {
    let w = site();
    let mut s = Server::start(&w, &["--proxy", "/api=192.0.2.1:80", "--proxy-allow-remote"]);
    s.assert_healthy();
    let st = s.terminate();
    assert!(st.success(), "{st:?}");
}

// `--proxy api=...`: the prefix must be a path.
#[test]
fn start_refuses_proxy_prefix_without_leading_slash() {
    assert_refused_at_start(&["--proxy", "api=127.0.0.1:9000"], &["prefix", "api"]);
}

// `--proxy /api` or an ADDR alone: no `=`.
#[test]
fn start_refuses_proxy_without_equals() {
    assert_refused_at_start(&["--proxy", "/api"], &["prefix=", "/api"]);
    assert_refused_at_start(&["--proxy", "/api127.0.0.1:9000"], &["prefix=", "/api"]);
    assert_refused_at_start(&["--proxy", "127.0.0.1:9000"], &["prefix", "127.0.0.1"]);
}

// A port that is missing, not a number, 0 or over 65535.
#[test]
fn start_refuses_proxy_with_a_bad_port() {
    for addr in [
        "/api=127.0.0.1",
        "/api=127.0.0.1:",
        "/api=127.0.0.1:x",
        "/api=127.0.0.1:0",
        "/api=127.0.0.1:65536",
        "/api=127.0.0.1:99999",
        "/api=127.0.0.1:-1",
        "/api=[::1]",
    ] {
        assert_refused_at_start(&["--proxy", addr], &["port", addr]);
    }
}

#[test]
fn start_refuses_inconsistent_proxy_limits() {
    for (args, mention) in [
        (
            vec!["--proxy", "/api=127.0.0.1:1", "--proxy", "/api=127.0.0.1:2"],
            "twice",
        ),
        (vec!["--proxy-max-body", "/api=1m"], "--proxy"),
        (
            vec!["--proxy", "/api=127.0.0.1:1", "--proxy-max-body", "/other=1m"],
            "covers",
        ),
        (vec!["--proxy", "/api=127.0.0.1:1", "--max-body", "1g"], "byte count"),
        (
            vec!["--proxy", "/api=127.0.0.1:1", "--proxy-timeout", "0"],
            "proxy-timeout",
        ),
    ] {
        assert_refused_at_start(&args, &[mention]);
    }
}

// RFC 9112 §6.3: a backend response with both Content-Length and Transfer-Encoding
// cannot be relayed with either framing trusted: 502, and the server goes on.
#[test]
fn rfc9112_6_3_backend_with_both_framings_502() {
    let w = site();
    let b = Backend::canned(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    let s = start(&w, &b, &[]);
    s.expect_reject(&req("GET", "/api/x", &[]), 502);
    s.assert_healthy();
}
