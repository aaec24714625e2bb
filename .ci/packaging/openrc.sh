# shellcheck shell=bash
# OpenRC: boards/openrc/warden.initd (installed as /etc/init.d/warden) and
# warden.confd (/etc/conf.d/warden), Buildroot's service with BR2_INIT_OPENRC. Checked
# without OpenRC (Debian's openrc package would replace the machine's init system):
#   sh -n, shellcheck; the openrc-run variables (command, background, pidfile, retry,
#   stderr to logger); then the script under dash and BusyBox ash, run by a stand-in
#   for openrc-run that reads the settings file and the script as openrc-run does,
#   calls depend() and start_pre() with OpenRC's helpers stubbed, and evaluates
#   command_args with eval as openrc-run does: the argv for the shipped settings and
#   for a full settings file (the same flags as S50warden makes: lists one flag each,
#   header lines whole, a header's $(...), backtick and quotes passed literally and
#   never run), and start_pre's refusals (web root, auth file, WARDEN_SYSLOG not
#   yes/no). With root and a binary, that argv passes warden --check (with
#   WARDEN_SYSLOG=no; yes too if the binary knows --syslog).
# Sourced by .ci/check-packaging after lib.sh (SCRATCH, BIN, RUNTIME, HELP, WWW).
# shellcheck disable=SC2016 # literal $... shell text in single quotes

ORC_INIT=boards/openrc/warden.initd
ORC_CONF=boards/openrc/warden.confd

echo "== OpenRC: $ORC_INIT"
sh_syntax "$ORC_INIT"
sh_syntax "$ORC_CONF"
check "shellcheck: $ORC_INIT (shell=sh directive)" shellcheck "$ORC_INIT"
check "shellcheck -s sh -e SC2034: $ORC_CONF (sourced settings)" shellcheck -s sh -e SC2034 "$ORC_CONF"
executable "$ORC_INIT"
need "$ORC_INIT" "warden.initd: openrc-run service, warden in the background with a pidfile, TERM then KILL, stderr to logger" \
    '#!/sbin/openrc-run' 'command=/usr/sbin/warden' 'command_background=yes' 'pidfile=/run/warden.pid' \
    'retry="TERM/15/KILL/5"' 'error_logger="logger -t $LOG_TAG -p $LOG_PRIORITY"' 'start_pre() {' 'depend() {'
need "$ORC_CONF" "warden.confd: the settings documented, examples commented out (Buildroot sets root, address, user)" \
    '#WARDEN_ROOT=/www' '#WARDEN_LISTEN="0.0.0.0:80"' '#WARDEN_USER=' '#WARDEN_SYSLOG=yes' \
    '#WARDEN_AUTH_FILE=/etc/warden/htpasswd' '#WARDEN_PROXY="/api=127.0.0.1:9000"' '#WARDEN_ARGS='
need "$ORC_INIT" "warden.initd: HTTPS settings, one --listen-tls per entry; the certificate made (or HTTPS off, said)" \
    ': "${WARDEN_TLS_CERT:=/etc/warden/warden.crt}"' ': "${WARDEN_TLS_KEY:=/etc/warden/warden.key}"' \
    ': "${WARDEN_REDIRECT_HTTPS:=no}"' 'warden_arg --listen-tls "$addr"' \
    'warden_arg --tls-cert "$WARDEN_TLS_CERT" --tls-key "$WARDEN_TLS_KEY"' 'warden_arg --redirect-https' \
    'warden_has_tls "$command"' 'warden_tls_cert "$WARDEN_TLS_CERT" "$WARDEN_TLS_KEY" "$(warden_hostname)"' \
    'ewarn "$https_msg"' 'logger -t "$LOG_TAG" -p daemon.warn "$https_msg"'
need "$ORC_CONF" "warden.confd: HTTPS documented, commented out" '#WARDEN_LISTEN_TLS="0.0.0.0:443 [::]:443"' \
    '#WARDEN_TLS_CERT=/etc/warden/warden.crt' '#WARDEN_TLS_KEY=/etc/warden/warden.key' '#WARDEN_REDIRECT_HTTPS=yes' \
    '#WARDEN_MAX_TLS_CONNECTIONS=8'
