//! Validators and conditional requests (RFC 9110 §8.8, §13).
//!
//! `evaluate` follows §13.2.2's steps in order and is numbered the same way.

use crate::date::parse_http_date;
use crate::request::{Method, Request};

/// Appended (inside the quotes) to the tag of a `.gz` variant.
const GZIP_MARK: &[u8] = b"-gz";

/// Longest ETag we make: size and seconds (u64 in hex), nanoseconds (u32 in
/// hex), separators, the gzip mark, quotes.
pub const ETAG_CAP: usize = 2 + 16 + 1 + 16 + 1 + 8 + GZIP_MARK.len();

/// A strong entity tag, quotes included, made from size and modification time
/// to the nanosecond (§8.8.3): a change to the content changes one of them.
/// No inode: a tag must not tell clients inode numbers (the class of Apache's
/// CVE-2003-1418), and the same bytes put under a new inode (`cp -p`, a
/// firmware image) keep their tag; it is also the same after a restart or a
/// reboot. As with every size+mtime tag (nginx; Apache's default since 2.4),
/// content replaced at the same size within one timestamp tick keeps its tag.
/// The `.gz` variant is another representation of the resource, so it carries
/// `-gz`: a `.gz` file with the plain file's size and mtime (`gzip -k` keeps
/// the mtime) still gets a tag of its own.
#[derive(Clone, Copy)]
pub struct ETag {
    buf: [u8; ETAG_CAP],
    len: usize,
}

impl ETag {
    pub fn new(size: u64, mtime_sec: i64, mtime_nsec: u32, gzip: bool) -> ETag {
        let mut buf = [0u8; ETAG_CAP];
        let mut len = 0;
        let mut put = |b: u8| {
            buf[len] = b;
            len += 1;
        };
        let hex = |v: u64, put: &mut dyn FnMut(u8)| {
            let digits = (64 - v.leading_zeros()).div_ceil(4).max(1);
            for i in (0..digits).rev() {
                put(b"0123456789abcdef"[(v >> (i * 4) & 0xf) as usize]);
            }
        };
        put(b'"');
        hex(size, &mut put);
        put(b'-');
        hex(mtime_sec as u64, &mut put);
        put(b'.');
        hex(u64::from(mtime_nsec), &mut put);
        if gzip {
            GZIP_MARK.iter().for_each(|&b| put(b));
        }
        put(b'"');
        ETag { buf, len }
    }

    /// The tag as sent, with its quotes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// One element of an If-Match / If-None-Match list.
enum ListItem<'a> {
    Any,
    Tag { weak: bool, opaque: &'a [u8] },
    Invalid,
}

/// Splits entity-tag lists (`*` or `1#entity-tag`, §13.1.1) into items.
/// Commas inside a quoted tag do not split: etagc excludes DQUOTE but not ','.
fn list_items<'a>(fields: &'a [&'a [u8]]) -> impl Iterator<Item = ListItem<'a>> + 'a {
    fields.iter().flat_map(|field| {
        let mut rest: &'a [u8] = field;
        core::iter::from_fn(move || {
            loop {
                rest = rest.trim_ascii_start();
                if rest.first() == Some(&b',') {
                    rest = &rest[1..];
                    continue;
                }
                break;
            }
            if rest.is_empty() {
                return None;
            }
            if rest[0] == b'*' {
                rest = &rest[1..];
                return Some(ListItem::Any);
            }
            let weak = rest.starts_with(b"W/");
            let tag = if weak { &rest[2..] } else { rest };
            if tag.first() != Some(&b'"') {
                rest = &[];
                return Some(ListItem::Invalid);
            }
            match tag[1..].iter().position(|&b| b == b'"') {
                Some(end) => {
                    let opaque = &tag[..end + 2];
                    rest = &tag[end + 2..];
                    Some(ListItem::Tag { weak, opaque })
                }
                None => {
                    rest = &[];
                    Some(ListItem::Invalid)
                }
            }
        })
    })
}

/// §8.8.3.2 strong comparison: both strong and identical. Ours are always strong.
fn strong_match(fields: &[&[u8]], etag: &ETag) -> bool {
    list_items(fields).any(|item| match item {
        ListItem::Any => true,
        ListItem::Tag { weak, opaque } => !weak && opaque == etag.as_bytes(),
        ListItem::Invalid => false,
    })
}

/// §8.8.3.2 weak comparison: opaque tags identical, weakness ignored.
fn weak_match(fields: &[&[u8]], etag: &ETag) -> bool {
    list_items(fields).any(|item| match item {
        ListItem::Any => true,
        ListItem::Tag { opaque, .. } => opaque == etag.as_bytes(),
        ListItem::Invalid => false,
    })
}

/// The result of §13.2.2 for a GET or HEAD of an existing file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// Go on to Range evaluation and a 200/206.
    Proceed,
    /// 304 Not Modified (§15.4.5).
    NotModified,
    /// 412 Precondition Failed (§15.5.13).
    Failed,
}

