//! Checks chunked framing (RFC 9112 §7.1) on bytes as they pass, to know
//! where a chunked message ends and whether it is well formed. Sans-IO and
//! allocation-free: it keeps a few counters, never the bytes.
//!
//! Strict where smuggling lives: CRLF only (a bare LF or CR ends the
//! message as malformed), at most 15 significant hex digits of chunk size
//! (no overflow), chunk extensions and trailer lines bounded
//! (`MAX_CHUNK_LINE`, RFC 9112 §7.1.1 asks for a limit), no control bytes
//! in them.

/// Longest chunk-size line (size, extensions) and longest trailer line.
pub const MAX_CHUNK_LINE: usize = 256;

/// Most bytes of trailer section accepted.
pub const MAX_TRAILERS: usize = 4096;

/// The framing is broken: the message cannot be relayed as complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// In the chunk-size digits (`digits` so far, leading zeros not counted).
    Size,
    /// After the size, in extensions, up to CR.
    Ext,
    /// Saw the CR ending a size line; LF next.
    SizeLf,
    /// In chunk data, `left` bytes to go.
    Data,
    /// After chunk data: CR, then LF.
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final CRLF).
    TrailerStart,
    /// In a trailer line.
    Trailer,
    /// Saw the CR ending a trailer line.
    TrailerLf,
    /// Saw the CR of the final empty line.
    FinalLf,
    Done,
}

/// Where a chunked message is, between the bytes seen so far.
#[derive(Clone, Copy, Debug)]
pub struct ChunkScanner {
    at: At,
    size: u64,
    digits: u8,
    any_digit: bool,
    line: usize,
    left: u64,
    trailers: usize,
}

impl Default for ChunkScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkScanner {
    pub const fn new() -> ChunkScanner {
        ChunkScanner {
            at: At::Size,
            size: 0,
            digits: 0,
            any_digit: false,
            line: 0,
            left: 0,
            trailers: 0,
        }
    }

    /// The whole message (last chunk, trailers, final CRLF) has been seen.
    pub fn is_done(&self) -> bool {
        self.at == At::Done
    }

