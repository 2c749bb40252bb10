//! The one currency for problems: a plain `Diagnostic` with byte spans, built by every stage and
//! rendered only by `report/`.

pub use crate::rules::Severity;
use crate::rules::{Rule, RuleId, registry};
use crate::source::{FileId, Span};
use std::collections::HashMap;

/// A place in a file with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// Whether applying a fix keeps what user agents do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    /// Browsers behave the same after the edit.
    Safe,
    /// The edit changes the emitted policy.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// A replacement of one span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub file: FileId,
    pub span: Span,
    pub content: String,
}

/// A suggested change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub message: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub related: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic of a rule at its default severity.
    pub fn new(rule: RuleId, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        let rule = registry().rule(rule);
        Diagnostic {
            rule,
            severity: rule.severity,
            message: message.into(),
            primary: Label {
                file,
                span,
                message: String::new(),
            },
            related: Vec::new(),
            notes: Vec::new(),
            help: None,
            fix: None,
        }
    }

    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    pub fn with_related(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Label {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// Sets the fix to replace `span` (in the primary file) with `content`.
    pub fn with_edit(
        mut self,
        message: impl Into<String>,
        applicability: Applicability,
        span: Span,
        content: impl Into<String>,
    ) -> Self {
        self.fix = Some(Fix {
            message: message.into(),
            applicability,
            edits: vec![Edit {
                file: self.primary.file,
                span,
                content: content.into(),
            }],
        });
        self
    }

    /// Keeps the first `MAX_RELATED` related labels and counts the rest in a note: a policy that
    /// repeats one token 30,000 times gets one finding of readable size.
    fn bound_related(&mut self) {
        if self.related.len() > MAX_RELATED {
            let more = self.related.len() - MAX_RELATED;
            self.related.truncate(MAX_RELATED);
            self.notes
                .push(format!("{more} more related places are not shown"));
        }
    }

    /// The order of the report: file, then offset, then rule code, then message.
    pub fn sort_key(&self) -> (FileId, usize, usize, &str, &str) {
        (
            self.primary.file,
            self.primary.span.start,
            self.primary.span.end,
            self.rule.code.as_str(),
            self.message.as_str(),
        )
    }
}

/// Related labels shown per finding.
const MAX_RELATED: usize = 20;

/// Keeps the first `keep` findings of each rule, in source order, and folds the others into a
/// note on the last one kept, so a generated or hostile file cannot flood the report (or
/// memory) while every rule that fired still shows, with its severity and so the exit code.
pub fn fold_repeats(diagnostics: Vec<Diagnostic>, keep: usize, scope: &str) -> Vec<Diagnostic> {
    Repeats::new(keep).finish(diagnostics, scope)
}

/// Counts findings per rule as they are produced, so repeats past the cap can be dropped before
/// they take memory; `finish` then folds and notes them as `fold_repeats` does.
pub struct Repeats {
    keep: usize,
    admitted: HashMap<&'static str, usize>,
    dropped: HashMap<&'static str, usize>,
}

impl Repeats {
    pub fn new(keep: usize) -> Repeats {
        Repeats {
            keep,
            admitted: HashMap::new(),
            dropped: HashMap::new(),
        }
    }

    /// Whether to keep `diagnostic`; false (and counted) once its rule has `keep` findings.
    pub fn admit(&mut self, diagnostic: &Diagnostic) -> bool {
        let code = diagnostic.rule.code.as_str();
        let admitted = self.admitted.entry(code).or_insert(0);
        if *admitted < self.keep {
            *admitted += 1;
            true
        } else {
            *self.dropped.entry(code).or_insert(0) += 1;
            false
        }
    }

    /// Keeps the first `keep` of each rule and notes how many others there were.
    pub fn finish(mut self, mut diagnostics: Vec<Diagnostic>, scope: &str) -> Vec<Diagnostic> {
        for diagnostic in &mut diagnostics {
            diagnostic.bound_related();
        }
        if diagnostics.len() <= self.keep && self.dropped.is_empty() {
            return diagnostics;
        }
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut seen: HashMap<&'static str, (usize, usize)> = HashMap::new();
        let mut kept = Vec::new();
        for diagnostic in diagnostics {
            let (count, last) = seen.entry(diagnostic.rule.code.as_str()).or_insert((0, 0));
            *count += 1;
            if *count <= self.keep {
                *last = kept.len();
                kept.push(diagnostic);
            }
        }
        for (code, (count, last)) in seen {
            let more = count.saturating_sub(self.keep) + self.dropped.remove(code).unwrap_or(0);
            if more > 0 {
                let diagnostic: &mut Diagnostic = &mut kept[last];
                diagnostic.notes.push(format!(
                    "{more} more `{}` finding{} in this {scope} {} not shown",
                    diagnostic.rule.name,
                    if more == 1 { "" } else { "s" },
                    if more == 1 { "is" } else { "are" },
                ));
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_past_the_cap_fold_into_a_note_on_the_last_kept() {
        let finding = |rule: RuleId, at: usize| Diagnostic::new(rule, FileId(0), at..at + 1, "m");
        let mut many: Vec<_> = (0..50)
            .rev()
            .map(|at| finding(RuleId::UnknownToken, at))
            .collect();
        many.push(finding(RuleId::DuplicateToken, 60));
        let kept = fold_repeats(many, 10, "policy");
        assert_eq!(kept.len(), 11);
        let unknown: Vec<_> = kept
            .iter()
            .filter(|d| d.rule.name == "unknown-token")
            .collect();
        assert_eq!(unknown.len(), 10);
        assert_eq!(
            unknown[9].primary.span,
            9..10,
            "the first ten in source order"
        );
        assert_eq!(
            unknown[9].notes,
            ["40 more `unknown-token` findings in this policy are not shown"]
        );
        assert!(kept.iter().any(|d| d.rule.name == "duplicate-token"));
    }

    #[test]
    fn findings_dropped_early_are_counted_in_the_note() {
        let finding = |at: usize| Diagnostic::new(RuleId::UnknownToken, FileId(0), at..at + 1, "m");
        let mut repeats = Repeats::new(3);
        let admitted: Vec<_> = (0..10).map(finding).filter(|d| repeats.admit(d)).collect();
        assert_eq!(admitted.len(), 3);
        let kept = repeats.finish(admitted, "file");
        assert_eq!(
            kept[2].notes,
            ["7 more `unknown-token` findings in this file are not shown"]
        );
    }
}
