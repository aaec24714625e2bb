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
einfo() { :; }
ewarn() { echo "ewarn: $*" >&2; }
eerror() { echo "eerror: $*" >&2; }
# shellcheck source=/dev/null
[ -z "$1" ] || . "$1"
# shellcheck source=/dev/null
. "$2"
depend
start_pre || exit "$?"
echo "background=$command_background pidfile=$pidfile retry=$retry error_logger=$error_logger" >&2
eval "set -- $command_args"
printf '<%s>' "$command" "$@"
EOF
# orc SHELL CONF: the stand-in's stdout (the argv), its stderr in $R/err.
orc() {
    # shellcheck disable=SC2086 # "busybox sh" is two words
    $1 "$R/openrc-run" "$2" "$ORC_INIT" 2>"$R/err"
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
fi
