//! The `WARDEN_TEST_TLS` switch (see the top of `mod.rs`): the throwaway certificate, the
//! rewrite of warden's arguments, and the TLS-terminating relay (`tls_relay.py`, Python's ssl,
//! that is OpenSSL) that lets a test keep speaking plain HTTP/1.1 to `Server::addr`.

use super::IO_TIMEOUT;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

/// The switch, read once: `None` (unset, empty or `0`: plain HTTP, the harness as it always
/// was), else the highest TLS version the relay offers (`1` and `1.3`: TLS 1.3; `1.2`).
pub(crate) fn switch() -> Option<&'static str> {
    static SWITCH: OnceLock<Option<&'static str>> = OnceLock::new();
    *SWITCH.get_or_init(|| {
        let v = match std::env::var("WARDEN_TEST_TLS") {
            Err(std::env::VarError::NotPresent) => return None,
            Err(e) => panic!("WARDEN_TEST_TLS: {e}"),
            Ok(v) => v,
        };
        let version = match v.as_str() {
            "" | "0" => return None,
            "1" | "1.3" => "1.3",
            "1.2" => "1.2",
            _ => panic!("WARDEN_TEST_TLS={v:?}: use 1 (or 1.3), 1.2, or 0 (off)"),
        };
        if !cfg!(feature = "tls") {
            panic!("WARDEN_TEST_TLS={v}: warden is built without its tls feature");
        }
        Some(version)
    })
}

/// Flags with which a test configures HTTPS itself: the switch stays out of its way.
const TLS_FLAGS: [&str; 5] = [
    "--listen-tls",
    "--tls-cert",
    "--tls-key",
    "--max-tls-connections",
    "--redirect-https",
];

/// Flags of tests about what only plain HTTP does, and why.
const PLAIN_ONLY: [(&str, &str); 1] = [(
    "--max-connections",
    "a full table is answered 503 on plain HTTP only (HTTPS closes a connection it has no \
     room for: nothing can be said before a handshake)",
)];

/// `args` with its one `--listen 127.0.0.1:0` replaced by `--listen-tls 127.0.0.1:0
/// --tls-cert C --tls-key K`, everything else kept in place; or why the switch cannot apply.
/// A `--listen=ADDR` (the form the harness does not wait for) stays a listener of its own.
pub(crate) fn rewrite(args: &[String]) -> Result<Vec<String>, String> {
    // `--flag VALUE` or `--flag=VALUE`.
    let given = |flag: &str| {
        args.iter().any(|a| {
            a.strip_prefix(flag)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        })
    };
    if let Some(f) = TLS_FLAGS.iter().find(|f| given(f)) {
        return Err(format!("the test configures HTTPS itself ({f})"));
    }
    for (flag, why) in PLAIN_ONLY {
        if given(flag) {
            return Err(format!("{flag}: {why}"));
        }
    }
    let listens: Vec<usize> = (0..args.len()).filter(|&i| args[i] == "--listen").collect();
    let at = match listens[..] {
        [i] if args.get(i + 1).map(String::as_str) == Some("127.0.0.1:0") => i,
        [] => return Err("no --listen (warden's default address)".to_string()),
        _ => {
            let given: Vec<&str> = listens
                .iter()
                .map(|&i| args.get(i + 1).map_or("", String::as_str))
                .collect();
            return Err(format!(
                "the test chooses its listeners (--listen {})",
                given.join(", --listen ")
            ));
        }
    };
    let files = files();
    let mut out = args.to_vec();
    out.splice(
        at..at + 2,
        [
            "--listen-tls".to_string(),
            "127.0.0.1:0".to_string(),
            "--tls-cert".to_string(),
            files.cert.to_string_lossy().into_owned(),
            "--tls-key".to_string(),
            files.key.to_string_lossy().into_owned(),
        ],
    );
    Ok(out)
}

