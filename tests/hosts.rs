//! The Host guard against DNS rebinding (`access.rs`), through the real binary over loopback.
//!
//! RFC 9110 §15.5.20: 421 Misdirected Request is for a request "directed at a server that is
//! unable or unwilling to produce an authoritative response for the target URI". Decision:
//! by default a Host whose host part (port dropped) is an IPv4 dotted quad, a bracketed IPv6
//! literal or `localhost` is answered (any case, one trailing dot ignored, RFC 9110 §4.2.3);
//! a DNS name only if the device was given it with `--allow-host`; everything else gets 421
//! with `Connection: close`, before the path is looked at. HTTP/1.0 without Host is answered
//! (no browser sends it). `--allow-any-host` turns the guard off. Every refusal is followed by
//! a fresh connection that must get 200 (`Server::expect_reject`, `accept` below).

mod common;

use common::*;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

const MISDIRECTED_BODY: &[u8] = b"421 Misdirected Request\n";

fn site() -> WebRoot {
    let w = WebRoot::new();
    w.file("index.html", b"<p>index</p>\n");
    w.file("docs/index.html", b"docs index\n");
    w.file(".hidden", b"hidden\n");
    w
}

/// `METHOD TARGET HTTP/1.1` with the one field line `Host: HOST` (`Host:` alone if empty).
fn with_host(method: &str, target: &str, host: &str) -> Vec<u8> {
    let line = if host.is_empty() {
        String::from("Host:")
    } else {
        format!("Host: {host}")
    };
    req_v(method, target, "HTTP/1.1", &[&line])
}

/// `GET /health.txt` with `Host: HOST` must be answered 200 on a connection that stays open:
/// a second request on it (with `Host: localhost`) gets 200 too.
fn accept(s: &Server, host: &str) {
    let raw = with_host("GET", "/health.txt", host);
    let mut c = s.connect();
    send_raw(&mut c, &raw);
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "Host {host:?} must be answered: {r:?}");
    assert_eq!(r.body, HEALTH_BODY, "Host {host:?}");
    assert_common_headers(&r);
    assert!(!r.connection_has("close"), "Host {host:?}: {r:?}");
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    let next = read_response(&mut c, false);
    assert_eq!(
        (next.status, &next.body[..]),
        (200, HEALTH_BODY),
        "next request after Host {host:?}"
    );
}

/// `raw` must get the 421 (status, `Connection: close`, closed connection, constant text body,
/// none after HEAD); then a fresh connection gets 200 (`expect_reject`).
fn misdirected(s: &Server, raw: &[u8]) -> Response {
    let r = s.expect_reject(raw, 421);
    assert_eq!(r.reason, "Misdirected Request", "{r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "421 Content-Type: {r:?}"
    );
    assert_eq!(
        r.content_length(),
        Some(MISDIRECTED_BODY.len() as u64),
        "421 Content-Length (HEAD keeps it): {r:?}"
    );
    if raw.starts_with(b"HEAD ") {
        assert!(r.body.is_empty(), "421 to HEAD carries no content: {r:?}");
    } else {
        assert_eq!(r.body, MISDIRECTED_BODY, "421 body: {r:?}");
    }
    r
}

// RFC 9110 §15.5.20 / §4.2.3: with no flags, every IPv4 dotted quad and bracketed IPv6 literal,
// with or without a port, and `localhost` in any case, with one trailing dot or an empty port,
// are answered: a browser on the LAN reaches the device by its address, not by a name.
#[test]
fn rfc9110_15_5_20_addresses_and_localhost_answered() {
    let w = site();
    let s = Server::start(&w, &[]);
    for host in [
        "127.0.0.1",
        "127.0.0.1:8080",
        "192.168.1.1",
        "192.168.1.1:80",
        "10.0.0.254:65535",
        "0.0.0.0",
        "255.255.255.255",
        "127.0.0.1.",
        "127.0.0.1.:8080",
        "[::1]",
        "[::1]:8080",
        "[fe80::1]",
        "[2001:DB8::1]:443",
        "[::ffff:192.168.1.1]",
        "localhost",
        "LOCALHOST",
        "LocalHost:8080",
        "localhost.",
        "LOCALHOST.:8080",
        "localhost:",
    ] {
        accept(&s, host);
    }
    // HEAD and HTTP/1.0 with a Host go through the same check.
    let r = s.roundtrip(&with_host("HEAD", "/health.txt", "[::1]:8080"));
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.roundtrip(&req_v("GET", "/health.txt", "HTTP/1.0", &["Host: 127.0.0.1"]));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, HEALTH_BODY);
}

