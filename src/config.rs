//! lint.toml: discovery, parsing with spans, and validation into a `Config`.
//!
//! Every problem is collected as an `invalid-config` diagnostic pointing into the file, with a
//! did-you-mean for misspelt keys and rule names, before the run stops. `Config` has no
//! `Default`: the defaults live in `Config::defaults` and are documented in the repo's lint.toml.

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Rule, RuleId, registry};
use crate::source::{FileId, SourceDb, SourceFile, Span};
use crate::suggest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

pub const FILE_NAME: &str = "lint.toml";

/// Test directories and file names of the common frameworks: findings there are real text but
/// not deployed policies, so the summary shows them apart.
pub const DEFAULT_TESTS: &[&str] = &[
    "test",
    "tests",
    "spec",
    "specs",
    "__tests__",
    "*_test.*",
    "*_spec.*",
    "*.test.*",
    "*.spec.*",
    "test_*.py",
    "*Test.java",
    "*Tests.java",
    "*Test.cs",
    "*Tests.cs",
];

/// Where frameworks serve static files from (Rails and Laravel `public/`, Apache `htdocs/`,
/// ASP.NET `wwwroot/`, ...): a site's `w3c/p3p.xml` lives there, not at the repository root.
pub const DEFAULT_WEB_ROOTS: &[&str] = &[
    "public",
    "public_html",
    "htdocs",
    "www",
    "wwwroot",
    "web",
    "static",
    "webapp",
    "src/main/webapp",
];

/// Default exclusions: version control, build output, vendored packages.
pub const DEFAULT_EXCLUDE: &[&str] = &[".git", "target", "node_modules"];

/// A lint.toml is a few hundred bytes; one past this is refused unread.
const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

pub use crate::files::DEFAULT_MAX_FILE_SIZE;

/// The settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory include/exclude patterns are relative to: lint.toml's, or the working one.
    pub root: PathBuf,
    /// The lint.toml in force, if any.
    pub file: Option<PathBuf>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Whether `.gitignore`, `.ignore` and `.git/info/exclude` are honoured and hidden
    /// directories skipped while walking (off with `--no-ignore`).
    pub respect_ignore_files: bool,
    /// Whether files named on the command line are filtered as walked files are
    /// (`--force-exclude`).
    pub force_exclude: bool,
    /// `[paths] tests`: globs of test files, whose findings the summary counts apart.
    pub tests: Vec<String>,
    pub max_file_size: u64,
    pub rules: RuleSettings,
    /// `[policy] file`: the declaration, resolved against `root`.
    pub policy_file: Option<PathBuf>,
    /// The policy was named on the command line (`check --policy`): the user chose the file, so
    /// it is read wherever it is, like a checked path.
    pub policy_named: bool,
    /// Keep the text of checked files with findings (source snippets, `--fix`). Machine output
    /// needs positions only, and drops the texts as files finish.
    pub keep_sources: bool,
    /// `[policy] web-roots`: directories under a checked directory where the site's files are
    /// served from, searched for `w3c/p3p.xml` after the checked directory itself.
    pub web_roots: Vec<String>,
    /// `[policy] map`: path glob (relative to `root`) -> policy name, for sites with several.
    pub policy_map: Vec<(String, String)>,
}

/// lint.toml could not be used. The database holds the file the diagnostics point into.
#[derive(Debug)]
pub struct ConfigError {
    pub db: SourceDb,
    pub diagnostics: Vec<Diagnostic>,
}

