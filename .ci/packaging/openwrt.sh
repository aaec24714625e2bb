# shellcheck shell=bash
# OpenWrt: boards/openwrt/warden/ (Makefile, files/warden.init, files/warden.config),
# checked without an OpenWrt SDK, since the package must build and its init script
# must start warden right on a router we do not have here:
#   Makefile       the variables an OpenWrt package needs (grep), then the Makefile
#                  run by make against stub rules.mk/package.mk/rust-package.mk: cargo
#                  variables, Build/Prepare's copy, Package/warden/install's layout;
#                  WARDEN_RUST_MIN = Cargo.toml's rust-version, and Build/Prepare
#                  stopping (with the feed's version named) when the stub feed's
#                  lang/rust/Makefile has an older Rust, numerically (1.100 > 1.85);
#                  USERID: warden=UID:warden=GID, the name the init script passes.
#   warden.init    sh -n, shellcheck, and start_service run against stub
#                  config_*/procd_* functions with the shipped UCI config, with its
#                  login/Host/header/proxy examples uncommented, and with one setting
#                  every option (lists of two, a single option for a list, header
#                  values with spaces and quotes, proxy routes and body limits): the
#                  procd instances and exact argv; a missing auth file reported; each
#                  flag known to warden --help; that command line passing warden
#                  --check (with a real credentials file; Landlock's connect ports
#                  are the backends' when the kernel has ABI 4; seccomp 'log' ->
#                  a logging filter). seccomp and require_seccomp: '1' ->
#                  --require-seccomp, '0' -> nothing; hostile or invalid values
#                  ('kill; reboot', '$(touch ...)', 'maybe') passed as one argument,
#                  never run, and refused by warden (exit 2), as is 'off' with
#                  require_seccomp '1'; seccomp 'kill' + require_seccomp '1' passes
#                  --check with a killing filter. The user: --user warden unless
#                  option user (a name or UID[:GID]); run as root with an
#                  /etc/passwd and /etc/group holding the lines the package's
#                  USERID makes (bound over the host's in a mount namespace), the
#                  shipped config's --check drops to that uid and gid. syslog: on
#                  unless '0' -> --syslog, syslog_facility -> --syslog-facility
#                  only with it (alone: warned, not passed), hostile values one
#                  argument; a boolean typo warned. With a binary that knows
#                  --syslog: warden started from the shipped config logs to a
#                  scratch syslog socket, the access log of a 200 and of a 404 at
#                  daemon.info (local0.info with syslog_facility 'local0'), never
#                  at err; with one that does not, --syslog* are left out of the
#                  runs and those checks skipped.
#   README.md      the option table and notes (grep).
#   warden.config  every option present, and each one read by warden.init; no login
#                  and no proxy set by default, the auth file under /etc/warden/ (not
#                  the web root), which the package's keep.d file keeps across
#                  sysupgrade.
# Sourced by .ci/check-packaging after lib.sh (REPO, SCRATCH, BIN, RUNTIME, HELP, WWW).
# shellcheck disable=SC2016 # literal $(...) make and shell text in single quotes

OW=boards/openwrt/warden
OW_MK=$OW/Makefile
OW_INIT=$OW/files/warden.init
OW_CONF=$OW/files/warden.config
OW_KEEP=$OW/files/warden.keep

echo "== OpenWrt: $OW"
sh_syntax "$OW_INIT"
# rc.common reads START/STOP/USE_PROCD (SC2034: assigned, unused here); OpenWrt's
# ash has `local` (SC3043). The config_*/procd_* functions come from rc.common
# (shellcheck does not flag undefined functions).
check "shellcheck -s sh -e SC2034,SC3043: $OW_INIT" shellcheck -s sh -e SC2034,SC3043 "$OW_INIT"
executable "$OW_INIT"
need "$OW_MK" "Makefile: OpenWrt package and Rust package support" \
    'include $(TOPDIR)/rules.mk' \
    'include $(INCLUDE_DIR)/package.mk' \
    'include ../../lang/rust/rust-package.mk' \
    'PKG_BUILD_DEPENDS:=rust/host' \
    'PKG_SOURCE_PROTO:=git' \
    'PKG_LICENSE:=MIT' \
    'DEPENDS:=$(RUST_ARCH_DEPENDS)' \
    '$(eval $(call BuildPackage,warden))'
need "$OW_MK" "Makefile: capacities passed to cargo through CARGO_PKG_VARS" \
    'CARGO_PKG_VARS +=' \
    'WARDEN_MAX_CONNECTIONS=$(WARDEN_MAX_CONNECTIONS)' \
    'WARDEN_HEAD_BUF_SMALL=$(WARDEN_HEAD_BUF_SMALL)' \
    'WARDEN_HEAD_BUF_LARGE=$(WARDEN_HEAD_BUF_LARGE)' \
    'WARDEN_LARGE_HEAD_BUFS=$(WARDEN_LARGE_HEAD_BUFS)' \
    'WARDEN_SEND_CHUNK=$(WARDEN_SEND_CHUNK)' 'WARDEN_TLS_CONNECTIONS=$(WARDEN_TLS_CONNECTIONS)' \
    'WARDEN_DEFAULT_ROOT=' 'WARDEN_DEFAULT_LISTEN=' 'WARDEN_DEFAULT_USER='
need "$OW_MK" "Makefile: installs /usr/sbin/warden, /etc/init.d/warden, /etc/config/warden" \
    '$(INSTALL_BIN) $(PKG_INSTALL_DIR)/bin/warden $(1)/usr/sbin/warden' \
    '$(INSTALL_BIN) ./files/warden.init $(1)/etc/init.d/warden' \
    '$(INSTALL_CONF) ./files/warden.config $(1)/etc/config/warden' \
    '$(INSTALL_DATA) ./files/warden.keep $(1)/lib/upgrade/keep.d/warden' \
    'define Package/warden/conffiles'
if grep -q '^define Build/Compile$' "$OW_MK" && ! grep -q 'Build/Compile/Cargo' "$OW_MK"; then
    fail "Makefile: Build/Compile is rust-package.mk's Build/Compile/Cargo"
else
    ok "Makefile: Build/Compile is rust-package.mk's Build/Compile/Cargo"
fi
need "$OW_INIT" "warden.init: procd service reading UCI" \
    '#!/bin/sh /etc/rc.common' 'USE_PROCD=1' 'START=80' 'start_service()' \
    'config_load warden' 'config_foreach start_instance warden' 'config_get ' 'config_get_bool ' \
    'config_list_foreach "$1" "$2" append_flag "$3"' 'append_list "$cfg" listen --listen' \
    'append_value "$cfg" auth_file --auth-file' 'append_list "$cfg" protect --protect' \
    'append_list "$cfg" allow_host --allow-host' 'append_list "$cfg" header --header' \
    'append_switch "$cfg" allow_any_host --allow-any-host' 'procd_set_param file "$@"' \
    'append_list "$cfg" proxy --proxy' 'append_value "$cfg" max_body --max-body' \
    'append_list "$cfg" proxy_max_body --proxy-max-body' 'append_value "$cfg" proxy_timeout --proxy-timeout' \
    'append_switch "$cfg" proxy_allow_remote --proxy-allow-remote' \
    'append_value "$cfg" seccomp --seccomp' 'append_switch "$cfg" require_seccomp --require-seccomp' \
    'config_get user "$cfg" user warden' 'procd_append_param command --user "$user"' \
    'get_bool syslog "$cfg" syslog 1' 'procd_append_param command --syslog' \
    'procd_append_param command --syslog-facility "$facility"' \
    'procd_open_instance' 'WARDEN_BIN=/usr/sbin/warden' 'procd_set_param command "$WARDEN_BIN" --root "$root"' \
    'procd_set_param stderr 1' 'procd_set_param respawn' 'procd_close_instance' \
    'service_triggers()' 'procd_add_reload_trigger warden'
need "$OW_INIT" "warden.init: HTTPS with uhttpd's option names, the certificate made or HTTPS off with a logged warning" \
    'append_list "$cfg" listen_https --listen-tls' 'procd_append_param command --tls-cert "$tls_cert" --tls-key "$tls_key"' \
    'append_value "$cfg" max_tls_connections --max-tls-connections' 'get_bool redirect "$cfg" redirect_https 0' \
    'procd_append_param command --redirect-https' 'config_get tls_cert "$cfg" cert /etc/warden/warden.crt' \
    'config_get tls_key "$cfg" key /etc/warden/warden.key' 'warden_has_tls "$WARDEN_BIN"' \
    'uci_get system '"'"'@system[0]'"'"' hostname' 'warden_tls_cert "$tls_cert" "$tls_key" "$name"' 'logger -t warden -p "daemon.$1" "$2"'
need "$OW_CONF" "warden.config: HTTPS on 443 with uhttpd's names, the certificate in /etc/warden/, redirect_https off" \
    "list listen_https '0.0.0.0:443'" "list listen_https '[::]:443'" "option cert '/etc/warden/warden.crt'" \
    "option key '/etc/warden/warden.key'" "option redirect_https '0'" "#option max_tls_connections '8'" 'px5g' 'openssl'
need boards/openwrt/README.md "README.md: HTTPS options in the table, the HTTPS section (px5g, sysupgrade, uhttpd's port 443)" \
    '| `list listen_https` (`0.0.0.0:443`, `[::]:443`) | `--listen-tls`, once per entry |' \
    '| `cert`, `key` (`/etc/warden/warden.crt`, `/etc/warden/warden.key`) | `--tls-cert`, `--tls-key` |' \
    '| `redirect_https` (boolean, default off), `max_tls_connections` | `--redirect-https`, `--max-tls-connections` |' \
    '### HTTPS' 'px5g-mbedtls' 'openssl-util' 'no TLS' '/lib/upgrade/keep.d/warden' '## uhttpd and ports 80 and 443'
