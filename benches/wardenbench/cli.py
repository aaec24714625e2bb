"""benches/run's command line and the sequence of a run: flags and their defaults,
install, build, every round over every server (and the ceiling), the logins measurement
(warden only), the reverse proxies (warden and the peers that proxy), the HTTPS rows
(warden, lighttpd and nginx over TLS), then the document and the exit status (0; 1 if a
server, wrk run, login, proxy or HTTPS measurement failed, or a server named with
--servers was skipped; 2 for a bad command line). `--logins` runs the logins measurement
alone, `--proxy` the reverse proxies alone, `--tls` the HTTPS rows alone."""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import build, install, logins, proxy, report, tls
from .ceiling import ceiling
from .data import make_data
from .load import raise_nofile
from .measure import measure
from .process import cgroup2_base
from .servers import (ALL_SERVERS, BASELINE, CONFIG_TEXT, PROXY_FRONTS, TLS_SERVERS, find_binaries,
                      server_argv, stripped_size)
from .util import REPO, log, which

DESCRIPTION = "warden against other small static file servers, on loopback."


def parse_args(argv=None):
    """(args, servers in report order, whether --servers named them)."""
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    ap.add_argument("--smoke", action="store_true",
                    help="1 round, 1 s wrk runs, 50 idle connections, no ceiling, "
                         "table on stdout only; exits 1 if any server or wrk run failed")
    ap.add_argument("--servers", help="comma-separated subset of: " + ",".join(ALL_SERVERS))
    ap.add_argument("--rounds", type=int, help="rounds (default 3; --smoke: 1)")
    ap.add_argument("--duration", type=int, help="seconds per wrk run (default 8; --smoke: 1)")
    ap.add_argument("--idle-conns", type=int,
                    help="connections held with half a request line (default 500; --smoke: 50)")
    ap.add_argument("--no-install", action="store_true", help="apt-get install nothing")
    ap.add_argument("--baseline-bin", metavar="PATH",
                    help=f"another warden binary, run as the server `{BASELINE}` with warden's "
                         "command line (after warden, or where --servers names it): two builds "
                         "side by side")
    ap.add_argument("--logins", action="store_true",
                    help="only the logins measurement (warden, a few seconds): time per "
                         "password verification and the loop stall while 4 verify; "
                         "stdout only (full and --smoke runs include it)")
    ap.add_argument("--proxy", action="store_true",
                    help="only the reverse proxies: warden, nginx and lighttpd in front of one "
                         "backend, side by side (about 2 minutes; --rounds and --duration "
                         "change its 3 rounds of 5 s); stdout only (full and --smoke runs "
                         "include it)")
    ap.add_argument("--tls", action="store_true",
                    help="only the HTTPS rows: warden, lighttpd (mod_openssl) and nginx on one "
                         "certificate, side by side (about 5 minutes; --rounds, --duration, "
                         "--smoke and --servers (of " + ",".join(TLS_SERVERS) + ") go with "
                         "it); stdout only (full and --smoke runs include it)")
    args = ap.parse_args(argv)
    modes = [f for f, v in (("--logins", args.logins), ("--proxy", args.proxy),
                            ("--tls", args.tls)) if v]
    if len(modes) > 1:
        ap.error(f"{' and '.join(modes)}: one measurement alone at a time")
    if modes:
        # --proxy takes --rounds and --duration (for its own rounds); --tls those, --smoke
        # and --servers (of TLS_SERVERS); --logins none of them.
        allowed = {"--logins": (), "--proxy": ("--rounds", "--duration"),
                   "--tls": ("--rounds", "--duration", "--smoke", "--servers")}[modes[0]]
        given = [f for f, v in (("--smoke", args.smoke), ("--servers", args.servers),
                                ("--baseline-bin", args.baseline_bin), ("--rounds", args.rounds),
                                ("--duration", args.duration),
                                ("--idle-conns", args.idle_conns)) if v and f not in allowed]
        if given:
            what = {"--logins": "--logins measures warden alone, in its own way",
                    "--proxy": "--proxy measures the reverse proxies alone, in their own way",
                    "--tls": "--tls measures the HTTPS rows alone"}[modes[0]]
            ap.error(f"{what}: not with {', '.join(given)}")
        args.proxy_plan = proxy.FULL._replace(rounds=args.rounds or proxy.FULL.rounds,
                                              duration=args.duration or proxy.FULL.duration)
    args.rounds = args.rounds or (1 if args.smoke else 3)
    args.duration = args.duration or (1 if args.smoke else 8)
    args.idle_conns = args.idle_conns or (50 if args.smoke else 500)
    # The HTTPS rows: the plain rows' rounds and wrk seconds.
    args.tls_plan = (tls.QUICK if args.smoke else tls.FULL)._replace(rounds=args.rounds,
                                                                     duration=args.duration)
    explicit = args.servers is not None
    known = TLS_SERVERS if args.tls else ALL_SERVERS  # and the default order
    servers = [s.strip() for s in (args.servers or ",".join(known)).split(",") if s.strip()]
    bad = [s for s in servers if s not in known + ([] if args.tls else [BASELINE])]
    if bad or not servers:
        ap.error(f"unknown server(s){' for --tls' if args.tls else ''}: {', '.join(bad)}; "
                 f"choose from {', '.join(known)}"
                 + ("" if args.tls else f" (and {BASELINE} with --baseline-bin)"))
    if args.baseline_bin:
        # Absolute now: the run changes to the repository before starting anything.
        path = os.path.abspath(args.baseline_bin)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            ap.error(f"--baseline-bin {args.baseline_bin}: not an executable file")
        args.baseline_bin = path
        if BASELINE not in servers:
            servers.insert(servers.index("warden") + 1 if "warden" in servers else 0, BASELINE)
    elif BASELINE in servers:
        ap.error(f"{BASELINE} is the binary given with --baseline-bin PATH")
    return args, servers, explicit


