//! Meta-tests over the rule registry: every rule loads, has a unique code and name, is
//! documented, and its documented examples behave as documented.

use p3plint::config::Config;
use p3plint::extract::FileKind;
use p3plint::rules::{Example, Registry, Rule, registry};
use p3plint::{config::RuleSettings, rules::Kind};
use std::collections::HashSet;
use std::path::Path;

/// Runs an example with the default rules plus `rule` (which may be off by default). One file
/// is checked in memory; a project is written to a temporary directory and checked there.
fn run_example(rule: &Rule, example: &Example) -> Vec<String> {
    let files = example.files();
    let report = match files.as_slice() {
        [(file, text)] if !file.contains('/') && !file.ends_with(".toml") => {
            let kind = FileKind::for_path(Path::new(file)).unwrap_or(FileKind::Text);
            let mut settings = RuleSettings::default();
            settings.set(rule, Some(rule.severity));
            p3plint::lint_source(file, text, kind, &settings)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            for (name, text) in &files {
                let path = dir.path().join(name);
                std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
                std::fs::write(path, text).expect("write");
            }
            let lint_toml = dir.path().join("lint.toml");
            let mut config = if lint_toml.exists() {
                Config::load(&lint_toml, dir.path()).expect("example lint.toml is valid")
            } else {
                Config::defaults(dir.path().to_path_buf())
            };
            config.rules.set(rule, Some(rule.severity));
            match p3plint::lint(&[dir.path().to_path_buf()], &config) {
                Ok(report) => report,
                Err(p3plint::RunError::PolicyUnusable(report)) => report,
                Err(err) => panic!("{err:?}"),
            }
        }
    };
    report
        .diagnostics
        .iter()
        .map(|d| d.rule.name.clone())
        .collect()
}

fn describe(example: &Example) -> String {
    example
        .files()
        .iter()
        .map(|(name, text)| format!("{name}: {text}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rules whose findings come from reading files or config, not from a compact policy: their
/// examples cannot be a line of text, so fixtures and CLI tests cover them instead.
fn has_text_examples(rule: &Rule) -> bool {
    !matches!(rule.kind, Kind::Input | Kind::Config)
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let rules = registry().rules();
    assert!(rules.len() >= 12);
    let mut seen = HashSet::new();
    for rule in rules {
        assert!(seen.insert(rule.code.clone()), "code {} reused", rule.code);
        assert!(seen.insert(rule.name.clone()), "name {} reused", rule.name);
        assert!(
            rule.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{} is not kebab-case",
            rule.name
        );
    }
}

#[test]
fn every_rule_is_documented() {
    for rule in registry().rules() {
        assert!(!rule.summary.trim().is_empty(), "{}: no summary", rule.code);
        assert!(
            !rule.docs.what.trim().is_empty(),
            "{}: no `what`",
            rule.code
        );
        assert!(!rule.docs.why.trim().is_empty(), "{}: no `why`", rule.code);
        if has_text_examples(rule) {
            assert!(
                !rule.docs.fail.is_empty(),
                "{}: no failing example",
                rule.code
            );
            assert!(
                !rule.docs.pass.is_empty(),
                "{}: no passing example",
                rule.code
            );
        }
        let markdown = p3plint::rules::markdown(rule);
        assert!(markdown.starts_with(&format!("# {} ({})", rule.name, rule.code)));
    }
}

#[test]
fn failing_examples_are_reported_missing_is_an_error() {
    for rule in registry().rules().iter().filter(|r| has_text_examples(r)) {
        for example in &rule.docs.fail {
            let found = run_example(rule, example);
            let text = describe(example);
            assert!(
                found.contains(&rule.name),
                "{} ({}): failing example not reported (missing): {text}\nfound: {found:?}",
                rule.code,
                rule.name
            );
        }
    }
}

#[test]
fn passing_examples_are_clean_noisy_is_an_error() {
    for rule in registry().rules() {
        for example in &rule.docs.pass {
            let found = run_example(rule, example);
            let text = describe(example);
            assert!(
                found.is_empty(),
                "{} ({}): passing example reported (noisy): {text}\nfound: {found:?}",
                rule.code,
                rule.name
            );
        }
    }
}

#[test]
fn every_check_kind_is_used() {
    let kinds: HashSet<_> = registry()
        .rules()
        .iter()
        .map(|rule| std::mem::discriminant(&rule.kind))
        .collect();
    // Each kind must serve some rule, or it is dead code.
    assert_eq!(kinds.len(), Kind::NAMES.len());
    // And NAMES is the list from_params reads: each is known, with its parameters or none.
    for name in Kind::NAMES {
        if let Err(err) = Kind::from_params(name, toml::Table::new()) {
            assert!(!err.contains("unknown check kind"), "{name}: {err}");
        }
    }
    let err = Kind::from_params("no-such-kind", toml::Table::new()).unwrap_err();
    assert!(err.contains("unknown check kind"), "{err}");
}

#[test]
fn broken_rule_files_are_refused_with_the_file_name() {
    let bad_kind = "code = \"CP999\"\nname = \"x\"\nseverity = \"error\"\nkind = \"nope\"\nsummary = \"s\"\n[docs]\nwhat = \"w\"\nwhy = \"y\"\n";
    let err = Registry::parse(&[("CP999-x.toml", bad_kind)]).unwrap_err();
    assert!(
        err.contains("CP999-x.toml") && err.contains("unknown check kind"),
        "{err}"
    );
    let misnamed = bad_kind.replace("nope", "duplicate");
    let err = Registry::parse(&[("CP998-y.toml", &misnamed)]).unwrap_err();
    assert!(err.contains("should be named CP999-x.toml"), "{err}");
}
