# shellcheck shell=bash
# sysvinit: boards/sysvinit/S50warden and warden.default (BusyBox or sysvinit systems,
# and Buildroot's init script), since the script must start, supervise and stop warden
# under the shells such systems have:
#   sh -n, shellcheck; then start/status/restart/stop run for real under dash and
#   BusyBox ash (a copy reading a test defaults file; logger replaced to capture the
#   log): the pidfile holds warden's pid, its exact argv (lists one flag per entry,
#   header lines with spaces and quotes one argument each), HTTP 200 with the
#   defaults file's Cache-Control and headers, the Host guard (421), a login for a
#   protected path (401, then 200), WARDEN_PROXY to the demo backend (the logged-in
#   user forwarded, an upload under WARDEN_PROXY_MAX_BODY's limit relayed, a body over
#   WARDEN_ARGS' --max-body refused with 413), WARDEN_ARGS' --seccomp=kill
#   --require-seccomp reaching warden (its seccomp confinement line in the log: a
#   killing filter installed), warden's log through the FIFO to
#   logger, clean stop, a bad flag, a missing web root and a missing auth file
#   reported as FAIL. Nothing proxied by default (grep). WARDEN_USER reaches warden
#   (--user 480:480: its uids in /proc). The real runs set WARDEN_SYSLOG=no (the log
#   through the FIFO, and a binary may not know --syslog yet); the default (yes:
#   --syslog, with WARDEN_SYSLOG_FACILITY --syslog-facility) is checked on the command
#   line S50warden starts, with a stand-in daemon that records its argv (as root, no
#   binary needed), and WARDEN_SYSLOG=maybe is refused.
# Sourced by .ci/check-packaging after lib.sh (SCRATCH, BIN, RUNTIME, WWW).
# shellcheck disable=SC2016 # literal $... shell text in single quotes

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
need "$SYSV" "S50warden: login, Host guard and header settings, one flag per entry" \
    'WARDEN_AUTH_FILE=""' 'WARDEN_PROTECT=""' 'WARDEN_ALLOW_HOST=""' 'WARDEN_HEADERS=""' \
    '--auth-file "$WARDEN_AUTH_FILE"' '--protect "$prefix"' '--allow-host "$name"' '--header "$header"'
need "$SYSV" "S50warden: proxy settings, one flag per entry" \
    'WARDEN_PROXY=""' 'WARDEN_PROXY_MAX_BODY=""' '--proxy "$route"' '--proxy-max-body "$limit"'
need "$SYSV" "S50warden: WARDEN_USER (--user), WARDEN_SYSLOG=yes by default (--syslog, --syslog-facility)" \
    'WARDEN_USER=""' '--user "$WARDEN_USER"' 'WARDEN_SYSLOG=yes' 'WARDEN_SYSLOG_FACILITY=""' \
    'set -- "$@" --syslog' '--syslog-facility "$WARDEN_SYSLOG_FACILITY"'
need "$SYSV_DEFAULT" "warden.default: WARDEN_USER and WARDEN_SYSLOG documented, commented out" \
    '#WARDEN_USER="65534:65534"' '#WARDEN_SYSLOG=yes' '#WARDEN_SYSLOG_FACILITY=local0' '--syslog-socket PATH'
need "$SYSV_DEFAULT" "warden.default: the proxy settings documented, examples commented out" \
    '#WARDEN_PROXY="/api=127.0.0.1:9000"' '#WARDEN_PROXY_MAX_BODY="/api/firmware=64m"' \
    '--max-body 64k' '--proxy-timeout 30' '--proxy-allow-remote'
if grep -nE '^[[:space:]]*(WARDEN_PROXY(_MAX_BODY)?=|WARDEN_ARGS=.*--(proxy|max-body))' "$SYSV_DEFAULT"; then
    fail "warden.default: nothing proxied by default (no WARDEN_PROXY, WARDEN_PROXY_MAX_BODY or proxy flag set)"
else
    ok "warden.default: nothing proxied by default (no WARDEN_PROXY, WARDEN_PROXY_MAX_BODY or proxy flag set)"
