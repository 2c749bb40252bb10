//! Stage 4, check: the functions behind the check kinds rules name (`rules::Kind`), one module
//! per input: `compact` for one compact policy, `declared` against a declaration.
//!
//! Checks return plain `Diagnostic`s; they know nothing about output formats.

pub mod compact;
pub mod copied;
pub mod declared;
pub mod gdpr;
