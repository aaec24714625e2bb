//! Escape attempts against the seccomp-BPF allowlist alone.
//!
//! Stock OpenWrt kernels have no Landlock: there the seccomp filter is the barrier that
//! keeps an intruder inside warden from opening files for writing, creating files,
//! exec'ing, forking, connecting out, listening, signalling or tracing other processes,
//! and making memory executable. So these probes run with Landlock off and the filter
//! on (`--seccomp=kill`), and each attempt must end the process with SIGSYS.
//!
//! The test binary re-runs itself as a child (`seccomp_probe_child`, its job in
//! `WARDEN_SECCOMP_PROBE`), which calls what the server calls (`close_inherited`,
//! `stdio_hygiene`, then `confine`), prints `READY` and the report's seccomp line,
//! makes ONE attempt through a raw libc call (so the syscall is the one intended),
//! printing `CALL name` before each syscall of interest, and prints `SURVIVED result`
//! if it lives. The parent asserts the child died of SIGSYS at the named call
//! (the last `CALL` line), and, where it makes sense, runs the same attempt with the
//! filter off as a control: the attempt then returns (usually works), which proves the
//! kill is the filter's doing and the attempt a real one.
//!
//! As root the child is jailed (chroot) and drops to 65534, as the server does; not
//! as root it is neither (the filter needs only no_new_privs), so these tests run both
//! ways without a skip. The only skip is qemu-user's (cross/test), which has no
//! seccomp filters: the report line then says `seccomp: not enforced (...)`, and
//! `skip_under_emulator` decides (natively, a filter not installed is a failure).

mod common;

use common::skip_under_emulator;
use nix::libc;
use std::collections::HashMap;
use std::ffi::CString;
use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PROBE_ENV: &str = "WARDEN_SECCOMP_PROBE";
const NOBODY: u32 = 65534;
/// The web root's page, read by the allowed calls.
const INDEX: &[u8] = b"<h1>inside</h1>\n";
/// A world-writable file: without the filter (and without Landlock) it opens for writing.
const WRITABLE: &[u8] = b"must stay as it is\n";
/// The exit status of the exec payload, when it runs.
const PAYLOAD_EXIT: i32 = 42;

// ---------------------------------------------------------------- the child

/// What the attempts need: where the web root is now, the parent's listener and
/// victim, and descriptors made before the filter (as the server's listeners and log
/// sink are).
struct Ctx {
    web: PathBuf,
    port: u16,
    victim: libc::pid_t,
    /// The write end of a pipe: a descriptor that is not one of `log_fds`.
    pipe_w: RawFd,
    /// An unconnected TCP socket.
    socket: RawFd,
    /// A nonblocking listener on 127.0.0.1.
    listener: RawFd,
}

/// Announces the syscall about to be made: the last one printed is where a killed
/// child died (stdout is line-buffered, and `write` to fd 1 is allowed).
fn call(name: &str) {
    println!("CALL {name}");
}

fn errno() -> String {
    format!("{:?}", nix::errno::Errno::last())
}

/// `ok` for a non-negative return, else `err:ERRNO`.
fn rc(r: impl Into<i64>) -> String {
    if r.into() >= 0 {
        "ok".to_string()
    } else {
        format!("err:{}", errno())
    }
}

fn rc_size(r: isize) -> String {
    rc(i64::try_from(r).unwrap_or(-1))
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

fn loopback(port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain data; all zeroes is a valid value.
    let mut a: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    a.sin_family = libc::AF_INET as libc::sa_family_t;
    a.sin_port = port.to_be();
    a.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
    a
}

fn sockaddr_len() -> libc::socklen_t {
    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
}

/// openat(AT_FDCWD, web/name, flags[, 0644]), closing what it opens.
fn open_at(c: &Ctx, name: &str, flags: libc::c_int) -> String {
    let path = cpath(&c.web.join(name));
    call("openat");
    // SAFETY: a NUL-terminated path; the mode argument is read only with O_CREAT.
    let fd = unsafe { libc::openat(libc::AT_FDCWD, path.as_ptr(), flags, 0o644 as libc::c_uint) };
    let r = rc(fd);
    if fd >= 0 {
        // SAFETY: the descriptor was just opened here.
        unsafe { libc::close(fd) };
    }
    r
}

/// The legacy open(2), on the architectures that have it (aarch64 has only openat):
/// a rule of its own in the filter.
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "arm",
    target_arch = "mips"
))]
fn open_legacy(c: &Ctx, name: &str, flags: libc::c_int) -> String {
    let path = cpath(&c.web.join(name));
    call("open");
    // SAFETY: a NUL-terminated path and integer flags.
    let fd = unsafe { libc::syscall(libc::SYS_open, path.as_ptr(), flags as libc::c_long, 0 as libc::c_long) };
    let r = rc(fd);
    if fd >= 0 {
        // SAFETY: the descriptor was just opened here.
        unsafe { libc::close(fd as libc::c_int) };
    }
    r
}

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "arm",
    target_arch = "mips"
)))]
fn open_legacy(_: &Ctx, _: &str, _: libc::c_int) -> String {
    unreachable!("no open(2) on this architecture")
}

