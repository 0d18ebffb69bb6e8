//! `pi2de inspect`: what is in an export, before converting it — format, values, data items,
//! periods with their types, org units, value statistics and keys that repeat.

use std::collections::BTreeMap;

use std::io::Write;

use anyhow::Result;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::cli::InspectArgs;
use crate::exit_codes::ExitCode;
use crate::model::DataValue;
use crate::period;
use crate::read::{self, Sink};
use crate::value::canonical_number;

/// Statistics gathered from the values read.
#[derive(Default)]
struct Stats {
    values: u64,
    data_elements: FxHashSet<String>,
    items: FxHashSet<(String, String, String)>,
    periods: BTreeMap<String, (String, u64)>,
    org_units: FxHashSet<String>,
    numeric: u64,
    non_canonical: u64,
    non_numeric: u64,
    missing: u64,
    min: Option<f64>,
    max: Option<f64>,
    keys: FxHashMap<[String; 5], (u64, Option<String>, bool)>,
}

impl Sink for Stats {
    fn begin_input(&mut self, _: usize, _: &str) {}

    fn data_value(&mut self, v: DataValue<'_>) -> Result<()> {
        self.values += 1;
        if !self.data_elements.contains(v.data_element) {
            self.data_elements.insert(v.data_element.to_string());
        }
        self.items.insert((
            v.data_element.to_string(),
            v.category_option_combo.to_string(),
            v.attribute_option_combo.to_string(),
        ));
        if !self.org_units.contains(v.org_unit) {
            self.org_units.insert(v.org_unit.to_string());
        }
        if let Some(p) = self.periods.get_mut(v.period) {
            p.1 += 1;
        } else {
            let kind = match period::parse(v.period) {
                Ok(p) => p.period_type.to_string(),
                Err(_) => "invalid".to_string(),
            };
            self.periods.insert(v.period.to_string(), (kind, 1));
        }
        let value = v.value.map(str::trim).filter(|s| !s.is_empty());
        match value {
            None => self.missing += 1,
            Some(raw) => match canonical_number(raw) {
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
            },
        }
        let key = [
            v.data_element.to_string(),
            v.period.to_string(),
            v.org_unit.to_string(),
            v.category_option_combo.to_string(),
            v.attribute_option_combo.to_string(),
        ];
        let canonical = value
            .map(|raw| canonical_number(raw).map_or_else(|| raw.to_string(), |c| c.into_owned()));
        let entry = self
            .keys
            .entry(key)
            .or_insert((0, canonical.clone(), false));
        entry.0 += 1;
        if entry.0 > 1 && entry.1 != canonical {
            entry.2 = true;
        }
        Ok(())
    }
}

pub fn run(args: &InspectArgs) -> Result<ExitCode> {
    let from = args.from.map(Into::into);
    let (stats, inputs) = read::read_inputs(&args.inputs, from, false, None, Stats::default)?;
    let mut out = Vec::new();
    describe_inputs(&mut out, &inputs);
    describe_values(&mut out, &stats);
    describe_repeats(&mut out, &stats);
    writeln!(std::io::stdout().lock(), "{}", out.join("\n"))?;
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
            "{}: {}{compression}, {} values",
            i.path,
            i.format.name(),
            i.values
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
fn describe_values(out: &mut Vec<String>, s: &Stats) {
    out.push(format!("values:          {}", s.values));
    out.push(format!(
        "data elements:   {} ({} distinct data items with their COC/AOC)",
        s.data_elements.len(),
        s.items.len()
    ));
    out.push(format!("org units:       {}", s.org_units.len()));
    let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
    for (kind, _) in s.periods.values() {
        *by_type.entry(kind).or_default() += 1;
    }
    let types: Vec<String> = by_type.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    out.push(format!(
        "periods:         {} ({})",
        s.periods.len(),
        types.join(", ")
    ));
    for (id, (kind, n)) in s.periods.iter().take(24) {
        out.push(format!("  {id:<14} {kind:<16} {n} values"));
    }
    if s.periods.len() > 24 {
        out.push(format!("  … {} more", s.periods.len() - 24));
    }
    out.push(format!(
        "numeric values:  {} ({} written in a non-canonical form such as 12.0 or 1.0E7)",
        s.numeric, s.non_canonical
    ));
    if let (Some(min), Some(max)) = (s.min, s.max) {
        out.push(format!("  range:         {min} … {max}"));
    }
    out.push(format!(
        "other values:    {} non-numeric, {} empty",
        s.non_numeric, s.missing
    ));
}

/// Keys read more than once, with or without different values.
fn describe_repeats(out: &mut Vec<String>, s: &Stats) {
    let repeated: Vec<_> = s.keys.iter().filter(|(_, e)| e.0 > 1).collect();
    let conflicting = repeated.iter().filter(|(_, e)| e.2).count();
    out.push(format!(
        "repeated keys:   {} (same data element, period, org unit, COC, AOC): {} with identical values, {} with different values",
        repeated.len(),
        repeated.len() - conflicting,
        conflicting
    ));
    let mut examples: Vec<_> = repeated
        .iter()
        .map(|(k, e)| (k.join(" "), e.0, e.2))
        .collect();
    examples.sort();
    for (key, n, differ) in examples.iter().take(10) {
        let note = if *differ { " (different values)" } else { "" };
        out.push(format!("  {} ×{n}{note}", key.trim_end()));
    }
}
