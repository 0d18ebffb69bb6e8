//! Reading a mapping sheet: finding its header row (and saying which row looks like one when
//! none does), reading each cell as an id or as text for people with the findings that go with
//! it, the mapping's rows, and the `orgUnits` sheet.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::columns::{self, column};
use super::sheet::{self, Note, Sheet};
use super::{Col, Findings, Mapping, MappingRow};
use crate::model::normalise_name;
use crate::value::ValueType;

/// No row holds the required columns: the error names the row that looks most like a header
/// (the most known or nearly known names) and what its names were probably meant as.
fn no_header(sheet: &Sheet, findings: &mut Findings) {
    let score = |row: &sheet::Row| {
        row.cells
            .iter()
            .filter(|c| columns::column(c).is_some() || columns::nearest(c).is_some())
            .count()
    };
    let best = sheet
        .rows
        .iter()
        .filter(|r| score(r) > 0)
        .max_by_key(|r| (score(r), std::cmp::Reverse(r.number)));
    let required = "the required columns `programIndicator` (or `source`, `dx`, `pi`) and \
                    `dataElement` were not found on this sheet";
    let Some(row) = best else {
        findings.error(sheet.cell(0, 1), format!("no header row: {required}"));
        return;
    };
    let meant: Vec<String> = row
        .cells
        .iter()
        .filter_map(|c| {
            columns::nearest(c).map(|n| format!("`{}` may be meant as `{n}`", c.trim()))
        })
        .collect();
    findings.error(
        sheet.cell(0, row.number),
        format!(
            "no header row: {required}; row {} looks like the header{}",
            row.number,
            if meant.is_empty() {
                String::new()
            } else {
                format!(": {}", meant.join(", "))
            }
        ),
    );
}

/// Header names that are no column but nearly one: a warning (the column is read as a note).
fn misspelled_columns(sheet: &Sheet, header: &sheet::Row, findings: &mut Findings) {
    for (c, name) in header.cells.iter().enumerate() {
        if let Some(meant) = columns::nearest(name) {
            findings.warning(
                sheet.cell(c, header.number),
                format!(
                    "`{}` is not a mapping column, so pi2de does not read it: did you mean `{meant}`?",
                    name.trim()
                ),
            );
        }
    }
}

/// Finds the header row: the first row holding every `required` column. Returns its index in
/// `sheet.rows` and the column of each recognised name.
pub(super) fn header<T: Copy + Ord>(
    sheet: &Sheet,
    classify: impl Fn(&str) -> Option<T>,
    required: &[T],
    findings: &mut Findings,
) -> Option<(usize, BTreeMap<T, usize>)> {
    for (i, row) in sheet.rows.iter().enumerate() {
        let mut columns = BTreeMap::new();
        let mut repeated = Vec::new();
        for (c, cell) in row.cells.iter().enumerate() {
            if let Some(col) = classify(cell) {
                match columns.entry(col) {
                    std::collections::btree_map::Entry::Occupied(_) => {
                        repeated.push((c, cell.trim().to_string()))
                    }
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(c);
                    }
                }
            }
        }
        if required.iter().all(|r| columns.contains_key(r)) {
            for (c, name) in repeated {
                findings.error(
                    sheet.cell(c, row.number),
                    format!("column `{name}` repeats a column already in the header: which one counts is ambiguous"),
                );
            }
            return Some((i, columns));
        }
    }
    None
}

/// Reads an id cell: trimmed, with a warning when it had surrounding whitespace or was not
/// typed as text, and an error when its value cannot be known.
fn cell(sheet: &Sheet, row: &sheet::Row, column: Option<usize>, findings: &mut Findings) -> String {
    read_cell(sheet, row, column, findings, true)
}

/// Reads a cell for people (a name, notes): trimmed; a value that cannot be known is a warning.
fn name_cell(
    sheet: &Sheet,
    row: &sheet::Row,
    column: Option<usize>,
    findings: &mut Findings,
) -> String {
    read_cell(sheet, row, column, findings, false)
}

fn read_cell(
    sheet: &Sheet,
    row: &sheet::Row,
    column: Option<usize>,
    findings: &mut Findings,
    id: bool,
) -> String {
    let Some(c) = column else {
        return String::new();
    };
    let raw = row.cells.get(c).map(String::as_str).unwrap_or("");
    let at = || sheet.cell(c, row.number);
    if let Some(note) = row.note(c) {
        note_finding(note, raw, id, at(), findings);
        if matches!(note, Note::Error(_) | Note::NoCachedValue(_)) {
            return String::new();
        }
    }
    let trimmed = raw.trim();
    if id && trimmed.len() != raw.len() && !trimmed.is_empty() {
        findings.warning(at(), format!("whitespace around `{trimmed}` was trimmed"));
    }
    trimmed.to_string()
}

/// What a cell that was not typed as text means for the mapping.
fn note_finding(note: &Note, text: &str, id: bool, at: String, findings: &mut Findings) {
    let fix = "format the column as Text and type the code again";
    match note {
        Note::Error(e) => {
            let m = format!("the cell holds the spreadsheet error `{e}`, not a value: fix the formula or type the value");
            if id { findings.error(at, m) } else { findings.warning(at, m + "; read as blank") }
        }
        Note::NoCachedValue(f) => {
            let m = format!(
                "the cell holds the formula `{f}` but no calculated value (the file was written by a \
                 program that does not calculate): open it in Excel or LibreOffice and save it again"
            );
            if id { findings.error(at, m) } else { findings.warning(at, m + "; read as blank") }
        }
        Note::Number if id => findings.warning(
            at,
            format!("`{text}` is a number cell: a code with leading zeros (`01`) or many digits does not survive as a number; {fix}"),
        ),
        Note::Date if id => findings.warning(
            at,
            format!("`{text}` is a date cell: the spreadsheet turned what was typed into a date; {fix}"),
        ),
        Note::Bool if id => findings.warning(
            at,
            format!("`{text}` is a TRUE/FALSE cell, not a code; {fix}"),
        ),
        Note::Number | Note::Date | Note::Bool => {}
    }
}

