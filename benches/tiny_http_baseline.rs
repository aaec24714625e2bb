//! Baseline for `benches/run`: a static file server written the idiomatic way with
//! tiny_http 0.12 (a thread-pool server: an accept thread plus pooled connection
//! threads; requests are handed to this loop one at a time).
//!
//! Usage: tiny_http_baseline ROOT [ADDR:PORT]   (default 127.0.0.1:0)
//!
//! Prints `listening on http://ADDR` like warden. GET/HEAD of a file under ROOT;
//! a URL ending in `/` serves its `index.html`; any `..` segment is refused; a
//! missing file is 404.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tiny_http::{Header, Method, Response, Server, StatusCode};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") | Some("htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Maps a request URL to a path under `root`, or None if it must be refused.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return None;
    }
    let mut out = root.to_path_buf();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains('\\') || s.contains('\0') => return None,
            s => out.push(s),
        }
    }
    if path.ends_with('/') {
        out.push("index.html");
    }
    Some(out)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next() else {
        eprintln!("usage: tiny_http_baseline ROOT [ADDR:PORT]");
        return ExitCode::from(2);
    };
    let root = PathBuf::from(root);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_string());
    let server = match Server::http(addr.as_str()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tiny_http_baseline: cannot listen on {addr}: {e}");
            return ExitCode::from(2);
        }
    };
    match server.server_addr().to_ip() {
        Some(a) => eprintln!("listening on http://{a}"),
        None => eprintln!("listening on http://{addr}"),
    }

    for request in server.incoming_requests() {
        let method_ok = matches!(request.method(), Method::Get | Method::Head);
        let file = if method_ok {
            resolve(&root, request.url()).and_then(|p| {
                let f = File::open(&p).ok()?;
                f.metadata().ok()?.is_file().then_some((p, f))
            })
        } else {
            None
        };
        // A failed respond() means the client went away: nothing to do.
        let _ = match file {
            Some((path, f)) => {
                let ct =
                    Header::from_bytes(&b"Content-Type"[..], content_type(&path).as_bytes()).expect("valid header");
                request.respond(Response::from_file(f).with_header(ct))
            }
            None if !method_ok => request.respond(Response::empty(StatusCode(405))),
            None => request.respond(Response::from_string("not found\n").with_status_code(404)),
        };
    }
    ExitCode::SUCCESS
}
