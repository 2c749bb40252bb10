//! Published privacy policy documents as declarations: the binary reading them with `derive`,
//! `describe` and `check --policy`, documents found while walking a tree, and broken ones.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn p3plint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_p3plint"))
        .args(args)
        .current_dir(dir)
        .env_remove("P3PLINT_OUTPUT_FORMAT")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
    dir
}

/// A small English document in the editor's layout, with `{cp}` for its compact policy.
const DOCUMENT: &str = "Data Collection\n\nP3P policies declare the data they collect in groups (also referred to as \"statements\"). This policy contains 1 data groups. The data practices of each group will be explained separately.\n\nGroup \"Orders\"\n\nWe collect the following information:\n\n- Online contact information\n\nThis data will be used for the following purposes:\n\n- Completion and support of the current activity\n\nThis data will be used by ourselves and our agents.\n\nCompact Policy Summary\n\nThe compact policy which corresponds to this policy is:\n\n{cp}\n\nPolicy Evaluation\n\nSatisfactory policy: this compact policy is considered satisfactory according to the rules defined by Internet Explorer 6.\n";

#[test]
fn derive_and_describe_read_the_real_privacy_policy() {
    let output = p3plint(
        &repo(),
        &["derive", "fixtures/seed/cloudtalk-privacy-policy.txt"],
    );
    // The groups' practices; retention and access are not in the document, and not invented.
    assert_eq!(
        text(&output.stdout),
        "CP=\"CUR ADM DEV TAI CON OUR DEL PHY ONL PUR COM NAV DEM\"\n"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the document does not state access or retention"),
        "{stderr}"
    );
    assert!(stderr.contains("document-policy-mismatch"), "{stderr}");
    assert_eq!(output.status.code(), Some(1));

    let output = p3plint(
        &repo(),
        &["describe", "fixtures/seed/cloudtalk-privacy-policy.txt"],
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Group \"Transaktionsinformation\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("Account usage data (categories not stated)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Note: the document does not state"),
        "{stdout}"
    );
}

