//! Parses a request head into a typed `Request<'buf>` (RFC 9112 §2-§7). Sans-IO:
//! bytes in, a value out; the caller owns the buffer.
//!
//! httparse does the tokenising; this module applies RFC 9110/9112 rules and
//! picks out the fields warden uses, matched by exact name, never by search.

mod fields;
mod frame;
mod version;

pub use frame::{head_end, request_line, sniff_reply};

use crate::error::HttpError;
use crate::limits::{MAX_HEADERS, MAX_LIST_FIELDS, MAX_TARGET_LEN};
use fields::{parse_content_length, parse_host, split_target, target_byte_ok};
use heapless::Vec;
use version::parse_other_version;

/// A request's method, as far as warden tells them apart. Files are served
/// to GET and HEAD (RFC 9110 §9.3.1, §9.3.2); a proxied prefix forwards any
/// method, and lets OPTIONS through its CSRF rule like GET and HEAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Options,
    /// Another method RFC 9110 defines, or PATCH (RFC 5789): 405 on files.
    OtherKnown,
    /// A method token warden does not know: 501 on files (RFC 9110 §15.6.2).
    Unknown,
}

impl Method {
    /// Safe methods (RFC 9110 §9.2.1) and OPTIONS: no CSRF check on a proxy.
    pub fn is_safe(self) -> bool {
        matches!(self, Method::Get | Method::Head | Method::Options)
    }
}

/// How a request says its body is framed (RFC 9112 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No Content-Length, no Transfer-Encoding: no body (§6.3 rule 6).
    None,
    /// `Content-Length: n` (n may be 0).
    Length(u64),
    /// `Transfer-Encoding: chunked`, alone.
    Chunked,
    /// Another transfer coding, or several: warden decodes none (501).
    OtherCoding,
}

/// The protocol versions warden speaks (RFC 9112 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

/// Field lines of one list-valued header, in order.
pub type List<'b> = Vec<&'b [u8], MAX_LIST_FIELDS>;

/// A parsed request head: only what a static server needs, borrowed from the buffer.
#[derive(Debug)]
pub struct Request<'b> {
    pub method: Method,
    pub version: Version,
    /// The path part of the target, still percent-encoded, starting with `/`.
    pub path: &'b [u8],
    /// The query, without `?`, if any.
    pub query: Option<&'b [u8]>,
    /// Whether the client lets the connection persist (RFC 9112 §9.3).
    pub keep_alive: bool,
    pub if_match: List<'b>,
    pub if_none_match: List<'b>,
    pub if_modified_since: Option<&'b [u8]>,
    pub if_unmodified_since: Option<&'b [u8]>,
    pub range: Option<&'b [u8]>,
    pub if_range: Option<&'b [u8]>,
    pub accept_encoding: List<'b>,
    /// The Authorization field's value, if sent exactly once (RFC 9110 §11.6.2).
    pub authorization: Option<&'b [u8]>,
    /// The Host field's host part (port dropped, an IPv6 literal in its
    /// brackets), if a Host field was sent (RFC 9110 §7.2).
    pub host: Option<&'b [u8]>,
    /// How the body is framed; Content-Length with Transfer-Encoding never
    /// gets this far (400, RFC 9112 §6.3: the smuggling pair).
    pub body: BodyFraming,
    /// `Origin` and `Referer` if each was sent once (a proxy's CSRF rule).
    pub origin: Option<&'b [u8]>,
    pub referer: Option<&'b [u8]>,
    /// The Expect field's value; a repeated one reads as an expectation
    /// nobody meets (417 on a proxied prefix).
    pub expect: Option<&'b [u8]>,
    /// An Upgrade field was sent (a WebSocket handshake, say).
    pub upgrade: bool,
}

