//! P3P 1.0 XML: policy files (POLICIES, POLICY) and policy reference files (META,
//! POLICY-REFERENCES), read with roxmltree so every element keeps its byte range.
//!
//! Real files are messy, so elements are matched by local name whatever their namespace, a bare
//! POLICY root is accepted, and each oddity is reported. A DTD is refused (no entity expansion,
//! no file or network access).

use super::reader::{Reporter, SchemaBase, SchemaDefinitions};
use crate::declaration::{Declared, Policy, Statement};
use crate::diagnostic::Diagnostic;
use crate::rules::RuleId;
use crate::source::{FileId, Span};
use crate::vocabulary::Consent;
use crate::vocabulary::TokenKind;
use roxmltree::{Document, Node, ParsingOptions};

/// The P3P 1.0 Recommendation's namespace.
pub const P3P_NAMESPACE: &str = "http://www.w3.org/2002/01/P3Pv1";

/// Namespaces of drafts that real policies still use.
const DRAFT_NAMESPACES: &[&str] = &[
    "http://www.w3.org/2000/09/15/P3Pv1",
    "http://www.w3.org/2000/12/P3Pv1",
    "http://www.w3.org/2001/09/P3Pv1",
];

/// Caps what one file may expand to, against node bombs.
const NODES_LIMIT: u32 = 1_000_000;

/// A POLICY-REF of a reference file.
#[derive(Debug, Clone)]
pub struct PolicyRef {
    pub about: String,
    pub span: Span,
}

/// What one XML file holds.
#[derive(Debug, Default)]
pub struct XmlFile {
    pub policies: Vec<Policy>,
    /// Present when the file is a policy reference file (META root).
    pub references: Option<Vec<PolicyRef>>,
    pub diagnostics: Vec<Diagnostic>,
    /// False when the file is not well-formed XML: nothing could be read.
    pub readable: bool,
    /// The root element's name, for messages about the file as a whole.
    pub root_span: Span,
}

pub fn parse(file: FileId, text: &str) -> XmlFile {
    parse_with_schemas(file, text, Vec::new())
}

/// `parse`, with the schemas of other project files that DATA-GROUPs name by `base`.
pub fn parse_with_schemas(
    file: FileId,
    text: &str,
    other_schemas: Vec<(String, SchemaDefinitions)>,
) -> XmlFile {
    let mut reporter = Reporter::new(file);
    reporter.other_schemas = other_schemas;
    let document = match document(text) {
        Ok(document) => document,
        Err(err) => {
            let pos = err.pos();
            let offset = match err {
                roxmltree::Error::DtdDetected => text.find("<!DOCTYPE").unwrap_or(0),
                _ => offset_of(text, pos.row as usize, pos.col as usize),
            };
            let message = match err {
                roxmltree::Error::DtdDetected => {
                    "the policy has a DTD; DTDs and external entities are refused".to_string()
                }
                other => format!("not well-formed XML: {other}"),
            };
            reporter.push(RuleId::MalformedPolicy, offset..offset, message);
            return XmlFile {
                diagnostics: reporter.diagnostics,
                ..XmlFile::default()
            };
        }
    };
    let root = document.root_element();
    check_namespace(&mut reporter, root);
    reporter.custom_schema = custom_schema(root);
    let mut out = XmlFile {
        readable: true,
        root_span: tag_span(root),
        ..XmlFile::default()
    };
    match root.tag_name().name() {
        "META" => {
            let mut references = Vec::new();
            for child in elements(root) {
                match child.tag_name().name() {
                    "POLICY-REFERENCES" => {
                        for reference in
                            elements(child).filter(|n| n.tag_name().name() == "POLICY-REF")
                        {
                            match reference.attribute_node("about") {
                                Some(about) => references.push(PolicyRef {
                                    about: about.value().to_string(),
                                    span: about.range_value(),
                                }),
                                None => {
                                    reporter.push(
                                        RuleId::MalformedPolicy,
                                        tag_span(reference),
                                        "a POLICY-REF without an `about` attribute",
                                    );
                                }
                            }
                        }
                    }
                    "POLICIES" => out.policies.extend(policies(&mut reporter, child)),
                    _ => {}
                }
            }
            out.references = Some(references);
        }
        "POLICIES" => out.policies = policies(&mut reporter, root),
        "POLICY" => {
            reporter.push(
                RuleId::NonstandardPolicyFormat,
                tag_span(root),
                "a bare POLICY root; P3P 1.0 wraps policies in POLICIES",
            );
            out.policies.push(policy(&mut reporter, root));
        }
        other => {
            reporter.push(
                RuleId::MalformedPolicy,
                tag_span(root),
                format!("`{other}` is not a P3P root element (META, POLICIES or POLICY)"),
            );
            out.readable = false;
        }
    }
    out.diagnostics = reporter.diagnostics;
    out
}

