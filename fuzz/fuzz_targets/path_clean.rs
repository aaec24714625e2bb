//! Fuzz target `path_clean`: see `warden_fuzz::path_clean` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::path_clean(data));