need "$OW_MK" "Makefile: px5g or openssl for the certificate, said why not in DEPENDS" 'px5g-mbedtls' 'no Recommends or Suggests'
need "$OW_CONF" "warden.config: every option, defaults root /www and listen 0.0.0.0:80 + [::]:80" \
    "config warden 'main'" "option enabled '1'" "option root '/www'" \
    "list listen '0.0.0.0:80'" "list listen '[::]:80'" \
    'option max_connections' 'option index' 'option cache_control' 'option user' \
    'option strict' 'option require_landlock' 'option quiet' 'option log_level' \
    'option idle_timeout' 'option header_timeout' 'option write_timeout' \
    "#option seccomp 'kill'" "option require_seccomp '0'" \
    "#option user 'warden'" "option syslog '1'" "#option syslog_facility 'daemon'"
need "$OW_CONF" "warden.config: logins, Host names, headers (examples commented out), warden --hash-password" \
    "#option auth_file '/etc/warden/htpasswd'" "#list protect '/admin'" "#list allow_host '" \
    "#option allow_any_host '0'" "#list header 'X-Frame-Options: SAMEORIGIN'" \
    "#list header \"Content-Security-Policy: default-src 'self'" "#list header 'Referrer-Policy:'" \
    'warden --hash-password'
need "$OW_CONF" "warden.config: proxy to a local backend (examples commented out), LuCI recipe" \
    "#list proxy '/api=127.0.0.1:9000'" "#option proxy_allow_remote '0'" "#option max_body '64k'" \
    "#list proxy_max_body '/api/firmware=64m'" "#option proxy_timeout '30'" \
    "uci set uhttpd.main.listen_http='127.0.0.1:8080'" "uci add_list warden.main.proxy='/cgi-bin=127.0.0.1:8080'"
need boards/openwrt/README.md "README.md: proxy options in the table, 'Proxy to a local backend' with the LuCI recipe" \
    '| `list proxy`, `list proxy_max_body` | `--proxy`, `--proxy-max-body`, once per entry, in order |' \
    '| `max_body`, `proxy_timeout` | `--max-body`, `--proxy-timeout` |' \
    '| `proxy_allow_remote` (boolean) | `--proxy-allow-remote` |' '### Proxy to a local backend' \
    "uci set uhttpd.main.listen_http='127.0.0.1:8080'" "uci add_list warden.main.proxy='/cgi-bin=127.0.0.1:8080'" \
    "uci add_list warden.main.proxy='/ubus=127.0.0.1:8080'" "proxy_max_body='/cgi-bin/cgi-upload=64m'"
need boards/openwrt/README.md "README.md: seccomp options in the table, what to do on SIGSYS (seccomp 'log')" \
    '| `seccomp` (`kill`, `log`, `off`; default `kill`), `require_seccomp` (boolean) | `--seccomp`, `--require-seccomp` |' \
    "uci set warden.main.seccomp='log'" 'type=1326' 'uci delete warden.main.seccomp' \
    "\`option require_seccomp '1'\`"
need boards/openwrt/README.md "README.md: user and syslog in the table; User, Logs; Rust in the SDK with a row per release" \
    '| `user` (default `warden`, the package'"'"'s own user) | `--user`, always given |' \
    '| `syslog` (boolean, default on), `syslog_facility` (only with `syslog`) | `--syslog`, `--syslog-facility` |' \
    '### User' '### Logs' '### Rust in the SDK' '| 22.03 |' '| 23.05 |' '| 24.10 |' '| main (snapshot) |'
# The README's USERID and Rust minimum are the Makefile's and Cargo.toml's.
readme_userid=$(grep -o 'USERID:=[^`]*' boards/openwrt/README.md | sort -u | tr '\n' ' ')
readme_rust=$(grep -oE 'Rust (must be )?[0-9.]+ or newer|WARDEN_RUST_MIN` \([0-9.]+' boards/openwrt/README.md |
    grep -oE '[0-9]+\.[0-9.]+' | sort -u | tr '\n' ' ')
expect_eq "README.md: its USERID and its Rust minimum (each 'Rust N or newer') are the Makefile's and Cargo.toml's" \
    "$readme_userid|$readme_rust" \
    "$(sed -n 's/^[[:space:]]*\(USERID:=.*\)/\1/p' "$OW_MK") |$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml) "
# Nothing is proxied by default: the proxy options are commented examples only.
if grep -nE "^[[:space:]]*(option|list) (proxy|proxy_max_body|proxy_allow_remote|max_body|proxy_timeout) " "$OW_CONF"; then
    fail "warden.config: no proxy, proxy_max_body, proxy_allow_remote, max_body or proxy_timeout set by default (nothing proxied)"
else
    ok "warden.config: no proxy, proxy_max_body, proxy_allow_remote, max_body or proxy_timeout set by default (nothing proxied)"
fi
# No login (and so no password) is set in the shipped config: only commented examples.
if grep -nE "^[[:space:]]*(option|list) (auth_file|protect) " "$OW_CONF"; then
    fail "warden.config: no auth_file or protect set by default (no default login)"
else
    ok "warden.config: no auth_file or protect set by default (no default login)"
fi
# The example auth file is under /etc/warden/, outside the web root, and that
# directory is what the package makes sysupgrade keep.
auth_example=$(sed -n "s/^[[:space:]]*#option auth_file '\(.*\)'\$/\1/p" "$OW_CONF")
root_opt=$(sed -n "s/^[[:space:]]*option root '\(.*\)'\$/\1/p" "$OW_CONF")
expect_eq "warden.config: example auth file in /etc/warden/, not under the web root ($root_opt); keep.d keeps /etc/warden/" \
    "${auth_example%/*}/|${auth_example#"$root_opt"/}|$(grep -v '^#' "$OW_KEEP")" \
    "/etc/warden/|$auth_example|/etc/warden/"
# The certificate and key (made at first start) are there too, kept by sysupgrade,
# and are the init script's defaults when the options are missing.
expect_eq "warden.config: cert and key in /etc/warden/ (kept by sysupgrade), the init script's defaults" \
    "$(sed -n "s/^[[:space:]]*option \(cert\|key\) '\(.*\)'\$/\2/p" "$OW_CONF" | tr '\n' ' ')|$(grep -o 'config_get tls_[a-z]* "$cfg" [a-z]* [^ ]*' "$OW_INIT" | awk '{print $5}' | tr '\n' ' ')" \
    "/etc/warden/warden.crt /etc/warden/warden.key |/etc/warden/warden.crt /etc/warden/warden.key "
# Every option named in the config (set or commented) is read by the init script.
unread=""
while read -r opt; do
    grep -qE "(config_get(_bool)? [a-z_]+ \"\\\$cfg\" $opt( |\$)|\"\\\$cfg\" $opt )" "$OW_INIT" || unread+="$opt "
done < <(sed -n 's/^[[:space:]]*#\{0,1\}[[:space:]]*\(option\|list\) \([a-z_]*\) .*/\2/p' "$OW_CONF" | sort -u)
if [ -z "$unread" ]; then ok "warden.init reads every option of warden.config"; else fail "warden.init reads every option of warden.config" "not read: $unread"; fi

# The Makefile run by make against stubs of the SDK's rules.mk, package.mk and the
# packages feed's rust-package.mk (the real ones need an SDK).
S=$SCRATCH/sdk
mkdir -p "$S/include" "$S/feeds/packages/lang/rust"
cat >"$S/rules.mk" <<'EOF'
INCLUDE_DIR:=$(TOPDIR)/include
BUILD_DIR:=$(TOPDIR)/build_dir
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_CONF:=install -m0600
INSTALL_DATA:=install -m0644
EOF
cat >"$S/include/package.mk" <<'EOF'
PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_INSTALL_DIR ?= $(PKG_BUILD_DIR)/ipkg-install
define BuildPackage
stub-prepare:
	$$(Build/Prepare)
stub-install:
	$$(call Package/$(1)/install,$$(DEST))
endef
print-%:
	@printf '%s\n' '$($*)'
EOF
cat >"$S/feeds/packages/lang/rust/rust-package.mk" <<'EOF'
RUST_ARCH_DEPENDS:=@(aarch64||arm||mipsel||x86_64)
CARGO_PKG_VARS= CARGO_HOME=$(TOPDIR)/cargo CARGO_PROFILE_RELEASE_PANIC=unwind
define Build/Compile/Cargo
	cargo install --locked
endef
Build/Compile=$(call Build/Compile/Cargo)
EOF
# stub_rust VERSION: the feed's lang/rust/Makefile, with PKG_VERSION:=VERSION ("none":
# no such file).
stub_rust() {
    rm -f "$S/feeds/packages/lang/rust/Makefile"
    [ "$1" = none ] || printf 'PKG_NAME:=rust\nPKG_VERSION:=%s\nPKG_RELEASE:=1\n' "$1" >"$S/feeds/packages/lang/rust/Makefile"
}
stub_rust 1.85.0
owmake() { make --no-print-directory -C "$OW" TOPDIR="$S" "$@"; }
if vars=$(owmake print-CARGO_PKG_VARS 2>&1); then
    want="CARGO_HOME=$S/cargo CARGO_PROFILE_RELEASE_PANIC=unwind WARDEN_MAX_CONNECTIONS=128 WARDEN_HEAD_BUF_SMALL=1024 WARDEN_HEAD_BUF_LARGE=8192 WARDEN_LARGE_HEAD_BUFS=8 WARDEN_SEND_CHUNK=131072 WARDEN_TLS_CONNECTIONS=16 WARDEN_DEFAULT_ROOT=\"/www\" WARDEN_DEFAULT_LISTEN=\"0.0.0.0:80\" WARDEN_DEFAULT_USER=\"65534:65534\" CARGO_PROFILE_RELEASE_PANIC=abort"
    expect_eq "make (stub SDK): CARGO_PKG_VARS carries the router capacities, after rust-package.mk's" \
        "$(squash "$vars")" "$want"
else
    fail "make (stub SDK): the Makefile parses" "$vars"
fi
expect_eq "make (stub SDK): WARDEN_MAX_CONNECTIONS=64 on the command line reaches cargo" \
    "$(owmake print-CARGO_PKG_VARS WARDEN_MAX_CONNECTIONS=64 2>&1 | grep -o 'WARDEN_MAX_CONNECTIONS=[0-9]*')" \
    "WARDEN_MAX_CONNECTIONS=64"