fn offset_of(text: &str, row: usize, col: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(row.saturating_sub(1))
        .map(str::len)
        .sum();
    let line = &text[line_start.min(text.len())..];
    line_start
        + line
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line.len(), |(at, _)| at)
}

/// The span of an element's start tag name, which is where a reader's eye goes.
fn tag_span(node: Node) -> Span {
    let start = node.range().start;
    let name_len = node.tag_name().name().len();
    let prefix = node
        .document()
        .input_text()
        .get(start + 1..)
        .and_then(|rest| rest.find(node.tag_name().name()))
        .unwrap_or(0);
    let begin = start + 1 + prefix;
    begin..begin + name_len
}

fn elements<'a, 'input>(node: Node<'a, 'input>) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(Node::is_element)
}

fn check_namespace(reporter: &mut Reporter, root: Node) {
    let namespace = root.tag_name().namespace();
    let message = match namespace {
        Some(P3P_NAMESPACE) => return,
        Some(ns) if DRAFT_NAMESPACES.contains(&ns) => {
            format!("`{ns}` is a P3P draft namespace; read as P3P 1.0 ({P3P_NAMESPACE})")
        }
        Some(ns) if P3P_NAMESPACE.ends_with(ns) || ns.ends_with("/P3Pv1") => {
            format!(
                "namespace `{ns}` is not the P3P 1.0 namespace {P3P_NAMESPACE}; read as P3P 1.0"
            )
        }
        Some(ns) => format!("unexpected namespace `{ns}`; read as P3P 1.0"),
        None => format!("no namespace; P3P 1.0 uses {P3P_NAMESPACE}"),
    };
    reporter.push(RuleId::NonstandardPolicyFormat, tag_span(root), message);
}

/// Parses a policy-side XML file: DTDs (and so external entities) refused, nodes bounded.
fn document(text: &str) -> Result<Document<'_>, roxmltree::Error> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(text, options)
}

/// The `base` of every DATA-GROUP that names a schema in another file (a path, not `""`, the
/// P3P base schema or a URL), with its span: the files to read before the policy is.
pub fn schema_files(text: &str) -> Vec<(String, Span)> {
    let Ok(document) = document(text) else {
        return Vec::new();
    };
    let mut bases: Vec<(String, Span)> = Vec::new();
    for group in document
        .descendants()
        .filter(|node| node.is_element() && node.tag_name().name() == "DATA-GROUP")
    {
        let Some(base) = group.attribute_node("base") else {
            continue;
        };
        let is_file = matches!(SchemaBase::of(Some(base.value())), SchemaBase::Elsewhere(_))
            && !base.value().contains("://");
        if is_file && !bases.iter().any(|(known, _)| known == base.value()) {
            bases.push((base.value().to_string(), base.range_value()));
        }
    }
    bases
}

/// The data elements a schema file defines (its root is DATASCHEMA, or holds one).
pub fn schema_definitions(text: &str) -> SchemaDefinitions {
    document(text)
        .map(|document| custom_schema(document.root()))
        .unwrap_or_default()
}

/// The data elements a file defines in its own `DATASCHEMA`s: each DATA-DEF's name with the
/// category element names it lists.
fn custom_schema(root: Node) -> SchemaDefinitions {
    root.descendants()
        .filter(|node| node.is_element() && node.tag_name().name() == "DATASCHEMA")
        .flat_map(elements)
        .filter(|node| matches!(node.tag_name().name(), "DATA-DEF" | "DATA-STRUCT"))
        .filter_map(|definition| {
            let name = definition
                .attribute("name")?
                .trim_start_matches('#')
                .to_string();
            let categories = elements(definition)
                .filter(|n| n.tag_name().name() == "CATEGORIES")
                .flat_map(elements)
                .map(|category| category.tag_name().name().to_string())
                .collect();
            Some((name, categories))
        })
        .collect()
}

fn policies(reporter: &mut Reporter, node: Node) -> Vec<Policy> {
    elements(node)
        .filter(|n| n.tag_name().name() == "POLICY")
        .map(|n| policy(reporter, n))
        .collect()
}

