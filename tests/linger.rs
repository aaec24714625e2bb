//! Tear-down after an error response: RFC 9112 §9.6. A server that closes while the client is
//! still sending must half-close first and keep reading (a "lingering close"): when Linux
//! close()s a socket whose receive queue holds unread bytes it sends RST at once and discards
//! what is still in its send queue, and the client may get ECONNRESET instead of the response.
//!
//! Nothing here is judged by the clock: each check counts bytes, and every loop is bounded.

mod common;

use common::*;
use nix::sys::socket::{setsockopt, sockopt};
use std::io::{ErrorKind, Read};

/// The pipelined download ahead of the bad request: larger than the socket buffers, so the
/// error response is still in the server's send queue when the server is done with it.
const BIG_LEN: usize = 8 << 20;
/// Bytes sent after the bad request in the same write: more than the server reads at once
/// (the drain reads into the head buffer, 8 KiB at most), fewer than its receive window holds.
const EXTRA_LEN: usize = 32 * 1024;
/// The client's send buffer, fixed so that the bound below does not depend on `tcp_wmem`.
const CLIENT_SNDBUF: usize = 64 * 1024;
/// Bytes the client writes after the error response while waiting for the server's FIN. Before
/// the FIN the server reads nothing, so the client can queue at most its send buffer and the
/// server's receive window (well under 1 MiB) ahead of it; after the FIN the very next read
/// sees EOF. A server that drains without ever sending FIN reads all of these.
const MORE_LIMIT: usize = 16 << 20;
const CHUNK: usize = 16 * 1024;

/// How the server's side of the connection ended, seen by a client that keeps sending.
#[derive(Debug)]
enum End {
    /// An orderly FIN after this many more bytes were written.
    Fin(usize),
    /// The connection was reset (or a write failed) after this many more bytes.
    Reset(usize, std::io::Error),
}

/// Writes `CHUNK`s until the server's FIN is readable, checking before each write; at most
/// `MORE_LIMIT` bytes.
fn send_until_fin(c: &mut std::net::TcpStream) -> End {
    let chunk = vec![b'x'; CHUNK];
    let mut sent = 0;
    loop {
        c.set_nonblocking(true).expect("nonblocking");
        let mut b = [0u8; 1];
        let r = c.read(&mut b);
        c.set_nonblocking(false).expect("blocking");
        match r {
            Ok(0) => return End::Fin(sent),
            Ok(_) => panic!("a byte {:?} after the 400 response", b[0] as char),
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return End::Reset(sent, e),
        }
        assert!(
            sent < MORE_LIMIT,
            "no FIN from the server after the 400 while it read {sent} more bytes: the write \
             side must be shut down before the lingering close (RFC 9112 §9.6)"
        );
        if let Err(e) = std::io::Write::write_all(c, &chunk) {
            return End::Reset(sent, e);
        }
        sent += CHUNK;
    }
}

// RFC 9112 §9.6: a pipelined GET of a large file, a malformed request, and more bytes, all in
// one write. The file and then the 400 reach the client whole, and the connection ends with an
// orderly FIN that arrives while the client is still sending, never with a reset. Fails if the
// server closes before reading everything the client sent (RST: the tail of the response is
// lost, or the client reads ECONNRESET), and if it drains without having shut down its write
// side (no FIN while the client keeps sending).
#[test]
fn rfc9112_9_6_error_response_then_more_bytes_arrives_intact() {
    let w = WebRoot::new();
    let big = pattern(0xB1, BIG_LEN);
    w.file("big.bin", &big);
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    setsockopt(&c, sockopt::SndBuf, &CLIENT_SNDBUF).expect("SO_SNDBUF");

    let mut raw = req("GET", "/big.bin", &[]);
    raw.extend_from_slice(b"GET /health.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    raw.extend(std::iter::repeat_n(b'x', EXTRA_LEN));
    send_raw(&mut c, &raw);

    let r = try_read_response(&mut c, false)
        .unwrap_or_else(|e| panic!("the pipelined 200 before the 400 did not arrive whole: {e}"));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body == big, "body of big.bin differs");
    let r = try_read_response(&mut c, false)
        .unwrap_or_else(|e| panic!("the 400 did not arrive whole (a reset discards the server's send queue): {e}"));
    assert_eq!(r.status, 400, "{r:?}");
    assert_error_body(&r);
    assert_connection_close(&r);

    match send_until_fin(&mut c) {
        End::Fin(sent) => eprintln!("FIN after the 400 with {sent} more bytes written"),
        End::Reset(sent, e) => panic!(
            "the connection was reset ({e}) after {sent} more bytes instead of ending with FIN: \
             the server closed with unread bytes"
        ),
    }
    drop(c);
    s.assert_healthy();
}
