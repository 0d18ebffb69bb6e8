//! Sheets of legacy .xls workbooks through calamine, which reads them whole into ranges when
//! opening (bounded by the format: 65,536 rows of 256 columns); only used cells are kept.

use std::fs::File;
use std::io::BufReader;

use anyhow::{Result, anyhow};
use calamine::{Data, DataRef, Reader, Xls};

use super::{Cells, Sheet};

pub struct Book(Xls<BufReader<File>>);

impl Book {
    pub fn open(path: &str) -> Result<Book> {
        calamine::open_workbook(path).map(Book).map_err(|e: calamine::XlsError| {
            anyhow!("{path}: cannot open the mapping workbook: {e} (is it a real, unprotected spreadsheet?)")
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.0.sheet_names()
    }

    pub fn read(&mut self, path: &str, name: &str) -> Result<Sheet> {
        let range = self
            .0
            .worksheet_range(name)
            .map_err(|e| anyhow!("{path}: cannot read sheet `{name}`: {e}"))?;
        let mut cells = Cells::new(path, name);
        let (row0, column0) = range.start().unwrap_or((0, 0));
        // Offsets within an .xls sheet (at most 65,536 × 256) always fit.
        let offset =
            |base: u32, i: usize| base.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
        for (row, column, value) in range.used_cells() {
            let (text, note) = super::xlsx::cell(&data_ref(value));
            cells.push(offset(row0, row), offset(column0, column), text, note)?;
        }
        Ok(cells.finish())
    }
}

fn data_ref(d: &Data) -> DataRef<'_> {
    match d {
        Data::Int(i) => DataRef::Int(*i),
        Data::Float(f) => DataRef::Float(*f),
        Data::String(s) => DataRef::SharedString(s),
        Data::Bool(b) => DataRef::Bool(*b),
        Data::DateTime(d) => DataRef::DateTime(*d),
        Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
        Data::DurationIso(s) => DataRef::DurationIso(s.clone()),
        Data::Error(e) => DataRef::Error(e.clone()),
        Data::Empty => DataRef::Empty,
    }
}
