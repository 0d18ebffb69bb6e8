//! Reading a `--trace` CSV back with the `csv` crate into the rows its writer wrote
//! ([`crate::policy::trace::TraceRow`]): columns found by name, so a trace opened and saved in a
//! spreadsheet still reads; the formula guards taken off.

use std::collections::BTreeMap;

use anyhow::{Result, bail};

use crate::policy::trace::{HEADER, ReadRow};
use crate::read;
use crate::write::csv::unguard;

/// One row of the trace.
pub type Row = ReadRow;

/// One written value (or deletion) and the rows that trace it (one per source).
#[derive(Debug, Clone)]
pub struct Traced {
    pub index: u64,
    pub rows: Vec<Row>,
}

/// The trace's values by output file, each file's in index order.
#[derive(Debug, Default)]
pub struct TraceFile {
    pub files: BTreeMap<String, Vec<Traced>>,
}

impl TraceFile {
    pub fn read(path: &str) -> Result<TraceFile> {
        let trace = read::with_input(path, false, None, |reader, _| {
            let mut records = csv::ReaderBuilder::new()
                .flexible(true)
                .trim(csv::Trim::Headers)
                .from_reader(reader);
            let broken = |e: csv::Error| {
                let line = e.position().map_or(0, |p| p.line());
                anyhow::anyhow!("{path}: line {line}: cannot read the trace: {e}")
            };
            let header = records.headers().map_err(broken)?.clone();
            if header.iter().all(str::is_empty) {
                bail!("{path}: the trace is empty");
            }
            check_columns(&header, path)?;
            let mut trace = TraceFile::default();
            for row in records.deserialize::<Row>() {
                let mut row = row.map_err(broken)?;
                if row.fields().iter().all(|f| f.is_empty()) {
                    continue;
                }
                unguard_all(&mut row);
                let Ok(index) = row.index.trim().parse::<u64>() else {
                    bail!("{path}: `index` is `{}`, not a number", row.index);
                };
                trace.add(row, index);
            }
            Ok(trace)
        })?;
        Ok(trace.value)
    }

    fn add(&mut self, row: Row, index: u64) {
        let values = self.files.entry(row.file.clone()).or_default();
        match values.last_mut() {
            Some(last) if last.index == index => last.rows.push(row),
            _ => values.push(Traced {
                index,
                rows: vec![row],
            }),
        }
    }

    /// The values of the output a response answers: `file` (by path or file name), else the
    /// only file of the trace.
    pub fn values_of(&self, file: Option<&str>, path: &str) -> Result<(&str, &[Traced])> {
        let names: Vec<&String> = self.files.keys().collect();
        let found = match file {
            Some(want) => self.files.iter().find(|(f, _)| {
                f.as_str() == want || std::path::Path::new(f).file_name() == Some(want.as_ref())
            }),
            None if self.files.len() == 1 => self.files.iter().next(),
            None => bail!(
                "{path}: the trace covers {} output files ({}); say which one the response \
                 answers with --file",
                names.len(),
                names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        match found {
            Some((f, v)) => Ok((f.as_str(), v.as_slice())),
            None => bail!(
                "{path}: no output file `{}` in the trace (it has: {})",
                file.unwrap_or_default(),
                names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Every column of [`HEADER`] is there.
fn check_columns(header: &csv::StringRecord, path: &str) -> Result<()> {
    let missing: Vec<&str> = HEADER
        .into_iter()
        .filter(|name| !header.iter().any(|h| h == *name))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{path}: line 1: not a pi2de trace (no column {}); make one with convert --trace",
            missing.join(", ")
        );
    }
    Ok(())
}

/// Takes the formula guards of the writer off every field.
fn unguard_all(row: &mut Row) {
    for f in [
        &mut row.file,
        &mut row.data_element,
        &mut row.period,
        &mut row.org_unit,
        &mut row.category_option_combo,
        &mut row.attribute_option_combo,
        &mut row.value,
        &mut row.deleted,
        &mut row.source,
        &mut row.source_category_option_combo,
        &mut row.source_attribute_option_combo,
        &mut row.source_org_unit,
        &mut row.source_value,
        &mut row.input,
        &mut row.mapping_cell,
    ] {
        if unguard(f).len() != f.len() {
            f.remove(0);
        }
    }
}
