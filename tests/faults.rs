//! Faults while a body is being sent: the file shrinks underneath the
//! response. The announced Content-Length can no longer be honoured, so the
//! server must close the connection (RFC 9112 §6.3: the client then sees an
//! incomplete message) instead of spinning, and go on serving others.
//!
//! Fault injection (below the shrink tests): a file replaced or unlinked mid-transfer,
//! EMFILE on accept (RLIMIT_NOFILE lowered from outside with prlimit, root only), clients
//! that reset during sendfile, things in the web root that are not files, and a traced run
//! (strace) proving warden writes no files. Each ends by checking the server still serves.

mod common;

use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::Command;
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

// ---------------------------------------------------------------------------------------------
// Fault injection: the file system changes under a response, descriptors run out, clients
// vanish, the web root holds things that are not files, and nothing is ever written.
// ---------------------------------------------------------------------------------------------

fn tool_runs(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).output().is_ok_and(|o| o.status.success())
}

/// `got` must be a prefix of `want`; otherwise says where and what the first foreign word is.
fn assert_prefix_of(got: &[u8], want: &[u8], what: &str) {
    assert!(
        got.len() <= want.len(),
        "{what}: {} bytes, more than the {} expected",
        got.len(),
        want.len()
    );
    if got == &want[..got.len()] {
        return;
    }
    let i = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
    let w = i / 8 * 8;
    let mut word = [0u8; 8];
    let avail = (got.len() - w).min(8);
    word[..avail].copy_from_slice(&got[w..w + avail]);
    let word = u64::from_le_bytes(word);
    panic!(
        "{what}: first wrong byte at offset {i} of {}: the word there is {word:#018x} \
         (tag {:#04x}, offset {}); expected tag {:#04x}",
        got.len(),
        word >> 56,
        word & ((1 << 56) - 1),
        want[7.min(want.len() - 1)]
    );
}

// The body check itself: a body that switches files, or offsets, mid-way must be caught.
#[test]
fn pattern_check_catches_mixed_bodies() {
    let old = pattern(0xA0, 4096);
    let new = pattern(0xB0, 4096);
    assert_prefix_of(&old[..1000], &old, "prefix");
    let mixed = [&old[..2048], &new[2048..]].concat();
    let shifted = [&old[..1024], &old[1032..]].concat();
    for (bad, what) in [(mixed, "mixed"), (shifted, "shifted")] {
        let caught = std::panic::catch_unwind(|| assert_prefix_of(&bad, &old, what));
        assert!(caught.is_err(), "{what} body not caught");
    }
}

/// A receive buffer this small keeps the server from running far ahead of what the test
/// has read: the rest of the body is still in the file, not in socket buffers.
const SMALL_RCVBUF: usize = 64 * 1024;

/// Connects with `SO_RCVBUF` set before the handshake (so the window is small from the start).
fn connect_small_rcvbuf(addr: SocketAddr) -> TcpStream {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, connect, setsockopt, socket, sockopt};
    let SocketAddr::V4(v4) = addr else {
        panic!("IPv4 test server expected, got {addr}")
    };
    let fd: OwnedFd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None).expect("socket");
    setsockopt(&fd, sockopt::RcvBuf, &SMALL_RCVBUF).expect("SO_RCVBUF");
    connect(fd.as_raw_fd(), &SockaddrIn::from(v4)).expect("connect");
    let s = TcpStream::from(fd);
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s
}

/// SO_LINGER {on, 0}: the close that follows sends RST and discards unsent data.
fn close_with_reset(s: TcpStream) {
    use nix::sys::socket::{setsockopt, sockopt};
    let linger = nix::libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    setsockopt(&s, sockopt::Linger, &linger).expect("SO_LINGER");
    drop(s);
}

/// How a read of a body ended.
#[derive(Debug, PartialEq, Eq)]
enum BodyEnd {
    /// All `want` bytes arrived.
    Complete,
    /// EOF or reset before that.
    Closed,
}

/// Reads body bytes until `want` of them arrived or the server ended the connection.
/// A read timeout (`IO_TIMEOUT` without a byte) fails the test: the server hung.
fn read_body(c: &mut TcpStream, want: usize, out: &mut Vec<u8>) -> BodyEnd {
    let mut buf = vec![0u8; 1 << 16];
    let goal = out.len() + want;
    while out.len() < goal {
        let room = (goal - out.len()).min(buf.len());
        match c.read(&mut buf[..room]) {
            Ok(0) => return BodyEnd::Closed,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                return BodyEnd::Closed;
            }
            Err(e) => panic!("body stalled after {} of {goal} bytes: {e}", out.len()),
        }
    }
    BodyEnd::Complete
}

/// Reads until the server closes the connection, at most `wait`. `Err` if it did not.
fn read_until_closed(c: &mut TcpStream, wait: Duration) -> Result<Vec<u8>, Vec<u8>> {
    let deadline = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(got);
        }
        c.set_read_timeout(Some(left)).unwrap();
        match c.read(&mut buf) {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                return Ok(got);
            }
            Err(_) => return Err(got),
        }
    }
}

/// Largest send buffer the kernel lets a socket autotune to (tcp_wmem max).
fn tcp_wmem_max() -> usize {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2).and_then(|v| v.parse().ok()))
        .unwrap_or(4 << 20)
}

