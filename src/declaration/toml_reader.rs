//! p3plint's TOML form of a P3P policy, for people to write by hand. The README documents it;
//! every value keeps its span, and every unknown key or value gets a did-you-mean.
//!
//! ```toml
//! [policy]
//! name = "shop"
//! access = "contact-and-other"
//! disputes = [{ service = "https://shop.example/complaints", remedies = ["correct"] }]
//!
//! [[statement]]
//! name = "orders"
//! purposes = ["current", { purpose = "contact", consent = "opt-in" }]
//! recipients = ["ours", { recipient = "delivery", description = "PostNord AB" }]
//! retention = "legal-requirement"
//! data = ["user.home-info.postal", { ref = "dynamic.miscdata", categories = ["purchase"] }]
//! ```

use super::reader::{Reporter, SchemaBase};
use crate::declaration::{Declared, Policy, Practice, Statement};
use crate::diagnostic::Diagnostic;
use crate::rules::RuleId;
use crate::source::{FileId, Span};
use crate::vocabulary::Consent;
use crate::vocabulary::TokenKind;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// What one TOML declaration holds.
#[derive(Debug, Default)]
pub struct TomlFile {
    pub policies: Vec<Policy>,
    pub diagnostics: Vec<Diagnostic>,
    /// False when the TOML does not parse: nothing could be read.
    pub readable: bool,
}

type Value<'a> = Spanned<DeValue<'a>>;

pub fn parse(file: FileId, text: &str) -> TomlFile {
    let mut reporter = Reporter::new(file);
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for error in errors {
            let span = error.span().unwrap_or(0..0);
            reporter.push(
                RuleId::MalformedPolicy,
                span,
                error.message().trim().to_string(),
            );
        }
        return TomlFile {
            diagnostics: reporter.diagnostics,
            ..TomlFile::default()
        };
    }
    let mut policy = Policy {
        name: None,
        file,
        span: 0..0,
        access: None,
        disputes: None,
        remedies: Vec::new(),
        test: None,
        statements: Vec::new(),
        unstated: Vec::new(),
        document: None,
    };
    let mut saw_policy = false;
    for (key, value) in table.get_ref().iter() {
        match key.get_ref().as_ref() {
            "policy" => {
                saw_policy = true;
                policy.span = key.span();
                if let Some(table) = as_table(&mut reporter, "policy", value) {
                    read_policy(&mut reporter, table, &mut policy);
                }
            }
            "statement" => match value.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        if let Some(table) = as_table(&mut reporter, "statement", item) {
                            policy.statements.push(read_statement(
                                &mut reporter,
                                table,
                                item.span(),
                            ));
                        }
                    }
                }
                _ => {
                    reporter.push(
                        RuleId::MalformedPolicy,
                        value.span(),
                        "write each statement as a [[statement]] table",
                    );
                }
            },
            other => reporter.unknown(key.span(), "key", other, &["policy", "statement"]),
        }
    }
    if !saw_policy {
        reporter
            .push(RuleId::MalformedPolicy, 0..0, "no [policy] table")
            .help = Some("start with [policy] and its `access`".into());
    }
    // Keys come out of the table in name order; report in file order.
    let mut diagnostics = reporter.diagnostics;
    diagnostics.sort_by_key(|d| d.primary.span.start);
    TomlFile {
        policies: vec![policy],
        diagnostics,
        readable: true,
    }
}

fn as_table<'a>(
    reporter: &mut Reporter,
    name: &str,
    value: &'a Value<'a>,
) -> Option<&'a DeTable<'a>> {
    match value.get_ref() {
        DeValue::Table(table) => Some(table),
        _ => {
            reporter.push(
                RuleId::MalformedPolicy,
                value.span(),
                format!("`{name}` must be a table"),
            );
            None
        }
    }
}

fn as_str<'a>(reporter: &mut Reporter, name: &str, value: &'a Value<'a>) -> Option<&'a str> {
    match value.get_ref() {
        DeValue::String(text) => Some(text.as_ref()),
        _ => {
            reporter.push(
                RuleId::MalformedPolicy,
                value.span(),
                format!("`{name}` must be a string"),
            );
            None
        }
    }
}

fn as_array<'a>(
    reporter: &mut Reporter,
    name: &str,
    value: &'a Value<'a>,
) -> &'a [Spanned<DeValue<'a>>] {
    match value.get_ref() {
        DeValue::Array(items) => items,
        _ => {
            reporter.push(
                RuleId::MalformedPolicy,
                value.span(),
                format!("`{name}` must be an array"),
            );
            &[]
        }
    }
}

/// A string naming a P3P element of `kind` (`"nonident"`, `"indefinitely"`), as its token.
fn element_value(
    reporter: &mut Reporter,
    name: &str,
    value: &Value<'_>,
    kind: TokenKind,
) -> Option<Declared<&'static crate::vocabulary::Entry>> {
    let text = as_str(reporter, name, value)?;
    let entry = reporter.element(kind, text, value.span())?;
    Some(Declared {
        value: entry,
        file: reporter.file,
        span: value.span(),
    })
}

