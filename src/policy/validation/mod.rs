//! The target's validation rules, evaluated offline on the values written, as DHIS2's
//! `DataValidationRunner` (dhis2-core 2.43) evaluates them in a validation run over the same
//! periods (docs/dhis2-rules.md, "Validation rules"):
//!
//! - per rule period type, per period of that type the output holds, per org unit with values;
//!   a rule with `organisationUnitLevels` only at those levels;
//! - the values of a period are those of every period of the output whose type is as long or
//!   longer and which holds the period's start, the shortest preferred (`addValueToDataMap`);
//!   `#{de}` sums every category option combo, `#{de.coc}` one of them, and `#{de.coc.aoc}`
//!   is read as `#{de.coc}` (the runner keys operands by data element and combo only);
//! - only attribute option combos with a value for an item of the period type's rules are
//!   evaluated; each side by its missing value strategy (`NEVER_SKIP` counts a missing item as
//!   0, so a `compulsory_pair` under it never fires); then `isViolation`.
//!
//! A rule using anything else is listed as not evaluated, with the reason. Violations are
//! reported, never a reason to stop.

pub mod expr;

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::metadata::{Metadata, RuleSide, ValidationRule};
use crate::period::{self, Period, PeriodType};
use crate::write::OutputValue;
use expr::{Expr, Item};

/// What the rules found.
#[derive(Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Rules evaluated (their expressions read, their period type in the output).
    pub evaluated: u64,
    /// Rule × org unit × period × attribute option combo checks made.
    pub checks: u64,
    pub skipped: Vec<Skipped>,
    pub violations: Vec<Violation>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub rule: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    pub rule: String,
    pub name: String,
    pub importance: String,
    pub org_unit: String,
    pub period: String,
    pub attribute_option_combo: String,
    pub left: Option<f64>,
    pub operator: String,
    pub right: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    SkipIfAnyValueMissing,
    SkipIfAllValuesMissing,
    NeverSkip,
}

/// A rule ready to evaluate.
struct Rule<'m> {
    source: &'m ValidationRule,
    period_type: PeriodType,
    left: (Expr, Strategy),
    right: (Expr, Strategy),
}

fn strategy(side: &RuleSide) -> Result<Strategy, String> {
    match side
        .missing_value_strategy
        .as_deref()
        .unwrap_or("SKIP_IF_ALL_VALUES_MISSING")
    {
        "SKIP_IF_ANY_VALUE_MISSING" => Ok(Strategy::SkipIfAnyValueMissing),
        "SKIP_IF_ALL_VALUES_MISSING" => Ok(Strategy::SkipIfAllValuesMissing),
        "NEVER_SKIP" => Ok(Strategy::NeverSkip),
        other => Err(format!("missing value strategy `{other}` is not known")),
    }
}

const OPERATORS: [&str; 8] = [
    "equal_to",
    "not_equal_to",
    "greater_than",
    "greater_than_or_equal_to",
    "less_than",
    "less_than_or_equal_to",
    "compulsory_pair",
    "exclusive_pair",
];

/// Reads a rule, or says why it is not evaluated.
fn rule<'m>(r: &'m ValidationRule, meta: &Metadata) -> Result<Rule<'m>, String> {
    let period_type = r
        .period_type
        .as_deref()
        .and_then(PeriodType::from_name)
        .ok_or_else(|| {
            format!(
                "period type `{}` is not known",
                r.period_type.as_deref().unwrap_or("")
            )
        })?;
    if !OPERATORS.contains(&r.operator.as_str()) {
        return Err(format!("operator `{}` is not evaluated", r.operator));
    }
    let side = |s: &RuleSide, which: &str| -> Result<(Expr, Strategy), String> {
        let e = expr::parse(&s.expression).map_err(|e| format!("{which} side {e}"))?;
        let mut items = Vec::new();
        e.items(&mut items);
        for i in &items {
            let (de, _) = meta.data_element(&i.data_element).ok_or_else(|| {
                format!(
                    "data element {} is not in the target metadata",
                    i.data_element
                )
            })?;
            let numeric =
                crate::value::ValueType::parse(de.value_type.as_deref().unwrap_or("NUMBER"))
                    .is_some_and(|t| t.is_numeric());
            if !numeric {
                return Err(format!("data element {} is not numeric", i.data_element));
            }
        }
        Ok((e, strategy(s)?))
    };
    Ok(Rule {
        source: r,
        period_type,
        left: side(&r.left_side, "left")?,
        right: side(&r.right_side, "right")?,
    })
}

