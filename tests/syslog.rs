//! `--syslog` through the real binary: the lines arrive on a `/dev/log`-style
//! datagram socket (a temporary path given with `--syslog-socket`) framed as
//! RFC 3164 §4.1 says (`<PRI>Mmm dd hh:mm:ss warden[PID]: MSG`, PRI =
//! facility × 8 + severity, §4.1.1; the TIMESTAMP of §4.1.2), escaped, each at
//! its own severity; a reader that stops reading never stops serving (lines
//! dropped, counted, reported); a reader that goes away (syslogd restarted)
//! sends the log back to stderr; a socket missing at start is no reason to
//! stay down; the flags refuse what they cannot use.

mod common;

use common::*;
use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A syslogd stand-in: a datagram socket bound at a temporary path, read by a
/// thread into a list, unless the test stalls it.
struct Syslogd {
    path: PathBuf,
    lines: Arc<Mutex<Vec<String>>>,
    reading: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Syslogd {
    fn bind(root: &WebRoot) -> Syslogd {
        let path = root.outside().join("log");
        let sock = UnixDatagram::bind(&path).expect("bind the syslog socket");
        sock.set_read_timeout(Some(Duration::from_millis(20))).expect("timeout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reading = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, r, s) = (Arc::clone(&lines), Arc::clone(&reading), Arc::clone(&stop));
        let thread = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !s.load(Ordering::SeqCst) {
                if !r.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                if let Ok(n) = sock.recv(&mut buf) {
                    l.lock().unwrap().push(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
            }
        });
        Syslogd {
            path,
            lines,
            reading,
            stop,
            thread: Some(thread),
        }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits (at most `IO_TIMEOUT`) for a line satisfying `pred`.
    fn wait_for(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| pred(l)) {
                return Some(l);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops reading (the socket stays bound: its queue fills).
    fn stall(&self) {
        self.reading.store(false, Ordering::SeqCst);
    }

    fn resume(&self) {
        self.reading.store(true, Ordering::SeqCst);
    }

    /// Closes the socket, as a syslogd that stops or restarts does.
    fn close(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Syslogd {
    fn drop(&mut self) {
        self.close();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// warden with `--syslog`: stderr collected by a thread; the listening address
/// taken from the syslog line that announces it. Killed by PID (its `Child`) on drop.
struct Warden {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Warden {
    fn start(root: &WebRoot, syslogd: &Syslogd, extra: &[&str]) -> Warden {
        let mut child = Command::new(warden_bin())
            .arg("--root")
            .arg(root.path())
            .args(["--listen", "127.0.0.1:0", "--syslog", "--syslog-socket"])
            .arg(&syslogd.path)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn warden");
        let mut pipe = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let s2 = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut pipe, &mut buf) {
                if n == 0 {
                    break;
                }
                s2.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let line = syslogd.wait_for(|l| l.contains("listening on http://"));
        let Some(line) = line else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "no `listening on` line on the syslog socket; stderr:\n{}\nsyslog:\n{:?}",
                stderr.lock().unwrap(),
                syslogd.lines()
            );
        };
        let addr = line
            .split("listening on http://")
            .nth(1)
            .and_then(|a| a.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("address in {line:?}"));
        Warden { child, addr, stderr }
    }

    fn get(&self, target: &str) -> Response {
        let mut s = connect(self.addr);
        send_raw(&mut s, &req("GET", target, &[]));
        read_response(&mut s, false)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn wait_stderr(&self, needle: &str) -> bool {
        let deadline = Instant::now() + IO_TIMEOUT;
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Warden {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The MSG of a datagram framed `<PRI>TIMESTAMP warden[PID]: MSG` with PRI =
/// `facility` * 8 + `severity` (RFC 3164 §4.1.1) and this warden's PID;
/// panics on any other framing.
fn msg<'a>(w: &Warden, line: &'a str, facility: u32, severity: u32) -> &'a str {
    let pri = format!("<{}>", facility * 8 + severity);
    let rest = line.strip_prefix(&pri).unwrap_or_else(|| panic!("not {pri}: {line:?}"));
    // TIMESTAMP, §4.1.2: `Mmm dd hh:mm:ss` and a space (the day padded with a space).
    let t = rest.as_bytes();
    let shape = t.len() > 16
        && t[..3].iter().all(u8::is_ascii_alphabetic)
        && t[3] == b' '
        && (t[4] == b' ' || t[4].is_ascii_digit())
        && t[5].is_ascii_digit()
        && t[6] == b' '
        && t[9] == b':'
        && t[12] == b':'
        && t[15] == b' ';
    assert!(shape, "no RFC 3164 TIMESTAMP: {line:?}");
    let tag = format!("warden[{}]: ", w.child.id());
    rest[16..]
        .strip_prefix(&tag)
        .unwrap_or_else(|| panic!("not {tag}: {line:?}"))
}

#[test]
fn lines_are_framed_escaped_and_carry_their_severity() {
    let root = WebRoot::new();
    // An executable file: the web-root audit warns about it (a warning, whatever the level).
    let exe = root.file("tool.sh", "#!/bin/sh\n");
    std::fs::set_permissions(&exe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let syslogd = Syslogd::bind(&root);
    let w = Warden::start(&root, &syslogd, &["--syslog-facility", "local3", "--log-level", "warn"]);
    const LOCAL3: u32 = 19;
    // Notice: the announcement.
    let listening = syslogd.wait_for(|l| l.contains("listening on")).unwrap();
    assert_eq!(
        msg(&w, &listening, LOCAL3, 5),
        format!("listening on http://{}", w.addr)
    );
    // Warning: the audit finding, without the `WARN  [warden]` prefix of stderr.
    let warn = syslogd.wait_for(|l| l.contains("tool.sh")).expect("the audit warning");
    assert!(msg(&w, &warn, LOCAL3, 4).starts_with("web root: "), "{warn}");
    // Info: access lines, a hostile request line escaped (no second line, no escape byte).
    assert_eq!(w.get("/health.txt").status, 200);
    let mut s = connect(w.addr);
    send_lossy(&mut s, b"GET /a\x1bb\"c HTTP/1.1\r\nHost: x\r\n\r\n");
    let _ = read_to_close(&mut s);
    let ok = syslogd
        .wait_for(|l| l.contains("GET /health.txt"))
        .expect("access line");
    let ok = msg(&w, &ok, LOCAL3, 6);
    assert!(ok.starts_with("127.0.0.1 - - ["), "{ok}");
    assert!(ok.ends_with("\"GET /health.txt HTTP/1.1\" 200 8"), "{ok}");
    let bad = syslogd
        .wait_for(|l| l.contains("GET /a"))
        .expect("access line of the bad request");
    assert!(
        msg(&w, &bad, LOCAL3, 6).contains("\"GET /a\\x1bb\\x22c HTTP/1.1\" 400"),
        "{bad}"
    );
    for l in syslogd.lines() {
        assert!(!l.contains('\n') && !l.contains('\x1b'), "{l:?}");
        let pri: u32 = l[1..l.find('>').unwrap()].parse().unwrap();
        assert_eq!(pri / 8, LOCAL3, "{l}");
    }
    // Nothing went to stderr.
    assert_eq!(w.stderr(), "");
}

#[test]
fn a_reader_that_stops_reading_never_stops_serving() {
    let root = WebRoot::new();
    let syslogd = Syslogd::bind(&root);
    let w = Warden::start(&root, &syslogd, &["--log-level", "warn"]);
    syslogd.stall();
    // Let the reader thread see the flag before the flood.
    thread::sleep(Duration::from_millis(100));
    let before = syslogd.lines().len();
    const N: usize = 300;
    let mut s = connect(w.addr);
    for _ in 0..N {
        send_raw(&mut s, &req("GET", "/health.txt", &[]));
        assert_eq!(read_response(&mut s, false).status, 200);
    }
    syslogd.resume();
    // Once the queue is drained, the next line that gets through is preceded by
    // the count of those that did not (requests until then are counted too).
    let mut extra = 0;
    let notice = loop {
        let seen = syslogd.lines().len();
        thread::sleep(Duration::from_millis(100));
        if syslogd.lines().len() != seen {
            continue;
        }
        assert_eq!(w.get("/health.txt").status, 200);
        extra += 1;
        if let Some(n) = syslogd.wait_for(|l| l.contains("line(s) dropped")) {
            break n;
        }
        assert!(extra < 5, "no dropped-lines notice: {:?}", &syslogd.lines()[before..]);
    };
    let notice = msg(&w, &notice, 3, 4).to_string();
    assert!(
        syslogd
            .wait_for(|l| l.contains("200 8") && l.contains("health"))
            .is_some()
    );
    let dropped: usize = notice
        .split("log: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("count in {notice:?}"));
    assert!(dropped > 0);
    // Every request is either logged or counted.
    thread::sleep(Duration::from_millis(200));
    let logged = syslogd.lines()[before..]
        .iter()
        .filter(|l| l.contains("GET /health.txt"))
        .count();
    assert_eq!(logged + dropped, N + extra, "logged {logged}, dropped {dropped}");
    assert_eq!(w.stderr(), "");
}

#[test]
fn a_reader_that_goes_away_sends_the_log_back_to_stderr() {
    let root = WebRoot::new();
    let mut syslogd = Syslogd::bind(&root);
    let w = Warden::start(&root, &syslogd, &[]);
    assert_eq!(w.get("/health.txt").status, 200);
    assert!(syslogd.wait_for(|l| l.contains("GET /health.txt")).is_some());
    syslogd.close();
    assert_eq!(w.get("/health.txt?after").status, 200);
    assert!(
        w.wait_stderr("\"GET /health.txt?after HTTP/1.1\" 200"),
        "stderr: {}",
        w.stderr()
    );
    let err = w.stderr();
    assert!(
        err.contains("WARN  [warden] syslog: the socket refused a line")
            && err.contains("cannot reconnect from its jail: logging to stderr from now on"),
        "{err}"
    );
    assert_eq!(w.get("/health.txt?again").status, 200);
    assert!(w.wait_stderr("?again"));
    assert_eq!(err.matches("refused a line").count(), 1);
}

#[test]
fn a_socket_missing_at_start_logs_to_stderr() {
    let root = WebRoot::new();
    let missing = root.outside().join("no-syslogd-here");
    let missing = missing.to_str().unwrap();
    let s = Server::start(root.path(), &["--syslog", "--syslog-socket", missing]);
    assert!(
        s.log_text().contains("--syslog: ") && s.log_text().contains("logging to stderr instead"),
        "{}",
        s.log_text()
    );
    s.assert_healthy();
    assert!(s.wait_for_log(|l| l.contains("GET /health.txt")).is_some());
}

#[test]
fn fatal_errors_go_to_stderr_and_syslog() {
    let root = WebRoot::new();
    let syslogd = Syslogd::bind(&root);
    // A port in use: fatal after the flags were read and the socket opened.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(warden_bin())
        .arg("--root")
        .arg(root.path())
        .args(["--listen", &addr, "--syslog", "--syslog-socket"])
        .arg(&syslogd.path)
        .output()
        .expect("run warden");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("warden: ") && err.contains(&addr), "{err}");
    let line = syslogd
        .wait_for(|l| l.contains(&addr))
        .expect("the fatal error on syslog");
    // daemon (3) * 8 + err (3)
    assert!(line.starts_with("<27>") && line.contains("]: warden: "), "{line}");
}

#[test]
fn flags_refuse_what_they_cannot_use() {
    for (args, msg) in [
        (&["--syslog-facility", "local0"][..], "--syslog-facility needs --syslog"),
        (&["--syslog-socket", "/dev/log"][..], "--syslog-socket needs --syslog"),
        (
            &["--syslog", "--syslog-facility", "kern"][..],
            "--syslog-facility kern: use user, daemon, auth, authpriv, local0",
        ),
        (&["--syslog", "--syslog-socket", "dev/log"][..], "an absolute path"),
    ] {
        let root = WebRoot::new();
        let mut all = vec!["--root", root.path().to_str().unwrap(), "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let out = run_cli(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(msg), "{args:?}: {}", out.stderr);
    }
    // --check with --syslog: the report still on stdout, the socket opened (or said missing).
    let root = WebRoot::new();
    let syslogd = Syslogd::bind(&root);
    let out = Command::new(warden_bin())
        .arg("--root")
        .arg(root.path())
        .args(["--listen", "127.0.0.1:0", "--check", "--syslog", "--syslog-socket"])
        .arg(&syslogd.path)
        .output()
        .expect("run warden");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("seccomp:"), "{report}");
    let _ = std::io::stderr().write_all(&out.stderr);
}
