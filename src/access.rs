//! The access decision: between parsing a request and routing it, so that a
//! refused request never opens a file. Now the Host check against DNS
//! rebinding; credentials for protected prefixes attach here next.
//!
//! DNS rebinding: a web page a LAN user visits re-points its own name at the
//! router's address and drives the admin pages through the user's browser.
//! The browser still sends the attacker's name in `Host`, so a Host that is
//! neither an address, `localhost`, nor a name the device was configured with
//! (`--allow-host`) is answered 421 (RFC 9110 §15.5.20) whatever the path.

use crate::config::HostPolicy;
use crate::error::HttpError;
use crate::request::Request;
use core::net::Ipv4Addr;

/// Whether the request may go on to routing.
pub fn check(req: &Request<'_>, hosts: &HostPolicy) -> Result<(), HttpError> {
    match (hosts, req.host) {
        (HostPolicy::Any, _) => Ok(()),
        // HTTP/1.0 without Host: no browser sends that, so no page drives it.
        (HostPolicy::Listed(_), None) => Ok(()),
        (HostPolicy::Listed(names), Some(host)) if host_allowed(host, names) => Ok(()),
        (HostPolicy::Listed(_), Some(_)) => Err(HttpError::MisdirectedRequest),
    }
}

/// Whether `host` (a host as `Request::host` holds it, or `url_host` gives
/// it) is one the Host guard answers for.
pub fn host_passes(host: &[u8], hosts: &HostPolicy) -> bool {
    match hosts {
        HostPolicy::Any => true,
        HostPolicy::Listed(names) => host_allowed(host, names),
    }
}

/// Two hosts name the same server: equal without regard to case or one
/// trailing dot (RFC 9110 §4.2.3).
pub fn same_host(a: &[u8], b: &[u8]) -> bool {
    let a = a.strip_suffix(b".").unwrap_or(a);
    let b = b.strip_suffix(b".").unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

/// The host of an `http` or `https` URL (an `Origin` or a `Referer`): an
/// IPv6 literal in brackets (checked), or a name or IPv4 address of
/// reg-name characters; the port dropped. `None` for anything else: another
/// scheme, userinfo, `null`, an empty host.
pub fn url_host(url: &[u8]) -> Option<&[u8]> {
    let rest = [&b"http://"[..], b"https://"]
        .iter()
        .find(|s| url.len() >= s.len() && url[..s.len()].eq_ignore_ascii_case(s))
        .map(|s| &url[s.len()..])?;
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let (host, port) = if authority.first() == Some(&b'[') {
        let close = authority.iter().position(|&b| b == b']')?;
        core::str::from_utf8(&authority[1..close])
            .ok()?
            .parse::<core::net::Ipv6Addr>()
            .ok()?;
        (&authority[..=close], &authority[close + 1..])
    } else {
        let colon = authority.iter().position(|&b| b == b':').unwrap_or(authority.len());
        let host = &authority[..colon];
        let ok = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
        if host.is_empty() || !host.iter().all(ok) {
            return None;
        }
        (host, &authority[colon..])
    };
    let port_ok = port.is_empty() || (port[0] == b':' && port.len() <= 6 && port[1..].iter().all(u8::is_ascii_digit));
    port_ok.then_some(host)
}

/// An IP literal (IPv4 dotted quad, or IPv6 in brackets, which `request`
/// has already checked), `localhost`, or a listed name; case and one trailing
/// dot do not matter (RFC 9110 §4.2.3 compares hosts case-insensitively; a
/// fully qualified name may end in a dot).
fn host_allowed(host: &[u8], names: &[Vec<u8>]) -> bool {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if host.first() == Some(&b'[') {
        return true;
    }
    let is_v4 = core::str::from_utf8(host).is_ok_and(|h| h.parse::<Ipv4Addr>().is_ok());
    is_v4 || host.eq_ignore_ascii_case(b"localhost") || names.iter().any(|n| n.eq_ignore_ascii_case(host))
}

/// A `--allow-host` name in the form `host_allowed` compares: lower case,
/// without a trailing dot; `None` if it is not a DNS name (RFC 1123 labels:
/// letters, digits, `-`, `_`; 1 to 63 bytes a label, at most 253 in all).
pub fn normalise_name(name: &str) -> Option<Vec<u8>> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let label_ok =
        |l: &str| (1..=63).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (!name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok))
        .then(|| name.to_ascii_lowercase().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, Version};

    fn listed(names: &[&str]) -> HostPolicy {
        HostPolicy::Listed(names.iter().map(|n| normalise_name(n).unwrap()).collect())
    }

    fn with_host(host: Option<&[u8]>) -> Request<'_> {
        let mut r = Request::new(Method::Get, Version::Http11, b"/");
        r.host = host;
        r
    }

    #[test]
    fn rfc9110_15_5_20_only_addresses_localhost_and_listed_names() {
        let p = listed(&["Router.LAN."]);
        for ok in [
            &b"192.168.1.1"[..],
            b"127.0.0.1",
            b"127.0.0.1.",
            b"[::1]",
            b"[fe80::1]",
            b"localhost",
            b"LocalHost.",
            b"router.lan",
            b"ROUTER.lan.",
        ] {
            assert_eq!(
                check(&with_host(Some(ok)), &p),
                Ok(()),
                "{}",
                String::from_utf8_lossy(ok)
            );
        }
        for bad in [
            &b"evil.example"[..],
            b"router.lan.evil.example",
            b"192.168.1.1.nip.io",
            b"0x7f.1",
            b"2130706433",
            b"",
            b"localhost.localdomain",
            b"%6cocalhost",
            b"router.lan..",
        ] {
            assert_eq!(
                check(&with_host(Some(bad)), &p),
                Err(HttpError::MisdirectedRequest),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(check(&with_host(None), &p), Ok(()), "HTTP/1.0 without Host");
        assert_eq!(check(&with_host(Some(b"evil.example")), &HostPolicy::Any), Ok(()));
    }

    #[test]
    fn rfc6454_origin_and_referer_hosts() {
        for (url, host) in [
            (&b"http://192.168.1.1"[..], Some(&b"192.168.1.1"[..])),
            (b"https://Router.LAN:8443/x?y", Some(b"Router.LAN")),
            (b"http://[::1]:8080/", Some(b"[::1]")),
            (b"HTTP://a#f", Some(b"a")),
            (b"null", None),
            (b"ftp://a/", None),
            (b"http://", None),
            (b"http://u@a/", None),
            (b"http://a:8x/", None),
            (b"http://[::1/", None),
            (b"http://[zz]/", None),
            (b"http://a b/", None),
        ] {
            assert_eq!(url_host(url), host, "{}", String::from_utf8_lossy(url));
        }
        assert!(same_host(b"Router.lan.", b"router.LAN"));
        assert!(!same_host(b"router.lan", b"router.lan.evil"));
    }

    #[test]
    fn allow_host_names_are_checked() {
        assert_eq!(normalise_name("Router.LAN."), Some(b"router.lan".to_vec()));
        for bad in ["", ".", "a..b", "a b", "a/b", "[::1]", "x:80", &"a".repeat(64)] {
            assert_eq!(normalise_name(bad), None, "{bad:?}");
        }
    }
}
