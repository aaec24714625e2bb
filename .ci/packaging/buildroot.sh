# shellcheck shell=bash
# Buildroot: boards/buildroot/ (a BR2_EXTERNAL tree: external.desc, Config.in,
# external.mk, warden/Config.in, warden/warden.mk, warden/warden.hash), checked without
# a Buildroot tree, since a board build must find, configure and install the package:
#   warden.mk, Config.in  the required variables and symbols (grep); the BR2_EXTERNAL
#                         glue files; README's offline flow, user, OpenRC, checked
#                         strings and run-time settings (logins, Host names, headers,
#                         proxy) per init system.
#   warden.hash           its LICENSE line is LICENSE's sha256.
#   Config.in             parsed by kconfiglib, with the two Buildroot symbols it uses
#                         stubbed: no warnings, the dependency, the select, the defaults
#                         (source: this tree; uid/gid 480), the git options only with
#                         the git source.
#   warden.mk             run by make against a stub Buildroot (stub.mk: the variables,
#                         macros and steps of pkg-generic.mk and pkg-cargo.mk it uses,
#                         and a .config-like file included as Buildroot includes
#                         .config): the cargo environment and WARDEN_USERS; the install
#                         commands into a scratch target dir, per init system (BusyBox,
#                         systemd, OpenRC) and for other root, address and ids; hostile
#                         web roots, addresses, ids and git URLs refused at make time
#                         with nothing run on the build host (marker files), next to a
#                         control showing the same values run when expanded as before;
#                         and the offline flow of the local source: make warden-source
#                         vendors the crates into DL_DIR, then the rsync step and the
#                         build step (cargo metadata and cargo build -p log, --offline
#                         --locked: every crate of Cargo.lock, without compiling the
#                         tree's own sources) run with the network cut (unshare -n,
#                         CARGO_NET_OFFLINE, an empty CARGO_HOME); without the vendored
#                         crates the build step fails (control). Needs cargo and rsync
#                         (install_tools in lib.sh); skipped without cargo.
# Sourced by .ci/check-packaging after lib.sh (REPO, SCRATCH).
# shellcheck disable=SC2016 # literal $(...) make text in single quotes

BR=boards/buildroot
BR_MK=$BR/warden/warden.mk
BR_CONFIG=$BR/warden/Config.in
BR_HASH=$BR/warden/warden.hash

echo "== Buildroot: $BR"
need "$BR_MK" "warden.mk: cargo-package, local or git source, license, env, user, init scripts" \
    '$(eval $(cargo-package))' 'WARDEN_VERSION =' 'WARDEN_SITE =' 'WARDEN_SITE_METHOD = local' \
    'WARDEN_SITE_METHOD = git' 'WARDEN_LICENSE = MIT' 'WARDEN_LICENSE_FILES = LICENSE' 'WARDEN_CARGO_ENV =' \
    'WARDEN_MAX_CONNECTIONS=' 'WARDEN_HEAD_BUF_SMALL=' 'WARDEN_HEAD_BUF_LARGE=' \
    'WARDEN_LARGE_HEAD_BUFS=' 'WARDEN_SEND_CHUNK=' 'WARDEN_DEFAULT_ROOT=' \
    'WARDEN_DEFAULT_LISTEN=' 'WARDEN_DEFAULT_USER=' 'define WARDEN_USERS' \
    'define WARDEN_INSTALL_INIT_SYSV' 'boards/sysvinit/S50warden' \
    'define WARDEN_INSTALL_INIT_OPENRC' 'boards/openrc/warden.initd' \
    'define WARDEN_INSTALL_INIT_SYSTEMD' 'boards/systemd/warden.service' \
    '$(TARGET_DIR)/usr/sbin/warden'
need "$BR_MK" "warden.mk: crates vendored at download time (warden-source, after rsync), not in the build step" \
    'define WARDEN_CARGO_VENDOR' 'WARDEN_POST_RSYNC_HOOKS += WARDEN_VENDOR_INTO_BUILD_DIR' \
    'warden-source: warden-vendor' 'cargo vendor --manifest-path' 'WARDEN_PRE_BUILD_HOOKS += WARDEN_CHECK_VENDORED'
if grep -n 'PRE_BUILD_HOOKS' "$BR_MK" | grep -v 'WARDEN_PRE_BUILD_HOOKS += WARDEN_CHECK_VENDORED$'; then
    fail "warden.mk: no vendoring (network) in the build step"
else
    ok "warden.mk: no vendoring (network) in the build step"
