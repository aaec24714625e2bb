//! The seccomp programs of all four architectures, checked with the classic-BPF
//! interpreter of `warden::seccomp::bpf`.
//!
//! qemu-user runs no guest seccomp filter, so the arm, aarch64 and mipsel programs
//! can only be checked by interpretation. Their syscall numbers and constants come
//! from the `libc` crate's sources for those targets (the musl modules the board
//! builds use), read from the copy cargo fetched: the same crate and version as
//! Cargo.lock, never numbers typed into the test. The parser is checked on the
//! architecture the tests run on, against the `libc` constants compiled in.
//!
//! For each architecture: every allowed syscall passes with allowed arguments;
//! forbidden syscalls and forbidden arguments get the violation action; a foreign
//! `AUDIT_ARCH` (and x86_64's x32 bit) gets the kill. Natively, the x86_64 program
//! is installed in a forked child and the kernel's verdict on a set of harmless
//! calls is compared with the interpreter's, call by call.

mod common;

use nix::libc;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use warden::seccomp::arch::{self, Arch, Consts};
use warden::seccomp::bpf::{self, Data};
use warden::seccomp::policy::{self, Policy};

const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
/// Violations use LOG in these programs so a verdict shows which path decided:
/// the architecture check returns `KILL`, the allowlist `VIOLATION`.
const VIOLATION: u32 = libc::SECCOMP_RET_LOG;
const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;
const PID: u32 = 4242;
/// stdout, stderr, a log sink's descriptor.
const LOG_FDS: [u32; 3] = [1, 2, 7];

// ------------------------------------------------------------ libc's sources

/// The directory of the `libc` sources cargo fetched for this build (the version
/// in Cargo.lock), or `None` with the places looked at.
fn libc_src() -> Result<PathBuf, String> {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"libc\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .ok_or("no libc in Cargo.lock")?;
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registry = home.join("registry/src");
    let mut tried = Vec::new();
    for index in std::fs::read_dir(&registry).map_err(|e| format!("{}: {e}", registry.display()))? {
        let dir = index.map_err(|e| e.to_string())?.path().join(format!("libc-{version}"));
        if dir.join("src/unix/linux_like/linux/musl").is_dir() {
            return Ok(dir.join("src"));
        }
        tried.push(dir);
    }
    Err(format!("libc-{version} sources not found in {tried:?}"))
}

/// `pub const NAME: TYPE = VALUE;` definitions of some `libc` source files, looked
/// up in the order the files were given (the most specific module first), values
/// evaluated: integer literals (decimal, 0x, 0o, 0b, `_`), `+` and `|` of terms, and
/// names defined in the same files.
struct Defs {
    files: Vec<(PathBuf, HashMap<String, String>)>,
}

impl Defs {
    fn load(src: &Path, rel: &[&str]) -> Defs {
        let files = rel
            .iter()
            .map(|r| {
                let path = src.join(r);
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let mut defs = HashMap::new();
                for line in text.lines() {
                    let Some(rest) = line.trim_start().strip_prefix("pub const ") else {
                        continue;
                    };
                    let Some((name, rest)) = rest.split_once(':') else {
                        continue;
                    };
                    let Some((_, value)) = rest.split_once('=') else {
                        continue;
                    };
                    let Some(value) = value.trim().strip_suffix(';') else {
                        continue;
                    };
                    // The first definition in a file: the unconditional one, or the
                    // first branch of a cfg_if (the callers order files so that
                    // the branch for the target is the one read).
                    defs.entry(name.trim().to_string())
                        .or_insert_with(|| value.trim().to_string());
                }
                (path, defs)
            })
            .collect();
        Defs { files }
    }

    fn get(&self, name: &str) -> Option<u64> {
        self.get_depth(name, 0)
    }

    fn get_depth(&self, name: &str, depth: usize) -> Option<u64> {
        assert!(depth < 8, "{name}: definitions nest too deep");
        let expr = self.files.iter().find_map(|(_, d)| d.get(name))?;
        let mut value = 0u64;
        let ops: Vec<(char, &str)> = split_terms(expr);
        for (op, term) in ops {
            let t = term.trim();
            let v = literal(t)
                .or_else(|| self.get_depth(t, depth + 1))
                .unwrap_or_else(|| panic!("{name} = {expr}: cannot evaluate {t:?}"));
            value = match op {
                '+' => value + v,
                _ => value | v,
            };
        }
        Some(value)
    }
}

/// "4000 + 3" → [('+', "4000"), ('+', "3")]; "A | B" → [('|', "A"), ('|', "B")].
fn split_terms(expr: &str) -> Vec<(char, &str)> {
    let mut out = Vec::new();
    let mut op = '+';
    let mut start = 0;
    for (i, c) in expr.char_indices() {
        if c == '+' || c == '|' {
            out.push((op, &expr[start..i]));
            op = c;
            start = i + 1;
        }
    }
    out.push((op, &expr[start..]));
    out
}

