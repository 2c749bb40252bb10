//! The GDPR reading: the `GD` rules on the real privacy policy of `fixtures/seed`, and
//! `p3plint record`, the Art. 30(1)-style record made from a declaration.

use std::process::{Command, Output};

fn p3plint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_p3plint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("P3PLINT_OUTPUT_FORMAT")
        .output()
        .expect("p3plint runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_gd_rules_read_the_real_privacy_policy_through_the_gdpr() {
    let output = p3plint(&[
        "check",
        "--select",
        "GD",
        "--output-format",
        "concise",
        "fixtures/seed",
    ]);
    let out = stdout(&output);
    // Warnings to review, not errors: the run itself passes.
    assert_eq!(output.status.code(), Some(0), "{out}");
    let line = |rule: &str| {
        out.lines()
            .find(|line| line.contains(&format!("[{rule}]")))
            .unwrap_or_else(|| panic!("{rule} missing:\n{out}"))
            .to_string()
    };
    let retention = line("indefinite-retention");
    assert!(
        retention.starts_with("fixtures/seed/src/server.rs:10:57:"),
        "{retention}"
    );
    assert!(retention.contains("GDPR Art. 5(1)(e)"), "{retention}");
    let marketing = line("marketing-without-opt-in");
    assert!(
        marketing.contains("`CON` (always)") && marketing.contains("Art. 6(1)(a), 7 and 21(2)-(3)"),
        "{marketing}"
    );
    let access = line("no-access-to-personal-data");
    assert!(
        access.contains("(`NOI`)") && access.contains("GDPR Art. 15"),
        "{access}"
    );
    // Off by default: the plain run has none of them.
    let plain = stdout(&p3plint(&[
        "check",
        "--output-format",
        "concise",
        "fixtures/seed",
    ]));
    assert!(!plain.contains("GDPR"), "{plain}");
}

#[test]
fn record_prints_one_entry_per_group_in_markdown_and_json() {
    for declaration in [
        "fixtures/seed/policy.toml",
        "fixtures/seed/cloudtalk-privacy-policy.txt",
    ] {
        let markdown = stdout(&p3plint(&["record", declaration]));
        assert!(
            markdown.starts_with("# Record of processing activities\n"),
            "{markdown}"
        );
        assert_eq!(
            markdown.matches("\n### ").count(),
            3,
            "{declaration}:\n{markdown}"
        );
        assert!(markdown.contains("| (b) Purposes |"), "{markdown}");
        assert!(
            markdown.contains("**GD502 marketing-without-opt-in**"),
            "{markdown}"
        );

        let json = p3plint(&["record", "--output-format", "json", declaration]);
        let record: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
        let entries = record["policies"][0]["entries"]
            .as_array()
            .expect("entries");
        assert_eq!(entries.len(), 3, "{declaration}");
        // Each finding sits beside the group it concerns: the marketing purpose is the
        // transaction group's, not the access log's.
        let codes = |entry: &serde_json::Value| -> Vec<String> {
            entry["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(|f| f["code"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        assert!(codes(&entries[0]).is_empty(), "{}", entries[0]);
        assert!(
            codes(&entries[2]).contains(&"GD502".to_string()),
            "{}",
            entries[2]
        );
        assert_eq!(entries[2]["identified"], true);
        assert_eq!(entries[0]["identified"], false);
    }
    // The TOML declaration states retention and access, so they are in the record.
    let json = p3plint(&[
        "record",
        "--output-format",
        "json",
        "fixtures/seed/policy.toml",
    ]);
    let record: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let policy = &record["policies"][0];
    assert_eq!(policy["access"]["token"], "NOI");
    assert_eq!(policy["entries"][0]["retention"]["token"], "IND");
    let policy_findings: Vec<&str> = policy["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(policy_findings.contains(&"GD504"), "{policy_findings:?}");
    // The access log keeps anonymous data forever: judged per statement, not reported.
    assert!(!record.to_string().contains("GD501"), "{record}");
}

#[test]
fn record_of_a_missing_file_fails_with_exit_two() {
    let output = p3plint(&["record", "no/such/policy.xml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such file"));
}
