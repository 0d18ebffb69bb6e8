//! The cells of a mapping workbook's sheets as text with their spreadsheet coordinates, one
//! module per format: [`xlsx`] (.xlsx .xlsm .xlsb, calamine's cell readers), [`ods`] (its own
//! reader of `content.xml`), [`xls`] (legacy .xls through calamine), [`csv`]. Sheets are read
//! sparse: memory follows the cells that hold something, and a sheet whose used cells would
//! spread over more than [`MAX_CELLS`] is refused naming its extent. A cell that is not plain
//! text carries a [`Note`] (a spreadsheet error, a formula without a value, a number, a date,
//! a boolean) so that the loader can say what the spreadsheet did to it (mappings/README.md).

pub mod csv;
pub mod ods;
pub mod xls;
pub mod xlsx;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use crate::model::normalise_name;

/// How many cells a sheet may spread over (rows that hold something, each as wide as its
/// last used cell): 40,000 rows of 50 columns.
pub const MAX_CELLS: usize = 2_000_000;

/// What a cell held besides its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A spreadsheet error value (`#N/A`, `#DIV/0!`, LibreOffice's `Err:502`).
    Error(String),
    /// A formula whose value was never calculated (files written by scripts); its text.
    NoCachedValue(String),
    /// A number cell: its text is the number's.
    Number,
    /// A date or time cell.
    Date,
    /// A boolean cell.
    Bool,
}

/// One row of a sheet: its spreadsheet row number (1-based) and its cells from column A.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<String>,
    /// Cells (by column, 0-based) that were not plain text.
    pub notes: Vec<(usize, Note)>,
}

impl Row {
    pub fn note(&self, column: usize) -> Option<&Note> {
        self.notes
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, n)| n)
    }
}

/// A sheet's text cells: only rows that hold something.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The name used in cell references (`mapping`, or the file name of a CSV).
    pub name: String,
    pub rows: Vec<Row>,
}

impl Sheet {
    /// `mapping!C17` for column index 2 of row 17.
    pub fn cell(&self, column: usize, row: u32) -> String {
        reference(&self.name, column, row)
    }
}

/// A cell reference as a spreadsheet writes it: `mapping!C17`, with the sheet name quoted when
/// it holds spaces or other signs (`'Mapping '!C17`, `'2024'!A1`).
pub fn reference(sheet: &str, column: usize, row: u32) -> String {
    let plain = sheet
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
        && !sheet.starts_with(|c: char| c.is_ascii_digit())
        && !sheet.is_empty();
    let cell = format!("{}{row}", column_letters(column));
    if plain {
        format!("{sheet}!{cell}")
    } else {
        format!("'{}'!{cell}", sheet.replace('\'', "''"))
    }
}

/// A cell reference split before its row: `mapping!C17` → (`mapping!C`, 17). `None` unless it
/// ends in a column letter and a row number.
pub fn split_reference(cell: &str) -> Option<(&str, u32)> {
    let head = cell.trim_end_matches(|c: char| c.is_ascii_digit());
    if !head.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((head, cell[head.len()..].parse().ok()?))
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

/// Collects a sheet's cells as they are read, in any order, within [`MAX_CELLS`].
pub struct Cells<'p> {
    path: &'p str,
    name: String,
    rows: BTreeMap<u32, Row>,
    stored: usize,
}

impl<'p> Cells<'p> {
    pub fn new(path: &'p str, name: &str) -> Self {
        Cells {
            path,
            name: name.to_string(),
            rows: BTreeMap::new(),
            stored: 0,
        }
    }

    /// Adds the cell at `row`, `column` (0-based). Empty cells without a note are not kept.
    pub fn push(&mut self, row: u32, column: u32, text: String, note: Option<Note>) -> Result<()> {
        if text.is_empty() && note.is_none() {
            return Ok(());
        }
        let c = column as usize;
        let r = self.rows.entry(row).or_insert_with(|| Row {
            number: row.saturating_add(1),
            ..Row::default()
        });
        if r.cells.len() <= c {
            self.stored += c + 1 - r.cells.len();
            if self.stored > MAX_CELLS {
                bail!(
                    "{}: sheet `{}` has cells as far as {}{} (more than {MAX_CELLS} cells to \
                     read); a mapping needs a few columns: delete the cells beyond the table \
                     (Ctrl+End shows the last used cell)",
                    self.path,
                    self.name,
                    column_letters(c),
                    u64::from(row) + 1
                );
            }
            r.cells.resize(c + 1, String::new());
        }
        r.cells[c] = text;
        if let Some(n) = note {
            r.notes.push((c, n));
        }
        Ok(())
    }

    pub fn finish(self) -> Sheet {
        Sheet {
            name: self.name,
            rows: self.rows.into_values().collect(),
        }
    }
}

