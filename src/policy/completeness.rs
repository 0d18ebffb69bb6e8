//! `--complete`: a completeDataSetRegistrations payload for every data set × period × org unit
//! × attribute option combo that received at least `min` written values, and, with the target
//! metadata, the compulsory operands each lacks among the values written (DHIS2 checks them
//! against the stored values: `DefaultCompleteDataSetRegistrationExchangeService`,
//! `getMissingCompulsoryFields`; docs/dhis2-rules.md, *Completeness*).

use rustc_hash::{FxHashMap, FxHashSet};

use crate::convert::Converted;
use crate::ids::DataSetId;
use crate::ids::Id;
use crate::metadata::Metadata;

/// A data set form that received values.
#[derive(Debug, Clone)]
pub struct Registration {
    pub data_set: DataSetId,
    pub period: String,
    pub org_unit: String,
    /// Blank for the default.
    pub attribute_option_combo: String,
    /// The compulsory operands no value written fills (`DE` or `DE.COC`, UIDs).
    pub missing: Vec<String>,
    /// The data set has `compulsoryFieldsCompleteOnly`: with operands missing, DHIS2 skips it.
    pub skipped: bool,
}

/// A form: data set, period, org unit, attribute option combo (interned).
type Form = (Id, Id, Id, Id);

/// The registrations, in the order their first value was read. Deletions are not values.
pub fn registrations(c: &Converted, min: u64, meta: Option<&Metadata>) -> Vec<Registration> {
    let mut counts: FxHashMap<Form, u64> = FxHashMap::default();
    let mut filled: FxHashMap<Form, FxHashSet<(Id, Id)>> = FxHashMap::default();
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
        filled
            .entry(form)
            .or_default()
            .insert((k.data_element, k.category_option_combo));
    }
    order
        .into_iter()
        .filter(|form| counts[form] >= min)
        .filter_map(|form| {
            let (ds, pe, ou, aoc) = form;
            let data_set = c.data_set(ds)?;
            let (missing, skipped) = match meta {
                Some(m) => compulsory(c, m, &data_set.id, &filled[&form]),
                None => (Vec::new(), false),
            };
            Some(Registration {
                data_set,
                period: c.text(pe).to_string(),
                org_unit: c.text(ou).to_string(),
                attribute_option_combo: c.text(aoc).to_string(),
                missing,
                skipped,
            })
        })
        .collect()
}

/// The data set's compulsory operands that none of `filled` (data element, COC as written)
/// covers, and whether DHIS2 then skips the registration.
fn compulsory(
    c: &Converted,
    meta: &Metadata,
    data_set: &str,
    filled: &FxHashSet<(Id, Id)>,
) -> (Vec<String>, bool) {
    let Some((set, _)) = meta.data_set(data_set) else {
        return (Vec::new(), false);
    };
    // The values written, as UIDs (the default COC written blank).
    let default = meta.default_option_combo_uid();
    let have: FxHashSet<(&str, &str)> = filled
        .iter()
        .filter_map(|&(de, coc)| {
            let de = meta.data_element(c.text(de))?.0.id.as_str();
            let coc = match c.text(coc) {
                "" => default,
                coc => meta
                    .category_option_combo(coc)
                    .map_or(coc, |(x, _)| x.id.as_str()),
            };
            Some((de, coc))
        })
        .collect();
    let missing: Vec<String> = set
        .compulsory_data_element_operands
        .iter()
        .filter(|o| {
            let de = o.data_element.id.as_str();
            match &o.category_option_combo {
                Some(coc) => !have.contains(&(de, coc.id.as_str())),
                None => !have.iter().any(|(d, _)| *d == de),
            }
        })
        .map(|o| match &o.category_option_combo {
            Some(coc) => format!("{}.{}", o.data_element.id, coc.id),
            None => o.data_element.id.clone(),
        })
        .collect();
    let skipped = !missing.is_empty() && set.compulsory_fields_complete_only;
    (missing, skipped)
}

/// The JSON payload DHIS2 imports at `/api/completeDataSetRegistrations`; `date` is the
/// completion date (without it DHIS2 takes the import time, which timeliness is measured by).
pub fn payload(registrations: &[Registration], date: Option<&str>) -> serde_json::Value {
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
            if let Some(d) = date {
                json["date"] = d.into();
            }
            json
        })
        .collect();
    serde_json::json!({ "completeDataSetRegistrations": list })
}
