//! Stored password hashes and their verification in slices.
//!
//! A `$6$` hash of 5,000 rounds or bcrypt cost 10 takes tens of milliseconds
//! here and about a second on a 580 MHz router core; computed in one go, it
//! would freeze every other client of a one-thread server. So a
//! `Verification` is a state machine: `advance(budget)` does at most `budget`
//! rounds (SHA-crypt) or expansion steps (bcrypt), and the loop calls it once
//! per poll turn. The primitives are RustCrypto's (`sha2`, `blowfish`'s bcrypt
//! key schedule, `subtle` for the final compare); what is written here is the
//! schemes' composition of them (Drepper's SHA-crypt, Provos and Mazières'
//! bcrypt), checked against the `sha-crypt` and `bcrypt` crates in the tests.

use crate::limits::{MAX_BCRYPT_COST, MAX_PASSWORD_LEN, MAX_SHA_CRYPT_ROUNDS};
use blowfish::Blowfish;
use md5::Md5;
use sha2::digest::Digest;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

/// The alphabet of crypt(3)'s base64 (SHA-crypt, MD5-crypt).
const CRYPT64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// bcrypt's base64: the same characters in another order.
const BCRYPT64: &[u8; 64] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// SHA-crypt's default and minimum rounds (glibc: fewer are raised to the minimum).
const SHA_ROUNDS_DEFAULT: u32 = 5_000;
const SHA_ROUNDS_MIN: u32 = 1_000;

/// Work units one bcrypt iteration counts (a SHA-crypt round is one).
const BCRYPT_ITERATION_UNITS: u64 = 128;

/// MD5-crypt's fixed number of rounds.
const MD5_ROUNDS: u32 = 1_000;

/// The longest encoded digest: SHA-512's 86 characters.
const DIGEST_CHARS: usize = 86;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `$5$`: SHA-crypt with SHA-256.
    Sha256,
    /// `$6$`: SHA-crypt with SHA-512.
    Sha512,
    /// `$2b$` / `$2y$`: bcrypt (the two differ only in which old bug they deny).
    Bcrypt,
    /// `$1$`: MD5-crypt, 1,000 rounds. Weak; accepted only for a system
    /// account's hash from /etc/shadow (`$p$`), where OpenWrt still makes them.
    Md5,
}

/// A parsed hash: scheme, cost, salt and the encoded digest to compare with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredHash {
    pub scheme: Scheme,
    /// SHA-crypt rounds, or bcrypt's cost (log2 of its iterations).
    pub cost: u32,
    /// SHA-crypt: up to 16 salt characters; bcrypt: the 16 decoded salt bytes.
    salt: [u8; 16],
    salt_len: u8,
    digest: [u8; DIGEST_CHARS],
    digest_len: u8,
}

