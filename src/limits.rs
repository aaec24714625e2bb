//! Every capacity and timeout in one place, each with the reason for its size.
//!
//! Memory never grows past what these constants allow: the connection table and
//! every buffer are allocated once at start-up and reused.
//!
//! A board profile may choose the capacities at build time through environment
//! variables (`WARDEN_MAX_CONNECTIONS=64 cargo build ...`; see `boards/*/board.conf`
//! and `cross/build`). Values are checked at compile time: a bad one fails the build.

use crate::clock::Duration;

/// A capacity from the build environment, or the default. Runs at compile time.
const fn build_usize(value: Option<&str>, default: usize) -> usize {
    let Some(s) = value else {
        return default;
    };
    let bytes = s.as_bytes();
    assert!(!bytes.is_empty(), "empty WARDEN_* capacity");
    let mut n: usize = 0;
    let mut i = 0;
    while i < bytes.len() {
        assert!(
            bytes[i].is_ascii_digit(),
            "a WARDEN_* capacity must be a decimal number"
        );
        n = n * 10 + (bytes[i] - b'0') as usize;
        i += 1;
    }
    n
}

/// Defaults baked into the binary for a board (`--listen`, `--root`, `--user` when
/// not given); `None` means "no default" for the root, which is then required.
pub const DEFAULT_LISTEN: &str = match option_env!("WARDEN_DEFAULT_LISTEN") {
    Some(v) => v,
    None => "0.0.0.0:80",
};
pub const DEFAULT_ROOT: Option<&str> = option_env!("WARDEN_DEFAULT_ROOT");
pub const DEFAULT_USER: &str = match option_env!("WARDEN_DEFAULT_USER") {
    Some(v) => v,
    None => "65534:65534",
};

/// Connection table slots. A router's admin UI sees a handful of browsers; 1024
/// leaves room for a benchmark's 500 idle connections and a flood on top.
/// Each slot costs ~0.2 KiB always, plus the buffers below once it is used.
pub const MAX_CONNECTIONS: usize = build_usize(option_env!("WARDEN_MAX_CONNECTIONS"), 1024);

/// Request-head buffer every connection owns. A browser's GET without big
/// cookies is 300-800 bytes, so most heads fit; 1 KiB keeps 500 partial heads
/// at ~0.5 MiB of touched memory.
pub const HEAD_BUF_SMALL: usize = build_usize(option_env!("WARDEN_HEAD_BUF_SMALL"), 1024);

/// Size of a borrowed large head buffer: the longest request head accepted
/// (431 / 414 beyond). Matches nginx's `large_client_header_buffers` 8k.
pub const HEAD_BUF_LARGE: usize = build_usize(option_env!("WARDEN_HEAD_BUF_LARGE"), 8192);

/// How many large head buffers exist. A head that outgrows the small buffer
/// borrows one (nginx's design); when all are lent the request gets 503.
/// 32 × 8 KiB = 256 KiB, touched only when used.
pub const LARGE_HEAD_BUFS: usize = build_usize(option_env!("WARDEN_LARGE_HEAD_BUFS"), 32);

/// Response-head buffer every connection owns: status line, ~14 headers, the
/// configured headers (at most `MAX_CONFIGURED_HEADER_BYTES`), a redirect
/// `Location` built from a target of up to ~`MAX_TARGET_LEN` bytes (a longer
/// one is answered 414), or a short constant error body.
pub const RESPONSE_HEAD_CAP: usize = 2048;

/// Bytes of the header lines configured at start (`--header` and the security
/// defaults, `--cache-control`) that every response carries: room is kept for
/// them in `RESPONSE_HEAD_CAP` beside warden's own ~500 bytes of fields.
pub const MAX_CONFIGURED_HEADER_BYTES: usize = 768;

/// `--header` flags accepted.
pub const MAX_EXTRA_HEADERS: usize = 16;

/// `--allow-host` names accepted: a device answers to a few names.
pub const MAX_ALLOWED_HOSTS: usize = 16;

/// Longest request-target (path and query) accepted; 414 beyond. Admin pages
/// have short paths, and the decoded path lives in a stack buffer of this size.
pub const MAX_TARGET_LEN: usize = 1024;

