//! The JSON reader: `{"dataValues":[{…}]}` streamed value by value, with the payload keys
//! (`dataSet`, `period`, `orgUnit`, `attributeOptionCombo`, id schemes) honoured as defaults
//! wherever they appear.
//!
//! A scanner reads the input in large blocks and frames one value at a time without recursion
//! (deep nesting cannot overflow the stack; unknown keys are skipped without being kept). Each
//! `dataValue` object is parsed by a flat fast path when it holds only strings, booleans and
//! nulls without escapes (what DHIS2 writes); any other object goes through serde_json, so the
//! two paths give the same values.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use anyhow::{Result, anyhow};
use serde::Deserialize;
use serde::de::{self, Visitor};

use super::{ReadOutcome, Sink, is_true, line_column};
use crate::model::{DataValue, Header, Place};

/// One `dataValue` object (the serde path); unknown keys (`created`, `comment`, …) are skipped.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase", expecting = "a dataValue object")]
struct JsonDataValue {
    #[serde(deserialize_with = "text")]
    data_element: Option<String>,
    #[serde(deserialize_with = "text")]
    period: Option<String>,
    #[serde(deserialize_with = "text")]
    org_unit: Option<String>,
    #[serde(deserialize_with = "text")]
    category_option_combo: Option<String>,
    #[serde(deserialize_with = "text")]
    attribute_option_combo: Option<String>,
    #[serde(deserialize_with = "text")]
    value: Option<String>,
    #[serde(deserialize_with = "text")]
    deleted: Option<String>,
}

/// A JSON string, number or boolean as text; `null` as `None`.
pub(crate) fn text<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Text;
    impl<'de> Visitor<'de> for Text {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Text)
}

/// Block size for reading.
const BLOCK: usize = 1 << 20;

/// A scanner over the input: a buffer of unread bytes, and their offset in the file.
struct Scanner<'r> {
    reader: &'r mut dyn BufRead,
    path: &'r str,
    buf: Vec<u8>,
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
}

