//! `check --fix`: applies the fixes of a report to the files on disk (and writes the report
//! itself for `--output-file`).
//!
//! Safe fixes (browsers behave the same) are applied by `--fix`; unsafe ones (the emitted policy
//! changes) only with `--unsafe-fixes` as well. What is written, and how:
//! - the file at the path discovery found (kept as the OS gave it, never rebuilt from the name
//!   shown in the report), and only if its bytes are still the ones that were checked;
//! - through a symbolic link to its target, as editors do, so the link stays a link;
//! - never a read-only file, nor one with several hard links (replacing it would split them):
//!   those are reported and left alone;
//! - atomically: the new text goes to a temporary file beside the target with the target's mode
//!   and owner, is synced, renamed over the target, and the directory is synced, so a crash or a
//!   full disk never leaves a half-written file.

use crate::diagnostic::{Applicability, Edit};
use crate::report::Report;
use crate::source::{FileId, SourceFile};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `apply` did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings whose fix was applied.
    pub fixes: usize,
    pub files: Vec<PathBuf>,
    /// Files that could not be written, with the reason.
    pub failures: Vec<(PathBuf, String)>,
}

/// One file's text with the fixes applied, not yet written.
#[derive(Debug)]
pub struct Planned {
    pub file: FileId,
    /// The name the report shows.
    pub name: String,
    /// Where it is on disk (`None` for text that was never a file, such as stdin).
    pub path: Option<PathBuf>,
    pub before: String,
    pub after: String,
    /// Findings whose fix this text carries.
    pub fixes: usize,
}

/// The fixed text of every file with a fix allowed by `include_unsafe`. Overlapping edits are
/// skipped (the first in file order wins); the next run picks them up.
pub fn plan(report: &Report, include_unsafe: bool) -> Vec<Planned> {
    let mut by_file: BTreeMap<FileId, Vec<&Edit>> = BTreeMap::new();
    let mut fixes_per_file: BTreeMap<FileId, usize> = BTreeMap::new();
    for diagnostic in &report.diagnostics {
        let Some(fix) = &diagnostic.fix else { continue };
        if fix.applicability == Applicability::Unsafe && !include_unsafe {
            continue;
        }
        // A fix is all or nothing: its edits must not overlap edits already taken.
        let overlaps = fix.edits.iter().any(|edit| {
            by_file
                .get(&edit.file)
                .is_some_and(|taken| taken.iter().any(|t| overlap(&t.span, &edit.span)))
        });
        if overlaps {
            continue;
        }
        for edit in &fix.edits {
            by_file.entry(edit.file).or_default().push(edit);
        }
        if let Some(first) = fix.edits.first() {
            *fixes_per_file.entry(first.file).or_default() += 1;
        }
    }
    rewrite(report, by_file, &fixes_per_file)
}

/// Each file's text with its edits applied (none of which overlap), last edit first so earlier
/// offsets stay valid; `counts` says how many findings each file's edits settle.
pub fn rewrite(
    report: &Report,
    by_file: BTreeMap<FileId, Vec<&Edit>>,
    counts: &BTreeMap<FileId, usize>,
) -> Vec<Planned> {
    by_file
        .into_iter()
        .map(|(file, mut edits)| {
            let source = report.db.get(file);
            edits.sort_by_key(|edit| std::cmp::Reverse((edit.span.start, edit.span.end)));
            let mut after = source.text.clone();
            for edit in edits {
                if edit.span.end <= after.len()
                    && after.is_char_boundary(edit.span.start)
                    && after.is_char_boundary(edit.span.end)
                {
                    after.replace_range(edit.span.clone(), &edit.content);
                }
            }
            Planned {
                file,
                name: source.name.clone(),
                path: source.path.clone(),
                before: source.text.clone(),
                after,
                fixes: counts.get(&file).copied().unwrap_or(0),
            }
        })
        .collect()
}

/// `--diff`: the planned fixes as one unified diff, `a/` and `b/` as git writes them.
pub fn unified_diff(planned: &[Planned]) -> String {
    planned
        .iter()
        .filter(|planned| planned.before != planned.after)
        .map(|planned| {
            similar::TextDiff::from_lines(&planned.before, &planned.after)
                .unified_diff()
                .header(
                    &format!("a/{}", planned.name),
                    &format!("b/{}", planned.name),
                )
                .to_string()
        })
        .collect()
}