/// The throwaway certificate of this test process.
pub(crate) struct Files {
    dir: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

static FILES: OnceLock<Files> = OnceLock::new();

/// Made once per test process with the `openssl` tool: ECDSA P-256, self-signed, for
/// `localhost` and 127.0.0.1, in a directory of its own (mode 700, the key 600) beside the
/// web roots, inside none of them; removed when the process exits.
pub(crate) fn files() -> &'static Files {
    FILES.get_or_init(|| {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("warden-test-tls-{}-{nanos}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .unwrap_or_else(|e| panic!("WARDEN_TEST_TLS: create {}: {e}", dir.display()));
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
            .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("WARDEN_TEST_TLS needs the openssl tool: {e}"));
        assert!(
            out.status.success(),
            "WARDEN_TEST_TLS: openssl req failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod 600 the key");
        // SAFETY: registers a plain function without arguments; it runs at exit(3).
        unsafe {
            nix::libc::atexit(remove_files);
        }
        Files { dir, cert, key }
    })
}

extern "C" fn remove_files() {
    if let Some(f) = FILES.get() {
        let _ = std::fs::remove_dir_all(&f.dir);
    }
}

/// A running `tls_relay.py`: plain TCP on `addr`, TLS to warden. Killed and reaped on drop.
pub(crate) struct Relay {
    child: Child,
    /// Held open: the relay ends at its end of input (this process gone). Also its control:
    /// `stop` closes its listener.
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    log: Arc<Mutex<Vec<String>>>,
    stopped: bool,
    pub addr: SocketAddr,
}

impl Relay {
    /// Starts the relay towards warden's TLS listener `upstream` and waits (at most
    /// `IO_TIMEOUT`) for the address it listens on.
    pub fn start(upstream: SocketAddr, version: &str) -> Relay {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/tls_relay.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--upstream")
            .arg(upstream.to_string())
            .arg("--ca")
            .arg(&files().cert)
            .args(["--max-version", version])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("WARDEN_TEST_TLS needs python3 (with ssl) for {}: {e}", script.display()));
        let stdin = child.stdin.take();
        let (tx, stdout) = mpsc::channel();
        let out = child.stdout.take().expect("stdout piped");
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let log = Arc::new(Mutex::new(Vec::new()));
        let err = child.stderr.take().expect("stderr piped");
        let log2 = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                log2.lock().unwrap().push(line);
            }
        });
        let mut relay = Relay {
            child,
            stdin,
            stdout,
            log,
            stopped: false,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = relay.stdout.recv_timeout(IO_TIMEOUT);
        let addr = line
            .as_deref()
            .ok()
            .and_then(|l| l.strip_prefix("listening on "))
            .and_then(|a| a.parse().ok());
        match addr {
            Some(a) => relay.addr = a,
            None => {
                let _ = relay.child.kill();
                let st = relay.child.wait();
                panic!(
                    "tls_relay.py did not announce its address (got {line:?}; exit {st:?}); stderr:\n{}",
                    relay.log_lines().join("\n")
                );
            }
        }
        relay
    }

    /// Its diagnostics (stderr) so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Warden has exited: the relay closes its listener (a new connection is refused, as by
    /// warden's own) and connections open go on. Returns once the listener is closed.
    pub fn stop_listening(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let sent = self
            .stdin
            .as_mut()
            .is_some_and(|s| s.write_all(b"stop\n").and_then(|()| s.flush()).is_ok());
        let answer = sent.then(|| self.stdout.recv_timeout(IO_TIMEOUT));
        assert!(
            matches!(answer, Some(Ok(ref l)) if l == "stopped"),
            "tls_relay.py did not stop listening ({answer:?}); stderr:\n{}",
            self.log_lines().join("\n")
        );
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(self.stdin.take());
        if thread::panicking() {
            let lines = self.log_lines();
            if !lines.is_empty() {
                eprintln!("tls_relay.py said:\n{}", lines.join("\n"));
            }
        }
    }
}
