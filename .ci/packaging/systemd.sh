# shellcheck shell=bash
# systemd: boards/systemd/warden.service, checked without systemd as PID 1, since the
# unit's hardening must not stop warden from confining itself and serving:
#   the required directives (grep), and no User=/DynamicUser= (warden drops ids
#   itself) nor stderr to a file; SystemCallFilter= is a deny list whose groups,
#   expanded with systemd-analyze, hold none of the calls warden makes (an allow list
#   cannot be @system-service: seccomp(2), chroot and landlock_* are outside it). The
#   filter itself is not applied here (no systemd as PID 1, so systemd-run cannot
#   start a unit either: SystemCallFilter=, IPAddressDeny= and the other cgroup/seccomp
#   settings are checked offline only); warden's own seccomp filter is, and the
#   sandbox's --check reports it installed. systemd-analyze verify, and security
#   --offline=true: its exposure score printed, failing above SECURITY_MAX (skipped
#   without systemd-analyze); warden --check and a real request under an
#   emulation of the unit's sandbox: private mount namespace with read-only /, private
#   /tmp and /dev, no /home, /proc hidepid+subset=pid, then setpriv with the unit's
#   CapabilityBoundingSet and no_new_privs; SIGTERM ends it with 0; without
#   CAP_SETPCAP it refuses (so the emulation is not a no-op).
#   Extra flags: WARDEN_OPTS from the optional EnvironmentFile /etc/default/warden on
#   ExecStart (grep; verify with the commented example enabled); /etc not hidden. In
#   the sandbox, with /etc/warden/htpasswd and a stand-in /etc/shadow laid over /etc
#   (overlayfs, in the namespace only): --auth-file passes --check, a protected path
#   answers 401 and then 200 for a htpasswd user and a user:$p$account user; an auth
#   file not owned by root is refused (no CAP_DAC_OVERRIDE in the bounding set).
#   Proxy: the flags documented with a WARDEN_OPTS example; nothing in the unit blocks
#   a connect to a loopback backend (address families, IPAddressDeny=, PrivateNetwork=,
#   RestrictNetworkInterfaces=); in the sandbox, --proxy to the demo backend passes
#   --check and relays GET and an upload under --proxy-max-body, 413 over --max-body.
#   ip-allowlist.conf (an optional drop-in: IPAddressDeny=any, IPAddressAllow=localhost,
#   link-local, the private ranges): documented, verify clean with it, its score lower,
#   the loopback connect still open. PrivateUsers=: not set, and why, in the unit's
#   comments; the sandbox run again in a user namespace set up as systemd 252 does it
#   fails to bind below 1024 and to drop ids, and starts with every id mapped.
# Sourced by .ci/check-packaging after lib.sh (SCRATCH, BIN, RUNTIME, WWW).
# shellcheck disable=SC2016 # literal $... unit text in single quotes

UNIT=boards/systemd/warden.service

echo "== systemd: $UNIT"
need "$UNIT" "warden.service: hardening directives" \
    'ExecStart=/usr/sbin/warden --root /var/www --listen 0.0.0.0:80' 'KillSignal=SIGTERM' 'TimeoutStopSec=15' \
    'Restart=on-failure' 'NoNewPrivileges=yes' \
    'CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_SETPCAP CAP_SYS_CHROOT CAP_NET_BIND_SERVICE' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
    'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' 'ProtectControlGroups=yes' \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'RestrictNamespaces=yes' 'LockPersonality=yes' \
    'MemoryDenyWriteExecute=yes' 'SystemCallArchitectures=native' 'WantedBy=multi-user.target'
need "$UNIT" "warden.service: extra flags as WARDEN_OPTS from /etc/default/warden, documented with examples" \
    'Environment=WARDEN_OPTS=' 'Environment=WARDEN_HTTPS=' 'EnvironmentFile=-/etc/default/warden' \
    'ExecStart=/usr/sbin/warden --root /var/www --listen 0.0.0.0:80 $WARDEN_HTTPS $WARDEN_OPTS' 'https.conf' \
    '#Environment="WARDEN_OPTS=--auth-file /etc/warden/htpasswd --protect /admin --allow-host router.lan"' \
    "--header 'X-Frame-Options: SAMEORIGIN'" 'warden --hash-password' '/etc/warden/htpasswd mode 0600'
need "$UNIT" "warden.service: proxy flags documented, with a WARDEN_OPTS example" \
    '--proxy PREFIX=ADDR:PORT' '--max-body' '--proxy-max-body PREFIX=BYTES' '--proxy-timeout' \
    '--proxy-allow-remote' \
    'WARDEN_OPTS="--auth-file /etc/warden/htpasswd --protect /api --proxy /api=127.0.0.1:9000 --proxy-max-body /api/firmware=64m"'
