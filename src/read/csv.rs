//! The CSV reader: DHIS2's analytics header (`data_element,period,organisation_unit,…`), the
//! import header (`dataelement,period,orgunit,categoryoptioncombo,…`, also `catoptcombo`,
//! `attroptcombo`) in any case and order, or no header at all (DHIS2's import positions).
//! Also the RFC 4180 record parser that the mapping reader shares.

use std::io::BufRead;

use anyhow::{Result, anyhow, bail};

use super::{ReadOutcome, Sink, is_true};
use crate::model::{DataValue, Place, normalise_name};

/// A streaming CSV record parser with line numbers: `"` quoting with `""` escapes, LF or CRLF,
/// unquoted fields trimmed (quoted ones keep their white space), blank lines skipped. A quote
/// left open at the end of the file is an error.
pub struct Records<R> {
    inner: R,
    line: u64,
    raw: Vec<u8>,
    bytes: Vec<u8>,
    text: String,
    ends: Vec<(usize, usize)>,
}

impl<R: BufRead> Records<R> {
    pub fn new(inner: R) -> Self {
        Records {
            inner,
            line: 0,
            raw: Vec::with_capacity(1024),
            bytes: Vec::with_capacity(1024),
            text: String::with_capacity(1024),
            ends: Vec::with_capacity(16),
        }
    }

