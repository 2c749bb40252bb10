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

/// How deep constants may refer to constants before resolution gives up (guards against cycles).
const MAX_RESOLVE_DEPTH: usize = 8;

/// Deeper bracket nesting than this is left to the line scanner: syn parses recursively, and a
/// generated or hostile file must not exhaust the stack.
const MAX_NESTING: usize = 256;

pub fn extract(source: &str) -> Result<Vec<Emission>, ParseFailure> {
    if let Some(at) = too_deep(source) {
        return Err(ParseFailure {
            message: format!("brackets nest more than {MAX_NESTING} levels deep"),
            span: at..at + 1,
        });
    }
    let prepared = blank_bom_and_shebang(source);
    let result = match syn::parse_str::<syn::File>(&prepared) {
        Ok(file) => {
            let mut bindings = Bindings::default();
            bindings.visit_file(&file);
            let mut finder = Finder {
                source,
                bindings: bindings.values,
                candidates: BTreeMap::new(),
            };
            finder.visit_file(&file);
            Ok(finder.finish())
        }
        Err(err) => Err(ParseFailure {
            message: err.to_string(),
            span: err.span().byte_range(),
        }),
    };
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// Where bracket nesting first exceeds `MAX_NESTING`. Brackets inside strings and comments are
/// counted too: an overestimate only sends the file to the line scanner.
fn too_deep(source: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, byte) in source.bytes().enumerate() {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(at);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
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
    match pat {
        syn::Pat::Ident(ident) => Some(ident.ident.to_string()),
        syn::Pat::Type(typed) => pattern_name(&typed.pat),
        _ => None,
    }
}

/// Finds emissions. Candidates are keyed by source span; when one literal is found in several
/// ways the strongest context wins, so the result does not depend on visiting order.
struct Finder<'s> {
    source: &'s str,
    bindings: HashMap<String, Expr>,
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
            Expr::Lit(lit) => literal_text(self.source, &lit.lit),
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
            Expr::Macro(mac) if mac.mac.path.is_ident("concat") => self.resolve_concat(&mac.mac),
            Expr::Path(path) => {
                let name = path.path.get_ident()?.to_string();
                self.resolve(self.bindings.get(&name)?, depth + 1)
            }
            _ => None,
        }
    }

    fn resolve_concat(&self, mac: &syn::Macro) -> Option<MappedText> {
        let parts = mac
            .parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated)
            .ok()?;
        let mut joined: Option<MappedText> = None;
        for part in &parts {
            let text = self.resolve(part, 0)?;
            match &mut joined {
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
            if let Some(text) = self.resolve_concat(mac) {
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
                    if let Some(text) = literal_text(self.source, &lit) {
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
        if let (syn::Pat::Ident(ident), Some(init)) = (&local.pat, &local.init) {
            self.check_binding(&ident.ident, &init.expr);
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
        if let Some(text) = literal_text(self.source, &lit.lit) {
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
fn literal_text(source: &str, lit: &Lit) -> Option<MappedText> {
    let span = match lit {
        Lit::Str(lit) => lit.span(),
        Lit::ByteStr(lit) => lit.span(),
        _ => return None,
    }
    .byte_range();
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
    fn unparsable_file_reports_where() {
        let failure = extract("fn main( {").unwrap_err();
        assert!(!failure.message.is_empty());
        assert!(failure.span.end <= "fn main( {".len());
    }
}
