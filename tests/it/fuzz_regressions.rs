//! Replays `fuzz/regressions/<target>/*` through the fuzz targets' entry points on every test
//! run, so each input that once crashed, hung or overflowed a parser stays fixed without a
//! nightly toolchain. Fuzzing itself runs with `cargo fuzz` (see `fuzz/README.md`).

use p3plint::fuzzing::TARGETS;
use std::path::Path;

#[test]
fn every_regression_input_returns() {
    let root = Path::new("fuzz/regressions");
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let dir = root.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.expect("entry").path())
            .collect();
        inputs.sort();
        assert!(
            !inputs.is_empty(),
            "{}: no regression inputs",
            dir.display()
        );
        for input in inputs {
            let data = std::fs::read(&input).expect("read");
            // On this test thread's small default stack: the harshest place to run them.
            target(&data);
            replayed += 1;
        }
    }
    assert!(replayed >= TARGETS.len());
}

#[test]
fn every_target_has_a_fuzz_binary() {
    for (name, _) in TARGETS {
        let source = Path::new("fuzz/fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&source)
            .unwrap_or_else(|err| panic!("{}: {err}", source.display()));
        assert!(
            text.contains(&format!("p3plint::fuzzing::{name}(")),
            "{}",
            source.display()
        );
    }
}