expect_eq "make (stub SDK): local source by default, rebuilt when src/ or Cargo.* change" \
    "$(owmake print-PKG_SOURCE_PROTO 2>&1)|$(owmake print-PKG_FILE_DEPENDS 2>&1)" \
    "|$REPO/src $REPO/Cargo.toml $REPO/Cargo.lock"
expect_eq "make (stub SDK): WARDEN_GIT_URL/COMMIT select PKG_SOURCE_PROTO:=git" \
    "$(owmake print-PKG_SOURCE_PROTO print-PKG_SOURCE_URL print-PKG_SOURCE_VERSION \
        WARDEN_GIT_URL=https://git.invalid/warden.git WARDEN_GIT_COMMIT=0123abcd 2>&1 | tr '\n' ' ')" \
    "git https://git.invalid/warden.git 0123abcd "
# Outside the packages feed the Makefile takes the feed's rust-package.mk from TOPDIR;
# inside it (feeds/packages/net/warden), the relative ../../lang/rust one.
mkdir -p "$S/feeds/packages/net"
cp -R "$OW" "$S/feeds/packages/net/warden"
if make --no-print-directory -C "$S/feeds/packages/net/warden" TOPDIR="$S" print-MAKEFILE_LIST 2>&1 |
    grep -qF ' ../../lang/rust/rust-package.mk'; then
    ok "make (stub SDK): in the packages feed, includes ../../lang/rust/rust-package.mk"
else
    fail "make (stub SDK): in the packages feed, includes ../../lang/rust/rust-package.mk"
fi
if out=$(make --no-print-directory -C "$S/feeds/packages/net/warden" TOPDIR="$S" stub-prepare 2>&1); then
    fail "make (stub SDK): a copy outside the warden tree without WARDEN_SRC_DIR/GIT_URL stops in Build/Prepare" "$out"
elif grep -qF 'warden: no warden source tree at' <<<"$out"; then
    ok "make (stub SDK): a copy outside the warden tree without WARDEN_SRC_DIR/GIT_URL stops in Build/Prepare"
else
    fail "make (stub SDK): a copy outside the warden tree without WARDEN_SRC_DIR/GIT_URL stops in Build/Prepare" "$out"
fi
if out=$(owmake stub-prepare 2>&1); then
    b=$S/build_dir/warden-0.1.0
    if [ -f "$b/Cargo.toml" ] && [ -f "$b/Cargo.lock" ] && [ -f "$b/src/main.rs" ] && [ -f "$b/LICENSE" ] &&
        [ ! -e "$b/target" ] && [ ! -e "$b/.git" ]; then
        ok "make (stub SDK): Build/Prepare copies the tree, without target/ and .git"
    else
        fail "make (stub SDK): Build/Prepare copies the tree, without target/ and .git" "$(ls -A "$b")"
    fi
else
    fail "make (stub SDK): Build/Prepare" "$out"
fi
mkdir -p "$SCRATCH/ow-inst/bin"
printf '#!/bin/sh\n' >"$SCRATCH/ow-inst/bin/warden"
if out=$(owmake stub-install PKG_INSTALL_DIR="$SCRATCH/ow-inst" DEST="$SCRATCH/ow-root" 2>&1); then
    got=$(cd "$SCRATCH/ow-root" && find . -type f -printf '%m %p\n' | sort)
    want=$'600 ./etc/config/warden\n644 ./lib/upgrade/keep.d/warden\n755 ./etc/init.d/warden\n755 ./usr/sbin/warden'
    expect_eq "make (stub SDK): Package/warden/install lays out the package" "$got" "$want"
else
    fail "make (stub SDK): Package/warden/install" "$out"
fi
# Rust: the Makefile's minimum is Cargo.toml's rust-version, and Build/Prepare stops on
# an older feed Rust (the copy is of a scratch tree that only has to look like warden's).
cargo_msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
expect_eq "Makefile: WARDEN_RUST_MIN is Cargo.toml's rust-version ($cargo_msrv)" \
    "$(owmake print-WARDEN_RUST_MIN 2>&1)" "$cargo_msrv"
mkdir -p "$SCRATCH/ow-fake-src"
printf '[package]\nname = "warden"\n' >"$SCRATCH/ow-fake-src/Cargo.toml"
got=""
for v in 0.99.0 1.81.0 1.84.1 1.85.0 1.85 1.100.0 2.0.0 none; do
    stub_rust "$v"
    if owmake stub-prepare WARDEN_SRC_DIR="$SCRATCH/ow-fake-src" >/dev/null 2>&1; then got+="$v:built "; else got+="$v:stopped "; fi
done
expect_eq "make (stub SDK): Build/Prepare stops when the feed's rust is older than $cargo_msrv (compared as numbers; no feed Makefile: cargo decides)" \
    "$got" "0.99.0:stopped 1.81.0:stopped 1.84.1:stopped 1.85.0:built 1.85:built 1.100.0:built 2.0.0:built none:built "
stub_rust 1.81.0
expect_eq "make (stub SDK): the stop says why, with the feed's version and its Makefile" \
    "$(owmake stub-prepare WARDEN_SRC_DIR="$SCRATCH/ow-fake-src" 2>&1 | grep '^warden: ')" \
    "warden: needs Rust $cargo_msrv or newer; the packages feed has rust 1.81.0 ($S/feeds/packages/lang/rust/Makefile). Use an OpenWrt release whose feed has it or update the feed's lang/rust: see 'Rust in the SDK' in warden's boards/openwrt/README.md"
# In the packages feed: the lang/rust/Makefile next to the rust-package.mk it includes.
expect_eq "make (stub SDK): in the packages feed, the version is read from ../../lang/rust/Makefile" \
    "$(make --no-print-directory -C "$S/feeds/packages/net/warden" TOPDIR="$S" stub-prepare 2>&1 | grep -o 'has rust [0-9.]* ([^)]*)')" \
    "has rust 1.81.0 (../../lang/rust/Makefile)"
if out=$(owmake stub-prepare WARDEN_GIT_URL=https://git.invalid/warden.git WARDEN_GIT_COMMIT=0123abcd 2>&1); then
    fail "make (stub SDK): with WARDEN_GIT_URL too, Build/Prepare stops on rust 1.81.0" "$out"
elif grep -qF 'has rust 1.81.0' <<<"$out"; then
    ok "make (stub SDK): with WARDEN_GIT_URL too, Build/Prepare stops on rust 1.81.0"
else
    fail "make (stub SDK): with WARDEN_GIT_URL too, Build/Prepare stops on rust 1.81.0" "$out"
fi
stub_rust 1.85.0
# USERID: the package's own user, the name the init script passes as --user by
# default, with fixed ids that are not root's, nobody's or base-files' (daemon 1,
# network 101).
userid=$(sed -n 's/^[[:space:]]*USERID:=//p' "$OW_MK")
init_user=$(sed -n 's/^[[:space:]]*config_get user "\$cfg" user \([a-z_][a-z0-9_-]*\)$/\1/p' "$OW_INIT")
if [[ $userid =~ ^([a-z_][a-z0-9_-]*)=([0-9]+):([a-z_][a-z0-9_-]*)=([0-9]+)$ ]] &&
    [ "${BASH_REMATCH[1]}" = "$init_user" ] && [ "${BASH_REMATCH[3]}" = "$init_user" ] &&
    [[ " 0 1 101 65534 " != *" ${BASH_REMATCH[2]} "* ]] && [[ " 0 1 101 65534 " != *" ${BASH_REMATCH[4]} "* ]]; then
    OW_UID=${BASH_REMATCH[2]} OW_GID=${BASH_REMATCH[4]}
    ok "Makefile: USERID:=$userid, the user warden.init passes by default ($init_user), fixed ids not 0, 1, 101 or 65534"
else
    OW_UID="" OW_GID=""
    fail "Makefile: USERID:=NAME=UID:NAME=GID, NAME the user warden.init passes by default, fixed ids not 0, 1, 101 or 65534" \
        "USERID:=$userid; init default user: $init_user"
fi
# A device's /etc/passwd and /etc/group once the package is installed: the host's, and
# the lines OpenWrt's user_add, group_add and group_add_user (/lib/functions.sh) write
# for USERID. The runtime checks run warden as procd would, as root, in a private mount
# namespace with these two bound over the host's (OW_NS), so that --user warden
# resolves as on a device; the host's files are not touched.
OW_PASSWD=$SCRATCH/ow-passwd
OW_GROUP=$SCRATCH/ow-group
{
    grep -v "^$init_user:" /etc/passwd || true
    [ -z "$OW_UID" ] || printf '%s:x:%s:%s:%s:/var/run/%s:/bin/false\n' "$init_user" "$OW_UID" "$OW_GID" "$init_user" "$init_user"
} >"$OW_PASSWD"
{
    grep -v "^$init_user:" /etc/group || true
    [ -z "$OW_GID" ] || printf '%s:x:%s:%s\n' "$init_user" "$OW_GID" "$init_user"
} >"$OW_GROUP"
chmod 644 "$OW_PASSWD" "$OW_GROUP"
OW_NS=(unshare -m --propagation private sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@"'
    sh "$OW_PASSWD" "$OW_GROUP")
# OW_SYSLOG: 1 when the binary knows --syslog (a binary older than it would refuse the
# init script's --syslog and --syslog-facility: ow_args leaves them out).
OW_SYSLOG=""
if grep -qE -- '^  --syslog( |$)' <<<"$HELP"; then OW_SYSLOG=1; fi
# ow_args ARG...: OW_ARGS, an init command line (its first word replaced by BIN) as the
# runtime checks run it, through OW_NS; without --syslog and --syslog-facility VALUE
# when OW_SYSLOG is empty.
ow_args() {
    local a drop=""
    OW_ARGS=("$BIN")
    shift
    for a in "$@"; do
        if [ -n "$drop" ]; then
            drop=""
            continue
        fi
        if [ -z "$OW_SYSLOG" ]; then
            case "$a" in
            --syslog) continue ;;
            --syslog-facility) drop=1 && continue ;;
            esac
        fi
        OW_ARGS+=("$a")
    done
}
if [ -n "$RUNTIME" ] && [ -z "$OW_SYSLOG" ]; then
    skip "warden.init: --syslog and --syslog-facility in the runs of warden below (this binary's --help lacks --syslog: left out)"
