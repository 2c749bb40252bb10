//! Cuts a Rust file down to what can emit before syn sees it: the top-level items that contain
//! a prefilter hit (`p3p`, `cp=`, in any case), plus the items that bind the names those items
//! use (`const`, `static`, `let`), transitively. Every other item is blanked with spaces byte
//! for byte, so every offset syn reports is still the file's own.
//!
//! A cheap lexer finds the items: strings, raw strings, chars and comments are skipped, and an
//! item ends at a `;` or a closing brace at depth 0. When the cut text does not parse, the
//! caller parses the whole file, so the cut never changes a finding.

use std::collections::{HashMap, HashSet};

/// One top-level item: its byte range, the names it binds, the names it uses (as byte ranges).
#[derive(Debug, Default)]
struct Item {
    start: usize,
    end: usize,
    binds: Vec<(usize, usize)>,
    uses: Vec<(usize, usize)>,
}

/// `source` with every item that cannot emit blanked, or `None` when nothing would be blanked
/// (then the whole file is parsed as it is).
pub fn keep_items_that_can_emit(source: &str) -> Option<String> {
    let hits = hits(source.as_bytes());
    if hits.is_empty() {
        return None;
    }
    let items = items(source);
    if items.len() < 2 {
        return None;
    }
    let word = |(start, end): (usize, usize)| &source[start..end];
    let mut keep: Vec<bool> = items
        .iter()
        .map(|item| {
            let first = hits.partition_point(|&hit| hit < item.start);
            hits.get(first).is_some_and(|&hit| hit < item.end)
        })
        .collect();
    let mut binders: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        for &bound in &item.binds {
            binders.entry(word(bound)).or_default().push(index);
        }
    }
    // The names kept items use, and the items that bind them, until nothing new is added.
    let mut used: HashSet<&str> = HashSet::new();
    let mut frontier: Vec<usize> = (0..items.len()).filter(|&i| keep[i]).collect();
    while let Some(index) = frontier.pop() {
        for &name in &items[index].uses {
            let name = word(name);
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

/// Where the prefilter's needles (`p3p`, `cp=`, any case) start, in order.
fn hits(bytes: &[u8]) -> Vec<usize> {
    super::needles(bytes).map(|(at, _)| at).collect()
}

fn is_ident_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// What a byte means to the item lexer: most bytes mean nothing and are stepped over.
const PLAIN: u8 = 0;
const IDENT: u8 = 1;
const SPECIAL: u8 = 2;

const fn byte_classes() -> [u8; 256] {
    let mut classes = [PLAIN; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        classes[byte] = if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            IDENT
        } else if matches!(
            b,
            b'/' | b'"' | b'\'' | b'{' | b'}' | b'(' | b')' | b'[' | b']' | b';'
        ) {
            SPECIAL
        } else {
            PLAIN
        };
        byte += 1;
    }
    classes
}

static CLASSES: [u8; 256] = byte_classes();

/// The top-level items of `source`, found without parsing.
fn items(source: &str) -> Vec<Item> {
    let bytes = source.as_bytes();
    let mut items = Vec::new();
    let mut item = Item::default();
    let mut started = false;
    let mut depth = 0usize;
    // After `let`, `const`, `static` (and `mut`), the next identifier is a name being bound.
    let mut binding = false;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let class = CLASSES[byte as usize];
        if class == PLAIN {
            if !started && !byte.is_ascii_whitespace() {
                item.start = at;
                started = true;
            }
            at += 1;
            continue;
        }
        if !started {
            item.start = at;
            started = true;
        }
        if class == IDENT {
            if matches!(byte, b'r' | b'b' | b'c')
                && let Some(end) = raw_string_end(bytes, at)
            {
                at = end;
                continue;
            }
            let mut end = at + 1;
            while end < bytes.len() && is_ident_char(bytes[end]) {
                end += 1;
            }
            match &bytes[at..end] {
                b"let" | b"const" | b"static" => binding = true,
                b"mut" | b"ref" => {}
                _ if binding => {
                    item.binds.push((at, end));
                    binding = false;
                }
                _ => item.uses.push((at, end)),
            }
            at = end;
            continue;
        }
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
                at = string_end(bytes, at + 1);
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
                    binding = false;
                    at = end;
                    continue;
                }
            }
            b';' if depth == 0 => {
                item.end = at + 1;
                items.push(std::mem::take(&mut item));
                started = false;
                binding = false;
                at += 1;
                continue;
            }
            _ => {}
        }
        binding = binding && byte == b'(';
        at += 1;
    }
    if started {
        item.end = bytes.len();
        items.push(item);
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
