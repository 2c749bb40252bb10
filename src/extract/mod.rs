//! Stage 2, extract: find the P3P header values a file emits, as text mapped back to the file.
//!
//! Rust files go through syn (`rust.rs`); every other known text file (HTML, server configs,
//! scripts) goes through a line scanner (`text.rs`). Both return `Emission`s whose text is the
//! value as a user agent would receive it, with a map from each byte of it to the source bytes it
//! came from, so token spans land exactly on the source even through escapes.

pub mod code;
pub mod rust;
pub mod rust_items;
pub mod text;

pub use code::Syntax;

use crate::source::Span;

/// Why a piece of text was taken as a P3P header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    /// Text that contains a `CP=` directive (a string literal, a line of a config or HTML file).
    Embedded,
    /// The value of a constant or static whose name mentions P3P: a header value or bare tokens.
    Tokens,
    /// A value passed next to a `P3P` header name: it must be a whole header value.
    HeaderValue,
    /// A value built at run time (concatenation, interpolation): there is no policy to judge.
    Dynamic,
}

/// A header value found in a file.
#[derive(Debug, Clone)]
pub struct Emission {
    pub text: MappedText,
    pub context: Context,
}

/// A string and, run by run, the source bytes it came from: a run copied verbatim maps byte for
/// byte; a character decoded from an escape (`\"`, `&quot;`) or a reference maps to its whole
/// source. A handful of runs per text, where a table per byte cost sixteen bytes for each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedText {
    pub text: String,
    runs: Vec<Run>,
    /// Where an empty span at the very end of the text points.
    end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    /// Where the run starts in `text`.
    at: usize,
    source: Span,
    verbatim: bool,
}

impl MappedText {
    /// Text copied verbatim from `source[range]`.
    pub fn verbatim(source: &str, range: Span) -> MappedText {
        MappedText::copied(&source[range.clone()], range.start)
    }

    /// `text`, which stands at byte `offset` of its file, copied byte for byte.
    pub fn copied(text: &str, offset: usize) -> MappedText {
        let mut mapped = MappedText::empty_at(offset);
        mapped.push_str(text, offset);
        mapped.end = offset + text.len();
        mapped
    }

    /// An empty text whose end points at `offset`, with room for `bytes` bytes.
    pub fn with_capacity(offset: usize, bytes: usize) -> MappedText {
        MappedText {
            text: String::with_capacity(bytes),
            runs: Vec::new(),
            end: offset,
        }
    }

    /// An empty text whose end points at `offset`.
    pub fn empty_at(offset: usize) -> MappedText {
        MappedText {
            end: offset,
            ..MappedText::default()
        }
    }

    /// Appends one character produced by `source_range`.
    pub fn push(&mut self, ch: char, source_range: Span) {
        let at = self.text.len();
        let verbatim = source_range.len() == ch.len_utf8();
        self.text.push(ch);
        self.end = source_range.end;
        if let Some(last) = self.runs.last_mut()
            && verbatim
            && last.verbatim
            && last.source.end == source_range.start
        {
            last.source.end = source_range.end;
            return;
        }
        self.runs.push(Run {
            at,
            source: source_range,
            verbatim,
        });
    }

    /// Appends `text`, copied verbatim from the source bytes starting at `source_start`.
    pub fn push_str(&mut self, text: &str, source_start: usize) {
        if text.is_empty() {
            return;
        }
        let at = self.text.len();
        self.text.push_str(text);
        let source = source_start..source_start + text.len();
        self.end = source.end;
        if let Some(last) = self.runs.last_mut()
            && last.verbatim
            && last.source.end == source.start
        {
            last.source.end = source.end;
            return;
        }
        self.runs.push(Run {
            at,
            source,
            verbatim: true,
        });
    }

    pub fn set_end(&mut self, end: usize) {
        self.end = end;
    }

    /// Appends another mapped text (for `concat!`).
    pub fn append(&mut self, other: MappedText) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.runs.extend(other.runs.into_iter().map(|run| Run {
            at: run.at + offset,
            ..run
        }));
        self.end = other.end;
    }

    /// Keeps the first `len` bytes (a character boundary).
    pub fn truncate(&mut self, len: usize) {
        if len >= self.text.len() {
            return;
        }
        self.text.truncate(len);
        self.runs.retain(|run| run.at < len);
        if let Some(last) = self.runs.last_mut()
            && last.verbatim
        {
            last.source.end = last.source.end.min(last.source.start + (len - last.at));
        }
        self.end = self.runs.last().map_or(self.end, |run| run.source.end);
    }

    /// The run holding text byte `at`.
    fn run(&self, at: usize) -> Option<&Run> {
        if at >= self.text.len() {
            return None;
        }
        let index = self.runs.partition_point(|run| run.at <= at);
        self.runs.get(index.checked_sub(1)?)
    }

    /// The source span of a byte range of the text.
    pub fn source_span(&self, range: Span) -> Span {
        let start = match self.run(range.start) {
            Some(run) if run.verbatim => run.source.start + (range.start - run.at),
            Some(run) => run.source.start,
            None => self.end,
        };
        if range.start >= range.end {
            return start..start;
        }
        let end = match self.run(range.end - 1) {
            Some(run) if run.verbatim => run.source.start + (range.end - run.at),
            Some(run) => run.source.end,
            None => self.end,
        };
        start..end.max(start)
    }

    /// The source span the whole text came from.
    pub fn full_span(&self) -> Span {
        self.source_span(0..self.text.len())
    }
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Rust,
    /// Program source read for its string literals.
    Code(Syntax),
    /// Markup, templates and server configuration, scanned line by line.
    Text,
}

