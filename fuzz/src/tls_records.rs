//! `tls_records`: bytes as TLS records into one of warden's HTTPS connections
//! (`tls::TlsStream`, the state machine over `Transport::Tls`), in two parts:
//! - raw: the input itself is what a client sends, in pieces, with the clock,
//!   stalls and shutdown of `conn_e2e`: ClientHello parsing, record exposure,
//!   the alert after an error;
//! - structured: a rustls client (std-free, the unbuffered API, so that this
//!   compiles in warden's own test build too) completes a real handshake, then
//!   the input is a list of operations on a record layer of the client's own,
//!   keyed with the secrets of that handshake: application data in any
//!   pieces, records of any inner content type and length, KeyUpdate, alerts,
//!   close_notify, empty and padded records, broken MACs, skipped sequence
//!   numbers, plaintext records and raw bytes in between.
//!
//! The server side runs as the server loop would run it: the whole `Conn`
//! (HTTP answered over TLS) or the bare `TlsStream` echoing what it receives,
//! woken only when poll would wake it (input readable, output wanted, input
//! held: `has_input`).
//!
//! Properties: no panic (rustls's assertions included: the server is built with
//! panic=abort); the handshake with a real client completes, whatever the
//! pieces; the server's output is well-framed records, and after the handshake
//! each decrypts under the keys of the moment (KeyUpdate followed), with
//! nothing after its close_notify or fatal alert; no plaintext comes out of
//! raw bytes; the plaintext `recv` returns is a prefix of the application data
//! the client sealed, and the client's view of the echo a prefix of that (all
//! of it, when every record was well-formed); over `Conn`, the decrypted
//! responses are well framed (`conn_e2e`'s checker); `has_input` never stays
//! true without `recv` moving (a busy loop); a connection never holds work
//! that poll would not wake it for (a hang until the deadline); the
//! connection's TLS buffer goes back; memory (`CountingAlloc`, installed by
//! the fuzz target): what the server's calls allocate and have not freed stays
//! within `SERVER_MEMORY_BOUND` (the TLS buffer, made once, aside), all that is
//! live at once (the client's side included) within `MEMORY_BOUND` above the
//! level before the input, and nothing stays behind after it.
//!
//! `WARDEN_FUZZ_VERBOSE=1` prints each operation, what was sealed, received
//! and decrypted, the responses' status lines and the memory peaks;
//! `WARDEN_FUZZ_LOG=1` installs warden's logger at debug level (the TLS errors
//! it saw).
//!
//! Input layout:
//! - byte 0, mode: bit 0 structured (else raw); bit 1 the bare stream (else
//!   `Conn`); bits 2-4 the cipher suite (structured, `SUITES`, mod 6); bits
//!   5-7 the size of the pieces the client's bytes are written in (`PIECES`);
//! - byte 1: bits 0-2 the receive size of the bare stream (`RECV_SIZES`);
//!   raw: bits 3-6 the number `k` of step bytes; bit 7 the Host guard of
//!   `Conn` on (every DNS name 421; off, any Host is answered);
//! - raw: `k` step bytes as in `conn_e2e` (piece size, action), then the bytes
//!   the client sends;
//! - structured: operations, each a byte `kind | arg << 4` and its bytes (a
//!   length `n` is `arg << 8 | next byte`, or with `arg` 15 the next two bytes,
//!   little endian, up to `MAX_FUZZ_PLAIN`):
//!   - 0 application data: `n` bytes, one record;
//!   - 1 application data: a size byte `s`, `n` bytes, in records of `s + 1`;
//!   - 2 a sealed record of any inner type: the type byte, `n` bytes (TLS 1.2:
//!     the record's type);
//!   - 3 KeyUpdate: `arg` bit 0 update_requested, bit 1 split over two
//!     records; then the client's keys move on (TLS 1.3 with 32-byte keys;
//!     AES-128 keys cannot be made through rustls's API, so the keys stay and
//!     the next record fails; TLS 1.2: a HelloRequest, which no client sends);
//!   - 4 close_notify;
//!   - 5 a sealed alert: level and description bytes;
//!   - 6 raw bytes: `n` bytes, not sealed;
//!   - 7 a plaintext record: type byte, length (2 bytes, big endian, any),
//!     then as many of its body bytes as the input has;
//!   - 8 the next sealed record is corrupted: the body byte at (next byte)
//!     mod its length is XORed with `arg | 1`;
//!   - 9 `arg + 1` sequence numbers skipped;
//!   - 10 padded application data (TLS 1.3): `n` bytes, then a byte `p`:
//!     `16 p` zeros of padding;
//!   - 11 an action, `arg` as `conn_e2e`'s step actions (3 stall, 4-6 clock,
//!     7 shutdown begins);
//!   - 12 pieces of `PIECES[arg & 7]` from now on; `arg` bit 3 toggles holding
//!     the client's records back, to send them at once;
//!   - 13 `arg + 1` empty application-data records;
//!   - 14 a plaintext ChangeCipherSpec (`arg` bit 0: its body is the next byte);
//!   - 15 the client half-closes (`arg` bit 0: after close_notify); no
//!     operation follows.
//!
//!   At the end the client half-closes, and reads until the server has ended.

