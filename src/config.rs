//! Validated, frozen configuration: everything checked before any socket opens.

use crate::access_log::AccessLog;
use crate::cli::Args;
use crate::clock::Duration;
use crate::limits::{
    DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_LISTEN, DEFAULT_MAX_BODY, DEFAULT_PROXY_TIMEOUT,
    DEFAULT_ROOT, DEFAULT_USER, DEFAULT_WRITE_TIMEOUT, MAX_ALLOWED_HOSTS, MAX_BODY_LIMITS, MAX_CONFIGURED_HEADER_BYTES,
    MAX_CONNECTIONS, MAX_EXTRA_HEADERS, MAX_INDEX_NAMES, MAX_LISTENERS, MAX_NAME_LEN, MAX_PROTECTED_PREFIXES,
    MAX_PROXY_ROUTES, MAX_TIMEOUT_SECS,
};
use crate::proxy::{ProxyConfig, Route};
use std::net::SocketAddr;
use std::path::PathBuf;

/// How file bodies travel from the file to the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyCopy {
    /// sendfile(2): kernel to socket, no copy through user space (the default).
    Sendfile,
    /// pread(2) into a shared buffer, then send(2): `--no-sendfile`, for file
    /// systems whose sendfile misbehaves; also what a file sendfile refuses gets.
    ReadSend,
}

/// Which `Host` values are answered (`access.rs`: the DNS-rebinding guard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostPolicy {
    /// `--allow-any-host`.
    Any,
    /// IP literals and `localhost`, and these names (lower case, no trailing dot).
    Listed(Vec<Vec<u8>>),
}

/// The header lines every response carries unless `--header` replaces or
/// removes them: the browser-side defences an admin UI wants. The CSP allows
/// the page's own scripts, styles and images (and `data:` images) and nothing
/// inline, which is what the demo (and LuCI-style UIs built from files) need.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
];

/// Fields warden writes itself (or that only a proxy or `--cache-control`
/// may set): `--header` may not name them.
const MANAGED_HEADERS: [&str; 19] = [
    "date",
    "server",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "trailer",
    "content-length",
    "content-type",
    "content-range",
    "content-encoding",
    "etag",
    "last-modified",
    "accept-ranges",
    "vary",
    "location",
    "allow",
    "retry-after",
    "cache-control",
];

/// Settings the serving loop and its connections read; fixed at start-up.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Slots in the connection table (≤ `limits::MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Files tried in order for a directory path ending in `/` (1 to
    /// `MAX_INDEX_NAMES`).
    pub index: Vec<Vec<u8>>,
    /// `Cache-Control` value for file responses, if any.
    pub cache_control: Option<Vec<u8>>,
    pub idle_timeout: Duration,
    pub header_timeout: Duration,
    pub write_timeout: Duration,
    pub body_copy: BodyCopy,
    /// The configured header lines, rendered once (`Name: value\r\n` each).
    pub headers: Vec<u8>,
    pub hosts: HostPolicy,
    /// `--proxy` routes and their limits.
    pub proxy: ProxyConfig,
    /// `--error-page STATUS=/path`: (status, clean path beneath the root) whose
    /// file is the body of that error; the built-in text when it is missing.
    pub error_pages: Vec<(u16, Vec<u8>)>,
    /// `--redirect-https`: plain-HTTP requests get 308 to HTTPS on this port.
    pub redirect_https: Option<u16>,
}

/// Statuses `--error-page` may replace the body of: the ones a request for a
/// file or a login can get (proxied responses keep the backend's).
pub const ERROR_PAGE_STATUSES: [u16; 6] = [401, 403, 404, 429, 500, 503];

