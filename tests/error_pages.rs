//! `--error-page STATUS=/path`: a file of the web root as the body of an error, with the
//! error's status (RFC 9110 §15: the status is the error's; the content is any
//! representation the server chooses, §15.5), through the real binary.

mod common;

use common::*;

const PAGE_404: &[u8] = b"<!doctype html><h1>Not on this router</h1>\n";
const PAGE_403: &[u8] = b"<!doctype html><h1>Not for you</h1>\n";
const PAGE_401: &[u8] = b"<!doctype html><h1>Log in first</h1>\n";

fn site() -> WebRoot {
    let w = WebRoot::new();
    w.file("index.html", b"home\n");
    w.file("errors/404.html", PAGE_404);
    w.file("errors/403.html", PAGE_403);
    w.file("errors/401.html", PAGE_401);
    w.file("admin/index.html", b"admin\n");
    w
}

fn pages() -> Vec<&'static str> {
    vec![
        "--error-page",
        "404=/errors/404.html",
        "--error-page",
        "403=/errors/403.html",
    ]
}

/// RFC 9110 §15.5.5: a 404 with the configured page as its body, its type from the
/// page's name; a Range is not applied to an error (§14.2: only to a 200); the
/// connection stays open and the page itself is an ordinary file.
#[test]
fn rfc9110_15_5_5_404_body_is_the_error_page() {
    let w = site();
    let s = Server::start(&w, &pages());
    let mut c = s.connect();
    for headers in [&[][..], &["Range: bytes=0-3"][..], &["Accept-Encoding: gzip"][..]] {
        send_raw(&mut c, &req("GET", "/no/such/page", headers));
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 404, "{r:?}");
        assert_eq!(r.body, PAGE_404, "{r:?}");
        assert_eq!(r.h("content-type"), "text/html; charset=utf-8");
        assert_eq!(r.content_length(), Some(PAGE_404.len() as u64));
        assert!(
            !r.has("content-range") && !r.has("etag"),
            "an error has no range or validators: {r:?}"
        );
    }
    // RFC 9110 §9.3.2: HEAD gets the same head, no body; the connection goes on.
    send_raw(&mut c, &req("HEAD", "/missing", &[]));
    let r = read_response(&mut c, true);
    assert_eq!(
        (r.status, r.content_length()),
        (404, Some(PAGE_404.len() as u64)),
        "{r:?}"
    );
    send_raw(&mut c, &req("GET", "/index.html", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"home\n"[..]),
        "same connection after the pages"
    );
    let r = s.get("/errors/404.html");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, PAGE_404),
        "the page by its own name"
    );
    s.assert_healthy();
}

/// RFC 9110 §15.5.4: a cross-site POST to a proxied prefix is refused with 403 before
/// anything is forwarded (the CSRF check), and gets the 403 page.
#[test]
fn rfc9110_15_5_4_403_body_is_the_error_page() {
    let w = site();
    let mut args = pages();
    // Nothing listens on the discard port: the refusal comes before any connect.
    args.extend(["--proxy", "/api=127.0.0.1:9"]);
    let s = Server::start(&w, &args);
    let r = s.roundtrip(&req(
        "POST",
        "/api/settings",
        &["Origin: http://evil.example", "Content-Length: 0"],
    ));
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.body, PAGE_403, "{r:?}");
    s.assert_healthy();
}

/// RFC 7235 §3.1 / RFC 7617: a 401 with its page keeps WWW-Authenticate; a status
/// without a page keeps the built-in text.
#[test]
fn rfc7235_3_1_401_page_keeps_the_challenge() {
    let w = site();
    let creds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("boards/demo/htpasswd");
    let creds = creds.to_string_lossy().into_owned();
    let s = Server::start(
        &w,
        &[
            "--auth-file",
            &creds,
            "--protect",
            "/admin",
            "--error-page",
            "401=/errors/401.html",
        ],
    );
    let r = s.get("/admin/");
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.body, PAGE_401, "{r:?}");
    assert!(r.h("www-authenticate").starts_with("Basic realm="), "{r:?}");
    let r = s.get("/nothing-here");
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(
        r.h("content-type"),
        "text/plain; charset=utf-8",
        "no 404 page: built-in: {r:?}"
    );
}

/// A page removed after start: the built-in text, and the server goes on serving.
#[test]
fn a_page_gone_after_start_falls_back_to_the_built_in_text() {
    let w = site();
    let s = Server::start(&w, &pages());
    std::fs::remove_file(w.join("errors/404.html")).expect("remove the page");
    let r = s.get("/missing");
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(r.h("content-type"), "text/plain; charset=utf-8", "{r:?}");
    s.assert_healthy();
}

/// Refused at start, one `warden:` line and exit 2: a status that has no page, a path
/// that is not beneath the root or is a directory, a page that does not exist, and a
/// status given twice.
#[test]
fn error_page_refusals() {
    let w = site();
    let root = w.path().to_string_lossy().into_owned();
    for (spec, words) in [
        ("200=/errors/404.html", &["--error-page 200"][..]),
        ("404", &["--error-page 404"][..]),
        ("404=errors/404.html", &["--error-page"][..]),
        ("404=/../etc/passwd", &["--error-page"][..]),
        ("404=/errors/", &["--error-page"][..]),
        ("404=/errors", &["a directory"][..]),
        ("404=/errors/none.html", &["no such file"][..]),
    ] {
        let out = run_cli(&["--root", &root, "--listen", "127.0.0.1:0", "--error-page", spec]);
        assert_eq!(out.status.code(), Some(2), "--error-page {spec}: {out:?}");
        let fatal: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("warden: ")).collect();
        assert_eq!(fatal.len(), 1, "--error-page {spec}: {out:?}");
        for word in words {
            assert!(
                fatal[0].contains(word),
                "--error-page {spec}: {word:?} not in {:?}",
                fatal[0]
            );
        }
    }
    let out = run_cli(&[
        "--root",
        &root,
        "--listen",
        "127.0.0.1:0",
        "--error-page",
        "404=/errors/404.html",
        "--error-page",
        "404=/errors/403.html",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stderr.contains("twice"), "{out:?}");
}
