"""The web root every server serves: a 2 KiB index.html, a 1 KiB style.css, a 100 KiB
app.js and a 50 MiB big.bin of pseudo-random bytes, all world-readable; the small one
of the logins measurement (index.html and admin/index.html), and the proxy
measurement's (index.html alone)."""
import os
import tempfile

BIG_SIZE = 50 * 1024 * 1024


def make_data():
    d = tempfile.mkdtemp(prefix="warden-bench-")
    os.chmod(d, 0o755)  # warden started as root serves it as uid 65534 (and nginx etc. as nobody)
    files = {
        "index.html": html(2048),
        "style.css": filler(b"body { margin: 0; padding: 0; color: #222; }\n", 1024),
        "app.js": filler(b"function f(a, b) { return a + b * 2; } // app\n", 100 * 1024),
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    # 50 MiB of pseudo-random bytes (not sparse, not compressible).
    with open(os.path.join(d, "big.bin"), "wb") as f:
        block = os.urandom(1 << 20)
        for i in range(BIG_SIZE >> 20):
            f.write(block[i:] + block[:i])
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o644)
    return d


def filler(line, size):
    return (line * (size // len(line) + 1))[:size]


def html(size):
    head = b"<!DOCTYPE html>\n<html><head><title>bench</title>" \
           b"<link rel=stylesheet href=style.css></head><body>\n"
    tail = b"</body></html>\n"
    body = filler(b"<p>router status: all interfaces up</p>\n", size - len(head) - len(tail))
    return head + body + tail


def make_login_root():
    """index.html (the static file fetched) and admin/index.html (behind the login),
    world-readable like make_data's: warden started as root reads them as uid 65534."""
    d = tempfile.mkdtemp(prefix="warden-bench-logins-")
    os.chmod(d, 0o755)
    os.mkdir(os.path.join(d, "admin"), 0o755)
    os.chmod(os.path.join(d, "admin"), 0o755)  # whatever the umask
    for name, data in (("index.html", html(2048)), ("admin/index.html", html(1024))):
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o644)
    return d


def make_proxy_root():
    """index.html alone, world-readable: what the proxy measurement's front ends serve
    themselves (their start-up probe); everything measured goes to the backend."""
    d = tempfile.mkdtemp(prefix="warden-bench-proxy-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "index.html")
    with open(path, "wb") as f:
        f.write(html(2048))
    os.chmod(path, 0o644)
    return d
