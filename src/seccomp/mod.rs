//! The last step of confinement: a seccomp-BPF allowlist of the syscalls the
//! serving loop makes, for x86_64, aarch64, arm (EABI) and mipsel (o32).
//!
//! Why: stock OpenWrt kernels have no Landlock, so without this an intruder
//! inside warden could connect out, listen on a port, signal other processes
//! of its uid and call every syscall the kernel has. No maintained crate
//! builds filters for arm and mipsel without a C library per target
//! (seccompiler covers x86_64 and aarch64; libseccomp is C), so the program is
//! built here, from `libc`'s numbers (`arch`), by the rules in `policy`, in
//! the classic BPF of `bpf`, which also holds an interpreter for testing the
//! architectures that cannot be run here.

pub mod arch;
pub mod bpf;
pub mod policy;

use nix::errno::Errno;
use nix::libc;

/// `--seccomp`: what a call outside the list does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Kill the process (`SECCOMP_RET_KILL_PROCESS`; the thread before Linux
    /// 4.14, which for one thread is the process too). The default.
    Kill,
    /// Let it through and have the kernel log it (`SECCOMP_RET_LOG`, Linux
    /// 4.14): for a porter finding a syscall a new libc or kernel makes.
    Log,
    /// No filter: reported as a shortfall.
    Off,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "kill" => Some(Mode::Kill),
            "log" => Some(Mode::Log),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

/// What the filter should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub mode: Mode,
    /// `--require-seccomp`: no filter installed is fatal.
    pub required: bool,
    /// `--proxy` is given: TCP socket and connect are allowed.
    pub proxy: bool,
    /// Descriptors `write` may reach (stdout, stderr, the log sink's).
    pub log_fds: Vec<i32>,
}

/// What was achieved, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// `--seccomp=off`.
    Off,
    /// Not installed, and why (kernel without seccomp filters, qemu-user,
    /// an architecture without an allowlist).
    Unavailable(String),
    Installed {
        arch: &'static str,
        allowed: usize,
        narrowed: usize,
        /// "kill process", "kill thread" or "log".
        action: &'static str,
        /// `PR_GET_SECCOMP` after installing: 2 (filter mode) when it holds.
        read_back: i32,
    },
}

/// The policy for this process and `plan`, with the kill action this kernel has.
pub fn policy_for(plan: &Plan, kill: u32, violation: u32) -> policy::Policy {
    let mut log_fds = heapless::Vec::new();
    for &fd in &plan.log_fds {
        if let Ok(fd) = u32::try_from(fd) {
            if !log_fds.contains(&fd) {
                let _ = log_fds.push(fd);
            }
        }
    }
    policy::Policy {
        proxy: plan.proxy,
        log_fds,
        pid: std::process::id(),
        violation,
        kill,
    }
}

/// Builds and installs the filter for the running architecture. The
/// process must have no_new_privs (confine's sequence sets it before).
/// `Err` is a failure that must stop start-up (a required filter missing, a
/// kernel refusing a valid program); an absent facility is `Unavailable`.
pub fn install(plan: &Plan) -> Result<State, String> {
    let state = try_install(plan)?;
    if plan.required && !matches!(state, State::Installed { .. }) {
        let why = match &state {
            State::Unavailable(why) => why.clone(),
            _ => "--seccomp=off".to_string(),
        };
        return Err(format!("--require-seccomp: no filter installed ({why})"));
    }
    Ok(state)
}

