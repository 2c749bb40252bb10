//! Walks a document's blocks in the editor's layout: section headings switch what is read,
//! framing sentences open lists, and list items become data, purposes and recipients. Every
//! language's phrases are tried, since translated documents keep English items and tables.

use super::blocks::{Block, BlockKind, blocks};
use super::phrases::{
    self, ItemKind, Language, Match, Pattern, Section, fold, item_names, languages, patterns,
};
use super::{
    DataItem, Document, Group, Item, Misplaced, Published, RetentionClaim, StatedCell, TableRow,
    Unrecognized,
};
use crate::declaration::{
    Data, Declared, Policy, Practice, Resolved, Statement, entry_for_element, schema,
};
use crate::diagnostic::Diagnostic;
use crate::ie6::{Action, Cookie, Party};
use crate::parse::compact::{CompactPolicy, Token, classify, tokenize};
use crate::rules::RuleId;
use crate::source::{FileId, Span};
use crate::vocabulary::{Consent, TokenKind};
use std::sync::OnceLock;

/// The phrases of every language, compiled once.
struct Compiled {
    sections: Vec<(Section, String)>,
    group_count: Vec<Pattern>,
    group: Vec<Pattern>,
    required: Vec<Pattern>,
    collect: Vec<Pattern>,
    optional_collect: Vec<Pattern>,
    purposes: Vec<Pattern>,
    ours: Vec<Pattern>,
    recipients: Vec<Pattern>,
    non_identifiable: Vec<Pattern>,
    explanation: Vec<Pattern>,
    cookie_purposes: Vec<Pattern>,
    compact_policy: Vec<Pattern>,
    token_table: Vec<Pattern>,
    table_header: Vec<String>,
    disputes: Vec<Pattern>,
    opt_in: Vec<Pattern>,
    opt_out: Vec<Pattern>,
    advice: Vec<Pattern>,
    satisfactory: Vec<Pattern>,
    unsatisfactory: Vec<Pattern>,
    persistent: Vec<Pattern>,
    session: Vec<Pattern>,
    columns: Vec<String>,
    /// Level name (folded) -> the levels it names, longest names first.
    levels: Vec<(String, Vec<&'static str>)>,
    actions: Vec<(Pattern, Action)>,
    retention_claims: Vec<(Pattern, String)>,
    cookie_uses: Vec<String>,
    /// Level names that stand for two levels, as patterns.
    ambiguous_levels: Vec<(Pattern, Vec<&'static str>)>,
    /// The phrases that recognise a document, by language and kind of phrase (indices).
    markers: Vec<(usize, usize, Pattern)>,
    /// Finds the first literal of every phrase above in one pass over a block.
    first_literals: Option<aho_corasick::AhoCorasick>,
    phrase_count: usize,
}

impl Compiled {
    /// Every pattern, to number them and build the automaton.
    fn patterns_mut(&mut self) -> impl Iterator<Item = &mut Pattern> {
        let lists = [
            &mut self.group_count,
            &mut self.group,
            &mut self.required,
            &mut self.collect,
            &mut self.optional_collect,
            &mut self.purposes,
            &mut self.ours,
            &mut self.recipients,
            &mut self.non_identifiable,
            &mut self.explanation,
            &mut self.cookie_purposes,
            &mut self.compact_policy,
            &mut self.token_table,
            &mut self.disputes,
            &mut self.opt_in,
            &mut self.opt_out,
            &mut self.advice,
            &mut self.satisfactory,
            &mut self.unsatisfactory,
            &mut self.persistent,
            &mut self.session,
        ];
        lists
            .into_iter()
            .flat_map(|list| list.iter_mut())
            .chain(self.actions.iter_mut().map(|(pattern, _)| pattern))
            .chain(self.retention_claims.iter_mut().map(|(pattern, _)| pattern))
            .chain(self.ambiguous_levels.iter_mut().map(|(pattern, _)| pattern))
            .chain(self.markers.iter_mut().map(|(_, _, pattern)| pattern))
    }

    /// Where each phrase can start in `folded`: (pattern id, offset) for every occurrence of
    /// its first words, sorted. `None` when there is no automaton: every place is tried.
    fn starts(&self, folded: &str) -> Option<Vec<(usize, usize)>> {
        let automaton = self.first_literals.as_ref()?;
        let mut starts: Vec<(usize, usize)> = automaton
            .find_overlapping_iter(folded)
            .map(|found| (found.pattern().as_usize(), found.start()))
            .collect();
        starts.sort_unstable();
        Some(starts)
    }
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let all = |pick: fn(&Language) -> &Vec<String>| -> Vec<Pattern> {
            languages().iter().flat_map(|l| patterns(pick(l))).collect()
        };
        let folded_all = |pick: fn(&Language) -> &Vec<String>| -> Vec<String> {
            languages()
                .iter()
                .flat_map(|l| pick(l).iter().map(|p| phrases::fold_item(p)))
                .collect()
        };
        let mut levels: Vec<(String, Vec<&'static str>)> = Vec::new();
        for language in languages() {
            for (level, names) in &language.evaluation.levels {
                let level: &'static str = crate::ie6::tables()
                    .levels()
                    .find(|(name, _)| name == level)
                    .map_or("", |(name, _)| name);
                for name in names {
                    let folded = phrases::fold_item(name);
                    match levels.iter_mut().find(|(n, _)| *n == folded) {
                        Some((_, named)) if !named.contains(&level) => named.push(level),
                        Some(_) => {}
                        None => levels.push((folded, vec![level])),
                    }
                }
            }
        }
        // Within one language a name under two levels is ambiguous; across languages the same
        // word is the same level (English names repeated in a translation).
        levels.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
        let mut actions = Vec::new();
        let mut retention_claims = Vec::new();
        let mut sections = Vec::new();
        for language in languages() {
            for (action, sentences) in &language.evaluation.actions {
                let action = match action.as_str() {
                    "accept" => Action::Accept,
                    "downgrade" => Action::Downgrade,
                    "leash" => Action::Leash,
                    _ => Action::Block,
                };
                actions.extend(sentences.iter().map(|s| (Pattern::new(s), action)));
            }
            for (retention, sentences) in &language.retention_claims {
                retention_claims.extend(
                    sentences
                        .iter()
                        .map(|s| (Pattern::new(s), retention.clone())),
                );
            }
            for (section, headings) in &language.sections {
                sections.extend(headings.iter().map(|h| (*section, phrases::fold_item(h))));
            }
        }
        let ambiguous_levels = levels
            .iter()
            .filter(|(_, named)| named.len() > 1)
            .map(|(name, named)| (Pattern::new(name), named.clone()))
            .collect();
        let mut compiled = Compiled {
            sections,
            group_count: all(|l| &l.framing.group_count),
            group: all(|l| &l.framing.group),
            required: all(|l| &l.framing.required),
            collect: all(|l| &l.framing.collect),
            optional_collect: all(|l| &l.framing.optional_collect),
            purposes: all(|l| &l.framing.purposes),
            ours: all(|l| &l.framing.ours),
            recipients: all(|l| &l.framing.recipients),
            non_identifiable: all(|l| &l.framing.non_identifiable),
            explanation: all(|l| &l.framing.explanation),
            cookie_purposes: all(|l| &l.framing.cookie_purposes),
            compact_policy: all(|l| &l.framing.compact_policy),
            token_table: all(|l| &l.framing.token_table),
            table_header: folded_all(|l| &l.framing.table_header),
            disputes: all(|l| &l.framing.disputes),
            opt_in: all(|l| &l.framing.opt_in),
            opt_out: all(|l| &l.framing.opt_out),
            advice: all(|l| &l.evaluation.advice),
            satisfactory: all(|l| &l.evaluation.satisfactory),
            unsatisfactory: all(|l| &l.evaluation.unsatisfactory),
            persistent: all(|l| &l.evaluation.persistent),
            session: all(|l| &l.evaluation.session),
            columns: folded_all(|l| &l.evaluation.columns),
            levels,
            actions,
            retention_claims,
            cookie_uses: folded_all(|l| &l.cookies.uses),
            ambiguous_levels,
            markers: languages()
                .iter()
                .enumerate()
                .flat_map(|(index, language)| {
                    markers(language)
                        .into_iter()
                        .enumerate()
                        .flat_map(move |(kind, phrases)| {
                            phrases.iter().map(move |p| (index, kind, Pattern::new(p)))
                        })
                })
                .collect(),
            first_literals: None,
            phrase_count: 0,
        };
        let mut firsts = Vec::new();
        for pattern in compiled.patterns_mut() {
            pattern.id = firsts.len();
            firsts.push(pattern.first().to_string());
        }
        compiled.phrase_count = firsts.len();
        // Without the automaton (it cannot fail on these few short literals) every phrase is
        // tried, which is slower, never wrong.
        compiled.first_literals = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&firsts)
            .ok();
        compiled
    })
}

