"""What every part of the harness needs: where the repository is, whether we run as
root, the log line on stderr, and where to look for programs (servers live in sbin)."""
import os
import shutil
import sys

# benches/wardenbench/util.py -> the repository root
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IS_ROOT = os.geteuid() == 0


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def which(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
