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
    Approved,
    AttributeOptionClosed,
    DuplicateMerged,
    DuplicateRejected,
}

impl Reason {
    pub const ALL: [Reason; 17] = [
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
        Reason::Approved,
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
            Reason::Approved => "approved",
            Reason::AttributeOptionClosed => "attributeOptionClosed",
            Reason::DuplicateMerged => "duplicateMerged",
            Reason::DuplicateRejected => "duplicateRejected",
        }
    }

    /// What the reason means, in a sentence, for the audit workbook's Reasons sheet.
    pub fn explain(self) -> &'static str {
        match self {
            Reason::Incomplete => {
                "The value lacks its data element or org unit: nothing says where it goes."
            }
            Reason::UnmappedOrgUnit => {
                "The mapping has an orgUnits sheet and the value's org unit is not on it."
            }
            Reason::Unmapped => {
                "No enabled mapping row covers the value's program indicator (with its combos)."
            }
            Reason::Disabled => {
                "The mapping row for the value's program indicator is switched off (enabled = no)."
            }
            Reason::UnknownTarget => {
                "The target data element or combos do not exist in the target metadata, or the combos do not belong to it."
            }
            Reason::InvalidValue => {
                "The value is not valid for the data element's value type, or an id holds what DHIS2 cannot take."
            }
            Reason::InvalidPeriod => "The period is not a DHIS2 period id.",
            Reason::OutsidePeriod => "The period lies outside the --periods window.",
            Reason::CurrentPeriod => {
                "The period has not ended on the import date (--exclude-current): its numbers are incomplete."
            }
            Reason::WrongPeriodType => {
                "The period's type differs from that of every data set holding the data element."
            }
            Reason::OrgUnitNotAssigned => {
                "The org unit is not assigned to the data set, or not to the attribute option's org units."
            }
            Reason::OrgUnitClosed => {
                "The org unit was not open in the period (opening or closed date; DHIS2 2.43+)."
            }
            Reason::PeriodClosed => {
                "The data set does not take that period on the import date (input periods, expiry days, future periods)."
            }
            Reason::Approved => {
                "The HMIS has approved the data set for the value's period, org unit and attribute option combo (--approvals): DHIS2 refuses changes to approved data."
            }
            Reason::AttributeOptionClosed => {
                "The period lies outside the dates of the attribute option combo's options."
            }
            Reason::DuplicateMerged => {
                "The key was read more than once; the copies were merged into the one value written."
            }
            Reason::DuplicateRejected => {
                "The key received different values and the --on-duplicate policy rejects such keys."
            }
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
