//! Reverse proxy to a local backend (`--proxy PREFIX=ADDR`): the vendor's
//! daemon does the privileged work (settings, firmware), warden stays
//! unprivileged and bounded in front of it, applying its Host guard, logins
//! and throttling first (OpenBSD httpd's privilege separation, not CGI).
//!
//! Per request: `admit` checks what is forwarded (CSRF rule, framing, body
//! limit, Expect, Upgrade); a channel (`Upstreams`: one fixed buffer each,
//! `MAX_PROXIED` of them) and a new loopback connection carry it; `head`
//! rewrites the heads both ways; `pump` moves the bytes with backpressure
//! through the channel's buffer (`conn.rs` states `Forwarding`, `Relaying`).
//! One backend connection per request (`Connection: close` to the backend):
//! a loopback connect costs tens of microseconds, and no pool means no stale
//! connection to detect and no state to leak between clients.

pub mod chunked;
pub mod head;
pub mod pump;

use crate::access;
use crate::bufs::Buffers;
use crate::clock::Duration;
use crate::config::HostPolicy;
use crate::error::HttpError;
use crate::limits::PROXY_BUF;
use crate::path::under;
use crate::request::{BodyFraming, Request};
use nix::errno::Errno;
use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrStorage, connect, socket};
use std::net::{SocketAddr, TcpStream};

/// One `--proxy PREFIX=ADDR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Normalised like a `--protect` prefix (`path::clean`, no trailing slash).
    pub prefix: Vec<u8>,
    pub addr: SocketAddr,
}

/// The proxy settings, fixed at start-up.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub routes: Vec<Route>,
    /// `--proxy-max-body PREFIX=BYTES`, normalised prefixes.
    pub body_limits: Vec<(Vec<u8>, u64)>,
    /// `--max-body`: the limit elsewhere.
    pub max_body: u64,
    /// `--proxy-timeout`: connect plus response head; a backend body's stall.
    pub timeout: Duration,
}

impl ProxyConfig {
    /// No proxied prefix.
    pub fn none() -> ProxyConfig {
        ProxyConfig {
            routes: Vec::new(),
            body_limits: Vec::new(),
            max_body: crate::limits::DEFAULT_MAX_BODY,
            timeout: crate::limits::DEFAULT_PROXY_TIMEOUT,
        }
    }

    /// The route for a clean path: the longest prefix it lies under.
    pub fn route(&self, clean: &[u8]) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| under(clean, &r.prefix))
            .max_by_key(|r| r.prefix.len())
    }

    /// The largest body accepted for a clean path.
    pub fn body_limit(&self, clean: &[u8]) -> u64 {
        self.body_limits
            .iter()
            .filter(|(p, _)| under(clean, p))
            .max_by_key(|(p, _)| p.len())
            .map_or(self.max_body, |(_, limit)| *limit)
    }
}

/// What `admit` lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// Body bytes to forward (Content-Length).
    pub body: u64,
    /// The client waits for `100 Continue` before it sends them.
    pub expects_continue: bool,
}

/// Checks a request to a proxied prefix before anything is forwarded, in
/// this order: CSRF (403), Upgrade (501: not tunnelled), framing (a chunked
/// body 411, another coding 501), the body limit (413), Expect (417 for
/// anything but `100-continue`, RFC 9110 §10.1.1).
pub fn admit(req: &Request<'_>, limit: u64, hosts: &HostPolicy) -> Result<Admitted, HttpError> {
    if !req.method.is_safe() && !same_site(req, hosts) {
        return Err(HttpError::Forbidden);
    }
    if req.upgrade {
        return Err(HttpError::NotImplemented);
    }
    let body = match req.body {
        BodyFraming::None => 0,
        BodyFraming::Length(n) => n,
        BodyFraming::Chunked => return Err(HttpError::LengthRequired),
        BodyFraming::OtherCoding => return Err(HttpError::NotImplemented),
    };
    if body > limit {
        return Err(HttpError::ContentTooLarge);
    }
    let expects_continue = match req.expect {
        None => false,
        Some(v) if v.eq_ignore_ascii_case(b"100-continue") => body > 0,
        Some(_) => return Err(HttpError::ExpectationFailed),
    };
    Ok(Admitted { body, expects_continue })
}

