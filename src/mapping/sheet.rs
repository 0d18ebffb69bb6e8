//! Loads the cells of a mapping workbook sheet (.xlsx .xlsm .xls .ods through calamine, or a
//! .csv) as text with their spreadsheet coordinates, following the cell rules of
//! mappings/README.md: integral numbers are integer text, formulas give their cached value.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use calamine::{Data, Reader};

use crate::read;

/// One row of a sheet: its spreadsheet row number (1-based) and its cells from column A.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<String>,
    /// Columns (0-based) whose cell held a spreadsheet error (`#N/A`, `#REF!`…).
    pub errors: Vec<usize>,
}

/// A sheet's text cells.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The name used in cell references (`mapping`, or the file name of a CSV).
    pub name: String,
    pub rows: Vec<Row>,
}

impl Sheet {
    /// `mapping!C17` for column index 2 of row 17.
    pub fn cell(&self, column: usize, row: u32) -> String {
        format!("{}!{}{}", self.name, column_letters(column), row)
    }
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_letters(mut column: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The sheets pi2de reads from a mapping workbook.
pub struct Workbook {
    pub mapping: Sheet,
    pub org_units: Option<Sheet>,
}

/// Opens a mapping workbook or CSV. The mapping sheet is the one named `mapping` (any case),
/// else the first; the org-unit sheet is `orgUnits` (any case), when present.
pub fn load(path: &str) -> Result<Workbook> {
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if ext == "csv" {
        return Ok(Workbook {
            mapping: load_csv(path)?,
            org_units: None,
        });
    }
    check_workbook_file(path, &ext)?;
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| {
        anyhow!(
            "{path}: cannot open the mapping workbook: {e} (is it a real, unprotected spreadsheet?)"
        )
    })?;
    let names = wb.sheet_names();
    let mapping_name = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("mapping"))
        .or(names.first())
        .cloned()
        .ok_or_else(|| anyhow!("{path}: the workbook has no sheets"))?;
    let org_units_name = names
        .iter()
        .find(|n| crate::model::normalise_name(n) == "orgunits")
        .cloned();
    let mapping = read_sheet(&mut wb, path, &mapping_name)?;
    let org_units = org_units_name
        .map(|n| read_sheet(&mut wb, path, &n))
        .transpose()?;
    Ok(Workbook { mapping, org_units })
}

/// Refuses, with a reason, a file that cannot be a readable workbook: a folder, an encrypted or
/// old `.xls` file named `.xlsx`, a file that is not a zip archive.
fn check_workbook_file(path: &str, ext: &str) -> Result<()> {
    if !matches!(ext, "xlsx" | "xlsm" | "xls" | "xlsb" | "ods") {
        bail!("{path}: a mapping must be a workbook (.xlsx .xlsm .xls .ods) or a .csv");
    }
    let meta =
        std::fs::metadata(path).with_context(|| format!("{path}: cannot read the mapping"))?;
    if meta.is_dir() {
        bail!("{path}: is a folder, not a mapping workbook");
    }
    let mut head = [0u8; 8];
    let mut file =
        std::fs::File::open(path).with_context(|| format!("{path}: cannot open the mapping"))?;
    let head_len = std::io::Read::read(&mut file, &mut head).unwrap_or(0);
    let head = &head[..head_len];
    let is_ole = head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    if matches!(ext, "xlsx" | "xlsm") && is_ole {
        bail!(
            "{path}: the workbook is password-protected (encrypted), or an old .xls file named \
             .xlsx: remove the password in Excel (File → Info → Protect Workbook) or save it again \
             as .xlsx"
        );
    }
    if matches!(ext, "xlsx" | "xlsm" | "ods") && !head.starts_with(b"PK") {
        bail!(
            "{path}: is not a workbook (an .{ext} file is a zip archive; this one is not): is it a CSV or another file renamed?"
        );
    }
    Ok(())
}

/// The cells of one sheet as text, with their row numbers.
fn read_sheet<RS: std::io::Read + std::io::Seek>(
    wb: &mut calamine::Sheets<RS>,
    path: &str,
    name: &str,
) -> Result<Sheet> {
    let range = wb
        .worksheet_range(name)
        .map_err(|e| anyhow!("{path}: cannot read sheet `{name}`: {e}"))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut row = Row {
                number: row0.saturating_add(u32::try_from(i + 1).unwrap_or(u32::MAX)),
                cells: vec![String::new(); col0 as usize],
                errors: Vec::new(),
            };
            for (j, cell) in cells.iter().enumerate() {
                if matches!(cell, Data::Error(_)) {
                    row.errors.push(col0 as usize + j);
                }
                row.cells.push(cell_text(cell));
            }
            row
        })
        .collect();
    Ok(Sheet {
        name: name.to_string(),
        rows,
    })
}

/// A cell as text: integral numbers without `.0`, errors and empties as blank.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn load_csv(path: &str) -> Result<Sheet> {
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
        .to_string();
    let digest = std::rc::Rc::new(std::cell::RefCell::new(None));
    let (rows, _) = read::with_input(path, digest, None, |reader, _| {
        let mut records = read::csv::Records::new(reader);
        let mut rows = Vec::new();
        while let Some(line) = records.next_record().map_err(|e| e.in_file(path))? {
            rows.push(Row {
                // Saturates: no mapping has four billion lines.
                number: u32::try_from(line).unwrap_or(u32::MAX),
                cells: records.fields(),
                errors: Vec::new(),
            });
        }
        Ok(rows)
    })
    .with_context(|| format!("{path}: cannot read the mapping"))?;
    Ok(Sheet { name, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(2), "C");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn numeric_cells_are_integer_text() {
        assert_eq!(cell_text(&Data::Float(123.0)), "123");
        assert_eq!(cell_text(&Data::Float(-7.0)), "-7");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
        assert_eq!(cell_text(&Data::Int(42)), "42");
        assert_eq!(cell_text(&Data::String(" x ".into())), " x ");
        assert_eq!(cell_text(&Data::Bool(false)), "false");
        assert_eq!(cell_text(&Data::Empty), "");
    }
}
