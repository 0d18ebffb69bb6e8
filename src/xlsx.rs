//! Writing reviewable workbooks: sheets of tables with a bold frozen header, autofilter and
//! readable widths that print (landscape A4, text never under 7 pt, the header row repeated on
//! every page, long text wrapped in rows tall enough for it, a page header naming the run and
//! `Page x of y`). Text is always written as a string cell, so ids such
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

/// What a written cell takes: its width in characters and the lines it wraps to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    pub width: usize,
    pub lines: usize,
}

/// The height of a row of `lines` lines of 11 pt text, in points.
const LINE_HEIGHT: f64 = 15.0;

/// The longest word (an id, a hash, a path without spaces) kept on one line: its column widens
/// instead, up to this many characters.
const MAX_WORD: usize = 72;

/// How a text lays out: unwrapped when it fits (or is one word that fits [`MAX_WORD`]), else
/// wrapped in a column `max_width` wide, with the lines that takes.
fn layout(text: &str, max_width: usize) -> Extent {
    let width = text.chars().count();
    let one_word = !text.contains(char::is_whitespace);
    if !text.contains('\n') && (width <= max_width || (one_word && width <= MAX_WORD)) {
        return Extent { width, lines: 1 };
    }
    // Wrapped at the width less the padding: a line holds about that many characters (words
    // break early, so count one line more for every long paragraph).
    let per_line = max_width.saturating_sub(2).max(8);
    let lines = text
        .split('\n')
        .map(|p| {
            let n = p.chars().count();
            match n.div_ceil(per_line) {
                0 => 1,
                1 => 1,
                k => k + k / 4,
            }
        })
        .sum();
    Extent {
        width: max_width,
        lines,
    }
}

/// The cell formats of a table: everything aligned to the top, so that a row taller for a
/// wrapped cell reads across.
pub struct Styles {
    /// The widest a column gets, in characters; longer text wraps within it.
    pub max_width: usize,
    plain: Format,
    wrap: Format,
    date: Format,
}

impl Default for Styles {
    fn default() -> Self {
        let plain = Format::new().set_align(rust_xlsxwriter::FormatAlign::Top);
        Styles {
            max_width: MAX_WIDTH,
            wrap: plain.clone().set_text_wrap(),
            date: plain.clone().set_num_format("yyyy-mm-dd hh:mm:ss"),
            plain,
        }
    }
}

/// Writes one cell; text longer than Excel allows is cut with a visible mark.
pub fn write_cell(
    sheet: &mut Worksheet,
    styles: &Styles,
    (row, col): (u32, u16),
    cell: &Cell,
) -> Result<Extent> {
    let one = |width| Extent { width, lines: 1 };
    match cell {
        Cell::Empty => Ok(one(0)),
        Cell::Number(n) => {
            sheet.write_number_with_format(row, col, *n, &styles.plain)?;
            Ok(one(n.to_string().len()))
        }
        Cell::DateTime(t) => {
            let at = ExcelDateTime::from_timestamp(*t)?;
            sheet.write_datetime_with_format(row, col, &at, &styles.date)?;
            Ok(one(19))
        }
        Cell::Text(s) => {
            let text = if s.chars().count() > MAX_CELL {
                let cut: String = s.chars().take(MAX_CELL - 20).collect();
                format!("{cut}… (cut for Excel)")
            } else {
                s.clone()
            };
            let extent = layout(&text, styles.max_width);
            let style = if extent.lines > 1 {
                &styles.wrap
            } else {
                &styles.plain
            };
            sheet.write_string_with_format(row, col, &text, style)?;
            Ok(extent)
        }
    }
}

/// The smallest print scale, in percent: 11 pt text prints at 7 pt or larger.
pub const MIN_PRINT_SCALE: u16 = 64;

/// The width of a landscape A4 or Letter page at 100 %, in Excel's character units (margins
/// of 0.7 in aside).
const PAGE_WIDTH: f64 = 130.0;

/// A column's width as the workbook stores it: rust_xlsxwriter rounds `width` to whole pixels
/// of a 7-pixel digit and adds 5 pixels of padding, so a 10-character column is 10.71 wide.
/// Print scales are decided on this width, the one a spreadsheet lays out.
fn stored_width(width: f64) -> f64 {
    ((width * 7.0).round() + 5.0) / 7.0
}

/// Print settings of a sheet whose columns are `width` characters wide in all: landscape, the
/// header row on every page, one page wide when that keeps the text readable; a wider sheet
/// prints at [`MIN_PRINT_SCALE`] across pages, its first column repeated on each.
pub fn printable(sheet: &mut Worksheet, width: f64) -> Result<()> {
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_repeat_rows(0, 0)?;
    if width * f64::from(MIN_PRINT_SCALE) / 100.0 <= PAGE_WIDTH {
        sheet.set_print_fit_to_pages(1, 0);
    } else {
        sheet.set_print_scale(MIN_PRINT_SCALE);
        sheet.set_repeat_columns(0, 0)?;
    }
    Ok(())
}

/// Header and footer on every sheet of a workbook, so that a printed page says which run it
/// is from and where it belongs: `title` at the top left, the sheet at the top right, the page
/// (`Page 3 of 21`) at the bottom.
pub fn stamp(workbook: &mut Workbook, title: &str) {
    // `&` starts a header code; 255 characters at most in all.
    let title = format!("pi2de {} · {title}", env!("CARGO_PKG_VERSION"));
    let title: String = title.replace('&', "&&").chars().take(180).collect();
    for sheet in workbook.worksheets_mut() {
        sheet.set_header(format!("&L{title}&R&A"));
        sheet.set_footer("&LPrinted &D &T&RPage &P of &N");
    }
}

