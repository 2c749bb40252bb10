//! Every shortcut taken for speed answers as the plain way does. The Rust extractor gives syn
//! only the items that can emit (and what they use): a differential test against whole-file
//! parsing on generated files (same emissions, same spans, whenever the whole file parses; a
//! syntax error only in items that cannot emit is no longer a failure). The vectorised
//! prefilter against a plain search; machine output without the checked texts against output
//! with them.

use p3plint::extract::rust::{extract, extract_whole};
use proptest::prelude::*;

/// One top-level item of a generated file.
fn item() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["POLICY", "CP", "VALUE", "P3P_HEADER", "other", "x"]);
    let policy = prop::sample::select(vec![
        "NOI CUR OUR NOR NAV",
        "CAO PSA OUR IND PHY",
        "ALL CURa ADMa OUR BUS",
        "} { \\\" ' // /*",
    ]);
    prop_oneof![
        (name.clone(), policy.clone())
            .prop_map(|(n, p)| format!("const {n}: &str = \"{p}\";")),
        (name.clone(), policy.clone())
            .prop_map(|(n, p)| format!("static {n}: &str = \"CP=\\\"{p}\\\"\";")),
        (name.clone(), name.clone())
            .prop_map(|(a, b)| format!("const {a}: &str = concat!(\"CP=\\\"\", {b}, \"\\\"\");")),
        name.clone().prop_map(|n| format!(
            "fn send(r: &mut Response) {{ r.headers_mut().insert(\"P3P\", HeaderValue::from_static({n})); }}"
        )),
        (name.clone(), policy.clone()).prop_map(|(n, p)| format!(
            "fn handler() -> Response {{ let {n} = \"CP=\\\"{p}\\\"\"; Response::new().header(\"p3p\", {n}) }}"
        )),
        policy.clone().prop_map(|p| format!(
            "fn unrelated<'a>(s: &'a str) -> char {{ let _ = r#\"{p} }}\"#; /* }} {{ */ // }}\n '}}' }}"
        )),
        Just("mod inner { pub fn f() { let _ = \"CP=\\\"NOI DSP CUR\\\"\"; } }".to_string()),
        Just("impl S { fn g(&self) -> u8 { b'\\'' } }".to_string()),
        Just("struct S<'a> { x: &'a str }".to_string()),
        Just("macro_rules! m { ($x:expr) => { $x }; }".to_string()),
        Just("fn broken() { let x = ; }".to_string()),
        Just("#[derive(Debug)]\nenum E { A, B }".to_string()),
        name.prop_map(|n| format!("fn uses() -> usize {{ {n}.len() }}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn the_cut_finds_what_the_whole_file_finds(items in prop::collection::vec(item(), 1..12)) {
        let source = items.join("\n\n") + "\n";
        let cut = extract(&source);
        let whole = extract_whole(&source);
        match (&cut, &whole) {
            (Ok(cut), Ok(whole)) => {
                let shape = |found: &Vec<p3plint::extract::Emission>| -> Vec<_> {
                    found
                        .iter()
                        .map(|e| (e.text.text.clone(), e.text.full_span(), format!("{:?}", e.context)))
                        .collect()
                };
                prop_assert_eq!(shape(cut), shape(whole), "{}", source);
            }
            (Err(cut), Err(whole)) => {
                prop_assert_eq!(&cut.span, &whole.span, "{}", source);
            }
            // A syntax error in an item that cannot emit no longer sends the file to the line
            // scanner: the error must lie in a blanked item, outside what the cut kept.
            (Ok(_), Err(whole)) => {
                let kept = p3plint::extract::rust_items::keep_items_that_can_emit(&source)
                    .expect("the cut blanked something")
                    .text;
                prop_assert!(
                    kept[whole.span.clone()].trim().is_empty(),
                    "the error at {:?} is in a kept item:\n{}", whole.span, source
                );
            }
            (Err(_), Ok(_)) => prop_assert!(false, "the cut failed where the file parses:\n{}", source),
        }
    }
}

proptest! {
    /// Both vectorised prefilters say what a plain case-insensitive search says.
    #[test]
    fn the_prefilter_agrees_with_a_plain_search(
        bytes in prop::collection::vec(prop::sample::select(b"pP3cC=x \\n\\xc3".to_vec()), 0..40)
    ) {
        let lower: Vec<u8> = bytes.iter().map(u8::to_ascii_lowercase).collect();
        let plain = lower.windows(3).any(|w| w == b"p3p" || w == b"cp=");
        prop_assert_eq!(p3plint::extract::may_emit(&bytes), plain);
        prop_assert_eq!(p3plint::extract::needles(&bytes).next().is_some(), plain);
    }
}

/// Machine output drops each checked text as soon as its findings have their positions: every
/// format that prints no source lines must print exactly what it printed with the texts kept.
#[test]
fn machine_output_is_the_same_without_the_texts() {
    use p3plint::config::Config;
    use p3plint::report::{Format, render};
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut config = Config::defaults(root.clone());
    let mut everything = p3plint::config::RuleSettings::default();
    everything.select(
        &p3plint::rules::registry()
            .rules()
            .iter()
            .collect::<Vec<_>>(),
    );
    config.rules = everything;
    let kept = p3plint::lint(std::slice::from_ref(&root), &config).expect("fixtures exist");
    config.keep_sources = false;
    let dropped = p3plint::lint(std::slice::from_ref(&root), &config).expect("fixtures exist");
    assert!(kept.diagnostics.len() > 100, "{}", kept.diagnostics.len());
    for format in [Format::Concise, Format::Json, Format::Sarif, Format::Github] {
        assert_eq!(
            render(&kept, format, false),
            render(&dropped, format, false),
            "{format:?}"
        );
    }
}
