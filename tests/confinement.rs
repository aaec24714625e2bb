//! Confinement: what a warden started as root (or not) looks like from outside once it serves.
//!
//! Every barrier is read back from the kernel through `/proc/PID/...` of the running server
//! (never from warden's own report alone), and the report lines are checked against it.
//! These tests need root (and setpriv for two of them): without it they are skipped, except
//! in CI (`CI=true`), where that is a failure (`require` in tests/common).

mod common;

use common::*;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The unprivileged user warden drops to by default (`nobody` on Debian).
const NOBODY: u32 = 65534;

/// The report items, in order, each one `confinement:` log line and one `--check` line.
const ITEMS: [&str; 9] = [
    "jail root: ",
    "uid: ",
    "gid: ",
    "supplementary groups: ",
    "capabilities: ",
    "no_new_privs: ",
    "rlimits: ",
    "landlock: ",
    "seccomp: ",
];

/// The kernel's Landlock ABI (0 without Landlock), asked independently of warden.
fn kernel_landlock_abi() -> i64 {
    i64::from(warden::confine::kernel_landlock_abi())
}

/// The report's landlock line says the ruleset is fully enforced at the kernel's ABI, or,
/// on a kernel without Landlock (qemu-user implements none), says exactly that.
fn assert_landlock_full(line: &str) {
    let abi = kernel_landlock_abi();
    if abi == 0 {
        assert_eq!(line, "landlock: not enforced (kernel has no Landlock, ABI 0)");
        return;
    }
    let want = format!("landlock: ABI {abi}, fully enforced (");
    assert!(
        line.starts_with(&want),
        "landlock line {line:?} does not start with {want:?}"
    );
}

/// The web root as warden reports it (canonical).
fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|e| panic!("canonicalize {}: {e}", p.display()))
}

/// Starts warden on `root` and waits until it is confined and serving (the `serving` line
/// follows the report and the shortfall check), so `/proc` shows the final state.
fn start_confined(root: &Path, extra: &[&str]) -> Server {
    wait_serving(Server::start(root, extra))
}

fn wait_serving(s: Server) -> Server {
    if s.wait_for_log(|l| l.contains("] serving ")).is_none() {
        panic!("warden did not reach `serving`; stderr:\n{}", s.log_text());
    }
    s
}

/// The report items from a list of lines (log lines are cut after `confinement: `): exactly
/// one line per item and no other report line.
fn report_items(lines: &[String], from_log: bool) -> BTreeMap<&'static str, String> {
    let report: Vec<String> = if from_log {
        lines
            .iter()
            .filter_map(|l| l.split_once("] confinement: ").map(|(_, r)| r.to_string()))
            .collect()
    } else {
        lines
            .iter()
            .filter(|l| ITEMS.iter().any(|i| l.starts_with(i)))
            .cloned()
            .collect()
    };
    let mut items = BTreeMap::new();
    for item in ITEMS {
        let found: Vec<&String> = report.iter().filter(|l| l.starts_with(item)).collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one report line for {item:?}, got {found:?}; lines:\n{}",
            lines.join("\n")
        );
        items.insert(item, found[0].clone());
    }
    assert_eq!(report.len(), ITEMS.len(), "report lines: {report:?}");
    items
}

/// The report of a server started as root and dropped to `uid`/`gid`; returns NOFILE.
fn assert_root_report(items: &BTreeMap<&'static str, String>, root: &Path, jail: &str, uid: u32, gid: u32) -> u64 {
    assert_eq!(
        items["jail root: "],
        format!("jail root: {} ({jail})", canonical(root).display())
    );
    assert_eq!(items["uid: "], format!("uid: real {uid} effective {uid} saved {uid}"));
    assert_eq!(items["gid: "], format!("gid: real {gid} effective {gid} saved {gid}"));
    assert_eq!(items["supplementary groups: "], "supplementary groups: none");
    assert_eq!(
        items["capabilities: "],
        "capabilities: permitted 0x0 effective 0x0 inheritable 0x0 bounding 0x0 ambient 0x0"
    );
    assert_eq!(items["no_new_privs: "], "no_new_privs: 1");
    let nofile = assert_rlimits_line(&items["rlimits: "]);
    assert_landlock_full(&items["landlock: "]);
    assert_seccomp_line(&items["seccomp: "]);
    nofile
}

