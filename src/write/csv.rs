//! The CSV dataValueSet writer: the 11-column import header both DHIS2 generations accept
//! (dhis2-formats §2.4), LF line ends, no BOM, a field quoted only when it holds a comma.

use std::io::{self, Write};

use super::{Buffer, DataValueWriter, OutputValue};

pub const HEADER: &str = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup,deleted";

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
        if s.contains([',', '"', '\n', '\r']) {
            self.out.write_all(b"\"")?;
            self.out.write_all(s.replace('"', "\"\"").as_bytes())?;
            self.out.write_all(b"\"")
        } else {
            self.out.write_all(s.as_bytes())
        }
    }
}

impl DataValueWriter for Writer<'_> {
    fn value(&mut self, v: &OutputValue) -> io::Result<()> {
        for (i, f) in [
            v.data_element,
            v.period,
            v.org_unit,
            v.category_option_combo,
            v.attribute_option_combo,
            v.value,
        ]
        .into_iter()
        .enumerate()
        {
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