/// The CSRF rule for methods that change state: the page that sent the
/// request is this device's own. `Origin` (or without it, `Referer`) must
/// name a host the Host guard answers and the host the request was sent to;
/// `Origin: null`, an unparsable value or neither field fails. A form
/// posted from another site, or a page on another LAN address, carries its
/// own origin and is refused before the backend sees it.
fn same_site(req: &Request<'_>, hosts: &HostPolicy) -> bool {
    let Some(from) = req.origin.or(req.referer) else {
        return false;
    };
    let Some(host) = access::url_host(from) else {
        return false;
    };
    let same = req.host.is_none_or(|h| access::same_host(h, host));
    same && access::host_passes(host, hosts)
}

/// A channel: one fixed buffer of the `Upstreams`, lent to one proxied
/// request from its admission to its last byte.
#[derive(Debug, PartialEq, Eq)]
pub struct Channel(u16);

/// The proxy's buffers: `count` × `PROXY_BUF`, one allocation at start-up
/// (pages touched only when used), lent one per request in flight.
pub struct Upstreams {
    bufs: Buffers,
    free: Vec<u16>,
    count: usize,
}

impl Upstreams {
    /// `count` channels (0 when nothing is proxied).
    pub fn new(count: usize) -> Upstreams {
        let count = count.min(usize::from(u16::MAX));
        Upstreams {
            bufs: Buffers::new(count, PROXY_BUF),
            free: (0..count as u16).rev().collect(),
            count,
        }
    }

    /// Lends a channel, or `None` when all are in use (503).
    pub fn take(&mut self) -> Option<Channel> {
        self.free.pop().map(Channel)
    }

    /// Takes a channel back; the connection's backend socket closes with it.
    pub fn give_back(&mut self, chan: Channel) {
        // Within capacity: only channels `take` lent come back, once each
        // (a `Channel` is not Clone).
        self.free.push(chan.0);
    }

    pub fn buf_mut(&mut self, chan: &Channel) -> &mut [u8] {
        self.bufs.get_mut(usize::from(chan.0))
    }

    /// Channels not lent now.
    pub fn available(&self) -> usize {
        self.free.len()
    }

    /// Channels lent now: proxied requests in progress.
    pub fn in_use(&self) -> usize {
        self.count - self.free.len()
    }
}

/// A backend connection and the channel its bytes pass through.
pub struct Upstream {
    pub sock: TcpStream,
    pub chan: Channel,
}

