//! The audit workbook of a conversion (`--report`): Summary, Mapping, Unmapped, Duplicates,
//! Left out, Totals, Deletions. Every text cell is a string cell, never a formula.

use anyhow::{Context, Result};
use rust_xlsxwriter::Workbook;

use super::DeletionRow;
use super::Run;
use crate::convert::duplicates::{Conflict, ConflictSource};
use crate::convert::ledger::{DETAIL_CAP, LeftOut, Unmapped};
use crate::policy::totals::{Total, not_additive, totals};
use crate::policy::validation::{Skipped, Violation};
use crate::read::Compression;
use crate::value::ValueType;
use crate::xlsx::{Cell, ColumnChart, Columns, add_table, headers, rows};

/// Rows per sheet at most (the Left out sheet holds at most the ledger's detail cap).
pub(super) const SHEET_CAP: usize = 100_000;

type Rows = Vec<Vec<Cell>>;

fn kv(rows: &mut Rows, key: &str, value: impl Into<Cell>) {
    rows.push(vec![key.into(), value.into()]);
}

/// The audit workbook, built in memory.
pub fn bytes(run: &Run) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let (now, now_text) = crate::xlsx::now_utc();
    let mut s = Rows::new();
    summary_run(&mut s, run, now);
    summary_counts(&mut s, run);
    summary_outputs(&mut s, run);
    let last = s.len() as u32;
    let summary = add_table(&mut wb, "Summary", &["item", "value"], s, usize::MAX)?;
    sign_off(summary, last + 2)?;
    super::mapping_sheet::mapping_sheet(&mut wb, run)?;
    super::mapping_sheet::findings_sheet(&mut wb, run)?;
    unmapped_sheet(&mut wb, run)?;
    duplicates_sheet(&mut wb, run)?;
    left_out_sheet(&mut wb, run)?;
    totals_sheet(&mut wb, run)?;
    super::screening::by_period_sheet(&mut wb, run)?;
    deletions_sheet(&mut wb, run)?;
    validation_sheet(&mut wb, run)?;
    periods_sheet(&mut wb, run)?;
    super::screening::outliers_sheet(&mut wb, run)?;
    reasons_sheet(&mut wb, run)?;
    let output = match run.files.as_slice() {
        [] => "no output".to_string(),
        [one] => one.path.clone(),
        [first, more @ ..] => format!("{} and {} more", first.path, more.len()),
    };
    let title = format!("conversion to {output} · run {now_text}");
    crate::xlsx::finish(&mut wb, &title).context("--report")
}

/// Lines for who prepared, reviewed and approved the transfer, from row `at` of the Summary.
fn sign_off(sheet: &mut rust_xlsxwriter::Worksheet, at: u32) -> Result<()> {
    use rust_xlsxwriter::{Format, FormatBorder};
    let bold = Format::new().set_bold();
    let line = Format::new().set_border_bottom(FormatBorder::Thin);
    sheet.write_string_with_format(at, 0, "Sign-off", &bold)?;
    let roles = [
        "prepared by (name, date)",
        "reviewed by (name, date)",
        "approved for import (name, date)",
    ];
    for (i, role) in (1u32..).zip(roles) {
        sheet.write_string(at + i, 0, role)?;
        sheet.write_blank(at + i, 1, &line)?;
        sheet.set_row_height(at + i, 30)?;
    }
    Ok(())
}