/// The framing sentences that mark a document in `language`'s layout.
/// How many kinds of framing sentence recognise a document (`markers`).
const MARKER_KINDS: usize = 7;

fn markers(language: &Language) -> [&Vec<String>; MARKER_KINDS] {
    let framing = &language.framing;
    [
        &framing.group_count,
        &framing.collect,
        &framing.purposes,
        &framing.recipients,
        &framing.compact_policy,
        &framing.token_table,
        &framing.cookie_purposes,
    ]
}

/// Whether `text` looks like a policy document: the language with the most distinct framing
/// sentences, if it has two or more. A quick scan of the raw text (case aside, and without the
/// folding of white space that `read` does), for deciding whether a file is worth reading.
pub fn recognize(text: &str) -> Option<&'static Language> {
    /// The automaton over every marker's words, and the (language, kind) of each.
    type Scanner = (aho_corasick::AhoCorasick, Vec<(usize, usize)>);
    static SCANNER: OnceLock<Option<Scanner>> = OnceLock::new();
    let (automaton, owners) = SCANNER
        .get_or_init(|| {
            let mut literals = Vec::new();
            let mut owners = Vec::new();
            for (index, language) in languages().iter().enumerate() {
                for (kind, phrases) in markers(language).into_iter().enumerate() {
                    for phrase in phrases {
                        let literal = phrase.split('{').next().unwrap_or("").trim();
                        let literal = literal.trim_end_matches([':', '.']);
                        if literal.len() >= 8 {
                            literals.push(literal.to_string());
                            owners.push((index, kind));
                        }
                    }
                }
            }
            let automaton = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                // The prefilter's rare bytes are common in markup (measured: it made this the
                // costliest step of a run over many small config files).
                .prefilter(false)
                .build(&literals)
                .ok()?;
            Some((automaton, owners))
        })
        .as_ref()?;
    let mut hits = vec![[false; MARKER_KINDS]; languages().len()];
    for found in automaton.find_overlapping_iter(text) {
        if let Some(&(language, kind)) = owners.get(found.pattern().as_usize()) {
            hits[language][kind] = true;
        }
    }
    best_language(&hits)
}

