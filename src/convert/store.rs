//! What is remembered per output key: one [`Slot`] per [`Key`] with the value read first, the
//! other distinct values read for it, and a count of identical repeats, so that memory follows
//! distinct keys, not file size. Value texts live in one arena; slots live in fixed-size chunks
//! (growing never copies what is stored) behind a hash index of the keys.

use std::hash::BuildHasher;
use std::ops::{Index, IndexMut};

use anyhow::{Result, bail};
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::ids::{Id, Key, Source};

/// A stretch of the value arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    start: u32,
    len: u32,
}

/// A mapping row index, or none (ids passed through without a mapping).
pub const NO_ROW: u32 = u32::MAX;

/// One value read for a key: its text, where it came from, and whether it is a deletion.
#[derive(Debug, Clone, Copy)]
pub struct Contribution {
    pub value: Span,
    pub source: Source,
    /// The mapping row that matched ([`NO_ROW`] without a mapping).
    pub row: u32,
    pub input: u32,
    /// The value's number in its input, and its line (0 when the format has none); both
    /// saturate at u32::MAX, four billion values into one file.
    pub record: u32,
    pub line: u32,
    /// Read with `deleted=true`: a deletion of the key, carried through as one.
    pub deleted: bool,
}

impl Contribution {
    /// The same source said the same thing (an identical repeat).
    fn same(&self, other: &Contribution, arena: &str) -> bool {
        self.source == other.source
            && self.deleted == other.deleted
            && text(arena, self.value) == text(arena, other.value)
    }
}

/// What a key received beyond its first value, when some of it differs.
#[derive(Debug, Default)]
pub struct More {
    /// Further contributions, each different from all before it in source or value.
    pub distinct: Vec<Contribution>,
    /// The value read last.
    pub last: Option<Contribution>,
    /// The key is left out (a conflict the policy rejects).
    pub rejected: bool,
    /// The value the duplicate policy decided to write (and whether it is a deletion), when it
    /// is not the first value's; the contributions keep what each source said.
    pub written: Option<(Span, bool)>,
}

/// One output key and everything read for it.
#[derive(Debug)]
pub struct Slot {
    pub key: Key,
    /// The value read first; after [`super::duplicates::resolve`], the value to write.
    pub first: Contribution,
    /// Other values for the key; boxed so that the common case (none) costs 8 bytes.
    pub more: Option<Box<More>>,
    /// The data set the value goes to ([`Id::EMPTY`] when none is known).
    pub data_set: Id,
    /// Values read again with the same source and value: counted, not stored.
    pub repeats: u32,
}

impl Slot {
    /// Only a key with different values can be rejected, and those have a `More`.
    pub fn rejected(&self) -> bool {
        self.more.as_ref().is_some_and(|m| m.rejected)
    }

    /// The value to write and whether it is a deletion: the policy's choice, else the first.
    pub fn written(&self) -> (Span, bool) {
        self.more
            .as_ref()
            .and_then(|m| m.written)
            .unwrap_or((self.first.value, self.first.deleted))
    }

    /// The value to write is a deletion.
    pub fn deletes(&self) -> bool {
        self.written().1
    }

    /// Every value stored for the key: the first, then the distinct others.
    pub fn contributions(&self) -> impl Iterator<Item = &Contribution> {
        std::iter::once(&self.first).chain(self.more.iter().flat_map(|m| m.distinct.iter()))
    }
}

fn text(arena: &str, span: Span) -> &str {
    &arena[span.start as usize..(span.start + span.len) as usize]
}

/// The slots, their index by key, and the value texts.
#[derive(Default)]
pub struct Store {
    slots: Chunked<Slot>,
    /// Slot numbers by key (the key lives in the slot), each with the key's hash so that growing
    /// the table never visits the slots.
    index: HashTable<(u32, u32)>,
    hasher: FxBuildHasher,
    arena: String,
}

