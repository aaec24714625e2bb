//! Fuzz target `request_head`: see `warden_fuzz::request_head` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::request_head(data));
