//! A streaming CSV record parser with line numbers: `"` quoting with `""` escapes; LF, CRLF or
//! CR alone (Excel for Mac) ending a line; unquoted fields trimmed, quoted ones kept as they are
//! (as DHIS2 2.43 reads them); blank lines skipped. A quote left open at the end of the file is
//! an error naming the line it opened on.
//!
//! Why not the `csv` crate: version 1.4 reports line 1 for every record of a CRLF file and the
//! blank line before a record as its line, and reads an unclosed quote as one field holding the
//! rest of the file without an error. Errors here must name the right line, and both parsers
//! read a million records in about the same time (25 ms apart), so the reader is our own.

use std::fmt;
use std::io::{self, BufRead};

use crate::read::{At, error_at};

/// A broken record: where, and what.
#[derive(Debug)]
pub struct RecordError {
    pub at: At,
    pub what: String,
}

impl RecordError {
    fn new(at: At, what: impl Into<String>) -> Self {
        RecordError {
            at,
            what: what.into(),
        }
    }

    /// The error in `path`, as every reader names a place.
    pub fn in_file(self, path: &str) -> anyhow::Error {
        error_at(path, self.at, self.what)
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

impl std::error::Error for RecordError {}

/// Where a field lies in the record's text.
type Range = (usize, usize);

/// A field being read: where it starts in the record's bytes, and where its quoted text closed.
#[derive(Clone, Copy, Default)]
struct Field {
    start: usize,
    closed: Option<usize>,
}

pub struct Records<R> {
    inner: R,
    /// The line last read (1-based).
    line: u64,
    /// A CR ended the last line read at the end of a buffer: a LF that follows belongs to it.
    skip_lf: bool,
    raw: Vec<u8>,
    bytes: Vec<u8>,
    text: String,
    ends: Vec<Range>,
    /// The field separator: `,` (DHIS2's), or what a mapping was saved with.
    separator: u8,
}

impl<R: BufRead> Records<R> {
    pub fn new(inner: R) -> Self {
        Self::with_separator(inner, b',')
    }

    /// Records whose fields are separated by `separator` (`;` or a tab) instead of `,`.
    pub fn with_separator(inner: R, separator: u8) -> Self {
        Records {
            separator,
            inner,
            line: 0,
            skip_lf: false,
            raw: Vec::with_capacity(1024),
            bytes: Vec::with_capacity(1024),
            text: String::with_capacity(1024),
            ends: Vec::with_capacity(16),
        }
    }

    /// Reads the next non-blank record. Returns the line it starts on, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<u64>, RecordError> {
        loop {
            let more = self.read_line().map_err(|e| {
                RecordError::new(At::Line(self.line + 1), format!("cannot read: {e}"))
            })?;
            if !more {
                return Ok(None);
            }
            self.line += 1;
            let start_line = self.line;
            let blank = if memchr::memchr(b'"', &self.raw).is_none() {
                self.plain_record(start_line)?
            } else {
                self.quoted_record(start_line)?
            };
            if !blank {
                return Ok(Some(start_line));
            }
        }
    }

    /// Reads one physical line into `raw`, without its end (LF, CRLF or CR). False at the end.
    fn read_line(&mut self) -> io::Result<bool> {
        self.raw.clear();
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(!self.raw.is_empty());
            }
            let start = usize::from(std::mem::take(&mut self.skip_lf) && buf[0] == b'\n');
            let Some(k) = memchr::memchr2(b'\n', b'\r', &buf[start..]) else {
                let n = buf.len();
                self.raw.extend_from_slice(&buf[start..]);
                self.inner.consume(n);
                continue;
            };
            let end = start + k;
            self.raw.extend_from_slice(&buf[start..end]);
            let mut used = end + 1;
            if buf[end] == b'\r' {
                match buf.get(end + 1) {
                    Some(b'\n') => used += 1,
                    None => self.skip_lf = true,
                    _ => {}
                }
            }
            self.inner.consume(used);
            return Ok(true);
        }
    }

    /// The common case, a line without quotes: the fields are the text between commas.
    /// Returns true for a blank line.
    fn plain_record(&mut self, line: u64) -> Result<bool, RecordError> {
        if self.raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(true);
        }
        let text = std::str::from_utf8(&self.raw)
            .map_err(|e| utf8_error(line, &self.raw, e.valid_up_to()))?;
        self.text.clear();
        self.text.push_str(text);
        self.ends.clear();
        let mut start = 0;
        let n = self.raw.len();
        for comma in memchr::memchr_iter(self.separator, &self.raw).chain(std::iter::once(n)) {
            self.ends.push(trimmed(&self.text, start, comma));
            start = comma + 1;
        }
        Ok(false)
    }

    /// A record with quotes, which may go on over further lines. Returns true for a blank line.
    fn quoted_record(&mut self, start_line: u64) -> Result<bool, RecordError> {
        self.bytes.clear();
        let mut fields: Vec<(Field, usize)> = Vec::new();
        let mut field = Field::default();
        let (mut in_quotes, mut i) = (false, 0);
        loop {
            if i >= self.raw.len() {
                if !in_quotes {
                    break;
                }
                // The quoted field goes on on the next line.
                let line = At::Line(self.line + 1);
                if !self
                    .read_line()
                    .map_err(|e| RecordError::new(line, format!("cannot read: {e}")))?
                {
                    let what = "a quoted field is never closed (unclosed `\"`)";
                    return Err(RecordError::new(At::Line(start_line), what));
                }
                self.line += 1;
                self.bytes.push(b'\n');
                i = 0;
                continue;
            }
            let b = self.raw[i];
            i += 1;
            match (in_quotes, b) {
                (true, b'"') if self.raw.get(i) == Some(&b'"') => {
                    self.bytes.push(b'"');
                    i += 1;
                }
                (true, b'"') => {
                    in_quotes = false;
                    field.closed = Some(self.bytes.len());
                }
                (true, _) => self.bytes.push(b),
                (false, b'"')
                    if self.bytes[field.start..]
                        .iter()
                        .all(u8::is_ascii_whitespace) =>
                {
                    self.bytes.truncate(field.start);
                    in_quotes = true;
                }
                (false, b) if b == self.separator => {
                    fields.push((field, self.bytes.len()));
                    field = Field {
                        start: self.bytes.len(),
                        closed: None,
                    };
                }
                (false, _) => self.bytes.push(b),
            }
        }
        fields.push((field, self.bytes.len()));
        if fields.len() == 1
            && field.closed.is_none()
            && self.bytes.iter().all(u8::is_ascii_whitespace)
        {
            return Ok(true);
        }
        self.split_quoted(start_line, &fields)?;
        Ok(false)
    }

    /// Checks the record's bytes are UTF-8 and records where each field lies.
    fn split_quoted(&mut self, line: u64, fields: &[(Field, usize)]) -> Result<(), RecordError> {
        let not_utf8 = |raw: &[u8]| {
            let valid = std::str::from_utf8(raw)
                .err()
                .map_or(0, |e| e.valid_up_to());
            utf8_error(line, raw, valid)
        };
        let text = std::str::from_utf8(&self.bytes).map_err(|_| not_utf8(&self.raw))?;
        self.text.clear();
        self.text.push_str(text);
        self.ends.clear();
        for &(f, end) in fields {
            // The bytes were checked as a whole; a character split by a comma (`\xDA,\x8E`) is
            // valid there but not in its field.
            if !self.text.is_char_boundary(f.start) || !self.text.is_char_boundary(end) {
                return Err(not_utf8(&self.raw));
            }
            // A quoted field keeps its white space, unless text follows its closing quote.
            match f.closed.filter(|&c| self.text[c..end].trim().is_empty()) {
                Some(c) => self.ends.push((f.start, c)),
                None => self.ends.push(trimmed(&self.text, f.start, end)),
            }
        }
        Ok(())
    }

    /// The number of fields of the current record.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i` of the current record, or `""` past its end.
    pub fn field(&self, i: usize) -> &str {
        self.ends.get(i).map_or("", |&(s, e)| &self.text[s..e])
    }

    /// The fields of the current record as owned strings.
    pub fn fields(&self) -> Vec<String> {
        (0..self.len()).map(|i| self.field(i).to_string()).collect()
    }
}

