//! The audit workbook's Mapping sheet (each mapping row with what it did in the run: values
//! matched, written, left out and why, its findings) and its Mapping findings sheet.

use anyhow::Result;
use rust_xlsxwriter::Workbook;

use super::Run;
use super::workbook::SHEET_CAP;
use crate::mapping::{COLUMNS, MappingRow};
use crate::xlsx::{Columns, Print, add_table, add_table_printing, headers, rows};

/// A mapping row with what it did in this run.
struct MappingLine<'a> {
    row: &'a MappingRow,
    matched: u64,
    written: u64,
    /// Why the first of its values left out was left out (merged duplicates aside).
    reason: Option<crate::convert::Reason>,
    /// The mapping's findings on the row, a line each.
    findings: String,
}

impl MappingLine<'_> {
    fn left_out(&self) -> u64 {
        self.matched.saturating_sub(self.written)
    }

    /// Why its values were left out, or that it carried none.
    fn because(&self) -> String {
        let why = match (self.reason, self.left_out()) {
            (_, 0) => None,
            (Some(r), _) => Some(r.name()),
            (None, _) => Some("duplicate"),
        };
        let all = self.written == 0 && self.matched > 0;
        match (self.row.enabled, self.matched, why) {
            (false, _, _) => "disabled".into(),
            (true, 0, _) => "carried no values".into(),
            (true, _, Some(why)) if all => format!("{why} (every value)"),
            (true, _, Some(why)) => why.into(),
            _ => String::new(),
        }
    }
}

pub(super) fn mapping_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    // What each row did first (what prints), then the row's ids as the mapping has them.
    let table: &Columns<MappingLine> = &[
        ("row", |l| u64::from(l.row.row).into()),
        ("programIndicatorName", |l| {
            (&l.row.program_indicator_name).into()
        }),
        ("dataElementName", |l| (&l.row.data_element_name).into()),
        ("values matched", |l| l.matched.into()),
        ("written", |l| l.written.into()),
        ("left out", |l| l.left_out().into()),
        ("left out because", |l| l.because().into()),
        ("findings", |l| (&l.findings).into()),
        ("programIndicator", |l| (&l.row.source).into()),
        ("sourceCategoryOptionCombo", |l| {
            (&l.row.source_category_option_combo).into()
        }),
        ("sourceAttributeOptionCombo", |l| {
            (&l.row.source_attribute_option_combo).into()
        }),
        ("dataElement", |l| (&l.row.data_element).into()),
        ("categoryOptionCombo", |l| {
            (&l.row.category_option_combo).into()
        }),
        ("attributeOptionCombo", |l| {
            (&l.row.attribute_option_combo).into()
        }),
        ("dataSet", |l| (&l.row.data_set).into()),
        ("valueType", |l| (&l.row.value_type_text).into()),
        ("enabled", |l| {
            (if l.row.enabled { "yes" } else { "no" }).into()
        }),
        ("exportedDataElement", |l| {
            (&l.row.exported_data_element).into()
        }),
    ];
    // The printed columns fit a landscape page at the smallest print scale.
    const PRINTED: Print = Print {
        columns: 8,
        max_width: 40,
    };
    // Every column of the mapping is here, named as the mapping names it (the notes aside).
    debug_assert!(
        COLUMNS
            .iter()
            .filter(|c| c.name != "notes")
            .all(|c| table.iter().any(|(h, _)| *h == c.name))
    );
    let Some(m) = run.facts.mapping else {
        add_table_printing(wb, "Mapping", &headers(table), [], 0, PRINTED)?;
        return Ok(());
    };
    let converted = run.entries.converted;
    let written = converted.written_by_row(m.rows.len());
    let ledger = &converted.ledger;
    // Each finding under the sheet row its cell is in, read once.
    let mut findings: rustc_hash::FxHashMap<u32, String> = Default::default();
    for f in &m.findings {
        if let Some(r) = f.row() {
            let text = findings.entry(r).or_default();
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("{}: {}", f.severity_name(), f.message));
        }
    }
    let items = m.rows.iter().enumerate().map(|(i, row)| MappingLine {
        row,
        matched: ledger.row_counts.get(i).copied().unwrap_or(0),
        written: written.get(i).copied().unwrap_or(0),
        reason: ledger.row_reasons.get(i).copied().flatten(),
        findings: findings.remove(&row.row).unwrap_or_default(),
    });
    add_table_printing(
        wb,
        "Mapping",
        &headers(table),
        rows(table, items),
        SHEET_CAP,
        PRINTED,
    )?;
    Ok(())
}

/// The mapping's findings (its own, and those against the target metadata), each with its cell.
pub(super) fn findings_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let table: &Columns<&crate::mapping::Finding> = &[
        ("severity", |f| f.severity_name().into()),
        ("cell", |f| (&f.cell).into()),
        ("finding", |f| (&f.message).into()),
    ];
    let findings = run.facts.mapping.map_or(&[][..], |m| &m.findings[..]);
    add_table(
        wb,
        "Mapping findings",
        &headers(table),
        rows(table, findings.iter()),
        SHEET_CAP,
    )?;
    Ok(())
}
