//! Every fixture under `fixtures/` is linted and its rendered output compared with the golden
//! `expected.txt` beside it. A missing or different golden file fails; set P3PLINT_BLESS=1 to
//! write them, then review the diff.
//!
//! Layout: `fixtures/<CODE>-<name>/{fail,pass}-<what-it-shows>/`, run with only that rule
//! enabled, and `fixtures/seed/`, run with the default rules as an end-to-end check. A fixture may
//! carry its own `lint.toml`.

use p3plint::config::Config;
use p3plint::report;
use p3plint::rules::Kind;
use p3plint::rules::{Rule, registry};
use std::fs;
use std::path::{Path, PathBuf};

const GOLDEN: &str = "expected.txt";

/// Rules that cannot have a committed fixture, and why.
const NO_FIXTURE: &[(&str, &str)] = &[(
    "unreadable-input",
    "an unreadable file or a symlink loop cannot be committed; tests/it/cli.rs creates them",
)];

fn fixture_root() -> PathBuf {
    PathBuf::from("fixtures")
}

/// Lints one fixture directory (with its lint.toml, if it has one) and renders what a user
/// would see.
fn render(dir: &Path, rule: Option<&Rule>) -> String {
    render_with(dir, rule, true)
}

fn render_with(dir: &Path, rule: Option<&Rule>, use_lint_toml: bool) -> String {
    let config_path = dir.join("lint.toml");
    let config = if use_lint_toml && config_path.exists() {
        Config::load(&config_path, Path::new("."))
    } else {
        Ok(Config::defaults(dir.to_path_buf()))
    };
    let mut config = match config {
        Ok(config) => config,
        Err(error) => return report::render_diagnostics_plain(&error.db, &error.diagnostics),
    };
    // Suppression rules judge suppressions of other rules, so those run too.
    if let Some(rule) = rule.filter(|rule| !matches!(rule.kind, Kind::Suppression)) {
        config.rules.select(&[rule]);
    }
    let report = match p3plint::lint(&[dir.to_path_buf()], &config) {
        Ok(report) | Err(p3plint::RunError::PolicyUnusable(report)) => report,
        Err(err) => panic!("{}: {err:?}", dir.display()),
    };
    report::render_diagnostics_plain(&report.db, &report.diagnostics)
}

fn compare(dir: &Path, actual: &str) -> Result<(), String> {
    compare_golden(dir, GOLDEN, actual)
}

