//! Embeds every rule file of `rules/` into the binary, so the binary never reads `rules/` at run
//! time and adding a rule needs no list to be edited by hand.

use std::{env, fs, path::Path};

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let rules_dir = Path::new(&manifest_dir).join("rules");
    println!("cargo:rerun-if-changed={}", rules_dir.display());

    let mut names: Vec<String> = fs::read_dir(&rules_dir)
        .expect("rules/ exists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| is_rule_file(name))
        .collect();
    names.sort();

    let mut code =
        String::from("/// Every `rules/<CODE>-<name>.toml`, as (file name, contents).\n");
    code.push_str("pub static RULE_FILES: &[(&str, &str)] = &[\n");
    for name in &names {
        println!("cargo:rerun-if-changed={}", rules_dir.join(name).display());
        code.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{name}\"))),\n"
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("rule_files.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}

/// A rule file is named `<CODE>-<name>.toml` with an upper-case letter code and three digits, the
/// other files of `rules/` (vocabulary, tables, README) are data the code includes by name.
fn is_rule_file(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".toml") else {
        return false;
    };
    let Some((code, _)) = stem.split_once('-') else {
        return false;
    };
    let letters = code.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &code[letters.len()..];
    !letters.is_empty() && letters.chars().all(|c| c.is_ascii_uppercase()) && digits.len() == 3
}
