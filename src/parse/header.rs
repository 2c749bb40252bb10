//! The P3P header value: `policyref="..."`, `CP="..."` and extension directives, separated by
//! commas. Real code gets this wrong in many ways, so the parser takes what it can and reports
//! the rest as `malformed-header` findings; it never fails.

use super::compact::{CompactPolicy, Token, classify, tokenize};
use crate::diagnostic::{Applicability, Diagnostic};
use crate::extract::{Context, MappedText};
use crate::rules::RuleId;
use crate::source::FileId;
use std::ops::Range;

const RULE: RuleId = RuleId::MalformedHeader;

/// The P3P vocabulary has 52 tokens; a `CP` value is checked up to this many words, so checks
/// that compare tokens pairwise stay cheap whatever the input.
const MAX_CHECKED_TOKENS: usize = 1000;

/// Parses one emission. Returns the first compact policy it carries, if any.
pub fn parse(
    file: FileId,
    text: &MappedText,
    context: Context,
) -> (Option<CompactPolicy>, Vec<Diagnostic>) {
    let mut parser = Parser {
        file,
        text,
        value: &text.text,
        pos: 0,
        context,
        diagnostics: Vec::new(),
    };
    let policy = parser.header();
    (policy, parser.diagnostics)
}

struct Parser<'a> {
    file: FileId,
    text: &'a MappedText,
    value: &'a str,
    pos: usize,
    context: Context,
    diagnostics: Vec<Diagnostic>,
}

/// Where a directive's value was found.
struct DirectiveValue {
    /// Byte range of the value, inside its quotes.
    range: Range<usize>,
    /// Byte range of the whole `name=value`.
    whole: Range<usize>,
}

