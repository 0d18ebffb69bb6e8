//! The scanner under the JSON reader: reads the input in large blocks and frames one JSON value
//! at a time without recursion, so deep nesting cannot overflow the stack and skipped values are
//! never kept.

use std::io::BufRead;

use anyhow::anyhow;

use crate::read::{At, error_at};

/// Block size for reading.
pub(super) const BLOCK: usize = 1 << 20;

/// A scanner over the input: a buffer of unread bytes, and their offset in the file.
pub(super) struct Scanner<'r> {
    pub(super) reader: &'r mut dyn BufRead,
    pub(super) path: &'r str,
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
    /// File offset of `buf[0]`.
    pub(super) base: u64,
    pub(super) eof: bool,
}

/// How a scan ended badly.
pub(super) enum ScanError {
    Eof,
    Syntax(&'static str),
    Io(std::io::Error),
}

impl<'r> Scanner<'r> {
    /// Reads another block. Bytes before `keep_from` may be dropped (moving the rest to the
    /// front); returns how far the buffer moved, or `None` at the end of the input.
    pub(super) fn fill(&mut self, keep_from: usize) -> Result<Option<usize>, ScanError> {
        if self.eof {
            return Ok(None);
        }
        let shift = keep_from.min(self.buf.len());
        if shift > 0 {
            self.buf.drain(..shift);
            self.base += shift as u64;
            self.pos -= shift.min(self.pos);
        }
        let before = self.buf.len();
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ScanError::Io(e)),
            };
            if chunk.is_empty() {
                self.eof = true;
                break;
            }
            let n = chunk.len();
            self.buf.extend_from_slice(chunk);
            self.reader.consume(n);
            if self.buf.len() - before >= BLOCK {
                break;
            }
        }
        if self.buf.len() == before {
            return Ok(None);
        }
        Ok(Some(shift))
    }

    /// The next byte that is not white space, without consuming it.
    pub(super) fn peek(&mut self) -> Result<u8, ScanError> {
        loop {
            while self.pos < self.buf.len() {
                let b = self.buf[self.pos];
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    self.pos += 1;
                } else {
                    return Ok(b);
                }
            }
            if self.fill(self.pos)?.is_none() {
                return Err(ScanError::Eof);
            }
        }
    }

    pub(super) fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), ScanError> {
        if self.peek()? != byte {
            return Err(ScanError::Syntax(what));
        }
        self.pos += 1;
        Ok(())
    }

    /// Frames the value starting at the next non-space byte: returns its span in `buf` (which
    /// stays valid until the next call). With `keep` false the bytes are dropped as they are
    /// scanned (for values that are skipped) and the span is empty.
    pub(super) fn value(&mut self, keep: bool) -> Result<(usize, usize), ScanError> {
        self.peek()?;
        let start = self.pos;
        let mut i = start;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut scalar = false;
        // Bytes before `start + dropped` were discarded (keep == false).
        let mut origin = start;
        loop {
            if i >= self.buf.len() {
                let keep_from = if keep { origin } else { i };
                match self.fill(keep_from)? {
                    Some(shift) => {
                        i -= shift;
                        origin -= shift.min(origin);
                        if !keep {
                            origin = i;
                        }
                        continue;
                    }
                    None if scalar && depth == 0 => break,
                    None => return Err(ScanError::Eof),
                }
            }
            if in_string {
                match memchr::memchr2(b'"', b'\\', &self.buf[i..]) {
                    None => i = self.buf.len(),
                    Some(k) => {
                        i += k;
                        if self.buf[i] == b'\\' {
                            if i + 1 >= self.buf.len() {
                                // Need the escaped byte: read more first.
                                let keep_from = if keep { origin } else { i };
                                match self.fill(keep_from)? {
                                    Some(shift) => {
                                        i -= shift;
                                        origin -= shift.min(origin);
                                        continue;
                                    }
                                    None => return Err(ScanError::Eof),
                                }
                            }
                            i += 2;
                        } else {
                            i += 1;
                            in_string = false;
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
                continue;
            }
            let b = self.buf[i];
            if scalar {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        return Err(ScanError::Syntax("a value"));
                    }
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' if depth > 0 => {}
                _ if depth == 0 => scalar = true,
                _ => {}
            }
            i += 1;
        }
        self.pos = i;
        Ok(if keep { (origin, i) } else { (i, i) })
    }

    pub(super) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// An error at `offset`, with line and column where the input can be read again.
    pub fn error(&self, offset: u64, what: &str) -> anyhow::Error {
        error_at(self.path, At::Byte(offset), format!("invalid JSON: {what}"))
    }

    pub(super) fn fail(&self, e: ScanError, expected: &str) -> anyhow::Error {
        match e {
            ScanError::Eof => self.error(self.offset(), "the file ends early (is it truncated?)"),
            ScanError::Syntax(what) => self.error(
                self.offset(),
                &format!("expected {}", if what.is_empty() { expected } else { what }),
            ),
            ScanError::Io(e) => anyhow!("{}: cannot read the input: {e}", self.path),
        }
    }
}
