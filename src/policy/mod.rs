//! What a run does with a finished conversion, each a function over
//! [`crate::convert::Converted`]: deletions against earlier outputs ([`deletions`]), zeros where
//! no value arrived ([`zero_fill`]), the output files ([`split`]), the chain of custody
//! ([`trace`]), the target's validation rules ([`validation`]), completeness registrations
//! ([`completeness`]), totals for the audit workbook ([`totals`]).

pub mod completeness;
pub mod deletions;
pub mod hmis_edits;
pub mod numbers;
pub mod outliers;
pub mod split;
pub mod totals;
pub mod trace;
pub mod validation;
pub mod zero_fill;

use crate::convert::Converted;
use deletions::Deletion;
use zero_fill::Zero;

/// Everything a run writes: the converted values, the zeros of `--zero-fill`, the deletions
/// found against `--previous`.
#[derive(Clone, Copy)]
pub struct Entries<'a> {
    pub converted: &'a Converted,
    pub zeros: &'a [Zero],
    pub deletions: &'a [Deletion],
}

impl<'a> Entries<'a> {
    /// Every value written, zeros included (not deletions), for the validation rules: each of
    /// the conversion's with its key.
    pub fn values(self) -> impl Iterator<Item = validation::Written<'a>> {
        let c = self.converted;
        c.values()
            .map(move |(_, s)| (Some(s.key), c.output_value(&s, None)))
            .chain(self.zeros.iter().map(|z| (None, z.output_value(None))))
    }
}