impl Parser<'_> {
    fn diagnostic(&self, range: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(RULE, self.file, self.text.source_span(range), message)
    }

    fn report(&mut self, range: Range<usize>, message: impl Into<String>) -> &mut Diagnostic {
        let diagnostic = self.diagnostic(range, message);
        self.diagnostics.push(diagnostic);
        self.diagnostics
            .last_mut()
            .expect("a diagnostic was just pushed")
    }

    fn rest(&self) -> &str {
        &self.value[self.pos..]
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn header(&mut self) -> Option<CompactPolicy> {
        self.skip_whitespace();
        self.header_name_prefix();
        let mut policy = None;
        let mut directives = 0;
        let mut previous_end = None;
        loop {
            self.skip_whitespace();
            if self.pos >= self.value.len() {
                break;
            }
            let Some((name, name_range)) = self.directive_name() else {
                if directives == 0 && self.context != Context::Embedded {
                    return Some(self.bare_tokens());
                }
                if self.context != Context::Embedded && !self.rest().trim().is_empty() {
                    let range = self.pos..self.value.len();
                    self.report(range, "unexpected text after the header's directives")
                        .primary
                        .message = "not a `name=value` directive".into();
                }
                break;
            };
            if let Some(end) = previous_end {
                // Two directives with only whitespace between them.
                let diagnostic = self
                    .diagnostic(
                        end..name_range.start,
                        format!("missing comma before the `{name}` directive"),
                    )
                    .with_label("directives must be separated by `,`");
                let at = diagnostic.primary.span.start;
                self.diagnostics.push(diagnostic.with_edit(
                    "insert a comma",
                    Applicability::Safe,
                    at..at,
                    ",",
                ));
            }
            let is_cp = name.eq_ignore_ascii_case("cp");
            let value = self.directive_value(&name, is_cp);
            directives += 1;
            if is_cp {
                if policy.is_none() {
                    policy = Some(self.compact_policy(value.range.clone()));
                } else {
                    self.report(
                        value.whole.clone(),
                        "a second `CP` directive: user agents use the first and ignore this one",
                    )
                    .primary
                    .message = "ignored".into();
                }
            }
            self.skip_whitespace();
            if self.rest().starts_with(',') {
                self.pos += 1;
                previous_end = None;
            } else {
                previous_end = Some(value.whole.end);
            }
            if self.context == Context::Embedded && policy.is_some() && previous_end.is_some() {
                // Inside a larger text (a config line, a sentence) whatever follows the CP value
                // belongs to the host language, unless it is another directive.
                if self.peek_directive_name().is_none() {
                    break;
                }
            }
        }
        policy
    }

    /// A header value that starts with the header name, as in `.header("P3P", "P3P: CP=...")`.
    fn header_name_prefix(&mut self) {
        let rest = self.rest();
        // `get`, not indexing: the third byte may fall inside a multi-byte character.
        let Some(after_colon) = rest
            .get(..3)
            .filter(|name| name.eq_ignore_ascii_case("p3p"))
            .and_then(|_| rest[3..].trim_start().strip_prefix(':'))
        else {
            return;
        };
        let start = self.pos;
        self.pos = self.value.len() - after_colon.len();
        if self.context == Context::HeaderValue {
            self.report(
                start..self.pos,
                "the header value repeats the header name `P3P:`",
            )
            .help = Some("send only the directives as the value of the P3P header".into());
        }
    }

    fn peek_directive_name(&self) -> Option<usize> {
        let rest = self.rest();
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        (name_len > 0 && rest[name_len..].starts_with('=')).then_some(name_len)
    }

    fn directive_name(&mut self) -> Option<(String, Range<usize>)> {
        let name_len = self.peek_directive_name()?;
        let range = self.pos..self.pos + name_len;
        self.pos += name_len + 1;
        Some((self.value[range.clone()].to_string(), range))
    }

    fn directive_value(&mut self, name: &str, is_cp: bool) -> DirectiveValue {
        let whole_start = self.pos - name.len() - 1;
        let rest = self.rest();
        let (quote, open_len, escaped) = if rest.starts_with("\\\"") {
            (Some('"'), 2, true)
        } else if rest.starts_with("\\'") {
            (Some('\''), 2, true)
        } else if rest.starts_with('"') {
            (Some('"'), 1, false)
        } else if rest.starts_with('\'') {
            (Some('\''), 1, false)
        } else {
            (None, 0, false)
        };
        let value_start = self.pos + open_len;
        let Some(quote) = quote else {
            let end = self.unquoted_end(is_cp);
            self.pos = end;
            if is_cp || name.eq_ignore_ascii_case("policyref") {
                let diagnostic = self.report(
                    value_start..end,
                    format!("the `{name}` value is not quoted"),
                );
                diagnostic.primary.message = "no quotes".into();
                diagnostic.help = Some(format!(
                    "write {name}=\"...\": the grammar requires double quotes"
                ));
            }
            return DirectiveValue {
                range: value_start..end,
                whole: whole_start..end,
            };
        };
        if escaped {
            let diagnostic = self.report(
                self.pos..value_start,
                "a backslash before the quote is sent as part of the value",
            );
            diagnostic.primary.message = "`\\` reaches the browser".into();
            diagnostic.help = Some(
                "the string was escaped twice (a raw string with `\\\"`?); send a plain `\"`"
                    .into(),
            );
        } else if quote == '\'' {
            let diagnostic = self.report(
                self.pos..value_start,
                format!("the `{name}` value is in single quotes"),
            );
            diagnostic.primary.message = "single quote".into();
            diagnostic.help = Some("the grammar requires double quotes".into());
        }
        let body = &self.value[value_start..];
        let close = body.find(quote);
        match close {
            Some(close) => {
                let close_at = value_start + close;
                // `\"` closes a value that `\"` opened; the range excludes the backslash.
                let value_end = if escaped && self.value[..close_at].ends_with('\\') {
                    close_at - 1
                } else {
                    close_at
                };
                self.pos = close_at + 1;
                DirectiveValue {
                    range: value_start..value_end.max(value_start),
                    whole: whole_start..self.pos,
                }
            }
            None => {
                let end = self.unquoted_end(is_cp).max(value_start);
                let end = if self.context == Context::Embedded {
                    end
                } else {
                    self.value.len()
                };
                self.report(
                    self.pos..end,
                    format!("the `{name}` value has no closing quote"),
                );
                self.pos = end;
                DirectiveValue {
                    range: value_start..end,
                    whole: whole_start..end,
                }
            }
        }
    }

    /// Where an unquoted value ends: at a comma, or, inside a larger text, at a character that
    /// belongs to the host language.
    fn unquoted_end(&self, is_cp: bool) -> usize {
        let stops: &[char] = match self.context {
            Context::Embedded if is_cp => &[',', '"', '\'', ';', '<', '>'],
            Context::Embedded => &[',', '"', '\'', ';', '<', '>', ' '],
            _ if is_cp => &[','],
            _ => &[',', ' '],
        };
        let rest = self.rest();
        let len = rest.find(stops).unwrap_or(rest.len());
        self.pos + rest[..len].trim_end().len()
    }

    /// A value with no directive at all: taken as a bare token list.
    fn bare_tokens(&mut self) -> CompactPolicy {
        let range = self.pos..self.value.trim_end().len().max(self.pos);
        if self.context == Context::HeaderValue {
            self.report(range.clone(), "the P3P header value has no `CP=` directive")
                .help = Some(
                "user agents ignore a P3P header without `CP=\"...\"`; write CP=\"<tokens>\""
                    .into(),
            );
        }
        self.pos = self.value.len();
        self.compact_policy(range)
    }

    fn compact_policy(&mut self, range: Range<usize>) -> CompactPolicy {
        let value = &self.value[range.clone()];
        if let Some(comma) = value.find(',') {
            let at = range.start + comma;
            self.report(at..at + 1, "compact tokens separated by a comma")
                .help = Some("tokens are separated by single spaces".into());
        }
        let words = tokenize(value, range.start);
        if let Some((_, first_unchecked)) = words.get(MAX_CHECKED_TOKENS) {
            let at = first_unchecked.start;
            let count = words.len();
            self.report(
                at..range.end,
                format!(
                    "this `CP` value has {count} words; only the first {MAX_CHECKED_TOKENS} are checked"
                ),
            )
            .help = Some(
                "a compact policy has at most a few dozen tokens: this one is generated or broken"
                    .into(),
            );
        }
        let tokens = words
            .into_iter()
            .take(MAX_CHECKED_TOKENS)
            .map(|(text, span)| Token {
                class: classify(&text),
                span: self.text.source_span(span),
                text,
            })
            .collect();
        CompactPolicy {
            span: self.text.source_span(range),
            tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_byte_characters_near_the_start_do_not_panic() {
        for value in ["b ؍", "noé", "p3é", "P3P:", "é", ""] {
            for context in [Context::HeaderValue, Context::Tokens, Context::Embedded] {
                let text = MappedText::verbatim(value, 0..value.len());
                parse(FileId(0), &text, context);
            }
        }
        let text = MappedText::verbatim("P3P: CP=\"NOI\"", 0..13);
        let (policy, found) = parse(FileId(0), &text, Context::HeaderValue);
        assert_eq!(policy.map(|p| p.tokens.len()), Some(1));
        assert!(found[0].message.contains("repeats the header name"));
    }
}
