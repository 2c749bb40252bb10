//! The rules of a policy document read as a declaration, one function each: its stated group
//! count, misplaced and unrecognised items, its own compact policy against its groups, its token
//! table, its IE6 evaluation, and its sentences about retention.

use super::Document;
use super::phrases::ItemKind;
use crate::declaration::Policy;
use crate::declaration::derive::derive;
use crate::diagnostic::Diagnostic;
use crate::parse::{CompactPolicy, Token};
use crate::rules::RuleId;
use crate::vocabulary::{TokenKind, vocabulary};

/// Every finding of a document's own rules.
pub fn check(policy: &Policy, document: &Document) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    out.extend(group_count(document));
    out.extend(misplaced_practice(document));
    out.extend(unrecognized_item(document));
    if let Some(published) = &document.published {
        let policy_text = &published.policy;
        out.extend(document_policy_mismatch(policy, document, policy_text));
        out.extend(token_table_mismatch(document, policy_text));
        out.extend(evaluation_mismatch(document, Some(policy_text)));
        out.extend(retention_claim_mismatch(document, policy_text));
    } else {
        out.extend(evaluation_mismatch(document, None));
    }
    out
}

/// `document-group-count`: "This policy contains N data groups" against the groups described.
fn group_count(document: &Document) -> Option<Diagnostic> {
    let stated = document.stated_groups.as_ref()?;
    let described = document.groups.len();
    (stated.value != described).then(|| {
        let names: Vec<String> = document
            .groups
            .iter()
            .map(|g| format!("\"{}\"", g.name.as_deref().unwrap_or("(unnamed)")))
            .collect();
        let mut diagnostic = Diagnostic::new(
            RuleId::DocumentGroupCount,
            document.file,
            stated.span.clone(),
            format!(
                "the document says it has {} data group{} and describes {described}",
                stated.value,
                if stated.value == 1 { "" } else { "s" }
            ),
        )
        .with_label(format!("{described} described"));
        for group in &document.groups {
            diagnostic = diagnostic.with_related(document.file, group.span.clone(), "a group");
        }
        if !names.is_empty() {
            diagnostic = diagnostic.with_note(format!("groups described: {}", names.join(", ")));
        }
        diagnostic
            .with_help("restore the missing group from the policy editor, or correct the count")
    })
}

/// `misplaced-practice`: an item under a list of another kind.
fn misplaced_practice(document: &Document) -> Vec<Diagnostic> {
    document
        .misplaced
        .iter()
        .map(|misplaced| {
            let group = misplaced
                .group
                .as_deref()
                .map_or(String::new(), |g| format!(" of group \"{g}\""));
            Diagnostic::new(
                RuleId::MisplacedPractice,
                document.file,
                misplaced.item.span.clone(),
                format!(
                    "`{}` is a {}, listed among the {}s{group}",
                    misplaced.item.text,
                    misplaced.is.as_str(),
                    misplaced.listed_as.as_str()
                ),
            )
            .with_label(format!("a {}", misplaced.is.as_str()))
            .with_related(
                document.file,
                misplaced.list_span.clone(),
                format!("this opens the {}s", misplaced.listed_as.as_str()),
            )
            .with_note(format!(
                "read as a {} of the group, which is what it names",
                misplaced.is.as_str()
            ))
            .with_help(format!(
                "move it under the group's {}s",
                misplaced.is.as_str()
            ))
        })
        .collect()
}

/// `unrecognized-item`: items the phrase tables do not know.
fn unrecognized_item(document: &Document) -> Vec<Diagnostic> {
    document
        .unrecognized
        .iter()
        .map(|unknown| {
            let consequence = match unknown.expected {
                ItemKind::Data => "kept as data with unknown categories",
                _ => "not counted as any P3P element",
            };
            let mut diagnostic = Diagnostic::new(
                RuleId::UnrecognizedItem,
                document.file,
                unknown.item.span.clone(),
                format!(
                    "`{}` names no P3P {}; {consequence}",
                    unknown.item.text,
                    unknown.expected.as_str()
                ),
            )
            .with_label("not a P3P element");
            diagnostic.help = Some(match &unknown.suggestion {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "if it is a P3P {} under another name, add the name to rules/documents/",
                    unknown.expected.as_str()
                ),
            });
            diagnostic
        })
        .collect()
}

/// Kinds a document's groups state, compared with its compact policy.
const GROUP_KINDS: [TokenKind; 4] = [
    TokenKind::Purpose,
    TokenKind::Recipient,
    TokenKind::Category,
    TokenKind::NonIdentifiable,
];