fn policy(reporter: &mut Reporter, node: Node) -> Policy {
    let file = reporter.file;
    let mut policy = Policy {
        name: node.attribute("name").map(str::to_string),
        file,
        span: tag_span(node),
        access: None,
        disputes: None,
        remedies: Vec::new(),
        test: None,
        statements: Vec::new(),
        unstated: Vec::new(),
        document: None,
    };
    for child in elements(node) {
        match child.tag_name().name() {
            "ACCESS" => policy.access = single_value(reporter, child, TokenKind::Access),
            "DISPUTES-GROUP" => {
                policy.disputes = Some(Declared {
                    value: (),
                    file,
                    span: tag_span(child),
                });
                for disputes in elements(child) {
                    for remedies in elements(disputes).filter(|n| n.tag_name().name() == "REMEDIES")
                    {
                        for remedy in elements(remedies) {
                            if let Some(entry) = reporter.element(
                                TokenKind::Remedies,
                                remedy.tag_name().name(),
                                tag_span(remedy),
                            ) {
                                policy.remedies.push(Declared {
                                    value: entry,
                                    file,
                                    span: tag_span(remedy),
                                });
                            }
                        }
                    }
                }
            }
            "TEST" => {
                policy.test = Some(Declared {
                    value: (),
                    file,
                    span: tag_span(child),
                });
            }
            "STATEMENT" => policy.statements.push(statement(reporter, child)),
            "EXTENSION" => extension(reporter, child),
            _ => {}
        }
    }
    policy
}

/// ACCESS and RETENTION hold exactly one value element.
fn single_value(
    reporter: &mut Reporter,
    node: Node,
    kind: TokenKind,
) -> Option<Declared<&'static crate::vocabulary::Entry>> {
    let values: Vec<Node> = elements(node).collect();
    if values.len() != 1 {
        reporter.push(
            RuleId::MalformedPolicy,
            tag_span(node),
            format!(
                "{} must hold exactly one value, not {}",
                node.tag_name().name(),
                values.len()
            ),
        );
    }
    let value = values.first()?;
    let span = tag_span(*value);
    let entry = reporter.element(kind, value.tag_name().name(), span.clone())?;
    Some(Declared {
        value: entry,
        file: reporter.file,
        span,
    })
}

fn extension(reporter: &mut Reporter, node: Node) {
    let mandatory = node.attribute("optional") == Some("no");
    let diagnostic = reporter.push(
        RuleId::IgnoredExtension,
        tag_span(node),
        if mandatory {
            "a mandatory EXTENSION: it changes the policy, but no compact token can say how"
        } else {
            "an EXTENSION is skipped: extensions have no compact form"
        },
    );
    diagnostic.primary.message = "skipped".into();
}

fn statement(reporter: &mut Reporter, node: Node) -> Statement {
    let file = reporter.file;
    let mut statement = Statement {
        name: None,
        file,
        span: tag_span(node),
        non_identifiable: None,
        purposes: Vec::new(),
        recipients: Vec::new(),
        retention: None,
        data: Vec::new(),
    };
    for child in elements(node) {
        match child.tag_name().name() {
            "CONSEQUENCE" => {
                let text: String = child
                    .text()
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !text.is_empty() {
                    statement.name = Some(text);
                }
            }
            "NON-IDENTIFIABLE" => statement.non_identifiable = Some(tag_span(child)),
            "PURPOSE" => statement
                .purposes
                .extend(practices(reporter, child, TokenKind::Purpose)),
            "RECIPIENT" => {
                statement
                    .recipients
                    .extend(practices(reporter, child, TokenKind::Recipient));
            }
            "RETENTION" => {
                statement.retention = single_value(reporter, child, TokenKind::Retention);
            }
            "DATA-GROUP" => {
                let base = SchemaBase::of(child.attribute("base"));
                for data in elements(child).filter(|n| n.tag_name().name() == "DATA") {
                    let explicit = elements(data)
                        .filter(|n| n.tag_name().name() == "CATEGORIES")
                        .flat_map(elements)
                        .filter_map(|category| {
                            let span = tag_span(category);
                            reporter
                                .element(
                                    TokenKind::Category,
                                    category.tag_name().name(),
                                    span.clone(),
                                )
                                .map(|entry| Declared {
                                    value: entry,
                                    file,
                                    span,
                                })
                        })
                        .collect();
                    let reference = data.attribute_node("ref");
                    let name = reference.map_or("", |r| r.value());
                    if reference.is_none() {
                        reporter.push(
                            RuleId::MalformedPolicy,
                            tag_span(data),
                            "a DATA element without `ref`",
                        );
                    }
                    let reference = reference.map(|r| (r.value(), r.range_value()));
                    let built = reporter.data(reference, base, name, tag_span(data), explicit);
                    statement.data.push(built);
                }
            }
            "EXTENSION" => extension(reporter, child),
            _ => {}
        }
    }
    if let Some(name) = &statement.name
        && name.chars().count() > 60
    {
        let short: String = name.chars().take(57).collect();
        statement.name = Some(format!("{short}..."));
    }
    statement
}