/// Longest single path segment: Linux's NAME_MAX. Longer names cannot exist.
pub const MAX_NAME_LEN: usize = 255;

/// Header fields per request; 431 beyond. Browsers send 10-20.
pub const MAX_HEADERS: usize = 32;

/// Field lines kept per list-valued header (If-Match, If-None-Match,
/// Accept-Encoding); a request repeating one more often gets 431.
pub const MAX_LIST_FIELDS: usize = 4;

/// Requests served on one connection before it is closed (nginx's default):
/// bounds how long one client can hold a slot by staying busy.
pub const MAX_REQUESTS_PER_CONNECTION: u32 = 1000;

/// Idle keep-alive timeout: an empty connection between requests is closed
/// after this long. Browsers reopen cheaply; a slot is worth more.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_millis(15_000);

/// Absolute deadline for a whole request head, counted from its first byte.
/// Bytes trickling in do not extend it (slowloris).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_millis(10_000);

/// A response that makes no progress for this long is abandoned (a client
/// that stopped reading).
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_millis(30_000);

/// Longest timeout a flag may set: a day. Keeps deadline arithmetic far from overflow.
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

/// After an error response the write side is shut and input drained for at
/// most this long, so the client reads the response instead of a reset.
pub const LINGER: Duration = Duration::from_millis(2_000);

/// On SIGTERM/SIGINT, responses in flight get this long to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(10_000);

/// Bytes handed to one sendfile(2) call per wake-up, so one big download
/// cannot starve the other connections of the single thread.
pub const SEND_CHUNK: usize = build_usize(option_env!("WARDEN_SEND_CHUNK"), 512 * 1024);

/// The one shared buffer of the read/send fallback (files sendfile refuses).
pub const FALLBACK_BUF: usize = 16 * 1024;

/// Connections accepted per listener per loop iteration, so a flood of
/// connects cannot starve the connections already being served.
pub const ACCEPT_BATCH: usize = 64;

/// `Retry-After` seconds sent with 503 when the table is full.
pub const RETRY_AFTER_SECS: u32 = 5;

/// listen(2) backlog: connections the kernel queues while the loop is busy.
pub const LISTEN_BACKLOG: i32 = 128;

/// `--listen` flags accepted.
pub const MAX_LISTENERS: usize = 8;

/// `--index` names tried in order for a directory (uhttpd's `index_page` list).
pub const MAX_INDEX_NAMES: usize = 4;

/// When accept fails with EMFILE/ENFILE and the reserve descriptor could not
/// be re-opened, listeners are not polled for this long (no busy loop).
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(1_000);

/// Files kept open between requests (`filecache.rs`): a router's admin UI is
/// a few dozen files asked for again and again; each entry holds up to two
/// descriptors (the file and its `.gz`) and ~0.2 KiB. 0 turns the cache off.
pub const FILE_CACHE_ENTRIES: usize = build_usize(option_env!("WARDEN_FILE_CACHE_ENTRIES"), 32);

/// Longest clean path the file cache keeps; longer paths are opened each time.
/// Admin-UI paths (LuCI's included) are well under it.
pub const FILE_CACHE_KEY_LEN: usize = 128;

/// A cached path is walked again from the root after this long, so a new
/// `.gz` sibling, a renamed directory or a new index file is seen within it.
/// Changes to the file itself are seen at once: it is `fstat`ed on every use.
pub const FILE_CACHE_TTL: Duration = Duration::from_millis(1_000);

/// Longest password a login may try (bytes): longer ones never match and cost
/// what a wrong one does. The SHA-crypt state holds this many bytes.
pub const MAX_PASSWORD_LEN: usize = 128;

/// `--protect` prefixes accepted.
pub const MAX_PROTECTED_PREFIXES: usize = 16;

/// Password verifications in progress at once; more logins meanwhile get 503
/// with Retry-After. Each slot holds up to a bcrypt key schedule (~4 KiB).
pub const MAX_VERIFICATIONS: usize = 4;

/// Work units (SHA-crypt rounds; a bcrypt iteration counts 128) one
/// verification advances per poll turn: about 0.1-0.3 ms of this machine's CPU
/// and ~20x that on a router core, so static requests go on being served.
pub const VERIFY_SLICE: u64 = 256;

