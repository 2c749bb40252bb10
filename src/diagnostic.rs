//! The one currency for problems: a plain `Diagnostic` with byte spans, built by every stage and
//! rendered only by `report/`.

use crate::rules::{Rule, registry};
use crate::source::{FileId, Span};

/// How serious a finding is. Only `Error` makes `p3plint check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

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
    /// A diagnostic of the rule named `rule_name` at its default severity. Rule names used in the
    /// code are checked against `rules/` by the test suite.
    pub fn new(
        rule_name: &str,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        let rule = registry()
            .get(rule_name)
            .unwrap_or_else(|| panic!("rule `{rule_name}` exists in rules/"));
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
