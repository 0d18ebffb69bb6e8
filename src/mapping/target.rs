//! Checks of targets against a metadata export of the target (aggregate) instance (SPEC §4):
//! ids that do not exist, category option combos outside their data element's category combo,
//! a missing COC where one is needed, data sets. [`judge`] is the one definition; `mapping
//! check` reports its problems with cells, and `convert --target-metadata` leaves out values
//! whose target has an error.

use super::{Col, Finding, Mapping, Severity, TargetScheme};
use crate::metadata::{DataElement, IdKind, Metadata};
use crate::value::ValueType;

/// A problem with a target, and the mapping column it concerns.
#[derive(Debug, Clone)]
pub struct Problem {
    pub column: Col,
    pub severity: Severity,
    pub message: String,
}

/// What the metadata says about one target.
#[derive(Debug, Default)]
pub struct Verdict<'m> {
    /// The data element, when it exists.
    pub element: Option<&'m DataElement>,
    /// The data sets the target's values can go to (indexes into the metadata's data sets).
    pub data_sets: Vec<usize>,
    pub problems: Vec<Problem>,
}

impl Verdict<'_> {
    /// The first error, if any: the target cannot be imported.
    pub fn error(&self) -> Option<&str> {
        self.problems
            .iter()
            .find(|p| p.severity == Severity::Error)
            .map(|p| p.message.as_str())
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

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or(path.to_string(), |n| n.to_string_lossy().to_string())
}

/// Judges a target (data element, COC, AOC, the mapping row's data set). Errors: an unknown
/// data element, COC, AOC or data set, or one found by the wrong property; a COC outside the
/// data element's category combo; no COC where that combo is not `default`; a data element not
/// in the row's data set. Warning: a data element in no data set.
pub fn judge<'m>(
    meta: &'m Metadata,
    scheme: TargetScheme,
    de: &str,
    coc: &str,
    aoc: &str,
    data_set: &str,
) -> Verdict<'m> {
    let file = file_name(&meta.path);
    let mut v = Verdict::default();
    let mut problem = |column, severity, message| {
        v.problems.push(Problem {
            column,
            severity,
            message,
        });
    };
    use Severity::{Error, Warning};
    let Some((element, kind)) = meta.data_element(de) else {
        problem(
            Col::DataElement,
            Error,
            format!("data element `{de}` does not exist in {file}"),
        );
        return v;
    };
    if let Some(hint) = scheme_hint(kind, scheme) {
        problem(
            Col::DataElement,
            Error,
            format!("data element `{de}`: {hint}"),
        );
    }
    let combo = element
        .category_combo
        .as_ref()
        .map_or("", |c| c.id.as_str());
    let combo_name = meta
        .category_combo(combo)
        .map_or(combo.to_string(), |c| c.name.clone());
    if coc.is_empty() {
        if !meta.is_default_combo(combo) {
            problem(
                Col::Coc,
                Error,
                format!(
                    "no categoryOptionCombo, but data element `{de}` is disaggregated by `{combo_name}`: DHIS2 would store the value under `default`, which that combo does not have"
                ),
            );
        }
    } else {
        match meta.category_option_combo(coc) {
            None => problem(
                Col::Coc,
                Error,
                format!("category option combo `{coc}` does not exist in {file}"),
            ),
            Some((c, kind)) => {
                if let Some(hint) = scheme_hint(kind, scheme) {
                    problem(
                        Col::Coc,
                        Error,
                        format!("category option combo `{coc}`: {hint}"),
                    );
                }
                if c.category_combo.as_ref().map_or("", |r| r.id.as_str()) != combo {
                    problem(
                        Col::Coc,
                        Error,
                        format!(
                            "category option combo `{coc}` is not in the category combo `{combo_name}` of data element `{de}`"
                        ),
                    );
                }
            }
        }
    }
    if !aoc.is_empty() && meta.category_option_combo(aoc).is_none() {
        problem(
            Col::Aoc,
            Error,
            format!("attribute option combo `{aoc}` does not exist in {file}"),
        );
    }
    let holding = meta.data_set_indexes_of(&element.id);
    let names = || {
        holding
            .iter()
            .map(|&i| {
                let s = &meta.data_sets[i];
                s.code.clone().unwrap_or_else(|| s.id.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut data_sets = Vec::new();
    if data_set.is_empty() {
        data_sets = holding.to_vec();
        if holding.is_empty() {
            problem(
                Col::DataElement,
                Warning,
                format!(
                    "data element `{de}` is in no data set: DHIS2 2.43+ cannot decide where its values go (E8003)"
                ),
            );
        }
    } else {
        match meta.data_set_index(data_set) {
            None => problem(
                Col::DataSet,
                Error,
                format!("data set `{data_set}` does not exist in {file}"),
            ),
            Some(i) if holding.contains(&i) => data_sets = vec![i],
            Some(_) => problem(
                Col::DataSet,
                Error,
                format!(
                    "data element `{de}` is not in data set `{data_set}`{}",
                    if holding.is_empty() {
                        String::new()
                    } else {
                        format!(" (it is in {})", names())
                    }
                ),
            ),
        }
    }
    v.element = Some(element);
    v.data_sets = data_sets;
    v
}

/// Checks every enabled row of `mapping` against `meta`: the problems of [`judge`] with their
/// cells, and a warning when the row's value type differs from the data element's.
pub fn check(mapping: &Mapping, meta: &Metadata, scheme: TargetScheme) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in mapping
        .rows
        .iter()
        .filter(|r| r.enabled && !r.data_element.is_empty())
    {
        let verdict = judge(
            meta,
            scheme,
            &r.data_element,
            &r.category_option_combo,
            &r.attribute_option_combo,
            &r.data_set,
        );
        for p in &verdict.problems {
            out.push(Finding {
                severity: p.severity,
                cell: mapping.cell(p.column, r.row),
                message: p.message.clone(),
            });
        }
        let theirs = verdict.element.and_then(|de| de.value_type.as_deref());
        if let (Some(mine), Some(theirs_text)) = (r.value_type, theirs)
            && ValueType::parse(theirs_text).is_some_and(|t| t != mine)
        {
            out.push(Finding {
                severity: Severity::Warning,
                cell: mapping.cell(Col::ValueType, r.row),
                message: format!(
                    "valueType `{}` differs from the data element's `{theirs_text}`",
                    r.value_type_text
                ),
            });
        }
    }
    out
}
