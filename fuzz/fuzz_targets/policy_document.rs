#![no_main]
//! Fuzz target `policy_document`: see `p3plint::fuzzing::policy_document`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| p3plint::fuzzing::policy_document(data));
