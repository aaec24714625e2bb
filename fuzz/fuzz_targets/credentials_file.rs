//! Fuzz target `credentials_file`: see `warden_fuzz::credentials_file` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::credentials_file(data));
