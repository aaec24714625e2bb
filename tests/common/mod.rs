//! Test harness for the warden integration tests (std, and nix for the euid).
//!
//! * [`WebRoot`]: a unique temporary directory holding a web root (`www/`) and a sibling
//!   directory outside of it (`outside/`), removed on drop. Every web root starts with
//!   `health.txt` (contents [`HEALTH_BODY`]) so tests can check that the server still works.
//! * [`Server`]: a running `warden` process bound to `127.0.0.1:0`, killed on drop.
//! * HTTPS, the `WARDEN_TEST_TLS` switch (`tls_relay.rs`, `tls_relay.py`): with
//!   `WARDEN_TEST_TLS=1` (TLS 1.3; `1.2` caps the version; unset, empty or `0`: off, the
//!   harness exactly as without it) [`Server::start`] and [`Server::start_args`] start warden
//!   with `--listen-tls 127.0.0.1:0 --tls-cert C --tls-key K` in place of the one
//!   `--listen 127.0.0.1:0` (other flags kept), with a throwaway ECDSA P-256 certificate the
//!   `openssl` tool makes once per test process in a directory of its own outside every web
//!   root (key mode 600, removed at exit). A TLS-terminating relay (`tls_relay.py`, Python's
//!   ssl, that is OpenSSL against warden's rustls) then listens on `127.0.0.1:0`, becomes
//!   [`Server::addr`] (and `addrs`), and turns each plain connection into a TLS one to warden,
//!   with half-closes, closes and resets carried across, so a test speaks plain HTTP/1.1 to
//!   `addr` unchanged. Not switched (plain, with a `WARDEN_TEST_TLS: plain HTTP ...` line on
//!   stderr): a test that chooses its own listeners (`--listen` other than one
//!   `127.0.0.1:0`, or none), configures HTTPS itself, or gives `--max-connections` (a full
//!   table is answered 503 on plain HTTP only; HTTPS closes, nothing can be said before a
//!   handshake); and [`Server::start_cmd`] (a prepared command may hold what cannot be copied
//!   into another). [`tls_enabled`] tells a test the switch is on; [`Server::is_tls`] whether
//!   its server is behind the relay. Through the relay the server sees the relay's address as
//!   the peer, at most `--max-tls-connections` (default 32) connections are open at once (a
//!   new one past that is closed), and TCP-level timing (resets, the moment of a close) is the
//!   relay's approximation of warden's; warden closing without close_notify reaches the
//!   test as a clean FIN. On a test's failure the relay's diagnostics are printed too.
//! * Raw client helpers: every socket gets a read/write timeout of [`IO_TIMEOUT`] so a server
//!   bug never hangs the suite.
//! * Skips: [`require`] is the only way a test skips, and fails instead under `CI=true`;
//!   [`skip_under_emulator`] covers what qemu-user (cross/test) cannot do.
#![allow(dead_code)]

pub mod backend;
pub mod http1;
mod tls_relay;

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Safety bound for every socket read/write and process wait. Never a performance criterion.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Contents of `health.txt`, present in every [`WebRoot`].
pub const HEALTH_BODY: &[u8] = b"healthy\n";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

// ---------------------------------------------------------------------------------------------
// WebRoot
// ---------------------------------------------------------------------------------------------

/// A temporary directory `BASE` with `BASE/www` (the web root) and `BASE/outside`.
pub struct WebRoot {
    base: PathBuf,
    root: PathBuf,
    outside: PathBuf,
}

impl WebRoot {
    pub fn new() -> WebRoot {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let base = std::env::temp_dir().join(format!("warden-test-{}-{}-{}", std::process::id(), n, nanos));
        let root = base.join("www");
        let outside = base.join("outside");
        std::fs::create_dir_all(&root).expect("create web root");
        std::fs::create_dir_all(&outside).expect("create outside dir");
        let wr = WebRoot { base, root, outside };
        wr.file("health.txt", HEALTH_BODY);
        wr
    }

    /// The web root (pass this to `--root`).
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// A directory beside the web root, not reachable through the server.
    pub fn outside(&self) -> &Path {
        &self.outside
    }