fi
need "$SYSV_DEFAULT" "warden.default: the new settings documented, examples commented out" \
    '#WARDEN_AUTH_FILE=/etc/warden/htpasswd' '#WARDEN_PROTECT="' '#WARDEN_ALLOW_HOST="' \
    '#WARDEN_HEADERS="' '#	X-Frame-Options: SAMEORIGIN' 'warden --hash-password' '--allow-any-host'
need "$SYSV" "S50warden: HTTPS settings, one --listen-tls per entry; the certificate made (or HTTPS off, said)" \
    'WARDEN_LISTEN_TLS=""' 'WARDEN_TLS_CERT=/etc/warden/warden.crt' 'WARDEN_TLS_KEY=/etc/warden/warden.key' \
    'WARDEN_REDIRECT_HTTPS=no' 'WARDEN_MAX_TLS_CONNECTIONS=""' 'set -- "$@" --listen-tls "$addr"' \
    'set -- "$@" --tls-cert "$WARDEN_TLS_CERT" --tls-key "$WARDEN_TLS_KEY"' 'set -- "$@" --redirect-https' \
    'warden_has_tls "$DAEMON"' 'warden_tls_cert "$WARDEN_TLS_CERT" "$WARDEN_TLS_KEY" "$(warden_hostname)"' \
    'logger -t "$LOG_TAG" -p daemon.warn'
need "$SYSV_DEFAULT" "warden.default: HTTPS documented, commented out" \
    '#WARDEN_LISTEN_TLS="0.0.0.0:443 [::]:443"' '#WARDEN_TLS_CERT=/etc/warden/warden.crt' \
    '#WARDEN_TLS_KEY=/etc/warden/warden.key' '#WARDEN_REDIRECT_HTTPS=yes' '#WARDEN_MAX_TLS_CONNECTIONS=8' \
    'px5g' 'openssl' '"no TLS"'
if grep -nE '^[[:space:]]*WARDEN_(LISTEN_TLS|REDIRECT_HTTPS)=' "$SYSV_DEFAULT"; then
    fail "warden.default: HTTPS off by default (WARDEN_LISTEN_TLS, WARDEN_REDIRECT_HTTPS commented out)"
else
    ok "warden.default: HTTPS off by default (WARDEN_LISTEN_TLS, WARDEN_REDIRECT_HTTPS commented out)"
fi
if grep -nE '^[[:space:]]*WARDEN_(AUTH_FILE|PROTECT)=' "$SYSV_DEFAULT"; then
    fail "warden.default: no login set by default"
else
    ok "warden.default: no login set by default"
fi
# The command line S50warden starts with WARDEN_SYSLOG unset (its default, yes): a
# stand-in daemon named warden (so S50warden's pid check knows it) records its argv
# and waits for SIGTERM. No warden binary needed; as root (the defaults file must be
# root's).
if [ "$(id -u)" != 0 ]; then
    skip "S50warden's command line with WARDEN_SYSLOG's default (needs root)"
else
    A=$SCRATCH/sysv-argv
    mkdir -p "$A/bin" "$A/fake"
    printf '#!/bin/sh\nexec cat >/dev/null\n' >"$A/bin/logger"
    printf '#!/bin/sh\nprintf "<%%s>" "$@" >%s/argv\nwhile :; do sleep 1; done\n' "$A" >"$A/fake/warden"
    chmod 755 "$A/bin/logger" "$A/fake/warden"
    sed "s|/etc/default/warden|$A/default|g" "$SYSV" >"$A/S50warden"
    for sh in dash "busybox sh"; do
        cat >"$A/default" <<EOF
