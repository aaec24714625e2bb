//! Range requests: RFC 9110 §14 (ranges), §13.1.5 (If-Range), §15.3.7 (206), §15.5.17 (416).

mod common;

use common::*;
use std::os::unix::fs::FileExt;

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyz"; // LEN = 26
const MTIME: u64 = 1577934245; // Thu, 02 Jan 2020 03:04:05 GMT
const MTIME_IMF: &str = "Thu, 02 Jan 2020 03:04:05 GMT";

fn site() -> (WebRoot, Server) {
    let w = WebRoot::new();
    w.file("alpha.txt", ALPHA);
    w.set_mtime("alpha.txt", MTIME);
    let s = Server::start(&w, &[]);
    (w, s)
}

fn range(s: &Server, spec: &str) -> Response {
    s.get_h("/alpha.txt", &[&format!("Range: {spec}")])
}

/// Asserts a 206 for `first..=last` of ALPHA.
fn assert_partial(r: &Response, first: usize, last: usize, what: &str) {
    assert_eq!(r.status, 206, "{what}: {r:?}");
    assert_common_headers(r);
    assert_file_headers(r);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes {first}-{last}/{}", ALPHA.len()).as_str()),
        "{what}: Content-Range"
    );
    assert_eq!(
        r.content_length(),
        Some((last - first + 1) as u64),
        "{what}: Content-Length"
    );
    assert_eq!(r.body, &ALPHA[first..=last], "{what}: body");
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "{what}: Content-Type of the file"
    );
}

fn assert_whole(r: &Response, what: &str) {
    assert_eq!(r.status, 200, "{what}: {r:?}");
    assert_common_headers(r);
    assert_file_headers(r);
    assert!(!r.has("content-range"), "{what}: no Content-Range on 200");
    assert_eq!(r.body, ALPHA, "{what}: whole body");
}

// RFC 9110 §14.2 + §15.3.7: a single `bytes=a-b` range → 206 with Content-Range.
#[test]
fn rfc9110_14_2_single_range_206() {
    let (_w, s) = site();
    assert_partial(&range(&s, "bytes=0-4"), 0, 4, "bytes=0-4");
    assert_partial(&range(&s, "bytes=0-0"), 0, 0, "bytes=0-0");
    assert_partial(&range(&s, "bytes=10-19"), 10, 19, "bytes=10-19");
    assert_partial(&range(&s, "bytes=25-25"), 25, 25, "bytes=25-25");
    assert_partial(&range(&s, "bytes=0-25"), 0, 25, "bytes=0-25 (whole, still 206)");
    // The 206 carries the same validators as the 200.
    let full = s.get("/alpha.txt");
    let part = range(&s, "bytes=1-2");
    assert_eq!(part.header("etag"), full.header("etag"), "ETag of 206");
    assert_eq!(part.h("last-modified"), MTIME_IMF, "Last-Modified of 206");
}

// RFC 9110 §14.1.2: `bytes=a-` → from a to the end.
#[test]
fn rfc9110_14_1_2_open_ended_range() {
    let (_w, s) = site();
    assert_partial(&range(&s, "bytes=5-"), 5, 25, "bytes=5-");
    assert_partial(&range(&s, "bytes=0-"), 0, 25, "bytes=0-");
    assert_partial(&range(&s, "bytes=25-"), 25, 25, "bytes=25-");
}

// RFC 9110 §14.1.2: `bytes=-n` → the last n bytes.
#[test]
fn rfc9110_14_1_2_suffix_range() {
    let (_w, s) = site();
    assert_partial(&range(&s, "bytes=-3"), 23, 25, "bytes=-3");
    assert_partial(&range(&s, "bytes=-1"), 25, 25, "bytes=-1");
    assert_partial(&range(&s, "bytes=-26"), 0, 25, "bytes=-26");
}

// RFC 9110 §14.1.2: a last-pos past the end is clamped to LEN-1.
#[test]
fn rfc9110_14_1_2_last_pos_clamped() {
    let (_w, s) = site();
    assert_partial(&range(&s, "bytes=20-100"), 20, 25, "bytes=20-100");
    assert_partial(&range(&s, "bytes=0-26"), 0, 25, "bytes=0-26");
    assert_partial(&range(&s, "bytes=3-99999999999999"), 3, 25, "bytes=3-huge");
}

