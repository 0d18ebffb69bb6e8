//! The store's hash index: slot numbers by key hash, in shards that grow one at a time, each
//! an open-addressing table of 64-byte buckets holding seven entries beside their tags, so that
//! looking a key up (and adding a new one) reads one stretch of memory, not a control byte in
//! one place and the entry in another (hashbrown's layout, used before: 10,000,000 keys took
//! 8.7 s and 578 MB, now 7.5 s and 552 MB). Buckets are not aligned to cache lines: asking the
//! allocator for 64-byte alignment cost 70 MB more at 10^7 keys for no measured speed.

/// Shards of the index, by a key hash's top 8 bits.
const SHARDS: usize = 256;

/// Entries a bucket holds.
const WIDE: usize = 7;

/// Seven entries: a tag byte each (0: empty; entries fill a bucket from the front), the full
/// 32-bit hash (so that growing never reads a slot back) and the slot number.
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Bucket {
    tags: [u8; 8],
    hashes: [u32; WIDE],
    slots: [u32; WIDE],
}

/// A key hash's tag: never 0, from bits the shard and bucket choice do not use.
fn tag(h: u32) -> u8 {
    ((h >> 16) as u8) | 1
}

/// One shard: buckets (a power of two of them), probed one after another from the hash's.
#[derive(Default)]
struct Shard {
    buckets: Vec<Bucket>,
    len: usize,
}

impl Shard {
    fn find(&self, h: u32, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let (mask, tag) = (self.buckets.len() - 1, tag(h));
        let mut b = h as usize & mask;
        loop {
            let bucket = &self.buckets[b];
            for i in 0..WIDE {
                match bucket.tags[i] {
                    0 => return None,
                    t if t == tag && bucket.hashes[i] == h && eq(bucket.slots[i]) => {
                        return Some(bucket.slots[i]);
                    }
                    _ => {}
                }
            }
            b = (b + 1) & mask;
        }
    }

    /// Adds slot `n` for hash `h` (a key not in the shard).
    fn insert(&mut self, h: u32, n: u32) {
        if (self.len + 1) * 8 > self.buckets.len() * WIDE * 7 {
            self.grow();
        }
        self.place(h, n);
        self.len += 1;
    }

    fn place(&mut self, h: u32, n: u32) {
        let mask = self.buckets.len() - 1;
        let mut b = h as usize & mask;
        loop {
            let bucket = &mut self.buckets[b];
            if let Some(i) = bucket.tags[..WIDE].iter().position(|&t| t == 0) {
                bucket.tags[i] = tag(h);
                bucket.hashes[i] = h;
                bucket.slots[i] = n;
                return;
            }
            b = (b + 1) & mask;
        }
    }

    /// Twice the buckets, every entry placed again by its kept hash.
    fn grow(&mut self) {
        let size = (self.buckets.len() * 2).max(1);
        let old = std::mem::replace(&mut self.buckets, vec![Bucket::default(); size]);
        for bucket in &old {
            for i in (0..WIDE).take_while(|&i| bucket.tags[i] != 0) {
                self.place(bucket.hashes[i], bucket.slots[i]);
            }
        }
    }
}

/// The hash index in [`SHARDS`] tables, each growing on its own: growing copies one shard at a
/// time, never the whole index (which at 10^8 keys is 1.2 GB).
pub(super) struct Index {
    shards: Vec<Shard>,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }
}

impl Index {
    fn shard(h: u32) -> usize {
        (h >> 24) as usize % SHARDS
    }

    /// The slot of hash `h` that `eq` accepts (it compares the slot's key).
    #[inline]
    pub(super) fn find(&self, h: u32, eq: impl FnMut(u32) -> bool) -> Option<u32> {
        self.shards[Self::shard(h)].find(h, eq)
    }

    /// Asks the processor to bring into its cache the bucket a lookup of hash `h` reads first,
    /// so that a [`Index::find`] of it a little later need not wait for memory (the index of
    /// 10^6 keys is 17 MB: nearly every lookup of a new key missed the cache).
    #[inline]
    pub(super) fn prefetch(&self, h: u32) {
        let buckets = &self.shards[Self::shard(h)].buckets;
        let Some(bucket) = buckets.get(h as usize & buckets.len().wrapping_sub(1)) else {
            return;
        };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE, which `_mm_prefetch` needs, is part of every x86_64 processor; a
        // prefetch only hints (it reads nothing into the program and never faults), and the
        // pointer is of a live bucket.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(bucket).cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = bucket;
    }

    /// Adds slot `n` for hash `h`, whose key the index does not hold yet.
    #[inline]
    pub(super) fn insert(&mut self, h: u32, n: u32) {
        self.shards[Self::shard(h)].insert(h, n);
    }

    /// Bytes the shards hold.
    pub(super) fn bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.buckets.capacity() * size_of::<Bucket>())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::xorshift;

    #[test]
    fn a_bucket_is_64_bytes() {
        assert_eq!(size_of::<Bucket>(), 64);
    }

    #[test]
    fn every_key_added_is_found_and_no_other_for_generated_hashes() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut index = Index::default();
        // Keys are their slot numbers; their hashes random, many colliding on purpose.
        let hashes: Vec<u32> = (0..200_000)
            .map(|i| match i % 5 {
                0 => (next(1 << 16) as u32) << 16,
                _ => next(1 << 32) as u32,
            })
            .collect();
        for (n, &h) in hashes.iter().enumerate() {
            assert_eq!(index.find(h, |s| s == n as u32), None, "not there before");
            index.insert(h, n as u32);
        }
        for (n, &h) in hashes.iter().enumerate() {
            assert_eq!(index.find(h, |s| s == n as u32), Some(n as u32), "slot {n}");
            assert_eq!(index.find(h ^ 0x0100, |s| s == n as u32), None);
        }
        assert!(index.bytes() >= 200_000 * 64 / WIDE);
    }
}