/// Whether this architecture has the legacy open(2).
const HAS_LEGACY_OPEN: bool = cfg!(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "arm",
    target_arch = "mips"
));

/// A new TCP/UDP/unix socket, kept open (the process ends soon).
fn new_socket(domain: libc::c_int, ty: libc::c_int) -> Result<RawFd, String> {
    call("socket");
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        Err(format!("err:{}", errno()))
    } else {
        Ok(fd)
    }
}

fn connect_to(fd: RawFd, port: u16) -> String {
    let addr = loopback(port);
    call("connect");
    // SAFETY: `addr` is a live sockaddr_in of the length given.
    rc(unsafe { libc::connect(fd, (&addr as *const libc::sockaddr_in).cast(), sockaddr_len()) })
}

fn mmap_anon(prot: libc::c_int) -> Result<*mut libc::c_void, String> {
    call("mmap");
    // SAFETY: a new anonymous private mapping; no existing memory is touched.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        Err(format!("err:{}", errno()))
    } else {
        Ok(p)
    }
}

/// The one attempt named `name`; returns its result if the process lives.
fn attempt(name: &str, c: &Ctx) -> String {
    match name {
        "allowed" => allowed_calls(c),
        // The web root's world-writable file, opened with each write-ish flag in turn.
        "open_wronly" => open_at(c, "writable.txt", libc::O_WRONLY | libc::O_CLOEXEC),
        "open_rdwr" => open_at(c, "writable.txt", libc::O_RDWR | libc::O_CLOEXEC),
        "open_trunc" => open_at(c, "writable.txt", libc::O_RDONLY | libc::O_TRUNC | libc::O_CLOEXEC),
        "open_append" => open_at(c, "writable.txt", libc::O_RDONLY | libc::O_APPEND | libc::O_CLOEXEC),
        "open_legacy" => open_legacy(c, "writable.txt", libc::O_WRONLY | libc::O_CLOEXEC),
        // A new file in a world-writable directory.
        "create" => open_at(
            c,
            "drop/new.txt",
            libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_CLOEXEC,
        ),
        // O_CREAT without any write flag still makes the (empty) file.
        "create_rdonly" => open_at(c, "drop/empty.txt", libc::O_CREAT | libc::O_RDONLY | libc::O_CLOEXEC),
        "exec" => {
            // The killed execve never looks at the path; with the filter off this one
            // runs (the payload exits with PAYLOAD_EXIT) where a payload exists.
            let path = cpath(&c.web.join("payload"));
            let argv = [path.as_ptr(), std::ptr::null()];
            let envp = [std::ptr::null()];
            call("execve");
            // SAFETY: NUL-terminated path, NULL-terminated argv and envp.
            rc(unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) })
        }
        "execveat" => {
            let path = cpath(&c.web.join("payload"));
            let argv = [path.as_ptr(), std::ptr::null()];
            let envp = [std::ptr::null::<libc::c_char>()];
            call("execveat");
            // SAFETY: as execve, through the descriptor-relative call (flags 0).
            rc(unsafe {
                libc::syscall(
                    libc::SYS_execveat,
                    libc::AT_FDCWD as libc::c_long,
                    path.as_ptr(),
                    argv.as_ptr(),
                    envp.as_ptr(),
                    0 as libc::c_long,
                )
            })
        }
        "fork" => {
            call("clone");
            // A raw fork: clone(SIGCHLD) with no stack, no tids, no tls (this order of
            // the zero arguments does not matter).
            // SAFETY: the child makes no call but _exit.
            let pid = unsafe {
                libc::syscall(
                    libc::SYS_clone,
                    libc::SIGCHLD as libc::c_long,
                    0 as libc::c_long,
                    0 as libc::c_long,
                    0 as libc::c_long,
                    0 as libc::c_long,
                )
            };
            if pid == 0 {
                // SAFETY: leaves the forked copy at once.
                unsafe { libc::_exit(0) };
            }
            if pid > 0 {
                // Only reached without the filter (wait4 is not allowed either).
                let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid as libc::pid_t), None);
            }
            rc(pid)
        }
        "clone3" => {
            call("clone3");
            // With a NULL argument the kernel answers EINVAL, when it is reached at all.
            // SAFETY: a NULL pointer of size 0 is rejected without a new task.
            rc(unsafe { libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0 as libc::size_t) })
        }
        // Without --proxy, socket(2) of any family is already killed: the connect is
        // never reached. `connect_pre` tries connect on a socket made before the filter.
        "connect" => match new_socket(libc::AF_INET, libc::SOCK_STREAM) {
            Ok(fd) => connect_to(fd, c.port),
            Err(e) => e,
        },
        "connect_pre" => connect_to(c.socket, c.port),
        // Without --proxy the socket(2) is killed; with it, the bind.
        "bind" => match new_socket(libc::AF_INET, libc::SOCK_STREAM) {
            Ok(fd) => {
                let addr = loopback(0);
                call("bind");
                // SAFETY: `addr` is a live sockaddr_in of the length given.
                let r = unsafe { libc::bind(fd, (&addr as *const libc::sockaddr_in).cast(), sockaddr_len()) };
                if r != 0 {
                    return rc(r);
                }
                call("listen");
                // SAFETY: plain integer arguments.
                rc(unsafe { libc::listen(fd, 1) })
            }
            Err(e) => e,
        },
        "unix_socket" => new_socket(libc::AF_UNIX, libc::SOCK_STREAM).map_or_else(|e| e, |_| "ok".into()),
        "udp_socket" => new_socket(libc::AF_INET, libc::SOCK_DGRAM).map_or_else(|e| e, |_| "ok".into()),
        "kill_other" => {
            call("kill");
            // SAFETY: plain integer arguments.
            rc(unsafe { libc::kill(c.victim, libc::SIGTERM) })
        }
        "ptrace" => {
            call("ptrace");
            // SAFETY: PTRACE_ATTACH takes a pid and no memory.
            rc(unsafe {
                libc::syscall(
                    libc::SYS_ptrace,
                    libc::PTRACE_ATTACH as libc::c_long,
                    c.victim as libc::c_long,
                    0 as libc::c_long,
                    0 as libc::c_long,
                )
            })
        }
        "mprotect_exec" => match mmap_anon(libc::PROT_READ | libc::PROT_WRITE) {
            Ok(p) => {
                call("mprotect");
                // SAFETY: `p` is the page just mapped.
                rc(unsafe { libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC) })
            }
            Err(e) => e,
        },
        "mmap_exec" => mmap_anon(libc::PROT_READ | libc::PROT_EXEC).map_or_else(|e| e, |_| "ok".into()),
        "write_other_fd" => {
            call("write");
            // SAFETY: one byte from a live buffer.
            rc_size(unsafe { libc::write(c.pipe_w, b"x".as_ptr().cast(), 1) })
        }
        "writev_other_fd" => {
            let iov = libc::iovec {
                iov_base: b"x".as_ptr() as *mut libc::c_void,
                iov_len: 1,
            };
            call("writev");
            // SAFETY: one iovec over a live one-byte buffer, only read.
            rc_size(unsafe { libc::writev(c.pipe_w, &iov, 1) })
        }
        other => panic!("unknown attempt {other}"),
    }
}

