//! The one integration-test binary: fixtures with golden output, meta-tests over the rule
//! registry, the command line, and tidiness checks over the source tree.

mod cli;
mod copied;
mod documents;
mod fast_paths;
mod fixtures;
mod fuzz_regressions;
mod gdpr;
mod hostile;
mod ie6;
mod lsp;
mod rules;
mod tidy;