def pin_cpus():
    """(server CPU, client CPU) as strings, or (None, None) with fewer than two CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    return (str(cpus[0]), str(cpus[1])) if len(cpus) >= 2 else (None, None)


def logins_only(started):
    """`--logins`: build warden, measure its logins, print the section. 1 if it failed."""
    build.build(examples=())
    binary = find_binaries(["warden"])["warden"]
    tmp = tempfile.mkdtemp(prefix="warden-bench-run-")
    try:
        res = logins.run(binary, tmp, pin_cpus(), cgroup2_base())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(report.logins_document(res, time.monotonic() - started), flush=True)
    return 1 if res["failures"] else 0


def proxy_only(args, started):
    """`--proxy`: install the peers that proxy and wrk if missing, build warden and the
    backend, measure the reverse proxies, print the section. 1 if any measurement failed."""
    if args.no_install:
        unavailable = install.not_installed(PROXY_FRONTS)
    else:
        unavailable = install.install(PROXY_FRONTS)
    if "wrk" in unavailable:
        sys.exit(f"benches/run: wrk: {unavailable['wrk']}")
    build.build(examples=("proxy_backend",))
    fronts = [s for s in PROXY_FRONTS if s not in unavailable]
    tmp = tempfile.mkdtemp(prefix="warden-bench-run-")
    try:
        res = proxy.run(find_binaries(fronts), which("wrk"), fronts, tmp, pin_cpus(),
                        cgroup2_base(), args.proxy_plan,
                        {s: why for s, why in unavailable.items() if s in PROXY_FRONTS})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(report.proxy_document(res, time.monotonic() - started), flush=True)
    return 1 if res["failures"] else 0


def tls_wanted(servers):
    """What the HTTPS rows of `servers` need installed besides them: lighttpd's TLS
    module and openssl (the certificate)."""
    tls_servers = [s for s in servers if s in TLS_SERVERS]
    return (["lighttpd_tls"] if "lighttpd" in tls_servers else []) + \
        (["openssl"] if tls_servers else [])


def tls_unavailable(servers, unavailable):
    """{server: why} for the TLS_SERVERS among `servers` that cannot serve HTTPS here: not
    installed, lighttpd without mod_openssl, an nginx without its SSL module."""
    out = {}
    for s in servers:
        if s not in TLS_SERVERS:
            continue
        if s in unavailable:
            out[s] = unavailable[s]
        elif s == "lighttpd" and "lighttpd_tls" in unavailable:
            out[s] = "no mod_openssl: " + unavailable["lighttpd_tls"]
        elif s == "nginx":
            r = subprocess.run([which("nginx"), "-V"], capture_output=True, text=True)
            if "--with-http_ssl_module" not in r.stdout + r.stderr:
                out[s] = "this nginx was built without http_ssl_module"
    return out


def tls_only(args, servers, explicit, started):
    """`--tls`: install what is missing, build warden, make the web root, measure the HTTPS
    rows, print the section. 1 if a measurement failed, or a server named with --servers
    was skipped."""
    wanted = servers + tls_wanted(servers)
    unavailable = install.not_installed(wanted) if args.no_install else install.install(wanted)
    if "wrk" in unavailable:
        sys.exit(f"benches/run: wrk: {unavailable['wrk']}")
    build.build(examples=())
    skipped = tls_unavailable(servers, unavailable)
    for s, why in skipped.items():
        print(f"note: {s} skipped: {why}", flush=True)
    run_servers = [s for s in servers if s not in skipped]
    tmp = tempfile.mkdtemp(prefix="warden-bench-run-")
    data = make_data()
    try:
        res = tls.run(find_binaries(run_servers), which("wrk"), run_servers, data, tmp,
                      pin_cpus(), cgroup2_base(), args.tls_plan, skipped)
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(report.tls_document(res, time.monotonic() - started), flush=True)
    return 1 if res["failures"] or (explicit and skipped) else 0


def main(argv=None):
    args, servers, explicit = parse_args(argv)

    started = time.monotonic()
    os.chdir(REPO)
    # SIGTERM/SIGHUP (a CI time-out, a closed terminal) unwind like Ctrl-C, so that the
    # servers are stopped and the temporary files removed.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    if args.logins:
        return logins_only(started)
    if args.proxy:
        return proxy_only(args, started)
    if args.tls:
        return tls_only(args, servers, explicit, started)
    wanted = servers + tls_wanted(servers)
    if args.no_install:
        unavailable = install.not_installed(wanted)
    else:
        unavailable = install.install(wanted)
    if "busybox" in servers and "busybox" not in unavailable and not install.busybox_has_httpd():
        unavailable["busybox"] = "this busybox has no httpd applet"
    if "wrk" in unavailable:
        sys.exit(f"benches/run: wrk: {unavailable['wrk']}")
    build.build()
    if "warden_static" in servers:
        why = build.build_static()
        if why:
            unavailable["warden_static"] = why
    armv7_note = None if args.smoke else build.build_armv7()

    failures = {}
    skipped = {}
    failed = False
    for s in servers:
        if s in unavailable:
            print(f"note: {s} skipped: {unavailable[s]}", flush=True)
            skipped[s] = "skipped: " + unavailable[s]
            if explicit:  # asked for by name: a failure
                failures[s] = skipped[s]
                failed = True
    run_servers = [s for s in servers if s not in unavailable]
    binaries = find_binaries(run_servers, args.baseline_bin)
    wrk = which("wrk")

    cpus = sorted(os.sched_getaffinity(0))
    pins = pin_cpus()
    raise_nofile(4 * args.idle_conns + 256)
    cg_base = cgroup2_base()

    tmp = tempfile.mkdtemp(prefix="warden-bench-run-")
    data = make_data()
    rounds_by_server = {s: [] for s in run_servers}
    commands = {}
    ceils = []
    ceil_how = None
    login_res = None
    proxy_res = None
    tls_res = None
    try:
        for rnd in range(1, args.rounds + 1):
            for name in run_servers:
                log(f"round {rnd}/{args.rounds}: {name}")
                res, err, cmd = measure(
                    name, lambda n, p: server_argv(n, p, data, tmp, binaries),
                    tmp, args, pins, wrk, cg_base)
                commands[name] = cmd
                if err:
                    failed = True
                    failures[name] = (failures[name] + "; " if name in failures else "") + \
                        f"round {rnd}: {err}"
                    log(f"{name}: FAILED: {err}")
                if res is not None:
                    rounds_by_server[name].append(report.derive(res))
            if not args.smoke:
                # Every round, like the servers: drift hits it alike.
                log(f"round {rnd}/{args.rounds}: loopback sendfile ceiling")
                c, ceil_how = ceiling(os.path.join(data, "big.bin"), tmp, cpus)
                ceils.append(c / (1 << 20))
        if "warden" in run_servers:  # once, after the rounds: it measures no peer
            log("logins (warden)")
            login_res = logins.run(binaries["warden"], tmp, pins, cg_base,
                                   logins.QUICK if args.smoke else logins.FULL)
            failed = failed or bool(login_res["failures"])  # listed in its own section
            # The reverse proxies: warden and the peers of this run that proxy.
            fronts = [s for s in PROXY_FRONTS if s in run_servers]
            log("reverse proxy: " + ", ".join(fronts))
            proxy_res = proxy.run(binaries, wrk, fronts, tmp, pins, cg_base,
                                  proxy.QUICK if args.smoke else proxy.FULL,
                                  {s: skipped[s] for s in PROXY_FRONTS if s in skipped})
            failed = failed or bool(proxy_res["failures"])
        # The HTTPS rows: warden and the peers of this run that serve HTTPS, on this
        # run's web root; a peer without TLS here is skipped (noted), as above.
        tls_skip = tls_unavailable(servers, unavailable)
        tls_servers = [s for s in TLS_SERVERS if s in run_servers and s not in tls_skip]
        if tls_servers:
            log("https: " + ", ".join(tls_servers))
            tls_res = tls.run(binaries, wrk, tls_servers, data, tmp, pins, cg_base,
                              args.tls_plan, tls_skip)
            failed = failed or bool(tls_res["failures"])
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)

    sizes = {s: stripped_size(binaries.get(s), tempfile.gettempdir()) for s in run_servers}
    text = report.document(report.Run(
        smoke=args.smoke, rounds=args.rounds, duration=args.duration, idle_conns=args.idle_conns,
        took=time.monotonic() - started, servers=servers, run_servers=run_servers,
        rounds_by_server=rounds_by_server, skipped=skipped, failures=failures, sizes=sizes,
        ceils=ceils, ceil_how=ceil_how, armv7=build.armv7_size(), armv7_note=armv7_note,
        pins=pins, commands=commands,
        configs={n: c for n, c in CONFIG_TEXT.items() if n in commands}, logins=login_res,
        proxy=proxy_res, tls=tls_res))
    print(text, flush=True)
    if not args.smoke:
        path = os.path.join(REPO, "benches", "RESULTS.md")
        with open(path, "w") as f:
            f.write(text)
        log(f"wrote {path}")
    return 1 if failed else 0
