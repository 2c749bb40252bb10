//! The source database: every text a diagnostic can point into, with its name and line index.
//!
//! A `Span` is always a byte range into the text stored here for its `FileId`. Files are added
//! only after they were read and decoded; the database is built once per run, after the parallel
//! stage, so ids (and so output order) do not depend on thread timing.

use std::ops::Range;

/// A byte range into one file's text.
pub type Span = Range<usize>;

/// Index of a file in the `SourceDb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub usize);

/// One text with the name it is shown under.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// For display only: lossy where the path is not UTF-8.
    pub name: String,
    /// The path as the operating system gave it, for texts read from disk: what `--fix` writes.
    pub path: Option<std::path::PathBuf>,
    /// A test file (`[paths] tests`): its findings are counted apart in the summary.
    pub in_tests: bool,
    pub text: String,
    line_starts: Vec<usize>,
    /// For texts that are not all ASCII: characters before every `CHAR_BLOCK`-th byte, so a
    /// column is found by counting at most one block, however long the line.
    chars_before_block: Option<Vec<usize>>,
    /// Set when the text was dropped after checking (machine output needs positions, not
    /// lines): the position of every offset a finding names, sorted by offset.
    positions: Option<Vec<(usize, Position)>>,
}

/// Bytes between two character-count checkpoints.
const CHAR_BLOCK: usize = 1024;

/// Characters in `bytes`: every byte that does not continue a UTF-8 sequence starts one.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| (byte & 0xC0) != 0x80).count()
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        // memchr's vectorised search: every checked file with a finding is indexed here.
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        let chars_before_block = (!text.is_ascii()).then(|| {
            let mut before = 0;
            let mut table = vec![0];
            for block in text.as_bytes().chunks(CHAR_BLOCK) {
                before += count_chars(block);
                table.push(before);
            }
            table
        });
        SourceFile {
            name: name.into(),
            path: None,
            in_tests: false,
            text,
            line_starts,
            chars_before_block,
            positions: None,
        }
    }

    /// Keeps only the positions of `offsets` and drops the text and its indexes: what a report
    /// that prints no source lines needs of a file, for a fraction of the memory.
    pub fn keep_positions(mut self, offsets: impl IntoIterator<Item = usize>) -> SourceFile {
        let mut positions: Vec<(usize, Position)> = offsets
            .into_iter()
            .map(|offset| (offset, self.position(offset)))
            .collect();
        positions.sort_unstable_by_key(|(offset, _)| *offset);
        positions.dedup_by_key(|(offset, _)| *offset);
        self.positions = Some(positions);
        self.text = String::new();
        self.line_starts = vec![0];
        self.chars_before_block = None;
        self
    }

    /// Characters in `text[..offset]`, in time bounded by `CHAR_BLOCK`.
    fn chars_before(&self, offset: usize) -> usize {
        match &self.chars_before_block {
            None => offset,
            Some(table) => {
                let block = offset / CHAR_BLOCK;
                let from = block * CHAR_BLOCK;
                table[block] + count_chars(&self.text.as_bytes()[from..offset])
            }
        }
    }

    /// The same text, read from `path`.
    pub fn with_path(mut self, path: std::path::PathBuf) -> SourceFile {
        self.path = Some(path);
        self
    }

    /// Zero-based line of a byte offset (offsets past the end land on the last line).
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Byte range of a zero-based line, without its line terminator.
    pub fn line_range(&self, line: usize) -> Option<Span> {
        let start = *self.line_starts.get(line)?;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        let end = if end > start && self.text.as_bytes().get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        Some(start..end.max(start))
    }

    /// One-based line and one-based column counted in characters (Unicode scalar values).
    pub fn position(&self, offset: usize) -> Position {
        if let Some(positions) = &self.positions {
            // Offsets were kept for every span of every finding; any other is a caller's bug,
            // answered with the nearest kept position before it rather than a panic.
            let index = positions.partition_point(|(kept, _)| *kept <= offset);
            return index
                .checked_sub(1)
                .and_then(|i| positions.get(i))
                .map_or(Position { line: 1, column: 1 }, |(_, position)| *position);
        }
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line = self.line_index(offset);
        Position {
            line: line + 1,
            column: self.chars_before(offset) - self.chars_before(self.line_starts[line]) + 1,
        }
    }

    /// The zero-based line of `offset` and the text of that line before it. An offset past the
    /// end or inside a character is moved back to the nearest character boundary.
    pub fn line_prefix(&self, offset: usize) -> (usize, &str) {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let line = self.line_index(offset);
        (line, &self.text[self.line_starts[line]..offset])
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// A one-based line and column, column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// All files of one run.
#[derive(Debug, Default, Clone)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }
}

/// Decodes a file's bytes as UTF-8 text. A UTF-8 byte-order mark is kept (so offsets match the
/// file on disk); every consumer skips it. The error is the offset of the first invalid byte.
pub fn decode(bytes: Vec<u8>) -> Result<String, usize> {
    String::from_utf8(bytes).map_err(|err| err.utf8_error().valid_up_to())
}

