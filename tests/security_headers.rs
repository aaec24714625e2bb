//! The security header defaults every response carries and the `--header` flag that changes
//! them (`config::render_headers`, written by `response::start`), through the real binary.
//!
//! Defaults: `X-Content-Type-Options: nosniff` (Fetch), `X-Frame-Options: DENY` (RFC 7034),
//! a `Content-Security-Policy` (CSP3), `Referrer-Policy: same-origin` and
//! `Cross-Origin-Opener-Policy: same-origin`, on every status: 200, 206, 301, 304 and every
//! error, the 503 of a full table and the 400 to bytes that never parsed included. `--header
//! 'Name: value'` replaces a default of that name (field names are case-insensitive, RFC 9110
//! §5.1; the result is one field line, §5.3) or adds a field; `--header 'Name:'` removes one.
//! Refused at start (exit 2, one `warden: ` line naming `--header`): fields warden manages,
//! values with control bytes or non-ASCII (no header injection), more than 16 flags, more than
//! 768 bytes of configured header lines (with `--cache-control`).

mod common;

use common::*;
use std::net::TcpStream;
use std::time::{Duration, Instant};

const DEFAULTS: [(&str, &str); 5] = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'",
    ),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
];

/// The most bytes of configured header lines (`Name: value\r\n` each, the defaults and
/// `--cache-control` included).
const MAX_CONFIGURED: usize = 768;

const FIVE: &[u8] = b"0123456789";

fn site() -> WebRoot {
    let w = WebRoot::new();
    w.file("index.html", b"<p>index</p>\n");
    w.file("five.txt", FIVE);
    w.file("docs/index.html", b"docs index\n");
    w.file("only.css.gz", b"gz bytes");
    w
}

/// Each default exactly once, with its exact value.
fn assert_defaults(r: &Response, ctx: &str) {
    assert_fields(r, &DEFAULTS, ctx);
}

/// Each `(name, value)` exactly once with that value.
fn assert_fields(r: &Response, fields: &[(&str, &str)], ctx: &str) {
    for (name, value) in fields {
        assert_eq!(r.header_count(name), 1, "{ctx}: exactly one {name} in {r:?}");
        assert_eq!(r.header(name), Some(*value), "{ctx}: value of {name} in {r:?}");
    }
}

/// The length of the default header lines as rendered.
fn defaults_len() -> usize {
    DEFAULTS.iter().map(|(n, v)| n.len() + 2 + v.len() + 2).sum()
}

/// Holds the only slot of a `--max-connections 1` server, then a new connection gets the 503.
fn table_full_503(s: &Server) -> Response {
    let mut held = s.connect();
    send_raw(&mut held, &req("GET", "/health.txt", &[]));
    let r = read_response(&mut held, false);
    assert_eq!(r.status, 200, "holding connection: {r:?}");
    let mut c = s.connect();
    send_lossy(&mut c, &req("GET", "/health.txt", &[]));
    let r = try_read_response(&mut c, false).unwrap_or_else(|e| panic!("table full: expected a 503, got {e}"));
    assert_eq!(r.status, 503, "table full: {r:?}");
    assert_common_headers(&r);
    assert_connection_close(&r);
    assert_closed(&mut c);
    drop(held);
    wait_healthy(s);
    r
}

