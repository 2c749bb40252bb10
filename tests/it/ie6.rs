//! Internet Explorer 6's evaluation: the seed's table reproduced cell for cell, the reference's
//! worked examples, and properties that must hold for any policy.

use p3plint::ie6::{Action, ConsentClass, Cookie, Evaluation, Party, evaluate};
use proptest::prelude::*;

fn eval(policy: &str) -> Evaluation {
    let (_, parsed) = p3plint::parse_argument(policy);
    evaluate(parsed.as_ref())
}

/// The seed's 16 bullets (" • Level: sentence"), in the order the seed prints them: persistent
/// first-party, persistent third-party, session first-party, session third-party.
fn seed_cells() -> Vec<(String, String)> {
    let text = std::fs::read_to_string("fixtures/seed/cloudtalk-privacy-policy.txt")
        .expect("the seed document is a fixture");
    let start = text
        .find("Persistent Cookies")
        .expect("the seed has its table");
    let end = text[start..].find("En policy").expect("the table ends") + start;
    text[start..end]
        .lines()
        .filter_map(|line| line.trim().strip_prefix("• "))
        .map(|bullet| {
            let (level, reason) = bullet.split_once(": ").expect("`Level: reason`");
            (level.to_string(), reason.to_string())
        })
        .collect()
}

#[test]
fn seed_table_is_reproduced_cell_for_cell() {
    let evaluation =
        eval("CP=NOI CURa ADMa DEVa TAIa CONa OUR DELa BUS IND PHY ONL UNI PUR COM NAV DEM STA");
    let expected = seed_cells();
    assert_eq!(expected.len(), 16);
    let actual: Vec<(String, String)> = evaluation
        .cells
        .iter()
        .map(|cell| (cell.level_title.clone(), cell.reason.clone()))
        .collect();
    assert_eq!(actual, expected);
    assert!(!evaluation.is_satisfactory());
    assert_eq!(evaluation.consent, ConsentClass::NoConsent);
    let pii: Vec<&str> = evaluation.pii.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(pii, ["PHY", "ONL"]);
    let offending: Vec<&str> = evaluation
        .offending
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(offending, ["CONa"]);
}

#[test]
fn seed_actions_match_the_sentences() {
    let evaluation =
        eval("NOI CURa ADMa DEVa TAIa CONa OUR DELa BUS IND PHY ONL UNI PUR COM NAV DEM STA");
    let action = |cookie, context, level| evaluation.cell(cookie, context, level).unwrap().action;
    use Cookie::*;
    use Party::*;
    assert_eq!(action(Persistent, FirstParty, "low"), Action::Accept);
    assert_eq!(action(Persistent, FirstParty, "medium"), Action::Downgrade);
    assert_eq!(action(Persistent, FirstParty, "medium-high"), Action::Block);
    assert_eq!(action(Persistent, ThirdParty, "low"), Action::Downgrade);
    assert_eq!(action(Session, FirstParty, "medium-high"), Action::Accept);
    assert_eq!(action(Session, ThirdParty, "medium"), Action::Block);
}

fn all_accept(policy: &str) {
    let evaluation = eval(policy);
    assert!(
        evaluation.is_satisfactory(),
        "{policy}: {:?}",
        evaluation.cells
    );
}

#[test]
fn satisfactory_examples_are_accepted_everywhere() {
    all_accept("CAO PSA OUR");
    all_accept("NOI DSP COR NID CURa ADMa DEVa PSAa PSDa OUR BUS COM NAV INT");
    all_accept("NOI DSP COR CURa ADMa DEVa TAIa OUR BUS IND UNI COM NAV INT");
    // Opt-in only: explicit consent satisfies every level.
    all_accept("IDC DSP COR ADM DEVi TAIi PSA PSD IVAi IVDi CONi HIS OUR IND CNT PHY");
    // PII without unsatisfactory uses.
    all_accept("ALL CUR ADM OUR DEL IND PHY ONL FIN GOV");
    // Unsatisfactory uses without PII.
    all_accept("NOI CUR CONa TELa UNRa OUR IND NAV UNI");
    // Invalid tokens only: IE ignored them all.
    all_accept("This is not a P3P policy! See https://example.com for more info.");
    // TST is neither PII nor a use.
    all_accept("NOI CUR OUR NOR NAV TST");
    // A misspelt PII category is ignored, as IE did.
    all_accept("ALL CUR CONa OUR IND PHYa");
}

