//! Entry points for the fuzz targets in `fuzz/` and for the test that replays their regression
//! corpus: one function per parser, each taking arbitrary bytes and running the whole stage on
//! them, as a checked file or a typed argument would.
//!
//! Each must return for any input; a panic, a hang or a stack overflow here is a bug.

use crate::config::RuleSettings;
use crate::extract::FileKind;
use crate::source::FileId;
use std::path::PathBuf;

/// A target's entry point.
pub type Target = fn(&[u8]);

/// The targets, by name: `fuzz/fuzz_targets/<name>.rs` and `fuzz/regressions/<name>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("header", header),
    ("rust", rust),
    ("text", text),
    ("policy_xml", policy_xml),
    ("policy_toml", policy_toml),
    ("policy_document", policy_document),
    ("config", config),
];

fn as_text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A command-line policy: the header and compact-policy parsers and the checks of one policy.
pub fn header(data: &[u8]) {
    let (report, policy) = crate::parse_argument(&as_text(data));
    let _ = crate::report::render(&report, crate::report::Format::Full, false);
    let _ = crate::ie6::evaluate(policy.as_ref());
}

/// A Rust source file, through syn (or the line scanner when syn refuses it) and every check.
pub fn rust(data: &[u8]) {
    let report = crate::lint_source("fuzz.rs", &as_text(data), FileKind::Rust, &all_rules());
    let _ = crate::report::render(&report, crate::report::Format::Json, false);
}

/// Any other text file (HTML, configs, scripts), through the line scanner and every check.
pub fn text(data: &[u8]) {
    let report = crate::lint_source("fuzz.html", &as_text(data), FileKind::Text, &all_rules());
    let _ = crate::report::render(&report, crate::report::Format::Full, false);
}

/// A P3P XML policy or policy reference file, then derive and describe.
pub fn policy_xml(data: &[u8]) {
    let parsed = crate::declaration::xml_reader::parse(FileId(0), &as_text(data));
    derive_and_describe(&parsed.policies);
}

/// A TOML declaration, then derive and describe.
pub fn policy_toml(data: &[u8]) {
    let parsed = crate::declaration::toml_reader::parse(FileId(0), &as_text(data));
    derive_and_describe(&parsed.policies);
}

/// A published privacy policy document (HTML, Markdown, text), its own rules, then derive and
/// describe.
pub fn policy_document(data: &[u8]) {
    let text = as_text(data);
    let read = crate::declaration::document::read(FileId(0), &text);
    let _ = crate::declaration::document::check_file(FileId(0), &text);
    derive_and_describe(&read.policy.into_iter().collect::<Vec<_>>());
}

fn derive_and_describe(policies: &[crate::declaration::Policy]) {
    let derived: Vec<_> = policies
        .iter()
        .map(crate::declaration::derive::derive)
        .collect();
    let _ = crate::describe::describe(policies, &derived);
}

/// A lint.toml.
pub fn config(data: &[u8]) {
    let _ = crate::config::Config::parse("lint.toml", &as_text(data), PathBuf::new(), None);
}

/// Every rule on, so every check sees the input.
fn all_rules() -> RuleSettings {
    let mut rules = RuleSettings::default();
    rules.select(&crate::rules::registry().rules().iter().collect::<Vec<_>>());
    rules
}
