//! `p3plint explain`: a compact policy in plain words, one row per token, in the style of the
//! seed policy's Field/Meaning table, with every finding of the checks attached to its token.

use crate::parse::{CompactPolicy, TokenClass};
use crate::report::Report;
use crate::suggest;

/// The meaning of the `CP=` field itself, as the seed's table words it.
pub const HEADER_MEANING: &str =
    "This is the compact policy header; it indicates that what follows is a P3P compact policy.";

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
/// Fields in alphabetical order: the order of `explain --output-format json`.
#[derive(serde::Serialize)]
pub struct Row {
    /// `always`, `opt-in` or `opt-out` for tokens that carry a consent.
    pub consent: Option<String>,
    pub field: String,
    pub kind: String,
    pub meaning: String,
    /// Names of the rules that flag this token.
    pub problems: Vec<String>,
}

/// A policy explained: its rows and the full check report.
#[derive(Debug)]
pub struct Explanation {
    pub rows: Vec<Row>,
    pub report: Report,
    pub policy: Option<CompactPolicy>,
}

/// Explains a header value, a `CP="..."` directive or a bare token list.
pub fn explain(input: &str) -> Explanation {
    let (report, policy) = crate::parse_argument(input);
    let diagnostics = &report.diagnostics;
    let mut rows = vec![Row {
        field: "CP=".into(),
        kind: "header".into(),
        consent: None,
        meaning: HEADER_MEANING.into(),
        problems: Vec::new(),
    }];
    for token in policy.iter().flat_map(|policy| &policy.tokens) {
        let problems = diagnostics
            .iter()
            .filter(|d| d.primary.span == token.span)
            .map(|d| d.rule.name.clone())
            .collect();
        let (kind, consent, meaning) = match (&token.class, token.entry()) {
            (TokenClass::Unknown, _) | (_, None) => (
                if token.class == TokenClass::Placeholder {
                    "placeholder"
                } else {
                    "unknown"
                }
                .to_string(),
                None,
                match suggest::token(&token.text) {
                    Some(suggestion) => format!("Not a P3P token; did you mean {suggestion}?"),
                    None => "Not a P3P token.".to_string(),
                },
            ),
            (_, Some(entry)) => (
                entry.kind.as_str().to_string(),
                (entry.suffix || token.suffix().is_some())
                    .then(|| token.consent().map(|c| c.as_str().to_string()))
                    .flatten(),
                entry.meaning.clone(),
            ),
        };
        rows.push(Row {
            field: token.text.clone(),
            kind,
            consent,
            meaning,
            problems,
        });
    }
    Explanation {
        rows,
        report,
        policy,
    }
}

/// The table as text, columns aligned.
pub fn table(rows: &[Row]) -> String {
    let width = |get: &dyn Fn(&Row) -> usize, title: &str| {
        rows.iter().map(get).max().unwrap_or(0).max(title.len())
    };
    let field_width = width(&|row| row.field.chars().count(), "Field");
    let kind_width = width(&|row| row.kind.len(), "Kind");
    let consent_width = width(&|row| row.consent.as_deref().map_or(0, str::len), "Consent");
    let mut out = format!(
        "{:field_width$}  {:kind_width$}  {:consent_width$}  Meaning\n",
        "Field", "Kind", "Consent"
    );
    for row in rows {
        let mut line = format!(
            "{:field_width$}  {:kind_width$}  {:consent_width$}  {}",
            row.field,
            row.kind,
            row.consent.as_deref().unwrap_or(""),
            row.meaning
        );
        if !row.problems.is_empty() {
            line.push_str(&format!("  [{}]", row.problems.join(", ")));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_the_seed_policy_with_the_seed_meanings() {
        let explanation = explain(
            "CP=NOI CURa ADMa DEVa TAIa CONa OUR DELa BUS IND PHY ONL UNI PUR COM NAV DEM STA",
        );
        let rows = &explanation.rows;
        assert_eq!(rows.len(), 19);
        assert_eq!(rows[0].meaning, HEADER_MEANING);
        assert_eq!(rows[1].field, "NOI");
        assert_eq!(
            rows[1].meaning,
            "No identifiable information is collected, so no access is possible."
        );
        assert_eq!(rows[1].problems, ["identified-data-contradiction"]);
        assert_eq!(rows[2].problems, ["suffix-not-allowed"]);
        assert_eq!(rows[6].consent.as_deref(), Some("always"));
        assert_eq!(rows[6].meaning, "The data is used for contacting the user.");
    }

    #[test]
    fn flags_unknown_tokens_with_a_suggestion() {
        let explanation = explain("NOI PVD");
        assert_eq!(explanation.rows[2].kind, "unknown");
        assert!(explanation.rows[2].meaning.contains("did you mean PSD"));
        assert!(
            explanation.rows[2]
                .problems
                .contains(&"unknown-token".to_string())
        );
    }
}