impl Config {
    /// `root` as an absolute path (an empty root is the working directory).
    pub fn absolute_root(&self) -> PathBuf {
        let root = if self.root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            self.root.as_path()
        };
        std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf())
    }

    /// The settings used when there is no lint.toml.
    pub fn defaults(root: PathBuf) -> Config {
        Config {
            root,
            file: None,
            include: Vec::new(),
            exclude: DEFAULT_EXCLUDE.iter().map(|s| s.to_string()).collect(),
            tests: DEFAULT_TESTS.iter().map(|s| s.to_string()).collect(),
            respect_ignore_files: true,
            force_exclude: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            rules: RuleSettings::default(),
            policy_file: None,
            policy_named: false,
            keep_sources: true,
            web_roots: DEFAULT_WEB_ROOTS.iter().map(|s| s.to_string()).collect(),
            policy_map: Vec::new(),
        }
    }

    /// Finds and loads the config: `explicit` if given, else the nearest lint.toml from `cwd`
    /// upward, else the defaults.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigError> {
        Config::discover_from(explicit, cwd, cwd)
    }

    /// Finds and loads the config for a run over paths under `start` (a checked directory, or a
    /// checked file's directory): `explicit` if given, else the nearest lint.toml from `start`
    /// upward, else the defaults. As ruff finds its config, so `p3plint check /some/project`
    /// and a pre-commit hook naming files use the project's lint.toml wherever they run.
    pub fn discover_from(
        explicit: Option<&Path>,
        start: &Path,
        cwd: &Path,
    ) -> Result<Config, ConfigError> {
        let start = cwd.join(start);
        let file = match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => start
                .ancestors()
                .find(|dir| dir.join(FILE_NAME).is_file())
                .map(|dir| relative_to(dir, cwd).join(FILE_NAME)),
        };
        match file {
            Some(file) => Config::load(&file, cwd),
            None => Ok(Config::defaults(cwd.to_path_buf())),
        }
    }

    /// Loads one lint.toml.
    pub fn load(path: &Path, cwd: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text = match crate::files::read(&cwd.join(path), MAX_CONFIG_SIZE) {
            Ok(bytes) => match crate::source::decode(bytes) {
                Ok(text) => text,
                Err(offset) => {
                    return Err(single_error(
                        &name,
                        format!("{name} is not UTF-8 (first invalid byte at offset {offset})"),
                    ));
                }
            },
            Err(err) => {
                return Err(single_error(&name, format!("cannot read {name}: {err}")));
            }
        };
        // The root stays as relative as the path was given, so the files it names are shown
        // the way the user wrote them.
        let root = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        Config::parse(&name, &text, root, Some(path.to_path_buf()))
    }

    /// Parses lint.toml text. Sans-IO, so tests can drive it directly.
    pub fn parse(
        name: &str,
        text: &str,
        root: PathBuf,
        file: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        let mut db = SourceDb::default();
        let file_id = db.add(SourceFile::new(name, text));
        let mut config = Config::defaults(root);
        config.file = file;
        let mut validator = Validator {
            file: file_id,
            diagnostics: Vec::new(),
        };
        let (table, errors) = DeTable::parse_recoverable(text);
        for error in &errors {
            let span = error.span().unwrap_or(0..0);
            validator.error(span, error.message().trim().to_string());
        }
        // After a syntax error the recovered table misplaces keys; judging them would only add
        // noise about keys that are fine once the syntax is.
        if errors.is_empty() {
            validator.top_level(table.get_ref(), &mut config);
        }
        validator
            .diagnostics
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        if validator.diagnostics.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError {
                db,
                diagnostics: validator.diagnostics,
            })
        }
    }
}

/// `dir` as the user would type it from `cwd`: `..`s when it is above, a relative path when it
/// is below, else as it is; so the files lint.toml names are shown that way too.
fn relative_to(dir: &Path, cwd: &Path) -> PathBuf {
    if let Ok(below) = dir.strip_prefix(cwd) {
        return below.to_path_buf();
    }
    if let Ok(rest) = cwd.strip_prefix(dir) {
        return rest.components().map(|_| Path::new("..")).collect();
    }
    dir.to_path_buf()
}

fn single_error(name: &str, message: String) -> ConfigError {
    let mut db = SourceDb::default();
    let file = db.add(SourceFile::new(name, ""));
    ConfigError {
        db,
        diagnostics: vec![Diagnostic::new(RuleId::InvalidConfig, file, 0..0, message)],
    }
}

struct Validator {
    file: FileId,
    diagnostics: Vec<Diagnostic>,
}

type Entry<'a> = (
    &'a toml::Spanned<toml::de::DeString<'a>>,
    &'a toml::Spanned<DeValue<'a>>,
);

impl Validator {
    fn error(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diagnostics.push(Diagnostic::new(
            RuleId::InvalidConfig,
            self.file,
            span,
            message,
        ));
        self.diagnostics.last_mut().expect("just pushed")
    }

    fn unknown_key(&mut self, key: Entry<'_>, section: &str, known: &[&str]) {
        let (key, _) = key;
        let diagnostic = self.error(
            key.span(),
            format!("unknown key `{}` in {section}", key.get_ref()),
        );
        diagnostic.primary.message = "unknown key".into();
        diagnostic.help = Some(
            match suggest::closest(key.get_ref(), known.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("known keys: {}", known.join(", ")),
            },
        );
    }

