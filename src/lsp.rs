//! `p3plint server`: a language server that publishes p3plint's findings for open documents.
//!
//! On lsp-server (rust-analyzer's scaffold) and lsp-types, with a message reader of its own that
//! never allocates more than `MAX_MESSAGE` bytes for one message and skips malformed ones. The
//! main thread answers the client; documents are linted with `lint_source` on a thread of their
//! own, newest text first, and a panic while linting is logged to the client instead of ending
//! the session. Positions are UTF-8 bytes when the client accepts them, UTF-16 code units
//! otherwise, as LSP 3.17 says.
//!
//! A document on disk is checked as `check` checks that file: with the nearest lint.toml above
//! it and the declaration that config finds (`lint_stdin`), so the editor and the command line
//! agree. A broken lint.toml is shown (`window/showMessage`, once per distinct problem, and its
//! findings published on lint.toml itself) and the document is checked with the defaults.

use crate::config::Config;
use crate::config::RuleSettings;
use crate::diagnostic::Severity;
use crate::extract::FileKind;
use crate::report::Report;
use crate::source::SourceFile;
use lsp_server::{Connection, Message, Notification, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, LogMessage,
    Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::{
    DiagnosticSeverity, InitializeParams, NumberOrString, Position, PositionEncodingKind,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri,
};
use std::io::{BufRead, Read};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

/// How the client counts columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The largest message read from the client. A bigger one is skipped unread, so a hostile
/// `Content-Length` cannot make the server allocate it.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// How the session ended, for the exit code: LSP says a server told to `exit` without a
/// `shutdown` first exits with 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Clean,
    ExitWithoutShutdown,
}

/// Serves on stdin and stdout until the client says `exit` or closes stdin.
pub fn run() -> Result<Ending, Error> {
    let (connection, reader) = stdio_connection();
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let utf8_offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref())
        .is_some_and(|kinds| kinds.contains(&PositionEncodingKind::UTF8));
    let encoding = if utf8_offered {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        ..ServerCapabilities::default()
    };
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": capabilities,
            "serverInfo": { "name": "p3plint", "version": env!("CARGO_PKG_VERSION") },
        }),
    )?;
    let root = workspace_root(&params);
    let linter = Linter::start(connection.sender.clone(), root.clone(), encoding)?;
    let mut shutting_down = false;
    let mut ending = Ending::ExitWithoutShutdown;
    // The open documents' newest texts, for hover (linting has its own copy).
    // Keyed by the URI's text: `Uri` caches parts of itself inside, so it is no map key.
    let mut documents: std::collections::HashMap<String, String> = Default::default();
    for message in &connection.receiver {
        match message {
            Message::Request(request) if request.method == "shutdown" => {
                shutting_down = true;
                let response = Response::new_ok(request.id, ());
                connection.sender.send(response.into())?;
            }
            Message::Request(request)
                if !shutting_down && request.method == "textDocument/codeAction" =>
            {
                let actions = serde_json::from_value::<lsp_types::CodeActionParams>(request.params)
                    .map(|params| code_actions(&params))
                    .unwrap_or_default();
                let response = Response::new_ok(request.id, actions);
                connection.sender.send(response.into())?;
            }
            Message::Request(request)
                if !shutting_down && request.method == "textDocument/hover" =>
            {
                let hover = serde_json::from_value::<lsp_types::HoverParams>(request.params)
                    .ok()
                    .and_then(|params| {
                        let at = params.text_document_position_params;
                        let text = documents.get(at.text_document.uri.as_str())?;
                        hover(&at.text_document.uri, text, at.position, &root, encoding)
                    });
                let response = Response::new_ok(request.id, hover);
                connection.sender.send(response.into())?;
            }
            Message::Request(request) => {
                let (code, text) = if shutting_down {
                    (
                        lsp_server::ErrorCode::InvalidRequest,
                        "the server is shutting down".to_string(),
                    )
                } else {
                    (
                        lsp_server::ErrorCode::MethodNotFound,
                        format!("p3plint does not handle {}", request.method),
                    )
                };
                let response = Response::new_err(request.id, code as i32, text);
                connection.sender.send(response.into())?;
            }
            Message::Notification(notification) if notification.method == "exit" => {
                if shutting_down {
                    ending = Ending::Clean;
                }
                break;
            }
            Message::Notification(notification) => {
                if let Some((uri, text)) = changed_document(notification) {
                    match &text {
                        Some(text) => documents.insert(uri.as_str().to_string(), text.clone()),
                        None => documents.remove(uri.as_str()),
                    };
                    linter.submit(uri, text);
                }
            }
            Message::Response(_) => {}
        }
    }
    linter.stop();
    // The writer thread ends when the last sender is gone; the reader ends with stdin.
    drop(connection);
    drop(reader);
    Ok(ending)
}

