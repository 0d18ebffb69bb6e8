//! The mapping workbook (mappings/README.md): program indicator (as exported, optionally narrowed by the
//! exported COC/AOC) → target data element, category option combo and attribute option combo,
//! plus the optional `orgUnits` sheet. Loading records a [`Finding`] with its cell for every
//! problem; errors make the mapping unusable, warnings are reported.

mod checks;
pub mod columns;
pub mod disaggregation;
pub mod from_metadata;
pub mod org_units;
pub mod pi_lint;
mod read;
pub mod sheet;
pub mod target;
pub mod template;

use std::collections::BTreeMap;
use std::fmt;

use anyhow::Result;
use rustc_hash::FxHashMap;

use crate::ids::is_uid;
use crate::value::ValueType;
pub use checks::{findings_line, grouped};
use columns::column;
pub use columns::{COLUMNS, Col};
use read::{header, read_org_units};
use sheet::Sheet;

/// DHIS2's maximum code length.
pub const MAX_CODE_LENGTH: usize = 50;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem in the mapping, with the cell it concerns (`mapping!C17`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub cell: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.severity_name(),
            self.cell,
            self.message
        )
    }
}

/// What the mapping's target columns hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetScheme {
    Code,
    Uid,
}

impl TargetScheme {
    /// The name `--target-scheme` takes, as the reports print it.
    pub fn name(self) -> &'static str {
        match self {
            TargetScheme::Code => "code",
            TargetScheme::Uid => "uid",
        }
    }
}

impl From<TargetScheme> for crate::ids::IdScheme {
    fn from(s: TargetScheme) -> Self {
        match s {
            TargetScheme::Code => crate::ids::IdScheme::Code,
            TargetScheme::Uid => crate::ids::IdScheme::Uid,
        }
    }
}

/// One mapping row.
#[derive(Debug, Clone, Default)]
pub struct MappingRow {
    /// The spreadsheet row number.
    pub row: u32,
    pub source: String,
    pub source_category_option_combo: String,
    pub source_attribute_option_combo: String,
    pub data_element: String,
    pub category_option_combo: String,
    pub attribute_option_combo: String,
    pub data_set: String,
    pub value_type: Option<ValueType>,
    pub value_type_text: String,
    pub enabled: bool,
    pub program_indicator_name: String,
    pub data_element_name: String,
    /// What the export's `dataElement` carries, when it is not `source` (2.42+
    /// `aggregateExportDataElement`); blank: `source`.
    pub exported_data_element: String,
}

impl MappingRow {
    /// The data sets the row names: its `dataSet` cell may list several, separated by `;`,
    /// for a data element in data sets of different period types (each value goes to the one of
    /// its period type).
    pub fn data_sets(&self) -> impl Iterator<Item = &str> {
        data_sets(&self.data_set)
    }

    /// The row's data set when it names exactly one, else "" (the target metadata decides).
    pub fn single_data_set(&self) -> &str {
        let mut all = self.data_sets();
        match (all.next(), all.next()) {
            (Some(one), None) => one,
            _ => "",
        }
    }

    /// The id the export's `dataElement` field carries for this row: `exportedDataElement`,
    /// else the program indicator. Values are matched by it; `request` asks for `source`.
    pub fn exported(&self) -> &str {
        if self.exported_data_element.is_empty() {
            &self.source
        } else {
            &self.exported_data_element
        }
    }
}

/// What the mapping says about an exported item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Mapped(usize),
    Disabled(usize),
    Unmapped,
}

/// A loaded mapping.
#[derive(Debug, Default)]
pub struct Mapping {
    pub path: String,
    pub sheet: String,
    pub rows: Vec<MappingRow>,
    /// `orgUnits` sheet: source id → target id.
    pub org_units: Option<FxHashMap<String, String>>,
    pub findings: Vec<Finding>,
    enabled: FxHashMap<String, Vec<usize>>,
    disabled: FxHashMap<String, Vec<usize>>,
    columns: BTreeMap<Col, usize>,
}

/// Collects findings while reading.
pub(crate) struct Findings(Vec<Finding>);

impl Finding {
    /// The sheet row the finding's cell is in (`mapping!C17` → 17), when it names a cell.
    pub fn row(&self) -> Option<u32> {
        sheet::split_reference(&self.cell).map(|(_, row)| row)
    }

    /// `error` or `warning`.
    pub fn severity_name(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    pub fn error(cell: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Error,
            cell: cell.into(),
            message: message.into(),
        }
    }
    pub fn warning(cell: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            severity: Severity::Warning,
            cell: cell.into(),
            message: message.into(),
        }
    }
}

impl Findings {
    fn error(&mut self, cell: String, message: impl Into<String>) {
        self.0.push(Finding::error(cell, message));
    }
    fn warning(&mut self, cell: String, message: impl Into<String>) {
        self.0.push(Finding::warning(cell, message));
    }
}

