"""Gets the peer servers and wrk onto the machine from Debian (apt-get), and stops a
system service that installing a package started on port 80. Knows nothing of how a
server is run."""
import os
import re
import signal
import subprocess

from .util import IS_ROOT, log, which

# Debian package and executable of each external program (or, for a module, the
# absolute path of the file that the package installs).
PACKAGES = {
    "lighttpd": ("lighttpd", "lighttpd"),
    # lighttpd's TLS module, for the TLS rows (tls.py); not a server of its own.
    "lighttpd_tls": ("lighttpd-mod-openssl", "/usr/lib/lighttpd/mod_openssl.so"),
    "nginx": ("nginx-light", "nginx"),
    "busybox": ("busybox", "busybox"),
    "mini_httpd": ("mini-httpd", "mini_httpd"),
    "darkhttpd": ("darkhttpd", "darkhttpd"),
    "wrk": ("wrk", "wrk"),
    "openssl": ("openssl", "openssl"),  # the TLS rows' certificate and s_client
}
# Services a Debian package starts on install (on port 80); stopped right after.
# lighttpd-mod-openssl's maintainer scripts may (re)start lighttpd's.
SERVICES = {"lighttpd": "lighttpd", "nginx-light": "nginx", "lighttpd-mod-openssl": "lighttpd"}


def present(name):
    """Whether PACKAGES[name]'s executable (or file) is there."""
    what = PACKAGES[name][1]
    return os.path.exists(what) if os.path.isabs(what) else bool(which(what))


def not_installed(servers):
    """{name: reason} for the programs missing when nothing may be installed."""
    return {s: "not installed (--no-install)" for s in servers + ["wrk"]
            if s in PACKAGES and not present(s)}


def install(servers):
    """apt-get installs what is missing; returns {name: reason} for what stays missing."""
    wanted = [s for s in servers if s in PACKAGES] + ["wrk"]
    missing = [s for s in wanted if not present(s)]
    if not missing:
        return {}
    if not IS_ROOT:
        return {s: "not installed (run as root to apt-get install it)" for s in missing}
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    updated = False
    if not apt_lists_present():
        log("apt-get update")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        updated = True
    # A package the archive does not have (darkhttpd is not in Debian 12) is skipped
    # without an apt-get update on every run; the rest is installed from fresh lists.
    installable = [s for s in missing if apt_candidate(PACKAGES[s][0])]
    if installable and not updated:
        log("apt-get update (missing: " + ", ".join(PACKAGES[s][0] for s in installable) + ")")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        installable = [s for s in missing if apt_candidate(PACKAGES[s][0])]
    gone = {s: f"no Debian package `{PACKAGES[s][0]}` in this release's archive"
            for s in missing if s not in installable}
    if installable:
        pkgs = [PACKAGES[s][0] for s in installable]
        log("apt-get install " + " ".join(pkgs))
        r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + pkgs,
                           env=env, check=False)
        if r.returncode != 0:
            log(f"apt-get install exited {r.returncode}; going on with what is installed")
        for svc in dict.fromkeys(SERVICES[p] for p in pkgs if p in SERVICES):
            stop_service(svc)
    for s in installable:
        if not present(s):
            gone[s] = f"`{PACKAGES[s][0]}` failed to install"
    return gone


def apt_lists_present():
    try:
        return any(n.endswith("_Packages") or "_Packages." in n for n in os.listdir("/var/lib/apt/lists"))
    except OSError:
        return False


def apt_candidate(pkg):
    pol = subprocess.run(["apt-cache", "policy", pkg], capture_output=True, text=True)
    m = re.search(r"Candidate:\s*(\S+)", pol.stdout)
    return bool(m) and m.group(1) != "(none)"


def stop_service(svc):
    """The package we just installed may have started its system service: stop it."""
    pidfile = f"/run/{svc}.pid"
    if not os.path.exists(pidfile):
        return  # not started (a policy-rc.d, or no init system, denied it)
    print(f"note: installing {svc} started its system service; stopping it (`service {svc} stop`)",
          flush=True)
    r = subprocess.run(["service", svc, "stop"], capture_output=True, text=True)
    if r.returncode != 0 and os.path.exists(pidfile):
        try:
            pid = int(open(pidfile).read().split()[0])
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == svc:
                    os.kill(pid, signal.SIGTERM)
                    print(f"note: sent SIGTERM to {svc} pid {pid} from {pidfile}", flush=True)
        except (OSError, ValueError, IndexError):
            pass


def busybox_has_httpd():
    bb = which("busybox")
    if not bb:
        return False
    r = subprocess.run([bb, "--list"], capture_output=True, text=True)
    return "httpd" in r.stdout.split()
