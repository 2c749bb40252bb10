//! The `p3plint` command line: arguments to config, config to `lint()`, report to stdout, exit
//! status out. The only file that exits the process.
//!
//! Exit codes: 0 no error-level finding, 1 error-level findings, 2 could not run (bad arguments,
//! bad config, a missing path, an internal error).

use clap::{Parser, Subcommand, ValueEnum};
use p3plint::check::RuleSettings;
use p3plint::config::{Config, ConfigError};
use p3plint::report::{self, Format};
use p3plint::rules::{Rule, RuleId, registry};
use p3plint::{RunError, explain};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "p3plint",
    version,
    about = "Lints P3P compact policies: invalid tokens, contradictions, and drift from what the site declares.",
    after_help = "Exit codes: 0 no error-level finding, 1 error-level findings, 2 could not run."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the files under PATHS (default: the current directory).
    Check(CheckArgs),
    /// Explain a compact policy token by token, as a Field/Meaning table of a privacy policy does.
    Explain {
        /// A header value, `CP="..."`, or bare tokens.
        policy: String,
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        output_format: TextFormat,
    },
    /// Evaluate a compact policy as Internet Explorer 6 did: verdict, the 16-cell table, the fix.
    Ie6 {
        /// A header value, `CP="..."`, or bare tokens; a value without `CP=` means no policy.
        policy: String,
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        output_format: TextFormat,
    },
    /// Print the compact policy a declaration (P3P XML or TOML) implies.
    Derive {
        /// A policy file, a policy reference file (w3c/p3p.xml) or a TOML declaration.
        policy_file: PathBuf,
    },
    /// Describe a declaration in plain words, with its compact policy and Field/Meaning table.
    Describe { policy_file: PathBuf },
    /// Run the language server on stdin and stdout (for editors).
    Server,
    /// Show a rule's documentation.
    Rule {
        /// A rule code or name.
        rule: Option<String>,
        /// List every rule.
        #[arg(long, conflicts_with = "rule")]
        all: bool,
        #[arg(long, value_enum, default_value_t = TextFormat::Text)]
        output_format: TextFormat,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files and directories to check (default: the current directory). Named files are always
    /// checked; directories are walked, honouring .gitignore and lint.toml's `[paths]`.
    paths: Vec<PathBuf>,
    /// Use this lint.toml instead of the nearest one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run only these rules (codes, names or code prefixes, comma-separated; `ALL` for every rule).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Do not run these rules (codes, names or code prefixes, comma-separated).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Full, env = "P3PLINT_OUTPUT_FORMAT")]
    output_format: Format,
    /// Colour the full output: `auto` when stdout is a terminal and NO_COLOR is unset.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Apply safe fixes (browsers behave the same afterwards), then report what is left.
    #[arg(long)]
    fix: bool,
    /// With --fix, also apply unsafe fixes (they change the emitted policy).
    #[arg(long, requires = "fix")]
    unsafe_fixes: bool,
    /// Also report compact policies built at run time, which are not checked (`dynamic-policy`).
    #[arg(long)]
    show_dynamic: bool,
    /// Also check files that .gitignore/.ignore exclude, and hidden directories.
    #[arg(long)]
    no_ignore: bool,
    /// Also list every compact policy found, valid or not (`emitted-policy`).
    #[arg(long)]
    show_policies: bool,
    /// Exit 1 on warnings too, not only on errors.
    #[arg(long, conflicts_with = "exit_zero")]
    error_on_warning: bool,
    /// Exit 0 even when there are findings (2 still means the run failed).
    #[arg(long)]
    exit_zero: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum TextFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A run that could not happen; printed to stderr, exit code 2.
enum Failure {
    Message(String),
    Config(ConfigError),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic is a bug: say so in one line; the exit code below tells scripts.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("p3plint: internal error: {info}");
    }));
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(Failure::Message(message))) => {
            eprintln!("p3plint: {message}");
            ExitCode::from(2)
        }
        Ok(Err(Failure::Config(error))) => {
            let rendered = report::render_diagnostics_plain(&error.db, &error.diagnostics);
            eprint!("{rendered}");
            eprintln!("p3plint: lint.toml has errors; nothing was checked");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("p3plint: internal error (this is a bug; please report it with the input)");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Explain {
            policy,
            output_format,
        } => explain_policy(&policy, output_format),
        Command::Rule {
            rule,
            all,
            output_format,
        } => show_rules(rule.as_deref(), all, output_format),
        Command::Ie6 {
            policy,
            output_format,
        } => ie6_table(&policy, output_format),
        Command::Server => p3plint::lsp::run()
            .map(|ending| match ending {
                p3plint::lsp::Ending::Clean => 0,
                p3plint::lsp::Ending::ExitWithoutShutdown => 1,
            })
            .map_err(|err| Failure::Message(format!("language server: {err}"))),
        Command::Derive { policy_file } => declaration_command(&policy_file, false),
        Command::Describe { policy_file } => declaration_command(&policy_file, true),
    }
}

