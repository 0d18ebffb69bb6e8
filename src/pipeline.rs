//! The conversion rules (README, "What happens to each value"): for every value read, org-unit translation, mapping
//! lookup, canonical value and value-type check, period validation, then duplicate handling by
//! output key. Every value read ends up written or counted under exactly one [`Reason`].

use std::fmt;

use anyhow::{Result, ensure};
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use crate::mapping::{Lookup, Mapping, TargetScheme};
use crate::model::{DataValue, Interner, Place};
use crate::period::{self, Date, PeriodType, Window};
use crate::preflight::{DataSetId, Placement, Preflight, entry};
use crate::read::Sink;
use crate::store::Chunked;
use crate::value::{self, ValueType};
use crate::write::OutputValue;

/// At most this many left-out values and conflicts are kept in detail (all are counted).
pub const DETAIL_CAP: usize = 10_000;

/// Why a value read was not written.
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
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to do with an output key that received different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DuplicatePolicy {
    /// Leave the key out entirely.
    Reject,
    /// Keep the value read first.
    First,
    /// Keep the value read last.
    Last,
    /// Add the values (of different sources) up.
    Sum,
    /// Stop with nothing written.
    Fail,
}

/// A value left out, kept in detail for the summary and report.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftOut {
    pub reason: &'static str,
    pub detail: String,
    pub input: String,
    pub record: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub data_element: String,
    pub period: String,
    pub org_unit: String,
    pub category_option_combo: String,
    pub attribute_option_combo: String,
    pub value: Option<String>,
}

/// A source item (as exported) that no mapping row covers.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unmapped {
    pub data_element: String,
    pub category_option_combo: String,
    pub attribute_option_combo: String,
    pub count: u64,
    /// Where it was first seen.
    pub example: String,
}

/// One value contributing to an output key in a conflict.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictSource {
    pub data_element: String,
    pub category_option_combo: String,
    pub attribute_option_combo: String,
    pub org_unit: String,
    pub value: String,
    pub input: String,
    pub record: u64,
}

/// An output key that received different values, and what was done.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub key: OutputKey,
    pub sources: Vec<ConflictSource>,
    pub values: Vec<String>,
    pub resolution: String,
    /// The value written, if any.
    pub written: Option<String>,
}

/// The identity of a value in the output.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputKey {
    pub data_element: String,
    pub period: String,
    pub org_unit: String,
    pub category_option_combo: String,
    pub attribute_option_combo: String,
}

impl fmt::Display for OutputKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.data_element, self.period, self.org_unit)?;
        if !self.category_option_combo.is_empty() {
            write!(f, " coc={}", self.category_option_combo)?;
        }
        if !self.attribute_option_combo.is_empty() {
            write!(f, " aoc={}", self.attribute_option_combo)?;
        }
        Ok(())
    }
}

const NO_ROW: u32 = u32::MAX;

/// A value held for an output key: where it came from and its text in the arena.
#[derive(Debug, Clone, Copy)]
struct Contribution {
    value: (u32, u32),
    /// Source data element, COC, AOC and org unit as exported (interned).
    source: [u32; 4],
    mapping_row: u32,
    input: u32,
    /// The value's number in its input.
    record: u32,
    /// Read with `deleted=true`: a deletion of the key, carried through as one.
    deleted: bool,
}

/// One output key and everything read for it.
#[derive(Debug)]
struct Slot {
    /// Data element, period, org unit, COC, AOC (interned).
    key: [u32; 5],
    first: Contribution,
    /// Other values for the key; boxed so that the common case (none) costs 8 bytes.
    more: Option<Box<More>>,
    /// The data set the value goes to (interned id; 0 when none is known).
    data_set: u32,
    /// Values read again with the same source and value: counted, not stored, so memory grows
    /// with distinct keys and contributions only.
    repeats: u32,
}

impl Slot {
    /// Only a key with different values can be rejected, and those have a `More`.
    fn rejected(&self) -> bool {
        self.more.as_ref().is_some_and(|m| m.rejected)
    }
}

/// What a key received beyond its first value, when some of it differs.
#[derive(Debug, Default)]
struct More {
    /// Further contributions, each different from all before it in source or value.
    distinct: Vec<Contribution>,
    /// The value read last, and whether it was a deletion.
    last: ((u32, u32), bool),
    /// The key is left out (a conflict the policy rejects).
    rejected: bool,
}

/// How a run treats values: the options of `convert` that the rules need.
pub struct Rules<'m> {
    pub mapping: Option<&'m Mapping>,
    pub policy: DuplicatePolicy,
    /// Refuse values that the CSV writer cannot write safely for DHIS2 2.43+.
    pub csv_output: bool,
    /// `--periods`: values whose period lies outside are left out.
    pub window: Option<Window>,
    /// `--exclude-current`: periods that have not ended before this date are left out.
    pub as_of: Option<Date>,
    /// `--target-metadata`: checks per value against the target instance.
    pub preflight: Option<Preflight<'m>>,
    /// What the mapping's targets are (the scheme of a mapping row's data set).
    pub target_scheme: TargetScheme,
}

/// A period as the pipeline remembers it.
#[derive(Debug, Clone, Copy)]
struct PeriodInfo {
    id: u32,
    period_type: PeriodType,
    start: Date,
    end: Date,
}

