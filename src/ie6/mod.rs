//! How Internet Explorer 6 treats the cookies a compact policy covers, cell by cell: four privacy
//! levels, first- and third-party context, persistent and session cookies.
//!
//! IE was lenient: it ignored every token it did not recognise and judged the rest. A policy is
//! unsatisfactory at a level when it names personally identifiable categories together with
//! unsatisfactory purposes or recipients that lack the consent the level requires. The tables
//! (categories, purposes, levels, sentences) are data in `rules/ie6.toml`. `render.rs` turns an
//! evaluation into what `p3plint ie6` prints.

pub mod render;
pub use render::{render_json, render_text, table_lines};

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

pub const SOURCE: &str = include_str!("../../rules/ie6.toml");

impl Tables {
    /// The slider's levels, low to high: (kebab-case name, title as IE shows it).
    pub fn levels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.level
            .iter()
            .map(|level| (level.name.as_str(), level.title.as_str()))
    }
}

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
