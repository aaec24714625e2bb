# shellcheck shell=bash
# Buildroot: boards/buildroot/ (a BR2_EXTERNAL tree: external.desc, Config.in,
# external.mk, warden/Config.in, warden/warden.mk), checked without a Buildroot tree,
# since a board build must find, configure and install the package:
#   warden.mk, Config.in  the required variables and symbols (grep); the BR2_EXTERNAL
#                         glue files; README's run-time settings (logins, Host names,
#                         headers, proxy) per init system.
#   Config.in             parsed by kconfiglib, with the two Buildroot symbols it uses
#                         stubbed: no warnings, the dependency, the select, the defaults.
#   warden.mk             run by make against a stub cargo-package: the cargo
#                         environment, and the install commands, into a scratch target
#                         dir, for the default settings and another root and address.
# Sourced by .ci/check-packaging after lib.sh (REPO, SCRATCH).
# shellcheck disable=SC2016 # literal $(...) make text in single quotes

BR=boards/buildroot
BR_MK=$BR/warden/warden.mk
BR_CONFIG=$BR/warden/Config.in

echo "== Buildroot: $BR"
need "$BR_MK" "warden.mk: cargo-package with local source, license, env, init scripts" \
    '$(eval $(cargo-package))' 'WARDEN_VERSION =' 'WARDEN_SITE =' 'WARDEN_SITE_METHOD = local' \
    'WARDEN_LICENSE = MIT' 'WARDEN_LICENSE_FILES = LICENSE' 'WARDEN_CARGO_ENV =' \
    'WARDEN_MAX_CONNECTIONS=' 'WARDEN_HEAD_BUF_SMALL=' 'WARDEN_HEAD_BUF_LARGE=' \
    'WARDEN_LARGE_HEAD_BUFS=' 'WARDEN_SEND_CHUNK=' 'WARDEN_DEFAULT_ROOT=' \
    'WARDEN_DEFAULT_LISTEN=' 'WARDEN_DEFAULT_USER=' \
    'define WARDEN_INSTALL_INIT_SYSV' 'boards/sysvinit/S50warden' \
    'define WARDEN_INSTALL_INIT_SYSTEMD' 'boards/systemd/warden.service' \
    '$(TARGET_DIR)/usr/sbin/warden'
need "$BR/README.md" "README.md: logins, Host names and headers set through the init system's file" \
    '--auth-file FILE' '--protect PREFIX' '--allow-host NAME' '--allow-any-host' "--header 'Name: value'" \
    'warden --hash-password' 'WARDEN_AUTH_FILE' 'WARDEN_HEADERS' 'WARDEN_OPTS=' '/etc/warden/htpasswd'
need "$BR/README.md" "README.md: the proxy flags set through the init system's file" \
    '--proxy PREFIX=ADDR:PORT' '--proxy-allow-remote' '--max-body BYTES' '--proxy-max-body PREFIX=BYTES' \
    '--proxy-timeout S' '`WARDEN_PROXY`, `WARDEN_PROXY_MAX_BODY`' \
    'WARDEN_OPTS="--auth-file /etc/warden/htpasswd --protect /api --proxy /api=127.0.0.1:9000 --proxy-max-body /api/firmware=64m"'
need "$BR_CONFIG" "Config.in: BR2_PACKAGE_WARDEN on Rust-capable targets" \
    'config BR2_PACKAGE_WARDEN' 'depends on BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS' \
    'select BR2_PACKAGE_HOST_RUSTC'
need "$BR/external.desc" "external.desc, Config.in, external.mk: a BR2_EXTERNAL tree named WARDEN" 'name: WARDEN'
need "$BR/Config.in" "external Config.in sources warden/Config.in" 'source "$BR2_EXTERNAL_WARDEN_PATH/warden/Config.in"'
need "$BR/external.mk" "external.mk includes warden/warden.mk" '$(BR2_EXTERNAL_WARDEN_PATH)/*/*.mk'

# Config.in through kconfiglib, with the two Buildroot symbols it uses stubbed.
mkdir -p "$SCRATCH/kconfig"
cat >"$SCRATCH/kconfig/Config.in" <<'EOF'
config BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS
	bool "rust target supported"
config BR2_PACKAGE_HOST_RUSTC
	bool
source "$BR2_EXTERNAL_WARDEN_PATH/Config.in"
EOF
check "Config.in (kconfiglib): parses without warnings; needs ARCH_SUPPORTS, selects HOST_RUSTC; defaults" \
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
        "HEAD_BUF_SMALL": "1024", "HEAD_BUF_LARGE": "8192", "LARGE_HEAD_BUFS": "8", "SEND_CHUNK": "131072"}
for name, value in want.items():
    got = k.syms["BR2_PACKAGE_WARDEN_" + name].str_value
    assert got == value, f"BR2_PACKAGE_WARDEN_{name}: {got!r}, want {value!r}"
EOF

