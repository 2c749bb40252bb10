//! `p3plint record`: a record of processing activities in the shape of GDPR Art. 30(1), made
//! from a declaration: one entry per group (statement) with its purposes, personal data,
//! recipients and retention, the GD findings beside the entries they concern, and what P3P
//! cannot say marked to complete. Markdown for people, JSON for tools.

use crate::check::gdpr;
use crate::config::RuleSettings;
use crate::declaration::document::phrases::{ItemKind, english_name};
use crate::declaration::{Policy, Practice, Statement};
use crate::diagnostic::Diagnostic;
use crate::rules::{Kind, registry};
use crate::source::SourceDb;
use crate::vocabulary::{Consent, Entry, TokenKind};
use serde::Serialize;

/// The record of one declaration: one per policy it holds.
#[derive(Debug, Serialize)]
pub struct Record {
    /// The declaration file, as given.
    pub source: String,
    pub policies: Vec<PolicyRecord>,
}

#[derive(Debug, Serialize)]
pub struct PolicyRecord {
    pub name: Option<String>,
    /// What access people have to their data (P3P ACCESS), if the declaration says.
    pub access: Option<Term>,
    /// Whether the declaration names a dispute procedure (P3P DISPUTES-GROUP), if it says.
    pub disputes: Option<bool>,
    /// One entry per group of data (P3P STATEMENT).
    pub entries: Vec<RecordEntry>,
    /// GD findings about the policy as a whole (access, disputes).
    pub findings: Vec<Finding>,
}

/// One processing activity: a group of data and what is done with it.
#[derive(Debug, Serialize)]
pub struct RecordEntry {
    pub group: String,
    /// Art. 30(1)(b).
    pub purposes: Vec<Term>,
    /// Art. 30(1)(c): the data and the P3P categories they fall in.
    pub data: Vec<DataItem>,
    pub categories: Vec<Term>,
    /// Whether the group holds data that identifies people (personal categories, and not
    /// declared non-identifiable).
    pub identified: bool,
    /// Art. 30(1)(d).
    pub recipients: Vec<Term>,
    /// Art. 30(1)(f); `None` when the declaration does not state retention.
    pub retention: Option<Term>,
    pub findings: Vec<Finding>,
}

/// A P3P value: its token, and in words.
#[derive(Debug, Serialize)]
pub struct Term {
    pub token: String,
    pub words: String,
    /// For purposes and recipients: `always`, `opt-in` or `opt-out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<&'static str>,
    /// For recipients: who, when the declaration names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DataItem {
    pub name: String,
    pub categories: Vec<String>,
}

/// A GD finding, as the record shows it.
#[derive(Debug, Serialize)]
pub struct Finding {
    pub code: String,
    pub name: String,
    pub message: String,
    /// `path:line:column` of what it points at.
    pub location: String,
}

/// The record of `policies` (read from `source`, whose files are in `db`), with the findings
/// of every GD rule whether or not lint.toml turns them on: a record is for review.
pub fn record(source: &str, policies: &[Policy], db: &SourceDb) -> Record {
    let mut settings = RuleSettings::default();
    for rule in registry().rules() {
        if matches!(rule.kind, Kind::Gdpr(_)) {
            settings.enable(rule);
        }
    }
    let policies = policies
        .iter()
        .map(|policy| {
            let reviewed = gdpr::review_policy(policy, &settings);
            let findings = |found: &[Diagnostic]| found.iter().map(|d| finding(d, db)).collect();
            PolicyRecord {
                name: policy.name.clone(),
                access: policy
                    .states(TokenKind::Access)
                    .then(|| policy.access.as_ref().map(|access| term(access.value)))
                    .flatten(),
                disputes: policy
                    .states(TokenKind::Disputes)
                    .then_some(policy.disputes.is_some()),
                entries: policy
                    .statements
                    .iter()
                    .zip(&reviewed.statements)
                    .enumerate()
                    .map(|(index, (statement, found))| {
                        entry(policy, statement, index, findings(found))
                    })
                    .collect(),
                findings: findings(&reviewed.policy),
            }
        })
        .collect();
    Record {
        source: source.to_string(),
        policies,
    }
}

fn finding(diagnostic: &Diagnostic, db: &SourceDb) -> Finding {
    let file = db.get(diagnostic.primary.file);
    let at = file.position(diagnostic.primary.span.start);
    Finding {
        code: diagnostic.rule.code.clone(),
        name: diagnostic.rule.name.clone(),
        message: diagnostic.message.clone(),
        location: format!("{}:{}:{}", file.name, at.line, at.column),
    }
}

/// `<physical/>` as the element name the phrase tables use, `physical`.
fn element_key(entry: &Entry) -> &str {
    entry
        .element
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/')
}

/// A value in words: the name a policy editor prints for it, else the vocabulary's meaning.
fn words(entry: &Entry) -> String {
    let kind = match entry.kind {
        TokenKind::Purpose => Some(ItemKind::Purpose),
        TokenKind::Recipient => Some(ItemKind::Recipient),
        TokenKind::Category => Some(ItemKind::Category),
        _ => None,
    };
    kind.and_then(|kind| english_name(kind, element_key(entry)))
        .map(str::to_string)
        .unwrap_or_else(|| entry.meaning.trim_end_matches('.').to_string())
}

fn term(entry: &Entry) -> Term {
    Term {
        token: entry.name.clone(),
        words: words(entry),
        consent: None,
        description: None,
    }
}

fn practice(practice: &Practice) -> Term {
    Term {
        consent: Some(practice.consent.as_str()).filter(|_| practice.entry.suffix),
        description: practice.description.clone(),
        ..term(practice.entry)
    }
}

