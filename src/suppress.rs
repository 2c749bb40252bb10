//! Suppression comments: `p3plint: ignore[RULE, ...] -- reason`, in any comment syntax, on the
//! line of a finding or the line above it. The reason is required; a suppression that names an
//! unknown rule, gives no reason, or suppresses nothing is itself reported.

use crate::config::RuleSettings;
use crate::diagnostic::{Applicability, Diagnostic};
use crate::rules::RuleId;
use crate::rules::{Rule, registry};
use crate::source::{FileId, SourceFile, Span};

pub const DIRECTIVE: &str = "p3plint: ignore[";

/// One suppression comment.
#[derive(Debug)]
struct Directive {
    /// Zero-based line of the comment.
    line: usize,
    /// The whole directive, from `p3plint:` to the end of the reason.
    span: Span,
    /// Rule codes or names with their spans.
    names: Vec<(String, Span)>,
    has_reason: bool,
}

/// Whether `text` can hold a suppression comment at all: asked of every checked file, so a
/// vectorised substring search made once.
pub fn may_suppress(text: &str) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(DIRECTIVE));
    FINDER.find(text.as_bytes()).is_some()
}

fn directives(file: &SourceFile) -> Vec<Directive> {
    let text = &file.text;
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(DIRECTIVE) {
        let start = from + at;
        let list_start = start + DIRECTIVE.len();
        from = list_start;
        let line_end = content_end(text, list_start);
        let Some(close) = text[list_start..line_end].find(']') else {
            continue;
        };
        let list_end = list_start + close;
        let mut names = Vec::new();
        let mut offset = list_start;
        for part in text[list_start..list_end].split(',') {
            let trimmed = part.trim();
            if !trimmed.is_empty() {
                let name_start = offset + (part.len() - part.trim_start().len());
                names.push((trimmed.to_string(), name_start..name_start + trimmed.len()));
            }
            offset += part.len() + 1;
        }
        let rest = &text[list_end + 1..line_end];
        let reason = rest.trim_start().strip_prefix("--").map(|r| {
            r.trim()
                .trim_end_matches("-->")
                .trim_end_matches("*/")
                .trim()
        });
        let has_reason = reason.is_some_and(|r| !r.is_empty());
        let end = if has_reason { line_end } else { list_end + 1 };
        found.push(Directive {
            line: file.line_index(start),
            span: start..end.max(list_end + 1),
            names,
            has_reason,
        });
    }
    found
}

/// A comment that suppresses `rules` (codes) on the next line, in the comment syntax of a file
/// of `kind` named `name`. An editor's "suppress" action passes a placeholder reason the user
/// replaces (a suppression without one is itself reported); `--add-suppressions` passes the
/// user's.
pub fn suppression_comment(
    kind: crate::extract::FileKind,
    name: &str,
    rules: &[&str],
    reason: &str,
) -> String {
    use crate::extract::{FileKind, Syntax};
    let directive = format!("{DIRECTIVE}{}] -- {reason}", rules.join(", "));
    match kind {
        FileKind::Rust | FileKind::Code(Syntax::CLike | Syntax::Script | Syntax::Php) => {
            format!("// {directive}")
        }
        FileKind::Code(Syntax::Python | Syntax::Hash) => format!("# {directive}"),
        FileKind::Code(Syntax::Lua) => format!("-- {directive}"),
        FileKind::Text if crate::extract::is_server_config(std::path::Path::new(name)) => {
            format!("# {directive}")
        }
        FileKind::Text => format!("<!-- {directive} -->"),
    }
}

/// The suppression comment for `rules` on zero-based `line` of `file`, as a line of its own to
/// insert at the start of that line: indented as the line is, ended as the file ends its lines.
pub fn comment_line(
    file: &SourceFile,
    kind: crate::extract::FileKind,
    line: usize,
    rules: &[&str],
    reason: &str,
) -> String {
    let indent: String = file
        .line_range(line)
        .map(|range| &file.text[range])
        .unwrap_or_default()
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = if file.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let comment = suppression_comment(kind, &file.name, rules, reason);
    format!("{indent}{comment}{newline}")
}