DAEMON=$A/fake/warden
PIDFILE=$A/warden.pid
LOGFIFO=$A/warden.stderr
WARDEN_ROOT=$WWW
WARDEN_LISTEN="127.0.0.1:8080 [::1]:8080"
WARDEN_USER="480:480"
WARDEN_SYSLOG_FACILITY=local0
WARDEN_ARGS="--strict"
EOF
        chmod 644 "$A/default"
        rm -f "$A/argv"
        t="S50warden ($sh, stand-in daemon)"
        # shellcheck disable=SC2086 # "busybox sh" is two words
        rc=0; out=$(PATH="$A/bin:$PATH" $sh "$A/S50warden" start 2>&1) || rc=$?
        record_pid "$(cat "$A/warden.pid" 2>/dev/null || true)"
        wait_for "$A/argv" "--strict" || true
        expect_eq "$t: WARDEN_SYSLOG unset -> --syslog (the default), --syslog-facility, --user after the listeners" \
            "$rc|$out|$(cat "$A/argv" 2>/dev/null)" \
            "0|Starting warden: OK|<--root><$WWW><--listen><127.0.0.1:8080><--listen><[::1]:8080><--user><480:480><--syslog><--syslog-facility><local0><--strict>"
        # shellcheck disable=SC2086
        rc=0; out=$(PATH="$A/bin:$PATH" $sh "$A/S50warden" stop 2>&1) || rc=$?
        expect_eq "$t: stop -> OK" "$rc|$out" "0|Stopping warden: OK"
        printf 'WARDEN_SYSLOG=maybe\n' >>"$A/default"
        # shellcheck disable=SC2086
        rc=0; out=$(PATH="$A/bin:$PATH" $sh "$A/S50warden" start 2>&1) || rc=$?
        expect_eq "$t: WARDEN_SYSLOG=maybe -> start FAIL (yes or no), nothing started" \
            "$rc|$out|$([ -e "$A/warden.pid" ] && echo pidfile || echo 'no pidfile')" \
            "1|Starting warden: FAIL (WARDEN_SYSLOG is 'maybe': yes or no)|no pidfile"
    done
fi

# HTTPS, with stand-in daemons (lib.sh's: a warden with TLS or without, recording its
# argv) and a host name of the test's own (a new UTS namespace), as root: start makes
# the certificate (openssl, or px5g), passes the flags, says what it did after OK and
# in the syslog; without TLS or a tool, starts without HTTPS and says why. Each start
# waits a second (S50warden's check that warden stayed up): the cases beyond these,
# under both shells, are tls.sh's, on the block itself.
if [ "$(id -u)" != 0 ]; then
    skip "S50warden with WARDEN_LISTEN_TLS (needs root)"
