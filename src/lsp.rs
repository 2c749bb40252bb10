//! `p3plint server`: a language server that publishes p3plint's findings for open documents.
//!
//! On lsp-server (rust-analyzer's scaffold) and lsp-types, with a message reader of its own that
//! never allocates more than `MAX_MESSAGE` bytes for one message and skips malformed ones. The
//! main thread answers the client; documents are linted with `lint_source` on a thread of their
//! own, newest text first, and a panic while linting is logged to the client instead of ending
//! the session. Positions are UTF-8 bytes when the client accepts them, UTF-16 code units
//! otherwise, as LSP 3.17 says. Declarations are not consulted here: they span files, and
//! `check` covers them.

use crate::config::Config;
use crate::config::RuleSettings;
use crate::diagnostic::Severity;
use crate::extract::FileKind;
use crate::source::SourceFile;
use lsp_server::{Connection, Message, Notification, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, LogMessage,
    Notification as _, PublishDiagnostics,
};
use lsp_types::{
    DiagnosticSeverity, InitializeParams, NumberOrString, Position, PositionEncodingKind,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri,
};
use std::io::{BufRead, Read};
use std::panic::AssertUnwindSafe;
use std::path::Path;

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
    let linter = Linter::start(connection.sender.clone(), workspace_rules(), encoding)?;
    let mut shutting_down = false;
    let mut ending = Ending::ExitWithoutShutdown;
    for message in &connection.receiver {
        match message {
            Message::Request(request) if request.method == "shutdown" => {
                shutting_down = true;
                let response = Response::new_ok(request.id, ());
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
        rules: RuleSettings,
        encoding: Encoding,
    ) -> Result<Linter, Error> {
        let (jobs, waiting) = crossbeam_channel::unbounded::<(Uri, Option<String>)>();
        let thread = std::thread::Builder::new()
            .name("p3plint-lint".into())
            .stack_size(32 * 1024 * 1024)
            .spawn(move || {
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
                        let found = std::panic::catch_unwind(AssertUnwindSafe(|| match &text {
                            Some(text) => diagnostics(&uri, text, &rules, encoding),
                            None => Vec::new(),
                        }));
                        let message = match found {
                            Ok(found) => publish(uri, found),
                            Err(_) => log_error(format!(
                                "p3plint: internal error while checking {}; please report it",
                                uri.as_str()
                            )),
                        };
                        if sender.send(message).is_err() {
                            return;
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

/// The rules of the nearest lint.toml; a broken one falls back to the defaults, since the
/// editor has nowhere to show config errors but `check` does.
fn workspace_rules() -> RuleSettings {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| Config::discover(None, &cwd).ok())
        .map(|config| config.rules)
        .unwrap_or_default()
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

/// Checks one document and converts its findings to LSP diagnostics.
pub fn diagnostics(
    uri: &Uri,
    text: &str,
    rules: &RuleSettings,
    encoding: Encoding,
) -> Vec<lsp_types::Diagnostic> {
    let name = uri.as_str().rsplit('/').next().unwrap_or_default();
    let kind = FileKind::for_path(Path::new(name)).unwrap_or(FileKind::Text);
    let report = crate::lint_source(name, text, kind, rules);
    // The document is the report's only file: its line index is already built.
    let file = report.db.get(crate::source::FileId(0));
    report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let range = |span: &std::ops::Range<usize>| Range {
                start: position(file, span.start, encoding),
                end: position(file, span.end, encoding),
            };
            let related = diagnostic
                .related
                .iter()
                .map(|label| lsp_types::DiagnosticRelatedInformation {
                    location: lsp_types::Location::new(uri.clone(), range(&label.span)),
                    message: label.message.clone(),
                })
                .collect();
            let mut message = diagnostic.message.clone();
            for note in &diagnostic.notes {
                message.push_str(&format!("\nnote: {note}"));
            }
            if let Some(help) = &diagnostic.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            lsp_types::Diagnostic {
                range: range(&diagnostic.primary.span),
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
        })
        .collect()
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