// RFC 9110 §14.1.2: a suffix longer than the file selects the whole file (still a 206).
#[test]
fn rfc9110_14_1_2_suffix_longer_than_file_206_whole() {
    let (_w, s) = site();
    assert_partial(&range(&s, "bytes=-100"), 0, 25, "bytes=-100");
    assert_partial(&range(&s, "bytes=-27"), 0, 25, "bytes=-27");
}

// RFC 9110 §15.5.17 416 with `Content-Range: bytes */LEN` (§14.4).
#[test]
fn rfc9110_15_5_17_unsatisfiable_416() {
    let (_w, s) = site();
    for spec in [
        "bytes=26-",
        "bytes=26-30",
        "bytes=100-200",
        "bytes=-0",
        "bytes=99999999999-",
    ] {
        let r = range(&s, spec);
        assert_eq!(r.status, 416, "{spec}: {r:?}");
        assert_common_headers(&r);
        assert_eq!(r.header("content-range"), Some("bytes */26"), "{spec}: Content-Range");
        assert!(!contains(&r.body, b"klmnop"), "{spec}: 416 must not carry the file");
    }
    s.assert_healthy();
}

// RFC 9110 §14.2: a server MAY ignore multiple ranges; the spec serves the whole file (200).
#[test]
fn rfc9110_14_2_multiple_ranges_200_whole() {
    let (_w, s) = site();
    for spec in ["bytes=0-1,4-5", "bytes=0-1, 4-5", "bytes=-1,0-0", "bytes=0-1,30-40"] {
        assert_whole(&range(&s, spec), spec);
    }
}

// RFC 9110 §14.2: unknown unit or an invalid ranges-specifier → Range ignored, 200 whole.
#[test]
fn rfc9110_14_2_unknown_unit_or_malformed_ignored() {
    let (_w, s) = site();
    for spec in [
        "items=0-4",
        "pages=1-2",
        "bytes=5-2",
        "bytes=abc",
        "bytes=",
        "bytes=-",
        "bytes 0-4",
        "bytes=0-4x",
        "bytes=1-2-3",
        "bytes=--1",
        "bytes=0x1-0x2",
        "=0-4",
        "",
    ] {
        assert_whole(&range(&s, spec), &format!("Range: {spec:?}"));
    }
    s.assert_healthy();
}

// RFC 9110 §13.1.5 If-Range: strong ETag equal → range honoured.
#[test]
fn rfc9110_13_1_5_if_range_strong_etag_match() {
    let (_w, s) = site();
    let etag = s.get("/alpha.txt").h("etag").to_string();
    let r = s.get_h("/alpha.txt", &["Range: bytes=0-4", &format!("If-Range: {etag}")]);
    assert_partial(&r, 0, 4, "If-Range matching ETag");
}

// RFC 9110 §13.1.5 If-Range: ETag differs → whole representation, 200.
#[test]
fn rfc9110_13_1_5_if_range_etag_mismatch() {
    let (_w, s) = site();
    let r = s.get_h("/alpha.txt", &["Range: bytes=0-4", "If-Range: \"not-the-etag\""]);
    assert_whole(&r, "If-Range other ETag");
}

// RFC 9110 §13.1.5 If-Range: a weak entity-tag never matches (strong comparison).
#[test]
fn rfc9110_13_1_5_if_range_weak_etag_never_matches() {
    let (_w, s) = site();
    let etag = s.get("/alpha.txt").h("etag").to_string();
    let r = s.get_h("/alpha.txt", &["Range: bytes=0-4", &format!("If-Range: W/{etag}")]);
    assert_whole(&r, "If-Range W/etag");
}

// RFC 9110 §13.1.5 If-Range: an HTTP-date exactly equal to Last-Modified → range honoured.
#[test]
fn rfc9110_13_1_5_if_range_date_match() {
    let (_w, s) = site();
    let r = s.get_h("/alpha.txt", &["Range: bytes=2-3", &format!("If-Range: {MTIME_IMF}")]);
    assert_partial(&r, 2, 3, "If-Range equal date");
}

