//! The built-in Content-Type table, by file extension (RFC 9110 §8.3).

/// Returns the media type for a file name, by its extension (case-insensitive).
/// Text types carry `charset=utf-8`; unknown → `application/octet-stream`.
pub fn content_type(name: &[u8]) -> &'static str {
    let ext = match name.iter().rposition(|&b| b == b'.') {
        Some(dot) => &name[dot + 1..],
        None => return OCTET_STREAM,
    };
    TABLE
        .iter()
        .find(|(e, _)| e.as_bytes().eq_ignore_ascii_case(ext))
        .map_or(OCTET_STREAM, |&(_, t)| t)
}

const OCTET_STREAM: &str = "application/octet-stream";

const TABLE: &[(&str, &str)] = &[
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("map", "application/json"),
    ("txt", "text/plain; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("xml", "application/xml"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("ico", "image/x-icon"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("otf", "font/otf"),
    ("wasm", "application/wasm"),
    ("pdf", "application/pdf"),
    ("gz", "application/gzip"),
    ("zip", "application/zip"),
    ("tar", "application/x-tar"),
    ("bin", "application/octet-stream"),
    ("webmanifest", "application/manifest+json"),
];

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn rfc9110_8_3_table() {
        for (name, t) in [
            ("index.html", "text/html; charset=utf-8"),
            ("A.HTM", "text/html; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("m.mjs", "text/javascript; charset=utf-8"),
            ("s.css", "text/css; charset=utf-8"),
            ("x.json", "application/json"),
            ("x.js.map", "application/json"),
            ("i.svg", "image/svg+xml"),
            ("i.png", "image/png"),
            ("i.JPG", "image/jpeg"),
            ("f.woff2", "font/woff2"),
            ("fw.bin.gz", "application/gzip"),
            ("README", "application/octet-stream"),
            ("x.unknown", "application/octet-stream"),
            ("trailingdot.", "application/octet-stream"),
        ] {
            assert_eq!(content_type(name.as_bytes()), t, "{name}");
        }
    }
}
