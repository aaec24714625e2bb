//! Conditional requests: RFC 9110 §8.8 (validators), §13.1.1–§13.1.4, §13.2.2 (order),
//! §15.4.5 (304), §15.5.13 (412), §5.6.7 (date formats).

mod common;

use common::*;
use std::time::{Duration, UNIX_EPOCH};

const BODY: &[u8] = b"conditional content\n";
const MTIME: u64 = 1577934245; // Thu, 02 Jan 2020 03:04:05 GMT
const MTIME_IMF: &str = "Thu, 02 Jan 2020 03:04:05 GMT";

fn site(extra: &[&str]) -> (WebRoot, Server, String) {
    let w = WebRoot::new();
    w.file("c.txt", BODY);
    w.set_mtime("c.txt", MTIME);
    let s = Server::start(&w, extra);
    let r = s.get("/c.txt");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.h("last-modified"), MTIME_IMF, "Last-Modified of c.txt");
    let etag = r.h("etag").to_string();
    (w, s, etag)
}

fn get(s: &Server, headers: &[&str]) -> Response {
    let r = s.get_h("/c.txt", headers);
    assert_common_headers(&r);
    r
}

fn assert_status(r: &Response, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {r:?}");
    match status {
        200 => assert_eq!(r.body, BODY, "{what}: body"),
        304 => {
            assert!(r.has("etag") && r.has("last-modified"), "{what}: {r:?}");
        }
        412 => assert_error_body(r),
        _ => {}
    }
}

// RFC 9110 §8.8.3: strong ETag that changes when the size or the mtime changes.
#[test]
fn rfc9110_8_8_3_etag_strong_and_changes_with_file() {
    let (w, s, e0) = site(&[]);
    assert!(is_strong_etag(&e0), "{e0:?}");
    assert_eq!(s.get("/c.txt").h("etag"), e0, "stable ETag");

    // Size changes (same inode, same mtime).
    w.file("c.txt", b"conditional content, longer\n");
    w.set_mtime("c.txt", MTIME);
    let e1 = s.get("/c.txt").h("etag").to_string();
    assert_ne!(e1, e0, "ETag must change with the size");

    // Mtime changes (same inode, same size).
    w.set_mtime("c.txt", MTIME + 10);
    let e2 = s.get("/c.txt").h("etag").to_string();
    assert_ne!(e2, e1, "ETag must change with the mtime");

    // Replaced by rename (a new inode) with another size and mtime.
    let tmp = w.file("c.txt.new", b"conditional content, replaced\n");
    w.set_mtime("c.txt.new", MTIME + 20);
    std::fs::rename(&tmp, w.join("c.txt")).unwrap();
    let r = s.get("/c.txt");
    assert_eq!(r.body, b"conditional content, replaced\n");
    assert_ne!(r.h("etag"), e2, "ETag must change with the replaced file");

    // Different files have different ETags.
    assert_ne!(s.get("/health.txt").h("etag"), r.h("etag"));
}

/// Size, mtime seconds and nanoseconds of `path`, as the ETag is built from them.
fn validator_inputs(path: &std::path::Path) -> (u64, i64, i64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap_or_else(|e| panic!("stat {}: {e}", path.display()));
    (m.size(), m.mtime(), m.mtime_nsec(), m.ino())
}

