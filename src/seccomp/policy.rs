//! What the serving loop may ask of the kernel, as rules by syscall name,
//! and the program that enforces them on one architecture.
//!
//! The list is what the loop makes after confinement (poll, accept, recv,
//! send, sendfile, open-for-reading and stat of files, timers, memory,
//! signal return, exit) and, with `--proxy`, one TCP socket and connect
//! per proxied request. Arguments are narrowed where classic BPF can see
//! them, i.e. integers, never what a pointer points to: `connect`'s address
//! cannot be checked here (Landlock ABI ≥ 4 checks the port where it exists).

use super::arch::{Arch, Consts};
use super::bpf::{self, Insn};
use heapless::Vec as HVec;

/// One argument test: the low 32 bits of argument `arg`, masked with
/// `mask`, must equal one of `values`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cond {
    pub arg: u8,
    pub mask: u32,
    pub values: HVec<u32, 6>,
}

/// A syscall by name, allowed when every condition holds (always when none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub conds: HVec<Cond, 3>,
}

/// What the filter is made for: the running process's facts and wishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// `--proxy` routes exist: allow TCP sockets and connect.
    pub proxy: bool,
    /// The only descriptors `write`/`writev` may reach: stdout, stderr and the
    /// log sink's own descriptor.
    pub log_fds: HVec<u32, 4>,
    /// This process's id: `kill`/`tgkill`/`tkill` may only aim at it (abort).
    pub pid: u32,
    /// The return value for a call outside the list.
    pub violation: u32,
    /// The return value for a foreign ABI (another `AUDIT_ARCH`, x32): always a kill.
    pub kill: u32,
}

fn cond(arg: u8, mask: u32, values: &[u32]) -> Cond {
    let mut v = HVec::new();
    for &x in values {
        if !v.contains(&x) {
            // Six is the most any rule below lists.
            let _ = v.push(x);
        }
    }
    Cond { arg, mask, values: v }
}

/// A rule; one with more conditions than a rule holds fails closed (a single
/// condition with no values: never allowed) rather than dropping one.
fn rule(name: &'static str, conds: &[Cond]) -> Rule {
    let mut c = HVec::new();
    for x in conds {
        if c.push(x.clone()).is_err() {
            c.clear();
            let _ = c.push(Cond {
                arg: 0,
                mask: u32::MAX,
                values: HVec::new(),
            });
            break;
        }
    }
    Rule { name, conds: c }
}

/// The rules, most frequent syscalls first (the program tests them in this
/// order, so a keep-alive request passes few comparisons).
pub fn rules(p: &Policy, c: &Consts) -> Vec<Rule> {
    const ALL: u32 = u32::MAX;
    let no_write_flags = c.o_wronly | c.o_rdwr | c.o_creat | c.o_trunc | c.o_append;
    let fds: Vec<u32> = p.log_fds.iter().copied().collect();
    let to_log = [cond(0, ALL, &fds)];
    let no_exec = [cond(2, c.prot_exec, &[0])];
    let only_self = [cond(0, ALL, &[p.pid])];
    let fcntl_cmds = [cond(
        1,
        ALL,
        &[c.f_getfd, c.f_setfd, c.f_getfl, c.f_setfl, c.f_dupfd_cloexec],
    )];
    let mut r = vec![
        // The loop, per request.
        rule("poll", &[]),
        rule("ppoll", &[]),
        rule("recvfrom", &[]),
        rule("recv", &[]),
        rule("sendto", &[]),
        rule("send", &[]),
        rule("sendfile", &[]),
        rule("sendfile64", &[]),
        rule("statx", &[]),
        rule("newfstatat", &[]),
        rule("fstatat64", &[]),
        rule("fstat", &[]),
        rule("fstat64", &[]),
        rule("read", &[]),
        rule("pread64", &[]),
        rule("openat", &[cond(2, no_write_flags, &[0])]),
        rule("open", &[cond(1, no_write_flags, &[0])]),
        rule("close", &[]),
        rule("accept4", &[]),
        rule("accept", &[]),
        rule("clock_gettime", &[]),
        rule("clock_gettime64", &[]),
        rule("gettimeofday", &[]),
        rule("write", &to_log),
        rule("writev", &to_log),
        rule("shutdown", &[]),
        rule("setsockopt", &[]),
        rule("getsockopt", &[]),
        rule("getsockname", &[]),
        rule("getpeername", &[]),
        rule("ioctl", &[cond(1, ALL, &[c.fionbio])]),
        rule("fcntl", &fcntl_cmds),
        rule("fcntl64", &fcntl_cmds),
        rule("lseek", &[]),
        rule("_llseek", &[]),
        // Memory.
        rule("brk", &[]),
        rule("mmap", &no_exec),
        rule("mmap2", &no_exec),
        rule("munmap", &[]),
        rule("mremap", &[]),
        rule("mprotect", &no_exec),
        rule("madvise", &[]),
        // Signals, exit, the runtime.
        rule("rt_sigprocmask", &[]),
        rule("rt_sigaction", &[]),
        rule("rt_sigreturn", &[]),
        rule("sigreturn", &[]),
        rule("sigaltstack", &[]),
        rule("restart_syscall", &[]),
        rule("exit", &[]),
        rule("exit_group", &[]),
        rule("getpid", &[]),
        rule("gettid", &[]),
        rule("getrandom", &[]),
        rule("futex", &[]),
        rule("sched_yield", &[]),
        // abort(3) signals the process itself; nothing else may be signalled.
        rule("kill", &only_self),
        rule("tgkill", &only_self),
        rule("tkill", &only_self),
        // Only the read-back of this filter's own mode.
        rule("prctl", &[cond(0, ALL, &[c.pr_get_seccomp])]),
    ];
    if p.proxy {
        let ty = !(c.sock_nonblock | c.sock_cloexec);
        r.push(rule(
            "socket",
            &[
                cond(0, ALL, &[c.af_inet, c.af_inet6]),
                cond(1, ty, &[c.sock_stream]),
                cond(2, ALL, &[0, c.ipproto_tcp]),
            ],
        ));
        r.push(rule("connect", &[]));
    }
    r
}

