//! `copied-policy` against the well-known copies: any order, case, suffixes or quoting, near
//! copies named as such, and honest policies that share tokens with a copy left alone.

use p3plint::config::RuleSettings;
use p3plint::extract::FileKind;

fn copied_findings(header_value: &str) -> Vec<String> {
    let page = format!("<?php header('P3P: {header_value}');\n");
    let report = p3plint::lint_source(
        "index.php",
        &page,
        FileKind::for_path(std::path::Path::new("index.php")).expect("php"),
        &RuleSettings::default(),
    );
    report
        .diagnostics
        .iter()
        .filter(|d| d.rule.name == "copied-policy")
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn the_well_known_copies_are_found_however_they_are_written() {
    for value in [
        "CP=\"CAO PSA OUR\"",
        "CP=\"OUR CAO PSA\"",
        "CP=CAO PSA OUR",
        "cp=\"cao psa our\"",
        "CP=\"CAOa PSAa OURa\"",
    ] {
        let found = copied_findings(value);
        assert_eq!(found.len(), 1, "{value}: {found:?}");
        assert!(found[0].contains("KB 323752"), "{value}: {found:?}");
    }
    let google = copied_findings(
        "CP=\"This is not a P3P policy! See http://www.google.com/support/accounts/bin/answer.py?hl=en&answer=151657 for more info.\"",
    );
    assert!(
        google.iter().any(|m| m.contains("Google's header")),
        "{google:?}"
    );
    let facebook = copied_findings(
        "CP=\"Facebook does not have a P3P policy. Learn why here: http://fb.me/p3p\"",
    );
    assert!(
        facebook.iter().any(|m| m.contains("Facebook's header")),
        "{facebook:?}"
    );
    let microsoft = copied_findings(
        "CP=\"UNI PUR PRE PHY ONL NAV INT COM CNT SAMo OUR TELo TAI PSD PSA IVDo IVAo CUSo CUR CONo ADM COR DSP IND ALL\"",
    );
    assert!(
        microsoft
            .iter()
            .any(|m| m.contains("Microsoft's own policy")),
        "{microsoft:?}"
    );
}

#[test]
fn a_near_copy_is_named_and_a_few_shared_tokens_are_not_a_copy() {
    let removed = copied_findings("CP=\"NOI ADM DEV PSAi COM NAV OUR OTRo STP IND\"");
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(
        removed[0].contains("near copy") && removed[0].contains("without `DEM`"),
        "{removed:?}"
    );
    let added = copied_findings("CP=\"CAO PSA OUR NAV\"");
    assert!(added[0].contains("with `NAV` added"), "{added:?}");
    for honest in [
        "CP=\"CAO PSA\"",
        "CP=\"NOI ADM DEV PSAi COM OUR STP\"",
        "CP=\"NOI DSP CUR OUR NOR NAV STA\"",
        "CP=\"PSA OUR NAV IND\"",
    ] {
        assert!(copied_findings(honest).is_empty(), "{honest}");
    }
}
