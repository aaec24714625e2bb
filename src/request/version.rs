//! Request lines whose version httparse refuses: a later HTTP/1 minor version
//! is served as HTTP/1.1, another well-formed version is a 505, the rest 400.

use super::frame::request_line;
use super::{Parsed, Version, syntax_error, typed};
use crate::error::HttpError;
use crate::limits::MAX_HEADERS;

/// httparse knows only `HTTP/1.0` and `HTTP/1.1` and says "bad version" for
/// anything else, garbage included. Judged here on the request line (after the
/// empty lines httparse skipped, RFC 9112 §2.2):
/// - `HTTP/1.2` to `HTTP/1.9`: a later minor version of HTTP/1, processed as
///   HTTP/1.1, the highest minor version warden conforms to (RFC 9110 §2.5);
///   the response is HTTP/1.1 with 1.1 semantics (Host required, persistent);
/// - another well-formed `HTTP/d.d` (`HTTP/2.0`, `HTTP/0.9`): 505 (RFC 9110 §15.6.6);
/// - anything else (`HTTP/1.10`, `HTTP/1.x`): not `HTTP-name "/" DIGIT "." DIGIT`
///   (RFC 9112 §2.3), so an invalid request line: 400.
pub(super) fn parse_other_version(buf: &[u8]) -> Result<Parsed<'_>, HttpError> {
    let digit = later_minor_digit(buf)?;
    // Method and target, checked by httparse exactly as in a 1.1 request: on
    // `METHOD SP TARGET SP HTTP/1.` it stops before the missing minor digit
    // (Partial), with method and path filled in (httparse documents reading
    // them after a Partial). Nothing is copied: the head is never rewritten.
    let mut raw = httparse::Request::new(&mut []);
    match raw.parse(&buf[..digit]) {
        Ok(httparse::Status::Partial) => {}
        Ok(httparse::Status::Complete(_)) => return Err(HttpError::BadRequest),
        Err(e) => return Err(syntax_error(e)),
    }
    let (Some(method), Some(target)) = (raw.method, raw.path) else {
        return Err(HttpError::BadRequest);
    };
    // The line ends right after the digit (`later_minor_digit` saw to that):
    // with CRLF or LF, or the buffer ends first (a CR at most), as in a Partial.
    let fields_at = match &buf[digit + 1..] {
        [b'\r', b'\n', ..] => digit + 3,
        [b'\n', ..] => digit + 2,
        _ => return Ok(Parsed::Partial),
    };
    // The field lines and the blank line, as httparse parses them after any request line.
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (fields_len, fields) = match httparse::parse_headers(&buf[fields_at..], &mut headers) {
        Ok(httparse::Status::Complete(done)) => done,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(e) => return Err(syntax_error(e)),
    };
    typed(method, target, Version::Http11, fields, fields_at + fields_len)
}

/// Where the minor digit of a `METHOD SP TARGET SP HTTP/1.d` request line with
/// d ≥ 2 is in `buf`; the error for any other line httparse refused the version of.
fn later_minor_digit(buf: &[u8]) -> Result<usize, HttpError> {
    // After the empty lines httparse skipped (RFC 9112 §2.2); a bare CR among
    // them is a NewLine error and never gets here.
    let (start, len) = request_line(buf);
    let line = &buf[start..start + len];
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::BadRequest);
    };
    let shaped = !method.is_empty()
        && !target.is_empty()
        && version.len() == 8
        && version.starts_with(b"HTTP/")
        && version[5].is_ascii_digit()
        && version[6] == b'.'
        && version[7].is_ascii_digit();
    if !shaped {
        return Err(HttpError::BadRequest);
    }
    if version[5] == b'1' && version[7] >= b'2' {
        // start + "METHOD SP TARGET SP HTTP/1."
        Ok(start + method.len() + target.len() + 9)
    } else {
        Err(HttpError::VersionNotSupported)
    }
}
