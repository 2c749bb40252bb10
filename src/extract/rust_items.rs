//! Cuts a Rust file down to what can emit before syn sees it: the top-level items that contain
//! a prefilter hit (`p3p`, `cp=`, in any case), plus the items that bind the names those items
//! use (`const`, `static`, `let`), transitively. Every other item is blanked with spaces byte
//! for byte, so every offset syn reports is still the file's own.
//!
//! A cheap lexer finds the items: strings, raw strings, chars and comments are skipped, and an
//! item ends at a `;` or a closing brace at depth 0. When the cut text does not parse, the
//! caller parses the whole file, so the cut never changes a finding.

use std::collections::HashSet;

/// One top-level item: its byte range, the names it binds, the names it uses.
#[derive(Debug, Default)]
struct Item {
    start: usize,
    end: usize,
    binds: Vec<String>,
    uses: Vec<String>,
    hit: bool,
}

/// `source` with every item that cannot emit blanked, or `None` when nothing would be blanked
/// (then the whole file is parsed as it is).
pub fn keep_items_that_can_emit(source: &str) -> Option<String> {
    let items = items(source);
    if items.len() < 2 {
        return None;
    }
    let mut keep: Vec<bool> = items.iter().map(|item| item.hit).collect();
    if !keep.iter().any(|k| *k) {
        return None;
    }
    // The names kept items use, and the items that bind them, until nothing new is added.
    let mut used: HashSet<&str> = HashSet::new();
    let mut frontier: Vec<usize> = (0..items.len()).filter(|&i| keep[i]).collect();
    while let Some(index) = frontier.pop() {
        for name in &items[index].uses {
            if !used.insert(name.as_str()) {
                continue;
            }
            for (other, item) in items.iter().enumerate() {
                if !keep[other] && item.binds.iter().any(|bound| bound == name) {
                    keep[other] = true;
                    frontier.push(other);
                }
            }
        }
    }
    if keep.iter().all(|k| *k) {
        return None;
    }
    let mut bytes = source.as_bytes().to_vec();
    for (item, kept) in items.iter().zip(&keep) {
        if !kept {
            for byte in &mut bytes[item.start..item.end] {
                if *byte != b'\n' {
                    *byte = b' ';
                }
            }
        }
    }
    // Whole items, so whole characters, were replaced: the text is still UTF-8.
    String::from_utf8(bytes).ok()
}