/// The report's seccomp line: natively the allowlist of this architecture, killing the
/// process, read back as filter mode 2; qemu-user runs no guest filter, so under the
/// emulator the line says seccomp is not enforced and why.
fn assert_seccomp_line(line: &str) {
    if emulator_threads() > 0 {
        assert!(line.starts_with("seccomp: not enforced ("), "seccomp line {line:?}");
        return;
    }
    let want = format!("seccomp: {} allowlist of ", std::env::consts::ARCH);
    assert!(
        line.starts_with(&want),
        "seccomp line {line:?} does not start with {want:?}"
    );
    assert!(
        line.ends_with("others: kill process; filter mode 2 read back"),
        "seccomp line {line:?}"
    );
}

/// `rlimits: NPROC 0/0, FSIZE 0/0, CORE 0/0, NOFILE n/n`; returns n.
fn assert_rlimits_line(line: &str) -> u64 {
    let rest = line
        .strip_prefix("rlimits: NPROC 0/0, FSIZE 0/0, CORE 0/0, NOFILE ")
        .unwrap_or_else(|| panic!("rlimits line {line:?}"));
    let (soft, hard) = rest.split_once('/').unwrap_or_else(|| panic!("rlimits line {line:?}"));
    let soft: u64 = soft.parse().unwrap_or_else(|_| panic!("NOFILE soft in {line:?}"));
    assert_eq!(hard.parse::<u64>().ok(), Some(soft), "NOFILE soft = hard in {line:?}");
    assert!(soft > 0, "NOFILE in {line:?}");
    soft
}

/// `Uid:`/`Gid:` of `/proc/PID/status`: real, effective, saved and filesystem ids.
fn assert_ids(s: &Server, uid: u32, gid: u32) {
    for (field, id) in [("Uid", uid), ("Gid", gid)] {
        let v = s
            .proc_status_field(field)
            .unwrap_or_else(|| panic!("{field}: in /proc/{}/status", s.pid()));
        let ids: Vec<&str> = v.split_whitespace().collect();
        let want = id.to_string();
        assert_eq!(ids, [want.as_str(); 4], "{field}: {v:?}, expected {id} four times");
    }
}

/// A hexadecimal capability mask of `/proc/PID/status`.
fn cap_field(s: &Server, field: &str) -> u64 {
    let v = s
        .proc_status_field(field)
        .unwrap_or_else(|| panic!("{field}: in /proc/{}/status", s.pid()));
    u64::from_str_radix(&v, 16).unwrap_or_else(|_| panic!("{field}: {v:?} is not hexadecimal"))
}

/// no_new_privs, and (natively) the seccomp filter, as the kernel shows them.
fn assert_no_new_privs(s: &Server) {
    assert_eq!(s.proc_status_field("NoNewPrivs").as_deref(), Some("1"), "NoNewPrivs");
    if emulator_threads() == 0 {
        assert_eq!(
            s.proc_status_field("Seccomp").as_deref(),
            Some("2"),
            "Seccomp: filter mode"
        );
    }
}

/// `readlink /proc/PID/root`: the process's root directory as seen from outside.
fn proc_root(s: &Server) -> PathBuf {
    std::fs::read_link(format!("/proc/{}/root", s.pid())).unwrap_or_else(|e| panic!("readlink /proc/PID/root: {e}"))
}

/// (soft, hard) of a `/proc/PID/limits` row such as "Max processes".
fn proc_limit(s: &Server, name: &str) -> (String, String) {
    let text = std::fs::read_to_string(format!("/proc/{}/limits", s.pid())).expect("read /proc/PID/limits");
    let row = text
        .lines()
        .find_map(|l| l.strip_prefix(name).filter(|r| r.starts_with("  ")))
        .unwrap_or_else(|| panic!("no {name:?} row in\n{text}"));
    let mut f = row.split_whitespace();
    (f.next().unwrap_or("").to_string(), f.next().unwrap_or("").to_string())
}

/// NPROC, FSIZE and CORE are 0/0 from outside; returns the NOFILE pair.
fn assert_proc_rlimits(s: &Server) -> (String, String) {
    for name in ["Max processes", "Max file size", "Max core file size"] {
        assert_eq!(
            proc_limit(s, name),
            ("0".into(), "0".into()),
            "{name} in /proc/PID/limits"
        );
    }
    proc_limit(s, "Max open files")
}