/// `STATUS=/path` of `--error-page`.
fn error_page(spec: &str) -> Result<(u16, Vec<u8>), String> {
    let bad = || {
        format!(
            "--error-page {spec}: not STATUS=/path with STATUS one of {ERROR_PAGE_STATUSES:?} \
             and a path beneath the web root"
        )
    };
    let (status, path) = spec.split_once('=').ok_or_else(bad)?;
    let status: u16 = status.parse().map_err(|_| bad())?;
    if !ERROR_PAGE_STATUSES.contains(&status) {
        return Err(bad());
    }
    let clean = crate::path::clean(path.as_bytes()).map_err(|_| bad())?;
    if clean.trailing_slash || clean.as_bytes() == b"/" {
        return Err(bad());
    }
    Ok((status, clean.as_bytes().to_vec()))
}

impl ServeConfig {
    /// The defaults of every flag, with `max_connections` slots (tests, fuzzing).
    pub fn with_defaults(max_connections: usize) -> ServeConfig {
        ServeConfig {
            max_connections,
            index: vec![b"index.html".to_vec()],
            cache_control: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            body_copy: BodyCopy::Sendfile,
            headers: render_headers(&[]).unwrap_or_default(),
            hosts: HostPolicy::Listed(Vec::new()),
            proxy: ProxyConfig::none(),
            error_pages: Vec::new(),
            redirect_https: None,
        }
    }
}

/// The security defaults with the `--header` flags applied, rendered: a flag
/// naming a default replaces it in place (or removes it, with no value);
/// other names are added in the order given. Names must be tokens (RFC 9110
/// §5.1) warden does not manage itself; values visible ASCII, spaces and tabs
/// (never CR, LF or another control byte: no header injection).
pub fn render_headers(flags: &[String]) -> Result<Vec<u8>, String> {
    if flags.len() > MAX_EXTRA_HEADERS {
        return Err(format!("at most {MAX_EXTRA_HEADERS} --header flags"));
    }
    let mut lines: Vec<(String, Option<String>)> = SECURITY_HEADERS
        .iter()
        .map(|(n, v)| (n.to_string(), Some(v.to_string())))
        .collect();
    for flag in flags {
        let bad = || format!("--header {flag:?}: want 'Name: value' (or 'Name:' to remove a default)");
        let (name, value) = flag.split_once(':').ok_or_else(bad)?;
        let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if name.is_empty() || !name.bytes().all(tchar) {
            return Err(bad());
        }
        if MANAGED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(format!("--header {name}: warden sets this field itself"));
        }
        let value = value.trim_matches([' ', '\t']);
        if !value.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
            return Err(format!("--header {name}: the value must be printable ASCII"));
        }
        let value = (!value.is_empty()).then(|| value.to_string());
        match lines.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(line) => *line = (name.to_string(), value),
            None => lines.push((name.to_string(), value)),
        }
    }
    let mut out = Vec::new();
    for (name, value) in &lines {
        if let Some(v) = value {
            out.extend_from_slice(format!("{name}: {v}\r\n").as_bytes());
        }
    }
    Ok(out)
}

/// The whole configuration of one run.
#[derive(Debug)]
pub struct Config {
    /// The web root, canonical (symlinks in the path resolved once, at start-up).
    pub root: PathBuf,
    /// Target uid and gid when started as root.
    pub uid: u32,
    pub gid: u32,
    /// `--user` was given (not the default): started unprivileged, warden says
    /// it cannot become that user.
    pub user_given: bool,
    pub chroot: bool,
    pub strict: bool,
    pub require_landlock: bool,
    /// `--require-all-listeners`: an address that cannot be bound is fatal even
    /// when its family or the address itself is missing.
    pub require_all_listeners: bool,
    pub seccomp: crate::seccomp::Mode,
    pub require_seccomp: bool,
    pub check: bool,
    pub listen: Vec<SocketAddr>,
    /// HTTPS listeners, certificate and key, if `--listen-tls` is given.
    pub tls: Option<TlsSetup>,
    pub log_level: log::LevelFilter,
    pub access_log: AccessLog,
    /// `--syslog`: the socket and facility; opened in main.rs before the jail.
    pub syslog: Option<SyslogTo>,
    pub serve: ServeConfig,
    /// `--auth-file`, read after validation, before the jail (main.rs).
    pub auth_file: Option<PathBuf>,
    /// `--protect` prefixes, normalised (`auth::normalise_prefix`).
    pub protect: Vec<Vec<u8>>,
}

