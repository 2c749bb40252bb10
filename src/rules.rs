//! The rule registry: every `rules/<CODE>-<name>.toml`, embedded at build time and parsed once.
//!
//! A rule file holds the rule's identity (code, name), default severity, docs, examples and the
//! parameters of its check kind. The logic lives in `check/`; a rule names the kind that runs it.

use crate::vocabulary::TokenKind;
use serde::Deserialize;
use std::sync::OnceLock;

include!(concat!(env!("OUT_DIR"), "/rule_files.rs"));

/// How serious a finding is. Only `Error` makes `p3plint check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// One rule, as loaded from its file.
#[derive(Debug)]
pub struct Rule {
    pub id: RuleId,
    pub code: String,
    pub name: String,
    pub severity: Severity,
    /// Rules that are off by default run only when lint.toml or `--select` turns them on.
    pub enabled_by_default: bool,
    pub summary: String,
    pub kind: Kind,
    pub docs: Docs,
    /// The file the rule came from, for messages about the rule itself.
    pub file_name: String,
}

/// The user documentation of a rule, shown by `p3plint rule`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    /// What the rule checks.
    pub what: String,
    /// Why it matters.
    pub why: String,
    /// Inputs that must trigger the rule (run by the test suite).
    #[serde(default)]
    pub fail: Vec<Example>,
    /// Inputs that must not trigger it.
    #[serde(default)]
    pub pass: Vec<Example>,
    /// Choices the spec leaves open, and what the rule decided.
    #[serde(default)]
    pub decisions: Option<String>,
}

/// An example: a line of a text file (HTML, server config), a whole file of a given name, or a
/// small project (a declaration, lint.toml, code) as file name -> contents.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Line(String),
    File {
        file: String,
        text: String,
    },
    Files {
        files: std::collections::BTreeMap<String, String>,
    },
}

impl Example {
    /// The files the example stands for, as (name, contents).
    pub fn files(&self) -> Vec<(&str, &str)> {
        match self {
            Example::Line(text) => vec![("example.html", text)],
            Example::File { file, text } => vec![(file, text)],
            Example::Files { files } => files
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str()))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    code: String,
    name: String,
    severity: String,
    #[serde(default = "default_true")]
    enabled: bool,
    summary: String,
    kind: String,
    docs: Docs,
    #[serde(default)]
    params: toml::Table,
}

fn default_true() -> bool {
    true
}

/// All rules, in code order.
#[derive(Debug)]
pub struct Registry {
    rules: Vec<Rule>,
}

impl Registry {
    /// Parses rule files; the error names the file and what is wrong with it.
    pub fn parse(files: &[(&str, &str)]) -> Result<Registry, String> {
        let mut rules = Vec::new();
        for (file_name, text) in files {
            let raw: RuleFile =
                toml::from_str(text).map_err(|err| format!("rules/{file_name}: {err}"))?;
            let severity = Severity::parse(&raw.severity)
                .ok_or_else(|| format!("rules/{file_name}: unknown severity `{}`", raw.severity))?;
            let kind = Kind::from_params(&raw.kind, raw.params)
                .map_err(|err| format!("rules/{file_name}: {err}"))?;
            let expected_name = format!("{}-{}.toml", raw.code, raw.name);
            if *file_name != expected_name {
                return Err(format!(
                    "rules/{file_name}: should be named {expected_name}"
                ));
            }
            let id = RuleId::ALL
                .iter()
                .copied()
                .find(|id| id.name() == raw.name && id.code() == raw.code)
                .ok_or_else(|| format!("rules/{file_name}: not a rule this build knows"))?;
            rules.push(Rule {
                id,
                code: raw.code,
                name: raw.name,
                severity,
                enabled_by_default: raw.enabled,
                summary: raw.summary,
                kind,
                docs: raw.docs,
                file_name: file_name.to_string(),
            });
        }
        rules.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(Registry { rules })
    }

    /// The rule of an id. Ids and rules come from the same files (build.rs), in code order.
    pub fn rule(&self, id: RuleId) -> &Rule {
        match self.rules.get(id as usize) {
            Some(rule) if rule.id == id => rule,
            // Only a registry parsed from other files (a test's) is not in id order.
            _ => self
                .rules
                .iter()
                .find(|rule| rule.id == id)
                .unwrap_or(&self.rules[0]),
        }
    }