/// `TOOL --version` runs and succeeds.
fn tool_runs(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn binary_body() -> Vec<u8> {
    (0..=255u8).cycle().take(70_001).collect()
}

// ---------------------------------------------------------------------------------------------
// Started as root
// ---------------------------------------------------------------------------------------------

/// Barriers: id drop (all four uids/gids), no supplementary groups, every capability set
/// empty, no_new_privs, chroot into the web root, rlimits NPROC/FSIZE/CORE 0 and NOFILE
/// fixed, one thread; all read from /proc, and each item reported once in the log; the
/// confined server still serves.
#[test]
fn root_start_is_confined_as_seen_from_outside() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let body = binary_body();
    wr.file("data.bin", &body);
    let s = start_confined(wr.path(), &["--user", "65534:65534"]);

    assert_ids(&s, NOBODY, NOBODY);
    assert_eq!(s.proc_status_field("Groups").as_deref(), Some(""), "Groups:");
    for cap in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(cap_field(&s, cap), 0, "{cap}: must be empty");
    }
    assert_no_new_privs(&s);
    assert_eq!(proc_root(&s), canonical(wr.path()), "/proc/PID/root: the jail");

    let r = s.get("/data.bin");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body == body, "data.bin body differs ({} bytes)", r.body.len());
    assert_eq!(s.get("/missing.txt").status, 404);

    let nofile = assert_proc_rlimits(&s);
    assert_eq!(nofile.0, nofile.1, "Max open files soft = hard");
    assert_eq!(s.thread_count(), 1, "threads");

    let items = report_items(&s.log_lines(), true);
    let n = assert_root_report(&items, wr.path(), "chroot", NOBODY, NOBODY);
    assert_eq!(nofile.0, n.to_string(), "NOFILE in /proc/PID/limits vs the report");
    for l in s.log_lines().iter().filter(|l| l.contains("] confinement: ")) {
        assert!(l.starts_with("INFO "), "report line not at INFO: {l:?}");
    }
}

/// Barriers against what a root parent hands down: supplementary groups (0 among them) and
/// an inheritable and ambient capability. The test process itself has neither, so without
/// this the checks above could not tell a missing setgroups([]) or capset from a working one.
#[test]
fn root_start_drops_inherited_groups_and_capabilities() {
    if !require_root() {
        return;
    }
    if !require(tool_runs("setpriv"), "needs setpriv (util-linux)") {
        return;
    }
    let wr = WebRoot::new();
    let root = canonical(wr.path()).to_string_lossy().into_owned();
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--groups=0,27",
        "--inh-caps=+net_bind_service",
        "--ambient-caps=+net_bind_service",
        "--",
        warden_bin(),
        "--root",
        &root,
        "--listen",
        "127.0.0.1:0",
        "--user",
        "65534:65534",
    ]);
    let s = wait_serving(Server::start_cmd(cmd));
    assert_ids(&s, NOBODY, NOBODY);
    assert_eq!(s.proc_status_field("Groups").as_deref(), Some(""), "Groups:");
    for cap in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(cap_field(&s, cap), 0, "{cap}: must be empty");
    }
    let items = report_items(&s.log_lines(), true);
    assert_root_report(&items, wr.path(), "chroot", NOBODY, NOBODY);
    s.assert_healthy();
}