impl FileKind {
    /// The kind for a file name, or `None` for files p3plint does not read when walking a tree.
    pub fn for_path(path: &std::path::Path) -> Option<FileKind> {
        // Lossy: a file whose name is not UTF-8 is still checked by its extension.
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name == ".htaccess" || name == "httpd.conf" || name == "nginx.conf" {
            return Some(FileKind::Text);
        }
        let extension = name.rsplit_once('.')?.1;
        if extension == "rs" {
            return Some(FileKind::Rust);
        }
        if let Some((_, syntax)) = CODE_EXTENSIONS.iter().find(|(ext, _)| *ext == extension) {
            return Some(FileKind::Code(*syntax));
        }
        TEXT_EXTENSIONS
            .contains(&extension)
            .then_some(FileKind::Text)
    }
}

/// Whether `path` is a web-server configuration (`.conf`, `.htaccess`, ...): never a page, so
/// neither generated documentation nor a published policy, and spared those whole-text scans.
pub fn is_server_config(path: &std::path::Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name == ".htaccess"
        || name
            .rsplit_once('.')
            .is_some_and(|(_, extension)| SERVER_CONFIG_EXTENSIONS.contains(&extension))
}

const SERVER_CONFIG_EXTENSIONS: &[&str] = &["conf", "config", "htaccess", "nginx"];

/// Program source that may set a P3P header, by the syntax of its comments and strings.
const CODE_EXTENSIONS: &[(&str, Syntax)] = &[
    ("php", Syntax::Php),
    ("js", Syntax::Script),
    ("mjs", Syntax::Script),
    ("cjs", Syntax::Script),
    ("ts", Syntax::Script),
    ("jsx", Syntax::Script),
    ("tsx", Syntax::Script),
    ("py", Syntax::Python),
    ("rb", Syntax::Hash),
    ("pl", Syntax::Hash),
    ("pm", Syntax::Hash),
    ("sh", Syntax::Hash),
    ("go", Syntax::CLike),
    ("java", Syntax::CLike),
    ("kt", Syntax::CLike),
    ("cs", Syntax::CLike),
    ("lua", Syntax::Lua),
];

/// Markup, templates and web-server or application configuration, scanned line by line. Prose
/// (`.md`, `.txt`) is left out on purpose, since documentation quotes compact policies without
/// emitting them.
const TEXT_EXTENSIONS: &[&str] = &[
    "html", "htm", "xhtml", "shtml", "asp", "aspx", "jsp", "erb", "hbs", "tmpl", "tpl", "twig",
    "vue", "svelte", "conf", "config", "htaccess", "nginx",
];

/// Bytes that every emission must contain (matched ignoring ASCII case). A file without any of
/// them is skipped before it is decoded or parsed.
pub const PREFILTER_NEEDLES: [&str; 2] = ["p3p", "cp="];

/// Where a prefilter needle starts in `bytes`, in order: `p3p` or `cp=`, ignoring ASCII case
/// (`Needle::CpDirective` for the second). A vectorised scan for their middle and last bytes
/// (`3`, `=`) and a look at the bytes around each: measured 2.5x faster than an
/// ASCII-case-insensitive Aho-Corasick on real source.
pub fn needles(bytes: &[u8]) -> impl Iterator<Item = (usize, Needle)> + '_ {
    let lower = |at: Option<usize>| at.and_then(|at| bytes.get(at)).map(u8::to_ascii_lowercase);
    memchr::memchr2_iter(b'3', b'=', bytes).filter_map(move |at| {
        if bytes[at] == b'3' {
            (lower(at.checked_sub(1)) == Some(b'p') && lower(Some(at + 1)) == Some(b'p'))
                .then(|| (at - 1, Needle::P3p))
        } else {
            (lower(at.checked_sub(1)) == Some(b'p') && lower(at.checked_sub(2)) == Some(b'c'))
                .then(|| (at - 2, Needle::CpDirective))
        }
    })
}

