//! DHIS2 2.42+ program indicator disaggregation: which option combos the analytics export of a
//! disaggregated indicator carries (the tracker instance's own COC/AOC UIDs,
//! `PiDisagDataHandler.addCocAndAoc`), and the HMIS option combo with the same category options
//! — matched by option UID, then code, then name.

use rustc_hash::FxHashSet;

use crate::ids::DEFAULT_CATEGORY_COMBO_UID;
use crate::metadata::{CategoryCombo, CategoryOption, CategoryOptionCombo, Metadata, Ref};

/// One side (`categoryCombo` or `attributeCombo`) of a program indicator.
pub enum Side<'t> {
    /// Not disaggregated: the export carries `aggregateExport*` (or nothing).
    Plain,
    /// Disaggregated by this combo: the export carries its option combos' UIDs.
    Combo(&'t CategoryCombo),
    /// Names a combo the tracker metadata lacks.
    Unknown(&'t str),
}

/// What a program indicator's `categoryCombo` or `attributeCombo` makes of the export.
pub fn side<'t>(tracker: &'t Metadata, combo: Option<&'t Ref>) -> Side<'t> {
    let Some(id) = combo.map(|r| r.id.trim()).filter(|id| !id.is_empty()) else {
        return Side::Plain;
    };
    if id == DEFAULT_CATEGORY_COMBO_UID {
        return Side::Plain;
    }
    match tracker.category_combo(id) {
        None => Side::Unknown(id),
        Some(_) if tracker.is_default_combo(id) => Side::Plain,
        Some(c) => Side::Combo(c),
    }
}

/// A tracker option's label for messages: `Female (apsOixVZlf1)`.
pub fn option_label(meta: &Metadata, id: &str) -> String {
    match meta.category_option(id) {
        Some(o) if !o.name.trim().is_empty() => format!("{} ({id})", o.name.trim()),
        _ => id.to_string(),
    }
}

/// A combo's label for messages: `Gender + Weight (HohH2ii7sah)`.
pub fn combo_label(c: &CategoryCombo) -> String {
    if c.name.trim().is_empty() {
        c.id.clone()
    } else {
        format!("{} ({})", c.name.trim(), c.id)
    }
}

fn same_name(a: &str, b: &str) -> bool {
    !a.trim().is_empty() && a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// The target option matching a tracker option: the same UID, else the same code, else the same
/// name, among `candidates`. An error names the tracker option and says what went wrong.
fn match_option<'m>(
    tracker: &Metadata,
    id: &str,
    target: &'m Metadata,
    candidates: &FxHashSet<&'m str>,
) -> Result<&'m str, String> {
    if let Some(&same) = candidates.get(id) {
        return Ok(same);
    }
    let label = option_label(tracker, id);
    let Some(option) = tracker.category_option(id) else {
        return Err(format!(
            "tracker option {id} is not in the tracker metadata (export categoryOptions too), \
             and the HMIS has no option with that UID"
        ));
    };
    let objects: Vec<&CategoryOption> = candidates
        .iter()
        .filter_map(|c| target.category_option(c))
        .collect();
    let code = option.code.as_deref().map(str::trim).unwrap_or("");
    for what in ["code", "name"] {
        let same = |o: &CategoryOption| match what {
            "code" => !code.is_empty() && o.code.as_deref().map(str::trim) == Some(code),
            _ => same_name(&o.name, &option.name),
        };
        let found: Vec<&CategoryOption> = objects.iter().copied().filter(|o| same(o)).collect();
        match found.as_slice() {
            [] => continue,
            [one] => return Ok(candidates.get(one.id.as_str()).copied().unwrap_or("")),
            many => {
                let ids: Vec<&str> = many.iter().map(|o| o.id.as_str()).collect();
                return Err(format!(
                    "tracker option {label} matches {} HMIS options by {what}: {}",
                    many.len(),
                    ids.join(", ")
                ));
            }
        }
    }
    Err(format!(
        "tracker option {label} has no HMIS option with its UID, code or name"
    ))
}

/// The target option combo among `candidates` with the same category options as the tracker's
/// option combo `coc`. An error names both sides.
pub fn match_combo<'m>(
    tracker: &Metadata,
    coc: &CategoryOptionCombo,
    target: &'m Metadata,
    candidates: &[&'m CategoryOptionCombo],
    target_combo: &str,
) -> Result<&'m CategoryOptionCombo, String> {
    let options: FxHashSet<&str> = candidates
        .iter()
        .flat_map(|c| c.category_options.iter().map(|o| o.id.as_str()))
        .collect();
    let mut wanted = FxHashSet::default();
    for o in &coc.category_options {
        let matched = match_option(tracker, &o.id, target, &options)
            .map_err(|e| format!("tracker option combo {}: {e}", coc_label(coc)))?;
        wanted.insert(matched);
    }
    let same: Vec<&CategoryOptionCombo> = candidates
        .iter()
        .copied()
        .filter(|c| {
            c.category_options.len() == wanted.len()
                && c.category_options
                    .iter()
                    .all(|o| wanted.contains(o.id.as_str()))
        })
        .collect();
    match same.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "tracker option combo {}: no HMIS option combo of combo {target_combo} has the same options",
            coc_label(coc)
        )),
        many => {
            let ids: Vec<&str> = many.iter().map(|c| c.id.as_str()).collect();
            Err(format!(
                "tracker option combo {}: {} HMIS option combos of combo {target_combo} have the same options: {}",
                coc_label(coc),
                many.len(),
                ids.join(", ")
            ))
        }
    }
}

fn coc_label(c: &CategoryOptionCombo) -> String {
    if c.name.trim().is_empty() {
        c.id.clone()
    } else {
        format!("{} ({})", c.name.trim(), c.id)
    }
}

/// The categories of two combos that do not match each other (by UID, code or name): the guide
/// asks that a disaggregated indicator's combo has the same categories as the data element's.
pub fn differing_categories(
    tracker: &Metadata,
    combo: &CategoryCombo,
    target: &Metadata,
    target_combo: &CategoryCombo,
) -> Option<(Vec<String>, Vec<String>)> {
    let label = |m: &Metadata, r: &Ref| {
        m.category(&r.id)
            .map_or(r.id.clone(), |c| format!("{} ({})", c.name.trim(), c.id))
    };
    let matches = |a: &Ref, b: &Ref| {
        a.id == b.id
            || match (tracker.category(&a.id), target.category(&b.id)) {
                (Some(x), Some(y)) => {
                    (x.code.is_some() && x.code == y.code) || same_name(&x.name, &y.name)
                }
                _ => false,
            }
    };
    let lonely_tracker: Vec<String> = combo
        .categories
        .iter()
        .filter(|a| !target_combo.categories.iter().any(|b| matches(a, b)))
        .map(|a| label(tracker, a))
        .collect();
    let lonely_target: Vec<String> = target_combo
        .categories
        .iter()
        .filter(|b| !combo.categories.iter().any(|a| matches(a, b)))
        .map(|b| label(target, b))
        .collect();
    (!lonely_tracker.is_empty() || !lonely_target.is_empty())
        .then_some((lonely_tracker, lonely_target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_ignores_case_and_blanks() {
        assert!(same_name(" Female", "female "));
        assert!(!same_name("", ""));
        assert!(!same_name("Female", "Male"));
    }
}
