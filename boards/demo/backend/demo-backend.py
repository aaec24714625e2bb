#!/usr/bin/env python3
"""The demo's backend: the example of the vendor daemon warden forwards /api/ to.

The split is the point. warden faces the LAN and stays unprivileged: it drops
every privilege at start, runs no programs, and in front of the API it applies
its Host guard, logins, throttling, CSRF rule and body limits. The privileged
work (reading the device's state, changing its settings, writing a firmware
image) lives in a daemon like this one, which listens on loopback only and is
reached solely through warden:

    python3 boards/demo/backend/demo-backend.py --listen 127.0.0.1:9000
    warden ... --protect /api --proxy /api=127.0.0.1:9000 \
        --proxy-max-body /api/firmware=64M

This one is a stand-in: it keeps the settings in memory and stores nothing.

API (JSON answers, see README.md next to this file):
  GET  /api/status    hostname, uptime, load and memory (/proc), the user warden
                      let through (X-Remote-User, trusted because only warden
                      can reach a loopback port), how often settings were saved
  GET  /api/settings  the current settings
  POST /api/settings  application/json object with any of the settings' keys:
                      validated together, kept in memory, answered with the new
                      settings; 400 {"error": ...} when invalid
  POST /api/firmware  application/octet-stream body, read in 64 KiB pieces and
                      hashed (never held whole in memory): {"size", "sha256"}
Anything else under /api is 404, a wrong method 405 (JSON both). Bodies need a
Content-Length (411 without; chunked is not accepted). One log line per request
goes to stderr. Python 3.11 standard library only.
"""
import argparse
import copy
import hashlib
import ipaddress
import json
import re
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PIECE = 64 * 1024                  # firmware bodies are read in pieces this big
MAX_SETTINGS_BODY = 16 * 1024      # a settings body above this is 413
MAX_DISCARD = 64 * 1024            # an unread body up to this is drained, else the connection closes
DEFAULT_MAX_FIRMWARE = 64 * 1024 * 1024
IDLE_TIMEOUT = 60                  # seconds a connection may stall (head or body)

SETTINGS = {
    "hostname": "warden-demo",
    "lan_ip": "192.168.1.1",
    "netmask": "255.255.255.0",
    "dhcp_enabled": True,
    "dhcp_start": 100,
    "dhcp_limit": 150,
}
STATE = {"settings": copy.deepcopy(SETTINGS), "saved": 0}
LOCK = threading.Lock()

LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
QUAD = re.compile(r"(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})", re.ASCII)
DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", re.ASCII)

ROUTES = {
    "/api/status": ("GET", "HEAD"),
    "/api/settings": ("GET", "HEAD", "POST"),
    "/api/firmware": ("POST",),
}


class Invalid(ValueError):
    """A request's settings are wrong; the message goes to the client."""


# ---------------------------------------------------------------- settings

def check_hostname(v):
    if not isinstance(v, str):
        raise Invalid("hostname must be a string")
    if not 1 <= len(v) <= 63:
        raise Invalid("hostname must be 1 to 63 characters")
    if not all(LABEL.fullmatch(label) for label in v.split(".")):
        raise Invalid("hostname: letters, digits and '-' in dot-separated labels, "
                      "no label starting or ending with '-'")
    return v


def quad(name, v):
    """An IPv4 dotted quad (four decimal octets, no leading zeros) as an int."""
    if not isinstance(v, str):
        raise Invalid(f"{name} must be a string")
    m = QUAD.fullmatch(v)
    if not m or any(int(o) > 255 for o in m.groups()):
        raise Invalid(f"{name} is not an IPv4 address (a.b.c.d)")
    n = 0
    for o in m.groups():
        n = n * 256 + int(o)
    return n


def check_int(name, v, lo, hi):
    # bool is an int in Python; JSON true is not a number here.
    if isinstance(v, bool) or not isinstance(v, int):
        raise Invalid(f"{name} must be an integer")
    if not lo <= v <= hi:
        raise Invalid(f"{name} must be from {lo} to {hi}")
    return v


