"""Logins, warden only: what a password verification costs and how long it stalls the
one thread's loop (issue 12's target: the longest stall <= 2 ms on the host while 4
logins verify).

For each kind of stored hash (`$6$` 5,000 rounds from `warden --hash-password`; `$5$`
5,000 rounds from `openssl passwd -5`; bcrypt cost 10 from Python's `bcrypt` module when
it is importable, else from its standard `crypt` module (libxcrypt makes `$2b$`) while
Python still has one; a kind that cannot be made is skipped with a note), warden is
started with `--auth-file FILE --protect /admin`. FILE (outside the web root) holds the
users u0..u29, all with the same hash of the same password: every login below uses a
user not used before on that server (it is restarted when they run out), so none is
answered from the success cache (60 s per exact Authorization value) and each costs a
whole verification; all succeed, so the failure throttle never counts one. Then:

1. one login at a time: Plan.sequential logins, each `GET /admin/` with correct Basic
   credentials on a connection of its own (connected before the clock starts), timed
   from the request's first byte sent to the whole 200 response read;
2. the loop stall, in rounds of: 4 connections (MAX_VERIFICATIONS) send their logins
   back to back, and meanwhile one keep-alive connection fetches /index.html (2 KiB) in
   a tight loop, one request at a time, until the 4th login is answered: the latencies
   of those fetches are the "4 logins" sample. Right after, the same client fetches for
   as long again with no login running: the "none" sample. Rounds go on until
   Plan.min_samples fetches fell within logins (Plan.min_rounds to Plan.max_rounds);
   both samples are pooled over the rounds, and their median, p99 and maximum reported
   side by side.

A static fetch is timed from its send to its whole response (the one reader,
http.py), so it includes the client's own Python time: the "none" median shows that
floor, and the maximum with logins less it bounds the loop's stall (plus any scheduling
delay on a busy machine). The server is pinned to the first CPU, the client (this
process, single-threaded, its collector off while it times) to the second.

Python 3 standard library only (`bcrypt` is used when it happens to be importable).
"""
import base64
import collections
import gc
import math
import os
import select
import shutil
import socket
import subprocess
import time
import warnings

from . import http
from .data import make_login_root
from .measure import start_server
from .servers import server_argv
from .util import log, which

PASSWORD = "warden-bench-login"
USERS = 30  # u0..u29; warden holds at most 32 (MAX_AUTH_USERS)
CONCURRENT = 4  # MAX_VERIFICATIONS: a 5th would get 503


class Plan(collections.namedtuple("Plan", "sequential min_rounds min_samples max_rounds")):
    """How many logins one at a time; stall rounds: at least min_rounds, more until
    min_samples fetches fell within logins, at most max_rounds."""


FULL = Plan(sequential=10, min_rounds=5, min_samples=200, max_rounds=25)  # full, --logins
QUICK = Plan(sequential=4, min_rounds=2, min_samples=50, max_rounds=6)  # --smoke
VERIFY_SLICE = 256  # src/limits.rs: work units per verification per poll turn
PROTECT = "/admin"
LOGIN_PATH = "/admin/"
STATIC_PATH = "/index.html"
WARMUP = 200  # static fetches before anything is measured
TIMEOUT = 30.0  # seconds for any one response
NAME = "warden-logins"  # the Server's name: its log file and cgroup

assert FULL.sequential + CONCURRENT <= USERS <= 32


class Failed(Exception):
    """The measurement of one kind of hash failed (the message says how)."""