/// Barrier against what a parent leaves open: a directory outside the web root and a pipe,
/// handed down without close-on-exec (at fixed numbers, as a careless init script would).
/// An inherited directory descriptor survives chroot and Landlock (`fchdir` to it leaves
/// the jail), so warden closes every descriptor above stderr before it opens anything.
#[test]
fn root_start_closes_inherited_descriptors() {
    if !require_root() {
        return;
    }
    use std::os::fd::AsRawFd;
    let wr = WebRoot::new();
    let outside = std::fs::File::open(wr.outside()).expect("open the outside directory");
    let (pipe_r, _pipe_w) = nix::unistd::pipe().expect("pipe");
    let (dir_fd, pipe_fd) = (outside.as_raw_fd(), pipe_r.as_raw_fd());
    let root = canonical(wr.path()).to_string_lossy().into_owned();
    let mut cmd = Command::new(warden_bin());
    cmd.args(["--root", &root, "--listen", "127.0.0.1:0", "--user", "65534:65534"]);
    // SAFETY: only dup2 (async-signal-safe) between fork and exec; dup2 clears close-on-exec.
    unsafe {
        cmd.pre_exec(move || {
            for (from, to) in [(dir_fd, 50), (pipe_fd, 51)] {
                if nix::libc::dup2(from, to) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let s = wait_serving(Server::start_cmd(cmd));
    let pid = s.pid();
    let outside_path = canonical(wr.outside());
    let fds = fd_targets(pid);
    assert!(!fds.is_empty(), "cannot list the server's descriptors");
    for (n, target) in fds {
        assert!(
            n != 50 && n != 51,
            "inherited descriptor {n} still open: {}",
            fd_list(pid)
        );
        assert!(
            !target.starts_with(&outside_path),
            "descriptor {n} reaches outside the jail: {}",
            fd_list(pid)
        );
    }
    let closed = s
        .log_lines()
        .iter()
        .find_map(|l| {
            let rest = l.split("] closed ").nth(1)?;
            rest.split_whitespace().next()?.parse::<usize>().ok()
        })
        .unwrap_or_else(|| panic!("no 'closed N descriptor(s)' line; log:\n{}", s.log_text()));
    assert!(
        closed >= 2,
        "closed {closed} inherited descriptors, expected at least the two given"
    );
    s.assert_healthy();
}

/// Barrier: without `--user`, the id drop goes to 65534:65534, never stays root.
#[test]
fn default_user_is_65534() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let s = start_confined(wr.path(), &[]);
    assert_ids(&s, NOBODY, NOBODY);
    assert_eq!(cap_field(&s, "CapEff"), 0);
    let items = report_items(&s.log_lines(), true);
    assert_root_report(&items, wr.path(), "chroot", NOBODY, NOBODY);
    s.assert_healthy();
}

/// Barrier: `--user NAME` resolves the name (before the jail hides /etc/passwd) and drops to
/// its uid and primary gid.
#[test]
fn user_by_name() {
    if !require_root() {
        return;
    }
    let nobody = nix::unistd::User::from_name("nobody")
        .expect("look up nobody")
        .expect("user nobody exists");
    assert_eq!(nobody.uid.as_raw(), NOBODY, "nobody is uid 65534 on Debian");
    let gid = nobody.gid.as_raw();
    let wr = WebRoot::new();
    let s = start_confined(wr.path(), &["--user", "nobody"]);
    assert_ids(&s, NOBODY, gid);
    assert_eq!(s.proc_status_field("Groups").as_deref(), Some(""), "Groups:");
    let items = report_items(&s.log_lines(), true);
    assert_root_report(&items, wr.path(), "chroot", NOBODY, gid);
    s.assert_healthy();
}

/// Barrier: `--check` runs the whole sequence for real and prints the report on stdout,
/// then exits 0 without serving.
#[test]
fn check_prints_the_report_and_exits() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let root = wr.path().to_string_lossy().into_owned();
    let out = run_cli(&["--root", &root, "--listen", "127.0.0.1:0", "--check"]);
    assert_eq!(out.status.code(), Some(0), "--check exit status; {out:?}");
    let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    let items = report_items(&lines, false);
    assert_root_report(&items, wr.path(), "chroot", NOBODY, NOBODY);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("confinement as planned"),
        "{out:?}"
    );
    assert_eq!(lines.len(), ITEMS.len() + 1, "stdout: {:?}", out.stdout);
    assert!(!out.stderr.lines().any(|l| l.starts_with("warden: ")), "{out:?}");

    // It bound its listener, then exited: nothing listens there any more.
    let addr = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("listening on http://"))
        .unwrap_or_else(|| panic!("no listening line in {out:?}"));
    let addr: std::net::SocketAddr = addr.trim_end_matches('/').parse().expect("listen address");
    match std::net::TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "connect {addr}: {e}"),
        Ok(_) => panic!("something still listens on {addr} after --check exited"),
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

/// Runs warden expecting a refusal: exit 2, exactly one stderr line starting `warden: ` that
/// contains every keyword, nothing on stdout, never confined or serving.
fn assert_refused(args: &[&str], keywords: &[&str]) -> CliOutcome {
    let out = run_cli(args);
    assert_eq!(out.status.code(), Some(2), "warden {args:?}: exit status; {out:?}");
    let fatal: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("warden: ")).collect();
    assert_eq!(fatal.len(), 1, "warden {args:?}: one `warden: ` line; {out:?}");
    for k in keywords {
        assert!(
            fatal[0].contains(k),
            "warden {args:?}: {:?} does not name {k:?}",
            fatal[0]
        );
    }
    assert!(out.stdout.is_empty(), "warden {args:?}: stdout {:?}", out.stdout);
    assert!(
        !out.stderr.contains("confinement:") && !out.stderr.contains("] serving "),
        "warden {args:?}: went on after the refusal; {out:?}"
    );
    out
}

/// A refusal decided from the flags alone: the one `warden: ` line is all of stderr.
fn assert_refused_alone(args: &[&str], keywords: &[&str]) {
    let out = assert_refused(args, keywords);
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "warden {args:?}: stderr {:?}",
        out.stderr
    );
}