// RFC 9110 §15.5.20 / §4.2.3: a name given with --allow-host is answered in any case, with one
// trailing dot and with a port; the flag's own case and trailing dot do not matter either.
// Addresses and localhost are still answered beside the names.
#[test]
fn rfc9110_15_5_20_allowed_names_any_case_trailing_dot_and_port() {
    let w = site();
    let s = Server::start(
        &w,
        &[
            "--allow-host",
            "Router.LAN",
            "--allow-host",
            "device.example.",
            "--allow-host",
            "my_box",
        ],
    );
    for host in [
        "router.lan",
        "ROUTER.LAN",
        "Router.Lan:80",
        "rOuTeR.lAn.",
        "ROUTER.LAN.:8080",
        "device.example",
        "DEVICE.Example.",
        "device.example.:443",
        "my_box",
        "MY_BOX:8080",
        "localhost",
        "192.168.1.1:8080",
        "[::1]",
    ] {
        accept(&s, host);
    }
}

// RFC 9110 §15.5.20: any other name is 421, however close it comes to an allowed one: a name
// that merely ends in or starts with it, a longer or shorter one, two trailing dots; names
// that only look like localhost (localhost.localdomain, percent-encoded letters) or like an
// address (a wildcard-DNS name ending in .nip.io, the decimal, hex and short forms of
// 127.0.0.1 that inet_aton would take, a quad with a leading zero, out-of-range octets).
#[test]
fn rfc9110_15_5_20_other_names_421() {
    let w = site();
    let s = Server::start(&w, &["--allow-host", "router.lan"]);
    for host in [
        "evil.example",
        "evil.example:8080",
        "EVIL.EXAMPLE.",
        "router.lan.evil.example",
        "router.lan.evil.example:80",
        "evilrouter.lan",
        "x.router.lan",
        "router.lanx",
        "router",
        "lan",
        "router.lan..",
        "router.lan..:80",
        "router%2elan",
        "localhost.localdomain",
        "LOCALHOST.LOCALDOMAIN.",
        "localhost.evil.example",
        "xlocalhost",
        "localhos",
        "localhost..",
        "%6cocalhost",
        "%6C%6F%63%61%6C%68%6F%73%74",
        "192.168.1.1.nip.io",
        "127.0.0.1.nip.io:8080",
        "2130706433",
        "2130706433:80",
        "0x7f000001",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "127.1",
        "127.0.1",
        "127.0.0.01",
        "256.0.0.1",
        "1.2.3.4.5",
        "1.2.3.4..",
    ] {
        misdirected(&s, &with_host("GET", "/health.txt", host));
    }
    // Without --allow-host no DNS name is the device's.
    let plain = Server::start(&w, &[]);
    for host in ["router.lan", "router.lan:80", "example.com"] {
        misdirected(&plain, &with_host("GET", "/health.txt", host));
    }
}

// RFC 9110 §7.2 allows an empty Host (a target URI without authority); under the guard it names
// no address, localhost or allowed name: 421. Likewise a Host that is only a port.
#[test]
fn rfc9110_15_5_20_empty_host_421() {
    let w = site();
    let s = Server::start(&w, &["--allow-host", "router.lan"]);
    for line in ["Host:", "Host: ", "Host:    ", "Host:\t", "Host: :8080", "Host: :"] {
        misdirected(&s, &req_v("GET", "/health.txt", "HTTP/1.1", &[line]));
    }
}

// RFC 9110 §15.5.20: the guard runs before the path is looked at: with a bad Host, a target that
// would be a 400 (dot-segments escaping the root), a 404 (missing, hidden), a 301 (directory
// without its slash), a 304 or a 206 is 421 instead; HEAD gets the 421 head and no content
// (RFC 9110 §9.3.2). The same requests with a good Host get their usual answers first.
#[test]
fn rfc9110_15_5_20_checked_before_the_path() {
    let w = site();
    let s = Server::start(&w, &[]);
    let etag = s.get("/health.txt").h("etag").to_string();
    let inm = format!("If-None-Match: {etag}");
    let cases: [(&str, &[&str], u16); 8] = [
        ("/../x", &[], 400),
        ("/a/../../etc/passwd", &[], 400),
        ("/%2e%2e/x", &[], 400),
        ("/missing.txt", &[], 404),
        ("/.hidden", &[], 404),
        ("/docs", &[], 301),
        ("/health.txt", &[&inm], 304),
        ("/health.txt", &["Range: bytes=0-1"], 206),
    ];
    for (target, headers, usual) in cases {
        let r = s.roundtrip(&req("GET", target, headers));
        assert_eq!(r.status, usual, "GET {target} {headers:?} with Host: localhost: {r:?}");
        for method in ["GET", "HEAD"] {
            let mut lines = vec!["Host: evil.example"];
            lines.extend_from_slice(headers);
            misdirected(&s, &req_v(method, target, "HTTP/1.1", &lines));
        }
    }
}