/// `document-policy-mismatch`: the document's compact policy against its groups.
fn document_policy_mismatch(
    policy: &Policy,
    document: &Document,
    published: &CompactPolicy,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let derived = derive(policy);
    let unknown_categories = document.has_unknown_categories();
    for token in &published.tokens {
        let (Some(entry), Some(base)) = (token.entry(), token.base()) else {
            continue;
        };
        if !GROUP_KINDS.contains(&entry.kind) || derived.get(base).is_some() {
            continue;
        }
        if entry.kind == TokenKind::Category && unknown_categories {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            RuleId::DocumentPolicyMismatch,
            document.file,
            token.span.clone(),
            format!(
                "`{}` is in the document's compact policy, and no group of the document states it",
                token.text
            ),
        )
        .with_label("stated by no group")
        .with_note(entry.meaning.clone());
        for group in &document.groups {
            diagnostic = diagnostic.with_related(document.file, group.span.clone(), "a group");
        }
        out.push(diagnostic);
    }
    for token in derived
        .tokens
        .iter()
        .filter(|t| GROUP_KINDS.contains(&t.entry.kind))
    {
        if published.with_base(&token.entry.name).next().is_some() {
            continue;
        }
        let Some(source) = token.sources.first() else {
            continue;
        };
        let from = source
            .statement
            .as_deref()
            .map_or("the document".to_string(), |s| {
                s.replace("statement", "group")
            });
        let mut diagnostic = Diagnostic::new(
            RuleId::DocumentPolicyMismatch,
            document.file,
            source.span.clone(),
            format!(
                "{from} states {}, and the document's compact policy has no `{}`",
                token.entry.meaning.trim_end_matches('.').to_lowercase(),
                token.entry.name
            ),
        )
        .with_label(format!("needs `{}`", token.text()))
        .with_related(
            document.file,
            published.span.clone(),
            format!("no `{}`", token.entry.name),
        );
        for other in token.sources.iter().skip(1) {
            diagnostic =
                diagnostic.with_related(other.file, other.span.clone(), "also stated here");
        }
        out.push(diagnostic);
    }
    // NOI and NID say no one is identified; groups that collect contact data say otherwise.
    for token in &published.tokens {
        let Some(entry) = token.entry() else {
            continue;
        };
        let claims_no_identity = entry.element == "<nonident/>"
            || (entry.kind == TokenKind::NonIdentifiable && derived.get(&entry.name).is_some());
        if !claims_no_identity {
            continue;
        }
        let identifying: Vec<_> = policy
            .statements
            .iter()
            .filter(|s| s.non_identifiable.is_none())
            .flat_map(|s| s.data.iter().map(move |d| (s, d)))
            .filter(|(_, d)| d.categories.iter().any(|c| c.value.identifies))
            .collect();
        let Some((statement, _)) = identifying.first() else {
            continue;
        };
        let mut diagnostic = Diagnostic::new(
            RuleId::DocumentPolicyMismatch,
            document.file,
            token.span.clone(),
            format!(
                "`{}` says no identified data is collected, but {} collects {}",
                token.text,
                statement.label().replace("statement", "group"),
                identified_kinds(&identifying, statement)
            ),
        )
        .with_label("says no identified data");
        for (_, data) in identifying.iter() {
            diagnostic = diagnostic.with_related(data.file, data.span.clone(), "identified data");
        }
        out.push(diagnostic);
    }
    out
}

