//! Response planning: pure functions from a request and a file's metadata to a
//! status, a response head written into the connection's fixed buffer, and the
//! byte span of the file to send. No syscalls here.

use crate::conditional::{ETag, Precondition, evaluate, range_allowed};
use crate::date::format_imf;
use crate::encoding::Coding;
use crate::error::{HttpError, reason};
use crate::path::FileMeta;
use crate::range::{self, RangeRequest};
use crate::request::{Method, Request, Version};

/// Writes a response head into a fixed buffer; remembers overflow instead of panicking.
pub struct HeadWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl<'a> HeadWriter<'a> {
    pub fn new(buf: &'a mut [u8]) -> HeadWriter<'a> {
        HeadWriter {
            buf,
            len: 0,
            overflow: false,
        }
    }

    pub fn put(&mut self, bytes: &[u8]) -> &mut Self {
        let end = self.len.checked_add(bytes.len());
        match end.and_then(|end| self.buf.get_mut(self.len..end)) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
        self
    }

    pub fn num(&mut self, mut v: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.put(&digits[i..])
    }

    fn header(&mut self, name: &[u8], value: &[u8]) -> &mut Self {
        self.put(name).put(b": ").put(value).put(b"\r\n")
    }

    fn header_num(&mut self, name: &[u8], value: u64) -> &mut Self {
        self.put(name).put(b": ").num(value).put(b"\r\n")
    }

    /// Bytes written, or `None` if the head did not fit.
    pub fn finish(self) -> Option<usize> {
        (!self.overflow).then_some(self.len)
    }
}

/// Whether the connection stays open after a response (RFC 9112 §9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    KeepAlive,
    Close,
}

/// What a request lets a response carry: a HEAD response has the head of the
/// GET response and no body (RFC 9110 §9.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Full,
    HeadOnly,
}

impl Reply {
    pub fn to(method: Method) -> Reply {
        match method {
            Method::Head => Reply::HeadOnly,
            Method::Get | Method::Options | Method::OtherKnown | Method::Unknown => Reply::Full,
        }
    }
}

/// What every response shares, fixed before planning.
#[derive(Clone, Copy)]
pub struct Common<'a> {
    /// The current IMF-fixdate, formatted once per loop iteration.
    pub date: &'a [u8],
    /// Whether the connection may stay open (a response may still close it).
    pub connection: Connection,
    /// The request's version: a persistent HTTP/1.0 connection must be announced (RFC 9112 §9.3).
    pub version: Version,
    /// `--cache-control` value, if any.
    pub cache_control: Option<&'a [u8]>,
    /// The configured header lines (security defaults, `--header`), rendered.
    pub headers: &'a [u8],
}

impl<'a> Common<'a> {
    /// For a response to bytes that never parsed (or to no request at all): it closes.
    pub fn closing(date: &'a [u8], headers: &'a [u8]) -> Common<'a> {
        Common {
            date,
            connection: Connection::Close,
            version: Version::Http11,
            cache_control: None,
            headers,
        }
    }
}

/// Status line and the fields every response carries (RFC 9110 §6.6.1, §10.2.4).
fn start(w: &mut HeadWriter<'_>, status: u16, c: &Common<'_>) {
    w.put(b"HTTP/1.1 ")
        .num(u64::from(status))
        .put(b" ")
        .put(reason(status).as_bytes())
        .put(b"\r\n");
    w.header(b"Date", c.date);
    w.header(b"Server", b"warden");
    w.put(c.headers);
    match (c.connection, c.version) {
        (Connection::Close, _) => w.header(b"Connection", b"close"),
        (Connection::KeepAlive, Version::Http10) => w.header(b"Connection", b"keep-alive"),
        (Connection::KeepAlive, Version::Http11) => w,
    };
}

/// The bytes `offset..end` of a file, the body of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub offset: u64,
    pub end: u64,
}

