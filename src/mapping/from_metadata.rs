//! Proposes mapping rows from a tracker metadata export (`mapping from-metadata`): each
//! program indicator whose export attribute (or DHIS2 2.42+ `aggregateExportDataElement`) names a
//! target becomes a row — one per option combo when the indicator is disaggregated (2.42+) —;
//! the others are listed as not transferred.

use super::Finding;
use super::disaggregation::{Side, combo_label, differing_categories, match_combo, side};
use crate::metadata::{CategoryCombo, CategoryOptionCombo, Metadata, ProgramIndicator, id_for};
use crate::xlsx::Cell;

/// A proposed mapping row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proposed {
    pub program_indicator: String,
    pub program_indicator_name: String,
    pub source_category_option_combo: String,
    pub source_attribute_option_combo: String,
    pub data_element: String,
    pub data_element_name: String,
    pub category_option_combo: String,
    pub attribute_option_combo: String,
    pub data_set: String,
    pub value_type: String,
    /// What the export carries instead of the PI (2.42+ `aggregateExportDataElement`).
    pub exported_data_element: String,
    pub notes: String,
}

impl Proposed {
    /// The row's cells in [`super::COLUMNS`] order.
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            (&self.program_indicator).into(),
            (&self.program_indicator_name).into(),
            (&self.source_category_option_combo).into(),
            (&self.source_attribute_option_combo).into(),
            (&self.data_element).into(),
            (&self.data_element_name).into(),
            (&self.category_option_combo).into(),
            (&self.attribute_option_combo).into(),
            (&self.data_set).into(),
            (&self.value_type).into(),
            "yes".into(),
            (&self.exported_data_element).into(),
            (&self.notes).into(),
        ]
    }
}

fn text(s: &Option<String>) -> String {
    s.as_deref().map(str::trim).unwrap_or("").to_string()
}

/// What `mapping from-metadata` proposes: the rows, the indicators without a target, and what
/// it found on the way (matching option combos, linting the disaggregation set-up).
#[derive(Debug, Default)]
pub struct Proposal<'t> {
    pub rows: Vec<Proposed>,
    pub without: Vec<&'t ProgramIndicator>,
    pub findings: Vec<Finding>,
}

/// Proposes rows for every program indicator with a target, and lists the others.
pub fn propose<'t>(
    tracker: &'t Metadata,
    attribute: &str,
    target: Option<&Metadata>,
) -> Proposal<'t> {
    let mut p = Proposal {
        findings: super::pi_lint::lint(tracker),
        ..Default::default()
    };
    for pi in &tracker.program_indicators {
        match base_row(pi, attribute, target) {
            Some(row) => expand(tracker, pi, row, target, &mut p),
            None => p.without.push(pi),
        }
    }
    p.rows.sort_by(|a, b| {
        (
            &a.data_element,
            &a.category_option_combo,
            &a.program_indicator_name,
        )
            .cmp(&(
                &b.data_element,
                &b.category_option_combo,
                &b.program_indicator_name,
            ))
    });
    p
}

/// The row of a program indicator before disaggregation: its target from
/// `aggregateExportDataElement` or the attribute, filled from the target metadata.
fn base_row(pi: &ProgramIndicator, attribute: &str, target: Option<&Metadata>) -> Option<Proposed> {
    let native = text(&pi.aggregate_export_data_element);
    let attr = pi.attribute(attribute).unwrap_or("").to_string();
    let coc = text(&pi.aggregate_export_category_option_combo);
    let aoc = text(&pi.aggregate_export_attribute_option_combo);
    let mut row = Proposed {
        program_indicator: pi.id.clone(),
        program_indicator_name: pi.name.trim().to_string(),
        category_option_combo: coc.clone(),
        attribute_option_combo: aoc.clone(),
        ..Default::default()
    };
    if !native.is_empty() {
        // DHIS2 2.42+ writes aggregateExportDataElement (and the COC/AOC) in the export
        // instead of the PI UID, so the source key is what the export carries.
        row.exported_data_element = native.clone();
        row.source_category_option_combo = coc;
        row.source_attribute_option_combo = aoc;
        row.data_element = native;
        row.notes =
            "from aggregateExportDataElement (the export carries it, not the PI UID)".to_string();
    } else if !attr.is_empty() {
        row.notes = format!("from attribute {attribute}");
        match target.and_then(|m| split_compound(&attr, m)) {
            Some((de, coc)) => {
                row.data_element = de.to_string();
                row.category_option_combo = coc.to_string();
                row.notes
                    .push_str(" (data element and option combo in one value)");
            }
            None => row.data_element = attr,
        }
    } else {
        return None;
    }
    if let Some(meta) = target {
        fill_from_target(&mut row, meta);
    }
    Some(row)
}

