"""The server table: the names benches/run knows, where each one's executable is, its
command line for a port and a data directory (writing its configuration file where it
has one, with the same settings as the others as far as it has them; for the proxy
measurement, warden's, nginx's and lighttpd's with PROXY_PREFIX proxied to a backend;
for the TLS rows, warden's, nginx's and lighttpd's serving HTTPS alone on the port, with
one certificate and the same TLS settings), and the stripped size of its executable."""
import os
import shutil
import subprocess

from .build import STATIC_DIR, host_triple
from .install import PACKAGES
from .util import IS_ROOT, REPO, which

ALL_SERVERS = ["warden", "warden_static", "lighttpd", "nginx", "busybox", "mini_httpd", "darkhttpd", "tiny_http"]
# A second warden binary (--baseline-bin), run with warden's command line: two builds
# side by side in one run.
BASELINE = "warden-base"
WARDENS = ("warden", "warden_static", BASELINE)

# The front ends of the proxy measurement (proxy.py): each can proxy PROXY_PREFIX.
PROXY_FRONTS = ["warden", "nginx", "lighttpd"]
PROXY_PREFIX = "/api"

# The servers of the TLS rows (tls.py): each serves HTTPS with the run's certificate.
TLS_SERVERS = ["warden", "lighttpd", "nginx"]

CONFIG_TEXT = {}  # the last generated configuration file of each server, for the report


def config_key(name, backend, tls=None):
    """CONFIG_TEXT's key: the static runs' configuration, the proxying one or the TLS one."""
    if tls is not None:
        return f"{name} tls"
    return name if backend is None else f"{name} proxy"