/// A value written again as deleted: it was in an earlier output and is gone at the source.
#[derive(Debug, Clone, Copy)]
struct Deletion {
    key: [u32; 5],
    value: (u32, u32),
    data_set: u32,
}

/// Written values of one data element × category option combo × period.
#[derive(Debug, Clone)]
pub struct Total {
    pub data_element: String,
    pub category_option_combo: String,
    pub period: String,
    pub values: u64,
    /// The sum of the numeric values.
    pub sum: f64,
    pub non_numeric: u64,
}

/// One output file's worth of values: written keys and deletions of one data set.
#[derive(Debug, Default)]
pub struct Group {
    pub data_set: Option<DataSetId>,
    slots: Vec<u32>,
    deletions: Vec<u32>,
    /// Of `slots`, those written as deletions (read with `deleted=true`).
    deleted_slots: u64,
}

impl Group {
    /// Values written (not deletions).
    pub fn values(&self) -> u64 {
        self.slots.len() as u64 - self.deleted_slots
    }
    /// Deletions written: read as such, or found against `--previous`.
    pub fn deletions(&self) -> u64 {
        self.deletions.len() as u64 + self.deleted_slots
    }
}

/// A value written as a deletion, for reports.
#[derive(Debug, Clone)]
pub struct DeletionRow {
    pub key: OutputKey,
    /// The value written with it (the earlier output's value for `--previous`).
    pub value: String,
    pub data_set: Option<String>,
    /// `input` (read with deleted=true) or `previous` (gone since an earlier output).
    pub source: &'static str,
}

/// The conversion state: a [`Sink`] for the readers, then [`Pipeline::finish`].
pub struct Pipeline<'m> {
    mapping: Option<&'m Mapping>,
    policy: DuplicatePolicy,
    csv_output: bool,
    window: Option<Window>,
    as_of: Option<Date>,
    preflight: Option<Preflight<'m>>,
    target_scheme: TargetScheme,
    /// Pre-flight results per (data element, COC, AOC, data set column).
    resolved: FxHashMap<[u32; 4], u32>,
    /// Data set ids (interned) and their id scheme.
    data_set_schemes: FxHashMap<u32, &'static str>,
    /// Keys that received a value this run that was left out after its key was known: an
    /// earlier output's value for them has not disappeared at the source.
    touched: FxHashSet<[u32; 5]>,
    /// Periods of the values in scope (valid, inside the window, not current).
    periods_in_scope: FxHashSet<u32>,
    /// Each mapping row's data set (interned), filled on first use.
    row_data_sets: Vec<u32>,
    /// Each mapping row's target data element, COC, AOC and source (interned), on first use.
    row_ids: Vec<[u32; 4]>,
    /// The period last added to `periods_in_scope` (most inputs repeat one period for long runs).
    last_in_scope: u32,
    deletions: Vec<Deletion>,
    deleted_keys: FxHashSet<[u32; 5]>,
    /// Targets this run covers, built when the first earlier output value is considered.
    target_rows: Option<FxHashMap<[u32; 3], u32>>,
    ids: Interner,
    arena: String,
    slots: Chunked<Slot>,
    /// Slot numbers by output key (the key itself lives in the slot), each with the key's
    /// hash so that growing the table never has to visit the slots.
    index: HashTable<(u32, u32)>,
    hasher: FxBuildHasher,
    periods: FxHashMap<Box<str>, Result<PeriodInfo, String>>,
    input: u32,
    inputs: Vec<String>,
    pub read: u64,
    left: [u64; 16],
    /// Values merged because another value with the same key and value was written.
    pub identical_merged: u64,
    unmapped: FxHashMap<[u32; 3], (u64, String)>,
    /// Values each mapping row matched.
    pub row_counts: Vec<u64>,
    pub left_out: Vec<LeftOut>,
    pub conflicts: Vec<Conflict>,
    pub conflict_count: u64,
    pub written: u64,
}

impl<'m> Pipeline<'m> {
    pub fn new(rules: Rules<'m>) -> Self {
        let mapping = rules.mapping;
        Pipeline {
            mapping,
            policy: rules.policy,
            csv_output: rules.csv_output,
            window: rules.window,
            as_of: rules.as_of,
            preflight: rules.preflight,
            target_scheme: rules.target_scheme,
            resolved: FxHashMap::default(),
            data_set_schemes: FxHashMap::default(),
            touched: FxHashSet::default(),
            periods_in_scope: FxHashSet::default(),
            last_in_scope: 0,
            row_data_sets: Vec::new(),
            row_ids: Vec::new(),
            deletions: Vec::new(),
            deleted_keys: FxHashSet::default(),
            target_rows: None,
            ids: Interner::default(),
            arena: String::new(),
            slots: Chunked::default(),
            index: HashTable::new(),
            hasher: FxBuildHasher,
            periods: FxHashMap::default(),
            input: 0,
            inputs: Vec::new(),
            read: 0,
            left: [0; 16],
            identical_merged: 0,
            unmapped: FxHashMap::default(),
            row_counts: vec![0; mapping.map_or(0, |m| m.rows.len())],
            left_out: Vec::new(),
            conflicts: Vec::new(),
            conflict_count: 0,
            written: 0,
        }
    }

    /// Values left out, by reason.
    pub fn left_out_counts(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        Reason::ALL.iter().map(|&r| (r, self.left[r as usize]))
    }

    pub fn left_out_total(&self) -> u64 {
        self.left.iter().sum()
    }

