//! Command-line flags (argh), their help text and defaults. Touches nothing.

use argh::FromArgs;

/// warden: a small, bounded HTTP/1.1 static file server for embedded Linux boards.
#[derive(FromArgs, Debug)]
#[argh(
    error_code(
        0,
        "served until SIGTERM or SIGINT and stopped cleanly; --check: confined as planned"
    ),
    error_code(1, "--check: confinement worse than planned (the report says what)"),
    error_code(
        2,
        "a bad flag, a refused web root or user, a listener that cannot be bound, a failed confinement step (one line on stderr starting with warden:)"
    ),
    error_code(
        159,
        "(as a shell shows it: killed by SIGSYS) a syscall outside the seccomp allowlist"
    )
)]
pub struct Args {
    /// directory to serve (the web root); required unless the build set a default
    #[argh(option)]
    pub root: Option<String>,

    /// address to listen on, ADDR:PORT (IPv6 as [::1]:8080; port 0 picks one);
    /// repeatable; default 0.0.0.0:80 (or the board's)
    #[argh(option)]
    pub listen: Vec<String>,

    /// HTTPS address to listen on, ADDR:PORT, as --listen; repeatable; needs
    /// --tls-cert and --tls-key (builds with the tls feature)
    #[argh(option)]
    pub listen_tls: Vec<String>,

    /// certificate chain for HTTPS, PEM (ECDSA P-256 or RSA), server first; read
    /// before the jail, refused inside the web root
    #[argh(option)]
    pub tls_cert: Option<String>,

    /// private key for HTTPS, PEM (PKCS#8, SEC1 or PKCS#1); read before the jail,
    /// refused inside the web root or when it does not match --tls-cert
    #[argh(option)]
    pub tls_key: Option<String>,

    /// HTTPS connections at once (default and most: the build's, 32); each holds ~50 KiB
    #[argh(option)]
    pub max_tls_connections: Option<usize>,

    /// answer plain-HTTP requests with 308 to the same host and target on the
    /// first --listen-tls port (after the Host check, before any login)
    #[argh(switch)]
    pub redirect_https: bool,

    /// connection table size, at most the build's capacity (default: that capacity, 1024)
    #[argh(option)]
    pub max_connections: Option<usize>,

    /// file served for a directory (default index.html); repeatable, tried in order
    /// (e.g. --index index.html --index index.htm), at most 4
    #[argh(option)]
    pub index: Vec<String>,

    /// value of a Cache-Control header added to file responses (e.g. "max-age=3600")
    #[argh(option)]
    pub cache_control: Option<String>,

    /// a header line every response carries, 'Name: value'; replaces a security
    /// default of that name, 'Name:' removes it; repeatable
    #[argh(option)]
    pub header: Vec<String>,

    /// answer requests whose Host is this DNS name (besides IP addresses and
    /// localhost; others get 421, against DNS rebinding); repeatable
    #[argh(option)]
    pub allow_host: Vec<String>,

    /// answer every Host (turns the DNS-rebinding guard off)
    #[argh(switch)]
    pub allow_any_host: bool,

    /// credentials file: user:HASH per line ($6$/$5$ SHA-crypt, $2b$/$2y$ bcrypt,
    /// or $p$ACCOUNT for a system account's password, $1$ too); read once, before the jail
    #[argh(option)]
    pub auth_file: Option<String>,

    /// path prefix that needs a login (Basic auth, from --auth-file), e.g. /admin;
    /// matched at segment boundaries on the decoded path; repeatable
    #[argh(option)]
    pub protect: Vec<String>,

    /// forward requests under PREFIX to a backend on loopback, PREFIX=ADDR:PORT
    /// (e.g. /api=127.0.0.1:9000); path and query unchanged; repeatable
    #[argh(option)]
    pub proxy: Vec<String>,

    /// let --proxy name a backend that is not on loopback
    #[argh(switch)]
    pub proxy_allow_remote: bool,

    /// largest request body forwarded, bytes, or with k or m (default 64k); 413 beyond
    #[argh(option)]
    pub max_body: Option<String>,

    /// a different --max-body under a proxied prefix, PREFIX=BYTES
    /// (e.g. /api/firmware=64m); repeatable
    #[argh(option)]
    pub proxy_max_body: Vec<String>,

