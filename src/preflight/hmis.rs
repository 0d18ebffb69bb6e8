//! What the HMIS holds that its metadata does not say, read from its own exports: the approvals
//! (`--approvals`: the list `GET /api/dataApprovals/approvals?wf=…&pe=…&ou=…` returns,
//! `ApprovalStatusDto`) and the lock exceptions (`--lock-exceptions`: `GET /api/lockExceptions`).
//! Loaded once; [`super::entry`] asks them per value. The rules: docs/dhis2-rules.md,
//! *Approvals and lock exceptions*.

use anyhow::{Context, Result, bail};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;

use crate::period::{self, Calendar};

/// The states of `DataApprovalState` (2.43); the approved ones lock the data.
const STATES: [&str; 7] = [
    "UNAPPROVABLE",
    "UNAPPROVED_ABOVE",
    "UNAPPROVED_WAITING",
    "UNAPPROVED_READY",
    "APPROVED_ABOVE",
    "APPROVED_HERE",
    "ACCEPTED_HERE",
];

/// One approval status as `ApprovalStatusDto` writes it (other fields are skipped).
#[derive(Deserialize)]
struct Status {
    wf: Option<String>,
    pe: Option<String>,
    ou: Option<String>,
    aoc: Option<String>,
    state: Option<String>,
}

/// `{"lockExceptions": [{"period": {"id"}, "organisationUnit": {"id"}, "dataSet": {"id"}}]}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockException {
    period: Option<crate::metadata::Ref>,
    organisation_unit: Option<crate::metadata::Ref>,
    data_set: Option<crate::metadata::Ref>,
}

/// A (workflow, period, org unit, attribute option combo) of an approval, all UIDs but the
/// canonical period id.
type ApprovalKey = (String, String, String, String);

/// The approvals and lock exceptions of the HMIS, as far as they were given.
#[derive(Default)]
pub struct HmisState {
    /// Given `--approvals`: approval is judged.
    pub approvals_given: bool,
    /// Approved at that org unit (`APPROVED_HERE`, `ACCEPTED_HERE`: a `dataapproval` row there).
    here: FxHashMap<ApprovalKey, &'static str>,
    /// Approved at a higher level (`APPROVED_ABOVE`).
    above: FxHashSet<ApprovalKey>,
    /// (data set, org unit, period) exempted from expiry days.
    exceptions: FxHashSet<(String, String, String)>,
}

/// How an approval of a value's key was found.
pub enum Approval {
    /// At the value's own org unit, with the state.
    Here(&'static str),
    /// At this ancestor (≤ 2.42 follows the hierarchy).
    Above(String),
}

impl HmisState {
    /// Reads the files given; an entry that lacks a field or names an unknown state stops the
    /// run, naming the file and the entry.
    pub fn load(
        approvals: Option<&str>,
        lock_exceptions: Option<&str>,
        cal: Calendar,
    ) -> Result<HmisState> {
        let mut state = HmisState::default();
        if let Some(path) = approvals {
            state.approvals_given = true;
            for (i, s) in read_list::<Status>(path, &["approvals", "dataApprovals"])?
                .into_iter()
                .enumerate()
            {
                let at = || format!("{path}: approval {}", i + 1);
                let field = |v: Option<String>, name: &str| {
                    v.filter(|v| !v.trim().is_empty())
                        .with_context(|| format!("{}: no `{name}`", at()))
                };
                let state_name = field(s.state, "state")?;
                let Some(&known) = STATES.iter().find(|k| **k == state_name) else {
                    bail!(
                        "{}: unknown state `{state_name}` (DHIS2 writes one of {})",
                        at(),
                        STATES.join(", ")
                    );
                };
                let key = (
                    field(s.wf, "wf")?,
                    canonical(cal, &field(s.pe, "pe")?),
                    field(s.ou, "ou")?,
                    field(s.aoc, "aoc")?,
                );
                match known {
                    "APPROVED_HERE" | "ACCEPTED_HERE" => {
                        state.here.insert(key, known);
                    }
                    "APPROVED_ABOVE" => {
                        state.above.insert(key);
                    }
                    _ => {}
                }
            }
        }
        if let Some(path) = lock_exceptions {
            for (i, e) in read_list::<LockException>(path, &["lockExceptions"])?
                .into_iter()
                .enumerate()
            {
                let id = |r: Option<crate::metadata::Ref>, name: &str| {
                    r.map(|r| r.id)
                        .filter(|id| !id.trim().is_empty())
                        .with_context(|| format!("{path}: lock exception {}: no `{name}`", i + 1))
                };
                state.exceptions.insert((
                    id(e.data_set, "dataSet")?,
                    id(e.organisation_unit, "organisationUnit")?,
                    canonical(cal, &id(e.period, "period")?),
                ));
            }
        }
        Ok(state)
    }

    /// True when a lock exception lifts expiry days for the data set, org unit and period.
    pub fn exempt(&self, data_set: &str, org_unit: &str, period: &str) -> bool {
        !self.exceptions.is_empty()
            && self.exceptions.contains(&(
                data_set.to_string(),
                org_unit.to_string(),
                period.to_string(),
            ))
    }

    /// The approval that locks a value's key, if any: on 2.43 at its own org unit only
    /// (`DefaultDataEntryService.validateEntryTimeliness`), on ≤ 2.42 also at any ancestor
    /// (`DataApproval.getLowestApproval`): `lineage` is the org unit's UIDs from the root down.
    pub fn approval(
        &self,
        key: (&str, &str, &str, &str),
        lineage: &[String],
        hierarchy: bool,
    ) -> Option<Approval> {
        let (wf, pe, ou, aoc) = key;
        let k = |ou: &str| {
            (
                wf.to_string(),
                pe.to_string(),
                ou.to_string(),
                aoc.to_string(),
            )
        };
        if let Some(state) = self.here.get(&k(ou)) {
            return Some(Approval::Here(state));
        }
        if !hierarchy {
            return None;
        }
        for a in lineage.iter().filter(|a| a.as_str() != ou) {
            if self.here.contains_key(&k(a)) {
                return Some(Approval::Above(a.to_string()));
            }
        }
        self.above
            .contains(&k(ou))
            .then(|| Approval::Above("a higher level (APPROVED_ABOVE)".to_string()))
    }
}

/// The period id as the importer stores it (`2024-01` is `202401`).
fn canonical(cal: Calendar, pe: &str) -> String {
    period::parse_in(cal, pe).map_or_else(|_| pe.trim().to_string(), |p| p.id)
}

/// A JSON file holding a list: the list itself, or an object with it under one of `keys`.
pub(crate) fn read_list<T: for<'de> Deserialize<'de>>(path: &str, keys: &[&str]) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{path}: cannot read"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{path}: not JSON"))?;
    let list = match value {
        serde_json::Value::Array(_) => value,
        serde_json::Value::Object(mut o) => match keys.iter().find_map(|k| o.remove(*k)) {
            Some(list) => list,
            None => bail!("{path}: no list of {} in it", keys.join(" or ")),
        },
        _ => bail!("{path}: expected a JSON list of {}", keys[0]),
    };
    serde_json::from_value(list).with_context(|| format!("{path}: not a list of {}", keys[0]))
}