fi
need "$BR/README.md" "README.md: logins, Host names and headers set through the init system's file" \
    '--auth-file FILE' '--protect PREFIX' '--allow-host NAME' '--allow-any-host' "--header 'Name: value'" \
    'warden --hash-password' 'WARDEN_AUTH_FILE' 'WARDEN_HEADERS' 'WARDEN_OPTS=' '/etc/warden/htpasswd'
need "$BR/README.md" "README.md: the proxy flags set through the init system's file" \
    '--proxy PREFIX=ADDR:PORT' '--proxy-allow-remote' '--max-body BYTES' '--proxy-max-body PREFIX=BYTES' \
    '--proxy-timeout S' '`WARDEN_PROXY`, `WARDEN_PROXY_MAX_BODY`' \
    'WARDEN_OPTS="--auth-file /etc/warden/htpasswd --protect /api --proxy /api=127.0.0.1:9000 --proxy-max-body /api/firmware=64m"'
need "$BR/README.md" "README.md: the offline flow, the hash file, the user, OpenRC, syslog, the checked strings" \
    'make warden-source' 'make source' 'warden-vendor-' 'BR2_PACKAGE_WARDEN_SOURCE_GIT' 'warden.hash' \
    'BR2_PACKAGE_WARDEN_UID' 'WARDEN_USERS' '/etc/init.d/warden' '/etc/conf.d/warden' 'BR2_INIT_OPENRC' \
    'WARDEN_SYSLOG' '$(value' 'unshare -n'
need "$BR_CONFIG" "Config.in: BR2_PACKAGE_WARDEN_TLS (default y), its size and what it turns on" \
    'config BR2_PACKAGE_WARDEN_TLS' 'bool "HTTPS (TLS)"' 'about 410 KiB' 'WARDEN_LISTEN_TLS' 'https.conf' '"no TLS"' \
    'config BR2_PACKAGE_WARDEN_TLS_CONNECTIONS' 'depends on BR2_PACKAGE_WARDEN_TLS' \
    'BR2_PACKAGE_LIBOPENSSL_BIN'
need "$BR_MK" "warden.mk: the tls feature from BR2_PACKAGE_WARDEN_TLS; the systemd drop-in's helper with it" \
    'WARDEN_CARGO_BUILD_OPTS = --no-default-features $(if $(BR2_PACKAGE_WARDEN_TLS),--features tls)' \
    '$(if $(BR2_PACKAGE_WARDEN_TLS),$(INSTALL) -D -m 0755 $(@D)/boards/systemd/warden-tls-cert'
need "$BR/README.md" "README.md: BR2_PACKAGE_WARDEN_TLS and HTTPS per init system" \
    '`BR2_PACKAGE_WARDEN_TLS`' 'WARDEN_LISTEN_TLS' 'https.conf' '/usr/libexec/warden/warden-tls-cert' 'BR2_PACKAGE_LIBOPENSSL_BIN'
need "$BR_CONFIG" "Config.in: BR2_PACKAGE_WARDEN on Rust-capable targets" \
    'config BR2_PACKAGE_WARDEN' 'depends on BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS' \
    'select BR2_PACKAGE_HOST_RUSTC'
need "$BR/external.desc" "external.desc, Config.in, external.mk: a BR2_EXTERNAL tree named WARDEN" 'name: WARDEN'
need "$BR/Config.in" "external Config.in sources warden/Config.in" 'source "$BR2_EXTERNAL_WARDEN_PATH/warden/Config.in"'
need "$BR/external.mk" "external.mk includes warden/warden.mk" '$(BR2_EXTERNAL_WARDEN_PATH)/*/*.mk'
expect_eq "warden.hash: the LICENSE line is LICENSE's sha256 (sha256sum LICENSE)" \
    "$(grep -E '^sha256  [0-9a-f]{64}  LICENSE$' "$BR_HASH")" "sha256  $(sha256sum LICENSE | cut -c1-64)  LICENSE"

# Config.in through kconfiglib, with the two Buildroot symbols it uses stubbed.
mkdir -p "$SCRATCH/kconfig"
cat >"$SCRATCH/kconfig/Config.in" <<'EOF'
config BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS
	bool "rust target supported"
config BR2_PACKAGE_HOST_RUSTC
	bool
source "$BR2_EXTERNAL_WARDEN_PATH/Config.in"
EOF
check "Config.in (kconfiglib): parses without warnings; needs ARCH_SUPPORTS, selects HOST_RUSTC; defaults; git options only with the git source" \
    env BR2_EXTERNAL_WARDEN_PATH="$REPO/$BR" /usr/bin/python3 - "$SCRATCH/kconfig/Config.in" <<'EOF'
