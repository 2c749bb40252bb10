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
    invocations: [Invocation; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BaseIds>,
    results: Vec<SarifResult<'a>>,
    tool: Tool<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
}

/// Where `%SRCROOT%` is: the directory paths in the report are relative to.
#[derive(Serialize)]
struct BaseIds {
    #[serde(rename = "%SRCROOT%")]
    source_root: ArtifactLocation,
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
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// Every byte of a path but the unreserved characters and `/` is percent-encoded, so a file
/// named `has space é.html` or `a,b:c%d.html` is a valid URI reference.
const PATH_BYTES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A path as a URI path: what SARIF's artifact locations and the language server's `file:`
/// URIs both write.
pub fn encode(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, PATH_BYTES).to_string()
}

/// A report path as a SARIF artifact location: relative paths against `%SRCROOT%`, absolute
/// ones as `file:` URIs.
fn artifact(name: &str) -> ArtifactLocation {
    let path = name.replace('\\', "/");
    if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", encode(&path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode(path.trim_start_matches("./")),
            uri_base_id: Some("%SRCROOT%"),
        }
    }
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
            invocations: [Invocation {
                execution_successful: true,
            }],
            original_uri_base_ids: std::env::current_dir().ok().map(|cwd| BaseIds {
                source_root: ArtifactLocation {
                    uri: format!(
                        "file://{}/",
                        encode(&cwd.to_string_lossy().replace('\\', "/")).trim_end_matches('/')
                    ),
                    uri_base_id: None,
                },
            }),
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
            artifact_location: artifact(&file.name),
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
