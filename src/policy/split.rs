//! The output files: one, or with `--split-by data-set` one per data set (values of data
//! elements in no known data set apart), each cut into parts of at most `--max-values` entries.
//! A group lists its values, then its deletions.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::deletions::Deletion;
use crate::convert::Converted;
use crate::ids::DataSetId;
use crate::ids::Id;

/// One output file's worth of entries: written keys (slot numbers), then deletions found
/// against `--previous` (their indexes). Numbers are `u32`, as in the store, so that a
/// million-value output costs 4 MB here.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// The data set named in the payload (split output only).
    pub data_set: Option<DataSetId>,
    slots: Vec<u32>,
    found: Vec<u32>,
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
    let mut order = Order {
        split,
        ..Order::default()
    };
    if !split {
        order.position(None);
    }
    // Slots look their data set up by interned id first, so that no value allocates.
    let mut by_id: FxHashMap<Id, usize> = FxHashMap::default();
    for (i, slot) in c.values() {
        let g = match by_id.get(&slot.data_set) {
            Some(&g) => g,
            None => {
                let g = order.position(c.data_set(slot.data_set));
                by_id.insert(slot.data_set, g);
                g
            }
        };
        order.groups[g].1.push(slot_number(i));
    }
    for (i, d) in deletions.iter().enumerate() {
        let g = order.position(d.data_set.clone());
        order.groups[g].2.push(slot_number(i));
    }
    order
        .groups
        .into_iter()
        .flat_map(|(data_set, slots, found)| parts(c, data_set, slots, found, max))
        .collect()
}

/// The groups in the order their first entry was read, found by the data set's id text (""
/// for none, and for everything when the output is not split).
#[derive(Default)]
struct Order {
    split: bool,
    groups: Vec<(Option<DataSetId>, Vec<u32>, Vec<u32>)>,
    by_text: FxHashMap<String, usize>,
}

impl Order {
    fn position(&mut self, ds: Option<DataSetId>) -> usize {
        let ds = if self.split { ds } else { None };
        let text = ds.as_ref().map_or(String::new(), |d| d.id.clone());
        *self.by_text.entry(text).or_insert_with(|| {
            self.groups.push((ds, Vec::new(), Vec::new()));
            self.groups.len() - 1
        })
    }
}

/// Store and deletion indexes fit in u32: the store refuses more slots than that.
fn slot_number(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// One data set's entries cut into parts of at most `max` (an empty output still gets its
/// empty file; an uncut one keeps its vectors).
fn parts(
    c: &Converted,
    data_set: Option<DataSetId>,
    slots: Vec<u32>,
    found: Vec<u32>,
    max: Option<usize>,
) -> Vec<Group> {
    let whole = |slots: Vec<u32>, found: Vec<u32>| {
        let deleted = slots
            .iter()
            .filter(|&&i| c.slot(i as usize).deletes())
            .count() as u64;
        Group {
            data_set: data_set.clone(),
            values: slots.len() as u64 - deleted,
            deletions: deleted + found.len() as u64,
            slots,
            found,
        }
    };
    let cuts = cuts(slots.len(), found.len(), max);
    if cuts.len() == 1 {
        return vec![whole(slots, found)];
    }
    cuts.into_iter()
        .map(|(s, f)| whole(slots[s].to_vec(), found[f].to_vec()))
        .collect()
}

/// Where to cut `slots` values then `found` deletions into parts of at most `max` entries:
/// the ranges of each that go into each part (one part, perhaps empty, when no cut is needed).
fn cuts(slots: usize, found: usize, max: Option<usize>) -> Vec<(Range<usize>, Range<usize>)> {
    let Some(max) = max.filter(|&m| m > 0 && slots + found > m) else {
        return vec![(0..slots, 0..found)];
    };
    (0..slots + found)
        .step_by(max)
        .map(|start| {
            let end = (start + max).min(slots + found);
            (
                start.min(slots)..end.min(slots),
                start.max(slots) - slots..end.max(slots) - slots,
            )
        })
        .collect()
}

impl Group {
    /// The slot numbers of the written keys, in file order.
    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// The indexes of the deletions found against `--previous`, after the slots.
    pub fn found(&self) -> &[u32] {
        &self.found
    }

    /// The group's entries as written: values, then deletions.
    pub fn output_values<'a>(
        &'a self,
        c: &'a Converted,
        deletions: &'a [Deletion],
        comment: Option<&'a str>,
    ) -> impl Iterator<Item = crate::write::OutputValue<'a>> + 'a {
        let values = self
            .slots
            .iter()
            .map(move |&i| c.output_value(c.slot(i as usize), comment));
        let found = self
            .found
            .iter()
            .map(move |&i| deletions[i as usize].output_value(comment));
        values.chain(found)
    }
}

#[cfg(test)]
mod tests {
    use super::cuts;

    #[test]
    fn parts_take_values_then_deletions_up_to_the_maximum() {
        assert_eq!(cuts(0, 0, Some(2)), vec![(0..0, 0..0)], "an empty output");
        assert_eq!(cuts(3, 0, None), vec![(0..3, 0..0)]);
        assert_eq!(cuts(2, 1, Some(3)), vec![(0..2, 0..1)], "exactly full");
        assert_eq!(
            cuts(3, 2, Some(2)),
            vec![(0..2, 0..0), (2..3, 0..1), (3..3, 1..2)],
            "a part holding the last value and the first deletion"
        );
        assert_eq!(cuts(0, 3, Some(2)), vec![(0..0, 0..2), (0..0, 2..3)]);
    }
}
