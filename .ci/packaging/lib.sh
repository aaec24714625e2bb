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

# ---- HTTPS: the init scripts' certificate block, stand-ins, a client ----------

# TLS_BLOCK_FILES: the four scripts that carry the same certificate block (between
# "# >>> warden-tls" and "# <<< warden-tls"): made, checked and tested in tls.sh.
# shellcheck disable=SC2034 # read by the target files
TLS_BLOCK_FILES=(boards/openwrt/warden/files/warden.init boards/sysvinit/S50warden
    boards/openrc/warden.initd boards/systemd/warden-tls-cert)
# tls_block FILE: that block's lines.
tls_block() { sed -n '/^# >>> warden-tls/,/^# <<< warden-tls/p' "$1"; }

# make_tls_stubs: TLS_STUBS, stand-ins for the HTTPS checks (no warden binary or
# px5g needed), all under one scratch directory:
#   tls/warden, notls/warden, old/warden   a warden whose --version says it has TLS,
#       "no TLS", or nothing about TLS (older than it); run otherwise, each records
#       its argv as <a><b>... in the file argv beside it and waits for SIGTERM (a
#       stand-in daemon whose comm is warden)
#   px5g/px5g          px5g as OpenWrt's px5g-mbedtls: records its argv (one line of
#       <a><b>... per run) in $TLS_STUBS/px5g.argv and makes what `px5g selfsigned`
#       makes, with openssl: an EC key (SEC1 PEM, mode 600) and a certificate (PEM,
#       644) for -subj, valid -days
#   px5g-broken/px5g   writes half a key, says "error: key generation failed", exits 1
#   px5g-slow/px5g     writes half a key, then waits (for a kill)
#   logger/logger      appends "PRIORITY TAG: MESSAGE" per call (or per stdin line)
#       to $TLS_STUBS/logger.log
#   path-no-px5g, path-none   PATH directories: every command of /usr/bin, /bin,
#       /usr/sbin and /sbin but px5g (path-no-px5g) or px5g and openssl (path-none)
# and TLS_MARK, the file a hostile value's payload would create (checked absent).
# shellcheck disable=SC2034,SC2016 # TLS_STUBS, TLS_MARK are read by the target files; '$...' literal
make_tls_stubs() {
    local d v dir f
    TLS_STUBS=$SCRATCH/tls-stubs
    TLS_MARK=$SCRATCH/tls-injected
    mkdir -p "$TLS_STUBS"
    for v in tls notls old; do
        case $v in
        tls) d='logins ($6$/$5$ SHA-crypt, bcrypt), reverse proxy, Landlock, seccomp allowlist (x86_64); TLS (rustls, ring; TLS 1.3 and 1.2; up to 32 connections of 51717 B)' ;;
        notls) d='logins ($6$/$5$ SHA-crypt, bcrypt), reverse proxy, Landlock, seccomp allowlist (x86_64); no TLS (built without the tls feature)' ;;
        old) d='logins ($6$/$5$ SHA-crypt, bcrypt), reverse proxy, Landlock, seccomp allowlist (x86_64)' ;;
        esac
        mkdir -p "$TLS_STUBS/$v"
        cat >"$TLS_STUBS/$v/warden" <<STUB
#!/bin/sh
if [ "\$1" = --version ]; then
    printf '%s\n' 'warden 0.1.0 (stand-in)' 'target: x86_64-unknown-linux-gnu' 'built in: $d'
    exit 0
fi
printf '<%s>' "\$@" >"$TLS_STUBS/$v/argv"
trap 'exit 0' TERM
while :; do sleep 1; done
STUB
        chmod 755 "$TLS_STUBS/$v/warden"
    done
    mkdir -p "$TLS_STUBS/px5g" "$TLS_STUBS/px5g-broken" "$TLS_STUBS/px5g-slow" "$TLS_STUBS/logger"
    cat >"$TLS_STUBS/px5g/px5g" <<STUB
#!/bin/sh
printf '<%s>' "\$@" >>"$TLS_STUBS/px5g.argv"
echo >>"$TLS_STUBS/px5g.argv"
[ "\$1" = selfsigned ] || exit 1
shift
days=30 key="" crt="" subj=""
while [ "\$#" -gt 0 ]; do
    case "\$1" in
    -days) days=\$2; shift ;;
    -keyout) key=\$2; shift ;;
    -out) crt=\$2; shift ;;
    -subj) subj=\$2; shift ;;
    -newkey | -pkeyopt) shift ;;
    esac
    shift
