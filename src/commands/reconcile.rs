//! `pi2de reconcile RESPONSE.json --trace TRACE.csv`: DHIS2's answer to an import, conflict by
//! conflict, with the values each one hits and where they came from; the totals against the
//! file; the values nobody accounted for. Exit 0 when clean, 1 otherwise, 2 when a file cannot
//! be read.

use crate::words::count;
use std::io::Write;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::cli::ReconcileArgs;
use crate::exit_codes::ExitCode;
use crate::reconcile::trace::{TraceFile, Traced};
use crate::reconcile::{Reconciled, Response, codes};
use crate::write::Staging;
use crate::xlsx::{Cell, add_table};

/// How many values a console line lists per conflict.
const SHOWN: usize = 3;

pub fn run(args: &ReconcileArgs) -> Result<ExitCode> {
    check_paths(args)?;
    let response = Response::read(&args.response)?;
    let trace = TraceFile::read(&args.trace)?;
    let (file, values) = trace.values_of(args.file.as_deref(), &args.trace)?;
    let r = Reconciled::new(file, values, response);
    let code = if r.clean() {
        ExitCode::Success
    } else {
        ExitCode::LeftOut
    };
    let mut staging = Staging::default();
    if let Some(path) = &args.summary {
        let text = serde_json::to_string_pretty(&summary(&r, args, code))? + "\n";
        staging.bytes(path, text.as_bytes()).context("--summary")?;
    }
    if let Some(path) = &args.report {
        staging
            .bytes(path, &workbook(&r, args)?)
            .context("--report")?;
    }
    staging.commit()?;
    if !args.quiet {
        print(&r, &args.response)?;
    }
    Ok(code)
}

fn check_paths(args: &ReconcileArgs) -> Result<()> {
    if let Some(report) = &args.report {
        crate::write::check_xlsx(report, "--report")?;
    }
    let mut paths = crate::write::Registry::default();
    paths.read("the response", &args.response);
    paths.read("--trace", &args.trace);
    paths.console(args.quiet)?;
    paths.write_all(&[
        ("--summary", args.summary.as_deref()),
        ("--report", args.report.as_deref()),
    ])
}

/// The trace columns of a value, one object per source.
fn value_json(v: &Traced) -> Value {
    Value::Array(v.rows.iter().map(|r| json!(r)).collect())
}

