//! Checks of targets against a metadata export of the target (aggregate) instance :
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

/// Judges a target (data element, COC, AOC, the mapping row's data set) and reports every
/// problem. Errors: an unknown data element, COC, AOC or data set, or one found by the wrong
/// property; a COC outside the category combo the data set gives the data element (its own
/// `dataSetElements[].categoryCombo`, else the element's: E8024); an AOC outside the data set's
/// attribute combo, a blank AOC counting as the default (E8023); no COC where that combo is not
/// `default`; a data element not in the row's data set. Warning: a data element in no data set.
pub fn judge<'m>(
    meta: &'m Metadata,
    scheme: TargetScheme,
    de: &str,
    coc: &str,
    aoc: &str,
    data_set: &str,
) -> Verdict<'m> {
    let mut v = Verdict::default();
    let found = Found::look_up(meta, scheme, [de, coc, aoc, data_set], &mut v.problems);
    let Some(element) = found.element else {
        return v;
    };
    v.element = Some(element);
    let Some(candidates) = candidates(meta, &mut v, de, data_set, found.data_set) else {
        return v;
    };
    v.data_sets = candidates;
    if let Some(combo) = found.coc_combo {
        check_coc(meta, &mut v, de, coc, combo);
    }
    if let Some(combo) = found.aoc_combo {
        check_aoc(meta, &mut v, aoc, combo);
    }
    v
}

/// What of a target exists in the metadata.
struct Found<'m> {
    element: Option<&'m DataElement>,
    /// The COC's category combo (`Some(None)` for a blank COC, the default; `None` when the COC
    /// is unknown).
    coc_combo: Option<Option<&'m str>>,
    aoc_combo: Option<Option<&'m str>>,
    /// The row's data sets (`None` in the list for one that does not exist); `None` when the
    /// row names none.
    data_set: Option<Vec<Option<usize>>>,
}

impl<'m> Found<'m> {
    /// Looks up the data element, combos and data set, reporting each that does not exist or
    /// was found by the other property than the scheme expects.
    fn look_up(
        meta: &'m Metadata,
        scheme: TargetScheme,
        ids: [&str; 4],
        problems: &mut Vec<Problem>,
    ) -> Found<'m> {
        let [de, coc, aoc, data_set] = ids;
        let file = file_name(&meta.path);
        let mut report = |column, what: &str, id: &str, hit: Option<IdKind>| {
            if let Some(mut message) = lookup_problem(what, id, hit, scheme, &file) {
                if hit.is_none()
                    && let Some(near) = nearest(meta, column, id, scheme)
                {
                    message.push_str(&format!(" (the closest there: `{near}`)"));
                }
                problems.push(Problem {
                    column,
                    severity: Severity::Error,
                    message,
                });
            }
        };
        let element = meta.data_element(de);
        report(Col::DataElement, "data element", de, element.map(|e| e.1));
        let mut combo = |column, what: &str, id: &str| {
            if id.is_empty() {
                return Some(None); // blank: the default combo
            }
            let hit = meta.category_option_combo(id);
            report(column, what, id, hit.map(|h| h.1));
            hit.map(|(c, _)| Some(c.category_combo.as_ref().map_or("", |r| r.id.as_str())))
        };
        let coc_combo = combo(Col::Coc, "category option combo", coc);
        let aoc_combo = combo(Col::Aoc, "attribute option combo", aoc);
        let mut data_set_index = None;
        for id in super::data_sets(data_set) {
            let found = meta.data_set_index(id);
            if found.is_none() {
                let mut message = format!("data set `{id}` does not exist in {file}");
                if let Some(near) = nearest(meta, Col::DataSet, id, scheme) {
                    message.push_str(&format!(" (the closest there: `{near}`)"));
                }
                problems.push(Problem {
                    column: Col::DataSet,
                    severity: Severity::Error,
                    message,
                });
            }
            let all = data_set_index.get_or_insert_with(Vec::new);
            all.push(found);
        }
        Found {
            element: element.map(|e| e.0),
            coc_combo,
            aoc_combo,
            data_set: data_set_index,
        }
    }
}

/// The id of the metadata's objects of `column`'s kind (by the scheme's property) that `id`
/// most likely meant.
fn nearest<'m>(meta: &'m Metadata, column: Col, id: &str, scheme: TargetScheme) -> Option<&'m str> {
    let by = |uid: &'m str, code: &'m Option<String>| match scheme {
        TargetScheme::Uid => Some(uid),
        TargetScheme::Code => code.as_deref(),
    };
    match column {
        Col::DataElement => crate::words::near(
            id,
            meta.data_elements.iter().filter_map(|d| by(&d.id, &d.code)),
        ),
        Col::Coc | Col::Aoc => crate::words::near(
            id,
            meta.category_option_combos
                .iter()
                .filter_map(|c| by(&c.id, &c.code)),
        ),
        Col::DataSet => {
            crate::words::near(id, meta.data_sets.iter().filter_map(|d| by(&d.id, &d.code)))
        }
        _ => None,
    }
}

/// What is wrong with an id looked up in the metadata: missing, or found by the other property.
fn lookup_problem(
    what: &str,
    id: &str,
    hit: Option<IdKind>,
    scheme: TargetScheme,
    file: &str,
) -> Option<String> {
    match hit {
        None => Some(format!("{what} `{id}` does not exist in {file}")),
        Some(kind) => scheme_hint(kind, scheme).map(|hint| format!("{what} `{id}`: {hint}")),
    }
}

