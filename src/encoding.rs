//! Accept-Encoding (RFC 9110 §12.5.3), reduced to the one question a
//! precompressed file asks: may this client be sent gzip?

/// Which representation of a path is sent, and whether the path had a choice
/// (then the response varies on Accept-Encoding, RFC 9110 §12.5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// The file itself; it has no `.gz` sibling, so nothing varies.
    Identity,
    /// The file itself, chosen over its `.gz` sibling.
    IdentityOverGzip,
    /// The `.gz` sibling, sent with `Content-Encoding: gzip`.
    Gzip,
}

impl Coding {
    /// What was chosen (`gzip`) where a `.gz` sibling does or does not exist.
    pub fn of(gzip: bool, has_gzip_variant: bool) -> Coding {
        match (gzip, has_gzip_variant) {
            (true, _) => Coding::Gzip,
            (false, true) => Coding::IdentityOverGzip,
            (false, false) => Coding::Identity,
        }
    }

    pub fn is_gzip(self) -> bool {
        self == Coding::Gzip
    }

    /// A `.gz` sibling exists: the response depends on Accept-Encoding.
    pub fn varies(self) -> bool {
        self != Coding::Identity
    }
}

/// A qvalue is zero when it is `0` or `0.` followed only by zeros (§12.4.2).
fn q_is_zero(params: &[u8]) -> bool {
    for param in params.split(|&b| b == b';') {
        let param = param.trim_ascii();
        let Some(eq) = param.iter().position(|&b| b == b'=') else {
            continue;
        };
        if param[..eq].trim_ascii().eq_ignore_ascii_case(b"q") {
            let v = param[eq + 1..].trim_ascii();
            return v.first() == Some(&b'0') && v[1..].iter().all(|&b| b == b'.' || b == b'0');
        }
    }
    false
}

/// True when the Accept-Encoding fields accept gzip with q > 0: `gzip` or
/// `x-gzip` listed with q > 0, or `*` with q > 0 and gzip not listed.
/// No Accept-Encoding at all means "no preference"; we then send identity,
/// since an identity variant or a 406 is always safe.
pub fn accepts_gzip(fields: &[&[u8]]) -> bool {
    let mut star = None;
    for field in fields {
        for item in field.split(|&b| b == b',') {
            let (coding, params) = match item.iter().position(|&b| b == b';') {
                Some(semi) => (&item[..semi], &item[semi..]),
                None => (item, &b""[..]),
            };
            let coding = coding.trim_ascii();
            let accepted = !q_is_zero(params);
            if coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip") {
                return accepted;
            }
            if coding == b"*" {
                star = Some(accepted);
            }
        }
    }
    star.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;

    #[test]
    fn rfc9110_12_5_3_accept_encoding_table() {
        for (fields, want) in [
            (vec![], false),
            (vec!["gzip"], true),
            (vec!["GZIP"], true),
            (vec!["x-gzip"], true),
            (vec!["gzip, deflate, br"], true),
            (vec!["br;q=1.0, gzip;q=0.8, *;q=0.1"], true),
            (vec!["gzip;q=0"], false),
            (vec!["gzip; q=0.000"], false),
            (vec!["gzip;q=0.001"], true),
            (vec!["*"], true),
            (vec!["*;q=0"], false),
            (vec!["*, gzip;q=0"], false),
            (vec!["identity"], false),
            (vec!["deflate", "gzip"], true),
            (vec![""], false),
            (vec!["gzipx"], false),
        ] {
            let f: Vec<&[u8]> = fields.iter().map(|s| s.as_bytes()).collect();
            assert_eq!(accepts_gzip(&f), want, "{fields:?}");
        }
    }
}