/// The tool, the inputs, the mapping and the options.
fn summary_run(s: &mut Rows, run: &Run, now: i64) {
    let config = run.config;
    kv(s, "tool", format!("pi2de {}", env!("CARGO_PKG_VERSION")));
    kv(s, "run at (UTC)", Cell::DateTime(now));
    for (i, input) in run.inputs.iter().enumerate() {
        kv(s, &format!("input {}", i + 1), &input.path);
        let compression = match input.compression {
            Compression::None => "",
            Compression::Gzip => " (gzip)",
            Compression::Zip => " (zip)",
        };
        kv(
            s,
            "  format",
            format!("{}{compression}", input.format.name()),
        );
        kv(s, "  sha256", input.sha256.as_deref());
        kv(s, "  values", input.values);
    }
    let mapping = run
        .facts
        .mapping
        .map_or("(none: ids passed through)", |m| m.path.as_str());
    kv(s, "mapping", mapping);
    if run.facts.mapping.is_some() {
        kv(s, "  sha256", run.facts.mapping_sha256.as_deref());
    }
    if let Some(meta) = &config.target_metadata {
        kv(s, "target metadata", meta.as_str());
        kv(s, "  sha256", run.facts.metadata_sha256.as_deref());
    }
    kv(s, "--on-duplicate", config.on_duplicate.name());
    kv(
        s,
        "--on-unmapped",
        if config.fail_on_unmapped {
            "fail"
        } else {
            "skip"
        },
    );
    kv(s, "calendar (--calendar)", config.calendar.name());
    let sc = run.schemes;
    kv(
        s,
        "id schemes (DE / COC / AOC / org unit)",
        format!(
            "{} / {} / {} / {}",
            sc.data_element, sc.category_option_combo, sc.attribute_option_combo, sc.org_unit
        ),
    );
    if let Some(c) = &config.comment {
        kv(s, "--comment", c);
    }
    if let Some(t) = &run.facts.target {
        kv(s, "target", t.describe());
        kv(
            s,
            "import date (--as-of)",
            config.as_of_text.as_deref().unwrap_or("today"),
        );
    }
    for w in &run.facts.warnings {
        kv(s, "warning", w);
    }
}

/// The reconciliation, by reason.
fn summary_counts(s: &mut Rows, run: &Run) {
    let c = run.entries.converted;
    let (read, written, left) = (c.ledger.read, c.written(), c.ledger.left_total());
    kv(s, "values read", read);
    kv(s, "values written", written);
    kv(s, "  of which deletions", c.input_deletions());
    kv(s, "values left out", left);
    for (reason, n) in c.ledger.counts() {
        kv(s, &format!("  {}", reason.name()), n);
    }
    let holds = if read == written + left {
        "holds"
    } else {
        "DOES NOT HOLD"
    };
    kv(
        s,
        "reconciliation",
        format!("read {read} = written {written} + left out {left}: {holds}"),
    );
    kv(s, "keys with different values", c.conflict_count());
}

/// The output files and how to import them.
fn summary_outputs(s: &mut Rows, run: &Run) {
    if run.files.is_empty() {
        let none = match &run.failure {
            Some(f) => format!("none: {f}"),
            None => "none (dry run)".to_string(),
        };
        kv(s, "output", none);
    }
    for f in &run.files {
        kv(s, "output", &f.path);
        let gzip = if run.gzip() { " (gzip)" } else { "" };
        kv(s, "  format", format!("{}{gzip}", run.config.format.name()));
        if let Some(ds) = &f.data_set {
            kv(s, "  data set", &ds.id);
        }
        kv(s, "  sha256", f.sha256.as_deref());
        kv(s, "  values", f.values);
        if f.zeros > 0 {
            kv(s, "  of which zero-filled", f.zeros);
        }
        kv(s, "  deletions", f.deletions);
        for line in run.instructions(f) {
            kv(s, "how to import", line);
        }
    }
    kv(
        s,
        "deletions (outside the reconciliation)",
        run.entries.deletions.len() as u64,
    );
    if let Some((path, r)) = &run.complete {
        kv(
            s,
            "completeness",
            format!("{} registrations in {path}", r.len()),
        );
        let lacking = r.iter().filter(|r| !r.missing.is_empty()).count();
        if lacking > 0 {
            kv(s, "  lacking compulsory values", lacking as u64);
        }
    }
    kv(s, "exit code", u64::from(run.exit_code.code()));
}

fn unmapped_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let table: &Columns<Unmapped> = &[
        ("dataElement (as exported)", |u| (&u.data_element).into()),
        ("categoryOptionCombo", |u| (&u.category_option_combo).into()),
        ("attributeOptionCombo", |u| {
            (&u.attribute_option_combo).into()
        }),
        ("values", |u| u.count.into()),
        ("first seen", |u| (&u.example).into()),
    ];
    let items = run.entries.converted.unmapped();
    add_table(
        wb,
        "Unmapped",
        &headers(table),
        rows(table, items),
        SHEET_CAP,
    )?;
    Ok(())
}