impl<'b> Request<'b> {
    /// A request with no fields, as a base for tests and fuzzers.
    pub fn new(method: Method, version: Version, path: &'b [u8]) -> Request<'b> {
        Request {
            method,
            version,
            path,
            query: None,
            keep_alive: version == Version::Http11,
            if_match: Vec::new(),
            if_none_match: Vec::new(),
            if_modified_since: None,
            if_unmodified_since: None,
            range: None,
            if_range: None,
            accept_encoding: Vec::new(),
            host: None,
            authorization: None,
            body: BodyFraming::None,
            origin: None,
            referer: None,
            expect: None,
            upgrade: false,
        }
    }
}

/// Outcome of looking at the bytes received so far.
// Returned by value once per head; boxing the large variant would allocate.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed<'b> {
    /// The head is not complete yet.
    Partial,
    /// A complete head of `head_len` bytes; bytes after it are the next request.
    Complete(Request<'b>, usize),
}

/// Methods RFC 9110 defines (and PATCH, RFC 5789) besides GET, HEAD, OPTIONS:
/// known, so 405 on a file rather than 501.
const KNOWN_METHODS: [&str; 5] = ["POST", "PUT", "DELETE", "TRACE", "PATCH"];

/// Parses a request head from the start of `buf`.
pub fn parse(buf: &[u8]) -> Result<Parsed<'_>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut raw = httparse::Request::new(&mut headers);
    let head_len = match raw.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(httparse::Error::Version) => return parse_other_version(buf),
        Err(e) => return Err(syntax_error(e)),
    };
    let version = match raw.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(HttpError::VersionNotSupported),
    };
    let (Some(method), Some(target)) = (raw.method, raw.path) else {
        return Err(HttpError::BadRequest);
    };
    typed(method, target, version, raw.headers, head_len)
}

/// An httparse error other than `Version`, as a status.
pub(super) fn syntax_error(e: httparse::Error) -> HttpError {
    match e {
        httparse::Error::TooManyHeaders => HttpError::HeaderFieldsTooLarge,
        _ => HttpError::BadRequest,
    }
}

/// Applies RFC 9110/9112 rules to what httparse found: method, then target
/// length, target bytes and form, then the fields.
pub(super) fn typed<'b>(
    method: &str,
    target: &'b str,
    version: Version,
    fields: &[httparse::Header<'b>],
    head_len: usize,
) -> Result<Parsed<'b>, HttpError> {
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        // Asterisk-form asks about the server as a whole (RFC 9110 §9.3.7),
        // and CONNECT's target is authority-form: no route serves or
        // forwards either, so both are 405 whatever the target.
        "OPTIONS" if target == "*" => return Err(HttpError::MethodNotAllowed),
        "CONNECT" => return Err(HttpError::MethodNotAllowed),
        "OPTIONS" => Method::Options,
        m if KNOWN_METHODS.contains(&m) => Method::OtherKnown,
        _ => Method::Unknown,
    };
    let target = target.as_bytes();
    if target.len() > MAX_TARGET_LEN {
        return Err(HttpError::UriTooLong);
    }
    if !target.iter().all(|&b| target_byte_ok(b)) {
        return Err(HttpError::BadRequest);
    }
    let (path, query, authority) = split_target(target)?;
    let mut req = Request::new(method, version, path);
    req.query = query;

    let mut hosts = 0;
    let mut content_length = None;
    let (mut close, mut keep_alive) = (false, false);
    let (mut ims, mut ius, mut range, mut if_range) = (Single::Absent, Single::Absent, Single::Absent, Single::Absent);
    let (mut authorization, mut origin, mut referer, mut expect) =
        (Single::Absent, Single::Absent, Single::Absent, Single::Absent);
    let mut transfer_codings = 0;
    for h in fields {
        let name = h.name.as_bytes();
        let value = h.value.trim_ascii();
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("host") {
            hosts += 1;
            match parse_host(value) {
                Some(host) => req.host = Some(host),
                None => return Err(HttpError::BadRequest),
            }
        } else if is("content-length") {
            // RFC 9112 §6.3: duplicate or invalid Content-Length is unrecoverable.
            if content_length.is_some() {
                return Err(HttpError::BadRequest);
            }
            content_length = Some(parse_content_length(value)?);
        } else if is("transfer-encoding") {
            // RFC 9112 §6.1: only `chunked` alone is recognised; every other
            // coding (or a list) is one warden cannot decode.
            transfer_codings += 1;
            req.body = if value.eq_ignore_ascii_case(b"chunked") && transfer_codings == 1 {
                BodyFraming::Chunked
            } else {
                BodyFraming::OtherCoding
            };
        } else if is("connection") {
            for option in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                close |= option.eq_ignore_ascii_case(b"close");
                keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if is("if-match") {
            push(&mut req.if_match, value)?;
        } else if is("if-none-match") {
            push(&mut req.if_none_match, value)?;
        } else if is("accept-encoding") {
            push(&mut req.accept_encoding, value)?;
        } else if is("if-modified-since") {
            ims.add(value);
        } else if is("if-unmodified-since") {
            ius.add(value);
        } else if is("range") {
            range.add(value);
        } else if is("if-range") {
            if_range.add(value);
        } else if is("authorization") {
            authorization.add(value);
        } else if is("origin") {
            origin.add(value);
        } else if is("referer") {
            referer.add(value);
        } else if is("expect") {
            expect.add(value);
        } else if is("upgrade") {
            req.upgrade = true;
        }
    }
    req.origin = origin.value();
    req.referer = referer.value();
    req.expect = match expect {
        Single::Absent => None,
        Single::Once(v) => Some(v),
        Single::Repeated => Some(b"repeated"),
    };
    // Singletons sent twice are ignored, not refused: RFC 9110 §13.1.3 and
    // §13.1.4 say a date conditional whose value is a list MUST be ignored;
    // §14.2 lets an invalid Range be ignored (as `range::parse` does); and a
    // repeated If-Range is a validator that matches nothing, so the Range is
    // ignored (§13.1.5). Each leaves a full 200, always a correct answer.
    req.if_modified_since = ims.value();
    req.if_unmodified_since = ius.value();
    req.range = range.value();
    req.if_range = if_range.value();
    // RFC 9112 §3.2.2: with absolute-form, the target's host is the host.
    if authority.is_some() {
        req.host = authority;
    }
    // Sent twice, credentials are ambiguous: as if none were sent (then 401).
    req.authorization = authorization.value();
    if matches!(if_range, Single::Repeated) {
        req.range = None;
    }
    // RFC 9112 §3.2: a 1.1 request without exactly one Host is a 400.
    if version == Version::Http11 && hosts != 1 || hosts > 1 {
        return Err(HttpError::BadRequest);
    }
    // RFC 9112 §6.3: both framings at once is how requests are smuggled
    // past a proxy; refused whatever the route.
    // HTTP/1.0 has no transfer codings (§6.1: faulty framing), either.
    let coded = matches!(req.body, BodyFraming::Chunked | BodyFraming::OtherCoding);
    if coded && version == Version::Http10 {
        return Err(HttpError::BadRequest);
    }
    match (content_length, req.body) {
        (Some(_), BodyFraming::Chunked | BodyFraming::OtherCoding) => return Err(HttpError::BadRequest),
        (Some(n), _) => req.body = BodyFraming::Length(n),
        (None, _) => {}
    }
    // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
    req.keep_alive = !close && (version == Version::Http11 || keep_alive);
    Ok(Parsed::Complete(req, head_len))
}

