//! warden: a small, bounded, single-threaded HTTP/1.1 static file server for
//! embedded Linux boards.
//!
//! Layers, from the socket inwards:
//! - `listen` binds and accepts; `server` runs the poll loop over a fixed
//!   connection table and owns `services` (what every connection shares,
//!   lent to one per call); `conn` is one connection's state machine and
//!   nothing else; `transport` carries its bytes, `input` holds what came in.
//! - A request goes `request` (framing, parse into a typed `Request`) →
//!   `access` and `auth` (Host guard, logins) → `proxy` for a proxied prefix, else
//!   `route` (`path` cleans and opens beneath the root, `filecache` keeps
//!   recent files open and lends them per call) → `response::plan` (files and
//!   errors alike; `conditional`, `range`, `encoding`, `mime`) → the head
//!   from the slot's buffer and the file span through `body`.
//! - `bufs` holds the fixed buffer sets; `io` wraps recv/send/sendfile; `error`
//!   maps every refusal to one status; `clock` has `Instant` and `Duration`;
//!   `access_log` writes one line per request, `logger` diagnostics, and
//!   `sink` carries both to stderr without ever blocking, escaping what came
//!   from outside; `limits` holds every capacity.
//! - `cli` and `config` turn flags into a validated `Config` for `main`;
//!   `confine` jails and de-privileges the process before it serves.
//!
//! Data flow: bytes → `request::parse` → `route::resolve` (`path::clean`,
//! `filecache::lookup`) → `response::plan` → head bytes + a file span →
//! `Transport::send` + `Transport::sendfile`. Nothing on that path allocates.
//!
//! Seams for the next features, each its own module; `conn` gains only the
//! states that call them:
//! - **Access decision** (auth, Host allowlist): a step between parse and
//!   route in `conn`'s `Reading`, `decide(&Request, peer, now) → Allow |
//!   Refuse(status) | Verify`; a refusal is an `Answer::Error` (or a 401 with
//!   its challenge) planned by `response::plan`, so no file is opened; a
//!   password hash advances in slices per poll turn in a `Verifying` state.
//! - **Upstream** (reverse proxy, built): `conn` asks `proxy`'s routes before
//!   the file route; `proxy::admit`, a channel and the backend socket, head
//!   rewriting (`proxy::head`) and the pump (`proxy::pump`) run in `conn`'s
//!   `Forwarding` and `Relaying` states, waiting on one socket at a time.
//! - **Transport** (TLS): a `Transport::Tls` variant with its record buffers
//!   per slot; every read and write already goes through `Transport`, and
//!   `sendfile` on it answers `Unsupported`, which `body` turns into pread +
//!   send through the bounded scratch buffer.
//! - `seccomp` builds the per-architecture allowlist that `confine` installs
//!   as its last step.

pub mod access;
pub mod access_log;
pub mod auth;
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
pub mod proxy;
pub mod range;
pub mod request;
pub mod response;
pub mod route;
pub mod seccomp;
pub mod server;
pub mod services;
pub mod sink;
pub mod syslog;
#[cfg(feature = "tls")]
pub mod tls;
pub mod transport;
pub mod version;
