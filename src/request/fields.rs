//! The grammar of the values warden reads from a head: the request-target's
//! bytes and form, Host, Content-Length (RFC 9110, RFC 9112 §3).

use crate::error::HttpError;
use core::net::Ipv6Addr;

/// Bytes httparse lets into a request-target (any of `!`..`~` and 0x80-0xFF)
/// that are refused here (RFC 9112 §3: 400 for an invalid request-line):
/// DQUOTE, `<` and `>`, which RFC 3986 excludes and every browser percent-encodes
/// in both path and query (WHATWG URL's percent-encode sets), and any byte
/// ≥ 0x80 (a URI is ASCII, RFC 3986 §2; browsers encode these too). The other
/// characters RFC 3986 excludes (braces, `|`, `^`, backtick, square brackets,
/// backslash) are let through: browsers send some of them unencoded, in a
/// query at least; `path::clean` refuses a backslash in the path.
/// `#` is refused by `split_target`.
pub(super) fn target_byte_ok(b: u8) -> bool {
    !matches!(b, b'"' | b'<' | b'>' | 0x80..=0xff)
}

/// Splits a request-target into path and query (RFC 9112 §3.2). Origin-form
/// is used as is; absolute-form has its scheme and authority dropped (§3.2.2:
/// the host is ignored, we serve one site) once the authority is checked: a
/// host is required (RFC 9110 §4.2.1), userinfo is an error (§4.2.4); `*` and
/// authority-form are 400 (the methods they belong to are refused earlier).
/// Also returns the authority's host for absolute-form (RFC 9112 §3.2.2:
/// then it, not the Host field, names the host).
#[allow(clippy::type_complexity)]
pub(super) fn split_target(target: &[u8]) -> Result<(&[u8], Option<&[u8]>, Option<&[u8]>), HttpError> {
    let mut authority = None;
    let rest = if target.first() == Some(&b'/') {
        target
    } else {
        let after_scheme = [&b"http://"[..], b"https://"]
            .iter()
            .find(|s| target.len() >= s.len() && target[..s.len()].eq_ignore_ascii_case(s))
            .map(|s| &target[s.len()..])
            .ok_or(HttpError::BadRequest)?;
        let authority_end = after_scheme
            .iter()
            .position(|&b| b == b'/' || b == b'?' || b == b'#')
            .unwrap_or(after_scheme.len());
        // `user@` fails: '@' is not a host character.
        match parse_host(&after_scheme[..authority_end]) {
            Some(host) if !host.is_empty() => authority = Some(host),
            _ => return Err(HttpError::BadRequest),
        }
        &after_scheme[authority_end..]
    };
    if rest.contains(&b'#') {
        return Err(HttpError::BadRequest);
    }
    let (path, query) = match rest.iter().position(|&b| b == b'?') {
        Some(q) => (&rest[..q], Some(&rest[q + 1..])),
        None => (rest, None),
    };
    // absolute-form with an empty path means "/" (RFC 9112 §3.2.1).
    Ok((if path.is_empty() { b"/" } else { path }, query, authority))
}

/// Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): the host
/// part if `v` is one, else `None`. An empty value is valid: a target URI
/// without authority sends `Host:` empty. An IP-literal must be an IPv6
/// address (IPvFuture and zone identifiers are refused: no client sends them).
/// A reg-name is unreserved, sub-delims and `%HH`; a port is at most 5 digits.
pub(super) fn parse_host(v: &[u8]) -> Option<&[u8]> {
    let (host, port) = if v.first() == Some(&b'[') {
        let close = v.iter().position(|&b| b == b']')?;
        // Parsing into Ipv6Addr allocates nothing.
        core::str::from_utf8(&v[1..close]).ok()?.parse::<Ipv6Addr>().ok()?;
        match &v[close + 1..] {
            [] => (&v[..=close], None),
            [b':', port @ ..] => (&v[..=close], Some(port)),
            _ => return None,
        }
    } else {
        let (host, port) = match v.iter().position(|&b| b == b':') {
            Some(c) => (&v[..c], Some(&v[c + 1..])),
            None => (v, None),
        };
        let reg_name_char = |&b: &u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b);
        let escapes_ok = host.iter().enumerate().filter(|&(_, &b)| b == b'%').all(|(i, _)| {
            host.get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        });
        if !host.iter().all(reg_name_char) || !escapes_ok {
            return None;
        }
        (host, port)
    };
    port.is_none_or(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit))
        .then_some(host)
}

/// Content-Length = 1*DIGIT (RFC 9110 §8.6); a list, a sign or anything else
/// is 400. Leading zeros are digits like any other; a numeral too large for
/// u64 saturates (§8.6: no overflow) and, being non-zero, gets 413.
pub(super) fn parse_content_length(v: &[u8]) -> Result<u64, HttpError> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(HttpError::BadRequest);
    }
    Ok(v.iter()
        .fold(0u64, |n, &d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
}
