//! Where warden's output goes, through the real binary: standard descriptors
//! that could lead out of the jail, a log reader that stops reading, output
//! redirected to regular files (RLIMIT_FSIZE), and log lines a file name tries
//! to forge.

mod common;

use common::*;
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use std::fs::File;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A warden started with descriptors chosen by the test; killed (by PID, through
/// its `Child`) and reaped on drop.
struct Spawned {
    child: Child,
}

impl Spawned {
    fn start(root: &Path, extra: &[&str], stdin: Stdio, stdout: Stdio, stderr: Stdio) -> Spawned {
        let child = Command::new(warden_bin())
            .arg("--root")
            .arg(root)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(stdin)
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("spawn warden");
        Spawned { child }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the process to exit; its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + IO_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return st.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn fd_target(&self, fd: u32) -> String {
        std::fs::read_link(format!("/proc/{}/fd/{fd}", self.pid()))
            .map(|p| p.display().to_string())
            .unwrap_or_else(|e| format!("<{e}>"))
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `fd` (made nonblocking) until `done(text so far)` or `IO_TIMEOUT`.
fn read_until(fd: &OwnedFd, done: impl Fn(&str) -> bool) -> String {
    fcntl(fd, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).expect("O_NONBLOCK on the test's end");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + IO_TIMEOUT;
    while Instant::now() < deadline {
        match nix::unistd::read(fd, &mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(nix::errno::Errno::EAGAIN) => thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("read: {e}"),
        }
        if done(&String::from_utf8_lossy(&out)) {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The address in a `listening on http://ADDR` line.
fn listen_addr(text: &str) -> Option<SocketAddr> {
    let pos = text.find("listening on http://")?;
    let rest = &text[pos + "listening on http://".len()..];
    rest.split_whitespace().next()?.trim_end_matches('/').parse().ok()
}

/// Waits (bounded) until `path` holds a `listening on` line; returns the address and text.
fn wait_for_file_listen(path: &Path) -> (SocketAddr, String) {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(a) = listen_addr(&text) {
            return (a, text);
        }
        assert!(Instant::now() < deadline, "no listening line in {path:?}:\n{text}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// `n` requests for /health.txt, 500 per keep-alive connection; each must get 200.
fn keep_alive_requests(addr: SocketAddr, n: usize) {
    let mut s = connect(addr);
    for i in 0..n {
        if i > 0 && i % 500 == 0 {
            s = connect(addr);
        }
        send_raw(&mut s, &req("GET", "/health.txt", &[]));
        let r = read_response(&mut s, false);
        assert_eq!(r.status, 200, "request {i} of {n}");
        assert_eq!(r.body, HEALTH_BODY);
    }
}

fn get_status(addr: SocketAddr, target: &str) -> u16 {
    let mut s = connect(addr);
    send_raw(&mut s, &req("GET", target, &[]));
    read_response(&mut s, false).status
}

/// A pipe whose buffer is one page, so a few dozen log lines fill it.
fn small_pipe() -> (OwnedFd, OwnedFd) {
    let (r, w) = nix::unistd::pipe().expect("pipe");
    fcntl(&r, FcntlArg::F_SETPIPE_SZ(4096)).expect("F_SETPIPE_SZ");
    (r, w)
}

// ------------------------------------------------------------ a log reader that stops reading

/// A log reader that stops reading (a stopped procd/logd, a `logger` that hangs)
/// must not stall serving: the server goes on answering, drops and counts the
/// lines it cannot write, and says how many once the reader reads again.
#[test]
fn stalled_pipe_reader_never_stalls_serving() {
    let root = WebRoot::new();
    let (r, w) = small_pipe();
    let mut srv = Spawned::start(root.path(), &[], Stdio::null(), Stdio::null(), Stdio::from(w));
    let text = read_until(&r, |t| listen_addr(t).is_some());
    let addr = listen_addr(&text).unwrap_or_else(|| panic!("no listening line:\n{text}"));
    // The test stops reading: 300 access-log lines of ~80 bytes cannot fit a 4 KiB pipe.
    keep_alive_requests(addr, 300);
    // The original pipe end is still blocking: only warden's own description is nonblocking.
    let fl = fcntl(&r, FcntlArg::F_GETFL).expect("F_GETFL");
    assert_ne!(
        fl & nix::libc::O_NONBLOCK,
        0,
        "the test set O_NONBLOCK on its read end only"
    );
    let backlog = read_until(&r, |_| false);
    assert!(
        backlog.len() <= 4096,
        "more than the pipe held: {} bytes",
        backlog.len()
    );
    assert!(backlog.ends_with('\n'), "a line was torn: {backlog:?}");
    // Reading again: the next line is preceded by the count of lines dropped.
    assert_eq!(get_status(addr, "/health.txt"), 200);
    let after = read_until(&r, |t| t.contains("GET /health.txt"));
    let notice = after
        .lines()
        .find(|l| l.contains("line(s) dropped"))
        .unwrap_or_else(|| panic!("no dropped-lines notice after the reader resumed:\n{after}"));
    let n: u64 = notice
        .split("log: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unparsable notice {notice:?}"));
    assert!(n > 200, "300 requests, ~50 lines fit: {n} dropped");
    assert!(srv.child.try_wait().expect("try_wait").is_none(), "warden exited");
}

/// The same with stderr a socket (systemd's journal stream): send(MSG_DONTWAIT).
#[test]
fn stalled_socket_reader_never_stalls_serving() {
    let root = WebRoot::new();
    let (ours, theirs) = UnixStream::pair().expect("socketpair");
    let mut srv = Spawned::start(
        root.path(),
        &[],
        Stdio::null(),
        Stdio::null(),
        Stdio::from(OwnedFd::from(theirs)),
    );
    let ours = OwnedFd::from(ours);
    let text = read_until(&ours, |t| listen_addr(t).is_some());
    let addr = listen_addr(&text).unwrap_or_else(|| panic!("no listening line:\n{text}"));
    // A unix socket buffers ~200 KiB: 4000 lines overflow it.
    keep_alive_requests(addr, 4000);
    let backlog = read_until(&ours, |_| false);
    assert!(backlog.ends_with('\n'));
    for l in backlog.lines() {
        assert!(
            l.starts_with("127.0.0.1 - - [") || l.contains("[warden]"),
            "torn line {l:?}"
        );
    }
    assert_eq!(get_status(addr, "/health.txt"), 200);
    let after = read_until(&ours, |t| t.contains("GET /health.txt"));
    assert!(after.contains("line(s) dropped"), "no notice:\n{after}");
    assert!(srv.child.try_wait().expect("try_wait").is_none(), "warden exited");
}

// ------------------------------------------------------------ output to regular files

/// `warden … --check > out 2>&1`: the report lands in the file and the exit code
/// is 0 (everything as planned), whatever stdout and stderr are (it aborted
/// with SIGABRT when the write under RLIMIT_FSIZE 0 failed and `eprintln!` panicked).
#[test]
fn check_with_output_to_a_file() {
    let root = WebRoot::new();
    let out = root.outside().join("check.out");
    let f = File::create(&out).expect("create out");
    let f2 = f.try_clone().expect("dup");
    let mut srv = Spawned::start(
        root.path(),
        &["--check"],
        Stdio::null(),
        Stdio::from(f),
        Stdio::from(f2),
    );
    assert_eq!(srv.wait_exit(), Some(0), "--check exit code");
    let text = std::fs::read_to_string(&out).expect("read out");
    assert!(text.contains("confinement as planned"), "{text}");
    assert!(text.contains("no_new_privs: 1"), "{text}");
    assert!(text.contains("RLIMIT_FSIZE"), "says why FSIZE is not 0:\n{text}");
}

/// `--check > out` with stderr elsewhere, and `--check 2> err` with stdout a pipe.
#[test]
fn check_with_only_one_output_a_file() {
    let root = WebRoot::new();
    let out = root.outside().join("stdout.txt");
    let mut srv = Spawned::start(
        root.path(),
        &["--check"],
        Stdio::null(),
        Stdio::from(File::create(&out).expect("create")),
        Stdio::null(),
    );
    assert_eq!(srv.wait_exit(), Some(0));
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(text.ends_with("confinement as planned\n"), "{text}");

    let err = root.outside().join("stderr.txt");
    let outcome = Command::new(warden_bin())
        .arg("--root")
        .arg(root.path())
        .args(["--listen", "127.0.0.1:0", "--check"])
        .stdin(Stdio::null())
        .stderr(File::create(&err).expect("create"))
        .output()
        .expect("run --check");
    assert_eq!(outcome.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&outcome.stdout).contains("confinement as planned"));
    let text = std::fs::read_to_string(&err).expect("read");
    assert!(text.contains("INFO  [warden] confinement: no_new_privs: 1"), "{text}");
}

/// `warden … >>/var/log/warden.log 2>&1`, as BusyBox init scripts start it: the
/// log file (opened for appending, not empty) receives the report, the
/// diagnostics and the access log while serving.
#[test]
fn serving_with_log_appended_to_a_file() {
    let root = WebRoot::new();
    let log = root.outside().join("warden.log");
    std::fs::write(&log, "earlier line\n").expect("write");
    let f = File::options().append(true).open(&log).expect("open log");
    let f2 = f.try_clone().expect("dup");
    let _srv = Spawned::start(root.path(), &[], Stdio::null(), Stdio::from(f), Stdio::from(f2));
    let (addr, _) = wait_for_file_listen(&log);
    keep_alive_requests(addr, 5);
    let deadline = Instant::now() + IO_TIMEOUT;
    let text = loop {
        let text = std::fs::read_to_string(&log).expect("read log");
        if text.matches("\"GET /health.txt HTTP/1.1\" 200").count() == 5 || Instant::now() > deadline {
            break text;
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert!(text.starts_with("earlier line\n"), "appended, not overwritten:\n{text}");
    assert!(text.contains("confinement: no_new_privs: 1"), "{text}");
    assert!(text.contains("serving "), "{text}");
    assert_eq!(text.matches("\"GET /health.txt HTTP/1.1\" 200").count(), 5, "{text}");
    assert!(text.contains("rlimits: NPROC 0/0, FSIZE "), "{text}");
}

/// Nothing in src/ that ships prints with a macro that panics when the write
/// fails (`println!`, `eprintln!`, `print!`, `eprint!`): under RLIMIT_FSIZE or
/// with a closed pipe that would abort the server. Test modules may.
#[test]
fn no_panicking_print_macros_in_shipped_code() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src).expect("read src") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        for (i, line) in text.lines().enumerate() {
            if line.contains("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            for mac in ["println!", "eprintln!", "print!", "eprint!"] {
                let hit = code.match_indices(mac).any(|(at, _)| {
                    at == 0 || !code.as_bytes()[at - 1].is_ascii_alphanumeric() && code.as_bytes()[at - 1] != b'_'
                });
                if hit {
                    found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "print macros in shipped code:\n{}", found.join("\n"));
}

// ------------------------------------------------------------ standard descriptors

/// Started as `warden … 0</ 1</outside-dir`, descriptors 0 and 1 led out of the
/// jail (`fchdir`). stdin always becomes /dev/null; stdout open read-only on a
/// directory becomes /dev/null with a warning; stderr, a pipe, stays.
#[test]
fn standard_descriptors_cannot_lead_out_of_the_jail() {
    let root = WebRoot::new();
    let slash = File::open("/").expect("open /");
    let outside_dir = File::open(root.outside()).expect("open outside dir");
    let (r, w) = nix::unistd::pipe().expect("pipe");
    let srv = Spawned::start(
        root.path(),
        &[],
        Stdio::from(slash),
        Stdio::from(outside_dir),
        Stdio::from(w),
    );
    let text = read_until(&r, |t| t.contains("serving "));
    assert!(listen_addr(&text).is_some(), "{text}");
    assert_eq!(srv.fd_target(0), "/dev/null", "stdin");
    assert_eq!(srv.fd_target(1), "/dev/null", "stdout");
    assert!(srv.fd_target(2).starts_with("pipe:"), "stderr: {}", srv.fd_target(2));
    assert!(
        text.contains("WARN  [warden] stdout was open read-only: replaced by /dev/null"),
        "{text}"
    );
    // No descriptor of the running server names a directory outside the web root.
    for (fd, target) in fd_targets(srv.pid()) {
        assert!(
            !target.is_dir() || target.starts_with(root.path()),
            "descriptor {fd} is the directory {target:?}"
        );
    }
}

/// A stderr opened as O_PATH (no I/O possible, but `fchdir`-able if a directory)
/// and a write-only stdout on a regular file: the first is replaced, the second kept.
#[test]
fn o_path_stderr_is_replaced_and_a_writable_file_kept() {
    let root = WebRoot::new();
    let path_fd: OwnedFd = nix::fcntl::open(
        root.outside(),
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .expect("O_PATH open");
    let out = root.outside().join("out.txt");
    let mut srv = Spawned::start(
        root.path(),
        &["--check"],
        Stdio::null(),
        Stdio::from(File::create(&out).expect("create")),
        Stdio::from(path_fd),
    );
    assert_eq!(srv.wait_exit(), Some(0));
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(text.contains("confinement as planned"), "{text}");
}

// ------------------------------------------------------------ log forging

/// A file name with a newline cannot print a second, genuine-looking log line
/// (the start-up audit names executable files); non-UTF-8 bytes show as `\xHH`,
/// as in the access log.
#[test]
fn file_names_cannot_forge_log_lines() {
    use std::os::unix::ffi::OsStrExt;
    let root = WebRoot::new();
    let forged = "INFO  [warden] confinement: no_new_privs: 1";
    let name = format!("x\n{forged}");
    let p = root.file(&name, "#!/bin/sh\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let raw = std::ffi::OsStr::from_bytes(b"bad\xffname\x1b[2J");
    let q = root.path().join(raw);
    std::fs::write(&q, "x").expect("write");
    std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let (r, w) = nix::unistd::pipe().expect("pipe");
    let _srv = Spawned::start(root.path(), &[], Stdio::null(), Stdio::null(), Stdio::from(w));
    let text = read_until(&r, |t| t.contains("serving "));
    assert!(
        text.contains("x\\x0aINFO  [warden] confinement"),
        "escaped name:\n{text}"
    );
    assert!(
        text.contains("bad\\xffname\\x1b[2J is executable"),
        "non-UTF-8 name:\n{text}"
    );
    assert!(!text.contains('\u{1b}'), "a raw escape reached the log");
    // The genuine report line, once; the forged copy would be a second.
    let starting = text.lines().filter(|l| l.starts_with(forged)).count();
    assert_eq!(starting, 1, "a forged line starts a line:\n{text}");
    drop(r);
}
