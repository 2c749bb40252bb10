//! The compact policy itself: a `CP` value split into tokens, each classified against the
//! vocabulary. Classification never fails; a token that is not P3P becomes `Unknown`.

use crate::source::Span;
use crate::vocabulary::{Consent, Entry, Status, TokenKind, split_suffix, vocabulary};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenClass {
    /// A P3P 1.0 token with a suffix the grammar allows (or none).
    Valid {
        entry: &'static Entry,
        suffix: Option<char>,
    },
    /// A P3P token with an `a`/`i`/`o` suffix on a kind that takes none (`PHYa`, `CURa`).
    SuffixNotAllowed { entry: &'static Entry, suffix: char },
    /// A token seen in the wild but not in P3P 1.0 (`CUS`).
    Obsolete {
        entry: &'static Entry,
        suffix: Option<char>,
    },
    /// A run-time placeholder of a template (`{}`, `{tokens}`, `$cp`): not checked.
    Placeholder,
    /// Anything else.
    Unknown,
}

/// One token with its span in the source file.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub text: String,
    pub span: Span,
    pub class: TokenClass,
}

impl Token {
    /// The vocabulary entry of a token whose meaning is clear, even when its spelling is off.
    pub fn entry(&self) -> Option<&'static Entry> {
        match &self.class {
            TokenClass::Valid { entry, .. }
            | TokenClass::SuffixNotAllowed { entry, .. }
            | TokenClass::Obsolete { entry, .. } => Some(entry),
            TokenClass::Placeholder | TokenClass::Unknown => None,
        }
    }

    pub fn kind(&self) -> Option<TokenKind> {
        self.entry().map(|entry| entry.kind)
    }

    pub fn base(&self) -> Option<&'static str> {
        self.entry().map(|entry| entry.name.as_str())
    }

    pub fn suffix(&self) -> Option<char> {
        match &self.class {
            TokenClass::Valid { suffix, .. } | TokenClass::Obsolete { suffix, .. } => *suffix,
            TokenClass::SuffixNotAllowed { suffix, .. } => Some(*suffix),
            TokenClass::Placeholder | TokenClass::Unknown => None,
        }
    }

    pub fn consent(&self) -> Option<Consent> {
        self.entry()?;
        Consent::from_suffix(self.suffix())
    }
}

/// A parsed `CP` value.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactPolicy {
    /// The span of the value, inside its quotes.
    pub span: Span,
    pub tokens: Vec<Token>,
}

impl CompactPolicy {
    /// Tokens whose base is `name`, in order. The name is looked up once and tokens are matched
    /// by their vocabulary entry, not their text: checks ask this of every policy.
    pub fn with_base<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Token> {
        let wanted = vocabulary().get(name);
        self.tokens.iter().filter(move |token| {
            matches!((wanted, token.entry()), (Some(wanted), Some(entry)) if std::ptr::eq(wanted, entry))
        })
    }

    pub fn has_placeholders(&self) -> bool {
        self.tokens
            .iter()
            .any(|token| token.class == TokenClass::Placeholder)
    }

    /// True when no token is P3P at all: free text, an empty value, a joke.
    pub fn is_free_text(&self) -> bool {
        !self.has_placeholders() && self.tokens.iter().all(|token| token.entry().is_none())
    }
}

/// Classifies one token.
pub fn classify(text: &str) -> TokenClass {
    if is_placeholder(text) {
        return TokenClass::Placeholder;
    }
    let vocabulary = vocabulary();
    let (base, suffix) = split_suffix(text);
    let Some(entry) = vocabulary.get(base) else {
        return TokenClass::Unknown;
    };
    match (entry.status, suffix) {
        (Status::Obsolete, _) if suffix.is_none() || entry.suffix => {
            TokenClass::Obsolete { entry, suffix }
        }
        (Status::Obsolete, _) => TokenClass::Unknown,
        (Status::Standard, None) => TokenClass::Valid {
            entry,
            suffix: None,
        },
        (Status::Standard, Some(suffix)) if entry.suffix => TokenClass::Valid {
            entry,
            suffix: Some(suffix),
        },
        (Status::Standard, Some(suffix)) => TokenClass::SuffixNotAllowed { entry, suffix },
    }
}

/// Template placeholders filled at run time: `{}`, `{name}`, `${name}`, `$name`, `%s`, `<%= %>`.
fn is_placeholder(text: &str) -> bool {
    (text.contains('{') && text.contains('}'))
        || text.starts_with('$')
        || text.starts_with("%s")
        || text.starts_with("<%")
        || text.starts_with("<?")
}

/// Splits a `CP` value (`value` stands at `offset` in the text that maps to the source) into
/// tokens. Spans are offsets into that text; the caller maps them to the source. Tokens are
/// separated by spaces; tabs and commas also separate them (the header parser reports those).
pub fn tokenize(value: &str, offset: usize) -> Vec<(String, Span)> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (at, ch) in value
        .char_indices()
        .chain(std::iter::once((value.len(), ' ')))
    {
        let separator = ch.is_whitespace() || ch == ',';
        match (separator, start) {
            (true, Some(from)) => {
                tokens.push((value[from..at].to_string(), offset + from..offset + at));
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &str) {
        let actual = match classify(text) {
            TokenClass::Valid { entry, suffix } => format!("valid {} {suffix:?}", entry.name),
            TokenClass::SuffixNotAllowed { entry, suffix } => {
                format!("suffix-not-allowed {} {suffix}", entry.name)
            }
            TokenClass::Obsolete { entry, suffix } => format!("obsolete {} {suffix:?}", entry.name),
            TokenClass::Placeholder => "placeholder".to_string(),
            TokenClass::Unknown => "unknown".to_string(),
        };
        assert_eq!(actual, expected, "{text}");
    }

    #[test]
    fn classifies_tokens() {
        check("NOI", "valid NOI None");
        check("CONi", "valid CON Some('i')");
        check("CURa", "suffix-not-allowed CUR a");
        check("PHYa", "suffix-not-allowed PHY a");
        check("CUSo", "obsolete CUS Some('o')");
        check("phy", "unknown");
        check("CONA", "unknown");
        check("CONx", "unknown");
        check("HONK", "unknown");
        check("{}", "placeholder");
        check("$cp", "placeholder");
    }

    #[test]
    fn tokenizes_on_any_whitespace_and_commas() {
        let tokens: Vec<_> = tokenize(" NOI  DSP,COR\tCUR", 10)
            .into_iter()
            .map(|(text, span)| format!("{text}@{span:?}"))
            .collect();
        assert_eq!(
            tokens,
            ["NOI@11..14", "DSP@16..19", "COR@20..23", "CUR@24..27"]
        );
    }
}
