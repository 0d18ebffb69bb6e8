//! Storage for what must be remembered per output key: a vector in fixed-size chunks (growing
//! never copies what is already stored, so the peak is the size, not twice it).

use std::ops::{Index, IndexMut};

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