/// The data sets the target's values can go to: the row's, if the data element is in it, else
/// every data set holding the data element. `None` when the row's data set does not fit.
fn candidates(
    meta: &Metadata,
    v: &mut Verdict,
    de: &str,
    data_set: &str,
    named: Option<Vec<Option<usize>>>,
) -> Option<Vec<usize>> {
    let holding = v
        .element
        .map_or(&[][..], |e| meta.data_set_indexes_of(&e.id));
    let candidates = match named {
        None => holding.to_vec(),
        Some(named) if named.contains(&None) => return None,
        Some(named) => {
            let named: Vec<usize> = named.into_iter().flatten().collect();
            let outside: Vec<&str> = super::data_sets(data_set)
                .zip(&named)
                .filter(|(_, i)| !holding.contains(i))
                .map(|(id, _)| id)
                .collect();
            if !outside.is_empty() {
                let also = names(meta, holding);
                let also = if also.is_empty() {
                    String::new()
                } else {
                    format!(" (it is in {also})")
                };
                v.problems.push(Problem {
                    column: Col::DataSet,
                    severity: Severity::Error,
                    message: format!(
                        "data element `{de}` is not in data set `{}`{also}",
                        outside.join("`, `")
                    ),
                });
                return None;
            }
            named
        }
    };
    if candidates.is_empty() {
        v.problems.push(Problem {
            column: Col::DataElement,
            severity: Severity::Warning,
            message: format!(
                "data element `{de}` is in no data set: DHIS2 2.43+ cannot decide where its values go (E8003)"
            ),
        });
    }
    Some(candidates)
}

/// The data sets' codes (or UIDs), for messages.
fn names(meta: &Metadata, data_sets: &[usize]) -> String {
    data_sets
        .iter()
        .map(|&i| {
            let s = &meta.data_sets[i];
            s.code.clone().unwrap_or_else(|| s.id.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keeps the data sets in whose category combo for the data element the COC lies (`None`: the
/// default combo), or reports the mismatch (E8024).
fn check_coc(meta: &Metadata, v: &mut Verdict, de: &str, coc: &str, coc_combo: Option<&str>) {
    let Some(element) = v.element else { return };
    let fits = |combo: &str| match coc_combo {
        None => meta.is_default_combo(combo),
        Some(c) => c == combo,
    };
    let own = element
        .category_combo
        .as_ref()
        .map_or("", |c| c.id.as_str());
    let combo_name = |id: &str| {
        meta.category_combo(id)
            .map_or(id.to_string(), |c| c.name.clone())
    };
    let effective: Vec<(usize, &str)> = v
        .data_sets
        .iter()
        .map(|&i| (i, meta.effective_combo(&meta.data_sets[i], element)))
        .collect();
    if effective.is_empty() {
        if !fits(own) {
            v.problems
                .push(coc_problem(coc, de, &combo_name(own), None));
        }
        return;
    }
    let kept: Vec<usize> = effective
        .iter()
        .filter(|(_, c)| fits(c))
        .map(|&(i, _)| i)
        .collect();
    if kept.is_empty() {
        let (i, combo) = effective[0];
        let overridden = (combo != own).then(|| names(meta, &[i]));
        v.problems.push(coc_problem(
            coc,
            de,
            &combo_name(combo),
            overridden.as_deref(),
        ));
    } else {
        v.data_sets = kept;
    }
}

fn coc_problem(coc: &str, de: &str, combo: &str, data_set: Option<&str>) -> Problem {
    let message = match (coc.is_empty(), data_set) {
        (true, None) => format!(
            "no categoryOptionCombo, but data element `{de}` is disaggregated by `{combo}`: DHIS2 would store the value under `default`, which that combo does not have (DHIS2 2.43+: E8024)"
        ),
        (true, Some(ds)) => format!(
            "no categoryOptionCombo, but data set `{ds}` disaggregates data element `{de}` by `{combo}` (its own combo for it overrides the element's): DHIS2 would store the value under `default`, which that combo does not have (DHIS2 2.43+: E8024)"
        ),
        (false, None) => format!(
            "category option combo `{coc}` is not in the category combo `{combo}` of data element `{de}` (DHIS2 2.43+: E8024)"
        ),
        (false, Some(ds)) => format!(
            "category option combo `{coc}` is not in the category combo `{combo}` that data set `{ds}` gives data element `{de}` (it overrides the element's own) (DHIS2 2.43+: E8024)"
        ),
    };
    Problem {
        column: Col::Coc,
        severity: Severity::Error,
        message,
    }
}

/// Keeps the data sets whose attribute combo holds the AOC (`None`: blank, the default), or
/// reports the mismatch (E8023).
fn check_aoc(meta: &Metadata, v: &mut Verdict, aoc: &str, aoc_combo: Option<&str>) {
    if v.data_sets.is_empty() {
        return;
    }
    let ds_combo = |i: usize| {
        meta.data_sets[i]
            .category_combo
            .as_ref()
            .map_or("", |c| c.id.as_str())
    };
    let fits = |i: usize| match aoc_combo {
        None => meta.is_default_combo(ds_combo(i)),
        Some(c) => c == ds_combo(i),
    };
    let kept: Vec<usize> = v.data_sets.iter().copied().filter(|&i| fits(i)).collect();
    if !kept.is_empty() {
        v.data_sets = kept;
        return;
    }
    let i = v.data_sets[0];
    let combo = meta
        .category_combo(ds_combo(i))
        .map_or(ds_combo(i).to_string(), |c| c.name.clone());
    let ds = names(meta, &[i]);
    let message = if aoc.is_empty() {
        format!(
            "no attributeOptionCombo (the default), but data set `{ds}` has the attribute combo `{combo}`, which does not hold it (DHIS2 2.43+: E8023)"
        )
    } else {
        format!(
            "attribute option combo `{aoc}` is not in the attribute combo `{combo}` of data set `{ds}` (DHIS2 2.43+: E8023)"
        )
    };
    v.problems.push(Problem {
        column: Col::Aoc,
        severity: Severity::Error,
        message,
    });
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
