//! Strictness of the request parser against RFC 9112 §2–§7 (and the RFC 9110 field rules it
//! applies): one test per row group of `docs/strictness.md`. Every case goes through the real
//! binary over a raw socket. A refused request must get its status, `Connection: close` and a
//! closed connection, and a new connection must still get 200 (`Server::expect_reject`); an
//! accepted one must leave its connection usable for another request (`accept`).

mod common;

use common::*;
use std::thread;
use std::time::Duration;

const FIVE: &[u8] = b"0123456789";
const MTIME: u64 = 1577934245; // Thu, 02 Jan 2020 03:04:05 GMT

fn site() -> (WebRoot, Server) {
    let w = WebRoot::new();
    w.file("index.html", b"<p>index</p>\n");
    w.file("five.txt", FIVE);
    w.set_mtime("five.txt", MTIME);
    w.file("app.js", b"plain js\n");
    w.file("app.js.gz", b"gzip bytes");
    // These tests check the parser, with hosts of every shape: the Host guard
    // (421 for names the device was not given) has its own tests, tests/hosts.rs.
    let s = Server::start(&w, &["--allow-any-host"]);
    (w, s)
}

/// Sends `raw` on a new connection, expects `status`, then checks that the same connection
/// still answers a second request (the first one was accepted, not merely answered).
fn accept(s: &Server, raw: &[u8], status: u16) -> Response {
    let mut c = s.connect();
    send_raw(&mut c, raw);
    let head = raw.trim_ascii_start().starts_with(b"HEAD ");
    let r = read_response(&mut c, head);
    assert_eq!(r.status, status, "request {:?}: {r:?}", show(raw));
    assert_common_headers(&r);
    assert!(!r.connection_has("close"), "request {:?}: {r:?}", show(raw));
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    let h = read_response(&mut c, false);
    assert_eq!(
        (h.status, &h.body[..]),
        (200, HEALTH_BODY),
        "next request after {:?}",
        show(raw)
    );
    r
}

/// A GET of `target` with `Host: localhost` and `lines`, CRLF-terminated.
fn get(target: &str, lines: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n").into_bytes();
    for l in lines {
        v.extend_from_slice(l);
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"\r\n");
    v
}

fn etag(s: &Server) -> String {
    s.get("/five.txt").h("etag").to_string()
}

// RFC 9112 §2.2: a recipient MAY recognise a bare LF as a line terminator. Accepted anywhere
// (request line, field lines, the blank line), mixed with CRLF, and for pipelined requests.
#[test]
fn rfc9112_2_2_bare_lf_accepted() {
    let (_w, s) = site();
    for raw in [
        &b"GET /five.txt HTTP/1.1\nHost: localhost\n\n"[..],
        b"GET /five.txt HTTP/1.1\r\nHost: localhost\n\r\n",
        b"GET /five.txt HTTP/1.1\nHost: localhost\r\n\n",
        b"GET /five.txt HTTP/1.1\nHost: localhost\nRange: bytes=0-1\n\n",
    ] {
        let r = accept(&s, raw, if contains(raw, b"Range") { 206 } else { 200 });
        assert!(r.body == FIVE || r.body == b"01", "{r:?}");
    }
    let mut c = s.connect();
    send_raw(
        &mut c,
        b"GET /five.txt HTTP/1.1\nHost: a\n\nGET /index.html HTTP/1.1\nHost: a\n\n",
    );
    assert_eq!(read_response(&mut c, false).body, FIVE);
    assert_eq!(read_response(&mut c, false).body, b"<p>index</p>\n");
}

// RFC 9112 §2.2: a bare CR (not followed by LF) anywhere in the head: MUST reject or replace
// with SP. Decision: 400.
#[test]
fn rfc9112_2_2_bare_cr_400() {
    let (_w, s) = site();
    for raw in [
        &b"GET /five.txt HTTP/1.1\rHost: localhost\r\n\r\n"[..],
        b"GET /five.txt HTTP/1.1\r\r\nHost: localhost\r\n\r\n",
        b"GET\r/five.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /fi\rve.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost: localhost\r\nX-A: a\rb\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost: localhost\r\nX-A: ab\r\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost: localhost\r\nX\r-A: ab\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost: localhost\r\n\rX-A: b\r\n\r\n",
        b"\rGET /five.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"\r\n\rGET /five.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
    ] {
        s.expect_reject(raw, 400);
    }
}

// RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) before the request line.
// Decision: any number of CRLF or LF lines, within the 8 KiB head limit (431 beyond), also when
// they arrive alone, and between pipelined requests. They do not hide the request line from the
// error path (HEAD errors stay bodiless; another version stays 505).
#[test]
fn rfc9112_2_2_leading_empty_lines_ignored() {
    let (_w, s) = site();
    accept(&s, &[b"\r\n", &get("/five.txt", &[])[..]].concat(), 200);
    accept(&s, &[b"\r\n\n\r\n\n\n", &get("/five.txt", &[])[..]].concat(), 200);
    accept(&s, &[&b"\r\n"[..], &req("HEAD", "/five.txt", &[])].concat(), 200);

    // Empty lines in a packet of their own, then the request.
    let mut c = s.connect();
    send_raw(&mut c, b"\r\n\r\n");
    thread::sleep(Duration::from_millis(150));
    send_raw(&mut c, &get("/five.txt", &[]));
    assert_eq!(read_response(&mut c, false).body, FIVE);

    // Between pipelined requests (what old clients sent after a POST body).
    let mut c = s.connect();
    let two = [&get("/five.txt", &[])[..], b"\r\n\r\n", &get("/index.html", &[])].concat();
    send_raw(&mut c, &two);
    assert_eq!(read_response(&mut c, false).body, FIVE);
    assert_eq!(read_response(&mut c, false).body, b"<p>index</p>\n");

    s.expect_reject(
        &[&b"\r\n"[..], &req_v("GET", "/", "HTTP/2.0", &["Host: a"])].concat(),
        505,
    );
    let mut c = s.connect();
    send_raw(
        &mut c,
        b"\r\nHEAD /five.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
    );
    let r = read_response(&mut c, true);
    assert_eq!(r.status, 413, "{r:?}");
    assert_closed_ctx(&mut c, "413 to HEAD after an empty line carried content");

    // A flood of empty lines is bounded by the head buffer.
    s.expect_reject(&b"\r\n".repeat(5000), 431);
}

// RFC 9112 §2.2: whitespace between the request line and the first field line: MUST reject or
// ignore those lines. Decision: 400 (httparse).
#[test]
fn rfc9112_2_2_whitespace_before_first_field_400() {
    let (_w, s) = site();
    s.expect_reject(b"GET /five.txt HTTP/1.1\r\n Host: localhost\r\n\r\n", 400);
    s.expect_reject(b"GET /five.txt HTTP/1.1\r\n\tHost: localhost\r\n\r\n", 400);
    s.expect_reject(b"GET /five.txt HTTP/1.0\r\n X-A: b\r\n\r\n", 400);
}

// RFC 9112 §2.3: HTTP-name is case-sensitive "HTTP"; HTTP-version is DIGIT "." DIGIT.
// Decision: lowercase or misshapen → 400; a well-shaped version of another major → 505
// (a later minor version of HTTP/1 is served: `rfc9110_2_5_later_minor_version_is_1_1`).
#[test]
fn rfc9112_2_3_version_syntax() {
    let (_w, s) = site();
    for v in [
        "http/1.1",
        "Http/1.1",
        "HTTP/1.01",
        "HTTP/01.1",
        "HTTP/1.",
        "HTTP 1.1",
        "HTTP/1.1/",
        "HTTP/1.10",
        "HTTP/1.20",
        "HTTP/1.x",
        "http/1.2",
    ] {
        s.expect_reject(&req_v("GET", "/five.txt", v, &["Host: a"]), 400);
    }
    for v in ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/2.2"] {
        s.expect_reject(&req_v("GET", "/five.txt", v, &["Host: a"]), 505);
    }
    accept(
        &s,
        &req_v("GET", "/five.txt", "HTTP/1.0", &["Connection: keep-alive"]),
        200,
    );
}