import sys, kconfiglib
k = kconfiglib.Kconfig(sys.argv[1], warn_to_stderr=False)
assert not k.warnings, k.warnings
arch, rustc, warden = (k.syms[n] for n in ("BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS",
                                           "BR2_PACKAGE_HOST_RUSTC", "BR2_PACKAGE_WARDEN"))
warden.set_value(2)
assert warden.tri_value == 0, "selectable without BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS"
arch.set_value(2)
warden.set_value(2)
assert warden.tri_value == 2, "not selectable with BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS"
assert rustc.tri_value == 2, "does not select BR2_PACKAGE_HOST_RUSTC"
want = {"ROOT": "/www", "LISTEN": "0.0.0.0:80", "DEMO_WWW": "n", "MAX_CONNECTIONS": "128",
        "HEAD_BUF_SMALL": "1024", "HEAD_BUF_LARGE": "8192", "LARGE_HEAD_BUFS": "8", "SEND_CHUNK": "131072",
        "UID": "480", "GID": "480", "SOURCE_LOCAL": "y", "SOURCE_GIT": "n", "TLS": "y", "TLS_CONNECTIONS": "16"}
for name, value in want.items():
    got = k.syms["BR2_PACKAGE_WARDEN_" + name].str_value
    assert got == value, f"BR2_PACKAGE_WARDEN_{name}: {got!r}, want {value!r}"
url = k.syms["BR2_PACKAGE_WARDEN_GIT_URL"]
assert not url.visibility, "BR2_PACKAGE_WARDEN_GIT_URL visible with the local source"
k.syms["BR2_PACKAGE_WARDEN_SOURCE_GIT"].set_value(2)
assert k.syms["BR2_PACKAGE_WARDEN_SOURCE_LOCAL"].str_value == "n", "the source choice is not exclusive"
assert url.visibility, "BR2_PACKAGE_WARDEN_GIT_URL hidden with the git source"
assert k.syms["BR2_PACKAGE_WARDEN_UID"].ranges[0][0].str_value == "1", "uid 0 allowed"
k.syms["BR2_PACKAGE_WARDEN_TLS"].set_value(0)
assert not k.syms["BR2_PACKAGE_WARDEN_TLS_CONNECTIONS"].visibility, "BR2_PACKAGE_WARDEN_TLS_CONNECTIONS visible without TLS"
EOF