fn literal(t: &str) -> Option<u64> {
    let t = t.replace('_', "");
    let t = t.trim_end_matches("u32").trim_end_matches("i32");
    if let Some(h) = t.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(o) = t.strip_prefix("0o") {
        u64::from_str_radix(o, 8).ok()
    } else if let Some(b) = t.strip_prefix("0b") {
        u64::from_str_radix(b, 2).ok()
    } else {
        t.parse().ok()
    }
}

const LINUX: &str = "unix/linux_like/linux";

/// The files that define one musl target's syscall numbers and constants, the
/// target's own first.
fn musl_files(name: &str) -> Vec<String> {
    let (own, arch_dir, bits) = match name {
        "x86_64" => ("musl/b64/x86_64/mod.rs", "generic", None),
        "aarch64" => ("musl/b64/aarch64/mod.rs", "generic", None),
        "arm" => ("musl/b32/arm/mod.rs", "generic", None),
        "mipsel" => (
            "musl/b32/mips/mod.rs",
            "mips",
            Some("new/musl/arch/mips/bits/socket.rs"),
        ),
        other => panic!("no files for {other}"),
    };
    let width = if own.contains("/b64/") {
        "musl/b64/mod.rs"
    } else {
        "musl/b32/mod.rs"
    };
    let mut files = vec![format!("{LINUX}/{own}"), format!("{LINUX}/arch/{arch_dir}/mod.rs")];
    files.extend(bits.map(str::to_string));
    files.extend([
        format!("{LINUX}/{width}"),
        format!("{LINUX}/musl/mod.rs"),
        format!("{LINUX}/mod.rs"),
        "unix/linux_like/linux_l4re_shared.rs".to_string(),
        "unix/linux_like/mod.rs".to_string(),
        "unix/mod.rs".to_string(),
        // Generic socket constants after mips's own (its `else` branch is the generic one).
        "new/musl/sys/socket.rs".to_string(),
    ]);
    files
}

/// An architecture's table built from `libc`'s sources, as `arch::native()` builds
/// it from the compiled constants on that target.
fn foreign(name: &str) -> (Arch, Defs) {
    let src = match libc_src() {
        Ok(s) => s,
        Err(e) => panic!("the libc sources are needed to check the other architectures: {e}"),
    };
    let rel = musl_files(name);
    let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
    let defs = Defs::load(&src, &rel);
    let (names, extra, audit, foreign_bit): (&[&str], &[(&str, u32)], u32, u32) = match name {
        "x86_64" => (arch::NAMES_X86_64, &[], arch::AUDIT_ARCH_X86_64, arch::X32_SYSCALL_BIT),
        "aarch64" => (arch::NAMES_AARCH64, &[], arch::AUDIT_ARCH_AARCH64, 0),
        "arm" => (arch::NAMES_ARM, arch::EXTRA_ARM, arch::AUDIT_ARCH_ARM, 0),
        "mipsel" => (arch::NAMES_MIPSEL, arch::EXTRA_MIPSEL, arch::AUDIT_ARCH_MIPSEL, 0),
        _ => unreachable!(),
    };
    let mut numbers = Vec::new();
    for &n in names {
        let nr = defs
            .get(n)
            .unwrap_or_else(|| panic!("{name}: {n} is in warden's list but not in libc's musl module"));
        numbers.push((arch::strip(n), u32::try_from(nr).expect("syscall number fits u32")));
    }
    for &(n, nr) in extra {
        if !numbers.iter().any(|&(m, _)| m == n) {
            numbers.push((n, nr));
        }
    }
    let c = |n: &str| -> u32 {
        let v = defs
            .get(n)
            .unwrap_or_else(|| panic!("{name}: no {n} in libc's sources"));
        u32::try_from(v).unwrap_or_else(|_| panic!("{name}: {n} = {v} does not fit u32"))
    };
    let consts = Consts {
        o_wronly: c("O_WRONLY"),
        o_rdwr: c("O_RDWR"),
        o_creat: c("O_CREAT"),
        o_trunc: c("O_TRUNC"),
        o_append: c("O_APPEND"),
        prot_exec: c("PROT_EXEC"),
        af_inet: c("AF_INET"),
        af_inet6: c("AF_INET6"),
        sock_stream: c("SOCK_STREAM"),
        sock_nonblock: c("SOCK_NONBLOCK"),
        sock_cloexec: c("SOCK_CLOEXEC"),
        ipproto_tcp: c("IPPROTO_TCP"),
        f_getfd: c("F_GETFD"),
        f_setfd: c("F_SETFD"),
        f_getfl: c("F_GETFL"),
        f_setfl: c("F_SETFL"),
        f_dupfd_cloexec: c("F_DUPFD_CLOEXEC"),
        fionbio: c("FIONBIO"),
        pr_get_seccomp: c("PR_GET_SECCOMP"),
    };
    let arch = Arch {
        name: match name {
            "x86_64" => "x86_64",
            "aarch64" => "aarch64",
            "arm" => "arm",
            _ => "mipsel",
        },
        audit,
        foreign_bit,
        big_endian: false,
        numbers,
        consts,
    };
    (arch, defs)
}

