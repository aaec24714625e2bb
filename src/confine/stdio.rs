//! Descriptors before the jail: the inherited ones closed, stdin/stdout/stderr
//! made safe to carry into it. Both run first thing in `main`.

use super::{ConfineError, get_rlimit, step};
use nix::errno::Errno;
use nix::libc;
use nix::sys::resource::Resource;
use nix::sys::stat::fstat;
use std::os::fd::BorrowedFd;

/// What a standard output descriptor (1 or 2) was found to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StdOut {
    /// A pipe, socket, character device or regular file open for writing: kept.
    Fine,
    /// Closed: a later `accept` would get this number and mix log lines into a
    /// client's socket, so it is opened on /dev/null.
    Closed,
    /// Anything else (a directory, an O_PATH or read-only descriptor, a block
    /// device): it could lead out of the jail (`fchdir`) or be written by
    /// mistake, so it is replaced by /dev/null.
    Unfit(&'static str),
}

fn classify_output(fd: i32) -> StdOut {
    // SAFETY: F_GETFL on a plain descriptor number reads flags; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return StdOut::Closed;
    }
    if flags & libc::O_PATH != 0 {
        return StdOut::Unfit("an O_PATH descriptor");
    }
    if flags & libc::O_ACCMODE == libc::O_RDONLY {
        return StdOut::Unfit("open read-only");
    }
    // SAFETY: a BorrowedFd must stay open while borrowed. F_GETFL just found
    // `fd` open; this assumes nothing closes it before fstat returns, which
    // holds because no other thread exists yet (main calls this first thing).
    // Were it closed, fstat would fail (EBADF) or describe what took the
    // number; no memory is at stake either way.
    let st = match fstat(unsafe { BorrowedFd::borrow_raw(fd) }) {
        Ok(st) => st,
        Err(_) => return StdOut::Unfit("not fstat-able"),
    };
    match st.st_mode & libc::S_IFMT {
        libc::S_IFIFO | libc::S_IFSOCK | libc::S_IFCHR | libc::S_IFREG => StdOut::Fine,
        libc::S_IFDIR => StdOut::Unfit("a directory"),
        libc::S_IFBLK => StdOut::Unfit("a block device"),
        _ => StdOut::Unfit("of an unexpected type"),
    }
}

/// Points standard descriptor `fd` at /dev/null.
fn point_at_dev_null(fd: i32) -> Result<(), ConfineError> {
    let null = nix::fcntl::open(
        "/dev/null",
        nix::fcntl::OFlag::O_RDWR | nix::fcntl::OFlag::O_NOCTTY,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| ConfineError(format!("open /dev/null: {e}")))?;
    let st = step("fstat /dev/null", fstat(&null))?;
    if st.st_mode & libc::S_IFMT != libc::S_IFCHR {
        return Err(ConfineError("/dev/null is not a character device".into()));
    }
    let raw = std::os::fd::AsRawFd::as_raw_fd(&null);
    if raw == fd {
        // It took the closed number itself: keep it open (without close-on-exec).
        std::mem::forget(null);
        return Ok(());
    }
    // SAFETY: dup2 onto a standard descriptor number; `null` stays owned and is closed on drop.
    if unsafe { libc::dup2(raw, fd) } < 0 {
        return Err(ConfineError(format!("dup2 /dev/null to {fd}: {}", Errno::last())));
    }
    Ok(())
}

/// Makes descriptors 0, 1 and 2 safe to carry into the jail. Run first thing,
/// with `close_inherited`, before anything else is opened: a descriptor the
/// parent left on a directory outside the web root (`warden … 0</`) would let
/// `fchdir` leave the chroot, and Landlock does not govern descriptors opened
/// before it. stdin is never read, so it always becomes /dev/null; stdout and
/// stderr stay if they are a pipe, socket, character device or regular file
/// open for writing, else become /dev/null; a closed one is opened on
/// /dev/null so that no later descriptor (a client socket) takes its number.
/// Returns one line per descriptor replaced, for the log.
pub fn stdio_hygiene() -> Result<Vec<String>, ConfineError> {
    let mut notes = Vec::new();
    point_at_dev_null(0)?;
    for (fd, name) in [(1, "stdout"), (2, "stderr")] {
        match classify_output(fd) {
            StdOut::Fine => {}
            StdOut::Closed => {
                point_at_dev_null(fd)?;
                notes.push(format!("{name} was closed: opened on /dev/null"));
            }
            StdOut::Unfit(what) => {
                point_at_dev_null(fd)?;
                notes.push(format!("{name} was {what}: replaced by /dev/null"));
            }
        }
    }
    Ok(notes)
}

/// Threads in this process (from /proc, read before the jail); `None` without /proc.
pub fn thread_count() -> Option<usize> {
    std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
}

/// Closes every descriptor above stderr that warden did not open. One inherited
/// from the parent without close-on-exec (a directory, a pipe, a socket) would
/// outlive the chroot and reach outside the web root: `fchdir` to an inherited
/// directory is the classic way out of a jail, and Landlock does not govern
/// descriptors opened before it. Called first thing in `main`, when warden has
/// opened nothing of its own. Returns how many were closed, if it can tell.
pub fn close_inherited() -> Option<usize> {
    // /proc/self/fd lists exactly what is open, on any kernel.
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        let fds: Vec<i32> = dir
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|&fd| fd > 2)
            .collect();
        // The listing's own descriptor is among them, closed already by now: EBADF.
        // SAFETY: nothing in this process owns these numbers; closing them is the point.
        let closed = fds.iter().filter(|&&fd| unsafe { libc::close(fd) } == 0).count();
        return Some(closed);
    }
    // No /proc (an unusual board): close_range(2) (Linux 5.9), else one by one.
    // SAFETY: as above; close_range takes plain integers.
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    if r != 0 {
        let (soft, _) = get_rlimit(Resource::RLIMIT_NOFILE).unwrap_or((1024, 1024));
        let top = i32::try_from(soft.min(1 << 20)).unwrap_or(1 << 20);
        for fd in 3..top {
            // SAFETY: as above.
            unsafe { libc::close(fd) };
        }
    }
    None
}