    /// The rule with this code or name.
    pub fn get(&self, code_or_name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|rule| rule.code == code_or_name || rule.name == code_or_name)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Rules whose code starts with `prefix` (`CP1` selects CP101, CP102, ...).
    pub fn with_code_prefix(&self, prefix: &str) -> impl Iterator<Item = &Rule> + use<'_> {
        let prefix = prefix.to_string();
        self.rules
            .iter()
            .filter(move |rule| rule.code.starts_with(&prefix))
    }

    /// Every code and name, for did-you-mean suggestions.
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .flat_map(|rule| [rule.code.as_str(), rule.name.as_str()])
    }

    /// The rules a selector names, in the one grammar `--select`/`--ignore`, lint.toml `[rules]`
    /// and suppression comments share: `ALL`, a code (`CP101`), a name
    /// (`identified-data-contradiction`) or a code prefix (`CP1`, `CP`).
    pub fn select(&self, selector: &str) -> Result<Vec<&Rule>, UnknownSelector> {
        let selector = selector.trim();
        if selector == "ALL" {
            return Ok(self.rules.iter().collect());
        }
        if let Some(rule) = self.get(selector) {
            return Ok(vec![rule]);
        }
        let by_prefix: Vec<&Rule> = self.with_code_prefix(selector).collect();
        if !selector.is_empty() && !by_prefix.is_empty() {
            return Ok(by_prefix);
        }
        Err(UnknownSelector {
            selector: selector.to_string(),
            suggestion: crate::suggest::closest(selector, self.identifiers()).map(str::to_string),
        })
    }
}

/// A selector that names no rule, with the closest code or name when one is close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSelector {
    pub selector: String,
    pub suggestion: Option<String>,
}

impl UnknownSelector {
    /// `did you mean `x`?`, or where to look.
    pub fn help(&self) -> String {
        match &self.suggestion {
            Some(close) => format!("did you mean `{close}`?"),
            None => "`p3plint rule --all` lists the rules".to_string(),
        }
    }
}

impl std::fmt::Display for UnknownSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown rule `{}`", self.selector)?;
        if let Some(close) = &self.suggestion {
            write!(f, "; did you mean `{close}`?")?;
        }
        Ok(())
    }
}

/// A rule's documentation as Markdown, for `p3plint rule`.
pub fn markdown(rule: &Rule) -> String {
    let mut out = format!(
        "# {} ({})

{}.

Default severity: {}{}.

## What it does
{}

## Why it matters
{}
",
        rule.name,
        rule.code,
        capitalize(&rule.summary),
        rule.severity.as_str(),
        if rule.enabled_by_default {
            ""
        } else {
            " (off by default; turn it on in lint.toml)"
        },
        rule.docs.what.trim(),
        rule.docs.why.trim(),
    );
    let examples = |title: &str, examples: &[Example]| {
        if examples.is_empty() {
            return String::new();
        }
        let mut section = format!("\n## {title}\n");
        for example in examples {
            for (file, text) in example.files() {
                if file != "example.html" {
                    section.push_str(&format!("`{file}`:\n"));
                }
                section.push_str(&format!("```\n{}\n```\n", text.trim_end()));
            }
        }
        section
    };
    out.push_str(&examples("Example", &rule.docs.fail));
    out.push_str(&examples("Use instead", &rule.docs.pass));
    if let Some(decisions) = &rule.docs.decisions {
        out.push_str(&format!("\n## Decisions\n{}\n", decisions.trim()));
    }
    out
}

/// A rule's metadata as JSON, for `p3plint rule --output-format json`.
pub fn json(rule: &Rule) -> serde_json::Value {
    let examples = |examples: &[Example]| -> Vec<serde_json::Value> {
        examples
            .iter()
            .map(|e| {
                serde_json::json!(
                    e.files()
                        .into_iter()
                        .collect::<std::collections::BTreeMap<_, _>>()
                )
            })
            .collect()
    };
    serde_json::json!({
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.as_str(),
        "enabled_by_default": rule.enabled_by_default,
        "summary": rule.summary,
        "what": rule.docs.what.trim(),
        "why": rule.docs.why.trim(),
        "fail": examples(&rule.docs.fail),
        "pass": examples(&rule.docs.pass),
        "decisions": rule.docs.decisions.as_deref().map(str::trim),
    })
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The embedded rules. Their validity is checked by the test suite, so a failure here can only
/// come from a broken build.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::parse(RULE_FILES)
            .unwrap_or_else(|err| panic!("embedded rules are valid (tests/it/rules.rs): {err}"))
    })
}

