//! The heads that cross the proxy, rewritten: the client's request head as
//! the backend gets it, and the backend's response head as the client gets
//! it. Pure functions over byte slices into caller-owned buffers.
//!
//! Both directions drop the hop-by-hop fields (RFC 9110 §7.6.1): Connection
//! and the fields it names, Keep-Alive, TE, Trailer, Transfer-Encoding (the
//! request's; a response's is its framing and is kept), Upgrade, Proxy-*.
//! A name listed in Connection never removes Host or Content-Length: that
//! would change the framing the backend sees, which is how smuggling starts.

use crate::limits::MAX_HEADERS;
use crate::request::{Version, request_line};
use crate::response::HeadWriter;
use std::net::IpAddr;

/// Fields of a backend's response head; more is a 502.
pub const MAX_RESPONSE_FIELDS: usize = 64;

/// Connection options remembered per head (names it lists).
const MAX_CONNECTION_OPTIONS: usize = 16;

/// What the forwarded request adds besides the client's fields.
pub struct Forwarding<'a> {
    pub version: Version,
    pub peer: IpAddr,
    /// The user a login let through (`X-Remote-User`).
    pub user: Option<&'a [u8]>,
    /// The path is protected: warden consumed the Authorization field.
    pub drop_authorization: bool,
}

fn lower_eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// The names a Connection field lists (RFC 9110 §7.6.1), from every
/// Connection line; more than fit are ignored (their fields pass, which is
/// harmless: they are end-to-end to a backend that ignores them).
fn connection_options<'h>(fields: &[httparse::Header<'h>]) -> heapless::Vec<&'h [u8], MAX_CONNECTION_OPTIONS> {
    let mut names = heapless::Vec::new();
    for h in fields.iter().filter(|h| lower_eq(h.name.as_bytes(), "connection")) {
        for name in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
            if !name.is_empty() {
                let _ = names.push(name);
            }
        }
    }
    names
}

/// Fields no hop passes on (both directions), and what `Connection` names
/// except the framing fields.
fn hop_by_hop(name: &[u8], listed: &[&[u8]]) -> bool {
    const HOP: [&str; 5] = ["connection", "keep-alive", "te", "trailer", "upgrade"];
    let framing = lower_eq(name, "host") || lower_eq(name, "content-length");
    HOP.iter().any(|h| lower_eq(name, h))
        || (name.len() >= 6 && name[..6].eq_ignore_ascii_case(b"proxy-"))
        || (!framing && listed.iter().any(|l| l.eq_ignore_ascii_case(name)))
}

/// Fields of the client's that warden sets itself or that must not reach
/// the backend from a client: forwarding information (a client could claim
/// any address), the logged-in user, the expectation warden answered.
fn replaced_in_request(name: &[u8], fw: &Forwarding<'_>) -> bool {
    const SET_BY_PROXY: [&str; 8] = [
        "transfer-encoding",
        "expect",
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "x-remote-user",
    ];
    SET_BY_PROXY.iter().any(|h| lower_eq(name, h)) || (fw.drop_authorization && lower_eq(name, "authorization"))
}

/// Writes the request head the backend gets for the client's `head` (a
/// complete head that parsed) into `out`; its length, or `None` if it does
/// not fit.
pub fn forward_request(head: &[u8], out: &mut [u8], fw: &Forwarding<'_>) -> Option<usize> {
    let (start, len) = request_line(head);
    let line = &head[start..start + len];
    let mut parts = line.split(|&b| b == b' ');
    let (method, target) = (parts.next()?, parts.next()?);
    let fields_at = start + len + if head.get(start + len) == Some(&b'\r') { 2 } else { 1 };
    let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let fields = match httparse::parse_headers(head.get(fields_at..)?, &mut storage) {
        Ok(httparse::Status::Complete((_, fields))) => fields,
        _ => return None,
    };
    let listed = connection_options(fields);
    let mut w = HeadWriter::new(out);
    w.put(method).put(b" ").put(target).put(match fw.version {
        Version::Http10 => b" HTTP/1.0\r\n",
        Version::Http11 => b" HTTP/1.1\r\n",
    });
    for h in fields.iter() {
        let name = h.name.as_bytes();
        if hop_by_hop(name, &listed) || replaced_in_request(name, fw) {
            continue;
        }
        w.put(name).put(b": ").put(h.value.trim_ascii()).put(b"\r\n");
    }
    let mut ip = [0u8; 48];
    let ip = format_ip(fw.peer, &mut ip);
    w.put(b"X-Forwarded-For: ").put(ip).put(b"\r\n");
    w.put(b"X-Forwarded-Proto: http\r\n");
    match fw.peer {
        IpAddr::V4(_) => w.put(b"Forwarded: for=").put(ip),
        IpAddr::V6(_) => w.put(b"Forwarded: for=\"[").put(ip).put(b"]\""),
    };
    w.put(b";proto=http\r\n");
    if let Some(user) = fw.user {
        w.put(b"X-Remote-User: ").put(user).put(b"\r\n");
    }
    w.put(b"Connection: close\r\n\r\n");
    w.finish()
}