/// Why `--add-suppressions` cannot use a reason: a suppression's reason is the rest of one line
/// of a comment, so it cannot hold a line break or a comment's end.
pub fn unusable_reason(reason: &str) -> Option<&'static str> {
    if reason.trim().is_empty() {
        Some("the reason is empty; say why the findings are accepted")
    } else if reason.contains(['\n', '\r']) {
        Some("the reason must fit on one line")
    } else if reason.contains("-->") || reason.contains("*/") {
        Some("the reason cannot contain `-->` or `*/`, which would end the comment")
    } else {
        None
    }
}

/// `--add-suppressions`: for each file on disk of a kind the walk reads, one comment above each
/// line holding findings, naming their rules. Findings about suppressions themselves are left,
/// as are findings in files a comment cannot go in (a declaration, lint.toml, an unread file).
/// Returns each file's insertions and how many findings they suppress.
pub fn additions(
    report: &crate::report::Report,
    reason: &str,
) -> std::collections::BTreeMap<FileId, (Vec<crate::diagnostic::Edit>, usize)> {
    use std::collections::BTreeMap;
    let mut lines: BTreeMap<(FileId, usize), Vec<&str>> = BTreeMap::new();
    let mut counts: BTreeMap<FileId, usize> = BTreeMap::new();
    for diagnostic in &report.diagnostics {
        let id = diagnostic.primary.file;
        let file = report.db.get(id);
        let walked = file
            .path
            .as_deref()
            .is_some_and(|path| crate::extract::FileKind::for_path(path).is_some());
        let about_suppressions = matches!(
            diagnostic.rule.id,
            RuleId::InvalidSuppression | RuleId::UnusedSuppression
        );
        if !walked || about_suppressions || file.text.is_empty() {
            continue;
        }
        let line = file.line_index(diagnostic.primary.span.start.min(file.text.len()));
        let rules = lines.entry((id, line)).or_default();
        if !rules.contains(&diagnostic.rule.code.as_str()) {
            rules.push(&diagnostic.rule.code);
        }
        *counts.entry(id).or_default() += 1;
    }
    let mut edits: BTreeMap<FileId, (Vec<crate::diagnostic::Edit>, usize)> = BTreeMap::new();
    for ((id, line), rules) in lines {
        let file = report.db.get(id);
        let Some(path) = file.path.as_deref() else {
            continue;
        };
        let kind =
            crate::extract::FileKind::for_path(path).unwrap_or(crate::extract::FileKind::Text);
        let Some(range) = file.line_range(line) else {
            continue;
        };
        // A suppression already above the line must stay right above it: the new comment
        // then goes at the end of the line itself.
        let suppression_above = line
            .checked_sub(1)
            .and_then(|above| file.line_range(above))
            .is_some_and(|above| may_suppress(&file.text[above]));
        let edit = if suppression_above {
            crate::diagnostic::Edit {
                file: id,
                span: range.end..range.end,
                content: format!(" {}", suppression_comment(kind, &file.name, &rules, reason)),
            }
        } else {
            crate::diagnostic::Edit {
                file: id,
                span: range.start..range.start,
                content: comment_line(file, kind, line, &rules, reason),
            }
        };
        let entry = edits
            .entry(id)
            .or_insert_with(|| (Vec::new(), counts.get(&id).copied().unwrap_or(0)));
        entry.0.push(edit);
    }
    edits
}