/// A written value reduced to what the rules read.
struct Value {
    data_element: String,
    category_option_combo: String,
    org_unit: String,
    attribute_option_combo: String,
    period: Period,
    value: f64,
}

/// Evaluates the metadata's validation rules on `written` (values, not deletions).
pub fn evaluate<'a>(meta: &Metadata, written: impl Iterator<Item = OutputValue<'a>>) -> Outcome {
    let mut out = Outcome::default();
    let mut rules = Vec::new();
    for r in &meta.validation_rules {
        match rule(r, meta) {
            Ok(rule) => rules.push(rule),
            Err(reason) => out.skipped.push(skipped(r, reason)),
        }
    }
    let values = read_values(meta, &rules, written);
    let present: BTreeSet<PeriodType> = values.iter().map(|v| v.period.period_type).collect();
    let by_type = group_by_type(rules);
    for (pt, rules) in by_type {
        if !present.contains(&pt) {
            for r in rules {
                out.skipped.push(skipped(
                    r.source,
                    format!("the output holds no {pt} values"),
                ));
            }
            continue;
        }
        out.evaluated += rules.len() as u64;
        run_period_type(meta, pt, &rules, &values, &present, &mut out);
    }
    out
}

fn skipped(r: &ValidationRule, reason: String) -> Skipped {
    Skipped {
        rule: r.id.clone(),
        name: r.name.clone(),
        reason,
    }
}

fn group_by_type(rules: Vec<Rule>) -> BTreeMap<PeriodType, Vec<Rule>> {
    let mut out: BTreeMap<PeriodType, Vec<Rule>> = BTreeMap::new();
    for r in rules {
        out.entry(r.period_type).or_default().push(r);
    }
    out
}

/// The written numeric values of the data elements the rules read, with UIDs for the data
/// element and category option combo (the output may use codes).
fn read_values<'a>(
    meta: &Metadata,
    rules: &[Rule],
    written: impl Iterator<Item = OutputValue<'a>>,
) -> Vec<Value> {
    let mut wanted: FxHashSet<&str> = FxHashSet::default();
    for r in rules {
        let mut items = Vec::new();
        r.left.0.items(&mut items);
        r.right.0.items(&mut items);
        for i in items {
            if let Some((de, _)) = meta.data_element(&i.data_element) {
                wanted.insert(de.id.as_str());
            }
        }
    }
    let default_coc = meta.default_option_combo_uid().to_string();
    let mut out = Vec::new();
    for v in written.filter(|v| !v.deleted) {
        let Some((de, _)) = meta.data_element(v.data_element) else {
            continue;
        };
        if !wanted.contains(de.id.as_str()) {
            continue;
        }
        let (Ok(period), Ok(value)) = (period::parse(v.period), v.value.trim().parse::<f64>())
        else {
            continue;
        };
        let coc = match v.category_option_combo {
            "" => default_coc.clone(),
            c => meta
                .category_option_combo(c)
                .map_or(c.to_string(), |(x, _)| x.id.clone()),
        };
        out.push(Value {
            data_element: de.id.clone(),
            category_option_combo: coc,
            org_unit: v.org_unit.to_string(),
            attribute_option_combo: v.attribute_option_combo.to_string(),
            period,
            value,
        });
    }
    out
}

/// An item's value key: the data element alone (`#{de}`), or with its combo.
type ItemKey = (String, Option<String>);

/// Per org unit, per attribute option combo, each item's value and the length of the period
/// it came from.
type DataMap = BTreeMap<String, BTreeMap<String, FxHashMap<ItemKey, (f64, i64)>>>;

fn run_period_type(
    meta: &Metadata,
    pt: PeriodType,
    rules: &[Rule],
    values: &[Value],
    present: &BTreeSet<PeriodType>,
    out: &mut Outcome,
) {
    let operands: FxHashSet<ItemKey> = rules
        .iter()
        .flat_map(|r| {
            let mut items = Vec::new();
            r.left.0.items(&mut items);
            r.right.0.items(&mut items);
            items
        })
        .filter_map(|i| item_key(meta, &i))
        .collect();
    let periods: BTreeMap<String, &Period> = values
        .iter()
        .filter(|v| v.period.period_type == pt)
        .map(|v| (v.period.id.clone(), &v.period))
        .collect();
    for period in periods.values() {
        let data = data_map(values, period, pt, present, &operands);
        for (org_unit, by_aoc) in &data {
            let level = meta.level(org_unit);
            for r in rules {
                let levels = &r.source.organisation_unit_levels;
                if !levels.is_empty() && !level.is_some_and(|l| levels.contains(&l)) {
                    continue;
                }
                check_rule(meta, r, org_unit, period, by_aoc, out);
            }
        }
    }
}

