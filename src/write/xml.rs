//! The DXF2 XML dataValueSet writer: `<dataValueSet xmlns=… id schemes…>` with one
//! `<dataValue …/>` per value, every attribute escaped.

use std::io::{self, Write};

use super::{Buffer, DataValueWriter, OutputValue, Schemes};
use crate::ids::DataSetId;

pub struct Writer<'w> {
    out: Buffer<'w>,
    close: bool,
}

/// Whether XML 1.0 forbids `c` anywhere in a document (its `Char` production: tab, line feed,
/// carriage return, U+0020–U+D7FF, U+E000–U+FFFD, U+10000 and above are allowed).
pub fn forbidden(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes `s` for a double-quoted XML attribute; refuses what XML 1.0 cannot carry at all
/// (no escape makes `&#1;` or U+FFFE well-formed), naming the character. The converter leaves
/// out values holding them first; this is the last guard, for every text the writer gets.
fn escape<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    if let Some(c) = s.chars().find(|&c| forbidden(c)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "`{}` holds U+{:04X}, which XML 1.0 forbids; write JSON or CSV, or remove it",
                s.escape_debug(),
                u32::from(c)
            ),
        ));
    }
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|&b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\t' | b'\n' | b'\r'))
    {
        return out.write_all(bytes);
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&apos;",
            b'\t' => b"&#9;",
            b'\n' => b"&#10;",
            b'\r' => b"&#13;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(escaped)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// The document's opening: the declaration and `<dataValueSet …>` with the payload keys.
pub fn opening(
    out: &mut dyn Write,
    schemes: &Schemes,
    data_set: Option<&DataSetId>,
) -> io::Result<()> {
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    out.write_all(b"<dataValueSet xmlns=\"http://dhis2.org/schema/dxf/2.0\"")?;
    for (name, value) in schemes.payload(data_set) {
        attribute(out, name, &value)?;
    }
    out.write_all(b">\n")
}

/// ` name="value"`, the value escaped.
fn attribute<W: Write + ?Sized>(out: &mut W, name: &str, value: &str) -> io::Result<()> {
    out.write_all(b" ")?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"=\"")?;
    escape(out, value)?;
    out.write_all(b"\"")
}

impl<'w> Writer<'w> {
    /// A writer of values; `close` to end the document when finished.
    pub fn new(out: &'w mut dyn Write, close: bool) -> Self {
        Writer {
            out: Buffer::new(out),
            close,
        }
    }

    fn attribute(&mut self, name: &str, value: &str) -> io::Result<()> {
        attribute(&mut self.out, name, value)
    }
}

impl DataValueWriter for Writer<'_> {
    fn value(&mut self, v: &OutputValue) -> io::Result<()> {
        self.out.write_all(b"  <dataValue")?;
        self.attribute("dataElement", v.data_element)?;
        self.attribute("period", v.period)?;
        self.attribute("orgUnit", v.org_unit)?;
        if !v.category_option_combo.is_empty() {
            self.attribute("categoryOptionCombo", v.category_option_combo)?;
        }
        if !v.attribute_option_combo.is_empty() {
            self.attribute("attributeOptionCombo", v.attribute_option_combo)?;
        }
        // A deletion read without a value is written without one.
        if !(v.deleted && v.value.is_empty()) {
            self.attribute("value", v.value)?;
        }
        if let Some(c) = v.comment {
            self.attribute("comment", c)?;
        }
        // Both importers read `followUp` (≤ 2.42 XmlDataValueSetReader, 2.43 fromXml).
        if v.followup {
            self.attribute("followUp", "true")?;
        }
        if v.deleted {
            self.attribute("deleted", "true")?;
        }
        self.out.write_all(b"/>\n")?;
        self.out.spill_if_full()
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.close {
            self.out.write_all(b"</dataValueSet>\n")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_escaping() {
        let mut out = Vec::new();
        escape(&mut out, "a&b<c>\"d'\n").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a&amp;b&lt;c&gt;&quot;d&apos;&#10;"
        );
        for bad in ["a\u{fffe}", "\u{ffff}", "x\u{1}", "\u{0}"] {
            let err = escape(&mut Vec::new(), bad).unwrap_err();
            assert!(err.to_string().contains("XML 1.0 forbids"), "{err}");
        }
        assert!(escape(&mut Vec::new(), "\u{10000}\u{d7ff}\u{e000}\u{fffd}").is_ok());
    }
}