impl StoredHash {
    /// Parses `$5$[rounds=N$]SALT$DIGEST`, `$6$…` or `$2b$CC$SALT22DIGEST31`
    /// (`$2y$` too). The error says what is wrong, for the start-up message.
    pub fn parse(s: &str) -> Result<StoredHash, &'static str> {
        let b = s.as_bytes();
        if let Some(rest) = s.strip_prefix("$6$") {
            return Self::parse_sha(Scheme::Sha512, rest, 86);
        }
        if let Some(rest) = s.strip_prefix("$5$") {
            return Self::parse_sha(Scheme::Sha256, rest, 43);
        }
        if s.starts_with("$2b$") || s.starts_with("$2y$") {
            // $2b$ CC $ 22 salt characters, 31 digest characters.
            if b.len() != 60 || b[6] != b'$' || !b[4].is_ascii_digit() || !b[5].is_ascii_digit() {
                return Err("bcrypt hashes are $2b$CC$ and 53 characters");
            }
            let cost = u32::from(b[4] - b'0') * 10 + u32::from(b[5] - b'0');
            if !(4..=MAX_BCRYPT_COST).contains(&cost) {
                return Err("bcrypt cost out of range (4 to MAX_BCRYPT_COST)");
            }
            let mut salt = [0u8; 16];
            if !decode_bcrypt64(&b[7..29], &mut salt) {
                return Err("bcrypt salt is not bcrypt base64");
            }
            let digest = &b[29..60];
            if !digest.iter().all(|c| BCRYPT64.contains(c)) {
                return Err("bcrypt digest is not bcrypt base64");
            }
            let mut h = StoredHash::empty(Scheme::Bcrypt, cost);
            h.salt = salt;
            h.salt_len = 16;
            h.digest[..31].copy_from_slice(digest);
            h.digest_len = 31;
            return Ok(h);
        }
        Err("not a $5$, $6$, $2b$ or $2y$ hash")
    }

    /// Like `parse`, and also MD5-crypt `$1$SALT$DIGEST` (salt up to 8
    /// characters): for hashes from /etc/shadow only.
    pub fn parse_system(s: &str) -> Result<StoredHash, &'static str> {
        let Some(rest) = s.strip_prefix("$1$") else {
            return StoredHash::parse(s);
        };
        let (salt, digest) = rest.split_once('$').ok_or("MD5-crypt hashes are $1$SALT$DIGEST")?;
        if salt.is_empty() || salt.len() > 8 || !salt.bytes().all(|c| CRYPT64.contains(&c)) {
            return Err("the salt must be 1 to 8 crypt base64 characters");
        }
        if digest.len() != 22 || !digest.bytes().all(|c| CRYPT64.contains(&c)) {
            return Err("the digest has the wrong length or characters");
        }
        let mut h = StoredHash::empty(Scheme::Md5, MD5_ROUNDS);
        h.salt[..salt.len()].copy_from_slice(salt.as_bytes());
        h.salt_len = salt.len() as u8;
        h.digest[..22].copy_from_slice(digest.as_bytes());
        h.digest_len = 22;
        Ok(h)
    }

    fn empty(scheme: Scheme, cost: u32) -> StoredHash {
        StoredHash {
            scheme,
            cost,
            salt: [0; 16],
            salt_len: 0,
            digest: [0; DIGEST_CHARS],
            digest_len: 0,
        }
    }

    fn parse_sha(scheme: Scheme, rest: &str, digest_chars: usize) -> Result<StoredHash, &'static str> {
        let (cost, rest) = match rest.strip_prefix("rounds=") {
            Some(r) => {
                let (n, rest) = r.split_once('$').ok_or("rounds=N must end with $")?;
                let n: u32 = n.parse().map_err(|_| "rounds=N is not a number")?;
                (n.max(SHA_ROUNDS_MIN), rest)
            }
            None => (SHA_ROUNDS_DEFAULT, rest),
        };
        if cost > MAX_SHA_CRYPT_ROUNDS {
            return Err("too many rounds (more than MAX_SHA_CRYPT_ROUNDS)");
        }
        let (salt, digest) = rest.split_once('$').ok_or("SHA-crypt hashes are $N$SALT$DIGEST")?;
        if salt.is_empty() || salt.len() > 16 || !salt.bytes().all(|c| CRYPT64.contains(&c)) {
            return Err("the salt must be 1 to 16 crypt base64 characters");
        }
        if digest.len() != digest_chars || !digest.bytes().all(|c| CRYPT64.contains(&c)) {
            return Err("the digest has the wrong length or characters");
        }
        let mut h = StoredHash::empty(scheme, cost);
        h.salt[..salt.len()].copy_from_slice(salt.as_bytes());
        h.salt_len = salt.len() as u8;
        h.digest[..digest.len()].copy_from_slice(digest.as_bytes());
        h.digest_len = digest.len() as u8;
        Ok(h)
    }

    fn salt(&self) -> &[u8] {
        &self.salt[..usize::from(self.salt_len)]
    }

    fn digest(&self) -> &[u8] {
        &self.digest[..usize::from(self.digest_len)]
    }

    /// Work units a whole verification costs (`Verification::advance`'s budget unit).
    pub fn work(&self) -> u64 {
        match self.scheme {
            Scheme::Sha256 | Scheme::Sha512 | Scheme::Md5 => u64::from(self.cost),
            // An iteration (two key expansions, ~1,040 Blowfish encryptions)
            // costs about as much as 100-130 SHA-crypt rounds (benches/run
            // --logins: 85 us against 0.4-0.7 us on this machine).
            Scheme::Bcrypt => (1u64 << self.cost) * BCRYPT_ITERATION_UNITS,
        }
    }
}