/// Where the line holding `from` ends, before its `\n` or `\r\n`: edits stop there, so every
/// line keeps its own ending.
fn content_end(text: &str, from: usize) -> usize {
    let end = text[from..].find('\n').map_or(text.len(), |i| from + i);
    if end > from && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// What to delete to remove a directive: its whole comment when the comment holds nothing else,
/// and its whole line when the line holds nothing else.
fn removal(text: &str, directive: &Span) -> Span {
    let line_start = text[..directive.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = content_end(text, directive.end);
    let before = &text[line_start..directive.start];
    let after = text[directive.end..line_end].trim();
    let opener = ["//", "#", "<!--", "/*"].iter().find_map(|opener| {
        before
            .trim_end()
            .strip_suffix(opener)
            .map(|kept| kept.len())
    });
    let closes = after.is_empty() || after == "-->" || after == "*/";
    match opener {
        Some(kept) if closes => {
            let code = before[..kept].trim_end();
            if code.is_empty() {
                // The line is only the comment: remove the line with its terminator.
                let end = text[line_end..]
                    .find('\n')
                    .map_or(text.len(), |i| line_end + i + 1);
                line_start..end
            } else {
                line_start + code.len()..line_end
            }
        }
        _ => directive.clone(),
    }
}

/// Drops suppressed findings of one source file and reports broken or unused suppressions.
pub fn apply(
    file_id: FileId,
    text: &str,
    diagnostics: Vec<Diagnostic>,
    settings: &RuleSettings,
) -> Vec<Diagnostic> {
    if !may_suppress(text) {
        return diagnostics;
    }
    let file = &SourceFile::new("", text);
    let directives = directives(file);
    let mut used = vec![false; directives.len()];
    // The rules each directive names, in the selector grammar of `--select` (`CP1`, `ALL`).
    let selected: Vec<Vec<&Rule>> = directives
        .iter()
        .map(|directive| {
            directive
                .names
                .iter()
                .flat_map(|(selector, _)| registry().select(selector).unwrap_or_default())
                .collect()
        })
        .collect();
    let mut kept: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|diagnostic| {
            let line = file.line_index(diagnostic.primary.span.start);
            let rule = diagnostic.rule;
            let suppressing = directives.iter().zip(&selected).position(|(d, rules)| {
                (d.line == line || d.line + 1 == line)
                    && rules.iter().any(|named| std::ptr::eq(*named, rule))
            });
            match suppressing {
                Some(index) => {
                    used[index] = true;
                    false
                }
                None => true,
            }
        })
        .collect();
    let mut found = Vec::new();
    for ((directive, used), rules) in directives.iter().zip(used).zip(&selected) {
        let mut known = 0;
        for (name, span) in &directive.names {
            match registry().select(name) {
                Ok(_) => known += 1,
                Err(unknown) => {
                    let help = unknown.help();
                    found.push(
                        Diagnostic::new(
                            RuleId::InvalidSuppression,
                            file_id,
                            span.clone(),
                            format!("`{name}` is not a rule"),
                        )
                        .with_label("unknown rule")
                        .with_help(help),
                    );
                }
            }
        }
        if directive.names.is_empty() {
            found.push(Diagnostic::new(
                RuleId::InvalidSuppression,
                file_id,
                directive.span.clone(),
                "the suppression names no rule",
            ));
        }
        if !directive.has_reason {
            found.push(
                Diagnostic::new(
                    RuleId::InvalidSuppression,
                    file_id,
                    directive.span.clone(),
                    "the suppression gives no reason",
                )
                .with_label("add ` -- why this is fine`")
                .with_help("say why, after `--`: the next reader needs it"),
            );
        }
        let enabled = rules.iter().any(|rule| settings.is_enabled(rule));
        if !used && known > 0 && enabled {
            found.push(
                Diagnostic::new(
                    RuleId::UnusedSuppression,
                    file_id,
                    directive.span.clone(),
                    "this suppression suppresses nothing",
                )
                .with_label("no finding here")
                .with_edit(
                    "remove the suppression",
                    Applicability::Safe,
                    removal(text, &directive.span),
                    String::new(),
                ),
            );
        }
    }
    kept.extend(settings.resolve(found));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removed(text: &str) -> String {
        let start = text.find("p3plint:").unwrap();
        let end = text[start..].find(" -- x").map(|i| start + i + 5).unwrap();
        let mut out = text.to_string();
        out.replace_range(removal(text, &(start..end)), "");
        out
    }

    #[test]
    fn removing_a_directive_removes_its_comment_or_line() {
        assert_eq!(removed("a\n    // p3plint: ignore[X] -- x\nb\n"), "a\nb\n");
        assert_eq!(
            removed("code(); # p3plint: ignore[X] -- x\nb"),
            "code();\nb"
        );
        assert_eq!(removed("<!-- p3plint: ignore[X] -- x -->\n<b>"), "<b>");
        assert_eq!(removed("// note p3plint: ignore[X] -- x\n"), "// note \n");
    }

    #[test]
    fn removal_keeps_crlf_line_endings() {
        assert_eq!(
            removed("code(); # p3plint: ignore[X] -- x\r\nb\r\n"),
            "code();\r\nb\r\n"
        );
        assert_eq!(
            removed("a\r\n    // p3plint: ignore[X] -- x\r\nb\r\n"),
            "a\r\nb\r\n"
        );
        let text = "code(); // p3plint: ignore[X] -- reason\r\n";
        let file = SourceFile::new("f", text);
        let directive = &directives(&file)[0];
        assert_eq!(
            &text[removal(text, &directive.span)],
            " // p3plint: ignore[X] -- reason"
        );
    }
}
