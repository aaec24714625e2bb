//! The start-up audit of the web root (`--strict` makes a finding fatal):
//! what the unprivileged ids could write, execute or not read there.

use std::os::unix::ffi::OsStrExt;

/// Start-up audit of the web root, from the target ids' point of view:
/// entries they could write (a writable web root undoes the read-only jail;
/// an entry they own is writable whatever its mode, since the owner may chmod
/// it), executable files (without Landlock, exec of a file already in the root
/// is not otherwise blocked), and entries they cannot read (served as 404).
/// Walks at most `MAX_AUDIT_ENTRIES` entries without following symlinks.
pub fn audit_web_root(root: &std::path::Path, uid: u32, gid: u32) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    const MAX_AUDIT_ENTRIES: usize = 20_000;
    let mut findings = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0;
    while let Some(path) = stack.pop() {
        seen += 1;
        if seen > MAX_AUDIT_ENTRIES {
            findings.push(format!(
                "more than {MAX_AUDIT_ENTRIES} entries: the rest was not checked"
            ));
            break;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            continue;
        }
        let mode = meta.mode();
        // The permission bits that apply to the target ids (owner, else group, else other).
        let bits = if meta.uid() == uid {
            mode >> 6 & 7
        } else if meta.gid() == gid {
            mode >> 3 & 7
        } else {
            mode & 7
        };
        let at = crate::sink::Escaped(path.as_os_str().as_bytes());
        if meta.uid() == uid {
            findings.push(format!("{at} is owned by uid {uid} (its owner can make it writable)"));
        } else if bits & 2 != 0 {
            findings.push(format!("{at} is writable by uid {uid}/gid {gid}"));
        }
        if meta.is_file() && mode & 0o111 != 0 {
            findings.push(format!("{at} is executable"));
        }
        let readable = if meta.is_dir() { bits & 5 == 5 } else { bits & 4 != 0 };
        if (meta.is_dir() || meta.is_file()) && !readable {
            findings.push(format!(
                "{at} is not readable by uid {uid}/gid {gid} (it will be a 404)"
            ));
        }
        if meta.is_dir() && readable {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
            }
        }
    }
    findings
}
