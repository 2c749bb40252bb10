//! A document's text as blocks (headings, list items, paragraphs, table rows), each mapped back
//! to the bytes it came from. Plain text and Markdown are read line by line; HTML with html5gum's
//! tokenizer, which keeps byte offsets. Template islands (`<?php ?>`, `<% %>`) are blanked first:
//! they are code the page runs, not words it shows.

use html5gum::{DefaultEmitter, Token, Tokenizer};

/// A block's words, mapped to their source bytes run by run.
pub type BlockText = crate::extract::MappedText;

/// What a block is in the document's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    Heading,
    /// A list item, its marker removed.
    Item,
    Paragraph,
    /// A table row: its cells.
    Row(Vec<BlockText>),
}

/// One block, its white space collapsed.
#[derive(Debug, Clone)]
pub struct Block {
    pub kind: BlockKind,
    pub text: BlockText,
}

/// The blocks of a document, HTML or text.
pub fn blocks(source: &str) -> Vec<Block> {
    if looks_like_html(source) {
        html_blocks(source)
    } else {
        text_blocks(source)
    }
}

/// Whether `source` is markup: its first tag-like start is an HTML element, a doctype or a
/// template island.
fn looks_like_html(source: &str) -> bool {
    let head: String = source
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "<!doctype html",
        "<html",
        "<body",
        "<p>",
        "<p ",
        "<div",
        "<h1",
        "<h2",
        "<ul",
        "<table",
        "<?php",
        "<%",
    ]
    .iter()
    .any(|tag| head.contains(tag))
}

/// Collects characters into blocks, one space for a run of white space.
#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    current: BlockText,
    /// Cells of the table row being read.
    row: Option<Vec<BlockText>>,
}

impl Builder {
    fn push(&mut self, ch: char, range: std::ops::Range<usize>) {
        if ch.is_whitespace() || ch == '\u{a0}' {
            if !self.current.text.is_empty() && !self.current.text.ends_with(' ') {
                self.current.push(' ', range);
            }
        } else {
            self.current.push(ch, range);
        }
    }

    /// Text copied verbatim from the source at `source_start`, its white space collapsed: the
    /// runs between spaces go in whole.
    fn push_verbatim(&mut self, text: &str, source_start: usize) {
        let bytes = text.as_bytes();
        let mut run_start = 0;
        let mut at = 0;
        while at < bytes.len() {
            // ASCII bytes are judged as bytes; only other characters are decoded.
            let (space, len) = match bytes[at] {
                byte if byte < 0x80 => (byte.is_ascii_whitespace() || byte == 0x0b, 1),
                _ => match text[at..].chars().next() {
                    Some(ch) => (ch.is_whitespace(), ch.len_utf8()),
                    None => (false, 1),
                },
            };
            if space {
                self.current
                    .push_str(&text[run_start..at], source_start + run_start);
                let ch = text[at..].chars().next().unwrap_or(' ');
                self.push(ch, source_start + at..source_start + at + len);
                run_start = at + len;
            }
            at += len;
        }
        self.current
            .push_str(&text[run_start..], source_start + run_start);
    }

    /// The text read since the last boundary, without its trailing space.
    fn take(&mut self) -> Option<BlockText> {
        let mut text = std::mem::take(&mut self.current);
        if text.text.ends_with(' ') {
            text.truncate(text.text.len() - 1);
        }
        (!text.text.is_empty()).then_some(text)
    }

    fn flush(&mut self, kind: BlockKind) {
        if let Some(text) = self.take() {
            match &mut self.row {
                Some(cells) if kind == BlockKind::Paragraph => cells.push(text),
                _ => self.blocks.push(Block { kind, text }),
            }
        }
    }

    fn start_row(&mut self) {
        self.end_row();
        self.row = Some(Vec::new());
    }

    fn end_row(&mut self) {
        self.flush(BlockKind::Paragraph);
        if let Some(cells) = self.row.take()
            && !cells.is_empty()
        {
            self.blocks.push(row_block(cells));
        }
    }

    /// A list inside a row: the cells before it become a row of their own, first.
    fn leave_row_for_list(&mut self) {
        if self.row.is_some() {
            self.flush(BlockKind::Paragraph);
            if let Some(cells) = self.row.replace(Vec::new())
                && !cells.is_empty()
            {
                self.blocks.push(row_block(cells));
            }
        }
    }
}

fn row_block(cells: Vec<BlockText>) -> Block {
    let mut text = BlockText::default();
    for (index, cell) in cells.iter().enumerate() {
        if index > 0 {
            let at = cell.full_span().start;
            text.push(' ', at..at);
        }
        text.append(cell.clone());
    }
    Block {
        kind: BlockKind::Row(cells),
        text,
    }
}

