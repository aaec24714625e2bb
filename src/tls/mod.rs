//! HTTPS (cargo feature `tls`): the server's TLS configuration, made once
//! before the jail from a PEM certificate chain and key, and the fixed
//! buffers TLS connections borrow. The record layer of one connection is
//! `stream.rs`.
//!
//! rustls 0.23 with ring: TLS 1.3 and 1.2 only, ALPN `http/1.1`, ECDSA and
//! RSA certificates; no session cache and no tickets (each would be a table
//! growing with clients); every connection does a full handshake.

pub mod stream;

pub use stream::TlsStream;

use crate::limits::{TLS_BUF_LEN, TLS_CONNECTIONS};
use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::{NoServerSessionStorage, ServerConfig, UnbufferedServerConnection};
use rustls::time_provider::TimeProvider;
use std::net::TcpStream;
use std::sync::Arc;

/// Wall time for rustls (it checks no certificate dates of ours, but its
/// builder wants a clock), without rustls's std feature.
#[derive(Debug)]
struct SystemClock;

impl TimeProvider for SystemClock {
    fn current_time(&self) -> Option<UnixTime> {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(UnixTime::since_unix_epoch(d))
    }
}

/// What the start-up log says of the certificate.
pub struct Summary {
    pub certificates: usize,
    pub key: &'static str,
}

/// The TLS configuration and the buffers of TLS connections.
pub struct Tls {
    config: Arc<ServerConfig>,
    /// Buffers given back, ready for the next connection.
    free: Vec<Box<[u8]>>,
    /// Buffers made so far (at most `cap`; made when first needed, so a
    /// server that never sees many TLS clients never holds many).
    made: usize,
    cap: usize,
}

impl Tls {
    /// Parses the PEM chain and key and builds the configuration: a key that
    /// does not match the certificate, or no certificate, is an error here.
    /// `cap`: TLS connections at once (`--max-tls-connections`).
    pub fn new(chain_pem: &[u8], key_pem: &[u8], cap: usize) -> Result<(Tls, Summary), String> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("certificate: not PEM ({e:?})"))?;
        if chain.is_empty() {
            return Err("certificate: no CERTIFICATE section".to_string());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("key: not a PEM private key ({e:?})"))?;
        let key_kind = match &key {
            PrivateKeyDer::Pkcs1(_) => "RSA",
            PrivateKeyDer::Sec1(_) => "EC",
            PrivateKeyDer::Pkcs8(_) => "PKCS#8",
            _ => "other",
        };
        let provider = provider::default_provider();
        // The first draw from the kernel now, before the jail: getrandom(2)
        // is all TLS needs later (no /dev/urandom fallback inside it).
        provider
            .secure_random
            .fill(&mut [0u8; 16])
            .map_err(|_| "getrandom(2) failed: the kernel has no random source for TLS".to_string())?;
        let mut config = ServerConfig::builder_with_details(Arc::new(provider), Arc::new(SystemClock))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain.clone(), key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => "the key does not match the certificate".to_string(),
                e => format!("certificate and key: {e}"),
            })?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        let cap = cap.clamp(1, TLS_CONNECTIONS);
        let tls = Tls {
            config: Arc::new(config),
            free: Vec::with_capacity(cap),
            made: 0,
            cap,
        };
        let summary = Summary {
            certificates: chain.len(),
            key: key_kind,
        };
        Ok((tls, summary))
    }

    /// A TLS connection over `sock`, or `None` when `cap` are open (or rustls
    /// refuses to start one): the caller closes the socket.
    pub fn accept(&mut self, sock: TcpStream) -> Option<TlsStream> {
        let conn = UnbufferedServerConnection::new(Arc::clone(&self.config)).ok()?;
        let buf = match self.free.pop() {
            Some(buf) => buf,
            None if self.made < self.cap => {
                self.made += 1;
                vec![0u8; TLS_BUF_LEN].into_boxed_slice()
            }
            None => return None,
        };
        Some(TlsStream::new(sock, conn, buf))
    }

    /// A TLS connection ended: its buffer is free again.
    pub fn give_back(&mut self, stream: TlsStream) {
        self.free.push(stream.into_buf());
    }

    /// Every buffer is lent: a new TLS connection would have to be closed, so
    /// the TLS listeners are not polled (new clients wait in the backlog).
    pub fn is_full(&self) -> bool {
        self.free.is_empty() && self.made == self.cap
    }

    /// TLS connections open now.
    pub fn in_use(&self) -> usize {
        self.made - self.free.len()
    }

    pub fn cap(&self) -> usize {
        self.cap
    }
}