// RFC 9110 §15.5.20 / RFC 9112 §9.6: a keep-alive connection whose next request has a bad Host
// gets the 421 and is closed; a request pipelined behind it is not answered.
#[test]
fn rfc9110_15_5_20_closes_a_keep_alive_connection() {
    let w = site();
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!r.connection_has("close"), "{r:?}");
    let mut two = with_host("GET", "/index.html", "attacker.example");
    two.extend(req("GET", "/health.txt", &[]));
    send_raw(&mut c, &two);
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 421, "{r:?}");
    assert_eq!(r.body, MISDIRECTED_BODY);
    assert_common_headers(&r);
    assert_connection_close(&r);
    assert_closed_ctx(&mut c, "after a 421 the pipelined request must not be answered");
    s.assert_healthy();
}

// RFC 9112 §3.2: HTTP/1.0 may omit Host; such a request is answered under the guard (no browser
// sends one, so no page can drive it). An HTTP/1.0 request that does send a Host is judged by it.
#[test]
fn rfc9112_3_2_http10_without_host_answered() {
    let w = site();
    let s = Server::start(&w, &["--allow-host", "router.lan"]);
    for headers in [&[][..], &["Host: localhost"][..], &["Host: ROUTER.LAN."][..]] {
        let mut c = s.connect();
        send_raw(&mut c, &req_v("GET", "/health.txt", "HTTP/1.0", headers));
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 200, "HTTP/1.0 {headers:?}: {r:?}");
        assert_eq!(r.body, HEALTH_BODY);
        assert_common_headers(&r);
        assert_connection_close(&r);
        assert_closed(&mut c);
    }
    let r = s.roundtrip(&req_v("HEAD", "/health.txt", "HTTP/1.0", &[]));
    assert_eq!(r.status, 200, "HEAD HTTP/1.0 without Host: {r:?}");
    for host in ["Host: evil.example", "Host:"] {
        misdirected(&s, &req_v("GET", "/health.txt", "HTTP/1.0", &[host]));
    }
    // HTTP/1.1 still needs its Host (RFC 9112 §3.2: 400, not an exemption from the guard).
    s.expect_reject(&req_v("GET", "/health.txt", "HTTP/1.1", &[]), 400);
}

// RFC 9110 §15.5.20: `--allow-any-host` turns the guard off: any name, an empty Host, names that
// look like addresses, all answered (the parser's Host syntax rules still apply: 400).
#[test]
fn rfc9110_15_5_20_allow_any_host_answers_every_name() {
    let w = site();
    let s = Server::start(&w, &["--allow-any-host"]);
    for host in [
        "evil.example",
        "EVIL.example.:8080",
        "router.lan.evil.example",
        "localhost.localdomain",
        "%6cocalhost",
        "192.168.1.1.nip.io",
        "2130706433",
        "",
        ":8080",
    ] {
        accept(&s, host);
    }
    let r = s.roundtrip(&with_host("GET", "/missing.txt", "evil.example"));
    assert_eq!(r.status, 404, "{r:?}");
    s.expect_reject(&with_host("GET", "/health.txt", "user@evil.example"), 400);
    // Both flags: --allow-any-host wins.
    let both = Server::start(&w, &["--allow-host", "router.lan", "--allow-any-host"]);
    accept(&both, "evil.example");
}

/// `warden --root ROOT --listen 127.0.0.1:0 EXTRA...` must exit 2 with one `warden: ` line on
/// stderr that names `flag`.
fn refused_at_start(root: &WebRoot, extra: &[&str], flag: &str) {
    let mut args = vec!["--root", root.path().to_str().unwrap(), "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let out = run_cli(&args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "warden {extra:?}: exit status {:?}, stderr {:?}",
        out.status,
        out.stderr
    );
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "warden {extra:?}: one stderr line expected: {:?}",
        out.stderr
    );
    assert!(lines[0].starts_with("warden: "), "warden {extra:?}: {:?}", lines[0]);
    assert!(
        lines[0].contains(flag),
        "warden {extra:?}: the error should name {flag}: {:?}",
        lines[0]
    );
    assert!(
        !out.stderr.contains("listening on"),
        "warden {extra:?} must not listen: {:?}",
        out.stderr
    );
}