    /// Looks at the next bytes of the message; returns how many belong to it
    /// (all of them, unless it ends inside `bytes`).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<usize, Malformed> {
        let mut i = 0;
        while i < bytes.len() {
            if self.at == At::Done {
                return Ok(i);
            }
            if self.at == At::Data {
                let take = usize::try_from(self.left).unwrap_or(usize::MAX).min(bytes.len() - i);
                i += take;
                self.left -= take as u64;
                if self.left == 0 {
                    self.at = At::DataCr;
                }
                continue;
            }
            self.byte(bytes[i])?;
            i += 1;
        }
        Ok(i)
    }

    fn byte(&mut self, b: u8) -> Result<(), Malformed> {
        let ctl = |b: u8| (b < 0x20 && b != b'\t') || b == 0x7f;
        match self.at {
            At::Size => match b {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                    let d = match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        _ => b - b'A' + 10,
                    };
                    self.any_digit = true;
                    if self.size != 0 || d != 0 {
                        self.digits += 1;
                        if self.digits > 15 {
                            return Err(Malformed);
                        }
                    }
                    self.size = self.size << 4 | u64::from(d);
                    self.count_line()?;
                }
                b';' | b' ' | b'\t' if self.any_digit => {
                    self.at = At::Ext;
                    self.count_line()?;
                }
                b'\r' if self.any_digit => self.at = At::SizeLf,
                _ => return Err(Malformed),
            },
            At::Ext => match b {
                b'\r' => self.at = At::SizeLf,
                b if ctl(b) => return Err(Malformed),
                _ => self.count_line()?,
            },
            At::SizeLf => {
                if b != b'\n' {
                    return Err(Malformed);
                }
                self.line = 0;
                if self.size == 0 {
                    self.at = At::TrailerStart;
                } else {
                    self.left = self.size;
                    self.at = At::Data;
                }
                self.size = 0;
                self.digits = 0;
                self.any_digit = false;
            }
            At::DataCr => self.expect(b, b'\r', At::DataLf)?,
            At::DataLf => self.expect(b, b'\n', At::Size)?,
            At::TrailerStart => match b {
                b'\r' => self.at = At::FinalLf,
                b if ctl(b) => return Err(Malformed),
                _ => {
                    self.at = At::Trailer;
                    self.count_trailer()?;
                }
            },
            At::Trailer => match b {
                b'\r' => self.at = At::TrailerLf,
                b if ctl(b) => return Err(Malformed),
                _ => self.count_trailer()?,
            },
            At::TrailerLf => {
                self.expect(b, b'\n', At::TrailerStart)?;
                self.line = 0;
            }
            At::FinalLf => self.expect(b, b'\n', At::Done)?,
            At::Data | At::Done => {}
        }
        Ok(())
    }

    fn expect(&mut self, b: u8, want: u8, next: At) -> Result<(), Malformed> {
        if b != want {
            return Err(Malformed);
        }
        self.at = next;
        Ok(())
    }

    fn count_line(&mut self) -> Result<(), Malformed> {
        self.line += 1;
        if self.line > MAX_CHUNK_LINE {
            return Err(Malformed);
        }
        Ok(())
    }

    fn count_trailer(&mut self) -> Result<(), Malformed> {
        self.count_line()?;
        self.trailers += 1;
        if self.trailers > MAX_TRAILERS {
            return Err(Malformed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `msg` in pieces of `step` bytes; the bytes that belong, or the error.
    fn scan(msg: &[u8], step: usize) -> Result<usize, Malformed> {
        let mut s = ChunkScanner::new();
        let mut used = 0;
        for piece in msg.chunks(step) {
            let n = s.feed(piece)?;
            used += n;
            if s.is_done() {
                return Ok(used);
            }
        }
        Ok(used)
    }

    fn done(msg: &[u8]) -> Option<usize> {
        let mut s = ChunkScanner::new();
        let n = s.feed(msg).ok()?;
        s.is_done().then_some(n)
    }

    #[test]
    fn rfc9112_7_1_well_formed_messages_end_where_they_end() {
        for msg in [
            &b"0\r\n\r\n"[..],
            b"5\r\nhello\r\n0\r\n\r\n",
            b"5;ext=1\r\nhello\r\n000\r\n\r\n",
            b"A\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
            b"5 ; a=\"b\"\r\nhello\r\n0\r\n\r\n",
        ] {
            let mut with_more = msg.to_vec();
            with_more.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
            for step in [1, 2, 3, 7, 1000] {
                assert_eq!(scan(&with_more, step), Ok(msg.len()), "{msg:?} in {step}s");
            }
        }
    }

    #[test]
    fn rfc9112_7_1_incomplete_is_not_done() {
        for cut in [
            &b"5\r\nhel"[..],
            b"5\r\nhello\r\n",
            b"0\r\n",
            b"0\r\n\r",
            b"0\r\nX: 1\r\n",
        ] {
            assert_eq!(done(cut), None, "{cut:?}");
        }
    }

    #[test]
    fn rfc9112_7_1_1_smuggling_shapes_are_malformed() {
        let ext = format!("1;{}\r\na\r\n0\r\n\r\n", "x".repeat(MAX_CHUNK_LINE));
        let trailer = format!("0\r\nX: {}\r\n\r\n", "y".repeat(MAX_CHUNK_LINE));
        for bad in [
            &b"5\nhello\r\n0\r\n\r\n"[..],
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"0\n\n",
            b"0\r\n\n",
            b"\r\n",
            b"x\r\n",
            b"-1\r\n",
            b"+5\r\nhello\r\n0\r\n\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"1000000000000000\r\n",
            b"ffffffffffffffffff\r\n",
            b"5;a\x00b\r\nhello\r\n0\r\n\r\n",
            b"5\rhello",
            b"0\r\nX: a\rb\r\n\r\n",
            b"0\r\nX\x01: a\r\n\r\n",
            ext.as_bytes(),
            trailer.as_bytes(),
        ] {
            assert_eq!(scan(bad, 1), Err(Malformed), "{:?}", String::from_utf8_lossy(bad));
            assert_eq!(scan(bad, 4096), Err(Malformed), "{:?}", String::from_utf8_lossy(bad));
        }
        // Leading zeros are not significant digits: still a small size.
        assert_eq!(done(b"0000000000000000000005\r\nhello\r\n0\r\n\r\n"), Some(36));
        // The largest size accepted: 15 hex digits (no overflow possible).
        let mut s = ChunkScanner::new();
        assert_eq!(s.feed(b"fffffffffffffff\r\n"), Ok(17));
        assert!(!s.is_done());
    }
}
