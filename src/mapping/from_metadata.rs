//! Proposes mapping rows from a tracker metadata export (`mapping from-metadata`): each
//! program indicator whose export attribute (or DHIS2 2.42+ `aggregateExportDataElement`) names a
//! target becomes a row; the others are listed as not transferred.

use crate::metadata::{Metadata, ProgramIndicator, id_for};
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

/// Proposes a row for every program indicator with a target, and lists the others.
pub fn propose<'t>(
    tracker: &'t Metadata,
    attribute: &str,
    target: Option<&Metadata>,
) -> (Vec<Proposed>, Vec<&'t ProgramIndicator>) {
    let mut rows = Vec::new();
    let mut without = Vec::new();
    for pi in &tracker.program_indicators {
        let native = text(&pi.aggregate_export_data_element);
        let attr = pi.attribute(attribute).unwrap_or("").to_string();
        let coc = text(&pi.aggregate_export_category_option_combo);
        let aoc = text(&pi.aggregate_export_attribute_option_combo);
        let mut row = Proposed {
            program_indicator_name: pi.name.trim().to_string(),
            ..Default::default()
        };
        if !native.is_empty() {
            // DHIS2 2.42+ writes aggregateExportDataElement (and the COC/AOC) in the export
            // instead of the PI UID, so the source key is what the export carries.
            row.program_indicator = pi.id.clone();
            row.exported_data_element = native.clone();
            row.source_category_option_combo = coc.clone();
            row.source_attribute_option_combo = aoc.clone();
            row.data_element = native;
            row.notes = "from aggregateExportDataElement (the export carries it, not the PI UID)"
                .to_string();
        } else if !attr.is_empty() {
            row.program_indicator = pi.id.clone();
            row.data_element = attr;
            row.notes = format!("from attribute {attribute}");
        } else {
            without.push(pi);
            continue;
        }
        row.category_option_combo = coc;
        row.attribute_option_combo = aoc;
        if let Some(meta) = target {
            fill_from_target(&mut row, meta);
        }
        rows.push(row);
    }
    rows.sort_by(|a, b| {
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
    (rows, without)
}

/// Names, value type and data set from the target metadata; target UIDs become codes.
fn fill_from_target(row: &mut Proposed, meta: &Metadata) {
    if let Some((de, _)) = meta.data_element(&row.data_element) {
        row.data_element = id_for(&de.id, &de.code, true).to_string();
        row.data_element_name = de.name.trim().to_string();
        row.value_type = text(&de.value_type);
        let sets = meta.data_sets_of(&de.id);
        if let Some(first) = sets.first() {
            row.data_set = id_for(&first.id, &first.code, true).to_string();
        }
        if sets.len() > 1 {
            let others: Vec<&str> = sets[1..]
                .iter()
                .map(|s| id_for(&s.id, &s.code, true))
                .collect();
            row.notes
                .push_str(&format!("; also in data set {}", others.join(", ")));
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