/// What a rule runs. Each variant is a function in this module's children; the parameters come
/// from the rule file's `[params]` table.
#[derive(Debug)]
pub enum Kind {
    /// Findings come from the header parser (`parse::header`).
    Header,
    /// Findings come from reading inputs (unreadable, not UTF-8, too large, unparsable).
    Input,
    /// Findings come from loading lint.toml.
    Config,
    UnknownToken,
    Suffix(SuffixParams),
    Duplicate,
    RequiredKinds(RequiredKindsParams),
    AtMostOne(AtMostOneParams),
    FreeText,
    /// A well-known copied policy (`copied.rs`, table in `rules/copied-policies.toml`).
    Copied,
    Contradiction(ContradictionParams),
    TokenPresent(TokenPresentParams),
    /// Internet Explorer 6's cookie evaluation (`ie6.rs`).
    Ie6,
    /// An emitted compact policy against the declared one (`declared.rs`).
    Declared,
    /// Findings from reading and validating the declaration.
    Declaration,
    /// Findings about suppression comments (`suppress.rs`).
    Suppression,
    /// A GDPR reading of the declared practices (`check/gdpr.rs`, table in `rules/gdpr.toml`).
    Gdpr(GdprParams),
}

/// The provision a GD rule maps a practice to, and what a reviewer should do.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GdprParams {
    /// `GDPR Art. 5(1)(e)`.
    pub provision: String,
    /// What the provision says, in a sentence.
    pub provision_says: String,
    /// What to review, as the finding's help.
    pub review: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SuffixParams {
    /// Bases whose suffixed form user agents accept anyway (`CURa`, `OURa`).
    pub tolerated: Vec<String>,
    pub tolerated_severity: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RequiredKindsParams {
    /// Kinds that must appear unless the exempting token is present.
    pub kinds: Vec<TokenKind>,
    /// The token that lifts the requirement on `kinds` (`NID`).
    pub exempt_token: String,
    /// Kinds that must appear even then.
    pub always: Vec<TokenKind>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AtMostOneParams {
    pub kind: TokenKind,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContradictionParams {
    pub pair: Vec<ContradictionPair>,
    /// Added to every finding of the rule.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContradictionPair {
    /// The token making the claim.
    pub token: String,
    /// What the token claims, completing "`NOI` ...".
    pub claim: String,
    /// Tokens (bases) that contradict the claim.
    pub conflicts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TokenPresentParams {
    /// Bases that trigger the rule.
    pub tokens: Vec<String>,
    /// The message; `{token}` is replaced with the token as written.
    pub message: String,
    pub help: Option<String>,
}

impl Kind {
    /// Every kind name a rule file may give, as `from_params` reads them.
    pub const NAMES: &'static [&'static str] = &[
        "header",
        "input",
        "config",
        "vocabulary",
        "suffix",
        "duplicate",
        "required-kinds",
        "at-most-one",
        "free-text",
        "copied",
        "contradiction",
        "token-present",
        "ie6",
        "declared",
        "declaration",
        "suppression",
        "gdpr",
    ];

    /// Builds a kind from a rule file's `kind` and `[params]`.
    pub fn from_params(kind: &str, params: toml::Table) -> Result<Kind, String> {
        fn parse<T: serde::de::DeserializeOwned>(params: toml::Table) -> Result<T, String> {
            toml::Value::Table(params)
                .try_into()
                .map_err(|err: toml::de::Error| format!("[params]: {}", err.message()))
        }
        let no_params = |params: &toml::Table, kind: Kind| {
            if params.is_empty() {
                Ok(kind)
            } else {
                Err("this kind takes no [params]".to_string())
            }
        };
        match kind {
            "header" => no_params(&params, Kind::Header),
            "input" => no_params(&params, Kind::Input),
            "config" => no_params(&params, Kind::Config),
            "vocabulary" => no_params(&params, Kind::UnknownToken),
            "suffix" => {
                let params: SuffixParams = parse(params)?;
                if Severity::parse(&params.tolerated_severity).is_none() {
                    return Err(format!("unknown severity `{}`", params.tolerated_severity));
                }
                Ok(Kind::Suffix(params))
            }
            "duplicate" => no_params(&params, Kind::Duplicate),
            "required-kinds" => parse(params).map(Kind::RequiredKinds),
            "at-most-one" => parse(params).map(Kind::AtMostOne),
            "free-text" => no_params(&params, Kind::FreeText),
            "copied" => no_params(&params, Kind::Copied),
            "contradiction" => parse(params).map(Kind::Contradiction),
            "token-present" => parse(params).map(Kind::TokenPresent),
            "ie6" => no_params(&params, Kind::Ie6),
            "declared" => no_params(&params, Kind::Declared),
            "declaration" => no_params(&params, Kind::Declaration),
            "suppression" => no_params(&params, Kind::Suppression),
            "gdpr" => parse(params).map(Kind::Gdpr),
            other => Err(format!("unknown check kind `{other}`")),
        }
    }
}
