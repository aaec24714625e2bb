//! Fuzz target `range`: see `warden_fuzz::range` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::range(data));