    /// `ROOT/rel`.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.root.join(rel.trim_start_matches('/'))
    }

    /// Writes `ROOT/rel` (parents created).
    pub fn file(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        p
    }

    /// Writes `OUTSIDE/rel` (parents created).
    pub fn outside_file(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.outside.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        p
    }

    /// Creates the directory `ROOT/rel` (and parents).
    pub fn dir(&self, rel: &str) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
        p
    }

    /// Creates the symlink `ROOT/rel` pointing at `target` (used verbatim).
    pub fn symlink(&self, target: impl AsRef<Path>, rel: &str) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::os::unix::fs::symlink(target.as_ref(), &p).unwrap_or_else(|e| panic!("symlink {}: {e}", p.display()));
        p
    }

    /// Creates a FIFO at `ROOT/rel` with the `mkfifo` tool.
    pub fn fifo(&self, rel: &str) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        let st = Command::new("mkfifo").arg(&p).status().expect("run mkfifo");
        assert!(st.success(), "mkfifo {} failed: {st}", p.display());
        p
    }

    /// Creates a listening Unix socket at `ROOT/rel`; keep the listener alive while testing.
    pub fn unix_socket(&self, rel: &str) -> std::os::unix::net::UnixListener {
        let p = self.join(rel);
        std::os::unix::net::UnixListener::bind(&p).unwrap_or_else(|e| panic!("bind unix socket {}: {e}", p.display()))
    }

    /// Sets the mtime of `ROOT/rel` to `unix_secs` (whole seconds).
    pub fn set_mtime(&self, rel: &str, unix_secs: u64) {
        let p = self.join(rel);
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
        f.set_modified(UNIX_EPOCH + Duration::from_secs(unix_secs))
            .unwrap_or_else(|e| panic!("set mtime {}: {e}", p.display()));
    }
}

impl Default for WebRoot {
    fn default() -> Self {
        WebRoot::new()
    }
}

impl AsRef<Path> for WebRoot {
    fn as_ref(&self) -> &Path {
        &self.root
    }
}

impl Drop for WebRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

// ---------------------------------------------------------------------------------------------
// Skips (STYLE.md habit 16: a skip is a failure under `CI=true`)
// ---------------------------------------------------------------------------------------------