/// Starts a nonblocking connect to `addr`. Loopback connects usually finish
/// at once; one in progress shows as `WouldBlock` on the first send, and a
/// refusal as an error there (502). Running out of descriptors is 503.
pub fn connect_to(addr: SocketAddr) -> Result<TcpStream, HttpError> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let flags = SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC;
    let sock = socket(family, SockType::Stream, flags, None).map_err(|e| match e {
        Errno::EMFILE | Errno::ENFILE | Errno::ENOBUFS | Errno::ENOMEM => HttpError::ServiceUnavailable,
        _ => HttpError::BadGateway,
    })?;
    let sa = SockaddrStorage::from(addr);
    loop {
        match connect(std::os::fd::AsRawFd::as_raw_fd(&sock), &sa) {
            Ok(()) | Err(Errno::EINPROGRESS) => return Ok(TcpStream::from(sock)),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Err(HttpError::ServiceUnavailable),
            Err(e) => {
                log::warn!("proxy: connect to {addr}: {e}");
                return Err(HttpError::BadGateway);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Method, Version};

    fn cfg() -> ProxyConfig {
        let addr: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        ProxyConfig {
            routes: vec![
                Route {
                    prefix: b"/api".to_vec(),
                    addr,
                },
                Route {
                    prefix: b"/api/firmware".to_vec(),
                    addr: "127.0.0.1:9001".parse().unwrap(),
                },
            ],
            body_limits: vec![(b"/api/firmware".to_vec(), 64 << 20)],
            max_body: 65536,
            timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn longest_prefix_at_segment_boundaries() {
        let c = cfg();
        let port = |p: &[u8]| c.route(p).map(|r| r.addr.port());
        assert_eq!(port(b"/api"), Some(9000));
        assert_eq!(port(b"/api/status"), Some(9000));
        assert_eq!(port(b"/API/status"), Some(9000));
        assert_eq!(port(b"/api/firmware"), Some(9001));
        assert_eq!(port(b"/api/firmware/x"), Some(9001));
        assert_eq!(port(b"/api/firmwarex"), Some(9000));
        assert_eq!(port(b"/apix"), None);
        assert_eq!(port(b"/"), None);
        assert_eq!(c.body_limit(b"/api/firmware"), 64 << 20);
        assert_eq!(c.body_limit(b"/api/settings"), 65536);
    }

    fn post<'b>(origin: Option<&'b [u8]>, referer: Option<&'b [u8]>) -> Request<'b> {
        let mut r = Request::new(Method::OtherKnown, Version::Http11, b"/api/x");
        r.host = Some(b"192.168.1.1");
        r.origin = origin;
        r.referer = referer;
        r
    }

    #[test]
    fn csrf_rule_for_state_changing_methods() {
        let hosts = HostPolicy::Listed(vec![b"router.lan".to_vec()]);
        let ok = |r: &Request<'_>| admit(r, 10, &hosts).is_ok();
        assert!(ok(&post(Some(b"http://192.168.1.1"), None)));
        assert!(ok(&post(Some(b"http://192.168.1.1:8080"), None)));
        assert!(ok(&post(None, Some(b"http://192.168.1.1/network.html?x"))));
        for (origin, referer) in [
            (None, None),
            (Some(&b"null"[..]), None::<&[u8]>),
            (Some(b"null"), Some(b"http://192.168.1.1/")),
            (Some(b"http://evil.example"), None),
            (Some(b"http://192.168.1.50"), None),
            (Some(b"http://192.168.1.1.evil.example"), None),
            (Some(b"http://user@192.168.1.1"), None),
            (Some(b"192.168.1.1"), None),
            (None, Some(b"http://evil.example/http://192.168.1.1/")),
        ] {
            assert_eq!(
                admit(&post(origin, referer), 10, &hosts),
                Err(HttpError::Forbidden),
                "{origin:?} {referer:?}"
            );
        }
        // Safe methods need neither.
        let mut get = post(None, None);
        get.method = Method::Get;
        assert!(ok(&get));
        get.method = Method::Options;
        assert!(ok(&get));
    }

    #[test]
    fn rfc9112_6_framing_limits_and_expectations() {
        let hosts = HostPolicy::Any;
        let with = |body: BodyFraming, expect: Option<&'static [u8]>| {
            let mut r = post(Some(b"http://192.168.1.1"), None);
            r.body = body;
            r.expect = expect;
            admit(&r, 100, &hosts)
        };
        assert_eq!(
            with(BodyFraming::Length(100), Some(b"100-Continue")),
            Ok(Admitted {
                body: 100,
                expects_continue: true
            })
        );
        assert_eq!(with(BodyFraming::Length(101), None), Err(HttpError::ContentTooLarge));
        assert_eq!(with(BodyFraming::Chunked, None), Err(HttpError::LengthRequired));
        assert_eq!(with(BodyFraming::OtherCoding, None), Err(HttpError::NotImplemented));
        assert_eq!(
            with(BodyFraming::None, Some(b"magic")),
            Err(HttpError::ExpectationFailed)
        );
        assert_eq!(
            with(BodyFraming::None, Some(b"100-continue")).map(|a| a.expects_continue),
            Ok(false)
        );
    }

    #[test]
    fn channels_are_lent_and_come_back() {
        let mut u = Upstreams::new(2);
        let (a, b) = (u.take().unwrap(), u.take().unwrap());
        assert!(u.take().is_none());
        assert_eq!(u.buf_mut(&a).len(), PROXY_BUF);
        u.give_back(a);
        u.give_back(b);
        assert_eq!(u.available(), 2);
    }
}
