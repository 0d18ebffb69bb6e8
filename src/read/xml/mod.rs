//! The XML reader: `<dataValueSet>` with `<dataValue …/>` attributes, matched by local name so
//! any namespace or prefix works. Streamed event by event by quick-xml, but for the plainly
//! written `<dataValue …/>` elements DHIS2 writes, framed here straight from the read buffer
//! ([`plain`]); entities other than XML's five predefined ones are never expanded.

use std::borrow::Cow;
use std::io::BufRead;

use anyhow::{Result, bail};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::{At, ReadOutcome, Sink, error_at, is_true, newlines};
use crate::model::{DataValue, Header, Place};
use plain::Plain;

mod plain;

/// Streams the data values of a DXF2 XML dataValueSet into `sink`.
pub fn read(reader: &mut dyn BufRead, path: &str, sink: &mut dyn Sink) -> Result<ReadOutcome> {
    read_framing(reader, path, sink, true).map(|(outcome, _)| outcome)
}

/// [`read`], with plainly written `<dataValue …/>` elements framed here from the read buffer
/// ([`plain::element`]) or, without `frame`, every element by quick-xml; and the bytes framed
/// here. Both give the same values, places and errors.
fn read_framing(
    reader: &mut dyn BufRead,
    path: &str,
    sink: &mut dyn Sink,
    frame: bool,
) -> Result<(ReadOutcome, u64)> {
    let mut xml = quick_xml::Reader::from_reader(Lines {
        inner: reader,
        newlines: 0,
        pending: None,
    });
    let mut buf = Vec::with_capacity(4096);
    let mut header = Header::default();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut values = 0u64;
    // The bytes framed here, which quick-xml's offsets do not count.
    let mut framed = 0u64;
    loop {
        let began = framed + xml.buffer_position();
        let event = xml.read_event_into(&mut buf).map_err(|e| {
            let offset = error_offset(&e, framed + xml.error_position(), began);
            at(path, offset, &format!("invalid XML: {e}"))
        })?;
        let position = framed + xml.buffer_position();
        // After markup quick-xml reads text: what comes next may be framed here.
        let markup = matches!(event, Event::Start(_) | Event::Empty(_) | Event::End(_));
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
        if frame && markup && depth > 0 {
            framed += plain_run(&mut xml, &header, &mut values, sink)?;
        }
    }
    if !root_seen {
        bail!("{path}: no <dataValueSet> element: the file is empty or not a dataValueSet export");
    }
    if depth > 0 {
        return Err(at(
            path,
            framed + xml.buffer_position(),
            "the file ends before </dataValueSet> (is it truncated?)",
        ));
    }
    let outcome = ReadOutcome {
        header,
        values,
        late_defaults: false,
    };
    Ok((outcome, framed))
}

/// Where quick-xml's error `e` is: where quick-xml places it (a syntax error, XML that is not
/// well-formed), else where the event it was reading `began`: to the byte, for text that is
/// not UTF-8 (the event's bytes, after a markup's `<`, are those it checks).
fn error_offset(e: &quick_xml::Error, placed: u64, began: u64) -> u64 {
    use quick_xml::Error;
    use quick_xml::encoding::EncodingError;
    match e {
        Error::Syntax(_) | Error::IllFormed(_) => placed,
        Error::Encoding(EncodingError::Utf8(u)) => began + u.valid_up_to() as u64,
        _ => began,
    }
}

/// The plainly written `<dataValue …/>` elements that follow, while each is whole in the read
/// buffer, passed on straight from it: the bytes they take (with the white space before each).
fn plain_run(
    xml: &mut quick_xml::Reader<Lines>,
    header: &Header,
    values: &mut u64,
    sink: &mut dyn Sink,
) -> Result<u64> {
    let mut taken = 0u64;
    loop {
        let input = xml.get_mut();
        let lines = input.newlines;
        let buf = match input.inner.fill_buf() {
            Ok(buf) => buf,
            // quick-xml meets the error where it would have: on its next read.
            Err(e) => {
                input.pending = Some(e);
                return Ok(taken);
            }
        };
        let Some(framed) = plain::element(buf) else {
            return Ok(taken);
        };
        *values += 1;
        let place = Place {
            record: *values,
            line: Some(1 + lines + framed.newlines_before),
        };
        let (len, newlines) = (framed.len, framed.newlines);
        send(framed.fields, header, place, sink)?;
        // Its line ends are known: consumed past `Lines::consume`, which would count them.
        input.inner.consume(len);
        input.newlines += newlines;
        taken += len as u64;
    }
}

