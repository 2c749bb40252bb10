//! Finds and reads the declaration: the file lint.toml names (`[policy] file`), or
//! `w3c/p3p.xml` under a checked directory, and the policy files a reference file names.
//!
//! Like `lib.rs` for sources, this module reads files; everything it reads becomes a
//! `SourceFile` so diagnostics can point into it.

use super::reader::SchemaDefinitions;
use super::{document, toml_reader, xml_reader};
use crate::declaration::derive::{Derived, derive};
use crate::declaration::{Declaration, Policy};
use crate::diagnostic::Diagnostic;
use crate::rules::RuleId;
use crate::source::{FileId, SourceFile, Span};
use std::path::{Path, PathBuf};

/// The well-known location of a site's policy reference file.
pub const WELL_KNOWN: &str = "w3c/p3p.xml";

/// Policies are small; a larger file is refused rather than parsed.
pub const MAX_POLICY_SIZE: u64 = crate::files::DEFAULT_MAX_FILE_SIZE;

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
    /// The canonical path of every file read, so a checked file can tell it is one of them.
    pub paths: Vec<PathBuf>,
}

impl Loaded {
    /// Whether `path` is one of the declaration's files.
    pub fn contains(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|canonical| self.paths.contains(&canonical))
    }
}

/// The declaration for a run: the configured file, or the first `w3c/p3p.xml` in a checked
/// directory or in one of its web roots (`public/w3c/p3p.xml`). For a checked file (a
/// pre-commit hook names files), its directory and those above it are searched too, up to
/// `ceiling` (the project root), so `check src/admin.rs` finds what `check .` finds.
pub fn find(
    configured: Option<&Path>,
    paths: &[PathBuf],
    web_roots: &[String],
    ceiling: &Path,
) -> Option<PathBuf> {
    if let Some(path) = configured {
        return Some(path.to_path_buf());
    }
    let within = |dir: &Path| {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::path::absolute(dir).is_ok_and(|absolute| absolute.starts_with(ceiling))
    };
    let dirs: Vec<PathBuf> = paths
        .iter()
        .flat_map(|path| -> Vec<PathBuf> {
            if path.is_dir() {
                return vec![path.clone()];
            }
            let parent = path.parent().unwrap_or(Path::new(""));
            parent
                .ancestors()
                .take_while(|dir| within(dir))
                .map(Path::to_path_buf)
                .collect()
        })
        .collect();
    let roots = std::iter::once("").chain(web_roots.iter().map(String::as_str));
    dirs.iter()
        .flat_map(|dir| {
            roots
                .clone()
                .map(move |root| dir.join(root).join(WELL_KNOWN))
        })
        .find(|candidate| candidate.is_file())
}

/// The site root of a policy file: the directory above `w3c/`, or the file's own directory.
/// `about="/x.xml"` is resolved from here, and nothing outside it is read.
pub fn site_root(policy_path: &Path) -> PathBuf {
    let dir = policy_path.parent().unwrap_or(Path::new("."));
    let root = if dir.file_name().is_some_and(|name| name == "w3c") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    root.to_path_buf()
}

/// Reads the declaration at `path` and the policy files it references, none of them outside
/// `root` (checked after symbolic links and `..` are resolved); its files get ids from
/// `first_id` on.
pub fn load(path: &Path, root: &Path, first_id: usize) -> Loaded {
    // An empty root (`w3c/p3p.xml` named from its site root) is the working directory.
    let root = if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        root
    };
    let mut loader = Loader {
        root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
        first_id,
        loaded: Loaded::default(),
        opened: Vec::new(),
    };
    let Some((file, text)) = loader.open(path, None) else {
        return loader.loaded;
    };
    let schemas = loader.schemas_for(path, file, &text);
    let read = Format::of(path, &text).read(file, &text, schemas);
    loader.loaded.diagnostics.extend(read.diagnostics);
    match read.references {
        Some(references) => {
            if references.is_empty() {
                loader.loaded.diagnostics.push(
                    Diagnostic::new(
                        RuleId::EmptyPolicyReference,
                        file,
                        read.root_span.clone(),
                        "this policy reference file names no policy",
                    )
                    .with_help(
                        "add <POLICY-REFERENCES><POLICY-REF about=\"/w3c/policy.xml#name\">",
                    ),
                );
            }
            for reference in references {
                loader.follow(path, file, &read.policies, &reference);
            }
        }
        None => loader.loaded.declaration.policies = read.policies,
    }
    let loaded = &mut loader.loaded;
    loaded.usable = !loaded.declaration.policies.is_empty();
    loaded.derived = loaded.declaration.policies.iter().map(derive).collect();
    loader.loaded
}

/// What a policy file holds, whatever its format.
struct Read {
    policies: Vec<Policy>,
    /// Present for a policy reference file.
    references: Option<Vec<xml_reader::PolicyRef>>,
    root_span: Span,
    diagnostics: Vec<Diagnostic>,
}