    /// True when more values were left out (for reasons other than duplicates) than
    /// [`DETAIL_CAP`] lets `left_out` list.
    pub fn left_out_capped(&self) -> bool {
        let listed_reasons = self.left_out_total()
            - self.left[Reason::DuplicateMerged as usize]
            - self.left[Reason::DuplicateRejected as usize];
        listed_reasons > self.left_out.len() as u64
    }

    /// Source items without a mapping row, most frequent first.
    pub fn unmapped(&self) -> Vec<Unmapped> {
        let mut out: Vec<Unmapped> = self
            .unmapped
            .iter()
            .map(|(ids, (count, example))| Unmapped {
                data_element: self.ids.get(ids[0]).to_string(),
                category_option_combo: self.ids.get(ids[1]).to_string(),
                attribute_option_combo: self.ids.get(ids[2]).to_string(),
                count: *count,
                example: example.clone(),
            })
            .collect();
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.data_element.cmp(&b.data_element))
        });
        out
    }

    fn leave(&mut self, reason: Reason, v: &DataValue, detail: impl Into<String>) {
        self.left[reason as usize] += 1;
        if self.left_out.len() < DETAIL_CAP {
            self.left_out.push(LeftOut {
                reason: reason.name(),
                detail: detail.into(),
                input: self.inputs[self.input as usize].clone(),
                record: v.place.record,
                line: v.place.line,
                data_element: v.data_element.to_string(),
                period: v.period.to_string(),
                org_unit: v.org_unit.to_string(),
                category_option_combo: v.category_option_combo.to_string(),
                attribute_option_combo: v.attribute_option_combo.to_string(),
                value: v.value.map(str::to_string),
            });
        }
    }

    fn where_(&self, place: Place) -> String {
        format!("{}: {place}", self.inputs[self.input as usize])
    }

    fn period(&mut self, raw: &str) -> Result<PeriodInfo, String> {
        if let Some(p) = self.periods.get(raw) {
            return p.clone();
        }
        let parsed = period::parse(raw)
            .map(|p| PeriodInfo {
                id: self.ids.intern(&p.id),
                period_type: p.period_type,
                start: p.start,
                end: p.end,
            })
            .map_err(|e| e.to_string());
        self.periods.insert(raw.into(), parsed.clone());
        parsed
    }

    /// Why a valid period is out of this run's scope (`--periods`, `--exclude-current`).
    fn out_of_scope(&self, p: &PeriodInfo) -> Option<(Reason, String)> {
        if let Some(w) = &self.window
            && !w.contains_dates(p.start, p.end)
        {
            return Some((
                Reason::OutsidePeriod,
                format!("{} .. {} is outside --periods {w}", p.start, p.end),
            ));
        }
        if let Some(as_of) = self.as_of
            && p.end >= as_of
        {
            return Some((
                Reason::CurrentPeriod,
                format!("the period ends {}: it has not ended before {as_of}", p.end),
            ));
        }
        None
    }

    /// The interned id of a data set, remembering its scheme.
    fn data_set_id(&mut self, ds: Option<DataSetId>) -> u32 {
        match ds {
            None => 0,
            Some(d) => {
                let id = self.ids.intern(&d.id);
                self.data_set_schemes.insert(id, d.scheme);
                id
            }
        }
    }

    /// The data set a mapping row names, as an output id.
    /// The interned target ids (data element, COC, AOC) and the interned source of a value:
    /// computed once per mapping row, or interned from the value without a mapping.
    fn target_ids(&mut self, row: u32, de: &str, coc: &str, aoc: &str) -> ([u32; 3], u32) {
        if row == NO_ROW {
            let d = self.ids.intern(de);
            return ([d, self.ids.intern(coc), self.ids.intern(aoc)], d);
        }
        if self.row_ids.is_empty()
            && let Some(m) = self.mapping
        {
            let ids: Vec<[u32; 4]> = m
                .rows
                .iter()
                .map(|r| {
                    [
                        self.ids.intern(&r.data_element),
                        self.ids.intern(&r.category_option_combo),
                        self.ids.intern(&r.attribute_option_combo),
                        self.ids.intern(&r.source),
                    ]
                })
                .collect();
            self.row_ids = ids;
        }
        let ids = self.row_ids[row as usize];
        ([ids[0], ids[1], ids[2]], ids[3])
    }

    /// The interned data set a mapping row names (0 for none), computed once per row.
    fn row_data_set(&mut self, row: u32) -> u32 {
        if self.row_data_sets.is_empty()
            && let Some(m) = self.mapping
        {
            let scheme = match self.target_scheme {
                TargetScheme::Code => "CODE",
                TargetScheme::Uid => "UID",
            };
            let ids: Vec<u32> = m
                .rows
                .iter()
                .map(|r| {
                    let ds = (!r.data_set.is_empty()).then(|| DataSetId {
                        id: r.data_set.clone(),
                        scheme,
                    });
                    self.data_set_id(ds)
                })
                .collect();
            self.row_data_sets = ids;
        }
        self.row_data_sets.get(row as usize).copied().unwrap_or(0)
    }

    /// Checks a target against the target metadata and places the value in a data set. `Err` is
    /// an unknown target; a reason that must wait for the value and period checks comes back in
    /// [`Placed::pending`].
    fn place(
        &mut self,
        target: [&str; 4],
        period: &PeriodInfo,
        org_unit: &str,
        row: u32,
    ) -> Result<Placed, String> {
        let Some(pf) = self.preflight.as_mut() else {
            let data_set = self.row_data_set(row);
            return Ok(Placed {
                value_type: None,
                data_set,
                pending: None,
            });
        };
        let key = [
            self.ids.intern(target[0]),
            self.ids.intern(target[1]),
            self.ids.intern(target[2]),
            self.ids.intern(target[3]),
        ];
        let index = match self.resolved.get(&key) {
            Some(&i) => i,
            None => {
                let i = pf.resolve(target[0], target[1], target[2], target[3]);
                self.resolved.insert(key, i);
                i
            }
        };
        let resolved = pf.get(index);
        if let Some(e) = &resolved.error {
            return Err(e.clone());
        }
        let value_type = resolved.value_type;
        let (chosen, pending) = match pf.place(resolved, period.period_type, org_unit) {
            Placement::DataSet(ds) => (ds, None),
            Placement::WrongPeriodType(e) => (None, Some((Reason::WrongPeriodType, e))),
            Placement::OrgUnitNotAssigned(e) => (None, Some((Reason::OrgUnitNotAssigned, e))),
        };
        let Some((ds_index, ds)) = chosen else {
            return Ok(Placed {
                value_type,
                data_set: 0,
                pending,
            });
        };
        let element = pf.get(index).element.clone();
        let ou_key = self.ids.intern(org_unit);
        let facts = entry::Facts {
            data_set: ds_index,
            data_element: &element,
            period: &entry::PeriodFacts {
                key: period.id,
                id: self.ids.get(period.id),
                period_type: period.period_type,
                start: period.start,
                end: period.end,
            },
            org_unit: (org_unit, ou_key),
            aoc: (target[2], key[2]),
        };
        let pending = pf.entry.check(&facts);
        let data_set = self.data_set_id(Some(ds));
        Ok(Placed {
            value_type,
            data_set,
            pending,
        })
    }

    /// A key's 32-bit hash.
    fn key_hash(&self, key: &[u32; 5]) -> u32 {
        (self.hasher.hash_one(key) >> 32) as u32
    }

    /// The slot holding an output key.
    fn find_slot(&self, key: &[u32; 5]) -> Option<usize> {
        let h = self.key_hash(key);
        self.index
            .find(spread(h), |&(i, kh)| {
                kh == h && self.slots[i as usize].key == *key
            })
            .map(|&(i, _)| i as usize)
    }

    fn text(&self, span: (u32, u32)) -> &str {
        &self.arena[span.0 as usize..(span.0 + span.1) as usize]
    }

    fn push_text(&mut self, s: &str) -> (u32, u32) {
        let start = self.arena.len() as u32;
        self.arena.push_str(s);
        (start, s.len() as u32)
    }

    /// Resolves duplicate keys by the policy. Call once, after every input was read.
    pub fn finish(&mut self) -> Result<()> {
        let mut merged_identical = 0u64;
        let mut merged_folded = 0u64;
        let mut rejected = 0u64;
        for i in 0..self.slots.len() {
            let slot = &self.slots[i];
            let repeats = u64::from(slot.repeats);
            let Some(more) = slot.more.as_deref() else {
                merged_identical += repeats;
                continue;
            };
            let last = more.last;
            // Distinct (source, value) contributions; identical ones were counted as repeats.
            let distinct: Vec<Contribution> = std::iter::once(slot.first)
                .chain(more.distinct.iter().copied())
                .collect();
            // Values as shown: a deletion is marked, so it never equals a value.
            let shown = |c: &Contribution| match (c.deleted, self.text(c.value)) {
                (false, t) => t.to_string(),
                (true, "") => "(deleted)".to_string(),
                (true, t) => format!("{t} (deleted)"),
            };
            let mut values: Vec<String> = Vec::new();
            for d in &distinct {
                let t = shown(d);
                if !values.contains(&t) {
                    values.push(t);
                }
            }
            let conflict =
                values.len() > 1 || (self.policy == DuplicatePolicy::Sum && distinct.len() > 1);
            let n = distinct.len() as u64 + repeats;
            if !conflict {
                merged_identical += n - 1;
                continue;
            }
            let (kept, resolution): (Option<(String, bool)>, String) = match self.policy {
                DuplicatePolicy::Reject | DuplicatePolicy::Fail => {
                    (None, "rejected: the key is left out".into())
                }
                DuplicatePolicy::First => (
                    Some((
                        self.text(distinct[0].value).to_string(),
                        distinct[0].deleted,
                    )),
                    "kept the value read first".into(),
                ),
                DuplicatePolicy::Last => (
                    Some((self.text(last.0).to_string(), last.1)),
                    "kept the value read last".into(),
                ),
                DuplicatePolicy::Sum if distinct.iter().any(|d| d.deleted) => (
                    None,
                    "rejected: a deletion cannot be summed with values".into(),
                ),
                DuplicatePolicy::Sum => {
                    let sum = value::sum_decimals(distinct.iter().map(|d| self.text(d.value)));
                    let vt = self.value_type(distinct[0].mapping_row);
                    let checked = sum.map(|s| value::prepare(Some(&s), vt).map(|v| v.into_owned()));
                    match checked {
                        Some(Ok(v)) => (
                            Some((v, false)),
                            format!("summed {} values", distinct.len()),
                        ),
                        Some(Err(e)) => (None, format!("rejected: the sum is invalid: {e}")),
                        None => (
                            None,
                            "rejected: the values cannot be summed (not all numeric, or too large)"
                                .into(),
                        ),
                    }
                }
            };
            match &kept {
                Some((v, deleted)) => {
                    merged_identical += repeats;
                    merged_folded += n - 1 - repeats;
                    let span = self.push_text(v);
                    self.slots[i].first.value = span;
                    self.slots[i].first.deleted = *deleted;
                }
                None => {
                    rejected += n;
                    if let Some(m) = self.slots[i].more.as_mut() {
                        m.rejected = true;
                    }
                }
            }
            self.conflict_count += 1;
            if self.conflicts.len() < DETAIL_CAP {
                let conflict = Conflict {
                    key: self.output_key(&self.slots[i].key),
                    sources: distinct.iter().map(|c| self.conflict_source(c)).collect(),
                    values,
                    resolution,
                    written: kept.map(
                        |(v, deleted)| {
                            if deleted { format!("{v} (deleted)") } else { v }
                        },
                    ),
                };
                self.conflicts.push(conflict);
            }
        }
        self.left[Reason::DuplicateMerged as usize] += merged_identical + merged_folded;
        self.left[Reason::DuplicateRejected as usize] += rejected;
        self.identical_merged = merged_identical;
        self.written = self.slots.iter().filter(|s| !s.rejected()).count() as u64;
        ensure!(
            self.read == self.written + self.left_out_total(),
            "internal error: {} values read, but {} written and {} left out",
            self.read,
            self.written,
            self.left_out_total()
        );
        Ok(())
    }

    fn value_type(&self, row: u32) -> Option<ValueType> {
        match (self.mapping, row) {
            (Some(m), r) if r != NO_ROW => m.rows[r as usize].value_type,
            _ => None,
        }
    }

    fn output_key(&self, key: &[u32; 5]) -> OutputKey {
        OutputKey {
            data_element: self.ids.get(key[0]).to_string(),
            period: self.ids.get(key[1]).to_string(),
            org_unit: self.ids.get(key[2]).to_string(),
            category_option_combo: self.ids.get(key[3]).to_string(),
            attribute_option_combo: self.ids.get(key[4]).to_string(),
        }
    }

    fn conflict_source(&self, c: &Contribution) -> ConflictSource {
        ConflictSource {
            data_element: self.ids.get(c.source[0]).to_string(),
            category_option_combo: self.ids.get(c.source[1]).to_string(),
            attribute_option_combo: self.ids.get(c.source[2]).to_string(),
            org_unit: self.ids.get(c.source[3]).to_string(),
            value: if c.deleted {
                format!("{} (deleted)", self.text(c.value))
            } else {
                self.text(c.value).to_string()
            },
            input: self.inputs[c.input as usize].clone(),
            record: u64::from(c.record),
        }
    }

    fn output_value<'a>(
        &'a self,
        k: &[u32; 5],
        value: (u32, u32),
        comment: Option<&'a str>,
        deleted: bool,
    ) -> OutputValue<'a> {
        OutputValue {
            data_element: self.ids.get(k[0]),
            period: self.ids.get(k[1]),
            org_unit: self.ids.get(k[2]),
            category_option_combo: self.ids.get(k[3]),
            attribute_option_combo: self.ids.get(k[4]),
            value: self.text(value),
            comment,
            deleted,
        }
    }

    /// Written values per data element × category option combo × period, sorted.
    pub fn totals(&self) -> Vec<Total> {
        let mut sums: FxHashMap<[u32; 3], (u64, f64, u64)> = FxHashMap::default();
        for slot in self.written_slots().filter(|s| !s.first.deleted) {
            let t = sums
                .entry([slot.key[0], slot.key[3], slot.key[1]])
                .or_default();
            t.0 += 1;
            match self.text(slot.first.value).parse::<f64>() {
                Ok(n) if n.is_finite() => t.1 += n,
                _ => t.2 += 1,
            }
        }
        let mut out: Vec<Total> = sums
            .into_iter()
            .map(|(k, (values, sum, non_numeric))| Total {
                data_element: self.ids.get(k[0]).to_string(),
                category_option_combo: self.ids.get(k[1]).to_string(),
                period: self.ids.get(k[2]).to_string(),
                values,
                sum,
                non_numeric,
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.data_element, &a.category_option_combo, &a.period).cmp(&(
                &b.data_element,
                &b.category_option_combo,
                &b.period,
            ))
        });
        out
    }

    /// The values and deletions to write: one group, or one per data set (`--split-by
    /// data-set`), each cut into parts of at most `max` entries.
    pub fn groups(&self, split: bool, max: Option<usize>) -> Vec<Group> {
        let mut by_set: Vec<(u32, Group)> = Vec::new();
        let mut position: FxHashMap<u32, usize> = FxHashMap::default();
        let mut group = |ds: u32, by_set: &mut Vec<(u32, Group)>| -> usize {
            let ds = if split { ds } else { 0 };
            *position.entry(ds).or_insert_with(|| {
                by_set.push((ds, Group::default()));
                by_set.len() - 1
            })
        };
        if !split {
            group(0, &mut by_set);
        }
        for (i, slot) in self.slots.iter().enumerate().filter(|(_, s)| !s.rejected()) {
            let g = group(slot.data_set, &mut by_set);
            by_set[g].1.slots.push(i as u32);
        }
        for (i, d) in self.deletions.iter().enumerate() {
            let g = group(d.data_set, &mut by_set);
            by_set[g].1.deletions.push(i as u32);
        }
        let deleted = |slots: &[u32]| {
            slots
                .iter()
                .filter(|&&i| self.slots[i as usize].first.deleted)
                .count() as u64
        };
        let mut out = Vec::new();
        for (ds, g) in by_set {
            let data_set = (ds != 0).then(|| DataSetId {
                id: self.ids.get(ds).to_string(),
                scheme: self.data_set_schemes.get(&ds).copied().unwrap_or("CODE"),
            });
            let Some(max) = max.filter(|&m| g.slots.len() + g.deletions.len() > m) else {
                let deleted_slots = deleted(&g.slots);
                out.push(Group {
                    data_set,
                    deleted_slots,
                    ..g
                });
                continue;
            };
            let entries: Vec<(bool, u32)> = g
                .slots
                .iter()
                .map(|&i| (false, i))
                .chain(g.deletions.iter().map(|&i| (true, i)))
                .collect();
            for chunk in entries.chunks(max) {
                let slots: Vec<u32> = chunk.iter().filter(|e| !e.0).map(|e| e.1).collect();
                out.push(Group {
                    data_set: data_set.clone(),
                    deleted_slots: deleted(&slots),
                    slots,
                    deletions: chunk.iter().filter(|e| e.0).map(|e| e.1).collect(),
                });
            }
        }
        out
    }

    /// Writes a group's values, then its deletions.
    pub fn write_group(
        &self,
        group: &Group,
        comment: Option<&str>,
        mut f: impl FnMut(&OutputValue) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        for &i in &group.slots {
            let slot = &self.slots[i as usize];
            let first = &slot.first;
            f(&self.output_value(&slot.key, first.value, comment, first.deleted))?;
        }
        for &i in &group.deletions {
            let d = &self.deletions[i as usize];
            f(&self.output_value(&d.key, d.value, comment, true))?;
        }
        Ok(())
    }

    /// Data set × period × org unit × AOC that received at least `min` written values, with
    /// their counts (`--complete`).
    pub fn registrations(&self, min: u64) -> Vec<(DataSetId, OutputKey, u64)> {
        let mut counts: FxHashMap<[u32; 4], u64> = FxHashMap::default();
        let mut order = Vec::new();
        for slot in self
            .slots
            .iter()
            .filter(|s| !s.rejected() && !s.first.deleted && s.data_set != 0)
        {
            let k = [slot.data_set, slot.key[1], slot.key[2], slot.key[4]];
            let n = counts.entry(k).or_insert(0);
            if *n == 0 {
                order.push(k);
            }
            *n += 1;
        }
        order
            .into_iter()
            .filter(|k| counts[k] >= min)
            .map(|k| {
                let ds = DataSetId {
                    id: self.ids.get(k[0]).to_string(),
                    scheme: self.data_set_schemes.get(&k[0]).copied().unwrap_or("CODE"),
                };
                let key = OutputKey {
                    data_element: String::new(),
                    period: self.ids.get(k[1]).to_string(),
                    org_unit: self.ids.get(k[2]).to_string(),
                    category_option_combo: String::new(),
                    attribute_option_combo: self.ids.get(k[3]).to_string(),
                };
                (ds, key, counts[&k])
            })
            .collect()
    }

    /// Deletions: values of earlier outputs (`--previous`) that this run does not write.
    pub fn deletion_count(&self) -> u64 {
        self.deletions.len() as u64
    }

    /// Deletions read from the inputs and written (they count as written).
    pub fn input_deletions(&self) -> u64 {
        self.written_slots().filter(|s| s.first.deleted).count() as u64
    }

    /// Every deletion written: those read from the inputs, then those found against
    /// `--previous`.
    pub fn deletion_list(&self) -> Vec<DeletionRow> {
        let data_set = |ds: u32| (ds != 0).then(|| self.ids.get(ds).to_string());
        let read = self
            .written_slots()
            .filter(|s| s.first.deleted)
            .map(|s| DeletionRow {
                key: self.output_key(&s.key),
                value: self.text(s.first.value).to_string(),
                data_set: data_set(s.data_set),
                source: "input",
            });
        let previous = self.deletions.iter().map(|d| DeletionRow {
            key: self.output_key(&d.key),
            value: self.text(d.value).to_string(),
            data_set: data_set(d.data_set),
            source: "previous",
        });
        read.chain(previous).collect()
    }

    /// The ids of the data sets written values go to.
    pub fn data_sets_written(&self) -> FxHashSet<&str> {
        self.written_slots()
            .filter(|s| s.data_set != 0)
            .map(|s| self.ids.get(s.data_set))
            .collect()
    }

    /// The slots written (not rejected as conflicts).
    fn written_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().filter(|s| !s.rejected())
    }

    /// Considers one value of an earlier output: it becomes a deletion when its target is one
    /// this run maps, its period is in this run's scope, and this run has no value for its key.
    pub fn previous_value(&mut self, v: &DataValue) {
        let Some(value) = v.value else { return };
        let Ok(p) = self.period(v.period) else { return };
        let in_scope = match &self.window {
            Some(_) => self.out_of_scope(&p).is_none(),
            None => self.periods_in_scope.contains(&p.id),
        };
        if !in_scope {
            return;
        }
        let key = [
            self.ids.intern(v.data_element),
            p.id,
            self.ids.intern(v.org_unit),
            self.ids.intern(v.category_option_combo),
            self.ids.intern(v.attribute_option_combo),
        ];
        if self.find_slot(&key).is_some()
            || self.touched.contains(&key)
            || self.deleted_keys.contains(&key)
        {
            return;
        }
        let target = [key[0], key[3], key[4]];
        let Some(row) = self.target_row(target) else {
            return;
        };
        let data_set = match self.place(
            [
                v.data_element,
                v.category_option_combo,
                v.attribute_option_combo,
                self.row_data_set_text(row),
            ],
            &p,
            v.org_unit,
            row,
        ) {
            Ok(placed) => placed.data_set,
            Err(_) => 0,
        };
        let value = self.push_text(value);
        self.deleted_keys.insert(key);
        self.deletions.push(Deletion {
            key,
            value,
            data_set,
        });
    }

    fn row_data_set_text(&self, row: u32) -> &'m str {
        self.mapping
            .and_then(|m| m.rows.get(row as usize))
            .map_or("", |r| r.data_set.as_str())
    }

    /// The mapping row (or, without a mapping, `NO_ROW`) of a target this run covers: the
    /// targets of the enabled mapping rows, or without a mapping the targets this run saw.
    fn target_row(&mut self, target: [u32; 3]) -> Option<u32> {
        if self.target_rows.is_none() {
            let mut rows: FxHashMap<[u32; 3], u32> = FxHashMap::default();
            match self.mapping {
                Some(m) => {
                    for (i, r) in m.rows.iter().enumerate().filter(|(_, r)| r.enabled) {
                        let t = [
                            self.ids.intern(&r.data_element),
                            self.ids.intern(&r.category_option_combo),
                            self.ids.intern(&r.attribute_option_combo),
                        ];
                        rows.entry(t).or_insert(i as u32);
                    }
                }
                None => {
                    for k in self.slots.iter().map(|s| &s.key).chain(self.touched.iter()) {
                        rows.insert([k[0], k[3], k[4]], NO_ROW);
                    }
                }
            }
            self.target_rows = Some(rows);
        }
        self.target_rows
            .as_ref()
            .and_then(|r| r.get(&target).copied())
    }
}

