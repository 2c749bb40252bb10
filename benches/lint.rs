//! Throughput benchmark: lints a generated tree of Rust and HTML files and prints figures.
//! Run with `cargo bench`. No assertion: it measures, the tests judge behaviour.

use p3plint::config::Config;
use std::time::Instant;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = 0usize;
    let files = 3000;
    for i in 0..files {
        let (name, text) = match i % 10 {
            // One file in ten sets a header; the rest are ordinary code that the prefilter skips.
            0 => (
                format!("src/handler{i}.rs"),
                format!(
                    "fn h{i}(r: &mut Response) {{\n    r.headers_mut().insert(\"P3P\", HeaderValue::from_static(\"CP=\\\"NOI CURa ADM OUR IND BUS PHY NAV\\\"\"));\n}}\n{}",
                    "fn filler() -> u32 { 1 + 2 }\n".repeat(200)
                ),
            ),
            1 => (
                format!("www/page{i}.html"),
                format!(
                    "<meta http-equiv=\"P3P\" content='CP=\"NOI CUR OUR NOR NAV\"'>\n{}",
                    "<p>text</p>\n".repeat(400)
                ),
            ),
            _ => (
                format!("src/module{i}.rs"),
                "pub fn plain(x: u32) -> u32 { x * 2 }\n".repeat(200),
            ),
        };
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        bytes += text.len();
        std::fs::write(path, text).expect("write");
    }
    let config = Config::defaults(dir.path().to_path_buf());
    let paths = [dir.path().to_path_buf()];
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let report = p3plint::lint(&paths, &config).expect("tree exists");
        best = best.min(start.elapsed().as_secs_f64());
        findings = report.diagnostics.len();
    }
    println!(
        "lint: {files} files, {:.1} MiB, {findings} findings: best of 5 {:.1} ms ({:.0} files/s, {:.0} MiB/s) on {} threads",
        bytes as f64 / 1048576.0,
        best * 1000.0,
        files as f64 / best,
        bytes as f64 / 1048576.0 / best,
        rayon::current_num_threads()
    );
}