/// Barrier: the target ids can never be root (uid 0 or gid 0).
#[test]
fn refuses_uid_or_gid_0() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let root = wr.path().to_string_lossy().into_owned();
    for (user, keywords) in [
        ("0", &["uid 0"][..]),
        ("0:0", &["uid 0"][..]),
        ("65534:0", &["uid 0", "gid 0"][..]),
        ("root", &["uid 0"][..]),
    ] {
        assert_refused_alone(&["--root", &root, "--listen", "127.0.0.1:0", "--user", user], keywords);
    }
}

/// Barrier: an unknown user name is an error, not a silent fallback.
#[test]
fn refuses_unknown_user() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let root = wr.path().to_string_lossy().into_owned();
    assert_refused_alone(
        &["--root", &root, "--listen", "127.0.0.1:0", "--user", "no-such-user"],
        &["no such user"],
    );
}

/// Barrier: the jail cannot be the whole file system.
#[test]
fn refuses_root_slash() {
    if !require_root() {
        return;
    }
    assert_refused_alone(&["--root", "/", "--listen", "127.0.0.1:0"], &["whole file system"]);
}

/// The three unsafe web roots of the `--strict` audit: (root, offending path, finding text).
fn unsafe_roots() -> Vec<(WebRoot, PathBuf, &'static str)> {
    let world = WebRoot::new();
    let dir = world.dir("uploads");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod 0777");

    let owned = WebRoot::new();
    let file = owned.file("settings.json", b"{}");
    std::os::unix::fs::chown(&file, Some(NOBODY), None).expect("chown 65534");

    let exec = WebRoot::new();
    let script = exec.file("cgi/run.sh", b"#!/bin/sh\necho hi\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod 0755");

    vec![
        (world, dir, "writable"),
        (owned, file, "writable"),
        (exec, script, "is executable"),
    ]
}

/// Barrier: `--strict` refuses a web root the server's user could write (world-writable
/// directory, file owned by 65534) or one holding an executable file; the log names it.
#[test]
fn strict_refuses_unsafe_web_roots() {
    if !require_root() {
        return;
    }
    for (wr, bad, what) in unsafe_roots() {
        let root = wr.path().to_string_lossy().into_owned();
        let out = assert_refused(&["--root", &root, "--listen", "127.0.0.1:0", "--strict"], &["--strict"]);
        let name = canonical(&bad).display().to_string();
        assert!(
            out.stderr
                .lines()
                .any(|l| l.starts_with("WARN ") && l.contains(&name) && l.contains(what)),
            "--strict on {name}: no WARN line naming it ({what}); {out:?}"
        );
    }
}

/// Control for the above: `--strict` with a clean web root starts and serves.
#[test]
fn strict_accepts_a_clean_web_root() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    wr.file("index.html", b"<p>ok</p>");
    let s = start_confined(wr.path(), &["--strict"]);
    // Under an emulator warden notes the emulator's own thread, and that neither Landlock
    // nor seccomp could be had; neither is about the root.
    let emulated = emulator_threads() > 0;
    assert!(
        !s.log_lines().iter().any(|l| l.starts_with("WARN ")
            && !l.contains("an emulator's")
            && !(emulated && l.contains("confinement shortfall: neither seccomp nor Landlock"))),
        "warnings on a clean root:\n{}",
        s.log_text()
    );
    s.assert_healthy();
}

/// Without `--strict` the same unsafe roots are served, with a `WARN` line naming the file.
#[test]
fn unsafe_web_roots_warn_without_strict() {
    if !require_root() {
        return;
    }
    for (wr, bad, what) in unsafe_roots() {
        let s = start_confined(wr.path(), &[]);
        let name = canonical(&bad).display().to_string();
        assert!(
            s.log_lines()
                .iter()
                .any(|l| l.starts_with("WARN ") && l.contains(&name) && l.contains(what)),
            "no WARN line naming {name} ({what}):\n{}",
            s.log_text()
        );
        assert_ids(&s, NOBODY, NOBODY);
        s.assert_healthy();
    }
}

// ---------------------------------------------------------------------------------------------
// Variants
// ---------------------------------------------------------------------------------------------