    /// Reads the next non-blank record. Returns the line it starts on, or `None` at the end.
    /// Errors are plain messages with the line; the caller adds the file name.
    pub fn next_record(&mut self) -> std::result::Result<Option<u64>, String> {
        loop {
            self.raw.clear();
            let n = self
                .inner
                .read_until(b'\n', &mut self.raw)
                .map_err(|e| format!("line {}: cannot read: {e}", self.line + 1))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let start_line = self.line;
            if memchr::memchr(b'"', &self.raw).is_none() {
                // The common case: no quoting, so fields are the text between commas.
                let mut line: &[u8] = &self.raw;
                while let [rest @ .., b'\n' | b'\r'] = line {
                    line = rest;
                }
                if line.iter().all(|c| c.is_ascii_whitespace()) {
                    continue;
                }
                let text = std::str::from_utf8(line)
                    .map_err(|e| utf8_error(start_line, line, e.valid_up_to()))?;
                self.text.clear();
                self.text.push_str(text);
                self.ends.clear();
                let mut start = 0;
                for comma in memchr::memchr_iter(b',', line).chain(std::iter::once(line.len())) {
                    let field = &self.text[start..comma];
                    let s = start + (field.len() - field.trim_start().len());
                    let e = comma - (field.len() - field.trim_end().len());
                    self.ends.push((s, e.max(s)));
                    start = comma + 1;
                }
                return Ok(Some(start_line));
            }
            self.bytes.clear();
            // Each field's start and end in `bytes`, and where its quoted text closed.
            let mut field_ranges: Vec<(usize, usize, Option<usize>)> = Vec::new();
            let mut field_start = 0usize;
            let mut quoted: Option<usize> = None;
            let mut in_quotes = false;
            let mut i = 0usize;
            loop {
                if i >= self.raw.len() {
                    if in_quotes {
                        // The quoted field goes on on the next line.
                        self.raw.clear();
                        let n = self
                            .inner
                            .read_until(b'\n', &mut self.raw)
                            .map_err(|e| format!("cannot read: {e}"))?;
                        if n == 0 {
                            return Err(format!(
                                "line {start_line}: a quoted field is never closed (unclosed `\"`)"
                            ));
                        }
                        self.line += 1;
                        i = 0;
                        continue;
                    }
                    break;
                }
                let b = self.raw[i];
                if in_quotes {
                    if b == b'"' {
                        if self.raw.get(i + 1) == Some(&b'"') {
                            self.bytes.push(b'"');
                            i += 2;
                            continue;
                        }
                        in_quotes = false;
                        quoted = Some(self.bytes.len());
                    } else {
                        self.bytes.push(b);
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' if self.bytes[field_start..]
                        .iter()
                        .all(|c| c.is_ascii_whitespace()) =>
                    {
                        self.bytes.truncate(field_start);
                        in_quotes = true;
                    }
                    b',' => {
                        field_ranges.push((field_start, self.bytes.len(), quoted));
                        field_start = self.bytes.len();
                        quoted = None;
                    }
                    b'\n' => break,
                    b'\r' if self.raw.get(i + 1).is_none_or(|&c| c == b'\n') => break,
                    _ => self.bytes.push(b),
                }
                i += 1;
            }
            field_ranges.push((field_start, self.bytes.len(), quoted));
            if field_ranges.len() == 1
                && self.bytes.iter().all(|c| c.is_ascii_whitespace())
                && quoted.is_none()
            {
                continue;
            }
            self.text.clear();
            match std::str::from_utf8(&self.bytes) {
                Ok(s) => self.text.push_str(s),
                Err(_) => {
                    let valid = match std::str::from_utf8(&self.raw) {
                        Err(e) => e.valid_up_to(),
                        Ok(_) => 0,
                    };
                    return Err(utf8_error(start_line, &self.raw, valid));
                }
            }
            self.ends.clear();
            for (s, e, closed) in field_ranges {
                // The bytes were checked as a whole; a character split by a comma
                // (`\xDA,\x8E`) is valid there but not in its field.
                if !self.text.is_char_boundary(s) || !self.text.is_char_boundary(e) {
                    let valid = std::str::from_utf8(&self.raw)
                        .err()
                        .map_or(0, |e| e.valid_up_to());
                    return Err(utf8_error(start_line, &self.raw, valid));
                }
                // A quoted field keeps its white space (as DHIS2 2.43 reads it), unless text
                // follows its closing quote.
                if let Some(c) = closed.filter(|&c| self.text[c..e].trim().is_empty()) {
                    self.ends.push((s, c));
                    continue;
                }
                let field = &self.text[s..e];
                let trimmed_start = s + (field.len() - field.trim_start().len());
                let trimmed_end = e - (field.len() - field.trim_end().len());
                self.ends
                    .push((trimmed_start, trimmed_end.max(trimmed_start)));
            }
            return Ok(Some(start_line));
        }
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

/// The message for a line that is not UTF-8, with the column of the first bad byte.
fn utf8_error(line: u64, bytes: &[u8], valid_up_to: usize) -> String {
    let column = String::from_utf8_lossy(&bytes[..valid_up_to])
        .chars()
        .count()
        + 1;
    format!(
        "line {line}, column {column}: not UTF-8 text; pi2de reads UTF-8 (a file saved by Excel as \
         \"CSV\" is often Windows-1252: save it as \"CSV UTF-8\")"
    )
}

/// Column positions of the fields pi2de reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    data_element: usize,
    period: usize,
    org_unit: usize,
    category_option_combo: Option<usize>,
    attribute_option_combo: Option<usize>,
    value: usize,
    deleted: Option<usize>,
}

/// DHIS2's import positions, for a file with no header row (≤ 2.42 `CsvDataValueSetReader`:
/// `deleted` is column 11).
const POSITIONAL: Columns = Columns {
    data_element: 0,
    period: 1,
    org_unit: 2,
    category_option_combo: Some(3),
    attribute_option_combo: Some(4),
    value: 5,
    deleted: Some(10),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    DataElement,
    Period,
    OrgUnit,
    CategoryOptionCombo,
    AttributeOptionCombo,
    Value,
    Deleted,
}

/// The role of a header name, compared ignoring case, spaces, `_` and `-`.
fn role(name: &str) -> Option<Role> {
    Some(match normalise_name(name).as_str() {
        "dataelement" | "dx" | "data" => Role::DataElement,
        "period" | "pe" => Role::Period,
        "orgunit" | "organisationunit" | "organizationunit" | "ou" => Role::OrgUnit,
        "categoryoptioncombo" | "catoptcombo" | "coc" | "co" => Role::CategoryOptionCombo,
        "attributeoptioncombo" | "attroptcombo" | "aoc" | "ao" => Role::AttributeOptionCombo,
        "value" => Role::Value,
        "deleted" => Role::Deleted,
        _ => return None,
    })
}

/// Reads the header row if the first record is one; `None` when the file has no header.
fn header_columns<R: BufRead>(
    records: &Records<R>,
    path: &str,
    line: u64,
) -> Result<Option<Columns>> {
    let roles: Vec<Option<Role>> = (0..records.len()).map(|i| role(records.field(i))).collect();
    let known = roles.iter().flatten().count();
    let first_is_name = roles.first().copied().flatten() == Some(Role::DataElement);
    if known < 2 && !first_is_name {
        if records.len() == 1 && records.field(0).contains(';') {
            bail!(
                "{path}: line {line}: the columns are separated by `;`; DHIS2 CSV uses `,` \
                 (save the file again as comma-separated CSV)"
            );
        }
        return Ok(None);
    }
    let find = |r: Role| roles.iter().position(|x| *x == Some(r));
    let mut missing = Vec::new();
    let mut need = |r: Role, name: &'static str| {
        let found = find(r);
        if found.is_none() {
            missing.push(name);
        }
        found.unwrap_or(0)
    };
    let columns = Columns {
        data_element: need(Role::DataElement, "dataelement"),
        period: need(Role::Period, "period"),
        org_unit: need(Role::OrgUnit, "orgunit"),
        value: need(Role::Value, "value"),
        category_option_combo: find(Role::CategoryOptionCombo),
        attribute_option_combo: find(Role::AttributeOptionCombo),
        deleted: find(Role::Deleted),
    };
    if !missing.is_empty() {
        bail!(
            "{path}: line {line}: the header row has no {} column (it has: {})",
            missing.join(", "),
            records.fields().join(", ")
        );
    }
    Ok(Some(columns))
}

/// Streams the data values of a CSV dataValueSet into `sink`.
pub fn read(reader: &mut dyn BufRead, path: &str, sink: &mut dyn Sink) -> Result<ReadOutcome> {
    let mut records = Records::new(reader);
    let mut columns: Option<Columns> = None;
    let mut values = 0u64;
    while let Some(line) = records.next_record().map_err(|e| anyhow!("{path}: {e}"))? {
        let c = match columns {
            Some(c) => c,
            None => {
                let found = header_columns(&records, path, line)?;
                columns = Some(found.unwrap_or(POSITIONAL));
                if found.is_some() {
                    continue;
                }
                POSITIONAL
            }
        };
        values += 1;
        // Ids are trimmed even when quoted; a quoted value keeps its white space.
        let id = |i: usize| records.field(i).trim();
        let opt = |i: Option<usize>| i.map_or("", id);
        let value = records.field(c.value);
        let v = DataValue {
            data_element: id(c.data_element),
            period: id(c.period),
            org_unit: id(c.org_unit),
            category_option_combo: opt(c.category_option_combo),
            attribute_option_combo: opt(c.attribute_option_combo),
            value: (!value.is_empty()).then_some(value),
            deleted: c.deleted.is_some_and(|i| is_true(records.field(i))),
            place: Place {
                record: values,
                line: Some(line),
            },
        };
        sink.data_value(v)?;
    }
    Ok(ReadOutcome {
        header: Default::default(),
        values,
        late_defaults: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(u64, Vec<String>)>, String> {
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
        let err = r.next_record().unwrap_err();
        assert!(err.contains("line 2, column 4"), "{err}");
    }

    #[test]
    fn a_character_split_by_a_comma_is_not_utf8() {
        // Found by fuzzing (read_csv): this panicked on slicing inside the character.
        let mut r = Records::new(&b"B\",,\xda,\x8e,,,\n"[..]);
        let err = r.next_record().unwrap_err();
        assert!(err.contains("not UTF-8"), "{err}");
    }

    #[test]
    fn header_roles() {
        assert_eq!(role("data_element"), Some(Role::DataElement));
        assert_eq!(role("Organisation unit"), Some(Role::OrgUnit));
        assert_eq!(role("CATOPTCOMBO"), Some(Role::CategoryOptionCombo));
        assert_eq!(role("attroptcombo"), Some(Role::AttributeOptionCombo));
        assert_eq!(role("stored_by"), None);
    }
}
