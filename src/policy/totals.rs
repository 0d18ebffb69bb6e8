//! Written values summed per data element × category option combo × period, for the audit
//! workbook's Totals sheet. Only additive values are summed: not percentages, unit intervals,
//! non-numeric types, nor data elements that analytics averages or takes the last of (rates,
//! stocks); those rows keep their count and say why they have no sum.

use rustc_hash::FxHashMap;

use crate::convert::Converted;
use crate::ids::Id;
use crate::value::ValueType;

/// Written values of one data element × category option combo × period.
#[derive(Debug, Clone)]
pub struct Total {
    pub data_element: String,
    pub category_option_combo: String,
    pub period: String,
    pub values: u64,
    /// The sum of the numeric values; `None` when they do not add up.
    pub sum: Option<f64>,
    pub non_numeric: u64,
    /// Why there is no sum.
    pub not_summed: Option<String>,
}

/// Why a data element's values do not add up, from its value type and aggregation type.
pub fn not_additive(value_type: Option<ValueType>, aggregation: Option<&str>) -> Option<String> {
    match value_type {
        Some(t) if !t.is_numeric() => return Some(format!("{t} is not a number")),
        Some(t @ (ValueType::Percentage | ValueType::UnitInterval)) => {
            return Some(format!("{t} values do not add up"));
        }
        _ => {}
    }
    match aggregation {
        None | Some("SUM" | "COUNT" | "DEFAULT" | "NONE") => None,
        Some(a) => Some(format!("aggregated by {a}, not summed")),
    }
}

/// The totals, sorted; deletions are not values and are left out. `kind` says, for a data
/// element as written, why its values do not add up.
pub fn totals(c: &Converted, kind: impl Fn(&str) -> Option<String>) -> Vec<Total> {
    let mut sums: FxHashMap<(Id, Id, Id), (u64, f64, u64)> = FxHashMap::default();
    for (_, slot) in c.values().filter(|(_, s)| !s.deletes()) {
        let k = &slot.key;
        let t = sums
            .entry((k.data_element, k.category_option_combo, k.period))
            .or_default();
        t.0 += 1;
        match c.value_text(&slot).parse::<f64>() {
            Ok(n) if n.is_finite() => t.1 += n,
            _ => t.2 += 1,
        }
    }
    let mut out: Vec<Total> = sums
        .into_iter()
        .map(|((de, coc, pe), (values, sum, non_numeric))| {
            let not_summed = kind(c.text(de));
            Total {
                data_element: c.text(de).to_string(),
                category_option_combo: c.text(coc).to_string(),
                period: c.text(pe).to_string(),
                values,
                sum: not_summed.is_none().then_some(sum),
                non_numeric,
                not_summed,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.data_element, &a.category_option_combo, &a.period).cmp(&(
            &b.data_element,
            &b.category_option_combo,
            &b.period,
        ))
    });
    out
}