/// Where `--syslog` sends lines.
/// `--listen-tls` and what it needs; the files are read by `main` before the jail.
#[derive(Debug)]
pub struct TlsSetup {
    pub listen: Vec<SocketAddr>,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub max_connections: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogTo {
    pub socket: PathBuf,
    pub facility: u8,
}

/// `--syslog`, `--syslog-facility`, `--syslog-socket`; the last two mean nothing without the first.
fn syslog_to(on: bool, facility: Option<&str>, socket: Option<&str>) -> Result<Option<SyslogTo>, String> {
    if !on {
        return match (facility, socket) {
            (Some(_), _) => Err("--syslog-facility needs --syslog".to_string()),
            (_, Some(_)) => Err("--syslog-socket needs --syslog".to_string()),
            (None, None) => Ok(None),
        };
    }
    let name = facility.unwrap_or("daemon");
    let facility = crate::syslog::facility(name).ok_or_else(|| {
        let names: Vec<&str> = crate::syslog::FACILITIES.iter().map(|&(n, _)| n).collect();
        format!("--syslog-facility {name}: use {}", names.join(", "))
    })?;
    let socket = socket.unwrap_or(crate::syslog::DEFAULT_SOCKET);
    if !socket.starts_with('/') || socket.len() >= 108 {
        return Err(format!(
            "--syslog-socket {socket}: an absolute path, shorter than 108 bytes"
        ));
    }
    Ok(Some(SyslogTo {
        socket: PathBuf::from(socket),
        facility,
    }))
}

/// `--listen-tls`, `--tls-cert`, `--tls-key`, `--max-tls-connections`: all or
/// nothing, and the files outside the web root (a key inside it could be
/// served, or read by an intruder inside the jail).
fn tls_setup(args: &Args, listen: Vec<SocketAddr>, root: &std::path::Path) -> Result<Option<TlsSetup>, String> {
    let given = !listen.is_empty() || args.tls_cert.is_some() || args.tls_key.is_some();
    if !given {
        return match args.max_tls_connections {
            Some(_) => Err("--max-tls-connections needs --listen-tls".to_string()),
            None => Ok(None),
        };
    }
    if !cfg!(feature = "tls") {
        return Err(
            "--listen-tls, --tls-cert, --tls-key: this warden was built without HTTPS (cargo feature tls)".to_string(),
        );
    }
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Err("--listen-tls needs --tls-cert and --tls-key".to_string());
    };
    if listen.is_empty() {
        return Err("--tls-cert and --tls-key need --listen-tls".to_string());
    }
    let mut files = Vec::with_capacity(2);
    for (flag, path) in [("tls-cert", cert), ("tls-key", key)] {
        let real = std::fs::canonicalize(path).map_err(|e| format!("--{flag} {path}: {e}"))?;
        if real.starts_with(root) {
            return Err(format!(
                "--{flag} {path}: inside the web root, where it could be served; keep it outside (e.g. /etc/warden)"
            ));
        }
        files.push(real);
    }
    let max = args.max_tls_connections.unwrap_or(crate::limits::TLS_CONNECTIONS);
    if !(1..=crate::limits::TLS_CONNECTIONS).contains(&max) {
        return Err(format!(
            "--max-tls-connections must be 1 to {}",
            crate::limits::TLS_CONNECTIONS
        ));
    }
    let key = files.pop().unwrap_or_default();
    let cert = files.pop().unwrap_or_default();
    Ok(Some(TlsSetup {
        listen,
        cert,
        key,
        max_connections: max,
    }))
}

fn timeout(flag: &str, secs: Option<u64>, default: Duration) -> Result<Duration, String> {
    match secs {
        None => Ok(default),
        Some(s) if (1..=MAX_TIMEOUT_SECS).contains(&s) => Ok(Duration::from_secs(s)),
        Some(_) => Err(format!("--{flag} must be 1 to {MAX_TIMEOUT_SECS} seconds")),
    }
}

