//! Logins for protected prefixes: Basic credentials (`basic`) checked against
//! the credentials file (`credentials`) by hashes verified in slices (`hash`).
//!
//! `Logins::decide` is the access step for credentials, between the Host
//! check and routing (`conn.rs`, `Reading`): a request outside every
//! protected prefix goes on; one inside needs credentials. A recent success
//! (a keyed hash of the exact Authorization value, `AUTH_CACHE_TTL`) lets it
//! through at once, so a page of 30 assets costs one verification; otherwise
//! a verification starts in one of `MAX_VERIFICATIONS` fixed slots, the
//! connection waits in `Verifying`, and the loop advances every slot by
//! `VERIFY_SLICE` work units per poll turn (`advance`), serving static files
//! in between. An unknown user costs the same work (a stand-in hash of the
//! first user's kind); the final compare is constant-time (`hash.rs`).

pub mod basic;
pub mod credentials;
pub mod hash;
pub mod throttle;

use crate::clock::Instant;
use crate::error::HttpError;
use crate::limits::{AUTH_CACHE_ENTRIES, AUTH_CACHE_TTL, MAX_USER_LEN, MAX_VERIFICATIONS};
use crate::path;
use crate::request::Request;
use crate::sink::Escaped;
use credentials::Credentials;
use hash::{StoredHash, Verification};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use subtle::ConstantTimeEq;
use throttle::Throttle;

/// What the access step says of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Not protected: serve as usual.
    Open,
    /// Protected, and the credentials were verified (cached success).
    Granted,
    /// Protected, and refused now (no or malformed credentials: 401; every
    /// slot busy: 503).
    Refused(HttpError),
    /// A verification started: wait for `Logins::outcome(ticket)`.
    Verify(Ticket),
}

/// A claim on a verification slot; stale once the slot is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    slot: u8,
    generation: u64,
}

// A slot holds a bcrypt key schedule (~4 KiB) while busy; the table of
// them is allocated once, so no verification allocates.
#[allow(clippy::large_enum_variant)]
enum Slot {
    Free,
    Busy {
        generation: u64,
        work: Verification,
        /// The user is in the file (else the result is "no" whatever the work says).
        known: bool,
        /// Cache key of the credentials, stored on success.
        key: [u8; 16],
        /// Who tried, for throttling and the log.
        peer: IpAddr,
        user: [u8; MAX_USER_LEN],
        user_len: u8,
    },
    Finished {
        generation: u64,
        granted: bool,
    },
}

struct CacheEntry {
    key: [u8; 16],
    until: Instant,
}

/// The login state of the server: fixed tables, allocated at start-up.
pub struct Logins {
    creds: Option<Credentials>,
    /// Protected prefixes, normalised (`/admin`), compared at segment boundaries.
    protect: Vec<Vec<u8>>,
    /// The work an unknown user costs: the first user's kind of hash.
    stand_in: Option<StoredHash>,
    slots: Vec<Slot>,
    generations: u64,
    cache: Vec<Option<CacheEntry>>,
    /// Per-process random key for the success cache (never leaves memory).
    cache_key: [u8; 32],
    throttle: Throttle,
}

impl Logins {
    /// Addresses whose logins are blocked now (for the status line).
    pub fn throttled(&self, now: Instant) -> usize {
        self.throttle.blocked(now)
    }

    /// No login anywhere (no `--auth-file`).
    pub fn none() -> Logins {
        Logins::new(None, Vec::new(), [0; 32])
    }

    /// `protect` are normalised prefixes (`normalise_prefix`); `cache_key` random.
    pub fn new(creds: Option<Credentials>, protect: Vec<Vec<u8>>, cache_key: [u8; 32]) -> Logins {
        let stand_in = creds.as_ref().and_then(|c| c.users.first()).map(|u| u.hash);
        Logins {
            creds,
            protect,
            stand_in,
            slots: (0..MAX_VERIFICATIONS).map(|_| Slot::Free).collect(),
            generations: 0,
            cache: (0..AUTH_CACHE_ENTRIES).map(|_| None).collect(),
            cache_key,
            throttle: Throttle::new(),
        }
    }

