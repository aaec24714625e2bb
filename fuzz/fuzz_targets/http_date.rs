//! Fuzz target `http_date`: see `warden_fuzz::http_date` for the property.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::http_date(data));
