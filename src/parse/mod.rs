//! Stage 3, parse: header values into compact policies. Parsers return a value plus
//! diagnostics and never fail.

pub mod compact;
pub mod header;

pub use compact::{CompactPolicy, Consent, Token, TokenClass};
