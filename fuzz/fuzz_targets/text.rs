#![no_main]
//! Fuzz target `text`: see `p3plint::fuzzing::text`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| p3plint::fuzzing::text(data));