/// The note a text cell deserves: typed or pasted spreadsheet error values are errors in every
/// format (a CSV saved from a sheet holds them as text).
pub fn text_note(text: &str) -> Option<Note> {
    const ERRORS: [&str; 15] = [
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#DATA!",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
    ];
    let t = text.trim();
    let libreoffice = t
        .strip_prefix("Err:")
        .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()));
    (ERRORS.contains(&t) || libreoffice).then(|| Note::Error(t.to_string()))
}

/// A number as a cell shows it: integral numbers without `.0`.
pub fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// A workbook's sheets, read one at a time.
pub enum Book {
    Xlsx(xlsx::Book),
    Ods(ods::Book),
    Xls(xls::Book),
}

impl Book {
    pub fn names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(b) => b.names(),
            Book::Ods(b) => b.names(),
            Book::Xls(b) => b.names(),
        }
    }

    pub fn read(&mut self, path: &str, name: &str) -> Result<Sheet> {
        match self {
            Book::Xlsx(b) => b.read(path, name),
            Book::Ods(b) => b.read(path, name),
            Book::Xls(b) => b.read(path, name),
        }
    }
}

/// The sheets pi2de reads from a mapping workbook.
pub struct Workbook {
    pub mapping: Sheet,
    pub org_units: Option<Sheet>,
}

/// Opens a mapping workbook or CSV and picks its sheets: the one named `mapping`, matched as
/// column names are (case, spaces, `_`, `-`); else the one sheet that `is_mapping` recognises
/// (several are an error naming them); else the first. The org-unit sheet is `orgUnits`, when
/// present.
pub fn load(path: &str, is_mapping: impl Fn(&Sheet) -> bool) -> Result<Workbook> {
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if let Some(real) = name.strip_prefix("~$") {
        bail!(
            "{path}: this is the lock file Excel or LibreOffice keeps beside an open workbook, not the workbook: give {real} (and save it first: pi2de reads what is saved, not what is open on screen)"
        );
    }
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if ext == "csv" {
        let meta =
            std::fs::metadata(path).with_context(|| format!("{path}: cannot read the mapping"))?;
        if meta.is_dir() {
            bail!("{path}: is a folder, not a mapping");
        }
        return Ok(Workbook {
            mapping: csv::load(path)?,
            org_units: None,
        });
    }
    check_workbook_file(path, &ext)?;
    let mut book = match ext.as_str() {
        "ods" => Book::Ods(ods::Book::open(path)?),
        "xls" => Book::Xls(xls::Book::open(path)?),
        _ => Book::Xlsx(xlsx::Book::open(path, &ext)?),
    };
    let names = book.names();
    let named = |want: &str| -> Vec<String> {
        names
            .iter()
            .filter(|n| normalise_name(n) == want)
            .cloned()
            .collect()
    };
    let org_units = match named("orgunits").as_slice() {
        [] => None,
        [one] => Some(book.read(path, one)?),
        several => bail!(
            "{path}: {} sheets are named orgUnits: {}",
            several.len(),
            quoted(several)
        ),
    };
    let mapping = match named("mapping").as_slice() {
        [one] => book.read(path, one)?,
        [] => guess_mapping(path, &mut book, &names, is_mapping)?,
        several => bail!(
            "{path}: {} sheets are named mapping: {}; rename all but one",
            several.len(),
            quoted(several)
        ),
    };
    Ok(Workbook { mapping, org_units })
}