/// `text[start..end]` without surrounding white space.
fn trimmed(text: &str, start: usize, end: usize) -> Range {
    let field = &text[start..end];
    let s = start + (field.len() - field.trim_start().len());
    let e = end - (field.len() - field.trim_end().len());
    (s, e.max(s))
}

/// A line that is not UTF-8, with the column of the first bad byte.
fn utf8_error(line: u64, bytes: &[u8], valid_up_to: usize) -> RecordError {
    let column = String::from_utf8_lossy(&bytes[..valid_up_to])
        .chars()
        .count()
        + 1;
    RecordError::new(
        At::LineColumn(line, column as u64),
        "not UTF-8 text; pi2de reads UTF-8 (a file saved by Excel as \"CSV\" is often \
         Windows-1252: save it as \"CSV UTF-8\")",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(u64, Vec<String>)>, String> {
        parse_records(text).map_err(|e| e.to_string())
    }

    fn parse_records(text: &str) -> Result<Vec<(u64, Vec<String>)>, RecordError> {
        let mut r = Records::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(line) = r.next_record()? {
            out.push((line, r.fields()));
        }
        Ok(out)
    }

    #[test]
    fn quoting_crlf_and_blank_lines() {
        let rows = parse("a,\"b,c\",\"d\"\"e\"\r\n\r\n x , ,\"\"\n").unwrap();
        assert_eq!(rows[0], (1, vec!["a".into(), "b,c".into(), "d\"e".into()]));
        assert_eq!(rows[1], (3, vec!["x".into(), "".into(), "".into()]));
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn cr_lf_and_crlf_end_lines_alike() {
        for text in [
            "a,b\nc,d\n\ne,f",
            "a,b\r\nc,d\r\n\r\ne,f\r\n",
            "a,b\rc,d\r\re,f\r",
        ] {
            let rows = parse(text).unwrap();
            let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
            assert_eq!(lines, [1, 2, 4], "{text:?}");
            assert_eq!(rows[2].1, ["e", "f"], "{text:?}");
        }
        // A CR at the very end of a buffer, its LF in the next one.
        let reader = std::io::BufReader::with_capacity(4, "abc\r\nde\n".as_bytes());
        let mut r = Records::new(reader);
        assert_eq!(r.next_record().unwrap(), Some(1));
        assert_eq!(r.next_record().unwrap(), Some(2));
        assert_eq!(r.fields(), ["de"]);
    }

    #[test]
    fn quoted_fields_keep_their_white_space() {
        let rows = parse("a, \" b \" ,\"c\"d\n").unwrap();
        assert_eq!(rows[0].1, vec!["a".to_string(), " b ".into(), "cd".into()]);
    }

    #[test]
    fn multi_line_quoted_field_keeps_line_numbers() {
        let rows = parse("\"a\nb\",c\nd,e\n").unwrap();
        assert_eq!(rows[0], (1, vec!["a\nb".into(), "c".into()]));
        assert_eq!(rows[1], (3, vec!["d".into(), "e".into()]));
    }

    #[test]
    fn unclosed_quote_is_an_error_with_its_line() {
        let err = parse("a,b\nc,\"d\ne,f\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("never closed"), "{err}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let mut r = Records::new(&b"ok,1\nab,\xe9t\xe9\n"[..]);
        assert!(r.next_record().unwrap().is_some());
        let err = r.next_record().unwrap_err().to_string();
        assert!(err.contains("line 2, column 4"), "{err}");
    }

    #[test]
    fn a_character_split_by_a_comma_is_not_utf8() {
        // Found by fuzzing (read_csv): this panicked on slicing inside the character.
        let mut r = Records::new(&b"B\",,\xda,\x8e,,,\n"[..]);
        let err = r.next_record().unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
