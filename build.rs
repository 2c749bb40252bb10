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
    code.push_str(&rule_ids(&names));
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out_dir).join("rule_files.rs"), code).expect("OUT_DIR is writable");
    fs::write(
        Path::new(&out_dir).join("document_languages.rs"),
        document_languages(&rules_dir.join("documents")),
    )
    .expect("OUT_DIR is writable");
}

/// Every `rules/documents/<language>.toml`: the phrase tables of the policy-document reader, so
/// a language is added by adding a file.
fn document_languages(dir: &Path) -> String {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("rules/documents/ exists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    let mut code = String::from(
        "/// Every `rules/documents/<language>.toml`, as (file name, contents).\n\
         pub static DOCUMENT_LANGUAGES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        println!("cargo:rerun-if-changed={}", dir.join(name).display());
        code.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/documents/{name}\"))),\n"
        ));
    }
    code.push_str("];\n");
    code
}

/// `RuleId`, one variant per rule file in code order, so a rule named in the code is checked by
/// the compiler: `RuleId::MalformedHeader`, never the string `"malformed-header"`.
fn rule_ids(file_names: &[String]) -> String {
    let rules: Vec<(&str, &str)> = file_names
        .iter()
        .filter_map(|file| file.strip_suffix(".toml")?.split_once('-'))
        .collect();
    let variant = |name: &str| -> String {
        name.split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    };
    let mut code = String::from(
        "/// Every rule, by identity: the variant's position is the rule's index in the registry.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]\n\
         pub enum RuleId {\n",
    );
    for (rule_code, name) in &rules {
        code.push_str(&format!(
            "    /// `{rule_code}` `{name}`\n    {},\n",
            variant(name)
        ));
    }
    code.push_str("}\n\nimpl RuleId {\n    /// Every rule, in code order.\n    pub const ALL: &'static [RuleId] = &[\n");
    for (_, name) in &rules {
        code.push_str(&format!("        RuleId::{},\n", variant(name)));
    }
    code.push_str("    ];\n\n    /// The rule's kebab-case name.\n    pub const fn name(self) -> &'static str {\n        match self {\n");
    for (_, name) in &rules {
        code.push_str(&format!(
            "            RuleId::{} => {name:?},\n",
            variant(name)
        ));
    }
    code.push_str("        }\n    }\n\n    /// The rule's code.\n    pub const fn code(self) -> &'static str {\n        match self {\n");
    for (rule_code, name) in &rules {
        code.push_str(&format!(
            "            RuleId::{} => {rule_code:?},\n",
            variant(name)
        ));
    }
    code.push_str("        }\n    }\n}\n");
    code
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