fi

# warden.init's start_service against stubs of OpenWrt's config_* functions (a
# small UCI reader) and procd_* functions (printing what procd would be sent).
cat >"$SCRATCH/uci.awk" <<'EOF'
# A UCI file as sh assignments, laid out as OpenWrt's functions.sh does:
# CONFIG_<section>_<option>, lists also as _ITEMn and _LENGTH; anonymous sections
# are cfg<n>. Values are quoted or bare; a ' inside (in a "..." value) is kept.
function val(line, s) {
	s = line
	sub(/^[ \t]*[a-z]+[ \t]+[^ \t]+[ \t]*/, "", s)
	if (s ~ /^\047.*\047$/ || s ~ /^".*"$/) s = substr(s, 2, length(s) - 2)
	gsub(/\047/, "\047\\\\\047\047", s)
	return "\047" s "\047"
}
/^[ \t]*(#|$)/ { next }
$1 == "config" {
	n++; name = $3; gsub(/[\047"]/, "", name); if (name == "") name = "cfg" n
	printf "CONFIG_SECTIONS=\"$CONFIG_SECTIONS %s\"\nCONFIG_%s_TYPE=%s\n", name, name, $2
	next
}
$1 == "option" { printf "CONFIG_%s_%s=%s\n", name, $2, val($0); next }
$1 == "list" {
	k = name "_" $2; c[k]++; v = val($0)
	printf "CONFIG_%s_ITEM%d=%s\nCONFIG_%s_LENGTH=%d\n", k, c[k], v, k, c[k]
	printf "CONFIG_%s=\"${CONFIG_%s:+$CONFIG_%s }\"%s\n", k, k, k, v
}
EOF
cat >"$SCRATCH/rc-stubs.sh" <<'EOF'
config_load() { eval "$(awk -f "$UCI_AWK" "$UCI_FILE")"; }
config_get() { eval "$1=\${CONFIG_$2_$3:-\${4:-}}"; }
config_get_bool() {
	config_get _b "$2" "$3" "${4:-}"
	case "$_b" in
	1 | on | true | yes | enabled) _b=1 ;;
	0 | off | false | no | disabled) _b=0 ;;
	*) _b=${4:-} ;;
	esac
	eval "$1=\$_b"
}
config_list_foreach() { # SECTION OPTION FUNCTION ARGS...: FUNCTION ITEM ARGS... per item
	_ls=$1 _lo=$2 _lf=$3
	shift 3
	eval "_n=\${CONFIG_${_ls}_${_lo}_LENGTH:-0}"
	_i=1
	while [ "$_i" -le "$_n" ]; do
		eval "_v=\$CONFIG_${_ls}_${_lo}_ITEM$_i"
		"$_lf" "$_v" "$@"
		_i=$((_i + 1))
	done
}
config_foreach() { # FUNCTION TYPE
	for _s in $CONFIG_SECTIONS; do
		eval "_t=\$CONFIG_${_s}_TYPE"
		if [ "$_t" = "$2" ]; then "$1" "$_s"; fi
	done
}
uci_get() { # PACKAGE SECTION OPTION: only the host name, $UCI_HOSTNAME
	[ "$1.$2.$3" != 'system.@system[0].hostname' ] || [ -z "${UCI_HOSTNAME:-}" ] || printf '%s\n' "$UCI_HOSTNAME"
}
procd_open_instance() { echo "instance $1"; }
procd_set_param() { echo "set $1"; shift; for _a in "$@"; do echo "  $_a"; done; }
procd_append_param() { echo "append $1"; shift; for _a in "$@"; do echo "  $_a"; done; }
procd_close_instance() { echo "close"; }
procd_add_reload_trigger() { echo "reload trigger $*"; }
EOF
# run_init SHELL UCI_FILE: what start_service and service_triggers send to procd, and
# the script's stderr. Its PATH starts with lib.sh's logger (its lines in
# $TLS_STUBS/logger.log), then $OW_PATH (default: the machine's PATH); the system's
# host name is $UCI_HOSTNAME (default router); with $OW_TEST_BIN, WARDEN_BIN (the
# binary started and asked whether it has TLS) is that one.
run_init() {
    # shellcheck disable=SC2086 # "busybox sh" is two words
    PATH="$TLS_STUBS/logger:${OW_PATH:-$PATH}" UCI_HOSTNAME=${UCI_HOSTNAME-router} UCI_AWK=$SCRATCH/uci.awk UCI_FILE=$2 \
        $1 -c '. "$0"; . "$1"; [ -z "${OW_TEST_BIN:-}" ] || WARDEN_BIN=$OW_TEST_BIN; start_service; service_triggers' \
        "$SCRATCH/rc-stubs.sh" "$OW_INIT" 2>&1
}
# The shipped config, its certificate and key under OW_TLS (made by the first run
# with openssl, for the host name router) and warden the stand-in with TLS; the
# other tests from the shipped config leave HTTPS out (its lines deleted).
OW_TLS=$SCRATCH/ow-tls
sed -e "s|option root '/www'|option root '$WWW'|" -e "s|'/etc/warden/warden\.|'$OW_TLS/shipped/warden.|" \
    "$OW_CONF" >"$SCRATCH/uci-shipped"
OW_CONF_HTTP=$SCRATCH/uci-shipped-http
sed '/^[[:space:]]*\(list\|option\) \(listen_https\|cert\|key\|redirect_https\) /d' "$OW_CONF" >"$OW_CONF_HTTP"
want_shipped="instance main
set command
  $TLS_STUBS/tls/warden
  --root
  $WWW
append command
  --listen
  0.0.0.0:80
append command
  --listen
  [::]:80
append command
  --listen-tls
  0.0.0.0:443
append command
  --listen-tls
  [::]:443
append command
  --tls-cert
  $OW_TLS/shipped/warden.crt
  --tls-key
  $OW_TLS/shipped/warden.key
append command
  --user
  warden
append command
  --syslog
append command
  --allow-host
  openwrt.lan
set file
  $OW_TLS/shipped/warden.crt
  $OW_TLS/shipped/warden.key
set stdout
  1
set stderr
  1
set respawn
  3600
  5
  5
set term_timeout
  15
close
reload trigger warden"
# A credentials file outside the web root, as the config's comment says to make it.
OW_AUTH=$SCRATCH/etc-warden/htpasswd
make_auth_file "$OW_AUTH" admin 'router pass'
# The shipped config with its login, Host, header and proxy examples uncommented
# (the auth file moved to the scratch one).
sed -E -e "s|option root '/www'|option root '$WWW'|" \
    -e 's/^([[:space:]]*)#((option|list) (auth_file|protect|allow_host|allow_any_host|header|proxy|proxy_allow_remote|max_body|proxy_max_body|proxy_timeout) )/\1\2/' \
    -e "s|option auth_file '/etc/warden/htpasswd'|option auth_file '$OW_AUTH'|" \
    "$OW_CONF_HTTP" >"$SCRATCH/uci-examples"
cat >"$SCRATCH/uci-full" <<EOF
config warden 'full'
	option enabled 'yes'
	option root '$WWW'
	list listen '127.0.0.1:0'
	list listen '127.0.0.2:0'
	option max_connections '16'
	option index 'index.html'
	option cache_control 'max-age=60, public'
	option user '65534:65534'
	option strict '1'
	option require_landlock 'on'
	option quiet 'true'
	option log_level 'warn'
	option syslog 'on'
	option syslog_facility 'local0'
	option idle_timeout '20'
	option header_timeout '5'
	option write_timeout '40'
	option no_sendfile '1'
	option auth_file '$OW_AUTH'
	list protect '/admin'
	list protect '/cgi-bin/luci'
	list allow_host 'router.lan'
	list allow_host 'openwrt.lan'
	option allow_any_host '0'
	list header 'X-Frame-Options: SAMEORIGIN'
	list header "Content-Security-Policy: default-src 'self'; img-src 'self' data:"
	list header 'Permissions-Policy: camera=(),  microphone=()'
	list header 'Referrer-Policy:'
	list proxy '/cgi-bin/luci=127.0.0.1:8080'
	list proxy '/api=[::1]:9000'
	list proxy '/remote=192.0.2.10:80'
	option proxy_allow_remote 'yes'
	option max_body '128k'
	list proxy_max_body '/cgi-bin/luci/upload=64m'
	list proxy_max_body '/api/firmware=16M'
	option proxy_timeout '20'
	option seccomp 'log'
	option require_seccomp 'yes'

config warden 'single'
	option enabled '1'
	option root '$WWW'
	option listen '127.0.0.1:0'
	option auth_file '$OW_AUTH'
	option protect '/admin'
	option allow_host 'router.lan'
	option allow_any_host '1'
	option header 'X-Frame-Options: SAMEORIGIN'
	option proxy '/api=127.0.0.1:9000'
	option proxy_max_body '/api/firmware=64m'
	option proxy_allow_remote '0'

config warden 'off'
	option enabled '0'
	option root '$WWW'

config warden
	option root '$WWW'

config warden 'noroot'
	option enabled '1'
	option root '$SCRATCH/no-such-root'

config warden 'noauth'
	option enabled '1'
	option root '$WWW'
	option auth_file '$SCRATCH/no-such-htpasswd'
	list protect '/admin'
EOF
# seccomp and require_seccomp: the mapping, and values that must reach warden as one
# argument, unevaluated (the init script is shell; procd runs no shell).
SC_MARK=$SCRATCH/seccomp-injected
cat >"$SCRATCH/uci-seccomp" <<EOF
config warden 'sc_req'
	option enabled '1'
	option root '$WWW'
	option listen '127.0.0.1:0'
	option seccomp 'kill'
	option require_seccomp '1'

config warden 'sc_off'
	option enabled '1'
	option root '$WWW'
	option listen '127.0.0.1:0'
	option seccomp 'off'
	option require_seccomp '1'

config warden 'sc_semicolon'
	option enabled '1'
	option root '$WWW'
	option listen '127.0.0.1:0'
	option seccomp 'kill; reboot'

