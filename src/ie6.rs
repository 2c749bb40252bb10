//! How Internet Explorer 6 treats the cookies a compact policy covers, cell by cell: four privacy
//! levels, first- and third-party context, persistent and session cookies.
//!
//! IE was lenient: it ignored every token it did not recognise and judged the rest. A policy is
//! unsatisfactory at a level when it names personally identifiable categories together with
//! unsatisfactory purposes or recipients that lack the consent the level requires. The tables
//! (categories, purposes, levels, sentences) are data in `rules/ie6.toml`.

use crate::parse::{CompactPolicy, Token, TokenClass};
use serde::Deserialize;
use std::sync::OnceLock;

/// What IE does with a cookie. Ordered from most to least permissive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Accept,
    /// A persistent cookie becomes a session cookie.
    Downgrade,
    /// Stored, but sent only in a first-party context.
    Leash,
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Downgrade => "downgrade",
            Action::Leash => "leash",
            Action::Block => "block",
        }
    }
}

/// The consent a level asks of unsatisfactory uses of PII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    None,
    /// Opt-out (`o`) or opt-in is enough.
    Implicit,
    /// Only opt-in (`i`) is enough.
    Explicit,
}

/// The consent a policy offers for its unsatisfactory uses of PII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentClass {
    /// No PII, or no unsatisfactory use: nothing to consent to.
    NotApplicable,
    /// Some unsatisfactory use is always on (`a` or no suffix).
    NoConsent,
    /// Every unsatisfactory use is at least opt-out.
    Implicit,
    /// Every unsatisfactory use is opt-in.
    Explicit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    FirstParty,
    ThirdParty,
}

impl Party {
    pub const ALL: [Party; 2] = [Party::FirstParty, Party::ThirdParty];

    pub fn as_str(self) -> &'static str {
        match self {
            Party::FirstParty => "first-party",
            Party::ThirdParty => "third-party",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cookie {
    Persistent,
    Session,
}

impl Cookie {
    pub const ALL: [Cookie; 2] = [Cookie::Persistent, Cookie::Session];

    pub fn as_str(self) -> &'static str {
        match self {
            Cookie::Persistent => "persistent",
            Cookie::Session => "session",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Setting {
    requires: Requirement,
    #[serde(default)]
    fails_with: Option<Action>,
    no_policy: Action,
    #[serde(default)]
    session_always_accepted: bool,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Level {
    name: String,
    title: String,
    first_party: Setting,
    third_party: Setting,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Reasons {
    accepted: String,
    implicit_downgrade: String,
    implicit_block: String,
    explicit_block: String,
    no_policy_leash: String,
    no_policy_downgrade: String,
    no_policy_block: String,
    no_policy_accept: String,
}

/// The tables of `rules/ie6.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Tables {
    pii: Vec<String>,
    unsatisfactory: Vec<String>,
    also_recognised: Vec<String>,
    level: Vec<Level>,
    reasons: Reasons,
}

pub const SOURCE: &str = include_str!("../rules/ie6.toml");

/// The embedded tables; their validity is checked by the test suite.
pub fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| toml::from_str(SOURCE).expect("rules/ie6.toml is valid (tests)"))
}

/// One cell of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub cookie: Cookie,
    pub context: Party,
    /// The level's kebab-case name (`medium-high`).
    pub level: String,
    /// The level as IE's slider shows it (`Medium High`).
    pub level_title: String,
    pub action: Action,
    pub reason: String,
}

/// The evaluation of one compact policy (or of its absence).
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub consent: ConsentClass,
    pub has_policy: bool,
    /// The PII category tokens IE saw.
    pub pii: Vec<Token>,
    /// The unsatisfactory purposes and recipients without the consent the strictest level asks.
    pub offending: Vec<Token>,
    /// Tokens IE did not recognise and ignored.
    pub ignored: Vec<Token>,
    /// 16 cells: persistent then session; first- then third-party; levels low to high.
    pub cells: Vec<Cell>,
}

impl Evaluation {
    /// Satisfactory: every cell accepts the cookie.
    pub fn is_satisfactory(&self) -> bool {
        self.cells.iter().all(|cell| cell.action == Action::Accept)
    }

    pub fn cell(&self, cookie: Cookie, context: Party, level: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.cookie == cookie && c.context == context && c.level == level)
    }
}

/// Whether IE recognised a token: P3P 1.0 tokens with a legal suffix, plus the forms IE added.
fn recognised(token: &Token, tables: &Tables) -> bool {
    match &token.class {
        TokenClass::Valid { .. } => true,
        TokenClass::SuffixNotAllowed { entry, .. } | TokenClass::Obsolete { entry, .. } => {
            tables.also_recognised.contains(&entry.name)
        }
        TokenClass::Placeholder | TokenClass::Unknown => false,
    }
}

