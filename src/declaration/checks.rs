//! The declaration's own consistency, one function per rule: a policy without ACCESS, a
//! statement missing a part, identified data in a NON-IDENTIFIABLE statement, and `nonident`
//! access beside identified data. (Emitted policies against the declaration are compared in
//! `check::declared`.)

use super::{Data, Declaration, Policy, Statement};
use crate::diagnostic::Diagnostic;
use crate::rules::RuleId;

/// Every finding of the declaration's own rules.
pub fn check_declaration(declaration: &Declaration) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for policy in &declaration.policies {
        if let Some(document) = &policy.document {
            out.extend(super::document::checks::check(policy, document));
        }
        if policy.states(crate::vocabulary::TokenKind::Access) {
            out.extend(missing_access(policy));
        }
        for statement in &policy.statements {
            // A document's groups are judged by the document's rules: editors publish groups
            // whose lists are empty.
            if policy.document.is_none() {
                out.extend(incomplete_statement(policy, statement));
            }
            out.extend(identified_data_in_non_identifiable_statement(statement));
        }
        out.extend(nonident_access_with_identified_data(policy));
    }
    out
}

/// The first category of `data` that identifies a person (the vocabulary's `identifies`).
fn identifying_category(
    data: &Data,
) -> Option<&super::Declared<&'static crate::vocabulary::Entry>> {
    data.categories
        .iter()
        .find(|category| category.value.identifies)
}

/// `malformed-policy`: every policy states what access users have.
fn missing_access(policy: &Policy) -> Option<Diagnostic> {
    policy.access.is_none().then(|| {
        Diagnostic::new(
            RuleId::MalformedPolicy,
            policy.file,
            policy.span.clone(),
            format!("{} has no ACCESS", policy.label()),
        )
        .with_help(
            "every policy states what access users have: nonident, all, contact-and-other, \
             ident-contact, other-ident or none",
        )
    })
}

/// `incomplete-statement`: a purpose, a recipient, a retention and data, unless the statement
/// is NON-IDENTIFIABLE.
fn incomplete_statement(policy: &Policy, statement: &Statement) -> Option<Diagnostic> {
    if statement.non_identifiable.is_some() {
        return None;
    }
    let parts = [
        (statement.purposes.is_empty(), "purpose"),
        (statement.recipients.is_empty(), "recipient"),
        (
            statement.retention.is_none() && policy.states(crate::vocabulary::TokenKind::Retention),
            "retention",
        ),
        (statement.data.is_empty(), "data"),
    ];
    let missing: Vec<&str> = parts
        .iter()
        .filter(|(absent, _)| *absent)
        .map(|(_, part)| *part)
        .collect();
    (!missing.is_empty()).then(|| {
        Diagnostic::new(
            RuleId::IncompleteStatement,
            statement.file,
            statement.span.clone(),
            format!("{} has {}", statement.label(), join_and(&missing, "no ")),
        )
        .with_label("incomplete")
        .with_help(
            "a statement needs a purpose, a recipient, a retention and data, unless it is \
             NON-IDENTIFIABLE",
        )
    })
}

/// `identified-data-in-non-identifiable-statement`: one finding per identifying data element.
fn identified_data_in_non_identifiable_statement(statement: &Statement) -> Vec<Diagnostic> {
    let Some(span) = &statement.non_identifiable else {
        return Vec::new();
    };
    statement
        .data
        .iter()
        .filter_map(|data| {
            let category = identifying_category(data)?;
            Some(
                Diagnostic::new(
                    RuleId::IdentifiedDataInNonIdentifiableStatement,
                    data.file,
                    data.span.clone(),
                    format!(
                        "`{}` identifies people ({}), but {} is NON-IDENTIFIABLE",
                        data.name,
                        category.value.name,
                        statement.label()
                    ),
                )
                .with_label(category.value.meaning.clone())
                .with_related(
                    statement.file,
                    span.clone(),
                    "declared non-identifiable here",
                ),
            )
        })
        .collect()
}

/// `nonident-access-with-identified-data`: `nonident` access while a statement collects
/// identified data.
fn nonident_access_with_identified_data(policy: &Policy) -> Option<Diagnostic> {
    let access = policy.access.as_ref()?;
    if access.value.element != "<nonident/>" {
        return None;
    }
    let identified: Vec<_> = policy
        .statements
        .iter()
        .flat_map(|statement| &statement.data)
        .filter_map(|data| identifying_category(data).map(|category| (data, category)))
        .collect();
    if identified.is_empty() {
        return None;
    }
    let mut diagnostic = Diagnostic::new(
        RuleId::NonidentAccessWithIdentifiedData,
        access.file,
        access.span.clone(),
        format!(
            "{} declares `nonident` access (no identified data is collected), but it collects \
             identified data",
            policy.label()
        ),
    )
    .with_label("no identified data, says this")
    .with_help(
        "declare the access users really have to their data (none, ident-contact, all, ...)",
    );
    for (data, category) in identified {
        diagnostic = diagnostic.with_related(
            data.file,
            data.span.clone(),
            format!("{}: {}", data.name, category.value.meaning),
        );
    }
    Some(diagnostic)
}

/// `no a`, `no a and no b`, `no a, no b and no c` (for prefix `no `).
pub fn join_and(items: &[&str], prefix: &str) -> String {
    let items: Vec<String> = items.iter().map(|item| format!("{prefix}{item}")).collect();
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_lists_in_words() {
        assert_eq!(join_and(&["a"], "no "), "no a");
        assert_eq!(join_and(&["a", "b", "c"], "no "), "no a, no b and no c");
    }
}
