//! Escape attempts made by a confined process itself.
//!
//! The test binary re-runs itself as a child (`probe_child`), started with stdin
//! on `/` and stderr on a directory outside the web root, which calls what the
//! server calls (`close_inherited`, `stdio_hygiene`, then `confine`) on a
//! temporary web root, as root, dropping to 65534, and then tries each escape,
//! reporting `PROBE name=ok` or `PROBE name=denied:ERRNO` on stdout. The last
//! attempt is an execve (it replaces the process when it works, so the parent
//! reads the payload's exit status instead). Each child runs once per Landlock
//! mode and exec target; every test below reads one named attempt.
//!
//! Needs root; outside CI it skips with a message, under `CI=true` a skip fails
//! (`require` in tests/common). The only skips CI allows are qemu-user's (cross/test):
//! it implements no Landlock, and an exec'd payload's emulator cannot start there.

mod common;

use common::{require, require_root, skip_under_emulator};
use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const PROBE_ENV: &str = "WARDEN_ESCAPE_PROBE";
const NOBODY: u32 = 65534;

// ---------------------------------------------------------------- the child

fn errno_name(e: std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!("{:?}", nix::errno::Errno::from_raw(n)),
        None => e.kind().to_string(),
    }
}

fn report(name: &str, r: std::io::Result<()>) {
    match r {
        Ok(()) => println!("PROBE {name}=ok"),
        Err(e) => println!("PROBE {name}=denied:{}", errno_name(e)),
    }
}

fn nix_io<T>(r: nix::Result<T>) -> std::io::Result<()> {
    r.map(drop).map_err(std::io::Error::from)
}

/// The jail's directories by (device, inode): "/" and every directory beneath it.
fn jail_dirs() -> std::io::Result<HashSet<(u64, u64)>> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = HashSet::new();
    let mut todo = vec![PathBuf::from("/")];
    while let Some(dir) = todo.pop() {
        let md = std::fs::metadata(&dir)?;
        if !seen.insert((md.dev(), md.ino())) {
            continue;
        }
        for e in std::fs::read_dir(&dir)? {
            let e = e?;
            if e.file_type()?.is_dir() {
                todo.push(e.path());
            }
        }
    }
    Ok(seen)
}

/// `fchdir` to every open descriptor (no /proc in the jail to list them: all numbers
/// below 1024): the jail is left when a directory reached is not one of the jail's.
/// Reports `ok` (escaped; an `FCHDIR` line names each way out) or `denied:` with the
/// count of open descriptors and of directories among them (the web root's own
/// descriptor is one: it leads to the jail root). Ends back in the jail root.
fn probe_fchdir_escape() {
    use std::os::unix::fs::MetadataExt;
    let jail = match jail_dirs() {
        Ok(j) => j,
        Err(e) => {
            println!("PROBE fchdir_escape=error:cannot list the jail: {}", errno_name(e));
            return;
        }
    };
    let (mut open, mut dirs, mut ways_out) = (0, 0, 0);
    for fd in 0..1024 {
        // SAFETY: F_GETFD on a plain descriptor number reads its flags; no memory is passed.
        if unsafe { nix::libc::fcntl(fd, nix::libc::F_GETFD) } < 0 {
            continue;
        }
        open += 1;
        // SAFETY: fchdir takes a plain descriptor number; a non-directory fails (ENOTDIR).
        if unsafe { nix::libc::fchdir(fd) } != 0 {
            continue;
        }
        dirs += 1;
        let here = std::fs::metadata(".");
        if !here.as_ref().is_ok_and(|m| jail.contains(&(m.dev(), m.ino()))) {
            ways_out += 1;
            let passwd = match std::fs::read("etc/passwd") {
                Ok(_) => "readable".to_string(),
                Err(e) => errno_name(e),
            };
            let here = match here {
                Ok(m) => format!("device {} inode {}", m.dev(), m.ino()),
                Err(e) => errno_name(e),
            };
            println!("FCHDIR descriptor {fd} leads out of the jail ({here}; etc/passwd from there: {passwd})");
        }
        if let Err(e) = nix::unistd::chdir("/") {
            println!("PROBE fchdir_escape=error:cannot return to the jail root: {e}");
            return;
        }
    }
    if ways_out > 0 {
        println!("PROBE fchdir_escape=ok");
    } else {
        println!("PROBE fchdir_escape=denied:all inside (open={open},dirs={dirs})");
    }
}