impl Config {
    /// Checks every flag; the error is one line naming the problem.
    pub fn from_args(args: Args) -> Result<Config, String> {
        let Some(root_arg) = args.root.as_deref().or(DEFAULT_ROOT) else {
            return Err(String::from("Required options not provided: --root"));
        };
        let root = match std::fs::canonicalize(root_arg) {
            Ok(p) => p,
            Err(e) => return Err(format!("--root {root_arg}: {e}")),
        };
        if !root.is_dir() {
            return Err(format!("--root {root_arg}: not a directory"));
        }
        if root == std::path::Path::new("/") {
            return Err(format!("--root {root_arg}: refusing to serve the whole file system"));
        }
        let (uid, gid) = parse_user(args.user.as_deref().unwrap_or(DEFAULT_USER))?;
        let proxy = proxy_config(&args)?;
        let mut error_pages: Vec<(u16, Vec<u8>)> = Vec::new();
        for spec in &args.error_page {
            let (status, path) = error_page(spec)?;
            if error_pages.iter().any(|(s, _)| *s == status) {
                return Err(format!("--error-page {status} is given twice"));
            }
            error_pages.push((status, path));
        }
        // The default address only when no listener at all is given (an
        // HTTPS-only device gives just --listen-tls).
        let plain = if args.listen.is_empty() && args.listen_tls.is_empty() {
            vec![String::from(DEFAULT_LISTEN)]
        } else {
            args.listen.clone()
        };
        // Both lists together: `(address, HTTPS)`.
        let mut all: Vec<(SocketAddr, bool)> = Vec::new();
        for (flag, list, tls) in [("listen", &plain, false), ("listen-tls", &args.listen_tls, true)] {
            for l in list {
                let addr: SocketAddr = l
                    .parse()
                    .map_err(|_| format!("--{flag} {l}: not an ADDR:PORT (IPv6 as [::1]:8080)"))?;
                // Port 0 twice is two listeners on two free ports; any other
                // address twice is a mistake (the second bind would fail as in use).
                if addr.port() != 0 && all.iter().any(|(a, _)| *a == addr) {
                    return Err(format!("--{flag} {addr} is given twice"));
                }
                all.push((addr, tls));
            }
        }
        let listen: Vec<SocketAddr> = all.iter().filter(|(_, tls)| !tls).map(|(a, _)| *a).collect();
        let listen_tls: Vec<SocketAddr> = all.iter().filter(|(_, tls)| *tls).map(|(a, _)| *a).collect();
        if listen.len() + listen_tls.len() > MAX_LISTENERS {
            return Err(format!(
                "at most {MAX_LISTENERS} --listen and --listen-tls addresses in all"
            ));
        }
        let tls = tls_setup(&args, listen_tls, &root)?;
        let redirect_https = match (&tls, args.redirect_https) {
            (_, false) => None,
            (None, true) => return Err("--redirect-https needs --listen-tls".to_string()),
            (Some(_), true) if listen.is_empty() => {
                return Err("--redirect-https needs a plain --listen to redirect from".to_string());
            }
            (Some(t), true) => match t.listen[0].port() {
                0 => return Err("--redirect-https: the first --listen-tls needs a fixed port, not 0".to_string()),
                port => Some(port),
            },
        };
        let max_connections = args.max_connections.unwrap_or(MAX_CONNECTIONS);
        if !(1..=MAX_CONNECTIONS).contains(&max_connections) {
            return Err(format!("--max-connections must be 1 to {MAX_CONNECTIONS}"));
        }
        let names = if args.index.is_empty() {
            vec![String::from("index.html")]
        } else {
            args.index
        };
        if names.len() > MAX_INDEX_NAMES {
            return Err(format!("at most {MAX_INDEX_NAMES} --index names"));
        }
        let mut index: Vec<Vec<u8>> = Vec::with_capacity(names.len());
        for name in names {
            let name = name.into_bytes();
            if name.is_empty()
                || name.len() > MAX_NAME_LEN
                || name[0] == b'.'
                || name.contains(&b'/')
                || name.contains(&0)
            {
                return Err(String::from("--index must be a plain file name (no '/', not hidden)"));
            }
            if !index.contains(&name) {
                index.push(name);
            }
        }
        // A header value may hold visible ASCII, spaces and tabs; never CR/LF.
        if let Some(cc) = &args.cache_control {
            if cc.is_empty() || !cc.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) {
                return Err(String::from("--cache-control must be printable ASCII"));
            }
        }
        let headers = render_headers(&args.header)?;
        let cc_len = args
            .cache_control
            .as_ref()
            .map_or(0, |cc| cc.len() + "Cache-Control: \r\n".len());
        if headers.len() + cc_len > MAX_CONFIGURED_HEADER_BYTES {
            return Err(format!(
                "--header and --cache-control: at most {MAX_CONFIGURED_HEADER_BYTES} bytes of header lines in all"
            ));
        }
        if args.allow_host.len() > MAX_ALLOWED_HOSTS {
            return Err(format!("at most {MAX_ALLOWED_HOSTS} --allow-host names"));
        }
        let mut names = Vec::new();
        for name in &args.allow_host {
            names.push(
                crate::access::normalise_name(name).ok_or_else(|| format!("--allow-host {name}: not a DNS name"))?,
            );
        }
        let hosts = if args.allow_any_host {
            HostPolicy::Any
        } else {
            HostPolicy::Listed(names)
        };
        if args.protect.len() > MAX_PROTECTED_PREFIXES {
            return Err(format!("at most {MAX_PROTECTED_PREFIXES} --protect prefixes"));
        }
        let protect = args
            .protect
            .iter()
            .map(|p| crate::auth::normalise_prefix(p))
            .collect::<Result<Vec<_>, _>>()?;
        match (args.auth_file.is_some(), protect.is_empty()) {
            (true, true) => return Err(String::from("--auth-file needs at least one --protect PREFIX")),
            (false, false) => return Err(String::from("--protect needs --auth-file")),
            _ => {}
        }
        let level = match args.log_level.as_deref() {
            None if args.quiet => log::LevelFilter::Warn,
            None => log::LevelFilter::Info,
            Some(l) => l
                .parse()
                .map_err(|_| format!("--log-level {l}: use error, warn, info, debug or trace"))?,
        };
        let seccomp = crate::seccomp::Mode::parse(&args.seccomp)
            .ok_or_else(|| format!("--seccomp {}: use kill, log or off", args.seccomp))?;
        if args.require_seccomp && seccomp == crate::seccomp::Mode::Off {
            return Err("--require-seccomp and --seccomp off contradict each other".to_string());
        }
        Ok(Config {
            root,
            uid,
            gid,
            user_given: args.user.is_some(),
            chroot: !args.no_chroot,
            strict: args.strict,
            require_landlock: args.require_landlock,
            require_all_listeners: args.require_all_listeners,
            seccomp,
            require_seccomp: args.require_seccomp,
            check: args.check,
            listen,
            tls,
            log_level: level,
            access_log: if args.quiet { AccessLog::Off } else { AccessLog::On },
            syslog: syslog_to(
                args.syslog,
                args.syslog_facility.as_deref(),
                args.syslog_socket.as_deref(),
            )?,
            serve: ServeConfig {
                max_connections,
                index,
                cache_control: args.cache_control.map(String::into_bytes),
                idle_timeout: timeout("idle-timeout", args.idle_timeout, DEFAULT_IDLE_TIMEOUT)?,
                header_timeout: timeout("header-timeout", args.header_timeout, DEFAULT_HEADER_TIMEOUT)?,
                write_timeout: timeout("write-timeout", args.write_timeout, DEFAULT_WRITE_TIMEOUT)?,
                body_copy: if args.no_sendfile {
                    BodyCopy::ReadSend
                } else {
                    BodyCopy::Sendfile
                },
                headers,
                hosts,
                proxy,
                error_pages,
                redirect_https,
            },
            auth_file: args.auth_file.map(PathBuf::from),
            protect,
        })
    }
}

