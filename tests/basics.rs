//! Basic serving, response header set, methods, versions, request targets, Host rules,
//! listeners, CLI errors, signals and the access log.

mod common;

use common::*;
use std::net::TcpListener;

const INDEX: &[u8] = b"<!doctype html><title>warden</title>home\n";

fn site() -> WebRoot {
    let w = WebRoot::new();
    w.file("index.html", INDEX);
    w.file("docs/index.html", b"docs index\n");
    w.file("sub/docs/index.html", b"nested docs index\n");
    w.file("empty/readme.txt", b"secret listing entry\n");
    w
}

// Self-check of the harness date helpers against the RFC 9110 §5.6.7 examples.
#[test]
fn harness_date_helpers() {
    let t = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT
    assert_eq!(imf_fixdate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(rfc850_date(t), "Sunday, 06-Nov-94 08:49:37 GMT");
    assert_eq!(asctime_date(t), "Sun Nov  6 08:49:37 1994");
    assert_eq!(parse_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t as i64));
    assert_eq!(parse_imf_fixdate("Mon, 06 Nov 1994 08:49:37 GMT"), None);
    assert_eq!(imf_fixdate(1577934245), "Thu, 02 Jan 2020 03:04:05 GMT");
}

// RFC 9110 §9.3.1 GET: the file is served byte-exact with the full header set.
#[test]
fn rfc9110_9_3_1_get_file() {
    let w = site();
    let s = Server::start(&w, &[]);
    for target in ["/index.html", "/"] {
        let r = s.get(target);
        assert_eq!(r.status, 200, "GET {target}: {r:?}");
        assert_eq!(r.body, INDEX, "GET {target} body");
        assert_common_headers(&r);
        assert_file_headers(&r);
        assert_eq!(r.h("content-type"), "text/html; charset=utf-8");
        assert_eq!(r.content_length(), Some(INDEX.len() as u64));
        assert!(
            !r.connection_has("close"),
            "HTTP/1.1 GET must keep the connection open: {r:?}"
        );
    }
    // RFC 9110 §8.8.2: Last-Modified is the file's mtime.
    w.set_mtime("index.html", 1577934245);
    let r = s.get("/index.html");
    assert_eq!(r.h("last-modified"), "Thu, 02 Jan 2020 03:04:05 GMT");
    // An empty file is served with Content-Length: 0.
    w.file("empty.txt", b"");
    let r = s.get("/empty.txt");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.content_length(), Some(0));
    assert_common_headers(&r);
}

// RFC 9110 §9.3.2 HEAD: same header fields as GET (incl. Content-Length), no content.
#[test]
fn rfc9110_9_3_2_head_same_headers_no_body() {
    let w = site();
    let s = Server::start(&w, &[]);
    let g = s.get("/index.html");
    let mut c = s.connect();
    // HEAD then GET pipelined: if HEAD leaked a body the GET response would not parse.
    let mut both = req("HEAD", "/index.html", &[]);
    both.extend(req("GET", "/health.txt", &[]));
    send_raw(&mut c, &both);
    let h = read_response(&mut c, true);
    let g2 = read_response(&mut c, false);
    assert_eq!(h.status, 200, "{h:?}");
    assert_common_headers(&h);
    assert_file_headers(&h);
    for name in [
        "content-length",
        "content-type",
        "etag",
        "last-modified",
        "accept-ranges",
    ] {
        assert_eq!(h.header(name), g.header(name), "HEAD vs GET header {name}");
    }
    assert_eq!(g2.status, 200, "GET after HEAD: {g2:?}");
    assert_eq!(g2.body, HEALTH_BODY, "HEAD must not send a body");
    // HEAD of a missing file: 404 headers, still no body.
    let mut c = s.connect();
    let mut both = req("HEAD", "/missing.txt", &[]);
    both.extend(req("GET", "/health.txt", &[]));
    send_raw(&mut c, &both);
    let h = read_response(&mut c, true);
    assert_eq!(h.status, 404, "{h:?}");
    assert_common_headers(&h);
    if !h.connection_has("close") {
        let g = read_response(&mut c, false);
        assert_eq!(g.body, HEALTH_BODY, "HEAD 404 must not send a body");
    }
}

