//! `--zero-fill`: analytics leaves zeros out, so a count that fell to zero would keep its stale
//! value in the HMIS. For every mapped numeric target (data element, category option combo,
//! attribute option combo) of a data set, every org unit assigned to that data set that
//! received a value for it in this run, and every period of the data set's type in scope, a
//! `0` is written where no value arrived (and none was left out). The zeros pass the same
//! target checks as values, and are counted apart from the read/written reconciliation.
//!
//! What DHIS2 then does with a zero of a data element whose `zeroIsSignificant` is false
//! differs by version (docs/dhis2-rules.md, "Zeros"): ≤ 2.42 deletes the stored value (and
//! skips the zero, counting it nowhere, when none is stored); 2.43.1 stores the 0.

use std::collections::BTreeSet;

use rustc_hash::FxHashSet;

use crate::convert::{Converted, Scope};
use crate::ids::{DataSetId, Interner, KeyText};
use crate::mapping::Mapping;
use crate::metadata::Metadata;
use crate::period::{self, Period, PeriodType, calendar};
use crate::preflight::entry::PeriodFacts;
use crate::preflight::{Placement, TargetRef, Targets};
use crate::write::OutputValue;

/// A zero written where no value arrived.
#[derive(Debug, Clone)]
pub struct Zero {
    pub key: KeyText,
    pub data_set: Option<DataSetId>,
    /// The mapping row of its target.
    pub row: usize,
}

impl Zero {
    pub fn output_value<'a>(&'a self, comment: Option<&'a str>) -> OutputValue<'a> {
        OutputValue::of(&self.key, "0", comment, false)
    }
}

/// What the policy needs besides the conversion.
pub struct Context<'a, 'm> {
    pub mapping: &'a Mapping,
    pub metadata: &'a Metadata,
    pub targets: &'a mut Targets<'m>,
    pub scope: Scope,
}

/// The zeros to write, per data set in the metadata's order, then target, org unit, period.
pub fn find(c: &Converted, mut ctx: Context) -> Vec<Zero> {
    let mut out = Vec::new();
    // The entry checks remember the conversion's interned ids: continue its interner.
    let mut ids = c.ids.clone();
    for (index, ds) in ctx.metadata.data_sets.iter().enumerate() {
        let Some(pt) = ds.period_type.as_deref().and_then(PeriodType::from_name) else {
            continue;
        };
        let ds_ids = [ds.id.as_str(), ds.code.as_deref().unwrap_or("")];
        let org_units = org_units_with_values(c, &ds_ids);
        if org_units.is_empty() {
            continue;
        }
        let periods = periods(c, &ctx.scope, pt);
        for (row, r) in ctx
            .mapping
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.enabled)
        {
            let numeric = r.value_type.is_none_or(|t| t.is_numeric());
            if !numeric {
                continue;
            }
            let target = [
                r.data_element.as_str(),
                &r.category_option_combo,
                &r.attribute_option_combo,
            ];
            let resolved = ctx
                .targets
                .resolve(target[0], target[1], target[2], &r.data_set);
            for ou in &org_units {
                let chosen = match ctx.targets.place(resolved, pt, ou) {
                    Placement::DataSet(Some(i)) if i == index => ctx.targets.data_set_id(i),
                    _ => continue,
                };
                for p in &periods {
                    let zero = Zero {
                        key: KeyText {
                            data_element: target[0].to_string(),
                            period: p.id.clone(),
                            org_unit: ou.clone(),
                            category_option_combo: target[1].to_string(),
                            attribute_option_combo: target[2].to_string(),
                        },
                        data_set: Some(chosen.clone()),
                        row,
                    };
                    if c.arrived(&zero.key) || !open(&mut ctx, &mut ids, index, resolved, &zero, p)
                    {
                        continue;
                    }
                    out.push(zero);
                }
            }
        }
    }
    out
}

/// The org units that received a written value in the data set (by UID or code).
fn org_units_with_values(c: &Converted, ds_ids: &[&str; 2]) -> BTreeSet<String> {
    c.values()
        .filter(|(_, s)| !s.deletes())
        .filter(|(_, s)| {
            let id = c.text(s.data_set);
            !id.is_empty() && ds_ids.contains(&id)
        })
        .map(|(_, s)| c.text(s.key.org_unit).to_string())
        .collect()
}

/// The periods of type `pt` in scope: those this run converted, and with a closed `--periods`
/// window every one inside it.
fn periods(c: &Converted, scope: &Scope, pt: PeriodType) -> Vec<Period> {
    let mut ids: BTreeSet<String> = c
        .periods_in_scope
        .iter()
        .filter_map(|&id| period::parse_in(scope.calendar, c.text(id)).ok())
        .filter(|p| p.period_type == pt)
        .map(|p| p.id)
        .collect();
    if let Some(w) = scope.window
        && let (Some(from), Some(to)) = (w.from, w.to)
    {
        let mut next = calendar::holding(scope.calendar, pt, from);
        while let Some(p) = next.filter(|p| p.start <= to) {
            ids.insert(p.id.clone());
            next = calendar::shift(scope.calendar, &p, 1);
        }
    }
    ids.iter()
        .filter_map(|id| period::parse_in(scope.calendar, id).ok())
        .filter(|p| scope.check(p.start, p.end).is_ok())
        .collect()
}

/// The target's entry checks let the zero in (org unit open, period open, options valid).
fn open(
    ctx: &mut Context,
    ids: &mut Interner,
    data_set: usize,
    resolved: TargetRef,
    z: &Zero,
    p: &Period,
) -> bool {
    let period = PeriodFacts {
        key: ids.intern(&p.id),
        id: &p.id,
        period_type: p.period_type,
        start: p.start,
        end: p.end,
    };
    let org_unit = (z.key.org_unit.as_str(), ids.intern(&z.key.org_unit));
    let aoc = (
        z.key.attribute_option_combo.as_str(),
        ids.intern(&z.key.attribute_option_combo),
    );
    ctx.targets
        .admits(resolved, data_set, &period, org_unit, aoc)
        .is_none()
}

/// The data elements among the zeros whose zero DHIS2 does not keep (`zeroIsSignificant`
/// false), for the warning.
pub fn insignificant<'m>(zeros: &[Zero], meta: &'m Metadata) -> FxHashSet<&'m str> {
    zeros
        .iter()
        .filter_map(|z| meta.data_element(&z.key.data_element).map(|(d, _)| d))
        .filter(|d| !d.zero_is_significant)
        .map(|d| d.id.as_str())
        .collect()
}
