//! The binary as users run it: exit codes, output formats, config errors and hostile inputs,
//! each in a fresh temporary directory.

use std::path::Path;
use std::process::{Command, Output};

fn p3plint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_p3plint"))
        .args(args)
        .current_dir(dir)
        .env_remove("P3PLINT_OUTPUT_FORMAT")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
    dir
}

const CLEAN: &[u8] = b"fn h(r: R) { r.header(\"P3P\", \"CP=\\\"NOI CUR OUR NOR NAV\\\"\"); }\n";
const BROKEN: &[u8] = b"fn h(r: R) { r.header(\"P3P\", \"CP=\\\"NOI CUR OUR NOR PHY\\\"\"); }\n";

#[test]
fn exit_codes_say_clean_findings_or_could_not_run() {
    let clean = project(&[("src/a.rs", CLEAN)]);
    let output = p3plint(clean.path(), &["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("All checks passed (1 file checked)."));

    let broken = project(&[("src/a.rs", BROKEN)]);
    let output = p3plint(broken.path(), &["check", "src"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("identified-data-contradiction"));

    let output = p3plint(clean.path(), &["check", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no/such/dir: no such file or directory"));

    let output = p3plint(clean.path(), &["check", "--select", "unknown-tokn"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `unknown-token`?"));
}

#[test]
fn warnings_alone_exit_zero_and_ignore_turns_rules_off() {
    let dir = project(&[(
        "a.html",
        b"<meta http-equiv=\"P3P\" content='CP=\"NOI CUR OUR NOR NAV TST\"'>",
    )]);
    let output = p3plint(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("test-policy"));
    let output = p3plint(dir.path(), &["check", "--ignore", "CP103"]);
    assert!(stdout(&output).contains("All checks passed"));
    let strict = p3plint(dir.path(), &["check", "--error-on-warning"]);
    assert_eq!(strict.status.code(), Some(1));
    let broken = project(&[("src/a.rs", BROKEN)]);
    let lenient = p3plint(broken.path(), &["check", "--exit-zero"]);
    assert_eq!(lenient.status.code(), Some(0));
}

#[test]
fn json_output_has_the_public_fields() {
    let dir = project(&[("src/a.rs", BROKEN)]);
    let output = p3plint(dir.path(), &["check", "--output-format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let first = &value[0];
    for field in [
        "code",
        "name",
        "severity",
        "message",
        "path",
        "start",
        "end",
        "byte_range",
        "related",
        "fix",
    ] {
        assert!(first.get(field).is_some(), "missing {field} in {first}");
    }
    assert_eq!(first["name"], "identified-data-contradiction");
    assert_eq!(first["path"], "src/a.rs");
    assert_eq!(first["start"]["line"], 1);
    let start = first["byte_range"][0].as_u64().unwrap() as usize;
    assert_eq!(&BROKEN[start..start + 3], b"NOI");
    assert_eq!(
        first["related"][0]["message"],
        "Physical contact information is collected."
    );
}

#[test]
fn concise_sarif_and_github_formats() {
    let dir = project(&[("src/a.rs", BROKEN)]);
    let concise = stdout(&p3plint(
        dir.path(),
        &["check", "--output-format", "concise"],
    ));
    assert!(
        concise.starts_with("src/a.rs:1:36: error[identified-data-contradiction] "),
        "{concise}"
    );
    let sarif = p3plint(dir.path(), &["check", "--output-format", "sarif"]);
    let value: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("valid SARIF JSON");
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(value["runs"][0]["results"][0]["ruleId"], "CP101");
    let github = stdout(&p3plint(
        dir.path(),
        &["check", "--output-format", "github"],
    ));
    assert!(
        github.starts_with(
            "::error title=CP101 identified-data-contradiction,file=src/a.rs,line=1,col=36"
        ),
        "{github}"
    );
}

#[test]
fn config_errors_point_into_lint_toml_and_exit_two() {
    let dir = project(&[
        (
            "lint.toml",
            b"[paths]\nexlude = [\"x\"]\n[rules]\nsufix-not-allowed = \"off\"\n",
        ),
        ("src/a.rs", CLEAN),
    ]);
    let output = p3plint(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("unknown key `exlude` in [paths]"), "{err}");
    assert!(err.contains("did you mean `exclude`?"), "{err}");
    assert!(err.contains("unknown rule `sufix-not-allowed`"), "{err}");
    assert!(err.contains("lint.toml:2:1"), "{err}");
}

#[test]
fn nearest_lint_toml_wins_and_config_flag_overrides() {
    let dir = project(&[
        (
            "lint.toml",
            b"[rules]\nidentified-data-contradiction = \"off\"\n",
        ),
        ("sub/src/a.rs", BROKEN),
    ]);
    let sub = dir.path().join("sub");
    let output = p3plint(&sub, &["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    std::fs::write(sub.join("strict.toml"), "").expect("write");
    let output = p3plint(&sub, &["check", "--config", "strict.toml"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn hostile_inputs_get_a_diagnostic_never_a_panic() {
    let mut big = b"fn f() { let cp = \"CP=\\\"NOI\\\"\"; }\n".to_vec();
    big.resize(11 * 1024 * 1024, b' ');
    let dir = project(&[
        (
            "latin1.html",
            b"<meta content='CP=\"NOI CUR OUR NOR NAV\"'> \xe9t\xe9",
        ),
        ("empty.rs", b""),
        ("big.rs", &big),
        (
            "crlf.conf",
            b"Header set P3P \"CP=\\\"NOI CUR OUR NOR PHYa\\\"\"\r\n",
        ),
        (
            "bom.rs",
            b"\xef\xbb\xbfconst P3P: &str = \"CP=\\\"NOI CUR OUR NOR NAV TST\\\"\";\n",
        ),
        ("broken.rs", b"fn main( { let x = \"CP=\\\"HONK\\\"\"; }\n"),
    ]);
    #[cfg(unix)]
    std::os::unix::fs::symlink(".", dir.path().join("loop")).expect("symlink");
    let output = p3plint(dir.path(), &["check", "--output-format", "concise"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}\n{}", stderr(&output));
    assert!(
        out.contains("latin1.html:1:43: info[non-utf8-input]"),
        "{out}"
    );
    assert!(out.contains("big.rs:1:1: warning[file-too-large]"), "{out}");
    assert!(
        out.contains("crlf.conf:1:38: error[suffix-not-allowed]"),
        "{out}"
    );
    assert!(out.contains("bom.rs:1:46: warning[test-policy]"), "{out}");
    assert!(
        out.contains("broken.rs:1:8: warning[unparsable-rust]"),
        "{out}"
    );
    assert!(
        out.contains("broken.rs:1:26: error[not-a-compact-policy]"),
        "{out}"
    );
    #[cfg(unix)]
    assert!(out.contains("symbolic link loop"), "{out}");
}

#[test]
fn output_is_identical_for_any_thread_count() {
    let files: Vec<(String, &[u8])> = (0..40)
        .map(|i| {
            (
                format!("src/m{i:02}.rs"),
                if i % 3 == 0 { BROKEN } else { CLEAN },
            )
        })
        .collect();
    // And one server config with enough policies to be checked in parallel chunks, past the
    // per-file cap on repeated findings.
    let config: String = (0..1300)
        .map(|i| match i % 4 {
            0 => {
                format!("location /a{i} {{ add_header P3P 'CP=\"NOI CURa OUR NOR NAV X{i}\"'; }}\n")
            }
            1 => format!("location /b{i} {{ add_header P3P 'CP=\"NOI PHY CUR OUR STP\"'; }}\n"),
            _ => format!("location /c{i} {{ add_header P3P 'CP=\"NOI CUR OUR STP NAV\"'; }}\n"),
        })
        .collect();
    let mut refs: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    refs.push(("conf/site.conf", config.as_bytes()));
    let dir = project(&refs);
    let run = |threads: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_p3plint"))
            .args(["check", "--output-format", "json"])
            .current_dir(dir.path())
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("runs");
        output.stdout
    };
    let one = run("1");
    assert!(!one.is_empty());
    assert!(String::from_utf8_lossy(&one).contains("conf/site.conf"));
    assert_eq!(one, run("4"));
    assert_eq!(one, run("2"));
}

#[test]
fn explain_prints_the_field_meaning_table() {
    let dir = project(&[]);
    let output = p3plint(
        dir.path(),
        &[
            "explain",
            "CP=\"NOI CURa ADMa DEVa TAIa CONa OUR DELa BUS IND PHY ONL UNI PUR COM NAV DEM STA\"",
        ],
    );
    // The policy contradicts itself: the table is printed and the exit code says so.
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.contains("CP=    header"), "{out}");
    assert!(
        out.contains("DELa   recipient  always   The data is given to delivery services."),
        "{out}"
    );
    assert!(out.contains("[identified-data-contradiction]"), "{out}");
    let output = p3plint(
        dir.path(),
        &["explain", "--output-format", "json", "NOI PVD"],
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["tokens"][2]["kind"], "unknown");
    let clean = p3plint(dir.path(), &["explain", "NOI DSP COR NID CUR OUR NOR"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

#[test]
fn rule_shows_docs_by_code_or_name() {
    let dir = project(&[]);
    let by_code = stdout(&p3plint(dir.path(), &["rule", "CP101"]));
    let by_name = stdout(&p3plint(
        dir.path(),
        &["rule", "identified-data-contradiction"],
    ));
    assert_eq!(by_code, by_name);
    assert!(by_code.starts_with("# identified-data-contradiction (CP101)"));
    assert!(by_code.contains("## Decisions"));
    let all = p3plint(dir.path(), &["rule", "--all", "--output-format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&all.stdout).expect("JSON");
    assert!(value.as_array().is_some_and(|rules| rules.len() >= 16));
    assert_eq!(
        p3plint(dir.path(), &["rule", "nope"]).status.code(),
        Some(2)
    );
}

#[test]
fn ie6_prints_the_table_and_json() {
    let dir = project(&[]);
    let seed =
        "CP=\"NOI CURa ADMa DEVa TAIa CONa OUR DELa BUS IND PHY ONL UNI PUR COM NAV DEM STA\"";
    let text = stdout(&p3plint(dir.path(), &["ie6", seed]));
    assert!(text.starts_with("Unsatisfactory policy:"), "{text}");
    assert!(text.contains(
        " • Medium High: No opt-out is provided, so the cookie will be blocked. [block]"
    ));
    assert!(
        text.contains("With opt-in (CONi) it would be accepted at every level."),
        "{text}"
    );
    let json = p3plint(dir.path(), &["ie6", "--output-format", "json", seed]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(value["verdict"], "unsatisfactory");
    assert_eq!(value["cells"].as_array().map(Vec::len), Some(16));
    let satisfactory = stdout(&p3plint(dir.path(), &["ie6", "CAO PSA OUR"]));
    assert!(
        satisfactory.starts_with("Satisfactory policy:"),
        "{satisfactory}"
    );
}

#[test]
fn ie6_rule_is_off_until_lint_toml_turns_it_on() {
    let code = b"fn h(r: R) { r.header(\"P3P\", \"CP=\\\"ALL CUR CONa OUR IND PHY\\\"\"); }\n";
    let dir = project(&[("src/a.rs", code)]);
    let quiet = stdout(&p3plint(dir.path(), &["check"]));
    assert!(!quiet.contains("ie6-cookies-restricted"), "{quiet}");
    std::fs::write(
        dir.path().join("lint.toml"),
        "[rules]\nie6-cookies-restricted = \"warning\"\n",
    )
    .expect("write");
    let loud = stdout(&p3plint(dir.path(), &["check"]));
    assert!(
        loud.contains("warning[IE301/ie6-cookies-restricted]"),
        "{loud}"
    );
}

const POLICY_TOML: &[u8] = b"[policy]\nname = \"shop\"\naccess = \"none\"\n\n[[statement]]\nname = \"orders\"\npurposes = [\"current\", { purpose = \"contact\", consent = \"opt-in\" }]\nrecipients = [\"ours\"]\nretention = \"stated-purpose\"\ndata = [\"user.home-info.online.email\"]\n";

#[test]
fn derive_and_describe_a_declaration() {
    let dir = project(&[("policy.toml", POLICY_TOML)]);
    let output = p3plint(dir.path(), &["derive", "policy.toml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "CP=\"NON CUR CONi OUR STP ONL\"\n");
    let described = stdout(&p3plint(dir.path(), &["describe", "policy.toml"]));
    assert!(described.contains("Group \"orders\""), "{described}");
    assert!(
        described
            .contains(" • The data is used for contacting the user (only if the user opts in)"),
        "{described}"
    );
    assert!(
        described.contains("CONi   purpose    opt-in"),
        "{described}"
    );
    assert_eq!(
        p3plint(dir.path(), &["derive", "nope.toml"]).status.code(),
        Some(2)
    );
}

#[test]
fn emitted_policy_is_compared_with_the_declaration() {
    let code = b"fn h(r: R) { r.header(\"P3P\", \"CP=\\\"NON CUR CONa OUR STP ONL\\\"\"); }\n";
    let dir = project(&[
        ("lint.toml", b"[policy]\nfile = \"policy.toml\"\n"),
        ("policy.toml", POLICY_TOML),
        ("src/a.rs", code),
    ]);
    let output = p3plint(dir.path(), &["check", "--output-format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mismatch = value
        .as_array()
        .and_then(|all| all.iter().find(|d| d["name"] == "consent-mismatch"))
        .expect("a consent-mismatch finding");
    assert_eq!(mismatch["path"], "src/a.rs");
    assert_eq!(mismatch["related"][0]["path"], "policy.toml");
    assert_eq!(mismatch["related"][0]["start"]["line"], 7);
}

#[test]
fn unusable_configured_policy_exits_two_but_a_found_one_does_not() {
    let broken = b"<POLICIES><POLICY></POLICIES>";
    let dir = project(&[
        ("lint.toml", b"[policy]\nfile = \"privacy.xml\"\n"),
        ("privacy.xml", broken),
        ("src/a.rs", CLEAN),
    ]);
    let output = p3plint(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("not well-formed XML"),
        "{}",
        stderr(&output)
    );

    let found = project(&[("w3c/p3p.xml", broken), ("src/a.rs", CLEAN)]);
    let output = p3plint(found.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("malformed-policy"));

    let missing = project(&[("lint.toml", b"[policy]\nfile = \"gone.xml\"\n")]);
    let output = p3plint(missing.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn hostile_policies_get_a_diagnostic() {
    let mut huge = b"<POLICIES>".to_vec();
    huge.resize(11 * 1024 * 1024, b' ');
    huge.extend_from_slice(b"</POLICIES>");
    for (name, contents, expected) in [
        ("huge.xml", huge.as_slice(), "larger than any real policy"),
        ("latin1.xml", b"<POLICIES>\xe9</POLICIES>".as_slice(), "not UTF-8"),
        (
            "bomb.xml",
            b"<!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><POLICIES>&b;</POLICIES>".as_slice(),
            "DTDs and external entities are refused",
        ),
    ] {
        let dir = project(&[(name, contents)]);
        let output = p3plint(dir.path(), &["derive", name]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(stderr(&output).contains(expected), "{name}: {}", stderr(&output));
    }
}

#[test]
fn deep_nesting_and_endless_lines_neither_crash_nor_flood() {
    let depth = 100_000;
    let deep = format!(
        "const P3P: &str = \"CP=\\\"NOI CUR OUR NOR NAV TST\\\"\";\nfn f() {{ let x = {}1{}; }}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let minified = format!(
        "{}<meta content='CP=\"NOI CUR OUR NOR PHYa\"'>",
        "<p>x</p>".repeat(20_000)
    );
    let dir = project(&[
        ("deep.rs", deep.as_bytes()),
        ("min.html", minified.as_bytes()),
    ]);
    let output = p3plint(dir.path(), &["check"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        out.contains("brackets nest more than 256 levels deep"),
        "{out}"
    );
    assert!(out.contains("test-policy"), "{out}");
    assert!(out.contains("--> min.html:1:"), "{out}");
    assert!(out.len() < 20_000, "output of {} bytes", out.len());
}

#[test]
fn fix_applies_safe_fixes_atomically_and_unsafe_ones_on_request() {
    let code = b"fn h(r: R) { r.header(\"P3P\", \"policyref=\\\"/w3c/p3p.xml\\\" CP=\\\"NOI CURa OUR NOR NAV NAV PHYa\\\"\"); }\n";
    let dir = project(&[("src/a.rs", code)]);
    let output = p3plint(
        dir.path(),
        &["check", "--fix", "--output-format", "concise"],
    );
    assert!(
        stderr(&output).contains("Fixed 3 findings in 1 file."),
        "{}",
        stderr(&output)
    );
    let fixed = std::fs::read_to_string(dir.path().join("src/a.rs")).expect("read");
    assert_eq!(
        fixed,
        "fn h(r: R) { r.header(\"P3P\", \"policyref=\\\"/w3c/p3p.xml\\\", CP=\\\"NOI CUR OUR NOR NAV PHYa\\\"\"); }\n"
    );
    // PHYa's fix changes what browsers see: only with --unsafe-fixes.
    let out = stdout(&output);
    assert!(
        out.contains("suffix-not-allowed") && !out.contains("duplicate-token"),
        "{out}"
    );
    p3plint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    let fixed = std::fs::read_to_string(dir.path().join("src/a.rs")).expect("read");
    assert!(
        fixed.contains("CP=\\\"NOI CUR OUR NOR NAV PHY\\\""),
        "{fixed}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("src"))
        .expect("dir")
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn findings_in_test_files_are_counted_apart() {
    let dir = project(&[
        ("src/a.rs", BROKEN),
        (
            "test/p3p.js",
            b"res._headers.P3P.should.equal('CP=\"foo\"');\n",
        ),
        ("lib/cart_test.py", b"assert r['P3P'] == 'CP=\"NOI CUR\"'\n"),
    ]);
    let output = p3plint(dir.path(), &["check"]);
    let out = stdout(&output);
    assert!(
        out.contains("Found 3 errors, 0 warnings (3 files checked); in test files ([paths] tests): 2 errors, 0 warnings."),
        "{out}"
    );
    let json = p3plint(dir.path(), &["check", "--output-format", "json"]);
    let findings: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let in_tests: Vec<bool> = findings
        .as_array()
        .expect("array")
        .iter()
        .map(|finding| finding["in_tests"].as_bool().expect("a boolean"))
        .collect();
    assert_eq!(in_tests.iter().filter(|&&t| t).count(), 2, "{in_tests:?}");
    // lint.toml can say what a test is.
    std::fs::write(
        dir.path().join("lint.toml"),
        "[paths]\ntests = [\"nothing\"]\n",
    )
    .expect("write");
    let out = stdout(&p3plint(dir.path(), &["check"]));
    assert!(!out.contains("in test files"), "{out}");
}

#[test]
fn gitignored_files_and_hidden_directories_are_skipped_unless_no_ignore() {
    let dir = project(&[
        (".gitignore", b"dist/\n"),
        ("dist/bundle.js", BROKEN_JS),
        (".venv/lib/site.py", BROKEN_JS),
        ("src/app.js", BROKEN_JS),
    ]);
    // As in ripgrep, .gitignore applies inside a git repository (.ignore applies anywhere).
    let outside_git = stdout(&p3plint(
        dir.path(),
        &["check", "--output-format", "concise"],
    ));
    assert!(outside_git.contains("dist/bundle.js"), "{outside_git}");
    let init = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status();
    if !init.is_ok_and(|status| status.success()) {
        return;
    }
    let out = stdout(&p3plint(
        dir.path(),
        &["check", "--output-format", "concise"],
    ));
    assert!(out.contains("src/app.js"), "{out}");
    assert!(!out.contains("dist/") && !out.contains(".venv"), "{out}");
    let out = stdout(&p3plint(
        dir.path(),
        &["check", "--no-ignore", "--output-format", "concise"],
    ));
    assert!(
        out.contains("dist/bundle.js") && out.contains(".venv/lib/site.py"),
        "{out}"
    );
}

const BROKEN_JS: &[u8] = b"res.setHeader('P3P', 'CP=\"NOI CUR OUR NOR PHY\"');\n";

/// Users never saw "the seed": help and rule docs call it what it is, a real privacy policy.
#[test]
fn help_and_rule_docs_speak_the_users_language() {
    let dir = project(&[]);
    let mut texts = vec![stdout(&p3plint(dir.path(), &["--help"]))];
    for command in [
        "check", "explain", "ie6", "derive", "describe", "server", "rule",
    ] {
        texts.push(stdout(&p3plint(dir.path(), &[command, "--help"])));
    }
    texts.push(stdout(&p3plint(dir.path(), &["rule", "--all"])));
    for text in &texts {
        assert!(!text.is_empty());
        assert!(!text.to_lowercase().contains("seed"), "{text}");
    }
}

/// `--select`/`--ignore`, lint.toml `[rules]` and suppression comments read one selector
/// grammar: `ALL`, a code, a name or a code prefix.
#[test]
fn one_selector_grammar_everywhere() {
    let dir = project(&[("src/a.rs", BROKEN)]);
    let flag = p3plint(dir.path(), &["check", "--ignore", "CP1"]);
    std::fs::write(dir.path().join("lint.toml"), "[rules]\nCP1 = \"off\"\n").expect("write");
    let config = p3plint(dir.path(), &["check"]);
    assert_eq!(
        flag.status.code(),
        config.status.code(),
        "{}",
        stderr(&config)
    );
    assert_eq!(stdout(&flag), stdout(&config));
    assert!(!stdout(&config).contains("identified-data-contradiction"));

    std::fs::write(
        dir.path().join("lint.toml"),
        "[rules]\nidentified-data-contradictoin = \"off\"\n",
    )
    .expect("write");
    let unknown = p3plint(dir.path(), &["check"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean"),
        "{}",
        stderr(&unknown)
    );

    std::fs::remove_file(dir.path().join("lint.toml")).expect("remove");
    let suppressed = b"// p3plint: ignore[CP1] -- the declaration is being rewritten\n\
        fn h(r: R) { r.header(\"P3P\", \"CP=\\\"NOI CUR OUR NOR PHY\\\"\"); }\n";
    std::fs::write(dir.path().join("src/a.rs"), suppressed).expect("write");
    let out = stdout(&p3plint(dir.path(), &["check"]));
    assert!(out.contains("All checks passed"), "{out}");
}

/// A pre-commit hook names files, and CI may run from anywhere: both get the project's
/// lint.toml and declaration, so they report what `check .` reports in the project.
#[test]
fn named_files_and_other_directories_find_the_projects_config_and_declaration() {
    let policy = b"<POLICIES xmlns=\"http://www.w3.org/2002/01/P3Pv1\"><POLICY name=\"site\">\
        <ACCESS><nonident/></ACCESS><STATEMENT><PURPOSE><current/><contact/></PURPOSE>\
        <RECIPIENT><ours/></RECIPIENT><RETENTION><stated-purpose/></RETENTION>\
        <DATA-GROUP><DATA ref=\"#dynamic.clickstream\"/></DATA-GROUP></STATEMENT></POLICY></POLICIES>";
    let reference = b"<META xmlns=\"http://www.w3.org/2002/01/P3Pv1\"><POLICY-REFERENCES>\
        <POLICY-REF about=\"/w3c/policy.xml#site\"/></POLICY-REFERENCES></META>";
    let dir = project(&[
        ("w3c/p3p.xml", reference),
        ("w3c/policy.xml", policy),
        (
            "src/admin/handler.rs",
            b"fn h(r: R) { r.header(\"P3P\", \"CP=\\\"NOI CUR OUR STP NAV COM\\\"\"); }\n",
        ),
        ("lint.toml", b"[rules]\nCP103 = \"error\"\n"),
    ]);
    let concise = |out: &Output| -> Vec<String> {
        stdout(out)
            .lines()
            .filter(|line| line.contains(": "))
            .map(|line| line.rsplit('/').next().unwrap_or(line).to_string())
            .collect()
    };
    let whole = p3plint(dir.path(), &["check", "--output-format", "concise"]);
    assert!(
        stdout(&whole).contains("undisclosed-practice"),
        "{}",
        stdout(&whole)
    );
    let named = p3plint(
        dir.path(),
        &[
            "check",
            "--output-format",
            "concise",
            "src/admin/handler.rs",
        ],
    );
    assert_eq!(concise(&whole), concise(&named));
    // From another directory, the project's lint.toml still applies: a bad one stops the run.
    std::fs::write(
        dir.path().join("lint.toml"),
        "[rules]\nno-such-rule = \"off\"\n",
    )
    .expect("write");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let target = dir.path().to_string_lossy().into_owned();
    let output = p3plint(elsewhere.path(), &["check", &target]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no-such-rule"),
        "{}",
        stderr(&output)
    );
}

/// A pre-commit hook names every staged file; with --force-exclude, lint.toml's exclusions and
/// the kinds of file p3plint reads still hold.
#[test]
fn force_exclude_filters_named_files_as_walked_ones() {
    let dir = project(&[
        ("lint.toml", b"[paths]\nexclude = [\"vendor\"]\n"),
        ("vendor/lib.js", BROKEN_JS),
        ("README.md", b"Send `P3P: CP=\"NOI PHY\"` to fail.\n"),
        ("src/app.js", BROKEN_JS),
    ]);
    let files = ["vendor/lib.js", "README.md", "src/app.js"];
    let plain: Vec<&str> = ["check", "--output-format", "concise"]
        .into_iter()
        .chain(files)
        .collect();
    let out = stdout(&p3plint(dir.path(), &plain));
    assert!(
        out.contains("vendor/lib.js") && out.contains("README.md"),
        "{out}"
    );
    let forced: Vec<&str> = ["check", "--force-exclude", "--output-format", "concise"]
        .into_iter()
        .chain(files)
        .collect();
    let out = stdout(&p3plint(dir.path(), &forced));
    assert!(out.contains("src/app.js"), "{out}");
    assert!(
        !out.contains("vendor/") && !out.contains("README.md"),
        "{out}"
    );
}

#[test]
fn statistics_quiet_and_output_file() {
    let dir = project(&[
        ("a.html", b"<meta http-equiv=\"P3P\" content='CP=\"NOI PHY CURa\"'>\n<meta http-equiv=\"P3P\" content='CP=\"NOI ONL\"'>\n"),
    ]);
    let stats = stdout(&p3plint(dir.path(), &["check", "--statistics"]));
    let lines: Vec<&str> = stats.lines().collect();
    assert!(
        lines[0].contains("CP004\tmissing-token-kind") && lines[0].trim_start().starts_with('2'),
        "{stats}"
    );
    assert!(
        stats.contains("CP101\tidentified-data-contradiction"),
        "{stats}"
    );
    // The summary, then what --fix would do (CURa has a safe fix).
    assert!(stats.contains("checked).\n"), "{stats}");
    assert!(
        stats
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("1 fixable with `--fix`")),
        "{stats}"
    );
    let quiet = stdout(&p3plint(
        dir.path(),
        &["check", "--quiet", "--output-format", "concise"],
    ));
    assert!(
        quiet.contains("a.html:1:") && !quiet.contains("Found"),
        "{quiet}"
    );
    let output = p3plint(
        dir.path(),
        &[
            "check",
            "--output-format",
            "json",
            "--output-file",
            "report.json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let written = std::fs::read(dir.path().join("report.json")).expect("written");
    let findings: serde_json::Value = serde_json::from_slice(&written).expect("JSON");
    assert!(findings.as_array().is_some_and(|all| !all.is_empty()));
}

/// Editors and formatters pipe a buffer: `check - --stdin-filename` checks it as that file.
#[test]
fn stdin_is_checked_as_the_named_file() {
    let dir = project(&[("conf/lint.toml", b"[rules]\nCP004 = \"off\"\n")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_p3plint"))
        .args([
            "check",
            "-",
            "--stdin-filename",
            "conf/nginx.conf",
            "--output-format",
            "concise",
        ])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        stdin
            .write_all(b"add_header P3P 'CP=\"NOI CUR OUR PHY\"';\n")
            .expect("write");
    }
    let output = child.wait_with_output().expect("waits");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    assert!(
        out.contains("conf/nginx.conf:1:21: error[identified-data-contradiction]"),
        "{out}"
    );
    // conf/lint.toml, the named file's config, turned CP004 off.
    assert!(!out.contains("missing-token-kind"), "{out}");
}

/// SARIF URIs are URI references: percent-encoded, relative to %SRCROOT%, which the run names.
#[test]
fn sarif_uris_are_encoded_and_relative_to_srcroot() {
    let dir = project(&[(
        "has space é.html",
        b"<meta http-equiv=\"P3P\" content='CP=\"NOI PHY\"'>\n",
    )]);
    let output = p3plint(dir.path(), &["check", "--output-format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let run = &log["runs"][0];
    let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uri"], "has%20space%20%C3%A9.html");
    assert_eq!(location["uriBaseId"], "%SRCROOT%");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("a URI");
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

/// Code scanning keeps one alert per finding: the fingerprint survives lines added above it,
/// and two equal findings in one file get two fingerprints. Safe fixes travel as replacements,
/// and each rule's help carries its whole page as Markdown.
#[test]
fn sarif_fingerprints_fixes_and_rule_help() {
    let page = "<meta http-equiv='P3P' content='CP=\"NOI CURa OUR NOR NAV\"'>\n";
    let sarif = |text: &str| {
        let dir = project(&[("a.html", text.as_bytes())]);
        let output = p3plint(dir.path(), &["check", "--output-format", "sarif"]);
        serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("SARIF")
    };
    let fingerprints = |log: &serde_json::Value| -> Vec<(String, String)> {
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|result| {
                (
                    result["ruleId"].as_str().expect("id").to_string(),
                    result["partialFingerprints"]["p3plint/v1"]
                        .as_str()
                        .expect("a fingerprint")
                        .to_string(),
                )
            })
            .collect()
    };
    let before = sarif(page);
    let moved = sarif(&format!("<p>one</p>\n<p>two</p>\n{page}"));
    assert!(!fingerprints(&before).is_empty());
    assert_eq!(fingerprints(&before), fingerprints(&moved));
    let twice = fingerprints(&sarif(&format!("{page}{page}")));
    let suffix = twice.iter().filter(|(rule, _)| rule == "CP002").count();
    let distinct: std::collections::HashSet<_> = twice.iter().map(|(_, f)| f).collect();
    assert_eq!(suffix, 2, "{twice:?}");
    assert_eq!(distinct.len(), twice.len(), "{twice:?}");

    let result = before["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|result| result["ruleId"] == "CP002")
        .expect("the suffix finding");
    let replacement = &result["fixes"][0]["artifactChanges"][0]["replacements"][0];
    let offset = replacement["deletedRegion"]["byteOffset"]
        .as_u64()
        .expect("offset") as usize;
    let length = replacement["deletedRegion"]["byteLength"]
        .as_u64()
        .expect("length") as usize;
    assert_eq!(&page[offset..offset + length], "CURa");
    assert_eq!(replacement["insertedContent"]["text"], "CUR");
    let rules = before["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let rule = rules
        .iter()
        .find(|rule| rule["id"] == "CP002")
        .expect("CP002");
    let markdown = rule["help"]["markdown"].as_str().expect("markdown help");
    assert!(markdown.starts_with(&format!(
        "# {} (CP002)",
        rule["name"].as_str().expect("name")
    )));
}

/// A SARIF upload or a JSON parser learns why a run stopped, on stdout, in its own format.
#[test]
fn machine_formats_report_a_run_that_could_not_finish() {
    let dir = project(&[
        ("lint.toml", b"[paths]\nexlude = [\"x\"]\n"),
        ("src/a.rs", CLEAN),
    ]);
    let output = p3plint(dir.path(), &["check", "--output-format", "sarif"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown key `exlude`"));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = &invocation["toolConfigurationNotifications"][0];
    assert_eq!(notification["descriptor"]["id"], "CF901");
    assert_eq!(
        notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "lint.toml"
    );
    assert_eq!(
        notification["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    let output = p3plint(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(findings[0]["code"], "CF901");
    assert_eq!(findings[0]["path"], "lint.toml");

    let clean = project(&[("src/a.rs", CLEAN)]);
    let output = p3plint(
        clean.path(),
        &["check", "--output-format", "sarif", "missing"],
    );
    assert_eq!(output.status.code(), Some(2));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert!(
        invocation["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .is_some_and(|text| text.contains("missing")),
        "{invocation}"
    );
}

/// Adopting p3plint on an existing code base: one comment per line with findings, with the
/// team's reason; a file where comments cannot suppress exactly its findings is left alone.
#[test]
fn add_suppressions_comments_every_finding_it_safely_can() {
    let multi_line = "fn h(r: R) {\n    r.header(\"P3P\", \"policyref=\\\"/w3c/p3p.xml\\\",\n CP=\\\"NOI CURa OUR NOR PHY\\\"\");\n}\n";
    let dir = project(&[
        (
            "a.html",
            b"<p>x</p>\r\n  <meta http-equiv='P3P' content='CP=\"NOI CURa PHY\"'>\r\n",
        ),
        (
            "site.conf",
            b"server {\n  # p3plint: ignore[CP002] -- old\n  add_header P3P \"CP=\\\"NOI CURa OUR NOR PHY\\\"\";\n}\n",
        ),
        ("src/multi.rs", multi_line.as_bytes()),
    ]);
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("read");
    let output = p3plint(
        dir.path(),
        &[
            "check",
            "--add-suppressions",
            "legacy, TICKET-1",
            "--output-format",
            "concise",
        ],
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(
        read("a.html"),
        "<p>x</p>\r\n  <!-- p3plint: ignore[CP101, CP004, CP002] -- legacy, TICKET-1 -->\r\n  <meta http-equiv='P3P' content='CP=\"NOI CURa PHY\"'>\r\n"
    );
    // The old suppression keeps its line; the new one goes at the end of the finding's line.
    assert!(
        read("site.conf").contains("PHY\\\"\"; # p3plint: ignore[CP101] -- legacy, TICKET-1\n"),
        "{}",
        read("site.conf")
    );
    assert_eq!(read("src/multi.rs"), multi_line);
    assert!(err.contains("not written: src/multi.rs"), "{err}");
    assert!(err.contains("Suppressed 4 findings in 2 files."), "{err}");
    let left = stdout(&p3plint(
        dir.path(),
        &["check", "--output-format", "concise"],
    ));
    assert!(
        left.lines()
            .filter(|line| line.contains(": "))
            .all(|line| line.starts_with("src/multi.rs:")),
        "{left}"
    );
    assert!(!left.contains("unused-suppression"), "{left}");

    for reason in ["", "two\nlines", "ends */ a comment"] {
        let output = p3plint(dir.path(), &["check", "--add-suppressions", reason]);
        assert_eq!(output.status.code(), Some(2), "{reason:?}");
        assert!(
            stderr(&output).contains("--add-suppressions:"),
            "{reason:?}"
        );
    }
}

/// Findings `--fix` fixes are marked `[*]`, as ruff marks them, in both human formats.
#[test]
fn fixable_findings_are_marked() {
    let dir = project(&[(
        "a.html",
        b"<meta http-equiv='P3P' content='CP=\"NOI CURa OUR NOR PHY\"'>\n",
    )]);
    let concise = stdout(&p3plint(
        dir.path(),
        &["check", "--output-format", "concise"],
    ));
    assert!(
        concise.contains("warning[suffix-not-allowed] [*] `CURa`"),
        "{concise}"
    );
    assert!(
        concise.contains("error[identified-data-contradiction] `NOI`"),
        "{concise}"
    );
    let full = stdout(&p3plint(dir.path(), &["check", "--color", "never"]));
    assert!(
        full.contains("warning[CP002/suffix-not-allowed]: [*] `CURa`"),
        "{full}"
    );
    assert!(full.contains("1 fixable with `--fix`."), "{full}");
}

/// The GitHub Action's check step, as action.yml has it, run by bash as a runner runs it:
/// annotations on stdout, the SARIF file written, and the exit code of the run.
#[test]
fn the_github_actions_check_step_annotates_and_writes_sarif() {
    let action = include_str!("../../action.yml");
    let step = action.split("- name: Check").nth(1).expect("a Check step");
    let script: String = step
        .split("run: |\n")
        .nth(1)
        .expect("a run block")
        .lines()
        .take_while(|line| line.starts_with("        ") || line.trim().is_empty())
        .map(|line| format!("{}\n", line.get(8..).unwrap_or("")))
        .collect();
    assert!(script.contains("--output-format github"), "{script}");
    let run = |dir: &Path, sarif: &str| {
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(dir)
            .env("P3PLINT", env!("CARGO_BIN_EXE_p3plint"))
            .env("PATHS", ".")
            .env("ARGS", "--select CP")
            .env("SARIF", sarif)
            .output()
            .expect("bash runs")
    };
    let dir = project(&[("src/a.rs", BROKEN)]);
    let output = run(dir.path(), "p3plint.sarif");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("::error title=CP101 identified-data-contradiction,file=src/a.rs"),
        "{}",
        stdout(&output)
    );
    let sarif = std::fs::read(dir.path().join("p3plint.sarif")).expect("the SARIF file");
    let log: serde_json::Value = serde_json::from_slice(&sarif).expect("SARIF");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "CP101");
    // Without `sarif`, annotations only; a clean tree passes.
    let clean = project(&[("src/a.rs", CLEAN)]);
    let output = run(clean.path(), "");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!clean.path().join("p3plint.sarif").exists());
    // A run that cannot start fails the step with p3plint's exit code.
    let broken = project(&[("lint.toml", b"[paths]\nexlude = 1\n"), ("src/a.rs", CLEAN)]);
    let output = run(broken.path(), "p3plint.sarif");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn completions_and_man_page_come_from_the_command_line_definitions() {
    let dir = project(&[]);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = p3plint(dir.path(), &["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout(&output);
        // Each shell spells options its own way (`--select`, fish's `-l select`).
        assert!(
            script.contains("select") && script.contains("force-exclude"),
            "{shell}"
        );
    }
    let man = stdout(&p3plint(dir.path(), &["man"]));
    assert!(man.contains(".TH p3plint 1"), "{man}");
    assert!(man.contains("check") && man.contains("explain"), "{man}");
}

#[test]
fn diff_shows_the_fixes_and_writes_nothing() {
    let original = "<meta http-equiv='P3P' content='CP=\"NOI CURa OUR NOR NAV\"'>\n";
    let dir = project(&[("a.html", original.as_bytes())]);
    let output = p3plint(dir.path(), &["check", "--fix", "--diff"]);
    assert_eq!(output.status.code(), Some(1));
    let diff = stdout(&output);
    assert!(diff.starts_with("--- a/a.html\n+++ b/a.html\n"), "{diff}");
    assert!(
        diff.contains("+<meta http-equiv='P3P' content='CP=\"NOI CUR OUR NOR NAV\"'>"),
        "{diff}"
    );
    assert!(stderr(&output).contains("Would fix 1 finding."));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.html")).expect("read"),
        original
    );
    let clean = project(&[("a.html", b"<p>no policy</p>\n")]);
    let output = p3plint(clean.path(), &["check", "--fix", "--diff"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
}

#[test]
fn show_files_lists_what_a_run_would_check() {
    let dir = project(&[
        ("src/a.rs", CLEAN),
        ("www/index.html", b"<p>hello</p>\n"),
        ("notes.txt", b"not checked\n"),
        (".gitignore", b"build/\n"),
        ("build/out.rs", BROKEN),
    ]);
    std::fs::create_dir(dir.path().join(".git")).expect("a git repository");
    let output = p3plint(dir.path(), &["check", "--show-files"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "src/a.rs\nwww/index.html\n");
}