/// A planned response: the head (and any short text body) is in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub status: u16,
    /// Bytes of the buffer to send: the head, and the inline body if any.
    pub len: usize,
    /// File bytes to send after them (none for HEAD, 304, 412, 416, errors).
    pub body: Option<Span>,
    /// Length of the short text body inside `len` (errors, 412, 416), for the log.
    pub inline_body: usize,
    /// Whether the connection stays open after this response.
    pub connection: Connection,
}

/// The file being answered with, as the file cache found it.
#[derive(Clone, Copy, Debug)]
pub struct Representation {
    pub meta: FileMeta,
    pub coding: Coding,
    pub content_type: &'static str,
}

/// What a request is answered with, decided before planning (`route.rs`).
pub enum Answer<'r, 'b> {
    /// An existing file: §13.2.2 preconditions, then Range.
    File(&'r Request<'b>, Representation),
    /// A directory asked for without its slash.
    AddSlash(&'r Request<'b>),
    /// A plain-HTTP request sent to the same host and target over HTTPS on
    /// this port (`--redirect-https`).
    ToHttps(&'r Request<'b>, u16),
    /// A refusal, for a request that parsed or for bytes that did not.
    Error(HttpError, Reply),
    /// A refusal whose body is a file of the web root (`--error-page`).
    ErrorPage(HttpError, Reply, Representation),
}

/// Plans the response for any answer: writes its head into `buf` and says
/// what follows. Errors that leave the byte stream untrustworthy close the
/// connection; a head too long for the buffer (a very long redirect) becomes
/// a 414 that closes it.
pub fn plan(buf: &mut [u8], answer: Answer<'_, '_>, common: &Common<'_>) -> Plan {
    let mut c = *common;
    let reply = match &answer {
        Answer::File(req, _) | Answer::AddSlash(req) | Answer::ToHttps(req, _) => Reply::to(req.method),
        Answer::Error(e, reply) | Answer::ErrorPage(e, reply, _) => {
            if e.closes_connection() {
                c.connection = Connection::Close;
            }
            *reply
        }
    };
    let planned = match answer {
        Answer::File(req, rep) => file(buf, req, &rep, &c),
        Answer::AddSlash(req) => add_slash(buf, req, &c),
        Answer::ToHttps(req, port) => to_https(buf, req, port, &c),
        Answer::Error(e, reply) => Some(error(buf, e, reply, &c)),
        Answer::ErrorPage(e, reply, rep) => error_page(buf, e, reply, &rep, &c),
    };
    planned.unwrap_or_else(|| {
        c.connection = Connection::Close;
        error(buf, HttpError::UriTooLong, reply, &c)
    })
}

/// The 503 for a connection refused without a slot (the table is full).
/// Returns the bytes of `buf` to send.
pub fn refusal(buf: &mut [u8], date: &[u8], headers: &[u8]) -> usize {
    error(
        buf,
        HttpError::ServiceUnavailable,
        Reply::Full,
        &Common::closing(date, headers),
    )
    .len
}

