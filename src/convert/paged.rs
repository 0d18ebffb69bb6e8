//! A vector of fixed-size records that bounds its memory (`convert --memory`): records live in
//! chunks of [`CHUNK`]; once the chunks in memory pass the room they are given, the oldest are
//! written to an unnamed temporary file (in TMPDIR, TEMP on Windows; gone when closed, also when
//! pi2de is stopped) and read back from there. The store's slots and lines are kept this way:
//! a slot is read back when its key is read again or when the output is written, in order, so a
//! few chunks read last are kept at hand. Reads cannot fail the caller: an I/O error is kept
//! and [`Paged::failure`] reports it before any output is moved into place.

use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

/// Records per chunk.
pub const CHUNK: usize = 1 << 12;

/// Chunks read back kept at hand.
const AT_HAND: usize = 8;

/// A record as stored on disk: `SIZE` bytes.
pub trait Record: Copy + Default {
    const SIZE: usize;
    fn encode(&self, out: &mut [u8]);
    fn decode(bytes: &[u8]) -> Self;
}

impl Record for u32 {
    const SIZE: usize = 4;
    fn encode(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.to_le_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        let mut b = [0; 4];
        b.copy_from_slice(bytes);
        u32::from_le_bytes(b)
    }
}

/// Fixed-size records in chunks, the oldest of them on disk past the room given.
pub struct Paged<T> {
    /// Each chunk: in memory, or on disk (at `chunk × CHUNK × SIZE`).
    chunks: Vec<Option<Vec<T>>>,
    len: usize,
    /// The oldest chunk still in memory.
    oldest: usize,
    file: Option<File>,
    at_hand: Mutex<Vec<(usize, Arc<Vec<T>>)>>,
    failure: OnceLock<String>,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            chunks: Vec::new(),
            len: 0,
            oldest: 0,
            file: None,
            at_hand: Mutex::new(Vec::new()),
            failure: OnceLock::new(),
        }
    }
}

impl<T: Record> Paged<T> {
    /// The next record pushed starts a chunk: the moment to [`fit`](Self::fit).
    pub fn starts_chunk(&self) -> bool {
        self.len.is_multiple_of(CHUNK)
    }

    /// Moves the oldest full chunks to disk until those in memory fit in `room` bytes.
    pub fn fit(&mut self, room: usize) -> io::Result<()> {
        while self.resident_bytes() > room && self.oldest < self.chunks.len() {
            self.spill(self.oldest)?;
            self.oldest += 1;
        }
        Ok(())
    }

    /// Appends a record.
    pub fn push(&mut self, item: T) {
        if self.starts_chunk() {
            self.chunks.push(Some(Vec::with_capacity(CHUNK)));
        }
        if let Some(Some(last)) = self.chunks.last_mut() {
            last.push(item);
        }
        self.len += 1;
    }

    /// The bytes of the chunks in memory.
    pub fn resident_bytes(&self) -> usize {
        (self.chunks.len() - self.oldest) * CHUNK * size_of::<T>()
    }

    /// Chunks on disk.
    pub fn spilled(&self) -> usize {
        self.oldest
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Record `i`.
    #[inline]
    pub fn get(&self, i: usize) -> T {
        let (c, k) = (i / CHUNK, i % CHUNK);
        match &self.chunks[c] {
            Some(chunk) => chunk[k],
            None => self.read_back(c).get(k).copied().unwrap_or_default(),
        }
    }

    /// Changes record `i` (on disk: read, changed, written back).
    pub fn update(&mut self, i: usize, change: impl FnOnce(&mut T)) -> io::Result<()> {
        let (c, k) = (i / CHUNK, i % CHUNK);
        if let Some(chunk) = &mut self.chunks[c] {
            change(&mut chunk[k]);
            return Ok(());
        }
        let mut item = self.get(i);
        change(&mut item);
        let mut bytes = vec![0; T::SIZE];
        item.encode(&mut bytes);
        write_at(self.spill_file()?, &bytes, (i * T::SIZE) as u64)?;
        if let Ok(mut at_hand) = self.at_hand.lock() {
            at_hand.retain(|(n, _)| *n != c);
        }
        Ok(())
    }

    /// A read or write of the temporary file that failed, if any did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    /// Writes chunk `c` to disk and drops it from memory.
    fn spill(&mut self, c: usize) -> io::Result<()> {
        let Some(chunk) = self.chunks[c].take() else {
            return Ok(());
        };
        let mut bytes = vec![0; chunk.len() * T::SIZE];
        for (item, out) in chunk.iter().zip(bytes.chunks_exact_mut(T::SIZE)) {
            item.encode(out);
        }
        write_at(self.spill_file()?, &bytes, (c * CHUNK * T::SIZE) as u64)
    }

    fn spill_file(&mut self) -> io::Result<&File> {
        if self.file.is_none() {
            self.file = Some(tempfile::tempfile()?);
        }
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("no temporary file"))
    }

