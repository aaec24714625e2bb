//! Monotonic time as two types: a point (`Instant`) and a span (`Duration`).
//!
//! A bare millisecond integer let a deadline be added to a deadline; the types
//! say which is which, as smoltcp's do: point + span = point, point - point =
//! span, and nothing else compiles. Millisecond resolution: every timeout is
//! seconds long. The loop reads the clock once per iteration (`now`) and
//! passes it down, so the connection code runs under a fake clock in the fuzz
//! harness. Arithmetic saturates: a point past `Instant::NEVER` is "never".

use core::ops::{Add, Sub};

/// A point on the monotonic clock (CLOCK_MONOTONIC), in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

/// A span of time, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Instant {
    /// Later than any deadline: "no deadline".
    pub const NEVER: Instant = Instant(u64::MAX);

    pub const fn from_millis(ms: u64) -> Instant {
        Instant(ms)
    }

    /// Milliseconds since the clock's origin (for tests and fake clocks).
    pub const fn millis(self) -> u64 {
        self.0
    }

    /// The span from `earlier` to `self`; zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms)
    }

    pub const fn from_secs(secs: u64) -> Duration {
        Duration(secs.saturating_mul(1000))
    }

    pub const fn millis(self) -> u64 {
        self.0
    }

    /// As a poll(2) timeout: whole milliseconds, at most `i32::MAX`.
    pub fn poll_timeout(self) -> i32 {
        i32::try_from(self.0).unwrap_or(i32::MAX)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.since(earlier)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

/// Reads the monotonic clock (CLOCK_MONOTONIC never fails on Linux; a failure
/// would read as time standing still, which only delays timeouts).
pub fn now() -> Instant {
    Instant(
        nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).map_or(0, |t| {
            u64::try_from(t.tv_sec()).unwrap_or(0) * 1000 + u64::try_from(t.tv_nsec()).unwrap_or(0) / 1_000_000
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_spans_saturate() {
        let t = Instant::from_millis(1_000);
        assert_eq!((t + Duration::from_secs(2)).millis(), 3_000);
        assert_eq!(t + Duration::from_millis(u64::MAX), Instant::NEVER);
        assert_eq!(t - Instant::from_millis(400), Duration::from_millis(600));
        assert_eq!(Instant::from_millis(400) - t, Duration::ZERO);
        assert_eq!(Duration::from_millis(u64::MAX).poll_timeout(), i32::MAX);
        assert_eq!(Duration::from_secs(u64::MAX), Duration::from_millis(u64::MAX));
    }
}
