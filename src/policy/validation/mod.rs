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

mod data;
pub mod expr;

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use crate::metadata::{Metadata, RuleSide, ValidationRule};
use crate::period::{Period, PeriodType};
pub use data::Written;
use data::{Data, ItemKey, Items};
use expr::{Expr, Item, Program};

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

impl Violation {
    /// The failure in words: `85 is not ≥ 92`, `both sides have data (exclusive pair)`.
    pub fn failure(&self) -> String {
        let side = |v: Option<f64>| v.map_or("no data".to_string(), |v| v.to_string());
        let sign = match self.operator.as_str() {
            "equal_to" => "=",
            "not_equal_to" => "≠",
            "greater_than" => ">",
            "greater_than_or_equal_to" => "≥",
            "less_than" => "<",
            "less_than_or_equal_to" => "≤",
            "compulsory_pair" => {
                return format!(
                    "left {} but right {} (compulsory pair: both or neither)",
                    side(self.left),
                    side(self.right)
                );
            }
            "exclusive_pair" => {
                return format!(
                    "both sides have data, {} and {} (exclusive pair: at most one)",
                    side(self.left),
                    side(self.right)
                );
            }
            other => other,
        };
        format!("{} is not {sign} {}", side(self.left), side(self.right))
    }
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
    operator: Operator,
    left: (Expr, Strategy),
    right: (Expr, Strategy),
}

impl Rule<'_> {
    /// The items of both sides.
    fn items(&self) -> Vec<Item> {
        let mut items = Vec::new();
        self.left.0.items(&mut items);
        self.right.0.items(&mut items);
        items
    }
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

/// A rule's operator (dhis2-core `Operator`); any other is not evaluated, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    EqualTo,
    NotEqualTo,
    GreaterThan,
    GreaterThanOrEqualTo,
    LessThan,
    LessThanOrEqualTo,
    CompulsoryPair,
    ExclusivePair,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        Some(match name {
            "equal_to" => Operator::EqualTo,
            "not_equal_to" => Operator::NotEqualTo,
            "greater_than" => Operator::GreaterThan,
            "greater_than_or_equal_to" => Operator::GreaterThanOrEqualTo,
            "less_than" => Operator::LessThan,
            "less_than_or_equal_to" => Operator::LessThanOrEqualTo,
            "compulsory_pair" => Operator::CompulsoryPair,
            "exclusive_pair" => Operator::ExclusivePair,
            _ => return None,
        })
    }
}

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
    let operator = Operator::parse(&r.operator)
        .ok_or_else(|| format!("operator `{}` is not evaluated", r.operator))?;
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
        operator,
        left: side(&r.left_side, "left")?,
        right: side(&r.right_side, "right")?,
    })
}

