# shellcheck shell=bash
# shellcheck disable=SC2034 # it sets variables for the scripts that source it
# Facts about each Rust target warden builds for, shared by cross/debian-toolchain,
# cross/build and cross/test. Source it; it defines target_info.

# target_info TARGET -> "kind debian-arch gcc-triple qemu musl-triple qemu-cpu"
#   kind: deb       Debian ships this target's std (libstd-rust-web-dev:<arch>)
#         bstd-musl std is built from rust-web-src with -Zbuild-std, linked against
#                   Debian's musl-dev:<arch> (always static)
target_info() {
    case "$1" in
        armv7-unknown-linux-gnueabihf)  echo "deb armhf arm-linux-gnueabihf qemu-arm-static - -" ;;
        aarch64-unknown-linux-gnu)      echo "deb arm64 aarch64-linux-gnu qemu-aarch64-static - -" ;;
        armv7-unknown-linux-musleabihf) echo "bstd-musl armhf arm-linux-gnueabihf qemu-arm-static arm-linux-musleabihf -" ;;
        arm-unknown-linux-musleabi)     echo "bstd-musl armel arm-linux-gnueabi qemu-arm-static arm-linux-musleabi arm1176" ;;
        aarch64-unknown-linux-musl)     echo "bstd-musl arm64 aarch64-linux-gnu qemu-aarch64-static aarch64-linux-musl -" ;;
        mipsel-unknown-linux-musl)      echo "bstd-musl mipsel mipsel-linux-gnu qemu-mipsel-static mipsel-linux-musl 24Kc" ;;
        *) return 1 ;;
    esac
}

# All targets the script knows, for help texts.
KNOWN_TARGETS="armv7-unknown-linux-gnueabihf aarch64-unknown-linux-gnu armv7-unknown-linux-musleabihf arm-unknown-linux-musleabi aarch64-unknown-linux-musl mipsel-unknown-linux-musl"

# The pinned Debian Rust: bookworm main's rustc-web 1.85 (the MSRV). A plain install
# would take a newer one from bookworm-security whose armhf std cannot be fetched.
RUST_DEB_VERSION=${RUST_DEB_VERSION:-1.85.0+dfsg3-1~deb12u3}
