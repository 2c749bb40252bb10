//! The Rust extractor: parses a `.rs` file with syn and finds the P3P header values it emits.
//!
//! A string literal (normal, raw, byte) is an emission when:
//! - it is passed next to a `P3P` header name, in any call, method call, tuple or array
//!   (`.header("P3P", v)`, `insert(HeaderName::from_static("p3p"), v)`, `("P3P", v)`), through
//!   `HeaderValue::from_static`, `concat!`, `.parse()`, `&`, or a constant or `let` of the file;
//! - it is the value of a constant, static or `let` whose name mentions P3P;
//! - it contains a `CP=` directive anywhere else (including inside macro calls).
//!
//! Doc comments and attributes are not read. Bindings are resolved by name across the file,
//! ignoring scopes: good enough for handlers, and never worse than not resolving them.
//!
//! This is the only module that sees syn or proc-macro2 spans. proc-macro2 keeps a per-thread
//! source map that grows with every parsed file, so spans are turned into byte ranges while the
//! file is walked and the map is reset before `extract` returns.

use super::{Context, Emission, MappedText};
use crate::source::Span;
use proc_macro2::{TokenStream, TokenTree};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, Lit};

/// syn could not parse the file.
#[derive(Debug, Clone)]
pub struct ParseFailure {
    pub message: String,
    pub span: Span,
}

/// How many names deep one resolution may follow (`A` -> `B` -> ...), counted across `concat!`
/// as well: the one depth limit of the resolver.
const MAX_RESOLVE_DEPTH: usize = 8;

/// A value built from literals that grows past this is not a header value anyone sends (servers
/// cap a whole header block near 8 KiB); it is given up rather than built, so chains such as
/// `const A: &str = concat!(B, B);` cannot grow exponentially.
const MAX_RESOLVED_LEN: usize = 16 * 1024;

/// Deeper bracket nesting than this is left to the line scanner: syn parses recursively, and a
/// generated or hostile file must not exhaust the stack.
const MAX_NESTING: usize = 256;

/// Stack that syn, the visitors and the drop of the tree may need per token, measured with the
/// deepest shapes found (`&&&..u8`, `Vec<Vec<..>>`, `return return ..`: about 3.5 KiB per token
/// in release builds, 36 KiB unoptimised) and doubled. Every recursion in syn consumes at least
/// one token per level, so tokens times this bounds the stack by construction.
const STACK_PER_TOKEN: usize = if cfg!(debug_assertions) {
    64 * 1024
} else {
    8 * 1024
};

/// The most stack one parse may be given; a file with more tokens than this allows is left to
/// the line scanner, so memory stays bounded whatever the input.
const MAX_PARSE_STACK: usize = 512 * 1024 * 1024;

/// The most tokens syn is given at once.
pub const MAX_PARSED_TOKENS: usize = MAX_PARSE_STACK / STACK_PER_TOKEN;

pub fn extract(source: &str) -> Result<Vec<Emission>, ParseFailure> {
    if let Some(at) = too_deep(source) {
        return Err(ParseFailure {
            message: format!("brackets nest more than {MAX_NESTING} levels deep"),
            span: at..at + 1,
        });
    }
    let prepared = blank_bom_and_shebang(source);
    // Most of a file cannot emit: syn gets only the items that can (and what they use); when
    // that cut does not parse, the whole file is parsed, so findings are the same either way.
    if let Some(cut) = super::rust_items::keep_items_that_can_emit(&prepared)
        && let Ok(emissions) = parse_in(source, &cut.text, cut.window)
    {
        return Ok(emissions);
    }
    parse_prepared(source, &prepared)
}

/// The emissions of the whole file, without the cut: what `extract` must always agree with
/// (the differential test).
#[doc(hidden)]
pub fn extract_whole(source: &str) -> Result<Vec<Emission>, ParseFailure> {
    let prepared = blank_bom_and_shebang(source);
    parse_prepared(source, &prepared)
}

/// Lexes, sizes the stack for, parses and walks `prepared` (the file, or the file with items
/// blanked; offsets equal to `source`'s either way).
fn parse_prepared(source: &str, prepared: &str) -> Result<Vec<Emission>, ParseFailure> {
    let bytes = prepared.as_bytes();
    let base = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(base, |last| last + 1)
        .max(base);
    parse_in(source, prepared, base..end)
}

