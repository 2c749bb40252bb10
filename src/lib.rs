//! p3plint keeps the P3P compact policies a code base emits honest: valid, consistent with
//! themselves, and (with a declaration) with what the site declares.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! discover (Input) -> extract (Emission) -> parse (CompactPolicy) -> check (Diagnostic) -> report
//! ```
//!
//! Files are read once each, skipped early when their bytes cannot hold a P3P header, and checked
//! in parallel; the report is sorted, so output does not depend on thread count.

pub mod check;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod explain;
pub mod extract;
pub mod ie6;
pub mod parse;
pub mod report;
pub mod rules;
pub mod source;
pub mod suggest;
pub mod vocabulary;

use crate::check::RuleSettings;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::discover::{Input, InputStatus, MissingPath};
use crate::extract::FileKind;
use crate::source::{FileId, SourceDb, SourceFile};
use rayon::prelude::*;
use std::path::PathBuf;

/// The outcome of a run: every file a diagnostic points into, and the sorted diagnostics.
#[derive(Debug, Default)]
pub struct Report {
    pub db: SourceDb,
    pub diagnostics: Vec<Diagnostic>,
    pub files_checked: usize,
}

/// Checks every file under `paths`.
pub fn lint(paths: &[PathBuf], config: &Config) -> Result<Report, MissingPath> {
    let inputs = discover::discover(paths, config)?;
    let outcomes: Vec<(Option<String>, Vec<Diagnostic>)> = inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| lint_input(FileId(index), input, &config.rules))
        .collect();
    let mut report = Report {
        files_checked: inputs.len(),
        ..Report::default()
    };
    for (input, (text, diagnostics)) in inputs.iter().zip(outcomes) {
        // Only files with findings keep their text; ids stay equal to input indices.
        let text = if diagnostics.is_empty() { None } else { text };
        let name = input.path.display().to_string();
        report
            .db
            .add(SourceFile::new(name, text.unwrap_or_default()));
        report.diagnostics.extend(diagnostics);
    }
    report
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(report)
}

/// Checks one text that is not on disk (an editor buffer, a rule's example, a test).
pub fn lint_source(name: &str, text: &str, kind: FileKind, rules: &RuleSettings) -> Report {
    let mut db = SourceDb::default();
    let file = db.add(SourceFile::new(name, text));
    let mut diagnostics = check_text(file, text, kind, rules);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Report {
        db,
        diagnostics,
        files_checked: 1,
    }
}

/// A policy given on the command line (a header value, `CP="..."` or bare tokens), parsed and
/// checked with the default rules. `None` when it holds no compact policy.
pub fn parse_argument(input: &str) -> (Report, Option<parse::CompactPolicy>) {
    let mut db = SourceDb::default();
    let file = db.add(SourceFile::new("<policy>", input));
    let text = extract::MappedText::verbatim(input, 0..input.len());
    let rules = RuleSettings::default();
    let (policy, mut diagnostics) = parse::header::parse(file, &text, extract::Context::Tokens);
    if let Some(policy) = &policy {
        diagnostics.extend(check::compact::check(file, policy, &rules));
    }
    let mut diagnostics = rules.resolve(diagnostics);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let report = Report {
        db,
        diagnostics,
        files_checked: 1,
    };
    (report, policy)
}

/// Reads, prefilters, decodes and checks one input. Returns the text (when it was decoded).
fn lint_input(
    file: FileId,
    input: &Input,
    rules: &RuleSettings,
) -> (Option<String>, Vec<Diagnostic>) {
    let kind = match &input.status {
        InputStatus::Read(kind) => *kind,
        InputStatus::TooLarge { size, limit } => {
            let message = format!("skipped: {size} bytes, over the {limit}-byte limit");
            let diagnostic = Diagnostic::new("file-too-large", file, 0..0, message)
                .with_help("raise `[paths] max-file-size` in lint.toml to check it");
            return (None, rules.resolve(vec![diagnostic]));
        }
        InputStatus::Unreadable(reason) => {
            let diagnostic = Diagnostic::new("unreadable-input", file, 0..0, reason.clone());
            return (None, rules.resolve(vec![diagnostic]));
        }
    };
    let bytes = match std::fs::read(&input.path) {
        Ok(bytes) => bytes,
        Err(err) => {
            let diagnostic = Diagnostic::new("unreadable-input", file, 0..0, err.to_string());
            return (None, rules.resolve(vec![diagnostic]));
        }
    };
    if !extract::may_emit(&bytes) {
        return (None, Vec::new());
    }
    match source::decode(bytes) {
        Ok(text) => {
            let diagnostics = check_text(file, &text, kind, rules);
            (Some(text), diagnostics)
        }
        Err(offset) => {
            let diagnostic = Diagnostic::new(
                "non-utf8-input",
                file,
                0..0,
                format!("skipped: not UTF-8 (first invalid byte at offset {offset})"),
            )
            .with_help("convert the file to UTF-8 to have it checked");
            (None, rules.resolve(vec![diagnostic]))
        }
    }
}

/// proc-macro2's lexer error says nothing about the cause; name the usual ones.
fn describe_syn_error(message: &str) -> &str {
    if message == "cannot parse string into token stream" {
        "unbalanced brackets or an unterminated string or comment"
    } else {
        message
    }
}

/// Extract, parse and check one decoded file.
fn check_text(file: FileId, text: &str, kind: FileKind, rules: &RuleSettings) -> Vec<Diagnostic> {
    let (emissions, parse_failure) = extract::extract(kind, text);
    let mut diagnostics = Vec::new();
    if let Some(failure) = parse_failure {
        diagnostics.push(
            Diagnostic::new(
                "unparsable-rust",
                file,
                failure.span,
                format!(
                    "syn cannot parse this file: {}",
                    describe_syn_error(&failure.message)
                ),
            )
            .with_label("parsing stopped here")
            .with_note("its `CP=` values were checked line by line instead"),
        );
    }
    for emission in &emissions {
        let (policy, found) = parse::header::parse(file, &emission.text, emission.context);
        diagnostics.extend(found);
        if let Some(policy) = policy {
            diagnostics.extend(check::compact::check(file, &policy, rules));
        }
    }
    rules.resolve(diagnostics)
}