/// An attribute value `DE.COC` or `DE_COC` that is no data element itself but splits, at a `.`
/// or `_`, into a data element and an option combo of the target.
fn split_compound<'a>(value: &'a str, target: &Metadata) -> Option<(&'a str, &'a str)> {
    if target.data_element(value).is_some() {
        return None;
    }
    value
        .char_indices()
        .filter(|&(_, c)| c == '.' || c == '_')
        .map(|(i, _)| (&value[..i], &value[i + 1..]))
        .find(|(de, coc)| {
            target.data_element(de).is_some() && target.category_option_combo(coc).is_some()
        })
}

/// One row per tracker option combo × attribute option combo of a disaggregated indicator
/// (the export carries the tracker's own UIDs), else the row as it is.
fn expand(
    tracker: &Metadata,
    pi: &ProgramIndicator,
    base: Proposed,
    target: Option<&Metadata>,
    p: &mut Proposal,
) {
    let cell = format!("programIndicators[{}]", pi.id);
    let sides = [
        ("categoryCombo", side(tracker, pi.category_combo.as_ref())),
        ("attributeCombo", side(tracker, pi.attribute_combo.as_ref())),
    ];
    if sides.iter().all(|(_, s)| matches!(s, Side::Plain)) {
        p.rows.push(base);
        return;
    }
    let mut combos: Vec<Vec<Option<&CategoryOptionCombo>>> = Vec::new();
    for (what, s) in &sides {
        match s {
            Side::Plain => combos.push(vec![None]),
            Side::Unknown(id) => {
                p.findings.push(Finding::error(
                    &cell,
                    format!(
                        "{what} {id} is not in the tracker metadata: export categoryCombos, categories, \
                         categoryOptions and categoryOptionCombos with the program indicators; no rows proposed"
                    ),
                ));
                return;
            }
            Side::Combo(c) => {
                let cocs: Vec<_> = tracker.option_combos_of(&c.id).map(Some).collect();
                if cocs.is_empty() {
                    p.findings.push(Finding::error(
                        &cell,
                        format!(
                            "{what} {} has no categoryOptionCombos in the tracker metadata: export them too; no rows proposed",
                            combo_label(c)
                        ),
                    ));
                    return;
                }
                combos.push(cocs);
            }
        }
    }
    let hmis = target.map(|m| Hmis::of(m, &base));
    if let (Some(h), Side::Combo(c)) = (&hmis, &sides[0].1) {
        h.compare_categories(tracker, c, &cell, &mut p.findings);
    }
    for coc in &combos[0] {
        for aoc in &combos[1] {
            let mut row = base.clone();
            let pairs = [(coc, false), (aoc, true)];
            for (side, attribute) in pairs {
                if let Some(c) = side {
                    let target_id = match &hmis {
                        Some(h) => h.option_combo(tracker, c, attribute, &cell, &mut p.findings),
                        None => c.id.clone(),
                    };
                    if attribute {
                        row.source_attribute_option_combo = c.id.clone();
                        row.attribute_option_combo = target_id;
                    } else {
                        row.source_category_option_combo = c.id.clone();
                        row.category_option_combo = target_id;
                    }
                    row.notes
                        .push_str(&format!("; disaggregated: {}", c.name.trim()));
                }
            }
            if hmis.is_none() {
                row.notes.push_str(
                    "; no target metadata: the HMIS must have the tracker's option combo UIDs",
                );
            }
            p.rows.push(row);
        }
    }
}

/// The HMIS side of a disaggregated row: the target data element's option combos (COC) and its
/// data set's (AOC).
struct Hmis<'m> {
    meta: &'m Metadata,
    data_element: String,
    combo: Option<&'m CategoryCombo>,
    attribute_combo: Option<&'m CategoryCombo>,
}

