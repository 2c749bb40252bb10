//! The extractor for program source other than Rust (PHP, JavaScript, Python, Ruby, Java, C#,
//! Go, ...): in code, a header value can only be a string literal, so only literals are read.
//!
//! A small lexer per language family finds string literals (skipping comments); a literal is an
//! emission when:
//! - it holds a `CP=` directive (`header('P3P: CP="NOI DSP"')`, `'CP="NOI"'`);
//! - it follows a literal that is the header name (`setHeader("P3P", "NOI DSP")`);
//! - it is assigned to a name mentioning P3P and holds at least one P3P token
//!   (`$p3p = "NOI DSP"`, `P3P_POLICY = 'NOI DSP'`).
//!
//! Literals joined with `+` or `.` are read as one value. A value built at run time
//! (`'CP="' + values.join(' ') + '"'`, `f"CP={x}"`, `"CP=\"#{policy}\""`) is a dynamic
//! emission: it is not judged as a policy. `$cp = 1` and `if ($cp == 2)` are code, never
//! directives.

use super::text::{find_directive, unquote};
use super::{Context, Emission};
use crate::source::Span;

/// How one language family writes comments and strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Java, C#, Kotlin, Scala, Swift, Go, C, C++: `//`, `/* */`, `"`, `'`, Go's `` ` ``.
    CLike,
    /// JavaScript and TypeScript: `//`, `/* */`, `'`, `"`, and `` ` `` templates.
    Script,
    /// PHP: `//`, `#`, `/* */`, `'`, `"`.
    Php,
    /// Python: `#`, `'`, `"`, and triple quotes.
    Python,
    /// Ruby, Perl, shell: `#`, `'`, `"`.
    Hash,
    /// Lua: `--`, `'`, `"`.
    Lua,
}

impl Syntax {
    fn line_comments(self) -> &'static [&'static str] {
        match self {
            Syntax::CLike | Syntax::Script => &["//"],
            Syntax::Php => &["//", "#"],
            Syntax::Python | Syntax::Hash => &["#"],
            Syntax::Lua => &["--"],
        }
    }

    fn has_block_comments(self) -> bool {
        matches!(self, Syntax::CLike | Syntax::Script | Syntax::Php)
    }

    /// Quotes whose literals may span lines (templates, raw strings).
    fn multiline_quote(self, quote: u8) -> bool {
        quote == b'`' && matches!(self, Syntax::CLike | Syntax::Script)
    }
}

/// One string literal: the byte range of its body (inside the quotes) and of the whole token.
#[derive(Debug, Clone)]
struct Literal {
    body: Span,
    token: Span,
}

/// The string literals of `source`, in order. Comments are skipped; a quote that is not closed
/// on its line (an apostrophe in prose, a regular expression) is dropped, not carried on.
fn literals(source: &str, syntax: Syntax) -> Vec<Literal> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if syntax
            .line_comments()
            .iter()
            .any(|opener| rest.starts_with(opener.as_bytes()))
            // `#{...}` in a Ruby string is handled inside literals; outside, `#` starts a comment,
            // except PHP's `#[` attributes, which are code.
            && !(syntax == Syntax::Php && rest.starts_with(b"#["))
        {
            at = memchr_newline(bytes, at);
            continue;
        }
        if syntax.has_block_comments() && rest.starts_with(b"/*") {
            at = find_from(source, at + 2, "*/").map_or(bytes.len(), |end| end + 2);
            continue;
        }
        let quote = bytes[at];
        if !matches!(quote, b'"' | b'\'' | b'`') {
            at += 1;
            continue;
        }
        if syntax == Syntax::Python && rest.len() >= 3 && rest[1] == quote && rest[2] == quote {
            let close = [quote; 3];
            let close = std::str::from_utf8(&close).unwrap_or("\"\"\"");
            match find_from(source, at + 3, close) {
                Some(end) => {
                    found.push(Literal {
                        body: at + 3..end,
                        token: at..end + 3,
                    });
                    at = end + 3;
                }
                None => at = bytes.len(),
            }
            continue;
        }
        let multiline = syntax.multiline_quote(quote);
        let raw = quote == b'`' && syntax == Syntax::CLike;
        let mut end = at + 1;
        let closed = loop {
            match bytes.get(end) {
                None => break false,
                Some(b'\\') if !raw => end += 2,
                Some(b'\n') if !multiline => break false,
                Some(&byte) if byte == quote => break true,
                Some(_) => end += 1,
            }
        };
        if closed {
            found.push(Literal {
                body: at + 1..end,
                token: at..end + 1,
            });
            at = end + 1;
        } else {
            // Not a string after all: go on after the quote.
            at += 1;
        }
    }
    found
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&byte| byte == b'\n')
        .map_or(bytes.len(), |i| from + i)
}

fn find_from(source: &str, from: usize, needle: &str) -> Option<usize> {
    source.get(from..)?.find(needle).map(|i| from + i)
}

