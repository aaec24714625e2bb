//! warden's start-up sequence, in this order, every step fatal on error:
//! inherited descriptors closed, stdin/stdout/stderr made safe (`confine::stdio_hygiene`)
//! → log sink over stderr (never blocks) → flags → validated config (ids resolved while /etc/passwd is visible) →
//! logger → web root directory → listeners → stderr for the access log →
//! signals → descriptor limit → web-root audit → confinement (chroot, id
//! drop, no_new_privs, rlimits, Landlock, report, seccomp) → serve. No thread exists
//! before the drop. Nothing prints with `println!`/`eprintln!` (they panic when a
//! write fails, e.g. EFBIG on a log file at its RLIMIT_FSIZE): stdout through
//! `logger::print_line`, stderr through the sink. Exit codes: 0 after a clean shutdown (or a `--check` that
//! found everything as planned), 1 if the loop fails or `--check` finds a
//! shortfall, 2 for a bad command line or a start-up failure.

use nix::fcntl::{OFlag, open};
use nix::sys::resource::Resource;
use nix::sys::signal::{SigHandler, SigSet, Signal, signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::stat::Mode;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::ExitCode;
use warden::auth::{self, Logins};
use warden::config::Config;
use warden::confine::{self, LandlockMode, Plan};
use warden::limits::{LOG_FILE_GROWTH, SPARE_FDS};
use warden::server::Server;
use warden::sink::Escaped;
use warden::{cli, listen, logger, seccomp, sink, version};

/// A start-up failure: one line for stderr, exit code 2.
struct Fatal(String);

/// A confinement failure or shortfall: exit 2, or 1 under `--check`, whose
/// job is to answer "is the confinement as planned?".
struct Confinement(String);

/// Why start-up stopped.
enum Stop {
    Fatal(Fatal),
    Confinement(Confinement),
}

impl From<Fatal> for Stop {
    fn from(f: Fatal) -> Stop {
        Stop::Fatal(f)
    }
}

fn main() -> ExitCode {
    // A tool mode, not a server: it reads stdin, which the hygiene below replaces.
    let argv_os: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv_os.iter().skip(1).any(|a| a == "--version" || a == "-V") {
        if argv_os.len() != 2 {
            logger::say(format_args!("warden: --version takes no other flag"));
            return ExitCode::from(2);
        }
        return if logger::print_line(&version::text()) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    if argv_os.iter().skip(1).any(|a| a == "--hash-password") {
        if argv_os.len() != 2 {
            logger::say(format_args!("warden: --hash-password takes no other flag"));
            return ExitCode::from(2);
        }
        return hash_password();
    }
    // Before warden opens anything: nothing the parent left open may outlive the jail.
    let inherited = confine::close_inherited();
    // Then 0, 1 and 2: none may lead out of the jail, and none may stay closed.
    let stdio_notes = match confine::stdio_hygiene() {
        Ok(notes) => notes,
        Err(e) => {
            logger::say(format_args!("warden: standard descriptors: {e}"));
            return ExitCode::from(2);
        }
    };
    let sink_mode = match sink::install(std::io::stderr().as_fd()) {
        Ok(how) => how,
        Err(e) => {
            logger::say(format_args!("warden: stderr: {e}"));
            return ExitCode::from(2);
        }
    };
    // Threads that exist before warden's own code runs are not warden's (qemu-user
    // runs one of its own): the drop must happen with no thread warden started.
    let threads_at_entry = confine::thread_count();
    // A flag that is not UTF-8 is a bad command line, not a panic.
    if let Some(i) = argv_os.iter().position(|a| a.to_str().is_none()) {
        // Name the flag it belongs to (the argument before a value).
        let flag = argv_os[..i]
            .last()
            .and_then(|f| f.to_str())
            .filter(|f| f.starts_with("--"));
        match flag {
            Some(flag) => logger::say(format_args!("warden: {flag}: the value is not valid UTF-8")),
            None => logger::say(format_args!("warden: argument {i} is not valid UTF-8 (see --help)")),
        }
        return ExitCode::from(2);
    }
    let argv: Vec<String> = argv_os.iter().filter_map(|a| a.to_str().map(String::from)).collect();
    let args = match cli::parse(&argv) {
        Ok(a) => a,
        Err((text, code)) => {
            if code == 0 {
                logger::print_line(&text);
            } else {
                logger::say(format_args!("{text}"));
            }
            return ExitCode::from(code);
        }
    };
    let check = args.check;
    let early = Early {
        threads_at_entry,
        inherited,
        stdio_notes,
        sink_mode,
    };
    match start(args, early) {
        Ok(None) => ExitCode::SUCCESS,
        Err(Stop::Confinement(Confinement(msg))) => {
            logger::say(format_args!("warden: {msg}"));
            ExitCode::from(if check { 1 } else { 2 })
        }
        Ok(Some(mut server)) => match server.run() {
            Ok(()) => {
                log::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                log::error!("poll loop failed: {e}");
                ExitCode::from(1)
            }
        },
        Err(Stop::Fatal(Fatal(msg))) => {
            logger::say(format_args!("warden: {msg}"));
            ExitCode::from(2)
        }
    }
}

/// `--syslog`: connects to the syslog socket now, before the jail hides it.
/// A socket that is not there (syslogd not started yet) is no reason to stay
/// down: warden says so and logs to stderr.
fn open_syslog(cfg: &Config) {
    let Some(to) = &cfg.syslog else { return };
    let path = Escaped(to.socket.as_os_str().as_bytes());
    match warden::syslog::Syslog::connect(&to.socket, to.facility) {
        Ok(s) => {
            sink::install_syslog(s);
            log::debug!("log output: syslog socket {path}");
        }
        Err(e) => log::warn!("--syslog: {path}: {e}; logging to stderr instead"),
    }
}

/// What `main` found before the flags were read, for the log.
struct Early {
    threads_at_entry: Option<usize>,
    inherited: Option<usize>,
    stdio_notes: Vec<String>,
    sink_mode: &'static str,
}

/// Everything before the loop; `Ok(None)` after a successful `--check`.
fn start(args: cli::Args, early: Early) -> Result<Option<Server>, Stop> {
    let Early {
        threads_at_entry,
        inherited,
        stdio_notes,
        sink_mode,
    } = early;
    let mut cfg = Config::from_args(args).map_err(Fatal)?;
    logger::init(cfg.log_level).map_err(|e| Fatal(format!("logger: {e}")))?;
    open_syslog(&cfg);
    for note in &stdio_notes {
        log::warn!("{note}");
    }
    log::debug!("log output: stderr is a {sink_mode}");
    // Credentials now, while /etc/shadow and the file are visible (and as root).
    let logins = load_logins(&cfg)?;

    let root = open(
        &cfg.root,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Fatal(format!("--root {}: {e}", Escaped(cfg.root.as_os_str().as_bytes()))))?;

    check_error_pages(&cfg, &root)?;
    // The certificate and key before any listener is announced: a refused
    // pair must be the only thing said (scripts wait for "listening on").
    #[cfg(feature = "tls")]
    let tls = load_tls(&cfg)?;
    let (listeners, tls_listeners) = bind_listeners(&cfg)?;

    let stop = stop_signals()?;
    cfg.serve.max_connections = fit_descriptor_limit(cfg.serve.max_connections);
    // Fixed for good by the confinement: exactly what the table needs.
    let nofile = (2 * cfg.serve.max_connections + SPARE_FDS) as u64;

    let privileged = nix::unistd::geteuid().is_root();
    let (uid, gid) = if privileged {
        (cfg.uid, cfg.gid)
    } else {
        (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw())
    };
    let findings = confine::audit_web_root(&cfg.root, uid, gid);
    for f in &findings {
        logger::shortfall(format_args!("web root: {f}"));
    }
    if cfg.strict && !findings.is_empty() {
        let msg = format!("--strict: {} problem(s) in the web root (see the log)", findings.len());
        return Err(Fatal(msg).into());
    }
    if privileged && !cfg.chroot {
        logger::shortfall(format_args!(
            "--no-chroot: NOT jailed in the web root; the whole file system is visible to uid {uid}"
        ));
    }
    if !privileged {
        log::info!("started as uid {uid}: no chroot or id change possible; Landlock alone confines file access");
        if cfg.user_given && (cfg.uid, cfg.gid) != (uid, gid) {
            log::warn!(
                "--user {}:{}: started unprivileged, warden cannot change user; it runs as {uid}:{gid} \
                 (start it as root to drop to that user)",
                cfg.uid,
                cfg.gid
            );
        }
    }
    let fsize = log_file_limit();
    if fsize > 0 {
        log::info!(
            "stdout/stderr is a regular file: RLIMIT_FSIZE {fsize} (its size now + {LOG_FILE_GROWTH}) instead of 0; \
             log lines past that size are dropped"
        );
    }
    match (threads_at_entry, confine::thread_count()) {
        (Some(entry), Some(now)) if now > entry => {
            let msg = format!("{now} threads before the privilege drop, {entry} at start; expected no new ones");
            return Err(Stop::Confinement(Confinement(msg)));
        }
        (Some(entry), _) if entry > 1 => {
            log::warn!("{entry} threads existed before warden started (an emulator's?); warden started none");
        }
        _ => {}
    }
    let plan = Plan {
        root_path: cfg.root.clone(),
        root: root.as_fd(),
        chroot: privileged && cfg.chroot,
        ids: privileged.then(|| (nix::unistd::Uid::from_raw(uid), nix::unistd::Gid::from_raw(gid))),
        nofile,
        fsize,
        landlock: if cfg.require_landlock {
            LandlockMode::Required
        } else {
            LandlockMode::BestEffort
        },
        connect_ports: backend_ports(&cfg),
        seccomp: seccomp::Plan {
            mode: cfg.seccomp,
            required: cfg.require_seccomp,
            proxy: !cfg.serve.proxy.routes.is_empty(),
            // stdout (`--check`'s report), stderr, and the sink's own descriptor
            // (the syslog socket is written with send, not write).
            log_fds: [Some(1), Some(2), sink::raw_fd()].into_iter().flatten().collect(),
        },
    };
    let report =
        confine::confine(&plan).map_err(|e| Stop::Confinement(Confinement(format!("confinement failed: {e}"))))?;
    let mut printed = true;
    for line in report.lines() {
        if cfg.check {
            printed &= logger::print_line(&line);
        }
        log::info!("confinement: {line}");
    }
    if !privileged && !matches!(report.landlock, confine::LandlockState::Applied { .. }) {
        logger::shortfall(format_args!(
            "unprivileged and without Landlock: file access is NOT confined to the web root"
        ));
    }
    match (&report.seccomp, &report.landlock) {
        (seccomp::State::Installed { .. }, _) => {}
        (seccomp::State::Off, _) => logger::shortfall(format_args!(
            "confinement shortfall: --seccomp=off: every syscall of the kernel is open to an intruder"
        )),
        (_, confine::LandlockState::Applied { .. }) => logger::shortfall(format_args!(
            "confinement shortfall: no seccomp filter; Landlock still applies"
        )),
        _ => logger::shortfall(format_args!(
            "confinement shortfall: neither seccomp nor Landlock: an intruder could connect out, listen and signal"
        )),
    }
    let shortfalls = report.shortfalls(&plan);
    if !shortfalls.is_empty() {
        let msg = format!("confinement worse than planned: {}", shortfalls.join("; "));
        return Err(Stop::Confinement(Confinement(msg)));
    }
    if cfg.check {
        if !(printed && logger::print_line("confinement as planned")) {
            let msg = "--check: the report could not be written to stdout (a regular file under RLIMIT_FSIZE 0?)";
            return Err(Stop::Confinement(Confinement(msg.to_string())));
        }
        return Ok(None);
    }
    // Said only now: a start-up failure stays one line.
    match inherited {
        Some(0) => {}
        Some(n) => log::info!("closed {n} descriptor(s) inherited from the parent"),
        None => log::info!("no /proc: inherited descriptors closed with close_range(2)"),
    }
    log::info!(
        "serving {} with {} connection slots",
        Escaped(cfg.root.as_os_str().as_bytes()),
        cfg.serve.max_connections
    );
    let server = Server::new(cfg.serve, root, listeners, stop, cfg.access_log, logins);
    #[cfg(feature = "tls")]
    let server = match tls {
        Some(tls) => server.with_tls(tls_listeners, tls),
        None => server,
    };
    #[cfg(not(feature = "tls"))]
    drop(tls_listeners);
    Ok(Some(server))
}

/// `--auth-file` and `--protect` into the login tables (or none).
fn load_logins(cfg: &Config) -> Result<Logins, Fatal> {
    let Some(path) = &cfg.auth_file else {
        return Ok(Logins::none());
    };
    let creds = auth::credentials::load(path, &cfg.root, Path::new("/etc/shadow")).map_err(Fatal)?;
    let key = auth::random_key().map_err(Fatal)?;
    log::info!(
        "logins: {} user(s) for {} protected prefix(es)",
        creds.users.len(),
        cfg.protect.len()
    );
    Ok(Logins::new(Some(creds), cfg.protect.clone(), key))
}

/// `--hash-password`: one password from stdin (its line end dropped), its
/// `$6$` hash (5,000 rounds, random salt) on stdout. Exit 0, or 2.
fn hash_password() -> ExitCode {
    let mut line = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut line) {
        logger::say(format_args!("warden: --hash-password: stdin: {e}"));
        return ExitCode::from(2);
    }
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    let salt = match auth::random_key() {
        Ok(key) => {
            let mut s = [0u8; 16];
            s.copy_from_slice(&key[..16]);
            auth::hash::salt_from(&s)
        }
        Err(e) => {
            logger::say(format_args!("warden: --hash-password: {e}"));
            return ExitCode::from(2);
        }
    };
    match auth::hash::sha512_crypt(password.as_bytes(), &salt) {
        Ok(hash) if logger::print_line(&hash) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(2),
        Err(e) => {
            logger::say(format_args!("warden: --hash-password: {e}"));
            ExitCode::from(2)
        }
    }
}

/// RLIMIT_FSIZE for the confined process. 0 (no file writes at all) unless
/// stdout or stderr is a regular file (`warden … >>/var/log/warden.log 2>&1`,
/// as BusyBox init scripts do): then that file may grow by `LOG_FILE_GROWTH`
/// from its size now, and writes past that fail with EFBIG (SIGXFSZ is
/// ignored), which the log sink counts as dropped lines.
fn log_file_limit() -> u64 {
    let size = |fd: std::os::fd::BorrowedFd<'_>| {
        nix::sys::stat::fstat(fd)
            .ok()
            .filter(|st| st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG)
            .map(|st| u64::try_from(st.st_size).unwrap_or(0))
    };
    let biggest = [std::io::stdout().as_fd(), std::io::stderr().as_fd()]
        .into_iter()
        .filter_map(size)
        .max();
    biggest.map_or(0, |s| s.saturating_add(LOG_FILE_GROWTH))
}