else
    SV=$SCRATCH/sysv-tls
    mkdir -p "$SV"
    sed "s|/etc/default/warden|$SV/default|g" "$SYSV" >"$SV/S50warden"
    # sysv_tls SHELL DAEMON PATH HOSTNAME [LINE...]: S50warden start under SHELL, with a
    # defaults file naming DAEMON, root WWW, listen 127.0.0.1:8080, HTTPS on
    # 127.0.0.1:8443 and [::1]:8443, the certificate and key in $SV/c, WARDEN_SYSLOG=no,
    # then LINE...; PATH: lib.sh's logger, then PATH; in a new UTS namespace whose host
    # name is HOSTNAME. Sets sv_out ("STATUS|OUTPUT") and sv_argv (the stand-in's argv),
    # then kills the stand-in.
    sysv_tls() {
        local sh=$1 daemon=$2 path=$3 host=$4 rc=0 out pid
        shift 4
        printf '%s\n' "DAEMON=$daemon" "PIDFILE=$SV/warden.pid" "LOGFIFO=$SV/warden.stderr" "WARDEN_ROOT=$WWW" \
            'WARDEN_LISTEN="127.0.0.1:8080"' 'WARDEN_LISTEN_TLS="127.0.0.1:8443 [::1]:8443"' \
            "WARDEN_TLS_CERT=$SV/c/warden.crt" "WARDEN_TLS_KEY=$SV/c/warden.key" 'WARDEN_SYSLOG=no' "$@" >"$SV/default"
        chmod 644 "$SV/default"
        rm -f "${daemon%/*}/argv" "$SV/warden.pid"
        # shellcheck disable=SC2086 # "busybox sh" is two words
        out=$(PATH="$TLS_STUBS/logger:$path" unshare -u /usr/bin/python3 -c \
            'import os, socket, sys; socket.sethostname(sys.argv[1]); os.execvp(sys.argv[2], sys.argv[2:])' \
            "$host" $sh "$SV/S50warden" start 2>&1) || rc=$?
        sv_out="$rc|$out" sv_argv=""
        pid=$(cat "$SV/warden.pid" 2>/dev/null || true)
        if [ -n "$pid" ]; then
            record_pid "$pid"
            wait_for "${daemon%/*}/argv" "<--root>" || true
            sv_argv=$(cat "${daemon%/*}/argv" 2>/dev/null || true)
            kill -KILL "$pid" 2>/dev/null || true
            rm -f "$SV/warden.pid"
        fi
    }
    svc="$SV/c/warden.crt" svk="$SV/c/warden.key"
    sv_http="<--root><$WWW><--listen><127.0.0.1:8080>"
    sv_https="$sv_http<--listen-tls><127.0.0.1:8443><--listen-tls><[::1]:8443><--tls-cert><$svc><--tls-key><$svk>"
    for sh in dash "busybox sh"; do
        t="S50warden ($sh, stand-in daemon)"
        rm -rf "${SV:?}/c"
        : >"$TLS_STUBS/logger.log"
        sysv_tls "$sh" "$TLS_STUBS/tls/warden" "$TLS_STUBS/path-no-px5g" gw-sysv \
            'WARDEN_REDIRECT_HTTPS=yes' 'WARDEN_MAX_TLS_CONNECTIONS=8'
        made="made a self-signed certificate for CN=gw-sysv (openssl, ECDSA P-256, 730 days): $svc, its key $svk"
        expect_eq "$t, WARDEN_LISTEN_TLS, no certificate, openssl: made (said after OK and in the syslog), HTTPS flags, redirect, max connections" \
            "$sv_out|$sv_argv|$(grep -v '^daemon.info' "$TLS_STUBS/logger.log")" \
            "0|Starting warden: OK ($made)|$sv_https<--max-tls-connections><8><--redirect-https>|daemon.notice warden: $made"
        if [ -s "$svc" ]; then
            expect_eq "$t: the certificate: CN = the host name, P-256, key 600" \
                "$(cert_summary "$svc" "$svk" | grep -o 'subject=CN = [^ ]*\|curve=[^ ]*\|match=[a-z]*\|key=[0-9]*' | tr '\n' ' ')" \
                "subject=CN = gw-sysv curve=prime256v1 match=yes key=600 "
        else
            fail "$t: the certificate is made" "$(ls -la "$SV/c" 2>&1)"
        fi
        if [ "$sh" = dash ]; then
            before=$(sha256sum "$svc" "$svk" 2>&1)
            sysv_tls "$sh" "$TLS_STUBS/tls/warden" "$TLS_STUBS/path-no-px5g" gw-other
            expect_eq "$t: started again -> the certificate there is used, not made over (plain OK)" \
                "$sv_out|$sv_argv|$(sha256sum "$svc" "$svk" 2>&1)" "0|Starting warden: OK|$sv_https|$before"
        fi
        : >"$TLS_STUBS/logger.log"
        sysv_tls "$sh" "$TLS_STUBS/notls/warden" "$TLS_STUBS/path-no-px5g" gw-sysv 'WARDEN_REDIRECT_HTTPS=yes'
        expect_eq "$t, a warden whose --version says \"no TLS\": started without any HTTPS flag, said after OK and as a warning in the syslog" \
            "$sv_out|$sv_argv|$(grep -v '^daemon.info' "$TLS_STUBS/logger.log")" \
            "0|Starting warden: OK (without HTTPS: $TLS_STUBS/notls/warden is built without TLS (its --version says no TLS))|$sv_http|daemon.warn warden: WARDEN_LISTEN_TLS ignored: $TLS_STUBS/notls/warden is built without TLS (its --version says no TLS): started without HTTPS"
    done
    t="S50warden (dash, stand-in daemon)"
    rm -rf "${SV:?}/c"
    : >"$TLS_STUBS/logger.log"
    sysv_tls dash "$TLS_STUBS/tls/warden" "$TLS_STUBS/path-none" gw-sysv 'WARDEN_REDIRECT_HTTPS=yes'
    w="no certificate at $svc: neither px5g nor openssl is installed to make one"
    expect_eq "$t, neither px5g nor openssl: started without any HTTPS flag, said after OK and as a warning, nothing made" \
        "$sv_out|$sv_argv|$(grep -v '^daemon.info' "$TLS_STUBS/logger.log")|$([ -e "$SV/c" ] && echo made || echo 'not made')" \
        "0|Starting warden: OK (without HTTPS: $w)|$sv_http|daemon.warn warden: WARDEN_TLS_CERT/WARDEN_TLS_KEY: $w; started without HTTPS|not made"
    # px5g installed, and a hostile host name (/O=, ;, $(...)): px5g is given
    # -subj /CN=warden, nothing is run.
    : >"$TLS_STUBS/px5g.argv"
    rm -f "$TLS_MARK"
    sysv_tls dash "$TLS_STUBS/tls/warden" "$TLS_STUBS/px5g:$TLS_STUBS/path-no-px5g" "gw/O=evil;\$(touch $TLS_MARK)"
    expect_eq "$t, px5g installed, a hostile host name: px5g makes the pair (uhttpd's arguments, -subj /CN=warden), nothing run" \
        "${sv_out%% (*}|$(sed -E 's/\.warden-tls\.[A-Za-z0-9]{6}/.X/g' "$TLS_STUBS/px5g.argv")|$sv_argv|$([ -e "$TLS_MARK" ] && echo ran || echo 'not run')" \
        "0|Starting warden: OK|<selfsigned><-days><730><-newkey><ec><-pkeyopt><ec_paramgen_curve:P-256><-keyout><$SV/c/.X/key><-out><$SV/c/.X/crt><-subj></CN=warden>|$sv_https|not run"
    sysv_tls dash "$TLS_STUBS/tls/warden" "$TLS_STUBS/path-no-px5g" gw-sysv 'WARDEN_REDIRECT_HTTPS=maybe'
    expect_eq "$t: WARDEN_REDIRECT_HTTPS=maybe -> start FAIL (yes or no), nothing started" "$sv_out|$sv_argv" \
        "1|Starting warden: FAIL (WARDEN_REDIRECT_HTTPS is 'maybe': yes or no)|"
