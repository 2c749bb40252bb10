//! The subcommands other than `check` (`explain`, `ie6`, `derive`, `describe`, `rule`): each
//! turns its argument into what to print, so `main.rs` only parses arguments, prints and exits.

use crate::config::RuleSettings;
use crate::report::{self, Format};
use crate::rules::{Rule, registry};

/// How `explain`, `ie6` and `rule` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextFormat {
    Text,
    Json,
}

/// What a command produced: text for stdout, findings for stderr, and the exit code.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

/// A command that could not run (exit 2): what it printed before stopping, and why.
#[derive(Debug)]
pub struct Failed {
    pub stderr: String,
    pub message: String,
}

impl From<String> for Failed {
    fn from(message: String) -> Failed {
        Failed {
            stderr: String::new(),
            message,
        }
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

/// `p3plint explain`: the Field/Meaning table, then the findings.
pub fn explain(policy: &str, format: TextFormat) -> Result<Output, Failed> {
    let explanation = crate::explain::explain(policy);
    if explanation.policy.is_none() {
        return Err(format!("no compact policy found in `{policy}`").into());
    }
    let report = &explanation.report;
    let stdout = match format {
        TextFormat::Text => {
            let mut out = crate::explain::table(&explanation.rows);
            if !report.diagnostics.is_empty() {
                out.push('\n');
                out.push_str(&report::render_diagnostics_plain(
                    &report.db,
                    &report.diagnostics,
                ));
            }
            out
        }
        TextFormat::Json => {
            #[derive(serde::Serialize)]
            struct Explained<'a> {
                diagnostics: Vec<report::JsonDiagnostic<'a>>,
                tokens: &'a [crate::explain::Row],
            }
            pretty(&Explained {
                diagnostics: report::json_diagnostics(report),
                tokens: &explanation.rows,
            })
        }
    };
    Ok(Output {
        stdout,
        code: report::exit_code(report),
        ..Output::default()
    })
}

/// `p3plint ie6`: the verdict, the 16 cells and the fix.
pub fn ie6(policy: &str, format: TextFormat) -> Output {
    let (_, parsed) = crate::parse_argument(policy);
    let evaluation = crate::ie6::evaluate(parsed.as_ref());
    let stdout = match format {
        TextFormat::Text => crate::ie6::render_text(parsed.as_ref(), &evaluation),
        TextFormat::Json => pretty(&crate::ie6::render_json(&evaluation)),
    };
    Output {
        stdout,
        ..Output::default()
    }
}

/// A declaration file read for `derive`, `describe` and `record`, with its own findings.
struct ReadDeclaration {
    loaded: crate::declaration::locate::Loaded,
    /// The declaration's files, for positions in messages.
    db: crate::source::SourceDb,
    /// The declaration's findings, rendered for stderr.
    stderr: String,
    has_errors: bool,
}

/// Reads the declaration at `path`; fails when it is missing or no policy could be read.
fn read_declaration(path: &std::path::Path) -> Result<ReadDeclaration, Failed> {
    if !path.is_file() {
        return Err(format!("{}: no such file", path.display()).into());
    }
    let root = crate::declaration::locate::site_root(path);
    let loaded = crate::declaration::locate::load(path, &root, 0);
    let mut db = crate::source::SourceDb::default();
    for file in &loaded.files {
        db.add(file.clone());
    }
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(crate::declaration::checks::check_declaration(
        &loaded.declaration,
    ));
    let diagnostics = RuleSettings::default().resolve(diagnostics);
    let stderr = report::render_diagnostics_plain(&db, &diagnostics);
    if !loaded.usable {
        return Err(Failed {
            stderr,
            message: format!("{}: no policy could be read", path.display()),
        });
    }
    Ok(ReadDeclaration {
        loaded,
        db,
        stderr,
        has_errors: diagnostics
            .iter()
            .any(|d| d.severity == crate::diagnostic::Severity::Error),
    })
}

/// `p3plint derive` and `describe`: findings about the declaration go to stderr, the compact
/// policy (or the description) to stdout.
pub fn declaration(path: &std::path::Path, describe: bool) -> Result<Output, Failed> {
    let ReadDeclaration {
        loaded,
        stderr,
        has_errors,
        ..
    } = read_declaration(path)?;
    let policies = &loaded.declaration.policies;
    let mut stderr = stderr;
    let out = if describe {
        crate::describe::describe(policies, &loaded.derived)
    } else {
        let mut out = String::new();
        for (policy, derived) in policies.iter().zip(&loaded.derived) {
            let label = match (&policy.name, policies.len()) {
                (Some(name), 2..) => format!("{name}: "),
                _ => String::new(),
            };
            match crate::declaration::derive::why_no_compact_policy(policy, derived) {
                // As the policy editors did: no compact policy, and why.
                Some(reason) => stderr.push_str(&format!("{label}no compact policy: {reason}\n")),
                None => out.push_str(&format!("{label}CP=\"{}\"\n", derived.text())),
            }
            if let Some(note) = crate::declaration::derive::unstated_note(policy) {
                stderr.push_str(&format!("{label}note: {note}\n"));
            }
        }
        out
    };
    Ok(Output {
        stdout: report::printable(&out).into_owned(),
        stderr,
        code: u8::from(has_errors),
    })
}

/// How `record` prints.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordFormat {
    /// For people: headings, one table per group.
    #[default]
    Markdown,
    /// For tools.
    Json,
}

