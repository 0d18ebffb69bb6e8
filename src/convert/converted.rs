//! The read-only result of a conversion: every key with the value to write (or why the key is
//! left out), the ledger of reasons, the conflicts, the data set of each key and the periods in
//! scope. Policies and writers read it; nothing changes it.

use rustc_hash::{FxHashMap, FxHashSet};

use super::duplicates::{Conflict, Resolved};
use super::judge::Judge;
use super::ledger::{Ledger, Unmapped};
use super::store::{Slot, Store};
use crate::ids::DataSetId;
use crate::ids::{Id, IdScheme, Interner, Key, KeyText};
use crate::write::OutputValue;

/// What a conversion produced.
pub struct Converted {
    pub ids: Interner,
    store: Store,
    pub ledger: Ledger,
    duplicates: Resolved,
    pub inputs: Vec<String>,
    /// Keys that received a value that was left out after its key was known.
    pub touched: FxHashSet<Key>,
    /// Periods of the values in scope (valid, inside the window, not current).
    pub periods_in_scope: FxHashSet<Id>,
    data_set_schemes: FxHashMap<Id, IdScheme>,
    /// The text of each value as exported where it differs from the value read (`10.0` for
    /// `10`), by input and value number: kept for the trace only.
    pub exported: Option<Exported>,
    /// What is written, counted once: the reports ask for it several times, and past
    /// `--memory` each count would read the key store back from disk.
    written: Written,
}

/// Keys written: in all, deletions among them, and per mapping row.
#[derive(Debug, Default)]
struct Written {
    keys: u64,
    deletions: u64,
    by_row: Vec<u64>,
}

/// Values' texts as exported, where they differ from the value: one text for all, and per
/// value its (input, value number) and span, in the order read (so sorted: looked up by
/// binary search). No allocation per value.
#[derive(Debug, Default)]
pub struct Exported {
    text: String,
    at: Vec<((u32, u32), (u32, u32))>,
}

impl Exported {
    /// Keeps `raw` for value `record` of input `input` (values come in input, then record,
    /// order); a text past 4 GiB in all is not kept (the trace then shows the value).
    pub fn keep(&mut self, input: u32, record: u32, raw: &str) {
        let (Ok(start), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(raw.len()))
        else {
            return;
        };
        if start.checked_add(len).is_none() {
            return;
        }
        debug_assert!(self.at.last().is_none_or(|&(k, _)| k < (input, record)));
        self.text.push_str(raw);
        self.at.push(((input, record), (start, len)));
    }

    fn get(&self, input: u32, record: u32) -> Option<&str> {
        let i = self
            .at
            .binary_search_by_key(&(input, record), |&(k, _)| k)
            .ok()?;
        let (start, len) = self.at[i].1;
        self.text.get(start as usize..(start + len) as usize)
    }
}

impl Converted {
    pub(super) fn new(
        ids: Interner,
        store: Store,
        ledger: Ledger,
        duplicates: Resolved,
        inputs: Vec<String>,
        touched: FxHashSet<Key>,
        judge: Judge,
    ) -> Self {
        let mut written = Written::default();
        for (_, slot) in store.slots().filter(|(_, s)| !s.rejected()) {
            written.keys += 1;
            written.deletions += u64::from(slot.deletes());
            let row = slot.first.row as usize;
            if slot.first.row != crate::convert::store::NO_ROW {
                if written.by_row.len() <= row {
                    written.by_row.resize(row + 1, 0);
                }
                written.by_row[row] += 1;
            }
        }
        Converted {
            written,
            ids,
            store,
            ledger,
            duplicates,
            inputs,
            touched,
            periods_in_scope: judge.periods_in_scope,
            data_set_schemes: judge.data_set_schemes,
            exported: None,
        }
    }

    /// The keys written, in the order they were first read.
    pub fn values(&self) -> impl Iterator<Item = (usize, Slot<'_>)> {
        self.store.slots().filter(|(_, s)| !s.rejected())
    }

    /// Distinct keys stored (written or rejected).
    pub fn keys(&self) -> usize {
        self.store.len()
    }