/// Threads an emulator adds to every process (0 natively).
pub fn emulator_threads() -> usize {
    std::env::var("WARDEN_TEST_EXTRA_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The test process's throwaway certificate and key (ECDSA P-256, self-signed, for
/// localhost and 127.0.0.1; made once with the `openssl` tool outside every web root).
pub fn test_cert() -> (&'static Path, &'static Path) {
    let f = tls_relay::files();
    (&f.cert, &f.key)
}

/// True in CI (`CI=true`), where every prerequisite of every test must be present.
pub fn is_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The one way a test skips: `true` if `ok`. Otherwise the test is skipped with a
/// `skipped: WHAT` line on stderr (the caller returns on `false`), except under `CI=true`,
/// where the missing prerequisite fails the test instead.
pub fn require(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    assert!(!is_ci(), "{what} (a skip is a failure under CI=true)");
    eprintln!("skipped: {what}");
    false
}

/// [`require`] of root (the jail and id-drop tests chroot and drop ids for real).
pub fn require_root() -> bool {
    require(nix::unistd::geteuid().is_root(), "needs root")
}

/// The only skip `CI=true` allows, for what qemu-user (cross/test, which exports
/// `WARDEN_TEST_EXTRA_THREADS`) cannot do: `true` (skip, with a `skipped under an
/// emulator: WHAT` line) when running under the emulator; natively `false`, so the test
/// goes on and a missing prerequisite meets [`require`] (or an assertion) instead.
pub fn skip_under_emulator(what: &str) -> bool {
    if emulator_threads() == 0 {
        return false;
    }
    eprintln!("skipped under an emulator: {what}");
    true
}

// ---------------------------------------------------------------------------------------------
// Server process
// ---------------------------------------------------------------------------------------------

pub fn warden_bin() -> &'static str {
    env!("CARGO_BIN_EXE_warden")
}

/// A running `warden`. Killed (SIGKILL) and reaped on drop.
pub struct Server {
    child: Child,
    exited: Option<ExitStatus>,
    /// First listening address announced (the `127.0.0.1:0` listener); under
    /// `WARDEN_TEST_TLS`, the relay's (plain HTTP to it, HTTPS from it to warden).
    pub addr: SocketAddr,
    /// Every announced `http://` listening address, in announcement order; under
    /// `WARDEN_TEST_TLS`, the relay's alone.
    pub addrs: Vec<SocketAddr>,
    /// Every announced `https://` listening address (warden's own TLS listeners).
    pub tls_addrs: Vec<SocketAddr>,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
    /// The TLS-terminating relay in front of warden (`WARDEN_TEST_TLS`).
    relay: Option<tls_relay::Relay>,
}

impl Server {
    /// Starts `warden --root ROOT --listen 127.0.0.1:0 EXTRA...` and waits (at most 10 s) for the
    /// `listening on` line of every `--listen` given (under `WARDEN_TEST_TLS`: HTTPS and the
    /// relay, see the top of this file).
    pub fn start(root: impl AsRef<Path>, extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec![
            "--root".into(),
            root.as_ref().to_string_lossy().into_owned(),
            "--listen".into(),
            "127.0.0.1:0".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Server::start_args(&args)
    }

    /// Starts `warden ARGS...` verbatim; under `WARDEN_TEST_TLS` with its one
    /// `--listen 127.0.0.1:0` turned into HTTPS behind the relay (see the top of this file).
    pub fn start_args(args: &[String]) -> Server {
        let Some(version) = tls_relay::switch() else {
            return Server::spawn(Server::command(args));
        };
        let args = match tls_relay::rewrite(args) {
            Ok(a) => a,
            Err(why) => {
                eprintln!("WARDEN_TEST_TLS: plain HTTP for this server: {why}");
                return Server::spawn(Server::command(args));
            }
        };
        let mut s = Server::spawn(Server::command(&args));
        let upstream = *s.tls_addrs.first().expect("an https:// listener announced");
        let relay = tls_relay::Relay::start(upstream, version);
        s.addr = relay.addr;
        s.addrs = vec![relay.addr];
        s.relay = Some(relay);
        s
    }

    fn command(args: &[String]) -> Command {
        let mut cmd = Command::new(warden_bin());
        cmd.args(args);
        cmd
    }

    /// Starts a prepared `warden` command (e.g. with `CommandExt::uid` set): stdin and stdout
    /// become null and stderr a pipe, as in [`Server::start_args`], which waits the same way.
    /// Plain HTTP whatever `WARDEN_TEST_TLS` says (the command is run as prepared).
    pub fn start_cmd(cmd: Command) -> Server {
        if tls_relay::switch().is_some() {
            eprintln!("WARDEN_TEST_TLS: plain HTTP for this server: Server::start_cmd runs its command as prepared");
        }
        Server::spawn(cmd)
    }

    /// [`Server::start_cmd`] without the switch's note.
    fn spawn(mut cmd: Command) -> Server {
        let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let listens = |flag: &str| args.iter().filter(|a| *a == flag).count();
        let expected = (listens("--listen") + listens("--listen-tls")).max(1);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn warden");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let log2 = Arc::clone(&log);
        let reader = thread::spawn(move || {
            let mut r = std::io::BufReader::new(stderr);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match std::io::BufRead::read_until(&mut r, b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf).trim_end_matches(['\r', '\n']).to_string();
                        log2.lock().unwrap().push(line.clone());
                        let _ = tx.send(line);
                    }
                }
            }
        });

        let deadline = Instant::now() + IO_TIMEOUT;
        let mut addrs = Vec::new();
        let mut tls_addrs = Vec::new();
        while addrs.len() + tls_addrs.len() < expected {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    for (scheme, list) in [("http://", &mut addrs), ("https://", &mut tls_addrs)] {
                        let announced = format!("listening on {scheme}");
                        if let Some(pos) = line.find(&announced) {
                            let rest = &line[pos + announced.len()..];
                            let token = rest.split_whitespace().next().unwrap_or("");
                            let token = token.trim_end_matches('/');
                            let addr: SocketAddr = token.parse().unwrap_or_else(|e| {
                                panic!("cannot parse listen address {token:?} in line {line:?}: {e}")
                            });
                            list.push(addr);
                        }
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let st = child.wait();
                    let lines = log.lock().unwrap().join("\n");
                    panic!(
                        "warden did not announce {expected} listener(s) ({e:?}; exit: {st:?}); \
                         args {args:?}; stderr so far:\n{lines}"
                    );
                }
            }
        }
        Server {
            child,
            exited: None,
            addr: addrs
                .first()
                .or(tls_addrs.first())
                .copied()
                .expect("a listener announced"),
            addrs,
            tls_addrs,
            log,
            reader: Some(reader),
            relay: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// True when this server is reached through the TLS relay (`WARDEN_TEST_TLS`).
    pub fn is_tls(&self) -> bool {
        self.relay.is_some()
    }

    /// The relay's process id (`WARDEN_TEST_TLS`), for a test that must tell it apart.
    pub fn relay_pid(&self) -> Option<u32> {
        self.relay.as_ref().map(tls_relay::Relay::pid)
    }

    /// The relay's diagnostics (`tls_relay: ...` lines; empty without the relay). They are
    /// printed when a test fails.
    pub fn relay_log(&self) -> Vec<String> {
        self.relay.as_ref().map(tls_relay::Relay::log_lines).unwrap_or_default()
    }

    /// Warden is gone: so is the relay's listener, as warden's would be.
    fn exited_now(&mut self, st: ExitStatus) -> ExitStatus {
        self.exited = Some(st);
        if let Some(r) = self.relay.as_mut() {
            r.stop_listening();
        }
        st
    }

    /// All stderr lines read so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn log_text(&self) -> String {
        self.log_lines().join("\n")
    }

    /// Polls the stderr lines (at most `IO_TIMEOUT`) for one satisfying `pred`.
    pub fn wait_for_log(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            if let Some(l) = self.log.lock().unwrap().iter().find(|l| pred(l)) {
                return Some(l.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `sig` (e.g. "TERM", "INT") with the `kill` tool.
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} {} failed", self.pid());
    }

    /// Waits at most `IO_TIMEOUT` for the process to exit.
    pub fn wait_exit(&mut self) -> Option<ExitStatus> {
        if let Some(st) = self.exited {
            return Some(st);
        }
        let deadline = Instant::now() + IO_TIMEOUT;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return Some(self.exited_now(st));
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then a bounded wait. Panics (after SIGKILL) if it does not exit in time.
    pub fn terminate(&mut self) -> ExitStatus {
        self.terminate_with("TERM")
    }

    pub fn terminate_with(&mut self, sig: &str) -> ExitStatus {
        self.signal(sig);
        match self.wait_exit() {
            Some(st) => st,
            None => {
                let _ = self.child.kill();
                let st = self.child.wait();
                self.exited = st.as_ref().ok().copied();
                panic!(
                    "warden did not exit within {IO_TIMEOUT:?} after SIG{sig}; stderr:\n{}",
                    self.log_text()
                );
            }
        }
    }

    /// Stops the server (SIGTERM, SIGKILL if needed) and returns every stderr line it wrote.
    pub fn stop_and_collect_log(&mut self) -> Vec<String> {
        if self.exited.is_none() {
            let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
            if self.wait_exit().is_none() {
                let _ = self.child.kill();
                if let Ok(st) = self.child.wait() {
                    self.exited_now(st);
                }
            }
        }
        if let Some(h) = self.reader.take() {
            let deadline = Instant::now() + IO_TIMEOUT;
            while !h.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
        self.log_lines()
    }

    /// A value from `/proc/PID/status` (e.g. "Threads", "VmRSS").
    pub fn proc_status_field(&self, field: &str) -> Option<String> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        s.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .map(|v| v.trim().to_string())
    }

    /// Threads of warden itself: the `Threads:` count less the ones an emulator adds
    /// (`WARDEN_TEST_EXTRA_THREADS`, set by cross/test: qemu-user runs one of its own).
    pub fn thread_count(&self) -> usize {
        let v = self
            .proc_status_field("Threads")
            .expect("Threads: line in /proc/PID/status");
        let all: usize = v.parse().expect("numeric Threads value");
        all - emulator_threads()
    }

    // --- client helpers bound to this server ---

    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    /// New connection, one request, one response (HEAD detected from the request bytes).
    pub fn roundtrip(&self, raw: &[u8]) -> Response {
        let mut s = self.connect();
        send_raw(&mut s, raw);
        read_response(&mut s, raw.starts_with(b"HEAD "))
    }

    pub fn get(&self, target: &str) -> Response {
        self.roundtrip(&req("GET", target, &[]))
    }

    pub fn get_h(&self, target: &str, headers: &[&str]) -> Response {
        self.roundtrip(&req("GET", target, headers))
    }

    pub fn head_h(&self, target: &str, headers: &[&str]) -> Response {
        self.roundtrip(&req("HEAD", target, headers))
    }

    /// A fresh connection gets `200` and the body of `health.txt`.
    pub fn assert_healthy(&self) {
        let r = self.get("/health.txt");
        assert_eq!(r.status, 200, "server no longer healthy: GET /health.txt -> {r:?}");
        assert_eq!(r.body, HEALTH_BODY, "health.txt body");
    }

    /// Sends `raw` on a new connection and expects an error `status`, `Connection: close`, a
    /// text/plain body, then the connection closed by the server; afterwards a fresh connection
    /// must still get 200. The request may be cut short by the server (write errors ignored).
    pub fn expect_reject(&self, raw: &[u8], status: u16) -> Response {
        let mut s = self.connect();
        send_lossy(&mut s, raw);
        let r = try_read_response(&mut s, raw.starts_with(b"HEAD "))
            .unwrap_or_else(|e| panic!("request {:?}: expected {status}, got no response: {e}", show(raw)));
        assert_eq!(
            r.status,
            status,
            "request {:?}: expected {status}, got {r:?}",
            show(raw)
        );
        assert_common_headers(&r);
        assert_connection_close(&r);
        if raw.starts_with(b"HEAD ") {
            assert_closed_ctx(
                &mut s,
                &format!("{status} to HEAD (RFC 9110 §9.3.2: a response to HEAD carries no content)"),
            );
        } else {
            assert_closed(&mut s);
        }
        self.assert_healthy();
        r
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Outcome of a warden run that is expected to exit by itself.
#[derive(Debug)]
pub struct CliOutcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `warden ARGS...` expecting it to exit within `IO_TIMEOUT` (killed and panics otherwise).
/// Arguments may be any OS strings (non-UTF-8 included).
pub fn run_cli<S: AsRef<std::ffi::OsStr> + fmt::Debug>(args: &[S]) -> CliOutcome {
    let mut cmd = Command::new(warden_bin());
    cmd.args(args);
    run_to_exit(cmd, b"", IO_TIMEOUT)
}

/// Runs a prepared command with `input` on its stdin (then end of file), expecting it to
/// exit within `timeout` (killed and panics otherwise); stdout and stderr are collected.
pub fn run_to_exit(mut cmd: Command, input: &[u8], timeout: Duration) -> CliOutcome {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {shown}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin piped");
    let input = input.to_vec();
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let t_out = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(st) = child.try_wait().expect("try_wait") {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let e = t_err.join().unwrap_or_default();
            panic!(
                "{shown} did not exit within {timeout:?}; stderr:\n{}",
                String::from_utf8_lossy(&e)
            );
        }
        thread::sleep(Duration::from_millis(10));
    };
    let _ = feeder.join();
    CliOutcome {
        status,
        stdout: String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Raw client
// ---------------------------------------------------------------------------------------------

/// Connects with read/write timeouts of `IO_TIMEOUT` and TCP_NODELAY.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Writes all bytes; panics on error.
pub fn send_raw(s: &mut TcpStream, bytes: &[u8]) {
    s.write_all(bytes)
        .unwrap_or_else(|e| panic!("write {:?}: {e}", show(bytes)));
}

/// Writes all bytes, ignoring errors (the server may legitimately close early).
pub fn send_lossy(s: &mut TcpStream, bytes: &[u8]) {
    let _ = s.write_all(bytes);
}

/// Builds `METHOD TARGET HTTP/1.1` with `Host: localhost` followed by `headers` (each a full
/// `Name: value` line without CRLF).
pub fn req(method: &str, target: &str, headers: &[&str]) -> Vec<u8> {
    req_v(method, target, "HTTP/1.1", &{
        let mut h = vec!["Host: localhost"];
        h.extend_from_slice(headers);
        h
    })
}

/// Builds a request with an explicit version and exactly the given header lines.
pub fn req_v(method: &str, target: &str, version: &str, headers: &[&str]) -> Vec<u8> {
    let mut s = format!("{method} {target} {version}\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// A parsed response.
#[derive(Clone)]
pub struct Response {
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// (lower-case name, value) in order of appearance.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let n = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str())
    }

    pub fn header_count(&self, name: &str) -> usize {
        let n = name.to_ascii_lowercase();
        self.headers.iter().filter(|(k, _)| *k == n).count()
    }

    pub fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// Value of a header that must be present.
    pub fn h(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("missing header {name} in {self:?}"))
    }

    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")
            .map(|v| v.parse().unwrap_or_else(|_| panic!("bad Content-Length {v:?}")))
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// True if a `Connection` header lists `token` (case-insensitive).
    pub fn connection_has(&self, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k == "connection")
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.version, self.status, self.reason)?;
        for (k, v) in &self.headers {
            write!(f, " | {k}: {v}")?;
        }
        let b = &self.body[..self.body.len().min(200)];
        write!(f, " | body({} bytes): {:?}", self.body.len(), show(b))
    }
}

/// Printable form of raw bytes for messages (truncated).
pub fn show(bytes: &[u8]) -> String {
    let b = &bytes[..bytes.len().min(300)];
    let mut s = String::from_utf8_lossy(b).escape_debug().to_string();
    if bytes.len() > 300 {
        s.push_str(&format!("...({} bytes)", bytes.len()));
    }
    s
}

/// Reads one response. `head_only`: the request was HEAD (no body is read). No body is read
/// for 1xx, 204 and 304 either; otherwise exactly Content-Length bytes (which must be present).
pub fn read_response<R: Read>(r: &mut R, head_only: bool) -> Response {
    try_read_response(r, head_only).unwrap_or_else(|e| panic!("reading response: {e}"))
}

pub fn try_read_response<R: Read>(r: &mut R, head_only: bool) -> Result<Response, String> {
    let mut buf = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    // One byte at a time: nothing after the head is consumed from the stream.
    let head = loop {
        if buf.ends_with(b"\r\n\r\n") {
            if let Some(head) = http1::parse_head(&buf)? {
                break head;
            }
        }
        if buf.len() > 65536 {
            return Err(format!("response head over 64 KiB: {}", show(&buf)));
        }
        match r.read(&mut byte) {
            Ok(0) => {
                return Err(format!(
                    "connection closed after {} head bytes: {:?}",
                    buf.len(),
                    show(&buf)
                ));
            }
            Ok(_) => buf.push(byte[0]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(format!(
                    "read error {e} ({:?}) after {} head bytes: {:?}",
                    e.kind(),
                    buf.len(),
                    show(&buf)
                ));
            }
        }
    };
    let len = head.body_len(head_only)?;
    let mut resp = Response {
        version: head.version,
        status: head.status,
        reason: head.reason,
        headers: head.headers,
        body: Vec::new(),
    };
    if len > 64 << 20 {
        return Err(format!("refusing to read body of {len} bytes"));
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body)
        .map_err(|e| format!("reading {len} body bytes: {e} ({resp:?})"))?;
    resp.body = body;
    Ok(resp)
}

/// Reads until EOF (or a reset); returns everything received.
pub fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                return out;
            }
            Err(e) => panic!(
                "connection not closed by server within {IO_TIMEOUT:?} ({e}); got so far: {:?}",
                show(&out)
            ),
        }
    }
}

