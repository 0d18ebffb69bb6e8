//! What is remembered per output key: one packed slot per [`Key`] with the value read first,
//! the other distinct values read for it, and a count of identical repeats, so that memory
//! follows distinct keys, not file size. A slot is 40 bytes: the key, the value's span, the
//! record number, the source org unit and two small numbers — the value's [`Origin`] (mapping
//! row, source item and combos, input, data set, deletion: few distinct per run, interned) and
//! its [`More`] (only for the keys read more than once). Value texts live in one arena; lines
//! are kept only for the trace; slots live in fixed-size chunks (growing never copies what is
//! stored) behind a hash index of the keys, the oldest chunks on disk once the store passes
//! its memory budget ([`paged`](super::paged)). [`Slot`] is the unpacked view the rest reads.

use std::hash::BuildHasher;

use anyhow::{Context, Result, bail};
use rustc_hash::{FxBuildHasher, FxHashMap};

mod index;
mod packed;

use super::paged::Paged;
use crate::ids::{Id, Key, Source};
use index::Index;
use packed::{Packed, Tail};

/// A stretch of the value arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    start: u32,
    len: u32,
}

/// A mapping row index, or none (ids passed through without a mapping).
pub const NO_ROW: u32 = u32::MAX;

/// One value read for a key: its text, where it came from, and whether it is a deletion.
#[derive(Debug, Clone, Copy, Default)]
pub struct Contribution {
    pub value: Span,
    pub source: Source,
    /// The mapping row that matched ([`NO_ROW`] without a mapping).
    pub row: u32,
    pub input: u32,
    /// The value's number in its input, and its line (0 when the format has none, or when
    /// lines are not kept); both saturate at u32::MAX, four billion values into one file (a
    /// key's first value at 2^31 − 1, two billion).
    pub record: u32,
    pub line: u32,
    /// Read with `deleted=true`: a deletion of the key, carried through as one.
    pub deleted: bool,
}

/// What a key received beyond its first value.
#[derive(Debug, Default)]
pub struct More {
    /// The first value's record number (the slot's word holds this `More`'s index instead).
    first_record: u32,
    /// The number of the key's slot.
    slot: u32,
    /// Further contributions, each different from all before it in source or value.
    pub distinct: Vec<Contribution>,
    /// The value read last.
    pub last: Option<Contribution>,
    /// Values read again with the same source and value: counted, not stored.
    pub repeats: u32,
    /// The key is left out (a conflict the policy rejects).
    pub rejected: bool,
    /// The value the duplicate policy decided to write (and whether it is a deletion), when it
    /// is not the first value's; the contributions keep what each source said.
    pub written: Option<(Span, bool)>,
}

/// One output key and everything read for it, as the rest of pi2de reads it.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'s> {
    pub key: Key,
    /// The value read first.
    pub first: Contribution,
    /// Other values for the key, if it was read more than once.
    pub more: Option<&'s More>,
    /// The data set the value goes to ([`Id::EMPTY`] when none is known).
    pub data_set: Id,
}

impl Slot<'_> {
    /// Only a key with different values can be rejected, and those have a `More`.
    pub fn rejected(&self) -> bool {
        self.more.is_some_and(|m| m.rejected)
    }

    /// The value to write and whether it is a deletion: the policy's choice, else the first.
    pub fn written(&self) -> (Span, bool) {
        self.more
            .and_then(|m| m.written)
            .unwrap_or((self.first.value, self.first.deleted))
    }

    /// The value to write is a deletion.
    pub fn deletes(&self) -> bool {
        self.written().1
    }

    /// Values read again with the same source and value.
    pub fn repeats(&self) -> u32 {
        self.more.map_or(0, |m| m.repeats)
    }

    /// Every value stored for the key: the first, then the distinct others.
    pub fn contributions(&self) -> impl Iterator<Item = &Contribution> {
        std::iter::once(&self.first).chain(self.more.iter().flat_map(|m| m.distinct.iter()))
    }
}