# --proxy connects to 127.0.0.1 or [::1]: the unit, alone or with the optional
# ip-allowlist.conf drop-in, must leave that possible.
DROPIN=boards/systemd/ip-allowlist.conf
connect_blocks() { # FILE...: the unit's lines that would block a loopback connect
    local families
    families=$(cat "$@" | sed -n 's/^RestrictAddressFamilies=//p')
    if [[ $families == "~"* ]]; then # a deny list: it must name neither
        [[ " ${families#"~"} " != *" AF_INET "* && " ${families#"~"} " != *" AF_INET6 "* ]] ||
            echo "RestrictAddressFamilies=$families"
    elif [ -n "$families" ]; then # an allow list: it must name both
        [[ " $families " == *" AF_INET "* && " $families " == *" AF_INET6 "* ]] || echo "RestrictAddressFamilies=$families"
    fi
    if cat "$@" | grep -qE '^IPAddressDeny=' && ! cat "$@" | grep -qE '^IPAddressAllow=.*(localhost|127\.0\.0\.1|::1)'; then
        cat "$@" | grep -E '^IPAddress(Deny|Allow)='
    fi
    cat "$@" | grep -E '^(PrivateNetwork=(yes|true|on|1)|RestrictNetworkInterfaces=)' || true
}
for files in "$UNIT" "$UNIT $DROPIN"; do
    # shellcheck disable=SC2086 # one or two file names
    blocks=$(connect_blocks $files)
    label=warden.service
    [ "$files" = "$UNIT" ] || label="warden.service + ip-allowlist.conf"
    what="$label: nothing blocks --proxy's loopback connect"
    if [ -z "$blocks" ]; then
        ok "$what (AF_INET/AF_INET6 kept; no IPAddressDeny= without localhost, PrivateNetwork=, RestrictNetworkInterfaces=)"
    else
        fail "$what" "$blocks"
    fi
done
need "$DROPIN" "ip-allowlist.conf: a drop-in allowing localhost, link-local and the LAN, saying what it does not cover" \
    '[Service]' 'IPAddressDeny=any' 'IPAddressAllow=localhost' 'IPAddressAllow=link-local' \
    'IPAddressAllow=10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7' '/etc/systemd/system/warden.service.d/' \
    'Not covered:' '--proxy-allow-remote' 'CONFIG_CGROUP_BPF'
HTTPS_DROPIN=boards/systemd/https.conf
TLS_HELPER=boards/systemd/warden-tls-cert
need "$HTTPS_DROPIN" "https.conf: a drop-in adding HTTPS on 443 (\$WARDEN_HTTPS), /etc/warden writable, warden-tls-cert before warden" \
    '[Service]' 'Environment="WARDEN_HTTPS=--listen-tls 0.0.0.0:443 --listen-tls [::]:443 --tls-cert /etc/warden/warden.crt --tls-key /etc/warden/warden.key"' \
    'ConfigurationDirectory=warden' 'ConfigurationDirectoryMode=0700' \
    'ExecStartPre=/usr/libexec/warden/warden-tls-cert $WARDEN_HTTPS $WARDEN_OPTS' \
    'install -D -m 0755 warden-tls-cert /usr/libexec/warden/warden-tls-cert' '--redirect-https' 'no TLS'
sh_syntax "$TLS_HELPER"
check "shellcheck -s sh: $TLS_HELPER" shellcheck -s sh "$TLS_HELPER"
executable "$TLS_HELPER"
# The helper's reading of warden's flags (both spellings) and its exits, with openssl
# and without a tool; no root needed.
H=$SCRATCH/tls-helper
th() { # PATH ARGS...: the helper's exit status, stdout, stderr (lib.sh's logger first)
    local path=$1 rc=0 out
    shift
    out=$(PATH="$TLS_STUBS/logger:$path" sh "$TLS_HELPER" "$@" 2>"$H.err") || rc=$?
    printf '%s|%s|%s' "$rc" "$out" "$(cat "$H.err")"
}
expect_eq "warden-tls-cert: no --listen-tls -> exit 0, nothing said or made" \
    "$(th "$TLS_STUBS/path-no-px5g" --listen 127.0.0.1:80 --tls-cert "$H/c.crt" --tls-key "$H/c.key")|$([ -e "$H" ] && echo made || echo 'not made')" \
    "0|||not made"
expect_eq "warden-tls-cert: --listen-tls, --tls-cert FILE and --tls-key=FILE, neither there -> made with openssl, one line on stdout, exit 0" \
    "$(th "$TLS_STUBS/path-no-px5g" --listen-tls 127.0.0.1:443 --tls-cert "$H/c.crt" --header 'X-A: b' "--tls-key=$H/c.key")" \
    "0|warden-tls-cert: made a self-signed certificate for CN=$(tls_block "$TLS_HELPER" | dash -c '. /dev/stdin; warden_cert_name "$(warden_hostname)"') (openssl, ECDSA P-256, 730 days): $H/c.crt, its key $H/c.key|"
before=$(sha256sum "$H/c.crt" "$H/c.key" 2>&1)
expect_eq "warden-tls-cert: both there -> exit 0, nothing said, not made over" \
    "$(th "$TLS_STUBS/path-no-px5g" "--listen-tls=127.0.0.1:443" "--tls-cert=$H/c.crt" --tls-key "$H/c.key")|$(sha256sum "$H/c.crt" "$H/c.key" 2>&1)" \
    "0|||$before"
