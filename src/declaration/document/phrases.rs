//! The phrase tables of `rules/documents/<language>.toml`, and how a document's words are
//! compared with them: case, runs of white space, typographic quotes and trailing punctuation do
//! not count.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/document_languages.rs"));

/// The sections of the editor's layout, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    About,
    Disputes,
    Additional,
    DataCollection,
    Cookies,
    CompactPolicy,
    Evaluation,
}

impl Section {
    /// The English heading, for messages.
    pub fn title(self) -> &'static str {
        match self {
            Section::About => "About Us",
            Section::Disputes => "Dispute Resolution and Privacy Seals",
            Section::Additional => "Additional Information",
            Section::DataCollection => "Data Collection",
            Section::Cookies => "Cookies",
            Section::CompactPolicy => "Compact Policy Summary",
            Section::Evaluation => "Policy Evaluation",
        }
    }
}

/// One language's phrases, as written in its file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Language {
    pub language: String,
    pub sections: BTreeMap<Section, Vec<String>>,
    pub framing: Framing,
    pub evaluation: EvaluationPhrases,
    pub retention_claims: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub purposes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub recipients: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub categories: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub data: BTreeMap<String, Vec<String>>,
    pub cookies: CookiePhrases,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Framing {
    pub group_count: Vec<String>,
    pub group: Vec<String>,
    pub required: Vec<String>,
    pub collect: Vec<String>,
    pub optional_collect: Vec<String>,
    pub purposes: Vec<String>,
    pub ours: Vec<String>,
    pub recipients: Vec<String>,
    pub non_identifiable: Vec<String>,
    pub explanation: Vec<String>,
    pub cookie_purposes: Vec<String>,
    pub compact_policy: Vec<String>,
    pub token_table: Vec<String>,
    pub table_header: Vec<String>,
    pub disputes: Vec<String>,
    pub opt_in: Vec<String>,
    pub opt_out: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EvaluationPhrases {
    pub advice: Vec<String>,
    pub satisfactory: Vec<String>,
    pub unsatisfactory: Vec<String>,
    pub persistent: Vec<String>,
    pub session: Vec<String>,
    pub columns: Vec<String>,
    /// Level (`medium-high`) -> its names.
    pub levels: BTreeMap<String, Vec<String>>,
    /// `accept`, `downgrade`, `block`, `leash` -> sentences that say so.
    pub actions: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookiePhrases {
    pub uses: Vec<String>,
}

/// Every language of `rules/documents/`, parsed once; their validity is checked by the tests.
pub fn languages() -> &'static [Language] {
    static LANGUAGES: OnceLock<Vec<Language>> = OnceLock::new();
    LANGUAGES.get_or_init(|| {
        DOCUMENT_LANGUAGES
            .iter()
            .map(|(name, text)| {
                toml::from_str(text)
                    .unwrap_or_else(|err| panic!("rules/documents/{name} is valid (tests): {err}"))
            })
            .collect()
    })
}

/// The English name a policy editor prints for `element` (`physical`: "Physical contact
/// information"), for reports that describe a declaration in words.
pub fn english_name(kind: ItemKind, element: &str) -> Option<&'static str> {
    let english = languages()
        .iter()
        .find(|language| language.language == "English")?;
    let table = match kind {
        ItemKind::Purpose => &english.purposes,
        ItemKind::Recipient => &english.recipients,
        ItemKind::Category => &english.categories,
        ItemKind::Data => &english.data,
    };
    table.get(element)?.first().map(String::as_str)
}

/// Which table an item name was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Purpose,
    Recipient,
    Category,
    Data,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Purpose => "purpose",
            ItemKind::Recipient => "recipient",
            ItemKind::Category => "data category",
            ItemKind::Data => "data element",
        }
    }
}

/// An item name recognised: its table and the element (or data reference) it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub kind: ItemKind,
    pub element: String,
}

/// The item names of every language, folded, with what they name.
pub struct ItemNames {
    names: Vec<(String, Named)>,
    /// Folded name -> indices into `names`.
    index: std::collections::HashMap<String, Vec<usize>>,
}

pub fn item_names() -> &'static ItemNames {
    static NAMES: OnceLock<ItemNames> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names = Vec::new();
        for language in languages() {
            let tables = [
                (ItemKind::Purpose, &language.purposes),
                (ItemKind::Recipient, &language.recipients),
                (ItemKind::Category, &language.categories),
                (ItemKind::Data, &language.data),
            ];
            for (kind, table) in tables {
                for (element, spellings) in table {
                    for spelling in spellings {
                        let named = Named {
                            kind,
                            element: element.clone(),
                        };
                        names.push((fold_item(spelling), named));
                    }
                }
            }
        }
        let mut index: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        for (at, (name, _)) in names.iter().enumerate() {
            index.entry(name.clone()).or_default().push(at);
        }
        ItemNames { names, index }
    })
}