fn practices(
    reporter: &mut Reporter,
    node: Node,
    kind: TokenKind,
) -> Vec<crate::declaration::Practice> {
    let file = reporter.file;
    elements(node)
        .filter(|n| n.tag_name().name() != "EXTENSION")
        .filter_map(|value| {
            let span = tag_span(value);
            let entry = reporter.element(kind, value.tag_name().name(), span.clone())?;
            let consent = match value.attribute_node("required") {
                Some(required) => {
                    if !entry.suffix {
                        reporter.push(
                            RuleId::MalformedPolicy,
                            required.range(),
                            format!(
                                "`{}` takes no `required` attribute",
                                value.tag_name().name()
                            ),
                        );
                    }
                    reporter.consent(required.value(), required.range_value())
                }
                None => Consent::Always,
            };
            // `<delivery><recipient-description>PostNord AB</recipient-description></delivery>`
            let description = elements(value)
                .find(|child| child.tag_name().name() == "recipient-description")
                .and_then(|child| child.text())
                .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|text| !text.is_empty());
            Some(crate::declaration::Practice {
                entry,
                consent,
                file,
                span,
                description,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r##"<POLICIES xmlns="http://www.w3.org/2002/01/P3Pv1">
 <POLICY name="shop" discuri="https://shop.example/privacy.html">
  <ACCESS><contact-and-other/></ACCESS>
  <DISPUTES-GROUP><DISPUTES resolution-type="service"><REMEDIES><correct/></REMEDIES></DISPUTES></DISPUTES-GROUP>
  <STATEMENT>
   <PURPOSE><current/><contact required="opt-in"/></PURPOSE>
   <RECIPIENT><ours/><delivery/></RECIPIENT>
   <RETENTION><legal-requirement/></RETENTION>
   <DATA-GROUP>
    <DATA ref="#user.home-info.postal"/>
    <DATA ref="#dynamic.miscdata"><CATEGORIES><purchase/></CATEGORIES></DATA>
   </DATA-GROUP>
  </STATEMENT>
 </POLICY>
</POLICIES>"##;

    #[test]
    fn reads_a_policy_with_spans() {
        let parsed = parse(FileId(0), EXAMPLE);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let policy = &parsed.policies[0];
        assert_eq!(policy.name.as_deref(), Some("shop"));
        assert_eq!(policy.access.as_ref().unwrap().value.name, "CAO");
        assert_eq!(
            &EXAMPLE[policy.access.as_ref().unwrap().span.clone()],
            "contact-and-other"
        );
        let statement = &policy.statements[0];
        assert_eq!(statement.purposes[1].entry.name, "CON");
        assert_eq!(statement.purposes[1].consent, Consent::OptIn);
        assert_eq!(&EXAMPLE[statement.purposes[1].span.clone()], "contact");
        let categories: Vec<&str> = statement
            .data
            .iter()
            .flat_map(|d| d.categories.iter().map(|c| c.value.name.as_str()))
            .collect();
        assert_eq!(categories, ["PHY", "DEM", "PUR"]);
    }

    #[test]
    fn refuses_dtds_and_reports_broken_xml_with_a_position() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><POLICIES>&lol;</POLICIES>";
        let parsed = parse(FileId(0), bomb);
        assert!(!parsed.readable);
        assert!(parsed.diagnostics[0].message.contains("DTD"));
        let parsed = parse(FileId(0), "<POLICIES>\n  <POLICY>\n</POLICIES>");
        assert!(!parsed.readable);
        assert!(parsed.diagnostics[0].primary.span.start > 10);
    }

    #[test]
    fn reads_old_namespaces_and_bare_roots_and_says_so() {
        let old = "<POLICY xmlns=\"http://www.w3.org/2000/12/P3Pv1\" name=\"p\"><ACCESS><none/></ACCESS></POLICY>";
        let parsed = parse(FileId(0), old);
        assert_eq!(parsed.policies.len(), 1);
        let rules: Vec<&str> = parsed
            .diagnostics
            .iter()
            .map(|d| d.rule.name.as_str())
            .collect();
        assert_eq!(
            rules,
            ["nonstandard-policy-format", "nonstandard-policy-format"]
        );
    }
}