    fn table<'a>(
        &mut self,
        name: &str,
        value: &'a toml::Spanned<DeValue<'a>>,
    ) -> Option<&'a DeTable<'a>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.error(value.span(), format!("`{name}` must be a table"));
                None
            }
        }
    }

    fn top_level(&mut self, table: &DeTable<'_>, config: &mut Config) {
        const KNOWN: &[&str] = &["paths", "rules", "ie6", "policy"];
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "paths" => {
                    if let Some(table) = self.table("paths", value) {
                        self.paths(table, config);
                    }
                }
                "rules" => {
                    if let Some(table) = self.table("rules", value) {
                        self.rules(table, config);
                    }
                }
                "ie6" => {
                    if let Some(table) = self.table("ie6", value) {
                        self.ie6(table, config);
                    }
                }
                "policy" => {
                    if let Some(table) = self.table("policy", value) {
                        self.policy(table, config);
                    }
                }
                _ => self.unknown_key((key, value), "lint.toml", KNOWN),
            }
        }
    }

    fn paths(&mut self, table: &DeTable<'_>, config: &mut Config) {
        const KNOWN: &[&str] = &["include", "exclude", "tests", "max-file-size"];
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "include" => config.include = self.globs("paths.include", value),
                "exclude" => config.exclude = self.globs("paths.exclude", value),
                "tests" => config.tests = self.globs("paths.tests", value),
                "max-file-size" => match value.get_ref() {
                    DeValue::Integer(integer) => {
                        let digits = integer.as_str().replace('_', "");
                        match u64::from_str_radix(&digits, integer.radix()) {
                            Ok(size) if size > 0 => config.max_file_size = size,
                            _ => {
                                self.error(
                                    value.span(),
                                    "`paths.max-file-size` must be a positive number of bytes",
                                );
                            }
                        }
                    }
                    _ => {
                        self.error(
                            value.span(),
                            "`paths.max-file-size` must be an integer (bytes)",
                        );
                    }
                },
                _ => self.unknown_key((key, value), "[paths]", KNOWN),
            }
        }
    }

    fn globs(&mut self, name: &str, value: &toml::Spanned<DeValue<'_>>) -> Vec<String> {
        let DeValue::Array(items) = value.get_ref() else {
            self.error(
                value.span(),
                format!("`{name}` must be an array of glob strings"),
            );
            return Vec::new();
        };
        let mut globs = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(glob) => match globset::Glob::new(glob) {
                    Ok(_) => globs.push(glob.to_string()),
                    Err(err) => {
                        self.error(item.span(), format!("invalid glob: {}", err.kind()));
                    }
                },
                _ => {
                    self.error(item.span(), format!("`{name}` entries must be strings"));
                }
            }
        }
        globs
    }

    fn rules(&mut self, table: &DeTable<'_>, config: &mut Config) {
        for (key, value) in table.iter() {
            let name = key.get_ref();
            let rules = match registry().select(name) {
                Ok(rules) => rules,
                Err(unknown) => {
                    let diagnostic = self.error(key.span(), format!("unknown rule `{name}`"));
                    diagnostic.primary.message = "no rule has this code or name".into();
                    diagnostic.help = Some(unknown.help());
                    continue;
                }
            };
            let level = match value.get_ref() {
                DeValue::String(level) => level.as_ref(),
                _ => "",
            };
            match (level, Severity::parse(level)) {
                ("off", _) => rules.iter().for_each(|rule| config.rules.set(rule, None)),
                (_, Some(severity)) => rules
                    .iter()
                    .for_each(|rule| config.rules.set(rule, Some(severity))),
                (_, None) => {
                    let diagnostic =
                        self.error(value.span(), format!("invalid level for rule `{name}`"));
                    diagnostic.help =
                        Some("use \"error\", \"warning\", \"info\" or \"off\"".into());
                }
            }
        }
    }

    fn policy(&mut self, table: &DeTable<'_>, config: &mut Config) {
        const KNOWN: &[&str] = &["file", "map", "web-roots"];
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "file" => match value.get_ref() {
                    DeValue::String(path) => {
                        let path = config.root.join(path.as_ref());
                        if !path.is_file() {
                            self.error(
                                value.span(),
                                format!("the policy file {} does not exist", path.display()),
                            )
                            .primary
                            .message = "no such file".into();
                        }
                        config.policy_file = Some(path);
                    }
                    _ => {
                        self.error(value.span(), "`policy.file` must be a path string");
                    }
                },
                "web-roots" => config.web_roots = self.globs("policy.web-roots", value),
                "map" => match value.get_ref() {
                    DeValue::Table(map) => {
                        for (glob, name) in map.iter() {
                            if let Err(err) = globset::Glob::new(glob.get_ref()) {
                                self.error(glob.span(), format!("invalid glob: {}", err.kind()));
                            }
                            match name.get_ref() {
                                DeValue::String(name) => config
                                    .policy_map
                                    .push((glob.get_ref().to_string(), name.to_string())),
                                _ => {
                                    self.error(name.span(), "a policy name must be a string");
                                }
                            }
                        }
                    }
                    _ => {
                        self.error(
                            value.span(),
                            "`policy.map` must be a table of glob = \"policy name\"",
                        );
                    }
                },
                _ => self.unknown_key((key, value), "[policy]", KNOWN),
            }
        }
    }

    fn ie6(&mut self, table: &DeTable<'_>, config: &mut Config) {
        const KNOWN: &[&str] = &["context"];
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "context" => match value.get_ref() {
                    DeValue::String(text) if text == "first-party" => {
                        config.rules.ie6_context = crate::ie6::Party::FirstParty;
                    }
                    DeValue::String(text) if text == "third-party" => {
                        config.rules.ie6_context = crate::ie6::Party::ThirdParty;
                    }
                    _ => {
                        self.error(value.span(), "invalid `ie6.context`").help =
                            Some("use \"first-party\" or \"third-party\"".into());
                    }
                },
                _ => self.unknown_key((key, value), "[ie6]", KNOWN),
            }
        }
    }
}

