//! Fuzz target `proxy_heads`: see `warden_fuzz::proxy_heads` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::proxy_heads(data));
