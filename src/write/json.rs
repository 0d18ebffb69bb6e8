//! The JSON dataValueSet writer: payload id schemes, then `dataValues`, one value per line,
//! every field a string; COC/AOC only when not default, no created/lastUpdated; follow-up only
//! when carried over (`--keep-hmis-comments`).

use std::io::{self, Write};

use super::{Buffer, DataValueWriter, OutputValue, Schemes, json_escape};
use crate::ids::DataSetId;

pub struct Writer<'w> {
    out: Buffer<'w>,
    first: bool,
    close: bool,
}

/// The document's opening: the payload keys, then `"dataValues":[`.
pub fn opening(
    out: &mut dyn Write,
    schemes: &Schemes,
    data_set: Option<&DataSetId>,
) -> io::Result<()> {
    out.write_all(b"{")?;
    for (key, value) in schemes.payload(data_set) {
        // `"key":"value",`
        write!(out, "\"{key}\":\"")?;
        json_escape(out, &value)?;
        out.write_all(b"\",")?;
    }
    out.write_all(b"\"dataValues\":[")
}

impl<'w> Writer<'w> {
    /// A writer of values; `first` when they are the document's first, `close` to end the
    /// document when finished.
    pub fn new(out: &'w mut dyn Write, first: bool, close: bool) -> Self {
        Writer {
            out: Buffer::new(out),
            first,
            close,
        }
    }

    fn field(&mut self, key: &str, value: &str) -> io::Result<()> {
        self.out.write_all(b",\"")?;
        self.out.write_all(key.as_bytes())?;
        self.out.write_all(b"\":\"")?;
        json_escape(&mut self.out, value)?;
        self.out.write_all(b"\"")
    }
}

impl DataValueWriter for Writer<'_> {
    fn value(&mut self, v: &OutputValue) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n{" } else { b",\n{" })?;
        self.first = false;
        self.out.write_all(b"\"dataElement\":\"")?;
        json_escape(&mut self.out, v.data_element)?;
        self.out.write_all(b"\"")?;
        self.field("period", v.period)?;
        self.field("orgUnit", v.org_unit)?;
        if !v.category_option_combo.is_empty() {
            self.field("categoryOptionCombo", v.category_option_combo)?;
        }
        if !v.attribute_option_combo.is_empty() {
            self.field("attributeOptionCombo", v.attribute_option_combo)?;
        }
        // A deletion read without a value is written without one.
        if !(v.deleted && v.value.is_empty()) {
            self.field("value", v.value)?;
        }
        if let Some(c) = v.comment {
            self.field("comment", c)?;
        }
        // ≤ 2.42 reads `followup` (Jackson, unknown keys ignored), 2.43 `followUp`
        // (`DataEntryInput.fromJson`): both are written.
        if v.followup {
            self.out
                .write_all(b",\"followup\":true,\"followUp\":true")?;
        }
        if v.deleted {
            self.out.write_all(b",\"deleted\":true")?;
        }
        self.out.write_all(b"}")?;
        self.out.spill_if_full()
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.close {
            self.out.write_all(b"\n]}\n")?;
        }
        self.out.flush()
    }
}