/// An address as text into `buf` (no allocation).
fn format_ip(ip: IpAddr, buf: &mut [u8; 48]) -> &[u8] {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cursor, "{ip}");
    let n = cursor.position() as usize;
    &buf[..n]
}

/// How a backend's response body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body: HEAD, 1xx, 204, 304.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`, relayed as received.
    Chunked,
    /// Until the backend closes; the client connection closes after it.
    UntilClose,
}

/// A backend's response head, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    /// Bytes of the head in the buffer (the body starts after them).
    pub len: usize,
    pub framing: Framing,
}

/// Why a backend's response cannot be relayed: 502.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadResponse;

/// Parses a backend's response head at the start of `buf`: `Ok(None)` while
/// incomplete. `head_request`: the request was HEAD (no body, whatever the
/// fields say). `client`: the version the backend was asked in (a chunked
/// response to an HTTP/1.0 request is refused, RFC 9112 §6.1).
pub fn parse_response(buf: &[u8], head_request: bool, client: Version) -> Result<Option<ResponseHead>, BadResponse> {
    let mut storage = [httparse::EMPTY_HEADER; MAX_RESPONSE_FIELDS];
    let mut raw = httparse::Response::new(&mut storage);
    let len = match raw.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(BadResponse),
    };
    let status = raw.code.ok_or(BadResponse)?;
    if !(100..=599).contains(&status) {
        return Err(BadResponse);
    }
    let mut length: Option<u64> = None;
    let mut coding: Option<bool> = None;
    for h in raw.headers.iter() {
        let name = h.name.as_bytes();
        if lower_eq(name, "content-length") {
            let v = h.value.trim_ascii();
            if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
                return Err(BadResponse);
            }
            let n = v.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
            // Repeated with the same value is tolerated (§6.3 rule 5); differing is not.
            if length.is_some_and(|l| l != n) {
                return Err(BadResponse);
            }
            length = Some(n);
        } else if lower_eq(name, "transfer-encoding") {
            if coding.is_some() {
                return Err(BadResponse);
            }
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or(b"").trim_ascii();
            coding = Some(last.eq_ignore_ascii_case(b"chunked"));
        }
    }
    let no_body = head_request || status < 200 || status == 204 || status == 304;
    let framing = match (coding, length) {
        // Both: refused, not guessed (the backend is confused or hostile).
        (Some(_), Some(_)) => return Err(BadResponse),
        _ if no_body => Framing::Empty,
        (Some(true), None) if client == Version::Http10 => return Err(BadResponse),
        (Some(true), None) => Framing::Chunked,
        (Some(false), None) => Framing::UntilClose,
        (None, Some(n)) => Framing::Length(n),
        (None, None) => Framing::UntilClose,
    };
    Ok(Some(ResponseHead { status, len, framing }))
}

/// What the client's response head says besides the backend's fields.
pub struct Relaying<'a> {
    /// The client connection closes after this response.
    pub close: bool,
    /// The client's version (a persistent 1.0 connection is announced).
    pub version: Version,
    /// Warden's configured header lines; each is added unless the backend
    /// sent a field of that name.
    pub headers: &'a [u8],
}