    /// Whether `path` (clean, decoded) lies in a protected prefix (`path::under`).
    fn is_protected(&self, path: &[u8]) -> bool {
        self.protect.iter().any(|p| path::under(path, p))
    }

    /// The access step for credentials, for a request from `peer`.
    pub fn decide(&mut self, req: &Request<'_>, peer: IpAddr, now: Instant) -> Decision {
        if self.protect.is_empty() {
            return Decision::Open;
        }
        // Routing cleans the path again; a path that does not clean is a 400 there.
        let Ok(clean) = path::clean(req.path) else {
            return Decision::Open;
        };
        if !self.is_protected(clean.as_bytes()) {
            return Decision::Open;
        }
        let (Some(creds), Some(stand_in), Some(value)) = (&self.creds, self.stand_in, req.authorization) else {
            return Decision::Refused(HttpError::Unauthorized);
        };
        let Some(basic) = basic::parse(value) else {
            return Decision::Refused(HttpError::Unauthorized);
        };
        let key = self.cache_key_of(value);
        if self.cached(&key, now) {
            return Decision::Granted;
        }
        let Some(slot) = self.slots.iter().position(|s| matches!(s, Slot::Free)) else {
            return Decision::Refused(HttpError::ServiceUnavailable);
        };
        if let Err(retry_after) = self.throttle.may_start(peer, now) {
            return Decision::Refused(HttpError::TooManyRequests { retry_after });
        }
        let mut user = [0u8; MAX_USER_LEN];
        let user_len = basic.user().len().min(MAX_USER_LEN);
        user[..user_len].copy_from_slice(&basic.user()[..user_len]);
        let (hash, known) = match creds.find(basic.user()) {
            Some(u) => (u.hash, true),
            None => (stand_in, false),
        };
        self.generations += 1;
        self.slots[slot] = Slot::Busy {
            generation: self.generations,
            work: Verification::start(&hash, basic.password()),
            known,
            key,
            peer,
            user,
            // MAX_USER_LEN ≤ 255 (limits.rs).
            user_len: user_len as u8,
        };
        Decision::Verify(Ticket {
            // MAX_VERIFICATIONS ≤ 255 (limits.rs).
            slot: slot as u8,
            generation: self.generations,
        })
    }

    /// Advances every verification in progress by `budget` work units;
    /// returns whether any is still in progress.
    pub fn advance(&mut self, budget: u64, now: Instant) -> bool {
        let mut busy = false;
        for i in 0..self.slots.len() {
            let Slot::Busy {
                generation,
                work,
                known,
                key,
                peer,
                user,
                user_len,
            } = &mut self.slots[i]
            else {
                continue;
            };
            match work.advance(budget) {
                None => busy = true,
                Some(matched) => {
                    let granted = matched && *known;
                    let (generation, key, peer) = (*generation, *key, *peer);
                    if granted {
                        self.remember(key, now);
                        self.throttle.succeeded(peer);
                    } else {
                        // For a ban script on the router: who, from where (escaped).
                        let user = Escaped(&user[..usize::from(*user_len)]);
                        log::warn!("login failed: user \"{user}\" from {peer}");
                        self.throttle.failed(peer, now);
                    }
                    self.slots[i] = Slot::Finished { generation, granted };
                }
            }
        }
        busy
    }

    /// Whether a verification is in progress (the loop must not sleep).
    pub fn in_progress(&self) -> bool {
        self.slots.iter().any(|s| matches!(s, Slot::Busy { .. }))
    }