fn summary(r: &Reconciled, args: &ReconcileArgs, code: ExitCode) -> Value {
    let c = &r.response.counts;
    let conflicts: Vec<Value> = r
        .hits
        .iter()
        .map(|h| {
            let (meaning, hint) = codes::meaning(&h.conflict.error_code).unwrap_or(("", ""));
            json!({
                "errorCode": h.conflict.error_code, "meaning": meaning, "hint": hint,
                "message": h.conflict.message, "object": h.conflict.object,
                "indexes": h.conflict.indexes, "groupRejected": h.group,
                "indexesNotInFile": h.missing, "namedInMessage": h.named,
                "values": h.values.iter().map(|v| value_json(v)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "tool": format!("pi2de {}", env!("CARGO_PKG_VERSION")),
        "response": args.response, "trace": args.trace, "file": r.file,
        "status": r.response.status, "description": r.response.description,
        "stopped": r.stopped,
        "counts": {
            "imported": c.imported, "updated": c.updated, "ignored": c.ignored,
            "deleted": c.deleted, "conflicts": r.hits.len(), "written": r.written,
            "accounted": r.accounted(), "unaccounted": r.unaccounted.len(),
        },
        "conflicts": conflicts,
        "unaccounted": r.unaccounted.iter().map(|v| value_json(v)).collect::<Vec<_>>(),
        "exitCode": code.code(),
    })
}

/// One line for a value: its key and value, and where its first source came from.
fn describe(v: &Traced) -> String {
    let Some(r) = v.rows.first() else {
        return format!("#{}", v.index);
    };
    let mut s = format!(
        "#{} {} {} {}{} = {}{}",
        v.index,
        r.data_element,
        r.period,
        r.org_unit,
        if r.category_option_combo.is_empty() {
            String::new()
        } else {
            format!(" coc={}", r.category_option_combo)
        },
        r.value,
        if r.deleted == "true" {
            " (deletion)"
        } else {
            ""
        }
    );
    if !r.source.is_empty() || !r.input.is_empty() {
        let place = if r.line.is_empty() {
            format!("value {}", r.value_number)
        } else {
            format!("line {}", r.line)
        };
        s.push_str(&format!(" ← {} {}, {place}", r.source, r.input));
    }
    if !r.mapping_cell.is_empty() {
        s.push_str(&format!(", {}", r.mapping_cell));
    }
    if v.rows.len() > 1 {
        s.push_str(&format!(" (+{} more sources)", v.rows.len() - 1));
    }
    s
}

fn print(r: &Reconciled, response: &str) -> std::io::Result<()> {
    let mut o = crate::term::stdout();
    let c = &r.response.counts;
    writeln!(
        o,
        "pi2de: {response}: status {} for {} ({} values written)",
        r.response.status, r.file, r.written
    )?;
    writeln!(
        o,
        "  imported {}, updated {}, ignored {}, deleted {}: {} of {} values accounted for",
        c.imported,
        c.updated,
        c.ignored,
        c.deleted,
        r.accounted(),
        r.written
    )?;
    if r.stopped {
        writeln!(
            o,
            "  the import stopped while reading the file: nothing was stored"
        )?;
    }
    for h in &r.hits {
        let (meaning, hint) = codes::meaning(&h.conflict.error_code).unwrap_or(("", ""));
        let code = if h.conflict.error_code.is_empty() {
            "(no code)"
        } else {
            h.conflict.error_code.as_str()
        };
        writeln!(
            o,
            "  {code} {meaning}: {}{}",
            count(h.values.len() as u64, "value"),
            if h.group {
                ", whole group rejected"
            } else {
                ""
            }
        )?;
        writeln!(o, "    DHIS2: {}", h.conflict.message)?;
        if !hint.is_empty() {
            writeln!(o, "    fix: {hint}")?;
        }
        for v in h.values.iter().take(SHOWN) {
            writeln!(o, "    {}", describe(v))?;
        }
        if h.values.len() > SHOWN {
            writeln!(
                o,
                "    … {} more (--summary or --report lists every one)",
                h.values.len() - SHOWN
            )?;
        }
        if !h.missing.is_empty() {
            writeln!(
                o,
                "    indexes not in {}: {:?} (is this the response to that file?)",
                r.file, h.missing
            )?;
        }
    }
    if !r.unaccounted.is_empty() {
        writeln!(
            o,
            "  {} unaccounted for, e.g. {}",
            count(r.unaccounted.len() as u64, "value"),
            describe(r.unaccounted[0])
        )?;
    }
    if r.clean() {
        writeln!(o, "  every value was accounted for, without conflicts")?;
    }
    Ok(())
}

fn workbook(r: &Reconciled, args: &ReconcileArgs) -> Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let c = &r.response.counts;
    let summary: Vec<Vec<Cell>> = [
        ("file", Cell::from(r.file.as_str())),
        ("status", Cell::from(r.response.status.as_str())),
        ("written", r.written.into()),
        ("imported", c.imported.into()),
        ("updated", c.updated.into()),
        ("ignored", c.ignored.into()),
        ("deleted", c.deleted.into()),
        ("conflicts", (r.hits.len() as u64).into()),
        ("accounted", r.accounted().into()),
        ("unaccounted", (r.unaccounted.len() as u64).into()),
    ]
    .into_iter()
    .map(|(k, v)| vec![Cell::from(k), v])
    .collect();
    add_table(&mut wb, "Summary", &["item", "value"], summary, usize::MAX)?;
    let mut headers = vec!["errorCode", "meaning", "message"];
    headers.extend(crate::policy::trace::HEADER);
    let rows = r.hits.iter().flat_map(|h| {
        let meaning = codes::meaning(&h.conflict.error_code).map_or("", |m| m.0);
        h.values.iter().flat_map(move |v| {
            v.rows.iter().map(move |row| {
                let mut cells = vec![
                    Cell::from(h.conflict.error_code.as_str()),
                    Cell::from(meaning),
                    Cell::from(h.conflict.message.as_str()),
                ];
                cells.extend(row.fields().map(Cell::from));
                cells
            })
        })
    });
    add_table(&mut wb, "Conflicts", &headers, rows, 100_000)?;
    let rows = r.unaccounted.iter().flat_map(|v| {
        v.rows
            .iter()
            .map(|row| row.fields().map(Cell::from).to_vec())
    });
    add_table(
        &mut wb,
        "Unaccounted",
        &crate::policy::trace::HEADER,
        rows,
        100_000,
    )?;
    let title = format!(
        "reconcile of {} against {} · {}",
        args.response,
        args.trace,
        crate::xlsx::now_utc().1
    );
    crate::xlsx::finish(&mut wb, &title).context("--report")
}