/// `p3plint record`: a record of processing activities (GDPR Art. 30(1)) from a declaration;
/// the declaration's own findings go to stderr, as `derive` prints them.
pub fn record(path: &std::path::Path, format: RecordFormat) -> Result<Output, Failed> {
    let read = read_declaration(path)?;
    let record = crate::record::record(
        &path.display().to_string(),
        &read.loaded.declaration.policies,
        &read.db,
    );
    let stdout = match format {
        RecordFormat::Markdown => crate::record::markdown(&record),
        RecordFormat::Json => crate::record::json(&record),
    };
    Ok(Output {
        stdout: report::printable(&stdout).into_owned(),
        stderr: read.stderr,
        code: u8::from(read.has_errors),
    })
}

/// `p3plint rule`: the documentation of the rules a selector names, or of all.
pub fn rules(selector: Option<&str>, all: bool, format: TextFormat) -> Result<Output, Failed> {
    let registry = registry();
    let rules: Vec<&Rule> = match (selector, all) {
        (Some(selector), _) => registry
            .select(selector)
            .map_err(|unknown| unknown.to_string())?,
        (None, true) => registry.rules().iter().collect(),
        (None, false) => {
            return Err(
                String::from("name a rule (`p3plint rule unknown-token`) or pass --all").into(),
            );
        }
    };
    let stdout = match format {
        TextFormat::Text => rules
            .iter()
            .map(|rule| crate::rules::markdown(rule))
            .collect::<Vec<_>>()
            .join("\n"),
        TextFormat::Json => pretty(
            &rules
                .iter()
                .map(|rule| crate::rules::json(rule))
                .collect::<Vec<_>>(),
        ),
    };
    Ok(Output {
        stdout,
        ..Output::default()
    })
}

/// The full or concise report with its summary line, or the machine format alone.
pub fn check_output(report: &crate::report::Report, options: &CheckOptions) -> String {
    let format = options.output_format;
    let human = matches!(format, Format::Full | Format::Concise);
    let mut out = if options.statistics && human {
        report::statistics(report)
    } else {
        // Colour only when the report goes to a terminal, never into a file.
        let color = options.output_file.is_none() && options.color.wanted();
        report::render(report, format, color)
    };
    if human && !options.quiet {
        out.push_str(&report::summary(report));
        out.push('\n');
        if !options.fix {
            out.push_str(&fixable(report));
        }
    }
    out
}

/// "N fixable with `--fix`", as ruff says it, with the unsafe ones counted apart; empty when
/// no finding has a fix.
fn fixable(report: &crate::report::Report) -> String {
    use crate::diagnostic::Applicability;
    let count = |applicability: Applicability| {
        report
            .diagnostics
            .iter()
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability == applicability)
            })
            .count()
    };
    match (count(Applicability::Safe), count(Applicability::Unsafe)) {
        (0, 0) => String::new(),
        (safe, 0) => format!("{safe} fixable with `--fix`.\n"),
        (0, unsafe_) => format!("{unsafe_} fixable with `--fix --unsafe-fixes`.\n"),
        (safe, unsafe_) => {
            format!("{safe} fixable with `--fix` ({unsafe_} more with `--unsafe-fixes`).\n")
        }
    }
}

