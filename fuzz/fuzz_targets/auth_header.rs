//! Fuzz target `auth_header`: see `warden_fuzz::auth_header` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::auth_header(data));