/// The language with the most distinct marker kinds seen, two at least.
fn best_language(hits: &[[bool; MARKER_KINDS]]) -> Option<&'static Language> {
    hits.iter()
        .zip(languages())
        .map(|(kinds, language)| (kinds.iter().filter(|hit| **hit).count(), language))
        .filter(|(count, _)| *count >= 2)
        .max_by_key(|(count, _)| *count)
        .map(|(_, language)| language)
}

/// A block folded for matching, with the way back to the file.
struct Folded<'b> {
    block: &'b Block,
    text: String,
    /// For each byte of `text`, the byte of the block's text it came from; `None` when that is
    /// the same byte.
    origin: Option<Vec<usize>>,
    /// Where each pattern's first words occur: (pattern id, offset), sorted; `None` to try
    /// every place. Found on first use: most list items never need it.
    starts: std::cell::OnceCell<Option<Vec<(usize, usize)>>>,
}

impl<'b> Folded<'b> {
    fn new(block: &'b Block) -> Folded<'b> {
        // Blocks have their white space collapsed already: ASCII text only changes case, byte
        // for byte, and needs no table back.
        let (text, origin) = if block.text.text.is_ascii() {
            (block.text.text.to_ascii_lowercase(), None)
        } else {
            let (text, origin) = fold(&block.text.text);
            (text, Some(origin))
        };
        Folded {
            block,
            text,
            origin,
            starts: std::cell::OnceCell::new(),
        }
    }

    /// The offsets where `pattern` may start, from `from` on; `None` when not known.
    fn candidates(&self, pattern: &Pattern, from: usize) -> Option<&[(usize, usize)]> {
        let starts = self
            .starts
            .get_or_init(|| compiled().starts(&self.text))
            .as_ref()?;
        if pattern.id == usize::MAX {
            return None;
        }
        let first = starts.partition_point(|&(id, at)| (id, at) < (pattern.id, from));
        let end = starts.partition_point(|&(id, _)| id <= pattern.id);
        Some(&starts[first..end.max(first)])
    }

    /// The first match of `pattern` from byte `from` on.
    fn find(&self, pattern: &Pattern, from: usize) -> Option<Match> {
        match self.candidates(pattern, from) {
            Some(candidates) => candidates
                .iter()
                .find_map(|&(_, at)| pattern.match_at(&self.text, at)),
            None => pattern.find(&self.text, from),
        }
    }

    /// A match of `pattern` at the start of the text.
    fn match_at_start(&self, pattern: &Pattern) -> Option<Match> {
        match self.candidates(pattern, 0) {
            Some(candidates) if candidates.first().is_none_or(|&(_, at)| at != 0) => None,
            _ => pattern.match_at(&self.text, 0),
        }
    }

    /// The earliest match of any of `patterns` from byte `from` on.
    fn find_any(&self, patterns: &[Pattern], from: usize) -> Option<Match> {
        patterns
            .iter()
            .filter_map(|pattern| self.find(pattern, from))
            .min_by_key(|found| (found.range.start, usize::MAX - found.range.end))
    }

    /// The byte of the block's text that folded byte `at` came from.
    fn origin(&self, at: usize) -> usize {
        match &self.origin {
            Some(origin) => origin
                .get(at.min(origin.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0),
            None => at.min(self.text.len()),
        }
    }

    /// The range of the block's text a range of the folded text came from.
    fn source_range(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        if self.text.is_empty() {
            return 0..0;
        }
        let start = self.origin(range.start);
        let last = self.origin(range.end.saturating_sub(1).max(range.start));
        let block = &self.block.text.text;
        let end = block
            .get(last..)
            .and_then(|rest| rest.chars().next())
            .map_or(last, |c| last + c.len_utf8());
        start..end.max(start)
    }

    /// The file span of a range of the folded text.
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        self.block.text.source_span(self.source_range(range))
    }

    fn words(&self, range: std::ops::Range<usize>) -> Item {
        let range = self.source_range(range);
        Item {
            text: self.block.text.text[range.clone()].to_string(),
            span: self.block.text.source_span(range),
        }
    }

    fn all(&self) -> Item {
        Item {
            text: self.block.text.text.clone(),
            span: self.block.text.full_span(),
        }
    }
}

/// Which list the items that follow belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Data,
    Purposes,
    Recipients,
    /// The CONSEQUENCE: free text, not compared.
    Explanation,
    CookieUses,
}

