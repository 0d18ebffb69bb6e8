//! The conversion rules (SPEC §5): for every value read, org-unit translation, mapping
//! lookup, canonical value and value-type check, period validation, then duplicate handling by
//! output key. Every value read ends up written or counted under exactly one [`Reason`].

use std::fmt;

use anyhow::{Result, ensure};
use rustc_hash::FxHashMap;

use crate::mapping::{Lookup, Mapping};
use crate::model::{DataValue, Interner, Place};
use crate::period;
use crate::read::Sink;
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
    InvalidValue,
    InvalidPeriod,
    DuplicateMerged,
    DuplicateRejected,
}

impl Reason {
    pub const ALL: [Reason; 8] = [
        Reason::Incomplete,
        Reason::UnmappedOrgUnit,
        Reason::Unmapped,
        Reason::Disabled,
        Reason::InvalidValue,
        Reason::InvalidPeriod,
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
            Reason::InvalidValue => "invalidValue",
            Reason::InvalidPeriod => "invalidPeriod",
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
    record: u64,
}

/// One output key and everything read for it.
#[derive(Debug)]
struct Slot {
    /// Data element, period, org unit, COC, AOC (interned).
    key: [u32; 5],
    first: Contribution,
    /// Boxed so that the common case (no duplicate) costs 8 bytes.
    more: Option<Box<More>>,
    rejected: bool,
}

/// What a key received beyond its first value.
#[derive(Debug, Default)]
struct More {
    /// Further contributions, each different from all before it in source or value.
    distinct: Vec<Contribution>,
    /// Values read again with the same source and value: counted, not stored, so memory
    /// grows with distinct contributions only.
    repeats: u64,
    /// The value read last.
    last: (u32, u32),
}

/// The conversion state: a [`Sink`] for the readers, then [`Pipeline::finish`].
pub struct Pipeline<'m> {
    mapping: Option<&'m Mapping>,
    policy: DuplicatePolicy,
    /// Refuse values that the CSV writer cannot write safely for DHIS2 2.43+.
    csv_output: bool,
    ids: Interner,
    arena: String,
    slots: Vec<Slot>,
    index: FxHashMap<[u32; 5], u32>,
    periods: FxHashMap<Box<str>, Result<u32, String>>,
    input: u32,
    inputs: Vec<String>,
    pub read: u64,
    left: [u64; 8],
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
    pub fn new(mapping: Option<&'m Mapping>, policy: DuplicatePolicy, csv_output: bool) -> Self {
        Pipeline {
            mapping,
            policy,
            csv_output,
            ids: Interner::default(),
            arena: String::new(),
            slots: Vec::new(),
            index: FxHashMap::default(),
            periods: FxHashMap::default(),
            input: 0,
            inputs: Vec::new(),
            read: 0,
            left: [0; 8],
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

    fn period_id(&mut self, raw: &str) -> Result<u32, String> {
        if let Some(p) = self.periods.get(raw) {
            return p.clone();
        }
        let parsed = period::parse(raw)
            .map(|p| self.ids.intern(&p.id))
            .map_err(|e| e.to_string());
        self.periods.insert(raw.into(), parsed.clone());
        parsed
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
            let Some(more) = self.slots[i].more.take() else {
                continue;
            };
            let slot = &self.slots[i];
            // Distinct (source, value) contributions; identical ones were counted as repeats.
            let distinct: Vec<Contribution> = std::iter::once(slot.first)
                .chain(more.distinct.iter().copied())
                .collect();
            let mut values: Vec<&str> = Vec::new();
            for d in &distinct {
                let t = self.text(d.value);
                if !values.contains(&t) {
                    values.push(t);
                }
            }
            let conflict =
                values.len() > 1 || (self.policy == DuplicatePolicy::Sum && distinct.len() > 1);
            let repeats = more.repeats;
            let n = distinct.len() as u64 + repeats;
            if !conflict {
                merged_identical += n - 1;
                continue;
            }
            let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
            let (kept, resolution): (Option<String>, String) = match self.policy {
                DuplicatePolicy::Reject | DuplicatePolicy::Fail => {
                    (None, "rejected: the key is left out".into())
                }
                DuplicatePolicy::First => (
                    Some(self.text(distinct[0].value).to_string()),
                    "kept the value read first".into(),
                ),
                DuplicatePolicy::Last => (
                    Some(self.text(more.last).to_string()),
                    "kept the value read last".into(),
                ),
                DuplicatePolicy::Sum => {
                    let sum = value::sum_decimals(distinct.iter().map(|d| self.text(d.value)));
                    let vt = self.value_type(distinct[0].mapping_row);
                    match sum.map(|s| value::prepare(Some(&s), vt)) {
                        Some(Ok(v)) => (Some(v.text), format!("summed {} values", distinct.len())),
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
                Some(v) => {
                    merged_identical += repeats;
                    merged_folded += n - 1 - repeats;
                    let span = self.push_text(v);
                    self.slots[i].first.value = span;
                }
                None => {
                    rejected += n;
                    self.slots[i].rejected = true;
                }
            }
            self.conflict_count += 1;
            if self.conflicts.len() < DETAIL_CAP {
                let conflict = Conflict {
                    key: self.output_key(&self.slots[i].key),
                    sources: distinct.iter().map(|c| self.conflict_source(c)).collect(),
                    values,
                    resolution,
                    written: kept,
                };
                self.conflicts.push(conflict);
            }
        }
        self.left[Reason::DuplicateMerged as usize] += merged_identical + merged_folded;
        self.left[Reason::DuplicateRejected as usize] += rejected;
        self.identical_merged = merged_identical;
        self.written = self.slots.iter().filter(|s| !s.rejected).count() as u64;
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
            value: self.text(c.value).to_string(),
            input: self.inputs[c.input as usize].clone(),
            record: c.record,
        }
    }

    /// Passes every written value, in the order its key was first read, to `f`.
    pub fn for_each_output(
        &self,
        comment: Option<&str>,
        mut f: impl FnMut(&OutputValue) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        for slot in self.slots.iter().filter(|s| !s.rejected) {
            let k = &slot.key;
            f(&OutputValue {
                data_element: self.ids.get(k[0]),
                period: self.ids.get(k[1]),
                org_unit: self.ids.get(k[2]),
                category_option_combo: self.ids.get(k[3]),
                attribute_option_combo: self.ids.get(k[4]),
                value: self.text(slot.first.value),
                comment,
            })?;
        }
        Ok(())
    }
}

/// Characters DHIS2 cannot take in a value of a CSV file (2.43+ reads no `""` escapes nor line
/// breaks in fields), and control characters XML cannot carry.
fn unsafe_character(value: &str, csv: bool) -> Option<&'static str> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Some("a control character");
    }
    if csv && value.contains(['"', '\n', '\r']) {
        return Some(
            "a quote or line break, which DHIS2 2.43+ cannot read in CSV (write JSON or XML instead)",
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
        // 3. Value.
        let value = match value::prepare(v.value, value_type) {
            Ok(value) => value,
            Err(e) => {
                self.leave(Reason::InvalidValue, &v, e.to_string());
                return Ok(());
            }
        };
        if let Some(what) = unsafe_character(&value.text, self.csv_output) {
            self.leave(
                Reason::InvalidValue,
                &v,
                format!("the value contains {what}"),
            );
            return Ok(());
        }
        // 4. Period.
        let period = match self.period_id(v.period) {
            Ok(p) => p,
            Err(e) => {
                self.leave(Reason::InvalidPeriod, &v, e);
                return Ok(());
            }
        };
        // 5. Output key.
        let key = [
            self.ids.intern(data_element),
            period,
            self.ids.intern(org_unit),
            self.ids.intern(coc),
            self.ids.intern(aoc),
        ];
        let source = [
            self.ids.intern(v.data_element),
            self.ids.intern(v.category_option_combo),
            self.ids.intern(v.attribute_option_combo),
            self.ids.intern(v.org_unit),
        ];
        let existing = self.index.get(&key).map(|&i| i as usize);
        if let Some(i) = existing {
            let slot = &self.slots[i];
            let same = |c: &Contribution| c.source == source && self.text(c.value) == value.text;
            let repeat = std::iter::once(&slot.first)
                .chain(slot.more.iter().flat_map(|m| m.distinct.iter()))
                .find(|c| same(c))
                .map(|c| c.value);
            let span = match repeat {
                Some(span) => span,
                None => self.push_text(&value.text),
            };
            let more = self.slots[i].more.get_or_insert_with(Default::default);
            more.last = span;
            if repeat.is_some() {
                more.repeats += 1;
            } else {
                more.distinct.push(Contribution {
                    value: span,
                    source,
                    mapping_row: row,
                    input: self.input,
                    record: v.place.record,
                });
            }
            return Ok(());
        }
        let contribution = Contribution {
            value: self.push_text(&value.text),
            source,
            mapping_row: row,
            input: self.input,
            record: v.place.record,
        };
        self.index.insert(key, self.slots.len() as u32);
        self.slots.push(Slot {
            key,
            first: contribution,
            more: None,
            rejected: false,
        });
        Ok(())
    }
}
