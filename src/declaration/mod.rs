//! What a site declares: P3P policies as plain data with the span of every declaring element,
//! whether they were written as P3P XML or in p3plint's TOML form, and the base data schema that
//! gives data references their categories.
//!
//! The whole declaration side lives in this folder: `locate` finds and reads the files (one
//! dispatch over the readers), `xml_reader` and `toml_reader` turn them into `Policy` values
//! with what they share in `reader`, `derive` makes a policy's compact policy, and `checks`
//! holds the declaration's own consistency rules. A new reader is one file and one arm of
//! `locate::Format`.

pub mod checks;
pub mod derive;
pub mod document;
pub mod locate;
pub mod reader;
pub mod toml_reader;
pub mod xml_reader;

use crate::source::{FileId, Span};
use crate::vocabulary::Consent;
use crate::vocabulary::{Entry, Status, TokenKind, vocabulary};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A value and the place that declared it.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared<T> {
    pub value: T,
    pub file: FileId,
    pub span: Span,
}

/// All policies of a declaration (one file, or a reference file and the policies it names).
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    pub policies: Vec<Policy>,
}

/// One POLICY.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: Option<String>,
    pub file: FileId,
    /// The POLICY element, or the TOML `[policy]` table.
    pub span: Span,
    pub access: Option<Declared<&'static Entry>>,
    /// The DISPUTES-GROUP, when there is one.
    pub disputes: Option<Declared<()>>,
    pub remedies: Vec<Declared<&'static Entry>>,
    pub test: Option<Declared<()>>,
    pub statements: Vec<Statement>,
    /// Kinds the declaration does not state at all (a policy document leaves retention and
    /// access out): they are neither derived nor compared.
    pub unstated: Vec<TokenKind>,
    /// What a policy document says beyond its statements, when the policy came from one.
    pub document: Option<std::sync::Arc<document::Document>>,
}

impl Policy {
    /// Whether the declaration states tokens of `kind` at all.
    pub fn states(&self, kind: TokenKind) -> bool {
        !self.unstated.contains(&kind)
    }

    /// How the policy is called in messages.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("policy `{name}`"),
            None => "the policy".to_string(),
        }
    }
}

/// One STATEMENT (a "group" in the seed's words).
#[derive(Debug, Clone)]
pub struct Statement {
    pub name: Option<String>,
    pub file: FileId,
    pub span: Span,
    pub non_identifiable: Option<Span>,
    pub purposes: Vec<Practice>,
    pub recipients: Vec<Practice>,
    pub retention: Option<Declared<&'static Entry>>,
    pub data: Vec<Data>,
}

impl Statement {
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("statement `{name}`"),
            None => "a statement".to_string(),
        }
    }
}

/// A purpose or recipient with its consent.
#[derive(Debug, Clone)]
pub struct Practice {
    pub entry: &'static Entry,
    pub consent: Consent,
    pub file: FileId,
    pub span: Span,
    /// Who the recipient is, in the declaration's words (P3P's `<recipient-description>`).
    pub description: Option<String>,
}

/// A DATA element: a schema reference or custom data, with its resolved categories.
#[derive(Debug, Clone)]
pub struct Data {
    /// The reference without `#` (`user.home-info.postal`), or the custom data's name.
    pub name: String,
    pub file: FileId,
    pub span: Span,
    /// Fixed categories from the schema plus the ones written in the policy.
    pub categories: Vec<Declared<&'static Entry>>,
}

/// Finds the vocabulary entry of `kind` whose full-policy element is `name` (`contact`,
/// `business-practices`, `nonident`).
pub fn entry_for_element(kind: TokenKind, name: &str) -> Option<&'static Entry> {
    vocabulary().entries().iter().find(|entry| {
        entry.kind == kind && entry.status == Status::Standard && element_name(entry) == name
    })
}

/// The bare element name of an entry: `<contact/>` -> `contact`.
pub fn element_name(entry: &Entry) -> &str {
    entry
        .element
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/')
}

/// Element names of a kind, for did-you-mean and help texts.
pub fn element_names(kind: TokenKind) -> Vec<&'static str> {
    vocabulary()
        .entries()
        .iter()
        .filter(|entry| entry.kind == kind && entry.status == Status::Standard)
        .map(element_name)
        .collect()
}

/// The base data schema of `rules/base-data-schema.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    element: BTreeMap<String, Node>,
    structure: BTreeMap<String, BTreeMap<String, Node>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Node {
    #[serde(default)]
    structure: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    variable: bool,
}

/// What a data reference means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Categories the schema fixes (category element names).
    Fixed(Vec<String>),
    /// A variable-category element: the policy must state them.
    Variable,
}

pub const SCHEMA_SOURCE: &str = include_str!("../../rules/base-data-schema.toml");

