//! Path handling: traversal (RFC 3986 §5.2.4 dot-segments, §2.1 percent-encoding), dotfiles,
//! RFC 8615 `/.well-known/`, symlinks and special files.

mod common;

use common::*;

const SECRET: &[u8] = b"TOP-SECRET-OUTSIDE-THE-ROOT";

fn site() -> (WebRoot, Server) {
    let w = WebRoot::new();
    w.file("a/b/c", b"abc file\n");
    w.file(".env", b"DOTENV-SECRET\n");
    w.file(".git/config", b"GITCONFIG-SECRET\n");
    w.file("a/.hidden", b"HIDDEN-SECRET\n");
    w.file(".well-known/x", b"well known\n");
    w.file(".well-known/.x", b"WELLKNOWN-DOT-SECRET\n");
    w.file("a/.well-known/x", b"NESTED-WELLKNOWN-SECRET\n");
    w.file("%2e%2e/literal.txt", b"literal percent dir\n");
    w.outside_file("secret.txt", SECRET);
    let secret = w.outside().join("secret.txt");
    w.symlink(&secret, "link-out");
    w.symlink("../outside/secret.txt", "link-out-rel");
    w.symlink(w.outside(), "linkdir-out");
    w.symlink("health.txt", "alias.txt");
    w.symlink("a", "linkdir-in");
    w.symlink("../../outside/secret.txt", "a/link-up");
    // Absolute-form targets below name host `x`: the device's own name here.
    let s = Server::start(&w, &["--allow-host", "x"]);
    (w, s)
}

fn assert_no_leak(r: &Response, what: &str) {
    for needle in [
        SECRET,
        b"DOTENV-SECRET",
        b"GITCONFIG-SECRET",
        b"HIDDEN-SECRET",
        b"WELLKNOWN-DOT-SECRET",
        b"NESTED-WELLKNOWN-SECRET",
    ] {
        assert!(!contains(&r.body, needle), "{what}: leaked content: {r:?}");
    }
}

// RFC 3986 §5.2.4 / §2.1 and the spec: `..` segments (raw or encoded), `%2f`, `%00`, backslash,
// invalid escapes and non-UTF-8 → 400 and close; a fresh connection is then served.
#[test]
fn rfc3986_5_2_4_traversal_and_bad_escapes_400() {
    let (_w, s) = site();
    let targets = [
        // dot-dot, raw
        "/../outside/secret.txt",
        "/..",
        "/a/..",
        "/a/../health.txt",
        "/a/b/../../../outside/secret.txt",
        // dot-dot, encoded
        "/%2e%2e/outside/secret.txt",
        "/%2E%2E/outside/secret.txt",
        "/.%2e/outside/secret.txt",
        "/%2e./outside/secret.txt",
        "/a/%2e%2e/%2e%2e/outside/secret.txt",
        "/a/%2e%2e",
        // encoded slash
        "/a%2fb%2fc",
        "/a/b%2Fc",
        "/a%2f..%2f..%2foutside%2fsecret.txt",
        // NUL
        "/health.txt%00",
        "/health.txt%00.html",
        "/%00",
        // overlong UTF-8 and other invalid UTF-8
        "/%c0%ae%c0%ae/outside/secret.txt",
        "/%c0%ae%c0%ae%c0%afoutside",
        "/%ff",
        "/a%e2%82",
        // backslash, raw and encoded
        "/a\\b\\c",
        "/..\\outside\\secret.txt",
        "/a%5cb%5cc",
        "/%5c..%5coutside%5csecret.txt",
        "/a/b%5C..%5C..%5Chealth.txt",
        // invalid escapes
        "/%zz",
        "/%4",
        "/%",
        "/a%2",
        "/%g0",
        "/%%32%65",
        // absolute-form with traversal
        "http://x/../outside/secret.txt",
        "http://x/%2e%2e/outside/secret.txt",
    ];
    for t in targets {
        let r = s.expect_reject(&req("GET", t, &[]), 400);
        assert_error_body(&r);
        assert_no_leak(&r, t);
    }
}

// Spec: decoding happens once: `%252e%252e` is the literal name `%2e%2e`, not a traversal.
#[test]
fn rfc3986_2_4_decoded_once() {
    let (_w, s) = site();
    let r = s.get("/%252e%252e/literal.txt");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"literal percent dir\n");
    let r = s.get("/%252e%252e/outside/secret.txt");
    assert_eq!(r.status, 404, "{r:?}");
    assert_no_leak(&r, "double-encoded");
}