/// How the store kept to its memory budget (`--memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryUse {
    /// Keys whose slots went to the temporary file.
    pub keys_on_disk: usize,
    /// The bytes of the index, texts and keys read twice, when they alone pass the budget.
    pub over_budget: Option<usize>,
}

/// What a value's contribution shares with many others: interned per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Origin {
    source: (Id, Id, Id),
    row: u32,
    input: u32,
    data_set: Id,
    deleted: bool,
}

/// How many distinct short values are stored once.
const SHORT_TEXTS: usize = 1 << 16;

fn text(arena: &str, span: Span) -> &str {
    &arena[span.start as usize..(span.start + span.len) as usize]
}

/// The slots, their index by key, and the value texts.
pub struct Store {
    slots: Paged<Packed>,
    /// Slot numbers by key (the key lives in the slot), each with the key's hash so that growing
    /// the table never visits the slots.
    index: Index,
    hasher: FxBuildHasher,
    arena: String,
    origins: Vec<Origin>,
    origin_ids: FxHashMap<Origin, u32>,
    /// The origin interned last: consecutive values mostly share one.
    last_origin: Option<(Origin, u32)>,
    more: Vec<More>,
    /// Short value texts already in the arena (numbers repeat across keys): stored once.
    short: FxHashMap<(u64, u8), Span>,
    /// Each slot's line, when kept (for the trace).
    lines: Option<Paged<u32>>,
    /// Bytes the store may hold before its oldest slots go to disk.
    budget: usize,
}

impl Store {
    /// A store that keeps each value's line (the trace shows it), or not, and holds up to
    /// `budget` bytes before it moves its oldest slots to disk.
    pub fn new(keep_lines: bool, budget: u64) -> Self {
        Store {
            slots: Paged::default(),
            index: Index::default(),
            hasher: FxBuildHasher,
            arena: String::new(),
            origins: Vec::new(),
            origin_ids: FxHashMap::default(),
            last_origin: None,
            more: Vec::new(),
            short: FxHashMap::default(),
            lines: keep_lines.then(Paged::default),
            budget: usize::try_from(budget).unwrap_or(usize::MAX),
        }
    }

    /// Adds a value for `key`: a new slot, an identical repeat, or a further distinct value.
    pub fn add(&mut self, key: Key, data_set: Id, value: &str, c: Contribution) -> Result<()> {
        let h = self.hash(&key);
        let Some(i) = self.find_hashed(h, &key) else {
            return self.push(h, key, data_set, value, c);
        };
        let repeat = self
            .slot(i)
            .contributions()
            .find(|k| k.source == c.source && k.deleted == c.deleted && self.text(k.value) == value)
            .map(|k| k.value);
        let c = Contribution {
            value: match repeat {
                Some(known) => known,
                None => self.value_text(value)?,
            },
            ..c
        };
        let more = self.more_of(i)?;
        match repeat {
            Some(_) => more.repeats = more.repeats.saturating_add(1),
            None => more.distinct.push(c),
        }
        more.last = Some(c);
        Ok(())
    }

    /// A new slot for `key`.
    fn push(&mut self, h: u32, key: Key, data_set: Id, value: &str, c: Contribution) -> Result<()> {
        let origin = self.origin(Origin {
            source: (
                c.source.data_element,
                c.source.category_option_combo,
                c.source.attribute_option_combo,
            ),
            row: c.row,
            input: c.input,
            data_set,
            deleted: c.deleted,
        })?;
        let n = u32::try_from(self.slots.len())?;
        self.index.insert(h, n);
        let value = self.value_text(value)?;
        if self.slots.starts_chunk() {
            self.fit()?;
        }
        let packed = Packed {
            key,
            value,
            source_org_unit: c.source.org_unit,
            origin,
            tail: Tail::record(c.record),
        };
        self.slots.push(packed);
        if let Some(lines) = self.lines.as_mut() {
            lines.push(c.line);
        }
        Ok(())
    }