// RFC 9110 §8.8.3 (and the class of CVE-2003-1418): the ETag is built from size and mtime only.
// It never shows the inode number (neither in hex nor in decimal), it is the same after a
// restart, and the same bytes copied `cp -p`-style to a new inode with the same size and mtime
// (also to the nanosecond) keep the tag, at another path and when renamed over the original.
#[test]
fn rfc9110_8_8_3_etag_without_inode_stable_across_restart_and_copy() {
    let (w, s, e0) = site(&[]);
    let (size, sec, nsec, ino) = validator_inputs(&w.join("c.txt"));
    let want = format!("\"{size:x}-{sec:x}.{nsec:x}\"");
    assert_eq!(e0, want, "ETag of c.txt: size-mtime.nanoseconds in hex, nothing else");
    let fields: Vec<&str> = e0.trim_matches('"').split(['-', '.']).collect();
    for shown in [format!("{ino:x}"), format!("{ino}")] {
        assert!(!fields.contains(&shown.as_str()), "ETag {e0} shows the inode {shown}");
    }

    // A restart (a reboot looks the same to the server): same tag.
    drop(s);
    let s = Server::start(&w, &[]);
    assert_eq!(s.get("/c.txt").h("etag"), e0, "ETag after a restart");

    // `cp -p`: new inode, same bytes, same size and mtime.
    std::fs::copy(w.join("c.txt"), w.join("copy.txt")).unwrap();
    w.set_mtime("copy.txt", MTIME);
    let (.., copy_ino) = validator_inputs(&w.join("copy.txt"));
    assert_ne!(copy_ino, ino, "the copy has an inode of its own");
    let r = s.get("/copy.txt");
    assert_eq!((r.status, &r.body[..]), (200, BODY), "{r:?}");
    assert_eq!(r.h("etag"), e0, "same size and mtime under a new inode: same ETag");
    // The copy renamed over the original (how firmware updates replace files): a client's
    // cached validator still matches, so it gets a 304 rather than the bytes again.
    std::fs::rename(w.join("copy.txt"), w.join("c.txt")).unwrap();
    assert_eq!(validator_inputs(&w.join("c.txt")).3, copy_ino, "c.txt is the copy now");
    let r = get(&s, &[&format!("If-None-Match: {e0}")]);
    assert_status(&r, 304, "If-None-Match after the rename");
    assert_eq!(r.h("etag"), e0);

    // Nanoseconds count, and a copy that keeps them keeps the tag.
    let t = UNIX_EPOCH + Duration::new(MTIME, 123_456_789);
    for name in ["ns.txt", "ns-copy.txt"] {
        let p = w.file(name, BODY);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(t))
            .unwrap_or_else(|e| panic!("set mtime of {name}: {e}"));
    }
    let (_, sec, nsec, _) = validator_inputs(&w.join("ns.txt"));
    let ns = s.get("/ns.txt").h("etag").to_string();
    assert_eq!(ns, format!("\"{size:x}-{sec:x}.{nsec:x}\""), "ETag with nanoseconds");
    // A file system with coarser timestamps keeps fewer digits (0 for whole seconds).
    if nsec != 0 {
        assert_ne!(ns, e0, "ETag must change with the nanoseconds");
    }
    assert_eq!(
        s.get("/ns-copy.txt").h("etag"),
        ns,
        "a copy with the same mtime to the nanosecond"
    );
}

// RFC 9110 §8.8.3: the `.gz` representation has a tag of its own even when the two files have
// the same size and mtime (`gzip -k` keeps the mtime), so a validator of one never matches the
// other.
#[test]
fn rfc9110_8_8_3_gzip_variant_etag_distinct_at_equal_size_and_mtime() {
    let w = WebRoot::new();
    w.file("same.txt", b"0123456789");
    w.file("same.txt.gz", b"9876543210");
    w.set_mtime("same.txt", MTIME);
    w.set_mtime("same.txt.gz", MTIME);
    let s = Server::start(&w, &[]);
    let plain = s.get("/same.txt");
    let gz = s.get_h("/same.txt", &["Accept-Encoding: gzip"]);
    assert_eq!(
        (plain.body.as_slice(), gz.body.as_slice()),
        (&b"0123456789"[..], &b"9876543210"[..])
    );
    assert_eq!(gz.h("content-encoding"), "gzip", "{gz:?}");
    let (pe, ge) = (plain.h("etag"), gz.h("etag"));
    assert_ne!(pe, ge, "equal size and mtime, different representations");
    assert!(is_strong_etag(pe) && is_strong_etag(ge), "{pe} {ge}");
    let r = s.get_h("/same.txt", &["Accept-Encoding: gzip", &format!("If-None-Match: {pe}")]);
    assert_eq!(r.status, 200, "the plain tag must not validate the gzip variant: {r:?}");
    let r = s.get_h("/same.txt", &[&format!("If-None-Match: {ge}")]);
    assert_eq!(r.status, 200, "the gzip tag must not validate the plain variant: {r:?}");
    let r = s.get_h("/same.txt", &["Accept-Encoding: gzip", &format!("If-None-Match: {ge}")]);
    assert_eq!(r.status, 304, "{r:?}");
}

