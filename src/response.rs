//! Response planning: pure functions from a request and a file's metadata to a
//! status, a response head written into the connection's fixed buffer, and the
//! byte span of the file to send. No syscalls here.

use crate::conditional::{ETag, Precondition, evaluate, range_allowed};
use crate::date::format_imf;
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

    fn put(&mut self, bytes: &[u8]) -> &mut Self {
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

    fn num(&mut self, mut v: u64) -> &mut Self {
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

/// What every response shares, fixed before planning.
pub struct Common<'a> {
    /// The current IMF-fixdate, formatted once per loop iteration.
    pub date: &'a [u8],
    /// Whether the connection stays open after this response.
    pub keep_alive: bool,
    /// The request was HTTP/1.0 (persistence must then be announced, RFC 9112 §9.3).
    pub http10: bool,
    /// `--cache-control` value, if any.
    pub cache_control: Option<&'a [u8]>,
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
    w.header(b"X-Content-Type-Options", b"nosniff");
    if !c.keep_alive {
        w.header(b"Connection", b"close");
    } else if c.http10 {
        w.header(b"Connection", b"keep-alive");
    }
}

/// A file response's plan: the head is in the buffer; the body is `len` bytes
/// of the file from `offset` (none for HEAD, 304, 412, 416).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePlan {
    pub status: u16,
    /// Bytes of the response buffer to send (head, and any inline body).
    pub head_len: usize,
    pub body: Option<(u64, u64)>,
    /// Length of a short text body written after the head (412, 416), for the log.
    pub inline_body: usize,
}

/// The file being answered with, as `path::resolve` found it.
pub struct Representation<'a> {
    pub meta: FileMeta,
    /// Served bytes are the `.gz` sibling (Content-Encoding: gzip).
    pub gzip: bool,
    /// A `.gz` sibling exists, so the response varies on Accept-Encoding.
    pub has_gzip_variant: bool,
    pub content_type: &'a str,
}

