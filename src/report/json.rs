//! JSON output: an array of diagnostics with the public field set documented in the README.
//! Fields may be added, never removed or renamed.

use crate::Report;
use crate::diagnostic::{Diagnostic, Label};
use crate::source::{FileId, SourceDb, Span};
use serde_json::{Value, json};

pub fn render(report: &Report) -> String {
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic_json(&report.db, diagnostic))
        .collect();
    let mut text = serde_json::to_string_pretty(&diagnostics).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

fn position_json(db: &SourceDb, label_file: FileId, span: &Span) -> (Value, Value) {
    let file = db.get(label_file);
    let start = file.position(span.start);
    let end = file.position(span.end);
    (
        json!({ "line": start.line, "column": start.column }),
        json!({ "line": end.line, "column": end.column }),
    )
}

/// `path`, `start`, `end` and `byte_range` of a span, plus `extra_key: extra`.
fn located(db: &SourceDb, file: FileId, span: &Span, extra_key: &str, extra: &str) -> Value {
    let (start, end) = position_json(db, file, span);
    let mut value = json!({
        "path": db.get(file).name,
        "start": start,
        "end": end,
        "byte_range": [span.start, span.end],
    });
    value[extra_key] = json!(extra);
    value
}

fn label_json(db: &SourceDb, label: &Label) -> Value {
    located(db, label.file, &label.span, "message", &label.message)
}

pub fn diagnostic_json(db: &SourceDb, diagnostic: &Diagnostic) -> Value {
    let (start, end) = position_json(db, diagnostic.primary.file, &diagnostic.primary.span);
    let fix = diagnostic.fix.as_ref().map(|fix| {
        let edits: Vec<Value> = fix
            .edits
            .iter()
            .map(|edit| located(db, edit.file, &edit.span, "content", &edit.content))
            .collect();
        json!({
            "message": fix.message,
            "applicability": fix.applicability.as_str(),
            "edits": edits,
        })
    });
    json!({
        "code": diagnostic.rule.code,
        "name": diagnostic.rule.name,
        "severity": diagnostic.severity.as_str(),
        "message": diagnostic.message,
        "path": db.get(diagnostic.primary.file).name,
        "start": start,
        "end": end,
        "byte_range": [diagnostic.primary.span.start, diagnostic.primary.span.end],
        "label": diagnostic.primary.message,
        "related": diagnostic.related.iter().map(|label| label_json(db, label)).collect::<Vec<_>>(),
        "notes": diagnostic.notes,
        "help": diagnostic.help,
        "fix": fix,
        "in_tests": db.get(diagnostic.primary.file).in_tests,
    })
}