/// A connection on stdin and stdout whose reader never allocates more than `MAX_MESSAGE`
/// bytes for one message, and skips malformed ones instead of ending the session.
fn stdio_connection() -> (Connection, std::thread::JoinHandle<()>) {
    let (writer_sender, writer_receiver) = crossbeam_channel::bounded::<Message>(0);
    std::thread::spawn(move || {
        let stdout = std::io::stdout();
        let mut stdout = stdout.lock();
        for message in writer_receiver {
            if message.write(&mut stdout).is_err() {
                break;
            }
        }
    });
    let (reader_sender, reader_receiver) = crossbeam_channel::bounded::<Message>(0);
    let reader = std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        while let Some(body) = read_frame(&mut stdin) {
            let Some(body) = body else { continue };
            match serde_json::from_slice::<Message>(&body) {
                Ok(message) => {
                    let is_exit =
                        matches!(&message, Message::Notification(n) if n.method == "exit");
                    if reader_sender.send(message).is_err() || is_exit {
                        break;
                    }
                }
                Err(err) => eprintln!("p3plint server: skipped a malformed message: {err}"),
            }
        }
    });
    let connection = Connection {
        sender: writer_sender,
        receiver: reader_receiver,
    };
    (connection, reader)
}

/// Reads one `Content-Length` framed message. `None` at the end of input (or a broken header);
/// `Some(None)` for a message over `MAX_MESSAGE`, which is read past without being kept.
fn read_frame(input: &mut impl BufRead) -> Option<Option<Vec<u8>>> {
    let mut length = None;
    loop {
        let mut line = Vec::new();
        // Header lines are short; one that is not is not LSP.
        let read = input
            .by_ref()
            .take(4096)
            .read_until(b'\n', &mut line)
            .ok()?;
        if read == 0 {
            return None;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = Some(value.trim().parse::<u64>().ok()?);
        }
    }
    let length = length?;
    if length > MAX_MESSAGE as u64 {
        eprintln!("p3plint server: skipped a message of {length} bytes (at most {MAX_MESSAGE})");
        std::io::copy(&mut input.by_ref().take(length), &mut std::io::sink()).ok()?;
        return Some(None);
    }
    let mut body = Vec::new();
    input.by_ref().take(length).read_to_end(&mut body).ok()?;
    (body.len() as u64 == length).then_some(Some(body))
}

/// Lints documents on a thread of its own, so the server keeps answering while a large
/// document is checked. Edits that arrive while it works replace the ones waiting: only the
/// newest text of each document is linted.
struct Linter {
    jobs: crossbeam_channel::Sender<(Uri, Option<String>)>,
    thread: std::thread::JoinHandle<()>,
}

impl Linter {
    fn start(
        sender: crossbeam_channel::Sender<Message>,
        root: PathBuf,
        encoding: Encoding,
    ) -> Result<Linter, Error> {
        let (jobs, waiting) = crossbeam_channel::unbounded::<(Uri, Option<String>)>();
        let thread = std::thread::Builder::new()
            .name("p3plint-lint".into())
            .stack_size(32 * 1024 * 1024)
            .spawn(move || {
                let mut shown: std::collections::HashSet<String> = Default::default();
                while let Ok(first) = waiting.recv() {
                    // Everything queued now, newest text per document, in arrival order.
                    let mut batch: Vec<(Uri, Option<String>)> = vec![first];
                    for (uri, text) in waiting.try_iter() {
                        batch.retain(|(queued, _)| *queued != uri);
                        batch.push((uri, text));
                    }
                    for (uri, text) in batch {
                        // A panic is a bug; the document gets no findings and the log says so,
                        // and the server lives on. Nothing shared is left half-updated.
                        let checked = std::panic::catch_unwind(AssertUnwindSafe(|| match &text {
                            Some(text) => check_document(&uri, text, &root, encoding),
                            None => Checked::default(),
                        }));
                        let mut messages = Vec::new();
                        match checked {
                            Ok(checked) => {
                                if let Some((config_uri, problem, found)) = checked.broken_config {
                                    // Once per distinct problem, not once per keystroke.
                                    if shown.insert(problem.clone()) {
                                        messages.push(show_error(problem));
                                    }
                                    messages.push(publish(config_uri, found));
                                }
                                messages.push(publish(uri, checked.diagnostics));
                            }
                            Err(_) => messages.push(log_error(format!(
                                "p3plint: internal error while checking {}; please report it",
                                uri.as_str()
                            ))),
                        }
                        for message in messages {
                            if sender.send(message).is_err() {
                                return;
                            }
                        }
                    }
                }
            })?;
        Ok(Linter { jobs, thread })
    }

