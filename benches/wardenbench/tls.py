"""HTTPS side by side (`benches/run --tls`; full and smoke runs too): warden
(`--listen-tls`), lighttpd (mod_openssl) and nginx (http_ssl_module), each serving the
run's web root over HTTPS alone, all three with one certificate made for the run and the
same TLS settings as far as they have them (servers.py): TLS 1.3 and 1.2, OpenSSL's
default ciphers for the two OpenSSL servers, and no session resumption anywhere (no
tickets, no session cache: every connection is a full handshake, as warden's always
is, by design). warden runs with its default --max-tls-connections, which is also the
most its build allows (WARDEN_TLS_CAP: 32 in the default build).

The certificate: one ECDSA P-256 key and self-signed certificate, made with the openssl
CLI in the run's temporary directory (outside every web root; warden refuses a key
inside its root), for CN localhost with the names localhost and 127.0.0.1. Every round
checks that each server presents exactly it.

Each round starts each server in turn on its own port (pinned to the first CPU, the
clients to the second, as the plain rows) and, once it answers a GET over HTTPS:

1. idle RSS (0.3 s after that first answer);
2. held connections, for n in HELD (32, then 100): n clients, one after the other, each
   connect, finish the handshake, send `GET /index.html` (kept alive) and read the whole
   200; then all sit idle for Plan.settle seconds and the server's RSS is read: (RSS -
   idle RSS) / the clients held. A client whose handshake has not finished within
   HANDSHAKE_TIMEOUT (2 s) is waiting, not failed: warden, while all its 32 TLS buffers
   are lent, neither polls nor accepts its TLS listeners, so clients 33..100 stay in the
   kernel's listen backlog (TCP connected, ClientHello sent, no answer). The clients
   after the first one waiting start their handshakes at once and wait together (kept
   open, another 2 s). Then one held connection is closed and a waiting client must be served (its handshake
   finishes): that is what a waiting client gets. A client refused or reset fails;
3. three wrk runs over https, as the plain rows' (wrk is Debian's, built with OpenSSL):
   keep-alive and `Connection: close` (every request a new TCP connection and a full
   handshake) on the 2 KiB index.html with CONNS connections, and the 50 MiB file with
   BIG_CONNS; the server's CPU time around each, from its cgroup;
4. what was negotiated: `openssl s_client` (OpenSSL's client defaults, as wrk's) gives
   the protocol, cipher and key exchange; Python's ssl makes 3 connections in a row per
   protocol version, each offering the session of the one before, and counts the
   resumed ones (must be 0: a server that resumed would be measured doing less), and
   compares the certificate each presented with the run's, byte for byte; and the time
   of the first request on a new TLS 1.3 connection with and without TCP_NODELAY.

CONNS is the plain rows' 50, more than warden's 32 TLS connections: the clients beyond
32 wait in warden's listen backlog until a connection ends (a keep-alive one after its
1000 requests or when wrk closes it), and wrk counts no error for that wait (its latency
clock starts after its TLS handshake). The peers take all 50. The req/s stay a fair
comparison of throughput (the server is busy either way); the report says so.

Python 3 standard library only.
"""
import collections
import hashlib
import os
import re
import selectors
import shlex
import socket
import ssl
import subprocess
import time

from . import http, load
from .load import raise_nofile, run_wrk
from .measure import start_server
from .servers import CONFIG_TEXT, config_key, server_argv
from .util import log, which

WARDEN_TLS_CAP = 32  # src/limits.rs TLS_CONNECTIONS: the default build's most (and default)
CONNS = load.CONNS  # wrk -c of the keep-alive and close runs: the plain rows' (docstring)
BIG_CONNS = load.BIG_CONNS  # wrk -c of the 50 MiB run, as the plain rows'
HELD = (WARDEN_TLS_CAP, 100)  # held connections: warden's most, then 100
HANDSHAKE_TIMEOUT = 2.0  # s a held client's handshake may take before it counts as waiting
PATH = "/index.html"
BIG_PATH = "/big.bin"
NAME_SUFFIX = "-tls"  # the Server's name: its log file and cgroup differ from the plain rows'


