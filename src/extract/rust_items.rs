//! Cuts a Rust file down to what can emit before syn sees it: the top-level items that contain
//! a prefilter hit (`p3p`, `cp=`, in any case), plus the items that bind the names those items
//! use (`const`, `static`, `let`), transitively. Every other item is blanked with spaces byte
//! for byte, so every offset syn reports is still the file's own.
//!
//! A cheap lexer finds the items: strings, raw strings, chars and comments are skipped, and an
//! item ends at a `;` or a closing brace at depth 0. When the cut text does not parse, the
//! caller parses the whole file, so the cut never changes a finding.

use std::collections::{HashMap, HashSet};

/// One top-level item: its byte range.
#[derive(Debug, Default, Clone, Copy)]
struct Item {
    start: usize,
    end: usize,
}

/// `source` with every item that cannot emit blanked, or `None` when nothing would be blanked
/// (then the whole file is parsed as it is).
pub fn keep_items_that_can_emit(source: &str) -> Option<Cut> {
    let bytes = source.as_bytes();
    let hits = hits(bytes);
    if hits.is_empty() {
        return None;
    }
    let items = items(source);
    if items.len() < 2 {
        return None;
    }
    let item_at = |offset: usize| {
        let index = items.partition_point(|item| item.start <= offset);
        index.checked_sub(1).filter(|&i| offset < items[i].end)
    };
    let mut keep = vec![false; items.len()];
    for &hit in &hits {
        if let Some(index) = item_at(hit) {
            keep[index] = true;
        }
    }
    // Which items bind each name (`let`, `const`, `static`), found by searching for the three
    // keywords: one in a string or comment only makes an item look like a binder, which keeps
    // more than needed, never less.
    let mut binders: HashMap<&str, Vec<usize>> = HashMap::new();
    for keyword in ["let", "const", "static"] {
        for at in memchr::memmem::find_iter(bytes, keyword) {
            let end = at + keyword.len();
            let whole = (at == 0 || !is_ident_char(bytes[at - 1]))
                && bytes.get(end).is_some_and(|b| !is_ident_char(*b));
            if !whole {
                continue;
            }
            if let (Some(name), Some(index)) = (bound_name(source, end), item_at(at)) {
                binders.entry(name).or_default().push(index);
            }
        }
    }
    // The names kept items use, and the items that bind them, until nothing new is added.
    let mut used: HashSet<&str> = HashSet::new();
    let mut frontier: Vec<usize> = (0..items.len()).filter(|&i| keep[i]).collect();
    while let Some(index) = frontier.pop() {
        let item = items[index];
        for name in identifiers(&source[item.start..item.end]) {
            if !used.insert(name) {
                continue;
            }
            for &other in binders.get(name).map_or(&[][..], Vec::as_slice) {
                if !keep[other] {
                    keep[other] = true;
                    frontier.push(other);
                }
            }
        }
    }
    if keep.iter().all(|k| *k) {
        return None;
    }
    let mut blanked = bytes.to_vec();
    for (item, kept) in items.iter().zip(&keep) {
        if !kept {
            // Spaces, line breaks kept: a fill between the line breaks memchr finds.
            let mut from = item.start;
            for newline in memchr::memchr_iter(b'\n', &bytes[item.start..item.end]) {
                blanked[from..item.start + newline].fill(b' ');
                from = item.start + newline + 1;
            }
            blanked[from..item.end].fill(b' ');
        }
    }
    let kept = || items.iter().zip(&keep).filter(|(_, kept)| **kept);
    let window = kept().next().map_or(0, |(item, _)| item.start)
        ..kept().next_back().map_or(0, |(item, _)| item.end);
    // Whole items, so whole characters, were replaced: the text is still UTF-8.
    String::from_utf8(blanked)
        .ok()
        .map(|text| Cut { text, window })
}

/// A file with the items that cannot emit blanked.
pub struct Cut {
    pub text: String,
    /// From the first kept item's start to the last one's end: all syn needs to see.
    pub window: std::ops::Range<usize>,
}