    fn submit(&self, uri: Uri, text: Option<String>) {
        let _ = self.jobs.send((uri, text));
    }

    fn stop(self) {
        drop(self.jobs);
        let _ = self.thread.join();
    }
}

fn log_error(message: String) -> Message {
    let params = lsp_types::LogMessageParams {
        typ: lsp_types::MessageType::ERROR,
        message,
    };
    Notification::new(LogMessage::METHOD.to_string(), params).into()
}

fn show_error(message: String) -> Message {
    let params = lsp_types::ShowMessageParams {
        typ: lsp_types::MessageType::ERROR,
        message,
    };
    Notification::new(ShowMessage::METHOD.to_string(), params).into()
}

/// The workspace's root directory: the first workspace folder, else `rootUri`, else the
/// server's working directory. Documents that are not files take their lint.toml from here.
fn workspace_root(params: &InitializeParams) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    #[allow(deprecated)] // rootUri is what older clients send.
    let root_uri = params.root_uri.as_ref();
    params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| &folder.uri)
        .or(root_uri)
        .and_then(file_path)
        .unwrap_or(cwd)
}

/// The path of a `file:` URI.
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file:///path` or `file://localhost/path`.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(path).collect::<Vec<u8>>();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(decoded)))
    }
    #[cfg(not(unix))]
    {
        Some(PathBuf::from(
            String::from_utf8_lossy(&decoded).into_owned(),
        ))
    }
}

/// The `file:` URI of an absolute path.
pub fn file_uri(path: &Path) -> Option<Uri> {
    let absolute = std::path::absolute(path).ok()?;
    let encoded = crate::report::encode_uri_path(&absolute.to_string_lossy());
    format!("file://{encoded}").parse().ok()
}

/// What checking one document gave: its findings, and a broken lint.toml when there was one
/// (its URI, the message to show, its findings).
#[derive(Default)]
struct Checked {
    diagnostics: Vec<lsp_types::Diagnostic>,
    broken_config: Option<(Uri, String, Vec<lsp_types::Diagnostic>)>,
}

/// Checks a document as `check` checks the file: the nearest lint.toml above it, and the
/// declaration that finds. A document that is not a file uses the workspace root's lint.toml.
fn check_document(uri: &Uri, text: &str, root: &Path, encoding: Encoding) -> Checked {
    let path = file_path(uri);
    let (config, broken_config) = document_config(path.as_deref(), root, encoding);
    let diagnostics = match &path {
        Some(path) => {
            let report = match crate::lint_stdin(path, text, &config) {
                Ok(report) | Err(crate::RunError::PolicyUnusable(report)) => report,
                Err(crate::RunError::MissingPath(_)) => Report::default(),
            };
            to_lsp(&report, crate::source::FileId(0), uri, encoding)
        }
        None => diagnostics(uri, text, &config.rules, encoding),
    };
    Checked {
        diagnostics,
        broken_config,
    }
}

/// A broken lint.toml: its URI, the one-line problem shown to the user, and its diagnostics.
type BrokenConfig = (Uri, String, Vec<lsp_types::Diagnostic>);