done
openssl ecparam -name prime256v1 -genkey -noout -out "\$key" 2>/dev/null &&
    openssl req -x509 -new -key "\$key" -days "\$days" -subj "\$subj" -out "\$crt" 2>/dev/null || exit 1
chmod 600 "\$key"
chmod 644 "\$crt"
echo "Generating selfsigned certificate with subject '\${subj#/}'" >&2
STUB
    printf '#!/bin/sh\nprintf -- "-----BEGIN EC PRIV" >"$9"\necho "error: key generation failed" >&2\nexit 1\n' >"$TLS_STUBS/px5g-broken/px5g"
    printf '#!/bin/sh\nprintf -- "-----BEGIN EC PRIV" >"$9"\nexec sleep 60\n' >"$TLS_STUBS/px5g-slow/px5g"
    cat >"$TLS_STUBS/logger/logger" <<STUB
#!/bin/sh
tag=logger prio=user.notice
while getopts t:p: o; do
    case \$o in t) tag=\$OPTARG ;; p) prio=\$OPTARG ;; esac
done
shift \$((OPTIND - 1))
if [ "\$#" -gt 0 ]; then
    printf '%s %s: %s\n' "\$prio" "\$tag" "\$*" >>"$TLS_STUBS/logger.log"
else
    while IFS= read -r line; do printf '%s %s: %s\n' "\$prio" "\$tag" "\$line" >>"$TLS_STUBS/logger.log"; done
fi
STUB
    chmod 755 "$TLS_STUBS"/px5g*/px5g "$TLS_STUBS/logger/logger"
    for dir in path-no-px5g path-none; do
        mkdir -p "$TLS_STUBS/$dir"
        # The first of each name, in PATH order (ln reports the later ones: exist).
        ln -s -t "$TLS_STUBS/$dir" /usr/bin/* /bin/* /usr/sbin/* /sbin/* 2>/dev/null || true
        rm -f "$TLS_STUBS/$dir/px5g"
        [ "$dir" = path-no-px5g ] || rm -f "$TLS_STUBS/$dir/openssl"
    done
}

# cert_summary CERT KEY: what the checks compare of a made pair, one line:
# "subject=CN = NAME issuer=CN = NAME curve=prime256v1 days=730 ca=CA:FALSE
# san=DNS:NAME match=yes key=600 cert=644" (san and ca as openssl prints them,
# "-" when absent; match: the key's public key is the certificate's).
cert_summary() {
    local crt=$1 key=$2 start end days ca san match=no
    start=$(date -d "$(openssl x509 -in "$crt" -noout -startdate | cut -d= -f2)" +%s)
    end=$(date -d "$(openssl x509 -in "$crt" -noout -enddate | cut -d= -f2)" +%s)
    days=$(((end - start) / 86400))
    ca=$(openssl x509 -in "$crt" -noout -ext basicConstraints 2>/dev/null | sed -n 's/^ *\(CA:[A-Z]*\).*/\1/p')
    san=$(openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | sed -n 's/^ *\(DNS:.*\)/\1/p')
    if [ "$(openssl x509 -in "$crt" -noout -pubkey)" = "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]; then match=yes; fi
    printf '%s %s curve=%s days=%s ca=%s san=%s match=%s key=%s cert=%s\n' \
        "$(openssl x509 -in "$crt" -noout -subject)" "$(openssl x509 -in "$crt" -noout -issuer)" \
        "$(openssl x509 -in "$crt" -noout -text | sed -n 's/^ *ASN1 OID: //p')" "$days" "${ca:--}" "${san:--}" \
        "$match" "$(stat -c %a "$key")" "$(stat -c %a "$crt")"
}
# cert_sha256 CERT: the SHA-256 of the certificate's DER bytes (what a client sees).
cert_sha256() { openssl x509 -in "$1" -outform der | sha256sum | cut -c1-64; }

# https_get PORT PATH: GET PATH over TLS from 127.0.0.1:PORT with Host: localhost,
# without checking the certificate (self-signed); prints the status line
# ("HTTP/1.1 200 OK") and "sha256 HEX", the served certificate's SHA-256 (as
# cert_sha256). Non-zero, with the error, when the handshake or request fails.
https_get() {
    /usr/bin/python3 - "$1" "$2" <<'PY' 2>&1
import hashlib, http.client, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=5)
c.connect()
der = c.sock.getpeercert(binary_form=True)
c.request("GET", sys.argv[2], headers={"Host": "localhost"})
r = c.getresponse()
r.read()
print(f"HTTP/1.1 {r.status} {r.reason}")
print("sha256", hashlib.sha256(der).hexdigest())
PY
}