# warden.mk run by make, with the Buildroot variables, macros and steps it uses stubbed.
B=$SCRATCH/br
mkdir -p "$B/build/warden-0.1.0/target/armv7-unknown-linux-musleabihf/release"
ln -s "$REPO/boards" "$B/build/warden-0.1.0/boards"
printf '#!/bin/sh\n' >"$B/build/warden-0.1.0/target/armv7-unknown-linux-musleabihf/release/warden"
cat >"$B/stub.mk" <<'EOF'
# The .config (CONFIG, if given), then the defaults of the options it does not set.
ifneq ($(CONFIG),)
include $(CONFIG)
endif
BR2_EXTERNAL_WARDEN_PATH ?= $(REPO)/boards/buildroot
BR2_PACKAGE_WARDEN ?= y
BR2_PACKAGE_WARDEN_SOURCE_LOCAL ?= y
BR2_PACKAGE_WARDEN_ROOT ?= "/www"
BR2_PACKAGE_WARDEN_LISTEN ?= "0.0.0.0:80"
BR2_PACKAGE_WARDEN_UID ?= 480
BR2_PACKAGE_WARDEN_GID ?= 480
BR2_PACKAGE_WARDEN_DEMO_WWW ?= y
BR2_PACKAGE_WARDEN_MAX_CONNECTIONS ?= 128
BR2_PACKAGE_WARDEN_HEAD_BUF_SMALL ?= 1024
BR2_PACKAGE_WARDEN_HEAD_BUF_LARGE ?= 8192
BR2_PACKAGE_WARDEN_LARGE_HEAD_BUFS ?= 8
BR2_PACKAGE_WARDEN_SEND_CHUNK ?= 131072
BR2_PACKAGE_WARDEN_TLS ?= y
BR2_PACKAGE_WARDEN_TLS_CONNECTIONS ?= 16
# support/misc/utils.mk, package/Makefile.in, pkg-download.mk, pkg-cargo.mk
comma := ,
qstrip = $(strip $(subst ",,$(1)))
INSTALL := install
SED := sed -i -e
RUSTC_TARGET_NAME := armv7-unknown-linux-musleabihf
DL_DIR ?= $(BUILD)/../dl
BR_CARGO_HOME ?= $(DL_DIR)/br-cargo-home
HOST_MAKE_ENV := PATH="$(PATH)"
PKG_COMMON_CARGO_ENV = CARGO_HOME=$(BR_CARGO_HOME)
RSYNC_VCS_EXCLUSIONS := --exclude .svn --exclude .git --exclude .hg --exclude .bzr --exclude CVS
prepare-per-package-directory :=
# pkg-generic.mk's package variables warden.mk uses, for this one package.
define cargo-package
WARDEN_DL_DIR = $$(DL_DIR)/warden
WARDEN_DIR = $$(BUILD)/warden-$$(WARDEN_VERSION)
WARDEN_TARGET_RSYNC = $$(WARDEN_DIR)/.stamp_rsynced
WARDEN_FINAL_DOWNLOAD_DEPENDENCIES = host-rustc
ifeq ($$(WARDEN_SITE_METHOD),local)
WARDEN_OVERRIDE_SRCDIR ?= $$(WARDEN_SITE)
endif
endef
WARDEN_INCLUDE ?= $(BR2_EXTERNAL_WARDEN_PATH)/external.mk
include $(WARDEN_INCLUDE)
define sep


endef
print-%:
	@: $(info $($*))
# pkg-generic.mk's steps (an override source has an empty <pkg>-source).
.PHONY: warden-source prepare dependencies host-rustc
warden-source:
prepare dependencies:
host-rustc:
	@command -v cargo >/dev/null || { echo "stub host-rustc: no cargo on PATH"; exit 1; }
$(WARDEN_DIR)/.stamp_rsynced: SRCDIR = $(WARDEN_OVERRIDE_SRCDIR)
$(WARDEN_DIR)/.stamp_rsynced: PKG = WARDEN
$(WARDEN_DIR)/.stamp_rsynced:
	mkdir -p $(@D)
	rsync -au --chmod=u=rwX,go=rX $(WARDEN_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS) $(RSYNC_VCS_EXCLUSIONS) $(call qstrip,$(SRCDIR))/ $(@D)
	$(foreach h,$(WARDEN_POST_RSYNC_HOOKS),$(call $(h))$(sep))
	touch $@
# The build step: the hooks, then pkg-cargo.mk's cargo build --offline --locked, for
# the crate log only (the tree's own sources are not compiled), after cargo metadata
# with WARDEN_CARGO_BUILD_OPTS, which needs every crate of Cargo.lock and refuses a
# feature the package does not have.
$(WARDEN_DIR)/.stamp_built:
	$(foreach h,$(WARDEN_PRE_BUILD_HOOKS),$(call $(h))$(sep))
	cd $(@D) && $(PKG_COMMON_CARGO_ENV) $(WARDEN_CARGO_ENV) \
		cargo metadata --offline --locked --format-version 1 $(WARDEN_CARGO_BUILD_OPTS) >/dev/null
	cd $(@D) && $(PKG_COMMON_CARGO_ENV) $(WARDEN_CARGO_ENV) \
		cargo build --offline --manifest-path Cargo.toml --locked -p log
	touch $@
$(WARDEN_DIR)/.stamp_target_installed:
	$(WARDEN_INSTALL_TARGET_CMDS)
	$(if $(BR2_INIT_SYSTEMD),$(WARDEN_INSTALL_INIT_SYSTEMD))
	$(if $(BR2_INIT_SYSV)$(BR2_INIT_BUSYBOX),$(WARDEN_INSTALL_INIT_SYSV))
	$(if $(BR2_INIT_OPENRC),$(or $(WARDEN_INSTALL_INIT_OPENRC),$(WARDEN_INSTALL_INIT_SYSV)))
	$(foreach h,$(WARDEN_POST_INSTALL_TARGET_HOOKS),$(call $(h))$(sep))
EOF
brmake() { make --no-print-directory -f "$B/stub.mk" REPO="$REPO" BUILD="$B/build" "$@"; }
if out=$(brmake print-WARDEN_SITE print-WARDEN_SITE_METHOD print-WARDEN_CARGO_ENV print-WARDEN_USERS 2>&1); then
    expect_eq "warden.mk (stub Buildroot): site is this tree; capacities, root, address, user (single-quoted) in WARDEN_CARGO_ENV; WARDEN_USERS" \
        "$(squash "$out")" "$REPO local WARDEN_MAX_CONNECTIONS=128 WARDEN_HEAD_BUF_SMALL=1024 WARDEN_HEAD_BUF_LARGE=8192 WARDEN_LARGE_HEAD_BUFS=8 WARDEN_SEND_CHUNK=131072 WARDEN_DEFAULT_ROOT='/www' WARDEN_DEFAULT_LISTEN='0.0.0.0:80' WARDEN_DEFAULT_USER='480:480' WARDEN_TLS_CONNECTIONS=16 warden 480 warden 480 * - - - warden web server"
else
    fail "warden.mk (stub Buildroot): parses" "$out"
fi
printf '%s\n' 'BR2_PACKAGE_WARDEN_SOURCE_LOCAL=' 'BR2_PACKAGE_WARDEN_SOURCE_GIT=y' \
    'BR2_PACKAGE_WARDEN_GIT_URL="https://git.example.org/warden.git"' \
    'BR2_PACKAGE_WARDEN_GIT_VERSION="0123456789abcdef0123456789abcdef01234567"' >"$B/git.config"
if out=$(brmake CONFIG="$B/git.config" print-WARDEN_SITE print-WARDEN_SITE_METHOD print-WARDEN_VERSION \
    print-WARDEN_POST_RSYNC_HOOKS 2>&1); then
    expect_eq "warden.mk (stub Buildroot, git source): Buildroot's git download (crates vendored into its tarball), no rsync hook" \
        "$(squash "$out")" "https://git.example.org/warden.git git 0123456789abcdef0123456789abcdef01234567"
else
    fail "warden.mk (stub Buildroot, git source): parses" "$out"
fi
# BR2_PACKAGE_WARDEN_TLS: the tls feature, or no feature at all (Kconfig leaves an
# option that is off undefined; the stub's .config sets it empty for that).
printf '%s\n' 'BR2_PACKAGE_WARDEN_TLS=' >"$B/notls.config"
expect_eq "warden.mk (stub Buildroot): WARDEN_CARGO_BUILD_OPTS with BR2_PACKAGE_WARDEN_TLS=y, and without it (nor WARDEN_TLS_CONNECTIONS then)" \
    "$(brmake print-WARDEN_CARGO_BUILD_OPTS 2>&1)|$(brmake CONFIG="$B/notls.config" print-WARDEN_CARGO_BUILD_OPTS 2>&1)|$(brmake CONFIG="$B/notls.config" print-WARDEN_CARGO_ENV 2>&1 | grep -o 'WARDEN_TLS_CONNECTIONS=[^ ]*' || true)" \
    "--no-default-features --features tls|--no-default-features |"
# The install commands, per init system, for the default settings and for others.
for variant in busybox systemd systemd-notls openrc; do
    T=$B/target-$variant
    root=/www listen=0.0.0.0:80 user=480:480
    case $variant in
    busybox) printf '%s\n' 'BR2_INIT_BUSYBOX=y' >"$B/$variant.config" ;;
    systemd)
        root=/srv/admin_ui-1.0+b listen='[::]:8080' user=481:482
        printf '%s\n' 'BR2_INIT_SYSTEMD=y' "BR2_PACKAGE_WARDEN_ROOT=\"$root\"" \
            "BR2_PACKAGE_WARDEN_LISTEN=\"$listen\"" 'BR2_PACKAGE_WARDEN_UID=481' 'BR2_PACKAGE_WARDEN_GID=482' >"$B/$variant.config"
        ;;
    systemd-notls) printf '%s\n' 'BR2_INIT_SYSTEMD=y' 'BR2_PACKAGE_WARDEN_TLS=' >"$B/$variant.config" ;;
    openrc)
        root=/srv/www listen=127.0.0.1:8080
        printf '%s\n' 'BR2_INIT_OPENRC=y' "BR2_PACKAGE_WARDEN_ROOT=\"$root\"" \
            "BR2_PACKAGE_WARDEN_LISTEN=\"$listen\"" >"$B/$variant.config"
        ;;
    esac
    t="warden.mk (stub Buildroot, $variant, root $root, listen $listen, user $user)"
    if ! out=$(brmake CONFIG="$B/$variant.config" TARGET_DIR="$T" "$B/build/warden-0.1.0/.stamp_target_installed" 2>&1); then
        fail "$t: install commands" "$out"
        continue
    fi
    got=$(cd "$T" && find . -path "./${root#/}/*" -prune -o -printf '%m %y %p\n' | sort)
    want=("755 d ." "755 d ./usr" "755 d ./usr/sbin" "755 f ./usr/sbin/warden")
    d=""
    for part in $(tr / ' ' <<<"${root#/}"); do d+=/$part; want+=("755 d .$d"); done
    case $variant in
    busybox) want+=("755 d ./etc" "755 d ./etc/default" "644 f ./etc/default/warden" "755 d ./etc/init.d"
        "755 f ./etc/init.d/S50warden") ;;
    systemd) want+=("755 d ./usr/lib" "755 d ./usr/lib/systemd" "755 d ./usr/lib/systemd/system"
        "644 f ./usr/lib/systemd/system/warden.service" "755 d ./usr/libexec" "755 d ./usr/libexec/warden"
        "755 f ./usr/libexec/warden/warden-tls-cert") ;;
    systemd-notls) want+=("755 d ./usr/lib" "755 d ./usr/lib/systemd" "755 d ./usr/lib/systemd/system"
        "644 f ./usr/lib/systemd/system/warden.service") ;;
    openrc) want+=("755 d ./etc" "755 d ./etc/conf.d" "644 f ./etc/conf.d/warden" "755 d ./etc/init.d"
        "755 f ./etc/init.d/warden" "755 d ./etc/runlevels" "755 d ./etc/runlevels/default"
        "777 l ./etc/runlevels/default/warden") ;;
    esac
    expect_eq "$t: installs the binary, the web root and only this init system's files" "$got" \
        "$(printf '%s\n' "${want[@]}" | sort)"
    if cmp -s "$T$root/index.html" boards/demo/www/index.html && [ -f "$T$root/js/app.js.gz" ]; then
        ok "$t: BR2_PACKAGE_WARDEN_DEMO_WWW fills the web root"
    else
        fail "$t: BR2_PACKAGE_WARDEN_DEMO_WWW fills the web root"
    fi
    case $variant in
    busybox | openrc)
        f=$T/etc/default/warden
        [ "$variant" = busybox ] || f=$T/etc/conf.d/warden
        expect_eq "$t: root, address and user set in ${f#"$T"}, nothing else" \
            "$(grep -E '^[^#[:space:]]' "$f" | tr '\n' ' ')" \
            "WARDEN_ROOT=\"$root\" WARDEN_LISTEN=\"$listen\" WARDEN_USER=\"$user\" "
        ;;
    systemd*)
        expect_eq "$t: root, address and user in the unit's ExecStart (its \$WARDEN_HTTPS and \$WARDEN_OPTS kept)" \
            "$(grep '^ExecStart=' "$T/usr/lib/systemd/system/warden.service")" \
            "ExecStart=/usr/sbin/warden --root $root --listen $listen --user $user \$WARDEN_HTTPS \$WARDEN_OPTS"
        ;;
    esac
    if [ "$variant" = openrc ]; then
        expect_eq "$t: the service in the default runlevel" "$(readlink "$T/etc/runlevels/default/warden")" /etc/init.d/warden
    fi