impl ItemNames {
    /// What `item` names, preferring `expected` when it is in more than one table (`Cookies`).
    pub fn lookup(&self, item: &str, expected: ItemKind) -> Option<&Named> {
        let found = self.index.get(&fold_item(item))?;
        let named = |at: &usize| self.names.get(*at).map(|(_, named)| named);
        found
            .iter()
            .filter_map(named)
            .find(|named| named.kind == expected)
            .or_else(|| found.first().and_then(named))
    }

    /// The closest known name of `kind`, for did-you-mean.
    pub fn closest(&self, item: &str, kind: ItemKind) -> Option<&str> {
        let folded = fold_item(item);
        crate::suggest::closest(
            &folded,
            self.names
                .iter()
                .filter(|(_, named)| named.kind == kind)
                .map(|(name, _)| name.as_str()),
        )
    }
}

/// `text` folded for comparison, with, for each byte of the result, the byte of `text` it came
/// from: lower case, one space for any run of white space, straight quotes for typographic ones.
pub fn fold(text: &str) -> (String, Vec<usize>) {
    fn push(folded: &mut String, origin: &mut Vec<usize>, ch: char, at: usize) {
        origin.extend(std::iter::repeat_n(at, ch.len_utf8()));
        folded.push(ch);
    }
    let mut folded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    for (at, ch) in text.char_indices() {
        match ch {
            // Most of a document is ASCII: no Unicode tables for it.
            c if c.is_ascii() && !c.is_ascii_whitespace() => {
                origin.push(at);
                folded.push(c.to_ascii_lowercase());
            }
            c if c.is_whitespace() => {
                if !folded.is_empty() && !folded.ends_with(' ') {
                    push(&mut folded, &mut origin, ' ', at);
                }
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
            | '\u{00BB}' => push(&mut folded, &mut origin, '"', at),
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => {
                push(&mut folded, &mut origin, '\'', at)
            }
            c => {
                for lower in c.to_lowercase() {
                    push(&mut folded, &mut origin, lower, at);
                }
            }
        }
    }
    if folded.ends_with(' ') {
        folded.pop();
        origin.pop();
    }
    (folded, origin)
}

/// An item name folded, without the punctuation that ends a list item.
pub fn fold_item(text: &str) -> String {
    if text.is_ascii() {
        let mut folded = String::with_capacity(text.len());
        for word in text.split_ascii_whitespace() {
            if !folded.is_empty() {
                folded.push(' ');
            }
            folded.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        }
        let kept = folded.trim_end_matches(['.', ':', ';', ',', ' ']).len();
        folded.truncate(kept);
        return folded;
    }
    let (folded, _) = fold(text);
    folded
        .trim_end_matches(['.', ':', ';', ',', ' '])
        .trim()
        .to_string()
}

/// A phrase, as matched: the literal parts between its `{placeholders}`, folded.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Its index among the compiled phrases, whose first literals one automaton finds at once;
    /// `usize::MAX` for a pattern outside that set.
    pub id: usize,
    literals: Vec<String>,
    /// Whether the phrase ends with a placeholder (it takes the rest of the text).
    open_end: bool,
}

/// Where a pattern matched in a folded text: the whole match and each placeholder's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub range: Range<usize>,
    pub captures: Vec<Range<usize>>,
}

impl Pattern {
    pub fn new(phrase: &str) -> Pattern {
        let (folded, _) = fold(phrase);
        let folded = folded.trim_end_matches(['.', ':']).to_string();
        let mut literals = Vec::new();
        let mut rest = folded.as_str();
        let mut open_end = false;
        loop {
            match rest.find('{') {
                Some(open) => {
                    literals.push(rest[..open].to_string());
                    let close = rest[open..].find('}').map_or(rest.len(), |i| open + i + 1);
                    rest = &rest[close..];
                    if rest.is_empty() {
                        open_end = true;
                        break;
                    }
                }
                None => {
                    literals.push(rest.to_string());
                    break;
                }
            }
        }
        Pattern {
            id: usize::MAX,
            literals,
            open_end,
        }
    }

    /// The words the pattern starts with.
    pub fn first(&self) -> &str {
        self.literals.first().map_or("", String::as_str)
    }