/// Lexes, parses and walks `prepared[window]`. Only the window is lexed: a cut file is mostly
/// blanks, and proc-macro2 indexes every byte it is given. Its offsets are then `base` short.
fn parse_in(
    source: &str,
    prepared: &str,
    window: std::ops::Range<usize>,
) -> Result<Vec<Emission>, ParseFailure> {
    let base = window.start.min(prepared.len());
    let prepared = &prepared[base..window.end.clamp(base, prepared.len())];
    let shift = |span: std::ops::Range<usize>| span.start + base..span.end + base;
    // proc-macro2's lexer is iterative; counting its tokens tells how deep syn could go.
    let tokens: TokenStream = match prepared.parse() {
        Ok(tokens) => tokens,
        Err(_) => {
            // syn words the lexer's error and places it; ask it for the same error.
            let failure = syn::parse_str::<syn::File>(prepared)
                .err()
                .map(|err| ParseFailure {
                    message: err.to_string(),
                    span: shift(err.span().byte_range()),
                });
            proc_macro2::extra::invalidate_current_thread_spans();
            return Err(failure.unwrap_or_else(|| ParseFailure {
                message: "cannot parse string into token stream".into(),
                span: 0..0,
            }));
        }
    };
    let count = count_tokens(&tokens);
    if count > MAX_PARSED_TOKENS {
        proc_macro2::extra::invalidate_current_thread_spans();
        return Err(ParseFailure {
            message: format!(
                "{count} tokens, more than the {MAX_PARSED_TOKENS} the parser is given at once"
            ),
            span: 0..0,
        });
    }
    let stack = count.saturating_mul(STACK_PER_TOKEN).max(STACK_PER_TOKEN);
    // Runs on the current stack when enough of it is left, else on a fresh one of that size.
    let result = stacker::maybe_grow(stack, stack, || parse_and_find(source, base, tokens));
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// Tokens in a stream, groups counted as two (their delimiters), without recursing.
fn count_tokens(tokens: &TokenStream) -> usize {
    let mut count = 0;
    let mut pending = vec![tokens.clone()];
    while let Some(stream) = pending.pop() {
        for tree in stream {
            count += 1;
            if let TokenTree::Group(group) = tree {
                count += 1;
                pending.push(group.stream());
            }
        }
    }
    count
}

/// Parses the file and walks it; everything that recurses over the tree (parse, visit, drop)
/// happens in here, on the stack `extract` sized for it.
fn parse_and_find(
    source: &str,
    base: usize,
    tokens: TokenStream,
) -> Result<Vec<Emission>, ParseFailure> {
    match syn::parse2::<syn::File>(tokens) {
        Ok(file) => {
            let mut bindings = Bindings::default();
            bindings.visit_file(&file);
            let mut finder = Finder {
                source,
                base,
                bindings: bindings.values,
                resolved: RefCell::default(),
                candidates: BTreeMap::new(),
            };
            finder.visit_file(&file);
            Ok(finder.finish())
        }
        Err(err) => Err(ParseFailure {
            message: err.to_string(),
            span: {
                let span = err.span().byte_range();
                span.start + base..span.end + base
            },
        }),
    }
}

/// Where bracket nesting first exceeds `MAX_NESTING`. Brackets inside strings and comments are
/// counted too: an overestimate only sends the file to the line scanner. Only the brackets are
/// visited, found by memchr, openers and closers merged in order.
fn too_deep(source: &str) -> Option<usize> {
    let bytes = source.as_bytes();
    let mut openers = memchr::memchr3_iter(b'(', b'[', b'{', bytes).peekable();
    let mut closers = memchr::memchr3_iter(b')', b']', b'}', bytes).peekable();
    let mut depth = 0usize;
    loop {
        match (openers.peek(), closers.peek()) {
            (Some(&open), Some(&close)) if open < close => {
                openers.next();
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(open);
                }
            }
            (_, Some(_)) => {
                closers.next();
                depth = depth.saturating_sub(1);
            }
            (Some(&open), None) => {
                openers.next();
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(open);
                }
            }
            (None, None) => return None,
        }
    }
}

