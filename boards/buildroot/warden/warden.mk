################################################################################
#
# warden
#
################################################################################

# Source (Config.in's "warden source" choice). Either way the build step runs
# `cargo build --offline --locked` with the crates vendored beforehand, at
# download time: it needs no network.
# - BR2_PACKAGE_WARDEN_SOURCE_LOCAL (default): the warden tree this BR2_EXTERNAL
#   lives in (boards/buildroot is two levels below the repository root), copied
#   with rsync at each build; local.mk's WARDEN_OVERRIDE_SRCDIR = /path/to/warden
#   works too. Its crates are vendored by `make warden-source` (and so `make
#   source`) into $(DL_DIR)/warden/warden-vendor-<sha256 of Cargo.lock>.tar.gz,
#   unpacked into the build directory after each rsync (vendored then if
#   `make source` was not run: the only step that may download).
# - BR2_PACKAGE_WARDEN_SOURCE_GIT: a commit or tag of a warden git repository,
#   Buildroot's standard cargo flow: the download vendors the crates into the
#   tarball in DL_DIR, checked against warden.hash (add the tarball's line
#   there: see README.md).
WARDEN_VERSION = 0.1.0
ifeq ($(BR2_PACKAGE_WARDEN_SOURCE_GIT),y)
WARDEN_VERSION = $(call warden-value,BR2_PACKAGE_WARDEN_GIT_VERSION)
WARDEN_SITE = $(call warden-value,BR2_PACKAGE_WARDEN_GIT_URL)
WARDEN_SITE_METHOD = git
else
WARDEN_SITE = $(if $(BR2_EXTERNAL_WARDEN_PATH),$(realpath $(BR2_EXTERNAL_WARDEN_PATH)/../..))
WARDEN_SITE_METHOD = local
endif
WARDEN_LICENSE = MIT
WARDEN_LICENSE_FILES = LICENSE
# Not copied into the build directory: build outputs (fuzz/target is the fuzzers'),
# the browser tests' node modules, and crates vendored in the tree itself.
WARDEN_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/target --exclude=/fuzz/target \
	--exclude=/tests/browser/node_modules --exclude=/VENDOR

# ---- Kconfig values, checked before use --------------------------------------
# A Kconfig string reaches make as text that make expands where it is used
# ($(shell ...) would run on the build host) and then the shell (a backtick, a
# `;` or a space would too). So each value is read unexpanded ($(value ...)),
# must be one word of known characters, or make stops here with $(error ...),
# and is single-quoted where it reaches the shell and sed.

WARDEN_LETTERS = a b c d e f g h i j k l m n o p q r s t u v w x y z \
	A B C D E F G H I J K L M N O P Q R S T U V W X Y Z
