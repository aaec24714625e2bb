"""The reverse proxies side by side (`benches/run --proxy`; full and smoke runs too):
warden (`--proxy /api=BACKEND`), nginx (`proxy_pass`) and lighttpd (`mod_proxy`) in
front of one backend, their configurations otherwise the static runs' (servers.py).

The backend is `benches/proxy_backend.rs` (the example `proxy_backend`, Rust std only:
pooled threads, each serving one connection at a time): `GET /api/status` answers a
fixed 200-byte JSON body with Content-Length, keep-alive unless `Connection: close`;
`GET /api/slow` the same after Plan.hold seconds; `GET /api/held` how many slow ones
are asleep at that moment. All three front ends send it HTTP/1.1 with `Connection:
close`: a new backend connection per request (warden has no pool, and nginx is given
none: no `upstream { keepalive }`).

Each round starts the backend, then:

1. backend direct: wrk straight at the backend's /api/status, the same command as
   below (context: what the backend and the client do without a proxy between);
2. each front end in turn, on its own port: one `GET /api/status` through it must give
   the backend's body; its RSS 0.3 s after that; `wrk -t1 -c50 -dD --latency` at
   /api/status through it: requests/s, p99, its CPU time and the backend's per 100,000
   requests; then Plan.held clients, each on a connection of its own, send `GET
   /api/slow`; once the backend's held count has stopped changing for 0.2 s, the front
   end's RSS is read (and the count kept); then every response is read and its status
   counted. warden passes on at most MAX_PROXIED at once and answers the rest 503 with
   Retry-After at once (its bounded-memory design); nginx and lighttpd pass on all.

The front end is pinned to the first CPU and wrk to the second, as in the static runs;
the backend to a third CPU when there is one, else to wrk's (never to the front end's).
Each process runs in a cgroup of its own where possible (process.py), so its CPU time
includes every process it forked.
"""
import collections
import os
import re
import shlex
import shutil
import socket
import time

from . import http
from .data import make_proxy_root
from .load import raise_nofile, run_wrk
from .measure import start_server
from .servers import CONFIG_TEXT, PROXY_PREFIX, config_key, server_argv
from .util import log

MAX_PROXIED = 64  # src/limits.rs: warden's proxied requests in flight (build-time); more: 503
BACKEND = "proxy_backend"  # the Server's name: its log file and cgroup
STATUS_PATH = PROXY_PREFIX + "/status"
SLOW_PATH = PROXY_PREFIX + "/slow"
HELD_PATH = PROXY_PREFIX + "/held"
CONNS = 50  # wrk -c, as the static runs' keep-alive run
STEADY = 0.2  # seconds the backend's held count must stay put before RSS is read


class Plan(collections.namedtuple("Plan", "rounds duration held hold")):
    """Rounds; seconds of each wrk run; the clients sent to /api/slow; the seconds the
    backend holds each of them."""


FULL = Plan(rounds=3, duration=5, held=200, hold=2.0)  # full runs, --proxy
QUICK = Plan(rounds=1, duration=1, held=100, hold=1.0)  # --smoke: 100 still pass warden's 64


class Failed(Exception):
    """One front end's measurement in one round failed (the message says how)."""


def wrk_cmd(wrk, base, duration):
    return [wrk, "-t1", f"-c{CONNS}", f"-d{duration}s", "--latency", f"{base}{STATUS_PATH}"]


def cpu_placement(pins):
    """(front end CPU, client CPU, backend CPU) as strings, or None each when unpinned."""
    front, client = pins
    if front is None:
        return None, None, None
    cpus = sorted(os.sched_getaffinity(0))
    return front, client, str(cpus[2]) if len(cpus) >= 3 else client


def fetch(port, path, timeout=5.0):
    """One GET with `Connection: close`: the Response, or Failed."""
    try:
        conn = http.Connection(socket.create_connection(("127.0.0.1", port), timeout=timeout))
    except OSError as e:
        raise Failed(f"GET {path}: connect: {e}")
    try:
        conn.send(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  "Connection: close\r\n\r\n".encode())
        return conn.read_response(accept=http.HTTP1X)
    except (http.NoResponse, ValueError, KeyError) as e:
        raise Failed(f"GET {path}: {e}")
    finally:
        conn.close()