/// The architecture the tests run on, by the name warden's tables use.
fn native_name() -> &'static str {
    match std::env::consts::ARCH {
        "mips" => "mipsel",
        a => a,
    }
}

// ------------------------------------------------------------ interpretation

fn policy(proxy: bool) -> Policy {
    let mut log_fds = heapless::Vec::new();
    for fd in LOG_FDS {
        log_fds.push(fd).expect("room for the log fds");
    }
    Policy {
        proxy,
        log_fds,
        pid: PID,
        violation: VIOLATION,
        kill: KILL,
    }
}

struct Checked {
    arch: Arch,
    insns: Vec<bpf::Insn>,
}

impl Checked {
    fn new(arch: Arch, proxy: bool) -> Checked {
        let prog = policy::build(&arch, &policy(proxy));
        bpf::check(&prog.insns).unwrap_or_else(|f| panic!("{}: the program is malformed: {f:?}", arch.name));
        Checked {
            arch,
            insns: prog.insns,
        }
    }

    fn verdict_raw(&self, nr: u32, audit: u32, args: [u64; 6]) -> u32 {
        let d = Data {
            nr,
            arch: audit,
            ip: 0x1000,
            args,
        };
        bpf::run(&self.insns, &d.to_bytes(self.arch.big_endian), self.arch.big_endian)
            .unwrap_or_else(|f| panic!("{}: the interpreter faulted on {d:?}: {f:?}", self.arch.name))
    }

    /// The verdict on syscall `name` with `args`, or `None` if this architecture has no such call.
    fn verdict(&self, name: &str, args: [u64; 6]) -> Option<u32> {
        let nr = self.arch.number(name)?;
        Some(self.verdict_raw(nr, self.arch.audit, args))
    }

    fn expect(&self, name: &str, args: [u64; 6], want: u32, why: &str) {
        if let Some(v) = self.verdict(name, args) {
            assert_eq!(
                v, want,
                "{}: {name}{args:?} ({why}): got {v:#x}, want {want:#x}",
                self.arch.name
            );
        }
    }
}

fn a(args: &[u64]) -> [u64; 6] {
    let mut out = [0u64; 6];
    out[..args.len()].copy_from_slice(args);
    out
}

/// Syscalls an intruder wants and the serving loop never makes; the ones the
/// architecture has must get the violation action.
const FORBIDDEN: &[&str] = &[
    "SYS_execve",
    "SYS_execveat",
    "SYS_fork",
    "SYS_vfork",
    "SYS_clone",
    "SYS_clone3",
    "SYS_ptrace",
    "SYS_bind",
    "SYS_listen",
    "SYS_ftruncate",
    "SYS_ftruncate64",
    "SYS_truncate",
    "SYS_unlink",
    "SYS_unlinkat",
    "SYS_rename",
    "SYS_renameat",
    "SYS_renameat2",
    "SYS_chmod",
    "SYS_fchmod",
    "SYS_fchmodat",
    "SYS_chown",
    "SYS_fchownat",
    "SYS_mount",
    "SYS_umount2",
    "SYS_setuid",
    "SYS_setuid32",
    "SYS_setresuid",
    "SYS_setresuid32",
    "SYS_setgid",
    "SYS_setresgid",
    "SYS_setgroups",
    "SYS_chroot",
    "SYS_socketcall",
    "SYS_socketpair",
    "SYS_sendmsg",
    "SYS_recvmsg",
    "SYS_memfd_create",
    "SYS_process_vm_writev",
    "SYS_pkey_mprotect",
    "SYS_bpf",
    "SYS_seccomp",
    "SYS_personality",
    "SYS_kexec_load",
    "SYS_reboot",
    "SYS_init_module",
    "SYS_finit_module",
    "SYS_mknod",
    "SYS_mknodat",
    "SYS_mkdir",
    "SYS_mkdirat",
    "SYS_symlink",
    "SYS_symlinkat",
    "SYS_link",
    "SYS_linkat",
    "SYS_openat2",
    "SYS_open_by_handle_at",
    "SYS_io_uring_setup",
    "SYS_userfaultfd",
    "SYS_perf_event_open",
    "SYS_setns",
    "SYS_unshare",
];