/// Applies every fix of `report` allowed by `include_unsafe`.
pub fn apply(report: &Report, include_unsafe: bool) -> Applied {
    write(report, plan(report, include_unsafe))
}

/// Writes planned texts over the files they were checked from, each only if that is still
/// safe (see the module's documentation).
pub fn write(report: &Report, planned: Vec<Planned>) -> Applied {
    let mut applied = Applied::default();
    for planned in planned {
        let source = report.db.get(planned.file);
        let Some(path) = planned.path else {
            let reason = "not a file on disk".to_string();
            applied
                .failures
                .push((PathBuf::from(&planned.name), reason));
            continue;
        };
        match write_fixed(&path, source, &planned.after) {
            Ok(()) => {
                applied.fixes += planned.fixes;
                applied.files.push(path);
            }
            Err(reason) => applied.failures.push((path, reason)),
        }
    }
    applied
}

fn overlap(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end || (a.start == b.start && (a.is_empty() || b.is_empty()))
}

/// Writes `text` over the file `checked` was read from, if that is still safe; the error says
/// why it was not written.
fn write_fixed(path: &Path, checked: &SourceFile, text: &str) -> Result<(), String> {
    // Through symbolic links to the file itself: the link stays, its target gets the fix.
    let target = std::fs::canonicalize(path).map_err(|err| err.to_string())?;
    let metadata = std::fs::metadata(&target).map_err(|err| err.to_string())?;
    if metadata.permissions().readonly() {
        return Err("the file is read-only; not written".into());
    }
    let links = hard_links(&metadata);
    if links > 1 {
        return Err(format!(
            "the file has {links} hard links, and replacing it would split them; not written"
        ));
    }
    // Twice the text: room for the UTF-16 file the text may have been decoded from.
    let limit = 2 * checked.text.len() as u64 + 2;
    match crate::files::read(&target, limit) {
        Ok(bytes) if bytes == checked.text.as_bytes() => {}
        Ok(bytes) if crate::source::decode_utf16(&bytes).is_some() => {
            return Err("a UTF-16 file; fixes are written to UTF-8 files only".into());
        }
        Ok(bytes) if std::str::from_utf8(&bytes).is_err() => {
            return Err("not a UTF-8 file; fixes are written to UTF-8 files only".into());
        }
        Ok(_) | Err(crate::files::ReadError::TooLarge { .. }) => {
            return Err("the file changed after it was checked; not written".into());
        }
        Err(err) => return Err(err.to_string()),
    }
    write_atomically(&target, &metadata, text).map_err(|err| err.to_string())
}

#[cfg(unix)]
fn hard_links(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(metadata)
}

/// `--output-file`: the report written atomically (a new file, or one replaced whole), so a CI
/// step reading it never sees half of it.
pub fn write_report(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(not(unix))]
fn hard_links(_: &std::fs::Metadata) -> u64 {
    1
}

/// Replaces `target` with `text` through a temporary file in the same directory, keeping the
/// file's mode and owner.
fn write_atomically(
    target: &Path,
    metadata: &std::fs::Metadata,
    text: &str,
) -> std::io::Result<()> {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text.as_bytes())?;
    std::fs::set_permissions(temp.path(), metadata.permissions())?;
    keep_owner(temp.as_file(), metadata)?;
    temp.as_file().sync_all()?;
    temp.persist(target).map_err(|err| err.error)?;
    // The rename is durable only once the directory entry is.
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Gives the new file the old one's owner and group. When that is not allowed (a user fixing a
/// file owned by someone else), the write is abandoned rather than changing the owner.
#[cfg(unix)]
fn keep_owner(file: &std::fs::File, metadata: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let current = file.metadata()?;
    if current.uid() == metadata.uid() && current.gid() == metadata.gid() {
        return Ok(());
    }
    std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid())).map_err(|err| {
        std::io::Error::new(
            err.kind(),
            format!("cannot keep the file's owner ({err}); not written"),
        )
    })
}

#[cfg(not(unix))]
fn keep_owner(_: &std::fs::File, _: &std::fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_are_detected() {
        assert!(overlap(&(0..4), &(3..5)));
        assert!(!overlap(&(0..3), &(3..5)));
        assert!(overlap(&(3..3), &(3..3)));
    }
}