// RFC 9110 §13.1.5 If-Range: any other date → whole representation, 200.
#[test]
fn rfc9110_13_1_5_if_range_date_mismatch() {
    let (_w, s) = site();
    for d in [
        imf_fixdate(MTIME + 1),
        imf_fixdate(MTIME - 1),
        imf_fixdate(MTIME + 86400 * 365),
    ] {
        let r = s.get_h("/alpha.txt", &["Range: bytes=2-3", &format!("If-Range: {d}")]);
        assert_whole(&r, &format!("If-Range: {d}"));
    }
}

// RFC 9110 §9.3.2 + §14.2: HEAD with Range → the 206 head, no body.
#[test]
fn rfc9110_9_3_2_head_with_range_206_no_body() {
    let (_w, s) = site();
    let mut c = s.connect();
    let mut reqs = req("HEAD", "/alpha.txt", &["Range: bytes=0-4"]);
    reqs.extend(req("HEAD", "/alpha.txt", &["Range: bytes=30-"]));
    reqs.extend(req("GET", "/health.txt", &[]));
    send_raw(&mut c, &reqs);
    let h = read_response(&mut c, true);
    assert_eq!(h.status, 206, "{h:?}");
    assert_common_headers(&h);
    assert_file_headers(&h);
    assert_eq!(h.header("content-range"), Some("bytes 0-4/26"));
    assert_eq!(h.content_length(), Some(5));
    let h2 = read_response(&mut c, true);
    assert_eq!(h2.status, 416, "HEAD unsatisfiable: {h2:?}");
    assert_eq!(h2.header("content-range"), Some("bytes */26"));
    if !h2.connection_has("close") {
        let g = read_response(&mut c, false);
        assert_eq!(g.status, 200, "{g:?}");
        assert_eq!(g.body, HEALTH_BODY, "HEAD responses must not carry a body");
    }
}

// RFC 9110 §13.2.2: preconditions are evaluated before Range (304/412 win over 206).
#[test]
fn rfc9110_13_2_2_preconditions_before_range() {
    let (_w, s) = site();
    let etag = s.get("/alpha.txt").h("etag").to_string();
    let r = s.get_h("/alpha.txt", &["Range: bytes=0-4", &format!("If-None-Match: {etag}")]);
    assert_eq!(r.status, 304, "{r:?}");
    assert!(!r.has("content-range"), "{r:?}");
    let r = s.get_h("/alpha.txt", &["Range: bytes=0-4", "If-Match: \"other\""]);
    assert_eq!(r.status, 412, "{r:?}");
}

// RFC 9110 §14.1.2 with 64-bit offsets: a sparse 5 GiB file, range beyond 4 GiB.
#[test]
fn rfc9110_14_1_2_range_beyond_4gib_sparse_file() {
    let w = WebRoot::new();
    let path = w.file("big.bin", b"");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open big.bin");
    f.set_len(5 << 30).expect("set_len 5 GiB (sparse)");
    f.write_at(b"ABCDEFGHIJ", 4 << 30).expect("write at 4 GiB");
    drop(f);
    let s = Server::start(&w, &[]);
    let total = 5u64 << 30;

    let h = s.head_h("/big.bin", &[]);
    assert_eq!(h.status, 200, "{h:?}");
    assert_eq!(h.content_length(), Some(total), "HEAD Content-Length of 5 GiB");

    let r = s.get_h("/big.bin", &["Range: bytes=4294967296-4294967305"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 4294967296-4294967305/{total}").as_str())
    );
    assert_eq!(r.content_length(), Some(10));
    assert_eq!(r.body, b"ABCDEFGHIJ");

    let r = s.get_h("/big.bin", &["Range: bytes=4294967295-4294967297"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.body, b"\0AB", "bytes straddling 4 GiB");

    let r = s.get_h("/big.bin", &["Range: bytes=-5"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes {}-{}/{total}", total - 5, total - 1).as_str())
    );
    assert_eq!(r.body, [0u8; 5]);

    let r = s.get_h("/big.bin", &[&format!("Range: bytes={total}-")]);
    assert_eq!(r.status, 416, "{r:?}");
    assert_eq!(r.header("content-range"), Some(format!("bytes */{total}").as_str()));
}
