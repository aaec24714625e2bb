//! `--syslog`: log lines as datagrams to the local syslog socket (`/dev/log`).
//!
//! Why: on a BusyBox system started by start-stop-daemon stderr goes nowhere,
//! and under procd everything on stderr lands in logd as daemon.err, so any
//! client could flood an error filter with access-log lines. Through syslog
//! each line carries its own severity: the access log at info, diagnostics at
//! their level.
//!
//! The socket is opened and connected before the jail; after the chroot the
//! path is gone, so a syslogd that restarts (its new socket is a new peer)
//! cannot be reconnected. warden then says so once on stderr and logs there
//! from that line on. A syslogd that is slow to read makes the send fail with
//! EAGAIN (never block): the line is dropped and counted, and the next line
//! that gets through is preceded by a notice, as for stderr.
//!
//! Framing (RFC 3164 §4.1, as the C library's syslog(3) sends to /dev/log):
//! `<PRI>Mmm dd hh:mm:ss warden[PID]: MESSAGE`, PRI = facility * 8 + severity.
//! The TIMESTAMP is not optional in practice: OpenWrt's logd drops the 16
//! bytes after PRI whenever the 16th is a space, timestamp or not, and busybox
//! syslogd shows the sender's time. It is local time with the UTC offset read
//! at start-up (in the jail the time-zone files are out of reach), so a
//! daylight-saving change shows in it only after a restart. MESSAGE is the log
//! line without its level (the severity says it) and without the newline;
//! its bytes were escaped by the logger or the access log already.

use crate::date;
use nix::errno::Errno;
use nix::libc;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::path::Path;

/// Where `--syslog` sends lines unless `--syslog-socket` says otherwise.
pub const DEFAULT_SOCKET: &str = "/dev/log";

/// The largest datagram: the header (`<191>Nov 26 08:49:37 warden[4294967295]: `) and a whole log line.
const DATAGRAM: usize = 48 + crate::sink::MAX_LINE;

/// RFC 3164 §4.1.1 severities warden uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Severity {
    /// The severity of a diagnostic record.
    pub fn of(level: log::Level) -> Severity {
        match level {
            log::Level::Error => Severity::Err,
            log::Level::Warn => Severity::Warning,
            log::Level::Info => Severity::Info,
            log::Level::Debug | log::Level::Trace => Severity::Debug,
        }
    }
}

/// Facilities `--syslog-facility` accepts, with their RFC 3164 codes.
pub const FACILITIES: [(&str, u8); 12] = [
    ("user", 1),
    ("daemon", 3),
    ("auth", 4),
    ("authpriv", 10),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// The code of a facility name, as `--syslog-facility` takes it.
pub fn facility(name: &str) -> Option<u8> {
    FACILITIES.iter().find(|(n, _)| *n == name).map(|&(_, code)| code)
}

/// What a send came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Taken,
    /// The reader is not keeping up (or the kernel lacks buffers): dropped, counted.
    Dropped,
    /// The socket has no peer any more (syslogd stopped or restarted): nothing
    /// more will get through it.
    Gone(Errno),
}

/// A connected datagram socket to syslogd and the framing of its lines.
pub struct Syslog {
    fd: OwnedFd,
    facility: u8,
    pid: u32,
    /// Seconds east of UTC at start-up, for the local-time TIMESTAMP.
    utc_offset: i64,
    buf: [u8; DATAGRAM],
    /// Lines dropped since the last one sent.
    dropped: u64,
    /// Lines dropped since start.
    dropped_total: u64,
    gone: bool,
}

impl Syslog {
    /// Connects to the syslog socket at `path` (before the jail).
    pub fn connect(path: &Path, facility: u8) -> std::io::Result<Syslog> {
        let sock = UnixDatagram::unbound()?;
        sock.connect(path)?;
        Ok(Syslog {
            fd: OwnedFd::from(sock),
            facility,
            pid: std::process::id(),
            utc_offset: utc_offset_now(),
            buf: [0; DATAGRAM],
            dropped: 0,
            dropped_total: 0,
            gone: false,
        })
    }

    /// The datagram for one line: `<PRI>TIMESTAMP warden[PID]: ` and `message`
    /// without a trailing newline.
    fn frame(&mut self, severity: Severity, message: &[u8]) -> usize {
        use std::io::Write as _;
        let pri = u16::from(self.facility) * 8 + severity as u16;
        let stamp = date::format_rfc3164(date::unix_now().saturating_add(self.utc_offset));
        let mut c = std::io::Cursor::new(&mut self.buf[..]);
        let _ = write!(c, "<{pri}>");
        let _ = c.write_all(&stamp);
        let _ = write!(c, " warden[{}]: ", self.pid);
        let head = usize::try_from(c.position()).unwrap_or(0);
        let message = message.strip_suffix(b"\n").unwrap_or(message);
        let n = message.len().min(self.buf.len() - head);
        self.buf[head..head + n].copy_from_slice(&message[..n]);
        head + n
    }

    fn send_frame(&self, len: usize) -> Result<(), Errno> {
        loop {
            // SAFETY: `buf[..len]` is live; pointer and length passed together.
            let r = unsafe {
                libc::send(
                    self.fd.as_raw_fd(),
                    self.buf.as_ptr().cast(),
                    len,
                    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                )
            };
            if r >= 0 {
                return Ok(());
            }
            match Errno::last() {
                Errno::EINTR => continue,
                e => return Err(e),
            }
        }
    }