fn read_policy(reporter: &mut Reporter, table: &DeTable<'_>, policy: &mut Policy) {
    const KNOWN: &[&str] = &[
        "name", "entity", "discuri", "opturi", "access", "disputes", "test",
    ];
    let file = reporter.file;
    for (key, value) in table.iter() {
        match key.get_ref().as_ref() {
            "name" => policy.name = as_str(reporter, "name", value).map(str::to_string),
            "entity" | "discuri" | "opturi" => {
                as_str(reporter, key.get_ref(), value);
            }
            "access" => policy.access = element_value(reporter, "access", value, TokenKind::Access),
            "test" => match value.get_ref() {
                DeValue::Boolean(true) => {
                    policy.test = Some(Declared {
                        value: (),
                        file,
                        span: value.span(),
                    });
                }
                DeValue::Boolean(false) => {}
                _ => {
                    reporter.push(
                        RuleId::MalformedPolicy,
                        value.span(),
                        "`test` must be true or false",
                    );
                }
            },
            "disputes" => {
                policy.disputes = Some(Declared {
                    value: (),
                    file,
                    span: key.span(),
                });
                for item in as_array(reporter, "disputes", value) {
                    let Some(disputes) = as_table(reporter, "disputes", item) else {
                        continue;
                    };
                    for (key, value) in disputes.iter() {
                        match key.get_ref().as_ref() {
                            "resolution-type" | "service" | "verification" | "description" => {
                                as_str(reporter, key.get_ref(), value);
                            }
                            "remedies" => {
                                for remedy in as_array(reporter, "remedies", value) {
                                    if let Some(text) = as_str(reporter, "remedies", remedy)
                                        && let Some(entry) = reporter.element(
                                            TokenKind::Remedies,
                                            text,
                                            remedy.span(),
                                        )
                                    {
                                        policy.remedies.push(Declared {
                                            value: entry,
                                            file,
                                            span: remedy.span(),
                                        });
                                    }
                                }
                            }
                            other => reporter.unknown(
                                key.span(),
                                "disputes key",
                                other,
                                &[
                                    "resolution-type",
                                    "service",
                                    "verification",
                                    "description",
                                    "remedies",
                                ],
                            ),
                        }
                    }
                }
            }
            other => reporter.unknown(key.span(), "[policy] key", other, KNOWN),
        }
    }
}

fn read_statement(reporter: &mut Reporter, table: &DeTable<'_>, span: Span) -> Statement {
    const KNOWN: &[&str] = &[
        "name",
        "non-identifiable",
        "purposes",
        "recipients",
        "retention",
        "data",
    ];
    let file = reporter.file;
    let mut statement = Statement {
        name: None,
        file,
        span,
        non_identifiable: None,
        purposes: Vec::new(),
        recipients: Vec::new(),
        retention: None,
        data: Vec::new(),
    };
    for (key, value) in table.iter() {
        match key.get_ref().as_ref() {
            "name" => {
                statement.name = as_str(reporter, "name", value).map(str::to_string);
                statement.span = value.span();
            }
            "non-identifiable" => match value.get_ref() {
                DeValue::Boolean(true) => statement.non_identifiable = Some(value.span()),
                DeValue::Boolean(false) => {}
                _ => {
                    reporter.push(
                        RuleId::MalformedPolicy,
                        value.span(),
                        "`non-identifiable` must be true or false",
                    );
                }
            },
            "purposes" => {
                statement.purposes = practices(reporter, value, TokenKind::Purpose, "purpose");
            }
            "recipients" => {
                statement.recipients =
                    practices(reporter, value, TokenKind::Recipient, "recipient");
            }
            "retention" => {
                statement.retention =
                    element_value(reporter, "retention", value, TokenKind::Retention);
            }
            "data" => {
                for item in as_array(reporter, "data", value) {
                    if let Some(data) = read_data(reporter, item) {
                        statement.data.push(data);
                    }
                }
            }
            other => reporter.unknown(key.span(), "[[statement]] key", other, KNOWN),
        }
    }
    statement
}