/// The embedded schema; its validity is checked by the test suite.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        toml::from_str(SCHEMA_SOURCE).expect("rules/base-data-schema.toml is valid (tests)")
    })
}

impl Schema {
    /// Resolves `user.home-info.postal.street` (a leading `#` is ignored).
    pub fn resolve(&self, reference: &str) -> Option<Resolved> {
        let reference = reference.trim_start_matches('#');
        let (element, node) = self
            .element
            .iter()
            .filter(|(name, _)| {
                reference == name.as_str()
                    || reference
                        .strip_prefix(name.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|(name, _)| name.len())?;
        if node.variable {
            return (reference == element).then_some(Resolved::Variable);
        }
        let mut categories = node.categories.clone();
        let mut structure = node.structure.as_deref();
        let mut rest = reference[element.len()..].trim_start_matches('.');
        while !rest.is_empty() {
            let fields = self.structure.get(structure?)?;
            let (field, child) = fields
                .iter()
                .filter(|(name, _)| {
                    rest == name.as_str()
                        || rest
                            .strip_prefix(name.as_str())
                            .is_some_and(|after| after.starts_with('.'))
                })
                .max_by_key(|(name, _)| name.len())?;
            if !child.categories.is_empty() {
                categories = child.categories.clone();
            }
            structure = child.structure.as_deref();
            rest = rest[field.len()..].trim_start_matches('.');
        }
        Some(Resolved::Fixed(categories))
    }

    /// Every reference the schema knows, for did-you-mean.
    pub fn all_references(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, node) in &self.element {
            out.push(name.clone());
            self.expand(name, node.structure.as_deref(), &mut out, 0);
        }
        out
    }

    fn expand(&self, prefix: &str, structure: Option<&str>, out: &mut Vec<String>, depth: usize) {
        let Some(fields) = structure.and_then(|s| self.structure.get(s)) else {
            return;
        };
        if depth > 4 {
            return;
        }
        for (field, child) in fields {
            let path = format!("{prefix}.{field}");
            out.push(path.clone());
            self.expand(&path, child.structure.as_deref(), out, depth + 1);
        }
    }

    /// Checks that every category and structure the schema names exists.
    pub fn validate(&self) -> Result<(), String> {
        let check_node = |path: &str, node: &Node| -> Result<(), String> {
            for category in &node.categories {
                entry_for_element(TokenKind::Category, category)
                    .ok_or_else(|| format!("{path}: unknown category `{category}`"))?;
            }
            if let Some(structure) = &node.structure
                && !self.structure.contains_key(structure)
            {
                return Err(format!("{path}: unknown structure `{structure}`"));
            }
            Ok(())
        };
        for (name, node) in &self.element {
            check_node(name, node)?;
        }
        for (name, fields) in &self.structure {
            for (field, node) in fields {
                check_node(&format!("{name}.{field}"), node)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(reference: &str) -> Vec<String> {
        match schema().resolve(reference) {
            Some(Resolved::Fixed(categories)) => categories,
            other => panic!("{reference}: {other:?}"),
        }
    }

    #[test]
    fn schema_is_valid() {
        schema().validate().unwrap();
    }

    #[test]
    fn resolves_elements_and_structure_fields() {
        assert_eq!(fixed("#dynamic.clickstream"), ["navigation", "computer"]);
        assert_eq!(fixed("user.home-info.postal"), ["physical", "demographic"]);
        assert_eq!(fixed("user.home-info.postal.street"), ["physical"]);
        assert_eq!(fixed("user.home-info.postal.postalcode"), ["demographic"]);
        assert_eq!(fixed("user.home-info.online.email"), ["online"]);
        assert_eq!(fixed("user.bdate.ymd.year"), ["demographic"]);
        assert_eq!(fixed("dynamic.clickstream.uri.stem"), ["navigation"]);
        assert_eq!(fixed("dynamic.clickstream.clientip"), ["computer"]);
        assert_eq!(fixed("user.name.given"), ["physical"]);
        assert_eq!(
            schema().resolve("dynamic.cookies"),
            Some(Resolved::Variable)
        );
        assert_eq!(schema().resolve("user.home-info.postal.streat"), None);
        assert_eq!(schema().resolve("dynamic.clickstreams"), None);
    }

    #[test]
    fn element_names_map_to_tokens() {
        let contact = entry_for_element(TokenKind::Purpose, "contact").unwrap();
        assert_eq!(contact.name, "CON");
        let bus = entry_for_element(TokenKind::Retention, "business-practices").unwrap();
        assert_eq!(bus.name, "BUS");
        assert!(
            schema()
                .all_references()
                .contains(&"user.home-info.postal.street".to_string())
        );
    }
}