/// `p3plint check`'s options: the command line's definition, and the library's input.
#[derive(Debug, Default, clap::Args)]
pub struct CheckOptions {
    /// Files and directories to check (default: the current directory). Named files are always
    /// checked; directories are walked, honouring .gitignore and lint.toml's `[paths]`.
    pub paths: Vec<std::path::PathBuf>,
    /// Use this lint.toml instead of the nearest one.
    #[arg(long)]
    pub config: Option<std::path::PathBuf>,
    /// Check against this declaration instead of lint.toml's `[policy] file`: P3P XML, the TOML
    /// form, or a published privacy policy document (HTML, Markdown or text).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Run only these rules (codes, names or code prefixes, comma-separated; `ALL` for every rule).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not run these rules (codes, names or code prefixes, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Full, env = "P3PLINT_OUTPUT_FORMAT")]
    pub output_format: Format,
    /// Colour the full output: `auto` when stdout is a terminal and NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Apply safe fixes (browsers behave the same afterwards), then report what is left.
    #[arg(long)]
    pub fix: bool,
    /// With --fix, print the fixes as a unified diff and write nothing (exit 1 when there is
    /// one).
    #[arg(long, requires = "fix")]
    pub diff: bool,
    /// With --fix, also apply unsafe fixes (they change the emitted policy).
    #[arg(long, requires = "fix")]
    pub unsafe_fixes: bool,
    /// Also report compact policies built at run time, which are not checked (`dynamic-policy`).
    #[arg(long)]
    pub show_dynamic: bool,
    /// Also check files that .gitignore/.ignore exclude, and hidden directories.
    #[arg(long)]
    pub no_ignore: bool,
    /// List the files the run would check, one per line, and check nothing.
    #[arg(long)]
    pub show_files: bool,
    /// Also list every compact policy found, valid or not (`emitted-policy`).
    #[arg(long)]
    pub show_policies: bool,
    /// Print a count of findings per rule instead of the findings (full and concise formats).
    #[arg(long)]
    pub statistics: bool,
    /// Print the findings and nothing else: no summary line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long)]
    pub output_file: Option<std::path::PathBuf>,
    /// With `-` as the path: the name of the file whose text stdin holds (its kind, config and
    /// declaration are that file's).
    #[arg(long)]
    pub stdin_filename: Option<std::path::PathBuf>,
    /// Filter files named on the command line as walked files are: lint.toml's exclusions and
    /// include globs, and only the kinds of file p3plint reads (for pre-commit hooks).
    #[arg(long)]
    pub force_exclude: bool,
    /// Adopt p3plint on an existing code base: write a suppression comment with this reason
    /// above every line with findings, then report what is left.
    #[arg(long, value_name = "REASON", conflicts_with_all = ["fix", "show_files"])]
    pub add_suppressions: Option<String>,
    /// Exit 1 on warnings too, not only on errors.
    #[arg(long, conflicts_with = "exit_zero")]
    pub error_on_warning: bool,
    /// Exit 0 even when there are findings (2 still means the run failed).
    #[arg(long)]
    pub exit_zero: bool,
}

/// Whether the full output is coloured.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `auto`: when stdout is a terminal and NO_COLOR is unset.
    pub fn wanted(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// The exit code of a finished check: 1 with error findings (or warnings and
/// `--error-on-warning`), 0 otherwise or with `--exit-zero`.
pub fn check_exit_code(report: &crate::report::Report, options: &CheckOptions) -> u8 {
    let warned = report
        .diagnostics
        .iter()
        .any(|d| d.severity == crate::diagnostic::Severity::Warning);
    match (options.exit_zero, options.error_on_warning && warned) {
        (true, _) => 0,
        (false, true) => 1,
        (false, false) => report::exit_code(report),
    }
}

/// `--add-suppressions`: writes the comments, each file only if its new text, checked again,
/// has exactly the findings that were not meant to be suppressed (a comment that would land
/// inside a multi-line string, or push an old suppression off its line, changes them). Returns
/// what stderr says.
fn add_suppressions(
    report: &crate::report::Report,
    reason: &str,
    config: &crate::config::Config,
) -> String {
    let additions = crate::suppress::additions(report, reason);
    let by_file = additions
        .iter()
        .map(|(file, (edits, _))| (*file, edits.iter().collect()))
        .collect();
    let counts = additions
        .iter()
        .map(|(file, (_, count))| (*file, *count))
        .collect();
    let mut stderr = String::new();
    // Each file's findings, counted once: the check of each rewritten file compares with it.
    let mut findings_in: std::collections::HashMap<crate::source::FileId, usize> =
        std::collections::HashMap::new();
    for diagnostic in &report.diagnostics {
        *findings_in.entry(diagnostic.primary.file).or_default() += 1;
    }
    let mut planned = crate::fix::rewrite(report, by_file, &counts);
    planned.retain(|planned| {
        let Some(path) = &planned.path else {
            return false;
        };
        let left_before = findings_in.get(&planned.file).copied().unwrap_or(0) - planned.fixes;
        let left_after = crate::lint_stdin(path, &planned.after, config).map(|checked| {
            let in_file = checked.diagnostics.iter().filter(|d| d.primary.file.0 == 0);
            in_file.count()
        });
        let verified = left_after.as_ref().is_ok_and(|after| *after == left_before);
        if !verified {
            stderr.push_str(&format!(
                "p3plint: not written: {}: the comments would not suppress exactly its findings \
                 (one may be inside a multi-line string, or move an old suppression off its line); \
                 suppress them by hand\n",
                crate::report::printable(&planned.name)
            ));
        }
        verified
    });
    let applied = crate::fix::write(report, planned);
    for (path, reason) in &applied.failures {
        stderr.push_str(&format!(
            "p3plint: could not write {}: {reason}\n",
            path.display()
        ));
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let commented: usize = additions.values().map(|(_, count)| count).sum();
    let out_of_reach = report.diagnostics.len() - commented;
    if out_of_reach > 0 {
        stderr.push_str(&format!(
            "p3plint: {out_of_reach} finding{} cannot take a comment (in the declaration, \
             lint.toml, or about suppressions): fix them, or set their rules in lint.toml\n",
            plural(out_of_reach)
        ));
    }
    let (findings, files) = (applied.fixes, applied.files.len());
    stderr.push_str(&format!(
        "Suppressed {findings} finding{} in {files} file{}.\n",
        plural(findings),
        plural(files)
    ));
    stderr
}

/// A run that could not complete, as `check` reports it.
fn run_error(err: crate::RunError) -> CheckError {
    CheckError::Failed(match err {
        crate::RunError::MissingPath(path) => {
            format!("{}: no such file or directory", path.display()).into()
        }
        crate::RunError::PolicyUnusable(report) => return CheckError::PolicyUnusable(report),
    })
}

/// Stdin, up to `limit` bytes; text that is not UTF-8 has those bytes read as `?`.
fn read_stdin(limit: u64) -> Result<String, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read stdin: {err}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("stdin holds more than {limit} bytes; not checked"));
    }
    Ok(crate::source::decode_replacing_invalid(bytes).0)
}