fn try_install(plan: &Plan) -> Result<State, String> {
    if plan.mode == Mode::Off {
        return Ok(State::Off);
    }
    let Some(arch) = arch::native() else {
        return Ok(State::Unavailable(format!(
            "no allowlist for {}",
            std::env::consts::ARCH
        )));
    };
    let (kill, kill_name) = match action_available(libc::SECCOMP_RET_KILL_PROCESS) {
        Ok(true) => (libc::SECCOMP_RET_KILL_PROCESS, "kill process"),
        // Before Linux 4.14 (no SECCOMP_GET_ACTION_AVAIL, no KILL_PROCESS).
        _ => (libc::SECCOMP_RET_KILL_THREAD, "kill thread"),
    };
    let (violation, action) = match plan.mode {
        Mode::Log => match action_available(libc::SECCOMP_RET_LOG) {
            Ok(true) => (libc::SECCOMP_RET_LOG, "log"),
            // qemu-user and kernels without seccomp: reported below as unavailable.
            Err(Errno::ENOSYS) if !filters_supported() => (kill, kill_name),
            _ => return Err("--seccomp=log: this kernel has no SECCOMP_RET_LOG (Linux 4.14)".into()),
        },
        _ => (kill, kill_name),
    };
    let prog = policy::build(&arch, &policy_for(plan, kill, violation));
    if let Err(f) = bpf::check(&prog.insns) {
        return Err(format!("seccomp: the {} program is malformed ({f:?})", arch.name));
    }
    match set_filter(&prog.insns) {
        Ok(()) => {}
        Err(Errno::EINVAL | Errno::ENOSYS) => {
            return Ok(State::Unavailable(
                "the kernel (or emulator) has no seccomp filters".into(),
            ));
        }
        Err(e) => return Err(format!("seccomp: installing the filter: {e}")),
    }
    // SAFETY: PR_GET_SECCOMP takes no pointers; the filter allows it.
    let read_back = unsafe { libc::prctl(libc::PR_GET_SECCOMP, 0, 0, 0, 0) };
    Ok(State::Installed {
        arch: arch.name,
        allowed: prog.allowed,
        narrowed: prog.narrowed,
        action,
        read_back,
    })
}

/// Whether prctl(PR_SET_SECCOMP) knows filter mode, asked without installing
/// anything: an invalid (NULL) program gives EFAULT where filters exist and
/// EINVAL where they do not (CONFIG_SECCOMP_FILTER off, qemu-user).
fn filters_supported() -> bool {
    // SAFETY: a NULL program pointer is rejected by the kernel before any use.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            0 as libc::c_ulong,
            0,
            0,
        )
    };
    r != 0 && Errno::last() == Errno::EFAULT
}

/// SECCOMP_GET_ACTION_AVAIL (Linux 4.14).
fn action_available(action: u32) -> Result<bool, Errno> {
    // SAFETY: the kernel reads one u32 from the pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_GET_ACTION_AVAIL as libc::c_ulong,
            0 as libc::c_ulong,
            &action as *const u32,
        )
    };
    match r {
        0 => Ok(true),
        _ => match Errno::last() {
            Errno::EOPNOTSUPP => Ok(false),
            e => Err(e),
        },
    }
}

/// seccomp(SECCOMP_SET_MODE_FILTER), or prctl(PR_SET_SECCOMP) on kernels
/// before 3.17 that lack the syscall.
fn set_filter(insns: &[bpf::Insn]) -> Result<(), Errno> {
    let len = u16::try_from(insns.len()).map_err(|_| Errno::E2BIG)?;
    let prog = libc::sock_fprog {
        len,
        // `Insn` has `sock_filter`'s layout (repr(C), same fields).
        filter: insns.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: `prog` points at `len` live instructions; the kernel copies them.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER as libc::c_ulong,
            0 as libc::c_ulong,
            &prog as *const libc::sock_fprog,
        )
    };
    if r == 0 {
        return Ok(());
    }
    if Errno::last() != Errno::ENOSYS {
        return Err(Errno::last());
    }
    // SAFETY: as above, through the older interface.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &prog as *const libc::sock_fprog,
            0,
            0,
        )
    };
    if r == 0 { Ok(()) } else { Err(Errno::last()) }
}

impl State {
    /// The report's line.
    pub fn line(&self) -> String {
        match self {
            State::Off => "seccomp: not enforced (--seccomp=off)".to_string(),
            State::Unavailable(why) => format!("seccomp: not enforced ({why})"),
            State::Installed {
                arch,
                allowed,
                narrowed,
                action,
                read_back,
            } => format!(
                "seccomp: {arch} allowlist of {allowed} syscalls ({narrowed} with arguments narrowed), \
                 others: {action}; filter mode {read_back} read back"
            ),
        }
    }
}
