//! From a raw request path to an open file beneath the web root.
//!
//! `clean` is pure: percent-decode once into a bounded buffer, refuse anything
//! that could climb out or confuse (RFC 3986 §2.1, §3.3), hide dotfiles.
//! `resolve` walks the clean path one component at a time from the root
//! directory descriptor with `openat(O_NOFOLLOW)`: symlinks are never followed,
//! so nothing outside the root is reachable, whatever the kernel version.
//! Files are opened first and then `fstat`ed: no check-then-use race.

use crate::error::HttpError;
use crate::limits::{MAX_NAME_LEN, MAX_TARGET_LEN};
use nix::fcntl::{OFlag, openat};
use nix::sys::stat::Mode;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

/// A decoded, checked path: `/`-separated segments, no `.`/`..`/empty ones.
pub struct CleanPath {
    buf: [u8; MAX_TARGET_LEN],
    len: usize,
    /// The request path ended in `/` (or `/.`): it names a directory.
    pub trailing_slash: bool,
}

impl CleanPath {
    /// The decoded path, always starting with `/`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Non-empty segments in order.
    pub fn segments(&self) -> impl Iterator<Item = &[u8]> {
        self.as_bytes()[1..].split(|&b| b == b'/').filter(|s| !s.is_empty())
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes and checks a raw path (starting with `/`, without query).
///
/// 400: NUL, invalid escapes, backslash (raw or encoded), encoded `/`, a `..`
/// segment (in any encoding), bytes that are not UTF-8 (overlong forms such as
/// `%c0%ae` included). 404: a segment starting with `.` (dotfiles), except a
/// first segment `.well-known` (RFC 8615), or one longer than NAME_MAX.
/// `//` and `.` segments are dropped.
pub fn clean(raw: &[u8]) -> Result<CleanPath, HttpError> {
    let mut out = CleanPath {
        buf: [0; MAX_TARGET_LEN],
        len: 0,
        trailing_slash: false,
    };
    if raw.first() != Some(&b'/') || raw.len() > MAX_TARGET_LEN {
        return Err(HttpError::BadRequest);
    }
    out.buf[0] = b'/';
    out.len = 1;
    let mut first_segment = true;
    let mut hidden = false;
    let mut too_long = false;
    let raw_segments = raw[1..].split(|&b| b == b'/');
    let count = raw[1..].split(|&b| b == b'/').count();
    for (i, seg) in raw_segments.enumerate() {
        let last = i + 1 == count;
        let start = out.len;
        let mut bytes = seg.iter();
        while let Some(&b) = bytes.next() {
            let decoded = if b == b'%' {
                let hi = bytes.next().and_then(|&h| hex(h));
                let lo = bytes.next().and_then(|&l| hex(l));
                match (hi, lo) {
                    (Some(h), Some(l)) => h << 4 | l,
                    _ => return Err(HttpError::BadRequest),
                }
            } else {
                b
            };
            if matches!(decoded, 0 | b'/' | b'\\') {
                return Err(HttpError::BadRequest);
            }
            // The decoded path is never longer than the raw one, which fits.
            out.buf[out.len] = decoded;
            out.len += 1;
        }
        let name = &out.buf[start..out.len];
        match name {
            b"" | b"." => {
                // An empty or "." segment adds nothing; at the end it means "a directory".
                out.trailing_slash = last;
                out.len = start;
                continue;
            }
            b".." => return Err(HttpError::BadRequest),
            _ => {}
        }
        if name[0] == b'.' && !(first_segment && name == b".well-known") {
            hidden = true;
        }
        too_long |= name.len() > MAX_NAME_LEN;
        first_segment = false;
        out.trailing_slash = false;
        if !last {
            out.buf[out.len] = b'/';
            out.len += 1;
        }
    }
    // Segments were copied with their separators; drop a separator left by a
    // skipped trailing segment so the path never ends in '/' except "/" itself.
    while out.len > 1 && out.buf[out.len - 1] == b'/' {
        out.len -= 1;
    }
    if core::str::from_utf8(out.as_bytes()).is_err() {
        return Err(HttpError::BadRequest);
    }
    if hidden || too_long {
        return Err(HttpError::NotFound);
    }
    Ok(out)
}

/// Whether a clean path lies under a normalised prefix (`--protect`,
/// `--proxy`): equal, or followed by `/` (segment boundary: `/api` covers
/// `/api/x`, not `/apix`). Without regard to case: a FAT or exFAT web root
/// (a USB stick) opens `/ADMIN/x` as `/admin/x`, and a prefix both
/// protected and proxied is matched the same way by both.
pub fn under(path: &[u8], prefix: &[u8]) -> bool {
    path.len() >= prefix.len()
        && path[..prefix.len()].eq_ignore_ascii_case(prefix)
        && (path.len() == prefix.len() || path[prefix.len()] == b'/' || prefix == b"/")
}

/// What `fstat` told us about an open file, kept for headers and validators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub size: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: u32,
}

/// An open regular file and its metadata.
pub struct OpenFile {
    pub file: File,
    pub meta: FileMeta,
}

/// The representations found for a path: the file and its precompressed
/// `.gz` sibling (RFC 9110 §12.5.3); at least one is there.
#[derive(Default)]
pub struct Variants {
    pub plain: Option<OpenFile>,
    pub gzip: Option<OpenFile>,
    /// For a directory: which of the `--index` names these are (its type is
    /// that name's); 0 otherwise.
    pub index_name: u8,
}

impl Variants {
    /// Whether to send the `.gz` one (`choose_gzip` on what is here).
    pub fn choose(&self, accepts_gzip: bool) -> Result<bool, HttpError> {
        choose_gzip(self.plain.is_some(), self.gzip.is_some(), accepts_gzip)
    }

