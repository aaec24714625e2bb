//! Open files kept between requests.
//!
//! A page load asks for the same dozen files again and again; walking the path
//! and opening the file and its `.gz` sibling every time (two openat, a statx,
//! a close) was a quarter of warden's CPU per small request. The cache keeps
//! the descriptors of the last `FILE_CACHE_ENTRIES` paths served.
//!
//! Freshness: the descriptor about to be served is `fstat`ed once per turn of
//! the poll loop (`new_turn`), so a file changed in place goes out with its
//! new size and validators at once, and one whose name is gone (unlinked, or
//! replaced by rename(2), the way firmware updates files) is looked up again
//! at once. What only a new walk
//! from the root shows (a new `.gz` sibling, a directory renamed or replaced)
//! is seen within `FILE_CACHE_TTL_MS`. Nothing outside the root becomes
//! reachable: every descriptor here came from `path::resolve`.
//!
//! Why once per turn is enough: a request must see every change made before
//! its client began to send it. The first request a turn answers on a
//! connection poll reported had bytes waiting when poll returned, so any fstat
//! made after poll returned follows every such change. Requests that may have
//! begun later get a turn of their own: a connection accepted in the turn
//! (`Server::accept_from`) and a pipelined request found in the buffer after a
//! response (`conn::finish`). A connection's next request after a response is
//! only read in a later turn (no speculative recv).
//!
//! Closing: an entry is closed `FILE_CACHE_TTL_MS` after its walk, asked for
//! again or not (`expire`; the loop wakes up for `next_expiry`), when `lookup`
//! would walk it again anyway. Otherwise a file deleted or replaced after it
//! was served would stay open until its path is asked for again or evicted,
//! and on a router's tmpfs an open unlinked file pins its RAM. With nothing
//! cached `next_expiry` is `None`: an idle loop sleeps in poll without a timeout.
//!
//! Lending: a connection is given a `Loan` (slot and generation), not a
//! descriptor. It may read the slot's file only until it returns to poll
//! (`Conn::park` duplicates the descriptor when a response has to wait), so
//! entries can be replaced or closed between calls without counting users.
//! The rule is checked, not just argued: every fill of a slot takes a new
//! generation, and a loan whose generation is not the slot's reads as no file,
//! which ends the connection instead of sending another file's bytes. All
//! storage is allocated at start-up; under EMFILE the cache gives its
//! descriptors back before a request fails.

use crate::clock::Instant;
use crate::encoding::Coding;
use crate::error::HttpError;
use crate::limits::{FILE_CACHE_ENTRIES, FILE_CACHE_KEY_LEN, FILE_CACHE_TTL};
use crate::path::{self, CleanPath, FileMeta, Found, OpenFile, Stat, Variants};
use std::fs::File;
use std::os::fd::BorrowedFd;

/// A cached file lent for one call: slot `slot`, its `.gz` variant when
/// `gzip`, while the slot still holds generation `generation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loan {
    slot: u16,
    gzip: bool,
    generation: u64,
}

/// The file a response body is read from.
pub enum Source {
    /// A cache slot's file. Valid only within the call that looked it up (see
    /// the module doc); a stale loan finds no file.
    Cached(Loan),
    /// A descriptor the connection owns.
    Own(File),
}

impl Source {
    /// The file behind the source; `None` if a cached slot was emptied, which
    /// the lending rule prevents (the caller then ends the response).
    pub fn file<'a>(&'a self, cache: &'a FileCache) -> Option<&'a File> {
        match self {
            Source::Own(f) => Some(f),
            Source::Cached(loan) => cache.file(*loan),
        }
    }

    /// Turns a cached source into an owned one (dup, close-on-exec), for a
    /// response that outlives the current call.
    pub fn make_own(&mut self, cache: &FileCache) -> Result<(), HttpError> {
        if let Source::Cached(_) = self {
            let f = self.file(cache).ok_or(HttpError::Internal)?;
            let own = f.try_clone().map_err(|_| HttpError::ServiceUnavailable)?;
            *self = Source::Own(own);
        }
        Ok(())
    }
}

