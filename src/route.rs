//! What a request names: a file (from the file cache), a redirect, or a
//! refusal. The step between parsing a request and planning its response;
//! the only one on that path that touches the file system.
//!
//! An access decision (Host allowlist, login) will run before this step, so
//! a refused request never opens a file; a proxied prefix will be routed to
//! the upstream here instead of to a file.

use crate::clock::Instant;
use crate::config::ServeConfig;
use crate::encoding;
use crate::error::HttpError;
use crate::filecache::{FileCache, Lookup, Source};
use crate::mime;
use crate::path;
use crate::request::{BodyFraming, Method, Request};
use crate::response::{Answer, Reply, Representation};
use std::os::fd::BorrowedFd;

/// A request's answer, and the file to send a body from if it has one.
pub struct Routed<'r, 'b> {
    pub answer: Answer<'r, 'b>,
    pub source: Option<Source>,
}

/// Cleans the request's path, finds it beneath `root` (through the cache) and
/// picks the representation the client accepts.
pub fn resolve<'r, 'b>(
    req: &'r Request<'b>,
    root: BorrowedFd<'_>,
    cfg: &ServeConfig,
    files: &mut FileCache,
    now: Instant,
) -> Routed<'r, 'b> {
    if let Some(e) = file_request_error(req) {
        return refused(req, e);
    }
    let found = path::clean(req.path).and_then(|clean| {
        let gzip_ok = encoding::accepts_gzip(&req.accept_encoding);
        let found = files.lookup(root, &clean, &cfg.index, gzip_ok, now)?;
        Ok((clean, found))
    });
    match found {
        Ok((_, Lookup::AddSlash)) => Routed {
            answer: Answer::AddSlash(req),
            source: None,
        },
        Ok((
            clean,
            Lookup::File {
                source,
                meta,
                coding,
                index_name,
            },
        )) => {
            // The type is the name's: the index file's for a directory.
            let name = if clean.trailing_slash || clean.as_bytes() == b"/" {
                cfg.index.get(usize::from(index_name)).map_or(&b""[..], |n| &n[..])
            } else {
                clean.segments().last().unwrap_or(b"")
            };
            let rep = Representation {
                meta,
                coding,
                content_type: mime::content_type(name),
            };
            Routed {
                answer: Answer::File(req, rep),
                source: Some(source),
            }
        }
        Err(e) => refused(req, e),
    }
}

/// What a file route refuses before looking for the file: a method other
/// than GET or HEAD (405 if RFC 9110 defines it, 501 if unknown), and any
/// request body, which a file route never reads (413 for a Content-Length
/// body; 400 for a transfer coding, RFC 9112 §6.1, rather than guess where
/// the body ends).
pub fn file_request_error(req: &Request<'_>) -> Option<HttpError> {
    match req.method {
        Method::Get | Method::Head => {}
        Method::Options | Method::OtherKnown => return Some(HttpError::MethodNotAllowed),
        Method::Unknown => return Some(HttpError::NotImplemented),
    }
    match req.body {
        BodyFraming::None | BodyFraming::Length(0) => None,
        BodyFraming::Length(_) => Some(HttpError::ContentTooLarge),
        BodyFraming::Chunked | BodyFraming::OtherCoding => Some(HttpError::BadRequest),
    }
}

/// A request the access decision refused: its error, and no file.
pub fn refused<'r, 'b>(req: &'r Request<'b>, e: HttpError) -> Routed<'r, 'b> {
    Routed {
        answer: Answer::Error(e, Reply::to(req.method)),
        source: None,
    }
}

/// `--redirect-https`: the request goes to HTTPS on `port` instead.
pub fn to_https<'r, 'b>(req: &'r Request<'b>, port: u16) -> Routed<'r, 'b> {
    Routed {
        answer: Answer::ToHttps(req, port),
        source: None,
    }
}

/// A refusal with an `--error-page` for its status gets that file as its body,
/// found like any file (through the cache, beneath the root, no `.gz`); when
/// the file is missing, or anything else fails, the built-in text stays.
pub fn with_error_page<'r, 'b>(
    routed: Routed<'r, 'b>,
    root: BorrowedFd<'_>,
    cfg: &ServeConfig,
    files: &mut FileCache,
    now: Instant,
) -> Routed<'r, 'b> {
    let Answer::Error(e, reply) = routed.answer else {
        return routed;
    };
    let Some((_, page)) = cfg.error_pages.iter().find(|(s, _)| *s == e.status()) else {
        return routed;
    };
    let Ok(clean) = path::clean(page) else {
        return routed;
    };
    match files.lookup(root, &clean, &cfg.index, false, now) {
        Ok(Lookup::File {
            source, meta, coding, ..
        }) => {
            let name = clean.segments().last().unwrap_or(b"");
            let rep = Representation {
                meta,
                coding,
                content_type: mime::content_type(name),
            };
            Routed {
                answer: Answer::ErrorPage(e, reply, rep),
                source: Some(source),
            }
        }
        _ => Routed {
            answer: Answer::Error(e, reply),
            source: None,
        },
    }
}
