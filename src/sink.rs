//! Where log lines go: stderr (or syslog, `syslog.rs`), written so that a
//! stalled reader never stalls serving.
//!
//! A log reader (procd/logd, a `logger` pipe, a terminal on a serial console)
//! can stop reading; a blocking write(2) to it would freeze every client once
//! the pipe fills. Setting O_NONBLOCK on descriptor 2 itself is not an option:
//! the flag belongs to the open file description, shared with the parent and
//! every other process holding it (a shell's terminal would turn nonblocking
//! too). So the sink writes through a descriptor of its own, chosen once at
//! start-up (before the jail, while /proc is visible), per kind of stderr:
//! - a pipe, FIFO or terminal: reopened through `/proc/self/fd/2` with
//!   O_NONBLOCK. That makes a new open file description of the same pipe or
//!   device, so the flag is warden's alone;
//! - a socket (systemd's journal stream): `send` with MSG_DONTWAIT, a per-call
//!   flag;
//! - a regular file, /dev/null: written directly (they do not wait for a reader);
//! - anything else, or no /proc: `poll` with a zero timeout before each write
//!   (a writer sharing the pipe could still fill it in between: best effort).
//!
//! A line that cannot be written now is dropped and counted; the next line that
//! can be written is preceded by one line saying how many were dropped. A line
//! the descriptor took only part of (a socket may) is finished from a fixed
//! buffer before anything else is written, so lines never interleave or tear.
//! Nothing here panics or allocates per line.

use nix::errno::Errno;
use nix::libc;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::sync::Mutex;

use crate::syslog::{Sent, Severity, Syslog};

/// Longest line the sink carries (the diagnostic logger's limit; access-log lines are shorter).
pub const MAX_LINE: usize = 1024;

/// How the sink's descriptor is written without waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// A descriptor with O_NONBLOCK of its own (reopened pipe, FIFO or terminal).
    Nonblocking,
    /// A socket: send(MSG_DONTWAIT | MSG_NOSIGNAL).
    Socket,
    /// A regular file or /dev/null: writes do not wait for a reader.
    Direct,
    /// Poll for POLLOUT with a zero timeout, then write.
    Polled,
}

/// The non-blocking writer over one output descriptor.
pub struct Sink {
    fd: OwnedFd,
    mode: Mode,
    /// The unwritten end of a line the descriptor took only part of.
    pending: [u8; MAX_LINE],
    pending_len: usize,
    /// Lines dropped since the last line written.
    dropped: u64,
    /// Lines dropped since start.
    dropped_total: u64,
}

/// The outcome of one attempt to write bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wrote {
    /// All of it, or a part with the rest kept in `pending`.
    Taken,
    /// Nothing: the reader is not keeping up (or gone).
    Refused,
}

fn file_type(fd: BorrowedFd<'_>) -> Option<libc::mode_t> {
    nix::sys::stat::fstat(fd).ok().map(|st| st.st_mode & libc::S_IFMT)
}

/// A new open file description of what `fd` names, with O_NONBLOCK, through /proc.
fn reopen_nonblocking(fd: BorrowedFd<'_>) -> Option<OwnedFd> {
    let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let flags = nix::fcntl::OFlag::O_WRONLY
        | nix::fcntl::OFlag::O_NONBLOCK
        | nix::fcntl::OFlag::O_NOCTTY
        | nix::fcntl::OFlag::O_CLOEXEC;
    let new = nix::fcntl::open(path.as_str(), flags, nix::sys::stat::Mode::empty()).ok()?;
    // Only if it names the same object (a FIFO or device, not a file that took its name).
    let (a, b) = (nix::sys::stat::fstat(fd).ok()?, nix::sys::stat::fstat(&new).ok()?);
    (a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_rdev == b.st_rdev).then_some(new)
}

