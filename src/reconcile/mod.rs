//! `pi2de reconcile`: what DHIS2 answered to an import, tied back to the values through the
//! trace of the run that wrote the file. Reads the `ImportSummary` both importers return (bare,
//! or as the `response` of a WebMessage; dhis2-core `ImportSummary`, `ImportConflict`) and
//! follows their quirks (docs/dhis2-rules.md, "Import responses"):
//!
//! - a conflict's `value` is the error message, not the data value;
//! - `indexes` are 0-based positions of values in the file; a 2.43 group rejection lists every
//!   index of its group, and its values are in no count;
//! - 2.43 decoding errors (E81xx) stop the whole import and carry `indexes: [-1]`, naming the
//!   value only in the message, `Value #n` (n ≥ 1000 with a thousands separator); E8128 names
//!   several, `Value #[3, 7]`;
//! - 2.43 counts every stored value as `updated` (`imported` is 0); ≤ 2.42 counts an identical
//!   re-import as `ignored` without a conflict, which is a success.

pub mod codes;
pub mod trace;

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use trace::Traced;

/// What DHIS2 counted.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Counts {
    pub imported: u64,
    pub updated: u64,
    pub ignored: u64,
    pub deleted: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.imported + self.updated + self.ignored + self.deleted
    }
}

/// One conflict as DHIS2 wrote it.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub error_code: String,
    pub object: String,
    pub message: String,
    /// As given (`-1` kept: "not one value").
    pub indexes: Vec<i64>,
}

/// An import response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: String,
    pub description: String,
    pub counts: Counts,
    pub conflicts: Vec<Conflict>,
}

impl Response {
    pub fn read(path: &str) -> Result<Response> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{path}: cannot read the response"))?;
        let v: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .with_context(|| format!("{path}: not a JSON import response"))?;
        Response::from_json(&v).map_err(|e| e.context(path.to_string()))
    }

    /// The `ImportSummary`, bare or inside a WebMessage's `response`.
    pub fn from_json(v: &Value) -> Result<Response> {
        let summary = match v.get("response") {
            Some(r) if r.get("importCount").is_some() || r.get("conflicts").is_some() => r,
            Some(r)
                if r.get("responseType").and_then(Value::as_str)
                    == Some("JobConfigurationWebMessageResponse") =>
            {
                bail!(
                    "this is the notice of an asynchronous import, not its result: fetch \
                 /api/system/taskSummaries/DATAVALUE_IMPORT/{} and reconcile that",
                    r.get("id").and_then(Value::as_str).unwrap_or("JOB_ID")
                )
            }
            _ if v.get("importCount").is_some() || v.get("conflicts").is_some() => v,
            _ => bail!("no importCount or conflicts: not a DHIS2 data value import response"),
        };
        let count = |k: &str| summary["importCount"][k].as_u64().unwrap_or(0);
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let conflicts = summary["conflicts"]
            .as_array()
            .map(|a| a.iter().map(conflict).collect())
            .unwrap_or_default();
        Ok(Response {
            status: text(summary, "status"),
            description: text(summary, "description"),
            counts: Counts {
                imported: count("imported"),
                updated: count("updated"),
                ignored: count("ignored"),
                deleted: count("deleted"),
            },
            conflicts,
        })
    }
}

fn conflict(c: &Value) -> Conflict {
    let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Conflict {
        error_code: text("errorCode"),
        object: text("object"),
        message: text("value"),
        indexes: c["indexes"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default(),
    }
}

/// The values a conflict hits: its indexes, else the `Value #n` its message names.
pub fn hit_indexes(c: &Conflict) -> Vec<u64> {
    let direct: Vec<u64> = c
        .indexes
        .iter()
        .filter_map(|&i| u64::try_from(i).ok())
        .collect();
    if !direct.is_empty() {
        return direct;
    }
    named_in_message(&c.message)
}

/// `Value #1,234 …` → [1234]; `Value #[3, 7] …` → [3, 7]. The separator of thousands is
/// whatever the server's locale puts between digit groups (`,` `.` a space or `'`).
pub fn named_in_message(message: &str) -> Vec<u64> {
    let Some(rest) = message.split_once("Value #").map(|(_, r)| r) else {
        return Vec::new();
    };
    if let Some(list) = rest.strip_prefix('[') {
        let list = list.split(']').next().unwrap_or("");
        return list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
    }
    let mut digits = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if matches!(c, ',' | '.' | ' ' | '\u{a0}' | '\u{202f}' | '\'')
            && chars.peek().is_some_and(char::is_ascii_digit)
            && !digits.is_empty()
        {
            continue;
        } else {
            break;
        }
    }
    digits.parse().ok().into_iter().collect()
}