// RFC 9110 §8.3 Content-Type: the spec's extension table, case-insensitive.
#[test]
fn rfc9110_8_3_content_type_table() {
    let table: &[(&str, &str)] = &[
        ("html", "text/html; charset=utf-8"),
        ("htm", "text/html; charset=utf-8"),
        ("css", "text/css; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"),
        ("mjs", "text/javascript; charset=utf-8"),
        ("json", "application/json"),
        ("svg", "image/svg+xml"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("webp", "image/webp"),
        ("ico", "image/x-icon"),
        ("woff", "font/woff"),
        ("woff2", "font/woff2"),
        ("ttf", "font/ttf"),
        ("txt", "text/plain; charset=utf-8"),
        ("xml", "application/xml"),
        ("wasm", "application/wasm"),
        ("pdf", "application/pdf"),
        ("map", "application/json"),
        ("gz", "application/gzip"),
        ("HTML", "text/html; charset=utf-8"),
        ("Png", "image/png"),
        ("JpEg", "image/jpeg"),
        ("WOFF2", "font/woff2"),
        ("xyz", "application/octet-stream"),
        ("exe", "application/octet-stream"),
    ];
    let w = WebRoot::new();
    for (ext, _) in table {
        w.file(&format!("f.{ext}"), format!("content of {ext}"));
    }
    w.file("noext", b"no extension");
    w.file("dir.d/plain", b"dotted dir, plain file");
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    for (ext, ct) in table {
        send_raw(&mut c, &req("GET", &format!("/f.{ext}"), &[]));
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 200, "/f.{ext}: {r:?}");
        assert_eq!(r.header("content-type"), Some(*ct), "Content-Type of .{ext}");
        assert_eq!(r.body, format!("content of {ext}").as_bytes());
    }
    for t in ["/noext", "/dir.d/plain"] {
        let r = s.get(t);
        assert_eq!(r.status, 200, "{t}: {r:?}");
        assert_eq!(r.header("content-type"), Some("application/octet-stream"), "{t}");
    }
}

// Spec "Every response": Date, Server, Content-Length (not on 304), nosniff, for each status.
#[test]
fn rfc9110_6_6_1_header_set_on_every_status() {
    let w = site();
    w.set_mtime("index.html", 1577934245);
    let s = Server::start(&w, &[]);
    let etag = s.get("/index.html").h("etag").to_string();
    let inm = format!("If-None-Match: {etag}");
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (req("GET", "/index.html", &[]), 200),
        (req("GET", "/index.html", &["Range: bytes=0-3"]), 206),
        (req("GET", "/docs", &[]), 301),
        (req("GET", "/index.html", &[&inm]), 304),
        (req("GET", "/nope.html", &[]), 404),
        (req("GET", "/index.html", &["If-Match: \"x\""]), 412),
        (req("GET", "/index.html", &["Range: bytes=9999-"]), 416),
        (req("GET", "/%zz", &[]), 400),
        (req("POST", "/index.html", &[]), 405),
        (req("BREW", "/index.html", &[]), 501),
        (req_v("GET", "/", "HTTP/2.0", &["Host: localhost"]), 505),
    ];
    for (raw, status) in cases {
        let r = s.roundtrip(&raw);
        assert_eq!(r.status, status, "{:?} -> {r:?}", show(&raw));
        assert_common_headers(&r);
        if r.status >= 400 {
            assert_error_body(&r);
        }
    }
}

// RFC 9110 §15.5.5 404: missing files, short constant text body that does not echo the request.
#[test]
fn rfc9110_15_5_5_missing_file_404() {
    let w = site();
    let s = Server::start(&w, &[]);
    for t in [
        "/no-such-file-MARKER123.html",
        "/nodir-MARKER123/x.txt",
        "/index.html/MARKER123",
    ] {
        let r = s.get(t);
        assert_eq!(r.status, 404, "{t}: {r:?}");
        assert_common_headers(&r);
        assert_error_body(&r);
        assert!(
            !r.body_str().contains("MARKER123"),
            "error body echoes the request: {r:?}"
        );
        for (k, v) in &r.headers {
            assert!(!v.contains("MARKER123"), "header {k} echoes the request");
        }
    }
}

// Spec: error bodies never echo the request (reflected content), for 400/405/501 too.
#[test]
fn error_bodies_never_echo_request() {
    let w = site();
    let s = Server::start(&w, &[]);
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (req("GET", "/%zzMARKER<script>", &[]), 400),
        // The target is checked before the method (which only a route judges).
        (req("POST", "/MARKER<script>", &[]), 400),
        (req("POST", "/MARKER", &[]), 405),
        (req("MARKERMETHOD", "/MARKER<script>", &[]), 400),
        (req("MARKERMETHOD", "/MARKER", &[]), 501),
        (req("GET", "/index.html", &["X-Bad: MARKER\x01<script>"]), 400),
    ];
    for (raw, status) in cases {
        let r = s.expect_reject(&raw, status);
        assert_error_body(&r);
        assert!(
            !r.body_str().contains("MARKER") && !r.body_str().contains("<script>"),
            "error body echoes the request: {r:?}"
        );
    }
}

