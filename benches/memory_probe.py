#!/usr/bin/env python3
"""RSS of a running warden: idle, with N connections holding partial heads, and
after each of them got one response (keep-alive, idle). Loopback only.

Usage: benches/memory_probe.py [--conns N] [--binary PATH] [-- extra warden flags]

The first response is read with the harness's one HTTP/1.1 reader
(benches/wardenbench/http.py).
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardenbench import http  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=500)
    ap.add_argument("--binary", default="target/release/warden")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="warden-probe-")
    # mkdtemp makes it 0700: run as root, warden (uid 65534 after the drop)
    # could not read it and every response would be a 404, not the 200 measured.
    os.chmod(root, 0o755)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<h1>probe</h1>\n")
    os.chmod(os.path.join(root, "index.html"), 0o644)
    # The connections below say `Host: router.lan`, the device's name here.
    p = subprocess.Popen([a.binary, "--root", root, "--listen", "127.0.0.1:0", "--quiet",
                          "--allow-host", "router.lan"] + a.extra,
                         stderr=subprocess.PIPE, text=True)
    try:
        addr = None
        for line in p.stderr:
            if "listening on http://" in line:
                host, port = line.strip().rsplit("http://", 1)[1].rsplit(":", 1)
                addr = (host, int(port))
                break
        if addr is None:
            sys.exit("warden did not start")
        # One whole response, read as every harness reads them.
        status, _ = http.get(addr[1], "/", timeout=10.0, host=addr[0])
        if status != 200:
            sys.exit(f"warden did not answer GET / with 200: {status}")
        time.sleep(0.3)
        idle = rss_kib(p.pid)
        conns = []
        for _ in range(a.conns):
            c = socket.create_connection(addr)
            c.sendall(b"GET /index.html HTTP/1.1\r\nHost: router.lan\r\nUser-Agent: Mozilla/5.0\r\n")
            conns.append(c)
        time.sleep(1.0)
        partial = rss_kib(p.pid)
        nthreads = threads(p.pid)
        for c in conns:
            c.sendall(b"\r\n")
        time.sleep(1.0)
        # Each got its 200 and stays open (keep-alive), as this line measures.
        for c in conns[:3]:
            c.settimeout(5.0)
            head = c.recv(12)
            if not head.startswith(b"HTTP/1.1 200"):
                sys.exit(f"an answered connection got {head!r}, not a 200")
        answered = rss_kib(p.pid)
        print(f"idle RSS: {idle} KiB")
        print(f"{a.conns} partial heads: {partial} KiB (+{partial - idle} KiB), threads: {nthreads}")
        print(f"{a.conns} answered keep-alive connections: {answered} KiB (+{answered - idle} KiB)")
        for c in conns:
            c.close()
    finally:
        p.terminate()
        p.wait(timeout=15)
        for name in os.listdir(root):
            os.unlink(os.path.join(root, name))
        os.rmdir(root)


if __name__ == "__main__":
    main()