/// A conflict tied to its values.
#[derive(Debug, Clone)]
pub struct Hit<'t> {
    pub conflict: Conflict,
    /// The values it hits, in the trace.
    pub values: Vec<&'t Traced>,
    /// Indexes it names that the file does not have.
    pub missing: Vec<u64>,
    /// The conflict rejected every value of its group or stopped the import (2.43).
    pub group: bool,
    /// The values its message names (`Value #n`, E8128's `Value #[a, b]`).
    pub named: Vec<u64>,
}

/// The response read against the file's trace.
#[derive(Debug)]
pub struct Reconciled<'t> {
    pub file: String,
    pub written: u64,
    pub response: Response,
    pub hits: Vec<Hit<'t>>,
    /// The import stopped before storing anything (a 2.43 decoding error).
    pub stopped: bool,
    /// Values DHIS2 did not account for: in no count, and named by no conflict, or every value
    /// when the import stopped.
    pub unaccounted: Vec<&'t Traced>,
}

impl<'t> Reconciled<'t> {
    pub fn new(file: &str, values: &'t [Traced], response: Response) -> Reconciled<'t> {
        let lookup: std::collections::BTreeMap<u64, &'t Traced> =
            values.iter().map(|v| (v.index, v)).collect();
        let stopped = response.counts.total() == 0
            && response.status == "ERROR"
            && response
                .conflicts
                .iter()
                .any(|c| c.indexes.is_empty() || c.indexes == [-1]);
        let mut hits = Vec::new();
        // Values of a rejected group are in no count (2.43); others are counted as ignored.
        let mut uncounted: BTreeSet<u64> = BTreeSet::new();
        for c in &response.conflicts {
            let indexes = hit_indexes(c);
            let group = stopped || (c.error_code.starts_with("E80") || c.error_code == "E8128");
            let (found, missing): (Vec<u64>, Vec<u64>) =
                indexes.iter().partition(|i| lookup.contains_key(i));
            if group {
                uncounted.extend(&found);
            }
            hits.push(Hit {
                conflict: c.clone(),
                values: found
                    .iter()
                    .filter_map(|i| lookup.get(i).copied())
                    .collect(),
                missing,
                group,
                named: named_in_message(&c.message),
            });
        }
        let written = values.len() as u64;
        let accounted = response.counts.total() + uncounted.len() as u64;
        let unaccounted = if stopped {
            values.iter().collect()
        } else if accounted < written {
            let named: BTreeSet<u64> = hits
                .iter()
                .flat_map(|h| h.values.iter().map(|v| v.index))
                .collect();
            values
                .iter()
                .filter(|v| !named.contains(&v.index))
                .collect()
        } else {
            Vec::new()
        };
        Reconciled {
            file: file.to_string(),
            written,
            response,
            hits,
            stopped,
            unaccounted,
        }
    }

    /// Values accounted for by a count or a group rejection.
    pub fn accounted(&self) -> u64 {
        let grouped: BTreeSet<u64> = self
            .hits
            .iter()
            .filter(|h| h.group)
            .flat_map(|h| h.values.iter().map(|v| v.index))
            .collect();
        self.response.counts.total() + grouped.len() as u64
    }

    /// Nothing went wrong: no conflict, no value unaccounted for.
    pub fn clean(&self) -> bool {
        self.hits.is_empty() && self.unaccounted.is_empty() && !self.stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_named_in_messages() {
        let m = |s: &str| named_in_message(s);
        assert_eq!(m("Value #0 data element not found: `X`"), [0]);
        assert_eq!(m("Value #1,234 org unit not found: `Y`"), [1234]);
        assert_eq!(m("Value #12.345.678 org unit not found"), [12_345_678]);
        assert_eq!(m("Value #1\u{a0}234 value is required"), [1234]);
        assert_eq!(
            m("Value #[3, 1204] all affect the same data value: `k`"),
            [3, 1204]
        );
        assert_eq!(
            m("Value #7, then more"),
            [7],
            "a comma not followed by a digit ends it"
        );
        assert!(m("Org unit not found").is_empty());
    }
}