def validate(new, current):
    """The settings after applying `new` to `current`, or Invalid naming the problem."""
    if not isinstance(new, dict):
        raise Invalid("want a JSON object of settings")
    unknown = sorted(k for k in new if k not in SETTINGS)
    if unknown:
        raise Invalid(f"unknown setting: {unknown[0][:64]!r}")
    s = dict(current)
    s.update(new)

    check_hostname(s["hostname"])
    ip = quad("lan_ip", s["lan_ip"])
    mask = quad("netmask", s["netmask"])
    host_bits = 0xFFFFFFFF ^ mask
    if host_bits & (host_bits + 1):
        raise Invalid("netmask is not contiguous (e.g. 255.255.255.0)")
    prefix = 32 - host_bits.bit_length()
    if not 8 <= prefix <= 30:
        raise Invalid("netmask must be from /8 (255.0.0.0) to /30 (255.255.255.252)")
    addr = ipaddress.IPv4Address(ip)
    if addr.is_loopback or addr.is_multicast or addr.is_reserved or addr.is_unspecified or ip >> 24 == 0:
        raise Invalid("lan_ip cannot be used for a LAN (loopback, multicast, reserved or 0.x)")
    if ip & host_bits in (0, host_bits):
        raise Invalid("lan_ip is the subnet's network or broadcast address")

    if not isinstance(s["dhcp_enabled"], bool):
        raise Invalid("dhcp_enabled must be true or false")
    # OpenWrt's meaning: the pool is `limit` addresses from network + `start`,
    # all of them host addresses of the LAN subnet.
    hosts = host_bits - 1
    start = check_int("dhcp_start", s["dhcp_start"], 1, hosts)
    check_int("dhcp_limit", s["dhcp_limit"], 1, hosts - start + 1)
    return s


def no_constants(name):
    raise Invalid(f"not JSON: {name} is not a number")


