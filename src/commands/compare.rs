//! `pi2de compare TRANSFER... --with CURRENT...`: what importing the transfer will change in the
//! HMIS, key by key ([`crate::compare`]): counts on the console, the changes as CSV (`-o`), JSON
//! (`--summary`) and a workbook with totals per data element × period (`--report`). Exit 0
//! when the transfer changes nothing, 1 when it changes something, 2 when a file cannot be read.

use crate::words::count;
use std::io::Write;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::cli::CompareArgs;
use crate::compare::{Class, Comparison, Transfer};
use crate::convert::ledger::DETAIL_CAP;
use crate::exit_codes::ExitCode;
use crate::read;
use crate::write::Staging;
use crate::xlsx::{Cell, ColumnChart, add_table};

const KEY_COLUMNS: [&str; 5] = [
    "dataElement",
    "period",
    "orgUnit",
    "categoryOptionCombo",
    "attributeOptionCombo",
];

pub fn run(args: &CompareArgs) -> Result<ExitCode> {
    check_paths(args)?;
    let (transfer, _) = read::read_inputs(&args.transfer, None, false, None, Transfer::default)?;
    if transfer.values.is_empty() {
        bail!(
            "{}: no data values in the transfer",
            args.transfer.join(", ")
        );
    }
    let (comparison, _) =
        read::read_inputs(&args.with, None, false, None, || Comparison::new(&transfer))?;
    let c = comparison.finish();
    let changed = Class::ALL
        .iter()
        .any(|&k| k != Class::Unchanged && c.count(k) > 0);
    let code = if changed {
        ExitCode::LeftOut
    } else {
        ExitCode::Success
    };
    let mut staging = Staging::default();
    if let Some(path) = &args.output {
        staging.bytes(path, &changes_csv(&c)?).context("-o")?;
    }
    if let Some(path) = &args.summary {
        let text = serde_json::to_string_pretty(&summary(&c, &transfer, code))? + "\n";
        staging.bytes(path, text.as_bytes()).context("--summary")?;
    }
    if let Some(path) = &args.report {
        staging
            .bytes(path, &workbook(&c, args)?)
            .context("--report")?;
    }
    staging.commit()?;
    if !args.quiet {
        print(&c)?;
    }
    Ok(code)
}

fn check_paths(args: &CompareArgs) -> Result<()> {
    if let Some(report) = &args.report {
        crate::write::check_xlsx(report, "--report")?;
    }
    let mut paths = crate::write::Registry::default();
    for t in &args.transfer {
        paths.read("the transfer", t);
    }
    for w in &args.with {
        paths.read("--with", w);
    }
    paths.console(args.quiet)?;
    paths.write_all(&[
        ("-o", args.output.as_deref()),
        ("--summary", args.summary.as_deref()),
        ("--report", args.report.as_deref()),
    ])
}

fn print(c: &Comparison) -> std::io::Result<()> {
    let mut o = crate::term::stdout();
    let n = |k| c.count(k);
    writeln!(
        o,
        "pi2de compare: {} new, {} changed, {} unchanged, {} deleted, {} only in the HMIS",
        n(Class::New),
        n(Class::Changed),
        n(Class::Unchanged),
        n(Class::Deleted),
        n(Class::OnlyInHmis)
    )?;
    for ch in c
        .changes
        .iter()
        .filter(|ch| ch.class == Class::Changed)
        .take(5)
    {
        writeln!(
            o,
            "  changed {}: HMIS {} → transfer {}",
            ch.key,
            ch.hmis.as_deref().unwrap_or(""),
            ch.transfer.as_deref().unwrap_or("")
        )?;
    }
    if c.count(Class::OnlyInHmis) > 0 {
        writeln!(
            o,
            "  {} of the transfer's data elements, periods and org units not \
             in the transfer (entered by hand, or stale): see -o or --report",
            count(c.count(Class::OnlyInHmis), "HMIS value")
        )?;
    }
    if c.out_of_scope > 0 {
        writeln!(
            o,
            "  {} outside the transfer's scope not compared",
            count(c.out_of_scope, "HMIS value")
        )?;
    }
    Ok(())
}

fn summary(c: &Comparison, transfer: &Transfer, code: ExitCode) -> Value {
    let mut counts: serde_json::Map<String, Value> = Class::ALL
        .iter()
        .map(|&k| (k.name().to_string(), json!(c.count(k))))
        .collect();
    counts.insert("outOfScope".into(), json!(c.out_of_scope));
    counts.insert("deletesNothing".into(), json!(c.deletes_nothing));
    counts.insert("repeatedInTransfer".into(), json!(transfer.repeated));
    let changes: Vec<Value> = c
        .changes
        .iter()
        .take(DETAIL_CAP)
        .map(|ch| {
            let n = &ch.hmis_note;
            json!({ "key": ch.key, "transfer": ch.transfer, "hmis": ch.hmis, "class": ch.class,
                "what": ch.what, "hmisComment": n.comment, "hmisFollowup": n.followup,
                "storedBy": n.stored_by, "lastUpdated": n.last_updated })
        })
        .collect();
    json!({
        "tool": format!("pi2de {}", env!("CARGO_PKG_VERSION")),
        "counts": counts,
        "changes": changes,
        "changesCapped": c.changes.len() > DETAIL_CAP,
        "exitCode": code.code(),
    })
}