/// syn's `parse_file` strips a byte-order mark and a shebang line, which would shift every
/// offset; blanking them with spaces of the same byte length keeps offsets equal to the file's.
fn blank_bom_and_shebang(source: &str) -> std::borrow::Cow<'_, str> {
    let bom = source.starts_with('\u{feff}');
    let body = if bom { &source[3..] } else { source };
    let shebang = body.starts_with("#!") && !body[2..].trim_start().starts_with('[');
    if !bom && !shebang {
        return source.into();
    }
    let mut text = String::with_capacity(source.len());
    if bom {
        text.push_str("   ");
    }
    let rest = if shebang {
        let line_end = body.find('\n').unwrap_or(body.len());
        text.extend(std::iter::repeat_n(' ', line_end));
        &body[line_end..]
    } else {
        body
    };
    text.push_str(rest);
    text.into()
}

/// Collects `const`, `static` and `let` bindings by name.
#[derive(Default)]
struct Bindings {
    values: HashMap<String, Expr>,
}

impl<'ast> Visit<'ast> for Bindings {
    fn visit_item_const(&mut self, item: &'ast syn::ItemConst) {
        self.values
            .insert(item.ident.to_string(), (*item.expr).clone());
        visit::visit_item_const(self, item);
    }

    fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
        self.values
            .insert(item.ident.to_string(), (*item.expr).clone());
        visit::visit_item_static(self, item);
    }

    fn visit_impl_item_const(&mut self, item: &'ast syn::ImplItemConst) {
        self.values
            .insert(item.ident.to_string(), item.expr.clone());
        visit::visit_impl_item_const(self, item);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let (Some(name), Some(init)) = (pattern_name(&local.pat), &local.init) {
            self.values.insert(name, (*init.expr).clone());
        }
        visit::visit_local(self, local);
    }
}

fn pattern_name(pat: &syn::Pat) -> Option<String> {
    pattern_ident(pat).map(syn::Ident::to_string)
}

/// The name a `let` binds when its pattern is a plain name, typed or not.
fn pattern_ident(pat: &syn::Pat) -> Option<&syn::Ident> {
    match pat {
        syn::Pat::Ident(ident) => Some(&ident.ident),
        syn::Pat::Type(typed) => pattern_ident(&typed.pat),
        _ => None,
    }
}

/// Finds emissions. Candidates are keyed by source span; when one literal is found in several
/// ways the strongest context wins, so the result does not depend on visiting order.
struct Finder<'s> {
    source: &'s str,
    /// Where the text syn parsed starts in `source`: its spans are that much short.
    base: usize,
    bindings: HashMap<String, Expr>,
    /// Each binding resolved at each depth, computed once: resolution is then linear in the
    /// number of bindings however they refer to each other.
    resolved: RefCell<HashMap<(String, usize), Option<MappedText>>>,
    candidates: BTreeMap<(usize, usize), (Context, MappedText)>,
}

