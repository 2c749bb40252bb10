#![no_main]
//! Fuzz target `policy_xml`: see `p3plint::fuzzing::policy_xml`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| p3plint::fuzzing::policy_xml(data));
