"""The server table: the names benches/run knows, where each one's executable is, its
command line for a port and a data directory (writing its configuration file where it
has one, with the same settings as the others as far as it has them), and the stripped
size of its executable."""
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

CONFIG_TEXT = {}  # the last generated configuration file of each server, for the report


def server_argv(name, port, data, tmp, binaries):
    """Command line of each server (generating its config file where it has one)."""
    if name in WARDENS:
        return [binaries[name], "--root", data, "--listen", f"127.0.0.1:{port}", "--quiet"]
    if name == "tiny_http":
        return [binaries["tiny_http"], data, f"127.0.0.1:{port}"]
    if name == "lighttpd":
        conf = os.path.join(tmp, "lighttpd.conf")
        user = ('server.username = "nobody"\nserver.groupname = "nogroup"\n' if IS_ROOT else "")
        text = f"""server.document-root = "{data}"
server.bind = "127.0.0.1"
server.port = {port}
server.modules = ("mod_indexfile", "mod_staticfile")
index-file.names = ("index.html")
server.network-backend = "sendfile"
server.max-keep-alive-requests = 1000
server.max-keep-alive-idle = 15
server.max-connections = 1024
server.max-fds = 2048
server.max-worker = 0
mimetype.assign = (".html" => "text/html", ".css" => "text/css", ".js" => "text/javascript", "" => "application/octet-stream")
{user}"""
        with open(conf, "w") as f:
            f.write(text)
        CONFIG_TEXT[name] = text
        return [binaries["lighttpd"], "-D", "-f", conf]
    if name == "nginx":
        prefix = os.path.join(tmp, "nginx")
        os.makedirs(prefix, exist_ok=True)
        conf = os.path.join(prefix, "nginx.conf")
        user = "user nobody nogroup;\n" if IS_ROOT else ""
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
        listen 127.0.0.1:{port};
        root {data};
        index index.html;
    }}
}}
"""
        with open(conf, "w") as f:
            f.write(text)
        CONFIG_TEXT[name] = text
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
         "tiny_http": os.path.join(REPO, "target/release/examples/tiny_http_baseline")}
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