use super::{MAX_STEPS, START_MS, WALL, check_responses, piece_len, verbose, web_root};
use rustls::client::UnbufferedClientConnection;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, Iv, MessageDecrypter, MessageEncrypter, OutboundChunks, OutboundPlainMessage,
};
use rustls::crypto::tls13::OkmBlock;
use rustls::crypto::{CryptoProvider, ring as provider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::time_provider::TimeProvider;
use rustls::unbuffered::{ConnectionState, UnbufferedStatus};
use rustls::{
    ClientConfig, ConnectionTrafficSecrets, ContentType, DigitallySignedStruct, KeyLog, ProtocolVersion,
    SignatureScheme, SupportedCipherSuite, Tls13CipherSuite,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use warden::access_log::AccessLog;
use warden::clock::{Duration, Instant};
use warden::config::{HostPolicy, ServeConfig};
use warden::conn::{Conn, Fate, Interest, SlotBufs};
use warden::io::{Io, Segment};
use warden::limits;
use warden::services::Services;
use warden::tls::{Tls, TlsStream};
use warden::transport::Transport;

/// The server's certificate and key: a throwaway self-signed P-256 pair.
const CERT_PEM: &[u8] = include_bytes!("../tls/cert.pem");
const KEY_PEM: &[u8] = include_bytes!("../tls/key.pem");

/// Sizes of the pieces the client's bytes are written in (`usize::MAX`: all at once).
const PIECES: [usize; 8] = [usize::MAX, 1, 2, 5, 13, 100, 1000, 4096];
/// Buffer sizes the bare stream receives into.
const RECV_SIZES: [usize; 8] = [1, 2, 7, 64, 512, 4096, 16384, 65536];
/// The longest plaintext an operation seals: past a record's 2^14 + 1 inner
/// plaintext (record_overflow), within a record's 16-bit length.
const MAX_FUZZ_PLAIN: usize = 16384 + 300;
/// Largest record body the server may send: TLS 1.3's 2^14 + 256 (RFC 8446
/// §5.2); TLS 1.2's ciphertext is at most 2^14 + 2048 (RFC 5246 §6.2.3).
const MAX_BODY_13: usize = 16384 + 256;
const MAX_BODY_12: usize = 16384 + 2048;
/// Rounds of the handshake without a byte moving before it is called stuck.
const MAX_QUIET_ROUNDS: usize = 50;
/// `on_ready` calls in a row while `has_input` stays true: a busy loop.
const MAX_SPINS: usize = 1000;
/// Memory live at once above the level before the input (the fuzz process's
/// client included): the server's part is fixed (the TLS buffer is made once
/// and reused; rustls's connection state), the client's bounded by the input.
const MEMORY_BOUND: usize = 1 << 20;
/// The server's own part of that: allocated in its calls, less what they
/// freed (the connection's TLS buffer aside, made once per process).
const SERVER_MEMORY_BOUND: isize = 64 * 1024;
/// Memory that may stay behind, over the level after the first input (caches
/// made once: the web root, configurations, the TLS buffer).
const RETAINED_SLACK: usize = 64 * 1024;

// ---------------------------------------------------------------------------
// Memory

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The server's side is running (`in_server`): what is allocated and
    /// freed now is the server's.
    static IN_SERVER: Cell<bool> = const { Cell::new(false) };
    /// Bytes the server allocated less those it freed, and the peak of that.
    static SERVER_NET: Cell<isize> = const { Cell::new(0) };
    static SERVER_PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Runs `f` as the server's.
fn in_server<R>(f: impl FnOnce() -> R) -> R {
    IN_SERVER.with(|s| s.set(true));
    let r = f();
    IN_SERVER.with(|s| s.set(false));
    r
}

fn server_counted(delta: isize) {
    // try_with: the thread's locals may be gone while it exits.
    let _ = IN_SERVER.try_with(|s| {
        if s.get() {
            let _ = SERVER_NET.try_with(|n| {
                let v = n.get() + delta;
                n.set(v);
                let _ = SERVER_PEAK.try_with(|p| p.set(p.get().max(v)));
            });
        }
    });
}

/// The system allocator, counting the bytes live and their peak. The fuzz
/// target installs it (`#[global_allocator]`); without it both stay 0 and the
/// memory properties hold trivially.
pub struct CountingAlloc;

impl CountingAlloc {
    fn added(n: usize) {
        let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
        PEAK.fetch_max(live, Ordering::Relaxed);
        server_counted(n as isize);
    }
    fn removed(n: usize) {
        LIVE.fetch_sub(n, Ordering::Relaxed);
        server_counted(-(n as isize));
    }
}

// SAFETY: every call goes to `System` unchanged; only counters are kept on the side.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Self::added(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Self::added(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) };
        Self::removed(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            Self::removed(layout.size());
            Self::added(new_size);
        }
        p
    }
}

// ---------------------------------------------------------------------------
// Server and client configurations, made once per process

/// The server's TLS configuration and buffers: one connection at a time, so a
/// buffer not given back fails the next `accept`.
fn server_tls() -> &'static Mutex<Tls> {
    static TLS: OnceLock<Mutex<Tls>> = OnceLock::new();
    TLS.get_or_init(|| Mutex::new(Tls::new(CERT_PEM, KEY_PEM, 1).expect("the fuzz certificate").0))
}

/// The client's cipher suites, one configuration each.
fn suites() -> [SupportedCipherSuite; 6] {
    use provider::cipher_suite as cs;
    [
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
}

/// The TLS 1.3 traffic secrets of the last handshake (rustls's key log), for KeyUpdate.
static TRAFFIC_SECRETS: Mutex<(Vec<u8>, Vec<u8>)> = Mutex::new((Vec::new(), Vec::new()));

#[derive(Debug)]
struct SecretLog;

impl KeyLog for SecretLog {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        let mut s = TRAFFIC_SECRETS.lock().unwrap();
        match label {
            "CLIENT_TRAFFIC_SECRET_0" => s.0 = secret.to_vec(),
            "SERVER_TRAFFIC_SECRET_0" => s.1 = secret.to_vec(),
            _ => {}
        }
    }
}

/// Any certificate, any signature: the server is ours.
#[derive(Debug)]
struct AnyServer(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The wall clock of the Date headers, for rustls too.
#[derive(Debug)]
struct FixedClock;

impl TimeProvider for FixedClock {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(WALL as u64)))
    }
}

fn client_config(suite: usize) -> Arc<ClientConfig> {
    static CONFIGS: OnceLock<Vec<Arc<ClientConfig>>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        suites()
            .into_iter()
            .map(|s| {
                let mut p = provider::default_provider();
                p.cipher_suites = vec![s];
                let p = Arc::new(p);
                let version = s.version();
                let mut cfg = ClientConfig::builder_with_details(Arc::clone(&p), Arc::new(FixedClock))
                    .with_protocol_versions(&[version])
                    .expect("a protocol version of the suite")
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(AnyServer(p)))
                    .with_no_client_auth();
                cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
                cfg.resumption = rustls::client::Resumption::disabled();
                cfg.enable_secret_extraction = true;
                cfg.key_log = Arc::new(SecretLog);
                Arc::new(cfg)
            })
            .collect()
    });
    Arc::clone(&configs[suite % configs.len()])
}

