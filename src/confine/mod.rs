//! Confinement: the fixed sequence that takes a process started as root (or
//! not) down to an unprivileged, jailed, Landlocked one, and the report that
//! reads the result back from the kernel.
//!
//! Threat: an intruder who gets code execution inside warden. After `confine`
//! it is uid/gid 65534 with no groups and no capabilities in any set, jailed in
//! the web root by chroot, unable to regain root (`setuid(0)` is tried and must
//! fail), unable to gain privileges by exec (no_new_privs), unable to fork or
//! write files (rlimits), and, where the kernel has Landlock, unable to open
//! anything but the web root for reading, to bind or connect TCP (ABI ≥ 4), or
//! to signal processes outside its domain (ABI ≥ 6). Every step is checked and
//! any failure is fatal; the report is then compared against the plan.

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, NetPort, PathBeneath, Ruleset, RulesetAttr,
    RulesetCreatedAttr, RulesetStatus, Scope,
};
use nix::errno::Errno;
use nix::libc;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::stat::fstat;
use nix::unistd::{Gid, Uid, chdir, chroot, fchdir, getgroups, getresgid, getresuid, setgroups, setresgid, setresuid};
use std::fmt;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

mod audit;
mod stdio;

pub use audit::audit_web_root;
pub use stdio::{close_inherited, stdio_hygiene, thread_count};

/// How much Landlock is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LandlockMode {
    /// Not applied (tests of the other barriers; a kernel without it).
    Off,
    /// Apply what the kernel supports; report the status.
    BestEffort,
    /// Anything short of full enforcement of the plan is fatal (`--require-landlock`).
    Required,
}

/// What the confinement should achieve.
pub struct Plan<'a> {
    /// The web root, for the report.
    pub root_path: PathBuf,
    /// A directory descriptor of the web root: the jail and the Landlock rule.
    pub root: BorrowedFd<'a>,
    /// chroot into the web root (only possible as root).
    pub chroot: bool,
    /// Target ids when started as root; `None` when started unprivileged.
    pub ids: Option<(Uid, Gid)>,
    /// RLIMIT_NOFILE to fix (soft = hard).
    pub nofile: u64,
    /// RLIMIT_FSIZE: 0, or the bound a log file on stdout/stderr may reach.
    pub fsize: u64,
    pub landlock: LandlockMode,
    /// TCP ports the server may connect to (the `--proxy` backends); with
    /// Landlock ABI ≥ 4 every other connect is denied.
    pub connect_ports: Vec<u16>,
    /// The seccomp allowlist, installed last.
    pub seccomp: crate::seccomp::Plan,
}

/// A confinement step that failed: the message names the step and the errno.
#[derive(Debug)]
pub struct ConfineError(pub String);

impl fmt::Display for ConfineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn step<T>(what: &str, r: nix::Result<T>) -> Result<T, ConfineError> {
    r.map_err(|e| ConfineError(format!("{what}: {e}")))
}

/// Capability sets as bit masks (bit n = capability n).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapSets {
    pub permitted: u64,
    pub effective: u64,
    pub inheritable: u64,
    pub bounding: u64,
    pub ambient: u64,
}

/// What Landlock achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LandlockState {
    /// Not requested.
    Disabled,
    /// The kernel has no Landlock (ENOSYS / EOPNOTSUPP): `abi` 0.
    Unsupported,
    /// Applied at this kernel ABI.
    Applied { abi: i32, status: Enforcement },
}

/// The crate's `RulesetStatus`, copied so the report can be compared and printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enforcement {
    Full,
    Partial,
    None,
}