/// RFC 9110 §13.2.2, steps 1-4 (step 5, Range, is `range_allowed`).
/// `last_modified` is the file's mtime in whole seconds, as sent.
pub fn evaluate(req: &Request<'_>, etag: &ETag, last_modified: i64) -> Precondition {
    // 1. If-Match present: false → 412.
    if !req.if_match.is_empty() {
        if !strong_match(&req.if_match, etag) {
            return Precondition::Failed;
        }
    }
    // 2. Else If-Unmodified-Since with a valid date: modified after it → 412.
    else if let Some(date) = req.if_unmodified_since.and_then(parse_http_date) {
        if last_modified > date {
            return Precondition::Failed;
        }
    }
    // 3. If-None-Match present: true → 304 for GET/HEAD (412 for other methods,
    //    which a file route refuses before this).
    if !req.if_none_match.is_empty() {
        if weak_match(&req.if_none_match, etag) {
            return match req.method {
                Method::Get | Method::Head => Precondition::NotModified,
                Method::Options | Method::OtherKnown | Method::Unknown => Precondition::Failed,
            };
        }
    }
    // 4. Else, GET/HEAD with If-Modified-Since valid: not modified since → 304.
    else if let Some(date) = req.if_modified_since.and_then(parse_http_date) {
        if last_modified <= date {
            return Precondition::NotModified;
        }
    }
    Precondition::Proceed
}