// RFC 9110 §2.5: a recipient SHOULD process a message with a higher minor version of a major
// version it implements as the highest minor version it conforms to. Decision: `HTTP/1.2` to
// `HTTP/1.9` are served as HTTP/1.1: an `HTTP/1.1` response (the server's own version), Host
// required, persistent unless `close`, pipelining as usual. `HTTP/2.0` stays 505.
#[test]
fn rfc9110_2_5_later_minor_version_is_1_1() {
    let (_w, s) = site();
    // `accept` also checks the status line says HTTP/1.1 and that a second request on the same
    // connection is answered (keep-alive by default, as in 1.1).
    for v in ["HTTP/1.2", "HTTP/1.9"] {
        let r = accept(&s, &req_v("GET", "/five.txt", v, &["Host: a"]), 200);
        assert_eq!(r.body, FIVE, "{v}: {r:?}");
        assert_eq!(r.version, "HTTP/1.1", "{v}: the response carries the server's version");
        let r = accept(&s, &req_v("GET", "/five.txt", v, &["Host: a", "Range: bytes=2-3"]), 206);
        assert_eq!(r.body, b"23", "{v}: {r:?}");
        accept(&s, &req_v("HEAD", "/five.txt", v, &["Host: a"]), 200);
    }

    // Two 1.2 requests and a 1.1 one pipelined in one write, answered in order on one connection.
    let mut c = s.connect();
    let three = [
        req_v("GET", "/five.txt", "HTTP/1.2", &["Host: a"]),
        req_v("GET", "/index.html", "HTTP/1.2", &["Host: a"]),
        req("GET", "/health.txt", &[]),
    ]
    .concat();
    send_raw(&mut c, &three);
    assert_eq!(read_response(&mut c, false).body, FIVE);
    assert_eq!(read_response(&mut c, false).body, b"<p>index</p>\n");
    assert_eq!(read_response(&mut c, false).body, HEALTH_BODY);

    // 1.1 semantics: `Connection: close` ends the connection; no Host is a 400.
    let mut c = s.connect();
    send_raw(
        &mut c,
        &req_v("GET", "/five.txt", "HTTP/1.2", &["Host: a", "Connection: close"]),
    );
    let r = read_response(&mut c, false);
    assert_eq!((r.status, &r.body[..]), (200, FIVE), "{r:?}");
    assert_connection_close(&r);
    assert_closed(&mut c);
    s.expect_reject(&req_v("GET", "/five.txt", "HTTP/1.2", &[]), 400);
    s.expect_reject(&req_v("GET", "/five.txt", "HTTP/1.2", &["Host: a", "Host: b"]), 400);

    // Another major version is still refused.
    s.expect_reject(&req_v("GET", "/five.txt", "HTTP/2.0", &["Host: a"]), 505);
}

// RFC 9112 §3: the request line's parts are separated by exactly one SP; recipients MAY split on
// any whitespace but that invites smuggling. Decision: exactly one SP, nothing before the
// method or after the version: anything else is 400.
#[test]
fn rfc9112_3_request_line_whitespace_400() {
    let (_w, s) = site();
    for line in [
        &b"GET  /five.txt HTTP/1.1"[..],
        b"GET /five.txt  HTTP/1.1",
        b" GET /five.txt HTTP/1.1",
        b"GET /five.txt HTTP/1.1 ",
        b"GET /five.txt HTTP/1.1\t",
        b"GET\t/five.txt HTTP/1.1",
        b"GET /five.txt\tHTTP/1.1",
        b"GET\t/five.txt\tHTTP/1.1",
        b"GET\x0b/five.txt HTTP/1.1",
        b"GET /five.txt\x0cHTTP/1.1",
        b"GET  HTTP/1.1",
    ] {
        s.expect_reject(&[line, b"\r\nHost: localhost\r\n\r\n"].concat(), 400);
    }
}