/// The process's state as read back from the kernel after `confine`.
#[derive(Clone, Debug)]
pub struct Report {
    /// The web root path and whether "/" is now that directory.
    pub root_path: PathBuf,
    pub jailed: bool,
    pub uid: (u32, u32, u32),
    pub gid: (u32, u32, u32),
    pub groups: Vec<u32>,
    pub caps: CapSets,
    pub no_new_privs: bool,
    /// (name, soft, hard)
    pub rlimits: Vec<(&'static str, u64, u64)>,
    pub landlock: LandlockState,
    /// The ports connect is allowed to (the plan's).
    pub connect_ports: Vec<u16>,
    /// The seccomp filter, installed after everything above was read back.
    pub seccomp: crate::seccomp::State,
}

/// Runs the confinement sequence, in this fixed order, each step fatal on
/// error: chroot (chdir to the root, chroot("."), chdir("/")); empty the
/// capability bounding and ambient sets; setgroups([]); setresgid;
/// setresuid; prove root cannot be regained; clear every capability set;
/// no_new_privs; rlimits; Landlock. Then reads the state back, and last
/// installs the seccomp filter (the reading back makes calls it forbids), whose
/// mode is read back too. The caller must be single-threaded (ids,
/// no_new_privs and the filter are per thread).
pub fn confine(plan: &Plan<'_>) -> Result<Report, ConfineError> {
    if plan.chroot {
        step("chdir to the web root", fchdir(plan.root))?;
        step("chroot", chroot("."))?;
        step("chdir /", chdir("/"))?;
    }
    if let Some((uid, gid)) = plan.ids {
        if uid.is_root() || gid.as_raw() == 0 {
            return Err(ConfineError("refusing to run as uid 0 or gid 0".into()));
        }
        // While still root: empty the bounding set (needs CAP_SETPCAP) and the
        // ambient set, so no exec could hand capabilities back.
        drop_bounding_set()?;
        clear_ambient()?;
        step("setgroups([])", setgroups(&[]))?;
        step("setresgid", setresgid(gid, gid, gid))?;
        step("setresuid", setresuid(uid, uid, uid))?;
        // CVE-2013-4559 was an unchecked setuid: prove the drop is permanent.
        if nix::unistd::setuid(Uid::from_raw(0)).is_ok() || nix::unistd::setgid(Gid::from_raw(0)).is_ok() {
            return Err(ConfineError("root could be regained after the id drop".into()));
        }
    }
    clear_capability_sets()?;
    step("no_new_privs", nix::sys::prctl::set_no_new_privs())?;
    set_rlimits(plan.nofile, plan.fsize)?;
    let landlock = apply_landlock(plan)?;
    let mut report = read_report(plan, landlock)?;
    report.seccomp = crate::seccomp::install(&plan.seccomp).map_err(ConfineError)?;
    Ok(report)
}

/// The highest capability number the kernel knows (probing PR_CAPBSET_READ,
/// which needs no /proc).
fn last_cap() -> u32 {
    let mut cap = 0;
    // SAFETY: PR_CAPBSET_READ only reads; invalid numbers return EINVAL.
    while cap < 64 && unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(cap + 1), 0, 0, 0) } >= 0 {
        cap += 1;
    }
    cap
}

fn drop_bounding_set() -> Result<(), ConfineError> {
    for cap in 0..=last_cap() {
        // SAFETY: PR_CAPBSET_DROP takes a capability number; no memory is passed.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0, 0, 0) } != 0 {
            return Err(ConfineError(format!(
                "drop capability {cap} from the bounding set: {}",
                Errno::last()
            )));
        }
    }
    Ok(())
}

