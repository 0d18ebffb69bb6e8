//! The core of a conversion, in two phases. [`Converter`] is the readers' sink: each value read
//! is judged ([`judge`]), then stored by its key ([`store`]) or counted in the [`ledger`] under
//! the reason it is left out. [`Converter::finish`] resolves the keys that received several
//! values ([`duplicates`]) and returns the read-only [`Converted`], which the policies
//! (`crate::policy`) and writers read. A value's walk: `read` → `relay` → [`Converter`] →
//! [`judge`] → [`store`] → [`duplicates`] → [`Converted`] → `policy::split` → `write`.

pub mod converted;
pub mod duplicates;
pub mod judge;
pub mod ledger;
pub mod paged;
pub mod store;

use anyhow::{Result, ensure};

pub use crate::reason::Reason;
pub use converted::Converted;
pub use duplicates::DuplicatePolicy;
pub use judge::Scope;

use crate::ids::{Id, IdScheme, Interner, Key, Source};
use crate::mapping::Mapping;
use crate::model::DataValue;
use crate::preflight::Targets;
use crate::read::Sink;
use judge::Judge;
use ledger::Ledger;
use rustc_hash::FxHashSet;
use store::{Contribution, Store};

/// What a conversion needs to know: the mapping, the target checks, the period scope, the
/// duplicate policy, and whether the output is CSV (which cannot carry some values).
pub struct Rules<'m> {
    pub mapping: Option<&'m Mapping>,
    /// The target-metadata checks, lent for the conversion ([`Converter::finish`] gives them
    /// back).
    pub targets: Option<Targets<'m>>,
    pub scope: Scope,
    pub policy: DuplicatePolicy,
    pub csv_output: bool,
    /// The scheme of the ids in the mapping's target columns (that of its data sets).
    pub target_scheme: IdScheme,
    /// Keep each value's text as exported where it differs from the value (for the trace).
    pub keep_exported: bool,
    /// Bytes the key store may hold before its oldest slots go to disk (`--memory`).
    pub memory: u64,
}

/// The first phase: a sink for the readers.
pub struct Converter<'m> {
    ids: Interner,
    judge: Judge<'m>,
    store: Store,
    ledger: Ledger,
    policy: DuplicatePolicy,
    inputs: Vec<String>,
    input: u32,
    exported: Option<converted::Exported>,
    /// Keys that received a value this run that was left out after its key was known: an
    /// earlier output's value for them has not disappeared at the source.
    touched: FxHashSet<Key>,
    /// The value accepted last, stored when the next one has been judged (or at the end): its
    /// key's place in the index is fetched from memory meanwhile.
    pending: Pending,
}

/// An accepted value waiting to be stored (`waiting`); its text's buffer is kept from value to
/// value.
#[derive(Default)]
struct Pending {
    waiting: bool,
    key: Key,
    data_set: Id,
    value: String,
    contribution: Contribution,
}

impl<'m> Converter<'m> {
    pub fn new(rules: Rules<'m>) -> Self {
        let mut ids = Interner::default();
        let rows = rules.mapping.map_or(0, |m| m.rows.len());
        let judge = Judge::new(
            &mut ids,
            rules.mapping,
            rules.targets,
            rules.scope,
            rules.csv_output,
            rules.target_scheme,
        );
        Converter {
            ids,
            judge,
            store: Store::new(rules.keep_exported, rules.memory),
            ledger: Ledger::new(rows),
            policy: rules.policy,
            inputs: Vec::new(),
            input: 0,
            touched: FxHashSet::default(),
            exported: rules.keep_exported.then(Default::default),
            pending: Pending::default(),
        }
    }

    /// Stores the pending value, if one waits; its buffer stays for the next.
    fn store_pending(&mut self) -> Result<()> {
        let p = &mut self.pending;
        if !std::mem::take(&mut p.waiting) {
            return Ok(());
        }
        self.store.add(p.key, p.data_set, &p.value, p.contribution)
    }