/// A workbook's bytes, each sheet stamped with `title` (see [`stamp`]).
pub fn finish(workbook: &mut Workbook, title: &str) -> Result<Vec<u8>> {
    stamp(workbook, title);
    workbook
        .save_to_buffer()
        .with_context(|| format!("{title}: cannot build the workbook"))
}

/// Now, in seconds since 1970 (UTC), and as `2026-12-04 21:05 UTC`.
pub fn now_utc() -> (i64, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let date = crate::period::Date::from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    (
        secs,
        format!("{date} {:02}:{:02} UTC", t / 3600, t % 3600 / 60),
    )
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
    let print = Print {
        columns: headers.len(),
        max_width: MAX_WIDTH,
    };
    add_table_printing(workbook, name, headers, rows, cap, print)
}

/// What of a table prints: its first `columns` columns (the others are on screen only), each
/// at most `max_width` characters wide (longer text wraps).
#[derive(Debug, Clone, Copy)]
pub struct Print {
    pub columns: usize,
    pub max_width: usize,
}

/// [`add_table`], printed as `print` says.
pub fn add_table_printing<'w, I>(
    workbook: &'w mut Workbook,
    name: &str,
    headers: &[&str],
    rows: I,
    cap: usize,
    print: Print,
) -> Result<&'w mut Worksheet>
where
    I: IntoIterator<Item = Vec<Cell>>,
{
    let print_columns = print.columns;
    let styles = Styles {
        max_width: print.max_width,
        ..Styles::default()
    };
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
        let mut lines = 1;
        for (c, cell) in row.iter().enumerate() {
            let e = write_cell(sheet, &styles, (written, c as u16), cell)?;
            lines = lines.max(e.lines);
            if c < widths.len() {
                widths[c] = widths[c].max(e.width);
            }
        }
        // LibreOffice keeps the default height for wrapped text it did not lay out itself:
        // the height is set, or the lines print over the next row.
        if lines > 1 {
            sheet.set_row_height(written, LINE_HEIGHT * lines.min(27) as f64)?;
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
    let mut printed = 0.0;
    for (c, w) in widths.iter().enumerate() {
        let width = (*w as f64 + 2.0).clamp(8.0, MAX_WORD as f64 + 2.0);
        if c < print_columns {
            printed += stored_width(width);
        }
        sheet.set_column_width(c as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    printable(sheet, printed)?;
    if print_columns < headers.len() && print_columns > 0 {
        let last_row = written + u32::from(left_off > 0);
        sheet.set_print_area(0, 0, last_row, print_columns as u16 - 1)?;
    }
    if !headers.is_empty() {
        sheet.autofilter(0, 0, written.max(1), headers.len() as u16 - 1)?;
    }
    Ok(sheet)
}

/// Saves a workbook atomically (temporary file, then rename), each sheet stamped with `title`.
pub fn save(workbook: &mut Workbook, path: &str, title: &str) -> Result<()> {
    let bytes =
        finish(workbook, title).with_context(|| format!("{path}: cannot build the workbook"))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The sum of the `<col width=…>` of a workbook's first sheet, and whether it is fitted to
    /// one page wide.
    fn laid_out(bytes: Vec<u8>) -> (f64, bool) {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("xlsx");
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .expect("sheet1")
            .read_to_string(&mut xml)
            .expect("utf-8");
        let attribute = |col: &str, name: &str| -> f64 {
            col.split(&format!(" {name}=\""))
                .nth(1)
                .and_then(|v| v.split('"').next()?.parse().ok())
                .unwrap_or(0.0)
        };
        // `<col min="1" max="3" width="9.71"/>`: one element for a run of equal columns.
        let width = xml
            .split("<col ")
            .skip(1)
            .map(|c| {
                let c = format!(" {c}");
                attribute(&c, "width") * (attribute(&c, "max") - attribute(&c, "min") + 1.0)
            })
            .sum::<f64>();
        (
            width,
            xml.contains("fitToWidth") || xml.contains("fitToPage"),
        )
    }

    #[test]
    fn a_sheet_fitted_to_one_page_prints_readable_by_the_widths_it_stores() {
        // Tables whose columns add up to either side of the readable limit, in steps of one
        // character: the print decision must hold for the widths a spreadsheet lays out.
        let mut fitted_tables = 0;
        for columns in [4_usize, 7, 12, 20] {
            for total in 180..230 {
                let each = total / columns;
                let row: Vec<Cell> = (0..columns)
                    .map(|c| Cell::Text("x".repeat(each + usize::from(c < total % columns))))
                    .collect();
                let headers = vec!["h"; columns];
                let mut workbook = Workbook::new();
                add_table(&mut workbook, "T", &headers, [row], 10).expect("table");
                let (width, fitted) = laid_out(workbook.save_to_buffer().expect("save"));
                if fitted {
                    fitted_tables += 1;
                    let scale = (PAGE_WIDTH / width * 100.0).min(100.0);
                    assert!(
                        scale >= f64::from(MIN_PRINT_SCALE),
                        "{columns} columns, {total} characters: fitted at {scale:.1} %"
                    );
                }
            }
        }
        // Both sides of the limit were tried.
        assert!((1..200).contains(&fitted_tables), "{fitted_tables} fitted");
    }
}