/// The config for the document at `path` (the nearest lint.toml upward, as `check` finds it),
/// or the defaults and what is wrong with the lint.toml found.
fn document_config(
    path: Option<&Path>,
    root: &Path,
    encoding: Encoding,
) -> (Config, Option<BrokenConfig>) {
    let start = path.and_then(Path::parent).unwrap_or(root).to_path_buf();
    let cwd = std::env::current_dir().unwrap_or_default();
    match Config::discover_from(None, &start, &cwd) {
        Ok(config) => (config, None),
        Err(error) => {
            let config_file = error.db.files().first().map(|file| cwd.join(&file.name));
            let report = Report {
                db: error.db,
                diagnostics: error.diagnostics,
                files_checked: 0,
            };
            let broken = config_file.and_then(|file| {
                let config_uri = file_uri(&file)?;
                let found = to_lsp(&report, crate::source::FileId(0), &config_uri, encoding);
                let problem = format!(
                    "p3plint: {} is not valid ({} problem{}); checking with the default rules",
                    file.display(),
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                );
                Some((config_uri, problem, found))
            });
            (Config::defaults(start.clone()), broken)
        }
    }
}

/// The findings of `report` whose primary label is in `file` (shown under `uri`), as LSP
/// diagnostics; related labels in other files point at those files.
fn to_lsp(
    report: &Report,
    file: crate::source::FileId,
    uri: &Uri,
    encoding: Encoding,
) -> Vec<lsp_types::Diagnostic> {
    let location = |label: &crate::diagnostic::Label| {
        let source = report.db.get(label.file);
        let target = if label.file == file {
            Some(uri.clone())
        } else {
            let path = source
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(&source.name));
            file_uri(&path)
        }?;
        Some(lsp_types::Location::new(
            target,
            Range {
                start: position(source, label.span.start, encoding),
                end: position(source, label.span.end, encoding),
            },
        ))
    };
    let source = report.db.get(file);
    let kind = FileKind::for_path(Path::new(&source.name)).unwrap_or(FileKind::Text);
    report
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.primary.file == file)
        .filter_map(|diagnostic| {
            let range = location(&diagnostic.primary)?.range;
            let related = diagnostic
                .related
                .iter()
                .filter_map(|label| {
                    Some(lsp_types::DiagnosticRelatedInformation {
                        location: location(label)?,
                        message: label.message.clone(),
                    })
                })
                .collect();
            let mut found = lsp_diagnostic(diagnostic, range, related);
            found.data = Some(actions_data(diagnostic, source, kind, file, encoding));
            Some(found)
        })
        .collect()
}

/// What the quick fixes of a finding need, kept in the diagnostic's `data` (the client hands
/// it back with a code action request, so the server keeps no state): the fix's edits in this
/// document, and the line a suppression comment goes on.
fn actions_data(
    diagnostic: &crate::diagnostic::Diagnostic,
    source: &SourceFile,
    kind: FileKind,
    file: crate::source::FileId,
    encoding: Encoding,
) -> serde_json::Value {
    let fix = diagnostic.fix.as_ref().and_then(|fix| {
        // A fix with an edit in another file is left to `check --fix`.
        if fix.edits.iter().any(|edit| edit.file != file) {
            return None;
        }
        let edits: Vec<lsp_types::TextEdit> = fix
            .edits
            .iter()
            .map(|edit| lsp_types::TextEdit {
                range: Range {
                    start: position(source, edit.span.start, encoding),
                    end: position(source, edit.span.end, encoding),
                },
                new_text: edit.content.clone(),
            })
            .collect();
        Some(serde_json::json!({
            "title": fix.message,
            "safe": fix.applicability == crate::diagnostic::Applicability::Safe,
            "edits": edits,
        }))
    });
    // The comment goes on a line of its own above the finding's line, indented as it is.
    let (line, _) = source.line_prefix(diagnostic.primary.span.start);
    let text = crate::suppress::comment_line(
        source,
        kind,
        line,
        &[diagnostic.rule.code.as_str()],
        "reason",
    );
    serde_json::json!({
        "fix": fix,
        "suppress": {
            "line": line,
            "text": text,
            "rule": diagnostic.rule.code,
        },
    })
}

