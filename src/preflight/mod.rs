//! Pre-flight against the target instance (`convert --target-metadata`): per value, whether its
//! target exists (`unknownTarget`), which data set it goes to, whether the period type fits that
//! data set (`wrongPeriodType`) and whether the org unit is assigned to it (`orgUnitNotAssigned`).
//! Without metadata, the data set comes from the mapping's `dataSet` column.

pub mod entry;
pub mod hmis;
pub mod version;

use rustc_hash::FxHashMap;

use crate::ids::{DataSetId, Id, IdScheme, PerId};
use crate::mapping::TargetScheme;
use crate::mapping::target::judge;
use crate::metadata::{Metadata, id_for};
use crate::period::PeriodType;
use crate::value::ValueType;
use entry::{Entry, EntryRules, Facts, PeriodFacts};

/// What the target metadata says about a target (data element, COC, AOC, data set column).
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Why the target cannot be imported.
    pub error: Option<String>,
    /// The data element's value type.
    pub value_type: Option<ValueType>,
    /// Candidate data sets (indexes into the metadata's data sets).
    pub data_sets: Vec<usize>,
    /// Every data set that holds the data element (≤ 2.42 judges a value by them).
    pub every: Vec<usize>,
}

/// The decision for one value.
#[derive(Debug, Clone)]
pub enum Placement {
    /// Goes to this data set (its index in the metadata, see [`Targets::data_set_id`]), or to
    /// none known.
    DataSet(Option<usize>),
    WrongPeriodType(String),
    OrgUnitNotAssigned(String),
}

/// The facts of the last placement (the candidate data sets, the period type, the org unit's
/// interned id: the placement depends on these alone) and the placement.
#[derive(Default)]
struct LastPlace {
    data_sets: Vec<usize>,
    period_type: Option<PeriodType>,
    org_unit: Id,
    /// `None` until a value is placed.
    placement: Option<Placement>,
}

/// A target resolved by [`Targets::resolve`]: a handle to what the metadata says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetRef(u32);

/// The target-metadata checks of one run, built once and lent in turn to the judge, the
/// deletions and the zero-fill: each distinct target is judged against the metadata once
/// (remembered here, not by the callers), and the data-entry checks keep what they judged.
/// The entry checks remember interned ids: every user lends ids of the conversion's
/// [`crate::ids::Interner`] (the zero-fill continues it).
pub struct Targets<'m> {
    pub meta: &'m Metadata,
    scheme: TargetScheme,
    org_units_by_code: bool,
    results: Vec<Resolved>,
    memo: FxHashMap<Box<str>, TargetRef>,
    /// The key being looked up, built in place (no allocation per value).
    scratch: String,
    /// Each data set's period type, parsed once.
    period_types: Vec<Option<PeriodType>>,
    /// Per interned org unit id, its index among the metadata's org units.
    units: PerId<Option<usize>>,
    /// The last placement of [`place_id`](Self::place_id).
    last_place: LastPlace,
    /// The data-entry checks of the target version on the import date.
    entry: Entry<'m>,
}

impl<'m> Targets<'m> {
    pub fn new(
        meta: &'m Metadata,
        scheme: TargetScheme,
        org_units_by_code: bool,
        rules: EntryRules,
        hmis: &'m hmis::HmisState,
    ) -> Self {
        let period_types = meta
            .data_sets
            .iter()
            .map(|ds| ds.period_type.as_deref().and_then(PeriodType::from_name))
            .collect();
        Targets {
            meta,
            scheme,
            org_units_by_code,
            results: Vec::new(),
            memo: FxHashMap::default(),
            scratch: String::new(),
            period_types,
            units: PerId::default(),
            last_place: LastPlace::default(),
            entry: Entry::new(meta, rules, hmis),
        }
    }

    /// What the metadata says of a target (data element, COC, AOC, the mapping's data set),
    /// judged the first time it is asked for.
    pub fn resolve(&mut self, de: &str, coc: &str, aoc: &str, data_set: &str) -> TargetRef {
        self.scratch.clear();
        for part in [de, coc, aoc, data_set] {
            // Length-prefixed, so that no id can run into the next.
            self.scratch.push_str(&part.len().to_string());
            self.scratch.push(':');
            self.scratch.push_str(part);
        }
        if let Some(&r) = self.memo.get(self.scratch.as_str()) {
            return r;
        }
        let r = TargetRef(u32::try_from(self.results.len()).unwrap_or(u32::MAX));
        let resolved = self.compute(de, coc, aoc, data_set);
        self.results.push(resolved);
        self.memo.insert(self.scratch.as_str().into(), r);
        r
    }

