"""wardenbench: the Python harness behind benches/run, and the HTTP reader that
benches/soak and benches/memory_probe.py share with it.

One job per module:

  util      repository path, root or not, the log line, finding programs
  install   apt-get the peers and wrk; stop a service an install started
  build     warden's release, static and armv7 builds
  data      the web root every server serves (and the logins' and proxy's small ones)
  http      the one HTTP/1.1 response reader (and a one-shot GET built on it)
  process   one server as a process group in a cgroup of its own: CPU, RSS, stop
  servers   the server table: names, binaries, command lines and config files
  load      wrk runs and the held idle connections
  ceiling   the loopback sendfile ceiling (a C program, or Python without gcc)
  measure   one server, one round: start, measure, stop
  logins    warden's logins: time per verification, loop stall while 4 verify
  proxy     the reverse proxies: warden, nginx, lighttpd in front of one backend
  tls       HTTPS: warden, lighttpd, nginx on one certificate, side by side
  report    per-round numbers, table cells and the markdown document
  cli       flags, defaults and the sequence of a run; exit status

Python 3 standard library only.
"""
