//! Hostile input, as a checked repository or an editor can send it: every case runs the binary
//! under a time and memory limit and must end with exit 0, 1 or 2, print nothing read from
//! outside the project, and write only the files `--fix` reports.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a bounded run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Address space for one run: generous for a debug build, far below what the old failures used.
const MEMORY_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// Runs p3plint in `dir` under the limits; a run past the time limit is killed and fails.
fn bounded(dir: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_p3plint"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("P3PLINT_OUTPUT_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe and touches no state of the parent.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: MEMORY_LIMIT,
                    rlim_max: MEMORY_LIMIT,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = command.spawn().expect("the binary runs");
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = out.read_to_end(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = err.read_to_end(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            panic!("p3plint {args:?} ran past {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = String::from_utf8_lossy(&reader.join().expect("reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().expect("reader")).into_owned();
    Run {
        code: status.code(),
        stdout,
        stderr,
    }
}

fn write(dir: &Path, name: &str, contents: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
}

fn reference_file(about: &str) -> Vec<u8> {
    format!(
        "<META xmlns=\"http://www.w3.org/2002/01/P3Pv1\"><POLICY-REFERENCES><POLICY-REF about=\"{about}\"/></POLICY-REFERENCES></META>"
    )
    .into_bytes()
}

/// Asserts a clean ending (0, 1 or 2) and returns the run.
fn ends_cleanly(dir: &Path, args: &[&str]) -> Run {
    let run = bounded(dir, args);
    assert!(
        matches!(run.code, Some(0..=2)),
        "p3plint {args:?} ended with {:?}\n{}",
        run.code,
        run.stderr
    );
    assert!(
        !run.stderr.contains("internal error"),
        "p3plint {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

const CANARY: &str = "CANARY-8d41c0 this line must never be printed";

#[test]
fn policy_references_never_read_outside_the_project() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(outer.path(), "secret.xml", CANARY.as_bytes());
    write(
        outer.path(),
        "secret-policy.xml",
        format!("<POLICY name=\"x\">{CANARY}").as_bytes(),
    );
    let project = outer.path().join("project");
    for about in [
        "../secret.xml",
        "../../secret.xml#x",
        "/../secret-policy.xml#x",
        "file:///etc/passwd",
        "http://example.com/w3c/policy.xml",
        "/w3c/link.xml",
        "/proc/self/environ",
        "../../../../../../../../../../etc/passwd",
    ] {
        write(&project, "w3c/p3p.xml", &reference_file(about));
        let link = project.join("w3c/link.xml");
        if !link.exists() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(outer.path().join("secret.xml"), &link).expect("symlink");
        }
        let run = ends_cleanly(&project, &["check", "."]);
        let everything = format!("{}{}", run.stdout, run.stderr);
        assert!(!everything.contains("CANARY"), "{about}: {everything}");
        assert!(!everything.contains("root:"), "{about}: {everything}");
        assert!(
            everything.contains("policy-outside-project") || everything.contains("missing-policy"),
            "{about}: {everything}"
        );
    }
}

#[test]
fn a_data_schema_outside_the_project_is_not_read() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(
        outer.path(),
        "secret.xml",
        format!("<DATASCHEMA>{CANARY}</DATASCHEMA>").as_bytes(),
    );
    let project = outer.path().join("project");
    write(
        &project,
        "w3c/p3p.xml",
        &reference_file("/w3c/policy.xml#p"),
    );
    let policy = "<POLICIES xmlns=\"http://www.w3.org/2002/01/P3Pv1\"><POLICY name=\"p\">\
        <ACCESS><none/></ACCESS><STATEMENT><PURPOSE><current/></PURPOSE><RECIPIENT><ours/></RECIPIENT>\
        <RETENTION><stated-purpose/></RETENTION><DATA-GROUP base=\"../../secret.xml\">\
        <DATA ref=\"#x\"/></DATA-GROUP></STATEMENT></POLICY></POLICIES>";
    write(&project, "w3c/policy.xml", policy.as_bytes());
    let run = ends_cleanly(&project, &["check", "."]);
    let everything = format!("{}{}", run.stdout, run.stderr);
    assert!(!everything.contains("CANARY"), "{everything}");
    assert!(
        everything.contains("policy-outside-project"),
        "{everything}"
    );
}

#[test]
fn a_configured_policy_outside_the_project_is_not_read() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(outer.path(), "secret.toml", CANARY.as_bytes());
    let project = outer.path().join("project");
    write(
        &project,
        "lint.toml",
        b"[policy]\nfile = \"../secret.toml\"\n",
    );
    let run = ends_cleanly(&project, &["check"]);
    assert_eq!(run.code, Some(2));
    assert!(!format!("{}{}", run.stdout, run.stderr).contains("CANARY"));
}