impl Sink {
    /// A sink over `fd` (stderr in the binary), chosen by what it is. Fails only
    /// if the descriptor cannot even be duplicated.
    pub fn new(fd: BorrowedFd<'_>) -> std::io::Result<Sink> {
        let kind = file_type(fd);
        let (fd, mode) = match kind {
            Some(libc::S_IFSOCK) => (fd.try_clone_to_owned()?, Mode::Socket),
            Some(libc::S_IFREG) => (fd.try_clone_to_owned()?, Mode::Direct),
            Some(libc::S_IFCHR) if is_dev_null(fd) => (fd.try_clone_to_owned()?, Mode::Direct),
            Some(libc::S_IFIFO | libc::S_IFCHR) => match reopen_nonblocking(fd) {
                Some(own) => (own, Mode::Nonblocking),
                None => (fd.try_clone_to_owned()?, Mode::Polled),
            },
            _ => (fd.try_clone_to_owned()?, Mode::Polled),
        };
        Ok(Sink {
            fd,
            mode,
            pending: [0; MAX_LINE],
            pending_len: 0,
            dropped: 0,
            dropped_total: 0,
        })
    }

    /// How writes avoid waiting, for the start-up log.
    pub fn describe(&self) -> &'static str {
        match self.mode {
            Mode::Nonblocking => "pipe or terminal reopened with O_NONBLOCK",
            Mode::Socket => "socket, sent with MSG_DONTWAIT",
            Mode::Direct => "regular file or /dev/null",
            Mode::Polled => "polled before each write",
        }
    }

    /// Lines dropped since start because the reader was not keeping up.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }

    /// One write attempt; `Ok(n)` bytes taken, `Err` when none were.
    fn write_some(&self, bytes: &[u8]) -> Result<usize, Errno> {
        let fd = self.fd.as_raw_fd();
        if self.mode == Mode::Polled {
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLOUT,
                revents: 0,
            };
            // SAFETY: one live pollfd, count 1, zero timeout.
            let r = unsafe { libc::poll(&mut p, 1, 0) };
            if r <= 0 || p.revents & libc::POLLOUT == 0 {
                return Err(Errno::EAGAIN);
            }
        }
        loop {
            // SAFETY: `bytes` is a live slice; its pointer and length are passed together.
            let r = unsafe {
                if self.mode == Mode::Socket {
                    let flags = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
                    libc::send(fd, bytes.as_ptr().cast(), bytes.len(), flags)
                } else {
                    libc::write(fd, bytes.as_ptr().cast(), bytes.len())
                }
            };
            match usize::try_from(r) {
                Ok(0) => return Err(Errno::EAGAIN),
                Ok(n) => return Ok(n),
                Err(_) if Errno::last() == Errno::EINTR => continue,
                Err(_) => return Err(Errno::last()),
            }
        }
    }

    /// Writes `bytes` (at most `MAX_LINE`) or refuses; a part taken keeps the rest pending.
    fn offer(&mut self, bytes: &[u8]) -> Wrote {
        let bytes = &bytes[..bytes.len().min(MAX_LINE)];
        match self.write_some(bytes) {
            Ok(n) if n >= bytes.len() => Wrote::Taken,
            Ok(n) => {
                let rest = &bytes[n..];
                self.pending[..rest.len()].copy_from_slice(rest);
                self.pending_len = rest.len();
                Wrote::Taken
            }
            Err(_) => Wrote::Refused,
        }
    }

    /// Finishes a line taken in part; true when nothing is pending any more.
    fn flush_pending(&mut self) -> bool {
        while self.pending_len > 0 {
            match self.write_some(&self.pending[..self.pending_len]) {
                Ok(n) => {
                    let n = n.min(self.pending_len);
                    self.pending.copy_within(n..self.pending_len, 0);
                    self.pending_len -= n;
                }
                Err(_) => return false,
            }
        }
        true
    }

    fn drop_line(&mut self) {
        self.dropped = self.dropped.saturating_add(1);
        self.dropped_total = self.dropped_total.saturating_add(1);
    }

    /// Writes one whole line (ending in a newline), or drops and counts it.
    pub fn write_line(&mut self, line: &[u8]) {
        if !self.flush_pending() {
            return self.drop_line();
        }
        if self.dropped > 0 {
            let mut buf = [0u8; 128];
            let n = dropped_notice(&mut buf, self.dropped);
            if self.offer(&buf[..n]) == Wrote::Refused {
                return self.drop_line();
            }
            self.dropped = 0;
            if !self.flush_pending() {
                return self.drop_line();
            }
        }
        if self.offer(line) == Wrote::Refused {
            self.drop_line();
        }
    }
}