/// Reads the document's blocks into a `Document` and the group statements.
struct Reader {
    file: FileId,
    document: Document,
    statements: Vec<Statement>,
    diagnostics: Vec<Diagnostic>,
    section: Option<Section>,
    list: Option<(List, Span)>,
    expecting_policy: bool,
    in_table: bool,
    cookie: Option<Cookie>,
    last_level: Option<usize>,
    party: Party,
    /// By language, which kinds of framing sentence were seen: the document's language, and
    /// whether the text is a document at all.
    markers: Vec<[bool; MARKER_KINDS]>,
    /// Did-you-mean answers by item text: documents repeat their custom items.
    suggestions: std::collections::HashMap<(String, ItemKind), Option<String>>,
}

/// Reads a document; `None` when the text is in no language's layout (fewer than two kinds of
/// framing sentence).
pub fn read(file: FileId, text: &str) -> Option<(Document, Vec<Statement>, Vec<Diagnostic>)> {
    let mut reader = Reader {
        file,
        document: Document {
            file,
            ..Document::default()
        },
        statements: Vec::new(),
        diagnostics: Vec::new(),
        section: None,
        list: None,
        expecting_policy: false,
        in_table: false,
        cookie: None,
        last_level: None,
        party: Party::FirstParty,
        suggestions: std::collections::HashMap::new(),
        markers: vec![[false; MARKER_KINDS]; languages().len()],
    };
    for block in &blocks(text) {
        reader.block(block);
    }
    let language = best_language(&reader.markers)?;
    reader.document.language = language.language.clone();
    reader.finish();
    Some((reader.document, reader.statements, reader.diagnostics))
}

impl Reader {
    fn block(&mut self, block: &Block) {
        let folded = Folded::new(block);
        if folded.text.is_empty() {
            return;
        }
        if block.kind == BlockKind::Item
            && matches!(self.section, Some(Section::DataCollection))
            && let Some((list, list_span)) = self.list.clone()
        {
            // Most of a document: an item of a group's list.
            self.item(&folded, list, list_span);
            return;
        }
        if block.kind != BlockKind::Item {
            for (language, kind, pattern) in &compiled().markers {
                if folded.find(pattern, 0).is_some() {
                    self.markers[*language][*kind] = true;
                }
            }
        }
        if block.kind != BlockKind::Item
            && let Some(section) = self.section_heading(&folded.text)
        {
            self.document
                .sections
                .push((section, block.text.full_span()));
            self.section = Some(section);
            self.list = None;
            self.expecting_policy = false;
            self.in_table = false;
            self.cookie = None;
            return;
        }
        if block.kind != BlockKind::Item
            && let Some(found) = compiled()
                .group
                .iter()
                .find_map(|pattern| folded.match_at_start(pattern))
        {
            self.start_group(&folded, &found);
            return;
        }
        if folded.find_any(&compiled().disputes, 0).is_some() {
            // The disputes sentence stands for the section when its heading is gone.
            if !self.document.has_section(Section::Disputes) {
                self.document
                    .sections
                    .push((Section::Disputes, block.text.full_span()));
            }
            return;
        }
        match self.section {
            Some(Section::CompactPolicy) => self.compact_policy_block(&folded),
            Some(Section::Evaluation) => match &block.kind {
                // A table cell per line (`<td>Low: ...<br>Medium: ...</td>`): each its own block.
                BlockKind::Row(cells) => {
                    for cell in cells {
                        let cell = Block {
                            kind: BlockKind::Paragraph,
                            text: cell.clone(),
                        };
                        self.evaluation_block(&Folded::new(&cell));
                    }
                }
                _ => self.evaluation_block(&folded),
            },
            Some(Section::Cookies) => self.cookies_block(&folded),
            Some(Section::DataCollection) => self.data_collection_block(&folded),
            _ if !self.statements.is_empty() => self.data_collection_block(&folded),
            _ => {}
        }
        if !matches!(
            self.section,
            Some(Section::CompactPolicy | Section::Evaluation)
        ) && !matches!(block.kind, BlockKind::Row(_))
        {
            self.retention_claims(&folded);
        }
    }

    fn section_heading(&self, folded: &str) -> Option<Section> {
        let folded = folded.trim_end_matches(['.', ':', ' ']);
        compiled()
            .sections
            .iter()
            .find(|(_, heading)| heading == folded)
            .map(|(section, _)| *section)
    }

    fn start_group(&mut self, folded: &Folded<'_>, found: &Match) {
        let mut name_range = found.captures.first().cloned().unwrap_or(0..0);
        // `Group "X" (required)`: the suffix is not part of the name.
        if let Some(required) = folded.find_any(&compiled().required, 0)
            && required.range.start >= name_range.end
            && name_range.end == folded.text.len()
        {
            name_range.end = required.range.start;
        }
        let name = (!name_range.is_empty()).then(|| {
            folded
                .words(name_range.clone())
                .text
                .trim_end_matches(['"', '\u{201d}', ' '])
                .to_string()
        });
        let span = folded.block.text.full_span();
        self.new_group(name, span);
        if self.section.is_none_or(|s| s < Section::DataCollection) {
            self.section = Some(Section::DataCollection);
        }
    }