    pub fn get(&self, r: TargetRef) -> &Resolved {
        &self.results[r.0 as usize]
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
                every: (verdict.element).map_or(Vec::new(), |e| {
                    self.meta.data_set_indexes_of(&e.id).to_vec()
                }),
            },
        }
    }

    /// Chooses the data set for a value: the first candidate of the value's period type (and,
    /// when the metadata has org units, one assigned to its org unit).
    pub fn place(&self, r: TargetRef, period_type: PeriodType, org_unit: &str) -> Placement {
        let unit = self.meta.organisation_unit_index(org_unit);
        self.place_unit(r, period_type, org_unit, unit)
    }

    /// [`place`](Self::place) for an org unit given with its interned id: its org unit in the
    /// metadata is looked up by text once, and a value with the same candidates, period type
    /// and org unit as the value before it gets that value's placement.
    pub fn place_id(
        &mut self,
        r: TargetRef,
        period_type: PeriodType,
        org_unit: (&str, Id),
    ) -> Placement {
        let data_sets = &self.results[r.0 as usize].data_sets;
        let last = &mut self.last_place;
        if let Some(p) = &last.placement
            && (last.period_type, last.org_unit) == (Some(period_type), org_unit.1)
            && last.data_sets == *data_sets
        {
            return p.clone();
        }
        last.data_sets.clear();
        last.data_sets.extend_from_slice(data_sets);
        (last.period_type, last.org_unit) = (Some(period_type), org_unit.1);
        let unit = self.unit(org_unit);
        let placement = self.place_unit(r, period_type, org_unit.0, unit);
        self.last_place.placement = Some(placement.clone());
        placement
    }

    /// The index among the metadata's org units of an org unit given with its interned id.
    fn unit(&mut self, (text, id): (&str, Id)) -> Option<usize> {
        let meta = self.meta;
        self.units
            .get_or_find(id, || meta.organisation_unit_index(text))
    }

    /// [`place`](Self::place) with the org unit's index in the metadata (`unit`), if it is there.
    fn place_unit(
        &self,
        r: TargetRef,
        period_type: PeriodType,
        org_unit: &str,
        unit: Option<usize>,
    ) -> Placement {
        let (meta, resolved) = (self.meta, self.get(r));
        if resolved.data_sets.is_empty() {
            return Placement::DataSet(None);
        }
        let mut fitting = resolved
            .data_sets
            .iter()
            .copied()
            .filter(|&i| self.period_types[i] == Some(period_type));
        let Some(first) = fitting.clone().next() else {
            return Placement::WrongPeriodType(self.period_types_of(resolved, period_type));
        };
        if !meta.has_organisation_units {
            return Placement::DataSet(Some(first));
        }
        // An org unit found by its code counts only when org units are written by code.
        let unit =
            unit.filter(|&u| self.org_units_by_code || meta.organisation_units[u].id == org_unit);
        let Some(unit) = unit else {
            return Placement::DataSet(Some(first));
        };
        match fitting.find(|&i| meta.data_set_assigned(i, unit)) {
            Some(i) => Placement::DataSet(Some(i)),
            None => {
                let ds = &meta.data_sets[first];
                Placement::OrgUnitNotAssigned(format!(
                    "org unit `{org_unit}` is not assigned to data set {}",
                    id_for(&ds.id, &ds.code, true)
                ))
            }
        }
    }

    /// `a Monthly period, but DS_Q is Quarterly, …`: why no candidate fits.
    fn period_types_of(&self, resolved: &Resolved, period_type: PeriodType) -> String {
        let types: Vec<String> = resolved
            .data_sets
            .iter()
            .map(|&i| {
                let ds = &self.meta.data_sets[i];
                format!(
                    "{} is {}",
                    id_for(&ds.id, &ds.code, true),
                    ds.period_type.as_deref().unwrap_or("?")
                )
            })
            .collect();
        format!("a {period_type} period, but {}", types.join(", "))
    }

    /// The output id of a data set of the metadata: its code when it has one, else its UID.
    pub fn data_set_id(&self, index: usize) -> DataSetId {
        let ds = &self.meta.data_sets[index];
        let by_code = ds.code.as_deref().is_some_and(|c| !c.is_empty());
        DataSetId {
            id: id_for(&ds.id, &ds.code, true).to_string(),
            scheme: if by_code {
                IdScheme::Code
            } else {
                IdScheme::Uid
            },
        }
    }

    /// The first data-entry check a value of this target fails in `data_set` on the import
    /// date (org unit and AOC as (id, interned key)), if any.
    pub fn admits(
        &mut self,
        r: TargetRef,
        data_set: usize,
        period: &PeriodFacts,
        org_unit: (&str, Id),
        aoc: (&str, Id),
    ) -> Option<(crate::reason::Reason, String)> {
        let unit = self.unit(org_unit);
        let facts = Facts {
            data_set,
            every: &self.results[r.0 as usize].every,
            period,
            org_unit,
            unit,
            aoc,
        };
        self.entry.check(&facts)
    }
}
