//! Bodies whose length is just under, at and just over 4 GiB (issue 10 item 1).
//!
//! On a 32-bit board the head-plus-small-body send computed `head_len + body_len` in
//! `usize`: for a body length in `2^32 - head_len ..= 2^32 - 1` the sum wrapped, the body
//! "fit" the scratch buffer, and slicing it panicked, which killed the server (empty reply,
//! process gone). Every response head is at most `RESPONSE_HEAD_CAP` (2048) bytes, so the
//! whole danger window is `2^32 - 2048 ..= 2^32 - 1`. These tests cover that window through
//! the real binary, with 200 (RFC 9110 §8.6 Content-Length, §15.3.1) and 206 (§14.1.2 byte
//! ranges, §14.4 Content-Range, §15.3.7), including its exact edges `2^32 - head_len - 1`
//! (last safe length) and `2^32 - head_len` (first wrapping one), measured per response.
//!
//! The files are sparse, so they cost no disk, and nothing reads 4 GiB through loopback: a
//! case reads the head and the first `CHECK` body bytes, compares them with the pattern
//! written there, drops the connection, and checks that the server still serves.
//! They run natively and under qemu for armv7 (`cross/test`), where the bug lived.

mod common;

use common::*;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;

const FOUR_GIB: u64 = 1 << 32;
/// `RESPONSE_HEAD_CAP` (src/limits.rs): no response head is longer.
const HEAD_CAP: u64 = 2048;
/// `MAX_CONFIGURED_HEADER_BYTES` (src/limits.rs): header lines configuration may add.
const CONFIGURED_MAX: u64 = 768;
/// The file that 206 cases take ranges of: past 4 GiB, so every window length fits.
const BIG: u64 = 5 << 30;
/// Body bytes read and compared per response.
const CHECK: usize = 4096;
/// Bytes of pattern written at each place a body is checked from.
const SPAN: u64 = 16 * 1024;
/// Where ranges of the 5 GiB file that end at its last byte start, for window lengths.
const ONE_GIB: u64 = 1 << 30;
/// A fixed mtime in whole seconds: the ETag, and so the head length, stay the same when
/// a file is resized.
const MTIME: u64 = 1_700_000_000;

/// The byte at offset `o` of every test file's patterned regions; it depends on the
/// offset, so a body starting at the wrong place does not match.
fn pat(o: u64) -> u8 {
    (o.wrapping_mul(0x9E37_79B9) >> 11) as u8
}

fn pattern(from: u64, n: usize) -> Vec<u8> {
    (from..).take(n).map(pat).collect()
}

/// Writes the pattern at the start, at 1 GiB and over the last `SPAN` bytes of the file.
fn write_patterns(f: &std::fs::File, size: u64) {
    for at in [0, ONE_GIB, size.saturating_sub(SPAN)] {
        if at < size {
            let n = usize::try_from(SPAN.min(size - at)).unwrap();
            f.write_all_at(&pattern(at, n), at).expect("write pattern");
        }
    }
}

/// Makes (or resizes) `ROOT/name` into a sparse file of `size` bytes with the patterns.
fn sparse(w: &WebRoot, name: &str, size: u64) {
    let path = w.join(name);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    f.set_len(size).expect("set_len (sparse)");
    write_patterns(&f, size);
    drop(f);
    w.set_mtime(name, MTIME);
}

