//! Did-you-mean suggestions, for misspelled tokens and for config keys and rule names.

use crate::vocabulary::split_suffix;
use crate::vocabulary::{Status, vocabulary};

/// The closest candidate to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|candidate| (strsim::osa_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// The P3P token an unknown token most likely meant, with its suffix kept where it is allowed.
pub fn token(text: &str) -> Option<String> {
    let vocabulary = vocabulary();
    // Lower-case or upper-case suffix letters: `CONA`, `cona`.
    let (base, suffix) = match text.len() {
        4 if text.is_ascii()
            && matches!(text.as_bytes()[3], b'a' | b'i' | b'o' | b'A' | b'I' | b'O') =>
        {
            (
                &text[..3],
                Some(text.as_bytes()[3].to_ascii_lowercase() as char),
            )
        }
        _ => (split_suffix(text).0, None),
    };
    let upper = base.to_ascii_uppercase();
    let entry = vocabulary
        .get(&upper)
        .or_else(|| vocabulary.misspelling(&upper))
        .or_else(|| nearest_token(&upper))?;
    let suffix = suffix.filter(|_| entry.suffix);
    let mut suggestion = entry.name.clone();
    suggestion.extend(suffix);
    (suggestion != text).then_some(suggestion)
}

/// The standard token within one edit of `base`, or within two edits when they share at least
/// two letters (so `DIS` does not become every token starting with `D`).
fn nearest_token(base: &str) -> Option<&'static crate::vocabulary::Entry> {
    if base.chars().count() != 3 || !base.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    vocabulary()
        .entries()
        .iter()
        .filter(|entry| entry.status == Status::Standard)
        .filter_map(|entry| {
            let distance = strsim::osa_distance(base, &entry.name);
            let shared = shared_letters(base, &entry.name);
            let close = distance == 1 || (distance == 2 && shared >= 2);
            close.then_some((distance, std::cmp::Reverse(shared), entry))
        })
        .min_by_key(|(distance, shared, _)| (*distance, *shared))
        .map(|(_, _, entry)| entry)
}

fn shared_letters(a: &str, b: &str) -> usize {
    let mut rest: Vec<char> = b.chars().collect();
    a.chars()
        .filter(|c| {
            rest.iter()
                .position(|r| r == c)
                .map(|at| rest.remove(at))
                .is_some()
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_miss_tokens() {
        assert_eq!(token("PVD").as_deref(), Some("PSD"));
        assert_eq!(token("OPTa").as_deref(), Some("OTPa"));
        assert_eq!(token("DIS").as_deref(), Some("DSP"));
        assert_eq!(token("phy").as_deref(), Some("PHY"));
        assert_eq!(token("CONA").as_deref(), Some("CONa"));
        assert_eq!(token("HONK"), None);
        assert_eq!(token("XYZ"), None);
    }

    #[test]
    fn suggests_close_identifiers() {
        let names = ["exclude", "include", "max-file-size"];
        assert_eq!(closest("exlude", names), Some("exclude"));
        assert_eq!(closest("output", names), None);
    }
}