def server_argv(name, port, data, tmp, binaries, backend=None, tls=None):
    """Command line of each server (generating its config file where it has one).
    backend: a port on 127.0.0.1 to proxy PROXY_PREFIX to (PROXY_FRONTS only); the
    configuration is otherwise the static runs' one. tls: (certificate, key) PEM files
    (TLS_SERVERS only): the port serves HTTPS alone (TLS 1.3 and 1.2, no session
    resumption: neither tickets nor a session cache, so every connection is a full
    handshake, as warden's always is); the rest is the static runs' configuration."""
    if backend is not None and name not in PROXY_FRONTS:
        raise ValueError(f"{name} proxies nothing here")
    if tls is not None and (name not in TLS_SERVERS or backend is not None):
        raise ValueError(f"{name}: no TLS configuration here")
    if name in WARDENS:
        if tls is not None:
            # No --max-tls-connections: its default is the build's most (32).
            return [binaries[name], "--root", data, "--listen-tls", f"127.0.0.1:{port}",
                    "--tls-cert", tls[0], "--tls-key", tls[1], "--quiet"]
        argv = [binaries[name], "--root", data, "--listen", f"127.0.0.1:{port}", "--quiet"]
        if backend is not None:
            argv += ["--proxy", f"{PROXY_PREFIX}=127.0.0.1:{backend}"]
        return argv
    if name == "tiny_http":
        return [binaries["tiny_http"], data, f"127.0.0.1:{port}"]
    if name == "lighttpd":
        conf = os.path.join(tmp, "lighttpd.conf" if backend is None and tls is None else
                            "lighttpd-proxy.conf" if tls is None else "lighttpd-tls.conf")
        user = ('server.username = "nobody"\nserver.groupname = "nogroup"\n' if IS_ROOT else "")
        # mod_proxy: a key starting with "/" is a path prefix; HTTP/1.1 to the backend
        # with `Connection: close` (a connection per request), X-Forwarded-For added.
        modules, proxy = '"mod_indexfile", "mod_staticfile"', ""
        if backend is not None:
            modules = '"mod_proxy", ' + modules
            proxy = (f'proxy.server = ( "{PROXY_PREFIX}/" => ( ( "host" => "127.0.0.1", '
                     f'"port" => {backend} ) ) )\n')
        if tls is not None:
            # mod_openssl's session cache is off unless server.feature-flags sets
            # "ssl.session-cache" (not set here); "-SessionTicket" turns the tickets
            # off too, so nothing is resumable. OpenSSL's default cipher
            # string (lighttpd's own default is narrower) and the client's order, as
            # nginx and warden (rustls) choose.
            modules = '"mod_openssl", ' + modules
            proxy += (f'ssl.engine = "enable"\nssl.pemfile = "{tls[0]}"\nssl.privkey = "{tls[1]}"\n'
                      'ssl.honor-cipher-order = "disable"\n'
                      'ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.2", '
                      '"Options" => "-SessionTicket", "CipherString" => "DEFAULT")\n')
        text = f"""server.document-root = "{data}"
server.bind = "127.0.0.1"
server.port = {port}
server.modules = ({modules})
index-file.names = ("index.html")
server.network-backend = "sendfile"
server.max-keep-alive-requests = 1000
server.max-keep-alive-idle = 15
server.max-connections = 1024
server.max-fds = 2048
server.max-worker = 0
mimetype.assign = (".html" => "text/html", ".css" => "text/css", ".js" => "text/javascript", "" => "application/octet-stream")
{proxy}{user}"""
        with open(conf, "w") as f:
            f.write(text)
        CONFIG_TEXT[config_key(name, backend, tls)] = text
        return [binaries["lighttpd"], "-D", "-f", conf]
    if name == "nginx":
        prefix = os.path.join(tmp, "nginx" if backend is None and tls is None else
                              "nginx-proxy" if tls is None else "nginx-tls")
        os.makedirs(prefix, exist_ok=True)
        conf = os.path.join(prefix, "nginx.conf")
        user = "user nobody nogroup;\n" if IS_ROOT else ""
        # proxy_pass with HTTP/1.1 and nginx's default `Connection: close` to the backend:
        # a connection per request, no `upstream { keepalive }` pool (warden has none);
        # X-Forwarded-For and -Proto set as warden sets them.
        proxy = "" if backend is None else f"""
        location {PROXY_PREFIX}/ {{
            proxy_pass http://127.0.0.1:{backend};
            proxy_http_version 1.1;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}"""
        listen, ssl = f"127.0.0.1:{port}", ""
        if tls is not None:
            # ssl_session_cache off: clients are told sessions are not reused (the
            # default, none, only pretends to cache); no tickets either. OpenSSL's
            # default cipher string (nginx's own default is HIGH:!aNULL:!MD5).
            listen += " ssl"
            ssl = f"""
        ssl_certificate {tls[0]};
        ssl_certificate_key {tls[1]};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers DEFAULT;
        ssl_session_tickets off;
        ssl_session_cache off;"""
        text = f"""daemon off;
{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000;
    keepalive_timeout 15s;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ text/html html; text/css css; text/javascript js; }}
    default_type application/octet-stream;
    server {{
        listen {listen};
        root {data};
        index index.html;{ssl}{proxy}
    }}
}}
"""
        with open(conf, "w") as f:
            f.write(text)
        CONFIG_TEXT[config_key(name, backend, tls)] = text
        return [binaries["nginx"], "-c", conf, "-p", prefix + "/", "-e", f"{prefix}/error.log"]
    if name == "busybox":
        return [binaries["busybox"], "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", data]
    if name == "mini_httpd":
        # No -l: mini_httpd's default is no access log at all (-l /dev/null would still
        # format and write a line per request).
        argv = [binaries["mini_httpd"], "-D", "-h", "127.0.0.1", "-p", str(port), "-d", data,
                "-i", os.path.join(tmp, "mini_httpd.pid")]
        if IS_ROOT:
            argv += ["-u", "nobody"]
        return argv
    if name == "darkhttpd":
        argv = [binaries["darkhttpd"], data, "--addr", "127.0.0.1", "--port", str(port),
                "--no-listing", "--maxconn", "1024"]
        if IS_ROOT:
            argv += ["--uid", "nobody", "--gid", "nogroup"]
        return argv
    raise ValueError(name)


def find_binaries(servers, baseline_bin=None):
    b = {"warden": os.path.join(REPO, "target/release/warden"),
         "warden_static": os.path.join(STATIC_DIR, host_triple(), "release", "warden"),
         "tiny_http": os.path.join(REPO, "target/release/examples/tiny_http_baseline"),
         "proxy_backend": os.path.join(REPO, "target/release/examples/proxy_backend")}
    if baseline_bin:
        b[BASELINE] = baseline_bin
    for s in servers:
        if s in PACKAGES:
            b[s] = which(PACKAGES[s][1])
    return b


def stripped_size(path, tmp):
    if not path or not os.path.exists(path):
        return None
    dst = os.path.join(tmp, "strip-" + os.path.basename(path))
    shutil.copyfile(path, dst)
    r = subprocess.run(["strip", dst], capture_output=True)
    size = os.path.getsize(dst)
    os.unlink(dst)
    return size if r.returncode == 0 else None