// RFC 9110 §13.1.1 If-Match: strong comparison, `*`, lists; false → 412.
#[test]
fn rfc9110_13_1_1_if_match() {
    let (_w, s, etag) = site(&[]);
    let cases: Vec<(String, u16)> = vec![
        (etag.clone(), 200),
        ("*".into(), 200),
        (format!("\"a\", {etag}"), 200),
        (format!("\"a\",{etag} , \"b\""), 200),
        ("\"other\"".into(), 412),
        ("\"a\", \"b\"".into(), 412),
        (format!("W/{etag}"), 412), // weak never matches with strong comparison
    ];
    for (v, status) in cases {
        let r = get(&s, &[&format!("If-Match: {v}")]);
        assert_status(&r, status, &format!("If-Match: {v}"));
    }
    let r = s.head_h("/c.txt", &["If-Match: \"other\""]);
    assert_eq!(r.status, 412, "HEAD If-Match false: {r:?}");
    s.assert_healthy();
}

// RFC 9110 §13.2.1: preconditions are ignored when the response would not be 2xx/412 anyway.
#[test]
fn rfc9110_13_2_1_if_match_on_missing_file_404() {
    let (_w, s, _) = site(&[]);
    let r = s.get_h("/missing.txt", &["If-Match: *"]);
    assert_eq!(r.status, 404, "{r:?}");
    let r = s.get_h("/missing.txt", &["If-None-Match: *"]);
    assert_eq!(r.status, 404, "{r:?}");
}

// RFC 9110 §13.1.4 If-Unmodified-Since: Last-Modified later than the date → 412.
#[test]
fn rfc9110_13_1_4_if_unmodified_since() {
    let (_w, s, _) = site(&[]);
    let cases: Vec<(String, u16)> = vec![
        (imf_fixdate(MTIME - 1), 412),
        (imf_fixdate(MTIME - 86400 * 400), 412),
        (MTIME_IMF.into(), 200),
        (imf_fixdate(MTIME + 1), 200),
        (imf_fixdate(MTIME + 86400), 200),
        // Invalid dates are ignored.
        ("yesterday".into(), 200),
        ("Thu, 02 Jan 2000 03:04:05".into(), 200),
        ("Thu, 32 Jan 2000 03:04:05 GMT".into(), 200),
        ("0".into(), 200),
    ];
    for (v, status) in cases {
        let r = get(&s, &[&format!("If-Unmodified-Since: {v}")]);
        assert_status(&r, status, &format!("If-Unmodified-Since: {v}"));
    }
}

// RFC 9110 §13.2.2 steps 1–2: If-Match is evaluated instead of If-Unmodified-Since.
#[test]
fn rfc9110_13_2_2_if_match_takes_precedence_over_if_unmodified_since() {
    let (_w, s, etag) = site(&[]);
    let old = imf_fixdate(MTIME - 3600);
    let newer = imf_fixdate(MTIME + 3600);
    // If-Match true: If-Unmodified-Since (false on its own) is not evaluated.
    let r = get(
        &s,
        &[&format!("If-Match: {etag}"), &format!("If-Unmodified-Since: {old}")],
    );
    assert_status(&r, 200, "If-Match true + IUS false");
    // If-Match false: 412 even though If-Unmodified-Since alone would pass.
    let r = get(&s, &["If-Match: \"other\"", &format!("If-Unmodified-Since: {newer}")]);
    assert_status(&r, 412, "If-Match false + IUS true");
    // Order of the header lines does not matter.
    let r = get(
        &s,
        &[&format!("If-Unmodified-Since: {old}"), &format!("If-Match: {etag}")],
    );
    assert_status(&r, 200, "IUS false + If-Match true (reversed order)");
}

