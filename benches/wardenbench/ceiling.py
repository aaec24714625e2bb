"""The loopback sendfile ceiling: what one connection carries when a sender only
sendfile()s big.bin and a reader recv()s 8 KiB at a time, as wrk does, pinned like the
servers. A C program when gcc is there, Python otherwise. It parses nothing, so it can
run ahead of what wrk takes from any server; the report sets warden's big-file median
against it."""
import os
import signal
import socket
import subprocess
import time

from .util import which

CEILING_C = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t s; CPU_ZERO(&s); CPU_SET(cpu, &s); sched_setaffinity(0, sizeof s, &s);
}
static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9;
}
int main(int argc, char **argv) {
    /* ceiling FILE SECONDS SERVER_CPU CLIENT_CPU: sendfile FILE over and over to one
       loopback connection; the client recv()s with 8 KiB reads, as wrk does. */
    if (argc != 5) return 2;
    int fd = open(argv[1], O_RDONLY); struct stat st; fstat(fd, &st);
    double secs = atof(argv[2]);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(l, (void *)&a, sizeof a) || listen(l, 1) || getsockname(l, (void *)&a, &al)) return 1;
    pid_t child = fork();
    if (child == 0) {
        pin(atoi(argv[3]));
        int c = accept(l, NULL, NULL);
        for (;;) {
            off_t off = 0;
            while (off < st.st_size)
                if (sendfile(c, fd, &off, st.st_size - off) <= 0) _exit(0);
        }
    }
    pin(atoi(argv[4]));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (void *)&a, sizeof a)) return 1;
    static char buf[8192];
    long long total = 0;
    double t0 = now(), t;
    while ((t = now()) - t0 < secs) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        total += n;
    }
    close(c);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    printf("%lld %f\n", total, t - t0);
    return 0;
}
"""


def ceiling(big, tmp, cpus, secs=5.0):
    """Loopback sendfile ceiling in bytes/s (C via gcc; Python if there is no gcc)."""
    srv_cpu, cli_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (-1, -1)
    gcc = which("gcc") or which("cc")
    if gcc:
        src, exe = os.path.join(tmp, "ceiling.c"), os.path.join(tmp, "ceiling")
        with open(src, "w") as f:
            f.write(CEILING_C)
        if subprocess.run([gcc, "-O2", "-o", exe, src]).returncode == 0:
            out = subprocess.run([exe, big, str(secs), str(srv_cpu), str(cli_cpu)],
                                 capture_output=True, text=True, timeout=secs + 30).stdout.split()
            return float(out[0]) / float(out[1]), "C, sendfile(2) / recv(8 KiB)"
    return ceiling_python(big, secs, srv_cpu, cli_cpu), "Python, os.sendfile / recv(8 KiB)"


def ceiling_python(big, secs, srv_cpu, cli_cpu):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        try:
            if srv_cpu >= 0:
                os.sched_setaffinity(0, {srv_cpu})
            c, _ = lsock.accept()
            size = os.path.getsize(big)
            with open(big, "rb") as f:
                while True:
                    off = 0
                    while off < size:
                        n = os.sendfile(c.fileno(), f.fileno(), off, size - off)
                        if n <= 0:
                            os._exit(0)
                        off += n
        finally:
            os._exit(0)
    lsock.close()
    old = os.sched_getaffinity(0)
    if cli_cpu >= 0:
        os.sched_setaffinity(0, {cli_cpu})
    c = socket.create_connection(("127.0.0.1", port))
    buf = bytearray(8192)
    total, t0 = 0, time.monotonic()
    while (t := time.monotonic()) - t0 < secs:
        n = c.recv_into(buf)
        if not n:
            break
        total += n
    c.close()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.sched_setaffinity(0, old)
    return total / (t - t0)
