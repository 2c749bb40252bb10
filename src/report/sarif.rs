//! SARIF 2.1.0 output for code-scanning services: one run, the rule catalogue as the tool's
//! rules, results with physical locations and related locations.

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::report::Report;
use crate::rules::registry;
use crate::source::SourceDb;
use serde_json::{Value, json};

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = registry()
        .rules()
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": rule.docs.what.trim() },
                "help": { "text": rule.docs.why.trim() },
                "defaultConfiguration": { "level": level(rule.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|diagnostic| result(&report.db, diagnostic))
        .collect();
    let sarif = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": { "driver": {
                "name": "p3plint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://www.w3.org/TR/P3P/",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn location(db: &SourceDb, label: &Label) -> Value {
    let file = db.get(label.file);
    let start = file.position(label.span.start);
    let end = file.position(label.span.end);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": file.name.replace('\\', "/") },
            "region": {
                "startLine": start.line,
                "startColumn": start.column,
                "endLine": end.line,
                "endColumn": end.column,
                "byteOffset": label.span.start,
                "byteLength": label.span.len(),
            },
        },
        "message": { "text": label.message },
    })
}

fn result(db: &SourceDb, diagnostic: &Diagnostic) -> Value {
    let rule_index = registry()
        .rules()
        .iter()
        .position(|rule| rule.code == diagnostic.rule.code);
    json!({
        "ruleId": diagnostic.rule.code,
        "ruleIndex": rule_index,
        "level": level(diagnostic.severity),
        "message": { "text": diagnostic.message },
        "locations": [location(db, &diagnostic.primary)],
        "relatedLocations": diagnostic.related.iter().enumerate().map(|(id, label)| {
            let mut related = location(db, label);
            related["id"] = json!(id);
            related
        }).collect::<Vec<_>>(),
    })
}
