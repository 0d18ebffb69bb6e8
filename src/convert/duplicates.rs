//! Keys that received more than one value: identical values merge; different values (or, under
//! `sum`, values of different sources) are a conflict the [`DuplicatePolicy`] resolves. Every
//! conflict is reported, whatever the policy.

use super::ledger::DETAIL_CAP;
use super::store::{Contribution, Store};
use crate::ids::{Interner, KeyText};
use crate::value::{self, ValueType};

/// What to do with an output key that received different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicatePolicy {
    /// Leave the key out entirely.
    Reject,
    /// Keep the value read first.
    First,
    /// Keep the value read last.
    Last,
    /// Add the values (of different sources) up.
    Sum,
    /// Stop with nothing written.
    Fail,
}

impl DuplicatePolicy {
    /// The name `--on-duplicate` takes, as the reports print it.
    pub fn name(self) -> &'static str {
        match self {
            DuplicatePolicy::Reject => "reject",
            DuplicatePolicy::First => "first",
            DuplicatePolicy::Last => "last",
            DuplicatePolicy::Sum => "sum",
            DuplicatePolicy::Fail => "fail",
        }
    }
}

/// One value contributing to an output key in a conflict.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictSource {
    pub data_element: String,
    pub category_option_combo: String,
    pub attribute_option_combo: String,
    pub org_unit: String,
    pub value: String,
    pub input: String,
    pub record: u64,
}

/// An output key that received different values, and what was done.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub key: KeyText,
    pub sources: Vec<ConflictSource>,
    pub values: Vec<String>,
    pub resolution: String,
    /// The value written, if any.
    pub written: Option<String>,
}

/// What resolving the duplicates found.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Conflicts in detail (the first [`DETAIL_CAP`]).
    pub conflicts: Vec<Conflict>,
    pub conflict_count: u64,
    /// Values merged into an identical one.
    pub identical: u64,
    /// Values folded into a kept or summed one.
    pub folded: u64,
    /// Values of rejected keys.
    pub rejected: u64,
}

/// A value as shown in reports: a deletion is marked, so it never equals a value.
fn shown(store: &Store, c: &Contribution) -> String {
    match (c.deleted, store.text(c.value)) {
        (false, t) => t.to_string(),
        (true, "") => "(deleted)".to_string(),
        (true, t) => format!("{t} (deleted)"),
    }
}

/// Resolves every key with more than one value. `value_type` gives a mapping row's value type,
/// which a sum must still satisfy.
pub fn resolve(
    store: &mut Store,
    ids: &Interner,
    inputs: &[String],
    policy: DuplicatePolicy,
    value_type: impl Fn(u32) -> Option<ValueType>,
) -> anyhow::Result<Resolved> {
    let mut out = Resolved::default();
    // A key read once has nothing to resolve.
    for i in store.read_again() {
        let slot = store.slot(i);
        let key = slot.key;
        let repeats = u64::from(slot.repeats());
        let Some(more) = slot.more.filter(|m| !m.distinct.is_empty()) else {
            out.identical += repeats;
            continue;
        };
        let distinct: Vec<Contribution> = std::iter::once(slot.first)
            .chain(more.distinct.iter().copied())
            .collect();
        let last = more.last.unwrap_or(slot.first);
        let mut values: Vec<String> = Vec::new();
        for d in &distinct {
            let t = shown(store, d);
            if !values.contains(&t) {
                values.push(t);
            }
        }
        let n = distinct.len() as u64 + repeats;
        if values.len() == 1 && !(policy == DuplicatePolicy::Sum && distinct.len() > 1) {
            out.identical += n - 1;
            continue;
        }
        let (kept, resolution) = keep(store, policy, &distinct, last, &value_type);
        match &kept {
            Some((text, deleted)) => {
                out.identical += repeats;
                out.folded += n - 1 - repeats;
                let span = store.push_text(text)?;
                if let Some(m) = store.more_mut(i) {
                    m.written = Some((span, *deleted));
                }
            }
            None => {
                out.rejected += n;
                if let Some(m) = store.more_mut(i) {
                    m.rejected = true;
                }
            }
        }
        out.conflict_count += 1;
        if out.conflicts.len() < DETAIL_CAP {
            out.conflicts.push(Conflict {
                key: KeyText::of(ids, &key),
                sources: distinct
                    .iter()
                    .map(|c| conflict_source(store, ids, inputs, c))
                    .collect(),
                values,
                resolution,
                written: kept.map(
                    |(v, deleted)| {
                        if deleted { format!("{v} (deleted)") } else { v }
                    },
                ),
            });
        }
    }
    Ok(out)
}

/// The value the policy keeps for a conflicting key (with its deletion flag), if any, and how.
fn keep(
    store: &Store,
    policy: DuplicatePolicy,
    distinct: &[Contribution],
    last: Contribution,
    value_type: &impl Fn(u32) -> Option<ValueType>,
) -> (Option<(String, bool)>, String) {
    let text = |c: &Contribution| store.text(c.value).to_string();
    match policy {
        DuplicatePolicy::Reject | DuplicatePolicy::Fail => {
            (None, "rejected: the key is left out".into())
        }
        DuplicatePolicy::First => (
            Some((text(&distinct[0]), distinct[0].deleted)),
            "kept the value read first".into(),
        ),
        DuplicatePolicy::Last => (
            Some((text(&last), last.deleted)),
            "kept the value read last".into(),
        ),
        DuplicatePolicy::Sum if distinct.iter().any(|d| d.deleted) => (
            None,
            "rejected: a deletion cannot be summed with values".into(),
        ),
        DuplicatePolicy::Sum => {
            let sum = value::sum_decimals(distinct.iter().map(|d| store.text(d.value)));
            let vt = value_type(distinct[0].row);
            match sum.map(|s| value::prepare(Some(&s), vt).map(|v| v.into_owned())) {
                Some(Ok(v)) => (
                    Some((v, false)),
                    format!("summed {} values", distinct.len()),
                ),
                Some(Err(e)) => (None, format!("rejected: the sum is invalid: {e}")),
                None => (
                    None,
                    "rejected: the values cannot be summed (not all numeric, or too large)".into(),
                ),
            }
        }
    }
}

