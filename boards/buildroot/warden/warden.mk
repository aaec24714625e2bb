################################################################################
#
# warden
#
################################################################################

# Source: the warden tree this BR2_EXTERNAL lives in (boards/buildroot is two levels
# below the repository root), copied with rsync at each build. local.mk's
# WARDEN_OVERRIDE_SRCDIR = /path/to/warden works too. To build a published commit
# instead, replace the three lines below by
#   WARDEN_VERSION = <commit sha1>
#   WARDEN_SITE = https://<host>/warden.git
#   WARDEN_SITE_METHOD = git
# and, ideally, a warden.hash beside this file (sha256 of the download and of
# LICENSE). Buildroot then vendors the crates into the download tarball in DL_DIR,
# and the build itself is offline.
WARDEN_VERSION = 0.1.0
WARDEN_SITE = $(if $(BR2_EXTERNAL_WARDEN_PATH),$(realpath $(BR2_EXTERNAL_WARDEN_PATH)/../..))
WARDEN_SITE_METHOD = local
WARDEN_LICENSE = MIT
WARDEN_LICENSE_FILES = LICENSE
WARDEN_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/target

ifeq ($(BR2_PACKAGE_WARDEN),y)
ifeq ($(WARDEN_SITE)$(WARDEN_OVERRIDE_SRCDIR),)
$(error warden: WARDEN_SITE is empty; use the BR2_EXTERNAL tree boards/buildroot of the warden repository, or set WARDEN_OVERRIDE_SRCDIR in local.mk)
endif
endif

WARDEN_ROOT = $(call qstrip,$(BR2_PACKAGE_WARDEN_ROOT))
WARDEN_LISTEN = $(call qstrip,$(BR2_PACKAGE_WARDEN_LISTEN))

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
	WARDEN_DEFAULT_ROOT="$(WARDEN_ROOT)" \
	WARDEN_DEFAULT_LISTEN="$(WARDEN_LISTEN)" \
	WARDEN_DEFAULT_USER="65534:65534"

# Buildroot vendors the crates of a cargo package when it downloads it (VENDOR/ and
# .cargo/config.toml in the tarball). A local source (this tree, or
# WARDEN_OVERRIDE_SRCDIR) is not downloaded, so vendor its crates here, before the
# offline --locked build, and again at each rebuild (Cargo.lock may have changed).
# Needs crates.io the first time; the crates stay in $(BR_CARGO_HOME).
define WARDEN_CARGO_VENDOR
	if [ ! -d $(@D)/VENDOR ] || [ -e $(@D)/.cargo/warden-vendored-locally ]; then \
		mkdir -p $(@D)/.cargo && \
		cd $(@D) && $(HOST_MAKE_ENV) $(PKG_COMMON_CARGO_ENV) \
			cargo vendor --locked --versioned-dirs VENDOR > .cargo/config.toml && \
		touch .cargo/warden-vendored-locally; \
	fi
endef
WARDEN_PRE_BUILD_HOOKS += WARDEN_CARGO_VENDOR

# cargo-package would install into /usr/bin; warden belongs in /usr/sbin.
define WARDEN_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 \
		$(@D)/target/$(RUSTC_TARGET_NAME)/$(if $(BR2_ENABLE_DEBUG),debug,release)/warden \
		$(TARGET_DIR)/usr/sbin/warden
	$(INSTALL) -d -m 0755 $(TARGET_DIR)$(WARDEN_ROOT)
endef

ifeq ($(BR2_PACKAGE_WARDEN_DEMO_WWW),y)
define WARDEN_INSTALL_DEMO_WWW
	cp -R $(@D)/boards/demo/www/. $(TARGET_DIR)$(WARDEN_ROOT)/
	chmod -R u=rwX,go=rX $(TARGET_DIR)$(WARDEN_ROOT)
endef
WARDEN_POST_INSTALL_TARGET_HOOKS += WARDEN_INSTALL_DEMO_WWW
endif

# BusyBox init or sysvinit: S50warden, settings in /etc/default/warden.
define WARDEN_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/boards/sysvinit/S50warden \
		$(TARGET_DIR)/etc/init.d/S50warden
	$(INSTALL) -D -m 0644 $(@D)/boards/sysvinit/warden.default \
		$(TARGET_DIR)/etc/default/warden
	$(SED) 's,^#\?WARDEN_ROOT=.*,WARDEN_ROOT="$(WARDEN_ROOT)",' \
		-e 's,^#\?WARDEN_LISTEN=.*,WARDEN_LISTEN="$(WARDEN_LISTEN)",' \
		$(TARGET_DIR)/etc/default/warden
endef

# systemd: warden.service (enabled through its [Install] section and the presets).
# Root and address replaced in ExecStart; its $WARDEN_OPTS (extra flags from an
# optional /etc/default/warden, e.g. from a rootfs overlay) kept.
define WARDEN_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/boards/systemd/warden.service \
		$(TARGET_DIR)/usr/lib/systemd/system/warden.service
	$(SED) 's,^ExecStart=/usr/sbin/warden --root [^ ]* --listen [^ ]*,ExecStart=/usr/sbin/warden --root $(WARDEN_ROOT) --listen $(WARDEN_LISTEN),' \
		$(TARGET_DIR)/usr/lib/systemd/system/warden.service
endef

$(eval $(cargo-package))
