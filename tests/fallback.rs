//! The read/send fallback (`--no-sendfile`): the same bytes as sendfile, through
//! one fixed buffer, for whole files, ranges and pipelined requests
//! (RFC 9110 §14.2 for ranges, RFC 9112 §9.3.2 for pipelining).

mod common;

use common::*;
use std::io::BufReader;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(131).wrapping_add(seed as u32) as u8)
        .collect()
}

#[test]
fn fallback_serves_whole_files_byte_exact() {
    let w = WebRoot::new();
    let big = pattern(3 << 20, 3);
    w.file("big.bin", &big);
    let s = Server::start(&w, &["--no-sendfile"]);
    let r = s.get("/big.bin");
    assert_eq!(r.status, 200);
    assert!(r.body == big, "3 MiB body differs through the fallback");
    s.assert_healthy();
}

// RFC 9110 §14.2: a range starts at its offset, also without sendfile.
#[test]
fn rfc9110_14_2_fallback_serves_ranges() {
    let w = WebRoot::new();
    let big = pattern(1 << 20, 9);
    w.file("big.bin", &big);
    let s = Server::start(&w, &["--no-sendfile"]);
    let r = s.get_h("/big.bin", &["Range: bytes=100000-299999"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert!(r.body == big[100_000..300_000], "range body differs");
}

// RFC 9112 §9.3.2: pipelined responses stay in order through the fallback.
#[test]
fn rfc9112_9_3_2_fallback_pipelined_in_order() {
    let w = WebRoot::new();
    let big = pattern(700_000, 5);
    w.file("big.bin", &big);
    w.file("a.txt", b"small\n");
    let s = Server::start(&w, &["--no-sendfile"]);
    let mut c = s.connect();
    let mut reqs = req("GET", "/big.bin", &[]);
    reqs.extend(req("GET", "/a.txt", &[]));
    reqs.extend(req("GET", "/big.bin", &["Range: bytes=-10"]));
    send_raw(&mut c, &reqs);
    let mut rd = BufReader::new(c.try_clone().unwrap());
    let r1 = read_response(&mut rd, false);
    let r2 = read_response(&mut rd, false);
    let r3 = read_response(&mut rd, false);
    assert!(r1.status == 200 && r1.body == big, "first body differs");
    assert_eq!((r2.status, r2.body.as_slice()), (200, &b"small\n"[..]));
    assert_eq!((r3.status, r3.body.as_slice()), (206, &big[big.len() - 10..]));
}