    /// How the key store kept to `--memory`.
    pub fn memory_use(&self) -> crate::convert::store::MemoryUse {
        self.store.memory_use()
    }

    /// A read of the key store's temporary file that failed: the outputs cannot be trusted.
    pub fn store_failure(&self) -> Option<&str> {
        self.store.failure()
    }

    /// Values written per mapping row (`rows` rows): each counted for the row of the value
    /// written for its key.
    pub fn written_by_row(&self, rows: usize) -> Vec<u64> {
        let mut out = self.written.by_row.clone();
        out.resize(rows, 0);
        out
    }

    /// Values written, deletions read from the inputs included.
    pub fn written(&self) -> u64 {
        self.written.keys
    }

    /// Deletions read from the inputs and written (they count as written).
    pub fn input_deletions(&self) -> u64 {
        self.written.deletions
    }

    /// Values merged because another value with the same key and value was written.
    pub fn identical_merged(&self) -> u64 {
        self.duplicates.identical
    }

    /// Keys that received different values (the first ones in detail).
    pub fn conflicts(&self) -> &[Conflict] {
        &self.duplicates.conflicts
    }

    pub fn conflict_count(&self) -> u64 {
        self.duplicates.conflict_count
    }

    pub fn unmapped(&self) -> Vec<Unmapped> {
        self.ledger.unmapped_items(&self.ids)
    }

    pub fn slot(&self, i: usize) -> Slot<'_> {
        self.store.slot(i)
    }

    /// The slot of a key, if any value was stored for it.
    pub fn find(&self, key: &Key) -> Option<Slot<'_>> {
        self.store.find(key).map(|i| self.slot(i))
    }

    /// The value one source gave.
    pub fn contribution_text(&self, c: &crate::convert::store::Contribution) -> &str {
        self.store.text(c.value)
    }

    /// The value one source gave, as its export wrote it.
    pub fn exported_text(&self, c: &crate::convert::store::Contribution) -> &str {
        self.exported
            .as_ref()
            .and_then(|e| e.get(c.input, c.record))
            .unwrap_or_else(|| self.contribution_text(c))
    }

    /// The value a slot writes.
    pub fn value_text(&self, slot: &Slot) -> &str {
        self.store.text(slot.written().0)
    }

    pub fn text(&self, id: Id) -> &str {
        self.ids.get(id)
    }

    pub fn key(&self, key: &Key) -> KeyText {
        KeyText::of(&self.ids, key)
    }

    /// A value, or a value left out, arrived for `key` (a zero or a deletion would contradict
    /// what was read).
    pub fn arrived(&self, key: &KeyText) -> bool {
        self.ids
            .key_of(key)
            .is_some_and(|k| self.find(&k).is_some() || self.touched.contains(&k))
    }

    /// A data set as written in a payload.
    pub fn data_set(&self, id: Id) -> Option<DataSetId> {
        (!id.is_empty()).then(|| DataSetId {
            id: self.ids.get(id).to_string(),
            scheme: self
                .data_set_schemes
                .get(&id)
                .cloned()
                .unwrap_or(IdScheme::Code),
        })
    }

    /// The ids of the data sets written values go to.
    pub fn data_sets_written(&self) -> FxHashSet<&str> {
        self.values()
            .filter(|(_, s)| !s.data_set.is_empty())
            .map(|(_, s)| self.ids.get(s.data_set))
            .collect()
    }

    /// A slot as written.
    pub fn output_value<'a>(&'a self, slot: &Slot, comment: Option<&'a str>) -> OutputValue<'a> {
        let k = &slot.key;
        OutputValue {
            data_element: self.ids.get(k.data_element),
            period: self.ids.get(k.period),
            org_unit: self.ids.get(k.org_unit),
            category_option_combo: self.ids.get(k.category_option_combo),
            attribute_option_combo: self.ids.get(k.attribute_option_combo),
            value: self.store.text(slot.written().0),
            comment,
            followup: false,
            deleted: slot.deletes(),
        }
    }
}
