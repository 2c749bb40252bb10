//! Policy-document benchmark: reads a 1 MB published privacy policy (plain text, then HTML) as
//! a declaration, with the document's own rules, and prints the time against the 50 ms budget.
//! Run with `cargo bench --bench document`. No assertion: it measures, the tests judge behaviour.

use p3plint::declaration::document;
use p3plint::source::FileId;
use std::time::Instant;

const SIZE: usize = 1 << 20;

/// The real privacy policy of fixtures/seed, its groups repeated until the text is 1 MB.
fn text_document() -> String {
    let seed = include_str!("../fixtures/seed/cloudtalk-privacy-policy.txt");
    let start = seed.find("Grupp ").expect("the document has groups");
    let end = seed
        .find("\nCookies\n")
        .expect("the document has a Cookies section");
    let groups = &seed[start..end];
    let mut out = seed[..start].to_string();
    while out.len() + groups.len() < SIZE - (seed.len() - end) {
        out.push_str(groups);
    }
    out.push_str(&seed[end..]);
    out
}

/// The same in HTML: every line a paragraph, every bullet a list item.
fn html_document(text: &str) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html><body>\n");
    for line in text.lines() {
        match line.trim().strip_prefix('•') {
            Some(item) => out.push_str(&format!("<ul><li>{}</li></ul>\n", item.trim())),
            None if !line.trim().is_empty() => out.push_str(&format!("<p>{}</p>\n", line.trim())),
            None => {}
        }
    }
    out.push_str("</body></html>\n");
    out
}

fn measure(name: &str, text: &str) {
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..7 {
        let start = Instant::now();
        let found = document::check_file(FileId(0), text);
        best = best.min(start.elapsed().as_secs_f64());
        findings = found.len();
    }
    println!(
        "document ({name}): {:.2} MiB, {findings} findings: best of 7 {:.1} ms ({:.0} MiB/s); budget 50 ms",
        text.len() as f64 / 1048576.0,
        best * 1000.0,
        text.len() as f64 / 1048576.0 / best,
    );
}

fn main() {
    let text = text_document();
    measure("text", &text);
    measure("html", &html_document(&text));
}