    /// The result for `ticket` once finished (the slot is then free); `None`
    /// while it runs. A stale ticket reads as refused.
    pub fn outcome(&mut self, ticket: Ticket) -> Option<bool> {
        let slot = self.slots.get_mut(usize::from(ticket.slot))?;
        match slot {
            Slot::Busy { generation, .. } if *generation == ticket.generation => None,
            Slot::Finished { generation, granted } if *generation == ticket.generation => {
                let granted = *granted;
                *slot = Slot::Free;
                Some(granted)
            }
            Slot::Busy { .. } | Slot::Finished { .. } | Slot::Free => Some(false),
        }
    }

    /// The connection holding `ticket` is gone: free its slot.
    pub fn abandon(&mut self, ticket: Ticket) {
        if let Some(slot) = self.slots.get_mut(usize::from(ticket.slot)) {
            let mine = match slot {
                Slot::Busy { generation, .. } | Slot::Finished { generation, .. } => *generation == ticket.generation,
                Slot::Free => false,
            };
            if mine {
                *slot = Slot::Free;
            }
        }
    }

    fn cache_key_of(&self, value: &[u8]) -> [u8; 16] {
        let digest = Sha256::new()
            .chain_update(self.cache_key)
            .chain_update(value)
            .finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    }

    fn cached(&self, key: &[u8; 16], now: Instant) -> bool {
        self.cache
            .iter()
            .flatten()
            .any(|e| now < e.until && bool::from(e.key.ct_eq(key)))
    }

    fn remember(&mut self, key: [u8; 16], now: Instant) {
        let entry = CacheEntry {
            key,
            until: now + AUTH_CACHE_TTL,
        };
        // An empty or expired entry, else the one expiring first.
        let i = self
            .cache
            .iter()
            .position(|e| e.as_ref().is_none_or(|e| e.until <= now))
            .or_else(|| (0..self.cache.len()).min_by_key(|&i| self.cache[i].as_ref().map(|e| e.until)));
        if let Some(i) = i {
            self.cache[i] = Some(entry);
        }
    }
}

/// A `--protect` prefix in the form `is_protected` compares: clean (as a
/// request path would be), without a trailing slash (`/` stays `/`).
pub fn normalise_prefix(prefix: &str) -> Result<Vec<u8>, String> {
    let clean =
        path::clean(prefix.as_bytes()).map_err(|_| format!("--protect {prefix}: not a clean path like /admin"))?;
    Ok(clean.as_bytes().to_vec())
}