/// What the target metadata says of one value.
struct Placed {
    value_type: Option<ValueType>,
    /// The data set it goes to (interned; 0 for none).
    data_set: u32,
    /// A reason to leave it out, counted after the value and period checks.
    pending: Option<(Reason, String)>,
}

/// A 32-bit hash as the 64 bits the table wants: repeated, so that the high bits the table
/// uses for its control bytes vary too.
fn spread(h: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(h)
}

/// The text to write for a value. A deletion needs none (DHIS2 exempts deletions from "value
/// required"), but a value it carries must be valid (both importers check it).
fn prepared<'v>(
    v: &DataValue<'v>,
    value_type: Option<ValueType>,
) -> Result<std::borrow::Cow<'v, str>, value::InvalidValue> {
    match v.value {
        None if v.deleted => Ok("".into()),
        Some(raw) if v.deleted && raw.trim().is_empty() => Ok("".into()),
        raw => value::prepare(raw, value_type),
    }
}

/// Values an output format cannot carry: control characters (XML cannot), and in CSV a quote or
/// line break (2.43+ `LineBuffer` reads no `""` escapes nor line breaks in fields) or the text
/// `null`, which 2.43+ reads as no value, quoted or not (dhis2-core 2.43 `CSV.java`).
fn unsafe_value(value: &str, csv: bool) -> Option<&'static str> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Some("the value contains a control character");
    }
    if csv && value.contains(['"', '\n', '\r']) {
        return Some(
            "the value contains a quote or line break, which DHIS2 2.43+ cannot read in CSV (write JSON or XML instead)",
        );
    }
    if csv && value == "null" {
        return Some(
            "the value is the text `null`, which DHIS2 2.43+ reads as no value in CSV (write JSON or XML instead)",
        );
    }
    None
}

