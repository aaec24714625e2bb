"""Builds warden's binaries for the run: the release build, the tiny_http baseline and
the proxy measurement's backend (cargo examples), the statically linked host build
(warden_static), and the armv7 board binary whose size the report gives."""
import functools
import os
import subprocess
import sys

from .util import REPO, log

STATIC_DIR = os.path.join(REPO, "target", "static")
ARMV7_BOARD = "openwrt-armv7"
ARMV7_STD = "/usr/lib/rustlib/armv7-unknown-linux-musleabihf/warden-cross-source"
ARMV7_BIN = os.path.join(REPO, "target/boards/openwrt-armv7/warden")


EXAMPLES = ("tiny_http_baseline", "proxy_backend")


def build(examples=EXAMPLES):
    """warden and the examples named (benches/*.rs) in release mode; exits the run if
    any fails."""
    steps = [["cargo", "build", "--release", "--quiet"]]
    for name in examples:
        steps.append(["cargo", "build", "--release", "--quiet", "--example", name])
    for args in steps:
        log(" ".join(args))
        r = subprocess.run(args, cwd=REPO)
        if r.returncode != 0:
            sys.exit(f"benches/run: `{' '.join(args)}` failed")


@functools.lru_cache(maxsize=None)
def host_triple():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True).stdout
    return next((l.split()[1] for l in out.splitlines() if l.startswith("host:")), "unknown")


def build_static():
    """warden linked statically against the host's libc (crt-static), like the board builds
    (static musl there): no shared libc pages in its RSS. Returns why it failed, or None."""
    args = ["cargo", "build", "--release", "--quiet", "--target", host_triple()]
    log("RUSTFLAGS='-C target-feature=+crt-static' " + " ".join(args))
    env = dict(os.environ, RUSTFLAGS="-C target-feature=+crt-static", CARGO_TARGET_DIR=STATIC_DIR)
    r = subprocess.run(args, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        return "static build failed: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    return None


def build_armv7():
    """Rebuilds the armv7 board binary whose size is reported, when the cross toolchain is
    installed (cross/debian-toolchain); returns a note on where the size comes from."""
    if not os.path.exists(ARMV7_STD):
        return "not rebuilt: the cross toolchain is not installed (cross/debian-toolchain)"
    log(f"cross/build {ARMV7_BOARD}")
    r = subprocess.run([os.path.join(REPO, "cross", "build"), ARMV7_BOARD], cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["no message"])[-1]
        return f"cross/build failed: {last}"
    return "built by this run"


def armv7_size():
    """Size of the armv7 board binary already there (stripped by cross/build), or None."""
    return os.path.getsize(ARMV7_BIN) if os.path.exists(ARMV7_BIN) else None