/// A body length that the server cannot have pushed into socket buffers by the time the test
/// has read `BEFORE_CHANGE` bytes (with a `SMALL_RCVBUF` client): at least 16 MiB, and
/// 8 MiB more than what read, receive buffer and the largest send buffer can hold together.
fn mid_transfer_len() -> usize {
    let reach = BEFORE_CHANGE + SMALL_RCVBUF * 2 + tcp_wmem_max();
    (reach + (8 << 20)).max(16 << 20).next_multiple_of(8)
}

/// Body bytes the test reads before it changes the file.
const BEFORE_CHANGE: usize = 1 << 20;

/// Starts `GET /big.bin` on a small-window connection, checks the head, and reads the first
/// `BEFORE_CHANGE` body bytes. Returns the connection, the ETag and those bytes.
fn start_big_transfer(s: &Server, len: usize) -> (TcpStream, String, Vec<u8>) {
    let mut c = connect_small_rcvbuf(s.addr);
    send_raw(&mut c, &req("GET", "/big.bin", &[]));
    let head = read_response(&mut c, true);
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.content_length(), Some(len as u64), "{head:?}");
    let etag = head.h("etag").to_string();
    let mut body = Vec::with_capacity(len);
    assert_eq!(
        read_body(&mut c, BEFORE_CHANGE, &mut body),
        BodyEnd::Complete,
        "first MiB of the body"
    );
    (c, etag, body)
}

/// A file replaced by rename(2) while it is being sent. The response was planned from the
/// open descriptor (its length, its validators), so it must finish with the old bytes or be
/// cut off: a body mixing old and new bytes would be a corrupt response under an ETag that
/// names the old file. The next request gets the new file whole, under a new ETag.
fn replaced_during_send(extra: &[&str]) {
    let w = WebRoot::new();
    let len = mid_transfer_len();
    let old = pattern(0xA0, len);
    let new = pattern(0xB0, len); // same length: a mixed body would not show in Content-Length
    w.file("big.bin", &old);
    let s = Server::start(&w, extra);
    let (mut c, old_etag, mut body) = start_big_transfer(&s, len);
    let staged = w.file("big.bin.new", &new);
    std::fs::rename(&staged, w.join("big.bin")).expect("rename over big.bin");
    let end = read_body(&mut c, len - body.len(), &mut body);
    assert_prefix_of(&body, &old, "response to the request made before the rename");
    eprintln!(
        "replaced mid-transfer ({extra:?}): {} of {len} old bytes, {end:?}",
        body.len()
    );
    drop(c);
    let r = s.get("/big.bin");
    assert_eq!(r.status, 200, "after the rename");
    assert!(r.body == new, "a request after the rename must get the new file whole");
    assert_ne!(r.h("etag"), old_etag, "the new file needs a new ETag");
    s.assert_healthy();
}

#[test]
fn file_replaced_by_rename_during_sendfile_old_bytes_or_close() {
    replaced_during_send(&[]);
}

#[test]
fn file_replaced_by_rename_during_fallback_old_bytes_or_close() {
    replaced_during_send(&["--no-sendfile"]);
}

/// A file unlinked while it is being sent: the open descriptor keeps the inode, so the
/// transfer completes, byte for byte. Afterwards the name is gone: 404.
fn unlinked_during_send(extra: &[&str]) {
    let w = WebRoot::new();
    let len = mid_transfer_len();
    let old = pattern(0xC0, len);
    w.file("big.bin", &old);
    let s = Server::start(&w, extra);
    let (mut c, _, mut body) = start_big_transfer(&s, len);
    std::fs::remove_file(w.join("big.bin")).expect("unlink big.bin");
    let end = read_body(&mut c, len - body.len(), &mut body);
    assert_prefix_of(&body, &old, "response to the request made before the unlink");
    assert_eq!(
        end,
        BodyEnd::Complete,
        "the transfer must complete from the open descriptor ({} of {len} bytes)",
        body.len()
    );
    // The connection is still usable (keep-alive) and now sees the file gone.
    send_raw(&mut c, &req("GET", "/big.bin", &[]));
    let r = read_response(&mut c, false);
    assert_eq!(r.status, 404, "after the unlink: {r:?}");
    s.assert_healthy();
}

#[test]
fn file_unlinked_during_sendfile_transfer_completes() {
    unlinked_during_send(&[]);
}

#[test]
fn file_unlinked_during_fallback_transfer_completes() {
    unlinked_during_send(&["--no-sendfile"]);
}

/// True while `pid` runs (exists and is no zombie: the harness reaps only on drop).
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|st| {
        st.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

/// CPU time (user + system) `pid` has used, from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').expect("comm in stat") + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a constant.
    let hz = unsafe { nix::libc::sysconf(nix::libc::_SC_CLK_TCK) }.max(1);
    ticks as f64 / hz as f64
}