    fn new_group(&mut self, name: Option<String>, span: Span) {
        self.statements.push(Statement {
            name: name.clone(),
            file: self.file,
            span: span.clone(),
            non_identifiable: None,
            purposes: Vec::new(),
            recipients: Vec::new(),
            retention: None,
            data: Vec::new(),
        });
        self.document.groups.push(Group {
            name,
            span,
            data: Vec::new(),
            non_identifiable: None,
        });
        self.list = None;
    }

    fn data_collection_block(&mut self, folded: &Folded<'_>) {
        let compiled = compiled();
        if let Some(found) = folded.find_any(&compiled.group_count, 0)
            && let Some(number) = found.captures.first()
            && let Ok(count) = folded.text[number.clone()].parse::<usize>()
        {
            self.document.stated_groups = Some(Declared {
                value: count,
                file: self.file,
                span: folded.span(number.clone()),
            });
        }
        if folded.block.kind == BlockKind::Item {
            if let Some((list, list_span)) = self.list.clone() {
                self.item(folded, list, list_span);
            }
            return;
        }
        // `We collect the following information:<br>Click-stream data<br>...`: lines of a
        // paragraph that name an item are items of the open list.
        if let Some((list, list_span)) = self.list.clone()
            && matches!(list, List::Data | List::Purposes | List::Recipients)
            && item_names()
                .lookup(&folded.block.text.text, ItemKind::Data)
                .is_some()
        {
            self.item(folded, list, list_span);
            return;
        }
        // Framing sentences, in the order they stand (several can share a line).
        let mut framing: Vec<(Match, Option<List>, &str)> = Vec::new();
        let lists = [
            (&compiled.collect, Some(List::Data), "collect"),
            (&compiled.optional_collect, Some(List::Data), "collect"),
            (&compiled.purposes, Some(List::Purposes), "purposes"),
            (&compiled.recipients, Some(List::Recipients), "recipients"),
            (
                &compiled.explanation,
                Some(List::Explanation),
                "explanation",
            ),
            (&compiled.ours, None, "ours"),
            (&compiled.non_identifiable, None, "non-identifiable"),
        ];
        for (patterns, list, what) in lists {
            let mut from = 0;
            while let Some(found) = folded.find_any(patterns, from) {
                from = found.range.end.max(found.range.start + 1);
                framing.push((found, list, what));
            }
        }
        framing.sort_by_key(|(found, ..)| found.range.start);
        for (found, list, what) in framing {
            let span = folded.span(found.range.clone());
            if self.statements.is_empty() {
                // Framing before any group heading: the group has no name.
                self.new_group(None, span.clone());
            }
            match (list, what) {
                (Some(list), _) => self.list = Some((list, span)),
                (None, "ours") => {
                    if let Some(entry) = entry_for_element(TokenKind::Recipient, "ours") {
                        self.practice(entry, Consent::Always, span);
                    }
                }
                _ => {
                    if let Some(statement) = self.statements.last_mut() {
                        statement.non_identifiable = Some(span.clone());
                    }
                    if let Some(group) = self.document.groups.last_mut() {
                        group.non_identifiable = Some(span);
                    }
                }
            }
        }
    }

    fn practice(&mut self, entry: &'static crate::vocabulary::Entry, consent: Consent, span: Span) {
        let Some(statement) = self.statements.last_mut() else {
            return;
        };
        let practice = Practice {
            entry,
            consent,
            file: self.file,
            span,
            description: None,
        };
        match entry.kind {
            TokenKind::Recipient => statement.recipients.push(practice),
            _ => statement.purposes.push(practice),
        }
    }

    /// One list item of a group.
    fn item(&mut self, folded: &Folded<'_>, list: List, list_span: Span) {
        let expected = match list {
            List::Data => ItemKind::Data,
            List::Purposes => ItemKind::Purpose,
            List::Recipients => ItemKind::Recipient,
            List::Explanation | List::CookieUses => return,
        };
        let compiled = compiled();
        // A consent marker after the name: `Contacting visitors ... (opt-in)`.
        let mut name_end = folded
            .text
            .trim_end_matches(['.', ':', ';', ',', ' '])
            .len();
        let mut consent = Consent::Always;
        let has_marker = folded.text.contains(['(', '[']);
        for (patterns, marked) in [
            (&compiled.opt_in, Consent::OptIn),
            (&compiled.opt_out, Consent::OptOut),
        ]
        .into_iter()
        .filter(|_| has_marker)
        {
            if let Some(found) = folded.find_any(patterns, 0) {
                name_end = name_end.min(found.range.start);
                consent = marked;
            }
        }
        let item = folded.words(0..name_end.max(1));
        let names = item_names();
        let named = names
            .lookup(&item.text, expected)
            .or_else(|| names.lookup(&folded.block.text.text, expected))
            .cloned();
        let Some(named) = named else {
            let suggestion = self.suggestion(&item.text, expected);
            self.document.unrecognized.push(Unrecognized {
                item: item.clone(),
                expected,
                suggestion,
            });
            if expected == ItemKind::Data {
                self.data(item, None, None);
            }
            return;
        };
        if named.kind != expected
            && !(expected == ItemKind::Data && named.kind == ItemKind::Category)
        {
            self.document.misplaced.push(Misplaced {
                item: item.clone(),
                is: named.kind,
                listed_as: expected,
                list_span,
                group: self.statements.last().and_then(|s| s.name.clone()),
            });
        }
        match named.kind {
            ItemKind::Purpose | ItemKind::Recipient => {
                let kind = if named.kind == ItemKind::Purpose {
                    TokenKind::Purpose
                } else {
                    TokenKind::Recipient
                };
                if let Some(entry) = entry_for_element(kind, &named.element) {
                    self.practice(entry, consent, item.span);
                }
            }
            ItemKind::Category => self.data(item, None, Some(&named.element)),
            ItemKind::Data => self.data(item, Some(&named.element), None),
        }
    }

