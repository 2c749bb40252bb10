//! GitHub Actions workflow commands: `::error file=...,line=...::message`, which GitHub shows as
//! annotations on the pull request.

use crate::diagnostic::Severity;
use crate::report::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        let file = report.db.get(diagnostic.primary.file);
        let start = file.position(diagnostic.primary.span.start);
        let end = file.position(diagnostic.primary.span.end);
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        out.push_str(&format!(
            "::{command} title={},file={},line={},col={},endLine={},endColumn={}::{}\n",
            escape_property(&format!(
                "{} {}",
                diagnostic.rule.code, diagnostic.rule.name
            )),
            escape_property(&file.name),
            start.line,
            start.column,
            end.line,
            end.column,
            escape_data(&diagnostic.message)
        ));
    }
    out
}

/// A run that could not finish, as one error annotation without a file.
pub fn failure(message: &str) -> String {
    format!("::error title=p3plint::{}\n", escape_data(message))
}

/// Workflow-command escaping of the message part; other control characters are made printable,
/// since the log renders escape sequences.
fn escape_data(text: &str) -> String {
    super::printable::printable(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping of a property value, which also reserves `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reserved_characters() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
