//! What every connection shares, in one place: owned by the server, lent to
//! one connection per call (`Conn::on_ready(.., &mut Services)`). The fuzz
//! harness and the tests build the same struct, so no list of these fields
//! is written twice.

use crate::access_log::AccessLog;
use crate::auth::Logins;
use crate::bufs::LargePool;
use crate::clock::Instant;
use crate::config::ServeConfig;
use crate::date::DateCache;
use crate::filecache::FileCache;
use crate::limits::{FALLBACK_BUF, MAX_PROXIED};
use crate::proxy::Upstreams;
use std::os::fd::OwnedFd;

pub struct Services {
    /// The web root directory: every path is opened beneath it.
    pub root: OwnedFd,
    pub cfg: ServeConfig,
    /// The loop's clock reading for this turn (read once per turn).
    pub now: Instant,
    /// Shutting down: finish what is in flight, start nothing new.
    pub draining: bool,
    /// Date header and access-log time, formatted once a second.
    pub date: DateCache,
    pub files: FileCache,
    /// The large head buffers, lent while a head outgrows a slot's small one.
    pub pool: LargePool,
    /// One buffer for two passing uses, never held between calls: a small
    /// body read to go out with its head in one send, and the read/send
    /// fallback's chunk.
    pub scratch: Vec<u8>,
    pub log: AccessLog,
    /// Protected prefixes, credentials, verifications in progress.
    pub logins: Logins,
    /// The proxy's channels (none unless `--proxy` is given).
    pub upstreams: Upstreams,
}

impl Services {
    /// Everything allocated now, once: pages are touched only when used.
    pub fn new(cfg: ServeConfig, root: OwnedFd, log: AccessLog, now: Instant, wall_secs: i64) -> Services {
        let channels = if cfg.proxy.routes.is_empty() { 0 } else { MAX_PROXIED };
        Services {
            upstreams: Upstreams::new(channels),
            root,
            cfg,
            now,
            draining: false,
            date: DateCache::new(wall_secs),
            files: FileCache::new(),
            pool: LargePool::new(),
            scratch: vec![0u8; FALLBACK_BUF],
            log,
            logins: Logins::none(),
        }
    }
}