// ---------------------------------------------------------------------------
// The client's record layer after the handshake

/// One direction's keys.
struct Keys {
    seal: Option<Box<dyn MessageEncrypter>>,
    open: Option<Box<dyn MessageDecrypter>>,
    seq: u64,
    /// TLS 1.3: the traffic secret, for the next KeyUpdate (empty: cannot).
    secret: Vec<u8>,
}

struct RecordLayer {
    tls13: Option<&'static Tls13CipherSuite>,
    tx: Keys,
    rx: Keys,
}

/// `(key, iv)` of extracted traffic secrets.
fn key_iv(s: ConnectionTrafficSecrets) -> (AeadKey, Iv) {
    match s {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
        | ConnectionTrafficSecrets::Aes256Gcm { key, iv }
        | ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => (key, iv),
        _ => panic!("traffic secrets of an unexpected kind"),
    }
}

/// HKDF-Expand-Label with an empty context (RFC 8446 §7.1).
fn expand_label(suite: &Tls13CipherSuite, secret: &[u8], label: &[u8], out: &mut [u8]) {
    let expander = suite.hkdf_provider.expander_for_okm(&OkmBlock::new(secret));
    let len = (out.len() as u16).to_be_bytes();
    let label_len = [(6 + label.len()) as u8];
    expander
        .expand_slice(&[&len, &label_len, b"tls13 ", label, &[0]], out)
        .expect("HKDF output length");
}

impl RecordLayer {
    fn new(suite: SupportedCipherSuite, secrets: rustls::ExtractedSecrets) -> RecordLayer {
        let (tx_seq, tx) = secrets.tx;
        let (rx_seq, rx) = secrets.rx;
        let ((tx_key, tx_iv), (rx_key, rx_iv)) = (key_iv(tx), key_iv(rx));
        match suite {
            SupportedCipherSuite::Tls13(s) => {
                let (client, server) = std::mem::take(&mut *TRAFFIC_SECRETS.lock().unwrap());
                assert!(!client.is_empty() && !server.is_empty(), "no traffic secrets logged");
                let usable = |secret: Vec<u8>| if s.aead_alg.key_len() == 32 { secret } else { Vec::new() };
                RecordLayer {
                    tls13: Some(s),
                    tx: Keys {
                        seal: Some(s.aead_alg.encrypter(tx_key, tx_iv)),
                        open: None,
                        seq: tx_seq,
                        secret: usable(client),
                    },
                    rx: Keys {
                        seal: None,
                        open: Some(s.aead_alg.decrypter(rx_key, rx_iv)),
                        seq: rx_seq,
                        secret: usable(server),
                    },
                }
            }
            SupportedCipherSuite::Tls12(s) => {
                // GCM: a 4-byte salt and 8 explicit bytes; ChaCha20: 12 bytes.
                let fixed = s.aead_alg.key_block_shape().fixed_iv_len;
                let seal = s
                    .aead_alg
                    .encrypter(tx_key, &tx_iv.as_ref()[..fixed], &tx_iv.as_ref()[fixed..]);
                let open = s.aead_alg.decrypter(rx_key, &rx_iv.as_ref()[..fixed]);
                RecordLayer {
                    tls13: None,
                    tx: Keys {
                        seal: Some(seal),
                        open: None,
                        seq: tx_seq,
                        secret: Vec::new(),
                    },
                    rx: Keys {
                        seal: None,
                        open: Some(open),
                        seq: rx_seq,
                        secret: Vec::new(),
                    },
                }
            }
        }
    }

    /// The record carrying `payload` as `typ`, sealed (TLS 1.3: `typ` is the
    /// inner type; 0 leaves the last non-zero byte of `payload` to be it).
    fn seal(&mut self, typ: u8, payload: &[u8]) -> Vec<u8> {
        let msg = OutboundPlainMessage {
            typ: ContentType::from(typ),
            version: ProtocolVersion::TLSv1_2,
            payload: OutboundChunks::Single(payload),
        };
        let seal = self.tx.seal.as_mut().expect("sealing keys");
        let rec = seal.encrypt(msg, self.tx.seq).expect("encrypt");
        self.tx.seq += 1;
        rec.encode()
    }

    /// The next traffic keys (TLS 1.3 KeyUpdate, RFC 8446 §7.2): false when
    /// they cannot be made (AES-128).
    fn update(suite: &Tls13CipherSuite, keys: &mut Keys, sealing: bool) -> bool {
        if keys.secret.is_empty() {
            return false;
        }
        let mut next = vec![0u8; keys.secret.len()];
        expand_label(suite, &keys.secret, b"traffic upd", &mut next);
        let mut key = [0u8; 32];
        let mut iv = [0u8; 12];
        expand_label(suite, &next, b"key", &mut key);
        expand_label(suite, &next, b"iv", &mut iv);
        if sealing {
            keys.seal = Some(suite.aead_alg.encrypter(AeadKey::from(key), Iv::new(iv)));
        } else {
            keys.open = Some(suite.aead_alg.decrypter(AeadKey::from(key), Iv::new(iv)));
        }
        keys.secret = next;
        keys.seq = 0;
        true
    }
}

/// The content type and plaintext the server finds in a record sealed as
/// `typ` with `payload` (TLS 1.3: trailing zeros are padding).
fn effective(tls13: bool, typ: u8, payload: &[u8]) -> Option<(u8, &[u8])> {
    if !tls13 || typ != 0 {
        return Some((typ, payload));
    }
    let end = payload.iter().rposition(|&b| b != 0)?;
    Some((payload[end], &payload[..end]))
}

// ---------------------------------------------------------------------------
// The client