// Spec `--cache-control V`: `Cache-Control: V` on 200, 206 and 304; absent without the flag.
#[test]
fn cache_control_flag() {
    let w = site();
    let s = Server::start(&w, &["--cache-control", "public, max-age=60"]);
    let r = s.get("/index.html");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"), "200");
    let etag = r.h("etag").to_string();
    let r = s.get_h("/index.html", &["Range: bytes=0-1"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"), "206");
    let r = s.get_h("/index.html", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(r.status, 304, "{r:?}");
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"), "304");
    let r = s.head_h("/index.html", &[]);
    assert_eq!(r.header("cache-control"), Some("public, max-age=60"), "HEAD");
    drop(s);

    let s = Server::start(&w, &[]);
    let r = s.get("/index.html");
    assert!(!r.has("cache-control"), "no Cache-Control by default: {r:?}");
}

// Spec `--index NAME`: the directory index file name.
#[test]
fn index_flag() {
    let w = WebRoot::new();
    w.file("home.htm", b"home page\n");
    w.file("index.html", b"not the index\n");
    w.file("sub/home.htm", b"sub home\n");
    w.file("other/index.html", b"not the index either\n");
    let s = Server::start(&w, &["--index", "home.htm"]);
    let r = s.get("/");
    assert_eq!((r.status, r.body_str().as_str()), (200, "home page\n"), "{r:?}");
    assert_eq!(r.h("content-type"), "text/html; charset=utf-8");
    let r = s.get("/sub/");
    assert_eq!((r.status, r.body_str().as_str()), (200, "sub home\n"), "{r:?}");
    let r = s.get("/other/");
    assert_eq!(r.status, 404, "index.html is not the index: {r:?}");
    // The file itself is still reachable by name.
    let r = s.get("/index.html");
    assert_eq!(r.status, 200, "{r:?}");
}

// Spec (firmware operations): `--index` is repeatable and tried in order (uhttpd's
// `index_page` list); the type is that of the name found; a name that is a directory passes
// to the next; each answer is the same again from the file cache.
#[test]
fn index_flag_repeated_tried_in_order() {
    let w = WebRoot::new();
    w.file("index.html", b"root html\n");
    w.file("a/index.htm", b"a htm\n");
    w.file("b/index.html", b"b html\n");
    w.file("b/index.htm", b"b htm\n");
    w.file("c/README.txt", b"c readme\n");
    w.file("d/index.html/x", b"a directory named index.html\n");
    w.file("d/README.txt", b"d readme\n");
    w.file("e/other", b"e other\n");
    let s = Server::start(
        &w,
        &["--index", "index.html", "--index", "index.htm", "--index", "README.txt"],
    );
    for _ in 0..2 {
        for (path, body, ty) in [
            ("/", "root html\n", "text/html; charset=utf-8"),
            ("/a/", "a htm\n", "text/html; charset=utf-8"),
            ("/b/", "b html\n", "text/html; charset=utf-8"),
            ("/c/", "c readme\n", "text/plain; charset=utf-8"),
            ("/d/", "d readme\n", "text/plain; charset=utf-8"),
        ] {
            let r = s.get(path);
            assert_eq!((r.status, r.body_str().as_str()), (200, body), "GET {path}: {r:?}");
            assert_eq!(r.h("content-type"), ty, "GET {path}");
        }
        assert_eq!(s.get("/e/").status, 404, "no index name in /e/");
    }
    s.assert_healthy();
    let root = w.path().to_string_lossy().into_owned();
    let base = ["--root", root.as_str(), "--listen", "127.0.0.1:0"];
    let mut args = base.to_vec();
    for n in ["a.html", "b.html", "c.html", "d.html", "e.html"] {
        args.extend(["--index", n]);
    }
    assert_cli_error(&args, &["at most 4 --index"]);
    assert_cli_error(&[&base[..], &["--index", "../x"][..]].concat(), &["--index"]);
}

// RFC 9110 §15.4.2 301 + §10.2.2 Location: `/dir` → relative `./dir/`, query kept.
#[test]
fn rfc9110_15_4_2_directory_redirect_301() {
    let w = site();
    let s = Server::start(&w, &[]);
    let cases = [
        ("/docs", "./docs/"),
        ("/docs?a=1", "./docs/?a=1"),
        ("/docs?a=1&b=%20x", "./docs/?a=1&b=%20x"),
        ("/sub/docs", "./docs/"),
        ("/empty", "./empty/"),
    ];
    for (t, loc) in cases {
        let r = s.get(t);
        assert_eq!(r.status, 301, "GET {t}: {r:?}");
        assert_eq!(r.header("location"), Some(loc), "Location for {t}");
        assert_common_headers(&r);
        let h = s.head_h(t, &[]);
        assert_eq!(h.status, 301, "HEAD {t}: {h:?}");
        assert_eq!(h.header("location"), Some(loc), "HEAD Location for {t}");
        assert_common_headers(&h);
    }
    let r = s.get("/docs/");
    assert_eq!((r.status, r.body_str().as_str()), (200, "docs index\n"));
    let r = s.get("/sub/docs/");
    assert_eq!((r.status, r.body_str().as_str()), (200, "nested docs index\n"));
}

// Spec: a directory without index → 404, never a listing.
#[test]
fn rfc9110_15_5_5_directory_without_index_404() {
    let w = site();
    let s = Server::start(&w, &[]);
    let r = s.get("/empty/");
    assert_eq!(r.status, 404, "{r:?}");
    assert!(!r.body_str().contains("readme"), "directory listing: {r:?}");
    let r = s.get("/empty/readme.txt");
    assert_eq!(r.status, 200, "{r:?}");
}

// RFC 9110 §15.5.6 405 + §10.2.1 Allow: known methods other than GET/HEAD, then close.
#[test]
fn rfc9110_15_5_6_method_not_allowed_405() {
    let w = site();
    let s = Server::start(&w, &[]);
    for m in ["POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"] {
        let r = s.expect_reject(&req(m, "/index.html", &[]), 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{m}: {r:?}");
        assert_error_body(&r);
    }
}

// RFC 9110 §15.6.2 501 (and §9.1: method names are case-sensitive, `get` is unknown).
#[test]
fn rfc9110_15_6_2_unknown_method_501() {
    let w = site();
    let s = Server::start(&w, &[]);
    for m in ["BREW", "PROPFIND", "get", "Head", "X-CUSTOM"] {
        let r = s.expect_reject(&req(m, "/index.html", &[]), 501);
        assert_error_body(&r);
    }
}

// RFC 9112 §2.3 / RFC 9110 §15.6.6 505 for well-formed other versions.
#[test]
fn rfc9112_2_3_unsupported_version_505() {
    let w = site();
    let s = Server::start(&w, &[]);
    for v in ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/2.2"] {
        let r = s.expect_reject(&req_v("GET", "/index.html", v, &["Host: localhost"]), 505);
        assert_error_body(&r);
    }
}

// RFC 9112 §9.3 / §3.2: HTTP/1.0 is served (no Host needed) and closed after the response.
#[test]
fn rfc9112_9_3_http10_served_then_closed() {
    let w = site();
    let s = Server::start(&w, &[]);
    for headers in [&[][..], &["Host: localhost"][..]] {
        let mut c = s.connect();
        send_raw(&mut c, &req_v("GET", "/index.html", "HTTP/1.0", headers));
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body, INDEX);
        assert_common_headers(&r);
        assert_connection_close(&r);
        assert_closed(&mut c);
    }
}

// RFC 9112 §3.2.2 absolute-form: served as its path; Host still required for HTTP/1.1.
#[test]
fn rfc9112_3_2_2_absolute_form() {
    let w = site();
    // The target's host is the one the Host guard judges: these are the device's names.
    let s = Server::start(&w, &["--allow-host", "anything", "--allow-host", "example.com"]);
    for t in [
        "http://anything/index.html",
        "http://example.com:8080/index.html?x=1",
        "http://127.0.0.1/index.html",
    ] {
        let r = s.get(t);
        assert_eq!(r.status, 200, "GET {t}: {r:?}");
        assert_eq!(r.body, INDEX, "GET {t}");
    }
    let r = s.get("http://anything/docs/");
    assert_eq!(r.body_str(), "docs index\n", "{r:?}");
    s.expect_reject(&req_v("GET", "http://anything/index.html", "HTTP/1.1", &[]), 400);
}

// RFC 9112 §3.2 / RFC 9110 §7.2: HTTP/1.1 without Host, with two, or with an invalid one → 400.
#[test]
fn rfc9112_3_2_host_rules_400() {
    let w = site();
    // The names below are the device's own here (the Host guard has tests/hosts.rs).
    let s = Server::start(&w, &["--allow-host", "www.example.com", "--allow-host", "example.com"]);
    s.expect_reject(&req_v("GET", "/index.html", "HTTP/1.1", &[]), 400);
    s.expect_reject(
        &req_v(
            "GET",
            "/index.html",
            "HTTP/1.1",
            &["Host: localhost", "Host: localhost"],
        ),
        400,
    );
    s.expect_reject(
        &req_v(
            "GET",
            "/index.html",
            "HTTP/1.1",
            &["Host: a.example", "Accept: */*", "host: b.example"],
        ),
        400,
    );
    for bad in [
        "Host: bad host",
        "Host: a/b",
        "Host: user@example.com",
        "Host: [::1",
        "Host: example.com:80:80",
        "Host: exa\"mple",
    ] {
        s.expect_reject(&req_v("GET", "/index.html", "HTTP/1.1", &[bad]), 400);
    }
    for good in [
        "Host: localhost",
        "Host: localhost:8080",
        "Host: 127.0.0.1",
        "Host: [::1]:80",
        "Host: www.example.com",
        "HOST: example.com",
    ] {
        let r = s.roundtrip(&req_v("GET", "/index.html", "HTTP/1.1", &[good]));
        assert_eq!(r.status, 200, "{good}: {r:?}");
    }
}

// Spec: `--listen [::1]:0` works and is announced as `http://[::1]:PORT`.
#[test]
fn ipv6_loopback_listener() {
    if !require(ipv6_loopback_available(), "IPv6 loopback is not available here") {
        return;
    }
    let w = site();
    let s = Server::start(&w, &["--listen", "[::1]:0"]);
    assert_eq!(s.addrs.len(), 2, "two listeners announced: {:?}", s.addrs);
    let v6 = s.addrs.iter().find(|a| a.is_ipv6()).copied().expect("an IPv6 listener");
    assert!(v6.ip().is_loopback() && v6.port() != 0, "{v6}");
    assert!(
        s.log_text()
            .contains(&format!("listening on http://[::1]:{}", v6.port())),
        "announcement format: {}",
        s.log_text()
    );
    for a in &s.addrs {
        let mut c = connect(*a);
        send_raw(&mut c, &req("GET", "/index.html", &[]));
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 200, "via {a}: {r:?}");
        assert_eq!(r.body, INDEX);
    }
}

fn assert_cli_error(args: &[&str], mentions: &[&str]) {
    let out = run_cli(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "warden {args:?}: exit status {:?}, stderr {:?}",
        out.status,
        out.stderr
    );
    let lines: Vec<&str> = out.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "warden {args:?}: exactly one stderr line expected, got {:?}",
        out.stderr
    );
    assert!(
        lines[0].starts_with("warden: "),
        "warden {args:?}: stderr line must start with `warden: `: {:?}",
        lines[0]
    );
    let low = lines[0].to_ascii_lowercase();
    assert!(
        mentions.iter().any(|m| low.contains(&m.to_ascii_lowercase())),
        "warden {args:?}: message {:?} should mention one of {mentions:?}",
        lines[0]
    );
}

