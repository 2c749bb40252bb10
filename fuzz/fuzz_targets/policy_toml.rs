#![no_main]
//! Fuzz target `policy_toml`: see `p3plint::fuzzing::policy_toml`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| p3plint::fuzzing::policy_toml(data));
