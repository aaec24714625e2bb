"""What the run reports: each round's numbers from the raw results (derive), a cell
as median (min–max) [n failed], the main table and the ratios to warden (render), the
logins table (logins_section), the reverse proxies' tables (proxy_section), the HTTPS
tables (tls_section), and the whole markdown document: printed, and for a full run
written to benches/RESULTS.md (`--logins`, `--proxy` and `--tls` alone: logins_document,
proxy_document and tls_document, printed only)."""
import collections
import dataclasses
import datetime
import math
import os
import shlex
import statistics

from . import logins as lg
from . import proxy as px
from . import tls as tl
from .load import wrk_runs


def derive(res):
    """Per-round numbers for the table (None where a run failed)."""
    out = {}
    ka, close, big = res["ka"], res["close"], res["big"]

    def ok(r):
        return r.get("error") is None

    out["ka_rps"] = ka["rps"] if ok(ka) else None
    out["p99_ms"] = ka["p99"] * 1000 if ok(ka) and "p99" in ka else None
    out["close_rps"] = close["rps"] if ok(close) else None
    out["big_mibs"] = big["bps"] / (1 << 20) if ok(big) and "bps" in big else None
    out["cpu_per_gib"] = (big["cpu"] / (big["bytes"] / (1 << 30))
                          if ok(big) and big.get("bytes") else None)
    out["cpu_per_100k"] = (ka["cpu"] / ka["requests"] * 1e5
                           if ok(ka) and ka.get("requests") else None)
    out["idle_rss"] = res["idle_rss"]
    out["held_rss"] = res["held_rss"]
    out["tasks"] = (res["idle_threads"], res["idle_procs"], res["held_threads"], res["held_procs"])
    out["held_answer"] = (res["held_answer_ms"], res["held_answer_status"], res["held_opened"])
    out["notes"] = [r["note"] for r in (ka, close, big) if r.get("note")]
    out["cgroup"] = res["cgroup"]
    return out


def fmt_num(v, nd):
    return f"{round(v):,}" if nd == 0 else f"{v:,.{nd}f}"


def cell(values, nd):
    vals = [v for v in values if v is not None]
    if not vals:
        return "failed"
    s = fmt_num(statistics.median(vals), nd)
    if len(vals) > 1:
        s += f" ({fmt_num(min(vals), nd)}–{fmt_num(max(vals), nd)})"
    if len(vals) < len(values):
        s += f" [{len(values) - len(vals)} failed]"
    return s