struct Client {
    sock: UnixStream,
    /// Bytes received and not yet taken (by rustls in the handshake, then as records).
    raw_in: Vec<u8>,
    /// Bytes received in all.
    total_in: usize,
    stalled: bool,
    /// A read reported a reset (the server closed with input unread).
    reset: bool,
    /// After the handshake.
    records: Option<RecordLayer>,
    max_body: usize,
    /// Application data decrypted from the server.
    plain_in: Vec<u8>,
    /// The server sent close_notify or a fatal alert: nothing may follow.
    server_done: Option<[u8; 2]>,
    /// The server's keys moved on and ours could not follow (AES-128).
    rx_lost: bool,
}

impl Client {
    /// Reads what the socket has now, without blocking, and decrypts the
    /// whole records (after the handshake).
    fn read(&mut self) {
        if self.stalled {
            return;
        }
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.sock.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    self.raw_in.extend_from_slice(&buf[..n]);
                    self.total_in += n;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    self.reset = true;
                    break;
                }
                Err(e) => panic!("client read: {e}"),
            }
        }
        if self.records.is_some() {
            self.open_records();
        }
    }

    /// Decrypts the server's whole records: each must open under the keys of
    /// the moment, be application data, an alert or (TLS 1.3) a KeyUpdate.
    fn open_records(&mut self) {
        let Some(rl) = self.records.as_mut() else {
            return;
        };
        loop {
            if self.rx_lost {
                self.raw_in.clear();
                return;
            }
            if self.raw_in.len() < 5 {
                return;
            }
            let len = usize::from(u16::from_be_bytes([self.raw_in[3], self.raw_in[4]]));
            assert!(
                len <= self.max_body,
                "a server record of {len} bytes: {:02x?}",
                &self.raw_in[..5]
            );
            if self.raw_in.len() < 5 + len {
                return;
            }
            let typ = ContentType::from(self.raw_in[0]);
            let version = ProtocolVersion::from(u16::from_be_bytes([self.raw_in[1], self.raw_in[2]]));
            let mut body = self.raw_in[5..5 + len].to_vec();
            self.raw_in.drain(..5 + len);
            if let Some(alert) = self.server_done {
                panic!("a {typ:?} record after the server's alert {alert:?}");
            }
            let open = rl.rx.open.as_mut().expect("opening keys");
            let plain = match open.decrypt(InboundOpaqueMessage::new(typ, version, &mut body), rl.rx.seq) {
                Ok(plain) => plain,
                Err(e) => panic!(
                    "a server record ({typ:?}, {len} bytes, seq {}) does not decrypt: {e}",
                    rl.rx.seq
                ),
            };
            rl.rx.seq += 1;
            match plain.typ {
                ContentType::ApplicationData => self.plain_in.extend_from_slice(plain.payload),
                ContentType::Alert => {
                    let alert: [u8; 2] = plain.payload.try_into().unwrap_or_else(|_| {
                        panic!("a server alert of {} bytes", plain.payload.len());
                    });
                    // A warning other than close_notify (TLS 1.2's
                    // no_renegotiation) leaves the connection open.
                    if alert[0] != 1 || alert[1] == 0 {
                        self.server_done = Some(alert);
                    }
                }
                ContentType::Handshake if rl.tls13.is_some() => {
                    assert!(
                        plain.payload.len() == 5 && plain.payload[..4] == [24, 0, 0, 1] && plain.payload[4] == 0,
                        "a handshake message from the server after the handshake: {:02x?}",
                        plain.payload
                    );
                    let suite = rl.tls13.expect("TLS 1.3");
                    if !RecordLayer::update(suite, &mut rl.rx, false) {
                        self.rx_lost = true;
                    }
                }
                other => panic!("a {other:?} record from the server after the handshake"),
            }
        }
    }
}

/// The server's output before the handshake ended (raw inputs): whole
/// records, of a TLS type, version 3.x, within the length limit; the last
/// one may be cut only if `cut_ok`.
fn check_raw_records(out: &[u8], cut_ok: bool) {
    let mut at = 0;
    while at < out.len() {
        let rest = &out[at..];
        if rest.len() < 5 {
            assert!(cut_ok, "a record header cut short: {rest:02x?}");
            return;
        }
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        assert!(
            (20..=23).contains(&rest[0]) && rest[1] == 3 && len <= MAX_BODY_12,
            "not a record header: {:02x?}",
            &rest[..5]
        );
        if rest.len() < 5 + len {
            assert!(cut_ok, "a record cut at {} of {len} bytes", rest.len() - 5);
            return;
        }
        at += 5 + len;
    }
}

// ---------------------------------------------------------------------------
// The server

/// The whole state machine over `Transport::Tls`, as the server loop runs it.
struct ConnSide {
    conn: Option<Conn>,
    services: Services,
    small: Vec<u8>,
    resp: Vec<u8>,
    line: Vec<u8>,
}

/// The bare `TlsStream`, echoing what it receives.
struct StreamSide {
    stream: Option<TlsStream>,
    buf: Vec<u8>,
    /// Plaintext received, in all.
    got: Vec<u8>,
    echoed: usize,
    read_closed: bool,
    write_closed: bool,
    shut: bool,
}

enum Side {
    Conn(Box<ConnSide>),
    Stream(Box<StreamSide>),
}

struct Harness {
    side: Side,
    client: Client,
    tls: &'static Mutex<Tls>,
    /// The server's socket, a second descriptor to peek at: readable or not.
    /// Dropped when the connection ends, so that the socket closes.
    peek: Option<TcpStream>,
    abandoned: bool,
    structured: bool,
}

impl Harness {
    fn is_open(&self) -> bool {
        match &self.side {
            Side::Conn(c) => c.conn.is_some(),
            Side::Stream(s) => s.stream.is_some(),
        }
    }

    /// Whether poll would wake the connection now (writability assumed: the
    /// client reads as it goes).
    fn wakes(&self) -> bool {
        let readable = self.peek.as_ref().is_some_and(|p| match p.peek(&mut [0u8; 1]) {
            Ok(_) => true,
            Err(e) => e.kind() != ErrorKind::WouldBlock,
        });
        match &self.side {
            Side::Conn(c) => c.conn.as_ref().is_some_and(|conn| {
                let (interest, _) = conn.interest();
                conn.has_input()
                    || conn.wants_write()
                    || match interest {
                        Interest::Read => readable,
                        Interest::Write => true,
                        Interest::Nothing => false,
                    }
            }),
            Side::Stream(s) => s.stream.as_ref().is_some_and(|t| {
                t.has_input()
                    || t.wants_write()
                    || (readable && !s.read_closed)
                    || (s.echoed < s.got.len() && !s.write_closed)
                    || (s.read_closed && !s.shut)
            }),
        }
    }