    /// Chunk `c` from disk (a full chunk: only full chunks are spilled), kept at hand.
    #[cold]
    #[inline(never)]
    fn read_back(&self, c: usize) -> Arc<Vec<T>> {
        if let Ok(at_hand) = self.at_hand.lock()
            && let Some((_, chunk)) = at_hand.iter().find(|(n, _)| *n == c)
        {
            return Arc::clone(chunk);
        }
        let mut bytes = vec![0; CHUNK * T::SIZE];
        let read = match &self.file {
            Some(file) => read_at(file, &mut bytes, (c * CHUNK * T::SIZE) as u64),
            None => Err(io::Error::other("the temporary file is missing")),
        };
        if let Err(e) = read {
            let _ = self
                .failure
                .set(format!("cannot read back the temporary file: {e}"));
            return Arc::new(vec![T::default(); CHUNK]);
        }
        let chunk = Arc::new(bytes.chunks_exact(T::SIZE).map(T::decode).collect());
        if let Ok(mut at_hand) = self.at_hand.lock() {
            if at_hand.len() == AT_HAND {
                at_hand.remove(0);
            }
            at_hand.push((c, Arc::clone(&chunk)));
        }
        chunk
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn write_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                buf = &buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::xorshift;

    #[test]
    fn records_read_back_from_disk_are_those_written_and_changed() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for room in [0, CHUNK * 4 * 3, usize::MAX] {
            let mut paged = Paged::<u32>::default();
            let mut model = Vec::new();
            let n = CHUNK * 7 + 123;
            for i in 0..n {
                let v = next(1 << 30) as u32;
                if paged.starts_chunk() {
                    paged.fit(room).unwrap();
                }
                paged.push(v);
                model.push(v);
                if i % 1000 == 999 {
                    // A change to an earlier record, on disk or not.
                    let at = next(i);
                    paged.update(at, |x| *x = x.wrapping_add(7)).unwrap();
                    model[at] = model[at].wrapping_add(7);
                }
            }
            let spilled = paged.spilled();
            match room {
                0 => assert_eq!(spilled, 7, "all full chunks but the last on disk"),
                usize::MAX => assert_eq!(spilled, 0, "nothing on disk"),
                _ => assert!((1..7).contains(&spilled), "{spilled} chunks on disk"),
            }
            assert_eq!(paged.len(), n);
            assert!(
                (0..n).map(|i| paged.get(i)).eq(model.iter().copied()),
                "room {room}: in order"
            );
            for _ in 0..5000 {
                let i = next(n);
                assert_eq!(paged.get(i), model[i], "room {room}: record {i}");
            }
            assert_eq!(paged.failure(), None);
        }
    }

    #[test]
    fn a_temporary_file_that_cannot_be_read_back_is_reported_not_taken_for_records() {
        let mut paged = Paged::<u32>::default();
        for i in 0..(CHUNK * 3) as u32 {
            if paged.starts_chunk() {
                paged.fit(0).unwrap();
            }
            paged.push(i + 1);
        }
        assert_eq!(paged.spilled(), 2);
        assert_eq!(paged.get(5), 6, "read back while the file is whole");
        // The file cut short, as a disk that lost it would leave it.
        paged.file.as_ref().unwrap().set_len(0).unwrap();
        assert_eq!(
            paged.get(CHUNK + 5),
            0,
            "a record that cannot be read is no record"
        );
        let failure = paged.failure().expect("the failure is kept");
        assert!(
            failure.starts_with("cannot read back the temporary file"),
            "{failure}"
        );
        assert_eq!(
            paged.get(CHUNK * 2 + 5),
            CHUNK as u32 * 2 + 6,
            "memory still read"
        );
    }
}