/// What the serving loop does after confinement, or near enough: every call must
/// survive the filter. Returns `ok`, or the calls that failed with their errno.
fn allowed_calls(c: &Ctx) -> String {
    let mut failed: Vec<String> = Vec::new();
    let mut check = |name: &str, ok: bool| {
        if !ok {
            failed.push(format!("{name}:{}", errno()));
        }
    };
    // Files of the web root, read-only.
    call("std::fs::read");
    let index = c.web.join("index.html");
    check("std::fs::read", std::fs::read(&index).is_ok_and(|d| d == INDEX));
    let path = cpath(&index);
    call("openat");
    // SAFETY: a NUL-terminated path.
    let fd = unsafe { libc::openat(libc::AT_FDCWD, path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    check("openat", fd >= 0);
    // SAFETY: stat is plain data.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    call("fstat");
    // SAFETY: a live stat buffer.
    check(
        "fstat",
        unsafe { libc::fstat(fd, &mut st) } == 0 && st.st_size as usize == INDEX.len(),
    );
    let mut buf = [0u8; 64];
    call("pread64");
    // SAFETY: reads at most 4 bytes into a 64-byte buffer.
    check(
        "pread64",
        unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), 4, 1) } == 4 && buf[..4] == INDEX[1..5],
    );
    call("lseek");
    // SAFETY: plain integer arguments.
    check("lseek", unsafe { libc::lseek(fd, 0, libc::SEEK_SET) } == 0);
    call("read");
    // SAFETY: reads at most the buffer's length.
    check(
        "read",
        unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0,
    );
    call("fcntl");
    // SAFETY: fcntl commands on a live descriptor, integer arguments.
    let dup = unsafe {
        check("fcntl(F_GETFL)", libc::fcntl(fd, libc::F_GETFL) >= 0);
        check("fcntl(F_SETFD)", libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0);
        libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0)
    };
    check("fcntl(F_DUPFD_CLOEXEC)", dup >= 0);
    call("close");
    // SAFETY: both descriptors were opened here.
    check("close", unsafe { libc::close(dup) == 0 && libc::close(fd) == 0 });
    // Time.
    call("clock_gettime");
    // SAFETY: timespec is plain data.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: the raw syscall (no vDSO) with a live timespec.
    check("clock_gettime", unsafe {
        libc::syscall(libc::SYS_clock_gettime, libc::CLOCK_MONOTONIC as libc::c_long, &mut ts) == 0
    });
    let _ = (Instant::now(), std::time::SystemTime::now());
    // Ids, the log.
    call("getpid");
    // SAFETY: no arguments.
    check(
        "getpid",
        unsafe { libc::syscall(libc::SYS_getpid) } == libc::c_long::from(std::process::id() as i32),
    );
    call("gettid");
    // SAFETY: no arguments.
    check("gettid", unsafe { libc::syscall(libc::SYS_gettid) } > 0);
    call("write");
    // SAFETY: live buffers of the lengths given.
    check(
        "write(1)",
        unsafe { libc::write(1, b"WRITE stdout\n".as_ptr().cast(), 13) } == 13,
    );
    // SAFETY: as above.
    check(
        "write(2)",
        unsafe { libc::write(2, b"WRITE stderr\n".as_ptr().cast(), 13) } == 13,
    );
    let iov = libc::iovec {
        iov_base: b"WRITEV stdout\n".as_ptr() as *mut libc::c_void,
        iov_len: 14,
    };
    call("writev");
    // SAFETY: one iovec over a live buffer, only read.
    check("writev(1)", unsafe { libc::writev(1, &iov, 1) } == 14);
    // Memory: read/write mappings, the heap.
    match mmap_anon(libc::PROT_READ | libc::PROT_WRITE) {
        Ok(p) => {
            // SAFETY: `p` is a fresh writable page.
            unsafe { p.cast::<u8>().write(7) };
            call("mprotect");
            // SAFETY: the page just mapped, made read-only.
            check(
                "mprotect(PROT_READ)",
                unsafe { libc::mprotect(p, 4096, libc::PROT_READ) } == 0,
            );
            call("madvise");
            // SAFETY: advice on the page just mapped.
            check("madvise", unsafe { libc::madvise(p, 4096, libc::MADV_DONTNEED) } == 0);
            call("munmap");
            // SAFETY: unmaps the page just mapped; nothing refers to it.
            check("munmap", unsafe { libc::munmap(p, 4096) } == 0);
        }
        Err(_) => check("mmap", false),
    }
    call("malloc");
    let big = vec![1u8; 1 << 20];
    let small: Vec<u64> = (0..1000).collect();
    check(
        "malloc",
        big.iter().map(|&b| u64::from(b)).sum::<u64>() == 1 << 20 && small.len() == 1000,
    );
    drop((big, small));
    // Signals: to itself only.
    call("kill");
    // SAFETY: signal 0 to this process only checks it exists.
    check("kill(self, 0)", unsafe { libc::kill(libc::getpid(), 0) } == 0);
    call("rt_sigprocmask");
    // SAFETY: sigset_t is plain data, emptied before use.
    let (mut empty, mut old): (libc::sigset_t, libc::sigset_t) = unsafe { std::mem::zeroed() };
    // SAFETY: live sigsets; blocking the empty set changes nothing.
    check("rt_sigprocmask", unsafe {
        libc::sigemptyset(&mut empty);
        libc::pthread_sigmask(libc::SIG_BLOCK, &empty, &mut old) == 0
    });
    call("getrandom");
    // SAFETY: fills at most 16 bytes of a 64-byte buffer.
    check(
        "getrandom",
        unsafe { libc::getrandom(buf.as_mut_ptr().cast(), 16, 0) } == 16,
    );
    call("sched_yield");
    // SAFETY: no arguments.
    check("sched_yield", unsafe { libc::sched_yield() } == 0);
    // Sockets made before the filter, as the listeners are.
    let mut pfd = libc::pollfd {
        fd: c.listener,
        events: libc::POLLIN,
        revents: 0,
    };
    call("poll");
    // SAFETY: one live pollfd, no wait.
    check("poll", unsafe { libc::poll(&mut pfd, 1, 0) } >= 0);
    call("accept4");
    // SAFETY: no address is asked for; nothing is pending, so EAGAIN.
    let r = unsafe {
        libc::accept4(
            c.listener,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    check(
        "accept4",
        r < 0 && nix::errno::Errno::last() == nix::errno::Errno::EAGAIN,
    );
    let mut on: libc::c_int = 1;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    call("setsockopt");
    // SAFETY: an int option of its size.
    check("setsockopt", unsafe {
        libc::setsockopt(
            c.listener,
            libc::SOL_SOCKET,
            libc::SO_KEEPALIVE,
            (&on as *const libc::c_int).cast(),
            len,
        ) == 0
    });
    call("getsockopt");
    // SAFETY: an int option of its size.
    check("getsockopt", unsafe {
        libc::getsockopt(
            c.listener,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut on as *mut libc::c_int).cast(),
            &mut len,
        ) == 0
    });
    let mut addr = loopback(0);
    let mut alen = sockaddr_len();
    call("getsockname");
    // SAFETY: a live sockaddr_in of the length given.
    check("getsockname", unsafe {
        libc::getsockname(c.listener, (&mut addr as *mut libc::sockaddr_in).cast(), &mut alen) == 0
    });
    call("ioctl");
    let mut nonblocking: libc::c_int = 1;
    // SAFETY: FIONBIO reads one int.
    check(
        "ioctl(FIONBIO)",
        unsafe { libc::ioctl(c.listener, libc::FIONBIO, &mut nonblocking) } == 0,
    );
    call("shutdown");
    // SAFETY: plain integer arguments; the socket is not connected (ENOTCONN).
    let r = unsafe { libc::shutdown(c.socket, libc::SHUT_RDWR) };
    check(
        "shutdown",
        r == 0 || nix::errno::Errno::last() == nix::errno::Errno::ENOTCONN,
    );
    if failed.is_empty() {
        "ok".to_string()
    } else {
        format!("failed:{}", failed.join(","))
    }
}

