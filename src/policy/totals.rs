//! Written values summed per data element × category option combo × period, for the audit
//! workbook's Totals sheet.

use rustc_hash::FxHashMap;

use crate::convert::Converted;
use crate::ids::Id;

/// Written values of one data element × category option combo × period.
#[derive(Debug, Clone)]
pub struct Total {
    pub data_element: String,
    pub category_option_combo: String,
    pub period: String,
    pub values: u64,
    /// The sum of the numeric values.
    pub sum: f64,
    pub non_numeric: u64,
}

/// The totals, sorted; deletions are not values and are left out.
pub fn totals(c: &Converted) -> Vec<Total> {
    let mut sums: FxHashMap<(Id, Id, Id), (u64, f64, u64)> = FxHashMap::default();
    for (_, slot) in c.values().filter(|(_, s)| !s.deletes()) {
        let k = &slot.key;
        let t = sums
            .entry((k.data_element, k.category_option_combo, k.period))
            .or_default();
        t.0 += 1;
        match c.value_text(slot).parse::<f64>() {
            Ok(n) if n.is_finite() => t.1 += n,
            _ => t.2 += 1,
        }
    }
    let mut out: Vec<Total> = sums
        .into_iter()
        .map(|((de, coc, pe), (values, sum, non_numeric))| Total {
            data_element: c.text(de).to_string(),
            category_option_combo: c.text(coc).to_string(),
            period: c.text(pe).to_string(),
            values,
            sum,
            non_numeric,
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
