//! Human output: rustc-style snippets through codespan-reporting, and the one-line form.

use super::printable::{printable, printable_db, printable_diagnostic};
use crate::diagnostic::{Diagnostic, Severity};
use crate::report::Report;
use crate::source::SourceDb;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::term::{self, termcolor::Buffer};

pub fn full(report: &Report, color: bool) -> String {
    render_diagnostics(&report.db, &report.diagnostics, color)
}

/// Renders diagnostics without colour (golden files, tests).
pub fn render_diagnostics_plain(db: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    render_diagnostics(db, diagnostics, false)
}

fn render_diagnostics(db: &SourceDb, diagnostics: &[Diagnostic], color: bool) -> String {
    let db = &*printable_db(db);
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = term::Config::default();
    for diagnostic in diagnostics {
        // A file missing from the database is a bug in the pipeline; render what we can.
        let rendered = to_codespan(db, &printable_diagnostic(diagnostic));
        let _ = term::emit_to_write_style(&mut buffer, &config, db, &rendered);
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Source lines longer than this are not shown (minified or generated files): the finding gets
/// its position in a note instead of a multi-megabyte snippet.
const MAX_SHOWN_LINE: usize = 400;

fn line_too_long(db: &SourceDb, label: &crate::diagnostic::Label) -> bool {
    let file = db.get(label.file);
    let line = file.line_index(label.span.start);
    file.line_range(line)
        .is_some_and(|range| range.len() > MAX_SHOWN_LINE)
}

fn to_codespan(db: &SourceDb, diagnostic: &Diagnostic) -> CsDiagnostic<crate::source::FileId> {
    let severity = match diagnostic.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    };
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    let all = std::iter::once(&diagnostic.primary).chain(&diagnostic.related);
    for (index, label) in all.enumerate() {
        if line_too_long(db, label) {
            let file = db.get(label.file);
            let at = file.position(label.span.start);
            notes.push(format!(
                "{} {}:{}:{} (line too long to show){}",
                if index == 0 { "-->" } else { "also" },
                file.name,
                at.line,
                at.column,
                if label.message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", label.message)
                }
            ));
        } else if index == 0 {
            labels
                .push(Label::primary(label.file, label.span.clone()).with_message(&label.message));
        } else {
            labels.push(
                Label::secondary(label.file, label.span.clone()).with_message(&label.message),
            );
        }
    }
    notes.extend(diagnostic.notes.iter().map(|note| format!("note: {note}")));
    match (&diagnostic.help, &diagnostic.fix) {
        (Some(help), _) => notes.push(format!("help: {help}")),
        (None, Some(fix)) => notes.push(format!("help: {}", fix.message)),
        (None, None) => {}
    }
    CsDiagnostic::new(severity)
        .with_code(format!("{}/{}", diagnostic.rule.code, diagnostic.rule.name))
        .with_message(format!(
            "{}{}",
            fixable_marker(diagnostic),
            diagnostic.message
        ))
        .with_labels(labels)
        .with_notes(notes)
}

/// `[*] ` before the message of a finding `--fix` fixes, as ruff marks them; unsafe fixes,
/// which need `--unsafe-fixes` too, are counted in the closing lines instead.
fn fixable_marker(diagnostic: &Diagnostic) -> &'static str {
    let safe = diagnostic
        .fix
        .as_ref()
        .is_some_and(|fix| fix.applicability == crate::diagnostic::Applicability::Safe);
    if safe { "[*] " } else { "" }
}

/// `path:line:col: severity[name] [*] message`, one line per finding.
pub fn concise(report: &Report) -> String {
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        let file = report.db.get(diagnostic.primary.file);
        let position = file.position(diagnostic.primary.span.start);
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}{}\n",
            printable(&file.name),
            position.line,
            position.column,
            diagnostic.severity.as_str(),
            diagnostic.rule.name,
            fixable_marker(diagnostic),
            printable(&diagnostic.message)
        ));
    }
    out
}
