//! Workbook layout shared by `mapping template` and `mapping from-metadata`: the mapping sheet
//! with its header, data validation for `enabled` and `valueType`, and the instructions sheet.

use anyhow::Result;
use rust_xlsxwriter::{DataValidation, Formula, Workbook};

use super::columns::{COLUMNS, Col, position};
use crate::value::VALUE_TYPES;
use crate::xlsx::{Cell, add_table};

/// Rows of the mapping sheet that get data validation.
const VALIDATED_ROWS: u32 = 5_000;

/// Adds the `mapping` sheet holding `rows` (cells in [`COLUMNS`] order), with validation lists
/// on `enabled` and `valueType`.
pub fn add_mapping_sheet(workbook: &mut Workbook, rows: Vec<Vec<Cell>>) -> Result<()> {
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    let n = u32::try_from(rows.len()).unwrap_or(u32::MAX - 100);
    let sheet = add_table(workbook, "mapping", &headers, rows, usize::MAX)?;
    let col = |c: Col| position(c) as u16;
    // Id columns as Text, so that Excel keeps `00123` and `1E5` as typed.
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    for c in [
        Col::Source,
        Col::SourceCoc,
        Col::SourceAoc,
        Col::DataElement,
        Col::Coc,
        Col::Aoc,
        Col::DataSet,
        Col::Exported,
    ] {
        sheet.set_column_format(col(c), &text)?;
    }
    let last = VALIDATED_ROWS.max(n + 100);
    let enabled = DataValidation::new()
        .allow_list_strings(&["yes", "no"])?
        .set_input_message("yes, no, or blank (yes)")?;
    sheet.add_data_validation(1, col(Col::Enabled), last, col(Col::Enabled), &enabled)?;
    let types = DataValidation::new().allow_list_formula(Formula::new(format!(
        "=lists!$A$1:$A${}",
        VALUE_TYPES.len()
    )));
    sheet.add_data_validation(1, col(Col::ValueType), last, col(Col::ValueType), &types)?;
    Ok(())
}

/// Adds the instructions sheet and the hidden `lists` sheet the validation refers to.
pub fn add_instructions(workbook: &mut Workbook) -> Result<()> {
    let mut rows: Vec<Vec<Cell>> = COLUMNS
        .iter()
        .map(|c| {
            vec![
                c.name.into(),
                (if c.required { "yes" } else { "no" }).into(),
                c.help.into(),
                c.example.into(),
            ]
        })
        .collect();
    for line in [
        "The header row may sit below title rows; names match ignoring case, spaces, _ and -.",
        "Optional sheet orgUnits with columns source and target translates org-unit ids; values of org units not on it are left out.",
        "One row per source: the same programIndicator (with the same source COC/AOC) on two enabled rows is an error.",
        "Check the workbook with: pi2de mapping check FILE.xlsx --target-metadata AGG.json",
    ] {
        rows.push(vec![Cell::Empty, Cell::Empty, line.into(), Cell::Empty]);
    }
    add_table(
        workbook,
        "instructions",
        &["column", "required", "meaning", "example"],
        rows,
        usize::MAX,
    )?;
    let lists = workbook.add_worksheet();
    lists.set_name("lists")?;
    for (i, t) in VALUE_TYPES.iter().enumerate() {
        lists.write_string(u32::try_from(i)?, 0, *t)?;
    }
    lists.set_hidden(true);
    Ok(())
}