/// Everything the allowlist promises, checked by interpretation on one architecture.
fn check_arch(arch: &Arch, defs: &Defs) {
    let c = arch.consts;
    let no_proxy = Checked::new(arch.clone(), false);
    let proxy = Checked::new(arch.clone(), true);

    // Every rule without argument conditions: allowed whatever the arguments.
    let rules = policy::rules(&policy(true), &c);
    let mut checked = 0;
    for r in rules.iter().filter(|r| r.conds.is_empty()) {
        for args in [a(&[]), [u64::MAX; 6], a(&[0xdead_beef, 1, 2, 3, 4, 5])] {
            if let Some(v) = proxy.verdict(r.name, args) {
                assert_eq!(v, ALLOW, "{}: {}{args:?}", arch.name, r.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 90, "{}: only {checked} allowed calls found", arch.name);

    // The rules with arguments: each allowed value passes, the others do not.
    let ro = [
        0,
        0o2_000_000, /* O_CLOEXEC */
        0o200_000,   /* O_DIRECTORY on x86 */
    ];
    for flags in ro {
        no_proxy.expect(
            "openat",
            a(&[u64::from(libc::AT_FDCWD as u32), 0x1000, flags]),
            ALLOW,
            "read-only",
        );
        no_proxy.expect("open", a(&[0x1000, flags]), ALLOW, "read-only");
    }
    for bad in [
        c.o_wronly,
        c.o_rdwr,
        c.o_creat,
        c.o_trunc,
        c.o_append,
        c.o_wronly | c.o_creat | c.o_trunc,
    ] {
        let bad = u64::from(bad);
        no_proxy.expect(
            "openat",
            a(&[u64::from(libc::AT_FDCWD as u32), 0x1000, bad]),
            VIOLATION,
            "write flags",
        );
        no_proxy.expect("open", a(&[0x1000, bad]), VIOLATION, "write flags");
    }
    for call in ["write", "writev"] {
        for fd in LOG_FDS {
            no_proxy.expect(call, a(&[u64::from(fd), 0x1000, 10]), ALLOW, "a log fd");
        }
        for fd in [0u64, 3, 4, 5, 6, 8, 100, 0xffff_ffff] {
            no_proxy.expect(call, a(&[fd, 0x1000, 10]), VIOLATION, "not a log fd");
        }
    }
    no_proxy.expect("ioctl", a(&[3, u64::from(c.fionbio), 0x1000]), ALLOW, "FIONBIO");
    // TIOCSTI, TIOCLINUX, and FIONBIO of the other ABIs (generic, mips).
    for other in [0x5412u64, 0x541c, 0x5421, 0x667e] {
        if other != u64::from(c.fionbio) {
            no_proxy.expect("ioctl", a(&[3, other]), VIOLATION, "another ioctl");
        }
    }
    for call in ["fcntl", "fcntl64"] {
        for cmd in [c.f_getfd, c.f_setfd, c.f_getfl, c.f_setfl, c.f_dupfd_cloexec] {
            no_proxy.expect(call, a(&[3, u64::from(cmd), 1]), ALLOW, "an allowed fcntl");
        }
        for cmd in [
            0u64, /* F_DUPFD */
            6, 7, 8, 1024, /* F_SETLEASE */
            1033, /* F_ADD_SEALS */
        ] {
            no_proxy.expect(call, a(&[3, cmd]), VIOLATION, "another fcntl");
        }
    }
    let (rw, rwx) = (0b11u64, 0b11 | u64::from(c.prot_exec));
    for call in ["mmap", "mmap2", "mprotect"] {
        no_proxy.expect(call, a(&[0, 4096, rw, 0x22]), ALLOW, "no PROT_EXEC");
        no_proxy.expect(call, a(&[0, 4096, rwx, 0x22]), VIOLATION, "PROT_EXEC");
        no_proxy.expect(call, a(&[0, 4096, u64::from(c.prot_exec)]), VIOLATION, "PROT_EXEC");
    }
    for call in ["kill", "tkill", "tgkill"] {
        no_proxy.expect(call, a(&[u64::from(PID), 6, 6]), ALLOW, "itself");
        for other in [
            1u64,
            u64::from(PID) + 1,
            0,
            u64::from(u32::MAX), /* -1: every process */
        ] {
            no_proxy.expect(call, a(&[other, 9, 9]), VIOLATION, "another process");
        }
    }
    no_proxy.expect("prctl", a(&[u64::from(c.pr_get_seccomp)]), ALLOW, "PR_GET_SECCOMP");
    for opt in [
        22u64, /* PR_SET_SECCOMP */
        38,    /* PR_SET_NO_NEW_PRIVS */
        4,     /* PR_SET_DUMPABLE */
        15,    /* PR_SET_NAME */
    ] {
        no_proxy.expect("prctl", a(&[opt]), VIOLATION, "another prctl");
    }

    // Sockets: none without --proxy; with it TCP over IPv4/IPv6 only.
    let stream = u64::from(c.sock_stream);
    let flags = u64::from(c.sock_nonblock | c.sock_cloexec);
    for (af, ty, proto) in [
        (c.af_inet, stream, 0),
        (c.af_inet6, stream | flags, 0),
        (c.af_inet, stream | u64::from(c.sock_cloexec), u64::from(c.ipproto_tcp)),
    ] {
        let args = a(&[u64::from(af), ty, proto]);
        no_proxy.expect("socket", args, VIOLATION, "no --proxy");
        proxy.expect("socket", args, ALLOW, "a TCP socket with --proxy");
    }
    let unix = defs.get("AF_UNIX").expect("AF_UNIX");
    let netlink = defs.get("AF_NETLINK").expect("AF_NETLINK");
    let packet = defs.get("AF_PACKET").expect("AF_PACKET");
    let dgram = defs.get("SOCK_DGRAM").expect("SOCK_DGRAM");
    let raw = defs.get("SOCK_RAW").expect("SOCK_RAW");
    let udp = defs.get("IPPROTO_UDP").expect("IPPROTO_UDP");
    for (af, ty, proto) in [
        (unix, stream, 0),
        (netlink, raw, 0),
        (packet, raw, 0),
        (u64::from(c.af_inet), dgram, 0),
        (u64::from(c.af_inet), raw, 6),
        (u64::from(c.af_inet), stream, udp),
        (u64::from(c.af_inet6), dgram | flags, udp),
    ] {
        proxy.expect("socket", a(&[af, ty, proto]), VIOLATION, "not a TCP socket");
    }
    no_proxy.expect("connect", a(&[3, 0x1000, 16]), VIOLATION, "no --proxy");
    proxy.expect("connect", a(&[3, 0x1000, 16]), ALLOW, "--proxy");

    // What no serving loop makes.
    let mut forbidden = 0;
    for &name in FORBIDDEN {
        if let Some(nr) = defs.get(name) {
            let nr = u32::try_from(nr).expect("number fits");
            for p in [&no_proxy, &proxy] {
                let v = p.verdict_raw(nr, arch.audit, a(&[1, 2, 3]));
                assert_eq!(v, VIOLATION, "{}: {name} ({nr}) must be refused", arch.name);
            }
            forbidden += 1;
        }
    }
    assert!(forbidden > 40, "{}: only {forbidden} forbidden calls found", arch.name);
    for nr in [u32::MAX, 0xffff, 5000, 9999] {
        if !arch.numbers.iter().any(|&(_, n)| n == nr) && nr & arch.foreign_bit == 0 {
            assert_eq!(
                no_proxy.verdict_raw(nr, arch.audit, a(&[])),
                VIOLATION,
                "{}: nr {nr}",
                arch.name
            );
        }
    }

    // A call of another ABI: killed before the allowlist, whatever the number.
    let read = arch.number("read").expect("read");
    for audit in [
        arch::AUDIT_ARCH_X86_64,
        arch::AUDIT_ARCH_AARCH64,
        arch::AUDIT_ARCH_ARM,
        arch::AUDIT_ARCH_MIPSEL,
        0x4000_0003,                            // i386
        arch::AUDIT_ARCH_MIPSEL & !0x4000_0000, // mips big-endian
        0,
        u32::MAX,
    ] {
        if audit != arch.audit {
            for p in [&no_proxy, &proxy] {
                assert_eq!(
                    p.verdict_raw(read, audit, a(&[0])),
                    KILL,
                    "{}: arch {audit:#x}",
                    arch.name
                );
            }
        }
    }
    if arch.foreign_bit != 0 {
        for nr in [read, arch.number("openat").expect("openat"), 0] {
            let v = no_proxy.verdict_raw(nr | arch.foreign_bit, arch.audit, a(&[0]));
            assert_eq!(v, KILL, "{}: x32 number {:#x}", arch.name, nr | arch.foreign_bit);
        }
    }
}

/// Every constant and syscall number the parser reads must equal what `libc`
/// compiled for this target says, or the foreign tables would be unproven.
#[test]
fn libc_source_parser_agrees_with_the_compiled_constants() {
    let name = native_name();
    if !matches!(name, "x86_64" | "aarch64" | "arm" | "mipsel") {
        eprintln!("skipped: no allowlist for {name}");
        return;
    }
    let src = match libc_src() {
        Ok(s) => s,
        Err(e) if common::emulator_threads() > 0 => {
            eprintln!("skipped under an emulator: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let native = arch::native().expect("an allowlist for this architecture");
    let (parsed, _) = foreign(name);
    assert_eq!(
        parsed.consts, native.consts,
        "{name}: parsed constants differ from compiled ones"
    );
    for &(n, nr) in &native.numbers {
        assert_eq!(parsed.number(n), Some(nr), "{name}: {n}");
    }
    assert_eq!(parsed.numbers.len(), native.numbers.len(), "{name}: table sizes");
    eprintln!(
        "{name}: {} numbers and 19 constants agree ({})",
        native.numbers.len(),
        src.display()
    );
}

/// Syscall numbers warden adds where `libc` has none (`EXTRA_*`): where any of
/// `libc`'s modules for that architecture has the call (glibc's, for example), it
/// must agree; the time64 calls sit at 403 above each 32-bit ABI's base.
#[test]
fn extra_numbers_agree_with_libc_where_it_has_them() {
    let src = match libc_src() {
        Ok(s) => s,
        Err(e) if common::emulator_threads() > 0 => {
            eprintln!("skipped under an emulator: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    for (extra, base, modules) in [
        (arch::EXTRA_ARM, 0, ["musl/b32/arm/mod.rs", "gnu/b32/arm/mod.rs"]),
        (
            arch::EXTRA_MIPSEL,
            4000,
            ["musl/b32/mips/mod.rs", "gnu/b32/mips/mod.rs"],
        ),
    ] {
        let files: Vec<String> = modules.iter().map(|m| format!("{LINUX}/{m}")).collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        for &(name, nr) in extra {
            let mut found = 0;
            for f in &files {
                if let Some(v) = Defs::load(&src, &[f]).get(&format!("SYS_{name}")) {
                    assert_eq!(v, u64::from(nr), "{name} in {f}");
                    found += 1;
                }
            }
            if name.ends_with("64") && name.starts_with("clock_") {
                assert_eq!(nr, base + 403, "{name}: time64 calls start at 403");
            } else {
                assert!(found > 0, "{name} = {nr} is in no libc module: say where it comes from");
            }
        }
    }
}

#[test]
fn x86_64_program_by_interpretation() {
    let (arch, defs) = foreign("x86_64");
    check_arch(&arch, &defs);
}

#[test]
fn aarch64_program_by_interpretation() {
    let (arch, defs) = foreign("aarch64");
    check_arch(&arch, &defs);
}

#[test]
fn arm_program_by_interpretation() {
    let (arch, defs) = foreign("arm");
    check_arch(&arch, &defs);
}

#[test]
fn mipsel_program_by_interpretation() {
    let (arch, defs) = foreign("mipsel");
    check_arch(&arch, &defs);
}

/// The program of the running architecture (from the compiled constants, as the
/// server builds it) passes the same checks: under cross/test this is the arm or
/// aarch64 program as the board binary makes it.
#[test]
fn native_program_by_interpretation() {
    let Some(native) = arch::native() else {
        eprintln!("skipped: no allowlist for {}", std::env::consts::ARCH);
        return;
    };
    let src = match libc_src() {
        Ok(s) => s,
        Err(e) if common::emulator_threads() > 0 => {
            eprintln!("skipped under an emulator: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let rel = musl_files(native_name());
    let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
    check_arch(&native, &Defs::load(&src, &rel));
}

/// Policies of every shape build well-formed programs on every architecture: the
/// interpreter never faults and returns only allow, the violation or the kill.
#[test]
fn programs_are_well_formed_for_every_policy() {
    for name in ["x86_64", "aarch64", "arm", "mipsel"] {
        let (arch, _) = foreign(name);
        for proxy in [false, true] {
            for fds in [&[][..], &[2][..], &[1, 2, 3, 4][..]] {
                let mut log_fds = heapless::Vec::new();
                for &fd in fds {
                    log_fds.push(fd).expect("room");
                }
                let p = Policy {
                    proxy,
                    log_fds,
                    pid: 1,
                    violation: VIOLATION,
                    kill: KILL,
                };
                let prog = policy::build(&arch, &p);
                bpf::check(&prog.insns).unwrap_or_else(|f| panic!("{name}: {f:?}"));
                assert!(prog.insns.len() < 400, "{name}: {} instructions", prog.insns.len());
                let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
                for _ in 0..2000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let nr = if x % 3 == 0 {
                        (x >> 8) as u32
                    } else {
                        arch.numbers[(x as usize >> 4) % arch.numbers.len()].1
                    };
                    let audit = if x % 17 == 0 { (x >> 20) as u32 } else { arch.audit };
                    let args = [x, x.rotate_left(7), x >> 3 & 0xffff, x.rotate_left(31), x, !x];
                    let d = Data {
                        nr,
                        arch: audit,
                        ip: x,
                        args,
                    };
                    let v = bpf::run(&prog.insns, &d.to_bytes(false), false)
                        .unwrap_or_else(|f| panic!("{name}: fault {f:?} on {d:?}"));
                    assert!([ALLOW, VIOLATION, KILL].contains(&v), "{name}: {v:#x} on {d:?}");
                }
            }
        }
    }
}

// ------------------------------------------------------------ the kernel agrees

/// The kernel and the interpreter give the same verdict on the x86_64 program, call
/// by call. A forked child installs the program as the server builds it for this
/// process (with `--proxy` and without), except that the violation and the kill
/// return distinct errnos instead of ending the child; it then makes each call with
/// arguments that are harmless if allowed, and reports the results on a pipe. The
/// parent runs the same `seccomp_data` through the interpreter.
#[cfg(target_arch = "x86_64")]
#[test]
fn kernel_and_interpreter_agree_on_x86_64() {
    if common::skip_under_emulator("qemu-user runs no guest seccomp filter") {
        return;
    }
    for proxy in [false, true] {
        agree(proxy);
    }
}

/// The errnos standing for the violation and the kill in the agreement test.
#[cfg(target_arch = "x86_64")]
const E_VIOLATION: u32 = libc::EMEDIUMTYPE as u32;
#[cfg(target_arch = "x86_64")]
const E_KILL: u32 = libc::ECANCELED as u32;

#[cfg(target_arch = "x86_64")]
fn agree(proxy: bool) {
    use libc::*;
    const N: usize = 64;
    let native = arch::native().expect("x86_64 has an allowlist");
    let (mut fds, me) = ([0 as c_int; 2], std::process::id());
    // SAFETY: a two-int array for pipe2.
    assert_eq!(unsafe { pipe2(fds.as_mut_ptr(), O_CLOEXEC) }, 0, "pipe2");
    let (rd, wr) = (fds[0], fds[1]);
    let mut log_fds = heapless::Vec::new();
    for fd in [1, 2, wr as u32] {
        log_fds.push(fd).expect("room");
    }
    let p = Policy {
        proxy,
        log_fds,
        pid: me,
        violation: SECCOMP_RET_ERRNO | E_VIOLATION,
        kill: SECCOMP_RET_ERRNO | E_KILL,
    };
    let prog = policy::build(&native, &p);
    // Everything the child touches exists before the fork: it only makes syscalls.
    let path = c"/nonexistent-warden-dir/x".as_ptr() as u64;
    let buf = [0u8; 16];
    let buf = buf.as_ptr() as u64;
    // SAFETY: an anonymous private page, unmapped at the end.
    let page = unsafe {
        mmap(
            std::ptr::null_mut(),
            4096,
            PROT_READ,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(page, MAP_FAILED, "mmap");
    let page = page as u64;
    let at = AT_FDCWD as u32 as u64;
    let neg = |x: i32| x as i64 as u64;
    let x32 = arch::X32_SYSCALL_BIT as i64;
    let flags = |f: c_int| f as u32 as u64;
    #[rustfmt::skip]
    let cases: Vec<(i64, [u64; 6])> = vec![
        (SYS_getpid, a(&[])),
        (SYS_close, a(&[neg(-1)])),
        (SYS_read, a(&[neg(-1), buf, 0])),
        (SYS_openat, a(&[at, path, flags(O_RDONLY | O_CLOEXEC)])),
        (SYS_openat, a(&[at, path, flags(O_RDONLY | O_DIRECTORY | O_NONBLOCK)])),
        (SYS_openat, a(&[at, path, flags(O_WRONLY | O_CREAT), 0o600])),
        (SYS_openat, a(&[at, path, flags(O_RDWR)])),
        (SYS_openat, a(&[at, path, flags(O_TRUNC)])),
        (SYS_openat, a(&[at, path, flags(O_APPEND)])),
        (SYS_open, a(&[path, flags(O_RDONLY)])),
        (SYS_open, a(&[path, flags(O_WRONLY | O_CREAT), 0o600])),
        (SYS_write, a(&[wr as u64, buf, 0])),
        (SYS_write, a(&[2, buf, 0])),
        (SYS_write, a(&[100, buf, 0])),
        (SYS_write, a(&[0, buf, 0])),
        (SYS_writev, a(&[100, buf, 0])),
        (SYS_writev, a(&[1, buf, 0])),
        (SYS_ioctl, a(&[neg(-1), FIONBIO, buf])),
        (SYS_ioctl, a(&[neg(-1), TIOCSTI, buf])),
        (SYS_fcntl, a(&[neg(-1), flags(F_GETFD)])),
        (SYS_fcntl, a(&[neg(-1), flags(F_SETFL), 0])),
        (SYS_fcntl, a(&[neg(-1), flags(F_SETLK), 0])),
        (SYS_fcntl, a(&[neg(-1), flags(F_DUPFD), 0])),
        (SYS_mmap, a(&[0, 4096, flags(PROT_READ), flags(MAP_PRIVATE | MAP_ANONYMOUS), neg(-1), 0])),
        (SYS_mmap, a(&[0, 4096, flags(PROT_READ | PROT_EXEC), flags(MAP_PRIVATE | MAP_ANONYMOUS), neg(-1), 0])),
        (SYS_mprotect, a(&[page, 4096, flags(PROT_READ)])),
        (SYS_mprotect, a(&[page, 4096, flags(PROT_READ | PROT_EXEC)])),
        (SYS_kill, a(&[u64::from(me), 0])),
        (SYS_kill, a(&[1, 0])),
        (SYS_kill, a(&[neg(-1), 0])),
        (SYS_tgkill, a(&[u64::from(me), u64::from(me), 0])),
        (SYS_tgkill, a(&[1, 1, 0])),
        (SYS_prctl, a(&[flags(PR_GET_SECCOMP)])),
        (SYS_prctl, a(&[flags(PR_GET_DUMPABLE)])),
        (SYS_socket, a(&[flags(AF_INET), flags(SOCK_STREAM | SOCK_CLOEXEC), 0])),
        (SYS_socket, a(&[flags(AF_INET6), flags(SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK), flags(IPPROTO_TCP)])),
        (SYS_socket, a(&[flags(AF_UNIX), flags(SOCK_STREAM | SOCK_CLOEXEC), 0])),
        (SYS_socket, a(&[flags(AF_INET), flags(SOCK_DGRAM | SOCK_CLOEXEC), 0])),
        (SYS_connect, a(&[neg(-1), 0, 0])),
        (SYS_bind, a(&[neg(-1), 0, 0])),
        (SYS_listen, a(&[neg(-1), 0])),
        (SYS_ftruncate, a(&[neg(-1), 0])),
        (SYS_unlinkat, a(&[at, path, 0])),
        (SYS_execve, a(&[path, 0, 0])),
        (SYS_clone3, a(&[0, 0])),
        (SYS_ptrace, a(&[neg(-1), 0, 0, 0])),
        (SYS_setresuid, a(&[neg(-1), neg(-1), neg(-1)])),
        (SYS_mount, a(&[0, 0, 0, 0, 0])),
        (SYS_getpid | x32, a(&[])),
        (SYS_openat | x32, a(&[at, path, 0])),
    ];
    assert!(cases.len() <= N);

    // SAFETY: the child makes raw syscalls only (no allocation, no locks) and _exits.
    let child = unsafe { fork() };
    assert!(child >= 0, "fork");
    if child == 0 {
        let mut out = [0i64; N];
        let fprog = sock_fprog {
            len: prog.insns.len() as u16,
            filter: prog.insns.as_ptr() as *mut sock_filter,
        };
        // SAFETY: raw syscalls on live memory; the filter is copied by the kernel.
        unsafe {
            if prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog as *const sock_fprog) != 0
            {
                _exit(3);
            }
            for (i, (nr, x)) in cases.iter().enumerate() {
                let r = syscall(*nr, x[0], x[1], x[2], x[3], x[4], x[5]);
                out[i] = if r == -1 { -i64::from(*__errno_location()) } else { r };
            }
            let bytes = std::mem::size_of_val(&out);
            let w = write(wr, out.as_ptr() as *const c_void, bytes);
            _exit(if w == bytes as isize { 0 } else { 4 });
        }
    }
    // SAFETY: the parent's copy of the write end; the child holds its own.
    unsafe { close(wr) };
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { waitpid(child, &mut status, 0) }, child);
    assert!(
        WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "child status {status:#x}"
    );
    let mut out = [0i64; N];
    // SAFETY: reading into a buffer of the size written.
    let n = unsafe { libc::read(rd, out.as_mut_ptr() as *mut c_void, std::mem::size_of_val(&out)) };
    assert_eq!(n as usize, std::mem::size_of_val(&out), "results");
    // SAFETY: our descriptors and page.
    unsafe {
        close(rd);
        munmap(page as *mut c_void, 4096);
    }

    let (mut allowed, mut refused, mut killed) = (0, 0, 0);
    for (i, (nr, x)) in cases.iter().enumerate() {
        let kernel = match out[i] {
            r if r == -i64::from(E_VIOLATION) => "violation",
            r if r == -i64::from(E_KILL) => "kill",
            _ => "allow",
        };
        let d = Data {
            nr: *nr as u32,
            arch: native.audit,
            ip: 0,
            args: *x,
        };
        let v = bpf::run(&prog.insns, &d.to_bytes(false), false).expect("runs");
        let interp = match v {
            SECCOMP_RET_ALLOW => "allow",
            v if v == SECCOMP_RET_ERRNO | E_VIOLATION => "violation",
            v if v == SECCOMP_RET_ERRNO | E_KILL => "kill",
            v => panic!("verdict {v:#x}"),
        };
        assert_eq!(
            kernel, interp,
            "proxy {proxy}: case {i}: nr {nr:#x} {x:?}: kernel returned {}",
            out[i]
        );
        match kernel {
            "allow" => allowed += 1,
            "violation" => refused += 1,
            _ => killed += 1,
        }
    }
    assert_eq!(killed, 2, "the two x32 calls");
    assert!(
        allowed >= 15 && refused >= 24,
        "proxy {proxy}: {allowed} allowed, {refused} refused"
    );
    eprintln!(
        "proxy {proxy}: kernel and interpreter agree on {} calls ({allowed} allowed, {refused} refused, {killed} killed)",
        cases.len()
    );
}
