//! Stage 5, report: turn diagnostics into text for people or machines, and into an exit status.
//!
//! This is the only stage that knows codespan, JSON, SARIF or GitHub syntax; it knows nothing
//! about P3P.

mod github;
mod human;
mod json;
mod printable;
mod sarif;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceDb;

/// The outcome of a run: every file a diagnostic points into, and the sorted diagnostics.
#[derive(Debug, Default)]
pub struct Report {
    pub db: SourceDb,
    pub diagnostics: Vec<Diagnostic>,
    pub files_checked: usize,
}

/// How diagnostics are printed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with labels, as rustc prints them.
    #[default]
    Full,
    /// One line per finding: `path:line:col: severity[name] message`.
    Concise,
    /// A JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// GitHub Actions workflow commands (annotations on pull requests).
    Github,
}

/// Renders the report's diagnostics.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Full => human::full(report, color),
        Format::Concise => human::concise(report),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
    }
}

/// Why a run stopped before checking anything, for the machine formats, which must still say
/// so on their own channel (a SARIF upload or a JSON parser sees nothing on stderr).
pub enum Unfinished<'a> {
    /// lint.toml, or the declaration it names, has errors; the findings say where.
    Configuration(&'a Report),
    /// The run failed for a reason with no place in a file (a missing path).
    Failed(&'a str),
}

/// The machine format's account of an unfinished run, or `None` for the human formats, whose
/// readers see stderr. JSON prints the configuration's findings as any others; GitHub prints
/// them as annotations, and a failure as one error.
pub fn render_unfinished(unfinished: &Unfinished, format: Format) -> Option<String> {
    match (format, unfinished) {
        (Format::Full | Format::Concise, _) => None,
        (Format::Sarif, unfinished) => Some(sarif::render_unfinished(unfinished)),
        (Format::Json, Unfinished::Configuration(report)) => Some(json::render(report)),
        (Format::Json, Unfinished::Failed(_)) => None,
        (Format::Github, Unfinished::Configuration(report)) => Some(github::render(report)),
        (Format::Github, Unfinished::Failed(message)) => Some(github::failure(message)),
    }
}

/// The closing line of human output: what was found, in how many files.
pub fn summary(report: &Report) -> String {
    let count = |severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let checked = plural(report.files_checked, "file");
    if errors + warnings + infos == 0 {
        return format!("All checks passed ({checked} checked).");
    }
    let mut parts = vec![plural(errors, "error"), plural(warnings, "warning")];
    if infos > 0 {
        // "info", as severities are named everywhere else; it has no plural.
        parts.push(format!("{infos} info"));
    }
    let in_tests = |severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity && report.db.get(d.primary.file).in_tests)
            .count()
    };
    let (test_errors, test_warnings) = (in_tests(Severity::Error), in_tests(Severity::Warning));
    let tests = if test_errors + test_warnings > 0 {
        format!(
            "; in test files ([paths] tests): {}, {}",
            plural(test_errors, "error"),
            plural(test_warnings, "warning")
        )
    } else {
        String::new()
    };
    format!("Found {} ({checked} checked){tests}.", parts.join(", "))
}

/// `--statistics`: one line per rule that fired, most findings first, as ruff prints them.
pub fn statistics(report: &Report) -> String {
    let mut counts: Vec<(usize, &str, &str)> = Vec::new();
    for diagnostic in &report.diagnostics {
        let (code, name) = (diagnostic.rule.code.as_str(), diagnostic.rule.name.as_str());
        match counts.iter_mut().find(|(_, known, _)| *known == code) {
            Some((count, _, _)) => *count += 1,
            None => counts.push((1, code, name)),
        }
    }
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    counts
        .iter()
        .map(|(count, code, name)| format!("{count:>5}\t{code}\t{name}\n"))
        .collect()
}

/// 1 when any finding is an error, else 0 (2 is decided where the run could not go on).
pub fn exit_code(report: &Report) -> u8 {
    u8::from(
        report
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error),
    )
}

pub use human::render_diagnostics_plain;
pub use json::JsonDiagnostic;

/// The report's findings as the typed values `--output-format json` prints.
pub fn json_diagnostics(report: &Report) -> Vec<JsonDiagnostic<'_>> {
    json::diagnostics(report)
}
pub use printable::printable;
pub use sarif::encode as encode_uri_path;
