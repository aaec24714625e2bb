//! Validated, frozen configuration: everything checked before any socket opens.

use crate::cli::Args;
use crate::conn::ServeConfig;
use crate::limits::{
    DEFAULT_HEADER_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_WRITE_TIMEOUT_MS, MAX_CONNECTIONS, MAX_LISTENERS,
    MAX_NAME_LEN, MAX_TIMEOUT_SECS,
};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The whole configuration of one run.
#[derive(Debug)]
pub struct Config {
    pub root: PathBuf,
    pub listen: Vec<SocketAddr>,
    pub log_level: log::LevelFilter,
    pub access_log: bool,
    pub serve: ServeConfig,
}

fn timeout(flag: &str, secs: Option<u64>, default_ms: u64) -> Result<u64, String> {
    match secs {
        None => Ok(default_ms),
        Some(s) if (1..=MAX_TIMEOUT_SECS).contains(&s) => Ok(s * 1000),
        Some(_) => Err(format!("--{flag} must be 1 to {MAX_TIMEOUT_SECS} seconds")),
    }
}

impl Config {
    /// Checks every flag; the error is one line naming the problem.
    pub fn from_args(args: Args) -> Result<Config, String> {
        let root = PathBuf::from(&args.root);
        match std::fs::metadata(&root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(format!("--root {}: not a directory", args.root)),
            Err(e) => return Err(format!("--root {}: {e}", args.root)),
        }
        let mut listen = Vec::new();
        for l in if args.listen.is_empty() {
            vec![String::from("0.0.0.0:80")]
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
            listen,
            log_level: level,
            access_log: !args.quiet,
            serve: ServeConfig {
                max_connections,
                index,
                cache_control: args.cache_control.map(String::into_bytes),
                idle_timeout_ms: timeout("idle-timeout", args.idle_timeout, DEFAULT_IDLE_TIMEOUT_MS)?,
                header_timeout_ms: timeout("header-timeout", args.header_timeout, DEFAULT_HEADER_TIMEOUT_MS)?,
                write_timeout_ms: timeout("write-timeout", args.write_timeout, DEFAULT_WRITE_TIMEOUT_MS)?,
                sendfile: !args.no_sendfile,
            },
        })
    }
}
