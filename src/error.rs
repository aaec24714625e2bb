//! Every error the server answers with, each mapped to exactly one status, in one place.
//!
//! Bodies are constant text: nothing from the request is ever echoed back.

use nix::errno::Errno;

/// A request the server refuses. Each variant is one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// Malformed syntax, an unsafe path, or framing we refuse (RFC 9112 §2-§6).
    BadRequest,
    /// A protected prefix without valid credentials (§15.5.2): sent with the
    /// Basic challenge.
    Unauthorized,
    /// A state-changing request to a proxied prefix from a page that is not
    /// this device's (the CSRF rule, `proxy::admit`) (§15.5.4).
    Forbidden,
    /// Nothing servable at that path: missing, hidden, a symlink, not a regular file.
    NotFound,
    /// A method RFC 9110 defines that a static server does not allow (§15.5.6).
    MethodNotAllowed,
    /// Only a gzip variant exists and the client refuses gzip (§15.5.7).
    NotAcceptable,
    /// A Host this server does not answer for (§15.5.20): the DNS-rebinding
    /// guard (`access.rs`), checked before anything else.
    MisdirectedRequest,
    /// A chunked request body to a proxied prefix: only Content-Length
    /// bodies are forwarded (§15.5.12).
    LengthRequired,
    /// A request body on a file route, which never reads one, or a proxied
    /// body over its limit (§15.5.14).
    ContentTooLarge,
    /// An `Expect` other than `100-continue` (§10.1.1, §15.5.18).
    ExpectationFailed,
    /// The request-target is longer than `MAX_TARGET_LEN` (§15.5.15).
    UriTooLong,
    /// The request head is larger than `HEAD_BUF_LARGE` or has too many fields (RFC 6585 §5).
    HeaderFieldsTooLarge,
    /// Unexpected failure reading the file system (errno not otherwise mapped).
    Internal,
    /// A method token we do not know (§15.6.2).
    NotImplemented,
    /// Too many failed logins from this client, or from everyone (RFC 6585
    /// §4): try again in `retry_after` seconds.
    TooManyRequests { retry_after: u32 },
    /// The backend refused the connection, closed it before a response, or
    /// answered with a head that cannot be relayed (§15.6.3).
    BadGateway,
    /// The backend did not answer within `--proxy-timeout` (§15.6.5).
    GatewayTimeout,
    /// Out of a resource for now (§15.6.4): no connection slot, no large head
    /// buffer, or the kernel's (EMFILE, ENFILE, ENOMEM, EAGAIN opening a file).
    ServiceUnavailable,
    /// A well-formed request line with a version other than HTTP/1.0 or 1.1 (§15.6.6).
    VersionNotSupported,
}

impl HttpError {
    /// The one status code of each error.
    pub fn status(self) -> u16 {
        match self {
            HttpError::BadRequest => 400,
            HttpError::Unauthorized => 401,
            HttpError::Forbidden => 403,
            HttpError::NotFound => 404,
            HttpError::MethodNotAllowed => 405,
            HttpError::NotAcceptable => 406,
            HttpError::LengthRequired => 411,
            HttpError::ContentTooLarge => 413,
            HttpError::ExpectationFailed => 417,
            HttpError::MisdirectedRequest => 421,
            HttpError::UriTooLong => 414,
            HttpError::TooManyRequests { .. } => 429,
            HttpError::HeaderFieldsTooLarge => 431,
            HttpError::Internal => 500,
            HttpError::NotImplemented => 501,
            HttpError::BadGateway => 502,
            HttpError::ServiceUnavailable => 503,
            HttpError::GatewayTimeout => 504,
            HttpError::VersionNotSupported => 505,
        }
    }

    /// Constant body text; never contains request data.
    pub fn body(self) -> &'static str {
        match self {
            HttpError::BadRequest => "400 Bad Request\n",
            HttpError::Unauthorized => "401 Unauthorized\n",
            HttpError::Forbidden => "403 Forbidden\n",
            HttpError::NotFound => "404 Not Found\n",
            HttpError::MethodNotAllowed => "405 Method Not Allowed\n",
            HttpError::NotAcceptable => "406 Not Acceptable\n",
            HttpError::LengthRequired => "411 Length Required\n",
            HttpError::ContentTooLarge => "413 Content Too Large\n",
            HttpError::ExpectationFailed => "417 Expectation Failed\n",
            HttpError::MisdirectedRequest => "421 Misdirected Request\n",
            HttpError::UriTooLong => "414 URI Too Long\n",
            HttpError::TooManyRequests { .. } => "429 Too Many Requests\n",
            HttpError::HeaderFieldsTooLarge => "431 Request Header Fields Too Large\n",
            HttpError::Internal => "500 Internal Server Error\n",
            HttpError::NotImplemented => "501 Not Implemented\n",
            HttpError::BadGateway => "502 Bad Gateway\n",
            HttpError::ServiceUnavailable => "503 Service Unavailable\n",
            HttpError::GatewayTimeout => "504 Gateway Timeout\n",
            HttpError::VersionNotSupported => "505 HTTP Version Not Supported\n",
        }
    }

    /// Whether the connection must close after the response. Framing and syntax
    /// errors close: after them the byte stream cannot be trusted to hold a
    /// next request. A missing file, a failed negotiation or a 401 (the
    /// browser answers it with credentials, on the same connection) does not.
    pub fn closes_connection(self) -> bool {
        !matches!(
            self,
            HttpError::NotFound | HttpError::NotAcceptable | HttpError::Unauthorized
        )
    }

    /// Maps an errno from opening or inspecting a path to a status, in one place.
    /// Everything that means "not servable from here" is 404, so the answer does
    /// not reveal whether a file exists behind a symlink or a permission.
    pub fn from_open_errno(errno: Errno) -> HttpError {
        match errno {
            Errno::ENOENT
            | Errno::ENOTDIR
            | Errno::ELOOP
            | Errno::EACCES
            | Errno::EPERM
            | Errno::ENAMETOOLONG
            | Errno::ENXIO
            | Errno::ENODEV
            | Errno::EISDIR => HttpError::NotFound,
            Errno::EMFILE | Errno::ENFILE | Errno::ENOMEM | Errno::EAGAIN => HttpError::ServiceUnavailable,
            _ => HttpError::Internal,
        }
    }
}

/// The reason phrase sent on the status line (RFC 9110 §15).
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        308 => "Permanent Redirect",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_starts_with_its_status() {
        for e in [
            HttpError::BadRequest,
            HttpError::Unauthorized,
            HttpError::Forbidden,
            HttpError::NotFound,
            HttpError::MethodNotAllowed,
            HttpError::NotAcceptable,
            HttpError::LengthRequired,
            HttpError::ContentTooLarge,
            HttpError::ExpectationFailed,
            HttpError::MisdirectedRequest,
            HttpError::UriTooLong,
            HttpError::TooManyRequests { retry_after: 10 },
            HttpError::HeaderFieldsTooLarge,
            HttpError::Internal,
            HttpError::NotImplemented,
            HttpError::BadGateway,
            HttpError::ServiceUnavailable,
            HttpError::GatewayTimeout,
            HttpError::VersionNotSupported,
        ] {
            let status = e.status().to_string();
            assert!(e.body().starts_with(&status), "{e:?}");
            assert!(e.body().contains(reason(e.status())), "{e:?}");
        }
    }
}
