//! The Range header (RFC 9110 §14.1-§14.2): one byte range, or none.

/// What a Range header asks of a representation of `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable Range: absent, another unit, malformed, or several ranges
    /// (§14.2 lets a server ignore Range; several ranges get the whole file).
    Whole,
    /// One satisfiable range, inclusive bounds, `first <= last < len`.
    Single { first: u64, last: u64 },
    /// One range that starts at or after the end (§15.5.17): 416.
    Unsatisfiable,
}

fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter()
        .try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

/// Parses a Range field value against a representation of `len` bytes.
pub fn parse(value: &[u8], len: u64) -> RangeRequest {
    let value = value.trim_ascii();
    // ranges-specifier = range-unit "=" range-set; the unit is case-insensitive (§14.1).
    let Some(eq) = value.iter().position(|&b| b == b'=') else {
        return RangeRequest::Whole;
    };
    if !value[..eq].eq_ignore_ascii_case(b"bytes") {
        return RangeRequest::Whole;
    }
    // range-set = 1#range-spec; empty list elements are allowed and skipped (§5.6.1).
    let mut specs = value[eq + 1..]
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|s| !s.is_empty());
    let (Some(spec), None) = (specs.next(), specs.next()) else {
        return RangeRequest::Whole;
    };
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    if first.is_empty() {
        // suffix-range = "-" suffix-length (§14.1.2)
        let Some(n) = number(last) else {
            return RangeRequest::Whole;
        };
        if n == 0 || len == 0 {
            return RangeRequest::Unsatisfiable;
        }
        return RangeRequest::Single {
            first: len.saturating_sub(n),
            last: len - 1,
        };
    }
    let Some(first) = number(first) else {
        return RangeRequest::Whole;
    };
    let last = if last.is_empty() {
        u64::MAX
    } else {
        match number(last) {
            // last-pos < first-pos makes the range-spec invalid (§14.1.2).
            Some(l) if l >= first => l,
            _ => return RangeRequest::Whole,
        }
    };
    if first >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Single {
        first,
        last: last.min(len - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{self, *};
    use super::parse;

    fn one(first: u64, last: u64) -> RangeRequest {
        Single { first, last }
    }

    #[test]
    fn rfc9110_14_1_2_range_table() {
        let len = 10_000;
        for (value, want) in [
            ("bytes=0-499", one(0, 499)),
            ("bytes=500-999", one(500, 999)),
            ("bytes=-500", one(9_500, 9_999)),
            ("bytes=9500-", one(9_500, 9_999)),
            ("bytes=0-0", one(0, 0)),
            ("bytes=-1", one(9_999, 9_999)),
            ("bytes=-20000", one(0, 9_999)),
            ("bytes=0-99999", one(0, 9_999)),
            ("BYTES=1-2", one(1, 2)),
            (" bytes=1-2 ", one(1, 2)),
            ("bytes= 1-2 ,", one(1, 2)),
            ("bytes=10000-", Unsatisfiable),
            ("bytes=10000-10001", Unsatisfiable),
            ("bytes=-0", Unsatisfiable),
            ("bytes=0-1,4-5", Whole),
            ("bytes=5-4", Whole),
            ("bytes=a-b", Whole),
            ("bytes=1-2-3", Whole),
            ("bytes=", Whole),
            ("bytes", Whole),
            ("items=0-1", Whole),
            ("bytes=+1-2", Whole),
            ("bytes=99999999999999999999-", Whole),
            ("bytes=18446744073709551615-", Unsatisfiable),
        ] {
            assert_eq!(parse(value.as_bytes(), len), want, "{value}");
        }
    }

    #[test]
    fn rfc9110_14_1_2_empty_representation() {
        assert_eq!(parse(b"bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse(b"bytes=-5", 0), Unsatisfiable);
    }

    #[test]
    fn largest_representation() {
        let len = u64::MAX;
        assert_eq!(parse(b"bytes=0-", len), one(0, u64::MAX - 1));
        assert_eq!(parse(b"bytes=-1", len), one(u64::MAX - 1, u64::MAX - 1));
        assert_eq!(
            parse(b"bytes=18446744073709551614-", len),
            one(u64::MAX - 1, u64::MAX - 1)
        );
        assert_eq!(parse(b"bytes=18446744073709551615-", len), Unsatisfiable);
    }

    #[test]
    fn over_4_gib_offsets() {
        let len = 5u64 << 30;
        assert_eq!(
            parse(b"bytes=4294967296-4294967305", len),
            one(4_294_967_296, 4_294_967_305)
        );
    }
}