/// Plans a response for an existing file: §13.2.2 preconditions, then Range.
pub fn file(buf: &mut [u8], req: &Request<'_>, rep: &Representation<'_>, c: &Common<'_>) -> Option<FilePlan> {
    let m = rep.meta;
    let etag = ETag::new(m.size, m.mtime_sec, m.mtime_nsec, rep.gzip);
    let last_modified = format_imf(m.mtime_sec);
    let mut w = HeadWriter::new(buf);
    let validators = |w: &mut HeadWriter<'_>| {
        w.header(b"ETag", etag.as_bytes());
        w.header(b"Last-Modified", &last_modified);
        if let Some(cc) = c.cache_control {
            w.header(b"Cache-Control", cc);
        }
        if rep.has_gzip_variant {
            w.header(b"Vary", b"Accept-Encoding");
        }
    };
    match evaluate(req, &etag, m.mtime_sec) {
        Precondition::NotModified => {
            // RFC 9110 §15.4.5: no body; keep the validators and Cache-Control/Vary.
            start(&mut w, 304, c);
            validators(&mut w);
            w.put(b"\r\n");
            return w.finish().map(|head_len| FilePlan {
                status: 304,
                head_len,
                body: None,
                inline_body: 0,
            });
        }
        Precondition::Failed => {
            return plain_status(w, 412, b"412 Precondition Failed\n", req.method == Method::Head, c);
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
            let body: &[u8] = b"416 Range Not Satisfiable\n";
            return finish_plain(w, 416, body, req.method == Method::Head);
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
    if rep.gzip {
        w.header(b"Content-Encoding", b"gzip");
    }
    w.header(b"Accept-Ranges", b"bytes");
    validators(&mut w);
    w.put(b"\r\n");
    let body = (req.method == Method::Get && len > 0).then_some((first, len));
    w.finish().map(|head_len| FilePlan {
        status,
        head_len,
        body,
        inline_body: 0,
    })
}

fn plain_status(mut w: HeadWriter<'_>, status: u16, body: &[u8], head: bool, c: &Common<'_>) -> Option<FilePlan> {
    start(&mut w, status, c);
    finish_plain(w, status, body, head)
}

/// Ends a head with a short text body (omitted for HEAD, length kept, RFC 9110 §9.3.2).
fn finish_plain(mut w: HeadWriter<'_>, status: u16, body: &[u8], head: bool) -> Option<FilePlan> {
    w.header(b"Content-Type", b"text/plain; charset=utf-8");
    w.header_num(b"Content-Length", body.len() as u64);
    w.put(b"\r\n");
    if !head {
        w.put(body);
    }
    w.finish().map(|head_len| FilePlan {
        status,
        head_len,
        body: None,
        inline_body: if head { 0 } else { body.len() },
    })
}

/// An error response: constant body, `Allow` on 405, `Retry-After` on 503.
/// Returns the head length (the body is in it).
pub fn error(buf: &mut [u8], err: HttpError, head: bool, c: &Common<'_>) -> usize {
    let mut w = HeadWriter::new(buf);
    start(&mut w, err.status(), c);
    match err {
        HttpError::MethodNotAllowed => {
            w.header(b"Allow", b"GET, HEAD");
        }
        HttpError::ServiceUnavailable => {
            w.header_num(b"Retry-After", u64::from(crate::limits::RETRY_AFTER_SECS));
        }
        _ => {}
    }
    finish_plain(w, err.status(), err.body().as_bytes(), head)
        .map(|p| p.head_len)
        // Every error head is a few hundred bytes; the buffer is sized for them.
        .unwrap_or(0)
}

/// 301 to the same path with a slash (RFC 9110 §15.4.2), relative so it is
/// never built from Host: `./NAME/` (the `./` keeps a `:` in NAME from reading
/// as a scheme, RFC 3986 §4.2), query kept.
pub fn add_slash(buf: &mut [u8], req: &Request<'_>, c: &Common<'_>) -> Option<usize> {
    let name = req.path.rsplit(|&b| b == b'/').next().unwrap_or(b"");
    let mut w = HeadWriter::new(buf);
    start(&mut w, 301, c);
    w.put(b"Location: ./").put(name).put(b"/");
    if let Some(q) = req.query {
        w.put(b"?").put(q);
    }
    w.put(b"\r\n");
    w.header_num(b"Content-Length", 0);
    w.put(b"\r\n");
    w.finish()
}

/// Whether the request was HTTP/1.0 (for `Common::http10`).
pub fn is_http10(req: &Request<'_>) -> bool {
    req.version == Version::Http10
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, Request, Version};

    const DATE: &[u8] = b"Sat, 28 Nov 2026 16:47:20 GMT";

    fn common() -> Common<'static> {
        Common {
            date: DATE,
            keep_alive: true,
            http10: false,
            cache_control: None,
        }
    }

    fn rep(size: u64) -> Representation<'static> {
        Representation {
            meta: FileMeta {
                size,
                mtime_sec: 784_111_777,
                mtime_nsec: 0,
            },
            gzip: false,
            has_gzip_variant: false,
            content_type: "text/plain; charset=utf-8",
        }
    }

    fn head_text(buf: &[u8], plan: &FilePlan) -> String {
        String::from_utf8(buf[..plan.head_len].to_vec()).unwrap()
    }

    #[test]
    fn rfc9110_15_3_1_plain_200() {
        let mut buf = [0u8; 1536];
        let req = Request::new(Method::Get, Version::Http11, b"/x.txt");
        let plan = file(&mut buf, &req, &rep(10), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (200, Some((0, 10))));
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
        r.gzip = true;
        r.has_gzip_variant = true;
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
        assert_eq!((plan.status, plan.body), (206, Some((2, 3))));
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
        r.has_gzip_variant = true;
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
            http10: true,
            ..common()
        };
        let plan = file(&mut buf, &req, &rep(1), &c).unwrap();
        assert!(head_text(&buf, &plan).contains("Connection: keep-alive\r\n"));
        let c = Common {
            keep_alive: false,
            ..common()
        };
        let n = error(&mut buf, HttpError::MethodNotAllowed, false, &c);
        let h = std::str::from_utf8(&buf[..n]).unwrap();
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
        let n = add_slash(&mut buf, &req, &common()).unwrap();
        let h = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(h.starts_with("HTTP/1.1 301 Moved Permanently\r\n"));
        assert!(h.contains("Location: ./my%20dir/?x=1\r\n"), "{h}");
    }

    // Issue 10: lengths near 2^32 (a 32-bit usize) and near u64::MAX are planned in u64.
    #[test]
    fn rfc9110_14_4_lengths_near_4gib_and_u64_max() {
        let mut buf = [0u8; 1536];
        let mut req = Request::new(Method::Get, Version::Http11, b"/x.bin");
        let plan = file(&mut buf, &req, &rep((1 << 32) - 1), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (200, Some((0, (1 << 32) - 1))));
        assert!(head_text(&buf, &plan).contains("Content-Length: 4294967295\r\n"));
        req.range = Some(b"bytes=0-4294967294");
        let plan = file(&mut buf, &req, &rep(5 << 30), &common()).unwrap();
        assert_eq!((plan.status, plan.body), (206, Some((0, (1 << 32) - 1))));
        let h = head_text(&buf, &plan);
        assert!(h.contains("Content-Range: bytes 0-4294967294/5368709120\r\n"), "{h}");
        for (range, first, len) in [("bytes=0-", 0, u64::MAX), ("bytes=-1", u64::MAX - 1, 1)] {
            req.range = Some(range.as_bytes());
            let plan = file(&mut buf, &req, &rep(u64::MAX), &common()).unwrap();
            assert_eq!((plan.status, plan.body), (206, Some((first, len))), "{range}");
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
}