rm -f "$H/c.key"
expect_eq "warden-tls-cert: only the certificate there -> exit 1, why on stderr (the unit fails before warden starts)" \
    "$(th "$TLS_STUBS/path-no-px5g" --listen-tls 127.0.0.1:443 --tls-cert "$H/c.crt" --tls-key "$H/c.key")" \
    "1||warden-tls-cert: only one of $H/c.crt and $H/c.key is there: none made over it (remove it to have both made)"
expect_eq "warden-tls-cert: neither px5g nor openssl -> exit 1, why on stderr" \
    "$(th "$TLS_STUBS/path-none" --listen-tls 127.0.0.1:443 --tls-cert "$H/d.crt" --tls-key "$H/d.key")" \
    "1||warden-tls-cert: no certificate at $H/d.crt: neither px5g nor openssl is installed to make one"
need "$UNIT" "warden.service: the IP allow list's limit and the drop-in documented" \
    'IPAddressDeny= filters by peer address for the whole unit' 'ip-allowlist.conf'
# PrivateUsers= stops warden from starting (emulated below): the unit must not set it.
if grep -qiE '^PrivateUsers=(yes|true|on|1|self|identity|full)' "$UNIT"; then
    fail "warden.service: no PrivateUsers= (it breaks the bind to :80 and the uid drop)" "$(grep -n '^PrivateUsers=' "$UNIT")"
else
    ok "warden.service: no PrivateUsers= (it breaks the bind to :80 and the uid drop: emulated below)"
fi
need "$UNIT" "warden.service: why PrivateUsers= is off, in its comments" \
    'No PrivateUsers=: it stops warden from starting' 'setgroups([]) EPERM' 'EINVAL (an unmapped id)'
# The auth file (/etc/warden/) must stay readable at start: nothing hides /etc.
if grep -nE '^(InaccessiblePaths|TemporaryFileSystem|ReadWritePaths|BindPaths|BindReadOnlyPaths)=.*/etc' "$UNIT" ||
    grep -nE '^ProtectSystem=' "$UNIT" | grep -vE '=(yes|full|strict)$'; then
    fail "warden.service: /etc (the auth file) not hidden from warden"
else
    ok "warden.service: /etc (the auth file) not hidden from warden"
fi
if grep -qE '^(User|Group|DynamicUser|StandardError=file|StandardError=append)' "$UNIT"; then
    fail "warden.service: starts as root (no User=/DynamicUser=), stderr not a file" "$(grep -nE '^(User|Group|DynamicUser|StandardError)' "$UNIT")"
else
    ok "warden.service: starts as root (no User=/DynamicUser=), stderr not a file"
fi
# warden installs its own seccomp filter (seccomp(2), as its last confinement step)
# and Landlock, after a chroot: the unit's SystemCallFilter= is a deny list of groups
# that must hold none of the calls warden makes, at start as root or serving.
filter=$(sed -n 's/^SystemCallFilter=//p' "$UNIT")
if [[ $filter == "~@clock @cpu-emulation @debug @module @obsolete @raw-io @reboot @swap" ]]; then
    ok "warden.service: SystemCallFilter= is the deny list ($filter)"
else
    fail "warden.service: SystemCallFilter= is the deny list ~@clock @cpu-emulation @debug @module @obsolete @raw-io @reboot @swap" "$filter"