    /// A data item: a schema element, a category, or words the tables do not know.
    fn data(&mut self, item: Item, reference: Option<&str>, category: Option<&str>) {
        let declared = |element: &str, span: &Span| {
            entry_for_element(TokenKind::Category, element).map(|entry| Declared {
                value: entry,
                file: self.file,
                span: span.clone(),
            })
        };
        let (name, categories) = match (reference, category) {
            (Some(reference), _) => {
                let categories = match schema().resolve(reference) {
                    Some(Resolved::Fixed(fixed)) => fixed
                        .iter()
                        .filter_map(|c| declared(c, &item.span))
                        .collect(),
                    _ => Vec::new(),
                };
                (reference.to_string(), categories)
            }
            (None, Some(category)) => (
                item.text.clone(),
                declared(category, &item.span).into_iter().collect(),
            ),
            (None, None) => (item.text.clone(), Vec::new()),
        };
        let unknown_categories = categories.is_empty();
        if let Some(group) = self.document.groups.last_mut() {
            group.data.push(DataItem {
                item: item.clone(),
                unknown_categories,
            });
        }
        if let Some(statement) = self.statements.last_mut() {
            statement.data.push(Data {
                name,
                file: self.file,
                span: item.span,
                categories,
            });
        }
    }

    fn suggestion(&mut self, item: &str, kind: ItemKind) -> Option<String> {
        self.suggestions
            .entry((item.to_string(), kind))
            .or_insert_with(|| item_names().closest(item, kind).map(str::to_string))
            .clone()
    }

    fn cookies_block(&mut self, folded: &Folded<'_>) {
        if folded.find_any(&compiled().cookie_purposes, 0).is_some() {
            self.list = Some((List::CookieUses, folded.block.text.full_span()));
            return;
        }
        if folded.block.kind != BlockKind::Item || !matches!(self.list, Some((List::CookieUses, _)))
        {
            return;
        }
        let item = folded.all();
        let names = item_names();
        let known = names.lookup(&item.text, ItemKind::Purpose).is_some()
            || compiled()
                .cookie_uses
                .iter()
                .any(|u| *u == phrases::fold_item(&item.text));
        if !known {
            let suggestion = self.suggestion(&item.text, ItemKind::Purpose);
            self.document.unrecognized.push(Unrecognized {
                item: item.clone(),
                expected: ItemKind::Purpose,
                suggestion,
            });
        }
        self.document.cookie_uses.push(item);
    }

    fn compact_policy_block(&mut self, folded: &Folded<'_>) {
        let compiled = compiled();
        if let Some(found) = folded.find_any(&compiled.compact_policy, 0) {
            self.expecting_policy = true;
            // `... is: CP="..."` on the same line.
            if folded.text[found.range.end..].contains("cp=") {
                self.published(folded);
            }
            return;
        }
        if folded.find_any(&compiled.token_table, 0).is_some() {
            self.in_table = true;
            self.expecting_policy = false;
            return;
        }
        if self.in_table {
            if compiled.table_header.contains(&folded.text) {
                return;
            }
            if !self.table_row(folded) {
                self.in_table = false;
            }
            return;
        }
        if self.document.published.is_none()
            && (self.expecting_policy || folded.text.starts_with("cp="))
            && folded.text.contains("cp=")
        {
            self.published(folded);
        }
    }

    /// `CP="NOI DSP ..."` (quotes straight, typographic or none) as the document publishes it.
    fn published(&mut self, folded: &Folded<'_>) {
        let text = &folded.block.text;
        let Some(at) = text.text.to_ascii_lowercase().find("cp=") else {
            return;
        };
        let mut value_start = at + 3;
        let rest = &text.text[value_start..];
        let opening = rest.chars().next();
        let mut typographic = None;
        let closing: &[char] = match opening {
            Some('"') => &['"'],
            Some('\'') => &['\''],
            Some('\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}') => {
                typographic = Some(value_start..value_start + opening.map_or(1, char::len_utf8));
                &['\u{201c}', '\u{201d}', '\u{2033}', '"']
            }
            _ => &[],
        };
        if let Some(open) = opening
            && !closing.is_empty()
        {
            value_start += open.len_utf8();
        }
        let value_rest = &text.text[value_start..];
        let value_len = if closing.is_empty() {
            value_rest.len()
        } else {
            value_rest.find(closing).unwrap_or(value_rest.len())
        };
        let value_end = value_start + value_len;
        let tokens = tokenize(&text.text[value_start..value_end], value_start)
            .into_iter()
            .map(|(word, range)| Token {
                class: classify(&word),
                text: word,
                span: text.source_span(range),
            })
            .collect();
        let whole_end = (value_end
            + text.text[value_end..]
                .chars()
                .next()
                .filter(|c| closing.contains(c))
                .map_or(0, char::len_utf8))
        .min(text.text.len());
        let typographic_quotes = typographic.map(|range| text.source_span(range));
        if let Some(span) = &typographic_quotes {
            self.diagnostics.push(
                Diagnostic::new(
                    RuleId::MalformedHeader,
                    self.file,
                    span.clone(),
                    "the published compact policy is in typographic quotes (`”`); a header \
                     needs straight ones",
                )
                .with_label("typographic quote")
                .with_help("write CP=\"...\" with straight quotes where the header is set")
                .with_severity(crate::diagnostic::Severity::Warning),
            );
        }
        self.document.published = Some(Published {
            policy: CompactPolicy {
                span: text.source_span(value_start..value_end),
                tokens,
            },
            span: text.source_span(at..whole_end),
            typographic_quotes,
        });
        self.expecting_policy = false;
    }

