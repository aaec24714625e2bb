# shellcheck shell=bash
# shellcheck disable=SC2034 # it sets variables for the scripts that source it
# cross_env TARGET: export what Debian's cargo needs to build (and run, under qemu) for
# TARGET. Sets CROSS_KIND, CROSS_QEMU (runner command) and CROSS_BSTD (extra cargo args).
# Requires cross/targets.sh.
cross_env() {
    local T=$1 KIND DA GT QEMU MT CPU TU TL
    read -r KIND DA GT QEMU MT CPU <<<"$(target_info "$T")"
    TU=$(echo "$T" | tr 'a-z-' 'A-Z_'); TL=$(echo "$T" | tr '-' '_')
    # rustup's proxies may come first on PATH: use Debian's compiler explicitly.
    export PATH=/usr/bin:$PATH RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
    export "CARGO_TARGET_${TU}_LINKER=$GT-gcc" "CC_$TL=$GT-gcc" "AR_$TL=$GT-ar"
    # Static always: no target libraries needed on the board or under qemu (-L).
    export "CARGO_TARGET_${TU}_RUSTFLAGS=-C target-feature=+crt-static"
    CROSS_QEMU="/usr/bin/$QEMU"
    [ "$CPU" != - ] && CROSS_QEMU="$CROSS_QEMU -cpu $CPU"
    export "CARGO_TARGET_${TU}_RUNNER=$CROSS_QEMU"
    CROSS_KIND=$KIND
    CROSS_BSTD=""
    if [ "$KIND" = bstd-musl ]; then
        export RUSTC_BOOTSTRAP=1
        CROSS_BSTD="-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size"
    fi
}