impl Finder<'_> {
    fn finish(self) -> Vec<Emission> {
        let spans: Vec<Span> = self.candidates.keys().map(|&(s, e)| s..e).collect();
        self.candidates
            .into_iter()
            // A literal that is one piece of a larger candidate (a `concat!`) is not an emission
            // of its own.
            .filter(|((start, end), _)| {
                !spans.iter().any(|outer| {
                    outer.start <= *start && *end <= outer.end && outer != &(*start..*end)
                })
            })
            .map(|(_, (context, text))| Emission { text, context })
            .collect()
    }

    fn add(&mut self, context: Context, text: MappedText) {
        let span = text.full_span();
        let key = (span.start, span.end);
        match self.candidates.get(&key) {
            Some((existing, _)) if *existing >= context => {}
            _ => {
                self.candidates.insert(key, (context, text));
            }
        }
    }

    /// The string an expression evaluates to, when it is built from literals only.
    fn resolve(&self, expr: &Expr, depth: usize) -> Option<MappedText> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        match expr {
            Expr::Lit(lit) => literal_text(self.source, self.base, &lit.lit),
            Expr::Reference(inner) => self.resolve(&inner.expr, depth),
            Expr::Paren(inner) => self.resolve(&inner.expr, depth),
            Expr::Group(inner) => self.resolve(&inner.expr, depth),
            Expr::Try(inner) => self.resolve(&inner.expr, depth),
            Expr::Call(call) if call.args.len() == 1 && is_wrapper_call(&call.func) => {
                self.resolve(&call.args[0], depth)
            }
            Expr::MethodCall(call)
                if call.args.len() <= 1
                    && CONVERSION_METHODS.contains(&call.method.to_string().as_str()) =>
            {
                self.resolve(&call.receiver, depth)
            }
            Expr::Macro(mac) if mac.mac.path.is_ident("concat") => {
                self.resolve_concat(&mac.mac, depth)
            }
            Expr::Path(path) => self.resolve_binding(&path.path.get_ident()?.to_string(), depth),
            _ => None,
        }
    }

    /// The value of the binding `name`, memoised per depth. A binding that refers to itself
    /// (directly or through others) is cut by the depth limit, and its failure memoised too.
    fn resolve_binding(&self, name: &str, depth: usize) -> Option<MappedText> {
        let key = (name.to_string(), depth);
        if let Some(known) = self.resolved.borrow().get(&key) {
            return known.clone();
        }
        let value = self
            .bindings
            .get(name)
            .and_then(|expr| self.resolve(expr, depth + 1))
            .filter(|text| text.text.len() <= MAX_RESOLVED_LEN);
        self.resolved.borrow_mut().insert(key, value.clone());
        value
    }

    fn resolve_concat(&self, mac: &syn::Macro, depth: usize) -> Option<MappedText> {
        let parts = mac
            .parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated)
            .ok()?;
        let mut joined: Option<MappedText> = None;
        for part in &parts {
            let text = self.resolve(part, depth)?;
            match &mut joined {
                Some(joined) if joined.text.len() + text.text.len() > MAX_RESOLVED_LEN => {
                    return None;
                }
                Some(joined) => joined.append(text),
                None => joined = Some(text),
            }
        }
        joined
    }

    fn is_p3p_name(&self, expr: &Expr) -> bool {
        if let Expr::Path(path) = expr
            && path
                .path
                .segments
                .last()
                .is_some_and(|segment| segment.ident.to_string().eq_ignore_ascii_case("p3p"))
        {
            return true;
        }
        self.resolve(expr, 0)
            .is_some_and(|text| text.text.trim().eq_ignore_ascii_case("p3p"))
    }

    /// In an argument list that names the P3P header, every other argument is its value.
    fn check_arguments<'a>(&mut self, args: impl Iterator<Item = &'a Expr> + Clone) {
        if !args.clone().any(|arg| self.is_p3p_name(arg)) {
            return;
        }
        for arg in args {
            if !self.is_p3p_name(arg)
                && let Some(text) = self.resolve(arg, 0)
            {
                self.add(Context::HeaderValue, text);
            }
        }
    }

    fn check_binding(&mut self, name: &syn::Ident, expr: &Expr) {
        if name.to_string().to_ascii_lowercase().contains("p3p")
            && let Some(text) = self.resolve(expr, 0)
        {
            self.add(Context::Tokens, text);
        }
    }

    fn check_embedded(&mut self, text: MappedText) {
        if super::text::find_directive(&text.text, "cp=").is_some() {
            self.add(Context::Embedded, text);
        }
    }

    /// Macro bodies are not parsed by syn. Read them as a comma-separated expression list when
    /// they are one (`format!`, `vec!`, `println!`), otherwise look at their string literals.
    fn scan_macro(&mut self, mac: &syn::Macro) {
        if mac.path.is_ident("concat") {
            if let Some(text) = self.resolve_concat(mac, 0) {
                self.check_embedded(text);
            }
            return;
        }
        match mac.parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated) {
            Ok(exprs) => {
                self.check_arguments(exprs.iter());
                for expr in &exprs {
                    self.visit_expr(expr);
                }
            }
            Err(_) => self.scan_tokens(mac.tokens.clone()),
        }
    }

    fn scan_tokens(&mut self, tokens: TokenStream) {
        for tree in tokens {
            match tree {
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Literal(literal) => {
                    let lit: Lit = syn::parse2(TokenTree::Literal(literal).into())
                        .unwrap_or_else(|_| Lit::Verbatim(proc_macro2::Literal::u8_suffixed(0)));
                    if let Some(text) = literal_text(self.source, self.base, &lit) {
                        self.check_embedded(text);
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    /// Doc comments and attributes describe code; they do not emit headers.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_item_const(&mut self, item: &'ast syn::ItemConst) {
        self.check_binding(&item.ident, &item.expr);
        visit::visit_item_const(self, item);
    }

    fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
        self.check_binding(&item.ident, &item.expr);
        visit::visit_item_static(self, item);
    }

    fn visit_impl_item_const(&mut self, item: &'ast syn::ImplItemConst) {
        self.check_binding(&item.ident, &item.expr);
        visit::visit_impl_item_const(self, item);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        // `let p3p: &str = ..` as well as `let p3p = ..`: the same patterns `Bindings` records.
        if let (Some(ident), Some(init)) = (pattern_ident(&local.pat), &local.init) {
            self.check_binding(ident, &init.expr);
        }
        visit::visit_local(self, local);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        self.check_arguments(call.args.iter());
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.check_arguments(call.args.iter());
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_tuple(&mut self, tuple: &'ast syn::ExprTuple) {
        self.check_arguments(tuple.elems.iter());
        visit::visit_expr_tuple(self, tuple);
    }

    fn visit_expr_array(&mut self, array: &'ast syn::ExprArray) {
        self.check_arguments(array.elems.iter());
        visit::visit_expr_array(self, array);
    }

    fn visit_expr_lit(&mut self, lit: &'ast syn::ExprLit) {
        if let Some(text) = literal_text(self.source, self.base, &lit.lit) {
            self.check_embedded(text);
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_macro(mac);
    }
}

/// Functions whose single argument passes a string through unchanged, as far as the header value
/// is concerned (`HeaderValue::from_static`, `String::from`, ...).
const WRAPPER_FUNCTIONS: &[&str] = &[
    "from_static",
    "from_str",
    "from",
    "from_bytes",
    "from_maybe_shared",
    "try_from",
    "new",
    "Borrowed",
    "Owned",
    "Some",
    "Ok",
];

/// Methods that convert a string without changing it.
const CONVERSION_METHODS: &[&str] = &[
    "parse",
    "to_string",
    "to_owned",
    "into",
    "try_into",
    "as_str",
    "as_bytes",
    "as_ref",
    "unwrap",
    "expect",
    "clone",
    "into_owned",
    "to_vec",
];

fn is_wrapper_call(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    path.path
        .segments
        .last()
        .is_some_and(|segment| WRAPPER_FUNCTIONS.contains(&segment.ident.to_string().as_str()))
}

/// The value of a string or byte-string literal, mapped to the bytes of its source token.
fn literal_text(source: &str, base: usize, lit: &Lit) -> Option<MappedText> {
    let span = match lit {
        Lit::Str(lit) => lit.span(),
        Lit::ByteStr(lit) => lit.span(),
        _ => return None,
    }
    .byte_range();
    let span = span.start + base..span.end + base;
    let token = source.get(span.clone())?;
    decode_literal(token, span.start)
}

/// Decodes the source text of a string literal token that starts at `offset` in the file.
pub fn decode_literal(token: &str, offset: usize) -> Option<MappedText> {
    let (is_bytes, rest) = match token.strip_prefix('b') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let prefix_len = token.len() - rest.len();
    if let Some(raw) = rest.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let open = prefix_len + 1 + hashes + 1;
        let close = token.rfind('"')?;
        if close < open {
            return None;
        }
        let mut text = MappedText::copied(&token[open..close], offset + open);
        text.set_end(offset + close);
        return Some(text);
    }
    let open = prefix_len + 1;
    let close = token.rfind('"')?;
    if close < open {
        return None;
    }
    let body = &token[open..close];
    let base = offset + open;
    let mut text = MappedText::empty_at(base);
    if is_bytes {
        rustc_literal_escaper::unescape_byte_str(body, |range, byte| {
            if let Ok(byte) = byte {
                text.push(char::from(byte), base + range.start..base + range.end);
            }
        });
    } else {
        rustc_literal_escaper::unescape_str(body, |range, ch| {
            if let Ok(ch) = ch {
                text.push(ch, base + range.start..base + range.end);
            }
        });
    }
    text.set_end(offset + close);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source text each emission's bytes map back to, for every byte range of `needle`.
    fn find(source: &str) -> Vec<(Context, String)> {
        extract(source)
            .expect("test source parses")
            .into_iter()
            .map(|emission| (emission.context, emission.text.text))
            .collect()
    }

    #[test]
    fn finds_header_values_in_common_shapes() {
        let source = r#"
const P3P_POLICY: &str = "NOI DSP COR";
fn a(resp: &mut Response) {
    resp.headers_mut().insert(HeaderName::from_static("p3p"), HeaderValue::from_static("CP=\"NOI ADM\""));
    builder.header("P3P", P3P_POLICY);
    let x = concat!("CP=\"NOI ", "DEV\"");
    let y = format!("P3P: CP=\"{}\"", tokens);
    /// CP="NOT A HEADER"
    fn inner() {}
}
"#;
        assert_eq!(
            find(source),
            [
                (Context::HeaderValue, "NOI DSP COR".to_string()),
                (Context::HeaderValue, "CP=\"NOI ADM\"".to_string()),
                (Context::Embedded, "CP=\"NOI DEV\"".to_string()),
                (Context::Embedded, "P3P: CP=\"{}\"".to_string()),
            ]
        );
    }

    #[test]
    fn spans_are_exact_through_escapes_raw_strings_and_non_ascii() {
        let source = "// åäö ÅÄÖ\nconst S: &str = \"x\\u{e9}\\\"\\t CP=\\\"NOI PHY\\\"\";\nconst R: &str = r#\"ü CP=\"NOI ONL\"\"#;\nconst B: &[u8] = b\"CP=\\x22NOI FIN\\x22\";\n";
        let emissions = extract(source).unwrap();
        assert_eq!(emissions.len(), 3);
        for (emission, token) in emissions.iter().zip(["PHY", "ONL", "FIN"]) {
            let at = emission.text.text.find(token).unwrap();
            let span = emission.text.source_span(at..at + 3);
            assert_eq!(&source[span], token);
        }
        let escaped_quote = emissions[0].text.text.find("\"NOI").unwrap();
        let span = emissions[0]
            .text
            .source_span(escaped_quote..escaped_quote + 1);
        assert_eq!(&source[span], "\\\"");
    }

    #[test]
    fn spans_do_not_drift_across_files_on_one_thread() {
        let first = "fn a() { h(\"P3P\", \"CP=\\\"NOI\\\"\"); }";
        let second = "// ü\nfn b() { h(\"P3P\", \"CP=\\\"ALL\\\"\"); }";
        for _ in 0..3 {
            extract(first).unwrap();
            let emission = &extract(second).unwrap()[0];
            let at = emission.text.text.find("ALL").unwrap();
            assert_eq!(&second[emission.text.source_span(at..at + 3)], "ALL");
        }
    }

    #[test]
    fn bom_and_shebang_keep_offsets() {
        let source = "\u{feff}#!/usr/bin/env run\nconst P3P: &str = \"CP=\\\"NOI\\\"\";";
        let emission = &extract(source).unwrap()[0];
        let at = emission.text.text.find("NOI").unwrap();
        assert_eq!(&source[emission.text.source_span(at..at + 3)], "NOI");
    }

    #[test]
    fn deep_nesting_is_refused_before_syn_recurses() {
        let source = format!("fn f() {{ {}1{} }}", "(".repeat(5000), ")".repeat(5000));
        let failure = extract(&source).unwrap_err();
        assert!(failure.message.contains("nest"));
        assert_eq!(failure.span.start, 9 + MAX_NESTING - 1);
    }

    #[test]
    fn typed_and_untyped_lets_named_for_p3p_are_read() {
        let source = "fn f() { let p3p_policy: &str = \"NOI DSP COR PHY\"; let p3p = \"NOI\"; }";
        assert_eq!(
            find(source),
            [
                (Context::Tokens, "NOI DSP COR PHY".to_string()),
                (Context::Tokens, "NOI".to_string())
            ]
        );
    }

    #[test]
    fn self_referring_and_exponential_bindings_stay_cheap() {
        assert!(find("const P3P: &str = concat!(P3P);").is_empty());
        // 40 constants, each two of the next: 2^40 leaves if expanded, one resolution each here.
        let mut chain: String = (0..40)
            .map(|i| format!("const C{i}: &str = concat!(C{0}, C{0});\n", i + 1))
            .collect();
        chain.push_str("const C40: &str = \"NOI \";\nfn h(r: R) { r.header(\"P3P\", C0); }\n");
        let started = std::time::Instant::now();
        assert!(
            find(&chain).is_empty(),
            "a value past the length cap is given up"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Resolution still follows names through `concat!` up to the depth limit.
        let short = "const B: &str = concat!(\"CP=\\\"NOI\", C);\nconst C: &str = \"\\\"\";\nfn h(r: R) { r.header(\"P3P\", concat!(B, \" DSP\")); }\n";
        assert_eq!(
            find(short),
            [(Context::HeaderValue, "CP=\"NOI\" DSP".to_string())]
        );
    }

    #[test]
    fn unparsable_file_reports_where() {
        let failure = extract("fn main( {").unwrap_err();
        assert!(!failure.message.is_empty());
        assert!(failure.span.end <= "fn main( {".len());
    }
}
