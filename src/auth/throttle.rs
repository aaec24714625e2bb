//! Login throttling in fixed memory.
//!
//! Per client: a table of `THROTTLE_SLOTS` addresses (an IPv6 client by its
//! /64, which one host can fill with addresses), the oldest evicted when
//! full. `THROTTLE_FAILURES` failed verifications within `THROTTLE_WINDOW`
//! block that address for `THROTTLE_BASE`, doubled at every further block up
//! to `THROTTLE_CAP`; a success clears it.
//!
//! Globally: more than `GLOBAL_FAILURES` failures within `THROTTLE_WINDOW`,
//! from any number of addresses, switch to slow mode, in which at most one
//! verification starts per `GLOBAL_INTERVAL` (others: 429, Retry-After 1 s).
//! That slows a guesser with many addresses to one guess a second, and never
//! locks the right password out for long: the real admin, from an address of
//! their own, gets a turn within seconds.
//!
//! Only finished verifications that failed count; a request without
//! credentials (every browser's first) does not.

use crate::clock::{Duration, Instant};
use crate::limits::{
    GLOBAL_FAILURES, GLOBAL_INTERVAL, THROTTLE_BASE, THROTTLE_CAP, THROTTLE_FAILURES, THROTTLE_SLOTS, THROTTLE_WINDOW,
};
use std::net::IpAddr;

/// A client as throttling sees it: IPv4 whole, IPv6 by its /64.
type Client = [u8; 16];

fn client(peer: IpAddr) -> Client {
    match peer {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_ipv6_mapped().octets(),
            None => {
                let mut c = v6.octets();
                c[8..].fill(0);
                c
            }
        },
    }
}

#[derive(Clone, Copy)]
struct Entry {
    client: Client,
    /// Failures in the window that began at `since`.
    failures: u32,
    since: Instant,
    /// Blocks so far: the next one lasts `THROTTLE_BASE * 2^blocks` (capped).
    blocks: u32,
    blocked_until: Instant,
    /// Last failure, for eviction.
    last: Instant,
}

pub struct Throttle {
    entries: Vec<Option<Entry>>,
    /// Failures from anyone in the window that began at `global_since`.
    global_failures: u32,
    global_since: Instant,
    /// In slow mode: when the next verification may start.
    next_start: Instant,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new()
    }
}

impl Throttle {
    pub fn new() -> Throttle {
        Throttle {
            entries: vec![None; THROTTLE_SLOTS],
            global_failures: 0,
            global_since: Instant::from_millis(0),
            next_start: Instant::from_millis(0),
        }
    }

    fn find(&self, c: &Client) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.as_ref().is_some_and(|e| &e.client == c))
    }

    /// Addresses blocked at `now` (for the status line).
    pub fn blocked(&self, now: Instant) -> usize {
        self.entries.iter().flatten().filter(|e| now < e.blocked_until).count()
    }

    /// May `peer` start a verification now? `Err(seconds)` to wait (429).
    pub fn may_start(&mut self, peer: IpAddr, now: Instant) -> Result<(), u32> {
        if let Some(e) = self.find(&client(peer)).and_then(|i| self.entries[i]) {
            if now < e.blocked_until {
                return Err(seconds(e.blocked_until - now));
            }
        }
        if self.slow(now) {
            if now < self.next_start {
                return Err(seconds(self.next_start - now));
            }
            self.next_start = now + GLOBAL_INTERVAL;
        }
        Ok(())
    }

    /// Slow mode: too many failures from anyone lately.
    fn slow(&mut self, now: Instant) -> bool {
        if now - self.global_since >= THROTTLE_WINDOW {
            self.global_since = now;
            self.global_failures = 0;
        }
        self.global_failures > GLOBAL_FAILURES
    }

    /// A verification for `peer` failed.
    pub fn failed(&mut self, peer: IpAddr, now: Instant) {
        self.slow(now);
        self.global_failures = self.global_failures.saturating_add(1);
        let c = client(peer);
        let i = match self.find(&c) {
            Some(i) => i,
            None => {
                // An empty slot, else the unblocked one whose last failure is
                // oldest (a blocked address is evicted only if all are).
                let i = self.entries.iter().position(Option::is_none).unwrap_or_else(|| {
                    let age = |i: &usize| self.entries[*i].map(|e| (now < e.blocked_until, e.last));
                    (0..self.entries.len()).min_by_key(age).unwrap_or(0)
                });
                let Some(slot) = self.entries.get_mut(i) else {
                    return;
                };
                *slot = Some(Entry {
                    client: c,
                    failures: 0,
                    since: now,
                    blocks: 0,
                    blocked_until: now,
                    last: now,
                });
                i
            }
        };
        let Some(e) = self.entries[i].as_mut() else {
            return;
        };
        if now - e.since >= THROTTLE_WINDOW {
            e.since = now;
            e.failures = 0;
        }
        // A quiet spell as long as the cap forgives earlier blocks.
        if now - e.last >= THROTTLE_CAP + THROTTLE_WINDOW {
            e.blocks = 0;
        }
        e.last = now;
        e.failures += 1;
        if e.failures >= THROTTLE_FAILURES {
            let ms = THROTTLE_BASE.millis().saturating_mul(1 << e.blocks.min(16));
            e.blocked_until = now + Duration::from_millis(ms.min(THROTTLE_CAP.millis()));
            e.blocks += 1;
            e.failures = 0;
        }
    }

    /// A verification for `peer` succeeded: its record goes.
    pub fn succeeded(&mut self, peer: IpAddr) {
        if let Some(i) = self.find(&client(peer)) {
            self.entries[i] = None;
        }
    }
}