def unique_keys(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Invalid(f"duplicate key: {k[:64]!r}")
        obj[k] = v
    return obj


def parse_json(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("not JSON: the body is not UTF-8") from None
    try:
        return json.loads(text, parse_constant=no_constants, object_pairs_hook=unique_keys)
    except Invalid:
        raise
    except RecursionError:
        raise Invalid("not JSON: nested too deeply") from None
    except json.JSONDecodeError as e:
        raise Invalid(f"not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError:  # an integer beyond Python's digit limit
        raise Invalid("not JSON: a number is too long") from None


# ---------------------------------------------------------------- status

def read_status(user):
    with open("/proc/uptime", encoding="ascii") as f:
        uptime = int(float(f.read().split()[0]))
    with open("/proc/loadavg", encoding="ascii") as f:
        load = [float(x) for x in f.read().split()[:3]]
    mem = {}
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("MemTotal", "MemAvailable"):
                mem[key] = int(value.split()[0])
    with LOCK:
        saved = STATE["saved"]
    return {
        "hostname": socket.gethostname(),
        "uptime_s": uptime,
        "load": load,
        "mem_total_kib": mem.get("MemTotal", 0),
        "mem_available_kib": mem.get("MemAvailable", 0),
        "user": user,
        "settings_saved": saved,
    }


# ---------------------------------------------------------------- HTTP

def printable(text):
    """For the log: anything outside visible ASCII as \\xNN (no terminal escapes, one line)."""
    return "".join(c if "!" <= c <= "~" else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
                   for c in text)

class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo-backend"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    max_firmware = DEFAULT_MAX_FIRMWARE

    # One request per call; the stdlib's loop, with our own dispatch (any
    # method token, JSON errors) and one log line per request.
    def handle_one_request(self):
        self.t0 = time.monotonic()
        self.status = None
        self.sent = 0
        self.body_in = 0
        self.body_left = 0       # bytes of the request body not read yet
        self.expect = False      # client waits for 100 Continue
        self.continued = False
        self.command = None
        self.path = ""
        self.headers = None
        self.note = None
        self.linger = False
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536:
                self.requestline = ""
                self.request_version = "HTTP/1.1"
                self.send_error(414)
                return
            if not self.parse_request():
                return  # parse_request answered (400, 505, 431, ...)
            try:
                self.dispatch()
            except (TimeoutError, ConnectionError):
                raise
            except Exception as e:  # a bug: answer 500 (if nothing was sent yet) and close
                self.close_connection = True
                self.note = f"internal error: {e!r}"[:300]
                if self.status is None:
                    self.reply(500, {"error": "internal error"})
            self.wfile.flush()
        except (TimeoutError, ConnectionError) as e:
            self.close_connection = True
            self.note = f"connection lost: {type(e).__name__}"
        finally:
            if self.status is not None or self.note:
                self.log_line()
            if self.close_connection and self.body_left:
                self.linger = True

    def finish(self):
        super().finish()
        if self.linger:
            self.linger_close()

    def linger_close(self):
        # The client may still be sending a body we did not read: closing now
        # would reset the connection and could destroy our answer in flight.
        # Half-close, then read and drop what comes for a short while.
        try:
            self.request.shutdown(socket.SHUT_WR)
            end = time.monotonic() + 2
            self.request.settimeout(0.5)
            while time.monotonic() < end and self.request.recv(PIECE):
                pass
        except OSError:
            pass

    def handle_expect_100(self):
        # Sent only once the request passed every check and its body is wanted.
        self.expect = True
        return True

    def log_request(self, code="-", size="-"):
        pass  # logged once per request by log_line

    def log_message(self, fmt, *args):
        sys.stderr.write("demo-backend: %s %s\n" % (self.client_address[0], fmt % args))

    def log_line(self):
        ms = (time.monotonic() - self.t0) * 1000
        target = printable((self.path or "-")[:200])
        user = printable((self.headers.get("X-Remote-User", "-") if self.headers is not None else "-")[:64])
        extra = f" ({self.note})" if self.note else ""
        sys.stderr.write(
            f"demo-backend: {self.client_address[0]} {printable(self.command or '-')} {target} "
            f"{self.status or '-'} in={self.body_in} out={self.sent} user={user!s} {ms:.0f}ms{extra}\n")
        sys.stderr.flush()

    def send_error(self, code, message=None, explain=None):
        # The stdlib's errors (bad request line, headers too long/many, bad
        # version) as JSON with a Content-Length, closing the connection.
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # a status line, whatever the broken request was
        try:
            short = self.responses[code][0]
        except KeyError:
            short = "error"
        self.reply(code, {"error": (message or short)[:200]})

    def reply(self, status, obj, extra=()):
        self.discard_body()
        body = (json.dumps(obj) + "\n").encode()
        self.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
            self.sent = len(body)

    def discard_body(self):
        """Before answering: drain a small unread body so the connection can go on, or close it."""
        if self.body_left == 0 or self.close_connection:
            return
        if self.expect and not self.continued:
            self.close_connection = True  # the client may or may not send it: do not guess
        elif self.body_left <= MAX_DISCARD:
            self.read_body(self.body_left, lambda piece: None)
        else:
            self.close_connection = True

    def body_length(self):
        """The request body's length (0 for none), or None after answering why it is unreadable."""
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            self.linger = True
            if "Content-Length" in self.headers:
                self.reply(400, {"error": "both Transfer-Encoding and Content-Length"})
            else:
                self.reply(411, {"error": "send the body with a Content-Length (chunked is not accepted)"})
            return None
        values = self.headers.get_all("Content-Length") or []
        seen = {v.strip() for v in values}
        if not seen:
            return 0
        value = seen.pop()
        if seen or not value.isascii() or not value.isdigit():
            self.close_connection = True
            self.reply(400, {"error": "bad Content-Length"})
            return None
        if not DIGITS.fullmatch(value):  # more than 18 digits: bigger than anything accepted
            return 1 << 62
        return int(value)

    def need_body(self, limit):
        """The length of a body that must be present, or None after answering (411/413)."""
        n = self.body_length()
        if n is None:
            return None
        if "Content-Length" not in self.headers:
            self.close_connection = True
            self.reply(411, {"error": "send a Content-Length"})
            return None
        self.body_left = n
        if n > limit:
            # A body up to MAX_DISCARD is drained (the connection may go on),
            # a bigger one is not read: the connection closes (with a linger).
            self.reply(413, {"error": f"body too large: at most {limit} bytes"})
            return None
        return n

    def read_body(self, n, sink):
        """Reads n body bytes in pieces into sink; False if the client went away."""
        if self.expect and not self.continued:
            self.continued = True
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        buf = bytearray(min(PIECE, max(n, 1)))
        view = memoryview(buf)
        while n:
            got = self.rfile.readinto(view[:min(len(buf), n)])
            if not got:
                self.close_connection = True
                self.note = f"client closed with {n} body bytes unread"
                self.body_left = 0
                return False
            sink(view[:got])
            n -= got
            self.body_in += got
            self.body_left = n
        return True

    def media_type(self):
        """The Content-Type's media type, lower case, and its charset (or None)."""
        value = self.headers.get("Content-Type")
        if value is None:
            return None, None
        kind, _, params = value.partition(";")
        charset = None
        for p in params.split(";"):
            k, _, v = p.partition("=")
            if k.strip().lower() == "charset":
                charset = v.strip().strip('"').lower()
        return kind.strip().lower(), charset

    def dispatch(self):
        if not TOKEN.fullmatch(self.command):
            self.close_connection = True
            self.reply(400, {"error": "bad method"})
            return
        path = self.path.partition("?")[0]
        allowed = ROUTES.get(path)
        if allowed is None:
            n = self.body_length()
            if n is not None:
                self.body_left = n
                self.reply(404, {"error": "no such endpoint"})
            return
        if self.command not in allowed:
            n = self.body_length()
            if n is not None:
                self.body_left = n
                self.reply(405, {"error": f"method not allowed: use {', '.join(allowed)}"},
                           [("Allow", ", ".join(allowed))])
            return
        if self.command in ("GET", "HEAD"):
            n = self.body_length()
            if n is None:
                return
            self.body_left = n
            if path == "/api/status":
                self.get_status()
            else:
                with LOCK:
                    current = dict(STATE["settings"])
                self.reply(200, current)
        elif path == "/api/settings":
            self.post_settings()
        else:
            self.post_firmware()

    def get_status(self):
        try:
            user = self.headers.get("X-Remote-User")
            if user is not None:  # http.server decodes fields as Latin-1; the name is UTF-8
                user = user.encode("latin-1").decode("utf-8", "replace")
            st = read_status(user)
        except (OSError, ValueError, IndexError) as e:
            self.reply(500, {"error": f"cannot read the device's status: {type(e).__name__}"})
            return
        self.reply(200, st)

    def post_settings(self):
        n = self.need_body(MAX_SETTINGS_BODY)
        if n is None:
            return
        kind, charset = self.media_type()
        if kind != "application/json" or charset not in (None, "utf-8"):
            self.reply(415, {"error": "send Content-Type: application/json (UTF-8)"})
            return
        chunks = []
        if not self.read_body(n, lambda piece: chunks.append(bytes(piece))):
            return
        try:
            new = parse_json(b"".join(chunks))
            with LOCK:
                settings = validate(new, STATE["settings"])
                STATE["settings"] = settings
                STATE["saved"] += 1
                current = dict(settings)
        except Invalid as e:
            self.reply(400, {"error": str(e)})
            return
        self.reply(200, current)

    def post_firmware(self):
        n = self.need_body(self.max_firmware)
        if n is None:
            return
        kind, _ = self.media_type()
        if kind != "application/octet-stream":
            self.reply(415, {"error": "send the image as Content-Type: application/octet-stream"})
            return
        if n == 0:
            self.reply(400, {"error": "empty image"})
            return
        digest = hashlib.sha256()
        if not self.read_body(n, digest.update):
            return
        self.reply(200, {"size": n, "sha256": digest.hexdigest()})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # Never let a handler's bug take the process down; one line, not a page.
        sys.stderr.write(f"demo-backend: {client_address[0]} internal error: {sys.exc_info()[1]!r}\n")


def parse_listen(value):
    host, sep, port = value.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen {value!r}: want HOST:PORT, e.g. 127.0.0.1:9000 or [::1]:9000")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"--listen {value!r}: write an IPv6 address in brackets, [::1]:9000")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"--listen {value!r}: HOST must be an IP address") from None
    return addr, int(port)


def main():
    p = argparse.ArgumentParser(
        description="Demo backend for warden's /api/ proxy (loopback only by default).")
    p.add_argument("--listen", default="127.0.0.1:9000", metavar="HOST:PORT",
                   help="address to listen on (default 127.0.0.1:9000; [::1]:PORT for IPv6)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback address (the backend trusts X-Remote-User: "
                        "only warden should be able to reach it)")
    p.add_argument("--max-firmware", type=int, default=DEFAULT_MAX_FIRMWARE, metavar="BYTES",
                   help=f"largest firmware image accepted (default {DEFAULT_MAX_FIRMWARE})")
    a = p.parse_args()
    try:
        addr, port = parse_listen(a.listen)
    except ValueError as e:
        p.error(str(e))
    if not addr.is_loopback and not a.allow_remote:
        p.error(f"{addr} is not a loopback address: warden faces the network, this backend "
                "listens behind it (pass --allow-remote to override)")
    if a.max_firmware < 1:
        p.error("--max-firmware must be positive")
    Api.max_firmware = a.max_firmware
    Server.address_family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
    try:
        server = Server((str(addr), port), Api)
    except OSError as e:
        print(f"demo-backend: cannot listen on {a.listen}: {e.strerror or e}", file=sys.stderr)
        sys.exit(1)
    host, bound = server.server_address[:2]
    shown = f"[{host}]:{bound}" if addr.version == 6 else f"{host}:{bound}"
    print(f"demo-backend: listening on {shown}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