/// Which rules run and at what severity: rule defaults overridden by lint.toml and the CLI.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    /// Explicit choices by rule code: `None` turns the rule off.
    overrides: HashMap<String, Option<Severity>>,
    /// When set, only these rule codes run (`--select`).
    selected: Option<Vec<String>>,
    /// The browser context `ie6-cookies-restricted` evaluates (lint.toml `[ie6] context`).
    pub ie6_context: crate::ie6::Party,
    /// By rule index: whether it runs, and the severity the user chose; and the rules that run.
    /// Computed on first use (every policy asks), cleared by every change above.
    resolved: std::sync::OnceLock<Resolved>,
}

#[derive(Debug, Clone)]
struct Resolved {
    by_index: Vec<(bool, Option<Severity>)>,
    enabled: Vec<&'static Rule>,
}

impl Default for RuleSettings {
    /// Every rule at its default, IE evaluated in a first-party context.
    fn default() -> RuleSettings {
        RuleSettings {
            overrides: HashMap::new(),
            selected: None,
            ie6_context: crate::ie6::Party::FirstParty,
            resolved: std::sync::OnceLock::new(),
        }
    }
}

impl RuleSettings {
    /// Sets a rule's severity, or turns it off with `None`.
    pub fn set(&mut self, rule: &Rule, severity: Option<Severity>) {
        self.overrides.insert(rule.code.clone(), severity);
        self.resolved = std::sync::OnceLock::new();
    }

    /// Runs only these rules (and turns them on even if they are off by default).
    pub fn select(&mut self, rules: &[&Rule]) {
        let codes = rules.iter().map(|rule| rule.code.clone());
        self.selected.get_or_insert_with(Vec::new).extend(codes);
        self.resolved = std::sync::OnceLock::new();
    }