// RFC 3986 §6.2.2 / spec: `//` and `/./` are collapsed; escapes of plain characters decode;
// the query string is ignored.
#[test]
fn rfc3986_6_2_2_collapsed_and_decoded_paths_served() {
    let (_w, s) = site();
    for t in [
        "/a//b/./c",
        "/a/b/c",
        "//a/b/c",
        "/./a/b/c",
        "/a///b//c",
        "/a/./b/./c",
        "/%61/b/%63",
        "/a/b/c?x=1",
        "/a/b/c?../../outside/secret.txt",
        "/a/b/c?",
    ] {
        let r = s.get(t);
        assert_eq!(r.status, 200, "{t}: {r:?}");
        assert_eq!(r.body, b"abc file\n", "{t}");
    }
    for t in ["/h%65alth.txt", "/health.txt?a=%zz", "/./health.txt"] {
        let r = s.get(t);
        assert_eq!(r.status, 200, "{t}: {r:?}");
        assert_eq!(r.body, HEALTH_BODY, "{t}");
    }
}

// Spec: dotfiles and dot-directories → 404; `/.well-known/` (first segment only, RFC 8615)
// is served except for its own dotfiles.
#[test]
fn rfc8615_dotfiles_404_well_known_served() {
    let (_w, s) = site();
    for t in [
        "/.env",
        "/.git/config",
        "/.git/",
        "/.git",
        "/a/.hidden",
        "/.well-known/.x",
        "/a/.well-known/x",
        "/%2eenv",
        "/.%65nv",
        "/a/%2ehidden",
    ] {
        let r = s.get(t);
        assert_eq!(r.status, 404, "{t}: {r:?}");
        assert_common_headers(&r);
        assert_no_leak(&r, t);
        s.assert_healthy();
    }
    let r = s.get("/.well-known/x");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"well known\n");
    let r = s.get("/%2ewell-known/x");
    assert_eq!(r.status, 200, "encoded /.well-known/: {r:?}");
}

// Spec: symlinks are never followed, whether they point outside or inside the root.
#[test]
fn symlinks_never_followed_404() {
    let (_w, s) = site();
    for t in [
        "/link-out",
        "/link-out-rel",
        "/linkdir-out/secret.txt",
        "/linkdir-out/",
        "/linkdir-out",
        "/a/link-up",
        "/alias.txt",
        "/linkdir-in/b/c",
        "/linkdir-in/",
        "/linkdir-in",
    ] {
        let r = s.get(t);
        assert_eq!(r.status, 404, "{t}: {r:?}");
        assert_no_leak(&r, t);
        let h = s.head_h(t, &[]);
        assert_eq!(h.status, 404, "HEAD {t}: {h:?}");
        s.assert_healthy();
    }
}

// Spec: a symlinked index file is not followed either.
#[test]
fn symlinked_index_404() {
    let w = WebRoot::new();
    w.outside_file("index.html", SECRET);
    w.symlink(w.outside().join("index.html"), "index.html");
    w.file("d/real.html", b"real\n");
    w.symlink("real.html", "d/index.html");
    let s = Server::start(&w, &[]);
    for t in ["/", "/d/", "/index.html", "/d/index.html"] {
        let r = s.get(t);
        assert_eq!(r.status, 404, "{t}: {r:?}");
        assert_no_leak(&r, t);
    }
}

// Spec: FIFOs and sockets → 404 and opening them must not block the server.
#[test]
fn fifo_and_socket_404_without_blocking() {
    let (w, s) = site();
    w.fifo("pipe.fifo");
    w.fifo("pipe.html");
    w.fifo("fifodir/index.html");
    let _sock = w.unix_socket("sock");
    for t in ["/pipe.fifo", "/pipe.html", "/fifodir/", "/sock"] {
        // Keep one unrelated connection open across the request: it must still be served.
        let mut other = s.connect();
        let r = s.get(t);
        assert_eq!(r.status, 404, "{t}: {r:?}");
        let h = s.head_h(t, &[]);
        assert_eq!(h.status, 404, "HEAD {t}: {h:?}");
        send_raw(&mut other, &req("GET", "/health.txt", &[]));
        let r = read_response(&mut other, false);
        assert_eq!(r.body, HEALTH_BODY, "server blocked after {t}");
        s.assert_healthy();
    }
    // Still serving after all of that, including the range and conditional paths.
    let r = s.get_h("/pipe.fifo", &["Range: bytes=0-1"]);
    assert_eq!(r.status, 404, "{r:?}");
    s.assert_healthy();
}

// Spec: the web root itself cannot be escaped through `/` handling of a missing index.
#[test]
fn root_without_index_404() {
    let (_w, s) = site();
    let r = s.get("/");
    assert_eq!(r.status, 404, "{r:?}");
    assert!(!r.body_str().contains("health.txt"), "directory listing: {r:?}");
}