    /// One turn of the loop: the connection runs if poll would wake it, then
    /// the client reads. Returns false once the connection is gone.
    fn step(&mut self) -> bool {
        if self.wakes() {
            self.run_server();
        }
        self.client.read();
        self.is_open()
    }

    /// Runs the connection once, whether poll would wake it or not.
    fn run_server(&mut self) {
        let structured = self.structured;
        let ended = match &mut self.side {
            Side::Conn(c) => in_server(|| c.run()),
            // The stream's calls are the server's, its echo bookkeeping not.
            Side::Stream(s) => s.run(structured),
        };
        if let Some(t) = ended {
            self.finish(t);
        }
    }

    /// The connection ended: the socket closes, the buffer goes back.
    fn finish(&mut self, t: Transport) {
        self.peek = None;
        in_server(|| match t {
            Transport::Tls(stream) => self.tls.lock().unwrap().give_back(*stream),
            Transport::Plain(_) => panic!("a TLS connection ended as plain TCP"),
        });
    }

    /// Where the loop would sleep: poll would not wake the connection, so
    /// running it must change nothing the client can see (else the client
    /// waits for what the server holds: a hang until the deadline).
    fn probe(&mut self) {
        // What the socket already holds for the client is not the server's doing now.
        self.client.read();
        if !self.is_open() || self.wakes() {
            return;
        }
        let before = self.client.total_in;
        self.run_server();
        self.client.read();
        assert!(
            self.is_open() && self.client.total_in == before,
            "poll would not wake the connection, yet running it {}",
            if self.is_open() { "sent bytes" } else { "closed it" }
        );
    }

    /// Gives up on the connection, as the loop does at a deadline.
    fn abandon(&mut self) {
        let t = in_server(|| match &mut self.side {
            Side::Conn(c) => c.conn.take().map(|conn| conn.end(&c.line, &mut c.services)),
            Side::Stream(s) => s.stream.take().map(|s| Transport::Tls(Box::new(s))),
        });
        if let Some(t) = t {
            self.abandoned = true;
            self.finish(t);
        }
    }

    /// An action between writes: a stalled reader, the clock, shutdown.
    fn act(&mut self, action: u8) {
        self.client.stalled = action == 3;
        let Side::Conn(c) = &mut self.side else {
            return;
        };
        let Some(conn) = c.conn.as_ref() else {
            return;
        };
        let sh = &mut c.services;
        let give_up = match action {
            4 => {
                sh.now = sh.now + Duration::from_secs(1);
                false
            }
            5 => {
                sh.now = sh.now + limits::DEFAULT_HEADER_TIMEOUT;
                false
            }
            6 => {
                sh.now = sh.now + limits::DEFAULT_WRITE_TIMEOUT + Duration::from_millis(1);
                false
            }
            7 if !sh.draining => {
                sh.draining = true;
                conn.begin_drain() == Fate::Closed
            }
            _ => false,
        };
        if give_up || conn.interest().1 <= sh.now {
            self.abandon();
        }
    }

    /// Writes `bytes` from the client in pieces of `piece`, a loop turn after each.
    fn send(&mut self, mut bytes: &[u8], piece: usize) {
        while !bytes.is_empty() && self.is_open() {
            let n = piece.min(bytes.len());
            let mut chunk = &bytes[..n];
            while !chunk.is_empty() {
                match self.client.sock.write(chunk) {
                    Ok(k) => chunk = &chunk[k..],
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    // The server has not read what is queued: let it run and
                    // read its answers (else both would wait for each other).
                    Err(e) if e.kind() == ErrorKind::WouldBlock => self.client.stalled = false,
                    // The server closed (after an alert, say): the rest is lost.
                    Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {
                        return;
                    }
                    Err(e) => panic!("client write: {e}"),
                }
                if !self.step() {
                    return;
                }
            }
            bytes = &bytes[n..];
        }
    }

    /// The client has said everything: half-close, then turns until the
    /// server is done; a connection poll would not wake sleeps until its
    /// deadline (`Conn`) or is given up on (the bare stream).
    fn finish_run(&mut self) {
        let _ = self.client.sock.shutdown(Shutdown::Write);
        self.client.stalled = false;
        let mut steps = 0;
        while self.is_open() {
            steps += 1;
            assert!(
                steps < MAX_STEPS,
                "connection still open after {MAX_STEPS} wake-ups with nothing more to read"
            );
            if !self.wakes() {
                self.probe();
                match &mut self.side {
                    Side::Conn(c) => {
                        if let Some(conn) = c.conn.as_ref() {
                            c.services.now = conn.interest().1;
                        }
                    }
                    Side::Stream(_) => {}
                }
                self.abandon();
                break;
            }
            self.step();
        }
        self.client.read();
    }
}

impl ConnSide {
    /// `on_ready`, again while `has_input` holds (the loop does not wait for
    /// poll then); the deadline checked after. `Some` when the connection ended.
    fn run(&mut self) -> Option<Transport> {
        let mut conn = self.conn.take()?;
        let mut spins = 0;
        let mut fate;
        loop {
            let bufs = SlotBufs {
                small: &mut self.small,
                resp: &mut self.resp,
                line: &mut self.line,
            };
            fate = conn.on_ready(bufs, &mut self.services);
            if fate == Fate::Closed || !conn.has_input() {
                break;
            }
            spins += 1;
            assert!(spins < MAX_SPINS, "has_input stays true: the loop would spin");
        }
        if fate == Fate::Closed || conn.interest().1 <= self.services.now {
            return Some(conn.end(&self.line, &mut self.services));
        }
        self.conn = Some(conn);
        None
    }
}

