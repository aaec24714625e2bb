//! Regression tests from fuzzing (`fuzz/`, run in CI by `.ci/fuzz`).
//!
//! The fuzz targets' properties live in `fuzz/src/lib.rs`, included here, so
//! that they also run under a plain `cargo test` on stable, without libFuzzer:
//! each test below replays one target's corpus, `fuzz/corpus/<target>/`, the
//! seeds plus every input that fuzzing ever found to break a property. An input
//! that breaks warden itself also gets a test of its own here, named after what
//! it checks, marked `#[ignore = "found by fuzzing: ..."]` until it is fixed.
//!
//! Inputs found so far (all kept in the corpora):
//! - `conn_e2e/abandoned_with_unread_input`: a harness bug, not warden's. The
//!   write timeout abandons a response while the client's next request is still
//!   unread, so the client's read ends in ECONNRESET (a reset over TCP); that is
//!   allowed only for a connection the server gave up on.
//! - `seccomp_filter/aarch64_write_no_log_fds`: warden's bug, fixed. With no log
//!   fds, write and writev were allowed on every descriptor: the condition with
//!   no values that `seccomp::policy::rules` makes for them held for every
//!   argument in the program `policy::build` made (no comparison was emitted);
//!   now it is one jump to the violation. `writes_with_no_log_fds_are_violations`.
//! - `tls_records/close_notify_then_bad_mac_min`, `close_notify_then_tls12_hello_request`:
//!   warden's bug, fixed. After a `Connection: close` response (close_notify queued)
//!   the draining connection still gave the peer's records to rustls; a bad one made
//!   rustls try a second fatal alert, which it asserts never happens (a panic, so an
//!   abort, in builds with debug assertions). Now what comes after close_notify is read
//!   and dropped (`TlsStream::drop_input`).

#[path = "../fuzz/src/lib.rs"]
mod fuzz_props;

use std::path::PathBuf;

/// Runs `property` on every file of `fuzz/corpus/<target>/`, in name order.
fn replay(target: &str, property: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    for f in files {
        let data = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // Shown if the property panics.
        eprintln!("{target}: {}", f.display());
        property(&data);
    }
}

#[test]
fn complete_heads_are_origin_form_and_parse_the_same_alone() {
    replay("request_head", fuzz_props::request_head);
}

#[test]
fn chunked_framing_is_judged_the_same_whole_or_in_pieces() {
    replay("chunked", fuzz_props::chunked);
}

#[test]
fn proxied_heads_parse_again_without_hop_by_hop_fields() {
    replay("proxy_heads", fuzz_props::proxy_heads);
}

/// Seccomp programs for any table, constants and policy: well formed, never a fault,
/// only allow/violation/kill, and the kill for a foreign ABI.
#[test]
fn seccomp_programs_are_well_formed_and_decide_as_the_rules_say() {
    replay("seccomp_filter", fuzz_props::seccomp_filter);
}

/// With no log fds, write and writev may reach no descriptor: a condition that
/// lists no values holds for none.
#[test]
fn writes_with_no_log_fds_are_violations() {
    use warden::seccomp::arch::{AUDIT_ARCH_AARCH64, Arch, Consts};
    use warden::seccomp::bpf::{self, Data};
    use warden::seccomp::policy::{self, Policy};
    const KILL_PROCESS: u32 = 0x8000_0000; // SECCOMP_RET_KILL_PROCESS
    let arch = Arch {
        name: "aarch64",
        audit: AUDIT_ARCH_AARCH64,
        foreign_bit: 0,
        big_endian: false,
        numbers: vec![("write", 64), ("writev", 66)],
        consts: Consts::default(),
    };
    let p = Policy {
        proxy: false,
        log_fds: heapless::Vec::new(),
        pid: 1,
        violation: KILL_PROCESS,
        kill: KILL_PROCESS,
    };
    let prog = policy::build(&arch, &p);
    for nr in [64, 66] {
        let d = Data {
            nr,
            arch: AUDIT_ARCH_AARCH64,
            ip: 0,
            args: [5, 0, 0, 0, 0, 0],
        };
        let v = bpf::run(&prog.insns, &d.to_bytes(false), false);
        assert_eq!(v, Ok(KILL_PROCESS), "nr {nr} on fd 5");
    }
}

#[test]
fn single_ranges_lie_within_the_representation() {
    replay("range", fuzz_props::range);
}

#[test]
fn http_dates_round_trip_through_imf_fixdate() {
    replay("http_date", fuzz_props::http_date);
}

#[test]
fn clean_paths_have_no_dot_empty_nul_or_backslash_segments() {
    replay("path_clean", fuzz_props::path_clean);
}

#[test]
fn accepts_gzip_does_not_depend_on_how_items_are_split_over_lines() {
    replay("accept_encoding", fuzz_props::accept_encoding);
}

/// Each input is one connection: pieces, clock jumps, a stalled reader,
/// shutdown; responses well framed with the right bodies, every complete head
/// answered, the large head buffers all given back.
#[test]
fn connections_answer_well_framed_and_return_their_buffers() {
    replay("conn_e2e", fuzz_props::conn_e2e);
}

/// Each input is one TLS connection (raw bytes, or a real handshake by a rustls
/// client and then fuzzed records: data, alerts, KeyUpdate, close_notify, broken
/// MACs): no panic, well-framed records back, plaintext a prefix of what was sent,
/// bounded memory, the TLS buffer given back.
#[cfg(feature = "tls")]
#[test]
fn tls_connections_survive_any_records_and_return_their_buffer() {
    replay("tls_records", fuzz_props::tls_records::tls_records);
}

/// Authorization values: accepted Basic credentials have no colon in the user,
/// no control byte, and parse the same once re-encoded as a browser would.
#[test]
fn basic_credentials_have_no_colon_in_the_user_and_survive_reencoding() {
    replay("auth_header", fuzz_props::auth_header);
}

/// Credentials files: one that loads names each user once, 1 to 32 of them,
/// each a non-empty visible name.
#[test]
fn loaded_credentials_files_name_each_user_once() {
    replay("credentials_file", fuzz_props::credentials_file);
}