/// What a path resolved to.
pub enum Lookup {
    /// A directory asked for without a trailing slash (RFC 9110 §15.4.2).
    AddSlash,
    /// The representation to send and what `fstat` says of it now.
    File {
        source: Source,
        meta: FileMeta,
        coding: Coding,
        /// For a directory, which `--index` name was found.
        index_name: u8,
    },
}

struct Entry {
    key: [u8; FILE_CACHE_KEY_LEN],
    /// 0: the slot is empty (a clean path is at least "/").
    key_len: usize,
    /// The path ended in `/` (it named a directory: the files are its index).
    dir: bool,
    files: Variants,
    /// When the path was last walked from the root.
    walked_at: Instant,
    /// Taken anew from `FileCache::generations` at every fill; loans carry it.
    generation: u64,
    /// Lookup count at the last use, for least-recently-used replacement.
    used: u64,
    /// The turn in which the plain (`[0]`) and `.gz` (`[1]`) file was last `fstat`ed.
    checked: [u64; 2],
}

impl Entry {
    fn empty() -> Entry {
        Entry {
            key: [0; FILE_CACHE_KEY_LEN],
            key_len: 0,
            dir: false,
            files: Variants::default(),
            walked_at: Instant::from_millis(0),
            generation: 0,
            used: 0,
            checked: [0; 2],
        }
    }

    /// Closes the entry's descriptors.
    fn clear(&mut self) {
        self.key_len = 0;
        self.generation = 0;
        self.files = Variants::default();
    }

    /// When the entry must be closed: `FILE_CACHE_TTL_MS` after its walk (the
    /// moment `lookup` stops trusting it). `None` for an empty slot.
    fn expires_at(&self) -> Option<Instant> {
        (self.key_len != 0).then(|| self.walked_at + FILE_CACHE_TTL)
    }

    fn is(&self, key: &[u8], dir: bool) -> bool {
        self.key_len == key.len() && self.dir == dir && &self.key[..self.key_len] == key
    }
}

/// The fixed table of open files.
pub struct FileCache {
    entries: Vec<Entry>,
    lookups: u64,
    /// Turns of the poll loop so far (see the module doc).
    turn: u64,
    /// Slot fills so far: the last generation given out (0: none, the empty slot's).
    generations: u64,
}

impl Default for FileCache {
    fn default() -> Self {
        Self::new()
    }
}

impl FileCache {
    /// `FILE_CACHE_ENTRIES` empty slots, allocated now, never again.
    pub fn new() -> FileCache {
        FileCache {
            entries: (0..FILE_CACHE_ENTRIES).map(|_| Entry::empty()).collect(),
            lookups: 0,
            turn: 1,
            generations: 0,
        }
    }

    /// The poll loop is about to answer what its last poll reported.
    pub fn new_turn(&mut self) {
        self.turn += 1;
    }

    /// Closes every entry whose time is up (`next_expiry` ≤ `now`), so a file
    /// nobody asks for again is not held open past the TTL. Only between calls
    /// that lend slots (module doc: Lending). Returns the entries closed.
    pub fn expire(&mut self, now: Instant) -> usize {
        let mut closed = 0;
        for e in &mut self.entries {
            if e.expires_at().is_some_and(|t| t <= now) {
                e.clear();
                closed += 1;
            }
        }
        closed
    }

    /// The earliest time `expire` has an entry to close; `None` while the cache
    /// holds nothing (the loop may then sleep without a timeout).
    pub fn next_expiry(&self) -> Option<Instant> {
        self.entries.iter().filter_map(Entry::expires_at).min()
    }

    /// Open descriptors held (for tests and the log).
    pub fn open_files(&self) -> usize {
        let e = self.entries.iter();
        e.map(|e| usize::from(e.files.plain.is_some()) + usize::from(e.files.gzip.is_some()))
            .sum()
    }