/// Text that is mostly UTF-8 but not all (a Latin-1 or GBK source with a few non-ASCII comments):
/// every byte that is not part of valid UTF-8 becomes `?`, so the text has the file's length and
/// every span still points at the right bytes. Returns the text, the number of bytes replaced
/// and the offset of the first.
pub fn decode_replacing_invalid(bytes: Vec<u8>) -> (String, usize, usize) {
    let mut bytes = bytes;
    let mut replaced = 0;
    let mut first = None;
    let mut from = 0;
    while let Err(err) = std::str::from_utf8(&bytes[from..]) {
        let at = from + err.valid_up_to();
        let len = err.error_len().unwrap_or(bytes.len() - at);
        for byte in &mut bytes[at..at + len] {
            *byte = b'?';
        }
        first.get_or_insert(at);
        replaced += len;
        from = at + len;
    }
    let text = String::from_utf8(bytes).unwrap_or_default();
    (text, replaced, first.unwrap_or(0))
}

/// A file that starts with a UTF-16 byte-order mark (Windows editors save .config and .asp
/// files so), decoded. `None` when there is no such mark; the error is the offset of the first
/// unpaired surrogate or of a dangling last byte. Offsets in the result are the decoded text's,
/// not the file's, so such files are reported but never fixed.
/// Whether `bytes` start with a UTF-16 byte-order mark (`decode_utf16` decodes those).
pub fn is_utf16(bytes: &[u8]) -> bool {
    matches!(bytes, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..])
}

pub fn decode_utf16(bytes: &[u8]) -> Option<Result<String, usize>> {
    let little_endian = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    let units = body.chunks(2).map(|pair| match pair {
        [a, b] if little_endian => u16::from_le_bytes([*a, *b]),
        [a, b] => u16::from_be_bytes([*a, *b]),
        _ => 0xDC00, // a lone trailing byte: decoded as an unpaired surrogate
    });
    let mut text = String::with_capacity(body.len() / 2);
    for (index, unit) in char::decode_utf16(units).enumerate() {
        match unit {
            Ok(ch) => text.push(ch),
            Err(_) => return Some(Err(2 + 2 * index)),
        }
    }
    Some(Ok(text))
}

impl<'a> codespan_reporting::files::Files<'a> for SourceDb {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.files
            .get(id.0)
            .map(|file| file.name.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        self.files
            .get(id.0)
            .map(|file| file.text.as_str())
            .ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let file = self
            .files
            .get(id.0)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        Ok(file.line_index(byte_index))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<Span, codespan_reporting::files::Error> {
        let file = self
            .files
            .get(id.0)
            .ok_or(codespan_reporting::files::Error::FileMissing)?;
        // codespan expects the range to include the line terminator.
        let max = file.line_starts.len() - 1;
        let start = *file.line_starts.get(line_index).ok_or(
            codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max,
            },
        )?;
        let end = file
            .line_starts
            .get(line_index + 1)
            .copied()
            .unwrap_or(file.text.len());
        Ok(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let file = SourceFile::new("f", "å = 1\nlet x = \"ä CP\";\r\n");
        let cp = file.text.find("CP").unwrap();
        assert_eq!(
            file.position(cp),
            Position {
                line: 2,
                column: 12
            }
        );
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        assert_eq!(file.line_range(1), Some(7..23));
    }

    #[test]
    fn columns_on_long_non_ascii_lines_match_a_plain_count() {
        let line = "é x ".repeat(2000);
        let text = format!("ä\n{line}\n{line}");
        let file = SourceFile::new("f", text.clone());
        for offset in (0..text.len()).step_by(97).chain([text.len()]) {
            let offset = (0..=offset)
                .rev()
                .find(|&o| text.is_char_boundary(o))
                .unwrap();
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let expected = text[line_start..offset].chars().count() + 1;
            assert_eq!(file.position(offset).column, expected, "offset {offset}");
        }
    }

    #[test]
    fn utf16_files_are_decoded_by_their_byte_order_mark() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("P3P é".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_utf16(&le), Some(Ok("P3P é".to_string())));
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("CP=".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode_utf16(&be), Some(Ok("CP=".to_string())));
        assert_eq!(
            decode_utf16(&[0xFF, 0xFE, 0x41, 0x00, 0x00, 0xD8]),
            Some(Err(4))
        );
        assert_eq!(decode_utf16(b"plain"), None);
    }

    #[test]
    fn invalid_bytes_become_question_marks_one_for_one() {
        let gbk = b"// \xd6\xd0\xce\xc4\nCP=\"NOI\" \xff".to_vec();
        let (text, replaced, first) = decode_replacing_invalid(gbk.clone());
        assert_eq!(text.len(), gbk.len());
        assert_eq!(text, "// ????\nCP=\"NOI\" ?");
        assert_eq!((replaced, first), (5, 3));
    }

    #[test]
    fn decode_reports_first_bad_byte() {
        assert_eq!(decode(b"ok\xffno".to_vec()), Err(2));
        assert_eq!(decode(b"fine".to_vec()).as_deref(), Ok("fine"));
    }
}