/// Barriers without the chroot: a warning, the id drop, empty capabilities, no_new_privs and
/// Landlock (fully enforced on the web root) still hold, and the server still only serves
/// from the root. (Landlock's denial of paths outside the root cannot be exercised from
/// outside the process; the report line and the served/unserved requests are what is seen.)
#[test]
fn no_chroot_keeps_the_other_barriers() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let body = binary_body();
    wr.file("data.bin", &body);
    wr.outside_file("secret.txt", b"outside secret\n");
    let s = start_confined(wr.path(), &["--no-chroot"]);

    assert_eq!(proc_root(&s), Path::new("/"), "/proc/PID/root without chroot");
    assert!(
        s.log_lines()
            .iter()
            .any(|l| l.starts_with("WARN ") && l.contains("--no-chroot")),
        "no --no-chroot warning:\n{}",
        s.log_text()
    );
    assert_ids(&s, NOBODY, NOBODY);
    for cap in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(cap_field(&s, cap), 0, "{cap}: must be empty");
    }
    assert_no_new_privs(&s);
    assert_proc_rlimits(&s);
    let items = report_items(&s.log_lines(), true);
    assert_root_report(&items, wr.path(), "not jailed", NOBODY, NOBODY);

    let r = s.get("/data.bin");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body == body, "data.bin body differs ({} bytes)", r.body.len());
    for target in ["/../outside/secret.txt", "/%2e%2e/outside/secret.txt"] {
        let r = s.get(target);
        assert_ne!(r.status, 200, "GET {target}: {r:?}");
        assert!(!contains(&r.body, b"outside secret"), "GET {target} leaked: {r:?}");
    }
}

/// Barrier: `--require-landlock` starts only with Landlock fully enforced (this kernel has it).
#[test]
fn require_landlock_starts_fully_enforced() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    if kernel_landlock_abi() == 0 {
        // A kernel without Landlock: --require-landlock must refuse to start.
        let root = wr.path().to_string_lossy().into_owned();
        assert_refused(
            &["--root", &root, "--listen", "127.0.0.1:0", "--require-landlock"],
            &["--require-landlock"],
        );
        return;
    }
    let s = start_confined(wr.path(), &["--require-landlock"]);
    let items = report_items(&s.log_lines(), true);
    assert!(
        items["landlock: "].contains("fully enforced"),
        "{:?}",
        items["landlock: "]
    );
    assert_root_report(&items, wr.path(), "chroot", NOBODY, NOBODY);
    s.assert_healthy();
}

/// Barrier: `--require-seccomp` starts only with the filter in force (`Seccomp: 2`);
/// under qemu-user, which runs no guest filter, it refuses to start, as
/// `--require-landlock` does on a kernel without Landlock.
#[test]
fn require_seccomp_starts_with_the_filter() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    if emulator_threads() > 0 {
        let root = wr.path().to_string_lossy().into_owned();
        assert_refused(
            &["--root", &root, "--listen", "127.0.0.1:0", "--require-seccomp"],
            &["--require-seccomp", "no filter installed"],
        );
        return;
    }
    let s = start_confined(wr.path(), &["--require-seccomp"]);
    let items = report_items(&s.log_lines(), true);
    assert_root_report(&items, wr.path(), "chroot", NOBODY, NOBODY);
    assert_no_new_privs(&s);
    s.assert_healthy();
}

/// `--seccomp=log` installs the same allowlist with SECCOMP_RET_LOG as the action;
/// `--seccomp off` installs none and says so as a shortfall; both serve.
#[test]
fn seccomp_log_and_off_are_reported() {
    if !require_root() || skip_under_emulator("qemu-user runs no guest seccomp filter") {
        return;
    }
    let wr = WebRoot::new();
    wr.file("index.html", "hello");
    let s = start_confined(wr.path(), &["--seccomp=log"]);
    let items = report_items(&s.log_lines(), true);
    let line = &items["seccomp: "];
    assert!(line.ends_with("others: log; filter mode 2 read back"), "{line:?}");
    assert_eq!(s.proc_status_field("Seccomp").as_deref(), Some("2"), "Seccomp:");
    assert_eq!(s.get("/").status, 200);
    drop(s);

    let s = start_confined(wr.path(), &["--seccomp", "off"]);
    let items = report_items(&s.log_lines(), true);
    assert_eq!(items["seccomp: "], "seccomp: not enforced (--seccomp=off)");
    assert!(
        s.log_lines()
            .iter()
            .any(|l| l.contains("confinement shortfall: --seccomp=off")),
        "no shortfall warning; log:\n{}",
        s.log_text()
    );
    assert_eq!(s.proc_status_field("Seccomp").as_deref(), Some("0"), "Seccomp:");
    assert_eq!(s.get("/").status, 200);
}

