//! The XML reader: `<dataValueSet>` with `<dataValue …/>` attributes, matched by local name so
//! any namespace or prefix works. Streamed event by event; entities other than XML's five
//! predefined ones are never expanded.

use std::borrow::Cow;
use std::io::BufRead;

use anyhow::{Result, bail};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::{At, ReadOutcome, Sink, error_at, is_true, newlines};
use crate::model::{DataValue, Header, Place};

/// Streams the data values of a DXF2 XML dataValueSet into `sink`.
pub fn read(reader: &mut dyn BufRead, path: &str, sink: &mut dyn Sink) -> Result<ReadOutcome> {
    let mut xml = quick_xml::Reader::from_reader(Lines {
        inner: reader,
        newlines: 0,
    });
    let mut buf = Vec::with_capacity(4096);
    let mut header = Header::default();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut values = 0u64;
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| at(path, xml.error_position(), &format!("invalid XML: {e}")))?;
        let position = xml.buffer_position();
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = e.local_name();
                let name = local.as_ref();
                if !root_seen {
                    root_seen = true;
                    if name != "dataValueSet" {
                        let hint = if name == "adx" {
                            " (ADX files are not read yet: export the dataValueSet as JSON or CSV)"
                        } else {
                            ""
                        };
                        return Err(at(
                            path,
                            position,
                            &format!("the root element is <{name}>, not <dataValueSet>{hint}"),
                        ));
                    }
                    for (key, value) in attributes(e, path, position)? {
                        header.set(&key, value.into_owned());
                    }
                } else if name == "dataValue" {
                    values += 1;
                    // The reader has consumed the element: its first line is the lines read
                    // less those inside it.
                    let inside = newlines(e[..].as_bytes());
                    let line = 1 + xml.get_ref().newlines - inside;
                    let place = Place {
                        record: values,
                        line: Some(line),
                    };
                    emit(e, &header, place, path, position, sink)?;
                }
                if !empty {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        bail!("{path}: no <dataValueSet> element: the file is empty or not a dataValueSet export");
    }
    if depth > 0 {
        return Err(at(
            path,
            xml.buffer_position(),
            "the file ends before </dataValueSet> (is it truncated?)",
        ));
    }
    Ok(ReadOutcome {
        header,
        values,
        late_defaults: false,
    })
}

/// The input, counting the line ends consumed.
struct Lines<'r> {
    inner: &'r mut dyn BufRead,
    newlines: u64,
}

impl std::io::Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += newlines(&buf[..n]);
        Ok(n)
    }
}

impl BufRead for Lines<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            self.newlines += newlines(&buf[..amt]);
        }
        self.inner.consume(amt);
    }
}

fn emit(
    e: &BytesStart,
    header: &Header,
    place: Place,
    path: &str,
    position: u64,
    sink: &mut dyn Sink,
) -> Result<()> {
    let mut v = DataValue {
        place,
        ..Default::default()
    };
    let name = e.name().as_ref().len();
    let fields = match e.get(name..).and_then(plain_attributes) {
        Some(plain) => plain.map(|f| f.map(Cow::Borrowed)),
        None => decoded_attributes(e, path, position)?,
    };
    let f = |i: usize| fields[i].as_deref().unwrap_or("");
    v.data_element = f(0);
    v.period = f(1);
    v.org_unit = f(2);
    v.category_option_combo = f(3);
    v.attribute_option_combo = f(4);
    v.value = fields[5].as_deref();
    v.deleted = fields[6].as_deref().is_some_and(is_true);
    v.audit = crate::model::Audit::from_fields(
        [7, 8, 9, 10].map(|i| fields[i].as_deref().filter(|s| !s.is_empty())),
    );
    header.apply(&mut v);
    sink.data_value(v)
}

/// The attributes pi2de reads, by slot.
type Fields<'a> = [Option<Cow<'a, str>>; 11];

/// The slot of an attribute pi2de reads, by its local name, and a bit of its own (`followup`
/// and `followUp` share a slot, the later one read winning, as on the decoding path).
fn slot(local_name: &str) -> Option<(usize, u16)> {
    Some(match local_name {
        "dataElement" => (0, 1),
        "period" => (1, 1 << 1),
        "orgUnit" => (2, 1 << 2),
        "categoryOptionCombo" => (3, 1 << 3),
        "attributeOptionCombo" => (4, 1 << 4),
        "value" => (5, 1 << 5),
        "deleted" => (6, 1 << 6),
        "comment" => (7, 1 << 7),
        "followup" => (8, 1 << 8),
        "followUp" => (8, 1 << 11),
        "storedBy" => (9, 1 << 9),
        "lastUpdated" => (10, 1 << 10),
        _ => return None,
    })
}

/// The fast path for what follows an element's name: attributes written plainly
/// (`name="value"` or `name='value'`, one space or more between them; no prefix; no entity,
/// `<`, tab or line end in a value, which XML would normalise), each named once. Their values
/// are then exactly what decoding gives. `None` sends the element to quick-xml's attribute
/// reader (and its errors).
fn plain_attributes(text: &str) -> Option<[Option<&str>; 11]> {
    let b = text.as_bytes();
    let mut out: [Option<&str>; 11] = [None; 11];
    let (mut seen, mut others, mut i) = (0u16, [""; 4], 0);
    let mut other = 0;
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    loop {
        let start = i;
        while b.get(i).is_some_and(|&c| space(c)) {
            i += 1;
        }
        if i == b.len() {
            return Some(out);
        }
        if i == start {
            return None; // no white space before an attribute
        }
        let name = i;
        i += b[i..]
            .iter()
            .position(|&c| c == b'=' || c == b':' || space(c) || b"\"'<>&/".contains(&c))?;
        if b[i] != b'=' || i == name {
            return None;
        }
        let quote = *b.get(i + 1)?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let (key, from) = (&text[name..i], i + 2);
        let len = b[from..]
            .iter()
            .position(|&c| c == quote || b"&<\t\n\r".contains(&c))?;
        if b[from + len] != quote {
            return None;
        }
        let value = &text[from..from + len];
        i = from + len + 1;
        match slot(key) {
            Some((_, bit)) if seen & bit != 0 => return None,
            Some((k, bit)) => {
                seen |= bit;
                out[k] = Some(value);
            }
            // Another attribute: remembered to refuse it named twice, up to a few.
            None if others[..other].contains(&key) || other == others.len() => return None,
            None => {
                others[other] = key;
                other += 1;
            }
        }
    }
}