    /// The file lent by `loan`, if the slot still holds what was lent.
    fn file(&self, loan: Loan) -> Option<&File> {
        let e = self.entries.get(usize::from(loan.slot))?;
        if e.generation != loan.generation || loan.generation == 0 {
            return None;
        }
        let f = if loan.gzip { &e.files.gzip } else { &e.files.plain };
        f.as_ref().map(|o| &o.file)
    }

    /// Resolves `path` beneath `root` and picks the representation for a client
    /// that does (or does not) accept gzip, from the cache when it can.
    pub fn lookup(
        &mut self,
        root: BorrowedFd<'_>,
        path: &CleanPath,
        index: &[Vec<u8>],
        accepts_gzip: bool,
        now: Instant,
    ) -> Result<Lookup, HttpError> {
        self.lookups += 1;
        let key = path.as_bytes();
        let dir = path.trailing_slash;
        if let Some(i) = self.entries.iter().position(|e| e.is(key, dir)) {
            if self.entries[i].expires_at().is_some_and(|t| now < t) {
                if let Some(hit) = self.revalidate(i, accepts_gzip) {
                    self.entries[i].used = self.lookups;
                    return hit;
                }
            }
            // Expired, or its file lost its name: walk again.
            self.entries[i].clear();
        }
        let found = match path::resolve(root, path, index) {
            // Out of descriptors: give the cache's back and try once more.
            Err(HttpError::ServiceUnavailable) if self.open_files() > 0 => {
                self.entries.iter_mut().for_each(Entry::clear);
                path::resolve(root, path, index)?
            }
            other => other?,
        };
        let files = match found {
            Found::AddSlash => return Ok(Lookup::AddSlash),
            Found::Files(files) => files,
        };
        let Some(i) = self.victim().filter(|_| key.len() <= FILE_CACHE_KEY_LEN) else {
            return uncached(files, accepts_gzip);
        };
        let e = &mut self.entries[i];
        e.key[..key.len()].copy_from_slice(key);
        e.key_len = key.len();
        e.dir = dir;
        e.files = files;
        e.walked_at = now;
        self.generations += 1;
        e.generation = self.generations;
        e.used = self.lookups;
        // Just fstat'ed by the walk: the answer comes from the entry without another.
        e.checked = [self.turn; 2];
        self.revalidate(i, accepts_gzip).unwrap_or(Err(HttpError::Internal))
    }

    /// The answer from entry `i` if its chosen file still has a name; its
    /// metadata is read again once per turn (the file may have changed in place).
    fn revalidate(&mut self, i: usize, accepts_gzip: bool) -> Option<Result<Lookup, HttpError>> {
        let e = &mut self.entries[i];
        let has_gzip_variant = e.files.gzip.is_some();
        let index_name = e.files.index_name;
        let gzip = match e.files.choose(accepts_gzip) {
            Ok(gzip) => gzip,
            Err(err) => return Some(Err(err)),
        };
        let open = e.files.get_mut(gzip).as_mut()?;
        let checked = &mut e.checked[usize::from(gzip)];
        let stat = if *checked == self.turn {
            Ok(Stat::Regular {
                meta: open.meta,
                linked: true,
            })
        } else {
            path::file_meta(&open.file)
        };
        match stat {
            Ok(Stat::Regular { meta, linked: true }) => {
                open.meta = meta;
                *checked = self.turn;
                Some(Ok(Lookup::File {
                    source: Source::Cached(Loan {
                        // FILE_CACHE_ENTRIES ≤ 1024 (limits.rs).
                        slot: i as u16,
                        gzip,
                        generation: e.generation,
                    }),
                    meta,
                    coding: Coding::of(gzip, has_gzip_variant),
                    index_name,
                }))
            }
            _ => None,
        }
    }