/// The declaration readers: adding one is a file beside these and an arm here.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// P3P 1.0 XML: a policy file, or a policy reference file.
    Xml,
    /// p3plint's TOML form.
    Toml,
    /// The human-readable policy a policy editor published (HTML, Markdown or text).
    Document,
}

impl Format {
    /// By content first: P3P XML starts with its root element, a document has the editor's
    /// framing; the extension decides the rest (`.toml`, else XML).
    fn of(path: &Path, text: &str) -> Format {
        let start = text.trim_start_matches('\u{feff}').trim_start();
        let xml_root = ["<?xml", "<POLICIES", "<POLICY", "<META", "<!--"]
            .iter()
            .any(|root| start.starts_with(root));
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if extension.eq_ignore_ascii_case("toml") {
            return Format::Toml;
        }
        if xml_root && !start.to_ascii_lowercase().contains("<html") {
            return Format::Xml;
        }
        if extension.eq_ignore_ascii_case("xml") || extension.eq_ignore_ascii_case("p3p") {
            return Format::Xml;
        }
        Format::Document
    }

    fn read(self, file: FileId, text: &str, schemas: Vec<(String, SchemaDefinitions)>) -> Read {
        match self {
            Format::Toml => {
                let parsed = toml_reader::parse(file, text);
                Read {
                    policies: parsed.policies,
                    references: None,
                    root_span: 0..0,
                    diagnostics: parsed.diagnostics,
                }
            }
            Format::Document => {
                let read = document::read(file, text);
                Read {
                    policies: read.policy.into_iter().collect(),
                    references: None,
                    root_span: 0..0,
                    diagnostics: read.diagnostics,
                }
            }
            Format::Xml => {
                let parsed = xml_reader::parse_with_schemas(file, text, schemas);
                Read {
                    policies: parsed.policies,
                    references: parsed.references,
                    root_span: parsed.root_span,
                    diagnostics: parsed.diagnostics,
                }
            }
        }
    }
}

/// The POLICY-REF a file is opened for.
struct Referrer<'a> {
    file: FileId,
    reference: &'a xml_reader::PolicyRef,
}

/// What opening a path gave.
enum Opened {
    /// Read now for the first time.
    New(FileId, String),
    /// Read before, under this or another spelling (`d/../pol.xml`): its id and the policies it
    /// holds (none for a schema file).
    Again(FileId, Vec<Policy>),
}

struct Loader {
    /// The canonical project root: nothing outside it is read.
    root: PathBuf,
    first_id: usize,
    loaded: Loaded,
    /// Each file read (policy or schema), by canonical path, with its id and the policies it
    /// holds: read once per run.
    opened: Vec<(PathBuf, FileId, Vec<Policy>)>,
}

impl Loader {
    /// Opens the entry file (no referrer) or a referenced one. `None` when it cannot be read;
    /// the finding is recorded.
    fn open(&mut self, path: &Path, referrer: Option<&Referrer<'_>>) -> Option<(FileId, String)> {
        match self.open_once(path, referrer)? {
            Opened::New(id, text) => Some((id, text)),
            Opened::Again(..) => None,
        }
    }

    fn open_once(&mut self, path: &Path, referrer: Option<&Referrer<'_>>) -> Option<Opened> {
        let canonical = match std::fs::canonicalize(path) {
            Ok(canonical) => canonical,
            Err(err) => {
                match referrer {
                    Some(referrer) => self.missing(
                        referrer.file,
                        referrer.reference.span.clone(),
                        format!(
                            "`{}` names {}, which does not exist",
                            referrer.reference.about,
                            path.display()
                        ),
                    ),
                    None => self.unreadable(path, format!("cannot read the policy: {err}")),
                }
                return None;
            }
        };
        if !canonical.starts_with(&self.root) {
            let message = match referrer {
                Some(referrer) => format!(
                    "`{}` leads outside the project; it is not read",
                    referrer.reference.about
                ),
                None => format!(
                    "{} leads outside the project; it is not read",
                    path.display()
                ),
            };
            self.outside(path, referrer, message);
            return None;
        }
        if let Some((_, id, policies)) = self.opened.iter().find(|(seen, ..)| *seen == canonical) {
            return Some(Opened::Again(*id, policies.clone()));
        }
        let id = FileId(self.first_id + self.loaded.files.len());
        let problem = match crate::files::read(&canonical, MAX_POLICY_SIZE) {
            Ok(bytes) => match crate::source::decode(bytes) {
                Ok(text) => {
                    let name = path.display().to_string();
                    self.loaded.files.push(SourceFile::new(name, text.clone()));
                    self.loaded.paths.push(canonical.clone());
                    self.opened.push((canonical, id, Vec::new()));
                    return Some(Opened::New(id, text));
                }
                Err(offset) => format!(
                    "not UTF-8 (first invalid byte at offset {offset}); save the policy as UTF-8"
                ),
            },
            Err(crate::files::ReadError::TooLarge { limit }) => {
                format!("larger than any real policy ({limit} bytes at most); not read")
            }
            Err(err) => format!("cannot read the policy: {err}"),
        };
        self.unreadable(path, problem);
        None
    }