    /// Keeps the slots and lines in memory within the budget less the rest of the store (the
    /// slots and lines share it in proportion), the oldest on disk. Once a chunk.
    fn fit(&mut self) -> Result<()> {
        let room = self.budget.saturating_sub(self.other_bytes());
        let (slots_room, lines_room) = match self.lines {
            Some(_) => (room / 12 * 11, room / 12),
            None => (room, 0),
        };
        self.slots.fit(slots_room).context(SPILL)?;
        if let Some(lines) = self.lines.as_mut() {
            lines.fit(lines_room).context(SPILL)?;
        }
        Ok(())
    }

    /// The bytes the store holds besides its slots and lines (the index, texts, keys read
    /// twice), roughly.
    fn other_bytes(&self) -> usize {
        self.index.bytes()
            + self.arena.capacity()
            + self.more.capacity() * size_of::<More>()
            + self.short.capacity() * 24
    }

    /// Chunks of slots on disk.
    pub fn spilled(&self) -> usize {
        self.slots.spilled()
    }

    /// How the store kept to its budget: keys on disk, and the bytes of what always stays in
    /// memory (the index above all) when that alone passes the budget.
    pub fn memory_use(&self) -> MemoryUse {
        let resident = self.other_bytes();
        MemoryUse {
            keys_on_disk: self.spilled() * super::paged::CHUNK,
            over_budget: (resident > self.budget).then_some(resident),
        }
    }

    /// A read of the slots on disk that failed, if any did: the run's outputs cannot be
    /// trusted then.
    pub fn failure(&self) -> Option<&str> {
        let lines = self.lines.as_ref().and_then(Paged::failure);
        self.slots.failure().or(lines)
    }

    /// The number of an origin, interned.
    fn origin(&mut self, o: Origin) -> Result<u32> {
        if let Some((last, n)) = self.last_origin
            && last == o
        {
            return Ok(n);
        }
        let n = match self.origin_ids.get(&o) {
            Some(&n) => n,
            None => {
                let n = u32::try_from(self.origins.len())?;
                self.origins.push(o);
                self.origin_ids.insert(o, n);
                n
            }
        };
        self.last_origin = Some((o, n));
        Ok(n)
    }

    /// What slot `i` received beyond its first value, made when first needed.
    fn more_of(&mut self, i: usize) -> Result<&mut More> {
        let tail = self.slots.get(i).tail;
        let m = match (tail.as_more(), tail.as_record()) {
            (Some(m), _) => m,
            (None, record) => {
                let m = self.more.len();
                let Some(more) = Tail::more(m) else {
                    bail!(
                        "more than two billion keys read twice: split the export into smaller runs"
                    );
                };
                self.more.push(More {
                    first_record: record.unwrap_or(Tail::RECORD_MAX),
                    slot: u32::try_from(i)?,
                    ..More::default()
                });
                self.slots.update(i, |p| p.tail = more).context(SPILL)?;
                m
            }
        };
        Ok(&mut self.more[m])
    }

    /// The slot holding `key`.
    pub fn find(&self, key: &Key) -> Option<usize> {
        self.find_hashed(self.hash(key), key)
    }

    /// Readies the index for an [`Store::add`] of `key` soon (the converter asks one value
    /// ahead, so that the lookup does not wait for memory).
    pub fn prefetch(&self, key: &Key) {
        self.index.prefetch(self.hash(key));
    }

    fn find_hashed(&self, h: u32, key: &Key) -> Option<usize> {
        self.index
            .find(h, |i| self.slots.get(i as usize).key == *key)
            .map(|i| i as usize)
    }