/// Plans a response for an existing file: §13.2.2 preconditions, then Range.
fn file(buf: &mut [u8], req: &Request<'_>, rep: &Representation, c: &Common<'_>) -> Option<Plan> {
    let m = rep.meta;
    let etag = ETag::new(m.size, m.mtime_sec, m.mtime_nsec, rep.coding.is_gzip());
    let last_modified = format_imf(m.mtime_sec);
    let reply = Reply::to(req.method);
    let mut w = HeadWriter::new(buf);
    let validators = |w: &mut HeadWriter<'_>| {
        w.header(b"ETag", etag.as_bytes());
        w.header(b"Last-Modified", &last_modified);
        if let Some(cc) = c.cache_control {
            w.header(b"Cache-Control", cc);
        }
        if rep.coding.varies() {
            w.header(b"Vary", b"Accept-Encoding");
        }
    };
    match evaluate(req, &etag, m.mtime_sec) {
        Precondition::NotModified => {
            // RFC 9110 §15.4.5: no body; keep the validators and Cache-Control/Vary.
            start(&mut w, 304, c);
            validators(&mut w);
            w.put(b"\r\n");
            return w.finish().map(|len| Plan {
                status: 304,
                len,
                body: None,
                inline_body: 0,
                connection: c.connection,
            });
        }
        Precondition::Failed => {
            start(&mut w, 412, c);
            return finish_plain(w, 412, b"412 Precondition Failed\n", reply, c);
        }
        Precondition::Proceed => {}
    }
    let wanted = match req.range {
        Some(value) if range_allowed(req, &etag, m.mtime_sec) => range::parse(value, m.size),
        _ => RangeRequest::Whole,
    };
    let (status, first, len) = match wanted {
        RangeRequest::Whole => (200, 0, m.size),
        // range.rs: first <= last < size, so this and `first + len - 1` below cannot wrap.
        RangeRequest::Single { first, last } => (206, first, last - first + 1),
        RangeRequest::Unsatisfiable => {
            // RFC 9110 §15.5.17: say how long the representation is.
            start(&mut w, 416, c);
            w.put(b"Content-Range: bytes */").num(m.size).put(b"\r\n");
            return finish_plain(w, 416, b"416 Range Not Satisfiable\n", reply, c);
        }
    };
    start(&mut w, status, c);
    w.header(b"Content-Type", rep.content_type.as_bytes());
    w.header_num(b"Content-Length", len);
    if status == 206 {
        w.put(b"Content-Range: bytes ")
            .num(first)
            .put(b"-")
            .num(first + len - 1)
            .put(b"/")
            .num(m.size)
            .put(b"\r\n");
    }
    if rep.coding.is_gzip() {
        w.header(b"Content-Encoding", b"gzip");
    }
    w.header(b"Accept-Ranges", b"bytes");
    validators(&mut w);
    w.put(b"\r\n");
    // first + len = last + 1 <= the file's size: no overflow.
    let body = (reply == Reply::Full && len > 0).then_some(Span {
        offset: first,
        end: first + len,
    });
    w.finish().map(|head_len| Plan {
        status,
        len: head_len,
        body,
        inline_body: 0,
        connection: c.connection,
    })
}

/// Ends a head with a short text body (omitted for HEAD, length kept, RFC 9110 §9.3.2).
fn finish_plain(mut w: HeadWriter<'_>, status: u16, body: &[u8], reply: Reply, c: &Common<'_>) -> Option<Plan> {
    w.header(b"Content-Type", b"text/plain; charset=utf-8");
    w.header_num(b"Content-Length", body.len() as u64);
    w.put(b"\r\n");
    let inline_body = match reply {
        Reply::Full => {
            w.put(body);
            body.len()
        }
        Reply::HeadOnly => 0,
    };
    w.finish().map(|len| Plan {
        status,
        len,
        body: None,
        inline_body,
        connection: c.connection,
    })
}

/// An error response: constant body, `Allow` on 405, `Retry-After` on 503.
fn error(buf: &mut [u8], err: HttpError, reply: Reply, c: &Common<'_>) -> Plan {
    let mut w = HeadWriter::new(buf);
    start(&mut w, err.status(), c);
    error_headers(&mut w, err);
    // Every error head is a few hundred bytes; the buffer (RESPONSE_HEAD_CAP)
    // is sized for them, with the longest --cache-control config allows.
    finish_plain(w, err.status(), err.body().as_bytes(), reply, c).unwrap_or(Plan {
        status: err.status(),
        len: 0,
        body: None,
        inline_body: 0,
        connection: Connection::Close,
    })
}

/// An error whose body is a file (`--error-page`): the error's status and
/// headers, the file's type and length; no validators or ranges (the
/// representation is the error's, not the file's).
fn error_page(buf: &mut [u8], err: HttpError, reply: Reply, rep: &Representation, c: &Common<'_>) -> Option<Plan> {
    let mut w = HeadWriter::new(buf);
    start(&mut w, err.status(), c);
    error_headers(&mut w, err);
    w.header(b"Content-Type", rep.content_type.as_bytes());
    w.header_num(b"Content-Length", rep.meta.size);
    w.put(b"\r\n");
    let body = (reply == Reply::Full && rep.meta.size > 0).then_some(Span {
        offset: 0,
        end: rep.meta.size,
    });
    w.finish().map(|len| Plan {
        status: err.status(),
        len,
        body,
        inline_body: 0,
        connection: c.connection,
    })
}