fn duplicates_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    type Row<'a> = (&'a Conflict, &'a ConflictSource);
    let table: &Columns<Row> = &[
        ("dataElement", |(c, _)| (&c.key.data_element).into()),
        ("period", |(c, _)| (&c.key.period).into()),
        ("orgUnit", |(c, _)| (&c.key.org_unit).into()),
        ("categoryOptionCombo", |(c, _)| {
            (&c.key.category_option_combo).into()
        }),
        ("attributeOptionCombo", |(c, _)| {
            (&c.key.attribute_option_combo).into()
        }),
        ("source", |(_, s)| (&s.data_element).into()),
        ("source COC", |(_, s)| (&s.category_option_combo).into()),
        ("source orgUnit", |(_, s)| (&s.org_unit).into()),
        ("value", |(_, s)| Cell::value(&s.value)),
        ("input", |(_, s)| (&s.input).into()),
        ("value number", |(_, s)| s.record.into()),
        ("resolution", |(c, _)| (&c.resolution).into()),
        ("written", |(c, _)| {
            c.written.as_deref().map_or(Cell::Empty, Cell::value)
        }),
    ];
    let conflicts = run.entries.converted.conflicts();
    let items = conflicts
        .iter()
        .flat_map(|c| c.sources.iter().map(move |s| (c, s)));
    add_table(
        wb,
        "Duplicates",
        &headers(table),
        rows(table, items),
        SHEET_CAP,
    )?;
    Ok(())
}

/// Each period of the values in scope with its ISO dates: in a non-ISO calendar the id alone
/// does not say when it was.
fn periods_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let table: &Columns<&crate::period::Period> = &[
        ("period", |p| (&p.id).into()),
        ("periodType", |p| p.period_type.name().into()),
        ("start (ISO)", |p| p.start.to_string().into()),
        ("end (ISO)", |p| p.end.to_string().into()),
    ];
    let periods = run.periods();
    add_table(
        wb,
        "Periods",
        &headers(table),
        rows(table, periods.iter()),
        usize::MAX,
    )?;
    Ok(())
}

fn left_out_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let table: &Columns<&LeftOut> = &[
        ("reason", |l| l.reason.into()),
        ("detail", |l| (&l.detail).into()),
        ("input", |l| (&l.input).into()),
        ("line", |l| l.line.map_or(Cell::Empty, Cell::from)),
        ("value number", |l| l.record.into()),
        ("dataElement", |l| (&l.key.data_element).into()),
        ("period", |l| (&l.key.period).into()),
        ("orgUnit", |l| (&l.key.org_unit).into()),
        ("categoryOptionCombo", |l| {
            (&l.key.category_option_combo).into()
        }),
        ("attributeOptionCombo", |l| {
            (&l.key.attribute_option_combo).into()
        }),
        ("value", |l| {
            l.value.as_deref().map_or(Cell::Empty, Cell::value)
        }),
    ];
    let ledger = &run.entries.converted.ledger;
    let note = ledger.capped().then(|| {
        vec![Cell::from(format!(
            "… only the first {DETAIL_CAP} left-out values are listed; the Summary sheet counts all of them by reason"
        ))]
    });
    let all = rows(table, ledger.details()).chain(note);
    add_table(wb, "Left out", &headers(table), all, usize::MAX)?;
    Ok(())
}

fn totals_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let kind = |de: &str| {
        let row_type = run
            .facts
            .mapping
            .and_then(|m| m.rows.iter().find(|r| r.data_element == de))
            .and_then(|r| r.value_type);
        let element = run
            .facts
            .metadata
            .and_then(|m| m.data_element(de))
            .map(|(d, _)| d);
        let meta_type = element
            .and_then(|d| d.value_type.as_deref())
            .and_then(ValueType::parse);
        let aggregation = element.and_then(|d| d.aggregation_type.as_deref());
        not_additive(row_type.or(meta_type), aggregation)
    };
    let table: &Columns<Total> = &[
        ("dataElement", |t| (&t.data_element).into()),
        ("categoryOptionCombo", |t| (&t.category_option_combo).into()),
        ("period", |t| (&t.period).into()),
        ("values", |t| t.values.into()),
        ("sum", |t| t.sum.map_or(Cell::Empty, Cell::Number)),
        ("non-numeric values", |t| t.non_numeric.into()),
        ("not summed because", |t| t.not_summed.as_deref().into()),
    ];
    let items = totals(run.entries.converted, kind);
    add_table(wb, "Totals", &headers(table), rows(table, items), SHEET_CAP)?;
    Ok(())
}

