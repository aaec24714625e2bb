//! Precompressed siblings: RFC 9110 §8.4 (Content-Encoding), §12.5.3 (Accept-Encoding),
//! §12.5.5 (Vary), §15.5.7 (406).

mod common;

use common::*;

const PLAIN: &[u8] = b"body { color: red; }\n/* plain variant */\n";
// Not necessarily valid gzip: the server must not inspect it.
const GZ: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03GZ-VARIANT-BYTES";
const ONLY_GZ: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03ONLY-GZ-JS";

fn site() -> (WebRoot, Server) {
    let w = WebRoot::new();
    w.file("style.css", PLAIN);
    w.file("style.css.gz", GZ);
    w.file("only.js.gz", ONLY_GZ);
    w.file("plain.txt", b"no sibling\n");
    let s = Server::start(&w, &[]);
    (w, s)
}

fn ae(s: &Server, target: &str, accept: Option<&str>) -> Response {
    let h = accept.map(|a| format!("Accept-Encoding: {a}"));
    let headers: Vec<&str> = h.iter().map(String::as_str).collect();
    let r = s.get_h(target, &headers);
    assert_common_headers(&r);
    r
}

fn assert_vary(r: &Response, what: &str) {
    let vary = r
        .header("vary")
        .unwrap_or_else(|| panic!("{what}: Vary missing: {r:?}"));
    assert!(
        vary.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("accept-encoding")),
        "{what}: Vary {vary:?}"
    );
}

fn assert_gz_variant(r: &Response, what: &str) {
    assert_eq!(r.status, 200, "{what}: {r:?}");
    assert_file_headers(r);
    assert_eq!(r.header("content-encoding"), Some("gzip"), "{what}: {r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/css; charset=utf-8"),
        "{what}: Content-Type of the original name"
    );
    assert_eq!(r.content_length(), Some(GZ.len() as u64), "{what}");
    assert_eq!(r.body, GZ, "{what}: body is the .gz file");
    assert_vary(r, what);
}

fn assert_plain_variant(r: &Response, what: &str) {
    assert_eq!(r.status, 200, "{what}: {r:?}");
    assert_file_headers(r);
    assert!(!r.has("content-encoding"), "{what}: {r:?}");
    assert_eq!(r.h("content-type"), "text/css; charset=utf-8", "{what}");
    assert_eq!(r.body, PLAIN, "{what}: body is the plain file");
    assert_vary(r, what);
}

// RFC 9110 §12.5.3: gzip accepted (q>0, any case, with parameters) → the .gz sibling.
#[test]
fn rfc9110_12_5_3_gzip_accepted_serves_gz() {
    let (_w, s) = site();
    for a in [
        "gzip",
        "GZIP",
        "gzip, deflate, br",
        "br;q=1.0, gzip;q=0.5",
        "deflate, gzip;q=0.001",
        "gzip;q=1",
        "identity, gzip",
        " gzip ",
    ] {
        assert_gz_variant(&ae(&s, "/style.css", Some(a)), &format!("AE {a:?}"));
    }
}

// RFC 9110 §12.5.3: `gzip;q=0` refuses gzip; absent/other codings get the plain file.
#[test]
fn rfc9110_12_5_3_gzip_refused_or_absent_serves_plain() {
    let (_w, s) = site();
    assert_plain_variant(&ae(&s, "/style.css", None), "no Accept-Encoding");
    for a in [
        "gzip;q=0",
        "gzip; q=0",
        "gzip;q=0.0",
        "gzip;q=0.000",
        "deflate, gzip;q=0",
        "br",
        "identity",
        "deflate, br",
        "",
        "gzipx",
        "x-gzipped",
    ] {
        assert_plain_variant(&ae(&s, "/style.css", Some(a)), &format!("AE {a:?}"));
    }
}

// RFC 9110 §12.5.3: `*` matches gzip unless gzip is listed with q=0.
#[test]
fn rfc9110_12_5_3_wildcard() {
    let (_w, s) = site();
    assert_gz_variant(&ae(&s, "/style.css", Some("*")), "AE *");
    assert_gz_variant(&ae(&s, "/style.css", Some("br, *;q=0.1")), "AE br, *;q=0.1");
    assert_plain_variant(&ae(&s, "/style.css", Some("*, gzip;q=0")), "AE *, gzip;q=0");
    assert_plain_variant(&ae(&s, "/style.css", Some("gzip;q=0, *")), "AE gzip;q=0, *");
}

