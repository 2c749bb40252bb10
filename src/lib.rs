//! p3plint keeps the P3P compact policies a code base emits honest: valid, consistent with
//! themselves, and (with a declaration) with what the site declares.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! discover (Input) -> extract (Emission) -> parse (CompactPolicy) -> check (Diagnostic) -> report
//!     declaration: locate -> xml/toml reader (Policy) -> derive (Derived) ---^
//! ```
//!
//! `lint` runs it over a tree; `lint_source` over one text in memory (tests, rule examples, the
//! language server).
//!
//! Files are read once each, skipped early when their bytes cannot hold a P3P header, and checked
//! in parallel; the report is sorted, so output does not depend on thread count.

pub mod check;
pub mod commands;
pub mod config;
pub mod declaration;
pub mod describe;
pub mod diagnostic;
pub mod discover;
pub mod explain;
pub mod extract;
pub mod files;
pub mod fix;
#[doc(hidden)]
pub mod fuzzing;
pub mod ie6;
pub mod lsp;
pub mod parse;
pub mod record;
pub mod report;
pub mod rules;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod vocabulary;

use crate::check::declared::DeclaredPolicies;
use crate::config::Config;
use crate::config::RuleSettings;
use crate::declaration::locate::Loaded;
use crate::diagnostic::Diagnostic;
use crate::discover::{Input, InputStatus};
use crate::extract::FileKind;
use crate::rules::RuleId;
use crate::source::{FileId, SourceDb, SourceFile};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub use report::Report;

/// Stack size of the threads that parse files.
const WORKER_STACK_SIZE: usize = 32 * 1024 * 1024;

/// Why a run could not complete.
#[derive(Debug)]
pub enum RunError {
    /// A path named on the command line does not exist.
    MissingPath(PathBuf),
    /// The policy lint.toml names cannot be used at all; the report says why.
    PolicyUnusable(Report),
}

/// Checks every file under `paths`, against the declaration when there is one.
pub fn lint(paths: &[PathBuf], config: &Config) -> Result<Report, RunError> {
    let inputs = discover::discover(paths, config).map_err(|m| RunError::MissingPath(m.0))?;
    let loaded = load_declaration(paths, config, inputs.len());
    let declared = loaded
        .as_ref()
        .filter(|l| l.usable)
        .map(|l| DeclaredPolicies::new(l, config));
    // Each file leaves the parallel stage as what the report needs of it: its text only when
    // it has findings and the output prints source lines, else the positions the findings name.
    let check_all = || -> Vec<(SourceFile, Vec<Diagnostic>)> {
        inputs
            .par_iter()
            .enumerate()
            .map(|(index, input)| {
                let file = FileId(index);
                let (text, diagnostics) = lint_input(
                    file,
                    input,
                    config.max_file_size,
                    &config.rules,
                    declared.as_ref(),
                );
                let text = if diagnostics.is_empty() { None } else { text };
                // `check` with no path walks `.`; show `src/a.rs`, not `./src/a.rs`.
                let shown = input.path.strip_prefix(".").unwrap_or(&input.path);
                let mut source =
                    SourceFile::new(shown.display().to_string(), text.unwrap_or_default())
                        .with_path(input.path.clone());
                source.in_tests = input.in_tests;
                if !config.keep_sources && !diagnostics.is_empty() {
                    source = source.keep_positions(offsets_in(&diagnostics, file));
                }
                (source, diagnostics)
            })
            .collect()
    };
    // Parsers recurse; worker threads get room for what the nesting limit still lets through.
    let outcomes = match rayon::ThreadPoolBuilder::new()
        .stack_size(WORKER_STACK_SIZE)
        .build()
    {
        Ok(pool) => pool.install(check_all),
        Err(_) => check_all(),
    };
    let mut report = Report {
        files_checked: inputs.len(),
        ..Report::default()
    };
    // Ids stay equal to input indices.
    for (source, diagnostics) in outcomes {
        report.db.add(source);
        report.diagnostics.extend(diagnostics);
    }
    finish(report, loaded, config)
}

