//! HTTP dates (RFC 9110 §5.6.7) and the access log's date, without allocation.
//!
//! Formatting writes into fixed arrays; parsing takes bytes and returns Unix seconds.

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const LONG_DAYS: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const IMF_LEN: usize = 29;
/// Length of a Common Log Format date: `06/Nov/1994:08:49:37 +0000`.
pub const CLF_LEN: usize = 26;

/// A broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32, // 1..=12
    day: u32,   // 1..=31
    hour: u32,
    min: u32,
    sec: u32,
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A civil date to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn to_civil(secs: i64) -> (Civil, usize) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    let weekday = days.rem_euclid(7) as usize; // 0 = Thursday
    (
        Civil {
            year,
            month,
            day,
            hour: rem / 3600,
            min: rem / 60 % 60,
            sec: rem % 60,
        },
        weekday,
    )
}

fn put2(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

fn put4(out: &mut [u8], v: i64) {
    let v = v.clamp(0, 9999) as u32;
    put2(&mut out[..2], v / 100);
    put2(&mut out[2..], v % 100);
}

/// Formats Unix seconds as an IMF-fixdate (RFC 9110 §5.6.7).
pub fn format_imf(secs: i64) -> [u8; IMF_LEN] {
    let (c, wd) = to_civil(secs);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[0..3].copy_from_slice(DAYS[wd]);
    put2(&mut out[5..7], c.day);
    out[8..11].copy_from_slice(MONTHS[c.month as usize - 1]);
    put4(&mut out[12..16], c.year);
    put2(&mut out[17..19], c.hour);
    put2(&mut out[20..22], c.min);
    put2(&mut out[23..25], c.sec);
    out
}

/// Formats Unix seconds as the Common Log Format date, in UTC.
pub fn format_clf(secs: i64) -> [u8; CLF_LEN] {
    let (c, _) = to_civil(secs);
    let mut out = *b"01/Jan/1970:00:00:00 +0000";
    put2(&mut out[0..2], c.day);
    out[3..6].copy_from_slice(MONTHS[c.month as usize - 1]);
    put4(&mut out[7..11], c.year);
    put2(&mut out[12..14], c.hour);
    put2(&mut out[15..17], c.min);
    put2(&mut out[18..20], c.sec);
    out
}

/// Length of an RFC 3164 §4.1.2 TIMESTAMP: `Nov  6 08:49:37`.
pub const RFC3164_LEN: usize = 15;

/// Formats Unix seconds (already shifted to local time) as RFC 3164's
/// TIMESTAMP: `Mmm dd hh:mm:ss`, the day padded with a space, no year.
pub fn format_rfc3164(secs: i64) -> [u8; RFC3164_LEN] {
    let (c, _) = to_civil(secs);
    let mut out = *b"Jan  1 00:00:00";
    out[0..3].copy_from_slice(MONTHS[c.month as usize - 1]);
    put2(&mut out[4..6], c.day);
    if c.day < 10 {
        out[4] = b' ';
    }
    put2(&mut out[7..9], c.hour);
    put2(&mut out[10..12], c.min);
    put2(&mut out[13..15], c.sec);
    out
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn month(s: &[u8]) -> Option<u32> {
    MONTHS.iter().position(|m| &m[..] == s).map(|i| i as u32 + 1)
}

/// `HH:MM:SS`
fn time_of_day(s: &[u8]) -> Option<(u32, u32, u32)> {
    if s.len() != 8 || s[2] != b':' || s[5] != b':' {
        return None;
    }
    let (h, m, sec) = (digits(&s[0..2])?, digits(&s[3..5])?, digits(&s[6..8])?);
    // RFC 9110 allows a leap second (60) in the grammar.
    (h < 24 && m < 60 && sec <= 60).then_some((h, m, sec))
}

fn to_secs(year: i64, month: u32, day: u32, (h, m, s): (u32, u32, u32)) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let dim = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || day == 0 || day > dim[month as usize - 1] {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s))
}