/// Every `--error-page` must name a file beneath the web root now, so that a
/// typo is found at start rather than by a visitor (later it is looked up per
/// error, and a file gone by then gives the built-in text).
fn check_error_pages(cfg: &Config, root: &OwnedFd) -> Result<(), Fatal> {
    for (status, page) in &cfg.serve.error_pages {
        let shown = Escaped(page);
        let found =
            warden::path::clean(page).and_then(|clean| warden::path::resolve(root.as_fd(), &clean, &cfg.serve.index));
        match found {
            Ok(warden::path::Found::Files(_)) => {}
            Ok(warden::path::Found::AddSlash) => {
                return Err(Fatal(format!("--error-page {status}={shown}: a directory, not a file")));
            }
            Err(e) => {
                return Err(Fatal(format!(
                    "--error-page {status}={shown}: no such file beneath the web root ({})",
                    e.status()
                )));
            }
        }
    }
    Ok(())
}

/// Binds every `--listen` address. One whose family the kernel lacks
/// (EAFNOSUPPORT: `[::]:80` without IPv6) or that is on no interface yet
/// (EADDRNOTAVAIL: an interface not up) is skipped with a warning, as uhttpd
/// does, so that one missing address does not keep the device's admin pages
/// down (and procd from giving up after its retries); unless
/// `--require-all-listeners`, or no listener is left. Anything else (in use,
/// permission) is fatal.
/// Returns the plain listeners, then the HTTPS ones (`--listen-tls`).
fn bind_listeners(cfg: &Config) -> Result<(Vec<std::net::TcpListener>, Vec<std::net::TcpListener>), Fatal> {
    let tls_addrs = cfg.tls.as_ref().map_or(&[][..], |t| &t.listen[..]);
    let mut listeners = Vec::with_capacity(cfg.listen.len());
    let mut tls_listeners = Vec::with_capacity(tls_addrs.len());
    let mut skipped = Vec::new();
    let all = cfg
        .listen
        .iter()
        .map(|a| (a, false))
        .chain(tls_addrs.iter().map(|a| (a, true)));
    for (addr, tls) in all {
        let l = match listen::bind(*addr) {
            Ok(l) => l,
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(0);
                let missing = errno == nix::libc::EAFNOSUPPORT || errno == nix::libc::EADDRNOTAVAIL;
                if missing && !cfg.require_all_listeners {
                    skipped.push((addr, e));
                    continue;
                }
                let hint = if errno == nix::libc::EACCES && addr.port() < 1024 && !nix::unistd::geteuid().is_root() {
                    "; ports below 1024 need root: start warden as root (it binds, then drops to --user) or use a port of 1024 or above"
                } else {
                    ""
                };
                return Err(Fatal(format!("cannot listen on {addr}: {e}{hint}")));
            }
        };
        let bound = l.local_addr().map_err(|e| Fatal(format!("{addr}: {e}")))?;
        // Printed, not logged: scripts and tests read the real port from here.
        if tls {
            tls_listeners.push(l);
            logger::announce(format_args!("listening on https://{bound}"));
        } else {
            listeners.push(l);
            logger::announce(format_args!("listening on http://{bound}"));
        }
    }
    if listeners.is_empty() && tls_listeners.is_empty() {
        let why: Vec<String> = skipped.iter().map(|(a, e)| format!("{a}: {e}")).collect();
        return Err(Fatal(format!("no listener could be bound ({})", why.join("; "))));
    }
    for (addr, e) in skipped {
        log::warn!("not listening on {addr}: {e}; skipped (--require-all-listeners makes this fatal)");
    }
    Ok((listeners, tls_listeners))
}

