//! Diagnostics to stderr (or syslog) through the `log` facade: one line per record,
//! formatted into a fixed buffer and handed whole to the log sink (`sink.rs`),
//! which never blocks and never panics.
//!
//! It replaces simple_logger, which prints with `eprintln!`: that panics when
//! the write fails, and after confinement it can fail (stderr redirected to a
//! file meets RLIMIT_FSIZE with EFBIG). A confined server must never die of
//! a log line, and a log line should not allocate.
//!
//! Every control character in a message (C0, DEL, C1: a newline, a carriage
//! return, a terminal escape) is written as `\xHH`, whatever put it there, so
//! no value in a message can start a second, genuine-looking line. Bytes from
//! outside (file names) are passed as `sink::Escaped`, which also shows
//! non-UTF-8 bytes and backslashes as `\xHH`.

use crate::sink;
use crate::syslog::Severity;
use log::{LevelFilter, Log, Metadata, Record};
use std::fmt::Write as _;
use std::io::Write as _;

/// Longest log line; longer messages are cut (and still end in a newline).
const LINE: usize = sink::MAX_LINE;

struct StderrLogger;

static LOGGER: StderrLogger = StderrLogger;

/// A `fmt::Write` over a fixed buffer that escapes control characters and
/// drops what does not fit.
struct Line {
    buf: [u8; LINE],
    len: usize,
    /// A piece did not fit: the line is cut there (a later, shorter piece must not follow).
    cut: bool,
}

impl Line {
    fn new() -> Line {
        Line {
            buf: [0; LINE],
            len: 0,
            cut: false,
        }
    }

    /// Appends a whole character or escape, keeping one byte for the newline.
    fn put(&mut self, bytes: &[u8]) {
        let room = LINE - 1 - self.len;
        if self.cut || bytes.len() > room {
            self.cut = true;
            return;
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

impl std::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for c in s.chars() {
            if c.is_control() {
                let mut utf8 = [0u8; 4];
                for &b in c.encode_utf8(&mut utf8).as_bytes() {
                    let (esc, n) = sink::escape_byte(b);
                    self.put(&esc[..n]);
                }
            } else {
                let mut utf8 = [0u8; 4];
                self.put(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
        Ok(())
    }
}

/// Formats a record's line (newline included) into `line`; returns the
/// length of its `LEVEL [target] ` prefix, which syslog leaves out.
fn format_record(line: &mut Line, level: log::Level, target: &str, args: &std::fmt::Arguments<'_>) -> usize {
    let _ = write!(line, "{level:<5} [{target}] ");
    let prefix = line.len;
    let _ = line.write_fmt(*args);
    line.buf[line.len] = b'\n';
    line.len += 1;
    prefix
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut line = Line::new();
        let prefix = format_record(&mut line, record.level(), record.target(), record.args());
        sink::write_line(Severity::of(record.level()), &line.buf[..line.len], prefix);
    }

    fn flush(&self) {}
}

/// A confinement shortfall (`--no-chroot`, a web-root audit finding, Landlock or
/// seccomp missing): a WARN line written whatever `--log-level` says, since
/// hiding it would hide that the server is less confined than it looks.
pub fn shortfall(args: std::fmt::Arguments<'_>) {
    let mut line = Line::new();
    let prefix = format_record(&mut line, log::Level::Warn, "warden", &args);
    sink::write_line(Severity::Warning, &line.buf[..line.len], prefix);
}

/// Installs the logger at `level`. Fails only if a logger is already installed.
pub fn init(level: LevelFilter) -> Result<(), log::SetLoggerError> {
    log::set_logger(&LOGGER)?;
    log::set_max_level(level);
    Ok(())
}

/// Writes a plain line (no level) for a fatal error: on stderr always, and to
/// syslog too with `--syslog`. Control characters are escaped as in log lines.
pub fn say(args: std::fmt::Arguments<'_>) {
    let line = plain(args);
    sink::write_fatal(&line.buf[..line.len]);
}

/// Writes a plain line (no level) announcing what warden does (`listening on
/// ...`): on stderr, or to syslog at notice with `--syslog`.
pub fn announce(args: std::fmt::Arguments<'_>) {
    let line = plain(args);
    sink::write_line(Severity::Notice, &line.buf[..line.len], 0);
}

/// A plain line (no level, newline included), escaped as log lines are.
fn plain(args: std::fmt::Arguments<'_>) -> Line {
    let mut line = Line::new();
    let _ = line.write_fmt(args);
    line.buf[line.len] = b'\n';
    line.len += 1;
    line
}

/// Prints a line to stdout (`--check`, `--help`) without panicking when the
/// write fails; returns whether it was written. Blocking on purpose: the
/// report is the whole job of `--check`, and the loop is not running.
pub fn print_line(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(args: std::fmt::Arguments<'_>) -> String {
        let mut line = Line::new();
        format_record(&mut line, log::Level::Warn, "warden", &args);
        String::from_utf8(line.buf[..line.len].to_vec()).unwrap()
    }

    #[test]
    fn control_characters_cannot_start_a_line() {
        let name = "x\nINFO  [warden] confinement: no_new_privs: 1\r\x1b[2J\u{9b}";
        let l = render(format_args!("web root: {name} is executable"));
        assert_eq!(l.matches('\n').count(), 1);
        assert!(l.ends_with('\n'));
        assert_eq!(
            l,
            "WARN  [warden] web root: x\\x0aINFO  [warden] confinement: no_new_privs: 1\\x0d\\x1b[2J\\xc2\\x9b is executable\n"
        );
    }

    #[test]
    fn outside_bytes_show_as_the_access_log_does() {
        let raw: &[u8] = b"a\xff\\b\"\n";
        let l = render(format_args!("{}", sink::Escaped(raw)));
        assert_eq!(l, "WARN  [warden] a\\xff\\x5cb\\x22\\x0a\n");
    }

    #[test]
    fn long_lines_are_cut_and_still_end_in_a_newline() {
        let long = "y".repeat(5000);
        let l = render(format_args!("{long}"));
        assert_eq!(l.len(), LINE);
        assert!(l.ends_with("y\n"));
        let nl = "\n".repeat(2000);
        let l = render(format_args!("{nl}"));
        assert_eq!(l.matches('\n').count(), 1);
        assert!(l.len() <= LINE);
    }

    #[test]
    fn non_ascii_text_passes() {
        let l = render(format_args!("caf\u{e9} \u{2264} 400 KiB"));
        assert_eq!(l, "WARN  [warden] caf\u{e9} \u{2264} 400 KiB\n");
    }
}