// RFC 9110 §12.5.5 Vary on both variants, also on HEAD and 304; none without a sibling.
#[test]
fn rfc9110_12_5_5_vary_on_both_variants() {
    let (_w, s) = site();
    let g = s.head_h("/style.css", &["Accept-Encoding: gzip"]);
    assert_eq!(g.status, 200, "{g:?}");
    assert_vary(&g, "HEAD gzip");
    assert_eq!(g.header("content-encoding"), Some("gzip"));
    assert_eq!(g.content_length(), Some(GZ.len() as u64), "HEAD gzip length");
    let p = s.head_h("/style.css", &[]);
    assert_vary(&p, "HEAD plain");
    assert_eq!(p.content_length(), Some(PLAIN.len() as u64), "HEAD plain length");

    let r = s.get("/plain.txt");
    assert_eq!(r.status, 200);
    assert!(!r.has("vary"), "no .gz sibling → no Vary: {r:?}");
    assert!(!r.has("content-encoding"), "{r:?}");
    let r = s.get_h("/plain.txt", &["Accept-Encoding: gzip"]);
    assert!(!r.has("content-encoding") && r.body == b"no sibling\n", "{r:?}");
}

// RFC 9110 §8.8.3: the two variants have different strong ETags; conditionals use them.
#[test]
fn rfc9110_8_8_3_distinct_etags_per_variant() {
    let (_w, s) = site();
    let gz = ae(&s, "/style.css", Some("gzip"));
    let plain = ae(&s, "/style.css", None);
    let (eg, ep) = (gz.h("etag").to_string(), plain.h("etag").to_string());
    assert_ne!(eg, ep, "gzip and identity variants must have different ETags");

    let r = s.get_h(
        "/style.css",
        &["Accept-Encoding: gzip", &format!("If-None-Match: {eg}")],
    );
    assert_eq!(r.status, 304, "{r:?}");
    assert_eq!(r.header("etag"), Some(eg.as_str()), "304 ETag of the gz variant");
    assert_vary(&r, "304 gzip");

    // The plain validator does not validate the gzip variant, and vice versa.
    let r = s.get_h(
        "/style.css",
        &["Accept-Encoding: gzip", &format!("If-None-Match: {ep}")],
    );
    assert_gz_variant(&r, "INM plain etag with gzip");
    let r = s.get_h("/style.css", &[&format!("If-None-Match: {eg}")]);
    assert_plain_variant(&r, "INM gz etag without gzip");
    let r = s.get_h("/style.css", &[&format!("If-None-Match: {ep}")]);
    assert_eq!(r.status, 304, "{r:?}");
    assert_vary(&r, "304 plain");
}

// RFC 9110 §15.5.7: only `NAME.gz` exists → gzip clients get it, others 406.
#[test]
fn rfc9110_15_5_7_gz_only_406_or_served() {
    let (_w, s) = site();
    let r = ae(&s, "/only.js", Some("gzip"));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8"),
        "Content-Type of the original name"
    );
    assert_eq!(r.body, ONLY_GZ);
    assert_vary(&r, "gz-only, gzip");
    assert_file_headers(&r);

    for a in [None, Some("gzip;q=0"), Some("br"), Some("identity")] {
        let r = ae(&s, "/only.js", a);
        assert_eq!(r.status, 406, "gz-only with AE {a:?}: {r:?}");
        assert_error_body(&r);
        assert!(!contains(&r.body, b"ONLY-GZ-JS"), "{r:?}");
    }
    s.assert_healthy();
}

// RFC 9110 §8.4: a direct request for `x.gz` is the file as is (no Content-Encoding).
#[test]
fn rfc9110_8_4_direct_gz_request_served_as_is() {
    let (_w, s) = site();
    for a in [None, Some("gzip")] {
        for t in ["/style.css.gz", "/only.js.gz"] {
            let r = ae(&s, t, a);
            assert_eq!(r.status, 200, "{t} AE {a:?}: {r:?}");
            assert_eq!(r.h("content-type"), "application/gzip", "{t}");
            assert!(!r.has("content-encoding"), "{t} AE {a:?}: {r:?}");
        }
    }
    assert_eq!(s.get("/style.css.gz").body, GZ);
}

// RFC 9110 §8.4 with real gzip data: a client can decode what it receives (sanity check of the
// byte-exact transfer with a real gzip member written by the `gzip` tool when available).
#[test]
fn rfc9110_8_4_real_gzip_roundtrip() {
    let w = WebRoot::new();
    let text = "hello precompressed world\n".repeat(50);
    w.file("app.js", &text);
    let gz_path = w.join("app.js.gz");
    let out = std::process::Command::new("gzip")
        .arg("-c")
        .arg("-n")
        .arg(w.join("app.js"))
        .output();
    let gz = match out {
        Ok(o) if o.status.success() => o.stdout,
        _ => {
            require(false, "no gzip tool");
            return;
        }
    };
    std::fs::write(&gz_path, &gz).unwrap();
    let s = Server::start(&w, &[]);
    let r = s.get_h("/app.js", &["Accept-Encoding: gzip, deflate"]);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.body, gz, "gzip bytes byte-exact");
    assert_eq!(r.h("content-type"), "text/javascript; charset=utf-8");
}
