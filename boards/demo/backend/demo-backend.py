#!/usr/bin/env python3
"""The demo's backend: an example of the vendor daemon warden forwards /api/ to.

warden never runs programs and drops every privilege at start, so the work that
needs the device's powers (reading its state, changing settings, writing a
firmware image) lives in a daemon like this one, listening on loopback only;
warden faces the LAN in front of it with its Host guard, logins, throttling,
CSRF rule and limits (`--proxy /api=127.0.0.1:9000`). This one keeps settings in
memory and stores nothing: a stand-in for a real device's daemon.

    python3 boards/demo/backend/demo-backend.py --listen 127.0.0.1:9000

API (JSON; see boards/demo/backend/README.md):
  GET  /api/status    uptime, load and memory from /proc, the hostname, the user
                      warden let through (X-Remote-User)
  GET  /api/settings  the current settings
  POST /api/settings  a JSON object of settings: validated, kept in memory
  POST /api/firmware  the image as the body: read in 64 KiB pieces, answered with
                      its size and SHA-256, stored nowhere
Python 3 standard library only.
"""
import argparse
import hashlib
import ipaddress
import json
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SETTINGS_BODY = 16 * 1024
PIECE = 64 * 1024

SETTINGS = {
    "hostname": "warden-demo",
    "lan_ip": "192.168.1.1",
    "netmask": "255.255.255.0",
    "dhcp_start": "192.168.1.100",
    "dhcp_end": "192.168.1.199",
    "ssid": "Warden-Demo",
    "channel": "6",
}
CHANNELS = {"auto", "1", "6", "11", "36", "40", "44", "48"}
LOCK = threading.Lock()
SAVED = 0

LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def ipv4(value, name):
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    try:
        return ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"{name} is not an IPv4 address") from None


def validate(new):
    """The settings after applying `new` (a dict), or ValueError naming the problem."""
    if not isinstance(new, dict):
        raise ValueError("want a JSON object")
    unknown = sorted(set(new) - set(SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]}")
    s = dict(SETTINGS)
    s.update(new)
    host = s["hostname"]
    if not isinstance(host, str) or len(host) > 253 or not all(LABEL.match(label) for label in host.split(".")):
        raise ValueError("hostname: letters, digits and '-', labels of 1 to 63")
    ip = ipv4(s["lan_ip"], "lan_ip")
    mask = ipv4(s["netmask"], "netmask")
    try:
        net = ipaddress.IPv4Network(f"{ip}/{mask}", strict=False)
    except ValueError:
        raise ValueError("netmask is not a contiguous mask") from None
    if net.prefixlen > 30 or ip in (net.network_address, net.broadcast_address):
        raise ValueError("lan_ip is the network or broadcast address")
    start, end = ipv4(s["dhcp_start"], "dhcp_start"), ipv4(s["dhcp_end"], "dhcp_end")
    for name, a in (("dhcp_start", start), ("dhcp_end", end)):
        if a not in net or a in (net.network_address, net.broadcast_address):
            raise ValueError(f"{name} must be inside the LAN subnet")
    if end < start:
        raise ValueError("dhcp_end is below dhcp_start")
    if start <= ip <= end:
        raise ValueError("the DHCP range includes the LAN address")
    ssid = s["ssid"]
    if not isinstance(ssid, str) or not 1 <= len(ssid.encode()) <= 32:
        raise ValueError("ssid must be 1 to 32 bytes")
    if s["channel"] not in CHANNELS:
        raise ValueError("channel: auto, 1, 6, 11, 36, 40, 44 or 48")
    return s


def read_proc():
    with open("/proc/uptime") as f:
        uptime = int(float(f.read().split()[0]))
    with open("/proc/loadavg") as f:
        load = [float(x) for x in f.read().split()[:3]]
    mem = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            mem[key] = int(value.split()[0])
    return uptime, load, mem.get("MemTotal", 0), mem.get("MemAvailable", 0)


class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo-backend"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("demo-backend: %s %s\n" % (self.address_string(), fmt % args))

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def length(self, limit):
        """The body's length, or None after answering why it cannot be read."""
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            self.reply(411, {"error": "send a Content-Length"})
            return None
        value = self.headers.get("Content-Length")
        if value is None or not value.isdigit():
            self.close_connection = True
            self.reply(411, {"error": "send a Content-Length"})
            return None
        n = int(value)
        if limit is not None and n > limit:
            self.close_connection = True
            self.reply(413, {"error": f"at most {limit} bytes"})
            return None
        return n

    def do_GET(self):
        global SAVED
        if self.path == "/api/status":
            uptime, load, total, avail = read_proc()
            with LOCK:
                saved = SAVED
            self.reply(200, {
                "hostname": SETTINGS["hostname"],
                "uptime_s": uptime,
                "load": load,
                "mem_total_kib": total,
                "mem_available_kib": avail,
                "user": self.headers.get("X-Remote-User"),
                "settings_saved": saved,
            })
        elif self.path == "/api/settings":
            with LOCK:
                self.reply(200, dict(SETTINGS))
        elif self.path.split("?")[0] in ("/api/firmware",):
            self.reply(405, {"error": "POST the image"})
        else:
            self.reply(404, {"error": "no such endpoint"})

    do_HEAD = do_GET

    def do_POST(self):
        global SAVED
        if self.path == "/api/settings":
            if self.headers.get_content_type() != "application/json":
                n = self.length(MAX_SETTINGS_BODY)
                if n is not None:
                    self.rfile.read(n)
                    self.reply(415, {"error": "send application/json"})
                return
            n = self.length(MAX_SETTINGS_BODY)
            if n is None:
                return
            raw = self.rfile.read(n)
            try:
                new = json.loads(raw.decode("utf-8"))
                with LOCK:
                    settings = validate(new)
                    SETTINGS.update(settings)
                    SAVED += 1
                    current = dict(SETTINGS)
            except (UnicodeDecodeError, json.JSONDecodeError):
                self.reply(400, {"error": "not JSON"})
                return
            except (ValueError, TypeError) as e:
                self.reply(400, {"error": str(e)})
                return
            self.reply(200, current)
        elif self.path == "/api/firmware":
            n = self.length(None)
            if n is None:
                return
            digest = hashlib.sha256()
            left = n
            while left:
                piece = self.rfile.read(min(PIECE, left))
                if not piece:
                    self.close_connection = True
                    return
                digest.update(piece)
                left -= len(piece)
            self.reply(200, {"size": n, "sha256": digest.hexdigest()})
        else:
            n = self.length(MAX_SETTINGS_BODY)
            if n is not None:
                self.rfile.read(n)
                self.reply(404 if not self.path.startswith("/api/status") else 405, {"error": "no such endpoint"})

    def do_other(self):
        self.close_connection = True
        self.reply(405, {"error": "method not allowed"})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_other


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1:9000", help="HOST:PORT (default 127.0.0.1:9000)")
    p.add_argument("--allow-remote", action="store_true", help="listen on a non-loopback address")
    a = p.parse_args()
    host, _, port = a.listen.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback and not a.allow_remote:
        p.error(f"{host} is not a loopback address (warden faces the network, not this)")
    ThreadingHTTPServer.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = ThreadingHTTPServer((host, int(port)), Api)
    server.daemon_threads = True
    print(f"demo-backend: listening on {a.listen}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