/// The headers an error carries besides the common ones.
fn error_headers(w: &mut HeadWriter<'_>, err: HttpError) {
    match err {
        HttpError::MethodNotAllowed => {
            w.header(b"Allow", b"GET, HEAD");
        }
        HttpError::Unauthorized => {
            // RFC 7617 §2, §2.1: the realm, and that credentials are UTF-8.
            w.header(b"WWW-Authenticate", b"Basic realm=\"warden\", charset=\"UTF-8\"");
        }
        HttpError::ServiceUnavailable => {
            w.header_num(b"Retry-After", u64::from(crate::limits::RETRY_AFTER_SECS));
        }
        HttpError::TooManyRequests { retry_after } => {
            w.header_num(b"Retry-After", u64::from(retry_after));
        }
        _ => {}
    }
}

/// 308 (RFC 9110 §15.4.9: the method and body stay) to `https://HOST[:PORT]`
/// and the target as sent. HOST is the request's, which the Host guard has
/// passed and the parser checked (reg-name or IP-literal characters only, so
/// nothing can end the header line). No Host (HTTP/1.0): 400, there is no
/// name to send the browser to.
fn to_https(buf: &mut [u8], req: &Request<'_>, port: u16, c: &Common<'_>) -> Option<Plan> {
    let Some(host) = req.host else {
        return Some(error(buf, HttpError::BadRequest, Reply::to(req.method), c));
    };
    redirect(buf, 308, req.query, c, |w| {
        w.put(b"https://").put(host);
        if port != 443 {
            w.put(b":").num(u64::from(port));
        }
        w.put(req.path);
    })
}

/// 301 to the same path with a slash (RFC 9110 §15.4.2), relative so it is
/// never built from Host: `./NAME/` (the `./` keeps a `:` in NAME from reading
/// as a scheme, RFC 3986 §4.2), query kept.
fn add_slash(buf: &mut [u8], req: &Request<'_>, c: &Common<'_>) -> Option<Plan> {
    let name = req.path.rsplit(|&b| b == b'/').next().unwrap_or(b"");
    redirect(buf, 301, req.query, c, |w| {
        w.put(b"./").put(name).put(b"/");
    })
}