/// Entry point of the confined child; does nothing unless run by a test below.
#[test]
#[ignore = "the seccomp probe's child; the seccomp_escape tests run it"]
fn seccomp_probe_child() {
    let Ok(spec) = std::env::var(PROBE_ENV) else {
        return;
    };
    // libtest has printed "test seccomp_probe_child ... " without a newline.
    println!();
    std::panic::set_hook(Box::new(|info| println!("PANIC {info}")));
    // As main does, before anything is opened.
    warden::confine::close_inherited();
    for note in warden::confine::stdio_hygiene().expect("stdio hygiene") {
        println!("HYGIENE {note}");
    }
    let arg: HashMap<&str, &str> = spec.split(';').filter_map(|kv| kv.split_once('=')).collect();
    let root = PathBuf::from(arg["root"]);
    let root_fd = std::fs::File::open(&root).expect("open web root");
    let as_root = nix::unistd::geteuid().is_root();
    // Descriptors made before the filter: a pipe (not a log fd), an unconnected TCP
    // socket and a listener. The pipe's read end stays open, so a write does not fail.
    let (_pipe_r, pipe_w) = nix::unistd::pipe().expect("pipe");
    // SAFETY: plain integer arguments; the descriptor is owned below.
    let socket = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(socket >= 0, "socket: {}", errno());
    // SAFETY: just opened, owned by nothing else.
    let socket = unsafe { OwnedFd::from_raw_fd(socket) };
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    listener.set_nonblocking(true).expect("nonblocking listener");
    let plan = warden::confine::Plan {
        root_path: root.clone(),
        root: root_fd.as_fd(),
        chroot: as_root,
        ids: as_root.then(|| (nix::unistd::Uid::from_raw(NOBODY), nix::unistd::Gid::from_raw(NOBODY))),
        nofile: 64,
        fsize: 0,
        // A kernel without Landlock (stock OpenWrt): the filter is the barrier.
        landlock: warden::confine::LandlockMode::Off,
        connect_ports: vec![],
        seccomp: warden::seccomp::Plan {
            mode: if arg["filter"] == "kill" {
                warden::seccomp::Mode::Kill
            } else {
                warden::seccomp::Mode::Off
            },
            required: false,
            proxy: arg.get("proxy") == Some(&"1"),
            // stdout carries this report; stderr is the parent's pipe.
            log_fds: vec![1, 2],
        },
    };
    let report = warden::confine::confine(&plan).expect("confinement");
    let line = report
        .lines()
        .into_iter()
        .find(|l| l.starts_with("seccomp: "))
        .unwrap_or_else(|| "(no seccomp line in the report)".to_string());
    println!("READY {line}");
    let _ = std::io::stdout().flush();
    let installed = matches!(report.seccomp, warden::seccomp::State::Installed { .. });
    if plan.seccomp.mode == warden::seccomp::Mode::Kill && !installed {
        // qemu-user: no filter; the parent reads the READY line and skips.
        println!("UNFILTERED: no attempt made");
    } else {
        let ctx = Ctx {
            web: if as_root { PathBuf::from("/") } else { root.clone() },
            port: arg["port"].parse().unwrap(),
            victim: arg["victim"].parse().unwrap(),
            pipe_w: pipe_w.as_raw_fd(),
            socket: socket.as_raw_fd(),
            listener: listener.as_raw_fd(),
        };
        let result = attempt(arg["attempt"], &ctx);
        println!("SURVIVED {result}");
    }
    let _ = std::io::stdout().flush();
    // Straight out: whatever libtest and the runtime would call on the way back is
    // not what is tested here.
    // SAFETY: ends the process; nothing is left to run.
    unsafe { libc::_exit(0) };
}