def backend_held(bport):
    """How many /api/slow requests the backend holds now (-1 if it did not say)."""
    try:
        r = fetch(bport, HELD_PATH)
        return int(r.body.decode().split(":")[1].strip(" }")) if r.status == 200 else -1
    except (Failed, ValueError, IndexError):
        return -1


def wrk_numbers(w, srv_cpu_key):
    """{"rps", "p99_ms", srv_cpu_key: CPU s per 100k requests} of a wrk run that worked."""
    return {"rps": w["rps"], "p99_ms": w["p99"] * 1000 if "p99" in w else None,
            srv_cpu_key: w["cpu"] / w["requests"] * 1e5}


def held_requests(port, bport, srv, plan):
    """plan.held clients each send GET /api/slow through the front end; RSS once the
    backend's held count is steady; then every status. Also ("sent" s): from the last
    send to the RSS reading, which must come before the backend answers."""
    req = f"GET {SLOW_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    conns, why = [], None
    try:
        for _ in range(plan.held):
            try:
                conn = http.Connection(socket.create_connection(("127.0.0.1", port),
                                                                timeout=plan.hold + 10))
                conns.append(conn)
                conn.send(req)
            except (OSError, http.NoResponse) as e:
                why = f"client {len(conns)}: {e}"
                break
        sent = time.monotonic()
        last, since = None, sent
        while time.monotonic() - sent < plan.hold * 0.6:
            held = backend_held(bport)
            now = time.monotonic()
            if held != last:
                last, since = held, now
            elif held > 0 and now - since >= STEADY:
                break
            time.sleep(0.05)
        rss = srv.rss_and_tasks()[0]
        read_at = time.monotonic() - sent
        at_backend = backend_held(bport)
        statuses = collections.Counter()
        retry_after = 0
        for conn in conns:
            try:
                r = conn.read_response(accept=http.HTTP1X)
                statuses[r.status] += 1
                if r.status == 503 and r.h("retry-after") is not None:
                    retry_after += 1
            except (http.NoResponse, ValueError, KeyError) as e:
                statuses[getattr(e, "reason", "bad response")] += 1
    finally:
        for conn in conns:
            conn.close()
    other = {k: v for k, v in statuses.items() if k not in (200, 503)}
    return {"held_rss": rss, "read_at": read_at, "at_backend": at_backend,
            "ok": statuses[200], "refused": statuses[503], "retry_after": retry_after,
            "other": sum(other.values()), "other_what": other, "unsent": why}


def measure_front(name, bport, body, binaries, root, tmp, wrk, place, cg_base, plan, backend):
    """One front end, one round: (numbers, problem or None, argv)."""
    front_pin, client_pin, _ = place
    srv, port, err = start_server(
        name, lambda n, p: server_argv(n, p, root, tmp, binaries, backend=bport),
        tmp, front_pin, cg_base)
    if err is not None:
        return None, f"did not start: {err}", (srv.cmd, None)
    out = {"cgroup": srv.cg is not None}
    problems = []
    try:
        r = fetch(port, STATUS_PATH)
        if r.status != 200 or r.body != body:
            raise Failed(f"GET {STATUS_PATH} through it: {r.status}, {len(r.body)} bytes, "
                         f"not the backend's 200 with its {len(body)}")
        time.sleep(0.3)
        out["idle_rss"] = srv.rss_and_tasks()[0]
        pre = ["taskset", "-c", client_pin] if client_pin is not None else []
        b0 = backend.cpu_seconds()
        w = run_wrk(pre + wrk_cmd(wrk, f"http://127.0.0.1:{port}", plan.duration), srv, "ka")
        b1 = backend.cpu_seconds()
        if w["error"]:
            problems.append(f"wrk: {w['error']}")
            log(f"proxy: {name}: wrk: {w['error']}\n{w['raw']}")
        else:
            out.update(wrk_numbers(w, "cpu_per_100k"))
            out["backend_cpu_per_100k"] = (b1 - b0) / w["requests"] * 1e5
        time.sleep(0.5)
        out.update(held_requests(port, bport, srv, plan))
        if out["unsent"]:
            problems.append(f"held requests: {out['unsent']}")
        if out["other"]:
            problems.append(f"held requests: {out['other']} of {plan.held} not answered 200 or "
                            f"503: {dict(out['other_what'])}")
        if out["read_at"] >= plan.hold:
            problems.append(f"RSS read {out['read_at']:.2f} s after the last send, not within "
                            f"the backend's {plan.hold:.1f} s hold")
        if srv.proc.poll() is not None:
            problems.append(f"exited during the run with status {srv.proc.returncode}: "
                            f"{srv.output_tail()}")
    except Failed as e:
        problems.append(str(e))
    finally:
        srv.stop()
    return out, "; ".join(problems) or None, (srv.cmd, port)