    /// The second phase: resolves duplicate keys by the policy and checks the reconciliation.
    /// Gives back the target checks, with what they judged, for the policies.
    pub fn finish(mut self) -> Result<(Converted, Option<Targets<'m>>)> {
        self.store_pending()?;
        let Converter {
            ids,
            mut judge,
            mut store,
            mut ledger,
            policy,
            inputs,
            touched,
            exported,
            ..
        } = self;
        let resolved = duplicates::resolve(&mut store, &ids, &inputs, policy, |r| {
            judge.row_value_type(r)
        })?;
        ledger.count(
            Reason::DuplicateMerged,
            resolved.identical + resolved.folded,
        );
        ledger.count(Reason::DuplicateRejected, resolved.rejected);
        let targets = judge.take_targets();
        let mut converted = Converted::new(ids, store, ledger, resolved, inputs, touched, judge);
        converted.exported = exported;
        ensure!(
            converted.ledger.read == converted.written() + converted.ledger.left_total(),
            "internal error: {} values read, but {} written and {} left out",
            converted.ledger.read,
            converted.written(),
            converted.ledger.left_total()
        );
        Ok((converted, targets))
    }
}

impl Sink for Converter<'_> {
    fn begin_input(&mut self, index: usize, path: &str) {
        self.input = u32::try_from(index).unwrap_or(u32::MAX);
        if self.inputs.len() <= index {
            self.inputs.resize(index + 1, String::new());
        }
        self.inputs[index] = path.to_string();
    }

    fn data_value(&mut self, mut v: DataValue<'_>) -> Result<()> {
        self.ledger.read += 1;
        if v.audit.comment == Some("[aggregated]") {
            self.ledger.aggregated += 1;
        }
        trim_ids(&mut v, &mut self.ledger, &self.inputs, self.input);
        let judgement = self.judge.judge(&mut self.ids, &v);
        if let Some(count) = self.ledger.row_counts.get_mut(judgement.row as usize) {
            *count += 1;
        }
        let accepted = match judgement.verdict {
            Ok(accepted) => accepted,
            Err((reason, detail)) => {
                if let Some(first) = self.ledger.row_reasons.get_mut(judgement.row as usize) {
                    first.get_or_insert(reason);
                }
                if let Some(key) = judgement.key {
                    self.touched.insert(key);
                }
                let input = self
                    .inputs
                    .get(self.input as usize)
                    .map_or("", String::as_str);
                if reason == Reason::Unmapped {
                    let source = Source {
                        data_element: self.ids.intern(v.data_element),
                        category_option_combo: self.ids.intern(v.category_option_combo),
                        attribute_option_combo: self.ids.intern(v.attribute_option_combo),
                        org_unit: Id::EMPTY,
                    };
                    self.ledger
                        .unmapped(&source, || format!("{input}: {}", v.place));
                }
                self.ledger.leave(reason, &v, input, || detail);
                return Ok(());
            }
        };
        let record = u32::try_from(v.place.record).unwrap_or(u32::MAX);
        if let (Some(exported), Some(raw)) = (self.exported.as_mut(), v.value)
            && raw != &*accepted.value
        {
            exported.keep(self.input, record, raw);
        }
        let contribution = Contribution {
            value: Default::default(),
            source: accepted.source,
            row: judgement.row,
            input: self.input,
            // Saturate: four billion values or lines into one file are beyond any export.
            record,
            line: v
                .place
                .line
                .map_or(0, |l| u32::try_from(l).unwrap_or(u32::MAX)),
            deleted: v.deleted,
        };
        self.store.prefetch(&accepted.key);
        self.store_pending()?;
        let pending = &mut self.pending;
        pending.waiting = true;
        pending.key = accepted.key;
        pending.data_set = accepted.data_set;
        pending.value.clear();
        pending.value.push_str(&accepted.value);
        pending.contribution = contribution;
        Ok(())
    }
}

/// The value with its ids trimmed of surrounding white space, which DHIS2 would keep (JSON,
/// XML, quoted CSV) and then fail to find; counted, with the first place, for a warning.
fn trim_ids(v: &mut DataValue, ledger: &mut Ledger, inputs: &[String], input: u32) {
    let padded = |s: &str| {
        s.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
            || s.as_bytes().last().is_some_and(u8::is_ascii_whitespace)
    };
    let ids = [
        &mut v.data_element,
        &mut v.period,
        &mut v.org_unit,
        &mut v.category_option_combo,
        &mut v.attribute_option_combo,
    ];
    let mut trimmed = false;
    for id in ids {
        if padded(id) {
            *id = id.trim();
            trimmed = true;
        }
    }
    if trimmed {
        ledger.trimmed_ids += 1;
        if ledger.first_trimmed.is_none() {
            let file = inputs.get(input as usize).map_or("", String::as_str);
            ledger.first_trimmed = Some(format!("{file}: {}", v.place));
        }
    }
}