/// Result of waiting for a connection to end.
#[derive(Debug, PartialEq, Eq)]
pub enum CloseKind {
    /// Orderly FIN (read returned 0).
    Eof,
    /// ECONNRESET / ECONNABORTED.
    Reset,
}

/// Asserts the server closes the connection (within `IO_TIMEOUT`) without sending anything more.
pub fn assert_closed(s: &mut TcpStream) -> CloseKind {
    assert_closed_ctx(s, "")
}

/// [`assert_closed`] with a context string for the failure message.
pub fn assert_closed_ctx(s: &mut TcpStream, ctx: &str) -> CloseKind {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return CloseKind::Eof,
            Ok(n) => panic!(
                "{ctx}: expected the server to close the connection, got {n} more bytes: {:?}",
                show(&buf[..n])
            ),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => {
                return CloseKind::Reset;
            }
            Err(e) => {
                panic!("{ctx}: connection not closed by the server within {IO_TIMEOUT:?}: {e}")
            }
        }
    }
}

/// True if the connection is still open: nothing readable and no EOF within `wait`.
pub fn is_open_for(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 1];
    let r = s.read(&mut buf);
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    match r {
        Ok(0) => false,
        Ok(_) => panic!("unexpected byte {:?} on an idle connection", buf[0] as char),
        Err(e) => matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

/// Half-closes our side (no more requests).
pub fn shutdown_write(s: &TcpStream) {
    let _ = s.shutdown(Shutdown::Write);
}

// ---------------------------------------------------------------------------------------------
// Assertions on responses
// ---------------------------------------------------------------------------------------------

/// Headers every response must carry (spec "Every response"): status line `HTTP/1.1`, one
/// IMF-fixdate `Date` (RFC 9110 §6.6.1), `Server: warden` without version (§10.2.4),
/// `Content-Length` on every status but 304 and never on 304, `X-Content-Type-Options: nosniff`.
pub fn assert_common_headers(r: &Response) {
    assert_eq!(r.version, "HTTP/1.1", "status line version in {r:?}");
    assert_eq!(r.header_count("date"), 1, "exactly one Date in {r:?}");
    let date = r.h("date");
    let t = parse_imf_fixdate(date).unwrap_or_else(|| panic!("Date {date:?} is no IMF-fixdate"));
    let now = unix_now() as i64;
    assert!((t - now).abs() < 600, "Date {date:?} far from the current time");
    assert_eq!(r.header("server"), Some("warden"), "Server header in {r:?}");
    if r.status == 304 {
        assert!(!r.has("content-length"), "304 must not carry Content-Length: {r:?}");
    } else {
        assert_eq!(
            r.header_count("content-length"),
            1,
            "exactly one Content-Length in {r:?}"
        );
        r.content_length();
    }
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "nosniff in {r:?}");
}