    /// seconds to connect to a backend and get its response head, and the
    /// longest stall of its response body (default 30); 504 beyond
    #[argh(option)]
    pub proxy_timeout: Option<u64>,

    /// read a password from stdin, print its $6$ hash for --auth-file, exit
    #[argh(switch)]
    pub hash_password: bool,

    /// a file beneath the web root served as the body of an error, STATUS=/path
    /// (401, 403, 404, 429, 500, 503; e.g. 404=/errors/404.html), with that status;
    /// the built-in text when it is missing; repeatable
    #[argh(option)]
    pub error_page: Vec<String>,

    /// print the version, build target, board profile and build-time capacities, exit
    #[argh(switch, short = 'V')]
    pub version: bool,

    /// when started as root: run as this user, UID[:GID] or a name (default 65534:65534, or the board's)
    #[argh(option)]
    pub user: Option<String>,

    /// when started as root: do not chroot into the web root (not recommended)
    #[argh(switch)]
    pub no_chroot: bool,

    /// refuse to start when the web root is writable by the server's user or holds executables
    #[argh(switch)]
    pub strict: bool,

    /// refuse to start unless Landlock is fully enforced
    #[argh(switch)]
    pub require_landlock: bool,

    /// refuse to start unless every --listen address is bound (without it, an address
    /// whose family the kernel lacks or that is not on an interface yet is skipped
    /// with a warning while another listener is up)
    #[argh(switch)]
    pub require_all_listeners: bool,

    /// seccomp allowlist: kill (default) ends the process on a syscall outside it, log lets the kernel log it, off installs none
    #[argh(option, default = "String::from(\"kill\")")]
    pub seccomp: String,

    /// refuse to start unless the seccomp filter is installed
    #[argh(switch)]
    pub require_seccomp: bool,

    /// confine as for serving, print the confinement report, exit 0 (all as planned) or 1
    #[argh(switch)]
    pub check: bool,

    /// send files with read/send through a fixed buffer instead of sendfile(2)
    #[argh(switch)]
    pub no_sendfile: bool,

    /// no access log, and only warnings and errors
    #[argh(switch)]
    pub quiet: bool,

    /// log level: error, warn, info, debug, trace (default info)
    #[argh(option)]
    pub log_level: Option<String>,

    /// send the log and the access log to syslog (/dev/log, opened before the
    /// jail) instead of stderr: access lines at info, diagnostics at their level
    #[argh(switch)]
    pub syslog: bool,

    /// syslog facility with --syslog: daemon (default), user, auth, authpriv, local0..local7
    #[argh(option)]
    pub syslog_facility: Option<String>,

    /// syslog socket with --syslog (default /dev/log)
    #[argh(option)]
    pub syslog_socket: Option<String>,

    /// close keep-alive connections idle this many seconds (default 15)
    #[argh(option)]
    pub idle_timeout: Option<u64>,

    /// a request head must arrive within this many seconds of its first byte (default 10)
    #[argh(option)]
    pub header_timeout: Option<u64>,

    /// abandon a response that makes no progress for this many seconds (default 30)
    #[argh(option)]
    pub write_timeout: Option<u64>,
}

/// Parses `argv`. `Err((text, code))`: print `text` and exit with `code`
/// (0 for --help, 2 for a bad flag, with the text cut to its first line).
pub fn parse(argv: &[String]) -> Result<Args, (String, u8)> {
    let name = argv.first().map_or("warden", String::as_str);
    // `--flag=value` is taken as `--flag value` (argh knows only the latter;
    // init scripts and users write both).
    let mut rest: Vec<&str> = Vec::with_capacity(argv.len());
    for a in argv.iter().skip(1) {
        match a.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") && flag.len() > 2 => {
                rest.push(flag);
                rest.push(value);
            }
            _ => rest.push(a),
        }
    }
    Args::from_args(&[name], &rest).map_err(|early| match early.status {
        Ok(()) => (early.output, 0),
        Err(()) => {
            // argh puts the offending option on the next line: keep one line.
            let text = early.output.split_whitespace().collect::<Vec<_>>().join(" ");
            (format!("warden: {text} (see --help)"), 2)
        }
    })
}