/// A verification in progress: the state between slices.
pub struct Verification {
    work: Work,
    /// The digest to compare with at the end.
    expect: StoredHash,
}

// Held in a fixed table allocated at start-up (never boxed: no allocation
// per request); the bcrypt variant is its ~4 KiB key schedule.
#[allow(clippy::large_enum_variant)]
enum Work {
    Sha(Sha),
    Md5(Md5Crypt),
    Bcrypt(Bcrypt),
    Done(bool),
}

/// MD5-crypt's state after its setup: the digest so far and the salt.
struct Md5Crypt {
    fin: [u8; 16],
    p: [u8; MAX_PASSWORD_LEN],
    p_len: usize,
    s: [u8; 8],
    s_len: usize,
    round: u32,
}

/// SHA-crypt's state after its setup (steps 1-20 of Drepper's specification):
/// the digest so far, and the byte sequences P and S its rounds mix in.
struct Sha {
    wide: bool,
    c: [u8; 64],
    p: [u8; MAX_PASSWORD_LEN],
    p_len: usize,
    s: [u8; 16],
    s_len: usize,
    round: u32,
    rounds: u32,
}

/// bcrypt's state: the Blowfish key schedule being made expensive.
struct Bcrypt {
    bf: Blowfish,
    key: [u8; 72],
    key_len: usize,
    salt: [u8; 16],
    done: u64,
    total: u64,
}

impl Verification {
    /// Starts verifying `password` against `hash`; the setup costs about one
    /// round. A password longer than `MAX_PASSWORD_LEN` cannot match, but is
    /// made to cost the same work (a fixed stand-in is hashed).
    pub fn start(hash: &StoredHash, password: &[u8]) -> Verification {
        let too_long = password.len() > MAX_PASSWORD_LEN;
        let pw = if too_long { &[0u8; 1][..] } else { password };
        let work = match hash.scheme {
            Scheme::Sha512 => Work::Sha(Sha::setup::<Sha512>(true, pw, hash.salt(), hash.cost)),
            Scheme::Sha256 => Work::Sha(Sha::setup::<Sha256>(false, pw, hash.salt(), hash.cost)),
            Scheme::Bcrypt => Work::Bcrypt(Bcrypt::setup(pw, &hash.salt, hash.cost)),
            Scheme::Md5 => Work::Md5(Md5Crypt::setup(pw, hash.salt())),
        };
        let mut expect = *hash;
        if too_long {
            // Compare with a digest nothing produces: the answer is "no".
            expect.digest_len = 0;
        }
        Verification { work, expect }
    }

    /// Does at most `budget` work units; `Some(matches)` once finished.
    pub fn advance(&mut self, budget: u64) -> Option<bool> {
        let finished = match &mut self.work {
            Work::Sha(sha) => sha.run(budget).then(|| {
                let mut out = [0u8; DIGEST_CHARS];
                let n = sha.encode(&mut out);
                out[..n].ct_eq(self.expect.digest()).into()
            }),
            Work::Md5(m) => m.run(budget).then(|| {
                let mut out = [0u8; 22];
                m.encode(&mut out);
                out[..].ct_eq(self.expect.digest()).into()
            }),
            Work::Bcrypt(bc) => bc.run(budget).then(|| {
                let mut out = [0u8; 31];
                bc.finish(&mut out);
                out[..].ct_eq(self.expect.digest()).into()
            }),
            Work::Done(ok) => Some(*ok),
        };
        if let Some(ok) = finished {
            self.work = Work::Done(ok);
        }
        finished
    }
}

/// Adds `len` bytes of `bytes` repeated (Drepper's "for each block of 32 or
/// 64 bytes in the password string, add the digest" steps).
fn add_cycled<D: Digest>(d: &mut D, bytes: &[u8], len: usize) {
    let mut left = len;
    while left > bytes.len() {
        d.update(bytes);
        left -= bytes.len();
    }
    d.update(&bytes[..left]);
}