/// Plain text and Markdown: a block per line; list markers, heading marks, emphasis around the
/// whole line and table pipes are structure, not words.
fn text_blocks(source: &str) -> Vec<Block> {
    let mut builder = Builder::default();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let (kind, range) = classify_line(content);
        let range = start + range.start..start + range.end;
        if range.is_empty() {
            continue;
        }
        let text = &source[range.clone()];
        if let BlockKind::Row(_) = kind {
            let cells = table_cells(text, range.start);
            if cells.is_empty() {
                continue;
            }
            builder.blocks.push(row_block(cells));
            continue;
        }
        builder.push_verbatim(text, range.start);
        builder.flush(kind);
    }
    builder.blocks
}

/// A line's kind and the byte range of its words.
fn classify_line(line: &str) -> (BlockKind, std::ops::Range<usize>) {
    let mut rest = line.trim();
    if let Some(after) = rest.strip_prefix('>') {
        rest = after.trim();
    }
    if rest.starts_with('|') {
        return (BlockKind::Row(Vec::new()), range_of(line, rest));
    }
    let mut kind = BlockKind::Paragraph;
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if (1..=6).contains(&hashes) && rest[hashes..].starts_with(' ') {
        kind = BlockKind::Heading;
        rest = &rest[hashes..];
    } else if let Some(after) = list_marker(rest) {
        kind = BlockKind::Item;
        rest = after;
    }
    rest = rest.trim();
    // `**Group "X"**`, `__Cookies__`: emphasis around the whole line.
    for mark in ["**", "__"] {
        if rest.len() > 4 && rest.starts_with(mark) && rest.ends_with(mark) {
            rest = rest[2..rest.len() - 2].trim();
            break;
        }
    }
    (kind, range_of(line, rest))
}

/// The range of `part`, a subslice of `line`.
fn range_of(line: &str, part: &str) -> std::ops::Range<usize> {
    let begin = (part.as_ptr() as usize)
        .saturating_sub(line.as_ptr() as usize)
        .min(line.len());
    begin..(begin + part.len()).min(line.len())
}

/// The text after a list marker (`•`, `-`, `*`, `+`, `·`, `1.`, `2)`), if the line has one.
fn list_marker(line: &str) -> Option<&str> {
    for bullet in ['•', '·', '-', '*', '+', '–', '▪', '◦'] {
        if let Some(after) = line.strip_prefix(bullet)
            && (after.starts_with(char::is_whitespace) || bullet == '•' || bullet == '·')
        {
            return Some(after);
        }
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=3).contains(&digits) {
        let after = &line[digits..];
        if let Some(rest) = after.strip_prefix(['.', ')'])
            && rest.starts_with(char::is_whitespace)
        {
            return Some(rest);
        }
    }
    None
}

/// The cells of a Markdown table line; a separator line (`|---|:--|`) has none.
fn table_cells(line: &str, offset: usize) -> Vec<BlockText> {
    let inner = line.trim().trim_start_matches('|');
    let inner_start = offset + (line.len() - line.trim_start().len()) + 1;
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    if inner
        .chars()
        .all(|c| matches!(c, '-' | ':' | '|' | ' ' | '\t'))
    {
        return Vec::new();
    }
    let mut cells = Vec::new();
    let mut at = inner_start;
    for cell in inner.split('|') {
        let lead = cell.len() - cell.trim_start().len();
        let words = cell.trim();
        if !words.is_empty() {
            let mut builder = Builder::default();
            for (i, ch) in words.char_indices() {
                let byte = at + lead + i;
                builder.push(ch, byte..byte + ch.len_utf8());
            }
            if let Some(text) = builder.take() {
                cells.push(text);
            }
        }
        at += cell.len() + 1;
    }
    cells
}

/// Elements that end a block of text.
fn block_kind(name: &[u8]) -> Option<BlockKind> {
    Some(match name {
        b"li" | b"dt" | b"dd" => BlockKind::Item,
        b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"caption" | b"legend" => {
            BlockKind::Heading
        }
        b"p" | b"div" | b"br" | b"ul" | b"ol" | b"dl" | b"table" | b"tbody" | b"thead"
        | b"tfoot" | b"section" | b"article" | b"header" | b"footer" | b"main" | b"nav"
        | b"aside" | b"blockquote" | b"pre" | b"hr" | b"form" | b"fieldset" | b"body" | b"html"
        | b"center" | b"address" | b"figure" | b"td" | b"th" | b"tr" => BlockKind::Paragraph,
        _ => return None,
    })
}

