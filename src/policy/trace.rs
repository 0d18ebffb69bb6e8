//! `--trace FILE.csv`: the chain of custody of every value written. One row per written value
//! and per deletion, in the order of the output files and, within a file, of DHIS2's value
//! indexes (0-based, as its import conflicts number them), with where the value came from: the
//! source item and combos as exported, the input file and place, and the mapping cell of the
//! row that mapped it. A key that received several values lists every source (one row each,
//! same index), with the value each source gave. `pi2de reconcile` reads the file back.

use std::io::{self, Write};

use super::Entries;
use super::split::Group;
use crate::convert::Converted;
use crate::convert::store::{Contribution, NO_ROW};
use crate::mapping::{Col, Mapping};

/// The columns, in order (`pi2de reconcile` finds them by name).
pub const HEADER: [&str; 18] = [
    "file",
    "index",
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
    "value",
    "deleted",
    "source",
    "sourceCategoryOptionCombo",
    "sourceAttributeOptionCombo",
    "sourceOrgUnit",
    "sourceValue",
    "input",
    "line",
    "valueNumber",
    "mappingCell",
];

/// What the rows name besides the conversion: the files read and the mapping.
pub struct Sources<'a> {
    pub inputs: &'a [String],
    pub previous: &'a [String],
    pub mapping: Option<&'a Mapping>,
}

/// Writes the trace as CSV: a UTF-8 byte-order mark (so that Excel reads it as UTF-8), the
/// header, then the rows of each file.
pub struct Trace<'w> {
    out: &'w mut dyn Write,
}

impl<'w> Trace<'w> {
    pub fn new(out: &'w mut dyn Write) -> io::Result<Self> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut t = Trace { out };
        t.row(&HEADER)?;
        Ok(t)
    }

    /// The rows of one output file.
    pub fn file(&mut self, file: &str, group: &Group, e: Entries, src: &Sources) -> io::Result<()> {
        let c = e.converted;
        let mut index = 0u64;
        for &i in group.slots() {
            let slot = c.slot(i as usize);
            let v = c.output_value(slot, None);
            let target = [
                v.data_element,
                v.period,
                v.org_unit,
                v.category_option_combo,
                v.attribute_option_combo,
                v.value,
                if v.deleted { "true" } else { "false" },
            ];
            for contribution in slot.contributions() {
                let from = self.from(c, contribution, src);
                let number = index.to_string();
                let mut row = vec![file, &number];
                row.extend(target);
                row.extend(from.iter().map(String::as_str));
                self.row(&row)?;
            }
            index += 1;
        }
        for &i in group.filled() {
            let z = &e.zeros[i as usize];
            let number = index.to_string();
            let cell = cell(src.mapping, z.row);
            self.row(&[
                file,
                &number,
                &z.data_element,
                &z.period,
                &z.org_unit,
                &z.category_option_combo,
                &z.attribute_option_combo,
                "0",
                "false",
                "(zero-fill)",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                &cell,
            ])?;
            index += 1;
        }
        for &i in group.found() {
            let d = &e.deletions[i as usize];
            let p = &d.previous;
            let input = src
                .previous
                .get(p.input as usize)
                .map_or("", String::as_str);
            let (line, value_number) = place(&p.place);
            let cell = cell(src.mapping, d.row);
            let number = index.to_string();
            self.row(&[
                file,
                &number,
                &p.data_element,
                &p.period,
                &p.org_unit,
                &p.category_option_combo,
                &p.attribute_option_combo,
                &p.value,
                "true",
                "",
                "",
                "",
                "",
                &p.value,
                input,
                &line,
                &value_number,
                &cell,
            ])?;
            index += 1;
        }
        Ok(())
    }

    /// The source columns of one contribution.
    fn from(&self, c: &Converted, k: &Contribution, src: &Sources) -> [String; 9] {
        let (line, number) = place(&crate::model::Place {
            record: u64::from(k.record),
            line: (k.line > 0).then_some(u64::from(k.line)),
        });
        let text = |id| c.text(id).to_string();
        [
            text(k.source.data_element),
            text(k.source.category_option_combo),
            text(k.source.attribute_option_combo),
            text(k.source.org_unit),
            c.contribution_text(k).to_string(),
            src.inputs
                .get(k.input as usize)
                .cloned()
                .unwrap_or_default(),
            line,
            number,
            cell(
                src.mapping,
                if k.row == NO_ROW {
                    usize::MAX
                } else {
                    k.row as usize
                },
            ),
        ]
    }

    fn row(&mut self, fields: &[&str]) -> io::Result<()> {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            if f.contains([',', '"', '\n', '\r']) {
                write!(self.out, "\"{}\"", f.replace('"', "\"\""))?;
            } else {
                self.out.write_all(f.as_bytes())?;
            }
        }
        self.out.write_all(b"\n")
    }
}

/// The line (blank when the format has none) and the value number.
fn place(p: &crate::model::Place) -> (String, String) {
    (
        p.line.map_or(String::new(), |l| l.to_string()),
        p.record.to_string(),
    )
}

/// The mapping cell of a row's source (`mapping!A5`), blank without one.
fn cell(mapping: Option<&Mapping>, row: usize) -> String {
    mapping
        .and_then(|m| m.rows.get(row).map(|r| m.cell(Col::Source, r.row)))
        .unwrap_or_default()
}