/// How a scan ended badly.
enum ScanError {
    Eof,
    Syntax(&'static str),
    Io(std::io::Error),
}

impl<'r> Scanner<'r> {
    /// Reads another block. Bytes before `keep_from` may be dropped (moving the rest to the
    /// front); returns how far the buffer moved, or `None` at the end of the input.
    fn fill(&mut self, keep_from: usize) -> Result<Option<usize>, ScanError> {
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
    fn peek(&mut self) -> Result<u8, ScanError> {
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

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), ScanError> {
        if self.peek()? != byte {
            return Err(ScanError::Syntax(what));
        }
        self.pos += 1;
        Ok(())
    }

    /// Frames the value starting at the next non-space byte: returns its span in `buf` (which
    /// stays valid until the next call). With `keep` false the bytes are dropped as they are
    /// scanned (for values that are skipped) and the span is empty.
    fn value(&mut self, keep: bool) -> Result<(usize, usize), ScanError> {
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

    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// An error at the scanner's position, with line and column where the input can be read
    /// again.
    fn error(&self, offset: u64, what: &str) -> anyhow::Error {
        match line_column(self.path, offset) {
            Some((line, column)) => anyhow!(
                "{}: line {line}, column {column}: invalid JSON: {what}",
                self.path
            ),
            None => anyhow!("{}: byte {offset}: invalid JSON: {what}", self.path),
        }
    }

    fn fail(&self, e: ScanError, expected: &str) -> anyhow::Error {
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

/// The fields of one `dataValue` object.
#[derive(Default)]
struct Fields<'a> {
    data_element: Option<Cow<'a, str>>,
    period: Option<Cow<'a, str>>,
    org_unit: Option<Cow<'a, str>>,
    category_option_combo: Option<Cow<'a, str>>,
    attribute_option_combo: Option<Cow<'a, str>>,
    value: Option<Cow<'a, str>>,
    deleted: Option<Cow<'a, str>>,
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Why the fast path did not parse an object.
#[derive(Debug, PartialEq, Eq)]
enum Flat {
    /// The buffer ends inside the object: read more and try again.
    Short,
    /// Something the fast path does not handle (numbers, escapes, nesting, bad syntax).
    Other,
}

/// A string without escapes starting at `s[i] == '"'`: its text and the index after it.
fn plain_string(s: &[u8], i: usize) -> Result<(&str, usize), Flat> {
    if s.get(i).ok_or(Flat::Short)? != &b'"' {
        return Err(Flat::Other);
    }
    let k = memchr::memchr2(b'"', b'\\', &s[i + 1..]).ok_or(Flat::Short)?;
    if s[i + 1 + k] != b'"' {
        return Err(Flat::Other);
    }
    let text = std::str::from_utf8(&s[i + 1..i + 1 + k]).map_err(|_| Flat::Other)?;
    if text.bytes().any(|b| b < 0x20) {
        return Err(Flat::Other);
    }
    Ok((text, i + 2 + k))
}

/// The fast path: an object of plain strings, booleans and nulls at the start of `s`, and the
/// number of bytes it takes.
fn flat_object(s: &[u8]) -> Result<(Fields<'_>, usize), Flat> {
    let at = |i: usize| s.get(i).copied().ok_or(Flat::Short);
    let mut f = Fields::default();
    let mut i = skip_ws(s, 0);
    if at(i)? != b'{' {
        return Err(Flat::Other);
    }
    i = skip_ws(s, i + 1);
    if at(i)? == b'}' {
        return Ok((f, i + 1));
    }
    loop {
        let (key, next) = plain_string(s, i)?;
        i = skip_ws(s, next);
        if at(i)? != b':' {
            return Err(Flat::Other);
        }
        i = skip_ws(s, i + 1);
        let literal = |word: &[u8], i: usize| -> Result<bool, Flat> {
            let rest = &s[i..];
            if rest.len() < word.len() {
                return if word.starts_with(rest) {
                    Err(Flat::Short)
                } else {
                    Ok(false)
                };
            }
            Ok(rest.starts_with(word))
        };
        let value: Option<&str> = match at(i)? {
            b'"' => {
                let (text, next) = plain_string(s, i)?;
                i = next;
                Some(text)
            }
            b't' if literal(b"true", i)? => {
                i += 4;
                Some("true")
            }
            b'f' if literal(b"false", i)? => {
                i += 5;
                Some("false")
            }
            b'n' if literal(b"null", i)? => {
                i += 4;
                None
            }
            _ => return Err(Flat::Other),
        };
        // Length and first byte rule out the other keys (created, comment, …) without a
        // string comparison.
        let slot = match (key.len(), key.as_bytes().first().copied().unwrap_or(0)) {
            (11, b'd') if key == "dataElement" => &mut f.data_element,
            (6, b'p') if key == "period" => &mut f.period,
            (7, b'o') if key == "orgUnit" => &mut f.org_unit,
            (19, b'c') if key == "categoryOptionCombo" => &mut f.category_option_combo,
            (20, b'a') if key == "attributeOptionCombo" => &mut f.attribute_option_combo,
            (5, b'v') if key == "value" => &mut f.value,
            (7, b'd') if key == "deleted" => &mut f.deleted,
            _ => &mut None,
        };
        *slot = value.map(Cow::Borrowed);
        i = skip_ws(s, i);
        match at(i)? {
            b',' => i = skip_ws(s, i + 1),
            b'}' => return Ok((f, i + 1)),
            _ => return Err(Flat::Other),
        }
    }
}

/// Reading state: the defaults known so far and what was passed on.
struct Ctx<'s> {
    header: Header,
    sink: &'s mut dyn Sink,
    values: u64,
    /// Values passed on without period / orgUnit / attributeOptionCombo.
    lacking: [bool; 3],
    late_defaults: bool,
}

impl Ctx<'_> {
    fn emit(&mut self, f: &Fields) -> Result<()> {
        self.values += 1;
        fn s<'a>(o: &'a Option<Cow<'a, str>>) -> &'a str {
            o.as_deref().unwrap_or("")
        }
        let mut v = DataValue {
            data_element: s(&f.data_element),
            period: s(&f.period),
            org_unit: s(&f.org_unit),
            category_option_combo: s(&f.category_option_combo),
            attribute_option_combo: s(&f.attribute_option_combo),
            value: f.value.as_deref(),
            deleted: f.deleted.as_deref().is_some_and(is_true),
            place: Place {
                record: self.values,
                line: None,
            },
        };
        self.header.apply(&mut v);
        for (lack, field) in
            self.lacking
                .iter_mut()
                .zip([v.period, v.org_unit, v.attribute_option_combo])
        {
            *lack |= field.is_empty();
        }
        self.sink.data_value(v)
    }

    /// A payload key's value: text for a string, number or boolean; `None` for null or a
    /// structure.
    fn header_value(slice: &[u8]) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(slice)
            .ok()
            .and_then(|v| match v {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
    }

    fn set_header(&mut self, key: &str, value: String) {
        let field = match key {
            "period" => Some((0, &self.header.period)),
            "orgUnit" => Some((1, &self.header.org_unit)),
            "attributeOptionCombo" => Some((2, &self.header.attribute_option_combo)),
            _ => None,
        };
        if let Some((i, known)) = field
            && self.lacking[i]
            && known.as_deref() != Some(value.as_str())
        {
            // A default arriving after values that lacked it: read again.
            self.late_defaults = true;
        }
        self.header.set(key, value);
    }
}

/// Streams the data values of a JSON dataValueSet into `sink`. `hint` holds payload defaults
/// already known (from an earlier pass over the same file).
pub fn read(
    reader: &mut dyn BufRead,
    path: &str,
    hint: &Header,
    sink: &mut dyn Sink,
) -> Result<ReadOutcome> {
    let mut sc = Scanner {
        reader,
        path,
        buf: Vec::with_capacity(2 * BLOCK),
        pos: 0,
        base: 0,
        eof: false,
    };
    let mut ctx = Ctx {
        header: hint.clone(),
        sink,
        values: 0,
        lacking: [false; 3],
        late_defaults: false,
    };
    let mut saw_data_values = false;
    sc.expect(b'{', "").map_err(|e| match e {
        ScanError::Syntax(_) => sc.error(
            sc.offset(),
            "expected a dataValueSet object: {\"dataValues\": [...]}",
        ),
        other => sc.fail(other, ""),
    })?;
    if sc.peek().map_err(|e| sc.fail(e, "a key"))? == b'}' {
        sc.pos += 1;
    } else {
        loop {
            let key_offset = sc.offset();
            let (ks, ke) = sc.value(true).map_err(|e| sc.fail(e, "a key"))?;
            let key: String = serde_json::from_slice(&sc.buf[ks..ke])
                .map_err(|_| sc.error(key_offset, "expected a key in quotes"))?;
            sc.expect(b':', "`:` after a key")
                .map_err(|e| sc.fail(e, ""))?;
            if key == "dataValues" {
                saw_data_values = true;
                read_values(&mut sc, &mut ctx)?;
            } else if Header::is_key(&key) {
                let (vs, ve) = sc.value(true).map_err(|e| sc.fail(e, "a value"))?;
                if let Some(value) = Ctx::header_value(&sc.buf[vs..ve]) {
                    ctx.set_header(&key, value);
                }
            } else {
                sc.value(false).map_err(|e| sc.fail(e, "a value"))?;
            }
            match sc.peek().map_err(|e| sc.fail(e, "`,` or `}`"))? {
                b',' => sc.pos += 1,
                b'}' => {
                    sc.pos += 1;
                    break;
                }
                _ => return Err(sc.error(sc.offset(), "expected `,` or `}`")),
            }
        }
    }
    match sc.peek() {
        Err(ScanError::Eof) => {}
        Err(e) => return Err(sc.fail(e, "")),
        Ok(_) => {
            return Err(sc.error(
                sc.offset(),
                "trailing characters after the dataValueSet object",
            ));
        }
    }
    if !saw_data_values {
        return Err(anyhow!(
            "{path}: this JSON has no `dataValues` array; is it a dataValueSet export \
             (/api/analytics/dataValueSet.json)?"
        ));
    }
    Ok(ReadOutcome {
        header: ctx.header,
        values: ctx.values,
        late_defaults: ctx.late_defaults,
    })
}

/// Reads the `dataValues` array.
fn read_values(sc: &mut Scanner, ctx: &mut Ctx) -> Result<()> {
    let at = sc.offset();
    match sc.peek() {
        Ok(b'[') => sc.pos += 1,
        Ok(_) => return Err(sc.error(at, "`dataValues` must be an array of dataValue objects")),
        Err(e) => return Err(sc.fail(e, "")),
    }
    if sc.peek().map_err(|e| sc.fail(e, ""))? == b']' {
        sc.pos += 1;
        return Ok(());
    }
    loop {
        let at = sc.offset();
        if sc.peek().map_err(|e| sc.fail(e, ""))? != b'{' {
            return Err(sc.error(at, "`dataValues` must hold dataValue objects"));
        }
        // The fast path straight on the buffer; when the object runs past it, read more first.
        let fast = loop {
            match flat_object(&sc.buf[sc.pos..]) {
                // A giant object would be rescanned after every block: frame it instead.
                Err(Flat::Short) if sc.buf.len() - sc.pos > 4 * BLOCK => break None,
                Err(Flat::Short) => match sc.fill(sc.pos) {
                    Ok(Some(_)) => continue,
                    Ok(None) => break None,
                    Err(e) => return Err(sc.fail(e, "")),
                },
                Err(Flat::Other) => break None,
                Ok((fields, len)) => break Some((fields, len)),
            }
        };
        if let Some((fields, len)) = fast {
            ctx.emit(&fields)?;
            sc.pos += len;
        } else {
            let (s, e) = sc
                .value(true)
                .map_err(|e| sc.fail(e, "a dataValue object"))?;
            if let Err(bad) = std::str::from_utf8(&sc.buf[s..e]) {
                let offset = sc.base + (s + bad.valid_up_to()) as u64;
                return Err(sc.error(
                    offset,
                    "not UTF-8 text; pi2de reads UTF-8 (save the export as UTF-8)",
                ));
            }
            let parsed: JsonDataValue =
                serde_json::from_slice(&sc.buf[s..e]).map_err(|err| object_error(sc, at, &err))?;
            let fields = Fields {
                data_element: parsed.data_element.map(Cow::Owned),
                period: parsed.period.map(Cow::Owned),
                org_unit: parsed.org_unit.map(Cow::Owned),
                category_option_combo: parsed.category_option_combo.map(Cow::Owned),
                attribute_option_combo: parsed.attribute_option_combo.map(Cow::Owned),
                value: parsed.value.map(Cow::Owned),
                deleted: parsed.deleted.map(Cow::Owned),
            };
            ctx.emit(&fields)?;
        }
        match sc.peek().map_err(|e| sc.fail(e, "`,` or `]`"))? {
            b',' => sc.pos += 1,
            b']' => {
                sc.pos += 1;
                return Ok(());
            }
            _ => return Err(sc.error(sc.offset(), "expected `,` or `]` between dataValue objects")),
        }
    }
}

/// A serde error inside one object, placed in the file.
fn object_error(sc: &Scanner, object_offset: u64, e: &serde_json::Error) -> anyhow::Error {
    let text = e.to_string();
    let what = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(w, _)| w);
    match line_column(sc.path, object_offset) {
        Some((line, column)) => {
            let (line, column) = if e.line() <= 1 {
                (line, column + e.column() as u64 - 1)
            } else {
                (line + e.line() as u64 - 1, e.column() as u64)
            };
            anyhow!(
                "{}: line {line}, column {column}: invalid JSON: {what}",
                sc.path
            )
        }
        None => anyhow!("{}: byte {object_offset}: invalid JSON: {what}", sc.path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_objects() {
        let text = br#"{ "dataElement" : "A", "period":"202401","orgUnit":"O","value":"12.0","followup":false,"comment":null },{"#;
        let (f, len) = flat_object(text).unwrap();
        assert_eq!(
            (
                f.data_element.as_deref(),
                f.value.as_deref(),
                f.category_option_combo.as_deref()
            ),
            (Some("A"), Some("12.0"), None)
        );
        assert_eq!(&text[len..], b",{", "stops after the object");
        assert_eq!(
            flat_object(br#"{"value":12}"#).err(),
            Some(Flat::Other),
            "numbers take the serde path"
        );
        assert_eq!(
            flat_object(br#"{"value":"a\"b"}"#).err(),
            Some(Flat::Other),
            "escapes take the serde path"
        );
        assert_eq!(
            flat_object(br#"{"value":{"a":1}}"#).err(),
            Some(Flat::Other)
        );
        assert_eq!(
            flat_object(br#"{"value":"1","follow"#).err(),
            Some(Flat::Short)
        );
        assert_eq!(flat_object(br#"{"followup":fal"#).err(), Some(Flat::Short));
        assert_eq!(flat_object(br#"{"followup":fax}"#).err(), Some(Flat::Other));
        assert_eq!(flat_object(b"{}").map(|(_, n)| n), Ok(2));
        assert!(
            flat_object(br#"{"":"x","value":"1"}"#).is_ok(),
            "an empty key is just another key"
        );
    }
}