/// The name a binding keyword ending at `at` introduces: the next identifier, past `mut`/`ref`.
fn bound_name(source: &str, mut at: usize) -> Option<&str> {
    let bytes = source.as_bytes();
    loop {
        while bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'(')
        {
            at += 1;
        }
        let start = at;
        while bytes.get(at).is_some_and(|b| is_ident_char(*b)) {
            at += 1;
        }
        match &source[start..at] {
            "" => return None,
            "mut" | "ref" => continue,
            name => return Some(name),
        }
    }
}

/// Every identifier-like word of `text` (string contents included: a name in a string only
/// keeps its binder too).
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with(|c: char| c.is_alphabetic() || c == '_'))
}

/// Where the prefilter's needles (`p3p`, `cp=`, any case) start, in order.
fn hits(bytes: &[u8]) -> Vec<usize> {
    super::needles(bytes).map(|(at, _)| at).collect()
}

fn is_ident_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// Whether a byte can change the item structure: brackets, `;`, and what starts a string, a
/// char or a comment. Everything else is stepped over in a tight loop.
const fn structural_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let special = b"/\"'{}()[];";
    let mut i = 0;
    while i < special.len() {
        table[special[i] as usize] = true;
        i += 1;
    }
    table
}

static STRUCTURAL: [bool; 256] = structural_bytes();

/// The top-level items of `source`, found without parsing: an item ends at a `;` or a closing
/// brace at depth 0, strings, raw strings, chars and comments aside.
fn items(source: &str) -> Vec<Item> {
    let bytes = source.as_bytes();
    let mut items = Vec::new();
    let mut start: Option<usize> = None;
    let mut depth = 0usize;
    let mut at = 0;
    // SSE4.2 finds the next of the structural bytes 16 bytes at a time.
    let mut set = [0u8; 16];
    let structural: &[u8] = b"/\"'{}()[];";
    set[..structural.len()].copy_from_slice(structural);
    let finder = jetscii::Bytes::new(set, structural.len() as i32, |byte: u8| {
        STRUCTURAL[byte as usize]
    });
    while at < bytes.len() {
        let next = finder.find(&bytes[at..]).map_or(bytes.len(), |i| at + i);
        if start.is_none()
            && let Some(word) = bytes[at..next]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
        {
            start = Some(at + word);
        }
        at = next;
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        let item_start = *start.get_or_insert(at);
        match byte {
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                at = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at = block_comment_end(bytes, at);
                continue;
            }
            b'"' => {
                at = match raw_string_start(bytes, at) {
                    Some(prefix) => raw_string_end(bytes, prefix).unwrap_or(bytes.len()),
                    None => string_end(bytes, at + 1),
                };
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
                    items.push(Item {
                        start: item_start,
                        end,
                    });
                    start = None;
                    at = end;
                    continue;
                }
            }
            b';' if depth == 0 => {
                items.push(Item {
                    start: item_start,
                    end: at + 1,
                });
                start = None;
                at += 1;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    if let Some(item_start) = start {
        items.push(Item {
            start: item_start,
            end: bytes.len(),
        });
    }
    items
}

/// For the `"` at `quote`: where its raw-string prefix (`r`, `br`, `cr`, then `#`s) starts, if
/// it is the opening quote of a raw string.
fn raw_string_start(bytes: &[u8], quote: usize) -> Option<usize> {
    let mut at = quote;
    while at > 0 && bytes[at - 1] == b'#' {
        at -= 1;
    }
    if at == 0 || bytes[at - 1] != b'r' {
        return None;
    }
    at -= 1;
    if at > 0 && matches!(bytes[at - 1], b'b' | b'c') {
        at -= 1;
    }
    (at == 0 || !is_ident_char(bytes[at - 1])).then_some(at)
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
    while let Some(found) = bytes
        .get(at..)
        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
    {
        at += found;
        if bytes[at] == b'"' {
            return at + 1;
        }
        at += 2;
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
        let cut = keep_items_that_can_emit(source)
            .expect("something is blanked")
            .text;
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
        let cut = keep_items_that_can_emit(source).expect("b is blanked").text;
        assert!(cut.starts_with("fn a() {"));
        assert!(!cut.contains("fn b"));
    }

    #[test]
    fn nothing_to_blank_is_none() {
        assert!(keep_items_that_can_emit("fn a() { p3p() }").is_none());
        assert!(keep_items_that_can_emit("fn a() {} fn b() {}").is_none());
    }
}