/// Entry point of the confined child; does nothing unless run by a test below.
#[test]
#[ignore = "the escape probe's child; the escape tests run it"]
fn probe_child() {
    let Ok(spec) = std::env::var(PROBE_ENV) else {
        return;
    };
    // libtest has printed "test probe_child ... " without a newline.
    println!();
    // stderr becomes /dev/null below (the parent hands down a directory there): a panic
    // must still reach the parent, on the report pipe.
    std::panic::set_hook(Box::new(|info| println!("PANIC {info}")));
    // As main does, before anything is opened: no inherited descriptor above stderr, and
    // stdin (the parent's "/") and stderr (a directory outside the root) onto /dev/null.
    warden::confine::close_inherited();
    for note in warden::confine::stdio_hygiene().expect("stdio hygiene") {
        println!("HYGIENE {note}");
    }
    let arg: HashMap<&str, &str> = spec.split(';').filter_map(|kv| kv.split_once('=')).collect();
    let root = PathBuf::from(arg["root"]);
    let root_fd = std::fs::File::open(&root).expect("open web root");
    use std::os::fd::AsFd;
    let plan = warden::confine::Plan {
        root_path: root.clone(),
        root: root_fd.as_fd(),
        chroot: true,
        ids: Some((nix::unistd::Uid::from_raw(NOBODY), nix::unistd::Gid::from_raw(NOBODY))),
        nofile: 64,
        fsize: 0,
        landlock: if arg["landlock"] == "on" {
            warden::confine::LandlockMode::BestEffort
        } else {
            warden::confine::LandlockMode::Off
        },
        // As `--proxy /api=127.0.0.1:BACKEND` asks: connect to that port only.
        connect_ports: vec![arg["backend"].parse().unwrap()],
        // These probes test the other barriers; tests/seccomp_escape.rs tests the filter.
        seccomp: warden::seccomp::Plan {
            mode: warden::seccomp::Mode::Off,
            required: false,
            proxy: true,
            log_fds: vec![1, 2],
        },
    };
    let confined = warden::confine::confine(&plan).expect("confinement");
    for line in confined.lines() {
        println!("REPORT {line}");
    }
    println!("SHORTFALLS {}", confined.shortfalls(&plan).join("; "));

    // The file system outside the jail.
    report("read_etc_passwd", std::fs::read("/etc/passwd").map(drop));
    report(
        "read_dotdot_passwd",
        std::fs::read("../../../../../etc/passwd").map(drop),
    );
    report("read_proc_root", std::fs::read("/proc/1/root/etc/passwd").map(drop));
    report("chroot_again", nix_io(nix::unistd::chroot("/")));
    probe_fchdir_escape();
    // The web root: readable, never writable.
    report("read_web_file", std::fs::read("/index.html").map(drop));
    report("create_in_root", std::fs::File::create("/new.txt").map(drop));
    report(
        "write_in_writable_dir",
        std::fs::File::create("/drop/new.txt").and_then(|mut f| std::io::Write::write_all(&mut f, b"data")),
    );
    // Processes and ids.
    // SAFETY: the child only calls _exit; the probe is otherwise single-threaded here.
    let forked = unsafe { nix::unistd::fork() };
    match forked {
        Ok(nix::unistd::ForkResult::Child) => unsafe { nix::libc::_exit(0) },
        Ok(nix::unistd::ForkResult::Parent { child }) => {
            let _ = nix::sys::wait::waitpid(child, None);
            report("fork", Ok(()));
        }
        Err(e) => report("fork", Err(e.into())),
    }
    report("setuid_0", nix_io(nix::unistd::setuid(nix::unistd::Uid::from_raw(0))));
    report("setgid_0", nix_io(nix::unistd::setgid(nix::unistd::Gid::from_raw(0))));
    report(
        "setgroups_0",
        nix_io(nix::unistd::setgroups(&[nix::unistd::Gid::from_raw(0)])),
    );
    // The network.
    let port: u16 = arg["port"].parse().unwrap();
    report(
        "tcp_connect",
        std::net::TcpStream::connect(("127.0.0.1", port)).map(drop),
    );
    let backend: u16 = arg["backend"].parse().unwrap();
    report(
        "tcp_connect_backend",
        std::net::TcpStream::connect(("127.0.0.1", backend)).map(drop),
    );
    report("tcp_bind_new_port", TcpListener::bind("127.0.0.1:0").map(drop));
    report("tcp_bind_privileged", TcpListener::bind("127.0.0.1:1").map(drop));
    // Other processes of the same uid.
    let victim: i32 = arg["victim"].parse().unwrap();
    report(
        "kill_same_uid",
        nix_io(nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(victim),
            nix::sys::signal::SIGTERM,
        )),
    );
    // Last: execve. When it works, this process becomes the payload.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // stderr is /dev/null since the hygiene; under qemu-user the payload's emulator says
    // why it cannot start on stderr, which the parent must see (`emulator_blocked_exec`).
    // SAFETY: dup2 of two standard descriptor numbers; no memory is passed.
    unsafe { nix::libc::dup2(1, 2) };
    if let Some(exe) = arg.get("exec").filter(|e| !e.is_empty()) {
        let path = std::ffi::CString::new(*exe).unwrap();
        let e = nix::unistd::execv::<&std::ffi::CStr>(&path, &[&path]).unwrap_err();
        report("exec", Err(e.into()));
    }
    let _ = std::io::stdout().flush();
}