/// `source` with its template islands (`<?php ... ?>`, `<% ... %>`) replaced by spaces, byte
/// for byte, so offsets stay the same.
fn blank_islands(source: &str) -> String {
    let mut bytes = source.as_bytes().to_vec();
    let mut at = 0;
    while at + 1 < bytes.len() {
        let close: &[u8] = match &bytes[at..at + 2] {
            b"<?" => b"?>",
            b"<%" => b"%>",
            _ => {
                at += 1;
                continue;
            }
        };
        let end = bytes[at + 2..]
            .windows(2)
            .position(|w| w == close)
            .map_or(bytes.len(), |i| at + 2 + i + 2);
        for byte in &mut bytes[at..end] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
        at = end;
    }
    // Whole multi-byte characters were replaced, so the text is still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| source.to_string())
}

fn html_blocks(source: &str) -> Vec<Block> {
    let blanked = blank_islands(source);
    let mut emitter = DefaultEmitter::<usize>::new_with_span();
    emitter.naively_switch_states(true);
    let mut builder = Builder::default();
    let mut item_depth = 0usize;
    let mut heading = false;
    let mut skipping: Option<Vec<u8>> = None;
    for token in Tokenizer::new_with_emitter(blanked.as_str(), emitter).flatten() {
        match token {
            Token::StartTag(mut tag) => {
                tag.name.make_ascii_lowercase();
                let name = tag.name.0;
                if skipping.is_some() {
                    continue;
                }
                if matches!(
                    name.as_slice(),
                    b"script" | b"style" | b"template" | b"noscript"
                ) {
                    if !tag.self_closing {
                        skipping = Some(name);
                    }
                    continue;
                }
                match name.as_slice() {
                    b"tr" => builder.start_row(),
                    b"li" | b"dt" | b"dd" => {
                        builder.leave_row_for_list();
                        finish(&mut builder, item_depth, heading);
                        item_depth += 1;
                    }
                    b"ul" | b"ol" | b"dl" => {
                        builder.leave_row_for_list();
                        finish(&mut builder, item_depth, heading);
                    }
                    other => {
                        if let Some(kind) = block_kind(other) {
                            finish(&mut builder, item_depth, heading);
                            if kind == BlockKind::Heading {
                                heading = true;
                            }
                        }
                    }
                }
            }
            Token::EndTag(mut tag) => {
                tag.name.make_ascii_lowercase();
                let name = tag.name.0;
                if let Some(skipped) = &skipping {
                    if *skipped == name {
                        skipping = None;
                    }
                    continue;
                }
                match name.as_slice() {
                    b"tr" | b"table" => {
                        finish(&mut builder, item_depth, heading);
                        builder.end_row();
                    }
                    b"li" | b"dt" | b"dd" => {
                        finish(&mut builder, item_depth, heading);
                        item_depth = item_depth.saturating_sub(1);
                    }
                    other => {
                        if let Some(kind) = block_kind(other) {
                            finish(&mut builder, item_depth, heading);
                            if kind == BlockKind::Heading {
                                heading = false;
                            }
                        }
                    }
                }
            }
            Token::String(text) if skipping.is_none() => {
                let span = text.span.start.min(source.len())..text.span.end.min(source.len());
                let decoded = String::from_utf8_lossy(&text.value);
                push_decoded(&mut builder, &blanked, span, &decoded);
            }
            _ => {}
        }
    }
    finish(&mut builder, item_depth, heading);
    builder.end_row();
    builder.blocks
}

/// Ends the current block, as an item inside a list item, a heading inside a heading element.
fn finish(builder: &mut Builder, item_depth: usize, heading: bool) {
    let kind = if heading {
        BlockKind::Heading
    } else if item_depth > 0 {
        BlockKind::Item
    } else {
        BlockKind::Paragraph
    };
    if kind == BlockKind::Item && builder.row.is_some() {
        // An item inside a cell is an item, not a cell.
        if let Some(text) = builder.take() {
            builder.blocks.push(Block { kind, text });
        }
        return;
    }
    builder.flush(kind);
}