/// Every offset the findings name in file `id`: label ends and fix edits.
fn offsets_in(diagnostics: &[Diagnostic], id: FileId) -> Vec<usize> {
    let mut offsets = Vec::new();
    for diagnostic in diagnostics {
        let labels = std::iter::once(&diagnostic.primary).chain(&diagnostic.related);
        for label in labels.filter(|label| label.file == id) {
            offsets.extend([label.span.start, label.span.end]);
        }
        if let Some(fix) = &diagnostic.fix {
            for edit in fix.edits.iter().filter(|edit| edit.file == id) {
                offsets.extend([edit.span.start, edit.span.end]);
            }
        }
    }
    offsets
}

/// Checks a text read from stdin as if it were the file `name` (`check - --stdin-filename`):
/// the same kind, declaration and rules that file would get. Nothing is written for it.
pub fn lint_stdin(name: &Path, text: &str, config: &Config) -> Result<Report, RunError> {
    let loaded = load_declaration(&[name.to_path_buf()], config, 1);
    let declared = loaded
        .as_ref()
        .filter(|l| l.usable)
        .map(|l| DeclaredPolicies::new(l, config));
    let kind = FileKind::for_path(name).unwrap_or(FileKind::Text);
    let file = FileId(0);
    let diagnostics = check_text(
        file,
        text,
        kind,
        &config.rules,
        Origin::Path(name),
        declared.as_ref().map(|d| (d, name)),
    );
    let mut report = Report {
        files_checked: 1,
        ..Report::default()
    };
    report
        .db
        .add(SourceFile::new(name.display().to_string(), text));
    report.diagnostics = diagnostics;
    finish(report, loaded, config)
}

/// The compact policy the declaration in force for the file at `path` implies for `emitted`
/// (in `text`, that file's text): what an editor shows beside a policy. `None` without a usable
/// declaration.
pub fn derived_policy_for(
    path: &Path,
    text: &str,
    emitted: &parse::CompactPolicy,
    config: &Config,
) -> Option<String> {
    let loaded = load_declaration(&[path.to_path_buf()], config, 1).filter(|l| l.usable)?;
    DeclaredPolicies::new(&loaded, config).derived_for(emitted, text, path)
}

/// The declaration for a run over `paths`, its files numbered from `first_id`. A configured
/// declaration may be read anywhere under lint.toml's directory; a discovered `w3c/p3p.xml`
/// only under the directory it was found in.
fn load_declaration(paths: &[PathBuf], config: &Config, first_id: usize) -> Option<Loaded> {
    let found = declaration::locate::find(
        config.policy_file.as_deref(),
        paths,
        &config.web_roots,
        &config.absolute_root(),
    )?;
    let root = match config.policy_file {
        Some(_) if config.policy_named => declaration::locate::site_root(&found),
        Some(_) => config.absolute_root(),
        None => declaration::locate::site_root(&found),
    };
    Some(declaration::locate::load(&found, &root, first_id))
}

/// Adds the declaration's files and findings to a run's report, and sorts it.
fn finish(mut report: Report, loaded: Option<Loaded>, config: &Config) -> Result<Report, RunError> {
    if let Some(loaded) = loaded {
        let mut found = loaded.diagnostics.clone();
        found.extend(declaration::checks::check_declaration(&loaded.declaration));
        found.extend(check::gdpr::review_declaration(
            &loaded.declaration,
            &config.rules,
        ));
        report.diagnostics.extend(config.rules.resolve(found));
        for file in loaded.files {
            report.db.add(file);
        }
        if !loaded.usable && config.policy_file.is_some() {
            sort(&mut report);
            return Err(RunError::PolicyUnusable(report));
        }
    }
    sort(&mut report);
    Ok(report)
}