/// The input, counting the line ends consumed; an error met by [`plain_run`] is returned by
/// the next read.
struct Lines<'r> {
    inner: &'r mut dyn BufRead,
    newlines: u64,
    pending: Option<std::io::Error>,
}

impl std::io::Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let n = self.inner.read(buf)?;
        self.newlines += newlines(&buf[..n]);
        Ok(n)
    }
}

impl BufRead for Lines<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
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

/// One `<dataValue>` element quick-xml read, passed on.
fn emit(
    e: &BytesStart,
    header: &Header,
    place: Place,
    path: &str,
    position: u64,
    sink: &mut dyn Sink,
) -> Result<()> {
    let name = e.name().as_ref().len();
    if let Some(plain) = e.get(name..).and_then(plain::attributes) {
        return send(plain, header, place, sink);
    }
    let fields = decoded_attributes(e, path, position)?;
    send(fields.each_ref().map(|f| f.as_deref()), header, place, sink)
}

/// A value's attributes passed on as a data value, with the payload's defaults.
fn send(fields: Plain<'_>, header: &Header, place: Place, sink: &mut dyn Sink) -> Result<()> {
    let f = |i: usize| fields[i].unwrap_or("");
    let mut v = DataValue {
        data_element: f(0),
        period: f(1),
        org_unit: f(2),
        category_option_combo: f(3),
        attribute_option_combo: f(4),
        value: fields[5],
        deleted: fields[6].is_some_and(is_true),
        audit: crate::model::Audit::from_fields(
            [7, 8, 9, 10].map(|i| fields[i].filter(|s| !s.is_empty())),
        ),
        place,
    };
    header.apply(&mut v);
    sink.data_value(v)
}

/// The attributes pi2de reads, by slot.
type Fields<'a> = [Option<Cow<'a, str>>; 11];