impl StreamSide {
    /// Receives and echoes until nothing moves; closes once the peer has and
    /// the echo is out. `Some` when the stream ended.
    fn run(&mut self, structured: bool) -> Option<Transport> {
        let t = self.stream.as_mut()?;
        let _ = in_server(|| t.flush());
        loop {
            let mut moved = false;
            if !self.write_closed && self.echoed < self.got.len() {
                match in_server(|| t.send(&self.got[self.echoed..], Segment::Last)) {
                    Io::Done(n) => {
                        assert!(n > 0 && self.echoed + n <= self.got.len(), "send took {n}");
                        self.echoed += n;
                        moved = true;
                    }
                    Io::WouldBlock => {}
                    Io::Closed => self.write_closed = true,
                }
            }
            if !self.read_closed {
                match in_server(|| t.recv(&mut self.buf)) {
                    Io::Done(n) => {
                        assert!(n > 0 && n <= self.buf.len(), "recv returned {n}");
                        self.got.extend_from_slice(&self.buf[..n]);
                        moved = true;
                        check_plaintext(structured, &self.got);
                    }
                    Io::WouldBlock => assert!(!t.has_input(), "recv would block, yet has_input: the loop would spin"),
                    Io::Closed => self.read_closed = true,
                }
            }
            if !moved {
                break;
            }
        }
        if self.read_closed && (self.write_closed || self.echoed == self.got.len()) && !self.shut {
            in_server(|| t.shutdown_write());
            self.shut = true;
        }
        if self.shut && !t.wants_write() {
            let t = self.stream.take()?;
            return Some(Transport::Tls(Box::new(t)));
        }
        None
    }
}

/// The plaintext the server received is a prefix of the application data the
/// client sealed; from raw bytes, none.
fn check_plaintext(structured: bool, got: &[u8]) {
    assert!(structured, "plaintext from raw bytes: {got:02x?}");
    SENT_APP.with(|sent| {
        let sent = sent.borrow();
        assert!(
            got.len() <= sent.len() && got == &sent[..got.len()],
            "received {} bytes of plaintext that are not a prefix of the {} the client sealed",
            got.len(),
            sent.len()
        );
    });
}

thread_local! {
    /// Application data the client sealed, in order (the plaintext the
    /// server may return): the bare stream checks what it receives against it.
    static SENT_APP: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

// ---------------------------------------------------------------------------
// The structured part: the operations after the handshake

/// Bytes of the input read in order; zeros once they run out.
struct Ops<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Ops<'a> {
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let start = self.at.min(self.data.len());
        let end = start.saturating_add(n).min(self.data.len());
        self.at = start + n.min(self.data.len() - start);
        &self.data[start..end]
    }
    fn len(&mut self, arg: u8) -> usize {
        if arg < 15 {
            usize::from(arg) << 8 | usize::from(self.u8())
        } else {
            usize::from(u16::from_le_bytes([self.u8(), self.u8()])).min(MAX_FUZZ_PLAIN)
        }
    }
    fn left(&self) -> bool {
        self.at < self.data.len()
    }
}

/// The client's sending side after the handshake.
struct Sender {
    tls13: bool,
    piece: usize,
    hold: bool,
    held: Vec<u8>,
    corrupt: Option<(u8, u8)>,
    close_sent: bool,
    /// Every record so far was well-formed and sealed in order.
    clean: bool,
}

impl Sender {
    /// Seals a record and sends it (or holds it back).
    fn record(&mut self, h: &mut Harness, typ: u8, payload: &[u8]) {
        let Some(rl) = h.client.records.as_mut() else {
            return;
        };
        let mut rec = rl.seal(typ, payload);
        let corrupted = if let Some((pos, mask)) = self.corrupt.take() {
            // A body byte: rustls authenticates the header's length only (its
            // AEAD data has type 23 and version 3.3 whatever the header says).
            let i = 5 + usize::from(pos) % (rec.len() - 5);
            rec[i] ^= mask;
            self.clean = false;
            true
        } else {
            false
        };
        match effective(self.tls13, typ, payload) {
            Some((23, content)) if !corrupted && !self.close_sent => {
                SENT_APP.with(|s| s.borrow_mut().extend_from_slice(content));
            }
            _ => {}
        }
        if self.close_sent || payload.len() > 16384 {
            self.clean = false;
        }
        self.raw(h, &rec);
    }

    fn raw(&mut self, h: &mut Harness, bytes: &[u8]) {
        if self.hold {
            self.held.extend_from_slice(bytes);
        } else {
            h.send(bytes, self.piece);
        }
    }

    fn release(&mut self, h: &mut Harness) {
        let held = std::mem::take(&mut self.held);
        h.send(&held, self.piece);
    }
}