impl Sha {
    fn setup<D: Digest>(wide: bool, pw: &[u8], salt: &[u8], rounds: u32) -> Sha {
        // Digest B = H(P S P).
        let b = D::new().chain_update(pw).chain_update(salt).chain_update(pw).finalize();
        // Digest A = H(P S B-cycled-to-len(P) then, per bit of len(P), B or P).
        let mut a = D::new().chain_update(pw).chain_update(salt);
        add_cycled(&mut a, &b, pw.len());
        let mut n = pw.len();
        while n > 0 {
            if n & 1 == 1 {
                a.update(&b);
            } else {
                a.update(pw);
            }
            n >>= 1;
        }
        let a = a.finalize();
        // P sequence: H(P repeated len(P) times), cycled to len(P).
        let mut dp = D::new();
        for _ in 0..pw.len() {
            dp.update(pw);
        }
        let dp = dp.finalize();
        // S sequence: H(S repeated 16 + A[0] times), cut to len(S).
        let mut ds = D::new();
        for _ in 0..16 + usize::from(a[0]) {
            ds.update(salt);
        }
        let ds = ds.finalize();
        let mut sha = Sha {
            wide,
            c: [0; 64],
            p: [0; MAX_PASSWORD_LEN],
            p_len: pw.len(),
            s: [0; 16],
            s_len: salt.len(),
            round: 0,
            rounds,
        };
        sha.c[..a.len()].copy_from_slice(&a);
        for (i, byte) in sha.p[..pw.len()].iter_mut().enumerate() {
            *byte = dp[i % dp.len()];
        }
        sha.s[..salt.len()].copy_from_slice(&ds[..salt.len()]);
        sha
    }

    /// Runs up to `budget` rounds; true when all are done.
    fn run(&mut self, budget: u64) -> bool {
        if self.wide {
            self.rounds_of::<Sha512>(budget)
        } else {
            self.rounds_of::<Sha256>(budget)
        }
    }

    fn rounds_of<D: Digest>(&mut self, budget: u64) -> bool {
        let n = <D as Digest>::output_size();
        let p = &self.p[..self.p_len];
        let s = &self.s[..self.s_len];
        let end = u64::from(self.round).saturating_add(budget).min(u64::from(self.rounds)) as u32;
        while self.round < end {
            let i = self.round;
            let mut d = D::new();
            if i & 1 == 1 {
                d.update(p);
            } else {
                d.update(&self.c[..n]);
            }
            if i % 3 != 0 {
                d.update(s);
            }
            if i % 7 != 0 {
                d.update(p);
            }
            if i & 1 == 1 {
                d.update(&self.c[..n]);
            } else {
                d.update(p);
            }
            self.c[..n].copy_from_slice(&d.finalize());
            self.round += 1;
        }
        self.round == self.rounds
    }

    /// The final digest in crypt base64, in the scheme's byte order.
    fn encode(&self, out: &mut [u8; DIGEST_CHARS]) -> usize {
        const ORDER_512: [(usize, usize, usize); 21] = [
            (0, 21, 42),
            (22, 43, 1),
            (44, 2, 23),
            (3, 24, 45),
            (25, 46, 4),
            (47, 5, 26),
            (6, 27, 48),
            (28, 49, 7),
            (50, 8, 29),
            (9, 30, 51),
            (31, 52, 10),
            (53, 11, 32),
            (12, 33, 54),
            (34, 55, 13),
            (56, 14, 35),
            (15, 36, 57),
            (37, 58, 16),
            (59, 17, 38),
            (18, 39, 60),
            (40, 61, 19),
            (62, 20, 41),
        ];
        const ORDER_256: [(usize, usize, usize); 10] = [
            (0, 10, 20),
            (21, 1, 11),
            (12, 22, 2),
            (3, 13, 23),
            (24, 4, 14),
            (15, 25, 5),
            (6, 16, 26),
            (27, 7, 17),
            (18, 28, 8),
            (9, 19, 29),
        ];
        let c = &self.c;
        let mut at = 0;
        let mut put = |w: u32, n: usize| {
            for k in 0..n {
                out[at] = CRYPT64[((w >> (6 * k)) & 0x3f) as usize];
                at += 1;
            }
        };
        let w24 = |a: usize, b: usize, c2: usize| (u32::from(c[a]) << 16) | (u32::from(c[b]) << 8) | u32::from(c[c2]);
        if self.wide {
            for (a, b, c2) in ORDER_512 {
                put(w24(a, b, c2), 4);
            }
            put(u32::from(c[63]), 2);
        } else {
            for (a, b, c2) in ORDER_256 {
                put(w24(a, b, c2), 4);
            }
            put((u32::from(c[31]) << 8) | u32::from(c[30]), 3);
        }
        at
    }
}