// RFC 9112 §3: a method longer than any implemented SHOULD get 501; RFC 9110 §9.1: methods are
// case-sensitive. Decision: any unknown token → 501, whatever its length, while the request
// line fits the 8 KiB head buffer; a line that does not end within it is 414.
#[test]
fn rfc9112_3_method_token() {
    let (_w, s) = site();
    let long = "A".repeat(2000);
    s.expect_reject(&req(&long, "/five.txt", &[]), 501);
    s.expect_reject(&req("get", "/five.txt", &[]), 501);
    s.expect_reject(&req("Head", "/five.txt", &[]), 501);
    s.expect_reject(&req(&"A".repeat(9000), "/five.txt", &[]), 414);
}

// RFC 9112 §3.2.2: absolute-form MUST be accepted; the host in it replaces Host (warden serves
// one site, so it is checked, then ignored). RFC 9110 §4.2.1: an empty host MUST be rejected;
// §4.2.4: userinfo SHOULD be treated as an error. Decision: http/https (any case), host valid
// as for Host; userinfo, empty or bad host, another scheme, a fragment → 400. Host is still
// required on HTTP/1.1 (RFC 9112 §3.2).
#[test]
fn rfc9112_3_2_2_absolute_form() {
    let (_w, s) = site();
    for t in [
        "http://localhost/five.txt",
        "HTTP://LOCALHOST:8080/five.txt?q=1",
        "https://router.lan/five.txt",
        "http://[::1]:80/five.txt",
        "http://192.168.1.1/five.txt",
    ] {
        assert_eq!(accept(&s, &get(t, &[]), 200).body, FIVE, "{t}");
    }
    assert_eq!(accept(&s, &get("http://h?x=1", &[]), 200).body, b"<p>index</p>\n");
    for t in [
        "http://user@localhost/five.txt",
        "http://user:pw@localhost/five.txt",
        "http://localhost:80@evil/five.txt",
        "http:///five.txt",
        "http://:80/five.txt",
        "http://",
        "http://local host/five.txt",
        "http://localhost:8x/five.txt",
        "http://[::1/five.txt",
        "http://localhost/five.txt#frag",
        "http://localhost#frag",
        "ftp://localhost/five.txt",
        "localhost/five.txt",
    ] {
        s.expect_reject(&get(t, &[]), 400);
    }
    s.expect_reject(&req_v("GET", "http://localhost/five.txt", "HTTP/1.1", &[]), 400);
}

