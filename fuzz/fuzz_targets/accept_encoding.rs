//! Fuzz target `accept_encoding`: see `warden_fuzz::accept_encoding` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::accept_encoding(data));
