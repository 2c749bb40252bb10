//! Stage 3, parse: header values into compact policies, and policy files (XML or TOML) into
//! declarations. Parsers return a value plus diagnostics and never fail.

pub mod compact;
pub mod header;
pub mod policy;
pub mod policy_toml;
pub mod policy_xml;

pub use crate::vocabulary::Consent;
pub use compact::{CompactPolicy, Token, TokenClass};
