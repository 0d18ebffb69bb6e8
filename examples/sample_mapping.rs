//! Writes `mappings/immunisation.xlsx` from `mappings/immunisation.csv`, as a reviewer would
//! want it in Excel: a title row above the header, a frozen header, autofilter, widths.
//!
//!     cargo run --example sample_mapping

use rust_xlsxwriter::{Format, Workbook};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string("mappings/immunisation.csv")?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut reader = pi2de::read::csv::Records::new(text.as_bytes());
    while reader.next_record()?.is_some() {
        rows.push(reader.fields());
    }
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("mapping")?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(
        0,
        0,
        "EPI monthly report: program indicators → HMIS data elements",
        &bold,
    )?;
    sheet.write_string(1, 0, "One row per program indicator. Blank categoryOptionCombo = default. See mappings/README.md.")?;
    let header_row = 3;
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (header_row + r as u32, c as u16);
            if r == header_row {
                sheet.write_string_with_format(r, c, cell, &bold)?;
            } else {
                sheet.write_string(r, c, cell)?;
            }
        }
    }
    let widths = [14.0, 34.0, 20.0, 28.0, 20.0, 20.0, 14.0, 28.0, 9.0, 44.0];
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    sheet.set_freeze_panes(header_row + 1, 0)?;
    sheet.autofilter(
        header_row,
        0,
        header_row + rows.len() as u32 - 1,
        rows[0].len() as u16 - 1,
    )?;
    workbook.save("mappings/immunisation.xlsx")?;
    Ok(())
}