/// Every change as CSV (UTF-8 with a byte-order mark, for Excel).
fn changes_csv(c: &Comparison) -> Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut row = |fields: &[&str]| -> std::io::Result<()> {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            crate::write::csv::people_field(&mut out, f)?;
        }
        out.write_all(b"\n")
    };
    let mut header = vec!["class"];
    header.extend(KEY_COLUMNS);
    header.extend([
        "transferValue",
        "hmisValue",
        "what",
        "hmisComment",
        "hmisFollowup",
        "storedBy",
        "lastUpdated",
    ]);
    row(&header)?;
    for ch in &c.changes {
        let mut fields = vec![ch.class.name()];
        fields.extend(ch.key.fields());
        fields.push(ch.transfer.as_deref().unwrap_or(""));
        fields.push(ch.hmis.as_deref().unwrap_or(""));
        let n = &ch.hmis_note;
        fields.push(ch.what);
        fields.push(n.comment.as_deref().unwrap_or(""));
        fields.push(if n.followup { "true" } else { "false" });
        fields.push(n.stored_by.as_deref().unwrap_or(""));
        fields.push(n.last_updated.as_deref().unwrap_or(""));
        row(&fields)?;
    }
    Ok(out)
}

fn workbook(c: &Comparison, args: &CompareArgs) -> Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut counts: Vec<Vec<Cell>> = Class::ALL
        .iter()
        .map(|&k| vec![Cell::from(k.name()), c.count(k).into()])
        .collect();
    counts.push(vec![Cell::from("outOfScope"), c.out_of_scope.into()]);
    counts.push(vec![Cell::from("deletesNothing"), c.deletes_nothing.into()]);
    add_table(&mut wb, "Summary", &["class", "keys"], counts, usize::MAX)?;
    let mut headers = vec!["class"];
    headers.extend(KEY_COLUMNS);
    headers.extend([
        "transfer value",
        "HMIS value",
        "what",
        "HMIS comment",
        "HMIS follow-up",
        "stored by",
        "last updated",
        "label",
    ]);
    let value = |v: &Option<String>| v.as_deref().map_or(Cell::Empty, Cell::value);
    let rows = c.changes.iter().map(|ch| {
        let mut cells = vec![Cell::from(ch.class.name())];
        cells.extend(ch.key.fields().map(Cell::from));
        cells.push(value(&ch.transfer));
        cells.push(value(&ch.hmis));
        let n = &ch.hmis_note;
        cells.push(Cell::from(ch.what));
        cells.push(Cell::from(n.comment.as_deref()));
        cells.push(Cell::from(if n.followup { "true" } else { "false" }));
        cells.push(Cell::from(n.stored_by.as_deref()));
        cells.push(Cell::from(n.last_updated.as_deref()));
        let k = &ch.key;
        cells.push(Cell::from(format!(
            "{} {} {} {}",
            k.data_element, k.category_option_combo, k.period, k.org_unit
        )));
        cells
    });
    let sheet = add_table(&mut wb, "Changes", &headers, rows, 100_000)?;
    // The changed values, old against new (the changes are sorted by class: contiguous).
    let first = c.changes.iter().position(|ch| ch.class == Class::Changed);
    if let Some(first) = first.filter(|&f| f < 100_000) {
        let n = c.changes[first..]
            .iter()
            .take_while(|ch| ch.class == Class::Changed)
            .count()
            .min(40);
        let (from, to) = (first as u32 + 1, (first + n) as u32);
        let last_row = c.changes.len().min(100_000) as u32;
        ColumnChart {
            title: "Changed values: HMIS now, after the transfer",
            sheet_name: "Changes",
            rows: (from, to),
            categories: 13,
            series: &[("HMIS value", 7), ("transfer value", 6)],
            at: (last_row + 2, 0),
        }
        .insert(sheet)?;
    }
    let rows = c.totals.iter().map(|((de, pe), (t, h))| {
        vec![
            Cell::from(de.as_str()),
            Cell::from(pe.as_str()),
            Cell::Number(*t),
            Cell::Number(*h),
            Cell::Number(t - h),
        ]
    });
    add_table(
        &mut wb,
        "Totals",
        &["dataElement", "period", "transfer", "HMIS", "difference"],
        rows,
        100_000,
    )?;
    let title = format!(
        "compare of {} with {} · {}",
        args.transfer.join(", "),
        args.with.join(", "),
        crate::xlsx::now_utc().1
    );
    crate::xlsx::finish(&mut wb, &title).context("--report")
}
