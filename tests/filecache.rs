//! The open-file cache (src/filecache.rs) through the real binary: descriptors stay
//! bounded, every change to a file is served at once (RFC 9110 §8.8.3: validators and
//! body always describe the same bytes), what only a new path walk can see is seen within
//! the cache's TTL, a response that waits for a slow reader keeps its own descriptor
//! while the cache's entries are replaced underneath it, and the loop closes what the cache
//! holds within the TTL on its own (a deleted file does not stay open).

mod common;

use common::*;
use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use warden::limits::{FILE_CACHE_ENTRIES, FILE_CACHE_KEY_LEN, FILE_CACHE_TTL};

const FILE_CACHE_TTL_MS: u64 = FILE_CACHE_TTL.millis();

/// `GET target` on an open keep-alive connection.
fn get_on(c: &mut TcpStream, target: &str, headers: &[&str]) -> Response {
    send_raw(c, &req("GET", target, headers));
    read_response(c, false)
}

// Many requests for a few files hold one descriptor per file, not one per request, and
// all of them are closed within the TTL once the requests stop.
#[test]
fn repeated_requests_hold_one_descriptor_per_file() {
    let w = WebRoot::new();
    let files = [("a.html", "page\n"), ("b.css", "p{}\n"), ("c.js", "x=1\n")];
    for (name, body) in files {
        w.file(name, body);
    }
    let s = Server::start(&w, &[]);
    let base = settled_fd_count(&s);
    let mut c = s.connect();
    for i in 0..300 {
        let (name, body) = files[i % files.len()];
        let r = get_on(&mut c, &format!("/{name}"), &[]);
        assert_eq!(r.status, 200, "request {i}: {r:?}");
        assert_eq!(r.body, body.as_bytes(), "request {i}");
        // The base, the connection's socket, one descriptor per file at most.
        let open = fd_count(s.pid()).expect("count descriptors");
        assert!(
            open <= base + 1 + files.len(),
            "request {i}: {open} descriptors (base {base}): {}",
            fd_list(s.pid())
        );
    }
    drop(c);
    wait_fd_count(s.pid(), |n| n == base, "cached descriptors closed after the TTL");
    s.assert_healthy();
}

// More distinct files than the cache has entries: the least recently used give way, the
// descriptor count never exceeds the cache's capacity, and evicted files are served again.
#[test]
fn more_files_than_entries_stays_bounded() {
    let w = WebRoot::new();
    let n = FILE_CACHE_ENTRIES + 8;
    for i in 0..n {
        w.file(&format!("f{i}.txt"), format!("file {i}\n"));
    }
    let s = Server::start(&w, &[]);
    let base = settled_fd_count(&s);
    let mut c = s.connect();
    for round in 0..2 {
        for i in 0..n {
            let r = get_on(&mut c, &format!("/f{i}.txt"), &[]);
            assert_eq!(r.status, 200, "round {round} file {i}: {r:?}");
            assert_eq!(r.body, format!("file {i}\n").as_bytes(), "round {round} file {i}");
            // One connection: the count is the base, its socket and the cache.
            let open = fd_count(s.pid()).expect("count descriptors");
            assert!(
                open <= base + 1 + FILE_CACHE_ENTRIES,
                "{open} descriptors (base {base}, cache {FILE_CACHE_ENTRIES}): {}",
                fd_list(s.pid())
            );
        }
    }
    drop(c);
    wait_fd_count(s.pid(), |k| k == base, "cached descriptors closed after the TTL");
    s.assert_healthy();
}

