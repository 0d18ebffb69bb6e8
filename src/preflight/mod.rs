//! Pre-flight against the target instance (`convert --target-metadata`): per value, whether its
//! target exists (`unknownTarget`), which data set it goes to, whether the period type fits that
//! data set (`wrongPeriodType`) and whether the org unit is assigned to it (`orgUnitNotAssigned`).
//! Without metadata, the data set comes from the mapping's `dataSet` column.

pub mod entry;
pub mod version;

use crate::ids::{DataSetId, IdScheme};
use crate::mapping::TargetScheme;
use crate::mapping::target::judge;
use crate::metadata::{Metadata, id_for};
use crate::period::PeriodType;
use crate::value::ValueType;
use entry::{Entry, EntryRules};

/// What the target metadata says about a target (data element, COC, AOC, data set column).
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Why the target cannot be imported.
    pub error: Option<String>,
    /// The data element's value type.
    pub value_type: Option<ValueType>,
    /// Candidate data sets (indexes into the metadata's data sets).
    pub data_sets: Vec<usize>,
    /// The data element's UID.
    pub element: String,
}

/// The decision for one value.
pub enum Placement {
    /// Goes to this data set (its index in the metadata and its output id), or to none known.
    DataSet(Option<(usize, DataSetId)>),
    WrongPeriodType(String),
    OrgUnitNotAssigned(String),
}

pub struct Preflight<'m> {
    pub meta: &'m Metadata,
    scheme: TargetScheme,
    org_units_by_code: bool,
    results: Vec<Resolved>,
    /// The data-entry checks of the target version on the import date.
    pub entry: Entry<'m>,
}

impl<'m> Preflight<'m> {
    pub fn new(
        meta: &'m Metadata,
        scheme: TargetScheme,
        org_units_by_code: bool,
        rules: EntryRules,
    ) -> Self {
        Preflight {
            meta,
            scheme,
            org_units_by_code,
            results: Vec::new(),
            entry: Entry::new(meta, rules),
        }
    }

    /// Resolves a target and returns the index of the result (see [`Preflight::get`]). The
    /// caller keeps the index per distinct target, so each is resolved once.
    pub fn resolve(&mut self, de: &str, coc: &str, aoc: &str, data_set: &str) -> usize {
        let r = self.compute(de, coc, aoc, data_set);
        self.results.push(r);
        self.results.len() - 1
    }

    pub fn get(&self, index: usize) -> &Resolved {
        &self.results[index]
    }

    /// The pre-flight view of [`crate::mapping::target::judge`]: its first error, the data
    /// element's value type, the candidate data sets.
    fn compute(&self, de: &str, coc: &str, aoc: &str, data_set: &str) -> Resolved {
        let verdict = judge(self.meta, self.scheme, de, coc, aoc, data_set);
        match verdict.error() {
            Some(e) => Resolved {
                error: Some(e.to_string()),
                ..Default::default()
            },
            None => Resolved {
                error: None,
                value_type: verdict
                    .element
                    .and_then(|d| d.value_type.as_deref())
                    .and_then(ValueType::parse),
                data_sets: verdict.data_sets,
                element: verdict.element.map_or(String::new(), |e| e.id.clone()),
            },
        }
    }

    /// Chooses the data set for a value: the first candidate of the value's period type (and,
    /// when the metadata has org units, one assigned to its org unit).
    pub fn place(&self, resolved: &Resolved, period_type: PeriodType, org_unit: &str) -> Placement {
        let meta = self.meta;
        if resolved.data_sets.is_empty() {
            return Placement::DataSet(None);
        }
        let name = period_type.to_string();
        let fitting: Vec<usize> = resolved
            .data_sets
            .iter()
            .copied()
            .filter(|&i| meta.data_sets[i].period_type.as_deref() == Some(name.as_str()))
            .collect();
        if fitting.is_empty() {
            let types: Vec<String> = resolved
                .data_sets
                .iter()
                .map(|&i| {
                    let ds = &meta.data_sets[i];
                    format!(
                        "{} is {}",
                        id_for(&ds.id, &ds.code, true),
                        ds.period_type.as_deref().unwrap_or("?")
                    )
                })
                .collect();
            return Placement::WrongPeriodType(format!(
                "a {name} period, but {}",
                types.join(", ")
            ));
        }
        let mut chosen = fitting[0];
        if meta.has_organisation_units {
            let ou = match (self.org_units_by_code, meta.organisation_unit(org_unit)) {
                (_, Some(o)) if o.id == org_unit || self.org_units_by_code => Some(o.id.clone()),
                _ => None,
            };
            if let Some(uid) = ou {
                match fitting
                    .iter()
                    .copied()
                    .find(|&i| meta.data_set_assigned(i, &uid))
                {
                    Some(i) => chosen = i,
                    None => {
                        let ds = &meta.data_sets[chosen];
                        return Placement::OrgUnitNotAssigned(format!(
                            "org unit `{org_unit}` is not assigned to data set {}",
                            id_for(&ds.id, &ds.code, true)
                        ));
                    }
                }
            }
        }
        let ds = &meta.data_sets[chosen];
        let by_code = ds.code.as_deref().is_some_and(|c| !c.is_empty());
        Placement::DataSet(Some((
            chosen,
            DataSetId {
                id: id_for(&ds.id, &ds.code, true).to_string(),
                scheme: if by_code {
                    IdScheme::Code
                } else {
                    IdScheme::Uid
                },
            },
        )))
    }
}
