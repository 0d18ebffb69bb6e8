//! Why a value read is not written (shared by the rules in `convert` and the entry checks in
//! `preflight`): every value read is written or counted under exactly one
//! [`Reason`], so `read = written + left out` always holds.

use std::fmt;

/// Why a value read was not written, in the order `convert::judge` decides them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    Incomplete,
    UnmappedOrgUnit,
    Unmapped,
    Disabled,
    UnknownTarget,
    InvalidValue,
    InvalidPeriod,
    OutsidePeriod,
    CurrentPeriod,
    WrongPeriodType,
    OrgUnitNotAssigned,
    OrgUnitClosed,
    PeriodClosed,
    AttributeOptionClosed,
    DuplicateMerged,
    DuplicateRejected,
}

impl Reason {
    pub const ALL: [Reason; 16] = [
        Reason::Incomplete,
        Reason::UnmappedOrgUnit,
        Reason::Unmapped,
        Reason::Disabled,
        Reason::UnknownTarget,
        Reason::InvalidValue,
        Reason::InvalidPeriod,
        Reason::OutsidePeriod,
        Reason::CurrentPeriod,
        Reason::WrongPeriodType,
        Reason::OrgUnitNotAssigned,
        Reason::OrgUnitClosed,
        Reason::PeriodClosed,
        Reason::AttributeOptionClosed,
        Reason::DuplicateMerged,
        Reason::DuplicateRejected,
    ];

    /// The name used in the summary and reports.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Incomplete => "incomplete",
            Reason::UnmappedOrgUnit => "unmappedOrgUnit",
            Reason::Unmapped => "unmapped",
            Reason::Disabled => "disabled",
            Reason::UnknownTarget => "unknownTarget",
            Reason::InvalidValue => "invalidValue",
            Reason::InvalidPeriod => "invalidPeriod",
            Reason::OutsidePeriod => "outsidePeriod",
            Reason::CurrentPeriod => "currentPeriod",
            Reason::WrongPeriodType => "wrongPeriodType",
            Reason::OrgUnitNotAssigned => "orgUnitNotAssigned",
            Reason::OrgUnitClosed => "orgUnitClosed",
            Reason::PeriodClosed => "periodClosed",
            Reason::AttributeOptionClosed => "attributeOptionClosed",
            Reason::DuplicateMerged => "duplicateMerged",
            Reason::DuplicateRejected => "duplicateRejected",
        }
    }

    /// Its position in [`Reason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_index_order() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i, "{r}");
        }
    }
}
