//! `--previous`: values of earlier outputs of the same transfer that this run no longer writes
//! have disappeared at the source (a tracker correction) and are written again as deletions. A
//! previous value becomes a deletion when its target is one this run maps, its period is in this
//! run's scope, and this run received no value for its key.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::convert::{Converted, Scope};
use crate::ids::DataSetId;
use crate::ids::{IdScheme, KeyText};
use crate::mapping::Mapping;
use crate::preflight::{Placement, Targets};
use crate::write::OutputValue;

/// A value of an earlier output, as read.
#[derive(Debug, Clone, Default)]
pub struct PreviousValue {
    pub key: KeyText,
    pub value: String,
    /// Its comment, followup, storedBy, lastUpdated, as the file had them.
    pub audit: [Option<String>; 4],
    /// Which `--previous` file it was read from, and where.
    pub input: u32,
    pub place: crate::model::Place,
}

/// A value written again as deleted: the earlier output's value (its period as DHIS2 writes
/// it), and the data set it goes to.
#[derive(Debug, Clone)]
pub struct Deletion {
    pub previous: PreviousValue,
    pub data_set: Option<DataSetId>,
    /// The mapping row of its target (`usize::MAX` without a mapping).
    pub row: usize,
}

impl Deletion {
    pub fn output_value<'a>(&'a self, comment: Option<&'a str>) -> OutputValue<'a> {
        OutputValue::of(&self.previous.key, &self.previous.value, comment, true)
    }
}

/// What the policy needs besides the conversion.
pub struct Context<'a, 'm> {
    pub mapping: Option<&'a Mapping>,
    pub scope: Scope,
    /// The target checks, to place a deletion in its data set.
    pub targets: Option<&'a mut Targets<'m>>,
    /// The scheme of the mapping's data sets.
    pub target_scheme: IdScheme,
    /// The earlier values from this index on are the HMIS's own (`--current`): deleted only
    /// with `--remove-stale`, and only those of org units this run writes to.
    pub hmis_from: usize,
    pub remove_stale: bool,
}

/// The deletions, in the order the earlier values were read.
pub fn find(c: &Converted, mut ctx: Context, previous: &[PreviousValue]) -> Vec<Deletion> {
    let targets = targets(c, ctx.mapping);
    let mut seen: FxHashSet<KeyText> = FxHashSet::default();
    let mut out = Vec::new();
    // The org units this run writes to: the HMIS's values elsewhere are not its to delete.
    let covered: FxHashSet<&str> = if previous.iter().any(|v| v.input as usize >= ctx.hmis_from) {
        c.values().map(|(_, s)| c.text(s.key.org_unit)).collect()
    } else {
        FxHashSet::default()
    };
    for v in previous {
        if v.value.is_empty() || !in_scope(c, &ctx.scope, &v.key.period) {
            continue;
        }
        if v.input as usize >= ctx.hmis_from
            && (!ctx.remove_stale || !covered.contains(v.key.org_unit.as_str()))
        {
            continue;
        }
        let Ok(period) = crate::period::parse_in(ctx.scope.calendar, &v.key.period) else {
            continue;
        };
        let target: Target = (
            v.key.data_element.as_str(),
            v.key.category_option_combo.as_str(),
            v.key.attribute_option_combo.as_str(),
        );
        let Some(&row) = targets.get(&target) else {
            continue;
        };
        // The key as this run writes it: the period in DHIS2's own form.
        let key = KeyText {
            period: period.id,
            ..v.key.clone()
        };
        if c.arrived(&key) || seen.contains(&key) {
            continue;
        }
        seen.insert(key.clone());
        let data_set = data_set(&mut ctx, row, target, period.period_type, &key.org_unit);
        out.push(Deletion {
            previous: PreviousValue { key, ..v.clone() },
            data_set,
            row,
        });
    }
    out
}

/// A target: data element, category option combo, attribute option combo.
type Target<'a> = (&'a str, &'a str, &'a str);

/// The targets this run covers, each with its first enabled mapping row; without a mapping, the
/// targets of the values this run saw (with no row).
fn targets<'a>(c: &'a Converted, mapping: Option<&'a Mapping>) -> FxHashMap<Target<'a>, usize> {
    let mut out = FxHashMap::default();
    match mapping {
        Some(m) => {
            for (i, r) in m.rows.iter().enumerate().filter(|(_, r)| r.enabled) {
                let t = (
                    r.data_element.as_str(),
                    r.category_option_combo.as_str(),
                    r.attribute_option_combo.as_str(),
                );
                out.entry(t).or_insert(i);
            }
        }
        None => {
            for k in c
                .values()
                .map(|(_, s)| s.key)
                .chain(c.touched.iter().copied())
            {
                let t = (
                    c.text(k.data_element),
                    c.text(k.category_option_combo),
                    c.text(k.attribute_option_combo),
                );
                out.insert(t, usize::MAX);
            }
        }
    }
    out
}

/// The scope of deletions: the `--periods` window, else the periods this run converted.
fn in_scope(c: &Converted, scope: &Scope, period: &str) -> bool {
    let Ok(p) = crate::period::parse_in(scope.calendar, period) else {
        return false;
    };
    match scope.window {
        Some(_) => scope.check(p.start, p.end).is_ok(),
        None => c
            .ids
            .find(&p.id)
            .is_some_and(|id| c.periods_in_scope.contains(&id)),
    }
}

/// The data set a deletion goes to: the target metadata's choice, else the mapping row's.
fn data_set(
    ctx: &mut Context,
    row: usize,
    target: Target,
    period_type: crate::period::PeriodType,
    org_unit: &str,
) -> Option<DataSetId> {
    let mapping_row = ctx.mapping.and_then(|m| m.rows.get(row));
    let row_data_set = mapping_row.map_or("", |r| r.data_set.as_str());
    let Some(targets) = ctx.targets.as_deref_mut() else {
        let single = mapping_row.map_or("", |r| r.single_data_set());
        return (!single.is_empty()).then(|| DataSetId {
            id: single.to_string(),
            scheme: ctx.target_scheme.clone(),
        });
    };
    let r = targets.resolve(target.0, target.1, target.2, row_data_set);
    if targets.get(r).error.is_some() {
        return None;
    }
    match targets.place(r, period_type, org_unit) {
        Placement::DataSet(ds) => ds.map(|i| targets.data_set_id(i)),
        _ => None,
    }
}