fn clear_ambient() -> Result<(), ConfineError> {
    // SAFETY: PR_CAP_AMBIENT_CLEAR_ALL takes no pointers.
    let r = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    // EINVAL: a kernel before 4.3 has no ambient set, so it is empty.
    if r != 0 && Errno::last() != Errno::EINVAL {
        return Err(ConfineError(format!("clear ambient capabilities: {}", Errno::last())));
    }
    Ok(())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

fn capget() -> Result<(u64, u64, u64), ConfineError> {
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and a two-element data array, as capget(2) v3 requires.
    let r = unsafe { libc::syscall(libc::SYS_capget, &mut header as *mut CapHeader, data.as_mut_ptr()) };
    if r != 0 {
        return Err(ConfineError(format!("capget: {}", Errno::last())));
    }
    let join = |f: fn(&CapData) -> u32| u64::from(f(&data[0])) | u64::from(f(&data[1])) << 32;
    Ok((join(|d| d.permitted), join(|d| d.effective), join(|d| d.inheritable)))
}

/// Empties permitted, effective and inheritable (setresuid away from 0
/// already cleared permitted and effective; inheritable survives it).
fn clear_capability_sets() -> Result<(), ConfineError> {
    let mut header = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let data = [CapData::default(); 2];
    // SAFETY: header and a two-element data array, as capset(2) v3 requires.
    let r = unsafe { libc::syscall(libc::SYS_capset, &mut header as *mut CapHeader, data.as_ptr()) };
    if r != 0 {
        return Err(ConfineError(format!("capset(0): {}", Errno::last())));
    }
    Ok(())
}

/// getrlimit with the values widened to u64 (rlim_t is u32 on 32-bit glibc).
#[allow(clippy::useless_conversion)]
pub fn get_rlimit(res: Resource) -> nix::Result<(u64, u64)> {
    getrlimit(res).map(|(soft, hard)| (u64::from(soft), u64::from(hard)))
}

/// setrlimit from u64 values, saturating to what rlim_t holds.
#[allow(clippy::unnecessary_fallible_conversions)]
pub fn set_rlimit(res: Resource, soft: u64, hard: u64) -> nix::Result<()> {
    let cap = |v: u64| libc::rlim_t::try_from(v).unwrap_or(libc::rlim_t::MAX);
    setrlimit(res, cap(soft), cap(hard))
}

/// The value planned for the rlimit `name`.
fn planned_rlimit(name: &str, nofile: u64, fsize: u64) -> u64 {
    match name {
        "NOFILE" => nofile,
        "FSIZE" => fsize,
        _ => 0,
    }
}

const RLIMITS: [(&str, Resource); 4] = [
    ("NPROC", Resource::RLIMIT_NPROC),
    ("FSIZE", Resource::RLIMIT_FSIZE),
    ("CORE", Resource::RLIMIT_CORE),
    ("NOFILE", Resource::RLIMIT_NOFILE),
];

/// No new processes, no file writes (beyond a log file's allowance, `fsize`),
/// no core dumps, descriptors fixed at what the connection table needs;
/// soft = hard so none can be raised again.
fn set_rlimits(nofile: u64, fsize: u64) -> Result<(), ConfineError> {
    // SAFETY: ignoring SIGXFSZ installs no handler; a write past RLIMIT_FSIZE
    // then fails with EFBIG instead of killing the server.
    step("ignore SIGXFSZ", unsafe {
        nix::sys::signal::signal(nix::sys::signal::Signal::SIGXFSZ, nix::sys::signal::SigHandler::SigIgn)
    })?;
    for (name, res) in RLIMITS {
        let v = planned_rlimit(name, nofile, fsize);
        step(&format!("RLIMIT_{name}"), set_rlimit(res, v, v))?;
    }
    Ok(())
}

/// The kernel's Landlock ABI version (0 when it has none), asked directly so
/// that the ruleset can ask for exactly what this kernel can enforce.
pub fn kernel_landlock_abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_ulong = 1;
    // SAFETY: with a NULL attribute and size 0, this flag only returns the version.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    i32::try_from(v).unwrap_or(0).max(0)
}