    /// Sends one line (its level already stripped); never waits.
    pub fn send(&mut self, severity: Severity, message: &[u8]) -> Sent {
        if self.gone {
            return Sent::Gone(Errno::ENOTCONN);
        }
        if self.dropped > 0 {
            let mut notice = [0u8; 96];
            let n = dropped_notice(&mut notice, self.dropped);
            let len = self.frame(Severity::Warning, &notice[..n]);
            match self.send_frame(len) {
                Ok(()) => self.dropped = 0,
                Err(e) => return self.failed(e),
            }
        }
        let len = self.frame(severity, message);
        match self.send_frame(len) {
            Ok(()) => Sent::Taken,
            Err(e) => self.failed(e),
        }
    }

    fn failed(&mut self, e: Errno) -> Sent {
        match e {
            Errno::ECONNREFUSED | Errno::ENOTCONN | Errno::ECONNRESET | Errno::EPIPE | Errno::EDESTADDRREQ => {
                self.gone = true;
                Sent::Gone(e)
            }
            _ => {
                self.dropped = self.dropped.saturating_add(1);
                self.dropped_total = self.dropped_total.saturating_add(1);
                Sent::Dropped
            }
        }
    }

    /// Whether the socket lost its peer (lines go to stderr from then on).
    pub fn is_gone(&self) -> bool {
        self.gone
    }

    /// Lines dropped since start because syslogd was not keeping up.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }

    /// Lines dropped and not yet reported in a notice (said on stderr when the socket goes).
    pub fn dropped_unreported(&self) -> u64 {
        self.dropped
    }

    /// The socket's descriptor (for the seccomp plan's log descriptors).
    pub fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}

/// The local time zone's offset from UTC now, in seconds (0 if the C library
/// cannot tell). Read before the jail, where TZ and /etc/localtime are visible.
// time_t and c_long are i32 on some 32-bit targets: the conversions are not useless there.
#[allow(clippy::useless_conversion)]
fn utc_offset_now() -> i64 {
    let now: libc::time_t = date::unix_now().try_into().unwrap_or(0);
    // SAFETY: an all-zero `tm` is a valid value; localtime_r writes only into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals; localtime_r is the thread-safe form.
    let ok = unsafe { !libc::localtime_r(&now, &mut tm).is_null() };
    if ok { i64::from(tm.tm_gmtoff) } else { 0 }
}

/// `log: N line(s) dropped ...` into `buf`; returns its length.
fn dropped_notice(buf: &mut [u8], n: u64) -> usize {
    use std::io::Write as _;
    let mut c = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(c, "log: {n} line(s) dropped: syslogd was not keeping up");
    usize::try_from(c.position()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Syslog, UnixDatagram, tempdir::Dir) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("log");
        let reader = UnixDatagram::bind(&path).unwrap();
        let s = Syslog::connect(&path, facility("daemon").unwrap()).unwrap();
        (s, reader, dir)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let p = std::env::temp_dir().join(format!(
                    "warden-syslog-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::remove_dir_all(&p);
                std::fs::create_dir(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn recv(r: &UnixDatagram) -> Option<String> {
        r.set_nonblocking(true).unwrap();
        let mut b = [0u8; 4096];
        r.recv(&mut b).ok().map(|n| String::from_utf8(b[..n].to_vec()).unwrap())
    }

    #[test]
    fn rfc3164_framing_with_priority_and_tag() {
        let (mut s, r, _d) = pair();
        assert_eq!(s.send(Severity::Info, b"GET / 200\n"), Sent::Taken);
        let pid = std::process::id();
        // `<30>` then `Mmm dd hh:mm:ss ` (16 bytes: OpenWrt's logd cuts exactly those).
        let got = recv(&r).unwrap();
        let (pri, rest) = got.split_at(4);
        assert_eq!(pri, "<30>");
        let stamp = rest.as_bytes();
        assert!(
            stamp[..3].iter().all(u8::is_ascii_alphabetic) && stamp[3] == b' ',
            "{got}"
        );
        assert!(
            stamp[6] == b' ' && stamp[9] == b':' && stamp[12] == b':' && stamp[15] == b' ',
            "{got}"
        );
        assert_eq!(&rest[16..], format!("warden[{pid}]: GET / 200"));
        s.facility = facility("local7").unwrap();
        assert_eq!(s.send(Severity::Err, b"bad"), Sent::Taken);
        assert!(recv(&r).unwrap().starts_with("<187>"));
    }

    #[test]
    fn a_full_queue_drops_counts_and_says_so() {
        let (mut s, r, _d) = pair();
        let mut dropped = 0;
        for _ in 0..5000 {
            if s.send(Severity::Info, b"line") == Sent::Dropped {
                dropped += 1;
            }
        }
        assert!(dropped > 0);
        assert_eq!(s.dropped_total(), dropped);
        let mut kept = 0;
        while let Some(l) = recv(&r) {
            assert!(l.ends_with(": line"), "{l}");
            kept += 1;
        }
        assert_eq!(kept + dropped, 5000);
        assert_eq!(s.send(Severity::Info, b"after"), Sent::Taken);
        let notice = recv(&r).unwrap();
        assert!(
            notice.starts_with("<28>")
                && notice.ends_with(&format!("log: {dropped} line(s) dropped: syslogd was not keeping up")),
            "{notice}"
        );
        assert!(recv(&r).unwrap().ends_with(": after"));
    }

    #[test]
    fn a_closed_reader_is_gone() {
        let (mut s, r, _d) = pair();
        drop(r);
        assert!(matches!(s.send(Severity::Info, b"x"), Sent::Gone(_)));
        assert!(matches!(s.send(Severity::Info, b"y"), Sent::Gone(_)));
    }

    #[test]
    fn facility_names() {
        assert_eq!(facility("daemon"), Some(3));
        assert_eq!(facility("local0"), Some(16));
        assert_eq!(facility("kern"), None);
        assert_eq!(facility("Daemon"), None);
    }
}
