//! What the XML and TOML policy readers share: turning a data reference into categories, element
//! names into tokens, and the diagnostics both report the same way.

use crate::declaration::{Data, Declared, Resolved, element_names, entry_for_element, schema};
use crate::diagnostic::Diagnostic;
use crate::rules::RuleId;
use crate::source::{FileId, Span};
use crate::suggest;
use crate::vocabulary::Consent;
use crate::vocabulary::{Entry, TokenKind};

/// Collects diagnostics for one policy file.
pub struct Reporter {
    pub file: FileId,
    pub diagnostics: Vec<Diagnostic>,
    /// The data elements the file defines itself (`<DATASCHEMA><DATA-DEF name=..>`), with the
    /// category element names each declares.
    pub custom_schema: SchemaDefinitions,
    /// Schemas in other files of the project, by the `base` that names them.
    pub other_schemas: Vec<(String, SchemaDefinitions)>,
}

/// The data elements a schema defines: each DATA-DEF's name with the category element names it
/// lists.
pub type SchemaDefinitions = Vec<(String, Vec<String>)>;

/// Which data schema a DATA reference is read against (the DATA-GROUP's `base`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaBase<'a> {
    /// The P3P base data schema (no `base`, or its URI).
    Standard,
    /// The schema the policy file defines itself (`base=""`).
    ThisFile,
    /// Another schema, as `base` names it: read when it is a file of the project, else its
    /// elements are taken as they come.
    Elsewhere(&'a str),
}

