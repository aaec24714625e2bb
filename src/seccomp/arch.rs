//! The four architectures warden's allowlist knows, each as the syscall
//! names the policy may use there and the constants its argument checks
//! compare with. Numbers and constants come from the `libc` crate for the
//! target being built (never typed by hand), except the few that
//! `libc` 0.2.191 lacks for a target, listed in `EXTRA_*` with where they
//! come from. The name lists are plain data on every target, so the tests
//! can build and check the other architectures' programs from `libc`'s
//! sources for those targets.

use nix::libc;

/// What a filter needs to know of one architecture.
#[derive(Clone, Debug)]
pub struct Arch {
    /// "x86_64", "aarch64", "arm" (EABI), "mipsel" (o32).
    pub name: &'static str,
    /// `AUDIT_ARCH_*`: the value `seccomp_data.arch` has for this ABI.
    pub audit: u32,
    /// Syscall numbers with this bit belong to another ABI that shares
    /// `audit` (x86_64's x32): killed before the allowlist is consulted.
    pub foreign_bit: u32,
    pub big_endian: bool,
    /// Syscall names (without `SYS_`) and numbers; names the policy uses
    /// that are absent here do not exist on this architecture.
    pub numbers: Vec<(&'static str, u32)>,
    pub consts: Consts,
}

impl Arch {
    pub fn number(&self, name: &str) -> Option<u32> {
        self.numbers.iter().find(|(n, _)| *n == name).map(|&(_, nr)| nr)
    }
}

/// The constants the argument checks compare with; values differ per
/// architecture (mips has its own `O_CREAT`, `SOCK_STREAM`, `FIONBIO`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Consts {
    pub o_wronly: u32,
    pub o_rdwr: u32,
    pub o_creat: u32,
    pub o_trunc: u32,
    pub o_append: u32,
    pub prot_exec: u32,
    pub af_inet: u32,
    pub af_inet6: u32,
    pub sock_stream: u32,
    pub sock_nonblock: u32,
    pub sock_cloexec: u32,
    pub ipproto_tcp: u32,
    pub f_getfd: u32,
    pub f_setfd: u32,
    pub f_getfl: u32,
    pub f_setfl: u32,
    pub f_dupfd_cloexec: u32,
    pub fionbio: u32,
    pub pr_get_seccomp: u32,
}

// AUDIT_ARCH_* (linux/audit.h): the ELF machine with the ABI's flags.
const AUDIT_64BIT: u32 = 0x8000_0000;
const AUDIT_LE: u32 = 0x4000_0000;
pub const AUDIT_ARCH_X86_64: u32 = libc::EM_X86_64 as u32 | AUDIT_64BIT | AUDIT_LE;
pub const AUDIT_ARCH_AARCH64: u32 = libc::EM_AARCH64 as u32 | AUDIT_64BIT | AUDIT_LE;
pub const AUDIT_ARCH_ARM: u32 = libc::EM_ARM as u32 | AUDIT_LE;
pub const AUDIT_ARCH_MIPSEL: u32 = libc::EM_MIPS as u32 | AUDIT_LE;
/// x86_64's x32 ABI marks its syscall numbers with this bit (__X32_SYSCALL_BIT).
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// One list of names per architecture, as data everywhere and as `libc`
/// numbers on the target it describes.
macro_rules! names {
    ($list:ident, $numbers:ident, $cfg:meta, [$($sys:ident),* $(,)?]) => {
        /// The `libc` names this architecture's table holds.
        pub const $list: &[&str] = &[$(stringify!($sys)),*];
        #[cfg($cfg)]
        fn $numbers() -> Vec<(&'static str, u32)> {
            vec![$((strip(stringify!($sys)), libc::$sys as u32)),*]
        }
    };
}

