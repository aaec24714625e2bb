//! Fixed memory: 500 connections each holding a partial request head may grow
//! the server's RSS by at most 1 MiB, and the server stays one thread; HTTPS
//! connections cost their fixed buffer and rustls's state, and a second round
//! of them costs nothing more. (The numbers are printed for the README; only
//! the budgets are asserted.)

mod common;

use common::{Server, WebRoot};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

fn kib(s: &Server, field: &str) -> u64 {
    let v = s.proc_status_field(field).expect(field);
    v.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn rss_growth_under_500_partial_heads_is_within_1_mib() {
    let root = WebRoot::new();
    root.file("index.html", b"hi\n");
    let server = Server::start(root.path(), &["--quiet"]);
    let pid = server.pid();

    // Warm up: one full request so lazily initialised state is in the baseline.
    let mut warm = server.connect();
    warm.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    warm.read_to_end(&mut Vec::new()).unwrap();
    // Closing our side ends the server's linger, so the baseline holds no connection;
    // waiting out the file cache's TTL (it closes index.html by itself) keeps its
    // descriptor out of the baseline too.
    drop(warm);
    std::thread::sleep(Duration::from_millis(warden::limits::FILE_CACHE_TTL.millis() + 300));
    let base_fds = open_fds(pid);
    let idle_rss = kib(&server, "VmRSS");

    let mut conns = Vec::new();
    for _ in 0..500 {
        let mut s = server.connect();
        s.write_all(b"GET /index.html HTTP/1.1\r\nHost: router.lan\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html\r\n").unwrap();
        conns.push(s);
    }
    let until = Instant::now() + Duration::from_secs(10);
    while open_fds(pid) < base_fds + 500 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let fds = open_fds(pid);
    assert!(
        fds >= base_fds + 500,
        "server holds {fds} fds, expected {base_fds} + 500"
    );
    std::thread::sleep(Duration::from_millis(300)); // let it read every partial head
    let busy_rss = kib(&server, "VmRSS");
    let threads = server.thread_count();
    let growth = busy_rss.saturating_sub(idle_rss);
    eprintln!("idle RSS {idle_rss} KiB; with 500 partial heads {busy_rss} KiB (+{growth} KiB); threads {threads}");
    drop(conns);
    assert_eq!(threads, 1, "warden must be one thread");
    assert!(
        growth <= 1024,
        "RSS grew {growth} KiB under 500 partial heads (budget 1024 KiB)"
    );
}

/// Holds N TLS connections open (handshake and one request each), "ready" on
/// stdout; on a line on stdin closes them, "closed"; twice over.
#[cfg(feature = "tls")]
const HOLDER: &str = r#"
import socket, ssl, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for _ in range(2):
    conns = []
    for _ in range(n):
        c = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
        c.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = b""
        while not got.endswith(b"hi\n"):
            more = c.recv(4096)
            assert more, "closed"
            got += more
        conns.append(c)
    print("ready", flush=True)
    sys.stdin.readline()
    for c in conns:
        c.close()
    print("closed", flush=True)
    sys.stdin.readline()
"#;

#[cfg(feature = "tls")]
#[test]
fn tls_connections_cost_their_buffers_and_a_second_round_nothing_more() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    const CONNS: usize = 32;
    let root = WebRoot::new();
    root.file("index.html", b"hi\n");
    let (cert, key) = common::test_cert();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = Server::start(
        root.path(),
        &[
            "--quiet",
            "--listen-tls",
            "127.0.0.1:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
            "--header-timeout",
            "60",
        ],
    );
    let port = server.tls_addrs[0].port();
    let mut holder = Command::new("python3")
        .args(["-c", HOLDER, &port.to_string(), &CONNS.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut to = holder.stdin.take().unwrap();
    let mut from = BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    let mut step = |say: bool, want: &str| {
        if say {
            writeln!(to).unwrap();
        }
        line.clear();
        from.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), want);
        // Let the server finish the turn (closes, the last responses).
        std::thread::sleep(Duration::from_millis(300));
    };
    let idle_rss = kib(&server, "VmRSS");
    step(false, "ready");
    let open_rss = kib(&server, "VmRSS");
    step(true, "closed");
    let closed_rss = kib(&server, "VmRSS");
    step(true, "ready");
    let again_rss = kib(&server, "VmRSS");
    step(true, "closed");
    writeln!(to).unwrap();
    assert!(holder.wait().unwrap().success());
    let per_conn = (open_rss.saturating_sub(idle_rss)) as f64 / CONNS as f64;
    eprintln!(
        "HTTPS: idle RSS {idle_rss} KiB; {CONNS} TLS connections open {open_rss} KiB ({per_conn:.1} KiB each); \
         closed {closed_rss} KiB; {CONNS} again {again_rss} KiB"
    );
    // Each: its buffer (made on first use), rustls's state, the slot's own buffers.
    // Under qemu-user (cross/test) RSS also holds the emulator's translations of the
    // TLS code run for the first time (~300 KiB a connection measured there): the
    // absolute budget is the native run's; the second round's check holds for both.
    let budget = CONNS as u64 * (warden::limits::TLS_BUF_LEN as u64 + 16 * 1024) / 1024;
    if !common::skip_under_emulator("the absolute RSS budget of TLS connections (qemu's own memory grows)") {
        assert!(
            open_rss.saturating_sub(idle_rss) <= budget,
            "{CONNS} TLS connections grew RSS by {} KiB (budget {budget} KiB)",
            open_rss - idle_rss
        );
    }
    // The buffers are reused: a second round costs (almost) nothing more than the
    // first did, its close included (natively the close frees nothing and costs
    // nothing; under qemu RSS also grows as the close's code is translated, once).
    let first = open_rss.max(closed_rss);
    assert!(
        again_rss <= first + 256,
        "a second round of {CONNS} connections grew RSS from {first} to {again_rss} KiB"
    );
    assert_eq!(server.thread_count(), 1);
}
