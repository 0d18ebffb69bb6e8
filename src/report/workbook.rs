//! The audit workbook of a conversion (`--report`): Summary, Mapping, Unmapped,
//! Duplicates, Left out, Totals. Every text cell is a string cell, never a formula.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use rust_xlsxwriter::Workbook;

use super::Run;
use crate::mapping::COLUMNS;
use crate::period::Date;
use crate::pipeline::DETAIL_CAP;
use crate::xlsx::{self, Cell, add_table};

/// Rows per sheet at most (the Left out sheet holds at most the pipeline's detail cap).
const SHEET_CAP: usize = 100_000;

fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    Date::from_days(days as i64).to_string()
}

fn kv(rows: &mut Vec<Vec<Cell>>, key: &str, value: impl Into<Cell>) {
    rows.push(vec![key.into(), value.into()]);
}

/// Writes the audit workbook to `path`.
pub fn write(path: &str, run: &Run) -> Result<()> {
    let p = run.pipeline;
    let args = run.args;
    let mut wb = Workbook::new();

    // Summary.
    let mut s: Vec<Vec<Cell>> = Vec::new();
    kv(
        &mut s,
        "tool",
        format!("pi2de {}", env!("CARGO_PKG_VERSION")),
    );
    kv(&mut s, "run date (UTC)", today());
    for (i, input) in run.inputs.iter().enumerate() {
        kv(&mut s, &format!("input {}", i + 1), &input.path);
        kv(
            &mut s,
            "  format",
            format!(
                "{}{}",
                input.format.name(),
                match input.compression {
                    crate::read::Compression::None => "",
                    crate::read::Compression::Gzip => " (gzip)",
                    crate::read::Compression::Zip => " (zip)",
                }
            ),
        );
        kv(&mut s, "  sha256", input.sha256.as_deref());
        kv(&mut s, "  values", input.values);
    }
    kv(
        &mut s,
        "mapping",
        run.mapping
            .map(|m| m.path.as_str())
            .unwrap_or("(none: ids passed through)"),
    );
    kv(
        &mut s,
        "--on-duplicate",
        format!("{:?}", args.on_duplicate).to_lowercase(),
    );
    kv(
        &mut s,
        "--on-unmapped",
        format!("{:?}", args.on_unmapped).to_lowercase(),
    );
    kv(
        &mut s,
        "id schemes (DE / COC / AOC / org unit)",
        format!(
            "{} / {} / {} / {}",
            run.schemes.data_element,
            run.schemes.category_option_combo,
            run.schemes.attribute_option_combo,
            run.schemes.org_unit
        ),
    );
    if let Some(c) = &args.comment {
        kv(&mut s, "--comment", c);
    }
    if let Some(t) = &run.target {
        kv(&mut s, "target", t.describe());
        kv(
            &mut s,
            "import date (--as-of)",
            args.as_of.as_deref().unwrap_or("today"),
        );
    }
    for w in &run.warnings {
        kv(&mut s, "warning", w);
    }
    kv(&mut s, "values read", p.read);
    kv(&mut s, "values written", p.written);
    kv(&mut s, "  of which deletions", p.input_deletions());
    kv(&mut s, "values left out", p.left_out_total());
    for (reason, n) in p.left_out_counts() {
        kv(&mut s, &format!("  {}", reason.name()), n);
    }
    kv(
        &mut s,
        "reconciliation",
        format!(
            "read {} = written {} + left out {}: {}",
            p.read,
            p.written,
            p.left_out_total(),
            if p.read == p.written + p.left_out_total() {
                "holds"
            } else {
                "DOES NOT HOLD"
            }
        ),
    );
    kv(&mut s, "keys with different values", p.conflict_count);
    if run.files.is_empty() {
        kv(
            &mut s,
            "output",
            match &run.failure {
                Some(f) => format!("none: {f}"),
                None => "none (dry run)".to_string(),
            },
        );
    }
    for f in &run.files {
        kv(&mut s, "output", &f.path);
        kv(
            &mut s,
            "  format",
            format!(
                "{}{}",
                run.format.name(),
                if run.gzip { " (gzip)" } else { "" }
            ),
        );
        if let Some(ds) = &f.data_set {
            kv(&mut s, "  data set", &ds.id);
        }
        kv(&mut s, "  sha256", f.sha256.as_deref());
        kv(&mut s, "  values", f.values);
        kv(&mut s, "  deletions", f.deletions);
        for line in run.instructions(f) {
            kv(&mut s, "how to import", line);
        }
    }
    kv(
        &mut s,
        "deletions (outside the reconciliation)",
        p.deletion_count(),
    );
    if let Some((path, n)) = &run.complete {
        kv(
            &mut s,
            "completeness",
            format!("{n} registrations in {path}"),
        );
    }
    kv(&mut s, "exit code", u64::from(run.exit_code));
    add_table(&mut wb, "Summary", &["item", "value"], s, usize::MAX)?;

    // Mapping.
    let rows: Vec<Vec<Cell>> = run
        .mapping
        .map(|m| {
            m.rows
                .iter()
                .zip(&p.row_counts)
                .map(|(r, &n)| {
                    let note = match (r.enabled, n) {
                        (false, _) => "disabled",
                        (true, 0) => "carried no values",
                        _ => "",
                    };
                    vec![
                        u64::from(r.row).into(),
                        (&r.source).into(),
                        (&r.program_indicator_name).into(),
                        (&r.source_category_option_combo).into(),
                        (&r.source_attribute_option_combo).into(),
                        (&r.data_element).into(),
                        (&r.data_element_name).into(),
                        (&r.category_option_combo).into(),
                        (&r.attribute_option_combo).into(),
                        (&r.data_set).into(),
                        (&r.value_type_text).into(),
                        (if r.enabled { "yes" } else { "no" }).into(),
                        n.into(),
                        note.into(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let mut headers = vec!["row"];
    headers.extend(COLUMNS.iter().map(|c| c.0).filter(|&c| c != "notes"));
    headers.extend(["values", "note"]);
    add_table(&mut wb, "Mapping", &headers, rows, SHEET_CAP)?;

    // Unmapped.
    let rows = p.unmapped().into_iter().map(|u| {
        vec![
            u.data_element.into(),
            u.category_option_combo.into(),
            u.attribute_option_combo.into(),
            u.count.into(),
            u.example.into(),
        ]
    });
    add_table(
        &mut wb,
        "Unmapped",
        &[
            "dataElement (as exported)",
            "categoryOptionCombo",
            "attributeOptionCombo",
            "values",
            "first seen",
        ],
        rows,
        SHEET_CAP,
    )?;

    // Duplicates.
    let rows = p.conflicts.iter().flat_map(|c| {
        c.sources.iter().map(move |src| {
            vec![
                (&c.key.data_element).into(),
                (&c.key.period).into(),
                (&c.key.org_unit).into(),
                (&c.key.category_option_combo).into(),
                (&c.key.attribute_option_combo).into(),
                (&src.data_element).into(),
                (&src.category_option_combo).into(),
                (&src.org_unit).into(),
                (&src.value).into(),
                (&src.input).into(),
                src.record.into(),
                (&c.resolution).into(),
                c.written.as_deref().into(),
            ]
        })
    });
    add_table(
        &mut wb,
        "Duplicates",
        &[
            "dataElement",
            "period",
            "orgUnit",
            "categoryOptionCombo",
            "attributeOptionCombo",
            "source",
            "source COC",
            "source orgUnit",
            "value",
            "input",
            "value number",
            "resolution",
            "written",
        ],
        rows,
        SHEET_CAP,
    )?;

    // Left out.
    let mut rows: Vec<Vec<Cell>> = p
        .left_out
        .iter()
        .map(|l| {
            vec![
                l.reason.into(),
                (&l.detail).into(),
                (&l.input).into(),
                l.line.map_or(Cell::Empty, Cell::from),
                l.record.into(),
                (&l.data_element).into(),
                (&l.period).into(),
                (&l.org_unit).into(),
                (&l.category_option_combo).into(),
                (&l.attribute_option_combo).into(),
                l.value.as_deref().into(),
            ]
        })
        .collect();
    if p.left_out_capped() {
        rows.push(vec![format!(
            "… only the first {DETAIL_CAP} left-out values are listed; the Summary sheet counts all of them by reason"
        ).into()]);
    }
    add_table(
        &mut wb,
        "Left out",
        &[
            "reason",
            "detail",
            "input",
            "line",
            "value number",
            "dataElement",
            "period",
            "orgUnit",
            "categoryOptionCombo",
            "attributeOptionCombo",
            "value",
        ],
        rows,
        usize::MAX,
    )?;

    // Totals.
    let totals = p.totals();
    let rows = totals.into_iter().map(|t| {
        vec![
            t.data_element.into(),
            t.category_option_combo.into(),
            t.period.into(),
            t.values.into(),
            Cell::Number(t.sum),
            t.non_numeric.into(),
        ]
    });
    add_table(
        &mut wb,
        "Totals",
        &[
            "dataElement",
            "categoryOptionCombo",
            "period",
            "values",
            "sum",
            "non-numeric values",
        ],
        rows,
        SHEET_CAP,
    )?;

    // Deletions.
    let rows = p.deletion_list().into_iter().map(|d| {
        let k = d.key;
        vec![
            k.data_element.into(),
            k.period.into(),
            k.org_unit.into(),
            k.category_option_combo.into(),
            k.attribute_option_combo.into(),
            d.value.into(),
            d.data_set.as_deref().into(),
            d.source.into(),
        ]
    });
    add_table(
        &mut wb,
        "Deletions",
        &[
            "dataElement",
            "period",
            "orgUnit",
            "categoryOptionCombo",
            "attributeOptionCombo",
            "value",
            "dataSet",
            "source",
        ],
        rows,
        SHEET_CAP,
    )?;

    xlsx::save(&mut wb, path)
}