def stdlib_crypt():
    """Python's crypt module (libcrypt: libxcrypt on Debian makes $5$ and $2b$), or None
    (deprecated since 3.11, gone in 3.13)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        return crypt
    except ImportError:
        return None


def hash_kinds(warden_bin):
    """[(label, hash or None, why it is missing)] for $6$, $5$ and bcrypt, each of
    PASSWORD. $6$: warden --hash-password. $5$: openssl passwd -5, else Python's crypt.
    bcrypt: Python's bcrypt module, else Python's crypt (libxcrypt's $2b$)."""
    kinds = []
    r = subprocess.run([warden_bin, "--hash-password"], input=PASSWORD + "\n",
                       capture_output=True, text=True)
    h = r.stdout.strip()
    kinds.append(("$6$ 5,000 rounds", h, None) if r.returncode == 0 and h.startswith("$6$")
                 else ("$6$ 5,000 rounds", None,
                       f"warden --hash-password failed: {r.stderr.strip() or r.returncode}"))

    crypt = stdlib_crypt()

    def by_crypt(method, rounds, prefix):
        try:
            out = crypt.crypt(PASSWORD, crypt.mksalt(method, rounds=rounds)) if crypt else None
        except (ValueError, OSError):
            out = None
        return out if out and out.startswith(prefix) and len(out) > 30 else None

    h5, why = None, None
    if which("openssl"):
        r = subprocess.run(["openssl", "passwd", "-5", "-stdin"], input=PASSWORD + "\n",
                           capture_output=True, text=True)
        h5 = r.stdout.strip() if r.returncode == 0 and r.stdout.startswith("$5$") else None
        why = None if h5 else f"openssl passwd -5 failed: {r.stderr.strip() or r.returncode}"
    else:
        h5 = by_crypt(crypt.METHOD_SHA256, 5000, "$5$") if crypt else None
        why = None if h5 else "no openssl, and Python's crypt module made no $5$ hash"
    kinds.append(("$5$ 5,000 rounds", h5, why))

    try:
        import bcrypt
        hb = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10, prefix=b"2b")).decode()
        why = None
    except ImportError:
        hb = by_crypt(crypt.METHOD_BLOWFISH, 1 << 10, "$2b$10$") if crypt else None
        why = None if hb else ("Python's `bcrypt` module is not importable (the harness "
                               "installs no Python package) and its crypt module made no $2b$ hash")
    kinds.append(("bcrypt ($2b$) cost 10", hb, why))
    return kinds


def work_units(h):
    """A stored hash's work in warden's units: SHA-crypt rounds (5,000 unless
    rounds=N says otherwise); bcrypt 2^cost iterations, 128 each (src/auth/hash.rs:
    BCRYPT_ITERATION_UNITS)."""
    if h.startswith(("$5$", "$6$")):
        rest = h[3:]
        return int(rest[7:rest.index("$")]) if rest.startswith("rounds=") else 5000
    return 128 << int(h[4:6])


def login_request(user):
    cred = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    return (f"GET {LOGIN_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {cred}\r\n\r\n").encode()


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return http.Connection(sock)


def read_ok(conn, what):
    """The next response on conn, which must be a 200."""
    try:
        r = conn.read_response()
    except (http.NoResponse, ValueError, KeyError) as e:
        raise Failed(f"{what}: {e}")
    if r.status != 200:
        raise Failed(f"{what}: status {r.status}")
    return r


class StaticClient:
    """GET /index.html over one keep-alive connection, one request at a time; a new
    connection (not timed) when warden ends one (every 1,000 requests)."""

    REQUEST = f"GET {STATIC_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()

    def __init__(self, port):
        self.port, self.conn = port, None

    def fetch(self):
        """Seconds from the request's send to its whole response."""
        if self.conn is None:
            self.conn = connect(self.port)
        t0 = time.perf_counter()
        self.conn.send(self.REQUEST)
        r = read_ok(self.conn, f"GET {STATIC_PATH}")
        dt = time.perf_counter() - t0
        if r.closes():
            self.close()
        return dt

    def run_for(self, seconds):
        """Fetches for `seconds`; their latencies."""
        out = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            out.append(self.fetch())
        return out

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def one_at_a_time(port, users):
    """Seconds of each login, one after the other, each on a connection of its own."""
    times = []
    for user in users:
        conn = connect(port)
        try:
            t0 = time.perf_counter()
            conn.send(login_request(user))
            read_ok(conn, f"login {user}")
            times.append(time.perf_counter() - t0)
        finally:
            conn.close()
    return times


def stall_round(port, client, users):
    """len(users) logins sent together while `client` fetches in a loop until the last is
    answered; then the client alone for as long. (window s, fetches during, fetches
    alone)."""
    conns = [connect(port) for _ in users]
    try:
        pending = {c.sock: (c, u) for c, u in zip(conns, users)}
        t0 = time.perf_counter()
        for c, u in zip(conns, users):
            c.send(login_request(u))
        during = []
        last = t0
        while pending:
            during.append(client.fetch())
            ready, _, _ = select.select(list(pending), [], [], 0)
            for s in ready:
                c, u = pending.pop(s)
                read_ok(c, f"login {u}")
                last = time.perf_counter()
            if pending and time.perf_counter() - t0 > TIMEOUT:
                raise Failed(f"{len(pending)} of {len(users)} logins unanswered after "
                             f"{TIMEOUT:.0f} s")
    finally:
        for c in conns:
            c.close()
    window = last - t0
    time.sleep(0.02)
    alone = client.run_for(window)
    return window, during, alone


