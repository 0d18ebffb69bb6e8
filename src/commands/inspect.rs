//! `pi2de inspect`: what is in an export, before converting it — format, values, data items,
//! periods with their types, org units, value statistics and keys that repeat.

use std::collections::BTreeMap;

use std::io::Write;

use std::hash::BuildHasher;

use anyhow::Result;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use crate::cli::InspectArgs;
use crate::exit_codes::ExitCode;
use crate::ids::{Id, Interner, Key};
use crate::model::DataValue;
use crate::period::{self, Calendar};
use crate::read::{self, Sink};
use crate::relay;
use crate::value::canonical_number;
use crate::words::{count, thousands};

/// Statistics gathered from the values read. Ids are interned and a key costs its five ids,
/// a count and a hash of its first value, so memory follows distinct ids and keys, not values.
#[derive(Default)]
struct Stats {
    values: u64,
    ids: Interner,
    data_elements: FxHashSet<Id>,
    items: FxHashSet<[Id; 3]>,
    periods: FxHashMap<Id, u64>,
    org_units: FxHashSet<Id>,
    numeric: u64,
    non_canonical: u64,
    non_numeric: u64,
    missing: u64,
    min: Option<f64>,
    max: Option<f64>,
    keys: FxHashMap<Key, Repeat>,
}

/// How often a key was read, a hash of its first value (canonical), and whether a later value
/// differed.
#[derive(Clone, Copy)]
struct Repeat {
    count: u32,
    first: u64,
    differs: bool,
}

impl Stats {
    fn value(&mut self, value: Option<&str>) -> u64 {
        let Some(raw) = value else {
            self.missing += 1;
            return 0;
        };
        let canonical = canonical_number(raw);
        match &canonical {
            Some(c) => {
                self.numeric += 1;
                if c != raw {
                    self.non_canonical += 1;
                }
                if let Ok(f) = c.parse::<f64>() {
                    self.min = Some(self.min.map_or(f, |m| m.min(f)));
                    self.max = Some(self.max.map_or(f, |m| m.max(f)));
                }
            }
            None => self.non_numeric += 1,
        }
        FxBuildHasher.hash_one(canonical.as_deref().unwrap_or(raw)) | 1
    }
}

impl Sink for Stats {
    fn begin_input(&mut self, _: usize, _: &str) {}

    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        self.values += 1;
        let key = Key {
            data_element: self.ids.intern(v.data_element),
            period: self.ids.intern(v.period),
            org_unit: self.ids.intern(v.org_unit),
            category_option_combo: self.ids.intern(v.category_option_combo),
            attribute_option_combo: self.ids.intern(v.attribute_option_combo),
        };
        self.data_elements.insert(key.data_element);
        self.items.insert([
            key.data_element,
            key.category_option_combo,
            key.attribute_option_combo,
        ]);
        self.org_units.insert(key.org_unit);
        *self.periods.entry(key.period).or_default() += 1;
        let hash = self.value(v.value.map(str::trim).filter(|s| !s.is_empty()));
        let r = self.keys.entry(key).or_insert(Repeat {
            count: 0,
            first: hash,
            differs: false,
        });
        r.count = r.count.saturating_add(1);
        r.differs |= r.first != hash;
        Ok(())
    }
}

pub fn run(args: &InspectArgs) -> Result<ExitCode> {
    let from = args.from.map(Into::into);
    let progress = read::progress_bar(&args.inputs, read::Progress::Bar);
    let (stats, inputs) = relay::run(Stats::default, |new_sender| {
        read::read_inputs(&args.inputs, from, false, progress.as_ref(), new_sender)
    })?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let mut out = Vec::new();
    describe_inputs(&mut out, &inputs);
    describe_values(&mut out, &stats, args.calendar);
    describe_repeats(&mut out, &stats);
    writeln!(crate::term::stdout(), "{}", out.join("\n"))?;
    Ok(ExitCode::Success)
}

