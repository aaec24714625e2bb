"""The load put on a server and what it reads back: the three wrk runs (small file
kept alive, small file with `Connection: close`, the 50 MiB file) parsed into numbers
with the server's CPU time around each, and N connections held open with half a
request line while RSS, tasks and a fresh GET are measured."""
import re
import resource
import socket
import subprocess
import time

from . import http

UNITS_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
UNITS_B = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


CONNS = 50  # wrk -c of the small-file runs (the HTTPS rows' too: tls.CONNS)
BIG_CONNS = 4  # wrk -c of the 50 MiB run


def wrk_runs(wrk, base, d):
    return {
        "ka": [wrk, "-t1", f"-c{CONNS}", d, "--latency", f"{base}/index.html"],
        "close": [wrk, "-t1", f"-c{CONNS}", d, "-H", "Connection: close", f"{base}/index.html"],
        "big": [wrk, "-t1", f"-c{BIG_CONNS}", d, f"{base}/big.bin"],
    }


def parse_wrk(out):
    """wrk 4 output -> dict. wrk's KB/MB/GB are powers of 1024."""
    r = {}
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"Transfer/sec:\s*([\d.]+)([KMGT]?B)", out)
    if m:
        r["bps"] = float(m.group(1)) * UNITS_B[m.group(2)]
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)([KMGT]?B) read", out)
    if m:
        r["requests"] = int(m.group(1))
        r["elapsed"] = float(m.group(2)) * UNITS_S[m.group(3)]
        r["bytes"] = float(m.group(4)) * UNITS_B[m.group(5)]
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)
    if m:
        r["p99"] = float(m.group(1)) * UNITS_S[m.group(2)]
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["sock_errors"] = tuple(int(x) for x in m.groups()) if m else (0, 0, 0, 0)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    return r


def run_wrk(wrk_cmd, srv, mode):
    """One wrk run against srv; its numbers, the server's CPU seconds during it, and
    r["error"]: None, or why the run counts as failed."""
    cpu0 = srv.cpu_seconds()
    p = subprocess.run(wrk_cmd, capture_output=True, text=True)
    cpu1 = srv.cpu_seconds()
    r = parse_wrk(p.stdout)
    r["cpu"] = cpu1 - cpu0
    r["raw"] = p.stdout + p.stderr
    problems = []
    if p.returncode != 0:
        problems.append(f"wrk exited {p.returncode}")
    if "rps" not in r or "requests" not in r:
        problems.append("wrk output not understood")
    elif r["requests"] == 0:
        problems.append("no request completed")
    else:
        if r["non2xx"]:
            problems.append(f"{r['non2xx']} non-2xx responses")
        c, rd, w, t = r["sock_errors"]
        if mode == "close" and rd:
            # A server that closes after the response without saying `Connection: close`
            # (RFC 9112 9.6: SHOULD) makes wrk count a read error per request; the
            # responses were complete, so it is reported, not failed.
            r["note"] = ("closes a `Connection: close` exchange without that header in its "
                         "response, so wrk counts a read error per request (responses complete)")
            rd = 0
        # Anything beyond 1% of the requests is a failed run.
        if c + rd + w + t > max(10, r["requests"] // 100):
            problems.append(f"socket errors: connect {c}, read {rd}, write {w}, timeout {t}")
    r["error"] = "; ".join(problems) or None
    return r


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def idle_connections(port, srv, n):
    """Hold n connections that each sent half a request line; measure, then close them."""
    conns = []
    try:
        for _ in range(n):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(b"GET /index.html HTT")
            conns.append(c)
        opened = len(conns)
    except OSError as e:
        opened = f"{len(conns)} ({type(e).__name__})"
    time.sleep(1.0)
    rss, threads, procs = srv.rss_and_tasks()
    status, secs = http.get(port, timeout=5.0)
    for c in conns:
        c.close()
    return {"rss": rss, "threads": threads, "procs": procs, "answer_status": status,
            "answer_ms": secs * 1000, "opened": opened}