    /// The first match in `folded` starting at or after `from`, on word boundaries.
    pub fn find(&self, folded: &str, from: usize) -> Option<Match> {
        let first = self.literals.first()?;
        let mut start = from;
        while start <= folded.len() {
            let at = if first.is_empty() {
                start
            } else {
                start + folded.get(start..)?.find(first.as_str())?
            };
            if let Some(found) = self.match_at(folded, at) {
                return Some(found);
            }
            start = at + folded[at..].chars().next().map_or(1, char::len_utf8);
        }
        None
    }

    /// A match that starts exactly at `at`.
    pub fn match_at(&self, folded: &str, at: usize) -> Option<Match> {
        let first = self.literals.first()?;
        if !boundary_before(folded, at) || !folded.get(at..)?.starts_with(first.as_str()) {
            return None;
        }
        let mut pos = at + first.len();
        let mut captures = Vec::new();
        for literal in &self.literals[1..] {
            let found = pos + folded.get(pos..)?.find(literal.as_str())?;
            captures.push(trimmed(folded, pos..found));
            pos = found + literal.len();
        }
        if self.open_end {
            let end = folded.len();
            captures.push(trimmed(folded, pos..end));
            pos = end;
        }
        let last_is_word = self
            .literals
            .last()
            .and_then(|l| l.chars().last())
            .is_some_and(char::is_alphanumeric);
        if last_is_word && !boundary_after(folded, pos) {
            return None;
        }
        if captures.iter().any(|c| c.is_empty()) {
            return None;
        }
        Some(Match {
            range: at..pos,
            captures,
        })
    }
}

fn boundary_before(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
}

fn boundary_after(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric())
}

/// `range` without surrounding spaces and quotes, and without closing punctuation.
fn trimmed(text: &str, range: Range<usize>) -> Range<usize> {
    let part = &text[range.clone()];
    let start_trim = part.len() - part.trim_start_matches([' ', '"', '\'']).len();
    let inner = &part[start_trim..];
    let kept = inner
        .trim_end_matches([' ', '"', '\'', '.', ':', ',', ';'])
        .len();
    range.start + start_trim..range.start + start_trim + kept
}

/// Patterns of a phrase list.
pub fn patterns(phrases: &[String]) -> Vec<Pattern> {
    phrases.iter().map(|p| Pattern::new(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_file_is_valid_and_names_real_elements() {
        use crate::declaration::{Resolved, entry_for_element, schema};
        use crate::vocabulary::TokenKind;
        assert!(languages().len() >= 2);
        for language in languages() {
            for (kind, table) in [
                (TokenKind::Purpose, &language.purposes),
                (TokenKind::Recipient, &language.recipients),
                (TokenKind::Category, &language.categories),
            ] {
                for element in table.keys() {
                    assert!(
                        entry_for_element(kind, element).is_some(),
                        "{}: {element} is no {kind:?}",
                        language.language
                    );
                }
            }
            for reference in language.data.keys() {
                assert!(
                    matches!(
                        schema().resolve(reference),
                        Some(Resolved::Fixed(_) | Resolved::Variable)
                    ),
                    "{}: {reference}",
                    language.language
                );
            }
            for level in language.evaluation.levels.keys() {
                assert!(
                    crate::ie6::tables().levels().any(|(name, _)| name == level),
                    "{level}"
                );
            }
            for action in language.evaluation.actions.keys() {
                assert!(["accept", "downgrade", "block", "leash"].contains(&action.as_str()));
            }
            for retention in language.retention_claims.keys() {
                assert!(
                    retention == "no-retention"
                        || entry_for_element(TokenKind::Retention, retention).is_some(),
                    "{retention}"
                );
            }
        }
    }

    #[test]
    fn folding_ignores_case_space_and_quote_style() {
        assert_eq!(fold("  Grupp  ”Cookies”\t").0, "grupp \"cookies\"");
        assert_eq!(
            fold_item("Research and development."),
            "research and development"
        );
    }

    #[test]
    fn patterns_capture_what_varies_on_word_boundaries() {
        let count = Pattern::new("This policy contains {n} data groups");
        let text = fold("p3p x. this policy contains 4 data groups. the data").0;
        let found = count.find(&text, 0).unwrap();
        assert_eq!(&text[found.captures[0].clone()], "4");
        let singular = Pattern::new("This policy contains {n} data group");
        assert_eq!(singular.find(&text, 0), None);
        let group = Pattern::new("Group \"{name}\"");
        let text = fold("Group “Access log” (required)").0;
        let found = group.match_at(&text, 0).unwrap();
        assert_eq!(&text[found.captures[0].clone()], "access log");
        let ours = Pattern::new("used by {entity} and its agents");
        let text = fold("This data will be used by Acme and its agents.").0;
        assert_eq!(
            &text[ours.find(&text, 0).unwrap().captures[0].clone()],
            "acme"
        );
    }
}