#[test]
fn an_english_html_document_of_the_layout_reads_without_false_findings() {
    // Empty lists, non-identifiable groups, a disputes sentence without its heading, and an
    // evaluation table written with <br> instead of list items.
    let output = p3plint(
        &repo(),
        &["derive", "tests/data/documents/statistics-site.html"],
    );
    assert_eq!(
        text(&output.stdout),
        "CP=\"DSP NID CUR ADM DEV TAI PSA PSD OUR COM NAV INT\"\n"
    );
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("error["), "{stderr}");
    assert!(!stderr.contains("warning["), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn check_policy_names_a_document_and_its_cells_are_checked() {
    // One cell changed: the document now says IE6 blocks what it downgrades.
    let seed = std::fs::read_to_string(repo().join("fixtures/seed/cloudtalk-privacy-policy.txt"))
        .expect("the real privacy policy");
    let edited = seed.replacen(
        " • Medium: Opt-out is not provided for all unsatisfactory purposes and recipients, so the cookie will be downgraded to a session cookie.",
        " • Medium: Opt-out is not provided for all unsatisfactory purposes and recipients, so the cookie will be blocked.",
        1,
    );
    assert_ne!(seed, edited);
    let server =
        std::fs::read_to_string(repo().join("fixtures/seed/src/server.rs")).expect("the emitter");
    let dir = project(&[("policy.txt", &edited), ("src/server.rs", &server)]);
    let output = p3plint(
        dir.path(),
        &[
            "check",
            "--policy",
            "policy.txt",
            "--output-format",
            "concise",
            "src",
        ],
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("policy.txt:155:4: warning[evaluation-mismatch] the document says IE6 will block a persistent cookie at Medium in first-party use; it will downgrade"),
        "{stdout}"
    );
    // The emitter sends what the document publishes.
    assert!(!stdout.contains("published-policy-mismatch"), "{stdout}");
}

#[test]
fn a_file_in_no_layout_is_one_finding_and_exit_two_when_named() {
    let dir = project(&[("notes.txt", "Just some notes.\nNothing about P3P here.\n")]);
    let output = p3plint(dir.path(), &["check", "--policy", "notes.txt"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    let all = text(&output.stdout) + &text(&output.stderr);
    assert_eq!(all.matches("not a P3P policy").count(), 1, "{all}");
    let output = p3plint(dir.path(), &["check", "--policy", "no-such-file.txt"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no such file"));
}

#[test]
fn a_partly_edited_document_is_read_as_far_as_it_goes() {
    let cut = DOCUMENT
        .split("Compact Policy Summary")
        .next()
        .expect("has the heading");
    let dir = project(&[("policy.md", cut)]);
    let output = p3plint(dir.path(), &["derive", "policy.md"]);
    assert_eq!(text(&output.stdout), "CP=\"CUR OUR ONL\"\n");
    let stderr = text(&output.stderr);
    assert_eq!(
        stderr.matches("missing-document-section").count(),
        2,
        "{stderr}"
    );
    assert!(stderr.contains("\"Compact Policy Summary\""), "{stderr}");
    assert!(stderr.contains("\"Policy Evaluation\""), "{stderr}");
}

#[test]
fn typographic_quotes_are_read_and_reported() {
    let document = DOCUMENT.replace("{cp}", "CP=\u{201d}IDC CUR OUR STP ONL\u{201d}");
    let dir = project(&[("policy.txt", &document)]);
    let output = p3plint(dir.path(), &["derive", "policy.txt"]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("typographic quotes"), "{stderr}");
    // The tokens were read: they agree with the group, so nothing else is reported.
    assert!(!stderr.contains("document-policy-mismatch"), "{stderr}");
}

#[test]
fn a_policy_page_in_the_tree_is_a_document_not_an_emitter() {
    // Without any configuration: its token table rows (`CP= This is the compact policy
    // header...`) are no `not-a-compact-policy` errors, and the page gets the document's rules.
    let html = std::fs::read_to_string(repo().join("tests/data/documents/statistics-site.html"))
        .expect("document")
        .replace(
            "This policy contains 2 data groups",
            "This policy contains 3 data groups",
        );
    let dir = project(&[("public/privacy.html", &html)]);
    let output = p3plint(dir.path(), &["check", "--output-format", "concise"]);
    let stdout = text(&output.stdout);
    assert!(!stdout.contains("not-a-compact-policy"), "{stdout}");
    assert!(
        stdout.contains("public/privacy.html:10:") && stdout.contains("document-group-count"),
        "{stdout}"
    );
}

#[test]
fn derive_prints_no_compact_policy_for_a_declaration_without_practices() {
    let toml = "[policy]\naccess = \"nonident\"\n[[statement]]\npurposes = []\nrecipients = []\nretention = \"indefinitely\"\ndata = [\"dynamic.clickstream\"]\n";
    let dir = project(&[("policy.toml", toml)]);
    let output = p3plint(dir.path(), &["derive", "policy.toml"]);
    assert_eq!(text(&output.stdout), "");
    assert!(
        text(&output.stderr)
            .contains("no compact policy: the policy states no purpose and no recipient"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn declared_versus_emitted_rules_point_into_the_document() {
    // The group states CUR and ONL; the code sends TEL and leaves out CUR.
    let document = DOCUMENT.replace("{cp}", "CP=\"IDC CUR OUR STP ONL\"");
    let handler = "fn h(r: R) { r.header(\"P3P\", \"CP=\\\"IDC TEL OUR STP ONL\\\"\"); }\n";
    let dir = project(&[
        ("lint.toml", "[policy]\nfile = \"policy.txt\"\n"),
        ("policy.txt", &document),
        ("src/handler.rs", handler),
    ]);
    let output = p3plint(dir.path(), &["check", "--output-format", "json"]);
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("check prints JSON");
    let findings = json.as_array().expect("an array");
    let named = |name: &str| {
        findings
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {json:#}"))
    };
    // CUR: declared by the group's words, missing from the code; the label is in the document.
    let undisclosed = named("undisclosed-practice");
    assert_eq!(undisclosed["path"], "src/handler.rs");
    let related = &undisclosed["related"][0];
    assert_eq!(related["path"], "policy.txt");
    let line = document
        .lines()
        .position(|l| l.contains("Completion and support"))
        .expect("the purpose line")
        + 1;
    assert_eq!(related["start"]["line"], line);
    // TEL: sent, stated by no group.
    assert_eq!(named("undeclared-token")["path"], "src/handler.rs");
    // And the code does not send what the page publishes.
    assert_eq!(named("published-policy-mismatch")["path"], "src/handler.rs");
    // Retention and access are not stated by the document: not compared.
    assert!(!findings.iter().any(|f| f["name"] == "retention-mismatch"));
    assert!(!findings.iter().any(|f| f["name"] == "access-mismatch"));
}

#[test]
fn lists_written_as_lines_of_a_paragraph_are_read_and_prose_is_not_a_claim() {
    // `<br>` between the items instead of list items; a sentence about disclosure "as required
    // by law" and one about cookies "until you delete them" are not retention claims.
    let output = p3plint(
        &repo(),
        &["derive", "tests/data/documents/br-separated-lists.html"],
    );
    assert_eq!(text(&output.stdout), "CP=\"ADM DEV OUR COM NAV\"\n");
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("warning["), "{stderr}");
    assert!(!stderr.contains("error["), "{stderr}");
    assert!(!stderr.contains("unrecognized-item"), "{stderr}");
}