impl Md5Crypt {
    /// Poul-Henning Kamp's MD5-crypt, up to its 1,000 rounds.
    fn setup(pw: &[u8], salt: &[u8]) -> Md5Crypt {
        let alt = Md5::new()
            .chain_update(pw)
            .chain_update(salt)
            .chain_update(pw)
            .finalize();
        let mut d = Md5::new().chain_update(pw).chain_update(b"$1$").chain_update(salt);
        add_cycled(&mut d, &alt, pw.len());
        let mut n = pw.len();
        while n > 0 {
            // The C code adds a NUL byte for a set bit, else the password's first byte.
            if n & 1 == 1 {
                d.update([0u8]);
            } else {
                d.update(&pw[..1]);
            }
            n >>= 1;
        }
        let mut m = Md5Crypt {
            fin: d.finalize().into(),
            p: [0; MAX_PASSWORD_LEN],
            p_len: pw.len(),
            s: [0; 8],
            s_len: salt.len().min(8),
            round: 0,
        };
        m.p[..pw.len()].copy_from_slice(pw);
        m.s[..m.s_len].copy_from_slice(&salt[..m.s_len]);
        m
    }

    fn run(&mut self, budget: u64) -> bool {
        let p = &self.p[..self.p_len];
        let s = &self.s[..self.s_len];
        let end = u64::from(self.round).saturating_add(budget).min(u64::from(MD5_ROUNDS)) as u32;
        while self.round < end {
            let i = self.round;
            let mut d = Md5::new();
            if i & 1 == 1 {
                d.update(p);
            } else {
                d.update(self.fin);
            }
            if i % 3 != 0 {
                d.update(s);
            }
            if i % 7 != 0 {
                d.update(p);
            }
            if i & 1 == 1 {
                d.update(self.fin);
            } else {
                d.update(p);
            }
            self.fin = d.finalize().into();
            self.round += 1;
        }
        self.round == MD5_ROUNDS
    }

    fn encode(&self, out: &mut [u8; 22]) {
        let f = &self.fin;
        let mut at = 0;
        let mut put = |w: u32, n: usize| {
            for k in 0..n {
                out[at] = CRYPT64[((w >> (6 * k)) & 0x3f) as usize];
                at += 1;
            }
        };
        for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
            put((u32::from(f[a]) << 16) | (u32::from(f[b]) << 8) | u32::from(f[c]), 4);
        }
        put(u32::from(f[11]), 2);
    }
}

impl Bcrypt {
    fn setup(pw: &[u8], salt: &[u8; 16], cost: u32) -> Bcrypt {
        // $2b$: the key is the password and its NUL, at most 72 bytes.
        let mut key = [0u8; 72];
        let key_len = (pw.len() + 1).min(72);
        let n = pw.len().min(72);
        key[..n].copy_from_slice(&pw[..n]);
        let mut bf = Blowfish::bc_init_state();
        bf.salted_expand_key(salt, &key[..key_len]);
        Bcrypt {
            bf,
            key,
            key_len,
            salt: *salt,
            done: 0,
            total: 1u64 << cost,
        }
    }

    /// Runs up to `budget` work units (`BCRYPT_ITERATION_UNITS` an iteration; at least one).
    fn run(&mut self, budget: u64) -> bool {
        let end = self
            .done
            .saturating_add((budget / BCRYPT_ITERATION_UNITS).max(1))
            .min(self.total);
        while self.done < end {
            self.bf.bc_expand_key(&self.key[..self.key_len]);
            self.bf.bc_expand_key(&self.salt);
            self.done += 1;
        }
        self.done == self.total
    }