// RFC 9112 §3.2.4: asterisk-form is only for OPTIONS; §3.2.3: authority-form only for CONNECT.
// Decision: the method is judged first, so OPTIONS * and CONNECT host:port are 405 (known
// methods warden does not allow, with Allow); the same forms with GET/HEAD are 400.
#[test]
fn rfc9112_3_2_3_and_3_2_4_asterisk_and_authority_forms() {
    let (_w, s) = site();
    for raw in [
        req("OPTIONS", "*", &[]),
        req("CONNECT", "localhost:443", &[]),
        req("CONNECT", "[::1]:443", &[]),
    ] {
        let r = s.expect_reject(&raw, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{r:?}");
    }
    for raw in [
        req("GET", "*", &[]),
        req("HEAD", "*", &[]),
        req("GET", "localhost:443", &[]),
        req("HEAD", "localhost:80", &[]),
    ] {
        s.expect_reject(&raw, 400);
    }
}

// RFC 9112 §3.2 / RFC 3986 §2: the target is ASCII URI characters; RFC 9112 §3 says an invalid
// request line SHOULD get 400. httparse passes any of `!`..`~` and bytes ≥ 0x80 (valid UTF-8
// only). Decision: `"`, `<`, `>`, `#` and every byte ≥ 0x80 → 400; SP, controls, DEL → 400
// (httparse); `{ } | ^ \` [ ]` are accepted because browsers send some of them unencoded (a
// `\` in the path is 400 by the path rules).
#[test]
fn rfc9112_3_2_target_characters() {
    let (_w, s) = site();
    for t in [
        &b"/a b"[..],
        b"/a\"b",
        b"/a<b>",
        b"/five.txt?q=\"x\"",
        b"/five.txt?q=<x>",
        b"/caf\xc3\xa9",
        b"/five.txt?q=\xc3\xa9",
        b"/caf\xe9",
        b"/\xff",
        b"/five.txt#frag",
        b"/five.txt?q#",
        b"/a\x7fb",
        b"/a\x1fb",
        b"/a\\b",
    ] {
        s.expect_reject(&[b"GET ", t, b" HTTP/1.1\r\nHost: localhost\r\n\r\n"].concat(), 400);
    }
    assert_eq!(accept(&s, &get("/five.txt?a={b}|c^d`[e]\\", &[]), 200).body, FIVE);
    accept(&s, &get("/a{b}|c^d`[e]", &[]), 404);
}

// NUL is never valid in a head (RFC 9112 §2.2, §3, §5; RFC 9110 §5.5). Decision: 400 wherever it
// is, including in the empty lines before the request line.
#[test]
fn rfc9112_nul_anywhere_400() {
    let (_w, s) = site();
    for raw in [
        &b"\0GET /five.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        b"\r\n\0\r\nGET /five.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"G\0T /five.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET\0/five.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /five\0.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /five.txt\0HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /five.txt HTTP/1.1\0\r\nHost: localhost\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\n\0Host: localhost\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHo\0st: localhost\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost:\0localhost\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost: local\0host\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost: localhost\0\r\n\r\n",
        b"GET /five.txt HTTP/1.1\r\nHost: localhost\r\n\0\r\n\r\n",
    ] {
        s.expect_reject(raw, 400);
    }
}

// RFC 9112 §5.1 / RFC 9110 §5.1: field-name = token, no whitespace before the colon (MUST 400).
// Decision: empty name, non-token byte (separators, obs-text), whitespace before the colon, no
// colon → 400.
#[test]
fn rfc9112_5_1_field_name_syntax_400() {
    let (_w, s) = site();
    for line in [
        &b": value"[..],
        b"X-A : value",
        b"X-A\t: value",
        b"Host : localhost",
        b"X A: value",
        b"X(A): value",
        b"X/A: value",
        b"X@A: value",
        b"X\xc3\xa9: value",
        b"NoColon",
    ] {
        s.expect_reject(&get("/five.txt", &[line]), 400);
    }
}

// RFC 9112 §5.2: obs-fold MUST be rejected (400) or replaced by SP outside message/http.
// Decision: 400 for any field line starting with SP or HTAB.
#[test]
fn rfc9112_5_2_obs_fold_400() {
    let (_w, s) = site();
    s.expect_reject(&get("/five.txt", &[b"X-A: a", b" b"]), 400);
    s.expect_reject(&get("/five.txt", &[b"X-A: a", b"\tb"]), 400);
    s.expect_reject(&get("/five.txt", &[b"X-A: a", b" "]), 400);
    s.expect_reject(&get("/five.txt", &[b"Range: bytes=0-1,", b" 3-4"]), 400);
}

// RFC 9110 §5.5: field-value = *field-content (VCHAR, SP, HTAB, obs-text), leading and trailing
// whitespace excluded. Decision: obs-text and inner HTAB accepted; any other control byte (DEL
// included) → 400; trailing SP/HTAB trimmed before the value is used.
#[test]
fn rfc9110_5_5_field_values() {
    let (_w, s) = site();
    accept(
        &s,
        &get("/five.txt", &[b"X-A: caf\xc3\xa9 \x80\xff", b"X-B: a\tb"]),
        200,
    );
    for line in [
        &b"X-A: a\x01b"[..],
        b"X-A: a\x1fb",
        b"X-A: a\x7fb",
        b"X-A: a\x0bb",
        b"X-A: a\x0cb",
        b"X-A: \x1b[31m",
    ] {
        s.expect_reject(&get("/five.txt", &[line]), 400);
    }
    let r = accept(
        &s,
        b"GET /five.txt HTTP/1.1\r\nHost: localhost \t\r\nRange: bytes=0-4 \t \r\n\r\n",
        206,
    );
    assert_eq!(r.body, b"01234");
    accept(&s, &get("/five.txt", &[b"Content-Length: 0  \t"]), 200);
    let tag = etag(&s);
    accept(
        &s,
        &get("/five.txt", &[format!("If-None-Match: {tag} \t").as_bytes()]),
        304,
    );
}

// RFC 9112 §3.2: more than one Host line → MUST 400 (equal values or not, 1.0 or 1.1); RFC 9110
// §8.6 / RFC 9112 §6.3: more than one Content-Length → 400 (warden does not merge equal ones).
#[test]
fn rfc9112_duplicate_host_and_content_length_400() {
    let (_w, s) = site();
    for lines in [
        &[&b"Host: localhost"[..]][..],
        &[b"host: localhost"],
        &[b"Host: other"],
        &[b"Host:"],
    ] {
        s.expect_reject(&get("/five.txt", lines), 400);
    }
    s.expect_reject(&req_v("GET", "/five.txt", "HTTP/1.0", &["Host: a", "Host: a"]), 400);
    s.expect_reject(&get("/five.txt", &[b"Content-Length: 0", b"Content-Length: 0"]), 400);
    s.expect_reject(&get("/five.txt", &[b"Content-Length: 0", b"content-length: 5"]), 400);
}

// RFC 9110 §5.3: a field that is not a list MUST NOT be sent twice; combined, its value becomes
// a list. RFC 9110 §13.1.3 / §13.1.4: If-Modified-Since / If-Unmodified-Since whose value is a
// list MUST be ignored; §14.2: an invalid Range MAY be ignored; §13.1.5: an If-Range that does not
// match makes the Range ignored. Decision: a repeated Range, If-Range, If-Modified-Since or
// If-Unmodified-Since is ignored (as an invalid value of that field would be): 200, full body.
#[test]
fn rfc9110_repeated_singleton_fields_ignored() {
    let (_w, s) = site();
    let date = imf_fixdate(MTIME);
    let ims = format!("If-Modified-Since: {date}");
    let ius = "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT";
    let tag = etag(&s);
    let if_range = format!("If-Range: {tag}");
    // Once, each field has its effect ...
    accept(&s, &get("/five.txt", &[ims.as_bytes()]), 304);
    s.expect_reject(&get("/five.txt", &[b"Connection: close", ius.as_bytes()]), 412);
    accept(&s, &get("/five.txt", &[b"Range: bytes=0-1"]), 206);
    accept(&s, &get("/five.txt", &[b"Range: bytes=0-1", if_range.as_bytes()]), 206);
    // ... twice, none has.
    for lines in [
        vec![ims.as_bytes(), ims.as_bytes()],
        vec![ius.as_bytes(), ius.as_bytes()],
        vec![b"Range: bytes=0-1", b"Range: bytes=0-1"],
        vec![b"Range: bytes=0-1", b"range: bytes=2-3"],
        vec![b"Range: bytes=0-1", if_range.as_bytes(), if_range.as_bytes()],
    ] {
        let r = accept(&s, &get("/five.txt", &lines), 200);
        assert_eq!(r.body, FIVE, "{lines:?}");
    }
}

// RFC 9110 §5.2/§5.3: list-valued fields may be split over several lines and are combined in
// order. Decision: If-Match, If-None-Match, Accept-Encoding and Connection combine (at most 4
// lines of each of the first three: 431 beyond).
#[test]
fn rfc9110_5_3_list_fields_combine() {
    let (_w, s) = site();
    let tag = etag(&s);
    let inm = format!("If-None-Match: {tag}");
    let im = format!("If-Match: {tag}");
    accept(&s, &get("/five.txt", &[b"If-None-Match: \"x\"", inm.as_bytes()]), 304);
    accept(&s, &get("/five.txt", &[b"If-Match: \"x\"", im.as_bytes()]), 200);
    let r = s.roundtrip(&get("/five.txt", &[b"If-Match: \"x\"", b"If-Match: \"y\""]));
    assert_eq!(r.status, 412, "{r:?}");
    let r = accept(
        &s,
        &get("/app.js", &[b"Accept-Encoding: identity", b"Accept-Encoding: gzip"]),
        200,
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"), "{r:?}");
    // Connection: keep-alive then close → close.
    let mut c = s.connect();
    send_raw(
        &mut c,
        &get("/five.txt", &[b"Connection: keep-alive", b"Connection: close"]),
    );
    let r = read_response(&mut c, false);
    assert!(r.connection_has("close"), "{r:?}");
    assert_closed(&mut c);
    // HTTP/1.0: keep-alive on a second Connection line counts.
    accept(
        &s,
        &req_v(
            "GET",
            "/five.txt",
            "HTTP/1.0",
            &["Connection: foo", "Connection: keep-alive"],
        ),
        200,
    );
    let five: Vec<&[u8]> = vec![b"If-None-Match: \"x\""; 5];
    s.expect_reject(&get("/five.txt", &five), 431);
}

// RFC 9110 §8.6: Content-Length = 1*DIGIT; large numerals must not overflow. RFC 9112 §6.3:
// an invalid Content-Length is unrecoverable (400, close). Decision: leading zeros are fine
// (value 0 → accepted, no body); any non-zero value → 413 (warden reads no request content),
// however many digits; sign, hex, list, empty, inner space, non-ASCII digit → 400.
#[test]
fn rfc9110_8_6_content_length_forms() {
    let (_w, s) = site();
    for v in ["0", "000", "0000000000000000000000000"] {
        let r = accept(&s, &get("/five.txt", &[format!("Content-Length: {v}").as_bytes()]), 200);
        assert_eq!(r.body, FIVE);
    }
    for v in [
        "0005",
        "18446744073709551615",
        "18446744073709551616",
        "999999999999999999999999999999",
    ] {
        s.expect_reject(&get("/five.txt", &[format!("Content-Length: {v}").as_bytes()]), 413);
    }
    for v in [
        &b"+0"[..],
        b"-0",
        b"+5",
        b"0x0",
        b"1,1",
        b"0, 0",
        b"",
        b"0 0",
        b"1e3",
        b"\xd9\xa3",
    ] {
        s.expect_reject(&get("/five.txt", &[&[&b"Content-Length: "[..], v].concat()]), 400);
    }
}

// RFC 9112 §6.1/§6.3: a request with a transfer coding whose final coding is not chunked MUST get
// 400 and close; with Content-Length too, the connection MUST close; an HTTP/1.0 message with
// Transfer-Encoding has faulty framing. Decision: any Transfer-Encoding, whatever its value and
// version, with or without Content-Length → 400 and close (warden reads no request content).
#[test]
fn rfc9112_6_1_transfer_encoding_400() {
    let (_w, s) = site();
    for lines in [
        &[&b"Transfer-Encoding: chunked"[..]][..],
        &[b"Transfer-Encoding: gzip"],
        &[b"Transfer-Encoding: gzip, chunked"],
        &[b"Transfer-Encoding: chunked, gzip"],
        &[b"Transfer-Encoding: identity"],
        &[b"Transfer-Encoding:"],
        &[b"Transfer-Encoding: chunked", b"Content-Length: 0"],
        &[b"Content-Length: 5", b"Transfer-Encoding: chunked"],
    ] {
        s.expect_reject(&get("/five.txt", lines), 400);
    }
    s.expect_reject(
        &req_v("GET", "/five.txt", "HTTP/1.0", &["Transfer-Encoding: chunked"]),
        400,
    );
    s.expect_reject(
        &req_v(
            "GET",
            "/five.txt",
            "HTTP/1.0",
            &["Transfer-Encoding: chunked", "Content-Length: 0"],
        ),
        400,
    );
    s.expect_reject(&req("HEAD", "/five.txt", &["Transfer-Encoding: chunked"]), 400);
}

// RFC 9112 §6.3 (7): a request without Content-Length or Transfer-Encoding has no content. What
// follows its head is the next request. Decision: nothing special: the bytes are parsed as a
// request head (here 400, close), or, if they never end in an empty line, the connection closes
// on EOF or the header timeout without a second response.
#[test]
fn rfc9112_6_3_bytes_after_a_bodiless_get_are_the_next_request() {
    let (_w, s) = site();
    let mut c = s.connect();
    send_raw(&mut c, &[&get("/five.txt", &[])[..], b"hello world\r\n\r\n"].concat());
    assert_eq!(read_response(&mut c, false).body, FIVE);
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 400, "{r:?}");
    assert_closed(&mut c);

    let mut c = s.connect();
    send_raw(&mut c, &[&get("/five.txt", &[])[..], b"{\"a\": 1}"].concat());
    assert_eq!(read_response(&mut c, false).body, FIVE);
    shutdown_write(&c);
    assert!(read_to_close(&mut c).is_empty(), "no response to a partial head");
    s.assert_healthy();
}

// RFC 9110 §10.1.1: a server MAY omit 100 Continue when there is no content and MUST ignore
// 100-continue from HTTP/1.0; 417 for an unknown expectation is a MAY. Decision: Expect is
// ignored: no interim 100; 200 without content, 413 (final) with Content-Length > 0.
#[test]
fn rfc9110_10_1_1_expect_ignored() {
    let (_w, s) = site();
    for raw in [
        get("/five.txt", &[b"Expect: 100-continue"]),
        get("/five.txt", &[b"Expect: 100-continue", b"Content-Length: 0"]),
        get("/five.txt", &[b"Expect: something-else"]),
        req_v(
            "GET",
            "/five.txt",
            "HTTP/1.0",
            &["Expect: 100-continue", "Connection: keep-alive"],
        ),
    ] {
        assert_eq!(accept(&s, &raw, 200).body, FIVE);
    }
    s.expect_reject(&get("/five.txt", &[b"Expect: 100-continue", b"Content-Length: 5"]), 413);
}

// RFC 9110 §7.2 / RFC 9112 §3.2: Host = uri-host [":" port]; missing (1.1), repeated or invalid →
// MUST 400; an empty value is valid (a target without authority). RFC 9110 §4.2.4: userinfo is
// an error. Decision: reg-name characters with valid %HH, or a bracketed IPv6 address (parsed;
// no IPvFuture, no zone id), port of at most 5 digits (empty allowed; 65536-99999 not range
// checked: the value is never used).
#[test]
fn rfc9110_7_2_host_values() {
    let (_w, s) = site();
    for v in [
        "",
        "   ",
        "localhost",
        "router.lan:8080",
        "localhost:",
        "[::1]",
        "[::1]:8080",
        "[fe80::1]",
        "[::ffff:127.0.0.1]:80",
        "a%41b",
        "99999:99999",
    ] {
        accept(&s, &req_v("GET", "/five.txt", "HTTP/1.1", &[&format!("Host:{v}")]), 200);
    }
    for v in [
        "user@localhost",
        "user:pw@localhost",
        "@localhost",
        "[::1",
        "::1",
        "[::1]x",
        "[::1]:x",
        "[v1.fe]",
        "[fe80::1%25eth0]",
        "[1:2:3:4:5:6:7:8:9]",
        "[]",
        "a%zz",
        "a%4",
        "local host",
        "localhost:123456",
        "localhost:8x",
        "localhost/x",
        "caf\u{e9}",
    ] {
        s.expect_reject(&req_v("GET", "/five.txt", "HTTP/1.1", &[&format!("Host: {v}")]), 400);
    }
    s.expect_reject(&req_v("GET", "/five.txt", "HTTP/1.1", &[]), 400);
    s.expect_reject(&req_v("GET", "/five.txt", "HTTP/1.0", &["Host: u@h"]), 400);
    let r = s.roundtrip(&req_v("GET", "/five.txt", "HTTP/1.0", &[]));
    assert_eq!(r.status, 200, "HTTP/1.0 without Host: {r:?}");
}
