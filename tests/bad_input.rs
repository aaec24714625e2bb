//! Malformed requests and limits: RFC 9112 §2.2, §3, §5.1, §5.2, §6.1–§6.3; RFC 9110 §5.5,
//! §15.5.14 (413), §15.5.15 (414); RFC 6585 §5 (431). Every rejection is followed by a good
//! request on a new connection (inside `expect_reject`).

mod common;

use common::*;

fn site() -> (WebRoot, Server) {
    let w = WebRoot::new();
    w.file("index.html", b"<p>index</p>\n");
    w.file("five.txt", b"0123456789");
    let s = Server::start(&w, &[]);
    (w, s)
}

fn raw(lines: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for l in lines {
        v.extend_from_slice(l);
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"\r\n");
    v
}

// RFC 9112 §3: a malformed request line → 400, close. (Extra or tab whitespace between the
// parts is left out: §3 lets a recipient parse on whitespace boundaries.)
#[test]
fn rfc9112_3_malformed_request_line_400() {
    let (_w, s) = site();
    let cases: Vec<Vec<u8>> = vec![
        raw(&[b"GET / HTTP/1.1 extra", b"Host: localhost"]),
        raw(&[b"GET / HTTX/1.1", b"Host: localhost"]),
        raw(&[b"GET / http/1.1", b"Host: localhost"]),
        raw(&[b"GET / HTTP/1", b"Host: localhost"]),
        raw(&[b"GET / HTTP/1.1.1", b"Host: localhost"]),
        raw(&[b"GET / HTTP/11", b"Host: localhost"]),
        raw(&[b"GET /", b"Host: localhost"]),
        raw(&[b"GET", b"Host: localhost"]),
        raw(&[b"/ HTTP/1.1", b"Host: localhost"]),
        raw(&[b"GET index.html HTTP/1.1", b"Host: localhost"]),
        raw(&[b"GET /a\x01b HTTP/1.1", b"Host: localhost"]),
        raw(&[b"G(T / HTTP/1.1", b"Host: localhost"]),
        raw(&[b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"]), // a TLS ClientHello
    ];
    for c in cases {
        s.expect_reject(&c, 400);
    }
}

// RFC 9112 §5.1: no whitespace inside a field name or between name and colon; a line without
// a colon or with an empty name is invalid.
#[test]
fn rfc9112_5_1_bad_field_names_400() {
    let (_w, s) = site();
    for h in [
        &b"Bad Name: x"[..],
        b"Name : value",
        b"Name\t: value",
        b"NoColonHere",
        b": empty-name",
        b"Na(me: x",
        b"Na\"me: x",
    ] {
        s.expect_reject(&raw(&[b"GET /index.html HTTP/1.1", b"Host: localhost", h]), 400);
    }
}

// RFC 9110 §5.5: control bytes are not allowed in field values.
#[test]
fn rfc9110_5_5_control_bytes_in_value_400() {
    let (_w, s) = site();
    for v in [
        &b"X-A: a\x01b"[..],
        b"X-A: a\x00b",
        b"X-A: a\x1bb",
        b"X-A: a\x7fb",
        b"X-A: \x08",
        b"User-Agent: x\x0cy",
    ] {
        s.expect_reject(&raw(&[b"GET /index.html HTTP/1.1", b"Host: localhost", v]), 400);
    }
    // HTAB and obs-text are allowed.
    let r = s.roundtrip(&raw(&[
        b"GET /index.html HTTP/1.1",
        b"Host: localhost",
        b"X-A: a\tb",
        b"X-B: caf\xc3\xa9 \xff",
    ]));
    assert_eq!(r.status, 200, "HTAB / obs-text in a value: {r:?}");
}

// RFC 9112 §5.2: obs-fold (a line starting with SP/HTAB) → 400.
#[test]
fn rfc9112_5_2_obs_fold_400() {
    let (_w, s) = site();
    for c in [
        raw(&[b"GET /index.html HTTP/1.1", b"Host: localhost", b"X-A: a", b"  b"]),
        raw(&[b"GET /index.html HTTP/1.1", b"Host: localhost", b"X-A: a", b"\tb"]),
        raw(&[b"GET /index.html HTTP/1.1", b" Host: localhost"]),
        raw(&[b"GET /index.html HTTP/1.1", b"X-A: a", b" Host: localhost"]),
    ] {
        s.expect_reject(&c, 400);
    }
}

// RFC 9112 §6.3: two Content-Length fields (even equal) or an invalid one → 400.
#[test]
fn rfc9112_6_3_bad_content_length_400() {
    let (_w, s) = site();
    for hs in [
        &[&b"Content-Length: 0"[..], b"Content-Length: 0"][..],
        &[b"Content-Length: 5", b"Content-Length: 5"],
        &[b"Content-Length: 0", b"content-length: 1"],
        &[b"Content-Length: abc"],
        &[b"Content-Length: -1"],
        &[b"Content-Length: +0"],
        &[b"Content-Length: 0x0"],
        &[b"Content-Length: 1 2"],
        &[b"Content-Length: "],
    ] {
        let mut lines: Vec<&[u8]> = vec![b"GET /index.html HTTP/1.1", b"Host: localhost"];
        lines.extend_from_slice(hs);
        s.expect_reject(&raw(&lines), 400);
    }
}

// RFC 9112 §6.1: any Transfer-Encoding on a request → 400 (spec; the server accepts no body).
#[test]
fn rfc9112_6_1_transfer_encoding_400() {
    let (_w, s) = site();
    for hs in [
        &[&b"Transfer-Encoding: chunked"[..]][..],
        &[b"Transfer-Encoding: gzip, chunked"],
        &[b"Transfer-Encoding: identity"],
        &[b"Transfer-Encoding: chunked", b"Content-Length: 0"],
        &[b"transfer-encoding: CHUNKED"],
    ] {
        let mut lines: Vec<&[u8]> = vec![b"GET /index.html HTTP/1.1", b"Host: localhost"];
        lines.extend_from_slice(hs);
        s.expect_reject(&raw(&lines), 400);
    }
    s.expect_reject(&raw(&[b"GET /index.html HTTP/1.0", b"Transfer-Encoding: chunked"]), 400);
}

// RFC 9110 §15.5.14: a body on GET/HEAD (Content-Length > 0) → 413, close.
#[test]
fn rfc9110_15_5_14_body_on_get_head_413() {
    let (_w, s) = site();
    for m in ["GET", "HEAD"] {
        for n in ["1", "5", "1000000"] {
            // The body itself is not sent: the server must answer without waiting for it.
            s.expect_reject(&req(m, "/index.html", &[&format!("Content-Length: {n}")]), 413);
        }
    }
}

// RFC 9112 §6.2: `Content-Length: 0` on GET is fine and the connection stays usable.
#[test]
fn rfc9112_6_2_content_length_zero_accepted() {
    let (_w, s) = site();
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/index.html", &["Content-Length: 0"]));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"<p>index</p>\n");
    send_raw(&mut c, &req("GET", "/five.txt", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.body, b"0123456789", "next request on the same connection");
}

// RFC 9110 §15.5.15 414: a target longer than 1024 bytes (1024 itself is fine).
#[test]
fn rfc9110_15_5_15_uri_too_long_414() {
    let (_w, s) = site();
    let base = "/index.html?";
    let ok = format!("{base}{}", "q".repeat(1024 - base.len()));
    assert_eq!(ok.len(), 1024);
    let r = s.get(&ok);
    assert_eq!(r.status, 200, "1024-byte target: {r:?}");
    let long = format!("{base}{}", "q".repeat(1025 - base.len()));
    s.expect_reject(&req("GET", &long, &[]), 414);
    let long_path = format!("/{}", "p".repeat(2000));
    s.expect_reject(&req("GET", &long_path, &[]), 414);
    // A request line that does not end within 8192 bytes.
    let mut endless = b"GET /".to_vec();
    endless.extend(std::iter::repeat_n(b'a', 9000));
    s.expect_reject(&endless, 414);
}

// RFC 6585 §5 431: a head over 8192 bytes (one big field or many medium ones).
#[test]
fn rfc6585_5_header_fields_too_large_431_by_size() {
    let (_w, s) = site();
    // Under the limit: fine.
    let pad = format!("X-Pad: {}", "a".repeat(7000));
    let r = s.roundtrip(&req("GET", "/index.html", &[&pad]));
    assert_eq!(r.status, 200, "7 KB head: {r:?}");
    // One huge field.
    let pad = format!("X-Pad: {}", "a".repeat(9000));
    s.expect_reject(&req("GET", "/index.html", &[&pad]), 431);
    // 20 fields of 500 bytes (over 8192 in total, under 32 fields).
    let fields: Vec<String> = (0..20).map(|i| format!("X-F{i}: {}", "b".repeat(500))).collect();
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    s.expect_reject(&req("GET", "/index.html", &refs), 431);
    // A head that never ends.
    let mut endless = req("GET", "/index.html", &[]);
    endless.truncate(endless.len() - 2);
    for i in 0..400 {
        endless.extend(format!("X-Endless-{i}: yyyyyyyyyyyyyyyy\r\n").bytes());
    }
    s.expect_reject(&endless, 431);
}

// RFC 6585 §5 431: more than 32 header fields (32 are fine).
#[test]
fn rfc6585_5_header_fields_too_many_431_by_count() {
    let (_w, s) = site();
    let fields: Vec<String> = (0..31).map(|i| format!("X-N{i}: v")).collect();
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    let r = s.roundtrip(&req("GET", "/index.html", &refs)); // Host + 31 = 32
    assert_eq!(r.status, 200, "32 fields: {r:?}");
    let fields: Vec<String> = (0..32).map(|i| format!("X-N{i}: v")).collect();
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    s.expect_reject(&req("GET", "/index.html", &refs), 431); // 33
    let fields: Vec<String> = (0..100).map(|i| format!("X-N{i}: v")).collect();
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    s.expect_reject(&req("GET", "/index.html", &refs), 431);
}

// Spec: header names match exactly at line start: `X-Note: Range: bytes=0-4` is not a Range,
// `X-Host` is not a Host, `X-Connection: close` does not close, `X-If-None-Match` is ignored.
#[test]
fn rfc9112_5_1_field_names_matched_exactly() {
    let (_w, s) = site();
    let r = s.get_h("/five.txt", &["X-Note: Range: bytes=0-4"]);
    assert_eq!(r.status, 200, "X-Note: Range: ... must not be a Range: {r:?}");
    assert_eq!(r.body, b"0123456789");
    assert!(!r.has("content-range"), "{r:?}");

    let r = s.get_h("/five.txt", &["X-Range: bytes=0-4", "Ranges: bytes=0-4"]);
    assert_eq!(r.status, 200, "{r:?}");

    let etag = s.get("/five.txt").h("etag").to_string();
    let r = s.get_h("/five.txt", &[&format!("X-If-None-Match: {etag}")]);
    assert_eq!(r.status, 200, "X-If-None-Match is not If-None-Match: {r:?}");

    // No Host, only X-Host → 400.
    s.expect_reject(&raw(&[b"GET /five.txt HTTP/1.1", b"X-Host: localhost"]), 400);

    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/five.txt", &["X-Connection: close"]));
    let r = read_response(&mut c, false);
    assert!(!r.connection_has("close"), "{r:?}");
    send_raw(&mut c, &req("GET", "/five.txt", &[]));
    assert_eq!(read_response(&mut c, false).status, 200);

    // Field names are case-insensitive (RFC 9110 §5.1).
    let r = s.get_h("/five.txt", &["rAnGe: bytes=0-4"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.body, b"01234");
}

// RFC 9112 §2.2: binary garbage or an empty line followed by EOF never crashes the server.
#[test]
fn rfc9112_2_2_garbage_then_close() {
    let (_w, s) = site();
    for junk in [
        &b"\x00\x00\x00\x00\r\n\r\n"[..],
        b"\xff\xfe\xfd\r\n\r\n",
        b"\r\n\r\n\r\n\r\n",
    ] {
        let mut c = s.connect();
        send_lossy(&mut c, junk);
        shutdown_write(&c);
        let got = read_to_close(&mut c);
        if !got.is_empty() {
            assert!(
                got.starts_with(b"HTTP/1.1 400 "),
                "junk {:?} answered with {:?}",
                show(junk),
                show(&got)
            );
        }
        s.assert_healthy();
    }
    // A connection closed in the middle of a head.
    let mut c = s.connect();
    send_raw(&mut c, b"GET /index.html HTTP/1.1\r\nHost: loc");
    shutdown_write(&c);
    let _ = read_to_close(&mut c);
    s.assert_healthy();
}

// RFC 9110 §9.3.2 / RFC 9112 §6.3: a response to HEAD never carries content, error responses
// included (the next pipelined response must start right after the head).
#[test]
fn rfc9110_9_3_2_head_error_responses_without_content() {
    let (w, s) = site();
    w.dir("dir");
    w.file("only.css.gz", b"gz bytes");
    // Responses after which the connection may stay open: check with a pipelined GET.
    for (target, headers, status) in [
        ("/missing.txt", &[][..], 404),
        ("/dir", &[][..], 301),
        ("/five.txt", &["If-Match: \"x\""][..], 412),
        ("/five.txt", &["Range: bytes=50-"][..], 416),
        ("/only.css", &[][..], 406),
    ] {
        let mut c = s.connect();
        let mut both = req("HEAD", target, headers);
        both.extend(req("GET", "/five.txt", &[]));
        send_raw(&mut c, &both);
        let r = read_response(&mut c, true);
        assert_eq!(r.status, status, "HEAD {target} {headers:?}: {r:?}");
        assert_common_headers(&r);
        if r.connection_has("close") {
            assert_closed_ctx(&mut c, &format!("HEAD {target} -> {status} carried content"));
        } else {
            let g = read_response(&mut c, false);
            assert_eq!(
                g.body, b"0123456789",
                "HEAD {target} -> {status} carried content (next response: {g:?})"
            );
        }
    }
    // Responses that close: nothing may follow the head.
    s.expect_reject(&req("HEAD", "/%2e%2e/x", &[]), 400);
    s.expect_reject(&req_v("HEAD", "/five.txt", "HTTP/1.1", &[]), 400);
    s.expect_reject(&req("HEAD", "/five.txt", &["Content-Length: 3"]), 413);
    s.expect_reject(&req("HEAD", "/five.txt", &["Transfer-Encoding: chunked"]), 400);
    s.expect_reject(&req_v("HEAD", "/five.txt", "HTTP/2.0", &["Host: x"]), 505);
}