// Spec CLI: an unknown flag → one `warden: ` line, exit 2.
#[test]
fn cli_bad_flag_exit_2() {
    let w = WebRoot::new();
    let root = w.path().to_str().unwrap();
    assert_cli_error(&["--root", root, "--bogus"], &["--bogus", "bogus"]);
    assert_cli_error(&["--root", root, "--max-connections", "0"], &["max"]);
    assert_cli_error(&["--root", root, "--max-connections", "1025"], &["max"]);
    assert_cli_error(&["--root", root, "--max-connections", "many"], &["max", "many"]);
    assert_cli_error(
        &["--root", root, "--listen", "not-an-address"],
        &["listen", "not-an-address", "address"],
    );
    assert_cli_error(&["--root", root, "--idle-timeout", "soon"], &["idle", "soon"]);
}

// Spec CLI: missing --root, a root that does not exist or is not a directory → exit 2.
#[test]
fn cli_missing_or_bad_root_exit_2() {
    let w = WebRoot::new();
    assert_cli_error(&["--listen", "127.0.0.1:0"], &["root"]);
    let missing = w.outside().join("does-not-exist");
    assert_cli_error(
        &["--root", missing.to_str().unwrap(), "--listen", "127.0.0.1:0"],
        &["root", "does-not-exist", "no such"],
    );
    let file = w.join("health.txt");
    assert_cli_error(
        &["--root", file.to_str().unwrap(), "--listen", "127.0.0.1:0"],
        &["root", "director", "health.txt"],
    );
}