# warden.mk run by make, with the Buildroot variables and macros it uses stubbed.
B=$SCRATCH/br
mkdir -p "$B/build/warden-0.1.0/target/armv7-unknown-linux-musleabihf/release"
ln -s "$REPO/boards" "$B/build/warden-0.1.0/boards"
printf '#!/bin/sh\n' >"$B/build/warden-0.1.0/target/armv7-unknown-linux-musleabihf/release/warden"
cat >"$B/stub.mk" <<'EOF'
BR2_EXTERNAL_WARDEN_PATH ?= $(REPO)/boards/buildroot
BR2_PACKAGE_WARDEN ?= y
BR2_PACKAGE_WARDEN_ROOT ?= "/www"
BR2_PACKAGE_WARDEN_LISTEN ?= "0.0.0.0:80"
BR2_PACKAGE_WARDEN_DEMO_WWW ?= y
BR2_PACKAGE_WARDEN_MAX_CONNECTIONS ?= 128
BR2_PACKAGE_WARDEN_HEAD_BUF_SMALL ?= 1024
BR2_PACKAGE_WARDEN_HEAD_BUF_LARGE ?= 8192
BR2_PACKAGE_WARDEN_LARGE_HEAD_BUFS ?= 8
BR2_PACKAGE_WARDEN_SEND_CHUNK ?= 131072
qstrip = $(strip $(subst ",,$(1)))
INSTALL := install
SED := sed -i -e
RUSTC_TARGET_NAME := armv7-unknown-linux-musleabihf
HOST_MAKE_ENV := PATH=/nonexistent
PKG_COMMON_CARGO_ENV := CARGO_HOME=/nonexistent
cargo-package :=
WARDEN_INCLUDE ?= $(BR2_EXTERNAL_WARDEN_PATH)/external.mk
include $(WARDEN_INCLUDE)
define sep


endef
print-%:
	@printf '%s\n' '$($*)'
$(BUILD)/warden-0.1.0/.stamp_target_installed:
	$(WARDEN_INSTALL_TARGET_CMDS)
	$(foreach h,$(WARDEN_POST_INSTALL_TARGET_HOOKS),$(call $(h))$(sep))
	$(WARDEN_INSTALL_INIT_SYSV)
	$(WARDEN_INSTALL_INIT_SYSTEMD)
EOF
brmake() { make --no-print-directory -f "$B/stub.mk" REPO="$REPO" BUILD="$B/build" "$@"; }
if out=$(brmake print-WARDEN_SITE print-WARDEN_CARGO_ENV print-WARDEN_PRE_BUILD_HOOKS 2>&1); then
    expect_eq "warden.mk (stub Buildroot): site is this tree; capacities in WARDEN_CARGO_ENV; crates vendored before the build" \
        "$(squash "$out")" "$REPO WARDEN_MAX_CONNECTIONS=128 WARDEN_HEAD_BUF_SMALL=1024 WARDEN_HEAD_BUF_LARGE=8192 WARDEN_LARGE_HEAD_BUFS=8 WARDEN_SEND_CHUNK=131072 WARDEN_DEFAULT_ROOT=\"/www\" WARDEN_DEFAULT_LISTEN=\"0.0.0.0:80\" WARDEN_DEFAULT_USER=\"65534:65534\" WARDEN_CARGO_VENDOR"
else
    fail "warden.mk (stub Buildroot): parses" "$out"
fi
# The install commands, for the default settings and for another root and address.
for variant in default custom; do
    T=$B/target-$variant
    set -- TARGET_DIR="$T"
    root=/www listen=0.0.0.0:80
    if [ "$variant" = custom ]; then
        root=/srv/admin listen='[::]:8080'
        set -- "$@" BR2_PACKAGE_WARDEN_ROOT="\"$root\"" BR2_PACKAGE_WARDEN_LISTEN="\"$listen\""
    fi
    if ! out=$(brmake "$@" "$B/build/warden-0.1.0/.stamp_target_installed" 2>&1); then
        fail "warden.mk (stub Buildroot, $variant): install commands" "$out"
        continue
    fi
    got=$(cd "$T" && find . -path "./${root#/}/*" -prune -o -printf '%m %y %p\n' | sort)
    want=$(printf '%s\n' "755 d ." "755 d ./etc" "755 d ./etc/default" "644 f ./etc/default/warden" \
        "755 d ./etc/init.d" "755 f ./etc/init.d/S50warden" "755 d ./usr" "755 d ./usr/lib" \
        "755 d ./usr/lib/systemd" "755 d ./usr/lib/systemd/system" "644 f ./usr/lib/systemd/system/warden.service" \
        "755 d ./usr/sbin" "755 f ./usr/sbin/warden" | sort)
    if [ "$root" = /www ]; then want=$(printf '%s\n%s\n' "$want" "755 d ./www" | sort); else
        want=$(printf '%s\n%s\n%s\n' "$want" "755 d ./srv" "755 d ./srv/admin" | sort); fi
    expect_eq "warden.mk (stub Buildroot, $variant): installs binary, init scripts, web root" "$got" "$want"
    if cmp -s "$T$root/index.html" boards/demo/www/index.html && [ -f "$T$root/js/app.js.gz" ]; then
        ok "warden.mk (stub Buildroot, $variant): BR2_PACKAGE_WARDEN_DEMO_WWW fills the web root"
    else
        fail "warden.mk (stub Buildroot, $variant): BR2_PACKAGE_WARDEN_DEMO_WWW fills the web root"
    fi
    expect_eq "warden.mk (stub Buildroot, $variant): root and address in /etc/default/warden and the unit (its \$WARDEN_OPTS kept)" \
        "$(grep -E '^WARDEN_(ROOT|LISTEN)=' "$T/etc/default/warden" | tr '\n' ' ')$(grep '^ExecStart=' "$T/usr/lib/systemd/system/warden.service")" \
        "WARDEN_ROOT=\"$root\" WARDEN_LISTEN=\"$listen\" ExecStart=/usr/sbin/warden --root $root --listen $listen \$WARDEN_OPTS"
done
if out=$(brmake BR2_EXTERNAL_WARDEN_PATH= WARDEN_INCLUDE="$REPO/$BR_MK" print-WARDEN_SITE 2>&1); then
    fail "warden.mk (stub Buildroot): an empty WARDEN_SITE stops the build" "$out"
elif grep -qF 'WARDEN_SITE is empty' <<<"$out"; then
    ok "warden.mk (stub Buildroot): an empty WARDEN_SITE stops the build"
else
    fail "warden.mk (stub Buildroot): an empty WARDEN_SITE stops the build" "$out"
fi
