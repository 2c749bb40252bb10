//! The line scanner for every non-Rust file, and the fallback for Rust files syn cannot parse.
//!
//! A header value starts at a `CP=` directive (or at a `policyref=` before it on the same line)
//! and runs to the end of the line. One level of host-language quoting is undone on the way, so
//! Apache's `"CP=\"NOI DSP\""`, HTML's `content="CP=&quot;NOI&quot;"` and nginx's
//! `'CP="NOI DSP"'` all yield `CP="NOI DSP"` with every byte mapped to its place in the file.

use super::{Context, Emission, MappedText};

/// Host-language spellings of a quote, undone before the header value is parsed.
const QUOTE_ESCAPES: &[(&str, char)] = &[
    ("\\\"", '"'),
    ("\\'", '\''),
    ("&quot;", '"'),
    ("&#34;", '"'),
    ("&apos;", '\''),
    ("&#39;", '\''),
];

pub fn extract(source: &str) -> Vec<Emission> {
    let bytes = source.as_bytes();
    let mut emissions = Vec::new();
    let mut previous_line = None;
    // Only lines holding a `cp=` can hold a directive: they are found by the prefilter's scan,
    // and every other line is never looked at.
    for (at, needle) in super::needles(bytes) {
        if needle != super::Needle::CpDirective {
            continue;
        }
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
        if previous_line == Some(line_start) {
            continue;
        }
        previous_line = Some(line_start);
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let line_end = line_start + source[line_start..line_end].trim_end_matches('\r').len();
        if let Some(start) = directive_start(&source[line_start..line_end]) {
            emissions.push(Emission {
                text: unquote(source, line_start + start..line_end),
                context: Context::Embedded,
            });
        }
    }
    emissions
}

/// Offset in `line` where the header value starts, if the line has a `CP=` directive.
fn directive_start(line: &str) -> Option<usize> {
    let cp = config_directive(line)?;
    Some(match find_directive(line, "policyref=") {
        Some(policyref) if policyref < cp => policyref,
        _ => cp,
    })
}

/// A `CP=` that is a directive, not code in a template or an inline script: not a variable
/// (`$cp=`, `@cp=`, `obj.cp=`), not a comparison (`cp==`), and with a quoted value or on a line
/// that names the P3P header.
fn config_directive(line: &str) -> Option<usize> {
    let lower = line.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = find_directive(&line[from..], "cp=") {
        let at = from + found;
        from = at + 3;
        let before = line[..at].chars().next_back();
        let value = &line[at + 3..];
        let quoted = [
            "\"", "'", "\\\"", "\\'", "&quot;", "&#34;", "&#39;", "&apos;",
        ]
        .iter()
        .any(|quote| value.starts_with(quote));
        if matches!(before, Some('$' | '@' | '.')) || value.starts_with('=') {
            continue;
        }
        if quoted || lower.contains("p3p") {
            return Some(at);
        }
    }
    None
}

/// Finds `name` (lower case, ending in `=`) as a whole word, ignoring ASCII case.
pub fn find_directive(text: &str, name: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let at = from + found;
        let before = lower[..at].chars().next_back();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-')) {
            return Some(at);
        }
        from = at + name.len();
    }
    None
}

/// Copies `source[range]`, undoing one level of quote escaping.
pub(super) fn unquote(source: &str, range: std::ops::Range<usize>) -> MappedText {
    let mut mapped = MappedText::with_capacity(range.start, range.len());
    let mut at = range.start;
    'outer: while at < range.end {
        let rest = &source[at..range.end];
        for (escape, quote) in QUOTE_ESCAPES {
            if rest.starts_with(escape) {
                mapped.push(*quote, at..at + escape.len());
                at += escape.len();
                continue 'outer;
            }
        }
        let ch = rest
            .chars()
            .next()
            .expect("at < range.end, so rest is not empty");
        mapped.push(ch, at..at + ch.len_utf8());
        at += ch.len_utf8();
    }
    mapped.set_end(range.end);
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(source: &str) -> Vec<String> {
        extract(source).into_iter().map(|e| e.text.text).collect()
    }

    #[test]
    fn finds_directives_in_configs_and_markup() {
        let apache = r#"Header set P3P "policyref=\"/w3c/p3p.xml\", CP=\"NOI DSP\"""#;
        assert_eq!(
            values(apache),
            [r#"policyref="/w3c/p3p.xml", CP="NOI DSP"""#]
        );
        let html = r#"<meta http-equiv="P3P" content="CP=&quot;NOI DSP&quot;">"#;
        assert_eq!(values(html), [r#"CP="NOI DSP"">"#]);
        assert_eq!(values("add_header P3P 'CP=\"NOI\"';\r\n"), ["CP=\"NOI\"';"]);
        assert!(values("TCP=1\nfoo-cp=2\n").is_empty());
        // Template code, not directives.
        assert!(values("<% $cp=fetch($r); if (cp==2) { x.cp=1 } %>\n<% cp = 5 %>\n").is_empty());
        assert_eq!(values("Header set P3P CP=NOI"), ["CP=NOI"]);
    }

    #[test]
    fn escapes_map_back_to_their_source_bytes() {
        let line = r#"x "CP=\"NOI\"""#;
        let emission = &extract(line)[0];
        let noi = emission.text.text.find("NOI").unwrap();
        let span = emission.text.source_span(noi..noi + 3);
        assert_eq!(&line[span], "NOI");
        let quote = emission.text.source_span(3..4);
        assert_eq!(&line[quote], "\\\"");
    }
}