fn conflict_source(
    store: &Store,
    ids: &Interner,
    inputs: &[String],
    c: &Contribution,
) -> ConflictSource {
    ConflictSource {
        data_element: ids.get(c.source.data_element).to_string(),
        category_option_combo: ids.get(c.source.category_option_combo).to_string(),
        attribute_option_combo: ids.get(c.source.attribute_option_combo).to_string(),
        org_unit: ids.get(c.source.org_unit).to_string(),
        value: shown(store, c),
        input: inputs.get(c.input as usize).cloned().unwrap_or_default(),
        record: u64::from(c.record),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::store::{NO_ROW, Span};
    use crate::ids::{Key, Source};

    /// One key receiving `values` (source program indicator, value, deleted) in order.
    fn run(policy: DuplicatePolicy, values: &[(&str, &str, bool)]) -> (Resolved, Store) {
        let mut ids = Interner::default();
        let key = Key {
            data_element: ids.intern("DE"),
            period: ids.intern("202401"),
            org_unit: ids.intern("OU"),
            category_option_combo: crate::ids::Id::EMPTY,
            attribute_option_combo: crate::ids::Id::EMPTY,
        };
        let mut store = Store::new(false, u64::MAX);
        for (n, (pi, value, deleted)) in values.iter().enumerate() {
            let source = Source {
                data_element: ids.intern(pi),
                category_option_combo: crate::ids::Id::EMPTY,
                attribute_option_combo: crate::ids::Id::EMPTY,
                org_unit: key.org_unit,
            };
            let c = Contribution {
                value: Span::default(),
                source,
                row: NO_ROW,
                input: 0,
                record: n as u32 + 1,
                line: 0,
                deleted: *deleted,
            };
            store.add(key, crate::ids::Id::EMPTY, value, c).unwrap();
        }
        let resolved = resolve(&mut store, &ids, &["in.json".into()], policy, |_| None).unwrap();
        (resolved, store)
    }

    #[test]
    fn each_policy_resolves_each_kind_of_repeat_as_the_table_says() {
        use DuplicatePolicy::*;
        // policy, values, the value the policy decided (None: merged as identical, or left
        // out), and the counts identical, folded, rejected, conflicts
        type Case<'a> = (
            DuplicatePolicy,
            &'a [(&'a str, &'a str, bool)],
            Option<(&'a str, bool)>,
            [u64; 4],
        );
        let cases: &[Case] = &[
            // The same source repeating itself merges under every policy, sum included.
            (
                Sum,
                &[("A", "3", false), ("A", "3", false)],
                None,
                [1, 0, 0, 0],
            ),
            (
                Reject,
                &[("A", "3", false), ("A", "3", false)],
                None,
                [1, 0, 0, 0],
            ),
            // Two sources with one value: identical, except under sum, which adds them.
            (
                First,
                &[("A", "3", false), ("B", "3", false)],
                None,
                [1, 0, 0, 0],
            ),
            (
                Sum,
                &[("A", "3", false), ("B", "3", false)],
                Some(("6", false)),
                [0, 1, 0, 1],
            ),
            // Different values: each policy its own way.
            (
                First,
                &[("A", "1", false), ("B", "2", false)],
                Some(("1", false)),
                [0, 1, 0, 1],
            ),
            (
                Last,
                &[("A", "1", false), ("B", "2", false), ("A", "1", false)],
                Some(("1", false)),
                [1, 1, 0, 1],
            ),
            (
                Last,
                &[("A", "1", false), ("B", "2", false)],
                Some(("2", false)),
                [0, 1, 0, 1],
            ),
            (
                Reject,
                &[("A", "1", false), ("B", "2", false)],
                None,
                [0, 0, 2, 1],
            ),
            (
                Fail,
                &[("A", "1", false), ("B", "2", false)],
                None,
                [0, 0, 2, 1],
            ),
            (
                Sum,
                &[("A", "1.5", false), ("B", "2", false)],
                Some(("3.5", false)),
                [0, 1, 0, 1],
            ),
            // A deletion differs from any value; it cannot be summed.
            (
                First,
                &[("A", "1", true), ("B", "1", false)],
                Some(("1", true)),
                [0, 1, 0, 1],
            ),
            (
                Sum,
                &[("A", "1", false), ("B", "", true)],
                None,
                [0, 0, 2, 1],
            ),
            // Text cannot be summed: the key is left out.
            (
                Sum,
                &[("A", "yes", false), ("B", "no", false)],
                None,
                [0, 0, 2, 1],
            ),
        ];
        for (policy, values, written, [identical, folded, rejected, conflicts]) in cases {
            let (r, store) = run(*policy, values);
            let case = format!("{} {values:?}", policy.name());
            assert_eq!(
                [r.identical, r.folded, r.rejected, r.conflict_count],
                [*identical, *folded, *rejected, *conflicts],
                "{case}: identical, folded, rejected, conflicts"
            );
            let slot = store.slot(0);
            let got = slot
                .more
                .and_then(|m| m.written)
                .map(|(span, deleted)| (store.text(span), deleted));
            assert_eq!(got, *written, "{case}: the value written");
            assert_eq!(slot.rejected(), *rejected > 0, "{case}: the key left out");
        }
    }
}
