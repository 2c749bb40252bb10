//! The compact-policy vocabulary, loaded once from the embedded `rules/vocabulary.toml`.
//!
//! Everything the code knows about individual tokens (kind, suffix rule, meaning) comes from that
//! file; no token name is spelled out in Rust except in tests.

use serde::Deserialize;
use std::sync::OnceLock;

/// The kind of a compact token, as grouped in P3P 1.0 section 4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    Access,
    Disputes,
    Remedies,
    NonIdentifiable,
    Purpose,
    Recipient,
    Retention,
    Category,
    Test,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Disputes => "disputes",
            TokenKind::Remedies => "remedies",
            TokenKind::NonIdentifiable => "non-identifiable",
            TokenKind::Purpose => "purpose",
            TokenKind::Recipient => "recipient",
            TokenKind::Retention => "retention",
            TokenKind::Category => "category",
            TokenKind::Test => "test",
        }
    }
}

/// Whether a token is part of P3P 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    #[default]
    Standard,
    Obsolete,
}

/// One token of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub kind: TokenKind,
    /// Whether the grammar allows an `a`/`i`/`o` consent suffix.
    pub suffix: bool,
    #[serde(default)]
    pub status: Status,
    /// The full-policy element the token stands for.
    pub element: String,
    pub meaning: String,
    /// A category that identifies a person (`identifies = true` in the vocabulary).
    #[serde(default)]
    pub identifies: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabularyFile {
    token: Vec<Entry>,
    #[serde(default)]
    misspellings: std::collections::BTreeMap<String, String>,
}

/// The whole vocabulary.
#[derive(Debug)]
pub struct Vocabulary {
    entries: Vec<Entry>,
    /// Token name -> index into `entries`: every token of every policy is looked up.
    by_name: std::collections::HashMap<String, usize>,
    /// Known misspelling -> the token it stands for.
    misspellings: std::collections::BTreeMap<String, String>,
}

pub const SOURCE: &str = include_str!("../rules/vocabulary.toml");

impl Vocabulary {
    pub fn parse(text: &str) -> Result<Vocabulary, toml::de::Error> {
        let file: VocabularyFile = toml::from_str(text)?;
        let mut by_name = std::collections::HashMap::new();
        for (index, entry) in file.token.iter().enumerate() {
            // The first entry of a name wins, as a linear search would find it.
            by_name.entry(entry.name.clone()).or_insert(index);
        }
        Ok(Vocabulary {
            entries: file.token,
            by_name,
            misspellings: file.misspellings,
        })
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(*self.by_name.get(name)?)
    }

    /// The token that stands for a full-policy element (`<DISPUTES-GROUP>` is `DSP`): derive
    /// names elements, never tokens, so the mapping stays in `rules/vocabulary.toml`.
    pub fn for_element(&self, element: &str) -> Option<&Entry> {
        self.entries().iter().find(|entry| entry.element == element)
    }

    /// The token a known misspelling stands for.
    pub fn misspelling(&self, text: &str) -> Option<&Entry> {
        self.get(self.misspellings.get(text)?)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// The embedded vocabulary. Its validity is an invariant checked by the test suite, so a broken
/// file can only come from a broken build.
pub fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        Vocabulary::parse(SOURCE).expect("rules/vocabulary.toml is valid (tests/it/rules.rs)")
    })
}

/// The consent a suffix gives (P3P `required`): none or `a` is always, `i` opt-in, `o` opt-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Consent {
    Always,
    OptOut,
    OptIn,
}

impl Consent {
    pub fn from_suffix(suffix: Option<char>) -> Option<Consent> {
        match suffix {
            None | Some('a') => Some(Consent::Always),
            Some('o') => Some(Consent::OptOut),
            Some('i') => Some(Consent::OptIn),
            Some(_) => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Always => "always",
            Consent::OptOut => "opt-out",
            Consent::OptIn => "opt-in",
        }
    }
}

/// Splits `CONa` into (`CON`, `a`). Only the lower-case consent letters are suffixes.
pub fn split_suffix(text: &str) -> (&str, Option<char>) {
    match text.as_bytes() {
        [a, b, c, suffix @ (b'a' | b'i' | b'o')]
            if [a, b, c].iter().all(|byte| byte.is_ascii_uppercase()) =>
        {
            (&text[..3], Some(char::from(*suffix)))
        }
        _ => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_has_the_52_standard_tokens_once_each() {
        let vocabulary = vocabulary();
        let standard: Vec<_> = vocabulary
            .entries()
            .iter()
            .filter(|entry| entry.status == Status::Standard)
            .collect();
        assert_eq!(standard.len(), 52);
        let mut names: Vec<_> = vocabulary.entries().iter().map(|e| &e.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), vocabulary.entries().len(), "duplicate token");
        let count = |kind| standard.iter().filter(|e| e.kind == kind).count();
        assert_eq!(count(TokenKind::Access), 6);
        assert_eq!(count(TokenKind::Purpose), 12);
        assert_eq!(count(TokenKind::Recipient), 6);
        assert_eq!(count(TokenKind::Retention), 5);
        assert_eq!(count(TokenKind::Category), 17);
        assert!(!vocabulary.get("CUR").unwrap().suffix);
        assert!(vocabulary.get("CON").unwrap().suffix);
        for target in vocabulary.misspellings.values() {
            assert!(
                vocabulary.get(target).is_some(),
                "misspelling of unknown {target}"
            );
        }
    }
}
