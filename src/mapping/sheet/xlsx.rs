//! Sheets of .xlsx/.xlsm (and binary .xlsb) workbooks through calamine's cell readers, which
//! stream the sheet's cells without a dense range: a stray cell at XFD1048576 costs one row.
//! Formulas are seen, so a formula cell without a cached value is told apart from a blank.

use std::fs::File;
use std::io::BufReader;

use anyhow::{Result, anyhow};
use calamine::{DataRef, Reader, Xlsb, Xlsx};

use super::{Cells, Note, Sheet, number_text, text_note};

pub enum Book {
    Xlsx(Xlsx<BufReader<File>>),
    Xlsb(Xlsb<BufReader<File>>),
}

impl Book {
    pub fn open(path: &str, ext: &str) -> Result<Book> {
        let opened = if ext == "xlsb" {
            calamine::open_workbook(path)
                .map(Book::Xlsb)
                .map_err(|e| e.to_string())
        } else {
            calamine::open_workbook(path)
                .map(Book::Xlsx)
                .map_err(|e: calamine::XlsxError| e.to_string())
        };
        opened.map_err(|e| {
            anyhow!("{path}: cannot open the mapping workbook: {e} (is it a real, unprotected spreadsheet?)")
        })
    }

    pub fn names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(b) => b.sheet_names(),
            Book::Xlsb(b) => b.sheet_names(),
        }
    }

    pub fn read(&mut self, path: &str, name: &str) -> Result<Sheet> {
        let cannot = |e: &dyn std::fmt::Display| anyhow!("{path}: cannot read sheet `{name}`: {e}");
        let mut cells = Cells::new(path, name);
        match self {
            Book::Xlsx(b) => {
                let mut reader = b.worksheet_cells_reader(name).map_err(|e| cannot(&e))?;
                while let Some(c) = reader.next_cell_with_formula().map_err(|e| cannot(&e))? {
                    let (text, note) = match (&c.value, c.formula) {
                        (DataRef::Empty, Some(f)) => (String::new(), Some(Note::NoCachedValue(f))),
                        (value, _) => cell(value),
                    };
                    cells.push(c.pos.0, c.pos.1, text, note)?;
                }
            }
            Book::Xlsb(b) => {
                let mut reader = b.worksheet_cells_reader(name).map_err(|e| cannot(&e))?;
                while let Some(c) = reader.next_cell().map_err(|e| cannot(&e))? {
                    let (row, column) = c.get_position();
                    let (text, note) = cell(c.get_value());
                    cells.push(row, column, text, note)?;
                }
            }
        }
        Ok(cells.finish())
    }
}

/// A cell's text and what it was, if not text.
pub fn cell(value: &DataRef) -> (String, Option<Note>) {
    match value {
        DataRef::Empty => (String::new(), None),
        DataRef::String(s) => (s.clone(), text_note(s)),
        DataRef::SharedString(s) => (s.to_string(), text_note(s)),
        DataRef::Int(i) => (i.to_string(), Some(Note::Number)),
        DataRef::Float(f) => (number_text(*f), Some(Note::Number)),
        DataRef::Bool(b) => (b.to_string(), Some(Note::Bool)),
        DataRef::Error(e) => (e.to_string(), Some(Note::Error(e.to_string()))),
        DataRef::DateTime(d) => {
            let (y, m, day, h, min, s, _) = d.to_ymd_hms_milli();
            let text = if (h, min, s) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{day:02}")
            } else {
                format!("{y:04}-{m:02}-{day:02}T{h:02}:{min:02}:{s:02}")
            };
            (text, Some(Note::Date))
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => (s.clone(), Some(Note::Date)),
    }
}