/// Which of `PREFILTER_NEEDLES` was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needle {
    P3p,
    CpDirective,
}

/// The byte pairs `may_emit` looks for, each with the byte (lowercased) that must come just
/// before it: `3p`/`3P` after `p` or `P` (`p3p`), `p=`/`P=` after `c` or `C` (`cp=`).
static PREFILTER_PAIRS: std::sync::LazyLock<[(memchr::memmem::Finder<'static>, u8); 4]> =
    std::sync::LazyLock::new(|| {
        let pair = |needle: &'static str, before| (memchr::memmem::Finder::new(needle), before);
        [
            pair("3p", b'p'),
            pair("3P", b'p'),
            pair("p=", b'c'),
            pair("P=", b'c'),
        ]
    });

/// Whether the file can contain an emission at all: one of `PREFILTER_NEEDLES`, ignoring ASCII
/// case. Most files have none, so this is the hottest loop of a run: four vectorised searches
/// for a rare two-byte pair each (memmem's packed-pair search) measured 1.6x faster on real
/// Rust sources than one pass over every `3` and `=` (`needles`), which code is full of.
pub fn may_emit(bytes: &[u8]) -> bool {
    PREFILTER_PAIRS.iter().any(|(finder, before)| {
        finder.find_iter(bytes).any(|at| {
            at.checked_sub(1)
                .and_then(|before_at| bytes.get(before_at))
                .is_some_and(|byte| byte.to_ascii_lowercase() == *before)
        })
    })
}

/// What documentation generators write into the pages they make. A page that says it was
/// generated quotes code (an RDoc page of a controller that sends P3P); it emits nothing, so it
/// is skipped like build output. Matched ignoring ASCII case.
const GENERATED_DOCUMENTATION: &[&str] = &[
    "rdoc_rel_prefix",
    "generated by rdoc",
    "generated by yard",
    "generated by javadoc",
    "generated by doxygen",
    "generated by jsdoc",
    "documentation generated by jsdoc",
    "content=\"typedoc",
    "content=\"docutils",
    "created using <a href=\"https://www.sphinx-doc.org",
    "created using <a href=\"http://sphinx-doc.org",
    "generated by epydoc",
    "generated by pdoc",
    "generated by phpdocumentor",
    "generated by apigen",
];

/// Whether a markup file is a page a documentation generator made.
pub fn is_generated_documentation(text: &str) -> bool {
    use aho_corasick::AhoCorasick;
    use std::sync::OnceLock;
    static FINDER: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    FINDER
        .get_or_init(|| {
            // A DFA without a prefilter: the case-insensitive prefilter's rare bytes are common in
            // markup, and it made this scan the costliest step of a run (measured).
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .prefilter(false)
                .build(GENERATED_DOCUMENTATION)
                .ok()
        })
        .as_ref()
        .is_some_and(|finder| finder.is_match(text))
}

/// Finds the emissions of one decoded file. Returns the emissions and, for a Rust file syn could
/// not parse, the parse error (the text scanner then stands in for syn).
pub fn extract(kind: FileKind, source: &str) -> (Vec<Emission>, Option<rust::ParseFailure>) {
    match kind {
        FileKind::Text => (text::extract(source), None),
        FileKind::Code(syntax) => (code::extract(source, syntax), None),
        FileKind::Rust => match rust::extract(source) {
            Ok(emissions) => (emissions, None),
            Err(failure) => (text::extract(source), Some(failure)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_maps_each_byte_to_itself() {
        let source = "xx ä CP";
        let mapped = MappedText::verbatim(source, 3..source.len());
        assert_eq!(mapped.text, "ä CP");
        assert_eq!(mapped.source_span(3..5), 6..8);
        assert_eq!(mapped.source_span(0..2), 3..5);
        assert_eq!(mapped.source_span(5..5), 8..8);
    }

    #[test]
    fn generated_documentation_is_recognised() {
        let rdoc = "<script>var rdoc_rel_prefix = \"../\";</script><pre>headers['P3P'] = 'CP=\"NOI\"'</pre>";
        assert!(is_generated_documentation(rdoc));
        assert!(is_generated_documentation(
            "<!-- Generated by javadoc (17) -->"
        ));
        assert!(!is_generated_documentation(
            "<meta name=\"generator\" content=\"WordPress 6.4\"><meta http-equiv=\"P3P\" content='CP=\"NOI\"'>"
        ));
    }

    #[test]
    fn prefilter_ignores_case() {
        assert!(may_emit(b"resp.header(\"p3p\", x)"));
        assert!(may_emit(b"cp=\"NOI\""));
        assert!(!may_emit(b"fn main() {}"));
    }
}