/// Recent successful logins remembered (keyed hash of the Authorization
/// value): a page load of many assets costs one verification.
pub const AUTH_CACHE_ENTRIES: usize = 16;

/// How long a remembered login lets requests through without a verification.
pub const AUTH_CACHE_TTL: Duration = Duration::from_secs(60);

/// Client addresses whose failed logins are counted (`auth/throttle.rs`);
/// ~60 bytes each. The oldest unblocked one gives way when full.
pub const THROTTLE_SLOTS: usize = 64;

/// Failed logins from one address within `THROTTLE_WINDOW` that block it.
pub const THROTTLE_FAILURES: u32 = 5;

/// The window failures are counted in (per address and globally).
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(60);

/// First block of an address (429 with Retry-After); doubled at each further one.
pub const THROTTLE_BASE: Duration = Duration::from_secs(10);

/// Longest block of an address.
pub const THROTTLE_CAP: Duration = Duration::from_secs(900);

/// Failed logins from all addresses within `THROTTLE_WINDOW` beyond which at
/// most one verification starts per `GLOBAL_INTERVAL`.
pub const GLOBAL_FAILURES: u32 = 50;

/// In that slow mode, the spacing of verification starts.
pub const GLOBAL_INTERVAL: Duration = Duration::from_secs(1);

/// Users a credentials file may hold: a device has an admin or two.
pub const MAX_AUTH_USERS: usize = 32;

/// Longest user name in the credentials file (bytes).
pub const MAX_USER_LEN: usize = 64;

/// Longest decoded Basic credentials (`user:password`, bytes) looked at.
pub const MAX_CREDENTIALS_LEN: usize = MAX_PASSWORD_LEN + MAX_USER_LEN + 1;

/// Most SHA-crypt rounds a stored hash may ask for: 100x the default (5,000)
/// already takes seconds on a router core; beyond, a login would take minutes.
pub const MAX_SHA_CRYPT_ROUNDS: u32 = 500_000;

/// Highest bcrypt cost a stored hash may ask for (2^16 iterations: seconds on
/// a router core; every step up doubles it).
pub const MAX_BCRYPT_COST: u32 = 16;

/// `--proxy` routes accepted.
pub const MAX_PROXY_ROUTES: usize = 8;

/// `--proxy-max-body` limits accepted.
pub const MAX_BODY_LIMITS: usize = 8;

/// Proxied requests in flight (each holds a backend socket and a channel of
/// `PROXY_BUF` bytes); more at once get 503 with Retry-After. An admin UI
/// makes a few API calls at a time; 64 × 16 KiB = 1 MiB, touched only when used.
pub const MAX_PROXIED: usize = build_usize(option_env!("WARDEN_MAX_PROXIED"), 64);

/// A proxied request's buffer: its head and body go to the backend through
/// it, the response comes back through it. The backend's response head is
/// read into the first half and rewritten into the second, so a head of up
/// to `PROXY_BUF / 2` bytes is relayed (502 beyond); bodies use all of it.
pub const PROXY_BUF: usize = build_usize(option_env!("WARDEN_PROXY_BUF"), 16 * 1024);

/// `--max-body` default: a settings form or JSON document is a few hundred
/// bytes; a firmware upload's prefix gets its own limit.
pub const DEFAULT_MAX_BODY: u64 = 64 * 1024;

/// `--proxy-timeout` default: connecting to the backend and waiting for its
/// response head; also the longest stall inside a backend's response body.
pub const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_millis(30_000);

/// Descriptors besides two per connection: stdio, listeners, root, reserve,
/// signal fd, a directory walked during path resolution, and the file cache.
pub const SPARE_FDS: usize = 16 + MAX_LISTENERS + 2 * FILE_CACHE_ENTRIES;

/// One access-log line: address, time, a request line cut to fit, status, bytes.
pub const ACCESS_LOG_LINE: usize = 512;

/// Longest request line kept in an access-log line; the rest is cut (`...`).
pub const MAX_LOGGED_LINE: usize = 300;

/// Per-slot copy of the request line, taken when the head is planned so the
/// head buffer (and a borrowed large one) is free while the response is sent;
/// one byte more than is logged tells a cut line from one that fits.
pub const REQUEST_LINE_BUF: usize = MAX_LOGGED_LINE + 1;