    /// Encrypts "OrpheanBeholderScryDoubt" 64 times; the first 23 bytes, in
    /// bcrypt base64, are the digest.
    fn finish(&self, out: &mut [u8; 31]) {
        let mut ctext: [u32; 6] = [
            0x4f72_7068,
            0x6561_6e42,
            0x6568_6f6c,
            0x6465_7253,
            0x6372_7944,
            0x6f75_6274,
        ];
        for pair in ctext.chunks_exact_mut(2) {
            for _ in 0..64 {
                let lr = self.bf.bc_encrypt([pair[0], pair[1]]);
                pair[0] = lr[0];
                pair[1] = lr[1];
            }
        }
        let mut bytes = [0u8; 24];
        for (i, w) in ctext.iter().enumerate() {
            bytes[4 * i..4 * i + 4].copy_from_slice(&w.to_be_bytes());
        }
        encode_bcrypt64(&bytes[..23], out);
    }
}

/// bcrypt base64 (most significant bits first, no padding) of `bytes` into `out`.
fn encode_bcrypt64(bytes: &[u8], out: &mut [u8]) {
    let mut at = 0;
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let w = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..=chunk.len() {
            if at < out.len() {
                out[at] = BCRYPT64[((w >> (18 - 6 * k)) & 0x3f) as usize];
                at += 1;
            }
        }
    }
}

/// Decodes bcrypt base64 `text` into exactly `out.len()` bytes; false on a bad character.
fn decode_bcrypt64(text: &[u8], out: &mut [u8]) -> bool {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut at = 0;
    for &c in text {
        let Some(v) = BCRYPT64.iter().position(|&a| a == c) else {
            return false;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            if at < out.len() {
                out[at] = (acc >> bits) as u8;
                at += 1;
            }
        }
    }
    at == out.len()
}

/// A new `$6$` hash of `password` (default 5,000 rounds) with `salt`, 16
/// crypt base64 characters: `--hash-password`'s output.
pub fn sha512_crypt(password: &[u8], salt: &[u8; 16]) -> Result<String, &'static str> {
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
        return Err("the password must be 1 to MAX_PASSWORD_LEN bytes");
    }
    let mut sha = Sha::setup::<Sha512>(true, password, salt, SHA_ROUNDS_DEFAULT);
    sha.run(u64::MAX);
    let mut out = [0u8; DIGEST_CHARS];
    let n = sha.encode(&mut out);
    let salt = core::str::from_utf8(salt).map_err(|_| "salt")?;
    let digest = core::str::from_utf8(&out[..n]).map_err(|_| "digest")?;
    Ok(format!("$6${salt}${digest}"))
}

