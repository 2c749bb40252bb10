//! Check kinds that look at one compact policy on its own: vocabulary, suffixes, duplicates,
//! required kinds, free text, contradictions between tokens.

use crate::config::RuleSettings;
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::parse::{CompactPolicy, Token, TokenClass};
use crate::rules::{
    AtMostOneParams, ContradictionParams, Kind, RequiredKindsParams, Rule, SuffixParams,
    TokenPresentParams,
};
use crate::source::FileId;
use crate::suggest;
use crate::vocabulary::{Status, TokenKind, vocabulary};

/// Runs every enabled rule over one compact policy. Free text gets one finding and nothing else.
pub fn check(file: FileId, policy: &CompactPolicy, settings: &RuleSettings) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let free_text = policy.is_free_text();
    for rule in settings.enabled_rules() {
        let found = match (&rule.kind, free_text) {
            (Kind::FreeText, true) => free_text_finding(rule, file, policy),
            (Kind::Copied, _) => super::copied::check(rule, file, policy),
            (_, true) => continue,
            (Kind::UnknownToken, _) => unknown_tokens(rule, file, policy),
            (Kind::Suffix(params), _) => suffixes(rule, params, file, policy),
            (Kind::Duplicate, _) => duplicates(rule, file, policy),
            (Kind::RequiredKinds(params), _) => required_kinds(rule, params, file, policy),
            (Kind::AtMostOne(params), _) => at_most_one(rule, params, file, policy),
            (Kind::Contradiction(params), _) => contradictions(rule, params, file, policy),
            (Kind::TokenPresent(params), _) => tokens_present(rule, params, file, policy),
            (Kind::Ie6, _) => ie6_restricted(rule, file, policy, settings.ie6_context),
            _ => continue,
        };
        diagnostics.extend(found);
    }
    diagnostics
}

fn new(rule: &Rule, file: FileId, token: &Token, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(rule.id, file, token.span.clone(), message)
}

fn unknown_tokens(rule: &Rule, file: FileId, policy: &CompactPolicy) -> Vec<Diagnostic> {
    policy
        .tokens
        .iter()
        .filter(|token| token.class == TokenClass::Unknown)
        .map(|token| {
            let diagnostic = new(
                rule,
                file,
                token,
                format!("`{}` is not a P3P compact token", token.text),
            )
            .with_label("unknown token");
            match suggest::token(&token.text) {
                Some(suggestion) => diagnostic
                    .with_help(format!("did you mean `{suggestion}`?"))
                    .with_edit(
                        format!("replace with `{suggestion}`"),
                        Applicability::Unsafe,
                        token.span.clone(),
                        suggestion,
                    ),
                None => diagnostic,
            }
        })
        .collect()
}

fn suffixes(
    rule: &Rule,
    params: &SuffixParams,
    file: FileId,
    policy: &CompactPolicy,
) -> Vec<Diagnostic> {
    let tolerated_severity =
        Severity::parse(&params.tolerated_severity).unwrap_or(Severity::Warning);
    policy
        .tokens
        .iter()
        .filter_map(|token| match &token.class {
            TokenClass::SuffixNotAllowed { entry, suffix } => Some((token, entry, suffix)),
            _ => None,
        })
        .map(|(token, entry, suffix)| {
            let tolerated = params.tolerated.contains(&entry.name);
            let message = if tolerated {
                format!("`{}`: `{}` takes no consent suffix", token.text, entry.name)
            } else {
                format!(
                    "`{}`: {} tokens take no consent suffix",
                    token.text,
                    entry.kind.as_str()
                )
            };
            let diagnostic = new(rule, file, token, message)
                .with_label(format!("suffix `{suffix}` not allowed here"));
            if tolerated {
                diagnostic
                    .with_severity(tolerated_severity)
                    .with_note(
                        "Internet Explorer accepts this form and policy generators emit it, \
                         but it is outside the P3P 1.0 grammar",
                    )
                    .with_edit(
                        format!("remove the suffix: `{}`", entry.name),
                        Applicability::Safe,
                        token.span.clone(),
                        entry.name.clone(),
                    )
            } else {
                diagnostic
                    .with_note(format!(
                        "user agents do not recognise `{}`, so they ignore it",
                        token.text
                    ))
                    .with_edit(
                        format!("remove the suffix: `{}`", entry.name),
                        Applicability::Unsafe,
                        token.span.clone(),
                        entry.name.clone(),
                    )
            }
        })
        .collect()
}

