//! Check kinds that need a declaration: each emitted compact policy against the one its policy
//! derives (labels in both files), and the declaration's own consistency.

use crate::config::Config;
use crate::declaration::Policy;
use crate::declaration::derive::Derived;
use crate::declaration::locate::Loaded;
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::parse::{CompactPolicy, Token};
use crate::rules::RuleId;
use crate::source::FileId;
use crate::vocabulary::TokenKind;
use std::path::{Path, PathBuf};

/// Kinds whose tokens `undisclosed-practice` and `undeclared-token` compare.
const PRACTICE_KINDS: [TokenKind; 5] = [
    TokenKind::Purpose,
    TokenKind::Recipient,
    TokenKind::Category,
    TokenKind::NonIdentifiable,
    TokenKind::Test,
];

/// The marker that picks a policy for an emission, in a comment on its line or the line above.
pub const MARKER: &str = "p3plint: policy=";

/// The declaration in force for a run, shared read-only by every file's check.
pub struct DeclaredPolicies<'a> {
    loaded: &'a Loaded,
    root: PathBuf,
    map: Vec<(globset::GlobMatcher, String)>,
}

impl<'a> DeclaredPolicies<'a> {
    pub fn new(loaded: &'a Loaded, config: &Config) -> DeclaredPolicies<'a> {
        let map = config
            .policy_map
            .iter()
            .filter_map(|(glob, name)| {
                let matcher = globset::Glob::new(glob).ok()?.compile_matcher();
                Some((matcher, name.clone()))
            })
            .collect();
        DeclaredPolicies {
            loaded,
            root: config.absolute_root(),
            map,
        }
    }

    /// Adds the findings of comparing `emitted` (in `source`, the text of `path`) with the policy
    /// it belongs to, and settles `conflicting-retention` among `found`. Returns that policy.
    pub fn compare(
        &self,
        file: FileId,
        emitted: &CompactPolicy,
        source: &str,
        path: &Path,
        found: &mut Vec<Diagnostic>,
    ) -> Option<&Policy> {
        if emitted.is_free_text() || emitted.has_placeholders() {
            return None;
        }
        let (index, note) = self.choose(emitted, source, path)?;
        let policy = &self.loaded.declaration.policies[index];
        let derived = &self.loaded.derived[index];
        if policy.states(TokenKind::Retention) {
            settle_conflicting_retention(found, derived, policy, source);
        }
        found.extend(compare(file, emitted, policy, derived, note.as_deref()));
        found.extend(published_policy_mismatch(file, emitted, policy));
        Some(policy)
    }

    /// The compact policy the declaration implies for `emitted` (in `source`, the text of
    /// `path`), chosen as `compare` chooses it; `None` when that policy has no purposes or
    /// recipients to summarise.
    pub fn derived_for(
        &self,
        emitted: &CompactPolicy,
        source: &str,
        path: &Path,
    ) -> Option<String> {
        let (index, _) = self.choose(emitted, source, path)?;
        let policy = &self.loaded.declaration.policies[index];
        let derived = &self.loaded.derived[index];
        match crate::declaration::derive::why_no_compact_policy(policy, derived) {
            Some(_) => None,
            None => Some(derived.text()),
        }
    }

    /// Whether `path` is a file of the declaration (a policy document walked as a source).
    pub fn is_declaration_file(&self, path: &Path) -> bool {
        self.loaded.contains(path)
    }

    /// Which policy an emission is compared with: a marker comment, then lint.toml's map, then
    /// the closest derived policy (with a note saying so).
    fn choose(
        &self,
        emitted: &CompactPolicy,
        source: &str,
        path: &Path,
    ) -> Option<(usize, Option<String>)> {
        let policies = &self.loaded.declaration.policies;
        if policies.len() <= 1 {
            return (!policies.is_empty()).then_some((0, None));
        }
        let by_name = |name: &str| {
            policies
                .iter()
                .position(|p| p.name.as_deref() == Some(name))
        };
        if let Some(name) = marker(source, emitted.span.start)
            && let Some(index) = by_name(&name)
        {
            return Some((index, None));
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let relative = absolute.strip_prefix(&self.root).unwrap_or(path);
        if let Some((_, name)) = self.map.iter().find(|(glob, _)| glob.is_match(relative))
            && let Some(index) = by_name(name)
        {
            return Some((index, None));
        }
        let (index, _) = self
            .loaded
            .derived
            .iter()
            .enumerate()
            .min_by_key(|(_, derived)| distance(emitted, derived))?;
        let name = policies[index].label();
        Some((
            index,
            Some(format!(
                "compared with {name}, the closest of {} declared policies; say which with a \
                 `{MARKER}NAME` comment or `[policy] map` in lint.toml",
                policies.len()
            )),
        ))
    }
}

/// The policy named by a marker on the line of `offset` or the line above.
fn marker(source: &str, offset: usize) -> Option<String> {
    let line_start = source[..offset.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let previous_start = source[..line_start.saturating_sub(1)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = source[offset.min(source.len())..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let window = &source[previous_start..line_end];
    let at = window.find(MARKER)? + MARKER.len();
    let name: String = window[at..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Compares one emitted policy with the declared one. `note` says how the policy was chosen.
pub fn compare(
    file: FileId,
    emitted: &CompactPolicy,
    policy: &Policy,
    derived: &Derived,
    note: Option<&str>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for comparison in &SET_COMPARISONS {
        out.extend(compare_set(file, emitted, policy, derived, comparison));
    }
    // Consents.
    for token in &emitted.tokens {
        let (Some(base), Some(consent)) = (token.base(), token.consent()) else {
            continue;
        };
        let Some(declared) = derived.get(base) else {
            continue;
        };
        let Some(declared_consent) = declared.consent else {
            continue;
        };
        if !declared.entry.suffix || consent == declared_consent || is_duplicate(emitted, token) {
            continue;
        }
        // Consent order: always < opt-out < opt-in (more protective is greater).
        let understates = consent > declared_consent;
        let message = if understates {
            format!(
                "`{}` promises {}, but {} declares `{}` {} (the compact policy looks more \
                 protective than the policy)",
                token.text,
                consent.as_str(),
                policy.label(),
                base,
                declared_consent.as_str(),
            )
        } else {
            format!(
                "`{}` says {}, but {} declares `{}` {} (the compact policy discloses more than needed)",
                token.text,
                consent.as_str(),
                policy.label(),
                base,
                declared_consent.as_str()
            )
        };
        let mut diagnostic =
            Diagnostic::new(RuleId::ConsentMismatch, file, token.span.clone(), message)
                .with_label(format!("{} here", consent.as_str()))
                .with_edit(
                    format!("write `{}`", declared.text()),
                    Applicability::Unsafe,
                    token.span.clone(),
                    declared.text(),
                );
        if !understates {
            diagnostic = diagnostic.with_severity(Severity::Warning);
        }
        for source in &declared.sources {
            let label = match source.consent {
                Some(consent) => format!("{} here", consent.as_str()),
                None => "declared here".into(),
            };
            diagnostic = diagnostic.with_related(source.file, source.span.clone(), label);
        }
        out.push(diagnostic);
    }
    out.extend(access(file, emitted, policy, derived));
    if let Some(note) = note {
        for diagnostic in &mut out {
            diagnostic.notes.push(note.to_string());
        }
    }
    out
}

/// Which token kinds are compared as sets, and the rules that report each direction.
struct SetComparison {
    kinds: &'static [TokenKind],
    /// Declared, missing from the emitted policy.
    missing_rule: RuleId,
    /// Emitted, declared nowhere.
    extra_rule: RuleId,
    /// Why an extra token is extra; `{policy}` names the policy.
    extra_reason: &'static str,
}

const SET_COMPARISONS: [SetComparison; 3] = [
    SetComparison {
        kinds: &PRACTICE_KINDS,
        missing_rule: RuleId::UndisclosedPractice,
        extra_rule: RuleId::UndeclaredToken,
        extra_reason: "no statement of {policy} declares it",
    },
    SetComparison {
        kinds: &[TokenKind::Retention],
        missing_rule: RuleId::RetentionMismatch,
        extra_rule: RuleId::RetentionMismatch,
        extra_reason: "no statement of {policy} keeps data that way",
    },
    SetComparison {
        kinds: &[TokenKind::Disputes, TokenKind::Remedies],
        missing_rule: RuleId::DisputesMismatch,
        extra_rule: RuleId::DisputesMismatch,
        extra_reason: "{policy} has no DISPUTES-GROUP that backs it",
    },
];

/// Declared tokens the emitted policy lacks (primary label on the policy, related labels on the
/// declaring elements), and emitted tokens nothing declares (primary label on the token).
fn compare_set(
    file: FileId,
    emitted: &CompactPolicy,
    policy: &Policy,
    derived: &Derived,
    comparison: &SetComparison,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let insert_at = emitted.span.end;
    let compared = |kind: TokenKind| comparison.kinds.contains(&kind) && policy.states(kind);
    // A document whose data has unknown categories cannot rule a category token out.
    let categories_unknown = policy
        .document
        .as_ref()
        .is_some_and(|document| document.has_unknown_categories());
    for token in derived.tokens.iter().filter(|t| compared(t.entry.kind)) {
        let name = token.entry.name.as_str();
        if emitted.with_base(name).next().is_some() {
            continue;
        }
        let diagnostic = Diagnostic::new(
            comparison.missing_rule,
            file,
            emitted.span.clone(),
            format!(
                "`{}` is declared by {}, but the compact policy does not disclose it",
                token.text(),
                policy.label()
            ),
        )
        .with_label(format!("no `{name}`"))
        .with_note(token.entry.meaning.clone())
        .with_edit(
            format!("add `{}`", token.text()),
            Applicability::Unsafe,
            insert_at..insert_at,
            format!(" {}", token.text()),
        );
        out.push(token.sources.iter().fold(diagnostic, |d, source| {
            let label = match &source.statement {
                Some(statement) => format!("declared in {statement}"),
                None => "declared here".to_string(),
            };
            d.with_related(source.file, source.span.clone(), label)
        }));
    }
    for token in emitted.tokens.iter().filter(|t| {
        t.kind()
            .is_some_and(|k| compared(k) && !(k == TokenKind::Category && categories_unknown))
    }) {
        let base = token.base().unwrap_or_default();
        if derived.get(base).is_some() || is_duplicate(emitted, token) {
            continue;
        }
        out.push(
            Diagnostic::new(
                comparison.extra_rule,
                file,
                token.span.clone(),
                format!(
                    "`{}` is not declared: {}",
                    token.text,
                    comparison.extra_reason.replace("{policy}", &policy.label())
                ),
            )
            .with_label("not declared")
            .with_related(policy.file, policy.span.clone(), "the declaration")
            .with_note(token.entry().map(|e| e.meaning.clone()).unwrap_or_default()),
        );
    }
    out
}

/// `published-policy-mismatch`: an emitted compact policy against the one the declaring
/// document publishes, token for token as written.
fn published_policy_mismatch(
    file: FileId,
    emitted: &CompactPolicy,
    policy: &Policy,
) -> Option<Diagnostic> {
    let published = policy.document.as_ref()?.published.as_ref()?;
    let sent: Vec<&str> = emitted.tokens.iter().map(|t| t.text.as_str()).collect();
    let shown: Vec<&str> = published
        .policy
        .tokens
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    let extra: Vec<&str> = sent
        .iter()
        .filter(|t| !shown.contains(t))
        .copied()
        .collect();
    let missing: Vec<&str> = shown
        .iter()
        .filter(|t| !sent.contains(t))
        .copied()
        .collect();
    if extra.is_empty() && missing.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    if !extra.is_empty() {
        parts.push(format!(
            "sends {} the page does not publish",
            extra.join(" ")
        ));
    }
    if !missing.is_empty() {
        parts.push(format!("leaves out {}", missing.join(" ")));
    }
    Some(
        Diagnostic::new(
            RuleId::PublishedPolicyMismatch,
            file,
            emitted.span.clone(),
            format!(
                "this compact policy differs from the one the policy document publishes: it {}",
                parts.join(" and ")
            ),
        )
        .with_label("differs from the published one")
        .with_related(policy.file, published.span.clone(), "published here")
        .with_help("send what the page publishes, or publish what the code sends"),
    )
}

/// True for the second and later copies of a token; `duplicate-token` reports those.
fn is_duplicate(emitted: &CompactPolicy, token: &Token) -> bool {
    emitted
        .tokens
        .iter()
        .take_while(|t| !std::ptr::eq(*t, token))
        .any(|t| t.base() == token.base())
}

fn access(
    file: FileId,
    emitted: &CompactPolicy,
    policy: &Policy,
    derived: &Derived,
) -> Vec<Diagnostic> {
    let Some(declared) = derived.of_kind(TokenKind::Access).next() else {
        return Vec::new();
    };
    let tokens: Vec<&Token> = emitted
        .tokens
        .iter()
        .filter(|t| t.kind() == Some(TokenKind::Access))
        .collect();
    let sources = |d: Diagnostic| {
        declared.sources.iter().fold(d, |d, s| {
            d.with_related(
                s.file,
                s.span.clone(),
                format!("{} declares `{}`", policy.label(), declared.entry.name),
            )
        })
    };
    if tokens.is_empty() {
        let diagnostic = Diagnostic::new(
            RuleId::AccessMismatch,
            file,
            emitted.span.clone(),
            format!(
                "the compact policy has no access token; {} declares `{}`",
                policy.label(),
                declared.entry.name
            ),
        )
        .with_label(format!("no `{}`", declared.entry.name));
        return vec![sources(diagnostic)];
    }
    tokens
        .into_iter()
        .filter(|t| t.base() != Some(declared.entry.name.as_str()))
        .map(|token| {
            let diagnostic = Diagnostic::new(
                RuleId::AccessMismatch,
                file,
                token.span.clone(),
                format!(
                    "`{}` does not match the declared access `{}`",
                    token.text, declared.entry.name
                ),
            )
            .with_label(token.entry().map(|e| e.meaning.clone()).unwrap_or_default())
            .with_note(format!("declared: {}", declared.entry.meaning))
            .with_edit(
                format!("write `{}`", declared.entry.name),
                Applicability::Unsafe,
                token.span.clone(),
                declared.entry.name.clone(),
            );
            sources(diagnostic)
        })
        .collect()
}

/// With a declaration, `conflicting-retention` is exact: the retentions are fine when the
/// declaration declares each of them (in different statements), and an error when it does not.
pub fn settle_conflicting_retention(
    diagnostics: &mut Vec<Diagnostic>,
    derived: &Derived,
    policy: &Policy,
    source: &str,
) {
    diagnostics.retain_mut(|diagnostic| {
        if diagnostic.rule.id != RuleId::ConflictingRetention {
            return true;
        }
        let mut tokens = vec![&source[diagnostic.primary.span.clone()]];
        tokens.extend(
            diagnostic
                .related
                .iter()
                .map(|label| &source[label.span.clone()]),
        );
        let undeclared: Vec<&str> = tokens
            .into_iter()
            .filter(|t| derived.get(t).is_none())
            .collect();
        if undeclared.is_empty() {
            return false;
        }
        diagnostic.severity = Severity::Error;
        diagnostic.notes = vec![format!(
            "{} declares no statement with {}",
            policy.label(),
            undeclared
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )];
        true
    });
}

/// The declaration's own consistency, checked once per run.
/// How far an emitted policy is from a derived one: tokens in one and not the other, by base.
pub fn distance(emitted: &CompactPolicy, derived: &Derived) -> usize {
    let emitted_bases: Vec<&str> = emitted.tokens.iter().filter_map(|t| t.base()).collect();
    let missing = derived
        .tokens
        .iter()
        .filter(|t| !emitted_bases.contains(&t.entry.name.as_str()))
        .count();
    let extra = emitted_bases
        .iter()
        .filter(|b| derived.get(b).is_none())
        .count();
    missing + extra
}

#[cfg(test)]
mod tests {
    use crate::vocabulary::Consent;

    #[test]
    fn consent_order_is_protection_order() {
        // `compare` relies on this order to tell understating from over-disclosing.
        assert!(Consent::Always < Consent::OptOut && Consent::OptOut < Consent::OptIn);
    }
}