    /// Applies `--select` and `--ignore` (selectors as `Registry::select` reads them).
    pub fn apply_selectors(
        &mut self,
        select: &[String],
        ignore: &[String],
    ) -> Result<(), crate::rules::UnknownSelector> {
        let resolve = |selectors: &[String]| -> Result<Vec<&'static Rule>, _> {
            let mut rules = Vec::new();
            for selector in selectors.iter().filter(|s| !s.trim().is_empty()) {
                rules.extend(registry().select(selector)?);
            }
            Ok(rules)
        };
        if !select.is_empty() {
            self.select(&resolve(select)?);
        }
        for rule in resolve(ignore)? {
            self.set(rule, None);
        }
        Ok(())
    }

    /// Turns a rule on at its default severity, in addition to whatever else runs.
    pub fn enable(&mut self, rule: &Rule) {
        self.overrides
            .insert(rule.code.clone(), Some(rule.severity));
        if let Some(selected) = &mut self.selected {
            selected.push(rule.code.clone());
        }
        self.resolved = std::sync::OnceLock::new();
    }

    /// Whether each rule runs, and the severity the user chose for it, by rule index.
    fn resolved(&self) -> &Resolved {
        self.resolved.get_or_init(|| {
            let by_index: Vec<(bool, Option<Severity>)> = registry()
                .rules()
                .iter()
                .map(|rule| {
                    let chosen = self.overrides.get(&rule.code);
                    let enabled = match &self.selected {
                        Some(selected) => selected.contains(&rule.code) && chosen != Some(&None),
                        None => chosen.map_or(rule.enabled_by_default, Option::is_some),
                    };
                    (enabled, chosen.copied().flatten())
                })
                .collect();
            let enabled = registry()
                .rules()
                .iter()
                .zip(&by_index)
                .filter(|(_, (enabled, _))| *enabled)
                .map(|(rule, _)| rule)
                .collect();
            Resolved { by_index, enabled }
        })
    }

    /// The rule's entry in `resolved`, found by its id (the registry's index).
    fn resolution(&self, rule: &Rule) -> (bool, Option<Severity>) {
        let resolved = &self.resolved().by_index;
        match registry().rules().get(rule.id as usize) {
            Some(indexed) if indexed.id == rule.id => resolved[rule.id as usize],
            _ => registry()
                .rules()
                .iter()
                .position(|r| r.id == rule.id)
                .map_or((false, None), |index| resolved[index]),
        }
    }

    pub fn is_enabled(&self, rule: &Rule) -> bool {
        self.resolution(rule).0
    }

    /// Drops findings of disabled rules and applies explicit severities. A rule's own severity
    /// nuance (a tolerated form reported as a warning) stands unless the user chose one.
    pub fn resolve(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter(|diagnostic| self.is_enabled(diagnostic.rule))
            .map(|mut diagnostic| {
                if let (_, Some(severity)) = self.resolution(diagnostic.rule) {
                    diagnostic.severity = severity;
                }
                diagnostic
            })
            .collect()
    }

    /// The enabled rules, in registry order.
    pub fn enabled_rules(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.resolved().enabled.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(String, String)> {
        match Config::parse("lint.toml", text, PathBuf::from("."), None) {
            Ok(_) => Vec::new(),
            Err(err) => err
                .diagnostics
                .iter()
                .map(|d| {
                    let file = err.db.get(d.primary.file);
                    (
                        d.message.clone(),
                        file.text[d.primary.span.clone()].to_string(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn accepts_every_documented_key() {
        let text = "[paths]\ninclude = [\"src/**\"]\nexclude = [\"target\"]\nmax-file-size = 1_000\n\
                    [rules]\nCP101 = \"warning\"\nduplicate-token = \"off\"\n[ie6]\ncontext = \"third-party\"\n";
        let config = Config::parse("lint.toml", text, PathBuf::from("."), None).unwrap();
        assert_eq!(config.max_file_size, 1000);
        assert_eq!(config.rules.ie6_context, crate::ie6::Party::ThirdParty);
        assert!(!config.rules.is_enabled(registry().get("CP003").unwrap()));
    }

    #[test]
    fn reports_every_problem_with_its_span() {
        let found = errors(
            "[paths]\nexlude = []\nmax-file-size = \"big\"\n[rules]\nunknown-tokn = \"error\"\nCP001 = \"loud\"\n",
        );
        assert_eq!(
            found,
            [
                (
                    "unknown key `exlude` in [paths]".to_string(),
                    "exlude".to_string()
                ),
                (
                    "`paths.max-file-size` must be an integer (bytes)".to_string(),
                    "\"big\"".to_string()
                ),
                (
                    "unknown rule `unknown-tokn`".to_string(),
                    "unknown-tokn".to_string()
                ),
                (
                    "invalid level for rule `CP001`".to_string(),
                    "\"loud\"".to_string()
                ),
            ]
        );
    }

    #[test]
    fn syntax_errors_have_spans() {
        let found = errors("[paths\ninclude = 1\n");
        assert!(!found.is_empty());
    }
}
