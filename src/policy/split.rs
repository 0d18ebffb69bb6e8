//! The output files: one, or with `--split-by data-set` one per data set (values of data
//! elements in no known data set apart), each cut into parts of at most `--max-values` entries.
//! A group lists its values, then its zeros (`--zero-fill`), then its deletions.

use std::ops::Range;

use rustc_hash::FxHashMap;

use super::Entries;
use super::numbers::Numbers;
use crate::convert::Converted;
use crate::ids::DataSetId;
use crate::ids::Id;

/// One output file's worth of entries: written keys (slot numbers), zeros of `--zero-fill`,
/// then deletions found against `--previous` (their indexes). Numbers are `u32`, as in the
/// store, kept as runs where they run ([`Numbers`]): an unsplit output costs next to nothing
/// here, a split one at most 4 MB a million values.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// The data set named in the payload (split output only).
    pub data_set: Option<DataSetId>,
    slots: Numbers,
    filled: Numbers,
    found: Numbers,
    /// Values written (not deletions), zeros included.
    pub values: u64,
    /// Of `values`, zeros of `--zero-fill`.
    pub zeros: u64,
    /// Deletions written: read as such, or found against `--previous`.
    pub deletions: u64,
}

/// A group's three lists while they are gathered.
type Lists = [Numbers; 3];

/// The groups to write, in the order their first entry was read.
pub fn groups(e: Entries, split: bool, max: Option<usize>) -> Vec<Group> {
    let Entries {
        converted: c,
        zeros,
        deletions,
    } = e;
    let mut order = Order {
        split,
        ..Order::default()
    };
    // Unsplit with nothing rejected, the keys are every slot in order: no slot need be read.
    if !split && c.written() == c.keys() as u64 {
        if c.keys() > 0 {
            let g = order.position(None);
            let list = &mut order.groups[g].1[0];
            (0..c.keys()).for_each(|i| list.push(slot_number(i)));
        }
    } else {
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
            order.groups[g].1[0].push(slot_number(i));
        }
    }
    for (i, z) in zeros.iter().enumerate() {
        let g = order.position(z.data_set.clone());
        order.groups[g].1[1].push(slot_number(i));
    }
    for (i, d) in deletions.iter().enumerate() {
        let g = order.position(d.data_set.clone());
        order.groups[g].1[2].push(slot_number(i));
    }
    order
        .groups
        .into_iter()
        .flat_map(|(data_set, lists)| parts(c, data_set, lists, max))
        .collect()
}

/// The groups in the order their first entry was read, found by the data set's id text (""
/// for none, and for everything when the output is not split).
#[derive(Default)]
struct Order {
    split: bool,
    groups: Vec<(Option<DataSetId>, Lists)>,
    by_text: FxHashMap<String, usize>,
}

impl Order {
    fn position(&mut self, ds: Option<DataSetId>) -> usize {
        let ds = if self.split { ds } else { None };
        let text = ds.as_ref().map_or(String::new(), |d| d.id.clone());
        *self.by_text.entry(text).or_insert_with(|| {
            self.groups.push((ds, Lists::default()));
            self.groups.len() - 1
        })
    }
}

