//! warden: a small, bounded, single-threaded HTTP/1.1 static file server for
//! embedded Linux boards.
//!
//! Layers, from the socket inwards:
//! - `listen` binds and accepts; `server` runs the poll loop over a fixed
//!   connection table; `conn` is one connection's state machine.
//! - `request` parses a head into a typed `Request`; `path` turns its target
//!   into an open file beneath the root, `filecache` keeps recent ones open;
//!   `response` plans the answer
//!   (`conditional`, `range`, `encoding`, `mime`) and writes its head.
//! - `bufs` holds the fixed buffer sets; `io` wraps recv/send/sendfile; `error` maps every refusal to one status;
//!   `access_log` writes one line per request; `logger`
//!   writes diagnostics; `sink` carries both to stderr without ever blocking
//!   and escapes what came from outside; `limits` holds every capacity.
//! - `cli` and `config` turn flags into a validated `Config` for `main`;
//!   `confine` jails and de-privileges the process before it serves.
//!
//! Data flow: bytes → `request::parse` → `path::clean` → `filecache::lookup` (`path::resolve`) →
//! `response::file` → head bytes + a file span → `io::send` + `io::sendfile`.
//! Nothing on that path allocates.

pub mod access_log;
pub mod body;
pub mod bufs;
pub mod cli;
pub mod clock;
pub mod conditional;
pub mod config;
pub mod confine;
pub mod conn;
pub mod date;
pub mod encoding;
pub mod error;
pub mod filecache;
pub mod input;
pub mod io;
pub mod limits;
pub mod listen;
pub mod logger;
pub mod mime;
pub mod path;
pub mod range;
pub mod request;
pub mod response;
pub mod route;
pub mod server;
pub mod services;
pub mod sink;
pub mod transport;