fn run_ops(h: &mut Harness, ops: &mut Ops<'_>, tls13: bool, piece: usize) {
    let mut s = Sender {
        tls13,
        piece,
        hold: false,
        held: Vec::new(),
        corrupt: None,
        close_sent: false,
        clean: true,
    };
    while ops.left() && h.is_open() {
        let op = ops.u8();
        let arg = op >> 4;
        if verbose() {
            eprintln!("tls_records: op {:2} arg {arg:2} at byte {}", op & 0x0f, ops.at + 1);
        }
        match op & 0x0f {
            0 => {
                let n = ops.len(arg);
                let data = ops.take(n);
                if data.is_empty() {
                    s.clean = false;
                }
                s.record(h, 23, data);
            }
            1 => {
                let size = usize::from(ops.u8()) + 1;
                let n = ops.len(arg);
                for chunk in ops.take(n).chunks(size) {
                    s.record(h, 23, chunk);
                }
            }
            2 => {
                let typ = ops.u8();
                let n = ops.len(arg);
                let data = ops.take(n);
                s.clean = false;
                s.record(h, typ, data);
            }
            3 => {
                if !tls13 {
                    s.clean = false;
                    s.record(h, 22, &[0, 0, 0, 0]);
                    continue;
                }
                let msg = [24, 0, 0, 1, arg & 1];
                if arg & 2 != 0 {
                    s.record(h, 22, &msg[..2]);
                    s.record(h, 22, &msg[2..]);
                } else {
                    s.record(h, 22, &msg);
                }
                let rl = h.client.records.as_mut().expect("records");
                let suite = rl.tls13.expect("TLS 1.3");
                if !RecordLayer::update(suite, &mut rl.tx, true) {
                    s.clean = false;
                }
            }
            4 => {
                s.record(h, 21, &[1, 0]);
                s.close_sent = true;
            }
            5 => {
                let alert = [ops.u8(), ops.u8()];
                s.clean = false;
                s.record(h, 21, &alert);
            }
            6 => {
                let n = ops.len(arg);
                let data = ops.take(n);
                s.clean &= data.is_empty();
                s.raw(h, data);
            }
            7 => {
                let mut rec = vec![ops.u8(), 3, 3, ops.u8(), ops.u8()];
                let len = usize::from(u16::from_be_bytes([rec[3], rec[4]]));
                rec.extend_from_slice(ops.take(len));
                s.clean = false;
                s.raw(h, &rec);
            }
            8 => s.corrupt = Some((ops.u8(), arg | 1)),
            9 => {
                if let Some(rl) = h.client.records.as_mut() {
                    rl.tx.seq += u64::from(arg) + 1;
                }
                s.clean = false;
            }
            10 => {
                let n = ops.len(arg);
                let mut inner = ops.take(n).to_vec();
                let pad = usize::from(ops.u8()) * 16;
                if tls13 {
                    inner.push(23);
                    inner.resize(inner.len() + pad, 0);
                    // Sealed as type 0: the padding ends in one more zero.
                    if inner.len() + 1 > 16385 {
                        s.clean = false;
                    }
                    s.record(h, 0, &inner);
                } else {
                    s.record(h, 23, &inner);
                }
            }
            11 => h.act(arg & 7),
            12 => {
                s.piece = PIECES[usize::from(arg & 7)];
                if arg & 8 != 0 {
                    s.hold = !s.hold;
                    if !s.hold {
                        s.release(h);
                    }
                }
            }
            13 => {
                s.clean = false;
                for _ in 0..=arg {
                    s.record(h, 23, &[]);
                }
            }
            14 => {
                let body = if arg & 1 != 0 { ops.u8() } else { 1 };
                s.clean = false;
                s.raw(h, &[20, 3, 3, 0, 1, body]);
            }
            _ => {
                if arg & 1 != 0 {
                    s.record(h, 21, &[1, 0]);
                    s.close_sent = true;
                }
                break;
            }
        }
        h.probe();
    }
    s.release(h);
    CLEAN.with(|c| c.set(s.clean));
}