/// Sorts by file name, offset, rule code and message: the same order for any thread count.
fn sort(report: &mut Report) {
    let db = &report.db;
    report.diagnostics.sort_by(|a, b| {
        let name = |d: &Diagnostic| db.get(d.primary.file).name.as_str();
        (name(a), a.sort_key()).cmp(&(name(b), b.sort_key()))
    });
}

/// Checks one text that is not on disk (an editor buffer, a rule's example, a test).
pub fn lint_source(name: &str, text: &str, kind: FileKind, rules: &RuleSettings) -> Report {
    let mut db = SourceDb::default();
    let file = db.add(SourceFile::new(name, text));
    let diagnostics = check_text(file, text, kind, rules, Origin::Memory, None);
    let mut report = Report {
        db,
        diagnostics,
        files_checked: 1,
    };
    sort(&mut report);
    report
}

/// A policy given on the command line (a header value, `CP="..."` or bare tokens), parsed and
/// checked with the default rules. `None` when it holds no compact policy.
pub fn parse_argument(input: &str) -> (Report, Option<parse::CompactPolicy>) {
    let mut db = SourceDb::default();
    let file = db.add(SourceFile::new("<policy>", input));
    let text = extract::MappedText::verbatim(input, 0..input.len());
    let rules = RuleSettings::default();
    let (policy, mut diagnostics) = parse::header::parse(file, &text, extract::Context::Tokens);
    if let Some(policy) = &policy {
        diagnostics.extend(check::compact::check(file, policy, &rules));
    }
    let mut diagnostics = rules.resolve(diagnostics);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let report = Report {
        db,
        diagnostics,
        files_checked: 1,
    };
    (report, policy)
}

/// Reads, prefilters, decodes and checks one input. Returns the text (when it was decoded).
fn lint_input(
    file: FileId,
    input: &Input,
    max_file_size: u64,
    rules: &RuleSettings,
    declared: Option<&DeclaredPolicies>,
) -> (Option<String>, Vec<Diagnostic>) {
    let kind = match &input.status {
        InputStatus::Read(kind) => *kind,
        InputStatus::TooLarge { size, limit } => {
            let message = format!("skipped: {size} bytes, over the {limit}-byte limit");
            return (None, rules.resolve(vec![too_large(file, message)]));
        }
        InputStatus::LinkOutside => {
            let diagnostic = Diagnostic::new(
                RuleId::LinkOutsideTree,
                file,
                0..0,
                "a symbolic link to a file outside the checked directory; not followed",
            )
            .with_help("name the target on the command line to check it");
            return (None, rules.resolve(vec![diagnostic]));
        }
        InputStatus::Unreadable(reason) => {
            let diagnostic = Diagnostic::new(RuleId::UnreadableInput, file, 0..0, reason.clone());
            return (None, rules.resolve(vec![diagnostic]));
        }
    };
    thread_local! {
        /// Each checker thread reads every file into the same buffer.
        static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let read = READ_BUFFER.with_borrow_mut(|buffer| {
        files::read_into(&input.path, max_file_size, buffer)?;
        // Most files cannot emit: judged in the buffer, and only the others are copied out.
        // UTF-16 text hides `p3p` from the byte prefilter, so it is always decoded.
        let worth_checking = source::is_utf16(buffer) || extract::may_emit(buffer);
        Ok::<_, files::ReadError>(worth_checking.then(|| buffer.clone()))
    });
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return (None, Vec::new()),
        Err(files::ReadError::TooLarge { limit }) => {
            // It grew after discovery, or the file system under-reported its size (/proc).
            let message = format!("skipped: over the {limit}-byte limit");
            return (None, rules.resolve(vec![too_large(file, message)]));
        }
        Err(err) => {
            let diagnostic = Diagnostic::new(RuleId::UnreadableInput, file, 0..0, err.to_string());
            return (None, rules.resolve(vec![diagnostic]));
        }
    };
    let declared = declared.map(|d| (d, input.path.as_path()));
    let check =
        |text: &str| check_text(file, text, kind, rules, Origin::Path(&input.path), declared);
    if let Some(decoded) = source::decode_utf16(&bytes) {
        // UTF-16 text hides `p3p` from the byte prefilter: decoded first, then filtered.
        return match decoded {
            Ok(text) if !extract::may_emit(text.as_bytes()) => (None, Vec::new()),
            Ok(text) => {
                let diagnostics = check(&text);
                (Some(text), diagnostics)
            }
            Err(offset) => {
                let message =
                    format!("skipped: not valid UTF-16 (unpaired surrogate at offset {offset})");
                let diagnostic = Diagnostic::new(RuleId::NonUtf8Input, file, 0..0, message)
                    .with_help("convert the file to UTF-8 to have it checked");
                (None, rules.resolve(vec![diagnostic]))
            }
        };
    }
    if !extract::may_emit(&bytes) {
        return (None, Vec::new());
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            let diagnostics = check(&text);
            (Some(text), diagnostics)
        }
        Err(err) => {
            // Most such files are UTF-8 but for a few comment bytes in a legacy encoding; their
            // header values are ASCII, so they are checked with those bytes shown as `?`.
            let offset = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            let (text, replaced, _) = source::decode_replacing_invalid(bytes);
            let mut diagnostics = check(&text);
            let message = format!(
                "not UTF-8: {replaced} byte{} from offset {offset} on {} read as `?`",
                if replaced == 1 { "" } else { "s" },
                if replaced == 1 { "is" } else { "are" },
            );
            let at = offset..offset + 1;
            let diagnostic = Diagnostic::new(RuleId::NonUtf8Input, file, at, message)
                .with_label("not UTF-8")
                .with_help("save the file as UTF-8 so every character is read as written");
            diagnostics.extend(rules.resolve(vec![diagnostic]));
            (Some(text), diagnostics)
        }
    }
}