/// Whole seconds, rounded up, at least 1 (Retry-After, RFC 9110 §10.2.3).
fn seconds(d: Duration) -> u32 {
    u32::try_from(d.millis().div_ceil(1000).max(1)).unwrap_or(u32::MAX)
}

/// Bytes one throttle slot takes (README states the table's memory).
pub fn entry_size() -> usize {
    std::mem::size_of::<Option<Entry>>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 66));
    const ADMIN: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));

    #[test]
    fn blocks_after_k_failures_then_doubles_then_recovers() {
        let mut t = Throttle::new();
        let mut now = 1_000_000;
        for _ in 0..THROTTLE_FAILURES - 1 {
            assert_eq!(t.may_start(A, at(now)), Ok(()));
            t.failed(A, at(now));
        }
        t.failed(A, at(now));
        let base = seconds(THROTTLE_BASE);
        assert_eq!(t.may_start(A, at(now)), Err(base));
        assert_eq!(t.may_start(ADMIN, at(now)), Ok(()), "another address is not blocked");
        // After the block: K more failures block twice as long.
        now += THROTTLE_BASE.millis();
        assert_eq!(t.may_start(A, at(now)), Ok(()));
        for _ in 0..THROTTLE_FAILURES {
            t.failed(A, at(now));
        }
        assert_eq!(t.may_start(A, at(now)), Err(2 * base));
        // Doubling stops at the cap.
        for _ in 0..20 {
            now += THROTTLE_CAP.millis();
            for _ in 0..THROTTLE_FAILURES {
                t.failed(A, at(now));
            }
        }
        assert_eq!(t.may_start(A, at(now)), Err(seconds(THROTTLE_CAP)));
        // Failures spread wider than the window never block.
        let mut t = Throttle::new();
        for k in 0..10 * u64::from(THROTTLE_FAILURES) {
            t.failed(
                A,
                at(k * THROTTLE_WINDOW.millis() / u64::from(THROTTLE_FAILURES - 1) + 1),
            );
        }
        assert!(t.may_start(A, at(100 * THROTTLE_WINDOW.millis())).is_ok());
        // A success clears the record.
        let mut t = Throttle::new();
        for _ in 0..THROTTLE_FAILURES - 1 {
            t.failed(A, at(5));
        }
        t.succeeded(A);
        t.failed(A, at(6));
        assert_eq!(t.may_start(A, at(6)), Ok(()));
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let mut t = Throttle::new();
        for k in 0..u16::try_from(THROTTLE_FAILURES).unwrap() {
            let addr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, k, k, k, k));
            t.failed(addr, at(10));
        }
        let other = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9));
        assert!(t.may_start(other, at(10)).is_err(), "the whole /64 is one client");
        let next = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert_eq!(t.may_start(next, at(10)), Ok(()));
    }

    #[test]
    fn a_full_table_still_throttles_and_many_addresses_slow_everyone() {
        let mut t = Throttle::new();
        // More attackers than slots, each failing K times in turn: the table
        // evicts the oldest, and every new one is still blocked after K.
        for n in 0..(2 * THROTTLE_SLOTS) as u32 {
            let addr = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
            for _ in 0..THROTTLE_FAILURES {
                t.failed(addr, at(1_000));
            }
            assert!(t.may_start(addr, at(1_000)).is_err(), "address {n}");
        }
        // Far more than GLOBAL_FAILURES in the window: slow mode. The admin
        // from a fresh address starts one verification, then waits a second.
        assert_eq!(t.may_start(ADMIN, at(1_000)), Ok(()));
        assert_eq!(t.may_start(ADMIN, at(1_001)), Err(1));
        assert_eq!(t.may_start(ADMIN, at(1_000 + GLOBAL_INTERVAL.millis())), Ok(()));
        // The window passes without failures: normal again.
        let later = 1_000 + THROTTLE_WINDOW.millis() + 1;
        assert_eq!(t.may_start(ADMIN, at(later)), Ok(()));
        assert_eq!(t.may_start(ADMIN, at(later)), Ok(()));
    }
}