/// Why `check` could not run (exit 2).
#[derive(Debug)]
pub enum CheckError {
    Config(crate::config::ConfigError),
    /// The declaration lint.toml (or `--policy`) names has errors; the report says which.
    PolicyUnusable(crate::report::Report),
    Failed(Failed),
}

impl CheckError {
    /// What a machine format prints on stdout for a run that could not finish (`None` for the
    /// human formats, whose readers see stderr).
    pub fn machine_output(&self, format: Format) -> Option<String> {
        use crate::report::Unfinished;
        let configuration;
        let unfinished = match self {
            CheckError::Config(error) => {
                configuration = crate::report::Report {
                    db: error.db.clone(),
                    diagnostics: error.diagnostics.clone(),
                    files_checked: 0,
                };
                Unfinished::Configuration(&configuration)
            }
            CheckError::PolicyUnusable(report) => Unfinished::Configuration(report),
            CheckError::Failed(failed) => Unfinished::Failed(&failed.message),
        };
        report::render_unfinished(&unfinished, format)
    }

    /// What stderr says, and the closing line, for a person.
    pub fn for_people(self) -> Failed {
        match self {
            CheckError::Config(error) => Failed {
                stderr: report::render_diagnostics_plain(&error.db, &error.diagnostics),
                message: "lint.toml has errors; nothing was checked".into(),
            },
            CheckError::PolicyUnusable(report) => Failed {
                stderr: report::render(&report, Format::Full, false),
                message: "the policy lint.toml names cannot be used; nothing was checked".into(),
            },
            CheckError::Failed(failed) => failed,
        }
    }
}

/// A finished check: the report, and what `--fix` says on stderr.
#[derive(Debug)]
pub struct Checked {
    pub report: crate::report::Report,
    pub stderr: String,
    /// `--diff`: the unified diff the fixes would make, printed instead of the report.
    pub diff: Option<String>,
    /// `--show-files`: the files the run would check, one per line, printed instead of it.
    pub files: Option<String>,
}