/// Whether `fd` is the null device (1:3), which never blocks and needs no reopening.
fn is_dev_null(fd: BorrowedFd<'_>) -> bool {
    nix::sys::stat::fstat(fd).is_ok_and(|st| (libc::major(st.st_rdev), libc::minor(st.st_rdev)) == (1, 3))
}

/// `WARN  [warden] log: N line(s) dropped ...` into `buf`; returns its length.
fn dropped_notice(buf: &mut [u8], n: u64) -> usize {
    use std::io::Write as _;
    let mut c = std::io::Cursor::new(&mut buf[..]);
    let _ = writeln!(
        c,
        "WARN  [warden] log: {n} line(s) dropped: the log reader was not keeping up"
    );
    usize::try_from(c.position()).unwrap_or(0)
}

/// Bytes from outside (a request line, a file name) shown in a log line:
/// printable ASCII stays, everything else, `"` and `\` become `\xHH`, so no
/// input can end a line, forge one, send a terminal escape or hide its
/// non-UTF-8 bytes. The access log and the diagnostic log use the same rule.
pub struct Escaped<'a>(pub &'a [u8]);

/// `b` as it appears in a log line: itself, or `\xHH`.
pub fn escape_byte(b: u8) -> ([u8; 4], usize) {
    if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
        return ([b, 0, 0, 0], 1);
    }
    let hex = b"0123456789abcdef";
    ([b'\\', b'x', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]], 4)
}

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for &b in self.0 {
            let (buf, n) = escape_byte(b);
            // Always ASCII: `escape_byte` yields printable ASCII only.
            f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| std::fmt::Error)?)?;
        }
        Ok(())
    }
}

/// The process's log sink (stderr), installed once at start-up.
static SINK: Mutex<Option<Sink>> = Mutex::new(None);

/// The syslog socket, with `--syslog`. Locked before `SINK` when both are.
static SYSLOG: Mutex<Option<Syslog>> = Mutex::new(None);