/// Headers of file responses (200/206/304): Last-Modified (IMF-fixdate), strong ETag,
/// Accept-Ranges: bytes; and Content-Type on 200/206.
pub fn assert_file_headers(r: &Response) {
    let lm = r.h("last-modified");
    assert!(
        parse_imf_fixdate(lm).is_some(),
        "Last-Modified {lm:?} is no IMF-fixdate"
    );
    let etag = r.h("etag");
    assert!(is_strong_etag(etag), "ETag {etag:?} is not a strong entity-tag");
    assert_eq!(r.header("accept-ranges"), Some("bytes"), "Accept-Ranges in {r:?}");
    if r.status == 200 || r.status == 206 {
        assert!(r.has("content-type"), "Content-Type missing in {r:?}");
    }
}

/// `"..."` with etagc characters only (RFC 9110 §8.8.3), not `W/`.
pub fn is_strong_etag(e: &str) -> bool {
    e.len() >= 2
        && e.starts_with('"')
        && e.ends_with('"')
        && e[1..e.len() - 1]
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
}

pub fn assert_connection_close(r: &Response) {
    assert!(r.connection_has("close"), "expected Connection: close in {r:?}");
}

pub fn assert_error_body(r: &Response) {
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "error Content-Type in {r:?}"
    );
    assert_eq!(r.content_length(), Some(r.body.len() as u64), "error body length");
}

