# shellcheck shell=bash
# Shared by .ci/check-packaging and the target files next to this one: the check
# counters and their ok/FAIL/skip lines, the tools, the scratch directory, the warden
# binary and a device-like web root, the warden processes a check starts (recorded by
# pid, killed on exit if still running), the demo backend for --proxy (start_backend,
# stopped on exit too), waiting for a log line, credentials files for --auth-file
# (make_auth_file, basic_auth), and http_get/http_post, the HTTP client of these
# checks. Sourced from the repository root under
# `set -euo pipefail`; sourcing it creates the scratch directory and sets the EXIT trap
# that removes it, and runs no check.
#
# Globals the target files read (set here):
#   REPO      the repository root, physical path (also the current directory)
#   SCRATCH   this run's scratch directory (mode 755, so dropped ids can read it)
#   BIN       the warden binary, or empty                                (find_warden)
#   RUNTIME   1 when the runtime checks can run: root and an executable BIN (find_warden)
#   HELP      warden --help's output, or empty without a binary         (find_warden)
#   WWW       a web root like a device's: the demo pages, root-owned    (make_web_root)
#   BACKEND_PID  the last start_backend's demo backend                   (start_backend)
#   HTTP_RESPONSE, HTTP_STATUS_LINE, HTTP_HEADERS   the last http_get's or http_post's answer

export PATH="$PATH:/usr/sbin:/sbin"
# shellcheck disable=SC2034 # REPO and the HTTP_* globals are read by the target files
{
    REPO=$(pwd -P)
    HTTP_RESPONSE="" HTTP_STATUS_LINE="" HTTP_HEADERS=""
}
passed=0
failed=0
skipped=0

# ---- scratch directory and the warden processes started -------------------

SCRATCH=$(mktemp -d)
chmod 755 "$SCRATCH"
# warden processes a check started, by pid (record_pid); cleanup ends those still
# running: only a warden (comm) serving a root under SCRATCH or the sandbox's /srv/www.
started_pids=()
# demo backends start_backend started, by pid; cleanup ends those still running
# (only a process whose command line is that backend's).
backend_pids=()
cleanup() {
    local pid
    for pid in "${started_pids[@]}"; do
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = warden ] || continue
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE -- "--root ($SCRATCH/|/srv/www )"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    for pid in "${backend_pids[@]}"; do
        [ -r "/proc/$pid/cmdline" ] || continue
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "boards/demo/backend/demo-backend.py --listen 127.0.0.1:"; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT
# record_pid PID: PID is a warden this run started (empty: nothing to record).
record_pid() {
    if [ -n "$1" ]; then started_pids+=("$1"); fi
}
# term_and_wait PID: SIGTERM to PID, a background child of this shell (systemd's
# KillSignal); returns its exit status.
term_and_wait() {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1"
}

# ---- counters and check lines ---------------------------------------------

ok() {
    echo "ok    $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL  $1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/        /'
    failed=$((failed + 1))
}
skip() {
    echo "skip  $1"
    skipped=$((skipped + 1))
}
# check WHAT CMD...: CMD must succeed; its output is shown only if it fails.
check() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$what"; else fail "$what" "$out"; fi
}
# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "$(diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") || true)"; fi
}
# need FILE WHAT LINE...: each LINE occurs in FILE (fixed strings).
need() {
    local file=$1 what=$2 line miss=""
    shift 2
    for line in "$@"; do
        grep -qF -- "$line" "$file" || miss+="missing: $line"$'\n'
    done
    if [ -z "$miss" ]; then ok "$what"; else fail "$what" "${miss%$'\n'}"; fi
}
# sh_syntax FILE: `sh -n` under each shell a device may run it with (three checks).
sh_syntax() {
    local sh
    for sh in dash "busybox sh" "bash --posix"; do
        # shellcheck disable=SC2086 # "busybox sh" is two words
        check "sh -n ($sh): $1" $sh -n "$1"
    done
}
# executable FILE: FILE has its x bit (a package installs it as it is).
executable() {
    if [ -x "$1" ]; then ok "$1 is executable"; else fail "$1 is executable"; fi
}
# summary: the skip count, if any, and the line CI reads.
summary() {
    [ "$skipped" -eq 0 ] || echo "($skipped checks skipped)"
    echo "check-packaging: $passed passed, $failed failed"
}

# ---- tools, binary, web root ------------------------------------------------

