//! Validated, frozen configuration: everything checked before any socket opens.

use crate::access_log::AccessLog;
use crate::cli::Args;
use crate::clock::Duration;
use crate::limits::{
    DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_LISTEN, DEFAULT_ROOT, DEFAULT_USER, DEFAULT_WRITE_TIMEOUT,
    MAX_CONNECTIONS, MAX_LISTENERS, MAX_NAME_LEN, MAX_TIMEOUT_SECS,
};
use std::net::SocketAddr;
use std::path::PathBuf;

/// How file bodies travel from the file to the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyCopy {
    /// sendfile(2): kernel to socket, no copy through user space (the default).
    Sendfile,
    /// pread(2) into a shared buffer, then send(2): `--no-sendfile`, for file
    /// systems whose sendfile misbehaves; also what a file sendfile refuses gets.
    ReadSend,
}

/// Settings the serving loop and its connections read; fixed at start-up.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Slots in the connection table (≤ `limits::MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// File served for a directory path ending in `/`.
    pub index: Vec<u8>,
    /// `Cache-Control` value for file responses, if any.
    pub cache_control: Option<Vec<u8>>,
    pub idle_timeout: Duration,
    pub header_timeout: Duration,
    pub write_timeout: Duration,
    pub body_copy: BodyCopy,
}

impl ServeConfig {
    /// The defaults of every flag, with `max_connections` slots (tests, fuzzing).
    pub fn with_defaults(max_connections: usize) -> ServeConfig {
        ServeConfig {
            max_connections,
            index: b"index.html".to_vec(),
            cache_control: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            body_copy: BodyCopy::Sendfile,
        }
    }
}

/// The whole configuration of one run.
#[derive(Debug)]
pub struct Config {
    /// The web root, canonical (symlinks in the path resolved once, at start-up).
    pub root: PathBuf,
    /// Target uid and gid when started as root.
    pub uid: u32,
    pub gid: u32,
    pub chroot: bool,
    pub strict: bool,
    pub require_landlock: bool,
    pub check: bool,
    pub listen: Vec<SocketAddr>,
    pub log_level: log::LevelFilter,
    pub access_log: AccessLog,
    pub serve: ServeConfig,
}

fn timeout(flag: &str, secs: Option<u64>, default: Duration) -> Result<Duration, String> {
    match secs {
        None => Ok(default),
        Some(s) if (1..=MAX_TIMEOUT_SECS).contains(&s) => Ok(Duration::from_secs(s)),
        Some(_) => Err(format!("--{flag} must be 1 to {MAX_TIMEOUT_SECS} seconds")),
    }
}