if grep -nE '^[[:space:]]*[A-Z_]+=' "$ORC_CONF"; then
    fail "warden.confd: nothing set (no login, nothing proxied, built-in defaults)"
else
    ok "warden.confd: nothing set (no login, nothing proxied, built-in defaults)"
fi

R=$SCRATCH/openrc
mkdir -p "$R"
# The stand-in for openrc-run: OpenRC's helpers stubbed (eerror on stderr), the
# settings file then the script sourced (openrc-run's order), depend() and start_pre()
# called, then command_args evaluated as openrc-run's start() does; prints
# <command><arg>... on one line (depend's words and the other variables on stderr).
cat >"$R/openrc-run" <<'EOF'
need() { echo "need $*" >&2; }
use() { echo "use $*" >&2; }
after() { echo "after $*" >&2; }
before() { echo "before $*" >&2; }
ebegin() { :; }
eend() { :; }
einfo() { echo "einfo: $*" >&2; }
ewarn() { echo "ewarn: $*" >&2; }
eerror() { echo "eerror: $*" >&2; }
# shellcheck source=/dev/null
[ -z "$1" ] || . "$1"
# shellcheck source=/dev/null
. "$2"
# The checks' hook: another binary for command (started, and asked about TLS).
[ -z "${ORC_TEST_COMMAND:-}" ] || command=$ORC_TEST_COMMAND
depend
start_pre || exit "$?"
echo "background=$command_background pidfile=$pidfile retry=$retry error_logger=$error_logger" >&2
eval "set -- $command_args"
printf '<%s>' "$command" "$@"
EOF
# orc SHELL CONF: the stand-in's stdout (the argv), its stderr in $R/err. PATH: lib.sh's
# logger, then $ORC_PATH (default: the machine's PATH).
orc() {
    # shellcheck disable=SC2086 # "busybox sh" is two words
    PATH="$TLS_STUBS/logger:${ORC_PATH:-$PATH}" $1 "$R/openrc-run" "$2" "$ORC_INIT" 2>"$R/err"
}
# The shipped settings file with the web root Buildroot would write in.
{ cat "$ORC_CONF"; printf 'WARDEN_ROOT=%s\n' "$WWW"; } >"$R/conf-shipped"
make_auth_file "$R/etc/htpasswd" admin 'openrc pass'
ORC_MARK=$R/ran
cat >"$R/conf-full" <<EOF
WARDEN_ROOT=$WWW
WARDEN_LISTEN="127.0.0.1:0 [::1]:0"
WARDEN_USER="480:480"
WARDEN_SYSLOG_FACILITY=local3
WARDEN_CACHE_CONTROL="max-age=60, public"
WARDEN_AUTH_FILE=$R/etc/htpasswd
WARDEN_PROTECT="/firmware.html /api"
WARDEN_ALLOW_HOST="router.lan warden.test"
WARDEN_HEADERS="
	X-Frame-Options: SAMEORIGIN
	Content-Security-Policy: default-src 'self'; img-src 'self' data:
	X-Note: \\\$(touch $ORC_MARK) \\\`touch $ORC_MARK\\\` \\"dq\\" 'sq'
	Referrer-Policy:"
WARDEN_PROXY="/api=127.0.0.1:9000"
WARDEN_PROXY_MAX_BODY="/api/firmware=64m"
WARDEN_ARGS="--strict --max-connections 8 --max-body 1k"
EOF
full_argv="</usr/sbin/warden><--root><$WWW><--listen><127.0.0.1:0><--listen><[::1]:0><--user><480:480><--syslog><--syslog-facility><local3><--cache-control><max-age=60, public><--auth-file><$R/etc/htpasswd><--protect></firmware.html><--protect></api><--allow-host><router.lan><--allow-host><warden.test><--header><X-Frame-Options: SAMEORIGIN><--header><Content-Security-Policy: default-src 'self'; img-src 'self' data:><--header><X-Note: \$(touch $ORC_MARK) \`touch $ORC_MARK\` \"dq\" 'sq'><--header><Referrer-Policy:><--proxy></api=127.0.0.1:9000><--proxy-max-body></api/firmware=64m><--strict><--max-connections><8><--max-body><1k>"
for sh in dash "busybox sh"; do
    t="warden.initd ($sh, stand-in openrc-run)"
    rm -f "$ORC_MARK"
    rc=0; out=$(orc "$sh" "$R/conf-shipped") || rc=$?
    expect_eq "$t: shipped settings -> --root, --listen 0.0.0.0:80, --syslog (the default)" \
        "$rc|$out" "0|</usr/sbin/warden><--root><$WWW><--listen><0.0.0.0:80><--syslog>"
    expect_eq "$t: depend() uses logger and net; background, pidfile, retry, stderr to logger" \
        "$(squash "$(cat "$R/err")")" \
        "use logger net after firewall background=yes pidfile=/run/warden.pid retry=TERM/15/KILL/5 error_logger=logger -t warden -p daemon.info"
    rc=0; out=$(orc "$sh" "$R/conf-full") || rc=$?
    expect_eq "$t: full settings -> the flags S50warden makes, one per list entry, header lines whole" "$rc|$out" "0|$full_argv"
    if [ -e "$ORC_MARK" ]; then
        fail "$t: a header's \$(...) and backticks are passed literally through eval, never run"
    else
        ok "$t: a header's \$(...) and backticks are passed literally through eval, never run"
    fi
    rc=0; out=$(orc "$sh" <(sed 's/^WARDEN_ROOT=.*/WARDEN_ROOT=\/nonexistent/' "$R/conf-full")) || rc=$?
    expect_eq "$t: a missing web root -> start_pre fails, says why" "$rc|$out|$(grep eerror "$R/err")" \
        "1||eerror: web root /nonexistent is not a directory"
    rc=0; out=$(orc "$sh" <(sed "s|^WARDEN_AUTH_FILE=.*|WARDEN_AUTH_FILE=$R/none|" "$R/conf-full")) || rc=$?
    expect_eq "$t: a missing auth file -> start_pre fails, says why" "$rc|$out|$(grep eerror "$R/err")" \
        "1||eerror: auth file $R/none is missing"
    rc=0; out=$(orc "$sh" <(printf 'WARDEN_ROOT=%s\nWARDEN_SYSLOG=maybe\n' "$WWW")) || rc=$?
    expect_eq "$t: WARDEN_SYSLOG=maybe -> start_pre fails (yes or no)" "$rc|$out|$(grep eerror "$R/err")" \
        "1||eerror: WARDEN_SYSLOG is 'maybe': yes or no"
    rc=0; out=$(orc "$sh" <(printf 'WARDEN_ROOT=%s\nWARDEN_SYSLOG=no\nWARDEN_SYSLOG_FACILITY=local3\n' "$WWW")) || rc=$?
    expect_eq "$t: WARDEN_SYSLOG=no -> no --syslog (nor --syslog-facility)" "$rc|$out" \
        "0|</usr/sbin/warden><--root><$WWW><--listen><0.0.0.0:80>"
done
# HTTPS: WARDEN_LISTEN_TLS with a stand-in warden with TLS (lib.sh's), no certificate:
# start_pre makes it (openssl, or px5g), einfo and the syslog say so, the flags follow
# --listen; a warden without TLS, or neither tool: no HTTPS flag, ewarn and a warning
# in the syslog; WARDEN_REDIRECT_HTTPS not yes/no: refused.
OT=$R/tls
orc_tls_conf() { # DIR LINE...: settings with HTTPS on 127.0.0.1:8443, the files in DIR
    local dir=$1
    shift
    printf '%s\n' "WARDEN_ROOT=$WWW" 'WARDEN_LISTEN="127.0.0.1:8080"' 'WARDEN_LISTEN_TLS="127.0.0.1:8443 [::1]:8443"' \
        "WARDEN_TLS_CERT=$dir/warden.crt" "WARDEN_TLS_KEY=$dir/warden.key" "$@"
}
orc_http="<--root><$WWW><--listen><127.0.0.1:8080><--syslog>"
for sh in dash "busybox sh"; do
    t="warden.initd ($sh, stand-in openrc-run), WARDEN_LISTEN_TLS"
    rm -rf "${OT:?}"
    : >"$TLS_STUBS/logger.log"
    rc=0; out=$(ORC_TEST_COMMAND=$TLS_STUBS/tls/warden ORC_PATH=$TLS_STUBS/path-no-px5g \
        orc "$sh" <(orc_tls_conf "$OT/a" 'WARDEN_REDIRECT_HTTPS=yes' 'WARDEN_MAX_TLS_CONNECTIONS=8')) || rc=$?
    # The CN the block makes of this machine's host name.
    host=$(tls_block "$ORC_INIT" | dash -c '. /dev/stdin; warden_cert_name "$(warden_hostname)"')
    made="made a self-signed certificate for CN=$host (openssl, ECDSA P-256, 730 days): $OT/a/warden.crt, its key $OT/a/warden.key"
    expect_eq "$t, a warden with TLS, no certificate, openssl: made (einfo and the syslog say so); the HTTPS flags after --listen, redirect, max connections" \
        "$rc|<W>${out#<*>}|$(grep -E '^e(info|warn|error)' "$R/err")|$(cat "$TLS_STUBS/logger.log")|$(stat -c %a "$OT/a/warden.key" 2>&1)" \
        "0|<W><--root><$WWW><--listen><127.0.0.1:8080><--listen-tls><127.0.0.1:8443><--listen-tls><[::1]:8443><--tls-cert><$OT/a/warden.crt><--tls-key><$OT/a/warden.key><--max-tls-connections><8><--redirect-https><--syslog>|einfo: $made|daemon.notice warden: $made|600"
    before=$(sha256sum "$OT/a/warden.crt" "$OT/a/warden.key" 2>&1)
    : >"$TLS_STUBS/logger.log"
    rc=0; out=$(ORC_TEST_COMMAND=$TLS_STUBS/tls/warden orc "$sh" <(orc_tls_conf "$OT/a")) || rc=$?
    expect_eq "$t: the certificate there -> used as it is, nothing said" \
        "$rc|$(grep -c -- '--tls-cert' <<<"$out")|$(grep -cE '^e(info|warn)' "$R/err")|$(cat "$TLS_STUBS/logger.log")|$(sha256sum "$OT/a/warden.crt" "$OT/a/warden.key" 2>&1)" \
        "0|1|0||$before"
    for v in notls none; do
        : >"$TLS_STUBS/logger.log"
        case $v in
        notls)
            w="WARDEN_LISTEN_TLS ignored: $TLS_STUBS/notls/warden is built without TLS (its --version says no TLS): started without HTTPS"
            rc=0; out=$(ORC_TEST_COMMAND=$TLS_STUBS/notls/warden orc "$sh" <(orc_tls_conf "$OT/b" 'WARDEN_REDIRECT_HTTPS=yes')) || rc=$?
            what="a warden whose --version says \"no TLS\""
            ;;
        none)
            w="WARDEN_TLS_CERT/WARDEN_TLS_KEY: no certificate at $OT/b/warden.crt: neither px5g nor openssl is installed to make one; started without HTTPS"
            rc=0; out=$(ORC_TEST_COMMAND=$TLS_STUBS/tls/warden ORC_PATH=$TLS_STUBS/path-none \
                orc "$sh" <(orc_tls_conf "$OT/b" 'WARDEN_REDIRECT_HTTPS=yes')) || rc=$?
            what="neither px5g nor openssl"
            ;;
        esac
        expect_eq "$t, $what: started without any HTTPS flag, ewarn and a warning in the syslog, nothing made" \
            "$rc|${out#<*>}|$(grep -E '^e(info|warn|error)' "$R/err")|$(cat "$TLS_STUBS/logger.log")|$([ -e "$OT/b" ] && echo made || echo 'not made')" \
            "0|$orc_http|ewarn: $w|daemon.warn warden: $w|not made"
    done
    : >"$TLS_STUBS/px5g.argv"
    rc=0; out=$(ORC_TEST_COMMAND=$TLS_STUBS/tls/warden ORC_PATH="$TLS_STUBS/px5g:$TLS_STUBS/path-no-px5g" \
        orc "$sh" <(orc_tls_conf "$OT/c")) || rc=$?
    expect_eq "$t, px5g installed: px5g makes the pair (uhttpd's arguments)" \
        "$rc|$(sed -E 's/\.warden-tls\.[A-Za-z0-9]{6}/.X/g' "$TLS_STUBS/px5g.argv")" \
        "0|<selfsigned><-days><730><-newkey><ec><-pkeyopt><ec_paramgen_curve:P-256><-keyout><$OT/c/.X/key><-out><$OT/c/.X/crt><-subj></CN=$host>"
    rc=0; out=$(ORC_TEST_COMMAND=$TLS_STUBS/tls/warden orc "$sh" <(orc_tls_conf "$OT/a" 'WARDEN_REDIRECT_HTTPS=maybe')) || rc=$?
    expect_eq "$t: WARDEN_REDIRECT_HTTPS=maybe -> start_pre fails (yes or no)" "$rc|$out|$(grep eerror "$R/err")" \
        "1||eerror: WARDEN_REDIRECT_HTTPS is 'maybe': yes or no"
done

if [ -z "$RUNTIME" ]; then
    skip "warden.initd: its command line passes warden --check (needs root and a binary)"
else
    sys_values=no
    if grep -qE -- '^  --syslog( |$)' <<<"$HELP"; then sys_values="no yes"; fi
    for sys in $sys_values; do
        args=()
        orc dash <(sed -e 's/^WARDEN_HEADERS=.*/WARDEN_HEADERS="X-Frame-Options: DENY"/' \
            -e 's/^WARDEN_LISTEN=.*/WARDEN_LISTEN="127.0.0.1:0"/' -e '/^[[:space:]]/d; /^WARDEN_PROXY/d' \
            -e "\$a WARDEN_SYSLOG=$sys" "$R/conf-full") >"$R/argv" || true
        # <a><b>... back into an array: the values hold no < or >.
        while IFS= read -r -d '>' a; do args+=("${a#<}"); done <"$R/argv"
        t="warden.initd: its command line (WARDEN_SYSLOG=$sys, user 480:480, a login, --strict) passes warden --check"
        if [ "${#args[@]}" -gt 4 ] && out=$("$BIN" "${args[@]:1}" --check 2>&1); then
            ok "$t"
        else
            fail "$t" "$(cat "$R/argv" "$R/err"; echo; printf '%s\n' "${out:-}")"
        fi
    done
    # With HTTPS: the certificate start_pre makes for this binary, on 127.0.0.1.
    if grep -q -- '^  --listen-tls' <<<"$HELP"; then
        rm -rf "${OT:?}/real"
        args=()
        ORC_TEST_COMMAND=$BIN ORC_PATH=$TLS_STUBS/path-no-px5g orc dash <(orc_tls_conf "$OT/real" \
            'WARDEN_LISTEN="127.0.0.1:0"' 'WARDEN_LISTEN_TLS="127.0.0.1:0"' 'WARDEN_USER=480:480' 'WARDEN_SYSLOG=no') >"$R/argv" || true
        while IFS= read -r -d '>' a; do args+=("${a#<}"); done <"$R/argv"
        t="warden.initd: WARDEN_LISTEN_TLS, no certificate: its command line with the certificate start_pre made passes warden --check"
        if [ "${#args[@]}" -gt 4 ] && [[ " ${args[*]} " == *" --listen-tls 127.0.0.1:0 --tls-cert $OT/real/warden.crt "* ]] &&
            out=$("$BIN" "${args[@]:1}" --check 2>&1); then
            ok "$t"
        else
            fail "$t" "$(cat "$R/argv" "$R/err"; echo; printf '%s\n' "${out:-}")"
        fi
    fi
fi