// Spec CLI: the listen port already in use → exit 2.
#[test]
fn cli_port_in_use_exit_2() {
    let w = WebRoot::new();
    let holder = TcpListener::bind("127.0.0.1:0").expect("bind a port to occupy");
    let port = holder.local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    assert_cli_error(
        &["--root", w.path().to_str().unwrap(), "--listen", &listen],
        &[&port.to_string(), "in use", "address"],
    );
    drop(holder);
}

// Spec (firmware operations): an address that is on no interface (yet) is skipped with a
// warning while another listener is up (uhttpd's behaviour), and the server serves on the
// other; `--require-all-listeners` makes it fatal; with no listener left it is fatal too.
// 192.0.2.1 (TEST-NET-1, RFC 5737) is on no interface here: bind gives EADDRNOTAVAIL.
#[test]
fn listen_skips_an_address_not_on_any_interface() {
    let w = site();
    let root = w.path().to_string_lossy().into_owned();
    // `--listen=ADDR` is not counted by the harness, which waits for one `listening on`
    // line per `--listen` argument: the skipped address prints none.
    let mut s = Server::start(&w, &["--listen=192.0.2.1:8080"]);
    let warn = s.wait_for_log(|l| l.contains("not listening on 192.0.2.1:8080"));
    assert!(
        warn.as_deref()
            .is_some_and(|l| l.starts_with("WARN ") && l.contains("--require-all-listeners")),
        "{warn:?}; log:\n{}",
        s.log_text()
    );
    s.assert_healthy();
    assert_eq!(s.terminate().code(), Some(0));
    assert_cli_error(
        &[
            "--root",
            &root,
            "--listen",
            "192.0.2.1:8080",
            "--listen",
            "127.0.0.1:0",
            "--require-all-listeners",
        ],
        &["cannot listen on 192.0.2.1:8080"],
    );
    assert_cli_error(
        &["--root", &root, "--listen", "192.0.2.1:8080"],
        &["no listener could be bound", "192.0.2.1:8080"],
    );
}