impl<'m> Hmis<'m> {
    fn of(meta: &'m Metadata, row: &Proposed) -> Hmis<'m> {
        let de = meta.data_element(&row.data_element).map(|(d, _)| d);
        let first = super::data_sets(&row.data_set).next().unwrap_or("");
        let ds = meta.data_set(first).map(|(d, _)| d);
        let combo = match (de, ds) {
            (Some(de), Some(ds)) => Some(meta.effective_combo(ds, de)),
            (Some(de), None) => de.category_combo.as_ref().map(|r| r.id.as_str()),
            _ => None,
        };
        let attribute_combo = ds
            .and_then(|d| d.category_combo.as_ref())
            .map(|r| r.id.as_str());
        Hmis {
            meta,
            data_element: row.data_element.clone(),
            combo: combo.and_then(|c| meta.category_combo(c)),
            attribute_combo: attribute_combo.and_then(|c| meta.category_combo(c)),
        }
    }

    /// The HMIS option combo for a tracker one (its code, else UID); when none matches, the
    /// tracker's UID stays and a finding names both sides.
    fn option_combo(
        &self,
        tracker: &Metadata,
        coc: &CategoryOptionCombo,
        attribute: bool,
        cell: &str,
        findings: &mut Vec<Finding>,
    ) -> String {
        let (combo, what) = if attribute {
            (
                self.attribute_combo,
                "attribute option combo of its data set",
            )
        } else {
            (self.combo, "option combo")
        };
        let Some(combo) = combo else {
            findings.push(Finding::error(
                cell,
                format!(
                    "tracker option combo {} ({}): the HMIS data element {} has no known {what} combo in the target metadata; \
                     the row keeps the tracker's UID",
                    coc.name.trim(),
                    coc.id,
                    self.data_element
                ),
            ));
            return coc.id.clone();
        };
        let candidates: Vec<&CategoryOptionCombo> = self.meta.option_combos_of(&combo.id).collect();
        match match_combo(tracker, coc, self.meta, &candidates, &combo_label(combo)) {
            Ok(t) => id_for(&t.id, &t.code, true).to_string(),
            Err(e) => {
                findings.push(Finding::error(
                    cell,
                    format!(
                        "{e} (HMIS data element {}); the row keeps the tracker's UID: name the HMIS {what} by hand",
                        self.data_element
                    ),
                ));
                coc.id.clone()
            }
        }
    }

    /// A warning when the indicator's combo and the data element's have different categories.
    fn compare_categories(
        &self,
        tracker: &Metadata,
        combo: &CategoryCombo,
        cell: &str,
        findings: &mut Vec<Finding>,
    ) {
        let Some(hmis) = self.combo else { return };
        if let Some((tracker_only, hmis_only)) =
            differing_categories(tracker, combo, self.meta, hmis)
        {
            findings.push(Finding::warning(
                cell,
                format!(
                    "categoryCombo {} and the HMIS data element {}'s combo {} have different categories \
                     (only in the tracker: {}; only in the HMIS: {}): DHIS2's guide asks that they be the same",
                    combo_label(combo),
                    self.data_element,
                    combo_label(hmis),
                    none_if_empty(&tracker_only),
                    none_if_empty(&hmis_only),
                ),
            ));
        }
    }
}

fn none_if_empty(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Names, value type and data set from the target metadata; target UIDs become codes.
fn fill_from_target(row: &mut Proposed, meta: &Metadata) {
    if let Some((de, _)) = meta.data_element(&row.data_element) {
        row.data_element = id_for(&de.id, &de.code, true).to_string();
        row.data_element_name = de.name.trim().to_string();
        row.value_type = text(&de.value_type);
        let sets = meta.data_sets_of(&de.id);
        let ids: Vec<&str> = sets.iter().map(|s| id_for(&s.id, &s.code, true)).collect();
        row.data_set = ids.join("; ");
        if sets.len() > 1 {
            row.notes.push_str(&format!(
                "; in {} data sets: convert --target-metadata sends each value to the one of its period type",
                sets.len()
            ));
        }
    }
    for id in [
        &mut row.category_option_combo,
        &mut row.attribute_option_combo,
    ] {
        if let Some((coc, _)) = meta.category_option_combo(id) {
            *id = id_for(&coc.id, &coc.code, true).to_string();
        }
    }
}