fn compare_golden(dir: &Path, name: &str, actual: &str) -> Result<(), String> {
    let golden = dir.join(name);
    if std::env::var_os("P3PLINT_BLESS").is_some() {
        fs::write(&golden, actual).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let expected = fs::read_to_string(&golden).map_err(|_| {
        format!(
            "{}: missing golden file (run with P3PLINT_BLESS=1)",
            golden.display()
        )
    })?;
    if expected != actual {
        return Err(format!(
            "{}: output differs from {name}\n--- expected\n{expected}\n--- actual\n{actual}",
            dir.display()
        ));
    }
    Ok(())
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[test]
fn rule_fixtures_match_their_golden_output() {
    let mut failures = Vec::new();
    for rule in registry().rules() {
        let dir = fixture_root().join(format!("{}-{}", rule.code, rule.name));
        let cases = subdirs(&dir);
        let exempt = NO_FIXTURE.iter().any(|(name, _)| *name == rule.name);
        let has = |prefix: &str| {
            cases.iter().any(|case| {
                case.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        };
        let complete = has("fail-") && has("pass-");
        if !exempt && !complete {
            failures.push(format!(
                "{}: needs fail-* and pass-* fixtures",
                dir.display()
            ));
        }
        for case in cases {
            let actual = render(&case, Some(rule));
            let name = case
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("pass-") && !actual.is_empty() {
                failures.push(format!(
                    "{}: a pass fixture reported:\n{actual}",
                    case.display()
                ));
            }
            if name.starts_with("fail-") && !actual.contains(&format!("/{}]", rule.name)) {
                failures.push(format!(
                    "{}: the rule did not fire:\n{actual}",
                    case.display()
                ));
            }
            if let Err(err) = compare(&case, &actual) {
                failures.push(err);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_fixture_directory_names_a_rule() {
    for dir in subdirs(&fixture_root()) {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name == "seed" {
            continue;
        }
        let known = registry()
            .rules()
            .iter()
            .any(|rule| name == format!("{}-{}", rule.code, rule.name));
        assert!(
            known,
            "fixtures/{name} does not match any rules/<CODE>-<name>.toml"
        );
    }
}

#[test]
fn seed_fixture_reports_the_seeds_contradictions() {
    // Without its declaration, as `p3plint check fixtures/seed` runs it.
    let dir = fixture_root().join("seed");
    let actual = render_with(&dir, None, false);
    compare(&dir, &actual).unwrap();
    for expected in [
        "identified-data-contradiction",
        "conflicting-retention",
        "suffix-not-allowed",
    ] {
        assert!(
            actual.contains(expected),
            "seed: {expected} missing\n{actual}"
        );
    }
}

#[test]
fn seed_document_explains_where_the_seed_is_inconsistent() {
    // With fixtures/seed/lint.toml, which names the published privacy policy itself.
    let dir = fixture_root().join("seed");
    let actual = render_with(&dir, None, true);
    compare_golden(&dir, "expected-declared.txt", &actual).unwrap();
    // The document's groups back every token the code sends, and retention is not stated by
    // the document, so nothing is undisclosed, undeclared or a retention mismatch...
    for absent in [
        "undisclosed-practice",
        "undeclared-token",
        "consent-mismatch",
        "retention-mismatch",
        "published-policy-mismatch",
        "not-a-compact-policy",
    ] {
        assert!(
            !actual.contains(absent),
            "seed: unexpected {absent}\n{actual}"
        );
    }
    // ...but the document contradicts itself, with spans into the document.
    let document = "fixtures/seed/cloudtalk-privacy-policy.txt";
    for (rule, at) in [
        ("document-group-count", ":40:112"),
        ("misplaced-practice", ":92:4"),
        ("document-policy-mismatch", ":117:4"),
        ("retention-claim-mismatch", ":22:"),
    ] {
        let header = actual
            .lines()
            .position(|line| line.contains(rule))
            .unwrap_or_else(|| panic!("seed: {rule} missing\n{actual}"));
        let location = actual.lines().skip(header).find(|l| l.contains(document));
        assert!(
            location.is_some_and(|l| l.contains(&format!("{document}{at}"))),
            "{rule}: {location:?}"
        );
    }
    assert!(actual.contains("identified-data-contradiction"), "{actual}");
}

#[test]
fn seed_toml_declaration_explains_where_the_seed_is_inconsistent() {
    // The same policy in p3plint's TOML form.
    let dir = fixture_root().join("seed");
    let mut config = Config::load(&dir.join("lint.toml"), Path::new(".")).unwrap();
    config.policy_file = Some(dir.join("policy.toml"));
    let report = p3plint::lint(std::slice::from_ref(&dir), &config).unwrap();
    let actual = report::render_diagnostics_plain(&report.db, &report.diagnostics);
    compare_golden(&dir, "expected-toml.txt", &actual).unwrap();
    for absent in [
        "undisclosed-practice",
        "undeclared-token",
        "consent-mismatch",
        "conflicting-retention",
    ] {
        assert!(
            !actual.contains(absent),
            "seed: unexpected {absent}\n{actual}"
        );
    }
    assert!(
        actual.contains("nonident-access-with-identified-data"),
        "{actual}"
    );
}

#[test]
fn seed_declaration_derives_the_seeds_compact_policy() {
    let path = fixture_root().join("seed/policy.toml");
    let loaded = p3plint::declaration::locate::load(&path, &fixture_root().join("seed"), 0);
    assert_eq!(loaded.derived.len(), 1);
    // The seed: NOI CURa ADMa DEVa TAIa CONa OUR DELa BUS IND PHY ONL UNI PUR COM NAV DEM STA
    assert_eq!(
        loaded.derived[0].text(),
        "NOI CUR ADM DEV TAI CON OUR DEL BUS IND PHY ONL UNI PUR COM NAV DEM STA"
    );
}
