//! Stage 1, discover: walk the given paths and list the files to check, sorted by path.
//!
//! This is the only module that walks directories. Symbolic links are followed, and a link that
//! loops back to an ancestor is reported, not followed. Files over the size limit are listed with
//! the problem instead of a kind, so the report can say why they were skipped.

use crate::config::Config;
use crate::extract::FileKind;
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One path of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as shown in the report (as given on the command line, joined with the walk).
    pub path: PathBuf,
    pub status: InputStatus,
    /// Matched by `[paths] tests`.
    pub in_tests: bool,
}

/// Whether a path can be read, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputStatus {
    Read(FileKind),
    TooLarge {
        size: u64,
        limit: u64,
    },
    Unreadable(String),
    /// A symbolic link met while walking that leads outside the walked directory: not followed,
    /// so a checked tree cannot make p3plint read (and print) files elsewhere.
    LinkOutside,
}

/// A path named on the command line does not exist: the run cannot go on.
#[derive(Debug)]
pub struct MissingPath(pub PathBuf);

/// Lists the inputs under `paths`, sorted and without duplicates.
pub fn discover(paths: &[PathBuf], config: &Config) -> Result<Vec<Input>, MissingPath> {
    let filter = Arc::new(PathFilter::new(config));
    let mut inputs = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|_| MissingPath(path.clone()))?;
        if !metadata.is_file() && !metadata.is_dir() {
            inputs.push(Input {
                path: path.clone(),
                status: InputStatus::Unreadable(crate::files::ReadError::NotRegular.to_string()),
                in_tests: false,
            });
            continue;
        }
        if metadata.is_file() {
            // Named files are checked whatever their name or the exclusions say, unless
            // --force-exclude asks to filter them as walked files are (a pre-commit hook names
            // every staged file, and lint.toml's exclusions must still hold).
            let walked_kind = FileKind::for_path(path);
            if config.force_exclude
                && (walked_kind.is_none() || filter.is_excluded(path) || !filter.is_included(path))
            {
                continue;
            }
            let kind = walked_kind.unwrap_or(FileKind::Text);
            inputs.push(sized(
                path.clone(),
                metadata.len(),
                kind,
                config.max_file_size,
            ));
            continue;
        }
        // A walk under an excluded directory finds nothing: every path below has that
        // component. Checked once here, so the walk matches each entry's own name only.
        if filter.excludes_above(path) {
            continue;
        }
        let root = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        let outside = Arc::new(Mutex::new(Vec::new()));
        let walk_filter = Arc::clone(&filter);
        let walk_outside = Arc::clone(&outside);
        let respect_ignore_files = config.respect_ignore_files;
        let walk = WalkBuilder::new(path)
            .follow_links(true)
            .standard_filters(false)
            .git_ignore(respect_ignore_files)
            .git_exclude(respect_ignore_files)
            .ignore(respect_ignore_files)
            .parents(respect_ignore_files)
            // As in ripgrep, .gitignore counts inside a git repository only, so a stray ignore
            // file above a checkout cannot hide the tree; `.ignore` counts anywhere.
            .require_git(true)
            .threads(
                std::thread::available_parallelism()
                    .map_or(2, |n| n.get())
                    .min(8),
            )
            .filter_entry(move |entry| {
                if entry.depth() == 0 {
                    return true;
                }
                if walk_filter.is_excluded_entry(entry.path(), entry.file_name()) {
                    return false;
                }
                // Hidden directories (`.cache/`, `.venv/`) are tool state, not the site; hidden
                // files such as `.htaccess` are read.
                let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
                if respect_ignore_files
                    && is_dir
                    && entry.file_name().as_encoded_bytes().starts_with(b".")
                {
                    return false;
                }
                let leaves = entry.path_is_symlink()
                    && std::fs::canonicalize(entry.path())
                        .is_ok_and(|target| !target.starts_with(&root));
                if leaves && let Ok(mut outside) = walk_outside.lock() {
                    outside.push(Input {
                        path: entry.path().to_path_buf(),
                        status: InputStatus::LinkOutside,
                        in_tests: false,
                    });
                }
                !leaves
            })
            .build_parallel();
        // ripgrep's parallel walker: directories are read on every core; the list is sorted
        // below, so the order the threads find files in does not matter.
        let found = Mutex::new(Vec::new());
        walk.run(|| {
            let filter = Arc::clone(&filter);
            let found = &found;
            let max_file_size = config.max_file_size;
            Box::new(move |entry| {
                let input = match entry {
                    Ok(entry) if entry.file_type().is_some_and(|kind| kind.is_file()) => {
                        let Some(kind) = FileKind::for_path(entry.path()) else {
                            return ignore::WalkState::Continue;
                        };
                        if !filter.is_included(entry.path()) {
                            return ignore::WalkState::Continue;
                        }
                        let size = entry.metadata().map_or(0, |metadata| metadata.len());
                        sized(entry.path().to_path_buf(), size, kind, max_file_size)
                    }
                    Ok(_) => return ignore::WalkState::Continue,
                    Err(err) => walk_error(path, &err),
                };
                if let Ok(mut found) = found.lock() {
                    found.push(input);
                }
                ignore::WalkState::Continue
            })
        });
        if let Ok(mut found) = found.into_inner() {
            inputs.append(&mut found);
        }
        if let Ok(mut outside) = outside.lock() {
            inputs.append(&mut outside);
        }
    }
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    inputs.dedup_by(|a, b| a.path == b.path);
    for input in &mut inputs {
        input.in_tests = filter.is_test(&input.path);
    }
    Ok(inputs)
}