    /// The `.gz` variant if `gzip`, else the plain one.
    pub fn get_mut(&mut self, gzip: bool) -> &mut Option<OpenFile> {
        if gzip { &mut self.gzip } else { &mut self.plain }
    }
}

/// How a clean path resolved.
pub enum Found {
    /// Regular files to serve (the index file's for a directory).
    Files(Variants),
    /// A directory asked for without a trailing slash: redirect (RFC 9110 §15.4.2).
    AddSlash,
}

enum Kind {
    Regular(OpenFile),
    Directory(OwnedFd),
}

/// Opens `name` in `dir` without following a symlink and without blocking on a
/// FIFO or device, then `fstat`s the descriptor. Only regular files and
/// directories come back; anything else is 404.
fn open_in(dir: BorrowedFd<'_>, name: &[u8]) -> Result<Kind, HttpError> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    let fd = openat(dir, name, flags, Mode::empty()).map_err(HttpError::from_open_errno)?;
    let file = File::from(fd);
    match file_meta(&file)? {
        Stat::Directory => Ok(Kind::Directory(OwnedFd::from(file))),
        Stat::Other => Err(HttpError::NotFound),
        Stat::Regular { meta, .. } => Ok(Kind::Regular(OpenFile { file, meta })),
    }
}

/// What `fstat` says of an open descriptor.
pub enum Stat {
    /// A regular file; `linked` is false once its last name is gone (unlinked,
    /// or replaced by a rename): the path now names something else, or nothing.
    Regular {
        meta: FileMeta,
        linked: bool,
    },
    Directory,
    Other,
}

/// `fstat`s an open file. This is std's `File::metadata` (statx or fstat64):
/// 64-bit sizes, inodes and times also on 32-bit glibc, whose plain fstat
/// fails past 2 GiB.
pub fn file_meta(file: &File) -> Result<Stat, HttpError> {
    let st = file.metadata().map_err(|e| HttpError::from_open_errno(io_errno(&e)))?;
    if st.is_dir() {
        return Ok(Stat::Directory);
    }
    if !st.is_file() {
        return Ok(Stat::Other);
    }
    let meta = FileMeta {
        size: st.size(),
        mtime_sec: st.mtime(),
        mtime_nsec: u32::try_from(st.mtime_nsec()).unwrap_or(0),
    };
    Ok(Stat::Regular {
        meta,
        linked: st.nlink() > 0,
    })
}

fn io_errno(e: &std::io::Error) -> nix::errno::Errno {
    nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(nix::libc::EIO))
}

