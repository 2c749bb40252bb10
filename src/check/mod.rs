//! Stage 4, check: the check kinds that rules name, and the one place where a finding's severity
//! is resolved (rule default, then lint.toml, then the command line).
//!
//! Checks return plain `Diagnostic`s; they know nothing about output formats.

pub mod compact;
pub mod declared;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Rule, registry};
use crate::vocabulary::TokenKind;
use serde::Deserialize;
use std::collections::HashMap;

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
            "contradiction" => parse(params).map(Kind::Contradiction),
            "token-present" => parse(params).map(Kind::TokenPresent),
            "ie6" => no_params(&params, Kind::Ie6),
            "declared" => no_params(&params, Kind::Declared),
            "declaration" => no_params(&params, Kind::Declaration),
            "suppression" => no_params(&params, Kind::Suppression),
            other => Err(format!("unknown check kind `{other}`")),
        }
    }
}

/// Which rules run and at what severity: rule defaults overridden by lint.toml and the CLI.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    /// Explicit choices by rule code: `None` turns the rule off.
    overrides: HashMap<String, Option<Severity>>,
    /// When set, only these rule codes run (`--select`).
    selected: Option<Vec<String>>,
    /// The browser context `ie6-cookies-restricted` evaluates (lint.toml `[ie6] context`).
    pub ie6_context: crate::ie6::Context,
}

impl Default for RuleSettings {
    /// Every rule at its default, IE evaluated in a first-party context.
    fn default() -> RuleSettings {
        RuleSettings {
            overrides: HashMap::new(),
            selected: None,
            ie6_context: crate::ie6::Context::FirstParty,
        }
    }
}

impl RuleSettings {
    /// Sets a rule's severity, or turns it off with `None`.
    pub fn set(&mut self, rule: &Rule, severity: Option<Severity>) {
        self.overrides.insert(rule.code.clone(), severity);
    }

    /// Runs only these rules (and turns them on even if they are off by default).
    pub fn select(&mut self, rules: &[&Rule]) {
        let codes = rules.iter().map(|rule| rule.code.clone());
        self.selected.get_or_insert_with(Vec::new).extend(codes);
    }

    /// Applies `--select` and `--ignore` (selectors as `Registry::select` reads them).
    pub fn apply_selectors(
        &mut self,
        select: &[String],
        ignore: &[String],
    ) -> Result<(), crate::rules::UnknownSelector> {
        let resolve = |selectors: &[String]| -> Result<Vec<&'static Rule>, _> {
            let mut rules = Vec::new();
            for selector in selectors.iter().filter(|s| !s.trim().is_empty()) {
                rules.extend(registry().select(selector)?);
            }
            Ok(rules)
        };
        if !select.is_empty() {
            self.select(&resolve(select)?);
        }
        for rule in resolve(ignore)? {
            self.set(rule, None);
        }
        Ok(())
    }

    /// Turns a rule on at its default severity, in addition to whatever else runs.
    pub fn enable(&mut self, rule: &Rule) {
        self.overrides
            .insert(rule.code.clone(), Some(rule.severity));
        if let Some(selected) = &mut self.selected {
            selected.push(rule.code.clone());
        }
    }

    pub fn is_enabled(&self, rule: &Rule) -> bool {
        if let Some(selected) = &self.selected {
            return selected.contains(&rule.code) && self.overrides.get(&rule.code) != Some(&None);
        }
        match self.overrides.get(&rule.code) {
            Some(severity) => severity.is_some(),
            None => rule.enabled_by_default,
        }
    }

    /// Drops findings of disabled rules and applies explicit severities. A rule's own severity
    /// nuance (a tolerated form reported as a warning) stands unless the user chose one.
    pub fn resolve(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter(|diagnostic| self.is_enabled(diagnostic.rule))
            .map(|mut diagnostic| {
                if let Some(Some(severity)) = self.overrides.get(&diagnostic.rule.code) {
                    diagnostic.severity = *severity;
                }
                diagnostic
            })
            .collect()
    }

    /// The enabled rules.
    pub fn enabled_rules(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        registry()
            .rules()
            .iter()
            .filter(|rule| self.is_enabled(rule))
    }
}