done
if out=$(brmake BR2_EXTERNAL_WARDEN_PATH= WARDEN_INCLUDE="$REPO/$BR_MK" print-WARDEN_SITE 2>&1); then
    fail "warden.mk (stub Buildroot): an empty WARDEN_SITE stops the build" "$out"
elif grep -qF 'WARDEN_SITE is empty' <<<"$out"; then
    ok "warden.mk (stub Buildroot): an empty WARDEN_SITE stops the build"
else
    fail "warden.mk (stub Buildroot): an empty WARDEN_SITE stops the build" "$out"
fi

# Hostile Kconfig values, written into the .config as Kconfig writes them: make stops
# with the option's name and the rule, before any recipe, and no payload runs (a
# marker file each). Control: the same values, expanded as warden.mk used to
# (make's $(BR2_...), then "..." in the shell), do run.
M=$SCRATCH/br-pwned
mkdir -p "$M"
hostile=(
    'BR2_PACKAGE_WARDEN_ROOT="/srv/my www"'
    "BR2_PACKAGE_WARDEN_ROOT=\"\$(shell touch $M/root-make)\""
    "BR2_PACKAGE_WARDEN_ROOT=\"/www\`touch\$IFS$M/root-backtick\`\""
    "BR2_PACKAGE_WARDEN_ROOT=\"/www;touch\$IFS$M/root-semicolon\""
    "BR2_PACKAGE_WARDEN_ROOT=\"/www\\\"'\""
    'BR2_PACKAGE_WARDEN_ROOT="/srv/../../etc"'
    'BR2_PACKAGE_WARDEN_ROOT="/"'
    'BR2_PACKAGE_WARDEN_ROOT="www"'
    'BR2_PACKAGE_WARDEN_ROOT=""'
    'BR2_PACKAGE_WARDEN_LISTEN="0.0.0.0:80 [::]:80"'
    "BR2_PACKAGE_WARDEN_LISTEN=\"\$(shell touch $M/listen-make)\""
    "BR2_PACKAGE_WARDEN_LISTEN=\"0.0.0.0:80;touch\$IFS$M/listen-semicolon\""
    "BR2_PACKAGE_WARDEN_LISTEN=\"0.0.0.0:\`touch\$IFS$M/listen-backtick\`\""
    'BR2_PACKAGE_WARDEN_LISTEN="0.0.0.0"'
    "BR2_PACKAGE_WARDEN_UID=\$(shell touch $M/uid-make)"
    'BR2_PACKAGE_WARDEN_UID=0'
    'BR2_PACKAGE_WARDEN_GID=0480'
    'BR2_PACKAGE_WARDEN_GID=48a'
    "BR2_PACKAGE_WARDEN_TLS_CONNECTIONS=\$(shell touch $M/tls-make)"
    "BR2_PACKAGE_WARDEN_GIT_URL=\"https://git.example.org/w.git;touch\$IFS$M/git-semicolon\""
)
for line in "${hostile[@]}"; do
    name=${line%%=*}
    cfg=$B/hostile.config
    printf '%s\n' "$line" >"$cfg"
    case $name in *_GIT_*) printf '%s\n' 'BR2_PACKAGE_WARDEN_SOURCE_LOCAL=' 'BR2_PACKAGE_WARDEN_SOURCE_GIT=y' \
        'BR2_PACKAGE_WARDEN_GIT_VERSION="v1.0"' >>"$cfg" ;; esac
    rm -rf "$B/target-hostile"
    rc=0; out=$(brmake CONFIG="$cfg" TARGET_DIR="$B/target-hostile" BR2_INIT_BUSYBOX=y \
        "$B/build/warden-0.1.0/.stamp_target_installed" 2>&1) || rc=$?
    why=$(sed -n 's/.*\]: \(.*\); change it with make menuconfig.*/\1/p' <<<"$out")
    t="warden.mk (stub Buildroot): $line refused at make time, nothing run"
    if [ "$rc" != 0 ] && grep -qF "*** warden: $name is [" <<<"$out" && [ -n "$why" ] &&
        [ -z "$(ls -A "$M")" ] && [ ! -e "$B/target-hostile" ]; then
        ok "$t ($why)"
    else
        fail "$t" "exit $rc; markers: $(ls -A "$M"); $out"
    fi