/// 32 random bytes from the kernel (getrandom(2)), for keys made at start-up.
pub fn random_key() -> Result<[u8; 32], String> {
    let mut key = [0u8; 32];
    let mut filled = 0;
    while filled < key.len() {
        // SAFETY: writes at most `key.len() - filled` bytes into `key[filled..]`, which is that long.
        let n = unsafe { nix::libc::getrandom(key[filled..].as_mut_ptr().cast(), key.len() - filled, 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(format!("getrandom: {e}"));
        }
        filled += n as usize;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, Version};

    const H6: &str =
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
    /// `admin:Hello world!`
    const GOOD: &[u8] = b"Basic YWRtaW46SGVsbG8gd29ybGQh";
    /// `admin:wrong`
    const BAD: &[u8] = b"Basic YWRtaW46d3Jvbmc=";
    /// `nobody:Hello world!`
    const UNKNOWN: &[u8] = b"Basic bm9ib2R5OkhlbGxvIHdvcmxkIQ==";

    fn logins() -> Logins {
        let creds = credentials::parse(&format!("admin:{H6}\n"), |_| Err(String::new())).unwrap();
        let protect = vec![normalise_prefix("/admin/").unwrap()];
        Logins::new(Some(creds), protect, [7; 32])
    }

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn decide(l: &mut Logins, path: &[u8], auth: Option<&[u8]>, now: u64) -> Decision {
        let mut r = Request::new(Method::Get, Version::Http11, path);
        r.authorization = auth;
        l.decide(&r, std::net::IpAddr::from([192, 168, 1, 2]), at(now))
    }

    fn run(l: &mut Logins, t: Ticket) -> (bool, usize) {
        let mut turns = 0;
        loop {
            turns += 1;
            l.advance(256, at(0));
            if let Some(ok) = l.outcome(t) {
                return (ok, turns);
            }
        }
    }

    #[test]
    fn prefixes_match_at_segment_boundaries_in_any_spelling() {
        let mut l = logins();
        for open in [&b"/"[..], b"/adminx", b"/index.html", b"/x/admin"] {
            assert_eq!(
                decide(&mut l, open, None, 0),
                Decision::Open,
                "{}",
                String::from_utf8_lossy(open)
            );
        }
        for closed in [
            &b"/admin"[..],
            b"/admin/",
            b"/admin/x.html",
            b"//admin/x",
            b"/./admin",
            b"/%61dmin/",
            b"/ADMIN/x",
            b"/Admin",
        ] {
            assert_eq!(
                decide(&mut l, closed, None, 0),
                Decision::Refused(HttpError::Unauthorized),
                "{}",
                String::from_utf8_lossy(closed)
            );
        }
    }

    #[test]
    fn verification_in_slices_then_the_cache() {
        let mut l = logins();
        let Decision::Verify(t) = decide(&mut l, b"/admin/", Some(GOOD), 0) else {
            panic!("no verification");
        };
        let (ok, turns) = run(&mut l, t);
        assert!(ok && turns >= 5000 / 256, "ok {ok} after {turns} turns");
        assert!(!l.in_progress());
        assert_eq!(
            decide(&mut l, b"/admin/app.js", Some(GOOD), 1_000),
            Decision::Granted,
            "cached"
        );
        let ttl = AUTH_CACHE_TTL.millis();
        assert!(
            matches!(decide(&mut l, b"/admin/", Some(GOOD), ttl), Decision::Verify(_)),
            "expired"
        );
        // The stale ticket of a finished verification reads as refused.
        assert_eq!(l.outcome(t), Some(false));
    }

    #[test]
    fn wrong_and_unknown_cost_the_same_and_fail() {
        let mut l = logins();
        let mut turns = Vec::new();
        for auth in [GOOD, BAD, UNKNOWN] {
            let Decision::Verify(t) = decide(&mut l, b"/admin/", Some(auth), 0) else {
                panic!("no verification");
            };
            let (ok, n) = run(&mut l, t);
            assert_eq!(ok, auth == GOOD);
            turns.push(n);
        }
        assert!(
            turns.iter().all(|&n| n == turns[0]),
            "turns per verification: {turns:?}"
        );
        for bad in [&b"Basic"[..], b"Bearer x", b"Basic !!!!"] {
            assert_eq!(
                decide(&mut l, b"/admin", Some(bad), 0),
                Decision::Refused(HttpError::Unauthorized)
            );
        }
    }

    #[test]
    fn busy_slots_refuse_with_503_and_abandoned_ones_come_back() {
        let mut l = logins();
        let tickets: Vec<Ticket> = (0..MAX_VERIFICATIONS)
            .map(|_| match decide(&mut l, b"/admin/", Some(BAD), 0) {
                Decision::Verify(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            decide(&mut l, b"/admin/", Some(BAD), 0),
            Decision::Refused(HttpError::ServiceUnavailable)
        );
        l.abandon(tickets[0]);
        assert!(matches!(decide(&mut l, b"/admin/", Some(BAD), 0), Decision::Verify(_)));
    }
}

#[cfg(test)]
mod memory {
    use super::*;

    /// The fixed tables' sizes, as README.md states them (bytes, this build).
    #[test]
    fn table_sizes() {
        let slots = MAX_VERIFICATIONS * std::mem::size_of::<Slot>();
        let cache = AUTH_CACHE_ENTRIES * std::mem::size_of::<Option<CacheEntry>>();
        let throttle = crate::limits::THROTTLE_SLOTS * throttle::entry_size();
        eprintln!("verification slots {slots}, cache {cache}, throttle {throttle}");
        assert!(slots <= 20 * 1024 && cache <= 1024 && throttle <= 5 * 1024);
    }
}