/// `SYS_openat` → `openat`: the policy's names are the kernel's.
pub fn strip(name: &'static str) -> &'static str {
    name.strip_prefix("SYS_").unwrap_or(name)
}

names!(
    NAMES_X86_64,
    numbers_x86_64,
    target_arch = "x86_64",
    [
        SYS_poll,
        SYS_ppoll,
        SYS_recvfrom,
        SYS_sendto,
        SYS_sendfile,
        SYS_read,
        SYS_write,
        SYS_writev,
        SYS_close,
        SYS_accept4,
        SYS_accept,
        SYS_openat,
        SYS_open,
        SYS_statx,
        SYS_newfstatat,
        SYS_fstat,
        SYS_pread64,
        SYS_clock_gettime,
        SYS_gettimeofday,
        SYS_shutdown,
        SYS_setsockopt,
        SYS_getsockopt,
        SYS_getsockname,
        SYS_getpeername,
        SYS_fcntl,
        SYS_ioctl,
        SYS_lseek,
        SYS_brk,
        SYS_mmap,
        SYS_munmap,
        SYS_mremap,
        SYS_mprotect,
        SYS_madvise,
        SYS_rt_sigprocmask,
        SYS_rt_sigaction,
        SYS_rt_sigreturn,
        SYS_sigaltstack,
        SYS_restart_syscall,
        SYS_exit,
        SYS_exit_group,
        SYS_getpid,
        SYS_gettid,
        SYS_getrandom,
        SYS_futex,
        SYS_sched_yield,
        SYS_kill,
        SYS_tgkill,
        SYS_tkill,
        SYS_prctl,
        SYS_socket,
        SYS_connect,
    ]
);

names!(
    NAMES_AARCH64,
    numbers_aarch64,
    target_arch = "aarch64",
    [
        SYS_ppoll,
        SYS_recvfrom,
        SYS_sendto,
        SYS_sendfile,
        SYS_read,
        SYS_write,
        SYS_writev,
        SYS_close,
        SYS_accept4,
        SYS_accept,
        SYS_openat,
        SYS_statx,
        SYS_newfstatat,
        SYS_fstat,
        SYS_pread64,
        SYS_clock_gettime,
        SYS_gettimeofday,
        SYS_shutdown,
        SYS_setsockopt,
        SYS_getsockopt,
        SYS_getsockname,
        SYS_getpeername,
        SYS_fcntl,
        SYS_ioctl,
        SYS_lseek,
        SYS_brk,
        SYS_mmap,
        SYS_munmap,
        SYS_mremap,
        SYS_mprotect,
        SYS_madvise,
        SYS_rt_sigprocmask,
        SYS_rt_sigaction,
        SYS_rt_sigreturn,
        SYS_sigaltstack,
        SYS_restart_syscall,
        SYS_exit,
        SYS_exit_group,
        SYS_getpid,
        SYS_gettid,
        SYS_getrandom,
        SYS_futex,
        SYS_sched_yield,
        SYS_kill,
        SYS_tgkill,
        SYS_tkill,
        SYS_prctl,
        SYS_socket,
        SYS_connect,
    ]
);

names!(
    NAMES_ARM,
    numbers_arm,
    target_arch = "arm",
    [
        SYS_poll,
        SYS_ppoll,
        SYS_recvfrom,
        SYS_recv,
        SYS_sendto,
        SYS_send,
        SYS_sendfile,
        SYS_sendfile64,
        SYS_read,
        SYS_write,
        SYS_writev,
        SYS_close,
        SYS_accept4,
        SYS_accept,
        SYS_openat,
        SYS_open,
        SYS_statx,
        SYS_fstatat64,
        SYS_fstat,
        SYS_fstat64,
        SYS_pread64,
        SYS_clock_gettime,
        SYS_gettimeofday,
        SYS_shutdown,
        SYS_setsockopt,
        SYS_getsockopt,
        SYS_getsockname,
        SYS_getpeername,
        SYS_fcntl,
        SYS_fcntl64,
        SYS_ioctl,
        SYS_lseek,
        SYS__llseek,
        SYS_brk,
        SYS_mmap2,
        SYS_munmap,
        SYS_mremap,
        SYS_mprotect,
        SYS_madvise,
        SYS_rt_sigprocmask,
        SYS_rt_sigaction,
        SYS_rt_sigreturn,
        SYS_sigreturn,
        SYS_sigaltstack,
        SYS_restart_syscall,
        SYS_exit,
        SYS_exit_group,
        SYS_getpid,
        SYS_gettid,
        SYS_getrandom,
        SYS_futex,
        SYS_sched_yield,
        SYS_kill,
        SYS_tgkill,
        SYS_tkill,
        SYS_prctl,
        SYS_socket,
        SYS_connect,
    ]
);

names!(
    NAMES_MIPSEL,
    numbers_mipsel,
    all(target_arch = "mips", target_endian = "little"),
    [
        SYS_poll,
        SYS_ppoll,
        SYS_recvfrom,
        SYS_recv,
        SYS_sendto,
        SYS_send,
        SYS_sendfile,
        SYS_sendfile64,
        SYS_read,
        SYS_write,
        SYS_writev,
        SYS_close,
        SYS_accept4,
        SYS_accept,
        SYS_openat,
        SYS_open,
        SYS_statx,
        SYS_fstat,
        SYS_fstat64,
        SYS_clock_gettime,
        SYS_gettimeofday,
        SYS_shutdown,
        SYS_setsockopt,
        SYS_getsockopt,
        SYS_getsockname,
        SYS_getpeername,
        SYS_fcntl,
        SYS_fcntl64,
        SYS_ioctl,
        SYS_lseek,
        SYS__llseek,
        SYS_brk,
        SYS_mmap,
        SYS_mmap2,
        SYS_munmap,
        SYS_mremap,
        SYS_mprotect,
        SYS_madvise,
        SYS_rt_sigprocmask,
        SYS_rt_sigaction,
        SYS_rt_sigreturn,
        SYS_sigreturn,
        SYS_sigaltstack,
        SYS_restart_syscall,
        SYS_exit,
        SYS_exit_group,
        SYS_getpid,
        SYS_gettid,
        SYS_getrandom,
        SYS_futex,
        SYS_sched_yield,
        SYS_kill,
        SYS_tgkill,
        SYS_tkill,
        SYS_prctl,
        SYS_socket,
        SYS_connect,
    ]
);

/// Syscalls musl 1.2 makes on 32-bit targets that `libc` 0.2.191 has no
/// constant for. The time64 calls were added in Linux 5.1 at the same place
/// of every 32-bit table (403 + the ABI's base; asm-generic/unistd.h,
/// arch/arm/tools/syscall.tbl, arch/mips/kernel/syscalls/syscall_o32.tbl);
/// mips o32's pread64 and fstatat64 are in that o32 table (and in `libc`'s
/// glibc module for mips, which the tests compare with).
pub const EXTRA_ARM: &[(&str, u32)] = &[("clock_gettime64", 403)];
pub const EXTRA_MIPSEL: &[(&str, u32)] = &[
    ("clock_gettime64", 4000 + 403),
    ("pread64", 4000 + 200),
    ("fstatat64", 4000 + 293),
];

/// The table of the architecture this binary runs on, or `None` when the
/// allowlist does not cover it (then seccomp is reported unavailable).
pub fn native() -> Option<Arch> {
    #[cfg(target_arch = "x86_64")]
    let arch = Some(("x86_64", AUDIT_ARCH_X86_64, X32_SYSCALL_BIT, numbers_x86_64()));
    #[cfg(target_arch = "aarch64")]
    let arch = Some(("aarch64", AUDIT_ARCH_AARCH64, 0, numbers_aarch64()));
    #[cfg(target_arch = "arm")]
    let arch = Some(("arm", AUDIT_ARCH_ARM, 0, with_extra(numbers_arm(), EXTRA_ARM)));
    #[cfg(all(target_arch = "mips", target_endian = "little"))]
    let arch = Some((
        "mipsel",
        AUDIT_ARCH_MIPSEL,
        0,
        with_extra(numbers_mipsel(), EXTRA_MIPSEL),
    ));
    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "arm",
        all(target_arch = "mips", target_endian = "little")
    )))]
    let arch: Option<(&'static str, u32, u32, Vec<(&'static str, u32)>)> = None;
    let (name, audit, foreign_bit, numbers) = arch?;
    Some(Arch {
        name,
        audit,
        foreign_bit,
        big_endian: cfg!(target_endian = "big"),
        numbers,
        consts: native_consts(),
    })
}

