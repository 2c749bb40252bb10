//! JSON output: an array of diagnostics with the public field set documented in the README.
//! Fields may be added, never removed or renamed; they serialise in alphabetical order.

use crate::diagnostic::{Diagnostic, Label};
use crate::report::Report;
use crate::source::{FileId, SourceDb, Span};
use serde::Serialize;

/// One finding, as `--output-format json` and `explain --output-format json` print it.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub byte_range: [usize; 2],
    pub code: &'a str,
    pub end: JsonPosition,
    pub fix: Option<JsonFix<'a>>,
    pub help: Option<&'a str>,
    pub in_tests: bool,
    pub label: &'a str,
    pub message: &'a str,
    pub name: &'a str,
    pub notes: &'a [String],
    pub path: &'a str,
    pub related: Vec<JsonLocated<'a>>,
    pub severity: &'static str,
    pub start: JsonPosition,
}

/// A one-based line and a one-based column counted in characters.
#[derive(Debug, Serialize)]
pub struct JsonPosition {
    pub column: usize,
    pub line: usize,
}

/// A related label (`message`) or a fix's edit (`content`), with where it is.
#[derive(Debug, Serialize)]
pub struct JsonLocated<'a> {
    pub byte_range: [usize; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    pub end: JsonPosition,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
    pub path: &'a str,
    pub start: JsonPosition,
}

#[derive(Debug, Serialize)]
pub struct JsonFix<'a> {
    pub applicability: &'static str,
    pub edits: Vec<JsonLocated<'a>>,
    pub message: &'a str,
}

pub fn render(report: &Report) -> String {
    let diagnostics = diagnostics(report);
    let mut text = serde_json::to_string_pretty(&diagnostics).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// The report's findings as typed JSON values.
pub fn diagnostics(report: &Report) -> Vec<JsonDiagnostic<'_>> {
    report
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic_json(&report.db, diagnostic))
        .collect()
}

fn positions(db: &SourceDb, file: FileId, span: &Span) -> (JsonPosition, JsonPosition) {
    let file = db.get(file);
    let (start, end) = (file.position(span.start), file.position(span.end));
    (
        JsonPosition {
            line: start.line,
            column: start.column,
        },
        JsonPosition {
            line: end.line,
            column: end.column,
        },
    )
}

fn located<'a>(
    db: &'a SourceDb,
    file: FileId,
    span: &Span,
    message: Option<&'a str>,
    content: Option<&'a str>,
) -> JsonLocated<'a> {
    let (start, end) = positions(db, file, span);
    JsonLocated {
        byte_range: [span.start, span.end],
        content,
        end,
        message,
        path: &db.get(file).name,
        start,
    }
}

fn label_json<'a>(db: &'a SourceDb, label: &'a Label) -> JsonLocated<'a> {
    located(db, label.file, &label.span, Some(&label.message), None)
}

pub fn diagnostic_json<'a>(db: &'a SourceDb, diagnostic: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let primary = &diagnostic.primary;
    let (start, end) = positions(db, primary.file, &primary.span);
    let fix = diagnostic.fix.as_ref().map(|fix| JsonFix {
        applicability: fix.applicability.as_str(),
        edits: fix
            .edits
            .iter()
            .map(|edit| located(db, edit.file, &edit.span, None, Some(&edit.content)))
            .collect(),
        message: &fix.message,
    });
    let file = db.get(primary.file);
    JsonDiagnostic {
        byte_range: [primary.span.start, primary.span.end],
        code: &diagnostic.rule.code,
        end,
        fix,
        help: diagnostic.help.as_deref(),
        in_tests: file.in_tests,
        label: &primary.message,
        message: &diagnostic.message,
        name: &diagnostic.rule.name,
        notes: &diagnostic.notes,
        path: &file.name,
        related: diagnostic
            .related
            .iter()
            .map(|label| label_json(db, label))
            .collect(),
        severity: diagnostic.severity.as_str(),
        start,
    }
}