fn deletions_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let table: &Columns<DeletionRow> = &[
        ("dataElement", |d| (&d.key.data_element).into()),
        ("period", |d| (&d.key.period).into()),
        ("orgUnit", |d| (&d.key.org_unit).into()),
        ("categoryOptionCombo", |d| {
            (&d.key.category_option_combo).into()
        }),
        ("attributeOptionCombo", |d| {
            (&d.key.attribute_option_combo).into()
        }),
        ("value", |d| (&d.value).into()),
        ("dataSet", |d| d.data_set.as_deref().into()),
        ("source", |d| d.source.into()),
    ];
    let all = rows(table, run.deletion_rows());
    add_table(wb, "Deletions", &headers(table), all, SHEET_CAP)?;
    Ok(())
}

fn validation_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let Some(v) = &run.facts.validation else {
        return Ok(());
    };
    /// A rule violated, or one that could not be evaluated.
    enum Line<'a> {
        Violation(&'a Violation),
        Skipped(&'a Skipped),
    }
    use Line::{Skipped as S, Violation as V};
    fn number(x: Option<f64>) -> Cell {
        x.map_or(Cell::Empty, Cell::Number)
    }
    let table: &Columns<Line> = &[
        ("result", |l| {
            (if matches!(l, V(_)) {
                "violation"
            } else {
                "not evaluated"
            })
            .into()
        }),
        ("rule", |l| match l {
            V(x) => (&x.rule).into(),
            S(x) => (&x.rule).into(),
        }),
        ("name", |l| match l {
            V(x) => (&x.name).into(),
            S(x) => (&x.name).into(),
        }),
        ("fails as", |l| violation(l, |x| x.failure().into())),
        ("importance", |l| violation(l, |x| (&x.importance).into())),
        ("orgUnit", |l| violation(l, |x| (&x.org_unit).into())),
        ("period", |l| violation(l, |x| (&x.period).into())),
        ("attributeOptionCombo", |l| {
            violation(l, |x| (&x.attribute_option_combo).into())
        }),
        ("left", |l| violation(l, |x| number(x.left))),
        ("operator", |l| violation(l, |x| (&x.operator).into())),
        ("right", |l| violation(l, |x| number(x.right))),
        ("reason", |l| match l {
            V(_) => Cell::Empty,
            S(x) => (&x.reason).into(),
        }),
    ];
    /// A violation's cell; empty for a rule not evaluated.
    fn violation(l: &Line, cell: fn(&Violation) -> Cell) -> Cell {
        match l {
            V(x) => cell(x),
            S(_) => Cell::Empty,
        }
    }
    let items = v.violations.iter().map(V).chain(v.skipped.iter().map(S));
    add_table(
        wb,
        "Validation",
        &headers(table),
        rows(table, items),
        SHEET_CAP,
    )?;
    Ok(())
}

/// Each reason a value can be left out for, in a sentence, with this run's count.
fn reasons_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let counts: Vec<(crate::convert::Reason, u64)> =
        run.entries.converted.ledger.counts().collect();
    let n = counts.len() as u32;
    let rows = counts
        .iter()
        .map(|&(r, n)| vec![Cell::from(r.name()), n.into(), Cell::from(r.explain())]);
    let sheet = add_table(
        wb,
        "Reasons",
        &["reason", "values", "what it means"],
        rows,
        usize::MAX,
    )?;
    // The values left out by reason, as a picture beside the table.
    ColumnChart {
        title: "Values left out, by reason",
        sheet_name: "Reasons",
        rows: (1, n),
        categories: 0,
        series: &[("values", 1)],
        at: (n + 2, 0),
    }
    .insert(sheet)
}
