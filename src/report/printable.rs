//! Text from checked files made safe for a terminal or a CI log: control characters (escape,
//! bell, NUL, C1 controls, a carriage return that does not end a line) and bidirectional
//! overrides could otherwise recolour, rewrite or hide what a reader sees.

use crate::diagnostic::Diagnostic;
use crate::source::{SourceDb, SourceFile};
use std::borrow::Cow;

fn is_unsafe(ch: char, next: Option<char>) -> bool {
    match ch {
        '\n' | '\t' => false,
        '\r' => next != Some('\n'),
        // Bidirectional embeddings, overrides and isolates ("Trojan Source").
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        _ => ch.is_control(),
    }
}

/// `text` with every unsafe character replaced by as many `?` as it has bytes, so byte offsets
/// into it stay valid.
pub fn printable(text: &str) -> Cow<'_, str> {
    let mut chars = text.chars().peekable();
    let mut clean = true;
    while let Some(ch) = chars.next() {
        if is_unsafe(ch, chars.peek().copied()) {
            clean = false;
            break;
        }
    }
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if is_unsafe(ch, chars.peek().copied()) {
            out.extend(std::iter::repeat_n('?', ch.len_utf8()));
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// The database with printable texts and names, when any needs it.
pub fn printable_db(db: &SourceDb) -> Cow<'_, SourceDb> {
    let needs = db.files().iter().any(|file| {
        matches!(printable(&file.text), Cow::Owned(_))
            || matches!(printable(&file.name), Cow::Owned(_))
    });
    if !needs {
        return Cow::Borrowed(db);
    }
    let mut clean = SourceDb::default();
    for file in db.files() {
        let mut copy = SourceFile::new(printable(&file.name), printable(&file.text));
        copy.path = file.path.clone();
        clean.add(copy);
    }
    Cow::Owned(clean)
}

/// A diagnostic whose messages are printable.
pub fn printable_diagnostic(diagnostic: &Diagnostic) -> Cow<'_, Diagnostic> {
    let all_clean = std::iter::once(&diagnostic.message)
        .chain(std::iter::once(&diagnostic.primary.message))
        .chain(diagnostic.related.iter().map(|label| &label.message))
        .chain(&diagnostic.notes)
        .chain(&diagnostic.help)
        .chain(diagnostic.fix.iter().map(|fix| &fix.message))
        .all(|text| matches!(printable(text), Cow::Borrowed(_)));
    if all_clean {
        return Cow::Borrowed(diagnostic);
    }
    let fix = |text: &mut String| *text = printable(text).into_owned();
    let mut copy = diagnostic.clone();
    fix(&mut copy.message);
    fix(&mut copy.primary.message);
    copy.related
        .iter_mut()
        .for_each(|label| fix(&mut label.message));
    copy.notes.iter_mut().for_each(fix);
    copy.help.iter_mut().for_each(fix);
    copy.fix.iter_mut().for_each(|f| fix(&mut f.message));
    Cow::Owned(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_question_marks_of_the_same_length() {
        assert_eq!(printable("a\u{1b}[31mb\u{7}"), "a?[31mb?");
        assert_eq!(printable("x\u{9b}y\u{202e}z"), "x??y???z");
        assert_eq!(printable("line\r\nnext\rover"), "line\r\nnext?over");
        assert!(matches!(printable("plain\ttext\n"), Cow::Borrowed(_)));
    }
}
