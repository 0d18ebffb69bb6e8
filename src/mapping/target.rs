//! Checks of a mapping against a metadata export of the target (aggregate) instance
//! (SPEC §4): target ids that do not exist, category option combos outside their data
//! element's category combo, a missing COC where one is needed, data sets.

use super::{Col, Finding, Mapping, Severity, TargetScheme};
use crate::metadata::{IdKind, Metadata};
use crate::value::ValueType;

fn finding(severity: Severity, cell: String, message: String) -> Finding {
    Finding {
        severity,
        cell,
        message,
    }
}

/// A hint when an id was found by the other property than the scheme expects.
fn scheme_hint(kind: IdKind, scheme: TargetScheme) -> Option<&'static str> {
    match (kind, scheme) {
        (IdKind::Uid, TargetScheme::Code) => Some(
            "it is a UID, but targets are read as codes (use --target-scheme uid, or write the code)",
        ),
        (IdKind::Code, TargetScheme::Uid) => {
            Some("it is a code, but --target-scheme uid reads targets as UIDs")
        }
        _ => None,
    }
}

/// Checks every enabled row of `mapping` against `meta`. Errors: unknown data element, COC, AOC
/// or data set; a COC outside the data element's category combo; no COC where the data
/// element's category combo is not `default`; a data element not in the row's data set.
/// Warnings: a data element in no data set; a value type that differs from the data element's.
pub fn check(mapping: &Mapping, meta: &Metadata, scheme: TargetScheme) -> Vec<Finding> {
    use Severity::{Error, Warning};
    let file = std::path::Path::new(&meta.path)
        .file_name()
        .map_or(meta.path.clone(), |n| n.to_string_lossy().to_string());
    let mut out = Vec::new();
    for r in mapping
        .rows
        .iter()
        .filter(|r| r.enabled && !r.data_element.is_empty())
    {
        let cell = |c: Col| mapping.cell(c, r.row);
        let Some((de, kind)) = meta.data_element(&r.data_element) else {
            out.push(finding(
                Error,
                cell(Col::DataElement),
                format!("data element `{}` does not exist in {file}", r.data_element),
            ));
            continue;
        };
        if let Some(hint) = scheme_hint(kind, scheme) {
            out.push(finding(
                Error,
                cell(Col::DataElement),
                format!("data element `{}`: {hint}", r.data_element),
            ));
        }
        let combo = de
            .category_combo
            .as_ref()
            .map(|c| c.id.as_str())
            .unwrap_or("");
        let combo_name = meta
            .category_combo(combo)
            .map_or(combo.to_string(), |c| c.name.clone());
        if r.category_option_combo.is_empty() {
            if !meta.is_default_combo(combo) {
                out.push(finding(Error, cell(Col::Coc), format!(
                    "no categoryOptionCombo, but data element `{}` is disaggregated by `{combo_name}`: DHIS2 would store the value under `default`, which that combo does not have",
                    r.data_element
                )));
            }
        } else {
            match meta.category_option_combo(&r.category_option_combo) {
                None => out.push(finding(
                    Error,
                    cell(Col::Coc),
                    format!(
                        "category option combo `{}` does not exist in {file}",
                        r.category_option_combo
                    ),
                )),
                Some((coc, kind)) => {
                    if let Some(hint) = scheme_hint(kind, scheme) {
                        out.push(finding(
                            Error,
                            cell(Col::Coc),
                            format!(
                                "category option combo `{}`: {hint}",
                                r.category_option_combo
                            ),
                        ));
                    }
                    let coc_combo = coc
                        .category_combo
                        .as_ref()
                        .map(|c| c.id.as_str())
                        .unwrap_or("");
                    if coc_combo != combo {
                        out.push(finding(Error, cell(Col::Coc), format!(
                            "category option combo `{}` is not in the category combo `{combo_name}` of data element `{}`",
                            r.category_option_combo, r.data_element
                        )));
                    }
                }
            }
        }
        if !r.attribute_option_combo.is_empty()
            && meta
                .category_option_combo(&r.attribute_option_combo)
                .is_none()
        {
            out.push(finding(
                Error,
                cell(Col::Aoc),
                format!(
                    "attribute option combo `{}` does not exist in {file}",
                    r.attribute_option_combo
                ),
            ));
        }
        let sets = meta.data_sets_of(&de.id);
        if !r.data_set.is_empty() {
            match meta.data_set(&r.data_set) {
                None => out.push(finding(
                    Error,
                    cell(Col::DataSet),
                    format!("data set `{}` does not exist in {file}", r.data_set),
                )),
                Some((ds, _)) if !sets.iter().any(|s| s.id == ds.id) => out.push(finding(
                    Error,
                    cell(Col::DataSet),
                    format!(
                        "data element `{}` is not in data set `{}`{}",
                        r.data_element,
                        r.data_set,
                        if sets.is_empty() {
                            String::new()
                        } else {
                            format!(" (it is in {})", names(&sets))
                        }
                    ),
                )),
                Some(_) => {}
            }
        } else if sets.is_empty() {
            out.push(finding(Warning, cell(Col::DataElement), format!(
                "data element `{}` is in no data set: DHIS2 2.43+ cannot decide where its values go (E8003)",
                r.data_element
            )));
        }
        if let (Some(mine), Some(theirs)) = (
            r.value_type,
            de.value_type.as_deref().and_then(ValueType::parse),
        ) && mine != theirs
        {
            out.push(finding(
                Warning,
                cell(Col::ValueType),
                format!(
                    "valueType `{}` differs from the data element's `{}`",
                    r.value_type_text,
                    de.value_type.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    out
}

fn names(sets: &[&crate::metadata::DataSet]) -> String {
    sets.iter()
        .map(|s| s.code.clone().unwrap_or_else(|| s.id.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}