def masked(text, ports):
    """text with the run's port numbers as names ({port: name})."""
    for port, label in ports.items():
        text = re.sub(rf"\b{port}\b", label, text)
    return text


def run(binaries, wrk, fronts, tmp, pins, cg_base, plan=FULL, skipped=None):
    """Every round: the backend, direct and behind each front end in `fronts` (a subset of
    servers.PROXY_FRONTS, in order). {"plan", "place", "fronts", "rounds": {name:
    [numbers]}, "direct": [numbers], "failures", "notes", "commands", "configs"}.
    skipped: {front end: why} for those not run (noted)."""
    place = cpu_placement(pins)
    res = {"plan": plan, "place": place, "fronts": list(fronts),
           "rounds": {n: [] for n in fronts}, "direct": [], "failures": [],
           "notes": [f"{n}: skipped: {why}" for n, why in (skipped or {}).items()],
           "commands": {}, "configs": {}}
    raise_nofile(4 * plan.held + 256)
    root = make_proxy_root()
    try:
        for rnd in range(1, plan.rounds + 1):
            log(f"proxy round {rnd}/{plan.rounds}: {BACKEND}")
            backend, bport, err = start_server(
                BACKEND, lambda n, p: [binaries[BACKEND], f"127.0.0.1:{p}",
                                       str(round(plan.hold * 1000))],
                tmp, place[2], cg_base, probe=STATUS_PATH)
            if err is not None:
                res["failures"].append(f"round {rnd}: {BACKEND} did not start: {err}")
                log(f"proxy: {BACKEND}: did not start: {err}")
                continue
            try:
                res["commands"][BACKEND] = masked(shlex.join(backend.cmd), {bport: "BACKEND_PORT"})
                body = fetch(bport, STATUS_PATH).body
                pre = ["taskset", "-c", place[1]] if place[1] is not None else []
                w = run_wrk(pre + wrk_cmd(wrk, f"http://127.0.0.1:{bport}", plan.duration),
                            backend, "ka")
                if w["error"]:
                    res["failures"].append(f"round {rnd}: {BACKEND} direct: wrk: {w['error']}")
                    log(f"proxy: {BACKEND} direct: wrk: {w['error']}\n{w['raw']}")
                else:
                    res["direct"].append(wrk_numbers(w, "backend_cpu_per_100k"))
                time.sleep(0.5)
                for name in fronts:
                    log(f"proxy round {rnd}/{plan.rounds}: {name} → {BACKEND}")
                    out, err, (cmd, port) = measure_front(
                        name, bport, body, binaries, root, tmp, wrk, place, cg_base, plan,
                        backend)
                    ports = {bport: "BACKEND_PORT", **({port: "PORT"} if port else {})}
                    res["commands"][name] = masked(shlex.join(cmd), ports)
                    conf = CONFIG_TEXT.get(config_key(name, bport))
                    if conf:
                        res["configs"][name] = masked(conf, ports)
                    if err:
                        res["failures"].append(f"round {rnd}: {name}: {err}")
                        log(f"proxy: {name}: FAILED: {err}")
                    if out is not None:
                        res["rounds"][name].append(out)
            except Failed as e:
                res["failures"].append(f"round {rnd}: {BACKEND}: {e}")
            finally:
                backend.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return res
