//! Walks a document's blocks in the editor's layout: section headings switch what is read,
//! framing sentences open lists, and list items become data, purposes and recipients. Every
//! language's phrases are tried, since translated documents keep English items and tables.

use super::blocks::{Block, BlockKind, blocks};
use super::phrases::{
    self, ItemKind, Language, Match, Pattern, Section, find_any, fold, item_names, languages,
    patterns,
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
        Compiled {
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
            satisfactory: all(|l| &l.evaluation.satisfactory),
            unsatisfactory: all(|l| &l.evaluation.unsatisfactory),
            persistent: all(|l| &l.evaluation.persistent),
            session: all(|l| &l.evaluation.session),
            columns: folded_all(|l| &l.evaluation.columns),
            levels,
            actions,
            retention_claims,
            cookie_uses: folded_all(|l| &l.cookies.uses),
        }
    })
}

/// The language with the most distinct framing phrases in `text`, if it has two or more.
pub fn recognize(text: &str) -> Option<&'static Language> {
    // Framing sentences are short; a folded copy of the text is searched once per phrase.
    let (folded, _) = fold(text);
    languages()
        .iter()
        .map(|language| {
            let framing = &language.framing;
            let markers = [
                &framing.group_count,
                &framing.collect,
                &framing.purposes,
                &framing.recipients,
                &framing.compact_policy,
                &framing.token_table,
                &framing.cookie_purposes,
            ];
            let hits = markers
                .iter()
                .filter(|phrases| find_any(&patterns(phrases), &folded, 0).is_some())
                .count();
            (hits, language)
        })
        .filter(|(hits, _)| *hits >= 2)
        .max_by_key(|(hits, _)| *hits)
        .map(|(_, language)| language)
}

/// A block folded for matching, with the way back to the file.
struct Folded<'b> {
    block: &'b Block,
    text: String,
    origin: Vec<usize>,
}

impl<'b> Folded<'b> {
    fn new(block: &'b Block) -> Folded<'b> {
        let (text, origin) = fold(&block.text.text);
        Folded {
            block,
            text,
            origin,
        }
    }

    /// The file span of a range of the folded text.
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        if self.origin.is_empty() {
            return self.block.text.full_span();
        }
        let start = self.origin[range.start.min(self.origin.len() - 1)];
        let last = self.origin[range.end.saturating_sub(1).min(self.origin.len() - 1)];
        let end = self.block.text.text[last..]
            .chars()
            .next()
            .map_or(last, |c| last + c.len_utf8());
        self.block.text.source_span(start..end.max(start))
    }

    fn words(&self, range: std::ops::Range<usize>) -> Item {
        let span = self.span(range.clone());
        let start = self.origin[range.start.min(self.origin.len() - 1)];
        let last = self.origin[range.end.saturating_sub(1).min(self.origin.len() - 1)];
        let end = self.block.text.text[last..]
            .chars()
            .next()
            .map_or(last, |c| last + c.len_utf8());
        Item {
            text: self.block.text.text[start..end.max(start)].to_string(),
            span,
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
}

pub fn read(
    file: FileId,
    text: &str,
    language: &Language,
) -> (Document, Vec<Statement>, Vec<Diagnostic>) {
    let mut reader = Reader {
        file,
        document: Document {
            file,
            language: language.language.clone(),
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
    };
    for block in &blocks(text) {
        reader.block(block);
    }
    reader.finish();
    (reader.document, reader.statements, reader.diagnostics)
}

impl Reader {
    fn block(&mut self, block: &Block) {
        let folded = Folded::new(block);
        if folded.text.is_empty() {
            return;
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
                .find_map(|pattern| pattern.match_at(&folded.text, 0))
        {
            self.start_group(&folded, &found);
            return;
        }
        if find_any(&compiled().disputes, &folded.text, 0).is_some() {
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
        if let Some(required) = find_any(&compiled().required, &folded.text, 0)
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
        if let Some(found) = find_any(&compiled.group_count, &folded.text, 0)
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
            while let Some(found) = find_any(patterns, &folded.text, from) {
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
        for (patterns, marked) in [
            (&compiled.opt_in, Consent::OptIn),
            (&compiled.opt_out, Consent::OptOut),
        ] {
            if let Some(found) = find_any(patterns, &folded.text, 0) {
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
            let suggestion = names.closest(&item.text, expected).map(str::to_string);
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

    fn cookies_block(&mut self, folded: &Folded<'_>) {
        if find_any(&compiled().cookie_purposes, &folded.text, 0).is_some() {
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
            let suggestion = names
                .closest(&item.text, ItemKind::Purpose)
                .map(str::to_string);
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
        if let Some(found) = find_any(&compiled.compact_policy, &folded.text, 0) {
            self.expecting_policy = true;
            // `... is: CP="..."` on the same line.
            if folded.text[found.range.end..].contains("cp=") {
                self.published(folded);
            }
            return;
        }
        if find_any(&compiled.token_table, &folded.text, 0).is_some() {
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
            let verdict = find_any(&compiled.unsatisfactory, &folded.text, 0)
                .map(|found| (found, false))
                .or_else(|| find_any(&compiled.satisfactory, &folded.text, 0).map(|f| (f, true)));
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
            if patterns
                .iter()
                .any(|p| p.match_at(&folded.text, 0).is_some())
            {
                self.cookie = Some(cookie);
                self.last_level = None;
                self.party = Party::FirstParty;
                return;
            }
        }
        if compiled.columns.contains(&folded.text) {
            return;
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
        let sentence = &folded.text[colon + 1..];
        let action = compiled()
            .actions
            .iter()
            .filter_map(|(pattern, action)| {
                pattern
                    .find(sentence, 0)
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
        for (name, levels) in &compiled().levels {
            if levels.len() < 2 {
                continue;
            }
            let seen = self
                .document
                .evaluation
                .ambiguous_levels
                .iter()
                .any(|(item, _)| phrases::fold_item(&item.text) == *name);
            if seen {
                continue;
            }
            if let Some(found) = Pattern::new(name).find(&folded.text, 0) {
                let words = folded.words(found.range);
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
            while let Some(found) = pattern.find(&folded.text, from) {
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