impl Config {
    /// Checks every flag; the error is one line naming the problem.
    pub fn from_args(args: Args) -> Result<Config, String> {
        let Some(root_arg) = args.root.as_deref().or(DEFAULT_ROOT) else {
            return Err(String::from("Required options not provided: --root"));
        };
        let root = match std::fs::canonicalize(root_arg) {
            Ok(p) => p,
            Err(e) => return Err(format!("--root {root_arg}: {e}")),
        };
        if !root.is_dir() {
            return Err(format!("--root {root_arg}: not a directory"));
        }
        if root == std::path::Path::new("/") {
            return Err(format!("--root {root_arg}: refusing to serve the whole file system"));
        }
        let (uid, gid) = parse_user(args.user.as_deref().unwrap_or(DEFAULT_USER))?;
        let mut listen = Vec::new();
        for l in if args.listen.is_empty() {
            vec![String::from(DEFAULT_LISTEN)]
        } else {
            args.listen
        } {
            let addr: SocketAddr = l
                .parse()
                .map_err(|_| format!("--listen {l}: not an ADDR:PORT (IPv6 as [::1]:8080)"))?;
            listen.push(addr);
        }
        if listen.len() > MAX_LISTENERS {
            return Err(format!("at most {MAX_LISTENERS} --listen addresses"));
        }
        let max_connections = args.max_connections.unwrap_or(MAX_CONNECTIONS);
        if !(1..=MAX_CONNECTIONS).contains(&max_connections) {
            return Err(format!("--max-connections must be 1 to {MAX_CONNECTIONS}"));
        }
        let index = args.index.into_bytes();
        if index.is_empty()
            || index.len() > MAX_NAME_LEN
            || index[0] == b'.'
            || index.contains(&b'/')
            || index.contains(&0)
        {
            return Err(String::from("--index must be a plain file name (no '/', not hidden)"));
        }
        // A header value may hold visible ASCII, spaces and tabs; never CR/LF.
        if let Some(cc) = &args.cache_control {
            if cc.is_empty() || !cc.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
                return Err(String::from("--cache-control must be printable ASCII"));
            }
        }
        let level = match args.log_level.as_deref() {
            None if args.quiet => log::LevelFilter::Warn,
            None => log::LevelFilter::Info,
            Some(l) => l
                .parse()
                .map_err(|_| format!("--log-level {l}: use error, warn, info, debug or trace"))?,
        };
        Ok(Config {
            root,
            uid,
            gid,
            chroot: !args.no_chroot,
            strict: args.strict,
            require_landlock: args.require_landlock,
            check: args.check,
            listen,
            log_level: level,
            access_log: if args.quiet { AccessLog::Off } else { AccessLog::On },
            serve: ServeConfig {
                max_connections,
                index,
                cache_control: args.cache_control.map(String::into_bytes),
                idle_timeout: timeout("idle-timeout", args.idle_timeout, DEFAULT_IDLE_TIMEOUT)?,
                header_timeout: timeout("header-timeout", args.header_timeout, DEFAULT_HEADER_TIMEOUT)?,
                write_timeout: timeout("write-timeout", args.write_timeout, DEFAULT_WRITE_TIMEOUT)?,
                body_copy: if args.no_sendfile {
                    BodyCopy::ReadSend
                } else {
                    BodyCopy::Sendfile
                },
            },
        })
    }
}

/// `--user`: `UID[:GID]` (GID defaults to UID) or a user name, looked up now,
/// while /etc/passwd is still visible. uid 0 and gid 0 are refused: the point
/// is to stop being root.
pub fn parse_user(spec: &str) -> Result<(u32, u32), String> {
    let numeric = |s: &str| s.parse::<u32>().ok();
    let (uid, gid) = match spec.split_once(':') {
        Some((u, g)) => (
            numeric(u).ok_or_else(|| format!("--user {spec}: UID must be a number"))?,
            numeric(g).ok_or_else(|| format!("--user {spec}: GID must be a number"))?,
        ),
        None => match numeric(spec) {
            Some(u) => (u, u),
            None => match nix::unistd::User::from_name(spec) {
                Ok(Some(user)) => (user.uid.as_raw(), user.gid.as_raw()),
                Ok(None) => return Err(format!("--user {spec}: no such user")),
                Err(e) => return Err(format!("--user {spec}: {e}")),
            },
        },
    };
    if uid == 0 || gid == 0 {
        return Err(format!("--user {spec}: refusing uid 0 or gid 0"));
    }
    // (uid_t)-1 means "leave unchanged" to setresuid/setresgid.
    if uid == u32::MAX || gid == u32::MAX {
        return Err(format!("--user {spec}: refusing uid or gid 4294967295 (-1)"));
    }
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::parse_user;

    #[test]
    fn user_specs() {
        assert_eq!(parse_user("65534:65534"), Ok((65534, 65534)));
        assert_eq!(parse_user("1000"), Ok((1000, 1000)));
        assert_eq!(parse_user("1000:100"), Ok((1000, 100)));
        assert!(parse_user("0").is_err());
        assert!(parse_user("0:0").is_err());
        assert!(parse_user("65534:0").is_err());
        assert!(parse_user("4294967295").is_err());
        assert!(parse_user("65534:4294967295").is_err());
        assert!(parse_user("root").is_err());
        assert!(parse_user("x:y").is_err());
        assert!(parse_user("no-such-user-here").is_err());
    }
}
