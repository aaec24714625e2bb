//! Resource limits: connection table (RFC 9110 §15.6.4 503 + §10.2.3 Retry-After), header
//! timeout against slowloris (RFC 9112 §9.5), many idle connections on one thread.

mod common;

use common::*;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

fn held_connection(s: &Server) -> TcpStream {
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 200, "holding connection: {r:?}");
    assert!(!r.connection_has("close"), "{r:?}");
    c
}

fn expect_503(s: &Server) {
    let mut c = s.connect();
    send_lossy(&mut c, &req("GET", "/health.txt", &[]));
    let r = try_read_response(&mut c, false).unwrap_or_else(|e| panic!("table full: expected a 503 response, got {e}"));
    assert_eq!(r.status, 503, "table full: {r:?}");
    assert_eq!(r.reason, "Service Unavailable", "{r:?}");
    assert_common_headers(&r);
    let ra = r.h("retry-after");
    assert!(
        (!ra.is_empty() && ra.bytes().all(|b| b.is_ascii_digit())) || parse_imf_fixdate(ra).is_some(),
        "Retry-After {ra:?} is neither delay-seconds nor an HTTP-date"
    );
    assert_connection_close(&r);
    assert_closed(&mut c);
}

/// New connections until one gets 200 (bounded: 200 tries, 25 ms apart).
fn wait_for_slot(s: &Server) -> TcpStream {
    for _ in 0..200 {
        let mut c = s.connect();
        send_lossy(&mut c, &req("GET", "/health.txt", &[]));
        match try_read_response(&mut c, false) {
            Ok(r) if r.status == 200 => return c,
            Ok(r) if r.status == 503 => {}
            Ok(r) => panic!("unexpected response while waiting for a slot: {r:?}"),
            Err(_) => {}
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("no connection slot became free after closing a held connection");
}

// RFC 9110 §15.6.4 / §10.2.3: table full → 503 with Retry-After and close; recovery after a
// slot frees up; rejected connections do not leak slots.
#[test]
fn rfc9110_15_6_4_table_full_503_then_recovery() {
    let w = WebRoot::new();
    let s = Server::start(&w, &["--max-connections", "4"]);
    let mut held: Vec<TcpStream> = (0..4).map(|_| held_connection(&s)).collect();
    for _ in 0..5 {
        expect_503(&s);
    }
    // The held connections are unaffected.
    for c in held.iter_mut() {
        send_raw(c, &req("GET", "/health.txt", &[]));
        assert_eq!(read_response(c, false).body, HEALTH_BODY);
    }
    // Free one slot: a new client is served again, and then the table is full again.
    drop(held.pop());
    let c = wait_for_slot(&s);
    held.push(c);
    expect_503(&s);
    // Free everything: several clients in a row are served.
    held.clear();
    let again: Vec<TcpStream> = (0..4).map(|_| wait_for_slot(&s)).collect();
    assert_eq!(again.len(), 4);
    assert_eq!(s.thread_count(), 1, "single-threaded");
}

enum Probe {
    Open,
    Closed(Vec<u8>),
}

fn probe(c: &mut TcpStream, wait: Duration) -> Probe {
    c.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 1024];
    let r = c.read(&mut buf);
    c.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    match r {
        Ok(0) => Probe::Closed(Vec::new()),
        Ok(n) => {
            let mut got = buf[..n].to_vec();
            got.extend(read_to_close(c));
            Probe::Closed(got)
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Probe::Open,
        Err(_) => Probe::Closed(Vec::new()),
    }
}

// RFC 9112 §9.5 + spec header timeout: heads trickled byte by byte are cut off after
// `--header-timeout` counted from their first byte, while other clients are served meanwhile.
#[test]
fn rfc9112_9_5_slowloris_header_timeout() {
    let w = WebRoot::new();
    let s = Server::start(&w, &["--header-timeout", "2"]);
    let mut slow: Vec<Option<TcpStream>> = (0..5)
        .map(|_| {
            let mut c = s.connect();
            send_raw(&mut c, b"GET /health.txt HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
            Some(c)
        })
        .collect();
    let mut served_meanwhile = 0;
    // Bounded: at most 60 rounds of ~200 ms (the server should cut them after ~2 s).
    for _round in 0..60 {
        for slot in slow.iter_mut() {
            let Some(c) = slot.as_mut() else { continue };
            send_lossy(c, b"a");
        }
        s.assert_healthy();
        served_meanwhile += 1;
        for slot in slow.iter_mut() {
            let Some(c) = slot.as_mut() else { continue };
            if let Probe::Closed(got) = probe(c, Duration::from_millis(40)) {
                assert!(
                    got.is_empty() || got.starts_with(b"HTTP/1.1 408 "),
                    "a timed-out head may only get a 408: {:?}",
                    show(&got)
                );
                *slot = None;
            }
        }
        if slow.iter().all(Option::is_none) {
            break;
        }
    }
    let open = slow.iter().filter(|c| c.is_some()).count();
    assert_eq!(
        open, 0,
        "{open} trickling connections still open after the bounded wait \
         (later bytes must not extend the header timeout)"
    );
    assert!(served_meanwhile >= 2, "other clients were served meanwhile");
    assert_eq!(s.thread_count(), 1, "single-threaded");
    s.assert_healthy();
}

// Spec Limits: 300 idle connections held open; a new client is still served; one thread.
#[test]
fn many_idle_connections_single_thread() {
    let w = WebRoot::new();
    let s = Server::start(&w, &[]);
    assert_eq!(s.thread_count(), 1, "one thread at start");
    let mut conns: Vec<TcpStream> = Vec::with_capacity(300);
    for i in 0..300 {
        if i % 2 == 0 {
            conns.push(held_connection(&s)); // keep-alive, idle after one request
        } else {
            conns.push(s.connect()); // connected, never sent anything yet
        }
    }
    assert_eq!(s.thread_count(), 1, "one thread with 300 connections");
    s.assert_healthy();
    // Every one of them is still served.
    for (i, c) in conns.iter_mut().enumerate() {
        send_raw(c, &req("GET", "/health.txt", &[]));
        let r = try_read_response(c, false).unwrap_or_else(|e| panic!("connection {i} of 300 not served: {e}"));
        assert_eq!(r.status, 200, "connection {i}: {r:?}");
    }
    s.assert_healthy();
    assert_eq!(s.thread_count(), 1, "one thread after serving 300 connections");
    let rss = s.proc_status_field("VmRSS").unwrap_or_else(|| "?".into());
    eprintln!("warden VmRSS with 300 open connections: {rss}");
    drop(conns);
    s.assert_healthy();
}

// Spec write-stall timeout (RFC 9112 §9.5): a client that stops reading a large response is
// dropped after `--write-timeout`, and other clients are served meanwhile (no blocking write).
#[test]
fn rfc9112_9_5_write_stall_timeout() {
    let w = WebRoot::new();
    let len: u64 = 128 << 20; // far more than the loopback socket buffers hold
    let f = std::fs::File::create(w.join("big.bin")).unwrap();
    f.set_len(len).unwrap();
    drop(f);
    let s = Server::start(&w, &["--write-timeout", "1"]);
    let mut stalled = s.connect();
    send_raw(&mut stalled, &req("GET", "/big.bin", &[]));
    // While the stalled response fills the buffers, others are served. 8 × 500 ms = 4 s,
    // a generous bound over the 1 s write timeout.
    for _ in 0..8 {
        s.assert_healthy();
        std::thread::sleep(Duration::from_millis(500));
    }
    // Now drain: the server must have given up, so fewer than all bytes arrive before the end.
    let mut buf = vec![0u8; 1 << 16];
    let mut got: u64 = 0;
    let full = len + 1024; // body plus a generous head allowance
    loop {
        match stalled.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n as u64,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                break;
            }
            Err(e) => panic!("stalled connection still open after the write timeout ({got} bytes read): {e}"),
        }
        assert!(
            got < len,
            "the whole response was delivered: the stalled connection was not dropped"
        );
    }
    assert!(got < full, "{got} bytes");
    assert_eq!(s.thread_count(), 1, "single-threaded");
    s.assert_healthy();
}