/// Evaluates a policy; `None` is a cookie sent without a compact policy.
pub fn evaluate(policy: Option<&CompactPolicy>) -> Evaluation {
    let tables = tables();
    let tokens: &[Token] = policy.map_or(&[], |policy| &policy.tokens);
    let (seen, ignored): (Vec<&Token>, Vec<&Token>) =
        tokens.iter().partition(|token| recognised(token, tables));
    let pii: Vec<Token> = seen
        .iter()
        .filter(|t| t.suffix().is_none() && tables.pii.iter().any(|p| Some(p.as_str()) == t.base()))
        .map(|t| (*t).clone())
        .collect();
    let uses: Vec<&Token> = seen
        .iter()
        .copied()
        .filter(|t| {
            t.base()
                .is_some_and(|b| tables.unsatisfactory.iter().any(|u| u == b))
        })
        .collect();
    let weak = |t: &&Token| matches!(t.suffix(), None | Some('a'));
    let consent = if pii.is_empty() || uses.is_empty() {
        ConsentClass::NotApplicable
    } else if uses.iter().any(weak) {
        ConsentClass::NoConsent
    } else if uses.iter().any(|t| t.suffix() == Some('o')) {
        ConsentClass::Implicit
    } else {
        ConsentClass::Explicit
    };
    let offending = match consent {
        ConsentClass::NotApplicable | ConsentClass::Explicit => Vec::new(),
        _ => uses
            .iter()
            .filter(|t| t.suffix() != Some('i'))
            .map(|t| (*t).clone())
            .collect(),
    };
    let mut cells = Vec::with_capacity(16);
    for cookie in Cookie::ALL {
        for context in Party::ALL {
            for level in &tables.level {
                let setting = match context {
                    Party::FirstParty => &level.first_party,
                    Party::ThirdParty => &level.third_party,
                };
                let (action, reason) = match policy {
                    None => no_policy(setting, cookie, &tables.reasons),
                    Some(_) => with_policy(setting, cookie, consent, &tables.reasons),
                };
                cells.push(Cell {
                    cookie,
                    context,
                    level: level.name.clone(),
                    level_title: level.title.clone(),
                    action,
                    reason,
                });
            }
        }
    }
    Evaluation {
        consent,
        has_policy: policy.is_some(),
        pii,
        offending,
        ignored: ignored.into_iter().cloned().collect(),
        cells,
    }
}

fn no_policy(setting: &Setting, cookie: Cookie, reasons: &Reasons) -> (Action, String) {
    let action = match (setting.no_policy, cookie) {
        // A session cookie is already what a downgrade would make of it.
        (Action::Downgrade, Cookie::Session) => Action::Accept,
        (action, _) => action,
    };
    let reason = match action {
        Action::Accept => &reasons.no_policy_accept,
        Action::Downgrade => &reasons.no_policy_downgrade,
        Action::Leash => &reasons.no_policy_leash,
        Action::Block => &reasons.no_policy_block,
    };
    (action, reason.clone())
}

fn with_policy(
    setting: &Setting,
    cookie: Cookie,
    consent: ConsentClass,
    reasons: &Reasons,
) -> (Action, String) {
    let satisfied = matches!(
        (setting.requires, consent),
        (Requirement::None, _)
            | (_, ConsentClass::NotApplicable | ConsentClass::Explicit)
            | (Requirement::Implicit, ConsentClass::Implicit)
    );
    let failure = setting.fails_with.unwrap_or(Action::Block);
    let accepted = satisfied
        || (cookie == Cookie::Session
            && (failure == Action::Downgrade || setting.session_always_accepted));
    if accepted {
        return (Action::Accept, reasons.accepted.clone());
    }
    let reason = match (&setting.reason, setting.requires, failure) {
        (Some(reason), _, _) => reason.clone(),
        (None, Requirement::Explicit, _) => reasons.explicit_block.clone(),
        (None, _, Action::Downgrade) => reasons.implicit_downgrade.clone(),
        (None, _, _) => reasons.implicit_block.clone(),
    };
    (failure, reason)
}

/// The (context, level title) pairs at which a persistent cookie is accepted.
pub fn accepted_cells(evaluation: &Evaluation) -> Vec<(Party, String)> {
    evaluation
        .cells
        .iter()
        .filter(|c| c.cookie == Cookie::Persistent && c.action == Action::Accept)
        .map(|c| (c.context, c.level_title.clone()))
        .collect()
}

/// The policy with every offending use given `suffix` (`o` or `i`), as IE would read it.
pub fn with_consent(policy: &CompactPolicy, offending: &[Token], suffix: char) -> CompactPolicy {
    let mut changed = policy.clone();
    for token in &mut changed.tokens {
        if offending
            .iter()
            .any(|o| o.span == token.span && o.text == token.text)
            && let Some(base) = token.base()
        {
            token.text = format!("{base}{suffix}");
            token.class = crate::parse::compact::classify(&token.text);
        }
    }
    changed
}

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

/// The evaluation as JSON: verdict, consent, the 16 cells, causes.
pub fn render_json(evaluation: &Evaluation) -> serde_json::Value {
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
    let tokens =
        |tokens: &[Token]| -> Vec<String> { tokens.iter().map(|t| t.text.clone()).collect() };
    serde_json::json!({
        "verdict": verdict,
        "has_policy": evaluation.has_policy,
        "consent": consent,
        "pii": tokens(&evaluation.pii),
        "offending": tokens(&evaluation.offending),
        "ignored": tokens(&evaluation.ignored),
        "cells": evaluation.cells.iter().map(|cell| serde_json::json!({
            "cookie": cell.cookie.as_str(),
            "context": cell.context.as_str(),
            "level": cell.level,
            "action": cell.action.as_str(),
            "reason": cell.reason,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_complete() {
        let tables = tables();
        assert_eq!(tables.level.len(), 4);
        assert_eq!(evaluate(None).cells.len(), 16);
        for level in &tables.level {
            for setting in [&level.first_party, &level.third_party] {
                assert_eq!(
                    setting.requires == Requirement::None,
                    setting.fails_with.is_none(),
                    "{}: a level that requires consent must say what failing does",
                    level.name
                );
            }
        }
    }
}