/// Read-only web root and nothing else: every filesystem right this kernel's
/// ABI knows is handled, only ReadFile and ReadDir are granted beneath the
/// root; TCP bind and connect are handled, with connect allowed only to the
/// `--proxy` backends' ports (ABI ≥ 4; the listeners are already bound); signals and abstract unix sockets are scoped
/// to the domain (ABI ≥ 6).
fn apply_landlock(plan: &Plan<'_>) -> Result<LandlockState, ConfineError> {
    if plan.landlock == LandlockMode::Off {
        return Ok(LandlockState::Disabled);
    }
    let abi_num = kernel_landlock_abi();
    if abi_num == 0 {
        if plan.landlock == LandlockMode::Required {
            return Err(ConfineError("--require-landlock: this kernel has no Landlock".into()));
        }
        return Ok(LandlockState::Unsupported);
    }
    let abi = ABI::from(abi_num);
    let level = match plan.landlock {
        LandlockMode::Required => CompatLevel::HardRequirement,
        _ => CompatLevel::BestEffort,
    };
    let err = |e: landlock::RulesetError| ConfineError(format!("landlock: {e}"));
    let mut ruleset = Ruleset::default()
        .set_compatibility(level)
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?;
    if abi_num >= 4 {
        ruleset = ruleset.handle_access(AccessNet::from_all(abi)).map_err(err)?;
    }
    if abi_num >= 6 {
        ruleset = ruleset.scope(Scope::AbstractUnixSocket | Scope::Signal).map_err(err)?;
    }
    let read = AccessFs::ReadFile | AccessFs::ReadDir;
    let mut created = ruleset
        .create()
        .map_err(err)?
        .add_rule(PathBeneath::new(plan.root, read))
        .map_err(err)?;
    if abi_num >= 4 {
        for &port in &plan.connect_ports {
            created = created
                .add_rule(NetPort::new(port, AccessNet::ConnectTcp))
                .map_err(err)?;
        }
    }
    let status = created.restrict_self().map_err(err)?;
    let status = match status.ruleset {
        RulesetStatus::FullyEnforced => Enforcement::Full,
        RulesetStatus::PartiallyEnforced => Enforcement::Partial,
        RulesetStatus::NotEnforced => Enforcement::None,
    };
    if plan.landlock == LandlockMode::Required && status != Enforcement::Full {
        return Err(ConfineError(format!("--require-landlock: ruleset {status:?} enforced")));
    }
    Ok(LandlockState::Applied { abi: abi_num, status })
}

fn read_caps() -> Result<CapSets, ConfineError> {
    let (permitted, effective, inheritable) = capget()?;
    let mut bounding = 0;
    let mut ambient = 0;
    for cap in 0..=last_cap() {
        // SAFETY: both prctl reads take a capability number and no memory.
        let (b, a) = unsafe {
            (
                libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(cap), 0, 0, 0),
                libc::prctl(
                    libc::PR_CAP_AMBIENT,
                    libc::PR_CAP_AMBIENT_IS_SET as libc::c_ulong,
                    libc::c_ulong::from(cap),
                    0,
                    0,
                ),
            )
        };
        bounding |= u64::from(b == 1) << cap;
        ambient |= u64::from(a == 1) << cap;
    }
    Ok(CapSets {
        permitted,
        effective,
        inheritable,
        bounding,
        ambient,
    })
}