impl Sink for Pipeline<'_> {
    fn begin_input(&mut self, index: usize, path: &str) {
        self.input = index as u32;
        if self.inputs.len() <= index {
            self.inputs.resize(index + 1, String::new());
        }
        self.inputs[index] = path.to_string();
    }

    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        self.read += 1;
        if v.data_element.is_empty() {
            self.leave(Reason::Incomplete, &v, "no dataElement");
            return Ok(());
        }
        if v.org_unit.is_empty() {
            self.leave(Reason::Incomplete, &v, "no orgUnit");
            return Ok(());
        }
        // 1. Org unit.
        let mapping = self.mapping;
        let org_unit = match mapping.and_then(|m| m.org_units.as_ref()) {
            Some(map) => match map.get(v.org_unit) {
                Some(target) => target.as_str(),
                None => {
                    self.leave(
                        Reason::UnmappedOrgUnit,
                        &v,
                        format!("org unit `{}` is not on the orgUnits sheet", v.org_unit),
                    );
                    return Ok(());
                }
            },
            None => v.org_unit,
        };
        // 2. Mapping.
        let (data_element, coc, aoc, value_type, row) = match mapping {
            None => (
                v.data_element,
                v.category_option_combo,
                v.attribute_option_combo,
                None,
                NO_ROW,
            ),
            Some(m) => match m.lookup(
                v.data_element,
                v.category_option_combo,
                v.attribute_option_combo,
            ) {
                Lookup::Mapped(i) => {
                    let r = &m.rows[i];
                    self.row_counts[i] += 1;
                    (
                        r.data_element.as_str(),
                        r.category_option_combo.as_str(),
                        r.attribute_option_combo.as_str(),
                        r.value_type,
                        i as u32,
                    )
                }
                Lookup::Disabled(i) => {
                    let row = m.rows[i].row;
                    self.leave(
                        Reason::Disabled,
                        &v,
                        format!("the mapping row {row} is disabled"),
                    );
                    return Ok(());
                }
                Lookup::Unmapped => {
                    let ids = [
                        self.ids.intern(v.data_element),
                        self.ids.intern(v.category_option_combo),
                        self.ids.intern(v.attribute_option_combo),
                    ];
                    let example = self.where_(v.place);
                    self.unmapped.entry(ids).or_insert((0, example)).0 += 1;
                    self.leave(Reason::Unmapped, &v, "no mapping row for this source item");
                    return Ok(());
                }
            },
        };
        // 4 (early). The period and the output key, so that a value left out from here on
        // still marks its key as seen this run.
        let period = match self.period(v.period) {
            Ok(p) => p,
            Err(e) => {
                match prepared(&v, value_type) {
                    Err(ve) => self.leave(Reason::InvalidValue, &v, ve.to_string()),
                    Ok(_) => self.leave(Reason::InvalidPeriod, &v, e),
                }
                return Ok(());
            }
        };
        let (target_ids, source_data_element) = self.target_ids(row, data_element, coc, aoc);
        let org_unit_id = self.ids.intern(org_unit);
        let key = [
            target_ids[0],
            period.id,
            org_unit_id,
            target_ids[1],
            target_ids[2],
        ];
        let row_data_set = self.row_data_set_text(row);
        let leave = |p: &mut Self, reason: Reason, detail: String| {
            p.touched.insert(key);
            p.leave(reason, &v, detail);
            Ok(())
        };
        // 2b. The target instance: the target exists, its value type, its data set.
        // A wrong period type or unassigned org unit counts only after the value and period
        // checks, which come first.
        let placed = match self.place(
            [data_element, coc, aoc, row_data_set],
            &period,
            org_unit,
            row,
        ) {
            Ok(placed) => placed,
            Err(e) => return leave(self, Reason::UnknownTarget, e),
        };
        let Placed {
            value_type: target_type,
            data_set,
            pending,
        } = placed;
        let value_type = value_type.or(target_type);
        // 3. Value.
        let value = match prepared(&v, value_type) {
            Ok(value) => value,
            Err(e) => {
                return leave(self, Reason::InvalidValue, e.to_string());
            }
        };
        if let Some(id) = [data_element, org_unit, coc, aoc]
            .into_iter()
            .find(|id| id.chars().any(char::is_control))
        {
            return leave(
                self,
                Reason::InvalidValue,
                format!(
                    "the id `{}` holds a control character, which DHIS2 cannot take",
                    id.escape_debug()
                ),
            );
        }
        if let Some(detail) = unsafe_value(&value, self.csv_output) {
            return leave(self, Reason::InvalidValue, detail.to_string());
        }
        // 4. Period scope, then the data set's period type and org units.
        if let Some((reason, detail)) = self.out_of_scope(&period) {
            return leave(self, reason, detail);
        }
        if self.last_in_scope != period.id {
            self.periods_in_scope.insert(period.id);
            self.last_in_scope = period.id;
        }
        if let Some((reason, detail)) = pending {
            return leave(self, reason, detail);
        }
        // 5. Output key.
        let source = [
            source_data_element,
            self.ids.intern(v.category_option_combo),
            self.ids.intern(v.attribute_option_combo),
            if std::ptr::eq(org_unit, v.org_unit) {
                org_unit_id
            } else {
                self.ids.intern(v.org_unit)
            },
        ];
        let existing = self.find_slot(&key);
        if let Some(i) = existing {
            let slot = &self.slots[i];
            let same = |c: &Contribution| {
                c.source == source && c.deleted == v.deleted && self.text(c.value) == value
            };
            let repeat = std::iter::once(&slot.first)
                .chain(slot.more.iter().flat_map(|m| m.distinct.iter()))
                .find(|c| same(c))
                .map(|c| c.value);
            match repeat {
                Some(span) => {
                    let slot = &mut self.slots[i];
                    slot.repeats = slot.repeats.saturating_add(1);
                    if let Some(more) = slot.more.as_mut() {
                        more.last = (span, v.deleted);
                    }
                }
                None => {
                    let span = self.push_text(&value);
                    let input = self.input;
                    let more = self.slots[i].more.get_or_insert_with(Default::default);
                    more.last = (span, v.deleted);
                    more.distinct.push(Contribution {
                        value: span,
                        source,
                        mapping_row: row,
                        input,
                        record: v.place.record as u32,
                        deleted: v.deleted,
                    });
                }
            }
            return Ok(());
        }
        let contribution = Contribution {
            value: self.push_text(&value),
            source,
            mapping_row: row,
            input: self.input,
            record: v.place.record as u32,
            deleted: v.deleted,
        };
        let h = self.key_hash(&key);
        self.index
            .insert_unique(spread(h), (self.slots.len() as u32, h), |&(_, h)| spread(h));
        self.slots.push(Slot {
            key,
            first: contribution,
            more: None,
            data_set,
            repeats: 0,
        });
        Ok(())
    }
}