fn check(args: CheckArgs) -> Result<u8, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|err| Failure::Message(format!("cannot read the working directory: {err}")))?;
    let mut config = Config::discover(args.config.as_deref(), &cwd).map_err(Failure::Config)?;
    apply_selection(&mut config.rules, &args.select, &args.ignore)?;
    config.respect_ignore_files = !args.no_ignore;
    let listings = [
        (args.show_dynamic, RuleId::DynamicPolicy),
        (args.show_policies, RuleId::EmittedPolicy),
    ];
    for (wanted, id) in listings {
        if wanted {
            config.rules.enable(registry().rule(id));
        }
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let report = lint_or_fail(&paths, &config)?;
    let report = if args.fix {
        let applied = p3plint::fix::apply(&report, args.unsafe_fixes);
        for (path, reason) in &applied.failures {
            eprintln!("p3plint: could not write {}: {reason}", path.display());
        }
        if applied.fixes > 0 {
            eprintln!(
                "Fixed {} finding{} in {} file{}.",
                applied.fixes,
                if applied.fixes == 1 { "" } else { "s" },
                applied.files.len(),
                if applied.files.len() == 1 { "" } else { "s" }
            );
        }
        // Report what is left, from the files as they are now.
        lint_or_fail(&paths, &config)?
    } else {
        report
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let mut out = report::render(&report, args.output_format, color);
    if matches!(args.output_format, Format::Full | Format::Concise) {
        out.push_str(&report::summary(&report));
        out.push('\n');
    }
    print(&out)?;
    let warned = report
        .diagnostics
        .iter()
        .any(|d| d.severity == p3plint::diagnostic::Severity::Warning);
    Ok(match (args.exit_zero, args.error_on_warning && warned) {
        (true, _) => 0,
        (false, true) => 1,
        (false, false) => report::exit_code(&report),
    })
}

fn lint_or_fail(paths: &[PathBuf], config: &Config) -> Result<p3plint::Report, Failure> {
    match p3plint::lint(paths, config) {
        Ok(report) => Ok(report),
        Err(RunError::MissingPath(path)) => Err(Failure::Message(format!(
            "{}: no such file or directory",
            path.display()
        ))),
        Err(RunError::PolicyUnusable(report)) => {
            eprint!("{}", report::render(&report, Format::Full, false));
            Err(Failure::Message(
                "the policy lint.toml names cannot be used; nothing was checked".into(),
            ))
        }
    }
}

/// Applies `--select` and `--ignore`. Unknown selectors stop the run with a suggestion.
fn apply_selection(
    settings: &mut RuleSettings,
    select: &[String],
    ignore: &[String],
) -> Result<(), Failure> {
    if !select.is_empty() {
        let rules = resolve_selectors(select)?;
        settings.select(&rules);
    }
    for rule in resolve_selectors(ignore)? {
        settings.set(rule, None);
    }
    Ok(())
}

fn resolve_selectors(selectors: &[String]) -> Result<Vec<&'static Rule>, Failure> {
    let mut rules = Vec::new();
    for selector in selectors.iter().filter(|s| !s.trim().is_empty()) {
        let selected = registry()
            .select(selector)
            .map_err(|unknown| Failure::Message(unknown.to_string()))?;
        rules.extend(selected);
    }
    Ok(rules)
}

