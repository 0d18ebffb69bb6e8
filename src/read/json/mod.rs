//! The JSON reader: `{"dataValues":[{…}]}` streamed value by value, with the payload keys
//! (`dataSet`, `period`, `orgUnit`, `attributeOptionCombo`, id schemes) honoured as defaults
//! wherever they appear.
//!
//! A scanner reads the input in large blocks and frames one value at a time without recursion
//! (deep nesting cannot overflow the stack; unknown keys are skipped without being kept). Each
//! `dataValue` object is parsed by a flat fast path when it holds only strings, booleans and
//! nulls without escapes (what DHIS2 writes); any other object goes through serde_json
//! ([`serde_path`]), so the two paths give the same values.

use std::io::BufRead;

use anyhow::{Result, anyhow};

mod flat;
mod parallel;
mod scanner;
mod serde_path;

use super::{At, ReadOutcome, Sink, error_at, is_true, line_column};
use crate::model::{DataValue, Header, Place};
use flat::{Fields, Flat, Shape, flat_object_shaped};
use scanner::{BLOCK, ScanError, Scanner};
use serde_path::{JsonDataValue, combo};
pub(crate) use serde_path::{scalar_text, text};

/// Reading state: the defaults known so far and what was passed on.
struct Ctx<'s> {
    header: Header,
    sink: &'s mut dyn Sink,
    values: u64,
    /// Values passed on without period / orgUnit / attributeOptionCombo.
    lacking: [bool; 3],
    late_defaults: bool,
    /// The keys of a DHIS2 error response (`WebMessage`), when the file is one.
    answer: Vec<(String, String)>,
    /// Threads that parse the `dataValues` and the size of their chunks ([`parallel`]).
    parallel: (usize, usize),
    /// The keys of the objects read so far, for the fast path.
    shape: Shape,
}

/// The keys of DHIS2's error responses (`WebMessage`) that say what went wrong.
const ANSWER_KEYS: [&str; 4] = ["errorCode", "message", "httpStatusCode", "devMessage"];

