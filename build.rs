//! Build facts for `warden --version`: the target triple, and `git describe`
//! when built from a git checkout (a release tarball, as OpenWrt and Buildroot
//! fetch, has none: then the version alone says what it is). Nothing else.

use std::path::Path;
use std::process::Command;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=WARDEN_BUILD_TARGET={target}");
    println!("cargo:rerun-if-env-changed=WARDEN_BOARD");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let git = Path::new(&dir).join(".git");
    let mut describe = String::new();
    if git.exists() {
        // A new commit or checkout changes HEAD or the ref it names.
        println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
        println!("cargo:rerun-if-changed={}", git.join("refs").display());
        if let Ok(out) = Command::new("git")
            .args(["-C", &dir, "describe", "--always", "--tags"])
            .output()
        {
            if out.status.success() {
                describe = String::from_utf8_lossy(&out.stdout).trim().to_string();
            }
        }
    }
    println!("cargo:rustc-env=WARDEN_GIT_DESCRIBE={describe}");
    println!("cargo:rerun-if-changed=build.rs");
}
