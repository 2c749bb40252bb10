//! Human output: rustc-style snippets through codespan-reporting, and the one-line form.

use crate::Report;
use crate::diagnostic::{Diagnostic, Severity};
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
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = term::Config::default();
    for diagnostic in diagnostics {
        // A file missing from the database is a bug in the pipeline; render what we can.
        let _ = term::emit_to_write_style(&mut buffer, &config, db, &to_codespan(diagnostic));
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

fn to_codespan(diagnostic: &Diagnostic) -> CsDiagnostic<crate::source::FileId> {
    let severity = match diagnostic.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    };
    let mut labels = vec![
        Label::primary(diagnostic.primary.file, diagnostic.primary.span.clone())
            .with_message(&diagnostic.primary.message),
    ];
    labels.extend(diagnostic.related.iter().map(|label| {
        Label::secondary(label.file, label.span.clone()).with_message(&label.message)
    }));
    let mut notes: Vec<String> = diagnostic
        .notes
        .iter()
        .map(|note| format!("note: {note}"))
        .collect();
    match (&diagnostic.help, &diagnostic.fix) {
        (Some(help), _) => notes.push(format!("help: {help}")),
        (None, Some(fix)) => notes.push(format!("help: {}", fix.message)),
        (None, None) => {}
    }
    CsDiagnostic::new(severity)
        .with_code(format!("{}/{}", diagnostic.rule.code, diagnostic.rule.name))
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// `path:line:col: severity[name] message`, one line per finding.
pub fn concise(report: &Report) -> String {
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        let file = report.db.get(diagnostic.primary.file);
        let position = file.position(diagnostic.primary.span.start);
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n",
            file.name,
            position.line,
            position.column,
            diagnostic.severity.as_str(),
            diagnostic.rule.name,
            diagnostic.message
        ));
    }
    out
}
