//! The ledger of a conversion: how many values were read, how many were left out for each
//! [`Reason`] (the first [`DETAIL_CAP`] in detail), the source items no mapping row covers, and
//! how many values each mapping row carried.

use rustc_hash::FxHashMap;

use crate::ids::{Id, Interner, KeyText, Source};
use crate::model::DataValue;
use crate::reason::Reason;

/// At most this many left-out values and conflicts are kept in detail (all are counted).
pub const DETAIL_CAP: usize = 10_000;

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
    #[serde(flatten)]
    pub key: KeyText,
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

/// Counts and details of what was read and left out.
#[derive(Debug)]
pub struct Ledger {
    pub read: u64,
    left: [u64; Reason::ALL.len()],
    details: Vec<LeftOut>,
    /// Source items without a mapping row: how often, and where first seen.
    unmapped: FxHashMap<(Id, Id, Id), (u64, String)>,
    /// Values each mapping row matched.
    pub row_counts: Vec<u64>,
    /// Why the first value a mapping row matched and that was then left out was left out.
    pub row_reasons: Vec<Option<Reason>>,
    /// Values whose ids had surrounding white space, trimmed; and where the first was read.
    pub trimmed_ids: u64,
    /// Values marked as analytics writes them (`comment` `[aggregated]`,
    /// `AnalyticsUtils.KEY_AGG_VALUE`): their `dataElement` is a program indicator.
    pub aggregated: u64,
    pub first_trimmed: Option<String>,
}

impl Ledger {
    pub fn new(mapping_rows: usize) -> Self {
        Ledger {
            read: 0,
            left: [0; Reason::ALL.len()],
            details: Vec::new(),
            unmapped: FxHashMap::default(),
            row_counts: vec![0; mapping_rows],
            row_reasons: vec![None; mapping_rows],
            trimmed_ids: 0,
            aggregated: 0,
            first_trimmed: None,
        }
    }

    /// Counts a value left out; its detail is built only while under the cap.
    pub fn leave(
        &mut self,
        reason: Reason,
        v: &DataValue,
        input: &str,
        detail: impl FnOnce() -> String,
    ) {
        self.left[reason.index()] += 1;
        if self.details.len() < DETAIL_CAP {
            self.details.push(LeftOut {
                reason: reason.name(),
                detail: detail(),
                input: input.to_string(),
                record: v.place.record,
                line: v.place.line,
                key: v.key(),
                value: v.value.map(str::to_string),
            });
        }
    }

    /// Counts `n` values left out without detail (duplicates, reported as conflicts).
    pub fn count(&mut self, reason: Reason, n: u64) {
        self.left[reason.index()] += n;
    }

    /// Records a source item no mapping row covers.
    pub fn unmapped(&mut self, source: &Source, place: impl FnOnce() -> String) {
        let key = (
            source.data_element,
            source.category_option_combo,
            source.attribute_option_combo,
        );
        self.unmapped.entry(key).or_insert_with(|| (0, place())).0 += 1;
    }

    pub fn left(&self, reason: Reason) -> u64 {
        self.left[reason.index()]
    }

    pub fn left_total(&self) -> u64 {
        self.left.iter().sum()
    }

    /// Values left out, by reason, in [`Reason::ALL`] order.
    pub fn counts(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        Reason::ALL.iter().map(|&r| (r, self.left[r.index()]))
    }

    /// The values left out in detail (duplicates are listed as conflicts instead).
    pub fn details(&self) -> &[LeftOut] {
        &self.details
    }

    /// True when more values were left out (for reasons other than duplicates) than the
    /// details list.
    pub fn capped(&self) -> bool {
        let listed = self.left_total()
            - self.left(Reason::DuplicateMerged)
            - self.left(Reason::DuplicateRejected);
        listed > self.details.len() as u64
    }

    /// Source items without a mapping row, most frequent first.
    pub fn unmapped_items(&self, ids: &Interner) -> Vec<Unmapped> {
        let mut out: Vec<Unmapped> = self
            .unmapped
            .iter()
            .map(|(k, (count, example))| Unmapped {
                data_element: ids.get(k.0).to_string(),
                category_option_combo: ids.get(k.1).to_string(),
                attribute_option_combo: ids.get(k.2).to_string(),
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
}