/// Real uid and gid of `pid`, from /proc/PID/status.
fn proc_ids(pid: u32) -> (u32, u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    let id = |field: &str| -> u32 {
        let line = status.lines().find(|l| l.starts_with(field)).expect("Uid:/Gid: line");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (id("Uid:"), id("Gid:"))
}

/// `prlimit --pid PID --nofile=SOFT:HARD`, run as the server's own uid and gid: changing
/// another user's limits takes CAP_SYS_RESOURCE, which root may lack (containers), while a
/// process may always change the limits of one with its own ids (lowering the hard limit,
/// or moving the soft one below it). Then checks /proc/PID/limits.
fn set_nofile(pid: u32, soft: usize, hard: usize) {
    use std::os::unix::process::CommandExt;
    let (uid, gid) = proc_ids(pid);
    let mut cmd = Command::new("prlimit");
    cmd.arg("--pid")
        .arg(pid.to_string())
        .arg(format!("--nofile={soft}:{hard}"));
    if nix::unistd::geteuid().as_raw() != uid {
        cmd.uid(uid).gid(gid);
    }
    let out = cmd.output().expect("run prlimit");
    assert!(
        out.status.success(),
        "prlimit --nofile={soft}:{hard} (as {uid}:{gid}) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let v: Vec<&str> = line.split_whitespace().collect();
    assert_eq!((v[3], v[4]), (&*soft.to_string(), &*hard.to_string()), "{line}");
}

/// Prerequisites of the EMFILE tests; `None` means skipped.
fn emfile_server(w: &WebRoot) -> Option<(Server, usize)> {
    if skip_under_emulator("EMFILE test: the emulator's own descriptors share the limit") {
        return None;
    }
    if !require(
        tool_runs("prlimit", "--version"),
        "EMFILE test: prlimit (util-linux) not found",
    ) {
        return None;
    }
    // Held connections must not time out during the test.
    let s = Server::start(w, &["--max-connections", "64", "--idle-timeout", "120"]);
    let settled = settled_fd_count(&s);
    assert_eq!(s.head_h("/health.txt", &[]).status, 200, "warm-up");
    // The file cache closes an entry one TTL after its walk (filecache.rs): the base
    // counts no cached file, so that expiry cannot move it during a test.
    let base = wait_fd_count(s.pid(), |n| n == settled, "warm-up file closed by the cache");
    Some((s, base))
}

/// The lowest descriptor number `pid` does not use. RLIMIT_NOFILE bounds descriptor
/// numbers, not their count (inherited ones may sit far above), so a soft limit equal to
/// this number is what makes the next accept(2) fail with EMFILE.
fn lowest_free_fd(pid: u32) -> usize {
    let used: std::collections::BTreeSet<usize> = fd_targets(pid).into_iter().map(|(n, _)| n).collect();
    (0..).find(|n| !used.contains(n)).unwrap()
}

/// Holds `n` connections that never send a byte, and waits until the server holds them all.
fn hold_idle(s: &Server, n: usize, target: usize) -> Vec<TcpStream> {
    let held: Vec<TcpStream> = (0..n).map(|_| s.connect()).collect();
    wait_fd_count(s.pid(), |c| c == target, "idle connections accepted");
    held
}

/// Expects a connection the server could not take to be closed within `wait`: nothing, or a
/// 503, then EOF or a reset; never left hanging in the listen backlog.
fn expect_refused(c: &mut TcpStream, wait: Duration, what: &str) {
    match read_until_closed(c, wait) {
        Ok(got) => assert!(
            got.is_empty() || got.starts_with(b"HTTP/1.1 503 "),
            "{what}: unexpected answer {:?}",
            show(&got)
        ),
        Err(got) => panic!(
            "{what}: neither answered nor closed within {wait:?} (got {:?}): left in the backlog",
            show(&got)
        ),
    }
}

// RLIMIT_NOFILE lowered from outside until accept(2) fails with EMFILE. The reserve
// descriptor (listen.rs) lets the server take each excess connection and close it, so
// clients see a close instead of a hang, and poll is not woken forever by the pending
// connection: no spin. Once the held connections close, it serves again.
#[test]
fn emfile_on_accept_closes_excess_without_spinning() {
    let w = WebRoot::new();
    let Some((s, base)) = emfile_server(&w) else { return };
    let pid = s.pid();
    let held = hold_idle(&s, 4, base + 4);
    // Every number below the limit in use: the next accept fails with EMFILE.
    let limit = lowest_free_fd(pid);
    set_nofile(pid, limit, limit);

    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let mut excess = Vec::new();
    while t0.elapsed() < Duration::from_secs(2) {
        let mut c = s.connect();
        send_lossy(&mut c, &req("GET", "/health.txt", &[]));
        excess.push(c);
        std::thread::sleep(Duration::from_millis(100));
    }
    let cpu = cpu_seconds(pid) - cpu0;
    let spent = t0.elapsed();
    eprintln!(
        "{} connections beyond the limit: {cpu:.2} s CPU in {spent:?}",
        excess.len()
    );
    assert!(cpu < 0.5, "server spins on EMFILE: {cpu:.2} s CPU in {spent:?}");
    for (i, c) in excess.iter_mut().enumerate() {
        expect_refused(c, Duration::from_secs(5), &format!("excess connection {i}"));
    }
    assert_eq!(
        lowest_free_fd(pid),
        limit,
        "descriptors at the limit (the reserve in place)"
    );

    drop(held);
    wait_fd_count(pid, |n| n <= base, "held connections closed");
    // Still at the lowered limit, with the four held descriptors free again: a connection
    // needs its socket and the file (cached for a second), so let each close before the next.
    for i in 0..5 {
        let r = s.get("/health.txt");
        assert_eq!(
            r.status,
            200,
            "request {i} after the held connections closed (limit {limit}, base {base}): {r:?}; fds: {}",
            fd_list(pid),
        );
        wait_fd_count(pid, |n| n <= base, "health connection closed");
    }
    assert_eq!(s.thread_count(), 1, "single-threaded");
}

/// The number of the reserve descriptor: the highest of the server's descriptors open on the
/// web root directory (listen.rs takes the reserve by duplicating the root's descriptor,
/// after the root was opened).
fn reserve_fd_number(pid: u32, root: &std::path::Path) -> usize {
    let root = std::fs::canonicalize(root).unwrap();
    fd_targets(pid)
        .into_iter()
        .filter(|(_, t)| *t == root)
        .map(|(n, _)| n)
        .max()
        .expect("descriptors on the web root")
}

// The same after the reserve descriptor was lost once. RLIMIT_NOFILE bounds descriptor
// numbers: with the soft limit at the reserve's own number, the number the freed reserve
// leaves is out of range, so accept fails, the reserve cannot be re-taken, and accepting
// pauses (listen.rs: `OutOfDescriptors`, the "out of file descriptors" warning). Once
// descriptors are back the reserve is taken again, and the next EMFILE must again close the
// excess connection rather than leave it in the backlog until some other connection ends.
#[test]
fn emfile_after_reserve_lost_excess_still_closed() {
    let w = WebRoot::new();
    let Some((s, base)) = emfile_server(&w) else { return };
    let pid = s.pid();
    let held = hold_idle(&s, 4, base + 4);
    let limit = lowest_free_fd(pid);
    set_nofile(pid, limit, limit);
    let reserve = reserve_fd_number(pid, w.path());
    // poll(2) refuses more descriptors than RLIMIT_NOFILE (EINVAL): stay above the pollfds
    // (signal fd, listener, held connections).
    assert!(
        reserve >= 2 + held.len(),
        "reserve is fd {reserve}: too low for this test"
    );
    set_nofile(pid, reserve, limit);
    let mut first = s.connect();
    send_lossy(&mut first, &req("GET", "/health.txt", &[]));
    assert!(
        s.wait_for_log(|l| l.contains("out of file descriptors")).is_some(),
        "expected the back-off warning; log:\n{}",
        s.log_text()
    );
    // Room again for what is open (the reserve is gone: one descriptor free).
    set_nofile(pid, limit, limit);
    // After the back-off the waiting connection is taken; no descriptor for the file: 503.
    expect_refused(
        &mut first,
        Duration::from_secs(5),
        "connection made while out of descriptors",
    );
    // The reserve is taken back as soon as a descriptor is free (listen.rs), so the
    // server is at its limit again: the next connection must be closed, as before the loss.
    let cpu0 = cpu_seconds(pid);
    let mut c = s.connect();
    send_lossy(&mut c, &req("GET", "/health.txt", &[]));
    expect_refused(
        &mut c,
        Duration::from_secs(5),
        "excess connection after the reserve was lost",
    );
    assert!(cpu_seconds(pid) - cpu0 < 0.5, "spinning");
    drop(held);
    // Back to the idle count, reserve included: it was taken back.
    wait_fd_count(pid, |n| n == base, "held connections closed, reserve back");
    s.assert_healthy();
}

// The open-file cache (filecache.rs) holds descriptors a request may need: when opening a
// file fails with EMFILE, the cache closes its own and the open is tried again, so a full
// cache never turns into 503s. The limit is set just above the cache's highest descriptor
// and idle connections take every free number below it but one: the next connection's
// socket takes that one, and its file can only be opened with the cache's numbers given back.
#[test]
fn emfile_on_open_cache_gives_back_its_descriptors() {
    let w = WebRoot::new();
    for i in 0..10 {
        w.file(&format!("f{i}.txt"), format!("cached {i}\n"));
    }
    w.file("new.txt", "not cached yet\n");
    let Some((s, base)) = emfile_server(&w) else { return };
    let pid = s.pid();
    for i in 0..10 {
        assert_eq!(s.get(&format!("/f{i}.txt")).status, 200);
    }
    wait_fd_count(pid, |n| n == base + 10, "ten more files cached");
    let numbers = fd_targets(pid);
    let limit = 1 + numbers
        .iter()
        .filter(|(_, t)| t.to_string_lossy().contains("/www/f"))
        .map(|(n, _)| *n)
        .max()
        .expect("cached descriptors");
    let free = limit - numbers.iter().filter(|(n, _)| *n < limit).count();
    let held = hold_idle(&s, free - 1, base + 10 + free - 1);
    set_nofile(pid, limit, limit);
    let below = fd_targets(pid).iter().filter(|(n, _)| *n < limit).count();
    assert_eq!(below + 1, limit, "one number left below the limit: {}", fd_list(pid));
    let r = s.get("/new.txt");
    assert_eq!(r.status, 200, "cache did not give way: {r:?}; fds: {}", fd_list(pid));
    assert_eq!(r.body, b"not cached yet\n");
    // The cache starts again from the file just served; the others are opened anew.
    let now = wait_fd_count(pid, |n| n <= base + held.len() + 1, "cache emptied but for new.txt");
    for i in 0..3 {
        let r = s.get(&format!("/f{i}.txt"));
        assert_eq!(r.status, 200, "f{i}.txt after the cache emptied: {r:?}");
        // At most one more (new.txt's entry may close meanwhile): nothing leaked.
        wait_fd_count(pid, |n| n <= now + i + 1, "one more cached, nothing leaked");
    }
    drop(held);
    assert_eq!(s.thread_count(), 1, "single-threaded");
}

// RLIMIT_NOFILE lowered below the number of descriptors the loop polls (4 held connections,
// the listener and the signal fd; soft limit 3). poll(2) then fails with EINVAL ("nfds
// exceeds RLIMIT_NOFILE"); the server must not die of it: it may stop serving while the limit
// is that low, but must be alive, and serve again once the limit is back and the connections
// are gone.
#[test]
fn rlimit_below_polled_descriptors_server_survives() {
    let w = WebRoot::new();
    let Some((s, base)) = emfile_server(&w) else { return };
    let pid = s.pid();
    let held = hold_idle(&s, 4, base + 4);
    let limit = lowest_free_fd(pid);
    set_nofile(pid, 3, limit);
    // Wake the loop: a new connection (it cannot be accepted now). Its connect may already
    // fail if any other wake-up came first and the server is gone.
    let mut c = std::net::TcpStream::connect_timeout(&s.addr, IO_TIMEOUT);
    if let Ok(c) = c.as_mut() {
        send_lossy(c, &req("GET", "/health.txt", &[]));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let cpu0 = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        cpu_seconds(pid) - cpu0 < 0.5,
        "spinning with the limit below the pollfds"
    );
    assert!(
        is_running(pid),
        "warden exited with the limit below its polled descriptors; log:\n{}",
        s.log_text()
    );
    set_nofile(pid, limit, limit);
    drop(held);
    drop(c);
    wait_fd_count(pid, |n| n <= base, "held connections closed");
    s.assert_healthy();
}

/// Clients that reset (SO_LINGER 0, then close) while a large body is being sent, at
/// different points: before reading anything, after 64 KiB, after 2 MiB. The server sees
/// EPIPE/ECONNRESET from sendfile or send, must close that connection and free its slot and
/// descriptors, and go on serving.
fn reset_mid_body(extra: &[&str]) {
    let w = WebRoot::new();
    let big = w.file("big.bin", b"");
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let mut args = vec!["--max-connections", "8"];
    args.extend_from_slice(extra);
    let s = Server::start(&w, &args);
    let pid = s.pid();
    let base = warm_fd_count(&s, &["/big.bin", "/health.txt"]);
    // 24 resets with a table of 8: leaked slots would show as 503s.
    for i in 0..24 {
        let mut c = s.connect();
        send_raw(&mut c, &req("GET", "/big.bin", &[]));
        match i % 3 {
            0 => std::thread::sleep(Duration::from_millis(20)),
            1 => {
                let head = read_response(&mut c, true);
                assert_eq!(head.status, 200, "{head:?}");
                let mut b = Vec::new();
                read_body(&mut c, 64 << 10, &mut b);
            }
            _ => {
                let head = read_response(&mut c, true);
                assert_eq!(head.status, 200, "{head:?}");
                let mut b = Vec::new();
                read_body(&mut c, 2 << 20, &mut b);
            }
        }
        close_with_reset(c);
        if i % 6 == 5 {
            s.assert_healthy();
        }
    }
    s.assert_healthy();
    wait_fd_count(pid, |n| n <= base, "descriptors of reset connections released");
    // A whole response still comes out right (a range of the big file).
    let r = s.get_h("/big.bin", &["Range: bytes=1000-1999"]);
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.body, vec![0u8; 1000]);
    assert_eq!(s.thread_count(), 1, "single-threaded");
    s.assert_healthy();
}

#[test]
fn client_reset_during_sendfile_keeps_serving() {
    reset_mid_body(&[]);
}

#[test]
fn client_reset_during_fallback_send_keeps_serving() {
    reset_mid_body(&["--no-sendfile"]);
}

// A directory named like a file (`x.html/`) is a directory (path.rs: `open_in` fstat's what it
// opened): `/x.html` → 301 to `./x.html/`; `/x.html/` → its index, 404 without one. The
// converse, a regular file asked for as a directory (`/f.txt/`), is 404.
#[test]
fn directory_named_like_a_file() {
    let w = WebRoot::new();
    w.dir("x.html");
    w.file("f.txt", b"file\n");
    let s = Server::start(&w, &[]);
    for target in ["/x.html", "/x.html?a=1"] {
        let r = s.get(target);
        assert_eq!(r.status, 301, "{target}: {r:?}");
        let want = if target.contains('?') {
            "./x.html/?a=1"
        } else {
            "./x.html/"
        };
        assert_eq!(r.header("location"), Some(want), "{target}: {r:?}");
        assert_eq!(r.content_length(), Some(0), "{r:?}");
    }
    let r = s.head_h("/x.html", &[]);
    assert_eq!(r.status, 301, "HEAD: {r:?}");
    let r = s.get("/x.html/");
    assert_eq!(r.status, 404, "no index: {r:?}");
    let r = s.get("/f.txt/");
    assert_eq!(r.status, 404, "a file is not a directory: {r:?}");
    w.file("x.html/index.html", b"<p>inside</p>\n");
    let r = s.get("/x.html/");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"<p>inside</p>\n");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"), "{r:?}");
    s.assert_healthy();
}