/// The attributes pi2de reads, decoded by quick-xml: names matched by local name, values
/// normalised (entities expanded, white space characters turned into spaces).
fn decoded_attributes<'e>(e: &'e BytesStart, path: &str, position: u64) -> Result<Fields<'e>> {
    let mut fields: Fields = Default::default();
    for attr in e.attributes() {
        let attr =
            attr.map_err(|err| at(path, position, &format!("invalid XML attribute: {err}")))?;
        let Some((slot, _)) = plain::slot(attr.key.local_name().as_ref().as_bytes()) else {
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
    use std::io::BufReader;

    use super::*;

    /// Every value as read (fields and place), in order.
    #[derive(Default)]
    struct Values(Vec<String>);

    impl Sink for Values {
        fn begin_input(&mut self, _: usize, _: &str) {}
        fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
            self.0.push(format!("{v:?}"));
            Ok(())
        }
    }

    /// The bytes of a document, then a read error after `fails_at` of them, then its end.
    struct Failing<'d> {
        doc: &'d [u8],
        fails_at: usize,
    }

    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.fails_at == 0 {
                // Once: a read after it finds the end, as if the error had been missed.
                self.doc = &[];
                self.fails_at = usize::MAX;
                return Err(std::io::Error::other("the disk went away"));
            }
            let n = buf.len().min(self.fails_at).min(self.doc.len());
            buf[..n].copy_from_slice(&self.doc[..n]);
            (self.doc, self.fails_at) = (&self.doc[n..], self.fails_at - n);
            Ok(n)
        }
    }

    /// What a read gives: the values, then the outcome or the error; and the bytes framed here.
    fn read_with(
        doc: &[u8],
        fails_at: usize,
        buffer: usize,
        frame: bool,
    ) -> (Vec<String>, String, u64) {
        let mut input = BufReader::with_capacity(buffer, Failing { doc, fails_at });
        let mut values = Values::default();
        let (end, framed) = match read_framing(&mut input, "t.xml", &mut values, frame) {
            Ok((o, framed)) => (format!("{} values, {:?}", o.values, o.header), framed),
            Err(e) => (format!("{e:#}"), 0),
        };
        (values.0, end, framed)
    }

    #[test]
    fn elements_framed_here_read_as_quick_xml_reads_them() {
        let mut next = crate::fuzzing::xorshift(0x2e6f_93a1_0c44_d5b7);
        let pieces = [
            r#"<dataValue dataElement="Pi1" period="202401" orgUnit="Ou1" value="12.0"/>"#,
            r#"<dataValue dataElement='Pi2'  value="été" comment="1 > 0" followup="false" />"#,
            "<dataValue\n  dataElement=\"Pi3\"\r\n  value=\"4\"/>",
            r#"<dataValue value="a&amp;b"/>"#,
            r#"<dataValue value="1"></dataValue>"#,
            r#"<d:dataValue xmlns:d="x" value="5"/>"#,
            r#"<dataValue value="1" value="2"/>"#,
            r#"<dataValue deleted="true" created="x" storedBy="me"/>"#,
            "<!-- <dataValue value=\"6\"/> -->",
            "<![CDATA[<dataValue value=\"7\"/>]]>",
            "<group><dataValue value=\"8\"/></group>",
            "text",
            "<dataValueX value=\"9\"/>",
            "<dataValue value=\"1\"/ >",
            "<dataValue value=\"\u{fffd}\"/>",
            "</dataValueSet><dataValue value=\"10\"/>",
            "<dataValue value=\"1\" <",
        ];
        let spaces = ["", " ", "\n", "\r\n  ", "\t", "\n\n"];
        let (mut framed_docs, mut errors) = (0, 0);
        for round in 0..3_000 {
            let mut doc = String::from("<?xml version=\"1.0\"?>\n<dataValueSet period=\"202402\">");
            for _ in 0..next(12) {
                doc.push_str(spaces[next(spaces.len())]);
                // Mostly plain values, as DHIS2 writes them.
                let piece = if next(8) == 0 {
                    next(pieces.len())
                } else {
                    next(3)
                };
                doc.push_str(pieces[piece]);
            }
            doc.push_str(spaces[next(spaces.len())]);
            doc.push_str("</dataValueSet>\n");
            let mut doc = doc.into_bytes();
            let mut fails_at = usize::MAX;
            match round % 5 {
                // The input fails part way.
                2 => fails_at = next(doc.len()),
                // Cut short anywhere, or a byte that is not UTF-8.
                0 => doc.truncate(next(doc.len())),
                1 => {
                    let at = next(doc.len());
                    doc[at] = 0xff;
                }
                _ => {}
            }
            let buffer = [8, 16, 64, 200, 4096][next(5)];
            let fast = read_with(&doc, fails_at, buffer, true);
            let plain = read_with(&doc, fails_at, buffer, false);
            let text = String::from_utf8_lossy(&doc);
            assert_eq!((&fast.0, &fast.1), (&plain.0, &plain.1), "{text}");
            framed_docs += usize::from(fast.2 > 0);
            errors += usize::from(fast.1.contains("t.xml"));
        }
        assert!(
            framed_docs > 300 && errors > 1_000,
            "framed here in {framed_docs} documents, {errors} errors"
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_placed_at_its_byte() {
        for (doc, at) in [
            (
                &b"<dataValueSet>\n  <dataValue value=\"a\xffb\"/>\n</dataValueSet>"[..],
                36,
            ),
            (b"<dataValueSet>\n  text \xff\n</dataValueSet>", 22),
            (b"<dataValueSet>\n<dataValue/><x\xff/></dataValueSet>", 29),
        ] {
            for frame in [true, false] {
                let (_, error, _) = read_with(doc, usize::MAX, 4096, frame);
                assert!(
                    error.starts_with(&format!("t.xml: byte {at}: invalid XML: cannot decode")),
                    "{error}"
                );
            }
        }
    }
}