// ---------------------------------------------------------------- the parent

/// A static ELF that exits with PAYLOAD_EXIT, for this machine; `None` where none is
/// written (then the exec control expects ENOENT from a missing payload instead).
fn payload() -> Option<Vec<u8>> {
    if cfg!(target_arch = "x86_64") {
        // mov edi,42; mov eax,60 (exit); syscall
        let code = [0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05];
        Some(elf64(0x3e, &code))
    } else if cfg!(target_arch = "aarch64") {
        // mov x0,#42; mov x8,#93 (exit); svc #0
        let code = [0x40, 0x05, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0, 0, 0xd4];
        Some(elf64(0xb7, &code))
    } else if cfg!(target_arch = "arm") {
        // mov r0,#42; mov r7,#1 (exit); svc 0
        let code = [42, 0, 0xa0, 0xe3, 0x01, 0x70, 0xa0, 0xe3, 0, 0, 0, 0xef];
        Some(elf32(0x28, 0x0500_0000, &code))
    } else {
        None
    }
}

/// ELF64 executable: header, one PT_LOAD (R+X) of the whole file, code at offset 120.
fn elf64(machine: u16, code: &[u8]) -> Vec<u8> {
    let base: u64 = 0x40_0000;
    let total = (64 + 56 + code.len()) as u64;
    let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&machine.to_le_bytes());
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&(base + 120).to_le_bytes()); // entry
    elf.extend_from_slice(&64u64.to_le_bytes()); // phoff
    elf.extend_from_slice(&0u64.to_le_bytes()); // shoff
    elf.extend_from_slice(&0u32.to_le_bytes()); // flags
    for v in [64u16, 56, 1, 64, 0, 0] {
        elf.extend_from_slice(&v.to_le_bytes());
    }
    elf.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // R+X
    for v in [0, base, base, total, total, 0x1000] {
        elf.extend_from_slice(&v.to_le_bytes());
    }
    elf.extend_from_slice(code);
    elf
}