fn explain_policy(policy: &str, format: TextFormat) -> Result<u8, Failure> {
    let explanation = explain::explain(policy);
    if explanation.policy.is_none() {
        return Err(Failure::Message(format!(
            "no compact policy found in `{policy}`"
        )));
    }
    match format {
        TextFormat::Text => {
            let mut out = explain::table(&explanation.rows);
            if !explanation.report.diagnostics.is_empty() {
                out.push('\n');
                out.push_str(&report::render_diagnostics_plain(
                    &explanation.report.db,
                    &explanation.report.diagnostics,
                ));
            }
            print(&out)?;
        }
        TextFormat::Json => {
            let rows: Vec<_> = explanation
                .rows
                .iter()
                .map(|row| {
                    serde_json::json!({
                        "field": row.field,
                        "kind": row.kind,
                        "consent": row.consent,
                        "meaning": row.meaning,
                        "problems": row.problems,
                    })
                })
                .collect();
            let diagnostics: serde_json::Value =
                serde_json::from_str(&report::render(&explanation.report, Format::Json, false))
                    .unwrap_or_default();
            let value = serde_json::json!({ "tokens": rows, "diagnostics": diagnostics });
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            ))?;
        }
    }
    Ok(0)
}

/// `derive` and `describe`: findings about the declaration go to stderr, the result to stdout.
fn declaration_command(path: &std::path::Path, describe: bool) -> Result<u8, Failure> {
    if !path.is_file() {
        return Err(Failure::Message(format!(
            "{}: no such file",
            path.display()
        )));
    }
    let root = p3plint::policy_files::site_root(path);
    let loaded = p3plint::policy_files::load(path, &root, 0);
    let mut db = p3plint::source::SourceDb::default();
    for file in &loaded.files {
        db.add(file.clone());
    }
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(p3plint::check::declared::check_declaration(
        &loaded.declaration,
    ));
    let diagnostics = RuleSettings::default().resolve(diagnostics);
    if !diagnostics.is_empty() {
        eprint!("{}", report::render_diagnostics_plain(&db, &diagnostics));
    }
    if !loaded.usable {
        return Err(Failure::Message(format!(
            "{}: no policy could be read",
            path.display()
        )));
    }
    let policies = &loaded.declaration.policies;
    let out = if describe {
        p3plint::describe::describe(policies, &loaded.derived)
    } else {
        policies
            .iter()
            .zip(&loaded.derived)
            .map(|(policy, derived)| match (&policy.name, policies.len()) {
                (Some(name), 2..) => format!("{name}: CP=\"{}\"\n", derived.text()),
                _ => format!("CP=\"{}\"\n", derived.text()),
            })
            .collect()
    };
    print(&report::printable(&out))?;
    Ok(0)
}

fn ie6_table(policy: &str, format: TextFormat) -> Result<u8, Failure> {
    let (_, parsed) = p3plint::parse_argument(policy);
    let evaluation = p3plint::ie6::evaluate(parsed.as_ref());
    let out = match format {
        TextFormat::Text => p3plint::ie6::render_text(parsed.as_ref(), &evaluation),
        TextFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&p3plint::ie6::render_json(&evaluation))
                .unwrap_or_default()
        ),
    };
    print(&out)?;
    Ok(0)
}

fn show_rules(rule: Option<&str>, all: bool, format: TextFormat) -> Result<u8, Failure> {
    let registry = registry();
    let rules: Vec<&Rule> = match (rule, all) {
        (Some(selector), _) => registry
            .select(selector)
            .map_err(|unknown| Failure::Message(unknown.to_string()))?,
        (None, true) => registry.rules().iter().collect(),
        (None, false) => {
            return Err(Failure::Message(
                "name a rule (`p3plint rule unknown-token`) or pass --all".into(),
            ));
        }
    };
    let out = match format {
        TextFormat::Text => rules
            .iter()
            .map(|rule| p3plint::rules::markdown(rule))
            .collect::<Vec<_>>()
            .join("\n"),
        TextFormat::Json => {
            let value: Vec<_> = rules
                .iter()
                .map(|rule| p3plint::rules::json(rule))
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
    };
    print(&out)?;
    Ok(0)
}

/// Writes to stdout. A closed pipe (`p3plint check | head`) ends output quietly; any other
/// write error (a full disk, `> /dev/full`) means the report was lost, so the run fails.
fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(Failure::Message(format!("cannot write the report: {err}"))),
    }
}