impl<'a> SchemaBase<'a> {
    pub fn of(base: Option<&'a str>) -> SchemaBase<'a> {
        match base.map(str::trim) {
            None => SchemaBase::Standard,
            Some(uri)
                if uri
                    .trim_end_matches('/')
                    .ends_with("www.w3.org/TR/P3P/base") =>
            {
                SchemaBase::Standard
            }
            Some("") => SchemaBase::ThisFile,
            Some(other) => SchemaBase::Elsewhere(other),
        }
    }
}

/// The definition of `reference` in `definitions`: the longest name that is the reference or a
/// prefix of it at a `.`.
fn defined<'d>(definitions: &'d [(String, Vec<String>)], reference: &str) -> Option<&'d [String]> {
    let reference = reference.trim_start_matches('#');
    definitions
        .iter()
        .filter(|(name, _)| {
            reference == name
                || reference
                    .strip_prefix(name.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .max_by_key(|(name, _)| name.len())
        .map(|(_, categories)| categories.as_slice())
}

impl Reporter {
    pub fn new(file: FileId) -> Reporter {
        Reporter {
            file,
            diagnostics: Vec::new(),
            custom_schema: Vec::new(),
            other_schemas: Vec::new(),
        }
    }

    /// The categories the file's own schema gives `reference`.
    fn custom_categories(&self, reference: &str) -> Option<&[String]> {
        defined(&self.custom_schema, reference)
    }

    pub fn push(
        &mut self,
        rule: RuleId,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::new(rule, self.file, span, message));
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// `malformed-policy` with a did-you-mean over `known`.
    pub fn unknown(&mut self, span: Span, what: &str, value: &str, known: &[&str]) {
        let help = match suggest::closest(value, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("expected one of: {}", known.join(", ")),
        };
        self.push(
            RuleId::MalformedPolicy,
            span,
            format!("unknown {what} `{value}`"),
        )
        .help = Some(help);
    }

    /// The token for an element name of `kind`, or a diagnostic.
    pub fn element(&mut self, kind: TokenKind, name: &str, span: Span) -> Option<&'static Entry> {
        let entry = entry_for_element(kind, name);
        if entry.is_none() {
            self.unknown(span, kind.as_str(), name, &element_names(kind));
        }
        entry
    }

    /// A `required` value: `always`, `opt-in`, `opt-out`.
    pub fn consent(&mut self, value: &str, span: Span) -> Consent {
        match value {
            "always" => Consent::Always,
            "opt-in" => Consent::OptIn,
            "opt-out" => Consent::OptOut,
            _ => {
                self.unknown(span, "consent", value, &["always", "opt-in", "opt-out"]);
                Consent::Always
            }
        }
    }

    /// Category element names, as declared by the DATA at `span`; names that are not
    /// categories are left out (the schema and the readers report them where they stand).
    fn categories(&self, names: &[String], span: &Span) -> Vec<Declared<&'static Entry>> {
        names
            .iter()
            .filter_map(|name| entry_for_element(TokenKind::Category, name))
            .map(|entry| Declared {
                value: entry,
                file: self.file,
                span: span.clone(),
            })
            .collect()
    }

    /// A DATA element: a schema reference (or custom data when `reference` is `None`) with the
    /// categories written next to it.
    pub fn data(
        &mut self,
        reference: Option<(&str, Span)>,
        base: SchemaBase<'_>,
        name: &str,
        span: Span,
        explicit: Vec<Declared<&'static Entry>>,
    ) -> Data {
        let mut categories = Vec::new();
        // A reference into the file's own schema (or into one p3plint cannot read) takes the
        // categories that schema states; an element of the file's own schema named without
        // `base=""` is read the same way rather than reported as unknown.
        if let (Some((reference, reference_span)), SchemaBase::Elsewhere(uri)) = (&reference, base)
            && let Some((_, definitions)) = self.other_schemas.iter().find(|(b, _)| b == uri)
            && defined(definitions, reference).is_none()
        {
            let bare = reference.trim_start_matches('#').to_string();
            let help = suggest::closest(&bare, definitions.iter().map(|(name, _)| name.as_str()))
                .map(|close| format!("did you mean `{close}`?"));
            let diagnostic = self.push(
                RuleId::UnknownDataReference,
                reference_span.clone(),
                format!("`{bare}` is not in the schema `{uri}` defines"),
            );
            diagnostic.primary.message = "unknown data element".into();
            diagnostic.help = help;
        }
        let custom = reference.as_ref().and_then(|&(reference, _)| match base {
            SchemaBase::Elsewhere(uri) => Some(
                self.other_schemas
                    .iter()
                    .find(|(base, _)| base == uri)
                    .and_then(|(_, definitions)| defined(definitions, reference))
                    .map(<[String]>::to_vec)
                    .unwrap_or_default(),
            ),
            SchemaBase::ThisFile => Some(
                self.custom_categories(reference)
                    .map(<[String]>::to_vec)
                    .unwrap_or_default(),
            ),
            SchemaBase::Standard if schema().resolve(reference).is_none() => {
                self.custom_categories(reference).map(<[String]>::to_vec)
            }
            SchemaBase::Standard => None,
        });
        if let Some(custom) = custom {
            categories.extend(self.categories(&custom, &span));
            categories.extend(explicit);
            return Data {
                name: name.trim_start_matches('#').to_string(),
                file: self.file,
                span,
                categories,
            };
        }
        match reference {
            Some((reference, reference_span)) => match schema().resolve(reference) {
                Some(Resolved::Fixed(fixed)) => categories.extend(self.categories(&fixed, &span)),
                Some(Resolved::Variable) if explicit.is_empty() => {
                    let diagnostic = self.push(
                        RuleId::MissingCategories,
                        reference_span,
                        format!("`{reference}` has no fixed categories, and none are given"),
                    );
                    diagnostic.primary.message = "variable-category element".into();
                    diagnostic.help = Some(
                        "list what the data is, e.g. <CATEGORIES><uniqueid/><state/></CATEGORIES> \
                         (TOML: categories = [\"uniqueid\", \"state\"])"
                            .into(),
                    );
                }
                Some(Resolved::Variable) => {}
                None => {
                    let bare = reference.trim_start_matches('#');
                    let references = schema().all_references();
                    let help = suggest::closest(bare, references.iter().map(String::as_str))
                        .map(|close| format!("did you mean `{close}`?"))
                        .unwrap_or_else(|| {
                            "see the P3P base data schema (rules/base-data-schema.toml)".into()
                        });
                    let diagnostic = self.push(
                        RuleId::UnknownDataReference,
                        reference_span,
                        format!("`{bare}` is not in the P3P base data schema"),
                    );
                    diagnostic.primary.message = "unknown data element".into();
                    diagnostic.help = Some(help);
                }
            },
            None if explicit.is_empty() => {
                self.push(
                    RuleId::MissingCategories,
                    span.clone(),
                    format!("custom data `{name}` has no categories"),
                )
                .help = Some("say what the data is: categories = [\"computer\", ...]".into());
            }
            None => {}
        }
        categories.extend(explicit);
        Data {
            name: name.trim_start_matches('#').to_string(),
            file: self.file,
            span,
            categories,
        }
    }
}
