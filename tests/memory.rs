//! Fixed memory: 500 connections each holding a partial request head may grow
//! the server's RSS by at most 1 MiB, and the server stays one thread.
//! (The numbers are printed for the README; only the budget is asserted.)

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