// A FIFO holding data, with its write end open: 404 at once, on a keep-alive connection that
// then goes on; the server never read from it (the data is still there afterwards).
#[test]
fn fifo_in_web_root_404_without_blocking_or_reading() {
    let w = WebRoot::new();
    let path = w.fifo("feed.txt");
    // O_RDWR on a FIFO does not block on Linux: we hold both ends.
    let mut ours = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&path)
        .expect("open FIFO");
    ours.write_all(b"FIFO-DATA").unwrap();
    let s = Server::start(&w, &[]);
    let mut c = s.connect();
    for (method, target) in [("GET", "/feed.txt"), ("HEAD", "/feed.txt"), ("GET", "/feed.txt/")] {
        let t0 = Instant::now();
        send_raw(&mut c, &req(method, target, &["Range: bytes=0-3"]));
        let r = read_response(&mut c, method == "HEAD");
        assert_eq!(r.status, 404, "{method} {target}: {r:?}");
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "{method} {target} took {:?}",
            t0.elapsed()
        );
    }
    send_raw(&mut c, &req("GET", "/health.txt", &[]));
    assert_eq!(read_response(&mut c, false).body, HEALTH_BODY);
    // Nothing was consumed from the FIFO.
    let fd = std::os::fd::AsFd::as_fd(&ours);
    nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK)).unwrap();
    let mut buf = [0u8; 64];
    let n = ours.read(&mut buf).expect("FIFO data still there");
    assert_eq!(&buf[..n], b"FIFO-DATA", "the server read from the FIFO");
    s.assert_healthy();
}

