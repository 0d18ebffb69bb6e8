//! The scanner under the JSON reader: reads the input in large blocks and frames one JSON value
//! at a time without recursion, so deep nesting cannot overflow the stack and skipped values are
//! never kept.

use std::io::{BufRead, Read};

use anyhow::anyhow;

use crate::read::{At, error_at, newlines};

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
    /// The line (1-based) at `buf[counted]`: lines are counted up to where values start.
    pub(super) line: u64,
    pub(super) counted: usize,
}

/// How a scan ended badly.
/// Where the framing of one value stands.
struct Frame {
    i: usize,
    /// Where the value starts in `buf` (kept values only).
    origin: usize,
    depth: usize,
    in_string: bool,
    scalar: bool,
    keep: bool,
}

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
            if self.counted < shift {
                self.line += newlines(&self.buf[self.counted..shift]);
                self.counted = shift;
            }
            self.counted -= shift;
            self.buf.drain(..shift);
            self.base += shift as u64;
            self.pos -= shift.min(self.pos);
        }
        let before = self.buf.len();
        // Read straight into the buffer's free room (a large read passes a `BufReader`'s own
        // buffer by), a block at most.
        let read = Read::by_ref(&mut self.reader)
            .take(BLOCK as u64)
            .read_to_end(&mut self.buf);
        match read {
            Ok(n) if n < BLOCK => self.eof = true,
            Ok(_) => {}
            Err(e) => return Err(ScanError::Io(e)),
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
                    // Lines counted as they are skipped, while the count is up to here.
                    if self.counted == self.pos {
                        self.counted += 1;
                        self.line += u64::from(b == b'\n');
                    }
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
        let mut f = Frame {
            i: self.pos,
            origin: self.pos,
            depth: 0,
            in_string: false,
            scalar: false,
            keep,
        };
        loop {
            if f.i >= self.buf.len() {
                if self.more(&mut f)? {
                    continue;
                }
                if f.scalar && f.depth == 0 {
                    break;
                }
                return Err(ScanError::Eof);
            }
            let done = if f.in_string {
                self.string_step(&mut f)?
            } else {
                self.structure_step(&mut f)?
            };
            if done {
                break;
            }
        }
        self.pos = f.i;
        Ok(if keep { (f.origin, f.i) } else { (f.i, f.i) })
    }

    /// Reads more input, keeping what the frame still needs (from `origin` when the value is
    /// kept, else from `i`). False at the end of the input.
    fn more(&mut self, f: &mut Frame) -> Result<bool, ScanError> {
        let keep_from = if f.keep { f.origin } else { f.i };
        let Some(shift) = self.fill(keep_from)? else {
            return Ok(false);
        };
        f.i -= shift;
        f.origin = if f.keep {
            f.origin - shift.min(f.origin)
        } else {
            f.i
        };
        Ok(true)
    }

    /// Inside a string: up to the next quote or escape. True when the value ends here.
    fn string_step(&mut self, f: &mut Frame) -> Result<bool, ScanError> {
        let Some(k) = memchr::memchr2(b'"', b'\\', &self.buf[f.i..]) else {
            f.i = self.buf.len();
            return Ok(false);
        };
        f.i += k;
        if self.buf[f.i] == b'"' {
            f.i += 1;
            f.in_string = false;
            return Ok(f.depth == 0);
        }
        if f.i + 1 < self.buf.len() {
            f.i += 2;
        } else if !self.more(f)? {
            // The escaped byte is past the end.
            return Err(ScanError::Eof);
        }
        Ok(false)
    }

    /// Outside strings: nesting, the start of a string, the end of a scalar. True when the
    /// value ends here.
    fn structure_step(&mut self, f: &mut Frame) -> Result<bool, ScanError> {
        let b = self.buf[f.i];
        if f.scalar {
            if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                return Ok(true);
            }
            f.i += 1;
            return Ok(false);
        }
        match b {
            b'"' => f.in_string = true,
            b'{' | b'[' => f.depth += 1,
            b'}' | b']' if f.depth == 0 => return Err(ScanError::Syntax("a value")),
            b'}' | b']' => {
                f.depth -= 1;
                if f.depth == 0 {
                    f.i += 1;
                    return Ok(true);
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' if f.depth > 0 => {}
            _ if f.depth == 0 => f.scalar = true,
            _ => {}
        }
        f.i += 1;
        Ok(false)
    }

    /// The line `buf[pos]` is on.
    pub(super) fn line_here(&mut self) -> u64 {
        if self.counted < self.pos {
            self.line += newlines(&self.buf[self.counted..self.pos]);
            self.counted = self.pos;
        }
        self.line
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