/// Adds a text token: where the decoded text equals its source, byte for byte; where character
/// references were decoded (`&amp;`, `&ouml;`), each decoded character points at its reference.
fn push_decoded(builder: &mut Builder, source: &str, span: std::ops::Range<usize>, decoded: &str) {
    let Some(raw) = source.get(span.clone()) else {
        for ch in decoded.chars() {
            builder.push(ch, span.clone());
        }
        return;
    };
    if raw == decoded {
        builder.push_verbatim(raw, span.start);
        return;
    }
    let mut raw_chars = raw.char_indices().peekable();
    let mut decoded_chars = decoded.chars().peekable();
    while let Some(ch) = decoded_chars.next() {
        let Some(&(at, raw_ch)) = raw_chars.peek() else {
            builder.push(ch, span.end..span.end);
            continue;
        };
        let reference_len = (raw_ch == '&')
            .then(|| {
                let reference = &raw[at..];
                reference[1..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
                    .map_or(reference.len(), |i| {
                        1 + i + usize::from(reference[1 + i..].starts_with(';'))
                    })
            })
            .filter(|&len| len > 1);
        // `&` is a reference unless it was kept as written (`R&D`).
        // (`&` is one byte, so the text after it starts on a character boundary.)
        let literal_ampersand = ch == '&'
            && raw_ch == '&'
            && decoded_chars.peek().copied() == raw[at + 1..].chars().next();
        if raw_ch == ch && (reference_len.is_none() || literal_ampersand) {
            raw_chars.next();
            builder.push(ch, span.start + at..span.start + at + ch.len_utf8());
        } else if let Some(len) = reference_len {
            // A character reference: up to its `;`, or to the end of its name.
            let range = span.start + at..span.start + at + len;
            builder.push(ch, range.clone());
            while raw_chars.peek().is_some_and(|&(i, _)| i < at + len) {
                raw_chars.next();
            }
            // A reference that decodes to two characters.
            if let (Some(&next), Some(&(_, raw_next))) = (decoded_chars.peek(), raw_chars.peek())
                && next != raw_next
                && !next.is_whitespace()
            {
                decoded_chars.next();
                builder.push(next, range);
            }
        } else {
            // `\r\n` read as `\n`, or a NUL replaced: skip the source character.
            raw_chars.next();
            if let Some(&(at, raw_next)) = raw_chars.peek()
                && raw_next == ch
            {
                raw_chars.next();
                builder.push(ch, span.start + at..span.start + at + ch.len_utf8());
            } else {
                builder.push(ch, span.start + at..span.start + at + raw_ch.len_utf8());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .map(|block| {
                let kind = match &block.kind {
                    BlockKind::Heading => "h",
                    BlockKind::Item => "li",
                    BlockKind::Paragraph => "p",
                    BlockKind::Row(_) => "tr",
                };
                format!("{kind}:{}", block.text.text)
            })
            .collect()
    }

    #[test]
    fn text_lines_become_items_headings_and_rows() {
        let text = "# Data Collection\n\n**Group \"Cookies\"**\n • HTTP cookies\n - Research and development.\n| Field | Meaning |\n|---|---|\n| CUR | The data is used. |\nPlain  words\n";
        let blocks = blocks(text);
        assert_eq!(
            shown(&blocks),
            [
                "h:Data Collection",
                "p:Group \"Cookies\"",
                "li:HTTP cookies",
                "li:Research and development.",
                "tr:Field Meaning",
                "tr:CUR The data is used.",
                "p:Plain words"
            ]
        );
        for block in &blocks {
            if !matches!(block.kind, BlockKind::Row(_)) {
                let span = block.text.full_span();
                let words: String = text[span].split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(words, block.text.text);
            }
        }
    }

    #[test]
    fn html_blocks_keep_offsets_through_references_and_islands() {
        let html = "<html><body><h2>Data Collection</h2><?php echo $x->y; ?>\n<p><b>Group</b> &ldquo;Access&rdquo;</p><ul><li>Research &amp; development</li></ul>\
                    <table><tr><td>CP=</td><td>The header</td></tr><tr><th>Persistent Cookies</th><td><ul><li>Low: ok</li></ul></td></tr></table><script>var a = '<li>no</li>';</script></body></html>";
        let blocks = blocks(html);
        assert_eq!(
            shown(&blocks),
            [
                "h:Data Collection",
                "p:Group \u{201c}Access\u{201d}",
                "li:Research & development",
                "tr:CP= The header",
                "tr:Persistent Cookies",
                "li:Low: ok"
            ]
        );
        let amp = &blocks[2];
        let at = amp.text.text.find('&').unwrap();
        assert_eq!(&html[amp.text.source_span(at..at + 1)], "&amp;");
        let quote = &blocks[1];
        let span = quote.text.full_span();
        assert_eq!(&html[span], "Group</b> &ldquo;Access&rdquo;");
    }
}