/// With no sheet named `mapping`: the one sheet that looks like a mapping, else the first.
fn guess_mapping(
    path: &str,
    book: &mut Book,
    names: &[String],
    is_mapping: impl Fn(&Sheet) -> bool,
) -> Result<Sheet> {
    let first = names
        .first()
        .ok_or_else(|| anyhow!("{path}: the workbook has no sheets"))?;
    let mut candidates = Vec::new();
    for name in names.iter().filter(|n| normalise_name(n) != "orgunits") {
        // A sheet that cannot be read (a huge data sheet) is not the mapping, unless it is the
        // only sheet, whose error is then the answer.
        match book.read(path, name) {
            Ok(sheet) if is_mapping(&sheet) => candidates.push(sheet),
            Ok(_) => {}
            Err(e) if names.len() == 1 => return Err(e),
            Err(_) => {}
        }
    }
    match candidates.len() {
        0 => book.read(path, first),
        1 => Ok(candidates.remove(0)),
        n => {
            let found: Vec<String> = candidates.into_iter().map(|s| s.name).collect();
            bail!(
                "{path}: no sheet is named `mapping` and {n} sheets look like mappings: {}; \
                 rename the one to use `mapping`",
                quoted(&found)
            )
        }
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
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
    if matches!(ext, "xlsx" | "xlsm" | "xlsb" | "ods") && !head.starts_with(b"PK") {
        bail!(
            "{path}: is not a workbook (an .{ext} file is a zip archive; this one is not): is it a CSV or another file renamed?"
        );
    }
    if head.starts_with(b"PK") {
        check_inflation(path, WORKBOOK_LIMIT)?;
    }
    Ok(())
}

/// The most the parts of a mapping workbook may inflate to, together: a mapping of 100,000
/// rows is a few tens of MB; the spreadsheet readers hold a sheet's strings in memory.
const WORKBOOK_LIMIT: u64 = 256 << 20;

/// Inflates every part of a zipped workbook into nothing, counting, before a reader holds any
/// of it in memory: a small file whose sharedStrings or sheet inflate to gigabytes is refused
/// with a message instead of exhausting memory. The real sizes are counted, not the ones the
/// zip declares.
fn check_inflation(path: &str, limit: u64) -> Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("{path}: cannot open the mapping"))?;
    let Ok(mut zip) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        // Not a readable zip: the workbook reader says what is wrong with it.
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(i) else {
            continue;
        };
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let mut bounded = std::io::Read::take(&mut entry, limit - total + 1);
        let n = std::io::copy(&mut bounded, &mut std::io::sink()).unwrap_or(0);
        total += n;
        if total > limit {
            bail!(
                "{path}: the workbook's part `{name}` inflates past {} MB, more than a mapping \
                 workbook holds (a damaged file or a zip bomb?); save the mapping again, or as CSV",
                limit >> 20
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod inflation_tests {
    use super::*;

    #[test]
    fn a_workbook_that_inflates_too_far_is_refused() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.xlsx");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/sharedStrings.xml", options).unwrap();
        let block = vec![b'a'; 1 << 20];
        for _ in 0..3 {
            zip.write_all(&block).unwrap();
        }
        zip.finish().unwrap();
        let p = path.to_str().unwrap();
        let err = check_inflation(p, 2 << 20).unwrap_err().to_string();
        assert!(
            err.contains("xl/sharedStrings.xml") && err.contains("inflates past 2 MB"),
            "{err}"
        );
        assert!(check_inflation(p, 4 << 20).is_ok());
    }
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
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn a_reference_splits_before_its_row_and_nothing_else_does() {
        assert_eq!(split_reference("mapping!C17"), Some(("mapping!C", 17)));
        assert_eq!(split_reference("'My 2024'!AB3"), Some(("'My 2024'!AB", 3)));
        for not in ["programs[eBAyeGv0exc]", "mapping!", "17", "", "m.csv!C"] {
            assert_eq!(split_reference(not), None, "{not}");
        }
    }

    #[test]
    fn references_quote_sheet_names_as_spreadsheets_do() {
        assert_eq!(reference("mapping", 2, 17), "mapping!C17");
        assert_eq!(reference("m.csv", 0, 1), "m.csv!A1");
        assert_eq!(reference("Mapping ", 2, 17), "'Mapping '!C17");
        assert_eq!(reference("2024", 0, 1), "'2024'!A1");
        assert_eq!(reference("Bob's", 0, 1), "'Bob''s'!A1");
    }

    #[test]
    fn numbers_show_as_their_integer_text() {
        assert_eq!(number_text(123.0), "123");
        assert_eq!(number_text(-7.0), "-7");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }

    #[test]
    fn error_values_in_text() {
        assert_eq!(text_note("#N/A"), Some(Note::Error("#N/A".into())));
        assert_eq!(text_note(" #DIV/0! "), Some(Note::Error("#DIV/0!".into())));
        assert_eq!(text_note("Err:502"), Some(Note::Error("Err:502".into())));
        assert_eq!(text_note("Err:5020"), None);
        assert_eq!(text_note("#NA_CODE"), None);
        assert_eq!(text_note("COC_1"), None);
    }

    #[test]
    fn cells_keep_only_what_is_used_and_refuse_a_sheet_too_wide() {
        let mut cells = Cells::new("m.xlsx", "mapping");
        cells.push(5, 1, "b".into(), None).unwrap();
        cells.push(0, 0, "a".into(), None).unwrap();
        cells.push(3, 2, String::new(), None).unwrap();
        // One stray cell at XFD1048576 costs one row.
        cells.push(1_048_575, 16_383, "x".into(), None).unwrap();
        let sheet = cells.finish();
        let numbers: Vec<u32> = sheet.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [1, 6, 1_048_576]);
        assert_eq!(sheet.rows[1].cells, ["", "b"]);
        let mut cells = Cells::new("m.xlsx", "mapping");
        let mut refused = None;
        for row in 0..1_000 {
            if let Err(e) = cells.push(row, 16_383, "x".into(), None) {
                refused = Some(e.to_string());
                break;
            }
        }
        let message = refused.expect("refused");
        assert!(
            message.contains("as far as XFD") && message.contains("m.xlsx"),
            "{message}"
        );
    }
}