fn too_large(file: FileId, message: String) -> Diagnostic {
    Diagnostic::new(RuleId::FileTooLarge, file, 0..0, message)
        .with_help("raise `[paths] max-file-size` in lint.toml to check it")
}

/// proc-macro2's lexer error says nothing about the cause; name the usual ones.
fn describe_syn_error(message: &str) -> &str {
    if message == "cannot parse string into token stream" {
        "unbalanced brackets or an unterminated string or comment"
    } else {
        message
    }
}

/// Where a text came from, when that changes how it is read.
#[derive(Clone, Copy)]
enum Origin<'p> {
    /// A file at this path (walked, named, or the name given to stdin).
    Path(&'p Path),
    /// A text with no file name worth trusting (an editor buffer, an example).
    Memory,
}

impl Origin<'_> {
    fn is_server_config(self) -> bool {
        match self {
            Origin::Path(path) => extract::is_server_config(path),
            Origin::Memory => false,
        }
    }
}

/// Extract, parse and check one decoded file.
fn check_text(
    file: FileId,
    text: &str,
    kind: FileKind,
    rules: &RuleSettings,
    origin: Origin<'_>,
    declared: Option<(&DeclaredPolicies, &std::path::Path)>,
) -> Vec<Diagnostic> {
    // Generated documentation and published policies are pages; a server config is neither.
    let page = kind == FileKind::Text && !origin.is_server_config();
    if page && extract::is_generated_documentation(text) {
        // A page a documentation generator made quotes code; it sends nothing.
        return Vec::new();
    }
    if page && declaration::document::recognize(text).is_some() {
        // A published privacy policy: its `CP=` lines are what it publishes, not headers sent.
        // It gets the document's own rules, unless it is the declaration, checked as such.
        if declared.is_some_and(|(declared, path)| declared.is_declaration_file(path)) {
            return Vec::new();
        }
        let found = declaration::document::check_file(file, text);
        let found = rules.resolve(found);
        return suppress::apply(file, text, found, rules);
    }
    let (emissions, parse_failure) = extract::extract(kind, text);
    let mut diagnostics = Vec::new();
    let may_suppress = suppress::may_suppress(text);
    let listing_policies = rules.is_enabled(rules::registry().rule(RuleId::EmittedPolicy));
    let mut per_file = diagnostic::Repeats::new(MAX_REPEATS_PER_FILE);
    // Every finding of the file goes through here once: severities resolved, repeats folded
    // per policy and, without a suppression comment in the file (nothing can drop a finding
    // later), repeats past the file's cap counted and dropped before they take memory.
    let mut record = |found: Vec<Diagnostic>| {
        let found =
            diagnostic::fold_repeats(rules.resolve(found), MAX_REPEATS_PER_POLICY, "policy");
        diagnostics.extend(
            found
                .into_iter()
                .filter(|found| may_suppress || per_file.admit(found)),
        );
    };
    if let Some(failure) = parse_failure {
        record(vec![
            Diagnostic::new(
                RuleId::UnparsableRust,
                file,
                failure.span,
                format!(
                    "syn cannot parse this file: {}",
                    describe_syn_error(&failure.message)
                ),
            )
            .with_label("parsing stopped here")
            .with_note("its `CP=` values were checked line by line instead"),
        ]);
    }
    let check_one = |emission: &extract::Emission| {
        check_emission(file, text, emission, rules, listing_policies, declared)
    };
    // A file with thousands of policies (a generated server config) is checked on every core,
    // a chunk at a time so findings past the file's cap never pile up; the findings are
    // recorded in the file's order, so output does not depend on the thread count.
    if emissions.len() >= PARALLEL_EMISSIONS {
        for chunk in emissions.chunks(PARALLEL_EMISSIONS) {
            let found: Vec<Vec<Diagnostic>> = chunk.par_iter().map(check_one).collect();
            found.into_iter().for_each(&mut record);
        }
    } else {
        emissions.iter().map(check_one).for_each(&mut record);
    }
    let diagnostics = suppress::apply(file, text, diagnostics, rules);
    per_file.finish(diagnostics, "file")
}

