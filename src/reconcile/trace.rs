//! Reading a `--trace` CSV back: its rows grouped by output file and index, the columns found
//! by name (policy::trace::HEADER), so a trace opened and saved in a spreadsheet still reads.

use std::collections::BTreeMap;

use anyhow::{Result, bail};

use crate::policy::trace::HEADER;
use crate::read;

/// One row of the trace: its columns by name.
pub type Row = BTreeMap<&'static str, String>;

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

use crate::write::csv::unguard;

impl TraceFile {
    pub fn read(path: &str) -> Result<TraceFile> {
        let digest = std::rc::Rc::new(std::cell::RefCell::new(None));
        let (trace, _) = read::with_input(path, digest, None, |reader, _| {
            let mut records = read::csv::Records::new(reader);
            let Some(line) = records.next_record().map_err(|e| e.in_file(path))? else {
                bail!("{path}: the trace is empty");
            };
            let columns = columns(&records.fields(), path, line)?;
            let mut trace = TraceFile::default();
            while let Some(line) = records.next_record().map_err(|e| e.in_file(path))? {
                let fields = records.fields();
                if fields.iter().all(|f| f.is_empty()) {
                    continue;
                }
                let row: Row = HEADER
                    .iter()
                    .zip(&columns)
                    .map(|(name, &c)| {
                        let field = fields.get(c).map_or("", |f| unguard(f));
                        (*name, field.to_string())
                    })
                    .collect();
                let Ok(index) = row["index"].trim().parse::<u64>() else {
                    bail!(
                        "{path}: line {line}: `index` is `{}`, not a number",
                        row["index"]
                    );
                };
                trace.add(row, index);
            }
            Ok(trace)
        })?;
        Ok(trace)
    }

    fn add(&mut self, row: Row, index: u64) {
        let values = self.files.entry(row["file"].clone()).or_default();
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

/// Where each column of HEADER is in this file.
fn columns(header: &[String], path: &str, line: u64) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(HEADER.len());
    let mut missing = Vec::new();
    for name in HEADER {
        match header.iter().position(|h| h.trim() == name) {
            Some(i) => out.push(i),
            None => {
                missing.push(name);
                out.push(usize::MAX);
            }
        }
    }
    if !missing.is_empty() {
        bail!(
            "{path}: line {line}: not a pi2de trace (no column {}); make one with convert --trace",
            missing.join(", ")
        );
    }
    Ok(out)
}