    /// Slot `i`, unpacked.
    pub fn slot(&self, i: usize) -> Slot<'_> {
        self.unpack(
            self.slots.get(i),
            self.lines.as_ref().map_or(0, |l| l.get(i)),
        )
    }

    /// Every slot in order, with its number (those on disk read back a chunk at a time, kept
    /// at hand while they are read).
    pub fn slots(&self) -> impl Iterator<Item = (usize, Slot<'_>)> {
        (0..self.len()).map(|i| (i, self.slot(i)))
    }

    fn unpack(&self, p: Packed, line: u32) -> Slot<'_> {
        let o = self.origins[p.origin as usize];
        let more = p.tail.as_more().map(|m| &self.more[m]);
        Slot {
            key: p.key,
            first: Contribution {
                value: p.value,
                source: Source {
                    data_element: o.source.0,
                    category_option_combo: o.source.1,
                    attribute_option_combo: o.source.2,
                    org_unit: p.source_org_unit,
                },
                row: o.row,
                input: o.input,
                record: more.map_or_else(|| p.tail.as_record().unwrap_or(0), |m| m.first_record),
                line,
                deleted: o.deleted,
            },
            more,
            data_set: o.data_set,
        }
    }

    /// What slot `i` received beyond its first value, to record the policy's decision.
    pub fn more_mut(&mut self, i: usize) -> Option<&mut More> {
        let m = self.slots.get(i).tail.as_more()?;
        Some(&mut self.more[m])
    }

    /// The slots of the keys read more than once, in order.
    pub fn read_again(&self) -> Vec<usize> {
        let mut slots: Vec<usize> = self.more.iter().map(|m| m.slot as usize).collect();
        slots.sort_unstable();
        slots
    }

    /// The number of slots (distinct keys).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn text(&self, span: Span) -> &str {
        text(&self.arena, span)
    }

    /// Stores a value read, once if it is short: eight bytes or less, up to [`SHORT_TEXTS`]
    /// distinct ones.
    fn value_text(&mut self, s: &str) -> Result<Span> {
        if s.len() > 8 {
            return self.push_text(s);
        }
        let mut bytes = [0u8; 8];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        let short = (u64::from_le_bytes(bytes), s.len() as u8);
        if let Some(&span) = self.short.get(&short) {
            return Ok(span);
        }
        let span = self.push_text(s)?;
        if self.short.len() < SHORT_TEXTS {
            self.short.insert(short, span);
        }
        Ok(span)
    }

    /// Stores a text (a resolved value) and returns its span.
    pub fn push_text(&mut self, s: &str) -> Result<Span> {
        // Start, length and end of the span in 32 bits.
        let (Ok(start), Ok(len), Ok(_end)) = (
            u32::try_from(self.arena.len()),
            u32::try_from(s.len()),
            u32::try_from(self.arena.len() + s.len()),
        ) else {
            bail!("more than 4 GB of distinct value text: split the export into smaller runs");
        };
        self.arena.push_str(s);
        Ok(Span { start, len })
    }

    /// A key's 32-bit hash.
    fn hash(&self, key: &Key) -> u32 {
        (self.hasher.hash_one(key) >> 32) as u32
    }
}

