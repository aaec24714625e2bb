//! The Basic scheme's credentials (RFC 7617): `Basic base64(user ":" password)`.
//! Base64 decoding here is framing, not cryptography.

use crate::limits::MAX_CREDENTIALS_LEN;

/// Decoded `user:password`, in a fixed buffer.
pub struct BasicCredentials {
    buf: [u8; MAX_CREDENTIALS_LEN],
    len: usize,
    colon: usize,
}

impl BasicCredentials {
    pub fn user(&self) -> &[u8] {
        &self.buf[..self.colon]
    }

    pub fn password(&self) -> &[u8] {
        &self.buf[self.colon + 1..self.len]
    }
}

/// Parses an Authorization field value. `None` for another scheme, bad
/// base64, no colon, a control byte, or more than `MAX_CREDENTIALS_LEN`
/// decoded bytes: all of which are answered as "no credentials" (401).
pub fn parse(value: &[u8]) -> Option<BasicCredentials> {
    let value = value.trim_ascii();
    // The scheme name is case-insensitive (RFC 9110 §11.1); one or more spaces follow.
    if value.len() < 6 || !value[..5].eq_ignore_ascii_case(b"basic") || value[5] != b' ' {
        return None;
    }
    let token = value[6..].trim_ascii_start();
    let mut c = BasicCredentials {
        buf: [0; MAX_CREDENTIALS_LEN],
        len: 0,
        colon: 0,
    };
    c.len = decode_base64(token, &mut c.buf)?;
    let decoded = &c.buf[..c.len];
    // RFC 7617 §2: user-id without a colon; CTL characters are not allowed.
    c.colon = decoded.iter().position(|&b| b == b':')?;
    if decoded.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return None;
    }
    Some(c)
}

fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Standard base64 with `=` padding (RFC 4648 §4) into `out`; `None` if
/// malformed or too long.
fn decode_base64(text: &[u8], out: &mut [u8]) -> Option<usize> {
    if text.is_empty() || text.len() % 4 != 0 {
        return None;
    }
    let pad = text.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return None;
    }
    let body = &text[..text.len() - pad];
    let mut acc = 0u32;
    let mut bits = 0;
    let mut n = 0;
    for &c in body {
        acc = (acc << 6) | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(n)? = (acc >> bits) as u8;
            n += 1;
        }
    }
    // Leftover bits must be zero (canonical encoding).
    (acc & ((1 << bits) - 1) == 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7617_2_basic_credentials() {
        // RFC 7617 §2's example: Aladdin / open sesame.
        let c = parse(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
        assert_eq!((c.user(), c.password()), (&b"Aladdin"[..], &b"open sesame"[..]));
        let c = parse(b"bAsIc   YWRtaW46").unwrap();
        assert_eq!((c.user(), c.password()), (&b"admin"[..], &b""[..]));
        let c = parse(b"Basic OnA6cQ==").unwrap();
        assert_eq!((c.user(), c.password()), (&b""[..], &b"p:q"[..]));
        for bad in [
            &b""[..],
            b"Basic",
            b"Basic ",
            b"Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            b"BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            b"Basic QWxhZGRpbg==",
            b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ",
            b"Basic QWxh*GRpbjpvcGVuIHNlc2FtZQ==",
            b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZR==",
            b"Basic YTpiCmM=",
            b"Basic ===",
        ] {
            assert!(parse(bad).is_none(), "{:?}", String::from_utf8_lossy(bad));
        }
        let long = format!("Basic {}", "QUFB".repeat(MAX_CREDENTIALS_LEN / 3 + 1));
        assert!(parse(long.as_bytes()).is_none());
    }
}