    /// One token-table row; false when the block is not one.
    fn table_row(&mut self, folded: &Folded<'_>) -> bool {
        let text = &folded.block.text;
        let (token_range, meaning_range) = match &folded.block.kind {
            BlockKind::Row(cells) if cells.len() >= 2 => {
                let first = cells[0].text.len();
                (0..first, first + 1..text.text.len())
            }
            _ => {
                let Some(space) = text.text.find(' ') else {
                    return false;
                };
                (0..space, space + 1..text.text.len())
            }
        };
        let token = text.text[token_range.clone()].trim();
        if token.eq_ignore_ascii_case("cp=") {
            return true;
        }
        let shaped = (3..=4).contains(&token.len())
            && token.chars().take(3).all(|c| c.is_ascii_uppercase())
            && token.chars().skip(3).all(|c| matches!(c, 'a' | 'i' | 'o'));
        if !shaped {
            return false;
        }
        self.document.token_table.push(TableRow {
            token: Item {
                text: token.to_string(),
                span: text.source_span(token_range),
            },
            meaning: Item {
                text: text.text[meaning_range.clone()].to_string(),
                span: text.source_span(meaning_range),
            },
        });
        true
    }

    fn evaluation_block(&mut self, folded: &Folded<'_>) {
        let compiled = compiled();
        if self.document.evaluation.verdict.is_none() {
            let verdict = folded
                .find_any(&compiled.unsatisfactory, 0)
                .map(|found| (found, false))
                .or_else(|| {
                    folded
                        .find_any(&compiled.satisfactory, 0)
                        .map(|f| (f, true))
                });
            if let Some((found, satisfactory)) = verdict
                && found.range.start == 0
            {
                self.document.evaluation.verdict = Some(Declared {
                    value: satisfactory,
                    file: self.file,
                    span: folded.span(found.range),
                });
                return;
            }
        }
        for (patterns, cookie) in [
            (&compiled.persistent, Cookie::Persistent),
            (&compiled.session, Cookie::Session),
        ] {
            if patterns.iter().any(|p| folded.match_at_start(p).is_some()) {
                self.cookie = Some(cookie);
                self.last_level = None;
                self.party = Party::FirstParty;
                return;
            }
        }
        if compiled.columns.contains(&folded.text) {
            return;
        }
        if self.document.evaluation.advice.is_none()
            && folded.find_any(&compiled.advice, 0).is_some()
        {
            self.document.evaluation.advice = Some(folded.all());
        }
        if folded.block.kind != BlockKind::Heading
            && let Some(cookie) = self.cookie
            && let Some(colon) = folded.text.find(':')
        {
            let name = folded.text[..colon].trim();
            if let Some((_, levels)) = compiled.levels.iter().find(|(n, _)| n == name) {
                self.cell(folded, cookie, levels, colon);
                return;
            }
        }
        self.ambiguous_levels(folded);
    }

