//! The one HTTP/1.1 response reader of the Rust side: sans-IO, bytes in,
//! a parsed head out; and the one base64 encoder (Basic credentials, RFC 7617). Used by the integration tests (`tests/common`, which
//! read from sockets) and by the fuzz harness (`fuzz/src/lib.rs`, which
//! checks a byte stream), so both judge responses by the same rules.
#![allow(dead_code)]

/// A response head: status line and fields.
#[derive(Clone, Debug)]
pub struct Head {
    pub version: String,
    pub status: u16,
    pub reason: String,
    /// (lower-case name, value) in order of appearance.
    pub headers: Vec<(String, String)>,
    /// Bytes of the head, blank line included: the body starts here.
    pub len: usize,
}

impl Head {
    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let n = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str())
    }

    pub fn header_count(&self, name: &str) -> usize {
        let n = name.to_ascii_lowercase();
        self.headers.iter().filter(|(k, _)| *k == n).count()
    }

    /// True if a `Connection` header lists `token` (case-insensitive).
    pub fn connection_has(&self, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k == "connection")
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// The body length the head announces (RFC 9112 §6.3): none after a HEAD
    /// request (`head_only`), for 1xx, 204 and 304; otherwise its one
    /// Content-Length, which warden always sends.
    pub fn body_len(&self, head_only: bool) -> Result<u64, String> {
        let status = self.status;
        if head_only || status == 304 || status == 204 || (100..200).contains(&status) {
            return Ok(0);
        }
        if self.header_count("content-length") > 1 {
            return Err(format!("two Content-Length fields: {self:?}"));
        }
        self.header("content-length")
            .ok_or_else(|| format!("response without Content-Length: {self:?}"))?
            .parse::<u64>()
            .map_err(|e| format!("bad Content-Length ({e}): {self:?}"))
    }
}

/// Parses the response head at the start of `buf`: `Ok(None)` until its blank
/// line (CRLF CRLF) has arrived; an error for a status line that is not
/// `VERSION SP 3DIGIT SP reason` or a field line without a colon.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("").to_string();
    let code = parts.next().unwrap_or("");
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad status line {status_line:?}"));
    }
    let status = code.parse().map_err(|_| format!("bad status line {status_line:?}"))?;
    let reason = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for l in lines {
        let (n, v) = l
            .split_once(':')
            .ok_or_else(|| format!("bad header line {l:?} in {text:?}"))?;
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    Ok(Some(Head {
        version,
        status,
        reason,
        headers,
        len: end + 4,
    }))
}

/// Standard base64 with padding (RFC 4648 §4), for Basic credentials.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The field line `Authorization: Basic base64(user:password)` (RFC 7617 §2).
pub fn authorization(user: &[u8], password: &[u8]) -> String {
    let mut plain = user.to_vec();
    plain.push(b':');
    plain.extend_from_slice(password);
    format!("Authorization: Basic {}", base64(&plain))
}