/// Parses an HTTP-date in any of the three formats RFC 9110 §5.6.7 requires a
/// recipient to accept. Returns Unix seconds, or `None` for anything invalid
/// (which callers then ignore, as §13.1.3 and §13.1.4 say).
pub fn parse_http_date(s: &[u8]) -> Option<i64> {
    let s = s.trim_ascii();
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    if s.len() == IMF_LEN && s[3] == b',' {
        if !DAYS.iter().any(|d| d[..] == s[0..3])
            || s[4] != b' '
            || s[7] != b' '
            || s[11] != b' '
            || s[16] != b' '
            || &s[25..] != b" GMT"
        {
            return None;
        }
        let day = digits(&s[5..7])?;
        let mon = month(&s[8..11])?;
        let year = digits(&s[12..16])?;
        return to_secs(i64::from(year), mon, day, time_of_day(&s[17..25])?);
    }
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    if let Some(comma) = s.iter().position(|&b| b == b',') {
        let rest = &s[comma..];
        if !LONG_DAYS.contains(&&s[..comma]) || rest.len() != 24 {
            return None;
        }
        if &rest[..2] != b", " || rest[4] != b'-' || rest[8] != b'-' || rest[11] != b' ' {
            return None;
        }
        if &rest[20..] != b" GMT" {
            return None;
        }
        let day = digits(&rest[2..4])?;
        let mon = month(&rest[5..8])?;
        let yy = digits(&rest[9..11])?;
        // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in
        // the past century. Relative to now (2020s), 00-69 → 20xx, 70-99 → 19xx.
        let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
        return to_secs(i64::from(year), mon, day, time_of_day(&rest[12..20])?);
    }
    // asctime: Sun Nov  6 08:49:37 1994
    if s.len() == 24 {
        if !DAYS.iter().any(|d| d[..] == s[0..3]) || s[3] != b' ' || s[7] != b' ' || s[10] != b' ' || s[19] != b' ' {
            return None;
        }
        let mon = month(&s[4..7])?;
        let day = if s[8] == b' ' {
            digits(&s[9..10])?
        } else {
            digits(&s[8..10])?
        };
        let year = digits(&s[20..24])?;
        return to_secs(i64::from(year), mon, day, time_of_day(&s[11..19])?);
    }
    None
}

/// The current time formatted for headers and the log, refreshed at most once
/// a second by the loop, so no response formats a date itself.
pub struct DateCache {
    secs: i64,
    pub imf: [u8; IMF_LEN],
    pub clf: [u8; CLF_LEN],
}

impl DateCache {
    pub fn new(secs: i64) -> DateCache {
        DateCache {
            secs,
            imf: format_imf(secs),
            clf: format_clf(secs),
        }
    }

    pub fn update(&mut self, secs: i64) {
        if secs != self.secs {
            *self = DateCache::new(secs);
        }
    }
}

/// Wall-clock Unix seconds (for Date headers); 0 if the clock is before 1970.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn rfc3164_timestamps_pad_the_day_with_a_space() {
        assert_eq!(&format_rfc3164(T), b"Nov  6 08:49:37");
        assert_eq!(&format_rfc3164(T + 20 * 86_400), b"Nov 26 08:49:37");
        assert_eq!(&format_rfc3164(0), b"Jan  1 00:00:00");
    }

    #[test]
    fn rfc9110_5_6_7_formats_imf_fixdate() {
        assert_eq!(&format_imf(T), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&format_imf(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&format_imf(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(&format_imf(4_102_444_799), b"Thu, 31 Dec 2099 23:59:59 GMT");
    }

    #[test]
    fn clf_date() {
        assert_eq!(&format_clf(T), b"06/Nov/1994:08:49:37 +0000");
    }

    #[test]
    fn rfc9110_5_6_7_parses_all_three_formats() {
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(T));
        assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(T));
        assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), Some(T));
        assert_eq!(parse_http_date(b"Sun Nov 16 08:49:37 1994"), Some(T + 10 * 86_400));
    }

    #[test]
    fn rfc9110_5_6_7_rejects_invalid_dates() {
        for bad in [
            &b""[..],
            b"yesterday",
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 31 Feb 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:49:37 GMT",
            b"Sun, 06 Foo 1994 08:49:37 GMT",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Xyz, 06 Nov 1994 08:49:37 GMT",
            b"Funday, 06-Nov-94 08:49:37 GMT",
            b"Sun Nov  6 08:49:37 19x4",
            b"Sun, -6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    /// Trailing whitespace is trimmed (a field value's OWS, RFC 9110 §5.5): valid.
    #[test]
    fn rfc9110_5_5_trailing_whitespace_is_trimmed() {
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT "), Some(T));
    }

    #[test]
    fn round_trip_over_centuries() {
        let mut t = -2_208_988_800; // 1900
        while t < 7_258_118_400 {
            // 2200
            assert_eq!(parse_http_date(&format_imf(t)), Some(t));
            t += 86_400 * 37 + 3_601;
        }
    }
}
