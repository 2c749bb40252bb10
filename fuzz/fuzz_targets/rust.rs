#![no_main]
//! Fuzz target `rust`: see `p3plint::fuzzing::rust`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| p3plint::fuzzing::rust(data));
