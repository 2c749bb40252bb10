//! The `p3plint` command line: arguments to config, config to `lint()`, report to stdout, exit
//! status out. The only file that exits the process.
//!
//! Exit codes: 0 no error-level finding, 1 error-level findings, 2 could not run (bad arguments,
//! bad config, a missing path, an internal error).

/// mimalloc, chosen by measurement: the parsers allocate many small short-lived nodes, and the
/// system allocator spent a quarter of the run in malloc and free (ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (mimalloc.h); libmimalloc-sys names no
/// constant for it. A test checks the index against the option's documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc keeps freed pages for a second before returning them; a run frees each file's text
/// as it finishes, so that delay was most of the peak memory (dense tree, JSON: 103 -> 62 MiB,
/// same time). Freed pages now go back at once.
fn return_freed_memory_at_once() {
    // SAFETY: mimalloc documents options as settable at any time from any thread; the index is
    // checked by `purge_delay_is_the_option_set` below.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

use clap::{CommandFactory, Parser, Subcommand};
use p3plint::commands::{self, TextFormat};
use std::io::Write;
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
    Check(commands::CheckOptions),
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
    /// Print a record of processing activities (GDPR Art. 30(1)) made from a declaration: one
    /// entry per group, with the GD rules' findings to review beside it.
    Record {
        /// A policy file, a policy reference file, a TOML declaration or a policy document.
        policy_file: PathBuf,
        #[arg(long, value_enum, default_value_t = commands::RecordFormat::Markdown)]
        output_format: commands::RecordFormat,
    },
    /// Run the language server on stdin and stdout (for editors).
    Server,
    /// Print a completion script for a shell (e.g. `p3plint completions bash > p3plint.bash`).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), generated from this command line's definitions.
    Man,
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

/// A run that could not happen; printed to stderr, exit code 2.
enum Failure {
    Message(String),
    Command(commands::Failed),
}

fn main() -> ExitCode {
    return_freed_memory_at_once();
    let cli = Cli::parse();
    // A panic is a bug: say so in one line; the exit code below tells scripts.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("p3plint: internal error: {info}");
    }));
    let failure = match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(code)) => return ExitCode::from(code),
        Ok(Err(failure)) => failure,
        Err(_) => Failure::Message(
            "internal error (this is a bug; please report it with the input)".into(),
        ),
    };
    match failure {
        Failure::Message(message) => eprintln!("p3plint: {message}"),
        Failure::Command(failed) => {
            eprint!("{}", failed.stderr);
            eprintln!("p3plint: {}", failed.message);
        }
    }
    ExitCode::from(2)
}

fn run(cli: Cli) -> Result<u8, Failure> {
    let output = match cli.command {
        Command::Check(args) => return check(args),
        Command::Server => {
            return match p3plint::lsp::run() {
                Ok(p3plint::lsp::Ending::Clean) => Ok(0),
                Ok(p3plint::lsp::Ending::ExitWithoutShutdown) => Ok(1),
                Err(err) => Err(Failure::Message(format!("language server: {err}"))),
            };
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "p3plint", &mut out);
            Ok(text_output(out))
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|err| Failure::Message(format!("man page: {err}")))?;
            Ok(text_output(out))
        }
        Command::Explain {
            policy,
            output_format,
        } => commands::explain(&policy, output_format),
        Command::Ie6 {
            policy,
            output_format,
        } => Ok(commands::ie6(&policy, output_format)),
        Command::Derive { policy_file } => commands::declaration(&policy_file, false),
        Command::Describe { policy_file } => commands::declaration(&policy_file, true),
        Command::Record {
            policy_file,
            output_format,
        } => commands::record(&policy_file, output_format),
        Command::Rule {
            rule,
            all,
            output_format,
        } => commands::rules(rule.as_deref(), all, output_format),
    }
    .map_err(Failure::Command)?;
    eprint!("{}", output.stderr);
    print(&output.stdout)?;
    Ok(output.code)
}

fn check(options: commands::CheckOptions) -> Result<u8, Failure> {
    let checked = match commands::check(&options) {
        Ok(checked) => checked,
        Err(err) => {
            // A machine reading stdout (a SARIF upload, a JSON parser) is told too, in its
            // format; the write is best effort, since the run has failed already.
            if let Some(out) = err.machine_output(options.output_format) {
                let _ = match &options.output_file {
                    Some(path) => p3plint::fix::write_report(path, &out).is_ok(),
                    None => print(&out).is_ok(),
                };
            }
            return Err(Failure::Command(err.for_people()));
        }
    };
    eprint!("{}", checked.stderr);
    if let Some(files) = &checked.files {
        print(files)?;
        return Ok(0);
    }
    if let Some(diff) = &checked.diff {
        print(diff)?;
        return Ok(u8::from(!diff.is_empty()));
    }
    let out = commands::check_output(&checked.report, &options);
    match &options.output_file {
        Some(path) => p3plint::fix::write_report(path, &out)
            .map_err(|err| Failure::Message(format!("cannot write {}: {err}", path.display())))?,
        None => print(&out)?,
    }
    Ok(commands::check_exit_code(&checked.report, &options))
}

fn text_output(bytes: Vec<u8>) -> commands::Output {
    commands::Output {
        stdout: String::from_utf8_lossy(&bytes).into_owned(),
        ..commands::Output::default()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_is_the_option_set() {
        // SAFETY: reading an option has no preconditions.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // mimalloc v3's documented default purge delay, in milliseconds: the index is right.
        assert_eq!(default, 1000);
        return_freed_memory_at_once();
        // SAFETY: as above.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            0
        );
    }
}
