//! Policy documents: the human-readable privacy policy a P3P policy editor published (HTML, a
//! template, Markdown or plain text, in any language of `rules/documents/`), read as a
//! declaration. Its groups become statements like those of the XML and TOML readers; what only a
//! document has (the group count it states, the compact policy and token table it publishes, its
//! IE6 evaluation, sentences about retention) is kept beside them for the document's own rules.
//!
//! `blocks` turns the file into blocks of words mapped to their bytes, `phrases` holds the
//! phrase tables, `layout` walks the blocks section by section, and `checks` holds the rules.

pub mod blocks;
pub mod checks;
pub mod layout;
pub mod phrases;

use crate::declaration::Declared;
use crate::diagnostic::Diagnostic;
use crate::ie6::{Action, Cookie, Party};
use crate::parse::CompactPolicy;
use crate::rules::RuleId;
use crate::source::{FileId, Span};
use phrases::{ItemKind, Section};

/// What a document says beyond its statements.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub file: FileId,
    /// The language whose phrases matched best.
    pub language: String,
    /// Section headings found, with their spans.
    pub sections: Vec<(Section, Span)>,
    /// "This policy contains N data groups": N and the span of the number.
    pub stated_groups: Option<Declared<usize>>,
    pub groups: Vec<Group>,
    /// The Cookies section's list ("Cookies are used for the following purposes:").
    pub cookie_uses: Vec<Item>,
    /// The compact policy the document publishes.
    pub published: Option<Published>,
    pub token_table: Vec<TableRow>,
    pub evaluation: Evaluation,
    pub retention_claims: Vec<RetentionClaim>,
    /// Items under a list they do not belong to.
    pub misplaced: Vec<Misplaced>,
    /// Items and headings the reader could not map.
    pub unrecognized: Vec<Unrecognized>,
}

impl Document {
    pub fn has_section(&self, section: Section) -> bool {
        self.sections.iter().any(|(s, _)| *s == section)
    }

    /// Whether some group collects data whose categories the document does not give (custom
    /// items, `HTTP cookies`, or a group whose data list editors left empty, as they do for
    /// cookies): such a document cannot rule out any category token.
    pub fn has_unknown_categories(&self) -> bool {
        self.groups.iter().any(|group| {
            group.data.is_empty() || group.data.iter().any(|item| item.unknown_categories)
        })
    }
}

/// Words of the document and where they stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub span: Span,
}

/// One group ("Group "Cookies"").
#[derive(Debug, Clone, Default)]
pub struct Group {
    pub name: Option<String>,
    /// The heading (or, without one, the first sentence that framed the group).
    pub span: Span,
    pub data: Vec<DataItem>,
    pub non_identifiable: Option<Span>,
}

/// One data list item.
#[derive(Debug, Clone)]
pub struct DataItem {
    pub item: Item,
    pub unknown_categories: bool,
}

/// The compact policy the document publishes after "The compact policy which corresponds to
/// this policy is:".
#[derive(Debug, Clone)]
pub struct Published {
    pub policy: CompactPolicy,
    /// The whole `CP=...` as written.
    pub span: Span,
    /// Typographic quotes around the value (`CP=”...”`).
    pub typographic_quotes: Option<Span>,
}

/// One row of the token table: a token and the meaning the document gives it.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub token: Item,
    pub meaning: Item,
}

/// The IE6 evaluation section.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Satisfactory (`true`) or unsatisfactory, where the document says it.
    pub verdict: Option<Declared<bool>>,
    pub cells: Vec<StatedCell>,
    /// "Note that if you allow an opt-out, ...": what the document says a change of consent
    /// would do. Kept for readers of the `Document`; only its level names are checked.
    pub advice: Option<Item>,
    /// Level names that stand for more than one level (`medelhög`), each once.
    pub ambiguous_levels: Vec<(Item, Vec<&'static str>)>,
}

/// One line of the evaluation table: what the document says IE does.
#[derive(Debug, Clone)]
pub struct StatedCell {
    pub cookie: Cookie,
    pub party: Party,
    /// The level's kebab-case name (`medium-high`).
    pub level: String,
    pub action: Action,
    pub span: Span,
}

/// A sentence that says how long data is kept.
#[derive(Debug, Clone)]
pub struct RetentionClaim {
    /// The retention element the words claim (`stated-purpose`).
    pub retention: String,
    /// The words that say so.
    pub span: Span,
}

/// An item under the wrong heading.
#[derive(Debug, Clone)]
pub struct Misplaced {
    pub item: Item,
    /// What the item is.
    pub is: ItemKind,
    /// The list it was found in.
    pub listed_as: ItemKind,
    /// The sentence that opened that list.
    pub list_span: Span,
    pub group: Option<String>,
}

/// An item the phrase tables do not know.
#[derive(Debug, Clone)]
pub struct Unrecognized {
    pub item: Item,
    pub expected: ItemKind,
    pub suggestion: Option<String>,
}

/// What reading a document gives.
pub struct Read {
    pub policy: Option<crate::declaration::Policy>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether `text` looks like a policy document, by its content: the best language with at least
/// two kinds of its framing sentences, or `None`. A quick scan; `read` decides for good.
pub fn recognize(text: &str) -> Option<&'static phrases::Language> {
    layout::recognize(text)
}

/// Reads a document as a declaration. A text in no known layout gives no policy and one finding.
pub fn read(file: FileId, text: &str) -> Read {
    let Some((document, statements, diagnostics)) = layout::read(file, text) else {
        return Read {
            policy: None,
            diagnostics: vec![
                Diagnostic::new(
                    RuleId::MalformedPolicy,
                    file,
                    0..0,
                    "not a P3P policy: neither P3P XML, p3plint's TOML form, nor a policy \
                     document (none of the headings or framing sentences of rules/documents/ \
                     were found)",
                )
                .with_help(
                    "name a P3P policy file, a TOML declaration, or the privacy policy page a \
                     P3P policy editor published",
                ),
            ],
        };
    };
    let policy = layout::to_policy(document, statements);
    Read {
        policy: Some(policy),
        diagnostics,
    }
}

/// Every finding of a document found among the checked files: how it reads and its own rules.
pub fn check_file(file: FileId, text: &str) -> Vec<Diagnostic> {
    let read = read(file, text);
    let mut found = read.diagnostics;
    if let Some(policy) = &read.policy
        && let Some(document) = &policy.document
    {
        found.extend(checks::check(policy, document));
    }
    found
}
