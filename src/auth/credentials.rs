//! The credentials file (`--auth-file`): `user:HASH` per line, `#` comments,
//! read once at start-up, before the jail, so it never has to be inside it.
//!
//! What the anchors got wrong, refused here at start with the line named:
//! plaintext (darkhttpd took passwords on the command line), an empty hash, a
//! locked-account marker (`*`, `!`: uhttpd let the marker itself log in), and
//! anything that is not a hash warden can verify. `user:$p$account` takes the
//! hash of a system account from /etc/shadow (uhttpd's convention), read now,
//! as root; a locked or passwordless account is refused the same way, and an
//! MD5-crypt (`$1$`) hash, which OpenWrt's passwd still makes, is taken from
//! there (only there) with a warning that it is weak.

use super::hash::StoredHash;
use crate::limits::{MAX_AUTH_USERS, MAX_USER_LEN};
use std::path::Path;

/// One user a login may name.
#[derive(Clone, Debug)]
pub struct User {
    pub name: Vec<u8>,
    pub hash: StoredHash,
}

/// Everyone who may log in, fixed at start-up.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub users: Vec<User>,
}

impl Credentials {
    pub fn find(&self, name: &[u8]) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
}

/// Reads and checks `path`. `root` is the web root (canonical): a
/// credentials file inside it could be served or replaced through it.
/// `shadow` is where `$p$` accounts are looked up (/etc/shadow).
pub fn load(path: &Path, root: &Path, shadow: &Path) -> Result<Credentials, String> {
    let shown = path.display();
    let real = std::fs::canonicalize(path).map_err(|e| format!("--auth-file {shown}: {e}"))?;
    if real.starts_with(root) {
        return Err(format!(
            "--auth-file {shown}: inside the web root; keep it out of what is served"
        ));
    }
    let text = std::fs::read_to_string(&real).map_err(|e| format!("--auth-file {shown}: {e}"))?;
    parse(&text, |account| shadow_hash(shadow, account)).map_err(|e| format!("--auth-file {shown}: {e}"))
}

/// Parses the file's text; `system` resolves a `$p$` account to its hash text.
pub fn parse(text: &str, system: impl Fn(&str) -> Result<String, String>) -> Result<Credentials, String> {
    let mut users: Vec<User> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (name, hash) = line
            .split_once(':')
            .ok_or_else(|| format!("line {n}: want user:HASH"))?;
        if name.is_empty() || name.len() > MAX_USER_LEN || name.bytes().any(|b| b < 0x21 || b == 0x7f) {
            return Err(format!(
                "line {n}: the user name must be 1 to {MAX_USER_LEN} visible characters"
            ));
        }
        if users.iter().any(|u| u.name == name.as_bytes()) {
            return Err(format!("line {n}: user {name} appears twice"));
        }
        let hash = match hash.strip_prefix("$p$") {
            Some(account) => {
                let found = system(account).map_err(|e| format!("line {n}: $p${account}: {e}"))?;
                // Name where the hash came from: the file holds no `*` itself.
                let where_ = |e: String| format!("line {n}: $p${account}, in the shadow file: {e}");
                if found.starts_with("$1$") {
                    log::warn!(
                        "--auth-file line {n}: $p${account} is an MD5-crypt ($1$) hash, weak against guessing: \
                         set that password again with SHA-512 (passwd, or mkpasswd -m sha-512)"
                    );
                    StoredHash::parse_system(&found).map_err(|e| where_(format!("unusable hash: {e}")))?
                } else {
                    check_hash(&found).map_err(where_)?
                }
            }
            None => check_hash(hash).map_err(|e| format!("line {n}: {e}"))?,
        };
        users.push(User {
            name: name.as_bytes().to_vec(),
            hash,
        });
        if users.len() > MAX_AUTH_USERS {
            return Err(format!("more than {MAX_AUTH_USERS} users"));
        }
    }
    if users.is_empty() {
        return Err(String::from("no users"));
    }
    Ok(Credentials { users })
}

/// A hash warden can verify; the error says why not (never echoing the text).
fn check_hash(hash: &str) -> Result<StoredHash, String> {
    match hash {
        "" => Err(String::from("empty password hash: refusing a login without a password")),
        h if h.starts_with('*') || h.starts_with('!') => {
            Err(String::from("a locked-account marker (* or !), not a hash"))
        }
        h if h.starts_with("$1$") => Err(String::from(
            "MD5-crypt ($1$) is too weak and not supported: make a $6$ hash (warden --hash-password)",
        )),
        h if !h.starts_with('$') => Err(String::from(
            "not a hash (plaintext?): make one with warden --hash-password",
        )),
        h => StoredHash::parse(h).map_err(|e| format!("unusable hash: {e}")),
    }
}

/// The hash field of `account` in the shadow file.
fn shadow_hash(shadow: &Path, account: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(shadow).map_err(|e| format!("{}: {e}", shadow.display()))?;
    for line in text.lines() {
        let mut fields = line.split(':');
        if fields.next() == Some(account) {
            return Ok(fields.next().unwrap_or("").to_string());
        }
    }
    Err(format!("no such account in {}", shadow.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H6: &str =
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";

    fn no_system(_: &str) -> Result<String, String> {
        Err(String::from("no shadow here"))
    }

    #[test]
    fn users_comments_and_system_accounts() {
        let text = format!("# admins\n\nadmin:{H6}\r\n  # indented comment\nroot:$p$root\n");
        let c = parse(&text, |a| {
            assert_eq!(a, "root");
            Ok(H6.to_string())
        })
        .unwrap();
        assert_eq!(c.users.len(), 2);
        assert!(c.find(b"admin").is_some() && c.find(b"root").is_some() && c.find(b"nobody").is_none());
    }

    #[test]
    fn unusable_entries_are_refused_with_their_line() {
        for (text, want) in [
            ("admin:secret\n", "line 1: not a hash"),
            ("# x\nadmin:\n", "line 2: empty"),
            ("admin:*\n", "line 1: a locked"),
            ("admin:!\n", "line 1: a locked"),
            (&format!("admin:!{H6}\n"), "line 1: a locked"),
            ("admin:$1$abc$def\n", "line 1: MD5-crypt"),
            ("admin:$6$x$y\n", "line 1: unusable"),
            ("admin\n", "line 1: want user:HASH"),
            (&format!(":{H6}\n"), "line 1: the user name"),
            (&format!("a b:{H6}\n"), "line 1: the user name"),
            (&format!("admin:{H6}\nadmin:{H6}\n"), "line 2: user admin appears twice"),
            ("# nothing\n", "no users"),
            ("root:$p$root\n", "line 1: $p$root: no shadow here"),
        ] {
            let e = parse(text, no_system).unwrap_err();
            assert!(e.starts_with(want), "{text:?}: {e}");
            assert!(!e.contains("secret"), "the error echoes the password: {e}");
        }
        // MD5-crypt: refused in the file, accepted (with a warning) from the shadow file.
        let md5 = "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/";
        assert!(parse(&format!("admin:{md5}\n"), no_system).is_err());
        let c = parse("root:$p$root\n", |_| Ok(md5.to_string())).unwrap();
        assert_eq!(c.users[0].hash.scheme, super::super::hash::Scheme::Md5);
        // A locked system account is refused like a locked entry.
        let e = parse("root:$p$root\n", |_| Ok(String::from("!"))).unwrap_err();
        assert!(e.contains("locked"), "{e}");
    }
}