/// `p3plint check`: config from the nearest lint.toml (or `--config`), the CLI's selections on
/// top, the run, and with `--fix` the fixes and a second run on the files as they are now.
pub fn check(options: &CheckOptions) -> Result<Checked, CheckError> {
    use crate::rules::RuleId;
    let cwd = std::env::current_dir().map_err(|err| {
        CheckError::Failed(format!("cannot read the working directory: {err}").into())
    })?;
    let stdin_name = options
        .stdin_filename
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("<stdin>"));
    let from_stdin = options.paths.len() == 1 && options.paths[0].as_os_str() == "-";
    // The config of the project the (first) checked path is in, wherever p3plint runs.
    let first = if from_stdin {
        Some(&stdin_name)
    } else {
        options.paths.first()
    };
    let start = match first {
        Some(path) if path.is_dir() => path.clone(),
        Some(path) => path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
        None => std::path::PathBuf::from("."),
    };
    let mut config = crate::config::Config::discover_from(options.config.as_deref(), &start, &cwd)
        .map_err(CheckError::Config)?;
    config
        .rules
        .apply_selectors(&options.select, &options.ignore)
        .map_err(|unknown| CheckError::Failed(unknown.to_string().into()))?;
    config.respect_ignore_files = !options.no_ignore;
    config.force_exclude = options.force_exclude;
    if let Some(policy) = &options.policy {
        if !policy.is_file() {
            return Err(CheckError::Failed(
                format!("--policy {}: no such file", policy.display()).into(),
            ));
        }
        config.policy_file = Some(policy.clone());
        config.policy_named = true;
    }
    let listings = [
        (options.show_dynamic, RuleId::DynamicPolicy),
        (options.show_policies, RuleId::EmittedPolicy),
    ];
    for (_, id) in listings.iter().filter(|(wanted, _)| *wanted) {
        config.rules.enable(registry().rule(*id));
    }
    if let Some(reason) = &options.add_suppressions
        && let Some(problem) = crate::suppress::unusable_reason(reason)
    {
        return Err(CheckError::Failed(
            format!("--add-suppressions: {problem}").into(),
        ));
    }
    // Only source snippets and edits need the checked texts; machine output needs positions.
    config.keep_sources =
        options.output_format == Format::Full || options.fix || options.add_suppressions.is_some();
    let paths = match options.paths.is_empty() {
        true => vec![std::path::PathBuf::from(".")],
        false => options.paths.clone(),
    };
    let run = || crate::lint(&paths, &config).map_err(run_error);
    if from_stdin {
        let text = read_stdin(config.max_file_size)
            .map_err(|message| CheckError::Failed(message.into()))?;
        let report = crate::lint_stdin(&stdin_name, &text, &config).map_err(run_error)?;
        let stderr = if options.fix || options.add_suppressions.is_some() {
            "p3plint: --fix and --add-suppressions do not write text read from stdin\n".to_string()
        } else {
            String::new()
        };
        return Ok(Checked {
            report,
            stderr,
            diff: None,
            files: None,
        });
    }
    if options.show_files {
        let inputs = crate::discover::discover(&paths, &config)
            .map_err(|missing| run_error(crate::RunError::MissingPath(missing.0)))?;
        let listed: String = inputs
            .iter()
            .map(|input| {
                let shown = input.path.strip_prefix(".").unwrap_or(&input.path);
                format!(
                    "{}\n",
                    crate::report::printable(&shown.display().to_string())
                )
            })
            .collect();
        return Ok(Checked {
            report: crate::report::Report::default(),
            stderr: String::new(),
            diff: None,
            files: Some(listed),
        });
    }
    let report = run()?;
    if let Some(reason) = &options.add_suppressions {
        let stderr = add_suppressions(&report, reason, &config);
        return Ok(Checked {
            report: run()?,
            stderr,
            diff: None,
            files: None,
        });
    }
    if !options.fix {
        return Ok(Checked {
            report,
            stderr: String::new(),
            diff: None,
            files: None,
        });
    }
    if options.diff {
        let planned = crate::fix::plan(&report, options.unsafe_fixes);
        let fixes: usize = planned.iter().map(|p| p.fixes).sum();
        let stderr = match fixes {
            0 => String::new(),
            1 => "Would fix 1 finding.\n".to_string(),
            n => format!("Would fix {n} findings.\n"),
        };
        return Ok(Checked {
            diff: Some(crate::fix::unified_diff(&planned)),
            report,
            stderr,
            files: None,
        });
    }
    let applied = crate::fix::apply(&report, options.unsafe_fixes);
    let mut stderr = String::new();
    for (path, reason) in &applied.failures {
        stderr.push_str(&format!(
            "p3plint: could not write {}: {reason}\n",
            path.display()
        ));
    }
    if applied.fixes > 0 {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let (fixes, files) = (applied.fixes, applied.files.len());
        stderr.push_str(&format!(
            "Fixed {fixes} finding{} in {files} file{}.\n",
            plural(fixes),
            plural(files)
        ));
    }
    // Report what is left, from the files as they are now.
    Ok(Checked {
        report: run()?,
        stderr,
        diff: None,
        files: None,
    })
}
