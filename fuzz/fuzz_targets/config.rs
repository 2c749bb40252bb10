#![no_main]
//! Fuzz target `config`: see `p3plint::fuzzing::config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| p3plint::fuzzing::config(data));