done
# Control: the same values, expanded the old way, do run their payloads.
printf '%s\n' "${hostile[1]}" >"$B/control.config"
printf 'include %s\nall:\n\t@: $(BR2_PACKAGE_WARDEN_ROOT)\n' "$B/control.config" >"$B/control.mk"
make --no-print-directory -f "$B/control.mk" >/dev/null 2>&1 || true
v=${hostile[2]#*=\"}
sh -c "WARDEN_DEFAULT_ROOT=\"${v%\"}\" true" 2>/dev/null || true
expect_eq "control: those values expanded as before (\$(BR2_PACKAGE_WARDEN_ROOT) in make, \"...\" in the shell) run their payloads" \
    "$(find "$M" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "root-backtick root-make "
rm -f "$M"/*

# The offline flow of the local source, for real: make warden-source (the network or
# the machine's crate cache), then the rsync step and the build step without network.
if ! command -v cargo >/dev/null 2>&1; then
    skip "warden.mk (stub Buildroot): the offline flow (needs cargo)"
else
    # netless CMD...: CMD with the network cut (a new network namespace: loopback, down).
    netless() { if [ "$(id -u)" = 0 ]; then unshare -n "$@"; else unshare -rn "$@"; fi; }
    O=$B/offline
    D=$O/build/warden-0.1.0
    lock=$(sha256sum Cargo.lock | cut -c1-64)
    # The source step's CARGO_HOME: its own, with the machine's crate cache if any.
    mkdir -p "$O/empty-cargo-home" "$O/cargo-home"
    if [ -d "${CARGO_HOME:-$HOME/.cargo}/registry" ]; then
        ln -s "${CARGO_HOME:-$HOME/.cargo}/registry" "$O/cargo-home/registry"
    fi
    obmake() { brmake BUILD="$O/build" DL_DIR="$O/dl" "$@"; }
    t="warden.mk (stub Buildroot): make warden-source vendors Cargo.lock's crates into DL_DIR"
    if out=$(obmake BR_CARGO_HOME="$O/cargo-home" warden-source 2>&1) &&
        tar -tzf "$O/dl/warden/warden-vendor-$lock.tar.gz" >"$O/list" 2>&1 &&
        grep -qx 'VENDOR/log-[0-9.]*/Cargo.toml' "$O/list" && grep -qx '.cargo/config.toml' "$O/list"; then
        ok "$t (warden-vendor-${lock:0:12}....tar.gz: $(grep -c '^VENDOR/[^/]*/$' "$O/list") crates, .cargo/config.toml)"
    else
        fail "$t" "$(tail -20 <<<"$out")"
    fi
    t="warden.mk (stub Buildroot): make warden-source again, network cut, empty CARGO_HOME: nothing to do"
    if out=$(netless env CARGO_NET_OFFLINE=true make --no-print-directory -f "$B/stub.mk" REPO="$REPO" \
        BUILD="$O/build" DL_DIR="$O/dl" BR_CARGO_HOME="$O/empty-cargo-home" warden-source 2>&1); then
        ok "$t"
    else
        fail "$t" "$out"
    fi
    t="warden.mk (stub Buildroot): rsync step, network cut: the tree without target/, fuzz/target, node_modules, .git; VENDOR/ and .cargo/config.toml from DL_DIR"
    if out=$(netless env CARGO_NET_OFFLINE=true make --no-print-directory -f "$B/stub.mk" REPO="$REPO" \
        BUILD="$O/build" DL_DIR="$O/dl" BR_CARGO_HOME="$O/empty-cargo-home" "$D/.stamp_rsynced" 2>&1) &&
        [ -f "$D/Cargo.lock" ] && [ -d "$D/VENDOR" ] && grep -qx 'directory = "VENDOR"' "$D/.cargo/config.toml" &&
        [ ! -e "$D/target" ] && [ ! -e "$D/fuzz/target" ] && [ ! -e "$D/tests/browser/node_modules" ] && [ ! -e "$D/.git" ]; then
        ok "$t"
    else
        fail "$t" "$(tail -20 <<<"$out"; find "$D" -maxdepth 1 -printf '%f ' 2>&1)"
    fi
    t="warden.mk (stub Buildroot): build step, network cut (unshare -n, CARGO_NET_OFFLINE=true, empty CARGO_HOME): cargo metadata and cargo build -p log --offline --locked"
    if out=$(netless env CARGO_NET_OFFLINE=true make --no-print-directory -f "$B/stub.mk" REPO="$REPO" \
        BUILD="$O/build" DL_DIR="$O/dl" BR_CARGO_HOME="$O/empty-cargo-home" "$D/.stamp_built" 2>&1) &&
        [ -z "$(ls -A "$O/empty-cargo-home/registry" 2>/dev/null)" ]; then
        ok "$t"
    else
        fail "$t" "$(tail -20 <<<"$out")"
    fi
    # Control: without the vendored crates, that build step fails offline (warden.mk's
    # check says so; cargo itself cannot resolve the crates either).
    rm -rf "$D/VENDOR" "$D/.stamp_built"
    rc=0; out=$(netless env CARGO_NET_OFFLINE=true make --no-print-directory -f "$B/stub.mk" REPO="$REPO" \
        BUILD="$O/build" DL_DIR="$O/dl" BR_CARGO_HOME="$O/empty-cargo-home" "$D/.stamp_built" 2>&1) || rc=$?
    rm -f "$D/.cargo/config.toml"
    rc2=0; out2=$(cd "$D" && netless env CARGO_NET_OFFLINE=true CARGO_HOME="$O/empty-cargo-home" \
        cargo metadata --offline --locked --format-version 1 2>&1 >/dev/null) || rc2=$?
    if [ "$rc" != 0 ] && grep -qF 'warden: no vendored crates in' <<<"$out" && [ "$rc2" != 0 ]; then
        ok "control: without VENDOR/ the build step stops (warden: no vendored crates), and offline cargo cannot resolve Cargo.lock"
    else
        fail "control: without VENDOR/ the build step stops, and offline cargo cannot resolve Cargo.lock" "exit $rc: $out; cargo exit $rc2: $out2"
    fi
fi