impl Store {
    /// Adds a value for `key`: a new slot, an identical repeat, or a further distinct value.
    pub fn add(&mut self, key: Key, data_set: Id, value: &str, c: Contribution) -> Result<()> {
        let Some(i) = self.find(&key) else {
            let first = Contribution {
                value: self.push_text(value)?,
                ..c
            };
            let h = self.hash(&key);
            let n = u32::try_from(self.slots.len())?;
            self.index
                .insert_unique(spread(h), (n, h), |&(_, h)| spread(h));
            self.slots.push(Slot {
                key,
                first,
                more: None,
                data_set,
                repeats: 0,
            });
            return Ok(());
        };
        let slot = &self.slots[i];
        let probe = |c2: &Contribution| {
            c2.source == c.source && c2.deleted == c.deleted && text(&self.arena, c2.value) == value
        };
        let repeat = std::iter::once(&slot.first)
            .chain(slot.more.iter().flat_map(|m| m.distinct.iter()))
            .find(|c2| probe(c2))
            .copied();
        let c = match repeat {
            Some(known) => {
                self.slots[i].repeats = self.slots[i].repeats.saturating_add(1);
                Contribution {
                    value: known.value,
                    ..c
                }
            }
            None => {
                let c = Contribution {
                    value: self.push_text(value)?,
                    ..c
                };
                let more = self.slots[i].more.get_or_insert_with(Default::default);
                more.distinct.push(c);
                c
            }
        };
        if let Some(more) = self.slots[i].more.as_mut() {
            more.last = Some(c);
        }
        Ok(())
    }

    /// The slot holding `key`.
    pub fn find(&self, key: &Key) -> Option<usize> {
        let h = self.hash(key);
        self.index
            .find(spread(h), |&(i, kh)| {
                kh == h && self.slots[i as usize].key == *key
            })
            .map(|&(i, _)| i as usize)
    }

    pub fn text(&self, span: Span) -> &str {
        text(&self.arena, span)
    }

    /// Stores a text (a resolved value) and returns its span.
    pub fn push_text(&mut self, s: &str) -> Result<Span> {
        let (Ok(start), Ok(len)) = (u32::try_from(self.arena.len()), u32::try_from(s.len())) else {
            bail!("more than 4 GB of distinct value text: split the export into smaller runs");
        };
        if start.checked_add(len).is_none() {
            bail!("more than 4 GB of distinct value text: split the export into smaller runs");
        }
        self.arena.push_str(s);
        Ok(Span { start, len })
    }

    pub fn slots(&self) -> &Chunked<Slot> {
        &self.slots
    }

    pub fn slot_mut(&mut self, i: usize) -> &mut Slot {
        &mut self.slots[i]
    }

    /// True when two contributions say the same thing (source, value, deletion).
    pub fn same(&self, a: &Contribution, b: &Contribution) -> bool {
        a.same(b, &self.arena)
    }

    /// A key's 32-bit hash.
    fn hash(&self, key: &Key) -> u32 {
        (self.hasher.hash_one(key) >> 32) as u32
    }
}

/// A 32-bit hash as the 64 bits the table wants: repeated, so that the high bits the table
/// uses for its control bytes vary too.
fn spread(h: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(h)
}

/// Items per chunk.
const CHUNK: usize = 1 << 16;

/// A vector stored in chunks of [`CHUNK`] items.
#[derive(Debug)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn push(&mut self, item: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(last) = self.chunks.last_mut() {
            last.push(item);
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_behave_like_a_vector() {
        let mut v = Chunked::default();
        let n = CHUNK * 2 + 5;
        for i in 0..n {
            v.push(i);
        }
        assert_eq!(v.len(), n);
        assert_eq!((v[0], v[CHUNK], v[n - 1]), (0, CHUNK, n - 1));
        v[CHUNK + 1] = 7;
        assert_eq!(v.iter().nth(CHUNK + 1), Some(&7));
        assert_eq!(v.iter().count(), n);
    }
}