/// Whether the bytes at `at` start a prefilter hit.
fn is_hit(bytes: &[u8], at: usize) -> bool {
    let window = |len: usize| bytes.get(at..at + len);
    window(3).is_some_and(|w| w.eq_ignore_ascii_case(b"p3p"))
        || window(3).is_some_and(|w| w.eq_ignore_ascii_case(b"cp="))
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_ident_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// The top-level items of `source`, found without parsing.
fn items(source: &str) -> Vec<Item> {
    let bytes = source.as_bytes();
    let mut items = Vec::new();
    let mut item = Item::default();
    let mut started = false;
    let mut depth = 0usize;
    // The previous identifier, to see `const NAME`, `static NAME`, `let NAME`.
    let mut previous: Option<(usize, usize)> = None;
    let mut before_previous: Option<(usize, usize)> = None;
    let mut at = 0;
    let word = |range: (usize, usize)| &source[range.0..range.1];
    while at < bytes.len() {
        let byte = bytes[at];
        if is_hit(bytes, at) {
            item.hit = true;
        }
        if !started && !byte.is_ascii_whitespace() {
            item.start = at;
            started = true;
        }
        match byte {
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                let end = source[at..].find('\n').map_or(bytes.len(), |i| at + i);
                item.hit |= (at..end).any(|i| is_hit(bytes, i));
                at = end;
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                let end = block_comment_end(bytes, at);
                item.hit |= (at..end).any(|i| is_hit(bytes, i));
                at = end;
                continue;
            }
            b'"' => {
                let end = string_end(bytes, at + 1);
                item.hit |= (at..end).any(|i| is_hit(bytes, i));
                at = end;
                continue;
            }
            b'\'' => {
                at = char_or_lifetime_end(source, at);
                continue;
            }
            b'{' | b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    // `const X: S = S { .. };`: the `;` belongs to the item.
                    let mut end = at + 1;
                    let rest = &source[end..];
                    let trimmed = rest.trim_start();
                    if trimmed.starts_with(';') {
                        end += rest.len() - trimmed.len() + 1;
                    }
                    item.end = end;
                    items.push(std::mem::take(&mut item));
                    started = false;
                    at = end;
                    continue;
                }
            }
            b';' if depth == 0 => {
                item.end = at + 1;
                items.push(std::mem::take(&mut item));
                started = false;
                previous = None;
                before_previous = None;
                at += 1;
                continue;
            }
            _ if is_ident_start(byte) => {
                if let Some(end) = raw_string_end(bytes, at) {
                    item.hit |= (at..end).any(|i| is_hit(bytes, i));
                    at = end;
                    continue;
                }
                let mut end = at + 1;
                while end < bytes.len() && is_ident_char(bytes[end]) {
                    end += 1;
                }
                let current = (at, end);
                // `let mut NAME`, `static mut NAME`: skip the `mut`.
                let binder = matches!(
                    (before_previous.map(word), previous.map(word)),
                    (Some("let" | "static"), Some("mut")) | (_, Some("const" | "static" | "let"))
                );
                if binder && word(current) != "mut" {
                    item.binds.push(word(current).to_string());
                } else {
                    item.uses.push(word(current).to_string());
                }
                before_previous = previous;
                previous = Some(current);
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    if started {
        item.end = bytes.len();
        items.push(item);
    }
    for item in &mut items {
        item.uses.sort_unstable();
        item.uses.dedup();
    }
    items
}

/// The end of a `/* */` comment starting at `at` (comments nest in Rust).
fn block_comment_end(bytes: &[u8], at: usize) -> usize {
    let mut depth = 0usize;
    let mut i = at;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end of a `"..."` string whose contents start at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The end of a raw string (`r"..."`, `r#"..."#`, `br#"..."#`, `cr".."`) starting at `at`, if
/// one starts there.
fn raw_string_end(bytes: &[u8], at: usize) -> Option<usize> {
    if at > 0 && is_ident_char(bytes[at - 1]) {
        return None;
    }
    let mut i = at;
    if matches!(bytes.get(i), Some(b'b' | b'c')) {
        i += 1;
    }
    if bytes.get(i) != Some(&b'r') {
        return None;
    }
    i += 1;
    let hashes = bytes[i..].iter().take_while(|b| **b == b'#').count();
    i += hashes;
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while i < bytes.len() {
        if bytes[i] == b'"'
            && bytes[i + 1..]
                .iter()
                .take(hashes)
                .filter(|b| **b == b'#')
                .count()
                == hashes
        {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(bytes.len())
}

/// The end of a char literal (`'a'`, `'\n'`, `'\''`) or, for a lifetime or label, of its quote.
fn char_or_lifetime_end(source: &str, at: usize) -> usize {
    let rest = &source[at + 1..];
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, '\\')) => {
            // An escape: the escaped character, then up to the closing quote.
            let after = 1 + rest[1..].chars().next().map_or(0, char::len_utf8);
            rest.get(after..)
                .and_then(|tail| tail.find('\''))
                .map_or(source.len(), |i| at + 1 + after + i + 1)
        }
        Some((_, _)) => match chars.next() {
            Some((i, '\'')) => at + 1 + i + 1,
            _ => at + 1,
        },
        None => source.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_items_with_hits_and_the_bindings_they_use() {
        let source = "use x::y;\n\
                      const POLICY: &str = \"NOI CUR OUR NOR NAV\";\n\
                      const OTHER: u32 = 1;\n\
                      fn unrelated() { let s = \"}\"; let c = '}'; }\n\
                      fn send(r: R) { r.header(\"P3P\", POLICY); }\n\
                      struct S<'a> { x: &'a str }\n";
        let cut = keep_items_that_can_emit(source).expect("something is blanked");
        assert_eq!(cut.len(), source.len());
        assert!(cut.contains("fn send(r: R) { r.header(\"P3P\", POLICY); }"));
        assert!(cut.contains("const POLICY: &str = \"NOI CUR OUR NOR NAV\";"));
        assert!(!cut.contains("OTHER"));
        assert!(!cut.contains("unrelated"));
        assert!(!cut.contains("struct S"));
        assert_eq!(cut.matches('\n').count(), source.matches('\n').count());
    }

    #[test]
    fn strings_comments_and_raw_strings_do_not_end_items() {
        let source =
            "fn a() { let x = r#\"}\"#; /* } */ // }\n let p = \"CP=\\\"NOI\\\"\"; }\nfn b() {}\n";
        let cut = keep_items_that_can_emit(source).expect("b is blanked");
        assert!(cut.starts_with("fn a() {"));
        assert!(!cut.contains("fn b"));
    }

    #[test]
    fn nothing_to_blank_is_none() {
        assert_eq!(keep_items_that_can_emit("fn a() { p3p() }"), None);
        assert_eq!(keep_items_that_can_emit("fn a() {} fn b() {}"), None);
    }
}