// ---------------------------------------------------------------- the parent

/// A static ELF that exits with `geteuid() & 0xff` (254 for uid 65534, 0 for
/// root), built for this machine; `None` where no payload is written yet.
fn payload() -> Option<Vec<u8>> {
    if cfg!(target_arch = "arm") {
        // mov r7,#201 (geteuid32); svc 0; mov r7,#1 (exit); svc 0
        let code = [
            0xc9, 0x70, 0xa0, 0xe3, 0, 0, 0, 0xef, 0x01, 0x70, 0xa0, 0xe3, 0, 0, 0, 0xef,
        ];
        return Some(elf32(0x28, 0x0500_0000, &code));
    }
    let (machine, code): (u16, &[u8]) = if cfg!(target_arch = "x86_64") {
        // mov eax,107 (geteuid); syscall; mov edi,eax; mov eax,60 (exit); syscall
        (
            0x3e,
            &[
                0xb8, 0x6b, 0, 0, 0, 0x0f, 0x05, 0x89, 0xc7, 0xb8, 0x3c, 0, 0, 0, 0x0f, 0x05,
            ],
        )
    } else if cfg!(target_arch = "aarch64") {
        // mov x8,#175 (geteuid); svc #0; mov x8,#93 (exit); svc #0
        (
            0xb7,
            &[
                0xe8, 0x15, 0x80, 0xd2, 0x01, 0, 0, 0xd4, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0, 0, 0xd4,
            ],
        )
    } else {
        return None;
    };
    Some(elf64(machine, code))
}

/// ELF64 executable: header, one PT_LOAD (R+X) of the whole file, code at offset 120.
fn elf64(machine: u16, code: &[u8]) -> Vec<u8> {
    let base: u64 = 0x40_0000;
    let total = (64 + 56 + code.len()) as u64;
    let mut elf = Vec::new();
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
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
    elf.extend_from_slice(&0u64.to_le_bytes());
    elf.extend_from_slice(&base.to_le_bytes());
    elf.extend_from_slice(&base.to_le_bytes());
    elf.extend_from_slice(&total.to_le_bytes());
    elf.extend_from_slice(&total.to_le_bytes());
    elf.extend_from_slice(&0x1000u64.to_le_bytes());
    elf.extend_from_slice(code);
    elf
}

/// ELF32 executable: header, one PT_LOAD (R+X) of the whole file, code at offset 84.
fn elf32(machine: u16, flags: u32, code: &[u8]) -> Vec<u8> {
    let base: u32 = 0x1_0000;
    let total = (52 + 32 + code.len()) as u32;
    let mut elf = Vec::new();
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
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

/// What one probe child did.
struct ProbeRun {
    results: HashMap<String, String>,
    report: Vec<String>,
    shortfalls: String,
    /// The child's exit code (the payload's, when an exec worked).
    exit: Option<i32>,
    /// Whether the same-uid victim process was still alive afterwards.
    victim_alive: bool,
    output: String,
}

impl ProbeRun {
    fn get(&self, name: &str) -> &str {
        self.results
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("probe did not report {name}:\n{}", self.output))
    }

    fn denied(&self, name: &str) {
        let r = self.get(name);
        assert!(
            r.starts_with("denied:"),
            "{name} was not denied ({r}):\n{}",
            self.output
        );
    }

    fn allowed(&self, name: &str) {
        assert_eq!(self.get(name), "ok", "{name}:\n{}", self.output);
    }
}

