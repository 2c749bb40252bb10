//! `copied-policy`: compact policies known to have spread by copying, from the table in
//! `rules/copied-policies.toml`, matched as token sets (and free text by how it starts).

use crate::diagnostic::Diagnostic;
use crate::parse::CompactPolicy;
use crate::rules::Rule;
use crate::source::FileId;
use serde::Deserialize;
use std::sync::OnceLock;

pub const SOURCE: &str = include_str!("../../rules/copied-policies.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    policy: Vec<KnownCopy>,
}

/// One well-known copied policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownCopy {
    pub id: String,
    /// The tokens, for a policy of tokens.
    pub tokens: Option<String>,
    /// How the value starts, for free text.
    pub text: Option<String>,
    /// Completes "this compact policy is ...".
    pub origin: String,
    pub spread: String,
    pub sources: Vec<String>,
    /// `tokens` as compared, or `text` folded: made once when the table is read, since every
    /// emitted policy is held against every copy.
    #[serde(skip)]
    compared: Compared,
}

#[derive(Debug, Default)]
enum Compared {
    #[default]
    Unset,
    Tokens(TokenSet<String>),
    Start(String),
}

/// The embedded table. Its validity is checked by the test suite (`table_is_valid`), so a broken
/// file can only come from a broken build.
pub fn known_copies() -> &'static [KnownCopy] {
    static TABLE: OnceLock<Vec<KnownCopy>> = OnceLock::new();
    TABLE.get_or_init(|| match parse(SOURCE) {
        Ok(copies) => copies,
        Err(err) => panic!("rules/copied-policies.toml is valid (tests): {err}"),
    })
}

fn parse(text: &str) -> Result<Vec<KnownCopy>, String> {
    let mut table: Table = toml::from_str(text).map_err(|err| err.to_string())?;
    for copy in &mut table.policy {
        copy.compared = match (&copy.tokens, &copy.text) {
            (Some(tokens), None) => Compared::Tokens(TokenSet::of(tokens.split_whitespace())),
            (None, Some(text)) => Compared::Start(folded_text(text.split_whitespace())),
            _ => return Err(format!("{}: give `tokens` or `text`, not both", copy.id)),
        };
        if copy.sources.is_empty() {
            return Err(format!("{}: no source", copy.id));
        }
    }
    Ok(table.policy)
}

/// A token as a copy is compared: its base in capitals, without a consent suffix (`CURa`,
/// `cur` and `CURo` are all `CUR`), since a copied policy keeps its tokens while its suffixes
/// get edited. Anything that is not a token is compared in capitals.
fn normalized(token: &str) -> &str {
    let bytes = token.as_bytes();
    let letters = bytes.iter().all(u8::is_ascii_alphabetic);
    match bytes.len() {
        4 if letters && matches!(bytes[3].to_ascii_lowercase(), b'a' | b'i' | b'o') => &token[..3],
        _ => token,
    }
}

/// A normalized token as a number, so sets compare without allocating: a three-letter base in
/// its bytes, anything else by an FNV-1a hash of its capitals with the top bit set.
fn key(token: &str) -> u64 {
    let base = normalized(token).as_bytes();
    if let [a, b, c] = base
        && base.iter().all(u8::is_ascii_alphabetic)
    {
        return u64::from_be_bytes([
            0,
            0,
            0,
            0,
            0,
            a.to_ascii_uppercase(),
            b.to_ascii_uppercase(),
            c.to_ascii_uppercase(),
        ]);
    }
    let mut hasher = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut hasher, &base.to_ascii_uppercase());
    std::hash::Hasher::finish(&hasher) | 1 << 63
}

/// The tokens of a policy as compared: sorted keys without repeats, each with a token it came
/// from (for messages). A known copy owns its tokens; an emitted policy's are borrowed, so
/// comparing allocates nothing per token.
#[derive(Debug, Default, PartialEq)]
struct TokenSet<T> {
    keys: Vec<(u64, T)>,
}

impl<'a, T: From<&'a str>> TokenSet<T> {
    fn of(tokens: impl Iterator<Item = &'a str>) -> TokenSet<T> {
        let mut keys: Vec<(u64, T)> = tokens.map(|token| (key(token), T::from(token))).collect();
        keys.sort_by_key(|(key, _)| *key);
        keys.dedup_by_key(|(key, _)| *key);
        TokenSet { keys }
    }
}

impl<T> TokenSet<T> {
    fn len(&self) -> usize {
        self.keys.len()
    }
}

/// How two token sets differ, counted up to two differences (more make no near copy).
struct Difference<'a> {
    added: Vec<&'a str>,
    removed: Vec<&'a str>,
    shared: usize,
}

fn difference<'a>(emitted: &'a TokenSet<&'a str>, known: &'a TokenSet<String>) -> Difference<'a> {
    let (mut i, mut j) = (0, 0);
    let mut found = Difference {
        added: Vec::new(),
        removed: Vec::new(),
        shared: 0,
    };
    let (e, k) = (&emitted.keys, &known.keys);
    while (i < e.len() || j < k.len()) && found.added.len() + found.removed.len() <= 1 {
        match (e.get(i), k.get(j)) {
            (Some(a), Some(b)) if a.0 == b.0 => {
                found.shared += 1;
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a.0 < b.0 => {
                found.added.push(a.1);
                i += 1;
            }
            (Some(a), None) => {
                found.added.push(a.1);
                i += 1;
            }
            (_, Some(b)) => {
                found.removed.push(&b.1);
                j += 1;
            }
            (None, None) => break,
        }
    }
    found
}