#[cfg(unix)]
#[test]
fn devices_fifos_and_links_out_of_the_tree_never_hang_or_leak() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(
        outer.path(),
        "secret.html",
        format!("P3P CP=\"{CANARY}\"").as_bytes(),
    );
    let project = outer.path().join("project");
    write(
        &project,
        "w3c/p3p.xml",
        &reference_file("/w3c/policy.xml#x"),
    );
    std::os::unix::fs::symlink("/dev/zero", project.join("w3c/policy.xml")).expect("symlink");
    std::os::unix::fs::symlink(outer.path().join("secret.html"), project.join("leak.html"))
        .expect("symlink");
    let fifo = project.join("pipe.html");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let run = ends_cleanly(&project, &["check", "."]);
    let everything = format!("{}{}", run.stdout, run.stderr);
    assert!(!everything.contains("CANARY"), "{everything}");
    assert!(everything.contains("link-outside-tree"), "{everything}");
    if made.is_ok_and(|status| status.success()) {
        // Named on the command line, a FIFO is reported, not opened for a blocking read.
        let run = ends_cleanly(&project, &["check", "pipe.html"]);
        assert_eq!(run.code, Some(1), "{}", run.stdout);
        assert!(run.stdout.contains("unreadable-input"), "{}", run.stdout);
    }
}

#[test]
fn one_policy_under_many_spellings_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refs: String = (0..400)
        .map(|i| {
            format!(
                "<POLICY-REF about=\"{}policy.xml#p\"/>",
                "d/../".repeat(i % 20)
            )
        })
        .collect();
    write(
        dir.path(),
        "w3c/p3p.xml",
        format!("<META xmlns=\"http://www.w3.org/2002/01/P3Pv1\"><POLICY-REFERENCES>{refs}</POLICY-REFERENCES></META>").as_bytes(),
    );
    std::fs::create_dir_all(dir.path().join("w3c/d")).expect("mkdir");
    // A broken policy: every read of it would add one finding.
    write(dir.path(), "w3c/policy.xml", b"<POLICIES><oops></POLICIES>");
    let run = ends_cleanly(dir.path(), &["check", "--output-format", "concise"]);
    assert_eq!(
        run.stdout.matches("malformed-policy").count(),
        1,
        "{}",
        run.stdout
    );
}

