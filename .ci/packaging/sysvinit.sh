# shellcheck shell=bash
# sysvinit: boards/sysvinit/S50warden and warden.default (BusyBox or sysvinit systems,
# and Buildroot's init script), since the script must start, supervise and stop warden
# under the shells such systems have:
#   sh -n, shellcheck; then start/status/restart/stop run for real under dash and
#   BusyBox ash (a copy reading a test defaults file; logger replaced to capture the
#   log): the pidfile holds warden's pid, HTTP 200 with the defaults file's
#   Cache-Control, warden's log through the FIFO to logger, clean stop, a bad flag and
#   a missing web root reported as FAIL.
# Sourced by .ci/check-packaging after lib.sh (SCRATCH, BIN, RUNTIME, WWW).

SYSV=boards/sysvinit/S50warden
SYSV_DEFAULT=boards/sysvinit/warden.default

echo "== sysvinit: $SYSV"
sh_syntax "$SYSV"
sh_syntax "$SYSV_DEFAULT"
check "shellcheck -s sh: $SYSV" shellcheck -s sh "$SYSV"
check "shellcheck -s sh -e SC2034: $SYSV_DEFAULT (sourced settings)" shellcheck -s sh -e SC2034 "$SYSV_DEFAULT"
executable "$SYSV"
need "$SYSV" "S50warden: background start with the pid kept, stderr to logger, /etc/default/warden" \
    '#!/bin/sh' 'PIDFILE=/var/run/warden.pid' '. /etc/default/warden' 'pid=$!' 'logger -t' \
    'mkfifo' 'kill -TERM' 'start | stop | status)' 'restart | reload)'
if [ -z "$RUNTIME" ]; then
    skip "S50warden run for real (needs root and a binary)"
else
    V=$SCRATCH/sysv
    mkdir -p "$V/bin"
    # logger stand-in: "logger -t TAG -p PRIO" appends "TAG: LINE" per line of stdin.
    cat >"$V/bin/logger" <<EOF
#!/bin/sh
tag=logger
while getopts t:p: o; do case \$o in t) tag=\$OPTARG ;; esac; done
while IFS= read -r line; do printf '%s: %s\\n' "\$tag" "\$line" >>"$V/log"; done
EOF
    chmod 755 "$V/bin/logger"
    sed "s|/etc/default/warden|$V/default|g" "$SYSV" >"$V/S50warden"
    for sh in dash "busybox sh"; do
        port=$(free_port 20000 60000)
        cat >"$V/default" <<EOF
DAEMON=$BIN
PIDFILE=$V/warden.pid
LOGFIFO=$V/warden.stderr
WARDEN_ROOT=$WWW
WARDEN_LISTEN="127.0.0.1:$port"
WARDEN_CACHE_CONTROL="max-age=60, public"
WARDEN_ARGS="--strict --max-connections 8"
EOF
        : >"$V/log"
        initd() { # shellcheck disable=SC2086 # "busybox sh" is two words
            PATH="$V/bin:$PATH" $sh "$V/S50warden" "$@" 2>&1; }
        t="S50warden ($sh)"
        rc=0; out=$(initd status) || rc=$?
        expect_eq "$t: status before start -> 3, not running" "$rc|$out" "3|warden is not running"
        rc=0; out=$(initd start) || rc=$?
        pid1=$(cat "$V/warden.pid" 2>/dev/null || true)
        record_pid "$pid1"
        expect_eq "$t: start -> OK" "$rc|$out" "0|Starting warden: OK"
        if [ -n "$pid1" ] && [ "$(cat "/proc/$pid1/comm" 2>/dev/null)" = warden ]; then
            ok "$t: the pidfile holds warden's own pid ($pid1)"
        else
            fail "$t: the pidfile holds warden's own pid" "pid '$pid1'"
        fi
        rc=0; out=$(initd status) || rc=$?
        expect_eq "$t: status -> 0, running" "$rc|$out" "0|warden is running (pid $pid1)"
        if http_get "$port" / && [ "$HTTP_STATUS_LINE" = "HTTP/1.1 200 OK" ] &&
            grep -qxF 'Cache-Control: max-age=60, public' <<<"$HTTP_HEADERS"; then
            ok "$t: GET / -> 200 with the Cache-Control from the defaults file"
        else
            fail "$t: GET / -> 200 with the Cache-Control from the defaults file" "$(head -12 <<<"$HTTP_RESPONSE")"
        fi
        if wait_for "$V/log" "warden: listening on http://127.0.0.1:$port" && wait_for "$V/log" '"GET / HTTP/1.1" 200'; then
            ok "$t: warden's stderr reaches logger -t warden (startup line, access log)"
        else
            fail "$t: warden's stderr reaches logger -t warden" "$(cat "$V/log")"
        fi
        if grep -q 'stderr is a regular file' "$V/log"; then fail "$t: stderr is a pipe, not a file" "$(cat "$V/log")"; fi
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: start again -> already running" "$rc|$out" "0|Starting warden: already running (pid $pid1)"
        rc=0; out=$(initd restart) || rc=$?
        pid2=$(cat "$V/warden.pid" 2>/dev/null || true)
        record_pid "$pid2"
        expect_eq "$t: restart -> stopped and started" "$rc|$out" $'0|Stopping warden: OK\nStarting warden: OK'
        state=$(proc_state "$pid1")
        if [ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && { [ "$state" = gone ] || [ "$state" = Z ]; }; then
            ok "$t: restart replaced the process ($pid1 -> $pid2)"
        else
            fail "$t: restart replaced the process" "$pid1 -> $pid2"
        fi
        rc=0; out=$(initd stop) || rc=$?
        expect_eq "$t: stop -> OK" "$rc|$out" "0|Stopping warden: OK"
        state=$(proc_state "$pid2")
        if [ ! -e "$V/warden.pid" ] && { [ "$state" = gone ] || [ "$state" = Z ]; }; then
            ok "$t: after stop, warden has exited and the pidfile is gone"
        else
            fail "$t: after stop, warden has exited and the pidfile is gone" "state $state"
        fi
        rc=0; out=$(initd status) || rc=$?
        expect_eq "$t: status after stop -> 3" "$rc|$out" "3|warden is not running"
        rc=0; out=$(initd stop) || rc=$?
        expect_eq "$t: stop when stopped -> not running, 0" "$rc|$out" "0|Stopping warden: not running"
        # A start-up failure (exit 2) is reported, with warden's line in the log.
        sed -i 's/^WARDEN_ARGS=.*/WARDEN_ARGS="--bogus"/' "$V/default"
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: start with a bad flag -> FAIL, 1" "$rc|$out" "1|Starting warden: FAIL (see the syslog: logread | grep warden)"
        if wait_for "$V/log" "warden: warden: Unrecognized argument: --bogus" && [ ! -e "$V/warden.pid" ]; then
            ok "$t: the bad flag's error line is in the log, no pidfile left"
        else
            fail "$t: the bad flag's error line is in the log, no pidfile left" "$(cat "$V/log")"
        fi
        sed -i "s|^WARDEN_ROOT=.*|WARDEN_ROOT=$SCRATCH/no-such-root|" "$V/default"
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: start with a missing web root -> FAIL, 1" "$rc|$out" "1|Starting warden: FAIL (web root $SCRATCH/no-such-root is not a directory)"
    done
fi
