"""One server, one round: pick a port, start it (retrying when the port was taken
meanwhile: start_server, which logins.py and proxy.py use too), take the idle and
held-connection readings, run the three wrk loads, stop it. Returns the raw results;
report.derive turns them into the round's numbers."""
import socket
import time

from . import http
from .load import idle_connections, run_wrk, wrk_runs
from .process import Server
from .util import log


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(name, argv_for, tmp, pin, cg_base, probe="/index.html", get=http.get):
    """Starts the server `name` on a free port, pinned to CPU `pin`: (Server, port, None)
    once it answers `GET probe` (asked with `get`: plain HTTP, or tls.get) with a 200,
    or (stopped Server, None, why) if it did not start."""
    err = None
    srv = None
    for attempt in range(3):  # a port picked free may be taken by someone else meanwhile
        port = free_port()
        srv = Server(name, argv_for(name, port), tmp, cg_base)
        err = srv.start(port, pin, probe, get)
        if err is None:
            return srv, port, None
        srv.stop()
        if not err.startswith("exited"):  # alive but not answering: no port race, no retry
            break
    return srv, None, err


def measure(name, argv_for, tmp, args, pins, wrk, cg_base):
    """Start one server, measure everything once, stop it. Returns (dict, error, argv)."""
    srv_pin, wrk_pin = pins
    res = {}
    srv, port, err = start_server(name, argv_for, tmp, srv_pin, cg_base)
    if err is not None:
        return None, f"did not start: {err}", srv.cmd
    try:
        res["cgroup"] = srv.cg is not None
        time.sleep(0.3)
        res["idle_rss"], res["idle_threads"], res["idle_procs"] = srv.rss_and_tasks()
        held = idle_connections(port, srv, args.idle_conns)
        res.update({"held_" + k: v for k, v in held.items()})
        time.sleep(1.0)
        base = f"http://127.0.0.1:{port}"
        d = f"-d{args.duration}s"
        pre = ["taskset", "-c", wrk_pin] if wrk_pin is not None else []
        errors = []
        for key, cmd in wrk_runs(wrk, base, d).items():
            r = run_wrk(pre + cmd, srv, key)
            res[key] = r
            if r["error"]:
                errors.append(f"wrk {key}: {r['error']}")
                log(f"{name}: wrk {key}: {r['error']}\n{r['raw']}")
            time.sleep(0.5)
        if srv.proc.poll() is not None:
            errors.append(f"exited during the run with status {srv.proc.returncode}: "
                          f"{srv.output_tail()}")
        return res, "; ".join(errors) or None, srv.cmd
    finally:
        srv.stop()