impl Ctx<'_> {
    fn emit(&mut self, f: &Fields, line: u64) -> Result<()> {
        self.values += 1;
        let mut v = DataValue {
            data_element: f.data_element.unwrap_or(""),
            period: f.period.unwrap_or(""),
            org_unit: f.org_unit.unwrap_or(""),
            category_option_combo: f.category_option_combo.unwrap_or(""),
            attribute_option_combo: f.attribute_option_combo.unwrap_or(""),
            value: f.value,
            deleted: f.deleted.is_some_and(is_true),
            audit: crate::model::Audit::from_fields([0, 1, 2, 3].map(|i| {
                let field = if i == 1 {
                    f.audit[1].or(f.follow_up)
                } else {
                    f.audit[i]
                };
                field.filter(|s| !s.is_empty())
            })),
            place: Place {
                record: self.values,
                line: Some(line),
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

    /// A payload key's value: text for a string, number or boolean; `None` for null. A
    /// structure is an error: it would otherwise be dropped and its values read under the
    /// default (2.43's `{category: option}` attribute combo among them).
    fn header_value(key: &str, slice: &[u8]) -> Result<Option<String>, String> {
        let raw: Box<serde_json::value::RawValue> =
            serde_json::from_slice(slice).map_err(|e| e.to_string())?;
        if key.ends_with("OptionCombo") {
            let mut d = serde_json::Deserializer::from_str(raw.get());
            return combo(&mut d).map_err(|e| format!("payload `{key}`: {e}"));
        }
        scalar_text(raw.get()).map_err(|e| format!("payload `{key}`: {e}"))
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
    let parallel = (super::parse_threads(), parallel::CHUNK);
    read_on(reader, path, hint, sink, parallel)
}

/// [`read`] with the `dataValues` parsed on `parallel.0` threads in chunks of `parallel.1`
/// bytes.
fn read_on(
    reader: &mut dyn BufRead,
    path: &str,
    hint: &Header,
    sink: &mut dyn Sink,
    parallel: (usize, usize),
) -> Result<ReadOutcome> {
    let mut sc = Scanner {
        reader,
        path,
        buf: Vec::with_capacity(2 * BLOCK),
        pos: 0,
        base: 0,
        eof: false,
        line: 1,
        counted: 0,
    };
    let mut ctx = Ctx {
        header: hint.clone(),
        sink,
        values: 0,
        lacking: [false; 3],
        late_defaults: false,
        answer: Vec::new(),
        parallel,
        shape: Shape::default(),
    };
    sc.expect(b'{', "").map_err(|e| match e {
        ScanError::Syntax(_) => sc.error(
            sc.offset(),
            "expected a dataValueSet object: {\"dataValues\": [...]}",
        ),
        other => sc.fail(other, ""),
    })?;
    let saw_data_values = read_members(&mut sc, &mut ctx)?;
    match sc.peek() {
        Err(ScanError::Eof) => {}
        Err(e) => return Err(sc.fail(e, "")),
        Ok(_) => {
            let what = "trailing characters after the dataValueSet object";
            return Err(sc.error(sc.offset(), what));
        }
    }
    if !saw_data_values {
        if !ctx.answer.is_empty() {
            let said: Vec<String> = ctx.answer.iter().map(|(k, v)| format!("{k} {v}")).collect();
            return Err(anyhow!(
                "{path}: this is DHIS2's answer to a refused request, not an export: {}. Fix \
                 the request it names and export again",
                said.join(", ")
            ));
        }
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

/// Reads the members of the dataValueSet object: `dataValues`, payload defaults, and keys that
/// are skipped. True when `dataValues` was there.
fn read_members(sc: &mut Scanner, ctx: &mut Ctx) -> Result<bool> {
    let mut saw_data_values = false;
    if sc.peek().map_err(|e| sc.fail(e, "a key"))? == b'}' {
        sc.pos += 1;
        return Ok(false);
    }
    loop {
        let key_offset = sc.offset();
        let (ks, ke) = sc.value(true).map_err(|e| sc.fail(e, "a key"))?;
        let key: String = serde_json::from_slice(&sc.buf[ks..ke])
            .map_err(|_| sc.error(key_offset, "expected a key in quotes"))?;
        sc.expect(b':', "`:` after a key")
            .map_err(|e| sc.fail(e, ""))?;
        if key == "dataValues" {
            saw_data_values = true;
            read_values(sc, ctx)?;
        } else if ANSWER_KEYS.contains(&key.as_str()) {
            let (vs, ve) = sc.value(true).map_err(|e| sc.fail(e, "a value"))?;
            if let Ok(Some(v)) =
                serde_json::from_slice::<Box<serde_json::value::RawValue>>(&sc.buf[vs..ve])
                    .map_err(|e| e.to_string())
                    .and_then(|raw| scalar_text(raw.get()))
            {
                ctx.answer.push((key, v));
            }
        } else if Header::is_key(&key) {
            let at = sc.offset();
            let (vs, ve) = sc.value(true).map_err(|e| sc.fail(e, "a value"))?;
            let value = Ctx::header_value(&key, &sc.buf[vs..ve]).map_err(|e| sc.error(at, &e))?;
            if let Some(value) = value {
                ctx.set_header(&key, value);
            }
        } else {
            sc.value(false).map_err(|e| sc.fail(e, "a value"))?;
        }
        match sc.peek().map_err(|e| sc.fail(e, "`,` or `}`"))? {
            b',' => sc.pos += 1,
            b'}' => {
                sc.pos += 1;
                return Ok(saw_data_values);
            }
            _ => return Err(sc.error(sc.offset(), "expected `,` or `}`")),
        }
    }
}

/// Where reading the `dataValues` array resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    /// At a `dataValue` object (after `[` or `,`).
    Object,
    /// After one: at `,` or `]`.
    Separator,
}

/// Reads the `dataValues` array: on several threads while its objects are plain
/// ([`parallel`]), else, and for the rest from where that stopped, one object at a time.
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
    let mut resume = Resume::Object;
    let (threads, chunk) = ctx.parallel;
    if threads > 1 {
        resume = parallel::read(sc, ctx, threads, chunk)?;
    }
    loop {
        if resume == Resume::Object {
            read_object(sc, ctx)?;
        }
        resume = Resume::Object;
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

/// Reads one `dataValue` object: by the fast path straight on the buffer, else by serde.
fn read_object(sc: &mut Scanner, ctx: &mut Ctx) -> Result<()> {
    let at = sc.offset();
    if sc.peek().map_err(|e| sc.fail(e, ""))? != b'{' {
        return Err(sc.error(at, "`dataValues` must hold dataValue objects"));
    }
    let line = sc.line_here();
    // When the object runs past the buffer, read more first.
    loop {
        match flat_object_shaped(&sc.buf[sc.pos..], &mut ctx.shape) {
            // A giant object would be rescanned after every block: frame it instead.
            Err(Flat::Short) if sc.buf.len() - sc.pos > 4 * BLOCK => break,
            Err(Flat::Short) => match sc.fill(sc.pos) {
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(e) => return Err(sc.fail(e, "")),
            },
            Err(Flat::Other) => break,
            // Emitted where it was parsed (the fields are not moved).
            Ok((fields, len)) => {
                let newlines = fields.newlines;
                ctx.emit(&fields, line)?;
                sc.pos += len;
                // The lines are counted up to the object's start (`line_here`): and in it.
                sc.line += newlines;
                sc.counted = sc.pos;
                return Ok(());
            }
        }
    }
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
    // Its line ends are counted by the scanner when it comes to the next object.
    ctx.emit(&parsed.fields(), line)
}

/// A serde error inside one object, placed in the file.
fn object_error(sc: &Scanner, object_offset: u64, e: &serde_json::Error) -> anyhow::Error {
    let text = e.to_string();
    let what = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(w, _)| w);
    let (e_line, e_column) = (e.line() as u64, e.column() as u64);
    let at = match line_column(sc.path, object_offset) {
        Some((line, column)) if e_line <= 1 => At::LineColumn(line, column + e_column - 1),
        Some((line, _)) => At::LineColumn(line + e_line - 1, e_column),
        None => At::Byte(object_offset),
    };
    error_at(sc.path, at, format!("invalid JSON: {what}"))
}

#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use parallel::same_in_parallel;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use serde_path::same_on_both_paths;

#[cfg(test)]
mod tests {
    use crate::model::{DataValue, Header};
    use crate::read::Sink;

    use crate::fuzzing::xorshift;

    /// The line of each value read.
    #[derive(Default)]
    struct Lines(Vec<u64>);

    impl Sink for Lines {
        fn begin_input(&mut self, _: usize, _: &str) {}
        fn data_value(&mut self, v: DataValue<'_>) -> anyhow::Result<()> {
            self.0.push(v.place.line.unwrap_or(0));
            Ok(())
        }
    }

    /// Generated layouts (objects over several lines, line ends before and after commas,
    /// CRLF, several objects on a line, objects of the serde path among them), read in blocks
    /// small and large: each value's line is the line its `{` is on.
    #[test]
    fn every_value_is_on_the_line_its_object_starts() {
        let spaces = ["", " ", "\n", "\r\n", "\n\n  ", "\t"];
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        for round in 0..201 {
            let mut text = String::from("{\"dataValues\":[");
            let mut expected = Vec::new();
            // The last is read in several blocks, objects across their ends.
            let count = if round == 200 { 40_000 } else { next(40) };
            let (mut lines_so_far, mut counted) = (1, 0);
            for i in 0..count {
                if i > 0 {
                    text.push_str(spaces[next(spaces.len())]);
                    text.push(',');
                }
                text.push_str(spaces[next(spaces.len())]);
                expected.push(lines_so_far + text[counted..].matches('\n').count() as u64);
                lines_so_far = *expected.last().unwrap_or(&1);
                counted = text.len();
                let value = if next(4) == 0 {
                    "12".to_string()
                } else {
                    format!("\"{i}\"")
                };
                let mut ws = || spaces[next(spaces.len())];
                text.push_str(&format!(
                    "{{{}\"dataElement\"{}:{}\"D\",{}\"value\":{}{value}{}}}",
                    ws(),
                    ws(),
                    ws(),
                    ws(),
                    ws(),
                    ws()
                ));
            }
            text.push_str("]}\n");
            for capacity in [7, 64, 1 << 20] {
                let mut reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
                let mut lines = Lines::default();
                super::read(&mut reader, "t.json", &Header::default(), &mut lines).expect("read");
                let wrong = lines.0.iter().zip(&expected).position(|(a, b)| a != b);
                assert!(
                    lines.0.len() == expected.len() && wrong.is_none(),
                    "value {wrong:?} of {} on the wrong line in {:?}",
                    expected.len(),
                    &text[..text.len().min(2000)]
                );
            }
        }
    }
}