/// How far a regular file on stdout/stderr (a log file) may grow while
/// warden runs: RLIMIT_FSIZE is its size at start plus this, instead of 0. A
/// router's /var/log is RAM (tmpfs): the log must not grow without bound;
/// restarting (or rotating and restarting) starts a new allowance.
pub const LOG_FILE_GROWTH: u64 = 16 * 1024 * 1024;

// Build-time capacities must make sense together; a bad board profile fails here.
const _: () = assert!(MAX_VERIFICATIONS <= 255, "MAX_VERIFICATIONS: a ticket holds a u8");
const _: () = assert!(
    MAX_USER_LEN <= 255,
    "MAX_USER_LEN: a verification slot holds its length in a u8"
);
const _: () = assert!(
    RESPONSE_HEAD_CAP >= MAX_CONFIGURED_HEADER_BYTES + 512 + MAX_TARGET_LEN / 2,
    "RESPONSE_HEAD_CAP: room for warden's fields, the configured ones and a redirect"
);
const _: () = assert!(
    MAX_CONNECTIONS >= 1 && MAX_CONNECTIONS <= 65_536,
    "WARDEN_MAX_CONNECTIONS: 1 to 65536"
);
const _: () = assert!(
    HEAD_BUF_SMALL >= 256 && HEAD_BUF_SMALL <= HEAD_BUF_LARGE,
    "WARDEN_HEAD_BUF_SMALL: 256 to WARDEN_HEAD_BUF_LARGE"
);
const _: () = assert!(
    HEAD_BUF_LARGE >= MAX_TARGET_LEN + 64 && HEAD_BUF_LARGE <= 65_536,
    "WARDEN_HEAD_BUF_LARGE: a request line of MAX_TARGET_LEN must fit; at most 64 KiB"
);
const _: () = assert!(
    LARGE_HEAD_BUFS >= 1 && LARGE_HEAD_BUFS <= 255,
    "WARDEN_LARGE_HEAD_BUFS: 1 to 255"
);
const _: () = assert!(
    PROXY_BUF >= HEAD_BUF_LARGE + 2048 && PROXY_BUF <= 1 << 20,
    "WARDEN_PROXY_BUF: room for the largest request head, its added fields and held body bytes; at most 1 MiB"
);
const _: () = assert!(MAX_PROXIED <= 4096, "WARDEN_MAX_PROXIED: 0 (no proxy) to 4096");
const _: () = assert!(SEND_CHUNK >= 4096, "WARDEN_SEND_CHUNK: at least 4096");
const _: () = assert!(FILE_CACHE_ENTRIES <= 1024, "WARDEN_FILE_CACHE_ENTRIES: 0 (off) to 1024");

/// TLS connections at once, at most (`--max-tls-connections`, default this). Each
/// one holds `TLS_BUF_LEN` bytes (~50 KiB) while open, made when first needed and
/// kept for the next one, plus rustls's own state (~2 KiB after the handshake).
/// A router's admin UI: a browser opens up to 6; 32 leaves room for several.
pub const TLS_CONNECTIONS: usize = build_usize(option_env!("WARDEN_TLS_CONNECTIONS"), 32);

/// Received ciphertext: one whole record of the largest size a peer may send
/// (5-byte header + 2^14 + 2048, TLS 1.2's limit, RFC 5246 §6.2.3).
pub const TLS_IN_CAP: usize = 5 + 16384 + 2048;

/// Decrypted plaintext waiting for the connection: one record's (2^14).
pub const TLS_PLAIN_CAP: usize = 16384;

/// Ciphertext waiting for the socket: one full record with the largest
/// overhead of the suites offered (TLS 1.2 GCM: 5 + 8 + 16) and room for an
/// alert behind it; also any one handshake record.
pub const TLS_OUT_CAP: usize = 16384 + 512;

/// Largest `--tls-cert` or `--tls-key` file read: a chain of a few
/// certificates is 2-8 KiB of PEM.
pub const TLS_MAX_PEM: u64 = 64 * 1024;

/// A TLS connection's whole buffer.
pub const TLS_BUF_LEN: usize = TLS_IN_CAP + TLS_PLAIN_CAP + TLS_OUT_CAP;
