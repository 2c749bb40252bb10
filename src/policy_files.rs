//! Finds and reads the declaration: the file lint.toml names (`[policy] file`), or
//! `w3c/p3p.xml` under a checked directory, and the policy files a reference file names.
//!
//! Like `lib.rs` for sources, this module reads files; everything it reads becomes a
//! `SourceFile` so diagnostics can point into it.

use crate::declaration::{Declaration, Policy};
use crate::derive::{Derived, derive};
use crate::diagnostic::Diagnostic;
use crate::parse::{policy_toml, policy_xml};
use crate::source::{FileId, SourceFile, Span};
use std::path::{Path, PathBuf};

/// The well-known location of a site's policy reference file.
pub const WELL_KNOWN: &str = "w3c/p3p.xml";

/// Policies are small; a larger file is refused rather than parsed.
pub const MAX_POLICY_SIZE: u64 = crate::config::DEFAULT_MAX_FILE_SIZE;

/// A loaded declaration with the files it was read from.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The files read, in `FileId` order starting at the id given to `load`.
    pub files: Vec<SourceFile>,
    pub declaration: Declaration,
    /// The derived compact policy of each policy, in the same order.
    pub derived: Vec<Derived>,
    pub diagnostics: Vec<Diagnostic>,
    /// False when no policy could be read at all.
    pub usable: bool,
}

/// The declaration for a run: the configured file, or the first `w3c/p3p.xml` under a checked
/// directory.
pub fn find(configured: Option<&Path>, paths: &[PathBuf]) -> Option<PathBuf> {
    if let Some(path) = configured {
        return Some(path.to_path_buf());
    }
    paths
        .iter()
        .filter(|path| path.is_dir())
        .map(|dir| dir.join(WELL_KNOWN))
        .find(|candidate| candidate.is_file())
}

/// Reads the declaration at `path`; its files get ids from `first_id` on.
pub fn load(path: &Path, first_id: usize) -> Loaded {
    let mut loader = Loader {
        first_id,
        loaded: Loaded::default(),
        opened: Vec::new(),
        parsed_by_path: Vec::new(),
    };
    let Some((file, text)) = loader.open(path) else {
        return loader.loaded;
    };
    let is_toml = path.extension().is_some_and(|e| e == "toml");
    if is_toml {
        let parsed = policy_toml::parse(file, &text);
        loader.loaded.diagnostics.extend(parsed.diagnostics);
        loader.loaded.declaration.policies = parsed.policies;
    } else {
        let parsed = policy_xml::parse(file, &text);
        loader.loaded.diagnostics.extend(parsed.diagnostics);
        match parsed.references {
            Some(references) => {
                if references.is_empty() {
                    loader.loaded.diagnostics.push(
                        Diagnostic::new(
                            "empty-policy-reference",
                            file,
                            parsed.root_span.clone(),
                            "this policy reference file names no policy",
                        )
                        .with_help(
                            "add <POLICY-REFERENCES><POLICY-REF about=\"/w3c/policy.xml#name\">",
                        ),
                    );
                }
                for reference in references {
                    loader.follow(path, file, &parsed.policies, &reference);
                }
            }
            None => loader.loaded.declaration.policies = parsed.policies,
        }
    }
    let loaded = &mut loader.loaded;
    loaded.usable = !loaded.declaration.policies.is_empty();
    loaded.derived = loaded.declaration.policies.iter().map(derive).collect();
    loader.loaded
}

struct Loader {
    first_id: usize,
    loaded: Loaded,
    /// Files already read, so a file named by several references is read once.
    opened: Vec<(PathBuf, FileId)>,
    /// The policies of each policy file read.
    parsed_by_path: Vec<(PathBuf, Vec<Policy>)>,
}