config warden 'sc_subst'
	option enabled '1'
	option root '$WWW'
	option listen '127.0.0.1:0'
	option seccomp '\$(touch $SC_MARK)\`touch $SC_MARK\`'
	option require_seccomp '0'

config warden 'sc_maybe'
	option enabled '1'
	option root '$WWW'
	option listen '127.0.0.1:0'
	option seccomp 'maybe'
EOF
# instance_argv NAME: the command line of instance NAME in run_init's output (stdin),
# one argument per line.
instance_argv() {
    awk -v name="$1" '/^instance /{on = ($2 == name)} on && /^(set|append) command/{c=1; next} on && /^(set|append) /{c=0} on && c && /^  /{sub(/^  /, ""); print}'
}
# argv_of NAME FILE: that command line as <arg><arg>... (run under dash).
argv_of() {
    local a out=""
    while IFS= read -r a; do out+="<$a>"; done < <(run_init dash "$2" | instance_argv "$1")
    printf '%s' "$out"
}
# uhttpd's option names, where the meaning is the same, so a uhttpd/LuCI config moves
# over: home, listen_http, index_page, error_page (a bare path is the 404 page),
# http_keepalive, network_timeout; ours win when both are given.
cat >"$SCRATCH/uci-uhttpd" <<EOF
config warden 'lucy'
	option enabled '1'
	option home '$WWW'
	list listen_http '127.0.0.1:0'
	list listen_http '127.0.0.2:0'
	list index_page 'index.html'
	list index_page 'index.htm'
	option error_page '/index.html'
	option http_keepalive '12'
	option network_timeout '25'
	option require_all_listeners '1'

config warden 'both'
	option enabled '1'
	option root '$WWW'
	option home '/nonexistent'
	list error_page '404=/index.html'
	list error_page '403=/index.html'
	option idle_timeout '7'
	option http_keepalive '12'
EOF
for sh in dash "busybox sh"; do
    expect_eq "warden.init ($sh): uhttpd's names -> the same flags" "$(argv_of lucy "$SCRATCH/uci-uhttpd")" \
        "</usr/sbin/warden><--root><$WWW><--listen><127.0.0.1:0><--listen><127.0.0.2:0><--index><index.html><--index><index.htm><--error-page><404=/index.html><--user><warden><--syslog><--idle-timeout><12><--write-timeout><25><--require-all-listeners>"
    expect_eq "warden.init ($sh): ours win over uhttpd's (root over home, idle_timeout over http_keepalive); error_page list" \
        "$(argv_of both "$SCRATCH/uci-uhttpd")" \
        "</usr/sbin/warden><--root><$WWW><--error-page><404=/index.html><--error-page><403=/index.html><--user><warden><--syslog><--idle-timeout><7>"
done
if [ -n "$RUNTIME" ]; then
    args=()
    while IFS= read -r a; do args+=("$a"); done < <(run_init dash "$SCRATCH/uci-uhttpd" | instance_argv lucy)
    ow_args "${args[@]}"
    if out=$("${OW_NS[@]}" "${OW_ARGS[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}"); then
        ok "warden.init: the uhttpd-named config passes warden --check"
    else
        fail "warden.init: the uhttpd-named config passes warden --check" "$out"
    fi
fi
# Booleans UCI does not know are warned about, and taken as off.
cat >"$SCRATCH/uci-typo" <<EOF
config warden 'typo'
	option enabled '1'
	option root '$WWW'
	option strict 'yes please'
	option quiet 'ja'
	option no_sendfile '1'
	option syslog 'oui'

config warden 'typo_enabled'
	option enabled 'enable'
	option root '$WWW'
EOF
for sh in dash "busybox sh"; do
    got=$(run_init "$sh" "$SCRATCH/uci-typo")
    for w in "instance typo: option strict 'yes please' is not a boolean" \
        "instance typo: option quiet 'ja' is not a boolean" \
        "instance typo: option syslog 'oui' is not a boolean (1/0, on/off, true/false, yes/no, enabled/disabled): taken as on" \
        "instance typo_enabled: option enabled 'enable' is not a boolean"; do
        if grep -qF "warden: $w" <<<"$got"; then
            ok "warden.init ($sh): $w (warned)"
        else
            fail "warden.init ($sh): $w (warned)" "$got"
        fi
    done
    flags=$(printf '%s\n' "$got" | instance_argv typo | grep -E -- '^--(strict|quiet|no-sendfile|syslog)' | tr '\n' ' ')
    started=$(grep -c '^instance typo_enabled' <<<"$got" || true)
    expect_eq "warden.init ($sh): unknown booleans take their default (no --strict, no --quiet; --syslog, on by default; typo_enabled not started)" \
        "$flags/$started" "--syslog --no-sendfile /0"
done
# The user and the log: --user warden (the package's USERID user) unless option user
# names another; --syslog unless option syslog is off, and --syslog-facility only with
# it (warden refuses it alone); each value one argument, as written, never run.
LG_MARK=$SCRATCH/logs-injected
cat >"$SCRATCH/uci-logs" <<EOF
config warden 'lg_default'
	option enabled '1'
	option root '$WWW'

config warden 'lg_off'
	option enabled '1'
	option root '$WWW'
	option syslog '0'

config warden 'lg_off_facility'
	option enabled '1'
	option root '$WWW'
	option syslog 'off'
	option syslog_facility 'local0'

config warden 'lg_facility'
	option enabled '1'
	option root '$WWW'
	option syslog 'yes'
	option syslog_facility 'local3'

config warden 'lg_hostile'
	option enabled '1'
	option root '$WWW'
	option user '\$(touch $LG_MARK)'
	option syslog_facility 'local0; touch $LG_MARK'

config warden 'lg_name'
	option enabled '1'
	option root '$WWW'
	option user 'www-data'

config warden 'lg_uid'
	option enabled '1'
	option root '$WWW'
	option user '1000:1000'
	option syslog 'disabled'
EOF
lg_base="</usr/sbin/warden><--root><$WWW>"
for sh in dash "busybox sh"; do
    out=$(run_init "$sh" "$SCRATCH/uci-logs")
    got=""
    for inst in lg_default lg_off lg_off_facility lg_facility lg_hostile lg_name lg_uid; do
        got+="$inst $(printf '%s\n' "$out" | instance_argv "$inst" | while IFS= read -r a; do printf '<%s>' "$a"; done)"$'\n'
    done
    expect_eq "warden.init ($sh): --user warden unless option user; --syslog unless syslog off, --syslog-facility only with it; values one argument each" \
        "$got" "lg_default $lg_base<--user><warden><--syslog>
lg_off $lg_base<--user><warden>
lg_off_facility $lg_base<--user><warden>
lg_facility $lg_base<--user><warden><--syslog><--syslog-facility><local3>
lg_hostile $lg_base<--user><\$(touch $LG_MARK)><--syslog><--syslog-facility><local0; touch $LG_MARK>
lg_name $lg_base<--user><www-data><--syslog>
lg_uid $lg_base<--user><1000:1000>
"
    w="warden: instance lg_off_facility: option syslog_facility 'local0' is ignored with option syslog off"
    if grep -qxF "$w" <<<"$out"; then ok "warden.init ($sh): syslog_facility with syslog off is said ($w)"; else fail "warden.init ($sh): syslog_facility with syslog off is said" "$out"; fi
done
if [ -e "$LG_MARK" ]; then
    fail "warden.init: user and syslog_facility values with \$(...) and ; are not run" "$(ls -l "$LG_MARK")"
else
    ok "warden.init: user and syslog_facility values with \$(...) and ; are not run"
fi
: >"$TLS_STUBS/logger.log"
for sh in dash "busybox sh"; do
    expect_eq "warden.init ($sh): shipped config (HTTPS on 443, a warden with TLS) -> one procd instance, its command and params" \
        "$(OW_TEST_BIN=$TLS_STUBS/tls/warden run_init "$sh" "$SCRATCH/uci-shipped")" "$want_shipped"
    got=$(run_init "$sh" "$SCRATCH/uci-full")
    expect_eq "warden.init ($sh): instances only for enabled sections with an existing root and auth file" \
        "$(printf '%s\n' "$got" | sed -n 's/^instance //p' | tr '\n' ' ')" "full single "
    if printf '%s\n' "$got" | grep -qF "warden: instance noroot: web root $SCRATCH/no-such-root is not a directory"; then
        ok "warden.init ($sh): a missing web root is reported"
    else
        fail "warden.init ($sh): a missing web root is reported" "$got"
    fi
    if printf '%s\n' "$got" | grep -qF "warden: instance noauth: auth file $SCRATCH/no-such-htpasswd is missing"; then
        ok "warden.init ($sh): a missing auth file is reported"
    else
        fail "warden.init ($sh): a missing auth file is reported" "$got"
    fi
    # The lists and the header values with spaces and quotes, argument by argument.
    got=$(run_init "$sh" "$SCRATCH/uci-examples" | instance_argv main | tr '\n' '|')
    expect_eq "warden.init ($sh): shipped login/Host/header/proxy examples uncommented -> exact argv" "$got" \
        "/usr/sbin/warden|--root|$WWW|--listen|0.0.0.0:80|--listen|[::]:80|--user|warden|--syslog|--auth-file|$OW_AUTH|--protect|/admin|--protect|/cgi-bin|--allow-host|openwrt.lan|--allow-host|router.lan|--header|X-Frame-Options: SAMEORIGIN|--header|Content-Security-Policy: default-src 'self'; img-src 'self' data:|--header|Referrer-Policy:|--proxy|/api=127.0.0.1:9000|--max-body|64k|--proxy-max-body|/api/firmware=64m|--proxy-timeout|30|"
    got=$(OW_TEST_BIN=$TLS_STUBS/tls/warden run_init "$sh" "$SCRATCH/uci-shipped" | instance_argv main | grep -E -- '^--(proxy|max-body)' || true)
    expect_eq "warden.init ($sh): shipped config -> no --proxy, --max-body or --proxy-* flag (nothing proxied by default)" "$got" ""