/// Opens the precompressed sibling `name.gz` if it is a regular file.
fn open_gzip(dir: BorrowedFd<'_>, name: &[u8]) -> Result<Option<OpenFile>, HttpError> {
    let mut gz = [0u8; MAX_NAME_LEN + 3];
    if name.len() > MAX_NAME_LEN - 3 {
        return Ok(None);
    }
    gz[..name.len()].copy_from_slice(name);
    gz[name.len()..name.len() + 3].copy_from_slice(b".gz");
    match open_in(dir, &gz[..name.len() + 3]) {
        Ok(Kind::Regular(f)) => Ok(Some(f)),
        Ok(Kind::Directory(_)) | Err(HttpError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Adds the `.gz` sibling of `name` in `dir` to `plain`; 404 when neither exists.
fn with_gzip(dir: BorrowedFd<'_>, name: &[u8], plain: Option<OpenFile>) -> Result<Found, HttpError> {
    let gzip = open_gzip(dir, name)?;
    if plain.is_none() && gzip.is_none() {
        return Err(HttpError::NotFound);
    }
    Ok(Found::Files(Variants {
        plain,
        gzip,
        index_name: 0,
    }))
}

/// Which representation to send (RFC 9110 §12.5.3): the `.gz` one when the
/// client accepts gzip and it exists, else the plain file; only a `.gz` and a
/// client that refuses gzip is 406. Returns whether to send the `.gz` one.
pub fn choose_gzip(has_plain: bool, has_gzip: bool, accepts_gzip: bool) -> Result<bool, HttpError> {
    match (has_plain, has_gzip) {
        (_, true) if accepts_gzip => Ok(true),
        (true, _) => Ok(false),
        (false, true) => Err(HttpError::NotAcceptable),
        (false, false) => Err(HttpError::NotFound),
    }
}

/// Resolves a clean path beneath `root`, serving `index` for directories.
pub fn resolve(root: BorrowedFd<'_>, path: &CleanPath, index: &[Vec<u8>]) -> Result<Found, HttpError> {
    let mut parent: Option<OwnedFd> = None;
    let mut segments = path.segments().peekable();
    let mut last: &[u8] = b"";
    while let Some(seg) = segments.next() {
        if segments.peek().is_none() {
            last = seg;
            break;
        }
        let dir = parent.as_ref().map_or(root, |d| d.as_fd());
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let next = openat(dir, seg, flags, Mode::empty()).map_err(HttpError::from_open_errno)?;
        parent = Some(next);
    }
    let dir = parent.as_ref().map_or(root, |d| d.as_fd());
    if last.is_empty() {
        // The root itself: always a directory with a slash.
        return serve_index(dir, index);
    }
    match open_in(dir, last) {
        Ok(Kind::Directory(sub)) if path.trailing_slash => serve_index(sub.as_fd(), index),
        Ok(Kind::Directory(_)) => Ok(Found::AddSlash),
        // "/file.html/" names a directory that is not one.
        Ok(Kind::Regular(_)) if path.trailing_slash => Err(HttpError::NotFound),
        Ok(Kind::Regular(file)) => with_gzip(dir, last, Some(file)),
        Err(HttpError::NotFound) if !path.trailing_slash => with_gzip(dir, last, None),
        Err(e) => Err(e),
    }
}

/// The first of the `--index` names that is a regular file (or has a `.gz`)
/// in `dir`; a name that is a directory or absent passes to the next.
fn serve_index(dir: BorrowedFd<'_>, index: &[Vec<u8>]) -> Result<Found, HttpError> {
    for (i, name) in index.iter().enumerate() {
        let found = match open_in(dir, name) {
            Ok(Kind::Regular(file)) => with_gzip(dir, name, Some(file)),
            Ok(Kind::Directory(_)) => continue,
            Err(HttpError::NotFound) => with_gzip(dir, name, None),
            Err(e) => Err(e),
        };
        match found {
            Ok(Found::Files(mut v)) => {
                // At most MAX_INDEX_NAMES (4) names: fits.
                v.index_name = i as u8;
                return Ok(Found::Files(v));
            }
            Err(HttpError::NotFound) => continue,
            other => return other,
        }
    }
    Err(HttpError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (String, bool) {
        match clean(raw.as_bytes()) {
            Ok(p) => (String::from_utf8(p.as_bytes().to_vec()).unwrap(), p.trailing_slash),
            Err(e) => panic!("{raw:?} → {e:?}"),
        }
    }

    #[test]
    fn rfc3986_clean_path_table() {
        for (raw, want, slash) in [
            ("/", "/", true),
            ("/index.html", "/index.html", false),
            ("/a//b/./c", "/a/b/c", false),
            ("//a", "/a", false),
            ("/dir/", "/dir", true),
            ("/dir/.", "/dir", true),
            ("/dir//", "/dir", true),
            ("/a%20b", "/a b", false),
            ("/%41%62c", "/Abc", false),
            ("/caf%C3%A9", "/café", false),
            ("/.well-known/security.txt", "/.well-known/security.txt", false),
            ("/.well-known/", "/.well-known", true),
            ("/a.b/c..d/x...", "/a.b/c..d/x...", false),
        ] {
            assert_eq!(ok(raw), (want.to_string(), slash), "{raw}");
        }
        // The root with a trailing "." stays the root.
        assert_eq!(ok("/.").0, "/");
    }

    #[test]
    fn traversal_and_encoding_table() {
        for (raw, want) in [
            ("/..", HttpError::BadRequest),
            ("/../etc/passwd", HttpError::BadRequest),
            ("/a/../../etc", HttpError::BadRequest),
            ("/%2e%2e/etc", HttpError::BadRequest),
            ("/.%2e/etc", HttpError::BadRequest),
            ("/%2E%2E", HttpError::BadRequest),
            ("/a%2fb", HttpError::BadRequest),
            ("/a%2Fb", HttpError::BadRequest),
            ("/a%00b", HttpError::BadRequest),
            ("/a\\b", HttpError::BadRequest),
            ("/a%5cb", HttpError::BadRequest),
            ("/%c0%ae%c0%ae/x", HttpError::BadRequest),
            ("/%ff", HttpError::BadRequest),
            ("/%zz", HttpError::BadRequest),
            ("/%4", HttpError::BadRequest),
            ("/%", HttpError::BadRequest),
            ("no-slash", HttpError::BadRequest),
            ("/.git/config", HttpError::NotFound),
            ("/.htpasswd", HttpError::NotFound),
            ("/a/.hidden", HttpError::NotFound),
            ("/%2ehidden", HttpError::NotFound),
            ("/.well-known/.x", HttpError::NotFound),
            ("/a/.well-known/x", HttpError::NotFound),
        ] {
            assert_eq!(clean(raw.as_bytes()).err(), Some(want), "{raw}");
        }
        let long = format!("/{}", "n".repeat(MAX_NAME_LEN + 1));
        assert_eq!(clean(long.as_bytes()).err(), Some(HttpError::NotFound));
    }

    // RFC 9110 §12.5.3: the .gz when accepted and present, else the file, else 406 / 404.
    #[test]
    fn rfc9110_12_5_3_choose_gzip_table() {
        for (plain, gz, accepts, want) in [
            (true, true, true, Ok(true)),
            (true, true, false, Ok(false)),
            (true, false, true, Ok(false)),
            (true, false, false, Ok(false)),
            (false, true, true, Ok(true)),
            (false, true, false, Err(HttpError::NotAcceptable)),
            (false, false, true, Err(HttpError::NotFound)),
        ] {
            assert_eq!(choose_gzip(plain, gz, accepts), want, "{plain} {gz} {accepts}");
        }
    }

    #[test]
    fn clean_never_yields_dot_segments_or_nul() {
        // A small exhaustive walk over short paths built from tricky pieces.
        let pieces = ["/", ".", "..", "%2e", "%2f", "a", "%00", "%", "\\", "//"];
        let mut stack = vec![String::from("/")];
        while let Some(p) = stack.pop() {
            if let Ok(c) = clean(p.as_bytes()) {
                let bytes = c.as_bytes();
                assert!(!bytes.contains(&0), "{p}");
                assert!(bytes.starts_with(b"/"), "{p}");
                for seg in c.segments() {
                    assert!(seg != b"." && seg != b".." && !seg.is_empty(), "{p}");
                }
            }
            if p.len() < 9 {
                for piece in pieces {
                    stack.push(format!("{p}{piece}"));
                }
            }
        }
    }
}
