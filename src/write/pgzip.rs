//! Gzip output compressed on every core, as one gzip member (pigz's way): the text is cut into
//! blocks, each deflated on a thread of its own with the 32 KiB before it as its dictionary
//! and ended by a sync flush (byte-aligned, so the blocks join into one deflate stream), the
//! last one finished; the CRC-32s are combined. One member, not several: DHIS2 reads a `.gz`
//! upload with `java.util.zip.GZIPInputStream` (`StreamUtils.wrapAndCheckCompressionFormat`),
//! which before JDK 23 may stop after the first member of a network stream (JDK-7036144).

use std::io::{self, Write};

use flate2::{Compress, Compression, FlushCompress, Status};

/// Text per block.
const BLOCK: usize = 256 * 1024;
/// Deflate's window: what a block may refer back to.
const WINDOW: usize = 32 * 1024;

/// A gzip writer over `inner` that compresses on `threads` threads.
pub struct ParallelGz<W: Write> {
    inner: W,
    level: Compression,
    threads: usize,
    /// Text not yet compressed: whole blocks waiting for a batch, then the start of the next.
    pending: Vec<u8>,
    /// The last [`WINDOW`] bytes before `pending`, the next block's dictionary.
    window: Vec<u8>,
    crc: crc32fast::Hasher,
    /// Bytes compressed so far.
    total: u64,
    header_written: bool,
}

impl<W: Write> ParallelGz<W> {
    pub fn new(inner: W, level: Compression) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        ParallelGz {
            inner,
            level,
            threads,
            pending: Vec::with_capacity(BLOCK * threads),
            window: Vec::new(),
            crc: crc32fast::Hasher::new(),
            total: 0,
            header_written: false,
        }
    }

    /// Compresses the whole blocks of `pending` (all of it when `last`), in parallel, and
    /// writes them in order.
    fn compress(&mut self, last: bool) -> io::Result<()> {
        if !self.header_written {
            // Magic, deflate, no flags, no time, no extra flags, unknown OS.
            self.inner
                .write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])?;
            self.header_written = true;
        }
        let whole = if last {
            self.pending.len()
        } else {
            self.pending.len() / BLOCK * BLOCK
        };
        let text = &self.pending[..whole];
        let blocks: Vec<&[u8]> = if text.is_empty() {
            vec![text]
        } else {
            text.chunks(BLOCK).collect()
        };
        let level = self.level;
        let window = &self.window;
        let n = blocks.len();
        let compressed: Vec<io::Result<Vec<u8>>> = std::thread::scope(|scope| {
            let jobs: Vec<_> = blocks
                .iter()
                .enumerate()
                .map(|(i, block)| {
                    let dictionary = if i == 0 {
                        &window[..]
                    } else {
                        let before = blocks[i - 1];
                        &before[before.len().saturating_sub(WINDOW)..]
                    };
                    let finish = last && i + 1 == n;
                    scope.spawn(move || deflate(block, dictionary, level, finish))
                })
                .collect();
            jobs.into_iter()
                .map(|j| {
                    j.join()
                        .unwrap_or_else(|_| Err(io::Error::other("the compressor stopped")))
                })
                .collect()
        });
        for (block, out) in blocks.iter().zip(compressed) {
            self.crc.update(block);
            self.total += block.len() as u64;
            self.inner.write_all(&out?)?;
        }
        let tail_from = whole.saturating_sub(WINDOW);
        let mut window: Vec<u8> = if whole >= WINDOW {
            Vec::new()
        } else {
            // A short run: the old window's end, then all of it.
            let keep = WINDOW - whole;
            self.window[self.window.len().saturating_sub(keep)..].to_vec()
        };
        window.extend_from_slice(&self.pending[tail_from..whole]);
        self.window = window;
        self.pending.drain(..whole);
        Ok(())
    }

    /// Writes what is left and the gzip trailer; gives back the writer below.
    pub fn finish(mut self) -> io::Result<W> {
        self.compress(true)?;
        let crc = std::mem::take(&mut self.crc).finalize();
        self.inner.write_all(&crc.to_le_bytes())?;
        // ISIZE: the input's length modulo 2³².
        let size = (self.total & 0xffff_ffff) as u32;
        self.inner.write_all(&size.to_le_bytes())?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

/// One block deflated (raw) with `dictionary` before it, ended by a sync flush or, for the
/// last, finished.
fn deflate(
    block: &[u8],
    dictionary: &[u8],
    level: Compression,
    finish: bool,
) -> io::Result<Vec<u8>> {
    let mut c = Compress::new(level, false);
    if !dictionary.is_empty() {
        c.set_dictionary(dictionary).map_err(io::Error::other)?;
    }
    let mut out = Vec::with_capacity(block.len() / 3 + 1024);
    let flush = if finish {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut input = block;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let before = c.total_in();
        let status = c
            .compress_vec(input, &mut out, flush)
            .map_err(io::Error::other)?;
        let used = (c.total_in() - before) as usize;
        input = &input[used..];
        match status {
            Status::StreamEnd => return Ok(out),
            // Sync: done once all input is in and the output had room to spare.
            _ if !finish && input.is_empty() && out.capacity() > out.len() => return Ok(out),
            _ => {}
        }
    }
}

impl<W: Write> Write for ParallelGz<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= BLOCK * self.threads {
            self.compress(false)?;
        }
        Ok(buf.len())
    }

    /// Compressed output is written a batch of blocks at a time; a flush does not force one.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn round_trip(text: &[u8], writes: usize) -> Vec<u8> {
        let mut gz = ParallelGz::new(Vec::new(), Compression::new(6));
        for part in text.chunks(text.len().div_ceil(writes.max(1)).max(1)) {
            gz.write_all(part).unwrap();
        }
        let bytes = gz.finish().unwrap();
        // One member: a decoder that reads only the first gets everything.
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut back)
            .unwrap();
        back
    }

    #[test]
    fn what_goes_in_comes_out_of_one_member() {
        let mut text = Vec::new();
        for i in 0..200_000u32 {
            text.extend_from_slice(
                format!(
                    "{{\"dataElement\":\"DE_{}\",\"value\":\"{}\"}},\n",
                    i % 300,
                    i
                )
                .as_bytes(),
            );
        }
        for writes in [1, 7, 1000] {
            assert_eq!(round_trip(&text, writes), text);
        }
        assert_eq!(round_trip(b"", 1), b"");
        assert_eq!(round_trip(b"x", 1), b"x");
        // A block boundary and a short tail.
        let edge = vec![b'a'; BLOCK * 3 + 5];
        assert_eq!(round_trip(&edge, 3), edge);
    }
}