/// The key an item reads: `#{de}` the data element's sum, `#{de.coc}` and `#{de.coc.aoc}`
/// the combo's value.
fn item_key(meta: &Metadata, i: &Item) -> Option<ItemKey> {
    let (de, _) = meta.data_element(&i.data_element)?;
    Some((de.id.clone(), i.category_option_combo.clone()))
}

/// DHIS2's `getDataValueMap` + `addValueToDataMap` for one period.
fn data_map(
    values: &[Value],
    period: &Period,
    pt: PeriodType,
    present: &BTreeSet<PeriodType>,
    operands: &FxHashSet<ItemKey>,
) -> DataMap {
    let mut map: DataMap = BTreeMap::new();
    for v in values {
        let q = &v.period;
        let allowed = present.contains(&q.period_type)
            && q.period_type.frequency_order() >= pt.frequency_order();
        let holds_start = q.start <= period.start && period.start <= q.end;
        if !(allowed && holds_start) {
            continue;
        }
        let length = q.end.days() - q.start.days();
        let items = map
            .entry(v.org_unit.clone())
            .or_default()
            .entry(v.attribute_option_combo.clone())
            .or_default();
        let whole = (v.data_element.clone(), None);
        let operand = (
            v.data_element.clone(),
            Some(v.category_option_combo.clone()),
        );
        for key in [whole, operand] {
            if !operands.contains(&key) {
                continue;
            }
            add(items, key, v.value, length);
        }
    }
    map
}

/// A value for an item: a shorter period's replaces a longer one's, one as long adds up.
fn add(items: &mut FxHashMap<ItemKey, (f64, i64)>, key: ItemKey, value: f64, length: i64) {
    match items.get_mut(&key) {
        Some((_, l)) if *l < length => {}
        Some(e) if e.1 > length => *e = (value, length),
        Some(e) => e.0 += value,
        None => {
            items.insert(key, (value, length));
        }
    }
}

fn check_rule(
    meta: &Metadata,
    r: &Rule,
    org_unit: &str,
    period: &Period,
    by_aoc: &BTreeMap<String, FxHashMap<ItemKey, (f64, i64)>>,
    out: &mut Outcome,
) {
    let side = |(e, s): &(Expr, Strategy), items: &FxHashMap<ItemKey, (f64, i64)>| {
        let (v, found, with_value) = e.eval(&|i: &Item| {
            item_key(meta, i)
                .and_then(|k| items.get(&k))
                .map(|(v, _)| *v)
        });
        let skip = match s {
            Strategy::SkipIfAnyValueMissing => with_value < found,
            Strategy::SkipIfAllValuesMissing => found != 0 && with_value == 0,
            Strategy::NeverSkip => false,
        };
        (!skip && v.is_finite()).then_some(v)
    };
    for (aoc, items) in by_aoc {
        let (left, right) = (side(&r.left, items), side(&r.right, items));
        if left.is_none() && right.is_none() {
            continue;
        }
        out.checks += 1;
        if violation(r, left, right) {
            let s = r.source;
            out.violations.push(Violation {
                rule: s.id.clone(),
                name: s.name.clone(),
                importance: s.importance.clone().unwrap_or_default(),
                org_unit: org_unit.to_string(),
                period: period.id.clone(),
                attribute_option_combo: aoc.clone(),
                left,
                operator: s.operator.clone(),
                right,
            });
        }
    }
}

/// dhis2-core `DataValidationRunner.isViolation`.
fn violation(r: &Rule, left: Option<f64>, right: Option<f64>) -> bool {
    match r.source.operator.as_str() {
        "compulsory_pair" => return left.is_none() != right.is_none(),
        "exclusive_pair" => return left.is_some() && right.is_some(),
        _ => {}
    }
    let fill = |v: Option<f64>, s: Strategy| match v {
        Some(v) => Some(v),
        None if s == Strategy::NeverSkip => Some(0.0),
        None => None,
    };
    let (Some(l), Some(rr)) = (fill(left, r.left.1), fill(right, r.right.1)) else {
        return false;
    };
    let holds = match r.source.operator.as_str() {
        "equal_to" => l == rr,
        "not_equal_to" => l != rr,
        "greater_than" => l > rr,
        "greater_than_or_equal_to" => l >= rr,
        "less_than" => l < rr,
        _ => l <= rr,
    };
    !holds
}