/// Evaluates the metadata's validation rules on `written` (values, not deletions).
/// The periods are evaluated on up to `threads` threads; the outcome is the same on one.
pub fn evaluate<'a>(
    meta: &Metadata,
    written: impl Iterator<Item = Written<'a>>,
    calendar: crate::period::Calendar,
    threads: usize,
) -> Outcome {
    let mut out = Outcome::default();
    let mut rules = Vec::new();
    for r in &meta.validation_rules {
        match rule(r, meta) {
            Ok(rule) => rules.push(rule),
            Err(reason) => out.skipped.push(skipped(r, reason)),
        }
    }
    let items: Vec<Item> = rules.iter().flat_map(Rule::items).collect();
    let data = Data::read(meta, &items, written, calendar);
    for (pt, rules) in group_by_type(rules) {
        if !data.has_type(pt) {
            for r in rules {
                out.skipped.push(skipped(
                    r.source,
                    format!("the output holds no {pt} values"),
                ));
            }
            continue;
        }
        out.evaluated += rules.len() as u64;
        run_period_type(meta, pt, &rules, &data, threads, &mut out);
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

/// The rules of one period type on every period of that type the output holds: the periods
/// on `threads` threads, their results joined in time order.
fn run_period_type(
    meta: &Metadata,
    pt: PeriodType,
    rules: &[Rule],
    data: &Data,
    threads: usize,
    out: &mut Outcome,
) {
    let wanted: FxHashSet<ItemKey> = rules
        .iter()
        .flat_map(Rule::items)
        .filter_map(|i| data.key(&i))
        .collect();
    // Each side compiled once, its items resolved to their value keys.
    let key = |i: &Item| data.key(i);
    let programs: Vec<Sides> = rules
        .iter()
        .map(|r| {
            [
                (r.left.0.compile(&key), r.left.1),
                (r.right.0.compile(&key), r.right.1),
            ]
        })
        .collect();
    let periods = data.periods_of(pt);
    let parts = crate::parallel::map_in_order(&periods, threads, |&period| {
        let mut part = Outcome::default();
        let mut stack = Vec::new();
        let map = data.map(period, &wanted);
        let mut by_ou: BTreeMap<u32, Vec<(u32, &Items)>> = BTreeMap::new();
        for (&(ou, aoc), items) in &map {
            by_ou.entry(ou).or_default().push((aoc, items));
        }
        for (ou, by_aoc) in &by_ou {
            let org_unit = data.name(*ou);
            let level = std::cell::OnceCell::new();
            for (r, sides) in rules.iter().zip(&programs) {
                let levels = &r.source.organisation_unit_levels;
                let level = || *level.get_or_init(|| meta.level(org_unit));
                if !levels.is_empty() && !level().is_some_and(|l| levels.contains(&l)) {
                    continue;
                }
                let at = (org_unit, data.period(period));
                check_rule(data, r, sides, at, by_aoc, &mut stack, &mut part);
            }
        }
        part
    });
    for part in parts {
        out.checks += part.checks;
        out.violations.extend(part.violations);
    }
}

/// A rule's two sides, compiled, with their missing-value strategies.
type Sides = [(Program<Option<ItemKey>>, Strategy); 2];

fn check_rule(
    data: &Data,
    r: &Rule,
    sides: &Sides,
    (org_unit, period): (&str, &Period),
    by_aoc: &[(u32, &Items)],
    stack: &mut Vec<f64>,
    out: &mut Outcome,
) {
    let mut side = |(e, s): &(Program<Option<ItemKey>>, Strategy), items: &Items| {
        let value = |k: Option<ItemKey>| k.and_then(|k| items.get(&k)).map(|(v, _)| *v);
        let (v, found, with_value) = e.run(value, stack);
        let skip = match s {
            Strategy::SkipIfAnyValueMissing => with_value < found,
            Strategy::SkipIfAllValuesMissing => found != 0 && with_value == 0,
            Strategy::NeverSkip => false,
        };
        (!skip && v.is_finite()).then_some(v)
    };
    for &(aoc, items) in by_aoc {
        let (left, right) = (side(&sides[0], items), side(&sides[1], items));
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
                attribute_option_combo: data.name(aoc).to_string(),
                left,
                operator: s.operator.clone(),
                right,
            });
        }
    }
}

/// dhis2-core `DataValidationRunner.isViolation`.
fn violation(r: &Rule, left: Option<f64>, right: Option<f64>) -> bool {
    match r.operator {
        Operator::CompulsoryPair => return left.is_none() != right.is_none(),
        Operator::ExclusivePair => return left.is_some() && right.is_some(),
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
    let holds = match r.operator {
        Operator::EqualTo => l == rr,
        Operator::NotEqualTo => l != rr,
        Operator::GreaterThan => l > rr,
        Operator::GreaterThanOrEqualTo => l >= rr,
        Operator::LessThan => l < rr,
        Operator::LessThanOrEqualTo => l <= rr,
        Operator::CompulsoryPair | Operator::ExclusivePair => true,
    };
    !holds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_reads_as_a_failure() {
        let v = |left, operator: &str, right| Violation {
            rule: String::new(),
            name: String::new(),
            importance: String::new(),
            org_unit: String::new(),
            period: String::new(),
            attribute_option_combo: String::new(),
            left,
            operator: operator.into(),
            right,
        };
        let f = |l, o, r| v(l, o, r).failure();
        assert_eq!(
            f(Some(85.0), "greater_than_or_equal_to", Some(92.0)),
            "85 is not ≥ 92"
        );
        assert_eq!(f(Some(53.0), "equal_to", Some(300.0)), "53 is not = 300");
        assert_eq!(
            f(Some(29.0), "less_than_or_equal_to", Some(22.5)),
            "29 is not ≤ 22.5"
        );
        assert_eq!(f(None, "greater_than", Some(1.0)), "no data is not > 1");
        assert_eq!(
            f(Some(3.0), "compulsory_pair", None),
            "left 3 but right no data (compulsory pair: both or neither)"
        );
        assert!(f(Some(1.0), "exclusive_pair", Some(2.0)).starts_with("both sides have data"));
    }

    #[test]
    fn every_operator_dhis2_names_is_read_and_no_other() {
        let names = [
            "equal_to",
            "not_equal_to",
            "greater_than",
            "greater_than_or_equal_to",
            "less_than",
            "less_than_or_equal_to",
            "compulsory_pair",
            "exclusive_pair",
        ];
        let read: Vec<Operator> = names.iter().filter_map(|n| Operator::parse(n)).collect();
        assert_eq!(read.len(), names.len());
        for unknown in ["", "EQUAL_TO", "less_than_or_equal", "between"] {
            assert_eq!(Operator::parse(unknown), None, "{unknown}");
        }
    }
}