fn entry(
    policy: &Policy,
    statement: &Statement,
    index: usize,
    findings: Vec<Finding>,
) -> RecordEntry {
    let mut categories: Vec<&'static Entry> = statement
        .data
        .iter()
        .flat_map(|data| data.categories.iter().map(|category| category.value))
        .collect();
    categories.sort_by(|a, b| a.name.cmp(&b.name));
    categories.dedup_by(|a, b| a.name == b.name);
    RecordEntry {
        group: statement
            .name
            .clone()
            .unwrap_or_else(|| format!("Group {}", index + 1)),
        purposes: distinct(statement.purposes.iter().map(practice)),
        data: statement
            .data
            .iter()
            .map(|data| {
                let mut names: Vec<String> = data
                    .categories
                    .iter()
                    .map(|category| category.value.name.clone())
                    .collect();
                names.dedup();
                DataItem {
                    name: data.name.clone(),
                    categories: names,
                }
            })
            .collect(),
        categories: categories.into_iter().map(term).collect(),
        identified: gdpr::identifies_people(statement),
        recipients: distinct(statement.recipients.iter().map(practice)),
        retention: policy
            .states(TokenKind::Retention)
            .then(|| statement.retention.as_ref().map(|r| term(r.value)))
            .flatten(),
        findings,
    }
}

/// Terms without repeats (a document may list a recipient twice), in their first order.
fn distinct(terms: impl Iterator<Item = Term>) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::new();
    for term in terms {
        if !out
            .iter()
            .any(|seen| seen.token == term.token && seen.consent == term.consent)
        {
            out.push(term);
        }
    }
    out
}

/// The record as JSON.
pub fn json(record: &Record) -> String {
    let mut text = serde_json::to_string_pretty(record).unwrap_or_default();
    text.push('\n');
    text
}

const TO_COMPLETE: &str = "_to complete: P3P does not state it_";

/// The record as Markdown.
pub fn markdown(record: &Record) -> String {
    let mut out = String::from("# Record of processing activities\n\n");
    out.push_str(&format!(
        "Made by p3plint from `{}`, in the shape of GDPR Art. 30(1). A P3P declaration states \
         purposes, data, recipients and retention; what it cannot state is marked to \
         complete. Findings of the GD rules are things to review, not verdicts.\n",
        record.source
    ));
    for policy in &record.policies {
        out.push_str(&match &policy.name {
            Some(name) => format!("\n## Policy `{name}`\n\n"),
            None => "\n## Policy\n\n".to_string(),
        });
        out.push_str(&format!(
            "- Controller and contact details (Art. 30(1)(a)): {TO_COMPLETE}\n"
        ));
        out.push_str(&format!(
            "- Access for data subjects (Art. 15): {}\n",
            policy
                .access
                .as_ref()
                .map_or("not stated".to_string(), |access| {
                    format!("{} (`{}`)", access.words, access.token)
                })
        ));
        out.push_str(&format!(
            "- Dispute procedure (Art. 13(2)(d), 77): {}\n",
            match policy.disputes {
                Some(true) => "named in the declaration",
                Some(false) => "none named",
                None => "not stated",
            }
        ));
        out.push_str(&format!(
            "- Transfers to third countries (Art. 30(1)(e)): {TO_COMPLETE}\n"
        ));
        out.push_str(&format!(
            "- Security measures (Art. 30(1)(g)): {TO_COMPLETE}\n"
        ));
        findings_markdown(&mut out, &policy.findings);
        for (number, entry) in policy.entries.iter().enumerate() {
            entry_markdown(&mut out, number + 1, entry);
        }
    }
    out
}

fn terms(terms: &[Term]) -> String {
    if terms.is_empty() {
        return "none stated".to_string();
    }
    terms
        .iter()
        .map(|term| {
            let mut text = format!("{} (`{}`", term.words, term.token);
            if let Some(consent) = term.consent.filter(|c| *c != Consent::Always.as_str()) {
                text.push_str(&format!(", {consent}"));
            }
            text.push(')');
            if let Some(description) = &term.description {
                text.push_str(&format!(": {description}"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A table cell: no line breaks, and `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn entry_markdown(out: &mut String, number: usize, entry: &RecordEntry) {
    out.push_str(&format!("\n### {number}. {}\n\n", cell(&entry.group)));
    out.push_str("| Art. 30(1) | |\n|---|---|\n");
    let data: Vec<String> = entry
        .data
        .iter()
        .map(|data| match data.categories.as_slice() {
            [] => format!("{} (categories not stated)", data.name),
            categories => format!("{} ({})", data.name, categories.join(" ")),
        })
        .collect();
    let rows = [
        ("(b) Purposes", terms(&entry.purposes)),
        (
            "(c) Personal data",
            if data.is_empty() {
                "none stated".to_string()
            } else {
                data.join("; ")
            },
        ),
        ("(c) Categories", terms(&entry.categories)),
        ("(c) Data subjects", TO_COMPLETE.to_string()),
        (
            "Identifies people",
            if entry.identified { "yes" } else { "no" }.to_string(),
        ),
        ("(d) Recipients", terms(&entry.recipients)),
        (
            "(f) Erasure",
            entry
                .retention
                .as_ref()
                .map_or("not stated".to_string(), |r| {
                    format!("{} (`{}`)", r.words, r.token)
                }),
        ),
    ];
    for (field, value) in rows {
        out.push_str(&format!("| {field} | {} |\n", cell(&value)));
    }
    findings_markdown(out, &entry.findings);
}

fn findings_markdown(out: &mut String, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    out.push_str("\nTo review:\n\n");
    for finding in findings {
        out.push_str(&format!(
            "- **{} {}** at `{}`: {}\n",
            finding.code, finding.name, finding.location, finding.message
        ));
    }
}
