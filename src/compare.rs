//! What a transfer will change in the HMIS: the transfer's values (pi2de outputs) against the
//! HMIS's own `/api/dataValueSets` export, key by key. The default combos are one combo however
//! written (blank, `default`, or the default UID `HllvX50cXC0`); numbers compare as numbers
//! (`12` = `12.0`); HMIS values marked `deleted` are absent. A key whose value is the same but
//! whose comment or follow-up flag differs is changed too: every import overwrites both (2.43
//! `HibernateDataEntryStore.upsertValues`; ≤ 2.42 counts a value `ignored` only when value,
//! comment and follow-up are all equal).

use std::collections::BTreeMap;

use anyhow::Result;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{Audit, DataValue};
use crate::read::Sink;
use crate::value::canonical_number;

pub use crate::ids::KeyText as Key;

/// How a key compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Class {
    /// Not in the HMIS.
    New,
    /// In the HMIS with another value.
    Changed,
    /// In the HMIS with the same value.
    Unchanged,
    /// The transfer deletes a value the HMIS holds.
    Deleted,
    /// In the HMIS for a target, period and org unit the transfer covers, not in the transfer.
    OnlyInHmis,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::New,
        Class::Changed,
        Class::Unchanged,
        Class::Deleted,
        Class::OnlyInHmis,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::New => "new",
            Class::Changed => "changed",
            Class::Unchanged => "unchanged",
            Class::Deleted => "deleted",
            Class::OnlyInHmis => "onlyInHmis",
        }
    }
}

/// A key that the transfer changes (or leaves in the HMIS alone).
#[derive(Debug, Clone)]
pub struct Change {
    pub key: Key,
    pub transfer: Option<String>,
    pub hmis: Option<String>,
    pub class: Class,
    /// What differs for a changed key: `value`, `comment`, `followup`.
    pub what: &'static str,
    /// What the HMIS's export says of its value: comment, follow-up, who stored it, when.
    pub hmis_note: Note,
}

/// A stored value's comment, follow-up flag, storedBy and lastUpdated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    pub comment: Option<String>,
    pub followup: bool,
    pub stored_by: Option<String>,
    pub last_updated: Option<String>,
}

impl Note {
    fn of(audit: &Audit) -> Note {
        let own = |s: Option<&str>| blank_none(s).map(str::to_string);
        Note {
            comment: own(audit.comment),
            followup: followup(audit),
            stored_by: own(audit.stored_by),
            last_updated: own(audit.last_updated),
        }
    }
}

/// A field as read, `None` when blank.
fn blank_none(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

fn followup(audit: &Audit) -> bool {
    audit.followup.is_some_and(crate::read::is_true)
}

/// A key with a combo written as DHIS2 may write the default one.
fn key(v: &DataValue) -> Key {
    let combo = |c: &str| crate::ids::combo_as_written(c).to_string();
    Key {
        data_element: v.data_element.trim().to_string(),
        period: v.period.trim().to_string(),
        org_unit: v.org_unit.trim().to_string(),
        category_option_combo: combo(v.category_option_combo),
        attribute_option_combo: combo(v.attribute_option_combo),
    }
}

/// The target of a key: data element and its two combos.
fn target(k: &Key) -> [&str; 3] {
    [
        &k.data_element,
        &k.category_option_combo,
        &k.attribute_option_combo,
    ]
}

/// The transfer's values: what each key gets (`None`: deleted).
#[derive(Default)]
pub struct Transfer {
    pub values: FxHashMap<Key, Option<String>>,
    /// The comment and follow-up flag the transfer writes, where it writes any.
    pub notes: FxHashMap<Key, (Option<String>, bool)>,
    /// Keys given more than once across the transfer's files.
    pub repeated: u64,
}

impl Sink for Transfer {
    fn begin_input(&mut self, _: usize, _: &str) {}
    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        let value = (!v.deleted).then(|| v.value.unwrap_or("").to_string());
        if blank_none(v.audit.comment).is_some() || followup(&v.audit) {
            let note = Note::of(&v.audit);
            self.notes.insert(key(&v), (note.comment, note.followup));
        }
        if self.values.insert(key(&v), value).is_some() {
            self.repeated += 1;
        }
        Ok(())
    }
}

/// Reads the HMIS export against the transfer.
pub struct Comparison<'t> {
    transfer: &'t Transfer,
    targets: FxHashSet<[&'t str; 3]>,
    periods: FxHashSet<&'t str>,
    org_units: FxHashSet<&'t str>,
    seen: FxHashSet<&'t Key>,
    pub changes: Vec<Change>,
    pub counts: BTreeMap<Class, u64>,
    /// HMIS values outside the transfer's targets × periods × org units.
    pub out_of_scope: u64,
    /// Transfer deletions of keys the HMIS does not hold.
    pub deletes_nothing: u64,
    /// Per data element × period: the transfer's total and the HMIS's (keys in scope).
    pub totals: BTreeMap<(String, String), (f64, f64)>,
}

