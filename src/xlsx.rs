//! Writing reviewable workbooks: sheets of tables with a bold frozen header, autofilter and
//! readable widths that print (landscape, one page wide, the header repeated on every page,
//! long text wrapped instead of cut off). Text is always written as a string cell, so ids such
//! as `=1+1`, `+5`, `-x` or `@a` from a mapping or an export are never taken for formulas.

use anyhow::{Context, Result};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

/// Excel's longest cell text.
const MAX_CELL: usize = 32_767;

/// The widest a column gets, in characters; longer text wraps within it.
const MAX_WIDTH: usize = 60;

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A moment, seconds since 1970 (UTC), shown as a date and time.
    DateTime(i64),
    Empty,
}

impl Cell {
    /// A data value: a number cell when it is a plain number (sums and filters work), else
    /// text (codes such as `0012` keep their zeros).
    pub fn value(s: &str) -> Cell {
        let plain = s
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            && !(s.starts_with('0') && s.len() > 1 && !s.starts_with("0."));
        match s.parse::<f64>() {
            Ok(n) if plain && n.is_finite() => Cell::Number(n),
            _ => Cell::from(s),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Cell {
        Cell::from(s.as_str())
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Cell {
        Cell::Number(n as f64)
    }
}

impl From<Option<&str>> for Cell {
    fn from(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, Cell::from)
    }
}

/// Writes one cell; text longer than Excel allows is cut with a visible mark.
pub fn write_cell(sheet: &mut Worksheet, row: u32, col: u16, cell: &Cell) -> Result<usize> {
    match cell {
        Cell::Empty => Ok(0),
        Cell::Number(n) => {
            sheet.write_number(row, col, *n)?;
            Ok(n.to_string().len())
        }
        Cell::DateTime(t) => {
            let at = ExcelDateTime::from_timestamp(*t)?;
            let format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
            sheet.write_datetime_with_format(row, col, &at, &format)?;
            Ok(19)
        }
        Cell::Text(s) => {
            let text = if s.chars().count() > MAX_CELL {
                let cut: String = s.chars().take(MAX_CELL - 20).collect();
                format!("{cut}… (cut for Excel)")
            } else {
                s.clone()
            };
            let width = text.chars().count();
            if width > MAX_WIDTH || text.contains('\n') {
                let wrap = Format::new()
                    .set_text_wrap()
                    .set_align(rust_xlsxwriter::FormatAlign::Top);
                sheet.write_string_with_format(row, col, &text, &wrap)?;
            } else {
                sheet.write_string(row, col, &text)?;
            }
            Ok(width)
        }
    }
}

/// Print settings of a sheet: landscape, one page wide, the header row on every page.
pub fn printable(sheet: &mut Worksheet) -> Result<()> {
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    Ok(())
}

/// A sheet's columns as one table: each header beside the function giving its cell, so that a
/// header and its cell cannot drift apart.
pub type Columns<T> = [(&'static str, fn(&T) -> Cell)];

/// The headers of a column table.
pub fn headers<T>(columns: &Columns<T>) -> Vec<&'static str> {
    columns.iter().map(|(h, _)| *h).collect()
}

/// The rows of a column table, one per item.
pub fn rows<'c, T>(
    columns: &'c Columns<T>,
    items: impl IntoIterator<Item = T> + 'c,
) -> impl Iterator<Item = Vec<Cell>> + 'c {
    items
        .into_iter()
        .map(move |item| columns.iter().map(|(_, cell)| cell(&item)).collect())
}

/// Adds a sheet holding a table. At most `cap` rows are written; when there are more, a last
/// row says how many were left off.
pub fn add_table<'w, I>(
    workbook: &'w mut Workbook,
    name: &str,
    headers: &[&str],
    rows: I,
    cap: usize,
) -> Result<&'w mut Worksheet>
where
    I: IntoIterator<Item = Vec<Cell>>,
{
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet
        .set_name(name)
        .with_context(|| format!("sheet name {name}"))?;
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut written = 0u32;
    let mut left_off = 0u64;
    for row in rows {
        if written as usize >= cap {
            left_off += 1;
            continue;
        }
        written += 1;
        for (c, cell) in row.iter().enumerate() {
            let w = write_cell(sheet, written, c as u16, cell)?;
            if c < widths.len() {
                widths[c] = widths[c].max(w);
            }
        }
    }
    if left_off > 0 {
        sheet.write_string_with_format(
            written + 1,
            0,
            format!("… {left_off} more rows are not shown: this sheet is capped at {cap} rows (the run summary JSON has the counts)"),
            &bold,
        )?;
    }
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, (*w as f64 + 2.0).clamp(8.0, MAX_WIDTH as f64))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    printable(sheet)?;
    if !headers.is_empty() {
        sheet.autofilter(0, 0, written.max(1), headers.len() as u16 - 1)?;
    }
    Ok(sheet)
}

/// Saves a workbook atomically (temporary file, then rename).
pub fn save(workbook: &mut Workbook, path: &str) -> Result<()> {
    let bytes = workbook
        .save_to_buffer()
        .with_context(|| format!("{path}: cannot build the workbook"))?;
    crate::write::write_atomic(path, &bytes)
}

/// A native column chart over rows `first..=last` (0-based, after the header) of the sheet
/// `sheet_name`: categories from column `categories`, one series per `(name, column)`. Placed
/// at `at` on `sheet`, sized to print beside the table.
pub struct ColumnChart<'a> {
    pub title: &'a str,
    pub sheet_name: &'a str,
    pub rows: (u32, u32),
    pub categories: u16,
    pub series: &'a [(&'a str, u16)],
    pub at: (u32, u16),
}

impl ColumnChart<'_> {
    pub fn insert(&self, sheet: &mut Worksheet) -> Result<()> {
        let mut chart = rust_xlsxwriter::Chart::new(rust_xlsxwriter::ChartType::Column);
        chart.title().set_name(self.title);
        let (first, last) = self.rows;
        for &(name, col) in self.series {
            chart
                .add_series()
                .set_name(name)
                .set_categories((
                    self.sheet_name,
                    first,
                    self.categories,
                    last,
                    self.categories,
                ))
                .set_values((self.sheet_name, first, col, last, col));
        }
        chart.set_width(640).set_height(320);
        sheet
            .insert_chart(self.at.0, self.at.1, &chart)
            .with_context(|| format!("chart {}", self.title))?;
        Ok(())
    }
}