struct TempRoot(PathBuf);

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn make_root(tag: &str) -> TempRoot {
    let dir = std::env::temp_dir().join(format!("warden-escape-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("drop")).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A directory the server's uid could write to by permissions alone.
    std::fs::set_permissions(dir.join("drop"), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(dir.join("index.html"), b"<h1>inside</h1>\n").unwrap();
    if let Some(elf) = payload() {
        for (name, mode) in [("payload", 0o755), ("suid-payload", 0o4755)] {
            let p = dir.join(name);
            std::fs::write(&p, &elf).unwrap();
            chown(&p, Some(0), Some(0)).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    TempRoot(dir)
}

fn spawn_victim() -> Child {
    Command::new("sleep")
        .arg("60")
        .uid(NOBODY)
        .gid(NOBODY)
        .spawn()
        .expect("spawn a process of uid 65534")
}

/// Whether the victim is alive. When the probe's kill worked, the victim gets up to
/// `VICTIM_DEATH` to die: the SIGTERM is sent, not yet handled, when the probe exits
/// (checking at once failed now and then on a busy machine).
fn victim_survives(victim: &mut Child, killed: bool) -> bool {
    const VICTIM_DEATH: Duration = Duration::from_secs(5);
    let deadline = Instant::now() + if killed { VICTIM_DEATH } else { Duration::ZERO };
    loop {
        match victim.try_wait() {
            Ok(Some(_)) => return false,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) | Err(_) => return true,
        }
    }
}

fn run_probe(landlock: bool, exec: &str) -> ProbeRun {
    let tag = format!(
        "{}-{}",
        if landlock { "ll" } else { "noll" },
        exec.trim_start_matches('/')
    );
    let root = make_root(&tag);
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = target.local_addr().unwrap().port();
    let backend_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let backend = backend_listener.local_addr().unwrap().port();
    let mut victim = spawn_victim();
    let spec = format!(
        "root={};landlock={};port={port};backend={backend};victim={};exec={exec}",
        root.0.display(),
        if landlock { "on" } else { "off" },
        victim.id()
    );
    // Handed down as a careless parent would (`warden … 0</ 2>/tmp`): stdin on "/" and
    // stderr on a directory outside the web root; the child's stdio_hygiene must defuse
    // both before the jail (`escape_fchdir_on_every_descriptor_denied`).
    let slash = std::fs::File::open("/").expect("open / as stdin");
    let outside = std::fs::File::open(std::env::temp_dir()).expect("open the temp dir as stderr");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["probe_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(PROBE_ENV, spec)
        .stdin(Stdio::from(slash))
        .stderr(Stdio::from(outside))
        .output()
        .expect("run the probe child");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let victim_alive = victim_survives(&mut victim, stdout.contains("PROBE kill_same_uid=ok\n"));
    let _ = victim.kill();
    let _ = victim.wait();
    // The child's stderr is a directory, then /dev/null: all it says comes on stdout.
    let output = stdout.clone();
    let mut results = HashMap::new();
    let mut report = Vec::new();
    let mut shortfalls = String::new();
    for line in stdout.lines() {
        if let Some(kv) = line.strip_prefix("PROBE ") {
            if let Some((k, v)) = kv.split_once('=') {
                results.insert(k.to_string(), v.to_string());
            }
        } else if let Some(r) = line.strip_prefix("REPORT ") {
            report.push(r.to_string());
        } else if let Some(s) = line.strip_prefix("SHORTFALLS ") {
            shortfalls = s.to_string();
        }
    }
    drop(root);
    ProbeRun {
        results,
        report,
        shortfalls,
        exit: out.status.code(),
        victim_alive,
        output,
    }
}

/// The probe with Landlock on and its last attempt the plain payload.
fn landlocked() -> &'static ProbeRun {
    static RUN: OnceLock<ProbeRun> = OnceLock::new();
    RUN.get_or_init(|| run_probe(true, "/payload"))
}

/// The probe with Landlock off (a kernel without it), same attempts.
fn no_landlock() -> &'static ProbeRun {
    static RUN: OnceLock<ProbeRun> = OnceLock::new();
    RUN.get_or_init(|| run_probe(false, "/payload"))
}

fn landlock_abi() -> i32 {
    warden::confine::kernel_landlock_abi()
}

/// Under qemu-user (cross/test), an exec that works starts a new emulator, which dies
/// creating its own thread under RLIMIT_NPROC 0: the payload's exit status is then not
/// observable. True (a skip) when that is what happened; never natively.
fn emulator_blocked_exec(run: &ProbeRun) -> bool {
    run.exit.is_none()
        && run.output.contains("qemu_thread_create")
        && skip_under_emulator("the exec'd payload's emulator cannot start (RLIMIT_NPROC 0)")
}

fn have_payload() -> bool {
    require(payload().is_some(), "no exec payload for this architecture yet")
}

/// Whether the kernel's Landlock has ABI `min`, which `what` needs. Without it that part
/// of a test is skipped: legitimately under qemu-user (which implements no Landlock),
/// otherwise through `require` (a failure under `CI=true`).
fn landlock_has(min: i32, what: &str) -> bool {
    let abi = landlock_abi();
    if abi >= min {
        return true;
    }
    if abi == 0 && skip_under_emulator(&format!("qemu-user implements no Landlock ({what})")) {
        return false;
    }
    require(false, &format!("Landlock ABI {abi} has no {what} (ABI {min} needed)"))
}

// ---------------------------------------------------------------- the tests

// Both modes: the confinement reached its plan, per the kernel's own answers.
#[test]
fn probe_confinement_as_planned() {
    if !require_root() {
        return;
    }
    for run in [landlocked(), no_landlock()] {
        assert_eq!(run.shortfalls, "", "{}", run.output);
        assert!(run.report.iter().any(|l| l.ends_with("(chroot)")), "{}", run.output);
        assert!(
            run.report
                .iter()
                .any(|l| l == "capabilities: permitted 0x0 effective 0x0 inheritable 0x0 bounding 0x0 ambient 0x0"),
            "{}",
            run.output
        );
    }
}

// Without Landlock the report says so, and the other barriers still hold (tests below).
#[test]
fn probe_report_without_landlock_says_so() {
    if !require_root() {
        return;
    }
    let run = no_landlock();
    assert!(
        run.report.iter().any(|l| l == "landlock: not enforced (disabled)"),
        "{}",
        run.output
    );
    let run = landlocked();
    let want = if landlock_abi() > 0 { "fully enforced" } else { "ABI 0" };
    assert!(
        run.report
            .iter()
            .any(|l| l.starts_with("landlock:") && l.contains(want)),
        "{}",
        run.output
    );
}

// chroot: /etc/passwd of the host is not reachable, by path, by "..", or via /proc.
#[test]
fn escape_read_etc_passwd_denied() {
    if !require_root() {
        return;
    }
    for run in [landlocked(), no_landlock()] {
        run.denied("read_etc_passwd");
        run.denied("read_dotdot_passwd");
        run.denied("read_proc_root");
        run.denied("chroot_again");
    }
}

// Descriptors: stdin was "/" and stderr a directory outside the web root when the child
// started (`warden … 0</ 2>/tmp`); after stdio_hygiene and the jail, fchdir on every open
// descriptor reaches only the jail's directories (the web root's own descriptor among them).
#[test]
fn escape_fchdir_on_every_descriptor_denied() {
    if !require_root() {
        return;
    }
    for run in [landlocked(), no_landlock()] {
        run.denied("fchdir_escape");
        let r = run.get("fchdir_escape");
        assert!(
            !r.contains("dirs=0"),
            "fchdir reached no directory at all ({r}):\n{}",
            run.output
        );
        assert!(
            run.output
                .lines()
                .any(|l| l.starts_with("HYGIENE stderr ") && l.contains("/dev/null")),
            "stdio_hygiene did not replace the directory on stderr:\n{}",
            run.output
        );
    }
}

// The web root stays readable: the jail is not a broken server.
#[test]
fn escape_read_web_root_file_allowed() {
    if !require_root() {
        return;
    }
    landlocked().allowed("read_web_file");
    no_landlock().allowed("read_web_file");
}

// Landlock (read-only root) and, without it, DAC + RLIMIT_FSIZE 0: no file is written.
#[test]
fn escape_write_in_web_root_denied() {
    if !require_root() {
        return;
    }
    for run in [landlocked(), no_landlock()] {
        run.denied("create_in_root");
        run.denied("write_in_writable_dir");
    }
    if landlock_has(1, "file system rules") {
        // Landlock refuses the open itself, even in a world-writable directory.
        assert_eq!(landlocked().get("write_in_writable_dir"), "denied:EACCES");
    }
    // Without Landlock the file can be created, but not one byte written.
    assert_eq!(no_landlock().get("write_in_writable_dir"), "denied:EFBIG");
}

// RLIMIT_NPROC 0: no new process.
#[test]
fn escape_fork_denied() {
    if !require_root() {
        return;
    }
    landlocked().denied("fork");
    no_landlock().denied("fork");
}

// setresuid to 65534 with no capabilities: root is gone for good.
#[test]
fn escape_setuid_0_denied() {
    if !require_root() {
        return;
    }
    for run in [landlocked(), no_landlock()] {
        run.denied("setuid_0");
        run.denied("setgid_0");
        run.denied("setgroups_0");
    }
}

// Landlock ABI >= 4: no TCP connect (e.g. to a local admin service) but to
// the --proxy backend's port.
#[test]
fn escape_tcp_connect_denied_by_landlock_but_to_the_backend() {
    if !require_root() {
        return;
    }
    if !landlock_has(4, "network rules") {
        return;
    }
    landlocked().denied("tcp_connect");
    landlocked().allowed("tcp_connect_backend");
    // The barrier is Landlock's: without it the connect works.
    no_landlock().allowed("tcp_connect");
}

// Landlock ABI >= 4: no new listening port; without capabilities, no port < 1024 either way.
#[test]
fn escape_bind_port_denied() {
    if !require_root() {
        return;
    }
    landlocked().denied("tcp_bind_privileged");
    no_landlock().denied("tcp_bind_privileged");
    if landlock_has(4, "network rules") {
        landlocked().denied("tcp_bind_new_port");
    }
}

// Landlock ABI >= 6 signal scoping: no kill(2) of another process of the same uid.
#[test]
fn escape_kill_same_uid_denied_by_landlock() {
    if !require_root() {
        return;
    }
    if !landlock_has(6, "signal scoping") {
        return;
    }
    let run = landlocked();
    run.denied("kill_same_uid");
    assert!(run.victim_alive, "the victim died");
    // Same uid, no Landlock: the kill works (what the scoping adds).
    let run = no_landlock();
    run.allowed("kill_same_uid");
    assert!(!run.victim_alive, "the victim survived an allowed kill");
}

// Landlock: no execve of a binary in the web root (execute is never granted).
// Without Landlock it runs, as uid 65534 (exit status 254 = euid & 0xff).
#[test]
fn escape_execve_in_web_root() {
    if !require_root() || !have_payload() {
        return;
    }
    if landlock_has(1, "execute rights") {
        let run = landlocked();
        assert_eq!(run.get("exec"), "denied:EACCES", "{}", run.output);
    }
    let run = no_landlock();
    if emulator_blocked_exec(run) {
        return;
    }
    assert_eq!(run.exit, Some(254), "payload did not run as 65534:\n{}", run.output);
}

// A setuid-root binary in the jail grants nothing: Landlock refuses the exec;
// without Landlock, no_new_privs makes the kernel ignore the setuid bit.
#[test]
fn escape_setuid_binary_gains_nothing() {
    if !require_root() || !have_payload() {
        return;
    }
    if landlock_has(1, "execute rights") {
        let run = run_probe(true, "/suid-payload");
        assert_eq!(run.get("exec"), "denied:EACCES", "{}", run.output);
    }
    let run = run_probe(false, "/suid-payload");
    if emulator_blocked_exec(&run) {
        return;
    }
    assert_eq!(
        run.exit,
        Some(254),
        "setuid-root payload must run with euid 65534, not 0 (exit 0):\n{}",
        run.output
    );
}

#[test]
fn payload_reports_its_euid() {
    // Sanity check of the payload itself, outside any jail.
    if !have_payload() {
        return;
    }
    let elf = payload().expect("a payload");
    let dir = std::env::temp_dir().join(format!("warden-payload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p: &Path = &dir.join("payload");
    std::fs::write(p, elf).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    // ETXTBSY while another test thread's fork still holds the write descriptor
    // (fork between our write and its close): a known race of tests that write
    // and run a binary; retry briefly.
    let mut tries = 0;
    let status = loop {
        match Command::new(p).status() {
            Err(e) if e.raw_os_error() == Some(nix::libc::ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other.unwrap(),
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let euid = nix::unistd::geteuid().as_raw();
    assert_eq!(status.code(), Some((euid & 0xff) as i32));
}