/// The filter for `arch`, and how many syscalls it allows (with arguments
/// narrowed, of those). A syscall the architecture does not have is left
/// out; the first rule for a number wins.
pub struct Program {
    pub insns: Vec<Insn>,
    pub allowed: usize,
    pub narrowed: usize,
}

/// Builds the program: the architecture check (anything else, and x32, is
/// killed), then one comparison per allowed syscall in `rules` order, a
/// plain allow or a jump to that syscall's argument block; the violation
/// return; then the blocks. Conditional jumps stay within a block, so they
/// fit classic BPF's 8-bit offsets; dispatch uses 32-bit `ja`.
pub fn build(arch: &Arch, policy: &Policy) -> Program {
    let allow = libc_allow();
    let mut chosen: Vec<(u32, &Rule)> = Vec::new();
    let rules = rules(policy, &arch.consts);
    for r in &rules {
        if let Some(nr) = arch.number(r.name) {
            if !chosen.iter().any(|&(n, _)| n == nr) {
                chosen.push((nr, r));
            }
        }
    }
    let mut p = vec![
        bpf::ld(bpf::OFF_ARCH),
        bpf::jeq(arch.audit, 1, 0),
        bpf::ret(policy.kill),
        bpf::ld(bpf::OFF_NR),
    ];
    if arch.foreign_bit != 0 {
        p.extend([
            bpf::and(arch.foreign_bit),
            bpf::jeq(0, 1, 0),
            bpf::ret(policy.kill),
            bpf::ld(bpf::OFF_NR),
        ]);
    }
    // Dispatch: two instructions per syscall, then the violation return.
    let dispatch_end = p.len() + 2 * chosen.len() + 1;
    let mut block_at = dispatch_end;
    let mut blocks = Vec::new();
    for &(nr, r) in &chosen {
        p.push(bpf::jeq(nr, 0, 1));
        if r.conds.is_empty() {
            p.push(bpf::ret(allow));
        } else {
            let block = block(r, arch.big_endian, allow, policy.violation);
            let here = p.len();
            p.push(bpf::ja((block_at - here - 1) as u32));
            block_at += block.len();
            blocks.push(block);
        }
    }
    p.push(bpf::ret(policy.violation));
    for b in blocks {
        p.extend(b);
    }
    let narrowed = chosen.iter().filter(|(_, r)| !r.conds.is_empty()).count();
    Program {
        insns: p,
        allowed: chosen.len(),
        narrowed,
    }
}

/// One rule's argument checks: each condition loads its argument, masks it
/// and compares it with each value (a match goes on to the next condition,
/// no match of the last value goes to the violation); all held → allow.
fn block(r: &Rule, big_endian: bool, allow: u32, violation: u32) -> Vec<Insn> {
    // A condition with no values can never hold: one jump to the violation.
    let len: usize = r
        .conds
        .iter()
        .map(|c| 1 + usize::from(c.mask != u32::MAX) + c.values.len().max(1))
        .sum::<usize>()
        + 2;
    let fail = len - 1;
    let mut b = Vec::with_capacity(len);
    for c in &r.conds {
        b.push(bpf::ld(bpf::arg_low(c.arg, big_endian)));
        if c.mask != u32::MAX {
            b.push(bpf::and(c.mask));
        }
        let n = c.values.len();
        if n == 0 {
            let here = b.len();
            b.push(bpf::ja((fail - here - 1) as u32));
            continue;
        }
        for (i, &v) in c.values.iter().enumerate() {
            if i + 1 < n {
                // Matched: skip the remaining comparisons of this condition.
                b.push(bpf::jeq(v, (n - i - 1) as u8, 0));
            } else {
                let here = b.len();
                b.push(bpf::jeq(v, 0, (fail - here - 1) as u8));
            }
        }
    }
    b.push(bpf::ret(allow));
    b.push(bpf::ret(violation));
    b
}

fn libc_allow() -> u32 {
    nix::libc::SECCOMP_RET_ALLOW
}