/// `--tls-cert` and `--tls-key`, read now (the jail hides them) into the TLS
/// configuration; the key stays in memory only. A key that does not match
/// the certificate is refused here, not at the first handshake.
#[cfg(feature = "tls")]
fn load_tls(cfg: &Config) -> Result<Option<warden::tls::Tls>, Fatal> {
    use std::os::unix::fs::PermissionsExt;
    let Some(setup) = &cfg.tls else { return Ok(None) };
    let shown = |p: &Path| Escaped(p.as_os_str().as_bytes()).to_string();
    let read = |flag: &str, p: &Path| {
        // Bounded: a certificate chain or key is a few KiB.
        let meta = std::fs::metadata(p).map_err(|e| Fatal(format!("--{flag} {}: {e}", shown(p))))?;
        if meta.len() > warden::limits::TLS_MAX_PEM {
            let max = warden::limits::TLS_MAX_PEM;
            return Err(Fatal(format!("--{flag} {}: larger than {max} bytes", shown(p))));
        }
        std::fs::read(p)
            .map(|bytes| (bytes, meta.permissions().mode()))
            .map_err(|e| Fatal(format!("--{flag} {}: {e}", shown(p))))
    };
    let (chain, _) = read("tls-cert", &setup.cert)?;
    let (key, mode) = read("tls-key", &setup.key)?;
    if mode & 0o077 != 0 {
        log::warn!(
            "--tls-key {}: readable or writable by group or others (mode {:o}); chmod 600 it",
            shown(&setup.key),
            mode & 0o777
        );
    }
    let (tls, summary) = warden::tls::Tls::new(&chain, &key, setup.max_connections)
        .map_err(|e| Fatal(format!("--tls-cert/--tls-key: {e}")))?;
    log::info!(
        "HTTPS: {} certificate(s), {} key, TLS 1.3 and 1.2, ALPN http/1.1, up to {} connections of {} KiB each",
        summary.certificates,
        summary.key,
        tls.cap(),
        warden::limits::TLS_BUF_LEN / 1024
    );
    Ok(Some(tls))
}

