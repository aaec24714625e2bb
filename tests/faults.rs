//! Faults while a body is being sent: the file shrinks underneath the
//! response. The announced Content-Length can no longer be honoured, so the
//! server must close the connection (RFC 9112 §6.3: the client then sees an
//! incomplete message) instead of spinning, and go on serving others.

mod common;

use common::*;
use std::io::Read;
use std::time::{Duration, Instant};

fn shrinking_file_closes(extra: &[&str]) {
    let w = WebRoot::new();
    w.file("ok.txt", b"fine\n");
    let big = w.file("big.bin", b"");
    // 64 MiB sparse: far more than loopback socket buffers hold.
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let s = Server::start(&w, extra);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/big.bin", &[]));
    // Let the server fill the socket buffers and block on POLLOUT, then shrink the file.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut total = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("no close after the file shrank ({total} bytes read): {e}"),
        }
        assert!(Instant::now() < until, "still reading after 20 s");
    }
    assert!(total < 64 << 20, "got the whole 64 MiB from a 1 MiB file");
    s.assert_healthy();
}

#[test]
fn rfc9112_6_3_file_shrinking_during_sendfile_closes() {
    shrinking_file_closes(&[]);
}

#[test]
fn rfc9112_6_3_file_shrinking_during_fallback_closes() {
    shrinking_file_closes(&["--no-sendfile"]);
}
