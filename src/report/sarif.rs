//! SARIF 2.1.0 output for code-scanning services: one run, the rule catalogue as the tool's
//! rules, results with physical locations, related locations, safe fixes and fingerprints; and a
//! run that could not finish as notifications. Typed; fields serialise in byte order of their
//! names, as the output always had them.

use crate::diagnostic::{Applicability, Diagnostic, Label, Severity};
use crate::report::{Report, Unfinished};
use crate::rules::{self, registry};
use crate::source::SourceDb;
use serde::Serialize;
use std::collections::HashMap;

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
    invocations: [Invocation<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BaseIds>,
    results: Vec<SarifResult<'a>>,
    tool: Tool<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_configuration_notifications: Vec<Notification<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

/// Why a run did not finish: a problem in the configuration (with where it is) or in the run.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    descriptor: Option<DescriptorReference<'a>>,
    level: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location<'a>>,
    message: Text<'a>,
}

#[derive(Serialize)]
struct DescriptorReference<'a> {
    id: &'a str,
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

/// A rule's help: plain text, and the whole rule page (what `p3plint rule` prints) as Markdown.
#[derive(Serialize)]
struct Help<'a> {
    markdown: String,
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
    help: Help<'a>,
    id: &'a str,
    name: &'a str,
    short_description: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<'a>,
    partial_fingerprints: Fingerprints,
    related_locations: Vec<Location<'a>>,
    rule_id: &'a str,
    rule_index: Option<usize>,
}

/// What identifies a finding across runs, so a code-scanning service keeps one alert for it
/// while lines are added above it.
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "p3plint/v1")]
    finding: String,
}

/// A safe fix: browsers behave the same after it, so a service may offer to apply it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    artifact_changes: Vec<ArtifactChange<'a>>,
    description: Text<'a>,
}

#[derive(Serialize)]
struct ArtifactChange<'a> {
    #[serde(rename = "artifactLocation")]
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: ByteRegion,
    inserted_content: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByteRegion {
    byte_length: usize,
    byte_offset: usize,
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
    let mut seen = HashMap::new();
    let results = report
        .diagnostics
        .iter()
        .map(|diagnostic| result(&report.db, diagnostic, &mut seen))
        .collect();
    log(results, Invocation::finished())
}

/// A run that could not finish: no results, `executionSuccessful: false`, and why, as
/// notifications (configuration problems with where they are), so a code-scanning upload shows
/// the failure instead of choking on empty output.
pub fn render_unfinished(unfinished: &Unfinished) -> String {
    let mut invocation = Invocation {
        execution_successful: false,
        ..Invocation::finished()
    };
    match unfinished {
        Unfinished::Configuration(report) => {
            invocation.tool_configuration_notifications = report
                .diagnostics
                .iter()
                .map(|diagnostic| Notification {
                    descriptor: Some(DescriptorReference {
                        id: &diagnostic.rule.code,
                    }),
                    level: level(diagnostic.severity),
                    locations: vec![location(&report.db, &diagnostic.primary, None)],
                    message: Text {
                        text: &diagnostic.message,
                    },
                })
                .collect();
        }
        Unfinished::Failed(message) => {
            invocation.tool_execution_notifications = vec![Notification {
                descriptor: None,
                level: "error",
                locations: Vec::new(),
                message: Text { text: message },
            }];
        }
    }
    log(Vec::new(), invocation)
}

impl Invocation<'_> {
    fn finished() -> Self {
        Invocation {
            execution_successful: true,
            tool_configuration_notifications: Vec::new(),
            tool_execution_notifications: Vec::new(),
        }
    }
}

fn log<'a>(results: Vec<SarifResult<'a>>, invocation: Invocation<'a>) -> String {
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
            help: Help {
                markdown: rules::markdown(rule),
                text: rule.docs.why.trim(),
            },
            id: &rule.code,
            name: &rule.name,
            short_description: Text {
                text: &rule.summary,
            },
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            column_kind: "unicodeCodePoints",
            invocations: [invocation],
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

/// A finding's fingerprint: its rule, file, message and label, which do not mention lines, and
/// how many findings with all four the same came before it in the file. FNV-1a, whose output
/// is fixed by its definition, so the fingerprint is the same on every machine and release.
fn fingerprint(
    db: &SourceDb,
    diagnostic: &Diagnostic,
    seen: &mut HashMap<u64, usize>,
) -> Fingerprints {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    let file = db.get(diagnostic.primary.file);
    for part in [
        diagnostic.rule.code.as_str(),
        file.name.as_str(),
        diagnostic.message.as_str(),
        diagnostic.primary.message.as_str(),
    ] {
        hasher.write(part.as_bytes());
        // A separator no text holds, so ("ab", "c") and ("a", "bc") differ.
        hasher.write(&[0xff]);
    }
    let hash = hasher.finish();
    let occurrence = seen.entry(hash).or_insert(0);
    *occurrence += 1;
    Fingerprints {
        finding: format!("{hash:016x}:{occurrence}"),
    }
}

/// The finding's fix when it is safe, as SARIF replacements grouped by file.
fn safe_fixes<'a>(db: &SourceDb, diagnostic: &'a Diagnostic) -> Vec<SarifFix<'a>> {
    let Some(fix) = diagnostic
        .fix
        .as_ref()
        .filter(|fix| fix.applicability == Applicability::Safe)
    else {
        return Vec::new();
    };
    let mut changes: Vec<(crate::source::FileId, Vec<Replacement<'a>>)> = Vec::new();
    for edit in &fix.edits {
        let replacement = Replacement {
            deleted_region: ByteRegion {
                byte_length: edit.span.len(),
                byte_offset: edit.span.start,
            },
            inserted_content: Text {
                text: &edit.content,
            },
        };
        match changes.iter_mut().find(|(file, _)| *file == edit.file) {
            Some((_, replacements)) => replacements.push(replacement),
            None => changes.push((edit.file, vec![replacement])),
        }
    }
    vec![SarifFix {
        artifact_changes: changes
            .into_iter()
            .map(|(file, replacements)| ArtifactChange {
                artifact_location: artifact(&db.get(file).name),
                replacements,
            })
            .collect(),
        description: Text { text: &fix.message },
    }]
}

fn result<'a>(
    db: &SourceDb,
    diagnostic: &'a Diagnostic,
    seen: &mut HashMap<u64, usize>,
) -> SarifResult<'a> {
    let rule_index = registry()
        .rules()
        .iter()
        .position(|rule| rule.code == diagnostic.rule.code);
    SarifResult {
        fixes: safe_fixes(db, diagnostic),
        level: level(diagnostic.severity),
        locations: [location(db, &diagnostic.primary, None)],
        message: Text {
            text: &diagnostic.message,
        },
        partial_fingerprints: fingerprint(db, diagnostic, seen),
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