/// Finds the emissions of one code file.
pub fn extract(source: &str, syntax: Syntax) -> Vec<Emission> {
    let literals = literals(source, syntax);
    let mut emissions = Vec::new();
    let mut index = 0;
    while index < literals.len() {
        let literal = &literals[index];
        let body = &source[literal.body.clone()];
        let context = if find_directive(body, "cp=").is_some() {
            Context::Embedded
        } else if follows_header_name(source, &literals, index) {
            Context::HeaderValue
        } else if assigned_to_p3p_name(source, literal) && has_vocabulary_token(body) {
            Context::Tokens
        } else {
            index += 1;
            continue;
        };
        // Static pieces joined by `+` or `.` make one value; anything else joined makes it
        // dynamic. A directive's value is complete once its quotes close.
        let mut text = unquote(source, literal.body.clone());
        let mut last = index;
        let mut dynamic = false;
        while context != Context::Embedded || directive_is_open(&text.text) {
            match joined_literal(source, &literals, last) {
                Joined::Literal(next) => {
                    text.append(unquote(source, literals[next].body.clone()));
                    last = next;
                }
                Joined::Expression => {
                    dynamic = true;
                    break;
                }
                Joined::Nothing => break,
            }
        }
        if dynamic || interpolated(&text.text) {
            emissions.push(Emission {
                text,
                context: Context::Dynamic,
            });
            // One finding per built value: the rest of its statement is part of it.
            last = end_of_statement(source, &literals, last);
        } else {
            emissions.push(Emission { text, context });
        }
        index = last + 1;
    }
    emissions
}

/// The last literal of the statement holding literal `index`: the literals that follow on the
/// same line before a `;`.
fn end_of_statement(source: &str, literals: &[Literal], mut index: usize) -> usize {
    while let Some(next) = literals.get(index + 1) {
        let between = &source[literals[index].token.end..next.token.start];
        if between.contains([';', '\n']) {
            break;
        }
        index += 1;
    }
    index
}

/// Whether the `CP` value in `text` opened a quote that the text does not close (the rest comes
/// from what the literal is joined with), or has no value yet (`"CP=" . $x`).
fn directive_is_open(text: &str) -> bool {
    let Some(at) = find_directive(text, "cp=") else {
        return false;
    };
    let value = &text[at + 3..];
    match value.chars().next() {
        None => true,
        Some(quote @ ('"' | '\'')) => !value[1..].contains(quote),
        Some(_) => false,
    }
}

enum Joined {
    /// The literal at this index follows a concatenation operator.
    Literal(usize),
    /// Something other than a literal is concatenated: the value is built at run time.
    Expression,
    /// Nothing is concatenated.
    Nothing,
}

/// What follows literal `index`: `+ "..."`, `. '...'`, `+ variable`, or nothing.
fn joined_literal(source: &str, literals: &[Literal], index: usize) -> Joined {
    let after = literals[index].token.end;
    let rest = source[after..].trim_start();
    let Some(operand) = ["+", ".", "..", "<<"]
        .iter()
        .rev()
        .find_map(|op| rest.strip_prefix(op))
    else {
        return Joined::Nothing;
    };
    let operand_at = source.len() - operand.trim_start().len();
    match literals.get(index + 1) {
        Some(next) if next.token.start == operand_at => Joined::Literal(index + 1),
        _ => Joined::Expression,
    }
}

/// Whether the `CP` value is filled in at run time: every word of it is an interpolation
/// (`{x}` in an f-string or a format string, `${x}`, `#{x}`, `$x`, `%s`).
fn interpolated(text: &str) -> bool {
    let Some(at) = find_directive(text, "cp=") else {
        return false;
    };
    let value = text[at + 3..].trim_start_matches(['"', '\'']);
    let value = value.split(['"', '\'']).next().unwrap_or_default();
    let placeholder = |word: &str| {
        (word.contains('{') && word.contains('}')) || word.starts_with('$') || word.starts_with('%')
    };
    let mut words = value.split_whitespace().peekable();
    words.peek().is_some() && words.all(placeholder)
}

/// Whether the literal before `index`, in the same statement, is the header name `P3P`.
fn follows_header_name(source: &str, literals: &[Literal], index: usize) -> bool {
    let Some(previous) = index.checked_sub(1).map(|i| &literals[i]) else {
        return false;
    };
    let name = source[previous.body.clone()].trim().trim_end_matches(':');
    let between = &source[previous.token.end..literals[index].token.start];
    // An argument list (`, `), an assignment (`] = `) or a pair (`=>`, `: `) separates a header
    // name from its value; brackets alone (`$a['p3p']['policies']`) are a path, not a header.
    name.eq_ignore_ascii_case("p3p")
        && between.len() <= 16
        && between.contains([',', '=', ':'])
        && between.chars().all(|c| {
            c.is_whitespace() || matches!(c, ',' | ')' | '(' | ']' | '[' | '=' | '>' | ':')
        })
}