fn duplicates(rule: &Rule, file: FileId, policy: &CompactPolicy) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (index, token) in policy.tokens.iter().enumerate() {
        let earlier = &policy.tokens[..index];
        // Tokens of one vocabulary entry and suffix are spelled alike; comparing entries first
        // keeps this pairwise loop from comparing text for most pairs.
        let same_entry = |other: &Token| match (other.entry(), token.entry()) {
            (Some(a), Some(b)) => std::ptr::eq(a, b) && other.suffix() == token.suffix(),
            (None, None) => true,
            _ => false,
        };
        if let Some(first) = earlier
            .iter()
            .find(|other| same_entry(other) && other.text == token.text)
        {
            if token.class == TokenClass::Placeholder {
                continue;
            }
            let removal = earlier.last().map_or(token.span.clone(), |previous| {
                previous.span.end..token.span.end
            });
            diagnostics.push(
                new(rule, file, token, format!("`{}` appears twice", token.text))
                    .with_label("duplicate")
                    .with_related(file, first.span.clone(), "first here")
                    .with_edit(
                        "remove the duplicate",
                        Applicability::Safe,
                        removal,
                        String::new(),
                    ),
            );
            continue;
        }
        let Some(entry) = token.entry() else { continue };
        if !entry.suffix {
            continue;
        }
        if let Some(first) = earlier.iter().find(|other| {
            other.entry().is_some_and(|e| std::ptr::eq(e, entry)) && other.text != token.text
        }) {
            diagnostics.push(
                new(
                    rule,
                    file,
                    token,
                    format!(
                        "`{}` is given two consents, `{}` and `{}`",
                        entry.name, first.text, token.text
                    ),
                )
                .with_label("second consent")
                .with_related(file, first.span.clone(), "first consent")
                .with_note(
                    "user agents act on the least protective one (always, then opt-out, \
                     then opt-in), so the other is dead",
                ),
            );
        }
    }
    diagnostics
}

fn required_kinds(
    rule: &Rule,
    params: &RequiredKindsParams,
    file: FileId,
    policy: &CompactPolicy,
) -> Vec<Diagnostic> {
    if policy.has_placeholders() {
        // Part of the value is filled at run time; what is missing may come from there.
        return Vec::new();
    }
    let exempt = policy.with_base(&params.exempt_token).next().is_some();
    let required = params
        .always
        .iter()
        .chain(params.kinds.iter().filter(|_| !exempt));
    let missing: Vec<TokenKind> = required
        .filter(|kind| {
            !policy
                .tokens
                .iter()
                .any(|token| token.kind() == Some(**kind))
        })
        .copied()
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    // One finding for the policy, naming every kind it lacks.
    let names: Vec<&str> = missing.iter().map(|kind| kind.as_str()).collect();
    let listed = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    };
    let mut diagnostic = Diagnostic::new(
        rule.id,
        file,
        policy.span.clone(),
        format!("the compact policy has no {listed} token"),
    )
    .with_label(format!("no {listed} token"));
    for kind in &missing {
        let choices: Vec<&str> = vocabulary()
            .entries()
            .iter()
            .filter(|entry| entry.kind == *kind && entry.status == Status::Standard)
            .map(|entry| entry.name.as_str())
            .collect();
        diagnostic =
            diagnostic.with_note(format!("{} tokens: {}", kind.as_str(), choices.join(" ")));
    }
    if !exempt && missing.iter().any(|kind| *kind != TokenKind::Access) {
        diagnostic = diagnostic.with_note(format!(
            "only a policy with `{}` may leave out purposes, recipients, retention and categories",
            params.exempt_token
        ));
    }
    vec![diagnostic]
}

fn at_most_one(
    rule: &Rule,
    params: &AtMostOneParams,
    file: FileId,
    policy: &CompactPolicy,
) -> Vec<Diagnostic> {
    let mut seen: Vec<&Token> = Vec::new();
    for token in &policy.tokens {
        if token.kind() == Some(params.kind) && !seen.iter().any(|t| t.base() == token.base()) {
            seen.push(token);
        }
    }
    let Some((first, extra)) = seen.split_first() else {
        return Vec::new();
    };
    extra
        .iter()
        .map(|token| {
            new(
                rule,
                file,
                token,
                format!(
                    "more than one {} token: `{}` and `{}`",
                    params.kind.as_str(),
                    first.text,
                    token.text
                ),
            )
            .with_label(format!("second {} token", params.kind.as_str()))
            .with_related(file, first.span.clone(), "first here")
            .with_note(format!(
                "a policy has exactly one {} value; `{}` means: {}",
                params.kind.as_str(),
                token.text,
                token.entry().map_or("", |entry| entry.meaning.as_str())
            ))
        })
        .collect()
}