/// Whether a row holds something in the table's columns (`known`); a row that holds
/// something only beyond them (a stray cell, a note) is skipped with a warning naming it.
fn holds_something(
    sheet: &Sheet,
    row: &sheet::Row,
    known: &[usize],
    findings: &mut Findings,
) -> bool {
    let used =
        |c: usize| row.cells.get(c).is_some_and(|t| !t.trim().is_empty()) || row.note(c).is_some();
    if known.iter().any(|&c| used(c)) {
        return true;
    }
    if let Some(c) = (0..row.cells.len()).find(|&c| used(c)) {
        findings.warning(
            sheet.cell(c, row.number),
            format!(
                "the row holds `{}` but nothing in the mapping's columns: ignored",
                row.cells[c].trim()
            ),
        );
    }
    false
}

impl Mapping {
    pub(super) fn read_rows(&mut self, sheet: &Sheet, findings: &mut Findings) {
        let Some((header_index, cols)) =
            header(sheet, column, &[Col::Source, Col::DataElement], findings)
        else {
            no_header(sheet, findings);
            return;
        };
        misspelled_columns(sheet, &sheet.rows[header_index], findings);
        let known: Vec<usize> = cols.values().copied().collect();
        for row in &sheet.rows[header_index + 1..] {
            if !holds_something(sheet, row, &known, findings) {
                continue;
            }
            let get = |col: Col, f: &mut Findings| cell(sheet, row, cols.get(&col).copied(), f);
            let value_type_text = get(Col::ValueType, findings);
            let value_type = if value_type_text.is_empty() {
                None
            } else {
                let vt = ValueType::parse(&value_type_text);
                if vt.is_none() {
                    findings.warning(
                        sheet.cell(cols[&Col::ValueType], row.number),
                        format!("`{value_type_text}` is not a DHIS2 value type; values of this row are not type-checked"),
                    );
                }
                vt
            };
            let enabled_text = get(Col::Enabled, findings);
            let enabled = match enabled_text.to_ascii_lowercase().as_str() {
                "" | "yes" | "y" | "true" | "1" => true,
                "no" | "n" | "false" | "0" => false,
                other => {
                    findings.error(
                        sheet.cell(cols[&Col::Enabled], row.number),
                        format!("`enabled` is `{other}`; write yes or no (blank means yes)"),
                    );
                    false
                }
            };
            self.rows.push(MappingRow {
                row: row.number,
                source: get(Col::Source, findings),
                source_category_option_combo: get(Col::SourceCoc, findings),
                source_attribute_option_combo: get(Col::SourceAoc, findings),
                data_element: get(Col::DataElement, findings),
                category_option_combo: get(Col::Coc, findings),
                attribute_option_combo: get(Col::Aoc, findings),
                data_set: get(Col::DataSet, findings),
                value_type,
                value_type_text,
                enabled,
                program_indicator_name: name_cell(
                    sheet,
                    row,
                    cols.get(&Col::PiName).copied(),
                    findings,
                ),
                data_element_name: name_cell(sheet, row, cols.get(&Col::DeName).copied(), findings),
                exported_data_element: get(Col::Exported, findings),
            });
        }
        if self.rows.is_empty() {
            findings.error(
                sheet.cell(0, sheet.rows[header_index].number),
                "the mapping has a header but no rows below it: nothing would be converted",
            );
        }
        self.columns = cols;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum OuCol {
    Source,
    Target,
}

pub(super) fn read_org_units(sheet: &Sheet, findings: &mut Findings) -> FxHashMap<String, String> {
    let classify = |name: &str| match normalise_name(name).as_str() {
        "source" => Some(OuCol::Source),
        "target" => Some(OuCol::Target),
        _ => None,
    };
    let mut map = FxHashMap::default();
    let Some((header_index, cols)) =
        header(sheet, classify, &[OuCol::Source, OuCol::Target], findings)
    else {
        findings.error(
            sheet.cell(0, 1),
            "no header row with the columns `source` and `target`",
        );
        return map;
    };
    let mut first_row: FxHashMap<String, u32> = FxHashMap::default();
    let known: Vec<usize> = cols.values().copied().collect();
    for row in &sheet.rows[header_index + 1..] {
        if !holds_something(sheet, row, &known, findings) {
            continue;
        }
        let source = cell(sheet, row, Some(cols[&OuCol::Source]), findings);
        let target = cell(sheet, row, Some(cols[&OuCol::Target]), findings);
        if source.is_empty() || target.is_empty() {
            let c = if source.is_empty() {
                OuCol::Source
            } else {
                OuCol::Target
            };
            findings.error(
                sheet.cell(cols[&c], row.number),
                "an org-unit row needs both `source` and `target`",
            );
            continue;
        }
        if let Some(previous) = map.get(&source) {
            if *previous != target {
                findings.error(
                    sheet.cell(cols[&OuCol::Source], row.number),
                    format!(
                        "org unit `{source}` is translated again, differently (first on row {})",
                        first_row[&source]
                    ),
                );
            }
            continue;
        }
        first_row.insert(source.clone(), row.number);
        map.insert(source, target);
    }
    map
}