// Spec CLI: an --allow-host value that is not a DNS name (RFC 1123 labels of 1 to 63 bytes, at
// most 253 bytes in all, one trailing dot allowed) is refused at start with exit code 2 and one
// line naming the flag; so is a 17th name. A value with a newline stays one line.
#[test]
fn cli_allow_host_bad_values_exit_2() {
    let w = WebRoot::new();
    let label63 = "a".repeat(63);
    let label64 = "a".repeat(64);
    let long64 = format!("{label64}.example");
    // 4 × 63 + 3 dots = 255 bytes: over 253.
    let long255 = [label63.as_str(); 4].join(".");
    let newline = "evil.example\nwarden: an injected second line";
    for bad in [
        "",
        ".",
        "..",
        "a..b",
        ".router.lan",
        "router.lan..",
        "router lan",
        "router/lan",
        "router.lan:8080",
        "[::1]",
        "::1",
        "*.example.com",
        "ex%61mple.com",
        "user@router.lan",
        "caf\u{e9}.example",
        "router.lan\r",
        newline,
        long64.as_str(),
        long255.as_str(),
    ] {
        refused_at_start(&w, &["--allow-host", bad], "--allow-host");
        // One good name beside it does not save it.
        refused_at_start(&w, &["--allow-host", "router.lan", "--allow-host", bad], "--allow-host");
    }
    let names: Vec<String> = (0..17).map(|i| format!("name{i}.lan")).collect();
    let mut args: Vec<&str> = Vec::new();
    for n in &names {
        args.extend_from_slice(&["--allow-host", n.as_str()]);
    }
    refused_at_start(&w, &args, "--allow-host");
}

// Spec CLI: the limits themselves are accepted: 16 names, a 63-byte label, a 253-byte name (254
// with its trailing dot); each is then answered, and other names still get 421.
#[test]
fn cli_allow_host_limits_accepted() {
    let w = WebRoot::new();
    let label63 = "b".repeat(63);
    // 3 × 63 + 61 + 3 dots = 253 bytes.
    let long253 = format!("{label63}.{label63}.{label63}.{}", "c".repeat(61));
    assert_eq!(long253.len(), 253);
    let long253_dot = format!("{long253}.");
    let names: Vec<String> = (0..13).map(|i| format!("name{i}.lan")).collect();
    let mut args: Vec<&str> = Vec::new();
    for n in &names {
        args.extend_from_slice(&["--allow-host", n.as_str()]);
    }
    let label_name = format!("{label63}.lan");
    args.extend_from_slice(&["--allow-host", &label_name]);
    args.extend_from_slice(&["--allow-host", &long253_dot]);
    args.extend_from_slice(&["--allow-host", "Last.Name"]);
    assert_eq!(args.len(), 32, "16 --allow-host flags");
    let s = Server::start(&w, &args);
    for host in [
        "name0.lan",
        "NAME12.LAN:80",
        label_name.as_str(),
        long253.as_str(),
        long253_dot.as_str(),
        "last.name.",
    ] {
        accept(&s, host);
    }
    misdirected(&s, &with_host("GET", "/health.txt", "name13.lan"));
}

// Spec CLI: a flag value with a byte that is not even UTF-8 (Latin-1 é, 0xE9) is refused
// like `café` in UTF-8: exit code 2 and one `warden: ` line naming the flag (it used to
// panic: std::env::args() on a non-UTF-8 argument). --header's value too.
#[test]
fn cli_allow_host_non_utf8_exit_2() {
    let w = WebRoot::new();
    for (flag, value) in [("--allow-host", &b"caf\xe9.lan"[..]), ("--header", b"X-A: caf\xe9")] {
        let args = vec![
            OsString::from("--root"),
            w.path().as_os_str().to_owned(),
            OsString::from("--listen"),
            OsString::from("127.0.0.1:0"),
            OsString::from(flag),
            OsString::from_vec(value.to_vec()),
        ];
        let out = run_cli(&args);
        let stderr = out.stderr;
        assert_eq!(out.status.code(), Some(2), "{flag}: exit code; stderr {stderr:?}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{flag}: one stderr line expected: {stderr:?}");
        assert!(
            lines[0].starts_with("warden: ") && lines[0].contains(flag),
            "{:?}",
            lines[0]
        );
    }
}

/// RFC 9112 §3.2.2: with an absolute-form target the target's host is the host, and
/// the Host field is ignored: the guard judges that one.
#[test]
fn rfc9112_3_2_2_absolute_form_host_is_the_one_checked() {
    let w = WebRoot::new();
    let s = Server::start(&w, &[]);
    s.expect_reject(
        b"GET http://evil.example/health.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
        421,
    );
    let r = s.roundtrip(b"GET http://localhost/health.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.roundtrip(b"GET http://127.0.0.1:8080/health.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_eq!(r.status, 200, "{r:?}");
}
