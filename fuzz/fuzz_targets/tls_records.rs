//! Fuzz target `tls_records`: see `warden_fuzz::tls_records` for the property.
#![no_main]

/// Counts the bytes live, for the property's memory bound.
#[global_allocator]
static ALLOC: warden_fuzz::tls_records::CountingAlloc = warden_fuzz::tls_records::CountingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::tls_records::tls_records(data));
