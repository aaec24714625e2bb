//! What `warden --version` prints: enough to tell, on a device, which build is
//! installed and what it was built to hold (capacities are fixed at build time
//! by the board profile, `boards/*/board.conf`).

use crate::limits::{
    DEFAULT_LISTEN, DEFAULT_ROOT, DEFAULT_USER, FILE_CACHE_ENTRIES, HEAD_BUF_LARGE, HEAD_BUF_SMALL, LARGE_HEAD_BUFS,
    MAX_CONNECTIONS, MAX_PROXIED, PROXY_BUF, SEND_CHUNK,
};

/// `git describe` of the checkout it was built from (build.rs), if any.
const GIT: &str = env!("WARDEN_GIT_DESCRIBE");
/// The board profile `cross/build` built it for, if any.
const BOARD: Option<&str> = option_env!("WARDEN_BOARD");

/// The lines, newline-separated, without a final newline.
pub fn text() -> String {
    let git = if GIT.is_empty() {
        String::new()
    } else {
        format!(" ({GIT})")
    };
    let seccomp = crate::seccomp::arch::native().map_or("none for this architecture", |a| a.name);
    format!(
        "warden {version}{git}\n\
         target: {target}\n\
         board profile: {board}\n\
         built in: logins ($6$/$5$ SHA-crypt, bcrypt), reverse proxy, Landlock, seccomp allowlist ({seccomp}); {tls}\n\
         capacities: {conns} connections, {small} B head buffer per connection, {large_n} large head buffers of {large} B, \
         {files} cached files, {proxied} proxied requests of {proxy_buf} B, {chunk} B per sendfile call\n\
         defaults: root {root}, listen {listen}, user {user}",
        version = env!("CARGO_PKG_VERSION"),
        tls = if cfg!(feature = "tls") {
            format!(
                "TLS (rustls, ring; TLS 1.3 and 1.2; up to {} connections of {} B)",
                crate::limits::TLS_CONNECTIONS,
                crate::limits::TLS_BUF_LEN
            )
        } else {
            "no TLS (built without the tls feature)".to_string()
        },
        target = env!("WARDEN_BUILD_TARGET"),
        board = BOARD.unwrap_or("none (a plain cargo build)"),
        conns = MAX_CONNECTIONS,
        small = HEAD_BUF_SMALL,
        large_n = LARGE_HEAD_BUFS,
        large = HEAD_BUF_LARGE,
        files = FILE_CACHE_ENTRIES,
        proxied = MAX_PROXIED,
        proxy_buf = PROXY_BUF,
        chunk = SEND_CHUNK,
        root = DEFAULT_ROOT.unwrap_or("(none: --root is required)"),
        listen = DEFAULT_LISTEN,
        user = DEFAULT_USER,
    )
}