/// Maps random bytes to a salt of crypt base64 characters.
pub fn salt_from(random: &[u8; 16]) -> [u8; 16] {
    random.map(|b| CRYPT64[usize::from(b & 0x3f)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify(hash: &str, pw: &str, budget: u64) -> bool {
        let h = StoredHash::parse(hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
        let mut v = Verification::start(&h, pw.as_bytes());
        let mut slices = 0;
        loop {
            slices += 1;
            if let Some(ok) = v.advance(budget) {
                assert!(
                    slices as u64 >= h.work() / budget.max(1),
                    "finished early: {slices} slices"
                );
                return ok;
            }
        }
    }

    /// Drepper's specification's own test vectors (SHA-crypt, §"Test vectors").
    #[test]
    fn sha_crypt_reference_vectors() {
        let cases = [
            (
                "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
                "Hello world!",
            ),
            (
                "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
                "Hello world!",
            ),
            (
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
                "Hello world!",
            ),
            (
                "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
                "Hello world!",
            ),
            (
                "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
                "a very much longer text to encrypt.  This one even stretches over morethan one line.",
            ),
            // rounds=10 is raised to the minimum, 1000.
            (
                "$6$rounds=10$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
                "the minimum number is still observed",
            ),
        ];
        for (hash, pw) in cases {
            for budget in [1, 7, 1000, u64::MAX] {
                assert!(verify(hash, pw, budget), "{hash} with budget {budget}");
            }
            assert!(!verify(hash, "Hello world?", 1000), "{hash}: wrong password");
        }
    }

    /// The same hashes the `sha-crypt` and `bcrypt` crates make and check.
    #[test]
    fn agrees_with_reference_crates() {
        for pw in [
            "",
            "a",
            "admin",
            "pässwörd",
            &"x".repeat(100),
            &"y".repeat(MAX_PASSWORD_LEN),
        ] {
            let params = sha_crypt::Sha512Params::new(5_000).unwrap();
            let h = sha_crypt::sha512_simple(pw, &params).unwrap();
            assert!(verify(&h, pw, 333), "{h}");
            assert!(!verify(&h, &format!("{pw}!"), 333), "{h}");
            let params = sha_crypt::Sha256Params::new(1_234).unwrap();
            let h = sha_crypt::sha256_simple(pw, &params).unwrap();
            assert!(verify(&h, pw, 100), "{h}");
            if !pw.is_empty() {
                let salt = *b"0123456789abcdef";
                let h = bcrypt::hash_with_salt(pw, 5, salt)
                    .unwrap()
                    .format_for_version(bcrypt::Version::TwoB);
                assert!(verify(&h, pw, 128 * 3), "{h}");
                // Past 71 bytes bcrypt no longer sees an added character.
                assert!(pw.len() >= 72 || !verify(&h, &format!("{pw}!"), 128 * 3), "{h}");
                let y = h.replacen("$2b$", "$2y$", 1);
                assert!(verify(&y, pw, 128 * 3), "{y}");
            }
        }
        // Our own $6$ for --hash-password is checked by the reference crate.
        let h = sha512_crypt(b"router admin", &salt_from(&[7; 16])).unwrap();
        assert!(sha_crypt::sha512_check("router admin", &h).is_ok(), "{h}");
        // bcrypt uses 72 bytes of the password at most: the 73rd does not count.
        let long = "z".repeat(80);
        let h = bcrypt::hash_with_salt(&long, 4, [9; 16])
            .unwrap()
            .format_for_version(bcrypt::Version::TwoB);
        assert!(verify(&h, &long[..72], 128) && verify(&h, &long, 128));
    }

    #[test]
    fn too_long_passwords_never_match_but_cost_the_same() {
        let params = sha_crypt::Sha512Params::new(1_000).unwrap();
        let long = "p".repeat(MAX_PASSWORD_LEN + 1);
        let h = sha_crypt::sha512_simple(&long, &params).unwrap();
        assert!(!verify(&h, &long, 100));
    }

    #[test]
    fn malformed_hashes_are_refused() {
        for bad in [
            "",
            "*",
            "!",
            "!$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            "plaintext",
            "$1$salt$hash",
            "$6$",
            "$6$salt",
            "$6$salt$short",
            "$6$rounds=x$salt$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            "$6$rounds=999999999$s$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            "$6$sa:t$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            "$2b$10$short",
            "$2b$03$0123456789012345678901ABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
            "$2b$31$0123456789012345678901ABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
            "$2a$10$0123456789012345678901ABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
        ] {
            assert!(StoredHash::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// MD5-crypt, from /etc/shadow only: `openssl passwd -1` outputs.
    #[test]
    fn md5_crypt_matches_openssl_and_only_from_the_system() {
        for (pw, hash) in [
            ("password", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"),
            ("Hello world!", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"),
            ("x", "$1$ab$e2KlfqG5YBMTjSz7XF.Eu1"),
            ("", "$1$abcdefgh$M55TzYaaccxVGbptZWaxX/"),
            (
                "a very long password indeed, longer than sixteen",
                "$1$12345678$YjDScHoE4qunnQ27DTuR41",
            ),
        ] {
            assert!(StoredHash::parse(hash).is_err(), "{hash}: not in a credentials file");
            let h = StoredHash::parse_system(hash).unwrap_or_else(|e| panic!("{hash}: {e}"));
            for budget in [1, 77, u64::MAX] {
                let mut v = Verification::start(&h, pw.as_bytes());
                let ok = loop {
                    if let Some(ok) = v.advance(budget) {
                        break ok;
                    }
                };
                assert!(ok, "{hash} with budget {budget}");
            }
            let mut v = Verification::start(&h, b"wrong");
            assert_eq!(v.advance(u64::MAX), Some(false), "{hash}");
        }
        for bad in ["$1$", "$1$salt", "$1$toolongsalt$qjXMvbEw8oaL.CzflDtaK/", "$1$s$short"] {
            assert!(StoredHash::parse_system(bad).is_err(), "{bad}");
        }
    }
}