fn push<'b>(list: &mut List<'b>, value: &'b [u8]) -> Result<(), HttpError> {
    list.push(value).map_err(|_| HttpError::HeaderFieldsTooLarge)
}

/// A field defined as one value (RFC 9110 §5.3), as received: absent, once,
/// or on several lines (which makes its value a list, invalid for all of them).
#[derive(Clone, Copy)]
enum Single<'b> {
    Absent,
    Once(&'b [u8]),
    Repeated,
}

impl<'b> Single<'b> {
    fn add(&mut self, value: &'b [u8]) {
        *self = match self {
            Single::Absent => Single::Once(value),
            Single::Once(_) | Single::Repeated => Single::Repeated,
        };
    }

    /// The value if it was sent exactly once.
    fn value(self) -> Option<&'b [u8]> {
        match self {
            Single::Once(v) => Some(v),
            Single::Absent | Single::Repeated => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(raw: &str) -> Request<'_> {
        match parse(raw.as_bytes()) {
            Ok(Parsed::Complete(r, n)) => {
                assert_eq!(n, raw.len(), "head length");
                r
            }
            other => panic!("{raw:?} → {other:?}"),
        }
    }

    /// The error a request for a file gets: from parsing, or from the file
    /// route's own rules (methods, bodies).
    fn error(raw: &str) -> HttpError {
        match parse(raw.as_bytes()) {
            Err(e) => e,
            Ok(Parsed::Complete(r, _)) => match crate::route::file_request_error(&r) {
                Some(e) => e,
                None => panic!("{raw:?} → {r:?}"),
            },
            other => panic!("{raw:?} → {other:?}"),
        }
    }

