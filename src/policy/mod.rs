//! What a run does with a finished conversion, each a function over
//! [`crate::convert::Converted`]: deletions against earlier outputs ([`deletions`]), the output
//! files ([`split`]), completeness registrations ([`completeness`]), totals for the audit
//! workbook ([`totals`]).

pub mod completeness;
pub mod deletions;
pub mod split;
pub mod totals;
pub mod trace;
pub mod validation;
