//! warden's start-up sequence, in this order, every step fatal on error:
//! inherited descriptors closed → flags → validated config (ids resolved while /etc/passwd is visible) →
//! logger → web root directory → listeners → stderr for the access log →
//! signals → descriptor limit → web-root audit → confinement (chroot, id
//! drop, no_new_privs, rlimits, Landlock) → report → serve. No thread exists
//! before the drop. Exit codes: 0 after a clean shutdown (or a `--check` that
//! found everything as planned), 1 if the loop fails or `--check` finds a
//! shortfall, 2 for a bad command line or a start-up failure.

use nix::fcntl::{OFlag, open};
use nix::sys::resource::Resource;
use nix::sys::signal::{SigHandler, SigSet, Signal, signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::stat::Mode;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitCode;
use warden::config::Config;
use warden::confine::{self, LandlockMode, Plan};
use warden::limits::SPARE_FDS;
use warden::server::Server;
use warden::{cli, listen, logger};

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
    // Before warden opens anything: nothing the parent left open may outlive the jail.
    let inherited = confine::close_inherited();
    // Threads that exist before warden's own code runs are not warden's (qemu-user
    // runs one of its own): the drop must happen with no thread warden started.
    let threads_at_entry = confine::thread_count();
    let argv: Vec<String> = std::env::args().collect();
    let args = match cli::parse(&argv) {
        Ok(a) => a,
        Err((text, code)) => {
            if code == 0 {
                println!("{text}");
            } else {
                eprintln!("{text}");
            }
            return ExitCode::from(code);
        }
    };
    let check = args.check;
    match start(args, threads_at_entry, inherited) {
        Ok(None) => ExitCode::SUCCESS,
        Err(Stop::Confinement(Confinement(msg))) => {
            eprintln!("warden: {msg}");
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
            eprintln!("warden: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Everything before the loop; `Ok(None)` after a successful `--check`.
fn start(args: cli::Args, threads_at_entry: Option<usize>, inherited: Option<usize>) -> Result<Option<Server>, Stop> {
    let mut cfg = Config::from_args(args).map_err(Fatal)?;
    logger::init(cfg.log_level).map_err(|e| Fatal(format!("logger: {e}")))?;

    let root = open(
        &cfg.root,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Fatal(format!("--root {}: {e}", cfg.root.display())))?;

    let mut listeners = Vec::with_capacity(cfg.listen.len());
    for addr in &cfg.listen {
        let l = listen::bind(*addr).map_err(|e| Fatal(format!("cannot listen on {addr}: {e}")))?;
        let bound = l.local_addr().map_err(|e| Fatal(format!("{addr}: {e}")))?;
        listeners.push(l);
        // Printed, not logged: scripts and tests read the real port from here.
        eprintln!("listening on http://{bound}");
    }

    let access_log = if cfg.access_log {
        let stderr = std::io::stderr().as_fd().try_clone_to_owned();
        Some(File::from(stderr.map_err(|e| Fatal(format!("stderr: {e}")))?))
    } else {
        None
    };
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
        log::warn!("web root: {f}");
    }
    if cfg.strict && !findings.is_empty() {
        let msg = format!("--strict: {} problem(s) in the web root (see the log)", findings.len());
        return Err(Fatal(msg).into());
    }
    if privileged && !cfg.chroot {
        log::warn!("--no-chroot: NOT jailed in the web root; the whole file system is visible to uid {uid}");
    }
    if !privileged {
        log::info!("started as uid {uid}: no chroot or id change possible; Landlock alone confines file access");
    }
    if is_regular_file(std::io::stderr().as_fd()) {
        log::warn!("stderr is a regular file: RLIMIT_FSIZE 0 will drop log lines; pipe stderr to a logger");
    }
    if cfg.check && is_regular_file(std::io::stdout().as_fd()) {
        log::warn!("stdout is a regular file: RLIMIT_FSIZE 0 will stop the report; pipe it instead");
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
        landlock: if cfg.require_landlock {
            LandlockMode::Required
        } else {
            LandlockMode::BestEffort
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
        log::warn!("unprivileged and without Landlock: file access is NOT confined to the web root");
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
        cfg.root.display(),
        cfg.serve.max_connections
    );
    Ok(Some(Server::new(cfg.serve, root, listeners, stop, access_log)))
}

/// RLIMIT_FSIZE 0 makes writes to a regular file fail: warn if stderr or stdout is one.
fn is_regular_file(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    nix::sys::stat::fstat(fd).is_ok_and(|st| {
        nix::sys::stat::SFlag::from_bits_truncate(st.st_mode) & nix::sys::stat::SFlag::S_IFMT
            == nix::sys::stat::SFlag::S_IFREG
    })
}

/// SIGTERM and SIGINT become readable events on a signalfd that the loop
/// polls (no handler races); SIGPIPE is ignored (sends use MSG_NOSIGNAL too,
/// but sendfile cannot).
fn stop_signals() -> Result<OwnedFd, Fatal> {
    // SAFETY: SIG_IGN installs no handler code; nothing else touches SIGPIPE.
    unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) }.map_err(|e| Fatal(format!("SIGPIPE: {e}")))?;
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGTERM);
    mask.add(Signal::SIGINT);
    mask.thread_block().map_err(|e| Fatal(format!("signal mask: {e}")))?;
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| Fatal(format!("signalfd: {e}")))?;
    sfd.as_fd()
        .try_clone_to_owned()
        .map_err(|e| Fatal(format!("signalfd: {e}")))
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