/// §13.2.2 step 5 with §13.1.5: may a Range be honoured? Without If-Range,
/// yes. With it, only if it names the current strong ETag, or is exactly the
/// Last-Modified date (our validators are strong, so a date is acceptable).
pub fn range_allowed(req: &Request<'_>, etag: &ETag, last_modified: i64) -> bool {
    let Some(value) = req.if_range else {
        return true;
    };
    let value = value.trim_ascii();
    if value.first() == Some(&b'"') || value.starts_with(b"W/") {
        // A weak tag never matches in If-Range (§13.1.5).
        return value == etag.as_bytes();
    }
    parse_http_date(value) == Some(last_modified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, Request, Version};

    const LM: i64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    fn tag() -> ETag {
        ETag::new(10, LM, 5, false)
    }

    fn req() -> Request<'static> {
        Request::new(Method::Get, Version::Http11, b"/")
    }

    #[test]
    fn rfc9110_8_8_3_etag_format() {
        assert_eq!(tag().as_bytes(), b"\"a-2ebc98a1.5\"");
        assert_eq!(ETag::new(10, LM, 5, true).as_bytes(), b"\"a-2ebc98a1.5-gz\"");
        assert_eq!(ETag::new(0, 0, 0, false).as_bytes(), b"\"0-0.0\"");
        let big = ETag::new(u64::MAX, -1, u32::MAX, true);
        assert_eq!(big.as_bytes().len(), ETAG_CAP);
        assert_eq!(
            ETag::new(u64::MAX, i64::MAX, 999_999_999, false).as_bytes().len(),
            2 + 16 + 1 + 16 + 1 + 8
        );
    }

    /// Size and mtime only: the same file under another inode, or after a
    /// restart, has the same tag; each input changes it; the gzip variant differs.
    #[test]
    fn rfc9110_8_8_3_etag_from_size_and_mtime_only() {
        let t = |size, sec, nsec, gz| ETag::new(size, sec, nsec, gz).as_bytes().to_vec();
        assert_eq!(t(10, LM, 5, false), tag().as_bytes(), "deterministic");
        let variants = [
            t(10, LM, 5, false),
            t(11, LM, 5, false),
            t(10, LM + 1, 5, false),
            t(10, LM, 6, false),
            t(10, LM, 5, true),
            t(11, LM, 5, true),
        ];
        for (i, a) in variants.iter().enumerate() {
            for b in &variants[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // No ambiguity between fields: separators sit between hex runs.
        assert_ne!(t(0x1, 0x23, 0, false), t(0x12, 0x3, 0, false));
    }

    #[test]
    fn rfc9110_13_2_2_order_table() {
        let t = tag();
        let cur = t.as_bytes();
        let other: &[u8] = b"\"nope\"";
        let weak_cur = [b"W/", cur].concat();
        let old = b"Sat, 05 Nov 1994 08:49:37 GMT";
        let same = b"Sun, 06 Nov 1994 08:49:37 GMT";
        let bad = b"not a date";
        type Case<'a> = (
            &'a str,
            Vec<&'a [u8]>,
            Option<&'a [u8]>,
            Vec<&'a [u8]>,
            Option<&'a [u8]>,
            Precondition,
        );
        let cases: Vec<Case> = vec![
            ("none", vec![], None, vec![], None, Precondition::Proceed),
            ("if-match hit", vec![cur], None, vec![], None, Precondition::Proceed),
            ("if-match miss", vec![other], None, vec![], None, Precondition::Failed),
            ("if-match star", vec![b"*"], None, vec![], None, Precondition::Proceed),
            (
                "if-match list",
                vec![b"\"a\", \"b\"", cur],
                None,
                vec![],
                None,
                Precondition::Proceed,
            ),
            (
                "if-match weak never strong",
                vec![&weak_cur],
                None,
                vec![],
                None,
                Precondition::Failed,
            ),
            (
                "if-match beats IUS",
                vec![cur],
                Some(old),
                vec![],
                None,
                Precondition::Proceed,
            ),
            ("IUS older → 412", vec![], Some(old), vec![], None, Precondition::Failed),
            ("IUS same → ok", vec![], Some(same), vec![], None, Precondition::Proceed),
            (
                "IUS invalid ignored",
                vec![],
                Some(bad),
                vec![],
                None,
                Precondition::Proceed,
            ),
            (
                "INM hit → 304",
                vec![],
                None,
                vec![cur],
                None,
                Precondition::NotModified,
            ),
            (
                "INM weak hit → 304",
                vec![],
                None,
                vec![&weak_cur],
                None,
                Precondition::NotModified,
            ),
            (
                "INM star → 304",
                vec![],
                None,
                vec![b"*"],
                None,
                Precondition::NotModified,
            ),
            ("INM miss", vec![], None, vec![other], None, Precondition::Proceed),
            (
                "INM miss beats IMS",
                vec![],
                None,
                vec![other],
                Some(same),
                Precondition::Proceed,
            ),
            (
                "IMS same → 304",
                vec![],
                None,
                vec![],
                Some(same),
                Precondition::NotModified,
            ),
            (
                "IMS older → 200",
                vec![],
                None,
                vec![],
                Some(old),
                Precondition::Proceed,
            ),
            (
                "IMS invalid ignored",
                vec![],
                None,
                vec![],
                Some(bad),
                Precondition::Proceed,
            ),
            (
                "if-match miss beats INM",
                vec![other],
                None,
                vec![cur],
                None,
                Precondition::Failed,
            ),
        ];
        for (name, im, ius, inm, ims, want) in cases {
            let mut r = req();
            r.if_match.extend(im);
            r.if_unmodified_since = ius;
            r.if_none_match.extend(inm);
            r.if_modified_since = ims;
            assert_eq!(evaluate(&r, &t, LM), want, "{name}");
        }
    }

    #[test]
    fn rfc9110_13_1_5_if_range() {
        let t = tag();
        let weak = [b"W/", t.as_bytes()].concat();
        let mut r = req();
        assert!(range_allowed(&r, &t, LM));
        r.if_range = Some(t.as_bytes());
        assert!(range_allowed(&r, &t, LM));
        r.if_range = Some(&weak);
        assert!(!range_allowed(&r, &t, LM));
        r.if_range = Some(b"\"other\"");
        assert!(!range_allowed(&r, &t, LM));
        r.if_range = Some(b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(range_allowed(&r, &t, LM));
        r.if_range = Some(b"Sun, 06 Nov 1994 08:49:38 GMT");
        assert!(!range_allowed(&r, &t, LM));
        r.if_range = Some(b"garbage");
        assert!(!range_allowed(&r, &t, LM));
    }
}
