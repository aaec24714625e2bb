//! Fuzz target `seccomp_filter`: see `warden_fuzz::seccomp_filter` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::seccomp_filter(data));
