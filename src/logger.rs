//! Diagnostics to stderr through the `log` facade: one line per record,
//! formatted into a fixed buffer and written with one write(2).
//!
//! It replaces simple_logger, which prints with `eprintln!`: that panics when
//! the write fails, and after confinement it can fail (stderr redirected to a
//! file meets RLIMIT_FSIZE 0 with EFBIG). A confined server must never die of
//! a log line, and a log line should not allocate. Failed writes are dropped.

use log::{LevelFilter, Log, Metadata, Record};
use std::fmt::Write as _;
use std::io::Write as _;

/// Longest log line; longer messages are cut (and still end in a newline).
const LINE: usize = 1024;

struct StderrLogger;

static LOGGER: StderrLogger = StderrLogger;

/// A `fmt::Write` over a fixed buffer that drops what does not fit.
struct Line {
    buf: [u8; LINE],
    len: usize,
}

impl std::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = LINE - 1 - self.len; // keep one byte for the newline
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut line = Line { buf: [0; LINE], len: 0 };
        let _ = write!(line, "{:<5} [{}] {}", record.level(), record.target(), record.args());
        line.buf[line.len] = b'\n';
        let _ = std::io::stderr().write_all(&line.buf[..=line.len]);
    }

    fn flush(&self) {}
}

/// Installs the logger at `level`. Fails only if a logger is already installed.
pub fn init(level: LevelFilter) -> Result<(), log::SetLoggerError> {
    log::set_logger(&LOGGER)?;
    log::set_max_level(level);
    Ok(())
}

/// Prints a line to stdout without panicking when the write fails (`--check`);
/// returns whether it was written.
pub fn print_line(text: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .is_ok()
}