/// ELF32 executable: header, one PT_LOAD (R+X) of the whole file, code at offset 84.
fn elf32(machine: u16, flags: u32, code: &[u8]) -> Vec<u8> {
    let base: u32 = 0x1_0000;
    let total = (52 + 32 + code.len()) as u32;
    let mut elf = vec![0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&machine.to_le_bytes());
    elf.extend_from_slice(&1u32.to_le_bytes());
    elf.extend_from_slice(&(base + 84).to_le_bytes()); // entry
    elf.extend_from_slice(&52u32.to_le_bytes()); // phoff
    elf.extend_from_slice(&0u32.to_le_bytes()); // shoff
    elf.extend_from_slice(&flags.to_le_bytes());
    for v in [52u16, 32, 1, 40, 0, 0] {
        elf.extend_from_slice(&v.to_le_bytes());
    }
    for v in [1u32, 0, base, base, total, total, 5, 0x1000] {
        elf.extend_from_slice(&v.to_le_bytes());
    }
    elf.extend_from_slice(code);
    elf
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

struct TempRoot(PathBuf);

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A web root: `index.html`, a world-writable `writable.txt`, a world-writable
/// directory `drop/`, and the exec payload. Without the filter and without Landlock,
/// uid 65534 (or the unprivileged user) could write, create and exec there.
fn make_root(tag: &str) -> TempRoot {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "warden-seccomp-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("drop")).unwrap();
    let root = TempRoot(dir);
    let dir = &root.0;
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(dir, 0o755);
    mode(&dir.join("drop"), 0o777);
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    mode(&dir.join("index.html"), 0o644);
    std::fs::write(dir.join("writable.txt"), WRITABLE).unwrap();
    mode(&dir.join("writable.txt"), 0o666);
    if let Some(elf) = payload() {
        std::fs::write(dir.join("payload"), elf).unwrap();
        mode(&dir.join("payload"), 0o755);
    }
    root
}

/// A `sleep 60` of the probe's uid (65534 as root, else this user); killed and
/// reaped on drop.
struct Victim(Child);

impl Victim {
    fn spawn() -> Victim {
        let mut cmd = Command::new("sleep");
        cmd.arg("60")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if is_root() {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        Victim(cmd.spawn().expect("spawn the victim (sleep 60)"))
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Whether it is alive; when it was signalled, it gets up to 5 s to die (the
    /// signal is sent, not yet handled, when the probe exits).
    fn survives(&mut self, signalled: bool) -> bool {
        let deadline = Instant::now()
            + if signalled {
                Duration::from_secs(5)
            } else {
                Duration::ZERO
            };
        loop {
            match self.0.try_wait() {
                Ok(Some(_)) => return false,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(None) | Err(_) => return true,
            }
        }
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Filter {
    Kill,
    Off,
}

/// One test's fixtures: a web root, a listener on 127.0.0.1 (the connect target) and
/// a victim process.
struct Probe {
    root: TempRoot,
    listener: TcpListener,
    victim: Victim,
}

impl Probe {
    fn new(tag: &str) -> Probe {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Probe {
            root: make_root(tag),
            listener,
            victim: Victim::spawn(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.0.join(name)
    }

    /// Runs the child for one attempt.
    fn run(&self, attempt: &str, filter: Filter, proxy: bool) -> Run {
        let spec = format!(
            "attempt={attempt};root={};filter={};proxy={};victim={};port={}",
            self.root.0.display(),
            if filter == Filter::Kill { "kill" } else { "off" },
            u8::from(proxy),
            self.victim.pid(),
            self.listener.local_addr().unwrap().port()
        );
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "seccomp_probe_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(PROBE_ENV, &spec)
            .stdin(Stdio::null())
            .output()
            .expect("run the probe child");
        Run {
            what: format!("{attempt} (filter {filter:?}, proxy {proxy})"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            status: out.status,
            filter,
        }
    }

    /// Whether a connection reached the listener (taking it).
    fn accepted(&self) -> bool {
        match self.listener.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// What one child did.
struct Run {
    what: String,
    stdout: String,
    stderr: String,
    status: ExitStatus,
    filter: Filter,
}

impl Run {
    fn fail(&self, why: &str) -> ! {
        panic!(
            "{}: {why}\nstatus: {:?}\n--- stdout\n{}--- stderr\n{}",
            self.what, self.status, self.stdout, self.stderr
        )
    }

    fn line(&self, prefix: &str) -> Option<&str> {
        self.stdout.lines().find_map(|l| l.strip_prefix(prefix))
    }

    /// The report's seccomp line, as the child printed it once confined.
    fn ready(&self) -> &str {
        match self.line("READY ") {
            Some(l) => l,
            None => self.fail("no READY line (the confinement failed?)"),
        }
    }

    /// Whether the filter is as the run asked: with `Kill`, installed in filter mode
    /// (else, under qemu-user only, `false`: the test skips); with `Off`, not installed.
    fn enforced(&self) -> bool {
        let line = self.ready();
        match self.filter {
            Filter::Off => {
                if line != "seccomp: not enforced (--seccomp=off)" {
                    self.fail("the control run has a filter");
                }
                true
            }
            Filter::Kill => {
                if line.contains("others: kill process") && line.ends_with("filter mode 2 read back") {
                    return true;
                }
                if line.starts_with("seccomp: not enforced") && skip_under_emulator("qemu-user has no seccomp filters")
                {
                    return false;
                }
                self.fail("the filter is not installed (kill process, filter mode 2)")
            }
        }
    }

    /// The child died of SIGSYS at the syscall `call` (its last CALL line), without
    /// surviving its attempt.
    fn assert_killed_at(&self, call: &str) {
        assert_eq!(self.filter, Filter::Kill);
        if self.line("SURVIVED ").is_some() {
            self.fail("survived the attempt");
        }
        if self.status.signal() != Some(libc::SIGSYS) {
            self.fail("did not die of SIGSYS");
        }
        let last = self.stdout.lines().filter_map(|l| l.strip_prefix("CALL ")).next_back();
        if last != Some(call) {
            self.fail(&format!("was killed at {last:?}, not at {call}"));
        }
    }

    /// The attempt's result when the child lived through it and exited 0.
    fn survived(&self) -> &str {
        let Some(result) = self.line("SURVIVED ") else {
            self.fail("did not survive");
        };
        if self.status.code() != Some(0) {
            self.fail("survived, then did not exit 0");
        }
        result
    }
}

/// Runs `attempt` with the filter killing; `false` when the test must skip (qemu-user).
/// Otherwise asserts the kill at `call` and returns `true`.
fn killed(p: &Probe, attempt: &str, proxy: bool, call: &str) -> bool {
    let run = p.run(attempt, Filter::Kill, proxy);
    if !run.enforced() {
        return false;
    }
    run.assert_killed_at(call);
    true
}

/// Runs `attempt` without the filter: the control. Returns its result.
fn control(p: &Probe, attempt: &str) -> String {
    let run = p.run(attempt, Filter::Off, false);
    run.enforced();
    run.survived().to_string()
}

// ---------------------------------------------------------------- the tests

// What the serving loop needs passes the filter: file reads, fstat, time, the log on
// stdout/stderr, memory, a signal to itself, the listener's calls.
#[test]
fn seccomp_probe_allowed_calls_survive() {
    let p = Probe::new("allowed");
    let run = p.run("allowed", Filter::Kill, false);
    if !run.enforced() {
        return;
    }
    assert!(
        run.ready()
            .starts_with(&format!("seccomp: {} allowlist of ", std::env::consts::ARCH)),
        "{}",
        run.stdout
    );
    if run.survived() != "ok" {
        run.fail("an allowed call failed");
    }
    assert!(run.stdout.contains("\nWRITE stdout\n"), "{}", run.stdout);
    assert!(run.stdout.contains("\nWRITEV stdout\n"), "{}", run.stdout);
    assert!(run.stderr.contains("WRITE stderr\n"), "{}", run.stderr);
}

// open(at) with O_WRONLY, O_RDWR, O_TRUNC or O_APPEND of a world-writable web-root file.
#[test]
fn seccomp_escape_open_for_write_killed() {
    let p = Probe::new("open");
    let mut attempts = vec!["open_wronly", "open_rdwr", "open_trunc", "open_append"];
    if HAS_LEGACY_OPEN {
        attempts.push("open_legacy");
    }
    for attempt in &attempts {
        let call = if *attempt == "open_legacy" { "open" } else { "openat" };
        if !killed(&p, attempt, false, call) {
            return;
        }
    }
    assert_eq!(std::fs::read(p.path("writable.txt")).unwrap(), WRITABLE);
    // Without the filter (and without Landlock) each open works: DAC allows it.
    for attempt in &attempts {
        assert_eq!(control(&p, attempt), "ok", "{attempt} without the filter");
    }
}

// openat(O_CREAT) of a new file in a world-writable directory.
#[test]
fn seccomp_escape_create_killed() {
    let p = Probe::new("create");
    if !killed(&p, "create", false, "openat") {
        return;
    }
    if !killed(&p, "create_rdonly", false, "openat") {
        return;
    }
    assert!(!p.path("drop/new.txt").exists(), "the killed create made the file");
    assert!(!p.path("drop/empty.txt").exists(), "the killed create made the file");
    assert_eq!(control(&p, "create"), "ok");
    assert!(p.path("drop/new.txt").exists(), "the control did not create the file");
    assert_eq!(control(&p, "create_rdonly"), "ok");
    assert!(p.path("drop/empty.txt").exists(), "the control did not create the file");
}

// execve and execveat of a payload in the web root (which runs without the filter).
#[test]
fn seccomp_escape_exec_killed() {
    let p = Probe::new("exec");
    if !killed(&p, "exec", false, "execve") || !killed(&p, "execveat", false, "execveat") {
        return;
    }
    for attempt in ["exec", "execveat"] {
        let run = p.run(attempt, Filter::Off, false);
        run.enforced();
        if payload().is_some() {
            if run.status.code() != Some(PAYLOAD_EXIT) {
                run.fail("the payload did not run without the filter");
            }
        } else {
            assert_eq!(run.survived(), "err:ENOENT", "no payload for this architecture");
        }
    }
}

// fork (a raw clone) and clone3. Without the filter RLIMIT_NPROC 0 refuses the new
// process (EAGAIN; tests/escape.rs): the control shows the call returns.
#[test]
fn seccomp_escape_fork_killed() {
    let p = Probe::new("fork");
    if !killed(&p, "fork", false, "clone") || !killed(&p, "clone3", false, "clone3") {
        return;
    }
    let r = control(&p, "fork");
    assert!(r == "err:EAGAIN" || r == "ok", "fork without the filter: {r}");
    assert_eq!(control(&p, "clone3"), "err:EINVAL");
}

// Without --proxy no TCP connect: socket(2) is already killed, and connect(2) on a
// socket made before the filter is killed too. Nothing reaches the listener.
#[test]
fn seccomp_escape_connect_without_proxy_killed() {
    let p = Probe::new("connect");
    if !killed(&p, "connect", false, "socket") || !killed(&p, "connect_pre", false, "connect") {
        return;
    }
    assert!(!p.accepted(), "a killed connect reached the listener");
    assert_eq!(control(&p, "connect"), "ok");
    assert!(p.accepted(), "the control connect did not reach the listener");
    assert_eq!(control(&p, "connect_pre"), "ok");
    assert!(p.accepted(), "the control connect did not reach the listener");
}

// No new listening socket: without --proxy the socket(2) is killed; with it (TCP
// sockets allowed) the bind(2).
#[test]
fn seccomp_escape_bind_killed() {
    let p = Probe::new("bind");
    if !killed(&p, "bind", false, "socket") || !killed(&p, "bind", true, "bind") {
        return;
    }
    assert_eq!(control(&p, "bind"), "ok");
}

// kill(2) of another process of the same uid (Landlock ABI 6 scoping is absent here).
#[test]
fn seccomp_escape_kill_other_process_killed() {
    let mut p = Probe::new("kill");
    if !killed(&p, "kill_other", false, "kill") {
        return;
    }
    assert!(p.victim.survives(false), "the victim died");
    assert_eq!(control(&p, "kill_other"), "ok");
    assert!(!p.victim.survives(true), "the victim survived the control's kill");
}

// ptrace(PTRACE_ATTACH) of a process of the same uid. Without the filter Yama may
// refuse it (EPERM); either way the call returns.
#[test]
fn seccomp_escape_ptrace_killed() {
    let p = Probe::new("ptrace");
    if !killed(&p, "ptrace", false, "ptrace") {
        return;
    }
    let r = control(&p, "ptrace");
    assert!(r == "ok" || r == "err:EPERM", "ptrace without the filter: {r}");
}

// W^X: a writable page made executable.
#[test]
fn seccomp_escape_mprotect_exec_killed() {
    let p = Probe::new("mprotect");
    if !killed(&p, "mprotect_exec", false, "mprotect") {
        return;
    }
    assert_eq!(control(&p, "mprotect_exec"), "ok");
}

// W^X: an executable mapping made directly.
#[test]
fn seccomp_escape_mmap_exec_killed() {
    let p = Probe::new("mmap");
    if !killed(&p, "mmap_exec", false, "mmap") {
        return;
    }
    assert_eq!(control(&p, "mmap_exec"), "ok");
}

// write/writev reach only the log descriptors (1 and 2 here): not a pipe made
// before the filter.
#[test]
fn seccomp_escape_write_to_other_fd_killed() {
    let p = Probe::new("write");
    if !killed(&p, "write_other_fd", false, "write") || !killed(&p, "writev_other_fd", false, "writev") {
        return;
    }
    assert_eq!(control(&p, "write_other_fd"), "ok");
    assert_eq!(control(&p, "writev_other_fd"), "ok");
}

// With --proxy the filter lets a TCP socket connect (the backend).
#[test]
fn seccomp_probe_proxy_allows_tcp_connect() {
    let p = Probe::new("proxy");
    let run = p.run("connect", Filter::Kill, true);
    if !run.enforced() {
        return;
    }
    assert_eq!(run.survived(), "ok");
    assert!(p.accepted(), "the proxy's connect did not reach the listener");
}

// --proxy allows TCP sockets only: not a unix socket.
#[test]
fn seccomp_escape_unix_socket_killed_even_with_proxy() {
    let p = Probe::new("unix");
    if !killed(&p, "unix_socket", true, "socket") {
        return;
    }
    assert_eq!(control(&p, "unix_socket"), "ok");
}

// --proxy allows TCP sockets only: not a UDP one.
#[test]
fn seccomp_escape_udp_socket_killed_even_with_proxy() {
    let p = Probe::new("udp");
    if !killed(&p, "udp_socket", true, "socket") {
        return;
    }
    assert_eq!(control(&p, "udp_socket"), "ok");
}