#[test]
fn opt_out_only_fails_only_where_opt_in_is_required() {
    let evaluation = eval(
        "ALL IND DSP COR ADM CONo CUR CUSo IVAo IVDo PSA PSD TAI TELo OUR SAMo CNT COM INT NAV ONL PHY PRE PUR UNI",
    );
    assert_eq!(evaluation.consent, ConsentClass::Implicit);
    for cell in &evaluation.cells {
        let needs_opt_in = cell.level == "high"
            || (cell.level == "medium-high" && cell.context == Party::ThirdParty);
        let expected = if needs_opt_in {
            Action::Block
        } else {
            Action::Accept
        };
        assert_eq!(cell.action, expected, "{cell:?}");
    }
    // The seed with CONo reads the same.
    let seed_opt_out =
        eval("NOI CURa ADMa DEVa TAIa CONo OUR DELa BUS IND PHY ONL UNI PUR COM NAV DEM STA");
    let actions = |e: &Evaluation| e.cells.iter().map(|c| c.action).collect::<Vec<_>>();
    assert_eq!(actions(&seed_opt_out), actions(&evaluation));
}

#[test]
fn no_policy_uses_the_no_policy_rules() {
    let evaluation = eval("policyref=\"/w3c/p3p.xml\"");
    assert!(!evaluation.has_policy);
    for (cookie, context, level, expected) in [
        (
            Cookie::Persistent,
            Party::FirstParty,
            "medium",
            Action::Leash,
        ),
        (
            Cookie::Persistent,
            Party::ThirdParty,
            "medium",
            Action::Block,
        ),
        (Cookie::Session, Party::ThirdParty, "medium", Action::Block),
        (Cookie::Session, Party::ThirdParty, "low", Action::Accept),
        (Cookie::Persistent, Party::FirstParty, "high", Action::Block),
    ] {
        let cell = evaluation.cell(cookie, context, level).unwrap();
        assert_eq!(cell.action, expected, "{cell:?}");
    }
}

#[test]
fn json_has_all_sixteen_cells() {
    let value = serde_json::to_value(p3plint::ie6::render_json(&eval("NOI CONa PHY"))).unwrap();
    assert_eq!(value["verdict"], "unsatisfactory");
    let cells = value["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 16);
    for field in ["cookie", "context", "level", "action", "reason"] {
        assert!(cells.iter().all(|c| c[field].is_string()), "{field}");
    }
}

/// A random compact policy: standard tokens with random consent suffixes.
fn policy_strategy() -> impl Strategy<Value = Vec<String>> {
    let names: Vec<(String, bool)> = p3plint::vocabulary::vocabulary()
        .entries()
        .iter()
        .map(|e| (e.name.clone(), e.suffix))
        .collect();
    prop::collection::vec(
        (
            0..names.len(),
            prop::option::of(prop::sample::select(vec!['a', 'i', 'o'])),
        ),
        0..20,
    )
    .prop_map(move |picks| {
        picks
            .into_iter()
            .map(|(index, suffix)| {
                let (name, takes_suffix) = &names[index];
                match suffix {
                    Some(s) if *takes_suffix => format!("{name}{s}"),
                    _ => name.clone(),
                }
            })
            .collect()
    })
}

const UNSATISFACTORY: [&str; 9] = [
    "IVA", "IVD", "CON", "TEL", "OTP", "SAM", "OTR", "UNR", "PUB",
];
const PII: [&str; 4] = ["PHY", "ONL", "GOV", "FIN"];

proptest! {
    #[test]
    fn opt_in_never_makes_a_cell_worse(tokens in policy_strategy()) {
        let before = eval(&tokens.join(" "));
        let opted_in: Vec<String> = tokens
            .iter()
            .map(|t| {
                let base = &t[..3];
                if UNSATISFACTORY.contains(&base) { format!("{base}i") } else { t.clone() }
            })
            .collect();
        let after = eval(&opted_in.join(" "));
        for (b, a) in before.cells.iter().zip(&after.cells) {
            prop_assert!(a.action <= b.action, "{:?} became {:?} for {:?}", b, a, opted_in);
        }
    }

    #[test]
    fn without_pii_every_cell_accepts(tokens in policy_strategy()) {
        let without: Vec<&String> = tokens.iter().filter(|t| !PII.contains(&&t[..3])).collect();
        let text = without.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
        let evaluation = eval(&text);
        // An empty value carries no policy at all; that case has its own rules.
        prop_assume!(evaluation.has_policy);
        prop_assert!(evaluation.is_satisfactory(), "{}", text);
    }
}