fi

if [ -z "$RUNTIME" ]; then
    skip "S50warden run for real (needs root and a binary)"
else
    V=$SCRATCH/sysv
    mkdir -p "$V/bin"
    # logger stand-in: "logger -t TAG -p PRIO [MESSAGE]" appends "TAG: LINE" per line of
    # stdin (or "TAG: MESSAGE").
    cat >"$V/bin/logger" <<EOF
#!/bin/sh
tag=logger
while getopts t:p: o; do case \$o in t) tag=\$OPTARG ;; esac; done
shift \$((OPTIND - 1))
if [ "\$#" -gt 0 ]; then printf '%s: %s\\n' "\$tag" "\$*" >>"$V/log"; exit 0; fi
while IFS= read -r line; do printf '%s: %s\\n' "\$tag" "\$line" >>"$V/log"; done
EOF
    chmod 755 "$V/bin/logger"
    sed "s|/etc/default/warden|$V/default|g" "$SYSV" >"$V/S50warden"
    make_auth_file "$V/etc/htpasswd" admin 'sysv pass'
    # The backend WARDEN_PROXY points at: the demo's, on loopback.
    bport=$(free_port 20000 60000)
    if start_backend "$bport" "$V/backend.log"; then
        ok "demo backend listening on 127.0.0.1:$bport (the proxied /api)"
    else
        fail "demo backend listening on 127.0.0.1:$bport (the proxied /api)" "$(cat "$V/backend.log")"
    fi
    for sh in dash "busybox sh"; do
        port=$(free_port 20000 60000)
        cat >"$V/default" <<EOF
DAEMON=$BIN
PIDFILE=$V/warden.pid
LOGFIFO=$V/warden.stderr
WARDEN_ROOT=$WWW
WARDEN_LISTEN="127.0.0.1:$port"
WARDEN_USER="480:480"
WARDEN_SYSLOG=no
WARDEN_CACHE_CONTROL="max-age=60, public"
WARDEN_AUTH_FILE=$V/etc/htpasswd
WARDEN_PROTECT="/firmware.html /js /api"
WARDEN_ALLOW_HOST="router.lan warden.test"
WARDEN_HEADERS="
	X-Frame-Options: SAMEORIGIN
	Content-Security-Policy: default-src 'self'; img-src 'self' data:
Permissions-Policy: camera=(),  microphone=()

	Referrer-Policy:"
WARDEN_PROXY="/api=127.0.0.1:$bport"
WARDEN_PROXY_MAX_BODY="/api/firmware=64m"
WARDEN_ARGS="--strict --max-connections 8 --max-body 1k --proxy-timeout 5 --seccomp=kill --require-seccomp"
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
        # comm: the binary's file name, cut to 15 bytes (WARDEN_BIN may have another name).
        if [ -n "$pid1" ] && [ "$(cat "/proc/$pid1/comm" 2>/dev/null)" = "$(printf '%.15s' "${BIN##*/}")" ]; then
            ok "$t: the pidfile holds warden's own pid ($pid1)"
        else
            fail "$t: the pidfile holds warden's own pid" "pid '$pid1', comm '$(cat "/proc/$pid1/comm" 2>/dev/null || true)'"
        fi
        rc=0; out=$(initd status) || rc=$?
        expect_eq "$t: status -> 0, running" "$rc|$out" "0|warden is running (pid $pid1)"
        want_argv=("$BIN" --root "$WWW" --listen "127.0.0.1:$port" --user 480:480 --cache-control "max-age=60, public"
            --auth-file "$V/etc/htpasswd" --protect /firmware.html --protect /js --protect /api
            --allow-host router.lan --allow-host warden.test --header "X-Frame-Options: SAMEORIGIN"
            --header "Content-Security-Policy: default-src 'self'; img-src 'self' data:"
            --header "Permissions-Policy: camera=(),  microphone=()" --header "Referrer-Policy:"
            --proxy "/api=127.0.0.1:$bport" --proxy-max-body /api/firmware=64m
            --strict --max-connections 8 --max-body 1k --proxy-timeout 5 --seccomp=kill --require-seccomp)
        expect_eq "$t: warden's argv (/proc/PID/cmdline): one flag per list entry, header lines whole" \
            "$(tr '\0' '\n' <"/proc/$pid1/cmdline" 2>/dev/null | sed 's/.*/<&>/' | tr -d '\n')" \
            "$(printf '<%s>' "${want_argv[@]}")"
        expect_eq "$t: WARDEN_USER=\"480:480\": warden runs as uid and gid 480 (/proc/PID/status)" \
            "$(grep -E '^(Uid|Gid):' "/proc/$pid1/status" 2>/dev/null | tr -s '\t' ' ' | tr '\n' '|')" \
            "Uid: 480 480 480 480|Gid: 480 480 480 480|"
        if wait_for "$V/log" "confinement: seccomp: " &&
            grep -qE 'confinement: seccomp: .*allowlist.*others: kill (process|thread);.*filter mode 2 read back' "$V/log"; then
            ok "$t: WARDEN_ARGS' --seccomp=kill --require-seccomp: warden serves under its killing filter ($(grep -m1 -o 'seccomp: .*' "$V/log"))"
        else
            fail "$t: WARDEN_ARGS' --seccomp=kill --require-seccomp: warden serves under its killing filter" "$(cat "$V/log")"
        fi
        if http_get "$port" / && [ "$HTTP_STATUS_LINE" = "HTTP/1.1 200 OK" ] &&
            grep -qxF 'Cache-Control: max-age=60, public' <<<"$HTTP_HEADERS"; then
            ok "$t: GET / -> 200 with the Cache-Control from the defaults file"
        else
            fail "$t: GET / -> 200 with the Cache-Control from the defaults file" "$(head -12 <<<"$HTTP_RESPONSE")"
        fi
        if http_get "$port" / && grep -qxF 'X-Frame-Options: SAMEORIGIN' <<<"$HTTP_HEADERS" &&
            grep -qxF "Content-Security-Policy: default-src 'self'; img-src 'self' data:" <<<"$HTTP_HEADERS" &&
            grep -qxF 'Permissions-Policy: camera=(),  microphone=()' <<<"$HTTP_HEADERS" &&
            ! grep -qi '^Referrer-Policy:' <<<"$HTTP_HEADERS"; then
            ok "$t: GET / carries the WARDEN_HEADERS lines (two replaced, one added, one removed)"
        else
            fail "$t: GET / carries the WARDEN_HEADERS lines" "$(head -16 <<<"$HTTP_RESPONSE")"
        fi
        got=""
        for host in router.lan warden.test "127.0.0.1:$port" evil.example; do
            http_get "$port" / "$host" || true
            got+="$host ${HTTP_STATUS_LINE:-no answer}|"
        done
        expect_eq "$t: WARDEN_ALLOW_HOST names and IPs answered, another Host 421" "$got" \
            "router.lan HTTP/1.1 200 OK|warden.test HTTP/1.1 200 OK|127.0.0.1:$port HTTP/1.1 200 OK|evil.example HTTP/1.1 421 Misdirected Request|"
        got=""
        http_get "$port" /firmware.html || true
        got+="${HTTP_STATUS_LINE:-no answer}|"
        http_get "$port" /firmware.html localhost "$(basic_auth admin 'sysv pass')" || true
        got+="${HTTP_STATUS_LINE:-no answer}|"
        http_get "$port" /js/app.js localhost "$(basic_auth admin 'sysv pass')" || true
        got+="${HTTP_STATUS_LINE:-no answer}"
        expect_eq "$t: WARDEN_PROTECT paths: 401 without a login, 200 with the WARDEN_AUTH_FILE user" "$got" \
            "HTTP/1.1 401 Unauthorized|HTTP/1.1 200 OK|HTTP/1.1 200 OK"
        # WARDEN_PROXY: /api goes to the backend after warden's login, which tells it
        # the user; WARDEN_PROXY_MAX_BODY lets a 4 KiB upload through to
        # /api/firmware, while --max-body 1k (WARDEN_ARGS) refuses 2 KiB elsewhere.
        auth=$(basic_auth admin 'sysv pass')
        got=""
        http_get "$port" /api/status || true
        got+="${HTTP_STATUS_LINE:-no answer}|"
        http_get "$port" /api/status localhost "$auth" || true
        got+="${HTTP_STATUS_LINE:-no answer} $(grep -o '"user": "[^"]*"' <<<"$HTTP_RESPONSE" || true)|"
        http_post "$port" /api/firmware 4096 localhost "$auth" || true
        got+="${HTTP_STATUS_LINE:-no answer} $(grep -o '"size": [0-9]*' <<<"$HTTP_RESPONSE" || true)|"
        http_post "$port" /api/settings 2048 localhost "$auth" || true
        got+="${HTTP_STATUS_LINE:-no answer}"
        expect_eq "$t: WARDEN_PROXY /api: 401 without a login, the user forwarded, a 4 KiB upload under WARDEN_PROXY_MAX_BODY, 413 over --max-body 1k" \
            "$got" 'HTTP/1.1 401 Unauthorized|HTTP/1.1 200 OK "user": "admin"|HTTP/1.1 200 OK "size": 4096|HTTP/1.1 413 Content Too Large'
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
        sed -i "s|^WARDEN_AUTH_FILE=.*|WARDEN_AUTH_FILE=$V/no-such-htpasswd|" "$V/default"
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: start with a missing auth file -> FAIL, 1" "$rc|$out" "1|Starting warden: FAIL (auth file $V/no-such-htpasswd is missing)"
        sed -i "s|^WARDEN_ROOT=.*|WARDEN_ROOT=$SCRATCH/no-such-root|" "$V/default"
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: start with a missing web root -> FAIL, 1" "$rc|$out" "1|Starting warden: FAIL (web root $SCRATCH/no-such-root is not a directory)"
        # The defaults file is shell read as root: an unquoted value with a space (its
        # second word would run as a command), a file others can write or that root does
        # not own, is not read at all, and start says why.
        rm -f "$V/marker"
        printf 'WARDEN_ROOT=%s\nWARDEN_ARGS=--strict touch %s/marker\n' "$WWW" "$V" >"$V/default"
        chmod 644 "$V/default"
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: defaults with an unquoted value with a space -> not read, start FAIL, nothing run" \
            "$rc|$out|$([ -e "$V/marker" ] && echo ran || echo 'not run')" \
            "1|warden: $V/default line 2: a value with a space must be quoted (WARDEN_ARGS=--strict touch $V/marker): not read
Starting warden: FAIL ($V/default line 2: a value with a space must be quoted (WARDEN_ARGS=--strict touch $V/marker): not read)|not run"
        printf 'WARDEN_ROOT=%s\n' "$WWW" >"$V/default"
        chmod 666 "$V/default"
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: a defaults file others can write -> not read, start FAIL" "$rc|${out##*$'\n'}" \
            "1|Starting warden: FAIL ($V/default is writable by group or others (-rw-rw-rw-): not read)"
        chmod 644 "$V/default"
        chown 65534 "$V/default"
        rc=0; out=$(initd start) || rc=$?
        expect_eq "$t: a defaults file root does not own -> not read, start FAIL" "$rc|${out##*$'\n'}" \
            "1|Starting warden: FAIL ($V/default is not owned by root (uid 65534): not read)"
        rc=0; out=$(initd status) || rc=$?
        expect_eq "$t: status still answers (built-in defaults) -> 3" "$rc|${out##*$'\n'}" "3|warden is not running"
        chown 0 "$V/default"
    done
    stop_backend "$BACKEND_PID"
    # HTTPS for real (BusyBox ash, the devices' shell): no certificate yet, so start
    # makes one with openssl; warden serves HTTPS with it and redirects plain HTTP.
    if grep -q -- '^  --listen-tls' <<<"$HELP"; then
        port=$(free_port 20000 26000)
        tport=$(free_port 26000 32000)
        rm -rf "${V:?}/tls"
        cat >"$V/default" <<EOF
DAEMON=$BIN
PIDFILE=$V/warden.pid
LOGFIFO=$V/warden.stderr
WARDEN_ROOT=$WWW
WARDEN_LISTEN="127.0.0.1:$port"
WARDEN_LISTEN_TLS="127.0.0.1:$tport"
WARDEN_TLS_CERT=$V/tls/warden.crt
WARDEN_TLS_KEY=$V/tls/warden.key
WARDEN_REDIRECT_HTTPS=yes
WARDEN_USER="480:480"
WARDEN_SYSLOG=no
EOF
        chmod 644 "$V/default"
        : >"$V/log"
        t="S50warden (busybox sh, $BIN), WARDEN_LISTEN_TLS and no certificate"
        rc=0; out=$(PATH="$V/bin:$PATH" busybox sh "$V/S50warden" start 2>&1) || rc=$?
        pid=$(cat "$V/warden.pid" 2>/dev/null || true)
        record_pid "$pid"
        if [ "$rc" = 0 ] && [[ $out == "Starting warden: OK (made a self-signed certificate for CN="*" (openssl, ECDSA P-256, 730 days): $V/tls/warden.crt, its key $V/tls/warden.key)" ]]; then
            ok "$t: start makes the certificate (openssl) and says so after OK"
        else
            fail "$t: start makes the certificate (openssl) and says so after OK" "rc $rc: $out"
        fi
        got=""
        if wait_for "$V/log" "listening on https://127.0.0.1:$tport"; then
            got=$(https_get "$tport" /index.html | tr '\n' '|')
            http_get "$port" /firmware.html || true
            got+="$HTTP_STATUS_LINE $(grep -i '^Location: ' <<<"$HTTP_HEADERS" || true)"
        fi
        expect_eq "$t: warden serves HTTPS with that certificate, plain HTTP 308 to it (WARDEN_REDIRECT_HTTPS=yes)" "$got" \
            "HTTP/1.1 200 OK|sha256 $(cert_sha256 "$V/tls/warden.crt" 2>&1)|HTTP/1.1 308 Permanent Redirect Location: https://localhost:$tport/firmware.html"
        rc=0; out=$(PATH="$V/bin:$PATH" busybox sh "$V/S50warden" stop 2>&1) || rc=$?
        expect_eq "$t: stop -> OK" "$rc|$out" "0|Stopping warden: OK"
    else
        skip "S50warden with HTTPS for real (this binary has no --listen-tls)"
    fi
fi