/// A redirect without a body: `location` writes the Location value up to
/// the query, which follows it unchanged.
fn redirect(
    buf: &mut [u8],
    status: u16,
    query: Option<&[u8]>,
    c: &Common<'_>,
    location: impl FnOnce(&mut HeadWriter<'_>),
) -> Option<Plan> {
    let mut w = HeadWriter::new(buf);
    start(&mut w, status, c);
    w.put(b"Location: ");
    location(&mut w);
    if let Some(q) = query {
        w.put(b"?").put(q);
    }
    w.put(b"\r\n");
    w.header_num(b"Content-Length", 0);
    w.put(b"\r\n");
    w.finish().map(|len| Plan {
        status,
        len,
        body: None,
        inline_body: 0,
        connection: c.connection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, Request, Version};

    const DATE: &[u8] = b"Sat, 28 Nov 2026 16:47:20 GMT";

    fn common() -> Common<'static> {
        Common {
            date: DATE,
            connection: Connection::KeepAlive,
            version: Version::Http11,
            cache_control: None,
            headers: b"X-Content-Type-Options: nosniff\r\n",
        }
    }

    fn rep(size: u64) -> Representation {
        Representation {
            meta: FileMeta {
                size,
                mtime_sec: 784_111_777,
                mtime_nsec: 0,
            },
            coding: Coding::Identity,
            content_type: "text/plain; charset=utf-8",
        }
    }

    fn head_text(buf: &[u8], plan: &Plan) -> String {
        String::from_utf8(buf[..plan.len].to_vec()).unwrap()
    }

    /// `len` bytes from `offset`.
    fn span(offset: u64, len: u64) -> Span {
        Span {
            offset,
            end: offset + len,
        }
    }

    #[test]
    fn rfc9110_15_3_1_plain_200() {
        let mut buf = [0u8; 1536];
        let req = Request::new(Method::Get, Version::Http11, b"/x.txt");
        let plan = file(&mut buf, &req, &rep(10), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (200, Some(span(0, 10))));
        let h = head_text(&buf, &plan);
        assert!(h.starts_with("HTTP/1.1 200 OK\r\n"), "{h}");
        for want in [
            "Date: Sat, 28 Nov 2026 16:47:20 GMT\r\n",
            "Server: warden\r\n",
            "Content-Length: 10\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
            "ETag: \"a-2ebc98a1.0\"\r\n",
            "Accept-Ranges: bytes\r\n",
            "X-Content-Type-Options: nosniff\r\n",
        ] {
            assert!(h.contains(want), "missing {want:?} in {h}");
        }
        assert!(h.ends_with("\r\n\r\n"));
        assert!(!h.contains("Connection:"));
    }

    /// §8.8.3: the `.gz` representation's tag differs from the plain one's even
    /// at equal size and mtime; neither carries more than size and mtime.
    #[test]
    fn rfc9110_8_8_3_gzip_variant_has_its_own_etag() {
        let mut buf = [0u8; 1536];
        let req = Request::new(Method::Get, Version::Http11, b"/x.txt");
        let mut r = rep(10);
        r.coding = Coding::Gzip;
        let plan = file(&mut buf, &req, &r, &common()).unwrap();
        let h = head_text(&buf, &plan);
        assert!(h.contains("ETag: \"a-2ebc98a1.0-gz\"\r\n"), "{h}");
        assert!(h.contains("Content-Encoding: gzip\r\n"), "{h}");
    }

    #[test]
    fn rfc9110_9_3_2_head_has_length_but_no_body() {
        let mut buf = [0u8; 1536];
        let req = Request::new(Method::Head, Version::Http11, b"/x.txt");
        let plan = file(&mut buf, &req, &rep(10), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (200, None));
        assert!(head_text(&buf, &plan).contains("Content-Length: 10\r\n"));
    }

    #[test]
    fn rfc9110_14_2_range_plans() {
        let mut buf = [0u8; 1536];
        let mut req = Request::new(Method::Get, Version::Http11, b"/x.txt");
        req.range = Some(b"bytes=2-4");
        let plan = file(&mut buf, &req, &rep(10), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (206, Some(span(2, 3))));
        assert!(head_text(&buf, &plan).contains("Content-Range: bytes 2-4/10\r\n"));
        req.range = Some(b"bytes=10-");
        let plan = file(&mut buf, &req, &rep(10), &common()).unwrap();
        assert_eq!(plan.status, 416);
        assert!(head_text(&buf, &plan).contains("Content-Range: bytes */10\r\n"));
    }

    #[test]
    fn rfc9110_15_4_5_not_modified_keeps_validators() {
        let mut buf = [0u8; 1536];
        let mut req = Request::new(Method::Get, Version::Http11, b"/x.txt");
        req.if_none_match.push(b"*").unwrap();
        let mut r = rep(10);
        r.coding = Coding::IdentityOverGzip;
        let c = Common {
            cache_control: Some(b"max-age=60"),
            ..common()
        };
        let plan = file(&mut buf, &req, &r, &c).unwrap();
        assert_eq!((plan.status, plan.body), (304, None));
        let h = head_text(&buf, &plan);
        for want in [
            "ETag: ",
            "Last-Modified: ",
            "Cache-Control: max-age=60\r\n",
            "Vary: Accept-Encoding\r\n",
        ] {
            assert!(h.contains(want), "missing {want:?} in {h}");
        }
        assert!(!h.contains("Content-Length"), "{h}");
    }

    #[test]
    fn rfc9112_9_3_connection_header() {
        let mut buf = [0u8; 1536];
        let req = Request::new(Method::Get, Version::Http10, b"/x");
        let c = Common {
            version: Version::Http10,
            ..common()
        };
        let p = file(&mut buf, &req, &rep(1), &c).unwrap();
        assert!(head_text(&buf, &p).contains("Connection: keep-alive\r\n"));
        let p = plan(
            &mut buf,
            Answer::Error(HttpError::MethodNotAllowed, Reply::Full),
            &common(),
        );
        assert_eq!(p.connection, Connection::Close, "a 405 closes");
        let h = std::str::from_utf8(&buf[..p.len]).unwrap();
        assert!(
            h.contains("Connection: close\r\n") && h.contains("Allow: GET, HEAD\r\n"),
            "{h}"
        );
        assert!(h.ends_with("405 Method Not Allowed\n"), "{h}");
    }

    #[test]
    fn rfc9110_15_4_2_relative_redirect() {
        let mut buf = [0u8; 1536];
        let mut req = Request::new(Method::Get, Version::Http11, b"/a/my%20dir");
        req.query = Some(b"x=1");
        let p = plan(&mut buf, Answer::AddSlash(&req), &common());
        let h = std::str::from_utf8(&buf[..p.len]).unwrap();
        assert!(h.starts_with("HTTP/1.1 301 Moved Permanently\r\n"));
        assert!(h.contains("Location: ./my%20dir/?x=1\r\n"), "{h}");
    }

    // Issue 10: lengths near 2^32 (a 32-bit usize) and near u64::MAX are planned in u64.
    #[test]
    fn rfc9110_14_4_lengths_near_4gib_and_u64_max() {
        let mut buf = [0u8; 1536];
        let mut req = Request::new(Method::Get, Version::Http11, b"/x.bin");
        let plan = file(&mut buf, &req, &rep((1 << 32) - 1), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (200, Some(span(0, (1 << 32) - 1))));
        assert!(head_text(&buf, &plan).contains("Content-Length: 4294967295\r\n"));
        req.range = Some(b"bytes=0-4294967294");
        let plan = file(&mut buf, &req, &rep(5 << 30), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (206, Some(span(0, (1 << 32) - 1))));
        let h = head_text(&buf, &plan);
        assert!(h.contains("Content-Range: bytes 0-4294967294/5368709120\r\n"), "{h}");
        for (range, first, len) in [("bytes=0-", 0, u64::MAX), ("bytes=-1", u64::MAX - 1, 1)] {
            req.range = Some(range.as_bytes());
            let plan = file(&mut buf, &req, &rep(u64::MAX), &common()).unwrap();
            assert_eq!((plan.status, plan.body), (206, Some(span(first, len))), "{range}");
            let want = format!("Content-Range: bytes {first}-{}/{}\r\n", u64::MAX - 1, u64::MAX);
            assert!(head_text(&buf, &plan).contains(&want), "{range}");
        }
    }

    #[test]
    fn overflow_is_reported_not_panicked() {
        let mut buf = [0u8; 40];
        let req = Request::new(Method::Get, Version::Http11, b"/x");
        assert!(file(&mut buf, &req, &rep(1), &common()).is_none());
    }

    /// A head that does not fit (a redirect with a very long query) is a 414
    /// that closes the connection, planned by the same function.
    #[test]
    fn rfc9110_15_5_15_head_too_long_for_the_buffer_is_414() {
        let mut buf = [0u8; 300];
        let query = "q".repeat(400);
        let mut req = Request::new(Method::Get, Version::Http11, b"/dir");
        req.query = Some(query.as_bytes());
        let p = plan(&mut buf, Answer::AddSlash(&req), &common());
        assert_eq!((p.status, p.connection, p.body), (414, Connection::Close, None));
        let h = std::str::from_utf8(&buf[..p.len]).unwrap();
        assert!(
            h.starts_with("HTTP/1.1 414 ") && h.ends_with("414 URI Too Long\n"),
            "{h}"
        );
        assert_eq!(p.inline_body, "414 URI Too Long\n".len());
        let head = Request::new(Method::Head, Version::Http11, b"/dir");
        let mut head = head;
        head.query = Some(query.as_bytes());
        let p = plan(&mut buf, Answer::AddSlash(&head), &common());
        assert_eq!((p.status, p.inline_body), (414, 0), "HEAD: no body");
    }
}
