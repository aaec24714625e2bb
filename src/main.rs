//! warden's start-up sequence: flags → config → logger → root → listeners →
//! signals → descriptor limit → serve. Exit codes: 0 after a clean shutdown,
//! 2 for a bad command line or a start-up failure, 1 if the loop fails.

use nix::fcntl::{OFlag, open};
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::signal::{SigHandler, SigSet, Signal, signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::stat::Mode;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitCode;
use warden::config::Config;
use warden::limits::SPARE_FDS;
use warden::server::Server;
use warden::{cli, listen};

/// A start-up failure: one line for stderr, exit code 2.
struct Fatal(String);

fn main() -> ExitCode {
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
    match start(args) {
        Ok(mut server) => match server.run() {
            Ok(()) => {
                log::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                log::error!("poll loop failed: {e}");
                ExitCode::from(1)
            }
        },
        Err(Fatal(msg)) => {
            eprintln!("warden: {msg}");
            ExitCode::from(2)
        }
    }
}

fn start(args: cli::Args) -> Result<Server, Fatal> {
    let mut cfg = Config::from_args(args).map_err(Fatal)?;
    simple_logger::SimpleLogger::new()
        .with_level(cfg.log_level)
        .init()
        .map_err(|e| Fatal(format!("logger: {e}")))?;

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

    let stop = stop_signals()?;
    cfg.serve.max_connections = fit_descriptor_limit(cfg.serve.max_connections);
    let access_log = if cfg.access_log {
        let stderr = std::io::stderr().as_fd().try_clone_to_owned();
        Some(File::from(stderr.map_err(|e| Fatal(format!("stderr: {e}")))?))
    } else {
        None
    };
    log::info!(
        "serving {} with {} connection slots",
        cfg.root.display(),
        cfg.serve.max_connections
    );
    Ok(Server::new(cfg.serve, root, listeners, stop, access_log))
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
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return slots;
    };
    if soft >= need {
        return slots;
    }
    let target = need.min(hard);
    let have = if setrlimit(Resource::RLIMIT_NOFILE, target, hard).is_ok() {
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
