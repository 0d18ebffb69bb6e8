//! The output files: one, or with `--split-by data-set` one per data set (values of data
//! elements in no known data set apart), each cut into parts of at most `--max-values` entries.
//! A group lists its values, then its deletions.

use rustc_hash::FxHashMap;

use super::deletions::Deletion;
use crate::convert::Converted;
use crate::preflight::DataSetId;

/// One entry of an output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A written key (its slot).
    Value(usize),
    /// A deletion found against `--previous` (its index).
    Deletion(usize),
}

/// One output file's worth of entries.
#[derive(Debug, Clone)]
pub struct Group {
    /// The data set named in the payload (split output only).
    pub data_set: Option<DataSetId>,
    pub entries: Vec<Entry>,
    /// Values written (not deletions).
    pub values: u64,
    /// Deletions written: read as such, or found against `--previous`.
    pub deletions: u64,
}

/// The groups to write, in the order their first entry was read.
pub fn groups(
    c: &Converted,
    deletions: &[Deletion],
    split: bool,
    max: Option<usize>,
) -> Vec<Group> {
    let mut order: Vec<(Option<DataSetId>, Vec<Entry>)> = Vec::new();
    let mut position: FxHashMap<Option<String>, usize> = FxHashMap::default();
    if !split {
        order.push((None, Vec::new()));
        position.insert(None, 0);
    }
    let mut add = |ds: Option<DataSetId>, entry: Entry| {
        let ds = if split { ds } else { None };
        let i = *position
            .entry(ds.as_ref().map(|d| d.id.clone()))
            .or_insert_with(|| {
                order.push((ds, Vec::new()));
                order.len() - 1
            });
        order[i].1.push(entry);
    };
    for (i, slot) in c.values() {
        add(c.data_set(slot.data_set), Entry::Value(i));
    }
    for (i, d) in deletions.iter().enumerate() {
        add(d.data_set.clone(), Entry::Deletion(i));
    }
    let mut out = Vec::new();
    for (data_set, entries) in order {
        let parts = max
            .filter(|&m| entries.len() > m)
            .unwrap_or(entries.len().max(1));
        for part in entries.chunks(parts).map(<[Entry]>::to_vec).chain(
            // An empty output still gets its (empty) file.
            entries.is_empty().then(Vec::new),
        ) {
            let deleted = |e: &Entry| match *e {
                Entry::Value(i) => c.slot(i).first.deleted,
                Entry::Deletion(_) => true,
            };
            let n_deleted = part.iter().filter(|e| deleted(e)).count() as u64;
            out.push(Group {
                data_set: data_set.clone(),
                values: part.len() as u64 - n_deleted,
                deletions: n_deleted,
                entries: part,
            });
        }
    }
    out
}

impl Group {
    /// The group's entries as written: values, then deletions.
    pub fn output_values<'a>(
        &'a self,
        c: &'a Converted,
        deletions: &'a [Deletion],
        comment: Option<&'a str>,
    ) -> impl Iterator<Item = crate::write::OutputValue<'a>> + 'a {
        self.entries.iter().map(move |e| match *e {
            Entry::Value(i) => c.output_value(c.slot(i), comment),
            Entry::Deletion(i) => deletions[i].output_value(comment),
        })
    }
}