impl<'t> Comparison<'t> {
    pub fn new(transfer: &'t Transfer) -> Self {
        let keys = || transfer.values.keys();
        Comparison {
            transfer,
            targets: keys().map(target).collect(),
            periods: keys().map(|k| &*k.period).collect(),
            org_units: keys().map(|k| &*k.org_unit).collect(),
            seen: FxHashSet::default(),
            changes: Vec::new(),
            counts: Class::ALL.iter().map(|&c| (c, 0)).collect(),
            out_of_scope: 0,
            deletes_nothing: 0,
            totals: BTreeMap::new(),
        }
    }

    fn record(&mut self, key: Key, values: (Option<String>, Option<String>), class: Class) {
        self.record_note(key, values, class, "value", Note::default());
    }

    fn record_note(
        &mut self,
        key: Key,
        (transfer, hmis): (Option<String>, Option<String>),
        class: Class,
        what: &'static str,
        hmis_note: Note,
    ) {
        *self.counts.entry(class).or_default() += 1;
        if class != Class::Unchanged {
            self.changes.push(Change {
                key,
                transfer,
                hmis,
                class,
                what,
                hmis_note,
            });
        }
    }

    fn total(&mut self, key: &Key) -> &mut (f64, f64) {
        self.totals
            .entry((key.data_element.clone(), key.period.clone()))
            .or_default()
    }

    /// Classifies one HMIS value.
    fn hmis_value(&mut self, key: Key, value: String, audit: &Audit) {
        let in_transfer = self.transfer.values.contains_key(&key);
        let covered = in_transfer
            || self.targets.contains(&target(&key))
                && self.periods.contains(&*key.period)
                && self.org_units.contains(&*key.org_unit);
        if covered {
            self.total(&key).1 += number(Some(&value));
        }
        match self.transfer.values.get_key_value(&key) {
            Some((k, t)) => {
                self.seen.insert(k);
                let (comment, flag) = self
                    .transfer
                    .notes
                    .get(k)
                    .map_or((None, false), |(c, f)| (c.as_deref(), *f));
                let (class, what) = match t {
                    None => (Class::Deleted, "value"),
                    Some(t) if !same(t, &value) => (Class::Changed, "value"),
                    Some(_) if comment != blank_none(audit.comment) => (Class::Changed, "comment"),
                    Some(_) if flag != followup(audit) => (Class::Changed, "followup"),
                    Some(_) => (Class::Unchanged, "value"),
                };
                // The HMIS's note is kept for the changes only (most keys are unchanged).
                let note = if class == Class::Unchanged {
                    Note::default()
                } else {
                    Note::of(audit)
                };
                self.record_note(key, (t.clone(), Some(value)), class, what, note);
            }
            None => {
                if covered {
                    let note = Note::of(audit);
                    self.record_note(key, (None, Some(value)), Class::OnlyInHmis, "value", note);
                } else {
                    self.out_of_scope += 1;
                }
            }
        }
    }

    /// The transfer's keys the HMIS did not have, once the export is read.
    pub fn finish(mut self) -> Self {
        let transfer = self.transfer;
        for (k, v) in &transfer.values {
            let n = number(v.as_ref());
            self.total(k).0 += n;
        }
        let mut unseen: Vec<(&Key, &Option<String>)> = self
            .transfer
            .values
            .iter()
            .filter(|(k, _)| !self.seen.contains(k))
            .collect();
        unseen.sort();
        for (k, v) in unseen {
            match v {
                Some(v) => self.record(k.clone(), (Some(v.clone()), None), Class::New),
                None => self.deletes_nothing += 1,
            }
        }
        self.changes
            .sort_by(|a, b| (a.class, &a.key).cmp(&(b.class, &b.key)));
        self
    }

    pub fn count(&self, class: Class) -> u64 {
        self.counts.get(&class).copied().unwrap_or(0)
    }
}

impl Sink for Comparison<'_> {
    fn begin_input(&mut self, _: usize, _: &str) {}
    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        if !v.deleted {
            self.hmis_value(key(&v), v.value.unwrap_or("").to_string(), &v.audit);
        }
        Ok(())
    }
}

/// Two values are the same: as numbers when both are numbers, else as text.
pub fn same(a: &str, b: &str) -> bool {
    match (canonical_number(a.trim()), canonical_number(b.trim())) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

/// The numeric value of a text, for totals.
pub fn number(s: Option<&String>) -> f64 {
    s.and_then(|s| s.trim().parse::<f64>().ok()).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DEFAULT_COMBO_UID;

    #[test]
    fn values_compare_as_numbers_when_both_are() {
        assert!(same("12", "12.0"));
        assert!(same("1.0E7", "10000000"));
        assert!(same("-0.50", "-0.5"));
        assert!(!same("12", "13"));
        assert!(same("true", "true"));
        assert!(!same("12", "12a"));
    }

    #[test]
    fn default_combos_are_one_combo() {
        let v = |coc: &'static str| DataValue {
            data_element: "DE",
            period: "202401",
            org_unit: "OU",
            category_option_combo: coc,
            attribute_option_combo: "",
            ..Default::default()
        };
        assert_eq!(key(&v("")), key(&v("default")));
        assert_eq!(key(&v("")), key(&v(DEFAULT_COMBO_UID)));
        assert_ne!(key(&v("")), key(&v("COC_1")));
    }
}