impl Mapping {
    /// Loads and checks a mapping workbook or CSV. I/O failures are errors; problems in the
    /// content are findings (see [`Mapping::errors`]).
    pub fn load(path: &str, target_scheme: TargetScheme) -> Result<Mapping> {
        let workbook = sheet::load(path, |s| {
            header(
                s,
                column,
                &[Col::Source, Col::DataElement],
                &mut Findings(Vec::new()),
            )
            .is_some()
        })?;
        let mut findings = Findings(Vec::new());
        let mut mapping = Mapping {
            path: path.to_string(),
            sheet: workbook.mapping.name.clone(),
            ..Default::default()
        };
        mapping.read_rows(&workbook.mapping, &mut findings);
        if let Some(ou) = &workbook.org_units {
            mapping.org_units = Some(read_org_units(ou, &mut findings));
        }
        mapping.check(&workbook.mapping, target_scheme, &mut findings);
        mapping.findings = findings.0;
        mapping.findings.sort_by_key(|f| f.severity);
        Ok(mapping)
    }

    /// The checks of mappings/README.md, and the lookup tables.
    fn check(&mut self, sheet: &Sheet, target_scheme: TargetScheme, findings: &mut Findings) {
        let columns = self.columns.clone();
        let cell = |c: Col, row: u32| sheet.cell(columns.get(&c).copied().unwrap_or(0), row);
        let uid_sources = self.rows.iter().filter(|r| is_uid(&r.source)).count();
        let codes_expected = uid_sources * 2 < self.rows.len();
        let mut seen = checks::Seen::default();
        for (i, r) in self.rows.iter().enumerate() {
            if r.source.is_empty() {
                if r.enabled {
                    findings.error(
                        cell(Col::Source, r.row),
                        "the row has no `programIndicator`",
                    );
                }
                continue;
            }
            if !codes_expected && !is_uid(&r.source) {
                findings.warning(
                    cell(Col::Source, r.row),
                    format!(
                        "`{}` is not a DHIS2 UID (fine only if the export used a code id scheme)",
                        r.source
                    ),
                );
            }
            let index = if r.enabled {
                &mut self.enabled
            } else {
                &mut self.disabled
            };
            index.entry(r.exported().to_string()).or_default().push(i);
            if !r.enabled {
                continue;
            }
            if r.data_element.is_empty() {
                findings.error(
                    cell(Col::DataElement, r.row),
                    "an enabled row has no `dataElement`",
                );
            }
            seen.check(r, &cell, findings);
            checks::ids(r, target_scheme, &cell, findings);
        }
    }

    /// The reference of a cell of the mapping sheet (`mapping!C17`); a column the sheet lacks
    /// is referred to by the `dataElement` column.
    pub fn cell(&self, col: Col, row: u32) -> String {
        let c = self
            .columns
            .get(&col)
            .or(self.columns.get(&Col::DataElement))
            .copied()
            .unwrap_or(0);
        sheet::reference(&self.sheet, c, row)
    }

    /// Adds findings (from checks against target metadata), keeping errors first.
    pub fn add_findings(&mut self, findings: Vec<Finding>) {
        self.findings.extend(findings);
        self.findings.sort_by_key(|f| f.severity);
    }

    /// The errors among the findings; a mapping with errors must not be used.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    /// The row for an exported item: the enabled row whose source key matches, preferring rows
    /// that name the exported COC, then the AOC, over rows that leave them blank (any).
    pub fn lookup(&self, data_element: &str, coc: &str, aoc: &str) -> Lookup {
        if let Some(i) = best(&self.rows, self.enabled.get(data_element), coc, aoc) {
            return Lookup::Mapped(i);
        }
        if let Some(i) = best(&self.rows, self.disabled.get(data_element), coc, aoc) {
            return Lookup::Disabled(i);
        }
        Lookup::Unmapped
    }
}

fn best(
    rows: &[MappingRow],
    candidates: Option<&Vec<usize>>,
    coc: &str,
    aoc: &str,
) -> Option<usize> {
    candidates?
        .iter()
        .copied()
        .filter(|&i| {
            let r = &rows[i];
            (r.source_category_option_combo.is_empty() || r.source_category_option_combo == coc)
                && (r.source_attribute_option_combo.is_empty()
                    || r.source_attribute_option_combo == aoc)
        })
        .max_by_key(|&i| {
            let r = &rows[i];
            (
                !r.source_category_option_combo.is_empty(),
                !r.source_attribute_option_combo.is_empty(),
            )
        })
}

/// The data sets of a `dataSet` cell: one id, or several separated by `;`.
pub fn data_sets(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';').map(str::trim).filter(|s| !s.is_empty())
}

/// What in an id DHIS2 cannot take: control characters (line breaks, tabs…) anywhere, and
/// double quotes, which DHIS2 2.43+ cannot read in CSV.
pub fn id_trouble(id: &str) -> Option<&'static str> {
    if id.chars().any(char::is_control) {
        Some("a control character (a line break or tab?), which DHIS2 cannot take in an id")
    } else if id.contains('"') {
        Some("a double quote, which DHIS2 2.43+ cannot read in a CSV import")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Finding;

    #[test]
    fn a_finding_names_the_row_of_its_cell() {
        let row = |cell: &str| Finding::error(cell, "x").row();
        assert_eq!(row("mapping!C17"), Some(17));
        assert_eq!(row("'My sheet 2'!AB3"), Some(3));
        assert_eq!(row("mapping.csv"), None);
        assert_eq!(row("sheet 2"), None);
        assert_eq!(row(""), None);
    }
}