/// The identifying categories a statement's data has, each once: "physical contact information
/// and online contact information".
fn identified_kinds(
    identifying: &[(&crate::declaration::Statement, &crate::declaration::Data)],
    statement: &crate::declaration::Statement,
) -> String {
    let mut kinds: Vec<String> = Vec::new();
    for (_, data) in identifying
        .iter()
        .filter(|(s, _)| std::ptr::eq(*s, statement))
    {
        for category in data.categories.iter().filter(|c| c.value.identifies) {
            let kind = category
                .value
                .meaning
                .trim_end_matches(" is collected.")
                .to_lowercase();
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    kinds.join(" and ")
}

/// `token-table-mismatch`: the Field/Meaning rows against the compact policy they explain.
fn token_table_mismatch(document: &Document, published: &CompactPolicy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let rows = &document.token_table;
    if rows.is_empty() {
        return out;
    }
    let normal = |text: &str| {
        text.trim()
            .trim_end_matches('.')
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    for row in rows {
        if !published.tokens.iter().any(|t| t.text == row.token.text) {
            out.push(
                Diagnostic::new(
                    RuleId::TokenTableMismatch,
                    document.file,
                    row.token.span.clone(),
                    format!(
                        "the table explains `{}`, which the compact policy does not have",
                        row.token.text
                    ),
                )
                .with_label("not in the compact policy")
                .with_related(
                    document.file,
                    published.span.clone(),
                    "the compact policy",
                ),
            );
            continue;
        }
        let base = crate::vocabulary::split_suffix(&row.token.text).0;
        let own = vocabulary().get(base).map(|e| normal(&e.meaning));
        let meaning = normal(&row.meaning.text);
        if own.as_deref() == Some(meaning.as_str()) {
            continue;
        }
        if let Some(other) = vocabulary()
            .entries()
            .iter()
            .find(|e| e.name != base && normal(&e.meaning) == meaning)
        {
            out.push(
                Diagnostic::new(
                    RuleId::TokenTableMismatch,
                    document.file,
                    row.meaning.span.clone(),
                    format!(
                        "the meaning given to `{}` is the meaning of `{}`",
                        row.token.text, other.name
                    ),
                )
                .with_label(format!("`{}`'s meaning", other.name))
                .with_note(format!(
                    "`{base}`: {}",
                    vocabulary().get(base).map_or("", |e| e.meaning.as_str())
                )),
            );
        }
    }
    for token in &published.tokens {
        if !rows.iter().any(|row| row.token.text == token.text) {
            out.push(
                Diagnostic::new(
                    RuleId::TokenTableMismatch,
                    document.file,
                    token.span.clone(),
                    format!("`{}` has no row in the document's token table", token.text),
                )
                .with_label("no row")
                .with_related(
                    document.file,
                    rows[0].token.span.clone(),
                    "the table",
                ),
            );
        }
    }
    out
}

/// `evaluation-mismatch`: the document's IE6 section against `p3plint ie6`.
fn evaluation_mismatch(document: &Document, published: Option<&CompactPolicy>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let stated = &document.evaluation;
    for (word, levels) in &stated.ambiguous_levels {
        let titles: Vec<&str> = levels
            .iter()
            .filter_map(|level| {
                crate::ie6::tables()
                    .levels()
                    .find(|(name, _)| name == level)
                    .map(|(_, title)| title)
            })
            .collect();
        out.push(
            Diagnostic::new(
                RuleId::EvaluationMismatch,
                document.file,
                word.span.clone(),
                format!(
                    "`{}` names two levels here ({}); the reader cannot tell which is meant",
                    word.text,
                    titles.join(" and ")
                ),
            )
            .with_label("ambiguous level name")
            .with_help("use a distinct name for each of IE's four levels"),
        );
    }
    let Some(published) = published else {
        return out;
    };
    let evaluation = crate::ie6::evaluate(Some(published));
    if let Some(verdict) = &stated.verdict
        && verdict.value != evaluation.is_satisfactory()
    {
        let says = |satisfactory: bool| {
            if satisfactory {
                "satisfactory"
            } else {
                "unsatisfactory"
            }
        };
        out.push(
            Diagnostic::new(
                RuleId::EvaluationMismatch,
                document.file,
                verdict.span.clone(),
                format!(
                    "the document calls the compact policy {}, but IE6 finds it {}",
                    says(verdict.value),
                    says(evaluation.is_satisfactory())
                ),
            )
            .with_label(format!("IE6: {}", says(evaluation.is_satisfactory())))
            .with_related(document.file, published.span.clone(), "the compact policy")
            .with_help("see `p3plint ie6` on this compact policy"),
        );
    }
    for cell in &stated.cells {
        let Some(computed) = evaluation.cell(cell.cookie, cell.party, &cell.level) else {
            continue;
        };
        if computed.action == cell.action {
            continue;
        }
        out.push(
            Diagnostic::new(
                RuleId::EvaluationMismatch,
                document.file,
                cell.span.clone(),
                format!(
                    "the document says IE6 will {} a {} cookie at {} in {} use; it will {}",
                    cell.action.as_str(),
                    cell.cookie.as_str(),
                    computed.level_title,
                    cell.party.as_str(),
                    computed.action.as_str()
                ),
            )
            .with_label(format!("IE6: {}", computed.action.as_str()))
            .with_note(computed.reason.clone()),
        );
    }
    out
}

/// `retention-claim-mismatch`: sentences about retention against the retention tokens.
fn retention_claim_mismatch(document: &Document, published: &CompactPolicy) -> Vec<Diagnostic> {
    let retention: Vec<&Token> = published
        .tokens
        .iter()
        .filter(|t| t.kind() == Some(TokenKind::Retention))
        .collect();
    if retention.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for claim in &document.retention_claims {
        let Some(claimed) =
            crate::declaration::entry_for_element(TokenKind::Retention, &claim.retention)
        else {
            continue;
        };
        if retention
            .iter()
            .any(|t| t.base() == Some(claimed.name.as_str()))
        {
            continue;
        }
        let indefinitely = retention
            .iter()
            .find(|t| t.entry().is_some_and(|e| e.element == "<indefinitely/>"));
        let labelled: Vec<&&Token> = match indefinitely {
            Some(ind) => vec![ind],
            None => retention.iter().collect(),
        };
        let tokens: Vec<&str> = labelled.iter().map(|t| t.text.as_str()).collect();
        let mut diagnostic = Diagnostic::new(
            RuleId::RetentionClaimMismatch,
            document.file,
            claim.span.clone(),
            format!(
                "this sentence says data is kept as `{}` means ({}), but the compact policy says {}",
                claimed.name,
                claimed.meaning.trim_end_matches('.').to_lowercase(),
                tokens
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_label(format!("`{}`", claimed.name));
        for token in labelled {
            let meaning = token.entry().map_or(String::new(), |e| e.meaning.clone());
            diagnostic = diagnostic.with_related(document.file, token.span.clone(), meaning);
        }
        out.push(diagnostic);
    }
    out
}