fi
syscall_group() { # GROUP: its system calls, one a line, nested groups expanded
    local x
    systemd-analyze syscall-filter "$1" 2>/dev/null | sed 's/#.*//' | tr -s ' \n' '\n' | tail -n +2 |
        while read -r x; do
            case $x in @*) syscall_group "$x" ;; ?*) echo "$x" ;; esac
        done
}
if command -v systemd-analyze >/dev/null 2>&1 && [ -n "$(syscall_group @system-service)" ]; then
    denied=$(for g in ${filter#\~}; do syscall_group "$g"; done | sort -u)
    # What warden calls: start-up and confinement as root, and the serving loop
    # (the union of the seccomp allowlists of every architecture).
    needed="chroot chdir fchdir setgroups setresuid setresgid setuid setgid capset capget prctl setrlimit prlimit64
        getrlimit seccomp landlock_create_ruleset landlock_add_rule landlock_restrict_self openat open close read write
        writev socket bind listen setsockopt connect accept4 poll ppoll recvfrom sendto sendfile sendfile64 pread64
        statx newfstatat fstat fstat64 fstatat64 fcntl fcntl64 ioctl mmap mmap2 munmap mremap mprotect madvise brk
        clock_gettime clock_gettime64 gettimeofday rt_sigprocmask rt_sigaction rt_sigreturn sigaltstack signalfd4
        kill tgkill getpid gettid getuid geteuid getgid getegid getrandom futex exit_group getdents64 lseek uname"
    hit=""
    for c in $needed; do grep -qx "$c" <<<"$denied" && hit+="$c "; done
    expect_eq "warden.service: the denied groups ($(systemd-analyze --version | head -1)) hold none of warden's calls" "$hit" ""
    svc=$(syscall_group @system-service | sort -u)
    got=""
    for c in seccomp chroot landlock_create_ruleset prctl setresuid setrlimit; do
        grep -qx "$c" <<<"$svc" && got+="$c "
    done
    expect_eq "warden.service's comment: @system-service lacks seccomp, chroot and landlock_* (so no allow list)" \
        "$got" "prctl setresuid setrlimit "
else
    skip "warden.service: the denied groups against warden's calls (systemd-analyze syscall-filter not available)"
fi
# verify wants ExecStart's program to exist: check a copy that runs the built
# binary (or /bin/true without one); everything else is the shipped unit.
mkdir -p "$SCRATCH/unit"
sed "s|^ExecStart=/usr/sbin/warden |ExecStart=${BIN:-/bin/true} |" "$UNIT" >"$SCRATCH/unit/warden.service"
mkdir -p "$SCRATCH/unit-example"
sed 's/^#Environment=/Environment=/' "$SCRATCH/unit/warden.service" >"$SCRATCH/unit-example/warden.service"
if command -v systemd-analyze >/dev/null 2>&1; then
    if out=$(systemd-analyze verify "$SCRATCH/unit/warden.service" 2>&1) && [ -z "$out" ]; then
        ok "systemd-analyze verify: no errors, no warnings (ExecStart=${BIN:-/bin/true})"
    else
        fail "systemd-analyze verify (ExecStart=${BIN:-/bin/true})" "$out"
    fi
    if out=$(systemd-analyze verify "$SCRATCH/unit-example/warden.service" 2>&1) && [ -z "$out" ]; then
        ok "systemd-analyze verify: the unit with its WARDEN_OPTS example uncommented"
    else
        fail "systemd-analyze verify: the unit with its WARDEN_OPTS example uncommented" "$out"
    fi
    # With the drop-in: systemd reads warden.service.d/ beside the unit file.
    mkdir -p "$SCRATCH/unit-lan/warden.service.d"
    cp "$SCRATCH/unit/warden.service" "$SCRATCH/unit-lan/"
    cp "$DROPIN" "$SCRATCH/unit-lan/warden.service.d/"
    if out=$(systemd-analyze verify "$SCRATCH/unit-lan/warden.service" 2>&1) && [ -z "$out" ]; then
        ok "systemd-analyze verify: the unit with ip-allowlist.conf as a drop-in"
    else
        fail "systemd-analyze verify: the unit with ip-allowlist.conf as a drop-in" "$out"
    fi
    # With https.conf (its ExecStartPre= the helper in this tree: verify wants it there).
    mkdir -p "$SCRATCH/unit-https/warden.service.d"
    cp "$SCRATCH/unit/warden.service" "$SCRATCH/unit-https/"
    sed "s|/usr/libexec/warden/warden-tls-cert|$REPO/$TLS_HELPER|" "$HTTPS_DROPIN" >"$SCRATCH/unit-https/warden.service.d/https.conf"
    if out=$(systemd-analyze verify "$SCRATCH/unit-https/warden.service" 2>&1) && [ -z "$out" ]; then
        ok "systemd-analyze verify: the unit with https.conf as a drop-in"
    else
        fail "systemd-analyze verify: the unit with https.conf as a drop-in" "$out"
    fi
    # The exposure score (0 = best, 10 = worst). SECURITY_MAX: the unit's score when
    # it was recorded (2.4, systemd 252) plus 0.1; lower it when the unit gets better.
    SECURITY_MAX=2.5
    exposure() { # UNIT_FILE: the overall exposure level, e.g. 2.4
        systemd-analyze security --offline=true "$1" 2>&1 |
            sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p'
    }
    score=$(exposure "$SCRATCH/unit/warden.service")
    lan=$(exposure "$SCRATCH/unit-lan/warden.service")
    https=$(exposure "$SCRATCH/unit-https/warden.service")
    echo "   systemd-analyze security --offline=true: warden.service exposure ${score:-?}," \
        "with ip-allowlist.conf ${lan:-?}, with https.conf ${https:-?} (ceiling $SECURITY_MAX, $(systemd-analyze --version | head -1))"
    if [ -n "$https" ] && awk -v s="$https" -v m="$SECURITY_MAX" 'BEGIN { exit !(s <= m) }'; then
        ok "systemd-analyze security --offline: with https.conf $https, not above the ceiling $SECURITY_MAX"
    else
        fail "systemd-analyze security --offline: with https.conf ${https:-unreadable} above the ceiling $SECURITY_MAX" \
            "$(systemd-analyze security --offline=true "$SCRATCH/unit-https/warden.service" 2>&1 | grep -E '^✗|Overall')"
    fi
    if [ -n "$score" ] && awk -v s="$score" -v m="$SECURITY_MAX" 'BEGIN { exit !(s <= m) }'; then
        ok "systemd-analyze security --offline: exposure $score, not above the ceiling $SECURITY_MAX"
    else
        fail "systemd-analyze security --offline: exposure ${score:-unreadable} above the ceiling $SECURITY_MAX" \
            "$(systemd-analyze security --offline=true "$SCRATCH/unit/warden.service" 2>&1 | grep -E '^✗|Overall')"
    fi
    # Lower with the drop-in: proof that systemd read it (IPAddressDeny= counts).
    if [ -n "$lan" ] && [ -n "$score" ] && awk -v l="$lan" -v s="$score" 'BEGIN { exit !(l < s) }'; then
        ok "systemd-analyze security --offline: with ip-allowlist.conf $lan, below the unit's $score"
    else
        fail "systemd-analyze security --offline: with ip-allowlist.conf below the unit's ${score:-?}" "${lan:-unreadable}"
    fi
else
    skip "systemd-analyze verify and security (systemd-analyze not installed)"
fi

# warden under the unit's sandbox, emulated (no systemd here): a private mount
# namespace set up as ProtectSystem=strict, PrivateTmp, PrivateDevices, ProtectHome,
# ProtectProc=invisible and ProcSubset=pid do it, then setpriv with the unit's
# CapabilityBoundingSet and NoNewPrivileges. The seccomp-based settings
# (MemoryDenyWriteExecute, RestrictAddressFamilies, SystemCallArchitectures,
# LockPersonality, RestrictNamespaces) are not emulated.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g')
nnp=""
grep -qx 'NoNewPrivileges=yes' "$UNIT" && nnp=--no-new-privs
cat >"$SCRATCH/sandbox.sh" <<'EOF'
#!/bin/bash
# sandbox.sh STAGE BIN WWW CAPS NNP ARGS...: run inside unshare -m. BIN and WWW
# are copied to /srv/sbin/warden and /srv/www (a tmpfs over /srv in this mount
# namespace only) since /tmp is replaced; then warden --root /srv/www ARGS runs.
# With $ETC_UPPER (a directory), its files are laid over /etc (overlayfs, owners
# and modes kept), e.g. warden/htpasswd for /etc/warden/htpasswd. With $CONF_RW (a
# directory; ETC_UPPER must have warden/), it is bound read-write on /etc/warden, as
# https.conf's ConfigurationDirectory=warden keeps it writable; with $TLS_HELPER
# (https.conf's ExecStartPre= script), it runs first with warden's ARGS, under the
# same setpriv, and warden only if it succeeds. UMask=0077 for both.
set -eu
stage=$1 bin=$2 www=$3 caps=$4 nnp=$5
shift 5
mount -t tmpfs -o mode=755 tmpfs "$stage"
mkdir "$stage/dev" "$stage/srv" "$stage/srv/sbin"
cp "$bin" "$stage/srv/sbin/warden"
[ -z "${TLS_HELPER:-}" ] || cp "$TLS_HELPER" "$stage/srv/sbin/warden-tls-cert"
cp -R "$www" "$stage/srv/www"
for n in null zero urandom random full; do
    touch "$stage/dev/$n"
    mount --bind "/dev/$n" "$stage/dev/$n"
done
mount --bind "$stage/srv" /srv
mount --rbind "$stage/dev" /dev                          # PrivateDevices=yes (rbind: with the device nodes bound above)
if [ -n "${ETC_UPPER:-}" ]; then
    cp -a "$ETC_UPPER" "$stage/etc-upper"
    mkdir "$stage/etc-work"
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$stage/etc-upper,workdir=$stage/etc-work" /etc
fi
if [ -n "${CONF_RW:-}" ]; then
    mount --bind "$CONF_RW" /etc/warden                  # ConfigurationDirectory=warden
fi
for m in /srv /opt /boot /var /etc /usr /; do              # ProtectSystem=strict
    if mountpoint -q "$m"; then mount -o remount,bind,ro "$m"; fi
done
mount -t tmpfs -o mode=1777 tmpfs /tmp                   # PrivateTmp=yes
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mount -t tmpfs -o mode=755 tmpfs /home                   # ProtectHome=yes
mount -t tmpfs -o mode=700 tmpfs /root
mount -t proc -o hidepid=invisible,subset=pid proc /proc # ProtectProc=invisible, ProcSubset=pid
umask 077                                                # UMask=0077
if [ -n "${TLS_HELPER:-}" ]; then                        # https.conf's ExecStartPre=
    # shellcheck disable=SC2086 # $nnp is empty or one flag
    setpriv --bounding-set "-all,$caps" --inh-caps -all --ambient-caps -all $nnp \
        -- /srv/sbin/warden-tls-cert "$@" || exit 1
fi
# shellcheck disable=SC2086 # $nnp is empty or one flag
set -- setpriv --bounding-set "-all,$caps" --inh-caps -all --ambient-caps -all $nnp \
    -- /srv/sbin/warden --root /srv/www "$@"
[ -z "${USERNS_MAP:-}" ] && exec "$@"
# PrivateUsers=, set up as systemd does: the service unshares a user namespace, then a
# process outside it writes setgroups ("deny" in systemd 252), gid_map and uid_map;
# the service goes on once it has its uid_map.
unshare --user -- sh -c 'while [ -z "$(cat /proc/self/uid_map)" ]; do sleep 0.02; done; exec "$@"' sh "$@" &
child=$!
for _ in $(seq 250); do
    [ "$(readlink "/proc/$child/ns/user")" != "$(readlink /proc/self/ns/user)" ] && break
    sleep 0.02
done
echo "${USERNS_SETGROUPS:-deny}" >"/proc/$child/setgroups"
echo "$USERNS_MAP" >"/proc/$child/gid_map"
echo "$USERNS_MAP" >"/proc/$child/uid_map"
wait "$child"
EOF
chmod 755 "$SCRATCH/sandbox.sh"
sandbox() { # STAGE ARGS... (exec: call it in a subshell)
    local stage=$1
    shift
    mkdir -p "$stage"
    # exec: run in the background, $! is then warden's own pid (all the way down).
    exec unshare -m --propagation private "$SCRATCH/sandbox.sh" "$stage" "$BIN" "$WWW" "$caps" "$nnp" "$@"
}
if [ -z "$RUNTIME" ]; then
    skip "warden under the unit's sandbox (needs root and a binary)"
elif ! unshare -m --propagation private true 2>/dev/null; then
    skip "warden under the unit's sandbox (unshare -m not permitted here)"
else
    # A port below 1024, so that CAP_NET_BIND_SERVICE from the bounding set matters.
    port=$(free_port 600 1000)
    if out=$(sandbox "$SCRATCH/stage1" --listen "127.0.0.1:$port" --user nobody --strict --check 2>&1 | cat; exit "${PIPESTATUS[0]}") &&
        grep -qx 'confinement as planned' <<<"$out"; then
        ok "sandbox ($caps${nnp:+, no_new_privs}): warden --check on port $port, --user nobody: confinement as planned"
    else
        fail "sandbox ($caps${nnp:+, no_new_privs}): warden --check on port $port, --user nobody" "$out"
    fi
    if grep -qE '^seccomp: .*allowlist.*others: kill (process|thread);.*filter mode 2 read back' <<<"$out"; then
        ok "sandbox: warden's own seccomp filter installed, default kill ($(grep -m1 '^seccomp: ' <<<"$out"))"
    else
        fail "sandbox: warden's own seccomp filter installed, default kill" "$(grep '^seccomp' <<<"$out" || echo "$out")"
    fi
    # Serving for real: one request, then SIGTERM (systemd's KillSignal) -> exit 0.
    log=$SCRATCH/sandbox.log
    sandbox "$SCRATCH/stage2" --listen "127.0.0.1:$port" 2> >(cat >"$log") &
    pid=$!
    record_pid "$pid"
    if wait_for "$log" "listening on http://127.0.0.1:$port" && http_get "$port" / &&
        [ "$HTTP_STATUS_LINE" = "HTTP/1.1 200 OK" ]; then
        ok "sandbox: warden serves GET / with 200 on port $port"
    else
        fail "sandbox: warden serves GET / with 200 on port $port" "$(cat "$log"; head -12 <<<"$HTTP_RESPONSE")"
    fi
    rc=0
    term_and_wait "$pid" || rc=$?
    expect_eq "sandbox: SIGTERM -> warden exits 0" "$rc" 0
    # The same sandbox without CAP_SETPCAP must fail: the emulation is not a no-op.
    if out=$(caps=${caps/+setpcap,/} sandbox "$SCRATCH/stage3" --listen "127.0.0.1:$port" --check 2>&1 | cat; exit "${PIPESTATUS[0]}"); then
        fail "sandbox without CAP_SETPCAP: warden refuses to serve (control)" "$out"
    else
        ok "sandbox without CAP_SETPCAP: warden refuses to serve (control)"
    fi
    # PrivateUsers= (the unit leaves it off): the same sandbox in a user namespace set
    # up as systemd 252 sets it up for a unit without User= (uid and gid 0 mapped,
    # setgroups denied). warden must fail where the unit's comment says, and start
    # with every id mapped and setgroups allowed (so the failures are PrivateUsers'
    # and not the emulation's).
    hport=$(free_port 20000 60000)
    got=""
    for run in "0 0 1|deny|$port" "0 0 1|deny|$hport" "0 0 1|allow|$hport" "0 0 4294967295|allow|$hport"; do
        IFS='|' read -r map sg p <<<"$run"
        out=$(USERNS_MAP=$map USERNS_SETGROUPS=$sg sandbox "$SCRATCH/stage-pu$p$sg${map// /_}" \
            --listen "127.0.0.1:$p" --check 2>&1 | cat; exit "${PIPESTATUS[0]}") && rc=0 || rc=$?
        line=$(grep -E '^warden: |^confinement as planned' <<<"$out" | tail -1 | sed "s/$p/PORT/g")
        low="< 1024"; [ "$p" -lt 1024 ] || low=">= 1024"
        got+="map '$map' setgroups $sg port $low: exit $([ "$rc" = 0 ] && echo 0 || echo non-zero): $line"$'\n'
    done
    expect_eq "sandbox with PrivateUsers= emulated: no bind below 1024, no setgroups, no uid drop (the unit's comment)" "$got" \
"map '0 0 1' setgroups deny port < 1024: exit non-zero: warden: cannot listen on 127.0.0.1:PORT: Permission denied (os error 13)
map '0 0 1' setgroups deny port >= 1024: exit non-zero: warden: confinement failed: setgroups([]): EPERM: Operation not permitted
map '0 0 1' setgroups allow port >= 1024: exit non-zero: warden: confinement failed: setresgid: EINVAL: Invalid argument
map '0 0 4294967295' setgroups allow port >= 1024: exit 0: confinement as planned
"
    # The auth file where the unit's comments put it, /etc/warden/htpasswd (root,
    # 0600, in a 0700 directory), and a user:$p$account line reading a stand-in
    # /etc/shadow (root:shadow 0640, as on Debian).
    EU=$SCRATCH/etc-upper
    make_auth_file "$EU/warden/htpasswd" admin 'unit pass'
    ops_hash=$(printf '%s\n' 'ops pass' | "$BIN" --hash-password)
    printf 'ops:$p$wardenops\n' >>"$EU/warden/htpasswd"
    printf 'wardenops:%s:19000:0:99999:7:::\n' "$ops_hash" >"$EU/shadow"
    chown root:"$(getent group shadow >/dev/null && echo shadow || echo root)" "$EU/shadow"
    chmod 640 "$EU/shadow"
    auth_args=(--auth-file /etc/warden/htpasswd --protect /firmware.html)
    probe=$SCRATCH/overlay-probe
    mkdir -p "$probe/u" "$probe/w" "$probe/m"
    if ! unshare -m --propagation private mount -t overlay overlay \
        -o "lowerdir=/etc,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
        skip "sandbox with /etc/warden/htpasswd (overlayfs not available here)"
    else
        if out=$(ETC_UPPER=$EU sandbox "$SCRATCH/stage4" --listen "127.0.0.1:$port" "${auth_args[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}") &&
            grep -qx 'confinement as planned' <<<"$out"; then
            ok "sandbox: --auth-file /etc/warden/htpasswd (root 0600, a \$p\$ line from /etc/shadow) read at start, --check as planned"
        else
            fail "sandbox: --auth-file /etc/warden/htpasswd read at start, --check as planned" "$out"
        fi
        log=$SCRATCH/sandbox-auth.log
        ETC_UPPER=$EU sandbox "$SCRATCH/stage5" --listen "127.0.0.1:$port" "${auth_args[@]}" 2> >(cat >"$log") &
        pid=$!
        record_pid "$pid"
        got=""
        if wait_for "$log" "listening on http://127.0.0.1:$port"; then
            for cred in "" "admin:unit pass" "ops:ops pass" "admin:wrong"; do
                http_get "$port" /firmware.html localhost "${cred:+$(basic_auth "${cred%%:*}" "${cred#*:}")}" || true
                got+="${cred:-none} ${HTTP_STATUS_LINE:-no answer}|"
            done
        fi
        expect_eq "sandbox: --protect /firmware.html: 401 without a login, 200 for the htpasswd and the \$p\$ user, 401 for a wrong password" \
            "$got" "none HTTP/1.1 401 Unauthorized|admin:unit pass HTTP/1.1 200 OK|ops:ops pass HTTP/1.1 200 OK|admin:wrong HTTP/1.1 401 Unauthorized|"
        rc=0
        term_and_wait "$pid" || rc=$?
        expect_eq "sandbox (logins): SIGTERM -> warden exits 0" "$rc" 0
        # Owned by another user, the file is unreadable to root without
        # CAP_DAC_OVERRIDE: what the unit's comment says (root must own it).
        chown 1000:1000 "$EU/warden/htpasswd"
        if out=$(ETC_UPPER=$EU sandbox "$SCRATCH/stage6" --listen "127.0.0.1:$port" "${auth_args[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}"); then
            fail "sandbox: an auth file owned by uid 1000 (0600) is refused, no CAP_DAC_OVERRIDE (control)" "$out"
        elif grep -qF -- '--auth-file /etc/warden/htpasswd: Permission denied' <<<"$out"; then
            ok "sandbox: an auth file owned by uid 1000 (0600) is refused, no CAP_DAC_OVERRIDE (control)"
        else
            fail "sandbox: an auth file owned by uid 1000 (0600) is refused, no CAP_DAC_OVERRIDE (control)" "$out"
        fi
    fi
    # --proxy from the unit's sandbox to the demo backend on loopback: the jailed
    # warden (uid 65534, no capabilities) connects to it, the upload limit of
    # --proxy-max-body lets 4 KiB through, --max-body 1k refuses 2 KiB elsewhere.
    bport=$(free_port 20000 60000)
    blog=$SCRATCH/sandbox-backend.log
    if start_backend "$bport" "$blog"; then
        proxy_args=(--proxy "/api=127.0.0.1:$bport" --proxy-max-body /api/firmware=64m --max-body 1k --proxy-timeout 5)
        if out=$(sandbox "$SCRATCH/stage7" --listen "127.0.0.1:$port" "${proxy_args[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}") &&
            grep -qx 'confinement as planned' <<<"$out"; then
            ok "sandbox: ${proxy_args[*]}: --check as planned"
        else
            fail "sandbox: ${proxy_args[*]}: --check as planned" "$out"
        fi
        log=$SCRATCH/sandbox-proxy.log
        sandbox "$SCRATCH/stage8" --listen "127.0.0.1:$port" "${proxy_args[@]}" 2> >(cat >"$log") &
        pid=$!
        record_pid "$pid"
        got=""
        if wait_for "$log" "listening on http://127.0.0.1:$port"; then
            http_get "$port" /api/status || true
            got+="${HTTP_STATUS_LINE:-no answer} $(grep -o '"hostname": "[^"]*"' <<<"$HTTP_RESPONSE" | head -1 | sed 's/: .*//' || true)|"
            http_post "$port" /api/firmware 4096 || true
            got+="${HTTP_STATUS_LINE:-no answer} $(grep -o '"size": [0-9]*' <<<"$HTTP_RESPONSE" || true)|"
            http_post "$port" /api/settings 2048 || true
            got+="${HTTP_STATUS_LINE:-no answer}"
        fi
        expect_eq "sandbox: --proxy /api to the demo backend on 127.0.0.1:$bport: GET relayed, 4 KiB upload under --proxy-max-body, 413 over --max-body 1k" \
            "$got" 'HTTP/1.1 200 OK "hostname"|HTTP/1.1 200 OK "size": 4096|HTTP/1.1 413 Content Too Large'
        rc=0
        term_and_wait "$pid" || rc=$?
        expect_eq "sandbox (proxy): SIGTERM -> warden exits 0" "$rc" 0
    else
        fail "sandbox: demo backend listening on 127.0.0.1:$bport" "$(cat "$blog")"
    fi
    stop_backend "$BACKEND_PID"
    # https.conf in the sandbox: /etc read-only but /etc/warden (ConfigurationDirectory=,
    # a scratch directory bound there), the drop-in's WARDEN_HTTPS on 127.0.0.1, its
    # ExecStartPre (warden-tls-cert) first with the same capabilities and no_new_privs:
    # it makes the certificate there (openssl, key 600), then warden serves HTTPS
    # with it. Control: without a writable /etc/warden the helper fails, warden never runs.
    probe=$SCRATCH/overlay-probe-tls
    mkdir -p "$probe/u" "$probe/w" "$probe/m"
    if ! grep -q -- '^  --listen-tls' <<<"$HELP"; then
        skip "sandbox with https.conf (this binary has no --listen-tls)"
    elif ! unshare -m --propagation private mount -t overlay overlay \
        -o "lowerdir=/etc,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
        skip "sandbox with https.conf (overlayfs not available here)"
    else
        tport=$(free_port 26000 32000)
        flags=$(sed -n 's/^Environment="WARDEN_HTTPS=\(.*\)"$/\1/p' "$HTTPS_DROPIN")
        flags=${flags//0.0.0.0:443/127.0.0.1:$tport}
        flags=${flags//--listen-tls \[::\]:443 /}
        read -ra tls_args <<<"$flags"
        EUT=$SCRATCH/etc-upper-tls
        CONF=$SCRATCH/etc-warden-rw
        mkdir -p "$EUT/warden" "$CONF"
        chmod 700 "$EUT/warden" "$CONF"
        log=$SCRATCH/sandbox-tls.log
        ETC_UPPER=$EUT CONF_RW=$CONF TLS_HELPER=$REPO/$TLS_HELPER \
            sandbox "$SCRATCH/stage10" --listen "127.0.0.1:$port" "${tls_args[@]}" >"$log" 2>&1 &
        pid=$!
        record_pid "$pid"
        got=""
        if wait_for "$log" "listening on https://127.0.0.1:$tport"; then
            got="$(grep -c '^warden-tls-cert: made a self-signed certificate for CN=.* (openssl, ECDSA P-256, 730 days): /etc/warden/warden.crt, its key /etc/warden/warden.key$' "$log")|$(stat -c %a "$CONF/warden.key")|$(https_get "$tport" /index.html | tr '\n' '|')"
        fi
        expect_eq "sandbox with https.conf (${tls_args[*]}): warden-tls-cert makes /etc/warden/warden.crt (key 600), warden serves HTTPS with it" \
            "$got" "1|600|HTTP/1.1 200 OK|sha256 $(cert_sha256 "$CONF/warden.crt" 2>&1)|"
        rc=0
        term_and_wait "$pid" || rc=$?
        expect_eq "sandbox (https.conf): SIGTERM -> warden exits 0" "$rc" 0
        rc=0
        out=$(ETC_UPPER=$EUT TLS_HELPER=$REPO/$TLS_HELPER sandbox "$SCRATCH/stage11" --listen "127.0.0.1:$port" \
            "${tls_args[@]}" --check 2>&1) || rc=$?
        if [ "$rc" != 0 ] && grep -qx 'warden-tls-cert: no certificate at /etc/warden/warden.crt: cannot write beside /etc/warden/warden.key and /etc/warden/warden.crt' <<<"$out" &&
            ! grep -q '^confinement' <<<"$out"; then
            ok "sandbox without ConfigurationDirectory= (/etc/warden read-only): warden-tls-cert fails, says why, warden never runs (control)"
        else
            fail "sandbox without ConfigurationDirectory= (/etc/warden read-only): warden-tls-cert fails, warden never runs (control)" "rc $rc: $out"
        fi
    fi
fi