WARDEN_DIGITS = 0 1 2 3 4 5 6 7 8 9
WARDEN_ALNUM = $(WARDEN_LETTERS) $(WARDEN_DIGITS)
# $(call warden-value,NAME): NAME's text in .config, unexpanded, without its quotes.
warden-value = $(patsubst "%",%,$(strip $(value $(1))))
# $(call warden-leftover,TEXT,CHARS): TEXT without the characters listed in CHARS.
warden-leftover = $(if $(2),$(call warden-leftover,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
# $(call warden-check,NAME,CHARS,WHAT): stop, saying WHAT, unless NAME's value is
# one word, not empty, of the characters listed in CHARS only.
warden-check = $(if $(or $(filter-out 1,$(words $(value $(1)))),$(if $(call warden-value,$(1)),,empty),$(call warden-leftover,$(call warden-value,$(1)),$(2))),$(call warden-stop,$(1),$(3)))
# $(call warden-stop,NAME,WHAT): the error, NAME's value shown unexpanded.
warden-stop = $(error warden: $(1) is [$(value $(1))]: $(2); change it with make menuconfig)
WARDEN_NO_SHELL = no white space$(comma) quote$(comma) backslash$(comma) $$$(comma) backtick or ;

ifeq ($(BR2_PACKAGE_WARDEN),y)
$(call warden-check,BR2_PACKAGE_WARDEN_ROOT,$(WARDEN_ALNUM) / . _ - +,the web root must be an absolute path of letters$(comma) digits and / . _ - + ($(WARDEN_NO_SHELL)))
ifeq ($(filter /%,$(call warden-value,BR2_PACKAGE_WARDEN_ROOT)),)
$(call warden-stop,BR2_PACKAGE_WARDEN_ROOT,the web root must be an absolute path)
endif
ifneq ($(findstring /../,$(call warden-value,BR2_PACKAGE_WARDEN_ROOT)/),)
$(call warden-stop,BR2_PACKAGE_WARDEN_ROOT,the web root must not have a .. component)
endif
ifeq ($(subst /,,$(call warden-value,BR2_PACKAGE_WARDEN_ROOT)),)
$(call warden-stop,BR2_PACKAGE_WARDEN_ROOT,the web root cannot be / (the demo pages and their modes would go over the whole target))
endif
$(call warden-check,BR2_PACKAGE_WARDEN_LISTEN,$(WARDEN_ALNUM) . : [ ],the listen address must be one ADDR:PORT of letters$(comma) digits and . : [ ] ($(WARDEN_NO_SHELL)))
ifneq ($(findstring :,$(call warden-value,BR2_PACKAGE_WARDEN_LISTEN)),:)
$(call warden-stop,BR2_PACKAGE_WARDEN_LISTEN,the listen address must be ADDR:PORT)
endif
ifneq ($(call warden-leftover,$(lastword $(subst :, ,$(call warden-value,BR2_PACKAGE_WARDEN_LISTEN))),$(WARDEN_DIGITS)),)
$(call warden-stop,BR2_PACKAGE_WARDEN_LISTEN,the listen address must end in :PORT)
endif
$(call warden-check,BR2_PACKAGE_WARDEN_UID,$(WARDEN_DIGITS),the uid must be a number)
$(call warden-check,BR2_PACKAGE_WARDEN_GID,$(WARDEN_DIGITS),the gid must be a number)
$(foreach n,MAX_CONNECTIONS HEAD_BUF_SMALL HEAD_BUF_LARGE LARGE_HEAD_BUFS SEND_CHUNK $(if $(BR2_PACKAGE_WARDEN_TLS),TLS_CONNECTIONS),\
	$(call warden-check,BR2_PACKAGE_WARDEN_$(n),$(WARDEN_DIGITS),a number))
$(foreach n,UID GID,$(if $(filter 0%,$(call warden-value,BR2_PACKAGE_WARDEN_$(n))),\
	$(call warden-stop,BR2_PACKAGE_WARDEN_$(n),the id must be 1 or more$(comma) without a leading 0 (warden refuses uid and gid 0))))
ifeq ($(BR2_PACKAGE_WARDEN_SOURCE_GIT),y)
$(call warden-check,BR2_PACKAGE_WARDEN_GIT_URL,$(WARDEN_ALNUM) : / . _ - + @ ~ %,the git URL must be letters$(comma) digits and : / . _ - + @ ~ % ($(WARDEN_NO_SHELL)))
$(call warden-check,BR2_PACKAGE_WARDEN_GIT_VERSION,$(WARDEN_ALNUM) / . _ - +,the commit or tag must be letters$(comma) digits and / . _ - + ($(WARDEN_NO_SHELL)))
endif
ifeq ($(WARDEN_SITE)$(WARDEN_OVERRIDE_SRCDIR),)
$(error warden: WARDEN_SITE is empty; use the BR2_EXTERNAL tree boards/buildroot of the warden repository, or set WARDEN_OVERRIDE_SRCDIR in local.mk)
endif
endif

# The checked values (the names the rest of this file and the init files use).
WARDEN_ROOT := $(call warden-value,BR2_PACKAGE_WARDEN_ROOT)
WARDEN_LISTEN := $(call warden-value,BR2_PACKAGE_WARDEN_LISTEN)
WARDEN_UID := $(call warden-value,BR2_PACKAGE_WARDEN_UID)
WARDEN_GID := $(call warden-value,BR2_PACKAGE_WARDEN_GID)
# --user for the init files and the binary's default: numeric, since warden looks
# a name up before its chroot only, and the ids are fixed by WARDEN_USERS.
WARDEN_USER := $(WARDEN_UID):$(WARDEN_GID)

# The user warden drops to (makeusers: no login, no home, no shell).
define WARDEN_USERS
	warden $(WARDEN_UID) warden $(WARDEN_GID) * - - - warden web server
endef

# Build-time capacities and baked-in defaults, read by the compiler (option_env! in
# src/limits.rs; cargo rebuilds when one changes, a bad value fails the build).
# The optimisation level and LTO follow BR2_OPTIMIZE_* and BR2_ENABLE_LTO, as for
# every cargo package.
WARDEN_CARGO_ENV = \
	WARDEN_MAX_CONNECTIONS=$(BR2_PACKAGE_WARDEN_MAX_CONNECTIONS) \
	WARDEN_HEAD_BUF_SMALL=$(BR2_PACKAGE_WARDEN_HEAD_BUF_SMALL) \
	WARDEN_HEAD_BUF_LARGE=$(BR2_PACKAGE_WARDEN_HEAD_BUF_LARGE) \
	WARDEN_LARGE_HEAD_BUFS=$(BR2_PACKAGE_WARDEN_LARGE_HEAD_BUFS) \
	WARDEN_SEND_CHUNK=$(BR2_PACKAGE_WARDEN_SEND_CHUNK) \
	WARDEN_DEFAULT_ROOT='$(WARDEN_ROOT)' \
	WARDEN_DEFAULT_LISTEN='$(WARDEN_LISTEN)' \
	WARDEN_DEFAULT_USER='$(WARDEN_USER)' \
	$(if $(BR2_PACKAGE_WARDEN_TLS),WARDEN_TLS_CONNECTIONS=$(BR2_PACKAGE_WARDEN_TLS_CONNECTIONS))

# HTTPS: the cargo feature tls (Cargo.toml's only default feature), chosen here
# rather than by default so that BR2_PACKAGE_WARDEN_TLS decides. pkg-cargo.mk adds
# WARDEN_CARGO_BUILD_OPTS to its cargo build command line.
WARDEN_CARGO_BUILD_OPTS = --no-default-features $(if $(BR2_PACKAGE_WARDEN_TLS),--features tls)

# ---- crates of a local source, vendored at download time ---------------------
# $(call WARDEN_CARGO_VENDOR,TREE): $(WARDEN_DL_DIR)/warden-vendor-<sha256 of
# TREE/Cargo.lock>.tar.gz (VENDOR/ and .cargo/config.toml, as Buildroot's cargo
# download post-process puts them into a downloaded tarball), made unless DL_DIR
# has it: `cargo vendor --locked`, from crates.io or the crates already in
# $(BR_CARGO_HOME). Each Cargo.lock has its own tarball, so a changed lock file
# is vendored again and an unchanged one never needs the network.
define WARDEN_CARGO_VENDOR
	lock=`sha256sum $(abspath $(1))/Cargo.lock | cut -c1-64` && \
	out=$(WARDEN_DL_DIR)/warden-vendor-$$lock.tar.gz && \
	if [ ! -f $$out ]; then \
		mkdir -p $(WARDEN_DL_DIR) $(BR_CARGO_HOME) && \
		tmp=`mktemp -d $(WARDEN_DL_DIR)/.warden-vendor.XXXXXX` && \
		mkdir $$tmp/.cargo && \
		if (cd $$tmp && $(HOST_MAKE_ENV) $(PKG_COMMON_CARGO_ENV) \
			flock $(BR_CARGO_HOME)/.br-lock \
			cargo vendor --manifest-path $(abspath $(1))/Cargo.toml --locked \
				--versioned-dirs VENDOR >.cargo/config.toml) && \
			tar -C $$tmp -czf $$tmp/vendor.tar.gz VENDOR .cargo/config.toml; then \
			mv $$tmp/vendor.tar.gz $$out && rm -rf $$tmp && \
			echo "warden: crates of $(abspath $(1))/Cargo.lock vendored into $$out"; \
		else \
			rm -rf $$tmp; exit 1; \
		fi; \
	fi
endef

# After each rsync of a local source: its Cargo.lock's vendored crates (vendored
# now if `make warden-source` did not), replacing those of an earlier rsync.
define WARDEN_VENDOR_INTO_BUILD_DIR
	$(call prepare-per-package-directory,$(WARDEN_FINAL_DOWNLOAD_DEPENDENCIES))
	$(call WARDEN_CARGO_VENDOR,$(@D))
	rm -rf $(@D)/VENDOR $(@D)/.cargo/config.toml
	tar -C $(@D) -xzf $(WARDEN_DL_DIR)/warden-vendor-`sha256sum $(@D)/Cargo.lock | cut -c1-64`.tar.gz
endef

# A local source: this tree (WARDEN_SITE_METHOD = local) or local.mk's override.
WARDEN_RSYNCED = $(filter local,$(WARDEN_SITE_METHOD))$(WARDEN_OVERRIDE_SRCDIR)
ifneq ($(WARDEN_RSYNCED),)
WARDEN_POST_RSYNC_HOOKS += WARDEN_VENDOR_INTO_BUILD_DIR
endif

# The build step (offline): stop with a clear message if the crates are missing.
define WARDEN_CHECK_VENDORED
	@test -d $(@D)/VENDOR || \
		{ echo "warden: no vendored crates in $(@D)/VENDOR; make warden-dirclean warden"; exit 1; }
endef
WARDEN_PRE_BUILD_HOOKS += WARDEN_CHECK_VENDORED

# ---- installation ------------------------------------------------------------

# cargo-package would install into /usr/bin; warden belongs in /usr/sbin.
define WARDEN_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 \
		$(@D)/target/$(RUSTC_TARGET_NAME)/$(if $(BR2_ENABLE_DEBUG),debug,release)/warden \
		$(TARGET_DIR)/usr/sbin/warden
	$(INSTALL) -d -m 0755 '$(TARGET_DIR)$(WARDEN_ROOT)'
endef

ifeq ($(BR2_PACKAGE_WARDEN_DEMO_WWW),y)
define WARDEN_INSTALL_DEMO_WWW
	cp -R $(@D)/boards/demo/www/. '$(TARGET_DIR)$(WARDEN_ROOT)/'
	chmod -R u=rwX,go=rX '$(TARGET_DIR)$(WARDEN_ROOT)'
endef
WARDEN_POST_INSTALL_TARGET_HOOKS += WARDEN_INSTALL_DEMO_WWW
endif

# $(call WARDEN_SET_SETTINGS,FILE): the web root, address and user into the
# settings file of S50warden or of the OpenRC service (its commented lines too).
define WARDEN_SET_SETTINGS
	$(SED) 's,^#\?WARDEN_ROOT=.*,WARDEN_ROOT="$(WARDEN_ROOT)",' \
		-e 's,^#\?WARDEN_LISTEN=.*,WARDEN_LISTEN="$(WARDEN_LISTEN)",' \
		-e 's,^#\?WARDEN_USER=.*,WARDEN_USER="$(WARDEN_USER)",' \
		$(1)
endef

# BusyBox init or sysvinit: S50warden, settings in /etc/default/warden.
define WARDEN_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/boards/sysvinit/S50warden \
		$(TARGET_DIR)/etc/init.d/S50warden
	$(INSTALL) -D -m 0644 $(@D)/boards/sysvinit/warden.default \
		$(TARGET_DIR)/etc/default/warden
	$(call WARDEN_SET_SETTINGS,$(TARGET_DIR)/etc/default/warden)
endef

# OpenRC: /etc/init.d/warden (openrc-run), settings in /etc/conf.d/warden, in the
# default runlevel.
define WARDEN_INSTALL_INIT_OPENRC
	$(INSTALL) -D -m 0755 $(@D)/boards/openrc/warden.initd \
		$(TARGET_DIR)/etc/init.d/warden
	$(INSTALL) -D -m 0644 $(@D)/boards/openrc/warden.confd \
		$(TARGET_DIR)/etc/conf.d/warden
	$(call WARDEN_SET_SETTINGS,$(TARGET_DIR)/etc/conf.d/warden)
	$(INSTALL) -d -m 0755 $(TARGET_DIR)/etc/runlevels/default
	ln -sf /etc/init.d/warden $(TARGET_DIR)/etc/runlevels/default/warden
endef

# systemd: warden.service (enabled through its [Install] section and the presets).
# Root, address and user set in ExecStart; its $WARDEN_HTTPS and $WARDEN_OPTS (extra
# flags from the https.conf drop-in or an optional /etc/default/warden, e.g. from a
# rootfs overlay) kept. With HTTPS built in, the drop-in's ExecStartPre helper
# (the drop-in itself is for the overlay: HTTPS stays off by default).
define WARDEN_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/boards/systemd/warden.service \
		$(TARGET_DIR)/usr/lib/systemd/system/warden.service
	$(SED) 's,^ExecStart=/usr/sbin/warden --root [^ ]* --listen [^ ]*,ExecStart=/usr/sbin/warden --root $(WARDEN_ROOT) --listen $(WARDEN_LISTEN) --user $(WARDEN_USER),' \
		$(TARGET_DIR)/usr/lib/systemd/system/warden.service
	$(if $(BR2_PACKAGE_WARDEN_TLS),$(INSTALL) -D -m 0755 $(@D)/boards/systemd/warden-tls-cert \
		$(TARGET_DIR)/usr/libexec/warden/warden-tls-cert)
endef

$(eval $(cargo-package))

# A local source has no download: `make warden-source` (and `make source`) vendors
# its crates instead, and so does the rsync step if they are not there yet, after
# host-rustc (a download dependency of every cargo package) is installed.
ifneq ($(WARDEN_RSYNCED),)
warden-source: warden-vendor
$(WARDEN_TARGET_RSYNC): | $(WARDEN_FINAL_DOWNLOAD_DEPENDENCIES)
.PHONY: warden-vendor
warden-vendor: PKG = WARDEN
warden-vendor: | prepare dependencies $(WARDEN_FINAL_DOWNLOAD_DEPENDENCIES)
	$(call prepare-per-package-directory,$(WARDEN_FINAL_DOWNLOAD_DEPENDENCIES))
	$(call WARDEN_CARGO_VENDOR,$(call qstrip,$(WARDEN_OVERRIDE_SRCDIR)))
endif