/// Each input: format, compression, values, and the payload defaults it declares.
fn describe_inputs(out: &mut Vec<String>, inputs: &[read::InputInfo]) {
    for i in inputs {
        let compression = match i.compression {
            read::Compression::None => String::new(),
            other => format!(", {other:?}").to_lowercase(),
        };
        out.push(format!(
            "{}: {}{compression}, {}",
            i.path,
            i.format.name(),
            count(i.values, "value")
        ));
        let h = &i.header;
        for (name, v) in [
            ("dataSet", &h.data_set),
            ("period", &h.period),
            ("orgUnit", &h.org_unit),
            ("idScheme", &h.id_scheme),
        ] {
            if let Some(v) = v {
                out.push(format!("  payload {name}: {v}"));
            }
        }
    }
}

/// Counts of data elements, org units, periods by type, and the values.
fn describe_values(out: &mut Vec<String>, s: &Stats, cal: Calendar) {
    out.push(format!("values:          {}", thousands(s.values)));
    out.push(format!(
        "data elements:   {} ({} distinct data items with their COC/AOC)",
        thousands(s.data_elements.len() as u64),
        thousands(s.items.len() as u64)
    ));
    out.push(format!(
        "org units:       {}",
        thousands(s.org_units.len() as u64)
    ));
    // In another calendar each period's ISO dates are shown beside it.
    let periods: BTreeMap<&str, (String, u64)> = s
        .periods
        .iter()
        .map(|(&id, &n)| {
            let text = s.ids.get(id);
            let kind = match period::parse_in(cal, text) {
                Ok(p) if cal.is_iso() => p.period_type.to_string(),
                Ok(p) => format!("{:<16} {} .. {}", p.period_type.to_string(), p.start, p.end),
                Err(_) => "invalid".into(),
            };
            (text, (kind, n))
        })
        .collect();
    let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
    for (kind, _) in periods.values() {
        let name = kind.split_whitespace().next().unwrap_or_default();
        *by_type.entry(name).or_default() += 1;
    }
    if !cal.is_iso() {
        out.push(format!(
            "calendar:        {cal} (period ids of it; the dates beside them are ISO)"
        ));
    }
    let types: Vec<String> = by_type.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    out.push(format!(
        "periods:         {} ({})",
        periods.len(),
        types.join(", ")
    ));
    for (id, (kind, n)) in periods.iter().take(24) {
        out.push(format!("  {id:<14} {kind:<16} {}", count(*n, "value")));
    }
    if periods.len() > 24 {
        out.push(format!("  … {} more", periods.len() - 24));
    }
    out.push(format!(
        "numeric values:  {} ({} written in a non-canonical form such as 12.0 or 1.0E7)",
        thousands(s.numeric),
        thousands(s.non_canonical)
    ));
    if let (Some(min), Some(max)) = (s.min, s.max) {
        out.push(format!("  range:         {min} … {max}"));
    }
    out.push(format!(
        "other values:    {} non-numeric, {} empty",
        thousands(s.non_numeric),
        thousands(s.missing)
    ));
}

/// Keys read more than once, with or without different values.
fn describe_repeats(out: &mut Vec<String>, s: &Stats) {
    let repeated: Vec<(&Key, &Repeat)> = s.keys.iter().filter(|(_, r)| r.count > 1).collect();
    let conflicting = repeated.iter().filter(|(_, r)| r.differs).count();
    out.push(format!(
        "repeated keys:   {} (same data element, period, org unit, COC, AOC): {} with identical values, {} with different values",
        thousands(repeated.len() as u64),
        thousands((repeated.len() - conflicting) as u64),
        thousands(conflicting as u64)
    ));
    let mut examples: Vec<(String, u32, bool)> = repeated
        .iter()
        .map(|(k, r)| {
            let text: Vec<&str> = k.ids().iter().map(|&i| s.ids.get(i)).collect();
            (text.join(" "), r.count, r.differs)
        })
        .collect();
    examples.sort();
    for (key, n, differ) in examples.iter().take(10) {
        let note = if *differ { " (different values)" } else { "" };
        out.push(format!("  {} ×{n}{note}", key.trim_end()));
    }
}
