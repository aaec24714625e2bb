//! The access log: one Common Log Format line per request, formatted into a
//! fixed buffer and handed whole to the log sink (stderr, never blocking: see
//! `sink.rs`), so lines never interleave and no request allocates. It bypasses
//! `log` on purpose: `log` formats into a heap string per line.

use crate::date::CLF_LEN;
use crate::limits::{ACCESS_LOG_LINE, MAX_LOGGED_LINE};
use crate::sink;
use crate::syslog::Severity;
use std::fmt::Write as _;
use std::net::IpAddr;

/// Whether access-log lines are written (to the log sink: stderr): `--quiet` turns it off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessLog {
    On,
    Off,
}

/// A `fmt::Write` over a fixed buffer that drops what does not fit.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }
}

impl std::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.put(s.as_bytes());
        Ok(())
    }
}

/// Formats `host - - [date] "request line" status bytes\n` into `buf`.
/// Bytes of the request line outside printable ASCII, `"` and `\` are written
/// as `\xHH`, so a hostile request cannot forge or break log lines.
pub fn format_line(buf: &mut [u8], peer: IpAddr, date: &[u8; CLF_LEN], line: &[u8], status: u16, bytes: u64) -> usize {
    let mut c = Cursor { buf, len: 0 };
    let _ = write!(c, "{peer} - - [");
    c.put(date);
    c.put(b"] \"");
    for &b in line.iter().take(MAX_LOGGED_LINE) {
        let (esc, n) = sink::escape_byte(b);
        c.put(&esc[..n]);
    }
    if line.len() > MAX_LOGGED_LINE {
        c.put(b"...");
    }
    let _ = if bytes == 0 {
        write!(c, "\" {status} -")
    } else {
        write!(c, "\" {status} {bytes}")
    };
    // Always end with a newline, even when the line was cut.
    if c.len == c.buf.len() {
        c.len -= 1;
    }
    c.put(b"\n");
    c.len
}

impl AccessLog {
    pub fn enabled(&self) -> bool {
        *self == AccessLog::On
    }

    /// Writes one line; a line the sink cannot take now is dropped and
    /// counted there (logging must not stop serving).
    pub fn write(&self, peer: IpAddr, date: &[u8; CLF_LEN], line: &[u8], status: u16, bytes: u64) {
        if self.enabled() {
            let mut buf = [0u8; ACCESS_LOG_LINE];
            let n = format_line(&mut buf, peer, date, line, status, bytes);
            sink::write_line(Severity::Info, &buf[..n], 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const DATE: &[u8; CLF_LEN] = b"06/Nov/1994:08:49:37 +0000";

    fn line(peer: IpAddr, req: &[u8], status: u16, bytes: u64) -> String {
        let mut buf = [0u8; ACCESS_LOG_LINE];
        let n = format_line(&mut buf, peer, DATE, req, status, bytes);
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn common_log_format() {
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert_eq!(
            line(v4, b"GET /index.html HTTP/1.1", 200, 1234),
            "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /index.html HTTP/1.1\" 200 1234\n"
        );
        assert_eq!(
            line(IpAddr::V6(Ipv6Addr::LOCALHOST), b"HEAD / HTTP/1.0", 304, 0),
            "::1 - - [06/Nov/1994:08:49:37 +0000] \"HEAD / HTTP/1.0\" 304 -\n"
        );
    }

    #[test]
    fn hostile_request_lines_are_escaped_and_cut() {
        let v4 = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let l = line(v4, b"GET /\"\n\\\x1b HTTP/1.1", 400, 0);
        assert!(l.contains("GET /\\x22\\x0a\\x5c\\x1b HTTP/1.1"), "{l}");
        assert_eq!(l.matches('\n').count(), 1);
        let long = vec![b'a'; 5000];
        let l = line(v4, &long, 414, 0);
        assert!(l.ends_with("...\" 414 -\n"), "{l}");
        let evil = vec![0xffu8; 5000];
        let l = line(v4, &evil, 400, 0);
        assert!(l.ends_with('\n') && l.len() <= ACCESS_LOG_LINE);
    }
}
