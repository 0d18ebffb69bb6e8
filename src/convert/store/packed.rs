//! A slot as the store keeps it, in memory and on disk: 40 bytes, ten little-endian words. The
//! last word is the first value's record number, or, once the key is read again, the index of
//! its [`More`](super::More) (which then keeps the record): most keys are read once.

use super::Span;
use crate::convert::paged::Record;
use crate::ids::{Id, Key};

/// A slot as stored.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Packed {
    pub(super) key: Key,
    pub(super) value: Span,
    pub(super) source_org_unit: Id,
    pub(super) origin: u32,
    pub(super) tail: Tail,
}

/// The first value's record number (31 bits, saturating), or with the top bit set an index
/// into the store's `More`s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Tail(u32);

const MORE: u32 = 1 << 31;

impl Tail {
    /// The largest record number a slot keeps; later ones saturate to it.
    pub(super) const RECORD_MAX: u32 = MORE - 1;

    pub(super) fn record(record: u32) -> Tail {
        Tail(record.min(Self::RECORD_MAX))
    }

    /// `None` past the indexes that fit (2^31).
    pub(super) fn more(index: usize) -> Option<Tail> {
        u32::try_from(index)
            .ok()
            .filter(|&i| i < MORE)
            .map(|i| Tail(i | MORE))
    }

    /// The record number, while the key has no `More`.
    pub(super) fn as_record(self) -> Option<u32> {
        (self.0 & MORE == 0).then_some(self.0)
    }

    /// The index of the key's `More`, once it has one.
    pub(super) fn as_more(self) -> Option<usize> {
        (self.0 & MORE != 0).then_some((self.0 & !MORE) as usize)
    }
}

impl Record for Packed {
    const SIZE: usize = 40;

    fn encode(&self, out: &mut [u8]) {
        let k = &self.key;
        let words = [
            k.data_element.bits(),
            k.period.bits(),
            k.org_unit.bits(),
            k.category_option_combo.bits(),
            k.attribute_option_combo.bits(),
            self.value.start,
            self.value.len,
            self.source_org_unit.bits(),
            self.origin,
            self.tail.0,
        ];
        for (w, out) in words.iter().zip(out.chunks_exact_mut(4)) {
            w.encode(out);
        }
    }

    fn decode(bytes: &[u8]) -> Self {
        let mut w = [0u32; 10];
        for (w, b) in w.iter_mut().zip(bytes.chunks_exact(4)) {
            *w = u32::decode(b);
        }
        Packed {
            key: Key {
                data_element: Id::from_bits(w[0]),
                period: Id::from_bits(w[1]),
                org_unit: Id::from_bits(w[2]),
                category_option_combo: Id::from_bits(w[3]),
                attribute_option_combo: Id::from_bits(w[4]),
            },
            value: Span {
                start: w[5],
                len: w[6],
            },
            source_org_unit: Id::from_bits(w[7]),
            origin: w[8],
            tail: Tail(w[9]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_slot_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Packed>(), Packed::SIZE);
        assert_eq!(Packed::SIZE, 40);
    }

    #[test]
    fn the_last_word_is_a_record_or_an_index_never_both() {
        for r in [0, 1, 12_345, Tail::RECORD_MAX] {
            assert_eq!(Tail::record(r).as_record(), Some(r));
            assert_eq!(Tail::record(r).as_more(), None);
        }
        assert_eq!(
            Tail::record(u32::MAX).as_record(),
            Some(Tail::RECORD_MAX),
            "saturates"
        );
        for m in [0, 7, (1 << 31) - 1] {
            let t = Tail::more(m).expect("fits");
            assert_eq!((t.as_more(), t.as_record()), (Some(m), None));
        }
        assert_eq!(Tail::more(1 << 31), None);
        let p = Packed {
            tail: Tail::more(3).expect("fits"),
            ..Packed::default()
        };
        let mut bytes = [0u8; Packed::SIZE];
        p.encode(&mut bytes);
        assert_eq!(Packed::decode(&bytes).tail, p.tail);
    }
}