#[cfg(any(target_arch = "arm", all(target_arch = "mips", target_endian = "little")))]
fn with_extra(mut numbers: Vec<(&'static str, u32)>, extra: &[(&'static str, u32)]) -> Vec<(&'static str, u32)> {
    for &(name, nr) in extra {
        if !numbers.iter().any(|&(n, _)| n == name) {
            numbers.push((name, nr));
        }
    }
    numbers
}

/// The constants of the target being built, from `libc`.
#[allow(clippy::unnecessary_cast)]
pub fn native_consts() -> Consts {
    Consts {
        o_wronly: libc::O_WRONLY as u32,
        o_rdwr: libc::O_RDWR as u32,
        o_creat: libc::O_CREAT as u32,
        o_trunc: libc::O_TRUNC as u32,
        o_append: libc::O_APPEND as u32,
        prot_exec: libc::PROT_EXEC as u32,
        af_inet: libc::AF_INET as u32,
        af_inet6: libc::AF_INET6 as u32,
        sock_stream: libc::SOCK_STREAM as u32,
        sock_nonblock: libc::SOCK_NONBLOCK as u32,
        sock_cloexec: libc::SOCK_CLOEXEC as u32,
        ipproto_tcp: libc::IPPROTO_TCP as u32,
        f_getfd: libc::F_GETFD as u32,
        f_setfd: libc::F_SETFD as u32,
        f_getfl: libc::F_GETFL as u32,
        f_setfl: libc::F_SETFL as u32,
        f_dupfd_cloexec: libc::F_DUPFD_CLOEXEC as u32,
        fionbio: libc::FIONBIO as u32,
        pr_get_seccomp: libc::PR_GET_SECCOMP as u32,
    }
}
