//! Stage 3, parse: header values into compact policies. Parsers return a value plus diagnostics
//! and never fail. (Policy files are read by the declaration's readers, in `declaration/`.)

pub mod compact;
pub mod header;

pub use crate::vocabulary::Consent;
pub use compact::{CompactPolicy, Token, TokenClass};
