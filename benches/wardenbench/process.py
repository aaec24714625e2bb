"""One server under measurement as a process: started in a process group of its own
and, where cgroup v2 is writable, a cgroup of its own; its CPU time, RSS, threads and
processes read from the cgroup or /proc; stopped through the group and the cgroup, so
that nothing this harness did not start is ever signalled."""
import os
import signal
import subprocess
import time

from . import http
from .util import log

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def proc_stat(pid):
    """(ppid, sid, utime+stime+cutime+cstime ticks, threads) or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state): ppid=4, session=6, utime..cstime=14..17, threads=20
    return (int(rest[1]), int(rest[3]), sum(int(x) for x in rest[11:15]), int(rest[17]))


def tree(root):
    """The server's processes without a cgroup: descendants of root plus its session."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st:
                stats[int(name)] = st
    members = {root} if root in stats else set()
    changed = True
    while changed:
        changed = False
        for pid, (ppid, sid, _, _) in stats.items():
            if pid not in members and (ppid in members or sid == root):
                members.add(pid)
                changed = True
    return members


def cgroup2_base():
    """Our own cgroup v2 directory if we may create children in it, else None.

    Each server runs in a child cgroup of its own: its CPU time (cpu.stat) then includes
    every process it forked, even those reaped by nobody (a server that ignores SIGCHLD,
    like BusyBox httpd, loses its children's times from /proc/PID/stat)."""
    try:
        mnt = None
        with open("/proc/self/mountinfo") as f:
            for ln in f:
                parts = ln.split()
                i = parts.index("-")
                if parts[i + 1] == "cgroup2":
                    mnt = parts[4]
                    break
        rel = None
        with open("/proc/self/cgroup") as f:
            for ln in f:
                if ln.startswith("0::"):
                    rel = ln[3:].strip()
        if mnt is None or rel is None:
            return None
        base = os.path.join(mnt, rel.lstrip("/"))
        with open(os.path.join(base, "cgroup.procs")) as f:
            if str(os.getpid()) not in f.read().split():
                return None
        return base if os.access(base, os.W_OK) else None
    except (OSError, ValueError):
        return None


class Server:
    """One server process (group), in a cgroup of its own when possible."""

    def __init__(self, name, argv, tmp, cg_base):
        self.name, self.argv, self.tmp = name, argv, tmp
        self.proc = None
        self.cmd = argv
        self.log_path = os.path.join(tmp, f"{name}.out")
        self.cg = None
        if cg_base:
            path = os.path.join(cg_base, f"warden-bench-{os.getpid()}-{name}")
            try:
                os.mkdir(path)
                self.cg = path
            except FileExistsError:
                self.cg = path if not self.cg_pids(path) else None
            except OSError:
                pass

    @staticmethod
    def cg_pids(path):
        try:
            with open(os.path.join(path, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def start(self, port, pin, probe="/index.html", get=http.get):
        """Starts it (pinned to CPU `pin`) and waits up to 10 s for a 200 to GET
        `probe` (asked with `get`: http.get, or the TLS rows' tls.get). Returns None,
        or why it did not start."""
        cmd = (["taskset", "-c", pin] if pin is not None else []) + self.argv
        self.cmd = cmd
        self.logf = open(self.log_path, "wb")
        cg = self.cg

        def enter_cgroup():  # in the child, before exec: everything it forks stays in
            if cg:
                try:
                    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                        f.write("0")
                except OSError:
                    pass

        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=enter_cgroup)
        if self.cg and self.proc.pid not in self.cg_pids(self.cg):
            self.remove_cgroup()
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"exited with status {self.proc.returncode}: {self.output_tail()}"
            status, _ = get(port, probe, timeout=1.0)
            if status == 200:
                return None
            time.sleep(0.05)
        return f"no 200 for GET {probe} within 10 s (last: {status}): {self.output_tail()}"

    def pids(self):
        if self.cg:
            return self.cg_pids(self.cg)
        return sorted(tree(self.proc.pid))

    def cpu_seconds(self):
        if self.cg:
            with open(os.path.join(self.cg, "cpu.stat")) as f:
                for ln in f:
                    k, v = ln.split()
                    if k == "usage_usec":
                        return int(v) / 1e6
        # Without a cgroup: live processes plus what they reaped (cutime/cstime).
        return sum((proc_stat(p) or (0, 0, 0, 0))[2] for p in self.pids()) / CLK_TCK

    def rss_and_tasks(self):
        """(sum of RSS KiB over the processes, threads summed over them, processes)."""
        rss = threads = procs = 0
        for pid in self.pids():
            st = proc_stat(pid)
            try:
                with open(f"/proc/{pid}/statm") as f:
                    rss += int(f.read().split()[1]) * PAGE_KIB
            except OSError:
                continue
            if st:
                threads += st[3]
                procs += 1
        return rss, threads, procs

    def output_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-400:].decode(errors="replace").strip().replace("\n", " | ")
        except OSError:
            return ""

    def stop(self):
        """SIGTERM to the process group, SIGKILL after 5 s; then anything left in the
        cgroup (which holds only what this server started) is killed too. The leader is
        reaped last, so the group id cannot have been reused by then."""
        if self.proc is not None:
            pgid = self.proc.pid  # start_new_session: the leader's pid is the group id
            if self.proc.returncode is None:  # not reaped yet: the group id is still ours
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(pgid, sig)
                    except ProcessLookupError:
                        pass
                    if sig == signal.SIGTERM and not self.leader_exited(5):
                        continue
                    try:
                        os.killpg(pgid, signal.SIGKILL)  # a forking server's children
                    except ProcessLookupError:
                        pass
                    break
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log(f"{self.name}: pid {pgid} did not exit after SIGKILL")
            self.logf.close()
            self.proc = None
        self.remove_cgroup()

    def leader_exited(self, timeout):
        """Waits for the leader to exit without reaping it (it stays a zombie)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                    return True
            except ChildProcessError:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def remove_cgroup(self):
        if not self.cg:
            return
        cg, self.cg = self.cg, None
        for _ in range(100):
            left = self.cg_pids(cg)
            if left:
                try:
                    with open(os.path.join(cg, "cgroup.kill"), "w") as f:
                        f.write("1")
                except OSError:
                    for pid in left:
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
            try:
                os.rmdir(cg)
                return
            except OSError:
                time.sleep(0.05)
        log(f"could not remove cgroup {cg}")
