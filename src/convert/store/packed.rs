//! A slot as the store keeps it, in memory and on disk: 44 bytes, eleven little-endian words.

use super::Span;
use crate::convert::paged::Record;
use crate::ids::{Id, Key};

/// A slot as stored.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Packed {
    pub(super) key: Key,
    pub(super) value: Span,
    pub(super) record: u32,
    pub(super) source_org_unit: Id,
    pub(super) origin: u32,
    /// An index into [`Store::more`], or [`NONE`].
    pub(super) more: u32,
}

/// No [`More`](super::More) for the slot.
pub(super) const NONE: u32 = u32::MAX;

impl Record for Packed {
    const SIZE: usize = 44;

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
            self.record,
            self.source_org_unit.bits(),
            self.origin,
            self.more,
        ];
        for (w, out) in words.iter().zip(out.chunks_exact_mut(4)) {
            w.encode(out);
        }
    }

    fn decode(bytes: &[u8]) -> Self {
        let mut w = [0u32; 11];
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
            record: w[7],
            source_org_unit: Id::from_bits(w[8]),
            origin: w[9],
            more: w[10],
        }
    }
}