// Spec (firmware operations): `[::1]` on a kernel whose network has IPv6 turned off (a
// network namespace with net.ipv6.conf.all/lo.disable_ipv6 = 1: lo loses ::1, bind gives
// EADDRNOTAVAIL) is skipped with a warning and the IPv4 listener serves; with
// `--require-all-listeners` it is fatal. Run with `--check`, which binds the listeners as
// the service would and exits, since the namespace is not reachable from the test.
#[test]
fn listen_skips_ipv6_in_a_network_namespace_without_it() {
    if !require_root() || skip_under_emulator("a network namespace around the emulated binary") {
        return;
    }
    let tools = ["ip", "unshare"].iter().all(|t| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !require(tools, "ip (iproute2) and unshare (util-linux) for a network namespace") {
        return;
    }
    let w = site();
    let root = w.path().to_string_lossy().into_owned();
    let run = |extra: &[&str]| {
        let script = "ip link set lo up && echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 \
                      && echo 1 >/proc/sys/net/ipv6/conf/lo/disable_ipv6 && exec \"$@\"";
        let mut args = vec!["-n", "sh", "-c", script, "sh", warden_bin(), "--check", "--root", &root];
        args.extend_from_slice(&["--listen", "127.0.0.1:0", "--listen", "[::1]:8080"]);
        args.extend_from_slice(extra);
        std::process::Command::new("unshare")
            .args(&args)
            .output()
            .expect("run unshare")
    };
    let out = run(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("WARN ") && l.contains("not listening on [::1]:8080")),
        "stderr: {err}"
    );
    assert!(err.contains("listening on http://127.0.0.1:"), "stderr: {err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("confinement as planned"));
    let out = run(&["--require-all-listeners"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("cannot listen on [::1]:8080"), "stderr: {err}");
}

// Spec CLI: the same address given twice is refused before anything is bound (port 0 twice
// is two free ports, allowed).
#[test]
fn listen_same_address_twice_is_refused() {
    let w = site();
    let root = w.path().to_string_lossy().into_owned();
    assert_cli_error(
        &[
            "--root",
            &root,
            "--listen",
            "127.0.0.1:8080",
            "--listen",
            "127.0.0.1:8080",
        ],
        &["--listen 127.0.0.1:8080", "twice"],
    );
    assert_cli_error(
        &["--root", &root, "--listen", "[::1]:8080", "--listen", "[0:0::1]:8080"],
        &["[::1]:8080", "twice"],
    );
}

// Spec CLI: started unprivileged on a port below 1024, the error says what to do.
#[test]
fn listen_low_port_unprivileged_says_why() {
    use std::os::unix::process::CommandExt;
    if !require_root() {
        return;
    }
    let start: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1024);
    if start <= 80 {
        eprintln!("skipped: net.ipv4.ip_unprivileged_port_start is {start}: port 80 needs no privilege here");
        return;
    }
    let w = site();
    let out = std::process::Command::new(warden_bin())
        .args(["--root", &w.path().to_string_lossy(), "--listen", "127.0.0.1:80"])
        .uid(65534)
        .gid(65534)
        .output()
        .expect("run warden");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let fatal: Vec<&str> = stderr.lines().filter(|l| l.starts_with("warden: ")).collect();
    assert_eq!(fatal.len(), 1, "{stderr}");
    for k in ["127.0.0.1:80", "below 1024", "as root", "1024 or above"] {
        assert!(fatal[0].contains(k), "{k:?} not in {:?}", fatal[0]);
    }
}

// Spec CLI: `--help` exits 0.
#[test]
fn cli_help_exit_0() {
    let out = run_cli(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "--help: {out:?}");
    assert!(
        out.stdout.contains("--root") || out.stderr.contains("--root"),
        "help mentions --root: {out:?}"
    );
    // The exit codes, for init scripts and supervisors.
    for code in ["Error codes:", "  0 ", "  1 --check", "  2 a bad flag", "SIGSYS"] {
        assert!(out.stdout.contains(code), "--help lists {code:?}: {out:?}");
    }
}

// Spec (firmware operations): `--version` and `-V` say what is installed: version, target
// triple, board profile, what is built in and the build-time capacities; alone, exit 0.
#[test]
fn cli_version_says_what_was_built() {
    let out = run_cli(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "--version: {out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let first = format!("warden {}", env!("CARGO_PKG_VERSION"));
    assert!(lines.first().is_some_and(|l| l.starts_with(&first)), "{out:?}");
    let conns = format!("capacities: {} connections,", warden::limits::MAX_CONNECTIONS);
    for want in [
        "target: ",
        "board profile: ",
        "built in: ",
        conns.as_str(),
        "defaults: ",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(want)),
            "no line starting {want:?}: {out:?}"
        );
    }
    assert!(
        out.stdout.contains(std::env::consts::ARCH),
        "target names the architecture: {out:?}"
    );
    assert!(out.stderr.is_empty(), "{out:?}");
    let short = run_cli(&["-V"]);
    assert_eq!(short.status.code(), Some(0));
    assert_eq!(short.stdout, out.stdout, "-V is --version");
    assert_cli_error(&["--version", "--root", "/tmp"], &["--version", "no other flag"]);
}

