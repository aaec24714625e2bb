//! The request bytes one connection holds: in its own small buffer, or in a
//! large one borrowed from the pool while a head outgrows the small one
//! (nginx's design: most heads are small, a few carry big cookies).
//!
//! The large buffer goes back as soon as the head it held is answered (a
//! slow download must not keep it); bytes pipelined behind that head move
//! to the small buffer.

use crate::bufs::LargePool;
use crate::error::HttpError;
use crate::io::Io;
use crate::request;
use crate::transport::Transport;

/// What a connection has received and not yet answered.
pub struct InputBuf {
    /// Bytes held, from the start of the buffer.
    len: usize,
    /// Bytes at the start already searched for the head's end.
    scanned: usize,
    /// The large buffer borrowed while a head outgrows the small one.
    large: Option<u8>,
}

impl Default for InputBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl InputBuf {
    pub const fn new() -> InputBuf {
        InputBuf {
            len: 0,
            scanned: 0,
            large: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes held (`small` is the connection's own buffer).
    pub fn held<'x>(&self, small: &'x [u8], pool: &'x LargePool) -> &'x [u8] {
        &self.buffer(small, pool)[..self.len]
    }

    fn buffer<'x>(&self, small: &'x [u8], pool: &'x LargePool) -> &'x [u8] {
        match self.large {
            Some(i) => pool.get(i),
            None => small,
        }
    }

    /// Whether the bytes held contain a whole head; bytes searched once are
    /// not searched again.
    pub fn has_head(&mut self, small: &[u8], pool: &LargePool) -> bool {
        let from = self.scanned;
        self.scanned = self.len;
        self.len > 0 && request::head_end(self.held(small, pool), from)
    }

    /// Whether the bytes after a head of `head_len` bytes (a pipelined
    /// request) fit the small buffer, where they must move once the head is
    /// answered. If not, the response ends the connection.
    pub fn rest_fits(&self, head_len: usize, small: &[u8]) -> bool {
        self.large.is_none() || self.len - head_len <= small.len()
    }

    /// The buffer is full and holds no whole head: borrow a large buffer and
    /// move the bytes there. A head that fills the large one too is refused:
    /// 414 if even its request line did not end, else 431; no large buffer
    /// free is a 503.
    pub fn grow(&mut self, small: &[u8], pool: &mut LargePool) -> Result<(), HttpError> {
        if self.large.is_some() {
            let held = self.held(small, pool);
            return Err(if held.contains(&b'\n') {
                HttpError::HeaderFieldsTooLarge
            } else {
                HttpError::UriTooLong
            });
        }
        let i = pool.borrow().ok_or(HttpError::ServiceUnavailable)?;
        pool.get_mut(i)[..self.len].copy_from_slice(&small[..self.len]);
        self.large = Some(i);
        Ok(())
    }

    /// No room left for another byte.
    pub fn is_full(&self, small: &[u8], pool: &LargePool) -> bool {
        self.len == self.buffer(small, pool).len()
    }

    /// Receives what fits after the bytes held.
    pub fn recv(&mut self, from: &mut Transport, small: &mut [u8], pool: &mut LargePool) -> Io {
        let buf = match self.large {
            Some(i) => pool.get_mut(i),
            None => small,
        };
        let io = from.recv(&mut buf[self.len..]);
        if let Io::Done(n) = io {
            self.len += n;
        }
        io
    }

    /// The head is answered: drops the bytes before `from`, moves the rest (a
    /// pipelined request) to the front of the small buffer and gives a
    /// borrowed large buffer back. The caller made sure the rest fits
    /// (`rest_fits`), or passes `from` = everything held.
    pub fn consume(&mut self, from: usize, small: &mut [u8], pool: &mut LargePool) {
        let rest = self.len - from;
        match self.large.take() {
            Some(i) => {
                small[..rest].copy_from_slice(&pool.get(i)[from..self.len]);
                pool.give_back(i);
            }
            None => small.copy_within(from..self.len, 0),
        }
        self.len = rest;
        self.scanned = 0;
    }

    /// Forgets everything held and gives a borrowed buffer back.
    pub fn release(&mut self, pool: &mut LargePool) {
        if let Some(i) = self.large.take() {
            pool.give_back(i);
        }
        self.len = 0;
        self.scanned = 0;
    }
}