/// A response to a GET of which only the head and the first `CHECK` body bytes were read.
struct Partial {
    resp: Response,
    /// Bytes of the head, blank line included: what the server put before the body.
    head_len: u64,
    prefix: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// GET `target` with `headers`; expects `status`, reads the head and `CHECK` body bytes,
/// then drops the connection with the rest of the body unread.
fn get_prefix(s: &Server, target: &str, headers: &[&str], status: u16, what: &str) -> Partial {
    let mut c: TcpStream = s.connect();
    send_raw(&mut c, &req("GET", target, headers));
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let mut head: Option<(Response, usize)> = None;
    loop {
        if head.is_none() {
            if let Some(end) = find(&got, b"\r\n\r\n") {
                let resp = read_response(&mut &got[..end + 4], true);
                assert_eq!(resp.status, status, "{what}: status in {resp:?}");
                head = Some((resp, end + 4));
            }
        }
        if let Some((_, head_len)) = &head {
            if got.len() >= head_len + CHECK {
                break;
            }
        }
        match c.read(&mut buf) {
            Ok(0) => panic!(
                "{what}: connection closed after {} bytes (the server died?): {:?}",
                got.len(),
                show(&got)
            ),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("{what}: read error {e} after {} bytes: {:?}", got.len(), show(&got)),
        }
    }
    let (resp, head_len) = head.expect("head found");
    assert_common_headers(&resp);
    Partial {
        resp,
        head_len: head_len as u64,
        prefix: got[head_len..head_len + CHECK].to_vec(),
    }
}

/// 200 for the whole file of `size` bytes: Content-Length, the first bytes, and the last
/// bytes through a small range. Returns the head length.
fn check_whole(s: &Server, target: &str, size: u64, what: &str) -> u64 {
    let p = get_prefix(s, target, &[], 200, what);
    assert_eq!(
        p.resp.content_length(),
        Some(size),
        "{what}: Content-Length (RFC 9110 §8.6) in {:?}",
        p.resp
    );
    assert!(!p.resp.has("content-range"), "{what}: {:?}", p.resp);
    assert!(p.prefix == pattern(0, CHECK), "{what}: first {CHECK} body bytes differ");
    let first = size - CHECK as u64;
    let t = s.get_h(target, &[&format!("Range: bytes={first}-")]);
    assert_eq!(t.status, 206, "{what}: tail {t:?}");
    assert_eq!(
        t.header("content-range"),
        Some(format!("bytes {first}-{}/{size}", size - 1).as_str()),
        "{what}: tail Content-Range"
    );
    assert!(t.body == pattern(first, CHECK), "{what}: last {CHECK} bytes differ");
    s.assert_healthy();
    p.head_len
}

/// 206 for `spec` on a file of `total` bytes, expected to be `first` and `len` bytes.
/// Returns the head length.
fn check_range(s: &Server, target: &str, total: u64, spec: &str, first: u64, len: u64) -> u64 {
    let what = format!("GET {target} Range: {spec} (length {len})");
    let p = get_prefix(s, target, &[&format!("Range: {spec}")], 206, &what);
    assert_eq!(
        p.resp.content_length(),
        Some(len),
        "{what}: Content-Length (RFC 9110 §8.6) in {:?}",
        p.resp
    );
    let want = format!("bytes {first}-{}/{total}", first + len - 1);
    assert_eq!(
        p.resp.header("content-range"),
        Some(want.as_str()),
        "{what}: Content-Range (RFC 9110 §14.4)"
    );
    assert!(
        p.prefix == pattern(first, CHECK),
        "{what}: first {CHECK} body bytes differ"
    );
    s.assert_healthy();
    p.head_len
}

/// Lengths `2^32 - 2048 ..= 2^32 - 1` every `step` bytes, both ends included.
fn window(step: usize) -> Vec<u64> {
    let mut v: Vec<u64> = (FOUR_GIB - HEAD_CAP..FOUR_GIB).step_by(step).collect();
    v.push(FOUR_GIB - 1);
    v
}

/// RFC 9110 §8.6: a 200 for files of exactly 2^32 - 1, 2^32 and 2^32 + 1 bytes and of
/// 2^32 - k for k around typical and the longest response heads.
#[test]
fn rfc9110_8_6_whole_files_near_4gib_200() {
    let w = WebRoot::new();
    let mut sizes: Vec<u64> = [
        1, 2, 100, 200, 300, 362, 400, 600, 1000, 1535, 1536, 1537, 2047, 2048, 2049, 4096,
    ]
    .iter()
    .map(|k| FOUR_GIB - k)
    .collect();
    sizes.extend([FOUR_GIB, FOUR_GIB + 1]);
    for &size in &sizes {
        sparse(&w, &format!("s{size}.bin"), size);
    }
    let s = Server::start(&w, &[]);
    for &size in &sizes {
        let target = format!("/s{size}.bin");
        check_whole(&s, &target, size, &format!("GET {target}"));
    }
}

/// Sizes `2^32 - h - 1` (the last that never wrapped), `2^32 - h` (head and body sum to
/// exactly 2^32) and `2^32 - h + 1`, where `h` is the head length this server sends for
/// this file, measured on a safe size first. Returns `h`.
fn whole_file_edges(w: &WebRoot, s: &Server, name: &str) -> u64 {
    let target = format!("/{name}");
    let probe = FOUR_GIB - 2 * HEAD_CAP;
    sparse(w, name, probe);
    let h = check_whole(s, &target, probe, &format!("GET {target} (probe)"));
    assert!(h <= HEAD_CAP, "head of {h} bytes");
    for size in [FOUR_GIB - h - 1, FOUR_GIB - h, FOUR_GIB - h + 1] {
        // Resized in place: same inode and mtime, same digits, so the same head length.
        sparse(w, name, size);
        let what = format!("GET {target} of {size} bytes, head {h}");
        assert_eq!(check_whole(s, &target, size, &what), h, "{what}: head length moved");
    }
    h
}

/// Ranges `bytes=0-N` with lengths `2^32 - h - 1 ..= 2^32 - h + 1` of `target` (`total`
/// bytes), `h` measured on a safe length first. Returns `h`.
fn range_edges(s: &Server, target: &str, total: u64) -> u64 {
    let probe = FOUR_GIB - 2 * HEAD_CAP;
    let h = check_range(s, target, total, &format!("bytes=0-{}", probe - 1), 0, probe);
    assert!(h <= HEAD_CAP, "head of {h} bytes");
    for len in [FOUR_GIB - h - 1, FOUR_GIB - h, FOUR_GIB - h + 1] {
        let got = check_range(s, target, total, &format!("bytes=0-{}", len - 1), 0, len);
        assert_eq!(got, h, "range of length {len}: head length moved");
    }
    h
}

/// RFC 9110 §8.6: the exact edge of the wrap for a 200, found with the head length.
#[test]
fn rfc9110_8_6_whole_file_at_the_wrap_edge_200() {
    let w = WebRoot::new();
    let s = Server::start(&w, &[]);
    whole_file_edges(&w, &s, "edge.bin");
}

/// RFC 9110 §14.1.2, §14.4: a 5 GiB sparse file asked for with `Range: bytes=0-N` for
/// lengths across the whole window (every 32 bytes and its exact edges), 2^32 and 2^32 + 1;
/// then suffix (`-N`) and open (`N-`) ranges of window lengths, which end at the last byte.
#[test]
fn rfc9110_14_2_range_lengths_near_4gib_206() {
    let w = WebRoot::new();
    sparse(&w, "big5g.bin", BIG);
    let s = Server::start(&w, &[]);
    let t = "/big5g.bin";
    let h = range_edges(&s, t, BIG);
    let mut lens = window(32);
    lens.extend([FOUR_GIB - 2, FOUR_GIB, FOUR_GIB + 1]);
    for len in lens {
        check_range(&s, t, BIG, &format!("bytes=0-{}", len - 1), 0, len);
    }
    // 4294967294 is the last byte of the longest range that stays under 4 GiB.
    check_range(&s, t, BIG, "bytes=0-4294967294", 0, FOUR_GIB - 1);
    for len in [FOUR_GIB - HEAD_CAP, FOUR_GIB - h, FOUR_GIB - h + 1, FOUR_GIB - 1] {
        let first = BIG - len;
        check_range(&s, t, BIG, &format!("bytes=-{len}"), first, len);
        check_range(&s, t, BIG, &format!("bytes={first}-"), first, len);
    }
}

/// The longest response head configuration allows (the default headers but nosniff
/// removed, the rest of the `MAX_CONFIGURED_HEADER_BYTES` budget spent on `--cache-control`) moves the
/// edge furthest down the window.
#[test]
fn rfc9110_14_2_longest_head_reaches_the_bottom_of_the_window() {
    let w = WebRoot::new();
    sparse(&w, "big5g.bin", BIG);
    let t = "/big5g.bin";
    let probe = FOUR_GIB - 2 * HEAD_CAP;
    let spec = format!("bytes=0-{}", probe - 1);
    let mut args = Vec::new();
    // nosniff stays: every response must carry it (assert_common_headers).
    for name in [
        "X-Frame-Options",
        "Content-Security-Policy",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    ] {
        args.extend(["--header".to_string(), format!("{name}:")]);
    }
    let bare = {
        let s = Server::start_args(&with_root(&w, &args));
        check_range(&s, t, BIG, &spec, 0, probe)
    };
    // "Cache-Control: " VALUE CRLF spends the rest of the budget.
    let nosniff = "X-Content-Type-Options: nosniff\r\n".len();
    let pad = usize::try_from(CONFIGURED_MAX).unwrap() - nosniff - "Cache-Control: \r\n".len();
    let cc = format!("max-age=60, x=\"{}\"", "a".repeat(pad - "max-age=60, x=\"\"".len()));
    args.extend(["--cache-control".to_string(), cc]);
    let s = Server::start_args(&with_root(&w, &args));
    let longest = range_edges(&s, t, BIG);
    let spent = CONFIGURED_MAX - nosniff as u64;
    assert_eq!(longest, bare + spent, "the budget, all of it, in the head");
    assert!(longest <= HEAD_CAP);
    check_range(&s, t, BIG, "bytes=0-4294967294", 0, FOUR_GIB - 1);
}

/// `--root ROOT --listen 127.0.0.1:0` and `extra`.
fn with_root(w: &WebRoot, extra: &[String]) -> Vec<String> {
    let mut args = vec![
        "--root".to_string(),
        w.path().to_string_lossy().into_owned(),
        "--listen".to_string(),
        "127.0.0.1:0".to_string(),
    ];
    args.extend_from_slice(extra);
    args
}

/// The same window with `--no-sendfile`: the body goes through pread and send.
#[test]
fn rfc9110_14_2_window_without_sendfile() {
    let w = WebRoot::new();
    sparse(&w, "big5g.bin", BIG);
    let s = Server::start(&w, &["--no-sendfile"]);
    let h = range_edges(&s, "/big5g.bin", BIG);
    for len in [FOUR_GIB - HEAD_CAP, FOUR_GIB - 1, FOUR_GIB] {
        check_range(&s, "/big5g.bin", BIG, &format!("bytes=0-{}", len - 1), 0, len);
    }
    let first = BIG - (FOUR_GIB - h);
    check_range(&s, "/big5g.bin", BIG, &format!("bytes={first}-"), first, FOUR_GIB - h);
    whole_file_edges(&w, &s, "edge.bin");
}