const SPILL: &str = "cannot write the key store's temporary file (set TMPDIR, or TEMP on Windows, \
                     to a folder on a disk with room, or raise --memory)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::xorshift;

    /// What one key received, as a plain model: the first value, the distinct others, the
    /// repeats and the last (source, value, deleted, record).
    #[derive(Default, Debug, PartialEq)]
    struct Model {
        first: Option<(u32, String, bool, u32)>,
        distinct: Vec<(u32, String, bool, u32)>,
        repeats: u32,
        last: Option<(u32, String, bool, u32)>,
    }

    #[test]
    fn what_a_key_received_is_kept_as_read_for_generated_values() {
        let mut next = xorshift(0x5851_f42d_4c95_7f2d);
        let mut ids = crate::ids::Interner::default();
        let id: Vec<Id> = (0..12_100).map(|n| ids.intern(&n.to_string())).collect();
        let values = [
            "0",
            "1",
            "12",
            "12345678",
            "123456789",
            "yes",
            "a longer text value",
        ];
        // In memory, and with every full chunk of slots on disk (a budget of nothing).
        for (keep_lines, budget) in [(false, u64::MAX), (true, u64::MAX), (false, 0), (true, 0)] {
            let mut store = Store::new(keep_lines, budget);
            let mut models: Vec<Model> = Vec::new();
            let mut order: Vec<u32> = Vec::new();
            for record in 1..=20_000u32 {
                let k = next(12_000) as u32;
                let key = Key {
                    data_element: id[(k % 7) as usize],
                    period: id[(k / 7 % 10) as usize],
                    org_unit: id[(k / 70) as usize],
                    category_option_combo: Id::EMPTY,
                    attribute_option_combo: Id::EMPTY,
                };
                let (source, value, deleted) = (next(3) as u32, values[next(7)], next(9) == 0);
                let c = Contribution {
                    value: Span::default(),
                    source: Source {
                        data_element: id[(source) as usize],
                        category_option_combo: Id::EMPTY,
                        attribute_option_combo: Id::EMPTY,
                        org_unit: id[(100 + k) as usize],
                    },
                    row: source,
                    input: record / 10_000,
                    record,
                    line: record * 3,
                    deleted,
                };
                store.add(key, id[(k % 7 + 50) as usize], value, c).unwrap();
                if models.len() <= k as usize {
                    models.resize_with(k as usize + 1, Default::default);
                }
                let m = &mut models[k as usize];
                let said = (source, value.to_string(), deleted, record);
                let same =
                    |x: &&(u32, String, bool, u32)| (x.0, &x.1, x.2) == (source, &said.1, deleted);
                if m.first.is_none() {
                    order.push(k);
                    m.first = Some(said);
                    continue;
                }
                if m.first.iter().chain(&m.distinct).any(|x| same(&x)) {
                    m.repeats += 1;
                } else {
                    m.distinct.push(said.clone());
                }
                m.last = Some(said);
            }
            assert_eq!(store.len(), order.len(), "one slot per distinct key");
            assert_eq!(
                store.spilled() > 0,
                budget == 0,
                "slots on disk past the budget"
            );
            assert_eq!(store.failure(), None);
            let in_order: Vec<_> = store
                .slots()
                .map(|(i, s)| (i, seen_slot(&store, &s)))
                .collect();
            let by_number: Vec<_> = (0..store.len())
                .map(|i| (i, seen_slot(&store, &store.slot(i))))
                .collect();
            assert!(
                in_order == by_number,
                "the slots in order are the slots by number"
            );
            let seen =
                |c: &Contribution| (c.row, store.text(c.value).to_string(), c.deleted, c.record);
            for (i, &k) in order.iter().enumerate() {
                let slot = store.slot(i);
                let got = Model {
                    first: Some(seen(&slot.first)),
                    distinct: slot
                        .more
                        .map_or(Vec::new(), |m| m.distinct.iter().map(seen).collect()),
                    repeats: slot.repeats(),
                    last: slot.more.and_then(|m| m.last.as_ref()).map(seen),
                };
                assert_eq!(got, models[k as usize], "key {k}");
                assert_eq!(store.find(&slot.key), Some(i));
                assert_eq!(slot.data_set, id[(k % 7 + 50) as usize]);
                assert_eq!(slot.first.source.org_unit, id[(100 + k) as usize]);
                assert_eq!(slot.first.source.data_element, id[slot.first.row as usize]);
                assert_eq!(slot.first.input, slot.first.record / 10_000);
                let line = if keep_lines { slot.first.record * 3 } else { 0 };
                assert_eq!(slot.first.line, line, "lines kept only when asked");
            }
        }
    }

    /// What a slot says, as plain values.
    fn seen_slot(store: &Store, s: &Slot) -> (Key, u32, String, u32, u32, u32, Option<usize>) {
        let c = &s.first;
        let text = store.text(s.written().0).to_string();
        let more = s.more.map(|m| m.distinct.len());
        (
            s.key,
            c.row,
            text,
            c.record,
            c.line,
            c.source.org_unit.bits(),
            more,
        )
    }

    #[test]
    fn a_short_value_is_stored_once_and_a_long_one_each_time() {
        let mut store = Store::new(false, u64::MAX);
        let a = store.value_text("12").unwrap();
        let b = store.value_text("12").unwrap();
        let c = store.value_text("123456789").unwrap();
        let d = store.value_text("123456789").unwrap();
        assert_eq!(a, b);
        assert_ne!(c, d);
        assert_eq!((store.text(a), store.text(d)), ("12", "123456789"));
        assert_eq!(store.arena.len(), 2 + 9 + 9);
    }
}
