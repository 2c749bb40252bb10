//! `p3plint ie6`'s output: an evaluation as the table, causes and advice of text output, and as
//! JSON. The evaluation itself is `ie6/mod.rs`'s.

use super::{ConsentClass, Cookie, Evaluation, Party, accepted_cells, evaluate, with_consent};
use crate::parse::{CompactPolicy, Token};

/// One line per cell: `first-party persistent Medium: downgrade`.
pub fn table_lines(evaluation: &Evaluation) -> Vec<String> {
    evaluation
        .cells
        .iter()
        .map(|cell| {
            format!(
                "{} {} {}: {}",
                cell.context.as_str(),
                cell.cookie.as_str(),
                cell.level_title,
                cell.action.as_str()
            )
        })
        .collect()
}

/// The satisfactory verdict, in the words of the seed's policy generator.
pub const SATISFACTORY: &str = "Satisfactory policy: this compact policy is considered satisfactory according to the rules defined by Internet Explorer 6. IE6 will accept cookies accompanied by this policy under the High, Medium High, Medium, Low, and Accept All Cookies settings.";

/// The unsatisfactory verdict.
pub const UNSATISFACTORY: &str = "Unsatisfactory policy: this compact policy is considered unsatisfactory according to the rules defined by Internet Explorer 6. Internet Explorer 6 behaves as follows with cookies set under this compact policy:";

/// The evaluation as text: verdict, causes, the table in the seed's layout, and the change that
/// would make the policy satisfactory.
pub fn render_text(policy: Option<&CompactPolicy>, evaluation: &Evaluation) -> String {
    let mut out = String::new();
    let meaning = |token: &Token| token.entry().map_or(String::new(), |e| e.meaning.clone());
    if !evaluation.has_policy {
        out.push_str("No compact policy: IE6 applies its rules for cookies without one.\n");
    } else if evaluation.is_satisfactory() {
        out.push_str(SATISFACTORY);
        out.push('\n');
    } else {
        out.push_str(UNSATISFACTORY);
        out.push('\n');
    }
    // The seed's layout: persistent then session, first- then third-party, as `cells` is ordered.
    for cookie in Cookie::ALL {
        for context in Party::ALL {
            let kind = match cookie {
                Cookie::Persistent => "Persistent",
                Cookie::Session => "Session",
            };
            out.push_str(&format!("\n{kind} cookies, {} usage\n", context.as_str()));
            for cell in evaluation
                .cells
                .iter()
                .filter(|c| c.cookie == cookie && c.context == context)
            {
                out.push_str(&format!(
                    " \u{2022} {}: {} [{}]\n",
                    cell.level_title,
                    cell.reason,
                    cell.action.as_str()
                ));
            }
        }
    }
    if !evaluation.pii.is_empty() && !evaluation.offending.is_empty() {
        out.push_str(
            "\nThe policy is unsatisfactory because its cookies carry these categories:\n",
        );
        for token in &evaluation.pii {
            out.push_str(&format!(" \u{2022} {} ({})\n", meaning(token), token.text));
        }
        out.push_str("and the data is used in these ways without the consent IE asks for:\n");
        for token in &evaluation.offending {
            out.push_str(&format!(" \u{2022} {} ({})\n", meaning(token), token.text));
        }
    }
    if let Some(policy) = policy {
        out.push_str(&consent_advice(policy, evaluation));
    }
    if !evaluation.ignored.is_empty() {
        let ignored: Vec<&str> = evaluation.ignored.iter().map(|t| t.text.as_str()).collect();
        out.push_str(&format!(
            "\nIE6 ignored tokens it did not recognise: {}. Stricter user agents (Mozilla, IE10 \
             strict P3P validation) rejected policies with invalid tokens.\n",
            ignored.join(" ")
        ));
    }
    out
}

/// What opt-out, and what opt-in, would change, computed by evaluating the changed policy.
fn consent_advice(policy: &CompactPolicy, evaluation: &Evaluation) -> String {
    let weak: Vec<Token> = evaluation
        .offending
        .iter()
        .filter(|t| t.suffix() != Some('o'))
        .cloned()
        .collect();
    if evaluation.is_satisfactory() || evaluation.offending.is_empty() {
        return String::new();
    }
    let describe = |suffix: char, tokens: &[Token]| -> String {
        let changed = with_consent(policy, tokens, suffix);
        let after = evaluate(Some(&changed));
        if after.is_satisfactory() {
            return "at every level".to_string();
        }
        let accepted = accepted_cells(&after);
        let list = |context: Party| -> String {
            let levels: Vec<String> = accepted
                .iter()
                .filter(|(c, _)| *c == context)
                .map(|(_, level)| level.clone())
                .collect();
            if levels.is_empty() {
                "no level".into()
            } else {
                levels.join(", ")
            }
        };
        format!(
            "at {} for first-party cookies and at {} for third-party cookies",
            list(Party::FirstParty),
            list(Party::ThirdParty)
        )
    };
    let names = |tokens: &[Token], suffix: char| -> String {
        tokens
            .iter()
            .filter_map(|t| t.base().map(|b| format!("{b}{suffix}")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::from("\n");
    if !weak.is_empty() {
        out.push_str(&format!(
            "With opt-out ({}) the policy would be accepted {}.\n",
            names(&weak, 'o'),
            describe('o', &weak)
        ));
    }
    out.push_str(&format!(
        "With opt-in ({}) it would be accepted {}.\n",
        names(&evaluation.offending, 'i'),
        describe('i', &evaluation.offending)
    ));
    out
}

/// The evaluation as JSON: verdict, consent, the 16 cells, causes. Fields serialise in byte
/// order of their names, as the output always had them.
#[derive(serde::Serialize)]
pub struct EvaluationJson<'a> {
    cells: Vec<CellJson<'a>>,
    consent: &'static str,
    has_policy: bool,
    ignored: Vec<&'a str>,
    offending: Vec<&'a str>,
    pii: Vec<&'a str>,
    verdict: &'static str,
}

#[derive(serde::Serialize)]
struct CellJson<'a> {
    action: &'static str,
    context: &'static str,
    cookie: &'static str,
    level: &'a str,
    reason: &'a str,
}

pub fn render_json(evaluation: &Evaluation) -> EvaluationJson<'_> {
    let verdict = if evaluation.has_policy && evaluation.is_satisfactory() {
        "satisfactory"
    } else {
        "unsatisfactory"
    };
    let consent = match evaluation.consent {
        ConsentClass::NotApplicable => "not-applicable",
        ConsentClass::NoConsent => "none",
        ConsentClass::Implicit => "opt-out",
        ConsentClass::Explicit => "opt-in",
    };
    fn tokens(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }
    EvaluationJson {
        cells: evaluation
            .cells
            .iter()
            .map(|cell| CellJson {
                action: cell.action.as_str(),
                context: cell.context.as_str(),
                cookie: cell.cookie.as_str(),
                level: &cell.level,
                reason: &cell.reason,
            })
            .collect(),
        consent,
        has_policy: evaluation.has_policy,
        ignored: tokens(&evaluation.ignored),
        offending: tokens(&evaluation.offending),
        pii: tokens(&evaluation.pii),
        verdict,
    }
}