// ---------------------------------------------------------------------------------------------
// Dates (RFC 9110 §5.6.7)
// ---------------------------------------------------------------------------------------------

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 = Thu
const LONG_DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Parts {
    wday: usize,
    y: i64,
    mo: usize,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
}

fn parts(t: u64) -> Parts {
    let t = t as i64;
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    Parts {
        wday: days.rem_euclid(7) as usize,
        y,
        mo: (m - 1) as usize,
        d,
        h: secs / 3600,
        mi: secs % 3600 / 60,
        s: secs % 60,
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
pub fn imf_fixdate(t: u64) -> String {
    let p = parts(t);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[p.wday], p.d, MONTHS[p.mo], p.y, p.h, p.mi, p.s
    )
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
pub fn rfc850_date(t: u64) -> String {
    let p = parts(t);
    format!(
        "{}, {:02}-{}-{:02} {:02}:{:02}:{:02} GMT",
        LONG_DAYS[p.wday],
        p.d,
        MONTHS[p.mo],
        p.y % 100,
        p.h,
        p.mi,
        p.s
    )
}

/// `Sun Nov  6 08:49:37 1994`
pub fn asctime_date(t: u64) -> String {
    let p = parts(t);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {:04}",
        DAYS[p.wday], MONTHS[p.mo], p.d, p.h, p.mi, p.s, p.y
    )
}

/// Strict IMF-fixdate parser; returns unix seconds.
pub fn parse_imf_fixdate(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || !s.ends_with(" GMT") {
        return None;
    }
    let wday = DAYS.iter().position(|d| *d == &s[0..3])?;
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let d = num(5..7)?;
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let mo = MONTHS.iter().position(|m| *m == &s[8..11])? as i64 + 1;
    let y = num(12..16)?;
    let (h, mi, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    if days.rem_euclid(7) as usize != wday {
        return None;
    }
    Some(days * 86400 + h * 3600 + mi * 60 + sec)
}

// ---------------------------------------------------------------------------------------------
// Misc
// ---------------------------------------------------------------------------------------------

/// True when `WARDEN_TEST_TLS` is on: servers started by [`Server::start`] and
/// [`Server::start_args`] serve HTTPS through the relay (see the top of this file).
pub fn tls_enabled() -> bool {
    tls_relay::switch().is_some()
}

/// True if an IPv6 loopback socket can be bound here.
pub fn ipv6_loopback_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

/// Finds `needle` in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Descriptors
// ---------------------------------------------------------------------------------------------

/// Open descriptors of `pid`, if /proc lets us count them.
pub fn fd_count(pid: u32) -> Option<usize> {
    std::fs::read_dir(format!("/proc/{pid}/fd")).ok().map(|d| d.count())
}

/// `pid`'s descriptors and what each points at, by number (empty if /proc cannot tell; a
/// descriptor closed while it is read is left out).
pub fn fd_targets(pid: u32) -> Vec<(usize, PathBuf)> {
    let mut v: Vec<(usize, PathBuf)> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().parse().ok()?;
                    Some((n, std::fs::read_link(e.path()).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `fd -> target` for each of `pid`'s descriptors, for failure messages.
pub fn fd_list(pid: u32) -> String {
    let v = fd_targets(pid);
    v.iter()
        .map(|(n, t)| format!("{n}->{}", t.display()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Waits (at most `IO_TIMEOUT`) until `pid`'s descriptor count satisfies `ok`.
pub fn wait_fd_count(pid: u32, ok: impl Fn(usize) -> bool, what: &str) -> usize {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let n = fd_count(pid).unwrap_or_else(|| panic!("cannot read /proc/{pid}/fd"));
        if ok(n) {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: descriptor count stuck at {n}: {}",
            fd_list(pid)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The server's descriptor count once start-up is over ("listening on" is printed before
/// the access-log descriptor, the signal fd and the reserve exist; "serving ..." after).
/// Includes descriptors inherited from the test process (cargo's jobserver pipe, say).
pub fn settled_fd_count(s: &Server) -> usize {
    assert!(
        s.wait_for_log(|l| l.contains("connection slots")).is_some(),
        "no 'serving ... connection slots' line; log:\n{}",
        s.log_text()
    );
    fd_count(s.pid()).expect("count the server's descriptors")
}

/// The settled count once each of `paths` was served: the file cache (filecache.rs) then
/// holds one descriptor per file (none of them has a `.gz`), which later requests reuse.
/// Counting them into the base keeps "back to the base" a test for leaks.
pub fn warm_fd_count(s: &Server, paths: &[&str]) -> usize {
    let settled = settled_fd_count(s);
    for p in paths {
        assert_eq!(s.head_h(p, &[]).status, 200, "warm-up HEAD {p}");
    }
    let want = settled + paths.len();
    wait_fd_count(s.pid(), |n| n == want, "warm-up requests closed, their files cached")
}

/// Bytes whose every 8-byte word holds `tag` (top byte) and its own offset: a body from the
/// wrong file or the wrong offset shows at the first wrong word.
pub fn pattern(tag: u8, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    for (i, w) in v.chunks_mut(8).enumerate() {
        let word = (u64::from(tag) << 56) | (i as u64 * 8);
        let n = w.len();
        w.copy_from_slice(&word.to_le_bytes()[..n]);
    }
    v
}
