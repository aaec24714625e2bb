//! Fixed sets of equal buffers, allocated once at start-up.
//!
//! Each set is one zeroed allocation (calloc, so mmap'd pages for big sets):
//! a page costs resident memory only once a connection writes into it. That
//! is why RSS grows with use up to a fixed ceiling and never beyond.
//! (`vec![[0u8; N]; n]` would not do: std only treats arrays of up to 16
//! elements as zero, so it writes every byte and makes every page resident.)

use crate::limits::{HEAD_BUF_LARGE, LARGE_HEAD_BUFS};
use heapless::Vec as FixedVec;

/// `count` buffers of `size` bytes, indexed by slot.
pub struct Buffers {
    data: Vec<u8>,
    size: usize,
}

impl Buffers {
    pub fn new(count: usize, size: usize) -> Buffers {
        Buffers {
            data: vec![0u8; count * size],
            size,
        }
    }

    /// Buffer `i`; panics only if `i` is not a slot index (a bug, not input).
    pub fn get(&self, i: usize) -> &[u8] {
        &self.data[i * self.size..(i + 1) * self.size]
    }

    pub fn get_mut(&mut self, i: usize) -> &mut [u8] {
        &mut self.data[i * self.size..(i + 1) * self.size]
    }
}

/// The large head buffers, lent to heads that outgrow their small buffer.
pub struct LargePool {
    bufs: Buffers,
    free: FixedVec<u8, LARGE_HEAD_BUFS>,
}

impl LargePool {
    pub fn new() -> LargePool {
        LargePool {
            bufs: Buffers::new(LARGE_HEAD_BUFS, HEAD_BUF_LARGE),
            free: (0..LARGE_HEAD_BUFS as u8).collect(),
        }
    }

    /// Lends a buffer, or `None` when all are lent.
    pub fn borrow(&mut self) -> Option<u8> {
        self.free.pop()
    }

    /// Takes a lent buffer back.
    pub fn give_back(&mut self, i: u8) {
        // Cannot overflow: only indices taken by `borrow` come back, once each.
        let _ = self.free.push(i);
    }

    pub fn get(&self, i: u8) -> &[u8] {
        self.bufs.get(usize::from(i))
    }

    pub fn get_mut(&mut self, i: u8) -> &mut [u8] {
        self.bufs.get_mut(usize::from(i))
    }

    /// Buffers not lent right now.
    pub fn available(&self) -> usize {
        self.free.len()
    }
}

impl Default for LargePool {
    fn default() -> Self {
        LargePool::new()
    }
}
