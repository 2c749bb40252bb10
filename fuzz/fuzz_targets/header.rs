#![no_main]
//! Fuzz target `header`: see `p3plint::fuzzing::header`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| p3plint::fuzzing::header(data));