// Spec: SIGTERM / SIGINT → exit code 0.
#[test]
fn sigterm_and_sigint_exit_0() {
    let w = site();
    for sig in ["TERM", "INT"] {
        let mut s = Server::start(&w, &[]);
        s.assert_healthy();
        let st = s.terminate_with(sig);
        assert_eq!(
            st.code(),
            Some(0),
            "SIG{sig}: exit status {st:?}; stderr:\n{}",
            s.log_text()
        );
    }
}

// Spec (firmware operations): SIGHUP, which init scripts send for `reload`, does not kill the
// server: it is logged (nothing to reload) and the server goes on serving, on the same
// keep-alive connection too. SIGUSR1 logs one status line. SIGTERM then still exits 0.
#[test]
fn sighup_is_logged_and_sigusr1_logs_the_status() {
    let w = site();
    let mut s = Server::start(&w, &["--idle-timeout", "60"]);
    assert!(
        s.wait_for_log(|l| l.contains("] serving ")).is_some(),
        "{}",
        s.log_text()
    );
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/index.html", &[]));
    assert_eq!(read_response(&mut c, false).status, 200);
    s.signal("HUP");
    let hup = s.wait_for_log(|l| l.contains("SIGHUP"));
    assert!(
        hup.as_deref()
            .is_some_and(|l| l.starts_with("WARN ") && l.contains("nothing to reload")),
        "SIGHUP line {hup:?}; log:\n{}",
        s.log_text()
    );
    send_raw(&mut c, &req("GET", "/index.html", &[]));
    assert_eq!(
        read_response(&mut c, false).status,
        200,
        "after SIGHUP, same connection"
    );
    s.assert_healthy();
    s.signal("USR1");
    let status = s.wait_for_log(|l| l.contains("] status: "));
    let status = status.unwrap_or_else(|| panic!("no status line; log:\n{}", s.log_text()));
    for part in [
        "of 1024 connections in use",
        "large head buffers lent",
        "files cached",
        "proxied requests",
        "log lines dropped",
        "logins throttled",
    ] {
        assert!(status.contains(part), "{part:?} not in {status:?}");
    }
    // The keep-alive connection is one of those in use.
    assert!(!status.contains("status: 0 of"), "{status:?}");
    let st = s.terminate();
    assert_eq!(st.code(), Some(0), "exit status {st:?}; log:\n{}", s.log_text());
}

// Spec (firmware operations): a parent that left SIGHUP ignored (S50warden's `trap '' HUP`,
// nohup) does not hide it: warden restores the default disposition under its signalfd, so
// SIGHUP is still logged rather than silently lost.
#[test]
fn sighup_inherited_as_ignored_is_still_logged() {
    use std::os::unix::process::CommandExt;
    let w = site();
    let mut cmd = std::process::Command::new(warden_bin());
    cmd.args(["--root", &w.path().to_string_lossy(), "--listen", "127.0.0.1:0"]);
    // SAFETY: signal(2) is async-signal-safe; nothing else runs in the child yet.
    unsafe {
        cmd.pre_exec(|| {
            nix::libc::signal(nix::libc::SIGHUP, nix::libc::SIG_IGN);
            Ok(())
        });
    }
    let mut s = Server::start_cmd(cmd);
    assert!(
        s.wait_for_log(|l| l.contains("] serving ")).is_some(),
        "{}",
        s.log_text()
    );
    s.signal("HUP");
    assert!(
        s.wait_for_log(|l| l.contains("SIGHUP: nothing to reload")).is_some(),
        "{}",
        s.log_text()
    );
    s.assert_healthy();
    assert_eq!(s.terminate().code(), Some(0));
}

// Spec: SIGTERM finishes responses in flight; an idle keep-alive connection does not keep the
// server alive (RFC 9112 §9.6: it may close an idle connection at any time).
#[test]
fn sigterm_with_idle_keepalive_connection_exits_0() {
    let w = site();
    let mut s = Server::start(&w, &["--idle-timeout", "60"]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/index.html", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200);
    let st = s.terminate();
    assert_eq!(st.code(), Some(0), "exit status {st:?}");
    assert_closed(&mut c);
    // No longer accepting.
    assert!(
        std::net::TcpStream::connect(s.addr).is_err(),
        "listener still accepting after exit"
    );
}

// Spec: on SIGTERM a response in flight is finished (all bytes delivered), then exit 0.
#[test]
fn sigterm_finishes_response_in_flight() {
    let w = site();
    let len: u64 = 128 << 20; // larger than any loopback socket buffers: surely in flight
    let f = std::fs::File::create(w.join("big.bin")).unwrap();
    f.set_len(len).unwrap();
    drop(f);
    let mut s = Server::start(&w, &[]);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/big.bin", &[]));
    let r = read_response(&mut c, true); // head only; the body is read below
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.content_length(), Some(len));
    let mut buf = vec![0u8; 1 << 16];
    let mut got: u64 = 0;
    // Read a little, then signal while most of the body is still to be sent.
    while got < (1 << 20) {
        let n = std::io::Read::read(&mut c, &mut buf).expect("read body");
        assert!(n > 0, "EOF after {got} bytes");
        got += n as u64;
    }
    s.signal("TERM");
    while got < len {
        let n = std::io::Read::read(&mut c, &mut buf)
            .unwrap_or_else(|e| panic!("in-flight response cut after {got} of {len} bytes: {e}"));
        assert!(n > 0, "in-flight response cut after {got} of {len} bytes");
        got += n as u64;
    }
    assert_eq!(got, len);
    assert_closed(&mut c);
    let st = s.wait_exit().expect("exit after the in-flight response finished");
    assert_eq!(st.code(), Some(0), "exit status {st:?}");
}

