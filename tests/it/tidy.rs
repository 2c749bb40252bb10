//! Tidiness of the source tree, as tests: every module says what it is for, and no test is
//! skipped or expected to panic.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        rust_files(Path::new(dir), &mut files);
    }
    files.push(PathBuf::from("build.rs"));
    files.sort();
    files
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    for file in files() {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} must open with a `//!` line",
            file.display()
        );
    }
}

#[test]
fn no_skipped_or_panicking_tests() {
    let banned = [concat!("#[should", "_panic"), concat!("#[ig", "nore")];
    for file in files() {
        let text = fs::read_to_string(&file).unwrap();
        for pattern in banned {
            assert!(
                !text.contains(pattern),
                "{} contains {pattern}",
                file.display()
            );
        }
    }
}