/// The quick fixes for the findings a code action request names: each finding's fix (safe
/// ones preferred) and a comment that suppresses it.
fn code_actions(params: &lsp_types::CodeActionParams) -> Vec<lsp_types::CodeActionOrCommand> {
    let uri = &params.text_document.uri;
    let edit = |edits: Vec<lsp_types::TextEdit>| lsp_types::WorkspaceEdit {
        changes: Some(std::iter::once((uri.clone(), edits)).collect()),
        ..lsp_types::WorkspaceEdit::default()
    };
    let mut actions = Vec::new();
    for diagnostic in &params.context.diagnostics {
        if diagnostic.source.as_deref() != Some("p3plint") {
            continue;
        }
        let Some(data) = &diagnostic.data else {
            continue;
        };
        if let Some(fix) = data.get("fix").filter(|fix| !fix.is_null())
            && let Ok(edits) =
                serde_json::from_value::<Vec<lsp_types::TextEdit>>(fix["edits"].clone())
        {
            actions.push(lsp_types::CodeActionOrCommand::CodeAction(
                lsp_types::CodeAction {
                    title: fix["title"].as_str().unwrap_or("Apply the fix").to_string(),
                    kind: Some(lsp_types::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(edit(edits)),
                    is_preferred: Some(fix["safe"].as_bool().unwrap_or(false)),
                    ..lsp_types::CodeAction::default()
                },
            ));
        }
        let suppress = &data["suppress"];
        if let (Some(line), Some(text), Some(rule)) = (
            suppress["line"].as_u64(),
            suppress["text"].as_str(),
            suppress["rule"].as_str(),
        ) {
            let at = Position::new(u32::try_from(line).unwrap_or(u32::MAX), 0);
            let insert = lsp_types::TextEdit {
                range: Range { start: at, end: at },
                new_text: text.to_string(),
            };
            actions.push(lsp_types::CodeActionOrCommand::CodeAction(
                lsp_types::CodeAction {
                    title: format!("Suppress {rule} on this line (p3plint: ignore, with a reason)"),
                    kind: Some(lsp_types::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(edit(vec![insert])),
                    ..lsp_types::CodeAction::default()
                },
            ));
        }
    }
    actions
}

/// The document a notification opened, changed (`Some(text)`) or closed (`None`).
fn changed_document(notification: Notification) -> Option<(Uri, Option<String>)> {
    match notification.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let params: lsp_types::DidOpenTextDocumentParams =
                serde_json::from_value(notification.params).ok()?;
            Some((params.text_document.uri, Some(params.text_document.text)))
        }
        DidChangeTextDocument::METHOD => {
            let params: lsp_types::DidChangeTextDocumentParams =
                serde_json::from_value(notification.params).ok()?;
            // Full sync: the last change holds the whole text.
            let text = params.content_changes.into_iter().last()?.text;
            Some((params.text_document.uri, Some(text)))
        }
        DidCloseTextDocument::METHOD => {
            let params: lsp_types::DidCloseTextDocumentParams =
                serde_json::from_value(notification.params).ok()?;
            Some((params.text_document.uri, None))
        }
        _ => None,
    }
}