/// Whether the literal is the value of an assignment to a name that mentions P3P
/// (`$p3p = "..."`, `P3P_POLICY: "..."`, `p3p => '...'`).
fn assigned_to_p3p_name(source: &str, literal: &Literal) -> bool {
    let before = &source[..literal.token.start];
    let line = before.rsplit('\n').next().unwrap_or_default();
    let Some(lhs) = ["=>", ":=", "=", ":"]
        .iter()
        .find_map(|op| line.trim_end().strip_suffix(op))
    else {
        return false;
    };
    let name: String = lhs
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '@' | '.'))
        .collect();
    name.to_ascii_lowercase().contains("p3p")
}

fn has_vocabulary_token(body: &str) -> bool {
    let vocabulary = crate::vocabulary::vocabulary();
    body.split_whitespace().any(|word| {
        vocabulary
            .get(crate::vocabulary::split_suffix(word).0)
            .is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(source: &str, syntax: Syntax) -> Vec<(Context, String)> {
        extract(source, syntax)
            .into_iter()
            .map(|emission| (emission.context, emission.text.text))
            .collect()
    }

    #[test]
    fn variables_named_cp_are_code_not_directives() {
        let php = "<?php\n$cp=sql_fetch_array($res);\nif($cp==1) {} else if($cp==2) {}\n";
        assert!(found(php, Syntax::Php).is_empty());
        assert!(found("var cp=\"abc\"; let cp = 'x';\n", Syntax::Script).is_empty());
        assert!(
            found(
                "int cp= 5; // CP=\"NOI\"\n/* CP=\"NOI\" */\n",
                Syntax::CLike
            )
            .is_empty()
        );
    }

    #[test]
    fn literals_that_carry_a_policy_are_found_with_exact_spans() {
        let php = "header('P3P: CP=\"NOI ADM\"');\nheader(\"P3P: CP=\\\"CAO PSA\\\"\");\n";
        assert_eq!(
            found(php, Syntax::Php),
            [
                (Context::Embedded, "P3P: CP=\"NOI ADM\"".to_string()),
                (Context::Embedded, "P3P: CP=\"CAO PSA\"".to_string())
            ]
        );
        let emission = &extract(php, Syntax::Php)[1];
        let at = emission.text.text.find("PSA").unwrap();
        assert_eq!(&php[emission.text.source_span(at..at + 3)], "PSA");
        let java = "response.setHeader(\"P3P\", \"NOI DSP COR\");\n";
        assert_eq!(
            found(java, Syntax::CLike),
            [(Context::HeaderValue, "NOI DSP COR".to_string())]
        );
        let config =
            "$a['p3p']['policies'] = $c['p3p_policies'] ?? '';\n$a['p3p']['cp'] = 'NOI';\n";
        assert!(
            found(config, Syntax::Php).is_empty(),
            "a config path, not a header"
        );
        let python = "P3P_POLICY = 'NOI DSP COR'\np3p_url = \"/w3c/p3p.xml\"\n";
        assert_eq!(
            found(python, Syntax::Python),
            [(Context::Tokens, "NOI DSP COR".to_string())]
        );
    }

    #[test]
    fn static_concatenation_is_joined_and_dynamic_values_are_marked() {
        let joined = "h = \"CP=\\\"NOI DSP \" +\n    \"COR\\\"\";\n";
        assert_eq!(
            found(joined, Syntax::CLike),
            [(Context::Embedded, "CP=\"NOI DSP COR\"".to_string())]
        );
        let dynamic = [
            (
                "res.setHeader('P3P', 'policyref=\"' + o.full + '\", CP=\"' + v.join(' ') + '\"');",
                Syntax::Script,
            ),
            ("$p = \"CP=\\\"\" . $tokens . \"\\\"\";", Syntax::Php),
            ("$p = 'CP=' . $tokens;", Syntax::Php),
            ("h = f\"CP={tokens}\"", Syntax::Python),
            ("const h = `CP=${tokens}`;", Syntax::Script),
            ("headers['P3P'] = \"CP=\\\"#{policy}\\\"\"", Syntax::Hash),
        ];
        for (source, syntax) in dynamic {
            let emissions = found(source, syntax);
            assert_eq!(emissions.len(), 1, "{source}");
            assert_eq!(emissions[0].0, Context::Dynamic, "{source}");
        }
    }

    #[test]
    fn unclosed_quotes_and_comments_do_not_swallow_the_file() {
        let ruby = "# don't CP=\"X\"\nheaders['P3P'] = 'CP=\"NOI\"'\n";
        assert_eq!(
            found(ruby, Syntax::Hash),
            [(Context::Embedded, "CP=\"NOI\"".to_string())]
        );
        let python = "'''CP=\"NOI DSP\"'''\n";
        assert_eq!(found(python, Syntax::Python).len(), 1);
    }
}