/// Store and list indexes fit in u32: the store refuses more slots than that.
fn slot_number(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// One data set's entries cut into parts of at most `max` (an empty output still gets its
/// empty file; an uncut one keeps its vectors).
fn parts(
    c: &Converted,
    data_set: Option<DataSetId>,
    lists: Lists,
    max: Option<usize>,
) -> Vec<Group> {
    let whole = |[slots, filled, found]: Lists| {
        // A part that holds every key written has the deletions counted when they were.
        let deleted = if slots.len() as u64 == c.written() {
            c.input_deletions()
        } else {
            slots
                .iter()
                .filter(|&i| c.slot(i as usize).deletes())
                .count() as u64
        };
        Group {
            data_set: data_set.clone(),
            values: slots.len() as u64 - deleted + filled.len() as u64,
            zeros: filled.len() as u64,
            deletions: deleted + found.len() as u64,
            slots,
            filled,
            found,
        }
    };
    let cuts = cuts(&lists.each_ref().map(Numbers::len), max);
    if cuts.len() == 1 {
        return vec![whole(lists)];
    }
    cuts.into_iter()
        .map(|ranges| {
            let [a, b, c] = ranges;
            whole([lists[0].part(a), lists[1].part(b), lists[2].part(c)])
        })
        .collect()
}

/// Where to cut lists of `lens` entries, taken one after another, into parts of at most `max`
/// entries: the range of each list in each part (one part, perhaps empty, when no cut is
/// needed).
fn cuts<const N: usize>(lens: &[usize; N], max: Option<usize>) -> Vec<[Range<usize>; N]> {
    let total: usize = lens.iter().sum();
    let whole = || std::array::from_fn(|i| 0..lens[i]);
    let Some(max) = max.filter(|&m| m > 0 && total > m) else {
        return vec![whole()];
    };
    (0..total)
        .step_by(max)
        .map(|start| {
            let end = (start + max).min(total);
            let mut offset = 0;
            std::array::from_fn(|i| {
                let (from, to) = (offset, offset + lens[i]);
                offset = to;
                start.clamp(from, to) - from..end.clamp(from, to) - from
            })
        })
        .collect()
}

impl Group {
    /// The slot numbers of the written keys, in file order.
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots.iter()
    }

    /// The slot numbers at positions `range` of [`Group::slots`].
    pub fn slots_in(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = u32> + '_ {
        self.slots.range(range)
    }

    /// How many written keys the group holds.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The indexes of the zeros of `--zero-fill`, after the slots.
    pub fn filled(&self) -> impl Iterator<Item = u32> + '_ {
        self.filled.iter()
    }

    /// The indexes of the deletions found against `--previous`, last.
    pub fn found(&self) -> impl Iterator<Item = u32> + '_ {
        self.found.iter()
    }

    /// How many values (deletions among them) the group's file holds.
    pub fn len(&self) -> usize {
        self.slots.len() + self.filled.len() + self.found.len()
    }

    /// The group's entries as written (values, then deletions) at the positions `range` of
    /// its [`Group::len`].
    pub fn output_values<'a>(
        &'a self,
        e: Entries<'a>,
        comment: Option<&'a str>,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = crate::write::OutputValue<'a>> + 'a {
        let Entries {
            converted: c,
            zeros,
            deletions,
        } = e;
        // The range cut into the three lists, one after the other.
        let mut start = range.start;
        let mut end = range.end;
        let mut cut = |list: &'a Numbers| {
            let part = list.range(start..end);
            start = start.saturating_sub(list.len());
            end = end.saturating_sub(list.len());
            part
        };
        let (slots, filled, found) = (cut(&self.slots), cut(&self.filled), cut(&self.found));
        let values = slots.map(move |i| c.output_value(&c.slot(i as usize), comment));
        let filled = filled.map(move |i| zeros[i as usize].output_value(comment));
        let found = found.map(move |i| deletions[i as usize].output_value(comment));
        values.chain(filled).chain(found)
    }
}

#[cfg(test)]
mod tests {
    use super::cuts;

    #[test]
    fn parts_take_values_then_deletions_up_to_the_maximum() {
        assert_eq!(
            cuts(&[0, 0], Some(2)),
            vec![[0..0, 0..0]],
            "an empty output"
        );
        assert_eq!(cuts(&[3, 0], None), vec![[0..3, 0..0]]);
        assert_eq!(cuts(&[2, 1], Some(3)), vec![[0..2, 0..1]], "exactly full");
        assert_eq!(
            cuts(&[3, 2], Some(2)),
            vec![[0..2, 0..0], [2..3, 0..1], [3..3, 1..2]],
            "a part holding the last value and the first deletion"
        );
        assert_eq!(cuts(&[0, 3], Some(2)), vec![[0..0, 0..2], [0..0, 2..3]]);
        assert_eq!(
            cuts(&[1, 2, 1], Some(2)),
            vec![[0..1, 0..1, 0..0], [1..1, 1..2, 0..1]],
            "values, zeros, deletions in order"
        );
    }
}