fn publish(uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Message {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    Notification::new(PublishDiagnostics::METHOD.to_string(), params).into()
}

/// Checks one document that is not a file (or a rule's example) with `rules`, and converts its
/// findings to LSP diagnostics.
pub fn diagnostics(
    uri: &Uri,
    text: &str,
    rules: &RuleSettings,
    encoding: Encoding,
) -> Vec<lsp_types::Diagnostic> {
    let name = uri.as_str().rsplit('/').next().unwrap_or_default();
    let kind = FileKind::for_path(Path::new(name)).unwrap_or(FileKind::Text);
    let report = crate::lint_source(name, text, kind, rules);
    to_lsp(&report, crate::source::FileId(0), uri, encoding)
}

/// One finding as an LSP diagnostic: notes and help follow the message, as the CLI prints them.
fn lsp_diagnostic(
    diagnostic: &crate::diagnostic::Diagnostic,
    range: Range,
    related: Vec<lsp_types::DiagnosticRelatedInformation>,
) -> lsp_types::Diagnostic {
    let mut message = diagnostic.message.clone();
    for note in &diagnostic.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    lsp_types::Diagnostic {
        range,
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(format!(
            "{}/{}",
            diagnostic.rule.code, diagnostic.rule.name
        ))),
        source: Some("p3plint".into()),
        message,
        related_information: Some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// What the token under the cursor means (its kind, consent and meaning, as `explain` says),
/// or on `CP=`, how IE6 treats the policy's cookies, in one line.
fn hover(
    uri: &Uri,
    text: &str,
    at: Position,
    root: &Path,
    encoding: Encoding,
) -> Option<lsp_types::Hover> {
    let name = uri.as_str().rsplit('/').next().unwrap_or_default();
    let kind = FileKind::for_path(Path::new(name)).unwrap_or(FileKind::Text);
    let file = SourceFile::new(name, text);
    let offset = offset(&file, at, encoding)?;
    let (emissions, _) = crate::extract::extract(kind, text);
    let id = crate::source::FileId(0);
    for emission in emissions {
        let span = emission.text.full_span();
        if !(span.start <= offset && offset <= span.end) {
            continue;
        }
        let (Some(policy), _) = crate::parse::header::parse(id, &emission.text, emission.context)
        else {
            continue;
        };
        let markdown = match policy
            .tokens
            .iter()
            .find(|token| token.span.start <= offset && offset < token.span.end)
        {
            Some(token) => match token.entry() {
                Some(entry) => {
                    let consent = token
                        .consent()
                        .filter(|_| entry.suffix)
                        .map_or(String::new(), |c| format!(", consent {}", c.as_str()));
                    format!(
                        "**{}**: {}{consent}\n\n{}",
                        token.text,
                        entry.kind.as_str(),
                        entry.meaning
                    )
                }
                None => format!("**{}**: not a P3P compact token", token.text),
            },
            None if offset < policy.span.start => {
                let evaluation = crate::ie6::evaluate(Some(&policy));
                let verdict = if evaluation.is_satisfactory() {
                    "satisfactory: IE6 accepts its cookies at every level"
                } else {
                    "unsatisfactory: IE6 restricts its cookies at some levels (`p3plint ie6` shows each)"
                };
                let path = file_path(uri);
                let (config, _) = document_config(path.as_deref(), root, encoding);
                let derived = path
                    .as_deref()
                    .and_then(|path| crate::derived_policy_for(path, text, &policy, &config));
                let sent: std::collections::BTreeSet<&str> =
                    policy.tokens.iter().map(|t| t.text.as_str()).collect();
                let declared = match derived {
                    Some(derived)
                        if derived
                            .split(' ')
                            .collect::<std::collections::BTreeSet<_>>()
                            == sent =>
                    {
                        "\n\nThe same tokens as the declaration implies.".to_string()
                    }
                    Some(derived) => {
                        format!("\n\nThe declaration implies `CP=\"{derived}\"`.")
                    }
                    None => String::new(),
                };
                format!("**P3P compact policy**, {verdict}{declared}")
            }
            None => continue,
        };
        return Some(lsp_types::Hover {
            contents: lsp_types::HoverContents::Markup(lsp_types::MarkupContent {
                kind: lsp_types::MarkupKind::Markdown,
                value: markdown,
            }),
            range: None,
        });
    }
    None
}

/// The byte offset of an LSP position (column in the client's encoding), if it is in `file`.
fn offset(file: &SourceFile, at: Position, encoding: Encoding) -> Option<usize> {
    let line = file.line_range(at.line as usize)?;
    let text = &file.text[line.clone()];
    let mut units = 0usize;
    for (index, ch) in text.char_indices() {
        if units >= at.character as usize {
            return Some(line.start + index);
        }
        units += match encoding {
            Encoding::Utf8 => ch.len_utf8(),
            Encoding::Utf16 => ch.len_utf16(),
        };
    }
    Some(line.end)
}

/// An LSP position: zero-based line, and column in the client's encoding.
pub fn position(file: &SourceFile, offset: usize, encoding: Encoding) -> Position {
    let (line, prefix) = file.line_prefix(offset);
    let character = match encoding {
        Encoding::Utf8 => prefix.len(),
        Encoding::Utf16 => prefix.encode_utf16().count(),
    };
    Position::new(line as u32, character as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let file = SourceFile::new("f", "x\n\"å𝄞 CP\"");
        let cp = file.text.find("CP").unwrap();
        assert_eq!(position(&file, cp, Encoding::Utf16), Position::new(1, 5));
        assert_eq!(position(&file, cp, Encoding::Utf8), Position::new(1, 8));
    }
}