def median_or_none(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


# key, header, decimals, ratio to warden wanted
COLUMNS = [
    ("ka_rps", "small KA req/s", 0, True),
    ("p99_ms", "KA p99 ms", 2, False),
    ("close_rps", "small close req/s", 0, True),
    ("big_mibs", "50 MiB MiB/s", 0, True),
    ("cpu_per_gib", "CPU s/GiB", 3, True),
    ("cpu_per_100k", "CPU s/100k req", 2, True),
    ("idle_rss", "idle RSS KiB", 0, True),
    ("held_rss", "RSS KiB, {n} held", 0, True),
]


def tasks_cell(values):
    med = [round(statistics.median(v[i] for v in values)) for i in range(4)]
    return f"{med[0]}/{med[1]} → {med[2]}/{med[3]}"


def answer_cell(values, n):
    ms = statistics.median(v[0] for v in values)
    statuses = sorted({str(v[1]) for v in values})
    s = f"{ms:,.1f} ms ({', '.join(statuses)})"
    if len(values) > 1:
        s = f"{ms:,.1f} ({min(v[0] for v in values):,.1f}–{max(v[0] for v in values):,.1f}) ms " \
            f"({', '.join(statuses)})"
    opened = {v[2] for v in values if v[2] != n}
    if opened:
        s += " [opened only " + ", ".join(str(o) for o in opened) + "]"
    return s


def big_file_lines(rounds_by_server, ceil):
    """warden's big-file median against the ceiling and against the best server."""
    med = {n: median_or_none([r["big_mibs"] for r in rs]) for n, rs in rounds_by_server.items()}
    med = {n: v for n, v in med.items() if v is not None}
    if "warden" not in med:
        return []
    best = max(med, key=med.get)
    w = med["warden"]
    return [f"Big file: warden {w:,.0f} MiB/s = {100 * w / ceil:.0f} % of the loopback ceiling; "
            f"the best server here ({best}) reached {med[best]:,.0f} MiB/s, and warden "
            f"{100 * w / med[best]:.0f} % of that.", ""]


def render(order, rounds_by_server, failures, sizes, n_idle, ceils):
    header = (["server"] + [c[1].format(n=n_idle) for c in COLUMNS]
              + [f"threads/procs idle → {n_idle} held", f"GET with {n_idle} held (status)",
                 "stripped size B"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    medians = {}
    for name in order:
        rounds = rounds_by_server.get(name, [])
        if not rounds:
            why = failures.get(name, "no data")
            lines.append(f"| {name} ({why}) | " + " | ".join(["–"] * (len(header) - 2))
                         + f" | {fmt_size(sizes.get(name))} |")
            continue
        row = [name]
        medians[name] = {}
        for key, _, nd, _ in COLUMNS:
            vals = [r[key] for r in rounds]
            row.append(cell(vals, nd))
            medians[name][key] = median_or_none(vals)
        row.append(tasks_cell([r["tasks"] for r in rounds]))
        row.append(answer_cell([r["held_answer"] for r in rounds], n_idle))
        row.append(fmt_size(sizes.get(name)))
        medians[name]["size"] = sizes.get(name)
        lines.append("| " + " | ".join(row) + " |")
    if ceils:
        c = ["–"] * (len(header) - 1)
        c[[k for k, *_ in COLUMNS].index("big_mibs")] = cell(ceils, 0)
        lines.append("| loopback sendfile ceiling | " + " | ".join(c) + " |")

    ratio_lines = []
    if "warden" in medians:
        w = medians["warden"]
        rcols = [(k, h.format(n=n_idle)) for k, h, _, want in COLUMNS if want]
        rcols.append(("size", "stripped size"))
        ratio_lines.append("| server | " + " | ".join(h for _, h in rcols) + " |")
        ratio_lines.append("|" + "---|" * (len(rcols) + 1))
        for name in order:
            if name not in medians:
                continue
            cells = []
            for k, _ in rcols:
                v, base = medians[name].get(k), w.get(k)
                cells.append(f"{v / base:.2f}×" if v is not None and base else "–")
            ratio_lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines), "\n".join(ratio_lines)


def fmt_size(v):
    return f"{v:,}" if v is not None else "–"


def machine_line():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    model = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    date = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"{date}; kernel {os.uname().release}; {model}, {os.cpu_count()} CPUs"


@dataclasses.dataclass
class Run:
    """Everything the document says about one run."""
    smoke: bool
    rounds: int
    duration: int
    idle_conns: int
    took: float  # seconds
    servers: list  # the order of the rows, skipped servers included
    run_servers: list  # those that were run
    rounds_by_server: dict  # name -> [derive() of each round]
    skipped: dict  # name -> why
    failures: dict  # name -> what failed
    sizes: dict  # name -> stripped size in bytes, or None
    ceils: list  # MiB/s per round (full runs)
    ceil_how: str
    armv7: int  # bytes, or None
    armv7_note: str
    pins: tuple  # (server CPU, wrk CPU), or (None, None)
    commands: dict  # name -> argv as started
    configs: dict  # name -> generated configuration file
    logins: dict = None  # logins.run's result, or None when not measured
    proxy: dict = None  # proxy.run's result, or None when not measured
    tls: dict = None  # tls.run's result, or None when not measured


def document(run):
    """The markdown text benches/run prints (and writes to RESULTS.md on a full run)."""
    table, ratios = render(run.servers, run.rounds_by_server, {**run.skipped, **run.failures},
                           run.sizes, run.idle_conns, run.ceils)
    out = [f"# warden benchmark{' (smoke run)' if run.smoke else ''}", "",
           machine_line(), "",
           f"{run.rounds} round(s), wrk runs of {run.duration} s, {run.idle_conns} held "
           f"connections; each cell is the median of the rounds (min–max). Took {run.took:.0f} s.",
           "", table, ""]
    if ratios:
        out += ["Relative to warden (this server's median / warden's median): above 1 is "
                "faster for req/s and MiB/s, and costlier for CPU, RSS and size.", "", ratios, ""]
    out += ["warden, static armv7 (`target/boards/openwrt-armv7/warden`, stripped): "
            + (f"{run.armv7:,} B" if run.armv7 is not None else "not built")
            + (f" ({run.armv7_note})" if run.armv7_note else ""), ""]
    if run.ceils:
        out += [f"Loopback sendfile ceiling: {cell(run.ceils, 0)} MiB/s ({run.ceil_how}, one "
                "connection, 5 s, once per round). It reads as wrk does but parses nothing, so "
                "it can run ahead of what wrk takes from any server.", ""]
        out += big_file_lines(run.rounds_by_server, statistics.median(run.ceils))
    if run.logins is not None:
        out += logins_section(run.logins)
    if run.proxy is not None:
        out += proxy_section(run.proxy)
    if run.tls is not None:
        out += tls_section(run.tls)
    notes = sorted({f"{n}: {note}" for n, rs in run.rounds_by_server.items() for r in rs
                    for note in r["notes"]})
    notes += [f"{n}: {why}" for n, why in run.skipped.items() if n not in run.failures]
    no_cg = [n for n, rs in run.rounds_by_server.items() if any(not r["cgroup"] for r in rs)]
    if no_cg:
        notes.append(f"{', '.join(no_cg)}: no cgroup could be used; CPU time is read from "
                     "/proc/PID/stat and misses children that nobody reaped")
    if notes:
        out += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    if run.failures:
        out += ["Problems:", ""] + [f"- {n}: {why}" for n, why in run.failures.items()] + [""]
    pre_w = f"taskset -c {run.pins[1]} " if run.pins[1] else ""
    out += ["Commands (PORT and the data directory vary):", "", "```"]
    out += [pre_w + shlex.join(c) for c in wrk_runs("wrk", "http://127.0.0.1:PORT",
                                                      f"-d{run.duration}s").values()]
    out += [shlex.join(run.commands[n]) for n in run.run_servers if n in run.commands]
    out += ["```", ""]
    for n, c in run.configs.items():
        out += [f"{n} configuration:", "", "```", c.rstrip(), "```", ""]
    return "\n".join(out)


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    v = sorted(values)
    return v[max(0, math.ceil(q / 100 * len(v)) - 1)]


def logins_section(res):
    """The logins measurement (logins.py): its table, how it was taken, what was skipped
    or failed, and warden's command line."""
    plan = res["plan"]
    header = ["hash", "work units (slices)", f"1 login ms, {plan.sequential} in turn",
              "≈ µs per slice", f"{lg.CONCURRENT} logins at once: ms to the last 200",
              f"static median ms: none → {lg.CONCURRENT} logins",
              f"static p99 ms: none → {lg.CONCURRENT} logins",
              f"static max ms: none → {lg.CONCURRENT} logins",
              f"static fetches: none / {lg.CONCURRENT} logins"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in res["rows"]:
        if "error" in row:
            lines.append(f"| {row['label']} (failed) | " + " | ".join(["–"] * (len(header) - 1))
                         + " |")
            continue
        one = [t * 1000 for t in row["one"]]
        n = lg.slices(row["work"])
        during = [t * 1000 for t in row["during"]]
        alone = [t * 1000 for t in row["alone"]]
        lines.append("| " + " | ".join([
            row["label"],
            f"{row['work']:,} ({n})",
            cell(one, 2),
            f"{statistics.median(one) * 1000 / n:,.0f}",
            cell([t * 1000 for t in row["windows"]], 2) + f", {len(row['windows'])} rounds",
            f"{statistics.median(alone):.3f} → {statistics.median(during):.3f}",
            f"{percentile(alone, 99):.3f} → **{percentile(during, 99):.3f}**",
            f"{max(alone):.3f} → **{max(during):.3f}**",
            f"{len(alone):,} / {len(during):,}",
        ]) + " |")
    pins = res["pins"]
    where = (f"warden pinned to CPU {pins[0]}, the client (one Python thread) to CPU {pins[1]}"
             if pins[0] is not None else "nothing pinned (one CPU)")
    out = ["## Logins (warden only)", "",
           f"One warden per kind of hash, `--auth-file` holding the users u0..u{lg.USERS - 1} "
           f"with that one hash, `--protect {lg.PROTECT}`; every login is a user not used "
           "before (no cached success) with the right password, so each is a whole "
           f"verification and answers 200. {where}.", "",
           f"- **1 login**: `GET {lg.LOGIN_PATH}` with Basic credentials, one at a time, each "
           "on a connection of its own: send to whole response, median (min–max). "
           f"µs per slice = that median / the slices ({lg.VERIFY_SLICE} work units each; "
           "SHA-crypt: a round is a unit, bcrypt: an iteration is 128).",
           f"- **{lg.CONCURRENT} logins at once**: rounds of {lg.CONCURRENT} connections "
           "sending their logins together, timed to the last answer (median (min–max)); "
           f"at least {plan.min_rounds}, more until {plan.min_samples} fetches fell within "
           f"logins (at most {plan.max_rounds}); warden is restarted when its {lg.USERS} users are used "
           f"up. Meanwhile one keep-alive connection fetches `{lg.STATIC_PATH}` (2 KiB) "
           "one request at a time; after each round it fetches alone for as long. The "
           "static columns pool the rounds: with no login running (none) → while the "
           f"{lg.CONCURRENT} verify. A fetch is timed from its send to its whole response, "
           "so it includes the client's own time (the \"none\" median).", "",
           "Each poll turn advances every verification in progress by one slice, so a turn "
           f"with {lg.CONCURRENT} verifying costs about {lg.CONCURRENT} × the µs per slice: "
           "the longest a static request should wait. Target (issue 12): the longest loop "
           f"stall on the host while {lg.CONCURRENT} logins verify ≤ 2 ms; the static maximum "
           f"with {lg.CONCURRENT} logins, less the \"none\" median, is this run's client-side "
           "reading of it, and on a busy machine it also holds scheduling delays (the "
           "\"none\" maximum shows their size). Reported, not asserted.", "",
           "\n".join(lines), ""]
    if res["notes"]:
        out += [f"- {n}" for n in res["notes"]] + [""]
    if res["failures"]:
        out += ["Failed:", ""] + [f"- {f}" for f in res["failures"]] + [""]
    if res["command"]:
        cmd = [("127.0.0.1:PORT" if a.startswith("127.0.0.1:") else a) for a in res["command"]]
        out += ["```", shlex.join(cmd), "```", ""]
    return out


def logins_document(res, took):
    """`benches/run --logins`: the logins section alone, printed."""
    return "\n".join(["# warden benchmark: logins", "", machine_line(), "",
                      f"Took {took:.0f} s.", ""] + logins_section(res))


# key, header, decimals, ratio to warden wanted
PROXY_COLUMNS = [
    ("rps", "proxied KA req/s", 0, True),
    ("p99_ms", "KA p99 ms", 2, False),
    ("cpu_per_100k", "CPU s/100k req", 2, True),
    ("backend_cpu_per_100k", "backend CPU s/100k req", 2, True),
    ("idle_rss", "idle RSS KiB", 0, True),
    ("held_rss", "RSS KiB, {n} held", 0, True),
    ("per_held", "≈ KiB more per request at the backend", 1, False),
    ("at_backend", "at the backend then", 0, False),
]


def count_cell(values):
    """A count over the rounds: the median, with min–max only when the rounds differ."""
    vals = [v for v in values if v is not None]
    if vals and min(vals) == max(vals) and len(vals) == len(values):
        return f"{vals[0]:,}"
    return cell(values, 0)


def proxy_numbers(r):
    """One front end's round as the table's keys (None where it was not measured)."""
    out = {k: r.get(k) for k, *_ in PROXY_COLUMNS}
    if r.get("held_rss") is not None and r.get("idle_rss") is not None and r["at_backend"] > 0:
        out["per_held"] = (r["held_rss"] - r["idle_rss"]) / r["at_backend"]
    return out


def proxy_section(res):
    """The reverse proxy measurement (proxy.py): the table, the ratios to warden, warden's
    refusals in words, how it was taken, what was skipped or failed, the commands and the
    generated configurations."""
    plan, n = res["plan"], res["plan"].held
    header = ["front end"] + [h.format(n=n) for _, h, _, _ in PROXY_COLUMNS] + \
        [f"answers to the {n}: 200 / 503 / other"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    medians = {}
    for name in res["fronts"]:
        rounds = [proxy_numbers(r) for r in res["rounds"][name]]
        if not rounds:
            lines.append(f"| {name} (failed) | " + " | ".join(["–"] * (len(header) - 1)) + " |")
            continue
        medians[name] = {k: median_or_none([r[k] for r in rounds]) for k, *_ in PROXY_COLUMNS}
        raw = res["rounds"][name]
        answers = " / ".join(count_cell([r.get(k) for r in raw])
                             for k in ("ok", "refused", "other"))
        lines.append("| " + " | ".join(
            [name] + [count_cell([r[k] for r in rounds]) if k == "at_backend"
                      else cell([r[k] for r in rounds], nd) for k, _, nd, _ in PROXY_COLUMNS]
            + [answers]) + " |")
    direct = {"rps": 0, "p99_ms": 2, "backend_cpu_per_100k": 2}
    row = [cell([r[k] for r in res["direct"]], direct[k]) if k in direct and res["direct"]
           else "–" for k, *_ in PROXY_COLUMNS]
    lines.append(f"| {px.BACKEND} direct (no proxy) | " + " | ".join(row + ["–"]) + " |")

    ratio_lines = []
    if "warden" in medians:
        w = medians["warden"]
        rcols = [(k, h.format(n=n)) for k, h, _, want in PROXY_COLUMNS if want]
        ratio_lines = ["| front end | " + " | ".join(h for _, h in rcols) + " |",
                       "|" + "---|" * (len(rcols) + 1)]
        for name, m in medians.items():
            ratio_lines.append(f"| {name} | " + " | ".join(
                f"{m[k] / w[k]:.2f}×" if m.get(k) is not None and w.get(k) else "–"
                for k, _ in rcols) + " |")

    front, client, back = res["place"]
    where = (f"The front end is pinned to CPU {front}, wrk to CPU {client}, the backend to "
             f"CPU {back}" + (" (with wrk: with two CPUs the client and the backend share "
                              "one, which may be what limits the proxied req/s; the front "
                              "end's CPU per request does not depend on that)"
                              if back == client else "")
             if front is not None else "Nothing is pinned (one CPU)")
    out = ["## Reverse proxy (warden, nginx, lighttpd → one backend)", "",
           f"The same backend behind each front end: `{px.BACKEND}` (`benches/proxy_backend.rs`, "
           "Rust std only, pooled threads), whose `GET /api/status` answers a fixed 200-byte "
           "JSON body with Content-Length. warden `--proxy /api=BACKEND`, nginx `proxy_pass` "
           "(`proxy_http_version 1.1`, no `upstream { keepalive }` pool), lighttpd `mod_proxy`: "
           "each sends HTTP/1.1 with `Connection: close` to the backend, so every proxied "
           "request is a new loopback connection for all three (warden has no pool either). "
           "Otherwise each runs with the static runs' configuration (one worker, no access "
           f"log, keep-alive to the client). {where}. {plan.rounds} round(s); each cell is "
           "the median of the rounds (min–max).", "",
           f"- **proxied KA req/s, KA p99**: `wrk -t1 -c{px.CONNS} -d{plan.duration}s "
           f"--latency` at `{px.STATUS_PATH}` through the front end (keep-alive to it). "
           f"The `{px.BACKEND} direct` row is the same command at the backend itself.",
           "- **CPU s/100k req**: the front end's CPU time (all its processes) during that "
           "run per 100,000 requests; **backend CPU s/100k req** the backend's, which "
           "includes accepting a connection per request when proxied.",
           "- **idle RSS**: the front end's, 0.3 s after one proxied GET. "
           f"**RSS, {n} held**: {n} clients, each on a connection of its own, send `GET "
           f"{px.SLOW_PATH}`, which the backend answers after {plan.hold:.0f} s; once the "
           f"backend's count of requests it holds has stayed put for {px.STEADY} s, the front "
           "end's RSS is read and that count kept (**at the backend then**). **≈ KiB more "
           "per request at the backend**: (held RSS − idle RSS) / that count (all the growth, "
           "refused clients' included).",
           f"- **answers to the {n}**: every response read afterwards, by status.", ""]
    w_rounds = res["rounds"].get("warden")
    if w_rounds and all(r.get("at_backend") is not None for r in w_rounds):
        at = median_or_none([r["at_backend"] for r in w_rounds])
        refused = median_or_none([r["refused"] for r in w_rounds])
        with_ra = sum(r["retry_after"] for r in w_rounds)
        all_503 = sum(r["refused"] for r in w_rounds)
        out += [f"warden passed {at:.0f} of the {n} held requests on to the backend and "
                f"answered {refused:.0f} with 503 at once ({with_ra} of the {all_503} 503s "
                "over the rounds carried Retry-After): it has MAX_PROXIED = "
                f"{px.MAX_PROXIED} proxied requests in flight (build-time, one 16 KiB buffer "
                "each) and tells a client past that to come back rather than queue it. "
                "That is the bounded-memory design: however many clients come, at most "
                f"{px.MAX_PROXIED} proxied requests hold a buffer. The peers pass on (and "
                "hold memory for) every request they are sent.", ""]
    out += ["\n".join(lines), ""]
    if ratio_lines:
        out += ["Relative to warden (this front end's median / warden's): above 1 is faster "
                "for req/s, costlier for CPU and RSS.", "", "\n".join(ratio_lines), ""]
    no_cg = [name for name, rs in res["rounds"].items() if any(not r["cgroup"] for r in rs)]
    notes = res["notes"] + ([f"{', '.join(no_cg)}: no cgroup could be used; CPU time is read "
                             "from /proc/PID/stat"] if no_cg else [])
    if notes:
        out += [f"- {x}" for x in notes] + [""]
    if res["failures"]:
        out += ["Failed:", ""] + [f"- {f}" for f in res["failures"]] + [""]
    if res["commands"]:
        pre = f"taskset -c {client} " if client is not None else ""
        out += ["```", pre + shlex.join(px.wrk_cmd("wrk", "http://127.0.0.1:PORT",
                                                   plan.duration))]
        out += [res["commands"][k] for k in [px.BACKEND] + res["fronts"] if k in res["commands"]]
        out += ["```", ""]
    for name, text in res["configs"].items():
        out += [f"{name} configuration (proxying):", "", "```", text.rstrip(), "```", ""]
    return out


def proxy_document(res, took):
    """`benches/run --proxy`: the reverse proxy section alone, printed."""
    return "\n".join(["# warden benchmark: reverse proxy", "", machine_line(), "",
                      f"Took {took:.0f} s.", ""] + proxy_section(res))


# A first request slower than this for the client without TCP_NODELAY: its Finished's
# ACK waited for the delayed-ACK timer (~40 ms), not a loaded machine's few ms.
NAGLE_WAITED_MS = 20

# key, header, decimals, ratio to warden wanted
TLS_COLUMNS = [
    ("close_rps", "new-handshake req/s", 0, True),
    ("close_p99_ms", "close p99 ms", 2, False),
    ("close_cpu_per_100k", "CPU s/100k handshake req", 2, True),
    ("ka_rps", "KA req/s", 0, True),
    ("ka_p99_ms", "KA p99 ms", 2, False),
    ("ka_cpu_per_100k", "CPU s/100k KA req", 2, True),
    ("big_mibs", "50 MiB MiB/s", 0, True),
    ("cpu_per_gib", "CPU s/GiB", 3, True),
    ("idle_rss", "idle RSS KiB", 0, True),
    ("held32_rss", "RSS KiB, 32 held", 0, True),
    ("held32_kib", "≈ KiB per conn, 32 held", 1, True),
    ("held100_rss", "RSS KiB, up to 100 held", 0, True),
    ("held100_ok", "held of 100", 0, False),
    ("held100_waiting", "waiting in backlog of 100", 0, False),
    ("held100_kib", "≈ KiB per conn, up to 100", 1, True),
]


def tls_numbers(r):
    """One server's TLS round as the table's keys (None where a run failed)."""
    out = {k: None for k, *_ in TLS_COLUMNS}
    ka, close, big = r["tls_ka"], r["tls_close"], r["tls_big"]
    if ka["error"] is None:
        out["ka_rps"] = ka["rps"]
        out["ka_p99_ms"] = ka["p99"] * 1000 if "p99" in ka else None
        out["ka_cpu_per_100k"] = ka["cpu"] / ka["requests"] * 1e5
    if close["error"] is None:
        out["close_rps"] = close["rps"]
        out["close_p99_ms"] = close["p99"] * 1000 if "p99" in close else None
        out["close_cpu_per_100k"] = close["cpu"] / close["requests"] * 1e5
    if big["error"] is None and big.get("bytes"):
        out["big_mibs"] = big["bps"] / (1 << 20) if "bps" in big else None
        out["cpu_per_gib"] = big["cpu"] / (big["bytes"] / (1 << 30))
    out["idle_rss"] = r["idle_rss"]
    for n in (32, 100):
        h = r.get(f"held{n}")
        if h:
            out[f"held{n}_rss"] = h["rss"]
            out[f"held{n}_ok"] = h["ok"]
            out[f"held{n}_waiting"] = h.get("waiting")
            out[f"held{n}_kib"] = (h["rss"] - r["idle_rss"]) / h["ok"] if h["ok"] else None
    return out


def tls_section(res):
    """The TLS rows (tls.py): the certificate, what was negotiated, the table, the ratios
    to warden, warden's connection limit in words, how it was measured, what was skipped
    or failed, the commands and the generated configurations."""
    plan = res["plan"]
    header = ["server"] + [h for _, h, _, _ in TLS_COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    medians = {}
    for name in res["servers"]:
        rounds = [tls_numbers(r) for r in res["rounds"][name]]
        if not rounds:
            lines.append(f"| {name} (failed) | " + " | ".join(["–"] * (len(header) - 1)) + " |")
            continue
        medians[name] = {k: median_or_none([r[k] for r in rounds]) for k, *_ in TLS_COLUMNS}
        lines.append("| " + " | ".join(
            [name] + [count_cell([r[k] for r in rounds]) if k in ("held100_ok", "held100_waiting")
                      else cell([r[k] for r in rounds], nd) for k, _, nd, _ in TLS_COLUMNS])
            + " |")
    ratio_lines = []
    if "warden" in medians:
        w = medians["warden"]
        rcols = [(k, h) for k, h, _, want in TLS_COLUMNS if want]
        ratio_lines = ["| server | " + " | ".join(h for _, h in rcols) + " |",
                       "|" + "---|" * (len(rcols) + 1)]
        for name, m in medians.items():
            ratio_lines.append(f"| {name} | " + " | ".join(
                f"{m[k] / w[k]:.2f}×" if m.get(k) is not None and w.get(k) else "–"
                for k, _ in rcols) + " |")

    srv_pin, client_pin = res["pins"]
    where = (f"Each server is pinned to CPU {srv_pin}, wrk and the Python clients to CPU "
             f"{client_pin}" if srv_pin is not None else "Nothing is pinned (one CPU)")
    out = ["## HTTPS (warden, lighttpd + mod_openssl, nginx + ssl)", ""]
    cert = res["cert"]
    if cert is not None:
        ran = [n for n in res["servers"] if res["rounds"].get(n)]
        who = ("All three use" if len(ran) == 3 else
               " and ".join(ran) + (" use" if len(ran) > 1 else " uses") if ran else "It is")
        out += [f"**{who} the same certificate**: one ECDSA P-256 key and self-signed "
                f"certificate made for this run (SHA-256 of the certificate "
                f"`{cert.sha256[:16]}…`) in the run's temporary directory, outside every web "
                f"root, with `{cert.command}`; every round checks that each server presents "
                "exactly that certificate. All serve the same web root (the plain rows' files) "
                "over HTTPS alone, with the plain rows' settings otherwise (one worker, no "
                "access log, keep-alive 1000 requests / 15 s). TLS 1.3 and 1.2; lighttpd and "
                "nginx with OpenSSL's default cipher string and the client's order, as warden "
                "(rustls, ring) takes it; **no session resumption anywhere** (nginx "
                "`ssl_session_tickets off; ssl_session_cache off;`, lighttpd `\"Options\" => "
                "\"-SessionTicket\"` and its session cache left off; warden has neither, by "
                "design), so every new connection is a full handshake on all three, as "
                "checked below. warden runs with its default `--max-tls-connections`, the "
                f"most its build allows ({tl.WARDEN_TLS_CAP}). {where}. {plan.rounds} round(s), "
                f"wrk runs of {plan.duration} s; each cell is the median of the rounds "
                "(min–max).", ""]
    out += [f"- **new-handshake req/s, close p99, CPU s/100k handshake req**: `wrk -t1 "
            f"-c{tl.CONNS} -d{plan.duration}s --latency -H 'Connection: close'` over https at "
            f"`{tl.PATH}` (2 KiB): every request a new TCP connection and a full TLS handshake "
            "(wrk is Debian's, built with OpenSSL; none of the servers resumes a session, as "
            "checked below). wrk starts a request's clock when it writes the request, after "
            "its TCP connect and TLS handshake: **close p99** holds the wait behind the "
            "server's other handshakes, not this connection's own handshake. CPU: the "
            "server's CPU time (all its processes, from its cgroup) during the run per "
            "100,000 requests.",
            f"- **KA req/s, p99, CPU s/100k KA req**: the same without the header: "
            f"{tl.CONNS} connections kept alive, one handshake each (1000 requests per "
            "connection, then a new one).",
            f"- **{tl.CONNS} connections, as the plain rows**, over warden's "
            f"{tl.WARDEN_TLS_CAP} TLS connections: while all {tl.WARDEN_TLS_CAP} of its TLS "
            "buffers are lent, warden neither polls nor accepts its TLS listeners, so at any "
            f"moment about {tl.CONNS - tl.WARDEN_TLS_CAP} of wrk's {tl.CONNS} connections wait "
            "in the kernel's listen backlog (backlog 128) and are served when a connection "
            "ends (keep-alive: after its 1000 requests). wrk counts no error for that wait "
            "(any socket error is listed under the table), and neither p99 holds it (the "
            "clock starts after the handshake). lighttpd and nginx take all "
            f"{tl.CONNS}. The req/s remain a fair comparison of throughput: "
            f"{tl.WARDEN_TLS_CAP} connections keep one server CPU (or wrk's) busy as well as "
            f"{tl.CONNS}.",
            f"- **50 MiB MiB/s, CPU s/GiB**: `wrk -t1 -c{tl.BIG_CONNS}` at `{tl.BIG_PATH}` "
            "over https; " + ("this kernel has kernel TLS (/proc/net/tls_stat), which lighttpd "
                              "may use to encrypt in the kernel and sendfile (warden and nginx "
                              "as configured here do not)." if res["ktls"] else
                              "this kernel has no kernel TLS (no /proc/net/tls_stat), so no "
                              "server can sendfile here: every byte is encrypted in user "
                              "space."),
            f"- **RSS with held connections**: idle RSS 0.3 s after the first answer; then "
            f"{tl.HELD[0]} clients, one after the other, each connect, finish the handshake, "
            f"get `{tl.PATH}` kept alive and then sit idle; after {plan.settle:g} s the "
            "server's RSS (summed over its processes). **≈ KiB per conn** = (that RSS − idle "
            f"RSS) / the connections held. Then the same with {tl.HELD[1]} clients: **held "
            f"of 100** is how many the server took. A client whose TLS handshake has not "
            f"finished {tl.HANDSHAKE_TIMEOUT:g} s after it connected counts as **waiting in "
            "backlog** (TCP connected, ClientHello sent, no answer), not as refused; the "
            "clients after the first waiting one start their handshakes at once and get "
            f"{tl.HANDSHAKE_TIMEOUT:g} s together. After the RSS reading, when clients wait, "
            "one held connection is closed and a waiting client's handshake must then "
            "finish (it did, in every round, or the run fails).", ""]
    w_rounds = res["rounds"].get("warden")
    if w_rounds and all(r.get("held100") for r in w_rounds):
        ok = median_or_none([r["held100"]["ok"] for r in w_rounds])
        waiting = median_or_none([r["held100"].get("waiting") for r in w_rounds])
        why = collections.Counter()
        for r in w_rounds:
            why.update(r["held100"]["failed"])
        served = [r["held100"].get("backlog_ms") for r in w_rounds]
        served = [x for x in served if x is not None]
        peers = [n for n in res["servers"] if n != "warden" and res["rounds"].get(n)]
        peer_ok = ", ".join(f"{n} {median_or_none([r['held100']['ok'] for r in res['rounds'][n]]):.0f}"
                            for n in peers)
        text = (f"**warden held {ok:.0f} of the 100; {waiting or 0:.0f} waited in its listen "
                f"backlog.** While all its {tl.WARDEN_TLS_CAP} TLS buffers are lent it neither "
                "polls nor accepts its TLS listeners: the kernel completes the further "
                "clients' TCP handshakes into the backlog (128), where they wait, unanswered "
                "and costing warden no memory, until a TLS connection ends")
        if served and waiting:
            text += ("; when one held connection was closed, a waiting client's TLS handshake "
                     f"finished {max(served):.0f} ms later at most (over the rounds)")
        text += (". None was refused or reset" if not why else
                 ". Clients that failed instead of waiting: "
                 + ", ".join(f"{k} × {v}" for k, v in why.items()) + " (over the rounds)")
        text += (". That is the bounded-memory design: each TLS connection holds a ~50 KiB "
                 "buffer, made on first use and kept for the next, and "
                 f"{tl.WARDEN_TLS_CAP} is both the default and the most this build allows "
                 "(`--max-tls-connections` cannot raise it; `WARDEN_TLS_CONNECTIONS` at build "
                 "time can). So warden's `up to 100` columns are "
                 f"{tl.WARDEN_TLS_CAP} connections again, and the like-for-like comparison is "
                 f"the `{tl.HELD[0]} held` pair of columns"
                 + (f"; the peers held {peer_ok}" if peer_ok else "") + ".")
        out += [text]
        out += [""]
    out += ["\n".join(lines), ""]
    busy = {n: m["close_rps"] * m["close_cpu_per_100k"] / 1e5 for n, m in medians.items()
            if m.get("close_rps") and m.get("close_cpu_per_100k")}
    if busy:
        out += ["During the handshake runs the server's CPU was busy "
                + ", ".join(f"{n} {100 * b:.0f} %" for n, b in busy.items())
                + " of its one CPU (req/s × CPU s per request)"
                + (": none was the limit; wrk, doing its side of every handshake on its one "
                   "CPU, was (or the machine's other load), so the req/s say more about the "
                   "client and the machine than about the servers, and CPU s/100k handshake req "
                   "is what tells the servers apart."
                   if max(busy.values()) < 0.8 else
                   ": a server near 100 % was the limit of its own req/s.")
                , ""]
    if ratio_lines:
        out += ["Relative to warden (this server's median / warden's): above 1 is faster for "
                "req/s and MiB/s, costlier for CPU and memory.", "", "\n".join(ratio_lines), ""]
    if res["handshake"]:
        out += ["What was negotiated (last round; `openssl s_client` with OpenSSL's client "
                "defaults, as wrk's) and the resumption check (3 connections in a row per "
                "version with Python's ssl, each offering the previous session):", ""]
        for name in res["servers"]:
            h = res["handshake"].get(name)
            if h is None:
                continue
            resumed = "; ".join(f"{v}: {a} of {b} resumed" for v, (a, b) in h["resumed"].items())
            first = h.get("first_ms", {})
            first = ", ".join(f"{k} {v:.1f} ms" if v is not None else f"{k} failed"
                              for k, v in first.items())
            out.append(f"- {name}: {h['negotiated']}; ALPN {', '.join(sorted(h['alpn']))}; "
                       f"{resumed}; " + ("the run's certificate" if h["same_cert"]
                                         else "**another certificate**")
                       + (f"; first request on a new TLS 1.3 connection: {first}" if first
                          else ""))
        out += ["", "The first request's time (send to whole response, median of 3) is "
                "given for a client with TCP_NODELAY (as wrk, curl and Python's http.client; "
                "what every client in the table above sets) and one without (Nagle's "
                "algorithm on, as a bare socket has it): such a client holds its request back "
                "until its TLS Finished is ACKed, so a server that sends nothing after the "
                "handshake and leaves that ACK to the kernel's delayed-ACK timer makes it wait "
                "~40 ms on Linux. warden sends nothing after the handshake (no session "
                "tickets) and ACKs the Finished at once (TCP_QUICKACK at the end of the "
                "handshake); lighttpd and nginx (OpenSSL) send a session ticket right after a "
                "TLS 1.3 handshake even with tickets off (a stateful one, which without a "
                "session cache resumes nothing: the check above), and it carries the ACK."]
        slow = [f"{n} {h['first_ms']['Nagle']:.1f} ms" for n, h in res["handshake"].items()
                if (h.get("first_ms") or {}).get("Nagle") is not None
                and h["first_ms"]["Nagle"] > NAGLE_WAITED_MS]
        out[-1] += (" Here no server made the client without TCP_NODELAY wait (all under "
                    f"{NAGLE_WAITED_MS} ms)." if not slow else
                    f" **Here the client without TCP_NODELAY waited** (over {NAGLE_WAITED_MS} "
                    "ms): " + ", ".join(slow) + ".")
        out += [""]
    notes = list(res["notes"])
    for name, rounds in res["rounds"].items():
        for i, r in enumerate(rounds):
            for key in ("tls_ka", "tls_close", "tls_big"):
                w = r.get(key)
                if w and any(w.get("sock_errors", ())):
                    c, rd, wr, t = w["sock_errors"]
                    notes.append(f"{name}, round {i + 1}, {key}: wrk counted socket errors "
                                 f"(connect {c}, read {rd}, write {wr}, timeout {t}) in "
                                 f"{w.get('requests', 0):,} requests")
    no_cg = [name for name, rs in res["rounds"].items() if any(not r["cgroup"] for r in rs)]
    if no_cg:
        notes.append(f"{', '.join(no_cg)}: no cgroup could be used; CPU time is read from "
                     "/proc/PID/stat")
    if notes:
        out += [f"- {x}" for x in notes] + [""]
    if res["failures"]:
        out += ["Failed:", ""] + [f"- {f}" for f in res["failures"]] + [""]
    if res["commands"]:
        pre = f"taskset -c {client_pin} " if client_pin is not None else ""
        out += ["```"] + [pre + shlex.join(c) for c in tl.wrk_runs(
            "wrk", "https://127.0.0.1:PORT", f"-d{plan.duration}s").values()]
        out += [res["commands"][n] for n in res["servers"] if n in res["commands"]]
        out += ["```", ""]
    for name, text in res["configs"].items():
        out += [f"{name} configuration (HTTPS):", "", "```", text.rstrip(), "```", ""]
    return out


def tls_document(res, took):
    """`benches/run --tls`: the HTTPS section alone, printed."""
    return "\n".join(["# warden benchmark: HTTPS", "", machine_line(), "",
                      f"Took {took:.0f} s.", ""] + tls_section(res))