/// Small sources that used to kill the run with a stack overflow or a panic.
#[test]
fn crash_reproducers_end_with_an_exit_code() {
    let deep =
        |open: &str, close: &str, n: usize| format!("{}u8{}", open.repeat(n), close.repeat(n));
    let chain: String = (0..26)
        .map(|i| format!("const C{i}: &str = concat!(C{0}, C{0});\n", i + 1))
        .collect::<String>()
        + "const C26: &str = \"NOI \";\nfn h(r: R) { r.header(\"P3P\", C0); }\n";
    let cases = [
        ("self.rs", "const P3P: &str = concat!(P3P);\n".to_string()),
        ("chain.rs", chain),
        (
            "generics.rs",
            format!("type T = {};\n", deep("Vec<", ">", 4344)),
        ),
        ("refs.rs", format!("type T = {}u8;\n", "&".repeat(20_000))),
        (
            "neg.rs",
            format!("const C: i32 = {}1;\n", "- ".repeat(20_000)),
        ),
        (
            "sum.rs",
            format!("const C: i32 = 1{};\n", " + 1".repeat(100_000)),
        ),
        (
            "closures.rs",
            format!("fn f() {{ let c = {}1; }}\n", "|x| ".repeat(10_000)),
        ),
        (
            "fnptr.rs",
            format!("type T = {}u8;\n", "fn() -> ".repeat(10_000)),
        ),
        (
            "header.rs",
            "fn h(r: R) { r.header(\"P3P\", \"noé\"); }\n".to_string(),
        ),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in &cases {
        // Each carries a policy, so the file passes the prefilter and reaches the parser.
        let text = format!("const P3P_POLICY: &str = \"CP=\\\"NOI DSP\\\"\";\n{text}");
        write(dir.path(), name, text.as_bytes());
        ends_cleanly(dir.path(), &["check", name]);
    }
    let run = ends_cleanly(dir.path(), &["check"]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let run = ends_cleanly(dir.path(), &["explain", "b ؍"]);
    assert!(
        run.stdout.contains("not-a-compact-policy"),
        "{}",
        run.stdout
    );
}

/// `CURa` is a safe fix: `--fix` rewrites it to `CUR`.
const FIXABLE: &str = "<meta http-equiv=\"P3P\" content='CP=\"NOI CURa OUR NOR NAV\"'>\r\n";
const FIXED: &str = "<meta http-equiv=\"P3P\" content='CP=\"NOI CUR OUR NOR NAV\"'>\r\n";

#[cfg(target_os = "linux")]
#[test]
fn fix_writes_the_file_it_checked_and_never_a_namesake() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = std::ffi::OsStr::from_bytes(b"bad\xff.conf");
    std::fs::write(dir.path().join(raw), FIXABLE).expect("write");
    // What the non-UTF-8 name looks like when shown: it must not be written.
    std::fs::write(dir.path().join("bad\u{FFFD}.conf"), "unrelated\n").expect("write");
    let run = ends_cleanly(dir.path(), &["check", "--fix", "."]);
    assert!(
        run.stderr.contains("Fixed 1 finding in 1 file."),
        "{}",
        run.stderr
    );
    let fixed = std::fs::read(dir.path().join(raw)).expect("read");
    assert_eq!(
        String::from_utf8_lossy(&fixed),
        FIXED,
        "CRLF kept, CURa fixed"
    );
    let other = std::fs::read_to_string(dir.path().join("bad\u{FFFD}.conf")).expect("read");
    assert_eq!(other, "unrelated\n");
}

#[cfg(unix)]
#[test]
fn fix_writes_through_links_and_leaves_read_only_and_linked_files_alone() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);
    std::fs::write(path("target.html"), FIXABLE).expect("write");
    std::os::unix::fs::symlink("target.html", path("link.html")).expect("symlink");
    let run = ends_cleanly(dir.path(), &["check", "--fix", "link.html"]);
    assert!(run.stderr.contains("Fixed 1 finding"), "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(path("link.html"))
            .expect("stat")
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    assert_eq!(
        std::fs::read_to_string(path("target.html")).expect("read"),
        FIXED
    );

    std::fs::write(path("locked.html"), FIXABLE).expect("write");
    std::fs::set_permissions(path("locked.html"), std::fs::Permissions::from_mode(0o444))
        .expect("chmod");
    let run = ends_cleanly(dir.path(), &["check", "--fix", "locked.html"]);
    assert!(
        run.stderr.contains("read-only; not written"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(path("locked.html")).expect("read"),
        FIXABLE
    );

    std::fs::write(path("shared.html"), FIXABLE).expect("write");
    std::fs::hard_link(path("shared.html"), path("twin.html")).expect("link");
    let run = ends_cleanly(dir.path(), &["check", "--fix", "shared.html"]);
    assert!(run.stderr.contains("2 hard links"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(path("twin.html")).expect("read"),
        FIXABLE
    );

    std::fs::write(path("mode.html"), FIXABLE).expect("write");
    std::fs::set_permissions(path("mode.html"), std::fs::Permissions::from_mode(0o640))
        .expect("chmod");
    // As root, the owner must survive too: hand the file to `nobody` first.
    let as_root = unsafe { libc::geteuid() } == 0;
    if as_root {
        std::os::unix::fs::chown(path("mode.html"), Some(65534), Some(65534)).expect("chown");
    }
    ends_cleanly(dir.path(), &["check", "--fix", "mode.html"]);
    let metadata = std::fs::metadata(path("mode.html")).expect("stat");
    assert_eq!(
        std::fs::read_to_string(path("mode.html")).expect("read"),
        FIXED
    );
    assert_eq!(metadata.mode() & 0o777, 0o640);
    if as_root {
        assert_eq!((metadata.uid(), metadata.gid()), (65534, 65534));
    }
}

/// A megabyte-long policy and hundreds of thousands of policies: cost stays linear and the
/// report stays readable.
#[test]
fn huge_policies_cost_linear_time_and_bounded_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let words = ["NOI", "XYZ", "CURa", "PHY", "é", "PHY"];
    let long: Vec<&str> = (0..170_000).map(|i| words[i % words.len()]).collect();
    let distinct: Vec<String> = (0..100_000).map(|i| format!("W{i}")).collect();
    write(
        dir.path(),
        "long.conf",
        format!("add_header P3P 'CP=\"{}\"';\n", long.join(" ")).as_bytes(),
    );
    write(
        dir.path(),
        "distinct.conf",
        format!("add_header P3P 'CP=\"{}\"';\n", distinct.join(" ")).as_bytes(),
    );
    write(
        dir.path(),
        "many.conf",
        "add_header P3P 'CP=\"NOI\"';\n".repeat(200_000).as_bytes(),
    );
    for name in ["long.conf", "distinct.conf", "many.conf"] {
        let run = ends_cleanly(dir.path(), &["check", "--output-format", "json", name]);
        assert_eq!(run.code, Some(1));
        assert!(
            run.stdout.len() < 512 * 1024,
            "{name}: {} bytes",
            run.stdout.len()
        );
        let findings: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        if name != "distinct.conf" {
            let notes = findings.to_string();
            assert!(notes.contains("not shown"), "{name}: the rest is counted");
        }
    }
    let run = ends_cleanly(
        dir.path(),
        &["check", "--output-format", "concise", "distinct.conf"],
    );
    assert!(
        run.stdout.contains("only the first 1000 are checked"),
        "{}",
        run.stdout
    );
}

#[test]
fn terminal_escapes_from_files_are_not_printed() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "evil.html",
        b"<meta http-equiv=\"P3P\" content='CP=\"NOI \x1b]0;pwned\x07\x1b[2J BAD\x00\"'>\n",
    );
    for format in ["full", "concise", "github"] {
        let run = ends_cleanly(
            dir.path(),
            &["check", "--output-format", format, "--color", "never"],
        );
        assert_eq!(run.code, Some(1), "{format}: {}", run.stdout);
        for control in ['\x1b', '\x07', '\x00'] {
            assert!(!run.stdout.contains(control), "{format}: {:?}", run.stdout);
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_fails_the_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "a.html",
        b"<meta http-equiv=\"P3P\" content='CP=\"NOI BAD\"'>\n",
    );
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let output = Command::new(env!("CARGO_BIN_EXE_p3plint"))
        .args(["check", "."])
        .current_dir(dir.path())
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write the report"));
}

#[test]
fn utf16_files_are_checked_but_never_fixed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "<meta http-equiv=\"P3P\" content='CP=\"NOI CURa OUR NOR NAV PHY\"'>\r\n";
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    write(dir.path(), "web.config", &utf16);
    let run = ends_cleanly(dir.path(), &["check", "--output-format", "concise"]);
    assert!(run.stdout.contains("web.config:1:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("identified-data-contradiction"),
        "{}",
        run.stdout
    );
    let run = ends_cleanly(dir.path(), &["check", "--fix"]);
    assert!(run.stderr.contains("UTF-16"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(dir.path().join("web.config")).expect("read"),
        utf16
    );
}