// RFC 9110 §13.2.2: a failed step 1/2 precondition (412) wins over If-None-Match (304).
#[test]
fn rfc9110_13_2_2_412_before_304() {
    let (_w, s, etag) = site(&[]);
    let old = imf_fixdate(MTIME - 3600);
    let r = get(
        &s,
        &[
            &format!("If-None-Match: {etag}"),
            &format!("If-Unmodified-Since: {old}"),
        ],
    );
    assert_status(&r, 412, "IUS false + INM match");
    let r = get(&s, &["If-Match: \"nope\"", &format!("If-None-Match: {etag}")]);
    assert_status(&r, 412, "If-Match false + INM match");
    let r = get(&s, &[&format!("If-Match: {etag}"), &format!("If-None-Match: {etag}")]);
    assert_status(&r, 304, "If-Match true + INM match");
}

// RFC 9110 §13.1.2 If-None-Match: weak comparison, `*`, lists → 304 for GET and HEAD.
#[test]
fn rfc9110_13_1_2_if_none_match() {
    let (_w, s, etag) = site(&[]);
    let cases: Vec<(String, u16)> = vec![
        (etag.clone(), 304),
        (format!("W/{etag}"), 304), // weak comparison
        ("*".into(), 304),
        (format!("\"a\", {etag}"), 304),
        (format!("\"a\",W/{etag}"), 304),
        ("\"other\"".into(), 200),
        ("\"a\", \"b\"".into(), 200),
        ("W/\"other\"".into(), 200),
    ];
    for (v, status) in cases {
        let r = get(&s, &[&format!("If-None-Match: {v}")]);
        assert_status(&r, status, &format!("If-None-Match: {v}"));
        let h = s.head_h("/c.txt", &[&format!("If-None-Match: {v}")]);
        assert_eq!(h.status, status, "HEAD If-None-Match: {v}: {h:?}");
    }
}

// RFC 9110 §13.2.2 steps 3–4: If-None-Match present → If-Modified-Since is ignored.
#[test]
fn rfc9110_13_2_2_if_none_match_over_if_modified_since() {
    let (_w, s, etag) = site(&[]);
    let newer = imf_fixdate(MTIME + 3600);
    let old = imf_fixdate(MTIME - 3600);
    let r = get(
        &s,
        &["If-None-Match: \"other\"", &format!("If-Modified-Since: {newer}")],
    );
    assert_status(&r, 200, "INM no match + IMS would be 304");
    let r = get(
        &s,
        &[&format!("If-None-Match: {etag}"), &format!("If-Modified-Since: {old}")],
    );
    assert_status(&r, 304, "INM match + IMS would be 200");
    let r = get(
        &s,
        &[&format!("If-Modified-Since: {newer}"), "If-None-Match: \"other\""],
    );
    assert_status(&r, 200, "IMS first, INM no match");
}

// RFC 9110 §13.1.3 If-Modified-Since: Last-Modified <= date → 304; invalid dates ignored.
#[test]
fn rfc9110_13_1_3_if_modified_since() {
    let (_w, s, _) = site(&[]);
    let cases: Vec<(String, u16)> = vec![
        (MTIME_IMF.into(), 304),
        (imf_fixdate(MTIME + 1), 304),
        (imf_fixdate(MTIME + 86400 * 30), 304),
        (imf_fixdate(MTIME - 1), 200),
        (imf_fixdate(MTIME - 86400 * 400), 200),
        ("garbage".into(), 200),
        ("Thu, 02 Jan 2020 03:04:05 PST".into(), 200),
        ("Thu, 02 Jan 2020 25:04:05 GMT".into(), 200),
        ("".into(), 200),
    ];
    for (v, status) in cases {
        let r = get(&s, &[&format!("If-Modified-Since: {v}")]);
        assert_status(&r, status, &format!("If-Modified-Since: {v:?}"));
        let h = s.head_h("/c.txt", &[&format!("If-Modified-Since: {v}")]);
        assert_eq!(h.status, status, "HEAD If-Modified-Since: {v:?}: {h:?}");
    }
}