fn check_clf_line(line: &str, request_line: &str, status: u16, bytes: &str) {
    let prefix = "127.0.0.1 - - [";
    assert!(line.starts_with(prefix), "CLF line prefix: {line:?}");
    let rest = &line[prefix.len()..];
    let close = rest.find(']').unwrap_or_else(|| panic!("no ] in {line:?}"));
    let ts = &rest[..close];
    // 28/Nov/2026:16:47:20 +0000
    let b = ts.as_bytes();
    assert_eq!(ts.len(), 26, "CLF timestamp {ts:?}");
    assert!(
        b[0..2].iter().all(u8::is_ascii_digit)
            && b[2] == b'/'
            && [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
            ]
            .contains(&&ts[3..6])
            && b[6] == b'/'
            && b[7..11].iter().all(u8::is_ascii_digit)
            && b[11] == b':'
            && b[12..14].iter().all(u8::is_ascii_digit)
            && b[14] == b':'
            && b[15..17].iter().all(u8::is_ascii_digit)
            && b[17] == b':'
            && b[18..20].iter().all(u8::is_ascii_digit)
            && &ts[20..] == " +0000",
        "CLF timestamp {ts:?}"
    );
    // Same calendar day as now (±1 day around midnight).
    let now = imf_fixdate(unix_now());
    let yesterday = imf_fixdate(unix_now() - 86400);
    let day_of = |imf: &str| format!("{}/{}/{}", &imf[5..7], &imf[8..11], &imf[12..16]);
    assert!(
        ts[..11] == day_of(&now) || ts[..11] == day_of(&yesterday),
        "CLF date {ts:?} vs now {now:?}"
    );
    let tail = &rest[close..];
    let expected = format!("] \"{request_line}\" {status} {bytes}");
    assert_eq!(tail, expected, "CLF request/status/bytes in {line:?}");
}

// Spec: access log in Common Log Format, one line per request, `-` for zero bytes.
#[test]
fn access_log_common_log_format() {
    let w = site();
    w.file("log-probe.txt", b"0123456789");
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    let mut reqs = req("GET", "/log-probe.txt", &[]);
    reqs.extend(req("HEAD", "/log-probe.txt?head", &[]));
    reqs.extend(req("GET", "/log-probe-missing.txt", &[]));
    reqs.extend(req("GET", "/log-probe.txt?range", &["Range: bytes=2-4"]));
    send_raw(&mut c, &reqs);
    let r1 = read_response(&mut c, false);
    let r2 = read_response(&mut c, true);
    let r3 = read_response(&mut c, false);
    let r4 = read_response(&mut c, false);
    assert_eq!((r1.status, r2.status, r3.status, r4.status), (200, 200, 404, 206));
    let find = |needle: &str| {
        s.wait_for_log(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no access log line with {needle:?}:\n{}", s.log_text()))
    };
    check_clf_line(
        &find("\"GET /log-probe.txt HTTP/1.1\""),
        "GET /log-probe.txt HTTP/1.1",
        200,
        "10",
    );
    check_clf_line(
        &find("\"HEAD /log-probe.txt?head HTTP/1.1\""),
        "HEAD /log-probe.txt?head HTTP/1.1",
        200,
        "-",
    );
    let n404 = r3.body.len();
    check_clf_line(
        &find("\"GET /log-probe-missing.txt HTTP/1.1\""),
        "GET /log-probe-missing.txt HTTP/1.1",
        404,
        &if n404 == 0 { "-".to_string() } else { n404.to_string() },
    );
    check_clf_line(
        &find("\"GET /log-probe.txt?range HTTP/1.1\""),
        "GET /log-probe.txt?range HTTP/1.1",
        206,
        "3",
    );
    // One line per request.
    let lines = s.log_lines();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("\"GET /log-probe.txt HTTP/1.1\""))
            .count(),
        1,
        "exactly one access line per request:\n{}",
        lines.join("\n")
    );
}

// Spec: `--quiet` turns the access log off.
#[test]
fn quiet_disables_access_log() {
    let w = site();
    let mut s = Server::start(&w, &["--quiet"]);
    let r = s.get("/index.html");
    assert_eq!(r.status, 200);
    let r = s.get("/quiet-missing.html");
    assert_eq!(r.status, 404);
    let lines = s.stop_and_collect_log();
    for l in &lines {
        assert!(
            !l.contains("GET /index.html") && !l.contains("quiet-missing"),
            "--quiet still logs requests: {l:?}"
        );
    }
}
