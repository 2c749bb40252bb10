//! `check --fix`: applies the fixes of a report to the files on disk.
//!
//! Safe fixes (browsers behave the same) are applied by `--fix`; unsafe ones (the emitted policy
//! changes) only with `--unsafe-fixes` as well. Each file is rewritten atomically: the new text is
//! written to a temporary file beside it, which then replaces it, so a crash or a full disk never
//! leaves a half-written file.

use crate::Report;
use crate::diagnostic::{Applicability, Edit};
use crate::source::FileId;
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

/// Applies every fix of `report` allowed by `include_unsafe`. Overlapping edits are skipped
/// (the first in file order wins); the next run picks them up.
pub fn apply(report: &Report, include_unsafe: bool) -> Applied {
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
    let mut applied = Applied::default();
    for (file, mut edits) in by_file {
        let source = report.db.get(file);
        let path = PathBuf::from(&source.name);
        edits.sort_by_key(|edit| std::cmp::Reverse((edit.span.start, edit.span.end)));
        let mut text = source.text.clone();
        for edit in edits {
            if edit.span.end <= text.len()
                && text.is_char_boundary(edit.span.start)
                && text.is_char_boundary(edit.span.end)
            {
                text.replace_range(edit.span.clone(), &edit.content);
            }
        }
        match write_atomically(&path, &text) {
            Ok(()) => {
                applied.fixes += fixes_per_file.get(&file).copied().unwrap_or(0);
                applied.files.push(path);
            }
            Err(err) => applied.failures.push((path, err.to_string())),
        }
    }
    applied
}

fn overlap(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end || (a.start == b.start && (a.is_empty() || b.is_empty()))
}

/// Replaces `path` with `text` through a temporary file in the same directory, keeping the
/// file's permissions.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let permissions = std::fs::metadata(path)?.permissions();
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    std::fs::set_permissions(temp.path(), permissions)?;
    temp.persist(path).map_err(|err| err.error)?;
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
