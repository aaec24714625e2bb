//! Fuzz target `conn_e2e`: see `warden_fuzz::conn_e2e` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::conn_e2e(data));