/// `--proxy`, `--max-body`, `--proxy-max-body`, `--proxy-timeout`.
fn proxy_config(args: &Args) -> Result<ProxyConfig, String> {
    if args.proxy.len() > MAX_PROXY_ROUTES {
        return Err(format!("at most {MAX_PROXY_ROUTES} --proxy routes"));
    }
    if args.proxy_max_body.len() > MAX_BODY_LIMITS {
        return Err(format!("at most {MAX_BODY_LIMITS} --proxy-max-body limits"));
    }
    let mut routes: Vec<Route> = Vec::new();
    for flag in &args.proxy {
        let bad = || format!("--proxy {flag}: want PREFIX=ADDR:PORT, e.g. /api=127.0.0.1:9000");
        let (prefix, addr) = flag.split_once('=').ok_or_else(bad)?;
        let prefix = flag_prefix("--proxy", prefix)?;
        let addr: SocketAddr = addr.parse().map_err(|_| bad())?;
        if addr.port() == 0 {
            return Err(format!("--proxy {flag}: port 0"));
        }
        if !addr.ip().is_loopback() && !args.proxy_allow_remote {
            return Err(format!(
                "--proxy {flag}: {} is not a loopback address (add --proxy-allow-remote to allow it)",
                addr.ip()
            ));
        }
        if routes.iter().any(|r| r.prefix == prefix) {
            return Err(format!("--proxy {flag}: that prefix is given twice"));
        }
        routes.push(Route { prefix, addr });
    }
    if routes.is_empty() && (!args.proxy_max_body.is_empty() || args.proxy_allow_remote) {
        return Err(String::from(
            "--proxy-max-body and --proxy-allow-remote need a --proxy route",
        ));
    }
    let mut body_limits = Vec::new();
    for flag in &args.proxy_max_body {
        let (prefix, size) = flag
            .split_once('=')
            .ok_or_else(|| format!("--proxy-max-body {flag}: want PREFIX=BYTES, e.g. /api/firmware=64m"))?;
        let prefix = flag_prefix("--proxy-max-body", prefix)?;
        if !routes.iter().any(|r| crate::path::under(&prefix, &r.prefix)) {
            return Err(format!("--proxy-max-body {flag}: no --proxy route covers that prefix"));
        }
        body_limits.push((prefix, byte_size("--proxy-max-body", size)?));
    }
    let max_body = match &args.max_body {
        Some(size) => byte_size("--max-body", size)?,
        None => DEFAULT_MAX_BODY,
    };
    Ok(ProxyConfig {
        routes,
        body_limits,
        max_body,
        timeout: timeout("proxy-timeout", args.proxy_timeout, DEFAULT_PROXY_TIMEOUT)?,
    })
}