// RFC 9110 §8.8.3: a file changed in place (same inode) is served with its new bytes and a
// new ETag on the very next request, replaced by rename(2) likewise, and unlinked: 404.
#[test]
fn rfc9110_8_8_3_changes_to_a_cached_file_are_served_at_once() {
    let w = WebRoot::new();
    let p = w.file("page.html", "version 1\n");
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    let r1 = get_on(&mut c, "/page.html", &[]);
    assert_eq!(r1.body, b"version 1\n");
    // In place, longer: Content-Length and ETag follow.
    std::fs::write(&p, "version 2, longer\n").unwrap();
    let r2 = get_on(&mut c, "/page.html", &[]);
    assert_eq!(r2.body, b"version 2, longer\n", "{r2:?}");
    assert_ne!(r2.h("etag"), r1.h("etag"));
    // Replaced by rename, as firmware does it.
    let staged = w.file("page.html.new", "version 3\n");
    std::fs::rename(&staged, &p).unwrap();
    let r3 = get_on(&mut c, "/page.html", &[]);
    assert_eq!(r3.body, b"version 3\n", "{r3:?}");
    assert_ne!(r3.h("etag"), r2.h("etag"));
    // Gone.
    std::fs::remove_file(&p).unwrap();
    let r4 = get_on(&mut c, "/page.html", &[]);
    assert_eq!(r4.status, 404, "{r4:?}");
    // And back.
    w.file("page.html", "version 4\n");
    assert_eq!(get_on(&mut c, "/page.html", &[]).body, b"version 4\n");
    s.assert_healthy();
}

// A request sent after a change sees it, however quickly the change follows the last
// response: on a new connection each time (accepted in the same poll turn, possibly) and on
// one kept-alive connection. Each round rewrites the file in place with another length.
#[test]
fn rfc9110_8_8_3_back_to_back_changes_never_served_stale() {
    let w = WebRoot::new();
    let p = w.file("n.txt", "0");
    let s = Server::start(&w, &[]);
    let mut keep = s.connect();
    for i in 1..=150usize {
        let body = i.to_string().repeat(i % 7 + 1);
        std::fs::write(&p, &body).unwrap();
        // Two new connections in a row, then the kept-alive one.
        let r = if i % 3 != 0 {
            s.get("/n.txt")
        } else {
            get_on(&mut keep, "/n.txt", &[])
        };
        assert_eq!(r.status, 200, "round {i}: {r:?}");
        assert_eq!(r.body, body.as_bytes(), "round {i}: stale body");
        assert_eq!(r.content_length(), Some(body.len() as u64), "round {i}: stale length");
    }
    s.assert_healthy();
}

// A directory's index file (RFC 9110 §15.4.2 redirect aside) is cached under the
// directory's path and replaced at once like any file.
#[test]
fn directory_index_cached_and_replaced() {
    let w = WebRoot::new();
    w.dir("sub");
    w.file("sub/index.html", "old index\n");
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    assert_eq!(get_on(&mut c, "/sub/", &[]).body, b"old index\n");
    assert_eq!(
        get_on(&mut c, "/sub", &[]).status,
        301,
        "no slash: redirect, not the index"
    );
    let staged = w.file("sub/index.html.new", "new index\n");
    std::fs::rename(&staged, w.join("sub/index.html")).unwrap();
    assert_eq!(get_on(&mut c, "/sub/", &[]).body, b"new index\n");
    s.assert_healthy();
}

