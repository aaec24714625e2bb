# shellcheck shell=bash
# Board profiles (boards/*/board.conf) against the files that install warden on them:
# each profile's INIT= names its init system, and that system's files must start
# warden on the profile's built-in web root (WARDEN_DEFAULT_ROOT), which the SELinux
# file contexts and the AppArmor profile must cover too. INIT=none (the host) is
# checked only for being a known value.
# shellcheck disable=SC2016 # literal patterns

echo "== board profiles: INIT= and the web root agree with the init files and MAC policies"
for conf in boards/*/board.conf; do
    board=$(basename "$(dirname "$conf")")
    init=$(sed -n 's/^INIT=//p' "$conf")
    root=$(sed -n 's/^export WARDEN_DEFAULT_ROOT=//p' "$conf")
    case "$init" in
    procd)
        file=boards/openwrt/warden/files/warden.config
        if grep -qF "option root '$root'" "$file"; then
            ok "$board: INIT=procd, root $root = $file's option root"
        else
            fail "$board: INIT=procd, root $root = $file's option root" "$(grep -n 'option root' "$file")"
        fi
        ;;
    systemd)
        file=boards/systemd/warden.service
        if grep -qE "^ExecStart=/usr/sbin/warden --root $root " "$file"; then
            ok "$board: INIT=systemd, root $root = $file's ExecStart --root"
        else
            fail "$board: INIT=systemd, root $root = $file's ExecStart --root" "$(grep -n '^ExecStart=' "$file")"
        fi
        ;;
    none) ok "$board: INIT=none (no init files)" ;;
    *) fail "$board: INIT= is procd, systemd or none" "INIT=$init" ;;
    esac
    [ -n "$root" ] || continue
    # In warden.fc, or (a root the distribution's httpd policy already labels, where a
    # second specification would conflict) as a documented local semanage command.
    if grep -qF "$root(/.*)?" boards/selinux/warden.fc ||
        grep -qF "semanage fcontext -a -t warden_content_t '$root(/.*)?'" boards/selinux/README.md; then
        ok "$board: SELinux labels $root (warden.fc or the README's semanage line)"
    else
        fail "$board: SELinux labels $root (warden.fc or the README's semanage line)" "$(grep -v '^#' boards/selinux/warden.fc)"
    fi
    if grep -qE "^@\{WARDEN_ROOT\}=(.* )?$root( |\$)" boards/apparmor/usr.sbin.warden; then
        ok "$board: AppArmor's @{WARDEN_ROOT} covers $root"
    else
        fail "$board: AppArmor's @{WARDEN_ROOT} covers $root" "$(grep -n 'WARDEN_ROOT}=' boards/apparmor/usr.sbin.warden)"
    fi
done