thread_local! {
    /// The last structured input sent only well-formed records.
    static CLEAN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A real handshake: a rustls client against the server, the client's
/// flights written in pieces of `piece`. Returns the client's record layer.
fn handshake(h: &mut Harness, suite: usize, piece: usize) -> RecordLayer {
    let cfg = client_config(suite);
    let chosen = suites()[suite % 6];
    TRAFFIC_SECRETS.lock().unwrap().0.clear();
    let name = ServerName::try_from("fuzz").expect("server name");
    let mut c = UnbufferedClientConnection::new(cfg, name).expect("client connection");
    let mut out = vec![0u8; 32 * 1024];
    let mut quiet = 0;
    loop {
        assert!(h.is_open(), "the server closed during a real handshake");
        let UnbufferedStatus { discard, state } = c.process_tls_records(&mut h.client.raw_in);
        let mut done = false;
        let mut transmit = 0;
        match state {
            Err(e) => panic!("the client failed the handshake: {e}"),
            Ok(ConnectionState::EncodeTlsData(mut e)) => {
                transmit = e.encode(&mut out).expect("the client's flight fits 32 KiB");
            }
            Ok(ConnectionState::TransmitTlsData(t)) => t.done(),
            Ok(ConnectionState::BlockedHandshake) => {
                let before = h.client.total_in;
                h.step();
                if h.client.total_in == before {
                    quiet += 1;
                    assert!(
                        quiet < MAX_QUIET_ROUNDS,
                        "the handshake stalls: the server sends nothing more"
                    );
                    // Maybe the server waits for poll: run it anyway.
                    h.probe();
                } else {
                    quiet = 0;
                }
            }
            Ok(ConnectionState::WriteTraffic(_)) => done = true,
            Ok(other) => panic!("client state in the handshake: {other:?}"),
        }
        h.client.raw_in.drain(..discard);
        if transmit > 0 {
            h.send(&out[..transmit], piece);
        }
        if done {
            break;
        }
    }
    // The kernel-TLS hand-over: the keys and sequence numbers, nothing else.
    let (secrets, _) = c
        .dangerous_into_kernel_connection()
        .expect("secrets after the handshake");
    RecordLayer::new(chosen, secrets)
}

/// `tls_records`: see the module documentation.
pub fn tls_records(data: &[u8]) {
    let [mode, knobs, rest @ ..] = data else {
        return;
    };
    let structured = mode & 1 != 0;
    let piece = PIECES[usize::from(mode >> 5)];
    // What is made once per process is made before the first measure.
    let tls = server_tls();
    if std::env::var_os("WARDEN_FUZZ_LOG").is_some() {
        static LOG: std::sync::Once = std::sync::Once::new();
        LOG.call_once(|| warden::logger::init(log::LevelFilter::Debug).unwrap());
    }
    web_root();
    client_config(0);
    verbose();
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);

    let (server_end, client) = UnixStream::pair().expect("socketpair");
    server_end.set_nonblocking(true).unwrap();
    client.set_nonblocking(true).unwrap();
    let peek = TcpStream::from(OwnedFd::from(server_end.try_clone().expect("dup")));
    let stream = TcpStream::from(OwnedFd::from(server_end));
    SERVER_NET.with(|n| n.set(0));
    SERVER_PEAK.with(|p| p.set(0));
    let t = in_server(|| tls.lock().unwrap().accept(stream))
        .expect("no TLS buffer: the last connection's was not given back");
    let side = if mode & 2 == 0 {
        let cfg = ServeConfig {
            hosts: if knobs & 0x80 != 0 {
                HostPolicy::Listed(Vec::new())
            } else {
                HostPolicy::Any
            },
            ..ServeConfig::with_defaults(1)
        };
        let start = Instant::from_millis(START_MS);
        let peer = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
        let root = OwnedFd::from(web_root().try_clone().expect("dup the web root"));
        Side::Conn(Box::new(ConnSide {
            conn: Some(in_server(|| Conn::new(Transport::Tls(Box::new(t)), peer, start, &cfg))),
            services: Services::new(cfg, root, AccessLog::Off, start, WALL),
            small: vec![0u8; limits::HEAD_BUF_SMALL],
            resp: vec![0u8; limits::RESPONSE_HEAD_CAP],
            line: vec![0u8; limits::REQUEST_LINE_BUF],
        }))
    } else {
        Side::Stream(Box::new(StreamSide {
            stream: Some(t),
            buf: vec![0u8; RECV_SIZES[usize::from(knobs & 7)]],
            got: Vec::new(),
            echoed: 0,
            read_closed: false,
            write_closed: false,
            shut: false,
        }))
    };
    let mut h = Harness {
        side,
        client: Client {
            sock: client,
            raw_in: Vec::new(),
            total_in: 0,
            stalled: false,
            reset: false,
            records: None,
            max_body: MAX_BODY_12,
            plain_in: Vec::new(),
            server_done: None,
            rx_lost: false,
        },
        tls,
        peek: Some(peek),
        abandoned: false,
        structured,
    };
    SENT_APP.with(|s| s.borrow_mut().clear());
    CLEAN.with(|c| c.set(false));

    let mut tls13 = false;
    if structured {
        let suite = usize::from(mode >> 2 & 7) % 6;
        let records = handshake(&mut h, suite, piece);
        tls13 = records.tls13.is_some();
        if tls13 {
            h.client.max_body = MAX_BODY_13;
        }
        h.client.records = Some(records);
        h.client.open_records();
        let mut ops = Ops { data: rest, at: 0 };
        run_ops(&mut h, &mut ops, tls13, piece);
    } else {
        let k = usize::from(knobs >> 3 & 0x0f).min(rest.len());
        let (steps, mut payload) = rest.split_at(k);
        for &s in steps {
            if !h.is_open() {
                break;
            }
            h.act(s >> 5);
            let n = piece_len(s, payload.len());
            let (p, r) = payload.split_at(n);
            payload = r;
            h.send(p, usize::MAX);
            h.probe();
        }
        h.send(payload, piece);
    }
    h.finish_run();
    assert_eq!(tls.lock().unwrap().in_use(), 0, "the TLS buffer was not given back");

    let clean = CLEAN.with(|c| c.get()) && !h.abandoned;
    let sent = SENT_APP.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if verbose() {
        eprintln!(
            "tls_records: {} mode {mode:#04x}{}: client sealed {} B of data, received {} B ({} B decrypted){}{}",
            if structured { "structured" } else { "raw" },
            if tls13 { " TLS 1.3" } else { "" },
            sent.len(),
            h.client.total_in,
            h.client.plain_in.len(),
            h.client
                .server_done
                .map(|a| format!(", server alert {a:?}"))
                .unwrap_or_default(),
            if h.abandoned { ", abandoned" } else { "" },
        );
    }
    if verbose() {
        let text = String::from_utf8_lossy(&h.client.plain_in);
        let heads: Vec<&str> = text.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
        eprintln!("tls_records: responses {heads:?}");
    }
    match &mut h.side {
        Side::Conn(c) => {
            assert_eq!(
                c.services.pool.available(),
                limits::LARGE_HEAD_BUFS,
                "a large head buffer was not given back"
            );
            if structured {
                // A TLS error (or the client's close_notify before the end of
                // a response) may cut the last response; a clean run may not.
                check_responses(&h.client.plain_in, !clean || h.client.reset || h.client.rx_lost);
            } else {
                check_raw_records(&h.client.raw_in, h.abandoned || h.client.reset);
            }
        }
        Side::Stream(s) => {
            if structured {
                assert!(
                    h.client.plain_in.len() <= s.echoed && h.client.plain_in == s.got[..h.client.plain_in.len()],
                    "the client decrypted {} bytes that are not a prefix of the {} echoed",
                    h.client.plain_in.len(),
                    s.echoed
                );
                if clean && !h.client.reset && !h.client.rx_lost {
                    assert_eq!(
                        s.got.len(),
                        sent.len(),
                        "a clean run: the server received all the client sent"
                    );
                    assert_eq!(
                        h.client.plain_in.len(),
                        s.got.len(),
                        "a clean run: the client got the whole echo"
                    );
                }
            } else {
                assert!(s.got.is_empty(), "plaintext from raw bytes");
                check_raw_records(&h.client.raw_in, h.abandoned || h.client.reset);
            }
        }
    }
    drop(h);
    drop(sent);

    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    // The first input makes the TLS buffer, which is then reused.
    static FIRST: std::sync::Once = std::sync::Once::new();
    let mut buffer_made = 0;
    FIRST.call_once(|| buffer_made = limits::TLS_BUF_LEN as isize);
    let server_peak = SERVER_PEAK.with(Cell::get);
    let server_end = SERVER_NET.with(Cell::get);
    if verbose() {
        eprintln!(
            "tls_records: {peak} bytes live at most above {base}; the server's: {server_peak} at most, {server_end} at the end"
        );
    }
    assert!(
        server_peak <= SERVER_MEMORY_BOUND + buffer_made,
        "the server had {server_peak} bytes of its own live at once (bound {SERVER_MEMORY_BOUND})"
    );
    assert!(
        peak <= MEMORY_BOUND,
        "{peak} bytes live at once above the {base} before the input (bound {MEMORY_BOUND})"
    );
    static AFTER_FIRST: OnceLock<usize> = OnceLock::new();
    let live = LIVE.load(Ordering::Relaxed);
    let first = *AFTER_FIRST.get_or_init(|| live);
    assert!(
        live <= first + RETAINED_SLACK,
        "{live} bytes live after the input, {first} after the first: memory stays behind"
    );
}