// RFC 9110 §12.5.3: a `.gz` sibling that appears after the file was cached is only found by
// walking the path again, which the cache does after FILE_CACHE_TTL_MS. Checked with a
// generous bound (5 × the TTL + 2 s): what matters is that it is found, not how fast.
#[test]
fn rfc9110_12_5_3_new_gzip_sibling_found_after_ttl() {
    let w = WebRoot::new();
    w.file("app.js", "plain javascript\n");
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    let gz = ["Accept-Encoding: gzip"];
    let r = get_on(&mut c, "/app.js", &gz);
    assert_eq!(r.header("content-encoding"), None, "{r:?}");
    w.file("app.js.gz", "pretend gzip\n");
    let bound = Duration::from_millis(5 * FILE_CACHE_TTL_MS + 2000);
    let t0 = Instant::now();
    loop {
        let r = get_on(&mut c, "/app.js", &gz);
        if r.header("content-encoding") == Some("gzip") {
            assert_eq!(r.body, b"pretend gzip\n");
            break;
        }
        assert_eq!(r.body, b"plain javascript\n", "{r:?}");
        assert!(t0.elapsed() < bound, "the new .gz was not found within {bound:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("new .gz served after {:?}", t0.elapsed());
    // A client that does not accept gzip still gets the plain file from the same entry.
    assert_eq!(get_on(&mut c, "/app.js", &[]).body, b"plain javascript\n");
    s.assert_healthy();
}

/// `pid`'s descriptors on unlinked files (/proc shows their target with ` (deleted)`).
fn deleted_targets(pid: u32) -> Vec<String> {
    let targets = fd_targets(pid).into_iter();
    let shown = targets.map(|(n, t)| format!("{n}->{}", t.display()));
    shown.filter(|t| t.ends_with(" (deleted)")).collect()
}

// A file deleted after it was served is closed by the loop itself within the TTL, with no
// further request (the kept-alive connection that fetched it stays open and idle): on a
// router's tmpfs an open unlinked file keeps its RAM. Checked every 100 ms for at most
// TTL + 4 s (1-2 s expected): what matters is that it happens, not how fast.
#[test]
fn deleted_file_closed_without_further_requests() {
    let w = WebRoot::new();
    let fw = pattern(0xF1, 1 << 20);
    let p = w.file("fw.bin", &fw);
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    let r = get_on(&mut c, "/fw.bin", &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body == fw, "fw.bin body");
    std::fs::remove_file(&p).unwrap();
    let bound = Duration::from_millis(FILE_CACHE_TTL_MS + 4000);
    let t0 = Instant::now();
    loop {
        let pinned = deleted_targets(s.pid());
        if pinned.is_empty() {
            break;
        }
        assert!(
            t0.elapsed() < bound,
            "still open {bound:?} after the delete: {}",
            pinned.join(" ")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("deleted fw.bin closed {:?} after the delete", t0.elapsed());
    assert_eq!(get_on(&mut c, "/fw.bin", &[]).status, 404);
    s.assert_healthy();
}

// A path longer than the cache's key is served all the same, opened per request and closed.
#[test]
fn long_path_served_uncached() {
    let w = WebRoot::new();
    let dir = "d".repeat(FILE_CACHE_KEY_LEN);
    w.dir(&dir);
    w.file(&format!("{dir}/x.txt"), "deep\n");
    let s = Server::start(&w, &[]);
    let base = settled_fd_count(&s);
    for _ in 0..3 {
        let r = s.get(&format!("/{dir}/x.txt"));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body, b"deep\n");
    }
    wait_fd_count(s.pid(), |n| n == base, "nothing kept for an uncached path");
    s.assert_healthy();
}

/// A body that has to wait for its reader is sent from a descriptor of its own: the cache
/// may replace every entry meanwhile (filecache.rs: a slot is lent for one call only).
fn slow_reader_survives_eviction(extra: &[&str]) {
    let w = WebRoot::new();
    let len = 32 << 20; // far more than loopback socket buffers hold
    let big = pattern(0x5A, len);
    w.file("big.bin", &big);
    let others = FILE_CACHE_ENTRIES + 4;
    for i in 0..others {
        w.file(&format!("o{i}.bin"), pattern(i as u8, 4096 + i));
    }
    let s = Server::start(&w, extra);
    let mut slow = s.connect();
    send_raw(&mut slow, &req("GET", "/big.bin", &[]));
    let head = read_response(&mut slow, true);
    assert_eq!(head.status, 200, "{head:?}");
    let mut body = vec![0u8; 64 << 10];
    slow.read_exact(&mut body).expect("first 64 KiB");
    // Every entry replaced (big.bin's included), several times over.
    let mut c = s.connect();
    for round in 0..3 {
        for i in 0..others {
            let r = get_on(&mut c, &format!("/o{i}.bin"), &[]);
            assert_eq!(r.body, pattern(i as u8, 4096 + i), "round {round} file {i}");
        }
    }
    let mut rest = Vec::with_capacity(len);
    slow.take((len - body.len()) as u64)
        .read_to_end(&mut rest)
        .expect("the rest of big.bin");
    body.extend_from_slice(&rest);
    assert_eq!(body.len(), len, "big.bin cut short");
    if let Some(i) = body.iter().zip(&big).position(|(a, b)| a != b) {
        panic!("big.bin wrong from byte {i}: another file's bytes?");
    }
    s.assert_healthy();
}

#[test]
fn slow_reader_survives_eviction_sendfile() {
    slow_reader_survives_eviction(&[]);
}

#[test]
fn slow_reader_survives_eviction_fallback() {
    slow_reader_survives_eviction(&["--no-sendfile"]);
}