fn free_text_finding(rule: &Rule, file: FileId, policy: &CompactPolicy) -> Vec<Diagnostic> {
    let message = if policy.tokens.is_empty() {
        "the `CP` value is empty".to_string()
    } else {
        format!(
            "this `CP` value is not a compact policy: none of its {} words is a P3P token",
            policy.tokens.len()
        )
    };
    let mut diagnostic = Diagnostic::new(rule.id, file, policy.span.clone(), message)
        .with_label("not a compact policy")
        .with_note(
            "Internet Explorer ignores words it does not know, so it treats this as a policy \
             that declares nothing and accepts the cookies; stricter user agents reject it",
        );
    let suggestions: Option<Vec<String>> = policy
        .tokens
        .iter()
        .map(|token| suggest::token(&token.text))
        .collect();
    diagnostic = match suggestions {
        Some(suggestions) if !suggestions.is_empty() => diagnostic.with_help(format!(
            "did you mean `{}`? (tokens are case-sensitive)",
            suggestions.join(" ")
        )),
        _ => diagnostic.with_help(
            "send a real compact policy (`p3plint derive` builds one from a declaration)",
        ),
    };
    vec![diagnostic]
}

fn contradictions(
    rule: &Rule,
    params: &ContradictionParams,
    file: FileId,
    policy: &CompactPolicy,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for pair in &params.pair {
        let Some(claim) = policy.with_base(&pair.token).next() else {
            continue;
        };
        let conflicting: Vec<&Token> = policy
            .tokens
            .iter()
            .filter(|token| {
                token
                    .base()
                    .is_some_and(|base| pair.conflicts.iter().any(|c| c == base))
            })
            .collect();
        if conflicting.is_empty() {
            continue;
        }
        let mut names: Vec<&str> = Vec::new();
        for token in &conflicting {
            if !names.contains(&token.text.as_str()) {
                names.push(&token.text);
            }
        }
        let mut diagnostic = new(
            rule,
            file,
            claim,
            format!(
                "`{}` {}, but the policy also has {}",
                claim.text,
                pair.claim,
                names.join(", ")
            ),
        )
        .with_label(pair.claim.clone());
        for token in conflicting {
            let meaning = token.entry().map_or("", |entry| entry.meaning.as_str());
            diagnostic = diagnostic.with_related(file, token.span.clone(), meaning);
        }
        if let Some(note) = &params.note {
            diagnostic = diagnostic.with_note(note.clone());
        }
        diagnostics.push(diagnostic);
    }
    diagnostics
}

fn tokens_present(
    rule: &Rule,
    params: &TokenPresentParams,
    file: FileId,
    policy: &CompactPolicy,
) -> Vec<Diagnostic> {
    policy
        .tokens
        .iter()
        .filter(|token| {
            token
                .base()
                .is_some_and(|base| params.tokens.iter().any(|t| t == base))
        })
        .map(|token| {
            let diagnostic = new(
                rule,
                file,
                token,
                params.message.replace("{token}", &token.text),
            )
            .with_label(rule.summary.clone());
            match &params.help {
                Some(help) => diagnostic.with_help(help.clone()),
                None => diagnostic,
            }
        })
        .collect()
}

/// The level IE6 shipped with; the rule fires on what happens there.
const IE6_DEFAULT_LEVEL: &str = "medium";

fn ie6_restricted(
    rule: &Rule,
    file: FileId,
    policy: &CompactPolicy,
    context: crate::ie6::Party,
) -> Vec<Diagnostic> {
    use crate::ie6::{Action, Cookie, evaluate, table_lines};
    let evaluation = evaluate(Some(policy));
    let Some(cell) = evaluation.cell(Cookie::Persistent, context, IE6_DEFAULT_LEVEL) else {
        return Vec::new();
    };
    if cell.action == Action::Accept {
        return Vec::new();
    }
    let verb = match cell.action {
        Action::Downgrade => "downgrade to session cookies",
        Action::Leash => "leash",
        _ => "block",
    };
    let mut diagnostic = Diagnostic::new(
        rule.id,
        file,
        policy.span.clone(),
        format!(
            "Internet Explorer 6 would {verb} the {} cookies this policy covers at its default \
             Medium level",
            context.as_str()
        ),
    )
    .with_label(cell.reason.clone());
    for token in &evaluation.pii {
        let meaning = token.entry().map_or("", |entry| entry.meaning.as_str());
        diagnostic = diagnostic.with_related(file, token.span.clone(), format!("PII: {meaning}"));
    }
    for token in &evaluation.offending {
        let label = if token.suffix() == Some('o') {
            "unsatisfactory use, opt-out only"
        } else {
            "unsatisfactory use, no consent"
        };
        diagnostic = diagnostic.with_related(file, token.span.clone(), label);
    }
    let table: Vec<String> = table_lines(&evaluation)
        .into_iter()
        .filter(|line| line.starts_with(context.as_str()))
        .collect();
    vec![
        diagnostic
            .with_note(format!("IE6 at each level:\n{}", table.join("\n")))
            .with_help(
                "offer opt-out (`o`) for the unsatisfactory uses to pass at Medium; opt-in (`i`) \
                 passes at every level (`p3plint ie6` shows the whole table)",
            ),
    ]
}
