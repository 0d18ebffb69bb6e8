//! `--trace FILE.csv`: the chain of custody of every value written. One row per written value
//! and per deletion, in the order of the output files and, within a file, of DHIS2's value
//! indexes (0-based, as its import conflicts number them), with where the value came from: the
//! source item and combos as exported, the input file and place, and the mapping cell of the
//! row that mapped it. A key that received several values lists every source (one row each,
//! same index), with the value each source gave. `pi2de reconcile` reads the file back.

use std::io::{self, Write};

use super::Entries;
use super::split::Group;
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

/// The files the rows name: the inputs and the `--previous` outputs.
pub struct Sources<'a> {
    pub inputs: &'a [String],
    pub previous: &'a [String],
}

/// Writes the trace as CSV: a UTF-8 byte-order mark (so that Excel reads it as UTF-8), the
/// header, then the rows of each file. Rows are written field by field, without building them.
pub struct Trace<'w> {
    out: &'w mut dyn Write,
    /// The mapping cell of each mapping row's source (`mapping!A5`).
    cells: Vec<String>,
}

impl<'w> Trace<'w> {
    pub fn new(out: &'w mut dyn Write, mapping: Option<&Mapping>) -> io::Result<Self> {
        out.write_all("\u{feff}".as_bytes())?;
        let cells = mapping.map_or(Vec::new(), |m| {
            m.rows.iter().map(|r| m.cell(Col::Source, r.row)).collect()
        });
        let mut t = Trace { out, cells };
        for (i, h) in HEADER.iter().enumerate() {
            t.field(i > 0, h)?;
        }
        t.out.write_all(b"\n")?;
        Ok(t)
    }

    /// The rows of one output file.
    pub fn file(&mut self, file: &str, group: &Group, e: Entries, src: &Sources) -> io::Result<()> {
        let c = e.converted;
        let mut index = 0u64;
        for &i in group.slots() {
            let slot = c.slot(i as usize);
            let v = c.output_value(slot, None);
            let [de, pe, ou, coc, aoc, value] = v.fields();
            let target = [
                de,
                pe,
                ou,
                coc,
                aoc,
                value,
                if v.deleted { "true" } else { "false" },
            ];
            for k in slot.contributions() {
                self.start(file, index, &target)?;
                let text = |id| c.text(id);
                for f in [
                    text(k.source.data_element),
                    text(k.source.category_option_combo),
                    text(k.source.attribute_option_combo),
                    text(k.source.org_unit),
                    c.contribution_text(k),
                    src.inputs.get(k.input as usize).map_or("", String::as_str),
                ] {
                    self.field(true, f)?;
                }
                let line = (k.line > 0).then_some(u64::from(k.line));
                self.end(line, Some(u64::from(k.record)), k.row as usize)?;
            }
            index += 1;
        }
        for &i in group.filled() {
            let [de, pe, ou, coc, aoc, value] = e.zeros[i as usize].output_value(None).fields();
            let row = e.zeros[i as usize].row;
            let target = [de, pe, ou, coc, aoc, value, "false"];
            self.start(file, index, &target)?;
            for f in ["(zero-fill)", "", "", "", "", ""] {
                self.field(true, f)?;
            }
            self.end(None, None, row)?;
            index += 1;
        }
        for &i in group.found() {
            let d = &e.deletions[i as usize];
            let p = &d.previous;
            let [de, pe, ou, coc, aoc, value] = d.output_value(None).fields();
            let target = [de, pe, ou, coc, aoc, value, "true"];
            self.start(file, index, &target)?;
            let input = src
                .previous
                .get(p.input as usize)
                .map_or("", String::as_str);
            for f in ["", "", "", "", &p.value, input] {
                self.field(true, f)?;
            }
            self.end(p.place.line, Some(p.place.record), d.row)?;
            index += 1;
        }
        Ok(())
    }

    /// The file, index and the value as written.
    fn start(&mut self, file: &str, index: u64, target: &[&str; 7]) -> io::Result<()> {
        self.field(false, file)?;
        write!(self.out, ",{index}")?;
        for f in target {
            self.field(true, f)?;
        }
        Ok(())
    }

    /// The line, the value number and the mapping cell, then the end of the row.
    fn end(&mut self, line: Option<u64>, number: Option<u64>, row: usize) -> io::Result<()> {
        for n in [line, number] {
            match n {
                Some(n) => write!(self.out, ",{n}")?,
                None => self.out.write_all(b",")?,
            }
        }
        let cell = self.cells.get(row).map_or("", String::as_str);
        self.out.write_all(b",")?;
        crate::write::csv::people_field(self.out, cell)?;
        self.out.write_all(b"\n")
    }

    fn field(&mut self, comma: bool, f: &str) -> io::Result<()> {
        if comma {
            self.out.write_all(b",")?;
        }
        crate::write::csv::people_field(self.out, f)
    }
}