/// Free text as it is compared: lower case, single spaces.
fn folded_text<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words.map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// How an emitted policy matches a known copy.
#[derive(Debug)]
pub enum Match<'a> {
    Exact(&'a KnownCopy),
    /// The copy with one token added or one removed.
    Near {
        copy: &'a KnownCopy,
        added: Option<String>,
        removed: Option<String>,
    },
}

/// A near copy keeps at least this many of the copy's tokens: fewer, and a shared pair of
/// common tokens would count as copying.
const NEAR_COPY_MIN_SHARED: usize = 3;

/// The known copy `policy` is, if any: an exact copy before a near one. Only free text is held
/// against the free-text copies.
pub fn find(policy: &CompactPolicy) -> Option<Match<'static>> {
    let words = || policy.tokens.iter().map(|token| token.text.as_str());
    // Free text (lower-case tokens are free text to a user agent, and still a copy).
    if policy.is_free_text() {
        let text = folded_text(words());
        let free_text_copy = known_copies().iter().find_map(|copy| match &copy.compared {
            Compared::Start(start) if !text.is_empty() && text.starts_with(start.as_str()) => {
                Some(Match::Exact(copy))
            }
            _ => None,
        });
        if free_text_copy.is_some() {
            return free_text_copy;
        }
    }
    let emitted: TokenSet<&str> = TokenSet::of(words());
    let mut near = None;
    for copy in known_copies() {
        let Compared::Tokens(known) = &copy.compared else {
            continue;
        };
        // A set two or more tokens larger or smaller cannot be within one token.
        if emitted.len().abs_diff(known.len()) > 1 {
            continue;
        }
        let difference = difference(&emitted, known);
        match (difference.added.as_slice(), difference.removed.as_slice()) {
            ([], []) => return Some(Match::Exact(copy)),
            ([added], []) | ([], [added])
                if near.is_none() && difference.shared >= NEAR_COPY_MIN_SHARED =>
            {
                let one = Some(normalized(added).to_ascii_uppercase());
                let was_added = difference.removed.is_empty();
                near = Some(Match::Near {
                    copy,
                    added: one.clone().filter(|_| was_added),
                    removed: one.filter(|_| !was_added),
                });
            }
            _ => {}
        }
    }
    near
}

/// The `copied-policy` finding for `policy`, if it is a known copy.
pub fn check(rule: &Rule, file: FileId, policy: &CompactPolicy) -> Vec<Diagnostic> {
    let Some(found) = find(policy) else {
        return Vec::new();
    };
    let (copy, message, label) = match &found {
        Match::Exact(copy) => (
            *copy,
            format!("this compact policy is {}", copy.origin),
            "a copy",
        ),
        Match::Near {
            copy,
            added,
            removed,
        } => {
            let change = match (added, removed) {
                (Some(token), _) => format!("with `{token}` added"),
                (None, Some(token)) => format!("without `{token}`"),
                (None, None) => String::new(),
            };
            (
                *copy,
                format!(
                    "this compact policy is a near copy of {}, {change}",
                    copy.origin
                ),
                "a near copy",
            )
        }
    };
    let mut diagnostic = Diagnostic::new(rule.id, file, policy.span.clone(), message)
        .with_label(label)
        .with_note(format!("it spread because it was {}", copy.spread))
        .with_note(
            "a copied policy states someone else's practices, or none: it misrepresents this \
             site even where it is valid",
        );
    if let Some(tokens) = &copy.tokens {
        diagnostic = diagnostic.with_note(format!("the copied policy: CP=\"{tokens}\""));
    }
    diagnostic = diagnostic
        .with_note(format!("source: {}", copy.sources[0]))
        .with_help(
            "send the policy your own declaration implies: `p3plint derive <policy file>` prints \
             it",
        );
    vec![diagnostic]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_valid_and_every_entry_cites_a_source() {
        let copies = parse(SOURCE).expect("valid");
        assert!(copies.len() >= 6);
        for copy in &copies {
            assert!(copy.sources.iter().all(|source| source.starts_with('[')));
        }
        let broken = "[[policy]]\nid = \"x\"\ntokens = \"A\"\ntext = \"b\"\norigin = \"o\"\nspread = \"s\"\nsources = [\"[2nd] s\"]\n";
        assert!(parse(broken).unwrap_err().contains("not both"));
    }

    #[test]
    fn tokens_are_normalized_for_comparison() {
        assert_eq!(normalized("CURa"), "CUR");
        assert_eq!(normalized("psai"), "psa");
        assert_eq!(key("psai"), key("PSA"));
        assert_eq!(key("OTRO"), key("OTR"));
        assert_ne!(key("NAV"), key("NAVY"));
        assert_eq!(key("free-text"), key("FREE-TEXT"));
        assert_ne!(key("CP=NOI"), key("NOI"));
    }
}