/// SIGTERM and SIGINT (stop), SIGHUP (logged: nothing to reload; its default
/// action would kill warden, and init scripts send it for `reload`) and
/// SIGUSR1 (status line) become readable events on a signalfd that the loop
/// polls (no handler races); SIGPIPE is ignored (sends use MSG_NOSIGNAL too,
/// but sendfile cannot).
fn stop_signals() -> Result<OwnedFd, Fatal> {
    // SAFETY: SIG_IGN installs no handler code; nothing else touches SIGPIPE.
    unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) }.map_err(|e| Fatal(format!("SIGPIPE: {e}")))?;
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGTERM);
    mask.add(Signal::SIGINT);
    mask.add(Signal::SIGHUP);
    mask.add(Signal::SIGUSR1);
    mask.thread_block().map_err(|e| Fatal(format!("signal mask: {e}")))?;
    // An ignored signal never reaches a signalfd, and a parent may have left these
    // ignored (S50warden's `trap '' HUP`, nohup): back to the default disposition,
    // harmless now that they are blocked.
    for sig in mask.iter() {
        // SAFETY: SIG_DFL installs no handler code.
        unsafe { signal(sig, SigHandler::SigDfl) }.map_err(|e| Fatal(format!("{sig}: {e}")))?;
    }
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| Fatal(format!("signalfd: {e}")))?;
    sfd.as_fd()
        .try_clone_to_owned()
        .map_err(|e| Fatal(format!("signalfd: {e}")))
}

/// The `--proxy` backends' ports, each once: what Landlock lets the server
/// connect to.
fn backend_ports(cfg: &Config) -> Vec<u16> {
    let mut ports: Vec<u16> = cfg.serve.proxy.routes.iter().map(|r| r.addr.port()).collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Each connection may hold two descriptors (socket and file). Raises the
/// soft RLIMIT_NOFILE as far as needed (up to the hard limit); if that is not
/// enough, serves fewer connections rather than failing accepts later.
fn fit_descriptor_limit(slots: usize) -> usize {
    let need = (2 * slots + SPARE_FDS) as u64;
    let Ok((soft, hard)) = confine::get_rlimit(Resource::RLIMIT_NOFILE) else {
        return slots;
    };
    if soft >= need {
        return slots;
    }
    let target = need.min(hard);
    let have = if confine::set_rlimit(Resource::RLIMIT_NOFILE, target, hard).is_ok() {
        target
    } else {
        soft
    };
    if have >= need {
        return slots;
    }
    let fit = (usize::try_from(have).unwrap_or(0).saturating_sub(SPARE_FDS) / 2).max(1);
    log::warn!("RLIMIT_NOFILE is {have}: serving {fit} connections instead of {slots}");
    fit
}