class Plan(collections.namedtuple("Plan", "rounds duration settle")):
    """Rounds; seconds of each wrk run; seconds the held connections sit idle before
    the RSS is read."""


FULL = Plan(rounds=3, duration=8, settle=1.0)  # full runs and --tls (--rounds, --duration)
QUICK = Plan(rounds=1, duration=1, settle=0.3)  # --smoke


class Cert(collections.namedtuple("Cert", "cert key der sha256 command")):
    """The run's certificate and key (PEM paths), the certificate's DER and its SHA-256,
    and the openssl command that made them (paths as names)."""


def make_cert(tmp):
    """One ECDSA P-256 key and self-signed certificate in tmp/tls (mode 0700): a Cert.
    RuntimeError if openssl is missing or fails."""
    openssl = which("openssl")
    if not openssl:
        raise RuntimeError("no openssl program to make the certificate with")
    d = os.path.join(tmp, "tls")
    os.mkdir(d, 0o700)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "7", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    r = subprocess.run([openssl] + args + ["-keyout", key, "-out", cert],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl req failed: " + (r.stderr.strip().splitlines() or ["?"])[-1])
    with open(cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return Cert(cert, key, der, hashlib.sha256(der).hexdigest(),
                shlex.join(["openssl"] + args + ["-keyout", "key.pem", "-out", "cert.pem"]))


def client_context(version=None):
    """A TLS client with OpenSSL's defaults (Python's own narrower cipher string undone),
    offering ALPN http/1.1; it verifies nothing: the certificate is compared byte for
    byte instead (handshake_info). version: pin it to one ssl.TLSVersion."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT")
    ctx.set_alpn_protocols(["http/1.1"])
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


_CTX = []


def wrap(sock, ctx=None, session=None, nodelay=True, handshake=True):
    """sock as a TLS client connection, its handshake done (no SNI: the server is asked
    for by address, as the plain rows' Host: 127.0.0.1). nodelay: TCP_NODELAY, as wrk,
    curl and Python's http.client set it (without it, see first_request_ms). handshake:
    False leaves it to the caller (do_handshake)."""
    if ctx is None:
        if not _CTX:
            _CTX.append(client_context())
        ctx = _CTX[0]
    if nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return ctx.wrap_socket(sock, server_hostname="127.0.0.1", session=session,
                           do_handshake_on_connect=handshake)


def get(port, path=PATH, timeout=5.0):
    """http.get over TLS: (status, seconds), or (error text, seconds)."""
    return http.get(port, path, timeout, wrap=wrap)


def wrk_runs(wrk, base, d):
    """The TLS rows' wrk command lines at base (https://127.0.0.1:PORT)."""
    return {
        "tls_ka": [wrk, "-t1", f"-c{CONNS}", d, "--latency", f"{base}{PATH}"],
        "tls_close": [wrk, "-t1", f"-c{CONNS}", d, "--latency", "-H", "Connection: close",
                      f"{base}{PATH}"],
        "tls_big": [wrk, "-t1", f"-c{BIG_CONNS}", d, f"{base}{BIG_PATH}"],
    }


def why_failed(e):
    """A client's failure, short: the exception's class and, for TLS, its reason."""
    if isinstance(e, ssl.SSLError) and getattr(e, "reason", None):
        return f"{type(e).__name__} ({e.reason})"
    if isinstance(e, http.NoResponse):
        return f"no response ({e.reason})"
    return type(e).__name__


def _handshake_until(pending, deadline, first=False):
    """Drives the non-blocking TLS handshakes of `pending` (sockets) until each is done,
    failed or `deadline` (time.monotonic) passes, or (first) one is done: (done, still
    pending, {reason: count})."""
    done, failed = [], collections.Counter()
    pending = list(pending)
    with selectors.DefaultSelector() as sel:
        for s in pending:
            sel.register(s, selectors.EVENT_READ)
        while pending and not (first and done):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(left):
                s = key.fileobj
                try:
                    s.do_handshake()
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    continue
                except OSError as e:
                    failed[why_failed(e)] += 1
                    s.close()
                else:
                    done.append(s)
                sel.unregister(s)
                pending.remove(s)
    return done, pending, failed


def held(port, srv, n, settle, timeout=5.0, handshake=HANDSHAKE_TIMEOUT):
    """n clients each connect, finish the handshake, GET PATH (kept alive) and read the
    200, one after the other; then idle for `settle` s, the server's RSS.

    A client whose handshake has not finished after `handshake` s is waiting: its TCP
    connection is made (the kernel completes it into the listen backlog) but the server
    has not taken it (warden, while all its TLS buffers are lent, accepts none). The
    clients after it connect and send their ClientHello at once, and all of those waiting
    get `handshake` s more together (so n - 32 waiting clients cost about 2 × `handshake`
    s, not n × `handshake`); one that finishes then is held as the others. After the RSS
    reading, when some wait: one held connection is closed, and a waiting client must then
    finish its handshake within `handshake` s (backlog_ms: how long it took, None if none
    did). A client refused (reset, closed) or failed is counted under its reason.

    {"rss", "ok", "waiting", "failed": {reason: count}, "backlog_ms"}."""
    req = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    conns, waiting, failed = [], [], collections.Counter()

    def get_200(sock):
        # The handshake done: GET PATH kept alive, the whole 200 read; held, or counted.
        try:
            sock.settimeout(timeout)
            conn = http.Connection(sock)
            conn.send(req)
            r = conn.read_response(accept=http.HTTP1X)
            if r.status != 200 or r.closes():
                raise http.NoResponse(f"status {r.status}" + (", closed" if r.closes() else ""))
            conns.append(conn)
        except (OSError, http.NoResponse, ValueError, KeyError) as e:
            failed[why_failed(e) if not isinstance(e, http.NoResponse) or e.reason != "other"
                   else str(e)] += 1
            sock.close()

    out = None
    try:
        for _ in range(n):
            sock = None
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                sock = wrap(sock, handshake=False)
                if waiting:
                    # Someone already waits: start this handshake (the ClientHello goes
                    # out) and let it wait with the others.
                    sock.setblocking(False)
                    try:
                        sock.do_handshake()
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        waiting.append(sock)
                        continue
                else:
                    sock.settimeout(handshake)
                    try:
                        sock.do_handshake()
                    except TimeoutError:
                        sock.setblocking(False)
                        waiting.append(sock)
                        continue
            except OSError as e:
                failed[why_failed(e)] += 1
                if sock is not None:
                    sock.close()
                continue
            get_200(sock)
        if waiting:
            done, waiting, why = _handshake_until(waiting, time.monotonic() + handshake)
            failed.update(why)
            for sock in done:
                get_200(sock)
        time.sleep(settle)
        out = {"rss": srv.rss_and_tasks()[0], "ok": len(conns), "waiting": len(waiting),
               "failed": dict(failed), "backlog_ms": None, "backlog_failed": {}}
        if waiting and conns:
            # What a waiting client gets when a TLS connection ends: served, not refused.
            conns.pop().close()
            t0 = time.monotonic()
            done, waiting, why = _handshake_until(waiting, t0 + handshake, first=True)
            if done:
                out["backlog_ms"] = (time.monotonic() - t0) * 1000
            out["backlog_failed"] = dict(why)
            waiting += done
    finally:
        for sock in waiting:
            sock.close()
        for conn in conns:
            conn.close()
    return out


def s_client(port):
    """What OpenSSL's client with its defaults (as wrk's) negotiates: "TLSv1.3
    TLS_AES_256_GCM_SHA384, X25519", or why it is not known."""
    openssl = which("openssl")
    try:
        r = subprocess.run([openssl, "s_client", "-connect", f"127.0.0.1:{port}"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown (openssl s_client: {type(e).__name__})"
    m = re.search(r"^(?:New|Reused), (TLSv[\d.]+), Cipher is (\S+)", r.stdout, re.M)
    k = re.search(r"^Server Temp Key: ([^,\n]+)", r.stdout, re.M)
    if not m:
        return "unknown (openssl s_client: " + (r.stderr.strip().splitlines() or ["?"])[-1] + ")"
    return f"{m.group(1)} {m.group(2)}" + (f", {k.group(1)}" if k else "")


def first_request_ms(port, nodelay, tries=3):
    """Median ms from sending the first request on a new TLS 1.3 connection to its whole
    response, for a client with or without TCP_NODELAY. A client without it (Nagle) that
    sends its request right after its Finished holds the request until that Finished is
    ACKed; a server that sends nothing after the handshake (no session tickets) and
    leaves the ACK to its kernel's delayed-ACK timer makes it wait ~40 ms on Linux.
    warden sends no tickets but ACKs the Finished at once (TCP_QUICKACK); lighttpd and
    nginx send a ticket, which carries the ACK. None if an exchange failed."""
    ctx = client_context(ssl.TLSVersion.TLSv1_3)
    times = []
    for _ in range(tries):
        sock = None
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock = wrap(sock, ctx, nodelay=nodelay)
            conn = http.Connection(sock)
            t0 = time.monotonic()
            conn.send(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            conn.read_response(accept=http.HTTP1X)
            times.append((time.monotonic() - t0) * 1000)
        except (OSError, http.NoResponse, ValueError, KeyError):
            return None
        finally:
            if sock is not None:
                sock.close()
    return sorted(times)[len(times) // 2]


def handshake_info(port, cert):
    """{"negotiated": s_client's line, "alpn": {protocols}, "resumed": {"TLS 1.3": (resumed,
    offered), "TLS 1.2": ...}, "same_cert": bool, "first_ms": {"TCP_NODELAY": ms, "Nagle":
    ms} (first_request_ms), "problems": [..]}. A resumed session, another certificate or
    a failed exchange is a problem."""
    out = {"negotiated": s_client(port), "alpn": set(), "resumed": {}, "same_cert": True,
           "problems": []}
    for label, version in (("TLS 1.3", ssl.TLSVersion.TLSv1_3), ("TLS 1.2", ssl.TLSVersion.TLSv1_2)):
        ctx = client_context(version)
        session, resumed, offered = None, 0, 0
        for _ in range(3):
            sock = None
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock = wrap(sock, ctx, session)
                if session is not None:
                    offered += 1
                    resumed += bool(sock.session_reused)
                out["same_cert"] &= sock.getpeercert(binary_form=True) == cert.der
                out["alpn"].add(sock.selected_alpn_protocol() or "none")
                conn = http.Connection(sock)
                conn.send(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                          "Connection: close\r\n\r\n".encode())
                r = conn.read_response(accept=http.HTTP1X)
                if r.status != 200:
                    out["problems"].append(f"{label}: GET {PATH}: {r.status}")
                session = sock.session  # after the response: TLS 1.3 tickets come late
            except (OSError, http.NoResponse, ValueError, KeyError) as e:
                out["problems"].append(f"{label}: {why_failed(e)}: {e}")
                break
            finally:
                if sock is not None:
                    sock.close()
        out["resumed"][label] = (resumed, offered)
        if resumed:
            out["problems"].append(f"{label}: {resumed} of {offered} sessions offered were "
                                   "resumed: this server does not do a full handshake every time")
    if not out["same_cert"]:
        out["problems"].append("it presented another certificate than the run's")
    out["first_ms"] = {"TCP_NODELAY": first_request_ms(port, True),
                       "Nagle": first_request_ms(port, False)}
    return out


def measure_one(name, binaries, data, tmp, cert, wrk, pins, cg_base, plan):
    """One server, one round: (numbers, problem or None, argv, port)."""
    srv_pin, wrk_pin = pins
    srv, port, err = start_server(
        name, lambda n, p: server_argv(n.removesuffix(NAME_SUFFIX), p, data, tmp, binaries,
                                       tls=(cert.cert, cert.key)),
        tmp, srv_pin, cg_base, get=get)
    # start_server names the Server (log file, cgroup) after `name`: the TLS one.
    if err is not None:
        return None, f"did not start: {err}", srv.cmd, None
    res = {"cgroup": srv.cg is not None}
    problems = []
    try:
        time.sleep(0.3)
        res["idle_rss"] = srv.rss_and_tasks()[0]
        for n in HELD:
            h = held(port, srv, n, plan.settle)
            res[f"held{n}"] = h
            if h["ok"] < min(n, WARDEN_TLS_CAP):
                problems.append(f"{n} held: only {h['ok']} held ({h['waiting']} waiting, "
                                f"failed: {h['failed'] or 'none'})")
            if h["failed"]:
                problems.append(f"{n} held: clients failed (not waiting): {h['failed']}")
            if h["waiting"] and h["backlog_ms"] is None:
                problems.append(f"{n} held: {h['waiting']} waited, and none was served when a "
                                f"held connection closed ({h['backlog_failed'] or 'timeout'})")
            # Everything closed: the server must answer again (warden first handles the
            # clients that waited in its backlog, now closed).
            status, secs = get(port)
            h["after"] = (status, secs * 1000)
            if status != 200:
                problems.append(f"{n} held: no 200 after they closed: {status}")
            time.sleep(0.5)
        pre = ["taskset", "-c", wrk_pin] if wrk_pin is not None else []
        for key, cmd in wrk_runs(wrk, f"https://127.0.0.1:{port}", f"-d{plan.duration}s").items():
            r = run_wrk(pre + cmd, srv, key)
            res[key] = r
            if r["error"]:
                problems.append(f"wrk {key}: {r['error']}")
                log(f"tls: {name}: wrk {key}: {r['error']}\n{r['raw']}")
            time.sleep(0.5)
        res["handshake"] = handshake_info(port, cert)
        problems += res["handshake"]["problems"]
        if srv.proc.poll() is not None:
            problems.append(f"exited during the run with status {srv.proc.returncode}: "
                            f"{srv.output_tail()}")
    finally:
        srv.stop()
    return res, "; ".join(problems) or None, srv.cmd, port


def masked(text, port, data, tmp):
    """text with the run's port and paths as names: PORT, DATA (the web root), TMP (the
    run's temporary directory; the certificate and key are TMP/tls/*.pem)."""
    text = re.sub(rf"\b{port}\b", "PORT", text) if port else text
    return text.replace(data, "DATA").replace(tmp, "TMP")


def kernel_tls():
    """Whether this kernel has kernel TLS (the tls module), with which a server could
    hand encryption to the kernel and still sendfile (lighttpd's SSL_sendfile)."""
    return os.path.exists("/proc/net/tls_stat")


def run(binaries, wrk, servers, data, tmp, pins, cg_base, plan=FULL, skipped=None):
    """Every round over `servers` (a subset of servers.TLS_SERVERS, in order), on the web
    root `data`. {"plan", "servers", "pins", "cert", "ktls", "rounds": {name: [raw
    numbers]}, "handshake": {name: handshake_info of its last round}, "failures", "notes",
    "commands", "configs"}. skipped: {server: why} for those not run (noted)."""
    res = {"plan": plan, "servers": list(servers), "pins": pins, "cert": None,
           "ktls": kernel_tls(), "rounds": {n: [] for n in servers}, "handshake": {},
           "failures": [],
           "notes": [f"{n}: skipped: {why}" for n, why in (skipped or {}).items()],
           "commands": {}, "configs": {}}
    raise_nofile(4 * max(HELD) + 256)
    try:
        cert = make_cert(tmp)
    except (RuntimeError, OSError) as e:
        res["failures"].append(f"certificate: {e}")
        return res
    res["cert"] = cert
    for rnd in range(1, plan.rounds + 1):
        for name in servers:
            log(f"tls round {rnd}/{plan.rounds}: {name}")
            out, err, cmd, port = measure_one(name + NAME_SUFFIX, binaries, data, tmp, cert, wrk,
                                              pins, cg_base, plan)
            res["commands"][name] = masked(shlex.join(cmd), port, data, tmp)
            conf = CONFIG_TEXT.get(config_key(name, None, tls=True))
            if conf:
                res["configs"][name] = masked(conf, port, data, tmp)
            if err:
                res["failures"].append(f"round {rnd}: {name}: {err}")
                log(f"tls: {name}: FAILED: {err}")
            if out is not None:
                res["rounds"][name].append(out)
                if "handshake" in out:
                    res["handshake"][name] = out["handshake"]
    return res
