//! The XML reader: `<dataValueSet>` with `<dataValue …/>` attributes, matched by local name so
//! any namespace or prefix works. Streamed event by event; entities other than XML's five
//! predefined ones are never expanded.

use std::borrow::Cow;
use std::io::BufRead;

use anyhow::{Result, bail};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::{At, ReadOutcome, Sink, error_at, is_true};
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
                    let inside = memchr::memchr_iter(b'\n', e[..].as_bytes()).count() as u64;
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
        self.newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
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
            self.newlines += memchr::memchr_iter(b'\n', &buf[..amt]).count() as u64;
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
    // Only the attributes pi2de reads are decoded; names are matched in place.
    let mut fields: [Option<Cow<str>>; 11] = Default::default();
    for attr in e.attributes() {
        let attr =
            attr.map_err(|err| at(path, position, &format!("invalid XML attribute: {err}")))?;
        let slot = match attr.key.local_name().as_ref() {
            "dataElement" => 0,
            "period" => 1,
            "orgUnit" => 2,
            "categoryOptionCombo" => 3,
            "attributeOptionCombo" => 4,
            "value" => 5,
            "deleted" => 6,
            "comment" => 7,
            "followup" | "followUp" => 8,
            "storedBy" => 9,
            "lastUpdated" => 10,
            _ => continue,
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