done
sc_base="</usr/sbin/warden><--root><$WWW><--listen><127.0.0.1:0><--user><warden><--syslog>"
for sh in dash "busybox sh"; do
    got=""
    for inst in sc_req sc_off sc_semicolon sc_subst sc_maybe; do
        got+="$inst $(run_init "$sh" "$SCRATCH/uci-seccomp" | instance_argv "$inst" | while IFS= read -r a; do printf '<%s>' "$a"; done)"$'\n'
    done
    expect_eq "warden.init ($sh): seccomp 'kill'/'off' + require_seccomp '1' -> --seccomp VALUE --require-seccomp; hostile and invalid values one argument each, as written" \
        "$got" "sc_req $sc_base<--seccomp><kill><--require-seccomp>
sc_off $sc_base<--seccomp><off><--require-seccomp>
sc_semicolon $sc_base<--seccomp><kill; reboot>
sc_subst $sc_base<--seccomp><\$(touch $SC_MARK)\`touch $SC_MARK\`>
sc_maybe $sc_base<--seccomp><maybe>
"
done
if [ -e "$SC_MARK" ]; then
    fail "warden.init: seccomp '\$(touch ...)\`touch ...\`' is not run by the init script" "$(ls -l "$SC_MARK")"
else
    ok "warden.init: seccomp '\$(touch ...)\`touch ...\`' is not run by the init script"
fi
# The command line of instance "full": every option, as warden flags.
full_cmd=()
while IFS= read -r line; do full_cmd+=("$line"); done < <(run_init dash "$SCRATCH/uci-full" | instance_argv full)
want_full=(/usr/sbin/warden --root "$WWW" --listen 127.0.0.1:0 --listen 127.0.0.2:0 --max-connections 16
    --index index.html --cache-control "max-age=60, public" --user 65534:65534 --log-level warn
    --syslog --syslog-facility local0 --idle-timeout 20 --header-timeout 5 --write-timeout 40 --auth-file "$OW_AUTH"
    --protect /admin --protect /cgi-bin/luci --allow-host router.lan --allow-host openwrt.lan
    --header "X-Frame-Options: SAMEORIGIN" --header "Content-Security-Policy: default-src 'self'; img-src 'self' data:"
    --header "Permissions-Policy: camera=(),  microphone=()" --header "Referrer-Policy:"
    --proxy /cgi-bin/luci=127.0.0.1:8080 --proxy "/api=[::1]:9000" --proxy /remote=192.0.2.10:80
    --max-body 128k --proxy-max-body /cgi-bin/luci/upload=64m --proxy-max-body /api/firmware=16M
    --proxy-timeout 20 --seccomp log --proxy-allow-remote
    --strict --require-landlock --require-seccomp --quiet --no-sendfile)
expect_eq "warden.init: a config setting every option (lists of two, headers with spaces and quotes, proxy routes and limits) -> every flag, values intact" \
    "$(printf '<%s>' "${full_cmd[@]}")" "$(printf '<%s>' "${want_full[@]}")"
want_single=(/usr/sbin/warden --root "$WWW" --listen 127.0.0.1:0 --user warden --syslog --auth-file "$OW_AUTH" --protect /admin
    --allow-host router.lan --header "X-Frame-Options: SAMEORIGIN" --proxy /api=127.0.0.1:9000
    --proxy-max-body /api/firmware=64m --allow-any-host)
expect_eq "warden.init: single options for the lists (listen, protect, allow_host, header, proxy, proxy_max_body), allow_any_host '1', proxy_allow_remote '0'" \
    "$(argv_of single "$SCRATCH/uci-full")" "$(printf '<%s>' "${want_single[@]}")"
expect_eq "warden.init: the auth file is a procd file param (reload restarts warden when it changed)" \
    "$(run_init dash "$SCRATCH/uci-full" | awk '/^instance /{on = ($2 == "full")} on && /^set file/{getline; print}')" \
    "  $OW_AUTH"
if [ -n "$HELP" ]; then
    unknown="" newer=""
    for a in "${full_cmd[@]}" --allow-any-host; do
        case "$a" in
        --syslog | --syslog-facility) [ -n "$OW_SYSLOG" ] || newer+="$a " ;;
        --*) grep -qE -- "^  $a( |\$)" <<<"$HELP" || unknown+="$a " ;;
        esac
    done
    if [ -z "$unknown" ]; then ok "warden.init: every flag it emits is in warden --help"; else fail "warden.init: every flag it emits is in warden --help" "unknown: $unknown"; fi
    [ -z "$newer" ] || skip "warden.init: ${newer% } in warden --help (this binary predates --syslog)"
else
    skip "warden.init: every flag it emits is in warden --help (no binary)"
fi
if [ -n "$RUNTIME" ]; then
    # As procd would run it, with --check; --require-landlock left out, as this
    # kernel may lack Landlock (the flag itself is checked against --help above).
    args=()
    for a in "${full_cmd[@]}"; do [ "$a" = --require-landlock ] || args+=("$a"); done
    ow_args "${args[@]}"
    if out=$("${OW_NS[@]}" "${OW_ARGS[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}"); then
        ok "warden.init: the full command line passes warden --check (as root: chroot, uid 65534, auth file read)"
    else
        fail "warden.init: the full command line passes warden --check (as root: chroot, uid 65534, auth file read)" "$out"
    fi
    # option seccomp 'log' reached warden: the filter logs instead of killing.
    seccomp=$(grep -m1 '^seccomp: ' <<<"$out" || true)
    if [[ $seccomp == *allowlist* ]]; then
        if [[ $seccomp == *"others: log;"* ]]; then
            ok "warden.init: option seccomp 'log' -> the --check report's filter logs ($seccomp)"
        else
            fail "warden.init: option seccomp 'log' -> the --check report's filter logs" "$seccomp"
        fi
    else
        skip "warden.init: option seccomp 'log' in the report (no seccomp filter here: $seccomp)"
    fi
    # The seccomp instances' command lines as procd would run them (argv, no shell).
    # sc_run NAME: runs instance NAME with --check; sets sc_out and sc_rc.
    sc_run() {
        local args=() a
        while IFS= read -r a; do args+=("$a"); done < <(run_init dash "$SCRATCH/uci-seccomp" | instance_argv "$1")
        ow_args "${args[@]}"
        sc_rc=0
        sc_out=$("${OW_NS[@]}" "${OW_ARGS[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}") || sc_rc=$?
    }
    sc_run sc_req
    if [ "$sc_rc" = 0 ] && grep -qE '^seccomp: .*allowlist.*others: kill (process|thread);' <<<"$sc_out"; then
        ok "warden.init: seccomp 'kill' + require_seccomp '1' passes warden --check, with a killing filter ($(grep -m1 '^seccomp: ' <<<"$sc_out"))"
    else
        fail "warden.init: seccomp 'kill' + require_seccomp '1' passes warden --check, with a killing filter (rc $sc_rc)" "$sc_out"
    fi
    # Refused at start: exit 2 and a `warden:` line naming the value as written.
    sc_refused() { # NAME WHAT TEXT (in that line, fixed string)
        sc_run "$1"
        if [ "$sc_rc" = 2 ] && grep '^warden: ' <<<"$sc_out" | grep -qF -- "$3"; then
            ok "warden.init: $2: warden refuses to start (exit 2: $(grep -m1 '^warden: ' <<<"$sc_out"))"
        else
            fail "warden.init: $2: warden refuses to start (exit 2, a warden: line with $3; got rc $sc_rc)" "$sc_out"
        fi
    }
    sc_refused sc_off "seccomp 'off' + require_seccomp '1' (contradiction)" "--require-seccomp"
    sc_refused sc_semicolon "seccomp 'kill; reboot', one argument" "--seccomp kill; reboot"
    sc_refused sc_subst "seccomp '\$(touch ...)\`touch ...\`', one argument" "--seccomp \$(touch $SC_MARK)\`touch $SC_MARK\`"
    sc_refused sc_maybe "seccomp 'maybe'" "--seccomp maybe"
    if [ -e "$SC_MARK" ]; then
        fail "warden.init: seccomp '\$(touch ...)\`touch ...\`' is not run by warden either" "$(ls -l "$SC_MARK")"
    else
        ok "warden.init: seccomp '\$(touch ...)\`touch ...\`' is not run by warden either"
    fi
    # Landlock ABI 4+ confines TCP connect to the proxy backends' ports.
    landlock=$(grep -m1 '^landlock: ' <<<"$out" || true)
    if [[ $landlock =~ ^landlock:\ ABI\ ([0-9]+), ]] && [ "${BASH_REMATCH[1]}" -ge 4 ]; then
        expect_eq "warden.init: the full command line's --check: Landlock allows connect to the proxy backends' ports only" \
            "$(sed -n 's/.*connect only to port \([0-9, ]*\)[),].*/\1/p' <<<"$landlock" | tr -s ', ' '\n' | sort -n | tr '\n' ' ')" \
            "80 8080 9000 "
    else
        skip "warden.init: Landlock's connect ports for the proxy backends (kernel without Landlock ABI 4: $landlock)"
    fi
    args=()
    while IFS= read -r a; do args+=("$a"); done < <(run_init dash "$SCRATCH/uci-full" | instance_argv single)
    ow_args "${args[@]}"
    if out=$("${OW_NS[@]}" "${OW_ARGS[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}"); then
        ok "warden.init: the single-option command line passes warden --check"
    else
        fail "warden.init: the single-option command line passes warden --check" "$out"
    fi
    # The shipped config (listening on 127.0.0.1:0 instead of port 80) as procd would
    # run it: no option user, so --user warden, resolved to USERID's ids.
    sed -e "s|option root '/www'|option root '$WWW'|" -e "/list listen '\[::\]:80'/d" \
        -e "s|list listen '0.0.0.0:80'|list listen '127.0.0.1:0'|" "$OW_CONF_HTTP" >"$SCRATCH/uci-shipped-local"
    args=()
    while IFS= read -r a; do args+=("$a"); done < <(run_init dash "$SCRATCH/uci-shipped-local" | instance_argv main)
    ow_args "${args[@]}"
    rc=0
    out=$("${OW_NS[@]}" "${OW_ARGS[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}") || rc=$?
    if [ -z "$OW_UID" ]; then
        skip "warden.init: the shipped config runs as USERID's user (no usable USERID, see above)"
    elif [ "$rc" = 0 ] && grep -qxF "uid: real $OW_UID effective $OW_UID saved $OW_UID" <<<"$out" &&
        grep -qxF "gid: real $OW_GID effective $OW_GID saved $OW_GID" <<<"$out"; then
        ok "warden.init: the shipped config (no option user) passes --check as USERID's $init_user: uid $OW_UID, gid $OW_GID"
    else
        fail "warden.init: the shipped config (no option user) passes --check as USERID's $init_user: uid $OW_UID, gid $OW_GID (rc $rc)" "$out"
    fi
    # With --syslog, from the shipped config: warden started (no --check) with its
    # syslog socket at a scratch listener (--syslog-socket, the one flag added), a 200
    # and a 404 requested; their access lines must arrive framed as RFC 3164 at
    # FACILITY.info, daemon by default and local0 with option syslog_facility, and not
    # on stdout or stderr (what procd would log as daemon.err).
    if [ -z "$OW_SYSLOG" ] || ! grep -qE -- '^  --syslog-socket( |$)' <<<"$HELP"; then
        skip "warden --syslog from the shipped config: access lines at daemon.info and local0.info (needs a binary with --syslog and --syslog-socket)"
    else
        for fac in daemon:3 local0:16; do
            code=${fac#*:} fac=${fac%%:*}
            pri=$((code * 8 + 6))
            port=$(free_port 20000 30000)
            sed -e "s|option root '/www'|option root '$WWW'|" -e "/list listen '\[::\]:80'/d" \
                -e "s|list listen '0.0.0.0:80'|list listen '127.0.0.1:$port'|" "$OW_CONF_HTTP" >"$SCRATCH/uci-syslog-$fac"
            [ "$fac" = daemon ] || sed -i "s|^\([[:space:]]*\)option syslog '1'\$|&\n\1option syslog_facility '$fac'|" "$SCRATCH/uci-syslog-$fac"
            args=()
            while IFS= read -r a; do args+=("$a"); done < <(run_init dash "$SCRATCH/uci-syslog-$fac" | instance_argv main)
            ow_args "${args[@]}"
            sock=$SCRATCH/devlog-$fac
            : >"$sock.txt"
            timeout 60 /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).replace(b"\n", b"\\n") + b"\n")
' "$sock" "$sock.txt" &
            lpid=$!
            for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
            "${OW_NS[@]}" "${OW_ARGS[@]}" --syslog-socket "$sock" >"$sock.stdio" 2>&1 &
            wpid=$!
            record_pid "$wpid"
            wait_for "$sock.txt" "serving " || true
            http_get "$port" /index.html || true
            http_get "$port" /no-such-page-syslog-check || true
            wait_for "$sock.txt" "/no-such-page-syslog-check" || true
            term_and_wait "$wpid" >/dev/null 2>&1 || true
            kill -TERM "$lpid" 2>/dev/null || true
            wait "$lpid" 2>/dev/null || true
            head_re="^<$pri>[A-Z][a-z]{2} [ 0-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} warden\[[0-9]+\]: "
            got=""
            for req in '"GET /index.html HTTP/1.1" 200' '"GET /no-such-page-syslog-check HTTP/1.1" 404'; do
                if grep -F -- "$req" "$sock.txt" | grep -qE -- "$head_re"; then got+="syslog "; else got+="- "; fi
                if grep -qF -- "$req" "$sock.stdio"; then got+="stdio "; fi
            done
            what="warden --syslog, syslog_facility $fac: the access lines of a 200 and a 404 reach the socket as <$pri> ($fac.info), RFC 3164 framed, and not stdout or stderr"
            if [ "$got" = "syslog syslog " ]; then
                ok "$what"
            else
                fail "$what (got: $got)" "$(printf '%s\n' "socket:" "$(cat "$sock.txt")" "stdout/stderr:" "$(cat "$sock.stdio")")"
            fi
        done
    fi
else
    skip "warden.init: the full and single-option command lines pass warden --check"
fi

# ---- HTTPS: listen_https, cert, key, redirect_https, max_tls_connections ----------
# The shipped config's runs above made its certificate (openssl, host name router):
# once, said as a notice in the log, never made over.
t="warden.init: shipped config, no certificate yet"
if [ -s "$OW_TLS/shipped/warden.crt" ] && [ -s "$OW_TLS/shipped/warden.key" ]; then
    expect_eq "$t -> made once with openssl for the UCI host name (CN router, P-256, 730 days, key 600), said once in the log" \
        "$(cert_summary "$OW_TLS/shipped/warden.crt" "$OW_TLS/shipped/warden.key")|$(sed "s|$OW_TLS|OW_TLS|g" "$TLS_STUBS/logger.log")" \
        "subject=CN = router issuer=CN = router curve=prime256v1 days=730 ca=CA:FALSE san=DNS:router match=yes key=600 cert=644|daemon.notice warden: instance main: made a self-signed certificate for CN=router (openssl, ECDSA P-256, 730 days): OW_TLS/shipped/warden.crt, its key OW_TLS/shipped/warden.key"
else
    fail "$t -> made with openssl" "$(ls -la "$OW_TLS/shipped" 2>&1; cat "$TLS_STUBS/logger.log")"
fi
# ow_tls_conf NAME DIR [OPTION-LINE...]: a config with one instance NAME listening on
# 127.0.0.1:0 and 127.0.0.2:443 for HTTPS, its certificate and key in DIR, and the
# given lines (tab-indented UCI options) added.
ow_tls_conf() {
    local name=$1 dir=$2 line
    shift 2
    printf "config warden '%s'\n\toption enabled '1'\n\toption root '%s'\n\tlist listen '127.0.0.1:0'\n\tlist listen_https '127.0.0.2:443'\n\toption cert '%s/warden.crt'\n\toption key '%s/warden.key'\n" \
        "$name" "$WWW" "$dir" "$dir"
    for line in "$@"; do printf '\t%s\n' "$line"; done
}
# tls_flags: the HTTPS flags of instance_argv's output (stdin), as <a><b>...
tls_flags() {
    local a next=""
    while IFS= read -r a; do
        if [ -n "$next" ]; then printf '<%s>' "$a"; next=""; continue; fi
        case "$a" in
        --listen-tls | --tls-cert | --tls-key | --max-tls-connections) printf '<%s>' "$a"; next=1 ;;
        --redirect-https) printf '<%s>' "$a" ;;
        esac
    done
}
ow_base="<--listen-tls><127.0.0.2:443><--tls-cert><$OW_TLS/DIR/warden.crt><--tls-key><$OW_TLS/DIR/warden.key>"
for sh in dash "busybox sh"; do
    t="warden.init ($sh)"
    rm -rf "${OW_TLS:?}"/[a-z]*[0-9] "$TLS_STUBS/px5g.argv"
    : >"$TLS_STUBS/logger.log"
    # px5g installed: it makes the pair, with uhttpd's arguments and this host name.
    ow_tls_conf px "$OW_TLS/px1" >"$SCRATCH/uci-tls"
    out=$(OW_TEST_BIN=$TLS_STUBS/tls/warden OW_PATH="$TLS_STUBS/px5g:$TLS_STUBS/path-no-px5g" UCI_HOSTNAME=gw-1.lan \
        run_init "$sh" "$SCRATCH/uci-tls")
    expect_eq "$t, px5g installed: px5g made the pair (-subj /CN=gw-1.lan, the UCI host name); HTTPS flags" \
        "$(sed -E 's/\.warden-tls\.[A-Za-z0-9]{6}/.X/g' "$TLS_STUBS/px5g.argv" 2>&1)|$(instance_argv px <<<"$out" | tls_flags)|$(stat -c %a "$OW_TLS/px1/warden.key" 2>&1)" \
        "<selfsigned><-days><730><-newkey><ec><-pkeyopt><ec_paramgen_curve:P-256><-keyout><$OW_TLS/px1/.X/key><-out><$OW_TLS/px1/.X/crt><-subj></CN=gw-1.lan>|${ow_base//DIR/px1}|600"
    # An existing pair is used as it is (not made over).
    before=$(sha256sum "$OW_TLS/px1/warden.crt" "$OW_TLS/px1/warden.key" 2>&1)
    : >"$TLS_STUBS/px5g.argv"
    out=$(OW_TEST_BIN=$TLS_STUBS/tls/warden OW_PATH="$TLS_STUBS/px5g:$TLS_STUBS/path-no-px5g" run_init "$sh" "$SCRATCH/uci-tls")
    expect_eq "$t: a certificate and key there -> used, not made over (px5g not run, files unchanged), HTTPS flags" \
        "$(cat "$TLS_STUBS/px5g.argv")|$(sha256sum "$OW_TLS/px1/warden.crt" "$OW_TLS/px1/warden.key" 2>&1)|$(instance_argv px <<<"$out" | tls_flags)" \
        "|$before|${ow_base//DIR/px1}"
    # Neither px5g nor openssl: no HTTPS, the instance still starts, a warning in
    # the log (and on stderr); no file made.
    : >"$TLS_STUBS/logger.log"
    ow_tls_conf none "$OW_TLS/none1" "option redirect_https '1'" "option max_tls_connections '8'" >"$SCRATCH/uci-tls"
    out=$(OW_TEST_BIN=$TLS_STUBS/tls/warden OW_PATH="$TLS_STUBS/path-none" run_init "$sh" "$SCRATCH/uci-tls")
    w="instance none: option cert/key: no certificate at $OW_TLS/none1/warden.crt: neither px5g nor openssl is installed to make one; started without HTTPS (listen_https, redirect_https)"
    expect_eq "$t, neither px5g nor openssl: started without any HTTPS flag (no redirect either), a warning logged (daemon.warn) and on stderr, no file made" \
        "$(instance_argv none <<<"$out" | tr '\n' ' ')|$(cat "$TLS_STUBS/logger.log")|$(grep '^warden: ' <<<"$out")|$([ -e "$OW_TLS/none1" ] && echo made || echo 'not made')" \
        "$TLS_STUBS/tls/warden --root $WWW --listen 127.0.0.1:0 --user warden --syslog |daemon.warn warden: $w|warden: $w|not made"
    # A warden built without TLS (or older than it): no HTTPS, a warning, nothing made.
    for v in notls old; do
        : >"$TLS_STUBS/logger.log"
        ow_tls_conf "$v" "$OW_TLS/${v}1" "option redirect_https '1'" >"$SCRATCH/uci-tls"
        out=$(OW_TEST_BIN=$TLS_STUBS/$v/warden run_init "$sh" "$SCRATCH/uci-tls")
        w="instance $v: $TLS_STUBS/$v/warden is built without HTTPS (warden --version: no TLS): started without listen_https and redirect_https"
        expect_eq "$t, a warden whose --version says $([ "$v" = notls ] && echo '"no TLS"' || echo 'nothing of TLS (older)'): started without any HTTPS flag, a warning logged and on stderr, no certificate made" \
            "$(instance_argv "$v" <<<"$out" | tr '\n' ' ')|$(cat "$TLS_STUBS/logger.log")|$(grep '^warden: ' <<<"$out")|$([ -e "$OW_TLS/${v}1" ] && echo made || echo 'not made')" \
            "$TLS_STUBS/$v/warden --root $WWW --listen 127.0.0.1:0 --user warden --syslog |daemon.warn warden: $w|warden: $w|not made"
    done
    # Only one of the two there: not made over, no HTTPS, said why.
    mkdir -p "$OW_TLS/one1"
    cp "$OW_TLS/px1/warden.crt" "$OW_TLS/one1/"
    ow_tls_conf one "$OW_TLS/one1" >"$SCRATCH/uci-tls"
    out=$(OW_TEST_BIN=$TLS_STUBS/tls/warden run_init "$sh" "$SCRATCH/uci-tls")
    expect_eq "$t: the certificate there without its key -> started without HTTPS, said why, the certificate kept, no key made" \
        "$(instance_argv one <<<"$out" | tls_flags)|$(grep '^warden: ' <<<"$out")|$(cmp "$OW_TLS/px1/warden.crt" "$OW_TLS/one1/warden.crt" && ls "$OW_TLS/one1")" \
        "|warden: instance one: option cert/key: only one of $OW_TLS/one1/warden.crt and $OW_TLS/one1/warden.key is there: none made over it (remove it to have both made); started without HTTPS (listen_https, redirect_https)|warden.crt"
    # redirect_https and max_tls_connections: with HTTPS, flags; without
    # listen_https, warned and left out (warden would refuse them).
    cat >"$SCRATCH/uci-tls" <<CONF
$(ow_tls_conf redir "$OW_TLS/px1" "option redirect_https 'on'" "option max_tls_connections '8'")

config warden 'nohttps'
	option enabled '1'
	option root '$WWW'
	list listen '127.0.0.1:0'
	option redirect_https '1'
	option max_tls_connections '4'
CONF
    out=$(OW_TEST_BIN=$TLS_STUBS/tls/warden run_init "$sh" "$SCRATCH/uci-tls")
    expect_eq "$t: redirect_https 'on', max_tls_connections '8' -> --max-tls-connections 8 --redirect-https; without listen_https both warned, not passed" \
        "$(instance_argv redir <<<"$out" | tls_flags)|$(instance_argv nohttps <<<"$out" | tr '\n' ' ')|$(grep '^warden: ' <<<"$out" | tr '\n' '|')" \
        "${ow_base//DIR/px1}<--max-tls-connections><8><--redirect-https>|$TLS_STUBS/tls/warden --root $WWW --listen 127.0.0.1:0 --user warden --syslog |warden: instance nohttps: option redirect_https is ignored without listen_https|warden: instance nohttps: option max_tls_connections is ignored without listen_https|"
    # Hostile values: listen_https and max_tls_connections one argument each, as
    # written, never run; a hostile cert path or host name refused or replaced,
    # nothing run; redirect_https not a boolean: warned, off.
    rm -f "$TLS_MARK"
    cat >"$SCRATCH/uci-tls" <<CONF
$(ow_tls_conf h1 "$OW_TLS/px1" "list listen_https '0.0.0.0:443; touch $TLS_MARK'" "option max_tls_connections '\$(touch $TLS_MARK)'" "option redirect_https 'yes please'")

$(ow_tls_conf h2 "$OW_TLS/x" "option cert '$OW_TLS/h2/\$(touch $TLS_MARK)\`touch $TLS_MARK\`.crt'")

$(ow_tls_conf h3 "$OW_TLS/h3")
CONF
    # (At most 64 characters, a host name's limit, so that its characters decide.)
    out=$(OW_TEST_BIN=$TLS_STUBS/tls/warden UCI_HOSTNAME="gw/O=evil;\$(touch $TLS_MARK)" run_init "$sh" "$SCRATCH/uci-tls")
    expect_eq "$t: hostile listen_https and max_tls_connections -> one argument each, as written; redirect_https 'yes please' -> warned, off" \
        "$(instance_argv h1 <<<"$out" | tls_flags)|$(grep -c "option redirect_https 'yes please' is not a boolean" <<<"$out")" \
        "<--listen-tls><127.0.0.2:443><--listen-tls><0.0.0.0:443; touch $TLS_MARK><--tls-cert><$OW_TLS/px1/warden.crt><--tls-key><$OW_TLS/px1/warden.key><--max-tls-connections><\$(touch $TLS_MARK)>|1"
    expect_eq "$t: a cert path with \$(...) and backticks -> refused as written, no HTTPS, nothing made" \
        "$(instance_argv h2 <<<"$out" | tls_flags)|$(grep '^warden: instance h2' <<<"$out")|$(find "$OW_TLS" -path "*h2*" | wc -l)" \
        "|warden: instance h2: option cert/key: '$OW_TLS/h2/\$(touch $TLS_MARK)\`touch $TLS_MARK\`.crt' is not an absolute path of letters, digits and / . _ - +; started without HTTPS (listen_https, redirect_https)|0"
    expect_eq "$t: a hostile UCI host name (/O=, ;, \$(...)) -> the certificate's CN is warden" \
        "$(openssl x509 -in "$OW_TLS/h3/warden.crt" -noout -subject 2>&1)|$(instance_argv h3 <<<"$out" | tls_flags)" \
        "subject=CN = warden|${ow_base//DIR/h3}"
    if [ -e "$TLS_MARK" ]; then
        fail "$t: no hostile value was run" "$(ls -l "$TLS_MARK")"
    else
        ok "$t: no hostile value was run"
    fi
    # The certificate and key are procd file params: reload restarts warden when
    # they change (as for the auth file, listed first).
    ow_tls_conf files "$OW_TLS/px1" "option auth_file '$OW_AUTH'" "list protect '/admin'" >"$SCRATCH/uci-tls"
    expect_eq "$t: procd file params: the auth file, the certificate, its key" \
        "$(OW_TEST_BIN=$TLS_STUBS/tls/warden run_init "$sh" "$SCRATCH/uci-tls" | awk '/^set file/{f=1; next} /^[a-z]/{f=0} f' | tr -d ' ' | tr '\n' ' ')" \
        "$OW_AUTH $OW_TLS/px1/warden.crt $OW_TLS/px1/warden.key "
done
if [ -n "$RUNTIME" ] && grep -q -- '^  --listen-tls' <<<"$HELP"; then
    # With the real binary: the init script makes the certificate (openssl), and its
    # command line (127.0.0.1 ports, redirect_https '1') passes --check and serves
    # HTTPS with that certificate, plain HTTP answering 308 to the HTTPS port.
    port=$(free_port 20000 26000)
    tport=$(free_port 26000 32000)
    rm -rf "${OW_TLS:?}/real"
    sed -e "s|option root '/www'|option root '$WWW'|" -e "/list listen '\[::\]:80'/d" -e "/list listen_https '\[::\]:443'/d" \
        -e "s|list listen '0.0.0.0:80'|list listen '127.0.0.1:$port'|" -e "s|list listen_https '0.0.0.0:443'|list listen_https '127.0.0.1:$tport'|" \
        -e "s|option redirect_https '0'|option redirect_https '1'|" -e "s|'/etc/warden/warden\.|'$OW_TLS/real/warden.|" \
        "$OW_CONF" >"$SCRATCH/uci-tls-real"
    args=()
    while IFS= read -r a; do args+=("$a"); done < <(OW_TEST_BIN=$BIN OW_PATH="$TLS_STUBS/path-no-px5g" run_init dash "$SCRATCH/uci-tls-real" | instance_argv main)
    ow_args "${args[@]}"
    t="warden.init + $BIN: the shipped config on 127.0.0.1 (HTTPS, redirect_https '1')"
    if out=$("${OW_NS[@]}" "${OW_ARGS[@]}" --check 2>&1 | cat; exit "${PIPESTATUS[0]}"); then
        ok "$t passes --check (the certificate made by the init script read before the jail)"
    else
        fail "$t passes --check" "$(printf '%s\n' "${OW_ARGS[*]}" "$out")"
    fi
    log=$SCRATCH/ow-tls-real.log
    "${OW_NS[@]}" "${OW_ARGS[@]}" >"$log" 2>&1 &
    wpid=$!
    record_pid "$wpid"
    got=""
    if wait_for "$log" "listening on https://127.0.0.1:$tport"; then
        got=$(https_get "$tport" /index.html | tr '\n' '|')
        http_get "$port" /firmware.html || true
        got+="$HTTP_STATUS_LINE $(grep -i '^Location: ' <<<"$HTTP_HEADERS" || true)"
    fi
    expect_eq "$t serves HTTPS with the made certificate, plain HTTP 308 to the HTTPS port" "$got" \
        "HTTP/1.1 200 OK|sha256 $(cert_sha256 "$OW_TLS/real/warden.crt" 2>&1)|HTTP/1.1 308 Permanent Redirect Location: https://localhost:$tport/firmware.html"
    rc=0
    term_and_wait "$wpid" >/dev/null 2>&1 || rc=$?
    expect_eq "$t: SIGTERM -> exit 0" "$rc" 0
else
    skip "warden.init: the shipped config with HTTPS passes --check and serves HTTPS (needs root and a binary with --listen-tls)"
fi
