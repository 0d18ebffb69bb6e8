//! The store's hash index: slot numbers by key hash, in shards that grow one at a time.

use hashbrown::HashTable;

/// Shards of the index, by a key hash's top 8 bits.
const SHARDS: usize = 256;

/// The hash index in [`SHARDS`] tables, each growing on its own: growing copies one shard at a
/// time, never the whole index (which at 10^8 keys is 1.2 GB).
pub(super) struct Index {
    shards: Vec<HashTable<(u32, u32)>>,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            shards: (0..SHARDS).map(|_| HashTable::new()).collect(),
        }
    }
}

impl Index {
    pub(super) fn shard(&self, h: u32) -> &HashTable<(u32, u32)> {
        &self.shards[(h >> 24) as usize % SHARDS]
    }

    pub(super) fn shard_mut(&mut self, h: u32) -> &mut HashTable<(u32, u32)> {
        &mut self.shards[(h >> 24) as usize % SHARDS]
    }

    /// Bytes the shards hold: 9 a bucket (the entry and its control byte), a table's room being
    /// 7/8 of its buckets.
    pub(super) fn bytes(&self) -> usize {
        self.shards.iter().map(HashTable::capacity).sum::<usize>() / 7 * 8 * 9
    }
}

/// A 32-bit hash as the 64 bits a shard wants: its low bits pick the bucket, and the high
/// bits the table keeps in its control bytes come from the hash's bits 17-23 (the top 8 are
/// the same in a whole shard).
pub(super) fn spread(h: u32) -> u64 {
    (u64::from(h.rotate_left(8)) << 32) | u64::from(h)
}
