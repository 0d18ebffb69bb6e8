//! The CSV dataValueSet writer: the 11-column import header both DHIS2 generations read
//! (docs/dhis2-rules.md, "CSV"), LF line ends, no BOM, a field quoted only when it holds a comma
//! or starts or ends with white space.

use std::io::{self, Write};

use super::{Buffer, DataValueWriter, OutputValue};

/// ≤ 2.42 reads the columns by position (`CsvDataValueSetReader`); 2.43+ by name, and treats any
/// column it does not know as a category option unless the header holds `categoryOptionCombo`
/// spelt exactly so (dhis2-core 2.43 `CSV.java#isSkipAny`): hence camelCase.
pub const HEADER: &str = "dataElement,period,orgUnit,categoryOptionCombo,attributeOptionCombo,value,storedBy,lastUpdated,comment,followUp,deleted";

pub struct Writer<'w> {
    out: Buffer<'w>,
}

impl<'w> Writer<'w> {
    pub fn new(out: &'w mut dyn Write) -> io::Result<Self> {
        let mut w = Writer {
            out: Buffer::new(out),
        };
        w.out.write_all(HEADER.as_bytes())?;
        w.out.write_all(b"\n")?;
        Ok(w)
    }

    fn field(&mut self, s: &str) -> io::Result<()> {
        field(&mut self.out, s)
    }
}

/// Writes one CSV field, quoted only when it holds a comma, a quote or a line end, or starts or
/// ends with white space: both importers trim unquoted fields (Java's `trim`: every character
/// up to U+0020), a quoted field keeps its white space (2.43 `LineBuffer.split`). Every CSV
/// pi2de writes (outputs, traces, changes) quotes so.
pub fn field<W: Write + ?Sized>(out: &mut W, s: &str) -> io::Result<()> {
    let padded = |c: Option<char>| c.is_some_and(|c| c <= ' ');
    if s.contains([',', '"', '\n', '\r']) || padded(s.chars().next()) || padded(s.chars().last()) {
        out.write_all(b"\"")?;
        out.write_all(s.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    } else {
        out.write_all(s.as_bytes())
    }
}

impl DataValueWriter for Writer<'_> {
    fn value(&mut self, v: &OutputValue) -> io::Result<()> {
        for (i, f) in v.fields().into_iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            self.field(f)?;
        }
        // storedby, lastupdated: empty; comment; followup false; deleted.
        self.out.write_all(b",,,")?;
        self.field(v.comment.unwrap_or(""))?;
        self.out.write_all(if v.deleted {
            b",false,true\n"
        } else {
            b",false,false\n"
        })?;
        self.out.spill_if_full()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