/// Every finding of one emitted policy: its header, its tokens, its declaration.
fn check_emission(
    file: FileId,
    text: &str,
    emission: &extract::Emission,
    rules: &RuleSettings,
    listing_policies: bool,
    declared: Option<(&DeclaredPolicies, &std::path::Path)>,
) -> Vec<Diagnostic> {
    if emission.context == extract::Context::Dynamic {
        return vec![
            Diagnostic::new(
                RuleId::DynamicPolicy,
                file,
                emission.text.full_span(),
                "this compact policy is built at run time; it was not checked",
            )
            .with_label("built at run time")
            .with_help("check what the server sends with `p3plint explain '<header value>'`"),
        ];
    }
    let (policy, mut found) = parse::header::parse(file, &emission.text, emission.context);
    let Some(policy) = policy else {
        return found;
    };
    if listing_policies {
        let tokens: Vec<&str> = policy.tokens.iter().map(|t| t.text.as_str()).collect();
        found.push(
            Diagnostic::new(
                RuleId::EmittedPolicy,
                file,
                policy.span.clone(),
                format!("sends CP=\"{}\"", tokens.join(" ")),
            )
            .with_label("compact policy"),
        );
    }
    found.extend(check::compact::check(file, &policy, rules));
    let declared_policy = declared
        .and_then(|(declared, path)| declared.compare(file, &policy, text, path, &mut found));
    found.extend(check::gdpr::review_emitted(
        file,
        &policy,
        declared_policy,
        rules,
    ));
    found
}

/// Files with at least this many emitted policies are checked in parallel, this many at a time.
const PARALLEL_EMISSIONS: usize = 512;

/// Findings of one rule shown per policy and per file; the rest are counted in a note.
const MAX_REPEATS_PER_POLICY: usize = 20;
const MAX_REPEATS_PER_FILE: usize = 100;