/// A confinement shortfall is printed whatever `--log-level` says: `--log-level error`
/// must not hide `--no-chroot`, a web-root finding or a missing seccomp filter.
#[test]
fn shortfalls_are_reported_whatever_the_log_level() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let exe = wr.file("run.sh", "#!/bin/sh\n");
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let root = wr.path().to_string_lossy().into_owned();
    let out = run_cli(&[
        "--root",
        &root,
        "--listen",
        "127.0.0.1:0",
        "--no-chroot",
        "--seccomp",
        "off",
        "--log-level",
        "error",
        "--check",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let warns: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("WARN  [warden] "))
        .collect();
    for want in [
        "--no-chroot: NOT jailed",
        "web root: ",
        "confinement shortfall: --seccomp=off",
    ] {
        assert!(
            warns.iter().any(|l| l.contains(want)),
            "no WARN line with {want:?}: {out:?}"
        );
    }
    // Nothing else below error gets through.
    assert!(!out.stderr.contains("INFO "), "{out:?}");
}

/// Started unprivileged with `--user`, warden cannot become that user: it says so (a
/// warning naming the user it runs as) and goes on, confined as an unprivileged start is.
#[test]
fn unprivileged_start_with_user_warns_it_cannot_change_user() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let root = canonical(wr.path());
    let mut cmd = Command::new(warden_bin());
    cmd.args([
        "--root",
        &root.to_string_lossy(),
        "--listen",
        "127.0.0.1:0",
        "--user",
        "1000:1000",
        "--check",
    ])
    .uid(NOBODY)
    .gid(NOBODY);
    let out = cmd.output().expect("run warden");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let warn: Vec<&str> = stderr.lines().filter(|l| l.contains("cannot change user")).collect();
    assert_eq!(warn.len(), 1, "{stderr}");
    assert!(
        warn[0].starts_with("WARN ") && warn[0].contains("--user 1000:1000") && warn[0].contains("65534:65534"),
        "{}",
        warn[0]
    );
}

/// `--seccomp` takes kill, log or off; `--require-seccomp` with `--seccomp off` is a
/// contradiction; both refused from the flags alone.
#[test]
fn seccomp_flag_refusals() {
    let wr = WebRoot::new();
    let root = wr.path().to_string_lossy().into_owned();
    assert_refused_alone(
        &["--root", &root, "--listen", "127.0.0.1:0", "--seccomp", "maybe"],
        &["--seccomp", "maybe"],
    );
    assert_refused_alone(
        &[
            "--root",
            &root,
            "--listen",
            "127.0.0.1:0",
            "--seccomp=off",
            "--require-seccomp",
        ],
        &["--require-seccomp", "--seccomp off"],
    );
}

/// Barriers when started unprivileged (uid/gid 65534 already): no chroot or id change is
/// possible and the log says so; no_new_privs, the rlimits and Landlock still apply.
#[test]
fn unprivileged_start_still_confines() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    // 65534 must reach the web root: every ancestor searchable by others.
    let root = canonical(wr.path());
    for dir in root.ancestors() {
        let mode = std::fs::metadata(dir).expect("stat ancestor").permissions().mode();
        assert!(
            mode & 0o001 != 0,
            "{} (mode {mode:o}) is not searchable by 65534",
            dir.display()
        );
    }
    let mut cmd = Command::new(warden_bin());
    cmd.args(["--root", &root.to_string_lossy(), "--listen", "127.0.0.1:0"])
        .uid(NOBODY)
        .gid(NOBODY);
    let s = wait_serving(Server::start_cmd(cmd));

    assert!(
        s.log_text().contains("no chroot or id change possible"),
        "log:\n{}",
        s.log_text()
    );
    assert_ids(&s, NOBODY, NOBODY);
    assert_no_new_privs(&s);
    for cap in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(cap_field(&s, cap), 0, "{cap}: must be empty");
    }
    assert_eq!(proc_root(&s), Path::new("/"), "/proc/PID/root");
    assert_proc_rlimits(&s);
    let items = report_items(&s.log_lines(), true);
    assert_eq!(
        items["jail root: "],
        format!("jail root: {} (not jailed)", root.display())
    );
    assert_eq!(items["uid: "], "uid: real 65534 effective 65534 saved 65534");
    assert_eq!(items["no_new_privs: "], "no_new_privs: 1");
    assert_rlimits_line(&items["rlimits: "]);
    assert_landlock_full(&items["landlock: "]);
    assert!(!s.log_text().contains("--no-chroot"), "log:\n{}", s.log_text());
    s.assert_healthy();
    assert_eq!(s.get("/missing.txt").status, 404);
    assert_eq!(s.thread_count(), 1, "threads");
}