fn sized(path: PathBuf, size: u64, kind: FileKind, limit: u64) -> Input {
    let status = if size > limit {
        InputStatus::TooLarge { size, limit }
    } else {
        InputStatus::Read(kind)
    };
    Input {
        path,
        status,
        in_tests: false,
    }
}

fn walk_error(root: &Path, err: &ignore::Error) -> Input {
    /// The innermost error, with the path it happened at.
    fn unwrap<'e>(
        err: &'e ignore::Error,
        path: Option<&'e Path>,
    ) -> (&'e ignore::Error, Option<&'e Path>) {
        match err {
            ignore::Error::WithPath { path, err } => unwrap(err, Some(path)),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                unwrap(err, path)
            }
            other => (other, path),
        }
    }
    let (inner, at) = unwrap(err, None);
    let (path, reason) = match inner {
        ignore::Error::Loop { ancestor, child } => (
            child.clone(),
            format!(
                "symbolic link loop: it points back to {}; not followed",
                ancestor.display()
            ),
        ),
        ignore::Error::Io(io) => (at.unwrap_or(root).to_path_buf(), io.to_string()),
        other => (at.unwrap_or(root).to_path_buf(), other.to_string()),
    };
    Input {
        path,
        status: InputStatus::Unreadable(reason),
        in_tests: false,
    }
}

/// lint.toml's include and exclude patterns. A pattern without `/` matches any single path
/// component (`target` excludes every `target` directory); one with `/` matches the path relative
/// to lint.toml's directory.
struct PathFilter {
    root: PathBuf,
    /// The working directory, read once: `std::path::absolute` asks the OS for it every time,
    /// and the filter runs for every entry of the walk.
    cwd: Option<PathBuf>,
    include: Option<(GlobSet, GlobSet)>,
    exclude: (GlobSet, GlobSet),
    tests: (GlobSet, GlobSet),
}

impl PathFilter {
    fn new(config: &Config) -> PathFilter {
        PathFilter {
            root: config.absolute_root(),
            cwd: std::env::current_dir().ok(),
            include: (!config.include.is_empty()).then(|| split_globs(&config.include)),
            exclude: split_globs(&config.exclude),
            tests: split_globs(&config.tests),
        }
    }