// RFC 9110 §8.8.2 / §13.1.3: Last-Modified has 1 s resolution; a sub-second mtime must still
// compare equal to the Last-Modified value sent.
#[test]
fn rfc9110_13_1_3_if_modified_since_subsecond_mtime() {
    let w = WebRoot::new();
    let p = w.file("sub.txt", BODY);
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_millis(MTIME * 1000 + 750))
        .unwrap();
    drop(f);
    let s = Server::start(&w, &[]);
    let r = s.get("/sub.txt");
    assert_eq!(r.h("last-modified"), MTIME_IMF, "Last-Modified truncated");
    let r = s.get_h("/sub.txt", &[&format!("If-Modified-Since: {MTIME_IMF}")]);
    assert_eq!(r.status, 304, "IMS == Last-Modified with sub-second mtime: {r:?}");
    let r = s.get_h("/sub.txt", &[&format!("If-Unmodified-Since: {MTIME_IMF}")]);
    assert_eq!(r.status, 200, "IUS == Last-Modified with sub-second mtime: {r:?}");
}

// RFC 9110 §5.6.7: IMF-fixdate, RFC 850 and asctime dates are all accepted.
#[test]
fn rfc9110_5_6_7_three_date_formats() {
    let (_w, s, _) = site(&[]);
    for (name, f) in [
        ("IMF-fixdate", imf_fixdate as fn(u64) -> String),
        ("RFC 850", rfc850_date),
        ("asctime", asctime_date),
    ] {
        let same = f(MTIME);
        let before = f(MTIME - 1);
        let r = get(&s, &[&format!("If-Modified-Since: {same}")]);
        assert_status(&r, 304, &format!("{name} IMS {same:?}"));
        let r = get(&s, &[&format!("If-Modified-Since: {before}")]);
        assert_status(&r, 200, &format!("{name} IMS {before:?}"));
        let r = get(&s, &[&format!("If-Unmodified-Since: {before}")]);
        assert_status(&r, 412, &format!("{name} IUS {before:?}"));
        let r = get(&s, &[&format!("If-Unmodified-Since: {same}")]);
        assert_status(&r, 200, &format!("{name} IUS {same:?}"));
    }
}

// RFC 9110 §15.4.5 304: no content, no Content-Length, ETag + Last-Modified (+ Cache-Control).
#[test]
fn rfc9110_15_4_5_not_modified_headers() {
    let (_w, s, etag) = site(&["--cache-control", "no-cache"]);
    let mut c = s.connect();
    let mut reqs = req("GET", "/c.txt", &[&format!("If-None-Match: {etag}")]);
    reqs.extend(req("GET", "/c.txt", &[&format!("If-Modified-Since: {MTIME_IMF}")]));
    reqs.extend(req("GET", "/health.txt", &[]));
    send_raw(&mut c, &reqs);
    for what in ["If-None-Match", "If-Modified-Since"] {
        let r = read_response(&mut c, false);
        assert_eq!(r.status, 304, "{what}: {r:?}");
        assert_common_headers(&r);
        assert_eq!(r.header("etag"), Some(etag.as_str()), "{what}: ETag on 304");
        assert_eq!(
            r.header("last-modified"),
            Some(MTIME_IMF),
            "{what}: Last-Modified on 304"
        );
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{what}: {r:?}");
        assert!(!r.has("content-length"), "{what}: {r:?}");
        assert!(!r.connection_has("close"), "304 keeps the connection: {r:?}");
    }
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "request after the 304s: {r:?}");
    assert_eq!(r.body, HEALTH_BODY, "304 responses must not carry a body");
}

// RFC 9110 §15.5.13 412: header set and the connection stays usable.
#[test]
fn rfc9110_15_5_13_precondition_failed_412() {
    let (_w, s, _) = site(&[]);
    let r = get(&s, &["If-Match: \"nope\""]);
    assert_eq!(r.status, 412, "{r:?}");
    assert_error_body(&r);
    assert!(!contains(&r.body, BODY), "412 must not carry the file");
}