    fn cell(&mut self, folded: &Folded<'_>, cookie: Cookie, levels: &[&'static str], colon: usize) {
        if levels.len() != 1 {
            self.ambiguous_levels(folded);
            return;
        }
        let level = levels[0];
        let index = crate::ie6::tables()
            .levels()
            .position(|(name, _)| name == level)
            .unwrap_or(0);
        // The table is read column by column: the levels start again for third-party use.
        if self.last_level.is_some_and(|last| index <= last) {
            self.party = Party::ThirdParty;
        }
        self.last_level = Some(index);
        let action = compiled()
            .actions
            .iter()
            .filter_map(|(pattern, action)| {
                folded
                    .find(pattern, colon + 1)
                    .map(|found| (found.range.start, *action))
            })
            .min_by_key(|(at, _)| *at)
            .map(|(_, action)| action);
        if let Some(action) = action {
            self.document.evaluation.cells.push(StatedCell {
                cookie,
                party: self.party,
                level: level.to_string(),
                action,
                span: folded.block.text.full_span(),
            });
        }
    }

    /// Level names that stand for two levels (`medelhög`), each reported once.
    fn ambiguous_levels(&mut self, folded: &Folded<'_>) {
        for (pattern, levels) in &compiled().ambiguous_levels {
            let Some(found) = folded.find(pattern, 0) else {
                continue;
            };
            let words = folded.words(found.range);
            let seen = self
                .document
                .evaluation
                .ambiguous_levels
                .iter()
                .any(|(item, _)| phrases::fold_item(&item.text) == phrases::fold_item(&words.text));
            if !seen {
                self.document
                    .evaluation
                    .ambiguous_levels
                    .push((words, levels.clone()));
            }
        }
    }

    /// Sentences about retention: one claim per block and retention, spanning its phrases.
    fn retention_claims(&mut self, folded: &Folded<'_>) {
        let mut claims: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        for (pattern, retention) in &compiled().retention_claims {
            let mut from = 0;
            while let Some(found) = folded.find(pattern, from) {
                from = found.range.end.max(found.range.start + 1);
                match claims.iter_mut().find(|(r, _)| r == retention) {
                    Some((_, range)) => {
                        range.start = range.start.min(found.range.start);
                        range.end = range.end.max(found.range.end);
                    }
                    None => claims.push((retention.clone(), found.range)),
                }
            }
        }
        for (retention, range) in claims {
            self.document.retention_claims.push(RetentionClaim {
                retention,
                span: folded.span(range),
            });
        }
    }

    /// Sections a partly edited document lacks, each reported once.
    fn finish(&mut self) {
        for section in [
            Section::DataCollection,
            Section::CompactPolicy,
            Section::Evaluation,
        ] {
            let present = self.document.has_section(section)
                || match section {
                    Section::DataCollection => !self.statements.is_empty(),
                    Section::CompactPolicy => self.document.published.is_some(),
                    _ => !self.document.evaluation.cells.is_empty(),
                };
            if !present {
                self.diagnostics.push(
                    Diagnostic::new(
                        RuleId::MissingDocumentSection,
                        self.file,
                        0..0,
                        format!(
                            "the document has no \"{}\" section; what it would say is not checked",
                            section.title()
                        ),
                    )
                    .with_help("policy editors publish it; restore it from the editor's output"),
                );
            }
        }
        if self.statements.is_empty() {
            self.diagnostics.push(Diagnostic::new(
                RuleId::MalformedPolicy,
                self.file,
                0..0,
                "the document describes no data group, so it declares nothing",
            ));
        }
    }
}

/// The policy a document declares: its groups as statements. Access, retention, remedies and
/// the test flag are not stated by the layout, and disputes only by their section.
pub fn to_policy(document: Document, statements: Vec<Statement>) -> Policy {
    let mut unstated = vec![
        TokenKind::Access,
        TokenKind::Retention,
        TokenKind::Remedies,
        TokenKind::Test,
    ];
    let disputes = document
        .sections
        .iter()
        .find(|(section, _)| *section == Section::Disputes)
        .map(|(_, span)| Declared {
            value: (),
            file: document.file,
            span: span.clone(),
        });
    if disputes.is_none() {
        unstated.push(TokenKind::Disputes);
    }
    let span = statements.first().map_or(0..0, |s| s.span.clone());
    Policy {
        name: None,
        file: document.file,
        span,
        access: None,
        disputes,
        remedies: Vec::new(),
        test: None,
        statements,
        unstated,
        document: Some(std::sync::Arc::new(document)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_privacy_policy_reads_section_by_section() {
        let text = include_str!("../../../fixtures/seed/cloudtalk-privacy-policy.txt");
        let (document, statements, _) = read(FileId(0), text).expect("a policy document");
        assert_eq!(document.language, "Svenska");
        let names: Vec<_> = statements
            .iter()
            .filter_map(|s| s.name.as_deref())
            .collect();
        assert_eq!(
            names,
            [
                "Information om Åtkomstlogg",
                "Cookies",
                "Transaktionsinformation"
            ]
        );
        assert_eq!(document.stated_groups.as_ref().map(|n| n.value), Some(4));
        let published = document.published.as_ref().expect("its compact policy");
        assert_eq!(published.policy.tokens.len(), 18);
        assert!(published.typographic_quotes.is_none());
        // 18 rows, `CP=` aside.
        assert_eq!(document.token_table.len(), 18);
        assert_eq!(document.token_table[0].token.text, "NOI");
        // 16 cells, the verdict, the advice and the ambiguous level name.
        assert_eq!(document.evaluation.cells.len(), 16);
        assert_eq!(
            document.evaluation.verdict.as_ref().map(|v| v.value),
            Some(false)
        );
        let advice = document.evaluation.advice.as_ref().expect("the advice");
        assert!(
            advice
                .text
                .starts_with("Observera att om du tillåter ett opt-out")
        );
        assert_eq!(document.evaluation.ambiguous_levels.len(), 1);
        assert_eq!(document.cookie_uses.len(), 2);
        // Every span points at the words it names.
        for row in &document.token_table {
            assert_eq!(&text[row.token.span.clone()], row.token.text);
        }
        for group in &document.groups {
            for item in &group.data {
                assert_eq!(&text[item.item.span.clone()], item.item.text);
            }
        }
    }

    #[test]
    fn text_in_no_layout_is_not_a_document() {
        assert!(read(FileId(0), "Hello.\nThis data will be used for nothing.\n").is_none());
        assert!(
            recognize("<html><body>We collect the following information:</body></html>").is_none()
        );
    }
}