    fn relative<'p>(&self, path: &'p Path) -> std::borrow::Cow<'p, Path> {
        // The usual case, a path under the working directory when that is the project root:
        // the path itself, without its `./`, and nothing allocated for it.
        let under = path.strip_prefix(".").unwrap_or(path);
        let plain = || {
            under
                .components()
                .all(|component| matches!(component, std::path::Component::Normal(_)))
        };
        if cfg!(unix)
            && path.is_relative()
            && self.cwd.as_deref() == Some(self.root.as_path())
            && plain()
        {
            return std::borrow::Cow::Borrowed(under);
        }
        let absolute = match &self.cwd {
            // What `std::path::absolute` gives on Unix: joined to the working directory, `.`
            // components dropped, `..` kept.
            Some(cwd) if cfg!(unix) && path.is_relative() => cwd
                .join(path)
                .components()
                .filter(|component| *component != std::path::Component::CurDir)
                .collect(),
            _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
        };
        std::borrow::Cow::Owned(
            absolute
                .strip_prefix(&self.root)
                .map_or_else(|_| path.to_path_buf(), Path::to_path_buf),
        )
    }

    fn matches(&self, (components, paths): &(GlobSet, GlobSet), path: &Path) -> bool {
        let relative = self.relative(path);
        paths.is_match(&relative)
            || relative
                .components()
                .any(|component| components.is_match(component.as_os_str()))
    }

    fn is_excluded(&self, path: &Path) -> bool {
        self.matches(&self.exclude, path)
    }

    /// Whether a directory above the walked entries is excluded by a component pattern (then
    /// every entry below is).
    fn excludes_above(&self, walked: &Path) -> bool {
        let (components, _) = &self.exclude;
        self.relative(walked)
            .components()
            .any(|component| components.is_match(component.as_os_str()))
    }

    /// `is_excluded` for an entry of a walk whose ancestors were all let through: only its own
    /// name can match a component pattern, so the rest of its path is not matched again.
    fn is_excluded_entry(&self, path: &Path, name: &std::ffi::OsStr) -> bool {
        let (components, paths) = &self.exclude;
        components.is_match(name) || (!paths.is_empty() && paths.is_match(self.relative(path)))
    }

    fn is_test(&self, path: &Path) -> bool {
        self.matches(&self.tests, path)
    }

    fn is_included(&self, path: &Path) -> bool {
        self.include
            .as_ref()
            .is_none_or(|include| self.matches(include, path))
    }
}

/// Builds (component patterns, path patterns). Patterns were validated when lint.toml was
/// loaded; one that still fails to build is skipped rather than stopping the run.
fn split_globs(patterns: &[String]) -> (GlobSet, GlobSet) {
    let mut components = GlobSetBuilder::new();
    let mut paths = GlobSetBuilder::new();
    for pattern in patterns {
        let Ok(glob) = Glob::new(pattern) else {
            continue;
        };
        if pattern.contains('/') {
            paths.add(glob);
        } else {
            components.add(glob);
        }
    }
    let build = |builder: GlobSetBuilder| builder.build().unwrap_or_else(|_| GlobSet::empty());
    (build(components), build(paths))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_skips_excluded_and_unknown_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in ["b.rs", "a.html", "notes.md", "target/gen.rs", "sub/c.conf"] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let config = Config::defaults(root.to_path_buf());
        let inputs = discover(&[root.to_path_buf()], &config).unwrap();
        let names: Vec<_> = inputs
            .iter()
            .map(|input| {
                input
                    .path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.html", "b.rs", "sub/c.conf"]);
    }

    #[test]
    fn exclusions_hold_below_a_walked_directory_and_for_path_patterns() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "target/gen.rs",
            "src/a.rs",
            "src/gen/b.rs",
            "src/deep/target/c.rs",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let mut config = Config::defaults(root.to_path_buf());
        config.exclude.push("src/gen".into());
        let walked = |under: &str| -> Vec<String> {
            discover(&[root.join(under)], &config)
                .unwrap()
                .iter()
                .map(|input| {
                    let relative = input.path.strip_prefix(root).unwrap();
                    relative.to_string_lossy().into_owned()
                })
                .collect()
        };
        // Walking an excluded directory itself finds nothing below it, as walking its parent.
        assert!(walked("target").is_empty());
        assert!(walked("src/deep/target").is_empty());
        assert_eq!(walked("src"), ["src/a.rs"]);
        assert_eq!(walked(""), ["src/a.rs"]);
    }

    #[test]
    fn missing_path_is_an_error() {
        let config = Config::defaults(PathBuf::from("."));
        assert!(discover(&[PathBuf::from("/no/such/path/here")], &config).is_err());
    }
}
