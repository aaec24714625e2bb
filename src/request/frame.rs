//! Head framing, before any parsing: where a head ends, which line is the
//! request line, and whether a head that will not parse asked with HEAD.

use crate::response::Reply;

/// Whether `buf` holds the blank line ending a head (CRLF CRLF, or bare LF LF,
/// RFC 9112 §2.2), searching from `from` so a head trickling in is scanned
/// once, not per read (lighttpd CVE-2022-30780 looped re-parsing split heads).
pub fn head_end(buf: &[u8], from: usize) -> bool {
    let start = from.saturating_sub(3);
    buf[start..]
        .windows(2)
        .enumerate()
        .any(|(i, w)| w == b"\n\n" || (w == b"\r\n" && start + i > 0 && buf[start + i - 1] == b'\n'))
}

/// The request line as (start, length): after the empty lines RFC 9112 §2.2
/// lets a server ignore, up to its LF or CRLF (or the end of `buf`).
pub fn request_line(buf: &[u8]) -> (usize, usize) {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let rest = &buf[start..];
    let mut len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    if len > 0 && rest[len - 1] == b'\r' {
        len -= 1;
    }
    (start, len)
}

/// For an error answered to bytes that did not parse: the method may be all
/// that did, and a HEAD response never has a body (RFC 9110 §9.3.2).
pub fn sniff_reply(buf: &[u8]) -> Reply {
    let (start, _) = request_line(buf);
    if buf[start..].starts_with(b"HEAD ") {
        Reply::HeadOnly
    } else {
        Reply::Full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9112_2_2_head_end_detection() {
        assert!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0));
        assert!(head_end(b"GET / HTTP/1.1\nHost: a\n\n", 0));
        assert!(!head_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0));
        // Found across the boundary of an earlier scan.
        let b = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for from in 0..b.len() {
            assert!(head_end(b, from), "from {from}");
        }
        assert!(!head_end(b"\r\n", 0));
    }

    #[test]
    fn rfc9112_2_2_request_line_skips_leading_empty_lines() {
        let b = b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        let (s, n) = request_line(b);
        assert_eq!(&b[s..s + n], b"GET / HTTP/1.1");
        assert_eq!(request_line(b"GARBAGE"), (0, 7));
        assert_eq!(request_line(b"\n\nGET / HTTP/1.1\n"), (2, 14));
    }

    #[test]
    fn rfc9110_9_3_2_head_sniffed_from_unparsed_bytes() {
        assert_eq!(sniff_reply(b"\r\nHEAD /x HTTP/9.9\r\n"), Reply::HeadOnly);
        assert_eq!(sniff_reply(b"HEADX / HTTP/1.1\r\n"), Reply::Full);
        assert_eq!(sniff_reply(b"GET / HTTP/1.1\r\n"), Reply::Full);
        assert_eq!(sniff_reply(b""), Reply::Full);
    }
}