    #[test]
    fn rfc9112_3_simple_get() {
        let r = complete("GET /a/b.html?x=1 HTTP/1.1\r\nHost: dev\r\n\r\n");
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.version, Version::Http11);
        assert_eq!(r.path, b"/a/b.html");
        assert_eq!(r.query, Some(&b"x=1"[..]));
        assert!(r.keep_alive);
    }

    #[test]
    fn rfc9112_2_2_partial_until_blank_line() {
        for cut in ["G", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n"] {
            assert!(matches!(parse(cut.as_bytes()), Ok(Parsed::Partial)), "{cut:?}");
        }
    }

    #[test]
    fn rfc9112_9_3_persistence() {
        assert!(!complete("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!complete("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(complete("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(!complete("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n").keep_alive);
    }

    #[test]
    fn rfc9112_3_2_2_absolute_form() {
        let r = complete("GET http://example.com:80/x?y HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!((r.path, r.query), (&b"/x"[..], Some(&b"y"[..])));
        let r = complete("GET HTTPS://example.com HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(r.path, b"/");
    }

    #[test]
    fn rfc9110_method_and_version_errors() {
        for (raw, want) in [
            ("POST / HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::MethodNotAllowed),
            ("OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::MethodNotAllowed),
            ("CONNECT h:443 HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::MethodNotAllowed),
            ("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::MethodNotAllowed),
            ("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::NotImplemented),
            ("get / HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::NotImplemented),
            ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", HttpError::VersionNotSupported),
            ("GET / HTTP/0.9\r\nHost: a\r\n\r\n", HttpError::VersionNotSupported),
            ("GET / http/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest),
        ] {
            assert_eq!(error(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn rfc9110_2_5_later_minor_version_is_processed_as_1_1() {
        let r = complete("GET /a/b.html?x=1 HTTP/1.2\r\nHost: dev\r\n\r\n");
        assert_eq!((r.method, r.version), (Method::Get, Version::Http11));
        assert_eq!((r.path, r.query), (&b"/a/b.html"[..], Some(&b"x=1"[..])));
        assert!(r.keep_alive, "1.1 semantics: persistent by default");
        let r = complete("HEAD / HTTP/1.9\nHost: a\nConnection: close\nRange: bytes=0-1\n\n");
        assert_eq!(
            (r.method, r.version, r.keep_alive),
            (Method::Head, Version::Http11, false)
        );
        assert_eq!(r.range, Some(&b"bytes=0-1"[..]));
        let r = complete("\r\n\nGET http://h:80/x HTTP/1.3\r\nHost: a\r\n\r\n");
        assert_eq!((r.path, r.version), (&b"/x"[..], Version::Http11));
        // Bytes after the head are the next request.
        let two = b"GET /1 HTTP/1.2\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        match parse(two) {
            Ok(Parsed::Complete(r, n)) => assert_eq!((r.path, n), (&b"/1"[..], two.len() / 2)),
            other => panic!("{other:?}"),
        }
        for cut in [
            "GET / HTTP/1.2",
            "GET / HTTP/1.2\r",
            "GET / HTTP/1.2\r\n",
            "GET / HTTP/1.2\r\nHost: a\r\n",
            "GET / HTTP/1.2\nHost: a\n",
        ] {
            assert!(matches!(parse(cut.as_bytes()), Ok(Parsed::Partial)), "{cut:?}");
        }
        // The same checks as a 1.1 request, in the same order.
        let many: String = (0..40).map(|i| format!("X-{i}: v\r\n")).collect();
        let long = format!("GET /{} HTTP/1.2\r\nHost: a\r\n\r\n", "a".repeat(MAX_TARGET_LEN));
        for (raw, want) in [
            ("GET / HTTP/1.2\r\n\r\n", HttpError::BadRequest),
            ("GET / HTTP/1.2\r\nHost: a\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("POST / HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::MethodNotAllowed),
            ("BREW / HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::NotImplemented),
            ("OPTIONS /a\"b HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("GET /a\"b HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("GET /a\x7fb HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("G\tET / HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("GET * HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::BadRequest),
            ("GET / HTTP/1.2\r\n Host: a\r\n\r\n", HttpError::BadRequest),
            ("GET / HTTP/1.2\r\nHost: a\r\nX: a\r\n b\r\n\r\n", HttpError::BadRequest),
            ("GET / HTTP/1.2\r\nHost: a\r\nX: a\rb\r\n\r\n", HttpError::BadRequest),
            (
                "GET / HTTP/1.2\r\nHost: a\r\nContent-Length: 1\r\n\r\n",
                HttpError::ContentTooLarge,
            ),
            (
                "GET / HTTP/1.2\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                HttpError::BadRequest,
            ),
            (
                &format!("GET / HTTP/1.2\r\nHost: a\r\n{many}\r\n"),
                HttpError::HeaderFieldsTooLarge,
            ),
            (&long, HttpError::UriTooLong),
        ] {
            assert_eq!(error(raw), want, "{raw:?}");
        }
    }

    /// Differential: a head with `HTTP/1.2` gets exactly what the same head
    /// with `HTTP/1.1` gets (value, error or Partial), over combinations of
    /// request-line and field-line quirks.
    #[test]
    fn rfc9110_2_5_later_minor_parses_like_1_1() {
        let methods = ["GET", "HEAD", "POST", "BREW", "G\tET", "", "\r\nGET"];
        let targets = ["/", "/a?b", "/a\"b", "*", "http://h/x", "/a b", "/\x7f", "/\u{e9}", ""];
        let ends = ["\r\n", "\n", "\r", "", " \r\n", "\rX\r\n"];
        let fields = [
            "Host: a\r\n\r\n",
            "Host: a\n\n",
            "\r\n",
            "Host: a\r\n",
            " Host: a\r\n\r\n",
            "Host: a\r\nHost: b\r\n\r\n",
            "Host: a\r\nConnection: close\r\nIf-None-Match: \"x\"\r\n\r\n",
            "Host: a\r\nX: a\r\n b\r\n\r\n",
            "Host: a\r\nContent-Length: 2\r\n\r\nab",
            "Host: a\r\nBad Name: x\r\n\r\n",
            "Host: a\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        ];
        let mut n = 0;
        for m in methods {
            for t in targets {
                for e in ends {
                    for f in fields {
                        let v11 = format!("{m} {t} HTTP/1.1{e}{f}");
                        let v12 = format!("{m} {t} HTTP/1.2{e}{f}");
                        let show = |r: Result<Parsed<'_>, HttpError>| format!("{r:?}");
                        assert_eq!(show(parse(v12.as_bytes())), show(parse(v11.as_bytes())), "{v12:?}");
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 7 * 9 * 6 * 11);
    }

    #[test]
    fn rfc9112_2_3_version_shape() {
        for v in [
            "HTTP/1.10",
            "HTTP/1.20",
            "HTTP/1.2x",
            "HTTP/1.x",
            "HTTP/1.",
            "HTTP/1.01",
            "HTTP/01.1",
            "HTTP/12",
            "http/1.2",
            "HTTP/1.2/",
            "HTTP/1.2 ",
            "HTTP/1.2\rX",
        ] {
            let raw = format!("GET / {v}\r\nHost: a\r\n\r\n");
            assert_eq!(error(&raw), HttpError::BadRequest, "{v:?}");
        }
        for v in ["HTTP/0.9", "HTTP/2.0", "HTTP/3.0", "HTTP/2.2", "HTTP/9.9"] {
            let raw = format!("GET / {v}\r\nHost: a\r\n\r\n");
            assert_eq!(error(&raw), HttpError::VersionNotSupported, "{v:?}");
        }
    }

    #[test]
    fn rfc9112_3_2_host_rules() {
        assert_eq!(error("GET / HTTP/1.1\r\n\r\n"), HttpError::BadRequest);
        assert_eq!(
            error("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
            HttpError::BadRequest
        );
        assert_eq!(error("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), HttpError::BadRequest);
        assert_eq!(error("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n"), HttpError::BadRequest);
        assert_eq!(error("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), HttpError::BadRequest);
        for bad in [
            "u@a",
            "[::1",
            "[::1]x",
            "::1",
            "[v1.x]",
            "[fe80::1%25eth0]",
            "[1:2:3:4:5:6:7:8:9]",
            "a%zz",
            "a%4",
        ] {
            assert_eq!(
                error(&format!("GET / HTTP/1.1\r\nHost: {bad}\r\n\r\n")),
                HttpError::BadRequest,
                "{bad:?}"
            );
        }
        for ok in [
            "",
            "router.lan",
            "192.168.1.1:8080",
            "[::1]:80",
            "[fe80::1]",
            "[::ffff:1.2.3.4]",
            "a:",
            "a%41",
        ] {
            complete(&format!("GET / HTTP/1.1\r\nHost: {ok}\r\n\r\n"));
        }
        complete("GET / HTTP/1.0\r\n\r\n");
    }

    #[test]
    fn rfc9112_6_framing_errors() {
        let h = "GET / HTTP/1.1\r\nHost: a\r\n";
        for (extra, want) in [
            ("Content-Length: 5\r\n", HttpError::ContentTooLarge),
            ("Content-Length: 0\r\nContent-Length: 0\r\n", HttpError::BadRequest),
            ("Content-Length: 1, 1\r\n", HttpError::BadRequest),
            ("Content-Length: -1\r\n", HttpError::BadRequest),
            ("Content-Length: +0\r\n", HttpError::BadRequest),
            ("Transfer-Encoding: chunked\r\n", HttpError::BadRequest),
            (
                "Content-Length: 99999999999999999999999\r\n",
                HttpError::ContentTooLarge,
            ),
            ("Content-Length: 0005\r\n", HttpError::ContentTooLarge),
        ] {
            assert_eq!(error(&format!("{h}{extra}\r\n")), want, "{extra:?}");
        }
        complete(&format!("{h}Content-Length: 0\r\n\r\n"));
        complete(&format!("{h}Content-Length: 00000000000000000000000\r\n\r\n"));
    }

    #[test]
    fn rfc9110_repeated_singletons_are_ignored() {
        let h = "GET / HTTP/1.1\r\nHost: a\r\n";
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        let raw = format!(
            "{h}If-Modified-Since: {date}\r\nIf-Modified-Since: {date}\r\n\
             If-Unmodified-Since: {date}\r\nif-unmodified-since: {date}\r\n\r\n"
        );
        let r = complete(&raw);
        assert_eq!((r.if_modified_since, r.if_unmodified_since), (None, None));
        let raw = format!("{h}Range: bytes=0-1\r\nRange: bytes=0-1\r\n\r\n");
        assert_eq!(complete(&raw).range, None);
        let raw = format!("{h}Range: bytes=0-1\r\nIf-Range: \"a\"\r\nIf-Range: \"a\"\r\n\r\n");
        let r = complete(&raw);
        assert_eq!((r.range, r.if_range), (None, None));
        let raw = format!("{h}Range: bytes=0-1\r\nIf-Range: \"a\"\r\n\r\n");
        let r = complete(&raw);
        assert_eq!((r.range, r.if_range), (Some(&b"bytes=0-1"[..]), Some(&b"\"a\""[..])));
    }

    #[test]
    fn rfc9112_3_2_target_bytes_and_absolute_form_authority() {
        for t in [
            "/a\"b",
            "/a<b",
            "/a>b",
            "/?q=\"",
            "/caf\u{e9}",
            "/#f",
            "http://user@h/",
            "http://h:80@evil/",
            "http:///x",
            "http://",
            "http://:80/",
            "http://h:8x/",
            "http://[::1/",
            "http://h#f",
            "ftp://h/",
        ] {
            assert_eq!(
                error(&format!("GET {t} HTTP/1.1\r\nHost: a\r\n\r\n")),
                HttpError::BadRequest,
                "{t:?}"
            );
        }
        for t in [
            "/a{b}|c^d`[e]",
            "/?a={b}|c^d`\\",
            "http://[::1]:8080/x",
            "http://h.lan?x",
        ] {
            complete(&format!("GET {t} HTTP/1.1\r\nHost: a\r\n\r\n"));
        }
    }

    #[test]
    fn rfc9112_2_2_leading_empty_lines_then_bad_version_is_505() {
        assert_eq!(
            error("\r\n\nGET / HTTP/2.0\r\nHost: a\r\n\r\n"),
            HttpError::VersionNotSupported
        );
    }

    #[test]
    fn rfc9112_5_field_syntax_errors() {
        for raw in [
            "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nName : x\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n",
            "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        ] {
            assert_eq!(error(raw), HttpError::BadRequest, "{raw:?}");
        }
    }

    #[test]
    fn fields_matched_by_name_not_by_search() {
        let r = complete("GET / HTTP/1.1\r\nHost: a\r\nX-Note: Range: bytes=0-4\r\nX-Range: bytes=1-2\r\n\r\n");
        assert_eq!(r.range, None);
        let r = complete("GET / HTTP/1.1\r\nhost: a\r\nrAnGe: bytes=1-2\r\n\r\n");
        assert_eq!(r.range, Some(&b"bytes=1-2"[..]));
    }

    #[test]
    fn limits_on_fields() {
        let many: String = (0..40).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(
            error(&format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n")),
            HttpError::HeaderFieldsTooLarge
        );
        let inm: String = (0..5).map(|_| "If-None-Match: \"a\"\r\n").collect();
        assert_eq!(
            error(&format!("GET / HTTP/1.1\r\nHost: a\r\n{inm}\r\n")),
            HttpError::HeaderFieldsTooLarge
        );
        let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(MAX_TARGET_LEN));
        assert_eq!(error(&long), HttpError::UriTooLong);
    }
}