/// The attributes pi2de reads, decoded by quick-xml: names matched by local name, values
/// normalised (entities expanded, white space characters turned into spaces).
fn decoded_attributes<'e>(e: &'e BytesStart, path: &str, position: u64) -> Result<Fields<'e>> {
    let mut fields: Fields = Default::default();
    for attr in e.attributes() {
        let attr =
            attr.map_err(|err| at(path, position, &format!("invalid XML attribute: {err}")))?;
        let Some((slot, _)) = slot(attr.key.local_name().as_ref()) else {
            continue;
        };
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| {
                at(
                    path,
                    position,
                    &format!("attribute `{}`: {err}", attr.key.local_name().as_ref()),
                )
            })?;
        fields[slot] = Some(value);
    }
    Ok(fields)
}

fn attributes<'e>(
    e: &'e BytesStart,
    path: &str,
    position: u64,
) -> Result<Vec<(String, Cow<'e, str>)>> {
    let mut out = Vec::with_capacity(8);
    for attr in e.attributes() {
        let attr =
            attr.map_err(|err| at(path, position, &format!("invalid XML attribute: {err}")))?;
        let key = attr.key.local_name().as_ref().to_string();
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| at(path, position, &format!("attribute `{key}`: {err}")))?;
        out.push((key, value));
    }
    Ok(out)
}

/// An error naming the file and, where the input can be read again, the line and column.
fn at(path: &str, offset: u64, what: &str) -> anyhow::Error {
    error_at(path, At::Byte(offset), what)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields an attribute path gives, as owned text.
    type Texts = Vec<Option<String>>;

    /// Both attribute paths on one `<dataValue …/>` element: `Some(fast)` when the fast path
    /// takes it, with what decoding gives.
    fn both(element: &str) -> (Option<Texts>, Result<Texts, String>) {
        let mut reader = quick_xml::Reader::from_str(element);
        let e = match reader.read_event() {
            Ok(Event::Empty(e)) => e,
            other => panic!("{element}: {other:?}"),
        };
        let owned = |f: &[Option<&str>]| f.iter().map(|x| x.map(str::to_string)).collect();
        let name = e.name().as_ref().len();
        let fast = e.get(name..).and_then(plain_attributes).map(|f| owned(&f));
        let decoded = decoded_attributes(&e, "t.xml", 0)
            .map(|f| owned(&f.iter().map(|x| x.as_deref()).collect::<Vec<_>>()))
            .map_err(|e| e.to_string());
        (fast, decoded)
    }

    #[test]
    fn the_fast_path_gives_what_decoding_gives_on_generated_elements() {
        let mut next = crate::fuzzing::xorshift(0x51_7cc1_b727_220a);
        let names = [
            "dataElement",
            "period",
            "orgUnit",
            "categoryOptionCombo",
            "value",
            "deleted",
            "comment",
            "followup",
            "followUp",
            "storedBy",
            "lastUpdated",
            "created",
            "x:value",
            "d:orgUnit",
            "attributeOptionCombo",
        ];
        let values = [
            "Pi0001",
            "202401",
            "12.0",
            "",
            "été €",
            "a&amp;b",
            "a\tb",
            "line\nend",
            "1 > 0",
            "x&lt;y",
            "it's",
            "say \"hi\"",
            "  padded  ",
        ];
        let (mut fast_taken, mut rounds) = (0, 0);
        for _ in 0..5_000 {
            let mut element = String::from("<dataValue");
            for _ in 0..next(8) {
                let (name, value) = (names[next(names.len())], values[next(values.len())]);
                let quote = if value.contains('"') || next(4) == 0 {
                    '\''
                } else {
                    '"'
                };
                if value.contains(quote) {
                    continue;
                }
                let space = [" ", "  ", "\n  ", "\t"][next(4)];
                element.push_str(&format!("{space}{name}={quote}{value}{quote}"));
            }
            element.push_str("/>");
            rounds += 1;
            if let (Some(fast), decoded) = both(&element) {
                fast_taken += 1;
                assert_eq!(Ok(fast), decoded, "{element}");
            }
        }
        assert!(
            fast_taken * 5 > rounds,
            "the fast path is taken often: {fast_taken} of {rounds}"
        );
        // What it leaves to decoding: entities, white space to normalise, prefixes, names
        // given twice, attributes run together.
        for element in [
            r#"<dataValue value="a&amp;b"/>"#,
            "<dataValue value=\"a\tb\"/>",
            r#"<dataValue x:value="1"/>"#,
            r#"<dataValue value="1" value="2"/>"#,
            r#"<dataValue created="1" created="2"/>"#,
            r#"<dataValue period="1"value="2"/>"#,
        ] {
            assert_eq!(both(element).0, None, "{element}");
        }
        let (fast, _) = both(r#"<dataValue followup="true" followUp="false" value='1'/>"#);
        let fast = fast.expect("plain");
        assert_eq!(
            (fast[8].as_deref(), fast[5].as_deref()),
            (Some("false"), Some("1"))
        );
    }
}
