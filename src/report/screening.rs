//! The audit workbook's data-quality sheets: totals per period of each data set against the
//! HMIS's history, and the values screened as outliers or outside min-max (`--history`,
//! `--min-max`), each with its chart.

use anyhow::Result;
use rust_xlsxwriter::Workbook;

use super::Run;
use crate::ids::{Id, KeyText};
use crate::policy::outliers::{OutOfBounds, Outlier};
use crate::xlsx::{Cell, ColumnChart, Columns, add_table, headers, rows};
use rustc_hash::{FxHashMap, FxHashSet};

/// A row that names a key.
trait Keyed {
    fn key(&self) -> &KeyText;
}

impl Keyed for Outlier {
    fn key(&self) -> &KeyText {
        &self.key
    }
}

impl Keyed for OutOfBounds {
    fn key(&self) -> &KeyText {
        &self.key
    }
}

/// Column `i` of the key (data element, period, org unit, COC, AOC) of a keyed row.
fn key_column<T: Keyed>(i: usize) -> (&'static str, fn(&&T) -> Cell) {
    const NAMES: [&str; 5] = [
        "dataElement",
        "period",
        "orgUnit",
        "categoryOptionCombo",
        "attributeOptionCombo",
    ];
    let cells: [fn(&&T) -> Cell; 5] = [
        |r| (&r.key().data_element).into(),
        |r| (&r.key().period).into(),
        |r| (&r.key().org_unit).into(),
        |r| (&r.key().category_option_combo).into(),
        |r| (&r.key().attribute_option_combo).into(),
    ];
    (NAMES[i], cells[i])
}

/// Per data set and period, the numeric values the transfer writes summed, beside the HMIS's
/// history of the same data elements (`--history`), with a chart per data set.
pub(super) fn by_period_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    use std::collections::BTreeMap;
    let c = run.entries.converted;
    // Summed by interned ids (no text per value), turned into text for the table at the end.
    let mut transfer: FxHashMap<(Id, Id), f64> = FxHashMap::default();
    let mut elements: FxHashMap<Id, FxHashSet<Id>> = FxHashMap::default();
    for (_, s) in c
        .values()
        .filter(|(_, s)| !s.deletes() && !s.data_set.is_empty())
    {
        let Ok(x) = c.value_text(&s).trim().parse::<f64>() else {
            continue;
        };
        *transfer.entry((s.data_set, s.key.period)).or_insert(0.0) += x;
        elements
            .entry(s.data_set)
            .or_default()
            .insert(s.key.data_element);
    }
    let mut table: BTreeMap<(String, String), (Option<f64>, Option<f64>)> = BTreeMap::new();
    for ((ds, pe), x) in &transfer {
        let key = (c.text(*ds).to_string(), c.text(*pe).to_string());
        table.entry(key).or_default().0 = Some(*x);
    }
    let history = run.facts.screening.as_ref().map(|s| &s.history_totals);
    for ((de, pe), x) in history.into_iter().flatten() {
        for (ds, des) in &elements {
            if des.contains(de) {
                let e = table
                    .entry((c.text(*ds).to_string(), pe.clone()))
                    .or_default();
                e.1 = Some(e.1.unwrap_or(0.0) + x);
            }
        }
    }
    if table.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<Cell>> = table
        .iter()
        .map(|((ds, pe), (t, h))| {
            let n = |x: &Option<f64>| x.map_or(Cell::Empty, Cell::Number);
            vec![Cell::from(ds.as_str()), Cell::from(pe.as_str()), n(t), n(h)]
        })
        .collect();
    let name = "Totals by period";
    let sheet = add_table(
        wb,
        name,
        &["dataSet", "period", "transfer", "HMIS history"],
        rows,
        usize::MAX,
    )?;
    // One chart per data set, over its rows (the table is sorted by data set, then period).
    let mut start = 1u32;
    let mut at = table.len() as u32 + 2;
    let keys: Vec<&String> = table.keys().map(|(ds, _)| ds).collect();
    for (i, ds) in keys.iter().enumerate() {
        let last = keys.get(i + 1).is_none_or(|next| next != ds);
        if !last {
            continue;
        }
        let end = i as u32 + 1;
        let title = format!("{ds}: totals per period");
        let series: &[(&str, u16)] = if history.is_some() {
            &[("transfer", 2), ("HMIS history", 3)]
        } else {
            &[("transfer", 2)]
        };
        ColumnChart {
            title: &title,
            sheet_name: name,
            rows: (start, end),
            categories: 1,
            series,
            at: (at, 0),
        }
        .insert(sheet)?;
        at += 17;
        start = end + 1;
    }
    Ok(())
}

/// The values written that score as outliers against the HMIS's history (`--history`).
pub(super) fn outliers_sheet(wb: &mut Workbook, run: &Run) -> Result<()> {
    let Some(s) = &run.facts.screening else {
        return Ok(());
    };
    let table: &Columns<&Outlier> = &[
        key_column::<Outlier>(0),
        key_column::<Outlier>(1),
        key_column::<Outlier>(2),
        key_column::<Outlier>(3),
        key_column::<Outlier>(4),
        ("value", |o| Cell::Number(o.value)),
        ("mean or median", |o| Cell::Number(o.score.middle)),
        ("sd or MAD", |o| Cell::Number(o.score.spread)),
        ("score", |o| Cell::Number(o.score.score)),
        ("lower bound", |o| Cell::Number(o.score.lower)),
        ("upper bound", |o| Cell::Number(o.score.upper)),
        ("values in the statistics", |o| (o.values as u64).into()),
        ("label", |o| {
            let k = &o.key;
            format!(
                "{} {} {} {}",
                k.data_element, k.category_option_combo, k.period, k.org_unit
            )
            .into()
        }),
    ];
    let sheet = add_table(
        wb,
        "Outliers",
        &headers(table),
        rows(table, s.outliers.iter()),
        100_000,
    )?;
    // Each outlier against what its history expects (mean or median, upper bound).
    let n = s.outliers.len().min(100_000) as u32;
    if n > 0 {
        ColumnChart {
            title: "Outliers against their history",
            sheet_name: "Outliers",
            rows: (1, n.min(40)),
            categories: 12,
            series: &[("value", 5), ("mean or median", 6), ("upper bound", 10)],
            at: (n + 2, 0),
        }
        .insert(sheet)?;
    }
    if !s.out_of_bounds.is_empty() {
        let table: &Columns<&OutOfBounds> = &[
            key_column::<OutOfBounds>(0),
            key_column::<OutOfBounds>(1),
            key_column::<OutOfBounds>(2),
            key_column::<OutOfBounds>(3),
            key_column::<OutOfBounds>(4),
            ("value", |o| Cell::Number(o.value)),
            ("min", |o| Cell::Number(o.min)),
            ("max", |o| Cell::Number(o.max)),
        ];
        let all = rows(table, s.out_of_bounds.iter());
        add_table(wb, "Outside min-max", &headers(table), all, 100_000)?;
    }
    Ok(())
}