// A listening unix socket in the web root: 404 (open gives ENXIO), and nobody connected to it.
#[test]
fn unix_socket_in_web_root_404() {
    let w = WebRoot::new();
    let listener = w.unix_socket("api.sock");
    listener.set_nonblocking(true).unwrap();
    let s = Server::start(&w, &[]);
    for target in ["/api.sock", "/api.sock/"] {
        let r = s.get(target);
        assert_eq!(r.status, 404, "{target}: {r:?}");
    }
    let r = s.head_h("/api.sock", &[]);
    assert_eq!(r.status, 404, "{r:?}");
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the server connected to the unix socket: {other:?}"),
    }
    s.assert_healthy();
}

// Symlinks to /dev/zero (an endless device) and to /dev are never followed: 404 at once,
// not a stream of zeros or a hang.
#[test]
fn symlink_to_dev_zero_404() {
    let w = WebRoot::new();
    w.symlink("/dev/zero", "zero.bin");
    w.symlink("/dev", "dev");
    let s = Server::start(&w, &[]);
    for target in ["/zero.bin", "/zero.bin/", "/dev/zero", "/dev/", "/dev"] {
        let t0 = Instant::now();
        let r = s.get_h(target, &["Range: bytes=0-9"]);
        assert_eq!(r.status, 404, "{target}: {r:?}");
        assert!(
            t0.elapsed() < Duration::from_secs(2),
            "{target} took {:?}",
            t0.elapsed()
        );
        let r = s.head_h(target, &[]);
        assert_eq!(r.status, 404, "HEAD {target}: {r:?}");
    }
    s.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// No writes to files, checked from outside with strace.
// ---------------------------------------------------------------------------------------------

/// Syscalls traced: every path-based one (`%file`), and every way to put bytes into a
/// descriptor or change a file through one.
const TRACED: &str = "trace=%file,write,writev,pwrite64,pwritev,pwritev2,sendfile,sendto,sendmsg,\
                      ftruncate,fallocate,copy_file_range,splice";

/// Path syscalls that change the file system: none may even be attempted.
const MUTATING: &[&str] = &[
    "creat",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "unlink",
    "unlinkat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "lchown",
    "fchownat",
    "truncate",
    "truncate64",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "setxattr",
    "lsetxattr",
    "removexattr",
    "lremovexattr",
    "mount",
    "umount2",
    "ftruncate",
    "fallocate",
    "copy_file_range",
    "splice",
];

/// Open flags that mean writing (or creating).
const WRITE_FLAGS: &[&str] = &["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_TMPFILE"];

/// Syscalls whose first argument is the descriptor the bytes go to.
const OUTPUT: &[&str] = &[
    "write", "writev", "pwrite64", "pwritev", "pwritev2", "sendfile", "sendto", "sendmsg",
];

/// Checks an `strace -f -y` log against the rule, returning the violations:
///
/// 1. no open/openat/openat2 carries O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND or
///    O_TMPFILE unless it returned /dev/null or the stderr pipe (`opened_no_file`), and no
///    syscall in `MUTATING` appears at all (attempted, whatever its result);
/// 2. every `OUTPUT` syscall writes to fd 2, or to a descriptor that is the same pipe as
///    fd 2 (`stderr`, e.g. `pipe:[123]`: the access log writes to a dup of stderr, main.rs),
///    or to a socket (`socket:[...]`), as `-y` annotates each descriptor;
/// 3. at most one execve: strace starting warden.
fn strace_violations(log: &str, stderr: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let mut execs = 0;
    for line in log.lines() {
        // "PID syscall(args) = result"; skip signals, exits and resumed halves (the name and
        // the first argument are on the "<unfinished ...>" half).
        let rest = line.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
        if rest.starts_with("+++") || rest.starts_with("---") || rest.starts_with("<...") {
            continue;
        }
        let Some(open) = rest.find('(') else { continue };
        let name = &rest[..open];
        let args = &rest[open + 1..];
        if name == "execve" {
            execs += 1;
            if execs > 1 {
                bad.push(format!("a second execve: {line}"));
            }
        } else if MUTATING.contains(&name) {
            bad.push(format!("file system change attempted: {line}"));
        } else if matches!(name, "open" | "openat" | "openat2") {
            // The flags argument: `O_A|O_B` (openat2: `{flags=O_A|O_B, ...}`), found among
            // the arguments with quoted strings removed, before the result.
            let args = strip_strings(args);
            let args = args.split(" <unfinished").next().unwrap_or("");
            let args = args.rsplit_once(") = ").map_or(args, |(a, _)| a);
            let flags = args
                .split(", ")
                .map(|a| a.trim_start_matches('{').trim_start_matches("flags="))
                .find(|a| {
                    a.starts_with("O_")
                        && a.bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"_|".contains(&b))
                });
            match flags {
                Some(flags) => {
                    if let Some(f) = WRITE_FLAGS.iter().find(|f| flags.split('|').any(|w| w == **f)) {
                        if !opened_no_file(rest, stderr) {
                            bad.push(format!("opened with {f}: {line}"));
                        }
                    }
                }
                None => bad.push(format!("open without readable flags: {line}")),
            }
        } else if OUTPUT.contains(&name) {
            // "2<pipe:[123]>, ..." → fd "2", target "pipe:[123]".
            let first = args.split(", ").next().unwrap_or("");
            let (fd, target) = match first.split_once('<') {
                Some((fd, t)) => (fd, t.strip_suffix('>').unwrap_or(t)),
                None => (first, ""),
            };
            let ok = fd == "2" || (!target.is_empty() && target == stderr) || target.starts_with("socket:[");
            if !ok {
                bad.push(format!(
                    "{name} to fd {fd} ({target:?}), not stderr or a socket: {line}"
                ));
            }
        }
    }
    bad
}