/// `"admin"` or `{ purpose = "contact", consent = "opt-in" }`.
fn practices(
    reporter: &mut Reporter,
    value: &Value<'_>,
    kind: TokenKind,
    field: &str,
) -> Vec<Practice> {
    let file = reporter.file;
    let mut out = Vec::new();
    for item in as_array(reporter, field, value) {
        let (name, name_span, consent, description) = match item.get_ref() {
            DeValue::String(text) => (text.to_string(), item.span(), Consent::Always, None),
            DeValue::Table(table) => {
                let mut name = None;
                let mut consent = Consent::Always;
                let mut description = None;
                for (key, value) in table.iter() {
                    match key.get_ref().as_ref() {
                        k if k == field => {
                            name = as_str(reporter, field, value)
                                .map(|t| (t.to_string(), value.span()));
                        }
                        "consent" => {
                            if let Some(text) = as_str(reporter, "consent", value) {
                                consent = reporter.consent(text, value.span());
                            }
                        }
                        // Who the recipient is, as P3P's <recipient-description> says it.
                        "description" if kind == TokenKind::Recipient => {
                            description = as_str(reporter, "description", value)
                                .map(str::trim)
                                .filter(|text| !text.is_empty())
                                .map(str::to_string);
                        }
                        other => {
                            let known: &[&str] = if kind == TokenKind::Recipient {
                                &[field, "consent", "description"]
                            } else {
                                &[field, "consent"]
                            };
                            reporter.unknown(key.span(), "key", other, known)
                        }
                    }
                }
                let Some((name, span)) = name else {
                    reporter.push(
                        RuleId::MalformedPolicy,
                        item.span(),
                        format!("missing `{field}`"),
                    );
                    continue;
                };
                (name, span, consent, description)
            }
            _ => {
                reporter.push(
                    RuleId::MalformedPolicy,
                    item.span(),
                    format!("a {field} is a string or a table"),
                );
                continue;
            }
        };
        let Some(entry) = reporter.element(kind, &name, name_span.clone()) else {
            continue;
        };
        if !entry.suffix && consent != Consent::Always {
            reporter.push(
                RuleId::MalformedPolicy,
                item.span(),
                format!("`{name}` cannot carry a consent: it is always `always`"),
            );
        }
        out.push(Practice {
            entry,
            consent,
            file,
            span: name_span,
            description,
        });
    }
    out
}

/// `"user.name"`, `{ ref = "dynamic.cookies", categories = [...] }` or
/// `{ name = "call statistics", categories = [...] }`.
fn read_data(reporter: &mut Reporter, item: &Value<'_>) -> Option<crate::declaration::Data> {
    match item.get_ref() {
        DeValue::String(reference) => Some(reporter.data(
            Some((reference, item.span())),
            SchemaBase::Standard,
            reference,
            item.span(),
            Vec::new(),
        )),
        DeValue::Table(table) => {
            let mut reference = None;
            let mut name = None;
            let mut categories = Vec::new();
            for (key, value) in table.iter() {
                match key.get_ref().as_ref() {
                    "ref" => {
                        reference =
                            as_str(reporter, "ref", value).map(|t| (t.to_string(), value.span()))
                    }
                    "name" => name = as_str(reporter, "name", value).map(str::to_string),
                    "categories" => {
                        for category in as_array(reporter, "categories", value) {
                            categories.extend(element_value(
                                reporter,
                                "categories",
                                category,
                                TokenKind::Category,
                            ));
                        }
                    }
                    other => reporter.unknown(
                        key.span(),
                        "data key",
                        other,
                        &["ref", "name", "categories"],
                    ),
                }
            }
            if reference.is_none() && name.is_none() {
                reporter.push(
                    RuleId::MalformedPolicy,
                    item.span(),
                    "data needs a `ref` or a `name`",
                );
                return None;
            }
            let display = name
                .clone()
                .or_else(|| reference.as_ref().map(|(r, _)| r.clone()))
                .unwrap_or_default();
            Some(reporter.data(
                reference.as_ref().map(|(r, s)| (r.as_str(), s.clone())),
                SchemaBase::Standard,
                &display,
                item.span(),
                categories,
            ))
        }
        _ => {
            reporter.push(
                RuleId::MalformedPolicy,
                item.span(),
                "data is a string or a table",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_form() {
        let text = r#"
[policy]
name = "shop"
access = "contact-and-other"
disputes = [{ service = "https://shop.example/complaints", remedies = ["correct"] }]

[[statement]]
name = "orders"
purposes = ["current", { purpose = "contact", consent = "opt-in" }]
recipients = ["ours", "delivery"]
retention = "legal-requirement"
data = ["user.home-info.postal", { ref = "dynamic.miscdata", categories = ["purchase"] }]
"#;
        let parsed = parse(FileId(0), text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let policy = &parsed.policies[0];
        assert_eq!(policy.access.as_ref().unwrap().value.name, "CAO");
        assert_eq!(policy.remedies[0].value.name, "COR");
        let statement = &policy.statements[0];
        assert_eq!(statement.purposes[1].consent, Consent::OptIn);
        assert_eq!(&text[statement.purposes[1].span.clone()], "\"contact\"");
        assert_eq!(statement.retention.as_ref().unwrap().value.name, "LEG");
    }

    #[test]
    fn unknown_keys_and_values_get_suggestions() {
        let text = "[policy]\naccess = \"nonidnt\"\n[[statement]]\npurpose = [\"admin\"]\ndata = [\"dynamic.clikstream\", \"dynamic.cookies\"]\n";
        let parsed = parse(FileId(0), text);
        let found: Vec<(String, Option<String>)> = parsed
            .diagnostics
            .iter()
            .map(|d| (d.rule.name.clone(), d.help.clone()))
            .collect();
        assert_eq!(found[0].1.as_deref(), Some("did you mean `nonident`?"));
        assert_eq!(found[1].1.as_deref(), Some("did you mean `purposes`?"));
        assert_eq!(found[2].0, "unknown-data-reference");
        assert_eq!(
            found[2].1.as_deref(),
            Some("did you mean `dynamic.clickstream`?")
        );
        assert_eq!(found[3].0, "missing-categories");
    }
}