    /// An empty slot, else the least recently used one; `None` if there are none.
    fn victim(&self) -> Option<usize> {
        let e = self.entries.iter().enumerate();
        e.min_by_key(|(_, e)| (e.key_len != 0, e.used)).map(|(i, _)| i)
    }
}

/// The answer for a path the cache does not keep: the chosen file is moved out.
fn uncached(mut files: Variants, accepts_gzip: bool) -> Result<Lookup, HttpError> {
    let has_gzip_variant = files.gzip.is_some();
    let gzip = files.choose(accepts_gzip)?;
    let index_name = files.index_name;
    let OpenFile { file, meta } = files.get_mut(gzip).take().ok_or(HttpError::Internal)?;
    Ok(Lookup::File {
        source: Source::Own(file),
        meta,
        coding: Coding::of(gzip, has_gzip_variant),
        index_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::path::PathBuf;

    /// A fresh directory under the system temp dir, removed on drop.
    struct Dir(PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            let p = std::env::temp_dir().join(format!("warden-filecache-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        fn file(&self, name: &str, body: &str) {
            std::fs::write(self.0.join(name), body).unwrap();
        }
        fn fd(&self) -> File {
            File::open(&self.0).unwrap()
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const TTL_MS: u64 = FILE_CACHE_TTL.millis();

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    /// The loan of a cached answer; panics on anything else.
    fn loan(cache: &mut FileCache, root: &File, p: &str, gz: bool, now: u64) -> Loan {
        let clean = path::clean(p.as_bytes()).unwrap();
        match cache.lookup(root.as_fd(), &clean, &[b"index.html".to_vec()], gz, at(now)) {
            Ok(Lookup::File {
                source: Source::Cached(loan),
                ..
            }) => loan,
            Ok(_) => panic!("{p}: not a cached file"),
            Err(e) => panic!("{p}: {e:?}"),
        }
    }

    /// (slot, gzip) of a cached answer.
    fn slot(cache: &mut FileCache, root: &File, p: &str, gz: bool, now: u64) -> (u16, bool) {
        let l = loan(cache, root, p, gz, now);
        (l.slot, l.gzip)
    }

    #[test]
    fn hit_reuses_the_slot_and_one_descriptor() {
        if FILE_CACHE_ENTRIES == 0 {
            return;
        }
        let d = Dir::new("hit");
        d.file("a.txt", "a");
        let root = d.fd();
        let mut c = FileCache::new();
        let first = slot(&mut c, &root, "/a.txt", false, 0);
        for now in 1..50 {
            assert_eq!(slot(&mut c, &root, "/a.txt", false, now), first);
        }
        assert_eq!(c.open_files(), 1);
        // The directory's index is its own entry ("/" with a slash).
        d.file("index.html", "i");
        assert_ne!(slot(&mut c, &root, "/", false, 60).0, first.0);
        assert_eq!(c.open_files(), 2);
    }

    #[test]
    fn expired_entry_is_walked_again() {
        if FILE_CACHE_ENTRIES == 0 {
            return;
        }
        let d = Dir::new("ttl");
        d.file("app.js", "js");
        let root = d.fd();
        let mut c = FileCache::new();
        assert!(!slot(&mut c, &root, "/app.js", true, 0).1, "no .gz yet");
        d.file("app.js.gz", "gz");
        assert!(!slot(&mut c, &root, "/app.js", true, TTL_MS - 1).1, "within the TTL");
        assert!(slot(&mut c, &root, "/app.js", true, TTL_MS).1, "walked again");
        assert_eq!(c.open_files(), 2, "the file and its .gz");
    }

    #[test]
    fn nothing_cached_no_expiry() {
        let mut c = FileCache::new();
        assert_eq!(c.next_expiry(), None, "an idle loop must sleep without a timeout");
        assert_eq!(c.expire(Instant::NEVER), 0);
        assert_eq!(c.next_expiry(), None);
    }

    #[test]
    fn entries_close_ttl_after_their_walk_then_none() {
        if FILE_CACHE_ENTRIES < 2 {
            return;
        }
        let d = Dir::new("expire");
        d.file("a.txt", "a");
        d.file("b.txt", "b");
        d.file("b.txt.gz", "gz");
        let root = d.fd();
        let mut c = FileCache::new();
        slot(&mut c, &root, "/a.txt", false, 0);
        slot(&mut c, &root, "/b.txt", true, 500);
        assert_eq!(c.open_files(), 3);
        assert_eq!(c.next_expiry(), Some(at(TTL_MS)));
        // A hit does not postpone it: the entry is walked again at the TTL anyway.
        slot(&mut c, &root, "/a.txt", false, TTL_MS - 1);
        assert_eq!(c.next_expiry(), Some(at(TTL_MS)));
        assert_eq!(c.expire(at(TTL_MS - 1)), 0, "not yet");
        assert_eq!(c.open_files(), 3);
        assert_eq!(c.expire(at(TTL_MS)), 1, "a.txt's time is up");
        assert_eq!(c.open_files(), 2, "b.txt and its .gz remain");
        assert_eq!(c.next_expiry(), Some(at(500 + TTL_MS)));
        assert_eq!(c.expire(at(500 + TTL_MS)), 1, "both of b's descriptors");
        assert_eq!(c.open_files(), 0);
        assert_eq!(c.next_expiry(), None, "all expired: the loop may sleep");
        // Served again: cached again, with a new deadline.
        let t = 3 * TTL_MS;
        slot(&mut c, &root, "/a.txt", false, t);
        assert_eq!(c.next_expiry(), Some(at(t + TTL_MS)));
    }

    #[test]
    fn deleted_file_closed_at_expiry_without_another_lookup() {
        if FILE_CACHE_ENTRIES == 0 {
            return;
        }
        let d = Dir::new("deleted");
        d.file("fw.bin", "firmware");
        let root = d.fd();
        let mut c = FileCache::new();
        let l = loan(&mut c, &root, "/fw.bin", false, 10);
        std::fs::remove_file(d.0.join("fw.bin")).unwrap();
        let f = c.file(l).expect("still open until its time is up");
        match path::file_meta(f) {
            Ok(Stat::Regular { linked, .. }) => assert!(!linked, "unlinked but pinned"),
            _ => panic!("fstat of the cached file"),
        }
        assert_eq!(c.expire(at(10 + TTL_MS)), 1);
        assert!(c.file(l).is_none());
        assert_eq!(c.open_files(), 0);
        assert_eq!(c.next_expiry(), None);
    }

    /// Size of the cached answer for `p`.
    fn size(cache: &mut FileCache, root: &File, p: &str) -> u64 {
        let clean = path::clean(p.as_bytes()).unwrap();
        match cache.lookup(root.as_fd(), &clean, &[b"index.html".to_vec()], false, at(0)) {
            Ok(Lookup::File { meta, .. }) => meta.size,
            _ => panic!("{p}: not a file"),
        }
    }

    #[test]
    fn fstat_once_per_turn() {
        if FILE_CACHE_ENTRIES == 0 {
            return;
        }
        let d = Dir::new("turn");
        d.file("a.txt", "12345");
        let root = d.fd();
        let mut c = FileCache::new();
        assert_eq!(size(&mut c, &root, "/a.txt"), 5);
        d.file("a.txt", "1234567");
        assert_eq!(size(&mut c, &root, "/a.txt"), 5, "same turn: no second fstat");
        c.new_turn();
        assert_eq!(size(&mut c, &root, "/a.txt"), 7, "next turn: fstat again");
        // Replaced by rename: the old descriptor has no name left; walked again.
        d.file("a.new", "ab");
        std::fs::rename(d.0.join("a.new"), d.0.join("a.txt")).unwrap();
        c.new_turn();
        assert_eq!(size(&mut c, &root, "/a.txt"), 2);
    }

    #[test]
    fn least_recently_used_gives_way() {
        if FILE_CACHE_ENTRIES < 2 {
            return;
        }
        let d = Dir::new("lru");
        for i in 0..=FILE_CACHE_ENTRIES {
            d.file(&format!("f{i}"), "x");
        }
        let root = d.fd();
        let mut c = FileCache::new();
        let slots: Vec<u16> = (0..FILE_CACHE_ENTRIES)
            .map(|i| slot(&mut c, &root, &format!("/f{i}"), false, 0).0)
            .collect();
        // f0 used again: f1 is now the least recently used.
        assert_eq!(slot(&mut c, &root, "/f0", false, 1).0, slots[0]);
        let last = format!("/f{FILE_CACHE_ENTRIES}");
        assert_eq!(slot(&mut c, &root, &last, false, 2).0, slots[1], "f1 replaced");
        assert_eq!(slot(&mut c, &root, "/f0", false, 3).0, slots[0], "f0 kept");
        assert_eq!(c.open_files(), FILE_CACHE_ENTRIES);
    }

    #[test]
    fn misses_and_long_paths_are_not_kept() {
        let d = Dir::new("miss");
        let long = "n".repeat(FILE_CACHE_KEY_LEN);
        d.file(&long, "x");
        std::fs::create_dir(d.0.join("sub")).unwrap();
        let root = d.fd();
        let mut c = FileCache::new();
        let clean = path::clean(b"/missing").unwrap();
        let r = c.lookup(root.as_fd(), &clean, &[b"index.html".to_vec()], false, at(0));
        assert!(matches!(r, Err(HttpError::NotFound)));
        let clean = path::clean(b"/sub").unwrap();
        let r = c.lookup(root.as_fd(), &clean, &[b"index.html".to_vec()], false, at(0));
        assert!(matches!(r, Ok(Lookup::AddSlash)));
        let clean = path::clean(format!("/{long}").as_bytes()).unwrap();
        let r = c.lookup(root.as_fd(), &clean, &[b"index.html".to_vec()], false, at(0));
        assert!(matches!(
            r,
            Ok(Lookup::File {
                source: Source::Own(_),
                ..
            })
        ));
        assert_eq!(c.open_files(), 0);
    }

    /// A loan kept past its call (the lending rule broken) finds no file once
    /// its slot holds something else, instead of another file's bytes.
    #[test]
    fn stale_loan_reads_as_no_file() {
        if FILE_CACHE_ENTRIES == 0 {
            return;
        }
        let d = Dir::new("stale");
        for i in 0..=FILE_CACHE_ENTRIES {
            d.file(&format!("f{i}"), "x");
        }
        let root = d.fd();
        let mut c = FileCache::new();
        let a = loan(&mut c, &root, "/f0", false, 0);
        assert!(c.file(a).is_some());
        // Every other slot filled, then one more path: f0's slot, the least
        // recently used, is given to it.
        for i in 1..FILE_CACHE_ENTRIES {
            loan(&mut c, &root, &format!("/f{i}"), false, 1);
        }
        let b = loan(&mut c, &root, &format!("/f{FILE_CACHE_ENTRIES}"), false, 2);
        assert_eq!(b.slot, a.slot, "f0's slot, reused");
        assert!(c.file(a).is_none(), "f0's loan must not read another file");
        assert!(c.file(b).is_some());
        // Closed at the TTL: nothing to read; walked again: a new generation.
        assert!(c.expire(at(2 + TTL_MS)) > 0);
        assert!(c.file(b).is_none(), "closed slot");
        let b2 = loan(&mut c, &root, &format!("/f{FILE_CACHE_ENTRIES}"), false, 2 + TTL_MS);
        assert!(c.file(b).is_none() && c.file(b2).is_some());
        let mut stale = Source::Cached(b);
        assert!(stale.file(&c).is_none());
        assert!(stale.make_own(&c).is_err(), "a stale loan cannot become a descriptor");
    }
}