/// Installs the process's sink over `fd` (stderr in the binary); returns how
/// it writes without waiting.
pub fn install(fd: BorrowedFd<'_>) -> std::io::Result<&'static str> {
    let sink = Sink::new(fd)?;
    let how = sink.describe();
    *SINK.lock().unwrap_or_else(|e| e.into_inner()) = Some(sink);
    Ok(how)
}

/// From now on lines go to syslog (stderr only for fatal errors, and again
/// if the syslog socket goes away).
pub fn install_syslog(syslog: Syslog) {
    *SYSLOG.lock().unwrap_or_else(|e| e.into_inner()) = Some(syslog);
}

/// Writes one line (ending in a newline) to stderr through the sink. Before
/// `install` (the first moments of start-up) it writes fd 2 directly.
fn to_stderr(line: &[u8]) {
    let mut guard = SINK.lock().unwrap_or_else(|e| e.into_inner());
    match guard.as_mut() {
        Some(sink) => sink.write_line(line),
        None => {
            // SAFETY: `line` is a live slice; a failed write is ignored on purpose.
            let _ = unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
        }
    }
}

/// Writes one log line: to syslog with `--syslog` (without its first `prefix`
/// bytes, the level the severity replaces), else to stderr. Never blocks,
/// never panics; a line that cannot be written now is dropped and counted.
pub fn write_line(severity: Severity, line: &[u8], prefix: usize) {
    let mut syslog = SYSLOG.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = syslog.as_mut().filter(|s| !s.is_gone()) {
        match s.send(severity, line.get(prefix..).unwrap_or(line)) {
            Sent::Taken | Sent::Dropped => return,
            Sent::Gone(e) => {
                let mut buf = [0u8; 320];
                let n = syslog_gone_notice(&mut buf, e, s.dropped_unreported());
                to_stderr(&buf[..n]);
            }
        }
    }
    to_stderr(line);
}

/// A fatal error (a plain line, no level): on stderr always, where the person
/// or init system that started warden looks, and to syslog too with `--syslog`.
pub fn write_fatal(line: &[u8]) {
    let mut syslog = SYSLOG.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = syslog.as_mut().filter(|s| !s.is_gone()) {
        let _ = s.send(Severity::Err, line);
    }
    to_stderr(line);
}

/// `WARN  [warden] syslog: ...` for the line where the syslog socket was found gone.
fn syslog_gone_notice(buf: &mut [u8], e: Errno, dropped: u64) -> usize {
    use std::io::Write as _;
    let mut c = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(
        c,
        "WARN  [warden] syslog: the socket refused a line ({}: syslogd stopped or restarted?); \
         warden cannot reconnect from its jail: logging to stderr from now on",
        e.desc()
    );
    if dropped > 0 {
        let _ = write!(c, " ({dropped} line(s) dropped before)");
    }
    let _ = writeln!(c);
    usize::try_from(c.position()).unwrap_or(0)
}

/// The descriptor the sink writes stderr lines to with write(2) (a duplicate
/// or reopening of stderr), for the seccomp rule that lets `write` reach only
/// the log (the syslog socket is written with send, not write).
pub fn raw_fd() -> Option<i32> {
    let guard = SINK.lock().unwrap_or_else(|e| e.into_inner());
    guard.as_ref().map(|s| s.fd.as_raw_fd())
}

/// Lines dropped since start, on stderr and syslog (for a status line).
pub fn dropped_total() -> u64 {
    let syslog = SYSLOG.lock().unwrap_or_else(|e| e.into_inner());
    let from_syslog = syslog.as_ref().map_or(0, Syslog::dropped_total);
    let guard = SINK.lock().unwrap_or_else(|e| e.into_inner());
    guard
        .as_ref()
        .map_or(0, Sink::dropped_total)
        .saturating_add(from_syslog)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn pipe_pair() -> (OwnedFd, OwnedFd) {
        nix::unistd::pipe().unwrap()
    }

    fn read_all(fd: &OwnedFd) -> Vec<u8> {
        nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK)).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = nix::unistd::read(fd, &mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    #[test]
    fn full_pipe_drops_and_counts_then_says_so() {
        let (r, w) = pipe_pair();
        let mut sink = Sink::new(w.as_fd()).unwrap();
        assert_eq!(sink.mode, Mode::Nonblocking);
        // The original descriptor keeps its blocking mode: only the sink's own is nonblocking.
        let fl = nix::fcntl::fcntl(&w, nix::fcntl::FcntlArg::F_GETFL).unwrap();
        assert_eq!(fl & libc::O_NONBLOCK, 0);
        let line = [b'x'; 99].iter().copied().chain([b'\n']).collect::<Vec<u8>>();
        // 64 KiB pipe: 2000 lines of 100 bytes cannot all fit; none of this blocks.
        for _ in 0..2000 {
            sink.write_line(&line);
        }
        let dropped = sink.dropped_total();
        assert!(dropped > 0);
        let mut got = read_all(&r);
        sink.write_line(b"after\n");
        got.extend(read_all(&r));
        let got = String::from_utf8(got).unwrap();
        // Whole lines only; the drops are all accounted for by the notices.
        let mut counted = 0;
        let mut kept = 0;
        for l in got.lines() {
            if let Some(rest) = l.strip_prefix("WARN  [warden] log: ") {
                counted += rest.split(' ').next().unwrap().parse::<u64>().unwrap();
            } else if l != "after" {
                assert_eq!(l.len(), 99, "torn line");
                kept += 1;
            }
        }
        assert_eq!(counted, dropped);
        assert_eq!(kept + dropped, 2000);
        assert!(
            got.ends_with("line(s) dropped: the log reader was not keeping up\nafter\n"),
            "{got:.200}"
        );
    }

    #[test]
    fn socket_lines_are_never_torn() {
        use std::os::unix::net::UnixStream;
        let (a, b) = UnixStream::pair().unwrap();
        let mut sink = Sink::new(a.as_fd()).unwrap();
        assert_eq!(sink.mode, Mode::Socket);
        let line: Vec<u8> = (0..999).map(|i| b'a' + (i % 26) as u8).chain([b'\n']).collect();
        for _ in 0..1000 {
            sink.write_line(&line);
        }
        assert!(sink.dropped_total() > 0);
        b.set_nonblocking(true).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            match std::io::Read::read(&mut &b, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        // Drain the rest the sink kept pending, then the notice.
        sink.write_line(b"end\n");
        loop {
            match std::io::Read::read(&mut &b, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8(got).unwrap();
        for l in text.lines() {
            assert!(
                l.len() == 999 || l.starts_with("WARN  [warden] log: ") || l == "end",
                "torn: {l:.40}"
            );
        }
        assert!(text.ends_with("end\n"));
    }
}
