//! SARIF 2.1.0 output for code-scanning services: one run, the rule catalogue as the tool's
//! rules, results with physical locations and related locations. Typed; fields serialise in
//! byte order of their names, as the output always had them.

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::report::Report;
use crate::rules::registry;
use crate::source::SourceDb;
use serde::Serialize;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    tool: Tool<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    information_uri: &'static str,
    name: &'static str,
    rules: Vec<RuleDescriptor<'a>>,
    version: &'static str,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDescriptor<'a> {
    default_configuration: Configuration,
    full_description: Text<'a>,
    help: Text<'a>,
    id: &'a str,
    name: &'a str,
    short_description: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<'a>,
    related_locations: Vec<Location<'a>>,
    rule_id: &'a str,
    rule_index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    message: Text<'a>,
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    byte_length: usize,
    byte_offset: usize,
    end_column: usize,
    end_line: usize,
    start_column: usize,
    start_line: usize,
}

pub fn render(report: &Report) -> String {
    let rules = registry()
        .rules()
        .iter()
        .map(|rule| RuleDescriptor {
            default_configuration: Configuration {
                level: level(rule.severity),
            },
            full_description: Text {
                text: rule.docs.what.trim(),
            },
            help: Text {
                text: rule.docs.why.trim(),
            },
            id: &rule.code,
            name: &rule.name,
            short_description: Text {
                text: &rule.summary,
            },
        })
        .collect();
    let results = report
        .diagnostics
        .iter()
        .map(|diagnostic| result(&report.db, diagnostic))
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            column_kind: "unicodeCodePoints",
            results,
            tool: Tool {
                driver: Driver {
                    information_uri: "https://www.w3.org/TR/P3P/",
                    name: "p3plint",
                    rules,
                    version: env!("CARGO_PKG_VERSION"),
                },
            },
        }],
        version: "2.1.0",
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
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

fn location<'a>(db: &SourceDb, label: &'a Label, id: Option<usize>) -> Location<'a> {
    let file = db.get(label.file);
    let start = file.position(label.span.start);
    let end = file.position(label.span.end);
    Location {
        id,
        message: Text {
            text: &label.message,
        },
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: file.name.replace('\\', "/"),
            },
            region: Region {
                byte_length: label.span.len(),
                byte_offset: label.span.start,
                end_column: end.column,
                end_line: end.line,
                start_column: start.column,
                start_line: start.line,
            },
        },
    }
}

fn result<'a>(db: &SourceDb, diagnostic: &'a Diagnostic) -> SarifResult<'a> {
    let rule_index = registry()
        .rules()
        .iter()
        .position(|rule| rule.code == diagnostic.rule.code);
    SarifResult {
        level: level(diagnostic.severity),
        locations: [location(db, &diagnostic.primary, None)],
        message: Text {
            text: &diagnostic.message,
        },
        related_locations: diagnostic
            .related
            .iter()
            .enumerate()
            .map(|(id, label)| location(db, label, Some(id)))
            .collect(),
        rule_id: &diagnostic.rule.code,
        rule_index,
    }
}
