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

/// Every file p3plint reads goes through `files::read` (regular files only, never blocking,
/// bounded by bytes read): no other read call in the library, outside its unit tests.
#[test]
fn files_are_read_only_through_files_read() {
    let banned = [
        concat!("fs::read", "("),
        concat!("fs::read_to", "_string("),
        concat!("File::op", "en("),
    ];
    let mut library = Vec::new();
    rust_files(Path::new("src"), &mut library);
    for file in library {
        if file.ends_with("files.rs") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for pattern in banned {
            let allowed = file.ends_with("fix.rs") && pattern.starts_with("File");
            assert!(
                allowed || !code.contains(pattern),
                "{} reads with {pattern}; use files::read",
                file.display()
            );
        }
    }
}

/// Rule identity is a type (`RuleId`, generated from `rules/`): no rule name is spelled as a
/// string in the library, outside unit tests, so a typo cannot compile.
#[test]
fn rule_names_are_never_string_literals_in_the_library() {
    let mut library = Vec::new();
    rust_files(Path::new("src"), &mut library);
    for file in library {
        let text = fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for id in p3plint::rules::RuleId::ALL {
            let literal = format!("\"{}\"", id.name());
            assert!(
                !code.contains(&literal),
                "{} spells {literal}; use RuleId::{id:?}",
                file.display()
            );
        }
    }
    for id in p3plint::rules::RuleId::ALL {
        let rule = p3plint::rules::registry().rule(*id);
        assert_eq!((rule.id, rule.name.as_str()), (*id, id.name()));
    }
}

/// The top-level modules (each file or folder directly under `src/`, and the crate root for the
/// items `lib.rs` defines) import each other without a cycle, so each can be read and changed
/// knowing only what it imports.
#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    use std::collections::{BTreeMap, BTreeSet};
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let module_of = |path: &Path| -> String {
        let relative = path.strip_prefix("src").unwrap();
        let first = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| !f.ends_with("main.rs")) {
        let from = module_of(file);
        let text = fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // An item `lib.rs` defines itself (`crate::lint`) belongs to the crate root.
            let to = if modules.contains(&name) {
                name
            } else {
                "lib".to_string()
            };
            if to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if !done.insert(node.to_string()) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for module in edges.keys() {
        let cycle = visit(module, &edges, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap_or_default().join(" -> ")
        );
    }
}