/// New connections until one gets 200 (the held slot is freed asynchronously).
fn wait_healthy(s: &Server) {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let mut c: TcpStream = s.connect();
        send_lossy(&mut c, &req("GET", "/health.txt", &[]));
        match try_read_response(&mut c, false) {
            Ok(r) if r.status == 200 => return,
            Ok(r) if r.status == 503 => {}
            Ok(r) => panic!("unexpected response while waiting for a slot: {r:?}"),
            Err(_) => {}
        }
        assert!(Instant::now() < deadline, "no slot became free again");
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// `Server::expect_reject` without its `nosniff` check (`--header` may remove that default):
/// `raw` on a new connection gets `status` with `Connection: close`, the connection is closed
/// (nothing after a HEAD's head), and a fresh connection then gets 200.
fn reject(s: &Server, raw: &[u8], status: u16) -> Response {
    let mut c = s.connect();
    send_lossy(&mut c, raw);
    let head = raw.starts_with(b"HEAD ");
    let r = try_read_response(&mut c, head)
        .unwrap_or_else(|e| panic!("request {:?}: expected {status}, got no response: {e}", show(raw)));
    assert_eq!(r.status, status, "request {:?}: {r:?}", show(raw));
    assert_eq!(r.header("server"), Some("warden"), "{r:?}");
    assert_eq!(r.header_count("date"), 1, "{r:?}");
    assert_connection_close(&r);
    assert_closed_ctx(&mut c, &format!("after the {status} to {:?}", show(raw)));
    s.assert_healthy();
    r
}

/// One response of each kind the brief names, with their context: 200, 206, 301, 304, 404
/// (GET and HEAD), 400 (garbage), 421 (Host guard, GET and HEAD); the caller adds the 503.
fn sample_responses(s: &Server) -> Vec<(String, Response)> {
    let etag = s.get("/five.txt").h("etag").to_string();
    let mut out = Vec::new();
    for (target, headers, status) in [
        ("/index.html", vec![], 200),
        ("/five.txt", vec!["Range: bytes=0-1".to_string()], 206),
        ("/docs", vec![], 301),
        ("/five.txt", vec![format!("If-None-Match: {etag}")], 304),
        ("/missing.txt", vec![], 404),
    ] {
        let lines: Vec<&str> = headers.iter().map(String::as_str).collect();
        for method in ["GET", "HEAD"] {
            let r = s.roundtrip(&req(method, target, &lines));
            assert_eq!(r.status, status, "{method} {target} {lines:?}: {r:?}");
            assert_eq!(r.header("server"), Some("warden"), "{r:?}");
            out.push((format!("{method} {target} -> {status}"), r));
        }
    }
    for (raw, status) in [
        (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n".to_vec(), 400),
        (b"GARBAGE\r\n\r\n".to_vec(), 400),
        (req_v("GET", "/five.txt", "HTTP/1.1", &["Host: evil.example"]), 421),
        (req_v("HEAD", "/five.txt", "HTTP/1.1", &["Host: evil.example"]), 421),
    ] {
        let r = reject(s, &raw, status);
        out.push((format!("{:?} -> {status}", show(&raw)), r));
    }
    out
}

// RFC 9110 §15.3.1 (and RFC 7034 §2, CSP3): a 200 for a file carries each default once.
#[test]
fn rfc9110_15_3_1_defaults_on_200() {
    let w = site();
    let s = Server::start(&w, &[]);
    let r = s.get("/index.html");
    assert_eq!(r.status, 200, "{r:?}");
    assert_common_headers(&r);
    assert_defaults(&r, "GET /index.html");
    // A keep-alive connection: every response on it carries them, not only the first.
    let mut c = s.connect();
    for _ in 0..3 {
        send_raw(&mut c, &req("GET", "/five.txt", &[]));
        let r = read_response(&mut c, false);
        assert_eq!(r.body, FIVE);
        assert_defaults(&r, "GET /five.txt on a reused connection");
    }
}

// RFC 9110 §15.5.5: a 404 (an error the connection survives) carries them.
#[test]
fn rfc9110_15_5_5_defaults_on_404() {
    let w = site();
    let s = Server::start(&w, &[]);
    let r = s.get("/missing.txt");
    assert_eq!(r.status, 404, "{r:?}");
    assert_common_headers(&r);
    assert_defaults(&r, "GET /missing.txt");
}

// RFC 9110 §15.4.5: a 304 carries no content but does carry them.
#[test]
fn rfc9110_15_4_5_defaults_on_304() {
    let w = site();
    let s = Server::start(&w, &[]);
    let etag = s.get("/five.txt").h("etag").to_string();
    let r = s.get_h("/five.txt", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(r.status, 304, "{r:?}");
    assert_common_headers(&r);
    assert_defaults(&r, "If-None-Match 304");
    let lm = s.get("/five.txt").h("last-modified").to_string();
    let r = s.get_h("/five.txt", &[&format!("If-Modified-Since: {lm}")]);
    assert_eq!(r.status, 304, "{r:?}");
    assert_defaults(&r, "If-Modified-Since 304");
}

// RFC 9112 §3 / RFC 9110 §15.5.1: the 400 to bytes that never parse as a request (a TLS
// ClientHello's first bytes and a blank line, a word and a blank line, a field line without a
// colon, a path escaping the root) carries them; the server goes on serving.
#[test]
fn rfc9110_15_5_1_defaults_on_400() {
    let w = site();
    let s = Server::start(&w, &[]);
    for raw in [
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n".to_vec(),
        b"GARBAGE\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n".to_vec(),
        req("GET", "/../etc/passwd", &[]),
    ] {
        let r = s.expect_reject(&raw, 400);
        assert_defaults(&r, &show(&raw));
    }
}

// RFC 9110 §15.5.20: the Host guard's 421 carries them (GET and HEAD).
#[test]
fn rfc9110_15_5_20_defaults_on_421() {
    let w = site();
    let s = Server::start(&w, &[]);
    for method in ["GET", "HEAD"] {
        let r = s.expect_reject(&req_v(method, "/five.txt", "HTTP/1.1", &["Host: evil.example"]), 421);
        assert_defaults(&r, &format!("{method} with a bad Host"));
    }
}

// RFC 9110 §15.4.2: the 301 that adds a directory's slash carries them.
#[test]
fn rfc9110_15_4_2_defaults_on_301() {
    let w = site();
    let s = Server::start(&w, &[]);
    for target in ["/docs", "/docs?x=1"] {
        let r = s.get(target);
        assert_eq!(r.status, 301, "{target}: {r:?}");
        assert!(r.h("location").starts_with("./docs/"), "{r:?}");
        assert_common_headers(&r);
        assert_defaults(&r, target);
    }
}

// RFC 9110 §15.6.4: the 503 written to a connection refused for lack of a slot carries them.
#[test]
fn rfc9110_15_6_4_defaults_on_503() {
    let w = site();
    let s = Server::start(&w, &["--max-connections", "1"]);
    let r = table_full_503(&s);
    assert_defaults(&r, "503 table full");
}

// RFC 9110 §15: every other status warden writes carries them too: 206, 405, 406, 412, 413,
// 414, 416, 431, 501, 505.
#[test]
fn rfc9110_15_defaults_on_every_other_status() {
    let w = site();
    let s = Server::start(&w, &[]);
    let r = s.get_h("/five.txt", &["Range: bytes=2-4"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert_defaults(&r, "206");
    let r = s.get_h("/five.txt", &["If-Match: \"x\""]);
    assert_eq!(r.status, 412, "{r:?}");
    assert_defaults(&r, "412");
    let r = s.get_h("/five.txt", &["Range: bytes=50-"]);
    assert_eq!(r.status, 416, "{r:?}");
    assert_defaults(&r, "416");
    let r = s.get("/only.css");
    assert_eq!(r.status, 406, "{r:?}");
    assert_defaults(&r, "406");
    let long = format!("/{}", "a".repeat(2000));
    let pad = format!("X-Pad: {}", "p".repeat(9000));
    for (raw, status) in [
        (req("POST", "/five.txt", &[]), 405),
        (req("GET", "/five.txt", &["Content-Length: 5"]), 413),
        (req("GET", &long, &[]), 414),
        (req("GET", "/five.txt", &[&pad]), 431),
        (req("FOO", "/five.txt", &[]), 501),
        (req_v("GET", "/five.txt", "HTTP/2.0", &["Host: localhost"]), 505),
    ] {
        let r = s.expect_reject(&raw, status);
        assert_defaults(&r, &status.to_string());
    }
}

// RFC 9110 §9.3.2: a HEAD response carries the same header fields as the GET would: the
// defaults are on HEAD 200, 301, 304, 404 and 421, equal to the GET's.
#[test]
fn rfc9110_9_3_2_head_carries_them() {
    let w = site();
    let s = Server::start(&w, &[]);
    let etag = s.get("/five.txt").h("etag").to_string();
    let inm = format!("If-None-Match: {etag}");
    for (target, headers, status) in [
        ("/five.txt", vec![], 200),
        ("/docs", vec![], 301),
        ("/five.txt", vec![inm.as_str()], 304),
        ("/missing.txt", vec![], 404),
    ] {
        let g = s.roundtrip(&req("GET", target, &headers));
        let h = s.roundtrip(&req("HEAD", target, &headers));
        assert_eq!((g.status, h.status), (status, status), "{target}: {g:?} / {h:?}");
        assert!(h.body.is_empty());
        assert_defaults(&h, &format!("HEAD {target}"));
        for (name, _) in DEFAULTS {
            assert_eq!(h.header(name), g.header(name), "HEAD vs GET {target}: {name}");
        }
    }
    let r = s.expect_reject(&req_v("HEAD", "/five.txt", "HTTP/1.1", &["Host: evil.example"]), 421);
    assert_defaults(&r, "HEAD 421");
}

// RFC 9110 §5.3: `--header 'X-Frame-Options: SAMEORIGIN'` replaces the default: one field line
// with the new value, on every kind of response; the other defaults are unchanged.
#[test]
fn rfc9110_5_3_replaced_default_sent_once() {
    let w = site();
    let csp = "default-src 'none'; frame-ancestors 'self'";
    let csp_flag = format!("Content-Security-Policy: {csp}");
    let s = Server::start(&w, &["--header", "X-Frame-Options: SAMEORIGIN", "--header", &csp_flag]);
    let mut responses = sample_responses(&s);
    let s1 = Server::start(
        &w,
        &[
            "--max-connections",
            "1",
            "--header",
            "X-Frame-Options: SAMEORIGIN",
            "--header",
            &csp_flag,
        ],
    );
    responses.push(("503".into(), table_full_503(&s1)));
    for (ctx, r) in &responses {
        assert_fields(
            r,
            &[
                ("X-Frame-Options", "SAMEORIGIN"),
                ("Content-Security-Policy", csp),
                DEFAULTS[0],
                DEFAULTS[3],
                DEFAULTS[4],
            ],
            ctx,
        );
    }
}

// RFC 9110 §5.1: field names are case-insensitive, so `x-frame-options: ...` and
// `REFERRER-POLICY: ...` replace the defaults `X-Frame-Options` and `Referrer-Policy`: no second
// field line under another spelling. The last of two flags for one name wins.
#[test]
fn rfc9110_5_1_replacement_matches_names_case_insensitively() {
    let w = site();
    let s = Server::start(
        &w,
        &[
            "--header",
            "x-frame-options: SAMEORIGIN",
            "--header",
            "REFERRER-POLICY: no-referrer",
            "--header",
            "cross-ORIGIN-opener-policy: same-origin-allow-popups",
            "--header",
            "Cross-Origin-Opener-Policy: unsafe-none",
        ],
    );
    for (ctx, r) in &sample_responses(&s) {
        assert_fields(
            r,
            &[
                ("X-Frame-Options", "SAMEORIGIN"),
                ("Referrer-Policy", "no-referrer"),
                ("Cross-Origin-Opener-Policy", "unsafe-none"),
                DEFAULTS[0],
                DEFAULTS[2],
            ],
            ctx,
        );
    }
    // The raw head holds one line per name, whatever its spelling.
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/five.txt", &["Connection: close"]));
    let raw = String::from_utf8_lossy(&read_to_close(&mut c)).to_ascii_lowercase();
    for name in ["x-frame-options:", "referrer-policy:", "cross-origin-opener-policy:"] {
        assert_eq!(raw.matches(name).count(), 1, "{name} in {raw:?}");
    }
    assert!(!raw.contains("deny"), "the old X-Frame-Options value is gone: {raw:?}");
}

// Spec `--header 'Name:'`: a default named with no value (any case) is not sent at all, on any
// response; the others stay. All five can go.
#[test]
fn header_flag_removes_a_default() {
    let w = site();
    let s = Server::start(&w, &["--header", "Referrer-Policy:", "--header", "x-frame-options:"]);
    for (ctx, r) in &sample_responses(&s) {
        assert!(!r.has("referrer-policy"), "{ctx}: Referrer-Policy removed: {r:?}");
        assert!(!r.has("x-frame-options"), "{ctx}: X-Frame-Options removed: {r:?}");
        assert_fields(r, &[DEFAULTS[0], DEFAULTS[2], DEFAULTS[4]], ctx);
    }
    let mut all: Vec<String> = Vec::new();
    for (name, _) in DEFAULTS {
        all.push("--header".into());
        all.push(format!("{name}:"));
    }
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let s = Server::start(&w, &all);
    for (ctx, r) in &sample_responses(&s) {
        for (name, _) in DEFAULTS {
            assert!(!r.has(name), "{ctx}: {name} removed: {r:?}");
        }
    }
}

// Spec `--header 'Name: value'` with a new name: the field is added to every response (once),
// beside the five defaults; optional whitespace around the value is not part of it (RFC 9110
// §5.5).
#[test]
fn header_flag_adds_a_field() {
    let w = site();
    let s = Server::start(
        &w,
        &[
            "--header",
            "Permissions-Policy: camera=(), microphone=()",
            "--header",
            "X-Robots-Tag:noindex",
            "--header",
            "Strict-Transport-Security:  max-age=63072000 \t",
        ],
    );
    let added = [
        ("Permissions-Policy", "camera=(), microphone=()"),
        ("X-Robots-Tag", "noindex"),
        ("Strict-Transport-Security", "max-age=63072000"),
    ];
    let s1 = Server::start(
        &w,
        &[
            "--max-connections",
            "1",
            "--header",
            "Permissions-Policy: camera=(), microphone=()",
        ],
    );
    let r503 = table_full_503(&s1);
    assert_fields(&r503, &[added[0]], "503");
    assert_defaults(&r503, "503");
    for (ctx, r) in &sample_responses(&s) {
        assert_fields(r, &added, ctx);
        assert_defaults(r, ctx);
    }
}

/// `warden --root ROOT --listen 127.0.0.1:0 EXTRA...` must exit 2 with one `warden: ` line on
/// stderr that names `--header` (or `mention`), and not listen.
fn refused_at_start(root: &WebRoot, extra: &[&str], mention: &str) {
    let mut args = vec!["--root", root.path().to_str().unwrap(), "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let out = run_cli(&args);
    check_refusal(&format!("{extra:?}"), out.status.code(), &out.stderr, mention);
}

fn check_refusal(what: &str, code: Option<i32>, stderr: &str, mention: &str) {
    assert_eq!(code, Some(2), "warden {what}: exit code, stderr {stderr:?}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "warden {what}: one stderr line expected: {stderr:?}");
    assert!(lines[0].starts_with("warden: "), "warden {what}: {:?}", lines[0]);
    assert!(
        lines[0].contains(mention),
        "warden {what}: the error should name {mention}: {:?}",
        lines[0]
    );
    assert!(
        !stderr.contains("listening on"),
        "warden {what} must not listen: {stderr:?}"
    );
}

// Spec CLI: `--header` may not name a field warden writes itself (any case): exit 2.
#[test]
fn cli_header_managed_names_refused() {
    let w = WebRoot::new();
    for flag in [
        "Date: Thu, 01 Jan 1970 00:00:00 GMT",
        "Server: apache",
        "server: x",
        "Connection: keep-alive",
        "Keep-Alive: timeout=5",
        "Transfer-Encoding: chunked",
        "Upgrade: h2c",
        "Trailer: x",
        "Content-Length: 0",
        "CONTENT-LENGTH: 0",
        "Content-Type: text/html",
        "Content-Range: bytes 0-1/2",
        "Content-Encoding: gzip",
        "ETag: \"x\"",
        "Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT",
        "Accept-Ranges: none",
        "Vary: *",
        "Location: http://evil.example/",
        "Allow: GET",
        "Retry-After: 1",
        "Cache-Control: no-store",
        "cache-control:",
        "Date:",
    ] {
        refused_at_start(&w, &["--header", flag], "--header");
    }
}

// Spec CLI (no header injection): a value holding CR, LF (the argument carries a real "\r\n"),
// another C0 control, DEL or a non-ASCII character is refused at start; so is a name that is not
// a token (RFC 9110 §5.1) or a flag without a colon. The error stays one line.
#[test]
fn cli_header_bad_values_and_names_refused() {
    let w = WebRoot::new();
    for flag in [
        "X-A: v\r\nSet-Cookie: session=evil",
        "X-A: v\r\n\r\n<script>alert(1)</script>",
        "X-A: v\nX-B: w",
        "X-A: v\rX-B: w",
        "X-A: v\r",
        "X-A: a\x7fb",
        "X-A: \x7f",
        "X-A: a\x1b[31mb",
        "X-A: a\x01b",
        "X-A: a\x0bb",
        "X-A: caf\u{e9}",
        "X-A: a\u{a0}b",
        "X-A: a\u{85}b",
        "X-A: \u{2028}",
        "NoColon",
        ": value",
        "Bad Name: v",
        "X-A\r\nX-B: v",
        "X(A): v",
        "X-\u{e9}: v",
    ] {
        refused_at_start(&w, &["--header", flag], "--header");
    }
    // Tabs and spaces inside a value are fine.
    let s = Server::start(&w, &["--header", "X-A: a\tb  c"]);
    assert_eq!(s.get("/health.txt").header("x-a"), Some("a\tb  c"));
}

// Spec CLI: at most 16 `--header` flags: 16 are accepted (each field sent), 17 are refused.
#[test]
fn cli_header_at_most_16_flags() {
    let w = WebRoot::new();
    let flags: Vec<String> = (0..17).map(|i| format!("X-F{i}: v{i}")).collect();
    let mut args: Vec<&str> = Vec::new();
    for f in &flags {
        args.extend_from_slice(&["--header", f.as_str()]);
    }
    refused_at_start(&w, &args, "--header");
    let s = Server::start(&w, &args[..32]);
    let r = s.get("/health.txt");
    assert_eq!(r.status, 200, "{r:?}");
    for i in 0..16 {
        assert_eq!(r.header(&format!("x-f{i}")), Some(format!("v{i}").as_str()), "{r:?}");
    }
    assert!(!r.has("x-f16"));
    assert_defaults(&r, "16 flags");
    // Removing counts as a flag too: 16 removals and additions mixed are fine, 17 are not.
    let mut mixed: Vec<String> = DEFAULTS.iter().map(|(n, _)| format!("{n}:")).collect();
    mixed.extend((0..12).map(|i| format!("X-M{i}: m")));
    let mut args: Vec<&str> = Vec::new();
    for f in &mixed {
        args.extend_from_slice(&["--header", f.as_str()]);
    }
    refused_at_start(&w, &args, "--header");
}

// Spec CLI: the configured header lines (the defaults as changed by --header, and the
// --cache-control line) are at most 768 bytes: exactly 768 starts, 769 is refused, with
// --cache-control counted in; removing a default makes room.
#[test]
fn cli_header_total_at_most_768_bytes() {
    let w = WebRoot::new();
    let base = defaults_len();
    // "X-Pad: " + n + "\r\n" = n + 9 bytes.
    let pad = |n: usize| format!("X-Pad: {}", "p".repeat(n));
    let fits = pad(MAX_CONFIGURED - base - 9);
    let over = pad(MAX_CONFIGURED - base - 9 + 1);
    refused_at_start(&w, &["--header", &over], "--header");
    let s = Server::start(&w, &["--header", &fits]);
    assert_eq!(
        s.get("/health.txt").header("x-pad").map(str::len),
        Some(MAX_CONFIGURED - base - 9)
    );
    drop(s);
    // "Cache-Control: " + v + "\r\n" = v + 17 bytes.
    let cc = "max-age=60";
    let fits_cc = pad(MAX_CONFIGURED - base - 9 - (cc.len() + 17));
    let over_cc = pad(MAX_CONFIGURED - base - 9 - (cc.len() + 17) + 1);
    refused_at_start(&w, &["--cache-control", cc, "--header", &over_cc], "--cache-control");
    let s = Server::start(&w, &["--cache-control", cc, "--header", &fits_cc]);
    assert_eq!(s.get("/health.txt").header("cache-control"), Some(cc));
    drop(s);
    // --cache-control alone can be too long as well.
    let long_cc = "a".repeat(MAX_CONFIGURED - base - 17 + 1);
    refused_at_start(&w, &["--cache-control", &long_cc], "--cache-control");
    let ok_cc = "a".repeat(MAX_CONFIGURED - base - 17);
    let s = Server::start(&w, &["--cache-control", &ok_cc]);
    assert_eq!(s.get("/health.txt").header("cache-control"), Some(ok_cc.as_str()));
    drop(s);
    // Removing the CSP (the longest default) frees its bytes for an added field.
    let csp_line = DEFAULTS[2].0.len() + 2 + DEFAULTS[2].1.len() + 2;
    let bigger = pad(MAX_CONFIGURED - base - 9 + csp_line);
    let s = Server::start(&w, &["--header", "Content-Security-Policy:", "--header", &bigger]);
    let r = s.get("/health.txt");
    assert!(!r.has("content-security-policy"), "{r:?}");
    assert_eq!(
        r.header("x-pad").map(str::len),
        Some(MAX_CONFIGURED - base - 9 + csp_line)
    );
}

// RFC 9110 §15 with the largest configuration (exactly 768 bytes with --cache-control): every
// response still comes out whole with every configured field, the 301 for a 1024-byte target
// (the longest accepted, RFC 9112 §3 / 414 beyond) and the 503 of a full table included.
#[test]
fn rfc9110_15_largest_configuration_fits_every_response() {
    let w = site();
    let long_dir = "d".repeat(255);
    w.file(&format!("{long_dir}/index.html"), b"deep\n");
    let cc = "max-age=60";
    let n = MAX_CONFIGURED - defaults_len() - 9 - (cc.len() + 17);
    let pad_value = "p".repeat(n);
    let pad = format!("X-Pad: {pad_value}");
    let s = Server::start(&w, &["--cache-control", cc, "--header", &pad]);
    let fields = [("X-Pad", pad_value.as_str())];
    for (ctx, r) in &sample_responses(&s) {
        assert_fields(r, &fields, ctx);
        assert_defaults(r, ctx);
    }
    // A 1024-byte target: "/" + 255 + "?" + 767.
    let target = format!("/{long_dir}?{}", "q".repeat(767));
    assert_eq!(target.len(), 1024);
    for method in ["GET", "HEAD"] {
        let r = s.roundtrip(&req(method, &target, &[]));
        assert_eq!(r.status, 301, "{method} of a 1024-byte target: {r:?}");
        assert_common_headers(&r);
        assert_eq!(r.h("location"), format!("./{long_dir}/?{}", "q".repeat(767)));
        assert_fields(&r, &fields, "long 301");
        assert_defaults(&r, "long 301");
    }
    let r = s.expect_reject(&req("GET", &format!("{target}q"), &[]), 414);
    assert_fields(&r, &fields, "414");
    assert_defaults(&r, "414");
    let s1 = Server::start(&w, &["--max-connections", "1", "--cache-control", cc, "--header", &pad]);
    let r = table_full_503(&s1);
    assert_fields(&r, &fields, "503");
    assert_defaults(&r, "503");
}
