//! The JSON dataValueSet writer: payload id schemes, then `dataValues`, one value per line,
//! every field a string; COC/AOC only when not default, no followup/created/lastUpdated.

use std::io::{self, Write};

use super::{DataValueWriter, OutputValue, Schemes, json_escape};
use crate::preflight::DataSetId;

pub struct Writer<'w> {
    out: &'w mut dyn Write,
    first: bool,
}

impl<'w> Writer<'w> {
    pub fn new(
        out: &'w mut dyn Write,
        schemes: &Schemes,
        data_set: Option<&DataSetId>,
    ) -> io::Result<Self> {
        out.write_all(b"{")?;
        if let Some(ds) = data_set {
            out.write_all(b"\"dataSet\":\"")?;
            json_escape(out, &ds.id)?;
            write!(out, "\",\"dataSetIdScheme\":\"{}\",", ds.scheme)?;
        }
        for (key, scheme) in [
            ("dataElementIdScheme", &schemes.data_element),
            (
                "categoryOptionComboIdScheme",
                &schemes.category_option_combo,
            ),
            (
                "attributeOptionComboIdScheme",
                &schemes.attribute_option_combo,
            ),
            ("orgUnitIdScheme", &schemes.org_unit),
        ] {
            write!(out, "\"{key}\":\"")?;
            json_escape(out, scheme)?;
            out.write_all(b"\",")?;
        }
        out.write_all(b"\"dataValues\":[")?;
        Ok(Writer { out, first: true })
    }

    fn field(&mut self, key: &str, value: &str) -> io::Result<()> {
        self.out.write_all(b",\"")?;
        self.out.write_all(key.as_bytes())?;
        self.out.write_all(b"\":\"")?;
        json_escape(self.out, value)?;
        self.out.write_all(b"\"")
    }
}

impl DataValueWriter for Writer<'_> {
    fn value(&mut self, v: &OutputValue) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n{" } else { b",\n{" })?;
        self.first = false;
        self.out.write_all(b"\"dataElement\":\"")?;
        json_escape(self.out, v.data_element)?;
        self.out.write_all(b"\"")?;
        self.field("period", v.period)?;
        self.field("orgUnit", v.org_unit)?;
        if !v.category_option_combo.is_empty() {
            self.field("categoryOptionCombo", v.category_option_combo)?;
        }
        if !v.attribute_option_combo.is_empty() {
            self.field("attributeOptionCombo", v.attribute_option_combo)?;
        }
        self.field("value", v.value)?;
        if let Some(c) = v.comment {
            self.field("comment", c)?;
        }
        if v.deleted {
            self.out.write_all(b",\"deleted\":true")?;
        }
        self.out.write_all(b"}")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n]}\n")
    }
}
