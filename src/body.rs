//! A file body on its way to the peer: the span left to send, the file it
//! comes from, and how its bytes move (sendfile, or pread + send through the
//! shared scratch buffer). Keeps no buffer between calls.

use crate::config::BodyCopy;
use crate::filecache::{FileCache, Source};
use crate::io::{self, Io, Segment, Sendfile};
use crate::limits::SEND_CHUNK;
use crate::response::Span;
use crate::transport::Transport;
use std::fs::File;

/// Bytes `offset..end` of `source`'s file, still to send.
pub struct Body {
    pub source: Source,
    offset: u64,
    end: u64,
    /// How the bytes move; sendfile refusing a file switches it to `ReadSend`.
    copy: BodyCopy,
}

impl Body {
    pub fn new(source: Source, span: Span, copy: BodyCopy) -> Body {
        Body {
            source,
            offset: span.offset,
            end: span.end,
            copy,
        }
    }

    pub fn is_sent(&self) -> bool {
        self.offset >= self.end
    }

    /// Sends `head` and, when the whole body fits the scratch buffer after it,
    /// the body too, in one send(2): for small files a pread and one send cost
    /// the kernel less than a send and a sendfile, and the response leaves in
    /// one segment. Whatever the socket does not take continues through the
    /// ordinary path (the head from where it stopped, the body from its
    /// offset), so nothing is kept in the scratch buffer between calls.
    /// Returns bytes sent, head first; body bytes sent advance the offset.
    /// `None`: the cache no longer holds the file lent (a stale loan).
    pub fn send_with_head(
        &mut self,
        to: &mut Transport,
        head: &[u8],
        files: &FileCache,
        scratch: &mut [u8],
    ) -> Option<Io> {
        let file = self.source.file(files)?;
        let io = Self::head_and_small_body(to, head, file, self.offset, self.end, scratch);
        if let Io::Done(n) = io {
            self.offset += n.saturating_sub(head.len()) as u64;
        }
        Some(io)
    }

    fn head_and_small_body(
        to: &mut Transport,
        head: &[u8],
        file: &File,
        offset: u64,
        end: u64,
        scratch: &mut [u8],
    ) -> Io {
        // Compared in u64: on a 32-bit board `head.len() + blen as usize` wraps for
        // a body just under 4 GiB, and the slice below would panic (abort).
        let room = scratch.len().saturating_sub(head.len()) as u64;
        let blen = end.saturating_sub(offset);
        let fits = |b: &usize| blen <= room && head.len() <= scratch.len() && *b > 0;
        let Some(total) = usize::try_from(blen).ok().filter(fits).map(|b| head.len() + b) else {
            return to.send(head, Segment::More);
        };
        scratch[..head.len()].copy_from_slice(head);
        match io::pread(file, &mut scratch[head.len()..total], offset) {
            Io::Done(k) if head.len() + k == total => to.send(&scratch[..total], Segment::Last),
            // Short read (the file shrank) or an error: the ordinary path finds out.
            _ => to.send(head, Segment::More),
        }
    }

    /// Sends up to `SEND_CHUNK` bytes (one big download must not starve the
    /// other connections of the single thread). `Done(0)`: the file ended
    /// before the length announced (it shrank). `None`: a stale loan.
    pub fn send_chunk(&mut self, to: &mut Transport, files: &FileCache, scratch: &mut [u8]) -> Option<Io> {
        let chunk = usize::try_from(self.end.saturating_sub(self.offset))
            .unwrap_or(usize::MAX)
            .min(SEND_CHUNK);
        let file = self.source.file(files)?;
        if self.copy == BodyCopy::Sendfile {
            match to.sendfile(file, &mut self.offset, chunk) {
                Sendfile::Io(io) => return Some(io),
                Sendfile::Unsupported => self.copy = BodyCopy::ReadSend,
            }
        }
        // Bounded: read into the scratch buffer, send what the socket takes;
        // the unsent rest is read again next time (no state kept).
        let want = chunk.min(scratch.len());
        let io = match io::pread(file, &mut scratch[..want], self.offset) {
            Io::Done(0) => Io::Done(0),
            Io::Done(k) => to.send(&scratch[..k], Segment::Last),
            other => other,
        };
        if let Io::Done(n) = io {
            self.offset += n as u64;
        }
        Some(io)
    }
}