class Warden:
    """warden with every user holding `h`, restarted (the success cache and the
    throttle then start empty, and the users are new again) when they run out; the
    static client follows it to its new port."""

    def __init__(self, h, binary, root, tmp, pins, cg_base):
        self.auth = os.path.join(tmp, "logins.auth")  # tmp is outside the web root
        with open(self.auth, "w") as f:
            f.write("".join(f"u{i}:{h}\n" for i in range(USERS)))
        self.binary, self.root, self.tmp, self.pins, self.cg_base = binary, root, tmp, pins, cg_base
        self.srv = self.port = self.client = None
        self.starts = 0
        self.start()

    def argv_for(self, name, port):
        return server_argv("warden", port, self.root, self.tmp, {"warden": self.binary}) + \
            ["--auth-file", self.auth, "--protect", PROTECT]

    def start(self):
        srv, port, err = start_server(NAME, self.argv_for, self.tmp, self.pins[0], self.cg_base)
        if err is not None:
            raise Failed(f"warden did not start: {err}")
        self.srv, self.port, self.next_user = srv, port, 0
        self.starts += 1
        self.client = StaticClient(port)
        try:
            for _ in range(WARMUP):
                self.client.fetch()
        except BaseException:
            self.stop()
            raise

    def users(self, n):
        """n users no login has used on this server (restarting it if there are none)."""
        if self.next_user + n > USERS:
            self.check()
            self.stop()
            self.start()
        first, self.next_user = self.next_user, self.next_user + n
        return [f"u{i}" for i in range(first, first + n)]

    def check(self):
        if self.srv.proc.poll() is not None:
            raise Failed(f"warden exited with status {self.srv.proc.returncode}: "
                         f"{self.srv.output_tail()}")

    def stop(self):
        if self.client is not None:
            self.client.close()
        if self.srv is not None:
            self.srv.stop()


def measure_kind(label, h, binary, root, tmp, pins, cg_base, plan):
    """The numbers of one row: logins one at a time, then stall rounds (Plan)."""
    row = {"label": label, "work": work_units(h)}
    w = None
    gc.disable()  # no collector pause in the client's timings
    try:
        w = Warden(h, binary, root, tmp, pins, cg_base)
        row["command"] = w.srv.cmd
        row["one"] = one_at_a_time(w.port, w.users(plan.sequential))
        row["windows"], row["during"], row["alone"] = [], [], []
        while len(row["windows"]) < plan.min_rounds or (
                len(row["during"]) < plan.min_samples and len(row["windows"]) < plan.max_rounds):
            users = w.users(CONCURRENT)
            window, during, alone = stall_round(w.port, w.client, users)
            row["windows"].append(window)
            row["during"] += during
            row["alone"] += alone
        w.check()
        row["starts"] = w.starts
        return row
    except http.NoResponse as e:  # the static client's send
        raise Failed(f"GET {STATIC_PATH}: {e}")
    finally:
        gc.enable()
        if w is not None:
            w.stop()


def run(binary, tmp, pins, cg_base, plan=FULL):
    """Every kind of hash in turn: {"rows": [...], "notes": [...], "failures": [...],
    "pins": pins, "plan": plan, "command": argv}. `tmp` is the run's temporary directory
    (outside any web root)."""
    out = {"rows": [], "notes": [], "failures": [], "pins": pins, "plan": plan, "command": None}
    root = make_login_root()
    mask = None
    if pins[1] is not None:  # the client (this single thread) on the other CPU
        mask = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {int(pins[1])})
    try:
        for label, h, why in hash_kinds(binary):
            if h is None:
                out["notes"].append(f"{label}: skipped: {why}")
                log(f"logins: {label}: skipped: {why}")
                continue
            log(f"logins: {label}")
            try:
                row = measure_kind(label, h, binary, root, tmp, pins, cg_base, plan)
                out["command"] = row.pop("command")
                out["rows"].append(row)
            except (Failed, OSError) as e:
                out["failures"].append(f"{label}: {e}")
                out["rows"].append({"label": label, "error": str(e)})
                log(f"logins: {label}: FAILED: {e}")
    finally:
        if mask is not None:
            os.sched_setaffinity(0, mask)
        shutil.rmtree(root, ignore_errors=True)
    return out


def slices(work):
    return math.ceil(work / VERIFY_SLICE)