/// A path prefix flag, normalised as `--protect` prefixes are.
fn flag_prefix(flag: &str, prefix: &str) -> Result<Vec<u8>, String> {
    if !prefix.starts_with('/') {
        return Err(format!("{flag} {prefix}: the prefix must be a path like /api"));
    }
    crate::auth::normalise_prefix(prefix).map_err(|_| format!("{flag} {prefix}: not a clean path like /api"))
}

/// A byte count: digits, optionally followed by `k` (KiB) or `m` (MiB);
/// at most 1 TiB.
pub fn byte_size(flag: &str, text: &str) -> Result<u64, String> {
    let bad = || format!("{flag} {text}: want a byte count like 65536, 64k or 64m (at most 1048576m)");
    let (digits, unit) = match text.as_bytes().last() {
        Some(b'k' | b'K') => (&text[..text.len() - 1], 1024),
        Some(b'm' | b'M') => (&text[..text.len() - 1], 1024 * 1024),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(unit).filter(|&n| n <= 1 << 40).ok_or_else(bad)
}

/// `--user`: `UID[:GID]` (GID defaults to UID) or a user name, looked up now,
/// while /etc/passwd is still visible. uid 0 and gid 0 are refused: the point
/// is to stop being root.
pub fn parse_user(spec: &str) -> Result<(u32, u32), String> {
    let numeric = |s: &str| s.parse::<u32>().ok();
    let (uid, gid) = match spec.split_once(':') {
        Some((u, g)) => (
            numeric(u).ok_or_else(|| format!("--user {spec}: UID must be a number"))?,
            numeric(g).ok_or_else(|| format!("--user {spec}: GID must be a number"))?,
        ),
        None => match numeric(spec) {
            Some(u) => (u, u),
            None => match nix::unistd::User::from_name(spec) {
                Ok(Some(user)) => (user.uid.as_raw(), user.gid.as_raw()),
                Ok(None) => return Err(format!("--user {spec}: no such user")),
                Err(e) => return Err(format!("--user {spec}: {e}")),
            },
        },
    };
    if uid == 0 || gid == 0 {
        return Err(format!("--user {spec}: refusing uid 0 or gid 0"));
    }
    // (uid_t)-1 means "leave unchanged" to setresuid/setresgid.
    if uid == u32::MAX || gid == u32::MAX {
        return Err(format!("--user {spec}: refusing uid or gid 4294967295 (-1)"));
    }
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::parse_user;

    #[test]
    fn user_specs() {
        assert_eq!(parse_user("65534:65534"), Ok((65534, 65534)));
        assert_eq!(parse_user("1000"), Ok((1000, 1000)));
        assert_eq!(parse_user("1000:100"), Ok((1000, 100)));
        assert!(parse_user("0").is_err());
        assert!(parse_user("0:0").is_err());
        assert!(parse_user("65534:0").is_err());
        assert!(parse_user("4294967295").is_err());
        assert!(parse_user("65534:4294967295").is_err());
        assert!(parse_user("root").is_err());
        assert!(parse_user("x:y").is_err());
        assert!(parse_user("no-such-user-here").is_err());
    }

    #[test]
    fn byte_sizes() {
        let size = |t: &str| super::byte_size("--max-body", t);
        assert_eq!(size("65536"), Ok(65536));
        assert_eq!(size("64k"), Ok(65536));
        assert_eq!(size("64M"), Ok(64 << 20));
        assert_eq!(size("0"), Ok(0));
        for bad in ["", "k", "-1", "1.5m", "1g", "64 k", "99999999999999999999", "1048577m"] {
            assert!(size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn security_headers_replaced_removed_added() {
        let text = |flags: &[&str]| {
            let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
            super::render_headers(&flags).map(|h| String::from_utf8(h).unwrap())
        };
        let d = text(&[]).unwrap();
        assert!(
            d.starts_with("X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"),
            "{d}"
        );
        assert!(
            d.contains("Referrer-Policy: same-origin\r\n")
                && d.ends_with("Cross-Origin-Opener-Policy: same-origin\r\n")
        );
        let h = text(&["x-frame-options: SAMEORIGIN", "Referrer-Policy:", "X-Extra:  a b\t"]).unwrap();
        assert!(h.contains("\r\nx-frame-options: SAMEORIGIN\r\n"), "{h}");
        assert!(!h.contains("Referrer-Policy") && h.ends_with("X-Extra: a b\r\n"), "{h}");
        for bad in [
            "NoColon",
            ": v",
            "Bad Name: v",
            "X-A: v\r\nX-B: w",
            "X-A: \u{7f}",
            "X-A: caf\u{e9}",
            "Content-Length: 1",
            "SERVER: x",
            "cache-control: no-store",
        ] {
            assert!(text(&[bad]).is_err(), "{bad:?}");
        }
        let many: Vec<String> = (0..17).map(|i| format!("X-{i}: v")).collect();
        assert!(super::render_headers(&many).is_err());
    }
}