/// The descriptor an open returned (`= 3</dev/null>`, as `-y` annotates it) is /dev/null or
/// the stderr pipe: opened for writing, neither is a file (stdio hygiene puts /dev/null on a
/// standard descriptor, confine.rs; stderr may be reopened, e.g. non-blocking). A failed or
/// unfinished open has no such result and stays a violation.
fn opened_no_file(call: &str, stderr: &str) -> bool {
    let call = strip_strings(call);
    let Some((_, result)) = call.split_once(") = ") else {
        return false;
    };
    let target = result.split_once('<').and_then(|(_, t)| t.strip_suffix('>'));
    target.is_some_and(|t| t == "/dev/null" || (!stderr.is_empty() && t == stderr))
}

/// `text` without its double-quoted strings (strace escapes `"` and `\\` inside them).
fn strip_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut quoted, mut escaped) = (false, false);
    for c in text.chars() {
        if quoted {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
        } else if c == '"' {
            quoted = true;
            out.push_str("\"\"");
        } else {
            out.push(c);
        }
    }
    out
}

// The checker itself: a log that writes a file must be caught (so a pass means something).
#[test]
fn strace_rule_catches_file_writes() {
    let log = r#"100 execve("/bin/warden", ["warden"], 0x7ff /* 3 vars */) = 0
100 openat(AT_FDCWD</tmp>, "/tmp/O_WRONLY-in-a-name", O_RDONLY|O_CLOEXEC) = 3</tmp/O_WRONLY-in-a-name>
100 openat(AT_FDCWD</tmp>, "/dev/null", O_RDWR|O_NOCTTY) = 3</dev/null>
100 openat(AT_FDCWD</tmp>, "/proc/self/fd/2", O_WRONLY|O_NOCTTY|O_NONBLOCK|O_CLOEXEC) = 4<pipe:[77]>
100 write(2<pipe:[77]>, "listening on http://127.0.0.1:1\n", 32) = 32
100 write(5<pipe:[77]>, "127.0.0.1 - - [...] \"GET / HTTP/1.1\" 200 5\n", 40) = 40
100 sendto(6<socket:[88]>, "HTTP/1.1 200 OK\r\n"..., 200, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0) = 200
100 sendfile(6<socket:[88]>, 7</tmp/www/a.bin>, [0] => [10], 10) = 10
100 +++ exited with 0 +++
"#;
    assert_eq!(strace_violations(log, "pipe:[77]"), Vec::<String>::new());
    for evil in [
        r#"100 openat(AT_FDCWD</tmp>, "/tmp/x", O_WRONLY|O_CREAT|O_CLOEXEC, 0644) = 5</tmp/x>"#,
        r#"100 openat(3</tmp/www>, "log", O_RDWR) = -1 EACCES (Permission denied)"#,
        r#"100 openat(3</tmp/www>, "a\", O_RDONLY, \"", O_WRONLY|O_CLOEXEC) = 4</tmp/www/x>"#,
        r#"100 openat2(AT_FDCWD</tmp>, "/tmp/x", {flags=O_RDONLY|O_CREAT, mode=0600, resolve=0}, 24) = 4</tmp/x>"#,
        r#"100 open("/tmp/x", O_APPEND|O_WRONLY <unfinished ...>"#,
        r#"100 openat(AT_FDCWD</tmp>, "/dev/null", O_RDWR) = -1 EACCES (Permission denied)"#,
        r#"100 openat(AT_FDCWD</tmp>, "/proc/self/fd/9", O_WRONLY) = 4<pipe:[99]>"#,
        r#"100 openat(AT_FDCWD</tmp>, "/tmp/x) = 3</dev/null>", O_WRONLY) = 5</tmp/x) = 3</dev/null>"#,
        r#"100 write(5</tmp/x>, "z", 1) = 1"#,
        r#"100 write(9<pipe:[99]>, "z", 1) = 1"#,
        r#"100 sendfile(7</tmp/copy>, 6</tmp/www/a.bin>, NULL, 10) = 10"#,
        r#"100 unlink("/tmp/x") = 0"#,
        r#"100 execve("/bin/sh", ["sh"], 0x7ff /* 3 vars */) = -1 EACCES (Permission denied)"#,
    ] {
        let log = format!("100 execve(\"/bin/warden\", [\"warden\"], 0x7ff) = 0\n{evil}\n");
        assert_eq!(strace_violations(&log, "pipe:[77]").len(), 1, "not caught: {evil}");
    }
}