    /// A finding on a file that could not be read; the file gets an id all the same, so the
    /// finding can name it.
    fn unreadable(&mut self, path: &Path, problem: String) {
        let id = FileId(self.first_id + self.loaded.files.len());
        self.loaded
            .files
            .push(SourceFile::new(path.display().to_string(), ""));
        self.loaded
            .diagnostics
            .push(Diagnostic::new(RuleId::MalformedPolicy, id, 0..0, problem));
    }

    fn outside(&mut self, path: &Path, referrer: Option<&Referrer<'_>>, message: String) {
        let (file, span) = match referrer {
            Some(referrer) => (referrer.file, referrer.reference.span.clone()),
            None => {
                let id = FileId(self.first_id + self.loaded.files.len());
                self.loaded
                    .files
                    .push(SourceFile::new(path.display().to_string(), ""));
                (id, 0..0)
            }
        };
        self.loaded.diagnostics.push(
            Diagnostic::new(RuleId::PolicyOutsideProject, file, span, message)
                .with_label("not followed")
                .with_help("keep the policy files inside the project and name them by their path on the site, such as `/w3c/policy.xml`"),
        );
    }

    /// The schemas in other files of the project that the DATA-GROUPs of an XML policy name by
    /// `base`, each read once and confined like a POLICY-REF's target.
    fn schemas_for(
        &mut self,
        policy_path: &Path,
        file: FileId,
        text: &str,
    ) -> Vec<(String, SchemaDefinitions)> {
        if !matches!(Format::of(policy_path, text), Format::Xml) {
            return Vec::new();
        }
        let mut schemas = Vec::new();
        for (base, span) in xml_reader::schema_files(text) {
            let target = base.split('#').next().unwrap_or_default();
            let path = resolve(policy_path, target);
            let reference = xml_reader::PolicyRef {
                about: base.clone(),
                span,
            };
            let referrer = Referrer {
                file,
                reference: &reference,
            };
            let id = match self.open_once(&path, Some(&referrer)) {
                Some(Opened::New(id, _) | Opened::Again(id, _)) => id,
                None => continue,
            };
            let text = self.loaded.files.get(id.0 - self.first_id);
            let definitions = text
                .map(|file| xml_reader::schema_definitions(&file.text))
                .unwrap_or_default();
            schemas.push((base, definitions));
        }
        schemas
    }

    /// Resolves one POLICY-REF and adds the policies it names.
    fn follow(
        &mut self,
        reference_path: &Path,
        reference_file: FileId,
        inline: &[Policy],
        reference: &xml_reader::PolicyRef,
    ) {
        let (target, fragment) = match reference.about.split_once('#') {
            Some((target, fragment)) => (target, Some(fragment)),
            None => (reference.about.as_str(), None),
        };
        let referrer = Referrer {
            file: reference_file,
            reference,
        };
        let candidates: Vec<Policy> = if target.is_empty() {
            inline.to_vec()
        } else if has_scheme(target) {
            let message = format!(
                "`{}` is a URL; p3plint reads only files of the project",
                reference.about
            );
            self.outside(reference_path, Some(&referrer), message);
            return;
        } else {
            let path = resolve(reference_path, target);
            match self.open_once(&path, Some(&referrer)) {
                None => return,
                Some(Opened::Again(_, policies)) => policies,
                Some(Opened::New(file, text)) => {
                    // A referenced file's own references are not followed: P3P has one level.
                    let schemas = self.schemas_for(&path, file, &text);
                    let read = Format::of(&path, &text).read(file, &text, schemas);
                    self.loaded.diagnostics.extend(read.diagnostics);
                    let policies = read.policies;
                    // By id: reading it may have opened schema files after it.
                    if let Some(entry) = self.opened.iter_mut().find(|(_, id, _)| *id == file) {
                        entry.2 = policies.clone();
                    }
                    policies
                }
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

    fn missing(&mut self, file: FileId, span: Span, message: String) {
        self.loaded.diagnostics.push(
            Diagnostic::new(RuleId::MissingPolicy, file, span, message)
                .with_label("policy not found"),
        );
    }
}

/// Whether an `about` value starts with a URI scheme (`http:`, `file:`, `C:`).
fn has_scheme(target: &str) -> bool {
    target.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Resolves an `about` target: `/x/y.xml` from the site root, anything else from the reference
/// file's directory.
fn resolve(reference_path: &Path, target: &str) -> PathBuf {
    match target.strip_prefix('/') {
        Some(site_absolute) => site_root(reference_path).join(site_absolute),
        None => reference_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(target),
    }
}
