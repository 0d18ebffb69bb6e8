//! `--complete`: a completeDataSetRegistrations payload for every data set × period × org unit
//! × attribute option combo that received at least `min` written values.

use rustc_hash::FxHashMap;

use crate::convert::Converted;
use crate::ids::DataSetId;
use crate::ids::Id;

/// A data set form that received values.
#[derive(Debug, Clone)]
pub struct Registration {
    pub data_set: DataSetId,
    pub period: String,
    pub org_unit: String,
    /// Blank for the default.
    pub attribute_option_combo: String,
}

/// The registrations, in the order their first value was read. Deletions are not values.
pub fn registrations(c: &Converted, min: u64) -> Vec<Registration> {
    let mut counts: FxHashMap<(Id, Id, Id, Id), u64> = FxHashMap::default();
    let mut order = Vec::new();
    for (_, slot) in c
        .values()
        .filter(|(_, s)| !s.deletes() && !s.data_set.is_empty())
    {
        let k = &slot.key;
        let form = (
            slot.data_set,
            k.period,
            k.org_unit,
            k.attribute_option_combo,
        );
        let n = counts.entry(form).or_insert(0);
        if *n == 0 {
            order.push(form);
        }
        *n += 1;
    }
    order
        .into_iter()
        .filter(|form| counts[form] >= min)
        .filter_map(|(ds, pe, ou, aoc)| {
            Some(Registration {
                data_set: c.data_set(ds)?,
                period: c.text(pe).to_string(),
                org_unit: c.text(ou).to_string(),
                attribute_option_combo: c.text(aoc).to_string(),
            })
        })
        .collect()
}

/// The JSON payload DHIS2 imports at `/api/completeDataSetRegistrations`.
pub fn payload(registrations: &[Registration]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = registrations
        .iter()
        .map(|r| {
            let mut json = serde_json::json!({
                "dataSet": r.data_set.id, "period": r.period, "organisationUnit": r.org_unit,
                "completed": true,
            });
            if !r.attribute_option_combo.is_empty() {
                json["attributeOptionCombo"] = r.attribute_option_combo.clone().into();
            }
            json
        })
        .collect();
    serde_json::json!({ "completeDataSetRegistrations": list })
}