# install_tools: apt-get installs what is missing (apt-get update only then):
# ShellCheck (all targets), busybox (warden.init, S50warden under BusyBox ash), make
# (OpenWrt Makefile, warden.mk), rsync (warden.mk's rsync step), setpriv and unshare
# (the unit's sandbox), kconfiglib
# for Debian's own python3, not a pyenv or venv one that may come first (Config.in).
install_tools() {
    local missing=() tool pkg
    for tool in shellcheck:shellcheck busybox:busybox make:make rsync:rsync setpriv:util-linux unshare:util-linux; do
        pkg=${tool##*:}
        if ! command -v "${tool%%:*}" >/dev/null 2>&1 && [[ " ${missing[*]} " != *" $pkg "* ]]; then
            missing+=("$pkg")
        fi
    done
    if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import kconfiglib' >/dev/null 2>&1; then
        missing+=(python3-kconfiglib)
    fi
    if [ ${#missing[@]} -gt 0 ]; then
        echo "== installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# find_warden: sets BIN ($WARDEN_BIN, or the release build, made here when cargo is
# installed: one check), RUNTIME and HELP.
# shellcheck disable=SC2034 # RUNTIME and HELP are read by the target files
find_warden() {
    local out
    echo "== warden binary"
    BIN=${WARDEN_BIN:-}
    if [ -z "$BIN" ] && command -v cargo >/dev/null 2>&1; then
        if out=$(cargo build --locked --release 2>&1); then
            BIN=$(cd "${CARGO_TARGET_DIR:-target}" && pwd -P)/release/warden
            ok "cargo build --locked --release: $BIN"
        else
            fail "cargo build --locked --release" "$(printf '%s\n' "$out" | tail -20)"
        fi
    fi
    RUNTIME=""
    if [ -z "$BIN" ]; then
        echo "      no warden binary (set WARDEN_BIN or install cargo): runtime checks skipped"
    elif [ ! -x "$BIN" ]; then
        fail "warden binary $BIN is executable"
    elif [ "$(id -u)" != 0 ]; then
        echo "      not root: runtime checks (chroot, ids, low ports) skipped"
    else
        RUNTIME=1
    fi
    HELP=""
    if [ -n "$BIN" ] && [ -x "$BIN" ]; then HELP=$("$BIN" --help 2>&1 || true); fi
}

# make_web_root: WWW, a web root like a device's: the demo pages, owned by root,
# read-only for others.
make_web_root() {
    WWW=$SCRATCH/www
    cp -R boards/demo/www "$WWW"
    if [ "$(id -u)" = 0 ]; then chown -R 0:0 "$WWW"; fi
    chmod -R u=rwX,go=rX "$WWW"
}

# ---- helpers for the runtime checks -------------------------------------------

# start_backend PORT LOG: the demo backend (boards/demo/backend/demo-backend.py, the
# README's example of a --proxy backend) on 127.0.0.1:PORT, in the background, its
# log in LOG; BACKEND_PID is its pid. Returns non-zero (the log in LOG) if it does
# not say it listens within 5 s.
# shellcheck disable=SC2034 # BACKEND_PID is read by the target files
start_backend() {
    /usr/bin/python3 "$REPO/boards/demo/backend/demo-backend.py" --listen "127.0.0.1:$1" 2>"$2" &
    BACKEND_PID=$!
    backend_pids+=("$BACKEND_PID")
    wait_for "$2" "demo-backend: listening on 127.0.0.1:$1"
}
# stop_backend PID: SIGTERM to a backend start_backend started, and wait for it.
stop_backend() {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# squash TEXT: TEXT on one line, runs of white space as one space.
squash() { printf '%s' "$1" | tr -s '[:space:]' ' ' | sed 's/^ //; s/ $//'; }
# free_port LO HI: a free local TCP port (nothing answers a connect), in [LO, HI).
free_port() {
    local lo=$1 hi=$2 p _
    for _ in $(seq 50); do
        p=$((lo + RANDOM % (hi - lo)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
# proc_state PID: the process's state letter (Z for a zombie), or "gone".
proc_state() {
    local st
    if [ -n "$1" ] && st=$(cat "/proc/$1/stat" 2>/dev/null); then
        st=${st##*) }
        echo "${st%% *}"
    else
        echo gone
    fi
}
# wait_for FILE TEXT: up to 5 s for TEXT to appear in FILE (a log line).
wait_for() {
    local _
    for _ in $(seq 50); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# make_auth_file FILE USER PASSWORD: a credentials file for --auth-file, as the
# packaging docs say to make one: the line USER:HASH, HASH from BIN --hash-password
# (a placeholder hash without a binary), the file mode 600 in a directory of mode 700.
make_auth_file() {
    # shellcheck disable=SC2016 # a literal $6$ hash
    local hash='$6$placeholder$placeholder'
    mkdir -p "$(dirname "$1")"
    chmod 700 "$(dirname "$1")"
    if [ -n "$BIN" ] && [ -x "$BIN" ]; then
        hash=$(printf '%s\n' "$3" | "$BIN" --hash-password) || return 1
    fi
    (umask 077 && printf '%s:%s\n' "$2" "$hash" >"$1")
}
# basic_auth USER PASSWORD: the Authorization field for those credentials.
basic_auth() { printf 'Authorization: Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }

# http_get PORT PATH [HOST [FIELD]]: GET PATH from 127.0.0.1:PORT over HTTP/1.1 with
# Host: HOST (default localhost) and FIELD, one more header line if given (e.g.
# "Authorization: Basic ..."); Connection: close, the response read until the
# server closes, 5 s at most. With http_post, the HTTP client of these checks; both
# run in this shell (no $(...)) and set
#   HTTP_RESPONSE     all that came back, as received, and any connect or read error
#                     (for failure messages)
#   HTTP_STATUS_LINE  the status line, e.g. "HTTP/1.1 200 OK", without its CRLF
#   HTTP_HEADERS      the header fields, one per line, without their CRLFs
# Returns non-zero, with HTTP_STATUS_LINE and HTTP_HEADERS empty, when the connection
# fails or the head is not an HTTP/1.x status line and fields, each ending in CRLF, then
# an empty line.
http_get() {
    local field=""
    [ -z "${4:-}" ] || field=$4$'\r\n'
    http_exchange "$1" "$(printf 'GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n.' \
        "$2" "${3:-localhost}" "$field")" 0
}
# http_post PORT PATH BYTES [HOST [FIELD]]: POST PATH with a body of BYTES bytes ("x"),
# Content-Type: application/octet-stream, Content-Length: BYTES, and an Origin naming
# HOST (default localhost), as a browser's same-site upload has (warden's CSRF rule for
# proxied requests); otherwise as http_get, the answer in the same globals.
http_post() {
    local field=""
    [ -z "${5:-}" ] || field=$5$'\r\n'
    http_exchange "$1" "$(printf 'POST %s HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\n%sContent-Type: application/octet-stream\r\nContent-Length: %s\r\nConnection: close\r\n\r\n.' \
        "$2" "${4:-localhost}" "${4:-localhost}" "$field" "$3")" "$3"
}
# http_exchange PORT REQUEST BYTES: sends REQUEST (its head, ending in "." to keep its
# CRLFs from $(...), dropped here) and BYTES bytes of body, then reads the response
# and sets the HTTP_* globals as http_get says.
# shellcheck disable=SC2034 # HTTP_STATUS_LINE and HTTP_HEADERS are read by the target files
http_exchange() {
    local head rest
    HTTP_RESPONSE="" HTTP_STATUS_LINE="" HTTP_HEADERS=""
    HTTP_RESPONSE=$(
        exec 2>&1 # a connect or read error goes into HTTP_RESPONSE, for the failure message
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf '%s' "${2%.}" >&3
        if [ "$3" -gt 0 ]; then head -c "$3" /dev/zero | tr '\0' x >&3 || true; fi
        timeout 5 cat <&3 || exit
        printf . # keeps the response's last CRLF from $(...)
    ) || return 1
    HTTP_RESPONSE=${HTTP_RESPONSE%.}
    head=${HTTP_RESPONSE%%$'\r\n\r\n'*}
    [ "$head" != "$HTTP_RESPONSE" ] || return 1 # no empty line: the head is incomplete
    rest=${head//$'\r\n'/}
    [[ $rest != *[$'\r\n']* ]] || return 1 # a bare CR or LF in the head
    [[ ${head%%$'\r\n'*} == HTTP/1.[01]\ [1-5][0-9][0-9]\ * ]] || return 1
    HTTP_STATUS_LINE=${head%%$'\r\n'*}
    if [[ $head == *$'\r\n'* ]]; then
        rest=${head#*$'\r\n'}
        HTTP_HEADERS=${rest//$'\r\n'/$'\n'}
    fi
}