impl Loader {
    fn open(&mut self, path: &Path) -> Option<(FileId, String)> {
        let id = FileId(self.first_id + self.loaded.files.len());
        let name = path.display().to_string();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        let problem = if size > MAX_POLICY_SIZE {
            format!(
                "{size} bytes: larger than any real policy ({MAX_POLICY_SIZE} bytes at most); not read"
            )
        } else {
            match std::fs::read(path).map(crate::source::decode) {
                Ok(Ok(text)) => {
                    self.loaded.files.push(SourceFile::new(name, text.clone()));
                    self.opened.push((path.to_path_buf(), id));
                    return Some((id, text));
                }
                Ok(Err(offset)) => format!(
                    "not UTF-8 (first invalid byte at offset {offset}); save the policy as UTF-8"
                ),
                Err(err) => format!("cannot read the policy: {err}"),
            }
        };
        // The file gets an id all the same, so the finding can name it.
        self.loaded.files.push(SourceFile::new(name, ""));
        self.loaded
            .diagnostics
            .push(Diagnostic::new("malformed-policy", id, 0..0, problem));
        None
    }
    /// Resolves one POLICY-REF and adds the policies it names.
    fn follow(
        &mut self,
        reference_path: &Path,
        reference_file: FileId,
        inline: &[Policy],
        reference: &policy_xml::PolicyRef,
    ) {
        let (target, fragment) = match reference.about.split_once('#') {
            Some((target, fragment)) => (target, Some(fragment)),
            None => (reference.about.as_str(), None),
        };
        let candidates: Vec<Policy> = if target.is_empty() {
            inline.to_vec()
        } else {
            let path = resolve(reference_path, target);
            let existing = self
                .opened
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, id)| *id);
            match existing {
                Some(_) => {
                    // Already read for another reference: take its policies again by name.
                    self.policies_of_opened(&path)
                }
                None => match std::fs::metadata(&path) {
                    Ok(_) => {
                        let Some((file, text)) = self.open(&path) else {
                            return;
                        };
                        let policies = if path.extension().is_some_and(|e| e == "toml") {
                            let parsed = policy_toml::parse(file, &text);
                            self.loaded.diagnostics.extend(parsed.diagnostics);
                            parsed.policies
                        } else {
                            let parsed = policy_xml::parse(file, &text);
                            self.loaded.diagnostics.extend(parsed.diagnostics);
                            parsed.policies
                        };
                        self.parsed_by_path.push((path.clone(), policies.clone()));
                        policies
                    }
                    Err(_) => {
                        self.missing(
                            reference_file,
                            reference.span.clone(),
                            format!(
                                "`{}` names {}, which does not exist",
                                reference.about,
                                path.display()
                            ),
                        );
                        return;
                    }
                },
            }
        };
        let chosen: Vec<Policy> = match fragment {
            Some(name) => candidates
                .into_iter()
                .filter(|policy| policy.name.as_deref() == Some(name))
                .collect(),
            None => candidates,
        };
        if chosen.is_empty() {
            let message = match fragment {
                Some(name) => format!(
                    "`{}` names policy `{name}`, and {} has none of that name",
                    reference.about,
                    if target.is_empty() {
                        "this file"
                    } else {
                        target
                    }
                ),
                None => format!("`{}` names a file with no policy", reference.about),
            };
            self.missing(reference_file, reference.span.clone(), message);
        }
        for policy in chosen {
            let known = self
                .loaded
                .declaration
                .policies
                .iter()
                .any(|p| p.file == policy.file && p.span == policy.span);
            if !known {
                self.loaded.declaration.policies.push(policy);
            }
        }
    }

    fn policies_of_opened(&self, path: &Path) -> Vec<Policy> {
        self.parsed_by_path
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, policies)| policies.clone())
            .unwrap_or_default()
    }

    fn missing(&mut self, file: FileId, span: Span, message: String) {
        self.loaded.diagnostics.push(
            Diagnostic::new("missing-policy", file, span, message).with_label("policy not found"),
        );
    }
}

/// Resolves an `about` target: `/x/y.xml` from the site root (the directory above `w3c/`, or
/// the reference file's directory), anything else from the reference file's directory.
fn resolve(reference_path: &Path, target: &str) -> PathBuf {
    let dir = reference_path.parent().unwrap_or(Path::new("."));
    match target.strip_prefix('/') {
        Some(absolute) => {
            let site_root = if dir.file_name().is_some_and(|n| n == "w3c") {
                dir.parent().unwrap_or(dir)
            } else {
                dir
            };
            site_root.join(absolute)
        }
        None => dir.join(target),
    }
}