/// Reads the state back from the kernel; nothing here trusts the sequence.
fn read_report(plan: &Plan<'_>, landlock: LandlockState) -> Result<Report, ConfineError> {
    let uid = step("getresuid", getresuid())?;
    let gid = step("getresgid", getresgid())?;
    let groups = step("getgroups", getgroups())?;
    // "/" is the web root exactly when both name the same inode.
    let jailed = match (nix::sys::stat::stat("/"), fstat(plan.root)) {
        (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
        _ => false,
    };
    let mut rlimits = Vec::new();
    for (name, res) in RLIMITS {
        let (soft, hard) = step(&format!("getrlimit {name}"), get_rlimit(res))?;
        rlimits.push((name, soft, hard));
    }
    Ok(Report {
        root_path: plan.root_path.clone(),
        jailed,
        uid: (uid.real.as_raw(), uid.effective.as_raw(), uid.saved.as_raw()),
        gid: (gid.real.as_raw(), gid.effective.as_raw(), gid.saved.as_raw()),
        groups: groups.iter().map(|g| g.as_raw()).collect(),
        caps: read_caps()?,
        no_new_privs: step("PR_GET_NO_NEW_PRIVS", nix::sys::prctl::get_no_new_privs())?,
        rlimits,
        landlock,
        connect_ports: plan.connect_ports.clone(),
        seccomp: crate::seccomp::State::Off,
    })
}

impl Report {
    /// One line per item, for the log and `--check`.
    pub fn lines(&self) -> Vec<String> {
        let c = &self.caps;
        let mut out = vec![
            format!(
                "jail root: {} ({})",
                crate::sink::Escaped(self.root_path.as_os_str().as_bytes()),
                if self.jailed { "chroot" } else { "not jailed" }
            ),
            format!("uid: real {} effective {} saved {}", self.uid.0, self.uid.1, self.uid.2),
            format!("gid: real {} effective {} saved {}", self.gid.0, self.gid.1, self.gid.2),
            format!(
                "supplementary groups: {}",
                if self.groups.is_empty() {
                    "none".to_string()
                } else {
                    format!("{:?}", self.groups)
                }
            ),
            format!(
                "capabilities: permitted {:#x} effective {:#x} inheritable {:#x} bounding {:#x} ambient {:#x}",
                c.permitted, c.effective, c.inheritable, c.bounding, c.ambient
            ),
            format!("no_new_privs: {}", u8::from(self.no_new_privs)),
        ];
        let limits: Vec<String> = self.rlimits.iter().map(|(n, s, h)| format!("{n} {s}/{h}")).collect();
        out.push(format!("rlimits: {}", limits.join(", ")));
        out.push(match &self.landlock {
            LandlockState::Disabled => "landlock: not enforced (disabled)".to_string(),
            LandlockState::Unsupported => "landlock: not enforced (kernel has no Landlock, ABI 0)".to_string(),
            LandlockState::Applied { abi, status } => {
                let what = match status {
                    Enforcement::Full => "fully enforced",
                    Enforcement::Partial => "partially enforced",
                    Enforcement::None => "not enforced",
                };
                let ports: Vec<String> = self.connect_ports.iter().map(u16::to_string).collect();
                let net = match (*abi >= 4, ports.is_empty()) {
                    (false, _) => String::new(),
                    (true, true) => ", TCP bind/connect denied".to_string(),
                    (true, false) => format!(", TCP bind denied, connect only to port {}", ports.join(", ")),
                };
                let scope = if *abi >= 6 {
                    ", signals and abstract sockets scoped"
                } else {
                    ""
                };
                format!("landlock: ABI {abi}, {what} (read-only web root{net}{scope})")
            }
        });
        out.push(self.seccomp.line());
        out
    }

    /// Every way the state is worse than the plan; empty when it holds.
    pub fn shortfalls(&self, plan: &Plan<'_>) -> Vec<String> {
        let mut bad = Vec::new();
        if plan.chroot && !self.jailed {
            bad.push("not jailed in the web root".to_string());
        }
        if let Some((uid, gid)) = plan.ids {
            let (u, g) = (uid.as_raw(), gid.as_raw());
            if self.uid != (u, u, u) || self.gid != (g, g, g) {
                bad.push(format!("ids are {:?}/{:?}, planned {u}/{g}", self.uid, self.gid));
            }
            if !self.groups.is_empty() {
                bad.push("supplementary groups remain".to_string());
            }
            if self.caps != CapSets::default() {
                bad.push("capabilities remain".to_string());
            }
        } else if self.caps.permitted | self.caps.effective | self.caps.ambient != 0 {
            bad.push("capabilities remain".to_string());
        }
        if self.uid.0 == 0 || self.uid.1 == 0 || self.uid.2 == 0 {
            bad.push("still uid 0".to_string());
        }
        if !self.no_new_privs {
            bad.push("no_new_privs is not set".to_string());
        }
        for (name, soft, hard) in &self.rlimits {
            let want = planned_rlimit(name, plan.nofile, plan.fsize);
            if *soft > want || *hard > want {
                bad.push(format!("RLIMIT_{name} is {soft}/{hard}, planned {want}"));
            }
        }
        if plan.landlock == LandlockMode::Required
            && !matches!(
                self.landlock,
                LandlockState::Applied {
                    status: Enforcement::Full,
                    ..
                }
            )
        {
            bad.push("Landlock required but not fully enforced".to_string());
        }
        let installed = matches!(self.seccomp, crate::seccomp::State::Installed { read_back: 2, .. });
        if plan.seccomp.required && !installed {
            bad.push("seccomp required but no filter is in force".to_string());
        }
        if let crate::seccomp::State::Installed { read_back, .. } = self.seccomp {
            if read_back != 2 {
                bad.push(format!("seccomp installed but the kernel reports mode {read_back}"));
            }
        }
        bad
    }
}