/// Writes the client's response head for the backend's `head` (parsed by
/// `parse_response`) into `out`; its length, or `None` if it does not fit.
pub fn relay_response(head: &[u8], out: &mut [u8], r: &Relaying<'_>) -> Option<usize> {
    let mut storage = [httparse::EMPTY_HEADER; MAX_RESPONSE_FIELDS];
    let mut raw = httparse::Response::new(&mut storage);
    if !matches!(raw.parse(head), Ok(httparse::Status::Complete(_))) {
        return None;
    }
    let status = raw.code?;
    let reason = raw.reason.unwrap_or("");
    let listed = connection_options(raw.headers);
    let mut w = HeadWriter::new(out);
    w.put(b"HTTP/1.1 ")
        .num(u64::from(status))
        .put(b" ")
        .put(reason.as_bytes())
        .put(b"\r\n");
    for h in raw.headers.iter() {
        let name = h.name.as_bytes();
        if hop_by_hop(name, &listed) {
            continue;
        }
        w.put(name).put(b": ").put(h.value.trim_ascii()).put(b"\r\n");
    }
    for line in r.headers.split_inclusive(|&b| b == b'\n') {
        let name = line.split(|&b| b == b':').next().unwrap_or(b"");
        if !raw.headers.iter().any(|h| h.name.as_bytes().eq_ignore_ascii_case(name)) {
            w.put(line);
        }
    }
    match (r.close, r.version) {
        (true, _) => w.put(b"Connection: close\r\n"),
        (false, Version::Http10) => w.put(b"Connection: keep-alive\r\n"),
        (false, Version::Http11) => &mut w,
    };
    w.put(b"\r\n");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn fw(user: Option<&[u8]>, drop_authorization: bool) -> Forwarding<'_> {
        Forwarding {
            version: Version::Http11,
            peer: IpAddr::from([192, 168, 1, 20]),
            user,
            drop_authorization,
        }
    }

    fn forward(head: &str, f: &Forwarding<'_>) -> String {
        let mut out = [0u8; 4096];
        let n = forward_request(head.as_bytes(), &mut out, f).expect("fits");
        String::from_utf8(out[..n].to_vec()).unwrap()
    }

    #[test]
    fn rfc9110_7_6_1_hop_by_hop_fields_stay_behind() {
        let head = "POST /api/x?y=%20 HTTP/1.1\r\nHost: r\r\nConnection: keep-alive, X-Secret, Content-Length, Host\r\n\
                    X-Secret: s\r\nKeep-Alive: 5\r\nTE: trailers\r\nTrailer: X\r\nUpgrade: h2c\r\n\
                    Proxy-Authorization: Basic eA==\r\nProxy-Connection: x\r\nContent-Length: 3\r\nCookie: a=b\r\n\r\n";
        let out = forward(head, &fw(None, false));
        assert!(out.starts_with("POST /api/x?y=%20 HTTP/1.1\r\nHost: r\r\n"), "{out}");
        for gone in [
            "X-Secret",
            "Keep-Alive",
            "TE:",
            "Trailer",
            "Upgrade",
            "Proxy-",
            "keep-alive",
        ] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        // Connection may not remove the framing or the Host.
        assert!(
            out.contains("\r\nContent-Length: 3\r\n") && out.contains("\r\nCookie: a=b\r\n"),
            "{out}"
        );
        assert!(out.ends_with("Connection: close\r\n\r\n"), "{out}");
    }

    #[test]
    fn forwarding_fields_are_replaced_never_appended() {
        let head = "GET /api HTTP/1.1\r\nHost: r\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n\
                    X-Real-IP: 6.6.6.6\r\nx-forwarded-host: evil\r\nX-Remote-User: root\r\nAuthorization: Basic YTpi\r\n\
                    Expect: 100-continue\r\n\r\n";
        let out = forward(head, &fw(Some(b"admin"), true));
        assert!(
            !out.contains("6.6.6.6") && !out.contains("evil") && !out.contains("root"),
            "{out}"
        );
        assert!(!out.contains("Authorization") && !out.contains("Expect"), "{out}");
        assert_eq!(out.matches("X-Forwarded-For: 192.168.1.20\r\n").count(), 1, "{out}");
        assert!(out.contains("Forwarded: for=192.168.1.20;proto=http\r\n"), "{out}");
        assert!(out.contains("X-Remote-User: admin\r\n"), "{out}");
        // Unprotected: Authorization is the backend's business.
        let out = forward(head, &fw(None, false));
        assert!(
            out.contains("Authorization: Basic YTpi\r\n") && !out.contains("X-Remote-User"),
            "{out}"
        );
        let v6 = Forwarding {
            peer: IpAddr::V6(Ipv6Addr::LOCALHOST),
            version: Version::Http10,
            ..fw(None, false)
        };
        let out = forward("GET /api HTTP/1.0\r\n\r\n", &v6);
        assert!(out.starts_with("GET /api HTTP/1.0\r\n"), "{out}");
        assert!(out.contains("Forwarded: for=\"[::1]\";proto=http\r\n"), "{out}");
    }

    #[test]
    fn a_head_that_does_not_fit_is_none() {
        let mut out = [0u8; 32];
        assert_eq!(
            forward_request(b"GET /api HTTP/1.1\r\nHost: r\r\n\r\n", &mut out, &fw(None, false)),
            None
        );
    }

    #[test]
    fn rfc9112_6_3_response_framing() {
        let p = |raw: &str| parse_response(raw.as_bytes(), false, Version::Http11);
        let framing = |raw: &str| p(raw).map(|h| h.map(|h| h.framing));
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
            Ok(Some(Framing::Length(5)))
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
            Ok(Some(Framing::Length(5)))
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Ok(Some(Framing::Chunked))
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Ok(Some(Framing::UntilClose))
        );
        assert_eq!(framing("HTTP/1.0 200 OK\r\n\r\n"), Ok(Some(Framing::UntilClose)));
        assert_eq!(
            framing("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n"),
            Ok(Some(Framing::Empty))
        );
        assert_eq!(framing("HTTP/1.1 304 Not Modified\r\n\r\n"), Ok(Some(Framing::Empty)));
        assert_eq!(framing("HTTP/1.1 100 Continue\r\n\r\n"), Ok(Some(Framing::Empty)));
        assert_eq!(framing("HTTP/1.1 200 OK\r\nContent-Le"), Ok(None));
        let head = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true, Version::Http11);
        assert_eq!(head.map(|h| h.map(|h| h.framing)), Ok(Some(Framing::Empty)));
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 999 Odd\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "NOT HTTP\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Field\r\n\r\n",
        ] {
            assert_eq!(p(bad), Err(BadResponse), "{bad:?}");
        }
        let many: String = (0..=MAX_RESPONSE_FIELDS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(p(&format!("HTTP/1.1 200 OK\r\n{many}\r\n")), Err(BadResponse));
        assert_eq!(
            parse_response(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                false,
                Version::Http10
            ),
            Err(BadResponse)
        );
    }

    #[test]
    fn response_keeps_end_to_end_fields_and_adds_missing_defaults() {
        let head = b"HTTP/1.1 200 Fine\r\nContent-Type: application/json\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n\
                     Keep-Alive: timeout=5\r\nX-Frame-Options: SAMEORIGIN\r\nTransfer-Encoding: chunked\r\n\r\n";
        let mut out = [0u8; 1024];
        let r = Relaying {
            close: false,
            version: Version::Http11,
            headers: b"X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n",
        };
        let n = relay_response(head, &mut out, &r).unwrap();
        let text = String::from_utf8(out[..n].to_vec()).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 200 Fine\r\nContent-Type: application/json\r\n"),
            "{text}"
        );
        assert!(
            !text.contains("X-Hop") && !text.contains("Keep-Alive") && !text.contains("Connection"),
            "{text}"
        );
        assert!(
            text.contains("X-Frame-Options: SAMEORIGIN\r\n") && !text.contains("DENY"),
            "{text}"
        );
        assert!(
            text.contains("Transfer-Encoding: chunked\r\nX-Content-Type-Options: nosniff\r\n\r\n"),
            "{text}"
        );
        let r = Relaying {
            close: true,
            version: Version::Http10,
            headers: b"",
        };
        let n = relay_response(head, &mut out, &r).unwrap();
        assert!(out[..n].ends_with(b"Connection: close\r\n\r\n"));
    }
}
