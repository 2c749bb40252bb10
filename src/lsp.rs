//! `p3plint server`: a language server that publishes p3plint's findings for open documents.
//!
//! Synchronous, on lsp-server (rust-analyzer's scaffold) and lsp-types: each opened or changed
//! document is checked in memory with `lint_source` and its diagnostics are published. Positions
//! are UTF-8 bytes when the client accepts them, UTF-16 code units otherwise, as LSP 3.17 says.
//! Declarations are not consulted here: they span files, and `check` covers them.

use crate::check::RuleSettings;
use crate::config::Config;
use crate::diagnostic::Severity;
use crate::extract::FileKind;
use crate::source::SourceFile;
use lsp_server::{Connection, Message, Notification, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::{
    DiagnosticSeverity, InitializeParams, NumberOrString, Position, PositionEncodingKind,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri,
};
use std::path::Path;

/// How the client counts columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Serves on stdin and stdout until the client says `exit`.
pub fn run() -> Result<(), Error> {
    let (connection, io_threads) = Connection::stdio();
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
    let rules = workspace_rules();
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    break;
                }
                let response = Response::new_err(
                    request.id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("p3plint does not handle {}", request.method),
                );
                connection.sender.send(response.into())?;
            }
            Message::Notification(notification) => {
                if let Some((uri, text)) = changed_document(notification) {
                    let diagnostics = match &text {
                        Some(text) => diagnostics(&uri, text, &rules, encoding),
                        None => Vec::new(),
                    };
                    publish(&connection, uri, diagnostics)?;
                }
            }
            Message::Response(_) => {}
        }
    }
    // The writer thread ends when the last sender is gone.
    drop(connection);
    io_threads.join()?;
    Ok(())
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

fn publish(
    connection: &Connection,
    uri: Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
) -> Result<(), Error> {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    let notification = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
    connection.sender.send(notification.into())?;
    Ok(())
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
    let file = SourceFile::new(name, text);
    report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let range = |span: &std::ops::Range<usize>| Range {
                start: position(&file, span.start, encoding),
                end: position(&file, span.end, encoding),
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