/// Barriers when started unprivileged with an ambient capability (as systemd's
/// `AmbientCapabilities=` would do): permitted, effective, inheritable and ambient all end
/// up empty, so nothing the confined process runs can use it.
#[test]
fn unprivileged_start_drops_ambient_capabilities() {
    if !require_root() {
        return;
    }
    if !require(tool_runs("setpriv"), "needs setpriv (util-linux)") {
        return;
    }
    let wr = WebRoot::new();
    let root = canonical(wr.path()).to_string_lossy().into_owned();
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=+net_bind_service",
        "--ambient-caps=+net_bind_service",
        "--",
        warden_bin(),
        "--root",
        &root,
        "--listen",
        "127.0.0.1:0",
    ]);
    let s = wait_serving(Server::start_cmd(cmd));
    assert!(
        s.log_text().contains("no chroot or id change possible"),
        "log:\n{}",
        s.log_text()
    );
    assert_ids(&s, NOBODY, NOBODY);
    for cap in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
        assert_eq!(cap_field(&s, cap), 0, "{cap}: must be empty");
    }
    assert_no_new_privs(&s);
    let items = report_items(&s.log_lines(), true);
    let caps = &items["capabilities: "];
    assert!(
        caps.starts_with("capabilities: permitted 0x0 effective 0x0 inheritable 0x0 bounding ")
            && caps.ends_with(" ambient 0x0"),
        "{caps:?}"
    );
    s.assert_healthy();
}

/// Barrier: uid or gid 4294967295 is (uid_t)-1, "leave unchanged" to setresuid/setresgid:
/// it must never leave the process root. Refused (today by the regain-root check).
#[test]
fn refuses_uid_or_gid_minus_1() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let root = wr.path().to_string_lossy().into_owned();
    for user in ["4294967295", "4294967295:65534", "65534:4294967295"] {
        assert_refused(&["--root", &root, "--listen", "127.0.0.1:0", "--user", user], &[]);
    }
}

/// Refusals under `--check` keep exit status 2 (a bad command line or start-up failure,
/// main.rs), distinct from 1 (the confinement fell short of the plan).
/// Today every failure under `--check` exits 1.
#[test]
fn check_refusals_exit_2() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let root = wr.path().to_string_lossy().into_owned();
    assert_refused_alone(
        &["--root", &root, "--listen", "127.0.0.1:0", "--check", "--user", "0"],
        &["uid 0"],
    );
    assert_refused_alone(
        &["--root", "/", "--listen", "127.0.0.1:0", "--check"],
        &["whole file system"],
    );
}

/// Barrier: a file or directory owned by the server's user is writable by it whatever its
/// mode (the owner may chmod it), so `--strict` must refuse it too.
#[test]
fn strict_refuses_entries_owned_by_the_user() {
    if !require_root() {
        return;
    }
    let file = WebRoot::new();
    let f = file.file("config.txt", b"x");
    std::os::unix::fs::chown(&f, Some(NOBODY), None).expect("chown 65534");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).expect("chmod 0444");
    let dir = WebRoot::new();
    let d = dir.dir("static");
    std::os::unix::fs::chown(&d, Some(NOBODY), None).expect("chown 65534");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).expect("chmod 0555");
    for wr in [file, dir] {
        let root = wr.path().to_string_lossy().into_owned();
        assert_refused(&["--root", &root, "--listen", "127.0.0.1:0", "--strict"], &["--strict"]);
    }
}

/// Misconfiguration, not escape: a directory the server's user cannot read would only ever
/// be a 404, so the audit names it (and `--strict` refuses it).
#[test]
fn unreadable_web_root_entries_are_named() {
    if !require_root() {
        return;
    }
    let wr = WebRoot::new();
    let private = wr.dir("private");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).expect("chmod 0700");
    let s = start_confined(wr.path(), &[]);
    let name = canonical(&private).display().to_string();
    assert!(
        s.log_lines()
            .iter()
            .any(|l| l.starts_with("WARN ") && l.contains(&name) && l.contains("not readable")),
        "no WARN line naming {name}:\n{}",
        s.log_text()
    );
    drop(s);
    let root = wr.path().to_string_lossy().into_owned();
    assert_refused(&["--root", &root, "--listen", "127.0.0.1:0", "--strict"], &["--strict"]);
}
