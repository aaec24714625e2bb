//! Fuzz target `chunked`: see `warden_fuzz::chunked` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::chunked(data));