/// Processes whose parent is `ppid` (from /proc/*/stat).
fn children_of(ppid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else { continue };
        if stat[close + 1..].split_whitespace().nth(1) == Some(&*ppid.to_string()) {
            out.push(pid);
        }
    }
    out
}

/// SIGKILLs a pid on drop unless disarmed: a traced warden must not outlive a failed test
/// (killing strace alone would leave it running, detached).
struct KillOnDrop(Option<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
        }
    }
}

/// A short session touching every response path: files (sendfile or read/send in chunks),
/// gzip, ranges, conditionals, HEAD, redirects, errors, pipelining, a client reset.
fn traced_session(s: &Server, big: &[u8]) {
    s.assert_healthy();
    let r = s.get("/");
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.get("/big.bin");
    assert!(r.status == 200 && r.body == big, "big.bin");
    let etag = r.h("etag").to_string();
    let r = s.get_h("/big.bin", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(r.status, 304, "{r:?}");
    let r = s.get_h("/big.bin", &["Range: bytes=100-199"]);
    assert!(r.status == 206 && r.body == big[100..200], "range");
    let r = s.get_h("/app.js", &["Accept-Encoding: gzip"]);
    assert_eq!(r.header("content-encoding"), Some("gzip"), "{r:?}");
    assert_eq!(s.head_h("/big.bin", &[]).status, 200);
    assert_eq!(s.get("/d").status, 301);
    assert_eq!(s.get("/missing").status, 404);
    s.expect_reject(b"GET /../x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    s.expect_reject(b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400);
    let mut c = s.connect();
    send_raw(
        &mut c,
        &[req("GET", "/health.txt", &[]), req("GET", "/app.js", &[])].concat(),
    );
    assert_eq!(read_response(&mut c, false).body, HEALTH_BODY);
    assert_eq!(read_response(&mut c, false).status, 200);
    let mut c = s.connect();
    send_raw(&mut c, &req("GET", "/big.bin", &[]));
    read_response(&mut c, true);
    close_with_reset(c);
    s.assert_healthy();
}

fn no_file_writes(extra: &[&str]) {
    if skip_under_emulator("strace would trace the emulator, not warden") {
        return;
    }
    if !require(
        tool_runs("strace", "-V"),
        "strace not installed (apt-get install strace)",
    ) {
        return;
    }
    let w = WebRoot::new();
    let big = pattern(0xD0, 3 << 20); // several sendfile chunks / fallback buffers
    w.file("big.bin", &big);
    w.file("index.html", b"<h1>home</h1>\n");
    w.file("app.js", b"console.log(1);\n");
    w.file("app.js.gz", b"\x1f\x8b not really gzip");
    w.dir("d");
    let log = w.outside().join("strace.log");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-y", "-s", "256", "-e", TRACED, "-o"])
        .arg(&log)
        .arg(warden_bin())
        .arg("--root")
        .arg(w.path())
        .args(["--listen", "127.0.0.1:0"])
        // Its raw requests say `Host: a`: the device's name here (issue 12's Host guard).
        .args(["--allow-host", "a"])
        .args(extra);
    // The access log stays on (no --quiet): its lines go to a dup of stderr.
    let mut s = Server::start_cmd(cmd);
    let strace_pid = s.pid();
    let kids = children_of(strace_pid);
    assert_eq!(kids.len(), 1, "strace should have one child, warden: {kids:?}");
    let mut warden = KillOnDrop(Some(kids[0]));
    let stderr = std::fs::read_link(format!("/proc/{strace_pid}/fd/2"))
        .expect("strace's stderr")
        .to_string_lossy()
        .into_owned();
    assert!(stderr.starts_with("pipe:["), "stderr is {stderr}");

    traced_session(&s, &big);

    let st = Command::new("kill")
        .arg("-TERM")
        .arg(kids[0].to_string())
        .status()
        .unwrap();
    assert!(st.success());
    let exit = s.wait_exit().expect("warden (and strace) exit after SIGTERM");
    warden.0 = None;
    assert!(exit.success(), "warden under strace exited with {exit}");
    let text = std::fs::read_to_string(&log).expect("strace log");
    // The trace saw the work (else a pass would mean nothing): the root opened read-only,
    // files opened, bytes to sockets, access-log lines on the stderr pipe.
    assert!(
        text.contains("\"health.txt\", O_RDONLY"),
        "no open of health.txt traced"
    );
    assert!(text.contains("socket:["), "no socket output traced");
    assert!(
        text.lines()
            .any(|l| l.contains(&format!("<{stderr}>")) && l.contains("GET /big.bin")),
        "no access-log line traced"
    );
    // Bodies went out with sendfile(2) to a socket, or (fallback) never with sendfile.
    let sendfile_to_socket = text
        .lines()
        .any(|l| l.contains(" sendfile(") && l.contains("<socket:["));
    assert_eq!(
        sendfile_to_socket,
        !extra.contains(&"--no-sendfile"),
        "sendfile use in the trace"
    );
    let bad = strace_violations(&text, &stderr);
    assert!(
        bad.is_empty(),
        "{} violation(s) of the no-write rule ({}):\n{}",
        bad.len(),
        log.display(),
        bad.join("\n")
    );
    let lines = text.lines().count();
    eprintln!("strace {extra:?}: {lines} traced syscalls, no file writes");
}

#[test]
fn no_file_writes_under_strace_sendfile() {
    no_file_writes(&[]);
}

#[test]
fn no_file_writes_under_strace_fallback() {
    no_file_writes(&["--no-sendfile"]);
}
